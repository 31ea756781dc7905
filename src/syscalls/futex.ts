/**
 * futex(2): WAIT/WAKE (and their BITSET forms), REQUEUE, CMP_REQUEUE and
 * WAKE_OP (musl's condition variables requeue; older glibc's use WAKE_OP),
 * keyed as kernel/futex.ts says. A waiter sleeps until a WAKE picks it or
 * its timeout passes. PI locks (LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI:
 * glibc's PTHREAD_PRIO_INHERIT mutexes) hand the lock to a sleeper; the
 * requeue-PI pair is ENOSYS. futex_waitv(2): one sleep on up to 128 futexes.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { monotonicNs } from '../kernel/events.js';
import { Regs } from '../platform/regs.js';
import { FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK } from '../kernel/futex.js';
import type { FutexWait, PiWait } from '../kernel/futex.js';
import type { Timer } from '../platform/platform.js';
import { A0, A1, A2, A3, A4, A5 } from './types.js';
import { readU32, readTimespec, readStruct, getTimespec, NSEC_PER_SEC } from './uaccess.js';
import { CLOCK_REALTIME, CLOCK_MONOTONIC } from '../abi/time.js';
import { ERESTART_RESTARTBLOCK, ERESTARTNOINTR } from '../abi/errno.js';

const FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5,
  FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10;
const FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
/** FUTEX_WAKE_OP's encoding (uapi/linux/futex.h): op and cmp fields, and op's "oparg is a shift" bit */
const FUTEX_OP_SET = 0, FUTEX_OP_ADD = 1, FUTEX_OP_OR = 2, FUTEX_OP_ANDN = 3, FUTEX_OP_XOR = 4, FUTEX_OP_OPARG_SHIFT = 8;
const FUTEX_OP_CMP_EQ = 0, FUTEX_OP_CMP_NE = 1, FUTEX_OP_CMP_LT = 2, FUTEX_OP_CMP_LE = 3, FUTEX_OP_CMP_GT = 4, FUTEX_OP_CMP_GE = 5;

/** A 12-bit field as a signed number (sign_extend32(x, 11)). */
const s12 = (x: number): number => (x << 20) >> 20;

/**
 * futex_atomic_op_inuser: *uaddr = op(*uaddr, oparg) atomically against the
 * guest's own threads (a cmpxchg loop: mm.cmpxchgU32), then the comparison
 * of the old value. An unknown op is ENOSYS before anything is
 * written; an unknown comparison, after (as Linux).
 */
function atomicOp(t: Task, uaddr: number, encoded: number): number {
  const op = (encoded >>> 28) & 0xf, cmp = (encoded >>> 24) & 0xf;
  let oparg = s12((encoded >>> 12) & 0xfff);
  const cmparg = s12(encoded & 0xfff);
  if (op & FUTEX_OP_OPARG_SHIFT) oparg = 1 << (oparg & 31);
  const kind = op & ~FUTEX_OP_OPARG_SHIFT;
  if (kind > FUTEX_OP_XOR) return -Errno.ENOSYS;
  // a guess, then compare-exchange until no guest thread wrote between (the first makes the page writable: a
  // private copy, or EFAULT)
  let old = t.mm.readU32(uaddr) | 0;
  for (;;) {
    const v = kind === FUTEX_OP_SET ? oparg : kind === FUTEX_OP_ADD ? old + oparg : kind === FUTEX_OP_OR ? old | oparg
      : kind === FUTEX_OP_ANDN ? old & ~oparg : old ^ oparg;
    const seen = t.mm.cmpxchgU32(uaddr, old, v) | 0;
    if (seen === old) break;
    old = seen;
  }
  switch (cmp) {
    case FUTEX_OP_CMP_EQ: return old === cmparg ? 1 : 0;
    case FUTEX_OP_CMP_NE: return old !== cmparg ? 1 : 0;
    case FUTEX_OP_CMP_LT: return old < cmparg ? 1 : 0;
    case FUTEX_OP_CMP_LE: return old <= cmparg ? 1 : 0;
    case FUTEX_OP_CMP_GT: return old > cmparg ? 1 : 0;
    case FUTEX_OP_CMP_GE: return old >= cmparg ? 1 : 0;
    default: return -Errno.ENOSYS;
  }
}

/** the PI commands; sys_futex reads a timeout for LOCK_PI, LOCK_PI2 and WAIT_REQUEUE_PI */
const FUTEX_LOCK_PI = 6, FUTEX_UNLOCK_PI = 7, FUTEX_TRYLOCK_PI = 8, FUTEX_WAIT_REQUEUE_PI = 11, FUTEX_LOCK_PI2 = 13;

/** How many a wake count wakes: up to n, and one for 0 or less (futex_wake breaks after each wake: ++ret >= n). */
const wakeCount = (n: number): number => (n > 0 ? n : 1);

/**
 * futex(2). Errors in Linux's order: the timeout (EFAULT, EINVAL), the
 * realtime clock with a command that waits for no time (ENOSYS), then each
 * command's own (the bitset, then each futex's key: alignment, access, a
 * shared futex's memory; then the value compared).
 */
export function sys_futex(t: Task, r: Regs): number {
  const st = t.sc.state as FutexWait | PiWait | null;
  // re-run after a wake or the timeout
  if (st) return 'pi' in st ? lockPiDone(t, st) : waitDone(t, st);
  const uaddr = r.get(A0), op = r.getI32(A1), val = r.getU32(A2), utime = r.get(A3), val3 = r.getU32(A5);
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  let ns: bigint | null = null;
  if (utime && (cmd === FUTEX_WAIT || cmd === FUTEX_WAIT_BITSET || cmd === FUTEX_LOCK_PI || cmd === FUTEX_WAIT_REQUEUE_PI ||
    cmd === FUTEX_LOCK_PI2)) ns = readTimespec(t, utime);
  if (op & FUTEX_CLOCK_REALTIME && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_WAIT_REQUEUE_PI && cmd !== FUTEX_LOCK_PI2) {
    return -Errno.ENOSYS;
  }
  const shared = !(op & FUTEX_PRIVATE_FLAG);
  const table = t.kernel.futexes;
  switch (cmd) {
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
      const bits = cmd === FUTEX_WAKE ? 0xffffffff : val3;
      if (bits === 0) return -Errno.EINVAL;
      return table.wake(t, table.keyOf(t, uaddr, shared), wakeCount(r.getI32(A2)), bits);
    }
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      const bits = cmd === FUTEX_WAIT ? 0xffffffff : val3;
      if (bits === 0) return -Errno.EINVAL;
      // FUTEX_WAIT takes a relative timeout; WAIT_BITSET an absolute one (monotonic, or the realtime clock's)
      let deadline: bigint | null = null;
      if (ns !== null) {
        if (cmd === FUTEX_WAIT) deadline = monotonicNs() + ns;
        else if (op & FUTEX_CLOCK_REALTIME) deadline = monotonicNs() + (ns - t.kernel.realtimeNs());
        else deadline = ns;
      }
      return wait(t, uaddr, shared, val, bits, deadline);
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      // nr_wake is val, nr_requeue the timeout argument's value, the second futex at A4
      const nWake = r.getI32(A2), nRequeue = r.getI32(A3), uaddr2 = r.get(A4);
      if (nWake < 0 || nRequeue < 0) return -Errno.EINVAL;
      const from = table.keyOf(t, uaddr, shared), to = table.keyOf(t, uaddr2, shared);
      if (cmd === FUTEX_CMP_REQUEUE && readU32(t, uaddr) !== val3) return -Errno.EAGAIN;
      return table.requeue(t, from, to, nWake, nRequeue);
    }
    case FUTEX_WAKE_OP: {
      const nWake2 = r.getI32(A3), uaddr2 = r.get(A4);
      // both keys before the write: a futex that faults is EFAULT with nothing written
      const k1 = table.keyOf(t, uaddr, shared), k2 = table.keyOf(t, uaddr2, shared);
      const hit = atomicOp(t, uaddr2, val3);
      if (hit < 0) return hit;
      let n = table.wake(t, k1, wakeCount(r.getI32(A2)), 0xffffffff);
      if (hit) n += table.wake(t, k2, wakeCount(nWake2), 0xffffffff);
      return n;
    }
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2: {
      // LOCK_PI's timeout is on the realtime clock (FLAGS_CLOCKRT), LOCK_PI2's on the monotonic one unless asked
      let deadline: bigint | null = null;
      if (ns !== null) deadline = cmd === FUTEX_LOCK_PI || op & FUTEX_CLOCK_REALTIME ? monotonicNs() + (ns - t.kernel.realtimeNs()) : ns;
      return lockPi(t, uaddr, shared, deadline, false);
    }
    case FUTEX_TRYLOCK_PI:
      return lockPi(t, uaddr, shared, null, true);
    case FUTEX_UNLOCK_PI:
      return unlockPi(t, uaddr, shared);
    default:
      return -Errno.ENOSYS; // the requeue-PI pair (glibc's condition variables have not used it since 2.25)
  }
}

/**
 * futex_lock_pi (and TRYLOCK_PI): take the lock whose word holds its
 * owner's tid. A word with no tid is taken at once (its FUTEX_OWNER_DIED
 * kept: a robust lock's next owner sees it); one naming the caller is
 * EDEADLK; one naming a task nobody has is ESRCH. Otherwise FUTEX_WAITERS
 * is set (the owner's unlock then comes here) and the caller sleeps until
 * the lock is handed to it (FUTEX_UNLOCK_PI, or the owner's exit: it wakes
 * holding it), or the deadline passes (ETIMEDOUT); TRYLOCK_PI does not
 * sleep (EAGAIN, the bit set all the same). A signal restarts it
 * (ERESTARTNOINTR: the deadline is absolute). No priority is inherited:
 * umlts's scheduler has none to lend.
 */
function lockPi(t: Task, uaddr: number, shared: boolean, deadline: bigint | null, trylock: boolean): number {
  const table = t.kernel.futexes;
  const key = table.keyOf(t, uaddr, shared);
  let owner: Task | null = null;
  for (let tries = 0; ; tries++) {
    // (a word that keeps changing under the compare-exchange: the guest's own threads racing; Linux retries too)
    if (tries >= 64) return -Errno.EAGAIN;
    const uval = readU32(t, uaddr), tid = uval & FUTEX_TID_MASK;
    if (tid === t.tid) return -Errno.EDEADLK;
    owner = table.piOwner(key);
    if (!owner && tid === 0) {
      const nu = ((uval & FUTEX_OWNER_DIED) | t.tid) >>> 0;
      if (t.mm.cmpxchgU32(uaddr, uval, nu) !== uval) continue;
      return 0;
    }
    if (!owner) {
      // attach_to_pi_owner: the task the word names
      const o = t.kernel.taskByPid(tid);
      if (!o || o.state === 'zombie' || o.state === 'dead') return -Errno.ESRCH;
      owner = o;
    }
    if (!(uval & FUTEX_WAITERS) && t.mm.cmpxchgU32(uaddr, uval, (uval | FUTEX_WAITERS) >>> 0) !== uval) continue;
    if (trylock) return -Errno.EAGAIN;
    break;
  }
  const w: PiWait = { pi: true, task: t, key, uaddr, acquired: false, timedOut: false, timer: null };
  if (deadline !== null) {
    w.timer = t.kernel.events.addTimer(deadline, () => {
      w.timedOut = true;
      t.kernel.wake(t);
    });
  }
  table.piAdd(w, owner!);
  t.sc.state = w;
  t.sc.cleanup = () => {
    table.piRemove(w);
    if (w.timer) t.kernel.events.cancelTimer(w.timer);
    return -ERESTARTNOINTR;
  };
  return t.sleep();
}

/** A LOCK_PI sleep's re-run: it holds the lock, or its deadline passed. */
function lockPiDone(t: Task, w: PiWait): number {
  t.sc.state = null;
  if (w.acquired) return 0;
  t.kernel.futexes.piRemove(w);
  return -Errno.ETIMEDOUT;
}

/**
 * futex_unlock_pi: only the owner the word names may (EPERM); the lock
 * goes to the first sleeper, if any (the word becomes FUTEX_WAITERS | its
 * tid), else the word becomes 0 — EAGAIN if it changed meanwhile (user
 * space tries again).
 */
function unlockPi(t: Task, uaddr: number, shared: boolean): number {
  const table = t.kernel.futexes;
  const uval = readU32(t, uaddr);
  if ((uval & FUTEX_TID_MASK) !== t.tid) return -Errno.EPERM;
  const key = table.keyOf(t, uaddr, shared);
  if (table.piHandOff(t, key, false)) return 0;
  return t.mm.cmpxchgU32(uaddr, uval, 0) === uval ? 0 : -Errno.EAGAIN;
}

/**
 * futex_wait: sleep on the futex at uaddr while it holds val, until a wake
 * picks this waiter (bitset), or the monotonic deadline passes. A signal
 * ends a wait with no deadline to be restarted as the handler's
 * SA_RESTART says (ERESTARTSYS); one with a deadline ends with
 * ERESTART_RESTARTBLOCK: EINTR for a handler, else (a stop, an ignored
 * signal) restart_syscall waits again until the same deadline.
 */
function wait(t: Task, uaddr: number, shared: boolean, val: number, bitset: number, deadline: bigint | null): number {
  const table = t.kernel.futexes;
  const key = table.keyOf(t, uaddr, shared);
  if (readU32(t, uaddr) !== val) return -Errno.EAGAIN;
  const w: FutexWait = { task: t, key, bitset, woken: false, timedOut: false, timer: null };
  if (deadline !== null) {
    w.timer = t.kernel.events.addTimer(deadline, () => {
      w.timedOut = true;
      t.kernel.wake(t);
    });
  }
  table.add(w);
  t.sc.state = w;
  // a signal (or the thread's end) takes it off the queue: a stale
  // waiter would swallow a wake meant for a live one
  t.sc.cleanup = () => {
    table.remove(w);
    if (w.timer) t.kernel.events.cancelTimer(w.timer);
    if (deadline === null) return undefined;
    t.restartBlock = (rt) => {
      const again = rt.sc.state as FutexWait | null;
      return again ? waitDone(rt, again) : wait(rt, uaddr, shared, val, bitset, deadline);
    };
    return -ERESTART_RESTARTBLOCK;
  };
  return t.sleep();
}

/** A wait's re-run after a wake or its timeout. */
function waitDone(t: Task, w: FutexWait): number {
  t.sc.state = null;
  if (w.woken) return 0;
  t.kernel.futexes.remove(w);
  return -Errno.ETIMEDOUT;
}

/** struct futex_waitv's flags (uapi/linux/futex.h): the word's size (only 32 bits is implemented, as Linux), a
 * NUMA node after it, the node from the memory policy, a private futex */
const FUTEX2_SIZE_U32 = 0x02, FUTEX2_SIZE_MASK = 0x03, FUTEX2_NUMA = 0x04, FUTEX2_MPOL = 0x08, FUTEX2_PRIVATE = 128;
const FUTEX2_VALID_MASK = FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_MPOL | FUTEX2_PRIVATE;
/** at most this many futexes in one futex_waitv; sizeof(struct futex_waitv): val u64, uaddr u64, flags u32, reserved u32 */
const FUTEX_WAITV_MAX = 128, FUTEX_WAITV_SIZE = 24;

/** A futex_waitv sleep: one queue entry per futex, one timer (woken with none of them woken: it expired).
 * Guarded by the JS thread. */
interface WaitvSleep {
  readonly ws: FutexWait[];
  timer: Timer | null;
}

/**
 * futex_waitv(2): sleep until one of the futexes is woken (its index is the result: the highest woken, as
 * futex_unqueue_multiple), or the absolute timeout on clockid (CLOCK_MONOTONIC or CLOCK_REALTIME) passes
 * (ETIMEDOUT). Checks in Linux's order: flags, count and array, the clock and the timeout, each entry (flags,
 * reserved word, value), every key (alignment, access), then every value (EAGAIN if one differs: nothing
 * queued). A signal ends it to be restarted (ERESTARTSYS: the timeout is absolute).
 */
export function sys_futex_waitv(t: Task, r: Regs): number {
  const st = t.sc.state as WaitvSleep | null;
  if (st) return waitvDone(t, st);
  const waiters = r.get(A0), nr = r.getU32(A1), flags = r.getU32(A2), timeout = r.get(A3), clockid = r.getI32(A4);
  if (flags !== 0) return -Errno.EINVAL;
  if (nr === 0 || nr > FUTEX_WAITV_MAX || waiters === 0) return -Errno.EINVAL;
  let deadline: bigint | null = null;
  if (timeout) {
    if (clockid !== CLOCK_REALTIME && clockid !== CLOCK_MONOTONIC) return -Errno.EINVAL;
    // futex2_setup_timeout takes the timespec as it is (no range check)
    const ts = getTimespec(t, timeout), ns = ts.sec * NSEC_PER_SEC + ts.nsec;
    deadline = clockid === CLOCK_REALTIME ? monotonicNs() + (ns - t.kernel.realtimeNs()) : ns;
  }
  const dv = readStruct(t, waiters, nr * FUTEX_WAITV_SIZE);
  const addrs: number[] = [], vals: number[] = [], shared: boolean[] = [];
  for (let i = 0; i < nr; i++) {
    const o = i * FUTEX_WAITV_SIZE, fl = dv.getUint32(o + 16, true);
    if (fl & ~FUTEX2_VALID_MASK || dv.getUint32(o + 20, true) !== 0) return -Errno.EINVAL;
    if ((fl & FUTEX2_SIZE_MASK) !== FUTEX2_SIZE_U32) return -Errno.EINVAL;
    // futex_validate_input: the value must fit the word
    if (dv.getUint32(o + 4, true) !== 0) return -Errno.EINVAL;
    vals.push(dv.getUint32(o, true));
    addrs.push(dv.getUint32(o + 12, true) * 0x100000000 + dv.getUint32(o + 8, true));
    shared.push(!(fl & FUTEX2_PRIVATE));
  }
  const table = t.kernel.futexes;
  const keys = addrs.map((a, i) => table.keyOf(t, a, shared[i]!));
  for (let i = 0; i < nr; i++) if (readU32(t, addrs[i]!) !== vals[i]) return -Errno.EAGAIN;
  const sleep: WaitvSleep = {
    ws: keys.map((key) => ({ task: t, key, bitset: 0xffffffff, woken: false, timedOut: false, timer: null })),
    timer: null,
  };
  if (deadline !== null) sleep.timer = t.kernel.events.addTimer(deadline, () => t.kernel.wake(t));
  for (const w of sleep.ws) table.add(w);
  t.sc.state = sleep;
  t.sc.cleanup = () => {
    unqueueWaitv(t, sleep);
    return undefined;
  };
  return t.sleep();
}

/** futex_unqueue_multiple: every entry off its queue, the timer off; the highest index that was woken, or -1. */
function unqueueWaitv(t: Task, sleep: WaitvSleep): number {
  if (sleep.timer) t.kernel.events.cancelTimer(sleep.timer);
  let woken = -1;
  sleep.ws.forEach((w, i) => {
    if (w.woken) woken = i;
    else t.kernel.futexes.remove(w);
  });
  return woken;
}

/** A futex_waitv's re-run after a wake or its timeout. */
function waitvDone(t: Task, sleep: WaitvSleep): number {
  t.sc.state = null;
  t.sc.cleanup = null;
  const woken = unqueueWaitv(t, sleep);
  return woken >= 0 ? woken : -Errno.ETIMEDOUT;
}
