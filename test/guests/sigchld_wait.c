/* A waitpid that a child's exit ends while a SIGCHLD handler without
 * SA_RESTART is installed: Linux's do_wait looks at the children before it
 * looks for a signal, so the wait returns the child (and the handler runs as
 * it returns), where a wait for another child ends with EINTR. */
#include "common.h"

static volatile int handled;
static void on_chld(int sig) { (void)sig; handled++; }

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_chld; /* no SA_RESTART */
  sigaction(SIGCHLD, &sa, 0);
  pid_t a = fork();
  if (a == 0) {
    usleep(100000);
    _exit(3);
  }
  int st = 0;
  pid_t r = waitpid(a, &st, 0);
  int e = errno;
  say("waitpid for the child that exits: %s, status %d, handler ran %d\n", r == a ? "the child" : errname(e),
      r == a ? WEXITSTATUS(st) : -1, handled);
  handled = 0;
  pid_t b = fork();
  if (b == 0) {
    usleep(100000);
    _exit(4);
  }
  pid_t c = fork();
  if (c == 0) {
    usleep(400000);
    _exit(5);
  }
  r = waitpid(c, &st, 0);
  e = errno;
  say("waitpid for another child: %s, handler ran %d\n", r == c ? "the child" : errname(e), handled);
  waitpid(b, &st, 0);
  say("then the first: status %d\n", WEXITSTATUS(st));
  r = waitpid(c, &st, 0);
  say("and the other: %s, status %d\n", r == c ? "the child" : errname(errno), WEXITSTATUS(st));
  return 0;
}
