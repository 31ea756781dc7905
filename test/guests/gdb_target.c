/* A program for gdb to debug (test/ptrace.test.mjs): a breakpoint in sq is hit
 * three times, its argument read, then deleted. Built with -g -O0. */
#include <stdio.h>

int sq(int x) { return x * x; }

int main(void) {
  int s = 0;
  for (int i = 0; i < 3; i++) s += sq(i);
  printf("%d\n", s);
  return 0;
}
