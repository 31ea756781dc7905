/* inotify(7): inotify_init/init1, inotify_add_watch, inotify_rm_watch and the
 * events of read(2), compared with the host kernel.
 *
 * argv[1]: a writable directory (natively a scratch directory; under umlts
 * /tmp/... for tmpfs or a --mount-ed host directory); argv[2]: "tmp",
 * "host" or "wait" (below). "host" leaves out what umlts does not promise for host directories
 * (the events of a directory listing, the queue overflow: see
 * src/fs/inotify.ts). Prints results, errnos and events; wds are
 * deterministic, cookies are shown as "same"/"new" (their values are not). */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <dirent.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/sendfile.h>
#include <sys/xattr.h>

/* an address no guest maps (the compiler must not see through it) */
static void *volatile badp = (void *)8;

#ifndef IN_MASK_CREATE
#define IN_MASK_CREATE 0x10000000
#endif

static const char *base;
static int hostMode;
static char pbuf[4][4096];
static int pi;

/* base/name, in one of four rotating buffers */
static const char *P(const char *name) {
  char *b = pbuf[pi++ & 3];
  snprintf(b, 4096, "%s/%s", base, name);
  return b;
}

static void masks(char *out, size_t n, unsigned m) {
  static const struct { unsigned bit; const char *name; } names[] = {
    {IN_ACCESS, "ACCESS"}, {IN_MODIFY, "MODIFY"}, {IN_ATTRIB, "ATTRIB"}, {IN_CLOSE_WRITE, "CLOSE_WRITE"},
    {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"}, {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},
    {IN_CREATE, "CREATE"}, {IN_DELETE, "DELETE"}, {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
    {IN_UNMOUNT, "UNMOUNT"}, {IN_Q_OVERFLOW, "Q_OVERFLOW"}, {IN_IGNORED, "IGNORED"}, {IN_ISDIR, "ISDIR"},
  };
  out[0] = 0;
  for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (m & names[i].bit) {
      if (out[0]) strncat(out, "|", n - strlen(out) - 1);
      strncat(out, names[i].name, n - strlen(out) - 1);
      m &= ~names[i].bit;
    }
  }
  if (m) {
    char x[32];
    snprintf(x, sizeof x, "%s0x%x", out[0] ? "|" : "", m);
    strncat(out, x, n - strlen(out) - 1);
  }
}

static unsigned lastCookie;

/* Print the events in buf[0..n). */
static void show(const char *buf, long n) {
  for (long off = 0; off < n;) {
    const struct inotify_event *e = (const void *)(buf + off);
    char m[256];
    masks(m, sizeof m, e->mask);
    const char *ck = "0";
    if (e->cookie) {
      ck = e->cookie == lastCookie ? "same" : "new";
      lastCookie = e->cookie;
    }
    /* the name is NUL-padded to len: check that the padding is all zeros */
    int padOk = 1;
    size_t nl = e->len ? strlen(e->name) : 0;
    for (size_t i = nl; i < e->len; i++) if (e->name[i]) padOk = 0;
    say("  wd=%d %s cookie=%s len=%u name=%s%s\n", e->wd, m, ck, e->len, e->len ? e->name : "-", padOk ? "" : " BADPAD");
    off += sizeof *e + e->len;
  }
}

/* Read (non-blocking) and print every queued event of fd. */
static void drain(int fd, const char *what) {
  say("%s:\n", what);
  char buf[65536] __attribute__((aligned(8)));
  for (;;) {
    long n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno != EAGAIN) say("  read: %s\n", errname(errno));
      return;
    }
    show(buf, n);
  }
}

static void touch(const char *path) {
  int fd = open(path, O_CREAT | O_WRONLY, 0644);
  if (fd >= 0) close(fd);
}

static int aw(int fd, const char *path, unsigned mask) {
  int r = inotify_add_watch(fd, path, mask);
  return r;
}

static void sec_init(void) {
  say("== init\n");
  int r = inotify_init1(0x1);
  say("init1(1): %s\n", res(r));
  r = inotify_init1(IN_NONBLOCK | IN_CLOEXEC | 0x100);
  say("init1(NONBLOCK|CLOEXEC|0x100): %s\n", res(r));
  int a = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  say("init1(NONBLOCK|CLOEXEC): %s getfl-nonblock %d getfd %d\n", res(a), !!(fcntl(a, F_GETFL) & O_NONBLOCK), fcntl(a, F_GETFD));
  say("getfl accmode %d\n", fcntl(a, F_GETFL) & O_ACCMODE);
  int b = inotify_init();
  say("init: %s getfl-nonblock %d getfd %d\n", res(b), !!(fcntl(b, F_GETFL) & O_NONBLOCK), fcntl(b, F_GETFD));
  struct stat st;
  r = fstat(a, &st);
  say("fstat: %s mode 0%o size %ld nlink %ld\n", res(r), st.st_mode, (long)st.st_size, (long)st.st_nlink);
  char link[256], lp[64];
  snprintf(lp, sizeof lp, "/proc/self/fd/%d", a);
  long n = readlink(lp, link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  say("link: %s\n", link);
  /* no events yet */
  char buf[64];
  say("read empty nonblocking: %s\n", res(read(a, buf, sizeof buf)));
  int avail = -1;
  r = ioctl(a, FIONREAD, &avail);
  say("FIONREAD empty: %s %d\n", res(r), avail);
  struct pollfd p = {a, POLLIN | POLLOUT, 0};
  r = poll(&p, 1, 0);
  say("poll empty: %d revents 0x%x\n", r, p.revents);
  say("write: %s\n", res(write(a, "x", 1)));
  say("lseek: %s\n", res(lseek(a, 0, SEEK_SET)));
  close(a);
  close(b);
}

static void sec_errors(void) {
  say("== add_watch/rm_watch errors\n");
  mkdir(P("e"), 0755);
  touch(P("e/f"));
  link(P("e/f"), P("e/hard"));
  symlink("f", P("e/sym"));
  int in = inotify_init1(IN_NONBLOCK);
  int pfd[2];
  pipe(pfd);
  say("mask 0: %s\n", res(aw(in, P("e"), 0)));
  say("bad fd, mask 0: %s\n", res(aw(-1, P("e"), 0)));
  say("bad fd: %s\n", res(aw(-1, P("e"), IN_MODIFY)));
  say("pipe fd: %s\n", res(aw(pfd[0], P("e"), IN_MODIFY)));
  say("MASK_ADD|MASK_CREATE: %s\n", res(aw(in, P("e"), IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE)));
  say("bad fd, MASK_ADD|MASK_CREATE: %s\n", res(aw(-1, P("e"), IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE)));
  say("pipe fd, MASK_ADD|MASK_CREATE: %s\n", res(aw(pfd[0], P("e"), IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE)));
  say("unused bit only: %s\n", res(aw(in, P("e"), 0x00100000)));
  say("pipe fd, missing path: %s\n", res(aw(pfd[0], P("e/missing"), IN_MODIFY)));
  say("missing: %s\n", res(aw(in, P("e/missing"), IN_MODIFY)));
  say("missing parent: %s\n", res(aw(in, P("e/missing/x"), IN_MODIFY)));
  say("file as dir: %s\n", res(aw(in, P("e/f/x"), IN_MODIFY)));
  say("empty path: %s\n", res(aw(in, "", IN_MODIFY)));
  say("bad address: %s\n", res(aw(in, badp, IN_MODIFY)));
  say("ONLYDIR on a file: %s\n", res(aw(in, P("e/f"), IN_MODIFY | IN_ONLYDIR)));
  say("ONLYDIR on a symlink to a file: %s\n", res(aw(in, P("e/sym"), IN_MODIFY | IN_ONLYDIR)));
  say("dir: %d\n", aw(in, P("e"), IN_ALL_EVENTS));
  say("file: %d\n", aw(in, P("e/f"), IN_MODIFY));
  say("hard link: %d\n", aw(in, P("e/hard"), IN_ATTRIB));
  say("symlink followed: %d\n", aw(in, P("e/sym"), IN_ATTRIB));
  int r = aw(in, P("e/sym"), IN_ATTRIB | IN_DONT_FOLLOW);
  say("symlink DONT_FOLLOW: %d\n", r);
  say("dir again MASK_CREATE: %s\n", res(aw(in, P("e"), IN_MODIFY | IN_MASK_CREATE)));
  say("dir ONLYDIR: %d\n", aw(in, P("e"), IN_ALL_EVENTS | IN_ONLYDIR));
  say("new dir MASK_CREATE: %d\n", aw(in, P("."), IN_CREATE | IN_MASK_CREATE));
  say("rm 99: %s\n", res(inotify_rm_watch(in, 99)));
  say("rm -1: %s\n", res(inotify_rm_watch(in, -1)));
  say("rm bad fd: %s\n", res(inotify_rm_watch(-1, 1)));
  say("rm pipe fd: %s\n", res(inotify_rm_watch(pfd[0], 1)));
  say("rm symlink watch: %s\n", res(inotify_rm_watch(in, r)));
  say("rm again: %s\n", res(inotify_rm_watch(in, r)));
  say("rm base watch: %s\n", res(inotify_rm_watch(in, 5)));
  drain(in, "after rm");
  say("re-add symlink: %d\n", aw(in, P("e/sym"), IN_ATTRIB | IN_DONT_FOLLOW));
  close(in);

  /* unused bits besides event bits; only flags (no event bit) */
  in = inotify_init1(IN_NONBLOCK);
  say("ONLYDIR only: %s\n", res(aw(in, P("e"), IN_ONLYDIR)));
  say("ONESHOT only: %s\n", res(aw(in, P("e"), IN_ONESHOT)));
  say("event + unused bit: %s\n", res(aw(in, P("e"), IN_CREATE | 0x00100000)));
  close(in);
  close(pfd[0]);
  close(pfd[1]);

  /* read permission is needed (EACCES), search permission on the way */
  int fd = open(P("e/secret"), O_CREAT | O_WRONLY, 0600);
  close(fd);
  chmod(P("e/secret"), 0600);
  mkdir(P("e/closed"), 0700);
  touch(P("e/closed/x"));
  int pid = fork();
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) _exit(9);
    int i2 = inotify_init1(IN_NONBLOCK);
    say("nobody, 0600 file: %s\n", res(aw(i2, P("e/secret"), IN_MODIFY)));
    say("nobody, 0644 file: %s\n", res(aw(i2, P("e/f"), IN_MODIFY)));
    say("nobody, in 0700 dir: %s\n", res(aw(i2, P("e/closed/x"), IN_MODIFY)));
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  say("child: %d\n", WEXITSTATUS(st));
}

/* The events of one operation on a directory watch (wd 1) and the watch of a file in it (wd 2). */
static void sec_events(void) {
  say("== events\n");
  mkdir(P("d"), 0755);
  mkdir(P("d2"), 0755);
  touch(P("d/f"));
  int in = inotify_init1(IN_NONBLOCK);
  say("watch d: %d\n", aw(in, P("d"), IN_ALL_EVENTS));
  say("watch d/f: %d\n", aw(in, P("d/f"), IN_ALL_EVENTS));
  say("watch d2: %d\n", aw(in, P("d2"), IN_ALL_EVENTS));
  int fd = open(P("d/f"), O_WRONLY);
  drain(in, "open f O_WRONLY");
  write(fd, "hello", 5);
  drain(in, "write f");
  write(fd, "a", 1);
  write(fd, "b", 1);
  drain(in, "write f twice (coalesced)");
  write(fd, "", 0);
  drain(in, "write 0 bytes");
  close(fd);
  drain(in, "close f");
  fd = open(P("d/f"), O_RDONLY);
  char b[16];
  read(fd, b, sizeof b);
  drain(in, "open+read f");
  read(fd, b, sizeof b);
  drain(in, "read at EOF");
  pread(fd, b, 2, 0);
  drain(in, "pread");
  close(fd);
  drain(in, "close f (read-only)");
  fd = open(P("d/f"), O_RDWR | O_TRUNC);
  drain(in, "open O_TRUNC");
  close(fd);
  drain(in, "close");
  fd = open(P("d/f"), O_PATH);
  close(fd);
  drain(in, "O_PATH open+close");
  chmod(P("d/f"), 0600);
  drain(in, "chmod f");
  chown(P("d/f"), 0, 0);
  drain(in, "chown f");
  setxattr(P("d/f"), "user.k", "v", 1, 0);
  drain(in, "setxattr f");
  removexattr(P("d/f"), "user.k");
  drain(in, "removexattr f");
  truncate(P("d/f"), 3);
  drain(in, "truncate f");
  struct timespec ts[2] = {{100, 0}, {200, 0}};
  utimensat(AT_FDCWD, P("d/f"), ts, 0);
  drain(in, "utimensat f both");
  struct timespec ts2[2] = {{100, 0}, {0, UTIME_OMIT}};
  utimensat(AT_FDCWD, P("d/f"), ts2, 0);
  drain(in, "utimensat f atime only");
  struct timespec ts3[2] = {{0, UTIME_OMIT}, {300, 0}};
  utimensat(AT_FDCWD, P("d/f"), ts3, 0);
  drain(in, "utimensat f mtime only");
  fd = open(P("d/f"), O_RDWR);
  fchmod(fd, 0644);
  drain(in, "fchmod");
  ftruncate(fd, 0);
  drain(in, "ftruncate");
  close(fd);
  drain(in, "close");
  fd = open(P("d/f"), O_WRONLY);
  write(fd, "abcdef", 6);
  close(fd);
  drain(in, "refill f");
  int fi = open(P("d/f"), O_RDONLY), fo = open(P("d/cp"), O_CREAT | O_WRONLY, 0644);
  drain(in, "open f and cp");
  loff_t off = 0;
  say("copy_file_range: %ld\n", (long)copy_file_range(fi, &off, fo, NULL, 3, 0));
  drain(in, "copy_file_range f -> cp");
  say("sendfile: %ld\n", (long)sendfile(fo, fi, NULL, 3));
  drain(in, "sendfile f -> cp");
  close(fi);
  close(fo);
  unlink(P("d/cp"));
  drain(in, "close both, unlink cp");
  fd = open(P("d/new"), O_CREAT | O_EXCL | O_WRONLY, 0644);
  drain(in, "create new");
  close(fd);
  drain(in, "close new");
  mkdir(P("d/sub"), 0755);
  drain(in, "mkdir sub");
  mknod(P("d/fifo"), S_IFIFO | 0644, 0);
  drain(in, "mknod fifo");
  symlink("f", P("d/sl"));
  drain(in, "symlink");
  link(P("d/f"), P("d/f2"));
  drain(in, "link f f2");
  rename(P("d/new"), P("d/new2"));
  drain(in, "rename within d");
  rename(P("d/new2"), P("d2/new3"));
  drain(in, "rename d -> d2");
  rename(P("d/sub"), P("d2/sub"));
  drain(in, "rename dir d -> d2");
  rename(P("d/f2"), P("d/sl"));
  drain(in, "rename f2 over sl");
  rename(P("d/sl"), P("d/f"));
  drain(in, "rename over f (hard link of itself)");
  touch(P("d/g"));
  drain(in, "touch g");
  rename(P("d/g"), P("d/f"));
  drain(in, "rename g over f (f replaced)");
  unlink(P("d/fifo"));
  drain(in, "unlink fifo");
  rmdir(P("d2/sub"));
  drain(in, "rmdir d2/sub");
  unlink(P("d2/new3"));
  drain(in, "unlink d2/new3");
  close(in);
}

static void sec_self(void) {
  say("== self events\n");
  mkdir(P("s"), 0755);
  mkdir(P("s/dir"), 0755);
  touch(P("s/a"));
  touch(P("s/b"));
  touch(P("s/m"));
  int in = inotify_init1(IN_NONBLOCK);
  say("watch s: %d\n", aw(in, P("s"), IN_ALL_EVENTS));
  say("watch a: %d\n", aw(in, P("s/a"), IN_ALL_EVENTS));
  say("watch b: %d\n", aw(in, P("s/b"), IN_ALL_EVENTS));
  say("watch dir: %d\n", aw(in, P("s/dir"), IN_ALL_EVENTS));
  say("watch m: %d\n", aw(in, P("s/m"), IN_ALL_EVENTS));
  unlink(P("s/a"));
  drain(in, "unlink a");
  int fd = open(P("s/b"), O_RDONLY);
  drain(in, "open b");
  unlink(P("s/b"));
  drain(in, "unlink b (open)");
  close(fd);
  drain(in, "close b");
  rmdir(P("s/dir"));
  drain(in, "rmdir dir");
  rename(P("s/m"), P("s/m2"));
  drain(in, "rename m");
  say("rm a's wd: %s\n", res(inotify_rm_watch(in, 2)));
  unlink(P("s/m2"));
  drain(in, "unlink m2");
  close(in);
}

static void sec_masks(void) {
  say("== masks\n");
  mkdir(P("k"), 0755);
  int in = inotify_init1(IN_NONBLOCK);
  say("watch CREATE: %d\n", aw(in, P("k"), IN_CREATE));
  touch(P("k/1"));
  unlink(P("k/1"));
  drain(in, "create+unlink 1");
  say("replace with DELETE: %d\n", aw(in, P("k"), IN_DELETE));
  touch(P("k/2"));
  unlink(P("k/2"));
  drain(in, "create+unlink 2");
  say("MASK_ADD CREATE: %d\n", aw(in, P("k"), IN_CREATE | IN_MASK_ADD));
  touch(P("k/3"));
  unlink(P("k/3"));
  drain(in, "create+unlink 3");
  say("ONESHOT CREATE: %d\n", aw(in, P("k"), IN_CREATE | IN_ONESHOT));
  touch(P("k/4"));
  touch(P("k/5"));
  drain(in, "create 4, 5");
  say("again: %d\n", aw(in, P("k"), IN_CREATE | IN_DELETE | IN_ISDIR));
  mkdir(P("k/sub"), 0755);
  rmdir(P("k/sub"));
  drain(in, "mkdir+rmdir sub");
  /* events that the mask does not ask for are not queued, and do not split coalescing */
  say("MODIFY|CLOSE_WRITE on 4: %d\n", aw(in, P("k/4"), IN_MODIFY));
  int fd = open(P("k/4"), O_WRONLY);
  write(fd, "x", 1);
  write(fd, "y", 1);
  close(fd);
  drain(in, "write 4 twice");
  /* names of several lengths: len is rounded up to 16 with at least one NUL */
  touch(P("k/abcdefghijklmno"));
  touch(P("k/abcdefghijklmnop"));
  touch(P("k/abcdefghijklmnopqrstuvwxyz0123"));
  drain(in, "long names");
  close(in);
}

static void sec_read(void) {
  say("== read\n");
  mkdir(P("r"), 0755);
  int in = inotify_init1(IN_NONBLOCK);
  aw(in, P("r"), IN_CREATE);
  touch(P("r/x"));
  touch(P("r/yy"));
  int avail = -1;
  ioctl(in, FIONREAD, &avail);
  say("FIONREAD: %d\n", avail);
  struct pollfd p = {in, POLLIN | POLLOUT | POLLRDNORM, 0};
  int r = poll(&p, 1, 0);
  say("poll: %d revents 0x%x\n", r, p.revents);
  char buf[256] __attribute__((aligned(8)));
  long n = read(in, buf, 0);
  say("read 0: %ld %s\n", n, n < 0 ? errname(errno) : "");
  n = read(in, buf, 16);
  say("read 16: %ld %s\n", n, n < 0 ? errname(errno) : "");
  n = read(in, buf, 31);
  say("read 31: %ld %s\n", n, n < 0 ? errname(errno) : "");
  n = read(in, buf, 32);
  say("read 32: %ld %s\n", n, n < 0 ? errname(errno) : "");
  if (n > 0) show(buf, n);
  n = read(in, buf, 40);
  say("read 40: %ld %s\n", n, n < 0 ? errname(errno) : "");
  if (n > 0) show(buf, n);
  n = read(in, buf, 0);
  say("read 0 empty: %ld %s\n", n, n < 0 ? errname(errno) : "");
  touch(P("r/a"));
  touch(P("r/b"));
  touch(P("r/c"));
  n = read(in, buf, 70);
  say("read 70 (two fit): %ld\n", n);
  show(buf, n);
  struct iovec iov[2] = {{buf, 8}, {buf + 8, 100}};
  n = readv(in, iov, 2);
  say("readv 8+100: %ld %s\n", n, n < 0 ? errname(errno) : "");
  if (n > 0) show(buf, n);
  n = read(in, badp, 100);
  say("read empty to a bad address: %ld %s\n", n, n < 0 ? errname(errno) : "");
  touch(P("r/d"));
  n = read(in, badp, 100);
  say("read to a bad address: %ld %s\n", n, n < 0 ? errname(errno) : "");
  drain(in, "after");
  /* dup shares the queue; the watches live while any fd does */
  int d = dup(in);
  close(in);
  touch(P("r/e"));
  drain(d, "through the dup");
  close(d);
  in = inotify_init1(IN_NONBLOCK);
  say("new instance wd: %d\n", aw(in, P("r"), IN_CREATE));
  close(in);
}

static void onalarm(int s) {
  (void)s;
}

static void sec_block(void) {
  say("== blocking\n");
  mkdir(P("b"), 0755);
  int in = inotify_init();
  aw(in, P("b"), IN_CREATE);
  char buf[256] __attribute__((aligned(8)));
  int pid = fork();
  if (pid == 0) {
    usleep(200000);
    touch(P("b/late"));
    _exit(0);
  }
  long n = read(in, buf, sizeof buf);
  say("blocking read: %ld\n", n);
  if (n > 0) show(buf, n);
  waitpid(pid, 0, 0);
  /* a signal without SA_RESTART: EINTR */
  struct sigaction sa = {0};
  sa.sa_handler = onalarm;
  sigaction(SIGALRM, &sa, 0);
  struct itimerval it = {{0, 0}, {0, 150000}};
  setitimer(ITIMER_REAL, &it, 0);
  n = read(in, buf, sizeof buf);
  say("interrupted read: %ld %s\n", n, n < 0 ? errname(errno) : "");
  /* with SA_RESTART the read goes on and gets the child's event */
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, 0);
  pid = fork();
  if (pid == 0) {
    usleep(300000);
    touch(P("b/later"));
    _exit(0);
  }
  setitimer(ITIMER_REAL, &it, 0);
  n = read(in, buf, sizeof buf);
  say("restarted read: %ld\n", n);
  if (n > 0) show(buf, n);
  waitpid(pid, 0, 0);
  /* poll waits for the event */
  pid = fork();
  if (pid == 0) {
    usleep(100000);
    touch(P("b/polled"));
    _exit(0);
  }
  struct pollfd p = {in, POLLIN, 0};
  int r = poll(&p, 1, 5000);
  say("poll: %d revents 0x%x\n", r, p.revents);
  n = read(in, buf, sizeof buf);
  show(buf, n);
  waitpid(pid, 0, 0);
  close(in);
}

static void sec_listing(void) {
  say("== directory listing\n");
  mkdir(P("l"), 0755);
  touch(P("l/x"));
  int in = inotify_init1(IN_NONBLOCK);
  aw(in, P("l"), IN_ALL_EVENTS);
  DIR *d = opendir(P("l"));
  drain(in, "opendir");
  while (readdir(d)) {
  }
  drain(in, "readdir");
  closedir(d);
  drain(in, "closedir");
  close(in);
}

static void sec_overflow(void) {
  say("== overflow\n");
  mkdir(P("o"), 0755);
  int in = inotify_init1(IN_NONBLOCK);
  aw(in, P("o"), IN_CREATE | IN_DELETE);
  for (int i = 0; i < 8300; i++) {
    touch(P("o/f"));
    unlink(P("o/f"));
  }
  int avail = -1;
  ioctl(in, FIONREAD, &avail);
  say("FIONREAD: %d\n", avail);
  static char buf[65536] __attribute__((aligned(8)));
  long events = 0, overflows = 0, lastMask = 0, lastWd = 0;
  for (;;) {
    long n = read(in, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      struct inotify_event *e = (void *)(buf + off);
      events++;
      if (e->mask & IN_Q_OVERFLOW) overflows++;
      lastMask = e->mask;
      lastWd = e->wd;
      off += sizeof *e + e->len;
    }
  }
  say("events %ld overflows %ld last wd %ld mask 0x%lx\n", events, overflows, lastWd, lastMask);
  touch(P("o/after"));
  drain(in, "after the overflow");
  close(in);
}

/* "wait": watch argv[1] and print its events, blocking in read(2), until one names "done"; the test changes the
 * directory from outside (a host process, under umlts) once "ready" is out. */
static int waitMode(const char *dir) {
  int in = inotify_init();
  int wd = aw(in, dir, IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_ATTRIB);
  say("ready %d\n", wd);
  char buf[4096] __attribute__((aligned(8)));
  for (;;) {
    long n = read(in, buf, sizeof buf);
    if (n <= 0) {
      say("read: %ld %s\n", n, n < 0 ? errname(errno) : "");
      return 1;
    }
    /* up to the first event naming "done" (what comes after it, its IN_CLOSE_WRITE, races with the reads) */
    for (long off = 0; off < n;) {
      const struct inotify_event *e = (const void *)(buf + off);
      show(buf + off, sizeof *e + e->len);
      if (e->len && strcmp(e->name, "done") == 0) return 0;
      off += sizeof *e + e->len;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  if (strcmp(argv[2], "wait") == 0) return waitMode(argv[1]);
  static char b[4096];
  snprintf(b, sizeof b, "%s/ino", argv[1]);
  mkdir(b, 0755);
  base = b;
  hostMode = strcmp(argv[2], "host") == 0;
  sec_init();
  sec_errors();
  sec_events();
  sec_self();
  sec_masks();
  sec_read();
  sec_block();
  if (!hostMode) {
    sec_listing();
    sec_overflow();
  }
  return 0;
}
