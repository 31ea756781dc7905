/* Timers on CPU time (kernel/time/posix-cpu-timers.c, itimer.c):
 * ITIMER_VIRTUAL, ITIMER_PROF and POSIX timers on CLOCK_PROCESS_CPUTIME_ID,
 * CLOCK_THREAD_CPUTIME_ID and clock_getcpuclockid's clock count the CPU time
 * their process or thread uses: none fires while it sleeps, each fires once
 * it has spun long enough, a thread's clock does not count another
 * thread's spin, and a periodic one fires about once per period of CPU
 * time. Prints verdicts only (times differ between runs). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got[65];
static void on_sig(int sig) { got[sig]++; }

static double clock_s(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* spin until sig arrives or `most` seconds of wall time pass; the CPU time used (s) */
static double spin_until(int sig, double most) {
  double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
  volatile unsigned long x = 1;
  while (!got[sig] && clock_s(CLOCK_MONOTONIC) - w0 < most)
    for (int i = 0; i < 20000; i++) x = x * 6364136223846793005UL + 1;
  return clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
}

static void spin_for(double cpu_s, clockid_t c) {
  double c0 = clock_s(c);
  volatile unsigned long x = 1;
  while (clock_s(c) - c0 < cpu_s)
    for (int i = 0; i < 20000; i++) x = x * 6364136223846793005UL + 1;
}

static void nap_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static const char *yes(int c) { return c ? "yes" : "no"; }

static void itimer(int which, int sig, const char *name) {
  struct itimerval v = {{0, 0}, {0, 50000}}, now;
  setitimer(which, &v, NULL);
  nap_ms(300);
  getitimer(which, &now);
  printf("%s: not fired while asleep: %s, 40 ms or more left: %s\n", name, yes(got[sig] == 0),
         yes(now.it_value.tv_sec > 0 || now.it_value.tv_usec >= 40000));
  double used = spin_until(sig, 10);
  printf("%s: fired while spinning: %s, after 40 ms of CPU or more: %s\n", name, yes(got[sig] == 1), yes(used >= 0.040));
}

static timer_t posix_timer(clockid_t c, int sig) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = sig;
  timer_t id;
  if (timer_create(c, &ev, &id) != 0) perror("timer_create");
  return id;
}

/* a timer on this thread's own clock, armed for a second of its CPU time, then the thread ends */
static void *make_thread_timer(void *arg) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_NONE;
  timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, (timer_t *)arg);
  struct itimerspec v = {{0, 0}, {1, 0}};
  timer_settime(*(timer_t *)arg, 0, &v, NULL);
  return NULL;
}

static void *other_spins(void *arg) {
  (void)arg;
  spin_for(0.2, CLOCK_THREAD_CPUTIME_ID);
  return NULL;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sig;
  sigaction(SIGVTALRM, &sa, NULL);
  sigaction(SIGPROF, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  sigaction(SIGRTMIN, &sa, NULL);

  itimer(ITIMER_VIRTUAL, SIGVTALRM, "ITIMER_VIRTUAL");
  itimer(ITIMER_PROF, SIGPROF, "ITIMER_PROF");

  /* a process CPU clock timer, relative, then one on clock_getcpuclockid's clock, absolute */
  struct itimerspec its = {{0, 0}, {0, 50000000}}, left;
  timer_t t1 = posix_timer(CLOCK_PROCESS_CPUTIME_ID, SIGUSR1);
  timer_settime(t1, 0, &its, NULL);
  nap_ms(300);
  timer_gettime(t1, &left);
  printf("CLOCK_PROCESS_CPUTIME_ID: not fired while asleep: %s, 40 ms or more left: %s\n", yes(got[SIGUSR1] == 0),
         yes(left.it_value.tv_nsec >= 40000000 || left.it_value.tv_sec > 0));
  printf("CLOCK_PROCESS_CPUTIME_ID: fired while spinning: %s\n", yes(spin_until(SIGUSR1, 10) > 0 && got[SIGUSR1] == 1));

  clockid_t cid;
  clock_getcpuclockid(0, &cid);
  timer_t t2 = posix_timer(cid, SIGRTMIN);
  struct timespec now;
  clock_gettime(cid, &now);
  struct itimerspec abs = {{0, 0}, {now.tv_sec, now.tv_nsec + 50000000}};
  if (abs.it_value.tv_nsec >= 1000000000) abs.it_value.tv_sec++, abs.it_value.tv_nsec -= 1000000000;
  timer_settime(t2, TIMER_ABSTIME, &abs, NULL);
  nap_ms(200);
  printf("clock_getcpuclockid's clock, absolute: not fired while asleep: %s\n", yes(got[SIGRTMIN] == 0));
  printf("clock_getcpuclockid's clock, absolute: fired while spinning: %s\n", yes(spin_until(SIGRTMIN, 10) > 0 && got[SIGRTMIN] == 1));

  /* this thread's clock: another thread's 200 ms of spinning does not count */
  timer_t t3 = posix_timer(CLOCK_THREAD_CPUTIME_ID, SIGUSR2);
  timer_settime(t3, 0, &its, NULL);
  pthread_t th;
  pthread_create(&th, NULL, other_spins, NULL);
  pthread_join(th, NULL);
  printf("CLOCK_THREAD_CPUTIME_ID: not fired while another thread spun: %s\n", yes(got[SIGUSR2] == 0));
  printf("CLOCK_THREAD_CPUTIME_ID: fired while this thread spun: %s\n", yes(spin_until(SIGUSR2, 10) > 0 && got[SIGUSR2] == 1));

  /* periodic: 20 ms of CPU time, 300 ms spun: about 15 signals */
  got[SIGPROF] = 0;
  struct itimerval per = {{0, 20000}, {0, 20000}}, off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_PROF, &per, NULL);
  spin_for(0.3, CLOCK_PROCESS_CPUTIME_ID);
  setitimer(ITIMER_PROF, &off, NULL);
  printf("ITIMER_PROF every 20 ms over 300 ms of CPU: between 8 and 17 signals: %s\n", yes(got[SIGPROF] >= 8 && got[SIGPROF] <= 17));

  /* an absolute expiry already past fires at once (posix_cpu_timer_set) */
  got[SIGUSR1] = 0;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  struct itimerspec past = {{0, 0}, {0, 1}};
  timer_settime(t1, TIMER_ABSTIME, &past, NULL);
  nap_ms(2);
  printf("an absolute CPU-clock expiry already past: fired at once: %s\n", yes(got[SIGUSR1] == 1));

  /* a timer on a thread's clock outlives the thread: it reads zero and cannot be set (ESRCH) */
  pthread_t th2;
  static timer_t t4;
  pthread_create(&th2, NULL, make_thread_timer, &t4);
  pthread_join(th2, NULL);
  struct itimerspec g4;
  memset(&g4, 0xff, sizeof g4);
  timer_gettime(t4, &g4);
  printf("a gone thread's clock timer reads zero: %s\n", yes(g4.it_value.tv_sec == 0 && g4.it_value.tv_nsec == 0));
  int rs = timer_settime(t4, 0, &its, NULL);
  printf("and timer_settime on it: %s\n", rs == 0 ? "0" : strerrorname_np(errno));
  timer_delete(t4);

  timer_delete(t1);
  timer_delete(t2);
  timer_delete(t3);
  printf("timer_create on a bad CPU clock: %s\n", yes(timer_create((clockid_t)(~(clockid_t)99999 << 3) | 2, NULL, &t1) == -1));
  return 0;
}
