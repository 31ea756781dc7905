/* adjtimex(2) and clock_adjtime(2), compared with the host kernel: a
 * reading (modes 0, ADJ_OFFSET_SS_READ) tells the clock's state and its
 * discipline's constants; any change is refused (EPERM: the host's clock is
 * not the guest's to steer), and the checks before that come in Linux's
 * order. Only fields that do not move between two readings are printed. */
#include "common.h"
#include <sys/timex.h>
#include <time.h>

#ifndef ADJ_ADJTIME
#define ADJ_ADJTIME 0x8000
#endif

static const char *er(long r) { return r < 0 ? errname(errno) : "OK"; }

static void show(const char *label, long r, struct timex *t) {
  if (r < 0) { say("%s: %s\n", label, errname(errno)); return; }
  say("%s: state %ld status %#x tick %ld constant %ld precision %ld tolerance %ld maxerror>0 %d freq %ld tai %d modes %#x\n",
      label, r, t->status, t->tick, t->constant, t->precision, t->tolerance, t->maxerror > 0, t->freq, t->tai, t->modes);
}

int main(int argc, char **argv) {
  struct timex t;
  if (argc > 1 && !strcmp(argv[1], "as-root")) {
    /* under umlts only: natively this would steer the host's clock */
    memset(&t, 0, sizeof t);
    t.modes = ADJ_FREQUENCY;
    t.freq = 10;
    say("root: set the frequency: %s\n", er(syscall(SYS_adjtimex, &t)));
    t.modes = ADJ_SETOFFSET;
    t.time.tv_sec = 1;
    say("root: ADJ_SETOFFSET: %s\n", er(syscall(SYS_clock_adjtime, CLOCK_REALTIME, &t)));
    return 0;
  }
  memset(&t, 0, sizeof t);
  show("adjtimex read", syscall(SYS_adjtimex, &t), &t);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  say("its time is the realtime clock's (within 2 s): %d\n", t.time.tv_sec >= now.tv_sec - 2 && t.time.tv_sec <= now.tv_sec + 2);
  memset(&t, 0, sizeof t);
  t.modes = ADJ_OFFSET_SS_READ;
  show("ADJ_OFFSET_SS_READ", syscall(SYS_adjtimex, &t), &t);
  memset(&t, 0, sizeof t);
  show("clock_adjtime REALTIME", syscall(SYS_clock_adjtime, CLOCK_REALTIME, &t), &t);
  memset(&t, 0, sizeof t);
  show("clock_adjtime TAI", syscall(SYS_clock_adjtime, CLOCK_TAI, &t), &t);
  memset(&t, 0, sizeof t);
  say("clock_adjtime MONOTONIC: %s\n", er(syscall(SYS_clock_adjtime, CLOCK_MONOTONIC, &t)));
  say("clock_adjtime BOOTTIME: %s\n", er(syscall(SYS_clock_adjtime, CLOCK_BOOTTIME, &t)));
  say("clock_adjtime 99: %s\n", er(syscall(SYS_clock_adjtime, 99, &t)));
  say("clock_adjtime bad pointer: %s\n", er(syscall(SYS_clock_adjtime, CLOCK_REALTIME, (void *)8)));
  say("adjtimex bad pointer: %s\n", er(syscall(SYS_adjtimex, (void *)8)));
  /* changes, as nobody (natively, root's would steer the host's clock) */
  pid_t pid = fork();
  if (pid == 0) {
    if (setuid(65534) != 0) _exit(1);
    memset(&t, 0, sizeof t);
    t.modes = ADJ_FREQUENCY;
    t.freq = 10;
    say("nobody: set the frequency: %s\n", er(syscall(SYS_adjtimex, &t)));
    t.modes = ADJ_OFFSET_SINGLESHOT;
    t.offset = 1000;
    say("nobody: singleshot adjustment: %s\n", er(syscall(SYS_adjtimex, &t)));
    t.modes = ADJ_ADJTIME;
    say("nobody: ADJ_ADJTIME alone: %s\n", er(syscall(SYS_adjtimex, &t)));
    t.modes = ADJ_TICK;
    t.tick = 5;
    say("nobody: a tick off by more than 10%%: %s\n", er(syscall(SYS_adjtimex, &t)));
    t.modes = ADJ_SETOFFSET;
    t.time.tv_sec = 0;
    t.time.tv_usec = 2000000;
    say("nobody: ADJ_SETOFFSET: %s\n", er(syscall(SYS_clock_adjtime, CLOCK_REALTIME, &t)));
    memset(&t, 0, sizeof t);
    show("nobody: a reading", syscall(SYS_adjtimex, &t), &t);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  say("child: %d\n", st);
  say("done\n");
  return 0;
}
