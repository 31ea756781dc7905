/* Kernel crash: rt_sigreturn with a forged FPU frame (MXCSR reserved bits set,
 * or xstate_bv naming components the host does not have). The kernel loads
 * the guest's XSAVE image with PTRACE_SETREGSET; the host refuses (EINVAL) and
 * HostThread.setXstate throws a HostError that nothing contains.
 * Linux: the sigreturn fails and the process gets SIGSEGV.
 * argv[1]: "mxcsr" (default) or "xbv". */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static int mode;
static void h(int sig, siginfo_t *si, void *uc_) {
  (void)sig; (void)si;
  ucontext_t *uc = uc_;
  unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
  if (mode == 0) *(unsigned *)(fp + 24) = 0xffffffffu;                /* MXCSR: reserved bits */
  else *(unsigned long long *)(fp + 512) = 0xffffffffffffffffull;     /* xstate_bv: every component */
}
int main(int argc, char **argv) {
  mode = argc > 1 && !strcmp(argv[1], "xbv");
  struct sigaction sa = {0};
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("survived sigreturn\n");
  return 0;
}
