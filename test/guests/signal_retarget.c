/* Which thread takes a process-directed signal (kernel/signal.c's
 * complete_signal and retarget_shared_pending). Differential.
 *
 * The main thread spins in user code; a child sends SIGUSR1 then SIGUSR2
 * to this process. SIGUSR1's handler blocks SIGUSR2 (sa_mask) and waits
 * up to 2 s for SIGUSR2's handler to run: on Linux the other thread,
 * asleep in read(2), takes SIGUSR2 at once — complete_signal passes over
 * a thread that has a signal pending already and is not on a CPU, and a
 * thread that blocks a pending shared signal (the handler's mask) hands
 * it on to a sibling that can take it. Neither waits for the handler to
 * end. */
#include "common.h"
#include <pthread.h>

static volatile pid_t usr1_on, usr2_on;
static volatile int spin, usr2_seen_in_usr1;
static int wake_pipe[2];

static pid_t gettid_(void) { return syscall(SYS_gettid); }

static void on_usr1(int s) {
  (void)s;
  usr1_on = gettid_();
  for (int i = 0; i < 2000 && !usr2_on; i++) usleep(1000);
  usr2_seen_in_usr1 = usr2_on != 0;
  spin = 0;
}
static void on_usr2(int s) {
  (void)s;
  usr2_on = gettid_();
}

static volatile pid_t sleeper_tid;
static void *sleeper(void *arg) {
  (void)arg;
  sleeper_tid = gettid_();
  char c;
  for (;;) {
    long r = read(wake_pipe[0], &c, 1);
    if (r == 1 && c == 'q') return 0;
  }
}

int main(void) {
  if (pipe(wake_pipe)) return 1;
  struct sigaction sa = { 0 };
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGUSR2);
  sigaction(SIGUSR1, &sa, 0);
  sa.sa_handler = on_usr2;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR2, &sa, 0);
  pthread_t th;
  pthread_create(&th, 0, sleeper, 0);
  while (!sleeper_tid) usleep(1000);
  usleep(20000); /* the sleeper is in read(2) */

  for (int round = 0; round < 3; round++) {
    /* the main thread spins in user code: the child's signals find it on a CPU */
    usr1_on = usr2_on = 0;
    usr2_seen_in_usr1 = 0;
    spin = 1;
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
      usleep(20000);
      kill(parent, SIGUSR1);
      kill(parent, SIGUSR2);
      _exit(0);
    }
    while (spin) {
    }
    waitpid(c, 0, 0);
    for (int i = 0; i < 2000 && !usr2_on; i++) usleep(1000);
    /* (which thread takes which varies natively; that they differ and SIGUSR2 does not wait does not) */
    say("round %d: SIGUSR1 and SIGUSR2 on %s, SIGUSR2's handler ran %s SIGUSR1's ended\n", round,
        !usr1_on || !usr2_on ? "(not both taken)" : usr1_on == usr2_on ? "the same thread" : "different threads",
        usr2_seen_in_usr1 ? "before" : "not before");
  }

  if (write(wake_pipe[1], "q", 1) != 1) return 1;
  pthread_join(th, 0);
  say("done\n");
  return 0;
}
