/* SECCOMP_RET_USER_NOTIF, differential: a supervisor thread (not filtered:
 * it exists before the filter, which has no TSYNC) answers the main
 * thread's getppid calls through the filter's listener fd — a value, an
 * errno, "continue", fds added with ADDFD (with SEND, and at a chosen
 * number) — and a forked child's; the ioctls' errors; poll's events; a
 * listener closed under a waiting call; a wait a signal interrupts (EINTR,
 * or restarted as a new notification with SA_RESTART); WAIT_KILLABLE_RECV
 * holding a signal back once received; POLLHUP once no task uses the
 * filter; a second listener in one chain (EBUSY). Each result on a line. */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/audit.h>

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

static void show(const char *what, long r) {
  if (r < 0) say("%s: -1 %s\n", what, errname(errno));
  else say("%s: %ld\n", what, r);
}

/* getppid -> USER_NOTIF, everything else allowed */
static int listen_getppid(unsigned flags) {
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog p = { 4, f };
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER | flags, &p);
}

static int lfd;
static pid_t main_tid;
static volatile int phase;
/* the last call whose answer the supervisor has reported (shared with forked children): a caller prints its
 * result only after that, so the lines come in one order */
static volatile int *acked;
static void wait_ack(int k) {
  while (*acked < k) usleep(1000);
}

static int recv_one(struct seccomp_notif *n) {
  memset(n, 0, sizeof *n);
  return ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, n);
}
static long send_resp(__u64 id, long val, int error, unsigned flags) {
  struct seccomp_notif_resp r = { .id = id, .val = val, .error = error, .flags = flags };
  return ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &r);
}
static int revents(void) {
  struct pollfd p = { lfd, POLLIN | POLLOUT, 0 };
  poll(&p, 1, 0);
  return p.revents;
}

static int pipefd[2];
/* The supervisor threads block the test's signals, as a supervisor would: they are the main thread's alone */
static void block_signals(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGALRM);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &s, 0);
}
static void *supervisor(void *arg) {
  (void)arg;
  block_signals();
  struct seccomp_notif n;
  /* errors before anything waits */
  memset(&n, 0, sizeof n);
  n.pid = 1;
  show("sup: RECV into a dirty struct", ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &n));
  show("sup: SEND to no call", send_resp(12345, 0, 0, 0));
  __u64 bogus = 12345;
  show("sup: ID_VALID of no call", ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &bogus));
  show("sup: unknown ioctl", ioctl(lfd, SECCOMP_IOW(9, __u64), &bogus));
  show("sup: SET_FLAGS 1", ioctl(lfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, 1UL));
  show("sup: SET_FLAGS 2", ioctl(lfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, 2UL));
  show("sup: FIONREAD", ioctl(lfd, FIONREAD, &bogus));
  phase = 1;
  for (;;) {
    struct pollfd p = { lfd, POLLIN, 0 };
    poll(&p, 1, -1);
    say("sup: poll says %#x\n", p.revents);
    if (recv_one(&n) < 0) {
      show("sup: RECV", -1);
      continue;
    }
    long what = n.data.args[0];
    say("sup: call %ld from %s: nr %d arch %#x args %#llx %#llx, poll now %#x\n", what,
        n.pid == (__u32)main_tid ? "main" : n.pid == (__u32)getpid() ? "?" : "another task", n.data.nr, n.data.arch,
        (unsigned long long)n.data.args[0], (unsigned long long)n.data.args[1], revents());
    show("sup: ID_VALID", ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &n.id));
    switch (what) {
    case 1:
      show("sup: SEND bad flags", send_resp(n.id, 0, 0, 2));
      show("sup: SEND continue with a value", send_resp(n.id, 1, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE));
      show("sup: SEND 42", send_resp(n.id, 42, 0, 0));
      break;
    case 2:
      show("sup: SEND EPERM", send_resp(n.id, 0, -EPERM, 0));
      break;
    case 3:
      show("sup: SEND continue", send_resp(n.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE));
      break;
    case 4: {
      struct seccomp_notif_addfd a = { .id = n.id, .srcfd = 999 };
      show("sup: ADDFD bad srcfd", ioctl(lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &a));
      a.srcfd = pipefd[0];
      a.newfd = 50;
      show("sup: ADDFD newfd without SETFD", ioctl(lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &a));
      a.newfd = 0;
      a.newfd_flags = O_NONBLOCK;
      show("sup: ADDFD bad newfd_flags", ioctl(lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &a));
      a.newfd_flags = 0;
      a.flags = 8;
      show("sup: ADDFD bad flags", ioctl(lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &a));
      a.flags = 0;
      a.id = n.id + 1;
      show("sup: ADDFD unknown id", ioctl(lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &a));
      a.id = n.id;
      long fd = ioctl(lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
      say("sup: ADDFD: %s\n", fd >= 3 ? "an fd" : errname(errno));
      (void)!write(pipefd[1], "hello", 5);
      a.flags = SECCOMP_ADDFD_FLAG_SEND;
      a.newfd_flags = O_CLOEXEC;
      fd = ioctl(lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
      say("sup: ADDFD|SEND: %s\n", fd >= 3 ? "an fd" : errname(errno));
      show("sup: SEND after ADDFD|SEND", send_resp(n.id, 0, 0, 0));
      break;
    }
    case 5: {
      struct seccomp_notif_addfd a = { .id = n.id, .srcfd = pipefd[1], .newfd = 100, .flags = SECCOMP_ADDFD_FLAG_SETFD,
                                       .newfd_flags = O_CLOEXEC };
      show("sup: ADDFD at 100", ioctl(lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &a));
      a.newfd = 1 << 30;
      show("sup: ADDFD past the limit", ioctl(lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &a));
      show("sup: SEND 7", send_resp(n.id, 7, 0, 0));
      break;
    }
    case 6:
      show("sup: SEND 66 to the child", send_resp(n.id, 66, 0, 0));
      break;
    case 7: {
      /* not answered: the caller is interrupted (no SA_RESTART) */
      phase = 7;
      while (phase == 7) usleep(1000);
      show("sup: ID_VALID after the interruption", ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &n.id));
      show("sup: SEND after the interruption", send_resp(n.id, 1, 0, 0));
      break;
    }
    case 8: {
      /* not answered at first: SA_RESTART makes it a new call */
      static __u64 first;
      if (!first) {
        first = n.id;
        phase = 8;
        continue;
      }
      say("sup: the restarted call has a new id: %s\n", n.id != first ? "yes" : "no");
      show("sup: SEND 88", send_resp(n.id, 88, 0, 0));
      break;
    }
    case 9:
      /* closing the listener answers ENOSYS */
      phase = 9;
      usleep(50000);
      close(lfd);
      return 0;
    default:
      send_resp(n.id, -1, 0, 0);
    }
    *acked = what;
  }
}

static volatile int alarms;
static void on_alarm(int s) {
  (void)s;
  alarms++;
}

static void notify_main(void) {
  main_tid = syscall(SYS_gettid);
  pid_t ppid = getppid();
  pipe(pipefd);
  lfd = listen_getppid(0);
  say("listener: %s, close-on-exec %d\n", lfd >= 3 ? "an fd" : errname(errno), fcntl(lfd, F_GETFD));
  say("poll before any call: %#x\n", revents());
  show("a second listener in the chain", listen_getppid(0));
  pthread_t th;
  pthread_create(&th, 0, supervisor, 0);
  while (phase < 1) usleep(1000);
  long r = syscall(SYS_getppid, 1L, 0x1122334455667788L);
  wait_ack(1);
  show("getppid(1)", r);
  r = syscall(SYS_getppid, 2L);
  wait_ack(2);
  show("getppid(2)", r);
  r = syscall(SYS_getppid, 3L);
  wait_ack(3);
  show("getppid(3) continued is the real one", r == ppid);
  long fd = syscall(SYS_getppid, 4L);
  wait_ack(4);
  char buf[8] = { 0 };
  say("getppid(4): %s, reads \"%s\", close-on-exec %d\n", fd >= 3 ? "an fd" : errname(errno),
      read(fd, buf, 5) == 5 ? buf : "?", fcntl(fd, F_GETFD));
  r = syscall(SYS_getppid, 5L);
  wait_ack(5);
  show("getppid(5)", r);
  say("fd 100: close-on-exec %d, writes %ld\n", fcntl(100, F_GETFD), (long)write(100, "x", 1));
  pid_t c = fork();
  if (c == 0) {
    r = syscall(SYS_getppid, 6L);
    wait_ack(6);
    show("child: getppid(6)", r);
    _exit(0);
  }
  waitpid(c, 0, 0);
  struct sigaction sa = { 0 };
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, 0);
  struct itimerval it = { { 0, 0 }, { 0, 100000 } };
  setitimer(ITIMER_REAL, &it, 0);
  show("getppid(7), interrupted", syscall(SYS_getppid, 7L));
  phase = 70;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, 0);
  setitimer(ITIMER_REAL, &it, 0);
  r = syscall(SYS_getppid, 8L);
  wait_ack(8);
  show("getppid(8), restarted", r);
  say("alarms %d\n", alarms);
  show("getppid(9), listener closed", syscall(SYS_getppid, 9L));
  pthread_join(th, 0);
  show("getppid(10), no listener", syscall(SYS_getppid, 10L));
}

/* WAIT_KILLABLE_RECV: once received, a signal with a handler waits for the answer */
static void *killable_sup(void *arg) {
  (void)arg;
  block_signals();
  struct seccomp_notif n;
  while (recv_one(&n) < 0) {}
  phase = 2;
  usleep(300000);
  show("sup: SEND 5 after the signal came", send_resp(n.id, 5, 0, 0));
  *acked = 1;
  return 0;
}
static void killable(void) {
  main_tid = syscall(SYS_gettid);
  lfd = listen_getppid(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  say("listener: %s\n", lfd >= 3 ? "an fd" : errname(errno));
  struct sigaction sa = { 0 };
  sa.sa_handler = on_alarm;
  sigaction(SIGUSR1, &sa, 0);
  pthread_t th;
  pthread_create(&th, 0, killable_sup, 0);
  pid_t me = getpid();
  pid_t k = fork();
  if (k == 0) {
    /* a signal to the waiting thread once the call was received */
    usleep(150000);
    syscall(SYS_tgkill, me, main_tid, SIGUSR1);
    _exit(0);
  }
  long r = syscall(SYS_getppid, 1L);
  wait_ack(1);
  say("getppid: %ld, the handler had run %d time(s) when it returned\n", r, alarms);
  pthread_join(th, 0);
  waitpid(k, 0, 0);
  say("after: %d time(s)\n", alarms);
}

/* POLLHUP once no task uses the filter: a child makes it and hands the listener over */
static void hangup(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  pid_t c = fork();
  if (c == 0) {
    int l = listen_getppid(0);
    char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
    struct iovec iov = { "L", 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &l, sizeof l);
    sendmsg(sv[1], &m, 0);
    char go;
    (void)!read(sv[1], &go, 1);
    _exit(0);
  }
  char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, b;
  struct iovec iov = { &b, 1 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  recvmsg(sv[0], &m, 0);
  memcpy(&lfd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof lfd);
  say("poll while the child lives: %#x\n", revents());
  (void)!write(sv[0], "g", 1);
  waitpid(c, 0, 0);
  say("poll after it is reaped: %#x\n", revents());
}

static void tsync_listener(void) {
  struct sock_filter f[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
  struct sock_fprog p = { 1, f };
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                   SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH, &p);
  say("TSYNC|TSYNC_ESRCH|NEW_LISTENER: %s\n", r >= 3 ? "an fd" : errname(errno));
}

static void scenario(const char *name, void (*fn)(void)) {
  say("-- %s\n", name);
  *acked = 0;
  pid_t c = fork();
  if (c == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    fn();
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  if (WIFEXITED(st)) say("%s: exit %d\n", name, WEXITSTATUS(st));
  else say("%s: killed by signal %d\n", name, WTERMSIG(st));
}

int main(void) {
  acked = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  scenario("notify", notify_main);
  scenario("killable", killable);
  scenario("hangup", hangup);
  scenario("tsync listener", tsync_listener);
  return 0;
}
