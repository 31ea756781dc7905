/* kcmp(2), differential: each type between the caller, a fork child, clone
 * children sharing the fd table or the fs context, a thread and a zombie;
 * SysV undo lists (none until SEM_UNDO, shared by pthread_create); files
 * through dup, fork and a second open; KCMP_EPOLL_TFD; and the order of the
 * errors (ESRCH, EPERM, EINVAL, EBADF, EFAULT, ENOENT). Linux orders
 * different objects at random, so only equal / different is printed (and
 * that swapping the two sides swaps less and greater). */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <linux/kcmp.h>

static long kcmp(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2) {
  return syscall(SYS_kcmp, a, b, type, i1, i2);
}
static const char *rel(long r) {
  if (r < 0) return errname(errno);
  return r == 0 ? "equal" : r == 1 || r == 2 ? "different" : "incomparable";
}
static void show(const char *what, long r) {
  say("%s: %s\n", what, rel(r));
}
static const char *const types[] = { "FILE", "VM", "FILES", "FS", "SIGHAND", "IO", "SYSVSEM" };
/* every type but FILE and EPOLL_TFD */
static void all(const char *who, pid_t a, pid_t b) {
  char buf[128];
  for (int type = KCMP_VM; type <= KCMP_SYSVSEM; type++) {
    if (type == KCMP_IO && a != b) continue; /* whether a task has an io_context depends on the host's I/O */
    snprintf(buf, sizeof buf, "%s %s", who, types[type]);
    show(buf, kcmp(a, b, type, 0, 0));
  }
}

static char stack1[65536] __attribute__((aligned(16))), stack2[65536] __attribute__((aligned(16)));
static int sleeper(void *arg) {
  (void)arg;
  for (;;) pause();
  return 0;
}
static volatile pid_t thread_tid;
static void *thread_main(void *arg) {
  (void)arg;
  thread_tid = gettid();
  for (;;) pause();
  return 0;
}

int main(void) {
  pid_t me = getpid();
  all("self", me, me);
  show("self FILE 0 0", kcmp(me, me, KCMP_FILE, 0, 0));
  show("self FILE 0 1", kcmp(me, me, KCMP_FILE, 0, 1));
  int d = dup(1);
  show("self FILE dup", kcmp(me, me, KCMP_FILE, 1, d));
  int f1 = open("/proc/self/exe", O_RDONLY), f2 = open("/proc/self/exe", O_RDONLY);
  show("self FILE two opens", kcmp(me, me, KCMP_FILE, f1, f2));
  long x = kcmp(me, me, KCMP_FILE, f1, f2), y = kcmp(me, me, KCMP_FILE, f2, f1);
  say("swapped sides swap the order: %s\n", x + y == 3 && x != y ? "yes" : "no");
  show("self FILE closed fd", kcmp(me, me, KCMP_FILE, 1, 77));
  show("self FILE huge index", kcmp(me, me, KCMP_FILE, 1, 0x100000001ul));
  show("type 8", kcmp(me, me, 8, 0, 0));
  show("type -1", kcmp(me, me, -1, 0, 0));
  show("no such pid", kcmp(me, 0x3ffffff0, KCMP_VM, 0, 0));
  show("no such pid, bad type", kcmp(0x3ffffff0, me, 99, 0, 0));
  show("pid 0", kcmp(0, me, KCMP_VM, 0, 0));

  /* a fork child: nothing shared but the open files (neither has an undo list yet) */
  int go[2];
  pipe(go);
  pid_t c = fork();
  if (c == 0) {
    char ch;
    read(go[0], &ch, 1);
    _exit(0);
  }
  all("fork child", me, c);
  show("fork child FILE 1 1", kcmp(me, c, KCMP_FILE, 1, 1));
  show("fork child FILE f1 f2", kcmp(me, c, KCMP_FILE, f1, f2));

  /* a SEM_UNDO operation gives the caller an undo list */
  int sem = semget(IPC_PRIVATE, 1, 0600);
  struct sembuf op = { 0, 1, SEM_UNDO };
  say("semop SEM_UNDO: %s\n", res(semop(sem, &op, 1)));
  show("fork child SYSVSEM after SEM_UNDO", kcmp(me, c, KCMP_SYSVSEM, 0, 0));

  /* clone children sharing the fd table, the fs context */
  pid_t cf = clone(sleeper, stack1 + sizeof stack1, CLONE_FILES | SIGCHLD, 0);
  pid_t cs = clone(sleeper, stack2 + sizeof stack2, CLONE_FS | SIGCHLD, 0);
  usleep(20000);
  show("CLONE_FILES child FILES", kcmp(me, cf, KCMP_FILES, 0, 0));
  show("CLONE_FILES child FS", kcmp(me, cf, KCMP_FS, 0, 0));
  show("CLONE_FILES child FILE f1 f1", kcmp(me, cf, KCMP_FILE, f1, f1));
  show("CLONE_FS child FS", kcmp(me, cs, KCMP_FS, 0, 0));
  show("CLONE_FS child FILES", kcmp(me, cs, KCMP_FILES, 0, 0));
  show("the two clones FS", kcmp(cf, cs, KCMP_FS, 0, 0));
  kill(cf, SIGKILL);
  kill(cs, SIGKILL);
  waitpid(cf, 0, 0);
  waitpid(cs, 0, 0);

  /* a thread shares all (pthread_create passes CLONE_SYSVSEM) */
  pthread_t th;
  pthread_create(&th, 0, thread_main, 0);
  while (!thread_tid) usleep(1000);
  all("thread", me, thread_tid);
  show("thread FILE 1 1", kcmp(thread_tid, me, KCMP_FILE, 1, 1));

  /* KCMP_EPOLL_TFD: idx1 a file of pid1, idx2 a struct kcmp_epoll_slot {efd, tfd, toff} in pid2's table */
  int p[2];
  pipe(p);
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN };
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  int p0dup = dup(p[0]);
  struct kcmp_epoll_slot slot = { ep, p[0], 0 };
  show("EPOLL_TFD same file", kcmp(me, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot));
  show("EPOLL_TFD its dup", kcmp(me, me, KCMP_EPOLL_TFD, p0dup, (unsigned long)&slot));
  show("EPOLL_TFD another file", kcmp(me, me, KCMP_EPOLL_TFD, p[1], (unsigned long)&slot));
  show("EPOLL_TFD from the fork child", kcmp(c, me, KCMP_EPOLL_TFD, 1, (unsigned long)&slot));
  slot.toff = 1;
  show("EPOLL_TFD toff 1", kcmp(me, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot));
  slot.toff = 0;
  slot.tfd = p[1];
  show("EPOLL_TFD fd not registered", kcmp(me, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot));
  slot.tfd = p[0];
  slot.efd = p[1];
  show("EPOLL_TFD efd not an epoll", kcmp(me, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot));
  slot.efd = 99;
  show("EPOLL_TFD efd closed", kcmp(me, me, KCMP_EPOLL_TFD, p[0], (unsigned long)&slot));
  slot.efd = ep;
  show("EPOLL_TFD idx1 closed", kcmp(me, me, KCMP_EPOLL_TFD, 99, (unsigned long)&slot));
  show("EPOLL_TFD slot NULL", kcmp(me, me, KCMP_EPOLL_TFD, p[0], 0));
  show("EPOLL_TFD slot NULL, idx1 closed", kcmp(me, me, KCMP_EPOLL_TFD, 99, 0));

  /* EPERM: another user's processes (the ptrace read check on both) */
  pid_t q = fork();
  if (q == 0) {
    if (setgid(65534) || setuid(65534)) _exit(9);
    pid_t pp = getppid(), self = getpid();
    show("nobody: root's process VM", kcmp(pp, pp, KCMP_VM, 0, 0));
    show("nobody: itself and root's", kcmp(self, pp, KCMP_VM, 0, 0));
    show("nobody: root's and itself", kcmp(pp, self, KCMP_VM, 0, 0));
    show("nobody: itself", kcmp(self, self, KCMP_VM, 0, 0));
    show("nobody: root's, bad type", kcmp(pp, pp, 99, 0, 0));
    show("nobody: no such pid and root's", kcmp(0x3ffffff0, pp, KCMP_VM, 0, 0));
    _exit(0);
  }
  waitpid(q, 0, 0);

  /* a zombie: found, its mm, files and fs gone (NULL), its handlers kept until reaped */
  write(go[1], "x", 1);
  siginfo_t si;
  waitid(P_PID, c, &si, WEXITED | WNOWAIT);
  show("zombie VM with itself", kcmp(c, c, KCMP_VM, 0, 0));
  show("zombie VM", kcmp(me, c, KCMP_VM, 0, 0));
  show("zombie FILES with itself", kcmp(c, c, KCMP_FILES, 0, 0));
  show("zombie FS with itself", kcmp(c, c, KCMP_FS, 0, 0));
  show("zombie SIGHAND with itself", kcmp(c, c, KCMP_SIGHAND, 0, 0));
  show("zombie SIGHAND", kcmp(me, c, KCMP_SIGHAND, 0, 0));
  show("zombie SYSVSEM with itself", kcmp(c, c, KCMP_SYSVSEM, 0, 0));
  show("zombie FILE", kcmp(c, c, KCMP_FILE, 0, 0));
  waitpid(c, 0, 0);
  show("reaped", kcmp(me, c, KCMP_VM, 0, 0));
  semctl(sem, 0, IPC_RMID);
  return 0;
}
