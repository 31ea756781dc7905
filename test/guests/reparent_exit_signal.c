/* An orphan whose clone exit signal is not SIGCHLD, reparented to init:
 * Linux sets its exit signal back to SIGCHLD (kernel/exit.c,
 * reparent_leader: "We don't want people slaying init"), so init, which
 * has no handler for SIGUSR1, survives its death and reaps it. Run as
 * init (pid 1) under umlts; the fuzzer found init killed by the orphan's
 * signal. (Natively the orphan goes to the host's init, so the test
 * compares with the expected output, as `unshare -pf` prints it.) */
#include "common.h"
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void) {
  if (getpid() != 1) {
    say("not init\n");
    return 2;
  }
  /* for --strace: 64-bit arguments printed exactly (EBADF) */
  syscall(SYS_setsockopt, -1L, -1L, 0L, 0L, 0L);
  pid_t w = fork();
  if (w == 0) {
    /* a fork (no CLONE_VM) whose exit signal is SIGUSR1; the worker exits before it */
    long c = syscall(SYS_clone, (long)SIGUSR1, 0L, 0L, 0L, 0L);
    if (c == 0) {
      usleep(200 * 1000);
      _exit(7);
    }
    _exit(c > 0 ? 0 : 1);
  }
  int st;
  pid_t p = waitpid(w, &st, 0);
  say("worker reaped: %d, status %#x\n", p == w, st);
  /* the orphan is init's now, a SIGCHLD child: waitpid without __WCLONE finds it */
  p = waitpid(-1, &st, 0);
  say("orphan reaped: %d, exited %d with %d\n", p > 0, WIFEXITED(st), WEXITSTATUS(st));
  say("init lives\n");
  return 0;
}
