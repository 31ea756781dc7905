/* fallocate(2)'s modes and their errors (vfs_fallocate: one mode at most,
 * each with or without FALLOC_FL_KEEP_SIZE as it allows, checked before
 * the file's access mode; the filesystem says what it supports), on the
 * file argv[1] opened read-write and read-only; then a memfd sealed
 * against growth (F_SEAL_GROW refuses room past the end even with
 * KEEP_SIZE). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void say(const char *what, int r) {
  printf("%s: %s\n", what, r ? strerror(errno) : "0");
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "/tmp/fallocate_modes.dat";
  /* PUNCH|ZERO, COLLAPSE|KEEP, INSERT|KEEP, UNSHARE, UNSHARE|KEEP, WRITE_ZEROES, WRITE_ZEROES|KEEP, an unknown bit,
   * NO_HIDE_STALE, PUNCH|COLLAPSE|KEEP, ZERO|KEEP */
  static const int modes[] = { 0x12, 0x9, 0x21, 0x40, 0x41, 0x80, 0x81, 0x100, 0x4, 0xb, 0x11 };
  int fds[2];
  fds[0] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fds[0] < 0 || ftruncate(fds[0], 65536) != 0) {
    perror(path);
    return 1;
  }
  fds[1] = open(path, O_RDONLY);
  for (int k = 0; k < 2; k++) {
    for (unsigned i = 0; i < sizeof modes / sizeof *modes; i++) {
      char what[64];
      snprintf(what, sizeof what, "%s, mode %#x", k ? "read-only" : "read-write", modes[i]);
      say(what, fallocate(fds[k], modes[i], 4096, 4096));
    }
  }
  say("offset -1", fallocate(fds[0], 0, -1, 4096));
  say("length 0", fallocate(fds[0], 0, 0, 0));
  /* more than the filesystem holds: ENOSPC, nothing allocated (shmem_fallocate checks before it allocates) */
  say("200 GiB", fallocate(fds[0], 0, 0, 200L << 30));
  say("200 GiB, KEEP_SIZE", fallocate(fds[0], FALLOC_FL_KEEP_SIZE, 0, 200L << 30));
  int m = memfd_create("sealed", MFD_ALLOW_SEALING);
  if (m < 0 || ftruncate(m, 4096) != 0 || fcntl(m, F_ADD_SEALS, F_SEAL_GROW) != 0) return 1;
  say("memfd sealed against growth, KEEP_SIZE past the end", fallocate(m, FALLOC_FL_KEEP_SIZE, 0, 8192));
  say("memfd sealed against growth, KEEP_SIZE within", fallocate(m, FALLOC_FL_KEEP_SIZE, 0, 4096));
  say("memfd sealed against growth, growing", fallocate(m, 0, 0, 8192));
  say("memfd sealed against growth, a hole", fallocate(m, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 8192));
  unlink(path);
  return 0;
}
