/* Probe: fork via clone(SIGCHLD|CLONE_PARENT_SETTID) with an unmapped
 * parent_tid pointer. Linux ignores the failed put_user and returns the
 * pid; umlts creates the child, then the write throws EFAULT after it is
 * registered and before it is resumed: the parent gets -EFAULT and a child
 * that never runs (a wait for it never ends; its stub lives until umlts exits). */
#define _GNU_SOURCE
#include <stdio.h>
#include <sched.h>
#include <signal.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
  long r = syscall(SYS_clone, SIGCHLD | CLONE_PARENT_SETTID, 0, (void *)0x13000, 0, 0);
  if (r == 0) { printf("child runs\n"); _exit(7); }
  printf("clone returned %ld (%s)\n", r, r < 0 ? strerror(errno) : "ok"); fflush(stdout);
  alarm(3);
  int st = 0;
  pid_t w = waitpid(-1, &st, 0);
  printf("waitpid: %d status %x\n", w, st);
  return 0;
}
