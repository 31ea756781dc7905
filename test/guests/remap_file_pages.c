/* remap_file_pages(2), deprecated and emulated by Linux since 3.16: a page
 * range of a shared file mapping shows other pages of the file, compared
 * with the host kernel: what each page reads, the mapping's offsets in
 * /proc/self/maps, writes reaching the file, and the EINVAL cases (prot,
 * private, read-only, unmapped, a hole). No addresses are printed. */
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PG 4096UL
static const char *er(long r) { return r < 0 ? errname(errno) : "OK"; }
#define SHOW(label, call) do { long r_ = (long)(call); say("%s: %s\n", label, er(r_)); } while (0)
static long rfp(void *a, size_t s, int prot, size_t pgoff, int flags) { return syscall(SYS_remap_file_pages, a, s, prot, pgoff, flags); }

static void pages(const char *label, char *m, int n) {
  say("%s:", label);
  for (int i = 0; i < n; i++) say(" %c", m[i * PG]);
  say("\n");
}

static void offsets(char *m, int n) {
  char buf[65536];
  int fd = open("/proc/self/maps", O_RDONLY), len = 0, r;
  while ((r = read(fd, buf + len, sizeof buf - 1 - len)) > 0) len += r;
  close(fd);
  buf[len] = 0;
  say("maps:");
  for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    unsigned long lo, hi, off;
    char perm[8];
    if (sscanf(l, "%lx-%lx %7s %lx", &lo, &hi, perm, &off) != 4) continue;
    if (lo >= (unsigned long)m && hi <= (unsigned long)m + n * PG) say(" [%lu,%lu) %s off %lu", (lo - (unsigned long)m) / PG, (hi - (unsigned long)m) / PG, perm, off / PG);
  }
  say("\n");
}

int main(void) {
  char path[] = "/tmp/umlts_rfp_XXXXXX";
  int fd = mkstemp(path);
  for (int i = 0; i < 6; i++) {
    char page[PG];
    memset(page, 'A' + i, PG);
    write(fd, page, PG);
  }
  char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  pages("mapped", m, 4);
  SHOW("first page shows page 5", rfp(m, PG, 0, 5, 0));
  pages("now", m, 4);
  offsets(m, 4);
  SHOW("pages 2-3 show pages 0-1 (unaligned start and size)", rfp(m + 2 * PG + 7, 2 * PG + 9, 0, 0, 0));
  pages("now", m, 4);
  offsets(m, 4);
  m[0] = 'z';
  char b = 0;
  pread(fd, &b, 1, 5 * PG);
  say("a write to the first page reached page 5 of the file: %c\n", b);
  SHOW("back in place, over three VMAs", rfp(m, 4 * PG, 0, 0, 0));
  pages("now", m, 4);
  offsets(m, 4);
  SHOW("prot not 0", rfp(m, PG, PROT_READ, 1, 0));
  SHOW("size 0", rfp(m, 0, 0, 1, 0));
  SHOW("pgoff wraps", rfp(m, 2 * PG, 0, (size_t)-1, 0));
  SHOW("past the mapping's end", rfp(m, 5 * PG, 0, 0, 0));
  char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  SHOW("private mapping", rfp(p, PG, 0, 1, 0));
  int ro = open(path, O_RDONLY);
  char *r = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
  SHOW("shared mapping of a read-only fd", rfp(r, PG, 0, 1, 0));
  munmap(m + PG, PG);
  SHOW("across a hole", rfp(m, 3 * PG, 0, 1, 0));
  munmap(m, 4 * PG);
  SHOW("unmapped", rfp(m, PG, 0, 1, 0));
  char *a = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
  SHOW("read-only protection on a writable fd", rfp(a, PG, 0, 2, 0));
  pages("now", a, 2);
  unlink(path);
  say("done\n");
  return 0;
}
