/* alarm, setitimer/getitimer and POSIX timers in one process: return values
 * and rounding, the errors, SIGALRM from ITIMER_REAL (one-shot and periodic),
 * SIGEV_NONE countdowns, SIGEV_SIGNAL with siginfo, timer ids, overruns, and
 * an absolute CLOCK_REALTIME expiry. `timer_basic alarm` dies of SIGALRM;
 * `timer_basic alarmclocks` tries timers on the _ALARM clocks.
 * Output is compared with the host kernel's. */
#include "common.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t alarms, rt_count, rt_code, rt_value, rt_overrun, rt_timerid;

static void on_alrm(int sig) {
  (void)sig;
  alarms++;
}
static void on_rt(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  rt_count++;
  rt_code = si->si_code;
  rt_value = si->si_value.sival_int;
  rt_overrun = si->si_overrun;
  rt_timerid = si->si_timerid;
}

/* raw timer syscalls: glibc's timer_t is its own encoding */
static long tcreate(clockid_t clk, struct sigevent *sev, int *id) {
  return syscall(SYS_timer_create, clk, sev, id);
}
static long tset(int id, int flags, long vs, long vns, long is, long ins, struct itimerspec *old) {
  struct itimerspec it = {{is, ins}, {vs, vns}};
  return syscall(SYS_timer_settime, id, flags, &it, old);
}
static long tget(int id, struct itimerspec *cur) {
  return syscall(SYS_timer_gettime, id, cur);
}

static void msleep(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "alarm") == 0) {
    say("alarm then pause\n");
    alarm(1);
    pause();
    say("not reached\n");
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "alarmclocks") == 0) {
    /* the _ALARM clocks' timers need a real-time clock device that can wake the machine */
    int id;
    say("create REALTIME_ALARM: %s\n", res(tcreate(CLOCK_REALTIME_ALARM, NULL, &id)));
    say("create BOOTTIME_ALARM: %s\n", res(tcreate(CLOCK_BOOTTIME_ALARM, NULL, &id)));
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "timer") == 0) {
    /* SIGEV_SIGNAL with the default SIGALRM (no sigevent) kills */
    int id;
    tcreate(CLOCK_MONOTONIC, NULL, &id);
    tset(id, 0, 0, 50000000, 0, 0, NULL);
    say("timer then pause\n");
    pause();
    return 0;
  }

  /* alarm's return value: the old alarm rounded to the nearest second, never 0 if pending */
  unsigned a0 = alarm(0);
  unsigned a1 = alarm(10);
  unsigned a2 = alarm(5);
  unsigned a3 = alarm(0);
  unsigned a4 = alarm(0);
  say("alarm: %u %u %u %u %u\n", a0, a1, a2, a3, a4);
  struct itimerval iv = {{0, 0}, {0, 300000}};
  setitimer(ITIMER_REAL, &iv, NULL);
  say("alarm after 0.3 s itimer: %u\n", alarm(0));
  iv.it_value.tv_usec = 700000;
  setitimer(ITIMER_REAL, &iv, NULL);
  say("alarm after 0.7 s itimer: %u\n", alarm(0));

  /* setitimer / getitimer */
  struct itimerval old;
  say("setitimer bad which: %s\n", res(setitimer(5, &iv, NULL)));
  iv.it_value.tv_usec = 1000000;
  say("setitimer usec 1e6: %s\n", res(setitimer(ITIMER_REAL, &iv, NULL)));
  iv.it_value.tv_usec = -1;
  say("setitimer usec -1: %s\n", res(setitimer(ITIMER_REAL, &iv, NULL)));
  say("getitimer bad which: %s\n", res(getitimer(3, &old)));
  say("getitimer bad pointer: %s\n", res(syscall(SYS_getitimer, ITIMER_REAL, (void *)8)));
  iv.it_value.tv_sec = 2;
  iv.it_value.tv_usec = 0;
  iv.it_interval.tv_sec = 3;
  iv.it_interval.tv_usec = 500;
  setitimer(ITIMER_REAL, &iv, NULL);
  getitimer(ITIMER_REAL, &old);
  say("getitimer: interval %ld.%06ld value %ld and a bit: %d\n", (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec,
      (long)old.it_value.tv_sec, old.it_value.tv_usec > 900000);
  iv.it_value.tv_sec = 0;
  iv.it_interval.tv_sec = 5;
  setitimer(ITIMER_REAL, &iv, &old);
  say("disarm returns old: interval %ld value %ld\n", (long)old.it_interval.tv_sec, (long)old.it_value.tv_sec);
  getitimer(ITIMER_REAL, &old);
  say("disarmed keeps interval: %ld.%06ld value %ld.%06ld\n", (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec,
      (long)old.it_value.tv_sec, (long)old.it_value.tv_usec);
  for (int w = 1; w <= 2; w++) {
    iv.it_value.tv_sec = 7;
    iv.it_interval.tv_sec = 0;
    iv.it_interval.tv_usec = 0;
    setitimer(w, &iv, NULL);
    getitimer(w, &old);
    say("itimer %d: value %ld\n", w, (long)(old.it_value.tv_sec + (old.it_value.tv_usec > 0)));
    iv.it_value.tv_sec = 0;
    iv.it_value.tv_usec = 0;
    setitimer(w, &iv, NULL);
  }
  say("setitimer NULL value: %s\n", res(syscall(SYS_setitimer, ITIMER_REAL, NULL, NULL)));

  /* SIGALRM from ITIMER_REAL: one-shot, then periodic */
  signal(SIGALRM, on_alrm);
  iv.it_value.tv_sec = 0;
  iv.it_value.tv_usec = 30000;
  iv.it_interval.tv_usec = 0;
  setitimer(ITIMER_REAL, &iv, NULL);
  pause();
  say("one-shot: alarms %d\n", (int)alarms);
  iv.it_interval.tv_usec = 20000;
  setitimer(ITIMER_REAL, &iv, NULL);
  while (alarms < 4) pause();
  iv.it_value.tv_usec = 0;
  setitimer(ITIMER_REAL, &iv, NULL);
  say("periodic: alarms %d\n", (int)alarms);
  alarm(1);
  pause();
  say("alarm(1): alarms %d\n", (int)alarms);

  /* POSIX timers: errors */
  int id = -1, id2 = -1;
  say("create bad clock: %s\n", res(tcreate(99, NULL, &id)));
  say("create MONOTONIC_RAW: %s\n", res(tcreate(CLOCK_MONOTONIC_RAW, NULL, &id)));
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = 7;
  say("create bad notify: %s\n", res(tcreate(CLOCK_MONOTONIC, &sev, &id)));
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = 0;
  say("create signo 0: %s\n", res(tcreate(CLOCK_MONOTONIC, &sev, &id)));
  sev.sigev_signo = 65;
  say("create signo 65: %s\n", res(tcreate(CLOCK_MONOTONIC, &sev, &id)));
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGRTMIN;
  sev._sigev_un._tid = 99999;
  say("create bad tid: %s\n", res(tcreate(CLOCK_MONOTONIC, &sev, &id)));
  say("create bad id pointer: %s\n", res(tcreate(CLOCK_MONOTONIC, NULL, (int *)8)));
  say("settime no timer: %s\n", res(tset(1234, 0, 1, 0, 0, 0, NULL)));
  say("gettime no timer: %s\n", res(tget(1234, NULL)));
  say("getoverrun no timer: %s\n", res(syscall(SYS_timer_getoverrun, 1234)));
  say("delete no timer: %s\n", res(syscall(SYS_timer_delete, 1234)));

  /* SIGEV_NONE: counts down, a one-shot reads 0 once expired, a periodic one wraps */
  sev.sigev_notify = SIGEV_NONE;
  long r1 = tcreate(CLOCK_MONOTONIC, &sev, &id);
  long r2 = tcreate(CLOCK_BOOTTIME, &sev, &id2);
  say("create: %s %s, ids differ by %d\n", res(r1), res(r2), id2 - id);
  struct itimerspec cur;
  tget(id, &cur);
  say("unarmed: %ld.%09ld / %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec, (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
  say("settime NULL: %s\n", res(syscall(SYS_timer_settime, id, 0, NULL, NULL)));
  say("settime nsec 1e9: %s\n", res(tset(id, 0, 0, 1000000000, 0, 0, NULL)));
  say("settime interval -1: %s\n", res(tset(id, 0, 1, 0, -1, 0, NULL)));
  tset(id, 0, 10, 0, 0, 0, NULL);
  tget(id, &cur);
  say("10 s: %ld and a bit: %d\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec > 900000000);
  tset(id, 0, 0, 1000000, 0, 0, &cur);
  say("old value: 9 s and a bit: %d\n", cur.it_value.tv_sec == 9);
  msleep(10);
  tget(id, &cur);
  say("expired one-shot: %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
  tset(id2, 0, 0, 5000000, 1, 0, NULL);
  msleep(20);
  tget(id2, &cur);
  say("periodic: value in (0.9, 1] s: %d interval %ld.%09ld\n",
      cur.it_value.tv_sec == 0 ? cur.it_value.tv_nsec > 900000000 : cur.it_value.tv_sec == 1 && cur.it_value.tv_nsec == 0,
      (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
  say("delete: %s, again: %s\n", res(syscall(SYS_timer_delete, id)), res(syscall(SYS_timer_delete, id)));
  int id3;
  tcreate(CLOCK_MONOTONIC, &sev, &id3);
  say("ids are not reused at once: %d\n", id3 == id2 + 1);

  /* SIGEV_SIGNAL with a value, SA_SIGINFO */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_rt;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGRTMIN, &sa, NULL);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGRTMIN;
  sev.sigev_value.sival_int = 77;
  int id4;
  tcreate(CLOCK_MONOTONIC, &sev, &id4);
  tset(id4, 0, 0, 20000000, 0, 0, NULL);
  while (!rt_count) pause();
  say("signal: count %d code %d (SI_TIMER %d) value %d timerid ok %d overrun %d\n", (int)rt_count, (int)rt_code, SI_TIMER, (int)rt_value,
      rt_timerid == id4, (int)rt_overrun);
  tget(id4, &cur);
  say("after it fired: %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

  /* overruns: a periodic timer whose signal stays blocked */
  sigset_t set, prev;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &set, &prev);
  rt_count = 0;
  /* (a 20 ms period: the unblock and the disarm below must fall within one
   * period even on a loaded host, or a second signal is due meanwhile) */
  tset(id4, 0, 0, 20000000, 0, 20000000, NULL);
  msleep(200);
  sigprocmask(SIG_SETMASK, &prev, NULL);
  tset(id4, 0, 0, 0, 0, 0, NULL);
  long ov = syscall(SYS_timer_getoverrun, id4);
  say("blocked periodic: one signal %d, si_overrun >= 5: %d, getoverrun after settime: %ld\n", (int)rt_count, rt_overrun >= 5, ov);

  /* an absolute CLOCK_REALTIME expiry, and no sigevent: SIGALRM with the id as value */
  int id5;
  tcreate(CLOCK_REALTIME, NULL, &id5);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  now.tv_nsec += 30000000;
  if (now.tv_nsec >= 1000000000) {
    now.tv_sec++;
    now.tv_nsec -= 1000000000;
  }
  alarms = 0;
  tset(id5, TIMER_ABSTIME, now.tv_sec, now.tv_nsec, 0, 0, NULL);
  tget(id5, &cur);
  say("absolute: left < 31 ms: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 30000000);
  while (!alarms) pause();
  say("absolute: alarms %d\n", (int)alarms);
  tset(id5, TIMER_ABSTIME, 1, 0, 0, 0, NULL); /* in the past: fires at once */
  while (alarms < 2) pause();
  say("past: alarms %d\n", (int)alarms);
  return 0;
}
