/* `..` of a directory that moved while it was open is its parent now
 * (d_parent), not the one it was opened under:
 *  - a/b/c open, a/b moved to x/b: `..` of c is the moved b, `../..` is x;
 *  - a chroot's jail: a directory opened outside, then moved into the
 *    jail, reaches the jail by `..` and stops there (the jail's root), so
 *    the file beside its old place is out of reach;
 *  - a cwd deeper than PATH_MAX: the getcwd syscall and /proc/self/cwd are
 *    ENAMETOOLONG (glibc's getcwd then walks `..` itself).
 * Run as root, in /tmp (a tmpfs under umlts); run in a child whose
 * parent removes the tree. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void touch(const char *p) {
  close(open(p, O_CREAT | O_WRONLY, 0644));
}
/* which marker file the directory fd holds */
static const char *marker(int fd) {
  if (fd < 0) return strerror(errno);
  static const char *names[] = {"MARK_A", "MARK_X", "MARK_B", "MARK_C"};
  for (int i = 0; i < 4; i++)
    if (faccessat(fd, names[i], F_OK, 0) == 0) return names[i];
  return "none";
}
static void say(const char *what, int r) {
  printf("%s: %d %s\n", what, r < 0 ? r : 0, r < 0 ? strerror(errno) : "");
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  char base[64];
  snprintf(base, sizeof base, "/tmp/dotdot_moved.%d", (int)getpid());
  mkdir(base, 0755);
  pid_t child = fork();
  if (child == 0) {
    if (chdir(base) < 0) _exit(1);
    mkdir("a", 0755);
    mkdir("a/b", 0755);
    mkdir("a/b/c", 0755);
    mkdir("x", 0755);
    touch("a/MARK_A");
    touch("x/MARK_X");
    touch("a/b/MARK_B");
    touch("a/b/c/MARK_C");
    int fc = open("a/b/c", O_RDONLY | O_DIRECTORY);
    say("move a/b to x/b", rename("a/b", "x/b"));
    printf(".. of c: %s\n", marker(openat(fc, "..", O_RDONLY | O_DIRECTORY)));
    printf("../.. of c: %s\n", marker(openat(fc, "../..", O_RDONLY | O_DIRECTORY)));
    say("fchdir to c", fchdir(fc));
    printf("../.. from there: %s\n", marker(open("../..", O_RDONLY | O_DIRECTORY)));
    if (chdir(base) < 0) _exit(1);

    /* deeper than PATH_MAX: getcwd and /proc/self/cwd cannot say it (d_path's page) */
    int depth = 0;
    while (depth < 2100 && mkdir("deep", 0755) == 0 && chdir("deep") == 0) depth++;
    char small[64], *big = malloc(1 << 16);
    printf("%d deep: getcwd %s", depth, getcwd(big, 1 << 16) ? "ok" : strerror(errno));
    printf(", the syscall %s", syscall(SYS_getcwd, big, 1 << 16) > 0 ? "ok" : strerror(errno));
    printf(", /proc/self/cwd %s", readlink("/proc/self/cwd", big, 1 << 16) >= 0 ? "ok" : strerror(errno));
    printf(", getcwd into 64 bytes %s\n", getcwd(small, sizeof small) ? "ok" : strerror(errno));
    if (chdir(base) < 0) _exit(1);

    mkdir("outside", 0755);
    touch("outside/SECRET");
    mkdir("outside/d", 0755);
    mkdir("jail", 0755);
    int fd = open("outside/d", O_RDONLY | O_DIRECTORY);
    say("move outside/d into jail", rename("outside/d", "jail/d"));
    say("chroot jail", chroot("jail"));
    say("chdir /", chdir("/"));
    say("fchdir to d", fchdir(fd));
    say("access ../SECRET", access("../SECRET", F_OK));
    say("access ../../SECRET", access("../../SECRET", F_OK));
    say("openat(d, ../SECRET)", openat(fd, "../SECRET", O_RDONLY));
    say("access ../d", access("../d", F_OK));
    _exit(0);
  }
  waitpid(child, 0, 0);
  char cmd[100];
  snprintf(cmd, sizeof cmd, "rm -rf %s", base);
  system(cmd);
  return 0;
}
