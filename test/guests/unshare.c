/* unshare(2), differential: flag validation (unknown bits, the implied
 * flags, THREAD/SIGHAND/VM alone and beside a thread), CLONE_FILES and
 * CLONE_FS taken back from a thread, CLONE_SYSVSEM (alone: the undo list is
 * applied as at exit; shared: it is only left), namespaces as an
 * unprivileged user (EPERM), and the fd-table unsharing exec and
 * close_range(CLOSE_RANGE_UNSHARE) do. Each call's result on a line.
 * (Namespaces as root differ on purpose: umlts has none; see unshare.test.) */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <linux/kcmp.h>
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE 2
#endif

static long us(unsigned long flags) {
  return syscall(SYS_unshare, flags);
}
static void show(const char *what, long r) {
  if (r < 0) say("%s: -1 %s\n", what, errname(errno));
  else say("%s: %ld\n", what, r);
}
static const char *same(pid_t a, pid_t b, int type) {
  long r = syscall(SYS_kcmp, a, b, type, 0, 0);
  return r < 0 ? errname(errno) : r == 0 ? "shared" : "own";
}

static int sem;
static int semval(void) {
  return semctl(sem, 0, GETVAL);
}
static void semup(void) {
  struct sembuf op = { 0, 1, SEM_UNDO };
  semop(sem, &op, 1);
}

/* ---- what the thread does, step by step, while main waits (pthread_join) ---- */
static int fd_a, fd_b;
static pid_t main_tid;
static void *files_thread(void *arg) {
  (void)arg;
  show("thread: unshare(CLONE_FILES)", us(CLONE_FILES));
  say("thread: FILES after: %s\n", same(main_tid, gettid(), KCMP_FILES));
  fd_b = open("/", O_RDONLY);
  show("thread: close fd a", close(fd_a));
  return 0;
}
static void *fs_thread(void *arg) {
  (void)arg;
  show("thread: unshare(CLONE_FS)", us(CLONE_FS));
  say("thread: FS after: %s\n", same(main_tid, gettid(), KCMP_FS));
  show("thread: chdir /proc", chdir("/proc"));
  umask(077);
  return 0;
}
static void *shared_fs_thread(void *arg) {
  (void)arg;
  show("thread: chdir /dev (shared fs)", chdir("/dev"));
  return 0;
}
static void *sem_thread(void *arg) {
  (void)arg;
  semup();
  say("thread: after its SEM_UNDO +1: %d\n", semval());
  show("thread: unshare(CLONE_SYSVSEM)", us(CLONE_SYSVSEM));
  say("thread: the list is still main's, nothing applied: %d\n", semval());
  say("thread: SYSVSEM after: %s\n", same(main_tid, gettid(), KCMP_SYSVSEM));
  return 0;
}
static void *close_range_thread(void *arg) {
  (void)arg;
  show("thread: close_range(a, a, CLOSE_RANGE_UNSHARE)", syscall(SYS_close_range, fd_a, fd_a, CLOSE_RANGE_UNSHARE));
  show("thread: fd a after", fcntl(fd_a, F_GETFD));
  return 0;
}
static volatile int stop;
static void *idle_thread(void *arg) {
  (void)arg;
  while (!stop) usleep(1000);
  return 0;
}
static void run(void *(*f)(void *)) {
  pthread_t th;
  pthread_create(&th, 0, f, 0);
  pthread_join(th, 0);
}

static char stack[65536] __attribute__((aligned(16)));
static char *self_exe;
static int exec_child(void *arg) {
  (void)arg;
  execl(self_exe, self_exe, "exit", (char *)0);
  _exit(127);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "ns")) {
    /* umlts only (natively root would make the namespaces): a kernel without namespaces answers root EINVAL */
    show("root: CLONE_NEWUTS", us(CLONE_NEWUTS));
    show("root: CLONE_NEWNS", us(CLONE_NEWNS));
    show("root: CLONE_NEWUSER", us(CLONE_NEWUSER));
    show("root: CLONE_NEWTIME", us(CLONE_NEWTIME));
    return 0;
  }
  if (argc > 1) return 0; /* the exec'd child of the CLONE_FILES test */
  self_exe = argv[0];
  main_tid = gettid();
  chdir("/");
  char cwd[256];

  show("unshare(0)", us(0));
  show("bit 0x1", us(1));
  show("bit 1<<32", us(1ul << 32));
  show("CLONE_PARENT", us(CLONE_PARENT));
  show("CLONE_VFORK", us(CLONE_VFORK));
  show("CLONE_SETTLS", us(CLONE_SETTLS));
  show("CLONE_THREAD, alone", us(CLONE_THREAD));
  show("CLONE_SIGHAND, alone", us(CLONE_SIGHAND));
  show("CLONE_VM, alone", us(CLONE_VM));
  show("CLONE_FILES, table not shared", us(CLONE_FILES));
  show("CLONE_FS, alone", us(CLONE_FS));
  show("CLONE_SYSVSEM, no undo list", us(CLONE_SYSVSEM));

  /* beside a thread */
  pthread_t idle;
  pthread_create(&idle, 0, idle_thread, 0);
  show("CLONE_THREAD, with a thread", us(CLONE_THREAD));
  show("CLONE_SIGHAND, with a thread", us(CLONE_SIGHAND));
  show("CLONE_VM, with a thread", us(CLONE_VM));
  show("CLONE_NEWUSER (takes CLONE_THREAD), with a thread", us(CLONE_NEWUSER));
  show("CLONE_VM|bit 0x1, with a thread", us(CLONE_VM | 1));
  stop = 1;
  pthread_join(idle, 0);

  /* CLONE_FILES: the thread's close and open are its own */
  fd_a = open("/", O_RDONLY);
  run(files_thread);
  show("main: fd a after the thread closed its copy", fcntl(fd_a, F_GETFD));
  show("main: the thread's new fd", fcntl(fd_b, F_GETFD));

  /* CLONE_FS: the thread's chdir and umask are its own; without it they are main's */
  umask(022);
  run(fs_thread);
  say("main: cwd %s, umask %03o\n", getcwd(cwd, sizeof cwd), umask(022));
  run(shared_fs_thread);
  say("main: cwd %s\n", getcwd(cwd, sizeof cwd));
  chdir("/");

  /* CLONE_SYSVSEM */
  sem = semget(IPC_PRIVATE, 1, 0600);
  semup();
  say("main: after SEM_UNDO +1: %d\n", semval());
  show("main: unshare(CLONE_SYSVSEM), alone on its list", us(CLONE_SYSVSEM));
  say("main: applied as at exit: %d\n", semval());
  semup();
  say("main: a new list, +1: %d\n", semval());
  run(sem_thread); /* pthread_create shares the list */
  say("main: after the thread: %d\n", semval());

  /* exec with a table another process shares (CLONE_FILES): exec gets its own, closes its close-on-exec fds there */
  int ce = open("/", O_RDONLY | O_CLOEXEC);
  pid_t c = clone(exec_child, stack + sizeof stack, CLONE_FILES | SIGCHLD, 0);
  int st;
  waitpid(c, &st, 0);
  say("exec'd child exit %d\n", WEXITSTATUS(st));
  show("main: close-on-exec fd after a CLONE_FILES child's exec", fcntl(ce, F_GETFD));

  /* close_range(CLOSE_RANGE_UNSHARE) */
  run(close_range_thread);
  show("main: fd a after the thread's close_range", fcntl(fd_a, F_GETFD));

  /* namespaces, unprivileged: EPERM (the check before any namespace is made) */
  pid_t q = fork();
  if (q == 0) {
    if (setgid(65534) || setuid(65534)) _exit(9);
    show("nobody: CLONE_NEWUTS", us(CLONE_NEWUTS));
    show("nobody: CLONE_NEWIPC", us(CLONE_NEWIPC));
    show("nobody: CLONE_NEWNET", us(CLONE_NEWNET));
    show("nobody: CLONE_NEWPID", us(CLONE_NEWPID));
    show("nobody: CLONE_NEWNS", us(CLONE_NEWNS));
    show("nobody: CLONE_NEWCGROUP", us(CLONE_NEWCGROUP));
    show("nobody: CLONE_NEWTIME", us(CLONE_NEWTIME));
    show("nobody: CLONE_NEWUTS|CLONE_FILES", us(CLONE_NEWUTS | CLONE_FILES));
    show("nobody: CLONE_NEWUTS|bit 0x1", us(CLONE_NEWUTS | 1));
    _exit(0);
  }
  waitpid(q, 0, 0);
  semctl(sem, 0, IPC_RMID);
  return 0;
}
