/* Shared by guests whose one thread acts only once another sleeps in its call: wait until thread tid's
 * /proc stat says S (asleep), then a little longer (up to 5 s in all). */
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

__attribute__((unused)) static void wait_asleep(pid_t tid) {
  char path[64], st[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
  for (int i = 0; i < 5000; i++) {
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, st, sizeof st - 1);
    if (fd >= 0) close(fd);
    if (n > 0) {
      st[n] = 0;
      char *e = strrchr(st, ')');
      if (e && e[2] == 'S') break;
    }
    usleep(1000);
  }
  usleep(20000);
}
