/* RLIMIT_CPU (kernel/time/posix-cpu-timers.c check_process_timers): a
 * process that spins past its soft limit gets SIGXCPU, again every second
 * of CPU after (its soft limit goes up by one each time, as getrlimit then
 * shows), and SIGKILL at the hard limit; with SIGXCPU's default action it
 * dies of SIGXCPU at the soft limit. A process that sleeps is not
 * signalled, and a fork's child starts its own count against the same
 * limit. Prints verdicts only (times differ between runs). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t xcpu;
static void on_xcpu(int s) { (void)s; xcpu++; }

static double cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin_until(double cpu_s) {
  volatile unsigned long x = 1;
  while (cpu() < cpu_s)
    for (int i = 0; i < 20000; i++) x = x * 6364136223846793005UL + 1;
}

static const char *yes(int c) { return c ? "yes" : "no"; }

int main(void) {
  /* a child with soft 1 s, hard 3 s and a SIGXCPU handler: SIGXCPU at 1 s and 2 s, SIGKILL at 3 s */
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    struct rlimit rl = {1, 3};
    setrlimit(RLIMIT_CPU, &rl);
    signal(SIGXCPU, on_xcpu);
    struct timespec nap = {0, 300000000};
    nanosleep(&nap, NULL);
    printf("asleep 0.3 s: no SIGXCPU: %s\n", yes(xcpu == 0));
    spin_until(0.9);
    printf("at 0.9 s of CPU: none yet: %s\n", yes(xcpu == 0));
    spin_until(1.5);
    getrlimit(RLIMIT_CPU, &rl);
    printf("by 1.5 s: one SIGXCPU: %s, the soft limit now 2: %s\n", yes(xcpu == 1), yes(rl.rlim_cur == 2));
    spin_until(2.5);
    printf("by 2.5 s: two: %s\n", yes(xcpu == 2));
    fflush(stdout);
    spin_until(10);
    printf("still alive at 10 s of CPU\n");
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("then killed by SIGKILL: %s\n", yes(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL));

  /* SIGXCPU's default action, and a fork's child counting from 0 against the parent's limit */
  fflush(stdout);
  c = fork();
  if (c == 0) {
    struct rlimit rl = {1, RLIM_INFINITY};
    setrlimit(RLIMIT_CPU, &rl);
    spin_until(0.6);
    pid_t g = fork();
    if (g == 0) {
      spin_until(10);
      _exit(0);
    }
    int gs;
    waitpid(g, &gs, 0);
    printf("a fork's child (its own count, the same limit) died of SIGXCPU: %s\n", yes(WIFSIGNALED(gs) && WTERMSIG(gs) == SIGXCPU));
    fflush(stdout);
    spin_until(10);
    _exit(0);
  }
  waitpid(c, &st, 0);
  printf("the default action at the soft limit: killed by SIGXCPU: %s\n", yes(WIFSIGNALED(st) && WTERMSIG(st) == SIGXCPU));
  return 0;
}
