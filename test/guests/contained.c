/* An internal error in one process's syscall (test/robust.test.mjs, with
 * UMLTS_TEST_INJECT making getppid's handler throw): that process — two
 * threads — dies, its sibling and its parent go on. With a KernelPanic
 * injected instead, everything ends and no host process is left.
 *
 * The parent forks a bystander (blocked reading a pipe until told to go)
 * and a victim (a second thread asleep, then getppid); it prints how the
 * victim ended, lets the bystander finish, and prints its status.
 */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void *sleeper(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static void status(const char *who, int st) {
  if (WIFSIGNALED(st)) say("%s: killed by signal %d\n", who, WTERMSIG(st));
  else say("%s: exit %d\n", who, WEXITSTATUS(st));
}

int main(void) {
  int go[2];
  if (pipe(go) < 0) return 1;
  pid_t bystander = fork();
  if (bystander == 0) {
    char c;
    close(go[1]);
    ssize_t n = read(go[0], &c, 1);
    _exit(n == 1 && c == 'g' ? 7 : 1);
  }
  pid_t victim = fork();
  if (victim == 0) {
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    syscall(SYS_getppid); /* the injected fault */
    say("victim: getppid returned\n");
    _exit(0);
  }
  int st;
  waitpid(victim, &st, 0);
  status("victim", st);
  if (write(go[1], "g", 1) != 1) return 1;
  waitpid(bystander, &st, 0);
  status("bystander", st);
  say("done\n");
  return 0;
}
