/* TCP connects to a listener whose accept queue is full (backlog 1: two
 * connections fit, sk_acceptq_is_full): the SYN is dropped, and the
 * connect waits in SYN_SENT (Linux retransmits the SYN; umlts joins it to
 * the queue as accept makes room) instead of being refused:
 *  - a non-blocking connect says EINPROGRESS, is not writable (TCP_INFO's
 *    state SYN_SENT) until an accept makes room, then is connected;
 *  - a blocking connect waits for the next accept after that;
 *  - closing the listener refuses whoever still waits (ECONNREFUSED).
 * Natively this takes a few seconds (the SYN's retransmissions). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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
