/* Touch one byte and catch the fault it raises (SIGSEGV, SIGBUS): for the
 * guests that probe which pages of a mapping can be reached. */
#include <setjmp.h>
#include <signal.h>
#include <string.h>

static sigjmp_buf touch_jb;
/* the last touch's signal (0: none), its si_code and si_addr */
static volatile int touch_sig, touch_code;
static volatile void *touch_addr;

static void touch_on_fault(int s, siginfo_t *si, void *u) {
  (void)u;
  touch_sig = s;
  touch_code = si->si_code;
  touch_addr = si->si_addr;
  siglongjmp(touch_jb, 1);
}

/* catch SIGSEGV and SIGBUS from now on */
static void touch_catch(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = touch_on_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGBUS, &sa, 0);
  sigaction(SIGSEGV, &sa, 0);
}

/* read the byte at p into *c (or write 'w' there): the signal that raised, 0 if none */
__attribute__((unused)) static int touch(volatile char *p, int write, char *c) {
  touch_sig = 0;
  if (!sigsetjmp(touch_jb, 1)) {
    if (write) *p = 'w';
    else *c = *p;
  }
  return touch_sig;
}
