/* Record locks and flock(2) at their edges, natively and under umlts, on a
 * file in a host directory (argv[1]): the order of fcntl's lock errors,
 * F_OFD_GETLK with F_UNLCK (the caller's own lock), splitting and merging
 * seen from another process, POSIX locks dropped by any close of the file
 * (close, dup2 over an fd, execve's close-on-exec) but kept by OFD locks,
 * flock's LOCK_MAND (ignored), EDEADLK, an interrupted F_SETLKW. */
#include "common.h"
#include <fcntl.h>
#include <sys/file.h>
#include <stdlib.h>
static char F[512];
static void getlk(const char *what, int fd, int cmd, short type, long start, long len, int pid) {
  struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len, .l_pid = pid };
  int r = fcntl(fd, cmd, &fl);
  if (r < 0) say("%s: %s\n", what, errname(errno));
  else say("%s: type %d whence %d start %ld len %ld pid %s\n", what, fl.l_type, fl.l_whence, (long)fl.l_start, (long)fl.l_len,
           fl.l_pid == pid ? "kept" : fl.l_pid == -1 ? "-1" : fl.l_pid == getpid() ? "self" : fl.l_pid == getppid() ? "parent" : "other");
}
static int setlk(int fd, int cmd, short type, short whence, long start, long len) {
  struct flock fl = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len };
  return fcntl(fd, cmd, &fl);
}
static int lkp(int fd, int cmd, short type, short whence, long start, long len, int pid) {
  struct flock fl = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len, .l_pid = pid };
  return fcntl(fd, cmd, &fl);
}
/* another process's view: which of bytes 0..19 a write lock would conflict on, and the first conflict */
static void map(const char *what) {
  int pid = fork();
  if (pid == 0) {
    int fd = open(F, O_RDWR);
    say("%s:", what);
    for (int i = 0; i < 20; i++) {
      struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = i, .l_len = 1 };
      fcntl(fd, F_GETLK, &fl);
      say(" %c", fl.l_type == F_UNLCK ? '.' : fl.l_type == F_RDLCK ? 'r' : 'w');
    }
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    fcntl(fd, F_GETLK, &fl);
    say(" | first %d %ld %ld\n", fl.l_type, (long)fl.l_start, (long)fl.l_len);
    _exit(0);
  }
  waitpid(pid, 0, 0);
}
static void on_alarm(int s) { (void)s; }

int main(int argc, char **argv) {
  if (argc > 2 && !strcmp(argv[1], "exec")) {
    /* after an execve that closed a close-on-exec fd of the file: the lock taken through another fd is gone */
    snprintf(F, sizeof F, "%s", argv[2]);
    map("after an exec closing a cloexec fd");
    int fd = atoi(argv[3]);
    setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 5);
    char fds[16];
    snprintf(fds, sizeof fds, "%d", fd);
    execl("/proc/self/exe", argv[0], "exec2", F, fds, (char *)NULL);
    say("exec2: %s\n", errname(errno));
    return 1;
  }
  if (argc > 2 && !strcmp(argv[1], "exec2")) {
    snprintf(F, sizeof F, "%s", argv[2]);
    map("after an exec closing nothing of it");
    unlink(F);
    return 0;
  }
  snprintf(F, sizeof F, "%s/lockfile", argc > 1 ? argv[1] : "/tmp");

  int fd = open(F, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) { say("open %s: %s\n", F, errname(errno)); return 1; }
  write(fd, "0123456789", 10);
  int ro = open(F, O_RDONLY), wo = open(F, O_WRONLY);
  say("wrlck on rdonly: %s\n", res(setlk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1)));
  say("rdlck on wronly: %s\n", res(setlk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1)));
  say("unlck on rdonly: %s\n", res(setlk(ro, F_SETLK, F_UNLCK, SEEK_SET, 0, 1)));
  say("bad type: %s\n", res(setlk(fd, F_SETLK, 7, SEEK_SET, 0, 1)));
  say("bad whence: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, 5, 0, 1)));
  say("bad type+bad whence: %s\n", res(setlk(fd, F_SETLK, 7, 5, 0, 1)));
  say("neg start: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, -1, 1)));
  say("neg len past 0: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 2, -3)));
  say("overflow: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0x7fffffffffffffffL, 2)));
  say("overflow start end: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, SEEK_END, 0x7fffffffffffffffL, 1)));
  say("bad type+overflow: %s\n", res(setlk(fd, F_SETLK, 7, SEEK_END, 0x7fffffffffffffffL, 1)));
  say("wrlck on rdonly+overflow: %s\n", res(setlk(ro, F_SETLK, F_WRLCK, SEEK_END, 0x7fffffffffffffffL, 1)));
  { struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 5 };
    say("ofd pid!=0: %s\n", res(fcntl(fd, F_OFD_SETLK, &fl)));
    say("ofd pid!=0 on rdonly wrlck: %s\n", res(fcntl(ro, F_OFD_SETLK, &fl)));
    say("ofd getlk pid!=0: %s\n", res(fcntl(fd, F_OFD_GETLK, &fl)));
    fl.l_type = 9; say("ofd getlk bad type pid!=0: %s\n", res(fcntl(fd, F_OFD_GETLK, &fl)));
  }
  getlk("getlk unlck", fd, F_GETLK, F_UNLCK, 0, 1, 12345);
  getlk("getlk none", fd, F_GETLK, F_WRLCK, 0, 1, 12345);
  getlk("ofd getlk none", fd, F_OFD_GETLK, F_WRLCK, 0, 0, 0);
  say("getlk bad ptr: %s\n", res(fcntl(fd, F_GETLK, (void *)8)));
  /* splitting and merging */
  say("w 0-9: %s\n", res(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10)));
  map("after w0-9");
  say("r 3-5: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 3, 3)));
  map("after r3-5");
  say("u 4: %s\n", res(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 4, 1)));
  map("after u4");
  say("r 4 (merge): %s\n", res(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 4, 1)));
  say("w 10-12 (adjacent): %s\n", res(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 3)));
  map("after merges");
  say("neg len: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 18, -3)));
  map("neg len 15-17");
  say("seek_cur: %ld %s\n", (long)lseek(fd, 14, SEEK_SET), res(setlk(fd, F_SETLK, F_UNLCK, SEEK_CUR, 0, 1)));
  say("seek_end: %s\n", res(setlk(fd, F_SETLK, F_WRLCK, SEEK_END, 9, 1)));
  map("seek_cur/end");
  say("u all: %s\n", res(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0)));
  map("none");
  /* close of another fd of the same file drops POSIX locks */
  setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 5);
  int other = open(F, O_RDONLY); close(other);
  map("after close other");
  setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 5);
  int d = dup(fd); dup2(ro, d);
  map("after dup2 over a dup");
  setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 5);
  d = dup(fd); close(d);
  map("after close of dup");
  /* OFD locks survive close of another fd, conflict with own posix locks */
  say("ofd w 0-4: %s\n", res(setlk(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 5)));
  say("posix w 2 same process: %s\n", res(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 2, 1)));
  int fd2 = open(F, O_RDWR);
  say("ofd w 2 other ofd: %s\n", res(setlk(fd2, F_OFD_SETLK, F_WRLCK, SEEK_SET, 2, 1)));
  getlk("ofd getlk other", fd2, F_OFD_GETLK, F_WRLCK, 0, 0, 0);
  getlk("ofd getlk unlck: own", fd, F_OFD_GETLK, F_UNLCK, 0, 0, 0);
  getlk("ofd getlk unlck: another's", fd2, F_OFD_GETLK, F_UNLCK, 0, 0, 0);
  getlk("ofd getlk unlck: own, outside", fd, F_OFD_GETLK, F_UNLCK, 6, 0, 0);
  getlk("posix getlk sees ofd", fd2, F_GETLK, F_RDLCK, 0, 0, 0);
  other = open(F, O_RDONLY); close(other);
  map("ofd after close other");
  close(fd2);
  setlk(fd, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0);
  map("ofd unlocked");
  /* flock */
  int a = open(F, O_RDONLY), b = open(F, O_RDONLY);
  say("flock a EX: %s\n", res(flock(a, LOCK_EX | LOCK_NB)));
  say("flock b SH: %s\n", res(flock(b, LOCK_SH | LOCK_NB)));
  int ad = dup(a);
  say("flock dup EX: %s\n", res(flock(ad, LOCK_EX | LOCK_NB)));
  close(a);
  say("flock b SH after close a (dup holds): %s\n", res(flock(b, LOCK_SH | LOCK_NB)));
  close(ad);
  say("flock b SH after close dup: %s\n", res(flock(b, LOCK_SH | LOCK_NB)));
  say("flock bad op: %s\n", res(flock(b, 0)));
  say("flock bad op SH|EX: %s\n", res(flock(b, LOCK_SH|LOCK_EX)));
  say("flock bad op 32: %s\n", res(flock(b, 32)));
  say("flock LOCK_MAND: %s\n", res(flock(b, 32|LOCK_SH)));
  say("flock UN|NB: %s\n", res(flock(b, LOCK_UN|LOCK_NB)));
  say("flock badfd: %s\n", res(flock(99, LOCK_SH)));
  /* flock vs fcntl independent */
  flock(b, LOCK_EX);
  say("posix lock under flock: %s\n", res(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0)));
  int pid = fork();
  if (pid == 0) {
    int c = open(F, O_RDONLY);
    say("child flock NB: %s\n", res(flock(c, LOCK_SH | LOCK_NB)));
    say("child inherited flock on b UN: %s\n", res(flock(b, LOCK_UN)));
    say("child flock NB after: %s\n", res(flock(c, LOCK_SH | LOCK_NB)));
    _exit(0);
  }
  waitpid(pid, 0, 0);
  say("parent flock b EX again: %s\n", res(flock(b, LOCK_EX | LOCK_NB)));
  /* posix lock not inherited; child sees conflict with parent's */
  pid = fork();
  if (pid == 0) {
    say("child setlk: %s\n", res(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1)));
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
    fcntl(fd, F_GETLK, &fl);
    say("child getlk: type %d pid %s\n", fl.l_type, fl.l_pid == getppid() ? "parent" : "other");
    _exit(0);
  }
  waitpid(pid, 0, 0);
  /* EDEADLK */
  setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
  setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
  int pp[2]; pipe(pp);
  pid = fork();
  if (pid == 0) {
    setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
    write(pp[1], "x", 1);
    int r = setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
    say("child setlkw: %s\n", res(r));
    _exit(0);
  }
  char c; read(pp[0], &c, 1);
  usleep(100000);
  say("parent setlkw deadlock: %s\n", res(setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1)));
  setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);
  waitpid(pid, 0, 0);
  /* F_SETLKW interrupted by signal */
  setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
  pid = fork();
  if (pid == 0) { setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1); write(pp[1], "x", 1); pause(); _exit(0); }
  read(pp[0], &c, 1);
  struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = 0 };
  sigaction(SIGALRM, &sa, 0);
  alarm(1);
  say("setlkw interrupted: %s\n", res(setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1)));
  kill(pid, SIGKILL); waitpid(pid, 0, 0);
  say("setlkw after holder died: %s\n", res(setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1)));
  /* the order of the checks */
  say("getlk bad type, overflow: %s\n", res(lkp(fd, F_GETLK, 9, SEEK_END, 0x7fffffffffffffffL, 1, 0)));
  say("getlk unlck, overflow: %s\n", res(lkp(fd, F_GETLK, F_UNLCK, SEEK_END, 0x7fffffffffffffffL, 1, 0)));
  say("ofd getlk bad type, overflow: %s\n", res(lkp(fd, F_OFD_GETLK, 9, SEEK_END, 0x7fffffffffffffffL, 1, 0)));
  say("ofd getlk pid, overflow: %s\n", res(lkp(fd, F_OFD_GETLK, F_RDLCK, SEEK_END, 0x7fffffffffffffffL, 1, 3)));
  say("ofd setlk pid, bad type: %s\n", res(lkp(fd, F_OFD_SETLK, 9, SEEK_SET, 0, 1, 3)));
  say("ofd setlk unlck, pid: %s\n", res(lkp(ro, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 1, 3)));
  say("setlk bad type, rdonly: %s\n", res(lkp(ro, F_SETLK, 9, SEEK_SET, 0, 1, 0)));
  say("setlkw wrlck, rdonly, negative start: %s\n", res(lkp(ro, F_SETLKW, F_WRLCK, SEEK_SET, -5, 1, 0)));
  say("flock LOCK_MAND, bad fd: %s\n", res(flock(99, 32)));
  say("flock LOCK_MAND|LOCK_EX, bad fd: %s\n", res(flock(99, 32 | LOCK_EX)));
  say("flock 64: %s\n", res(flock(fd, 64)));
  say("flock LOCK_NB alone: %s\n", res(flock(fd, LOCK_NB)));
  int pf = open(F, O_PATH);
  say("flock O_PATH: %s\n", res(flock(pf, LOCK_SH)));
  close(pf);
  /* execve's close-on-exec closes an fd of the file: the process's POSIX locks on it go */
  setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
  int ce = open(F, O_RDONLY | O_CLOEXEC);
  (void)ce;
  setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 5);
  map("before the exec");
  char fds[16];
  snprintf(fds, sizeof fds, "%d", fd);
  execl("/proc/self/exe", argv[0], "exec", F, fds, (char *)NULL);
  say("exec: %s\n", errname(errno));
  return 1;
}
