/* The wait status and siginfo of children killed by core-dumping signals
 * (SIGSEGV from a fault, SIGABRT, SIGQUIT, SIGSEGV sent) and by a plain one
 * (SIGTERM), with RLIMIT_CORE 0 set first: Linux writes no core and so
 * reports none (no 0x80 bit, CLD_KILLED). Output is compared with the host
 * kernel's. */
#include "common.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

static void child(int how) {
  switch (how) {
  case 0: *(volatile int *)8 = 1; break;
  case 1: abort();
  case 2: raise(SIGQUIT); break;
  case 3: kill(getpid(), SIGSEGV); break;
  case 4: raise(SIGTERM); break;
  }
  _exit(99);
}

int main(void) {
  struct rlimit rl = {0, 0};
  say("setrlimit: %s\n", res(setrlimit(RLIMIT_CORE, &rl)));
  const char *what[] = {"fault", "abort", "SIGQUIT", "kill SIGSEGV", "SIGTERM"};
  for (int i = 0; i < 5; i++) {
    pid_t pid = fork();
    if (pid == 0) child(i);
    int st;
    waitpid(pid, &st, 0);
    say("%s: status %#x signaled %d sig %d core %d\n", what[i], st, WIFSIGNALED(st), WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
    pid = fork();
    if (pid == 0) child(i);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, pid, &si, WEXITED);
    say("%s: waitid code %s status %d\n", what[i],
        si.si_code == CLD_DUMPED ? "CLD_DUMPED" : si.si_code == CLD_KILLED ? "CLD_KILLED" : "other", si.si_status);
  }
  return 0;
}
