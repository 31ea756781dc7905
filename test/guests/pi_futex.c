/* PI futexes, as Linux: the raw calls' rules (LOCK_PI takes a free word,
 * EDEADLK on one's own, ESRCH for a tid nobody has, TRYLOCK_PI EAGAIN with
 * FUTEX_WAITERS set, UNLOCK_PI EPERM for a lock not held, a hand-off
 * leaves FUTEX_WAITERS | the new owner's tid, LOCK_PI's realtime deadline
 * ETIMEDOUT), and glibc's PTHREAD_PRIO_INHERIT mutexes: counting under
 * contention, trylock, a robust one whose owner dies (EOWNERDEAD). The old
 * build said ENOSYS: pthread_mutex_lock of a PI mutex failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long fx(unsigned *u, int op, const struct timespec *ts) {
  return syscall(SYS_futex, u, op, 0, ts, 0, 0);
}
static const char *r(long v) {
  if (v == 0) return "0";
  switch (errno) {
    case EDEADLK: return "EDEADLK";
    case ESRCH: return "ESRCH";
    case EAGAIN: return "EAGAIN";
    case EPERM: return "EPERM";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
  }
  static char b[16];
  snprintf(b, sizeof b, "errno %d", errno);
  return b;
}
static unsigned word;
static volatile int stage;
static pid_t tid(void) { return syscall(SYS_gettid); }

static void *holder(void *a) {
  (void)a;
  fx(&word, FUTEX_LOCK_PI_PRIVATE, 0);
  stage = 1;
  while (stage != 2) usleep(1000);
  fx(&word, FUTEX_UNLOCK_PI_PRIVATE, 0);
  return 0;
}
static pid_t waiter_tid;
static volatile int waiter_got;
static void *waiter(void *a) {
  (void)a;
  waiter_tid = tid();
  stage = 3;
  long v = fx(&word, FUTEX_LOCK_PI_PRIVATE, 0);
  waiter_got = v == 0 ? 1 : -errno;
  stage = 4;
  while (stage != 5) usleep(1000);
  fx(&word, FUTEX_UNLOCK_PI_PRIVATE, 0);
  return 0;
}

static pthread_mutex_t m;
static long counter;
static void *count(void *a) {
  (void)a;
  for (int i = 0; i < 20000; i++) {
    pthread_mutex_lock(&m);
    counter++;
    pthread_mutex_unlock(&m);
  }
  return 0;
}
static pthread_mutex_t rm;
static void *dier(void *a) {
  (void)a;
  pthread_mutex_lock(&rm);
  stage = 10;
  usleep(100000);
  return 0; /* exits holding it */
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  word = 0;
  /* (each call before the printf that shows it: argument order is the compiler's) */
  const char *s1 = r(fx(&word, FUTEX_LOCK_PI_PRIVATE, 0));
  printf("LOCK_PI a free word: %s, word is my tid: %d\n", s1, word == (unsigned)tid());
  s1 = r(fx(&word, FUTEX_LOCK_PI_PRIVATE, 0));
  printf("LOCK_PI again: %s; ", s1);
  printf("TRYLOCK_PI: %s\n", r(fx(&word, FUTEX_TRYLOCK_PI_PRIVATE, 0)));
  s1 = r(fx(&word, FUTEX_UNLOCK_PI_PRIVATE, 0));
  printf("UNLOCK_PI: %s, word %#x\n", s1, word);
  printf("UNLOCK_PI not held: %s\n", r(fx(&word, FUTEX_UNLOCK_PI_PRIVATE, 0)));
  word = 0x3ffffff0;
  printf("LOCK_PI of a tid nobody has: %s\n", r(fx(&word, FUTEX_LOCK_PI_PRIVATE, 0)));
  word = FUTEX_OWNER_DIED;
  long v = fx(&word, FUTEX_LOCK_PI_PRIVATE, 0);
  printf("LOCK_PI of a dead owner's word: %s, OWNER_DIED kept: %d, mine: %d\n", r(v), (word & FUTEX_OWNER_DIED) != 0,
         (word & FUTEX_TID_MASK) == (unsigned)tid());
  fx(&word, FUTEX_UNLOCK_PI_PRIVATE, 0);
  printf("UNLOCK_PI clears it: %#x\n", word);

  /* a lock another thread holds */
  word = 0;
  pthread_t h, w;
  pthread_create(&h, 0, holder, 0);
  while (stage != 1) usleep(1000);
  s1 = r(fx(&word, FUTEX_TRYLOCK_PI_PRIVATE, 0));
  printf("TRYLOCK_PI of a held lock: %s, FUTEX_WAITERS set: %d\n", s1, (word & FUTEX_WAITERS) != 0);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 50000000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  printf("LOCK_PI with a realtime deadline 50 ms on: %s\n", r(fx(&word, FUTEX_LOCK_PI_PRIVATE, &ts)));
  stage = 2;
  pthread_join(h, 0);
  printf("after the holder's unlock: word %#x\n", word);
  /* a hand-off: I hold it, a thread sleeps on it, I unlock */
  fx(&word, FUTEX_LOCK_PI_PRIVATE, 0);
  pthread_create(&w, 0, waiter, 0);
  while (stage != 3) usleep(1000);
  usleep(100000);
  printf("a sleeper came: FUTEX_WAITERS set: %d\n", (word & FUTEX_WAITERS) != 0);
  printf("UNLOCK_PI with a sleeper: %s\n", r(fx(&word, FUTEX_UNLOCK_PI_PRIVATE, 0)));
  while (stage != 4) usleep(1000);
  printf("the sleeper got it: %d, word is FUTEX_WAITERS | its tid: %d\n", waiter_got, word == (FUTEX_WAITERS | (unsigned)waiter_tid));
  stage = 5;
  pthread_join(w, 0);
  printf("after its unlock: word %#x\n", word);

  /* glibc's PI mutexes */
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
  printf("pthread_mutex_init PI: %d\n", pthread_mutex_init(&m, &a));
  pthread_t th[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], 0, count, 0);
  for (int i = 0; i < 4; i++) pthread_join(th[i], 0);
  printf("4 threads x 20000 under a PI mutex: %ld\n", counter);
  pthread_mutex_lock(&m);
  printf("trylock of a PI mutex held by me: %s\n", strerror(pthread_mutex_trylock(&m)));
  pthread_mutex_unlock(&m);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&rm, &a);
  pthread_t d;
  pthread_create(&d, 0, dier, 0);
  while (stage != 10) usleep(1000);
  int e = pthread_mutex_lock(&rm);
  printf("a robust PI mutex whose owner died: %s\n", e == EOWNERDEAD ? "EOWNERDEAD" : strerror(e));
  pthread_join(d, 0);
  if (e == EOWNERDEAD) pthread_mutex_consistent(&rm);
  printf("unlock: %d\n", pthread_mutex_unlock(&rm));
  return 0;
}
