/* Forks that fail (the systrap test hook UMLTS_TEST_FORK_GIVEUP gives each
 * one up once its copy exists): each fails with EAGAIN, and the process then
 * waits on stdin so the test can count the host processes umlts keeps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 5, again = 0;
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p == 0) _exit(0);
    if (p < 0 && errno == EAGAIN) again++;
  }
  printf("%d forks, EAGAIN: %d\n", n, again);
  fflush(stdout);
  char c;
  return read(0, &c, 1) < 0;
}
