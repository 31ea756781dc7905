/* fork and copy-on-write independence, wait status encodings, zombies,
 * orphans, process groups, exec. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/wait.h>

static int global = 1;

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "child-exec")) {
    printf("exec'd child: argv[2]=%s\n", argv[2]);
    return 5;
  }
  setvbuf(stdout, 0, _IONBF, 0);
  /* COW: the child's writes do not reach the parent, and vice versa */
  size_t len = 8 << 20;
  char *big = malloc(len);
  memset(big, 'p', len);
  char *shared = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  strcpy(shared, "before");
  int local = 10;
  pid_t c = fork();
  if (c == 0) {
    global = 2;
    local = 20;
    memset(big, 'c', len);
    strcpy(shared, "from child");
    printf("child sees: global=%d local=%d big=%c%c\n", global, local, big[0], big[len - 1]);
    _exit(3);
  }
  int st;
  waitpid(c, &st, 0);
  printf("parent sees: global=%d local=%d big=%c%c shared=%s\n", global, local, big[0], big[len - 1], shared);
  printf("exit status: exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));
  /* the parent writes after fork; the child must still see the old values */
  c = fork();
  if (c == 0) {
    usleep(100000);
    printf("child after parent's write: big=%c\n", big[100]);
    _exit(0);
  }
  memset(big, 'P', len);
  waitpid(c, &st, 0);

  /* killed by a signal */
  c = fork();
  if (c == 0) {
    pause();
    _exit(0);
  }
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
  printf("killed: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
  /* stopped and continued */
  c = fork();
  if (c == 0) {
    for (;;) pause();
  }
  kill(c, SIGSTOP);
  waitpid(c, &st, WUNTRACED);
  printf("stopped: %d sig=%d\n", WIFSTOPPED(st), WSTOPSIG(st));
  kill(c, SIGCONT);
  waitpid(c, &st, WCONTINUED);
  printf("continued: %d\n", WIFCONTINUED(st));
  kill(c, SIGTERM);
  waitpid(c, &st, 0);
  printf("terminated: sig=%d\n", WTERMSIG(st));
  /* WNOHANG, ECHILD */
  c = fork();
  if (c == 0) {
    usleep(100000);
    _exit(1);
  }
  printf("WNOHANG early: %d\n", waitpid(c, &st, WNOHANG));
  waitpid(c, &st, 0);
  errno = 0;
  printf("no children: %d errno=%s\n", waitpid(-1, &st, 0), errno == ECHILD ? "ECHILD" : "?");
  /* waitid */
  c = fork();
  if (c == 0) _exit(42);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  waitid(P_PID, c, &si, WEXITED);
  printf("waitid: code=%d status=%d pid ok=%d\n", si.si_code, si.si_status, si.si_pid == c);
  /* process groups */
  c = fork();
  if (c == 0) {
    setpgid(0, 0);
    printf("child is group leader: %d\n", getpgrp() == getpid());
    _exit(0);
  }
  waitpid(c, 0, 0);
  /* exec */
  c = fork();
  if (c == 0) {
    execl("/proc/self/exe", argv[0], "child-exec", "hello", (char *)0);
    _exit(127);
  }
  waitpid(c, &st, 0);
  printf("exec child status: %d\n", WEXITSTATUS(st));
  /* vfork + exec failure */
  c = vfork();
  if (c == 0) {
    execl("/nonexistent", "x", (char *)0);
    _exit(99);
  }
  waitpid(c, &st, 0);
  printf("vfork exec failure: %d\n", WEXITSTATUS(st));
  /* an orphan is reaped by init: the grandchild outlives its parent */
  c = fork();
  if (c == 0) {
    if (fork() == 0) {
      usleep(100000);
      _exit(0);
    }
    _exit(0);
  }
  waitpid(c, 0, 0);
  printf("orphan ok\n");
  return 0;
}
