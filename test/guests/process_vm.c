/* process_vm_readv(2) / process_vm_writev(2), differential: the order of
 * the checks (flags, local iovecs, remote iovecs, an empty side, the pid,
 * the ptrace check), whole and partial transfers across pages on either
 * side, copy-on-write pages of a stopped and of a running child, a thread
 * id as the pid, a zombie, and EPERM across users. Each call's result and
 * errno on a line of its own. */
#include "common.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

#define PG 4096

static long rd(pid_t pid, struct iovec *l, unsigned long ln, struct iovec *r, unsigned long rn, unsigned long fl) {
  return syscall(SYS_process_vm_readv, pid, l, ln, r, rn, fl);
}
static long wr(pid_t pid, struct iovec *l, unsigned long ln, struct iovec *r, unsigned long rn, unsigned long fl) {
  return syscall(SYS_process_vm_writev, pid, l, ln, r, rn, fl);
}
static void show(const char *what, long r) {
  if (r < 0) say("%s: -1 %s\n", what, errname(errno));
  else say("%s: %ld\n", what, r);
}

/* in the child, written before fork: copy-on-write shared with the parent */
static char shared_buf[64] = "before fork";
/* on a page of its own that the child only reads: still copy-on-write when the parent writes it */
static volatile int flag_page[PG / sizeof(int)] __attribute__((aligned(PG)));
#define flag flag_page[0]
/* the child's own data (written after fork) */
static char child_buf[64];
static char *two_pages; /* [0, PG) read-write, [PG, 2PG) unmapped, [2PG, 3PG) read-write */
static char *ro_page, *none_page;

static volatile pid_t sleeper_tid;
static void *sleeper(void *arg) {
  (void)arg;
  sleeper_tid = gettid();
  pause();
  return 0;
}

int main(void) {
  char a[64], b[64], c[64];
  struct iovec l[3], r[2];

  flag_page[1] = 1;
  ro_page = mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  none_page = mmap(0, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  /* a page, a hole, a page (the third keeps later mappings from growing into the hole) */
  two_pages = mmap(0, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(two_pages + PG, PG);
  memset(two_pages, 'p', PG);

  /* ---- the caller's own memory ---- */
  pid_t me = getpid();
  static char src[] = "hello, process_vm";
  memset(a, 0, sizeof a);
  l[0] = (struct iovec){ a, sizeof src };
  r[0] = (struct iovec){ src, sizeof src };
  show("self read", rd(me, l, 1, r, 1, 0));
  say("self read got: %s\n", a);
  show("flags 1", rd(me, l, 1, r, 1, 1));
  show("liovcnt 1025", rd(me, l, 1025, r, 1, 0));
  show("liovcnt huge", rd(me, l, (unsigned long)-1, r, 1, 0));
  show("riovcnt 1025", rd(me, l, 1, r, 1025, 0));
  show("liovcnt 0, riovcnt 1025", rd(me, l, 0, r, 1025, 0));
  show("liovcnt 0, no such pid", rd(0x3ffffff0, l, 0, r, 1, 0));
  show("local iovecs at NULL", rd(me, 0, 1, r, 1, 0));
  show("remote iovecs at NULL", rd(me, l, 1, 0, 1, 0));
  show("local empty segments, bad remote array", rd(me, (struct iovec[]){ { a, 0 } }, 1, 0, 1, 0));
  r[1] = (struct iovec){ src, 0 };
  show("remote all empty, no such pid", rd(0x3ffffff0, l, 1, &r[1], 1, 0));
  show("no such pid", rd(0x3ffffff0, l, 1, r, 1, 0));
  show("pid 0", rd(0, l, 1, r, 1, 0));
  show("pid -1", rd(-1, l, 1, r, 1, 0));
  struct iovec neg = { a, (size_t)-1 };
  show("negative local length", rd(me, &neg, 1, r, 1, 0));
  show("negative remote length", rd(me, l, 1, &neg, 1, 0));

  /* scatter and gather: local 3+5+7, remote 10+5 */
  static char digits[] = "0123456789abcdefghij";
  memset(a, '.', sizeof a);
  memset(b, '.', sizeof b);
  memset(c, '.', sizeof c);
  l[0] = (struct iovec){ a, 3 };
  l[1] = (struct iovec){ b, 5 };
  l[2] = (struct iovec){ c, 7 };
  r[0] = (struct iovec){ digits, 10 };
  r[1] = (struct iovec){ digits + 12, 5 };
  show("scatter", rd(me, l, 3, r, 2, 0));
  say("scatter got: %.3s|%.5s|%.7s\n", a, b, c);
  /* the local side shorter than the remote */
  l[0] = (struct iovec){ a, 4 };
  show("local shorter", rd(me, l, 1, r, 2, 0));

  /* a thread's id names its process */
  pthread_t th;
  pthread_create(&th, 0, sleeper, 0);
  usleep(20000);

  /* ---- a child ---- */
  int go[2], back[2];
  pipe(go);
  pipe(back);
  pid_t pid = fork();
  if (pid == 0) {
    char cmd;
    strcpy(child_buf, "the child's own data");
    write(back[1], "r", 1);
    /* stopped in read while the parent writes into a copy-on-write page */
    read(go[0], &cmd, 1);
    write(back[1], shared_buf, sizeof shared_buf);
    write(back[1], child_buf, sizeof child_buf);
    /* running (spinning on a copy-on-write page) while the parent writes the flag */
    write(back[1], "s", 1);
    /* (for 5 s at most: a change that never reached the running child's host mapping prints n) */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long spins = 0; !flag; spins++) {
      if (spins % (1 << 20)) continue;
      clock_gettime(CLOCK_MONOTONIC, &t1);
      if (t1.tv_sec - t0.tv_sec >= 5) break;
    }
    write(back[1], flag ? "y" : "n", 1);
    read(go[0], &cmd, 1);
    _exit(0);
  }
  char ch;
  read(back[0], &ch, 1);

  memset(a, 0, sizeof a);
  l[0] = (struct iovec){ a, sizeof a };
  r[0] = (struct iovec){ child_buf, sizeof child_buf };
  show("child read", rd(pid, l, 1, r, 1, 0));
  say("child read got: %s\n", a);
  static char msg[] = "written by the parent";
  l[0] = (struct iovec){ msg, sizeof msg };
  r[0] = (struct iovec){ shared_buf, sizeof msg };
  show("child write (copy-on-write page)", wr(pid, l, 1, r, 1, 0));
  static char msg2[] = "CHILD";
  l[0] = (struct iovec){ msg2, 5 };
  r[0] = (struct iovec){ child_buf + 4, 5 };
  show("child write (its own page)", wr(pid, l, 1, r, 1, 0));

  /* partial: the remote range runs into an unmapped page */
  memset(a, 0, sizeof a);
  l[0] = (struct iovec){ a, 60 };
  r[0] = (struct iovec){ two_pages + PG - 20, 60 };
  show("remote into unmapped page", rd(pid, l, 1, r, 1, 0));
  say("got %.20s\n", a);
  r[0] = (struct iovec){ two_pages + PG, 10 };
  show("remote unmapped", rd(pid, l, 1, r, 1, 0));
  /* a second remote segment that faults after a good one */
  r[0] = (struct iovec){ child_buf, 8 };
  r[1] = (struct iovec){ two_pages + PG, 8 };
  show("remote good then unmapped", rd(pid, l, 1, r, 2, 0));
  r[0] = (struct iovec){ ro_page, 10 };
  show("remote read-only, read", rd(pid, l, 1, r, 1, 0));
  show("remote read-only, write", wr(pid, l, 1, r, 1, 0));
  r[0] = (struct iovec){ none_page, 10 };
  show("remote PROT_NONE, read", rd(pid, l, 1, r, 1, 0));
  show("remote PROT_NONE, write", wr(pid, l, 1, r, 1, 0));
  /* partial: the local range runs into an unmapped page */
  l[0] = (struct iovec){ two_pages + PG - 30, 64 };
  r[0] = (struct iovec){ child_buf, 64 };
  show("local into unmapped page", rd(pid, l, 1, r, 1, 0));
  l[0] = (struct iovec){ two_pages + PG, 64 };
  show("local unmapped", rd(pid, l, 1, r, 1, 0));
  l[0] = (struct iovec){ ro_page, 10 };
  show("local read-only, read into it", rd(pid, l, 1, r, 1, 0));
  show("local read-only, write from it", wr(pid, l, 1, (struct iovec[]){ { child_buf + 40, 10 } }, 1, 0));
  l[0] = (struct iovec){ a, 10 };
  l[1] = (struct iovec){ two_pages + PG, 10 };
  r[0] = (struct iovec){ child_buf, 20 };
  show("local good then unmapped", rd(pid, l, 2, r, 1, 0));
  /* across a page boundary on both sides, to a fault-free end */
  l[0] = (struct iovec){ two_pages + PG - 100, 100 };
  r[0] = (struct iovec){ two_pages + PG - 150, 100 };
  show("page boundaries", wr(pid, l, 1, r, 1, 0));

  show("the hole is still a hole", msync(two_pages + PG, PG, MS_ASYNC));
  write(go[1], "c", 1);
  char got1[64], got2[64];
  read(back[0], got1, sizeof got1);
  read(back[0], got2, sizeof got2);
  say("child sees shared_buf: %s\n", got1);
  say("child sees child_buf: %s\n", got2);

  /* the child spins, reading flag (copy-on-write since the fork) */
  read(back[0], &ch, 1);
  usleep(50000);
  int one = 1;
  l[0] = (struct iovec){ &one, sizeof one };
  r[0] = (struct iovec){ (void *)&flag, sizeof flag };
  show("write a running child's flag", wr(pid, l, 1, r, 1, 0));
  read(back[0], &ch, 1);
  say("the running child saw the flag: %c\n", ch);

  /* EPERM: another user's process (a child that became nobody reads its root parent) */
  pid_t q = fork();
  if (q == 0) {
    if (setgid(65534) || setuid(65534)) _exit(9);
    char x[8];
    struct iovec ll = { x, 8 }, rr = { (void *)src, 8 };
    show("nobody reads root's process", rd(getppid(), &ll, 1, &rr, 1, 0));
    show("nobody writes root's process", wr(getppid(), &ll, 1, &rr, 1, 0));
    show("nobody reads itself", rd(getpid(), &ll, 1, &rr, 1, 0));
    show("nobody, no such pid", rd(0x3ffffff0, &ll, 1, &rr, 1, 0));
    _exit(0);
  }
  waitpid(q, 0, 0);

  /* a zombie has no memory */
  write(go[1], "x", 1);
  usleep(100000);
  l[0] = (struct iovec){ a, 8 };
  r[0] = (struct iovec){ child_buf, 8 };
  siginfo_t si;
  waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
  show("zombie", rd(pid, l, 1, r, 1, 0));
  waitpid(pid, 0, 0);
  show("reaped", rd(pid, l, 1, r, 1, 0));

  /* a thread's id */
  memset(a, 0, sizeof a);
  r[0] = (struct iovec){ src, sizeof src };
  l[0] = (struct iovec){ a, sizeof src };
  show("own thread's id", rd(sleeper_tid, l, 1, r, 1, 0));
  say("thread read got: %s\n", a);

  /* only the local segments are checked against the end of user space up front; a remote one faults when reached */
  struct iovec rk[2] = {{ src, 5 }, { (void *)0xffff888000000000UL, 5 }};
  l[0] = (struct iovec){ a, 10 };
  show("remote past user space, second", rd(getpid(), l, 1, rk, 2, 0));
  show("remote past user space, only", rd(getpid(), l, 1, rk + 1, 1, 0));
  struct iovec lk[2] = {{ a, 5 }, { (void *)0xffff888000000000UL, 5 }};
  r[0] = (struct iovec){ src, 8 };
  show("local past user space, second", rd(getpid(), lk, 2, r, 1, 0));
  return 0;
}
