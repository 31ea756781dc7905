/* seccomp(2) fuzzer, differential: from a seed (argv[1]), random classic BPF
 * programs, valid and subtly invalid (every opcode seccomp takes and some it
 * does not, jumps near the end, loads at every offset of seccomp_data, scratch
 * cells stored on some paths only, DIV/LSH/RSH by edge constants, RET K/A of
 * every action, unknown ones and ERRNO's odd data), installed one or several
 * at once in a child with no_new_privs, each install's result, then a few
 * syscalls with random arguments: each result, each SIGSYS's siginfo, and how
 * the child ended. Big programs near BPF_MAXINSNS, stacked up to the per-path
 * limit, and then small ones one by one, find where ENOMEM begins.
 *
 * Everything is drawn in the parent before the fork, so the sequence does
 * not depend on what a child met; a child, whose write(2) may well be
 * filtered, logs into shared memory without a syscall (its raw syscalls are
 * inline asm; the SIGSYS handler leaves by _longjmp, with SA_NODEFER, so
 * that neither rt_sigreturn nor sigprocmask is asked of the filters), and
 * the parent prints the log. A child whose exit_group and exit both fail
 * ends itself with a fault. Arguments: SEED [CASES [ONLY]]: ONLY runs that case
 * alone, its programs dumped. */
#include "common.h"
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <ucontext.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/audit.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* ---- the random source: splitmix64 ---- */
static uint64_t rs;
static uint64_t rnd(void) {
  uint64_t z = (rs += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }
static int chance(unsigned pct) { return rn(100) < pct; }

/* ---- what the calls and the programs talk about ---- */
/* harmless calls that ignore their arguments, numbers Linux has no call for, and numbers whose high half the
 * kernel drops (seccomp_data.nr is an int) or that carry x32's bit */
static const long NRS[] = { SYS_getppid, SYS_getpid, SYS_gettid, SYS_getuid, SYS_getgid, SYS_geteuid, SYS_getegid,
                            SYS_getpgrp, SYS_sched_yield, 1000, 500, 511, 512, -1, 0x40000000L | SYS_getpid,
                            0x100000000L | SYS_getppid, (long)0xffffffff00000000UL | SYS_gettid, 0x80000000L };
#define NNRS (sizeof NRS / sizeof *NRS)
static const uint64_t ARGS[] = { 0, 1, 2, 0xffffffffULL, 0x100000000ULL, ~0ULL, 0x7fffffffULL, 0x80000000ULL,
                                 0xdeadbeefcafef00dULL, 0x0000000100000001ULL, 42, 0xffffffff00000000ULL };
#define NARGS (sizeof ARGS / sizeof *ARGS)

static uint64_t rand_arg(void) {
  if (chance(70)) return ARGS[rn(NARGS)];
  if (chance(50)) return rn(64);
  return rnd();
}

/* an action for RET K (and a constant a RET A may be built from) */
static uint32_t rand_action(void) {
  static const uint32_t errnos[] = { 0, 1, 2, 9, 14, 22, 38, 95, 133, 512, 513, 514, 515, 516, 4095, 4096, 4097,
                                     0x7fff, 0xffff };
  switch (rn(20)) {
  case 0: return SECCOMP_RET_KILL_PROCESS;
  case 1: return SECCOMP_RET_KILL_THREAD | rn(3);
  case 2: case 3: return SECCOMP_RET_TRAP | (chance(50) ? rn(0x10000) : rn(4));
  case 4: case 5: case 6: case 7: return SECCOMP_RET_ERRNO | errnos[rn(sizeof errnos / sizeof *errnos)];
  case 8: return SECCOMP_RET_USER_NOTIF | rn(3);
  case 9: return SECCOMP_RET_TRACE | rn(0x10000);
  case 10: return SECCOMP_RET_LOG | rn(2);
  case 11: {
    /* unknown actions: each is a KILL_PROCESS, except above ALLOW */
    static const uint32_t odd[] = { 0x00010000, 0x00020000, 0x00040000, 0x7ffe0000, 0x7ffd0000, 0x80010000,
                                    0xffff0000, 0x7fc10000, 0x00060000, 0x7ff00000 | 0xffff };
    return odd[rn(sizeof odd / sizeof *odd)];
  }
  default: return SECCOMP_RET_ALLOW | (chance(20) ? rn(0x10000) : 0);
  }
}

/* a constant for a comparison or an ALU op: words the data may hold */
static uint32_t rand_k(void) {
  switch (rn(8)) {
  case 0: return (uint32_t)NRS[rn(NNRS)];
  case 1: { uint64_t a = ARGS[rn(NARGS)]; return chance(50) ? (uint32_t)a : (uint32_t)(a >> 32); }
  case 2: return AUDIT_ARCH_X86_64;
  case 3: return rn(40);
  case 4: return rand_action();
  case 5: return 1u << rn(32);
  case 6: return (uint32_t)rnd();
  default: return rn(2) ? 0xffffffffu : 0x80000000u;
  }
}

/* an offset into struct seccomp_data for LD W ABS: mostly nr, the arguments; any of 0..68 sometimes */
static uint32_t rand_off(int *bad) {
  uint32_t k;
  switch (rn(10)) {
  case 0: case 1: case 2: case 3: k = 0; break;
  case 4: k = 4; break;
  case 5: k = 8 + 4 * rn(2); break;
  case 6: case 7: case 8: k = 16 + 4 * rn(12); break;
  default: k = rn(69); break;
  }
  if (chance(1)) k = chance(50) ? (uint32_t)rnd() : 0xfffff000u + rn(0x100);
  if (k >= 64 || (k & 3)) *bad = 1;
  return k;
}

#define MAXLEN 4096
struct prog {
  unsigned short len;
  unsigned flags;
  int via_prctl;
  /* how sock_fprog is passed: 0 as is; 1 len cut short; 2 len 0; 3 len 4097 or more; 4 filter NULL; 5 the program
   * running into an unmapped page; 6 the fprog itself unreadable */
  int fprog;
  unsigned short cut;
  int bad; /* the generator meant it invalid (the kernel decides: only printed with -v) */
  struct sock_filter f[MAXLEN];
};

/* A random instruction at pc of a program of len (pc < len - 1). */
static struct sock_filter rand_insn(int pc, int len, int *bad) {
  struct sock_filter s = { 0, 0, 0, 0 };
  int left = len - pc - 1; /* how far a jump may go: to len - 1 */
  /* a jump offset: short, or right at the end, or one past it now and then */
  #define JOFF() (chance(60) ? (uint8_t)rn(left < 4 ? left : 4) : chance(85) ? (uint8_t)(left - 1 > 255 ? 255 : left - 1) \
                   : (uint8_t)(left > 255 ? 255 : left))
  switch (rn(40)) {
  case 0: case 1: case 2: case 3: case 4: case 5: case 6:
    s.code = BPF_LD | BPF_W | BPF_ABS;
    s.k = rand_off(bad);
    break;
  case 7: s.code = BPF_LD | BPF_IMM; s.k = rand_k(); break;
  case 8: s.code = BPF_LDX | BPF_IMM; s.k = rand_k(); break;
  case 9: s.code = chance(50) ? (BPF_LD | BPF_W | BPF_LEN) : (BPF_LDX | BPF_W | BPF_LEN); s.k = rn(3) ? 0 : rand_k(); break;
  case 10: case 11:
    s.code = chance(50) ? BPF_ST : BPF_STX;
    s.k = chance(97) ? rn(16) : 16 + rn(3);
    break;
  case 12: case 13:
    s.code = chance(50) ? (BPF_LD | BPF_MEM) : (BPF_LDX | BPF_MEM);
    s.k = chance(97) ? rn(16) : 16 + rn(3);
    break;
  case 14: s.code = BPF_MISC | (chance(50) ? BPF_TAX : BPF_TXA); break;
  case 15: case 16: case 17: case 18: case 19: case 20: {
    static const uint16_t ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH };
    uint16_t op = ops[rn(sizeof ops / sizeof *ops)];
    int x = chance(35);
    s.code = BPF_ALU | op | (x ? BPF_X : BPF_K);
    if (op == BPF_DIV && !x) {
      static const uint32_t d[] = { 0, 1, 2, 3, 7, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff };
      s.k = d[rn(sizeof d / sizeof *d)];
    } else if ((op == BPF_LSH || op == BPF_RSH) && !x) {
      static const uint32_t sh[] = { 0, 1, 15, 16, 31, 31, 31, 32, 33, 63, 0xffffffff };
      s.k = sh[rn(sizeof sh / sizeof *sh)];
    } else {
      s.k = rand_k();
    }
    break;
  }
  case 21: s.code = BPF_ALU | BPF_NEG; s.k = rn(2) ? 0 : rand_k(); break;
  case 22: case 23:
    s.code = BPF_JMP | BPF_JA;
    s.k = chance(60) ? rn(left < 4 ? left : 4) : chance(85) ? left - 1 : chance(50) ? left : (uint32_t)rnd();
    break;
  case 24: case 25: case 26: case 27: case 28: case 29: case 30: case 31: case 32: case 33: {
    static const uint16_t ops[] = { BPF_JEQ, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };
    int x = chance(25);
    s.code = BPF_JMP | ops[rn(sizeof ops / sizeof *ops)] | (x ? BPF_X : BPF_K);
    s.k = rand_k();
    s.jt = JOFF();
    s.jf = JOFF();
    if (chance(25)) s.jt = 0;
    else if (chance(25)) s.jf = 0;
    break;
  }
  case 34: case 35: case 36:
    s.code = BPF_RET | (chance(80) ? BPF_K : BPF_A);
    s.k = rand_action();
    break;
  case 37: case 38:
    /* what classic BPF has but seccomp refuses, and what neither has */
    {
      static const uint16_t no[] = { BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS, BPF_LD | BPF_W | BPF_IND,
                                     BPF_LD | BPF_B | BPF_IND, BPF_LDX | BPF_B | BPF_MSH, BPF_ALU | BPF_MOD | BPF_K,
                                     BPF_ALU | BPF_MOD | BPF_X, BPF_RET | BPF_X, BPF_JMP | BPF_JA | BPF_X,
                                     BPF_LD | BPF_H | BPF_IMM, BPF_ALU | BPF_NEG | BPF_X, BPF_MISC | 0x10,
                                     BPF_LDX | BPF_W | BPF_ABS, BPF_ST | BPF_MEM, 0x0100 | BPF_RET, 0xffff };
      s.code = no[rn(sizeof no / sizeof *no)];
      s.k = rn(3) ? rn(64) : (uint32_t)rnd();
    }
    *bad = 1;
    break;
  default:
    s.code = (uint16_t)rnd();
    s.k = (uint32_t)rnd();
    s.jt = rn(3);
    s.jf = rn(3);
    *bad = 1;
    break;
  }
  if (((s.code == BPF_ST || s.code == BPF_STX || s.code == (BPF_LD | BPF_MEM) || s.code == (BPF_LDX | BPF_MEM)) &&
       s.k >= 16) ||
      (s.code == (BPF_ALU | BPF_DIV | BPF_K) && s.k == 0) ||
      ((s.code == (BPF_ALU | BPF_LSH | BPF_K) || s.code == (BPF_ALU | BPF_RSH | BPF_K)) && s.k >= 32))
    *bad = 1;
  /* noise in the fields an instruction ignores */
  if ((BPF_CLASS(s.code) != BPF_JMP || BPF_OP(s.code) == BPF_JA) && chance(10)) {
    s.jt = rn(256);
    s.jf = rn(256);
  }
  return s;
}

/* a fully random program */
static void gen_random(struct prog *p, int len) {
  p->len = len;
  p->bad = 0;
  /* scratch cells stored at the start now and then, so that loads on every path may be valid */
  int pc = 0;
  if (len > 3 && chance(40)) {
    for (int c = rn(4); c-- && pc < len - 2;) p->f[pc++] = (struct sock_filter)BPF_STMT(chance(50) ? BPF_ST : BPF_STX, rn(16));
  }
  for (; pc < len - 1; pc++) p->f[pc] = rand_insn(pc, len, &p->bad);
  if (chance(97)) {
    p->f[len - 1] = (struct sock_filter)BPF_STMT(BPF_RET | (chance(85) ? BPF_K : BPF_A), rand_action());
  } else {
    p->f[len - 1] = rand_insn(len - 1, len + 1, &p->bad);
    p->bad = 1;
  }
}

/* a program of the shape libseccomp and the const-allow cache like: nr (maybe masked), compared with constants,
 * RET K at the leaves; an argument looked at on some paths */
static void gen_cacheable(struct prog *p, int len) {
  int pc = 0;
  p->len = len;
  p->bad = 0;
  if (len >= 6 && chance(30)) {
    p->f[pc++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4);
    p->f[pc++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    p->f[pc++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, rand_action());
  }
  p->f[pc++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
  while (pc < len - 1) {
    int left = len - pc - 1;
    switch (rn(10)) {
    case 0:
      p->f[pc++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, chance(50) ? 0x1ff : rand_k());
      break;
    case 1:
      p->f[pc++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, rand_action());
      break;
    case 2:
      p->f[pc++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, rn(left < 3 ? left : 3));
      break;
    case 3:
      /* a look past nr: the cache must give up on what follows */
      p->f[pc++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16 + 4 * rn(12));
      if (pc < len - 1) {
        left = len - pc - 1;
        p->f[pc++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, rand_k(), 0, (uint8_t)rn(left < 3 ? left : 3));
      }
      if (pc < len - 1 && chance(60)) p->f[pc++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
      break;
    case 4:
      p->f[pc++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, chance(80) ? 0 : 4);
      break;
    default: {
      static const uint16_t ops[] = { BPF_JEQ, BPF_JEQ, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };
      uint32_t k = chance(80) ? (uint32_t)NRS[rn(NNRS)] : rand_k();
      uint8_t a = rn(left < 4 ? left : 4), b = rn(left < 4 ? left : 4);
      p->f[pc++] = (struct sock_filter)BPF_JUMP(BPF_JMP | ops[rn(sizeof ops / sizeof *ops)] | BPF_K, k, a, b);
      break;
    }
    }
  }
  p->f[len - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, chance(70) ? SECCOMP_RET_ALLOW : rand_action());
}

/* a big program that lets seccomp(2) through (so more can be stacked after it) and is random otherwise */
static void gen_big(struct prog *p, int len) {
  gen_random(p, len);
  p->bad = 0;
  p->f[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
  p->f[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 1);
  p->f[2] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, len - 4);
  p->f[len - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  /* a body of valid instructions whose jumps stay short, so that most of it is reached */
  for (int pc = 3; pc < len - 1; pc++) {
    struct sock_filter *s = &p->f[pc];
    int bad, left = len - pc - 1;
    do {
      bad = 0;
      *s = rand_insn(pc, len, &bad);
    } while (bad);
    if (BPF_CLASS(s->code) == BPF_JMP && BPF_OP(s->code) != BPF_JA) {
      s->jt = rn(left < 4 ? left : 4);
      s->jf = rn(left < 4 ? left : 4);
    }
    if (BPF_CLASS(s->code) == BPF_JMP && BPF_OP(s->code) == BPF_JA) s->k = rn(left < 4 ? left : 4);
    if (BPF_CLASS(s->code) == BPF_LD && BPF_MODE(s->code) == BPF_MEM) *s = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, rand_k());
    if (BPF_CLASS(s->code) == BPF_LDX && BPF_MODE(s->code) == BPF_MEM) *s = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_IMM, rand_k());
  }
}

static unsigned rand_flags(void) {
  switch (rn(16)) {
  case 0: return SECCOMP_FILTER_FLAG_LOG;
  case 1: return SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  case 2: return SECCOMP_FILTER_FLAG_TSYNC;
  case 3: return SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  case 4: return 1u << (6 + rn(26));
  case 5: return SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  default: return 0;
  }
}

/* ---- a case: the programs, then the calls ---- */
#define MAXPROGS 48
#define MAXCALLS 10
struct call { long nr; uint64_t a[6]; };
struct plan {
  int nprogs, ncalls;
  int sigsys; /* 0 a handler, 1 SIG_DFL, 2 SIG_IGN, 3 a handler but blocked */
  int stop_at_enomem; /* the small ones after big ones: stop at the first failure */
  int privs; /* no no_new_privs: installs rely on CAP_SYS_ADMIN */
  struct call calls[MAXCALLS];
};
static struct prog *progs; /* MAXPROGS of them */
static void *fixed; /* a page at FIXED_ADDR, then one never mapped */
#define FIXED_ADDR 0x5eccc000UL
static struct plan plan;

/* ---- the child: raw calls, a log in shared memory ---- */
#define LOGSIZE (1 << 16)
struct shared { size_t len; char text[LOGSIZE]; };
static struct shared *sh;
__attribute__((format(printf, 1, 2))) static void lg(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = LOGSIZE - sh->len;
  int n = vsnprintf(sh->text + sh->len, room, fmt, ap);
  va_end(ap);
  if (n > 0) sh->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* the syscall instruction every call of the child goes through, so that si_call_addr can be checked */
extern char rsys_after[];
__attribute__((noinline)) static long rsys(long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                                           uint64_t a5) {
  register uint64_t r10 __asm__("r10") = a3, r8 __asm__("r8") = a4, r9 __asm__("r9") = a5;
  long ret;
  __asm__ volatile("syscall\n.globl rsys_after\nrsys_after:"
                   : "=a"(ret)
                   : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

static jmp_buf trap_jb;
static int traps;
static void on_sys(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  traps++;
  lg("  SIGSYS sig %d code %d syscall %d arch %#x errno %d call_addr %s rax %#llx\n", sig, si->si_code,
     si->si_syscall, si->si_arch, si->si_errno, si->si_call_addr == (void *)rsys_after ? "ok" : "odd",
     (unsigned long long)uc->uc_mcontext.gregs[REG_RAX]);
  if (traps > 50) {
    lg("  too many traps\n");
    *(volatile int *)0 = 0;
  }
  _longjmp(trap_jb, 1);
}

/* one call: its result (ids and the like as "+"), or that it trapped */
static void do_call(const char *what, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                    uint64_t a5) {
  if (_setjmp(trap_jb)) {
    lg("  %s: trapped\n", what);
    return;
  }
  long r = rsys(nr, a0, a1, a2, a3, a4, a5);
  if (r > 0) lg("  %s: +\n", what);
  else lg("  %s: %ld\n", what, r);
}

static void child(void) {
  struct rlimit no_core = { 0, 0 };
  setrlimit(RLIMIT_CORE, &no_core);
  if (!plan.privs) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  struct sigaction sa = { 0 };
  if (plan.sigsys == 0 || plan.sigsys == 3) {
    sa.sa_sigaction = on_sys;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  } else {
    sa.sa_handler = plan.sigsys == 1 ? SIG_DFL : SIG_IGN;
  }
  sigaction(SIGSYS, &sa, 0);
  if (plan.sigsys == 3) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSYS);
    sigprocmask(SIG_BLOCK, &s, 0);
  }
  for (int i = 0; i < plan.nprogs; i++) {
    struct prog *p = &progs[i];
    /* at a fixed address: the filters see it (args[2]), and a stack address differs from run to run */
    struct sock_fprog *fp = fixed;
    *fp = (struct sock_fprog){ p->len, p->f };
    switch (p->fprog) {
    case 1: fp->len = p->cut; break;
    case 2: fp->len = 0; break;
    case 3: fp->len = p->cut; break;
    case 4: fp->filter = 0; break;
    case 5: {
      /* the program's first cut instructions fit before the page's end */
      struct sock_filter *end = (struct sock_filter *)((char *)fixed + 4096) - p->cut;
      memmove(end, p->f, p->cut * sizeof *end);
      fp->filter = end;
      break;
    }
    case 6: fp = (struct sock_fprog *)((char *)fixed + 4096 - 8); break;
    }
    char what[32];
    snprintf(what, sizeof what, "install %d", i);
    size_t before = sh->len;
    if (p->via_prctl)
      do_call(what, SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, (uint64_t)fp, rnd(), rnd(), rnd());
    else
      do_call(what, SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, (uint64_t)fp, rnd(), rnd(), rnd());
    if (plan.stop_at_enomem && i > 0 && strstr(sh->text + before, ": 0\n") == 0) break;
  }
  for (int i = 0; i < plan.ncalls; i++) {
    struct call *c = &plan.calls[i];
    char what[48];
    if (c->nr == SYS_seccomp) {
      /* GET_ACTION_AVAIL reads its action at args[2]: the page holds it */
      *(uint32_t *)fixed = (uint32_t)c->a[3];
    }
    snprintf(what, sizeof what, "call %d nr %ld", i, c->nr);
    do_call(what, c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
  }
  do_call("exit_group", SYS_exit_group, 7, 0, 0, 0, 0, 0);
  do_call("exit", SYS_exit, 8, 0, 0, 0, 0, 0);
  lg("  both exits failed\n");
  *(volatile int *)0 = 0;
}

static int verbose;
static void dump(int idx) {
  struct prog *p = &progs[idx];
  say("  prog %d: len %u flags %#x fprog %d cut %u%s%s\n", idx, p->len, p->flags, p->fprog, p->cut, p->via_prctl ? " prctl" : "",
      p->bad ? " (meant bad)" : "");
  for (int i = 0; i < p->len; i++)
    say("    %4d: code %#06x jt %3u jf %3u k %#010x\n", i, p->f[i].code, p->f[i].jt, p->f[i].jf, p->f[i].k);
}

static void run_case(int n) {
  say("case %d: %d program(s), %d call(s), sigsys %d\n", n, plan.nprogs, plan.ncalls, plan.sigsys);
  if (verbose) {
    for (int i = 0; i < plan.nprogs; i++) dump(i);
    for (int i = 0; i < plan.ncalls; i++) {
      struct call *c = &plan.calls[i];
      say("  call %d: nr %#lx args %#llx %#llx %#llx %#llx %#llx %#llx\n", i, c->nr, (unsigned long long)c->a[0],
          (unsigned long long)c->a[1], (unsigned long long)c->a[2], (unsigned long long)c->a[3],
          (unsigned long long)c->a[4], (unsigned long long)c->a[5]);
    }
  }
  sh->len = 0;
  sh->text[0] = 0;
  pid_t c = fork();
  if (c < 0) {
    say("fork: %s\n", errname(errno));
    exit(1);
  }
  if (c == 0) {
    child();
    _exit(99);
  }
  int st;
  if (waitpid(c, &st, 0) != c) {
    say("waitpid: %s\n", errname(errno));
    exit(1);
  }
  (void)!write(1, sh->text, sh->len);
  if (WIFEXITED(st)) say("  end: exit %d\n", WEXITSTATUS(st));
  else say("  end: signal %d\n", WTERMSIG(st));
}

static void rand_calls(void) {
  plan.ncalls = 1 + rn(MAXCALLS);
  for (int i = 0; i < plan.ncalls; i++) {
    struct call *c = &plan.calls[i];
    c->nr = NRS[rn(NNRS)];
    if (chance(8)) {
      /* seccomp(2)'s other operations, prctl's seccomp ones */
      c->nr = chance(70) ? SYS_seccomp : SYS_prctl;
      for (int a = 0; a < 6; a++) c->a[a] = rand_arg();
      if (c->nr == SYS_seccomp) {
        c->a[0] = chance(90) ? rn(5) : rand_arg();
        c->a[1] = chance(70) ? 0 : rand_arg();
        c->a[2] = chance(80) ? FIXED_ADDR : chance(50) ? 0 : FIXED_ADDR + 4096 - rn(8);
        c->a[3] = chance(70) ? rand_action() : rand_arg(); /* the action, put where args[2] points */
        if (c->a[0] == SECCOMP_SET_MODE_FILTER) c->a[2] = 0;
        if (c->a[0] == SECCOMP_SET_MODE_STRICT && chance(70)) c->a[2] = 0;
      } else {
        c->a[0] = chance(50) ? PR_GET_SECCOMP : PR_SET_SECCOMP;
        c->a[1] = chance(40) ? SECCOMP_MODE_STRICT : chance(50) ? SECCOMP_MODE_FILTER : rand_arg();
        if (c->a[1] == SECCOMP_MODE_FILTER) c->a[2] = 0;
      }
      continue;
    }
    /* the same call again (cache hits), and now and then the installer */
    if (i > 0 && chance(25) && plan.calls[i - 1].nr != SYS_seccomp && plan.calls[i - 1].nr != SYS_prctl)
      c->nr = plan.calls[i - 1].nr;
    for (int a = 0; a < 6; a++) c->a[a] = rand_arg();
    if (i > 0 && chance(20)) memcpy(c->a, plan.calls[i - 1].a, sizeof c->a);
  }
}

int main(int argc, char **argv) {
  unsigned long seed = argc > 1 ? strtoul(argv[1], 0, 0) : 1;
  int cases = argc > 2 ? atoi(argv[2]) : 200;
  /* to look at one case: it alone is run, its programs dumped */
  int only = argc > 3 ? atoi(argv[3]) : -1;
  verbose = only >= 0;
  rs = seed * 0x2545f4914f6cdd1dULL + 1;
  progs = mmap(0, sizeof(struct prog) * MAXPROGS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  sh = mmap(0, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  fixed = mmap((void *)FIXED_ADDR, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (progs == MAP_FAILED || sh == MAP_FAILED || fixed != (void *)FIXED_ADDR) {
    say("mmap: %s\n", errname(errno));
    return 1;
  }
  say("seed %lu, %d cases\n", seed, cases);
  for (int n = 0; n < cases; n++) {
    memset(&plan, 0, sizeof plan);
    int kind = rn(20);
    plan.sigsys = chance(85) ? 0 : 1 + rn(3);
    plan.privs = chance(3);
    if (kind == 0) {
      /* big ones up to the per-path limit, then small ones until ENOMEM */
      int nbig = 1 + rn(8);
      for (int i = 0; i < nbig; i++) {
        gen_big(&progs[i], MAXLEN - (chance(50) ? 0 : rn(200)));
        progs[i].flags = 0;
        progs[i].via_prctl = 0;
        progs[i].fprog = 0;
      }
      int nsmall = 0;
      for (int i = nbig; i < MAXPROGS; i++, nsmall++) {
        gen_cacheable(&progs[i], 2 + rn(30));
        progs[i].f[progs[i].len - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        progs[i].flags = 0;
        progs[i].via_prctl = 0;
        progs[i].fprog = 0;
      }
      plan.nprogs = nbig + nsmall;
      plan.stop_at_enomem = 1;
    } else {
      plan.nprogs = chance(55) ? 1 : 2 + rn(5);
      for (int i = 0; i < plan.nprogs; i++) {
        struct prog *p = &progs[i];
        int len = chance(90) ? 1 + rn(60) : MAXLEN - rn(8);
        if (kind < 8) gen_cacheable(p, len < 2 ? 2 : len);
        else gen_random(p, len);
        p->flags = chance(80) ? 0 : rand_flags();
        p->via_prctl = chance(10);
        p->fprog = chance(85) ? 0 : 1 + rn(6);
        if (p->fprog == 1) p->cut = p->len > 1 ? 1 + rn(p->len - 1) : 1;
        if (p->fprog == 3) p->cut = chance(50) ? MAXLEN + 1 : 0xffff;
        if (p->fprog == 5) p->cut = p->len > 1 ? rn(p->len) : 0;
      }
    }
    rand_calls();
    if (only < 0 || n == only) run_case(n);
  }
  return 0;
}
