/* Out of memory as a thread exits (test/robust.test.mjs, under a small
 * --mem): the kernel's clear_child_tid store is the allocation that finds
 * no page. Each thread's tid word sits on its own page, written before a
 * fork (so shared copy-on-write with a sleeping child) and not since: the
 * exit's store of 0 needs a copy. A hog fills most of memory, then init
 * starts threads one at a time (one stack, reused) that exit at once, and
 * waits for each one's word to be cleared, as pthread_join does. Linux's
 * OOM killer takes the hog and the word is cleared; a store dropped for
 * want of memory would leave the joiner waiting forever (here: 10 s, then
 * it says so). Natively nothing runs out; the output is the same.
 *
 * argv: MIB (what the hog touches) THREADS [alarm]  (alarm: a 1 ms interval
 * timer signals the process meanwhile, so an exiting thread may have a
 * signal pending: it must not keep it from waiting for memory)
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "oom.h"

static volatile sig_atomic_t ticks;
static void on_alarm(int sig) { (void)sig; ticks++; }

static int thread_fn(void *arg) {
  (void)arg;
  return 0; /* clone's wrapper makes the exit syscall */
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 36;
  int n = argc > 2 ? atoi(argv[2]) : 4000;
  /* the tid words, one a page, set before the fork */
  volatile unsigned *words = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  size_t stack_size = 64 << 10;
  char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (words == MAP_FAILED || stack == MAP_FAILED) return 1;
  for (int i = 0; i < n; i++) words[i * 1024] = 0xffffffffu;
  for (size_t i = 0; i < stack_size; i += 4096) stack[i] = 0;
  pid_t sharer = fork();
  if (sharer == 0) {
    for (;;) pause();
  }
  int go[2];
  if (pipe(go) < 0) return 1;
  pid_t hog = fork();
  if (hog == 0) {
    hog_memory(mib, go[1]);
  }
  close(go[1]);
  char x;
  if (read(go[0], &x, 1) != 1) return 1;
  if (argc > 3 && !strcmp(argv[3], "alarm")) {
    struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
    setitimer(ITIMER_REAL, &it, NULL);
  }
  int joined = 0;
  for (int i = 0; i < n; i++) {
    volatile unsigned *w = &words[i * 1024];
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_CHILD_CLEARTID;
    if (clone(thread_fn, stack + stack_size, flags, NULL, NULL, NULL, (void *)w) < 0) return 1;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (*w != 0) {
      struct timespec ts = { 1, 0 };
      syscall(SYS_futex, w, FUTEX_WAIT, 0xffffffffu, &ts, NULL, 0);
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (now.tv_sec - t0.tv_sec >= 10) break;
    }
    if (*w != 0) break;
    joined++;
  }
  struct itimerval off = { { 0, 0 }, { 0, 0 } };
  setitimer(ITIMER_REAL, &off, NULL);
  int st;
  kill(hog, SIGKILL);
  waitpid(hog, &st, 0);
  kill(sharer, SIGKILL);
  waitpid(sharer, NULL, 0);
  printf("init: %d of %d threads joined; the hog: %s %d\n", joined, n,
         WIFSIGNALED(st) ? "killed by signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
  return 0;
}
