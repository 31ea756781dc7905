/* A call asleep on a file keeps that file for its whole duration (fdget's
 * reference), whatever another thread does to its fd meanwhile:
 *  - read on a pipe, recv on a socket, accept, epoll_wait and flock go on
 *    when the fd is closed or another file is dup2'd over it, and finish
 *    with the file they started on (the pipe keeps its reader: the write
 *    that wakes the reader gets no EPIPE);
 *  - the reference goes with the call: once it returns, or a signal ends it
 *    (EINTR), the pipe has no reader left and a write gets EPIPE;
 *  - so too for a read its seccomp listener let go on (CONTINUE) before it
 *    slept.
 * The other thread acts only once the caller sleeps (its /proc stat says S). */
#define _GNU_SOURCE
#include "asleep.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <unistd.h>

static pid_t callerTid;
static volatile int started;
/* wait until the calling thread sleeps in its call, then a little longer */
static void waitAsleep(void) {
  while (!started) usleep(1000);
  wait_asleep(callerTid);
}

static int fds[2], lfd, epfd, lockfd;
static long r;
static int err;
static char got[16];

static void *doRead(void *a) {
  callerTid = syscall(SYS_gettid); started = 1;
  r = read(fds[0], got, sizeof got); err = errno; return a;
}
static void *doRecv(void *a) {
  callerTid = syscall(SYS_gettid); started = 1;
  r = recv(fds[0], got, sizeof got, 0); err = errno; return a;
}
static void *doAccept(void *a) {
  callerTid = syscall(SYS_gettid); started = 1;
  r = accept(lfd, 0, 0); err = errno;
  if (r >= 0) close(r), r = 1; /* its number: Linux reserves it before the call sleeps */
  return a;
}
static void *doEpoll(void *a) {
  struct epoll_event ev;
  callerTid = syscall(SYS_gettid); started = 1;
  r = epoll_wait(epfd, &ev, 1, 5000); err = errno; return a;
}
static volatile int listener = -1;
/* read(fds[0]) goes to a seccomp listener first (this thread's filter only) */
static void *doNotifiedRead(void *a) {
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_read, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)fds[0], 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog p = {6, f};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  int l = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &p);
  if (l < 0) {
    perror("seccomp");
    return a;
  }
  listener = l;
  return doRead(a);
}
static void *doFlock(void *a) {
  callerTid = syscall(SYS_gettid); started = 1;
  r = flock(lockfd, LOCK_EX); err = errno; return a;
}

/* what the other thread does to the fd: close it, or dup2 /dev/null over it */
static void spoil(int fd, int dup) {
  if (dup) {
    int n = open("/dev/null", O_RDONLY);
    dup2(n, fd);
    close(n);
  } else {
    close(fd);
  }
}

static void report(const char *what, int dup) {
  printf("%s, its fd %s while it sleeps: %ld %s\n", what, dup ? "dup2'd over" : "closed", r, r < 0 ? strerror(err) : "");
}

static void run(void *(*fn)(void *), pthread_t *th) {
  started = 0; r = -99; err = 0; memset(got, 0, sizeof got);
  pthread_create(th, 0, fn, 0);
  waitAsleep();
}

static char path[64];
static void onSignal(int sig) { (void)sig; }

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  signal(SIGPIPE, SIG_IGN);
  pthread_t th;
  for (int dup = 0; dup < 2; dup++) {
    pipe(fds);
    run(doRead, &th);
    spoil(fds[0], dup);
    long w = write(fds[1], "hi", 2);
    pthread_join(th, 0);
    report("pipe read", dup);
    printf("  the write that woke it: %ld, it read \"%s\"\n", w, got);
    w = write(fds[1], "again", 5);
    printf("  a write after it returned: %ld %s\n", w, w < 0 ? strerror(errno) : "");
    close(fds[1]);
    if (dup) close(fds[0]);

    socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
    run(doRecv, &th);
    spoil(fds[0], dup);
    send(fds[1], "yo", 2, 0);
    pthread_join(th, 0);
    report("recv", dup);
    w = send(fds[1], "again", 5, MSG_NOSIGNAL);
    printf("  it got \"%s\"; a send after it returned: %ld %s\n", got, w, w < 0 ? strerror(errno) : "");
    close(fds[1]);
    if (dup) close(fds[0]);

    snprintf(path, sizeof path, "/tmp/close_blocked.%d", (int)getpid());
    unlink(path);
    lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {AF_UNIX};
    strcpy(sa.sun_path, path);
    bind(lfd, (void *)&sa, sizeof sa);
    listen(lfd, 4);
    run(doAccept, &th);
    spoil(lfd, dup);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    int k = connect(c, (void *)&sa, sizeof sa);
    pthread_join(th, 0);
    report("accept", dup);
    printf("  the connect that woke it: %d\n", k);
    close(c);
    if (dup) close(lfd);
    unlink(path);

    epfd = epoll_create1(0);
    pipe(fds);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fds[0], &ev);
    run(doEpoll, &th);
    spoil(epfd, dup);
    write(fds[1], "x", 1);
    pthread_join(th, 0);
    report("epoll_wait", dup);
    close(fds[0]);
    close(fds[1]);
    if (dup) close(epfd);

    snprintf(path, sizeof path, "/tmp/close_blocked.%d", (int)getpid());
    int holder = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    lockfd = open(path, O_RDWR);
    flock(holder, LOCK_EX);
    run(doFlock, &th);
    spoil(lockfd, dup);
    flock(holder, LOCK_UN);
    pthread_join(th, 0);
    report("flock", dup);
    /* the lock it took went with its file's last reference, at its return */
    printf("  the holder locks again: %d\n", flock(holder, LOCK_EX | LOCK_NB));
    close(holder);
    if (dup) close(lockfd);
    unlink(path);
  }

  /* the call sleeps only after its listener let it go on */
  pipe(fds);
  started = 0;
  r = -99;
  pthread_create(&th, 0, doNotifiedRead, 0);
  while (listener < 0) usleep(1000);
  struct seccomp_notif req;
  memset(&req, 0, sizeof req);
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
    struct seccomp_notif_resp resp = {req.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE};
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
  waitAsleep();
  close(fds[0]);
  long w0 = write(fds[1], "hi", 2);
  pthread_join(th, 0);
  printf("pipe read let go on by its seccomp listener, its fd closed while it sleeps: %ld %s, the write: %ld\n", r,
         r < 0 ? strerror(err) : "", w0);
  close(fds[1]);
  close(listener);

  /* a signal ends the call: the reference goes with it */
  struct sigaction act = {0};
  act.sa_handler = onSignal; /* no SA_RESTART: the read ends with EINTR */
  sigaction(SIGUSR1, &act, 0);
  pipe(fds);
  run(doRead, &th);
  close(fds[0]);
  pthread_kill(th, SIGUSR1);
  pthread_join(th, 0);
  printf("pipe read, its fd closed, then a signal: %ld %s\n", r, r < 0 ? strerror(err) : "");
  long w = write(fds[1], "hi", 2);
  printf("  a write after it: %ld %s\n", w, w < 0 ? strerror(errno) : "");
  return 0;
}
