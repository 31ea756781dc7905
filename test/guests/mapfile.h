/* Map len bytes of file fd from its start, or end the guest: for the
 * guests that probe what a file's mappings show. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static char *map_file(int fd, size_t len, int prot, int flags) {
  char *m = mmap(0, len, prot, flags, fd, 0);
  if (m == MAP_FAILED) {
    perror("mmap");
    _exit(1);
  }
  return m;
}
