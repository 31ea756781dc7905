/* Extended attributes in the directory argv[1]: get/set/list/remove and their
 * l* and f* variants on files, directories, symlinks and FIFOs; sizes
 * (ERANGE, E2BIG), XATTR_CREATE/REPLACE, namespaces (user, trusted,
 * security, unknown), what an unprivileged user may do, fds (O_PATH, pipes,
 * an unlinked file), /proc. Names are listed sorted (filesystems order them
 * their own way). Output is compared with the host kernel's: a tmpfs
 * (/dev/shm) against umlts's tmpfs, an ext4 directory against hostfs. */
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

static char path[512], dpath[512], lpath[512], fpath[512];

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the list, sorted, or the errno */
static void show(const char *what, ssize_t n, char *buf) {
  if (n < 0) {
    say("%s: %s\n", what, errname(errno));
    return;
  }
  char *names[64];
  int k = 0;
  for (char *p = buf; p < buf + n && k < 64; p += strlen(p) + 1) names[k++] = p;
  qsort(names, k, sizeof names[0], cmp);
  say("%s: %zd [", what, n);
  for (int i = 0; i < k; i++) say("%s%s", i ? " " : "", names[i]);
  say("]\n");
}

static void get(const char *what, const char *p, const char *name) {
  char v[256];
  ssize_t n = getxattr(p, name, v, sizeof v);
  if (n < 0) say("%s: %s\n", what, errname(errno));
  else say("%s: %zd '%.*s'\n", what, n, (int)n, v);
}

static void unprivileged(void) {
  char buf[1024];
  if (setuid(65534) < 0) _exit(9);
  get("nobody get user", path, "user.a");
  say("nobody set user: %s\n", res(setxattr(path, "user.n", "x", 1, 0)));
  get("nobody get trusted", path, "trusted.t");
  say("nobody set trusted: %s\n", res(setxattr(path, "trusted.n", "x", 1, 0)));
  get("nobody get security", path, "security.s");
  say("nobody set security: %s\n", res(setxattr(path, "security.n", "x", 1, 0)));
  say("nobody remove user: %s\n", res(removexattr(path, "user.a")));
  show("nobody list", listxattr(path, buf, sizeof buf), buf);
  _exit(0);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  char buf[1024], v[64];
  snprintf(path, sizeof path, "%s/xf", argv[1]);
  snprintf(dpath, sizeof dpath, "%s/xd", argv[1]);
  snprintf(lpath, sizeof lpath, "%s/xl", argv[1]);
  snprintf(fpath, sizeof fpath, "%s/xp", argv[1]);
  unlink(path);
  unlink(lpath);
  unlink(fpath);
  rmdir(dpath);
  int fd = open(path, O_RDWR | O_CREAT, 0644);
  mkdir(dpath, 0755);
  symlink("xf", lpath);
  mkfifo(fpath, 0644);

  show("list empty", listxattr(path, buf, sizeof buf), buf);
  get("get missing", path, "user.a");
  say("set: %s\n", res(setxattr(path, "user.a", "hello", 5, 0)));
  get("get", path, "user.a");
  say("get size 0: %zd\n", getxattr(path, "user.a", NULL, 0));
  say("get small: %s\n", res(getxattr(path, "user.a", v, 2)));
  say("set empty: %s\n", res(setxattr(path, "user.empty", "", 0, 0)));
  get("get empty", path, "user.empty");
  say("create existing: %s\n", res(setxattr(path, "user.a", "x", 1, XATTR_CREATE)));
  say("replace missing: %s\n", res(setxattr(path, "user.b", "x", 1, XATTR_REPLACE)));
  say("replace: %s\n", res(setxattr(path, "user.a", "world!", 6, XATTR_REPLACE)));
  get("get replaced", path, "user.a");
  say("create: %s\n", res(setxattr(path, "user.b", "bee", 3, XATTR_CREATE)));
  say("bad flags: %s\n", res(setxattr(path, "user.c", "x", 1, 4)));
  say("both flags: %s\n", res(setxattr(path, "user.c", "x", 1, XATTR_CREATE | XATTR_REPLACE)));
  say("empty name: %s\n", res(setxattr(path, "", "x", 1, 0)));
  char longname[300];
  memset(longname, 'n', sizeof longname);
  memcpy(longname, "user.", 5);
  longname[256] = 0;
  say("name 256: %s\n", res(setxattr(path, longname, "x", 1, 0)));
  say("get name 256: %s\n", res(getxattr(path, longname, v, sizeof v)));
  longname[100] = 0;
  say("name 100: %s\n", res(setxattr(path, longname, "x", 1, 0)));
  say("remove name 100: %s\n", res(removexattr(path, longname)));
  static char big[65537];
  say("size 65537: %s\n", res(setxattr(path, "user.big", big, sizeof big, 0)));
  say("value NULL: %s\n", res(setxattr(path, "user.c", NULL, 3, 0)));
  say("value bad: %s\n", res(setxattr(path, "user.c", (void *)8, 3, 0)));
  say("name bad: %s\n", res(setxattr(path, (void *)8, "x", 1, 0)));
  say("get to bad: %s\n", res(getxattr(path, "user.a", (void *)8, 10)));
  say("unknown namespace: %s\n", res(setxattr(path, "foo.bar", "x", 1, 0)));
  say("get unknown: %s\n", res(getxattr(path, "foo.bar", v, sizeof v)));
  say("system: %s\n", res(setxattr(path, "system.foo", "x", 1, 0)));
  say("no prefix: %s\n", res(setxattr(path, "user", "x", 1, 0)));
  say("trusted: %s\n", res(setxattr(path, "trusted.t", "tt", 2, 0)));
  get("get trusted", path, "trusted.t");
  say("security: %s\n", res(setxattr(path, "security.s", "ss", 2, 0)));
  get("get security", path, "security.s");
  show("list", listxattr(path, buf, sizeof buf), buf);
  say("list size 0: %zd\n", listxattr(path, NULL, 0));
  say("list small: %s\n", res(listxattr(path, buf, 5)));
  say("remove: %s\n", res(removexattr(path, "user.b")));
  say("remove missing: %s\n", res(removexattr(path, "user.b")));
  say("remove unknown: %s\n", res(removexattr(path, "foo.bar")));
  get("get missing file", "/nonexistent/x", "user.a");

  /* fd variants */
  get("fget via path", path, "user.a");
  say("fset: %s\n", res(fsetxattr(fd, "user.f", "fd", 2, 0)));
  say("fget: %zd\n", fgetxattr(fd, "user.f", v, sizeof v));
  show("flist", flistxattr(fd, buf, sizeof buf), buf);
  say("fremove: %s\n", res(fremovexattr(fd, "user.f")));
  say("fget bad fd: %s\n", res(fgetxattr(99, "user.f", v, sizeof v)));
  int opath = open(path, O_PATH);
  say("fget O_PATH: %s\n", res(fgetxattr(opath, "user.a", v, sizeof v)));
  say("fset O_PATH: %s\n", res(fsetxattr(opath, "user.a", "x", 1, 0)));
  say("flist O_PATH: %s\n", res(flistxattr(opath, buf, sizeof buf)));
  int ro = open(path, O_RDONLY);
  say("fset on read-only fd: %s\n", res(fsetxattr(ro, "user.ro", "x", 1, 0)));
  say("fremove on read-only fd: %s\n", res(fremovexattr(ro, "user.ro")));
  int pfd[2];
  (void)!pipe(pfd);
  say("pipe fget: %s\n", res(fgetxattr(pfd[0], "user.a", v, sizeof v)));
  say("pipe fset: %s\n", res(fsetxattr(pfd[0], "user.a", "x", 1, 0)));
  say("pipe fget trusted: %s\n", res(fgetxattr(pfd[0], "trusted.a", v, sizeof v)));
  say("pipe flist: %zd\n", flistxattr(pfd[0], buf, sizeof buf));

  /* directories, symlinks, FIFOs */
  say("dir set: %s\n", res(setxattr(dpath, "user.d", "dd", 2, 0)));
  get("dir get", dpath, "user.d");
  get("through symlink", lpath, "user.a");
  say("lget symlink: %s\n", res(lgetxattr(lpath, "user.a", v, sizeof v)));
  say("lset symlink user: %s\n", res(lsetxattr(lpath, "user.a", "x", 1, 0)));
  say("lset symlink trusted: %s\n", res(lsetxattr(lpath, "trusted.l", "ll", 2, 0)));
  say("lget symlink trusted: %zd\n", lgetxattr(lpath, "trusted.l", v, sizeof v));
  show("llist symlink", llistxattr(lpath, buf, sizeof buf), buf);
  say("lremove symlink: %s\n", res(lremovexattr(lpath, "trusted.l")));
  say("fifo set user: %s\n", res(setxattr(fpath, "user.p", "x", 1, 0)));
  say("fifo get user: %s\n", res(getxattr(fpath, "user.p", v, sizeof v)));
  say("fifo set trusted: %s\n", res(setxattr(fpath, "trusted.p", "x", 1, 0)));

  /* /proc has none */
  say("proc get: %s\n", res(getxattr("/proc/self/status", "user.a", v, sizeof v)));
  say("proc set: %s\n", res(setxattr("/proc/self/status", "user.a", "x", 1, 0)));
  say("proc list: %zd\n", listxattr("/proc/self/status", buf, sizeof buf));

  /* an unprivileged user */
  chmod(path, 0644);
  pid_t pid = fork();
  if (pid == 0) unprivileged();
  waitpid(pid, NULL, 0);

  /* an unlinked file keeps its attributes */
  unlink(path);
  say("fset unlinked: %s\n", res(fsetxattr(fd, "user.u", "uu", 2, 0)));
  say("fget unlinked: %zd\n", fgetxattr(fd, "user.u", v, sizeof v));
  show("flist unlinked", flistxattr(fd, buf, sizeof buf), buf);
  unlink(lpath);
  unlink(fpath);
  rmdir(dpath);
  return 0;
}
