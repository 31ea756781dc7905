/* A reaped child's CPU time, as its parent sees it: wait4's rusage,
 * getrusage(RUSAGE_CHILDREN) and times(2). The child burns about 150 ms in a
 * second thread, which exits first, then about 150 ms in its main thread:
 * both must count, once each. Prints only verdicts (times differ between
 * runs): 0.3 s, neither 0.15 (a thread lost) nor 0.45 (one counted twice). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}
static void *burn(void *arg) {
  double until = cpu_now() + 0.15;
  volatile unsigned long x = 0;
  while (cpu_now() < until) x++;
  return arg;
}
static double tv(struct timeval t) { return t.tv_sec + t.tv_usec / 1e6; }
static const char *in_range(double s) { return s >= 0.25 && s <= 0.4 ? "ok" : "out of range"; }

int main(void) {
  struct rusage self0;
  getrusage(RUSAGE_SELF, &self0);
  pid_t p = fork();
  if (p == 0) {
    pthread_t th;
    pthread_create(&th, 0, burn, 0);
    pthread_join(th, 0);
    burn(0);
    _exit(0);
  }
  struct rusage ru, ch, self, thr;
  int st;
  if (wait4(p, &st, 0, &ru) != p) return 1;
  printf("wait4 rusage: %s\n", in_range(tv(ru.ru_utime) + tv(ru.ru_stime)));
  getrusage(RUSAGE_CHILDREN, &ch);
  printf("getrusage children: %s\n", in_range(tv(ch.ru_utime) + tv(ch.ru_stime)));
  struct tms t;
  clock_t now = times(&t);
  printf("times returns: %s\n", now == (clock_t)-1 ? "-1" : "ticks");
  printf("times children: %s\n", in_range((t.tms_cutime + t.tms_cstime) / (double)sysconf(_SC_CLK_TCK)));
  printf("times self below children: %s\n", t.tms_utime + t.tms_stime < t.tms_cutime + t.tms_cstime ? "yes" : "no");
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_THREAD, &thr);
  printf("thread within process: %s\n", tv(thr.ru_utime) + tv(thr.ru_stime) <= tv(self.ru_utime) + tv(self.ru_stime) + 0.01 ? "yes" : "no");
  printf("bad who: %s\n", getrusage(7, &self) == -1 ? "EINVAL" : "accepted");
  return 0;
}
