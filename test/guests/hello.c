/* Prints its argv and environment (sorted), exits 3 (or argv[1] if it is
 * "exit=N"). */
#include "common.h"
#include <stdlib.h>

extern char **environ;
static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  say("argc=%d\n", argc);
  for (int i = 0; i < argc; i++) say("argv[%d]=%s\n", i, argv[i]);
  say("argv[argc]=%s\n", argv[argc] ? "non-NULL" : "NULL");
  int n = 0;
  while (environ[n]) n++;
  char **env = environ;
  qsort(env, n, sizeof env[0], cmp);
  for (int i = 0; i < n; i++) say("env %s\n", env[i]);
  if (argc > 1 && !strncmp(argv[1], "exit=", 5)) return atoi(argv[1] + 5);
  return 3;
}
