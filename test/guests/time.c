/* Clocks and sleeps: properties (ok/fail), never raw values that differ
 * between runs. */
#include "common.h"
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

static int64_t ns(clockid_t c) {
  struct timespec t;
  if (clock_gettime(c, &t) != 0) return -1;
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}
static const char *okf(int c) { return c ? "ok" : "FAIL"; }

int main(void) {
  /* monotonic across many calls, and moving */
  int64_t prev = ns(CLOCK_MONOTONIC), first = prev;
  int mono = prev > 0;
  for (int i = 0; i < 20000; i++) {
    int64_t t = ns(CLOCK_MONOTONIC);
    if (t < prev) mono = 0;
    prev = t;
  }
  say("CLOCK_MONOTONIC never goes back: %s\n", okf(mono));
  say("CLOCK_MONOTONIC advances: %s\n", okf(prev > first));
  /* the raw syscall too (libc may use the vDSO) */
  struct timespec a, b;
  long r1 = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a);
  long r2 = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
  say("clock_gettime syscall: %s\n", okf(r1 == 0 && r2 == 0 && (b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec))));
  say("tv_nsec in range: %s\n", okf(a.tv_nsec >= 0 && a.tv_nsec < 1000000000));

  /* nanosleep 50 ms sleeps at least 50 ms and well under a second */
  int64_t t0 = ns(CLOCK_MONOTONIC);
  struct timespec req = {0, 50 * 1000 * 1000}, rem = {9, 9};
  int r = nanosleep(&req, &rem);
  int64_t dt = ns(CLOCK_MONOTONIC) - t0;
  say("nanosleep 50ms returns 0: %s\n", okf(r == 0));
  say("nanosleep 50ms slept >= 50ms: %s\n", okf(dt >= 50000000));
  say("nanosleep 50ms slept < 1s: %s\n", okf(dt < 1000000000));
  t0 = ns(CLOCK_MONOTONIC);
  req.tv_sec = 0;
  req.tv_nsec = 20 * 1000 * 1000;
  r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
  dt = ns(CLOCK_MONOTONIC) - t0;
  say("clock_nanosleep relative 20ms: %s\n", okf(r == 0 && dt >= 20000000 && dt < 1000000000));
  int64_t target = ns(CLOCK_MONOTONIC) + 30000000;
  struct timespec abs = {target / 1000000000, target % 1000000000};
  r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
  int64_t after = ns(CLOCK_MONOTONIC);
  say("clock_nanosleep TIMER_ABSTIME: %s\n", okf(r == 0 && after >= target && after - target < 1000000000));
  abs.tv_sec = 0;
  abs.tv_nsec = 1;
  t0 = ns(CLOCK_MONOTONIC);
  r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
  say("clock_nanosleep past deadline returns at once: %s\n", okf(r == 0 && ns(CLOCK_MONOTONIC) - t0 < 500000000));
  req.tv_sec = 0;
  req.tv_nsec = 0;
  say("nanosleep 0: %s\n", okf(nanosleep(&req, NULL) == 0));
  req.tv_nsec = 1000000000;
  r = nanosleep(&req, NULL);
  say("nanosleep tv_nsec=1e9: %s\n", r < 0 ? errname(errno) : "succeeded");
  req.tv_sec = -1;
  req.tv_nsec = 0;
  r = nanosleep(&req, NULL);
  say("nanosleep negative: %s\n", r < 0 ? errname(errno) : "succeeded");
  r = syscall(SYS_nanosleep, (void *)8, NULL);
  say("nanosleep bad pointer: %s\n", r < 0 ? errname(errno) : "succeeded");

  /* wall clocks agree with each other */
  struct timeval tv;
  gettimeofday(&tv, NULL);
  time_t tt = time(NULL);
  say("gettimeofday and time agree within 2s: %s\n", okf(tt - tv.tv_sec <= 2 && tv.tv_sec - tt <= 2));
  say("tv_usec in range: %s\n", okf(tv.tv_usec >= 0 && tv.tv_usec < 1000000));
  int64_t rt = ns(CLOCK_REALTIME);
  say("CLOCK_REALTIME and time agree within 2s: %s\n", okf(rt / 1000000000 - tt <= 2 && tt - rt / 1000000000 <= 2));
  say("time is after 2023: %s\n", okf(tt > 1672531200));
  time_t t2 = 0;
  long sr = syscall(SYS_time, &t2);
  say("time syscall stores its result: %s\n", okf(sr == t2 && sr > 1672531200));
  sr = syscall(SYS_gettimeofday, &tv, NULL);
  say("gettimeofday syscall: %s\n", okf(sr == 0 && tv.tv_sec > 1672531200));
  sr = syscall(SYS_gettimeofday, (void *)8, NULL);
  say("gettimeofday bad pointer: %s\n", sr < 0 ? errname(errno) : "succeeded");

  /* other clocks */
  int64_t cpu = ns(CLOCK_PROCESS_CPUTIME_ID);
  say("CLOCK_PROCESS_CPUTIME_ID: %s\n", okf(cpu >= 0));
  int64_t boot = ns(CLOCK_BOOTTIME), m2 = ns(CLOCK_MONOTONIC);
  say("CLOCK_BOOTTIME: %s\n", okf(boot > 0 && m2 > 0));
  say("CLOCK_MONOTONIC_COARSE: %s\n", okf(ns(CLOCK_MONOTONIC_COARSE) > 0));
  say("CLOCK_REALTIME_COARSE within 1s of REALTIME: %s\n", okf(ns(CLOCK_REALTIME) - ns(CLOCK_REALTIME_COARSE) < 1000000000));
  struct timespec res;
  r = clock_getres(CLOCK_MONOTONIC, &res);
  say("clock_getres MONOTONIC: %s %lld.%09ld\n", r == 0 ? "OK" : errname(errno), (long long)res.tv_sec, res.tv_nsec);
  r = clock_getres(CLOCK_REALTIME, &res);
  say("clock_getres REALTIME: %s %lld.%09ld\n", r == 0 ? "OK" : errname(errno), (long long)res.tv_sec, res.tv_nsec);
  r = syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL);
  say("clock_getres NULL: %s\n", r < 0 ? errname(errno) : "OK");
  r = syscall(SYS_clock_getres, 999, &res);
  say("clock_getres bad clock: %s\n", r < 0 ? errname(errno) : "succeeded");
  r = syscall(SYS_clock_gettime, 999, &a);
  say("clock_gettime bad clock: %s\n", r < 0 ? errname(errno) : "succeeded");
  r = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8);
  say("clock_gettime bad pointer: %s\n", r < 0 ? errname(errno) : "succeeded");
  return 0;
}
