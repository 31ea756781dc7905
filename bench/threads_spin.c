/* Bench workload: N threads of one process each spin for a fixed amount of
 * work (usage: threads_spin N). The wall time against N=1 shows whether
 * threads of one process run in parallel (2 threads on 2 CPUs: about 1x). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *spin(void *arg) {
  volatile unsigned long x = (unsigned long)arg;
  for (unsigned long i = 0; i < 300000000UL; i++) x = x * 6364136223846793005UL + 1;
  return (void *)(unsigned long)x;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2;
  if (n < 1 || n > 64) return 2;
  pthread_t t[64];
  for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, spin, (void *)(unsigned long)i);
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  printf("%d threads done\n", n);
  return 0;
}
