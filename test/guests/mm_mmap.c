/* mmap/munmap/mprotect/mremap/madvise edge cases, through raw system calls so
 * that libc wrappers cannot hide what the kernel answers. One line per check:
 * a name and a value or errno name, never an address. No signal handlers:
 * protections are checked by return values only. */
#include "common.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define PG 4096UL
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static long xmmap(void *a, size_t l, int prot, int flags, int fd, long off) {
  return syscall(SYS_mmap, a, l, prot, flags, fd, off);
}
static long xmunmap(void *a, size_t l) { return syscall(SYS_munmap, a, l); }
static long xmprotect(void *a, size_t l, int p) { return syscall(SYS_mprotect, a, l, p); }
static long xmremap(void *a, size_t o, size_t n, int f, void *na) {
  return syscall(SYS_mremap, a, o, n, f, na);
}
static long xmadvise(void *a, size_t l, int adv) { return syscall(SYS_madvise, a, l, adv); }

/* The result of a call that should fail: the errno name, or "succeeded". */
static const char *fails(long r) { return r < 0 ? errname(errno) : "succeeded"; }
/* The result of a call that should succeed. */
static const char *works(long r) { return r < 0 ? errname(errno) : "OK"; }

/* Whether [a, a+len) is (entirely) unmapped: mprotect answers ENOMEM there. */
static const char *mapped(void *a, size_t len) {
  long r = xmprotect(a, len, PROT_READ);
  if (r == 0) return "mapped";
  return errno == ENOMEM ? "unmapped" : errname(errno);
}

static int all(const unsigned char *p, size_t n, unsigned char v) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != v) return 0;
  return 1;
}

/* A free, page-aligned range of n pages (mapped then unmapped). */
static char *free_range(size_t n) {
  long r = xmmap(NULL, n * PG, PROT_NONE, ANON, -1, 0);
  if (r < 0) { say("free_range: %s\n", errname(errno)); exit(1); }
  xmunmap((void *)r, n * PG);
  return (char *)r;
}

static char *anon(size_t n, int prot) {
  long r = xmmap(NULL, n * PG, prot, ANON, -1, 0);
  if (r < 0) { say("anon: %s\n", errname(errno)); exit(1); }
  return (char *)r;
}

static void check_errors(void) {
  say("mmap len 0: %s\n", fails(xmmap(NULL, 0, RW, ANON, -1, 0)));
  say("mmap len -1: %s\n", fails(xmmap(NULL, (size_t)-1, RW, ANON, -1, 0)));
  say("mmap huge len 2^50: %s\n", fails(xmmap(NULL, 1UL << 50, RW, ANON, -1, 0)));
  say("mmap huge len 2^47+PG: %s\n", fails(xmmap(NULL, (1UL << 47) + PG, RW, ANON | MAP_NORESERVE, -1, 0)));
  char *fr = free_range(4);
  say("mmap MAP_FIXED unaligned: %s\n", fails(xmmap(fr + 1, PG, RW, ANON | MAP_FIXED, -1, 0)));
  say("mmap bad fd: %s\n", fails(xmmap(NULL, PG, PROT_READ, MAP_PRIVATE, 999, 0)));
  say("mmap fd -1 without MAP_ANONYMOUS: %s\n", fails(xmmap(NULL, PG, PROT_READ, MAP_PRIVATE, -1, 0)));
  say("mmap no MAP_SHARED nor MAP_PRIVATE: %s\n", fails(xmmap(NULL, PG, RW, MAP_ANONYMOUS, -1, 0)));
  long sv = xmmap(NULL, PG, RW, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  say("mmap MAP_SHARED|MAP_PRIVATE anon (=MAP_SHARED_VALIDATE): %s\n", works(sv));
  if (sv >= 0) xmunmap((void *)sv, PG);
  say("mmap MAP_SHARED_VALIDATE unknown flag: %s\n",
      fails(xmmap(NULL, PG, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x40000000, -1, 0)));
  int fd = open("/etc/passwd", O_RDONLY);
  say("mmap file offset unaligned: %s\n", fails(xmmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 100)));
  say("mmap MAP_SHARED PROT_WRITE on O_RDONLY fd: %s\n", fails(xmmap(NULL, PG, RW, MAP_SHARED, fd, 0)));
  long ro = xmmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
  say("mmap MAP_SHARED PROT_READ on O_RDONLY fd: %s\n", works(ro));
  if (ro >= 0) {
    say("mprotect PROT_WRITE on that shared read-only mapping: %s\n", fails(xmprotect((void *)ro, PG, RW)));
    xmunmap((void *)ro, PG);
  }
  close(fd);
  int dfd = open("/usr", O_RDONLY | O_DIRECTORY);
  say("mmap a directory: %s\n", fails(xmmap(NULL, PG, PROT_READ, MAP_PRIVATE, dfd, 0)));
  close(dfd);
  int wfd = open("/dev/null", O_WRONLY);
  say("mmap O_WRONLY fd: %s\n", fails(xmmap(NULL, PG, PROT_READ, MAP_PRIVATE, wfd, 0)));
  close(wfd);

  say("munmap unaligned: %s\n", fails(xmunmap(fr + 1, PG)));
  say("munmap len 0: %s\n", fails(xmunmap(fr, 0)));
  say("munmap unmapped range: %s\n", works(xmunmap(fr, 4 * PG)));
  say("munmap above TASK_SIZE: %s\n", fails(xmunmap((void *)(1UL << 47), PG)));

  say("mprotect unmapped: %s\n", fails(xmprotect(fr, PG, PROT_READ)));
  say("mprotect unaligned: %s\n", fails(xmprotect(fr + 8, PG, PROT_READ)));
  say("mprotect bad prot bits: %s\n", fails(xmprotect(fr, PG, 0x100)));
  /* one mapped page followed by a page known to be free */
  char *half = free_range(2);
  xmmap(half, PG, RW, ANON | MAP_FIXED, -1, 0);
  half[0] = 0x5a;
  say("mprotect partly unmapped: %s\n", fails(xmprotect(half, 2 * PG, PROT_READ)));
  say("madvise DONTNEED partly unmapped: %s\n", fails(xmadvise(half, 2 * PG, MADV_DONTNEED)));
  /* Linux drops the mapped part all the same (madvise_walk_vmas), then says ENOMEM */
  say("  its mapped page after: %d\n", half[0]);
  say("mprotect len 0: %s\n", works(xmprotect(half, 0, PROT_READ)));
  xmunmap(half, PG);
  /* a hole in the middle: both mapped pages are advised */
  char *holed = free_range(3);
  xmmap(holed, PG, RW, ANON | MAP_FIXED, -1, 0);
  xmmap(holed + 2 * PG, PG, RW, ANON | MAP_FIXED, -1, 0);
  holed[0] = 1;
  holed[2 * PG] = 2;
  say("madvise DONTNEED over a hole: %s\n", fails(xmadvise(holed, 3 * PG, MADV_DONTNEED)));
  say("  the pages on either side after: %d %d\n", holed[0], holed[2 * PG]);
  holed[0] = 3;
  say("madvise WILLNEED over a hole: %s\n", fails(xmadvise(holed, 3 * PG, MADV_WILLNEED)));
  say("madvise DONTNEED from a hole, unaligned length: %s\n", fails(xmadvise(holed + PG, PG + 1, MADV_DONTNEED)));
  say("  the page after the hole: %d %d\n", holed[0], holed[2 * PG]);
  xmunmap(holed, 3 * PG);

  say("madvise unmapped DONTNEED: %s\n", fails(xmadvise(fr, PG, MADV_DONTNEED)));
  char *m = anon(1, RW);
  say("madvise unaligned: %s\n", fails(xmadvise(m + 1, PG, MADV_DONTNEED)));
  say("madvise bad advice: %s\n", fails(xmadvise(m, PG, 12345)));
  say("madvise unassigned advice 6, length 0: %s\n", fails(xmadvise(m, 0, 6)));
  say("madvise length 0, unaligned: %s\n", fails(xmadvise(m + 1, 0, MADV_NORMAL)));
  say("madvise length rounding up to 0: %s\n", fails(xmadvise(m, (size_t)-1, MADV_NORMAL)));
  say("madvise range wrapping the address space: %s\n", fails(xmadvise(m, (size_t)0 - (size_t)m, MADV_NORMAL)));
  say("madvise range past the address space: %s\n", fails(xmadvise(m, 1UL << 62, MADV_NORMAL)));
  say("madvise MADV_NORMAL: %s\n", works(xmadvise(m, PG, MADV_NORMAL)));
  say("madvise MADV_WILLNEED: %s\n", works(xmadvise(m, PG, MADV_WILLNEED)));
  xmunmap(m, PG);

  say("mremap unmapped: %s\n", fails(xmremap(fr, PG, 2 * PG, MREMAP_MAYMOVE, NULL)));
  m = anon(2, RW);
  say("mremap unaligned: %s\n", fails(xmremap(m + 1, PG, 2 * PG, MREMAP_MAYMOVE, NULL)));
  say("mremap new_len 0: %s\n", fails(xmremap(m, PG, 0, MREMAP_MAYMOVE, NULL)));
  say("mremap FIXED without MAYMOVE: %s\n", fails(xmremap(m, PG, PG, MREMAP_FIXED, fr)));
  say("mremap bad flags: %s\n", fails(xmremap(m, PG, PG, 0x80, NULL)));
  say("mremap old_len 0 private: %s\n", fails(xmremap(m, 0, PG, MREMAP_MAYMOVE, NULL)));
  say("mremap FIXED onto overlapping range: %s\n", fails(xmremap(m, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, m + PG)));
  xmunmap(m, 2 * PG);

  /* old_len 0 of a shared mapping: a second mapping of the same pages, the first stays */
  char *s = (char *)xmmap(NULL, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  s[PG] = 'S';
  say("mremap old_len 0 shared without MAYMOVE: %s\n", fails(xmremap(s + PG, 0, PG, 0, NULL)));
  long d = xmremap(s + PG, 0, PG, MREMAP_MAYMOVE, NULL);
  say("mremap old_len 0 shared: %s\n", works(d));
  if (d >= 0) {
    char *dp = (char *)d;
    dp[1] = 'T';
    say("  %s, reads %c, writes through: %c; the original is %s\n", dp != s + PG ? "a new address" : "the same address",
        dp[0], s[PG + 1], mapped(s, 2 * PG));
    xmunmap(dp, PG);
  }
  char *fx = (char *)xmmap(NULL, PG, RW, ANON, -1, 0);
  long f = xmremap(s + PG, 0, PG, MREMAP_MAYMOVE | MREMAP_FIXED, fx);
  say("mremap old_len 0 shared FIXED over a mapping: %s, reads %c; the original is %s\n", f == (long)fx ? "at new_address" : errname(errno),
      f >= 0 ? fx[0] : '-', mapped(s, 2 * PG));
  xmunmap(fx, PG);
  xmunmap(s, 2 * PG);

  /* found by a fuzzer: mremap_to's checks for a duplicate: the source inside the destination is EINVAL; the
   * destination at the source unmaps it first, then finds nothing there (EFAULT) */
  s = (char *)xmmap(NULL, 4 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  say("mremap old_len 0 FIXED, source inside the destination: %s\n",
      fails(xmremap(s + 2 * PG, 0, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, s + PG)));
  say("mremap old_len 0 FIXED at the source itself: %s; the source is %s\n",
      fails(xmremap(s + 2 * PG, 0, PG, MREMAP_MAYMOVE | MREMAP_FIXED, s + 2 * PG)), mapped(s + 2 * PG, PG));
  xmunmap(s, 4 * PG);
}

/* umlts only (as root natively, Linux maps there): below mmap_min_addr a move or a duplicate is EPERM as
 * mmap is, and the process goes on (found by a fuzzer: the host refused the stub, which killed it) */
static void check_low(void) {
  char *s = (char *)xmmap(NULL, PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  say("mremap old_len 0 to 0x1000: %s\n", fails(xmremap(s, 0, PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0x1000)));
  say("mremap move to 0: %s\n", fails(xmremap(s, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0)));
  /* a MAP_GROWSDOWN mapping at mmap_min_addr does not grow below it: the touch is a SIGSEGV (found in review) */
  char *g = (char *)xmmap((void *)0x10000, PG, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
  if (g != (char *)0x10000) say("growsdown at 0x10000: %s\n", errname(errno));
  pid_t c = fork();
  if (c == 0) {
    *(volatile char *)(0x10000 - 8) = 1;
    _exit(0);
  }
  int st = 0;
  waitpid(c, &st, 0);
  say("a touch below it: %s\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? "SIGSEGV" : "no SIGSEGV");
  s[0] = 'k';
  say("alive: %c\n", s[0]);
}

static void check_fixed(void) {
  char *m = anon(4, RW);
  memset(m, 'A', 4 * PG);
  long r = xmmap(m + PG, 2 * PG, RW, ANON | MAP_FIXED, -1, 0);
  say("MAP_FIXED over mapping: %s at requested address: %s\n", works(r), r == (long)(m + PG) ? "yes" : "no");
  say("  replaced pages zero: %d, outer pages kept: %d\n",
      all((unsigned char *)m + PG, 2 * PG, 0), all((unsigned char *)m, PG, 'A') && all((unsigned char *)m + 3 * PG, PG, 'A'));
  say("MAP_FIXED_NOREPLACE over mapping: %s\n", fails(xmmap(m + PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0)));
  say("MAP_FIXED_NOREPLACE partly over mapping: %s\n", fails(xmmap(m + 3 * PG, 2 * PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0)));
  xmunmap(m, 4 * PG);
  char *fr = free_range(8);
  r = xmmap(fr + 2 * PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
  say("MAP_FIXED_NOREPLACE on free range: %s at requested address: %s\n", works(r), r == (long)(fr + 2 * PG) ? "yes" : "no");
  xmunmap(fr, 8 * PG);

  fr = free_range(16);
  r = xmmap(fr, 16 * PG, RW, ANON, -1, 0);
  say("mmap hint on free range honored: %s\n", r == (long)fr ? "yes" : "no");
  xmunmap((void *)r, 16 * PG);
  r = xmmap(fr + 5, PG, RW, ANON, -1, 0);
  say("mmap unaligned hint: %s page aligned: %s\n", works(r), (r & (PG - 1)) == 0 ? "yes" : "no");
  if (r >= 0) xmunmap((void *)r, PG);
}

static void check_anon(void) {
  size_t n = 64;
  unsigned char *m = (unsigned char *)anon(n, RW);
  say("anon zero-filled: %d\n", all(m, n * PG, 0));
  memset(m, 0x5a, n * PG);
  say("anon written: %d\n", all(m, n * PG, 0x5a));
  say("madvise DONTNEED middle: %s\n", works(xmadvise(m + 8 * PG, 8 * PG, MADV_DONTNEED)));
  say("  dropped pages zero: %d, others kept: %d\n", all(m + 8 * PG, 8 * PG, 0),
      all(m, 8 * PG, 0x5a) && all(m + 16 * PG, (n - 16) * PG, 0x5a));
  m[8 * PG] = 7;
  say("  dropped page writable again: %d\n", m[8 * PG] == 7);

  /* munmap a hole in the middle: the two sides survive, the hole is gone */
  say("munmap middle: %s\n", works(xmunmap(m + 20 * PG, 4 * PG)));
  say("  hole: %s, left: %s, right: %s\n", mapped(m + 20 * PG, 4 * PG), mapped(m + 19 * PG, PG), mapped(m + 24 * PG, PG));
  xmprotect(m, n * PG, RW); /* mapped() set PROT_READ on what it probed */
  say("  right side data: %d\n", all(m + 24 * PG, PG, 0x5a));
  say("mprotect across the hole: %s\n", fails(xmprotect(m + 18 * PG, 8 * PG, RW)));
  long r = xmunmap(m, n * PG);
  say("munmap across hole and edges: %s, now %s\n", works(r), mapped(m, n * PG));

  /* mprotect splits */
  m = (unsigned char *)anon(3, RW);
  memset(m, 1, 3 * PG);
  say("mprotect middle PROT_READ: %s\n", works(xmprotect(m + PG, PG, PROT_READ)));
  m[0] = 2;
  m[2 * PG] = 3;
  say("  outer pages still writable: %d, middle readable: %d\n", m[0] == 2 && m[2 * PG] == 3, m[PG] == 1);
  say("mprotect back to RW: %s\n", works(xmprotect(m, 3 * PG, RW)));
  m[PG] = 4;
  say("  middle written: %d\n", m[PG] == 4);
  xmunmap(m, 3 * PG);

  /* PROT_NONE, then make it usable */
  m = (unsigned char *)anon(4, PROT_NONE);
  say("PROT_NONE then mprotect RW: %s\n", works(xmprotect(m, 4 * PG, RW)));
  say("  reads zero: %d\n", all(m, 4 * PG, 0));
  for (size_t i = 0; i < 4 * PG; i++) m[i] = (unsigned char)(i * 7);
  unsigned sum = 0;
  for (size_t i = 0; i < 4 * PG; i++) sum += m[i];
  say("  checksum: %u\n", sum);
  xmunmap(m, 4 * PG);
  m = (unsigned char *)anon(1, PROT_READ);
  say("PROT_READ anon reads zero: %d\n", all(m, PG, 0));
  xmunmap(m, PG);
}

static void check_mremap(void) {
  /* grow with MAYMOVE, data preserved, new tail zero */
  unsigned char *m = (unsigned char *)anon(2, RW);
  for (size_t i = 0; i < 2 * PG; i++) m[i] = (unsigned char)(i % 251);
  /* something right after so that it cannot grow in place */
  long blocker = xmmap(m + 2 * PG, PG, PROT_NONE, ANON | MAP_FIXED_NOREPLACE, -1, 0);
  say("mremap grow without MAYMOVE blocked: %s\n", fails(xmremap(m, 2 * PG, 64 * PG, 0, NULL)));
  long r = xmremap(m, 2 * PG, 64 * PG, MREMAP_MAYMOVE, NULL);
  say("mremap grow MAYMOVE: %s moved: %s\n", works(r), (r >= 0 && r != (long)m) ? "yes" : "no");
  if (r < 0) return;
  unsigned char *g = (unsigned char *)r;
  int ok = 1;
  for (size_t i = 0; i < 2 * PG; i++) ok &= g[i] == (unsigned char)(i % 251);
  say("  data preserved: %d, tail zero: %d\n", ok, all(g + 2 * PG, 62 * PG, 0));
  say("  old range: %s\n", mapped(m, 2 * PG));
  memset(g + 2 * PG, 9, 62 * PG);
  say("  tail writable: %d\n", all(g + 2 * PG, 62 * PG, 9));
  if (blocker >= 0) xmunmap((void *)blocker, PG);

  /* shrink in place */
  r = xmremap(g, 64 * PG, 8 * PG, 0, NULL);
  say("mremap shrink: %s same address: %s\n", works(r), r == (long)g ? "yes" : "no");
  ok = 1;
  for (size_t i = 0; i < 2 * PG; i++) ok &= g[i] == (unsigned char)(i % 251);
  say("  data preserved: %d, released tail: %s\n", ok, mapped(g + 8 * PG, 56 * PG));
  xmprotect(g, 8 * PG, RW);

  /* grow in place into the free tail */
  r = xmremap(g, 8 * PG, 16 * PG, 0, NULL);
  say("mremap grow in place: %s same address: %s\n", works(r), r == (long)g ? "yes" : "no");
  if (r >= 0) say("  regrown tail zero: %d, head kept: %d\n", all(g + 8 * PG, 8 * PG, 0), all(g + 2 * PG, 6 * PG, 9));

  /* MREMAP_FIXED to a chosen free place */
  char *dst = free_range(16);
  r = xmremap(g, 16 * PG, 16 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
  say("mremap FIXED: %s at requested address: %s\n", works(r), r == (long)dst ? "yes" : "no");
  if (r >= 0) {
    ok = 1;
    for (size_t i = 0; i < 2 * PG; i++) ok &= dst[i] == (char)(unsigned char)(i % 251);
    say("  data preserved: %d, old range: %s\n", ok, mapped(g, 16 * PG));
  }

  /* MREMAP_FIXED over an existing mapping replaces it */
  unsigned char *victim = (unsigned char *)anon(4, RW);
  memset(victim, 0x77, 4 * PG);
  r = xmremap(dst, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, victim);
  say("mremap FIXED over mapping: %s at requested address: %s\n", works(r), r == (long)victim ? "yes" : "no");
  if (r >= 0) {
    ok = 1;
    for (size_t i = 0; i < 2 * PG; i++) ok &= victim[i] == (unsigned char)(i % 251);
    say("  data is the moved data: %d\n", ok);
  }
  xmunmap(victim, 4 * PG);
  xmunmap(dst, 16 * PG);

  /* mremap with old_len 0 of a shared anonymous mapping duplicates it */
  long sh = xmmap(NULL, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh >= 0) {
    memset((void *)sh, 0x31, 2 * PG);
    r = xmremap((void *)sh, 0, 2 * PG, MREMAP_MAYMOVE, NULL);
    say("mremap old_len 0 shared: %s\n", works(r));
    if (r >= 0) {
      ((unsigned char *)r)[0] = 0x32;
      say("  alias sees writes: %d\n", ((unsigned char *)sh)[0] == 0x32);
      xmunmap((void *)r, 2 * PG);
    }
    xmunmap((void *)sh, 2 * PG);
  } else {
    say("mmap MAP_SHARED anon: %s\n", errname(errno));
  }
}

static void check_file(void) {
  const char *path = "/usr/include/stdio.h";
  int fd = open(path, O_RDONLY);
  struct stat st;
  fstat(fd, &st);
  size_t size = st.st_size;
  size_t maplen = (size + PG - 1) & ~(PG - 1);
  static char buf[1 << 20];
  size_t got = 0;
  long n;
  while ((n = pread(fd, buf + got, sizeof buf - got, got)) > 0) got += n;
  say("file size matches read: %d\n", got == size);

  long r = xmmap(NULL, maplen, PROT_READ, MAP_PRIVATE, fd, 0);
  say("mmap file PROT_READ private: %s\n", works(r));
  if (r < 0) return;
  char *p = (char *)r;
  say("  contents equal read(): %d\n", memcmp(p, buf, size) == 0);
  say("  bytes after EOF in last page zero: %d\n", all((unsigned char *)p + size, maplen - size, 0));
  xmunmap(p, maplen);

  r = xmmap(NULL, maplen, RW, MAP_PRIVATE, fd, 0);
  say("mmap file RW private on O_RDONLY fd: %s\n", works(r));
  if (r < 0) return;
  p = (char *)r;
  memset(p, 'Z', 100);
  memset(p + PG, 'Y', 10);
  char check[100];
  pread(fd, check, sizeof check, 0);
  say("  private write visible in mapping: %d, not in file: %d\n", p[0] == 'Z', memcmp(check, buf, 100) == 0);
  long r2 = xmmap(NULL, maplen, PROT_READ, MAP_PRIVATE, fd, 0);
  if (r2 >= 0) {
    say("  second private mapping sees file: %d\n", memcmp((char *)r2, buf, size) == 0);
    xmunmap((void *)r2, maplen);
  }
  say("  madvise DONTNEED on private file pages: %s\n", works(xmadvise(p, maplen, MADV_DONTNEED)));
  say("  reverts to file contents: %d\n", memcmp(p, buf, size) == 0);
  xmunmap(p, maplen);

  /* mapping at an offset */
  if (size > 2 * PG) {
    r = xmmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, PG);
    say("mmap file at offset PG: %s equal: %d\n", works(r), r >= 0 && memcmp((char *)r, buf + PG, PG) == 0);
    if (r >= 0) xmunmap((void *)r, PG);
  }
  /* beyond EOF: mmap succeeds (touching it would SIGBUS, we do not) */
  r = xmmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, (long)(maplen + 16 * PG));
  say("mmap file wholly beyond EOF: %s\n", works(r));
  if (r >= 0) xmunmap((void *)r, PG);
  close(fd);
  /* the mapping outlives the fd */
  fd = open(path, O_RDONLY);
  r = xmmap(NULL, maplen, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  say("mapping usable after close(fd): %d\n", r >= 0 && memcmp((char *)r, buf, size) == 0);
  if (r >= 0) xmunmap((void *)r, maplen);
}

/* Shared anonymous memory (and a shared mapping of /dev/zero) is one page
 * for parent and child even when the child touches it first, after fork;
 * /proc/self/maps shows it as a deleted /dev/zero, offset 0. */
static void check_shared_fork(void) {
  volatile int *s = (volatile int *)xmmap(NULL, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int zfd = open("/dev/zero", O_RDWR);
  volatile int *z = (volatile int *)xmmap(NULL, PG, RW, MAP_SHARED, zfd, 0);
  close(zfd);
  s[0] = 1;
  pid_t c = fork();
  if (c == 0) {
    s[0] = 2;
    s[PG / sizeof(int)] = 42;  /* the second page: no one touched it before the fork */
    z[5] = 7;
    _exit(0);
  }
  waitpid(c, NULL, 0);
  say("shared anon after fork: parent sees %d %d, /dev/zero shared %d\n", s[0], s[PG / sizeof(int)], z[5]);
  char line[512];
  FILE *m = fopen("/proc/self/maps", "r");
  int n = 0;
  while (fgets(line, sizeof line, m)) {
    unsigned long a;
    char perms[8];
    unsigned long off;
    if (sscanf(line, "%lx-%*x %7s %lx", &a, perms, &off) == 3 && (a == (unsigned long)s || a == (unsigned long)z))
      say("  maps: %s %08lx %s", perms, off, strstr(line, "/dev/zero (deleted)") ? "/dev/zero (deleted)\n" : line), n++;
  }
  fclose(m);
  say("  maps lines: %d\n", n);
  xmunmap((void *)s, 2 * PG);
  xmunmap((void *)z, PG);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "low") == 0) {
    check_low();
    return 0;
  }
  check_shared_fork();
  check_errors();
  check_fixed();
  check_anon();
  check_mremap();
  check_file();
  say("done\n");
  return 0;
}
