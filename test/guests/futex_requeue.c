/* futex(2)'s REQUEUE, CMP_REQUEUE and WAKE_OP (musl's condition variables
 * requeue waiters; older glibc's woke them with WAKE_OP): counts returned,
 * waiters moved between futexes, WAKE_OP's atomic operation and its
 * comparison, and the errors (EAGAIN for a changed word, EINVAL for
 * negative counts or an unaligned second futex, ENOSYS for an unknown
 * operation or comparison). Waiters are gathered deterministically: they
 * wait on one futex and are requeued, as they arrive, to another until all
 * are there. Output compared with the host kernel's. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>

static uint32_t f1, f2, f3, word;

static long fx(uint32_t *u, int op, long val, long val2, uint32_t *u2, uint32_t val3) {
  return syscall(SYS_futex, u, op, val, val2, u2, val3);
}

static void *waiter(void *arg) {
  (void)arg;
  /* 0 when woken; EAGAIN only if the word changed first (it never does here) */
  long r = fx(&f1, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0);
  return (void *)r;
}

/* move every waiter of f1 to to, as they come, until n have moved */
static void gather(uint32_t *to, int n) {
  for (int moved = 0; moved < n;) {
    long r = fx(&f1, FUTEX_REQUEUE_PRIVATE, 0, n - moved, to, 0);
    if (r < 0) {
      say("gather: %s\n", res(r));
      return;
    }
    moved += (int)r;
    if (moved < n) usleep(1000);
  }
}

static void join(pthread_t *t, int n) {
  for (int i = 0; i < n; i++) {
    void *v;
    pthread_join(t[i], &v);
    say("  thread %d returned %ld\n", i, (long)v);
  }
}

int main(void) {
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, waiter, NULL);
  gather(&f2, 3);
  say("three waiters gathered on f2\n");
  say("CMP_REQUEUE with a changed word: %s\n", res(fx(&f2, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &f3, 1)));
  say("CMP_REQUEUE with nr_wake -1: %s\n", res(fx(&f2, FUTEX_CMP_REQUEUE_PRIVATE, -1, 1, &f3, 0)));
  say("CMP_REQUEUE with nr_requeue -1: %s\n", res(fx(&f2, FUTEX_CMP_REQUEUE_PRIVATE, 1, -1, &f3, 0)));
  say("REQUEUE to an unaligned futex: %s\n", res(fx(&f2, FUTEX_REQUEUE_PRIVATE, 1, 1, (uint32_t *)((char *)&f3 + 1), 0)));
  long r = fx(&f2, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &f3, 0);
  say("CMP_REQUEUE f2 -> f3, wake 1, move 1: %ld\n", r);
  say("WAKE f2 (the one left there): %ld\n", fx(&f2, FUTEX_WAKE_PRIVATE, 10, 0, NULL, 0));
  say("WAKE f3 (the one moved): %ld\n", fx(&f3, FUTEX_WAKE_PRIVATE, 10, 0, NULL, 0));
  say("WAKE f1 (none): %ld\n", fx(&f1, FUTEX_WAKE_PRIVATE, 10, 0, NULL, 0));
  join(t, 3);

  /* WAKE_OP: word = op(word, oparg); wake nr_wake on the first futex, and nr_wake2 on the second if cmp held */
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, waiter, NULL);
  gather(&f2, 1);
  gather(&f3, 1);
  word = 5;
  r = fx(&f2, FUTEX_WAKE_OP_PRIVATE, 1, 1, &word, FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5));
  say("WAKE_OP add 3, cmp == 5 (f2's waiter only: word is not f3): %ld, word %u\n", r, word);
  r = fx(&f3, FUTEX_WAKE_OP_PRIVATE, 0, 1, &f3, FUTEX_OP(FUTEX_OP_OR, 0, FUTEX_OP_CMP_GE, 0));
  say("WAKE_OP on f3 itself, or 0, cmp >= 0: %ld, f3 %u\n", r, f3);
  join(t, 2);
  word = 0x10;
  static const uint32_t ro = 1;
  static const struct { const char *what; uint32_t *u; uint32_t op; } ops[] = {
    { "set 7, cmp != 7", &word, FUTEX_OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_NE, 7) },
    { "shift-or 4 (1<<4), cmp < 0", &word, FUTEX_OP((FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT), 4, FUTEX_OP_CMP_LT, 0) },
    { "andn 3, cmp > 0", &word, FUTEX_OP(FUTEX_OP_ANDN, 3, FUTEX_OP_CMP_GT, 0) },
    { "xor -1 (a negative oparg), cmp <= 0", &word, FUTEX_OP(FUTEX_OP_XOR, 0xfff, FUTEX_OP_CMP_LE, 0) },
    { "add -2048 with a cmparg of -1, cmp ==", &word, FUTEX_OP(FUTEX_OP_ADD, 0x800, FUTEX_OP_CMP_EQ, 0xfff) },
    { "shift-set 40 (taken as 40 & 31)", &word, FUTEX_OP((FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT), 40, FUTEX_OP_CMP_EQ, 0) },
    { "an unknown op", &word, (6u << 28) | (1 << 12) },
    { "an unknown comparison (the op still done)", &word, (FUTEX_OP_ADD << 28) | (9u << 24) | (1 << 12) },
    { "on an unaligned word", (uint32_t *)((char *)&word + 2), 0 },
    { "on a read-only word", (uint32_t *)&ro, 0 },
    { "on an unmapped word", (uint32_t *)8, 0 },
  };
  for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    r = fx(&f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, ops[i].u, ops[i].op);
    say("WAKE_OP %s: %s %ld, word %u\n", ops[i].what, res(r), r, word);
  }
  return 0;
}
