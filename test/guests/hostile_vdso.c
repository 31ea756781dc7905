/* The host's vDSO that every stub keeps at STUB_HOST_VDSO (layout.h; its
 * code's range is argv[1] and argv[2], decimal, given by the test) is
 * guest-executable: its syscall instructions must be the guest's, emulated,
 * never the stub's own. For each `syscall` (0f 05) in that range: jump
 * there with write(1, "X", 1) in the registers, in a child that comes back
 * by whatever fault or trap follows. Under umlts each write reaches the
 * guest's stdout; a host-run one would not (the stub has no fd 1). Prints
 * how many sites were tried and how many wrote. Run by hostile tests only. */
#include "common.h"
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>


static sigjmp_buf back;
static void on_fault(int sig) {
  (void)sig;
  siglongjmp(back, 1);
}
/* where whatever follows the syscall returns to: a stack filled with this address */
static void landing(void) {
  _exit(0);
}
static unsigned long scratch[8192];

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  unsigned long STUB_HOST_VDSO = strtoul(argv[1], 0, 10), STUB_HOST_VDSO_SIZE = strtoul(argv[2], 0, 10);
  int pfd[2];
  if (pipe(pfd) != 0) return 1;
  /* (not in the guest's maps: the range is the stub's, above the guest's TASK_SIZE) */
  unsigned long lo = STUB_HOST_VDSO, hi = STUB_HOST_VDSO + STUB_HOST_VDSO_SIZE;
  int tried = 0, wrote = 0;
  for (unsigned long p = lo; p + 2 <= hi && tried < 64; p++) {
    if (((unsigned char *)p)[0] != 0x0f || ((unsigned char *)p)[1] != 0x05) continue;
    tried++;
    pid_t c = fork();
    if (c == 0) {
      dup2(pfd[1], 1);
      signal(SIGSEGV, on_fault);
      signal(SIGILL, on_fault);
      signal(SIGBUS, on_fault);
      signal(SIGTRAP, on_fault);
      alarm(2);
      static const char x = 'X';
      for (unsigned i = 0; i < sizeof scratch / sizeof scratch[0]; i++) scratch[i] = (unsigned long)landing;
      if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("movq %2, %%rsp\n movl $1, %%eax\n movl $1, %%edi\n movq %0, %%rsi\n movl $1, %%edx\n jmp *%1\n"
                         :: "r"(&x), "r"(p), "r"(&scratch[4096]) : "rax", "rdi", "rsi", "rdx", "memory");
      }
      _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
  }
  close(pfd[1]);
  char buf[128];
  ssize_t n;
  while ((n = read(pfd[0], buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < n; i++) wrote += buf[i] == 'X';
  say("syscall sites in the host's vDSO: %d, each wrote for the guest: %s\n", tried, tried > 0 && wrote >= tried ? "yes" : "no");
  return 0;
}
