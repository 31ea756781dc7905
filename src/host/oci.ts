/**
 * The host calls the OCI runtime (src/oci/) needs and the kernel does not:
 * a pty pair for `process.terminal`, file descriptors passed over a unix
 * socket (SCM_RIGHTS: the console socket's pty master, exec's stdio),
 * joining a namespace by path (setns) and a UTS namespace of its own for
 * the container's hostname. Thin wrappers named after the libc call; a
 * failure throws HostError.
 *
 * Kept apart from libc.ts: nothing here is on the kernel's path.
 */
import koffi from 'koffi';
import { HostError } from './errors.js';

const libc = koffi.load('libc.so.6');

const c = {
  posix_openpt: libc.func('int posix_openpt(int flags)'),
  grantpt: libc.func('int grantpt(int fd)'),
  unlockpt: libc.func('int unlockpt(int fd)'),
  ptsname_r: libc.func('int ptsname_r(int fd, void *buf, size_t len)'),
  open: libc.func('int open(const char *path, int flags, unsigned int mode)'),
  close: libc.func('int close(int fd)'),
  socket: libc.func('int socket(int domain, int type, int protocol)'),
  connect: libc.func('int connect(int fd, void *addr, unsigned int len)'),
  sendmsg: libc.func('long sendmsg(int fd, uintptr_t msg, int flags)'),
  recvmsg: libc.func('long recvmsg(int fd, uintptr_t msg, int flags)'),
  malloc: libc.func('uintptr_t malloc(size_t n)'),
  free: libc.func('void free(uintptr_t p)'),
  setns: libc.func('int setns(int fd, int nstype)'),
  unshare: libc.func('int unshare(int flags)'),
  sethostname: libc.func('int sethostname(const char *name, size_t len)'),
  ioctl_p: libc.func('int ioctl(int fd, unsigned long req, void *arg)'),
  prlimit: libc.func('int prlimit(int pid, int res, void *newl, void *oldl)'),
};

function fail(call: string, detail?: string): never {
  throw new HostError(call, koffi.errno(), detail);
}

const O_RDWR = 2, O_NOCTTY = 0o400, O_CLOEXEC = 0o2000000;
export const CLONE_NEWUTS = 0x04000000, CLONE_NEWNET = 0x40000000;

/** posix_openpt + grantpt + unlockpt + ptsname, then the slave opened: a new host pty. Throws HostError. */
export function openpty(): { master: number; slave: number; name: string } {
  const master = c.posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC) as number;
  if (master < 0) fail('posix_openpt');
  try {
    if ((c.grantpt(master) as number) !== 0) fail('grantpt');
    if ((c.unlockpt(master) as number) !== 0) fail('unlockpt');
    const buf = Buffer.alloc(128);
    const r = c.ptsname_r(master, buf, buf.length) as number;
    if (r !== 0) throw new HostError('ptsname_r', r);
    const name = buf.subarray(0, buf.indexOf(0)).toString();
    const slave = c.open(name, O_RDWR | O_NOCTTY | O_CLOEXEC, 0) as number;
    if (slave < 0) fail('open', name);
    return { master, slave, name };
  } catch (e) {
    c.close(master);
    throw e;
  }
}

/** TIOCSWINSZ on a pty: its window size. */
export function setWinsize(fd: number, rows: number, cols: number): void {
  const ws = new Uint16Array([rows, cols, 0, 0]);
  if ((c.ioctl_p(fd, 0x5414, ws) as number) !== 0) fail('ioctl', 'TIOCSWINSZ');
}

const AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0o2000000, SOL_SOCKET = 1, SCM_RIGHTS = 1;
export const MSG_DONTWAIT = 0x40;

/** A blocking unix stream socket connected to `path` (under 108 bytes). Throws HostError. */
export function connectUnix(path: string): number {
  const p = Buffer.from(path);
  if (p.length >= 108) throw new HostError('connect', 36 /* ENAMETOOLONG */, path);
  const fd = c.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) as number;
  if (fd < 0) fail('socket');
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  p.copy(addr, 2);
  if ((c.connect(fd, addr, 2 + p.length + 1) as number) !== 0) {
    const e = koffi.errno();
    c.close(fd);
    throw new HostError('connect', e, path);
  }
  return fd;
}

/*
 * struct msghdr (x86-64): name@0, namelen@8, iov@16, iovlen@24,
 * control@32, controllen@40, flags@48; 56 bytes. struct iovec: base@0,
 * len@8. struct cmsghdr: len@0 (size_t), level@8, type@12, data@16.
 * Built in malloc'd memory: the pointers inside must be host addresses.
 */
const MSGHDR = 56, IOVEC = 16, CMSG_HDR = 16, MAX_FDS = 16;

function withMsg<T>(dataLen: number, nfds: number, fn: (mem: bigint, view: DataView, bytes: Uint8Array, dataAt: number, ctlAt: number) => T): T {
  const ctlLen = CMSG_HDR + Math.ceil((nfds * 4) / 8) * 8;
  const dataAt = MSGHDR + IOVEC + ctlLen;
  const total = dataAt + Math.max(dataLen, 1);
  const mem = BigInt(c.malloc(total) as number | bigint);
  if (mem === 0n) fail('malloc');
  try {
    const ab = koffi.view(mem, total) as ArrayBuffer;
    const view = new DataView(ab), bytes = new Uint8Array(ab);
    bytes.fill(0);
    const ctlAt = MSGHDR + IOVEC;
    view.setBigUint64(16, mem + BigInt(MSGHDR), true); // msg_iov
    view.setBigUint64(24, 1n, true); // msg_iovlen
    view.setBigUint64(MSGHDR, mem + BigInt(dataAt), true); // iov_base
    view.setBigUint64(MSGHDR + 8, BigInt(Math.max(dataLen, 1)), true); // iov_len
    if (nfds > 0) {
      view.setBigUint64(32, mem + BigInt(ctlAt), true); // msg_control
      view.setBigUint64(40, BigInt(ctlLen), true); // msg_controllen
    }
    return fn(mem, view, bytes, dataAt, ctlAt);
  } finally {
    c.free(mem);
  }
}

/** sendmsg(2): `data` (at least one byte is sent) with `fds` as SCM_RIGHTS. Throws HostError. */
export function sendFds(sock: number, data: Uint8Array, fds: readonly number[]): void {
  if (fds.length > MAX_FDS) throw new HostError('sendmsg', 22 /* EINVAL */, 'too many fds');
  withMsg(data.length, fds.length, (mem, view, bytes, dataAt, ctlAt) => {
    bytes.set(data.length ? data : [0], dataAt);
    if (fds.length > 0) {
      view.setBigUint64(ctlAt, BigInt(CMSG_HDR + fds.length * 4), true);
      view.setInt32(ctlAt + 8, SOL_SOCKET, true);
      view.setInt32(ctlAt + 12, SCM_RIGHTS, true);
      fds.forEach((fd, i) => view.setInt32(ctlAt + CMSG_HDR + i * 4, fd, true));
    }
    for (;;) {
      const r = Number(c.sendmsg(sock, mem, 0) as number | bigint);
      if (r >= 0) return;
      if (koffi.errno() !== 4 /* EINTR */) fail('sendmsg');
    }
  });
}

/** recvmsg(2): up to `max` bytes and the fds passed with them (close-on-exec); -errno (EAGAIN with MSG_DONTWAIT). */
export function recvFds(sock: number, max: number, flags: number): { data: Buffer; fds: number[] } | number {
  return withMsg(max, MAX_FDS, (mem, view, bytes, dataAt, ctlAt) => {
    const r = Number(c.recvmsg(sock, mem, flags | 0x40000000 /* MSG_CMSG_CLOEXEC */) as number | bigint);
    if (r < 0) return -koffi.errno();
    const fds: number[] = [];
    const ctlLen = Number(view.getBigUint64(40, true));
    for (let at = ctlAt; at + CMSG_HDR <= ctlAt + ctlLen;) {
      const len = Number(view.getBigUint64(at, true));
      if (len < CMSG_HDR) break;
      if (view.getInt32(at + 8, true) === SOL_SOCKET && view.getInt32(at + 12, true) === SCM_RIGHTS) {
        for (let i = 0; i < (len - CMSG_HDR) / 4; i++) fds.push(view.getInt32(at + CMSG_HDR + i * 4, true));
      }
      at += Math.ceil(len / 8) * 8;
    }
    return { data: Buffer.from(bytes.subarray(dataAt, dataAt + r)), fds };
  });
}

/** setns(2) into the namespace at `path` (a /proc/PID/ns/* or a bind mount of one). Throws HostError. */
export function setnsPath(path: string, nstype: number): void {
  const fd = c.open(path, O_CLOEXEC, 0) as number;
  if (fd < 0) fail('open', path);
  try {
    if ((c.setns(fd, nstype) as number) !== 0) fail('setns', path);
  } finally {
    c.close(fd);
  }
}

/** unshare(2). Throws HostError. */
export function unshare(flags: number): void {
  if ((c.unshare(flags) as number) !== 0) fail('unshare');
}

/** sethostname(2). Throws HostError. */
export function sethostname(name: string): void {
  const b = Buffer.from(name);
  if ((c.sethostname(b, b.length) as number) !== 0) fail('sethostname', name);
}

/** close(2), errors ignored (the runtime's own fds). */
export function closeFd(fd: number): void {
  c.close(fd);
}

/** setrlimit(2) through prlimit (Infinity or a huge value: RLIM_INFINITY). Throws HostError. */
export function setrlimit(res: number, soft: number, hard: number): void {
  const lim = (v: number): bigint => (!Number.isFinite(v) || v < 0 || v >= 2 ** 63 ? 0xffffffffffffffffn : BigInt(Math.floor(v)));
  const l = new BigUint64Array([lim(soft), lim(hard)]);
  if ((c.prlimit(0, res, l, null) as number) !== 0) fail('prlimit', `resource ${res}`);
}
