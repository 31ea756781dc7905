/* Signals at their edges, as a hostile-guest fuzzer found them against
 * Linux 6.18: rt_sigqueueinfo's rules (a siginfo only the kernel makes may
 * go to oneself only; permission between uids; the caller's si_pid, si_uid,
 * si_errno and 64-bit value delivered as given), the order of tkill's
 * errors, RLIMIT_SIGPENDING, SIGCHLD under SA_NOCLDWAIT with a handler and
 * its si_uid, the sa_flags rt_sigaction keeps, SA_RESETHAND resetting only
 * the handler, sigaltstack (modes, EPERM on the stack, SS_AUTODISARM),
 * signalfd_siginfo's layout and its fstat, a reaped child's pidfd polling
 * hung up, waitid's EINVALs and a PIDFD_NONBLOCK pidfd's EAGAIN, and a
 * POSIX timer firing every nanosecond. Output compared with the host
 * kernel's. */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

#define SAY1(label, call) do { long r_ = (call); say("%s: %s\n", label, res(r_)); } while (0)

static volatile siginfo_t got;
static volatile int hits;
static void on_info(int s, siginfo_t *si, void *uc) {
  (void)s;
  (void)uc;
  got = *si;
  hits++;
}

static void queueinfo(void) {
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_info;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  siginfo_t si = { 0 };
  si.si_signo = SIGUSR1;
  si.si_code = SI_QUEUE;
  si.si_pid = 12345;
  si.si_uid = 777;
  si.si_errno = 3;
  si.si_value.sival_ptr = (void *)0x1122334455667788UL;
  SAY1("rt_sigqueueinfo to itself", syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si));
  say("  delivered: pid %d uid %u errno %d code %d ptr %#lx\n", got.si_pid, got.si_uid, got.si_errno, got.si_code,
      (unsigned long)got.si_value.sival_ptr);
  si.si_code = 5; /* a kernel's code: to oneself only */
  SAY1("rt_sigqueueinfo of si_code 5 to itself", syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si));
  SAY1("rt_sigqueueinfo of si_code 5 to its parent", syscall(SYS_rt_sigqueueinfo, getppid(), 0, &si));
  si.si_code = SI_QUEUE;
  SAY1("rt_tgsigqueueinfo with tid 0", syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, SIGUSR1, &si));
  SAY1("rt_sigqueueinfo, signal 65, bad siginfo", syscall(SYS_rt_sigqueueinfo, getpid(), 65, (void *)8));
  SAY1("tkill of a thread that is not, signal 65", syscall(SYS_tkill, 999999, 65));
  pid_t parent = getpid(), pid = fork();
  if (pid == 0) {
    if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) _exit(3);
    long r = syscall(SYS_rt_sigqueueinfo, parent, 0, &si);
    _exit(r == -1 && errno == EPERM ? 0 : 1);
  }
  int st;
  waitpid(pid, &st, 0);
  say("rt_sigqueueinfo from uid 1000 to root's process: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "EPERM" : "allowed");
  signal(SIGUSR1, SIG_DFL);
}

static void sigpending_limit(void) {
  struct rlimit rl = { 50, 50 };
  setrlimit(RLIMIT_SIGPENDING, &rl);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGRTMIN + 3);
  sigprocmask(SIG_BLOCK, &m, NULL);
  int ok = 0, eagain = 0, other = 0;
  union sigval v = { 0 };
  for (int i = 0; i < 80; i++) {
    if (sigqueue(getpid(), SIGRTMIN + 3, v) == 0) ok++;
    else if (errno == EAGAIN) eagain++;
    else other++;
  }
  say("sigqueue 80 under RLIMIT_SIGPENDING 50: %s, EAGAIN %s, other errors %d\n", ok >= 40 && ok <= 50 ? "40 to 50 queued" : "not 40 to 50",
      eagain >= 30 ? "30 or more" : "fewer", other);
  signal(SIGRTMIN + 3, SIG_IGN); /* drops them all */
  sigprocmask(SIG_UNBLOCK, &m, NULL);
  signal(SIGRTMIN + 3, SIG_DFL);
  struct rlimit big = { RLIM_INFINITY, RLIM_INFINITY };
  setrlimit(RLIMIT_SIGPENDING, &big);
}

static void children(void) {
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_info;
  sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
  sigaction(SIGCHLD, &sa, NULL);
  hits = 0;
  pid_t pid = fork();
  if (pid == 0) {
    if (setresuid(4321, 4321, 4321)) _exit(9);
    _exit(7);
  }
  while (hits == 0) usleep(1000);
  long w = waitpid(pid, NULL, 0);
  int e = errno;
  say("SA_NOCLDWAIT with a handler: SIGCHLD %s, si_status %d, si_uid %u; waitpid then %s\n", hits ? "sent" : "not sent", got.si_status,
      got.si_uid, w < 0 ? errname(e) : "reaped it");
  signal(SIGCHLD, SIG_DFL);
  siginfo_t si;
  SAY1("waitid(P_PID, 0)", syscall(SYS_waitid, P_PID, 0, &si, WEXITED, NULL));
  SAY1("waitid(P_PIDFD, -1)", syscall(SYS_waitid, P_PIDFD, -1, &si, WEXITED, NULL));
  pid = fork();
  if (pid == 0) {
    usleep(200000);
    _exit(0);
  }
  int nb = (int)syscall(SYS_pidfd_open, pid, O_NONBLOCK);
  SAY1("waitid on a PIDFD_NONBLOCK pidfd of a running child", syscall(SYS_waitid, P_PIDFD, nb, &si, WEXITED, NULL));
  waitpid(pid, NULL, 0);
  close(nb);
  pid = fork();
  if (pid == 0) _exit(0);
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  waitpid(pid, NULL, 0);
  struct pollfd p = { pfd, POLLIN, 0 };
  poll(&p, 1, 1000);
  say("a reaped child's pidfd polls %#x\n", p.revents);
  close(pfd);
}

static void on_plain(int s) { (void)s; hits++; }
static void actions(void) {
  struct sigaction sa = { 0 }, old;
  sa.sa_handler = on_plain;
  sa.sa_flags = (int)0xffffffff & ~SA_SIGINFO;
  sigaction(SIGUSR2, &sa, NULL);
  sigaction(SIGUSR2, NULL, &old);
  say("sa_flags 0xfffffffb reads back %#x\n", (unsigned)old.sa_flags);
  sa.sa_flags = SA_RESETHAND | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  sigaction(SIGUSR2, NULL, &old);
  say("after a SA_RESETHAND handler: handler %s, flags %#x, SIGINT in the mask %d\n", old.sa_handler == SIG_DFL ? "SIG_DFL" : "kept",
      (unsigned)old.sa_flags & ~0x04000000u, sigismember(&old.sa_mask, SIGINT));
  signal(SIGUSR2, SIG_DFL);
}

static char altmem[65536];
static volatile int on_flags = -1, set_on = 0;
static void on_alt(int s) {
  (void)s;
  stack_t cur, n = { 0 };
  sigaltstack(NULL, &cur);
  on_flags = cur.ss_flags;
  n.ss_flags = SS_DISABLE;
  set_on = sigaltstack(&n, NULL) == 0 ? 0 : errno;
}
static void altstacks(void) {
  stack_t n = { altmem, SS_ONSTACK | SS_DISABLE, sizeof altmem }, o;
  SAY1("sigaltstack SS_ONSTACK|SS_DISABLE", sigaltstack(&n, NULL));
  n.ss_flags = 0;
  SAY1("sigaltstack of 1000 bytes", (n.ss_size = 1000, sigaltstack(&n, NULL)));
  n.ss_size = sizeof altmem;
  sigaltstack(&n, NULL);
  struct sigaction sa = { 0 };
  sa.sa_handler = on_alt;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  sigaltstack(NULL, &o);
  say("on the stack: flags %d, disabling it there: %s; after: flags %d\n", on_flags, set_on ? errname(set_on) : "OK", o.ss_flags);
  n.ss_flags = (int)SS_AUTODISARM;
  sigaltstack(&n, NULL);
  raise(SIGUSR2);
  sigaltstack(NULL, &o);
  say("SS_AUTODISARM: in the handler flags %#x, disabling it there: %s; after: flags %#x size %zu\n", (unsigned)on_flags,
      set_on ? errname(set_on) : "OK", (unsigned)o.ss_flags, o.ss_size);
  n.ss_flags = SS_DISABLE;
  sigaltstack(&n, NULL);
  signal(SIGUSR2, SIG_DFL);
}

static void sfd(void) {
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGRTMIN + 4);
  sigprocmask(SIG_BLOCK, &m, NULL);
  int fd = signalfd(-1, &m, 0);
  union sigval v;
  v.sival_ptr = (void *)0x1122334455667788UL;
  sigqueue(getpid(), SIGRTMIN + 4, v);
  struct signalfd_siginfo s;
  struct stat sb;
  fstat(fd, &sb);
  say("signalfd's fstat mode %o\n", (unsigned)sb.st_mode);
  long n = read(fd, &s, sizeof s);
  say("signalfd: %ld bytes, ssi_int %#x ssi_ptr %#llx ssi_status %d ssi_overrun %u\n", n, (unsigned)s.ssi_int,
      (unsigned long long)s.ssi_ptr, s.ssi_status, s.ssi_overrun);
  close(fd);
  sigprocmask(SIG_UNBLOCK, &m, NULL);
}

static void fast_timer(void) {
  timer_t t;
  struct sigevent ev = { 0 };
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigprocmask(SIG_BLOCK, &m, NULL);
  timer_create(CLOCK_MONOTONIC, &ev, &t);
  struct itimerspec its = { { 0, 1 }, { 0, 1 } };
  timer_settime(t, 0, &its, NULL);
  usleep(200000);
  timer_delete(t);
  say("a timer every nanosecond for 0.2 s: the process went on\n");
}

int main(void) {
  queueinfo();
  sigpending_limit();
  children();
  actions();
  altstacks();
  sfd();
  fast_timer();
  return 0;
}
