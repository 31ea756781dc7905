/* The vDSO: a program gets one (AT_SYSINFO_EHDR, [vdso] in its maps), and
 * the C library's clock_gettime, gettimeofday, time and sched_getcpu
 * through it agree with the system calls themselves: each clock against
 * syscall(SYS_clock_gettime), a monotonic clock that never goes back over
 * 100000 reads. `settime` (umlts only: natively it would set the host's
 * clock): as root, set the wall clock an hour ahead and see the vDSO's
 * CLOCK_REALTIME move with the syscall's. Output is compared with the host
 * kernel's; the test also counts the traps under umlts. */
#include "common.h"
#include <sched.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

static long long ns(const struct timespec *t) {
  return t->tv_sec * 1000000000LL + t->tv_nsec;
}
static long long raw_ns(clockid_t c) {
  struct timespec t;
  if (syscall(SYS_clock_gettime, c, &t) != 0) return -1;
  return ns(&t);
}
static long long lib_ns(clockid_t c) {
  struct timespec t;
  if (clock_gettime(c, &t) != 0) return -1;
  return ns(&t);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "settime") == 0) {
    long long before = lib_ns(CLOCK_REALTIME);
    struct timeval tv = {before / 1000000000LL + 3600, 0};
    say("settimeofday an hour ahead: %s\n", res(settimeofday(&tv, NULL)));
    long long lib = lib_ns(CLOCK_REALTIME), raw = raw_ns(CLOCK_REALTIME);
    say("vDSO realtime moved with it: %s\n", lib - before > 3590LL * 1000000000LL && llabs(lib - raw) < 1000000000LL ? "yes" : "no");
    struct timeval g;
    gettimeofday(&g, NULL);
    say("gettimeofday too: %s\n", llabs(g.tv_sec * 1000000000LL - raw) < 2000000000LL ? "yes" : "no");
    say("time too: %s\n", llabs(time(NULL) * 1000000000LL - raw) < 2000000000LL ? "yes" : "no");
    return 0;
  }
  say("AT_SYSINFO_EHDR: %s\n", getauxval(AT_SYSINFO_EHDR) ? "set" : "none");
  FILE *m = fopen("/proc/self/maps", "r");
  char line[512];
  int in_maps = 0;
  while (m && fgets(line, sizeof line, m)) if (strstr(line, "[vdso]")) in_maps = 1;
  say("[vdso] in /proc/self/maps: %s\n", in_maps ? "yes" : "no");
  static const struct { clockid_t id; const char *name; long long slack; } clocks[] = {
    {CLOCK_REALTIME, "REALTIME", 50000000}, {CLOCK_MONOTONIC, "MONOTONIC", 50000000},
    {CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW", 50000000}, {CLOCK_REALTIME_COARSE, "REALTIME_COARSE", 60000000},
    {CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE", 60000000}, {CLOCK_BOOTTIME, "BOOTTIME", 50000000},
    {CLOCK_TAI, "TAI", 50000000},
  };
  for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
    long long a = raw_ns(clocks[i].id), b = lib_ns(clocks[i].id), c = raw_ns(clocks[i].id);
    say("%s: library within the syscalls' reads: %s\n", clocks[i].name,
        a >= 0 && b >= a - clocks[i].slack && b <= c + clocks[i].slack ? "yes" : "no");
  }
  long long cpu = lib_ns(CLOCK_PROCESS_CPUTIME_ID);
  say("PROCESS_CPUTIME_ID: %s\n", cpu > 0 ? "positive" : "not");
  struct timespec bad;
  say("clock 99: %s\n", res(clock_gettime(99, &bad)));
  long long last = lib_ns(CLOCK_MONOTONIC);
  int back = 0;
  for (int i = 0; i < 100000; i++) {
    long long now = lib_ns(CLOCK_MONOTONIC);
    if (now < last) back++;
    last = now;
  }
  say("monotonic went back: %d times\n", back);
  struct timeval tv;
  gettimeofday(&tv, NULL);
  long long real = raw_ns(CLOCK_REALTIME);
  say("gettimeofday near CLOCK_REALTIME: %s\n", llabs(tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL - real) < 50000000LL ? "yes" : "no");
  say("time near CLOCK_REALTIME: %s\n", llabs(time(NULL) * 1000000000LL - real) < 2000000000LL ? "yes" : "no");
  int c = sched_getcpu();
  say("sched_getcpu within the CPUs: %s\n", c >= 0 && c < sysconf(_SC_NPROCESSORS_ONLN) ? "yes" : "no");
  return 0;
}
