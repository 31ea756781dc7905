/* A syscall restarted for an SA_RESTART handler has rax back as the whole
 * orig_rax, high bits too (x86-64 takes the number's low 32 bits; the
 * frame shows what the guest had): the handler's context shows it, and the
 * call goes on after the handler. Differential. */
#include "common.h"
#include <ucontext.h>
#include <sys/time.h>

static int p[2];
static void on_alarm(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)si;
  ucontext_t *uc = ctx;
  say("handler: rax %#llx\n", (unsigned long long)uc->uc_mcontext.gregs[REG_RAX]);
  (void)!write(p[1], "x", 1);
}

int main(void) {
  if (pipe(p)) return 1;
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_alarm;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGALRM, &sa, 0);
  struct itimerval it = { { 0, 0 }, { 0, 50000 } };
  setitimer(ITIMER_REAL, &it, 0);
  char c = 0;
  long r = syscall(0x100000000L | SYS_read, p[0], &c, 1);
  say("read: %ld %c\n", r, c);
  return 0;
}
