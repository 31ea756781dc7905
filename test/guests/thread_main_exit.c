/* The main thread leaves (pthread_exit) after two threads ended at once,
 * while one more runs on. On ptrace the main thread's host thread is its
 * stub process's first: with two host threads kept already for reuse, the
 * kernel ended it and waited for an exit the host reports only once the
 * whole process ends (umlts hung). Output is compared with the host
 * kernel's. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static void *quick(void *a) { usleep(20000); return a; }
static void *last(void *a) {
  (void)a;
  usleep(100000);
  printf("the last thread runs on after the main thread left\n");
  fflush(stdout);
  return NULL;
}
int main(void) {
  pthread_t a, b, c;
  pthread_create(&a, NULL, quick, NULL);
  pthread_create(&b, NULL, quick, NULL);
  pthread_create(&c, NULL, last, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  pthread_exit(NULL);
}
