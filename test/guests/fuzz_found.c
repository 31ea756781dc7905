/* Calls the fuzzer (test/guests/fuzz.c) found taking the kernel down, each
 * made the simplest way and compared with Linux (test/fuzz.test.mjs). Each
 * runs in a child of its own under alarm(10), so that a regression shows as
 * a line that differs ("SIGALRM"), not as a hang of the whole test.
 */
#include "common.h"
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static void run(const char *name, void (*fn)(void)) {
  pid_t c = fork();
  if (c == 0) {
    alarm(10);
    fn();
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  if (WIFSIGNALED(st)) say("%s: killed by %s\n", name, strsignal(WTERMSIG(st)));
}

static uint32_t word;

/* A futex wait with an absolute CLOCK_REALTIME timeout long past: the
 * deadline, converted to the monotonic clock, is below its zero (the host's
 * timerfd refused it: kernel error). Linux: ETIMEDOUT at once. */
static void futex_realtime_past(void) {
  struct timespec ts = { 0, 0 };
  long r = syscall(SYS_futex, &word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &ts, NULL, FUTEX_BITSET_MATCH_ANY);
  say("futex WAIT_BITSET|CLOCK_REALTIME at 0: %s\n", res(r));
}

/* The same on the monotonic clock at exactly its zero: a deadline of 0
 * disarmed the kernel's timer (the wait lasted until something else woke
 * the kernel). Linux: ETIMEDOUT at once. */
static void futex_monotonic_zero(void) {
  struct timespec ts = { 0, 0 };
  long r = syscall(SYS_futex, &word, FUTEX_WAIT_BITSET, 0, &ts, NULL, FUTEX_BITSET_MATCH_ANY);
  say("futex WAIT_BITSET at monotonic 0: %s\n", res(r));
}

/* clock_nanosleep to an absolute time long past, on both clocks: at once. */
static void nanosleep_past(void) {
  struct timespec ts = { 0, 0 };
  say("clock_nanosleep REALTIME abs 0: %d\n", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL));
  say("clock_nanosleep MONOTONIC abs 0: %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL));
}

/* clone(2) with an exit signal beyond the last signal (the low byte of its
 * flags, 100): at the child's exit the parent got signal "100", queued
 * under another number's bit (kernel error: a queued signal not found).
 * Linux sends nothing (do_notify_parent: valid_signal) and the parent
 * reaps the child with __WALL. */
static void clone_bad_exit_signal(void) {
  long c = syscall(SYS_clone, 100, 0, 0, 0, 0);
  if (c == 0) _exit(3);
  int st = 0;
  long w = c < 0 ? -1 : waitpid((pid_t)c, &st, __WALL);
  say("clone exit signal 100: clone %s, wait %s, status %#x\n", c < 0 ? errname(errno) : "OK", res(w), st);
  sigset_t pend;
  sigpending(&pend);
  int n = 0;
  for (int s = 1; s < 65; s++) n += sigismember(&pend, s) == 1;
  say("clone exit signal 100: %d signals pending\n", n);
}

int main(void) {
  run("futex_realtime_past", futex_realtime_past);
  run("futex_monotonic_zero", futex_monotonic_zero);
  run("nanosleep_past", nanosleep_past);
  run("clone_bad_exit_signal", clone_bad_exit_signal);
  say("done\n");
  return 0;
}
