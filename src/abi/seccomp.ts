/**
 * seccomp(2) and classic BPF as seccomp takes them (include/uapi/linux/seccomp.h,
 * include/uapi/linux/filter.h, include/uapi/linux/bpf_common.h,
 * include/uapi/linux/audit.h's AUDIT_ARCH_X86_64).
 */

/** task->seccomp.mode (prctl PR_GET_SECCOMP's answer, /proc/PID/status's Seccomp:) */
export const SECCOMP_MODE_DISABLED = 0, SECCOMP_MODE_STRICT = 1, SECCOMP_MODE_FILTER = 2;

/** seccomp(2)'s operations */
export const SECCOMP_SET_MODE_STRICT = 0, SECCOMP_SET_MODE_FILTER = 1, SECCOMP_GET_ACTION_AVAIL = 2,
  SECCOMP_GET_NOTIF_SIZES = 3;

/** SECCOMP_SET_MODE_FILTER's flags */
export const SECCOMP_FILTER_FLAG_TSYNC = 1 << 0, SECCOMP_FILTER_FLAG_LOG = 1 << 1,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW = 1 << 2, SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3,
  SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 1 << 4, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1 << 5;
export const SECCOMP_FILTER_FLAG_MASK = 0x3f;

/** A filter's return value: the action in the top 16 bits (KILL_PROCESS uses the top bit), data below. */
export const SECCOMP_RET_KILL_PROCESS = 0x80000000, SECCOMP_RET_KILL_THREAD = 0, SECCOMP_RET_TRAP = 0x00030000,
  SECCOMP_RET_ERRNO = 0x00050000, SECCOMP_RET_USER_NOTIF = 0x7fc00000, SECCOMP_RET_TRACE = 0x7ff00000,
  SECCOMP_RET_LOG = 0x7ffc0000, SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ACTION_FULL = 0xffff0000, SECCOMP_RET_DATA = 0x0000ffff;

/** /proc/sys/kernel/seccomp: the actions the kernel offers, and those it logs (every one but ALLOW, Linux's
 * default; umlts's log is its kernel log) */
export const SECCOMP_ACTIONS_AVAIL = 'kill_process kill_thread trap errno user_notif trace log allow';
export const SECCOMP_ACTIONS_LOGGED = 'kill_process kill_thread trap errno user_notif trace log';

/** SIGSYS's si_code for a filter's SECCOMP_RET_TRAP */
export { SYS_SECCOMP } from './signal.js';

/** AUDIT_ARCH_X86_64: EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE, seccomp_data.arch */
export const AUDIT_ARCH_X86_64 = 0xc000003e;

/** struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }, 64 bytes: 16 words */
export const SECCOMP_DATA_SIZE = 64;
export const SD_NR = 0, SD_ARCH = 4, SD_IP = 8, SD_ARGS = 16;

/** struct sock_fprog { unsigned short len; struct sock_filter *filter; } (x86-64: the pointer at 8) */
export const SOCK_FPROG_SIZE = 16, FPROG_LEN = 0, FPROG_FILTER = 8;
/** struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; } */
export const SOCK_FILTER_SIZE = 8;
/** BPF_MAXINSNS: the most instructions in one classic program */
export const BPF_MAXINSNS = 4096;
/** BPF_MEMWORDS: the scratch memory M[] */
export const BPF_MEMWORDS = 16;
/** kernel/seccomp.c MAX_INSNS_PER_PATH: (1 << 18) / sizeof(struct sock_filter), each filter counted with 4 more */
export const MAX_INSNS_PER_PATH = (1 << 18) / SOCK_FILTER_SIZE;

/** Classic BPF opcodes (bpf_common.h, filter.h): class, size, mode, ALU op, jump op, source, return value, misc op. */
export const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03, BPF_ALU = 0x04, BPF_JMP = 0x05,
  BPF_RET = 0x06, BPF_MISC = 0x07;
export const BPF_W = 0x00, BPF_H = 0x08, BPF_B = 0x10;
export const BPF_IMM = 0x00, BPF_ABS = 0x20, BPF_IND = 0x40, BPF_MEM = 0x60, BPF_LEN = 0x80, BPF_MSH = 0xa0;
export const BPF_ADD = 0x00, BPF_SUB = 0x10, BPF_MUL = 0x20, BPF_DIV = 0x30, BPF_OR = 0x40, BPF_AND = 0x50,
  BPF_LSH = 0x60, BPF_RSH = 0x70, BPF_NEG = 0x80, BPF_MOD = 0x90, BPF_XOR = 0xa0;
export const BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30, BPF_JSET = 0x40;
export const BPF_K = 0x00, BPF_X = 0x08, BPF_A = 0x10;
export const BPF_TAX = 0x00, BPF_TXA = 0x80;

/**
 * struct seccomp_notif { __u64 id; __u32 pid; __u32 flags; struct seccomp_data data; } (80 bytes),
 * struct seccomp_notif_resp { __u64 id; __s64 val; __s32 error; __u32 flags; } (24),
 * struct seccomp_notif_sizes { __u16 seccomp_notif; __u16 seccomp_notif_resp; __u16 seccomp_data; } (6),
 * struct seccomp_notif_addfd { __u64 id; __u32 flags; __u32 srcfd; __u32 newfd; __u32 newfd_flags; } (24).
 */
export const SECCOMP_NOTIF_SIZE = 80, NOTIF_ID = 0, NOTIF_PID = 8, NOTIF_FLAGS = 12, NOTIF_DATA = 16;
export const SECCOMP_NOTIF_RESP_SIZE = 24, RESP_ID = 0, RESP_VAL = 8, RESP_ERROR = 16, RESP_FLAGS = 20;
export const SECCOMP_NOTIF_SIZES_SIZE = 6;
export const SECCOMP_NOTIFY_ADDFD_SIZE_VER0 = 24, ADDFD_ID = 0, ADDFD_FLAGS = 8, ADDFD_SRCFD = 12, ADDFD_NEWFD = 16,
  ADDFD_NEWFD_FLAGS = 20;
/** seccomp_notif_resp.flags: run the call as it is */
export const SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1;
/** seccomp_notif_addfd.flags */
export const SECCOMP_ADDFD_FLAG_SETFD = 1, SECCOMP_ADDFD_FLAG_SEND = 2;
/** The listener's ioctls: _IOWR('!', 0, seccomp_notif), _IOWR('!', 1, seccomp_notif_resp), _IOW('!', 2, __u64)
 * (and the _IOR one old headers had), _IOW('!', 3, seccomp_notif_addfd), _IOW('!', 4, __u64). */
export const SECCOMP_IOCTL_NOTIF_RECV = 0xc0502100, SECCOMP_IOCTL_NOTIF_SEND = 0xc0182101,
  SECCOMP_IOCTL_NOTIF_ID_VALID = 0x40082102, SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR = 0x80082102,
  SECCOMP_IOCTL_NOTIF_ADDFD = 0x40182103, SECCOMP_IOCTL_NOTIF_SET_FLAGS = 0x40082104;
/** SECCOMP_IOCTL_NOTIF_SET_FLAGS's one flag: the supervisor's wake-ups run it on the waiter's CPU */
export const SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP = 1;
