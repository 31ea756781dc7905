/**
 * Futex wait queues (kernel/futex/core.c): waiters per key. The futex(2)
 * syscall (syscalls/futex.ts) queues and wakes through here; exit wakes
 * clear_child_tid waiters.
 *
 * Keys are get_futex_key's: a private futex (FUTEX_PRIVATE_FLAG), or any
 * futex in private memory, is (address space, address); a shared futex in a
 * MAP_SHARED mapping is the memory itself — (file, offset) for a file or
 * shmem mapping, the page frame for shared anonymous memory — so processes
 * that map it at different addresses, or in different address spaces, meet
 * on one queue (a process-shared semaphore in /dev/shm, a pthread mutex in
 * shared memory).
 */
import { MAP_SHARED } from '../abi/mman.js';
import type { Task } from './task.js';
import type { Timer } from './events.js';

/** The futex key of addr for t (get_futex_key); shared: the op lacked FUTEX_PRIVATE_FLAG. Throws EFAULT for a bad address. */
export function futexKey(t: Task, addr: number, shared: boolean): string {
  const mm = t.mm;
  if (shared) {
    const v = mm.find(addr);
    if (v && v.flags & MAP_SHARED) {
      const f = v.file;
      if (f) return `f:${f.hostMap?.id ?? `${f.mapDev}:${f.mapIno}`}:${v.pgoff + (addr - v.start)}`;
      // shared anonymous memory: its page frames are the shared object
      return `p:${mm.userFrame(addr, false)}:${addr % 4096}`;
    }
  }
  return `${mm.id}:${addr}`;
}

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
  add(k: string, w: FutexWait): void {
    const l = this.q.get(k);
    if (l) l.push(w);
    else this.q.set(k, [w]);
  }
  remove(k: string, w: FutexWait): void {
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
}

