/* A process-directed signal goes to the thread it was sent to: the main
 * thread, blocked in read(2), gets SIGALRM (its read ends with EINTR and
 * the handler runs there) while another thread keeps waking from short
 * sleeps — that thread must not take the signal on its way back to user
 * space (Linux marks only the chosen thread). Differential. */
#include "common.h"
#include <pthread.h>
#include <sys/time.h>

static volatile pid_t handled_on;
static volatile int stop;
static pid_t main_tid;
static void on_alarm(int s) {
  (void)s;
  handled_on = syscall(SYS_gettid);
}
static void *sleeper(void *arg) {
  (void)arg;
  while (!stop) usleep(200);
  return 0;
}

int main(void) {
  main_tid = syscall(SYS_gettid);
  int p[2];
  if (pipe(p)) return 1;
  struct sigaction sa = { 0 };
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, 0);
  pthread_t th[2];
  for (int i = 0; i < 2; i++) pthread_create(&th[i], 0, sleeper, 0);
  for (int round = 0; round < 10; round++) {
    handled_on = 0;
    struct itimerval it = { { 0, 0 }, { 0, 20000 } };
    setitimer(ITIMER_REAL, &it, 0);
    char c;
    long r = read(p[0], &c, 1);
    say("round %d: read %ld %s, the handler ran on %s\n", round, r, r < 0 ? errname(errno) : "",
        handled_on == main_tid ? "the main thread" : handled_on ? "another thread" : "no thread yet");
  }
  stop = 1;
  for (int i = 0; i < 2; i++) pthread_join(th[i], 0);
  return 0;
}
