/* Out of memory with several faulting threads and signals (test/robust.test.mjs,
 * under a small --mem): a many-threaded hog fills memory, then init's four
 * threads touch pages too while a 1 ms interval timer interrupts them. Under
 * umlts the OOM killer takes the hog; init's threads whose faults found no
 * frame sleep until the hog's frames are back, a signal meanwhile is
 * delivered (its handler runs) and the fault is taken again after it.
 * Natively nothing runs out: init kills the hog itself; the output is the
 * same.
 *
 * argv: MIB (what the hog touches; init's threads touch half as much in all)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "oom.h"

#define NTHREADS 4

static volatile sig_atomic_t ticks;
static void on_alarm(int sig) { (void)sig; ticks++; }

static size_t per_thread;
static void *toucher(void *arg) {
  char *p = arg;
  for (size_t i = 0; i < per_thread; i += 4096) p[i] = 2;
  /* every page kept what was written (nothing lost across the waits) */
  for (size_t i = 0; i < per_thread; i += 4096)
    if (p[i] != 2) return (void *)1;
  return NULL;
}

static void *idle(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 60;
  int go[2];
  if (pipe(go) < 0) return 1;
  pid_t c = fork();
  if (c == 0) {
    pthread_t t;
    for (int i = 0; i < 8; i++) pthread_create(&t, NULL, idle, NULL);
    hog_memory(mib, go[1]);
  }
  char x;
  if (read(go[0], &x, 1) != 1) return 1;
  struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
  setitimer(ITIMER_REAL, &it, NULL);
  per_thread = ((mib / 2) << 20) / NTHREADS;
  pthread_t th[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    char *q = mmap(NULL, per_thread, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    pthread_create(&th[i], NULL, toucher, q);
  }
  int bad = 0;
  for (int i = 0; i < NTHREADS; i++) {
    void *r;
    pthread_join(th[i], &r);
    bad += r != NULL;
  }
  struct itimerval off = { { 0, 0 }, { 0, 0 } };
  setitimer(ITIMER_REAL, &off, NULL);
  int st;
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
  printf("init: %d threads touched their pages, %d lost a write; the hog: %s %d\n", NTHREADS, bad,
         WIFSIGNALED(st) ? "killed by signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
  return 0;
}
