/* File mappings of a host file (usage: mm_filemap DIR, DIR writable): what
 * the mapping shows after writes to the file, private copies made by writes
 * (after mprotect, through the kernel's read(), across fork), MADV_DONTNEED,
 * mremap, shared mappings, SIGBUS past the end of the file, and the kernel
 * reading a path that lives in a file mapping. One line per check. */
#include "common.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PG 4096L
#define NPAGES 5
#define FSIZE (4 * PG + PG / 2) /* the last page is half file, half past the end */

static sigjmp_buf jb;
static volatile int bus_code;
static void *volatile bus_addr;
static void on_bus(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)uc;
  bus_code = si->si_code;
  bus_addr = si->si_addr;
  siglongjmp(jb, 1);
}

/* Read one byte, reporting SIGBUS instead of dying. */
static int probe(volatile char *p) {
  if (sigsetjmp(jb, 1)) return -1;
  return *p;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  char path[512], path2[512];
  snprintf(path, sizeof path, "%s/mapped", argv[1]);
  snprintf(path2, sizeof path2, "%s/pathfile", argv[1]);
  unlink(path);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return say("open: %s\n", errname(errno)), 1;
  static char buf[FSIZE];
  for (long i = 0; i < FSIZE; i++) buf[i] = (char)('a' + i / PG);
  if (write(fd, buf, FSIZE) != FSIZE) return say("write failed\n"), 1;

  char *p = mmap(NULL, NPAGES * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return say("mmap: %s\n", errname(errno)), 1;
  say("pages: %c %c %c %c %c\n", p[0], p[PG], p[2 * PG], p[3 * PG], p[4 * PG]);
  say("past the end of the file, in its last page: %d\n", p[4 * PG + PG / 2 + 10]);
  /* the kernel reads the mapping (write(2) from it) */
  say("write(2) from the mapping: ");
  (void)!write(1, p + 2 * PG + 100, 6);
  say("\n");
  /* an untouched private page shows later writes to the file */
  (void)!pwrite(fd, "XYZ", 3, PG);
  say("after pwrite to the file: %.3s\n", p + PG);

  /* made writable: a write is the process's own copy */
  say("mprotect rw: %s\n", res(mprotect(p, NPAGES * PG, PROT_READ | PROT_WRITE)));
  p[2 * PG] = 'Q';
  char c;
  (void)!pread(fd, &c, 1, 2 * PG);
  say("written: %c, file still: %c\n", p[2 * PG], c);

  /* read(2) into the mapping: the kernel writes it, the file stays */
  (void)!pread(fd, p + 3 * PG, 5, 0);
  (void)!pread(fd, &c, 1, 3 * PG);
  say("read(2) into the mapping: %.5s, file still: %c\n", p + 3 * PG, c);

  /* fork: the child sees the parent's copies; its own writes stay its own */
  pid_t pid = fork();
  if (pid == 0) {
    say("child sees: %c %.5s %c\n", p[2 * PG], p + 3 * PG, p[4 * PG]);
    p[4 * PG] = 'R';
    p[PG + 1] = 'S';
    say("child wrote: %c %c\n", p[4 * PG], p[PG + 1]);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  say("parent after child: %c %c\n", p[4 * PG], p[PG + 1]);

  /* MADV_DONTNEED: the file shows through again */
  say("madvise dontneed: %s\n", res(madvise(p + 2 * PG, PG, MADV_DONTNEED)));
  say("after dontneed: %c (page 3 kept: %c)\n", p[2 * PG], p[3 * PG]);

  /* PROT_NONE and back */
  say("mprotect none: %s\n", res(mprotect(p, NPAGES * PG, PROT_NONE)));
  say("mprotect read: %s\n", res(mprotect(p, NPAGES * PG, PROT_READ)));
  say("after protections: %c %c %c\n", p[0], p[PG], p[3 * PG]);

  /* mremap moves the mapping, copies and all */
  char *dest = mmap(NULL, 2 * NPAGES * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *q = mremap(p, NPAGES * PG, NPAGES * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dest + NPAGES * PG);
  say("mremap: %s\n", q == MAP_FAILED ? errname(errno) : "OK");
  if (q != MAP_FAILED) say("moved: %c %c %.5s\n", q[0], q[PG], q + 3 * PG);

  /* a shared read-only mapping sees writes to the file at once */
  char *s = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
  (void)!pwrite(fd, "W", 1, 0);
  say("shared sees pwrite: %c\n", s[0]);
  say("shared mprotect rw on a read-write fd: %s\n", res(mprotect(s, PG, PROT_READ | PROT_WRITE)));

  /* SIGBUS: a whole page past the end of the file */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_bus;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGBUS, &sa, NULL);
  char *big = mmap(NULL, 8 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  int v = probe(big + 6 * PG);
  say("page past the end: %s, si_code %d, si_addr right: %d\n", v < 0 ? "SIGBUS" : "read", bus_code, bus_addr == big + 6 * PG);
  /* the kernel reading there: EFAULT, not a signal */
  errno = 0;
  long w = write(1, big + 6 * PG, 1);
  say("\nwrite(2) from past the end: %s\n", w < 0 ? errname(errno) : "wrote");
  /* truncation under a mapping */
  (void)!ftruncate(fd, PG);
  bus_code = 0;
  v = probe(big + 2 * PG);
  say("after truncate: %s, si_code %d\n", v < 0 ? "SIGBUS" : "read", bus_code);
  say("first page still: %c\n", big[0]);

  /* a path the kernel reads out of a file mapping */
  int pf = open(path2, O_RDWR | O_CREAT | O_TRUNC, 0644);
  (void)!write(pf, "/dev/null", 10);
  char *pp = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, pf, 0);
  int nfd = open(pp, O_RDONLY);
  say("open() of a path in a file mapping: %s\n", res(nfd));

  /* a shared writable mapping is the file: both ways, across fork, and the
   * kernel writing into it (read(2)) */
  (void)!ftruncate(fd, 2 * PG);
  char *sw = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (sw == MAP_FAILED) return say("mmap shared rw: %s\n", errname(errno)), 1;
  sw[0] = 'M';
  (void)!pread(fd, &c, 1, 0);
  say("shared write, file reads: %c\n", c);
  (void)!pwrite(fd, "N", 1, PG + 5);
  say("file write, shared reads: %c\n", sw[PG + 5]);
  (void)!pread(pf, sw + 10, 5, 0);
  char five[6] = { 0 };
  (void)!pread(fd, five, 5, 10);
  say("read(2) into the shared mapping, file has: %s\n", five);
  pid = fork();
  if (pid == 0) {
    sw[100] = 'C';
    _exit(0);
  }
  waitpid(pid, &st, 0);
  (void)!pread(fd, &c, 1, 100);
  say("child's shared write: mapping %c, file %c\n", sw[100], c);
  say("msync: %s\n", res(msync(sw, 2 * PG, MS_SYNC)));
  /* the kernel writing past the end of the file through the mapping: EFAULT, no growth */
  (void)!ftruncate(fd, PG);
  errno = 0;
  long rr = pread(pf, sw + PG + 1, 3, 0);
  struct stat sst;
  fstat(fd, &sst);
  say("read(2) into the mapping past the end: %s, size %ld\n", rr < 0 ? errname(errno) : "read", (long)sst.st_size);
  munmap(sw, 2 * PG);

  /* ... and one that crosses from one page of the file mapping into the next */
  char two[2 * PG];
  memset(two, 'z', sizeof two);
  memcpy(two + PG - 5, "/dev/null", 10);
  (void)!pwrite(pf, two, sizeof two, 0);
  char *pp2 = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE, pf, 0);
  nfd = open(pp2 + PG - 5, O_RDONLY);
  say("open() of a path across two pages of a file mapping: %s\n", res(nfd));
  munmap(pp2, 2 * PG);
  (void)!pwrite(pf, "/dev/null", 10, 0);

  /* MAP_POPULATE of a file mapping */
  char *pop = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_POPULATE, pf, 0);
  say("populated: %s\n", pop);
  unlink(path);
  unlink(path2);
  say("done\n");
  return 0;
}
