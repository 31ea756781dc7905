/* ptrace(2) as a tracer uses it: TRACEME and a first SIGSTOP, syscall
 * stops (entry and exit, TRACESYSGOOD), registers read and changed (a
 * call skipped, its result replaced, an argument changed),
 * GET_SYSCALL_INFO, memory read and written (also through a read-only
 * mapping), signal-delivery-stops (a signal suppressed, one replaced),
 * GETSIGINFO, the exec, fork and exit events, a traced grandchild's exit
 * reported to the tracer, ATTACH and DETACH of a running process, and the
 * errors for a process that is not traced. Prints only what does not
 * depend on pids or addresses. */
#include "common.h"
#include "pipe_io.h"
#include <stddef.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/uio.h>
#include <linux/ptrace.h>
#include <elf.h>

static volatile long secret = 0x1122334455667788L;
static const volatile long constant = 0x0102030405060708L; /* .rodata: read-only in the child */
static volatile int got_usr1;
static void on_usr1(int sig) { got_usr1 = sig; }

static const char *name_of(long nr) {
  switch (nr) {
    case SYS_getuid: return "getuid";
    case SYS_getppid: return "getppid";
    case SYS_write: return "write";
    case SYS_kill: return "kill";
    case SYS_exit_group: return "exit_group";
    case SYS_rt_sigreturn: return "rt_sigreturn";
    case SYS_gettid: return "gettid";
    default: return "other";
  }
}

/* The traced child of part 1: each step is a syscall the tracer looks at. */
static void child_one(void) {
  CHECKSYS(ptrace(PTRACE_TRACEME, 0, 0, 0));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, 0);
  raise(SIGSTOP);
  long uid = syscall(SYS_getuid);                  /* skipped by the tracer, its result 4242 */
  syscall(SYS_write, 1, "abcdef\n", 7);             /* its count cut to 3 by the tracer */
  syscall(SYS_write, 1, "\n", 1);
  syscall(SYS_write, -1, (void *)0x1234, 5);        /* GET_SYSCALL_INFO's arguments, EBADF */
  syscall(SYS_kill, syscall(SYS_getpid), SIGUSR1);  /* suppressed by the tracer */
  int first = got_usr1;
  syscall(SYS_kill, syscall(SYS_getpid), SIGUSR2);  /* replaced by SIGUSR1 */
  printf("child: getuid %ld, SIGUSR1 handled after the first kill %d, after the second %d (%s)\n",
         uid, first != 0, got_usr1 != 0, got_usr1 == SIGUSR1 ? "SIGUSR1" : "other");
  printf("child: secret %#lx, constant %#lx\n", (long)secret, constant);
  fflush(stdout);
  syscall(SYS_exit_group, 7);
}

static int wait_stop(pid_t pid, int *st) {
  pid_t w = waitpid(pid, st, __WALL);
  if (w != pid) {
    printf("waitpid: %d (%s)\n", w == -1 ? -1 : 0, w == -1 ? strerror(errno) : "another");
    exit(1);
  }
  return WIFSTOPPED(*st);
}

static void part_one(void) {
  pid_t pid = fork();
  if (pid == 0) child_one();
  int st;
  wait_stop(pid, &st);
  printf("first stop: %s\n", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP ? "SIGSTOP" : "other");
  CHECKSYS(ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXIT));
  printf("setoptions with a bad bit: %s\n", ptrace(PTRACE_SETOPTIONS, pid, 0, 0x800000) == -1 ? strerror(errno) : "accepted");
  long peek = ptrace(PTRACE_PEEKDATA, pid, (void *)&secret, 0);
  printf("peekdata: %#lx\n", peek);
  CHECKSYS(ptrace(PTRACE_POKEDATA, pid, (void *)&secret, (void *)0x5566L));
  CHECKSYS(ptrace(PTRACE_POKEDATA, pid, (void *)&constant, (void *)0x7788L));
  errno = 0;
  long bad = ptrace(PTRACE_PEEKDATA, pid, (void *)8, 0);
  printf("peekdata of an unmapped address: %ld %s\n", bad, strerror(errno));
  int entry = 1, writes = 0;
  for (;;) {
    CHECKSYS(ptrace(PTRACE_SYSCALL, pid, 0, 0));
    int sig = 0;
    for (;;) {
      if (!wait_stop(pid, &st)) {
        printf("exited: %s %d\n", WIFEXITED(st) ? "status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        return;
      }
      if (WSTOPSIG(st) == (SIGTRAP | 0x80)) break;
      if (st >> 16 == PTRACE_EVENT_EXIT) {
        unsigned long msg;
        CHECKSYS(ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg));
        printf("exit event: status %lu\n", msg >> 8);
        CHECKSYS(ptrace(PTRACE_CONT, pid, 0, 0));
        continue;
      }
      /* a signal-delivery-stop */
      siginfo_t si;
      CHECKSYS(ptrace(PTRACE_GETSIGINFO, pid, 0, &si));
      printf("signal stop: %s, si_code %s, si_pid the child's %d\n", WSTOPSIG(st) == SIGUSR1 ? "SIGUSR1" : WSTOPSIG(st) == SIGUSR2 ? "SIGUSR2" : "other",
             si.si_code == SI_USER ? "SI_USER" : "other", si.si_pid == pid);
      sig = WSTOPSIG(st) == SIGUSR2 ? SIGUSR1 : 0;
      CHECKSYS(ptrace(PTRACE_SYSCALL, pid, 0, sig));
    }
    struct user_regs_struct r;
    CHECKSYS(ptrace(PTRACE_GETREGS, pid, 0, &r));
    long nr = (long)r.orig_rax;
    if (entry) {
      printf("entry %s, rax -ENOSYS %d, eventmsg", name_of(nr), (long)r.rax == -ENOSYS);
      unsigned long msg;
      CHECKSYS(ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg));
      printf(" %lu\n", msg);
      if (nr == SYS_getuid) {
        r.orig_rax = -1; /* skip it */
        CHECKSYS(ptrace(PTRACE_SETREGS, pid, 0, &r));
      }
      if (nr == SYS_write && writes++ == 0) {
        r.rdx = 3;
        CHECKSYS(ptrace(PTRACE_SETREGS, pid, 0, &r));
      }
      if (nr == SYS_write && (long)r.rdi == -1) {
        struct ptrace_syscall_info info;
        long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
        printf("syscall info: size %ld, op entry %d, arch %#x, nr write %d, args %lld %#llx %lld\n", n,
               info.op == PTRACE_SYSCALL_INFO_ENTRY, info.arch, info.entry.nr == SYS_write,
               (long long)info.entry.args[0], (unsigned long long)info.entry.args[1], (long long)info.entry.args[2]);
      }
    } else {
      printf("exit  %s, result %s\n", name_of(nr), (long)r.rax < 0 ? strerror((int)-(long)r.rax) : (long)r.rax > 0 ? "positive" : "0");
      if (nr == SYS_getuid || (long)r.orig_rax == -1) {
        r.rax = 4242;
        CHECKSYS(ptrace(PTRACE_SETREGS, pid, 0, &r));
      }
      if (nr == SYS_write && (long)r.rdi == -1) {
        struct ptrace_syscall_info info;
        long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
        printf("syscall info: size %ld, op exit %d, rval %lld, is_error %d\n", n, info.op == PTRACE_SYSCALL_INFO_EXIT,
               (long long)info.exit.rval, info.exit.is_error);
      }
    }
    entry = !entry;
  }
}

/* Part 2: exec and fork events, and a traced grandchild's exit. */
static void part_two(const char *self) {
  pid_t pid = fork();
  if (pid == 0) {
    CHECKSYS(ptrace(PTRACE_TRACEME, 0, 0, 0));
    raise(SIGSTOP);
    pid_t g = fork();
    if (g == 0) _exit(5);
    int st;
    waitpid(g, &st, 0);
    printf("child: its own child exited with %d\n", WEXITSTATUS(st));
    fflush(stdout);
    execl(self, self, "exec", (char *)0);
    _exit(99);
  }
  int st;
  wait_stop(pid, &st);
  CHECKSYS(ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACEEXEC));
  CHECKSYS(ptrace(PTRACE_CONT, pid, 0, 0));
  wait_stop(pid, &st);
  unsigned long msg = 0;
  CHECKSYS(ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg));
  printf("fork event: %d, new pid > 0 %d\n", st >> 16 == PTRACE_EVENT_FORK, msg > 0);
  pid_t g = (pid_t)msg;
  wait_stop(g, &st);
  printf("grandchild's first stop: %s\n", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP ? "SIGSTOP" : "other");
  CHECKSYS(ptrace(PTRACE_CONT, g, 0, 0));
  pid_t w = waitpid(g, &st, __WALL);
  printf("grandchild's exit seen by the tracer: %d, status %d\n", w == g, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  /* the child goes on: its SIGCHLD (a signal-delivery-stop, passed on), then its exec */
  int sig = 0, sigchld = 0;
  for (;;) {
    CHECKSYS(ptrace(PTRACE_CONT, pid, 0, sig));
    wait_stop(pid, &st);
    if (st >> 16 == PTRACE_EVENT_EXEC) break;
    sig = WSTOPSIG(st);
    sigchld += sig == SIGCHLD;
  }
  CHECKSYS(ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg));
  printf("SIGCHLD stops before the exec: %d; exec event, its message the pid %d\n", sigchld, (pid_t)msg == pid);
  CHECKSYS(ptrace(PTRACE_CONT, pid, 0, 0));
  waitpid(pid, &st, 0);
  printf("exec'd child exited with %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* A child that waits for SIGUSR1, then exits with code; returned once it waits. */
static pid_t usr1_waiter(int code) {
  int p[2];
  xpipe(p);
  pid_t pid = fork();
  if (pid == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, 0);
    /* (SIGUSR1 blocked but in sigsuspend: a signal that comes between the test and the wait is not missed) */
    sigset_t usr1, none;
    sigemptyset(&usr1);
    sigemptyset(&none);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, 0);
    put(p[1], 'r');
    while (!got_usr1) sigsuspend(&none);
    _exit(code);
  }
  get(p[0]);
  close(p[0]);
  close(p[1]);
  return pid;
}

/* Part 3: ATTACH to a running process, DETACH, and what is refused. */
static void part_three(void) {
  pid_t pid = usr1_waiter(3);
  printf("cont before attach: %s\n", ptrace(PTRACE_CONT, pid, 0, 0) == -1 ? strerror(errno) : "accepted");
  CHECKSYS(ptrace(PTRACE_ATTACH, pid, 0, 0));
  printf("attach twice: %s\n", ptrace(PTRACE_ATTACH, pid, 0, 0) == -1 ? strerror(errno) : "accepted");
  int st;
  wait_stop(pid, &st);
  printf("attached, stopped by %s\n", WSTOPSIG(st) == SIGSTOP ? "SIGSTOP" : "other");
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  int tracer_ok = 0;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "TracerPid:", 10)) tracer_ok = atoi(line + 10) == getpid();
  if (f) fclose(f);
  printf("TracerPid is the tracer: %d\n", tracer_ok);
  CHECKSYS(ptrace(PTRACE_DETACH, pid, 0, 0));
  printf("getregs after detach: %s\n", ptrace(PTRACE_GETREGS, pid, 0, &(struct user_regs_struct){0}) == -1 ? strerror(errno) : "accepted");
  kill(pid, SIGUSR1);
  waitpid(pid, &st, 0);
  printf("detached child exited with %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  printf("attach to itself: %s\n", ptrace(PTRACE_ATTACH, getpid(), 0, 0) == -1 ? strerror(errno) : "accepted");
  printf("attach to nobody: %s\n", ptrace(PTRACE_ATTACH, 999999, 0, 0) == -1 ? strerror(errno) : "accepted");
}

/* Part 4: a tracer that exits while its tracee is stopped for the attach's
 * SIGSTOP: the tracee goes on, the SIGSTOP dropped. */
static void part_four(void) {
  pid_t s = usr1_waiter(6);
  pid_t t = fork();
  if (t == 0) {
    CHECKSYS(ptrace(PTRACE_ATTACH, s, 0, 0));
    int st;
    waitpid(s, &st, __WALL);
    _exit(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP ? 0 : 1);
  }
  int st;
  waitpid(t, &st, 0);
  printf("tracer saw the attach stop and exited: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  kill(s, SIGUSR1);
  waitpid(s, &st, WUNTRACED);
  printf("its tracee then: %s %d\n", WIFSTOPPED(st) ? "stopped by" : WIFEXITED(st) ? "exited with" : "killed by",
         WIFSTOPPED(st) ? WSTOPSIG(st) : WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

int main(int argc, char **argv) {
  setvbuf(stdout, 0, _IONBF, 0);
  if (argc > 1 && !strcmp(argv[1], "exec")) {
    printf("exec'd: running\n");
    return 4;
  }
  part_one();
  part_two(argv[0]);
  part_three();
  part_four();
  return 0;
}
