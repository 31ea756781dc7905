/* Relative sleeps (nanosleep, clock_nanosleep) interrupted by a signal: a
 * handler ends them with EINTR and the time left in *rem; a stop and a
 * continue restart them (restart_syscall) to their first deadline, not
 * for their whole length again; an absolute sleep is restarted as asked;
 * poll's timeout too (and a handler ends it with EINTR, SA_RESTART or not).
 * Output compared with the host kernel's (times bucketed). */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static long ms_between(const struct timespec *a, const struct timespec *b) {
  return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void on_usr1(int s) { (void)s; }

/* a child sleeping 400 ms (how: 0 nanosleep, 1 clock_nanosleep relative, 2 clock_nanosleep absolute, 3 poll), stopped and
 * continued three times: its exit status says whether it woke near its deadline (0), late (2) or early/failed (1) */
static int stopped_sleeper(int how) {
  pid_t pid = fork();
  if (pid == 0) {
    struct timespec t0, t1, d = { 0, 400000000 };
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long r;
    if (how == 0) {
      r = nanosleep(&d, NULL);
    } else if (how == 1) {
      r = clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
    } else if (how == 3) {
      r = poll(NULL, 0, 400);
    } else {
      struct timespec until = t0;
      until.tv_nsec += 400000000;
      if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
      r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = ms_between(&t0, &t1);
    _exit(r != 0 || ms < 390 ? 1 : ms < 650 ? 0 : 2);
  }
  return stop_and_continue(pid);
}

int main(void) {
  static const char *what[] = { "woke at its deadline", "woke early or failed", "woke late", "was killed" };
  static const char *names[] = { "nanosleep", "clock_nanosleep, relative", "clock_nanosleep, absolute", "poll with no fds" };
  for (int how = 0; how < 4; how++) say("%s stopped and continued three times: %s\n", names[how], what[stopped_sleeper(how)]);

  struct sigaction sa = { 0 };
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  pid_t self = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    usleep(100000);
    kill(self, SIGUSR1);
    _exit(0);
  }
  struct timespec d = { 2, 0 }, rem = { 0, 0 };
  long r = nanosleep(&d, &rem);
  const char *res_ = res(r);
  waitpid(pid, NULL, 0);
  say("nanosleep 2 s, a SA_RESTART handler after 0.1 s: %s, %s left\n", res_,
      rem.tv_sec == 1 && rem.tv_nsec > 500000000 ? "about 1.9 s" : "not about 1.9 s");
  pid = fork();
  if (pid == 0) {
    usleep(100000);
    kill(self, SIGUSR1);
    _exit(0);
  }
  r = poll(NULL, 0, 2000);
  res_ = res(r);
  waitpid(pid, NULL, 0);
  say("poll 2 s, a SA_RESTART handler after 0.1 s: %s\n", res_);
  return 0;
}
