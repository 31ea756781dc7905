/* Condition variables broadcast to four waiters, 200 rounds, with a count
 * at the end. Built with musl (musl-gcc) too: musl's
 * pthread_cond_broadcast wakes one waiter and requeues the others onto the
 * mutex (FUTEX_REQUEUE), which umlts once refused (ENOSYS) so that they
 * slept for ever. Output compared with the host kernel's. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int gen, ready, woke;

static void *waiter(void *arg) {
  (void)arg;
  for (int round = 1; round <= 200; round++) {
    pthread_mutex_lock(&m);
    ready++;
    while (gen < round) pthread_cond_wait(&c, &m);
    woke++;
    pthread_mutex_unlock(&m);
  }
  return NULL;
}

int main(void) {
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, waiter, NULL);
  for (int round = 1; round <= 200; round++) {
    // every waiter waits (or is about to) before the broadcast
    pthread_mutex_lock(&m);
    while (ready < 4 * round) {
      pthread_mutex_unlock(&m);
      sched_yield();
      pthread_mutex_lock(&m);
    }
    gen = round;
    pthread_cond_broadcast(&c);
    pthread_mutex_unlock(&m);
  }
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  printf("woken %d times in 200 rounds\n", woke);
  return 0;
}
