/* Processes sharing one address space (CLONE_VM, CLONE_VM|CLONE_SIGHAND,
 * CLONE_VM|CLONE_VFORK) leave it in every order, 30 rounds: a child
 * execs, one is killed while it runs, one exits, and their parent — with
 * two threads spinning in that memory — exits first, is killed, or waits
 * for them. The children left running end once their parent is gone.
 * Output is compared with the host kernel's. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char stacks[6][65536] __attribute__((aligned(16)));
static volatile int stop;
static pid_t parent;
static const char *self;

static void *spin(void *a) {
  (void)a;
  while (!stop) __asm__ volatile("" ::: "memory");
  return NULL;
}
static int child_exec(void *a) {
  (void)a;
  execl(self, self, "exec-child", (char *)0);
  return 1;
}
/* until its parent is gone, or told to stop */
static int child_spin(void *a) {
  (void)a;
  while (!stop && getppid() == parent) sched_yield();
  return 0;
}
static int child_exit(void *a) {
  return (int)(long)a;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "exec-child")) return 5;
  self = argv[0];
  int rounds = 0;
  for (int round = 0; round < 30; round++) {
    pid_t m = fork();
    if (m == 0) {
      parent = getpid();
      pthread_t t[2];
      for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, spin, NULL);
      pid_t c[6];
      c[0] = clone(child_exec, stacks[0] + sizeof stacks[0], CLONE_VM | SIGCHLD, NULL);
      c[1] = clone(child_spin, stacks[1] + sizeof stacks[1], CLONE_VM | SIGCHLD, NULL);
      c[2] = clone(child_exit, stacks[2] + sizeof stacks[2], CLONE_VM | SIGCHLD, (void *)3);
      c[3] = clone(child_spin, stacks[3] + sizeof stacks[3], CLONE_VM | CLONE_SIGHAND | SIGCHLD, NULL);
      c[4] = clone(child_exec, stacks[4] + sizeof stacks[4], CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
      c[5] = clone(child_spin, stacks[5] + sizeof stacks[5], CLONE_VM | SIGCHLD, NULL);
      kill(c[1], SIGKILL);
      if (round % 3 == 0) _exit(0);
      if (round % 3 == 1) kill(getpid(), SIGKILL);
      int sum = 0;
      for (int i = 0; i < 3; i++) {
        int st = 0;
        waitpid(c[2 * i], &st, __WALL);
        sum += WEXITSTATUS(st);
      }
      stop = 1;
      for (int i = 1; i < 6; i += 2) waitpid(c[i], NULL, __WALL);
      _exit(sum);
    }
    int st = 0;
    waitpid(m, &st, 0);
    int want = round % 3 == 0 ? 0 : round % 3 == 1 ? 128 + SIGKILL : 5 + 3 + 5;
    int got = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (got == want) rounds++;
    else printf("round %d: status %d, not %d\n", round, got, want);
  }
  printf("%d rounds as expected\n", rounds);
  return 0;
}
