/* A 64 TiB MAP_NORESERVE reservation with three pages touched: mprotect,
 * madvise(DONTNEED), mremap and munmap of all of it cost what its pages
 * cost, not what its size would (a guest repeating them once stalled the
 * kernel for a third of a second each: found by a fuzzer; 200 rounds here
 * would take minutes). Output is compared with the host kernel's. */
#define _GNU_SOURCE
#include "common.h"
#include <sys/mman.h>

int main(void) {
  size_t len = 1ULL << 46;
  int ok = 1;
  for (int round = 0; round < 200 && ok; round++) {
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return 1;
    p[0] = 1, p[len / 2] = 2, p[len - 1] = 3;
    ok &= mprotect(p, len, PROT_READ) == 0 && p[len / 2] == 2;
    ok &= mprotect(p, len, PROT_READ | PROT_WRITE) == 0;
    ok &= madvise(p, len / 2, MADV_DONTNEED) == 0 && p[0] == 0 && p[len / 2] == 2;
    char *q = mremap(p, len, len / 2, MREMAP_MAYMOVE);
    ok &= q != MAP_FAILED && q[0] == 0;
    ok &= munmap(q == MAP_FAILED ? p : q, len) == 0;
    if (!ok) say("round %d failed: %s\n", round, errname(errno));
  }
  say("200 rounds of mprotect, madvise, mremap, munmap of 64 TiB: %s\n", ok ? "OK" : "failed");
  return 0;
}
