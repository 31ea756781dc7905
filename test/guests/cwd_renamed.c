/* getcwd(2) after the cwd's parent was renamed (the new path) and after the
 * cwd itself was removed (ENOENT), on tmpfs; /proc/self/fd's link of an
 * open file unlinked since says " (deleted)", on tmpfs and on the file
 * argv[1] if given (a host directory's). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void fdLink(int fd) {
  char path[64], l[512];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, l, sizeof l - 1);
  l[n > 0 ? n : 0] = 0;
  printf("fd link: %s\n", n < 0 ? strerror(errno) : l);
}

int main(int argc, char **argv) {
  char b[512];
  mkdir("/dev/shm/cwd_d1", 0700);
  mkdir("/dev/shm/cwd_d1/sub", 0700);
  if (chdir("/dev/shm/cwd_d1/sub") != 0) return 1;
  printf("getcwd: %s\n", getcwd(b, sizeof b));
  rename("/dev/shm/cwd_d1", "/dev/shm/cwd_d2");
  printf("getcwd after the parent's rename: %s\n", getcwd(b, sizeof b));
  /* `..` is the renamed parent, by its new name */
  if (chdir("..") != 0) return 1;
  printf("getcwd after chdir(\"..\"): %s\n", getcwd(b, sizeof b));
  if (chdir("sub") != 0) return 1;
  int f = open("f", O_CREAT | O_RDWR, 0600);
  fdLink(f);
  unlink("f");
  fdLink(f);
  close(f);
  rmdir("/dev/shm/cwd_d2/sub");
  char *r = getcwd(b, sizeof b);
  printf("getcwd after rmdir: %s\n", r ? b : strerror(errno));
  if (chdir("/") != 0 || rmdir("/dev/shm/cwd_d2") != 0) return 1;
  printf("getcwd: %s\n", getcwd(b, sizeof b));
  if (argc > 1) {
    int h = open(argv[1], O_CREAT | O_RDWR, 0600);
    unlink(argv[1]);
    fdLink(h);
  }
  return 0;
}
