/**
 * Signal syscalls. Dispositions and masks are recorded with Linux's checks;
 * delivery to guest handlers comes with the signals work (issue 3): a signal
 * a task sends itself takes its default action, or is dropped if ignored.
 */
import { Errno } from '../kernel/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, BLOCKED } from './types.js';

const SIGKILL = 9, SIGSTOP = 19, NSIG = 64;
const SIG_DFL = 0, SIG_IGN = 1;
const SA_RESTORER = 0x04000000;
const SA_KNOWN = 0x00000001 | 0x00000002 | 0x00000004 | 0x08000000 | 0x10000000 | 0x40000000 | 0x80000000 | SA_RESTORER | 0x00000400 | 0x00000800;

/** rt_sigaction(2) */
export function sys_rt_sigaction(t: Task, r: Regs): number {
  const sig = r.getI32(A0), act = r.get(A1), oact = r.get(A2), size = r.get(A3);
  if (size !== 8) return -Errno.EINVAL;
  if (sig < 1 || sig > NSIG) return -Errno.EINVAL;
  if (act && (sig === SIGKILL || sig === SIGSTOP)) return -Errno.EINVAL;
  const cur = t.tg.sigactions[sig] ?? { handler: SIG_DFL, flags: 0, restorer: 0, maskLo: 0, maskHi: 0 };
  let next = cur;
  if (act) {
    const b = t.mm.read(act, 32);
    const dv = new DataView(b.buffer);
    next = {
      handler: Number(dv.getBigUint64(0, true)),
      flags: Number(dv.getBigUint64(8, true) & 0xffffffffn) & SA_KNOWN | (Number(dv.getBigUint64(8, true) & 0xffffffffn) & ~SA_KNOWN),
      restorer: Number(dv.getBigUint64(16, true)),
      maskLo: dv.getUint32(24, true) & ~((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))),
      maskHi: dv.getUint32(28, true),
    };
  }
  if (oact) {
    const b = new Uint8Array(32);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, BigInt(cur.handler), true);
    dv.setBigUint64(8, BigInt(cur.flags >>> 0), true);
    dv.setBigUint64(16, BigInt(cur.restorer), true);
    dv.setUint32(24, cur.maskLo >>> 0, true);
    dv.setUint32(28, cur.maskHi >>> 0, true);
    t.mm.write(oact, b);
  }
  t.tg.sigactions[sig] = next;
  return 0;
}

const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
/** rt_sigprocmask(2) */
export function sys_rt_sigprocmask(t: Task, r: Regs): number {
  const how = r.getI32(A0), set = r.get(A1), oset = r.get(A2), size = r.get(A3);
  if (size !== 8) return -Errno.EINVAL;
  let lo = 0, hi = 0;
  if (set) {
    const b = t.mm.read(set, 8);
    const dv = new DataView(b.buffer);
    lo = dv.getUint32(0, true);
    hi = dv.getUint32(4, true);
    if (how !== SIG_BLOCK && how !== SIG_UNBLOCK && how !== SIG_SETMASK) return -Errno.EINVAL;
  }
  if (oset) {
    const b = new Uint8Array(8);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, t.sigmaskLo >>> 0, true);
    dv.setUint32(4, t.sigmaskHi >>> 0, true);
    t.mm.write(oset, b);
  }
  if (set) {
    if (how === SIG_BLOCK) {
      t.sigmaskLo |= lo;
      t.sigmaskHi |= hi;
    } else if (how === SIG_UNBLOCK) {
      t.sigmaskLo &= ~lo;
      t.sigmaskHi &= ~hi;
    } else {
      t.sigmaskLo = lo;
      t.sigmaskHi = hi;
    }
    t.sigmaskLo &= ~((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))); // cannot be blocked
  }
  return 0;
}

const SS_ONSTACK = 1, SS_DISABLE = 2, MINSIGSTKSZ = 2048;
/** sigaltstack(2): recorded (used once guest handlers run). */
export function sys_sigaltstack(t: Task, r: Regs): number {
  const ss = r.get(A0), old = r.get(A1);
  if (old) {
    const b = new Uint8Array(24);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, BigInt(t.altStackSp), true);
    dv.setInt32(8, t.altStackFlags, true);
    dv.setBigUint64(16, BigInt(t.altStackSize), true);
    t.mm.write(old, b);
  }
  if (ss) {
    const b = t.mm.read(ss, 24);
    const dv = new DataView(b.buffer);
    const sp = Number(dv.getBigUint64(0, true)), flags = dv.getInt32(8, true), size = Number(dv.getBigUint64(16, true));
    if (flags & ~(SS_DISABLE | SS_ONSTACK | 0x80000000)) return -Errno.EINVAL;
    if (flags & SS_DISABLE) {
      t.altStackSp = 0;
      t.altStackSize = 0;
      t.altStackFlags = SS_DISABLE;
    } else {
      if (size < MINSIGSTKSZ) return -Errno.ENOMEM;
      t.altStackSp = sp;
      t.altStackSize = size;
      t.altStackFlags = 0;
    }
  }
  return 0;
}

/** A signal the task sends itself (or its own process): its disposition decides. */
function signalSelf(t: Task, sig: number): number {
  if (sig === 0) return 0;
  const a = t.tg.sigactions[sig];
  if (a && a.handler === SIG_IGN) return 0;
  if (a && a.handler !== SIG_DFL) return -Errno.ENOSYS; // guest handlers: issue 3
  const blocked = sig <= 32 ? t.sigmaskLo & (1 << (sig - 1)) : t.sigmaskHi & (1 << (sig - 33));
  if (blocked) return 0; // stays pending (and, without delivery yet, is never seen)
  t.kernel.forceSignal(t, sig);
  return t.state === 'zombie' ? BLOCKED : 0;
}

/** kill(2): to itself (pid, 0 or -pgid) only, in a one-process guest. */
export function sys_kill(t: Task, r: Regs): number {
  const pid = r.getI32(A0), sig = r.getI32(A1);
  if (sig < 0 || sig > NSIG) return -Errno.EINVAL;
  if (pid === t.tg.tgid || pid === 0 || pid === -1 || pid === -t.tg.pgid) return signalSelf(t, sig);
  return -Errno.ESRCH;
}
/** tgkill(2) */
export function sys_tgkill(t: Task, r: Regs): number {
  const tgid = r.getI32(A0), tid = r.getI32(A1), sig = r.getI32(A2);
  if (sig < 0 || sig > NSIG || tgid <= 0 || tid <= 0) return -Errno.EINVAL;
  if (tgid !== t.tg.tgid || tid !== t.tid) return -Errno.ESRCH;
  return signalSelf(t, sig);
}
/** tkill(2) */
export function sys_tkill(t: Task, r: Regs): number {
  const tid = r.getI32(A0), sig = r.getI32(A1);
  if (sig < 0 || sig > NSIG || tid <= 0) return -Errno.EINVAL;
  if (tid !== t.tid) return -Errno.ESRCH;
  return signalSelf(t, sig);
}

/** rt_sigpending(2): nothing is ever left pending yet. */
export function sys_rt_sigpending(t: Task, r: Regs): number {
  if (r.get(A1) !== 8) return -Errno.EINVAL;
  t.mm.write(r.get(A0), new Uint8Array(8));
  return 0;
}
