/* A program that opens 3000 files without raising its own RLIMIT_NOFILE:
 * it works wherever the limit it inherits allows it (a shell's 20000, say),
 * as it does natively. argv[1]: a writable directory. Prints the limit's
 * sufficiency, how many files opened and how the first failure failed. */
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>

#define N 3000

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  say("soft limit allows %d files: %s\n", N, rl.rlim_cur >= N + 3 ? "yes" : "no");
  int fds[N], n = 0, err = 0;
  char path[4096];
  for (int i = 0; i < N; i++) {
    snprintf(path, sizeof path, "%s/f%d", argv[1], i);
    int fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
      err = errno;
      break;
    }
    fds[n++] = fd;
  }
  say("opened %d%s%s\n", n, err ? ", then " : "", err ? errname(err) : "");
  int ok = 0;
  for (int i = 0; i < n; i++) {
    char b[16];
    int len = snprintf(b, sizeof b, "%d", i);
    if (pwrite(fds[i], b, len, 0) == len) ok++;
  }
  say("written through each: %d\n", ok);
  for (int i = 0; i < n; i++) close(fds[i]);
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/f%d", argv[1], i);
    unlink(path);
  }
  return 0;
}
