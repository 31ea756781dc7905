/* Arguments read at their C width: fcntl(F_DUPFD)'s is an int (the high
 * bits of the register go: 0x100000005 is 5); getdents64's count is an
 * int to its callback (a count past INT_MAX fits no entry: EINVAL, but at
 * the end of the directory 0); the fd table fills up to RLIMIT_NOFILE and
 * frees its lowest fds again. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char *what, long r) {
  printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  say("F_DUPFD 0x100000005", syscall(SYS_fcntl, 0, F_DUPFD, 0x100000005L));
  say("F_DUPFD_CLOEXEC 0x100000007", syscall(SYS_fcntl, 0, F_DUPFD_CLOEXEC, 0x100000007L));
  int d = open("/", O_RDONLY | O_DIRECTORY);
  char buf[4096];
  say("getdents64 count 0x80000000", syscall(SYS_getdents64, d, buf, 0x80000000UL));
  long n;
  while ((n = syscall(SYS_getdents64, d, buf, sizeof buf)) > 0) {}
  say("getdents64 count 0x80000000 at the end", syscall(SYS_getdents64, d, buf, 0x80000000UL));
  close(d);

  struct rlimit rl = {4096, 4096};
  setrlimit(RLIMIT_NOFILE, &rl);
  int last = -1, count = 0;
  for (;;) {
    int fd = dup(0);
    if (fd < 0) break;
    last = fd;
    count++;
  }
  printf("dup until %s: the last %d\n", strerror(errno), last);
  close(100);
  close(50);
  say("dup after closing 100 and 50", dup(0));
  say("and again", dup(0));
  say("and again", dup(0));
  say("F_DUPFD from 4000", fcntl(0, F_DUPFD, 4000));
  return count > 0 ? 0 : 1;
}
