/**
 * `--net host`: the guest's AF_INET and AF_INET6 sockets are host sockets
 * the kernel holds (gVisor's hostinet). Each is non-blocking on the host;
 * a guest that would block sleeps on the socket's queue, and the kernel's
 * event loop watches the host fd and wakes it, so one guest waiting in
 * connect, accept or recv never stalls the others.
 *
 * The kernel keeps what the host socket must not decide: blocking and the
 * timeouts (SO_RCVTIMEO/SO_SNDTIMEO), SIGPIPE (sends always pass
 * MSG_NOSIGNAL to the host; the syscall layer raises the guest's), and the
 * guest's privilege for ports below 1024. Sockaddrs are the same bytes on
 * both sides and go through unchanged, after a size check.
 *
 * Ownership: touched only on the JS thread, by the syscalls of the tasks
 * holding the socket and by the event loop's readiness callback.
 */
import { Errno } from '../abi/errno.js';
import * as S from '../abi/socket.js';
import * as host from '../host/libc.js';
import { O_NONBLOCK } from '../fs/types.js';
import { POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP, POLLPRI } from '../fs/waitqueue.js';
import { Socket, Scm, RecvInfo, SockCaller, Cmsg, scmRelease } from './socket.js';
import type { NetStack } from './stack.js';
import { fsCapable } from '../fs/node.js';
import { CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW } from '../abi/capability.js';

/** Message flags the host may see; the rest are the kernel's (MSG_DONTWAIT, MSG_NOSIGNAL...) or refused. */
const PASS_FLAGS = S.MSG_OOB | S.MSG_PEEK | S.MSG_DONTROUTE | S.MSG_EOR | S.MSG_MORE | S.MSG_CONFIRM | S.MSG_TRUNC;
const HOST_SOCK_NONBLOCK = 0o4000, HOST_SOCK_CLOEXEC = 0o2000000;

export class HostInetSocket extends Socket {
  /** the host socket; -1 once closed; owned by this socket */
  private fd: number;
  /** events the event loop is watching for (one-shot); guarded by the JS thread */
  private armed = 0;
  /** a blocking connect in progress (EINPROGRESS from the host) */
  private connecting = false;
  /** scratch for peer addresses */
  private readonly abuf = new Uint8Array(128);
  private readonly alen = new Uint32Array(1);
  /** scratch for recvmsg's control data and [namelen, controllen, flags] */
  private readonly ctl = new Uint8Array(2048);
  private readonly rmOut = new Uint32Array(3);

  constructor(net: NetStack, family: number, type: number, protocol: number, flags: number, owner: { uid: number; gid: number }, fd: number) {
    super(net, family, type, protocol, flags, owner, { snd: 212992, rcv: 212992 });
    this.fd = fd;
  }

  /** Watch the host fd for events (added to what is armed); the callback wakes our queue. */
  private arm(events: number): void {
    if (this.fd < 0 || (this.armed & events) === events) return;
    this.armed |= events;
    const ok = this.net.events.watch(this.fd, this.armed, () => {
      this.armed = 0;
      this.wq.wake(0);
    });
    if (!ok) this.armed = 0;
  }

  /** A host result that would block arms the wakeup for what it waits on. */
  private would(r: number, events: number): number {
    if (r === -Errno.EAGAIN) this.arm(events);
    return r;
  }

  override bind(raw: Uint8Array, c: SockCaller): number {
    const e = this.checkAddr(raw);
    if (e < 0) return e;
    const port = raw.length >= 4 ? (raw[2]! << 8) | raw[3]! : 0;
    if (port !== 0 && port < 1024 && !fsCapable(c.creds, CAP_NET_BIND_SERVICE)) return -Errno.EACCES;
    return host.bind(this.fd, raw);
  }

  /** The sockaddr must be one of ours and whole (the host would read past a short one's end otherwise). */
  private checkAddr(raw: Uint8Array): number {
    if (raw.length < 2) return -Errno.EINVAL;
    const fam = raw[0]! | (raw[1]! << 8);
    if (fam === S.AF_INET && raw.length < S.SOCKADDR_IN_SIZE) return -Errno.EINVAL;
    if (fam === S.AF_INET6 && raw.length < S.SIN6_LEN_RFC2133) return -Errno.EINVAL;
    return 0;
  }

  override connect(raw: Uint8Array, _c: SockCaller, nonblock: boolean): number {
    if (this.connecting) {
      // a blocking connect re-run: done once the socket is writable
      const rev = host.poll1(this.fd, POLLOUT, 0);
      if (rev <= 0) return this.would(-Errno.EAGAIN, POLLOUT);
      this.connecting = false;
      const v = host.getsockopt(this.fd, S.SOL_SOCKET, S.SO_ERROR, 4);
      const err = typeof v === 'number' ? -v : new DataView(v.buffer).getInt32(0, true);
      return err ? -err : 0;
    }
    const e = this.checkAddr(raw);
    if (e < 0) return e;
    const r = host.connect(this.fd, raw);
    if (r === -Errno.EINPROGRESS && !nonblock) {
      this.connecting = true;
      return this.would(-Errno.EAGAIN, POLLOUT);
    }
    return r;
  }

  override listen(backlog: number, _c: SockCaller): number {
    return host.listen(this.fd, Math.min(backlog, S.SOMAXCONN));
  }

  override accept(flags: number): Socket | number {
    const fd = host.accept4(this.fd, this.abuf, this.alen, HOST_SOCK_NONBLOCK | HOST_SOCK_CLOEXEC);
    if (fd < 0) return this.would(fd, POLLIN);
    return new HostInetSocket(this.net, this.family, this.type, this.protocol, flags & O_NONBLOCK, { uid: this.uid, gid: this.gid }, fd);
  }

  override name(peer: boolean): Uint8Array | number {
    return host.sockName(this.fd, peer);
  }

  override send(data: Uint8Array, flags: number, to: Uint8Array | null, scm: Scm | null, _c: SockCaller | null): number {
    if (scm?.files) return -Errno.EINVAL;
    scmRelease(scm);
    if (to) {
      const e = this.checkAddr(to);
      if (e < 0) return e;
    }
    const r = host.sendto(this.fd, data, (flags & PASS_FLAGS) | S.MSG_DONTWAIT | S.MSG_NOSIGNAL, to);
    // a stream send taken in part filled the host's buffer: a blocking sender sleeps for the rest, so room must wake it
    if (r >= 0 && r < data.length) this.arm(POLLOUT);
    return this.would(r, POLLOUT);
  }

  override recv(buf: Uint8Array, flags: number, info: RecvInfo): number {
    const dgram = this.type !== S.SOCK_STREAM;
    // MSG_TRUNC on a datagram socket makes the host report the whole length
    const hflags = (flags & PASS_FLAGS) | S.MSG_DONTWAIT | (dgram ? S.MSG_TRUNC : 0);
    let r: number;
    if (info.ctlRoom > 0) {
      // recvmsg with a control buffer: what the host says (IP_PKTINFO, SO_TIMESTAMP, IP_TTL...) goes through
      r = host.recvmsg(this.fd, buf, hflags, this.abuf, this.ctl, this.rmOut);
      if (r >= 0) {
        this.alen[0] = this.rmOut[0]!;
        info.cmsgs = hostCmsgs(this.ctl, this.rmOut[1]!);
        info.flags |= this.rmOut[2]! & S.MSG_CTRUNC;
      }
    } else {
      r = host.recvfrom(this.fd, buf, hflags, this.abuf, this.alen);
    }
    if (r < 0) return this.would(r, POLLIN);
    if (dgram) {
      info.fullLen = r;
      if (r > buf.length) info.flags |= S.MSG_TRUNC;
      if (this.alen[0]! > 0) info.from = this.abuf.slice(0, Math.min(this.alen[0]!, this.abuf.length));
      return Math.min(r, buf.length);
    }
    return r;
  }

  override get streaming(): boolean {
    return this.type === S.SOCK_STREAM;
  }

  override shutdown(how: number): number {
    const r = host.shutdown(this.fd, how);
    this.wq.wake(0);
    return r;
  }

  /** Readiness from the host now; what is not ready is watched (File.poll's rule for host-backed files). */
  override poll(): number {
    if (this.fd < 0) return POLLHUP;
    if (this.connecting) return this.connectingPoll();
    const rev = host.poll1(this.fd, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0);
    if (rev < 0) return POLLERR;
    const missing = (POLLIN | POLLOUT) & ~rev;
    if (missing && !(rev & (POLLHUP | POLLERR))) this.arm(missing);
    return rev;
  }
  private connectingPoll(): number {
    const rev = host.poll1(this.fd, POLLOUT, 0);
    if (rev <= 0) this.arm(POLLOUT);
    return 0;
  }

  protected override setProtoOpt(level: number, name: number, val: Uint8Array): number {
    return host.setsockopt(this.fd, level, name, val);
  }
  protected override getProtoOpt(level: number, name: number): Uint8Array | number {
    return host.getsockopt(this.fd, level, name, 256);
  }

  /** SOL_SOCKET: the kernel keeps timeouts and SO_PASSCRED; the host socket has the rest. */
  override setsockopt(level: number, name: number, val: Uint8Array, c: SockCaller): number {
    if (level === S.SOL_SOCKET && name !== S.SO_RCVTIMEO && name !== S.SO_SNDTIMEO && name !== S.SO_PASSCRED) {
      if ((name === S.SO_SNDBUFFORCE || name === S.SO_RCVBUFFORCE || name === S.SO_MARK) && !fsCapable(c.creds, CAP_NET_ADMIN) ||
        name === S.SO_BINDTODEVICE && !fsCapable(c.creds, CAP_NET_RAW)) {
        return -Errno.EPERM;
      }
      return host.setsockopt(this.fd, level, name, val);
    }
    return super.setsockopt(level, name, val, c);
  }
  override getsockopt(level: number, name: number): Uint8Array | number {
    if (level === S.SOL_SOCKET && name !== S.SO_RCVTIMEO && name !== S.SO_SNDTIMEO && name !== S.SO_PASSCRED) {
      return host.getsockopt(this.fd, level, name, 256);
    }
    return super.getsockopt(level, name);
  }

  protected override inq(): number {
    return Math.max(0, host.ioctlOutInt(this.fd, S.SIOCINQ));
  }
  protected override outq(): number {
    return Math.max(0, host.ioctlOutInt(this.fd, S.SIOCOUTQ));
  }
  protected override release(): void {
    if (this.fd < 0) return;
    this.net.events.unwatch(this.fd);
    host.close(this.fd);
    this.fd = -1;
    this.wq.wake(0);
  }
}

/**
 * The host's control messages as the receiver's: the same ABI on both
 * sides, so each is passed on as it came. An inet socket is never given
 * files, so nothing here installs any (SCM_RIGHTS cannot cross).
 */
function hostCmsgs(ctl: Uint8Array, len: number): Cmsg[] | null {
  const dv = new DataView(ctl.buffer, ctl.byteOffset, len);
  const out: Cmsg[] = [];
  for (let off = 0; off + S.CMSGHDR_SIZE <= len;) {
    const clen = Number(dv.getBigUint64(off, true));
    if (clen < S.CMSGHDR_SIZE || clen > len - off) break;
    const level = dv.getInt32(off + 8, true), type = dv.getInt32(off + 12, true);
    if (!(level === S.SOL_SOCKET && (type === S.SCM_RIGHTS || type === S.SCM_CREDENTIALS))) {
      out.push({ level, type, data: ctl.slice(off + S.CMSGHDR_SIZE, off + clen) });
    }
    off += S.cmsgAlign(clen);
  }
  return out.length ? out : null;
}

/** socket(AF_INET / AF_INET6, ...) with --net host: a host socket, or the host's errno. */
export function hostInetCreate(net: NetStack, family: number, type: number, protocol: number, flags: number, owner: { uid: number; gid: number }): Socket | number {
  if (type !== S.SOCK_STREAM && type !== S.SOCK_DGRAM) return type === S.SOCK_RAW ? -Errno.EPERM : -Errno.ESOCKTNOSUPPORT;
  if (type === S.SOCK_DGRAM && (protocol === S.IPPROTO_ICMP || protocol === S.IPPROTO_ICMPV6)) return -Errno.EACCES;
  const fd = host.socket(family, type | HOST_SOCK_NONBLOCK | HOST_SOCK_CLOEXEC, protocol);
  if (fd < 0) return fd;
  return new HostInetSocket(net, family, type, protocol, flags, owner, fd);
}
