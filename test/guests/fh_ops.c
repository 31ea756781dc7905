/* The read-write hostfs, differentially (issue 4): unlink and rename while
 * open under fd pressure, RENAME_NOREPLACE/EXCHANGE, O_EXCL, O_APPEND,
 * O_TMPFILE + linkat, fallocate, ftruncate, chmod/fchmod, utimensat,
 * link/symlink, fsync, statfs, flock and record locks (one process).
 * usage: fh_ops DIR */
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>

static char P[4][4096];
static int next;
static const char *dir;
/* DIR/name, in one of four rotating buffers (so two may be passed at once) */
static const char *at(const char *name) {
  char *p = P[next++ & 3];
  snprintf(p, sizeof P[0], "%s/%s", dir, name);
  return p;
}
static void readback(const char *what, int fd, off_t off, int len) {
  char b[256];
  int n = pread(fd, b, len, off);
  say("%s: %d '%.*s'\n", what, n, n > 0 ? n : 0, b);
}
/* open and close many other files, so any reclaimable host fd gets reclaimed */
static void churn(int n) {
  char name[64];
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof name, "churn%d", i % 50);
    int fd = open(at(name), O_RDWR | O_CREAT, 0600);
    if (fd < 0) continue;
    if (write(fd, "c", 1) != 1) say("churn write\n");
    close(fd);
  }
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  dir = argv[1];
  struct rlimit rl = {8192, 8192};
  setrlimit(RLIMIT_NOFILE, &rl);
  struct stat st;
  int keep[100];
  for (int i = 0; i < 100; i++) {
    char name[32];
    snprintf(name, sizeof name, "keep%d", i);
    keep[i] = open(at(name), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (write(keep[i], name, strlen(name)) < 0) say("write keep\n");
  }

  /* unlink while open */
  int a = open(at("a"), O_RDWR | O_CREAT | O_EXCL, 0644);
  say("O_EXCL create: %s\n", res(a));
  say("O_EXCL again: %s\n", res(open(at("a"), O_RDWR | O_CREAT | O_EXCL, 0644)));
  say("write a: %ld\n", (long)write(a, "alpha-data", 10));
  say("unlink a: %s\n", res(unlink(at("a"))));
  churn(300);
  readback("read unlinked a", a, 0, 64);
  say("write unlinked a: %ld\n", (long)pwrite(a, "MORE", 4, 10));
  churn(100);
  readback("reread unlinked a", a, 0, 64);
  fstat(a, &st);
  say("unlinked a: nlink %lu size %ld\n", (unsigned long)st.st_nlink, (long)st.st_size);
  say("fchmod unlinked a: %s\n", res(fchmod(a, 0600)));
  fstat(a, &st);
  say("mode %o\n", st.st_mode & 07777);

  /* rename while open, and rename its directory */
  mkdir(at("d1"), 0755);
  int b = open(at("d1/b"), O_RDWR | O_CREAT, 0644);
  say("write b: %ld\n", (long)write(b, "bravo", 5));
  say("rename b: %s\n", res(rename(at("d1/b"), at("d1/b2"))));
  say("rename d1: %s\n", res(rename(at("d1"), at("d2"))));
  churn(300);
  say("append b: %ld\n", (long)write(b, "-more", 5));
  readback("read renamed b", b, 0, 64);
  int b2 = open(at("d2/b2"), O_RDONLY);
  readback("via new name", b2, 0, 64);
  close(b2);

  /* rename over an open file: the old one lives on through its fd */
  int c = open(at("c"), O_RDWR | O_CREAT, 0644);
  if (write(c, "charlie", 7) < 0) say("write c\n");
  int c2 = open(at("c2"), O_RDWR | O_CREAT, 0644);
  if (write(c2, "replacement", 11) < 0) say("write c2\n");
  say("rename c2 over c: %s\n", res(rename(at("c2"), at("c"))));
  churn(300);
  readback("old c", c, 0, 64);
  readback("c2 now named c", c2, 0, 64);

  /* renameat2 */
  int x = open(at("x"), O_RDWR | O_CREAT, 0644), y = open(at("y"), O_RDWR | O_CREAT, 0644);
  if (write(x, "xx", 2) < 0 || write(y, "yyy", 3) < 0) say("write xy\n");
  say("RENAME_NOREPLACE: %s\n", res(renameat2(AT_FDCWD, at("x"), AT_FDCWD, (at("y")), RENAME_NOREPLACE)));
  say("RENAME_EXCHANGE: %s\n", res(renameat2(AT_FDCWD, at("x"), AT_FDCWD, (at("y")), RENAME_EXCHANGE)));
  churn(300);
  stat(at("x"), &st);
  say("x size now %ld\n", (long)st.st_size);
  say("append x fd: %ld\n", (long)write(x, "!", 1));
  int yy = open(at("y"), O_RDONLY);
  readback("y (was x)", yy, 0, 16);
  close(yy);

  /* O_APPEND */
  int ap = open(at("ap"), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (write(ap, "one", 3) < 0 || pwrite(ap, "two", 3, 0) < 0) say("write ap\n");
  churn(100);
  if (write(ap, "three", 5) < 0) say("write ap\n");
  say("ap offset %ld\n", (long)lseek(ap, 0, SEEK_CUR));
  int apr = open(at("ap"), O_RDONLY);
  readback("append file", apr, 0, 64);
  close(apr);

  /* O_TMPFILE + linkat */
  int t = open(dir, O_TMPFILE | O_RDWR, 0640);
  say("O_TMPFILE: %s\n", res(t));
  if (t >= 0) {
    if (write(t, "temporary", 9) < 0) say("write t\n");
    churn(200);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", t);
    say("linkat tmpfile: %s\n", res(linkat(AT_FDCWD, proc, AT_FDCWD, (at("named-tmp")), AT_SYMLINK_FOLLOW)));
    int tn = open(at("named-tmp"), O_RDONLY);
    readback("named tmpfile", tn, 0, 64);
    close(tn);
    close(t);
  }

  /* fallocate, ftruncate, truncate */
  int f = open(at("f"), O_RDWR | O_CREAT, 0644);
  say("fallocate: %s\n", res(fallocate(f, 0, 0, 8192)));
  fstat(f, &st);
  say("size after fallocate %ld\n", (long)st.st_size);
  say("fallocate KEEP_SIZE: %s\n", res(fallocate(f, FALLOC_FL_KEEP_SIZE, 0, 65536)));
  fstat(f, &st);
  say("size %ld\n", (long)st.st_size);
  say("ftruncate: %s\n", res(ftruncate(f, 100)));
  say("truncate: %s\n", res(truncate(at("f"), 50)));
  fstat(f, &st);
  say("size %ld\n", (long)st.st_size);
  say("fsync: %s\n", res(fsync(f)));
  say("fdatasync: %s\n", res(fdatasync(f)));

  /* chmod, utimensat, link, symlink */
  say("chmod: %s\n", res(chmod(at("f"), 0600)));
  struct timespec ts[2] = {{1000000000, 5}, {1200000000, 7}};
  say("utimensat: %s\n", res(utimensat(AT_FDCWD, at("f"), ts, 0)));
  stat(at("f"), &st);
  say("mode %o mtime %ld.%ld\n", st.st_mode & 07777, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  say("link: %s\n", res(link(at("f"), (at("f-link")))));
  say("symlink: %s\n", res(symlink("f", at("f-sym"))));
  stat(at("f"), &st);
  say("nlink %lu\n", (unsigned long)st.st_nlink);
  char lb[64];
  int ln = readlink(at("f-sym"), lb, sizeof lb);
  say("readlink: %.*s\n", ln > 0 ? ln : 0, lb);
  say("mkdir: %s\n", res(mkdir(at("dd"), 0700)));
  say("mkdir dd/e: %s\n", res(mkdir(at("dd/e"), 0700)));
  say("rmdir dd: %s\n", res(rmdir(at("dd"))));
  say("rmdir dd/e: %s\n", res(rmdir(at("dd/e"))));
  say("rmdir dd: %s\n", res(rmdir(at("dd"))));
  struct statfs sf;
  const char *r = res(statfs(dir, &sf));
  say("statfs: %s namelen %ld\n", r, (long)sf.f_namelen);

  /* locks within one process */
  int l1 = open(at("lk"), O_RDWR | O_CREAT, 0644), l2 = open(at("lk"), O_RDWR);
  say("flock EX: %s\n", res(flock(l1, LOCK_EX)));
  say("flock other open file NB: %s\n", res(flock(l2, LOCK_SH | LOCK_NB)));
  say("flock UN: %s\n", res(flock(l1, LOCK_UN)));
  say("flock other now: %s\n", res(flock(l2, LOCK_SH | LOCK_NB)));
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 20};
  say("F_SETLK: %s\n", res(fcntl(l1, F_SETLK, &fl)));
  struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  r = res(fcntl(l2, F_GETLK, &q));
  say("F_GETLK own: %s type %d\n", r, q.l_type);
  struct flock o = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 15, .l_len = 1};
  say("F_OFD_SETLK vs own posix: %s\n", res(fcntl(l2, F_OFD_SETLK, &o)));
  struct flock og = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  r = res(fcntl(l2, F_OFD_GETLK, &og));
  say("F_OFD_GETLK: %s type %d start %ld len %ld pid %s\n", r, og.l_type,
      (long)og.l_start, (long)og.l_len, og.l_pid == getpid() ? "self" : "other");
  o.l_start = 40;
  say("F_OFD_SETLK elsewhere: %s\n", res(fcntl(l2, F_OFD_SETLK, &o)));
  fl.l_start = 35;
  fl.l_len = 10;
  say("F_SETLK over ofd: %s\n", res(fcntl(l1, F_SETLK, &fl)));
  close(l2);
  say("F_SETLK after ofd closed: %s\n", res(fcntl(l1, F_SETLK, &fl)));
  fl.l_type = F_UNLCK;
  fl.l_start = 0;
  fl.l_len = 0;
  say("F_UNLCK: %s\n", res(fcntl(l1, F_SETLK, &fl)));
  close(l1);

  for (int i = 0; i < 100; i++) {
    char b[16];
    int n = pread(keep[i], b, sizeof b, 0);
    char name[32];
    snprintf(name, sizeof name, "keep%d", i);
    if (n != (int)strlen(name) || memcmp(b, name, n)) say("keep%d lost\n", i);
    close(keep[i]);
  }
  say("done\n");
  return 0;
}
