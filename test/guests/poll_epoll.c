/* epoll in one process: epoll_ctl's errors, level- and edge-triggered
 * reporting, EPOLLONESHOT and its re-arm, maxevents round robin, HUP/ERR,
 * nested epolls and loops, closed files, timeouts, epoll_pwait/pwait2.
 * Output is compared with the host kernel's. */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>

static int ep;

static int add(int e, int fd, uint32_t ev, uint64_t data) {
  struct epoll_event x = {.events = ev, .data.u64 = data};
  return epoll_ctl(e, EPOLL_CTL_ADD, fd, &x);
}
static int mod(int e, int fd, uint32_t ev, uint64_t data) {
  struct epoll_event x = {.events = ev, .data.u64 = data};
  return epoll_ctl(e, EPOLL_CTL_MOD, fd, &x);
}

/* one epoll_wait, printed: "n: data/events ..." */
static void wait_print(const char *what, int e, int max, int ms) {
  struct epoll_event evs[8];
  int n = epoll_wait(e, evs, max, ms);
  say("%s: %d", what, n);
  if (n < 0) say(" %s", errname(errno));
  for (int i = 0; i < n; i++) say(" %llu/%#x", (unsigned long long)evs[i].data.u64, evs[i].events);
  say("\n");
}

static long ms_since(struct timespec *a) {
  struct timespec b;
  clock_gettime(CLOCK_MONOTONIC, &b);
  return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

int main(int argc, char **argv) {
  (void)argc;
  char c;
  say("epoll_create 0: %s\n", res(epoll_create(0)));
  say("epoll_create1 bad: %s\n", res(epoll_create1(1)));
  ep = epoll_create1(EPOLL_CLOEXEC);
  say("cloexec %d\n", fcntl(ep, F_GETFD));
  int e2 = epoll_create(10);
  say("epoll_create(10) cloexec %d\n", fcntl(e2, F_GETFD));

  int p[2];
  pipe(p);
  int f = open(argv[0], O_RDONLY);
  /* errors */
  say("add: %s\n", res(add(ep, p[0], EPOLLIN, 1)));
  say("add again: %s\n", res(add(ep, p[0], EPOLLIN, 1)));
  say("mod unknown: %s\n", res(mod(ep, p[1], EPOLLOUT, 2)));
  say("del unknown: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL)));
  say("add regular file: %s\n", res(add(ep, f, EPOLLIN, 3)));
  say("add self: %s\n", res(add(ep, ep, EPOLLIN, 3)));
  say("ctl on a pipe: %s\n", res(add(p[0], p[1], EPOLLIN, 3)));
  say("ctl on a pipe, regular file: %s\n", res(add(p[0], f, EPOLLIN, 3)));
  say("bad fd: %s\n", res(add(ep, 77, EPOLLIN, 3)));
  say("bad epfd: %s\n", res(add(77, p[0], EPOLLIN, 3)));
  say("bad op: %s\n", res(epoll_ctl(ep, 9, p[0], &(struct epoll_event){0})));
  say("bad event pointer: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], (void *)8)));
  say("exclusive add: %s\n", res(add(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE, 2)));
  say("exclusive mod: %s\n", res(mod(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE, 2)));
  say("mod of exclusive: %s\n", res(mod(ep, p[1], EPOLLOUT, 2)));
  say("del: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL)));
  say("exclusive|oneshot: %s\n", res(add(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLONESHOT, 2)));
  say("exclusive epoll: %s\n", res(add(ep, e2, EPOLLIN | EPOLLEXCLUSIVE, 2)));
  struct epoll_event evs[4];
  say("wait maxevents 0: %s\n", res(epoll_wait(ep, evs, 0, 0)));
  say("wait maxevents -1: %s\n", res(syscall(SYS_epoll_wait, ep, evs, -1, 0)));
  say("wait on a pipe: %s\n", res(epoll_wait(p[0], evs, 1, 0)));
  say("wait bad fd: %s\n", res(epoll_wait(77, evs, 1, 0)));
  say("wait kernel pointer: %s\n", res(epoll_wait(ep, (void *)0xffff800000000000UL, 1, 0)));

  /* level-triggered */
  wait_print("LT empty", ep, 4, 0);
  write(p[1], "ab", 2);
  wait_print("LT data", ep, 4, 0);
  wait_print("LT again", ep, 4, 0);
  read(p[0], &c, 1);
  wait_print("LT one byte left", ep, 4, 0);
  read(p[0], &c, 1);
  wait_print("LT drained", ep, 4, 0);

  /* edge-triggered: one event per write, none while nothing changes */
  say("mod ET: %s\n", res(mod(ep, p[0], EPOLLIN | EPOLLET, 11)));
  wait_print("ET empty", ep, 4, 0);
  write(p[1], "a", 1);
  wait_print("ET write", ep, 4, 0);
  wait_print("ET again", ep, 4, 0);
  write(p[1], "b", 1);
  wait_print("ET second write", ep, 4, 0);
  read(p[0], &c, 1);
  wait_print("ET after a read", ep, 4, 0);
  read(p[0], &c, 1);

  /* oneshot: reported once, then disabled until MOD */
  say("mod ONESHOT: %s\n", res(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 12)));
  write(p[1], "a", 1);
  wait_print("ONESHOT", ep, 4, 0);
  wait_print("ONESHOT again", ep, 4, 0);
  write(p[1], "b", 1);
  wait_print("ONESHOT after a write", ep, 4, 0);
  say("re-arm: %s\n", res(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 13)));
  wait_print("ONESHOT re-armed", ep, 4, 0);
  say("mod to LT: %s\n", res(mod(ep, p[0], EPOLLIN, 14)));
  wait_print("LT", ep, 4, 0);
  read(p[0], &c, 1);
  read(p[0], &c, 1);

  /* write end: EPOLLOUT, then EPOLLERR when the reader goes */
  int q[2];
  pipe(q);
  add(ep, q[1], EPOLLOUT, 20);
  wait_print("pipe writable", ep, 4, 0);
  epoll_ctl(ep, EPOLL_CTL_DEL, q[1], NULL);
  add(ep, q[1], EPOLLIN, 21);
  wait_print("not asked for OUT", ep, 4, 0);
  close(q[0]);
  wait_print("reader gone: ERR without asking", ep, 4, 0);
  close(q[1]);
  wait_print("closed: gone from the set", ep, 4, 0);
  pipe(q);
  add(ep, q[0], EPOLLIN | EPOLLRDHUP, 22);
  write(q[1], "z", 1);
  close(q[1]);
  wait_print("writer gone: IN|HUP", ep, 4, 0);
  close(q[0]);

  /* a dup keeps the registration alive after the registered fd is closed */
  pipe(q);
  add(ep, q[0], EPOLLIN, 23);
  int d = dup(q[0]);
  close(q[0]);
  write(q[1], "z", 1);
  wait_print("registered fd closed, dup open", ep, 4, 0);
  say("del of the closed fd: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL)));
  close(d);
  wait_print("dup closed too", ep, 4, 0);
  close(q[1]);

  /* round robin under maxevents (level-triggered items go to the back) */
  int a = eventfd(1, 0), b = eventfd(1, 0), cc = eventfd(1, 0);
  int e3 = epoll_create1(0);
  add(e3, a, EPOLLIN, 31);
  add(e3, b, EPOLLIN, 32);
  add(e3, cc, EPOLLIN, 33);
  wait_print("max 2 (1)", e3, 2, 0);
  wait_print("max 2 (2)", e3, 2, 0);
  wait_print("max 2 (3)", e3, 2, 0);
  wait_print("max 1", e3, 1, 0);
  wait_print("max 8", e3, 8, 0);

  /* eventfd, edge-triggered: a write of 0 is an event too */
  int e4 = epoll_create1(0);
  add(e4, a, EPOLLIN | EPOLLOUT | EPOLLET, 41);
  wait_print("eventfd ET", e4, 4, 0);
  wait_print("eventfd ET again", e4, 4, 0);
  eventfd_write(a, 0);
  wait_print("eventfd ET after writing 0", e4, 4, 0);
  eventfd_t v;
  eventfd_read(a, &v);
  wait_print("eventfd ET after a read", e4, 4, 0);

  /* nesting: an epoll is readable when one of its items is ready; loops are refused */
  int inner = epoll_create1(0), outer = epoll_create1(0);
  pipe(q);
  add(inner, q[0], EPOLLIN, 51);
  say("add inner to outer: %s\n", res(add(outer, inner, EPOLLIN, 52)));
  say("add outer to inner: %s\n", res(add(inner, outer, EPOLLIN, 53)));
  wait_print("outer, nothing", outer, 4, 0);
  struct pollfd pf = {inner, POLLIN, 0};
  int n;
  n = poll(&pf, 1, 0);
  say("poll inner: %d %#x\n", n, pf.revents);
  write(q[1], "n", 1);
  wait_print("outer, inner ready", outer, 4, 0);
  n = poll(&pf, 1, 0);
  say("poll inner: %d %#x\n", n, pf.revents);
  wait_print("inner", inner, 4, 0);

  /* nesting depth (EP_MAX_NESTS 4): a chain built top-down is too deep when the epolls above the new link
   * count, not only those below it; an epoll closed mid-chain no longer counts */
  int chain[7];
  for (int i = 0; i < 7; i++) chain[i] = epoll_create1(0);
  for (int i = 0; i < 5; i++) say("chain %d into %d: %s\n", i + 1, i, res(add(chain[i], chain[i + 1], EPOLLIN, 70 + i)));
  close(chain[2]);
  say("chain 6 into 5, 2 closed: %s\n", res(add(chain[5], chain[6], EPOLLIN, 76)));
  say("chain 5 into 4, 2 closed: %s\n", res(add(chain[4], chain[5], EPOLLIN, 75)));
  for (int i = 0; i < 7; i++) if (i != 2) close(chain[i]);

  /* timeouts */
  struct timespec t0;
  int e5 = epoll_create1(0);
  pipe(q);
  add(e5, q[0], EPOLLIN, 61);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  n = epoll_wait(e5, evs, 4, 50);
  long ms = ms_since(&t0);
  say("wait 50ms: %d, waited >= 45ms: %d, < 1000: %d\n", n, ms >= 45, ms < 1000);
  sigset_t ss;
  sigemptyset(&ss);
  say("pwait sigsetsize 4: %s\n", res(syscall(SYS_epoll_pwait, e5, evs, 4, 0, &ss, 4)));
  say("pwait no mask, sigsetsize 4: %s\n", res(syscall(SYS_epoll_pwait, e5, evs, 4, 0, NULL, 4)));
  say("pwait: %d\n", epoll_pwait(e5, evs, 4, 10, &ss));
  struct timespec ts = {0, 1000000000};
  say("pwait2 bad timespec: %s\n", res(syscall(SYS_epoll_pwait2, e5, evs, 4, &ts, NULL, 8)));
  ts.tv_nsec = 20000000;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  n = syscall(SYS_epoll_pwait2, e5, evs, 4, &ts, NULL, 8);
  ms = ms_since(&t0);
  say("pwait2 20ms: %d, waited >= 15ms: %d, timespec untouched: %ld\n", n, ms >= 15, ts.tv_nsec);
  write(q[1], "w", 1);
  n = syscall(SYS_epoll_pwait2, e5, evs, 4, NULL, NULL, 8);
  say("pwait2 NULL timeout, ready: %d %llu\n", n, (unsigned long long)evs[0].data.u64);

  /* epoll fds are anonymous inodes */
  char link[64] = {0};
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", e5);
  readlink(path, link, sizeof link);
  say("link %s\n", link);
  snprintf(path, sizeof path, "/proc/self/fd/%d", a);
  memset(link, 0, sizeof link);
  readlink(path, link, sizeof link);
  say("link %s\n", link);
  return 0;
}
