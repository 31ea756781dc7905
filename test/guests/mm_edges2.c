/* More of mprotect, mremap and mmap at the edges, found by a fuzzer
 * comparing umlts with Linux 6.18 (after mm_edges.c's fixes):
 *  - an mremap shrink whose old range runs past the top is EINVAL (it once
 *    unmapped everything above, the stack too: SIGSEGV), as is a new
 *    length past the top; a FIXED one unmaps only its destination;
 *  - mprotect with a length past the top changes the VMAs up to the end
 *    of the mappings, then fails ENOMEM; a bad prot is EINVAL first;
 *  - DONTUNMAP's hint is checked as FIXED's address is (inside the address
 *    space, clear of the source), its lengths compared in pages;
 *  - a same-size MREMAP_FIXED move over several VMAs moves each of them
 *    (Linux 6.17), holes kept;
 *  - at the map count limit, mprotect of a whole VMA and munmap of whole
 *    VMAs need no room (no split), and mprotect across a hole at the limit
 *    changes what lies before it;
 *  - MAP_GROWSDOWN only for private anonymous memory (EINVAL for files and
 *    shared memory); a stack grows down to a VMA that grows down itself or
 *    is inaccessible, inside the guard gap.
 * Output compared with the host kernel's. */
#include "common.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define P 4096L

static sigjmp_buf jb;
static void segv(int s) {
  (void)s;
  siglongjmp(jb, 1);
}
/* 'w' writable, 'r' readable only, '-' neither, for each of n pages */
static void probe(const char *what, char *p, int n) {
  char out[64];
  for (int i = 0; i < n; i++) {
    volatile char *q = p + i * P;
    if (sigsetjmp(jb, 1)) {
      out[i] = '-';
      continue;
    }
    char c = *q;
    if (sigsetjmp(jb, 1)) {
      out[i] = 'r';
      continue;
    }
    *q = c;
    out[i] = 'w';
  }
  out[n] = 0;
  say("  %s: %s\n", what, out);
}

int main(void) {
  signal(SIGSEGV, segv);
  signal(SIGBUS, segv);

  /* past the top */
  char *q = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *p = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  /* the vDSO is VM_DONTEXPAND: it does not grow (vma_to_resize), in place or moved */
  long vdso = (long)getauxval(AT_SYSINFO_EHDR);
  say("mremap growing the vDSO: %s\n", res(remap((char *)vdso, P, 16 * P, MREMAP_MAYMOVE, 0)));
  say("mremap, the same size 2^62: %s\n", res(remap(p, 1L << 62, 1L << 62, 0, 0)));
  say("mremap growing to 2^47: %s\n", res(remap(p, P, 1L << 47, MREMAP_MAYMOVE, 0)));
  say("mremap shrinking, the old range past the top: %s\n", res(remap(p, 1L << 47, P, 0, 0)));
  say("mremap FIXED shrinking, the old range past the top: %s\n", res(remap(q, 1L << 47, P, MREMAP_MAYMOVE | MREMAP_FIXED, (long)p)));
  probe("p (the FIXED destination, unmapped)", p, 1);
  probe("q", q, 1);
  say("mprotect of 2^50 bytes: %s\n", res(mprotect(q, 1L << 50, PROT_READ)));
  probe("q", q, 1);
  say("mprotect of 2^48 bytes with a bad prot: %s\n", res(mprotect(q, 1L << 48, PROT_READ | 0x40)));

  /* DONTUNMAP's hint */
  char *d = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  long f = MREMAP_MAYMOVE | MREMAP_DONTUNMAP, r;
  say("DONTUNMAP, the hint the old range: %s\n", res(remap(d, 2 * P, 2 * P, f, (long)d)));
  say("DONTUNMAP, the hint overlapping it: %s\n", res(remap(d, 2 * P, 2 * P, f, (long)d + P)));
  say("DONTUNMAP, the hint past the top: %s\n", res(remap(d, 2 * P, 2 * P, f, 0x7ffffffff000L)));
  r = remap(d, 2 * P, 2 * P - 192, f, 0);
  say("DONTUNMAP, 8192 and 8000 bytes (the same in pages): %s, moved %d\n", res(r), r != -1 && r != (long)d);

  /* a same-size FIXED move over three VMAs and a hole */
  char *src = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *dst = mmap(NULL, 4 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 4; i++) src[i * P] = 'a' + i;
  mprotect(src + P, P, PROT_READ);
  munmap(src + 2 * P, P);
  r = remap(src, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, (long)dst);
  say("a FIXED move of 4 pages over 3 VMAs and a hole: %s, at dst %d\n", res(r), r == (long)dst);
  if (r == (long)dst) say("  dst: %c %c %d %c\n", dst[0], dst[P], dst[2 * P], dst[3 * P]);
  probe("dst", dst, 4);
  probe("src", src, 4);

  /* MAP_GROWSDOWN */
  int fd = open("/proc/self/exe", O_RDONLY);
  say("MAP_GROWSDOWN of a file: %s\n", mmap(NULL, P, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, fd, 0) == MAP_FAILED ? errname(errno) : "OK");
  say("MAP_GROWSDOWN shared anonymous: %s\n",
      mmap(NULL, P, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0) == MAP_FAILED ? errname(errno) : "OK");
  char *b = mmap(NULL, 64 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(b, 64 * P);
  mmap(b + 15 * P, P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  mmap(b + 20 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED, -1, 0);
  probe("a stack 5 pages above an inaccessible VMA, a page below it", b + 19 * P, 1);
  mmap(b + 40 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED, -1, 0);
  mmap(b + 44 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED, -1, 0);
  probe("a stack above another stack, a page below it", b + 43 * P, 1);
  mmap(b + 50 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  mmap(b + 54 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED, -1, 0);
  probe("a stack above a readable VMA (the guard gap), a page below it", b + 53 * P, 1);

  /* the map count limit */
  long n = 140000, i;
  char *m = mmap(NULL, n * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  for (i = 1; i < n; i += 2)
    if (mprotect(m + i * P, P, PROT_READ)) break;
  say("mprotect splits until the limit: stopped %s\n", i < n ? errname(errno) : "never");
  say("at the limit, mprotect of a whole VMA: %s\n", res(mprotect(m + P, P, PROT_READ | PROT_EXEC)));
  say("at the limit, mprotect that merges three: %s\n", res(mprotect(m + P, P, PROT_READ | PROT_WRITE)));
  say("mprotect that splits one: %s\n", res(mprotect(m + 4 * P, P, PROT_NONE)));
  say("munmap of a whole VMA: %s\n", res(munmap(m + 3 * P, P)));
  say("mprotect across the hole it left: %s\n", res(mprotect(m, 6 * P, PROT_READ)));
  probe("m", m, 3);
  return 0;
}
