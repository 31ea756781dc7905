/* Buffers past user space and faulting iovecs (import_iovec's and
 * import_ubuf's access_ok: EFAULT before anything moves; pipe_write keeps no
 * part of a page whose copy faulted). */
#include "common.h"
#include <sys/uio.h>
#include <sys/socket.h>
#include <fcntl.h>

#define SAY1(what, call) do { errno = 0; long r_ = (call); say("%s: %ld %s\n", what, r_ < 0 ? -1L : r_, res(r_)); } while (0)

int main(void) {
  int p[2];
  (void)!pipe(p);
  int null = open("/dev/null", O_WRONLY);
  struct iovec kern[2] = {{"hello", 5}, {(void *)0xffff888000000000UL, 5}};
  struct iovec unmapped[2] = {{"hello", 5}, {(void *)0x10, 5}};
  struct iovec straddle[2] = {{"hello", 5}, {(void *)0x7ffffffff000UL, 0x2000}};
  struct iovec neg[2] = {{(void *)0xffff888000000000UL, 5}, {"x", (size_t)-1}};
  SAY1("writev kernel-range second", writev(p[1], kern, 2));
  SAY1("writev unmapped second, to a pipe", writev(p[1], unmapped, 2));
  SAY1("writev straddling the top", writev(p[1], straddle, 2));
  SAY1("writev EINVAL before EFAULT", writev(p[1], neg, 2));
  SAY1("writev unmapped second, to /dev/null", writev(null, unmapped, 2));
  unsigned long edges[][2] = {{0xffff888000000000UL, 0}, {0x7ffffffff000UL, 0}, {0x7fffffffefffUL, 1}, {0x7fffffffe000UL, 0x1000},
                              {0x7fffffffe000UL, 0x1001}, {0x7ffffffff000UL, 1}, {0x800000000000UL, 0}};
  for (int i = 0; i < 7; i++) {
    struct iovec v[2] = {{"hello", 5}, {(void *)edges[i][0], edges[i][1]}};
    char what[64];
    snprintf(what, sizeof what, "writev /dev/null %lx+%lx", edges[i][0], edges[i][1]);
    SAY1(what, writev(null, v, 2));
  }
  /* a page written whole, the next one faulting: the first stays in the pipe */
  static char big[8192] __attribute__((aligned(4096)));
  memset(big, 'a', sizeof big);
  struct iovec two[2] = {{big, 4096 + 100}, {(void *)0x10, 10}};
  SAY1("writev a page and a fault, to a pipe", writev(p[1], two, 2));
  char buf[16384];
  SAY1("what the pipe holds", read(p[0], buf, sizeof buf));
  (void)!write(p[1], "data", 4);
  SAY1("read into a kernel address", read(p[0], (void *)0xffff888000000000UL, 4));
  SAY1("the data is still there", read(p[0], buf, sizeof buf));
  struct iovec rk[2] = {{buf, 2}, {(void *)0xffff888000000000UL, 2}};
  (void)!write(p[1], "more", 4);
  SAY1("readv kernel-range second", readv(p[0], rk, 2));
  SAY1("and the data stays", read(p[0], buf, sizeof buf));
  SAY1("write from a kernel address", write(p[1], (void *)0xffff888000000000UL, 4));
  SAY1("write, bad fd and bad buffer", write(999, (void *)0xffff888000000000UL, 4));
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  SAY1("sendto, bad fd and bad buffer", sendto(999, (void *)0xffff888000000000UL, 4, 0, NULL, 0));
  SAY1("recvfrom, bad fd and bad buffer", recvfrom(999, (void *)0xffff888000000000UL, 4, 0, NULL, NULL));
  SAY1("send from a kernel address", send(sv[0], (void *)0xffff888000000000UL, 4, 0));
  return 0;
}
