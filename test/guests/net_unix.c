/* AF_UNIX sockets, differentially: socketpairs of every type (message
 * boundaries, MSG_TRUNC, EOF, EPIPE/SIGPIPE and MSG_NOSIGNAL, shutdown,
 * FIONREAD, MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL), flags and socket options,
 * filesystem names under argv[1] (default /tmp), abstract names, autobind,
 * datagrams to names, connected-datagram filtering, SO_PEERCRED, and the
 * errors for bad arguments. Prints facts only (no fds, pids or addresses);
 * paths are printed relative to argv[1]. */
#include "net.h"
#include <sys/ioctl.h>

static const char *dir = "/tmp";
static char buf[1 << 16];
static volatile int sigpipes;
static void on_pipe(int sig) { (void)sig; sigpipes++; }

/* A sockaddr_un for dir/name; returns its length (family + path + NUL). */
static socklen_t path_addr(struct sockaddr_un *a, const char *name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  snprintf(a->sun_path, sizeof a->sun_path, "%s/%s", dir, name);
  return offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1;
}
static void path_of(char *out, const char *name) { snprintf(out, 200, "%s/%s", dir, name); }

/* An abstract name "\0umlts-net-unix-<pid>-<tag>"; returns its length. */
static socklen_t abstract_addr(struct sockaddr_un *a, const char *tag) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "umlts-net-unix-%d-%s", (int)getpid(), tag);
  return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

/* Print a returned unix address: "unnamed", "abstract" or the path relative to dir. */
static void show_addr(const char *what, const struct sockaddr_un *a, socklen_t len) {
  if (len == offsetof(struct sockaddr_un, sun_path) || len == 0) {
    say("%s: unnamed (len %d) family %d\n", what, (int)len, len ? a->sun_family : -1);
    return;
  }
  if (a->sun_path[0] == 0) {
    say("%s: abstract len %d\n", what, (int)len);
    return;
  }
  size_t dl = strlen(dir);
  const char *p = a->sun_path;
  int rel = strncmp(p, dir, dl) == 0 && p[dl] == '/';
  say("%s: %s%s len-ok %d family %d\n", what, rel ? "DIR/" : "", rel ? p + dl + 1 : p,
      len == offsetof(struct sockaddr_un, sun_path) + strlen(p) + 1, a->sun_family);
}
static void show_name(const char *what, int fd, int peer) {
  struct sockaddr_un a;
  memset(&a, 0x55, sizeof a);
  socklen_t len = sizeof a;
  int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len) : getsockname(fd, (struct sockaddr *)&a, &len);
  if (r < 0) {
    say("%s: %s\n", what, nerr(errno));
    return;
  }
  show_addr(what, &a, len);
}

static void socket_creation(void) {
  say("== socket() and socketpair() ==\n");
  int fd;
  V("socket(AF_UNIX, 99)", socket(AF_UNIX, 99, 0));
  V("socket(AF_UNIX, SOCK_RDM)", socket(AF_UNIX, SOCK_RDM, 0));
  V("socket(AF_UNIX, SOCK_STREAM, 2)", socket(AF_UNIX, SOCK_STREAM, 2));
  V("socket(12345, SOCK_STREAM)", socket(12345, SOCK_STREAM, 0));
  V("socket(-1, SOCK_STREAM)", socket(-1, SOCK_STREAM, 0));
  V("socket(AF_UNIX, SOCK_STREAM|bad flag)", socket(AF_UNIX, SOCK_STREAM | 0x100000, 0));
  V("socketpair(AF_INET, SOCK_STREAM)", socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){-1, -1}));
  V("socketpair(AF_UNIX, 99)", socketpair(AF_UNIX, 99, 0, (int[2]){-1, -1}));
  fd = socket(AF_UNIX, SOCK_STREAM, 1);
  say("socket(AF_UNIX, SOCK_STREAM, PF_UNIX): %s\n", nres(fd));
  close(fd);
  fd = socket(AF_UNIX, SOCK_RAW, 0);
  say("socket(AF_UNIX, SOCK_RAW): %s SO_TYPE %ld\n", nres(fd), getopt_int(fd, SOL_SOCKET, SO_TYPE));
  close(fd);

  static const struct { int type; const char *name; } types[] = {
    {SOCK_STREAM, "stream"}, {SOCK_DGRAM, "dgram"}, {SOCK_SEQPACKET, "seqpacket"}};
  for (int i = 0; i < 3; i++) {
    int t = types[i].type;
    fd = socket(AF_UNIX, t, 0);
    struct stat st;
    fstat(fd, &st);
    say("%s: SO_TYPE %ld SO_DOMAIN %ld SO_PROTOCOL %ld SO_ACCEPTCONN %ld SO_ERROR %ld S_ISSOCK %d mode %o nlink %d size %ld\n",
        types[i].name, getopt_int(fd, SOL_SOCKET, SO_TYPE), getopt_int(fd, SOL_SOCKET, SO_DOMAIN),
        getopt_int(fd, SOL_SOCKET, SO_PROTOCOL), getopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN),
        getopt_int(fd, SOL_SOCKET, SO_ERROR), S_ISSOCK(st.st_mode), (unsigned)st.st_mode & 07777, (int)st.st_nlink,
        (long)st.st_size);
    say("%s: nonblock %d cloexec %d accmode-rdwr %d\n", types[i].name, fd_nonblock(fd), fd_cloexec(fd),
        (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
    close(fd);
    fd = socket(AF_UNIX, t | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    say("%s|SOCK_NONBLOCK|SOCK_CLOEXEC: nonblock %d cloexec %d SO_TYPE %ld\n", types[i].name, fd_nonblock(fd),
        fd_cloexec(fd), getopt_int(fd, SOL_SOCKET, SO_TYPE));
    close(fd);
    int sv[2];
    T("socketpair", socketpair(AF_UNIX, t | SOCK_NONBLOCK, 0, sv));
    say("socketpair %s|SOCK_NONBLOCK: nonblock %d %d cloexec %d %d\n", types[i].name, fd_nonblock(sv[0]),
        fd_nonblock(sv[1]), fd_cloexec(sv[0]), fd_cloexec(sv[1]));
    close(sv[0]);
    close(sv[1]);
    socketpair(AF_UNIX, t | SOCK_CLOEXEC, 0, sv);
    say("socketpair %s|SOCK_CLOEXEC: nonblock %d %d cloexec %d %d\n", types[i].name, fd_nonblock(sv[0]),
        fd_nonblock(sv[1]), fd_cloexec(sv[0]), fd_cloexec(sv[1]));
    show_name("socketpair getsockname", sv[0], 0);
    show_name("socketpair getpeername", sv[0], 1);
    close(sv[0]);
    close(sv[1]);
  }
}

static void sockopts(void) {
  say("== socket options ==\n");
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  V("getsockopt bad level", getopt_int(sv[0], 12345, 1));
  V("getsockopt SOL_TCP on unix", getopt_int(sv[0], 6, 1));
  V("getsockopt unknown SOL_SOCKET name", getopt_int(sv[0], SOL_SOCKET, 9999));
  V("setsockopt bad level", setopt_int(sv[0], 12345, 1, 1));
  V("setsockopt unknown SOL_SOCKET name", setopt_int(sv[0], SOL_SOCKET, 9999, 1));
  int v = 0;
  socklen_t len = 2;
  V("getsockopt SO_TYPE optlen 2", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len));
  say("  optlen now %d\n", (int)len);
  len = (socklen_t)-1;
  V("getsockopt SO_TYPE optlen -1", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len));
  V("setsockopt SO_KEEPALIVE optlen 2", setsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, &v, 2));
  V("setsockopt SO_TYPE (read-only)", setopt_int(sv[0], SOL_SOCKET, SO_TYPE, 1));
  V("getsockopt SO_SNDBUF > 0", getopt_int(sv[0], SOL_SOCKET, SO_SNDBUF) > 0);
  V("getsockopt SO_RCVBUF > 0", getopt_int(sv[0], SOL_SOCKET, SO_RCVBUF) > 0);
  T("setsockopt SO_SNDBUF 65536", setopt_int(sv[0], SOL_SOCKET, SO_SNDBUF, 65536));
  V("  SO_SNDBUF after (doubled)", getopt_int(sv[0], SOL_SOCKET, SO_SNDBUF));
  V("SO_PASSCRED default", getopt_int(sv[0], SOL_SOCKET, SO_PASSCRED));
  T("set SO_PASSCRED", setopt_int(sv[0], SOL_SOCKET, SO_PASSCRED, 7));
  V("SO_PASSCRED after", getopt_int(sv[0], SOL_SOCKET, SO_PASSCRED));
  V("SO_KEEPALIVE default", getopt_int(sv[0], SOL_SOCKET, SO_KEEPALIVE));
  V("SO_REUSEADDR default", getopt_int(sv[0], SOL_SOCKET, SO_REUSEADDR));
  T("set SO_REUSEADDR", setopt_int(sv[0], SOL_SOCKET, SO_REUSEADDR, 1));
  V("SO_REUSEADDR after", getopt_int(sv[0], SOL_SOCKET, SO_REUSEADDR));
  V("SO_RCVLOWAT default", getopt_int(sv[0], SOL_SOCKET, SO_RCVLOWAT));
  struct timeval tv = {1, 0};
  len = sizeof tv;
  V("SO_RCVTIMEO default", getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
  say("  %ld.%06ld len %d\n", (long)tv.tv_sec, (long)tv.tv_usec, (int)len);
  tv.tv_sec = 0;
  tv.tv_usec = 50000;
  T("set SO_RCVTIMEO 50 ms", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  memset(&tv, 0, sizeof tv);
  len = sizeof tv;
  getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
  say("  SO_RCVTIMEO now about 50 ms: %d\n", tv.tv_sec == 0 && tv.tv_usec >= 50000 && tv.tv_usec < 60000);
  V("recv with SO_RCVTIMEO, nothing sent", recv(sv[0], buf, 10, 0));
  V("read with SO_RCVTIMEO, nothing sent", read(sv[0], buf, 10));
  tv.tv_usec = 2000000;
  V("set SO_RCVTIMEO tv_usec 2000000", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  struct linger lg = {1, 5};
  T("set SO_LINGER {1,5}", setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
  memset(&lg, 0, sizeof lg);
  len = sizeof lg;
  T("get SO_LINGER", getsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, &len));
  say("  SO_LINGER {%d,%d} len %d\n", lg.l_onoff, lg.l_linger, (int)len);
  struct ucred c;
  len = sizeof c;
  T("SO_PEERCRED on a socketpair", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &c, &len));
  say("  pid is mine %d uid is mine %d gid is mine %d len %d\n", c.pid == getpid(), c.uid == getuid(),
      c.gid == getgid(), (int)len);
  int lone = socket(AF_UNIX, SOCK_STREAM, 0);
  memset(&c, 0x55, sizeof c);
  len = sizeof c;
  T("SO_PEERCRED unconnected", getsockopt(lone, SOL_SOCKET, SO_PEERCRED, &c, &len));
  say("  pid %d uid %d gid %d\n", c.pid, (int)c.uid, (int)c.gid);
  close(lone);
  close(sv[0]);
  close(sv[1]);
}

static void stream_pair(void) {
  say("== stream socketpair ==\n");
  int sv[2], n;
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  V("write hello", write(sv[0], "hello", 5));
  V("write world", write(sv[0], "world", 5));
  ioctl(sv[1], FIONREAD, &n);
  say("FIONREAD: %d\n", n);
  V("recv MSG_PEEK 3", recv(sv[1], buf, 3, MSG_PEEK));
  V("recv MSG_PEEK 100 (across writes)", recv(sv[1], buf, 100, MSG_PEEK));
  V("read 100 (both writes)", read(sv[1], buf, 100));
  say("data: %.10s\n", buf);
  V("recv MSG_DONTWAIT empty", recv(sv[1], buf, 100, MSG_DONTWAIT));
  V("recv MSG_DONTWAIT|MSG_PEEK empty", recv(sv[1], buf, 100, MSG_DONTWAIT | MSG_PEEK));
  V("read 0 bytes", read(sv[1], buf, 0));
  V("write 0 bytes", write(sv[0], buf, 0));
  V("recv MSG_DONTWAIT after 0-byte write", recv(sv[1], buf, 100, MSG_DONTWAIT));
  say("poll idle: %#x\n", poll1(sv[1], POLLIN | POLLOUT | POLLRDHUP, 0));
  struct iovec iov[3] = {{"ab", 2}, {"cde", 3}, {"f", 1}};
  V("writev 3 pieces", writev(sv[0], iov, 3));
  char x[2], y[10];
  struct iovec riov[2] = {{x, 2}, {y, 10}};
  V("readv", readv(sv[1], riov, 2));
  say("  %.2s|%.4s\n", x, y);
  struct msghdr mh = {0};
  mh.msg_iov = iov;
  mh.msg_iovlen = 3;
  V("sendmsg 3 pieces", sendmsg(sv[0], &mh, 0));
  memset(&mh, 0, sizeof mh);
  struct iovec one = {buf, 3};
  mh.msg_iov = &one;
  mh.msg_iovlen = 1;
  V("recvmsg 3 of 6", recvmsg(sv[1], &mh, 0));
  say("  msg_flags %#x\n", mh.msg_flags);
  V("recv rest", recv(sv[1], buf, 100, 0));
  struct sockaddr_un a;
  V("sendto with an address on a connected stream", sendto(sv[0], "z", 1, 0, (struct sockaddr *)&a, path_addr(&a, "x")));
  V("listen on a connected stream", listen(sv[0], 1));
  V("accept on a connected stream", accept(sv[0], NULL, NULL));
  T("bind a socketpair end", bind(sv[0], (struct sockaddr *)&a, path_addr(&a, "x")));
  show_name("  its getsockname", sv[0], 0);
  show_name("  the other end's getpeername", sv[1], 1);
  unlink(a.sun_path);

  /* MSG_WAITALL over two writes from a child, then short at EOF */
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[1]);
    write(sv[0], "abc", 3);
    msleep(20);
    write(sv[0], "def", 3);
    msleep(20);
    write(sv[0], "gh", 2);
    _exit(0);
  }
  close(sv[0]);
  memset(buf, 0, 16);
  V("recv MSG_WAITALL 6 (child writes 3+3)", recv(sv[1], buf, 6, MSG_WAITALL));
  say("  data: %s\n", buf);
  memset(buf, 0, 16);
  V("recv MSG_WAITALL 6 (child writes 2 and exits)", recv(sv[1], buf, 6, MSG_WAITALL));
  say("  data: %s\n", buf);
  reap("writer child", pid);
  V("read at EOF", read(sv[1], buf, 10));
  V("read at EOF again", read(sv[1], buf, 10));
  say("poll at EOF: %#x\n", poll1(sv[1], POLLIN | POLLOUT | POLLRDHUP, 0));
  close(sv[1]);

  /* the peer closes with data unread: the writer's next read is ECONNRESET once */
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  write(sv[0], "unread", 6);
  close(sv[1]);
  V("read after the peer closed with data unread", read(sv[0], buf, 10));
  V("  then", read(sv[0], buf, 10));
  close(sv[0]);

  /* a full non-blocking stream: EAGAIN, no POLLOUT; drained: POLLOUT again */
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
  long total = 0, r;
  while ((r = write(sv[0], buf, 4096)) > 0) total += r;
  say("filled: %s, some written %d\n", nerr(errno), total > 0);
  say("poll full writer: POLLOUT %d\n", (poll1(sv[0], POLLOUT, 0) & POLLOUT) != 0);
  ioctl(sv[1], FIONREAD, &n);
  say("FIONREAD equals bytes written: %d\n", n == total);
  long drained = 0;
  while ((r = read(sv[1], buf, sizeof buf)) > 0) drained += r;
  say("drained all: %d then %s\n", drained == total, nerr(errno));
  say("poll drained writer: POLLOUT %d\n", (poll1(sv[0], POLLOUT, 0) & POLLOUT) != 0);
  close(sv[0]);
  close(sv[1]);
}

static void shutdowns(void) {
  say("== shutdown ==\n");
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  V("shutdown how=3", shutdown(sv[0], 3));
  V("shutdown how=-1", shutdown(sv[0], -1));
  write(sv[0], "before", 6);
  T("shutdown(SHUT_WR)", shutdown(sv[0], SHUT_WR));
  say("poll peer: %#x\n", poll1(sv[1], POLLIN | POLLOUT | POLLRDHUP, 0));
  say("poll self: %#x\n", poll1(sv[0], POLLIN | POLLOUT | POLLRDHUP, 0));
  V("peer reads the data", read(sv[1], buf, 100));
  V("peer reads EOF", read(sv[1], buf, 100));
  V("peer reads EOF again", read(sv[1], buf, 100));
  V("write after SHUT_WR (MSG_NOSIGNAL)", send(sv[0], "x", 1, MSG_NOSIGNAL));
  V("peer still writes back", write(sv[1], "back", 4));
  V("shut-down side still reads", read(sv[0], buf, 100));
  T("shutdown(SHUT_WR) again", shutdown(sv[0], SHUT_WR));
  T("peer shutdown(SHUT_WR)", shutdown(sv[1], SHUT_WR));
  say("poll both shut, self: %#x\n", poll1(sv[0], POLLIN | POLLOUT | POLLRDHUP, 0));
  say("poll both shut, peer: %#x\n", poll1(sv[1], POLLIN | POLLOUT | POLLRDHUP, 0));
  V("read EOF", read(sv[0], buf, 100));
  close(sv[0]);
  close(sv[1]);

  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  write(sv[1], "queued", 6);
  T("shutdown(SHUT_RD)", shutdown(sv[0], SHUT_RD));
  V("read after SHUT_RD (data queued)", read(sv[0], buf, 100));
  V("read after SHUT_RD again", read(sv[0], buf, 100));
  V("peer writes after our SHUT_RD", send(sv[1], "x", 1, MSG_NOSIGNAL));
  say("poll self after SHUT_RD: %#x\n", poll1(sv[0], POLLIN | POLLOUT | POLLRDHUP, 0));
  say("poll peer after our SHUT_RD: %#x\n", poll1(sv[1], POLLIN | POLLOUT | POLLRDHUP, 0));
  V("we can still write", write(sv[0], "ok", 2));
  V("peer reads it", read(sv[1], buf, 100));
  close(sv[0]);
  close(sv[1]);

  /* a datagram socket shut for reading: a blocking receive ends with 0, a non-blocking one finds nothing */
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  T("dgram shutdown(SHUT_RD)", shutdown(sv[0], SHUT_RD));
  V("  recv MSG_DONTWAIT", recv(sv[0], buf, 100, MSG_DONTWAIT));
  V("  recv", recv(sv[0], buf, 100, 0));
  close(sv[0]);
  close(sv[1]);

  int lone = socket(AF_UNIX, SOCK_STREAM, 0);
  V("shutdown an unconnected stream", shutdown(lone, SHUT_RDWR));
  V("  then read", read(lone, buf, 1));
  V("  then write", send(lone, "x", 1, MSG_NOSIGNAL));
  close(lone);

  socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
  T("seqpacket shutdown(SHUT_WR)", shutdown(sv[0], SHUT_WR));
  V("seqpacket peer recv", recv(sv[1], buf, 100, 0));
  say("seqpacket poll peer: %#x\n", poll1(sv[1], POLLIN | POLLOUT | POLLRDHUP, 0));
  close(sv[0]);
  close(sv[1]);

  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  T("dgram shutdown(SHUT_WR)", shutdown(sv[0], SHUT_WR));
  V("dgram send after SHUT_WR", send(sv[0], "x", 1, MSG_NOSIGNAL));
  V("dgram peer recv", recv(sv[1], buf, 100, MSG_DONTWAIT));
  say("dgram poll peer: %#x\n", poll1(sv[1], POLLIN | POLLOUT | POLLRDHUP, 0));
  close(sv[0]);
  close(sv[1]);
}

static void sigpipe(void) {
  say("== EPIPE and SIGPIPE ==\n");
  struct sigaction sa = {0};
  sa.sa_handler = on_pipe;
  sigaction(SIGPIPE, &sa, NULL);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  close(sv[1]);
  sigpipes = 0;
  V("stream write after peer close", write(sv[0], "x", 1));
  say("  SIGPIPEs %d\n", sigpipes);
  V("stream send MSG_NOSIGNAL", send(sv[0], "x", 1, MSG_NOSIGNAL));
  say("  SIGPIPEs %d\n", sigpipes);
  V("stream sendto", sendto(sv[0], "x", 1, 0, NULL, 0));
  say("  SIGPIPEs %d\n", sigpipes);
  V("stream read after peer close", read(sv[0], buf, 10));
  say("poll: %#x\n", poll1(sv[0], POLLIN | POLLOUT | POLLRDHUP, 0));

  sigset_t set, old, pend;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigprocmask(SIG_BLOCK, &set, &old);
  V("write with SIGPIPE blocked", write(sv[0], "x", 1));
  sigpending(&pend);
  say("  pending %d handler ran %d\n", sigismember(&pend, SIGPIPE), sigpipes);
  struct timespec zero = {0, 0};
  V("  sigtimedwait takes it", sigtimedwait(&set, NULL, &zero));
  V("send MSG_NOSIGNAL with SIGPIPE blocked", send(sv[0], "x", 1, MSG_NOSIGNAL));
  sigpending(&pend);
  say("  pending %d\n", sigismember(&pend, SIGPIPE));
  sigprocmask(SIG_SETMASK, &old, NULL);

  signal(SIGPIPE, SIG_IGN);
  V("write with SIGPIPE ignored", write(sv[0], "x", 1));
  sigpending(&pend);
  say("  pending %d handler ran %d\n", sigismember(&pend, SIGPIPE), sigpipes);
  sigaction(SIGPIPE, &sa, NULL);
  close(sv[0]);

  socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
  close(sv[1]);
  sigpipes = 0;
  V("seqpacket send after peer close", send(sv[0], "x", 1, 0));
  say("  SIGPIPEs %d\n", sigpipes);
  V("seqpacket recv after peer close", recv(sv[0], buf, 10, 0));
  say("seqpacket poll: %#x\n", poll1(sv[0], POLLIN | POLLOUT | POLLRDHUP, 0));
  close(sv[0]);

  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  write(sv[1], "last", 4);
  close(sv[1]);
  sigpipes = 0;
  V("dgram recv of a message sent before the peer closed", recv(sv[0], buf, 10, MSG_DONTWAIT));
  V("dgram recv then", recv(sv[0], buf, 10, MSG_DONTWAIT));
  V("dgram send after peer close", send(sv[0], "x", 1, 0));
  V("dgram send again", send(sv[0], "x", 1, 0));
  say("  SIGPIPEs %d\n", sigpipes);
  say("dgram poll: %#x\n", poll1(sv[0], POLLIN | POLLOUT | POLLRDHUP, 0));
  close(sv[0]);

  /* the default action kills the writer */
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  close(sv[1]);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);
    write(sv[0], "x", 1);
    _exit(0);
  }
  reap("child writing to a closed stream", pid);
  close(sv[0]);
  signal(SIGPIPE, SIG_DFL);
}

static void messages(int type, const char *name) {
  say("== %s socketpair: messages ==\n", name);
  int sv[2], n;
  socketpair(AF_UNIX, type, 0, sv);
  V("send ab", send(sv[0], "ab", 2, 0));
  V("send cde", send(sv[0], "cde", 3, 0));
  V("send fghij", send(sv[0], "fghij", 5, 0));
  ioctl(sv[1], FIONREAD, &n);
  say("FIONREAD: %d\n", n);
  V("recv 100", recv(sv[1], buf, 100, 0));
  V("recv MSG_PEEK 100", recv(sv[1], buf, 100, MSG_PEEK));
  V("recv MSG_PEEK|MSG_TRUNC 1", recv(sv[1], buf, 1, MSG_PEEK | MSG_TRUNC));
  V("recv 100", recv(sv[1], buf, 100, 0));
  say("  %.3s\n", buf);
  struct msghdr mh = {0};
  struct iovec iov = {buf, 2};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  V("recvmsg 2 of 5", recvmsg(sv[1], &mh, 0));
  say("  %.2s msg_flags MSG_TRUNC %d\n", buf, (mh.msg_flags & MSG_TRUNC) != 0);
  V("recv MSG_DONTWAIT: the rest was discarded", recv(sv[1], buf, 100, MSG_DONTWAIT));
  send(sv[0], "klmnop", 6, 0);
  V("recv MSG_TRUNC into 2", recv(sv[1], buf, 2, MSG_TRUNC));
  send(sv[0], "qrstu", 5, 0);
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  V("recvmsg MSG_TRUNC into 2", recvmsg(sv[1], &mh, MSG_TRUNC));
  say("  msg_flags MSG_TRUNC %d\n", (mh.msg_flags & MSG_TRUNC) != 0);
  struct iovec parts[3] = {{"12", 2}, {"345", 3}, {"6", 1}};
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = parts;
  mh.msg_iovlen = 3;
  V("sendmsg 3 pieces", sendmsg(sv[0], &mh, 0));
  V("send 7", send(sv[0], "7", 1, 0));
  V("read 100 (one message)", read(sv[1], buf, 100));
  say("  %.6s\n", buf);
  V("read 100", read(sv[1], buf, 100));
  V("send 0 bytes", send(sv[0], buf, 0, 0));
  ioctl(sv[1], FIONREAD, &n);
  say("FIONREAD (a 0-byte message queued): %d\n", n);
  say("poll with a 0-byte message: %#x\n", poll1(sv[1], POLLIN, 0));
  V("recv the 0-byte message", recv(sv[1], buf, 100, MSG_DONTWAIT));
  V("recv MSG_DONTWAIT empty", recv(sv[1], buf, 100, MSG_DONTWAIT));
  if (type == SOCK_DGRAM) {
    char *big = malloc(1 << 20);
    V("send 1 MiB datagram", send(sv[0], big, 1 << 20, 0));
    free(big);
  }
  /* a blocking recv woken by a message from a child */
  pid_t pid = fork();
  if (pid == 0) {
    msleep(20);
    send(sv[0], "wake", 4, 0);
    _exit(0);
  }
  V("blocking recv woken by the child", recv(sv[1], buf, 100, 0));
  reap("child", pid);
  /* MSG_WAITALL on a message socket returns one message */
  pid = fork();
  if (pid == 0) {
    send(sv[0], "abc", 3, 0);
    msleep(20);
    send(sv[0], "def", 3, 0);
    _exit(0);
  }
  V("recv MSG_WAITALL 6", recv(sv[1], buf, 6, MSG_WAITALL));
  V("recv MSG_WAITALL 6 again", recv(sv[1], buf, 6, MSG_WAITALL));
  reap("child", pid);
  close(sv[0]);
  V("recv MSG_DONTWAIT after the peer closed", recv(sv[1], buf, 100, MSG_DONTWAIT));
  close(sv[1]);
}

static void names(void) {
  say("== filesystem names ==\n");
  struct sockaddr_un a, b;
  char path[256], p2[256];
  struct stat st;
  static const char *const files[] = {"s1", "s2", "d1", "d2", "d3", "d4", "file", "rel.sock", "x", NULL};
  for (int i = 0; files[i]; i++) {
    path_of(path, files[i]);
    unlink(path);
  }

  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  show_name("getsockname unbound", l, 0);
  V("getpeername unbound", getpeername(l, (struct sockaddr *)&a, &(socklen_t){sizeof a}));
  V("listen unbound", listen(l, 5));
  V("accept unbound", accept(l, NULL, NULL));
  socklen_t al = path_addr(&a, "s1");
  a.sun_family = AF_INET;
  V("bind with family AF_INET", bind(l, (struct sockaddr *)&a, al));
  a.sun_family = AF_UNIX;
  V("bind with addrlen 1", bind(l, (struct sockaddr *)&a, 1));
  V("bind with addrlen 111", bind(l, (struct sockaddr *)&a, sizeof a + 1));
  V("bind with addrlen 200", bind(l, (struct sockaddr *)&a, 200));
  V("bind NULL address", bind(l, NULL, al));
  V("bind bad pointer", bind(l, (struct sockaddr *)8, al));
  struct sockaddr_un nodir;
  V("bind in a missing directory", bind(l, (struct sockaddr *)&nodir, path_addr(&nodir, "missing/s")));
  T("bind s1 (addrlen sizeof sockaddr_un)", bind(l, (struct sockaddr *)&a, sizeof a));
  path_of(path, "s1");
  T("stat s1", stat(path, &st));
  say("  S_ISSOCK %d mode %o size %ld nlink %d\n", S_ISSOCK(st.st_mode), (unsigned)st.st_mode & 07777,
      (long)st.st_size, (int)st.st_nlink);
  T("lstat s1", lstat(path, &st));
  say("  S_ISSOCK %d\n", S_ISSOCK(st.st_mode));
  V("open s1", open(path, O_RDONLY));
  show_name("getsockname bound", l, 0);
  V("bind again to s2", bind(l, (struct sockaddr *)&b, path_addr(&b, "s2")));
  int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
  V("another socket binds s1", bind(l2, (struct sockaddr *)&a, al));
  int fd = open((path_of(p2, "file"), p2), O_CREAT | O_WRONLY, 0644);
  close(fd);
  V("bind over a regular file", bind(l2, (struct sockaddr *)&b, path_addr(&b, "file")));
  close(l2);

  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  V("connect before listen", connect(c, (struct sockaddr *)&a, al));
  V("accept before listen", accept(l, NULL, NULL));
  T("listen", listen(l, 5));
  V("SO_ACCEPTCONN", getopt_int(l, SOL_SOCKET, SO_ACCEPTCONN));
  T("listen again (backlog change)", listen(l, 8));
  say("poll listener, nothing pending: %#x\n", poll1(l, POLLIN | POLLOUT, 0));
  set_nonblock(l, 1);
  V("accept non-blocking, nothing pending", accept(l, NULL, NULL));
  set_nonblock(l, 0);
  V("connect to a missing path", connect(c, (struct sockaddr *)&b, path_addr(&b, "missing")));
  V("connect to a regular file", connect(c, (struct sockaddr *)&b, path_addr(&b, "file")));
  V("connect to a directory", connect(c, (struct sockaddr *)&b, path_addr(&b, "")));
  V("connect with family AF_INET", connect(c, (struct sockaddr *)&(struct sockaddr_un){.sun_family = AF_INET}, al));
  V("connect with addrlen 1", connect(c, (struct sockaddr *)&a, 1));
  T("connect to s1", connect(c, (struct sockaddr *)&a, al));
  V("connect again", connect(c, (struct sockaddr *)&a, al));
  say("poll listener, one pending: %#x\n", poll1(l, POLLIN | POLLOUT, 0));
  show_name("client getpeername (before accept)", c, 1);
  show_name("client getsockname", c, 0);
  memset(&b, 0x55, sizeof b);
  socklen_t bl = sizeof b;
  int s = accept4(l, (struct sockaddr *)&b, &bl, SOCK_CLOEXEC);
  say("accept4 SOCK_CLOEXEC: %s cloexec %d nonblock %d\n", nres(s), fd_cloexec(s), fd_nonblock(s));
  show_addr("  accepted peer address", &b, bl);
  show_name("accepted getsockname", s, 0);
  show_name("accepted getpeername", s, 1);
  V("accepted SO_ACCEPTCONN", getopt_int(s, SOL_SOCKET, SO_ACCEPTCONN));
  struct ucred cr;
  socklen_t crl = sizeof cr;
  T("SO_PEERCRED of the accepted socket", getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &crl));
  say("  pid is mine %d uid is mine %d\n", cr.pid == getpid(), cr.uid == getuid());
  crl = sizeof cr;
  T("SO_PEERCRED of the client", getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &crl));
  say("  pid is mine %d uid is mine %d\n", cr.pid == getpid(), cr.uid == getuid());
  V("client writes", write(c, "ping", 4));
  V("server reads", read(s, buf, 100));
  V("server writes", write(s, "pong!", 5));
  V("client reads", read(c, buf, 100));
  V("accept4 bad flags", accept4(l, NULL, NULL, 0x40));
  close(c);
  close(s);

  /* a bound client: the server sees its name */
  c = socket(AF_UNIX, SOCK_STREAM, 0);
  T("client binds s2", bind(c, (struct sockaddr *)&b, path_addr(&b, "s2")));
  T("bound client connects", connect(c, (struct sockaddr *)&a, al));
  memset(&b, 0, sizeof b);
  bl = sizeof b;
  s = accept(l, (struct sockaddr *)&b, &bl);
  say("accept: %s cloexec %d\n", nres(s), fd_cloexec(s));
  show_addr("  accepted peer address", &b, bl);
  show_name("accepted getpeername", s, 1);
  bl = 4;
  memset(&b, 0, sizeof b);
  V("getpeername into 4 bytes", getpeername(s, (struct sockaddr *)&b, &bl));
  say("  returned len-ok %d, first bytes copied %d\n", (int)bl == (int)(offsetof(struct sockaddr_un, sun_path) +
      strlen(dir) + 4), b.sun_path[0] == dir[0] && b.sun_path[1] == dir[1] && b.sun_path[2] == 0);
  close(c);
  close(s);

  /* the listen backlog: connects beyond it fail with EAGAIN when non-blocking */
  T("listen(1)", listen(l, 1));
  int cs[8], ok = 0;
  for (int i = 0; i < 8; i++) {
    cs[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (connect(cs[i], (struct sockaddr *)&a, al) == 0) ok++;
    else {
      say("connect %d with backlog 1: %s\n", i, nerr(errno));
      break;
    }
  }
  say("connects before the backlog is full: %d\n", ok);
  for (int i = 0; i < ok; i++) {
    s = accept(l, NULL, NULL);
    close(s);
  }
  for (int i = 0; i <= ok && i < 8; i++) close(cs[i]);

  /* a listener closed while a connection is pending: the client sees ECONNRESET */
  c = socket(AF_UNIX, SOCK_STREAM, 0);
  T("connect, then the listener closes", connect(c, (struct sockaddr *)&a, al));
  close(l);
  V("read on the orphaned connection", read(c, buf, 10));
  V("read again", read(c, buf, 10));
  close(c);
  T("stat after the listener closed (the name stays)", stat(path, &st));
  c = socket(AF_UNIX, SOCK_STREAM, 0);
  V("connect to the name of a closed listener", connect(c, (struct sockaddr *)&a, al));
  int d = socket(AF_UNIX, SOCK_DGRAM, 0);
  V("dgram sendto the name of a closed socket", sendto(d, "x", 1, 0, (struct sockaddr *)&a, al));
  l = socket(AF_UNIX, SOCK_STREAM, 0);
  V("bind a new socket to the stale name", bind(l, (struct sockaddr *)&a, al));
  T("unlink s1", unlink(path));
  V("stat after unlink", stat(path, &st));
  V("connect after unlink", connect(c, (struct sockaddr *)&a, al));
  T("bind s1 again after unlink", bind(l, (struct sockaddr *)&a, al));
  T("listen", listen(l, 5));
  T("connect", connect(c, (struct sockaddr *)&a, al));
  s = accept(l, NULL, NULL);
  T("unlink the listening name", unlink(path));
  V("the accepted connection still works", write(s, "hi", 2));
  V("  read", read(c, buf, 10));
  show_name("listener getsockname after unlink", l, 0);
  close(s);
  close(c);
  close(l);

  /* a stream connecting to a datagram name and the other way */
  int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
  T("dgram binds d4", bind(dg, (struct sockaddr *)&b, path_addr(&b, "d4")));
  c = socket(AF_UNIX, SOCK_STREAM, 0);
  V("stream connect to a dgram name", connect(c, (struct sockaddr *)&b, path_addr(&b, "d4")));
  close(c);
  c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  V("seqpacket connect to a dgram name", connect(c, (struct sockaddr *)&b, path_addr(&b, "d4")));
  close(c);
  close(dg);
  close(d);

  /* relative names are resolved against the cwd and returned as given */
  char cwd[256];
  getcwd(cwd, sizeof cwd);
  chdir(dir);
  l = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un r = {.sun_family = AF_UNIX, .sun_path = "rel.sock"};
  T("bind a relative name", bind(l, (struct sockaddr *)&r, offsetof(struct sockaddr_un, sun_path) + 9));
  listen(l, 1);
  show_name("getsockname of a relative name", l, 0);
  T("stat it by its full path", stat((path_of(p2, "rel.sock"), p2), &st));
  chdir(cwd);
  c = socket(AF_UNIX, SOCK_STREAM, 0);
  T("connect to it by its full path", connect(c, (struct sockaddr *)&b, path_addr(&b, "rel.sock")));
  close(c);
  close(l);
  unlink(p2);

  /* a name of all 108 bytes, no NUL */
  chdir(dir);
  l = socket(AF_UNIX, SOCK_STREAM, 0);
  memset(&r, 0, sizeof r);
  r.sun_family = AF_UNIX;
  memset(r.sun_path, 'n', sizeof r.sun_path);
  T("bind a 108-byte name without a NUL", bind(l, (struct sockaddr *)&r, sizeof r));
  char big[200] = {0};
  bl = sizeof big;
  T("getsockname into 200 bytes", getsockname(l, (struct sockaddr *)big, &bl));
  say("  len %d last byte NUL %d\n", (int)bl, big[bl - 1] == 0);
  bl = sizeof r;
  getsockname(l, (struct sockaddr *)&r, &bl);
  say("  into sizeof(sockaddr_un): len %d\n", (int)bl);
  memset(big, 'n', 108);
  big[108] = 0;
  T("stat it", stat(big, &st));
  unlink(big);
  close(l);
  chdir(cwd);
  path_of(p2, "file");
  unlink(p2);
  path_of(p2, "s2");
  unlink(p2);
  path_of(p2, "d4");
  unlink(p2);
}

static void abstract(void) {
  say("== abstract names and autobind ==\n");
  struct sockaddr_un a, b;
  socklen_t al = abstract_addr(&a, "a1");
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  T("bind abstract", bind(l, (struct sockaddr *)&a, al));
  memset(&b, 0x55, sizeof b);
  socklen_t bl = sizeof b;
  getsockname(l, (struct sockaddr *)&b, &bl);
  say("getsockname: len matches %d name matches %d\n", bl == al, memcmp(&a, &b, al) == 0);
  int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
  V("bind the same abstract name", bind(l2, (struct sockaddr *)&a, al));
  int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
  V("bind the same abstract name, dgram", bind(dg, (struct sockaddr *)&a, al));
  V("bind a prefix of it (another name)", bind(l2, (struct sockaddr *)&a, al - 1));
  close(l2);
  close(dg);
  listen(l, 5);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  V("connect to a longer abstract name", connect(c, (struct sockaddr *)&a, al + 1));
  V("connect to a missing abstract name", connect(c, (struct sockaddr *)&b, abstract_addr(&b, "nobody")));
  T("connect abstract", connect(c, (struct sockaddr *)&a, al));
  bl = sizeof b;
  int s = accept(l, (struct sockaddr *)&b, &bl);
  say("accept: %s peer len %d\n", nres(s), (int)bl);
  memset(&b, 0, sizeof b);
  bl = sizeof b;
  getpeername(c, (struct sockaddr *)&b, &bl);
  say("client getpeername: len matches %d name matches %d\n", bl == al, memcmp(&a, &b, al) == 0);
  write(c, "abs", 3);
  V("read through an abstract connection", read(s, buf, 10));
  close(c);
  close(s);
  close(l);
  l = socket(AF_UNIX, SOCK_STREAM, 0);
  T("the name is free once closed", bind(l, (struct sockaddr *)&a, al));
  close(l);

  int x = socket(AF_UNIX, SOCK_DGRAM, 0), y = socket(AF_UNIX, SOCK_DGRAM, 0);
  sa_family_t fam = AF_UNIX;
  T("autobind (addrlen 2)", bind(x, (struct sockaddr *)&fam, sizeof fam));
  memset(&a, 0x55, sizeof a);
  al = sizeof a;
  getsockname(x, (struct sockaddr *)&a, &al);
  int hex = 1;
  for (int i = 1; i < 6; i++)
    if (!((a.sun_path[i] >= '0' && a.sun_path[i] <= '9') || (a.sun_path[i] >= 'a' && a.sun_path[i] <= 'f'))) hex = 0;
  say("autobind name: len %d first byte %d five hex digits %d\n", (int)al, a.sun_path[0], hex);
  V("bind x again (autobind)", bind(x, (struct sockaddr *)&fam, sizeof fam));
  V("bind x again (a name)", bind(x, (struct sockaddr *)&b, abstract_addr(&b, "x")));
  bind(y, (struct sockaddr *)&fam, sizeof fam);
  bl = sizeof b;
  getsockname(y, (struct sockaddr *)&b, &bl);
  say("two autobinds differ: %d\n", bl != al || memcmp(&a, &b, al) != 0);
  V("sendto the autobound name", sendto(y, "auto", 4, 0, (struct sockaddr *)&a, al));
  memset(&b, 0, sizeof b);
  bl = sizeof b;
  V("recvfrom", recvfrom(x, buf, 100, 0, (struct sockaddr *)&b, &bl));
  say("  sender len %d first byte %d\n", (int)bl, b.sun_path[0]);
  close(x);
  close(y);

  int st = socket(AF_UNIX, SOCK_STREAM, 0);
  T("stream autobind", bind(st, (struct sockaddr *)&fam, sizeof fam));
  T("listen on an autobound stream", listen(st, 1));
  al = sizeof a;
  getsockname(st, (struct sockaddr *)&a, &al);
  c = socket(AF_UNIX, SOCK_STREAM, 0);
  T("connect to the autobound listener", connect(c, (struct sockaddr *)&a, al));
  close(c);
  close(st);
}

static void datagrams(void) {
  say("== datagrams to names ==\n");
  struct sockaddr_un a1, a2, a3, from;
  socklen_t l1 = path_addr(&a1, "d1"), l2 = path_addr(&a2, "d2"), l3 = path_addr(&a3, "d3");
  int d1 = socket(AF_UNIX, SOCK_DGRAM, 0), d2 = socket(AF_UNIX, SOCK_DGRAM, 0), d3 = socket(AF_UNIX, SOCK_DGRAM, 0);
  T("bind d1", bind(d1, (struct sockaddr *)&a1, l1));
  int un = socket(AF_UNIX, SOCK_DGRAM, 0);
  V("unbound sendto d1", sendto(un, "from-unbound", 12, 0, (struct sockaddr *)&a1, l1));
  memset(&from, 0x55, sizeof from);
  socklen_t fl = sizeof from;
  V("recvfrom", recvfrom(d1, buf, 100, 0, (struct sockaddr *)&from, &fl));
  say("  from len %d\n", (int)fl);
  show_name("unbound sender getsockname after sending", un, 0);
  V("send without an address, unconnected", send(un, "x", 1, 0));
  V("sendto a missing path", sendto(un, "x", 1, 0, (struct sockaddr *)&a3, path_addr(&a3, "missing")));
  l3 = path_addr(&a3, "d3");
  V("sendto with family AF_INET", sendto(un, "x", 1, 0, (struct sockaddr *)&(struct sockaddr_un){.sun_family = AF_INET}, l1));
  V("sendto with addrlen 1", sendto(un, "x", 1, 0, (struct sockaddr *)&a1, 1));
  close(un);
  T("bind d2", bind(d2, (struct sockaddr *)&a2, l2));
  T("bind d3", bind(d3, (struct sockaddr *)&a3, l3));
  V("d2 sendto d1", sendto(d2, "from-d2", 7, 0, (struct sockaddr *)&a1, l1));
  fl = sizeof from;
  V("recvfrom", recvfrom(d1, buf, 100, 0, (struct sockaddr *)&from, &fl));
  show_addr("  from", &from, fl);
  T("d1 connects to d2", connect(d1, (struct sockaddr *)&a2, l2));
  show_name("d1 getpeername", d1, 1);
  V("d3 sendto d1 (connected elsewhere)", sendto(d3, "x", 1, 0, (struct sockaddr *)&a1, l1));
  V("d2 sendto d1 (its peer)", sendto(d2, "ok", 2, 0, (struct sockaddr *)&a1, l1));
  V("d1 recv", recv(d1, buf, 100, MSG_DONTWAIT));
  V("d1 send without an address (to d2)", send(d1, "to-d2", 5, 0));
  fl = sizeof from;
  V("d2 recvfrom", recvfrom(d2, buf, 100, MSG_DONTWAIT, (struct sockaddr *)&from, &fl));
  show_addr("  from", &from, fl);
  V("d1 sendto d3 explicitly while connected", sendto(d1, "to-d3", 5, 0, (struct sockaddr *)&a3, l3));
  V("d3 recv", recv(d3, buf, 100, MSG_DONTWAIT));
  struct sockaddr unspec = {.sa_family = AF_UNSPEC};
  T("d1 connect AF_UNSPEC (dissolve)", connect(d1, &unspec, sizeof unspec));
  V("d1 getpeername", getpeername(d1, (struct sockaddr *)&from, &(socklen_t){sizeof from}));
  V("d1 send without an address", send(d1, "x", 1, 0));
  V("d3 sendto d1 now", sendto(d3, "now", 3, 0, (struct sockaddr *)&a1, l1));
  V("d1 recv", recv(d1, buf, 100, MSG_DONTWAIT));
  T("d2 connects to d1", connect(d2, (struct sockaddr *)&a1, l1));
  close(d1);
  V("d2 send after d1 closed", send(d2, "x", 1, 0));
  V("d2 send again", send(d2, "x", 1, 0));
  V("d2 sendto d1's stale name", sendto(d2, "x", 1, 0, (struct sockaddr *)&a1, l1));
  int st = socket(AF_UNIX, SOCK_STREAM, 0);
  bind(st, (struct sockaddr *)&a1, (unlink(a1.sun_path), l1));
  listen(st, 1);
  V("dgram sendto a stream listener's name", sendto(d3, "x", 1, 0, (struct sockaddr *)&a1, l1));
  V("dgram connect to a stream listener's name", connect(d3, (struct sockaddr *)&a1, l1));
  close(st);
  /* EPERM-free fan-in: several senders to one bound name, in order */
  int r = socket(AF_UNIX, SOCK_DGRAM, 0);
  unlink(a1.sun_path);
  bind(r, (struct sockaddr *)&a1, l1);
  for (int i = 0; i < 5; i++) {
    char m[2] = {(char)('0' + i), 0};
    sendto(i % 2 ? d2 : d3, m, 1, 0, (struct sockaddr *)&a1, l1);
  }
  int n;
  ioctl(r, FIONREAD, &n);
  say("FIONREAD with five 1-byte datagrams: %d\n", n);
  char got[8] = {0};
  for (int i = 0; i < 5; i++) recv(r, got + i, 1, 0);
  say("fan-in order: %s\n", got);
  /* a dgram receive queue has a length limit for a sender that is not the peer */
  set_nonblock(d3, 1);
  int sent = 0;
  while (sent < 100000 && sendto(d3, "q", 1, 0, (struct sockaddr *)&a1, l1) == 1) sent++;
  say("non-blocking sendto a full receiver: %s (some sent %d)\n", nerr(errno), sent > 0);
  say("poll sender to a full receiver: %#x\n", poll1(d3, POLLOUT, 0));
  close(r);
  close(d2);
  close(d3);
  unlink(a1.sun_path);
  unlink(a2.sun_path);
  unlink(a3.sun_path);
}

static void misuse(void) {
  say("== misuse ==\n");
  int p[2];
  pipe(p);
  struct sockaddr_un a;
  socklen_t al = path_addr(&a, "x");
  socklen_t sl = sizeof a;
  int v;
  V("bind on a pipe", bind(p[0], (struct sockaddr *)&a, al));
  V("connect on a pipe", connect(p[0], (struct sockaddr *)&a, al));
  V("listen on a pipe", listen(p[0], 1));
  V("accept on a pipe", accept(p[0], NULL, NULL));
  V("getsockname on a pipe", getsockname(p[0], (struct sockaddr *)&a, &sl));
  V("getpeername on a pipe", getpeername(p[0], (struct sockaddr *)&a, &sl));
  V("getsockopt on a pipe", getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &sl));
  V("setsockopt on a pipe", setopt_int(p[0], SOL_SOCKET, SO_KEEPALIVE, 1));
  V("shutdown on a pipe", shutdown(p[0], SHUT_RD));
  V("send on a pipe", send(p[1], "x", 1, 0));
  V("recv on a pipe", recv(p[0], buf, 1, MSG_DONTWAIT));
  V("sendto on a pipe", sendto(p[1], "x", 1, 0, NULL, 0));
  struct msghdr mh = {0};
  V("sendmsg on a pipe", sendmsg(p[1], &mh, 0));
  V("recvmsg on a pipe", recvmsg(p[0], &mh, 0));
  int f = open("/", O_RDONLY | O_DIRECTORY);
  V("listen on a directory fd", listen(f, 1));
  V("send on a directory fd", send(f, "x", 1, 0));
  close(f);
  V("bind on fd 999", bind(999, (struct sockaddr *)&a, al));
  V("listen on fd 999", listen(999, 1));
  V("send on fd -1", send(-1, "x", 1, 0));
  close(p[0]);
  close(p[1]);

  int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
  V("listen on a dgram socket", listen(dg, 1));
  V("accept on a dgram socket", accept(dg, NULL, NULL));
  V("accept4 on a dgram socket", accept4(dg, NULL, NULL, SOCK_CLOEXEC));
  close(dg);
  int st = socket(AF_UNIX, SOCK_STREAM, 0);
  V("accept on an unbound stream", accept(st, NULL, NULL));
  V("read on an unconnected stream", read(st, buf, 1));
  V("recv on an unconnected stream", recv(st, buf, 1, MSG_DONTWAIT));
  V("write on an unconnected stream", send(st, "x", 1, MSG_NOSIGNAL));
  V("sendto with an address on an unconnected stream", sendto(st, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&a, al));
  say("poll unconnected stream: %#x\n", poll1(st, POLLIN | POLLOUT | POLLRDHUP, 0));
  V("getsockopt SO_ERROR", getopt_int(st, SOL_SOCKET, SO_ERROR));
  V("recv with a bad buffer", recv(st, (void *)8, 1, MSG_DONTWAIT));
  close(st);
  int sq = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  V("seqpacket send unconnected", send(sq, "x", 1, MSG_NOSIGNAL));
  V("seqpacket recv unconnected", recv(sq, buf, 1, MSG_DONTWAIT));
  close(sq);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  V("send from a bad buffer", send(sv[0], (void *)8, 4, 0));
  V("recv MSG_DONTWAIT into a bad buffer, empty", recv(sv[1], (void *)8, 4, MSG_DONTWAIT));
  write(sv[0], "abcd", 4);
  V("recv into a bad buffer, data waiting", recv(sv[1], (void *)8, 4, 0));
  V("recv the data after the fault", recv(sv[1], buf, 10, MSG_DONTWAIT));
  V("getsockopt into a bad optlen", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, (socklen_t *)8));
  close(sv[0]);
  close(sv[1]);
}

int main(int argc, char **argv) {
  if (argc > 1) dir = argv[1];
  umask(022);
  socket_creation();
  sockopts();
  stream_pair();
  shutdowns();
  sigpipe();
  messages(SOCK_DGRAM, "dgram");
  messages(SOCK_SEQPACKET, "seqpacket");
  names();
  abstract();
  datagrams();
  misuse();
  say("done\n");
  return 0;
}
