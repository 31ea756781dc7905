/* A process that makes syscalls beside one that never traps, on one CPU
 * (umlts --cpus 1; natively the host's CPUs): on Linux a syscall does not
 * give the CPU away, so the caller's syscalls run at their own speed
 * within its share, and the spinner still gets its share. Prints whether
 * 300 getppid calls took less than a second beside the spinner, and
 * whether the spinner ran while the caller made syscalls for 300 ms. */
#include "common.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(void) {
  volatile unsigned long *spins = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (spins == MAP_FAILED) return 1;
  pid_t child = fork();
  if (child == 0) {
    for (;;) (*spins)++;
  }
  /* let the spinner take the CPU */
  struct timespec pause = {0, 50 * 1000 * 1000};
  nanosleep(&pause, NULL);
  double t0 = now_ms();
  for (int i = 0; i < 300; i++) syscall(SYS_getppid);
  double took = now_ms() - t0;
  say("300 getppid beside a spinner in under a second: %s\n", took < 1000 ? "yes" : "no");
  /* syscalls only, for 300 ms: the spinner must move meanwhile */
  unsigned long before = *spins;
  t0 = now_ms();
  while (now_ms() - t0 < 300) syscall(SYS_getppid);
  say("the spinner ran while the caller made syscalls: %s\n", *spins != before ? "yes" : "no");
  kill(child, SIGKILL);
  int st;
  waitpid(child, &st, 0);
  say("spinner killed: %s\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? "yes" : "no");
  return 0;
}
