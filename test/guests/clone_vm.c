/* clone(CLONE_VM) without CLONE_THREAD: a new process in its parent's
 * memory, as Linux gives it (copy_mm), not a copy. The child's writes are
 * the parent's; a private futex wakes across the two (its key is the
 * memory's); the child outlives a parent that exits, and the parent a
 * child that is killed while it runs or that execs; a vfork child's
 * exits, many in a row. Output is compared with the host kernel's. */
#define _GNU_SOURCE
#include "common.h"
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include <linux/kcmp.h>

static volatile int shared;
static atomic_int word;
static char stack1[65536] __attribute__((aligned(16)));
static char stack2[65536] __attribute__((aligned(16)));
static int out[2];
static const char *self;

static int status_of(pid_t p) {
  int st = 0;
  pid_t r = waitpid(p, &st, __WALL);
  if (r < 0 || (p > 0 && r != p)) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static volatile int unshare_err;

static int writer(void *arg) {
  (void)arg;
  shared = 42;
  /* its memory is another process's too: nothing to unshare it from alone (current_is_single_threaded) */
  unshare_err = unshare(CLONE_VM) < 0 ? errno : 0;
  return 7;
}

/* waits on a private futex for the parent's word, then answers through memory */
static int waiter(void *arg) {
  (void)arg;
  while (atomic_load(&word) == 0) syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  shared = atomic_load(&word) + 1;
  return 0;
}

static void on_usr1(int sig) {
  (void)sig;
}
static volatile int sighand_unshare_err;

/* with CLONE_SIGHAND the handlers are one table: what the child sets is the parent's */
static int sighand_child(void *arg) {
  (void)arg;
  signal(SIGUSR1, on_usr1);
  sighand_unshare_err = unshare(CLONE_SIGHAND) < 0 ? errno : 0;
  return 0;
}

static int spinner(void *arg) {
  (void)arg;
  shared = 1;
  for (;;) __asm__ volatile("" ::: "memory");
  return 0;
}

/* outlives its parent (a CLONE_VM child of a process that exits at once) */
static int orphan(void *arg) {
  (void)arg;
  while (getppid() != (pid_t)(long)shared) sched_yield();
  (void)!write(out[1], "orphan ran on\n", 14);
  return 0;
}

static int execer(void *arg) {
  (void)arg;
  execl(self, self, "exec-child", (char *)0);
  return 127;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "exec-child")) {
    printf("the exec'd child runs\n");
    return 3;
  }
  self = argv[0];
  setvbuf(stdout, NULL, _IONBF, 0);

  pid_t c = clone(writer, stack1 + sizeof stack1, CLONE_VM | SIGCHLD, NULL);
  int st = status_of(c);
  printf("CLONE_VM child's write, in the parent: %d (status %d); its unshare(CLONE_VM): %s\n", shared, st,
    unshare_err == EINVAL ? "EINVAL" : unshare_err ? "another error" : "0");

  shared = 0;
  c = clone(waiter, stack1 + sizeof stack1, CLONE_VM | SIGCHLD, NULL);
  printf("kcmp(KCMP_VM) of the two: %s\n", syscall(SYS_kcmp, getpid(), c, KCMP_VM, 0, 0) == 0 ? "the same" : "not the same");
  usleep(20000);
  atomic_store(&word, 41);
  syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  st = status_of(c);
  printf("a private futex across the two: %d (status %d)\n", shared, st);

  c = clone(sighand_child, stack1 + sizeof stack1, CLONE_VM | CLONE_SIGHAND | SIGCHLD, NULL);
  st = status_of(c);
  struct sigaction sa;
  sigaction(SIGUSR1, NULL, &sa);
  printf("a CLONE_SIGHAND child's handler, in the parent: %s (status %d); its unshare(CLONE_SIGHAND): %s\n",
    sa.sa_handler == on_usr1 ? "its" : "not its", st, sighand_unshare_err == EINVAL ? "EINVAL" : sighand_unshare_err ? "another error" : "0");
  signal(SIGUSR1, SIG_DFL);

  shared = 0;
  c = clone(spinner, stack1 + sizeof stack1, CLONE_VM | SIGCHLD, NULL);
  while (shared == 0) sched_yield();
  kill(c, SIGKILL);
  st = status_of(c);
  shared = 5;
  printf("a running CLONE_VM child killed: status %d; the parent goes on: %d\n", st, shared);

  /* a middle process that clones a CLONE_VM child and exits; this one, its subreaper, gets the child */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (pipe(out) != 0) return 1;
  pid_t mid = fork();
  if (mid == 0) {
    shared = getppid();
    clone(orphan, stack2 + sizeof stack2, CLONE_VM | SIGCHLD, NULL);
    _exit(0);
  }
  st = status_of(mid);
  char buf[64];
  ssize_t n = read(out[0], buf, sizeof buf);
  printf("the middle process exited %d; its CLONE_VM child: %.*s", st, (int)(n > 0 ? n : 0), buf);
  printf("the orphan, reaped here: status %d\n", status_of(-1));

  signal(SIGUSR2, on_usr1);
  c = clone(execer, stack1 + sizeof stack1, CLONE_VM | CLONE_SIGHAND | SIGCHLD, NULL);
  st = status_of(c);
  shared = 9;
  sigaction(SIGUSR2, NULL, &sa);
  printf("a CLONE_VM|CLONE_SIGHAND child that execs: status %d; the parent's memory after: %d, its handler: %s\n", st,
    shared, sa.sa_handler == on_usr1 ? "kept" : "reset");

  int sum = 0;
  for (int i = 0; i < 200; i++) {
    pid_t p = vfork();
    if (p == 0) {
      shared = i;
      _exit(i & 1);
    }
    sum += status_of(p) + shared;
  }
  printf("200 vfork children: %d\n", sum);

  /* each child's CPU time is its own: not its host thread's since an earlier child had it, nor what it had
   * not yet been charged for when it exited (RUSAGE_CHILDREN against the children's own wall clocks) */
  struct rusage before, after;
  getrusage(RUSAGE_CHILDREN, &before);
  static double spent;
  spent = 0;
  for (int i = 0; i < 40; i++) {
    pid_t p = vfork();
    if (p == 0) {
      struct timespec a, b;
      clock_gettime(CLOCK_MONOTONIC, &a);
      volatile unsigned long x = 0;
      do {
        for (int j = 0; j < 10000; j++) x += j;
        clock_gettime(CLOCK_MONOTONIC, &b);
      } while ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec) < 1e6);
      spent += (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
      _exit(0);
    }
    status_of(p);
  }
  getrusage(RUSAGE_CHILDREN, &after);
  double cpu = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) + (after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6 +
    (after.ru_stime.tv_sec - before.ru_stime.tv_sec) + (after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
  if (cpu > 0.3 * spent && cpu < 3 * spent) printf("40 busy vfork children's CPU time: as they ran\n");
  else printf("40 busy vfork children's CPU time: %.4f s for %.4f s of running\n", cpu, spent);
  return 0;
}
