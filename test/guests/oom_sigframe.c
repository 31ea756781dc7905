/* Out of memory in a signal frame (test/robust.test.mjs, under a small
 * --mem): a hog child fills most of memory, then init raises a signal over
 * and over, each time on a fresh alternate signal stack, so the only memory
 * init asks for is the frames the kernel writes for those signals: one of
 * them finds no page. Linux's OOM killer then takes the hog and the frame
 * is written; a frame that cannot be written for want of memory is not a
 * bad stack (no SIGSEGV). Natively nothing runs out: init kills the hog
 * itself, and the output is the same.
 *
 * argv: MIB (what the hog touches) SIGNALS (how many, each on a fresh 16 KiB stack)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "oom.h"

#define SLOT (16 << 10)

static volatile sig_atomic_t handled;
static char *expected_stack;
static volatile int on_fresh_stack = 1;

static void on_usr1(int sig) {
  (void)sig;
  char here;
  /* the handler runs on the stack just given */
  if (&here < expected_stack || &here >= expected_stack + SLOT) on_fresh_stack = 0;
  handled++;
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 56;
  int n = argc > 2 ? atoi(argv[2]) : 4000;
  int go[2];
  if (pipe(go) < 0) return 1;
  pid_t c = fork();
  if (c == 0) {
    hog_memory(mib, go[1]);
  }
  char x;
  if (read(go[0], &x, 1) != 1) return 1;
  char *stacks = mmap(NULL, (size_t)n * SLOT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (stacks == MAP_FAILED) return 1;
  struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_ONSTACK };
  sigaction(SIGUSR1, &sa, NULL);
  for (int i = 0; i < n; i++) {
    expected_stack = stacks + (size_t)i * SLOT;
    stack_t ss = { .ss_sp = expected_stack, .ss_size = SLOT, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) < 0) return 1;
    kill(getpid(), SIGUSR1);
  }
  int st;
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
  printf("init: %d signals handled, %s; the hog: %s %d\n", (int)handled, on_fresh_stack ? "each on its fresh stack" : "NOT on the stack given",
         WIFSIGNALED(st) ? "killed by signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
  return 0;
}
