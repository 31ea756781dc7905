/* PTRACE_SEIZE, INTERRUPT and LISTEN, and group-stop as a tracer sees it
 * (with SEIZE: PTRACE_EVENT_STOP; with ATTACH: a stop whose siginfo is
 * EINVAL): a tracer drives a child that serves commands over a pipe (it
 * sits in a blocking read between them). Each line says what a step saw;
 * the native run is the reference. */
#include "common.h"
#include <poll.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

static int cmd[2], ack[2];

/* The traced child: 'p' answers 'a', 'f' forks a grandchild that exits 5 and answers 'f' once it is reaped,
 * 'x' exits 7. */
static void serve(void) {
  for (;;) {
    char c;
    if (read(cmd[0], &c, 1) != 1) _exit(1);
    if (c == 'p') (void)!write(ack[1], "a", 1);
    if (c == 'f') {
      int g = fork();
      if (g == 0) _exit(5);
      int st;
      waitpid(g, &st, 0);
      (void)!write(ack[1], "f", 1);
    }
    if (c == 'x') _exit(7);
  }
}

static int spawn(void) {
  int pid = fork();
  if (pid == 0) serve();
  return pid;
}

/* The answer to one command, or '-' if none comes within ms. */
static char ask(char c, int ms) {
  if (c) (void)!write(cmd[1], &c, 1);
  struct pollfd p = { ack[0], POLLIN, 0 };
  if (poll(&p, 1, ms) != 1) return '-';
  char a;
  return read(ack[0], &a, 1) == 1 ? a : '?';
}

/* What waitpid says of pid: exited, killed, or stopped with its signal and event. */
static void show(const char *what, int pid, int flags) {
  int st;
  int r = waitpid(pid, &st, flags | __WALL);
  if (r <= 0) {
    say("%s: waitpid %s\n", what, r == 0 ? "0 (nothing)" : errname(errno));
    return;
  }
  if (WIFEXITED(st)) say("%s: exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) say("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
  else if (WIFSTOPPED(st)) say("%s: stopped, %s, event %d\n", what, strsignal(WSTOPSIG(st)), st >> 16);
  else say("%s: status %#x\n", what, st);
}

static void siginfo(const char *what, int pid) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) < 0) {
    say("%s: GETSIGINFO %s\n", what, errname(errno));
    return;
  }
  say("%s: siginfo %s, code %d | event %d << 8\n", what, strsignal(si.si_signo), si.si_code & 0xff, si.si_code >> 8);
}

int main(void) {
  if (pipe(cmd) || pipe(ack)) return 1;

  /* errors */
  int c = spawn();
  say("SEIZE with addr 1: %s\n", res(ptrace(PTRACE_SEIZE, c, 1, 0)));
  say("SEIZE with an unknown option: %s\n", res(ptrace(PTRACE_SEIZE, c, 0, 0x80000000L)));
  say("SEIZE of itself: %s\n", res(ptrace(PTRACE_SEIZE, getpid(), 0, 0)));
  say("INTERRUPT of an untraced child: %s\n", res(ptrace(PTRACE_INTERRUPT, c, 0, 0)));
  say("LISTEN of an untraced child: %s\n", res(ptrace(PTRACE_LISTEN, c, 0, 0)));

  /* seized: it goes on running */
  say("SEIZE: %s\n", res(ptrace(PTRACE_SEIZE, c, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACESYSGOOD)));
  say("SEIZE again: %s\n", res(ptrace(PTRACE_SEIZE, c, 0, 0)));
  say("after SEIZE it answers: %c\n", ask('p', 5000));
  show("after SEIZE", c, WNOHANG);
  say("GETREGS while it runs: %s\n", res(ptrace(PTRACE_GETREGS, c, 0, &(struct user_regs_struct){0})));

  /* INTERRUPT: a stop of its own, out of the blocking read, which goes on after */
  say("INTERRUPT: %s\n", res(ptrace(PTRACE_INTERRUPT, c, 0, 0)));
  show("after INTERRUPT", c, 0);
  siginfo("after INTERRUPT", c);
  /* one asked for while stopped: another stop once this one ends */
  say("INTERRUPT while stopped: %s\n", res(ptrace(PTRACE_INTERRUPT, c, 0, 0)));
  say("CONT: %s\n", res(ptrace(PTRACE_CONT, c, 0, 0)));
  show("after CONT", c, 0);
  /* LISTEN in a stop INTERRUPT made: it stays stopped until the next INTERRUPT */
  say("LISTEN outside a group stop: %s\n", res(ptrace(PTRACE_LISTEN, c, 0, 0)));
  show("while listening", c, WNOHANG);
  say("while listening it answers: %c\n", ask('p', 300));
  say("INTERRUPT while listening: %s\n", res(ptrace(PTRACE_INTERRUPT, c, 0, 0)));
  show("after INTERRUPT", c, 0);
  say("CONT: %s\n", res(ptrace(PTRACE_CONT, c, 0, 0)));
  say("its read went on: %c\n", ask(0, 5000));

  /* group stop: a signal-delivery-stop for SIGSTOP, then, once the tracer lets it take it, the group stop */
  kill(c, SIGSTOP);
  show("after SIGSTOP", c, 0);
  siginfo("after SIGSTOP", c);
  say("CONT with SIGSTOP: %s\n", res(ptrace(PTRACE_CONT, c, 0, SIGSTOP)));
  show("after CONT with SIGSTOP", c, 0);
  siginfo("in the group stop", c);

  /* LISTEN: stopped still, and not the tracer's to touch until the next stop */
  say("LISTEN: %s\n", res(ptrace(PTRACE_LISTEN, c, 0, 0)));
  show("while listening", c, WNOHANG);
  say("while listening it answers: %c\n", ask('p', 300));
  unsigned long msg;
  say("GETEVENTMSG while listening: %s\n", res(ptrace(PTRACE_GETEVENTMSG, c, 0, &msg)));
  say("CONT while listening: %s\n", res(ptrace(PTRACE_CONT, c, 0, 0)));
  /* SIGCONT ends the group stop: a stop again, then SIGCONT's own signal-delivery-stop */
  kill(c, SIGCONT);
  show("after SIGCONT", c, 0);
  siginfo("after SIGCONT", c);
  say("CONT: %s\n", res(ptrace(PTRACE_CONT, c, 0, 0)));
  show("after CONT", c, 0);
  say("CONT with SIGCONT: %s\n", res(ptrace(PTRACE_CONT, c, 0, SIGCONT)));
  say("then it answers what it was asked while stopped: %c\n", ask(0, 5000));

  /* LISTEN ended by INTERRUPT */
  kill(c, SIGSTOP);
  show("after SIGSTOP", c, 0);
  ptrace(PTRACE_CONT, c, 0, SIGSTOP);
  show("after CONT with SIGSTOP", c, 0);
  say("LISTEN: %s\n", res(ptrace(PTRACE_LISTEN, c, 0, 0)));
  say("INTERRUPT while listening: %s\n", res(ptrace(PTRACE_INTERRUPT, c, 0, 0)));
  show("after INTERRUPT", c, 0);
  siginfo("after INTERRUPT", c);
  /* resumed from the group stop, a tracee runs (the stop is over for it) */
  say("CONT: %s\n", res(ptrace(PTRACE_CONT, c, 0, 0)));
  say("resumed in a group stop, it answers: %c\n", ask('p', 5000));
  kill(c, SIGCONT);
  show("after SIGCONT", c, 0);
  ptrace(PTRACE_CONT, c, 0, 0);
  show("after CONT", c, 0);
  ptrace(PTRACE_CONT, c, 0, SIGCONT);

  /* a fork under PTRACE_O_TRACEFORK: the new process starts seized, in a PTRACE_EVENT_STOP */
  (void)!write(cmd[1], "f", 1);
  show("after fork", c, 0);
  unsigned long g = 0;
  ptrace(PTRACE_GETEVENTMSG, c, 0, &g);
  show("the new process", (int)g, 0);
  siginfo("the new process", (int)g);
  say("INTERRUPT of the new process: %s\n", res(ptrace(PTRACE_INTERRUPT, (int)g, 0, 0)));
  ptrace(PTRACE_CONT, (int)g, 0, 0);
  show("the new process", (int)g, 0);
  /* detached, it exits untraced: its parent reaps it and takes SIGCHLD (a stop for the tracer) */
  say("DETACH of the new process: %s\n", res(ptrace(PTRACE_DETACH, (int)g, 0, 0)));
  ptrace(PTRACE_CONT, c, 0, 0);
  show("its parent", c, 0);
  ptrace(PTRACE_CONT, c, 0, 0);
  say("its parent reaped it: %c\n", ask(0, 5000));
  (void)!write(cmd[1], "x", 1);
  show("at the end", c, 0);

  /* ATTACH: a group stop is a stop with SIGSTOP and no siginfo; INTERRUPT and LISTEN are not its tracer's */
  c = spawn();
  say("ATTACH: %s\n", res(ptrace(PTRACE_ATTACH, c, 0, 0)));
  show("after ATTACH", c, 0);
  say("INTERRUPT after ATTACH: %s\n", res(ptrace(PTRACE_INTERRUPT, c, 0, 0)));
  say("LISTEN after ATTACH: %s\n", res(ptrace(PTRACE_LISTEN, c, 0, 0)));
  ptrace(PTRACE_CONT, c, 0, 0);
  kill(c, SIGSTOP);
  show("after SIGSTOP", c, 0);
  siginfo("after SIGSTOP", c);
  ptrace(PTRACE_CONT, c, 0, SIGSTOP);
  show("after CONT with SIGSTOP", c, 0);
  siginfo("in the group stop", c);
  ptrace(PTRACE_CONT, c, 0, 0);
  say("resumed in a group stop, it answers: %c\n", ask('p', 5000));
  (void)!write(cmd[1], "x", 1);
  show("at the end", c, 0);

  /* SEIZE of a process already stopped: it traps at once, in the group stop */
  c = spawn();
  kill(c, SIGSTOP);
  show("stopped, before SEIZE", c, WUNTRACED);
  say("SEIZE: %s\n", res(ptrace(PTRACE_SEIZE, c, 0, 0)));
  show("after SEIZE", c, 0);
  siginfo("after SEIZE", c);
  kill(c, SIGKILL);
  show("after SIGKILL", c, 0);
  return 0;
}
