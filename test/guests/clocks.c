/* CPU-time clocks and setting clocks: CLOCK_THREAD_CPUTIME_ID and
 * CLOCK_PROCESS_CPUTIME_ID advance with work; pthread_getcpuclockid and
 * clock_getcpuclockid give clocks of other threads and processes (a
 * thread of another process: EINVAL; a process that is not there: ESRCH);
 * clock_getres of each; clock_settime's errors (EINVAL for clocks that
 * cannot be set and bad times, EPERM for a CPU clock and for an
 * unprivileged caller) and settimeofday's. Nothing here sets the host's
 * clock when run natively. Output is compared with the host kernel's. */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#define CPUCLOCK_PROF 0
#define CPUCLOCK_VIRT 1
#define CPUCLOCK_SCHED 2
#define MAKE_PROCESS_CPUCLOCK(pid, clock) ((int)(~(unsigned)(pid) << 3) | (clock))
#define MAKE_THREAD_CPUCLOCK(tid, clock) MAKE_PROCESS_CPUCLOCK(tid, (clock) | 4)

static long long ns(clockid_t c) {
  struct timespec ts;
  if (clock_gettime(c, &ts) < 0) return -errno;
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void spin(long long want_ns) {
  long long t0 = ns(CLOCK_THREAD_CPUTIME_ID);
  while (ns(CLOCK_THREAD_CPUTIME_ID) - t0 < want_ns) {
    for (volatile int i = 0; i < 10000; i++) {
    }
  }
}

static void getres(const char *what, clockid_t c) {
  struct timespec ts = {-1, -1};
  int r = clock_getres(c, &ts);
  say("getres %s: %s", what, res(r));
  say(" %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
}

static pthread_barrier_t bar, spun;
static int gate[2];

/* runs 50 ms of CPU time by its own clock, then blocks (alive: its clock stays valid) until the gate opens */
static void *spinner(void *arg) {
  (void)arg;
  char c;
  pthread_barrier_wait(&bar);
  spin(50000000);
  pthread_barrier_wait(&spun);
  (void)!read(gate[0], &c, 1);
  return NULL;
}
/* blocks (no CPU time) until the gate opens */
static void *sleeper(void *arg) {
  (void)arg;
  char c;
  pthread_barrier_wait(&bar);
  (void)!read(gate[0], &c, 1);
  return NULL;
}

int main(void) {
  /* ---- the calling thread's and process's clocks ---- */
  long long t0 = ns(CLOCK_THREAD_CPUTIME_ID), p0 = ns(CLOCK_PROCESS_CPUTIME_ID);
  say("thread clock readable: %s, process clock readable: %s\n", t0 >= 0 ? "yes" : "no", p0 >= 0 ? "yes" : "no");
  spin(30000000);
  long long t1 = ns(CLOCK_THREAD_CPUTIME_ID), p1 = ns(CLOCK_PROCESS_CPUTIME_ID);
  say("after 30 ms of work: thread +%s, process +%s\n", t1 - t0 >= 30000000 ? ">=30ms" : "less", p1 - p0 >= 30000000 ? ">=30ms" : "less");
  long long w0 = ns(CLOCK_THREAD_CPUTIME_ID);
  usleep(50000);
  long long w1 = ns(CLOCK_THREAD_CPUTIME_ID);
  say("a 50 ms sleep costs under 20 ms: %s\n", w1 - w0 < 20000000 ? "yes" : "no");
  say("self clock ids: thread %lld process %lld\n", ns(MAKE_THREAD_CPUCLOCK(0, CPUCLOCK_SCHED)) >= t1 ? 1LL : 0LL,
      ns(MAKE_PROCESS_CPUCLOCK(0, CPUCLOCK_SCHED)) >= p1 ? 1LL : 0LL);

  /* ---- other threads ---- */
  pthread_t a, b;
  if (pipe(gate) < 0) return 1;
  pthread_barrier_init(&bar, NULL, 3);
  pthread_barrier_init(&spun, NULL, 2);
  pthread_create(&a, NULL, spinner, NULL);
  pthread_create(&b, NULL, sleeper, NULL);
  pthread_barrier_wait(&bar);
  clockid_t ca, cb, cself;
  say("pthread_getcpuclockid: %d %d %d\n", pthread_getcpuclockid(a, &ca), pthread_getcpuclockid(b, &cb),
      pthread_getcpuclockid(pthread_self(), &cself));
  pthread_barrier_wait(&spun); /* the spinner has run its 50 ms */
  long long na = ns(ca), nb = ns(cb);
  say("spinner clock %s, sleeper clock %s\n", na >= 0 ? "OK" : errname(-na), nb >= 0 ? "OK" : errname(-nb));
  say("spinner >= 50 ms: %s, sleeper < 10 ms: %s\n", na >= 50000000 ? "yes" : "no", nb < 10000000 ? "yes" : "no");
  say("own clock through its id: %s\n", ns(cself) >= t1 ? "yes" : "no");
  getres("thread sched", ca);
  getres("thread prof", MAKE_THREAD_CPUCLOCK(0, CPUCLOCK_PROF));
  getres("process virt", MAKE_PROCESS_CPUCLOCK(0, CPUCLOCK_VIRT));
  getres("process sched", MAKE_PROCESS_CPUCLOCK(0, CPUCLOCK_SCHED));
  getres("which 3", MAKE_PROCESS_CPUCLOCK(0, 3));
  getres("CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID);
  getres("CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID);
  (void)!write(gate[1], "xx", 2);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  long long pall = ns(CLOCK_PROCESS_CPUTIME_ID);
  say("process clock counts the joined threads: %s\n", pall - p1 >= 50000000 ? "yes" : "no");

  /* ---- other processes ---- */
  int pfd[2];
  if (pipe(pfd) < 0) return 1;
  pid_t c = fork();
  if (c == 0) {
    spin(60000000);
    char x = 'x';
    (void)!write(pfd[1], &x, 1);
    pause();
    _exit(0);
  }
  char x;
  (void)!read(pfd[0], &x, 1);
  clockid_t cc;
  say("clock_getcpuclockid child: %d\n", clock_getcpuclockid(c, &cc));
  long long cn = ns(cc);
  say("child's process clock: %s, >=60ms: %s\n", cn >= 0 ? "OK" : errname(-cn), cn >= 60000000 ? "yes" : "no");
  long long ct = ns(MAKE_THREAD_CPUCLOCK(c, CPUCLOCK_SCHED));
  say("a thread of another process: %s\n", ct >= 0 ? "OK" : errname(-ct));
  say("clock_getcpuclockid of nobody: %d\n", clock_getcpuclockid(999999, &cc));
  long long none = ns(MAKE_PROCESS_CPUCLOCK(999999, CPUCLOCK_SCHED));
  say("clock of nobody: %s\n", none >= 0 ? "OK" : errname(-none));
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);

  /* ---- setting clocks (nothing valid is set: the native run is the host's clock) ---- */
  struct timespec ts = {1, 0};
  say("settime MONOTONIC: %s\n", res(clock_settime(CLOCK_MONOTONIC, &ts)));
  say("settime BOOTTIME: %s\n", res(clock_settime(CLOCK_BOOTTIME, &ts)));
  say("settime 99: %s\n", res(clock_settime(99, &ts)));
  say("settime THREAD_CPUTIME: %s\n", res(clock_settime(CLOCK_THREAD_CPUTIME_ID, &ts)));
  say("settime PROCESS_CPUTIME: %s\n", res(clock_settime(CLOCK_PROCESS_CPUTIME_ID, &ts)));
  say("settime a clock of nobody: %s\n", res(clock_settime(MAKE_PROCESS_CPUCLOCK(999999, CPUCLOCK_SCHED), &ts)));
  say("settime MONOTONIC NULL: %s\n", res(syscall(SYS_clock_settime, CLOCK_MONOTONIC, NULL)));
  say("settime REALTIME NULL: %s\n", res(syscall(SYS_clock_settime, CLOCK_REALTIME, NULL)));
  struct timespec bad = {1, 1000000000};
  say("settime REALTIME bad nsec: %s\n", res(clock_settime(CLOCK_REALTIME, &bad)));
  bad.tv_sec = -1;
  bad.tv_nsec = 0;
  say("settime REALTIME negative: %s\n", res(clock_settime(CLOCK_REALTIME, &bad)));
  struct timeval tv = {1, 2000000};
  say("settimeofday bad usec: %s\n", res(syscall(SYS_settimeofday, &tv, NULL)));
  struct timezone tz = {1000, 0};
  say("settimeofday bad timezone: %s\n", res(syscall(SYS_settimeofday, NULL, &tz)));
  say("settimeofday nothing: %s\n", res(syscall(SYS_settimeofday, NULL, NULL)));
  c = fork();
  if (c == 0) {
    if (setgid(65534) < 0 || setuid(65534) < 0) _exit(99);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    say("unprivileged settime REALTIME: %s\n", res(clock_settime(CLOCK_REALTIME, &now)));
    say("unprivileged settime bad nsec: %s\n", res(clock_settime(CLOCK_REALTIME, &bad)));
    say("unprivileged settimeofday: %s\n", res(syscall(SYS_settimeofday, NULL, NULL)));
    say("unprivileged settime MONOTONIC: %s\n", res(clock_settime(CLOCK_MONOTONIC, &now)));
    _exit(0);
  }
  waitpid(c, NULL, 0);
  return 0;
}
