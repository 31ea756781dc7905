/**
 * POSIX message queues (ipc/mqueue.c): the queue namespace (what Linux
 * keeps as the mqueue filesystem's root directory: one flat set of names),
 * each queue's messages by priority, its blocked senders and receivers, its
 * mq_notify registration, and the open file a queue descriptor is.
 *
 * Messages are handed over as Linux's pipelined_send and pipelined_receive
 * do: a send with a receiver asleep gives the message to that receiver (the
 * queue never holds it); a receive that makes room takes the first asleep
 * sender's message into the queue. Sleepers wait in arrival order (Linux
 * orders them by nice value first; umlts's are all equal for this).
 *
 * The syscall layer (syscalls/mqueue.ts) does the sleeping, the copying and
 * the signalling; this file keeps the state.
 *
 * Ownership: the namespace, its queues and their files are guarded by the
 * JS thread; nothing spans an await.
 */
import { Errno } from '../../abi/errno.js';
import { S_IFREG } from '../../abi/stat.js';
import { O_NONBLOCK } from '../../abi/fcntl.js';
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from '../../abi/poll.js';
import { SIGEV_SIGNAL } from '../../abi/signal.js';
import {
  DFLT_MSG, DFLT_MSGMAX, DFLT_MSGSIZE, DFLT_MSGSIZEMAX, DFLT_QUEUESMAX, FILENT_SIZE, HARD_MSGMAX, HARD_MSGSIZEMAX, MQ_PRIO_MAX, MSG_MSG_SIZE,
  POSIX_MSG_TREE_NODE_SIZE,
} from '../../abi/mqueue.js';
import { File } from '../../fs/file.js';
import { WaitQueue } from '../../fs/waitqueue.js';
import { seekIn, nowNs } from '../../fs/node.js';
import type { Stat } from '../../fs/types.js';

/** the mqueue superblock's device number (an anonymous one, as Linux's mount of "mqueue" gets) */
const MQUEUE_DEV = 0x13;

/** struct msg_msg of a POSIX queue: m_type is the priority. Immutable. */
export interface MqMsg {
  readonly prio: number;
  readonly data: Uint8Array;
}

/**
 * struct ext_wait_queue: a task asleep in mq_timedsend (msg: what it sends)
 * or mq_timedreceive (msg: what a sender handed it). Written by its task and
 * by the pipelined op that readies it; guarded by the JS thread.
 */
export interface MqWaiter {
  msg: MqMsg | null;
  /** STATE_READY: the op is done for it (its message is in, or it has one) */
  ready: boolean;
  /** make its task runnable (kernel.wake) */
  readonly wake: () => void;
}

/**
 * A registration (info->notify_owner and info->notify). fire sends it (the
 * signal, or the SIGEV_THREAD cookie); removed sends SIGEV_THREAD's
 * NOTIFY_REMOVED. Immutable.
 */
export interface MqNotify {
  /** sigev_notify */
  readonly kind: number;
  readonly signo: number;
  /** the registering process */
  readonly tgid: number;
  /** it is still there (a process that exits closes its descriptors: the registration goes) */
  readonly alive: () => boolean;
  /** senderPid, senderUid: si_pid and si_uid of SIGEV_SIGNAL's siginfo */
  readonly fire: (senderPid: number, senderUid: number) => void;
  readonly removed: () => void;
}

/** struct mqueue_inode_info with its inode. Guarded by the JS thread. */
export class MqueueInode {
  /** messages, highest priority first, FIFO within one */
  readonly msgs: MqMsg[] = [];
  /** info->qsize: the bytes of the messages queued */
  qsize = 0;
  /** e_wait_q[SEND], e_wait_q[RECV]: sleepers in arrival order */
  readonly senders: MqWaiter[] = [];
  readonly receivers: MqWaiter[] = [];
  /** info->wait_q: pollers */
  readonly waitq = new WaitQueue();
  notify: MqNotify | null = null;
  /** gone from the namespace (mq_unlink); it lives on while open */
  unlinked = false;
  /** open files */
  opens = 0;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;

  constructor(
    /** immutable */
    readonly ns: MqueueNamespace,
    readonly ino: number,
    /** S_IFREG | permission bits; immutable (no chmod: the filesystem is not mounted) */
    readonly mode: number,
    /** owner (the creator's fsuid, fsgid); immutable */
    readonly uid: number,
    readonly gid: number,
    /** mq_maxmsg, mq_msgsize; immutable */
    readonly maxmsg: number,
    readonly msgsize: number,
    /** the user charged for RLIMIT_MSGQUEUE (the creator's real uid) and how much; immutable */
    readonly chargedUid: number,
    readonly charged: number,
  ) {
    this.atimeNs = this.mtimeNs = this.ctimeNs = nowNs();
  }

  get curmsgs(): number {
    return this.msgs.length;
  }

  /** The registration, unless its process has gone. */
  owner(): MqNotify | null {
    if (this.notify && !this.notify.alive()) this.notify = null;
    return this.notify;
  }

  /** msg_insert: after the last message of its priority or above. */
  insert(m: MqMsg): void {
    let i = this.msgs.length;
    while (i > 0 && this.msgs[i - 1]!.prio < m.prio) i--;
    this.msgs.splice(i, 0, m);
    this.qsize += m.data.length;
  }

  /**
   * The send's work once there is room (do_mq_timedsend): to the first
   * receiver asleep (pipelined_send), or into the queue, then a notification
   * if the queue was empty (__do_notify). senderPid/Uid: for the notification.
   */
  send(m: MqMsg, senderPid: number, senderUid: number): void {
    const r = this.receivers.shift();
    if (r) {
      r.msg = m;
      r.ready = true;
      r.wake();
    } else {
      this.insert(m);
      const n = this.owner();
      if (n && this.curmsgs === 1) {
        this.notify = null; // one-shot: the registration goes as it fires
        n.fire(senderPid, senderUid);
      }
      this.waitq.wake(POLLIN | POLLRDNORM);
    }
    this.atimeNs = this.mtimeNs = this.ctimeNs = nowNs();
  }

  /** The receive's work (msg_get, pipelined_receive): the first message; the first sender asleep puts its own in. */
  receive(): MqMsg {
    const m = this.msgs.shift()!;
    this.qsize -= m.data.length;
    this.atimeNs = this.mtimeNs = this.ctimeNs = nowNs();
    const s = this.senders.shift();
    if (s) {
      this.insert(s.msg!);
      s.ready = true;
      s.wake();
    } else {
      this.waitq.wake(POLLOUT | POLLWRNORM);
    }
    return m;
  }

  /** remove_notification (mq_notify(NULL) by the owner). */
  removeNotification(): void {
    const n = this.notify;
    this.notify = null;
    n?.removed();
  }

  stat(): Stat {
    return {
      dev: MQUEUE_DEV, ino: this.ino, mode: this.mode, nlink: this.unlinked ? 0 : 1, uid: this.uid, gid: this.gid,
      rdev: 0, size: FILENT_SIZE, blksize: 4096, blocks: 0, atimeNs: this.atimeNs, mtimeNs: this.mtimeNs, ctimeNs: this.ctimeNs,
    };
  }

  /** mqueue_read_file's line. */
  statusLine(): string {
    const n = this.owner();
    const pad = (v: number | string, w: number): string => String(v).padEnd(w);
    return `QSIZE:${pad(this.qsize, 10)} NOTIFY:${pad(n ? n.kind : 0, 5)} ` +
      `SIGNO:${pad(n && n.kind === SIGEV_SIGNAL ? n.signo : 0, 5)} NOTIFY_PID:${pad(n ? n.tgid : 0, 6)}\n`;
  }
}

/** A queue descriptor's open file (mqueue_file_operations). Guarded by the JS thread. */
export class MqueueFile extends File {
  private closed = false;
  constructor(readonly inode: MqueueInode, flags: number, path: string) {
    super(flags, path);
    inode.opens++;
  }
  /** mqueue_read_file: the status line, read like a small file */
  override read(buf: Uint8Array, pos: number | null): number {
    const text = new TextEncoder().encode(this.inode.statusLine());
    const at = pos ?? this.pos;
    if (at >= text.length) return 0;
    const n = Math.min(buf.length, text.length - at);
    buf.set(text.subarray(at, at + n));
    if (pos === null) this.pos = at + n;
    this.inode.atimeNs = this.inode.ctimeNs = nowNs();
    return n;
  }
  /** default_llseek over i_size (FILENT_SIZE) */
  override seek(off: number, whence: number): number {
    return seekIn(this, off, whence, FILENT_SIZE);
  }
  override stat(): Stat {
    return this.inode.stat();
  }
  /** mqueue_poll_file */
  override poll(): number {
    const q = this.inode;
    return (q.curmsgs ? POLLIN | POLLRDNORM : 0) | (q.curmsgs < q.maxmsg ? POLLOUT | POLLWRNORM : 0);
  }
  override get waitq(): WaitQueue {
    return this.inode.waitq;
  }
  get nonblock(): boolean {
    return (this.flags & O_NONBLOCK) !== 0;
  }
  /** mqueue_flush_file: the owner's registration goes as it closes any descriptor of the queue */
  override flush(tgid: number): void {
    if (this.inode.notify?.tgid === tgid) this.inode.removeNotification();
  }
  protected override release(): void {
    if (this.closed) return;
    this.closed = true;
    this.inode.ns.put(this.inode);
  }
}

/**
 * struct ipc_namespace's mqueue part: the names, the /proc/sys/fs/mqueue
 * limits, the queue count and each user's RLIMIT_MSGQUEUE charge
 * (UCOUNT_RLIMIT_MSGQUEUE). Guarded by the JS thread.
 */
export class MqueueNamespace {
  /** the mqueue root directory's entries */
  private readonly names = new Map<string, MqueueInode>();
  /** mq_queues_count: queues that exist, named or still open after their unlink */
  queuesCount = 0;
  /** /proc/sys/fs/mqueue: queues_max, msg_max, msgsize_max, msg_default, msgsize_default */
  queuesMax = DFLT_QUEUESMAX;
  msgMax = DFLT_MSGMAX;
  msgsizeMax = DFLT_MSGSIZEMAX;
  msgDefault = DFLT_MSG;
  msgsizeDefault = DFLT_MSGSIZE;
  /** bytes charged per real uid */
  private readonly charges = new Map<number, number>();
  private nextIno = 1;

  lookup(name: string): MqueueInode | undefined {
    return this.names.get(name);
  }

  /**
   * mqueue_create_attr and mqueue_get_inode: a new queue named name, with
   * attr's maxmsg and msgsize or the defaults. sysResource: the caller holds
   * CAP_SYS_RESOURCE; rlimit: its RLIMIT_MSGQUEUE soft limit.
   */
  create(name: string, mode: number, fsuid: number, fsgid: number, ruid: number,
    attr: { maxmsg: number; msgsize: number } | null, sysResource: boolean, rlimit: number): MqueueInode | number {
    if (this.queuesCount >= this.queuesMax && !sysResource) return -Errno.ENOSPC;
    let maxmsg = Math.min(this.msgMax, this.msgDefault), msgsize = Math.min(this.msgsizeMax, this.msgsizeDefault);
    if (attr) ({ maxmsg, msgsize } = attr);
    if (maxmsg <= 0 || msgsize <= 0) return -Errno.EINVAL;
    if (sysResource ? maxmsg > HARD_MSGMAX || msgsize > HARD_MSGSIZEMAX : maxmsg > this.msgMax || msgsize > this.msgsizeMax) {
      return -Errno.EINVAL;
    }
    // both are within HARD_MSGMAX and HARD_MSGSIZEMAX here, so nothing overflows (EOVERFLOW)
    const bytes = maxmsg * msgsize + maxmsg * MSG_MSG_SIZE + Math.min(maxmsg, MQ_PRIO_MAX) * POSIX_MSG_TREE_NODE_SIZE;
    const had = this.charges.get(ruid) ?? 0;
    if (had + bytes > rlimit) return -Errno.EMFILE;
    this.charges.set(ruid, had + bytes);
    this.queuesCount++;
    const q = new MqueueInode(this, this.nextIno++, S_IFREG | mode, fsuid, fsgid, maxmsg, msgsize, ruid, bytes);
    this.names.set(name, q);
    return q;
  }

  /** mq_unlink's work: the name goes; the queue lives while open. */
  unlink(q: MqueueInode, name: string): void {
    this.names.delete(name);
    q.unlinked = true;
    if (q.opens === 0) this.evict(q);
  }

  /** A file of q closed. */
  put(q: MqueueInode): void {
    if (--q.opens === 0 && q.unlinked) this.evict(q);
  }

  /** mqueue_evict_inode: the queue's charge and count go. */
  private evict(q: MqueueInode): void {
    q.removeNotification();
    this.queuesCount--;
    const left = (this.charges.get(q.chargedUid) ?? 0) - q.charged;
    if (left > 0) this.charges.set(q.chargedUid, left);
    else this.charges.delete(q.chargedUid);
  }
}
