/* /proc/self/fdinfo/<fd>, natively and under umlts: pos and flags (with
 * O_CLOEXEC from the fd) for a file and a pipe, and the lines of eventfd,
 * timerfd, signalfd, epoll and pidfd (not a unix socket's scm_fds yet). Mount ids, inode numbers,
 * devices and eventfd ids differ between kernels and are left out. */
#include "common.h"
#include <dirent.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>

static void show(const char *what, int fd) {
  char p[64], b[4096];
  snprintf(p, sizeof p, "/proc/self/fdinfo/%d", fd);
  int f = open(p, O_RDONLY);
  if (f < 0) {
    say("%s: %s\n", what, errname(errno));
    return;
  }
  int n = read(f, b, sizeof b - 1);
  close(f);
  b[n < 0 ? 0 : n] = 0;
  say("%s:\n", what);
  for (char *s = b, *e; *s; s = *e ? e + 1 : e) {
    e = strchr(s, '\n');
    if (!e) e = s + strlen(s);
    if (!strncmp(s, "mnt_id:", 7) || !strncmp(s, "ino:", 4) || !strncmp(s, "eventfd-id:", 11)) continue;
    int len = (int)(e - s);
    char *cut = strstr(s, " ino:"); /* an epoll item's target inode and device */
    if (!strncmp(s, "tfd:", 4) && cut && cut < e) len = (int)(cut - s);
    say("  [%.*s]\n", len, s);
  }
}

int main(void) {
  int f = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  lseek(f, 100, SEEK_SET);
  show("file at 100, cloexec", f);
  int p[2];
  pipe2(p, O_NONBLOCK);
  show("pipe read end", p[0]);
  show("pipe write end", p[1]);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  int e = eventfd(5, EFD_SEMAPHORE | EFD_NONBLOCK);
  show("eventfd 5, semaphore", e);
  uint64_t v = 0x1234567890ULL;
  write(e, &v, 8);
  show("eventfd after a write", e);
  int t = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
  show("timerfd fresh", t);
  struct itimerspec its = {{7, 500}, {0, 0}};
  timerfd_settime(t, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL);
  show("timerfd disarmed, interval kept, flags", t);
  int mt = timerfd_create(CLOCK_MONOTONIC, 0);
  its.it_value.tv_nsec = 1000000;
  its.it_interval.tv_sec = 0;
  its.it_interval.tv_nsec = 0;
  timerfd_settime(mt, 0, &its, NULL);
  usleep(20000);
  show("timerfd expired once", mt);
  sigset_t ss;
  sigemptyset(&ss);
  sigaddset(&ss, SIGUSR1);
  sigaddset(&ss, SIGTERM);
  sigaddset(&ss, SIGKILL);
  sigaddset(&ss, SIGRTMIN + 3);
  int sfd = signalfd(-1, &ss, SFD_NONBLOCK);
  show("signalfd", sfd);
  int ep = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN | EPOLLET, {.u64 = 0xabcdef0123ULL}};
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  show("epoll", ep);
  int ep2 = epoll_create1(0); /* one item each: Linux lists them in the order of their files' addresses */
  ev.events = EPOLLOUT;
  ev.data.u64 = 7;
  epoll_ctl(ep2, EPOLL_CTL_ADD, sv[0], &ev);
  show("another epoll", ep2);
  int pid = fork();
  if (pid == 0) _exit(0);
  int pfd = syscall(SYS_pidfd_open, pid, 0);
  waitpid(pid, NULL, 0);
  show("pidfd of a reaped child", pfd);
  show("closed fd", 99);
  /* the directory lists the open fds */
  DIR *d = opendir("/proc/self/fdinfo");
  int fds = 0, ok = 1;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    fds++;
    if (fcntl(atoi(de->d_name), F_GETFD) < 0 && atoi(de->d_name) != dirfd(d)) ok = 0;
  }
  say("listing: every entry an open fd: %d, more than 10: %d\n", ok, fds > 10);
  struct stat st;
  stat("/proc/self/fdinfo", &st);
  say("directory mode %o\n", st.st_mode & 07777);
  stat("/proc/self/fdinfo/0", &st);
  say("file mode %o\n", st.st_mode & 07777);
  return 0;
}
