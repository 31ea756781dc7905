/* uretprobe(2) and uprobe(2) called from outside a uprobe trampoline
 * (arch/x86/kernel/uprobes.c): uprobe is ENXIO, uretprobe forces SIGILL on
 * the caller and returns -1. On systrap the host runs them itself (its
 * seccomp lets both through), on ptrace the kernel answers: the same. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int got;
static void onIll(int sig) {
  got = sig;
}

int main(void) {
  signal(SIGILL, onIll);
  long r = syscall(336);
  printf("uprobe: %ld %s\n", r, r < 0 ? strerror(errno) : "");
  errno = 0;
  r = syscall(335);
  printf("uretprobe: %ld %s, signal %d\n", r, r < 0 ? strerror(errno) : "", got);
  return 0;
}
