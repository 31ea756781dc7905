/* Bench rows: a program started the way make, the gcc driver, Python's
 * subprocess and Rust's Command start one, not with fork: vfork and exec
 * (and wait), and posix_spawn (glibc's: clone(CLONE_VM|CLONE_VFORK) on a
 * stack of its own, every handled signal reset in the child) and wait.
 * The child is this program, exiting at once. Prints "vfork_exec_wait
 * VALUE us" and "posix_spawn_wait VALUE us". */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "noop")) return 0;
  int n = argc > 1 ? atoi(argv[1]) : 300;
  char *args[] = { argv[0], "noop", NULL };
  double a = now();
  for (int i = 0; i < n; i++) {
    pid_t p = vfork();
    if (p == 0) {
      execv(argv[0], args);
      _exit(127);
    }
    waitpid(p, NULL, 0);
  }
  printf("vfork_exec_wait %.1f us\n", (now() - a) / n / 1000);
  a = now();
  for (int i = 0; i < n; i++) {
    pid_t p;
    if (posix_spawn(&p, argv[0], NULL, NULL, args, environ) != 0) {
      printf("posix_spawn_wait -1 error\n");
      return 1;
    }
    waitpid(p, NULL, 0);
  }
  printf("posix_spawn_wait %.1f us\n", (now() - a) / n / 1000);
  return 0;
}
