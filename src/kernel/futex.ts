/**
 * Futex wait queues (kernel/futex/core.c): waiters per key. The futex(2)
 * syscall (syscalls/futex.ts) queues and wakes through here; exit wakes
 * clear_child_tid waiters.
 *
 * Keys, as get_futex_key makes them: a private futex (FUTEX_PRIVATE_FLAG),
 * or any futex in private memory, is (address space, address); a shared
 * futex in a MAP_SHARED mapping is the memory itself, so processes that
 * map it at different addresses meet: (host file, offset) for a mapping of
 * a file the stub maps directly (tmpfs and memfd files, SysV segments,
 * host files), (physmem frame, offset) for shared anonymous memory.
 */
import type { Task } from './task.js';
import type { Timer } from './events.js';
import { MAP_SHARED, PROT_READ, PROT_WRITE } from '../abi/mman.js';
import { PAGE_SIZE } from '../mm/physmem.js';
import { Errno, ErrnoError } from '../abi/errno.js';
import { TASK_SIZE_MAX } from '../abi/limits.js';
import { OutOfMemory } from '../mm/physmem.js';

/** The futex word's bits of a robust or PI lock (uapi/linux/futex.h) */
export const FUTEX_WAITERS = 0x80000000, FUTEX_OWNER_DIED = 0x40000000, FUTEX_TID_MASK = 0x3fffffff;
/** entries of a robust list walked at most (a loop in the guest's list ends there) */
const ROBUST_LIST_LIMIT = 2048;

/** One futex(2) waiter: made by the sleeping task's FUTEX_WAIT; woken, timedOut
 * and timer are then written by whoever wakes it (a FUTEX_WAKE, its timer,
 * exit's clear_child_tid), key by a requeue. Guarded by the JS thread. */
export interface FutexWait {
  task: Task;
  /** the futex's key (FutexTable.keyOf); a FUTEX_(CMP_)REQUEUE moves it to another */
  key: string;
  bitset: number;
  woken: boolean;
  timedOut: boolean;
  timer: Timer | null;
}

/** One FUTEX_LOCK_PI sleeper (its task's, until the call returns): woken holding the lock (acquired), or by its
 * timer. Guarded by the JS thread. */
export interface PiWait {
  readonly pi: true;
  task: Task;
  key: string;
  /** the futex word in task's address space: a hand-off writes the new owner's tid there */
  uaddr: number;
  acquired: boolean;
  timedOut: boolean;
  timer: Timer | null;
}

/** pi_state: a PI futex that has sleepers: whom they wait for (the task the word named when the first came, or
 * the one the lock was handed to) and the sleepers, first come first (one priority here). Guarded by the JS thread. */
interface PiState {
  owner: Task;
  readonly waiters: PiWait[];
}

/** Waiters per futex key; the kernel owns one table (guarded by the JS thread). */
export class FutexTable {
  /** key -> waiters in FIFO order; guarded by the JS thread */
  private readonly q = new Map<string, FutexWait[]>();
  /** key -> the PI futex's sleepers and owner, while it has sleepers; guarded by the JS thread */
  private readonly pi = new Map<string, PiState>();

  /** The owner PI sleepers on key wait for, if any sleep there. */
  piOwner(key: string): Task | null {
    return this.pi.get(key)?.owner ?? null;
  }
  /** A PI sleeper queues behind owner's lock (the first makes the state). */
  piAdd(w: PiWait, owner: Task): void {
    const st = this.pi.get(w.key);
    if (st) st.waiters.push(w);
    else this.pi.set(w.key, { owner, waiters: [w] });
  }
  /** A PI sleeper leaves (its timeout, a signal); the state goes with the last. */
  piRemove(w: PiWait): void {
    const st = this.pi.get(w.key);
    if (!st) return;
    const i = st.waiters.indexOf(w);
    if (i >= 0) st.waiters.splice(i, 1);
    if (st.waiters.length === 0) this.pi.delete(w.key);
  }
  /**
   * wake_futex_pi: the lock goes to the first sleeper on key, woken
   * holding it: the word becomes FUTEX_WAITERS | its tid (the bit stays
   * while the state is there; keepDied: the owner died, and a robust lock's
   * FUTEX_OWNER_DIED stays for the new owner to see). Whether one was there.
   */
  piHandOff(t: Task, key: string, keepDied: boolean): boolean {
    const st = this.pi.get(key);
    const w = st?.waiters.shift();
    if (!st || !w) return false;
    st.owner = w.task;
    if (st.waiters.length === 0) this.pi.delete(key);
    try {
      const died = keepDied ? w.task.mm.readU32(w.uaddr) & FUTEX_OWNER_DIED : 0;
      w.task.mm.writeU32(w.uaddr, (FUTEX_WAITERS | died | w.task.tid) >>> 0);
    } catch (err) {
      // (a word the new owner cannot write: it holds the lock all the same, as Linux's fixup leaves it)
      if (!(err instanceof ErrnoError) && !(err instanceof OutOfMemory)) throw err;
    }
    w.acquired = true;
    if (w.timer) t.kernel.events.cancelTimer(w.timer);
    t.kernel.wake(w.task);
    return true;
  }
  /** exit_pi_state_list: the PI locks t held that others sleep on go to their first sleepers. */
  exitPi(t: Task): void {
    if (this.pi.size === 0) return;
    for (const [key, st] of [...this.pi]) if (st.owner === t) this.piHandOff(t, key, true);
  }

  /**
   * get_futex_key: the key of the futex at addr in t's address space;
   * shared: the call has no FUTEX_PRIVATE_FLAG. EINVAL for a misaligned
   * word; EFAULT for an address no user word can have (access_ok) and, for
   * a shared futex, for memory the task cannot read (its page is faulted
   * in, as get_user_pages). A shared futex in private memory is (address
   * space, address) marked shared: a private call on that word does not
   * meet it (FUT_OFF_MMSHARED).
   */
  keyOf(t: Task, addr: number, shared: boolean): string {
    if (addr % 4 !== 0) throw new ErrnoError(Errno.EINVAL);
    if (addr < 0 || addr > TASK_SIZE_MAX - 4) throw new ErrnoError(Errno.EFAULT);
    if (!shared) return `${t.mm.id}:${addr}`;
    const v0 = t.mm.find(addr);
    if (v0 && !(v0.flags & MAP_SHARED) && !(v0.prot & PROT_WRITE) && v0.prot & PROT_READ &&
      t.mm.frameAt(Math.floor(addr / PAGE_SIZE)) < 0) {
      // a page never written in read-only private memory (get_user_pages without FOLL_WRITE finds no page of
      // the process's own): a file's page, keyed by the file as a shared mapping's is, or the zero page, which
      // no futex may be
      const hm = v0.direct ? v0.file?.hostMap : undefined;
      if (hm) return `h${hm.id}:${v0.pgoff + (addr - v0.start)}`;
      if (!v0.file) throw new ErrnoError(Errno.EFAULT);
    }
    const f = t.mm.userFrame(addr, false);
    const v = t.mm.find(addr);
    if (v && v.flags & MAP_SHARED) {
      const hm = v.direct ? v.file?.hostMap : undefined;
      if (hm) return `h${hm.id}:${v.pgoff + (addr - v.start)}`;
      if (f >= 0) return `f${f}:${addr % 4096}`;
    }
    return `s${t.mm.id}:${addr}`;
  }
  add(w: FutexWait): void {
    const l = this.q.get(w.key);
    if (l) l.push(w);
    else this.q.set(w.key, [w]);
  }
  remove(w: FutexWait): void {
    const k = w.key;
    const l = this.q.get(k);
    if (!l) return;
    const i = l.indexOf(w);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) this.q.delete(k);
  }
  wake(t: Task, k: string, n: number, bitset: number): number {
    const l = this.q.get(k);
    if (!l) return 0;
    let woken = 0;
    for (let i = 0; i < l.length && woken < n; ) {
      const w = l[i]!;
      if (!(w.bitset & bitset)) {
        i++;
        continue;
      }
      l.splice(i, 1);
      w.woken = true;
      if (w.timer) t.kernel.events.cancelTimer(w.timer);
      t.kernel.wake(w.task);
      woken++;
    }
    if (l.length === 0) this.q.delete(k);
    return woken;
  }
  /**
   * futex_requeue without PI: wake up to nWake waiters of from, then move up
   * to nRequeue of the rest, in order, to the back of to's queue. Returns
   * how many were woken or moved (task_count).
   */
  requeue(t: Task, from: string, to: string, nWake: number, nRequeue: number): number {
    const woken = this.wake(t, from, nWake, 0xffffffff);
    const l = this.q.get(from);
    if (!l) return woken;
    // onto itself: nothing moves, but Linux counts them
    if (from === to) return woken + Math.min(nRequeue, l.length);
    const moved = l.splice(0, Math.min(nRequeue, l.length));
    if (l.length === 0) this.q.delete(from);
    for (const w of moved) {
      w.key = to;
      this.add(w);
    }
    return woken + moved.length;
  }
}


/**
 * exit_robust_list: a thread that exits (or execs, or is killed) marks the
 * robust futexes it still holds FUTEX_OWNER_DIED and wakes a waiter of
 * each, so the next pthread_mutex_lock of a robust mutex (in this process,
 * or another sharing the memory) gets EOWNERDEAD instead of waiting for
 * ever. The list is the guest's: a fault, a misaligned word or a loop ends
 * the walk quietly, as on Linux. The list is forgotten afterwards. Then
 * the PI locks it still holds go to their sleepers (exit_pi_state_list).
 */
export function exitRobustList(table: FutexTable, t: Task): void {
  exitRobust(table, t);
  // (futex_cleanup: the robust list, then the PI locks still held)
  table.exitPi(t);
}
function exitRobust(table: FutexTable, t: Task): void {
  const head = t.robustList;
  if (!head) return;
  t.robustList = 0;
  const mm = t.mm;
  // struct robust_list_head { struct robust_list *next; long futex_offset; struct robust_list *list_op_pending; }
  // an entry's low bit says its lock is a PI one. A head that faults, an entry's next that faults (after that
  // entry), or a lock word that is misaligned or faults ends the walk there, the pending one not handled (as Linux)
  let entry: number, offset: number, pendingRaw: number;
  try {
    entry = mm.readU64(head);
    offset = mm.readI64(head + 8);
    pendingRaw = mm.readU64(head + 16);
  } catch (err) {
    if (!(err instanceof ErrnoError) && !(err instanceof OutOfMemory)) throw err;
    return;
  }
  const pending = pendingRaw - (pendingRaw % 2);
  for (let n = 0; entry - (entry % 2) !== head && n < ROBUST_LIST_LIMIT; n++) {
    const e = entry - (entry % 2);
    // the next entry before this one is released (its memory may be reused after the wake)
    let next: number;
    try {
      next = mm.readU64(e);
    } catch (err) {
      if (!(err instanceof ErrnoError) && !(err instanceof OutOfMemory)) throw err;
      next = -1;
    }
    if (e !== pending && !ownerDied(table, t, e + offset, entry % 2 === 1, false)) return;
    if (next < 0) return;
    entry = next;
  }
  if (pending) ownerDied(table, t, pending + offset, pendingRaw % 2 === 1, true);
}

/** handle_futex_death for the word at uaddr of a lock t may hold: false if the word is misaligned or faults (the
 * walk ends). */
function ownerDied(table: FutexTable, t: Task, uaddr: number, pi: boolean, pendingOp: boolean): boolean {
  if (uaddr % 4 !== 0 || uaddr < 0) return false;
  try {
    for (let tries = 0; tries < 64; tries++) {
      const uval = t.mm.readU32(uaddr);
      // an unlock that was pending with the word already 0: its waiter may still need the wake it was about to get
      if (pendingOp && !pi && uval === 0) {
        table.wake(t, table.keyOf(t, uaddr, true), 1, 0xffffffff);
        return true;
      }
      if ((uval & FUTEX_TID_MASK) !== t.tid) return true;
      const mval = ((uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0;
      if (t.mm.cmpxchgU32(uaddr, uval, mval) !== uval) continue; // a waiter set FUTEX_WAITERS meanwhile: again
      if (!pi && uval & FUTEX_WAITERS) table.wake(t, table.keyOf(t, uaddr, true), 1, 0xffffffff);
      return true;
    }
    return true;
  } catch (err) {
    // (no frame for the word's private copy: as a fault, the walk ends and the thread goes all the same)
    if (!(err instanceof ErrnoError) && !(err instanceof OutOfMemory)) throw err;
    return false;
  }
}
