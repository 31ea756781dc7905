/* A shared mapping of a file is the file: a store through it is read back
 * by pread, a pwrite is seen through it. argv[1]: the file to make. `exec`:
 * also map it PROT_EXEC shared (a host noexec mount's file cannot be: EPERM
 * under umlts, where the host maps shared files itself). */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, 4096) != 0) {
    say("open: %s\n", errname(errno));
    return 1;
  }
  char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    say("mmap shared: %s\n", errname(errno));
    return 1;
  }
  memcpy(p, "abc", 3);
  char b[4] = { 0 };
  say("pread after a store: %s\n", pread(fd, b, 3, 0) == 3 ? b : errname(errno));
  if (pwrite(fd, "xyz", 3, 10) != 3) say("pwrite: %s\n", errname(errno));
  say("the mapping after a pwrite: %.3s\n", p + 10);
  if (argc > 2) {
    void *x = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    say("mmap shared PROT_EXEC: %s\n", x == MAP_FAILED ? errname(errno) : "OK");
  }
  return 0;
}
