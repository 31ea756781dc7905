/* Dies by a signal: NULL dereference (default) or abort() ("abort"). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  (void)!write(1, "before\n", 7);
  if (argc > 1 && !strcmp(argv[1], "abort")) abort();
  *(volatile int *)0 = 42;
  (void)!write(1, "after\n", 6);
  return 0;
}
