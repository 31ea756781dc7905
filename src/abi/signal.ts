/**
 * Linux's signal uapi (asm/signal.h, asm-generic/siginfo.h, kernel/signal.c's
 * default actions): numbers and names, sigaction flags, si_code values,
 * the default action of each signal, and the siginfo_t layout. Written once.
 */

export const SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7, SIGFPE = 8,
  SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14, SIGTERM = 15, SIGSTKFLT = 16,
  SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24,
  SIGXFSZ = 25, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28, SIGIO = 29, SIGPWR = 30, SIGSYS = 31, NSIG = 64;
export const SIG_DFL = 0, SIG_IGN = 1;
export const SA_NOCLDSTOP = 1, SA_NOCLDWAIT = 2, SA_SIGINFO = 4, SA_ONSTACK = 0x08000000, SA_RESTART = 0x10000000,
  SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000, SA_RESTORER = 0x04000000;
export const SI_USER = 0, SI_KERNEL = 0x80, SI_QUEUE = -1, SI_TIMER = -2, SI_MESGQ = -3, SI_TKILL = -6;
/** struct sigevent's sigev_notify (timer_create, mq_notify) */
export const SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4;
/** si_code for SIGSEGV: no mapping at the address, or one that does not allow the access */
export const SEGV_MAPERR = 1, SEGV_ACCERR = 2;
/** si_code for SIGBUS: an address with no backing (a file mapping's page past the file's end) */
export const BUS_ADRERR = 2;
export const CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3, CLD_TRAPPED = 4, CLD_STOPPED = 5, CLD_CONTINUED = 6;
export const SS_ONSTACK = 1, SS_DISABLE = 2;
/** sigaltstack's SS_AUTODISARM: the stack is disarmed while a handler runs on it (and never counts as "on" it) */
export const SS_AUTODISARM = 0x80000000 | 0;
/** the realtime signals' range (the kernel's; glibc keeps 32 and 33 for itself) */
export const SIGRTMIN = 32;
/** SIGSYS's si_code from a seccomp filter (asm-generic/siginfo.h) */
export const SYS_SECCOMP = 1;

/** Restart codes a sleeping syscall ends with when a signal interrupts it: errno.ts's, where errno values are */
export { ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK } from './errno.js';

/** siginfo_t contents (the union members used here). */
export interface SigInfo {
  signo: number;
  code: number;
  errno?: number;
  pid?: number;
  uid?: number;
  status?: number;
  addr?: number;
  /** sigval (sival_int or the whole 64-bit sival_ptr) */
  value?: bigint;
  timerid?: number;
  overrun?: number;
  /** _sigsys (SIGSYS from a seccomp filter): the syscall number and AUDIT_ARCH; its si_call_addr is addr */
  syscall?: number;
  arch?: number;
  /** fault context for the frame's sigcontext */
  trapno?: number;
  err?: number;
  /** _sigpoll (SIGIO or F_SETSIG's signal, si_code a POLL_* reason): the poll events and the descriptor */
  band?: number;
  fd?: number;
}

/** SIGPOLL's si_code: why a file's owner was signalled (kill_fasync's reason) */
export const POLL_IN = 1, POLL_OUT = 2, POLL_MSG = 3, POLL_ERR = 4, POLL_PRI = 5, POLL_HUP = 6;
/** band_table: si_band for each POLL_* reason (index reason - POLL_IN) */
export const POLL_BANDS = [0x41, 0x304, 0x441, 0x8, 0x82, 0x18];

const STOP_SIGNALS = (1 << (SIGSTOP - 1)) | (1 << (SIGTSTP - 1)) | (1 << (SIGTTIN - 1)) | (1 << (SIGTTOU - 1));
const IGNORE_DFL = (1 << (SIGCHLD - 1)) | (1 << (SIGCONT - 1)) | (1 << (SIGURG - 1)) | (1 << (SIGWINCH - 1));
/** signals a guest may never block or catch */
export const UNBLOCKABLE_LO = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

/** Is sig (1-64) in the signal set held as two 32-bit halves (sigset_t's words: 1-32 in lo, 33-64 in hi)? */
export const inSigset = (lo: number, hi: number, sig: number): boolean =>
  (sig <= 32 ? lo & (1 << (sig - 1)) : hi & (1 << (sig - 33))) !== 0;

/** SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: their default action stops the process */
export const isStopSignal = (sig: number): boolean => sig < 32 && (STOP_SIGNALS & (1 << (sig - 1))) !== 0;
export const isIgnoredByDefault = (sig: number): boolean => sig < 32 && (IGNORE_DFL & (1 << (sig - 1))) !== 0;

/** Signal names and the shell's words for them (for "Segmentation fault"). */
export const SIGNAL_MESSAGES: Record<number, string> = {
  1: 'Hangup', 2: '', 3: 'Quit', 4: 'Illegal instruction', 5: 'Trace/breakpoint trap', 6: 'Aborted',
  7: 'Bus error', 8: 'Floating point exception', 9: 'Killed', 10: 'User defined signal 1',
  11: 'Segmentation fault', 12: 'User defined signal 2', 13: '', 14: 'Alarm clock', 15: 'Terminated',
  24: 'CPU time limit exceeded', 25: 'File size limit exceeded', 31: 'Bad system call',
};

export const SIGNAL_NAMES: Record<number, string> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL',
  10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM', 16: 'SIGSTKFLT', 17: 'SIGCHLD',
  18: 'SIGCONT', 19: 'SIGSTOP', 20: 'SIGTSTP', 21: 'SIGTTIN', 22: 'SIGTTOU', 23: 'SIGURG', 24: 'SIGXCPU', 25: 'SIGXFSZ',
  26: 'SIGVTALRM', 27: 'SIGPROF', 28: 'SIGWINCH', 29: 'SIGIO', 30: 'SIGPWR', 31: 'SIGSYS',
};

/**
 * struct siginfo (128 bytes) at dv[o]: si_signo, si_errno, si_code, then the
 * union member the signal and code call for (_sigfault's si_addr, _timer,
 * _sigchld, or _kill/_rt's pid, uid and value).
 */
export function encodeSiginfo(dv: DataView, o: number, info: SigInfo): void {
  dv.setInt32(o, info.signo, true);
  dv.setInt32(o + 4, info.errno ?? 0, true);
  dv.setInt32(o + 8, info.code, true);
  const f = o + 16; // the union
  const sig = info.signo;
  if (sig === SIGSEGV || sig === SIGBUS || sig === SIGILL || sig === SIGFPE || sig === SIGTRAP) {
    if (info.code > 0 && info.code < SI_KERNEL) {
      dv.setBigUint64(f, BigInt(info.addr ?? 0), true);
      return;
    }
  }
  if (sig === SIGSYS && info.code === SYS_SECCOMP) {
    dv.setBigUint64(f, BigInt(info.addr ?? 0), true);
    dv.setInt32(f + 8, info.syscall ?? 0, true);
    dv.setUint32(f + 12, info.arch ?? 0, true);
    return;
  }
  if (info.band !== undefined) {
    dv.setBigInt64(f, BigInt(info.band), true);
    dv.setInt32(f + 8, info.fd ?? 0, true);
    return;
  }
  if (info.timerid !== undefined) {
    dv.setInt32(f, info.timerid, true);
    dv.setInt32(f + 4, info.overrun ?? 0, true);
    dv.setBigInt64(f + 8, info.value ?? 0n, true);
    return;
  }
  dv.setInt32(f, info.pid ?? 0, true);
  dv.setUint32(f + 4, info.uid ?? 0, true);
  if (sig === SIGCHLD) {
    dv.setInt32(f + 8, info.status ?? 0, true);
    return;
  }
  if (info.value !== undefined) dv.setBigInt64(f + 8, info.value, true);
}

/** A sigset_t as two 32-bit words: signals 1-32 and 33-64. */
export type Sigset = [lo: number, hi: number];
/** sizeof(sigset_t): the only sigsetsize the rt_sig* calls accept */
export const SIGSET_SIZE = 8;

/** Decode a sigset_t at off (within a struct, e.g. struct sigaction's sa_mask). */
export function getSigset(dv: DataView, off: number): Sigset {
  return [dv.getUint32(off, true), dv.getUint32(off + 4, true)];
}

/** Encode a sigset_t at off. */
export function putSigset(dv: DataView, off: number, lo: number, hi: number): void {
  dv.setUint32(off, lo >>> 0, true);
  dv.setUint32(off + 4, hi >>> 0, true);
}

/** sizeof(siginfo_t) */
export const SIGINFO_SIZE = 128;
