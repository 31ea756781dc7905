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

/** struct msg_queue. Guarded by the JS thread. */
export class MsgQueue {
  readonly msgs: Msg[] = [];
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
      if (m.type <= bound && (best < 0 || m.type < q.msgs[best]!.type)) best = i;
    });
    return best;
  }

  /** Take message i off the queue (a receive). */
  take(q: MsgQueue, i: number, pid: number): Msg {
    const m = q.msgs.splice(i, 1)[0]!;
    q.cbytes -= m.data.length;
    q.lrpid = pid;
    q.rtime = this.now();
    q.sendq.wake(0);
    return m;
  }

  /** IPC_RMID: the queue and its messages go; its sleepers wake to EIDRM. */
  rmid(q: MsgQueue): void {
    this.ids.remove(q);
    q.msgs.length = 0;
    q.cbytes = 0;
    q.sendq.wake(0);
    q.recvq.wake(0);
  }
}
