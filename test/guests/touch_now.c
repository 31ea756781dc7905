/* "Now" in a file's times is the filesystem's current time, as Linux's
 * current_time(): a touch (utimensat with no times, UTIME_NOW, utimes NULL)
 * right after a file is made or written never gives it an earlier mtime
 * than the one it has (CPython's test_pathlib test_touch_common saw it go
 * back: umlts's "now" was Date.now()'s ms against the host's ns), and the
 * times of the kernel's own files never go back either. argv[1]: a
 * directory to work in. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static long long mt(int fd) {
  struct stat st;
  fstat(fd, &st);
  return st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  char path[4096];
  snprintf(path, sizeof path, "%s/touch_now", argv[1]);
  int back[4] = {0};
  for (int i = 0; i < 400; i++) {
    unlink(path);
    int fd = open(path, O_CREAT | O_RDWR | O_EXCL, 0644);
    if (fd < 0) {
      perror("open");
      return 1;
    }
    long long m0 = mt(fd);
    utimensat(AT_FDCWD, path, NULL, 0);
    long long m1 = mt(fd);
    if (m1 < m0) back[0]++;
    write(fd, "x", 1);
    long long m2 = mt(fd);
    if (m2 < m1) back[1]++;
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    futimens(fd, now);
    long long m3 = mt(fd);
    if (m3 < m2) back[2]++;
    utimes(path, NULL);
    if (mt(fd) < m3) back[3]++;
    close(fd);
  }
  unlink(path);
  printf("utimensat NULL after create went back: %d times\n", back[0]);
  printf("write after utimensat went back: %d times\n", back[1]);
  printf("futimens UTIME_NOW after write went back: %d times\n", back[2]);
  printf("utimes NULL after futimens went back: %d times\n", back[3]);
  return 0;
}
