/* File reads and stats on fixed host files and directories, and their error
 * cases. Run with the working directory /. Read-only: nothing is written. */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

static void show_stat(const char *what, const struct stat *st) {
  say("%s: mode %o size %lld nlink %lu uid %u gid %u mtime %lld blksize>0 %d\n", what, st->st_mode,
      (long long)st->st_size, (unsigned long)st->st_nlink, st->st_uid, st->st_gid, (long long)st->st_mtime,
      st->st_blksize > 0);
}

static void show_res(const char *what, long r) { say("%s: %s\n", what, r < 0 ? errname(errno) : "OK"); }

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* List a directory with getdents64 through a small buffer (so it takes many
 * calls); print the entry count, a hash of the sorted names and the d_type of
 * the named entries. */
static void list_dir(const char *dir, const char *probe1, const char *probe2) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) { say("open %s: %s\n", dir, errname(errno)); return; }
  static char names[4096][256];
  static char *sorted[4096];
  int n = 0, calls = 0, t1 = -1, t2 = -1, tdot = -1;
  char buf[600];
  long got;
  while ((got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
    calls++;
    for (long off = 0; off < got;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
      if (n < 4096) { strncpy(names[n], d->d_name, 255); sorted[n] = names[n]; n++; }
      if (!strcmp(d->d_name, probe1)) t1 = d->d_type;
      if (!strcmp(d->d_name, probe2)) t2 = d->d_type;
      if (!strcmp(d->d_name, ".")) tdot = d->d_type;
      off += d->d_reclen;
    }
  }
  if (got < 0) say("getdents64 %s: %s\n", dir, errname(errno));
  qsort(sorted, n, sizeof sorted[0], cmp);
  uint64_t h = 1469598103934665603ULL;
  for (int i = 0; i < n; i++) {
    for (const char *c = sorted[i]; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    h = (h ^ '/') * 1099511628211ULL;
  }
  say("%s: %d entries, several calls %d, names hash %016llx\n", dir, n, calls > 1, (unsigned long long)h);
  say("%s: first sorted %s %s %s, d_type . %d %s %d %s %d\n", dir, n > 0 ? sorted[0] : "-", n > 1 ? sorted[1] : "-",
      n > 2 ? sorted[2] : "-", tdot, probe1, t1, probe2, t2);
  /* at the end, getdents64 keeps returning 0; lseek(0) rewinds */
  say("%s: getdents64 at end: %ld\n", dir, syscall(SYS_getdents64, fd, buf, sizeof buf));
  lseek(fd, 0, SEEK_SET);
  got = syscall(SYS_getdents64, fd, buf, sizeof buf);
  say("%s: after rewind got entries: %d\n", dir, got > 0);
  say("%s: getdents64 tiny buffer: %s\n", dir, syscall(SYS_getdents64, fd, buf, 10) < 0 ? errname(errno) : "succeeded");
  close(fd);
}

int main(void) {
  char buf[65536];
  struct stat st;

  /* /etc/passwd: size, first line, read/pread/lseek */
  int fd = open("/etc/passwd", O_RDONLY);
  show_res("open /etc/passwd", fd);
  fstat(fd, &st);
  show_stat("fstat /etc/passwd", &st);
  long n = read(fd, buf, sizeof buf - 1);
  say("read /etc/passwd: %ld bytes, equals size %d\n", n, n == st.st_size);
  buf[n > 0 ? n : 0] = 0;
  char *nl = strchr(buf, '\n');
  if (nl) *nl = 0;
  say("first line: %s\n", buf);
  say("read at EOF: %ld\n", (long)read(fd, buf, 10));
  char pb[11] = {0};
  n = pread(fd, pb, 10, 5);
  say("pread 10 at 5: %ld \"%s\"\n", n, pb);
  say("lseek SEEK_CUR 0 (pread leaves offset): %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  say("lseek SEEK_END 0: %ld\n", (long)lseek(fd, 0, SEEK_END));
  say("lseek SEEK_SET 3: %ld\n", (long)lseek(fd, 3, SEEK_SET));
  n = read(fd, pb, 4);
  pb[4] = 0;
  say("read 4 at 3: %ld \"%s\"\n", n, pb);
  say("lseek SEEK_CUR -2: %ld\n", (long)lseek(fd, -2, SEEK_CUR));
  say("lseek negative: %s\n", lseek(fd, -100, SEEK_SET) < 0 ? errname(errno) : "succeeded");
  say("lseek bad whence: %s\n", lseek(fd, 0, 17) < 0 ? errname(errno) : "succeeded");
  say("lseek past end: %ld\n", (long)lseek(fd, 1000000, SEEK_SET));
  say("read past end: %ld\n", (long)read(fd, buf, 10));
  say("pread past end: %ld\n", (long)pread(fd, buf, 10, 1 << 30));
  say("pread negative offset: %s\n", pread(fd, buf, 10, -1) < 0 ? errname(errno) : "succeeded");
  say("write to O_RDONLY fd: %s\n", write(fd, "x", 1) < 0 ? errname(errno) : "succeeded");
  say("fcntl F_GETFL accmode: %d\n", fcntl(fd, F_GETFL) & O_ACCMODE);
  say("fcntl F_GETFD: %d\n", fcntl(fd, F_GETFD));
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  say("fcntl F_GETFD after F_SETFD: %d\n", fcntl(fd, F_GETFD));
  int d = dup(fd);
  say("dup: %s, shares offset: %d\n", d >= 0 ? "OK" : errname(errno), lseek(fd, 7, SEEK_SET) == 7 && lseek(d, 0, SEEK_CUR) == 7);
  say("dup does not copy FD_CLOEXEC: %d\n", fcntl(d, F_GETFD));
  say("dup2 onto 50: %d\n", dup2(fd, 50));
  say("dup3 same fd: %s\n", dup3(fd, fd, 0) < 0 ? errname(errno) : "succeeded");
  say("close dup: %s, close 50: %s\n", close(d) == 0 ? "OK" : errname(errno), close(50) == 0 ? "OK" : errname(errno));
  close(fd);
  say("read closed fd: %s\n", read(fd, buf, 1) < 0 ? errname(errno) : "succeeded");
  say("close closed fd: %s\n", close(fd) < 0 ? errname(errno) : "succeeded");
  say("fstat bad fd: %s\n", fstat(-1, &st) < 0 ? errname(errno) : "succeeded");
  say("read fd 999: %s\n", read(999, buf, 1) < 0 ? errname(errno) : "succeeded");

  /* stat/lstat/readlink */
  stat("/usr/include/stdio.h", &st);
  show_stat("stat stdio.h", &st);
  fd = open("/usr/include/stdio.h", O_RDONLY);
  long total = 0;
  uint32_t h = 0;
  while ((n = read(fd, buf, 1000)) > 0) {
    total += n;
    for (long i = 0; i < n; i++) h = h * 33 + (unsigned char)buf[i];
  }
  say("stdio.h read in 1000-byte chunks: %ld bytes, hash %08x\n", total, h);
  close(fd);
  stat("/usr/include", &st);
  show_stat("stat /usr/include", &st);
  show_res("stat /bin", lstat("/bin", &st));
  say("lstat /bin: is symlink %d\n", S_ISLNK(st.st_mode));
  stat("/bin", &st);
  say("stat /bin: is dir %d\n", S_ISDIR(st.st_mode));
  n = readlink("/bin", buf, sizeof buf);
  say("readlink /bin: %s\n", n < 0 ? errname(errno) : (buf[n] = 0, buf));
  n = readlink("/lib64/ld-linux-x86-64.so.2", buf, sizeof buf);
  say("readlink ld.so: %s\n", n < 0 ? errname(errno) : (buf[n] = 0, buf));
  n = readlink("/bin", buf, 3);
  say("readlink truncated: %ld %.3s\n", n, buf);
  say("readlink non-link: %s\n", readlink("/etc/passwd", buf, sizeof buf) < 0 ? errname(errno) : "succeeded");
  say("readlink missing: %s\n", readlink("/nonexistent", buf, sizeof buf) < 0 ? errname(errno) : "succeeded");
  n = readlink("/proc/self/exe", buf, sizeof buf);
  say("readlink /proc/self/exe: %s\n", n < 0 ? errname(errno) : (buf[n] = 0, buf));
  show_res("stat through symlink /bin/busybox or /bin/sh", stat("/bin/sh", &st));

  /* error cases */
  show_res("open missing", open("/nonexistent/file", O_RDONLY));
  show_res("open missing in existing dir", open("/etc/does-not-exist", O_RDONLY));
  show_res("open empty path", open("", O_RDONLY));
  show_res("open through a file", open("/etc/passwd/x", O_RDONLY));
  show_res("open dir for writing", open("/usr", O_WRONLY));
  show_res("open dir O_RDWR", open("/usr", O_RDWR));
  show_res("open file O_DIRECTORY", open("/etc/passwd", O_RDONLY | O_DIRECTORY));
  show_res("open symlink O_NOFOLLOW", open("/bin", O_RDONLY | O_NOFOLLOW));
  show_res("open symlink O_NOFOLLOW|O_PATH", fd = open("/bin", O_PATH | O_NOFOLLOW));
  if (fd >= 0) close(fd);
  show_res("stat missing", stat("/nonexistent", &st));
  show_res("stat through a file", stat("/etc/passwd/", &st));
  fd = open("/usr", O_RDONLY);
  show_res("read a directory", read(fd, buf, 10));
  close(fd);
  char longname[5000];
  memset(longname, 'a', sizeof longname - 1);
  longname[0] = '/';
  longname[sizeof longname - 1] = 0;
  show_res("open path too long", open(longname, O_RDONLY));
  memset(longname + 1, 'b', 300);
  longname[301] = 0;
  show_res("open name too long", open(longname, O_RDONLY));
  show_res("open bad pointer", syscall(SYS_openat, AT_FDCWD, (char *)1, O_RDONLY));

  /* access */
  show_res("access /etc/passwd R_OK", access("/etc/passwd", R_OK));
  show_res("access /etc/passwd X_OK", access("/etc/passwd", X_OK));
  show_res("access /bin/busybox X_OK", access("/bin/busybox", X_OK));
  show_res("access missing F_OK", access("/nonexistent", F_OK));
  show_res("access bad mode", access("/etc/passwd", 0x40));
  show_res("faccessat AT_EACCESS", faccessat(AT_FDCWD, "/etc/passwd", R_OK, AT_EACCESS));

  /* getdents64 */
  list_dir("/usr/include", "stdio.h", "linux");
  list_dir("/", "usr", "bin");
  fd = open("/etc/passwd", O_RDONLY);
  show_res("getdents64 on a file", syscall(SYS_getdents64, fd, buf, sizeof buf));
  close(fd);
  show_res("getdents64 bad fd", syscall(SYS_getdents64, 999, buf, sizeof buf));

  /* cwd */
  say("getcwd: %s\n", getcwd(buf, sizeof buf) ? buf : errname(errno));
  show_res("getcwd tiny buffer", getcwd(buf, 1) ? 0 : -1);
  show_res("chdir /usr/include", chdir("/usr/include"));
  say("getcwd: %s\n", getcwd(buf, sizeof buf) ? buf : errname(errno));
  fd = open("stdio.h", O_RDONLY);
  show_res("open relative stdio.h", fd);
  fstat(fd, &st);
  say("relative stdio.h size: %lld\n", (long long)st.st_size);
  close(fd);
  show_res("stat ../include/stdio.h", stat("../include/stdio.h", &st));
  show_res("chdir ..", chdir(".."));
  say("getcwd: %s\n", getcwd(buf, sizeof buf) ? buf : errname(errno));
  show_res("chdir to a file", chdir("/etc/passwd"));
  show_res("chdir missing", chdir("/nonexistent"));
  show_res("chdir through symlink /bin", chdir("/bin"));
  say("getcwd: %s\n", getcwd(buf, sizeof buf) ? buf : errname(errno));
  show_res("chdir /../../..", chdir("/../../.."));
  say("getcwd: %s\n", getcwd(buf, sizeof buf) ? buf : errname(errno));
  int dfd = open("/usr", O_RDONLY | O_DIRECTORY);
  show_res("fchdir /usr", fchdir(dfd));
  say("getcwd: %s\n", getcwd(buf, sizeof buf) ? buf : errname(errno));
  show_res("openat dirfd include/stdio.h", fd = openat(dfd, "include/stdio.h", O_RDONLY));
  close(fd);
  show_res("fstatat dirfd include", fstatat(dfd, "include", &st, 0));
  show_res("fstatat AT_EMPTY_PATH", fstatat(dfd, "", &st, AT_EMPTY_PATH));
  say("  is dir: %d\n", S_ISDIR(st.st_mode));
  show_res("fstatat empty path without AT_EMPTY_PATH", fstatat(dfd, "", &st, 0));
  fd = open("/etc/passwd", O_RDONLY);
  show_res("openat file as dirfd", openat(fd, "x", O_RDONLY));
  close(fd);
  close(dfd);

  /* devices */
  fd = open("/dev/null", O_RDWR);
  show_res("open /dev/null", fd);
  say("read /dev/null: %ld, write /dev/null: %ld\n", (long)read(fd, buf, 100), (long)write(fd, buf, 100));
  close(fd);
  fd = open("/dev/zero", O_RDONLY);
  memset(buf, 1, 4096);
  n = read(fd, buf, 4096);
  int zero = 1;
  for (int i = 0; i < 4096; i++) zero &= buf[i] == 0;
  say("read /dev/zero: %ld zero %d\n", n, zero);
  close(fd);
  fd = open("/dev/urandom", O_RDONLY);
  say("read /dev/urandom: %ld\n", (long)read(fd, buf, 64));
  close(fd);
  return 0;
}
