/* Hostile guest: jumps, calls and returns into the stub's code page with
 * crafted registers (see hostile.h). Every stub symbol the test passes,
 * every byte offset of the code page that holds `0f 05` (syscall) or `cc`
 * (int3), with register sets the old stub expected (a syscall number and
 * hostile arguments, r12 at a forged batch, r14 = 1, r15/r8 a guessed
 * secret, rsp at a forged rt_sigframe), some from a second thread racing
 * mapping flushes, and a sweep of secret guesses.
 *
 * Expected of each: the child ends by a signal (SIGTRAP at an int3 site,
 * SIGSEGV, SIGSYS, SIGKILL) — or, for a helper function of the stub that
 * calls exit_group, an exit; never "returned" into our code; no marker
 * appears; the canary sibling is untouched; the kernel goes on ("done"). */
#include "hostile.h"

static unsigned long cur_target;
static enum how cur_how;
static enum rs cur_rs;
static enum mode cur_mode;
static unsigned long cur_guess;
static int cur_race;

static void jump_attack(long arg) {
  (void)arg;
  prefault();
  if (cur_race) start_churn();
  craft_rs(cur_rs, cur_guess);
  launch(cur_target, cur_how, cur_mode);
}

static void jump(const char *what, unsigned long target, enum how h, enum rs k, enum mode m, unsigned long g, int race) {
  char name[256];
  cur_target = target, cur_how = h, cur_rs = k, cur_mode = m, cur_guess = g, cur_race = race;
  snprintf(name, sizeof name, "%s %s [%s%s]%s", how_name(h), what, rs_name[k], m == AFTER_SYSCALL ? ", after a syscall" : "",
           race ? " racing a flushing thread" : "");
  run_attack(name, jump_attack, 0);
}

static const char *site_name(unsigned long a, const char *kind) {
  static char buf[128];
  unsigned long off;
  const char *s = sym_near(a, &off);
  snprintf(buf, sizeof buf, "%s %s+0x%lx (code+0x%lx)", kind, s, off, a - STUB_CODE);
  return buf;
}

int main(int argc, char **argv) {
  hostile_start(argc, argv);
  if (nsyms == 0) { say("no stub symbols given\n"); return 1; }

  /* 1. every symbol, by jmp, call and ret, with two register sets */
  for (int i = 0; i < nsyms; i++)
    for (int h = JMP; h <= RET; h++) {
      jump(syms[i].name, syms[i].addr, h, RS_EXECVE, AFTER_FAULT, 0, 0);
      jump(syms[i].name, syms[i].addr, h, RS_OPENAT, AFTER_FAULT, 0, 0);
    }
  /* 2. every `syscall` in the code page, with the hostile system calls */
  static const enum rs site_sets[] = { RS_EXECVE, RS_OPENAT, RS_MMAP, RS_MPROTECT, RS_MUNMAP, RS_CLONE, RS_FORK,
                                       RS_SIGRETURN, RS_SIGALTSTACK, RS_CLOSE };
  for (int i = 0; i < nsc_sites; i++) {
    char what[128];
    snprintf(what, sizeof what, "%s", site_name(sc_sites[i], "syscall at"));
    for (unsigned k = 0; k < sizeof site_sets / sizeof site_sets[0]; k++)
      jump(what, sc_sites[i], JMP, site_sets[k], AFTER_FAULT, 0, 0);
    jump(what, sc_sites[i], CALL, RS_OPENAT, AFTER_FAULT, 0, 0);
    jump(what, sc_sites[i], RET, RS_OPENAT, AFTER_FAULT, 0, 0);
    jump(what, sc_sites[i], JMP, RS_OPENAT, AFTER_SYSCALL, 0, 0);
  }
  /* 3. every `cc` byte (an int3, or an immediate that happens to hold 0xcc) */
  for (int i = 0; i < nint3_sites; i++)
    jump(site_name(int3_sites[i], "int3 byte at"), int3_sites[i], JMP, RS_EXECVE, AFTER_FAULT, 0, 0);
  /* 4. from a thread while a second thread flushes mappings */
  for (int i = 0; i < nsyms; i++) jump(syms[i].name, syms[i].addr, JMP, RS_OPENAT, AFTER_FAULT, 0, 1);
  jump("the runner's syscall", runner_syscall(), JMP, RS_MMAP, AFTER_FAULT, 0, 1);
  jump("the runner's syscall", runner_syscall(), JMP, RS_EXECVE, AFTER_FAULT, 0, 1);
  /* 5. secret guesses, in r8's upper half and in r15 */
  unsigned long rb = sym("stub_run_batch");
  for (int i = 0; i < nguesses; i++) {
    char what[160];
    snprintf(what, sizeof what, "the runner's syscall, guess %#lx", guesses[i]);
    jump(what, runner_syscall(), JMP, RS_OPENAT, AFTER_FAULT, guesses[i], 0);
    if (rb) {
      snprintf(what, sizeof what, "stub_run_batch (forged batch), guess %#lx", guesses[i]);
      jump(what, rb, JMP, RS_OPENAT, AFTER_FAULT, guesses[i], 0);
    }
    snprintf(what, sizeof what, "the clone syscall, guess %#lx", guesses[i]);
    jump(what, clone_syscall(), JMP, RS_CLONE, AFTER_FAULT, guesses[i], 0);
  }
  hostile_end();
  return 0;
}
