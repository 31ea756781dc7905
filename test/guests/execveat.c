/* execveat(2) as Linux: a path relative to a directory descriptor (an
 * O_PATH one too), AT_EMPTY_PATH with "" runs the descriptor's own file
 * (fexecve: a memfd), AT_SYMLINK_NOFOLLOW refuses a symlink (ELOOP), bad
 * flags EINVAL, "" without AT_EMPTY_PATH ENOENT, a bad descriptor EBADF, a
 * script through a descriptor closed at exec ENOENT. The new image says
 * its AT_EXECFN (/dev/fd/N... for descriptors) and comm (the script's
 * name for a script, the file's for AT_EMPTY_PATH). The old build said
 * ENOSYS to every descriptor-relative call, and a script's comm was its
 * interpreter's. argv[1]: a scratch directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void report(void) {
  char comm[64] = {0};
  int fd = open("/proc/self/comm", O_RDONLY);
  read(fd, comm, sizeof comm - 1);
  close(fd);
  comm[strcspn(comm, "\n")] = 0;
  const char *fn = (const char *)getauxval(AT_EXECFN);
  char fnbuf[256];
  snprintf(fnbuf, sizeof fnbuf, "%s", fn);
  /* /dev/fd/N: the N differs between runs only if the descriptors do; they do not */
  printf("    ran: comm \"%s\", AT_EXECFN \"%s\"\n", comm, fnbuf);
}

static void run(const char *what, int dirfd, const char *path, int flags) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    char *argv[] = {"child", "--report", 0};
    syscall(SYS_execveat, dirfd, path, argv, environ, flags);
    printf("  %-44s %s\n", what, strerror(errno));
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 42) printf("  %-44s ran\n", what);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--report")) {
    report();
    fflush(stdout);
    return 42;
  }
  if (argc < 3) return 2;
  setvbuf(stdout, 0, _IONBF, 0);
  const char *self = argv[1], *dir = argv[2];
  char p[4096];
  /* a copy of this program in the scratch directory, a symlink to it, and a script */
  snprintf(p, sizeof p, "cp %s %s/prog && ln -sf prog %s/link && printf '#!%s/prog --report\\n' > %s/script.sh && chmod +x %s/script.sh",
           self, dir, dir, dir, dir, dir);
  if (system(p)) return 3;
  int d = open(dir, O_RDONLY | O_DIRECTORY);
  int dp = open(dir, O_PATH | O_DIRECTORY);
  int dc = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  snprintf(p, sizeof p, "%s/prog", dir);
  int f = open(p, O_RDONLY);
  int fp = open(p, O_PATH);
  /* descriptor numbers are the same natively and under umlts: printed once to tie the names to them */
  printf("fds: dir %d, O_PATH dir %d, cloexec dir %d, prog %d, O_PATH prog %d\n", d, dp, dc, f, fp);
  run("dirfd + \"prog\"", d, "prog", 0);
  run("O_PATH dirfd + \"prog\"", dp, "prog", 0);
  run("dirfd + \"link\"", d, "link", 0);
  run("dirfd + \"link\", AT_SYMLINK_NOFOLLOW", d, "link", AT_SYMLINK_NOFOLLOW);
  run("dirfd + \"script.sh\"", d, "script.sh", 0);
  run("cloexec dirfd + \"script.sh\"", dc, "script.sh", 0);
  run("cloexec dirfd + \"prog\"", dc, "prog", 0);
  run("prog fd, \"\", AT_EMPTY_PATH", f, "", AT_EMPTY_PATH);
  run("O_PATH prog fd, \"\", AT_EMPTY_PATH", fp, "", AT_EMPTY_PATH);
  run("prog fd, \"\" without AT_EMPTY_PATH", f, "", 0);
  run("dirfd, \"\", AT_EMPTY_PATH (a directory)", d, "", AT_EMPTY_PATH);
  run("file fd + \"prog\" (not a directory)", f, "prog", 0);
  run("fd 99 + \"prog\"", 99, "prog", 0);
  run("flags 0x4", d, "prog", 4);
  snprintf(p, sizeof p, "%s/prog", dir);
  run("AT_FDCWD + absolute path", AT_FDCWD, p, 0);
  snprintf(p, sizeof p, "%s/link", dir);
  run("AT_FDCWD + absolute link, AT_SYMLINK_NOFOLLOW", AT_FDCWD, p, AT_SYMLINK_NOFOLLOW);
  /* fexecve of a memfd holding this program */
  int m = memfd_create("inmem", 0);
  int src = open(self, O_RDONLY);
  char buf[65536];
  ssize_t n;
  while ((n = read(src, buf, sizeof buf)) > 0) write(m, buf, n);
  close(src);
  printf("memfd fd %d\n", m);
  run("memfd, \"\", AT_EMPTY_PATH", m, "", AT_EMPTY_PATH);
  /* a script run by path: comm is the script's name */
  snprintf(p, sizeof p, "%s/script.sh", dir);
  run("AT_FDCWD + absolute script", AT_FDCWD, p, 0);
  return 0;
}
