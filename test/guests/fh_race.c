/* Escape attempts against a --rw root while a host process flips /flip
 * between a directory and a symlink to the host's /etc (issue 4): reads,
 * creates, mkdirs, renames and chmods through /flip must never reach a
 * host file outside the root. usage: fh_race ITERATIONS */
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  long escapes = 0, reads = 0, creates = 0;
  char b[256];
  for (int i = 0; i < n; i++) {
    int fd = open("/flip/passwd", O_RDONLY);
    if (fd >= 0) {
      int k = read(fd, b, sizeof b - 1);
      if (k > 0) {
        b[k] = 0;
        reads++;
        if (strstr(b, "root:")) escapes++;
      }
      close(fd);
    }
    fd = open("/flip/umlts-race-created", O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) {
      creates++;
      close(fd);
      unlink("/flip/umlts-race-created");
    }
    if (mkdir("/flip/umlts-race-dir", 0755) == 0) rmdir("/flip/umlts-race-dir");
    chmod("/flip/passwd", 0644);
    struct stat st;
    if (stat("/flip/shadow", &st) == 0) escapes++; /* only the host's /etc has a shadow */
    if (lstat("/flip/sub/../shadow", &st) == 0) escapes++;
    fd = open("/flip/sub/deeper/../../passwd", O_RDONLY);
    if (fd >= 0) {
      int k = read(fd, b, sizeof b - 1);
      if (k > 0) {
        b[k] = 0;
        if (strstr(b, "root:")) escapes++;
      }
      close(fd);
    }
  }
  say("escapes %ld\n", escapes);
  say("some reads %s, some creates %s\n", reads > 0 ? "yes" : "no", creates > 0 ? "yes" : "no");
  return escapes != 0;
}
