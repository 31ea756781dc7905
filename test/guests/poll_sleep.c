/* Sleep argv[1] ms in total, split over poll, select, epoll_wait, a blocking
 * pipe read woken by an itimer's SIGALRM, and pause: the caller measures the
 * host CPU this costs. */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/time.h>

static void on_alrm(int sig) { (void)sig; }

int main(int argc, char **argv) {
  int ms = argc > 1 ? atoi(argv[1]) : 0;
  int part = ms / 5;
  int p[2];
  pipe(p);
  struct pollfd pf = {p[0], POLLIN, 0};
  if (poll(&pf, 1, part) != 0) say("poll: woke early\n");
  struct timeval tv = {part / 1000, (part % 1000) * 1000};
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  if (select(p[0] + 1, &rd, NULL, NULL, &tv) != 0) say("select: woke early\n");
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN};
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  if (epoll_wait(ep, &ev, 1, part) != 0) say("epoll_wait: woke early\n");
  struct sigaction sa = {0};
  sa.sa_handler = on_alrm;
  sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: the read ends with EINTR */
  struct itimerval it = {{0, 0}, {part / 1000, (part % 1000) * 1000 + 1}};
  setitimer(ITIMER_REAL, &it, NULL);
  char c;
  if (read(p[0], &c, 1) != -1 || errno != EINTR) say("read: not interrupted\n");
  setitimer(ITIMER_REAL, &it, NULL);
  pause();
  say("done\n");
  return 0;
}
