/* ptrace's seccomp and vfork events: a tracee's filter returning
 * SECCOMP_RET_TRACE stops it with PTRACE_EVENT_SECCOMP (the filter's data
 * as the event's message) under PTRACE_O_TRACESECCOMP, where the tracer
 * skips the call (orig_rax -1, its own result), changes it, or lets it
 * run; without the option the call fails with ENOSYS. A traced vfork
 * parent stops with PTRACE_EVENT_VFORK before its child runs to its exec,
 * and with PTRACE_EVENT_VFORK_DONE once it has. One line per step. */
#include "common.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/user.h>

static const char *event(int st) {
  switch (st >> 16) {
    case 0: return "none";
    case PTRACE_EVENT_VFORK: return "VFORK";
    case PTRACE_EVENT_VFORK_DONE: return "VFORK_DONE";
    case PTRACE_EVENT_EXEC: return "EXEC";
    case PTRACE_EVENT_SECCOMP: return "SECCOMP";
    default: return "other";
  }
}

/* getppid: RET_TRACE | 0x42, getuid: RET_TRACE | 7, the rest allowed */
static void filter(void) {
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 0x42),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getuid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 7),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog p = { sizeof f / sizeof f[0], f };
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p) != 0) say("seccomp: %s\n", errname(errno));
}

/* The tracee: its filter, then the calls its tracer decides on. */
static void tracee(void) {
  ptrace(PTRACE_TRACEME, 0, 0, 0);
  raise(SIGSTOP);
  filter();
  long a = syscall(SYS_getppid);
  say("tracee: getppid skipped by the tracer: %ld\n", a);
  long b = syscall(SYS_getuid);
  say("tracee: getuid let run: %s\n", b == (long)geteuid() ? "its uid" : "wrong");
  long c = syscall(SYS_getppid);
  say("tracee: getppid made gettid by the tracer: %s\n", c == syscall(SYS_gettid) ? "its tid" : "wrong");
  _exit(0);
}

/* The tracer's side of one tracee: seccomp stops until it exits. */
static void trace(int pid, long options) {
  int st;
  waitpid(pid, &st, 0);
  say("first stop: %s\n", WIFSTOPPED(st) ? strsignal(WSTOPSIG(st)) : "?");
  ptrace(PTRACE_SETOPTIONS, pid, 0, options);
  ptrace(PTRACE_CONT, pid, 0, 0);
  int getppids = 0;
  for (;;) {
    waitpid(pid, &st, 0);
    if (!WIFSTOPPED(st)) break;
    if (WSTOPSIG(st) != SIGTRAP) {
      ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(st));
      continue;
    }
    unsigned long msg = 0;
    ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
    struct user_regs_struct r;
    ptrace(PTRACE_GETREGS, pid, 0, &r);
    say("stop: event %s, message %#lx, call %s, rax %lld\n", event(st), msg,
        r.orig_rax == SYS_getppid ? "getppid" : r.orig_rax == SYS_getuid ? "getuid" : "other", (long long)r.rax);
    if (r.orig_rax == SYS_getppid && getppids++ == 0) {
      r.orig_rax = -1;
      r.rax = 777;
      ptrace(PTRACE_SETREGS, pid, 0, &r);
    } else if (r.orig_rax == SYS_getppid) {
      r.orig_rax = SYS_gettid;
      ptrace(PTRACE_SETREGS, pid, 0, &r);
    }
    ptrace(PTRACE_CONT, pid, 0, 0);
  }
  say("tracee %s %d\n", WIFEXITED(st) ? "exited" : "killed", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* One stop (or the end) of pid, as the tracer sees it; *child: the vforked child's pid, from the VFORK event. */
static void step(const char *who, int pid, unsigned long *child) {
  int st;
  if (waitpid(pid, &st, __WALL) < 0) {
    say("%s: waitpid %s\n", who, errname(errno));
    return;
  }
  if (!WIFSTOPPED(st)) {
    say("%s: exited %d\n", who, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return;
  }
  unsigned long msg = 0;
  ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
  int ev = st >> 16;
  if (ev == PTRACE_EVENT_VFORK) *child = msg;
  say("%s: stopped, %s, event %s%s\n", who, strsignal(WSTOPSIG(st)), event(st),
      ev == PTRACE_EVENT_VFORK || ev == PTRACE_EVENT_VFORK_DONE ? (msg == *child ? ", message the child" : ", message other") : "");
}

int main(int argc, char **argv) {
  if (argc > 1) return 5; /* the vfork child's exec */
  int pid = fork();
  if (pid == 0) tracee();
  trace(pid, PTRACE_O_TRACESECCOMP);

  /* without PTRACE_O_TRACESECCOMP (traced or not) RET_TRACE is ENOSYS */
  pid = fork();
  if (pid == 0) {
    filter();
    long a = syscall(SYS_getppid);
    say("untraced: getppid %ld %s\n", a, a < 0 ? errname(errno) : "");
    _exit(0);
  }
  waitpid(pid, 0, 0);

  /* vfork: the parent's VFORK event before its child execs, VFORK_DONE after */
  pid = fork();
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    int c = vfork();
    if (c == 0) {
      execl("/proc/self/exe", "ptrace_events", "child", (char *)0);
      _exit(127);
    }
    int st;
    waitpid(c, &st, 0);
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 99);
  }
  int st;
  waitpid(pid, &st, 0);
  ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE | PTRACE_O_TRACEEXEC);
  ptrace(PTRACE_CONT, pid, 0, 0);
  /* each stop waited for by pid, in the order Linux makes them (the child's stops may interleave otherwise) */
  unsigned long child = 0;
  step("parent", pid, &child);
  int c = (int)child;
  step("child", c, &child);
  ptrace(PTRACE_CONT, c, 0, 0);
  step("child", c, &child);
  ptrace(PTRACE_CONT, c, 0, 0);
  /* the parent, let go from its VFORK stop only now, finds its child done */
  ptrace(PTRACE_CONT, pid, 0, 0);
  step("parent", pid, &child);
  ptrace(PTRACE_CONT, pid, 0, 0);
  step("child", c, &child);
  step("parent", pid, &child);
  ptrace(PTRACE_CONT, pid, 0, SIGCHLD);
  step("parent", pid, &child);
  return 0;
}
