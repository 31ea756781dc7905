/* Kernel crash: clone(CLONE_SETTLS) with a non-canonical TLS base. The kernel
 * copies tls into the child's FS_BASE unchecked (childTask); the host's
 * PTRACE_SETREGS refuses an fs_base >= TASK_SIZE_MAX (EIO) and setRegs throws
 * a HostError that nothing contains. Linux: clone fails with EPERM.
 * argv[1]: "thread" for CLONE_THREAD|CLONE_VM|CLONE_SIGHAND (default: a process). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char stk[65536] __attribute__((aligned(16)));

int main(int argc, char **argv) {
  int thread = argc > 1 && !strcmp(argv[1], "thread");
  unsigned long flags = CLONE_SETTLS | (thread ? CLONE_THREAD | CLONE_VM | CLONE_SIGHAND : SIGCHLD);
  long r;
  /* raw clone: the child (if any) exits at once without touching TLS */
  register long r10 __asm__("r10") = 0;                      /* ctid */
  register long r8 __asm__("r8") = (long)0x8000000000000000UL; /* tls */
  __asm__ volatile(
      "syscall\n"
      "test %%rax, %%rax\n"
      "jnz 1f\n"
      "mov $60, %%eax\n"
      "xor %%edi, %%edi\n"
      "syscall\n"
      "1:\n"
      : "=a"(r)
      : "a"(SYS_clone), "D"(flags), "S"(thread ? stk + sizeof stk : 0), "d"(0), "r"(r10), "r"(r8)
      : "rcx", "r11", "memory");
  if (r < 0) printf("clone: %s\n", strerror(-r));
  else printf("clone returned %ld\n", r);
  if (r > 0 && !thread) waitpid(r, NULL, 0);
  return 0;
}
