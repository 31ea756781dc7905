/* timerfd_create, timerfd_settime, timerfd_gettime: the errors, one-shot and
 * periodic expiries counted by read, TFD_TIMER_ABSTIME on the monotonic and
 * realtime clocks, readiness through poll and epoll, the file's flags and
 * fstat, the _ALARM clocks' CAP_WAKE_ALARM check, TFD_IOC_SET_TICKS and
 * TFD_TIMER_CANCEL_ON_SET. Output is compared with the host kernel's.
 * `timerfd cancel` sets the wall clock to itself and reads ECANCELED (run
 * only under umlts: natively it would set the host's clock). */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

static int set(int fd, int flags, long vs, long vns, long is, long ins, struct itimerspec *old) {
  struct itimerspec it = {{is, ins}, {vs, vns}};
  return timerfd_settime(fd, flags, &it, old);
}

static long long ns(struct timespec ts) {
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec now(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts;
}

/* read the count: the errno name, or the count */
static const char *rd(int fd, uint64_t *v) {
  ssize_t n = read(fd, v, 8);
  if (n < 0) return errno == ECANCELED ? "ECANCELED" : errname(errno);
  return n == 8 ? "OK" : "short";
}

int main(int argc, char **argv) {
  uint64_t v = 0;
  struct itimerspec cur;
  if (argc > 1 && strcmp(argv[1], "cancel") == 0) {
    int fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    struct timespec t = now(CLOCK_REALTIME);
    say("set cancel: %s\n", res(set(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, t.tv_sec + 3600, 0, 0, 0, NULL)));
    say("before: %s\n", rd(fd, &v));
    struct pollfd p = {fd, POLLIN, 0};
    say("poll before: %d\n", poll(&p, 1, 0));
    t = now(CLOCK_REALTIME);
    say("clock_settime: %s\n", res(clock_settime(CLOCK_REALTIME, &t)));
    { int pn = poll(&p, 1, 0); say("poll after: %d %#x\n", pn, p.revents); }
    say("after: %s\n", rd(fd, &v));
    say("again: %s\n", rd(fd, &v));
    timerfd_gettime(fd, &cur);
    say("still armed: %d\n", cur.it_value.tv_sec > 3500);
    /* a relative realtime timer without CANCEL_ON_SET is not cancelled */
    int fd2 = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    set(fd2, TFD_TIMER_CANCEL_ON_SET, 3600, 0, 0, 0, NULL);
    t = now(CLOCK_REALTIME);
    clock_settime(CLOCK_REALTIME, &t);
    say("relative: %s\n", rd(fd2, &v));
    return 0;
  }

  /* create: flags and clocks */
  say("bad flags: %s\n", res(timerfd_create(CLOCK_MONOTONIC, 1)));
  say("cputime clock: %s\n", res(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0)));
  say("raw clock: %s\n", res(timerfd_create(CLOCK_MONOTONIC_RAW, 0)));
  say("bad clock: %s\n", res(timerfd_create(99, 0)));
  int a1 = timerfd_create(CLOCK_REALTIME_ALARM, 0), a2 = timerfd_create(CLOCK_BOOTTIME_ALARM, 0);
  say("alarm clocks as root: %s %s\n", res(a1), res(a2));
  close(a1);
  close(a2);
  pid_t pid = fork();
  if (pid == 0) {
    if (setuid(65534) < 0) _exit(9);
    say("alarm clocks as nobody: %s %s\n", res(timerfd_create(CLOCK_REALTIME_ALARM, 0)),
        res(timerfd_create(CLOCK_BOOTTIME_ALARM, 0)));
    say("boottime as nobody: %s\n", res(timerfd_create(CLOCK_BOOTTIME, 0)));
    _exit(0);
  }
  waitpid(pid, NULL, 0);

  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  say("create: %s fd flags %#x fl %#x\n", res(fd), fcntl(fd, F_GETFD), fcntl(fd, F_GETFL));
  struct stat st;
  fstat(fd, &st);
  say("fstat: mode %o size %lld\n", st.st_mode, (long long)st.st_size);
  char link[64] = {0}, path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  (void)!readlink(path, link, sizeof link - 1);
  say("link: %s\n", link);

  /* settime and gettime: the errors */
  int efd = open("/dev/null", O_RDONLY);
  say("settime bad flags: %s\n", res(set(fd, 4, 1, 0, 0, 0, NULL)));
  say("settime bad nsec: %s\n", res(set(fd, 0, 1, 1000000000, 0, 0, NULL)));
  say("settime negative: %s\n", res(set(fd, 0, -1, 0, 0, 0, NULL)));
  say("settime bad interval: %s\n", res(set(fd, 0, 1, 0, 0, -1, NULL)));
  say("settime not a timerfd: %s\n", res(set(efd, 0, 1, 0, 0, 0, NULL)));
  say("settime bad fd: %s\n", res(set(999, 0, 1, 0, 0, 0, NULL)));
  say("settime NULL: %s\n", res(timerfd_settime(fd, 0, NULL, NULL)));
  say("gettime not a timerfd: %s\n", res(timerfd_gettime(efd, &cur)));
  say("gettime bad fd: %s\n", res(timerfd_gettime(-1, &cur)));
  say("gettime NULL: %s\n", res(timerfd_gettime(fd, NULL)));

  /* disarmed */
  timerfd_gettime(fd, &cur);
  say("fresh: %lld %lld\n", ns(cur.it_interval), ns(cur.it_value));
  say("read fresh: %s\n", rd(fd, &v));
  char small[4];
  say("read short: %s\n", res(read(fd, small, 4)));
  say("write: %s\n", res(write(fd, &v, 8)));

  /* an interval with value 0 stays disarmed but is reported */
  say("interval only: %s\n", res(set(fd, 0, 0, 0, 2, 0, NULL)));
  timerfd_gettime(fd, &cur);
  say("interval only: %lld %lld\n", ns(cur.it_interval), ns(cur.it_value));

  /* one-shot, relative */
  set(fd, 0, 0, 50000000, 0, 0, NULL);
  timerfd_gettime(fd, &cur);
  say("armed: interval %lld value in (0,50ms]: %d\n", ns(cur.it_interval), ns(cur.it_value) > 0 && ns(cur.it_value) <= 50000000);
  say("read early: %s\n", rd(fd, &v));
  struct pollfd p = {fd, POLLIN | POLLOUT, 0};
  { int pn = poll(&p, 1, 0); say("poll early: %d %#x\n", pn, p.revents); }
  { int pn = poll(&p, 1, 2000); say("poll wait: %d %#x\n", pn, p.revents); }
  { const char *e = rd(fd, &v); say("read: %s %llu\n", e, e[0] == 'O' ? (unsigned long long)v : 0ULL); }
  say("read again: %s\n", rd(fd, &v));
  timerfd_gettime(fd, &cur);
  say("expired: %lld %lld\n", ns(cur.it_interval), ns(cur.it_value));

  /* the old value, and a disarm */
  set(fd, 0, 100, 0, 7, 0, NULL);
  struct itimerspec old;
  say("disarm: %s\n", res(set(fd, 0, 0, 0, 0, 0, &old)));
  say("old: interval %lld value near 100 s: %d\n", ns(old.it_interval), old.it_value.tv_sec >= 99 && ns(old.it_value) <= 100000000000LL);

  /* periodic: 10 ms, read after 105 ms */
  set(fd, 0, 0, 10000000, 0, 10000000, NULL);
  struct timespec nap = {0, 105000000};
  nanosleep(&nap, NULL);
  rd(fd, &v);
  say("periodic: count in [9,12]: %d\n", v >= 9 && v <= 12);
  timerfd_gettime(fd, &cur);
  say("periodic: interval %lld value in (0,10ms]: %d\n", ns(cur.it_interval), ns(cur.it_value) > 0 && ns(cur.it_value) <= 10000000);

  /* blocking read, absolute monotonic */
  int bfd = timerfd_create(CLOCK_MONOTONIC, 0);
  struct timespec t0 = now(CLOCK_MONOTONIC);
  long long target = ns(t0) + 30000000;
  set(bfd, TFD_TIMER_ABSTIME, target / 1000000000, target % 1000000000, 0, 0, NULL);
  { const char *e = rd(bfd, &v); say("blocking read: %s %llu\n", e, e[0] == 'O' ? (unsigned long long)v : 0ULL); }
  say("woke after the deadline: %d\n", ns(now(CLOCK_MONOTONIC)) >= target);

  /* absolute expiry in the past: expired at once (realtime and boottime) */
  int rfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
  say("realtime past: %s\n", res(set(rfd, TFD_TIMER_ABSTIME, 1, 0, 0, 0, NULL)));
  { const char *e = rd(rfd, &v); say("realtime past read: %s %llu\n", e, e[0] == 'O' ? (unsigned long long)v : 0ULL); }
  struct timespec rt = now(CLOCK_REALTIME);
  set(rfd, TFD_TIMER_ABSTIME, rt.tv_sec + 1000, 0, 0, 0, NULL);
  timerfd_gettime(rfd, &cur);
  say("realtime future: value near 1000 s: %d\n", cur.it_value.tv_sec >= 998 && cur.it_value.tv_sec <= 1000);
  int btfd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
  set(btfd, TFD_TIMER_ABSTIME, 0, 1, 0, 0, NULL);
  { const char *e = rd(btfd, &v); say("boottime past read: %s %llu\n", e, e[0] == 'O' ? (unsigned long long)v : 0ULL); }

  /* a past absolute periodic timer counts every period since */
  struct timespec m = now(CLOCK_MONOTONIC);
  set(btfd, TFD_TIMER_ABSTIME, m.tv_sec - 1, m.tv_nsec, 0, 100000000, NULL);
  rd(btfd, &v);
  say("past periodic: count in [10,12]: %d\n", v >= 10 && v <= 12);

  /* a 1 ns period: every period counts, and the timer does not fire faster than it is read */
  set(btfd, 0, 0, 1, 0, 1, NULL);
  nanosleep(&nap, NULL);
  rd(btfd, &v);
  say("1 ns period: count over 1000000: %d\n", v > 1000000);
  set(btfd, 0, 0, 0, 0, 0, NULL);

  /* epoll, edge-triggered */
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = 42}, out;
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  set(fd, 0, 0, 20000000, 0, 0, NULL);
  say("epoll early: %d\n", epoll_wait(ep, &out, 1, 0));
  int n = epoll_wait(ep, &out, 1, 2000);
  say("epoll: %d %u %#x\n", n, out.data.u32, out.events);
  say("epoll ET again: %d\n", epoll_wait(ep, &out, 1, 0));
  { const char *e = rd(fd, &v); say("epoll read: %s %llu\n", e, e[0] == 'O' ? (unsigned long long)v : 0ULL); }

  /* TFD_IOC_SET_TICKS */
  uint64_t ticks = 0;
  say("set ticks 0: %s\n", res(ioctl(fd, TFD_IOC_SET_TICKS, &ticks)));
  ticks = 5;
  say("set ticks 5: %s\n", res(ioctl(fd, TFD_IOC_SET_TICKS, &ticks)));
  { const char *e = rd(fd, &v); say("set ticks read: %s %llu\n", e, e[0] == 'O' ? (unsigned long long)v : 0ULL); }
  say("set ticks bad pointer: %s\n", res(ioctl(fd, TFD_IOC_SET_TICKS, (void *)8)));
  say("other ioctl: %s\n", res(ioctl(fd, FIONREAD, &n)));

  /* CANCEL_ON_SET with no clock set: nothing to read */
  int cfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
  rt = now(CLOCK_REALTIME);
  say("cancel on set: %s\n", res(set(cfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, rt.tv_sec + 100, 0, 0, 0, NULL)));
  say("cancel on set read: %s\n", rd(cfd, &v));
  say("cancel on set monotonic: %s\n", res(set(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, 1, 0, 0, 0, NULL)));

  /* a timer closed while armed, and one inherited across fork */
  set(fd, 0, 0, 30000000, 0, 0, NULL);
  pid = fork();
  if (pid == 0) {
    p.fd = fd;
    p.events = POLLIN;
    { int pn = poll(&p, 1, 2000); say("child poll: %d %#x\n", pn, p.revents); }
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  { const char *e = rd(fd, &v); say("parent read: %s %llu\n", e, e[0] == 'O' ? (unsigned long long)v : 0ULL); }
  set(rfd, 0, 0, 1000000, 0, 1000000, NULL);
  close(rfd);
  nanosleep(&nap, NULL);
  say("done\n");
  return 0;
}
