/* Sockets, the corners left after the first pass (issue 10's gaps), one
 * part per argv[1]:
 *   mmsg     sendmmsg blocks on each message as Linux does; recvmmsg blocks
 *            for each datagram (unless MSG_WAITFORONE) and checks its
 *            timeout only after each one (recvmmsg(2), BUGS), writing back
 *            what is left of it;
 *   sigpipe  sendfile and splice to a socket whose peer closed: EPIPE and
 *            SIGPIPE (unix stream and TCP);
 *   cmsg     recvmsg's IP control messages on a UDP socket (IP_PKTINFO,
 *            IP_TTL, SO_TIMESTAMP): run natively and under --net host, where
 *            the socket is the host's and its control data must come through;
 *   udplite  /proc/net/udplite and udplite6 exist with the header line;
 *   bulk     a blocking TCP writer 16 MiB ahead of a late reader (run under
 *            --net host too: a send the host takes in part must wake the
 *            writer when there is room).
 * Every line is a fact that is the same on every run natively (times only
 * as "at least" or "less than" with wide margins). */
#define _GNU_SOURCE
#include "net.h"
#include <netinet/in.h>
#include <netinet/ip.h>
#include <arpa/inet.h>
#include <sys/sendfile.h>
#include <sys/time.h>

static volatile int sigpipes;
static void on_pipe(int s) { (void)s; sigpipes++; }

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A UDP socket on 127.0.0.1, bound to a port of its own; its address in sa. */
static int udp_bound(struct sockaddr_in *sa) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)sa, sizeof *sa) < 0) say("bind: %s\n", nerr(errno));
  socklen_t l = sizeof *sa;
  getsockname(s, (struct sockaddr *)sa, &l);
  return s;
}

/* A connected TCP pair over 127.0.0.1. */
static void tcp_pair(int *cl, int *sv) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int l = socket(AF_INET, SOCK_STREAM, 0);
  bind(l, (struct sockaddr *)&sa, sizeof sa);
  listen(l, 1);
  socklen_t n = sizeof sa;
  getsockname(l, (struct sockaddr *)&sa, &n);
  *cl = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(*cl, (struct sockaddr *)&sa, sizeof sa) < 0) say("connect: %s\n", nerr(errno));
  *sv = accept(l, NULL, NULL);
  close(l);
}

static void part_mmsg(void) {
  /* sendmmsg on a blocking stream: three 64 KiB messages into a socket
   * buffer far smaller; a child drains it after a while. Linux sends all
   * three, waiting for room in each. */
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  int small = 4096;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  pid_t p = fork();
  if (p == 0) {
    close(sv[0]);
    msleep(200);
    static char b[65536];
    long got = 0;
    ssize_t r;
    while ((r = read(sv[1], b, sizeof b)) > 0) got += r;
    say("child read %ld bytes\n", got);
    _exit(0);
  }
  close(sv[1]);
  static char big[3][65536];
  struct mmsghdr mm[3];
  struct iovec iov[3];
  memset(mm, 0, sizeof mm);
  for (int i = 0; i < 3; i++) {
    memset(big[i], 'a' + i, sizeof big[i]);
    iov[i].iov_base = big[i];
    iov[i].iov_len = sizeof big[i];
    mm[i].msg_hdr.msg_iov = &iov[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  int n = sendmmsg(sv[0], mm, 3, 0);
  say("sendmmsg blocking stream: %d, lens %u %u %u\n", n, mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
  close(sv[0]);
  reap("reader", p);

  /* The same with MSG_DONTWAIT: the first message goes in part, and the
   * call stops there (msg_data_left). */
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  memset(mm, 0, sizeof mm);
  for (int i = 0; i < 3; i++) {
    mm[i].msg_hdr.msg_iov = &iov[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  n = sendmmsg(sv[0], mm, 3, MSG_DONTWAIT);
  say("sendmmsg MSG_DONTWAIT stream: %d, first partial %d, second untouched %d\n", n,
      mm[0].msg_len > 0 && mm[0].msg_len < 65536, mm[1].msg_len == 0);
  close(sv[0]);
  close(sv[1]);

  /* recvmmsg on a blocking UDP socket: two datagrams wait, the third comes
   * 300 ms later. Without MSG_WAITFORONE the call waits for it, although
   * its 50 ms timeout passed meanwhile (checked only after a datagram). */
  struct sockaddr_in a;
  int r = udp_bound(&a);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  connect(s, (struct sockaddr *)&a, sizeof a);
  send(s, "one", 3, 0);
  send(s, "two", 3, 0);
  p = fork();
  if (p == 0) {
    msleep(300);
    send(s, "three", 5, 0);
    _exit(0);
  }
  char bufs[4][16];
  struct iovec riov[4];
  for (int i = 0; i < 4; i++) {
    riov[i].iov_base = bufs[i];
    riov[i].iov_len = sizeof bufs[i];
    memset(&mm[i % 3], 0, sizeof mm[0]);
  }
  struct mmsghdr rm[4];
  memset(rm, 0, sizeof rm);
  for (int i = 0; i < 4; i++) {
    rm[i].msg_hdr.msg_iov = &riov[i];
    rm[i].msg_hdr.msg_iovlen = 1;
  }
  struct timespec to = {0, 50 * 1000000};
  double t0 = now_s();
  n = recvmmsg(r, rm, 3, 0, &to);
  double el = now_s() - t0;
  say("recvmmsg 3 with 50 ms timeout, third 300 ms late: %d (%.*s %.*s %.*s), waited >= 200 ms %d, timeout left %ld.%09ld\n", n,
      (int)rm[0].msg_len, bufs[0], (int)rm[1].msg_len, bufs[1], (int)rm[2].msg_len, bufs[2], el >= 0.2, (long)to.tv_sec, to.tv_nsec);
  reap("sender", p);

  /* The timeout passes while the second datagram is awaited: the call
   * returns once that one comes, with what it has (and a zero timeout). */
  send(s, "four", 4, 0);
  p = fork();
  if (p == 0) {
    msleep(400);
    send(s, "five", 4, 0);
    msleep(400);
    send(s, "six", 3, 0);
    _exit(0);
  }
  to.tv_sec = 0;
  to.tv_nsec = 100 * 1000000;
  n = recvmmsg(r, rm, 3, 0, &to);
  say("recvmmsg 3 with 100 ms timeout, datagrams 400 ms apart: %d (%.*s %.*s), timeout left %ld.%09ld\n", n,
      (int)rm[0].msg_len, bufs[0], (int)rm[1].msg_len, bufs[1], (long)to.tv_sec, to.tv_nsec);
  reap("sender", p);
  n = recvmmsg(r, rm, 3, MSG_DONTWAIT, NULL);
  say("then: %d (%.*s)\n", n, (int)rm[0].msg_len, bufs[0]);

  /* A timeout far off: what is left is written back, less than given. */
  send(s, "seven", 5, 0);
  send(s, "eight", 5, 0);
  to.tv_sec = 10;
  to.tv_nsec = 0;
  n = recvmmsg(r, rm, 2, 0, &to);
  say("recvmmsg 2 of 2 waiting, 10 s timeout: %d, left between 9 and 10 s %d\n", n,
      to.tv_sec == 9 || (to.tv_sec == 10 && to.tv_nsec == 0) ? (to.tv_sec == 9) : -1);

  /* MSG_WAITFORONE: after the first datagram the rest do not wait. */
  send(s, "nine", 4, 0);
  n = recvmmsg(r, rm, 3, MSG_WAITFORONE, NULL);
  say("recvmmsg MSG_WAITFORONE with one waiting: %d\n", n);
  n = recvmmsg(r, rm, 3, MSG_DONTWAIT, NULL);
  say("recvmmsg MSG_DONTWAIT on an empty socket: %d %s\n", n, n < 0 ? nerr(errno) : "");
  to.tv_sec = -1;
  n = recvmmsg(r, rm, 3, MSG_DONTWAIT, &to);
  say("recvmmsg with a negative timeout: %d %s\n", n, n < 0 ? nerr(errno) : "");
  to.tv_sec = 0;
  to.tv_nsec = 1000000000;
  n = recvmmsg(r, rm, 3, MSG_DONTWAIT, &to);
  say("recvmmsg with tv_nsec 1e9: %d %s\n", n, n < 0 ? nerr(errno) : "");
  close(r);
  close(s);
}

/* sendfile and splice into sock, whose peer is gone: each -1 EPIPE with a SIGPIPE. */
static void to_dead_peer(const char *what, int sock, int file) {
  int pfd[2];
  pipe(pfd);
  sigpipes = 0;
  off_t off = 0;
  errno = 0;
  long r = sendfile(sock, file, &off, 10);
  say("%s: sendfile %ld %s, SIGPIPEs %d\n", what, r, r < 0 ? nerr(errno) : "", sigpipes);
  write(pfd[1], "0123456789", 10);
  sigpipes = 0;
  errno = 0;
  r = splice(pfd[0], NULL, sock, NULL, 10, 0);
  say("%s: splice %ld %s, SIGPIPEs %d\n", what, r, r < 0 ? nerr(errno) : "", sigpipes);
  close(pfd[0]);
  close(pfd[1]);
}

static void part_sigpipe(const char *dir) {
  signal(SIGPIPE, on_pipe);
  char path[512];
  snprintf(path, sizeof path, "%s/sendfile-src", dir);
  int file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  write(file, "abcdefghijklmnopqrstuvwxyz", 26);
  unlink(path);

  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  close(sv[1]);
  to_dead_peer("unix stream, peer closed", sv[0], file);
  close(sv[0]);

  int c, s;
  tcp_pair(&c, &s);
  close(s);
  msleep(50);
  /* the first send after the peer's FIN goes out and is answered by a reset */
  sigpipes = 0;
  long r = send(c, "x", 1, 0);
  msleep(50);
  say("tcp, peer closed: first send %ld, SIGPIPEs %d\n", r, sigpipes);
  to_dead_peer("tcp, peer closed and reset", c, file);
  close(c);

  tcp_pair(&c, &s);
  shutdown(c, SHUT_WR);
  to_dead_peer("tcp, shut down for writing", c, file);
  close(c);
  close(s);
  signal(SIGPIPE, SIG_DFL);
  close(file);
}

static void part_cmsg(void) {
  struct sockaddr_in a;
  int r = udp_bound(&a);
  int one = 1;
  T("IP_PKTINFO", setsockopt(r, IPPROTO_IP, IP_PKTINFO, &one, sizeof one));
  T("IP_RECVTTL", setsockopt(r, IPPROTO_IP, IP_RECVTTL, &one, sizeof one));
  T("SO_TIMESTAMP", setsockopt(r, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof one));
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  sendto(s, "hello", 5, 0, (struct sockaddr *)&a, sizeof a);
  char data[16], ctl[256];
  struct iovec iov = {data, sizeof data};
  struct sockaddr_in from;
  struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  struct timeval before;
  gettimeofday(&before, NULL);
  long n = recvmsg(r, &m, 0);
  say("recvmsg: %ld, from 127.0.0.1 %d, flags %#x\n", n, from.sin_addr.s_addr == htonl(INADDR_LOOPBACK), m.msg_flags);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      char x[32], y[32];
      inet_ntop(AF_INET, &pi.ipi_spec_dst, x, sizeof x);
      inet_ntop(AF_INET, &pi.ipi_addr, y, sizeof y);
      say("  IP_PKTINFO len %zu ifindex-set %d spec_dst %s addr %s\n", (size_t)c->cmsg_len, pi.ipi_ifindex > 0, x, y);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
      int ttl;
      memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      say("  IP_TTL len %zu ttl %d\n", (size_t)c->cmsg_len, ttl);
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMP) {
      struct timeval tv;
      memcpy(&tv, CMSG_DATA(c), sizeof tv);
      double d = (tv.tv_sec - before.tv_sec) + (tv.tv_usec - before.tv_usec) / 1e6;
      say("  SO_TIMESTAMP len %zu within 10 s of the call %d\n", (size_t)c->cmsg_len, d > -10 && d < 10);
    } else {
      say("  level %d type %d len %zu\n", c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len);
    }
  }
  /* too small a control buffer: MSG_CTRUNC */
  sendto(s, "again", 5, 0, (struct sockaddr *)&a, sizeof a);
  m.msg_namelen = sizeof from;
  m.msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
  n = recvmsg(r, &m, 0);
  say("recvmsg, room for one: %ld, MSG_CTRUNC %d, first IP_PKTINFO %d\n", n, (m.msg_flags & MSG_CTRUNC) != 0,
      CMSG_FIRSTHDR(&m) && CMSG_FIRSTHDR(&m)->cmsg_type == IP_PKTINFO);
  /* recv with no control buffer: just the data */
  sendto(s, "plain", 5, 0, (struct sockaddr *)&a, sizeof a);
  n = recv(r, data, sizeof data, 0);
  say("recv: %ld %.*s\n", n, (int)(n > 0 ? n : 0), data);
  close(r);
  close(s);
}

/* A blocking TCP writer far ahead of its reader: its writes are taken in
 * part once the buffers fill, and it must wake when there is room again
 * (under --net host the buffers are the host's). */
static void part_bulk(void) {
  int c, s;
  tcp_pair(&c, &s);
  pid_t p = fork();
  if (p == 0) {
    close(c);
    static char b[65536];
    msleep(200);
    long got = 0;
    ssize_t r;
    while ((r = read(s, b, sizeof b)) > 0) got += r;
    say("reader got %ld bytes, last read %zd\n", got, r);
    _exit(0);
  }
  close(s);
  static char buf[65536];
  long sent = 0;
  for (int i = 0; i < 256; i++) {
    ssize_t w = write(c, buf, sizeof buf);
    if (w != sizeof buf) {
      say("write %d: %zd %s\n", i, w, w < 0 ? nerr(errno) : "");
      break;
    }
    sent += w;
  }
  say("writer sent %ld bytes\n", sent);
  close(c);
  reap("reader", p);
}

static void part_udplite(void) {
  const char *files[] = {"/proc/net/udplite", "/proc/net/udplite6"};
  for (int i = 0; i < 2; i++) {
    char b[512];
    int fd = open(files[i], O_RDONLY);
    if (fd < 0) {
      say("%s: %s\n", files[i], nerr(errno));
      continue;
    }
    long n = read(fd, b, sizeof b - 1);
    close(fd);
    b[n > 0 ? n : 0] = 0;
    char *nl = strchr(b, '\n');
    if (nl) *nl = 0;
    /* the header's first words (its spacing is not the point) */
    char w1[16] = "", w2[16] = "", w3[32] = "";
    sscanf(b, "%15s %15s %31s", w1, w2, w3);
    say("%s: %s %s %s\n", files[i], w1, w2, w3);
  }
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *part = argc > 1 ? argv[1] : "";
  if (!strcmp(part, "mmsg")) part_mmsg();
  else if (!strcmp(part, "sigpipe")) part_sigpipe(argc > 2 ? argv[2] : "/tmp");
  else if (!strcmp(part, "cmsg")) part_cmsg();
  else if (!strcmp(part, "udplite")) part_udplite();
  else if (!strcmp(part, "bulk")) part_bulk();
  else {
    say("usage: net_more mmsg|sigpipe DIR|cmsg|udplite|bulk\n");
    return 2;
  }
  say("done\n");
  return 0;
}
