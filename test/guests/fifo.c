/* Named pipes and mknod in the directory argv[1]: mkfifo/mknod and their
 * errors, the open rules (a reader waits for a writer and a writer for a
 * reader unless O_NONBLOCK; a non-blocking writer without a reader gets
 * ENXIO; O_RDWR never waits; a signal interrupts a waiting open), data
 * through two names of one FIFO, POLLHUP only after a writer was seen,
 * contents dropped with the last close, fstat/fchmod/lseek on an open
 * FIFO, exec of a FIFO, sockets made by mknod. Output is compared with the
 * host kernel's (paths are never printed). */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>

static char dir[3000];
static char *at(const char *name) {
  static char buf[4][4096];
  static int k;
  char *b = buf[k++ & 3];
  snprintf(b, 4096, "%s/%s", dir, name);
  return b;
}

static short revents(int fd) {
  struct pollfd p = {fd, POLLIN | POLLOUT, 0};
  poll(&p, 1, 0);
  return p.revents;
}

static void on_alarm(int sig) {
  (void)sig;
}

static void show_stat(const char *what, const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) {
    say("%s: stat %s\n", what, errname(errno));
    return;
  }
  say("%s: fifo %d chr %d sock %d reg %d perm %o size %ld nlink %ld rdev %u:%u\n", what, S_ISFIFO(st.st_mode),
      S_ISCHR(st.st_mode), S_ISSOCK(st.st_mode), S_ISREG(st.st_mode), st.st_mode & 07777, (long)st.st_size,
      (long)st.st_nlink, major(st.st_rdev), minor(st.st_rdev));
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  snprintf(dir, sizeof dir, "%s", argv[1]);
  umask(022);
  signal(SIGPIPE, SIG_IGN);
  static char f[4096];
  snprintf(f, sizeof f, "%s", at("f"));

  /* ---- making ---- */
  say("mkfifo: %s\n", res(mkfifo(f, 0666)));
  say("mkfifo again: %s\n", res(mkfifo(f, 0666)));
  show_stat("fifo", f);
  say("mkfifo in a missing dir: %s\n", res(mkfifo(at("nodir/x"), 0666)));
  say("mknod fifo: %s\n", res(mknod(at("f2"), S_IFIFO | 0600, 0)));
  show_stat("mknod fifo", at("f2"));
  say("mknod regular: %s\n", res(mknod(at("r"), S_IFREG | 0640, 0)));
  show_stat("mknod regular", at("r"));
  say("mknod type 0: %s\n", res(mknod(at("r0"), 0644, 0)));
  show_stat("mknod type 0", at("r0"));
  say("mknod dir: %s\n", res(mknod(at("d"), S_IFDIR | 0755, 0)));
  say("mknod bad type: %s\n", res(mknod(at("b"), 0170000 | 0644, 0)));
  say("mknod socket: %s\n", res(mknod(at("s"), S_IFSOCK | 0644, 0)));
  show_stat("mknod socket", at("s"));
  say("open socket: %s\n", res(open(at("s"), O_RDONLY)));
  say("mknod whiteout: %s\n", res(mknod(at("w"), S_IFCHR | 0600, makedev(0, 0))));
  show_stat("whiteout", at("w"));
  say("open whiteout: %s\n", res(open(at("w"), O_RDONLY)));
  pid_t c = fork();
  if (c == 0) {
    if (setgid(65534) < 0 || setuid(65534) < 0) _exit(99);
    say("unprivileged mknod chr: %s\n", res(mknod("/proc/no-such-dir-to-make-nodes/x", S_IFCHR | 0600, makedev(1, 3))));
    say("unprivileged mknod chr over a name: %s\n", res(mknod(f, S_IFCHR | 0600, makedev(1, 3))));
    say("unprivileged mknod blk in /dev/shm: %s\n", res(mknod("/dev/shm/umlts-fifo-test-blk", S_IFBLK | 0600, makedev(7, 0))));
    say("unprivileged mkfifo in a root dir: %s\n", res(mkfifo(at("u"), 0666)));
    _exit(0);
  }
  waitpid(c, NULL, 0);

  /* ---- non-blocking opens ---- */
  say("writer, no reader: %s\n", res(open(f, O_WRONLY | O_NONBLOCK)));
  int r = open(f, O_RDONLY | O_NONBLOCK);
  say("reader, no writer: %s\n", res(r));
  say("  poll before any writer: %#x\n", revents(r));
  char buf[64];
  long n = read(r, buf, sizeof buf);
  say("  read: %ld %s\n", n, res(n));
  int w = open(f, O_WRONLY | O_NONBLOCK);
  say("writer with a reader: %s\n", res(w));
  say("  poll reader %#x writer %#x\n", revents(r), revents(w));
  say("  write: %ld\n", (long)write(w, "hello", 5));
  n = read(r, buf, sizeof buf);
  say("  read: %ld %.5s\n", n, buf);
  n = read(r, buf, sizeof buf);
  say("  read empty with a writer: %ld %s\n", n, res(n));
  int w2 = open(at("f2"), O_WRONLY | O_NONBLOCK);
  say("other fifo's writer: %s\n", res(w2));
  close(w);
  say("  poll after the writer left: %#x\n", revents(r));
  n = read(r, buf, sizeof buf);
  say("  read: %ld %s\n", n, res(n));
  struct stat st1, st2;
  fstat(r, &st1);
  stat(f, &st2);
  say("fstat: fifo %d same inode %d perm %o\n", S_ISFIFO(st1.st_mode), st1.st_ino == st2.st_ino && st1.st_dev == st2.st_dev,
      st1.st_mode & 07777);
  say("lseek: %s\n", res(lseek(r, 0, SEEK_SET)));
  say("pread: %s\n", res(pread(r, buf, 1, 0)));
  say("fchmod: %s\n", res(fchmod(r, 0600)));
  show_stat("after fchmod", f);
  char lnk[4096] = {0}, path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", r);
  n = readlink(path, lnk, sizeof lnk - 1);
  say("/proc/self/fd link ends in /f: %d\n", n > 2 && strcmp(lnk + n - 2, "/f") == 0);
  say("F_GETFL: %#x\n", fcntl(r, F_GETFL) & ~0100000 /* O_LARGEFILE */);
  close(r);
  close(w2);

  /* ---- O_RDWR, and what a FIFO keeps ---- */
  int rw = open(f, O_RDWR | O_NONBLOCK);
  say("O_RDWR: %s\n", res(rw));
  say("  poll: %#x\n", revents(rw));
  say("  write: %ld\n", (long)write(rw, "abc", 3));
  n = read(rw, buf, 2);
  say("  read: %ld %.2s\n", n, buf);
  say("  F_GETPIPE_SZ: %d\n", fcntl(rw, F_GETPIPE_SZ));
  close(rw);
  rw = open(f, O_RDWR | O_NONBLOCK);
  n = read(rw, buf, sizeof buf);
  say("reopened: the byte left behind is gone: %ld %s\n", n, res(n));
  close(rw);

  /* ---- two names, one pipe; unlinked while open ---- */
  say("link: %s\n", res(link(f, at("g"))));
  r = open(f, O_RDONLY | O_NONBLOCK);
  w = open(at("g"), O_WRONLY | O_NONBLOCK);
  say("writer through the other name: %s\n", res(w));
  say("  write: %ld\n", (long)write(w, "xyz", 3));
  say("unlink both names: %s %s\n", res(unlink(f)), res(unlink(at("g"))));
  say("  write after unlink: %ld\n", (long)write(w, "!", 1));
  n = read(r, buf, sizeof buf);
  say("  read: %ld %.4s\n", n, buf);
  fstat(r, &st1);
  say("  fstat after unlink: fifo %d nlink %ld\n", S_ISFIFO(st1.st_mode), (long)st1.st_nlink);
  close(r);
  close(w);

  /* ---- blocking opens ---- */
  mkfifo(f, 0666);
  c = fork();
  if (c == 0) {
    usleep(20000);
    int cw = open(f, O_WRONLY);
    (void)!write(cw, "from the child", 14);
    close(cw);
    _exit(0);
  }
  r = open(f, O_RDONLY);
  say("blocking reader: %s\n", res(r));
  n = 0;
  for (;;) {
    long k = read(r, buf + n, sizeof buf - n);
    if (k <= 0) break;
    n += k;
  }
  say("  read until EOF: %ld %.14s\n", n, buf);
  close(r);
  waitpid(c, NULL, 0);
  c = fork();
  if (c == 0) {
    usleep(20000);
    int cr = open(f, O_RDONLY);
    n = read(cr, buf, sizeof buf);
    _exit(n == 6 && memcmp(buf, "to kid", 6) == 0 ? 6 : 1);
  }
  w = open(f, O_WRONLY);
  say("blocking writer: %s\n", res(w));
  say("  write: %ld\n", (long)write(w, "to kid", 6));
  int cst;
  waitpid(c, &cst, 0);
  say("  the child read it: %d\n", WEXITSTATUS(cst) == 6);
  say("  write with the reader gone: %s\n", res(write(w, "x", 1)));
  close(w);

  /* ---- a signal ends a waiting open ---- */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {0, 50000}};
  setitimer(ITIMER_REAL, &it, NULL);
  r = open(f, O_RDONLY);
  say("interrupted reader open: %s\n", res(r));
  say("then a non-blocking writer: %s\n", res(open(f, O_WRONLY | O_NONBLOCK)));
  setitimer(ITIMER_REAL, &it, NULL);
  w = open(f, O_WRONLY);
  say("interrupted writer open: %s\n", res(w));

  /* ---- exec ---- */
  char *args[] = {f, NULL};
  chmod(f, 0755);
  execv(f, args);
  say("exec a fifo: %s\n", errname(errno));
  unlink(f);
  unlink(at("f2"));
  unlink(at("r"));
  unlink(at("r0"));
  unlink(at("s"));
  unlink(at("w"));
  return 0;
}
