/**
 * POSIX message queues (ipc/mqueue.c): mq_open, mq_unlink, mq_timedsend,
 * mq_timedreceive, mq_notify, mq_getsetattr. Arguments are decoded here in
 * Linux's order of checks; the queues are the kernel's (kernel/ipc/mqueue.ts).
 *
 * Names come as the kernel takes them: glibc strips the leading '/' (and
 * refuses a name without one, EINVAL) before the syscall.
 *
 * Blocking: a send with no room and a receive with no message sleep (a
 * pipelined op readies them, or their CLOCK_REALTIME deadline's timer ends
 * them with ETIMEDOUT); a signal ends them with -ERESTARTSYS (wq_sleep), so
 * their rows restart them after an SA_RESTART handler (signal(7) lists them).
 * A step of the clock does not move a deadline already armed.
 *
 * SIGEV_THREAD wants a netlink socket (glibc's helper thread reads the
 * 32-byte cookie from it); umlts's NETLINK_ROUTE sockets take it.
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4 } from './types.js';
import { monotonicNs, Timer } from '../kernel/events.js';
import {
  MQ_ATTR_SIZE, MQ_ATTR_FLAGS, MQ_ATTR_MAXMSG, MQ_ATTR_MSGSIZE, MQ_ATTR_CURMSGS, MQ_PRIO_MAX, NOTIFY_COOKIE_LEN,
  NOTIFY_WOKENUP, NOTIFY_REMOVED,
} from '../abi/mqueue.js';
import { O_ACCMODE, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_CLOEXEC, O_NONBLOCK, O_RDWR, O_WRONLY } from '../abi/fcntl.js';
import { SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SI_MESGQ, NSIG } from '../abi/signal.js';
import { RLIMIT_MSGQUEUE } from '../abi/resource.js';
import { CAP_SYS_RESOURCE, CAP_FOWNER } from '../abi/capability.js';
import { AF_NETLINK } from '../abi/socket.js';
import { MqueueFile, MqueueInode, MqMsg, MqWaiter, MqNotify } from '../kernel/ipc/mqueue.js';
import { capable } from '../kernel/creds.js';
import { permission, nowNs, MAY_READ, MAY_WRITE } from '../fs/node.js';
import { Socket } from '../net/socket.js';
import { NetlinkSocket } from '../net/netlink.js';
import { getLimit } from './process.js';
import { fileOf } from './fd.js';
import { copyIn, copyOut, readStruct, writeStruct, writeU32, readPath, readTimespec, UserPtr } from './uaccess.js';

/** NAME_MAX: simple_lookup's bound on a name in the mqueue root */
const NAME_MAX = 255;

/**
 * getname and lookup_one_len's checks of a queue name: EFAULT, ENAMETOOLONG
 * at PATH_MAX, ENOENT for "", EACCES for "." and ".." and for a '/' in it,
 * ENAMETOOLONG past NAME_MAX (the root's lookup).
 */
function queueName(t: Task, addr: UserPtr): string | number {
  const name = readPath(t, addr);
  if (name === '') return -Errno.ENOENT;
  if (name === '.' || name === '..' || name.includes('/')) return -Errno.EACCES;
  if (new TextEncoder().encode(name).length > NAME_MAX) return -Errno.ENAMETOOLONG;
  return name;
}

/** The queue descriptor's file: EBADF for a bad fd or another kind of file. */
function mqFile(t: Task, fd: number): MqueueFile | number {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  return f instanceof MqueueFile ? f : -Errno.EBADF;
}

/** mq_open(2) (do_mq_open, prepare_open) */
export function sys_mq_open(t: Task, r: Regs): number {
  const nameAddr = r.get(A0), oflag = r.getI32(A1), mode = r.getU32(A2) & 0xffff, attrAddr = r.get(A3);
  const attr = attrAddr ? readStruct(t, attrAddr, MQ_ATTR_SIZE) : null;
  const attrVals = attr
    ? { maxmsg: Number(attr.getBigInt64(MQ_ATTR_MAXMSG, true)), msgsize: Number(attr.getBigInt64(MQ_ATTR_MSGSIZE, true)) }
    : null;
  const name = queueName(t, nameAddr);
  if (typeof name === 'number') return name;
  if (!t.files.hasRoom()) return -Errno.EMFILE; // get_unused_fd_flags comes before the lookup
  const ns = t.kernel.ipc.mq;
  let q = ns.lookup(name);
  if (!q) {
    if (!(oflag & O_CREAT)) return -Errno.ENOENT;
    // vfs_mkobj: the umask applies, S_IFREG is added; a new queue is opened without a permission check
    const c = t.creds;
    const made = ns.create(name, mode & ~t.fs.umask & 0o7777, c.fsuid, c.fsgid, c.uid, attrVals,
      capable(c, CAP_SYS_RESOURCE), getLimit(t, RLIMIT_MSGQUEUE)[0]);
    if (typeof made === 'number') return made;
    q = made;
  } else {
    if ((oflag & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) return -Errno.EEXIST;
    const acc = oflag & O_ACCMODE;
    if (acc === (O_RDWR | O_WRONLY)) return -Errno.EINVAL;
    const e = permission(q.stat(), t.creds, acc === O_WRONLY ? MAY_WRITE : acc === O_RDWR ? MAY_READ | MAY_WRITE : MAY_READ);
    if (e < 0) return e;
  }
  // dentry_open keeps the status flags but the open-time ones; the fd is always close-on-exec
  const f = new MqueueFile(q, oflag & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC), `/${name}`);
  return t.files.install(f, true);
}

/** mq_unlink(2): a name in the sticky root (01777, root's) goes if the caller owns the queue or has CAP_FOWNER. */
export function sys_mq_unlink(t: Task, r: Regs): number {
  const name = queueName(t, r.get(A0));
  if (typeof name === 'number') return name;
  const ns = t.kernel.ipc.mq;
  const q = ns.lookup(name);
  if (!q) return -Errno.ENOENT;
  // check_sticky: the root's owner is root
  if (t.creds.fsuid !== q.uid && t.creds.fsuid !== 0 && !capable(t.creds, CAP_FOWNER)) return -Errno.EPERM;
  ns.unlink(q, name);
  return 0;
}

/** A send or receive asleep: its waiter, its timer, and whether the timer fired. */
interface MqSleep {
  readonly q: MqueueInode;
  readonly w: MqWaiter;
  timer: Timer | null;
  timedOut: boolean;
}

/** The absolute CLOCK_REALTIME timeout at addr (prepare_timeout: EFAULT, EINVAL), in ns; null for none. */
function absTimeout(t: Task, addr: UserPtr): bigint | null {
  return addr ? readTimespec(t, addr) : null;
}

/** Leave q's sleepers (a wake, a signal, a timeout). */
function unsleep(t: Task, s: MqSleep, list: MqWaiter[]): void {
  const i = list.indexOf(s.w);
  if (i >= 0) list.splice(i, 1);
  if (s.timer) t.kernel.events.cancelTimer(s.timer);
  s.timer = null;
}

/**
 * wq_sleep: put t on list until a pipelined op readies it or the realtime
 * deadline passes (ETIMEDOUT at once if it has). done(): the call's result
 * once ready, also when a signal comes after the op made it ready.
 */
function mqSleep(t: Task, q: MqueueInode, list: MqWaiter[], deadline: bigint | null, msg: MqMsg | null,
  done: (w: MqWaiter) => number): number {
  const left = deadline === null ? null : deadline - t.kernel.realtimeNs();
  if (left !== null && left <= 0n) return -Errno.ETIMEDOUT;
  const k = t.kernel;
  const s: MqSleep = { q, w: { msg, ready: false, wake: () => k.wake(t) }, timer: null, timedOut: false };
  list.push(s.w);
  if (left !== null) {
    s.timer = k.events.addTimer(monotonicNs() + left, () => {
      s.timedOut = true;
      k.wake(t);
    });
  }
  t.sc.state = s;
  t.sc.cleanup = () => {
    unsleep(t, s, list);
    return s.w.ready ? done(s.w) : undefined;
  };
  return t.sleep();
}

/** The re-run of a send or receive after its wake: its result, or null to sleep again (a wake for nothing). */
function mqWoken(t: Task, list: (q: MqueueInode) => MqWaiter[], done: (w: MqWaiter) => number): number | null {
  const s = t.sc.state as MqSleep | null;
  if (!s) return null;
  t.sc.state = null;
  t.sc.cleanup = null;
  unsleep(t, s, list(s.q));
  if (s.w.ready) return done(s.w);
  if (s.timedOut) return -Errno.ETIMEDOUT;
  return null;
}

/** mq_timedsend(2) */
export function sys_mq_timedsend(t: Task, r: Regs): number {
  const mqdes = r.getI32(A0), ptr = r.get(A1), len = r.get(A2), prio = r.getU32(A3), tsAddr = r.get(A4);
  const woken = mqWoken(t, (q) => q.senders, () => 0);
  if (woken !== null) return woken;
  const deadline = absTimeout(t, tsAddr);
  if (prio >= MQ_PRIO_MAX) return -Errno.EINVAL;
  const f = mqFile(t, mqdes);
  if (typeof f === 'number') return f;
  if (!f.writable) return -Errno.EBADF;
  const q = f.inode;
  if (len > q.msgsize) return -Errno.EMSGSIZE;
  const m: MqMsg = { prio, data: copyIn(t, ptr, len) };
  if (q.curmsgs >= q.maxmsg) {
    if (f.nonblock) return -Errno.EAGAIN;
    return mqSleep(t, q, q.senders, deadline, m, () => 0);
  }
  q.send(m, t.pid, t.creds.uid);
  return 0;
}

/** mq_timedreceive(2): the message's length; its priority to prioAddr if not NULL. */
export function sys_mq_timedreceive(t: Task, r: Regs): number {
  const mqdes = r.getI32(A0), ptr = r.get(A1), len = r.get(A2), prioAddr = r.get(A3), tsAddr = r.get(A4);
  // the message goes out last; a fault loses it, as on Linux (free_msg after a failed store_msg)
  const deliver = (m: MqMsg): number => {
    try {
      if (prioAddr) writeU32(t, prioAddr, m.prio);
      copyOut(t, ptr, m.data);
    } catch (e) {
      if (e instanceof ErrnoError) return -e.errno;
      throw e;
    }
    return m.data.length;
  };
  const woken = mqWoken(t, (q) => q.receivers, (w) => deliver(w.msg!));
  if (woken !== null) return woken;
  const deadline = absTimeout(t, tsAddr);
  const f = mqFile(t, mqdes);
  if (typeof f === 'number') return f;
  if (!f.readable) return -Errno.EBADF;
  const q = f.inode;
  if (len < q.msgsize) return -Errno.EMSGSIZE;
  if (q.curmsgs === 0) {
    if (f.nonblock) return -Errno.EAGAIN;
    return mqSleep(t, q, q.receivers, deadline, null, (w) => deliver(w.msg!));
  }
  return deliver(q.receive());
}

/** struct sigevent's offsets: sigev_value (8 bytes), sigev_signo, sigev_notify */
const SIGEV_VALUE = 0, SIGEV_SIGNO = 8, SIGEV_NOTIFY = 12, SIGEVENT_SIZE = 64;

/** mq_notify(2) (do_mq_notify) */
export function sys_mq_notify(t: Task, r: Regs): number {
  const mqdes = r.getI32(A0), sevAddr = r.get(A1);
  const k = t.kernel, tg = t.tg;
  let sev: { kind: number; signo: number; value: bigint } | null = null;
  let sock: NetlinkSocket | null = null, cookie: Uint8Array | null = null;
  if (sevAddr) {
    const dv = readStruct(t, sevAddr, SIGEVENT_SIZE);
    sev = { kind: dv.getInt32(SIGEV_NOTIFY, true), signo: dv.getInt32(SIGEV_SIGNO, true), value: dv.getBigUint64(SIGEV_VALUE, true) };
    if (sev.kind !== SIGEV_NONE && sev.kind !== SIGEV_SIGNAL && sev.kind !== SIGEV_THREAD) return -Errno.EINVAL;
    if (sev.kind === SIGEV_SIGNAL && (sev.signo < 0 || sev.signo > NSIG)) return -Errno.EINVAL; // valid_signal
    if (sev.kind === SIGEV_THREAD) {
      cookie = copyIn(t, Number(sev.value), NOTIFY_COOKIE_LEN);
      // netlink_getsockbyfilp: a socket, of AF_NETLINK
      const sf = fileOf(t, sev.signo);
      if (typeof sf === 'number') return sf;
      if (!(sf instanceof Socket)) return -Errno.ENOTSOCK;
      if (sf.family !== AF_NETLINK || !(sf instanceof NetlinkSocket)) return -Errno.EINVAL;
      sock = sf;
    }
  }
  const f = mqFile(t, mqdes);
  if (typeof f === 'number') return f;
  const q = f.inode;
  const owner = q.owner();
  if (!sev) {
    if (owner && owner.tgid === tg.tgid) q.removeNotification();
    return 0;
  }
  if (owner) return -Errno.EBUSY;
  const s = sev;
  const alive = (): boolean => tg.exitStatus === null && !tg.zombie;
  let fire: MqNotify['fire'] = () => {};
  let removed: MqNotify['removed'] = () => {};
  if (s.kind === SIGEV_SIGNAL) {
    // signo 0 registers but sends nothing (__do_notify)
    if (s.signo) fire = (pid, uid) => k.signalProcess(tg, s.signo, { signo: s.signo, code: SI_MESGQ, pid, uid, value: s.value });
  } else if (s.kind === SIGEV_THREAD) {
    const nl = sock!.get(), c = cookie!;
    const send = (why: number): void => {
      const d = c.slice();
      d[NOTIFY_COOKIE_LEN - 1] = why;
      nl.deliverNotify(d);
      nl.put();
    };
    fire = () => send(NOTIFY_WOKENUP);
    removed = () => send(NOTIFY_REMOVED);
  }
  q.notify = { kind: s.kind, signo: s.kind === SIGEV_SIGNAL ? s.signo : 0, tgid: tg.tgid, alive, fire, removed };
  q.atimeNs = q.ctimeNs = nowNs();
  return 0;
}

/** mq_getsetattr(2): the attributes and the description's O_NONBLOCK; only O_NONBLOCK may be set. */
export function sys_mq_getsetattr(t: Task, r: Regs): number {
  const mqdes = r.getI32(A0), newAddr = r.get(A1), oldAddr = r.get(A2);
  const nw = newAddr ? readStruct(t, newAddr, MQ_ATTR_SIZE) : null;
  const newFlags = nw ? nw.getBigInt64(MQ_ATTR_FLAGS, true) : 0n;
  if (newFlags & ~BigInt(O_NONBLOCK)) return -Errno.EINVAL;
  const f = mqFile(t, mqdes);
  if (typeof f === 'number') return f;
  const q = f.inode;
  const old = { flags: f.flags & O_NONBLOCK, maxmsg: q.maxmsg, msgsize: q.msgsize, curmsgs: q.curmsgs };
  if (nw) {
    f.flags = newFlags ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
    q.atimeNs = q.ctimeNs = nowNs();
  }
  if (oldAddr) {
    writeStruct(t, oldAddr, MQ_ATTR_SIZE, (dv) => {
      dv.setBigInt64(MQ_ATTR_FLAGS, BigInt(old.flags), true);
      dv.setBigInt64(MQ_ATTR_MAXMSG, BigInt(old.maxmsg), true);
      dv.setBigInt64(MQ_ATTR_MSGSIZE, BigInt(old.msgsize), true);
      dv.setBigInt64(MQ_ATTR_CURMSGS, BigInt(old.curmsgs), true);
    });
  }
  return 0;
}
