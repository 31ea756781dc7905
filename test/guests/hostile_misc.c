/* Hostile guest: the guest's own system calls and instructions against the
 * machinery around the stub (see hostile.h for the output):
 *  - rt_sigreturn with garbage and forged frames (into the stub, into
 *    32-bit mode, every signal blocked);
 *  - signal masks and dispositions that block or ignore the signals the
 *    platform uses (SIGSEGV, SIGTRAP, SIGSYS), then page faults, stub
 *    jumps, and a spin the parent must still be able to SIGKILL;
 *  - sigaltstack pointing at the stub;
 *  - guest seccomp filters (refused with an errno, or honoured: then the
 *    kernel's own stub work must still go on);
 *  - ptrace: TRACEME, ATTACH to a sibling and steer it into the stub;
 *  - clone with odd flags (CLONE_PTRACE, CLONE_NEWUSER, CLONE_VM without
 *    CLONE_THREAD, CLONE_SETTLS with a bad or stub tls, *_SETTID into the
 *    stub);
 *  - int 0x80, sysenter and 32-bit `syscall` with i386 numbers (execve,
 *    open of the marker, mmap2 of physmem), from 64-bit and compat mode;
 *    x32 and out-of-range syscall numbers;
 *  - calls into the vsyscall page writing into the stub. */
#include "hostile.h"
#include <elf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <stddef.h>

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

/* ---------------------------------------------------------- sigreturn */
static int cur;
static unsigned char junk[4096];
static void sigreturn_at(unsigned long rsp) {
  __asm__ volatile("mov %0, %%rsp\n\t"
                   "mov $15, %%eax\n\t"
                   "syscall\n\t"
                   "ud2" ::"r"(rsp) : "memory");
  __builtin_unreachable();
}
static void sigreturn_attack(long arg) {
  (void)arg;
  prefault();
  struct gregs r;
  switch (cur) {
  case 0: sigreturn_at((unsigned long)zeros + 1024); break;
  case 1:
    for (unsigned i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)canary_word(i);
    sigreturn_at((unsigned long)junk + 512);
    break;
  case 2: sigreturn_at(0x1000); break;
  case 3: sigreturn_at(STUB_BATCH + 8); break;
  case 4: sigreturn_at(0xdead000000000000UL); break;
  case 5: sigreturn_at(OLD_DATA + 0x1000); break;
  case 6: /* a good frame into the runner's syscall with openat(marker) */
    craft_rs(RS_OPENAT, 0);
    r = hg_regs;
    r.r12 = (unsigned long)zeros, r.r14 = 1, r.rsp = (unsigned long)&hstack[(1 << 13) - 64];
    forge_frame(FRAME_UC, &r, runner_syscall());
    sigreturn_at((unsigned long)FRAME_UC);
    break;
  case 7: /* into stub_run_batch with the forged batch, every signal blocked */
    craft_rs(RS_EXECVE, 0);
    r = hg_regs;
    r.rsp = (unsigned long)&hstack[(1 << 13) - 64];
    forge_frame(FRAME_UC, &r, sym("stub_run_batch") ? sym("stub_run_batch") : STUB_CODE);
    FRAME_UC[37] = ~0UL;
    sigreturn_at((unsigned long)FRAME_UC);
    break;
  case 8: /* into 32-bit mode (cs 0x23) at the stub */
    craft_rs(RS_OPENAT, 0);
    r = hg_regs;
    forge_frame(FRAME_UC, &r, runner_syscall());
    FRAME_UC[5 + 18] = 0x23 | (0x2bUL << 48);
    sigreturn_at((unsigned long)FRAME_UC);
    break;
  case 9: /* a kernel-mode cs and a non-canonical rip */
    memset(&r, 0, sizeof r);
    forge_frame(FRAME_UC, &r, 0xffff800000000000UL);
    FRAME_UC[5 + 18] = 0x10 | (0x18UL << 48);
    sigreturn_at((unsigned long)FRAME_UC);
    break;
  case 10: /* an fpstate pointer at the batch page */
    craft_rs(RS_OPENAT, 0);
    r = hg_regs;
    forge_frame(FRAME_UC, &r, runner_syscall());
    FRAME_UC[5 + 23] = STUB_BATCH;
    FRAME_UC[0] = 1; /* UC_FP_XSTATE */
    sigreturn_at((unsigned long)FRAME_UC);
    break;
  case 11: /* an fpstate pointer at garbage in our memory */
    memset(&r, 0, sizeof r);
    r.rsp = (unsigned long)&hstack[(1 << 13) - 64];
    forge_frame(FRAME_UC, &r, sym("stub_batch_trap") ? sym("stub_batch_trap") : STUB_CODE);
    for (unsigned i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)canary_word(i + 7);
    FRAME_UC[5 + 23] = (unsigned long)junk;
    sigreturn_at((unsigned long)FRAME_UC);
    break;
  }
}

/* ------------------------------------------------------- signal masks */
static void block_all(void) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, 0);
}
static void touch_pages(int n) {
  char *m = mmap(0, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) { note("mmap: %s", errname(errno)); _exit(3); }
  for (int i = 0; i < n; i++) m[i * PG] = (char)i;
  munmap(m, n * PG);
}
static void *faulter(void *arg) {
  touch_pages((int)(long)arg);
  return 0;
}
static void mask_attack(long arg) {
  (void)arg;
  prefault();
  switch (cur) {
  case 0: block_all(); for (;;) __asm__ volatile(""); /* the parent must still end it */
  case 1: block_all(); touch_pages(500); *(volatile int *)0 = 1; break;
  case 2: block_all(); touch_pages(100); *(volatile unsigned char *)STUB_BATCH = 1; break;
  case 3: block_all(); touch_pages(100); craft_rs(RS_OPENAT, 0); launch(runner_syscall(), JMP, AFTER_FAULT);
  case 4: block_all(); craft_rs(RS_EXECVE, 0); launch(sym("stub_batch_trap") ? sym("stub_batch_trap") : STUB_CODE, JMP, AFTER_FAULT);
  case 5:
    signal(SIGSEGV, SIG_IGN), signal(SIGTRAP, SIG_IGN), signal(SIGSYS, SIG_IGN), signal(SIGBUS, SIG_IGN);
    touch_pages(500);
    *(volatile unsigned char *)STUB_BATCH = 1;
    break;
  case 6:
    signal(SIGSEGV, SIG_IGN), signal(SIGTRAP, SIG_IGN), signal(SIGSYS, SIG_IGN);
    craft_rs(RS_OPENAT, 0);
    launch(runner_syscall(), JMP, AFTER_FAULT);
  case 7: { /* a second thread with everything blocked, faulting; the first spins */
    pthread_t t;
    block_all();
    pthread_create(&t, 0, faulter, (void *)1000L);
    for (;;) __asm__ volatile("");
  }
  case 8: /* everything blocked, then SIGSTOP ourselves: the parent sees a stop and kills */
    block_all();
    raise(SIGSTOP);
    note("went on after SIGSTOP");
    _exit(0);
  }
  note("went on after the fault");
  _exit(0);
}

/* -------------------------------------------------------- sigaltstack */
static void on_usr1(int s) { (void)s; }
static void altstack_attack(long arg) {
  (void)arg;
  static const unsigned long at[] = { STUB_BATCH, STUB_CODE, OLD_DATA, TASK_SIZE - 1024, TASK_SIZE };
  stack_t ss = { (void *)at[cur], 0, 8192 };
  if (sigaltstack(&ss, 0) < 0) finish_errno(errno);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &sa, 0);
  raise(SIGUSR1);
  note("the handler ran on a stack in the stub range");
  _exit(0);
}

/* ------------------------------------------------------------ seccomp */
static long do_seccomp(unsigned int op, unsigned int flags, void *args) { return syscall(SYS_seccomp, op, flags, args); }
static void seccomp_attack(long arg) {
  (void)arg;
  static struct sock_filter kill_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS) };
  static struct sock_filter trap_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP) };
  static struct sock_filter trace_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE) };
  static struct sock_filter allow_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
  /* EPERM for getpid, allow the rest */
  static struct sock_filter eperm_getpid[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  /* kill on mprotect only */
  static struct sock_filter kill_mprotect[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
#define PROG(f) { sizeof f / sizeof f[0], f }
  static struct sock_fprog p_kill = PROG(kill_all), p_trap = PROG(trap_all), p_trace = PROG(trace_all),
                           p_eperm = PROG(eperm_getpid), p_kmp = PROG(kill_mprotect),
                           p_allow = PROG(allow_all);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  long r;
  pthread_t t;
  switch (cur) {
  case 0: /* kill on everything: the next system call ends us */
    if (do_seccomp(SECCOMP_SET_MODE_FILTER, 0, &p_kill) < 0) finish_errno(errno);
    syscall(SYS_getppid);
    break;
  case 1:
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p_kill, 0, 0) < 0) finish_errno(errno);
    syscall(SYS_getppid);
    break;
  case 2: /* strict mode: only read, write, exit, sigreturn */
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) < 0) finish_errno(errno);
    syscall(SYS_getppid);
    break;
  case 3:
    if (do_seccomp(SECCOMP_SET_MODE_FILTER, 0, &p_trap) < 0) finish_errno(errno);
    syscall(SYS_getppid);
    break;
  case 4:
    if (do_seccomp(SECCOMP_SET_MODE_FILTER, 0, &p_trace) < 0) finish_errno(errno);
    r = syscall(SYS_getppid);
    if (r < 0) finish_errno(errno); /* RET_TRACE with no tracer: ENOSYS */
    note("getppid returned %ld under a RET_TRACE filter", r);
    _exit(0);
  case 5: /* EPERM for getpid: honoured or refused, never half */
    if (do_seccomp(SECCOMP_SET_MODE_FILTER, 0, &p_eperm) < 0) finish_errno(errno);
    touch_pages(200); /* the kernel's own work for us goes on */
    r = syscall(SYS_getpid);
    if (r < 0) finish_errno(errno);
    note("filter installed, but getpid returned %ld", r);
    _exit(0);
  case 6: /* kill on mprotect: page faults and munmap (stub flushes) still work */
    if (do_seccomp(SECCOMP_SET_MODE_FILTER, 0, &p_kmp) < 0) finish_errno(errno);
    touch_pages(300);
    r = mprotect(zeros, PG, PROT_READ);
    note("mprotect returned %ld under a filter that kills on it", r);
    _exit(0);
  case 7: /* kill on everything, all threads (TSYNC) while another thread faults */
    if (pthread_create(&t, 0, faulter, (void *)100000L) != 0) finish_errno(EAGAIN);
    if (do_seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &p_kill) < 0) finish_errno(errno);
    for (;;) syscall(SYS_getppid);
  case 8: /* allow everything, then jump into the stub */
    if (do_seccomp(SECCOMP_SET_MODE_FILTER, 0, &p_allow) < 0) finish_errno(errno);
    prefault();
    craft_rs(RS_OPENAT, 0);
    launch(runner_syscall(), JMP, AFTER_FAULT);
  }
  note("went on after the filter");
  _exit(0);
}

/* ------------------------------------------------------------- ptrace */
static pid_t victim;
static void ptrace_attack(long arg) {
  (void)arg;
  prefault();
  long r;
  int st;
  switch (cur) {
  case 0: /* TRACEME, then into the stub: stops for a tracer that does not trace */
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) finish_errno(errno);
    craft_rs(RS_OPENAT, 0);
    launch(runner_syscall(), JMP, AFTER_FAULT);
  case 1: /* ATTACH a sibling, steer it into the runner's syscall with openat(marker) */
  case 2: { /* ... and with the forged batch at stub_run_batch */
    if (ptrace(PTRACE_ATTACH, victim, 0, 0) < 0) finish_errno(errno);
    if (waitpid(victim, &st, __WALL) != victim) finish_errno(errno);
    struct user_regs_struct u;
    if (ptrace(PTRACE_GETREGS, victim, 0, &u) < 0) finish_errno(errno);
    craft_rs(cur == 1 ? RS_OPENAT : RS_MMAP, 0);
    /* (the victim is a fork of the same parent: our addresses are its) */
    u.rax = hg_regs.rax, u.rdi = hg_regs.rdi, u.rsi = hg_regs.rsi, u.rdx = hg_regs.rdx, u.r10 = hg_regs.r10;
    u.r8 = hg_regs.r8, u.r9 = hg_regs.r9, u.r12 = hg_regs.r12, u.r14 = hg_regs.r14, u.r15 = hg_regs.r15;
    u.rsp = hg_regs.rsp, u.orig_rax = -1;
    u.rip = cur == 1 ? runner_syscall() : (sym("stub_run_batch") ? sym("stub_run_batch") : STUB_CODE);
    if (ptrace(PTRACE_SETREGS, victim, 0, &u) < 0) finish_errno(errno);
    if (ptrace(PTRACE_CONT, victim, 0, 0) < 0) finish_errno(errno);
    r = waitpid(victim, &st, __WALL);
    if (r != victim) finish_errno(errno);
    if (WIFSTOPPED(st)) note("%s (the steered sibling stopped)", signame(WSTOPSIG(st)));
    else if (WIFSIGNALED(st)) note("%s (the steered sibling died)", signame(WTERMSIG(st)));
    else note("the steered sibling exited %d", WEXITSTATUS(st));
    kill(victim, SIGKILL);
    _exit(0);
  }
  case 3: /* SEIZE the canary sibling and stop it: a guest's tracer, no host's */
    if (ptrace(PTRACE_SEIZE, canary_pid, 0, 0) < 0) finish_errno(errno);
    if (ptrace(PTRACE_INTERRUPT, canary_pid, 0, 0) < 0) finish_errno(errno);
    if (waitpid(canary_pid, &st, __WALL) != canary_pid) finish_errno(errno);
    ptrace(PTRACE_DETACH, canary_pid, 0, 0);
    if (WIFSTOPPED(st)) note("%s (the seized canary sibling stopped for its tracer, event %d)", signame(WSTOPSIG(st)), st >> 16);
    else note("the seized canary sibling ended: %#x", st);
    _exit(0);
  case 4: /* PTRACE_POKEUSER into the debug registers of ourselves via a child */
    r = ptrace(PTRACE_POKEUSER, getppid(), offsetof(struct user, u_debugreg[0]), STUB_BATCH);
    if (r < 0) finish_errno(errno);
    note("POKEUSER of the parent's debug register succeeded");
    _exit(0);
  }
}

/* -------------------------------------------------------------- clone */
long hg_raw_clone(unsigned long flags, void *stack, void *ptid, void *ctid, unsigned long tls, void (*fn)(void));
__asm__(".text\n"
        ".globl hg_raw_clone\n"
        "hg_raw_clone:\n\t"
        "movq %rcx, %r10\n\t"
        "movl $56, %eax\n\t"
        "syscall\n\t"
        "testq %rax, %rax\n\t"
        "jnz 1f\n\t"
        "xorl %ebp, %ebp\n\t"
        "andq $-16, %rsp\n\t"
        "call *%r9\n\t"
        "ud2\n"
        "1: ret\n");
static unsigned char clone_stack[1 << 16] __attribute__((aligned(16)));
/* the new task: into the stub with openat(marker) */
static void clone_child(void) {
  craft_rs(RS_OPENAT, 0);
  launch(runner_syscall(), JMP, AFTER_SYSCALL);
}
static void clone_attack(long arg) {
  (void)arg;
  prefault();
  prefault_range(clone_stack, sizeof clone_stack);
  unsigned long f = 0, tls = 0;
  void *stk = clone_stack + sizeof clone_stack - 64, *ptid = 0, *ctid = 0;
  switch (cur) {
  case 0: f = CLONE_PTRACE | SIGCHLD; stk = 0; break;
  case 1: f = CLONE_NEWUSER | SIGCHLD; stk = 0; break;
  case 2: f = CLONE_VM | SIGCHLD; break;
  case 3: f = CLONE_VM | CLONE_FILES | CLONE_FS | CLONE_SIGHAND | SIGCHLD; break;
  case 4: f = CLONE_SETTLS | SIGCHLD; stk = 0; tls = 0xdead000000000000UL; break;
  case 5: f = CLONE_SETTLS | SIGCHLD; stk = 0; tls = STUB_BATCH; break;
  case 6: f = CLONE_SETTLS | CLONE_VM | SIGCHLD; tls = OLD_DATA; break;
  case 7: f = CLONE_PARENT_SETTID | SIGCHLD; stk = 0; ptid = (void *)STUB_BATCH; break;
  case 8: f = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD; stk = 0; ctid = (void *)(STUB_BATCH + 8); break;
  case 9: f = CLONE_THREAD | SIGCHLD; break; /* without SIGHAND/VM: EINVAL */
  case 10: f = CLONE_SIGHAND | SIGCHLD; break; /* without VM: EINVAL */
  case 11: f = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | SIGCHLD; stk = 0; break;
  case 12: f = CLONE_VM | CLONE_VFORK | SIGCHLD; break;
  case 13: f = CLONE_VM; break; /* no exit signal */
  case 14: f = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | CLONE_SETTLS; tls = STUB_CODE; break;
  case 15: f = 0xffffffffUL & ~(CLONE_NEWUSER | CLONE_VFORK); stk = 0; break; /* everything at once */
  }
  long r = hg_raw_clone(f, stk, ptid, ctid, tls, clone_child);
  if (r < 0) finish_errno(-r);
  int st;
  if (cur == 14) { /* a thread: its signal kills us both; wait for it */
    for (;;) sleep_ms(100);
  }
  if (waitpid(r, &st, __WALL) != r) finish_errno(errno);
  if (WIFSTOPPED(st)) { note("%s (the clone stopped)", signame(WSTOPSIG(st))); kill(r, SIGKILL); _exit(0); }
  if (WIFSIGNALED(st)) { note("%s (the clone died)", signame(WTERMSIG(st))); _exit(0); }
  note("the clone exited %d", WEXITSTATUS(st));
  _exit(0);
}

/* -------------------------------------------- i386 entry points, x32 */
/* low (< 4 GiB) copies for 32-bit pointers: a static binary's bss is */
static char marker32[4][512];
static char path32[] = "/bin/sh";
static unsigned int argv32[4];
static unsigned char c32_stack[8192] __attribute__((aligned(16)));
unsigned int hg_c32_args[6];
unsigned long hg_c32_ret;
void hg_c32_int80(void), hg_c32_sysenter(void), hg_c32_syscall(void);
void hg_to_compat(unsigned long target, unsigned long stack);
__attribute__((noreturn, used)) void hg_c32_done(void);
__asm__(".text\n"
        ".code64\n"
        ".globl hg_to_compat\n"
        "hg_to_compat:\n\t"
        "movl $0x2b, %eax\n\t"
        "movl %eax, %ds\n\t"
        "movl %eax, %es\n\t"
        "movq %rsi, %rsp\n\t"
        "pushq $0x23\n\t"
        "pushq %rdi\n\t"
        "lretq\n"
        ".code32\n"
        ".globl hg_c32_int80\n"
        "hg_c32_int80:\n\t"
        "movl hg_c32_args, %eax\n\t"
        "movl hg_c32_args+4, %ebx\n\t"
        "movl hg_c32_args+8, %ecx\n\t"
        "movl hg_c32_args+12, %edx\n\t"
        "movl hg_c32_args+16, %esi\n\t"
        "movl hg_c32_args+20, %edi\n\t"
        "int $0x80\n\t"
        "ljmp $0x33, $hg_c32_back\n"
        ".globl hg_c32_sysenter\n"
        "hg_c32_sysenter:\n\t"
        "movl hg_c32_args, %eax\n\t"
        "movl hg_c32_args+4, %ebx\n\t"
        "movl hg_c32_args+8, %ecx\n\t"
        "movl hg_c32_args+12, %edx\n\t"
        "movl %esp, %ebp\n\t"
        "sysenter\n\t"
        "ljmp $0x33, $hg_c32_back\n"
        ".globl hg_c32_syscall\n"
        "hg_c32_syscall:\n\t"
        "movl hg_c32_args, %eax\n\t"
        "movl hg_c32_args+4, %ebx\n\t"
        "movl hg_c32_args+8, %ecx\n\t"
        "movl hg_c32_args+12, %edx\n\t"
        "syscall\n\t"
        "ljmp $0x33, $hg_c32_back\n"
        ".code64\n"
        "hg_c32_back:\n\t"
        "movq %rax, hg_c32_ret(%rip)\n\t"
        "leaq hg_land_stack+65536(%rip), %rsp\n\t"
        "andq $-16, %rsp\n\t"
        "call hg_c32_done\n\t"
        "ud2\n");
void hg_c32_done(void) {
  long r = (int)hg_c32_ret; /* eax, sign-extended */
  if (r < 0 && r > -4096) finish_errno((int)-r);
  scan_for_canary(0x50000000UL, SCAN_LEN);
  note("returned %ld from a 32-bit system call", r);
  _exit(0);
}
static long int80_64(long eax, long ebx, long ecx, long edx) {
  long r;
  /* rdi/rsi hold 1: were the call taken as a 64-bit one, munmap(1, 1) */
  __asm__ volatile("int $0x80"
                   : "=a"(r)
                   : "a"(eax), "b"(ebx), "c"(ecx), "d"(edx), "D"(1L), "S"(1L)
                   : "memory", "r8", "r9", "r10", "r11");
  return r;
}
static long raw_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  long r;
  register long r10 __asm__("r10") = a3;
  register long r8 __asm__("r8") = a4;
  register long r9 __asm__("r9") = a5;
  __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return r;
}
static void i386_attack(long arg) {
  (void)arg;
  prefault();
  long r = 0;
  const unsigned long m32 = (unsigned long)marker32[0];
  const long OCREAT = 0100 | 01; /* O_CREAT|O_WRONLY (same in i386) */
  memset(hg_c32_args, 0, sizeof hg_c32_args);
  switch (cur) {
  case 0: r = int80_64(11, (long)path32, (long)argv32, 0); break;             /* execve */
  case 1: r = int80_64(5, m32, OCREAT, 0644); break;                           /* open */
  case 2: r = int80_64(295, -100, m32, OCREAT); break;                         /* openat */
  case 3: r = int80_64(192, 0x50000000, SCAN_LEN, PROT_READ | PROT_WRITE); break; /* mmap2 (4 args only) */
  case 4: r = int80_64(120, SIGCHLD, 0, 0); break;                             /* clone */
  case 5: r = int80_64(26, PTRACE_TRACEME, 0, 0); break;                       /* ptrace */
  case 6: r = int80_64(172, PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0); break;    /* prctl */
  case 7: r = int80_64(1 << 20, 0, 0, 0); break;                               /* out of range */
  /* compat mode: a far return to cs 0x23, the i386 entry, a far jump back */
  case 10: case 11: case 12: case 13: case 14: case 15: {
    static const void *entry[] = { hg_c32_int80, hg_c32_int80, hg_c32_int80, hg_c32_sysenter, hg_c32_syscall, hg_c32_int80 };
    int k = cur - 10;
    if (k == 0) hg_c32_args[0] = 11, hg_c32_args[1] = (unsigned)(unsigned long)path32, hg_c32_args[2] = (unsigned)(unsigned long)argv32;
    else if (k == 2) { /* mmap2 physmem (fd 3) MAP_SHARED|MAP_FIXED at 0x50000000 */
      hg_c32_args[0] = 192, hg_c32_args[1] = 0x50000000, hg_c32_args[2] = SCAN_LEN, hg_c32_args[3] = PROT_READ | PROT_WRITE;
      hg_c32_args[4] = MAP_SHARED | MAP_FIXED, hg_c32_args[5] = 3;
    } else if (k == 5) hg_c32_args[0] = 26, hg_c32_args[1] = PTRACE_TRACEME;
    else hg_c32_args[0] = 5, hg_c32_args[1] = (unsigned)m32, hg_c32_args[2] = OCREAT, hg_c32_args[3] = 0644;
    hg_to_compat((unsigned long)entry[k], (unsigned long)c32_stack + sizeof c32_stack - 64);
    break;
  }
  /* x32 and odd numbers through the 64-bit entry */
  case 20: r = raw_syscall6(0x40000000L | 520, (long)sh_path, (long)sh_argv, 0, 0, 0, 0); break; /* x32 execve */
  case 21: r = raw_syscall6(0x40000000L | SYS_openat, AT_FDCWD, (long)markers[0], O_CREAT | O_WRONLY, 0644, 0, 0); break;
  case 22: r = raw_syscall6(0x40000000L | SYS_mmap, SCAN_BASE, SCAN_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 3, 0); break;
  case 23: r = raw_syscall6(-1L, 0, 0, 0, 0, 0, 0); break;
  case 24: r = raw_syscall6((long)(1UL << 63) | SYS_openat, AT_FDCWD, (long)markers[0], O_CREAT | O_WRONLY, 0644, 0, 0); break;
  case 25: r = raw_syscall6(0x100000000L | SYS_openat, AT_FDCWD, (long)markers[0], O_CREAT | O_WRONLY, 0644, 0, 0); break;
  case 26: r = raw_syscall6(0x100000000L | SYS_execve, (long)sh_path, (long)sh_argv, 0, 0, 0, 0); break;
  }
  if (r < 0 && r > -4096) finish_errno((int)-r);
  if (cur == 3 || cur == 22) scan_for_canary(cur == 3 ? 0x50000000UL : SCAN_BASE, SCAN_LEN);
  note("returned %ld", r);
  _exit(0);
}

/* ----------------------------------------------------------- vsyscall */
static long vcall(unsigned long fn, unsigned long a0, unsigned long a1) {
  long r;
  __asm__ volatile("call *%1" : "=a"(r) : "r"(fn), "D"(a0), "S"(a1), "a"(0L) : "rcx", "rdx", "r8", "r9", "r10", "r11", "memory");
  return r;
}
static void vsyscall_attack(long arg) {
  (void)arg;
  prefault();
  long r = 0;
  switch (cur) {
  case 0: r = vcall(0xffffffffff600000UL, STUB_BATCH, 0); break;         /* gettimeofday into the batch page */
  case 1: r = vcall(0xffffffffff600400UL, STUB_CODE, 0); break;          /* time into the code page */
  case 2: r = vcall(0xffffffffff600800UL, OLD_DATA, STUB_BATCH); break;  /* getcpu into the old slot, batch */
  case 3: r = vcall(0xffffffffff600400UL, OLD_DATA + 40, 0); break;      /* time into the old fault record */
  case 4: r = vcall(0xffffffffff600002UL, 0, 0); break;                  /* the middle of an entry */
  case 5: r = vcall(0xffffffffff600400UL, 0, 0); break;                  /* time(NULL) */
  }
  if (r < 0 && r > -4096) finish_errno((int)-r);
  note("returned %ld", r); /* time(NULL) may: Linux emulates the vsyscall page */
  _exit(0);
}

/* ------------------------------------------------------ exec's segments */
/* exec of a copy of this binary whose code segment lies in the stub's range
 * (or below mmap_min_addr): the loader must refuse it (SIGSEGV, as Linux's
 * exec past its point of no return), never ask the stub to map there (found
 * by a fuzzer: the stub's filter killed the process, SIGSYS). The copy goes
 * to the guest's own /tmp. */
static unsigned char elf_copy[4 << 20];
static void segment_attack(long arg) {
  (void)arg;
  int f = open("/proc/self/exe", O_RDONLY);
  long n = f < 0 ? -1 : read(f, elf_copy, sizeof elf_copy);
  if (n <= 0) finish_errno(errno);
  close(f);
  Elf64_Ehdr *e = (Elf64_Ehdr *)elf_copy;
  Elf64_Phdr *ph = (Elf64_Phdr *)(elf_copy + e->e_phoff);
  unsigned long at = cur == 0 ? STUB_CODE : cur == 1 ? STUB_BATCH : 0x1000;
  for (int i = 0; i < e->e_phnum; i++) {
    if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X)) continue;
    unsigned long v = at + ph[i].p_offset % PG;
    e->e_entry = v + (e->e_entry - ph[i].p_vaddr);
    ph[i].p_vaddr = ph[i].p_paddr = v;
    break;
  }
  int o = open("/tmp/hostile_segment", O_CREAT | O_TRUNC | O_WRONLY, 0755);
  if (o < 0 || write(o, elf_copy, n) != n) finish_errno(errno);
  close(o);
  char *av[] = { "/tmp/hostile_segment", NULL };
  execve(av[0], av, NULL);
  finish_errno(errno);
}

/* exec of a copy of this binary whose interpreter (another copy) has its
 * segments 128 TiB apart: no room for it once the program is mapped, past
 * exec's point of no return, so SIGSEGV (found in review: the loader's
 * ENOMEM was returned into an address space already emptied, whose first
 * fetch ended it with SIGSEGV too: what this checks is the outcome). */
static void interp_span_attack(long arg) {
  (void)arg;
  int f = open("/proc/self/exe", O_RDONLY);
  long n = f < 0 ? -1 : read(f, elf_copy, sizeof elf_copy);
  if (n <= 0 || n + 64 > (long)sizeof elf_copy) finish_errno(errno);
  close(f);
  Elf64_Ehdr *e = (Elf64_Ehdr *)elf_copy;
  Elf64_Phdr *ph = (Elf64_Phdr *)(elf_copy + e->e_phoff);
  /* the interpreter: the last PT_LOAD moved near the top of the address space */
  int last = -1;
  for (int i = 0; i < e->e_phnum; i++) if (ph[i].p_type == PT_LOAD) last = i;
  if (last < 0) finish_errno(ENOEXEC);
  Elf64_Addr saved = ph[last].p_vaddr;
  ph[last].p_vaddr = ph[last].p_paddr = 0x7ff000000000UL + ph[last].p_offset % PG;
  int o = open("/tmp/hostile_interp", O_CREAT | O_TRUNC | O_WRONLY, 0755);
  if (o < 0 || write(o, elf_copy, n) != n) finish_errno(errno);
  close(o);
  ph[last].p_vaddr = ph[last].p_paddr = saved;
  /* the program: its PT_GNU_STACK (or PT_NOTE) becomes a PT_INTERP naming it, the name at the file's end */
  static const char name[] = "/tmp/hostile_interp";
  int k = -1;
  for (int i = 0; i < e->e_phnum; i++) if (ph[i].p_type == PT_GNU_STACK || (k < 0 && ph[i].p_type == PT_NOTE)) k = i;
  if (k < 0) finish_errno(ENOEXEC);
  memcpy(elf_copy + n, name, sizeof name);
  ph[k].p_type = PT_INTERP;
  ph[k].p_offset = n;
  ph[k].p_filesz = ph[k].p_memsz = sizeof name;
  o = open("/tmp/hostile_prog", O_CREAT | O_TRUNC | O_WRONLY, 0755);
  if (o < 0 || write(o, elf_copy, n + sizeof name) != n + (long)sizeof name) finish_errno(errno);
  close(o);
  char *av[] = { "/tmp/hostile_prog", NULL };
  execve(av[0], av, NULL);
  finish_errno(errno);
}

/* ----------------------------------------------------------------- main */
static void run_cur(const char *name, attack_fn fn, int k) {
  cur = k;
  run_attack(name, fn, 0);
}
int main(int argc, char **argv) {
  hostile_start(argc, argv);
  for (int i = 0; i < nmarkers && i < 4; i++) snprintf(marker32[i], sizeof marker32[i], "%s", markers[i]);
  argv32[0] = (unsigned)(unsigned long)path32, argv32[1] = 0;
  /* the victim for ptrace ATTACH: a sibling that only waits */
  victim = fork();
  if (victim == 0) { for (;;) pause(); }

  static const char *sr[] = { "rt_sigreturn, frame of zeros", "rt_sigreturn, frame of random bytes",
                              "rt_sigreturn, rsp unmapped", "rt_sigreturn, rsp in the batch page",
                              "rt_sigreturn, rsp non-canonical", "rt_sigreturn, rsp in the old data slots",
                              "rt_sigreturn into the runner's syscall with openat(marker)",
                              "rt_sigreturn into stub_run_batch, every signal blocked",
                              "rt_sigreturn into 32-bit mode at the stub", "rt_sigreturn with a kernel cs",
                              "rt_sigreturn with fpstate at the batch page", "rt_sigreturn with a garbage fpstate" };
  for (int k = 0; k < 12; k++) run_cur(sr[k], sigreturn_attack, k);

  cur = 0;
  run_attack_t("block every signal and spin (the parent SIGKILLs it after 200 ms)", mask_attack, 0, 200);
  static const char *mk[] = { 0, "block every signal, 500 page faults, then a store to address 0",
                              "block every signal, 100 page faults, then a store to the batch page",
                              "block every signal, 100 page faults, then jmp the runner's syscall",
                              "block every signal, then jmp the batch trap",
                              "ignore SIGSEGV/SIGTRAP/SIGSYS/SIGBUS, 500 page faults, then a store to the batch page",
                              "ignore SIGSEGV/SIGTRAP/SIGSYS, then jmp the runner's syscall" };
  for (int k = 1; k < 7; k++) run_cur(mk[k], mask_attack, k);
  cur = 7;
  run_attack_t("block every signal in two threads, one faulting, one spinning (SIGKILLed after 200 ms)", mask_attack, 0, 200);
  cur = 8;
  run_attack_t("block every signal, then SIGSTOP ourselves", mask_attack, 0, 1000);

  static const char *as[] = { "sigaltstack on the batch page, then a signal", "sigaltstack on the code page, then a signal",
                              "sigaltstack on the old data slot, then a signal",
                              "sigaltstack across TASK_SIZE, then a signal", "sigaltstack at TASK_SIZE, then a signal" };
  for (int k = 0; k < 5; k++) run_cur(as[k], altstack_attack, k);

  static const char *sc[] = { "seccomp filter killing everything", "prctl SECCOMP_MODE_FILTER killing everything",
                              "prctl SECCOMP_MODE_STRICT", "seccomp filter trapping everything",
                              "seccomp filter tracing everything", "seccomp filter EPERM for getpid, with page faults",
                              "seccomp filter killing mprotect, with page faults and munmap",
                              "seccomp filter killing everything, TSYNC, a thread faulting",
                              "seccomp filter allowing everything, then jmp the runner's syscall" };
  for (int k = 0; k < 9; k++) run_cur(sc[k], seccomp_attack, k);

  static const char *pt[] = { "ptrace TRACEME, then jmp the runner's syscall",
                              "ptrace ATTACH a sibling and steer it into the runner's syscall",
                              "ptrace ATTACH a sibling and steer it into stub_run_batch",
                              "ptrace SEIZE+INTERRUPT the canary sibling", "ptrace POKEUSER a debug register of the parent" };
  for (int k = 0; k < 5; k++) run_cur(pt[k], ptrace_attack, k);

  static const char *cl[] = { "clone CLONE_PTRACE", "clone CLONE_NEWUSER", "clone CLONE_VM without CLONE_THREAD",
                              "clone CLONE_VM|FILES|FS|SIGHAND without CLONE_THREAD", "clone CLONE_SETTLS non-canonical",
                              "clone CLONE_SETTLS at the batch page", "clone CLONE_SETTLS|CLONE_VM at the old data slot",
                              "clone CLONE_PARENT_SETTID into the batch page",
                              "clone CLONE_CHILD_SETTID|CLEARTID into the batch page", "clone CLONE_THREAD alone",
                              "clone CLONE_SIGHAND without CLONE_VM", "clone CLONE_NEWNS|NEWPID|NEWNET",
                              "clone CLONE_VM|CLONE_VFORK", "clone CLONE_VM, no exit signal",
                              "clone a thread with CLONE_SETTLS at the code page", "clone with every flag" };
  for (int k = 0; k < 16; k++) run_cur(cl[k], clone_attack, k);
  static const char *sg[] = { "exec an ELF whose code segment is at the stub's code page",
                              "exec an ELF whose code segment is at the stub's batch page",
                              "exec an ELF whose code segment is below mmap_min_addr" };
  for (int k = 0; k < 3; k++) run_cur(sg[k], segment_attack, k);
  run_cur("exec an ELF whose interpreter's segments are 128 TiB apart", interp_span_attack, 0);

  static const struct { int k; const char *name; } ia[] = {
    { 0, "int 0x80 execve(/bin/sh)" }, { 1, "int 0x80 open(marker, O_CREAT)" }, { 2, "int 0x80 openat(marker, O_CREAT)" },
    { 3, "int 0x80 mmap2 at 0x50000000" }, { 4, "int 0x80 clone" }, { 5, "int 0x80 ptrace TRACEME" },
    { 6, "int 0x80 prctl SECCOMP strict" }, { 7, "int 0x80 number 1<<20" },
    { 10, "compat mode int 0x80 execve(/bin/sh)" }, { 11, "compat mode int 0x80 open(marker, O_CREAT)" },
    { 12, "compat mode int 0x80 mmap2 of fd 3 at 0x50000000" }, { 13, "compat mode sysenter open(marker, O_CREAT)" },
    { 14, "compat mode syscall open(marker, O_CREAT)" }, { 15, "compat mode int 0x80 ptrace TRACEME" },
    { 20, "x32 execve" }, { 21, "x32 openat(marker, O_CREAT)" }, { 22, "x32 mmap of fd 3" }, { 23, "syscall number -1" },
    { 24, "syscall number 1<<63 | openat" }, { 25, "syscall number 1<<32 | openat" }, { 26, "syscall number 1<<32 | execve" },
  };
  for (unsigned i = 0; i < sizeof ia / sizeof ia[0]; i++) run_cur(ia[i].name, i386_attack, ia[i].k);

  static const char *vs[] = { "vsyscall gettimeofday into the batch page", "vsyscall time into the code page",
                              "vsyscall getcpu into the old data slot and the batch page",
                              "vsyscall time into the old fault record", "vsyscall page, mid-entry",
                              "vsyscall time(NULL)" };
  for (int k = 0; k < 6; k++) run_cur(vs[k], vsyscall_attack, k);

  kill(victim, SIGKILL);
  waitpid(victim, 0, 0);
  hostile_end();
  return 0;
}
