/* futex(2) at its edges, as a hostile-guest fuzzer found them against
 * Linux 6.18: wake counts of 0 or less (one is woken), the realtime clock
 * with commands that wait for no time (ENOSYS, nothing written), bad
 * addresses (EFAULT before anything is done; a shared futex must be
 * readable memory), the order of the errors (the timeout first), private
 * and shared waiters on one private word kept apart, a timed wait ended by
 * a handled signal (EINTR even with SA_RESTART) or by a stop (its deadline
 * kept), a robust list whose walk stops at a misaligned lock word,
 * get_robust_list's permission check, and the keys of pages never written
 * in read-only private memory. Output compared with the host
 * kernel's. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>

static uint32_t f1, f2, word;

static long fx(void *u, int op, long val, long val2, void *u2, uint32_t val3) {
  return syscall(SYS_futex, u, op, val, val2, u2, val3);
}
/* one call, its result named at once (before anything else can change errno) */
#define SAY1(label, call) do { long r_ = (call); say("%s: %s\n", label, res(r_)); } while (0)

/* how many wait on u now (a requeue onto itself moves none and counts them) */
static long waiting(uint32_t *u, int priv) {
  return fx(u, priv ? FUTEX_CMP_REQUEUE_PRIVATE : FUTEX_CMP_REQUEUE, 0, 1000, u, *u);
}
static void until_waiting(uint32_t *u, int priv, long n) {
  while (waiting(u, priv) < n) usleep(1000);
}

struct wait_arg { uint32_t *u; int op; };
static void *waiter(void *p) {
  struct wait_arg *a = p;
  return (void *)fx(a->u, a->op, 0, 0, NULL, FUTEX_BITSET_MATCH_ANY);
}
static void start(pthread_t *t, int n, struct wait_arg *a) {
  for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, waiter, a);
}
static void join(pthread_t *t, int n) {
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
}

static void counts(void) {
  pthread_t t[4];
  struct wait_arg a1 = { &f1, FUTEX_WAIT_PRIVATE }, a2 = { &f2, FUTEX_WAIT_PRIVATE };
  start(t, 3, &a1);
  until_waiting(&f1, 1, 3);
  long w0 = fx(&f1, FUTEX_WAKE_PRIVATE, 0, 0, NULL, 0);
  long wm = fx(&f1, FUTEX_WAKE_PRIVATE, -1, 0, NULL, 0);
  long rest = fx(&f1, FUTEX_WAKE_PRIVATE, 10, 0, NULL, 0);
  join(t, 3);
  say("WAKE 0 of 3: %ld, WAKE -1: %ld, the rest: %ld\n", w0, wm, rest);
  start(t, 2, &a1);
  start(t + 2, 2, &a2);
  until_waiting(&f1, 1, 2);
  until_waiting(&f2, 1, 2);
  word = 0;
  long op = fx(&f1, FUTEX_WAKE_OP_PRIVATE, 0, 0, &f2, FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_EQ, 0));
  long more = fx(&f1, FUTEX_WAKE_PRIVATE, 10, 0, NULL, 0) + fx(&f2, FUTEX_WAKE_PRIVATE, 10, 0, NULL, 0);
  join(t, 4);
  say("WAKE_OP with counts 0 and 0 (two waiters on each): %ld, then %ld more\n", op, more);
}

static void clocks(void) {
  struct timespec past = { 0, 0 };
  word = 5;
  SAY1("WAIT|CLOCK_REALTIME", fx(&word, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 5, (long)&past, NULL, 0));
  SAY1("WAKE|CLOCK_REALTIME", fx(&word, FUTEX_WAKE_PRIVATE | FUTEX_CLOCK_REALTIME, 1, 0, NULL, 0));
  SAY1("WAKE_OP|CLOCK_REALTIME", fx(&f1, FUTEX_WAKE_OP_PRIVATE | FUTEX_CLOCK_REALTIME, 1, 1, &word,
                                    FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_EQ, 0)));
  say("  word %u\n", word);
  SAY1("WAIT_BITSET|CLOCK_REALTIME until 1970", fx(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, (long)&past,
                                                   NULL, FUTEX_BITSET_MATCH_ANY));
}

static void faults(void) {
  char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(page, 4096);
  void *kern = (void *)0xffff800000000000UL;
  SAY1("WAKE_PRIVATE of a kernel address", fx(kern, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0));
  SAY1("WAKE_PRIVATE of an unmapped page", fx(page, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0));
  SAY1("WAKE (shared) of an unmapped page", fx(page, FUTEX_WAKE, 1, 0, NULL, 0));
  word = 7;
  SAY1("WAKE_OP with an unmapped first futex", fx(page, FUTEX_WAKE_OP, 1, 1, &word, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)));
  say("  word %u\n", word);
  SAY1("WAKE_OP_PRIVATE with a kernel first futex", fx(kern, FUTEX_WAKE_OP_PRIVATE, 1, 1, &word,
                                                        FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)));
  say("  word %u\n", word);
  f1 = 0;
  SAY1("CMP_REQUEUE, a changed word and a kernel second futex", fx(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, kern, 99));
  SAY1("REQUEUE from a kernel address", fx(kern, FUTEX_REQUEUE_PRIVATE, 1, 1, &f1, 0));
}

static void order(void) {
  struct timespec bad = { 0, -1 };
  word = 1;
  SAY1("WAIT, a negative tv_nsec and a changed word", fx(&word, FUTEX_WAIT_PRIVATE, 2, (long)&bad, NULL, 0));
  SAY1("WAIT, an unreadable timeout and a changed word", fx(&word, FUTEX_WAIT_PRIVATE, 2, 8, NULL, 0));
  SAY1("WAIT, an unreadable timeout and an unaligned word", fx((char *)&word + 1, FUTEX_WAIT_PRIVATE, 2, 8, NULL, 0));
  SAY1("WAIT_BITSET, bitset 0 and a bad timeout", fx(&word, FUTEX_WAIT_BITSET_PRIVATE, 2, (long)&bad, NULL, 0));
}

static void keys(void) {
  pthread_t t[2];
  struct wait_arg a = { &f1, FUTEX_WAIT };
  f1 = 0;
  start(t, 2, &a);
  until_waiting(&f1, 0, 2);
  long p = fx(&f1, FUTEX_WAKE_PRIVATE, 10, 0, NULL, 0);
  long s = fx(&f1, FUTEX_WAKE, 10, 0, NULL, 0);
  join(t, 2);
  say("shared waiters on a private word: WAKE_PRIVATE wakes %ld, WAKE %ld\n", p, s);
}

static volatile int hits;
static void on_usr1(int s) { (void)s; hits++; }
static pthread_t main_thread;
static void *kicker(void *p) {
  (void)p;
  until_waiting(&f2, 1, 1);
  pthread_kill(main_thread, SIGUSR1);
  usleep(50000);
  f2 = 1;
  fx(&f2, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0);
  return NULL;
}
static void signals(void) {
  struct sigaction sa = { 0 };
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  main_thread = pthread_self();
  for (int timed = 0; timed < 2; timed++) {
    pthread_t k;
    struct timespec ten = { 10, 0 };
    f2 = 0;
    hits = 0;
    pthread_create(&k, NULL, kicker, NULL);
    long r = fx(&f2, FUTEX_WAIT_PRIVATE, 0, timed ? (long)&ten : 0, NULL, 0);
    const char *what = res(r);
    say("%s wait, a SA_RESTART handler ran %d time(s): %s\n", timed ? "a timed" : "an untimed", hits, what);
    pthread_join(k, NULL);
  }
  signal(SIGUSR1, SIG_DFL);
  /* a stopped and continued child: its relative timeout still ends 400 ms after it began */
  pid_t pid = fork();
  if (pid == 0) {
    struct timespec t0, t1, to = { 0, 400000000 };
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long r = fx(&f1, FUTEX_WAIT_PRIVATE, f1, (long)&to, NULL, 0);
    int e = errno;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    _exit(r == -1 && e == ETIMEDOUT ? (ms < 650 ? 0 : 2) : 1);
  }
  int status = stop_and_continue(pid);
  say("a timed wait stopped and continued three times: %s\n",
      status == 0 ? "timed out at its deadline" : status == 2 ? "timed out late" : "did not time out");
}

/* struct robust_list_head, and entries whose lock word is futex_offset past them */
struct rlist { struct rlist *next; };
static struct { struct rlist list; long futex_offset; struct rlist *pending; } head;
static _Alignas(16) char entries[64];
static void *robust_thread(void *p) {
  (void)p;
  struct rlist *e1 = (struct rlist *)(entries + 2), *e2 = (struct rlist *)(entries + 32);
  /* e1's lock word (entries + 10) is misaligned: Linux's walk stops there, and e2 stays locked */
  uint32_t tid = (uint32_t)syscall(SYS_gettid);
  *(uint32_t *)(entries + 40) = tid;
  head.list.next = e1;
  e1->next = e2;
  e2->next = &head.list;
  head.futex_offset = 8;
  head.pending = NULL;
  syscall(SYS_set_robust_list, &head, sizeof head);
  return (void *)(long)tid;
}
static void robust(void) {
  pthread_t t;
  void *tid;
  pthread_create(&t, NULL, robust_thread, NULL);
  pthread_join(t, &tid);
  uint32_t w = *(uint32_t *)(entries + 40);
  say("a robust list past a misaligned lock word: the next lock %s\n",
      w == (uint32_t)(long)tid ? "still held" : (w & FUTEX_OWNER_DIED) ? "marked OWNER_DIED" : "changed otherwise");
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    struct robust_list_head *h;
    size_t len;
    if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) _exit(3);
    long own = syscall(SYS_get_robust_list, 0, &h, &len);
    long other = syscall(SYS_get_robust_list, parent, &h, &len);
    _exit(own == 0 && other == -1 && errno == EPERM ? 0 : 1);
  }
  int st;
  waitpid(pid, &st, 0);
  say("get_robust_list of root's process by uid 1000: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "EPERM, its own OK" : "allowed");
}

/* a page never written in read-only private memory: a file's is keyed by the file (a MAP_SHARED waker in
 * another process meets it); an anonymous one is the zero page, no futex */
static void private_pages(const char *path) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate(fd, 4096)) {
    say("%s: %s\n", path, errname(errno));
    return;
  }
  uint32_t *priv = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  pid_t pid = fork();
  if (pid == 0) {
    uint32_t *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    for (int i = 0; i < 5000 && waiting(sh, 0) < 1; i++) usleep(1000);
    _exit(fx(sh, FUTEX_WAKE, 1, 0, NULL, 0) == 1 ? 0 : 1);
  }
  struct timespec to = { 10, 0 };
  long r = fx(priv, FUTEX_WAIT, 0, (long)&to, NULL, 0);
  const char *what = res(r);
  int st;
  waitpid(pid, &st, 0);
  say("a read-only MAP_PRIVATE file page's waiter, woken through a MAP_SHARED mapping in a child: %s, child %s\n", what,
      WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "woke one" : "woke none");
  uint32_t *zero = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SAY1("WAIT (shared) on an untouched read-only anonymous page", fx(zero, FUTEX_WAIT, 0, (long)&to, NULL, 0));
}

int main(int argc, char **argv) {
  counts();
  clocks();
  faults();
  order();
  keys();
  signals();
  robust();
  /* (a host file: umlts keys a private mapping of a tmpfs or memfd file by its copy) */
  if (argc > 1) private_pages(argv[1]);
  return 0;
}
