/* systrap hostile guest: a child process scribbles on every stub area of
 * its own host process (the per-thread message pages and signal stacks the
 * handler uses, and the doorbell) while its threads make syscalls and
 * fault; the parent meanwhile checks that its own syscalls keep their
 * results. Whatever happens to the child is its own business: the parent
 * must print "parent ok" and umlts must go on. Under ptrace there are no
 * such pages: the scribbler's stores fault and it says so. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STUB_DOORBELL 0x7ff000008000UL
#define STUB_AREAS 0x7ff000010000UL
#define AREA 0x4000UL

static sigjmp_buf jb;
static void on_segv(int s) { (void)s; siglongjmp(jb, 1); }

static void *busy(void *a) {
  (void)a;
  for (;;) {
    syscall(SYS_getppid);
    volatile char *p = malloc(65536);
    if (p) { p[0] = 1; p[40000] = 2; free((void *)p); }
  }
  return NULL;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile uint64_t seed = 88172645463325252ULL;
static uint64_t rnd(void) { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; }

static void scribble(int rounds) {
  struct sigaction sa = { .sa_handler = on_segv, .sa_flags = SA_NODEFER };
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  int hits = 0;
  for (int r = 0; r < rounds; r++) {
    for (unsigned long a = STUB_AREAS; a < STUB_AREAS + 64 * AREA; a += AREA) {
      if (sigsetjmp(jb, 1) == 0) {
        volatile uint32_t *m = (volatile uint32_t *)a;
        for (int i = 0; i < 64; i++) m[rnd() % 160] = (uint32_t)rnd();
        m[0] = 1; /* MSG_POSTED */
        hits++;
      }
    }
    if (sigsetjmp(jb, 1) == 0) {
      volatile uint32_t *db = (volatile uint32_t *)STUB_DOORBELL;
      db[0] = (uint32_t)rnd(); db[1] = 0; db[2] = (uint32_t)rnd(); db[3] = (uint32_t)rnd();
    }
  }
  printf("scribbled %s\n", hits ? "areas" : "nothing (no stub areas)");
  fflush(stdout);
}

/* only rewind the shared doorbell word (the child survives: its own
 * messages are left alone), for a while */
static void rewind_doorbell(void) {
  struct sigaction sa = { .sa_handler = on_segv, .sa_flags = SA_NODEFER };
  sigaction(SIGSEGV, &sa, NULL);
  if (sigsetjmp(jb, 1)) { printf("no doorbell\n"); return; }
  volatile uint32_t *db = (volatile uint32_t *)STUB_DOORBELL;
  uint32_t v = db[0];
  for (long i = 0; i < 200000000L; i++) db[0] = v;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t c = fork();
  if (c == 0 && argc > 1 && strcmp(argv[1], "doorbell") == 0) {
    rewind_doorbell();
    _exit(0);
  }
  if (c == 0) {
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, busy, NULL);
    scribble(200);
    _exit(0);
  }
  /* the parent: its own syscalls keep their meaning while the child
   * scribbles (for 20000 rounds or 10 s: a child whose threads spin take
   * the vCPUs in turn with it) */
  pid_t me = getpid(), pp = getppid();
  long bad = 0;
  double end = now() + 10;
  for (int i = 0; i < 20000; i++) {
    if (syscall(SYS_getpid) != me || syscall(SYS_getppid) != pp) bad++;
    if (i % 256 == 0 && now() > end) break;
  }
  /* the child may have scribbled itself into a loop of its own (its
   * registers are what it wrote): after 10 s it is killed, which must
   * still work */
  int st;
  end = now() + 10;
  while (waitpid(c, &st, WNOHANG) == 0) {
    if (now() > end) {
      kill(c, SIGKILL);
      waitpid(c, &st, 0);
      break;
    }
    usleep(50000);
  }
  printf("child ended: %s\n", WIFEXITED(st) || WIFSIGNALED(st) ? "yes" : "no");
  if (getenv("SCRIBBLE_VERBOSE")) printf("child status %x\n", st);
  printf(bad ? "parent corrupted %ld\n" : "parent ok\n", bad);
  return 0;
}
