/* brk/sbrk: growth, shrink, data preserved, brk(0) queries, refused moves.
 * Prints deltas from the initial break only (its address is randomized). */
#include "common.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define PG 4096UL
#define MB (1UL << 20)

static uintptr_t xbrk(uintptr_t to) { return (uintptr_t)syscall(SYS_brk, to); }
static uintptr_t pgup(uintptr_t a) { return (a + PG - 1) & ~(PG - 1); }

int main(void) {
  uintptr_t b0 = xbrk(0);
  say("brk(0) twice agrees: %d\n", xbrk(0) == b0);

  uintptr_t b1 = xbrk(b0 + MB);
  say("grow 1 MB: delta %ld\n", (long)(b1 - b0));
  say("brk(0) after grow: delta %ld\n", (long)(xbrk(0) - b0));
  unsigned char *p = (unsigned char *)b0;
  int zero = 1;
  for (size_t i = 0; i < MB; i++) zero &= p[i] == 0;
  say("new heap zero: %d\n", zero);
  for (size_t i = 0; i < MB; i++) p[i] = (unsigned char)(i * 13 + 1);
  int ok = 1;
  for (size_t i = 0; i < MB; i++) ok &= p[i] == (unsigned char)(i * 13 + 1);
  say("heap written and read back: %d\n", ok);

  uintptr_t b2 = xbrk(b0 + 4 * MB);
  say("grow to 4 MB: delta %ld\n", (long)(b2 - b0));
  ok = 1;
  for (size_t i = 0; i < MB; i++) ok &= p[i] == (unsigned char)(i * 13 + 1);
  say("data preserved across growth: %d\n", ok);
  p[4 * MB - 1] = 0xee;
  say("last byte writable: %d\n", p[4 * MB - 1] == 0xee);

  uintptr_t b3 = xbrk(b0 + 8192);
  say("shrink to 8 KB: delta %ld\n", (long)(b3 - b0));
  ok = 1;
  for (size_t i = 0; i < 8192; i++) ok &= p[i] == (unsigned char)(i * 13 + 1);
  say("data below new break preserved: %d\n", ok);
  uintptr_t b4 = xbrk(b0 + 2 * MB);
  say("regrow to 2 MB: delta %ld\n", (long)(b4 - b0));
  /* pages released by the shrink come back zero (the partial page does not) */
  uintptr_t from = pgup(b0 + 8192);
  zero = 1;
  for (uintptr_t a = from; a < b0 + 2 * MB; a++) zero &= *(unsigned char *)a == 0;
  say("released pages come back zero: %d\n", zero);

  /* refused moves return the current break unchanged; each is undone (brk
   * back to b4) so that one wrongly granted move does not cascade */
  say("below the initial break refused: %d\n", xbrk(b0 - 64 * PG) == b4);
  xbrk(b4);
  say("1 TB (far more than RAM: overcommit heuristic) refused: %d\n", xbrk(b0 + (1UL << 40)) == b4);
  xbrk(b4);
  say("into the kernel half refused: %d\n", xbrk(1UL << 63) == b4);
  xbrk(b4);
  say("brk(0) still: delta %ld\n", (long)(xbrk(0) - b0));
  /* a mapping in the way stops the heap */
  uintptr_t wall = pgup(b4) + 16 * PG;
  long m = syscall(SYS_mmap, wall, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  say("wall mapped: %s\n", m == (long)wall ? "yes" : errname(errno));
  say("grow into a mapping refused: %d\n", xbrk(wall + PG) == b4);
  xbrk(b4);
  /* Linux keeps a one-page gap below the next mapping (mm/mmap.c: brk) */
  say("grow right up to the mapping: delta %ld\n", (long)(xbrk(wall) - b0));
  xbrk(b4);
  say("grow to one page below the mapping: delta %ld\n", (long)(xbrk(wall - PG) - b0));
  syscall(SYS_munmap, wall, PG);
  say("grow past it after munmap: delta %ld\n", (long)(xbrk(wall + 2 * PG) - b0));

  /* back to the start; sbrk works on top of the same break */
  say("shrink to initial: delta %ld\n", (long)(xbrk(b0) - b0));
  void *s0 = sbrk(0);
  say("sbrk(0) is brk: %d\n", (uintptr_t)s0 == b0);
  void *s1 = sbrk(3 * PG + 100);
  say("sbrk(+) returns the old break: %d\n", s1 == s0);
  say("sbrk(0) delta: %ld\n", (long)((char *)sbrk(0) - (char *)s0));
  memset(s1, 0x42, 3 * PG + 100);
  void *s2 = sbrk(-(long)PG);
  say("sbrk(-PG) returns the old break: delta %ld\n", (long)((char *)s2 - (char *)s0));
  say("sbrk(0) delta: %ld\n", (long)((char *)sbrk(0) - (char *)s0));
  ok = 1;
  for (size_t i = 0; i < 2 * PG + 100; i++) ok &= ((unsigned char *)s1)[i] == 0x42;
  say("sbrk data preserved: %d\n", ok);
  say("brk(0) delta: %ld\n", (long)(xbrk(0) - b0));
  return 0;
}
