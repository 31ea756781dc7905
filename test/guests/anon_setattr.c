/* fchmod, fchown, futimens and chmod/chown through /proc/self/fd on files with no place in the namespace: an
 * unnamed pipe's and a socket's inodes (pipefs, sockfs) take them, as root and as their owner (fstat shows the
 * change; the two ends of a pipe share one inode), and refuse others (EPERM); anonymous inodes (eventfd, epoll,
 * timerfd, signalfd, inotify, pidfd) refuse everyone with EOPNOTSUPP (anon_inode_setattr, pidfs). Also
 * ioctl(FIONREAD) on each (epoll's is EINVAL since Linux 6.9: ep_eventpoll_ioctl). Times are printed only where
 * they are set (a fresh socket's are 0 or not, as its recycled inode had them). As nobody the /proc/self/fd paths
 * are left out (umlts does not have proc_fd_permission's exception for the process itself yet). */
#include "common.h"
#include <fcntl.h>
#include <grp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

static void show(const char *what, int fd, int times) {
  struct stat st;
  fstat(fd, &st);
  say("%s: mode %o uid %d gid %d", what, st.st_mode, st.st_uid, st.st_gid);
  if (times) say(" atime %ld mtime %ld", (long)st.st_atime, (long)st.st_mtime);
  say("\n");
}

static int root = 1;

static void try(const char *what, int fd, int times) {
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  show(what, fd, times);
  say("  fchmod 04751 %s", res(fchmod(fd, 04751)));
  say(", fchown 1:2 %s", res(fchown(fd, 1, 2)));
  if (root) say(", chmod /proc/self/fd 0640 %s", res(chmod(p, 0640)));
  if (root) say(", chown /proc/self/fd 3:-1 %s", res(chown(p, 3, -1)));
  say(", fchownat AT_EMPTY_PATH -1:4 %s\n", res(fchownat(fd, "", -1, 4, AT_EMPTY_PATH)));
  struct timespec ts[2] = {{1000, 0}, {2000, 0}};
  say("  futimens %s", res(futimens(fd, ts)));
  if (root) say(", utimensat /proc/self/fd %s", res(utimensat(AT_FDCWD, p, ts, 0)));
  say(", futimens now %s", res(futimens(fd, NULL)));
  int n = -1;
  say(", FIONREAD %s\n", res(ioctl(fd, FIONREAD, &n)));
  show("  after", fd, times);
}

int main(int argc, char **argv) {
  (void)argv;
  int p[2], sv[2];
  pipe(p);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  int e = eventfd(0, 0), ep = epoll_create1(0), tfd = timerfd_create(CLOCK_MONOTONIC, 0), in = inotify_init();
  sigset_t ss;
  sigemptyset(&ss);
  sigaddset(&ss, SIGUSR1);
  int sfd = signalfd(-1, &ss, 0);
  int hold[2];
  pipe(hold);
  int pid = fork();
  if (pid == 0) { /* until the parent's end closes (its exit): a nobody parent may not kill a root child */
    char c;
    close(hold[1]);
    read(hold[0], &c, 1);
    _exit(0);
  }
  close(hold[0]);
  int pfd = syscall(SYS_pidfd_open, pid, 0);
  if (argc > 1) { /* as nobody: the pipe and socket above are root's; those made now are nobody's */
    setgroups(0, NULL);
    setgid(65534);
    setuid(65534);
    root = 0;
    say("as nobody\n");
  }
  try("pipe read end", p[0], 0);
  show("pipe write end (the same inode)", p[1], 0);
  try("socket", sv[0], 0);
  show("its peer (an inode of its own)", sv[1], 0);
  try("eventfd", e, 0);
  try("epoll", ep, 0);
  try("timerfd", tfd, 0);
  try("signalfd", sfd, 0);
  try("inotify", in, 0);
  try("pidfd", pfd, 0);
  int q[2];
  pipe(q);
  try("a pipe of its own", q[0], 0);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  try("an inet socket of its own", s, 0);
  struct timespec ts[2] = {{1000, 0}, {2000, 0}};
  futimens(q[1], ts);
  futimens(s, ts);
  show("times set: pipe", q[0], 1);
  show("times set: socket", s, 1);
  close(hold[1]);
  waitpid(pid, NULL, 0);
  return 0;
}
