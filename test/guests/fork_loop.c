/* Many forks in a row, each child exiting with its own status: a platform
 * that mixed up its children (systrap tells a fork's copy by a nonce that
 * wraps) would show a wrong status or a lost child. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1200, right = 0;
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p < 0) { perror("fork"); return 1; }
    if (p == 0) _exit(i & 0x7f);
    int st;
    if (waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == (i & 0x7f)) right++;
  }
  printf("%d children, statuses right: %d\n", n, right);
  return 0;
}
