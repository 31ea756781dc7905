/* poll, ppoll, select, pselect6 and eventfd in one process: readiness of
 * pipes, eventfds and regular files, POLLNVAL/EBADF, timeouts (0, short,
 * written back), select's nfds truncation and whole-long write-back, and the
 * errors. Output is compared with the host kernel's. */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

static long ms_since(struct timespec *a) {
  struct timespec b;
  clock_gettime(CLOCK_MONOTONIC, &b);
  return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static short pollone(int fd, short ev) {
  struct pollfd p = {fd, ev, 0x7777};
  int r = poll(&p, 1, 0);
  if (r < 0) say("poll: %s\n", errname(errno));
  return p.revents;
}

int main(int argc, char **argv) {
  (void)argc;
  int p[2];
  pipe(p);
  struct timespec t0;

  /* poll: readiness, revents write-back, negative and closed fds */
  struct pollfd fds[4] = {{p[0], POLLIN, 0x55}, {p[1], POLLOUT | POLLIN, 0x55}, {-1, POLLIN, 0x55}, {99, POLLIN, 0x55}};
  int r = poll(fds, 4, 0);
  say("poll empty: %d revents %#x %#x %#x %#x\n", r, fds[0].revents, fds[1].revents, fds[2].revents, fds[3].revents);
  write(p[1], "a", 1);
  r = poll(fds, 2, -1);
  say("poll data: %d revents %#x %#x\n", r, fds[0].revents, fds[1].revents);
  say("rdnorm/rdband/pri %#x\n", pollone(p[0], POLLRDNORM | POLLRDBAND | POLLPRI | POLLIN));
  char c;
  read(p[0], &c, 1);
  say("poll nfds 0, 0 ms: %d\n", poll(NULL, 0, 0));
  clock_gettime(CLOCK_MONOTONIC, &t0);
  r = poll(fds, 1, 60);
  long ms = ms_since(&t0);
  say("poll 60 ms: %d, waited >= 55ms: %d, < 1000ms: %d\n", r, ms >= 55, ms < 1000);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  say("poll nfds > RLIMIT_NOFILE: %s\n", res(poll(fds, rl.rlim_cur + 1, 0)));
  say("poll bad pointer: %s\n", res(syscall(SYS_poll, (void *)8, 1, 0)));

  /* regular files: always ready, with RDNORM/WRNORM */
  int f = open(argv[0], O_RDONLY);
  say("regular file %#x\n", pollone(f, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLPRI));

  /* ppoll: timespec checks, sigsetsize, remaining time written back (raw syscall: glibc copies it) */
  struct timespec ts = {0, 1000000000};
  say("ppoll bad nsec: %s\n", res(syscall(SYS_ppoll, fds, 1, &ts, NULL, 8)));
  ts.tv_nsec = -1;
  say("ppoll negative: %s\n", res(syscall(SYS_ppoll, fds, 1, &ts, NULL, 8)));
  sigset_t ss;
  sigemptyset(&ss);
  ts.tv_nsec = 0;
  say("ppoll sigsetsize 4: %s\n", res(syscall(SYS_ppoll, fds, 1, &ts, &ss, 4)));
  say("ppoll sigsetsize 4, no mask: %s\n", res(syscall(SYS_ppoll, fds, 1, &ts, NULL, 4)));
  ts.tv_sec = 0;
  ts.tv_nsec = 30000000;
  r = syscall(SYS_ppoll, fds, 1, &ts, &ss, 8);
  say("ppoll 30ms: %d, left %ld.%09ld\n", r, (long)ts.tv_sec, ts.tv_nsec);
  ts.tv_sec = 10;
  ts.tv_nsec = 0;
  r = syscall(SYS_ppoll, &fds[1], 1, &ts, NULL, 8);
  say("ppoll ready: %d, left about 10s: %d\n", r, ts.tv_sec == 9 || (ts.tv_sec == 10 && ts.tv_nsec == 0));
  ts.tv_sec = 0;
  r = syscall(SYS_ppoll, fds, 1, &ts, NULL, 8);
  say("ppoll zero timeout: %d, left %ld.%09ld\n", r, (long)ts.tv_sec, ts.tv_nsec);

  /* select */
  fd_set rd, wr, ex;
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_ZERO(&ex);
  FD_SET(p[0], &rd);
  FD_SET(p[1], &rd);
  FD_SET(p[0], &wr);
  FD_SET(p[1], &wr);
  FD_SET(p[0], &ex);
  struct timeval tv = {0, 0};
  r = select(p[1] + 1, &rd, &wr, &ex, &tv);
  say("select empty pipe: %d rd %d%d wr %d%d ex %d\n", r, FD_ISSET(p[0], &rd), FD_ISSET(p[1], &rd), FD_ISSET(p[0], &wr), FD_ISSET(p[1], &wr), FD_ISSET(p[0], &ex));
  write(p[1], "b", 1);
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_SET(p[0], &rd);
  FD_SET(p[1], &wr);
  FD_SET(f, &rd);
  FD_SET(f, &wr);
  r = select(f + 1, &rd, &wr, NULL, NULL);
  say("select data: %d rd %d%d wr %d%d\n", r, FD_ISSET(p[0], &rd), FD_ISSET(f, &rd), FD_ISSET(p[1], &wr), FD_ISSET(f, &wr));
  read(p[0], &c, 1);
  FD_ZERO(&rd);
  FD_SET(50, &rd);
  say("select closed fd: %s\n", res(select(51, &rd, NULL, NULL, &tv)));
  say("select nfds -1: %s\n", res(select(-1, NULL, NULL, NULL, &tv)));
  tv.tv_usec = -1;
  say("select usec -1: %s\n", res(syscall(SYS_select, 0, NULL, NULL, NULL, &tv)));
  tv.tv_sec = -1;
  tv.tv_usec = 0;
  say("select sec -1: %s\n", res(syscall(SYS_select, 0, NULL, NULL, NULL, &tv)));
  /* the bits past nfds in the last long are cleared (the fd table's size, which
   * also caps nfds, depends on the parent here: not tested) */
  tv.tv_sec = 0;
  tv.tv_usec = 0;
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  FD_SET(p[0] + 1, &rd);
  FD_SET(p[0] + 2, &rd);
  r = syscall(SYS_select, p[0] + 1, &rd, NULL, NULL, &tv);
  say("select: bits past nfds: %d %d %d\n", FD_ISSET(p[0], &rd), FD_ISSET(p[0] + 1, &rd), FD_ISSET(p[0] + 2, &rd));
  /* timeouts: elapsed, written back, usec carried into seconds */
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  tv.tv_sec = 0;
  tv.tv_usec = 40000;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  r = syscall(SYS_select, p[0] + 1, &rd, NULL, NULL, &tv);
  ms = ms_since(&t0);
  say("select 40ms: %d, waited >= 35ms: %d, left %ld.%06ld, rd %d\n", r, ms >= 35, (long)tv.tv_sec, (long)tv.tv_usec, FD_ISSET(p[0], &rd));
  FD_ZERO(&wr);
  FD_SET(p[1], &wr);
  tv.tv_sec = 0;
  tv.tv_usec = 2500000;
  r = syscall(SYS_select, p[1] + 1, NULL, &wr, NULL, &tv);
  say("select usec 2.5s, ready: %d, left about 2.5s: %d\n", r, tv.tv_sec == 2 && tv.tv_usec > 400000);
  tv.tv_sec = 0;
  tv.tv_usec = 0;
  r = syscall(SYS_select, p[1] + 1, NULL, &wr, NULL, &tv);
  say("select zero timeout: %d, left %ld.%06ld\n", r, (long)tv.tv_sec, (long)tv.tv_usec);

  /* pselect6: timespec and the sigmask argument pack */
  struct {
    sigset_t *ss;
    size_t len;
  } pack = {&ss, 4};
  ts.tv_sec = 0;
  ts.tv_nsec = 0;
  FD_ZERO(&wr);
  FD_SET(p[1], &wr);
  say("pselect6 ss_len 4: %s\n", res(syscall(SYS_pselect6, p[1] + 1, NULL, &wr, NULL, &ts, &pack)));
  pack.len = 8;
  r = syscall(SYS_pselect6, p[1] + 1, NULL, &wr, NULL, &ts, &pack);
  say("pselect6: %d\n", r);
  pack.ss = NULL;
  pack.len = 3;
  say("pselect6 NULL mask, ss_len 3: %s\n", res(syscall(SYS_pselect6, p[1] + 1, NULL, &wr, NULL, &ts, &pack)));
  say("pselect6 bad pack: %s\n", res(syscall(SYS_pselect6, p[1] + 1, NULL, &wr, NULL, &ts, (void *)8)));
  ts.tv_nsec = 20000000;
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  r = syscall(SYS_pselect6, p[0] + 1, &rd, NULL, NULL, &ts, NULL);
  say("pselect6 20ms: %d, left %ld.%09ld\n", r, (long)ts.tv_sec, ts.tv_nsec);

  /* eventfd */
  say("eventfd2 bad flags: %s\n", res(eventfd(0, 0x10)));
  int e = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
  struct stat st;
  fstat(e, &st);
  say("eventfd: flags %#x cloexec %d mode %o\n", fcntl(e, F_GETFL), fcntl(e, F_GETFD), st.st_mode);
  say("eventfd revents %#x\n", pollone(e, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM));
  uint64_t v = 0;
  say("read 4 bytes: %s\n", res(read(e, &v, 4)));
  r = read(e, &v, 8);
  say("read: %d %llu\n", r, (unsigned long long)v);
  say("read empty: %s, revents %#x\n", res(read(e, &v, 8)), pollone(e, POLLIN | POLLOUT));
  v = UINT64_MAX;
  say("write max: %s\n", res(write(e, &v, 8)));
  v = UINT64_MAX - 1;
  r = write(e, &v, 8);
  say("write max-1: %d, revents %#x\n", r, pollone(e, POLLIN | POLLOUT));
  v = 1;
  say("overflow: %s\n", res(write(e, &v, 8)));
  v = 0;
  r = write(e, &v, 8);
  say("write 0: %d\n", r);
  say("write 4 bytes: %s\n", res(write(e, &v, 4)));
  uint64_t big[2] = {5, 6};
  read(e, &v, 8);
  r = write(e, big, 16);
  read(e, &v, 8);
  say("write 16 bytes: %s, counter %llu\n", res(r), (unsigned long long)v);
  close(e);
  e = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
  for (int i = 0; i < 4; i++) {
    r = read(e, &v, 8);
    say("semaphore read: %d %s %llu\n", r, res(r), (unsigned long long)v);
  }
  e = eventfd(0, 0);
  say("blocking eventfd flags %#x\n", fcntl(e, F_GETFL));
  FD_ZERO(&rd);
  FD_SET(e, &rd);
  tv.tv_sec = 0;
  tv.tv_usec = 0;
  say("select eventfd empty: %d\n", select(e + 1, &rd, NULL, NULL, &tv));
  eventfd_write(e, 2);
  FD_SET(e, &rd);
  say("select eventfd: %d\n", select(e + 1, &rd, NULL, NULL, NULL));

  /* the pipe's writer gone: POLLHUP even when only POLLIN is asked; select says readable */
  close(p[1]);
  say("hup %#x\n", pollone(p[0], POLLIN));
  say("hup, nothing asked %#x\n", pollone(p[0], 0));
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  say("select at EOF: %d\n", select(p[0] + 1, &rd, NULL, NULL, NULL));
  return 0;
}
