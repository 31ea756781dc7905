/* Page faults from many threads at once. Eight threads released together by a
 * barrier each write then read back every page of their own fresh 4 MiB
 * anonymous mapping and their share (every 8th page) of one shared 16 MiB
 * mapping, and along the way take deliberate SIGSEGVs (a PROT_NONE page:
 * SEGV_ACCERR; a one-page hole: SEGV_MAPERR), recovered with siglongjmp from
 * an SA_SIGINFO handler through a per-thread (__thread) sigjmp_buf. A ninth
 * thread, released by the same barrier, churns its own 4 MiB region
 * (mprotect, munmap + mmap MAP_FIXED, PROT_NONE + a fault) meanwhile. Then
 * every thread checks its neighbour's share of the shared mapping.
 * Deterministic output: checksums of values, counts and booleans only. */
#include "common.h"
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PG 4096UL
#define NT 8
#define OWN_SIZE (4UL << 20)
#define OWN_PAGES (OWN_SIZE / PG)
#define SHARED_SIZE (16UL << 20)
#define SHARED_PAGES (SHARED_SIZE / PG)
#define MY_SHARED_PAGES (SHARED_PAGES / NT)
#define CHURNER NT /* the ninth thread's index */
#define CHURN_STEPS 300
#define CHUNK_PAGES 64
#define CHUNKS (OWN_PAGES / CHUNK_PAGES)

static void die(const char *what, int e) {
  say("%s: %s\n", what, errname(e));
  exit(1);
}

static pthread_barrier_t start, written;
static char *shared;

/* the value thread t keeps at word w of page p of region r (0 own, 1 shared) */
static uint64_t val(int t, int r, unsigned long p, int w) {
  uint64_t x = ((uint64_t)t << 48) ^ ((uint64_t)r << 40) ^ ((uint64_t)p << 8) ^ (uint64_t)w;
  x ^= x >> 31;
  x *= 0x9E3779B97F4A7C15ULL;
  x ^= x >> 29;
  return x;
}
static const unsigned WORDS[3] = { 0, 256, 511 }; /* first, middle, last word */

static void write_page(char *page, int t, int r, unsigned long p) {
  for (int k = 0; k < 3; k++) ((volatile uint64_t *)page)[WORDS[k]] = val(t, r, p, k);
}
/* adds the page's words to *sum; returns the number that are wrong */
static int check_page(const char *page, int t, int r, unsigned long p, uint64_t *sum) {
  int bad = 0;
  for (int k = 0; k < 3; k++) {
    uint64_t v = ((volatile const uint64_t *)page)[WORDS[k]];
    *sum = *sum * 31 + v;
    if (v != val(t, r, p, k)) bad++;
  }
  return bad;
}

/* ---- deliberate faults ---- */
static __thread sigjmp_buf jb;
static __thread void *volatile fault_addr;
static __thread volatile int fault_code, faults_seen;
static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  fault_addr = si->si_addr;
  fault_code = si->si_code;
  faults_seen++;
  siglongjmp(jb, 1);
}
struct fault_stats { int tried, handled, addr_right, accerr, maperr, other_code; };
/* Touch p (write if w, else read); expects a SIGSEGV. */
static void fault_at(char *p, int w, struct fault_stats *fs) {
  fs->tried++;
  fault_addr = 0;
  fault_code = 0;
  if (sigsetjmp(jb, 1) == 0) {
    if (w) *(volatile char *)p = 1;
    else (void)*(volatile char *)p;
    return; /* no fault: handled stays behind tried */
  }
  fs->handled++;
  if (fault_addr == p) fs->addr_right++;
  if (fault_code == SEGV_ACCERR) fs->accerr++;
  else if (fault_code == SEGV_MAPERR) fs->maperr++;
  else fs->other_code++;
}

/* A PROT_NONE page and, right after a guard page, a one-page hole: three pages
 * mapped PROT_NONE and the last one unmapped. Nothing in this program maps a
 * single page without MAP_FIXED, so the hole stays a hole. */
static void fault_targets(char **none, char **hole) {
  char *r = mmap(0, 3 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (r == MAP_FAILED) die("mmap targets", errno);
  if (munmap(r + 2 * PG, PG) < 0) die("munmap hole", errno);
  *none = r;
  *hole = r + 2 * PG;
}

struct result {
  uint64_t own_sum, shared_sum, neighbour_sum;
  int own_bad, shared_bad, neighbour_bad, pages;
  struct fault_stats fs;
  /* churner only */
  int steps, churn_bad, zero_bad;
};
static struct result results[NT + 1];

static void *faulter(void *arg) {
  int t = (int)(long)arg;
  struct result *R = &results[t];
  char *own = mmap(0, OWN_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (own == MAP_FAILED) die("mmap own", errno);
  char *none, *hole;
  fault_targets(&none, &hole);
  pthread_barrier_wait(&start);

  /* write every page, taking a deliberate fault every 128 pages */
  for (unsigned long p = 0; p < OWN_PAGES; p++) {
    write_page(own + p * PG, t, 0, p);
    if (p < MY_SHARED_PAGES) write_page(shared + (t + NT * p) * PG, t, 1, p);
    if (p % 128 == 64) {
      int k = (int)(p / 128);
      if (k % 2 == 0) fault_at(none + 8 * k + t, k % 4 == 0, &R->fs);
      else fault_at(hole + 64 * k + t, k % 4 == 1, &R->fs);
    }
  }
  /* read every page back */
  for (unsigned long p = 0; p < OWN_PAGES; p++) {
    R->own_bad += check_page(own + p * PG, t, 0, p, &R->own_sum);
    if (p < MY_SHARED_PAGES) R->shared_bad += check_page(shared + (t + NT * p) * PG, t, 1, p, &R->shared_sum);
    R->pages += p < MY_SHARED_PAGES ? 2 : 1;
  }
  pthread_barrier_wait(&written);
  /* the neighbour's share of the shared mapping, as the neighbour wrote it */
  int n = (t + 1) % NT;
  for (unsigned long p = 0; p < MY_SHARED_PAGES; p++)
    R->neighbour_bad += check_page(shared + (n + NT * p) * PG, n, 1, p, &R->neighbour_sum);
  /* the PROT_NONE page is still inaccessible, the hole still a hole */
  fault_at(none + PG - 1, 1, &R->fs);
  fault_at(hole, 0, &R->fs);
  munmap(own, OWN_SIZE);
  munmap(none, 2 * PG);
  return 0;
}

static void *churner(void *arg) {
  int t = (int)(long)arg;
  struct result *R = &results[t];
  char *own = mmap(0, OWN_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (own == MAP_FAILED) die("mmap churn", errno);
  pthread_barrier_wait(&start);
  for (unsigned long p = 0; p < OWN_PAGES; p++) write_page(own + p * PG, t, 0, p);
  for (int j = 0; j < CHURN_STEPS; j++) {
    int c = (j * 7) % CHUNKS;
    char *chunk = own + (unsigned long)c * CHUNK_PAGES * PG;
    uint64_t scratch = 0;
    switch (j % 3) {
    case 0: /* read-only for a while: the values are still there */
      if (mprotect(chunk, CHUNK_PAGES * PG, PROT_READ) < 0) die("mprotect ro", errno);
      for (int q = 0; q < CHUNK_PAGES; q++)
        R->churn_bad += check_page(chunk + q * PG, t, 0, (unsigned long)c * CHUNK_PAGES + q, &scratch);
      fault_at(chunk + (j % CHUNK_PAGES) * PG, 1, &R->fs);
      if (mprotect(chunk, CHUNK_PAGES * PG, PROT_READ | PROT_WRITE) < 0) die("mprotect rw", errno);
      break;
    case 1: /* replaced by fresh zero pages, then written again */
      if (munmap(chunk, CHUNK_PAGES * PG) < 0) die("munmap chunk", errno);
      if (mmap(chunk, CHUNK_PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != chunk)
        die("mmap fixed chunk", errno);
      for (int q = 0; q < CHUNK_PAGES; q++)
        for (int k = 0; k < 3; k++)
          if (((volatile uint64_t *)(chunk + q * PG))[WORDS[k]] != 0) R->zero_bad++;
      for (int q = 0; q < CHUNK_PAGES; q++) write_page(chunk + q * PG, t, 0, (unsigned long)c * CHUNK_PAGES + q);
      break;
    case 2: /* inaccessible: a read faults; then accessible again, unchanged */
      if (mprotect(chunk, CHUNK_PAGES * PG, PROT_NONE) < 0) die("mprotect none", errno);
      fault_at(chunk + (j % CHUNK_PAGES) * PG + 8, 0, &R->fs);
      if (mprotect(chunk, CHUNK_PAGES * PG, PROT_READ | PROT_WRITE) < 0) die("mprotect rw", errno);
      for (int q = 0; q < CHUNK_PAGES; q++)
        R->churn_bad += check_page(chunk + q * PG, t, 0, (unsigned long)c * CHUNK_PAGES + q, &scratch);
      break;
    }
    R->steps++;
  }
  for (unsigned long p = 0; p < OWN_PAGES; p++) R->own_bad += check_page(own + p * PG, t, 0, p, &R->own_sum);
  pthread_barrier_wait(&written);
  munmap(own, OWN_SIZE);
  return 0;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  shared = mmap(0, SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) die("mmap shared", errno);
  int e;
  if ((e = pthread_barrier_init(&start, 0, NT + 1)) || (e = pthread_barrier_init(&written, 0, NT + 1)))
    die("pthread_barrier_init", e);
  pthread_t th[NT + 1];
  for (long t = 0; t < NT; t++)
    if ((e = pthread_create(&th[t], 0, faulter, (void *)t))) die("pthread_create", e);
  if ((e = pthread_create(&th[CHURNER], 0, churner, (void *)(long)CHURNER))) die("pthread_create", e);
  for (int t = 0; t <= NT; t++)
    if ((e = pthread_join(th[t], 0))) die("pthread_join", e);

  int faults = 0, tried = 0, pages = 0;
  for (int t = 0; t < NT; t++) {
    struct result *R = &results[t];
    say("thread %d: own %016llx bad %d, shared %016llx bad %d, neighbour's %016llx bad %d\n", t,
        (unsigned long long)R->own_sum, R->own_bad, (unsigned long long)R->shared_sum, R->shared_bad,
        (unsigned long long)R->neighbour_sum, R->neighbour_bad);
    say("thread %d: faults tried %d handled %d, si_addr right %d, SEGV_ACCERR %d, SEGV_MAPERR %d, other %d\n", t,
        R->fs.tried, R->fs.handled, R->fs.addr_right, R->fs.accerr, R->fs.maperr, R->fs.other_code);
    faults += R->fs.handled;
    tried += R->fs.tried;
    pages += R->pages;
  }
  struct result *C = &results[CHURNER];
  say("churner: steps %d, own %016llx bad %d, values kept bad %d, fresh pages not zero %d\n", C->steps,
      (unsigned long long)C->own_sum, C->own_bad, C->churn_bad, C->zero_bad);
  say("churner: faults tried %d handled %d, si_addr right %d, SEGV_ACCERR %d, SEGV_MAPERR %d, other %d\n",
      C->fs.tried, C->fs.handled, C->fs.addr_right, C->fs.accerr, C->fs.maperr, C->fs.other_code);
  faults += C->fs.handled;
  tried += C->fs.tried;
  say("pages checked by the faulting threads: %d\n", pages);
  say("faults handled: %d of %d\n", faults, tried);
  uint64_t none = 0;
  int bad = 0;
  for (unsigned long p = 0; p < SHARED_PAGES; p++) bad += check_page(shared + p * PG, (int)(p % NT), 1, p / NT, &none);
  say("shared mapping as main sees it: bad %d, checksum %016llx\n", bad, (unsigned long long)none);
  say("done\n");
  return 0;
}
