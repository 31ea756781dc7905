/**
 * AF_VSOCK (net/vmw_vsock/af_vsock.c) with only the loopback transport: a
 * guest's vsock sockets reach each other through the kernel (CID 1, the
 * local CID, and the guest's own, VSOCK_GUEST_CID), never a hypervisor or
 * the host's vsock. /dev/vsock answers IOCTL_VM_SOCKETS_GET_LOCAL_CID with
 * the guest's CID. Streams and seqpackets reuse the kernel's stream sockets.
 */
import { Errno } from '../abi/errno.js';
import * as S from '../abi/socket.js';
import { Socket, SockCaller } from './socket.js';
import { StreamSocket } from './stream.js';
import type { NetStack } from './stack.js';
import { fsCapable } from '../fs/node.js';
import { CAP_NET_BIND_SERVICE } from '../abi/capability.js';

const { AF_VSOCK, VSOCK_GUEST_CID } = S;
export { AF_VSOCK };
/** struct sockaddr_vm: family, reserved, port, cid, flags, zero[3] */
export const SOCKADDR_VM_SIZE = 16;
export const VMADDR_CID_ANY = 0xffffffff, VMADDR_PORT_ANY = 0xffffffff, VMADDR_CID_LOCAL = 1, VMADDR_CID_HOST = 2;
const SO_VM_SOCKETS_BUFFER_SIZE = 0, SO_VM_SOCKETS_BUFFER_MIN_SIZE = 1, SO_VM_SOCKETS_BUFFER_MAX_SIZE = 2;
/** VSOCK_DEFAULT_BUFFER_{SIZE,MIN_SIZE,MAX_SIZE} */
const BUF_DEFAULT = 262144, BUF_MIN = 128, BUF_MAX = 262144;
/** LAST_RESERVED_PORT: ports up to it need privilege; autobind starts past it */
const LAST_RESERVED_PORT = 1023;

interface VmAddr {
  cid: number;
  port: number;
}

function parseVm(raw: Uint8Array): VmAddr | number {
  if (raw.length < SOCKADDR_VM_SIZE) return -Errno.EINVAL;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  if (dv.getUint16(0, true) !== AF_VSOCK) return -Errno.EAFNOSUPPORT;
  return { port: dv.getUint32(4, true), cid: dv.getUint32(8, true) };
}

function encodeVm(a: VmAddr): Uint8Array {
  const b = new Uint8Array(SOCKADDR_VM_SIZE), dv = new DataView(b.buffer);
  dv.setUint16(0, AF_VSOCK, true);
  dv.setUint32(4, a.port >>> 0, true);
  dv.setUint32(8, a.cid >>> 0, true);
  return b;
}

const isLocal = (cid: number): boolean => cid === VMADDR_CID_LOCAL || cid === VSOCK_GUEST_CID;

export class VsockStream extends StreamSocket {
  /** bound address; guarded by the JS thread (bind, connect's autobind, close) */
  local: VmAddr | null = null;
  remote: VmAddr | null = null;
  /** the vsock buffer options (u64 values, kept as numbers) */
  private bufSize = BUF_DEFAULT;
  private bufMin = BUF_MIN;
  private bufMax = BUF_MAX;

  constructor(net: NetStack, type: number, flags: number, owner: { uid: number; gid: number }) {
    super(net, AF_VSOCK, type, 0, flags, owner, { snd: BUF_DEFAULT, rcv: BUF_DEFAULT }, false);
  }

  protected override newChild(): StreamSocket {
    const ch = new VsockStream(this.net, this.type, this.flags & ~0o4000, { uid: this.uid, gid: this.gid });
    ch.inheritOptions(this);
    ch.local = this.local;
    this.net.track(ch);
    return ch;
  }

  private bindAt(a: VmAddr, c: SockCaller | null): number {
    if (a.cid !== VMADDR_CID_ANY && !isLocal(a.cid)) return -Errno.EADDRNOTAVAIL;
    const ports = this.net.vsockPorts;
    let port = a.port;
    if (port === VMADDR_PORT_ANY) {
      for (port = LAST_RESERVED_PORT + 1; ports.has(port); port++);
    } else {
      if (port <= LAST_RESERVED_PORT && c && !fsCapable(c.creds, CAP_NET_BIND_SERVICE)) return -Errno.EACCES;
      if (ports.has(port)) return -Errno.EADDRINUSE;
    }
    ports.set(port, this);
    this.local = { cid: a.cid, port };
    return 0;
  }

  override bind(raw: Uint8Array, c: SockCaller): number {
    const a = parseVm(raw);
    if (typeof a === 'number') return a;
    if (this.local) return -Errno.EINVAL;
    return this.bindAt(a, c);
  }

  override connect(raw: Uint8Array, c: SockCaller, _nonblock: boolean): number {
    const e = this.connectState();
    if (e < 0) return e;
    const a = parseVm(raw);
    if (typeof a === 'number') return a;
    if (!isLocal(a.cid)) return a.cid === VMADDR_CID_HOST ? -Errno.ENODEV : -Errno.ENETUNREACH; // no transport beyond loopback
    if (!this.local) {
      const b = this.bindAt({ cid: VMADDR_CID_ANY, port: VMADDR_PORT_ANY }, null);
      if (b < 0) return b;
    }
    const l = this.net.vsockPorts.get(a.port);
    // a vsock connection nobody listens for is reset, not refused
    if (!l || l.state !== 'listening' || l.type !== this.type) return -Errno.ECONNRESET;
    const cr = c.creds as { euid: number; egid?: number; gid: number };
    const r = this.connectTo(l, { pid: c.pid, uid: cr.euid, gid: cr.egid ?? cr.gid });
    if (r < 0) return r === -Errno.ECONNREFUSED ? -Errno.ECONNRESET : r;
    this.remote = { cid: VSOCK_GUEST_CID, port: a.port };
    (this.peer as VsockStream).remote = { cid: VSOCK_GUEST_CID, port: this.local!.port };
    return 0;
  }

  protected override listenCheck(_c: SockCaller): number {
    return this.local ? 0 : -Errno.EINVAL;
  }

  override name(peer: boolean): Uint8Array | number {
    if (peer) {
      if (this.state !== 'connected' || !this.remote) return -Errno.ENOTCONN;
      return encodeVm(this.remote);
    }
    return encodeVm(this.local ?? { cid: VMADDR_CID_ANY, port: VMADDR_PORT_ANY });
  }

  protected override setProtoOpt(level: number, name: number, val: Uint8Array): number {
    if (level !== AF_VSOCK) return -Errno.ENOPROTOOPT;
    if (val.length < 8) return -Errno.EINVAL;
    const v = Number(new DataView(val.buffer, val.byteOffset, 8).getBigUint64(0, true));
    const clamp = (x: number): number => Math.max(this.bufMin, Math.min(this.bufMax, x));
    switch (name) {
      case SO_VM_SOCKETS_BUFFER_SIZE: this.bufSize = clamp(v); return 0;
      case SO_VM_SOCKETS_BUFFER_MAX_SIZE: this.bufMax = v; this.bufSize = clamp(this.bufSize); return 0;
      case SO_VM_SOCKETS_BUFFER_MIN_SIZE: this.bufMin = v; this.bufSize = clamp(this.bufSize); return 0;
      default: return -Errno.ENOPROTOOPT;
    }
  }

  protected override getProtoOpt(level: number, name: number): Uint8Array | number {
    if (level !== AF_VSOCK) return -Errno.ENOPROTOOPT;
    const v = name === SO_VM_SOCKETS_BUFFER_SIZE ? this.bufSize : name === SO_VM_SOCKETS_BUFFER_MIN_SIZE ? this.bufMin
      : name === SO_VM_SOCKETS_BUFFER_MAX_SIZE ? this.bufMax : -1;
    if (v < 0) return -Errno.ENOPROTOOPT;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    return b;
  }

  protected override unbind(): void {
    if (this.local && this.net.vsockPorts.get(this.local.port) === this) this.net.vsockPorts.delete(this.local.port);
  }
}

/** socket(AF_VSOCK, type, protocol): streams and seqpackets (no datagram transport). */
export function vsockCreate(net: NetStack, type: number, protocol: number, flags: number, owner: { uid: number; gid: number }): Socket | number {
  if (protocol !== 0) return -Errno.EPROTONOSUPPORT;
  if (type !== S.SOCK_STREAM && type !== S.SOCK_SEQPACKET) return -Errno.ESOCKTNOSUPPORT;
  return new VsockStream(net, type, flags, owner);
}
