/* Kernel hang: execve from one thread while a sibling (not the process's
 * first host thread) spins in guest code without ever trapping.
 *
 * deThread -> stopHostThread sends SIGKICK with tgkill(tid, tid), which the
 * host refuses (ESRCH) for any thread that is not its process's leader: the
 * tgid argument must be the stub's pid. stopHostThread ignores the error and
 * blocks in waitpid(tid) for a stop that never comes, so the whole kernel --
 * every guest, timers, the terminal -- stops for as long as the spinner
 * spins (forever here).
 *
 * Run with a witness:  sh -c '/exec_spin_hang & while :; do echo tick; sleep 0.2; done'
 * Expected on Linux: "exec'd" and the ticks go on. Under the bug: ticks stop.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *spin(void *a) { (void)a; for (;;) __asm__ volatile("" ::: "memory"); return NULL; }

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "after")) {
    printf("exec'd\n");
    return 0;
  }
  pthread_t t;
  pthread_create(&t, NULL, spin, NULL);
  struct timespec ts = {0, 100 * 1000 * 1000};
  nanosleep(&ts, NULL);
  char *av[] = {argv[0], "after", NULL};
  execv(argv[0], av);
  perror("execv");
  return 1;
}
