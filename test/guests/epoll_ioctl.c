/* ioctl(2) on an epoll fd (fs/eventpoll.c ep_eventpoll_ioctl, Linux 6.9+): busy polling's parameters set and read
 * back, their checks, and EINVAL for any other request (FIONREAD, TCGETS); the generic FIONBIO works, FIOASYNC
 * is ENOTTY when it would change O_ASYNC (no fasync), 0 when not. */
#include "common.h"
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <stdint.h>
struct epoll_params { uint32_t busy_poll_usecs; uint16_t busy_poll_budget; uint8_t prefer_busy_poll; uint8_t __pad; };
#define EPOLL_IOC_TYPE 0x8A
#define EPIOCSPARAMS _IOW(EPOLL_IOC_TYPE, 0x01, struct epoll_params)
#define EPIOCGPARAMS _IOR(EPOLL_IOC_TYPE, 0x02, struct epoll_params)
int main(void) {
  int ep = epoll_create1(0), n = 0; struct termios t; struct epoll_params p = {0};
  say("FIONREAD %s\n", res(ioctl(ep, FIONREAD, &n)));
  say("TCGETS %s\n", res(ioctl(ep, TCGETS, &t)));
  say("0x1234 %s\n", res(ioctl(ep, 0x1234, 0)));
  say("FIONBIO %s\n", res(ioctl(ep, FIONBIO, &n)));
  long r = ioctl(ep, EPIOCGPARAMS, &p);
  say("EPIOCGPARAMS %s %u %u %u\n", res(r), p.busy_poll_usecs, p.busy_poll_budget, p.prefer_busy_poll);
  p.busy_poll_usecs = 10; p.busy_poll_budget = 8; p.prefer_busy_poll = 1;
  say("EPIOCSPARAMS %s\n", res(ioctl(ep, EPIOCSPARAMS, &p)));
  struct epoll_params q = {0};
  r = ioctl(ep, EPIOCGPARAMS, &q);
  say("EPIOCGPARAMS %s %u %u %u\n", res(r), q.busy_poll_usecs, q.busy_poll_budget, q.prefer_busy_poll);
  p.prefer_busy_poll = 2;
  say("prefer 2: %s\n", res(ioctl(ep, EPIOCSPARAMS, &p)));
  p.prefer_busy_poll = 0; p.__pad = 1;
  say("pad: %s\n", res(ioctl(ep, EPIOCSPARAMS, &p)));
  p.__pad = 0; p.busy_poll_usecs = 0x80000000u;
  say("usecs past S32_MAX: %s\n", res(ioctl(ep, EPIOCSPARAMS, &p)));
  p.busy_poll_usecs = 1; p.busy_poll_budget = 65;
  say("budget 65 as root: %s\n", res(ioctl(ep, EPIOCSPARAMS, &p)));
  setuid(65534);
  say("budget 65 as nobody: %s\n", res(ioctl(ep, EPIOCSPARAMS, &p)));
  say("EPIOCGPARAMS bad address: %s\n", res(ioctl(ep, EPIOCGPARAMS, (void *)8)));
  n = 0;
  say("FIOASYNC 0 %s\n", res(ioctl(ep, FIOASYNC, &n)));
  n = 1;
  say("FIOASYNC 1 %s\n", res(ioctl(ep, FIOASYNC, &n)));
  return 0;
}
