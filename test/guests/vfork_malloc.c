/* A vfork child that mallocs (undefined by POSIX, done by real programs: gdb's
 * inferior start-up): the heap is its parent's, so the break it moves is the
 * parent's, with what it wrote there; the parent's malloc goes on over it.
 * umlts's vfork child has a copy of the memory whose writes go back into the
 * parent: its break did not, and the parent died of SIGSEGV in malloc. */
#include "common.h"
#include <stdlib.h>

int main(void) {
  char *a = malloc(100);
  strcpy(a, "the parent's");
  void *before = sbrk(0);
  static char *blocks[8];
  pid_t c = vfork();
  if (c == 0) {
    /* 8 x 60000 bytes: below the mmap threshold, past the heap's first room */
    for (int i = 0; i < 8; i++) {
      blocks[i] = malloc(60000);
      memset(blocks[i], 'a' + i, 60000);
    }
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  say("the child moved the break: %s\n", sbrk(0) != before ? "yes" : "no");
  int same = 1;
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 60000; j += 999) same &= blocks[i][j] == 'a' + i;
  say("its blocks, in the parent: %s\n", same ? "as it wrote them" : "different");
  for (int i = 0; i < 8; i++) free(blocks[i]);
  for (int i = 0; i < 2000; i++) {
    char *p = malloc(1000 + i);
    memset(p, 1, 1000 + i);
    if (i % 3) free(p);
  }
  say("the parent's mallocs after the child's: done; its first block still says %s\n", a);
  return 0;
}
