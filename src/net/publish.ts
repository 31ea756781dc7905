/**
 * `--publish [HOSTADDR:]HOSTPORT:GUESTPORT[/udp]` (like `docker run -p`): the
 * kernel listens on the host and joins each host connection to the guest's
 * listener on GUESTPORT of its private loopback. A relay is two sockets, a
 * host one and an in-kernel TCP socket connected to the guest, and two
 * byte pumps between them, driven by the event loop (host readiness) and
 * by the in-kernel socket's wait queue (deferred to a zero timer, so a pump
 * never runs inside a guest's syscall). A UDP port relays datagrams: each
 * host client gets its own in-kernel socket, so the guest's replies find
 * their way back.
 *
 * Ownership: everything here is touched only on the JS thread.
 */
import { Errno } from '../abi/errno.js';
import * as S from '../abi/socket.js';
import * as host from '../host/libc.js';
import { POLLIN, POLLOUT } from '../fs/waitqueue.js';
import type { Waiter } from '../fs/waitqueue.js';
import { encodeInetAddr, LOOP4, TcpSocket, UdpSocket } from './inet.js';
import { newRecvInfo, SockCaller } from './socket.js';
import type { NetStack } from './stack.js';
import { CAP_FULL_SET } from '../abi/capability.js';

/** One --publish. Immutable. */
export interface PublishSpec {
  /** IPv4 dotted quad or an IPv6 address */
  hostAddr: string;
  hostPort: number;
  guestPort: number;
  proto: 'tcp' | 'udp';
}

/** `[HOSTADDR:]HOSTPORT:GUESTPORT[/udp|/tcp]`, or an error message. HOSTADDR may be [v6]. */
export function parsePublish(v: string): PublishSpec | string {
  let s = v, proto: 'tcp' | 'udp' = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (p !== 'tcp' && p !== 'udp') return `bad --publish '${v}': the protocol must be tcp or udp`;
    proto = p;
    s = s.slice(0, slash);
  }
  let hostAddr = '127.0.0.1';
  const m = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(s);
  if (m) {
    hostAddr = m[1]!;
    s = m[2]!;
  }
  const parts = s.split(':');
  if (parts.length === 3 && !m) hostAddr = parts.shift()!;
  if (parts.length !== 2) return `bad --publish '${v}': expected [HOSTADDR:]HOSTPORT:GUESTPORT[/udp]`;
  const port = (x: string): number => (/^\d{1,5}$/.test(x) && Number(x) >= 1 && Number(x) <= 65535 ? Number(x) : 0);
  const hostPort = port(parts[0]!), guestPort = port(parts[1]!);
  if (!hostPort || !guestPort) return `bad --publish '${v}': ports are numbers from 1 to 65535`;
  if (hostAddrBytes(hostAddr) === null) return `bad --publish '${v}': '${hostAddr}' is not an IP address`;
  return { hostAddr, hostPort, guestPort, proto };
}

/** The sockaddr of addr:port on the host, or null if addr is not an IP address. */
function hostAddrBytes(addr: string, port = 0): Uint8Array | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.some((x) => x > 255)) return null;
    const sa = new Uint8Array(S.SOCKADDR_IN_SIZE), dv = new DataView(sa.buffer);
    dv.setUint16(0, S.AF_INET, true);
    dv.setUint16(2, port);
    sa.set(b, 4);
    return sa;
  }
  if (!addr.includes(':')) return null;
  const halves = addr.split('::');
  if (halves.length > 2) return null;
  const words = (h: string): number[] | null => {
    if (h === '') return [];
    const w = h.split(':').map((x) => (/^[0-9a-fA-F]{1,4}$/.test(x) ? parseInt(x, 16) : NaN));
    return w.some(Number.isNaN) ? null : w;
  };
  const a = words(halves[0]!), b = halves.length === 2 ? words(halves[1]!) : [];
  if (!a || !b || a.length + b.length > 8 || (halves.length === 1 && a.length !== 8)) return null;
  const all = [...a, ...new Array(8 - a.length - b.length).fill(0), ...b];
  const sa = new Uint8Array(S.SOCKADDR_IN6_SIZE), dv = new DataView(sa.buffer);
  dv.setUint16(0, S.AF_INET6, true);
  dv.setUint16(2, port);
  all.forEach((w, i) => dv.setUint16(8 + 2 * i, w));
  return sa;
}

/** The kernel acting for a publish: no process, root's credentials. */
const KERNEL_CALLER: SockCaller = {
  pid: 0,
  fs: { cwd: '/', umask: 0 },
  creds: { uid: 0, gid: 0, euid: 0, fsuid: 0, fsgid: 0, groups: [], capEffective: CAP_FULL_SET },
};
const SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
const BUF = 65536;

/** Schedule fn on the event loop (a zero timer), once until it runs. */
function deferrer(net: NetStack, fn: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    // now on the monotonic clock (the platform's): due at the loop's next turn
    net.events.addTimer(process.hrtime.bigint(), () => {
      pending = false;
      fn();
    });
  };
}

/** One host TCP connection joined to the guest. */
class Relay {
  /** bytes read from one side and not yet taken by the other */
  private toGuest: Uint8Array | null = null;
  private toHost: Uint8Array | null = null;
  private hostEof = false;
  private guestEof = false;
  private closed = false;
  private readonly waiter: Waiter;
  private readonly kick: () => void;
  private readonly buf = new Uint8Array(BUF);

  constructor(private readonly net: NetStack, private readonly h: number, private readonly g: TcpSocket) {
    this.kick = deferrer(net, () => this.pump());
    this.waiter = () => this.kick();
    g.wq.add(this.waiter);
    this.pump();
  }

  private pump(): void {
    if (this.closed) return;
    let want = 0;
    // host -> guest
    for (;;) {
      if (!this.toGuest && !this.hostEof) {
        const n = host.recvfrom(this.h, this.buf, S.MSG_DONTWAIT, new Uint8Array(0), new Uint32Array(1));
        if (n === -Errno.EAGAIN) {
          want |= POLLIN;
          break;
        }
        if (n <= 0) {
          this.hostEof = true;
          this.g.shutdown(S.SHUT_WR);
          break;
        }
        this.toGuest = this.buf.slice(0, n);
      }
      if (!this.toGuest) break;
      const w = this.g.send(this.toGuest, 0, null, null, null);
      if (w === -Errno.EAGAIN) break; // the guest's queue is full: its wake brings us back
      if (w < 0) return this.close();
      this.toGuest = w < this.toGuest.length ? this.toGuest.subarray(w) : null;
    }
    // guest -> host
    for (;;) {
      if (!this.toHost && !this.guestEof) {
        const n = this.g.recv(this.buf, 0, newRecvInfo());
        if (n === -Errno.EAGAIN) break;
        if (n <= 0) {
          this.guestEof = true;
          host.shutdown(this.h, S.SHUT_WR);
          break;
        }
        this.toHost = this.buf.slice(0, n);
      }
      if (!this.toHost) break;
      const w = host.sendto(this.h, this.toHost, S.MSG_DONTWAIT | S.MSG_NOSIGNAL, null);
      if (w === -Errno.EAGAIN) {
        want |= POLLOUT;
        break;
      }
      if (w < 0) return this.close();
      this.toHost = w < this.toHost.length ? this.toHost.subarray(w) : null;
    }
    if (this.hostEof && this.guestEof && !this.toGuest && !this.toHost) return this.close();
    if (want) this.net.events.watch(this.h, want, () => this.pump());
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.g.wq.remove(this.waiter);
    this.net.events.unwatch(this.h);
    host.close(this.h);
    this.g.put();
  }
}

/** One --publish of a TCP port: the host listener. */
class TcpPublish {
  constructor(private readonly net: NetStack, private readonly spec: PublishSpec, private readonly fd: number) {
    this.arm();
  }
  private arm(): void {
    this.net.events.watch(this.fd, POLLIN, () => this.accept());
  }
  private accept(): void {
    for (;;) {
      const h = host.accept4(this.fd, new Uint8Array(128), new Uint32Array(1), SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (h < 0) break;
      const g = new TcpSocket(this.net, S.AF_INET, 0, { uid: 0, gid: 0 });
      const r = g.connect(encodeInetAddr(S.AF_INET, { ip: LOOP4, port: this.spec.guestPort }), KERNEL_CALLER, false);
      if (r < 0) {
        // nobody listens on the guest port: the host client sees the connection closed
        g.put();
        host.close(h);
        continue;
      }
      this.net.track(g);
      new Relay(this.net, h, g);
    }
    this.arm();
  }
}

/** One --publish of a UDP port: datagrams both ways, an in-kernel socket per host client. */
class UdpPublish {
  private readonly clients = new Map<string, UdpSocket>();
  private readonly buf = new Uint8Array(BUF);
  private readonly from = new Uint8Array(128);
  private readonly flen = new Uint32Array(1);

  constructor(private readonly net: NetStack, private readonly spec: PublishSpec, private readonly fd: number) {
    this.arm();
  }
  private arm(): void {
    this.net.events.watch(this.fd, POLLIN, () => this.fromHost());
  }
  private fromHost(): void {
    for (;;) {
      const n = host.recvfrom(this.fd, this.buf, S.MSG_DONTWAIT, this.from, this.flen);
      if (n < 0) break;
      const peer = this.from.slice(0, this.flen[0]!);
      const key = Buffer.from(peer).toString('hex');
      let g = this.clients.get(key);
      if (!g) {
        g = new UdpSocket(this.net, S.AF_INET, 0, { uid: 0, gid: 0 });
        this.net.track(g);
        const sock = g;
        const back = deferrer(this.net, () => this.toHost(sock, peer));
        g.wq.add(() => back());
        this.clients.set(key, g);
      }
      g.send(this.buf.slice(0, n), 0, encodeInetAddr(S.AF_INET, { ip: LOOP4, port: this.spec.guestPort }), null, null);
    }
    this.arm();
  }
  private toHost(g: UdpSocket, peer: Uint8Array): void {
    for (;;) {
      const n = g.recv(this.buf, 0, newRecvInfo());
      if (n < 0) break;
      host.sendto(this.fd, this.buf.subarray(0, n), S.MSG_DONTWAIT | S.MSG_NOSIGNAL, peer);
    }
  }
}

/**
 * Open the host side of every --publish: throws an Error with a one-line
 * message naming the spec if the host refuses (a port in use, an address
 * the host does not have).
 */
export function startPublishing(net: NetStack, specs: readonly PublishSpec[]): void {
  for (const p of specs) {
    const sa = hostAddrBytes(p.hostAddr, p.hostPort)!;
    const family = sa[0]! | (sa[1]! << 8);
    const fd = host.socket(family, (p.proto === 'tcp' ? S.SOCK_STREAM : S.SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const what = `--publish ${p.hostAddr}:${p.hostPort}:${p.guestPort}/${p.proto}`;
    if (fd < 0) throw new Error(`${what}: cannot make a host socket (errno ${-fd})`);
    host.setsockopt(fd, S.SOL_SOCKET, S.SO_REUSEADDR, new Uint8Array([1, 0, 0, 0]));
    let r = host.bind(fd, sa);
    if (r === 0 && p.proto === 'tcp') r = host.listen(fd, S.SOMAXCONN);
    if (r < 0) {
      host.close(fd);
      throw new Error(`${what}: cannot listen on the host: ${hostErrName(-r)}`);
    }
    if (p.proto === 'tcp') new TcpPublish(net, p, fd);
    else new UdpPublish(net, p, fd);
  }
}

function hostErrName(e: number): string {
  return e === Errno.EADDRINUSE ? 'address already in use' : e === Errno.EADDRNOTAVAIL ? 'the host has no such address'
    : e === Errno.EACCES ? 'permission denied' : `errno ${e}`;
}
