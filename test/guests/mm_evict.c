/* Memory that must stay right when the host runs out of room for a
 * process's mappings (test/robust.test.mjs). Under umlts every guest page
 * is a host mapping of a physmem frame, and scattered frames take one host
 * mapping each: a process can reach the host's vm.max_map_count long
 * before its own. The kernel then drops every host mapping of that process
 * (as a full TLB is flushed) and faults bring back what is used. The test
 * makes the host "full" every few batches (UMLTS_TEST_HOST_FULL); this
 * guest does the mm work where a lost or stale mapping would show —
 * writes, copy-on-write after fork, mprotect, threads, mremap, file
 * mappings, MADV_DONTNEED — and prints checksums, compared with Linux;
 * and memory it unmapped must fault, whichever batch the host refused
 * (an munmap dropped with the rest of a refused batch left the host
 * mapping a frame the kernel had freed).
 */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PAGES 1024
#define PG 4096

static uint64_t sum(const unsigned char *p, size_t pages) {
  uint64_t s = 0;
  for (size_t i = 0; i < pages * PG; i++) {
    s = (s + p[i] + 1) * 0x9e3779b97f4a7c15ULL;
    s ^= s >> 29;
  }
  return s;
}

static unsigned char *region;

static sigjmp_buf probe_jmp;
static void on_segv(int sig) {
  (void)sig;
  siglongjmp(probe_jmp, 1);
}
/* Does reading p fault? */
static int faults(volatile unsigned char *p) {
  if (sigsetjmp(probe_jmp, 1)) return 1;
  (void)*p;
  return 0;
}

static void *writer(void *arg) {
  size_t half = (size_t)arg;
  for (size_t i = half * PAGES / 2; i < (half + 1) * PAGES / 2; i++) region[i * PG + 7] = (unsigned char)(i * 3 + half);
  return NULL;
}

int main(int argc, char **argv) {
  (void)argc;
  region = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (size_t i = 0; i < PAGES * PG; i += 64) region[i] = (unsigned char)(i / 64 * 7);
  say("written: %llx\n", (unsigned long long)sum(region, PAGES));

  for (size_t i = 0; i < PAGES; i += 2) mprotect(region + i * PG, PG, PROT_READ);
  say("after mprotect: %llx\n", (unsigned long long)sum(region, PAGES));
  for (size_t i = 0; i < PAGES; i += 2) mprotect(region + i * PG, PG, PROT_READ | PROT_WRITE);

  pid_t c = fork();
  if (c == 0) {
    for (size_t i = 0; i < PAGES; i += 3) region[i * PG + 1] = 0xee;
    _exit((int)(sum(region, PAGES) & 0x7f));
  }
  int st;
  waitpid(c, &st, 0);
  say("child's sum & 0x7f: %d; parent's after the child wrote: %llx\n", WEXITSTATUS(st), (unsigned long long)sum(region, PAGES));

  pthread_t a, b;
  pthread_create(&a, NULL, writer, (void *)0);
  pthread_create(&b, NULL, writer, (void *)1);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  say("after threads: %llx\n", (unsigned long long)sum(region, PAGES));

  unsigned char *moved = mremap(region, PAGES * PG, 2 * PAGES * PG, MREMAP_MAYMOVE);
  if (moved == MAP_FAILED) return 1;
  for (size_t i = PAGES; i < 2 * PAGES; i++) moved[i * PG] = (unsigned char)i;
  say("after mremap: %llx %llx\n", (unsigned long long)sum(moved, PAGES), (unsigned long long)sum(moved + PAGES * PG, PAGES));

  madvise(moved + 10 * PG, 20 * PG, MADV_DONTNEED);
  say("after DONTNEED: %llx\n", (unsigned long long)sum(moved, PAGES));
  munmap(moved + PAGES * PG, PAGES * PG);

  /* a file mapping: private, read, then written (a copy of that page) */
  int fd = open(argv[0], O_RDONLY);
  unsigned char *f = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (f == MAP_FAILED) return 1;
  say("file: %s %llx\n", memcmp(f, "\177ELF", 4) == 0 ? "ELF" : "not ELF", (unsigned long long)sum(f, 16));
  f[5 * PG] ^= 0xff;
  say("file page written: %llx\n", (unsigned long long)sum(f, 16));
  c = fork();
  if (c == 0) _exit((int)(sum(f, 16) & 0x7f));
  waitpid(c, &st, 0);
  say("child's file sum & 0x7f: %d\n", WEXITSTATUS(st));

  /* unmapped memory faults: a munmap at every place in the batches (each its own syscall, so its own flush) */
  signal(SIGSEGV, on_segv);
  int faulted = 0;
  for (int i = 0; i < 60; i++) {
    unsigned char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 1;
    memset(m, 0x5a, 4 * PG);
    munmap(m, 4 * PG);
    faulted += faults(m) + faults(m + 3 * PG);
  }
  say("unmapped reads that faulted: %d of 120\n", faulted);
  say("done\n");
  return 0;
}
