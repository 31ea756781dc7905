/**
 * AF_UNIX (net/unix/af_unix.c): names and the socket types on top of the
 * generic stream and datagram sockets.
 *
 * A name is a filesystem path (bind makes a socket inode with mknod, on
 * tmpfs or a writable host directory; the kernel finds the bound socket by
 * that inode's device and number) or an abstract name (sun_path[0] == 0, a
 * kernel-wide table). A socket inode the kernel did not make, such as a host
 * program's socket in a host directory, has no socket behind it here:
 * connecting to it is refused, as to any stale socket file.
 */
import { Errno } from '../abi/errno.js';
import * as S from '../abi/socket.js';
import { S_IFMT, S_IFSOCK } from '../fs/types.js';
import { MAY_WRITE, permission } from '../fs/node.js';
import { Socket, Scm, SockCaller, Ucred } from './socket.js';
import { decodeName } from '../abi/names.js';
import { StreamSocket } from './stream.js';
import { DgramSocket } from './dgram.js';
import type { NetStack } from './stack.js';

/** A decoded sockaddr_un. */
export type UnixName = { abstract: false; path: string; raw: Uint8Array } | { abstract: true; key: string; raw: Uint8Array };

/** Decode a sockaddr_un of len bytes (unix_validate_addr + unix_mkname). 2 bytes: null (autobind). */
export function parseUnixAddr(raw: Uint8Array): UnixName | null | number {
  if (raw.length < 2 || raw.length > S.SOCKADDR_UN_SIZE) return -Errno.EINVAL;
  if ((raw[0]! | (raw[1]! << 8)) !== S.AF_UNIX) return -Errno.EINVAL;
  if (raw.length === 2) return null;
  if (raw[2] === 0) {
    const name = raw.subarray(2);
    return { abstract: true, key: Buffer.from(name).toString('latin1'), raw: raw.slice() };
  }
  let end = raw.indexOf(0, 2);
  if (end < 0) end = raw.length;
  const bytes = raw.subarray(2, end);
  // what getsockname reports: the path as given, with its NUL
  const out = new Uint8Array(2 + bytes.length + 1);
  out.set(raw.subarray(0, 2));
  out.set(bytes, 2);
  // the VFS's name for the bytes (abi/names.ts): a path that is not UTF-8 names the file it names natively
  return { abstract: false, path: decodeName(bytes), raw: out };
}

const UNNAMED = new Uint8Array([S.AF_UNIX, 0]);

function credOf(c: SockCaller): Ucred {
  const cr = c.creds as { euid: number; egid?: number; gid: number };
  return { pid: c.pid, uid: cr.euid, gid: cr.egid ?? cr.gid };
}

/** The state both unix socket kinds share: the bound name. */
interface UnixBound {
  addr: Uint8Array | null;
  /** the table key it is bound under (path: "dev:ino"; abstract: "@" + name) */
  key: string | null;
}

/** unix_bind for either kind: 0 or -errno. */
function unixBind(sock: Socket & UnixBound, raw: Uint8Array, c: SockCaller): number {
  const a = parseUnixAddr(raw);
  if (typeof a === 'number') return a;
  const net = sock.net;
  if (a === null) return net.unixAutobind(sock); // 0 if already bound
  if (sock.addr) return -Errno.EINVAL;
  if (a.abstract) {
    // abstract names are per socket type (unix_find_abstract hashes the type in)
    const key = `@${sock.type}:${a.key}`;
    if (net.unixNames.has(key)) return -Errno.EADDRINUSE;
    net.unixNames.set(key, sock);
    sock.key = key;
    sock.addr = a.raw;
    return 0;
  }
  const loc = net.vfs.mknod(c, null, a.path, S_IFSOCK | 0o777, 0);
  if (typeof loc === 'number') return loc === -Errno.EEXIST ? -Errno.EADDRINUSE : loc;
  const st = loc.node.stat();
  if (typeof st === 'number') return st;
  const key = `${st.dev}:${st.ino}`;
  net.unixNames.set(key, sock);
  sock.key = key;
  sock.addr = a.raw;
  return 0;
}

/** unix_find_other: the socket bound at raw, of type; -errno as Linux gives. */
function unixFind(net: NetStack, raw: Uint8Array, type: number, c: SockCaller): Socket | number {
  const a = parseUnixAddr(raw);
  if (typeof a === 'number') return a;
  if (a === null) return -Errno.EINVAL;
  let s: Socket | undefined;
  if (a.abstract) {
    s = net.unixNames.get(`@${type}:${a.key}`);
  } else {
    const loc = net.vfs.resolve(c, null, a.path, true);
    if (typeof loc === 'number') return loc;
    const st = loc.node.stat();
    if (typeof st === 'number') return st;
    const pe = permission(st, c.creds, MAY_WRITE);
    if (pe < 0) return pe;
    if ((st.mode & S_IFMT) !== S_IFSOCK) return -Errno.ECONNREFUSED;
    s = net.unixNames.get(`${st.dev}:${st.ino}`);
  }
  if (!s || s.released) return -Errno.ECONNREFUSED;
  if (s.type !== type) return -Errno.EPROTOTYPE;
  return s;
}

function unixUnbind(sock: Socket & UnixBound): void {
  if (sock.key && sock.net.unixNames.get(sock.key) === sock) sock.net.unixNames.delete(sock.key);
  sock.key = null;
}

const UNIX_BUFS = { snd: 212992, rcv: 212992 };

/** SOCK_STREAM and SOCK_SEQPACKET */
export class UnixStream extends StreamSocket implements UnixBound {
  addr: Uint8Array | null = null;
  key: string | null = null;

  constructor(net: NetStack, type: number, flags: number, owner: { uid: number; gid: number }) {
    super(net, S.AF_UNIX, type, 0, flags, owner, UNIX_BUFS, false);
  }

  protected override newChild(): StreamSocket {
    const ch = new UnixStream(this.net, this.type, this.flags & ~0o4000, { uid: this.uid, gid: this.gid });
    ch.addr = this.addr; // an accepted socket reports the listener's name
    ch.inheritOptions(this);
    return ch;
  }

  override bind(raw: Uint8Array, c: SockCaller): number {
    return unixBind(this, raw, c);
  }

  override connect(raw: Uint8Array, c: SockCaller, _nonblock: boolean): number {
    const e = this.connectState();
    if (e < 0) return e;
    const l = unixFind(this.net, raw, this.type, c);
    if (typeof l === 'number') return l;
    if (this.passCred && !this.addr) this.net.unixAutobind(this);
    const r = this.connectTo(l as StreamSocket, credOf(c));
    if (r === -Errno.EAGAIN) {
      this.waitOn(l);
      return r;
    }
    return r;
  }

  /** Be woken when q's socket changes (a full listener accepting). */
  private waitOn(l: Socket): void {
    const w = (): void => {
      l.wq.remove(w);
      this.wq.wake(0);
    };
    l.wq.add(w);
  }

  protected override listenCheck(_c: SockCaller): number {
    return this.addr ? 0 : -Errno.EINVAL;
  }

  override name(peer: boolean): Uint8Array | number {
    if (!peer) return this.addr ?? UNNAMED;
    if (this.state !== 'connected' || !this.peer) return -Errno.ENOTCONN;
    return (this.peer as UnixStream).addr ?? UNNAMED;
  }

  protected override unbind(): void {
    unixUnbind(this);
  }
}

/** SOCK_DGRAM */
export class UnixDgram extends DgramSocket implements UnixBound {
  readonly udp = false;
  addr: Uint8Array | null = null;
  key: string | null = null;
  /** connect(): the default destination and the only sender admitted; guarded by the JS thread */
  peerSock: UnixDgram | null = null;

  constructor(net: NetStack, flags: number, owner: { uid: number; gid: number }) {
    super(net, S.AF_UNIX, S.SOCK_DGRAM, 0, flags, owner, UNIX_BUFS);
  }

  override bind(raw: Uint8Array, c: SockCaller): number {
    return unixBind(this, raw, c);
  }

  override connect(raw: Uint8Array, c: SockCaller, _nonblock: boolean): number {
    if (raw.length >= 2 && (raw[0]! | (raw[1]! << 8)) === S.AF_UNSPEC) {
      this.peerSock = null; // dissolve the association
      return 0;
    }
    const p = unixFind(this.net, raw, S.SOCK_DGRAM, c);
    if (typeof p === 'number') return p;
    if (this.passCred && !this.addr) this.net.unixAutobind(this);
    this.peerSock = p as UnixDgram;
    return 0;
  }

  protected override get connected(): boolean {
    return this.peerSock !== null;
  }

  protected override destination(to: Uint8Array | null, c: SockCaller | null): DgramSocket | null | number {
    if (this.passCred && !this.addr) this.net.unixAutobind(this);
    if (to === null) {
      const p = this.peerSock;
      if (!p) return -Errno.ENOTCONN;
      if (p.released) {
        // the peer went away: report it once, then we are unconnected
        this.peerSock = null;
        return -Errno.ECONNREFUSED;
      }
      return p;
    }
    if (!c) return -Errno.ENOTCONN;
    return unixFind(this.net, to, S.SOCK_DGRAM, c) as DgramSocket | number;
  }

  protected override fromAddr(_d: DgramSocket): Uint8Array | null {
    return this.addr;
  }

  protected override admits(from: DgramSocket): boolean | number {
    // unix_may_send: a connected socket takes only its peer's datagrams
    return this.peerSock === null || this.peerSock === from ? true : -Errno.EPERM;
  }

  protected override peerFull(): boolean {
    const p = this.peerSock;
    return p !== null && !p.released && p.peerSock !== this && (p as UnixDgram).queueFull();
  }

  override name(peer: boolean): Uint8Array | number {
    if (!peer) return this.addr ?? UNNAMED;
    if (!this.peerSock) return -Errno.ENOTCONN;
    return this.peerSock.addr ?? UNNAMED;
  }

  protected override unbind(): void {
    unixUnbind(this);
  }
}

/** socket(AF_UNIX, type, protocol) */
export function unixCreate(net: NetStack, type: number, protocol: number, flags: number, owner: { uid: number; gid: number }): Socket | number {
  if (protocol !== 0 && protocol !== S.AF_UNIX) return -Errno.EPROTONOSUPPORT;
  switch (type) {
    case S.SOCK_STREAM: case S.SOCK_SEQPACKET: return new UnixStream(net, type, flags, owner);
    case S.SOCK_DGRAM: case S.SOCK_RAW: return new UnixDgram(net, flags, owner); // SOCK_RAW is SOCK_DGRAM here, as Linux
    default: return -Errno.ESOCKTNOSUPPORT;
  }
}

/** socketpair(AF_UNIX, ...): two connected sockets, each with the creator's credentials. */
export function unixPair(net: NetStack, type: number, protocol: number, flags: number, c: SockCaller): [Socket, Socket] | number {
  const owner = { uid: c.creds.fsuid, gid: c.creds.fsgid };
  const a = unixCreate(net, type, protocol, flags, owner);
  if (typeof a === 'number') return a;
  const b = unixCreate(net, type, protocol, flags, owner) as Socket;
  const cred = credOf(c);
  if (a instanceof UnixStream && b instanceof UnixStream) StreamSocket.pair(a, b, cred, cred);
  else if (a instanceof UnixDgram && b instanceof UnixDgram) {
    a.peerSock = b;
    b.peerSock = a;
  }
  return [a, b];
}

/** The credentials a unix send carries (scm_send's default: the sender's). */
export function unixDefaultCred(c: SockCaller): Ucred {
  const cr = c.creds as { uid: number; gid: number };
  return { pid: c.pid, uid: cr.uid, gid: cr.gid };
}

export type { Scm };
