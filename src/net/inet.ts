/**
 * AF_INET and AF_INET6 on the guest's private loopback (`--net none`):
 * TCP (net/ipv4/tcp.c, as two loopback endpoints see it) and UDP
 * (net/ipv4/udp.c), with Linux's binding rules (net/ipv4/inet_connection_sock.c
 * inet_csk_bind_conflict, udp_lib_get_port) and dual-stack IPv6 sockets.
 *
 * The only interface is `lo`: 127.0.0.0/8 and ::1. A guest may bind to
 * those or to the wildcard; any other local address is EADDRNOTAVAIL, and a
 * destination off the loopback has no route (ENETUNREACH). Nothing here
 * touches the host's network stack.
 *
 * Addresses are kept in one form, 16 bytes as IPv6 has them (an IPv4
 * address as ::ffff:a.b.c.d), plus the port; a socket encodes them in its
 * own family when the guest asks.
 */
import { Errno } from '../abi/errno.js';
import * as S from '../abi/socket.js';
import { Socket, Scm, SockCaller, RecvInfo, Cmsg, IpMeta, IpSendOpts, intOpt, readIntOpt } from './socket.js';
import { StreamSocket } from './stream.js';
import { DgramSocket } from './dgram.js';
import type { NetStack } from './stack.js';
import { fsCapable } from '../fs/node.js';
import { CAP_NET_BIND_SERVICE } from '../abi/capability.js';

/** An endpoint: 16 address bytes (v4-mapped for IPv4) and a port. Immutable once made. */
export interface InetAddr {
  ip: Uint8Array;
  port: number;
}

const V4_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
export function v4mapped(a: number, b: number, c: number, d: number): Uint8Array {
  return new Uint8Array([...V4_PREFIX, a, b, c, d]);
}
export const ANY4 = v4mapped(0, 0, 0, 0), LOOP4 = v4mapped(127, 0, 0, 1);
export const ANY6 = new Uint8Array(16), LOOP6 = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

export function isV4(ip: Uint8Array): boolean {
  for (let i = 0; i < 12; i++) if (ip[i] !== V4_PREFIX[i]) return false;
  return true;
}
function isAny(ip: Uint8Array): boolean {
  return ipEq(ip, ANY6) || ipEq(ip, ANY4);
}
export function ipEq(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}
/** On `lo`: 127.0.0.0/8 or ::1. */
function isLoopback(ip: Uint8Array): boolean {
  return (isV4(ip) && ip[12] === 127) || ipEq(ip, LOOP6);
}

/**
 * Decode a sockaddr for a socket of family (its own family, or AF_INET in an
 * AF_INET6 socket's connect/sendto, which Linux takes as v4-mapped).
 * forBind: AF_UNSPEC with INADDR_ANY is accepted as AF_INET (inet_bind).
 */
export function parseInetAddr(family: number, raw: Uint8Array, forBind: boolean): InetAddr | number {
  if (raw.length < 2) return -Errno.EINVAL;
  const fam = raw[0]! | (raw[1]! << 8);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  if (family === S.AF_INET) {
    if (raw.length < S.SOCKADDR_IN_SIZE) return -Errno.EINVAL;
    const ipb = raw.subarray(4, 8);
    if (fam !== S.AF_INET && !(forBind && fam === S.AF_UNSPEC && dv.getUint32(4) === 0)) return -Errno.EAFNOSUPPORT;
    return { ip: v4mapped(ipb[0]!, ipb[1]!, ipb[2]!, ipb[3]!), port: dv.getUint16(2) };
  }
  if (fam === S.AF_INET && !forBind) {
    if (raw.length < S.SOCKADDR_IN_SIZE) return -Errno.EINVAL;
    const ipb = raw.subarray(4, 8);
    return { ip: v4mapped(ipb[0]!, ipb[1]!, ipb[2]!, ipb[3]!), port: dv.getUint16(2) };
  }
  if (raw.length < S.SIN6_LEN_RFC2133) return -Errno.EINVAL;
  if (fam !== S.AF_INET6) return forBind ? -Errno.EINVAL : -Errno.EAFNOSUPPORT;
  return { ip: raw.slice(8, 24), port: dv.getUint16(2) };
}

/** Encode ep as a sockaddr of family (an AF_INET6 socket sees IPv4 peers v4-mapped). */
export function encodeInetAddr(family: number, ep: InetAddr): Uint8Array {
  if (family === S.AF_INET) {
    const b = new Uint8Array(S.SOCKADDR_IN_SIZE), dv = new DataView(b.buffer);
    dv.setUint16(0, S.AF_INET, true);
    dv.setUint16(2, ep.port);
    b.set(ep.ip.subarray(12, 16), 4);
    return b;
  }
  const b = new Uint8Array(S.SOCKADDR_IN6_SIZE), dv = new DataView(b.buffer);
  dv.setUint16(0, S.AF_INET6, true);
  dv.setUint16(2, ep.port);
  b.set(ep.ip, 8);
  return b;
}

/** What an inet socket shares, TCP or UDP: where it is bound and its IP-level options. */
export interface InetSock extends Socket {
  local: InetAddr | null;
  v6only: boolean;
  readonly proto: InetProto;
  /** bound with an explicit port (SOCK_BINDPORT_LOCK) / address (SOCK_BINDADDR_LOCK): a UDP disconnect keeps them */
  portLocked: boolean;
  addrLocked: boolean;
}

/** The inet protocols with ports, each its own table. */
export type InetProto = 'tcp' | 'udp' | 'udplite';

/** What holds a port: a socket, or a TCP connection's TIME_WAIT remains. */
export interface PortEntry {
  readonly local: InetAddr | null;
  readonly v6only: boolean;
  readonly reuseAddr: boolean;
  readonly reusePort: boolean;
  readonly uid: number;
  readonly proto: InetProto;
}
/** The ports of one protocol: port -> what is bound to it. Owned by the NetStack. */
export type PortTable = Map<number, PortEntry[]>;

/** Would a socket bound at a (v6only: av6) and one at b overlap? */
function overlap(a: Uint8Array, av6: boolean, b: Uint8Array, bv6: boolean): boolean {
  const aAny = isAny(a), bAny = isAny(b);
  if (ipEq(a, ANY6)) return !(av6 && isV4(b));
  if (ipEq(b, ANY6)) return !(bv6 && isV4(a));
  if (aAny) return isV4(b);
  if (bAny) return isV4(a);
  return ipEq(a, b);
}

/** A TCP endpoint in TIME_WAIT: it keeps its port for TCP_TIMEWAIT_LEN after an active close. Immutable. */
class TimeWait implements PortEntry {
  readonly proto = 'tcp' as const;
  readonly state = 'timewait' as const;
  readonly reusePort = false;
  readonly expires = performance.now() + TCP_TIMEWAIT_MS;
  constructor(readonly local: InetAddr, readonly v6only: boolean, readonly reuseAddr: boolean, readonly uid: number) {}
}
/** TCP_TIMEWAIT_LEN */
const TCP_TIMEWAIT_MS = 60_000;
function isListening(o: PortEntry): boolean {
  return o instanceof TcpSocket && o.state === 'listening';
}

/**
 * inet_csk_bind_conflict / udp_lib_lport_inuse: may s take ip:port?
 * SO_REUSEADDR on both excuses sharing unless the other listens (listen()
 * checks again, so of two such sockets only the first may listen).
 */
function conflicts(table: PortTable, s: InetSock, ip: Uint8Array, port: number, uid: number): boolean {
  const list = table.get(port);
  if (!list) return false;
  for (let i = list.length - 1; i >= 0; i--) {
    const o = list[i]!;
    if (o instanceof TimeWait && o.expires <= performance.now()) {
      list.splice(i, 1);
      continue;
    }
    if (o === s || !o.local) continue;
    if (!overlap(ip, s.v6only, o.local.ip, o.v6only)) continue;
    if (s.reusePort && o.reusePort && o.uid === uid) continue;
    if (s.reuseAddr && o.reuseAddr && !isListening(o)) continue;
    return true;
  }
  if (list.length === 0) table.delete(port);
  return false;
}

/** /proc/sys/net/ipv4/ip_local_port_range */
const EPHEMERAL_LO = 32768, EPHEMERAL_HI = 60999;

/** Bind s at ip:port (port 0: an ephemeral one). 0 or -errno. */
function inetBindAt(net: NetStack, s: InetSock, ip: Uint8Array, port: number, c: SockCaller | null): number {
  const table = net.ports(s.proto);
  const uid = c ? c.creds.euid : s.uid;
  if (port === 0) {
    const span = EPHEMERAL_HI - EPHEMERAL_LO + 1;
    const start = net.nextEphemeral(span);
    for (let i = 0; i < span; i++) {
      const p = EPHEMERAL_LO + ((start + i) % span);
      if (!conflicts(table, s, ip, p, uid) && !(table.get(p)?.length)) {
        port = p;
        break;
      }
    }
    if (port === 0) return -Errno.EADDRINUSE;
  } else {
    if (port < 1024 && c && !fsCapable(c.creds, CAP_NET_BIND_SERVICE)) return -Errno.EACCES;
    if (conflicts(table, s, ip, port, uid)) return -Errno.EADDRINUSE;
    s.portLocked = true;
  }
  s.local = { ip, port };
  let list = table.get(port);
  if (!list) table.set(port, (list = []));
  list.push(s);
  return 0;
}

function inetUnbind(net: NetStack, s: InetSock): void {
  if (!s.local || s.local.port === 0) return;
  const table = net.ports(s.proto);
  const list = table.get(s.local.port);
  if (list) {
    const i = list.indexOf(s);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) table.delete(s.local.port);
  }
}

/** inet_bind / inet6_bind */
function inetBind(s: InetSock, raw: Uint8Array, c: SockCaller): number {
  const a = parseInetAddr(s.family, raw, true);
  if (typeof a === 'number') return a;
  if (s.local && s.local.port !== 0) return -Errno.EINVAL;
  if (s.family === S.AF_INET6 && isV4(a.ip) && s.v6only) return -Errno.EINVAL;
  if (!isAny(a.ip) && !isLoopback(a.ip)) return -Errno.EADDRNOTAVAIL;
  const r = inetBindAt(s.net, s, a.ip, a.port, c);
  if (r === 0) s.addrLocked = !isAny(a.ip);
  return r;
}

/**
 * Resolve a destination for s: the loopback address it reaches (the
 * wildcard means this host) or -errno (no route off `lo`).
 */
function route(s: InetSock, a: InetAddr): InetAddr | number {
  if (s.family === S.AF_INET6 && isV4(a.ip) && s.v6only) return -Errno.ENETUNREACH;
  let ip = a.ip;
  if (isAny(ip)) ip = isV4(ip) ? LOOP4 : LOOP6;
  if (!isLoopback(ip)) return -Errno.ENETUNREACH;
  return { ip, port: a.port };
}

/** The socket of proto bound to receive at dst (exact address before the wildcard), filtered by pick. */
function lookup(net: NetStack, proto: InetProto, dst: InetAddr, pick: (s: InetSock) => boolean): InetSock | null {
  let wild: InetSock | null = null;
  for (const o of net.ports(proto).get(dst.port) ?? []) {
    if (o instanceof TimeWait || !o.local || !pick(o as InetSock)) continue;
    const so = o as InetSock;
    if (ipEq(so.local!.ip, dst.ip)) return so;
    if (!wild && overlap(so.local!.ip, so.v6only, dst.ip, false) && isAny(so.local!.ip)) wild = so;
  }
  return wild;
}

/** Autobind s for traffic to dst: an ephemeral port on the wildcard (the source address follows the route). */
function autobind(s: InetSock): number {
  if (s.local && s.local.port !== 0) return 0;
  return inetBindAt(s.net, s, s.local?.ip ?? (s.family === S.AF_INET ? ANY4 : ANY6), 0, null);
}

/** connect's first steps, TCP's and UDP's: the destination sockaddr, routed, and the socket bound to a port; or -errno. */
function connectTarget(s: InetSock, raw: Uint8Array): InetAddr | number {
  const a = parseInetAddr(s.family, raw, false);
  if (typeof a === 'number') return a;
  const dst = route(s, a);
  if (typeof dst === 'number') return dst;
  const e = autobind(s);
  return e < 0 ? e : dst;
}

/** The source address of traffic from s to dst: its bound address, or the loopback address of dst's kind. */
function source(s: InetSock, dst: InetAddr): InetAddr {
  const l = s.local!;
  if (!isAny(l.ip)) return l;
  return { ip: isV4(dst.ip) ? LOOP4 : LOOP6, port: l.port };
}

// ---- IP-level options, shared ----

/** IP and IPv6 options kept as ints (accepted, mostly not acted on). Owned by the socket's setsockopt. */
class IpOpts {
  readonly v = new Map<string, number>();
  get(level: number, name: number, def: number): number {
    return this.v.get(`${level}:${name}`) ?? def;
  }
  set(level: number, name: number, val: number): void {
    this.v.set(`${level}:${name}`, val);
  }
}
const IP_DEFAULTS: Record<string, number> = {
  [`${S.SOL_IP}:${S.IP_TTL}`]: 64, [`${S.SOL_IP}:${S.IP_MULTICAST_TTL}`]: 1, [`${S.SOL_IP}:${S.IP_MULTICAST_LOOP}`]: 1,
  [`${S.SOL_IP}:${S.IP_MTU_DISCOVER}`]: 1, [`${S.SOL_IPV6}:${S.IPV6_UNICAST_HOPS}`]: 64,
  [`${S.SOL_IPV6}:${S.IPV6_MULTICAST_HOPS}`]: 1, [`${S.SOL_IPV6}:${S.IPV6_MULTICAST_LOOP}`]: 1,
};
const IP_KNOWN = new Set([
  `${S.SOL_IPV6}:${S.IPV6_RECVHOPLIMIT}`, `${S.SOL_IPV6}:${S.IPV6_RECVTCLASS}`,
  `${S.SOL_IP}:${S.IP_TOS}`, `${S.SOL_IP}:${S.IP_TTL}`, `${S.SOL_IP}:${S.IP_RECVERR}`, `${S.SOL_IP}:${S.IP_PKTINFO}`,
  `${S.SOL_IP}:${S.IP_MTU_DISCOVER}`, `${S.SOL_IP}:${S.IP_RECVTTL}`, `${S.SOL_IP}:${S.IP_RECVTOS}`, `${S.SOL_IP}:${S.IP_FREEBIND}`,
  `${S.SOL_IP}:${S.IP_BIND_ADDRESS_NO_PORT}`, `${S.SOL_IP}:${S.IP_MULTICAST_TTL}`, `${S.SOL_IP}:${S.IP_MULTICAST_LOOP}`,
  `${S.SOL_IP}:${S.IP_RECVOPTS}`, `${S.SOL_IPV6}:${S.IPV6_UNICAST_HOPS}`, `${S.SOL_IPV6}:${S.IPV6_MULTICAST_HOPS}`,
  `${S.SOL_IPV6}:${S.IPV6_MULTICAST_LOOP}`, `${S.SOL_IPV6}:${S.IPV6_RECVPKTINFO}`, `${S.SOL_IPV6}:${S.IPV6_TCLASS}`,
  `${S.SOL_IPV6}:${S.IPV6_RECVERR}`,
]);

/** ip_setsockopt / ipv6_setsockopt for s (opts: its IpOpts). */
function setIpOpt(s: InetSock, o: IpOpts, level: number, name: number, val: Uint8Array): number {
  if (level === S.SOL_IPV6 && s.family !== S.AF_INET6) return -Errno.ENOPROTOOPT;
  if (level !== S.SOL_IP && level !== S.SOL_IPV6) return -Errno.ENOPROTOOPT;
  if (level === S.SOL_IPV6 && name === S.IPV6_V6ONLY) {
    const v = readIntOpt(val);
    if (Number.isNaN(v)) return -Errno.EINVAL;
    if (s.local) return -Errno.EINVAL;
    s.v6only = v !== 0;
    return 0;
  }
  const key = `${level}:${name}`;
  if (!IP_KNOWN.has(key)) {
    if (level === S.SOL_IP && (name === S.IP_ADD_MEMBERSHIP || name === S.IP_DROP_MEMBERSHIP)) return -Errno.ENODEV;
    return -Errno.ENOPROTOOPT;
  }
  // a one-byte value is accepted for the IPv4 ints, as Linux does
  const v = val.length >= 4 ? readIntOpt(val) : val.length >= 1 && level === S.SOL_IP ? val[0]! : NaN;
  if (Number.isNaN(v)) return -Errno.EINVAL;
  if ((name === S.IP_TTL && level === S.SOL_IP) || (name === S.IPV6_UNICAST_HOPS && level === S.SOL_IPV6)) {
    if (v === -1) {
      o.v.delete(key);
      return 0;
    }
    if (v < 1 || v > 255) return -Errno.EINVAL;
  }
  o.set(level, name, v);
  return 0;
}

function getIpOpt(s: InetSock, o: IpOpts, level: number, name: number): Uint8Array | number {
  if (level === S.SOL_IPV6 && s.family !== S.AF_INET6) return -Errno.ENOPROTOOPT;
  if (level !== S.SOL_IP && level !== S.SOL_IPV6) return -Errno.ENOPROTOOPT;
  if (level === S.SOL_IPV6 && name === S.IPV6_V6ONLY) return intOpt(+s.v6only);
  if (level === S.SOL_IP && name === S.IP_MTU) return s instanceof TcpSocket && s.state === 'connected' ? intOpt(65536) : -Errno.ENOTCONN;
  const key = `${level}:${name}`;
  if (!IP_KNOWN.has(key)) return -Errno.ENOPROTOOPT;
  return intOpt(o.get(level, name, IP_DEFAULTS[key] ?? 0));
}

const TCP_DEFAULTS: Record<number, number> = {
  [S.TCP_NODELAY]: 0, [S.TCP_CORK]: 0, [S.TCP_KEEPIDLE]: 7200, [S.TCP_KEEPINTVL]: 75, [S.TCP_KEEPCNT]: 9,
  [S.TCP_SYNCNT]: 6, [S.TCP_LINGER2]: 60, [S.TCP_DEFER_ACCEPT]: 0, [S.TCP_WINDOW_CLAMP]: 0, [S.TCP_QUICKACK]: 1,
  [S.TCP_USER_TIMEOUT]: 0, [S.TCP_FASTOPEN]: 0, [S.TCP_NOTSENT_LOWAT]: 0, [S.TCP_MAXSEG]: 536,
};
/** the congestion control algorithms offered (TCP_CONGESTION; tcp_cong.c's list with reno built in), the first the
 * default; TCP_CA_NAME_MAX bytes hold a name with its NUL */
const TCP_CONG_ALGOS = ['cubic', 'reno'];
const TCP_CA_NAME_MAX = 16;
/** TCP_MAXSEG's bounds for a value other than 0 (TCP_MIN_MSS, MAX_TCP_WINDOW) */
const TCP_MIN_MSS = 88, MAX_TCP_WINDOW = 32767 * 2 ** 14;
/** struct tcp_info's size (Linux 6.1) */
const TCP_INFO_SIZE = 232;

const TCP_BUFS = { snd: 16384, rcv: 131072 };
const UDP_BUFS = { snd: 212992, rcv: 212992 };

export class TcpSocket extends StreamSocket implements InetSock {
  readonly proto = 'tcp' as const;
  /** guarded by the JS thread (bind, connect, listen) */
  local: InetAddr | null = null;
  remote: InetAddr | null = null;
  v6only = false;
  portLocked = false;
  addrLocked = false;
  /** TCP-level ints (TCP_NODELAY...); owned by setsockopt */
  private readonly tcpOpts = new Map<number, number>();
  /** TCP_CONGESTION's algorithm; guarded by the JS thread (setsockopt; a child takes its listener's) */
  private congestion = TCP_CONG_ALGOS[0]!;
  private readonly ipOpts = new IpOpts();
  /** false: a non-blocking connect reported EINPROGRESS and no connect has seen it done since: the next one returns
   * 0 (the socket was still SS_CONNECTING: __inet_stream_connect makes it SS_CONNECTED), the ones after EISCONN */
  private connectReported = true;
  /** a child not in the port table (it shares its listener's port) */
  private child = false;

  constructor(net: NetStack, family: number, flags: number, owner: { uid: number; gid: number }) {
    super(net, family, S.SOCK_STREAM, S.IPPROTO_TCP, flags, owner, TCP_BUFS, true);
  }

  protected override newChild(): StreamSocket {
    const ch = new TcpSocket(this.net, this.family, this.flags & ~0o4000, { uid: this.uid, gid: this.gid });
    ch.child = true;
    ch.v6only = this.v6only;
    ch.inheritOptions(this);
    for (const [k, v] of this.tcpOpts) ch.tcpOpts.set(k, v);
    ch.congestion = this.congestion;
    return ch;
  }

  override bind(raw: Uint8Array, c: SockCaller): number {
    return inetBind(this, raw, c);
  }

  /** tcp_states.h's number for this socket's state (TCP_INFO, /proc/net/tcp) */
  get tcpState(): number {
    if (this.synTo !== null) return S.TCP_SYN_SENT;
    return this.state === 'listening' ? S.TCP_LISTEN : this.state === 'connected' ? S.TCP_ESTABLISHED : S.TCP_CLOSE;
  }

  override connect(raw: Uint8Array, c: SockCaller, nonblock: boolean): number {
    if (raw.length >= 2 && (raw[0]! | (raw[1]! << 8)) === S.AF_UNSPEC) {
      // disconnect (tcp_disconnect): only an unconnected socket here, or one waiting in SYN_SENT
      if (this.synTo !== null) this.abortSynSent();
      return this.state === 'connected' ? -Errno.EOPNOTSUPP : 0;
    }
    if (this.state === 'connected') {
      if (!this.connectReported) {
        this.connectReported = true;
        return 0;
      }
      return -Errno.EISCONN;
    }
    if (this.state === 'listening') return -Errno.EISCONN;
    // SYN_SENT (a full accept queue): a non-blocking connect says so; a blocking one waits on (its re-run too)
    if (this.synTo !== null) return nonblock ? -Errno.EALREADY : -Errno.EAGAIN;
    if (this.state === 'closed' && this.soError) {
      const e = this.soError;
      this.soError = 0;
      return -e;
    }
    const dst = connectTarget(this, raw);
    if (typeof dst === 'number') return dst;
    this.soError = 0; // (tcp_connect_init: a past disconnect's error is gone)
    const src = source(this, dst);
    const l = lookup(this.net, 'tcp', dst, (o) => (o as TcpSocket).state === 'listening' && (o.family === S.AF_INET6 || isV4(dst.ip)));
    if (!l) {
      if (nonblock) {
        // the SYN is answered by a reset: the error arrives after EINPROGRESS
        this.soError = Errno.ECONNREFUSED;
        this.state = 'closed';
        this.shut = S.SHUTDOWN_MASK; // tcp_done
        this.wq.wake(0);
        return -Errno.EINPROGRESS;
      }
      return -Errno.ECONNREFUSED;
    }
    const cr = c.creds as { euid: number; egid?: number; gid: number };
    const joined = (): void => {
      const child = this.peer as TcpSocket;
      child.local = dst;
      child.remote = src;
    };
    const r = this.connectTo(l as TcpSocket, { pid: c.pid, uid: cr.euid, gid: cr.egid ?? cr.gid }, joined);
    if (r === -Errno.ECONNREFUSED) return r;
    this.local = src; // the source address the route chose (inet_hash_connect)
    this.remote = dst; // (getpeername says ENOTCONN until the connection is made; /proc/net/tcp shows it)
    if (r === -Errno.EAGAIN) {
      // the queue is full: SYN_SENT until accept makes room (the next connect reports it done)
      this.connectReported = false;
      return nonblock ? -Errno.EINPROGRESS : r;
    }
    if (nonblock) {
      this.connectReported = false;
      return -Errno.EINPROGRESS;
    }
    return 0;
  }

  protected override listenCheck(c: SockCaller): number {
    const e = autobind(this);
    if (e < 0) return e;
    const l = this.local!;
    return conflicts(this.net.ports('tcp'), this, l.ip, l.port, c.creds.euid) ? -Errno.EADDRINUSE : 0;
  }

  /** An active close (the peer has not closed yet) leaves the port in TIME_WAIT. */
  protected override closing(p: StreamSocket, abort: boolean): void {
    if (abort || this.finReceived || !this.local || p.released) return;
    const table = this.net.ports('tcp');
    let list = table.get(this.local.port);
    if (!list) table.set(this.local.port, (list = []));
    list.push(new TimeWait(this.local, this.v6only, this.reuseAddr, this.uid));
  }

  override name(peer: boolean): Uint8Array | number {
    if (peer) {
      if (this.state !== 'connected' || !this.remote) return -Errno.ENOTCONN;
      return encodeInetAddr(this.family, this.remote);
    }
    return encodeInetAddr(this.family, this.local ?? { ip: this.family === S.AF_INET ? ANY4 : ANY6, port: 0 });
  }

  protected override setProtoOpt(level: number, name: number, val: Uint8Array): number {
    if (level !== S.SOL_TCP) return setIpOpt(this, this.ipOpts, level, name, val);
    if (name === S.TCP_CONGESTION) {
      // a name of up to TCP_CA_NAME_MAX - 1 bytes; one not offered is ENOENT (tcp_set_congestion_control)
      if (val.length < 1) return -Errno.EINVAL;
      const raw = val.subarray(0, Math.min(val.length, TCP_CA_NAME_MAX - 1));
      const nul = raw.indexOf(0);
      const algo = new TextDecoder().decode(nul < 0 ? raw : raw.subarray(0, nul));
      if (!TCP_CONG_ALGOS.includes(algo)) return -Errno.ENOENT;
      this.congestion = algo;
      return 0;
    }
    if (!(name in TCP_DEFAULTS)) return -Errno.ENOPROTOOPT;
    const v = readIntOpt(val);
    if (Number.isNaN(v)) return -Errno.EINVAL;
    if (name === S.TCP_MAXSEG && v !== 0 && (v < TCP_MIN_MSS || v > MAX_TCP_WINDOW)) return -Errno.EINVAL;
    if ((name === S.TCP_KEEPIDLE || name === S.TCP_KEEPINTVL) && (v < 1 || v > 32767)) return -Errno.EINVAL;
    if (name === S.TCP_KEEPCNT && (v < 1 || v > 127)) return -Errno.EINVAL;
    if (name === S.TCP_USER_TIMEOUT && v < 0) return -Errno.EINVAL;
    const bool = name === S.TCP_NODELAY || name === S.TCP_CORK || name === S.TCP_QUICKACK;
    this.tcpOpts.set(name, bool ? +(v !== 0) : v);
    return 0;
  }

  protected override getProtoOpt(level: number, name: number): Uint8Array | number {
    if (level !== S.SOL_TCP) return getIpOpt(this, this.ipOpts, level, name);
    if (name === S.TCP_CONGESTION) {
      const b = new Uint8Array(TCP_CA_NAME_MAX);
      new TextEncoder().encodeInto(this.congestion, b);
      return b;
    }
    if (name === S.TCP_INFO) {
      const b = new Uint8Array(TCP_INFO_SIZE);
      b[0] = this.tcpState;
      return b;
    }
    if (name === S.TCP_MAXSEG && this.state === 'connected') return intOpt(65483);
    if (!(name in TCP_DEFAULTS)) return -Errno.ENOPROTOOPT;
    return intOpt(this.tcpOpts.get(name) ?? TCP_DEFAULTS[name]!);
  }

  protected override unbind(): void {
    if (!this.child) inetUnbind(this.net, this);
  }
}

export class UdpSocket extends DgramSocket implements InetSock {
  /** UDP or UDP-Lite (the same socket here, with its own ports); immutable */
  readonly proto: 'udp' | 'udplite';
  readonly udp = true;
  /** UDPLITE_SEND_CSCOV / UDPLITE_RECV_CSCOV; owned by setsockopt */
  private cscov = [0, 0];
  /** the destination of the send in progress (set by destination, read by stamp) */
  private dstIp: Uint8Array | null = null;
  /** this send's per-packet IP options (sendmsg control messages); set by send */
  private sendOpts: IpSendOpts | null = null;
  local: InetAddr | null = null;
  /** connect(): the default destination, and the only source admitted */
  remote: InetAddr | null = null;
  v6only = false;
  portLocked = false;
  addrLocked = false;
  private readonly ipOpts = new IpOpts();
  /** the source address of the send in progress (set by destination, read by fromAddr) */
  private src: InetAddr | null = null;

  constructor(net: NetStack, family: number, flags: number, owner: { uid: number; gid: number }, protocol = S.IPPROTO_UDP) {
    super(net, family, S.SOCK_DGRAM, protocol, flags, owner, UDP_BUFS);
    this.proto = protocol === S.IPPROTO_UDPLITE ? 'udplite' : 'udp';
  }

  override send(data: Uint8Array, flags: number, to: Uint8Array | null, scm: Scm | null, c: SockCaller | null): number {
    this.sendOpts = scm?.ipSend ?? null;
    return super.send(data, flags, to, null, c);
  }

  /** The IP header this datagram would have had: TTL/hop limit and TOS/traffic class from the packet's or the socket's options. */
  protected override stamp(_scm: Scm | null): Scm | null {
    const v4 = isV4(this.dstIp!);
    const o = this.sendOpts;
    const hops = v4
      ? o?.ttl ?? this.ipOpts.get(S.SOL_IP, S.IP_TTL, 64)
      : o?.hoplimit ?? this.ipOpts.get(S.SOL_IPV6, S.IPV6_UNICAST_HOPS, 64);
    const tclass = v4 ? o?.tos ?? this.ipOpts.get(S.SOL_IP, S.IP_TOS, 0) : o?.tclass ?? this.ipOpts.get(S.SOL_IPV6, S.IPV6_TCLASS, 0);
    return { files: null, cred: null, ip: { v4, hops, tclass, dst: this.dstIp! } };
  }

  override recv(buf: Uint8Array, flags: number, info: RecvInfo): number {
    const n = super.recv(buf, flags, info);
    if (n >= 0 && info.scm?.ip) {
      info.cmsgs = this.ipCmsgs(info.scm.ip);
      info.scm = null;
    }
    return n;
  }

  /** ip_cmsg_recv / ip6_datagram_recv_ctl: what the receiver asked to see, in Linux's order. */
  private ipCmsgs(m: IpMeta): Cmsg[] | null {
    const out: Cmsg[] = [];
    const o = this.ipOpts;
    const int = (v: number): Uint8Array => intOpt(v);
    if (this.family === S.AF_INET6) {
      if (o.get(S.SOL_IPV6, S.IPV6_RECVPKTINFO, 0)) {
        const d = new Uint8Array(S.IN6_PKTINFO_SIZE);
        d.set(m.dst, 0);
        new DataView(d.buffer).setInt32(16, 1, true); // lo
        out.push({ level: S.SOL_IPV6, type: S.IPV6_PKTINFO, data: d });
      }
      if (o.get(S.SOL_IPV6, S.IPV6_RECVHOPLIMIT, 0)) out.push({ level: S.SOL_IPV6, type: S.IPV6_HOPLIMIT, data: int(m.hops) });
      if (o.get(S.SOL_IPV6, S.IPV6_RECVTCLASS, 0)) out.push({ level: S.SOL_IPV6, type: S.IPV6_TCLASS, data: int(m.tclass) });
    }
    if (m.v4) {
      if (o.get(S.SOL_IP, S.IP_PKTINFO, 0)) {
        const d = new Uint8Array(S.IN_PKTINFO_SIZE);
        new DataView(d.buffer).setInt32(0, 1, true); // lo
        d.set(m.dst.subarray(12), 4);
        d.set(m.dst.subarray(12), 8);
        out.push({ level: S.SOL_IP, type: S.IP_PKTINFO, data: d });
      }
      if (o.get(S.SOL_IP, S.IP_RECVTTL, 0)) out.push({ level: S.SOL_IP, type: S.IP_TTL, data: int(m.hops) });
      if (o.get(S.SOL_IP, S.IP_RECVTOS, 0)) out.push({ level: S.SOL_IP, type: S.IP_TOS, data: new Uint8Array([m.tclass & 255]) });
    }
    return out.length ? out : null;
  }

  override bind(raw: Uint8Array, c: SockCaller): number {
    return inetBind(this, raw, c);
  }

  override connect(raw: Uint8Array, _c: SockCaller, _nonblock: boolean): number {
    if (raw.length >= 2 && (raw[0]! | (raw[1]! << 8)) === S.AF_UNSPEC) {
      // __udp_disconnect: what connect chose goes back, what bind() fixed stays
      this.remote = null;
      if (this.local) {
        const ip = this.addrLocked ? this.local.ip : this.family === S.AF_INET ? ANY4 : ANY6;
        if (!this.portLocked) {
          inetUnbind(this.net, this);
          this.local = { ip, port: 0 };
        } else this.local = { ip, port: this.local.port };
      }
      return 0;
    }
    const dst = connectTarget(this, raw);
    if (typeof dst === 'number') return dst;
    this.remote = dst;
    // ip4_datagram_connect: the route's source address becomes ours
    this.local = source(this, dst);
    return 0;
  }

  protected override get connected(): boolean {
    return this.remote !== null;
  }

  protected override destination(to: Uint8Array | null, _c: SockCaller | null): DgramSocket | null | number {
    // udp_sendmsg binds first: even a send that fails for want of an address takes a port
    const e = autobind(this);
    if (e < 0) return e;
    let dst: InetAddr;
    if (to === null) {
      if (!this.remote) return -Errno.EDESTADDRREQ;
      dst = this.remote;
    } else {
      const a = parseInetAddr(this.family, to, false);
      if (typeof a === 'number') return a;
      const r = route(this, a);
      if (typeof r === 'number') return r;
      dst = r;
      if (dst.port === 0) return -Errno.EINVAL;
    }
    this.src = source(this, dst);
    this.dstIp = dst.ip;
    const d = lookup(this.net, this.proto, dst, (o) => o.family === S.AF_INET6 || isV4(dst.ip));
    if (!d) {
      // ICMP port unreachable: a connected socket learns of it
      if (to === null) this.soError = Errno.ECONNREFUSED;
      return null;
    }
    return d as UdpSocket;
  }

  protected override fromAddr(d: DgramSocket): Uint8Array | null {
    return encodeInetAddr(d.family, this.src!);
  }

  protected override admits(from: DgramSocket): boolean | number {
    const r = this.remote;
    if (!r) return true;
    const src = (from as UdpSocket).src;
    return src !== null && src.port === r.port && ipEq(src.ip, r.ip);
  }

  override name(peer: boolean): Uint8Array | number {
    if (peer) {
      if (!this.remote) return -Errno.ENOTCONN;
      return encodeInetAddr(this.family, this.remote);
    }
    return encodeInetAddr(this.family, this.local ?? { ip: this.family === S.AF_INET ? ANY4 : ANY6, port: 0 });
  }

  protected override setProtoOpt(level: number, name: number, val: Uint8Array): number {
    if (level === S.SOL_UDPLITE && this.proto === 'udplite' && (name === S.UDPLITE_SEND_CSCOV || name === S.UDPLITE_RECV_CSCOV)) {
      const v = readIntOpt(val);
      if (Number.isNaN(v)) return -Errno.EINVAL;
      this.cscov[name - S.UDPLITE_SEND_CSCOV] = v;
      return 0;
    }
    if (level === S.SOL_UDP || level === S.SOL_UDPLITE) return name === 1 /* UDP_CORK */ || name === 100 /* UDP_ENCAP */ ? 0 : -Errno.ENOPROTOOPT;
    if (level === S.SOL_TCP && this.family === S.AF_INET) return -Errno.EOPNOTSUPP; // as Linux 6 answers
    return setIpOpt(this, this.ipOpts, level, name, val);
  }
  protected override getProtoOpt(level: number, name: number): Uint8Array | number {
    if (level === S.SOL_UDPLITE && this.proto === 'udplite' && (name === S.UDPLITE_SEND_CSCOV || name === S.UDPLITE_RECV_CSCOV)) {
      return intOpt(this.cscov[name - S.UDPLITE_SEND_CSCOV]!);
    }
    if (level === S.SOL_UDP || level === S.SOL_UDPLITE) return name === 1 ? intOpt(0) : -Errno.ENOPROTOOPT;
    if (level === S.SOL_TCP && this.family === S.AF_INET) return -Errno.EOPNOTSUPP;
    return getIpOpt(this, this.ipOpts, level, name);
  }

  protected override unbind(): void {
    inetUnbind(this.net, this);
  }
}

/** socket(AF_INET / AF_INET6, type, protocol) on the private loopback. */
export function inetCreate(net: NetStack, family: number, type: number, protocol: number, flags: number, owner: { uid: number; gid: number }): Socket | number {
  if (type === S.SOCK_STREAM) {
    if (protocol !== 0 && protocol !== S.IPPROTO_TCP) return -Errno.EPROTONOSUPPORT;
    return new TcpSocket(net, family, flags, owner);
  }
  if (type === S.SOCK_DGRAM) {
    if (protocol === S.IPPROTO_UDPLITE) return new UdpSocket(net, family, flags, owner, protocol);
    if (protocol !== 0 && protocol !== S.IPPROTO_UDP) {
      // ping sockets (IPPROTO_ICMP) need net.ipv4.ping_group_range; closed by default
      return protocol === S.IPPROTO_ICMP || protocol === S.IPPROTO_ICMPV6 ? -Errno.EACCES : -Errno.EPROTONOSUPPORT;
    }
    return new UdpSocket(net, family, flags, owner);
  }
  if (type === S.SOCK_RAW) return -Errno.EPERM; // raw sockets need CAP_NET_RAW
  return -Errno.ESOCKTNOSUPPORT;
}

export type { Scm };
