/* TCP connects to a listener whose accept queue is full (backlog 1: two
 * connections fit, sk_acceptq_is_full): the SYN is dropped, and the
 * connect waits in SYN_SENT (Linux retransmits the SYN; umlts joins it to
 * the queue as accept makes room) instead of being refused:
 *  - a non-blocking connect says EINPROGRESS, is not writable (TCP_INFO's
 *    state SYN_SENT) until an accept makes room, then is connected;
 *  - a blocking connect waits for the next accept after that;
 *  - shutdown of a socket in SYN_SENT disconnects it (tcp_disconnect): a
 *    connect asleep on it gets ECONNRESET; connect(AF_UNSPEC) too; either
 *    may connect again;
 *  - a listen() with a larger backlog lets a waiting connect in;
 *  - closing the listener refuses whoever still waits (ECONNREFUSED).
 * Natively this takes a few seconds (the SYN's retransmissions). */
#define _GNU_SOURCE
#include "asleep.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct sockaddr_in sa;
static int lfd;
static int blockingResult = -99, blockingErr;

static int writable(int fd, int ms) {
  struct pollfd p = {fd, POLLOUT | POLLIN | POLLRDHUP, 0};
  int n = poll(&p, 1, ms);
  return n > 0 ? p.revents : 0;
}
static int soError(int fd) {
  int e = -1;
  socklen_t l = sizeof e;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
  return e;
}
static int tcpState(int fd) {
  struct tcp_info ti;
  socklen_t l = sizeof ti;
  memset(&ti, 0, sizeof ti);
  getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l);
  return ti.tcpi_state;
}
static int nbConnect(const char *name) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int r = connect(fd, (void *)&sa, sizeof sa);
  printf("%s: non-blocking connect %d %s\n", name, r, r < 0 ? strerror(errno) : "");
  return fd;
}
static pid_t callerTid;
static volatile int started;
/* wait until the calling thread sleeps in its call, then a little longer */
static void waitAsleep(void) {
  while (!started) usleep(1000);
  wait_asleep(callerTid);
}
static int gfd, gResult = -99, gErr;
static void *connectG(void *a) {
  callerTid = syscall(SYS_gettid);
  started = 1;
  gResult = connect(gfd, (void *)&sa, sizeof sa);
  gErr = errno;
  return a;
}
static void *blockingConnect(void *a) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  blockingResult = connect(fd, (void *)&sa, sizeof sa);
  blockingErr = errno;
  return a;
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  lfd = socket(AF_INET, SOCK_STREAM, 0);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof sa;
  bind(lfd, (void *)&sa, sl);
  getsockname(lfd, (void *)&sa, &sl);
  listen(lfd, 1);

  int a = nbConnect("a"), b = nbConnect("b");
  printf("a and b connected: %d %d\n", writable(a, 3000) == POLLOUT && soError(a) == 0,
         writable(b, 3000) == POLLOUT && soError(b) == 0);
  int c = nbConnect("c (the queue is full)");
  int rev = writable(c, 300), st = tcpState(c);
  int again = connect(c, (void *)&sa, sizeof sa);
  printf("c after 300 ms: revents %#x, state %d (SYN_SENT is 2), a second connect: %d %s\n", rev, st, again, strerror(errno));

  pthread_t th;
  pthread_create(&th, 0, blockingConnect, 0);
  usleep(200000);
  printf("d (blocking) still waits: %d\n", blockingResult == -99);

  int x = accept(lfd, 0, 0);
  printf("accepted one: %d\n", x >= 0);
  int cConnected = !!(writable(c, 5000) & POLLOUT) && soError(c) == 0;
  again = connect(c, (void *)&sa, sizeof sa);
  int third = connect(c, (void *)&sa, sizeof sa);
  printf("c once there is room: connected %d, a connect now: %d, and then: %d %s\n", cConnected, again, third, strerror(errno));
  printf("d still waits (the queue is full again): %d\n", blockingResult == -99);
  int y = accept(lfd, 0, 0);
  printf("accepted another: %d\n", y >= 0);
  pthread_join(th, 0);
  printf("d: connect %d %s\n", blockingResult, blockingResult < 0 ? strerror(blockingErr) : "");

  gfd = socket(AF_INET, SOCK_STREAM, 0);
  pthread_create(&th, 0, connectG, 0);
  waitAsleep();
  int sh = shutdown(gfd, SHUT_RDWR);
  printf("g (blocking, the queue full): shutdown while it waits: %d, state %d\n", sh, tcpState(gfd));
  pthread_join(th, 0);
  printf("  its connect: %d %s\n", gResult, gResult < 0 ? strerror(gErr) : "");
  close(gfd);

  int h = nbConnect("h (the queue is full)");
  struct sockaddr unspec = {AF_UNSPEC};
  int u = connect(h, &unspec, sizeof unspec);
  printf("h: connect(AF_UNSPEC) %d, state %d, SO_ERROR %s\n", u, tcpState(h), strerror(soError(h)));
  close(h);

  int i = nbConnect("i (the queue is full)");
  printf("i: listen with a larger backlog: %d\n", listen(lfd, 8));
  printf("i then: connected %d\n", !!(writable(i, 5000) & POLLOUT) && soError(i) == 0 && tcpState(i) == 1);

  int fill[8];
  for (int k = 0; k < 8; k++) fill[k] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), connect(fill[k], (void *)&sa, sizeof sa);
  int e = nbConnect("e (the queue is full)");
  close(lfd);
  rev = writable(e, 5000);
  printf("e after the listener closed: revents %#x, SO_ERROR %s\n", rev, strerror(soError(e)));
  struct sockaddr_in none = sa;
  none.sin_port = htons(ntohs(sa.sin_port) ^ 1);
  int f = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int r = connect(f, (void *)&none, sizeof none);
  int ferr = errno;
  struct pollfd pf = {f, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0};
  poll(&pf, 1, 5000);
  printf("f (nobody listens): connect %d %s, revents %#x, SO_ERROR %s\n", r, strerror(ferr), pf.revents, strerror(soError(f)));
  return 0;
}
