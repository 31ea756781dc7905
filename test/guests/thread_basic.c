/* Guest threads (CLONE_THREAD): create/join, mutexes, condition variables,
 * TLS, thread ids, detach and pthread_exit, per-thread signal masks and
 * thread- vs process-directed signals, a read() woken by another thread, and
 * the main thread exiting first. Deterministic: only the main thread prints
 * (except the very last check, after main has gone), ordering comes from
 * joins, pipes, barriers and condition variables, never from sleeps, and no
 * address or id is printed, only values and booleans. Exits with status 3. */
#include "common.h"
#include "pipe_io.h"
#include <pthread.h>
#include <signal.h>
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>

static pid_t tid(void) { return (pid_t)syscall(SYS_gettid); }
static const char *tf(int b) { return b ? "true" : "false"; }

static void pause_ms(int ms) {
  struct timespec ts = { 0, ms * 1000000L };
  nanosleep(&ts, 0);
}

/* ---- 1. create and join, each thread returning a value ---- */
static void *ret_value(void *arg) {
  long i = (long)arg;
  return (void *)(i * i + 1000);
}

/* ---- 2. mutex-protected counter ---- */
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter, atomic_counter;
static void *count_up(void *arg) {
  (void)arg;
  for (int i = 0; i < 100000; i++) {
    pthread_mutex_lock(&count_lock);
    counter++;
    pthread_mutex_unlock(&count_lock);
    __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_RELAXED);
  }
  return 0;
}

/* ---- 3. condition variable ping-pong ---- */
static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond = PTHREAD_COND_INITIALIZER;
static int pp_turn;          /* 0: ping's turn, 1: pong's turn */
static int pp_pings, pp_pongs, pp_order_ok = 1;
#define ROUNDS 1000
static void *pinger(void *arg) {
  int me = (int)(long)arg;
  for (int r = 0; r < ROUNDS; r++) {
    pthread_mutex_lock(&pp_lock);
    while (pp_turn != me) pthread_cond_wait(&pp_cond, &pp_lock);
    if (me == 0) {
      if (pp_pings != pp_pongs) pp_order_ok = 0;
      pp_pings++;
    } else {
      if (pp_pongs + 1 != pp_pings) pp_order_ok = 0;
      pp_pongs++;
    }
    pp_turn = !me;
    pthread_cond_signal(&pp_cond);
    pthread_mutex_unlock(&pp_lock);
  }
  return 0;
}

/* ---- 4. TLS ---- */
static __thread int tls_int = 7;
static __thread char tls_buf[32] = "initial";
#define NTLS 4
static pthread_barrier_t tls_barrier;
static struct { int saw_initial, kept, buf_kept; uintptr_t addr; } tls_res[NTLS];
static void *tls_worker(void *arg) {
  int i = (int)(long)arg;
  tls_res[i].saw_initial = tls_int == 7 && strcmp(tls_buf, "initial") == 0;
  tls_int = 100 + i;
  snprintf(tls_buf, sizeof tls_buf, "thread %d", i);
  pthread_barrier_wait(&tls_barrier); /* everyone has written their own copy */
  char want[32];
  snprintf(want, sizeof want, "thread %d", i);
  tls_res[i].kept = tls_int == 100 + i;
  tls_res[i].buf_kept = strcmp(tls_buf, want) == 0;
  tls_res[i].addr = (uintptr_t)&tls_int;
  return 0;
}

/* ---- 5. ids ---- */
static pid_t main_pid, main_tid;
static int id_tid_differs, id_pid_same, id_ppid_same;
static void *ids(void *arg) {
  (void)arg;
  id_tid_differs = tid() != getpid() && tid() != main_tid;
  id_pid_same = getpid() == main_pid;
  id_ppid_same = getppid() == (pid_t)(long)arg;
  return 0;
}

/* ---- 6. detach and pthread_exit ---- */
static int detach_pipe[2];
static int cleanup_ran;
static void detached_tail(void) {
  put(detach_pipe[1], 'd');
  pthread_exit((void *)5);
}
static void *detached(void *arg) {
  (void)arg;
  int r = pthread_detach(pthread_self());
  put(detach_pipe[1], r == 0 ? '0' : 'x');
  detached_tail();
  put(detach_pipe[1], 'X'); /* never reached */
  return 0;
}
static void cleanup(void *arg) { cleanup_ran = (int)(long)arg; }
static void deep_exit(int depth);
static void (*volatile deep_next)(int) = deep_exit; /* hides the recursion from -Winfinite-recursion */
static void deep_exit(int depth) {
  if (depth == 0) pthread_exit((void *)77);
  deep_next(depth - 1);
  put(detach_pipe[1], 'X'); /* never reached */
}
static void *exits_deep(void *arg) {
  (void)arg;
  pthread_cleanup_push(cleanup, (void *)1);
  deep_exit(5);
  pthread_cleanup_pop(0);
  return (void *)1;
}
static int attr_detached_ran;
static void *attr_detached(void *arg) {
  (void)arg;
  attr_detached_ran = 1;
  put(detach_pipe[1], 'a');
  return 0;
}

/* Wait (up to 10 s) until the process has n threads, as /proc/self/task lists them. */
static void wait_tasks(int n) {
  for (int tries = 0; tries < 100000; tries++) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return;
    int have = 0;
    for (struct dirent *e; (e = readdir(d));) have += e->d_name[0] != '.';
    closedir(d);
    if (have == n) return;
    usleep(100);
  }
}

/* ---- 7/8. signals ---- */
static volatile pid_t handled_by;
static volatile int handled_sig;
static int notify[2];
static void handler(int sig) {
  int saved = errno;
  handled_by = tid();
  handled_sig = sig;
  char c = (char)sig;
  (void)!write(notify[1], &c, 1);
  errno = saved;
}
struct sigthread {
  int go[2], ready[2];
  int unblock;           /* which signal to unblock, 0 for none */
  int inherited_blocked; /* the signal was blocked when the thread started */
  int pending_at_start;  /* sigpending showed it when asked */
  volatile pid_t tid;
};
static void *sig_waiter(void *arg) {
  struct sigthread *st = arg;
  st->tid = tid();
  sigset_t cur, m;
  pthread_sigmask(SIG_BLOCK, 0, &cur);
  st->inherited_blocked = sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGUSR2);
  if (st->unblock) {
    sigemptyset(&m);
    sigaddset(&m, st->unblock);
    pthread_sigmask(SIG_UNBLOCK, &m, 0);
  }
  put(st->ready[1], 'r');
  /* answer "what is pending for you" requests until told to quit */
  for (;;) {
    char c = get(st->go[0]);
    if (c == 'q') break;
    sigset_t p;
    sigpending(&p);
    put(st->ready[1], sigismember(&p, SIGUSR1) ? '1' : '0');
  }
  return 0;
}
static void sig_start(struct sigthread *st, pthread_t *t, int unblock) {
  memset(st, 0, sizeof *st);
  xpipe(st->go);
  xpipe(st->ready);
  st->unblock = unblock;
  CHECK(pthread_create(t, 0, sig_waiter, st));
  get(st->ready[0]);
}
static void sig_stop(struct sigthread *st, pthread_t t) {
  put(st->go[1], 'q');
  CHECK(pthread_join(t, 0));
  close(st->go[0]); close(st->go[1]); close(st->ready[0]); close(st->ready[1]);
}

/* ---- 9. a read() woken by another thread's write ---- */
static int rw_pipe[2];
static volatile int reader_tid, reader_about_to_read;
static char reader_got[16];
static long reader_n;
static void *reader(void *arg) {
  (void)arg;
  reader_tid = tid();
  __atomic_store_n(&reader_about_to_read, 1, __ATOMIC_SEQ_CST);
  reader_n = read(rw_pipe[0], reader_got, sizeof reader_got - 1);
  return 0;
}
/* Whether thread t is asleep (state S), when /proc/self/task says so; only
 * makes the check more likely to test a blocked read, never changes output. */
static int proc_says_sleeping(pid_t t) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", t);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' && p[2] == 'S';
}
static void *writer(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&reader_about_to_read, __ATOMIC_SEQ_CST)) pause_ms(1);
  for (int i = 0; i < 2000; i++) {
    int s = proc_says_sleeping(reader_tid);
    if (s != 0) break; /* asleep, or cannot tell */
    pause_ms(1);
  }
  put(rw_pipe[1], 'h');
  return 0;
}

/* ---- 10. main exits first ---- */
static pthread_t main_thread;
static int never_written[2];
static void *blocked_forever(void *arg) {
  (void)arg;
  char c;
  (void)!read(never_written[0], &c, 1); /* exit() must kill us here */
  say("blocked_forever: read returned\n");
  return 0;
}
static void *survivor(void *arg) {
  (void)arg;
  void *ret = 0;
  int r = pthread_join(main_thread, &ret);
  say("joined the exited main thread: %s, value %ld\n", r ? errname(r) : "OK", (long)ret);
  say("survivor still in the process: %s\n", tf(getpid() == main_pid && tid() != main_tid));
  say("exiting with 3\n");
  exit(3);
}

int main(void) {
  main_pid = getpid();
  main_tid = tid();
  main_thread = pthread_self();
  say("main: tid == pid: %s\n", tf(main_tid == main_pid));

  /* 1 */
  pthread_t t[8];
  for (long i = 0; i < 8; i++) CHECK(pthread_create(&t[i], 0, ret_value, (void *)i));
  for (int i = 0; i < 8; i++) {
    void *v;
    CHECK(pthread_join(t[i], &v));
    say("join %d: returned %ld\n", i, (long)v);
  }

  /* 2 */
  for (long i = 0; i < 4; i++) CHECK(pthread_create(&t[i], 0, count_up, 0));
  for (int i = 0; i < 4; i++) CHECK(pthread_join(t[i], 0));
  say("mutex counter: %ld\n", counter);
  say("atomic counter: %ld\n", atomic_counter);

  /* 3 */
  CHECK(pthread_create(&t[0], 0, pinger, (void *)0));
  CHECK(pthread_create(&t[1], 0, pinger, (void *)1));
  CHECK(pthread_join(t[0], 0));
  CHECK(pthread_join(t[1], 0));
  say("condvar ping-pong: pings %d pongs %d strictly alternating %s\n", pp_pings, pp_pongs, tf(pp_order_ok));

  /* 4 */
  tls_int = 1;
  strcpy(tls_buf, "main");
  CHECK(pthread_barrier_init(&tls_barrier, 0, NTLS));
  for (long i = 0; i < NTLS; i++) CHECK(pthread_create(&t[i], 0, tls_worker, (void *)i));
  for (int i = 0; i < NTLS; i++) CHECK(pthread_join(t[i], 0));
  pthread_barrier_destroy(&tls_barrier);
  int distinct = 1;
  for (int i = 0; i < NTLS; i++) {
    if (tls_res[i].addr == (uintptr_t)&tls_int) distinct = 0;
    for (int j = 0; j < i; j++)
      if (tls_res[i].addr == tls_res[j].addr) distinct = 0;
    say("tls thread %d: started with the initial values %s, kept its own int %s string %s\n", i,
        tf(tls_res[i].saw_initial), tf(tls_res[i].kept), tf(tls_res[i].buf_kept));
  }
  say("tls addresses distinct: %s\n", tf(distinct));
  say("tls main kept its own: %s\n", tf(tls_int == 1 && strcmp(tls_buf, "main") == 0));

  /* 5 */
  CHECK(pthread_create(&t[0], 0, ids, (void *)(long)getppid()));
  CHECK(pthread_join(t[0], 0));
  say("thread: gettid differs from getpid and main's tid: %s\n", tf(id_tid_differs));
  say("thread: getpid same as main's: %s\n", tf(id_pid_same));
  say("thread: getppid same as main's: %s\n", tf(id_ppid_same));

  /* 6 */
  xpipe(detach_pipe);
  CHECK(pthread_create(&t[0], 0, detached, 0));
  char c1 = get(detach_pipe[0]), c2 = get(detach_pipe[0]);
  say("detached thread: pthread_detach %s, reached pthread_exit %s\n", c1 == '0' ? "OK" : "failed", tf(c2 == 'd'));
  CHECK(pthread_create(&t[1], 0, exits_deep, 0));
  void *v;
  CHECK(pthread_join(t[1], &v));
  say("pthread_exit from deep inside: join value %ld, cleanup handler ran %s\n", (long)v, tf(cleanup_ran == 1));
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  CHECK(pthread_create(&t[2], &attr, attr_detached, 0));
  pthread_attr_destroy(&attr);
  char c3 = get(detach_pipe[0]);
  say("created detached: ran %s\n", tf(c3 == 'a' && attr_detached_ran));
  /* the unreachable 'X' writes were not reached: close the write end; once
   * both detached threads are gone nothing else can arrive. (The detached
   * thread may still be finishing pthread_exit, but it writes nothing more.) */
  close(detach_pipe[1]);
  char rest;
  long more = read(detach_pipe[0], &rest, 1);
  say("nothing after pthread_exit: %s\n", tf(more == 0));
  close(detach_pipe[0]);
  /* A detached thread that wrote its last byte may still be inside
   * pthread_exit, signals not yet blocked (glibc blocks them just before the
   * exit): 8's process-directed signal could go to it. Wait until it is gone
   * (natively ~0.2 ms, under a tracer a few). */
  wait_tasks(1);

  /* 7: thread-directed signals and per-thread masks */
  xpipe(notify);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, 0);
  sigaction(SIGUSR2, &sa, 0);
  sigset_t both, one;
  sigemptyset(&both);
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  CHECK(pthread_sigmask(SIG_BLOCK, &both, 0));
  struct sigthread st;
  pthread_t tt;
  sig_start(&st, &tt, SIGUSR1);
  say("thread inherited the blocked mask: %s\n", tf(st.inherited_blocked));
  handled_by = 0;
  CHECK(pthread_kill(tt, SIGUSR1));
  char s = get(notify[0]);
  say("pthread_kill(thread, SIGUSR1): handled by that thread %s, by main %s, signal right %s\n",
      tf(handled_by == st.tid), tf(handled_by == main_tid), tf(s == SIGUSR1));
  sigset_t p;
  sigpending(&p);
  say("main: SIGUSR1 pending afterwards: %s\n", tf(sigismember(&p, SIGUSR1)));
  /* a thread-directed signal that main blocks stays pending for main alone */
  CHECK(pthread_kill(pthread_self(), SIGUSR1));
  sigpending(&p);
  put(st.go[1], 'p');
  char other = get(st.ready[0]);
  say("pthread_kill(self) while blocked: pending in main %s, in the other thread %s\n",
      tf(sigismember(&p, SIGUSR1)), tf(other == '1'));
  handled_by = 0;
  sigemptyset(&one);
  sigaddset(&one, SIGUSR1);
  CHECK(pthread_sigmask(SIG_UNBLOCK, &one, 0));
  s = get(notify[0]);
  say("after unblocking: handled by main %s\n", tf(handled_by == main_tid && s == SIGUSR1));
  CHECK(pthread_sigmask(SIG_BLOCK, &one, 0));
  sig_stop(&st, tt);

  /* 8: a process-directed signal goes to the one thread that does not block it */
  struct sigthread sb[3];
  pthread_t tb[3];
  sig_start(&sb[0], &tb[0], 0);
  sig_start(&sb[1], &tb[1], SIGUSR2);
  sig_start(&sb[2], &tb[2], 0);
  handled_by = 0;
  CHECKSYS(kill(getpid(), SIGUSR2));
  s = get(notify[0]);
  say("kill(getpid(), SIGUSR2): handled by the thread that unblocked it %s, by another %s\n",
      tf(handled_by == sb[1].tid),
      tf(handled_by == sb[0].tid || handled_by == sb[2].tid || handled_by == main_tid));
  sigpending(&p);
  say("SIGUSR2 still pending in main: %s\n", tf(sigismember(&p, SIGUSR2)));
  for (int i = 0; i < 3; i++) sig_stop(&sb[i], tb[i]);
  CHECK(pthread_sigmask(SIG_UNBLOCK, &both, 0));

  /* 9: a thread blocked in read() woken by another thread's write */
  xpipe(rw_pipe);
  CHECK(pthread_create(&t[0], 0, reader, 0));
  CHECK(pthread_create(&t[1], 0, writer, 0));
  CHECK(pthread_join(t[1], 0));
  CHECK(pthread_join(t[0], 0));
  reader_got[reader_n > 0 ? reader_n : 0] = 0;
  say("blocked read woken by another thread: n=%ld data=%s\n", reader_n, reader_got);

  /* 10: the main thread exits first; a survivor joins it and exits the
   * process while another thread is still blocked in read() */
  xpipe(never_written);
  CHECK(pthread_create(&t[0], 0, blocked_forever, 0));
  CHECK(pthread_create(&t[1], 0, survivor, 0));
  say("main: calling pthread_exit\n");
  pthread_exit((void *)42);
}
