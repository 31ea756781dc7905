/**
 * System V message queues (ipc/msg.c): typed messages queued by msgsnd
 * and taken by msgrcv by type (the first, the first of a type, the first
 * of another type, the lowest type up to a bound, or with MSG_COPY the
 * n-th, left in place).
 *
 * A sender with no room and a receiver with no message sleep on the
 * queue's wait queues (the syscall layer does the sleeping) and re-run
 * from scratch when the queue changes; a removed queue wakes them to EIDRM.
 *
 * Ownership: the namespace and its queues are guarded by the JS thread.
 */
import { Errno } from '../../abi/errno.js';
import { WaitQueue } from '../../fs/waitqueue.js';
import { IpcIds, KernIpcPerm, IpcCred, ipcget } from './util.js';

/** limits (include/uapi/linux/msg.h) */
export const MSGMNI = 32000, MSGMAX = 8192, MSGMNB = 16384, MSGPOOL = MSGMNI * MSGMNB / 1024, MSGTQL = MSGMNB,
  MSGMAP = MSGMNB, MSGSSZ = 16, MSGSEG = 0xffff;
/** msgrcv flags */
export const MSG_NOERROR = 0o10000, MSG_EXCEPT = 0o20000, MSG_COPY = 0o40000;
/** msgctl commands */
export const MSG_STAT = 11, MSG_INFO = 12, MSG_STAT_ANY = 13;

/** struct msg_msg. Immutable. */
export interface Msg {
  readonly type: number;
  readonly data: Uint8Array;
}

/** A queue's messages, oldest first: taking the first is O(1) (an array's shift moves the rest once it is large,
 * and a guest may queue hundreds of thousands). Guarded by the JS thread. */
class MsgList {
  private a: Array<Msg | undefined> = [];
  private head = 0;
  get length(): number {
    return this.a.length - this.head;
  }
  at(i: number): Msg | undefined {
    return this.a[this.head + i];
  }
  push(m: Msg): void {
    this.a.push(m);
  }
  /** The i-th message, taken off. */
  removeAt(i: number): Msg {
    if (i !== 0) return this.a.splice(this.head + i, 1)[0]!;
    const m = this.a[this.head]!;
    this.a[this.head++] = undefined;
    // (the taken slots go once they are most of the array: amortized O(1))
    if (this.head >= 1024 && this.head * 2 >= this.a.length) {
      this.a = this.a.slice(this.head);
      this.head = 0;
    }
    return m;
  }
  /** The index of the first message pred accepts, or -1. */
  findIndex(pred: (m: Msg) => boolean): number {
    for (let i = this.head; i < this.a.length; i++) if (pred(this.a[i]!)) return i - this.head;
    return -1;
  }
  forEach(fn: (m: Msg, i: number) => void): void {
    for (let i = this.head; i < this.a.length; i++) fn(this.a[i]!, i - this.head);
  }
  clear(): void {
    this.a = [];
    this.head = 0;
  }
}

/** struct msg_queue. Guarded by the JS thread. */
export class MsgQueue {
  readonly msgs = new MsgList();
  cbytes = 0;
  qbytes = MSGMNB;
  lspid = 0;
  lrpid = 0;
  stime = 0;
  rtime = 0;
  ctime: number;
  /** senders waiting for room, receivers waiting for a message; immutable references */
  readonly sendq = new WaitQueue();
  readonly recvq = new WaitQueue();
  constructor(readonly perm: KernIpcPerm, now: number) {
    this.ctime = now;
  }
  get qnum(): number {
    return this.msgs.length;
  }
  /** msg_fits_inqueue */
  fits(size: number): boolean {
    return this.cbytes + size <= this.qbytes && 1 + this.qnum <= this.qbytes;
  }
}

export class MsgNamespace {
  /** the queues; immutable reference */
  readonly ids = new IpcIds<MsgQueue>(MSGMNI);

  /** now: the guest's wall clock, seconds; immutable */
  constructor(private readonly now: () => number) {}

  /** msgget(2) */
  get(key: number, flg: number, cred: IpcCred): number {
    return ipcget(this.ids, key, flg, cred, () => {
      const slot = this.ids.nextSeq();
      if (!slot) return -Errno.ENOSPC;
      const perm = new KernIpcPerm(key, cred.euid, cred.egid, cred.euid, cred.egid, flg & 0o777, slot.seq);
      return this.ids.add(new MsgQueue(perm, this.now()), slot);
    }, () => 0);
  }

  /** Queue a message (the room was checked). */
  send(q: MsgQueue, m: Msg, pid: number): void {
    q.msgs.push(m);
    q.cbytes += m.data.length;
    q.lspid = pid;
    q.stime = this.now();
    q.recvq.wake(0);
  }

  /**
   * find_msg: the index of the message msgtyp and flags select (msgtyp 0:
   * the first; > 0: the first of that type, or with MSG_EXCEPT the first of
   * another; < 0: the first of the lowest type up to -msgtyp; MSG_COPY: the
   * msgtyp-th), or -1.
   */
  find(q: MsgQueue, msgtyp: number, flags: number): number {
    if (flags & MSG_COPY) return msgtyp < q.msgs.length ? msgtyp : -1;
    if (msgtyp === 0) return q.msgs.length ? 0 : -1;
    if (msgtyp > 0) return q.msgs.findIndex((m) => (flags & MSG_EXCEPT ? m.type !== msgtyp : m.type === msgtyp));
    const bound = -msgtyp;
    let best = -1;
    q.msgs.forEach((m, i) => {
      if (m.type <= bound && (best < 0 || m.type < q.msgs.at(best)!.type)) best = i;
    });
    return best;
  }

  /** Take message i off the queue (a receive). */
  take(q: MsgQueue, i: number, pid: number): Msg {
    const m = q.msgs.removeAt(i);
    q.cbytes -= m.data.length;
    q.lrpid = pid;
    q.rtime = this.now();
    q.sendq.wake(0);
    return m;
  }

  /** IPC_RMID: the queue and its messages go; its sleepers wake to EIDRM. */
  rmid(q: MsgQueue): void {
    this.ids.remove(q);
    q.msgs.clear();
    q.cbytes = 0;
    q.sendq.wake(0);
    q.recvq.wake(0);
  }
}
