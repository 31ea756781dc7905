/* /proc/self/exe names the program's file, not the name it was run by:
 * re-executing oneself through /proc/self/exe (as runc and many daemons
 * do) works at every generation and each sees the same link. */
#include "common.h"
#include <stdlib.h>

int main(int argc, char **argv) {
  char l[4096];
  long n = readlink("/proc/self/exe", l, sizeof l - 1);
  l[n < 0 ? 0 : n] = 0;
  int gen = argc > 1 ? atoi(argv[1]) : 0;
  say("generation %d: exe %s\n", gen, n < 0 ? errname(errno) : l);
  if (gen >= 3) return 0;
  char b[8];
  snprintf(b, sizeof b, "%d", gen + 1);
  execl("/proc/self/exe", argv[0], b, (char *)NULL);
  say("exec: %s\n", errname(errno));
  return 1;
}
