/* A 512 MB sparse anonymous mapping touched here and there. */
#include "common.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define PG 4096UL
#define LEN (512UL << 20)

int main(void) {
  long r = syscall(SYS_mmap, 0, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r < 0) { say("mmap: %s\n", errname(errno)); return 1; }
  unsigned char *p = (unsigned char *)r;
  uint64_t sum = 0;
  size_t touched = 0;
  for (size_t o = 0; o < LEN; o += 7UL << 20) { p[o] = (unsigned char)(o >> 20); touched++; }
  /* the last byte, and a few pseudo-random pages (fixed seed) */
  p[LEN - 1] = 0x99;
  uint64_t x = 88172645463325252ULL;
  size_t offs[64];
  for (int i = 0; i < 64; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    offs[i] = (x % (LEN / PG)) * PG + (x >> 40) % PG;
    p[offs[i]] = (unsigned char)(i + 1);
  }
  int ok = 1;
  for (size_t o = 0; o < LEN; o += 7UL << 20) {
    /* a random write may have landed on a stride byte; then it wins */
    unsigned char v = p[o];
    int overwritten = 0;
    for (int i = 0; i < 64; i++) if (offs[i] == o) overwritten = 1;
    if (!overwritten) ok &= v == (unsigned char)(o >> 20);
    sum = sum * 31 + v;
  }
  for (int i = 0; i < 64; i++) {
    int later = 0;
    for (int j = i + 1; j < 64; j++) if (offs[j] == offs[i]) later = 1;
    if (!later) ok &= p[offs[i]] == (unsigned char)(i + 1);
    sum = sum * 31 + p[offs[i]];
  }
  ok &= p[LEN - 1] == 0x99;
  /* untouched bytes read zero (each read of an untouched page faults it in) */
  uint64_t zsum = 0;
  for (size_t o = (3UL << 20) + 123; o < LEN; o += 11UL << 20) zsum += p[o];
  say("strided touches: %zu\n", touched);
  say("values verified: %d\n", ok);
  say("untouched bytes zero: %d\n", zsum == 0);
  say("checksum: %llu\n", (unsigned long long)sum);
  say("munmap: %s\n", syscall(SYS_munmap, p, LEN) == 0 ? "OK" : errname(errno));
  return 0;
}
