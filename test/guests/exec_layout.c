/* The initial stack's strings in Linux's order (fs/exec.c copy_strings):
 * argv strings back to back ascending, then the environment's, then the
 * file name (AT_EXECFN) at the top, then 8 zero bytes. libuv (node's process
 * title) writes across argv[0] .. the last string, so it depends on this. */
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

extern char **environ;

int main(int argc, char **argv) {
  int contiguous = 1;
  for (int i = 0; i + 1 < argc; i++)
    if (argv[i + 1] != argv[i] + strlen(argv[i]) + 1) contiguous = 0;
  printf("argv strings contiguous ascending: %d\n", contiguous);
  char *last = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
  printf("environ[0] follows the last argv string: %d\n", environ[0] == last);
  int n = 0, envc = 1;
  while (environ[n]) n++;
  for (int i = 0; i + 1 < n; i++)
    if (environ[i + 1] != environ[i] + strlen(environ[i]) + 1) envc = 0;
  printf("environment strings contiguous ascending: %d\n", envc);
  char *fn = (char *)getauxval(AT_EXECFN);
  char *envend = n ? environ[n - 1] + strlen(environ[n - 1]) + 1 : last;
  printf("AT_EXECFN follows the environment: %d\n", fn == envend);
  printf("AT_EXECFN is argv[0]'s path: %s\n", fn);
  return 0;
}
