/**
 * Signal syscalls. Dispositions and masks are recorded with Linux's checks;
 * delivery to guest handlers comes with the signals work (issue 3): a signal
 * a task sends itself takes its default action, or is dropped if ignored.
 */
import { Errno } from '../abi/errno.js';
import { SIGKILL, SIGSTOP, NSIG, SIGRTMIN, SigInfo, SS_ONSTACK, SS_DISABLE, SS_AUTODISARM } from '../abi/signal.js';
import { RLIMIT_SIGPENDING } from '../abi/resource.js';
import { getLimit } from './process.js';
import type { Task } from '../kernel/task.js';
import { Regs, RSP } from '../platform/regs.js';
import { A0, A1, A2, A3, BLOCKED, REGS_SET } from './types.js';
import type { ThreadGroup } from '../kernel/task.js';
import { restoreFrame, initFpState, SigPending, SI_USER, SI_TKILL, altStackFlags, onAltStack } from '../kernel/signal.js';
import { monotonicNs, Timer } from '../kernel/events.js';
import { SignalFdFile } from '../kernel/signalfd.js';
import { OutOfMemory } from '../mm/physmem.js';
import { O_RDWR } from '../fs/types.js';
import { POLLIN } from '../fs/waitqueue.js';
import {
  readStruct, writeStruct, readSigset, writeSigset, getSigset, putSigset, readTimespec, writeSiginfo, SIGSET_SIZE, SIGINFO_SIZE, UserPtr,
} from './uaccess.js';
import { capable } from '../kernel/creds.js';
import { CAP_KILL } from '../abi/capability.js';

const SIG_DFL = 0, SIG_IGN = 1;
const SA_RESTORER = 0x04000000;
/** sizeof(struct sigaction) as the kernel takes it (x86-64) */
const SIGACTION_SIZE = 32;
/** the sa_flags bits rt_sigaction keeps (UAPI_SA_FLAGS: NOCLDSTOP, NOCLDWAIT, SIGINFO, EXPOSE_TAGBITS, ONSTACK,
 * RESTART, NODEFER, RESETHAND and x86's RESTORER); others read back as 0, so a program can tell what is offered */
const SA_KNOWN = 0x00000001 | 0x00000002 | 0x00000004 | 0x08000000 | 0x10000000 | 0x40000000 | 0x80000000 | SA_RESTORER | 0x00000800;

/** rt_sigaction(2) */
export function sys_rt_sigaction(t: Task, r: Regs): number {
  const sig = r.getI32(A0), act = r.get(A1), oact = r.get(A2), size = r.get(A3);
  if (size !== SIGSET_SIZE) return -Errno.EINVAL;
  if (sig < 1 || sig > NSIG) return -Errno.EINVAL;
  if (act && (sig === SIGKILL || sig === SIGSTOP)) return -Errno.EINVAL;
  const cur = t.tg.sigactions[sig] ?? { handler: SIG_DFL, flags: 0, restorer: 0, maskLo: 0, maskHi: 0 };
  let next = cur;
  // struct sigaction (the kernel's): sa_handler, sa_flags, sa_restorer, sa_mask
  if (act) {
    const dv = readStruct(t, act, SIGACTION_SIZE);
    const [maskLo, maskHi] = getSigset(dv, 24);
    next = {
      handler: Number(dv.getBigUint64(0, true)),
      flags: (Number(dv.getBigUint64(8, true) & 0xffffffffn) & SA_KNOWN) >>> 0,
      restorer: Number(dv.getBigUint64(16, true)),
      maskLo: maskLo & ~((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))),
      maskHi,
    };
  }
  if (oact) {
    writeStruct(t, oact, SIGACTION_SIZE, (dv) => {
      dv.setBigUint64(0, BigInt(cur.handler), true);
      dv.setBigUint64(8, BigInt(cur.flags >>> 0), true);
      dv.setBigUint64(16, BigInt(cur.restorer), true);
      putSigset(dv, 24, cur.maskLo, cur.maskHi);
    });
  }
  t.tg.sigactions[sig] = next;
  // a signal now ignored is discarded from every pending set (do_sigaction)
  const ignoredNow = next.handler === SIG_IGN || (next.handler === SIG_DFL && (sig === 17 || sig === 18 || sig === 23 || sig === 28));
  if (act && ignoredNow) {
    t.tg.sharedPending.drop(sig);
    for (const x of t.tg.tasks) x.pending.drop(sig);
  }
  return 0;
}

const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
/** rt_sigprocmask(2) */
export function sys_rt_sigprocmask(t: Task, r: Regs): number {
  const how = r.getI32(A0), set = r.get(A1), oset = r.get(A2), size = r.get(A3);
  if (size !== SIGSET_SIZE) return -Errno.EINVAL;
  let lo = 0, hi = 0;
  if (set) {
    [lo, hi] = readSigset(t, set);
    if (how !== SIG_BLOCK && how !== SIG_UNBLOCK && how !== SIG_SETMASK) return -Errno.EINVAL;
  }
  if (oset) writeSigset(t, oset, t.sigmaskLo, t.sigmaskHi);
  if (set) {
    if (how === SIG_BLOCK) t.kernel.setBlocked(t, t.sigmaskLo | lo, t.sigmaskHi | hi);
    else if (how === SIG_UNBLOCK) t.kernel.setBlocked(t, t.sigmaskLo & ~lo, t.sigmaskHi & ~hi);
    else t.kernel.setBlocked(t, lo, hi);
  }
  return 0;
}

const MINSIGSTKSZ = 2048;
/** sizeof(stack_t) */
const STACK_T_SIZE = 24;
/** sigaltstack(2): recorded (used once guest handlers run). */
export function sys_sigaltstack(t: Task, r: Regs): number {
  const ss = r.get(A0), old = r.get(A1), sp = t.regs.get(RSP);
  // stack_t: ss_sp, ss_flags, ss_size; do_sigaltstack: the old one as it was, the new one read first
  const was = { sp: t.altStackSp, size: t.altStackSize, flags: altStackFlags(t, sp) | (t.altStackFlags & SS_AUTODISARM) };
  let err = 0;
  if (ss) {
    const dv = readStruct(t, ss, STACK_T_SIZE);
    const nsp = Number(dv.getBigUint64(0, true)), flags = dv.getInt32(8, true), size = Number(dv.getBigUint64(16, true));
    // not while on it; a mode of SS_DISABLE, SS_ONSTACK (taken as 0) or 0, with SS_AUTODISARM or not
    if (onAltStack(t, sp)) return -Errno.EPERM;
    const mode = flags & ~SS_AUTODISARM;
    if (mode !== SS_DISABLE && mode !== SS_ONSTACK && mode !== 0) return -Errno.EINVAL;
    if (mode === SS_DISABLE) {
      t.altStackSp = 0;
      t.altStackSize = 0;
      t.altStackFlags = flags;
    } else if (size < MINSIGSTKSZ) {
      err = -Errno.ENOMEM;
    } else {
      t.altStackSp = nsp;
      t.altStackSize = size;
      t.altStackFlags = flags & SS_AUTODISARM;
    }
  }
  // (written only when the call succeeded: a bad pointer is EFAULT after the new stack is in)
  if (old && err === 0) {
    writeStruct(t, old, STACK_T_SIZE, (dv) => {
      dv.setBigUint64(0, BigInt(was.sp), true);
      dv.setInt32(8, was.flags, true);
      dv.setBigUint64(16, BigInt(was.size), true);
    });
  }
  return err;
}

/** May t signal target? (kill(2): same real or effective uid, or CAP_KILL; SIGCONT within a session.) */
export function mayKill(t: Task, target: ThreadGroup, sig: number): boolean {
  const c = t.creds, tc = target.tasks[0]?.creds;
  if (!tc || capable(c, CAP_KILL)) return true;
  if (sig === 18 && target.sid === t.tg.sid) return true;
  return c.euid === tc.uid || c.euid === tc.suid || c.uid === tc.uid || c.uid === tc.suid;
}

/** kill(2) */
export function sys_kill(t: Task, r: Regs): number {
  const pid = r.getI32(A0), sig = r.getI32(A1);
  if (sig < 0 || sig > NSIG) return -Errno.EINVAL;
  const k = t.kernel;
  const info = { code: SI_USER, pid: t.tg.tgid, uid: t.creds.uid };
  const deliver = (tg: ThreadGroup): boolean => {
    if (!mayKill(t, tg, sig)) return false;
    if (sig) k.signalProcess(tg, sig, info);
    return true;
  };
  let found = 0, sent = 0;
  const groupSend = (pred: (tg: ThreadGroup) => boolean): void => {
    for (const tg of [...k.tgs.values()]) {
      if (tg.zombie || !pred(tg)) continue;
      found++;
      if (deliver(tg)) sent++;
    }
  };
  if (pid > 0) {
    const tg = k.tgs.get(pid);
    if (!tg) return -Errno.ESRCH;
    if (tg.zombie) return 0; // a zombie exists, and ignores signals
    return deliver(tg) ? afterSelf(t) : -Errno.EPERM;
  }
  if (pid === -1) groupSend((tg) => tg.tgid !== 1 && tg !== t.tg);
  else {
    const pgid = pid === 0 ? t.tg.pgid : -pid;
    groupSend((tg) => tg.pgid === pgid);
  }
  if (found === 0) return -Errno.ESRCH;
  return sent === 0 ? -Errno.EPERM : afterSelf(t);
}

/** If the caller just killed itself, it must not resume. */
export function afterSelf(t: Task): number {
  return t.state === 'zombie' ? BLOCKED : 0;
}

/** do_tkill: the ids (EINVAL), the thread (ESRCH), then the signal (EINVAL) and permission (check_kill_permission). */
function threadKill(t: Task, tgid: number, tid: number, sig: number): number {
  if (tid <= 0) return -Errno.EINVAL;
  const target = t.kernel.tasks.get(tid);
  if (!target || (tgid > 0 && target.tg.tgid !== tgid)) return -Errno.ESRCH;
  if (sig < 0 || sig > NSIG) return -Errno.EINVAL;
  if (!mayKill(t, target.tg, sig)) return -Errno.EPERM;
  const info: SigInfo = { signo: sig, code: SI_TKILL, pid: t.tg.tgid, uid: t.creds.uid };
  if (sig && sigpendingFull(t, target.tg, sig, info)) return -Errno.EAGAIN;
  if (sig) t.kernel.signalTask(target, sig, info);
  return afterSelf(t);
}
/** tgkill(2) */
export function sys_tgkill(t: Task, r: Regs): number {
  const tgid = r.getI32(A0);
  if (tgid <= 0) return -Errno.EINVAL;
  return threadKill(t, tgid, r.getI32(A1), r.getI32(A2));
}
/** tkill(2) */
export function sys_tkill(t: Task, r: Regs): number {
  return threadKill(t, 0, r.getI32(A0), r.getI32(A1));
}

/**
 * The siginfo a caller passes to rt_sigqueueinfo, rt_tgsigqueueinfo or
 * pidfd_send_signal (copy_siginfo_from_user), delivered as given: its
 * si_errno, si_code and the _rt member's pid, uid and 64-bit value.
 * si_signo is the caller's to check (pidfd_send_signal) or replace.
 */
export function readUserInfo(t: Task, addr: UserPtr): SigInfo {
  const dv = readStruct(t, addr, SIGINFO_SIZE);
  return {
    signo: dv.getInt32(0, true), errno: dv.getInt32(4, true), code: dv.getInt32(8, true),
    pid: dv.getInt32(16, true), uid: dv.getUint32(20, true), value: dv.getBigInt64(24, true),
  };
}
/** A siginfo only the kernel makes (si_code >= 0) or tgkill (SI_TKILL): a caller may queue one to itself only. */
export function forgesKernelInfo(info: SigInfo): boolean {
  return info.code >= 0 || info.code === SI_TKILL;
}
/**
 * __sigqueue_alloc's RLIMIT_SIGPENDING: a realtime signal queued with a
 * siginfo of the caller's (not kill's SI_USER) fails with EAGAIN once the
 * signals pending in the kernel reach the target's limit (Linux counts its
 * user's; umlts's guests count together).
 */
export function sigpendingFull(t: Task, target: ThreadGroup, sig: number, info: SigInfo): boolean {
  if (sig < SIGRTMIN || info.code === SI_USER) return false;
  const leader = target.tasks[0];
  const limit = leader ? getLimit(leader, RLIMIT_SIGPENDING)[0] : Infinity;
  if (limit === Infinity) return false;
  let queued = 0;
  for (const tg of t.kernel.tgs.values()) {
    queued += tg.sharedPending.count;
    for (const u of tg.tasks) queued += u.pending.count;
  }
  return queued >= limit;
}
/** rt_sigqueueinfo(2): the siginfo first (EFAULT), the self rule (EPERM), then as kill_proc_info (ESRCH, EINVAL, EPERM). */
export function sys_rt_sigqueueinfo(t: Task, r: Regs): number {
  const pid = r.getI32(A0), sig = r.getI32(A1);
  const info = readUserInfo(t, r.get(A2));
  if (forgesKernelInfo(info) && pid !== t.tg.tgid) return -Errno.EPERM;
  const tg = t.kernel.tgs.get(pid);
  if (!tg || pid <= 0) return -Errno.ESRCH;
  if (sig < 0 || sig > NSIG) return -Errno.EINVAL;
  if (!mayKill(t, tg, sig)) return -Errno.EPERM;
  if (tg.zombie || !sig) return 0;
  if (sigpendingFull(t, tg, sig, info)) return -Errno.EAGAIN;
  t.kernel.signalProcess(tg, sig, { ...info, signo: sig });
  return afterSelf(t);
}
/** rt_tgsigqueueinfo(2): ids first (EINVAL), the siginfo, the self rule, then as do_send_specific. */
export function sys_rt_tgsigqueueinfo(t: Task, r: Regs): number {
  const tgid = r.getI32(A0), tid = r.getI32(A1), sig = r.getI32(A2);
  if (tgid <= 0 || tid <= 0) return -Errno.EINVAL;
  const info = readUserInfo(t, r.get(A3));
  if (forgesKernelInfo(info) && tid !== t.tid) return -Errno.EPERM;
  const target = t.kernel.tasks.get(tid);
  if (!target || target.tg.tgid !== tgid) return -Errno.ESRCH;
  if (sig < 0 || sig > NSIG) return -Errno.EINVAL;
  if (!mayKill(t, target.tg, sig)) return -Errno.EPERM;
  if (!sig) return 0;
  if (sigpendingFull(t, target.tg, sig, info)) return -Errno.EAGAIN;
  t.kernel.signalTask(target, sig, { ...info, signo: sig });
  return afterSelf(t);
}

/** rt_sigreturn(2): back from a handler, to the context saved in its frame. */
export function sys_rt_sigreturn(t: Task): number {
  let res: ReturnType<typeof restoreFrame>;
  try {
    res = restoreFrame(t);
  } catch (e) {
    // reading the frame needed a page of memory and none is free: the OOM killer's turn; then, unless it took
    // this process, the call runs again once memory is back (nothing of the task changed: restoreFrame)
    if (!(e instanceof OutOfMemory)) throw e;
    if (!t.kernel.outOfMemory(t)) t.kernel.waitForFrames(t, 'rerun');
    return BLOCKED;
  }
  if (typeof res === 'number') {
    t.kernel.forceSignal(t, 11, { signo: 11, code: 0x80 });
    return REGS_SET;
  }
  // a corrupt XSAVE image in the frame (reserved MXCSR bits): the host
  // refuses it, and Linux's sigreturn gives SIGSEGV (restore_sigcontext)
  if (!t.thread.setXstate(res.fp ?? initFpState(576))) {
    t.thread.setXstate(initFpState(576));
    t.kernel.forceSignal(t, 11, { signo: 11, code: 0x80 });
  }
  return REGS_SET;
}

/** rt_sigpending(2) */
export function sys_rt_sigpending(t: Task, r: Regs): number {
  const set = r.get(A0), size = r.get(A1);
  if (size > SIGSET_SIZE) return -Errno.EINVAL;
  const lo = (t.pending.lo | t.tg.sharedPending.lo) & t.sigmaskLo, hi = (t.pending.hi | t.tg.sharedPending.hi) & t.sigmaskHi;
  writeSigset(t, set, lo, hi, size);
  return 0;
}

/** rt_sigsuspend(2): wait for a signal under a temporary mask; always ends with EINTR once a handler runs. */
export function sys_rt_sigsuspend(t: Task, r: Regs): number {
  const set = r.get(A0), size = r.get(A1);
  if (size !== SIGSET_SIZE) return -Errno.EINVAL;
  if (!t.sc.state) {
    const [lo, hi] = readSigset(t, set);
    t.kernel.setTempSigmask(t, lo, hi);
    t.sc.state = true;
  }
  // asleep until a signal interrupts (ERESTARTNOHAND: a handler gives EINTR; no
  // handler, e.g. a continued stop, restarts it)
  if (t.kernel.hasDeliverable(t)) return -Errno.EINTR;
  return t.sleep();
}

/** pause(2) */
export function sys_pause(t: Task): number {
  if (t.kernel.hasDeliverable(t)) return -Errno.EINTR;
  return t.sleep();
}

/** rt_sigtimedwait(2): take a pending signal of the set, waiting for one if needed. */
export function sys_rt_sigtimedwait(t: Task, r: Regs): number {
  const setp = r.get(A0), infop = r.get(A1), tsp = r.get(A2), size = r.get(A3);
  if (size !== SIGSET_SIZE) return -Errno.EINVAL;
  const [setLo, hi] = readSigset(t, setp);
  const lo = setLo & ~((1 << 8) | (1 << 18));
  // signals in the set are taken even while blocked: look at the pending sets directly
  const pick = (): { sig: number; src: SigPending } | null => {
    for (const src of [t.pending, t.tg.sharedPending]) {
      const sig = src.next(~lo, ~hi);
      if (sig) return { sig, src };
    }
    return null;
  };
  const st = t.sc.state as { timer: Timer | null; timedOut: boolean } | null;
  // the timeout is read and checked before any signal is taken (rt_sigtimedwait: EFAULT, EINVAL first)
  const timeoutNs = !st && tsp ? readTimespec(t, tsp) : null;
  const got = pick();
  if (got) {
    if (st?.timer) t.kernel.events.cancelTimer(st.timer);
    t.sc.state = null;
    const info = got.src.take(got.sig)!;
    if (infop) writeSiginfo(t, infop, info);
    return got.sig;
  }
  if (st?.timedOut) {
    t.sc.state = null;
    return -Errno.EAGAIN;
  }
  if (!st) {
    let timer: Timer | null = null;
    if (timeoutNs !== null) {
      const ns = timeoutNs;
      if (ns === 0n) return -Errno.EAGAIN;
      const state = { timer: null as Timer | null, timedOut: false };
      timer = t.kernel.events.addTimer(monotonicNs() + ns, () => {
        state.timedOut = true;
        t.kernel.wake(t);
      });
      state.timer = timer;
      t.sc.state = state;
      t.sc.cleanup = () => t.kernel.events.cancelTimer(timer!);
    } else {
      t.sc.state = { timer: null, timedOut: false };
    }
    // wake on arrival of a signal of the set even though it is blocked
    t.sc.sigwaitLo = lo;
    t.sc.sigwaitHi = hi;
  }
  return t.sleep();
}

// ---- signalfd --------------------------------------------------------------------------

const SFD_NONBLOCK = 0o4000, SFD_CLOEXEC = 0o2000000;

/** signalfd4(2): a new signalfd for the mask, or a new mask for an existing one. */
export function sys_signalfd4(t: Task, r: Regs): number {
  return doSignalfd(t, r.getI32(A0), r.get(A1), r.get(A2), r.getI32(A3));
}

/** signalfd(2): signalfd4 without flags */
export function sys_signalfd(t: Task, r: Regs): number {
  return doSignalfd(t, r.getI32(A0), r.get(A1), r.get(A2), 0);
}

function doSignalfd(t: Task, fd: number, maskp: UserPtr, size: number, flags: number): number {
  // sys_signalfd4's order: the mask's size, the mask (EFAULT), then do_signalfd4's flags
  if (size !== SIGSET_SIZE) return -Errno.EINVAL;
  const [lo0, hi] = readSigset(t, maskp);
  if (flags & ~(SFD_NONBLOCK | SFD_CLOEXEC)) return -Errno.EINVAL;
  const lo = lo0 & ~((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))); // never read through a signalfd
  if (fd !== -1) {
    const f = t.files.get(fd);
    if (!f) return -Errno.EBADF;
    if (!(f instanceof SignalFdFile)) return -Errno.EINVAL;
    f.maskLo = lo;
    f.maskHi = hi;
    t.kernel.signalfdWait.wake(POLLIN); // the new mask may make it ready
    return fd;
  }
  const f = new SignalFdFile(t.kernel, lo, hi, O_RDWR | (flags & SFD_NONBLOCK));
  return t.files.install(f, (flags & SFD_CLOEXEC) !== 0);
}

/**
 * restart_syscall(2): the rest of a sleep a signal ended with
 * ERESTART_RESTARTBLOCK and no handler ran for (a stop, an ignored signal):
 * its restart block, kept until the call ends; nothing to restart, EINTR.
 */
export function sys_restart_syscall(t: Task, _r: Regs): number {
  const fn = t.restartBlock;
  if (!fn) return -Errno.EINTR;
  const ret = fn(t);
  if (ret !== BLOCKED) t.restartBlock = null;
  return ret;
}
