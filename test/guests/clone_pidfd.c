/* CLONE_PIDFD: clone3 and clone give the parent a pidfd of the child (its
 * number at args.pidfd / parent_tid, close-on-exec, polls readable once the
 * child exited, waitid(P_PIDFD) reaps it); the combinations Linux refuses
 * (with CLONE_PARENT_SETTID in clone; with CLONE_THREAD it is EINVAL here
 * as before Linux 6.9, which made thread pidfds), and a pidfd
 * address that faults (EFAULT, no child made), a full fd table (EMFILE, no
 * child made). Output compared with the
 * host kernel's. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct clone_args3 { unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; };

static void check(const char *what, int fd) {
  int fl = fcntl(fd, F_GETFD);
  siginfo_t si = { 0 };
  int w = waitid(P_PIDFD, fd, &si, WEXITED);
  say("%s: pidfd %d, cloexec %s, waitid(P_PIDFD) %s, status %d\n", what, fd, fl & FD_CLOEXEC ? "yes" : "no",
      w == 0 ? "OK" : errname(errno), si.si_status);
  close(fd);
}

int main(void) {
  int pidfd = -1;
  struct clone_args3 a = { 0 };
  a.flags = CLONE_PIDFD;
  a.pidfd = (unsigned long long)(unsigned long)&pidfd;
  a.exit_signal = SIGCHLD;
  long r = syscall(SYS_clone3, &a, sizeof a);
  if (r == 0) _exit(5);
  if (r < 0) say("clone3 CLONE_PIDFD: %s\n", errname(errno));
  else check("clone3", pidfd);

  int ptid = -1;
  r = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &ptid, 0, 0);
  if (r == 0) _exit(6);
  if (r < 0) say("clone CLONE_PIDFD: %s\n", errname(errno));
  else check("clone", ptid);

  r = syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &ptid, 0, 0);
  if (r == 0) _exit(0);
  say("clone CLONE_PIDFD|CLONE_PARENT_SETTID: %s\n", r < 0 ? errname(errno) : "made");
  void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  a.flags = CLONE_PIDFD;
  a.exit_signal = SIGCHLD;
  a.pidfd = (unsigned long long)(unsigned long)ro;
  r = syscall(SYS_clone3, &a, sizeof a);
  if (r == 0) _exit(0);
  say("clone3 CLONE_PIDFD into a read-only page: %s\n", r < 0 ? errname(errno) : "made");
  say("no child left: %s\n", waitpid(-1, NULL, WNOHANG) < 0 ? errname(errno) : "one");

  /* a full fd table: EMFILE, no child made, the table as it was */
  struct rlimit rl = { 16, 16 };
  setrlimit(RLIMIT_NOFILE, &rl);
  int last = -1;
  for (int fd; (fd = dup(0)) >= 0;) last = fd;
  a.pidfd = (unsigned long long)(unsigned long)&pidfd;
  r = syscall(SYS_clone3, &a, sizeof a);
  if (r == 0) _exit(0);
  say("clone3 CLONE_PIDFD with a full fd table: %s, last fd %d\n", r < 0 ? errname(errno) : "made", last);
  say("no child left: %s\n", waitpid(-1, NULL, WNOHANG) < 0 ? errname(errno) : "one");
  close(last);
  r = syscall(SYS_clone3, &a, sizeof a);
  if (r == 0) _exit(7);
  if (r < 0) say("clone3 CLONE_PIDFD with one fd free: %s\n", errname(errno));
  else check("clone3 with one fd free", pidfd);
  return 0;
}
