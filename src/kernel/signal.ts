/**
 * Signals (kernel/signal.c, arch/x86/kernel/signal.c): pending sets, sending,
 * default actions, job-control stops, and delivery to guest handlers through
 * an x86-64 rt_sigframe built on the guest's stack exactly as Linux builds
 * it, FPU/SSE/AVX state included (the host's XSAVE layout, which is the
 * frame's fpstate layout).
 *
 * Ownership: a task's pending set and mask are changed only on the JS thread;
 * delivery happens only while the task is stopped, just before it resumes.
 */
import { Errno } from '../abi/errno.js';
import type { Task, ThreadGroup, SigAction } from './task.js';
import {
  R8, R9, R10, R11, R12, R13, R14, R15, RDI, RSI, RBP, RBX, RDX, RAX, RCX, RSP, RIP, EFLAGS, CS, SS, ORIG_RAX,
} from '../platform/regs.js';

import { OutOfMemory } from '../mm/physmem.js';

// Linux's signal uapi (numbers, flags, codes, default actions, siginfo_t) is
// abi/signal.ts; it is re-exported here for the kernel's and syscalls' use.
export * from '../abi/signal.js';
import {
  SIGSEGV, SIGBUS, SIG_DFL, SIG_IGN, SS_DISABLE, SS_ONSTACK, SS_AUTODISARM, SA_ONSTACK, SigInfo, isIgnoredByDefault, inSigset,
  encodeSiginfo,
} from '../abi/signal.js';

/** A set of pending signals with their siginfo (one queued instance for standard signals, all for RT).
 * Guarded by the JS thread: any sender adds, the owning task's delivery (and sigtimedwait) takes. */
export class SigPending {
  /** bitmap of pending signals 1-32 / 33-64; always matches the queues */
  lo = 0;
  hi = 0;
  /** instances queued, all signals (RLIMIT_SIGPENDING counts them) */
  count = 0;
  /** the siginfo of each queued instance, per signal (index: its number), oldest first: taking one is not a
   * walk of every other signal's (a guest can queue a hundred thousand) */
  private readonly bySig: SigInfo[][] = [];
  has(sig: number): boolean {
    return inSigset(this.lo, this.hi, sig);
  }
  add(info: SigInfo): void {
    const sig = info.signo;
    // the bitmaps hold 1..64: anything else would set another signal's bit
    // with no queued siginfo behind it (a kernel bug, not the guest's)
    if (!(sig >= 1 && sig <= 64)) throw new RangeError(`signal ${sig} queued`);
    if (sig < 32 && this.has(sig)) return; // standard signals do not queue
    if (sig <= 32) this.lo |= 1 << (sig - 1);
    else this.hi |= 1 << (sig - 33);
    (this.bySig[sig] ??= []).push(info);
    this.count++;
  }
  /** Put back an instance take() gave (its delivery could not be done yet): first of its signal again. */
  putBack(info: SigInfo): void {
    const sig = info.signo;
    if (sig <= 32) this.lo |= 1 << (sig - 1);
    else this.hi |= 1 << (sig - 33);
    (this.bySig[sig] ??= []).unshift(info);
    this.count++;
  }
  /** Take one instance of sig (the first queued). */
  take(sig: number): SigInfo | null {
    const l = this.bySig[sig];
    if (!l || l.length === 0) return null;
    const info = l.shift()!;
    this.count--;
    if (l.length === 0) this.clear(sig);
    return info;
  }
  drop(sig: number): void {
    const l = this.bySig[sig];
    if (l) {
      this.count -= l.length;
      l.length = 0;
    }
    this.clear(sig);
  }
  /** The first queued instance of sig that pred accepts (left queued), or undefined. */
  find(sig: number, pred: (info: SigInfo) => boolean): SigInfo | undefined {
    return this.bySig[sig]?.find(pred);
  }
  private clear(sig: number): void {
    if (sig <= 32) this.lo &= ~(1 << (sig - 1));
    else this.hi &= ~(1 << (sig - 33));
  }
  /** Lowest pending signal not in the mask, or 0 (synchronous faults come first in Linux; lowest number is close). */
  next(maskLo: number, maskHi: number): number {
    let m = this.lo & ~(maskLo | 0) & 0xffffffff;
    if (m) return 32 - Math.clz32(m & -m);
    m = this.hi & ~maskHi;
    if (m) return 32 + 32 - Math.clz32(m & -m);
    return 0;
  }
}

export function defaultAction(): SigAction {
  return { handler: SIG_DFL, flags: 0, restorer: 0, maskLo: 0, maskHi: 0 };
}
export function actionOf(tg: ThreadGroup, sig: number): SigAction {
  return tg.sigactions[sig] ?? defaultAction();
}
export function isBlocked(t: Task, sig: number): boolean {
  return inSigset(t.sigmaskLo, t.sigmaskHi, sig);
}
/** Would this signal be discarded on arrival (sig_ignored())? */
export function isIgnored(t: Task, sig: number): boolean {
  if (isBlocked(t, sig)) return false;
  const a = actionOf(t.tg, sig);
  return a.handler === SIG_IGN || (a.handler === SIG_DFL && isIgnoredByDefault(sig));
}

// ---- the x86-64 signal frame --------------------------------------------------------------

import {
  FIX_EFLAGS, FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2, FRAME_SIZE, FX_MXCSR, FX_MXCSR_MASK, INFO_OFF, MC_OFF, SIGMASK_OFF, SW_BYTES, SW_BYTES_END, SW_EXTENDED_SIZE, SW_XFEATURES, SW_XSTATE_SIZE, UC_FP_XSTATE, UC_OFF, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS, USER_CS, USER_SS, XSAVE_XSTATE_BV,
} from '../abi/sigcontext.js';
/** sigcontext order of the general registers (struct sigcontext_64); immutable (a table; never written) */
const SC_REGS = [R8, R9, R10, R11, R12, R13, R14, R15, RDI, RSI, RBP, RBX, RDX, RAX, RCX, RSP, RIP, EFLAGS];


/** Is sp on the task's alternate signal stack (on_sig_stack)? */
export function onAltStack(t: Task, sp: number): boolean {
  if (t.altStackFlags & SS_AUTODISARM) return false;
  return t.altStackSize > 0 && sp > t.altStackSp && sp - t.altStackSp <= t.altStackSize;
}
/** sas_ss_flags: SS_DISABLE, SS_ONSTACK or 0 (without the SS_AUTODISARM bit, which the caller adds where Linux does) */
export function altStackFlags(t: Task, sp: number): number {
  if (t.altStackSize === 0) return SS_DISABLE;
  return onAltStack(t, sp) ? SS_ONSTACK : 0;
}

/** The FPU state init values of a fresh thread (FCW 0x37f, MXCSR 0x1f80), in XSAVE layout. */
function initFpState(len: number): Uint8Array {
  const x = new Uint8Array(Math.max(len, 576));
  const dv = new DataView(x.buffer);
  dv.setUint16(0, 0x37f, true); // fcw
  dv.setUint32(24, 0x1f80, true); // mxcsr
  dv.setUint32(28, 0xffff, true); // mxcsr_mask (ignored on restore)
  dv.setBigUint64(512, 1n | 2n, true); // xstate_bv: x87 and SSE present (init values)
  return x;
}

/**
 * setup_rt_frame: push a frame for `sig` on the guest's stack and point the
 * registers at the handler. `fpstate` is the interrupted context's XSAVE image
 * (sw_reserved filled in by the host). Returns false if the frame cannot be
 * written (the caller forces SIGSEGV). Throws OutOfMemory if a stack page
 * needs a frame there is none of (the registers are untouched then).
 */
export function setupFrame(t: Task, info: SigInfo, act: SigAction, fpstate: Uint8Array): boolean {
  const r = t.regs;
  const mm = t.mm;
  let sp = r.get(RSP) - 128; // the red zone
  const ss = altStackFlags(t, r.get(RSP));
  if (act.flags & SA_ONSTACK && ss === 0) sp = t.altStackSp + t.altStackSize;
  const xsize = fpstate.length;
  sp = Math.floor((sp - (xsize + 4)) / 64) * 64;
  const fpAddr = sp;
  const frame = Math.floor((sp - FRAME_SIZE) / 16) * 16 - 8;
  const b = new Uint8Array(FRAME_SIZE);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt(act.restorer), true);
  dv.setBigUint64(UC_OFF, BigInt(UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS), true);
  dv.setBigUint64(UC_OFF + 16, BigInt(t.altStackSp), true);
  dv.setInt32(UC_OFF + 24, ss | (t.altStackFlags & SS_AUTODISARM), true);
  dv.setBigUint64(UC_OFF + 32, BigInt(t.altStackSize), true);
  SC_REGS.forEach((reg, i) => {
    dv.setUint32(MC_OFF + i * 8, r.w[2 * reg]!, true);
    dv.setUint32(MC_OFF + i * 8 + 4, r.w[2 * reg + 1]!, true);
  });
  dv.setUint16(MC_OFF + 144, USER_CS, true);
  dv.setUint16(MC_OFF + 150, USER_SS, true);
  dv.setBigUint64(MC_OFF + 152, BigInt(info.err ?? 0), true);
  dv.setBigUint64(MC_OFF + 160, BigInt(info.trapno ?? 0), true);
  dv.setBigUint64(MC_OFF + 168, BigInt(t.sigmaskLo >>> 0), true); // oldmask
  dv.setBigUint64(MC_OFF + 176, BigInt(info.signo === SIGSEGV || info.signo === SIGBUS ? info.addr ?? 0 : 0), true); // cr2
  dv.setBigUint64(MC_OFF + 184, BigInt(fpAddr), true);
  dv.setUint32(SIGMASK_OFF, t.sigmaskLo >>> 0, true);
  dv.setUint32(SIGMASK_OFF + 4, t.sigmaskHi >>> 0, true);
  encodeSiginfo(dv, INFO_OFF, info);
  const magic2 = new Uint8Array(4);
  new DataView(magic2.buffer).setUint32(0, FP_XSTATE_MAGIC2, true);
  // the ptrace image's XCR0 becomes the frame's _fpx_sw_bytes (what
  // sigreturn and the guest's own code check)
  const fx = new DataView(fpstate.buffer, fpstate.byteOffset, fpstate.byteLength);
  if (xsize >= 576) {
    const xcr0Lo = fx.getUint32(SW_BYTES, true), xcr0Hi = fx.getUint32(SW_BYTES + 4, true);
    fpstate.fill(0, SW_BYTES, SW_BYTES_END);
    fx.setUint32(SW_BYTES, FP_XSTATE_MAGIC1, true);
    fx.setUint32(SW_EXTENDED_SIZE, xsize + 4, true);
    fx.setUint32(SW_XFEATURES, xcr0Lo, true);
    fx.setUint32(SW_XFEATURES + 4, xcr0Hi, true);
    fx.setUint32(SW_XSTATE_SIZE, xsize, true);
  }
  try {
    mm.write(fpAddr, fpstate);
    mm.write(fpAddr + xsize, magic2);
    mm.write(frame, b);
  } catch (e) {
    // no memory is not a bad stack: Linux's fault in copy_to_user waits for the OOM killer
    if (e instanceof OutOfMemory) throw e;
    return false;
  }
  r.set(RDI, info.signo);
  r.set(RSI, frame + INFO_OFF);
  r.set(RDX, frame + UC_OFF);
  r.set(RAX, 0);
  r.set(RSP, frame);
  r.set(RIP, act.handler);
  r.set(EFLAGS, r.get(EFLAGS) & ~(0x100 | 0x400 | 0x10000 | 0x40000)); // TF, DF, RF, AC
  r.set(CS, USER_CS);
  r.set(SS, USER_SS);
  // SS_AUTODISARM: the stack it moved to is disarmed until sigreturn puts the frame's uc_stack back (sas_ss_reset)
  if (act.flags & SA_ONSTACK && ss === 0 && t.altStackFlags & SS_AUTODISARM) {
    t.altStackSp = t.altStackSize = 0;
    t.altStackFlags = SS_DISABLE;
  }
  return true;
}

/**
 * rt_sigreturn: restore the context saved by setupFrame from the frame at
 * rsp - 8. Returns the XSAVE image to load (null: FPU back to init), or -errno.
 * Throws OutOfMemory (a page of the frame needed a frame of memory) before
 * anything of the task changed.
 */
export function restoreFrame(t: Task): { fp: Uint8Array | null } | number {
  const r = t.regs;
  const frame = r.get(RSP) - 8;
  let b: Uint8Array;
  try {
    b = t.mm.read(frame, FRAME_SIZE);
  } catch (e) {
    if (e instanceof OutOfMemory) throw e;
    return -Errno.EFAULT;
  }
  const dv = new DataView(b.buffer);
  // the XSAVE image is read before anything of the task's changes: running out of memory there (the caller
  // waits for frames and runs the call again) leaves the task as it was
  const fp = readFpFrame(t, Number(dv.getBigUint64(MC_OFF + 184, true)));
  const oldFlags = r.get(EFLAGS);
  SC_REGS.forEach((reg, i) => {
    r.w[2 * reg] = dv.getUint32(MC_OFF + i * 8, true);
    r.w[2 * reg + 1] = dv.getUint32(MC_OFF + i * 8 + 4, true);
  });
  r.set(EFLAGS, (oldFlags & ~FIX_EFLAGS) | (r.get(EFLAGS) & FIX_EFLAGS) | 0x2);
  r.set(CS, USER_CS);
  r.set(SS, USER_SS);
  r.set(ORIG_RAX, -1); // no syscall to restart
  t.kernel.setBlocked(t, dv.getUint32(SIGMASK_OFF, true), dv.getUint32(SIGMASK_OFF + 4, true));
  // uc_stack: as sigaltstack(2) would (errors ignored, like restore_altstack)
  const ssSp = Number(dv.getBigUint64(UC_OFF + 16, true)), ssFlags = dv.getInt32(UC_OFF + 24, true), ssSize = Number(dv.getBigUint64(UC_OFF + 32, true));
  if (!onAltStack(t, r.get(RSP))) {
    if ((ssFlags & ~SS_AUTODISARM) === SS_DISABLE) {
      t.altStackFlags = ssFlags;
      t.altStackSp = t.altStackSize = 0;
    } else if (ssSize >= 2048) {
      t.altStackSp = ssSp;
      t.altStackSize = ssSize;
      t.altStackFlags = ssFlags & SS_AUTODISARM;
    }
  }
  // a bad image fails after the registers are restored, as Linux's restore_sigcontext does
  return typeof fp === 'number' ? fp : { fp };
}

/** A signal frame's XSAVE image at fpAddr in the ptrace layout (null: none), or -EFAULT; OutOfMemory passes. */
function readFpFrame(t: Task, fpAddr: number): Uint8Array | null | number {
  if (fpAddr === 0) return null;
  try {
    const head = t.mm.read(fpAddr, 512);
    const hv = new DataView(head.buffer);
    const magic1 = hv.getUint32(SW_BYTES, true), xsize = hv.getUint32(SW_XSTATE_SIZE, true);
    if (magic1 === FP_XSTATE_MAGIC1 && xsize >= 576 && xsize <= 16384 && t.mm.readU32(fpAddr + xsize) === FP_XSTATE_MAGIC2) {
      const fp = t.mm.read(fpAddr, xsize);
      // back to the ptrace layout: XCR0 where the software bytes were; an
      // xstate_bv naming components the CPU does not have fails, as
      // Linux's XRSTOR of the frame does (sigreturn gives SIGSEGV)
      const cur = new DataView(t.thread.getXstate().buffer, t.thread.getXstate().byteOffset);
      const xcr0Lo = cur.getUint32(SW_BYTES, true), xcr0Hi = cur.getUint32(SW_BYTES + 4, true);
      const fv = new DataView(fp.buffer, fp.byteOffset, fp.byteLength);
      if ((fv.getUint32(XSAVE_XSTATE_BV, true) & ~xcr0Lo) !== 0 || (fv.getUint32(XSAVE_XSTATE_BV + 4, true) & ~xcr0Hi) !== 0) return -Errno.EFAULT;
      // XRSTOR loads MXCSR whatever xstate_bv says, and faults on reserved bits
      const mask = cur.getUint32(FX_MXCSR_MASK, true) || 0xffbf;
      if (fv.getUint32(FX_MXCSR, true) & ~mask) return -Errno.EFAULT;
      fp.fill(0, SW_BYTES, SW_BYTES_END);
      fv.setUint32(SW_BYTES, xcr0Lo, true);
      fv.setUint32(SW_BYTES + 4, xcr0Hi, true);
      return fp;
    }
    // legacy fxsave-only frame: the SSE/x87 part, no extended state
    const x = new Uint8Array(576);
    x.set(head);
    new DataView(x.buffer).setBigUint64(512, 3n, true);
    return x;
  } catch (e) {
    if (e instanceof OutOfMemory) throw e;
    return -Errno.EFAULT;
  }
}

export { initFpState };
