/* The host's floor for a guest fork on systrap, run natively only: each
 * guest process is a host process whose first thread (the mapper) never
 * runs guest code, so a guest fork costs the host at least what this does
 * per round: the mapper, holding a guest's worth of shared memfd mappings
 * (MAPS of them) and a filter of its own, forks; the copy clones a thread;
 * that thread installs a filter the size of a guest thread's (FILTER_LEN
 * instructions, every one JIT-compiled anew: a filter is per thread); it
 * says it is ready through a futex word the first process waits on; the
 * copy is killed and reaped. No guest code, no kernel: the host's part
 * alone. Beside it, a plain fork + _exit + wait, as microbench's fork row
 * does natively. Best of 5 rounds of ROUNDS each.
 * Prints "fork_floor VALUE us" and "fork_plain VALUE us". */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 300
#define MAPS 24
#define FILTER_LEN 45

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* FILTER_LEN instructions that allow everything: as costly to install as a filter that decides */
static void filter(void) {
  struct sock_filter f[FILTER_LEN];
  for (int i = 0; i < FILTER_LEN - 1; i++) f[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
  f[FILTER_LEN - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog p = { FILTER_LEN, f };
  syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p);
}

static volatile int *ready;

static int thread_main(void *arg) {
  (void)arg;
  filter();
  __atomic_store_n(ready, 1, __ATOMIC_SEQ_CST);
  syscall(SYS_futex, ready, FUTEX_WAKE, 1, 0, 0, 0);
  for (;;) pause();
  return 0;
}

int main(void) {
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  int fd = memfd_create("fork_floor", 0);
  if (fd < 0 || ftruncate(fd, MAPS * 8192L) != 0) return 1;
  /* a guest's worth of mappings, each its own VMA (every other page: none merge), populated */
  char *area = mmap(NULL, MAPS * 8192L, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < MAPS; i++) {
    mmap(area + i * 8192L, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, i * 8192L);
  }
  ready = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  char *stack = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  filter();
  double floorNs = 1e18, plainNs = 1e18;
  for (int round = 0; round < 5; round++) {
    double a = now();
    for (int i = 0; i < ROUNDS; i++) {
      *ready = 0;
      pid_t c = fork();
      if (c == 0) {
        clone(thread_main, stack + 65536, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD, 0);
        for (;;) pause();
      }
      while (__atomic_load_n(ready, __ATOMIC_SEQ_CST) == 0) syscall(SYS_futex, ready, FUTEX_WAIT, 0, 0, 0, 0);
      kill(c, SIGKILL);
      waitpid(c, 0, 0);
    }
    double b = now();
    for (int i = 0; i < ROUNDS; i++) {
      pid_t c = fork();
      if (c == 0) _exit(0);
      waitpid(c, 0, 0);
    }
    double d = now();
    if (b - a < floorNs) floorNs = b - a;
    if (d - b < plainNs) plainNs = d - b;
  }
  printf("fork_floor %.1f us\nfork_plain %.1f us\n", floorNs / ROUNDS / 1000, plainNs / ROUNDS / 1000);
  return 0;
}
