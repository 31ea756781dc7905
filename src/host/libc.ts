/**
 * Every call the kernel makes into the host OS goes through this file (koffi
 * is loaded by koffi.ts; the OCI runtime's own calls are in oci.ts, the
 * kernel's loader maps its bundle through map_file.ts and the command's
 * exit is exit.ts: both run where this module is not loaded). Thin wrappers
 * named after the libc call; a failure throws HostError {call, errno}.
 * Pointers are BigInt (koffi 3); out-parameters are typed arrays, which
 * koffi passes by address without copying.
 *
 * Hot-path wrappers (ptrace, waitpid) take and return plain numbers and
 * preallocated typed arrays: nothing is allocated per call.
 */
import { readFileSync } from 'node:fs';
import { loadKoffi } from './koffi.js';
import { HostError } from './errors.js';
import { Errno } from '../abi/errno.js';
import { TIMEX_SIZE, TX_MODES, ADJ_OFFSET_SS_READ } from '../abi/timex.js';
import { hasEscapes, encodeName } from '../abi/names.js';
import { SOL_SOCKET, SCM_CREDENTIALS, MSG_DONTWAIT } from '../abi/socket.js';

const koffi = loadKoffi();

const libc = koffi.load('libc.so.6');

export type HostPtr = bigint;

// ---- raw bindings ---------------------------------------------------------
const c = {
  ptrace_n: libc.func('long ptrace(long req, int pid, uintptr_t addr, uintptr_t data)'),
  ptrace_p: libc.func('long ptrace(long req, int pid, uintptr_t addr, void *data)'),
  ptrace_l: libc.func('long ptrace(long req, int pid, long addr, long data)'),
  waitpid: libc.func('int waitpid(int pid, int *status, int options)'),
  waitid: libc.func('int waitid(int idtype, int id, void *info, int options)'),
  kill: libc.func('int kill(int pid, int sig)'),
  tgkill: libc.func('int tgkill(int tgid, int tid, int sig)'),
  getpid: libc.func('int getpid(void)'),
  getpgid: libc.func('int getpgid(int pid)'),
  getuid: libc.func('unsigned int getuid(void)'),
  getgid: libc.func('unsigned int getgid(void)'),
  posix_spawn: libc.func('int posix_spawn(int *pid, const char *path, void *file_actions, void *attrp, const char **argv, const char **envp)'),
  fa_init: libc.func('int posix_spawn_file_actions_init(void *fa)'),
  fa_destroy: libc.func('int posix_spawn_file_actions_destroy(void *fa)'),
  fa_adddup2: libc.func('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)'),
  attr_init: libc.func('int posix_spawnattr_init(void *attr)'),
  attr_destroy: libc.func('int posix_spawnattr_destroy(void *attr)'),
  attr_setflags: libc.func('int posix_spawnattr_setflags(void *attr, short flags)'),
  attr_setpgroup: libc.func('int posix_spawnattr_setpgroup(void *attr, int pgrp)'),
  attr_setsigmask: libc.func('int posix_spawnattr_setsigmask(void *attr, void *set)'),
  attr_setsigdefault: libc.func('int posix_spawnattr_setsigdefault(void *attr, void *set)'),
  memfd_create: libc.func('int memfd_create(const char *name, unsigned int flags)'),
  ftruncate: libc.func('int ftruncate(int fd, int64_t len)'),
  fallocate: libc.func('int fallocate(int fd, int mode, int64_t off, int64_t len)'),
  mmap: libc.func('uintptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, int64_t off)'),
  munmap: libc.func('int munmap(uintptr_t addr, size_t len)'),
  close: libc.func('int close(int fd)'),
  read_p: libc.func('long read(int fd, uintptr_t buf, size_t n)'),
  write_p: libc.func('long write(int fd, uintptr_t buf, size_t n)'),
  write_b: libc.func('long write(int fd, void *buf, size_t n)'),
  read_b: libc.func('long read(int fd, void *buf, size_t n)'),
  pread_p: libc.func('long pread(int fd, uintptr_t buf, size_t n, int64_t off)'),
  pwrite_p: libc.func('long pwrite(int fd, uintptr_t buf, size_t n, int64_t off)'),
  openat: libc.func('int openat(int dirfd, const char *path, int flags, unsigned int mode)'),
  fstatat: libc.func('int fstatat(int dirfd, const char *path, void *st, int flags)'),
  statx: libc.func('int statx(int dirfd, const char *path, int flags, unsigned int mask, void *stx)'),
  fstat: libc.func('int fstat(int fd, void *st)'),
  readlinkat: libc.func('long readlinkat(int dirfd, const char *path, void *buf, size_t n)'),
  lseek: libc.func('int64_t lseek(int fd, int64_t off, int whence)'),
  getdents64: libc.func('long getdents64(int fd, void *buf, size_t n)'),
  faccessat: libc.func('int faccessat(int dirfd, const char *path, int mode, int flags)'),
  sched_setaffinity: libc.func('int sched_setaffinity(int pid, size_t size, void *mask)'),
  sched_getaffinity: libc.func('int sched_getaffinity(int pid, size_t size, void *mask)'),
  sched_getcpu: libc.func('int sched_getcpu(void)'),
  prctl: libc.func('int prctl(int op, unsigned long a, unsigned long b, unsigned long c, unsigned long d)'),
  epoll_create1: libc.func('int epoll_create1(int flags)'),
  epoll_ctl: libc.func('int epoll_ctl(int epfd, int op, int fd, void *ev)'),
  epoll_wait: libc.func('int epoll_wait(int epfd, void *evs, int max, int timeout)'),
  timerfd_create: libc.func('int timerfd_create(int clock, int flags)'),
  timerfd_settime: libc.func('int timerfd_settime(int fd, int flags, void *newv, void *oldv)'),
  poll: libc.func('int poll(void *fds, unsigned long n, int timeout)'),
  ioctl_p: libc.func('int ioctl(int fd, unsigned long req, void *arg)'),
  isatty: libc.func('int isatty(int fd)'),
  setpgid: libc.func('int setpgid(int pid, int pgid)'),
  tcsetpgrp: libc.func('int tcsetpgrp(int fd, int pgrp)'),
  getpgrp: libc.func('int getpgrp(void)'),
  prlimit: libc.func('int prlimit(int pid, int res, void *newl, void *oldl)'),
  clock_gettime: libc.func('int clock_gettime(int clk, void *ts)'),
  adjtimex: libc.func('int adjtimex(void *tx)'),
  gethostname: libc.func('int gethostname(void *name, size_t len)'),
  getrandom: libc.func('long getrandom(void *buf, size_t n, unsigned int flags)'),
};

/**
 * A path or name for a `const char *` argument: as is (koffi encodes UTF-8),
 * or its bytes with a NUL when it holds escaped bytes (abi/names.ts).
 */
function cs(s: string): string | Buffer {
  return hasEscapes(s) ? Buffer.concat([encodeName(s), NUL]) : s;
}
const NUL = Buffer.of(0);

function fail(call: string, detail?: string): never {
  throw new HostError(call, koffi.errno(), detail);
}

/** errno of the last failed host call (for wrappers that return -1 instead of throwing). */
export function lastErrno(): number {
  return koffi.errno();
}

// ---- ptrace -----------------------------------------------------------------
export const PTRACE_TRACEME = 0, PTRACE_PEEKDATA = 2, PTRACE_PEEKUSER = 3, PTRACE_POKEDATA = 5,
  PTRACE_POKEUSER = 6, PTRACE_CONT = 7, PTRACE_KILL = 8, PTRACE_GETREGS = 12, PTRACE_SETREGS = 13,
  PTRACE_GETFPREGS = 14, PTRACE_SETFPREGS = 15, PTRACE_ATTACH = 16, PTRACE_DETACH = 17,
  PTRACE_SYSCALL = 24, PTRACE_SETOPTIONS = 0x4200, PTRACE_GETEVENTMSG = 0x4201,
  PTRACE_GETSIGINFO = 0x4202, PTRACE_GETREGSET = 0x4204, PTRACE_SETREGSET = 0x4205,
  PTRACE_SEIZE = 0x4206, PTRACE_INTERRUPT = 0x4207, PTRACE_SYSEMU = 31;
export const PTRACE_O_TRACESYSGOOD = 1, PTRACE_O_TRACEFORK = 2, PTRACE_O_TRACEVFORK = 4,
  PTRACE_O_TRACECLONE = 8, PTRACE_O_TRACEEXEC = 0x10, PTRACE_O_TRACEEXIT = 0x40,
  PTRACE_O_TRACESECCOMP = 0x80, PTRACE_O_EXITKILL = 0x100000;
export const PTRACE_EVENT_FORK = 1, PTRACE_EVENT_VFORK = 2, PTRACE_EVENT_CLONE = 3,
  PTRACE_EVENT_EXEC = 4, PTRACE_EVENT_EXIT = 6, PTRACE_EVENT_SECCOMP = 7;

/** ptrace request whose data is an integer (CONT's signal, SETOPTIONS' options). Throws. */
export function ptrace(req: number, pid: number, addr: number, data: number): number {
  const r = c.ptrace_n(req, pid, addr, data) as number;
  if (r === -1) fail('ptrace', `req ${req} pid ${pid}`);
  return r;
}

/** ptrace request whose data is a buffer (GETREGS/SETREGS/GETSIGINFO/...). Throws. */
export function ptraceBuf(req: number, pid: number, addr: number, data: ArrayBufferView): void {
  if ((c.ptrace_p(req, pid, addr, data) as number) === -1) fail('ptrace', `req ${req} pid ${pid}`);
}

/** ptrace(CONT/SYSCALL/...) that reports failure as -errno instead of throwing:
 * a tracee can die (SIGKILL) at any moment, and ESRCH is then routine. */
export function ptraceTry(req: number, pid: number, addr: number, data: number): number {
  const r = c.ptrace_n(req, pid, addr, data) as number;
  return r === -1 ? -koffi.errno() : r;
}

/**
 * The x86 XSAVE area of a stopped tracee (PTRACE_GETREGSET NT_X86_XSTATE):
 * FPU, SSE, AVX... in the layout of a signal frame's fpstate, sw_reserved
 * (FP_XSTATE_MAGIC1, sizes) included. One native buffer, reused: the
 * returned view is valid until the next call.
 */
const NT_X86_XSTATE = 0x202;
const XSTATE_MAX = 16384;
let xbuf: { ptr: bigint; u8: Uint8Array; iov: BigUint64Array } | null = null;
function xstateBuf(): { ptr: bigint; u8: Uint8Array; iov: BigUint64Array } {
  if (!xbuf) {
    const ptr = mmap(0n, XSTATE_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    xbuf = { ptr, u8: new Uint8Array(view(ptr, XSTATE_MAX)), iov: new BigUint64Array(2) };
  }
  return xbuf;
}
export function getXstate(pid: number): Uint8Array {
  const b = xstateBuf();
  b.iov[0] = b.ptr;
  b.iov[1] = BigInt(XSTATE_MAX);
  if ((c.ptrace_p(PTRACE_GETREGSET, pid, NT_X86_XSTATE, b.iov) as number) === -1) fail('ptrace', `GETREGSET xstate pid ${pid}`);
  xstateSize = Number(b.iov[1]);
  return b.u8.subarray(0, xstateSize);
}
/** the host's XSAVE size (SETREGSET wants exactly this many bytes); learned from the first GETREGSET */
let xstateSize = 0;
export function setXstate(pid: number, data: Uint8Array): number {
  const b = xstateBuf();
  if (xstateSize === 0) xstateSize = getXstate(pid).length;
  const n = Math.min(data.length, xstateSize);
  b.u8.set(data.subarray(0, n));
  b.u8.fill(0, n, xstateSize); // absent components: their xstate_bv bits are clear, so they load as init
  b.iov[0] = b.ptr;
  b.iov[1] = BigInt(xstateSize);
  return (c.ptrace_p(PTRACE_SETREGSET, pid, NT_X86_XSTATE, b.iov) as number) === -1 ? -koffi.errno() : 0;
}

/** ptrace with a signed data word (POKEUSER of a -errno); -errno on failure. */
export function ptraceLong(req: number, pid: number, addr: number, data: number): number {
  const r = c.ptrace_l(req, pid, addr, data) as number;
  return r === -1 ? -koffi.errno() : r;
}

export function ptraceBufTry(req: number, pid: number, addr: number, data: ArrayBufferView): number {
  return (c.ptrace_p(req, pid, addr, data) as number) === -1 ? -koffi.errno() : 0;
}

// ---- wait -------------------------------------------------------------------
export const WNOHANG = 1, WUNTRACED = 2, __WNOTHREAD = 0x20000000, __WALL = 0x40000000;
/** waitpid; the status lands in status[0]. Returns the pid, 0 (WNOHANG), or -errno (EINTR, ECHILD). */
export function waitpid(pid: number, status: Int32Array, options: number): number {
  const r = c.waitpid(pid, status, options) as number;
  return r === -1 ? -koffi.errno() : r;
}

const P_PID = 1, WEXITED = 4, WNOWAIT = 0x1000000;
/** waitid's siginfo_t (128 bytes), reused (JS thread only) */
const waitidInfo = new Uint8Array(128);
/** Is pid a child of the calling thread (not of another thread of this process: __WNOTHREAD) that the host
 * has not reaped, exited or not? Reaps nothing (waitid WNOWAIT): a pid read from a message after its process
 * was reaped may name another process now. */
export function isUnreapedChild(pid: number): boolean {
  for (;;) {
    const r = c.waitid(P_PID, pid, waitidInfo, WEXITED | WNOHANG | WNOWAIT | __WALL | __WNOTHREAD) as number;
    if (r === 0) return true;
    if (koffi.errno() !== Errno.EINTR) return false;
  }
}

/** Has child pid exited (a zombie now)? Reaps nothing (waitid WNOWAIT): its pid stays its own until reaped. */
export function hasExited(pid: number): boolean {
  for (;;) {
    waitidInfo.fill(0, 0, 20);
    const r = c.waitid(P_PID, pid, waitidInfo, WEXITED | WNOHANG | WNOWAIT | __WALL) as number;
    // (siginfo_t: si_pid at byte 16, 0 while the child runs)
    if (r === 0) return new DataView(waitidInfo.buffer).getInt32(16, true) === pid;
    if (koffi.errno() !== Errno.EINTR) return false;
  }
}

// ---- processes ----------------------------------------------------------------
export function getpid(): number { return c.getpid() as number; }
/** A process's process group, or -errno. */
export function getpgid(pid: number): number {
  const r = c.getpgid(pid) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function getuid(): number { return c.getuid() as number; }
export function getgid(): number { return c.getgid() as number; }
export function kill(pid: number, sig: number): number {
  return (c.kill(pid, sig) as number) === -1 ? -koffi.errno() : 0;
}
export function tgkill(tgid: number, tid: number, sig: number): number {
  return (c.tgkill(tgid, tid, sig) as number) === -1 ? -koffi.errno() : 0;
}

/** posix_spawn with fds dup2'ed into the child as [fd, childFd] pairs, every
 * signal at its default and unblocked, in a process group of its own (so the
 * terminal's signals reach umlts, not the guest's host processes) unless
 * opts.pgroup names one to join (the waker joins umlts's, to receive the
 * terminal's SIGWINCH). Never child_process: libuv reaps its own children and
 * would swallow ptrace stops. */
export function posixSpawn(path: string, argv: string[], envp: string[], dups: Array<[number, number]>,
  opts: { pgroup?: number } = {}): number {
  const fa = Buffer.alloc(256); // posix_spawn_file_actions_t is 80 bytes on glibc
  const attr = Buffer.alloc(512); // posix_spawnattr_t is 336 bytes on glibc
  if ((c.fa_init(fa) as number) !== 0) fail('posix_spawn_file_actions_init');
  if ((c.attr_init(attr) as number) !== 0) fail('posix_spawnattr_init');
  const POSIX_SPAWN_SETPGROUP = 2, POSIX_SPAWN_SETSIGDEF = 4, POSIX_SPAWN_SETSIGMASK = 8;
  c.attr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  c.attr_setpgroup(attr, opts.pgroup ?? 0);
  c.attr_setsigmask(attr, new Uint8Array(128));
  const all = new Uint8Array(128);
  all.fill(0xff, 0, 8); // signals 1..64
  all[1] &= ~1; // not SIGKILL (9, bit 8) or SIGSTOP (19, bit 18)
  all[2] &= ~(1 << 2);
  c.attr_setsigdefault(attr, all);
  try {
    for (const [fd, to] of dups) {
      const e = c.fa_adddup2(fa, fd, to) as number;
      if (e !== 0) throw new HostError('posix_spawn_file_actions_adddup2', e);
    }
    const pid = new Int32Array(1);
    const e = c.posix_spawn(pid, path, fa, attr, [...argv, null], [...envp, null]) as number;
    if (e !== 0) throw new HostError('posix_spawn', e, path);
    return pid[0]!;
  } finally {
    c.fa_destroy(fa);
    c.attr_destroy(attr);
  }
}

export function prctl(op: number, a = 0, b = 0, c2 = 0, d = 0): number {
  const r = c.prctl(op, a, b, c2, d) as number;
  if (r === -1) fail('prctl');
  return r;
}

/** one-CPU affinity masks, made once per CPU (no allocation per call) */
const cpuMasks: Uint8Array[] = [];
/** sched_setaffinity to a single CPU (pid 0 = the calling thread). */
export function pinToCpu(pid: number, cpu: number): number {
  let mask = cpuMasks[cpu];
  if (!mask) {
    mask = new Uint8Array(128);
    mask[cpu >> 3] = 1 << (cpu & 7);
    cpuMasks[cpu] = mask;
  }
  return (c.sched_setaffinity(pid, 128, mask) as number) === -1 ? -koffi.errno() : 0;
}

/** CPUs this process may run on. */
export function allowedCpus(): number[] {
  const mask = new Uint8Array(128);
  if ((c.sched_getaffinity(0, 128, mask) as number) === -1) fail('sched_getaffinity');
  const cpus: number[] = [];
  for (let i = 0; i < 1024; i++) if (mask[i >> 3]! & (1 << (i & 7))) cpus.push(i);
  return cpus;
}

/** The calling thread's (pid 0) or a thread's CPU affinity mask, as sched_getaffinity fills it. */
export function getAffinity(pid: number): Uint8Array {
  const mask = new Uint8Array(128);
  if ((c.sched_getaffinity(pid, 128, mask) as number) === -1) fail('sched_getaffinity');
  return mask;
}
export function setAffinity(pid: number, mask: Uint8Array): number {
  return (c.sched_setaffinity(pid, 128, mask) as number) === -1 ? -koffi.errno() : 0;
}

export const RLIMIT_NOFILE = 7;
export function getrlimit(res: number): [bigint, bigint] {
  const old = new BigUint64Array(2);
  if ((c.prlimit(0, res, null, old) as number) === -1) fail('prlimit');
  return [old[0]!, old[1]!];
}

// ---- memory -----------------------------------------------------------------
export const MFD_CLOEXEC = 1, PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4,
  MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
export { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../abi/falloc.js';

export function memfdCreate(name: string, flags: number): number {
  const fd = c.memfd_create(name, flags) as number;
  if (fd === -1) fail('memfd_create');
  return fd;
}
/** memfd_create reporting -errno (the one above throws: it is for physmem). */
export function memfdCreateTry(name: string, flags: number): number {
  const fd = c.memfd_create(name, flags) as number;
  return fd === -1 ? -koffi.errno() : fd;
}
export function ftruncate(fd: number, len: number): void {
  if ((c.ftruncate(fd, len) as number) === -1) fail('ftruncate');
}
/** fallocate; returns -errno on failure (callers decide). */
export function fallocate(fd: number, mode: number, off: number, len: number): number {
  return (c.fallocate(fd, mode, off, len) as number) === -1 ? -koffi.errno() : 0;
}
export function mmap(addr: HostPtr, len: number, prot: number, flags: number, fd: number, off: number): HostPtr {
  // koffi hands back a Number when the value fits and a BigInt otherwise
  const p = BigInt(c.mmap(addr, len, prot, flags, fd, off) as number | bigint);
  if (p >= 0xfffffffffffff000n) fail('mmap');
  return p;
}
export function munmap(addr: HostPtr, len: number): void {
  if ((c.munmap(addr, len) as number) === -1) fail('munmap');
}
/** An ArrayBuffer over host memory, without copying. */
export function view(ptr: HostPtr, len: number): ArrayBuffer {
  return koffi.view(ptr, len) as ArrayBuffer;
}

// ---- files --------------------------------------------------------------------
// These return -errno instead of throwing: hostfs maps them to guest errnos.
export function close(fd: number): number {
  return (c.close(fd) as number) === -1 ? -koffi.errno() : 0;
}
export function openat(dirfd: number, path: string, flags: number, mode: number): number {
  const fd = c.openat(dirfd, cs(path), flags, mode) as number;
  return fd === -1 ? -koffi.errno() : fd;
}
/** read into host memory at ptr (e.g. straight into a physmem frame). */
export function readPtr(fd: number, ptr: HostPtr, n: number): number {
  const r = c.read_p(fd, ptr, n) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function writePtr(fd: number, ptr: HostPtr, n: number): number {
  const r = c.write_p(fd, ptr, n) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function preadPtr(fd: number, ptr: HostPtr, n: number, off: number): number {
  const r = c.pread_p(fd, ptr, n, off) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function pwritePtr(fd: number, ptr: HostPtr, n: number, off: number): number {
  const r = c.pwrite_p(fd, ptr, n, off) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function write(fd: number, buf: Uint8Array): number {
  const r = c.write_b(fd, buf, buf.length) as number;
  return r === -1 ? -koffi.errno() : r;
}
/** getrandom(2) without flags (the host's urandom pool), filling all of buf: a call is cut short only by a
 * signal, and only past 256 bytes. Throws only if the host has no getrandom (Linux < 3.17). */
export function getrandom(buf: Uint8Array): void {
  for (let off = 0; off < buf.length; ) {
    const r = c.getrandom(off === 0 ? buf : buf.subarray(off), buf.length - off, 0) as number;
    if (r === -1) {
      const e = koffi.errno();
      if (e !== Errno.EINTR) throw new HostError('getrandom', e);
    } else off += r;
  }
}
export function read(fd: number, buf: Uint8Array): number {
  const r = c.read_b(fd, buf, buf.length) as number;
  return r === -1 ? -koffi.errno() : r;
}
export const AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;
/** fstatat into a 144-byte struct stat buffer. */
export function fstatat(dirfd: number, path: string, st: Uint8Array, flags: number): number {
  return (c.fstatat(dirfd, cs(path), st, flags) as number) === -1 ? -koffi.errno() : 0;
}
/** statx into a 256-byte struct statx buffer. */
export function statx(dirfd: number, path: string, flags: number, mask: number, stx: Uint8Array): number {
  return (c.statx(dirfd, cs(path), flags, mask, stx) as number) === -1 ? -koffi.errno() : 0;
}
export function fstat(fd: number, st: Uint8Array): number {
  return (c.fstat(fd, st) as number) === -1 ? -koffi.errno() : 0;
}
export function readlinkat(dirfd: number, path: string, buf: Uint8Array): number {
  const r = c.readlinkat(dirfd, cs(path), buf, buf.length) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function lseek(fd: number, off: number, whence: number): number {
  const r = Number(c.lseek(fd, off, whence));
  return r === -1 ? -koffi.errno() : r;
}
export function getdents64(fd: number, buf: Uint8Array): number {
  const r = c.getdents64(fd, buf, buf.length) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function faccessat(dirfd: number, path: string, mode: number, flags: number): number {
  return (c.faccessat(dirfd, cs(path), mode, flags) as number) === -1 ? -koffi.errno() : 0;
}
export function ioctl(fd: number, req: number, arg: Uint8Array): number {
  return (c.ioctl_p(fd, req, arg) as number) === -1 ? -koffi.errno() : 0;
}
export function isatty(fd: number): boolean { return (c.isatty(fd) as number) === 1; }

/** clock_gettime into ts[0] (sec), ts[1] (nsec); returns -errno on failure. */
export function clockGettime(clk: number, ts: BigInt64Array): number {
  return (c.clock_gettime(clk, ts) as number) === -1 ? -koffi.errno() : 0;
}
/** The host clock's discipline as adjtimex(2) reads it into tx (a struct timex) with modes 0 or
 * ADJ_OFFSET_SS_READ: its clock state (TIME_OK...), or -errno. Only a reading: other modes throw. */
export function adjtimexRead(tx: Uint8Array, modes: number): number {
  if (tx.length < TIMEX_SIZE || (modes !== 0 && modes !== ADJ_OFFSET_SS_READ)) throw new RangeError('adjtimexRead: a reading only');
  tx.fill(0);
  new DataView(tx.buffer, tx.byteOffset, 4).setUint32(TX_MODES, modes, true);
  const r = c.adjtimex(tx) as number;
  return r === -1 ? -koffi.errno() : r;
}

/** CPU-time clock id of another host process (MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)). */
export function processCpuClock(pid: number): number {
  return (~pid << 3) | 2;
}
/** CPU-time clock id of one host thread. */
export function threadCpuClock(tid: number): number {
  return (~tid << 3) | 2 | 4;
}

/** small procfs reads (below): one buffer, used synchronously only (the JS thread) */
const procBuf = new Uint8Array(256);
/** Read a small /proc file into procBuf with open/read/close (readFileSync's fstat, buffers and string cost
 * several times the three syscalls): its length, or -1. */
function readProc(path: string): number {
  const fd = c.openat(AT_FDCWD, cs(path), 0 /* O_RDONLY */ | O_CLOEXEC, 0) as number;
  if (fd === -1) return -1;
  const n = c.read_b(fd, procBuf, procBuf.length) as number;
  c.close(fd);
  return n;
}
/** The decimal number in procBuf[0..n) after `skip` space-separated fields; -1 if there is none. */
function procField(n: number, skip: number): number {
  let i = 0;
  for (; skip > 0 && i < n; i++) if (procBuf[i] === 0x20) skip--;
  let v = 0, digits = 0;
  for (; i < n; i++, digits++) {
    const d = procBuf[i]! - 0x30;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  return digits > 0 ? v : -1;
}
/** The pids of the calling thread's children (/proc/thread-self/children: every process it forked or
 * spawned and has not reaped; one that the thread reaps during the read may hide the next), or null if the
 * host would not say (no such file: a kernel without CONFIG_PROC_CHILDREN). Not for the hot path: it
 * allocates. */
export function childrenOfThread(): number[] | null {
  let fd = -1;
  for (let tries = 0; fd === -1 && tries < 3; tries++) fd = c.openat(AT_FDCWD, cs('/proc/thread-self/children'), 0 /* O_RDONLY */ | O_CLOEXEC, 0) as number;
  if (fd === -1) return null;
  let buf = new Uint8Array(4096), n = 0;
  for (;;) {
    if (n === buf.length) {
      const b = new Uint8Array(buf.length * 2);
      b.set(buf);
      buf = b;
    }
    const r = c.read_b(fd, buf.subarray(n), buf.length - n) as number;
    if (r === -1 && koffi.errno() === Errno.EINTR) continue;
    if (r < 0) {
      c.close(fd);
      return null;
    }
    if (r === 0) break;
    n += r;
  }
  c.close(fd);
  const out: number[] = [];
  for (const w of Buffer.from(buf.subarray(0, n)).toString('latin1').split(' ')) if (w) out.push(Number(w));
  return out;
}
/** CPU time a host thread (of any process) has run, ns, from /proc/<tgid>/task/<tid>/schedstat;
 * -1 if it is gone. (A thread CPU clock of another process cannot be read with clock_gettime.) Costly beyond
 * its three syscalls: the /proc entries it looks up make the host's reaping of that process slower
 * (release_task invalidates them: about 90 µs of host CPU per process here); processCpuClock does not. */
export function threadSchedNs(tgid: number, tid: number): number {
  return procField(readProc(`/proc/${tgid}/task/${tid}/schedstat`), 0);
}
/** The host CPU the calling thread runs on now. */
export function currentCpu(): number {
  return c.sched_getcpu() as number;
}
/** How long the calling thread has waited on a host run queue, ready but not running, ns
 * (/proc/thread-self/schedstat's run_delay); -1 if the host does not say. */
export function runDelayNs(): number {
  return procField(readProc('/proc/thread-self/schedstat'), 1);
}
/** Whether a host thread is runnable now: state R in /proc/TGID/task/TID/stat (running, or ready and waiting for a
 * CPU); false if it is not or is gone. */
export function threadRunnable(tgid: number, tid: number): boolean {
  return threadState(tgid, tid) === 'R';
}
/** A host thread's state letter in /proc/TGID/task/TID/stat (R running or runnable, S sleeping, D in an
 * uninterruptible wait such as a page fault reading a file, T stopped...); '' if it is gone. */
export function threadState(tgid: number, tid: number): string {
  const n = readProc(`/proc/${tgid}/task/${tid}/stat`);
  // the state follows the last ") " (the command name before it may hold anything)
  for (let i = n - 3; i > 0; i--) if (procBuf[i] === 0x29 && procBuf[i + 1] === 0x20) return String.fromCharCode(procBuf[i + 2]!);
  return '';
}
/** Whether host signal sig (1-64) is pending for a thread: in its own or its process's pending set (/proc/TGID/task/TID/
 * status, SigPnd and ShdPnd); false if it is gone. Not for a hot path (a whole status file, read as text). */
export function signalPending(tgid: number, tid: number, sig: number): boolean {
  let text: string;
  try {
    text = readFileSync(`/proc/${tgid}/task/${tid}/status`, 'latin1');
  } catch {
    return false;
  }
  // 16 hex digits, the highest signal first: sig's digit and bit
  const digit = 15 - ((sig - 1) >> 2), bit = 1 << ((sig - 1) & 3);
  for (const key of ['\nSigPnd:\t', '\nShdPnd:\t']) {
    const i = text.indexOf(key);
    if (i >= 0 && parseInt(text.charAt(i + key.length + digit), 16) & bit) return true;
  }
  return false;
}
/** Host-wide runnable threads now (/proc/loadavg's fourth field, before the slash), the reader included; -1 if unknown. */
export function runnableTasks(): number {
  return procField(readProc('/proc/loadavg'), 3);
}
export function gethostname(): string {
  const b = new Uint8Array(256);
  if ((c.gethostname(b, b.length) as number) === -1) return 'localhost';
  const z = b.indexOf(0);
  return Buffer.from(b.subarray(0, z < 0 ? b.length : z)).toString('utf8');
}

// ---- waiting on host events -----------------------------------------------------
export const EPOLL_CLOEXEC = 0x80000, EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3,
  EPOLLIN = 1, EPOLLOUT = 4, EPOLLERR = 8, EPOLLHUP = 0x10, EPOLLONESHOT = 0x40000000;
export function epollCreate1(flags: number): number {
  const fd = c.epoll_create1(flags) as number;
  if (fd === -1) fail('epoll_create1');
  return fd;
}
/** epoll_ctl with struct epoll_event {u32 events; u64 data} (packed, 12 bytes). */
export function epollCtl(epfd: number, op: number, fd: number, events: number, data: number): number {
  const ev = new Uint8Array(12);
  const dv = new DataView(ev.buffer);
  dv.setUint32(0, events >>> 0, true);
  dv.setUint32(4, data >>> 0, true);
  return (c.epoll_ctl(epfd, op, fd, ev) as number) === -1 ? -koffi.errno() : 0;
}
/** epoll_wait into a buffer of 12-byte events; returns the count or -errno. */
export function epollWait(epfd: number, evs: Uint8Array, timeoutMs: number): number {
  const r = c.epoll_wait(epfd, evs, Math.floor(evs.length / 12), timeoutMs) as number;
  return r === -1 ? -koffi.errno() : r;
}
export const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, TFD_CLOEXEC = 0x80000, TFD_NONBLOCK = 0x800,
  TFD_TIMER_ABSTIME = 1;
export function timerfdCreate(clock: number, flags: number): number {
  const fd = c.timerfd_create(clock, flags) as number;
  if (fd === -1) fail('timerfd_create');
  return fd;
}
/** Arm (absolute, ns on the timer's clock) or disarm (0) a timerfd. */
export function timerfdSetAbs(fd: number, ns: bigint): void {
  const its = new BigInt64Array(4); // it_interval {0,0}, it_value {sec,nsec}
  its[2] = ns / 1000000000n;
  its[3] = ns % 1000000000n;
  if ((c.timerfd_settime(fd, ns === 0n ? 0 : TFD_TIMER_ABSTIME, its, null) as number) === -1) fail('timerfd_settime');
}
/** poll on one fd; returns revents (0 on timeout) or -errno. */
export function poll1(fd: number, events: number, timeoutMs: number): number {
  const p = new Int16Array(4);
  new Int32Array(p.buffer)[0] = fd;
  p[2] = events;
  let r: number;
  // a poll that waits for nothing is asked again when a signal (a profiler's SIGPROF) interrupts it: its
  // callers take any negative answer for an error, or a death (systrap's mapperDied)
  while ((r = c.poll(p, 1, timeoutMs) as number) === -1 && timeoutMs === 0 && koffi.errno() === Errno.EINTR);
  if (r === -1) return -koffi.errno();
  return r === 0 ? 0 : p[3]! & 0xffff;
}

// ---- fs (hostfs) ----------------------------------------------------------------
// Used by src/fs (hostfs, console). All return -errno (host errno values equal
// Linux's, so hostfs passes most of them through unchanged).
const fsc = {
  pread_b: libc.func('long pread(int fd, void *buf, size_t n, int64_t off)'),
  pwrite_b: libc.func('long pwrite(int fd, void *buf, size_t n, int64_t off)'),
  mkdirat: libc.func('int mkdirat(int dirfd, const char *path, unsigned int mode)'),
  unlinkat: libc.func('int unlinkat(int dirfd, const char *path, int flags)'),
  renameat2: libc.func('int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)'),
  symlinkat: libc.func('int symlinkat(const char *target, int newdirfd, const char *linkpath)'),
  mknodat: libc.func('int mknodat(int dirfd, const char *path, unsigned int mode, uint64_t dev)'),
  linkat: libc.func('int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)'),
  fchmodat: libc.func('int fchmodat(int dirfd, const char *path, unsigned int mode, int flags)'),
  fchmod: libc.func('int fchmod(int fd, unsigned int mode)'),
  fchownat: libc.func('int fchownat(int dirfd, const char *path, unsigned int uid, unsigned int gid, int flags)'),
  utimensat: libc.func('int utimensat(int dirfd, const char *path, void *times, int flags)'),
  ftruncate: libc.func('int ftruncate(int fd, int64_t len)'),
  truncate: libc.func('int truncate(const char *path, int64_t len)'),
  fsync: libc.func('int fsync(int fd)'),
  fdatasync: libc.func('int fdatasync(int fd)'),
  syncfs: libc.func('int syncfs(int fd)'),
  fstatfs: libc.func('int fstatfs(int fd, void *buf)'),
  umask: libc.func('unsigned int umask(unsigned int mask)'),
  fcntl: libc.func('int fcntl(int fd, int cmd, int arg)'),
  geteuid: libc.func('unsigned int geteuid(void)'),
  getxattr: libc.func('long getxattr(const char *path, const char *name, void *value, size_t size)'),
  setxattr: libc.func('int setxattr(const char *path, const char *name, void *value, size_t size, int flags)'),
  listxattr: libc.func('long listxattr(const char *path, void *list, size_t size)'),
  removexattr: libc.func('int removexattr(const char *path, const char *name)'),
};

export const AT_REMOVEDIR = 0x200, UTIME_NOW = 0x3fffffff, UTIME_OMIT = 0x3ffffffe;
export const F_GETFL = 3, F_SETFL = 4;

/** pread into a JS buffer (a subarray is fine). */
export function pread(fd: number, buf: Uint8Array, off: number): number {
  const r = fsc.pread_b(fd, buf, buf.length, off) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function pwrite(fd: number, buf: Uint8Array, off: number): number {
  const r = fsc.pwrite_b(fd, buf, buf.length, off) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function mkdirat(dirfd: number, path: string, mode: number): number {
  return (fsc.mkdirat(dirfd, cs(path), mode) as number) === -1 ? -koffi.errno() : 0;
}
export function unlinkat(dirfd: number, path: string, flags: number): number {
  return (fsc.unlinkat(dirfd, cs(path), flags) as number) === -1 ? -koffi.errno() : 0;
}
export function renameat2(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): number {
  return (fsc.renameat2(olddirfd, cs(oldpath), newdirfd, cs(newpath), flags) as number) === -1 ? -koffi.errno() : 0;
}
export function mknodat(dirfd: number, path: string, mode: number, dev: number): number {
  return (fsc.mknodat(dirfd, cs(path), mode, dev) as number) === -1 ? -koffi.errno() : 0;
}
export function symlinkat(target: string, newdirfd: number, linkpath: string): number {
  return (fsc.symlinkat(cs(target), newdirfd, cs(linkpath)) as number) === -1 ? -koffi.errno() : 0;
}
export function linkat(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): number {
  return (fsc.linkat(olddirfd, cs(oldpath), newdirfd, cs(newpath), flags) as number) === -1 ? -koffi.errno() : 0;
}
export function fchmodat(dirfd: number, path: string, mode: number, flags: number): number {
  return (fsc.fchmodat(dirfd, cs(path), mode, flags) as number) === -1 ? -koffi.errno() : 0;
}
export function fchmod(fd: number, mode: number): number {
  return (fsc.fchmod(fd, mode) as number) === -1 ? -koffi.errno() : 0;
}
/** uid/gid -1 leave that id unchanged, as chown(2). */
export function fchownat(dirfd: number, path: string, uid: number, gid: number, flags: number): number {
  return (fsc.fchownat(dirfd, cs(path), uid >>> 0, gid >>> 0, flags) as number) === -1 ? -koffi.errno() : 0;
}
/** times: struct timespec[2] (atime, mtime) as {sec, nsec} pairs; tv_nsec may be UTIME_NOW/UTIME_OMIT. */
export function utimensat(dirfd: number, path: string, times: BigInt64Array, flags: number): number {
  return (fsc.utimensat(dirfd, cs(path), times, flags) as number) === -1 ? -koffi.errno() : 0;
}
/** getxattr(2) (following path): the value's length or -errno; buf null asks for the length only. */
export function getxattr(path: string, name: string, buf: Uint8Array | null): number {
  const r = fsc.getxattr(path, cs(name), buf, buf ? buf.length : 0) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function setxattr(path: string, name: string, value: Uint8Array, flags: number): number {
  return (fsc.setxattr(path, cs(name), value, value.length, flags) as number) === -1 ? -koffi.errno() : 0;
}
/** listxattr(2): the NUL-separated names' length or -errno; buf null asks for the length only. */
export function listxattr(path: string, buf: Uint8Array | null): number {
  const r = fsc.listxattr(path, buf, buf ? buf.length : 0) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function removexattr(path: string, name: string): number {
  return (fsc.removexattr(path, cs(name)) as number) === -1 ? -koffi.errno() : 0;
}
/** ftruncate reporting -errno (the ftruncate above throws: it is for physmem). */
export function ftruncateTry(fd: number, len: number): number {
  return (fsc.ftruncate(fd, len) as number) === -1 ? -koffi.errno() : 0;
}
/** truncate(2) reporting -errno. */
export function truncate(path: string, len: number): number {
  return (fsc.truncate(cs(path), len) as number) === -1 ? -koffi.errno() : 0;
}
export function fsync(fd: number): number {
  return (fsc.fsync(fd) as number) === -1 ? -koffi.errno() : 0;
}
export function syncfs(fd: number): number {
  return (fsc.syncfs(fd) as number) === -1 ? -koffi.errno() : 0;
}
export function fdatasync(fd: number): number {
  return (fsc.fdatasync(fd) as number) === -1 ? -koffi.errno() : 0;
}
/** fstatfs into a 120-byte struct statfs. */
export function fstatfs(fd: number, buf: Uint8Array): number {
  return (fsc.fstatfs(fd, buf) as number) === -1 ? -koffi.errno() : 0;
}
export function umask(mask: number): number {
  return fsc.umask(mask) as number;
}
/** fcntl with an int argument (F_GETFL/F_SETFL/F_GETFD...). */
export function fcntl(fd: number, cmd: number, arg: number): number {
  const r = fsc.fcntl(fd, cmd, arg) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function geteuid(): number {
  return fsc.geteuid() as number;
}

// ---- fs (hostfs, issue 4): confined resolution, fd limits ------------------------
// openat2 and fchmodat2 have no glibc wrapper on Debian 12: they go through
// syscall(2), declared non-variadically (glibc's syscall is assembly that
// never reads %al, so a fixed prototype is safe for integer arguments).
const fsc2 = {
  syscall_openat2: libc.func('long syscall(long nr, int dirfd, const char *path, void *how, size_t size)'),
  syscall_fchmodat2: libc.func('long syscall(long nr, int dirfd, const char *path, unsigned int mode, int flags)'),
  name_to_handle_at: libc.func('int name_to_handle_at(int dirfd, const char *path, void *handle, int *mount_id, int flags)'),
  open_by_handle_at: libc.func('int open_by_handle_at(int mount_fd, void *handle, int flags)'),
  fchown: libc.func('int fchown(int fd, unsigned int uid, unsigned int gid)'),
  fallocate: libc.func('int fallocate(int fd, int mode, int64_t off, int64_t len)'),
};
const SYS_openat2 = 437, SYS_fchmodat2 = 452;
// membarrier has no glibc wrapper either
const bar = { syscall_membarrier: libc.func('long syscall(long nr, int cmd, unsigned int flags, int cpu_id)') };
const SYS_membarrier = 324;
/** membarrier(2): the command's result or -errno. */
export function membarrier(cmd: number, flags: number, cpuId: number): number {
  const r = bar.syscall_membarrier(SYS_membarrier, cmd, flags, cpuId) as number;
  return r === -1 ? -koffi.errno() : r;
}
export const RESOLVE_NO_XDEV = 0x01, RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04,
  RESOLVE_BENEATH = 0x08, RESOLVE_IN_ROOT = 0x10;
/** struct open_how {u64 flags, mode, resolve}; reused, filled per call */
const openHow = new BigUint64Array(3);
/** openat2(2): fd or -errno (-ENOSYS on kernels before 5.6). */
export function openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
  openHow[0] = BigInt(flags >>> 0);
  openHow[1] = BigInt(mode >>> 0);
  openHow[2] = BigInt(resolve >>> 0);
  const r = fsc2.syscall_openat2(SYS_openat2, dirfd, cs(path), openHow, 24) as number;
  return r === -1 ? -koffi.errno() : r;
}
/** fchmodat2(2) (Linux 6.6), which honours AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH; -ENOSYS before. */
export function fchmodat2(dirfd: number, path: string, mode: number, flags: number): number {
  return (fsc2.syscall_fchmodat2(SYS_fchmodat2, dirfd, cs(path), mode, flags) as number) === -1 ? -koffi.errno() : 0;
}
/** name_to_handle_at(2): handle is a struct file_handle buffer (handle_bytes preset); mountId[0] out. */
export function nameToHandleAt(dirfd: number, path: string, handle: Uint8Array, mountId: Int32Array, flags: number): number {
  return (fsc2.name_to_handle_at(dirfd, cs(path), handle, mountId, flags) as number) === -1 ? -koffi.errno() : 0;
}
/** open_by_handle_at(2) (needs CAP_DAC_READ_SEARCH): fd or -errno. */
export function openByHandleAt(mountFd: number, handle: Uint8Array, flags: number): number {
  const r = fsc2.open_by_handle_at(mountFd, handle, flags) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function fchown(fd: number, uid: number, gid: number): number {
  return (fsc2.fchown(fd, uid >>> 0, gid >>> 0) as number) === -1 ? -koffi.errno() : 0;
}
/** fallocate(2) reporting -errno. */
export function fallocateTry(fd: number, mode: number, off: number, len: number): number {
  return (fsc2.fallocate(fd, mode, off, len) as number) === -1 ? -koffi.errno() : 0;
}

// ---- inotify (hostfs's directory cache, fs/dcache.ts; the guests' watches of host files, fs/inotify.ts) ----
const inc = {
  inotify_init1: libc.func('int inotify_init1(int flags)'),
  inotify_add_watch: libc.func('int inotify_add_watch(int fd, const char *path, uint32_t mask)'),
  inotify_rm_watch: libc.func('int inotify_rm_watch(int fd, int wd)'),
};
export {
  IN_ATTRIB, IN_MOVED_FROM, IN_MOVED_TO, IN_DELETE, IN_UNMOUNT, IN_Q_OVERFLOW, IN_IGNORED, IN_ONLYDIR, IN_ISDIR, IN_NONBLOCK, IN_CLOEXEC,
} from '../abi/inotify.js';
/** inotify_init1(2): fd or -errno. */
export function inotifyInit1(flags: number): number {
  const r = inc.inotify_init1(flags) as number;
  return r === -1 ? -koffi.errno() : r;
}
/** inotify_add_watch(2): watch descriptor or -errno. */
export function inotifyAddWatch(fd: number, path: string, mask: number): number {
  const r = inc.inotify_add_watch(fd, cs(path), mask >>> 0) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function inotifyRmWatch(fd: number, wd: number): number {
  return (inc.inotify_rm_watch(fd, wd) as number) === -1 ? -koffi.errno() : 0;
}

// ---- the terminal (fs/tty/console.ts) and the waker's process group ---------------------
const ttyc = {
  ioctl_l: libc.func('int ioctl(int fd, unsigned long req, unsigned long arg)'),
};
/** ioctl with an integer argument passed by value (TCFLSH, TCXONC...); -errno on failure. */
export function ioctlInt(fd: number, req: number, arg: number): number {
  return (ttyc.ioctl_l(fd, req, arg) as number) === -1 ? -koffi.errno() : 0;
}
/** getpgrp(2): umlts's own process group. */
export function getpgrp(): number {
  return c.getpgrp() as number;
}

const pipe2_ = libc.func('int pipe2(int *fds, int flags)');
export const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
/** pipe2(2): [read end, write end]. Throws HostError. */
export function pipe2(flags: number): [number, number] {
  const fds = new Int32Array(2);
  if ((pipe2_(fds, flags) as number) < 0) fail('pipe2');
  return [fds[0]!, fds[1]!];
}

// ---- sockets (net/hostinet.ts, net/publish.ts: --net host and --publish) ----------
// Every host socket is non-blocking; all return -errno instead of throwing.
const sk = {
  socket: libc.func('int socket(int domain, int type, int protocol)'),
  bind: libc.func('int bind(int fd, void *addr, unsigned int len)'),
  connect: libc.func('int connect(int fd, void *addr, unsigned int len)'),
  listen: libc.func('int listen(int fd, int backlog)'),
  accept4: libc.func('int accept4(int fd, void *addr, void *len, int flags)'),
  getsockname: libc.func('int getsockname(int fd, void *addr, void *len)'),
  getpeername: libc.func('int getpeername(int fd, void *addr, void *len)'),
  sendto: libc.func('long sendto(int fd, void *buf, size_t n, int flags, void *addr, unsigned int alen)'),
  recvfrom: libc.func('long recvfrom(int fd, void *buf, size_t n, int flags, void *addr, void *alen)'),
  recvmsg: libc.func('long recvmsg(int fd, void *msg, int flags)'),
  socketpair: libc.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)'),
  shutdown: libc.func('int shutdown(int fd, int how)'),
  setsockopt: libc.func('int setsockopt(int fd, int level, int name, void *val, unsigned int len)'),
  getsockopt: libc.func('int getsockopt(int fd, int level, int name, void *val, void *len)'),
  ioctl_i: libc.func('int ioctl(int fd, unsigned long req, void *arg)'),
};
const neg = (r: number): number => (r === -1 ? -koffi.errno() : r);
const EMPTY = new Uint8Array(0);
export function socket(domain: number, type: number, protocol: number): number {
  return neg(sk.socket(domain, type, protocol) as number);
}
export function bind(fd: number, addr: Uint8Array): number {
  return neg(sk.bind(fd, addr, addr.length) as number);
}
export function connect(fd: number, addr: Uint8Array): number {
  return neg(sk.connect(fd, addr, addr.length) as number);
}
export function listen(fd: number, backlog: number): number {
  return neg(sk.listen(fd, backlog) as number);
}
/** accept4; the peer's sockaddr goes into addr (its length returned through alen[0]). */
export function accept4(fd: number, addr: Uint8Array, alen: Uint32Array, flags: number): number {
  alen[0] = addr.length;
  return neg(sk.accept4(fd, addr, alen, flags) as number);
}
/** getsockname / getpeername: the sockaddr, or -errno. */
export function sockName(fd: number, peer: boolean): Uint8Array | number {
  const b = new Uint8Array(128), l = new Uint32Array([128]);
  const r = neg((peer ? sk.getpeername : sk.getsockname)(fd, b, l) as number);
  return r < 0 ? r : b.slice(0, Math.min(l[0]!, 128));
}
export function sendto(fd: number, buf: Uint8Array, flags: number, addr: Uint8Array | null): number {
  return neg(sk.sendto(fd, buf, buf.length, flags, addr ?? EMPTY, addr ? addr.length : 0) as number);
}
/** recvfrom; the sender's sockaddr into addr (length through alen[0]). */
export function recvfrom(fd: number, buf: Uint8Array, flags: number, addr: Uint8Array, alen: Uint32Array): number {
  alen[0] = addr.length;
  return neg(sk.recvfrom(fd, buf, buf.length, flags, addr, alen) as number);
}
/**
 * recvmsg's host memory: struct msghdr, one iovec, the name and control
 * areas, then the data (a struct holds pointers, so all of it lives in one
 * mapping of ours rather than in JS buffers). Grown to the largest receive
 * asked; used within one call on the JS thread.
 */
const RM_HDR = 0, RM_IOV = 64, RM_NAME = 128, RM_CTL = 256, RM_CTL_MAX = 4096 - RM_CTL, RM_DATA = 4096;
let rm: { ptr: HostPtr; size: number; u8: Uint8Array; u64: BigUint64Array; dv: DataView } | null = null;
/** A datagram's most (IP's 64 KiB); a larger stream receive takes this much at a time. */
const RM_DATA_MAX = 65536;
/**
 * recvmsg with control data: the data into buf, the sender's sockaddr into
 * addr, the control messages (as the host encodes them, the guest's ABI)
 * into ctl (at most its length). out gets [msg_namelen, msg_controllen,
 * msg_flags]. Returns the host's result (with MSG_TRUNC, a datagram's whole
 * length) or -errno.
 */
export function recvmsg(fd: number, buf: Uint8Array, flags: number, addr: Uint8Array, ctl: Uint8Array, out: Uint32Array): number {
  const want = Math.min(buf.length, RM_DATA_MAX);
  if (!rm) {
    const size = RM_DATA + RM_DATA_MAX;
    const ptr = mmap(0n, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const ab = view(ptr, size);
    rm = { ptr, size, u8: new Uint8Array(ab), u64: new BigUint64Array(ab, 0, RM_DATA / 8), dv: new DataView(ab) };
  }
  const m = rm, nameLen = Math.min(addr.length, RM_CTL - RM_NAME), ctlLen = Math.min(ctl.length, RM_CTL_MAX);
  m.u8.fill(0, 0, RM_NAME);
  m.u64[(RM_HDR + 0) / 8] = m.ptr + BigInt(RM_NAME);
  m.dv.setUint32(RM_HDR + 8, nameLen, true);
  m.u64[(RM_HDR + 16) / 8] = m.ptr + BigInt(RM_IOV);
  m.u64[(RM_HDR + 24) / 8] = 1n;
  m.u64[(RM_HDR + 32) / 8] = ctlLen ? m.ptr + BigInt(RM_CTL) : 0n;
  m.u64[(RM_HDR + 40) / 8] = BigInt(ctlLen);
  m.u64[RM_IOV / 8] = m.ptr + BigInt(RM_DATA);
  m.u64[RM_IOV / 8 + 1] = BigInt(want);
  const r = neg(Number(sk.recvmsg(fd, m.ptr, flags) as number | bigint));
  if (r < 0) return r;
  buf.set(m.u8.subarray(RM_DATA, RM_DATA + Math.min(r, want)));
  out[0] = Math.min(m.dv.getUint32(RM_HDR + 8, true), nameLen);
  addr.set(m.u8.subarray(RM_NAME, RM_NAME + out[0]));
  out[1] = Math.min(Number(m.dv.getBigUint64(RM_HDR + 40, true)), ctlLen);
  ctl.set(m.u8.subarray(RM_CTL, RM_CTL + out[1]));
  out[2] = m.dv.getInt32(RM_HDR + 48, true) >>> 0;
  return r;
}
export function shutdown(fd: number, how: number): number {
  return neg(sk.shutdown(fd, how) as number);
}
/** socketpair(2): the two fds, or -errno. */
export function socketpair(domain: number, type: number, protocol: number): [number, number] | number {
  const sv = new Int32Array(2);
  const r = neg(sk.socketpair(domain, type, protocol, sv) as number);
  return r < 0 ? r : [sv[0]!, sv[1]!];
}
/**
 * The systrap mappers' reports (platform/systrap): one recvmsg of a small
 * record with the sender's credentials (the receiving socket has
 * SO_PASSCRED). Its host memory (struct msghdr, iovec, control and data)
 * is set up once; used within one call on the JS thread. Returns the
 * record's length (or -errno: EAGAIN at SO_RCVTIMEO, or at once with
 * `now`), with out[0] its first byte and out[1] the sender's pid (-1 if no
 * credentials came).
 */
let rr: { ptr: HostPtr; dv: DataView; u8: Uint8Array } | null = null;
const RR_IOV = 64, RR_CTL = 128, RR_CTL_LEN = 64, RR_DATA = 256, RR_DATA_LEN = 256;
export function recvReport(fd: number, out: Int32Array, now = false): number {
  if (!rr) {
    const ptr = mmap(0n, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const ab = view(ptr, 4096), dv = new DataView(ab);
    dv.setBigUint64(16, ptr + BigInt(RR_IOV), true); // msg_iov
    dv.setBigUint64(24, 1n, true); // msg_iovlen
    dv.setBigUint64(32, ptr + BigInt(RR_CTL), true); // msg_control
    dv.setBigUint64(RR_IOV, ptr + BigInt(RR_DATA), true);
    dv.setBigUint64(RR_IOV + 8, BigInt(RR_DATA_LEN), true);
    rr = { ptr, dv, u8: new Uint8Array(ab) };
  }
  const { dv } = rr;
  dv.setUint32(40, RR_CTL_LEN, true); // msg_controllen (the host sets it to what it wrote)
  dv.setUint32(44, 0, true);
  const r = neg(Number(sk.recvmsg(fd, rr.ptr, now ? MSG_DONTWAIT : 0) as number | bigint));
  if (r < 0) return r;
  out[0] = r > 0 ? rr.u8[RR_DATA]! : -1;
  // one struct cmsghdr { u64 len; i32 level; i32 type; } with a struct ucred { pid, uid, gid }
  out[1] = dv.getUint32(40, true) >= 28 && dv.getInt32(RR_CTL + 8, true) === SOL_SOCKET && dv.getInt32(RR_CTL + 12, true) === SCM_CREDENTIALS
    ? dv.getInt32(RR_CTL + 16, true) : -1;
  return r;
}
export function setsockopt(fd: number, level: number, name: number, val: Uint8Array): number {
  return neg(sk.setsockopt(fd, level, name, val, val.length) as number);
}
/** getsockopt into val (up to its length); the value's bytes, or -errno. */
export function getsockopt(fd: number, level: number, name: number, max: number): Uint8Array | number {
  const b = new Uint8Array(Math.max(max, 4)), l = new Uint32Array([b.length]);
  const r = neg(sk.getsockopt(fd, level, name, b, l) as number);
  return r < 0 ? r : b.slice(0, Math.min(l[0]!, b.length));
}
/** ioctl with an int out-argument (FIONREAD, SIOCOUTQ). */
export function ioctlOutInt(fd: number, req: number): number {
  const v = new Int32Array(1);
  const r = neg(sk.ioctl_i(fd, req, v) as number);
  return r < 0 ? r : v[0]!;
}

// ---- systrap (src/platform/systrap/): the doorbell futex, pidfds ---------------
const sysc = {
  futex: libc.func('long syscall(long nr, uintptr_t addr, int op, int val, void *ts, uintptr_t addr2, int val3)'),
  futex_nots: libc.func('long syscall(long nr, uintptr_t addr, int op, int val, uintptr_t ts, uintptr_t addr2, int val3)'),
  pidfd_open: libc.func('long syscall(long nr, int pid, unsigned int flags)'),
  sched_yield: libc.func('int sched_yield(void)'),
};
const SYS_futex = 202, SYS_pidfd_open = 434;
export const FUTEX_WAIT = 0, FUTEX_WAKE = 1;
/** a relative timespec for futexWait and the timeout it holds; reused (JS thread only) */
const futexTs = new BigInt64Array(2);
let futexTsNs = -1;
/**
 * FUTEX_WAIT (shared: the word may be mapped by other processes) on the
 * 32-bit word at addr while it holds val, for at most timeoutNs (0: no
 * limit). 0 when woken, -errno (EAGAIN: the word had changed; ETIMEDOUT;
 * EINTR) otherwise.
 */
export function futexWait(addr: HostPtr, val: number, timeoutNs: number): number {
  let r: number;
  if (timeoutNs > 0) {
    if (timeoutNs !== futexTsNs) {
      futexTsNs = timeoutNs;
      futexTs[0] = BigInt(Math.floor(timeoutNs / 1e9));
      futexTs[1] = BigInt(timeoutNs % 1e9);
    }
    r = sysc.futex(SYS_futex, addr, FUTEX_WAIT, val | 0, futexTs, 0, 0) as number;
  } else {
    r = sysc.futex_nots(SYS_futex, addr, FUTEX_WAIT, val | 0, 0, 0, 0) as number;
  }
  return r === -1 ? -koffi.errno() : 0;
}
/** FUTEX_WAKE (shared) up to n waiters on the word at addr; the number woken. */
export function futexWake(addr: HostPtr, n: number): number {
  return sysc.futex_nots(SYS_futex, addr, FUTEX_WAKE, n, 0, 0, 0) as number;
}
/** pidfd_open(2): an fd that polls readable once the process has exited, or -errno. */
export function pidfdOpen(pid: number): number {
  const r = sysc.pidfd_open(SYS_pidfd_open, pid, 0) as number;
  return r === -1 ? -koffi.errno() : r;
}
export function schedYield(): void {
  sysc.sched_yield();
}
