/* Pseudo-terminals between processes and their lifetimes: a controlling
 * terminal got by opening the slave as a session leader, and by setsid +
 * TIOCSCTTY; /dev/tty and /proc/self/stat in the pty's session; ^C to the
 * foreground group; TIOCSWINSZ and SIGWINCH; the master closing (the slave
 * is hung up, its session leader gets SIGHUP); the slave closing (master
 * reads EIO, polls POLLHUP); packet mode. The children report to the parent
 * through a pipe so that the output has one order. Prints facts, never
 * pty numbers or pids. */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>

static int rep[2]; /* child -> parent reports */

static void report(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  (void)!write(rep[1], buf, n + 1); /* with its NUL: one message */
}
/* The parent prints the next message (messages are NUL-terminated). */
static void relay(void) {
  char buf[256];
  int k = 0;
  while (k < (int)sizeof buf - 1 && read(rep[0], buf + k, 1) == 1 && buf[k]) k++;
  buf[k] = 0;
  say("  child: %s\n", buf);
}

static volatile sig_atomic_t got_int, got_winch;
static void on_int(int s) { (void)s; got_int++; }
static void on_winch(int s) { (void)s; got_winch++; }

static int new_pty(char *path, size_t len) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  grantpt(m);
  unlockpt(m);
  snprintf(path, len, "%s", ptsname(m));
  return m;
}

/* Read one chunk from the master (waiting for it), printed with escapes; packet mode shows the status byte. */
static void show(const char *what, int fd) {
  unsigned char buf[256];
  char out[1024];
  struct pollfd p = {fd, POLLIN | POLLPRI, 0};
  int n = poll(&p, 1, 5000) > 0 ? read(fd, buf, sizeof buf) : -2;
  if (n < 0) {
    say("%s: %s\n", what, n == -2 ? "nothing" : errname(errno));
    return;
  }
  int k = 0;
  for (int i = 0; i < n; i++) {
    if (buf[i] >= 32 && buf[i] < 127) out[k++] = buf[i];
    else k += sprintf(out + k, "\\x%02x", buf[i]);
  }
  out[k] = 0;
  say("%s: %d \"%s\"\n", what, n, out);
}

static void tty_nr_facts(const char *path) {
  char buf[512];
  int f = open("/proc/self/stat", O_RDONLY);
  int n = read(f, buf, sizeof buf - 1);
  close(f);
  buf[n > 0 ? n : 0] = 0;
  char *p = strrchr(buf, ')');
  int pid, ppid, pgrp, sid, ttynr, tpgid;
  char st;
  sscanf(p + 2, "%c %d %d %d %d %d", &st, &ppid, &pgrp, &sid, &ttynr, &tpgid);
  pid = getpid();
  struct stat a;
  stat(path, &a);
  report("/proc/self/stat: tty_nr is the pty %d, tpgid is my group %d, session %d",
         (unsigned)ttynr == (unsigned)((minor(a.st_rdev) & 0xff) | (major(a.st_rdev) << 8) | ((minor(a.st_rdev) & ~0xff) << 12)),
         tpgid == getpgrp(), sid == pid);
}

/* A session leader opens the slave without O_NOCTTY: it becomes its controlling terminal. */
static void child_open_ctty(const char *path, int m) {
  close(m);
  setsid();
  int s = open(path, O_RDWR);
  report("open slave as session leader: %s", res(s));
  report("tcgetsid is me %d, tcgetpgrp is my group %d", tcgetsid(s) == getpid(), tcgetpgrp(s) == getpgrp());
  int t = open("/dev/tty", O_RDWR);
  struct stat a, b;
  fstat(s, &a);
  if (t >= 0) fstat(t, &b);
  report("/dev/tty: %s, the same terminal %d", res(t), t >= 0 && isatty(t) && a.st_rdev == b.st_rdev ? 1 : 0);
  if (t >= 0) {
    (void)!write(t, "via /dev/tty\n", 13);
    close(t);
  }
  tty_nr_facts(path);
  report("TIOCSCTTY again: %s", res(ioctl(s, TIOCSCTTY, 0)));

  struct sigaction sa = {0};
  sa.sa_handler = on_int;
  sigaction(SIGINT, &sa, NULL);
  sa.sa_handler = on_winch;
  sigaction(SIGWINCH, &sa, NULL);
  report("ready for ^C");
  char buf[64];
  int r = read(s, buf, sizeof buf);
  report("read interrupted: %s, SIGINT %d", res(r), got_int);

  sigset_t wm, old;
  sigemptyset(&wm);
  sigaddset(&wm, SIGWINCH);
  sigprocmask(SIG_BLOCK, &wm, &old);
  report("ready for resize");
  while (!got_winch) sigsuspend(&old);
  sigprocmask(SIG_SETMASK, &old, NULL);
  struct winsize ws;
  ioctl(s, TIOCGWINSZ, &ws);
  report("SIGWINCH %d, size %dx%d", got_winch, ws.ws_col, ws.ws_row);

  /* the master is about to close: block SIGHUP to see it pending, and read */
  sigset_t hm;
  sigemptyset(&hm);
  sigaddset(&hm, SIGHUP);
  sigprocmask(SIG_BLOCK, &hm, NULL);
  report("reading until the master closes");
  r = read(s, buf, sizeof buf);
  report("read at hangup: %s", r == 0 || (r < 0 && errno == EIO) ? "0 or EIO" : res(r));
  r = read(s, buf, sizeof buf);
  report("read after hangup: %d %s", r, r < 0 ? errname(errno) : "");
  report("write after hangup: %s", res(write(s, "x", 1)));
  sigset_t pend;
  sigpending(&pend);
  report("SIGHUP pending %d", sigismember(&pend, SIGHUP));
  report("isatty %d, ioctl: %s", isatty(s), res(ioctl(s, TIOCGWINSZ, &ws)));
  struct pollfd p = {s, POLLIN | POLLOUT, 0};
  poll(&p, 1, 0);
  report("poll: IN %d OUT %d ERR %d HUP %d", !!(p.revents & POLLIN), !!(p.revents & POLLOUT), !!(p.revents & POLLERR),
         !!(p.revents & POLLHUP));
  report("reopen the slave: %s", res(open(path, O_RDWR | O_NOCTTY)));
  report("/dev/tty now: %s", res(open("/dev/tty", O_RDWR)));
  _exit(0);
}

/* setsid + TIOCSCTTY (login_tty), then the slave on 0, 1 and 2. */
static void child_sctty(const char *path, int m) {
  close(m);
  setsid();
  int s = open(path, O_RDWR | O_NOCTTY);
  report("after O_NOCTTY open, tcgetsid: %s", res(tcgetsid(s)));
  report("TIOCSCTTY: %s", res(ioctl(s, TIOCSCTTY, 0)));
  report("tcgetsid is me %d", tcgetsid(s) == getpid());
  int m2 = posix_openpt(O_RDWR | O_NOCTTY);
  unlockpt(m2);
  int s2 = open(ptsname(m2), O_RDWR | O_NOCTTY);
  report("TIOCSCTTY of a second pty: %s", res(ioctl(s2, TIOCSCTTY, 0)));
  close(s2);
  close(m2);
  pid_t c = fork();
  if (c == 0) {
    report("TIOCSCTTY by a non-leader: %s", res(ioctl(s, TIOCSCTTY, 0)));
    _exit(0);
  }
  waitpid(c, NULL, 0);
  dup2(s, 0);
  dup2(s, 1);
  dup2(s, 2);
  if (s > 2) close(s);
  char *n = ttyname(0);
  report("ttyname(0) is the pty %d", n && strcmp(n, path) == 0);
  printf("hello from the pty\n");
  fflush(stdout);
  _exit(3);
}

int main(void) {
  char path[64];
  pipe(rep);

  say("== open the slave as a session leader\n");
  int m = new_pty(path, sizeof path);
  pid_t c = fork();
  if (c == 0) child_open_ctty(path, m);
  for (int i = 0; i < 5; i++) relay();
  show("master reads", m);
  relay(); /* ready for ^C */
  (void)!write(m, "abc\x03", 4);
  relay();
  show("echo of ^C (the line was flushed)", m);
  relay(); /* ready for resize */
  struct winsize ws = {.ws_row = 30, .ws_col = 100};
  ioctl(m, TIOCSWINSZ, &ws);
  relay();
  int pg = -1;
  say("tcgetpgrp(master) is the child %d, TIOCGSID(master) is the child %d\n", (ioctl(m, TIOCGPGRP, &pg), pg == c),
      tcgetsid(m) == c);
  relay(); /* reading until the master closes */
  close(m);
  for (int i = 0; i < 8; i++) relay();
  int st;
  waitpid(c, &st, 0);
  say("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

  say("== setsid + TIOCSCTTY, output through the pty\n");
  m = new_pty(path, sizeof path);
  c = fork();
  if (c == 0) child_sctty(path, m);
  for (int i = 0; i < 6; i++) relay();
  show("master reads", m);
  waitpid(c, &st, 0);
  say("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  fcntl(m, F_SETFL, O_NONBLOCK);
  char buf[64];
  int r = read(m, buf, sizeof buf);
  say("master read after the slave closed: %s\n", res(r));
  struct pollfd p = {m, POLLIN | POLLOUT, 0};
  poll(&p, 1, 0);
  say("master poll: IN %d OUT %d HUP %d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT), !!(p.revents & POLLHUP));
  int s = open(path, O_RDWR | O_NOCTTY);
  say("reopen the slave: %s\n", res(s));
  r = read(m, buf, sizeof buf);
  say("master read now: %s\n", res(r));
  p.revents = 0;
  poll(&p, 1, 0);
  say("master poll: IN %d OUT %d HUP %d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT), !!(p.revents & POLLHUP));
  (void)!write(s, "data\n", 5);
  close(s);
  fcntl(m, F_SETFL, 0);
  show("data written before the close", m);
  show("then", m);
  close(m);

  say("== packet mode\n");
  m = new_pty(path, sizeof path);
  s = open(path, O_RDWR | O_NOCTTY);
  int one = 1, v = -1;
  say("TIOCPKT: %s\n", res(ioctl(m, TIOCPKT, &one)));
  ioctl(m, TIOCGPKT, &v);
  say("TIOCGPKT: %d\n", v);
  (void)!write(s, "hi\n", 3);
  show("data", m);
  tcflush(s, TCIFLUSH);
  struct pollfd pp = {m, POLLPRI, 0};
  poll(&pp, 1, 0);
  say("POLLPRI after a flush: %d\n", !!(pp.revents & POLLPRI));
  show("TCIFLUSH", m);
  tcflush(s, TCOFLUSH);
  show("TCOFLUSH", m);
  tcflow(s, TCOOFF);
  show("TCOOFF", m);
  tcflow(s, TCOON);
  show("TCOON", m);
  struct termios t;
  tcgetattr(s, &t);
  t.c_iflag &= ~IXON;
  tcsetattr(s, TCSANOW, &t);
  show("IXON off", m);
  t.c_iflag |= IXON;
  tcsetattr(s, TCSANOW, &t);
  show("IXON on", m);
  (void)!write(m, "\x03", 1);
  show("^C", m);
  show("then", m);
  (void)!write(m, "\x13", 1); /* ^S stops the slave's output */
  show("^S", m);
  fcntl(s, F_SETFL, O_NONBLOCK);
  say("slave write while stopped: %s\n", res(write(s, "x", 1)));
  (void)!write(m, "\x11", 1);
  show("^Q", m);
  say("slave write after ^Q: %s\n", res(write(s, "y", 1)));
  show("data", m);
  one = 0;
  ioctl(m, TIOCPKT, &one);
  (void)!write(s, "z", 1);
  show("packet mode off", m);
  close(s);
  close(m);
  return 0;
}
