/* Shared futexes across processes (get_futex_key): a named semaphore in
 * /dev/shm (a MAP_SHARED tmpfs file) that a child blocks on and the parent
 * posts, a process-shared mutex and condition variable in shared anonymous
 * memory mapped before fork, and the same file mapped twice at different
 * addresses. Each blocking wait must be woken by the other process. */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static void nap(int ms) {
  struct timespec ts = { 0, ms * 1000000L };
  nanosleep(&ts, NULL);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sem_unlink("/umlts-futex-test");
  sem_t *s = sem_open("/umlts-futex-test", O_CREAT | O_EXCL, 0600, 0);
  say("sem_open: %s\n", s == SEM_FAILED ? errname(errno) : "OK");
  pid_t c = fork();
  if (c == 0) {
    int r = sem_wait(s); /* blocks: the parent posts after a while */
    say("child: sem_wait %d\n", r);
    _exit(r == 0 ? 0 : 1);
  }
  nap(100);
  sem_post(s);
  int st;
  waitpid(c, &st, 0);
  say("child exit %d\n", WEXITSTATUS(st));
  sem_close(s);
  sem_unlink("/umlts-futex-test");

  struct shared { pthread_mutex_t m; pthread_cond_t cv; int ready; } *sh =
    mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&sh->m, &ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  pthread_cond_init(&sh->cv, &ca);
  c = fork();
  if (c == 0) {
    pthread_mutex_lock(&sh->m);
    while (!sh->ready) pthread_cond_wait(&sh->cv, &sh->m);
    pthread_mutex_unlock(&sh->m);
    _exit(7);
  }
  nap(100);
  pthread_mutex_lock(&sh->m);
  sh->ready = 1;
  pthread_cond_signal(&sh->cv);
  pthread_mutex_unlock(&sh->m);
  waitpid(c, &st, 0);
  say("condition variable in shared anonymous memory: child exit %d\n", WEXITSTATUS(st));

  /* one /dev/shm file mapped at two addresses in two processes: a raw futex word */
  int fd = open("/dev/shm/umlts-futex-word", O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (ftruncate(fd, 4096)) say("ftruncate: %s\n", errname(errno));
  volatile int *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  c = fork();
  if (c == 0) {
    volatile int *b = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0); /* another address */
    long r = 0;
    while (*b == 0 && r == 0) r = syscall(SYS_futex, b, 0 /* FUTEX_WAIT, shared */, 0, NULL, NULL, 0);
    _exit(*b == 1 ? 0 : 2);
  }
  nap(100);
  *a = 1;
  long woke = syscall(SYS_futex, a, 1 /* FUTEX_WAKE, shared */, 1, NULL, NULL, 0);
  waitpid(c, &st, 0);
  say("futex word in a file mapped twice: woke at most one %d, child exit %d\n", woke == 0 || woke == 1, WEXITSTATUS(st));
  unlink("/dev/shm/umlts-futex-word");
  return 0;
}
