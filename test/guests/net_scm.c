/* Ancillary data on AF_UNIX sockets, differentially: SCM_RIGHTS to a forked
 * child that execs itself and keeps the fds (a pipe's write end, a regular
 * file under argv[1] sharing its offset), several fds in one message,
 * MSG_CTRUNC (the fds that did not fit are closed), MSG_CMSG_CLOEXEC, fds
 * in flight when the socket closes, passing sockets (a listener, a socket
 * through itself), SCM_CREDENTIALS with SO_PASSCRED, and SO_PEERCRED across
 * fork. Prints facts only: never an fd number or a pid.
 *
 * argv: [self, DIR] or, after the exec, [self, "child", DIR, PIPE-FD, FILE-FD, CLOEXEC-FD]. */
#include "net.h"
#include <sys/ioctl.h>

static const char *dir = "/tmp";
static const char *self;
static char buf[4096];

/* Send `data` with `n` fds (SCM_RIGHTS) on fd s. */
static long send_fds(int s, const char *data, size_t len, const int *fds, int n) {
  union {
    char b[CMSG_SPACE(sizeof(int) * 300)];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct iovec iov = {(void *)data, len};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (n > 0) {
    mh.msg_control = u.b;
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  }
  return sendmsg(s, &mh, 0);
}

/* Receive into buf with a control buffer of `ctl` bytes; the fds received
 * go to fds[] (*nfds of them). Prints a line describing what came. */
struct rcv {
  long r;
  int flags;
  int nfds;
  int fds[300];
  int ncmsg;
  int creds;
  struct ucred cred;
  size_t controllen;
};
static struct rcv recv_fds(int s, size_t ctl, int flags) {
  static union {
    char b[CMSG_SPACE(sizeof(int) * 300) + 256];
    struct cmsghdr align;
  } u;
  struct rcv out;
  memset(&out, 0, sizeof out);
  memset(&u, 0, sizeof u);
  struct iovec iov = {buf, sizeof buf};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = ctl ? u.b : NULL;
  mh.msg_controllen = ctl;
  out.r = recvmsg(s, &mh, flags);
  if (out.r < 0) return out;
  out.flags = mh.msg_flags;
  out.controllen = mh.msg_controllen;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    out.ncmsg++;
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      memcpy(out.fds + out.nfds, CMSG_DATA(c), n * sizeof(int));
      out.nfds += n;
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      out.creds++;
      memcpy(&out.cred, CMSG_DATA(c), sizeof out.cred);
    }
  }
  return out;
}
static void show_rcv(const char *what, struct rcv *r) {
  if (r->r < 0) {
    say("%s: -1 %s\n", what, nerr(errno));
    return;
  }
  say("%s: %ld bytes, %d fds, %d cmsgs, MSG_CTRUNC %d, MSG_TRUNC %d\n", what, r->r, r->nfds, r->ncmsg,
      (r->flags & MSG_CTRUNC) != 0, (r->flags & MSG_TRUNC) != 0);
}

/* A sockaddr_un for dir/name (and the path alone in path, if not NULL). */
static void path_addr(struct sockaddr_un *a, char *path, const char *name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  snprintf(a->sun_path, sizeof a->sun_path, "%s/%s", dir, name);
  if (path) strcpy(path, a->sun_path);
}

static int same_file(int a, int b) {
  struct stat sa, sb;
  if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0) return -1;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
static int is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

/* 0 while some write end of the pipe is open, 1 at EOF (no writer left). */
static int pipe_eof(int rd) {
  set_nonblock(rd, 1);
  long r = read(rd, buf, sizeof buf);
  while (r > 0) r = read(rd, buf, sizeof buf);
  set_nonblock(rd, 0);
  return r == 0;
}

static int exec_child(int argc, char **argv) {
  if (argc < 6) return 2;
  int pw = atoi(argv[3]), file = atoi(argv[4]), cx = atoi(argv[5]);
  say("exec child: pipe fd open %d, file fd open %d, MSG_CMSG_CLOEXEC fd open %d\n", is_open(pw), is_open(file),
      is_open(cx));
  struct stat st;
  fstat(pw, &st);
  say("exec child: pipe fd is a FIFO %d, flags O_WRONLY %d\n", S_ISFIFO(st.st_mode),
      (fcntl(pw, F_GETFL) & O_ACCMODE) == O_WRONLY);
  V("exec child: write through the pipe", write(pw, "through exec", 12));
  say("exec child: file offset %ld\n", (long)lseek(file, 0, SEEK_CUR));
  char b[4] = {0};
  V("exec child: read 3 from the file", read(file, b, 3));
  say("exec child: got %s\n", b);
  return 0;
}

/* SCM_RIGHTS to a forked child that execs itself */
static void rights_exec(void) {
  say("== SCM_RIGHTS to a child that execs ==\n");
  char path[256];
  snprintf(path, sizeof path, "%s/scm.file", dir);
  int file = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
  write(file, "0123456789", 10);
  lseek(file, 3, SEEK_SET);
  int p[2], sv[2], extra[2];
  pipe(p);
  pipe(extra);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    close(p[0]);
    close(p[1]);
    close(file);
    close(extra[0]);
    close(extra[1]);
    struct rcv r = recv_fds(sv[1], CMSG_SPACE(sizeof(int) * 2), 0);
    if (r.r < 0 || r.nfds != 2) _exit(10);
    say("child: first message %.*s\n", (int)r.r, buf);
    struct rcv r2 = recv_fds(sv[1], CMSG_SPACE(sizeof(int)), MSG_CMSG_CLOEXEC);
    if (r2.r < 0 || r2.nfds != 1) _exit(11);
    char a[3][16];
    snprintf(a[0], 16, "%d", r.fds[0]);
    snprintf(a[1], 16, "%d", r.fds[1]);
    snprintf(a[2], 16, "%d", r2.fds[0]);
    say("child: received pipe fd cloexec %d, file fd cloexec %d, MSG_CMSG_CLOEXEC fd cloexec %d\n",
        fd_cloexec(r.fds[0]), fd_cloexec(r.fds[1]), fd_cloexec(r2.fds[0]));
    say("child: second message %.*s\n", (int)r2.r, buf);
    execl(self, self, "child", dir, a[0], a[1], a[2], (char *)NULL);
    _exit(12);
  }
  close(sv[1]);
  int two[2] = {p[1], file};
  /* the child prints until it exits: report the sends after that */
  errno = 0;
  long s1 = send_fds(sv[0], "fds", 3, two, 2);
  int e1 = errno;
  long s2 = send_fds(sv[0], "+", 1, &extra[1], 1);
  int e2 = errno;
  close(p[1]);
  close(extra[1]);
  reap("exec child", pid);
  say("send a pipe's write end and a file: %ld %s\n", s1, s1 < 0 ? nerr(e1) : "OK");
  say("send one more fd (for MSG_CMSG_CLOEXEC): %ld %s\n", s2, s2 < 0 ? nerr(e2) : "OK");
  long n = read(p[0], buf, sizeof buf);
  say("parent reads the pipe: %ld %.*s\n", n, (int)(n > 0 ? n : 0), buf);
  say("pipe at EOF once the child is gone: %d\n", pipe_eof(p[0]));
  say("extra pipe at EOF (its MSG_CMSG_CLOEXEC copy closed at exec): %d\n", pipe_eof(extra[0]));
  say("parent's file offset after the child read: %ld\n", (long)lseek(file, 0, SEEK_CUR));
  close(p[0]);
  close(extra[0]);
  close(file);
  close(sv[0]);
  unlink(path);
}

static void rights_many(void) {
  say("== several fds, truncation, errors ==\n");
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  int pr[4], pw[4];
  for (int i = 0; i < 4; i++) {
    int p[2];
    pipe(p);
    pr[i] = p[0];
    pw[i] = p[1];
  }
  V("send 3 fds in one message", send_fds(sv[0], "three", 5, pw, 3));
  struct rcv r = recv_fds(sv[1], CMSG_SPACE(sizeof(int) * 8), 0);
  show_rcv("recvmsg", &r);
  say("  msg_controllen is CMSG_SPACE(3 fds) %d, CMSG_LEN(3 fds) %d\n", r.controllen == CMSG_SPACE(3 * sizeof(int)),
      r.controllen == CMSG_LEN(3 * sizeof(int)));
  say("  same files, in order: %d %d %d\n", same_file(r.fds[0], pw[0]), same_file(r.fds[1], pw[1]),
      same_file(r.fds[2], pw[2]));
  say("  all distinct from the originals: %d\n", r.fds[0] != pw[0] && r.fds[1] != pw[1] && r.fds[2] != pw[2]);
  V("  write through a received fd", write(r.fds[1], "via", 3));
  V("  read it from the pipe", read(pr[1], buf, 10));
  for (int i = 0; i < r.nfds; i++) close(r.fds[i]);

  /* two SCM_RIGHTS headers in one sendmsg */
  union {
    char b[CMSG_SPACE(sizeof(int)) * 2];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct iovec iov = {"two-cmsgs", 9};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = u.b;
  mh.msg_controllen = sizeof u.b;
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &pw[0], sizeof(int));
  c = CMSG_NXTHDR(&mh, c);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &pw[1], sizeof(int));
  V("sendmsg with two SCM_RIGHTS headers", sendmsg(sv[0], &mh, 0));
  r = recv_fds(sv[1], CMSG_SPACE(sizeof(int) * 8), 0);
  show_rcv("recvmsg", &r);
  say("  same files: %d %d\n", same_file(r.fds[0], pw[0]), same_file(r.fds[1], pw[1]));
  for (int i = 0; i < r.nfds; i++) close(r.fds[i]);

  /* a control buffer too small for all of them */
  int fresh[4];
  for (int i = 0; i < 4; i++) {
    int p[2];
    pipe(p);
    close(pr[i]);
    close(pw[i]);
    pr[i] = p[0];
    pw[i] = p[1];
    fresh[i] = p[1];
  }
  V("send 4 fds", send_fds(sv[0], "four", 4, fresh, 4));
  for (int i = 0; i < 4; i++) close(pw[i]);
  say("pipes still have a writer (in flight): %d %d %d %d\n", !pipe_eof(pr[0]), !pipe_eof(pr[1]), !pipe_eof(pr[2]),
      !pipe_eof(pr[3]));
  r = recv_fds(sv[1], CMSG_SPACE(sizeof(int) * 2), 0);
  show_rcv("recvmsg with room for 2", &r);
  say("  msg_controllen is CMSG_SPACE(2 fds) %d\n", r.controllen == CMSG_SPACE(2 * sizeof(int)));
  say("  pipes at EOF (the 2 that did not fit were closed): %d %d %d %d\n", pipe_eof(pr[0]), pipe_eof(pr[1]),
      pipe_eof(pr[2]), pipe_eof(pr[3]));
  for (int i = 0; i < r.nfds; i++) close(r.fds[i]);
  say("  after closing the received ones: %d %d\n", pipe_eof(pr[0]), pipe_eof(pr[1]));
  for (int i = 0; i < 4; i++) close(pr[i]);

  int p[2];
  pipe(p);
  V("send 1 fd", send_fds(sv[0], "none", 4, &p[1], 1));
  close(p[1]);
  r = recv_fds(sv[1], 0, 0);
  show_rcv("recvmsg with no control buffer", &r);
  say("  pipe at EOF: %d\n", pipe_eof(p[0]));
  close(p[0]);
  pipe(p);
  send_fds(sv[0], "tiny", 4, &p[1], 1);
  close(p[1]);
  r = recv_fds(sv[1], sizeof(struct cmsghdr), 0);
  show_rcv("recvmsg with a control buffer of one cmsghdr", &r);
  say("  msg_controllen %d, pipe at EOF: %d\n", (int)r.controllen, pipe_eof(p[0]));
  close(p[0]);

  /* MSG_PEEK installs copies; the real read installs them again */
  pipe(p);
  send_fds(sv[0], "peek", 4, &p[1], 1);
  close(p[1]);
  r = recv_fds(sv[1], CMSG_SPACE(sizeof(int) * 2), MSG_PEEK);
  show_rcv("recvmsg MSG_PEEK", &r);
  int peeked = r.nfds ? r.fds[0] : -1;
  r = recv_fds(sv[1], CMSG_SPACE(sizeof(int) * 2), 0);
  show_rcv("recvmsg", &r);
  say("  peeked and received are the same pipe: %d, different fds %d\n", peeked >= 0 && same_file(peeked, r.fds[0]),
      peeked != r.fds[0]);
  if (peeked >= 0) close(peeked);
  if (r.nfds) close(r.fds[0]);
  say("  pipe at EOF after closing both: %d\n", pipe_eof(p[0]));
  close(p[0]);

  /* errors */
  int bad = 999;
  V("send fd 999", send_fds(sv[0], "x", 1, &bad, 1));
  int many[254];
  for (int i = 0; i < 254; i++) many[i] = 0;
  V("send 253 fds", send_fds(sv[0], "x", 1, many, 253));
  r = recv_fds(sv[1], CMSG_SPACE(sizeof(int) * 300), 0);
  show_rcv("recvmsg 253", &r);
  for (int i = 0; i < r.nfds; i++) close(r.fds[i]);
  V("send 254 fds", send_fds(sv[0], "x", 1, many, 254));
  memset(&u, 0, sizeof u);
  mh.msg_control = u.b;
  mh.msg_controllen = CMSG_SPACE(sizeof(int));
  c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = 99;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  V("sendmsg with cmsg_type 99", sendmsg(sv[0], &mh, 0));
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_SPACE(sizeof(int)) + 8;
  V("sendmsg with cmsg_len past msg_controllen", sendmsg(sv[0], &mh, 0));
  c->cmsg_len = 4;
  V("sendmsg with cmsg_len 4", sendmsg(sv[0], &mh, 0));
  c->cmsg_level = 12345;
  c->cmsg_type = 1;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  V("sendmsg with a cmsg of another level (ignored)", sendmsg(sv[0], &mh, 0));
  r = recv_fds(sv[1], CMSG_SPACE(sizeof(int) * 8), MSG_DONTWAIT);
  show_rcv("  received", &r);
  mh.msg_controllen = 8;
  V("sendmsg with msg_controllen 8", sendmsg(sv[0], &mh, 0));
  r = recv_fds(sv[1], CMSG_SPACE(sizeof(int) * 8), MSG_DONTWAIT);
  show_rcv("  received", &r);
  mh.msg_control = (void *)8;
  mh.msg_controllen = 64;
  V("sendmsg with a bad msg_control", sendmsg(sv[0], &mh, 0));
  int pf[2];
  pipe(pf);
  int stream[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, stream);
  V("stream: send 0 bytes with an fd", send_fds(stream[0], "", 0, &pf[1], 1));
  V("stream: send 'ab' with an fd", send_fds(stream[0], "ab", 2, &pf[1], 1));
  V("stream: send 'cd' plain", send(stream[0], "cd", 2, 0));
  V("stream: send 'ef' with an fd", send_fds(stream[0], "ef", 2, &pf[1], 1));
  V("stream: send 'gh' plain", send(stream[0], "gh", 2, 0));
  for (int i = 0; i < 4; i++) {
    r = recv_fds(stream[1], CMSG_SPACE(sizeof(int) * 8), MSG_DONTWAIT);
    show_rcv("stream recvmsg", &r);
    if (r.r > 0) say("  data %.*s\n", (int)r.r, buf);
    for (int k = 0; k < r.nfds; k++) close(r.fds[k]);
  }
  close(pf[1]);
  say("pipe at EOF: %d\n", pipe_eof(pf[0]));
  close(pf[0]);
  close(stream[0]);
  close(stream[1]);

  /* fds in flight when both ends close are released */
  pipe(p);
  socketpair(AF_UNIX, SOCK_STREAM, 0, stream);
  send_fds(stream[0], "lost", 4, &p[1], 1);
  close(p[1]);
  say("in flight, a writer exists: %d\n", !pipe_eof(p[0]));
  close(stream[0]);
  close(stream[1]);
  say("socket closed with the fd unreceived, pipe at EOF: %d\n", pipe_eof(p[0]));
  close(p[0]);
  close(sv[0]);
  close(sv[1]);
}

static void pass_sockets(void) {
  say("== passing sockets ==\n");
  int a[2], b[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, a);
  socketpair(AF_UNIX, SOCK_STREAM, 0, b);
  V("send a socket over a socket", send_fds(a[0], "s", 1, &b[1], 1));
  close(b[1]);
  struct rcv r = recv_fds(a[1], CMSG_SPACE(sizeof(int)), 0);
  show_rcv("recvmsg", &r);
  int x = r.fds[0];
  say("  received is a socket: SO_TYPE %ld SO_DOMAIN %ld\n", getopt_int(x, SOL_SOCKET, SO_TYPE),
      getopt_int(x, SOL_SOCKET, SO_DOMAIN));
  V("  write through it", write(x, "passed", 6));
  V("  the other end reads", read(b[0], buf, 10));
  struct ucred c;
  socklen_t cl = sizeof c;
  getsockopt(x, SOL_SOCKET, SO_PEERCRED, &c, &cl);
  say("  its SO_PEERCRED is still the creator (me): %d\n", c.pid == getpid());
  close(x);
  V("  after closing the passed socket, read", read(b[0], buf, 10));
  close(b[0]);

  V("send a socket's own end through itself", send_fds(a[0], "me", 2, &a[1], 1));
  r = recv_fds(a[1], CMSG_SPACE(sizeof(int)), 0);
  show_rcv("recvmsg", &r);
  V("  write to the received copy", write(r.fds[0], "loop", 4));
  V("  read it on the other end", read(a[0], buf, 10));
  close(r.fds[0]);
  /* a cycle: each end holds the other in flight, then both close */
  int q[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, q);
  send_fds(q[0], "c", 1, &q[1], 1);
  send_fds(q[1], "c", 1, &q[0], 1);
  T("close a cycle of in-flight sockets", close(q[0]) | close(q[1]));

  /* a listening socket handed to a child, which accepts on it */
  char path[256];
  struct sockaddr_un sa;
  path_addr(&sa, path, "scm.listen");
  unlink(path);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  bind(l, (struct sockaddr *)&sa, sizeof sa);
  listen(l, 4);
  pid_t pid = fork();
  if (pid == 0) {
    close(a[0]);
    close(l);
    struct rcv cr = recv_fds(a[1], CMSG_SPACE(sizeof(int)), 0);
    if (cr.nfds != 1) _exit(20);
    int s = accept(cr.fds[0], NULL, NULL);
    if (s < 0) _exit(21);
    long n = read(s, buf, sizeof buf);
    write(s, buf, n);
    _exit(getopt_int(cr.fds[0], SOL_SOCKET, SO_ACCEPTCONN) == 1 ? 0 : 22);
  }
  V("send a listening socket to a child", send_fds(a[0], "L", 1, &l, 1));
  close(l);
  int cs = socket(AF_UNIX, SOCK_STREAM, 0);
  T("connect to it", connect(cs, (struct sockaddr *)&sa, sizeof sa));
  write(cs, "echo me", 7);
  long n = read_full(cs, buf, 7);
  say("the child accepted and echoed: %ld %.7s\n", n, buf);
  reap("accepting child", pid);
  close(cs);
  unlink(path);
  close(a[0]);
  close(a[1]);
}

static void credentials(void) {
  say("== SCM_CREDENTIALS and SO_PEERCRED ==\n");
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  send(sv[0], "nocred", 6, 0);
  struct rcv r = recv_fds(sv[1], 256, 0);
  show_rcv("recvmsg without SO_PASSCRED", &r);
  say("  msg_controllen %d\n", (int)r.controllen);
  T("SO_PASSCRED on the receiver", setopt_int(sv[1], SOL_SOCKET, SO_PASSCRED, 1));
  pid_t pid = fork();
  if (pid == 0) {
    send(sv[0], "from-child", 10, 0);
    _exit(0);
  }
  reap("sender child", pid);
  send(sv[0], "from-parent", 11, 0);
  r = recv_fds(sv[1], 256, 0);
  show_rcv("recvmsg from the child", &r);
  say("  SCM_CREDENTIALS %d pid is the child's %d uid %d gid %d\n", r.creds, r.cred.pid == pid,
      r.cred.uid == getuid(), r.cred.gid == getgid());
  say("  msg_controllen is CMSG_SPACE(ucred) %d\n", r.controllen == CMSG_SPACE(sizeof(struct ucred)));
  r = recv_fds(sv[1], 256, 0);
  show_rcv("recvmsg from the parent", &r);
  say("  SCM_CREDENTIALS %d pid is mine %d\n", r.creds, r.cred.pid == getpid());
  send(sv[0], "small", 5, 0);
  r = recv_fds(sv[1], sizeof(struct cmsghdr) + 4, 0);
  show_rcv("recvmsg with a control buffer too small for a ucred", &r);
  say("  msg_controllen %d\n", (int)r.controllen);

  /* explicit SCM_CREDENTIALS from the sender: its own are accepted */
  union {
    char b[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct iovec iov = {"explicit", 8};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = u.b;
  mh.msg_controllen = sizeof u.b;
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  struct ucred mine = {getpid(), getuid(), getgid()};
  memcpy(CMSG_DATA(c), &mine, sizeof mine);
  V("sendmsg with my own SCM_CREDENTIALS", sendmsg(sv[0], &mh, 0));
  r = recv_fds(sv[1], 256, 0);
  show_rcv("recvmsg", &r);
  say("  pid is mine %d\n", r.cred.pid == getpid());
  c->cmsg_len = CMSG_LEN(sizeof(struct ucred) - 4);
  V("sendmsg with a short SCM_CREDENTIALS", sendmsg(sv[0], &mh, 0));
  /* (as root: another pid and ids pass scm_check_creds; a pid that names nothing does not, nor a uid of -1) */
  c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  struct ucred none = {0x3ffffff0, getuid(), getgid()};
  memcpy(CMSG_DATA(c), &none, sizeof none);
  V("sendmsg with SCM_CREDENTIALS of a pid that names nothing", sendmsg(sv[0], &mh, 0));
  struct ucred baduid = {getpid(), (uid_t)-1, getgid()};
  memcpy(CMSG_DATA(c), &baduid, sizeof baduid);
  V("sendmsg with SCM_CREDENTIALS of uid -1", sendmsg(sv[0], &mh, 0));
  close(sv[0]);
  close(sv[1]);

  /* stream: with SO_PASSCRED a read never joins data from two writers */
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  for (int pass = 0; pass < 2; pass++) {
    if (pass) setopt_int(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
    write(sv[0], "AAA", 3);
    pid = fork();
    if (pid == 0) {
      write(sv[0], "BBB", 3);
      _exit(0);
    }
    reap("writer child", pid);
    write(sv[0], "CCC", 3);
    long got = 0;
    while (got < 9) {
      r = recv_fds(sv[1], 256, 0);
      if (r.r <= 0) break;
      got += r.r;
      say("stream SO_PASSCRED %d: read %ld %.*s creds %d pid is the child's %d\n", pass, r.r, (int)r.r, buf, r.creds,
          r.creds && r.cred.pid == pid);
    }
  }
  close(sv[0]);
  close(sv[1]);

  /* a sender with SO_PASSCRED is autobound when it sends */
  int d[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
  int un = socket(AF_UNIX, SOCK_DGRAM, 0);
  char path[256];
  struct sockaddr_un sa;
  path_addr(&sa, path, "scm.dgram");
  unlink(path);
  int rx = socket(AF_UNIX, SOCK_DGRAM, 0);
  bind(rx, (struct sockaddr *)&sa, sizeof sa);
  setopt_int(un, SOL_SOCKET, SO_PASSCRED, 1);
  V("sendto from an unbound sender with SO_PASSCRED", sendto(un, "hi", 2, 0, (struct sockaddr *)&sa, sizeof sa));
  struct sockaddr_un from;
  socklen_t fl = sizeof from;
  memset(&from, 0x55, sizeof from);
  V("recvfrom", recvfrom(rx, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
  say("  sender address len %d abstract %d\n", (int)fl, fl > 2 && from.sun_path[0] == 0);
  close(un);
  close(d[0]);
  close(d[1]);

  /* SO_PEERCRED across fork: the connector's pid, and the listener's for the connector */
  char lpath[256];
  struct sockaddr_un la;
  path_addr(&la, lpath, "scm.peer");
  unlink(lpath);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  bind(l, (struct sockaddr *)&la, sizeof la);
  listen(l, 4);
  pid_t parent = getpid();
  int sync[2];
  pipe(sync);
  pid = fork();
  if (pid == 0) {
    close(l);
    close(sync[0]);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&la, sizeof la) < 0) _exit(30);
    struct ucred pc;
    socklen_t pl = sizeof pc;
    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &pc, &pl);
    char verdict = pc.pid == parent ? '1' : '0';
    write(sync[1], &verdict, 1);
    /* the pair made before the fork names its creator, the parent */
    _exit(0);
  }
  close(sync[1]);
  int s = accept(l, NULL, NULL);
  reap("connecting child", pid);
  char verdict = '?';
  read(sync[0], &verdict, 1);
  say("child's SO_PEERCRED on its connection names the listener (the parent): %c\n", verdict);
  struct ucred pc;
  socklen_t pl = sizeof pc;
  T("SO_PEERCRED on the accepted connection", getsockopt(s, SOL_SOCKET, SO_PEERCRED, &pc, &pl));
  say("  pid is the child's %d (after it exited), mine %d, uid %d gid %d\n", pc.pid == pid, pc.pid == getpid(),
      pc.uid == getuid(), pc.gid == getgid());
  close(s);
  close(sync[0]);

  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  pipe(sync);
  pid = fork();
  if (pid == 0) {
    struct ucred cc;
    socklen_t ccl = sizeof cc;
    getsockopt(pair[1], SOL_SOCKET, SO_PEERCRED, &cc, &ccl);
    char v = cc.pid == parent ? '1' : '0';
    write(sync[1], &v, 1);
    _exit(0);
  }
  reap("child", pid);
  read(sync[0], &verdict, 1);
  say("a socketpair made before fork: the child's SO_PEERCRED names the parent: %c\n", verdict);
  close(sync[0]);
  close(sync[1]);
  close(pair[0]);
  close(pair[1]);
  close(l);
  close(rx);
  unlink(lpath);
  unlink(path);
}

int main(int argc, char **argv) {
  self = argv[0];
  if (argc > 1 && strcmp(argv[1], "child") == 0) return exec_child(argc, argv);
  if (argc > 1) dir = argv[1];
  umask(022);
  rights_exec();
  rights_many();
  pass_sockets();
  credentials();
  say("done\n");
  return 0;
}
