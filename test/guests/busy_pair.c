/* Two processes that each spin for SECONDS (argv[1], default 4) of wall
 * time; the parent reports how the child ended. With one vCPU the kernel
 * preempts one for the other (kicks) all along. */
#include "common.h"
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 4;
  pid_t p = fork();
  double a = now();
  volatile unsigned long x = 0;
  while (now() - a < secs) x++;
  if (p > 0) {
    int st;
    waitpid(p, &st, 0);
    say("both spun: the child's status %d\n", st);
  }
  return 0;
}
