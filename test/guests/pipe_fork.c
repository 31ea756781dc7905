/* Pipes between processes: a blocking reader and writer moving 4 MB, EOF
 * when the last writer (in any process) closes, PIPE_BUF writes from four
 * writers never interleaving, a writer killed by SIGPIPE, poll/epoll/select
 * woken by another process, and a blocked read/poll interrupted by a signal
 * handler (EINTR without SA_RESTART; read restarted with it, poll never).
 * Output is compared with the host kernel's. */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static char buf[1 << 16];

static int status_of(pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid) return -1;
  return st;
}
static void describe(const char *what, int st) {
  if (WIFEXITED(st)) say("%s: exit %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) say("%s: signal %d\n", what, WTERMSIG(st));
  else say("%s: status %#x\n", what, st);
}
static void msleep(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, NULL);
}
static void on_alrm(int sig) { (void)sig; }
static void alarm_in(int ms) {
  struct itimerval it = {{0, 0}, {0, ms * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
}

int main(void) {
  int p[2];

  /* 4 MB through a pipe, checksummed, with writes of odd sizes */
  pipe(p);
  pid_t w = fork();
  if (w == 0) {
    close(p[0]);
    unsigned char x = 0;
    long left = 4 << 20;
    while (left > 0) {
      int n = left < 12345 ? (int)left : 12345;
      for (int i = 0; i < n; i++) buf[i] = x++;
      int off = 0;
      while (off < n) {
        long r = write(p[1], buf + off, n - off);
        if (r <= 0) _exit(3);
        off += r;
      }
      left -= n;
    }
    _exit(0);
  }
  close(p[1]);
  unsigned char want = 0;
  long total = 0, bad = 0, r;
  while ((r = read(p[0], buf, sizeof buf)) > 0) {
    for (long i = 0; i < r; i++)
      if ((unsigned char)buf[i] != want++) bad++;
    total += r;
  }
  say("stream: %ld bytes, %ld bad, last read %ld\n", total, bad, r);
  describe("writer", status_of(w));
  close(p[0]);

  /* EOF only when every writer is gone: the child holds a copy */
  pipe(p);
  w = fork();
  if (w == 0) {
    msleep(50);
    write(p[1], "late", 4);
    _exit(0);
  }
  close(p[1]);
  r = read(p[0], buf, sizeof buf);
  say("read while the child holds the write end: %ld\n", r);
  r = read(p[0], buf, sizeof buf);
  say("then EOF: %ld\n", r);
  describe("child", status_of(w));
  close(p[0]);

  /* PIPE_BUF writes from four writers stay whole */
  pipe(p);
  pid_t kids[4];
  for (int k = 0; k < 4; k++) {
    kids[k] = fork();
    if (kids[k] == 0) {
      close(p[0]);
      memset(buf, 'A' + k, 4096);
      for (int i = 0; i < 200; i++)
        if (write(p[1], buf, 4096) != 4096) _exit(4);
      _exit(0);
    }
  }
  close(p[1]);
  long records = 0, torn = 0, counts[4] = {0};
  for (;;) {
    long got = 0;
    while (got < 4096 && (r = read(p[0], buf + got, 4096 - got)) > 0) got += r;
    if (got == 0) break;
    records++;
    for (int i = 1; i < got; i++)
      if (buf[i] != buf[0]) {
        torn++;
        break;
      }
    if (buf[0] >= 'A' && buf[0] <= 'D') counts[buf[0] - 'A']++;
  }
  say("records %ld torn %ld per writer %ld %ld %ld %ld\n", records, torn, counts[0], counts[1], counts[2], counts[3]);
  for (int k = 0; k < 4; k++) describe("atomic writer", status_of(kids[k]));
  close(p[0]);

  /* SIGPIPE's default action kills the writer */
  pipe(p);
  w = fork();
  if (w == 0) {
    close(p[0]);
    msleep(20);
    write(p[1], "x", 1);
    _exit(0);
  }
  close(p[0]);
  close(p[1]);
  describe("writer to a closed pipe", status_of(w));

  /* a writer blocked on a full pipe gets EPIPE-and-SIGPIPE when the reader goes */
  pipe(p);
  w = fork();
  if (w == 0) {
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    long n = 0;
    for (;;) {
      r = write(p[1], buf, 4096);
      if (r < 0) break;
      n += r;
    }
    say("blocked writer: %ld bytes in, then %s\n", n, errname(errno));
    _exit(0);
  }
  close(p[1]);
  /* until the pipe is full (64 KiB: the writer is blocked, or about to
   * be), however slowly the writer starts; then a little more */
  for (int i = 0, avail = 0; i < 10000 && (ioctl(p[0], FIONREAD, &avail) < 0 || avail < 65536); i++) msleep(1);
  msleep(20);
  close(p[0]);
  describe("blocked writer", status_of(w));

  /* poll, select, epoll_wait woken by another process's write */
  pipe(p);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  for (int round = 0; round < 3; round++) {
    w = fork();
    if (w == 0) {
      msleep(30);
      write(p[1], "w", 1);
      _exit(0);
    }
    int n;
    if (round == 0) {
      struct pollfd pf = {p[0], POLLIN, 0};
      n = poll(&pf, 1, 5000);
      say("poll woken: %d %#x\n", n, pf.revents);
    } else if (round == 1) {
      fd_set rd;
      FD_ZERO(&rd);
      FD_SET(p[0], &rd);
      n = select(p[0] + 1, &rd, NULL, NULL, NULL);
      say("select woken: %d %d\n", n, FD_ISSET(p[0], &rd));
    } else {
      n = epoll_wait(ep, &ev, 1, 5000);
      say("epoll_wait woken: %d %u\n", n, ev.data.u32);
    }
    read(p[0], buf, 1);
    describe("waker", status_of(w));
  }

  /* a signal handler interrupts: read EINTR without SA_RESTART; with it the read goes on; poll never restarts */
  struct sigaction sa = {0};
  sa.sa_handler = on_alrm;
  sigaction(SIGALRM, &sa, NULL);
  alarm_in(30);
  r = read(p[0], buf, 1);
  say("read, no SA_RESTART: %ld %s\n", r, res(r));
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  w = fork();
  if (w == 0) {
    msleep(80);
    write(p[1], "r", 1);
    _exit(0);
  }
  alarm_in(30);
  r = read(p[0], buf, 1);
  say("read, SA_RESTART: %ld '%c'\n", r, buf[0]);
  describe("late writer", status_of(w));
  alarm_in(30);
  struct pollfd pf = {p[0], POLLIN, 0};
  r = poll(&pf, 1, 5000);
  say("poll, SA_RESTART: %ld %s\n", r, res(r));
  alarm_in(30);
  r = epoll_wait(ep, &ev, 1, 5000);
  say("epoll_wait, SA_RESTART: %ld %s\n", r, res(r));
  alarm_in(30);
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  r = select(p[0] + 1, &rd, NULL, NULL, NULL);
  say("select, SA_RESTART: %ld %s\n", r, res(r));
  return 0;
}
