/* Out of memory with a hog beside init (test/robust.test.mjs, under a small
 * --mem; found by the fuzzer: its fork server, init, was killed): a child
 * fills memory, then init needs pages too. Linux's OOM killer takes the
 * process with the most memory — the hog — and never init; init goes on.
 * Natively nothing runs out: the parent kills the hog itself, and the
 * output is the same.
 *
 * argv: MIB [syscall]  (what the hog touches; init then touches half as
 * much — or, with "syscall", has the kernel fill fresh pages for it in one
 * read(2) of /dev/zero while the hog waits: the allocation is the kernel's,
 * inside the call; umlts may fail that call with ENOMEM once, the hog
 * killed, and init reads again)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 60;
  int in_syscall = argc > 2 && !strcmp(argv[2], "syscall");
  int go[2];
  if (pipe(go) < 0) return 1;
  pid_t c = fork();
  if (c == 0) {
    char *p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    for (size_t i = 0; i < mib << 20; i += 4096) {
      p[i] = 1;
      if (!in_syscall && i == mib << 19 && write(go[1], "x", 1) != 1) _exit(1); /* half way: init starts too */
    }
    if (in_syscall && write(go[1], "x", 1) != 1) _exit(1); /* all of it held: init's turn */
    for (;;) pause();
  }
  char x;
  if (read(go[0], &x, 1) != 1) return 1;
  size_t n = (mib / 2) << 20;
  char *q = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (in_syscall) {
    int z = open("/dev/zero", O_RDONLY);
    size_t got = 0;
    for (int tries = 0; got < n && tries < 100; tries++) {
      ssize_t r = read(z, q + got, n - got);
      if (r > 0) got += (size_t)r;
      else if (!(r < 0 && errno == ENOMEM)) break;
    }
    printf("init: read %zu bytes\n", got);
  } else {
    for (size_t i = 0; i < n; i += 4096) q[i] = 2;
  }
  int st;
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
  printf("init: alive; the hog: %s %d\n", WIFSIGNALED(st) ? "killed by signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
  return 0;
}
