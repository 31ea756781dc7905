/* Shared by the hostile_*.c guests (test/hostile.test.mjs): a guest that
 * attacks umlts's stub the way DESIGN.md's security rule says it may — it
 * knows every byte of the stub, controls every register, races threads.
 *
 * Only meaningful under umlts. The stub lives in the guest's host process
 * above the guest's TASK_SIZE:
 *   0x7ff000000000  code page (r-x)
 *   0x7ff000001000  batch page (r--), mapping requests written by the kernel
 *   0x7ff000004000  (old design only) per-thread data slots, rw-
 *
 * argv: MARKER... SYMS name=hexaddr...
 *   MARKERs are host paths outside the guest's jail: every attack tries to
 *   create them; the test checks that none ever exists on the host.
 *   The name=hexaddr pairs are the lines of build/native/stub.syms.
 *
 * Each attack runs in a forked child (one death must not stop the others);
 * the parent prints one line per attack,
 *     attack NAME: OUTCOME
 * where OUTCOME is how the child ended: a signal name (SIGSEGV ...), an
 * errno name the child reported (E...), "exit N" (the child called exit),
 * "exit 42 (returned into guest code through ...)" (stub code came back into
 * our code: by a `ret`, by a host rt_sigreturn — failures — or by the
 * kernel's emulated rt_sigreturn into a frame of ours, which is guest-level),
 * or what the child reported otherwise ("all N stores went through" ...).
 * Informational lines start with "# ".
 *
 * A canary sibling (forked before any attack) fills a page with a keyed
 * pattern; attackers that get host mmaps of physmem look for it and
 * overwrite it; at the end the sibling reports whether its page changed:
 *     canary: found 0, overwritten 0, sibling page unchanged true
 */
#include "common.h"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#define PG 4096UL
#define TASK_SIZE 0x7fe000000000UL
#define STUB_CODE 0x7ff000000000UL
#define STUB_BATCH 0x7ff000001000UL
#define OLD_DATA 0x7ff000004000UL        /* the old design's data slots ... */
#define OLD_SLOT 0x4000UL
#define OLD_SLOTS 64UL
#define OLD_DATA_END (OLD_DATA + OLD_SLOT * OLD_SLOTS) /* ... up to here */
/* the old stub's clone flags: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */
#define OLD_CLONE_FLAGS 0x50f00UL
/* where attacks ask for physmem to be mapped (MAP_FIXED); scanned for the
 * canary if control ever comes back to us */
#define SCAN_BASE 0x500000000000UL
#define SCAN_LEN (64UL << 20) /* (physmem is allocated from its start: the canary is early) */

/* ---------------------------------------------------------------- arguments */
struct sym { char name[64]; unsigned long addr; };
static struct sym syms[128];
static int nsyms;
static const char *markers[4];
static int nmarkers;

static void parse_args(int argc, char **argv) {
  int i = 1;
  for (; i < argc && strcmp(argv[i], "SYMS") != 0; i++)
    if (nmarkers < 4) markers[nmarkers++] = argv[i];
  for (i++; i < argc && nsyms < 128; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq || eq - argv[i] >= 63) continue;
    memcpy(syms[nsyms].name, argv[i], eq - argv[i]);
    syms[nsyms].name[eq - argv[i]] = 0;
    syms[nsyms].addr = strtoul(eq + 1, 0, 16);
    nsyms++;
  }
  if (nmarkers == 0) markers[nmarkers++] = "/tmp/umlts-hostile-marker";
}
static unsigned long sym(const char *name) {
  for (int i = 0; i < nsyms; i++)
    if (strcmp(syms[i].name, name) == 0) return syms[i].addr;
  return 0;
}
/* the symbol at or before addr, for naming code-page sites */
static const char *sym_near(unsigned long addr, unsigned long *off) {
  const struct sym *best = 0;
  for (int i = 0; i < nsyms; i++)
    if (syms[i].addr <= addr && (!best || syms[i].addr > best->addr)) best = &syms[i];
  *off = best ? addr - best->addr : addr - STUB_CODE;
  return best ? best->name : "code";
}

static const char *signame(int s) {
  switch (s) {
  case SIGSYS: return "SIGSYS";
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGILL: return "SIGILL";
  case SIGKILL: return "SIGKILL";
  case SIGTRAP: return "SIGTRAP";
  case SIGABRT: return "SIGABRT";
  case SIGFPE: return "SIGFPE";
  case SIGSTOP: return "SIGSTOP";
  case SIGCHLD: return "SIGCHLD";
  case SIGUSR1: return "SIGUSR1";
  case SIGALRM: return "SIGALRM";
  case SIGTERM: return "SIGTERM";
  case SIGXCPU: return "SIGXCPU";
  }
  static char buf[24];
  snprintf(buf, sizeof buf, "SIGNAL%d", s);
  return buf;
}

/* ---------------------------------------------- shared page (parent+children) */
struct shared {
  volatile int canary_found;       /* an attacker saw the sibling's canary */
  volatile int canary_overwritten; /* ... and wrote over it */
  volatile int nleaked;
  volatile unsigned long leaked[16]; /* secret candidates from signal frames */
  char note[512];                  /* what the current attack child reports */
};
static struct shared *sh;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sh->note, sizeof sh->note, fmt, ap);
  va_end(ap);
}
/* a child's errno outcome: reported, then a clean exit */
__attribute__((noreturn)) static void finish_errno(int e) {
  note("%s", errname(e));
  _exit(0);
}
/* a syscall result as an outcome: an errno name, or OK (the call succeeded) */
__attribute__((noreturn)) static void finish_result(long r) {
  if (r < 0) finish_errno(errno);
  note("OK (returned %ld)", r);
  _exit(0);
}

/* ------------------------------------------------------ guarded memory access */
static __thread sigjmp_buf jb;
static __thread volatile int jb_armed;
static __thread volatile int seg_sig;
static void on_fault(int sig, siginfo_t *si, void *uc) {
  (void)si, (void)uc;
  if (!jb_armed) { signal(sig, SIG_DFL); return; } /* unexpected: die of it */
  seg_sig = sig;
  siglongjmp(jb, 1);
}
static void guard_faults(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGBUS, &sa, 0);
}
/* 0 if the access went through, else the signal it raised */
static int try_write(volatile unsigned char *p, unsigned char v) {
  seg_sig = 0;
  if (sigsetjmp(jb, 1) == 0) {
    jb_armed = 1;
    *p = v;
    jb_armed = 0;
    return 0;
  }
  jb_armed = 0;
  return seg_sig;
}
static int try_read(volatile const unsigned char *p, unsigned char *out) {
  seg_sig = 0;
  if (sigsetjmp(jb, 1) == 0) {
    jb_armed = 1;
    *out = *p;
    jb_armed = 0;
    return 0;
  }
  jb_armed = 0;
  return seg_sig;
}

/* ------------------------------------------------------------------- canary */
static unsigned long canary_key;
static unsigned long canary_word(unsigned long i) { /* splitmix64 */
  unsigned long z = canary_key + 0x9e3779b97f4a7c15UL * (i + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
  return z ^ (z >> 31);
}
static pid_t canary_pid;
static int canary_go[2], canary_ans[2];
/* The sibling: a page of canary words of its own (private, written after the
 * fork, so no other process has it), then wait; when told, check it. */
static void start_canary_sibling(void) {
  unsigned long k = 0;
  if (syscall(SYS_getrandom, &k, sizeof k, 0) != sizeof k) k = 0;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  canary_key = k ^ (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 40);
  if (pipe(canary_go) < 0 || pipe(canary_ans) < 0) { say("canary pipe: %s\n", errname(errno)); exit(1); }
  canary_pid = fork();
  if (canary_pid < 0) { say("canary fork: %s\n", errname(errno)); exit(1); }
  if (canary_pid == 0) {
    close(canary_go[1]);
    close(canary_ans[0]);
    volatile unsigned long *pg = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pg == MAP_FAILED) _exit(3);
    for (unsigned long i = 0; i < PG / 8; i++) pg[i] = canary_word(i);
    char c;
    while (read(canary_go[0], &c, 1) < 0 && errno == EINTR) {}
    unsigned long bad = 0;
    for (unsigned long i = 0; i < PG / 8; i++) bad += pg[i] != canary_word(i);
    char ans = bad ? 'N' : 'Y';
    (void)!write(canary_ans[1], &ans, 1);
    _exit(0);
  }
  close(canary_go[0]);
  close(canary_ans[1]);
}
static void finish_canary(void) {
  char c = 'x', ans = '?';
  kill(canary_pid, SIGCONT); /* in case an attack left it stopped */
  (void)!write(canary_go[1], &c, 1);
  while (read(canary_ans[0], &ans, 1) < 0 && errno == EINTR) {}
  int st;
  waitpid(canary_pid, &st, 0);
  say("canary: found %d, overwritten %d, sibling page unchanged %s\n", sh->canary_found, sh->canary_overwritten,
      ans == 'Y' ? "true" : "false");
}
/* Look for the canary in [p, p+len), page by page, up to the first page
 * that cannot be read (a host mapping of physmem ends where physmem does);
 * overwrite it where found. */
static void scan_for_canary(unsigned long p, unsigned long len) {
  unsigned long w0 = canary_word(0);
  for (unsigned long pg = p; pg < p + len; pg += PG) {
    unsigned char b;
    if (try_read((volatile unsigned char *)pg, &b) != 0) break;
    volatile unsigned long *q = (volatile unsigned long *)pg;
    if (q[0] == w0 && q[1] == canary_word(1) && q[2] == canary_word(2) && q[3] == canary_word(3)) {
      sh->canary_found++;
      if (try_write((volatile unsigned char *)pg, 0x5a) == 0) sh->canary_overwritten++;
    }
  }
}

/* -------------------------------------------------------- running an attack */
static int default_timeout_ms = 1000; /* an attack takes ~10 ms; a hung child is SIGKILLed */
static long attacks_run;

static void sleep_ms(int ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

/* How a child ended, as one word (plus what it noted). */
static void outcome(char *out, size_t n, int st, int timed_out, int stopped_by) {
  if (timed_out) snprintf(out, n, "SIGKILL (hung: killed by the parent)");
  else if (stopped_by) snprintf(out, n, "SIGKILL (stopped by %s, then killed by the parent)", signame(stopped_by));
  else if (WIFSIGNALED(st)) {
    if (sh->note[0]) snprintf(out, n, "%s (%s)", signame(WTERMSIG(st)), sh->note);
    else snprintf(out, n, "%s", signame(WTERMSIG(st)));
  } else if (WEXITSTATUS(st) == 0 && sh->note[0]) snprintf(out, n, "%s", sh->note);
  else if (sh->note[0]) snprintf(out, n, "exit %d (%s)", WEXITSTATUS(st), sh->note);
  else snprintf(out, n, "exit %d", WEXITSTATUS(st));
}

/* Wait for pid up to timeout_ms, then SIGKILL it; always reaps it. Returns
 * the outcome text in out. */
static void reap(pid_t pid, int timeout_ms, char *out, size_t n) {
  int st = 0, waited = 0, timed_out = 0, stopped_by = 0;
  for (;;) {
    pid_t r = waitpid(pid, &st, WNOHANG | WUNTRACED | __WALL);
    if (r == pid) {
      if (WIFSTOPPED(st)) { /* a traced or stopped child: end it */
        if (!stopped_by) stopped_by = WSTOPSIG(st);
        kill(pid, SIGKILL);
        continue;
      }
      break;
    }
    if (r < 0 && errno != EINTR) { snprintf(out, n, "waitpid: %s", errname(errno)); return; }
    if (waited >= timeout_ms && !timed_out) { kill(pid, SIGKILL); timed_out = 1; }
    sleep_ms(waited < 20 ? 1 : 5);
    waited += waited < 20 ? 1 : 5;
  }
  outcome(out, n, st, timed_out, stopped_by);
}

typedef void (*attack_fn)(long arg);
static void reset_child(void) {
  /* the child dies of its faults unless the attack says otherwise */
  signal(SIGSEGV, SIG_DFL);
  signal(SIGBUS, SIG_DFL);
  signal(SIGTRAP, SIG_DFL);
  signal(SIGSYS, SIG_DFL);
  signal(SIGILL, SIG_DFL);
}
/* Fork, run fn(arg) in the child, print "attack NAME: OUTCOME". */
static void run_attack_t(const char *name0, attack_fn fn, long arg, int timeout_ms) {
  /* the name must not hold ": " (the line's separator) */
  char name[300];
  snprintf(name, sizeof name, "%s", name0);
  for (char *p = name; (p = strstr(p, ": ")) != 0;) *p = ',';
  sh->note[0] = 0;
  pid_t c = fork();
  if (c < 0) { say("attack %s: fork failed: %s\n", name, errname(errno)); return; }
  if (c == 0) {
    reset_child();
    fn(arg);
    if (!sh->note[0]) note("returned from the attack");
    _exit(sh->note[0] ? 0 : 99);
  }
  char out[700];
  reap(c, timeout_ms, out, sizeof out);
  attacks_run++;
  say("attack %s: %s\n", name, out);
}
static void run_attack(const char *name, attack_fn fn, long arg) {
  run_attack_t(name, fn, arg, default_timeout_ms);
}

/* Reap whatever is left (orphans of attacks that forked through the stub). */
static void reap_all(void) {
  int st;
  for (int i = 0; i < 200; i++) {
    pid_t r = waitpid(-1, &st, WNOHANG | __WALL);
    if (r < 0) return;
    if (r == 0) sleep_ms(5);
  }
}

/* ------------------------------------------------------- the stub code page */
static unsigned char code_copy[PG];
static int code_readable;
static unsigned long sc_sites[128], int3_sites[256];
static int nsc_sites, nint3_sites;

/* Copy the code page (when the guest can read it) and find every byte
 * offset holding `0f 05` (syscall) or `cc` (int3). */
static void survey_code_page(void) {
  unsigned char b;
  if (try_read((volatile unsigned char *)STUB_CODE, &b) != 0) {
    say("# code page not readable: using the symbols only\n");
    return;
  }
  code_readable = 1;
  for (unsigned long i = 0; i < PG; i++) {
    if (try_read((volatile unsigned char *)STUB_CODE + i, &code_copy[i]) != 0) break;
  }
  for (unsigned long i = 0; i < PG; i++) {
    if (i + 1 < PG && code_copy[i] == 0x0f && code_copy[i + 1] == 0x05 && nsc_sites < 128) sc_sites[nsc_sites++] = STUB_CODE + i;
    if (code_copy[i] == 0xcc && nint3_sites < 256) int3_sites[nint3_sites++] = STUB_CODE + i;
  }
  say("# code page readable: %d syscall sites, %d int3 bytes, %d symbols\n", nsc_sites, nint3_sites, nsyms);
}
/* The batch runner's syscall instruction: the symbol if there is one, else
 * the first `0f 05` at or after stub_run_batch, else the first in the page. */
static unsigned long runner_syscall(void) {
  unsigned long a = sym("stub_batch_syscall");
  if (a) return a;
  unsigned long rb = sym("stub_run_batch");
  for (int i = 0; i < nsc_sites; i++)
    if (sc_sites[i] >= rb) return sc_sites[i];
  return nsc_sites ? sc_sites[0] : STUB_CODE;
}
static unsigned long clone_syscall(void) {
  unsigned long a = sym("stub_clone_syscall");
  if (a) return a;
  unsigned long ct = sym("stub_clone_thread");
  for (int i = 0; i < nsc_sites; i++)
    if (ct && sc_sites[i] >= ct) return sc_sites[i];
  return runner_syscall();
}

/* ----------------------------------------- jumping with crafted registers */
/* Every general register, and where to go. launch_* load them all from
 * memory (RIP-relative: no register is needed to hold a pointer) and then
 * jmp / call / ret. */
struct gregs {
  unsigned long rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rsp;
};
struct gregs hg_regs;
unsigned long hg_target;
unsigned long hg_ret_rax, hg_ret_r13;
unsigned char hg_land_stack[1 << 16] __attribute__((aligned(16)));
void hg_launch_jmp(void), hg_launch_call(void), hg_launch_ret(void);
void hg_returned(void), hg_sigreturned(void);
int hg_via_frame;
__attribute__((noreturn, used)) void hg_landing(void);
#define LOAD_ALL                              \
  "movq hg_regs+0(%rip), %rax\n\t"            \
  "movq hg_regs+8(%rip), %rbx\n\t"            \
  "movq hg_regs+16(%rip), %rcx\n\t"           \
  "movq hg_regs+24(%rip), %rdx\n\t"           \
  "movq hg_regs+32(%rip), %rsi\n\t"           \
  "movq hg_regs+40(%rip), %rdi\n\t"           \
  "movq hg_regs+48(%rip), %rbp\n\t"           \
  "movq hg_regs+56(%rip), %r8\n\t"            \
  "movq hg_regs+64(%rip), %r9\n\t"            \
  "movq hg_regs+72(%rip), %r10\n\t"           \
  "movq hg_regs+80(%rip), %r11\n\t"           \
  "movq hg_regs+88(%rip), %r12\n\t"           \
  "movq hg_regs+96(%rip), %r13\n\t"           \
  "movq hg_regs+104(%rip), %r14\n\t"          \
  "movq hg_regs+112(%rip), %r15\n\t"          \
  "movq hg_regs+120(%rip), %rsp\n\t"
__asm__(".text\n"
        ".globl hg_launch_jmp\n"
        "hg_launch_jmp:\n\t" LOAD_ALL
        "jmp *hg_target(%rip)\n"
        ".globl hg_launch_call\n"
        "hg_launch_call:\n\t" LOAD_ALL
        "call *hg_target(%rip)\n\t"
        "jmp hg_returned\n"
        ".globl hg_launch_ret\n"
        "hg_launch_ret:\n\t" LOAD_ALL
        "ret\n"
        /* stub code came back to us through a forged frame (a sigreturn) */
        ".globl hg_sigreturned\n"
        "hg_sigreturned:\n\t"
        "movl $1, hg_via_frame(%rip)\n"
        /* ... or by a `ret` */
        ".globl hg_returned\n"
        "hg_returned:\n\t"
        "movq %rax, hg_ret_rax(%rip)\n\t"
        "movq %r13, hg_ret_r13(%rip)\n\t"
        "leaq hg_land_stack+65536(%rip), %rsp\n\t"
        "andq $-16, %rsp\n\t"
        "call hg_landing\n\t"
        "ud2\n");

/* an attack may take over from here (it may not return) */
static void (*landing_hook)(void);
void hg_landing(void) {
  /* Which way back? A landing frame blocks SIGUSR2 (forge_landing_frame):
   * the kernel's own rt_sigreturn sets the guest's mask from it (a guest-
   * level return: the stub's code made an emulated rt_sigreturn); a host
   * rt_sigreturn would not touch the mask the kernel keeps for the guest. */
  const char *via = "a ret";
  if (hg_via_frame) {
    sigset_t cur;
    sigprocmask(SIG_BLOCK, 0, &cur);
    via = sigismember(&cur, SIGUSR2) ? "the kernel's rt_sigreturn" : "a HOST rt_sigreturn";
  }
  guard_faults();
  if (landing_hook) landing_hook();
  /* whatever mapping a stub syscall may have made for us: look in it */
  scan_for_canary(SCAN_BASE, SCAN_LEN);
  size_t n = strlen(sh->note);
  snprintf(sh->note + n, sizeof sh->note - n, "%sreturned into guest code through %s: rax %#lx, r13 %#lx, canary found %d",
           n ? "; " : "", via, hg_ret_rax, hg_ret_r13, sh->canary_found);
  _exit(42);
}

enum how { JMP, CALL, RET };
static const char *how_name(enum how h) { return h == JMP ? "jmp" : h == CALL ? "call" : "ret"; }

/* A fresh page to touch just before a jump: the last thing the guest did
 * before it was a page fault (in the old design the guest then ran under
 * PTRACE_CONT, where a syscall reaches the stub's seccomp filter), or a
 * syscall (PTRACE_SYSEMU). */
enum mode { AFTER_FAULT, AFTER_SYSCALL };
static volatile unsigned char *fresh;
static unsigned long fresh_left;

__attribute__((noreturn)) static void launch(unsigned long target, enum how h, enum mode m) {
  hg_target = target;
  if (h == RET) {
    /* the crafted rsp is where the frame (or whatever) starts; ret pops the
     * target from the word below it */
    hg_regs.rsp -= 8;
    *(volatile unsigned long *)hg_regs.rsp = target;
  }
  if (m == AFTER_FAULT) {
    if (!fresh || fresh_left == 0) {
      fresh = mmap(0, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      fresh_left = 64;
    }
    fresh[--fresh_left * PG] = 1;
  } else {
    syscall(SYS_getppid);
  }
  if (h == JMP) hg_launch_jmp();
  else if (h == CALL) hg_launch_call();
  else hg_launch_ret();
  __builtin_unreachable();
}

/* ------------------------------------------- hostile memory: paths, batches */
static char sh_path[] = "/bin/sh";
static char *sh_argv[4];
static char *empty_env[2];
static char touch_cmd[2048];
/* a forged batch in guest memory: openat(marker) for each marker, mmap of
 * fd 3 (physmem, in the stub's host process) at SCAN_BASE, execve, end */
static unsigned long forged_batch[8 * 7] __attribute__((aligned(64)));
static unsigned long batch_end[7]; /* one terminator: an empty batch */
/* the crafted stack: a forged rt_sigframe in the middle, room either side */
static unsigned long hstack[1 << 13] __attribute__((aligned(64)));
#define FRAME_UC (&hstack[1 << 12])
static unsigned long zeros[512] __attribute__((aligned(64)));

static void set_entry(unsigned long *e, long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  e[0] = nr, e[1] = a0, e[2] = a1, e[3] = a2, e[4] = a3, e[5] = a4, e[6] = a5;
}
static void build_batch(unsigned long *b, long nr0, long off) {
  int k = 0;
  if (nr0) {
    set_entry(b + 7 * k++, nr0, 0, 0, 0, 0, 3, 0); /* placeholder, callers overwrite */
  }
  for (int i = 0; i < nmarkers; i++)
    set_entry(b + 7 * k++, SYS_openat, AT_FDCWD, (long)markers[i], O_CREAT | O_WRONLY | O_TRUNC, 0644, 0, 0);
  set_entry(b + 7 * k++, SYS_mmap, SCAN_BASE, SCAN_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 3, off);
  set_entry(b + 7 * k++, SYS_execve, (long)sh_path, (long)sh_argv, (long)empty_env, 0, 0, 0);
  set_entry(b + 7 * k++, 0, 0, 0, 0, 0, 0, 0);
}

/* A forged ucontext at uc (rt_sigreturn expects rsp to point at it): it
 * restores r, at rip. */
static void forge_frame(unsigned long *uc, const struct gregs *r, unsigned long rip) {
  memset(uc, 0, 40 * 8);
  uc[0] = 1000 | (1UL << 32); /* uc_flags; also a pollfd {fd 1000, POLLIN} should poll() read it */
  unsigned long *mc = uc + 5;
  mc[0] = r->r8, mc[1] = r->r9, mc[2] = r->r10, mc[3] = r->r11, mc[4] = r->r12, mc[5] = r->r13;
  mc[6] = r->r14, mc[7] = r->r15, mc[8] = r->rdi, mc[9] = r->rsi, mc[10] = r->rbp, mc[11] = r->rbx;
  mc[12] = r->rdx, mc[13] = r->rax, mc[14] = r->rcx, mc[15] = r->rsp, mc[16] = rip;
  mc[17] = 0x202;                      /* eflags */
  mc[18] = 0x33 | (0x2bUL << 48);      /* cs, gs, fs, ss */
  mc[23] = 0;                          /* no fpstate */
  uc[37] = 0;                          /* sigmask */
}

/* A frame that sigreturns to hg_sigreturned on a stack of its own, with
 * SIGUSR2 in its signal mask (how hg_landing tells the kernel's
 * rt_sigreturn from a host one). */
static void forge_landing_frame(unsigned long *uc) {
  struct gregs land;
  memset(&land, 0, sizeof land);
  land.rsp = (unsigned long)&hg_land_stack[sizeof hg_land_stack - 64];
  forge_frame(uc, &land, (unsigned long)hg_sigreturned);
  uc[37] = 1UL << (SIGUSR2 - 1);
}

/* Registers for an attack that makes system call nr (with args a0..a5) at
 * a stub syscall site, with secret guess g in the upper half of r8 (the old
 * filter's check) and in r15 (the old runner ORs r15 into r8); r12 points at
 * the forged batch, r14 = 1 (old runner: rt_sigreturn when done), rsp at a
 * forged frame that chains into the runner's syscall again with openat(the
 * marker) and the same guess. */
static void craft(long nr, long a0, long a1, long a2, long a3, long a4, long a5, unsigned long g) {
  static struct gregs chain;
  unsigned long gs = g << 32;
  memset(&chain, 0, sizeof chain);
  chain.rax = SYS_openat, chain.rdi = (unsigned long)AT_FDCWD, chain.rsi = (unsigned long)markers[0];
  chain.rdx = O_CREAT | O_WRONLY | O_TRUNC, chain.r10 = 0644, chain.r8 = gs, chain.r15 = gs;
  chain.r12 = (unsigned long)batch_end, chain.r14 = 0, chain.rsp = (unsigned long)&hstack[(1 << 13) - 64];
  forge_frame(FRAME_UC, &chain, runner_syscall());
  hg_regs.rax = nr, hg_regs.rdi = a0, hg_regs.rsi = a1, hg_regs.rdx = a2, hg_regs.r10 = a3;
  hg_regs.r8 = (unsigned long)a4 | gs, hg_regs.r9 = a5;
  hg_regs.rbx = 0x4242424242424242UL, hg_regs.rbp = (unsigned long)FRAME_UC;
  hg_regs.rcx = (unsigned long)zeros, hg_regs.r11 = 0x246;
  hg_regs.r12 = (unsigned long)forged_batch, hg_regs.r13 = (unsigned long)zeros, hg_regs.r14 = 1, hg_regs.r15 = gs;
  hg_regs.rsp = (unsigned long)FRAME_UC;
}

/* Register sets by name, for the sweeps. */
enum rs { RS_EXECVE, RS_OPENAT, RS_MMAP, RS_MMAP64M, RS_MPROTECT, RS_MUNMAP, RS_CLONE, RS_FORK, RS_CLOSE,
          RS_SIGRETURN, RS_SIGALTSTACK, RS_NONE, RS_COUNT };
__attribute__((unused)) static const char *rs_name[] = { "execve", "openat", "mmap physmem@0", "mmap physmem@64M", "mprotect batch rw",
                                 "munmap stub", "clone thread", "clone fork", "close 3", "rt_sigreturn",
                                 "sigaltstack stub", "zero regs" };
static unsigned long altstk[3];
static void craft_rs(enum rs k, unsigned long g) {
  switch (k) {
  case RS_EXECVE: craft(SYS_execve, (long)sh_path, (long)sh_argv, (long)empty_env, 0, 0, 0, g); break;
  case RS_OPENAT: craft(SYS_openat, AT_FDCWD, (long)markers[0], O_CREAT | O_WRONLY | O_TRUNC, 0644, 0, 0, g); break;
  case RS_MMAP: craft(SYS_mmap, SCAN_BASE, SCAN_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 3, 0, g); break;
  case RS_MMAP64M: craft(SYS_mmap, SCAN_BASE, SCAN_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 3, 64L << 20, g); break;
  case RS_MPROTECT: craft(SYS_mprotect, STUB_BATCH, PG, PROT_READ | PROT_WRITE, 0, 0, 0, g); break;
  case RS_MUNMAP: craft(SYS_munmap, STUB_CODE, 2 * PG, 0, 0, 0, 0, g); break;
  case RS_CLONE: craft(SYS_clone, OLD_CLONE_FLAGS, (long)&hstack[(1 << 13) - 512], 0, 0, 0, 0, g); break;
  case RS_FORK: craft(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0, g); break;
  case RS_CLOSE: craft(SYS_close, 3, 0, 0, 0, 0, 0, g); break;
  case RS_SIGRETURN: craft(SYS_rt_sigreturn, 0, 0, 0, 0, 0, 0, g); break;
  case RS_SIGALTSTACK:
    altstk[0] = STUB_BATCH, altstk[1] = 0, altstk[2] = PG;
    craft(SYS_sigaltstack, (long)altstk, 0, 0, 0, 0, 0, g);
    break;
  default:
    craft(0, 0, 0, 0, 0, 0, 0, 0);
    memset(&hg_regs, 0, sizeof hg_regs);
    hg_regs.rsp = (unsigned long)FRAME_UC;
    break;
  }
}

/* Fill in the hostile memory and touch it (so no demand fault is left in it
 * to muddle the jump). Call once in main, before forking attackers. */
static void init_hostile_memory(void) {
  sh_argv[0] = sh_path;
  sh_argv[1] = "-c";
  int n = snprintf(touch_cmd, sizeof touch_cmd, "touch");
  for (int i = 0; i < nmarkers; i++) n += snprintf(touch_cmd + n, sizeof touch_cmd - n, " %s", markers[i]);
  sh_argv[2] = touch_cmd;
  sh_argv[3] = 0;
  empty_env[0] = 0;
  build_batch(forged_batch, 0, 0);
  memset(batch_end, 0, sizeof batch_end);
  memset(hstack, 0, sizeof hstack);
  memset(zeros, 0, sizeof zeros);
  memset(hg_land_stack, 0, sizeof hg_land_stack);
}

/* Touch (write) every page of the hostile memory in this process, so that
 * no demand or copy-on-write fault is left in it to muddle a jump. */
static void prefault_range(void *p, size_t len) {
  for (size_t o = 0; o < len; o += PG) ((volatile unsigned char *)p)[o] = ((volatile unsigned char *)p)[o];
  ((volatile unsigned char *)p)[len - 1] = ((volatile unsigned char *)p)[len - 1];
}
static void prefault(void) {
  prefault_range(forged_batch, sizeof forged_batch);
  prefault_range(batch_end, sizeof batch_end);
  prefault_range(hstack, sizeof hstack);
  prefault_range(zeros, sizeof zeros);
  prefault_range(hg_land_stack, sizeof hg_land_stack);
  prefault_range(&hg_regs, sizeof hg_regs);
  prefault_range(sh_path, sizeof sh_path);
  prefault_range(touch_cmd, sizeof touch_cmd);
  prefault_range(altstk, sizeof altstk);
  prefault_range((void *)sh, sizeof *sh);
  for (int i = 0; i < nmarkers; i++) prefault_range((void *)markers[i], strlen(markers[i]) + 1);
}

/* Secret guesses for the old design's filter (the secret was 32 bits in the
 * upper half of r8): simple ones, random ones, and every one-bit pattern. */
static unsigned long guesses[64];
static int nguesses;
static void make_guesses(void) {
  static const unsigned long fixed[] = { 0, 1, 0xffffffffUL, 0x80000000UL, 0x55555555UL, 0xaaaaaaaaUL,
                                         0x12345678UL, 0xdeadbeefUL, 0x7fffffffUL };
  for (unsigned i = 0; i < sizeof fixed / sizeof fixed[0]; i++) guesses[nguesses++] = fixed[i];
  for (int i = 0; i < 4; i++) guesses[nguesses++] = canary_word(1000 + i) & 0xffffffffUL;
  for (int b = 1; b < 32; b++) guesses[nguesses++] = 1UL << b;
}

/* A mapping churner (the "racing second thread" of many attacks): mmap,
 * touch, mprotect, MAP_FIXED replace, munmap, over and over. */
static volatile int churn_stop;
static volatile long churn_iters;
static unsigned long churn_pages = 64;
static void *churn(void *arg) {
  (void)arg;
  while (!churn_stop) {
    unsigned long n = churn_pages;
    char *m = mmap(0, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) continue;
    for (unsigned long i = 0; i < n; i += 4) m[i * PG] = (char)i;
    mprotect(m + (n / 4) * PG, (n / 4) * PG, PROT_READ);
    mmap(m + (n / 2) * PG, (n / 4) * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    m[(n / 2 + 1) * PG] = 1;
    mprotect(m, n * PG, PROT_NONE);
    munmap(m, n * PG);
    churn_iters++;
  }
  return 0;
}
/* Start the churner and wait until it is well under way. */
static void start_churn(void) {
  pthread_t t;
  churn_stop = 0;
  churn_iters = 0;
  if (pthread_create(&t, 0, churn, 0) != 0) { note("pthread_create failed"); _exit(97); }
  while (churn_iters < 3) sched_yield();
}

/* Common start of every hostile guest. */
static void hostile_start(int argc, char **argv) {
  parse_args(argc, argv);
  sh = mmap(0, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) { say("shared page: %s\n", errname(errno)); exit(1); }
  memset((void *)sh, 0, sizeof *sh);
  guard_faults();
  start_canary_sibling();
  survey_code_page();
  init_hostile_memory();
  make_guesses();
}
static void hostile_end(void) {
  finish_canary();
  reap_all();
  for (int i = 0; i < nmarkers; i++)
    say("# marker %d visible in the guest: %s\n", i, access(markers[i], F_OK) == 0 ? "true" : "false");
  say("# attacks run: %ld\n", attacks_run);
  say("done\n");
}
