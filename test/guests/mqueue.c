/* POSIX message queues (mq_open, mq_unlink, mq_timedsend, mq_timedreceive,
 * mq_notify, mq_getsetattr), compared with the host kernel: every call's
 * result and errno on a line of its own. Runs as root; cross-process cases
 * fork (a child drops to nobody for the permission and limit cases). No
 * pids, inode numbers or times are printed. */
#include "common.h"
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#define Q "/umlts_mq_a"
#define Q2 "/umlts_mq_b"
#define QN "/umlts_mq_n"

static const char *er(long r) {
  static char buf[64];
  if (r >= 0) return "OK";
  int e = errno;
  const char *n = errname(e);
  if (e == ETIMEDOUT) n = "ETIMEDOUT";
  if (e == EMSGSIZE) n = "EMSGSIZE";
  if (e == ENOTSOCK) n = "ENOTSOCK";
  snprintf(buf, sizeof buf, "%s", n);
  return buf;
}
#define SHOW(label, call) do { long r_ = (long)(call); say("%s: %s\n", label, er(r_)); } while (0)

static struct timespec after_ms(long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += (ms % 1000) * 1000000;
  ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000;
  ts.tv_nsec %= 1000000000;
  return ts;
}

static void attr(mqd_t q, const char *label) {
  struct mq_attr a;
  long r = mq_getattr(q, &a);
  if (r < 0) { say("%s: getattr %s\n", label, er(r)); return; }
  say("%s: getattr %s flags %#lx maxmsg %ld msgsize %ld curmsgs %ld\n", label, er(r), a.mq_flags, a.mq_maxmsg,
      a.mq_msgsize, a.mq_curmsgs);
}

static volatile sig_atomic_t got_sig, got_code, got_val, got_pid_ok, got_uid;
static volatile pid_t expect_pid;
static void on_usr1(int sig, siginfo_t *si, void *ctx) {
  (void)ctx;
  got_sig = sig;
  got_code = si->si_code;
  got_val = si->si_value.sival_int;
  got_pid_ok = si->si_pid == expect_pid;
  got_uid = si->si_uid;
}
static void on_alrm(int sig) { (void)sig; }

static sem_t thread_sem;
static volatile int thread_val;
static void on_thread(union sigval v) {
  thread_val = v.sival_int;
  sem_post(&thread_sem);
}

static void status_line(mqd_t q, const char *label) {
  char buf[128];
  lseek(q, 0, SEEK_SET);
  long n = read(q, buf, sizeof buf - 1);
  if (n < 0) { say("%s: read %s\n", label, er(n)); return; }
  buf[n] = 0;
  /* NOTIFY_PID varies: print whether it is ours */
  char *p = strstr(buf, "NOTIFY_PID:");
  int pid = p ? atoi(p + 11) : -1;
  if (p) p[11] = 0;
  say("%s: read %ld \"%s\" pid %s\n", label, n, buf, pid == 0 ? "0" : pid == getpid() ? "self" : "other");
}

static void names(void) {
  char longname[300];
  memset(longname, 'x', sizeof longname);
  longname[256] = 0;
  SHOW("syscall mq_open \"\"", syscall(SYS_mq_open, "", O_RDWR | O_CREAT, 0600, NULL));
  SHOW("syscall mq_open .", syscall(SYS_mq_open, ".", O_RDWR | O_CREAT, 0600, NULL));
  SHOW("syscall mq_open ..", syscall(SYS_mq_open, "..", O_RDWR | O_CREAT, 0600, NULL));
  SHOW("syscall mq_open a/b", syscall(SYS_mq_open, "a/b", O_RDWR | O_CREAT, 0600, NULL));
  SHOW("syscall mq_open 256 x", syscall(SYS_mq_open, longname, O_RDWR | O_CREAT, 0600, NULL));
  SHOW("syscall mq_open NULL", syscall(SYS_mq_open, NULL, O_RDWR, 0, NULL));
  SHOW("syscall mq_unlink a/b", syscall(SYS_mq_unlink, "a/b"));
  SHOW("syscall mq_unlink \"\"", syscall(SYS_mq_unlink, ""));
  longname[0] = '/';
  longname[256] = 0; /* 255 after the slash */
  long q = mq_open(longname, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
  SHOW("mq_open 255-byte name", q);
  SHOW("mq_unlink 255-byte name", mq_unlink(longname));
  if (q >= 0) close(q);
  SHOW("mq_open without slash", mq_open("noslash", O_RDWR | O_CREAT, 0600, NULL));
  SHOW("mq_open missing", mq_open(Q, O_RDWR));
  SHOW("mq_unlink missing", mq_unlink(Q));
}

static void attrs(void) {
  struct mq_attr a = {0};
  a.mq_maxmsg = 0; a.mq_msgsize = 16;
  SHOW("create maxmsg 0", mq_open(Q, O_RDWR | O_CREAT, 0600, &a));
  a.mq_maxmsg = 4; a.mq_msgsize = -1;
  SHOW("create msgsize -1", mq_open(Q, O_RDWR | O_CREAT, 0600, &a));
  a.mq_maxmsg = 65537; a.mq_msgsize = 16;
  SHOW("create maxmsg 65537 (no CAP_SYS_RESOURCE)", mq_open(Q, O_RDWR | O_CREAT, 0600, &a));
  a.mq_maxmsg = 4; a.mq_msgsize = 16 * 1024 * 1024 + 1;
  SHOW("create msgsize 16M+1 (no CAP_SYS_RESOURCE)", mq_open(Q, O_RDWR | O_CREAT, 0600, &a));
  a.mq_maxmsg = 20; a.mq_msgsize = 100;
  mqd_t q = mq_open(Q, O_RDWR | O_CREAT, 0600, &a);
  SHOW("create maxmsg 20 (over msg_max)", q);
  attr(q, "20x100");
  close(q);
  mq_unlink(Q);
  q = mq_open(Q, O_RDWR | O_CREAT | O_EXCL, 0640, NULL);
  SHOW("create with defaults", q);
  attr(q, "defaults");
  SHOW("O_CREAT|O_EXCL again", mq_open(Q, O_RDWR | O_CREAT | O_EXCL, 0600, NULL));
  SHOW("syscall O_RDWR|O_WRONLY on existing", syscall(SYS_mq_open, Q + 1, O_RDWR | O_WRONLY, 0, NULL));
  say("F_GETFD %d F_GETFL %#x\n", fcntl(q, F_GETFD), fcntl(q, F_GETFL));
  struct stat st;
  long r = fstat(q, &st);
  say("fstat %s mode %o size %ld nlink %ld uid %d gid %d blocks %ld\n", er(r), st.st_mode, (long)st.st_size,
      (long)st.st_nlink, st.st_uid, st.st_gid, (long)st.st_blocks);
  status_line(q, "empty");
  SHOW("write to the queue fd", write(q, "x", 1));
  close(q);
  umask(022);
  q = mq_open(Q2, O_RDWR | O_CREAT | O_NONBLOCK, 0777, NULL);
  fstat(q, &st);
  say("umask 022, mode 0777: %o, F_GETFL %#x\n", st.st_mode, fcntl(q, F_GETFL));
  attr(q, "nonblock");
  close(q);
  mq_unlink(Q2);
  mq_unlink(Q);
}

static void ordering(void) {
  struct mq_attr a = {0};
  a.mq_maxmsg = 5; a.mq_msgsize = 8;
  mqd_t q = mq_open(Q, O_RDWR | O_CREAT, 0600, &a);
  const char *m[] = {"a", "bb", "c", "dd", "eee"};
  unsigned pr[] = {1, 5, 1, 5, 0};
  for (int i = 0; i < 5; i++) SHOW("send", mq_send(q, m[i], strlen(m[i]), pr[i]));
  attr(q, "five queued");
  status_line(q, "five queued");
  struct pollfd pfd = {q, POLLIN | POLLOUT, 0};
  int pn = poll(&pfd, 1, 0);
  say("poll five of five: %d revents %#x\n", pn, pfd.revents);
  SHOW("send with no room, O_NONBLOCK off, past deadline", ({ struct timespec ts = {1, 0}; mq_timedsend(q, "z", 1, 0, &ts); }));
  SHOW("send, bad timespec", ({ struct timespec ts = {1, 1000000000}; mq_timedsend(q, "z", 1, 0, &ts); }));
  SHOW("send, negative tv_sec", ({ struct timespec ts = {-1, 0}; mq_timedsend(q, "z", 1, 0, &ts); }));
  SHOW("send prio 32768", mq_send(q, "z", 1, 32768));
  SHOW("send 9 bytes to msgsize 8", mq_send(q, "123456789", 9, 0));
  SHOW("send to a pipe", ({ int p[2]; pipe(p); long r = mq_send(p[1], "z", 1, 0); close(p[0]); close(p[1]); r; }));
  SHOW("send bad fd", mq_send(99, "z", 1, 0));
  struct timespec t1 = after_ms(50);
  SHOW("timed send to full queue (50 ms)", mq_timedsend(q, "z", 1, 0, &t1));
  char buf[64];
  SHOW("receive into 7 bytes", mq_receive(q, buf, 7, NULL));
  for (int i = 0; i < 5; i++) {
    unsigned p = 99;
    long n = mq_receive(q, buf, sizeof buf, &p);
    if (n >= 0) buf[n] = 0;
    say("receive: %ld \"%s\" prio %u\n", n, n >= 0 ? buf : er(n), p);
  }
  pfd.revents = 0;
  pn = poll(&pfd, 1, 0);
  say("poll empty: %d revents %#x\n", pn, pfd.revents);
  t1 = after_ms(50);
  SHOW("timed receive from empty (50 ms)", mq_timedreceive(q, buf, sizeof buf, NULL, &t1));
  struct mq_attr na = {0}, oa;
  na.mq_flags = O_NONBLOCK;
  SHOW("setattr O_NONBLOCK", mq_setattr(q, &na, &oa));
  say("old flags %#lx\n", oa.mq_flags);
  SHOW("receive from empty, O_NONBLOCK", mq_receive(q, buf, sizeof buf, NULL));
  say("F_GETFL %#x\n", fcntl(q, F_GETFL));
  na.mq_flags = O_NONBLOCK | 1;
  SHOW("setattr flags O_NONBLOCK|1", mq_setattr(q, &na, NULL));
  na.mq_flags = 0; na.mq_maxmsg = 1000;
  SHOW("setattr 0 with maxmsg 1000", mq_setattr(q, &na, NULL));
  attr(q, "after setattr (maxmsg unchanged)");
  SHOW("getsetattr bad fd", syscall(SYS_mq_getsetattr, 99, NULL, &oa));
  for (int i = 0; i < 4; i++) mq_send(q, "f", 1, 0);
  pfd.revents = 0;
  pn = poll(&pfd, 1, 0);
  say("poll four of five: %d revents %#x\n", pn, pfd.revents);
  mq_send(q, "f", 1, 0);
  fcntl(q, F_SETFL, O_NONBLOCK);
  SHOW("send to full, O_NONBLOCK by fcntl", mq_send(q, "z", 1, 0));
  attr(q, "fcntl O_NONBLOCK");
  close(q);
  mqd_t r = mq_open(Q, O_RDONLY), w = mq_open(Q, O_WRONLY);
  SHOW("send on O_RDONLY", mq_send(r, "z", 1, 0));
  SHOW("receive on O_WRONLY", mq_receive(w, buf, sizeof buf, NULL));
  SHOW("read on O_WRONLY", read(w, buf, 1));
  SHOW("mq_unlink while open", mq_unlink(Q));
  SHOW("open after unlink", mq_open(Q, O_RDONLY));
  attr(r, "unlinked, still open");
  SHOW("receive from the unlinked queue", mq_receive(r, buf, sizeof buf, NULL));
  close(r);
  close(w);
}

static void blocking(void) {
  struct mq_attr a = {0};
  a.mq_maxmsg = 1; a.mq_msgsize = 16;
  mqd_t q = mq_open(Q, O_RDWR | O_CREAT, 0600, &a);
  char buf[32];
  /* a receiver asleep gets the message a later send makes */
  pid_t c = fork();
  if (c == 0) {
    unsigned p;
    long n = mq_receive(q, buf, sizeof buf, &p);
    if (n >= 0) buf[n] = 0;
    say("child receive (asleep first): %ld \"%s\" prio %u\n", n, n >= 0 ? buf : er(n), p);
    _exit(0);
  }
  usleep(200000);
  /* (said after the child's line: the woken child and the parent race to their output) */
  long sent = mq_send(q, "hello", 5, 7);
  int sent_errno = errno;
  waitpid(c, NULL, 0);
  errno = sent_errno;
  SHOW("parent send", sent);
  attr(q, "after the handover");
  /* a sender asleep on a full queue gets its message in when a receive makes room */
  mq_send(q, "first", 5, 1);
  c = fork();
  if (c == 0) {
    long r = mq_send(q, "second", 6, 9);
    say("child send (asleep first): %s\n", er(r));
    _exit(0);
  }
  usleep(200000);
  /* (the first receive is said after the child's line: the woken child and the parent race to their output) */
  char got[2][32];
  long n[2];
  unsigned prio[2];
  for (int i = 0; i < 2; i++) {
    n[i] = mq_receive(q, buf, sizeof buf, &prio[i]);
    if (n[i] >= 0) buf[n[i]] = 0;
    snprintf(got[i], sizeof got[i], "%s", n[i] >= 0 ? buf : er(n[i]));
    if (i == 0) waitpid(c, NULL, 0);
  }
  for (int i = 0; i < 2; i++) say("parent receive: %ld \"%s\" prio %u\n", n[i], got[i], prio[i]);
  /* a signal: EINTR without SA_RESTART; with it the call goes on (and times out here) */
  struct sigaction sa = {0};
  sa.sa_handler = on_alrm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {0, 100000}};
  setitimer(ITIMER_REAL, &it, NULL);
  SHOW("receive, SIGALRM without SA_RESTART", mq_receive(q, buf, sizeof buf, NULL));
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  setitimer(ITIMER_REAL, &it, NULL);
  struct timespec t = after_ms(300);
  SHOW("timed receive (300 ms), SIGALRM with SA_RESTART", mq_timedreceive(q, buf, sizeof buf, NULL, &t));
  mq_send(q, "full", 4, 0);
  sa.sa_flags = 0;
  sigaction(SIGALRM, &sa, NULL);
  setitimer(ITIMER_REAL, &it, NULL);
  SHOW("send to full, SIGALRM without SA_RESTART", mq_send(q, "x", 1, 0));
  close(q);
  mq_unlink(Q);
}

static void notify(void) {
  struct mq_attr a = {0};
  a.mq_maxmsg = 4; a.mq_msgsize = 16;
  mqd_t q = mq_open(QN, O_RDWR | O_CREAT, 0600, &a);
  char buf[32];
  struct sigaction sa = {0};
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  struct sigevent ev = {0};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  ev.sigev_value.sival_int = 42;
  SHOW("notify SIGEV_SIGNAL", mq_notify(q, &ev));
  status_line(q, "registered");
  SHOW("notify again (same process)", mq_notify(q, &ev));
  pid_t c = fork();
  if (c == 0) {
    SHOW("child notify (parent registered)", mq_notify(q, &ev));
    SHOW("child notify NULL (not the owner)", mq_notify(q, NULL));
    _exit(0);
  }
  waitpid(c, NULL, 0);
  status_line(q, "still registered");
  /* a sender in another process, as uid 0 */
  got_sig = 0;
  c = fork();
  if (c == 0) {
    mq_send(q, "n1", 2, 0);
    _exit(0);
  }
  expect_pid = c;
  waitpid(c, NULL, 0);
  usleep(10000);
  say("signal %d code %d (SI_MESGQ %d) value %d pid is the sender's %d uid %d\n", got_sig, got_code, SI_MESGQ, got_val,
      got_pid_ok, got_uid);
  status_line(q, "after the notification (one-shot)");
  got_sig = 0;
  mq_send(q, "n2", 2, 0);
  say("second send, no registration: signal %d\n", got_sig);
  /* registered, queue not empty: a send does not notify (empty to non-empty only) */
  SHOW("notify with messages queued", mq_notify(q, &ev));
  mq_send(q, "n3", 2, 0);
  say("send to a non-empty queue: signal %d\n", got_sig);
  while (mq_timedreceive(q, buf, sizeof buf, NULL, &(struct timespec){0, 0}) >= 0) {}
  /* a receiver asleep takes the message: no notification */
  c = fork();
  if (c == 0) {
    long n = mq_receive(q, buf, sizeof buf, NULL);
    say("child receive while parent registered: %ld\n", n);
    _exit(0);
  }
  usleep(200000);
  mq_send(q, "n4", 2, 0);
  waitpid(c, NULL, 0);
  usleep(10000);
  say("send to a receiver asleep: signal %d\n", got_sig);
  status_line(q, "still registered after the handover");
  SHOW("notify NULL (owner)", mq_notify(q, NULL));
  status_line(q, "deregistered");
  mq_send(q, "n5", 2, 0);
  say("send after deregistration: signal %d\n", got_sig);
  mq_receive(q, buf, sizeof buf, NULL);
  SHOW("notify NULL again", mq_notify(q, NULL));
  ev.sigev_notify = SIGEV_NONE;
  SHOW("notify SIGEV_NONE", mq_notify(q, &ev));
  status_line(q, "SIGEV_NONE");
  mq_send(q, "n6", 2, 0);
  status_line(q, "SIGEV_NONE after a send (gone)");
  mq_receive(q, buf, sizeof buf, NULL);
  ev.sigev_notify = 77;
  SHOW("notify sigev_notify 77", mq_notify(q, &ev));
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = 65;
  SHOW("notify signo 65", mq_notify(q, &ev));
  ev.sigev_signo = 0;
  SHOW("notify signo 0", mq_notify(q, &ev));
  mq_notify(q, NULL);
  SHOW("notify bad fd", mq_notify(99, NULL));
  SHOW("notify on a pipe", ({ int p[2]; pipe(p); long r = mq_notify(p[0], NULL); close(p[0]); close(p[1]); r; }));
  /* SIGEV_THREAD through the raw call: sigev_signo must be a netlink socket */
  unsigned char cookie[32] = {0};
  struct sigevent raw = {0};
  raw.sigev_notify = SIGEV_THREAD;
  raw.sigev_value.sival_ptr = cookie;
  int p[2];
  pipe(p);
  raw.sigev_signo = p[0];
  SHOW("syscall SIGEV_THREAD, signo a pipe", syscall(SYS_mq_notify, q, &raw));
  int us = socket(AF_UNIX, SOCK_DGRAM, 0);
  raw.sigev_signo = us;
  long rr = syscall(SYS_mq_notify, q, &raw);
  SHOW("syscall SIGEV_THREAD, signo an AF_UNIX socket", rr);
  raw.sigev_signo = 99;
  SHOW("syscall SIGEV_THREAD, signo 99", syscall(SYS_mq_notify, q, &raw));
  close(p[0]); close(p[1]); close(us);
  /* glibc's SIGEV_THREAD */
  sem_init(&thread_sem, 0, 0);
  struct sigevent tev = {0};
  tev.sigev_notify = SIGEV_THREAD;
  tev.sigev_notify_function = on_thread;
  tev.sigev_value.sival_int = 1234;
  SHOW("notify SIGEV_THREAD (glibc)", mq_notify(q, &tev));
  status_line(q, "SIGEV_THREAD");
  mq_send(q, "t1", 2, 0);
  struct timespec t = after_ms(2000);
  SHOW("thread ran", sem_timedwait(&thread_sem, &t));
  say("thread value %d\n", thread_val);
  mq_receive(q, buf, sizeof buf, NULL);
  /* the owner's close of any descriptor of the queue drops its registration (mqueue_flush_file); another
   * process's close does not */
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  SHOW("notify before the closes", mq_notify(q, &ev));
  c = fork();
  if (c == 0) {
    close(q);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  status_line(q, "after a child closed its descriptor");
  close(dup(q));
  status_line(q, "after the owner closed a dup");
  got_sig = 0;
  mq_send(q, "c1", 2, 0);
  say("send after that close: signal %d\n", got_sig);
  mq_receive(q, buf, sizeof buf, NULL);
  close(q);
  mq_unlink(QN);
}

static void creds(void) {
  mqd_t q = mq_open(Q, O_RDWR | O_CREAT, 0640, NULL);
  close(q);
  mqd_t q2 = mq_open(Q2, O_RDWR | O_CREAT, 0644, NULL);
  close(q2);
  pid_t c = fork();
  if (c == 0) {
    if (setgid(65534) || setuid(65534)) _exit(9);
    SHOW("nobody opens 0640 O_RDONLY", mq_open(Q, O_RDONLY));
    SHOW("nobody opens 0644 O_RDONLY", mq_open(Q2, O_RDONLY));
    SHOW("nobody opens 0644 O_WRONLY", mq_open(Q2, O_WRONLY));
    SHOW("nobody opens 0644 O_RDWR", mq_open(Q2, O_RDWR));
    SHOW("nobody O_CREAT|O_EXCL on root's", mq_open(Q2, O_RDWR | O_CREAT | O_EXCL, 0600, NULL));
    SHOW("nobody syscall mq_unlink root's", syscall(SYS_mq_unlink, Q2 + 1));
    SHOW("nobody mq_unlink root's (glibc)", mq_unlink(Q2));
    struct mq_attr a = {0};
    a.mq_maxmsg = 11; a.mq_msgsize = 8;
    SHOW("nobody maxmsg 11 (over msg_max)", mq_open("/umlts_mq_c", O_RDWR | O_CREAT, 0600, &a));
    a.mq_maxmsg = 10; a.mq_msgsize = 8193;
    SHOW("nobody msgsize 8193", mq_open("/umlts_mq_c", O_RDWR | O_CREAT, 0600, &a));
    mqd_t mine = mq_open("/umlts_mq_c", O_RDWR | O_CREAT, 0, NULL);
    SHOW("nobody creates mode 0 (opened anyway)", mine);
    struct stat st;
    fstat(mine, &st);
    say("its owner %d:%d mode %o\n", st.st_uid, st.st_gid, st.st_mode);
    SHOW("nobody reopens its mode 0 queue", mq_open("/umlts_mq_c", O_RDONLY));
    SHOW("nobody unlinks its own", mq_unlink("/umlts_mq_c"));
    close(mine);
    /* RLIMIT_MSGQUEUE: each (1 x 1) queue charges 1 + 48 + 48 bytes */
    struct rlimit rl = {300, 300 * 97};
    setrlimit(RLIMIT_MSGQUEUE, &rl);
    a.mq_maxmsg = 1; a.mq_msgsize = 1;
    int made = 0;
    char name[32];
    long r = 0;
    for (; made < 10; made++) {
      snprintf(name, sizeof name, "/umlts_mq_r%d", made);
      r = mq_open(name, O_RDWR | O_CREAT, 0600, &a);
      if (r < 0) break;
      close(r);
    }
    say("RLIMIT_MSGQUEUE 300: %d queues, then %s\n", made, er(r));
    snprintf(name, sizeof name, "/umlts_mq_r%d", 0);
    mq_unlink(name);
    snprintf(name, sizeof name, "/umlts_mq_r%d", made);
    SHOW("after one unlink", mq_open(name, O_RDWR | O_CREAT, 0600, &a));
    for (int i = 0; i <= made; i++) {
      snprintf(name, sizeof name, "/umlts_mq_r%d", i);
      mq_unlink(name);
    }
    SHOW("default attrs over a 300-byte limit", mq_open("/umlts_mq_r", O_RDWR | O_CREAT, 0600, NULL));
    /* queues_max 256 (for those without CAP_SYS_RESOURCE) */
    rl.rlim_cur = 300 * 97;
    setrlimit(RLIMIT_MSGQUEUE, &rl);
    for (made = 0; made < 300; made++) {
      snprintf(name, sizeof name, "/umlts_mq_s%d", made);
      r = mq_open(name, O_RDWR | O_CREAT, 0600, &a);
      if (r < 0) break;
      close(r);
    }
    /* other queues on the host count too: Linux stops at 256 in all */
    say("queues_max: %s queues, then %s\n", made <= 256 && made > 200 ? "at most 256" : "other", er(r));
    for (int i = 0; i <= made; i++) {
      snprintf(name, sizeof name, "/umlts_mq_s%d", i);
      mq_unlink(name);
    }
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  say("child status %d\n", WEXITSTATUS(st));
  mq_unlink(Q);
  mq_unlink(Q2);
}

/* This machine's root lacks CAP_SYS_RESOURCE (a container's bounding set); drop it for umlts's root too, so
 * that both see the limits an unprivileged creator sees. */
static void drop_sys_resource(void) {
  struct { unsigned version; int pid; } h = {0x20080522, 0};
  struct { unsigned eff, prm, inh; } d[2];
  syscall(SYS_capget, &h, d);
  d[0].eff &= ~(1u << 24);
  say("drop CAP_SYS_RESOURCE: %s\n", er(syscall(SYS_capset, &h, d)));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  drop_sys_resource();
  mq_unlink(Q);
  mq_unlink(Q2);
  mq_unlink(QN);
  names();
  attrs();
  ordering();
  blocking();
  notify();
  creds();
  say("done\n");
  return 0;
}
