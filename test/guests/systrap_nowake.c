/* systrap hostile guest: a child process keeps clearing the "waiting" word
 * of every stub message in its own host process (MSG_WAITING, which tells
 * the kernel the handler sleeps and must be woken), while a sibling thread
 * makes syscalls. The sibling's handler then sleeps through its reply and
 * never returns to guest code: a host thread the kernel believes runs guest
 * code, holding a vCPU, that does not answer the kernel's kicks. That may
 * stop the child (its own business) but must not stop anything else: the
 * parent's syscalls still run and its waitpid sees the child end. Under
 * ptrace there are no such pages: the stores fault and it says so. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STUB_AREAS 0x7ff000010000UL
#define AREA 0x4000UL
#define MSG_WAITING 12

static sigjmp_buf jb;
static void on_segv(int s) { (void)s; siglongjmp(jb, 1); }

static void *busy(void *a) {
  (void)a;
  for (;;) syscall(SYS_getppid);
  return NULL;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t c = fork();
  if (c == 0) {
    struct sigaction sa = { .sa_handler = on_segv, .sa_flags = SA_NODEFER };
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    /* the areas this process has mapped (each thread's), found by touching them */
    static unsigned long mine[64];
    int n = 0;
    pthread_t t;
    pthread_create(&t, NULL, busy, NULL);
    for (unsigned long a = STUB_AREAS; a < STUB_AREAS + 256 * AREA && n < 64; a += AREA) {
      if (sigsetjmp(jb, 1) == 0) {
        (void)*(volatile uint32_t *)a;
        mine[n++] = a;
      }
    }
    if (n == 0) { printf("no stub areas\n"); _exit(0); }
    /* clear every waiting word, without a syscall, for 3 s (the clock is the vDSO's) */
    double end = now() + 3;
    while (now() < end)
      for (int i = 0; i < n; i++) *(volatile uint32_t *)(mine[i] + MSG_WAITING) = 0;
    _exit(0);
  }
  pid_t me = getpid(), pp = getppid();
  long bad = 0;
  for (int i = 0; i < 20000; i++)
    if (syscall(SYS_getpid) != me || syscall(SYS_getppid) != pp) bad++;
  int st;
  waitpid(c, &st, 0);
  printf("child ended: %s\n", WIFEXITED(st) || WIFSIGNALED(st) ? "yes" : "no");
  if (getenv("SCRIBBLE_VERBOSE")) printf("child status %x\n", st);
  printf(bad ? "parent corrupted %ld\n" : "parent ok\n", bad);
  return 0;
}
