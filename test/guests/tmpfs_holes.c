/* Holes in a tmpfs file (mm/shmem.c): the pages a truncate grows by, a whole
 * page skipped by a write past the end, a punched page and room fallocated
 * past the end are what st_blocks, SEEK_DATA and SEEK_HOLE show, and the
 * holes read as zeros. On the file argv[1] (a tmpfs path) and on a memfd;
 * each step prints size, blocks, where data and holes are, and a checksum. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void seekAt(int fd, off_t from, int whence, const char *what) {
  off_t r = lseek(fd, from, whence);
  if (r < 0) printf(" %s(%lld)=%s", what, (long long)from, strerror(errno));
  else printf(" %s(%lld)=%lld", what, (long long)from, (long long)r);
}

static void show(int fd, const char *step) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    printf("%s: fstat %s\n", step, strerror(errno));
    return;
  }
  /* a checksum of every byte: holes read as zeros */
  static char buf[1 << 16];
  unsigned long sum = 0;
  ssize_t n;
  for (off_t p = 0; (n = pread(fd, buf, sizeof buf, p)) > 0; p += n)
    for (ssize_t i = 0; i < n; i++) sum = sum * 31 + (unsigned char)buf[i] + (unsigned long)(p + i) % 7;
  printf("%s: size %lld blocks %lld sum %lx", step, (long long)st.st_size, (long long)st.st_blocks, sum);
  seekAt(fd, 0, SEEK_DATA, "data");
  seekAt(fd, 0, SEEK_HOLE, "hole");
  seekAt(fd, 4096, SEEK_DATA, "data");
  seekAt(fd, 299008, SEEK_HOLE, "hole");
  seekAt(fd, st.st_size, SEEK_DATA, "data");
  seekAt(fd, -1, SEEK_HOLE, "hole");
  printf(" pos %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
}

static void steps(int fd, const char *name) {
  printf("-- %s\n", name);
  show(fd, "empty");
  if (ftruncate(fd, 1 << 20) != 0) printf("ftruncate: %s\n", strerror(errno));
  show(fd, "truncated up to 1 MiB");
  if (pwrite(fd, "0123456789", 10, 300000) != 10) printf("pwrite: %s\n", strerror(errno));
  show(fd, "10 bytes at 300000");
  if (pwrite(fd, "abc", 3, 0) != 3) printf("pwrite: %s\n", strerror(errno));
  show(fd, "3 bytes at 0");
  if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 299008, 4096) != 0) printf("punch: %s\n", strerror(errno));
  show(fd, "the page at 299008 punched");
  if (fallocate(fd, FALLOC_FL_KEEP_SIZE, (2 << 20) - 8192, 8192) != 0) printf("keep-size: %s\n", strerror(errno));
  show(fd, "8 KiB fallocated past the end, size kept");
  if (fallocate(fd, 0, (1 << 20) - 4096, 12288) != 0) printf("fallocate: %s\n", strerror(errno));
  show(fd, "12 KiB fallocated across the end");
  if (pwrite(fd, "end", 3, 8 << 20) != 3) printf("pwrite: %s\n", strerror(errno));
  show(fd, "3 bytes at 8 MiB");
  if (ftruncate(fd, 5000) != 0) printf("ftruncate: %s\n", strerror(errno));
  show(fd, "truncated down to 5000");
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "/dev/shm/tmpfs_holes.dat";
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    perror(path);
    return 1;
  }
  steps(fd, "tmpfs file");
  close(fd);
  /* a dense file written in order: no hole, st_blocks its pages */
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  static char chunk[3333];
  memset(chunk, 'x', sizeof chunk);
  for (int i = 0; i < 3; i++)
    if (write(fd, chunk, sizeof chunk) != sizeof chunk) printf("write: %s\n", strerror(errno));
  show(fd, "dense, 9999 bytes written in order");
  /* a hole less than a page past the end: the page holds data */
  if (pwrite(fd, "y", 1, 12000) != 1) printf("pwrite: %s\n", strerror(errno));
  show(fd, "a byte at 12000");
  if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 200) != 0) printf("punch: %s\n", strerror(errno));
  show(fd, "200 bytes punched within a page");
  close(fd);
  unlink(path);
  int m = memfd_create("holes", 0);
  if (m < 0) return 1;
  steps(m, "memfd");
  return 0;
}
