/* futex_waitv(2): a wait on several futexes that any one's wake ends (the
 * result is its index), the values compared first (EAGAIN), absolute
 * timeouts on both clocks, a signal, shared futexes across processes, and
 * every check in Linux's order. Differential. */
#include "common.h"
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <sys/mman.h>
#include <linux/futex.h>

/* (older headers have the struct but not these names) */
#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U32 0x02
#endif
#ifndef FUTEX2_PRIVATE
#define FUTEX2_PRIVATE 128
#endif

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

static uint32_t words[4];
static struct futex_waitv fw[4];

static long waitv(struct futex_waitv *w, unsigned n, unsigned flags, struct timespec *ts, int clk) {
  return syscall(SYS_futex_waitv, w, n, flags, ts, clk);
}
static const char *num(long r) {
  static char b[64];
  if (r < 0) snprintf(b, sizeof b, "-1 %s", errname(errno));
  else snprintf(b, sizeof b, "%ld", r);
  return b;
}
static void setup(uint32_t *base, unsigned n, unsigned flags) {
  for (unsigned i = 0; i < n; i++) {
    fw[i].val = base[i];
    fw[i].uaddr = (uintptr_t)&base[i];
    fw[i].flags = flags;
    fw[i].__reserved = 0;
  }
}
static struct timespec after(int clk, long ms) {
  struct timespec t;
  clock_gettime(clk, &t);
  t.tv_nsec += ms * 1000000L;
  t.tv_sec += t.tv_nsec / 1000000000L;
  t.tv_nsec %= 1000000000L;
  return t;
}

static volatile long waiter_result;
static volatile int waiter_errno;
static void *waiter(void *arg) {
  (void)arg;
  struct timespec ts = after(CLOCK_MONOTONIC, 5000);
  waiter_result = waitv(fw, 3, 0, &ts, CLOCK_MONOTONIC);
  waiter_errno = errno;
  return 0;
}
static void on_usr1(int s) { (void)s; }

static long wake(uint32_t *w, int n, int priv) {
  return syscall(SYS_futex, w, FUTEX_WAKE | (priv ? FUTEX_PRIVATE_FLAG : 0), n, 0, 0, 0);
}

int main(void) {
  /* one of three woken: its index */
  for (int which = 0; which < 3; which++) {
    setup(words, 3, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE);
    pthread_t th;
    waiter_result = -2;
    pthread_create(&th, 0, waiter, 0);
    long n = 0;
    for (int i = 0; i < 2000 && n == 0; i++) {
      usleep(1000);
      n = wake(&words[which], 1, 1);
    }
    pthread_join(th, 0);
    say("woke futex %d: wake said %ld, futex_waitv returned %ld\n", which, n, waiter_result);
  }
  /* a value that differs */
  setup(words, 3, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE);
  fw[2].val = 7;
  say("a value differs: %s\n", num(waitv(fw, 3, 0, 0, 0)));
  /* timeouts, both clocks */
  setup(words, 2, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE);
  struct timespec ts = after(CLOCK_MONOTONIC, 50);
  say("monotonic timeout: %s\n", num(waitv(fw, 2, 0, &ts, CLOCK_MONOTONIC)));
  ts = after(CLOCK_REALTIME, 50);
  say("realtime timeout: %s\n", num(waitv(fw, 2, 0, &ts, CLOCK_REALTIME)));
  ts.tv_sec = 0; ts.tv_nsec = 0;
  say("a timeout long past: %s\n", num(waitv(fw, 2, 0, &ts, CLOCK_MONOTONIC)));
  /* a signal without SA_RESTART */
  struct sigaction sa = { 0 };
  sa.sa_handler = on_usr1;
  sigaction(SIGALRM, &sa, 0);
  alarm(1);
  say("interrupted: %s\n", num(waitv(fw, 2, 0, 0, 0)));
  /* shared futexes in shared memory: a child wakes the second */
  uint32_t *sh = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  sh[0] = 1; sh[1] = 2;
  setup(sh, 2, FUTEX2_SIZE_U32);
  pid_t c = fork();
  if (c == 0) {
    long n = 0;
    for (int i = 0; i < 2000 && n == 0; i++) {
      usleep(1000);
      n = wake(&sh[1], 1, 0);
    }
    _exit(n == 1 ? 0 : 1);
  }
  long r = waitv(fw, 2, 0, 0, 0);
  int st;
  waitpid(c, &st, 0);
  say("shared, woken by a child: %s (child %d)\n", num(r), WEXITSTATUS(st));
  /* checks */
  setup(words, 2, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE);
  fw[1].val = 9; /* so that a call that gets past the checks answers EAGAIN */
  say("flags 1: %s\n", num(waitv(fw, 2, 1, 0, 0)));
  say("no futexes: %s\n", num(waitv(fw, 0, 0, 0, 0)));
  say("129 futexes: %s\n", num(waitv(fw, 129, 0, 0, 0)));
  say("NULL array: %s\n", num(waitv(0, 1, 0, 0, 0)));
  say("bad array: %s\n", num(waitv((void *)8, 1, 0, 0, 0)));
  ts = after(CLOCK_MONOTONIC, 10);
  say("CLOCK_BOOTTIME: %s\n", num(waitv(fw, 2, 0, &ts, CLOCK_BOOTTIME)));
  say("a bad clock without a timeout: %s\n", num(waitv(fw, 2, 0, 0, 99)));
  say("bad timeout pointer: %s\n", num(waitv(fw, 2, 0, (void *)8, CLOCK_MONOTONIC)));
  fw[0].flags = FUTEX2_PRIVATE;
  say("no size: %s\n", num(waitv(fw, 2, 0, 0, 0)));
  fw[0].flags = FUTEX2_PRIVATE | 3;
  say("64-bit size: %s\n", num(waitv(fw, 2, 0, 0, 0)));
  fw[0].flags = FUTEX2_SIZE_U32 | 0x100;
  say("unknown flag: %s\n", num(waitv(fw, 2, 0, 0, 0)));
  fw[0].flags = FUTEX2_SIZE_U32;
  fw[0].__reserved = 1;
  say("reserved word: %s\n", num(waitv(fw, 2, 0, 0, 0)));
  fw[0].__reserved = 0;
  fw[0].val = 1ULL << 32;
  say("value past 32 bits: %s\n", num(waitv(fw, 2, 0, 0, 0)));
  fw[0].val = 0;
  fw[0].uaddr = (uintptr_t)words + 1;
  say("misaligned: %s\n", num(waitv(fw, 2, 0, 0, 0)));
  fw[0].uaddr = 0x1000;
  fw[0].flags = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE;
  say("unmapped, private: %s\n", num(waitv(fw, 2, 0, 0, 0)));
  fw[0].flags = FUTEX2_SIZE_U32;
  say("unmapped, shared: %s\n", num(waitv(fw, 2, 0, 0, 0)));
  return 0;
}
