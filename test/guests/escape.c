/* For each path argument: "PATH: <first line of contents>" or "PATH: ERRNO". */
#include "common.h"
#include <fcntl.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) { say("%s: %s\n", argv[i], errname(errno)); continue; }
    char buf[201];
    long n = read(fd, buf, 200);
    if (n < 0) { say("%s: read %s\n", argv[i], errname(errno)); close(fd); continue; }
    buf[n] = 0;
    char *nl = strchr(buf, '\n');
    if (nl) *nl = 0;
    say("%s: %s\n", argv[i], buf);
    close(fd);
  }
  return 0;
}
