/* Robust mutexes (set_robust_list): a lock whose owner is gone — a thread
 * that exits holding it, a thread that dies while another waits for it, a
 * child process (a process-shared mutex in MAP_SHARED memory) that exits,
 * is killed or execs holding it — goes to the next locker with EOWNERDEAD
 * (the kernel walked the owner's robust list and marked the word
 * FUTEX_OWNER_DIED, waking a waiter); pthread_mutex_consistent makes it
 * usable again. get_robust_list answers for the caller and refuses an
 * unknown pid. umlts once recorded the list and never walked it: the
 * next locker slept for ever. Output compared with the host kernel's. */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static pthread_mutex_t *shared;
static pthread_mutex_t local;

static void init_robust(pthread_mutex_t *m, int pshared) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (pshared) pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(m, &a);
}

static void recover(const char *what, pthread_mutex_t *m) {
  int r = pthread_mutex_lock(m);
  say("%s: lock %s", what, r == EOWNERDEAD ? "EOWNERDEAD" : r == 0 ? "OK" : errname(r));
  if (r == EOWNERDEAD) say(", consistent %s", pthread_mutex_consistent(m) == 0 ? "OK" : "failed");
  say(", unlock %s", pthread_mutex_unlock(m) == 0 ? "OK" : "failed");
  r = pthread_mutex_lock(m);
  say(", lock again %s\n", r == 0 ? "OK" : errname(r));
  pthread_mutex_unlock(m);
}

static void *hold_and_exit(void *arg) {
  pthread_mutex_lock(arg);
  return NULL;
}

static volatile int holding;
static void *hold_and_wait(void *arg) {
  pthread_mutex_lock(arg);
  holding = 1;
  for (;;) pause();
  return NULL;
}

int main(void) {
  void *head = NULL;
  size_t len = 0;
  long r = syscall(SYS_get_robust_list, 0, &head, &len);
  say("get_robust_list(0): %s, head %s, len %zu\n", res(r), head ? "set" : "none", len);
  say("get_robust_list(a pid nobody has): %s\n", res(syscall(SYS_get_robust_list, 999999, &head, &len)));

  init_robust(&local, 0);
  pthread_t t;
  pthread_create(&t, NULL, hold_and_exit, &local);
  pthread_join(t, NULL);
  recover("a thread exited holding it", &local);

  /* process-shared: the owners are children */
  shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return 1;
  init_robust(shared, 1);

  pid_t p = fork();
  if (p == 0) {
    pthread_mutex_lock(shared);
    _exit(0);
  }
  waitpid(p, NULL, 0);
  recover("a child exited holding it", shared);

  p = fork();
  if (p == 0) {
    pthread_t h;
    pthread_create(&h, NULL, hold_and_wait, shared);
    while (!holding) sched_yield();
    pause();
    _exit(0);
  }
  /* wait until the child's thread holds it, then block on it while the child is killed */
  while (pthread_mutex_trylock(shared) == 0) {
    pthread_mutex_unlock(shared);
    usleep(1000);
  }
  pid_t killer = fork();
  if (killer == 0) {
    usleep(100000);
    kill(p, SIGKILL);
    _exit(0);
  }
  recover("a waiter, its owner's process killed meanwhile", shared);
  waitpid(p, NULL, 0);
  waitpid(killer, NULL, 0);

  p = fork();
  if (p == 0) {
    pthread_mutex_lock(shared);
    execl("/bin/true", "true", (char *)NULL);
    _exit(127);
  }
  int st;
  waitpid(p, &st, 0);
  say("child exec'd /bin/true: status %d\n", WEXITSTATUS(st));
  recover("a child exec'd holding it", shared);
  return 0;
}
