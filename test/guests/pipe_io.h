/* Shared by the guests that hand bytes between threads or processes over
 * pipes (after common.h): end with the call and errno that failed, make a
 * pipe, put and get one byte whatever signals interrupt. */
#include <stdlib.h>

__attribute__((unused, noreturn)) static void die(const char *what, int e) {
  say("%s: %s\n", what, errname(e));
  exit(1);
}
/* a call that returns an error number (pthread_*), or -1 and errno */
#define CHECK(call) do { int e_ = (call); if (e_) die(#call, e_); } while (0)
#define CHECKSYS(call) do { if ((call) < 0) die(#call, errno); } while (0)

__attribute__((unused)) static void xpipe(int p[2]) { CHECKSYS(pipe(p)); }
__attribute__((unused)) static void put(int fd, char c) {
  while (write(fd, &c, 1) != 1)
    if (errno != EINTR) die("write", errno);
}
__attribute__((unused)) static char get(int fd) {
  char c;
  for (;;) {
    long n = read(fd, &c, 1);
    if (n == 1) return c;
    if (n == 0) die("read: EOF", 0);
    if (errno != EINTR) die("read", errno);
  }
}
