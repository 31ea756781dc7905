/* A private mapping of a file shows what write(2) puts in the file later,
 * on every page the process has not written itself (Linux maps the page
 * cache's page until a write copies it): pages read, pages never touched
 * (whatever was mapped ahead of them), a read-only mapping and a writable
 * one; a page the process wrote keeps its own bytes. Then a mapping made
 * after the write, and the same through copy_file_range. argv[1]: the file. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define P 4096
#define NP 16

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "/tmp/mmap_written.dat";
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  static char b[NP * P];
  memset(b, 3, sizeof b);
  if (fd < 0 || pwrite(fd, b, sizeof b, 0) != sizeof b) {
    perror(path);
    return 1;
  }
  char *rw = mmap(NULL, NP * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  char *ro = mmap(NULL, NP * P, PROT_READ, MAP_PRIVATE, fd, 0);
  volatile char r0 = rw[0], r2 = rw[2 * P], q0 = ro[0];
  (void)r0, (void)r2, (void)q0;
  rw[5 * P] = 1; /* the process's own copy of page 5 */
  for (int i = 1; i < 10; i += 1) pwrite(fd, "\x07", 1, (off_t)i * P);
  printf("writable: page 1 %d, page 2 (read) %d, page 5 (written) %d, page 9 %d\n", rw[P], rw[2 * P], rw[5 * P], rw[9 * P]);
  printf("read-only: page 1 %d, page 2 %d, page 9 %d\n", ro[P], ro[2 * P], ro[9 * P]);
  /* a write in the middle of a page, across two pages */
  pwrite(fd, "\x08\x08", 2, 3 * P - 1);
  printf("across pages 2 and 3: %d %d %d\n", rw[3 * P - 2], rw[3 * P - 1], rw[3 * P]);
  /* copy_file_range from another file into it */
  char other[64];
  snprintf(other, sizeof other, "%s.src", path);
  int src = open(other, O_RDWR | O_CREAT | O_TRUNC, 0600);
  pwrite(src, "\x09\x09\x09\x09", 4, 0);
  off_t in = 0, out = 12 * P;
  long n = copy_file_range(src, &in, fd, &out, 4, 0);
  printf("copy_file_range %ld: page 12 %d\n", n, rw[12 * P]);
  char *late = mmap(NULL, NP * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  printf("a later mapping: page 1 %d, page 12 %d\n", late[P], late[12 * P]);
  /* MADV_POPULATE_WRITE on a private mapping takes its copies as a write would: later writes do not show there */
  char *pop = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 14 * P);
  printf("POPULATE_WRITE: %s\n", madvise(pop, P, MADV_POPULATE_WRITE) ? "failed" : "0");
  pwrite(fd, "\x0a", 1, 14 * P);
  printf("after it, a write to the file: %d\n", pop[0]);
  unlink(other);
  unlink(path);
  return 0;
}
