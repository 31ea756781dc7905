/* Liveness: two threads spin waiting for a flag that the main thread sets
 * after a short sleep. With 2 vCPUs the main thread needs the scheduler's
 * preemption tick to get a vCPU back. Expected: "ok" within a second. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
static volatile int go;
static void *spin(void *a) { (void)a; while (!go) ; return NULL; }
/* "forever N": N threads spin for good; the main thread waits in join. Every
 * other guest process then waits for a vCPU forever:
 *   sh -c '/spin_starve forever 2 & while :; do date; sleep 0.2; done'   (ticks stop) */
int main(int argc, char **argv) {
  if (argc > 2 && !strcmp(argv[1], "forever")) {
    int n = atoi(argv[2]);
    pthread_t t[8];
    for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, spin, NULL);
    pthread_join(t[0], NULL);
    return 0;
  }
  int n = argc > 1 ? atoi(argv[1]) : 2;
  pthread_t t[8];
  for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, spin, NULL);
  struct timespec ts = {0, 50 * 1000 * 1000};
  nanosleep(&ts, NULL);
  go = 1;
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  printf("ok\n");
  return 0;
}
