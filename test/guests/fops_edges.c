/* What files without a read, write, llseek or fsync of their own answer
 * (vfs_read and vfs_write hand even 0 bytes to the file; noop_llseek; no
 * f_op->fsync is EINVAL), compared with the host kernel: eventfd, epoll,
 * timerfd, signalfd, pidfd, pipes, sockets, directories, devices, procfs
 * and tmpfs files. */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>

static void probe(const char *name, int fd) {
  char b[8];
  say("%s:", name);
  long r = read(fd, b, 0);
  say(" read0 %ld %s", r, res(r));
  r = write(fd, b, 0);
  say(" write0 %ld %s", r, res(r));
  struct iovec iov = {b, 0};
  r = readv(fd, &iov, 1);
  say(" readv0 %s", res(r));
  r = writev(fd, &iov, 1);
  say(" writev0 %s", res(r));
  r = pread(fd, b, 0, 0);
  say(" pread0 %s", res(r));
  r = lseek(fd, 5, SEEK_SET);
  say(" lseek5 %ld %s", r, res(r));
  r = lseek(fd, -1, SEEK_CUR);
  say(" lseek-1 %ld %s", r, res(r));
  r = lseek(fd, 0, 9);
  say(" whence9 %s", res(r));
  r = pread(fd, b, 8, 0);
  say(" pread %s", res(r));
  say(" fsync %s fdatasync %s\n", res(fsync(fd)), res(fdatasync(fd)));
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  probe("eventfd", eventfd(3, 0));
  probe("epoll", epoll_create1(0));
  int t = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec its = {{0, 0}, {100, 0}};
  timerfd_settime(t, 0, &its, NULL);
  probe("timerfd", t);
  sigset_t ss;
  sigemptyset(&ss);
  sigaddset(&ss, SIGUSR1);
  int sfd = signalfd(-1, &ss, 0);
  probe("signalfd", sfd);
  struct stat a, b;
  int e = eventfd(0, 0);
  fstat(sfd, &a);
  fstat(e, &b);
  say("signalfd and eventfd on one inode: %d\n", a.st_dev == b.st_dev && a.st_ino == b.st_ino);
  probe("pidfd", syscall(SYS_pidfd_open, getpid(), 0));
  int p[2];
  pipe(p);
  probe("pipe read end", p[0]);
  probe("pipe write end", p[1]);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  probe("unix stream", sv[0]);
  socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv);
  probe("unix dgram, empty", sv[0]);
  say("recv of nothing, empty dgram: %s\n", res(recv(sv[0], b.st_size ? NULL : (void *)&a, 0, 0)));
  probe("udp, empty", socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
  probe("directory", open("/", O_RDONLY | O_DIRECTORY));
  probe("/proc directory", open("/proc/self", O_RDONLY | O_DIRECTORY));
  probe("/proc file", open("/proc/self/status", O_RDONLY));
  probe("/dev/null", open("/dev/null", O_RDWR));
  probe("/dev/zero", open("/dev/zero", O_RDWR));
  probe("/dev directory", open("/dev", O_RDONLY | O_DIRECTORY));
  probe("sysfs file", open("/sys/devices/system/cpu/online", O_RDONLY));
  probe("tmpfs file", open("/tmp", O_TMPFILE | O_RDWR, 0600));
  probe("memfd", memfd_create("x", 0));
  return 0;
}
