/* openat2(2): struct open_how's size and argument checks, and each RESOLVE_*
 * flag against the host kernel. argv[1] is a writable scratch directory. */
#include "common.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#ifndef RESOLVE_NO_XDEV
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#define RESOLVE_CACHED 0x20
#endif

struct how {
  uint64_t flags, mode, resolve;
  uint64_t extra[2];
};

static char path[512];
static const char *at(const char *dir, const char *name) {
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}

/* openat2, then what it opened: the first bytes of a file, "dir" for a directory, "path" for O_PATH */
static void o2(const char *what, int dirfd, const char *p, uint64_t flags, uint64_t mode, uint64_t resolve, size_t size) {
  struct how h = {flags, mode, resolve, {0, 0}};
  errno = 0;
  long fd = syscall(SYS_openat2, dirfd, p, &h, size);
  if (fd < 0) {
    say("%s: -1 %s\n", what, errname(errno));
    return;
  }
  struct stat st;
  fstat(fd, &st);
  char buf[16] = {0};
  if (flags & O_PATH) snprintf(buf, sizeof buf, "path");
  else if (S_ISDIR(st.st_mode)) snprintf(buf, sizeof buf, "dir");
  else {
    long n = read(fd, buf, 8);
    if (n < 0) snprintf(buf, sizeof buf, "read %s", errname(errno));
    else buf[n] = 0;
    for (char *c = buf; *c; c++) if (*c == '\n') *c = '.';
  }
  int fdflags = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);
  say("%s: fd ok [%s] cloexec %d largefile %d\n", what, buf, fdflags & FD_CLOEXEC, (fl & O_LARGEFILE) != 0);
  close(fd);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *d = argv[1];
  int f = open(at(d, "a"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  (void)!write(f, "file a\n", 7);
  close(f);
  mkdir(at(d, "sub"), 0755);
  f = open(at(d, "sub/b"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  (void)!write(f, "file b\n", 7);
  close(f);
  symlink("/etc/passwd", at(d, "link_abs"));
  symlink("sub/b", at(d, "link_rel"));
  symlink("..", at(d, "link_up"));
  symlink(".", at(d, "link_dot"));
  symlink("/a", at(d, "link_root_a"));
  int dfd = open(d, O_RDONLY | O_DIRECTORY);
  size_t S = 24;

  /* ---- the struct and its checks ---- */
  o2("size 24", dfd, "a", O_RDONLY, 0, 0, 24);
  o2("size 23", dfd, "a", O_RDONLY, 0, 0, 23);
  o2("size 0", dfd, "a", O_RDONLY, 0, 0, 0);
  o2("size 8192", dfd, "a", O_RDONLY, 0, 0, 8192);
  o2("size 40, zero tail", dfd, "a", O_RDONLY, 0, 0, 40);
  {
    struct how h = {O_RDONLY, 0, 0, {0, 7}};
    errno = 0;
    long r = syscall(SYS_openat2, dfd, "a", &h, 40);
    say("size 40, non-zero tail: %ld %s\n", r < 0 ? -1 : 0L, r < 0 ? errname(errno) : "OK");
    if (r >= 0) close(r);
  }
  {
    errno = 0;
    long r = syscall(SYS_openat2, dfd, "a", (void *)8, 24);
    say("bad how pointer: %ld %s\n", r < 0 ? -1 : 0L, r < 0 ? errname(errno) : "OK");
  }
  {
    struct how h = {O_RDONLY, 0, 0, {0, 0}};
    errno = 0;
    long r = syscall(SYS_openat2, dfd, (void *)8, &h, 24);
    say("bad path pointer: %ld %s\n", r < 0 ? -1 : 0L, r < 0 ? errname(errno) : "OK");
  }
  o2("unknown flag bit", dfd, "a", O_RDONLY | 0x4000000, 0, 0, S);
  o2("flag bit 40", dfd, "a", O_RDONLY | (1ULL << 40), 0, 0, S);
  o2("O_CLOEXEC", dfd, "a", O_RDONLY | O_CLOEXEC, 0, 0, S);
  o2("unknown resolve bit", dfd, "a", O_RDONLY, 0, 0x40, S);
  o2("BENEATH|IN_ROOT", dfd, "a", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT, S);
  o2("mode without O_CREAT", dfd, "a", O_RDONLY, 0644, 0, S);
  o2("O_CREAT mode 010000", dfd, "new1", O_CREAT | O_WRONLY, 010000, 0, S);
  o2("O_CREAT mode 0600", dfd, "new1", O_CREAT | O_WRONLY, 0600, 0, S);
  o2("O_DIRECTORY|O_CREAT", dfd, "new2", O_CREAT | O_DIRECTORY | O_RDONLY, 0600, 0, S);
  o2("O_PATH|O_RDWR", dfd, "a", O_PATH | O_RDWR, 0, 0, S);
  o2("O_PATH|O_NOFOLLOW|O_CLOEXEC", dfd, "a", O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, 0, S);
  o2("O_TMPFILE read-only", dfd, ".", O_TMPFILE | O_RDONLY, 0600, 0, S);
  o2("O_TMPFILE write", dfd, ".", O_TMPFILE | O_WRONLY, 0600, 0, S);
  o2("CACHED", dfd, "sub/b", O_RDONLY, 0, RESOLVE_CACHED, S);
  o2("CACHED O_CREAT", dfd, "new3", O_CREAT | O_WRONLY, 0600, RESOLVE_CACHED, S);
  o2("CACHED O_TRUNC", dfd, "new1", O_TRUNC | O_WRONLY, 0, RESOLVE_CACHED, S);
  o2("bad dirfd", 999, "a", O_RDONLY, 0, 0, S);
  o2("bad dirfd, absolute path", 999, "/etc/passwd", O_RDONLY, 0, 0, S);
  o2("bad dirfd, absolute path, BENEATH", 999, "/etc/passwd", O_RDONLY, 0, RESOLVE_BENEATH, S);

  /* ---- RESOLVE_BENEATH ---- */
  o2("BENEATH sub/b", dfd, "sub/b", O_RDONLY, 0, RESOLVE_BENEATH, S);
  o2("BENEATH sub/../a", dfd, "sub/../a", O_RDONLY, 0, RESOLVE_BENEATH, S);
  o2("BENEATH ..", dfd, "..", O_RDONLY, 0, RESOLVE_BENEATH, S);
  o2("BENEATH absolute", dfd, "/etc/passwd", O_RDONLY, 0, RESOLVE_BENEATH, S);
  o2("BENEATH link_abs", dfd, "link_abs", O_RDONLY, 0, RESOLVE_BENEATH, S);
  o2("BENEATH link_rel", dfd, "link_rel", O_RDONLY, 0, RESOLVE_BENEATH, S);
  o2("BENEATH link_up/a", dfd, "link_up/a", O_RDONLY, 0, RESOLVE_BENEATH, S);
  o2("BENEATH link_dot/a", dfd, "link_dot/a", O_RDONLY, 0, RESOLVE_BENEATH, S);
  o2("BENEATH from the cwd", AT_FDCWD, "a", O_RDONLY, 0, RESOLVE_BENEATH, S);

  /* ---- RESOLVE_IN_ROOT ---- */
  o2("IN_ROOT /a", dfd, "/a", O_RDONLY, 0, RESOLVE_IN_ROOT, S);
  o2("IN_ROOT ../../a", dfd, "../../a", O_RDONLY, 0, RESOLVE_IN_ROOT, S);
  o2("IN_ROOT link_abs", dfd, "link_abs", O_RDONLY, 0, RESOLVE_IN_ROOT, S);
  o2("IN_ROOT link_root_a", dfd, "link_root_a", O_RDONLY, 0, RESOLVE_IN_ROOT, S);
  o2("IN_ROOT link_up/a", dfd, "link_up/a", O_RDONLY, 0, RESOLVE_IN_ROOT, S);
  o2("IN_ROOT O_CREAT /sub/c", dfd, "/sub/c", O_CREAT | O_WRONLY, 0600, RESOLVE_IN_ROOT, S);
  say("sub/c made inside: %d\n", access(at(d, "sub/c"), F_OK) == 0);

  /* ---- RESOLVE_NO_SYMLINKS ---- */
  o2("NO_SYMLINKS sub/b", dfd, "sub/b", O_RDONLY, 0, RESOLVE_NO_SYMLINKS, S);
  o2("NO_SYMLINKS link_rel", dfd, "link_rel", O_RDONLY, 0, RESOLVE_NO_SYMLINKS, S);
  o2("NO_SYMLINKS link_dot/a", dfd, "link_dot/a", O_RDONLY, 0, RESOLVE_NO_SYMLINKS, S);
  o2("NO_SYMLINKS link_rel O_PATH|O_NOFOLLOW", dfd, "link_rel", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS, S);
  o2("NO_SYMLINKS O_CREAT through link_rel", dfd, "link_rel", O_CREAT | O_WRONLY, 0600, RESOLVE_NO_SYMLINKS, S);

  /* ---- RESOLVE_NO_MAGICLINKS, and magic links in scoped walks ---- */
  int pfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
  char num[16];
  snprintf(num, sizeof num, "%d", dfd);
  o2("magic link plain", pfd, num, O_RDONLY | O_DIRECTORY, 0, 0, S);
  o2("NO_MAGICLINKS magic link", pfd, num, O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_MAGICLINKS, S);
  o2("NO_MAGICLINKS O_PATH|O_NOFOLLOW", pfd, num, O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_MAGICLINKS, S);
  o2("NO_MAGICLINKS /proc/self/exe", AT_FDCWD, "/proc/self/exe", O_RDONLY, 0, RESOLVE_NO_MAGICLINKS, S);
  o2("NO_MAGICLINKS /proc/self (a plain symlink)", AT_FDCWD, "/proc/self", O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_MAGICLINKS, S);
  o2("BENEATH magic link", pfd, num, O_RDONLY | O_DIRECTORY, 0, RESOLVE_BENEATH, S);
  o2("IN_ROOT magic link", pfd, num, O_RDONLY | O_DIRECTORY, 0, RESOLVE_IN_ROOT, S);
  o2("NO_SYMLINKS magic link", pfd, num, O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_SYMLINKS, S);

  /* ---- RESOLVE_NO_XDEV ---- */
  int root = open("/", O_RDONLY | O_DIRECTORY);
  o2("NO_XDEV proc from /", root, "proc", O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_XDEV, S);
  o2("NO_XDEV etc from /", root, "etc", O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_XDEV, S);
  o2("NO_XDEV /proc absolute", AT_FDCWD, "/proc", O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_XDEV, S);
  int proc = open("/proc", O_RDONLY | O_DIRECTORY);
  o2("NO_XDEV .. from /proc", proc, "..", O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_XDEV, S);
  o2("NO_XDEV self/.. in /proc", proc, "self/..", O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_XDEV, S);
  o2("NO_XDEV absolute path from /proc", proc, "/etc", O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_XDEV, S);
  return 0;
}
