/* Forked children that write scattered pages of a big inherited heap (one
 * byte every 8th page, as a forked Python's refcount updates are): each
 * copies only the pages it writes, as on Linux. Run under a small --mem,
 * copying the neighbours of every written page too would take several
 * times the memory and bring the OOM killer. Output is compared with the
 * host kernel's. */
#include "common.h"
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define SIZE (64 << 20)
#define CHILDREN 8

int main(void) {
  char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  for (long i = 0; i < SIZE; i += 4096) p[i] = 1;
  pid_t pids[CHILDREN];
  int ready[2];
  (void)!pipe(ready);
  for (int c = 0; c < CHILDREN; c++) {
    pids[c] = fork();
    if (pids[c] == 0) {
      for (long i = (long)c * 4096; i < SIZE; i += 8 * 4096) p[i] = 2;
      (void)!write(ready[1], "x", 1);
      close(ready[1]);
      pause(); // all children hold their copies at once
      _exit(0);
    }
  }
  close(ready[1]);
  char b;
  while (read(ready[0], &b, 1) > 0) { // EOF once every child wrote or died
  }
  int ok = 0;
  for (int c = 0; c < CHILDREN; c++) {
    kill(pids[c], SIGTERM);
    int st;
    waitpid(pids[c], &st, 0);
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM) ok++;
  }
  long sum = 0;
  for (long i = 0; i < SIZE; i += 4096) sum += p[i];
  say("children that held their copies until SIGTERM: %d of %d; parent's pages unchanged: %d\n", ok, CHILDREN, sum == SIZE / 4096);
  return 0;
}
