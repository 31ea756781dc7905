/**
 * The kernel's network stack (struct net): the AF_UNIX name table, the
 * inet port tables of the private loopback, the one interface (`lo`), and
 * socket creation by family. One per kernel, so two kernels in one process
 * share nothing.
 *
 * Ownership: every table here is guarded by the JS thread; sockets add and
 * remove themselves as they bind and close.
 */
import { Errno } from '../abi/errno.js';
import * as S from '../abi/socket.js';
import type { File, UserMemory } from '../fs/file.js';
import type { Vfs } from '../fs/vfs.js';
import type { Socket, InflightHolder } from './socket.js';

/** files passed (SCM_RIGHTS) between two runs of the unix garbage collector (net/unix/garbage.c's
 * UNIX_INFLIGHT_TRIGGER_GC) */
const UNIX_GC_TRIGGER = 16000;
import { unixCreate } from './unix.js';
import { inetCreate, InetProto, PortEntry, PortTable } from './inet.js';
import { netlinkCreate } from './netlink.js';
import { hostInetCreate } from './hostinet.js';
import { vsockCreate, VsockStream, AF_VSOCK } from './vsock.js';

/** One network interface as the guest sees it. Immutable. */
export interface NetIf {
  index: number;
  name: string;
  flags: number;
  mtu: number;
  /** IPv4 address and prefix length, IPv6 address and prefix */
  v4: [number, number, number, number];
  v4prefix: number;
  v6: Uint8Array;
  v6prefix: number;
  /** ARPHRD_* */
  hwtype: number;
}

/** `lo`, the only interface of the private loopback */
export const LOOPBACK: NetIf = {
  index: 1, name: 'lo', flags: S.IFF_UP | S.IFF_LOOPBACK | S.IFF_RUNNING, mtu: 65536,
  v4: [127, 0, 0, 1], v4prefix: 8,
  v6: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), v6prefix: 128,
  hwtype: 772, // ARPHRD_LOOPBACK
};

/**
 * Buffers for queued stream data, reused: a busy connection would otherwise
 * allocate (and the GC collect) one per send. Power-of-two classes from
 * 4 KiB to 1 MiB; each class keeps spares up to SPARE_BYTES, enough for a
 * full TCP window of 64 KiB writes in flight (fewer spares made a stream
 * allocate most of its chunks afresh).
 */
export class BufPool {
  /** spare buffers by class (log2 of the size); guarded by the JS thread */
  private readonly spare: ArrayBuffer[][] = [];
  /** A buffer of exactly n bytes (a view of a pooled one when n is in the pooled range). */
  alloc(n: number): Uint8Array {
    if (n < 4096 || n > 1 << 20) return new Uint8Array(n);
    const cls = 32 - Math.clz32(n - 1);
    return new Uint8Array(this.spare[cls]?.pop() ?? new ArrayBuffer(1 << cls), 0, n);
  }
  /** A copy of data in a pooled buffer (a view of exactly data.length bytes). */
  copy(data: Uint8Array): Uint8Array {
    const u = this.alloc(data.length);
    u.set(data);
    return u;
  }
  /** data (from alloc or copy, or a view of one from its start) is no longer used. */
  free(data: Uint8Array): void {
    const size = data.buffer.byteLength;
    if (size < 4096 || size > 1 << 20 || (size & (size - 1)) !== 0 || data.byteOffset !== 0) return;
    const cls = 31 - Math.clz32(size);
    const list = (this.spare[cls] ??= []);
    if (list.length * size < SPARE_BYTES) list.push(data.buffer as ArrayBuffer);
  }
}
/** what each BufPool class keeps at most in spares: 4 MiB, one autotuned TCP window (stream.ts) */
const SPARE_BYTES = 4 << 20;

/** How the guest's inet sockets reach anything: `--net`. */
export type NetMode = 'none' | 'host';

/** What the stack needs of the event loop (HostEvents fits). */
export interface NetEvents {
  watch(fd: number, events: number, cb: () => void): boolean;
  unwatch(fd: number): void;
  /** run fire() at a CLOCK_MONOTONIC deadline (ns) */
  addTimer(deadline: bigint, fire: () => void): unknown;
}

export class NetStack {
  /** bound AF_UNIX sockets: "dev:ino" of the socket inode, or "@" + abstract name; guarded by the JS thread */
  readonly unixNames = new Map<string, Socket & { addr: Uint8Array | null; key: string | null }>();
  private readonly tcp: PortTable = new Map();
  private readonly udp: PortTable = new Map();
  private readonly udplite: PortTable = new Map();
  /** AF_VSOCK ports of the loopback transport; guarded by the JS thread */
  readonly vsockPorts = new Map<number, VsockStream>();
  /** every open socket, for /proc/net, and closed ones until the next pruning (track). Not WeakRefs: a WeakRef's
   * target lives until the JavaScript job that made or read it ends, and the kernel's loop is one job while guests
   * keep trapping, so every socket a guest ever closed stayed in memory (found by a guest that made sockets in a
   * loop: the heap ran out). Guarded by the JS thread */
  readonly sockets = new Set<Socket>();
  /** sockfs inode numbers; guarded by the JS thread */
  private nextIno = 10000;
  /** the next autobind name and ephemeral port to try; guarded by the JS thread */
  private nextAutobind = 0;
  private ephemeral = 0;
  /** netlink port ids in use; guarded by the JS thread */
  private readonly nlPorts = new Set<number>();
  private nlNext = -4096;
  /** queued stream data's buffers; immutable reference */
  readonly bufs = new BufPool();
  /** the interfaces (only `lo`); immutable */
  readonly interfaces: readonly NetIf[] = [LOOPBACK];

  constructor(
    /** where unix socket paths live; immutable reference */
    readonly vfs: Vfs,
    /** the event loop's host-fd readiness (the platform's HostEvents, structurally); immutable reference */
    readonly events: NetEvents,
    /** 'none': the private loopback; 'host': inet sockets are host sockets; immutable */
    readonly mode: NetMode = 'none',
  ) {}

  allocIno(): number {
    return this.nextIno++;
  }
  ports(proto: InetProto): PortTable {
    return proto === 'tcp' ? this.tcp : proto === 'udp' ? this.udp : this.udplite;
  }
  /** Where to start looking for a free ephemeral port (a step through the range, as Linux's is randomised). */
  nextEphemeral(span: number): number {
    this.ephemeral = (this.ephemeral + 7919) % span;
    return this.ephemeral;
  }
  /** What holds the ports of proto (sockets and TIME_WAIT remains), for /proc/net. */
  bound(proto: InetProto): PortEntry[] {
    return [...this.ports(proto).values()].flat();
  }

  /** netlink_autobind: the process's pid for its first socket, then unique negative ids. */
  netlinkPort(pid: number): number {
    let p = pid;
    if (this.nlPorts.has(p) || p === 0) {
      while (this.nlPorts.has(this.nlNext >>> 0)) this.nlNext--;
      p = this.nlNext-- >>> 0;
    }
    this.nlPorts.add(p);
    return p;
  }
  releaseNetlinkPort(p: number): void {
    this.nlPorts.delete(p);
  }

  /** unix_autobind: an abstract name of five hex digits. 0 or -errno. */
  unixAutobind(sock: Socket & { addr: Uint8Array | null; key: string | null }): number {
    if (sock.addr) return 0;
    for (let i = 0; i < 0x100000; i++) {
      const n = (this.nextAutobind++ & 0xfffff).toString(16).padStart(5, '0');
      const key = `@${sock.type}:\0${n}`;
      if (this.unixNames.has(key)) continue;
      const raw = new Uint8Array(8);
      raw[0] = S.AF_UNIX;
      raw.set(Buffer.from(n, 'latin1'), 3);
      this.unixNames.set(key, sock);
      sock.key = key;
      sock.addr = raw;
      return 0;
    }
    return -Errno.ENOSPC;
  }

  /**
   * socket(2) after the type's flags are split off: the new socket, or
   * -errno (EAFNOSUPPORT for families this kernel does not have).
   */
  create(family: number, type: number, protocol: number, flags: number, owner: { uid: number; gid: number }): Socket | number {
    let s: Socket | number;
    switch (family) {
      case S.AF_UNIX: s = unixCreate(this, type, protocol, flags, owner); break;
      case S.AF_INET: case S.AF_INET6:
        s = this.mode === 'host'
          ? hostInetCreate(this, family, type, protocol, flags, owner)
          : inetCreate(this, family, type, protocol, flags, owner);
        break;
      case S.AF_NETLINK: s = netlinkCreate(this, type, protocol, flags, owner); break;
      case AF_VSOCK: s = vsockCreate(this, type, protocol, flags, owner); break;
      case S.AF_PACKET: return -Errno.EPERM; // needs CAP_NET_RAW
      default: return -Errno.EAFNOSUPPORT;
    }
    if (typeof s !== 'number') this.track(s);
    return s;
  }
  /** Remember a socket for /proc/net (accept's children too). */
  track(s: Socket): void {
    this.sockets.add(s);
    // forget closed sockets now and then, so a guest that never reads /proc/net cannot grow the set without end
    if (this.sockets.size > this.pruneAt) {
      this.live();
      this.pruneAt = 2 * this.sockets.size + 1024;
    }
  }
  /** the set's size that triggers the next pruning; guarded by the JS thread */
  private pruneAt = 1024;

  /** files sent with SCM_RIGHTS since the last collection (Linux's UNIX_INFLIGHT_TRIGGER_GC); guarded by the JS
   * thread */
  private sentSinceGc = 0;
  /** sendmsg passed n files: past the trigger, collect the unreachable ones in flight. */
  filesSent(n: number): void {
    this.sentSinceGc += n;
    if (this.sentSinceGc < UNIX_GC_TRIGGER) return;
    this.sentSinceGc = 0;
    this.unixGc();
  }
  /**
   * unix_gc (net/unix/garbage.c): sockets that only messages in flight
   * hold (each sent over a socket, SCM_RIGHTS, then closed) and that no
   * descriptor or reachable queue can lead to, such as a pair each sent
   * over itself or over the other, would hold each other for good: their
   * queued files are dropped, and they go. A candidate is a socket every
   * reference of which is a queued message's; one referenced from outside
   * (more references than candidates' queues hold) is reachable, and so is
   * everything its queue carries, transitively.
   */
  unixGc(): void {
    const holders = this.live().filter((s) => (s as Partial<InflightHolder>).queuedFiles !== undefined) as
      Array<Socket & InflightHolder>;
    const inflight = new Map<File, number>();
    for (const h of holders) for (const f of h.queuedFiles()) inflight.set(f, (inflight.get(f) ?? 0) + 1);
    const cand = new Set<Socket & InflightHolder>();
    for (const h of holders) if (inflight.get(h) === h.refCount) cand.add(h);
    if (cand.size === 0) return;
    // references from the candidates' own queues
    const internal = new Map<File, number>();
    for (const c of cand) for (const f of c.queuedFiles()) internal.set(f, (internal.get(f) ?? 0) + 1);
    const alive = new Set<File>();
    const mark = (s: File): void => {
      if (alive.has(s)) return;
      alive.add(s);
      if (cand.has(s as Socket & InflightHolder)) for (const f of (s as Socket & InflightHolder).queuedFiles()) mark(f);
    };
    for (const c of cand) if (c.refCount > (internal.get(c) ?? 0)) mark(c);
    const dead = [...cand].filter((c) => !alive.has(c));
    // (each dead socket's queue goes; the last of them to lose its references is released)
    for (const c of dead) c.get();
    for (const c of dead) c.dropQueuedFiles();
    for (const c of dead) c.put();
  }
  /** Open sockets now (the closed ones are forgotten). */
  live(): Socket[] {
    const r: Socket[] = [];
    for (const s of this.sockets) {
      if (s.released) this.sockets.delete(s);
      else r.push(s);
    }
    return r;
  }

  /** The interface ioctls any socket answers (net/core/dev_ioctl.c): SIOCGIF*. */
  ifIoctl(req: number, arg: number, mem: UserMemory, _family: number): number {
    if (req === S.SIOCGIFCONF) return this.ifconf(arg, mem);
    const isIf = req === S.SIOCGIFNAME || req === S.SIOCGIFFLAGS || req === S.SIOCGIFADDR || req === S.SIOCGIFNETMASK ||
      req === S.SIOCGIFMTU || req === S.SIOCGIFHWADDR || req === S.SIOCGIFINDEX || req === S.SIOCGIFBRDADDR ||
      req === S.SIOCGIFDSTADDR || req === S.SIOCGIFTXQLEN;
    if (!isIf) return -Errno.ENOTTY;
    const ifr = mem.read(arg, S.IFREQ_SIZE);
    const dv = new DataView(ifr.buffer, ifr.byteOffset, ifr.length);
    let dev: NetIf | undefined;
    if (req === S.SIOCGIFNAME) {
      const idx = dv.getInt32(S.IFNAMSIZ, true);
      dev = this.interfaces.find((i) => i.index === idx);
      if (!dev) return -Errno.ENODEV;
      ifr.fill(0, 0, S.IFNAMSIZ);
      ifr.set(Buffer.from(dev.name), 0);
      mem.write(arg, ifr);
      return 0;
    }
    let end = ifr.indexOf(0);
    if (end < 0 || end >= S.IFNAMSIZ) end = S.IFNAMSIZ - 1;
    const name = Buffer.from(ifr.subarray(0, end)).toString('latin1');
    dev = this.interfaces.find((i) => i.name === name);
    if (!dev) return -Errno.ENODEV;
    ifr.fill(0, S.IFNAMSIZ);
    const sin = (a: [number, number, number, number]): void => {
      dv.setUint16(S.IFNAMSIZ, S.AF_INET, true);
      ifr.set(a, S.IFNAMSIZ + 4);
    };
    const mask = (p: number): [number, number, number, number] => {
      const m = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
      return [m >>> 24, (m >>> 16) & 255, (m >>> 8) & 255, m & 255];
    };
    switch (req) {
      case S.SIOCGIFFLAGS: dv.setUint16(S.IFNAMSIZ, dev.flags, true); break;
      case S.SIOCGIFINDEX: dv.setInt32(S.IFNAMSIZ, dev.index, true); break;
      case S.SIOCGIFMTU: dv.setInt32(S.IFNAMSIZ, dev.mtu, true); break;
      case S.SIOCGIFTXQLEN: dv.setInt32(S.IFNAMSIZ, 1000, true); break;
      case S.SIOCGIFADDR: case S.SIOCGIFDSTADDR: sin(dev.v4); break;
      case S.SIOCGIFNETMASK: sin(mask(dev.v4prefix)); break;
      case S.SIOCGIFBRDADDR: sin([0, 0, 0, 0]); break;
      case S.SIOCGIFHWADDR: dv.setUint16(S.IFNAMSIZ, dev.hwtype, true); break;
    }
    mem.write(arg, ifr);
    return 0;
  }

  /** SIOCGIFCONF: an ifreq (name, IPv4 address) per interface with one; a NULL buffer asks the size. */
  private ifconf(arg: number, mem: UserMemory): number {
    const hdr = mem.read(arg, S.IFCONF_SIZE);
    const dv = new DataView(hdr.buffer, hdr.byteOffset, hdr.length);
    const len = dv.getInt32(0, true);
    const buf = Number(dv.getBigUint64(8, true));
    const need = this.interfaces.length * S.IFREQ_SIZE;
    if (buf === 0) {
      dv.setInt32(0, need, true);
      mem.write(arg, hdr);
      return 0;
    }
    let done = 0;
    for (const i of this.interfaces) {
      if (done + S.IFREQ_SIZE > len) break;
      const r = new Uint8Array(S.IFREQ_SIZE), rv = new DataView(r.buffer);
      r.set(Buffer.from(i.name), 0);
      rv.setUint16(S.IFNAMSIZ, S.AF_INET, true);
      r.set(i.v4, S.IFNAMSIZ + 4);
      mem.write(buf + done, r);
      done += S.IFREQ_SIZE;
    }
    dv.setInt32(0, done, true);
    mem.write(arg, hdr);
    return 0;
  }
}
