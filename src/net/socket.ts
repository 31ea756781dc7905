/**
 * struct socket + struct sock (net/socket.c, net/core/sock.c): a socket is a
 * File on sockfs with the protocol operations of its family, and the
 * SOL_SOCKET options every family shares.
 *
 * Protocol operations take and return JS values, never guest memory: the
 * syscall layer (syscalls/socket.ts) decodes sockaddrs, iovecs and control
 * messages and hands a socket bytes. "Would block" is -EAGAIN plus the
 * socket's wait queue, as for every File; the syscall layer sleeps on it,
 * honouring O_NONBLOCK, MSG_DONTWAIT and SO_RCVTIMEO/SO_SNDTIMEO.
 *
 * Ownership: sockets are touched only on the JS thread, by the syscalls of
 * the tasks holding them (and of their peers, which queue data on them).
 */
import { Errno } from '../abi/errno.js';
import * as S from '../abi/socket.js';
import { File, UserMemory } from '../fs/file.js';
import { Stat, S_IFSOCK, O_RDWR } from '../fs/types.js';
import { WaitQueue, POLLIN, POLLRDNORM, POLLOUT } from '../fs/waitqueue.js';
import { POLL_IN, POLL_OUT, POLL_HUP } from '../abi/signal.js';
import { PseudoInodeAttrs, SetAttr } from '../fs/node.js';
import type { FsCaller } from '../fs/vfs.js';
import type { NetStack } from './stack.js';
import { fsCapable } from '../fs/node.js';
import { CAP_NET_ADMIN, CAP_NET_RAW } from '../abi/capability.js';

/** sockfs's device number (an anonymous superblock) */
const SOCKFS_DEV = 0x8;
/** /proc/sys/net/core/{w,r}mem_max and the minimums of sock_setsockopt */
export const WMEM_MAX = 212992, RMEM_MAX = 212992, SOCK_MIN_SNDBUF = 4608, SOCK_MIN_RCVBUF = 2304;

/** Who is calling: a Task fits. pid for credentials passed with messages. */
export interface SockCaller extends FsCaller {
  readonly pid: number;
  readonly creds: FsCaller['creds'] & { readonly uid: number; readonly gid: number; readonly euid: number };
}

/** struct ucred */
export interface Ucred {
  pid: number;
  uid: number;
  gid: number;
}

/** Per-packet IP header fields a sender asked for (IP_TTL, IP_TOS, IPV6_HOPLIMIT, IPV6_TCLASS control messages). */
export interface IpSendOpts {
  ttl?: number;
  tos?: number;
  hoplimit?: number;
  tclass?: number;
}

/** What a datagram's IP header said, for the receiver's IP_RECVTTL, IPV6_RECVHOPLIMIT... */
export interface IpMeta {
  v4: boolean;
  /** TTL / hop limit, TOS / traffic class */
  hops: number;
  tclass: number;
  /** the destination address (16 bytes, v4-mapped for IPv4), for IP_PKTINFO */
  dst: Uint8Array;
}

/** Ancillary data a message carries in the kernel (struct scm_cookie): files hold a reference each. */
export interface Scm {
  files: File[] | null;
  cred: Ucred | null;
  /** inet: the sender's per-packet IP options (sendmsg), then the packet's header fields (queued) */
  ipSend?: IpSendOpts;
  ip?: IpMeta;
}

/** One control message for the receiver (recvmsg's msg_control). */
export interface Cmsg {
  level: number;
  type: number;
  data: Uint8Array;
}

/** What a receive reports besides the bytes (the sockaddr, control data, msg_flags). */
export interface RecvInfo {
  /** the sender's sockaddr, encoded (null: none, msg_namelen 0) */
  from: Uint8Array | null;
  /** files and credentials that came with the data; the receiver installs or drops them */
  scm: Scm | null;
  /** MSG_TRUNC, MSG_EOR... for msg_flags */
  flags: number;
  /** the whole datagram's length (for MSG_TRUNC's return value) */
  fullLen: number;
  /** protocol control messages (IP_TTL, IPV6_HOPLIMIT...), after SCM_CREDENTIALS and SCM_RIGHTS */
  cmsgs: Cmsg[] | null;
  /** the room the receiver has for control data (recvmsg's msg_controllen; 0 for recv and read), set by the caller */
  ctlRoom: number;
}

export function newRecvInfo(): RecvInfo {
  return { from: null, scm: null, flags: 0, fullLen: 0, cmsgs: null, ctlRoom: 0 };
}

/**
 * The caller's side of a send or receive that copies straight between its
 * buffers and a socket's queue (msg->msg_iter): the syscall layer's iovec
 * iterator over guest memory, so a stream's bytes are copied once each way
 * rather than through a kernel buffer. Each copy moves up to n bytes from
 * or to buf[at..], advances the position and returns the bytes moved
 * (fewer when the guest's memory faults part-way).
 */
export interface MsgIter {
  /** copy_from_iter: the next n bytes into dst[at..] */
  fromUser(dst: Uint8Array, at: number, n: number): number;
  /** copy_to_iter: src[at .. at+n) to the next n bytes */
  toUser(src: Uint8Array, at: number, n: number): number;
  /** skip n bytes */
  advance(n: number): void;
}

/** A MsgIter over a kernel buffer (a send or receive from inside the kernel: sendfile, splice); it never faults. Owned by its caller. */
export class BufIter implements MsgIter {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  fromUser(dst: Uint8Array, at: number, n: number): number {
    const k = Math.min(n, this.buf.length - this.pos);
    dst.set(this.buf.subarray(this.pos, this.pos + k), at);
    this.pos += k;
    return k;
  }
  toUser(src: Uint8Array, at: number, n: number): number {
    const k = Math.min(n, this.buf.length - this.pos);
    this.buf.set(src.subarray(at, at + k), this.pos);
    this.pos += k;
    return k;
  }
  advance(n: number): void {
    this.pos += n;
  }
}

/** Drop what an undelivered message carried. */
/** A socket whose received messages may carry files (SCM_RIGHTS): the unix garbage collector's view (stack.ts). */
export interface InflightHolder {
  /** the files its queued messages carry */
  queuedFiles(): File[];
  /** drop every queued message's files (a socket found unreachable: its queue will never be read) */
  dropQueuedFiles(): void;
}

/** The files a receive queue's messages carry (InflightHolder.queuedFiles of a stream's or a datagram socket's). */
export function queuedScmFiles(queue: ReadonlyArray<{ scm: Scm | null }>): File[] {
  const r: File[] = [];
  for (const m of queue) if (m.scm?.files) r.push(...m.scm.files);
  return r;
}
/** Drop the files a receive queue's messages carry, keeping the messages (InflightHolder.dropQueuedFiles). */
export function dropQueuedScmFiles(queue: Array<{ scm: Scm | null }>): void {
  for (const m of queue) {
    if (!m.scm?.files) continue;
    const files = m.scm.files;
    m.scm = { files: null, cred: m.scm.cred };
    for (const f of files) f.put();
  }
}

export function scmRelease(scm: Scm | null): void {
  if (scm?.files) for (const f of scm.files) f.put();
}

/** A 4-byte int option value. */
export function intOpt(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}
/** The int an option's value starts with (EINVAL if shorter than an int: sock_setsockopt's rule). */
export function readIntOpt(val: Uint8Array): number {
  if (val.length < 4) return NaN;
  return new DataView(val.buffer, val.byteOffset, 4).getInt32(0, true);
}

/** A struct timeval option value (SO_RCVTIMEO): ns, 0n meaning "forever" as Linux keeps it. */
function timevalOpt(ns: bigint): Uint8Array {
  const b = new Uint8Array(16), dv = new DataView(b.buffer);
  dv.setBigInt64(0, ns / 1_000_000_000n, true);
  dv.setBigInt64(8, (ns % 1_000_000_000n) / 1000n, true);
  return b;
}

export abstract class Socket extends File {
  /** sk_wq: readers, writers, acceptors, connectors and pollers of this socket; immutable reference */
  readonly wq = new WaitQueue();
  /** sockfs inode number; immutable */
  readonly ino: number;
  /** the sockfs inode's mode, owner (the creator's fsuid/fsgid) and times (0: sock_alloc sets none) until fchmod,
   * fchown or futimens; immutable reference */
  readonly attrs: PseudoInodeAttrs;
  /** sk_err: a pending asynchronous error (SO_ERROR reads and clears it); guarded by the JS thread */
  soError = 0;
  /** sk_shutdown (RCV_SHUTDOWN | SEND_SHUTDOWN); guarded by the JS thread (own shutdown, the peer's close) */
  shut = 0;
  // SOL_SOCKET options; owned by the holders' setsockopt calls
  reuseAddr = false;
  reusePort = false;
  keepAlive = false;
  passCred = false;
  broadcast = false;
  oobInline = false;
  dontRoute = false;
  timestamp = false;
  priority = 0;
  mark = 0;
  rcvLowat = 1;
  lingerOn = 0;
  lingerSecs = 0;
  sndBuf: number;
  rcvBuf: number;
  /** SO_SNDBUF or SO_RCVBUF was set (SOCK_SNDBUF_LOCK / SOCK_RCVBUF_LOCK: no autotuning) */
  bufsSet = false;
  /** SO_RCVTIMEO / SO_SNDTIMEO in ns; 0n: wait forever */
  rcvTimeoNs = 0n;
  sndTimeoNs = 0n;

  constructor(
    /** the kernel's network stack; immutable reference */
    readonly net: NetStack,
    /** AF_*, SOCK_* (without flags), protocol: immutable */
    readonly family: number,
    readonly type: number,
    readonly protocol: number,
    flags: number,
    owner: { uid: number; gid: number },
    bufs: { snd: number; rcv: number },
  ) {
    const ino = net.allocIno();
    super(O_RDWR | flags, `socket:[${ino}]`);
    this.ino = ino;
    this.attrs = new PseudoInodeAttrs(0o777, owner.uid, owner.gid, 0n, 0n, 0n);
    this.sndBuf = bufs.snd;
    this.rcvBuf = bufs.rcv;
  }

  /** (f_op->fasync: O_ASYNC signals the owner) */
  override get fasyncCapable(): boolean {
    return true;
  }
  /** SOCKWQ_ASYNC_NOSPACE: a send found no room; the next room that comes is POLL_OUT to the owner (and only
   * then); guarded by the JS thread (the family's sends set it, fasyncReason clears it) */
  asyncNoSpace = false;
  /**
   * sk_wake_async's reasons: data came (POLL_IN); room came after a send
   * found none (POLL_OUT); urgent data (POLL_PRI); a shutdown or close by
   * the peer: POLL_HUP once both ways are shut, POLL_IN when only its
   * sending is.
   */
  override fasyncReason(events: number): number {
    if (events & POLLOUT) {
      if (!this.asyncNoSpace) return 0;
      this.asyncNoSpace = false;
      return POLL_OUT;
    }
    if (events === 0) return this.shut === S.SHUTDOWN_MASK ? POLL_HUP : this.shut & S.RCV_SHUTDOWN ? POLL_IN : 0;
    return super.fasyncReason(events);
  }
  override get waitq(): WaitQueue {
    return this.wq;
  }

  /** the inode's owner: sock_i_uid (port reuse asks it); fchown changes it */
  get uid(): number {
    return this.attrs.uid;
  }
  get gid(): number {
    return this.attrs.gid;
  }

  override stat(): Stat {
    const a = this.attrs;
    return {
      dev: SOCKFS_DEV, ino: this.ino, mode: S_IFSOCK | a.perm, nlink: 1, uid: a.uid, gid: a.gid, rdev: 0,
      size: 0, blksize: 4096, blocks: 0, atimeNs: a.atimeNs, mtimeNs: a.mtimeNs, ctimeNs: a.ctimeNs,
    };
  }
  override setattr(a: SetAttr): number {
    return this.attrs.setattr(a);
  }

  // ---- protocol operations (struct proto_ops); defaults are sock_no_* answers ----

  bind(_addr: Uint8Array, _c: SockCaller): number {
    return -Errno.EOPNOTSUPP;
  }
  /** -EAGAIN: would block (sleep on wq and call again); -EINPROGRESS: started, non-blocking. */
  connect(_addr: Uint8Array, _c: SockCaller, _nonblock: boolean): number {
    return -Errno.EOPNOTSUPP;
  }
  listen(_backlog: number, _c: SockCaller): number {
    return -Errno.EOPNOTSUPP;
  }
  /** The next connection (a new socket with flags as its status flags), or -EAGAIN, -EINVAL... */
  accept(_flags: number): Socket | number {
    return -Errno.EOPNOTSUPP;
  }
  /** getsockname (peer false) / getpeername (peer true): the encoded sockaddr or -errno. */
  abstract name(peer: boolean): Uint8Array | number;
  /**
   * Queue data (sendmsg). to: an encoded destination (null: the connected
   * peer). Bytes taken, or -errno: -EAGAIN when nothing fits now, -EPIPE
   * (the syscall layer raises SIGPIPE), -EMSGSIZE... On success the socket
   * owns scm's references; on failure the caller still does. c: null for a
   * write from inside the kernel (sendfile), which passes no credentials.
   */
  abstract send(data: Uint8Array, flags: number, to: Uint8Array | null, scm: Scm | null, c: SockCaller | null): number;
  /** Take data (recvmsg) into buf; bytes copied, 0 at EOF, or -errno (-EAGAIN: nothing yet). */
  abstract recv(buf: Uint8Array, flags: number, info: RecvInfo): number;
  shutdown(_how: number): number {
    return -Errno.EOPNOTSUPP;
  }
  /** Put back the tail of what recv() took that the reader's buffer could not hold (a fault part-way):
   * a stream keeps it at the front; a datagram is dropped, as Linux frees an skb it could not copy. */
  unrecv(_data: Uint8Array): void {}
  /** Connection-oriented types ask for whole-length sends (a blocking stream send waits for room for all of it). */
  get streaming(): boolean {
    return false;
  }

  // ---- options ----

  /** setsockopt at a protocol level (not SOL_SOCKET). */
  protected setProtoOpt(_level: number, _name: number, _val: Uint8Array): number {
    return -Errno.EOPNOTSUPP;
  }
  protected getProtoOpt(_level: number, _name: number): Uint8Array | number {
    return -Errno.EOPNOTSUPP;
  }
  /** SO_PEERCRED: the peer's credentials (default: none, as a TCP socket answers). */
  protected peerCred(): Ucred | null {
    return null;
  }
  /** SO_ACCEPTCONN */
  protected get listening(): boolean {
    return false;
  }
  /** A receive-buffer change may let a sender go on. */
  protected bufsChanged(): void {
    this.wq.wake(0);
  }

  setsockopt(level: number, name: number, val: Uint8Array, c: SockCaller): number {
    if (level !== S.SOL_SOCKET) return this.setProtoOpt(level, name, val);
    // sock_setsockopt: the timeouts and linger are structs, the rest ints
    if (name === S.SO_RCVTIMEO || name === S.SO_SNDTIMEO) {
      if (val.length < 16) return -Errno.EINVAL;
      const dv = new DataView(val.buffer, val.byteOffset, 16);
      const sec = dv.getBigInt64(0, true), usec = dv.getBigInt64(8, true);
      if (usec < 0n || usec >= 1_000_000n) return -Errno.EDOM;
      // a negative time means "do not wait" (0 jiffies); 0 means forever
      const ns = sec < 0n ? 1n : sec * 1_000_000_000n + usec * 1000n;
      if (name === S.SO_RCVTIMEO) this.rcvTimeoNs = ns;
      else this.sndTimeoNs = ns;
      return 0;
    }
    if (name === S.SO_LINGER) {
      if (val.length < S.LINGER_SIZE) return -Errno.EINVAL;
      const dv = new DataView(val.buffer, val.byteOffset, 8);
      this.lingerOn = dv.getInt32(0, true) ? 1 : 0;
      this.lingerSecs = dv.getInt32(4, true);
      return 0;
    }
    const v = readIntOpt(val);
    if (Number.isNaN(v)) return -Errno.EINVAL;
    switch (name) {
      case S.SO_DEBUG: return 0;
      case S.SO_REUSEADDR: this.reuseAddr = v !== 0; return 0;
      case S.SO_REUSEPORT: this.reusePort = v !== 0; return 0;
      case S.SO_KEEPALIVE: this.keepAlive = v !== 0; return 0;
      case S.SO_BROADCAST: this.broadcast = v !== 0; return 0;
      case S.SO_OOBINLINE: this.oobInline = v !== 0; return 0;
      case S.SO_DONTROUTE: this.dontRoute = v !== 0; return 0;
      case S.SO_PASSCRED: this.passCred = v !== 0; return 0;
      case S.SO_TIMESTAMP: case S.SO_TIMESTAMPNS: this.timestamp = v !== 0; return 0;
      case S.SO_PRIORITY:
        if ((v < 0 || v > 6) && !fsCapable(c.creds, CAP_NET_ADMIN)) return -Errno.EPERM;
        this.priority = v;
        return 0;
      case S.SO_MARK:
        if (!fsCapable(c.creds, CAP_NET_ADMIN)) return -Errno.EPERM;
        this.mark = v;
        return 0;
      case S.SO_RCVLOWAT: this.rcvLowat = v < 0 ? 0x7fffffff : v || 1; return 0;
      case S.SO_SNDBUF: case S.SO_RCVBUF: case S.SO_SNDBUFFORCE: case S.SO_RCVBUFFORCE: {
        // the FORCE variants need the privilege and skip the limit
        const force = name === S.SO_SNDBUFFORCE || name === S.SO_RCVBUFFORCE;
        if (force && !fsCapable(c.creds, CAP_NET_ADMIN)) return -Errno.EPERM;
        const snd = name === S.SO_SNDBUF || name === S.SO_SNDBUFFORCE;
        let n = v < 0 ? 0 : v;
        if (!force) n = Math.min(n, snd ? WMEM_MAX : RMEM_MAX);
        n = Math.min(n, 0x3fffffff) * 2;
        if (snd) this.sndBuf = Math.max(n, SOCK_MIN_SNDBUF);
        else this.rcvBuf = Math.max(n, SOCK_MIN_RCVBUF);
        this.bufsSet = true;
        this.bufsChanged();
        return 0;
      }
      case S.SO_PEEK_OFF: case S.SO_BUSY_POLL: case S.SO_ZEROCOPY: case S.SO_RXQ_OVFL: case S.SO_PASSSEC:
        return 0;
      case S.SO_TYPE: case S.SO_PROTOCOL: case S.SO_DOMAIN: case S.SO_ERROR: case S.SO_ACCEPTCONN:
      case S.SO_PEERCRED: case S.SO_COOKIE: case S.SO_PEERSEC:
        return -Errno.ENOPROTOOPT;
      case S.SO_BINDTODEVICE: return fsCapable(c.creds, CAP_NET_RAW) ? 0 : -Errno.EPERM;
      default: return -Errno.ENOPROTOOPT;
    }
  }

  /** The whole option value (the syscall layer truncates it to optlen). */
  getsockopt(level: number, name: number): Uint8Array | number {
    if (level !== S.SOL_SOCKET) return this.getProtoOpt(level, name);
    switch (name) {
      case S.SO_DEBUG: return intOpt(0);
      case S.SO_REUSEADDR: return intOpt(+this.reuseAddr);
      case S.SO_REUSEPORT: return intOpt(+this.reusePort);
      case S.SO_KEEPALIVE: return intOpt(+this.keepAlive);
      case S.SO_BROADCAST: return intOpt(+this.broadcast);
      case S.SO_OOBINLINE: return intOpt(+this.oobInline);
      case S.SO_DONTROUTE: return intOpt(+this.dontRoute);
      case S.SO_PASSCRED: return intOpt(+this.passCred);
      case S.SO_TIMESTAMP: case S.SO_TIMESTAMPNS: return intOpt(+this.timestamp);
      case S.SO_PRIORITY: return intOpt(this.priority);
      case S.SO_MARK: return intOpt(this.mark);
      case S.SO_RCVLOWAT: return intOpt(this.rcvLowat);
      case S.SO_SNDLOWAT: return intOpt(1);
      case S.SO_SNDBUF: return intOpt(this.sndBuf);
      case S.SO_RCVBUF: return intOpt(this.rcvBuf);
      case S.SO_TYPE: return intOpt(this.type);
      case S.SO_PROTOCOL: return intOpt(this.protocol);
      case S.SO_DOMAIN: return intOpt(this.family);
      case S.SO_ACCEPTCONN: return intOpt(+this.listening);
      case S.SO_ERROR: {
        const e = this.soError;
        this.soError = 0;
        return intOpt(e);
      }
      case S.SO_LINGER: {
        const b = new Uint8Array(8), dv = new DataView(b.buffer);
        dv.setInt32(0, this.lingerOn, true);
        dv.setInt32(4, this.lingerSecs, true);
        return b;
      }
      case S.SO_RCVTIMEO: return timevalOpt(this.rcvTimeoNs === 1n ? 0n : this.rcvTimeoNs);
      case S.SO_SNDTIMEO: return timevalOpt(this.sndTimeoNs === 1n ? 0n : this.sndTimeoNs);
      case S.SO_PEERCRED: {
        const p = this.peerCred() ?? { pid: 0, uid: -1, gid: -1 };
        const b = new Uint8Array(S.UCRED_SIZE), dv = new DataView(b.buffer);
        dv.setInt32(0, p.pid, true);
        dv.setInt32(4, p.uid, true);
        dv.setInt32(8, p.gid, true);
        return b;
      }
      case S.SO_COOKIE: {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setUint32(0, this.ino, true);
        return b;
      }
      case S.SO_PEEK_OFF: return intOpt(-1);
      case S.SO_INCOMING_CPU: return intOpt(-1);
      case S.SO_BUSY_POLL: case S.SO_ZEROCOPY: case S.SO_RXQ_OVFL: case S.SO_PASSSEC: return intOpt(0);
      case S.SO_BINDTODEVICE: return new Uint8Array(0);
      default: return -Errno.ENOPROTOOPT;
    }
  }

  // ---- the File side: read/write go through the syscall layer's send/recv ----

  override read(buf: Uint8Array, _pos: number | null): number {
    return this.recv(buf, 0, newRecvInfo());
  }
  override write(buf: Uint8Array, _pos: number | null): number {
    return this.send(buf, 0, null, null, null);
  }

  /** Bytes queued to read (SIOCINQ) and not yet taken by the peer (SIOCOUTQ), or -errno. */
  protected inq(): number {
    return 0;
  }
  protected outq(): number {
    return 0;
  }

  /** SIOCATMARK: is the reader at the urgent mark (TCP)? */
  atMark(): boolean {
    return false;
  }
  override ioctl(req: number, arg: number, mem: UserMemory): number {
    switch (req) {
      case S.SIOCINQ: case S.SIOCOUTQ: {
        const v = req === S.SIOCINQ ? this.inq() : this.outq();
        if (v < 0) return v;
        mem.write(arg, intOpt(v));
        return 0;
      }
      case S.SIOCATMARK:
        mem.write(arg, intOpt(+this.atMark()));
        return 0;
      default:
        return this.net.ifIoctl(req, arg, mem, this.family);
    }
  }

  /** sk_clone: an accepted socket starts with its listener's SOL_SOCKET options. */
  inheritOptions(p: Socket): void {
    this.reuseAddr = p.reuseAddr;
    this.reusePort = p.reusePort;
    this.keepAlive = p.keepAlive;
    this.passCred = p.passCred;
    this.oobInline = p.oobInline;
    this.timestamp = p.timestamp;
    this.priority = p.priority;
    this.mark = p.mark;
    this.rcvLowat = p.rcvLowat;
    this.lingerOn = p.lingerOn;
    this.lingerSecs = p.lingerSecs;
    this.sndBuf = p.sndBuf;
    this.rcvBuf = p.rcvBuf;
    this.rcvTimeoNs = p.rcvTimeoNs;
    this.sndTimeoNs = p.sndTimeoNs;
  }

  /** Wake readers (data came). */
  protected wakeIn(): void {
    this.wq.wake(POLLIN | POLLRDNORM);
  }
}
