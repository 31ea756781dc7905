/* Signals: SA_SIGINFO fields, FPU/SSE state preserved across a handler,
 * sigaltstack, SIGSEGV si_addr/si_code, masks and pending, nested handlers,
 * SA_RESETHAND, SA_NODEFER, sigsuspend, sigtimedwait, EINTR vs SA_RESTART. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <unistd.h>
#include <errno.h>
#include <time.h>
#include <sys/wait.h>

static volatile int got, code, depth, maxdepth, count;
static volatile void *addr;
static sigjmp_buf jb;

static void h_info(int s, siginfo_t *si, void *uc) { got = s; code = si->si_code; (void)uc; }
static void h_segv(int s, siginfo_t *si, void *uc) { (void)s; (void)uc; addr = si->si_addr; code = si->si_code; siglongjmp(jb, 1); }
static void h_clobber(int s) {
  (void)s;
  /* trash the vector registers; the interrupted code must not notice */
  __asm__ volatile("pxor %%xmm0, %%xmm0\n pcmpeqd %%xmm1, %%xmm1\n" ::: "xmm0", "xmm1");
  got = s;
}
static void h_nest(int s) {
  depth++;
  if (depth > maxdepth) maxdepth = depth;
  if (s == SIGUSR1) raise(SIGUSR2);
  depth--;
}
static void h_count(int s) { (void)s; count++; }
static const char *en(int e) { return e == EINTR ? "EINTR" : e == EAGAIN ? "EAGAIN" : e == 0 ? "0" : strerror(e); }

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = h_info;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, 0);
  raise(SIGUSR1);
  printf("raise: sig=%d code=%d\n", got, code);
  union sigval v = { .sival_int = 42 };
  sigqueue(getpid(), SIGUSR1, v);
  printf("sigqueue: sig=%d code=%d\n", got, code);

  /* xmm registers survive a handler that clobbers them */
  signal(SIGUSR2, h_clobber);
  double a = 1.25, b;
  __asm__ volatile("movsd %1, %%xmm0\n movq %%rax, %%rax\n" : "=m"(b) : "m"(a) : "xmm0");
  unsigned long long before, after;
  __asm__ volatile("movq $0x1122334455667788, %%rax\n movq %%rax, %%xmm5\n" ::: "rax", "xmm5");
  raise(SIGUSR2);
  __asm__ volatile("movq %%xmm5, %0\n" : "=r"(after));
  before = 0x1122334455667788ULL;
  printf("xmm5 preserved: %d (handler ran: %d)\n", before == after, got == SIGUSR2);

  /* SIGSEGV on an alternate stack, with si_addr and si_code */
  stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0 };
  sigaltstack(&ss, 0);
  sa.sa_sigaction = h_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &sa, 0);
  if (!sigsetjmp(jb, 1)) *(volatile int *)0x1234 = 5;
  printf("segv unmapped: addr=%p code=%d\n", addr, code);
  if (!sigsetjmp(jb, 1)) *(volatile int *)(void *)main = 5;
  printf("segv readonly: code=%d\n", code);

  /* masks and pending */
  sigset_t m, p;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigprocmask(SIG_BLOCK, &m, 0);
  sa.sa_sigaction = h_info;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, 0);
  got = 0;
  raise(SIGUSR1);
  sigpending(&p);
  printf("blocked: got=%d pending=%d\n", got, sigismember(&p, SIGUSR1));
  sigprocmask(SIG_UNBLOCK, &m, 0);
  printf("unblocked: got=%d\n", got);

  /* nesting: USR1's handler raises USR2, which runs inside it */
  signal(SIGUSR1, h_nest);
  signal(SIGUSR2, h_nest);
  raise(SIGUSR1);
  printf("nested depth: %d\n", maxdepth);

  /* SA_RESETHAND: second delivery takes the default (ignored for SIGWINCH, so no death) */
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = h_count;
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGWINCH, &sa, 0);
  raise(SIGWINCH);
  raise(SIGWINCH);
  struct sigaction cur;
  sigaction(SIGWINCH, 0, &cur);
  printf("resethand: count=%d now default=%d\n", count, cur.sa_handler == SIG_DFL);

  /* sigsuspend returns -1/EINTR after the handler */
  sigprocmask(SIG_BLOCK, &m, 0);
  pid_t c = fork();
  if (c == 0) {
    usleep(50000);
    kill(getppid(), SIGUSR1);
    _exit(0);
  }
  signal(SIGUSR1, h_count);
  sigset_t none;
  sigemptyset(&none);
  count = 0;
  int r = sigsuspend(&none);
  printf("sigsuspend: r=%d errno=%s count=%d\n", r, en(errno), count);
  waitpid(c, 0, 0);

  /* sigtimedwait takes a blocked signal; times out with EAGAIN */
  raise(SIGUSR1);
  siginfo_t si;
  struct timespec ts = { 0, 100000000 };
  r = sigtimedwait(&m, &si, &ts);
  printf("sigtimedwait: r=%d signo=%d code=%d\n", r, si.si_signo, si.si_code);
  errno = 0;
  r = sigtimedwait(&m, &si, &ts);
  printf("sigtimedwait empty: r=%d errno=%s\n", r, en(errno));
  sigprocmask(SIG_UNBLOCK, &m, 0);

  /* EINTR vs restart: waitpid interrupted by a handler without / with SA_RESTART */
  for (int restart = 0; restart < 2; restart++) {
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_count;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGUSR2, &sa, 0);
    pid_t parent = getpid();
    c = fork();
    if (c == 0) {
      usleep(50000);
      kill(parent, SIGUSR2);
      usleep(50000);
      _exit(7);
    }
    int st = 0;
    errno = 0;
    r = waitpid(c, &st, 0);
    printf("waitpid %s: r==child %d errno=%s\n", restart ? "SA_RESTART" : "no restart", r == c, en(errno));
    if (r != c) waitpid(c, &st, 0);
  }
  /* nanosleep is never restarted after a handler: EINTR with the remaining time */
  c = fork();
  if (c == 0) {
    usleep(50000);
    kill(getppid(), SIGUSR2);
    _exit(0);
  }
  struct timespec req = { 2, 0 }, rem = { 0, 0 };
  r = nanosleep(&req, &rem);
  printf("nanosleep: r=%d errno=%s rem>1s: %d\n", r, en(errno), rem.tv_sec >= 1);
  waitpid(c, 0, 0);
  return 0;
}
