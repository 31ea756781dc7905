/* Scheduling attributes: nice values (getpriority/setpriority for a
 * process, a thread, a process group and a user, with EPERM/EACCES for an
 * unprivileged caller), policies and real-time priorities, their limits,
 * sched_rr_get_interval, SCHED_RESET_ON_FORK, and CPU affinity (a mask is
 * obeyed: getcpu stays in it; children inherit it; a mask with no CPU is
 * EINVAL). Run as root; the unprivileged cases drop to uid 65534 in a
 * child. Output is compared with the host kernel's. */
#include "common.h"
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

/* getpriority through the raw syscall: 20 - nice, or -1 with errno */
static long rawprio(int which, int who) {
  return syscall(SYS_getpriority, which, who);
}

static void show_sched(const char *what, pid_t pid) {
  struct sched_param p = {-1};
  int pol = sched_getscheduler(pid);
  const char *e1 = res(pol);
  int r = sched_getparam(pid, &p);
  say("%s: policy %d (%s) prio %d (%s)\n", what, pol, e1, p.sched_priority, res(r));
}

static pthread_barrier_t bar;
static volatile long thread_tid;
static void *thread_main(void *arg) {
  (void)arg;
  thread_tid = syscall(SYS_gettid);
  pthread_barrier_wait(&bar); /* tid published */
  pthread_barrier_wait(&bar); /* main has set our nice */
  say("thread: own nice %ld\n", rawprio(PRIO_PROCESS, 0));
  return NULL;
}

static int ncpus_in(cpu_set_t *s) {
  return CPU_COUNT(s);
}

int main(void) {
  /* ---- nice values ---- */
  say("getpriority self: %ld\n", rawprio(PRIO_PROCESS, 0));
  say("setpriority 5: %s\n", res(setpriority(PRIO_PROCESS, 0, 5)));
  long raw = rawprio(PRIO_PROCESS, 0);
  say("getpriority after: %ld (nice %d)\n", raw, getpriority(PRIO_PROCESS, 0));
  say("setpriority 100 (clamped): %s\n", res(setpriority(PRIO_PROCESS, 0, 100)));
  say("nice %d\n", getpriority(PRIO_PROCESS, 0));
  say("setpriority -3 as root: %s\n", res(setpriority(PRIO_PROCESS, 0, -3)));
  say("nice %d\n", getpriority(PRIO_PROCESS, 0));
  say("bad which: %s\n", res(setpriority(7, 0, 0)));
  say("getpriority bad which: %s\n", res(rawprio(3, 0)));
  say("getpriority, no such pid: %s\n", res(rawprio(PRIO_PROCESS, 999999)));
  say("setpriority, no such pid: %s\n", res(setpriority(PRIO_PROCESS, 999999, 1)));
  say("pgrp: %ld\n", rawprio(PRIO_PGRP, 0));
  setpriority(PRIO_PROCESS, 0, 0);

  /* a thread's nice value is its own */
  pthread_t th;
  pthread_barrier_init(&bar, NULL, 2);
  pthread_create(&th, NULL, thread_main, NULL);
  pthread_barrier_wait(&bar);
  say("set thread nice 7: %s\n", res(setpriority(PRIO_PROCESS, (int)thread_tid, 7)));
  raw = rawprio(PRIO_PROCESS, 0);
  say("main nice %ld, thread nice %ld\n", raw, rawprio(PRIO_PROCESS, (int)thread_tid));
  pthread_barrier_wait(&bar);
  pthread_join(th, NULL);

  /* an unprivileged process: may raise its nice, not lower it; may not touch others */
  pid_t parent = getpid();
  pid_t c = fork();
  if (c == 0) {
    if (setgid(65534) < 0 || setuid(65534) < 0) _exit(99);
    say("child: setpriority 10: %s\n", res(setpriority(PRIO_PROCESS, 0, 10)));
    say("child: setpriority 5 (lower): %s\n", res(setpriority(PRIO_PROCESS, 0, 5)));
    say("child: setpriority parent: %s\n", res(setpriority(PRIO_PROCESS, parent, 10)));
    say("child: nice %d\n", getpriority(PRIO_PROCESS, 0));
    struct sched_param p = {10};
    say("child: SCHED_FIFO: %s\n", res(sched_setscheduler(0, SCHED_FIFO, &p)));
    p.sched_priority = 0;
    say("child: SCHED_BATCH: %s\n", res(sched_setscheduler(0, SCHED_BATCH, &p)));
    say("child: SCHED_IDLE: %s\n", res(sched_setscheduler(0, SCHED_IDLE, &p)));
    say("child: back to SCHED_OTHER: %s\n", res(sched_setscheduler(0, SCHED_OTHER, &p)));
    say("child: parent's policy: %s\n", res(sched_setscheduler(parent, SCHED_BATCH, &p)));
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    say("child: setaffinity of parent: %s\n", res(sched_setaffinity(parent, sizeof one, &one)));
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  say("parent nice after child: %d\n", getpriority(PRIO_PROCESS, 0));

  /* ---- policies ---- */
  int pols[] = {SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, 6 /* DEADLINE */, -23, 4};
  for (unsigned i = 0; i < sizeof pols / sizeof pols[0]; i++) {
    int lo = sched_get_priority_min(pols[i]);
    const char *elo = res(lo);
    int hi = sched_get_priority_max(pols[i]);
    say("policy %d: min %d (%s)", pols[i], lo, elo);
    say(" max %d (%s)\n", hi, res(hi));
  }
  show_sched("initial", 0);
  struct sched_param p = {0};
  say("BATCH: %s\n", res(sched_setscheduler(0, SCHED_BATCH, &p)));
  show_sched("batch", 0);
  p.sched_priority = 1;
  say("OTHER prio 1: %s\n", res(sched_setscheduler(0, SCHED_OTHER, &p)));
  p.sched_priority = 0;
  say("FIFO prio 0: %s\n", res(sched_setscheduler(0, SCHED_FIFO, &p)));
  p.sched_priority = 100;
  say("FIFO prio 100: %s\n", res(sched_setscheduler(0, SCHED_FIFO, &p)));
  say("bad policy: %s\n", res(sched_setscheduler(0, 9, &p)));
  say("NULL param: %s\n", res(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL)));
  say("getscheduler pid -1: %s\n", res(sched_getscheduler(-1)));
  say("getparam pid -1: %s\n", res(sched_getparam(-1, &p)));
  say("no such pid: %s\n", res(sched_getscheduler(999999)));
  p.sched_priority = 3;
  say("RR 3: %s\n", res(sched_setscheduler(0, SCHED_RR, &p)));
  show_sched("rr", 0);
  struct timespec ts = {-1, -1};
  say("rr interval: %s", res(sched_rr_get_interval(0, &ts)));
  say(" %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
  p.sched_priority = 5;
  say("setparam 5: %s\n", res(sched_setparam(0, &p)));
  show_sched("rr 5", 0);
  p.sched_priority = 0;
  say("setparam 0 (RR): %s\n", res(sched_setparam(0, &p)));
  p.sched_priority = 2;
  say("FIFO|RESET_ON_FORK 2: %s\n", res(sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &p)));
  show_sched("fifo reset", 0);
  ts.tv_sec = -1;
  say("fifo rr interval: %s", res(sched_rr_get_interval(0, &ts)));
  say(" %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
  setpriority(PRIO_PROCESS, 0, -4);
  c = fork();
  if (c == 0) {
    show_sched("child of reset-on-fork", 0);
    say("child nice %d\n", getpriority(PRIO_PROCESS, 0));
    _exit(0);
  }
  waitpid(c, &st, 0);
  p.sched_priority = 0;
  say("back to OTHER: %s\n", res(sched_setscheduler(0, SCHED_OTHER, &p)));
  setpriority(PRIO_PROCESS, 0, 0);
  show_sched("final", 0);
  ts.tv_sec = -1;
  say("other rr interval: %s", res(sched_rr_get_interval(0, &ts)));
  say(" %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
  say("rr interval pid -1: %s\n", res(sched_rr_get_interval(-1, &ts)));
  say("rr interval, no such pid: %s\n", res(sched_rr_get_interval(999999, &ts)));

  /* ---- affinity ---- */
  cpu_set_t all, set;
  CPU_ZERO(&all);
  say("getaffinity: %s\n", res(sched_getaffinity(0, sizeof all, &all)));
  int n = ncpus_in(&all);
  say("cpus: %s\n", n >= 1 ? "some" : "none");
  say("getaffinity len 4: %s\n", res(syscall(SYS_sched_getaffinity, 0, 4, &set)));
  say("getaffinity len 12: %s\n", res(syscall(SYS_sched_getaffinity, 0, 12, &set)));
  long bytes = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
  say("getaffinity returns %ld\n", bytes);
  CPU_ZERO(&set);
  say("empty mask: %s\n", res(sched_setaffinity(0, sizeof set, &set)));
  CPU_SET(1000, &set);
  say("mask of a CPU that is not there: %s\n", res(sched_setaffinity(0, sizeof set, &set)));
  say("setaffinity, no such pid: %s\n", res(sched_setaffinity(999999, sizeof all, &all)));
  say("getaffinity, no such pid: %s\n", res(sched_getaffinity(999999, sizeof all, &all)));
  int last = -1;
  for (int i = 0; i < CPU_SETSIZE; i++) if (CPU_ISSET(i, &all)) last = i;
  CPU_ZERO(&set);
  CPU_SET(last, &set);
  say("pin to the last CPU: %s\n", res(sched_setaffinity(0, sizeof set, &set)));
  cpu_set_t got;
  sched_getaffinity(0, sizeof got, &got);
  say("now %d CPU(s), the last: %d\n", ncpus_in(&got), CPU_ISSET(last, &got));
  int bad = 0;
  for (int i = 0; i < 200; i++) {
    unsigned cpu = 99, node;
    syscall(SYS_getcpu, &cpu, &node, NULL);
    if ((int)cpu != last) bad++;
    for (volatile int k = 0; k < 20000; k++) {
    }
  }
  say("getcpu outside the mask: %d times\n", bad);
  c = fork();
  if (c == 0) {
    cpu_set_t cs;
    sched_getaffinity(0, sizeof cs, &cs);
    say("child inherits: %d CPU(s), the last: %d\n", ncpus_in(&cs), CPU_ISSET(last, &cs));
    _exit(0);
  }
  waitpid(c, &st, 0);
  say("restore: %s\n", res(sched_setaffinity(0, sizeof all, &all)));
  sched_getaffinity(0, sizeof got, &got);
  say("restored: %s\n", CPU_EQUAL(&got, &all) ? "yes" : "no");
  say("yield: %s\n", res(sched_yield()));
  return 0;
}
