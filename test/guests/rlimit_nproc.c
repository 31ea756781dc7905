/* RLIMIT_NPROC (copy_process): a user with as many tasks as its limit
 * gets EAGAIN from fork and from pthread_create; root is not held to it.
 * Run as user 54321 (no other process of it on the host) in a child. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void *idle(void *arg) {
  (void)arg;
  pause();
  return NULL;
}

int main(void) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    struct rlimit rl = {4, 4};
    setrlimit(RLIMIT_NPROC, &rl);
    if (setuid(54321) != 0) {
      perror("setuid");
      _exit(1);
    }
    pid_t kids[8];
    int n = 0, err = 0;
    for (; n < 8; n++) {
      pid_t k = fork();
      if (k == 0) {
        pause();
        _exit(0);
      }
      if (k < 0) {
        err = errno;
        break;
      }
      kids[n] = k;
    }
    printf("user 54321, RLIMIT_NPROC 4: %d forks, then %s\n", n, strerrorname_np(err));
    pthread_t th;
    int e = pthread_create(&th, NULL, idle, NULL);
    printf("and pthread_create: %s\n", e ? strerrorname_np(e) : "OK");
    for (int i = 0; i < n; i++) kill(kids[i], SIGKILL);
    for (int i = 0; i < n; i++) waitpid(kids[i], NULL, 0);
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  /* root with the same limit: no limit */
  struct rlimit rl = {1, 1};
  setrlimit(RLIMIT_NPROC, &rl);
  pid_t k = fork();
  if (k == 0) _exit(0);
  printf("root, RLIMIT_NPROC 1: fork %s\n", k > 0 ? "OK" : strerrorname_np(errno));
  waitpid(k, NULL, 0);
  return 0;
}
