/* chroot(2): argv[1] is a scratch directory holding a small tree; paths,
 * '..', symlinks and getcwd inside the new root; the cwd left outside it;
 * the errors (ENOTDIR, ENOENT, EPERM for another user). */
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

static char path[512];
static const char *at(const char *dir, const char *name) {
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}

static void cat(const char *what, const char *p) {
  char buf[32] = {0};
  int fd = open(p, O_RDONLY);
  if (fd < 0) {
    say("%s: %s\n", what, errname(errno));
    return;
  }
  long n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
  say("%s: [%s]\n", what, buf);
}

static void cwd(const char *what) {
  char buf[512];
  long r = syscall(SYS_getcwd, buf, sizeof buf);
  if (r < 0) say("%s: %s\n", what, errname(errno));
  else say("%s: %s\n", what, strncmp(buf, "(unreachable)", 13) == 0 ? "(unreachable)..." : buf);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *d = argv[1];
  chmod(d, 0755); /* (another user's chroot must fail for want of the capability, not of search permission) */
  struct stat dst;
  stat(d, &dst);
  mkdir(at(d, "jail"), 0755);
  mkdir(at(d, "jail/etc"), 0755);
  mkdir(at(d, "jail/sub"), 0755);
  int fd = open(at(d, "jail/etc/hello"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  (void)!write(fd, "inside\n", 7);
  close(fd);
  fd = open(at(d, "outside"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  (void)!write(fd, "outside\n", 8);
  close(fd);
  symlink("/etc/hello", at(d, "jail/sub/abs"));
  symlink("../../../outside", at(d, "jail/sub/up"));

  {
    errno = 0;
    long r = chroot(at(d, "jail/etc/hello"));
    say("chroot a file: %ld %s\n", r, res(r));
    r = chroot(at(d, "nope"));
    say("chroot missing: %ld %s\n", r, res(r));
    r = chroot(NULL);
    say("chroot NULL: %ld %s\n", r, res(r));
  }
  int c = fork();
  if (c == 0) {
    (void)!setuid(65534);
    errno = 0;
    long r = chroot(at(d, "jail"));
    say("unprivileged chroot: %ld %s\n", r, res(r));
    _exit(0);
  }
  waitpid(c, NULL, 0);

  /* /proc/self, held from before: its magic links jump to the objects whatever the root */
  int pfd = open("/proc/self", O_RDONLY | O_DIRECTORY);
  /* the cwd stays outside the new root */
  (void)!chdir(d);
  long r = chroot(at(d, "jail"));
  say("chroot: %ld %s\n", r, res(r));
  cwd("getcwd, outside the root");
  cat("relative outside", "outside");
  cat("absolute /etc/hello", "/etc/hello");
  cat("absolute /outside", "/outside");
  cat("/.. /etc/hello", "/../../etc/hello");
  cat("symlink to an absolute path", "/sub/abs");
  cat("symlink climbing", "/sub/up");
  (void)!chdir("/sub");
  cwd("getcwd in /sub");
  cat("../etc/hello", "../etc/hello");
  cat("../../../etc/hello", "../../../etc/hello");
  (void)!chdir("..");
  (void)!chdir("..");
  cwd("getcwd after cd .. twice");
  {
    int f = openat(pfd, "root/etc/hello", O_RDONLY);
    char b[16] = {0};
    say("through the held /proc/self/root: %s\n", f < 0 ? errname(errno) : (read(f, b, 6), b));
    f = openat(pfd, "exe", O_RDONLY);
    say("through the held /proc/self/exe: %s\n", f < 0 ? errname(errno) : (read(f, b, 4), b[1] == 'E' ? "ELF" : "?"));
  }
  c = fork();
  if (c == 0) {
    cat("child: /etc/hello", "/etc/hello");
    _exit(0);
  }
  waitpid(c, NULL, 0);
  /* a root left behind by a second chroot, held by an fd: its '..' is its real parent (Linux lets a held fd out) */
  int old_root = open("/", O_RDONLY | O_DIRECTORY);
  r = chroot("/sub");
  say("chroot again, into /sub: %ld %s\n", r, res(r));
  struct stat up;
  int upfd = openat(old_root, "..", O_RDONLY | O_DIRECTORY);
  say("'..' of the old root, through its fd: %s\n", upfd < 0 ? errname(errno) : fstat(upfd, &up) == 0 && up.st_ino == dst.st_ino ? "its real parent" : "elsewhere");
  cat("/abs now", "/abs");
  return 0;
}
