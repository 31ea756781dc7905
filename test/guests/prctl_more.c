/* prctl options beyond names and capabilities:
 *  - PR_SET_CHILD_SUBREAPER: a grandchild orphaned by its parent's exit
 *    comes to the subreaper (getppid says so) and the subreaper reaps it;
 *    the flag is not inherited by fork;
 *  - PR_GET_AUXV: the saved vector (what /proc/self/auxv shows), padded
 *    to its fixed size, which is the answer;
 *  - PR_SET/GET_TIMERSLACK (0 restores the default), PR_SET/GET_THP_DISABLE,
 *    PR_GET_TSC. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_GET_AUXV
#define PR_GET_AUXV 0x41555856
#endif

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  pid_t me = getpid();
  int v = -1;
  printf("subreaper at first: %d", prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0));
  printf(" (%d)\n", v);
  printf("set subreaper: %d\n", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
  int pid[2], go[2]; /* the grandchild's pid to us; our word to the grandchild that its parent is gone */
  pipe(pid);
  pipe(go);
  pid_t c = fork();
  if (c == 0) {
    int cv = -1;
    prctl(PR_GET_CHILD_SUBREAPER, &cv, 0, 0, 0);
    printf("the child's flag after fork: %d\n", cv);
    pid_t g = fork();
    if (g == 0) {
      char b;
      read(go[0], &b, 1);
      printf("grandchild's parent is the subreaper: %s\n", getppid() == me ? "yes" : "no");
      _exit(7);
    }
    write(pid[1], &g, sizeof g);
    _exit(0);
  }
  pid_t g = 0;
  read(pid[0], &g, sizeof g);
  int st = 0;
  waitpid(c, &st, 0);
  write(go[1], "x", 1);
  pid_t w = waitpid(g, &st, 0);
  printf("the subreaper reaps the grandchild: %s, status %d\n", w == g ? "yes" : strerror(errno), WEXITSTATUS(st));

  unsigned long buf[80];
  memset(buf, 0xff, sizeof buf);
  long r = prctl(PR_GET_AUXV, buf, sizeof buf, 0, 0);
  int written = 0;
  while (written < 80 && buf[written] != ~0UL) written++;
  unsigned long mine[80];
  FILE *f = fopen("/proc/self/auxv", "rb");
  size_t n = fread(mine, 1, sizeof mine, f);
  fclose(f);
  int zeros = 1;
  for (size_t i = n / 8; i < (size_t)written; i++) zeros &= buf[i] == 0;
  printf("PR_GET_AUXV: %ld, %d words written, /proc/self/auxv's first: %d, zeros after: %d\n", r, written,
         memcmp(buf, mine, n) == 0, zeros);
  printf("PR_GET_AUXV into 16 bytes: %ld", prctl(PR_GET_AUXV, buf, 16, 0, 0));
  int a4 = prctl(PR_GET_AUXV, buf, 16, 1, 0);
  printf(", with arg4: %d %s\n", a4, strerror(errno));

  printf("timer slack %d", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
  prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0);
  printf(", set 1000: %d", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
  prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0);
  printf(", set 0: %d\n", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
  int before = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
  int set = prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
  printf("THP disable: %d, set %d, now %d", before, set, prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
  int a3 = prctl(PR_SET_THP_DISABLE, 1, 1, 0, 0);
  printf(", set with arg3: %d %s\n", a3, strerror(errno));
  v = -1;
  int tr = prctl(PR_GET_TSC, &v, 0, 0, 0);
  printf("TSC: %d (%d)\n", tr, v);
  return 0;
}
