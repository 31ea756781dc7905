/* TCP urgent data and file owners, as Linux: send MSG_OOB marks its last
 * byte urgent; the reader's owner (fcntl F_SETOWN) gets SIGURG and poll
 * says POLLPRI; reads stop at the mark (SIOCATMARK) and skip the byte
 * unless SO_OOBINLINE; recv MSG_OOB takes it (EINVAL when there is none);
 * a newer mark replaces an older one. fcntl's owner commands: F_SETOWN,
 * F_GETOWN, F_SETOWN_EX, F_GETOWN_EX, F_SETSIG, F_GETSIG and their errors
 * (the old build said EINVAL to all of them, and EINVAL to MSG_OOB). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int urgs;
static void onurg(int s) { (void)s; urgs++; }

static const char *en(int e) {
  switch (e) {
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case ESRCH: return "ESRCH";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENOTCONN: return "ENOTCONN";
    case EFAULT: return "EFAULT";
  }
  static char b[16];
  snprintf(b, sizeof b, "errno %d", e);
  return b;
}
static int srv, cli;
static void rd(const char *what, int flags) {
  char b[16] = {0};
  ssize_t n = recv(srv, b, sizeof b - 1, flags | MSG_DONTWAIT);
  if (n < 0) printf("%-36s %s\n", what, en(errno));
  else printf("%-36s %zd \"%s\"\n", what, n, b);
}
static void mark(const char *when) {
  int m = -1;
  ioctl(srv, SIOCATMARK, &m);
  int q = -1;
  ioctl(srv, FIONREAD, &q);
  struct pollfd p = {srv, POLLIN | POLLPRI, 0};
  poll(&p, 1, 0);
  printf("%-36s atmark %d, inq %d, poll%s%s, SIGURG so far %d\n", when, m, q, p.revents & POLLIN ? " IN" : "",
         p.revents & POLLPRI ? " PRI" : "", urgs);
}
static void sendit(const char *s, int flags) {
  if (send(cli, s, strlen(s), flags) != (ssize_t)strlen(s)) printf("send: %s\n", en(errno));
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  signal(SIGURG, onurg);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  bind(l, (void *)&a, sizeof a);
  listen(l, 1);
  getsockname(l, (void *)&a, &al);
  cli = socket(AF_INET, SOCK_STREAM, 0);
  connect(cli, (void *)&a, sizeof a);
  srv = accept(l, 0, 0);
  int one = 1;
  setsockopt(cli, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);

  /* owners */
  struct f_owner_ex ox;
  printf("a new socket: F_GETOWN %d", fcntl(srv, F_GETOWN));
  fcntl(srv, F_GETOWN_EX, &ox);
  printf(", F_GETOWN_EX type %d pid %d, F_GETSIG %d\n", ox.type, ox.pid, fcntl(srv, F_GETSIG));
  printf("F_SETOWN of a pid nobody has: %s\n", fcntl(srv, F_SETOWN, 999999) < 0 ? en(errno) : "0");
  int r = fcntl(srv, F_SETOWN, -getpgrp());
  printf("F_SETOWN -pgrp: %d, F_GETOWN is -pgrp: %d", r, fcntl(srv, F_GETOWN) == -getpgrp());
  fcntl(srv, F_GETOWN_EX, &ox);
  printf(", F_GETOWN_EX type %d, is pgrp %d\n", ox.type, ox.pid == getpgrp());
  ox.type = F_OWNER_TID;
  ox.pid = syscall(SYS_gettid);
  r = fcntl(srv, F_SETOWN_EX, &ox);
  printf("F_SETOWN_EX F_OWNER_TID: %d", r);
  fcntl(srv, F_GETOWN_EX, &ox);
  printf(", back: type %d, is tid %d\n", ox.type, ox.pid == syscall(SYS_gettid));
  ox.type = 5;
  printf("F_SETOWN_EX type 5: %s\n", fcntl(srv, F_SETOWN_EX, &ox) < 0 ? en(errno) : "0");
  printf("F_SETOWN_EX bad pointer: %s\n", fcntl(srv, F_SETOWN_EX, (void *)8) < 0 ? en(errno) : "0");
  printf("F_SETSIG 65: %s; ", fcntl(srv, F_SETSIG, 65) < 0 ? en(errno) : "0");
  r = fcntl(srv, F_SETSIG, SIGRTMIN + 1);
  printf("F_SETSIG SIGRTMIN+1: %d, F_GETSIG is it: %d\n", r, fcntl(srv, F_GETSIG) == SIGRTMIN + 1);
  fcntl(srv, F_SETSIG, 0);
  r = fcntl(srv, F_SETOWN, getpid());
  printf("F_SETOWN getpid: %d, F_GETOWN is pid: %d\n", r, fcntl(srv, F_GETOWN) == getpid());

  /* urgent data */
  rd("recv MSG_OOB with none", MSG_OOB);
  sendit("abc", MSG_OOB);
  mark("after \"abc\" MSG_OOB:");
  rd("recv", 0);
  mark("after reading up to the mark:");
  rd("recv MSG_OOB | MSG_PEEK", MSG_OOB | MSG_PEEK);
  rd("recv MSG_OOB", MSG_OOB);
  rd("recv MSG_OOB again", MSG_OOB);
  mark("after the urgent byte:");
  sendit("de", 0);
  rd("recv (the mark is skipped)", 0);
  mark("then:");
  sendit("x", MSG_OOB);
  sendit("yz", 0);
  mark("after \"x\" MSG_OOB, \"yz\":");
  rd("recv MSG_PEEK", MSG_PEEK);
  rd("recv", 0);
  rd("recv MSG_OOB (passed)", MSG_OOB);
  sendit("p", MSG_OOB);
  sendit("q", MSG_OOB);
  mark("after \"p\" and \"q\" MSG_OOB:");
  rd("recv MSG_OOB", MSG_OOB);
  rd("recv", 0);
  sendit("12", MSG_OOB);
  sendit("3", 0);
  rd("recv", 0);
  mark("at the mark:");
  setsockopt(srv, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one);
  rd("SO_OOBINLINE: recv MSG_OOB", MSG_OOB);
  rd("SO_OOBINLINE: recv", 0);
  sendit("45", MSG_OOB);
  sendit("6", 0);
  mark("SO_OOBINLINE, after \"45\" MSG_OOB, \"6\":");
  rd("recv", 0);
  mark("then:");
  rd("recv", 0);
  mark("then:");
  fcntl(srv, F_SETOWN, 0);
  sendit("7", MSG_OOB);
  mark("no owner, after \"7\" MSG_OOB:");
  rd("recv", 0);
  int u[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, u);
  printf("AF_UNIX datagram MSG_OOB: %s\n", send(u[0], "z", 1, MSG_OOB) < 0 ? en(errno) : "sent");
  return 0;
}
