/* clone(CLONE_PARENT) makes a sibling, and its exit signal is its
 * creator's own (copy_process), not the one clone names: the grandparent
 * of a CLONE_PARENT|SIGRTMIN+24 clone made in a forked child gets SIGCHLD
 * (ignored by default) for it, and lives. Found by a fuzzer: the sibling's
 * exit once killed the grandparent with signal 58. `init`: as the first
 * process of its pid namespace it may not make a sibling (EINVAL: nobody
 * would reap it). Output is compared with the host kernel's. */
#define _GNU_SOURCE
#include "common.h"
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "init") == 0) {
    long r = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
    if (r == 0) _exit(0);
    say("clone(CLONE_PARENT) by init: %s\n", r > 0 ? "made a sibling" : errname(errno));
    /* a thread too (a fuzzer's finding); had it been made it would share this stack: the test would not end well */
    r = syscall(SYS_clone, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_PARENT, 0, 0, 0, 0);
    if (r == 0) _exit(0);
    say("clone(CLONE_PARENT|CLONE_THREAD) by init: %s\n", r > 0 ? "made a thread" : errname(errno));
    return 0;
  }
  pid_t p = fork();
  if (p == 0) {
    long r = syscall(SYS_clone, CLONE_PARENT | 58, 0, 0, 0, 0);
    if (r == 0) _exit(7);
    _exit(r > 0 ? 0 : 1);
  }
  int st = 0;
  waitpid(p, &st, 0);
  say("the child: exited %d\n", WEXITSTATUS(st));
  /* the sibling is this process's child now; its exit signal is SIGCHLD: waitpid without __WALL finds it */
  pid_t s = waitpid(-1, &st, 0);
  say("its sibling reaped by the grandparent: %s, exited %d\n", s > 0 ? "yes" : errname(errno), s > 0 ? WEXITSTATUS(st) : -1);
  say("grandparent alive\n");
  /* clone3: a sibling (or a thread) names no exit signal of its own: EINVAL before anything is made */
  struct { unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; } ca = { 0 };
  ca.flags = CLONE_PARENT;
  ca.exit_signal = SIGCHLD;
  long c3 = syscall(SYS_clone3, &ca, sizeof ca);
  if (c3 == 0) _exit(0);
  say("clone3(CLONE_PARENT, exit_signal SIGCHLD): %s\n", c3 > 0 ? "made a sibling" : errname(errno));
  return 0;
}
