/* A traced process that is not its tracer's child: its parent learns of
 * its exit (wait, SIGCHLD) only once its tracer has waited for it (Linux's
 * wait_task_zombie for a ptrace-reparented child), or once the tracer is
 * gone. The tracer follows a child's fork (PTRACE_O_TRACEFORK); the
 * grandchild exits; the child looks with WNOHANG, then waits. One line
 * per step, in an order Linux fixes. */
#include "common.h"
#include <poll.h>
#include <sys/ptrace.h>

static int out[2];

static void line(const char *s) { (void)!write(out[1], s, strlen(s)); }

/* What the child said, or that it said nothing within 2 s. */
static void heard(void) {
  char b[128];
  struct pollfd p = { out[0], POLLIN, 0 };
  if (poll(&p, 1, 2000) != 1) {
    say("child said nothing\n");
    return;
  }
  int n = read(out[0], b, sizeof b - 1);
  b[n > 0 ? n : 0] = 0;
  say("child said: %s", b);
}

static void stop_of(const char *who, int pid) {
  int st;
  if (waitpid(pid, &st, __WALL) != pid) {
    say("%s: waitpid %s\n", who, errname(errno));
    return;
  }
  if (WIFEXITED(st)) say("%s: exited %d\n", who, WEXITSTATUS(st));
  else if (WIFSTOPPED(st)) say("%s: stopped, %s, event %d\n", who, strsignal(WSTOPSIG(st)), st >> 16);
  else say("%s: status %#x\n", who, st);
}

/* The child: a grandchild that exits at once, looked for before and after its tracer waits for it. */
static void child(void) {
  ptrace(PTRACE_TRACEME, 0, 0, 0);
  raise(SIGSTOP);
  int g = fork();
  if (g == 0) _exit(3);
  usleep(300000);
  char b[96];
  int st = 0;
  int r = waitpid(g, &st, WNOHANG);
  snprintf(b, sizeof b, "WNOHANG after the grandchild exited: %s\n", r == g ? "its status" : r == 0 ? "0 (not yet)" : errname(errno));
  line(b);
  r = waitpid(g, &st, 0);
  snprintf(b, sizeof b, "then waited: %s, exit %d\n", r == g ? "it" : errname(errno), WEXITSTATUS(st));
  line(b);
  _exit(0);
}

int main(void) {
  if (pipe(out)) return 1;
  int c = fork();
  if (c == 0) child();
  stop_of("child", c);
  ptrace(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACEFORK);
  ptrace(PTRACE_CONT, c, 0, 0);
  stop_of("child", c);
  unsigned long g = 0;
  ptrace(PTRACE_GETEVENTMSG, c, 0, &g);
  stop_of("grandchild", (int)g);
  ptrace(PTRACE_CONT, (int)g, 0, 0);
  ptrace(PTRACE_CONT, c, 0, 0);
  /* the grandchild is gone, and its tracer has not waited for it: its parent does not see it yet */
  heard();
  stop_of("grandchild", (int)g);
  /* now it does: its wait returns, then SIGCHLD stops it for its tracer */
  stop_of("child", c);
  ptrace(PTRACE_CONT, c, 0, SIGCHLD);
  heard();
  stop_of("child", c);
  return 0;
}
