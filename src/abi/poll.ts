/** poll(2) and epoll(7) event bits and epoll_ctl operations (include/uapi/asm-generic/poll.h, linux/eventpoll.h). */
export const POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20,
  POLLRDNORM = 0x40, POLLRDBAND = 0x80, POLLWRNORM = 0x100, POLLWRBAND = 0x200, POLLRDHUP = 0x2000;
export const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
/** linux/eventpoll.h (6.9+): struct epoll_params (u32 busy_poll_usecs, u16 busy_poll_budget, u8 prefer_busy_poll,
 * u8 __pad) and the epoll fd's ioctls, _IOW/_IOR(0x8a, 1/2, struct epoll_params) */
export const EPOLL_PARAMS_SIZE = 8, EPIOCSPARAMS = 0x40088a01, EPIOCGPARAMS = 0x80088a02;
export const EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29, EPOLLONESHOT = 1 << 30, EPOLLET = 0x80000000;
