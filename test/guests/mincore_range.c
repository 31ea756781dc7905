/* mincore(2) over a huge reserved range answers a page of the vector at a
 * time (mm/mincore.c): with a vector of one page followed by a hole, the
 * second page's copy faults (EFAULT), after the first was written. Found
 * by a fuzzer: the kernel once built the whole answer first (2^34 bytes for
 * this range: an internal error). Output is compared with the host
 * kernel's. */
#include "common.h"
#include <sys/mman.h>

int main(void) {
  size_t len = 1ULL << 46;
  char *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return 1;
  unsigned char *vec = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (vec == MAP_FAILED || munmap(vec + 4096, 4096)) return 1;
  memset(vec, 0xaa, 4096);
  long r = mincore(p, len, vec);
  int none = 1;
  for (int i = 0; i < 4096; i++) none &= vec[i] == 0;
  say("mincore of 2^46 bytes, a one-page vector: %s, first page written: %s\n", res(r), none ? "yes (none resident)" : "no");
  r = mincore(p, 3 * 4096, vec);
  say("mincore of 3 pages: %s %d %d %d\n", res(r), vec[0], vec[1], vec[2]);
  return 0;
}
