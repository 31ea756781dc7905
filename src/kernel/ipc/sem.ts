/**
 * System V semaphores (ipc/sem.c): sets of counters changed atomically by
 * semop, with SEM_UNDO adjustments applied when a process exits.
 *
 * A semop that cannot go on now sleeps on its set's wait queue (the
 * syscall layer does the sleeping) and is re-run from scratch whenever the
 * set changes; while it sleeps, the operation that blocked it is counted
 * for GETNCNT / GETZCNT. A removed set wakes its sleepers, who find EIDRM.
 *
 * Ownership: the namespace, its sets and the undo lists are guarded by the
 * JS thread.
 */
import { Errno } from '../../abi/errno.js';
import { WaitQueue } from '../../fs/waitqueue.js';
import { IpcIds, KernIpcPerm, IpcCred, ipcget, IPC_NOWAIT } from './util.js';

/** limits (include/uapi/linux/sem.h) */
export const SEMMNI = 32000, SEMMSL = 32000, SEMMNS = SEMMNI * SEMMSL, SEMOPM = 500, SEMVMX = 32767, SEMAEM = SEMVMX,
  SEMMNU = SEMMNS, SEMUME = SEMOPM, SEMMAP = SEMMNS, SEMUSZ = 20;
/** sem_flg */
export const SEM_UNDO = 0x1000;
/** semctl commands */
export const GETPID = 11, GETVAL = 12, GETALL = 13, GETNCNT = 14, GETZCNT = 15, SETVAL = 16, SETALL = 17, SEM_STAT = 18,
  SEM_INFO = 19, SEM_STAT_ANY = 20;

/** struct sembuf, decoded */
export interface SemBuf {
  num: number;
  op: number;
  flg: number;
}

/** A sleeper's blocking operation (q->blocking), for GETNCNT/GETZCNT. */
interface Blocked {
  num: number;
  op: number;
}

/** struct sem_array. Guarded by the JS thread. */
export class SemArray {
  /** semval and sempid of each semaphore */
  readonly vals: Int32Array;
  readonly pids: Int32Array;
  otime = 0;
  ctime: number;
  /** semops asleep on this set, each with the operation that blocked it */
  readonly blocked = new Set<Blocked>();
  /** they sleep here; woken by every change; immutable reference */
  readonly wq = new WaitQueue();
  constructor(readonly perm: KernIpcPerm, nsems: number, now: number) {
    this.vals = new Int32Array(nsems);
    this.pids = new Int32Array(nsems);
    this.ctime = now;
  }
  get nsems(): number {
    return this.vals.length;
  }
  /** Something changed: every sleeper looks again. */
  changed(): void {
    this.wq.wake(0);
  }
}

/** What semop decided: done (0), an error, or sleep (block: its blocking operation). */
export type SemopResult = number | { block: Blocked };

/**
 * struct sem_undo_list: the semaphore adjustments (SEM_UNDO) of the tasks
 * sharing it. A task has none until its first SEM_UNDO operation; clone
 * with CLONE_SYSVSEM shares its parent's (made then if it had none: the
 * threads of pthread_create share one), without it the child starts with
 * none; the last of its tasks to exit, or to leave it by
 * unshare(CLONE_SYSVSEM), has the adjustments applied (exit_sem). The
 * adjustments themselves are the namespace's (SemNamespace.undos, keyed by
 * this object).
 */
export class SemUndoList {
  /** the tasks holding it (refcnt); guarded by the JS thread (clone, unshare and exit change it) */
  users = 1;
}

export class SemNamespace {
  /** the sets; immutable reference */
  readonly ids = new IpcIds<SemArray>(SEMMNI);
  /** semaphores in every set (used_sems); guarded by the JS thread */
  usedSems = 0;
  /** the adjustments of each SemUndoList: set id -> semadj per semaphore; guarded by the JS thread (its tasks'
   * semops with SEM_UNDO, SETVAL/SETALL and IPC_RMID by anyone, its last task's exit) */
  private readonly undos = new Map<SemUndoList, Map<number, Int32Array>>();

  /** now: the guest's wall clock, seconds; immutable */
  constructor(private readonly now: () => number) {}

  /** semget(2) */
  get(key: number, nsems: number, flg: number, cred: IpcCred): number {
    if (nsems < 0 || nsems > SEMMSL) return -Errno.EINVAL;
    return ipcget(this.ids, key, flg, cred, () => {
      if (nsems === 0) return -Errno.EINVAL;
      if (this.usedSems + nsems > SEMMNS) return -Errno.ENOSPC;
      const slot = this.ids.nextSeq();
      if (!slot) return -Errno.ENOSPC;
      const perm = new KernIpcPerm(key, cred.euid, cred.egid, cred.euid, cred.egid, flg & 0o777, slot.seq);
      this.usedSems += nsems;
      return this.ids.add(new SemArray(perm, nsems, this.now()), slot);
    }, (s) => (nsems > s.nsems ? -Errno.EINVAL : 0));
  }

  /** The undo adjustments of owner for set s (made empty if absent). */
  private adj(owner: SemUndoList, s: SemArray): Int32Array {
    let m = this.undos.get(owner);
    if (!m) {
      m = new Map();
      this.undos.set(owner, m);
    }
    let a = m.get(s.perm.id);
    if (!a) {
      a = new Int32Array(s.nsems);
      m.set(s.perm.id, a);
    }
    return a;
  }

  /**
   * perform_atomic_semop: all of sops, in order, or none. 0 when done;
   * -EAGAIN (IPC_NOWAIT) or a block to sleep on; -ERANGE past SEMVMX or
   * the undo range. The checks before it (EFBIG, EACCES, EIDRM) are the
   * caller's, and so is owner: the caller's undo list, which it has if any
   * operation has SEM_UNDO (find_alloc_undo).
   */
  semop(s: SemArray, sops: readonly SemBuf[], owner: SemUndoList | null, pid: number): SemopResult {
    const vals = Int32Array.from(s.vals);
    const undo = owner && sops.some((o) => o.flg & SEM_UNDO) ? Int32Array.from(this.adj(owner, s)) : null;
    for (const o of sops) {
      const cur = vals[o.num]!;
      if ((o.op === 0 && cur !== 0) || cur + o.op < 0) {
        return o.flg & IPC_NOWAIT ? -Errno.EAGAIN : { block: { num: o.num, op: o.op } };
      }
      const result = cur + o.op;
      if (result > SEMVMX) return -Errno.ERANGE;
      if (o.flg & SEM_UNDO) {
        const u = undo![o.num]! - o.op;
        if (u < -SEMAEM - 1 || u > SEMAEM) return -Errno.ERANGE;
        undo![o.num] = u;
      }
      vals[o.num] = result;
    }
    s.vals.set(vals);
    if (undo) this.adj(owner!, s).set(undo);
    for (const o of sops) if (o.op !== 0) s.pids[o.num] = pid;
    s.otime = this.now();
    if (sops.some((o) => o.op !== 0)) s.changed();
    return 0;
  }

  /** SETVAL / SETALL: new values (already checked); every process's adjustment for them is cleared. */
  setValues(s: SemArray, from: number, values: readonly number[], pid: number): void {
    for (let i = 0; i < values.length; i++) {
      s.vals[from + i] = values[i]!;
      s.pids[from + i] = pid;
    }
    for (const m of this.undos.values()) {
      const a = m.get(s.perm.id);
      if (a) a.fill(0, from, from + values.length);
    }
    s.ctime = this.now();
    s.changed();
  }

  /** GETNCNT (waiting to decrease) or GETZCNT (waiting for zero) of semaphore num. */
  count(s: SemArray, num: number, zero: boolean): number {
    let n = 0;
    for (const b of s.blocked) if (b.num === num && (zero ? b.op === 0 : b.op < 0)) n++;
    return n;
  }

  /** IPC_RMID: the set goes; its sleepers wake to EIDRM; the adjustments for it are forgotten. */
  rmid(s: SemArray): void {
    this.ids.remove(s);
    this.usedSems -= s.nsems;
    for (const m of this.undos.values()) m.delete(s.perm.id);
    s.changed();
  }

  /** exit_sem: the last task of an undo list left it; its adjustments are applied (each value kept within
   * [0, SEMVMX]), for sets that still exist. */
  exit(owner: SemUndoList, pid: number): void {
    const m = this.undos.get(owner);
    if (!m) return;
    this.undos.delete(owner);
    for (const [id, a] of m) {
      const s = this.ids.obtain(id);
      if (typeof s === 'number') continue;
      let any = false;
      for (let i = 0; i < a.length; i++) {
        if (!a[i]) continue;
        s.vals[i] = Math.min(SEMVMX, Math.max(0, s.vals[i]! + a[i]!));
        s.pids[i] = pid;
        any = true;
      }
      if (any) {
        s.otime = this.now();
        s.changed();
      }
    }
  }
}
