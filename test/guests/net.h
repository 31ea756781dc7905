/* Shared by the socket guests (net_*.c): errno names for the network errors
 * and one-line reporting helpers. Every line prints a fact that is the same
 * on every run natively: never a pid, a port, an fd number or a time. */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <time.h>

__attribute__((unused)) static const char *nerr(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(ENOTSOCK) E(EDESTADDRREQ) E(EMSGSIZE) E(EPROTOTYPE) E(ENOPROTOOPT)
    E(EPROTONOSUPPORT) E(ESOCKTNOSUPPORT) E(EPFNOSUPPORT) E(EAFNOSUPPORT)
    E(EADDRINUSE) E(EADDRNOTAVAIL) E(ENETDOWN) E(ENETUNREACH) E(ECONNABORTED)
    E(ECONNRESET) E(ENOBUFS) E(EISCONN) E(ESHUTDOWN) E(ETIMEDOUT)
    E(ECONNREFUSED) E(EHOSTUNREACH) E(EALREADY) E(EINPROGRESS) E(EDOM)
#undef E
  }
  return errname(e);
}

/* "OK" for a non-negative result, the errno name otherwise. */
__attribute__((unused)) static const char *nres(long r) {
  return r < 0 ? nerr(errno) : "OK";
}

/* label: OK | label: ERRNO */
#define T(label, expr) do { errno = 0; long t_r_ = (long)(expr); say("%s: %s\n", (label), nres(t_r_)); } while (0)
/* label: VALUE | label: -1 ERRNO */
#define V(label, expr) do { errno = 0; long v_r_ = (long)(expr); \
  if (v_r_ < 0) say("%s: -1 %s\n", (label), nerr(errno)); else say("%s: %ld\n", (label), v_r_); } while (0)

__attribute__((unused)) static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

__attribute__((unused)) static void describe_status(const char *what, int st) {
  if (WIFEXITED(st)) say("%s: exit %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) say("%s: signal %d\n", what, WTERMSIG(st));
  else say("%s: status %#x\n", what, st);
}

__attribute__((unused)) static void reap(const char *what, pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid) {
    say("%s: waitpid %s\n", what, nerr(errno));
    return;
  }
  describe_status(what, st);
}

/* An int socket option: its value, or -1 ERRNO. */
__attribute__((unused)) static long getopt_int(int fd, int level, int name) {
  int v = -12345;
  socklen_t len = sizeof v;
  if (getsockopt(fd, level, name, &v, &len) < 0) return -1;
  if (len != sizeof v) return -2;
  return v;
}
__attribute__((unused)) static int setopt_int(int fd, int level, int name, int v) {
  return setsockopt(fd, level, name, &v, sizeof v);
}

__attribute__((unused)) static int fd_nonblock(int fd) { return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }
__attribute__((unused)) static int fd_cloexec(int fd) { return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }
__attribute__((unused)) static void set_nonblock(int fd, int on) {
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* poll one fd for `events` with a timeout; returns revents (or -1). */
__attribute__((unused)) static int poll1(int fd, int events, int ms) {
  struct pollfd p = {fd, (short)events, 0};
  int n = poll(&p, 1, ms);
  if (n < 0) return -1;
  return p.revents;
}

/* Read exactly n bytes (or until EOF/error); returns the count read. */
__attribute__((unused)) static long read_full(int fd, void *buf, long n) {
  long got = 0;
  while (got < n) {
    long r = read(fd, (char *)buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += r;
  }
  return got;
}
__attribute__((unused)) static long write_full(int fd, const void *buf, long n) {
  long put = 0;
  while (put < n) {
    long r = write(fd, (const char *)buf + put, n - put);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    put += r;
  }
  return put;
}
