/* EPOLLEXCLUSIVE: four threads, each with its own epoll watching one
 * eventfd exclusively, all asleep in epoll_wait: one write wakes one of
 * them (the others sleep on until their timeout); without the flag it
 * wakes all four. */
#define _GNU_SOURCE
#include "asleep.h"
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 4
static int efd, exclusive;
static pid_t tids[N];
static int got[N];

static void *waiter(void *a) {
  long i = (long)a;
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | (exclusive ? EPOLLEXCLUSIVE : 0)};
  epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
  tids[i] = syscall(SYS_gettid);
  got[i] = epoll_wait(ep, &ev, 1, 1500);
  close(ep);
  return 0;
}

static void run(int excl) {
  exclusive = excl;
  efd = eventfd(0, EFD_NONBLOCK);
  pthread_t th[N];
  memset(tids, 0, sizeof tids);
  for (long i = 0; i < N; i++) pthread_create(&th[i], 0, waiter, (void *)i);
  for (int i = 0; i < N; i++) {
    while (!__atomic_load_n(&tids[i], __ATOMIC_SEQ_CST)) usleep(1000);
    wait_asleep(tids[i]);
  }
  uint64_t one = 1;
  write(efd, &one, sizeof one);
  int woken = 0;
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], 0);
    woken += got[i] == 1;
  }
  printf("%s: %d of %d epoll_waits saw the event\n", excl ? "EPOLLEXCLUSIVE" : "without EPOLLEXCLUSIVE", woken, N);
  close(efd);
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  run(1);
  run(0);
  return 0;
}
