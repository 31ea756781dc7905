/* msync(2) as mm/msync.c answers it: the flag and alignment checks, a
 * length of 0, a range that wraps, holes (MS_ASYNC stops at the first;
 * the others go on and say ENOMEM after), ranges before, inside and past
 * the mappings, a shared file mapping written back with MS_SYNC, and a
 * memfd_secret mapping, whose file has no fsync (EINVAL). The file lives
 * in the folder argv[1]. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void try(const char *what, void *addr, size_t len, int flags) {
  int r = msync(addr, len, flags);
  printf("%-44s %s\n", what, r == 0 ? "0" : strerrorname_np(errno));
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const long pg = 4096;
  char *a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (a == MAP_FAILED) return 1;
  try("unaligned address", a + 1, pg, MS_SYNC);
  try("unknown flag", a, pg, 8);
  try("MS_ASYNC|MS_SYNC", a, pg, MS_ASYNC | MS_SYNC);
  try("anonymous, MS_SYNC", a, 4 * pg, MS_SYNC);
  try("anonymous, length 1 (a page)", a, 1, MS_ASYNC);
  try("anonymous, flags 0", a, pg, 0);
  try("MS_INVALIDATE alone", a, pg, MS_INVALIDATE);
  try("length 0 at an unmapped address", (void *)0x10000, 0, MS_SYNC);
  try("a range that wraps", (void *)0xfffffffffffff000UL, 2 * pg, MS_SYNC);
  try("a length within a page of 2^64 (rounds to 0)", a, (size_t)-1, MS_SYNC);
  try("an unaligned address near 2^64", (void *)0xfffffffffffff001UL, pg, MS_SYNC);
  try("past every mapping", (void *)0x7ffffffff000UL, pg, MS_ASYNC);

  /* a hole in the middle */
  munmap(a + pg, pg);
  try("over a hole, MS_ASYNC", a, 4 * pg, MS_ASYNC);
  try("over a hole, MS_SYNC", a, 4 * pg, MS_SYNC);
  try("over a hole, MS_SYNC|MS_INVALIDATE", a, 4 * pg, MS_SYNC | MS_INVALIDATE);
  try("over a hole, flags 0", a, 4 * pg, 0);
  try("the hole alone, MS_SYNC", a + pg, pg, MS_SYNC);
  try("from the hole into a mapping, MS_ASYNC", a + pg, 2 * pg, MS_ASYNC);
  try("from the hole into a mapping, MS_SYNC", a + pg, 2 * pg, MS_SYNC);
  try("the mapping after the hole", a + 2 * pg, 2 * pg, MS_SYNC);

  char path[4096];
  snprintf(path, sizeof path, "%s/msync.dat", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, 2 * pg)) { perror("open"); return 1; }
  char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  memcpy(m, "synced", 6);
  try("a shared file mapping, MS_SYNC", m, 2 * pg, MS_SYNC);
  try("a shared file mapping, MS_SYNC|MS_INVALIDATE", m, 2 * pg, MS_SYNC | MS_INVALIDATE);
  try("a shared file mapping, MS_ASYNC", m + pg, pg, MS_ASYNC);
  char b[8] = {0};
  pread(fd, b, 6, 0);
  printf("the file says: %s\n", b);
  char *p = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0);
  try("a private file mapping, MS_SYNC", p, pg, MS_SYNC);
  int ro = open(path, O_RDONLY);
  char *s2 = mmap(NULL, pg, PROT_READ, MAP_SHARED, ro, 0);
  try("a shared mapping of a read-only fd, MS_SYNC", s2, pg, MS_SYNC);
  /* one mapping split into many VMAs: one call */
  char *big = mmap(NULL, 64 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  for (int i = 0; i < 64; i += 2) mprotect(big + i * pg, pg, PROT_READ);
  try("a shared mapping split in 64 VMAs, MS_SYNC", big, 64 * pg, MS_SYNC);
  unlink(path);

  int s = syscall(SYS_memfd_secret, 0);
  if (s < 0) {
    printf("memfd_secret: %s\n", strerrorname_np(errno));
  } else {
    ftruncate(s, pg);
    char *q = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
    q[0] = 1;
    try("a memfd_secret mapping, MS_SYNC", q, pg, MS_SYNC);
    try("a memfd_secret mapping, MS_ASYNC", q, pg, MS_ASYNC);
  }
  return 0;
}
