/* Shared futexes across processes: a child waits (FUTEX_WAIT without
 * FUTEX_PRIVATE_FLAG) on a word of shared memory and the parent wakes it
 * through its own mapping, which may be at another address: anonymous
 * MAP_SHARED memory inherited by fork, a /dev/shm file and a memfd each
 * mapped anew by both, a SysV segment attached by both; then a
 * process-shared pthread mutex and condition variable, and a POSIX named
 * semaphore (sem_open: a /dev/shm file), between two processes. Output is
 * compared with the host kernel's. */
#include "common.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts) {
  return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

/* the child waits on *w (0) for up to 10 s; exit 0 if it was woken with the word changed */
static pid_t waiter(uint32_t *w) {
  pid_t c = fork();
  if (c == 0) {
    struct timespec ts = {10, 0};
    long r = futex(w, FUTEX_WAIT, 0, &ts);
    _exit(r == 0 && *w == 1 ? 0 : r < 0 ? errno : 1);
  }
  return c;
}

/* the process sleeps (its /proc/<pid>/stat state is S) */
static int sleeping(pid_t c) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", c);
  int fd = open(path, O_RDONLY);
  long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' && p[2] == 'S';
}

/* wake the waiter through w2 (the same word, maybe at another address) once it sleeps in FUTEX_WAIT */
static void wake_and_report(const char *what, pid_t c, uint32_t *w2) {
  for (int i = 0; i < 10000 && !sleeping(c); i++) usleep(1000);
  *w2 = 1;
  long woke = futex(w2, FUTEX_WAKE, 1, NULL);
  int st;
  waitpid(c, &st, 0);
  say("%s: woken %ld, child %s\n", what, woke, WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "saw the change" : errname(WEXITSTATUS(st)));
}

int main(void) {
  /* anonymous shared memory, inherited */
  uint32_t *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  *anon = 0;
  pid_t c = waiter(anon);
  wake_and_report("MAP_SHARED|MAP_ANONYMOUS", c, anon);

  /* a /dev/shm file: the child maps it after fork, at its own address */
  int fd = open("/dev/shm/umlts-futex-test", O_RDWR | O_CREAT | O_TRUNC, 0600);
  unlink("/dev/shm/umlts-futex-test");
  ftruncate(fd, 8192);
  uint32_t *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  c = fork();
  if (c == 0) {
    void *pad = mmap(NULL, 4096 * 7, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    (void)pad;
    uint32_t *b = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    struct timespec ts = {10, 0};
    long r = futex(b + 1024 + 3, FUTEX_WAIT, 0, &ts);
    _exit(r == 0 && b[1024 + 3] == 1 ? 0 : r < 0 ? errno : 1);
  }
  wake_and_report("a /dev/shm file mapped by each", c, a + 1024 + 3);

  /* a private futex in shared memory is the process's own: the wake does not reach the child */
  int mfd = syscall(SYS_memfd_create, "futex", 0);
  ftruncate(mfd, 4096);
  uint32_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  c = fork();
  if (c == 0) {
    uint32_t *m2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    struct timespec ts = {10, 0};
    long r = futex(m2, FUTEX_WAIT, 0, &ts);
    _exit(r == 0 && *m2 == 1 ? 0 : r < 0 ? errno : 1);
  }
  wake_and_report("a memfd mapped by each", c, m);

  /* a SysV segment */
  int id = shmget(IPC_PRIVATE, 4096, 0600);
  uint32_t *s = shmat(id, NULL, 0);
  c = fork();
  if (c == 0) {
    shmdt(s);
    uint32_t *s2 = shmat(id, NULL, 0);
    struct timespec ts = {10, 0};
    long r = futex(s2 + 7, FUTEX_WAIT, 0, &ts);
    _exit(r == 0 && s2[7] == 1 ? 0 : r < 0 ? errno : 1);
  }
  wake_and_report("a SysV segment attached by each", c, s + 7);
  shmctl(id, IPC_RMID, NULL);

  /* a process-shared mutex and condition variable */
  struct shared {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready;
  } *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&sh->mu, &ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  pthread_cond_init(&sh->cv, &ca);
  c = fork();
  if (c == 0) {
    pthread_mutex_lock(&sh->mu);
    while (sh->ready != 1) pthread_cond_wait(&sh->cv, &sh->mu);
    sh->ready = 2;
    pthread_cond_signal(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    _exit(0);
  }
  pthread_mutex_lock(&sh->mu);
  sh->ready = 1;
  pthread_cond_signal(&sh->cv);
  while (sh->ready != 2) pthread_cond_wait(&sh->cv, &sh->mu);
  pthread_mutex_unlock(&sh->mu);
  int st;
  waitpid(c, &st, 0);
  say("process-shared mutex and condvar: ping-pong done, child status %d\n", WEXITSTATUS(st));

  /* a POSIX named semaphore */
  sem_unlink("/umlts-futex-sem");
  sem_t *sem = sem_open("/umlts-futex-sem", O_CREAT | O_EXCL, 0600, 0);
  c = fork();
  if (c == 0) {
    sem_t *s2 = sem_open("/umlts-futex-sem", 0);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    _exit(sem_timedwait(s2, &ts) == 0 ? 0 : errno);
  }
  usleep(20000);
  sem_post(sem);
  waitpid(c, &st, 0);
  say("sem_open'd semaphore posted to a waiting child: child %s\n", WEXITSTATUS(st) == 0 ? "got it" : errname(WEXITSTATUS(st)));
  sem_unlink("/umlts-futex-sem");
  return 0;
}
