/* The host's floor for a new guest page, run natively only: umlts's guest
 * memory is a memfd (physmem) that the stub maps MAP_SHARED, so a new
 * anonymous guest page costs the host at least a shared memfd page
 * populated in large runs (MAP_POPULATE, as map-ahead does), unmapped, and
 * given back (a hole punched). Beside it, a plain anonymous page touched,
 * as microbench's "fault" row does natively. 64 MiB each, best of 5 rounds.
 * Prints "page_anon VALUE ns" and "page_memfd VALUE ns" per page. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define LEN (64L << 20)
#define RUN (2L << 20)
#define PAGES (LEN / 4096)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(void) {
  int fd = memfd_create("page_floor", 0);
  if (fd < 0 || ftruncate(fd, LEN) != 0) return 1;
  double anon = 1e18, shared = 1e18;
  for (int round = 0; round < 5; round++) {
    double a = now();
    char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (long o = 0; o < LEN; o += 4096) p[o] = 1;
    munmap(p, LEN);
    double b = now();
    char *q = mmap(NULL, LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (long o = 0; o < LEN; o += RUN) mmap(q + o, RUN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, o);
    for (long o = 0; o < LEN; o += 4096) q[o] = 1;
    munmap(q, LEN);
    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, LEN);
    double c = now();
    if (b - a < anon) anon = b - a;
    if (c - b < shared) shared = c - b;
  }
  printf("page_anon %.1f ns\npage_memfd %.1f ns\n", anon / PAGES, shared / PAGES);
  return 0;
}
