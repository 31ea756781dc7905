/* Pseudo-terminals in one process: /dev/ptmx, grantpt/unlockpt/ptsname,
 * the slave lock, TIOCGPTPEER, the slave's attributes and its name in
 * /dev/pts, ttyname, the default termios, canonical mode with echo both
 * ways, raw mode, output processing, EOF, FIONREAD, window size and
 * non-blocking reads. Prints facts, never pty numbers. */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

static int master, slave;

/* Read what is there on fd (non-blocking after a poll), shown with escapes. */
static void show(const char *what, int fd) {
  char buf[512], out[2048];
  int n = 0;
  struct pollfd p = {fd, POLLIN, 0};
  /* natively a kernel worker moves written bytes through the line discipline: poll may say readable when
   * part of a write's echo is there, so give it time to finish before the one read */
  if (poll(&p, 1, 2000) > 0) {
    usleep(20000);
    n = read(fd, buf, sizeof buf);
  }
  if (n < 0) {
    say("%s: read %s\n", what, errname(errno));
    return;
  }
  int k = 0;
  for (int i = 0; i < n && k < (int)sizeof out - 8; i++) {
    unsigned char c = buf[i];
    if (c == '\r') k += sprintf(out + k, "\\r");
    else if (c == '\n') k += sprintf(out + k, "\\n");
    else if (c < 32 || c >= 127) k += sprintf(out + k, "\\x%02x", c);
    else out[k++] = c;
  }
  out[k] = 0;
  say("%s: %d \"%s\"\n", what, n, out);
}

int main(void) {
  master = posix_openpt(O_RDWR | O_NOCTTY);
  say("posix_openpt: %s\n", res(master));
  struct stat st;
  fstat(master, &st);
  say("master: chr %d rdev %u:%u isatty %d\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev), isatty(master));
  const char *name = ptsname(master);
  say("ptsname: %s\n", name && strncmp(name, "/dev/pts/", 9) == 0 ? "/dev/pts/N" : "?");
  char path[64];
  snprintf(path, sizeof path, "%s", name);
  unsigned ptn = 99999;
  say("TIOCGPTN: %s\n", res(ioctl(master, TIOCGPTN, &ptn)));
  say("TIOCGPTN matches: %d\n", atoi(path + 9) == (int)ptn);
  int lk = -1;
  ioctl(master, TIOCGPTLCK, &lk);
  say("locked at birth: %d\n", lk);
  int r = open(path, O_RDWR | O_NOCTTY);
  say("open locked slave: %s\n", res(r));
  say("grantpt: %s\n", res(grantpt(master)));
  say("unlockpt: %s\n", res(unlockpt(master)));
  ioctl(master, TIOCGPTLCK, &lk);
  say("locked after unlockpt: %d\n", lk);
  slave = open(path, O_RDWR | O_NOCTTY);
  say("open slave: %s\n", res(slave));

  /* the slave's node */
  struct stat a, b;
  stat(path, &a);
  fstat(slave, &b);
  say("slave: chr %d major %u minor==N %d uid==me %d perm-bits-0620-or-0600 %d same-inode %d\n", S_ISCHR(a.st_mode),
      major(a.st_rdev), minor(a.st_rdev) == ptn, a.st_uid == geteuid(), (a.st_mode & 0777) == 0620 || (a.st_mode & 0777) == 0600,
      a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  char *tn = ttyname(slave);
  say("ttyname(slave) == ptsname: %d\n", tn && strcmp(tn, path) == 0);
  say("ttyname(master): %s\n", ttyname(master) ? "a name" : errname(errno));
  char link[64] = {0}, proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", slave);
  (void)!readlink(proc, link, sizeof link - 1);
  say("readlink fd == ptsname: %d\n", strcmp(link, path) == 0);
  DIR *d = opendir("/dev/pts");
  int seen = 0, ptmx = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (strcmp(e->d_name, path + 9) == 0) seen = e->d_type == DT_CHR;
    if (strcmp(e->d_name, "ptmx") == 0) ptmx = 1;
  }
  if (d) closedir(d);
  say("readdir /dev/pts: our pty %d, ptmx %d\n", seen, ptmx);
  int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  say("TIOCGPTPEER: %s\n", res(peer));
  if (peer >= 0) {
    fstat(peer, &b);
    say("peer is the slave: %d\n", b.st_rdev == a.st_rdev);
    close(peer);
  }
  say("TIOCGPTPEER on slave: %s\n", res(ioctl(slave, TIOCGPTPEER, O_RDWR)));
  say("TIOCGPTN on slave: %s\n", res(ioctl(slave, TIOCGPTN, &ptn)));
  say("TIOCPKT on slave: %s\n", res(ioctl(slave, TIOCPKT, &lk)));

  /* default termios */
  struct termios t, tm;
  tcgetattr(slave, &t);
  say("slave termios: i %o o %o c %o l %o vmin %d\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag, t.c_cc[VMIN]);
  tcgetattr(master, &tm);
  say("master termios is the slave's: %d\n", memcmp(&t, &tm, sizeof t) == 0);

  /* canonical with echo: the master types, the slave reads lines */
  (void)!write(master, "hello", 5);
  show("echo of hello", master);
  int n = 0;
  ioctl(slave, FIONREAD, &n);
  say("FIONREAD before newline: %d\n", n);
  fcntl(slave, F_SETFL, O_NONBLOCK);
  fcntl(master, F_SETFL, O_NONBLOCK);
  char buf[256];
  r = read(slave, buf, sizeof buf);
  say("read without a line: %s\n", res(r));
  (void)!write(master, " world\x7f\x7f\x7f\x7f\x7fthere\r", 17);
  show("echo of edit", master);
  ioctl(slave, FIONREAD, &n);
  say("FIONREAD with a line: %d\n", n);
  show("slave reads", slave);
  (void)!write(master, "ab\x15xy\n", 6); /* ^U kills the line */
  show("echo of kill", master);
  show("slave reads after kill", slave);
  (void)!write(master, "\x04", 1);
  r = read(slave, buf, sizeof buf);
  say("^D at start of line: %d\n", r);
  (void)!write(master, "\x01\x1b[A\t\n", 6);
  show("control chars echo", master);
  show("slave reads control chars", slave);

  /* the slave writes: ONLCR turns \n into \r\n */
  (void)!write(slave, "out\nline\n", 9);
  show("master reads slave output", master);
  t.c_oflag &= ~ONLCR;
  tcsetattr(slave, TCSANOW, &t);
  (void)!write(slave, "raw\n", 4);
  show("without ONLCR", master);
  t.c_oflag |= ONLCR;
  tcsetattr(slave, TCSANOW, &t);

  /* raw mode */
  struct termios raw = t;
  cfmakeraw(&raw);
  tcsetattr(slave, TCSANOW, &raw);
  tcgetattr(slave, &raw);
  say("raw termios: i %o o %o c %o l %o\n", raw.c_iflag, raw.c_oflag, raw.c_cflag, raw.c_lflag);
  (void)!write(master, "a\rb\x03\x7f", 5);
  show("slave reads raw", slave);
  r = read(master, buf, sizeof buf);
  say("no echo in raw mode: %s\n", res(r));
  (void)!write(slave, "x\ny", 3);
  show("raw output", master);
  tcsetattr(slave, TCSANOW, &t);

  /* echo off (a password prompt) */
  struct termios ne = t;
  ne.c_lflag &= ~ECHO;
  tcsetattr(slave, TCSAFLUSH, &ne);
  (void)!write(master, "secret\n", 7);
  r = read(master, buf, sizeof buf);
  say("no echo: %s\n", res(r));
  show("slave reads secret", slave);
  tcsetattr(slave, TCSANOW, &t);

  /* window size */
  struct winsize ws = {0};
  ioctl(slave, TIOCGWINSZ, &ws);
  say("initial winsize: %d %d\n", ws.ws_row, ws.ws_col);
  struct winsize set = {.ws_row = 24, .ws_col = 80, .ws_xpixel = 1, .ws_ypixel = 2};
  say("TIOCSWINSZ master: %s\n", res(ioctl(master, TIOCSWINSZ, &set)));
  ioctl(slave, TIOCGWINSZ, &ws);
  say("slave sees: %d %d %d %d\n", ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel);

  /* tcflush drops unread input */
  (void)!write(master, "gone\n", 5);
  show("echo before flush", master);
  tcflush(slave, TCIFLUSH);
  r = read(slave, buf, sizeof buf);
  say("after TCIFLUSH: %s\n", res(r));

  /* epoll on the master sees the slave's output */
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1}, evs[2];
  epoll_ctl(ep, EPOLL_CTL_ADD, master, &ev);
  say("epoll on the master, nothing written: %d\n", epoll_wait(ep, evs, 2, 0));
  (void)!write(slave, "e\n", 2);
  int k = epoll_wait(ep, evs, 2, 5000);
  say("epoll after the slave writes: %d IN %d\n", k, k > 0 && (evs[0].events & EPOLLIN) != 0);
  show("epoll data", master);
  close(ep);

  /* a large write from the master while the slave reads nothing: bounded */
  tcsetattr(slave, TCSANOW, &raw);
  long total = 0;
  char big[1024];
  memset(big, 'z', sizeof big);
  for (int i = 0; i < 200; i++) {
    r = write(master, big, sizeof big);
    if (r < 0) break;
    total += r;
  }
  say("master writes until full: stops with %s, some written %d, bounded %d\n", r < 0 ? errname(errno) : "no error", total > 0, total < 200 * 1024);
  long got = 0;
  for (;;) {
    r = read(slave, buf, sizeof buf);
    if (r <= 0) break;
    got += r;
  }
  say("slave drains what was written: %d\n", got == total);
  say("close slave: %s, close master: %s\n", res(close(slave)), res(close(master)));
  return 0;
}
