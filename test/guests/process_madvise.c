/* process_madvise(2) and process_mrelease(2) through pidfds: the caller's
 * own ranges (MADV_DONTNEED drops pages), another process's (hints only,
 * CAP_SYS_NICE, ptrace read access), partial results, and the checks in
 * Linux's order. Differential (as root). */
#include "common.h"
#include <sys/mman.h>
#include <sys/uio.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease 448
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif

static const char *num(long r) {
  static char b[64];
  if (r < 0) snprintf(b, sizeof b, "-1 %s", errname(errno));
  else snprintf(b, sizeof b, "%ld", r);
  return b;
}
static long pm(int fd, struct iovec *v, size_t n, int adv, unsigned flags) {
  return syscall(SYS_process_madvise, fd, v, n, adv, flags);
}
static int pidfd(pid_t p) { return syscall(SYS_pidfd_open, p, 0); }

int main(void) {
  const long PG = 4096;
  char *m = mmap(0, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(m, 'x', 8 * PG);
  munmap(m + 6 * PG, PG); /* a hole at page 6 */
  int self = pidfd(getpid());
  struct iovec v[2] = { { m, 2 * PG }, { m + 4 * PG, PG } };
  say("own, DONTNEED, two ranges: %s\n", num(pm(self, v, 2, MADV_DONTNEED, 0)));
  say("dropped: %d %d, kept: %d\n", m[0] == 0, m[4 * PG] == 0, m[3 * PG] == 'x');
  say("own, COLD: %s\n", num(pm(self, v, 2, MADV_COLD, 0)));
  struct iovec hole[2] = { { m, PG }, { m + 5 * PG, 2 * PG } };
  say("second range over a hole: %s\n", num(pm(self, hole, 2, MADV_COLD, 0)));
  struct iovec first_hole[1] = { { m + 6 * PG, PG } };
  say("a hole first: %s\n", num(pm(self, first_hole, 1, MADV_COLD, 0)));
  struct iovec mis[1] = { { m + 1, PG } };
  say("misaligned: %s\n", num(pm(self, mis, 1, MADV_COLD, 0)));
  say("no ranges: %s\n", num(pm(self, v, 0, MADV_COLD, 0)));
  say("advice 999: %s\n", num(pm(self, v, 1, 999, 0)));
  say("flags 1: %s\n", num(pm(self, v, 1, MADV_COLD, 1)));
  say("1025 ranges: %s\n", num(pm(self, v, 1025, MADV_COLD, 0)));
  say("bad iovec pointer: %s\n", num(pm(self, (struct iovec *)8, 1, MADV_COLD, 0)));
  say("bad fd: %s\n", num(pm(99, v, 1, MADV_COLD, 0)));
  int p[2];
  if (pipe(p)) return 1;
  say("a pipe: %s\n", num(pm(p[0], v, 1, MADV_COLD, 0)));
  /* another process: the same memory layout (a fork) */
  pid_t c = fork();
  if (c == 0) {
    char ch;
    if (read(p[0], &ch, 1) < 0) _exit(1);
    _exit(m[3 * PG] == 'x' ? 0 : 2); /* its page 3 still there: only hints reached it */
  }
  int cfd = pidfd(c);
  struct iovec one[1] = { { m + 3 * PG, PG } };
  say("child, COLD: %s\n", num(pm(cfd, one, 1, MADV_COLD, 0)));
  say("child, DONTNEED: %s\n", num(pm(cfd, one, 1, MADV_DONTNEED, 0)));
  say("child, mrelease (alive): %s\n", num(syscall(SYS_process_mrelease, cfd, 0)));
  say("child, mrelease flags 1: %s\n", num(syscall(SYS_process_mrelease, cfd, 1)));
  say("mrelease of a pipe: %s\n", num(syscall(SYS_process_mrelease, p[0], 0)));
  /* an unprivileged process: no read access to root's child */
  pid_t u = fork();
  if (u == 0) {
    if (setresuid(65534, 65534, 65534)) _exit(3);
    say("nobody, child, COLD: %s\n", num(pm(cfd, one, 1, MADV_COLD, 0)));
    int own = pidfd(getpid());
    say("nobody, own, COLD: %s\n", num(pm(own, v, 1, MADV_COLD, 0)));
    _exit(0);
  }
  waitpid(u, 0, 0);
  if (write(p[1], "x", 1) != 1) return 1;
  siginfo_t si;
  waitid(P_PID, c, &si, WEXITED | WNOWAIT);
  say("child exited %d; a zombie: madvise %s", si.si_status, num(pm(cfd, one, 1, MADV_COLD, 0)));
  say(", mrelease %s\n", num(syscall(SYS_process_mrelease, cfd, 0)));
  waitpid(c, 0, 0);
  say("reaped: madvise %s\n", num(pm(cfd, one, 1, MADV_COLD, 0)));
  return 0;
}
