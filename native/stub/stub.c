/* umlts stub: the only code of umlts that runs inside a guest's host process.
 *
 * Freestanding (no libc): raw syscalls only. Linked at STUB_CODE (stub.lds) so
 * that, once started, it can unmap everything else in its address space and
 * leave the guest [0, GUEST_TASK_SIZE) empty for the kernel to fill.
 *
 * Two modes, chosen by argv[1]:
 *   "stub" <batch_off> <data_off> <ppid> <secret>
 *       A guest address space. Maps the batch page (read-only) and the data
 *       slot (read-write) from physmem (fd 3), installs the SIGSEGV handler on
 *       the slot, unmaps the rest of the host address space, installs the
 *       seccomp filter, and traps (int3) to say it is ready.
 *   "waker" <ppid>
 *       The kernel's alarm clock: polls fd 3 (the kernel's epoll instance)
 *       and traps (int3) whenever it is readable. Its stops arrive through the
 *       kernel's one waitpid, so timers and host I/O wake a kernel that is
 *       blocked in waitpid.
 *
 * Known security issues and how they are closed (see the seed's note):
 *  - The data slots are guest-writable. Nothing the kernel trusts lives
 *    there; the fault record is only a hint that the kernel checks against
 *    its VMAs. Each host thread has a slot of its own (its sigaltstack), so
 *    threads faulting at once never share one (the seed's "one thread at a
 *    time in the fault path", solved by not sharing).
 *  - Mapping requests live in the batch page, which the guest can read but not
 *    write, and which guest mmap/mprotect cannot reach (above GUEST_TASK_SIZE;
 *    every guest syscall is emulated by the kernel anyway).
 *  - Guest code can jump into this page and execute its `syscall` instruction
 *    with registers of its choosing. The seccomp filter therefore allows from
 *    this page only mmap/munmap/mprotect bounded below STUB_START, openat,
 *    close, sigaltstack, and clone with exactly STUB_CLONE_FLAGS (a thread in
 *    this same process), each only with the per-process secret in the upper
 *    half of arg4 (kept in a register by the kernel, never in memory the
 *    guest can read), and rt_sigreturn (harmless: it only sets the caller's
 *    own registers).
 *    Anything else from this page kills the process; a syscall from anywhere
 *    else traps to the kernel (SECCOMP_RET_TRACE).
 *  - openat opens a host file the kernel already has open (by its
 *    /proc/<kernel>/fd/<n> name, written in the read-only batch page), so
 *    that the file's pages can be mapped straight from the host's page cache.
 *    The guest never names the path.
 *  - The secret is 32 bits; a wrong guess kills the guessing process.
 */
#include "layout.h"

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define NR_read 0
#define NR_poll 7
#define NR_close 3
#define NR_mmap 9
#define NR_mprotect 10
#define NR_munmap 11
#define NR_rt_sigaction 13
#define NR_rt_sigreturn 15
#define NR_clone 56
#define NR_getppid 110
#define NR_sigaltstack 131
#define NR_prctl 157
#define NR_ptrace 101
#define NR_exit_group 231
#define NR_openat 257
#define NR_seccomp 317
#define NR_close_range 436

#define PR_SET_PDEATHSIG 1
#define PR_SET_NO_NEW_PRIVS 38
#define PR_SET_DUMPABLE 4
#define SIGKILL 9
#define SIGSEGV 11
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_SHARED 1
#define MAP_FIXED 0x10
#define SA_SIGINFO 4
#define SA_ONSTACK 0x08000000
#define SA_RESTORER 0x04000000
#define SA_NODEFER 0x40000000

static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

static __attribute__((noreturn)) void die(int code) {
  for (;;) sys1(NR_exit_group, code);
}

static u64 parse_u64(const char *s) {
  u64 v = 0;
  if (!s) die(120);
  for (; *s; s++) {
    if (*s < '0' || *s > '9') die(121);
    v = v * 10 + (u64)(*s - '0');
  }
  return v;
}

static int streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/* The trap entry points. Pure assembly: no stack, no compiler-chosen
 * registers, so the kernel can start them with any register set it builds.
 *
 * stub_run_batch: r12 = first request, r15 = secret << 32, r14 = 1 to
 *   rt_sigreturn on success (rsp must then point just past the signal frame's
 *   return address), 0 to trap. Stops with int3: rax = 0 (all done) or the
 *   first -errno, r12 = the request that failed, r13 = the result of the
 *   last request that succeeded.
 * stub_segv_handler: SIGSEGV handler on the data slot. Records the fault at
 *   the slot base and traps; resumed as is, it returns to the guest through
 *   rt_sigreturn (which restores every register, FPU state included). */
__asm__(
  ".pushsection .text.entry,\"ax\",@progbits\n"
  ".globl stub_run_batch\n"
  "stub_run_batch:\n"
  "1: movq (%r12), %rax\n"
  "   testq %rax, %rax\n"
  "   jz 2f\n"
  "   movq 8(%r12), %rdi\n"
  "   movq 16(%r12), %rsi\n"
  "   movq 24(%r12), %rdx\n"
  "   movq 32(%r12), %r10\n"
  "   movq 40(%r12), %r8\n"
  "   orq %r15, %r8\n"
  "   movq 48(%r12), %r9\n"
  "   syscall\n"
  "   cmpq $-4095, %rax\n"
  "   jae 3f\n"
  "   movq %rax, %r13\n"              /* the last result (an openat's fd) */
  "   addq $56, %r12\n"
  "   jmp 1b\n"
  "2: xorl %eax, %eax\n"
  "   testq %r14, %r14\n"
  "   jz 3f\n"
  "   xorq %r15, %r15\n"
  "   movl $15, %eax\n"
  "   syscall\n"
  "3: xorq %r15, %r15\n"
  ".globl stub_batch_trap\n"
  "stub_batch_trap:\n"
  "   int3\n"
  "   jmp 3b\n"
  ".balign 16\n"
  ".globl stub_segv_handler\n"
  "stub_segv_handler:\n"
  "   movq %rsp, %rax\n"
  "   andq $-0x4000, %rax\n"          /* slot base (STUB_SLOT_SIZE) */
  "   movq 216(%rdx), %rcx\n"         /* uc_mcontext.cr2 */
  "   movq %rcx, 0(%rax)\n"
  "   movq 192(%rdx), %rcx\n"         /* uc_mcontext.err */
  "   movq %rcx, 8(%rax)\n"
  "   movq 200(%rdx), %rcx\n"         /* uc_mcontext.trapno */
  "   movq %rcx, 16(%rax)\n"
  "   movq %rdi, 24(%rax)\n"
  "   movslq 8(%rsi), %rcx\n"         /* si_code */
  "   movq %rcx, 32(%rax)\n"
  "   movq %rsp, 40(%rax)\n"
  ".globl stub_segv_trap\n"
  "stub_segv_trap:\n"
  "   int3\n"
  ".globl stub_sigreturn\n"
  "stub_sigreturn:\n"
  "   addq $8, %rsp\n"                /* pop pretcode, as `ret` into the restorer would */
  "   movl $15, %eax\n"
  "   syscall\n"
  "   int3\n"
  ".globl stub_waker_loop\n"
  "stub_waker_loop:\n"               /* rsp: a few words of stack in the data slot */
  "4: movl $7, %eax\n"               /* poll(&pfd, 1, -1) */
  "   movq %rsp, %rdi\n"
  "   movl $1, %esi\n"
  "   movl $-1, %edx\n"
  "   syscall\n"
  ".globl stub_waker_trap\n"
  "stub_waker_trap:\n"
  "   int3\n"
  "   jmp 4b\n"
  ".globl stub_clone_thread\n"
  "stub_clone_thread:\n"            /* a host thread for a new guest thread: rdi = */
  "   movl $56, %eax\n"               /* STUB_CLONE_FLAGS, rsi = its stack (top of its */
  "   syscall\n"                      /* slot), rdx = r10 = 0, r8 = secret << 32, */
  "   testq %rax, %rax\n"             /* r12/r13 = its slot base and size */
  "   jnz stub_clone_trap\n"
  "   subq $32, %rsp\n"               /* the new thread: its SIGSEGV stack is its slot */
  "   movq %r12, 0(%rsp)\n"           /* (stack_t: ss_sp, ss_flags, ss_size) */
  "   movq $0, 8(%rsp)\n"
  "   movq %r13, 16(%rsp)\n"
  "   movq %rsp, %rdi\n"
  "   xorl %esi, %esi\n"
  "   movl $131, %eax\n"              /* sigaltstack */
  "   syscall\n"
  "   movq %rax, %r12\n"              /* its result, for the kernel */
  ".globl stub_thread_trap\n"
  "stub_thread_trap:\n"
  "   int3\n"
  "   jmp stub_thread_trap\n"
  ".globl stub_clone_trap\n"
  "stub_clone_trap:\n"              /* the calling thread: rax = new tid or -errno */
  "   int3\n"
  "   jmp stub_clone_trap\n"
  ".globl stub_restorer\n"
  "stub_restorer:\n"                 /* sa_restorer; never reached in practice */
  "   movl $15, %eax\n"
  "   syscall\n"
  "   int3\n"
  ".popsection\n");

extern char stub_run_batch[], stub_segv_handler[], stub_restorer[], stub_waker_loop[];

/* classic BPF, as in <linux/filter.h> */
struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; };
struct sock_fprog { u16 len; struct sock_filter *filter; };
#define BPF_LD_W_ABS 0x20
#define BPF_JEQ_K 0x15
#define BPF_JGE_K 0x35
#define BPF_JGT_K 0x25
#define BPF_RET_K 0x06
#define STMT(c, k) { (u16)(c), 0, 0, (u32)(k) }
#define JUMP(c, k, t, f) { (u16)(c), (u8)(t), (u8)(f), (u32)(k) }
#define RET_KILL 0x80000000U   /* SECCOMP_RET_KILL_PROCESS */
#define RET_TRACE 0x7ff00000U
#define RET_ALLOW 0x7fff0000U
#define AUDIT_ARCH_X86_64 0xc000003eU
/* struct seccomp_data */
#define SD_NR 0
#define SD_ARCH 4
#define SD_IP_LO 8
#define SD_IP_HI 12
#define SD_ARG_LO(i) (16 + 8 * (i))
#define SD_ARG_HI(i) (20 + 8 * (i))

static void install_filter(u32 secret) {
  const u32 code_lo = (u32)STUB_CODE, code_hi = (u32)(STUB_CODE >> 32);
  const u32 task_hi = (u32)(GUEST_TASK_SIZE >> 32);
  struct sock_filter f[] = {
    /* 0 */ STMT(BPF_LD_W_ABS, SD_ARCH),
    /* 1 */ JUMP(BPF_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
    /* 2 */ STMT(BPF_RET_K, RET_TRACE),                 /* 32-bit entry: the kernel answers */
    /* 3 */ STMT(BPF_LD_W_ABS, SD_IP_HI),
    /* 4 */ JUMP(BPF_JEQ_K, code_hi, 1, 0),
    /* 5 */ STMT(BPF_RET_K, RET_TRACE),                 /* guest code: emulated */
    /* 6 */ STMT(BPF_LD_W_ABS, SD_IP_LO),
    /* 7 */ JUMP(BPF_JGE_K, code_lo, 1, 0),
    /* 8 */ STMT(BPF_RET_K, RET_TRACE),
    /* 9 */ JUMP(BPF_JGE_K, code_lo + (u32)STUB_CODE_SIZE, 0, 1),
    /* 10 */ STMT(BPF_RET_K, RET_TRACE),
    /* from the stub page */
    /* 11 */ STMT(BPF_LD_W_ABS, SD_NR),
    /* 12 */ JUMP(BPF_JEQ_K, NR_rt_sigreturn, 0, 1),
    /* 13 */ STMT(BPF_RET_K, RET_ALLOW),
    /* 14 */ JUMP(BPF_JEQ_K, NR_mmap, 9, 0),             /* -> 24 */
    /* 15 */ JUMP(BPF_JEQ_K, NR_munmap, 8, 0),           /* -> 24 */
    /* 16 */ JUMP(BPF_JEQ_K, NR_mprotect, 7, 0),         /* -> 24 */
    /* 17 */ JUMP(BPF_JEQ_K, NR_openat, 4, 0),           /* -> 22 */
    /* 18 */ JUMP(BPF_JEQ_K, NR_close, 3, 0),            /* -> 22 */
    /* 19 */ JUMP(BPF_JEQ_K, NR_sigaltstack, 2, 0),      /* -> 22 */
    /* 20 */ JUMP(BPF_JEQ_K, NR_clone, 11, 0),           /* -> 32 */
    /* 21 */ STMT(BPF_RET_K, RET_KILL),
    /* 22: openat (of a host file the kernel names in the batch page), close
     *     and a new thread's sigaltstack: the secret only */
    /* 22 */ STMT(BPF_LD_W_ABS, SD_ARG_HI(4)),
    /* 23 */ JUMP(BPF_JEQ_K, secret, 7, 14),             /* -> 31 allow, else 38 */
    /* 24: mmap, munmap, mprotect: the secret, then the range */
    /* 24 */ STMT(BPF_LD_W_ABS, SD_ARG_HI(4)),
    /* 25 */ JUMP(BPF_JEQ_K, secret, 0, 12),             /* else 38 */
    /* 26 */ STMT(BPF_LD_W_ABS, SD_ARG_HI(0)),
    /* 27 */ JUMP(BPF_JGE_K, task_hi, 10, 0),            /* addr >= GUEST_TASK_SIZE: 38 */
    /* 28 */ STMT(BPF_LD_W_ABS, SD_ARG_HI(1)),
    /* 29 */ JUMP(BPF_JGE_K, 16, 8, 0),                  /* len >= 2^36: 38 */
    /* 30 */ STMT(BPF_RET_K, RET_ALLOW),
    /* 31 */ STMT(BPF_RET_K, RET_ALLOW),
    /* 32: clone: the secret, and exactly a thread in this address space */
    /* 32 */ STMT(BPF_LD_W_ABS, SD_ARG_HI(4)),
    /* 33 */ JUMP(BPF_JEQ_K, secret, 0, 4),              /* else 38 */
    /* 34 */ STMT(BPF_LD_W_ABS, SD_ARG_LO(0)),
    /* 35 */ JUMP(BPF_JEQ_K, (u32)STUB_CLONE_FLAGS, 0, 2), /* else 38 */
    /* 36 */ STMT(BPF_LD_W_ABS, SD_ARG_HI(0)),
    /* 37 */ JUMP(BPF_JEQ_K, 0, 1, 0),                   /* -> 39 allow, else 38 */
    /* 38 */ STMT(BPF_RET_K, RET_KILL),
    /* 39 */ STMT(BPF_RET_K, RET_ALLOW),
  };
  struct sock_fprog prog = { (u16)(sizeof f / sizeof f[0]), f };
  if (sys2(NR_prctl, PR_SET_NO_NEW_PRIVS, 1) < 0) die(122);
  if (sys3(NR_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, &prog) < 0) die(123);
}

struct k_sigaction { void *handler; u64 flags; void *restorer; u64 mask; };
struct stack_t { void *sp; int flags; u64 size; };

/* Runs on the data slot, after the host stack is gone. */
static __attribute__((noreturn, used)) void stub_finish(u32 secret) {
  /* Everything of the host's below and above the stub: ELF-less now, the
   * host stack, vdso and vvar. [vsyscall] cannot be unmapped and is above
   * host user space anyway. */
  if (sys2(NR_munmap, 0, STUB_START) < 0) die(124);
  if (sys2(NR_munmap, STUB_END, STUB_HOST_TOP - STUB_END) < 0) die(125);
  install_filter(secret);
  for (;;) __asm__ volatile("int3"); /* ready; the kernel takes over from here */
}

static __attribute__((noreturn, used)) void waker_finish(void) {
  /* struct pollfd { int fd; short events; short revents; } at rsp */
  __asm__ volatile(
    "movq %0, %%rsp\n"
    "subq $64, %%rsp\n"
    "movl $3, 0(%%rsp)\n"
    "movl $1, 4(%%rsp)\n"              /* POLLIN */
    "int3\n"                           /* ready */
    "jmp stub_waker_loop\n"
    :: "r"(STUB_DATA + STUB_SLOT_SIZE) : "memory");
  __builtin_unreachable();
}

static void common_start(u64 ppid) {
  /* Die with the kernel: EXITKILL covers it once the kernel has set its
   * ptrace options; PDEATHSIG covers the moments before. */
  sys2(NR_prctl, PR_SET_PDEATHSIG, SIGKILL);
  if ((u64)sys0(NR_getppid) != ppid) die(126);
  if (sys4(NR_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0) < 0) die(127);
  /* Keep only fd 3. Closing 0-2 matters: a stub holding the terminal's or a
   * pipe's descriptor would keep it open behind the guest's back. */
  sys3(NR_close_range, 0, 2, 0);
  sys3(NR_close_range, 4, ~0U, 0);
}

__attribute__((noreturn, used)) void stub_main(long argc, char **argv) {
  if (argc < 3) die(119);
  if (streq(argv[1], "waker")) {
    common_start(parse_u64(argv[2]));
    /* The waker also lives at the top of its address space; it needs only a
     * stack word or two, which it takes from an anonymous-free data slot: map
     * the slot privately (no physmem here: fd 3 is the epoll instance). */
    if (sys6(NR_mmap, STUB_DATA, STUB_SLOT_SIZE, PROT_READ | PROT_WRITE, 0x22 | MAP_FIXED, -1, 0) < 0) die(128);
    waker_finish();
  }
  if (!streq(argv[1], "stub") || argc < 6) die(119);
  u64 batch_off = parse_u64(argv[2]), data_off = parse_u64(argv[3]);
  u64 ppid = parse_u64(argv[4]);
  u32 secret = (u32)parse_u64(argv[5]);
  common_start(ppid);
  if (sys6(NR_mmap, STUB_BATCH, STUB_BATCH_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED, STUB_FD_PHYSMEM, batch_off) < 0) die(129);
  if (sys6(NR_mmap, STUB_DATA, STUB_DATA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, STUB_FD_PHYSMEM, data_off) < 0) die(130);
  struct stack_t ss = { (void *)STUB_DATA, 0, STUB_SLOT_SIZE };
  if (sys2(NR_sigaltstack, &ss, 0) < 0) die(131);
  struct k_sigaction sa = { stub_segv_handler, SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTORER, stub_restorer, 0 };
  if (sys4(NR_rt_sigaction, SIGSEGV, &sa, 0, 8) < 0) die(132);
  /* Not dumpable: no core of a stub, and /proc/<stub> stays root-only. */
  sys2(NR_prctl, PR_SET_DUMPABLE, 0);
  /* Move to the top of the data slot and drop the host stack. */
  __asm__ volatile("movq %0, %%rsp\n"
                   "movl %1, %%edi\n"
                   "call stub_finish\n"
                   :: "r"(STUB_DATA + STUB_SLOT_SIZE - 64), "r"(secret) : "memory");
  __builtin_unreachable();
}

/* _start: rsp -> argc, argv... (the System V initial stack) */
__asm__(
  ".pushsection .text.start,\"ax\",@progbits\n"
  ".globl _start\n"
  "_start:\n"
  "   movq (%rsp), %rdi\n"
  "   leaq 8(%rsp), %rsi\n"
  "   andq $-16, %rsp\n"
  "   call stub_main\n"
  "   hlt\n"
  ".popsection\n");
