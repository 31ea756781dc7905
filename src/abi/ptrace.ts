/** ptrace(2)'s requests, options, events and layouts (include/uapi/linux/ptrace.h, arch/x86/include/asm/user_64.h). */
export const PTRACE_TRACEME = 0, PTRACE_PEEKTEXT = 1, PTRACE_PEEKDATA = 2, PTRACE_PEEKUSER = 3, PTRACE_POKETEXT = 4,
  PTRACE_POKEDATA = 5, PTRACE_POKEUSER = 6, PTRACE_CONT = 7, PTRACE_KILL = 8, PTRACE_SINGLESTEP = 9,
  PTRACE_GETREGS = 12, PTRACE_SETREGS = 13, PTRACE_GETFPREGS = 14, PTRACE_SETFPREGS = 15, PTRACE_ATTACH = 16,
  PTRACE_DETACH = 17, PTRACE_SYSCALL = 24, PTRACE_SETOPTIONS = 0x4200, PTRACE_GETEVENTMSG = 0x4201,
  PTRACE_GETSIGINFO = 0x4202, PTRACE_SETSIGINFO = 0x4203, PTRACE_GETREGSET = 0x4204, PTRACE_SETREGSET = 0x4205,
  PTRACE_SEIZE = 0x4206, PTRACE_INTERRUPT = 0x4207, PTRACE_LISTEN = 0x4208, PTRACE_GET_SYSCALL_INFO = 0x420e;

/** PTRACE_SETOPTIONS bits */
export const PTRACE_O_TRACESYSGOOD = 1, PTRACE_O_TRACEFORK = 2, PTRACE_O_TRACEVFORK = 4, PTRACE_O_TRACECLONE = 8,
  PTRACE_O_TRACEEXEC = 0x10, PTRACE_O_TRACEVFORKDONE = 0x20, PTRACE_O_TRACEEXIT = 0x40, PTRACE_O_TRACESECCOMP = 0x80,
  PTRACE_O_EXITKILL = 0x100000, PTRACE_O_SUSPEND_SECCOMP = 0x200000;
export const PTRACE_O_MASK = 0xff | PTRACE_O_EXITKILL | PTRACE_O_SUSPEND_SECCOMP;

/** event stops: the wait status's bits 16-23 (status >> 16) */
export const PTRACE_EVENT_FORK = 1, PTRACE_EVENT_VFORK = 2, PTRACE_EVENT_CLONE = 3, PTRACE_EVENT_EXEC = 4,
  PTRACE_EVENT_VFORK_DONE = 5, PTRACE_EVENT_EXIT = 6, PTRACE_EVENT_SECCOMP = 7, PTRACE_EVENT_STOP = 128;

/** what PTRACE_GETEVENTMSG says at a syscall stop (ptrace_report_syscall_entry/exit) */
export const PTRACE_EVENTMSG_SYSCALL_ENTRY = 1, PTRACE_EVENTMSG_SYSCALL_EXIT = 2;

/** struct ptrace_syscall_info: op values, and the sizes the kernel copies for each */
export const PTRACE_SYSCALL_INFO_NONE = 0, PTRACE_SYSCALL_INFO_ENTRY = 1, PTRACE_SYSCALL_INFO_EXIT = 2;
export const SYSCALL_INFO_HEAD = 24, SYSCALL_INFO_ENTRY_END = 80, SYSCALL_INFO_EXIT_END = 33;
export const AUDIT_ARCH_X86_64 = 0xc000003e;

/** regset note types (PTRACE_GETREGSET's addr) */
export const NT_PRSTATUS = 1, NT_PRFPREG = 2;
/** sizeof(struct user_regs_struct), of struct user_i387_struct (the FXSAVE image) */
export const USER_REGS_SIZE = 27 * 8, USER_FPREGS_SIZE = 512;
/** struct user: u_debugreg's offset, and the whole struct's size (PEEKUSER/POKEUSER's addr range) */
export const USER_DEBUGREG = 848, USER_SIZE = 912;
/** EFLAGS bits a tracer may change (FLAG_MASK of arch/x86/kernel/ptrace.c), and the trap flag */
export const USER_FLAG_MASK = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x4000 | 0x10000 | 0x40000;
export const X86_EFLAGS_TF = 0x100;
