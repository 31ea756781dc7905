/**
 * AF_NETLINK, NETLINK_ROUTE only (net/netlink/af_netlink.c,
 * net/core/rtnetlink.c): enough for glibc's getifaddrs and if_nameindex and
 * busybox's `ip addr` / `ip link`: dumps of RTM_GETLINK and RTM_GETADDR
 * (and an empty RTM_GETROUTE) over the kernel's interfaces. Other requests
 * are answered with an NLMSG_ERROR of EOPNOTSUPP; other netlink protocols
 * are EPROTONOSUPPORT, as a kernel without them says.
 *
 * Ownership: touched only on the JS thread, by the syscalls of the tasks
 * holding the socket.
 */
import { Errno } from '../abi/errno.js';
import * as S from '../abi/socket.js';
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from '../fs/waitqueue.js';
import { Socket, Scm, RecvInfo, SockCaller, intOpt } from './socket.js';
import type { NetIf, NetStack } from './stack.js';

const IFLA_ADDRESS = 1, IFLA_BROADCAST = 2, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_TXQLEN = 13, IFLA_OPERSTATE = 16;
const IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_LABEL = 3, IFA_FLAGS = 8;
const IFA_F_PERMANENT = 0x80;
const RT_SCOPE_HOST = 254;
const IF_OPER_UNKNOWN = 0;
const NETLINK_RX_MAX = 212992;

/** A growing netlink message buffer. */
class NlBuilder {
  private parts: number[] = [];
  private start = 0;
  /** Begin a message of type with a fixed header of hdrLen bytes (filled by fill). */
  begin(type: number, flags: number, seq: number, pid: number): void {
    this.start = this.parts.length;
    for (let i = 0; i < S.NLMSG_HDRLEN; i++) this.parts.push(0);
    const h = new DataView(new ArrayBuffer(16));
    h.setUint16(4, type, true);
    h.setUint16(6, flags, true);
    h.setUint32(8, seq, true);
    h.setUint32(12, pid, true);
    for (let i = 4; i < 16; i++) this.parts[this.start + i] = h.getUint8(i);
  }
  bytes(b: ArrayLike<number>): void {
    for (let i = 0; i < b.length; i++) this.parts.push(b[i]!);
    while (this.parts.length % 4) this.parts.push(0);
  }
  attr(type: number, data: ArrayLike<number>): void {
    const len = 4 + data.length;
    this.bytes([len & 255, len >> 8, type & 255, type >> 8, ...Array.from(data)]);
  }
  u32(v: number): number[] {
    return [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
  }
  end(): void {
    const len = this.parts.length - this.start;
    const l = this.u32(len);
    for (let i = 0; i < 4; i++) this.parts[this.start + i] = l[i]!;
  }
  take(): Uint8Array {
    const r = Uint8Array.from(this.parts);
    this.parts = [];
    return r;
  }
}

export class NetlinkSocket extends Socket {
  /** the port id (nl_pid); 0 until bound or autobound at the first send */
  private portid = 0;
  private groups = 0;
  /** replies waiting to be read, one datagram each; guarded by the JS thread */
  private readonly rxq: Uint8Array[] = [];
  private rxBytes = 0;

  constructor(net: NetStack, type: number, flags: number, owner: { uid: number; gid: number }, private readonly pidHint: () => number) {
    super(net, S.AF_NETLINK, type, S.NETLINK_ROUTE, flags, owner, { snd: 212992, rcv: 212992 });
  }

  override bind(raw: Uint8Array, c: SockCaller): number {
    if (raw.length < S.SOCKADDR_NL_SIZE) return -Errno.EINVAL;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
    if (dv.getUint16(0, true) !== S.AF_NETLINK) return -Errno.EINVAL;
    const pid = dv.getUint32(4, true);
    this.groups = dv.getUint32(8, true);
    if (this.portid && pid && pid !== this.portid) return -Errno.EINVAL;
    if (!this.portid) this.portid = pid || this.autoPort(c.pid);
    return 0;
  }
  private autoPort(pid: number): number {
    return this.net.netlinkPort(pid);
  }

  override connect(raw: Uint8Array, c: SockCaller, _nonblock: boolean): number {
    if (raw.length < S.SOCKADDR_NL_SIZE) return -Errno.EINVAL;
    if (!this.portid) this.portid = this.autoPort(c.pid);
    return 0;
  }

  override name(peer: boolean): Uint8Array | number {
    const b = new Uint8Array(S.SOCKADDR_NL_SIZE), dv = new DataView(b.buffer);
    dv.setUint16(0, S.AF_NETLINK, true);
    if (!peer) {
      dv.setUint32(4, this.portid, true);
      dv.setUint32(8, this.groups, true);
    }
    return b;
  }

  override send(data: Uint8Array, _flags: number, _to: Uint8Array | null, scm: Scm | null, c: SockCaller | null): number {
    if (scm?.files) return -Errno.EINVAL;
    if (!this.portid) this.portid = this.autoPort(c ? c.pid : this.pidHint());
    let off = 0;
    while (off + S.NLMSG_HDRLEN <= data.length) {
      const dv = new DataView(data.buffer, data.byteOffset + off, data.length - off);
      const len = dv.getUint32(0, true);
      if (len < S.NLMSG_HDRLEN || len > data.length - off) break;
      const type = dv.getUint16(4, true), flags = dv.getUint16(6, true), seq = dv.getUint32(8, true);
      if (flags & S.NLM_F_REQUEST) this.answer(type, flags, seq, data.subarray(off, off + len));
      off += S.nlmsgAlign(len);
    }
    if (this.rxq.length) this.wakeIn();
    return data.length;
  }

  /** rtnetlink_rcv_msg for the requests we know. */
  private answer(type: number, flags: number, seq: number, msg: Uint8Array): void {
    const b = new NlBuilder(), pid = this.portid;
    const dump = (flags & S.NLM_F_DUMP) === S.NLM_F_DUMP;
    const ifs = this.net.interfaces;
    if (type === S.RTM_GETLINK) {
      let want = 0;
      if (!dump && msg.length >= S.NLMSG_HDRLEN + 8) want = new DataView(msg.buffer, msg.byteOffset).getInt32(S.NLMSG_HDRLEN + 4, true);
      const sel = dump ? ifs : ifs.filter((i) => i.index === want);
      if (!dump && sel.length === 0) return this.error(seq, msg, -Errno.ENODEV);
      for (const i of sel) this.link(b, i, seq, pid, dump ? S.NLM_F_MULTI : 0);
    } else if (type === S.RTM_GETADDR && dump) {
      for (const i of ifs) this.addrs(b, i, seq, pid);
    } else if (type === S.RTM_GETROUTE && dump) {
      // no routes beyond the local table: an empty dump
    } else {
      return this.error(seq, msg, -Errno.EOPNOTSUPP);
    }
    const body = b.take();
    if (body.length) this.queue(body);
    if (dump) {
      b.begin(S.NLMSG_DONE, S.NLM_F_MULTI, seq, pid);
      b.bytes([0, 0, 0, 0]);
      b.end();
      this.queue(b.take());
    } else if (flags & S.NLM_F_ACK) {
      this.error(seq, msg, 0);
    }
  }

  private link(b: NlBuilder, i: NetIf, seq: number, pid: number, flags: number): void {
    b.begin(S.RTM_NEWLINK, flags, seq, pid);
    const hdr = new DataView(new ArrayBuffer(16));
    hdr.setUint16(2, i.hwtype, true);
    hdr.setInt32(4, i.index, true);
    hdr.setUint32(8, i.flags, true);
    b.bytes(new Uint8Array(hdr.buffer));
    b.attr(IFLA_IFNAME, [...Buffer.from(i.name + '\0')]);
    b.attr(IFLA_MTU, b.u32(i.mtu));
    b.attr(IFLA_TXQLEN, b.u32(1000));
    b.attr(IFLA_OPERSTATE, [IF_OPER_UNKNOWN]);
    b.attr(IFLA_ADDRESS, [0, 0, 0, 0, 0, 0]);
    b.attr(IFLA_BROADCAST, [0, 0, 0, 0, 0, 0]);
    b.end();
  }

  private addrs(b: NlBuilder, i: NetIf, seq: number, pid: number): void {
    b.begin(S.RTM_NEWADDR, S.NLM_F_MULTI, seq, pid);
    b.bytes([S.AF_INET, i.v4prefix, IFA_F_PERMANENT, RT_SCOPE_HOST, ...b.u32(i.index)]);
    b.attr(IFA_ADDRESS, i.v4);
    b.attr(IFA_LOCAL, i.v4);
    b.attr(IFA_LABEL, [...Buffer.from(i.name + '\0')]);
    b.attr(IFA_FLAGS, b.u32(IFA_F_PERMANENT));
    b.end();
    b.begin(S.RTM_NEWADDR, S.NLM_F_MULTI, seq, pid);
    b.bytes([S.AF_INET6, i.v6prefix, IFA_F_PERMANENT, RT_SCOPE_HOST, ...b.u32(i.index)]);
    b.attr(IFA_ADDRESS, i.v6);
    b.attr(IFA_FLAGS, b.u32(IFA_F_PERMANENT));
    b.end();
  }

  /** NLMSG_ERROR carrying errno (0: an ACK) and the request's header. */
  private error(seq: number, msg: Uint8Array, errno: number): void {
    const b = new NlBuilder();
    b.begin(S.NLMSG_ERROR, errno === 0 ? 0x100 /* NLM_F_CAPPED */ : 0, seq, this.portid);
    b.bytes([...b.u32(errno >>> 0), ...msg.subarray(0, S.NLMSG_HDRLEN)]);
    b.end();
    this.queue(b.take());
  }

  private queue(d: Uint8Array): void {
    if (this.rxBytes + d.length > NETLINK_RX_MAX) {
      this.soError = Errno.ENOBUFS;
      return;
    }
    this.rxq.push(d);
    this.rxBytes += d.length;
  }

  /** netlink_sendskb of a POSIX message queue's SIGEV_THREAD cookie (ipc/mqueue.c): one datagram for its reader. */
  deliverNotify(d: Uint8Array): void {
    this.queue(d);
    this.wq.wake(POLLIN | POLLRDNORM);
  }

  override recv(buf: Uint8Array, flags: number, info: RecvInfo): number {
    const d = this.rxq[0];
    if (!d) {
      if (this.soError) {
        const e = this.soError;
        this.soError = 0;
        return -e;
      }
      return -Errno.EAGAIN;
    }
    const n = Math.min(buf.length, d.length);
    buf.set(d.subarray(0, n));
    info.fullLen = d.length;
    if (n < d.length) info.flags |= S.MSG_TRUNC;
    info.from = this.name(true) as Uint8Array;
    if (!(flags & S.MSG_PEEK)) {
      this.rxq.shift();
      this.rxBytes -= d.length;
    }
    return n;
  }

  protected override inq(): number {
    return this.rxq[0]?.length ?? 0;
  }

  override poll(): number {
    return (this.rxq.length ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
  }

  protected override release(): void {
    if (this.portid) this.net.releaseNetlinkPort(this.portid);
    for (const _ of this.rxq.splice(0)) void _;
  }

  protected override setProtoOpt(level: number, _name: number, _val: Uint8Array): number {
    return level === S.SOL_NETLINK ? 0 : -Errno.ENOPROTOOPT;
  }
  protected override getProtoOpt(level: number, _name: number): Uint8Array | number {
    return level === S.SOL_NETLINK ? intOpt(0) : -Errno.ENOPROTOOPT;
  }
}

export function netlinkCreate(net: NetStack, type: number, protocol: number, flags: number, owner: { uid: number; gid: number }): Socket | number {
  if (type !== S.SOCK_RAW && type !== S.SOCK_DGRAM) return -Errno.ESOCKTNOSUPPORT;
  if (protocol !== S.NETLINK_ROUTE) return -Errno.EPROTONOSUPPORT;
  return new NetlinkSocket(net, type, flags, owner, () => 0);
}
