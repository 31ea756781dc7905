/* mprotect and mremap at the edges, as Linux 6.x does them (found by
 * comparing with the host kernel):
 *  - mprotect over a hole changes the VMAs before it, then fails ENOMEM;
 *    over a VMA that may not take the protection (a read-only file's shared
 *    mapping asked for PROT_WRITE), the ones before it, then EACCES;
 *  - PROT_GROWSDOWN needs a MAP_GROWSDOWN VMA (and reaches down to its
 *    start), PROT_GROWSUP is EINVAL on x86-64, a bad prot with length 0 is
 *    no error;
 *  - mremap that shrinks or keeps the size asks only for a VMA at the old
 *    address (the tail it unmaps may span VMAs and holes); one that grows
 *    needs the whole old range in one VMA (EFAULT);
 *  - MREMAP_DONTUNMAP always moves (the old range stays, empty), its hint
 *    must be page-aligned; a bad new address is EINVAL before an unmapped
 *    old one is EFAULT.
 * The layout is printed in pages from each mapping's start, read from
 * /proc/self/maps. Output is compared with the host kernel's. */
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define P 4096L

/* the VMAs in [base, base + n pages), as page offsets and permissions */
static void layout(const char *what, char *base, long n) {
  char buf[16384];
  int fd = open("/proc/self/maps", O_RDONLY);
  long len = 0, r;
  while (fd >= 0 && (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0) len += r;
  if (fd >= 0) close(fd);
  buf[len] = 0;
  say("%s:", what);
  for (char *line = buf; *line;) {
    char *next = strchr(line, '\n');
    unsigned long lo = strtoul(line, &line, 16), hi = strtoul(line + 1, &line, 16);
    if (lo >= (unsigned long)base && lo < (unsigned long)base + n * P)
      say(" [%ld,%ld) %.4s", (long)(lo - (unsigned long)base) / P, (long)(hi - (unsigned long)base) / P, line + 1);
    if (!next) break;
    line = next + 1;
  }
  say("\n");
}

static char *anon(long pages) {
  char *p = mmap(NULL, pages * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) exit(1);
  memset(p, 7, pages * P);
  return p;
}

int main(void) {
  /* mprotect over a hole */
  char *a = anon(8);
  munmap(a + 3 * P, P);
  say("mprotect over a hole: %s\n", res(mprotect(a + P, 5 * P, PROT_READ)));
  layout("  then", a, 8);
  say("mprotect from a hole: %s\n", res(mprotect(a + 3 * P, 2 * P, PROT_NONE)));
  layout("  then", a, 8);

  /* mprotect up to a VMA that may not take PROT_WRITE: a shared mapping of a read-only file, just after an anonymous one */
  int fd = open("/proc/self/exe", O_RDONLY);
  char *b = mmap(NULL, 4 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (fd < 0 || b == MAP_FAILED || mmap(b + 2 * P, 2 * P, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) return 1;
  say("mprotect PROT_WRITE over a read-only file's shared mapping: %s\n", res(mprotect(b, 4 * P, PROT_READ | PROT_WRITE)));
  layout("  then", b, 4);

  /* PROT_GROWSDOWN / PROT_GROWSUP / a bad prot */
  say("PROT_GROWSDOWN on a plain mapping: %s\n", res(mprotect(a + 4 * P, P, PROT_READ | PROT_GROWSDOWN)));
  say("PROT_GROWSUP: %s\n", res(mprotect(a + 4 * P, P, PROT_READ | PROT_GROWSUP)));
  say("both: %s\n", res(mprotect(a + 4 * P, P, PROT_READ | PROT_GROWSUP | PROT_GROWSDOWN)));
  say("a bad prot, length 0: %s\n", res(mprotect(a, 0, 0x100)));
  say("a bad prot: %s\n", res(mprotect(a, P, 0x100)));
  char *s = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
  if (s == MAP_FAILED) return 1;
  say("PROT_GROWSDOWN on a MAP_GROWSDOWN mapping's third page: %s\n", res(mprotect(s + 2 * P, P, PROT_READ | PROT_GROWSDOWN)));
  layout("  then", s, 4);

  /* mremap: shrinks and same sizes across VMAs and holes, grows across them */
  char *c = anon(8);
  mprotect(c + 2 * P, 2 * P, PROT_READ);
  munmap(c + 5 * P, P);
  say("mremap growing across VMAs: %s\n", res(remap(c, 4 * P, 9 * P, MREMAP_MAYMOVE, 0)));
  say("mremap keeping the size across VMAs and a hole: %s\n", remap(c, 8 * P, 8 * P, 0, 0) == (long)c ? "in place" : res(-1));
  say("mremap shrinking across VMAs and a hole: %s\n", remap(c, 8 * P, P, 0, 0) == (long)c ? "in place" : res(-1));
  layout("  then", c, 8);
  char *d = anon(4);
  munmap(d, P);
  say("mremap shrinking from an unmapped page: %s\n", res(remap(d, 3 * P, P, 0, 0)));
  say("mremap keeping the size from an unmapped page: %s\n", res(remap(d, 3 * P, 3 * P, 0, 0)));
  say("mremap FIXED to an unaligned address from an unmapped page: %s\n", res(remap(d, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, 123)));
  say("mremap FIXED beyond the top from an unmapped page: %s\n", res(remap(d, P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, 0x7ffffffff000L)));

  /* MREMAP_DONTUNMAP */
  char *e = anon(2);
  say("DONTUNMAP with an unaligned hint: %s\n", res(remap(e, P, P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 5)));
  say("DONTUNMAP growing: %s\n", res(remap(e, P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0)));
  long m = remap(e, P, P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
  if (m < 0) {
    say("DONTUNMAP: %s\n", res(m));
  } else {
    say("DONTUNMAP: %s, moved %d, old page %d, second page %d, new page %d\n", res(m), m != (long)e, e[0], e[P], ((char *)m)[0]);
  }
  return 0;
}
