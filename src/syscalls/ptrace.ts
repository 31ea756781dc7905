/**
 * ptrace(2) (kernel/ptrace.c, arch/x86/kernel/ptrace.c): attach, resume
 * and detach, and the tracee's registers, memory and signal while it is
 * stopped for its tracer. The stops themselves are kernel/ptrace.ts's.
 *
 * PTRACE_SEIZE, INTERRUPT and LISTEN are the seized tracer's (kernel/ptrace.ts
 * has their stops).
 *
 * What a tracer may touch: its tracee's Task.regs (what the tracee
 * resumes with: the segment registers and fs/gs bases stay the kernel's),
 * its FXSAVE image, its memory (POKE writes through read-only private
 * mappings, FOLL_FORCE) and its last siginfo.
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import * as P from '../abi/ptrace.js';
import { NSIG, SIGSTOP, SIGKILL, SI_USER, encodeSiginfo, type SigInfo } from '../abi/signal.js';
import type { Task } from '../kernel/task.js';
import type { Kernel } from '../kernel/kernel.js';
import { ptraceMayAccess, PTRACE_MODE_ATTACH_REALCREDS } from '../kernel/creds.js';
import {
  ptraceLink, ptraceResume, ptraceDetach, ptraceInterrupt, ptraceListen, STOP_SYSCALL_ENTRY, STOP_SYSCALL_EXIT,
} from '../kernel/ptrace.js';
import { Regs, NREGS, RAX, ORIG_RAX, RIP, RSP, EFLAGS, CS, SS, DS, ES, FS, GS, FS_BASE, GS_BASE, ARG_REGS } from '../platform/regs.js';
import { A0, A1, A2, A3 } from './types.js';
import { readStruct, writeStruct, copyIn, copyInto, copyOut, readU64, writeU64, SIGINFO_SIZE } from './uaccess.js';

/** registers a tracer cannot change (the kernel's record, or the segments of 64-bit user mode) */
const FIXED = new Set([CS, SS, DS, ES, FS, GS, FS_BASE, GS_BASE]);

/** sys_ptrace */
export function sys_ptrace(t: Task, r: Regs): number {
  const req = r.getI32(A0) >>> 0, pid = r.getI32(A1), addr = r.get(A2), data = r.get(A3);
  const k = t.kernel;
  if (req === P.PTRACE_TRACEME) return traceme(t);
  const target = k.tasks.get(pid);
  if (!target || target.state === 'zombie' || target.state === 'dead') return -Errno.ESRCH;
  if (req === P.PTRACE_ATTACH || req === P.PTRACE_SEIZE) return attach(k, t, target, req === P.PTRACE_SEIZE, addr, data);
  const p = target.ptrace;
  // ptrace_check_attach: traced by the caller's process; stopped for it (and not past a LISTEN), but for KILL
  // and INTERRUPT
  if (!p || p.tracer !== t.tg) return -Errno.ESRCH;
  if (req === P.PTRACE_KILL) {
    k.signalProcess(target.tg, SIGKILL);
    return 0;
  }
  if (req === P.PTRACE_INTERRUPT) {
    if (!p.seized) return -Errno.EIO;
    ptraceInterrupt(k, target);
    return 0;
  }
  if (target.state !== 'traced' || p.listening) return -Errno.ESRCH;
  switch (req) {
    case P.PTRACE_PEEKTEXT:
    case P.PTRACE_PEEKDATA: {
      const b = new Uint8Array(8);
      try {
        copyInto(target, addr, b);
      } catch (e) {
        if (e instanceof ErrnoError) return -Errno.EIO;
        throw e;
      }
      copyOut(t, data, b);
      return 0;
    }
    case P.PTRACE_POKETEXT:
    case P.PTRACE_POKEDATA: {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, r.getBig(A3), true);
      try {
        target.mm.writeForce(addr, b);
      } catch (e) {
        if (e instanceof ErrnoError) return -Errno.EIO;
        throw e;
      }
      if (target.mm !== t.mm) k.remoteMmChanged(target);
      return 0;
    }
    case P.PTRACE_PEEKUSER: {
      if (addr % 8 !== 0 || addr >= P.USER_SIZE) return -Errno.EIO;
      writeU64(t, data, addr < P.USER_REGS_SIZE ? target.regs.get(addr / 8) : 0);
      return 0;
    }
    case P.PTRACE_POKEUSER: {
      if (addr % 8 !== 0 || addr >= P.USER_SIZE) return -Errno.EIO;
      if (addr < P.USER_REGS_SIZE) return putReg(target, addr / 8, r, A3);
      // debug registers: none to arm (a watchpoint is refused, so debuggers fall back to their own)
      if (addr >= P.USER_DEBUGREG && addr < P.USER_DEBUGREG + 64) return data === 0 ? 0 : -Errno.EIO;
      return 0;
    }
    case P.PTRACE_GETREGS:
      copyOut(t, data, new Uint8Array(target.regs.w.buffer, 0, P.USER_REGS_SIZE));
      return 0;
    case P.PTRACE_SETREGS:
      return setRegs(t, target, data, P.USER_REGS_SIZE);
    case P.PTRACE_GETFPREGS:
      copyOut(t, data, target.thread.getXstate().subarray(0, P.USER_FPREGS_SIZE));
      return 0;
    case P.PTRACE_SETFPREGS:
      return setFpregs(t, target, data, P.USER_FPREGS_SIZE);
    case P.PTRACE_GETREGSET:
    case P.PTRACE_SETREGSET:
      return regset(t, target, req === P.PTRACE_SETREGSET, addr, data);
    case P.PTRACE_GETSIGINFO:
      if (!p.siginfo) return -Errno.EINVAL;
      writeStruct(t, data, SIGINFO_SIZE, (dv) => encodeSiginfo(dv, 0, p.siginfo!));
      return 0;
    case P.PTRACE_SETSIGINFO: {
      if (!p.siginfo) return -Errno.EINVAL;
      const dv = readStruct(t, data, SIGINFO_SIZE);
      const info: SigInfo = { signo: dv.getInt32(0, true), errno: dv.getInt32(4, true), code: dv.getInt32(8, true), pid: dv.getInt32(16, true), uid: dv.getUint32(20, true), value: dv.getBigInt64(24, true) };
      p.siginfo = info;
      return 0;
    }
    case P.PTRACE_GETEVENTMSG:
      writeU64(t, data, p.eventMsg);
      return 0;
    case P.PTRACE_SETOPTIONS:
      if (data > 0xffffffff || (data & ~P.PTRACE_O_MASK) !== 0) return -Errno.EINVAL;
      p.options = data;
      return 0;
    case P.PTRACE_GET_SYSCALL_INFO:
      return syscallInfo(t, target, addr, data);
    case P.PTRACE_CONT:
    case P.PTRACE_SYSCALL:
    case P.PTRACE_SINGLESTEP:
    case P.PTRACE_DETACH: {
      if (data > NSIG) return -Errno.EIO;
      if (req === P.PTRACE_DETACH) ptraceDetach(k, target, data);
      else ptraceResume(k, target, data, req === P.PTRACE_SYSCALL, req === P.PTRACE_SINGLESTEP);
      return 0;
    }
    case P.PTRACE_LISTEN:
      return p.seized && ptraceListen(k, target) ? 0 : -Errno.EIO;
    default:
      return -Errno.EIO;
  }
}

/** PTRACE_TRACEME: the parent process traces the caller. */
function traceme(t: Task): number {
  const parent = t.tg.parent;
  if (t.ptrace || !parent || parent.zombie) return -Errno.EPERM;
  ptraceLink(t.kernel, parent, t, 0);
  return 0;
}

/**
 * PTRACE_ATTACH: the tracee gets SIGSTOP, its first stop. PTRACE_SEIZE
 * (addr 0, data its options): no signal, the tracee runs on. Either way a
 * tracee in a group stop stops for its tracer at once (a trap in that stop).
 */
function attach(k: Kernel, t: Task, target: Task, seize: boolean, addr: number, options: number): number {
  if (seize && (addr !== 0 || options > 0xffffffff || (options & ~P.PTRACE_O_MASK) !== 0)) return -Errno.EIO;
  if (target.tg === t.tg || target.ptrace) return -Errno.EPERM;
  if (target.tg.exitStatus !== null) return -Errno.EPERM;
  if (!ptraceMayAccess(t, target, PTRACE_MODE_ATTACH_REALCREDS)) return -Errno.EPERM;
  ptraceLink(k, t.tg, target, seize ? options : 0, seize);
  if (!seize) k.signalTask(target, SIGSTOP, { signo: SIGSTOP, code: SI_USER, pid: t.tg.tgid, uid: t.creds.uid });
  return 0;
}

/** putreg: one register of the tracee's (segments and fs/gs bases stay: EIO only for what Linux refuses). */
function putReg(target: Task, i: number, r: Regs, reg: number): number {
  if (FIXED.has(i)) return 0;
  const tr = target.regs;
  if (i === EFLAGS) {
    const v = r.get(reg);
    tr.set(EFLAGS, (tr.get(EFLAGS) & ~P.USER_FLAG_MASK) | (v & P.USER_FLAG_MASK));
    return 0;
  }
  tr.w[2 * i] = r.w[2 * reg]!;
  tr.w[2 * i + 1] = r.w[2 * reg + 1]!;
  tr.dirty = true;
  return 0;
}

/** SETREGS / SETREGSET(NT_PRSTATUS): every register through putReg's rules. */
function setRegs(t: Task, target: Task, addr: number, len: number): number {
  const tmp = new Regs();
  new Uint8Array(tmp.w.buffer).set(copyIn(t, addr, len));
  for (let i = 0; i < NREGS && i < len / 8; i++) putReg(target, i, tmp, i);
  return 0;
}

/** SETFPREGS: the FXSAVE image (MXCSR's reserved bits refused, as fpu__restore would fault on them). */
function setFpregs(t: Task, target: Task, addr: number, len: number): number {
  const img = copyIn(t, addr, len);
  const x = target.thread.getXstate().slice();
  const mxcsr = new DataView(img.buffer, img.byteOffset, img.byteLength).getUint32(24, true);
  if (mxcsr & 0xffff0000) return -Errno.EINVAL;
  x.set(img.subarray(0, len), 0);
  return target.thread.setXstate(x) ? 0 : -Errno.EINVAL;
}

/** GETREGSET/SETREGSET: data is a struct iovec; NT_PRSTATUS (the registers) and NT_PRFPREG (FXSAVE). */
function regset(t: Task, target: Task, set: boolean, type: number, iovAddr: number): number {
  const base = readU64(t, iovAddr), len = readU64(t, iovAddr + 8);
  let size: number;
  if (type === P.NT_PRSTATUS) size = P.USER_REGS_SIZE;
  else if (type === P.NT_PRFPREG) size = P.USER_FPREGS_SIZE;
  else return -Errno.EINVAL;
  const n = Math.min(len, size);
  if (set) {
    if (n < size) return -Errno.EINVAL;
    return type === P.NT_PRSTATUS ? setRegs(t, target, base, n) : setFpregs(t, target, base, n);
  }
  const src = type === P.NT_PRSTATUS ? new Uint8Array(target.regs.w.buffer, 0, size) : target.thread.getXstate().subarray(0, size);
  copyOut(t, base, src, 0, n);
  writeU64(t, iovAddr + 8, n);
  return 0;
}

/** PTRACE_GET_SYSCALL_INFO: what the stop is (syscall entry, exit or other), copied up to addr bytes. */
function syscallInfo(t: Task, target: Task, size: number, addr: number): number {
  const p = target.ptrace!, r = target.regs;
  const b = new Uint8Array(P.SYSCALL_INFO_ENTRY_END);
  const dv = new DataView(b.buffer);
  dv.setUint32(4, P.AUDIT_ARCH_X86_64, true);
  dv.setBigUint64(8, r.getBig(RIP), true);
  dv.setBigUint64(16, r.getBig(RSP), true);
  let end = P.SYSCALL_INFO_HEAD;
  if (p.sysStop === STOP_SYSCALL_ENTRY) {
    b[0] = P.PTRACE_SYSCALL_INFO_ENTRY;
    dv.setBigUint64(24, r.getBig(ORIG_RAX), true);
    for (let i = 0; i < 6; i++) dv.setBigUint64(32 + 8 * i, r.getBig(ARG_REGS[i]!), true);
    end = P.SYSCALL_INFO_ENTRY_END;
  } else if (p.sysStop === STOP_SYSCALL_EXIT) {
    b[0] = P.PTRACE_SYSCALL_INFO_EXIT;
    const rv = r.getBig(RAX);
    dv.setBigUint64(24, rv, true);
    const s = BigInt.asIntN(64, rv);
    b[32] = s < 0n && s >= -4095n ? 1 : 0;
    end = P.SYSCALL_INFO_EXIT_END;
  }
  const n = Math.min(size, end);
  if (n > 0) copyOut(t, addr, b, 0, n);
  return end;
}
