/* The load averages after two tasks have run for 10.6 s (two LOAD_FREQ
 * samples), as /proc/loadavg and sysinfo(2) give them: the 1-minute figure
 * has risen (from two runnable tasks: at least 0.25 even from 0), and
 * sysinfo's loads[0] (SI_LOAD_SHIFT: 16 bits of fraction) is the same
 * figure. Prints the verdicts and the 1-minute figure. */
#include <stdio.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void) {
  pid_t c = fork();
  double end = now() + 10.6;
  volatile unsigned long x = 1;
  while (now() < end)
    for (int i = 0; i < 100000; i++) x = x * 3 + 1;
  if (c == 0) _exit(0);
  waitpid(c, NULL, 0);
  FILE *f = fopen("/proc/loadavg", "r");
  double a = -1, b = -1, d = -1;
  int running = 0, total = 0;
  if (!f || fscanf(f, "%lf %lf %lf %d/%d", &a, &b, &d, &running, &total) != 5) return 1;
  struct sysinfo si;
  sysinfo(&si);
  double s = si.loads[0] / 65536.0;
  printf("1-minute load %.2f: risen to 0.25 or more: %s\n", a, a >= 0.25 ? "yes" : "no");
  printf("5 and 15 minutes below it: %s\n", b <= a && d <= b ? "yes" : "no");
  printf("running/total: %d/%d, 1 or more running: %s\n", running, total, running >= 1 ? "yes" : "no");
  printf("sysinfo's loads[0] is the same figure: %s\n", s > a - 0.011 && s < a + 0.011 ? "yes" : "no");
  return 0;
}
