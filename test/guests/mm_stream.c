/* A 64 MiB anonymous mapping written page after page, then read back: the
 * map-ahead window grows and the host prefaults what it maps (mm/fault.ts).
 * Prints the sum of what it read, the same natively. */
#include <stdio.h>
#include <stdint.h>
#include <sys/mman.h>

int main(void) {
  const size_t len = 64UL << 20;
  unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); return 1; }
  for (size_t o = 0; o < len; o += 4096) p[o] = (unsigned char)(o >> 12);
  uint64_t sum = 0, zero = 0;
  for (size_t o = 0; o < len; o += 4096) {
    sum += p[o];
    zero += p[o + 1] | p[o + 4095];
  }
  printf("pages %zu sum %llu nonzero %llu\n", len >> 12, (unsigned long long)sum, (unsigned long long)zero);
  return munmap(p, len) != 0;
}
