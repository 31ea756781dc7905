/**
 * Futex wait queues (kernel/futex/core.c): waiters per (address space,
 * address) key. The futex(2) syscall (syscalls/futex.ts) queues and wakes
 * through here; exit wakes clear_child_tid waiters.
 */
import type { Task } from './task.js';
import type { Timer } from './events.js';

/** One futex(2) waiter: made by the sleeping task's FUTEX_WAIT; woken, timedOut
 * and timer are then written by whoever wakes it (a FUTEX_WAKE, its timer,
 * exit's clear_child_tid). Guarded by the JS thread. */
export interface FutexWait {
  task: Task;
  bitset: number;
  woken: boolean;
  timedOut: boolean;
  timer: Timer | null;
}

/** Waiters per futex key; the kernel owns one table (guarded by the JS thread). */
export class FutexTable {
  /** "mm id:address" -> waiters in FIFO order; guarded by the JS thread */
  private readonly q = new Map<string, FutexWait[]>();
  private key(t: Task, addr: number): string {
    return `${t.mm.id}:${addr}`;
  }
  add(t: Task, addr: number, w: FutexWait): void {
    const k = this.key(t, addr);
    const l = this.q.get(k);
    if (l) l.push(w);
    else this.q.set(k, [w]);
  }
  remove(t: Task, addr: number, w: FutexWait): void {
    const k = this.key(t, addr);
    const l = this.q.get(k);
    if (!l) return;
    const i = l.indexOf(w);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) this.q.delete(k);
  }
  wake(t: Task, addr: number, n: number, bitset: number): number {
    const k = this.key(t, addr);
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
}

