/* libseccomp (Debian's, linked statically), differential: what it finds the
 * kernel offers (its API level, probed with seccomp(2)'s flags and actions),
 * then filters it compiles — argument comparisons of every kind on 32- and
 * 64-bit values, masked ones, many syscalls in one filter (a binary tree
 * when asked), each action — loaded and exercised. Each result on a line. */
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <seccomp.h>

static void show(const char *what, long r) {
  if (r < 0) say("%s: -1 %s\n", what, errname(errno));
  else say("%s: %ld\n", what, r);
}

static char zeros[2000];
static volatile int trapped_nr = -1;
static void on_sys(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)ctx;
  trapped_nr = si->si_syscall;
}

static void run(int optimize) {
  /* the session id itself depends on who started us (0 in a container whose init the host kernel made) */
  long sid = syscall(SYS_getsid, 0);
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (optimize) say("optimize 2: %d\n", seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2));
  int r = 0;
  r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(getppid), 0);
  r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(E2BIG), SCMP_SYS(write), 2, SCMP_A0(SCMP_CMP_EQ, 2), SCMP_A2(SCMP_CMP_GT, 1000));
  r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
  r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EOVERFLOW), SCMP_SYS(lseek), 1, SCMP_A1(SCMP_CMP_GE, 0x100000000ULL));
  r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ERANGE), SCMP_SYS(lseek), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, 0xf0, 0x40));
  r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTDIR), SCMP_SYS(getpriority), 1, SCMP_A1(SCMP_CMP_LT, 5));
  r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EISDIR), SCMP_SYS(setpriority), 1, SCMP_A2(SCMP_CMP_LE, -3));
  r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EXDEV), SCMP_SYS(getrlimit), 1, SCMP_A0(SCMP_CMP_NE, RLIMIT_NOFILE));
  r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSPC), SCMP_SYS(dup3), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, O_CLOEXEC, O_CLOEXEC));
  r |= seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(uname), 0);
  r |= seccomp_rule_add(ctx, SCMP_ACT_TRACE(9), SCMP_SYS(getpgid), 0);
  r |= seccomp_rule_add(ctx, SCMP_ACT_LOG, SCMP_SYS(getsid), 0);
  /* enough others that the filter is long: each answers its own errno */
  const char *many[] = { "getcwd", "chdir", "fchdir", "umask", "getrusage", "sysinfo", "times", "getgroups",
                         "setgroups", "getresuid", "getresgid", "sched_yield", "sched_getparam", "personality",
                         "ioprio_get", "getcpu", "membarrier", "flock", "fadvise64", "sync_file_range" };
  for (unsigned i = 0; i < sizeof many / sizeof *many; i++) {
    r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(100 + i), seccomp_syscall_resolve_name(many[i]), 0);
  }
  say("rules added: %d\n", r);
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_sys;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &sa, 0);
  show("load", seccomp_load(ctx));
  seccomp_release(ctx);

  show("getppid", syscall(SYS_getppid));
  show("write 5 bytes to fd 2", syscall(SYS_write, 2, zeros, 5) == 5 ? 0 : -1);
  show("write 2000 bytes to fd 2", syscall(SYS_write, 2, zeros, 2000));
  show("write 2000 bytes to fd 99", syscall(SYS_write, 99, zeros, 2000));
  show("prctl PR_SET_NAME", prctl(PR_SET_NAME, "x", 0, 0, 0));
  show("prctl PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  int fd = open("/proc/self/status", O_RDONLY);
  show("lseek 0x100000000", syscall(SYS_lseek, fd, 0x100000000L, SEEK_SET));
  show("lseek 0xffffffff", syscall(SYS_lseek, fd, 0xffffffffL, SEEK_SET) < 0 ? -1 : 0);
  show("lseek whence 0x41", syscall(SYS_lseek, fd, 0L, 0x41));
  show("lseek whence 0x141", syscall(SYS_lseek, fd, 0L, 0x141));
  show("lseek whence 0x4", syscall(SYS_lseek, fd, 0L, 0x4));
  show("getpriority who 4", syscall(SYS_getpriority, PRIO_PROCESS, 4));
  show("getpriority who 0", syscall(SYS_getpriority, PRIO_PROCESS, 0) < 0 ? -1 : 0);
  show("getpriority who 0x7fffffff (no such process)", syscall(SYS_getpriority, PRIO_PROCESS, 0x7fffffffL));
  show("getpriority who 0x100000000", syscall(SYS_getpriority, PRIO_PROCESS, 0x100000000L) < 0 ? -1 : 0);
  show("setpriority prio -3", syscall(SYS_setpriority, PRIO_PROCESS, 0, -3L));
  show("setpriority prio -4", syscall(SYS_setpriority, PRIO_PROCESS, 0, -4L));
  show("setpriority prio 0", syscall(SYS_setpriority, PRIO_PROCESS, 0, 0L));
  show("setpriority prio 0xfffffffd (32 bits)", syscall(SYS_setpriority, PRIO_PROCESS, 0, 0xfffffffdL) < 0 ? -1 : 0);
  struct rlimit rl;
  show("getrlimit NOFILE", syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl));
  show("getrlimit STACK", syscall(SYS_getrlimit, RLIMIT_STACK, &rl));
  show("dup3 O_CLOEXEC", syscall(SYS_dup3, fd, 50, O_CLOEXEC));
  show("dup3 0", syscall(SYS_dup3, fd, 50, 0));
  struct utsname u;
  long ur = syscall(SYS_uname, &u);
  say("uname: %ld, trapped %s\n", ur, trapped_nr == SYS_uname ? "uname" : "nothing");
  show("getpgid (TRACE without a tracer)", syscall(SYS_getpgid, 0));
  show("getsid (LOG) is the session id", syscall(SYS_getsid, 0) == sid);
  for (unsigned i = 0; i < sizeof many / sizeof *many; i++) {
    long x = syscall(seccomp_syscall_resolve_name(many[i]), 0, 0, 0, 0, 0, 0);
    say("%s: %ld %d\n", many[i], x, errno);
  }
  show("getpid", syscall(SYS_getpid) > 0);
}

int main(void) {
  /* what libseccomp finds: its API level sums up the kernel's actions and flags */
  say("api level %u\n", seccomp_api_get());
  for (int opt = 0; opt < 2; opt++) {
    pid_t c = fork();
    if (c == 0) {
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      run(opt);
      /* KILL_PROCESS as the default action of a second filter */
      scmp_filter_ctx k = seccomp_init(SCMP_ACT_ALLOW);
      seccomp_rule_add(k, SCMP_ACT_KILL_PROCESS, SCMP_SYS(getuid), 0);
      show("load a second filter", seccomp_load(k));
      syscall(SYS_getuid);
      say("not reached\n");
      _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    if (WIFEXITED(st)) say("child: exit %d\n", WEXITSTATUS(st));
    else say("child: killed by signal %d\n", WTERMSIG(st));
  }
  return 0;
}
