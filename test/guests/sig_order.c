/* The order of a few signal calls' checks (kernel/signal.c, fs/signalfd.c):
 * rt_sigtimedwait reads and checks its timeout before it takes a pending
 * signal (EINVAL, the signal still pending); signalfd4 reads the mask
 * (EFAULT) before it looks at the flags. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigprocmask(SIG_BLOCK, &s, NULL);
  raise(SIGUSR1);
  struct timespec bad = { 0, -1 };
  int r = sigtimedwait(&s, NULL, &bad);
  printf("sigtimedwait, a bad timeout, SIGUSR1 pending: %d %s\n", r, r < 0 ? strerror(errno) : "");
  sigset_t p;
  sigpending(&p);
  printf("SIGUSR1 still pending: %d\n", sigismember(&p, SIGUSR1));
  struct timespec zero = { 0, 0 };
  r = sigtimedwait(&s, NULL, &zero);
  printf("sigtimedwait, a zero timeout: %d\n", r);
  long l = syscall(SYS_signalfd4, -1, NULL, 8, 8);
  printf("signalfd4, a NULL mask and bad flags: %ld %s\n", l, l < 0 ? strerror(errno) : "");
  return 0;
}
