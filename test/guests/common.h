/* Shared by the differential guests: output without malloc (so brk and the
 * address space only change where a test means them to) and errno names. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
/* mremap as the kernel takes it: glibc's wrapper passes a fifth argument only with MREMAP_FIXED */
__attribute__((unused)) static long remap(void *old, long oldlen, long newlen, long flags, long newaddr) {
  return syscall(SYS_mremap, old, oldlen, newlen, flags, newaddr);
}

/* Stop and continue child pid three times (100 ms apart, 30 ms stopped), then reap it: its exit status, or 3 if a
 * signal ended it. (Tests of sleeps that a stop must not lengthen.) */
__attribute__((unused)) static int stop_and_continue(int pid) {
  for (int i = 0; i < 3; i++) {
    usleep(100000);
    kill(pid, SIGSTOP);
    usleep(30000);
    kill(pid, SIGCONT);
  }
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 3;
}

__attribute__((unused, format(printf, 1, 2))) static void say(const char *fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 1) n = sizeof buf - 1;
  (void)!write(1, buf, n);
}

__attribute__((unused)) static const char *errname(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC)
    E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY)
    E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE)
    E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS)
    E(EMLINK) E(EPIPE) E(ERANGE) E(ENAMETOOLONG) E(ENOSYS) E(ENOTEMPTY)
    E(ELOOP) E(EOVERFLOW) E(EOPNOTSUPP) E(ENOTCONN)
#undef E
  }
  static char other[32];
  snprintf(other, sizeof other, "errno%d", e);
  return other;
}

/* "OK" for a non-negative result, the errno name otherwise. */
__attribute__((unused)) static const char *res(long r) {
  return r < 0 ? errname(errno) : "OK";
}
