/**
 * File I/O and filesystem syscalls (fs/read_write.c, fs/open.c, fs/stat.c,
 * fs/namei.c, fs/fcntl.c, fs/ioctl.c, fs/readdir.c, fs/statfs.c).
 *
 * Handlers decode their arguments first, reject unknown flag bits, then call
 * the VFS (t.kernel.vfs) or the File. Guest memory is touched only through
 * t.mm (throws ErrnoError(EFAULT), which the dispatcher turns into -EFAULT).
 *
 * Blocking: when a File answers -EAGAIN, the file is not O_NONBLOCK and has
 * a wait queue, the handler sleeps the task on it; the kernel re-runs the
 * handler from the start when woken. So nothing irreversible happens before
 * that decision: a read or write blocks only if it has transferred nothing.
 *
 * Large transfers go through one reusable 1 MiB scratch buffer, chunk by
 * chunk; a transfer stops early on a short chunk (EOF, a pipe drained).
 */
import { Errno, ErrnoError } from '../kernel/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4, A5 } from './types.js';
import { File } from '../fs/file.js';
import {
  Stat, S_IFMT, S_IFREG, O_ACCMODE, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_DSYNC, O_ASYNC,
  O_DIRECT, O_LARGEFILE, O_DIRECTORY, O_NOFOLLOW, O_NOATIME, O_CLOEXEC, O_SYNC, O_PATH, O_TMPFILE, O_WRONLY,
} from '../fs/types.js';
import {
  AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EACCESS, AT_SYMLINK_FOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH,
  PATH_MAX, FsCaller, Loc,
} from '../fs/vfs.js';
import { encodeDirents, major, minor, SEEK_CUR, StatFs } from '../fs/node.js';
import { PipeEnd } from '../fs/pipe.js';
import { NullFile } from '../fs/devfs.js';
import { HostFile, OpenHostNode } from '../fs/hostfs.js';
import { fcntlLock, locksOnClose, F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW } from './lock.js';

/** MAX_RW_COUNT: Linux caps one transfer at INT_MAX rounded down to a page. */
const MAX_RW_COUNT = 0x7ffff000;
const CHUNK = 1 << 20;
const UIO_MAXIOV = 1024;
/**
 * The transfer buffer of every read/write/getdents handler. Filled and
 * drained within one handler call (never across a block or an await), so
 * one per kernel thread (the JS thread) is enough.
 */
const scratch = new Uint8Array(CHUNK);
/** struct stat / statx / statfs encoding buffers; same rule as scratch */
const statBuf = new Uint8Array(256);
const statView = new DataView(statBuf.buffer);

// ---- decoding helpers ----------------------------------------------------------------

function fileOf(t: Task, fd: number): File | number {
  return t.files.get(fd) ?? -Errno.EBADF;
}

/** A path argument (PATH_MAX counts the NUL; ENAMETOOLONG past it, EFAULT on a bad pointer). */
function pathArg(t: Task, addr: number): string {
  if (addr === 0) throw new ErrnoError(Errno.EFAULT);
  return t.mm.readCString(addr, PATH_MAX - 1);
}

/** The dirfd of an *at call: null for AT_FDCWD (or when path is absolute: Linux ignores dirfd then). */
function dirArg(t: Task, dirfd: number, path: string): File | null | number {
  if (dirfd === AT_FDCWD || path.charCodeAt(0) === 47) return null;
  return t.files.get(dirfd) ?? -Errno.EBADF;
}

/** Where an AT_EMPTY_PATH call operates: the dirfd's Loc or the cwd's. */
function emptyPathLoc(t: Task, dirfd: number): Loc | number {
  const vfs = t.kernel.vfs;
  if (dirfd === AT_FDCWD) return vfs.resolve(t, null, '.', true);
  const f = t.files.get(dirfd);
  if (!f) return -Errno.EBADF;
  return vfs.locOf(f) ?? -Errno.EBADF;
}

function isBlocking(f: File): boolean {
  return !(f.flags & O_NONBLOCK) && f.waitq !== null;
}

/** An iovec array as flat [addr, len, addr, len...], total clamped to MAX_RW_COUNT (rw_copy_check_uvector). */
function iovArg(t: Task, addr: number, cnt: number): { iov: number[]; total: number } | number {
  if (cnt < 0 || cnt > UIO_MAXIOV) return -Errno.EINVAL;
  if (cnt === 0) return { iov: [], total: 0 };
  const raw = t.mm.read(addr, cnt * 16);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const iov: number[] = [];
  let total = 0;
  for (let i = 0; i < cnt; i++) {
    const base = dv.getUint32(i * 16 + 4, true) * 0x100000000 + dv.getUint32(i * 16, true);
    const hi = dv.getUint32(i * 16 + 12, true);
    if (hi & 0x80000000) return -Errno.EINVAL; // ssize_t overflow
    let len = hi * 0x100000000 + dv.getUint32(i * 16 + 8, true);
    if (len > MAX_RW_COUNT - total) len = MAX_RW_COUNT - total;
    if (len > 0) iov.push(base, len);
    total += len;
  }
  return { iov, total };
}

// ---- read and write ---------------------------------------------------------------------

/**
 * Read up to total bytes from f into the guest segments iov, at pos (null:
 * the file position). Blocks only if nothing was read.
 */
function doRead(t: Task, f: File, iov: number[], total: number, pos: number | null): number {
  if (!f.readable) return -Errno.EBADF;
  if (total === 0) return 0;
  let done = 0, seg = 0, segOff = 0;
  while (done < total) {
    const want = Math.min(total - done, CHUNK);
    const n = f.read(scratch.subarray(0, want), pos === null ? null : pos + done);
    if (n < 0) {
      if (done > 0) break;
      if (n === -Errno.EAGAIN && isBlocking(f)) return t.sleepOn(f.waitq!);
      return n;
    }
    // scatter the chunk into the segments
    let k = 0;
    try {
      while (k < n) {
        const c = Math.min(iov[seg + 1]! - segOff, n - k);
        t.mm.write(iov[seg]! + segOff, scratch, k, c);
        k += c;
        segOff += c;
        if (segOff === iov[seg + 1]) {
          seg += 2;
          segOff = 0;
        }
      }
    } catch (e) {
      // a bad buffer part-way: give back what did not reach the guest, report what did
      if (pos === null && k < n) {
        if (f instanceof PipeEnd) f.unread(scratch.subarray(k, n));
        else f.seek(-(n - k), SEEK_CUR);
      }
      if (done + k > 0) return done + k;
      throw e;
    }
    done += n;
    if (n < want) break;
  }
  return done;
}

/** Write up to total bytes from the guest segments iov to f at pos (null: the file position / O_APPEND end). */
function doWrite(t: Task, f: File, iov: number[], total: number, pos: number | null): number {
  if (!f.writable) return -Errno.EBADF;
  if (total === 0) return 0;
  // write_null: the data is never looked at, so neither copy nor check it
  if (f instanceof NullFile) return total;
  let done = 0, seg = 0, segOff = 0;
  // a blocking pipe write waits for room until all of it is written
  // (pipe_write); a re-run after a wake goes on where the last run stopped
  const waits = f instanceof PipeEnd && isBlocking(f);
  const st = waits ? (t.syscallState as { done: number } | null) : null;
  if (st) {
    done = st.done;
    for (let skip = done; skip > 0;) {
      const c = Math.min(iov[seg + 1]! - segOff, skip);
      skip -= c;
      segOff += c;
      if (segOff === iov[seg + 1]) {
        seg += 2;
        segOff = 0;
      }
    }
  }
  while (done < total) {
    const want = Math.min(total - done, CHUNK);
    // gather
    let k = 0;
    let fault: unknown = null;
    try {
      while (k < want) {
        const c = Math.min(iov[seg + 1]! - segOff, want - k);
        t.mm.readInto(iov[seg]! + segOff, scratch, k, c);
        k += c;
        segOff += c;
        if (segOff === iov[seg + 1]) {
          seg += 2;
          segOff = 0;
        }
      }
    } catch (e) {
      fault = e;
    }
    if (k === 0) {
      if (done > 0) break;
      throw fault;
    }
    const n = f.write(scratch.subarray(0, k), pos === null ? null : pos + done);
    if (n < 0) {
      if (n === -Errno.EPIPE) t.kernel.signalTask(t, 13); // SIGPIPE, as pipe_write and sockets send it
      if (n === -Errno.EAGAIN && waits && !fault) return sleepWriting(t, f, done);
      if (done > 0) break;
      if (n === -Errno.EAGAIN && isBlocking(f)) return t.sleepOn(f.waitq!);
      return n;
    }
    done += n;
    if (fault) break;
    if (n < k) {
      if (waits) {
        // rewind the gather to what was taken, and wait for room for the rest
        return sleepWriting(t, f, done);
      }
      break;
    }
  }
  return done;
}

/** read(2) */
export function sys_read(t: Task, r: Regs): number {
  const fd = r.getI32(A0), buf = r.get(A1), count = Math.min(r.get(A2), MAX_RW_COUNT);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  return doRead(t, f, [buf, count], count, null);
}

/** write(2) */
/** A blocking pipe write that has written `done` bytes sleeps for room; a
 * signal ends it with that count (or restarts it if nothing was written). */
function sleepWriting(t: Task, f: File, done: number): number {
  t.syscallState = { done };
  t.syscallCleanup = done > 0 ? () => done : null;
  return t.sleepOn(f.waitq!);
}

export function sys_write(t: Task, r: Regs): number {
  const fd = r.getI32(A0), buf = r.get(A1), count = Math.min(r.get(A2), MAX_RW_COUNT);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  return doWrite(t, f, [buf, count], count, null);
}

/** The checks of pread/pwrite: a seekable file and a non-negative offset. */
function positional(f: File, pos: number): number {
  if (pos < 0) return -Errno.EINVAL;
  const cur = f.pos;
  const r = f.seek(0, SEEK_CUR);
  f.pos = cur;
  return r === -Errno.ESPIPE ? -Errno.ESPIPE : 0;
}

/** pread64(2) */
export function sys_pread64(t: Task, r: Regs): number {
  const fd = r.getI32(A0), buf = r.get(A1), count = Math.min(r.get(A2), MAX_RW_COUNT), pos = r.getS(A3);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (!f.readable) return -Errno.EBADF;
  const e = positional(f, pos);
  if (e < 0) return e;
  return doRead(t, f, [buf, count], count, pos);
}

/** pwrite64(2) */
export function sys_pwrite64(t: Task, r: Regs): number {
  const fd = r.getI32(A0), buf = r.get(A1), count = Math.min(r.get(A2), MAX_RW_COUNT), pos = r.getS(A3);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (!f.writable) return -Errno.EBADF;
  const e = positional(f, pos);
  if (e < 0) return e;
  return doWrite(t, f, [buf, count], count, pos);
}

/** readv(2) */
export function sys_readv(t: Task, r: Regs): number {
  const fd = r.getI32(A0), iovp = r.get(A1), cnt = r.getI32(A2);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (!f.readable) return -Errno.EBADF;
  const v = iovArg(t, iovp, cnt);
  if (typeof v === 'number') return v;
  return doRead(t, f, v.iov, v.total, null);
}

/** writev(2) */
export function sys_writev(t: Task, r: Regs): number {
  const fd = r.getI32(A0), iovp = r.get(A1), cnt = r.getI32(A2);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (!f.writable) return -Errno.EBADF;
  const v = iovArg(t, iovp, cnt);
  if (typeof v === 'number') return v;
  return doWrite(t, f, v.iov, v.total, null);
}

/** preadv(2) (x86-64: the whole offset is in pos_l) */
export function sys_preadv(t: Task, r: Regs): number {
  const fd = r.getI32(A0), iovp = r.get(A1), cnt = r.getI32(A2), pos = r.getS(A3);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (!f.readable) return -Errno.EBADF;
  const v = iovArg(t, iovp, cnt);
  if (typeof v === 'number') return v;
  const e = positional(f, pos);
  if (e < 0) return e;
  return doRead(t, f, v.iov, v.total, pos);
}

/** pwritev(2) */
export function sys_pwritev(t: Task, r: Regs): number {
  const fd = r.getI32(A0), iovp = r.get(A1), cnt = r.getI32(A2), pos = r.getS(A3);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (!f.writable) return -Errno.EBADF;
  const v = iovArg(t, iovp, cnt);
  if (typeof v === 'number') return v;
  const e = positional(f, pos);
  if (e < 0) return e;
  return doWrite(t, f, v.iov, v.total, pos);
}

/** lseek(2) */
export function sys_lseek(t: Task, r: Regs): number {
  const fd = r.getI32(A0), off = r.getS(A1), whence = r.getU32(A2);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (whence > 4) return -Errno.EINVAL;
  return f.seek(off, whence);
}

/** sendfile(2): a read+write loop through the scratch buffer. */
export function sys_sendfile(t: Task, r: Regs): number {
  const outFd = r.getI32(A0), inFd = r.getI32(A1), offp = r.get(A2), count = Math.min(r.get(A3), MAX_RW_COUNT);
  const inF = fileOf(t, inFd);
  if (typeof inF === 'number') return inF;
  const outF = fileOf(t, outFd);
  if (typeof outF === 'number') return outF;
  if (!inF.readable || !outF.writable) return -Errno.EBADF;
  if (outF.flags & O_APPEND) return -Errno.EINVAL;
  let pos: number | null = null;
  if (offp !== 0) {
    const lo = t.mm.readU32(offp), hi = t.mm.readU32(offp + 4);
    if (hi & 0x80000000) return -Errno.EINVAL;
    pos = hi * 0x100000000 + lo;
  }
  let done = 0;
  while (done < count) {
    const want = Math.min(count - done, CHUNK);
    const n = inF.read(scratch.subarray(0, want), pos === null ? null : pos + done);
    if (n < 0) {
      if (done > 0) break;
      if (n === -Errno.EAGAIN && isBlocking(inF)) return t.sleepOn(inF.waitq!);
      return n;
    }
    if (n === 0) break;
    let w = 0;
    while (w < n) {
      const k = outF.write(scratch.subarray(w, n), null);
      if (k <= 0) {
        // give the unwritten bytes back to the input (a seekable file; a pipe's are lost)
        if (pos === null) inF.seek(-(n - w), SEEK_CUR);
        if (done + w > 0 || k === 0) break;
        if (k === -Errno.EAGAIN && isBlocking(outF)) return t.sleepOn(outF.waitq!);
        return k;
      }
      w += k;
    }
    done += w;
    if (w < n || n < want) break;
  }
  if (offp !== 0) t.mm.writeU64(offp, pos! + done);
  return done;
}

// ---- open and close -------------------------------------------------------------------

/**
 * The open flags Linux knows (VALID_OPEN_FLAGS). Other bits are dropped,
 * not rejected: open(2) has always ignored unknown flags and programs rely
 * on it (only openat2 is strict).
 */
const VALID_OPEN_FLAGS = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |
  O_ASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE;

function doOpen(t: Task, dirfd: number, pathAddr: number, flags: number, mode: number): number {
  const path = pathArg(t, pathAddr);
  flags &= VALID_OPEN_FLAGS;
  mode = flags & O_CREAT || (flags & O_TMPFILE) === O_TMPFILE ? mode & 0o7777 : 0;
  const at = dirArg(t, dirfd, path);
  if (typeof at === 'number') return at;
  const f = t.kernel.vfs.open(t, at, path, flags, mode);
  if (typeof f === 'number') return f;
  return t.files.install(f, (flags & O_CLOEXEC) !== 0);
}

/** open(2) */
export function sys_open(t: Task, r: Regs): number {
  return doOpen(t, AT_FDCWD, r.get(A0), r.getU32(A1), r.getU32(A2));
}

/** openat(2) */
export function sys_openat(t: Task, r: Regs): number {
  return doOpen(t, r.getI32(A0), r.get(A1), r.getU32(A2), r.getU32(A3));
}

/** creat(2) */
export function sys_creat(t: Task, r: Regs): number {
  return doOpen(t, AT_FDCWD, r.get(A0), O_CREAT | O_WRONLY | O_TRUNC, r.getU32(A1));
}

/** close(2) (the process's POSIX locks on the file go with any of its fds) */
export function sys_close(t: Task, r: Regs): number {
  const fd = r.getI32(A0);
  const f = t.files.get(fd);
  if (f) locksOnClose(t, f);
  return t.files.close(fd);
}

const CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4;
/** close_range(2) (CLOSE_RANGE_UNSHARE is accepted: umlts fd tables are unshared by the kernel on clone) */
export function sys_close_range(t: Task, r: Regs): number {
  const first = r.getU32(A0), last = r.getU32(A1), flags = r.getU32(A2);
  if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) return -Errno.EINVAL;
  if (first > last) return -Errno.EINVAL;
  if (flags & CLOSE_RANGE_UNSHARE) return -Errno.EINVAL; // sharing is the kernel's to undo; not offered yet
  for (const fd of t.files.list()) {
    if (fd < first || fd > last) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) t.files.entry(fd)!.cloexec = true;
    else {
      locksOnClose(t, t.files.get(fd)!);
      t.files.close(fd);
    }
  }
  return 0;
}

// ---- stat --------------------------------------------------------------------------------

function nsSplit(ns: bigint): [number, number] {
  let sec = ns / 1000000000n;
  let nsec = ns - sec * 1000000000n;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += 1000000000n;
  }
  return [Number(sec), Number(nsec)];
}
function put64(dv: DataView, o: number, v: number): void {
  dv.setUint32(o, v >>> 0, true);
  dv.setUint32(o + 4, Math.floor(v / 0x100000000) >>> 0, true);
}

/** Copy a Stat out as struct stat (x86-64, 144 bytes). */
function writeStat(t: Task, addr: number, st: Stat): void {
  const dv = statView;
  statBuf.fill(0, 0, 144);
  put64(dv, 0, st.dev);
  put64(dv, 8, st.ino);
  put64(dv, 16, st.nlink);
  dv.setUint32(24, st.mode, true);
  dv.setUint32(28, st.uid, true);
  dv.setUint32(32, st.gid, true);
  put64(dv, 40, st.rdev);
  put64(dv, 48, st.size);
  put64(dv, 56, st.blksize);
  put64(dv, 64, st.blocks);
  const times = [st.atimeNs, st.mtimeNs, st.ctimeNs];
  for (let i = 0; i < 3; i++) {
    const [s, ns] = nsSplit(times[i]!);
    dv.setBigInt64(72 + i * 16, BigInt(s), true);
    put64(dv, 80 + i * 16, ns);
  }
  t.mm.write(addr, statBuf, 0, 144);
}

/** fstatat's core: path or AT_EMPTY_PATH. */
function statAt(t: Task, dirfd: number, pathAddr: number, flags: number): Stat | number {
  const path = pathAddr === 0 && flags & AT_EMPTY_PATH ? '' : pathArg(t, pathAddr);
  if (path === '' && flags & AT_EMPTY_PATH) {
    if (dirfd === AT_FDCWD) return t.kernel.vfs.stat(t, null, '.', true);
    const f = fileOf(t, dirfd);
    return typeof f === 'number' ? f : f.stat();
  }
  const at = dirArg(t, dirfd, path);
  if (typeof at === 'number') return at;
  return t.kernel.vfs.stat(t, at, path, !(flags & AT_SYMLINK_NOFOLLOW));
}

/** stat(2) */
export function sys_stat(t: Task, r: Regs): number {
  const pathAddr = r.get(A0), buf = r.get(A1);
  const st = statAt(t, AT_FDCWD, pathAddr, 0);
  if (typeof st === 'number') return st;
  writeStat(t, buf, st);
  return 0;
}

/** lstat(2) */
export function sys_lstat(t: Task, r: Regs): number {
  const pathAddr = r.get(A0), buf = r.get(A1);
  const st = statAt(t, AT_FDCWD, pathAddr, AT_SYMLINK_NOFOLLOW);
  if (typeof st === 'number') return st;
  writeStat(t, buf, st);
  return 0;
}

/** fstat(2) */
export function sys_fstat(t: Task, r: Regs): number {
  const fd = r.getI32(A0), buf = r.get(A1);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  const st = f.stat();
  if (typeof st === 'number') return st;
  writeStat(t, buf, st);
  return 0;
}

/** newfstatat(2) */
export function sys_newfstatat(t: Task, r: Regs): number {
  const dirfd = r.getI32(A0), pathAddr = r.get(A1), buf = r.get(A2), flags = r.getU32(A3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) return -Errno.EINVAL;
  const st = statAt(t, dirfd, pathAddr, flags);
  if (typeof st === 'number') return st;
  writeStat(t, buf, st);
  return 0;
}

const AT_STATX_FORCE_SYNC = 0x2000, AT_STATX_DONT_SYNC = 0x4000;
const STATX_BASIC_STATS = 0x7ff, STATX__RESERVED = 0x80000000;

/** statx(2): the basic fields (no btime, no mount id, no attributes). */
export function sys_statx(t: Task, r: Regs): number {
  const dirfd = r.getI32(A0), pathAddr = r.get(A1), flags = r.getU32(A2), mask = r.getU32(A3), buf = r.get(A4);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC)) return -Errno.EINVAL;
  if ((flags & (AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC)) === (AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC)) return -Errno.EINVAL;
  if (mask & STATX__RESERVED) return -Errno.EINVAL;
  const st = statAt(t, dirfd, pathAddr, flags);
  if (typeof st === 'number') return st;
  const dv = statView;
  statBuf.fill(0, 0, 256);
  dv.setUint32(0, STATX_BASIC_STATS, true);
  dv.setUint32(4, st.blksize, true);
  dv.setUint32(16, st.nlink, true);
  dv.setUint32(20, st.uid, true);
  dv.setUint32(24, st.gid, true);
  dv.setUint16(28, st.mode, true);
  put64(dv, 32, st.ino);
  put64(dv, 40, st.size);
  put64(dv, 48, st.blocks);
  const times: Array<[number, bigint]> = [[64, st.atimeNs], [96, st.ctimeNs], [112, st.mtimeNs]];
  for (const [o, ns] of times) {
    const [s, n] = nsSplit(ns);
    dv.setBigInt64(o, BigInt(s), true);
    dv.setUint32(o + 8, n, true);
  }
  dv.setUint32(128, major(st.rdev), true);
  dv.setUint32(132, minor(st.rdev), true);
  dv.setUint32(136, major(st.dev), true);
  dv.setUint32(140, minor(st.dev), true);
  t.mm.write(buf, statBuf, 0, 256);
  return 0;
}

// ---- directories and links ---------------------------------------------------------------

/** getdents64(2): File.pos is the index of the next entry. */
export function sys_getdents64(t: Task, r: Regs): number {
  const fd = r.getI32(A0), dirp = r.get(A1), count = r.getU32(A2);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  const entries = f.readdir();
  if (typeof entries === 'number') return entries;
  if (f.pos >= entries.length) return 0;
  const { bytes, next } = encodeDirents(entries, f.pos, scratch.subarray(0, Math.min(count, CHUNK)));
  if (bytes === 0) return -Errno.EINVAL;
  t.mm.write(dirp, scratch, 0, bytes);
  f.pos = next;
  return bytes;
}

function doReadlink(t: Task, dirfd: number, pathAddr: number, buf: number, size: number): number {
  if (size <= 0) return -Errno.EINVAL;
  const path = pathArg(t, pathAddr);
  let target: string | number;
  if (path === '') {
    // readlinkat(fd, "") reads the symlink an O_PATH|O_NOFOLLOW fd stands for
    const loc = emptyPathLoc(t, dirfd);
    if (typeof loc === 'number') return loc;
    if (!loc.node.isLink) return -Errno.ENOENT;
    target = loc.node.readlink();
  } else {
    const at = dirArg(t, dirfd, path);
    if (typeof at === 'number') return at;
    target = t.kernel.vfs.readlink(t, at, path);
  }
  if (typeof target === 'number') return target;
  const b = Buffer.from(target, 'utf8');
  const n = Math.min(b.length, size);
  t.mm.write(buf, b, 0, n);
  return n;
}

/** readlink(2) */
export function sys_readlink(t: Task, r: Regs): number {
  return doReadlink(t, AT_FDCWD, r.get(A0), r.get(A1), r.getI32(A2));
}

/** readlinkat(2) */
export function sys_readlinkat(t: Task, r: Regs): number {
  return doReadlink(t, r.getI32(A0), r.get(A1), r.get(A2), r.getI32(A3));
}

function doAccess(t: Task, dirfd: number, pathAddr: number, mode: number, flags: number): number {
  if (mode & ~7) return -Errno.EINVAL;
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const c = t.creds;
  // access(2) checks with the real ids unless AT_EACCESS
  const who: FsCaller = {
    fs: t.fs,
    creds: flags & AT_EACCESS ? { fsuid: c.euid, fsgid: c.egid, groups: c.groups } : { fsuid: c.uid, fsgid: c.gid, groups: c.groups },
  };
  const vfs = t.kernel.vfs;
  const path = pathArg(t, pathAddr);
  if (path === '' && flags & AT_EMPTY_PATH) {
    const loc = emptyPathLoc(t, dirfd);
    if (typeof loc === 'number') return loc;
    return vfs.accessLoc(who, loc, mode);
  }
  const at = dirArg(t, dirfd, path);
  if (typeof at === 'number') return at;
  return vfs.access(who, at, path, mode, !(flags & AT_SYMLINK_NOFOLLOW));
}

/** access(2) */
export function sys_access(t: Task, r: Regs): number {
  return doAccess(t, AT_FDCWD, r.get(A0), r.getU32(A1), 0);
}

/** faccessat(2) (the syscall has no flags argument) */
export function sys_faccessat(t: Task, r: Regs): number {
  return doAccess(t, r.getI32(A0), r.get(A1), r.getU32(A2), 0);
}

/** faccessat2(2) */
export function sys_faccessat2(t: Task, r: Regs): number {
  return doAccess(t, r.getI32(A0), r.get(A1), r.getU32(A2), r.getU32(A3));
}

/** getcwd(2): the length including the NUL. */
export function sys_getcwd(t: Task, r: Regs): number {
  const buf = r.get(A0), size = r.get(A1);
  const b = Buffer.from(t.fs.cwd + '\0', 'utf8');
  if (size < b.length) return -Errno.ERANGE;
  t.mm.write(buf, b);
  return b.length;
}

/** chdir(2) */
export function sys_chdir(t: Task, r: Regs): number {
  const path = pathArg(t, r.get(A0));
  return t.kernel.vfs.chdir(t, null, path);
}

/** fchdir(2) */
export function sys_fchdir(t: Task, r: Regs): number {
  const f = fileOf(t, r.getI32(A0));
  if (typeof f === 'number') return f;
  const loc = t.kernel.vfs.locOf(f);
  if (!loc) return -Errno.ENOTDIR;
  return t.kernel.vfs.chdirLoc(t, loc);
}

// ---- fcntl, ioctl, dup -------------------------------------------------------------------

const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030;
const FD_CLOEXEC = 1;
/** flags F_SETFL may change (SETFL_MASK) */
const SETFL_MASK = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

/** fcntl(2): the fd and status-flag commands and record locks; owners, leases and seals are not offered (EINVAL). */
export function sys_fcntl(t: Task, r: Regs): number {
  const fd = r.getI32(A0), cmd = r.getI32(A1), arg = r.get(A2);
  const e = t.files.entry(fd);
  if (!e) return -Errno.EBADF;
  const f = e.file;
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      if (arg >= t.files.limit) return -Errno.EINVAL;
      return t.files.install(f.get(), cmd === F_DUPFD_CLOEXEC, arg);
    case F_GETFD:
      return e.cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
      e.cloexec = (arg & FD_CLOEXEC) !== 0;
      return 0;
    case F_GETFL:
      return f.flags;
    case F_SETFL:
      if (f.flags & O_PATH) return -Errno.EBADF;
      f.flags = (f.flags & ~SETFL_MASK) | (arg & SETFL_MASK);
      return 0;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
      return fcntlLock(t, f, cmd, arg);
    default:
      return f.fcntl(cmd, r.getBig(A2), t.creds); // the file's own (F_SETPIPE_SZ...), else EINVAL
  }
}

const FIONREAD = 0x541b, FIONBIO = 0x5421, FIONCLEX = 0x5450, FIOCLEX = 0x5451;

/** ioctl(2): the generic fd requests here, the rest to the File. */
export function sys_ioctl(t: Task, r: Regs): number {
  const fd = r.getI32(A0), req = r.getU32(A1), arg = r.get(A2);
  const e = t.files.entry(fd);
  if (!e) return -Errno.EBADF;
  const f = e.file;
  if (f.flags & O_PATH) return -Errno.EBADF;
  switch (req) {
    case FIOCLEX:
      e.cloexec = true;
      return 0;
    case FIONCLEX:
      e.cloexec = false;
      return 0;
    case FIONBIO:
      if (t.mm.readU32(arg) !== 0) f.flags |= O_NONBLOCK;
      else f.flags &= ~O_NONBLOCK;
      return 0;
    case FIONREAD: {
      // regular files answer i_size - f_pos (fs/ioctl.c file_ioctl)
      const st = f.stat();
      if (typeof st !== 'number' && (st.mode & S_IFMT) === S_IFREG) {
        t.mm.writeU32(arg, Math.max(0, Math.min(st.size - f.pos, 0x7fffffff)));
        return 0;
      }
      return f.ioctl(req, arg, t.mm);
    }
    default:
      return f.ioctl(req, arg, t.mm);
  }
}

/** dup(2) */
export function sys_dup(t: Task, r: Regs): number {
  const f = fileOf(t, r.getI32(A0));
  if (typeof f === 'number') return f;
  return t.files.install(f.get(), false);
}

/** dup2(2) */
export function sys_dup2(t: Task, r: Regs): number {
  const oldfd = r.getI32(A0), newfd = r.getI32(A1);
  const f = fileOf(t, oldfd);
  if (typeof f === 'number') return f;
  if (oldfd === newfd) return newfd;
  return t.files.installAt(newfd, f.get(), false);
}

/** dup3(2) */
export function sys_dup3(t: Task, r: Regs): number {
  const oldfd = r.getI32(A0), newfd = r.getI32(A1), flags = r.getU32(A2);
  if (flags & ~O_CLOEXEC) return -Errno.EINVAL;
  if (oldfd === newfd) return -Errno.EINVAL;
  const f = fileOf(t, oldfd);
  if (typeof f === 'number') return f;
  return t.files.installAt(newfd, f.get(), (flags & O_CLOEXEC) !== 0);
}

// ---- namespace changes ------------------------------------------------------------------

/** umask(2) */
export function sys_umask(t: Task, r: Regs): number {
  const old = t.fs.umask;
  t.fs.umask = r.getU32(A0) & 0o777;
  return old;
}

function doMkdir(t: Task, dirfd: number, pathAddr: number, mode: number): number {
  const path = pathArg(t, pathAddr);
  const at = dirArg(t, dirfd, path);
  if (typeof at === 'number') return at;
  return t.kernel.vfs.mkdir(t, at, path, mode & 0o7777);
}

/** mkdir(2) */
export function sys_mkdir(t: Task, r: Regs): number {
  return doMkdir(t, AT_FDCWD, r.get(A0), r.getU32(A1));
}

/** mkdirat(2) */
export function sys_mkdirat(t: Task, r: Regs): number {
  return doMkdir(t, r.getI32(A0), r.get(A1), r.getU32(A2));
}

function doUnlink(t: Task, dirfd: number, pathAddr: number, flags: number): number {
  if (flags & ~AT_REMOVEDIR) return -Errno.EINVAL;
  const path = pathArg(t, pathAddr);
  const at = dirArg(t, dirfd, path);
  if (typeof at === 'number') return at;
  return flags & AT_REMOVEDIR ? t.kernel.vfs.rmdir(t, at, path) : t.kernel.vfs.unlink(t, at, path);
}

/** unlink(2) */
export function sys_unlink(t: Task, r: Regs): number {
  return doUnlink(t, AT_FDCWD, r.get(A0), 0);
}

/** unlinkat(2) */
export function sys_unlinkat(t: Task, r: Regs): number {
  return doUnlink(t, r.getI32(A0), r.get(A1), r.getU32(A2));
}

/** rmdir(2) */
export function sys_rmdir(t: Task, r: Regs): number {
  return doUnlink(t, AT_FDCWD, r.get(A0), AT_REMOVEDIR);
}

function doRename(t: Task, olddirfd: number, oldAddr: number, newdirfd: number, newAddr: number, flags: number): number {
  const oldPath = pathArg(t, oldAddr), newPath = pathArg(t, newAddr);
  const oldAt = dirArg(t, olddirfd, oldPath);
  if (typeof oldAt === 'number') return oldAt;
  const newAt = dirArg(t, newdirfd, newPath);
  if (typeof newAt === 'number') return newAt;
  return t.kernel.vfs.rename(t, oldAt, oldPath, newAt, newPath, flags);
}

/** rename(2) */
export function sys_rename(t: Task, r: Regs): number {
  return doRename(t, AT_FDCWD, r.get(A0), AT_FDCWD, r.get(A1), 0);
}

/** renameat(2) */
export function sys_renameat(t: Task, r: Regs): number {
  return doRename(t, r.getI32(A0), r.get(A1), r.getI32(A2), r.get(A3), 0);
}

/** renameat2(2): RENAME_NOREPLACE and RENAME_EXCHANGE (RENAME_WHITEOUT: EINVAL). */
export function sys_renameat2(t: Task, r: Regs): number {
  return doRename(t, r.getI32(A0), r.get(A1), r.getI32(A2), r.get(A3), r.getU32(A4));
}

function doSymlink(t: Task, targetAddr: number, dirfd: number, pathAddr: number): number {
  const target = pathArg(t, targetAddr), path = pathArg(t, pathAddr);
  const at = dirArg(t, dirfd, path);
  if (typeof at === 'number') return at;
  return t.kernel.vfs.symlink(t, target, at, path);
}

/** symlink(2) */
export function sys_symlink(t: Task, r: Regs): number {
  return doSymlink(t, r.get(A0), AT_FDCWD, r.get(A1));
}

/** symlinkat(2) */
export function sys_symlinkat(t: Task, r: Regs): number {
  return doSymlink(t, r.get(A0), r.getI32(A1), r.get(A2));
}

function doLink(t: Task, olddirfd: number, oldAddr: number, newdirfd: number, newAddr: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const oldPath = pathArg(t, oldAddr), newPath = pathArg(t, newAddr);
  if (oldPath === '' && flags & AT_EMPTY_PATH) {
    // linkat(fd, "", ..., AT_EMPTY_PATH): a name for an open file (an O_TMPFILE one, typically)
    const src = emptyPathLoc(t, olddirfd);
    if (typeof src === 'number') return src;
    const newAt = dirArg(t, newdirfd, newPath);
    if (typeof newAt === 'number') return newAt;
    return t.kernel.vfs.linkLoc(t, src, newAt, newPath);
  }
  const oldAt = dirArg(t, olddirfd, oldPath);
  if (typeof oldAt === 'number') return oldAt;
  const newAt = dirArg(t, newdirfd, newPath);
  if (typeof newAt === 'number') return newAt;
  return t.kernel.vfs.link(t, oldAt, oldPath, newAt, newPath, (flags & AT_SYMLINK_FOLLOW) !== 0);
}

/** link(2) */
export function sys_link(t: Task, r: Regs): number {
  return doLink(t, AT_FDCWD, r.get(A0), AT_FDCWD, r.get(A1), 0);
}

/** linkat(2) */
export function sys_linkat(t: Task, r: Regs): number {
  return doLink(t, r.getI32(A0), r.get(A1), r.getI32(A2), r.get(A3), r.getU32(A4));
}

/** The Loc an fd-based attribute call works on (fchmod, fchown, futimens). */
function fdLoc(t: Task, fd: number): Loc | number {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  // a pipe or the console has no place in the namespace to change
  const loc = t.kernel.vfs.locOf(f);
  if (!loc) return -Errno.EPERM;
  // a host file changes through its open fd, which still works after an unlink (as Linux)
  if (f instanceof HostFile && !(loc.node instanceof OpenHostNode)) return { ...loc, node: new OpenHostNode(f.h.fs, f) };
  return loc;
}

function pathLoc(t: Task, dirfd: number, pathAddr: number, follow: boolean): Loc | number {
  const path = pathArg(t, pathAddr);
  const at = dirArg(t, dirfd, path);
  if (typeof at === 'number') return at;
  return t.kernel.vfs.resolve(t, at, path, follow);
}

/** chmod(2) */
export function sys_chmod(t: Task, r: Regs): number {
  const loc = pathLoc(t, AT_FDCWD, r.get(A0), true);
  return typeof loc === 'number' ? loc : t.kernel.vfs.chmodLoc(t, loc, r.getU32(A1));
}

/** fchmod(2) */
export function sys_fchmod(t: Task, r: Regs): number {
  const loc = fdLoc(t, r.getI32(A0));
  return typeof loc === 'number' ? loc : t.kernel.vfs.chmodLoc(t, loc, r.getU32(A1));
}

/** fchmodat(2) (the syscall has no flags argument) */
export function sys_fchmodat(t: Task, r: Regs): number {
  const loc = pathLoc(t, r.getI32(A0), r.get(A1), true);
  return typeof loc === 'number' ? loc : t.kernel.vfs.chmodLoc(t, loc, r.getU32(A2));
}

/** uid_t/gid_t arguments: (u32)-1 means "unchanged". */
function idArg(v: number): number {
  return v === 0xffffffff ? -1 : v;
}

/** chown(2) */
export function sys_chown(t: Task, r: Regs): number {
  const loc = pathLoc(t, AT_FDCWD, r.get(A0), true);
  return typeof loc === 'number' ? loc : t.kernel.vfs.chownLoc(t, loc, idArg(r.getU32(A1)), idArg(r.getU32(A2)));
}

/** lchown(2) */
export function sys_lchown(t: Task, r: Regs): number {
  const loc = pathLoc(t, AT_FDCWD, r.get(A0), false);
  return typeof loc === 'number' ? loc : t.kernel.vfs.chownLoc(t, loc, idArg(r.getU32(A1)), idArg(r.getU32(A2)));
}

/** fchown(2) */
export function sys_fchown(t: Task, r: Regs): number {
  const loc = fdLoc(t, r.getI32(A0));
  return typeof loc === 'number' ? loc : t.kernel.vfs.chownLoc(t, loc, idArg(r.getU32(A1)), idArg(r.getU32(A2)));
}

/** fchownat(2) */
export function sys_fchownat(t: Task, r: Regs): number {
  const dirfd = r.getI32(A0), pathAddr = r.get(A1), uid = idArg(r.getU32(A2)), gid = idArg(r.getU32(A3)), flags = r.getU32(A4);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const path = pathArg(t, pathAddr);
  const loc = path === '' && flags & AT_EMPTY_PATH ? emptyPathLoc(t, dirfd) : pathLoc(t, dirfd, pathAddr, !(flags & AT_SYMLINK_NOFOLLOW));
  return typeof loc === 'number' ? loc : t.kernel.vfs.chownLoc(t, loc, uid, gid);
}

const UTIME_NOW = 0x3fffffff, UTIME_OMIT = 0x3ffffffe;

/** utimensat(2); a NULL path means the dirfd itself (futimens). */
export function sys_utimensat(t: Task, r: Regs): number {
  const dirfd = r.getI32(A0), pathAddr = r.get(A1), timesp = r.get(A2), flags = r.getU32(A3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const now = BigInt(Date.now()) * 1000000n;
  let atime: bigint | undefined = now, mtime: bigint | undefined = now, explicit = false;
  if (timesp !== 0) {
    const ts: Array<bigint | undefined> = [];
    for (let i = 0; i < 2; i++) {
      const sec = t.mm.readI64(timesp + i * 16), nsec = t.mm.readI64(timesp + i * 16 + 8);
      if (nsec === UTIME_NOW) ts.push(now);
      else if (nsec === UTIME_OMIT) ts.push(undefined);
      else if (nsec < 0 || nsec > 999999999) return -Errno.EINVAL;
      else {
        ts.push(BigInt(sec) * 1000000000n + BigInt(nsec));
        explicit = true;
      }
    }
    [atime, mtime] = ts;
    if (atime === undefined && mtime === undefined) return 0; // both UTIME_OMIT: nothing to do, as Linux
  }
  let loc: Loc | number;
  if (pathAddr === 0) {
    loc = dirfd === AT_FDCWD ? -Errno.EFAULT : fdLoc(t, dirfd);
  } else {
    const path = pathArg(t, pathAddr);
    loc = path === '' && flags & AT_EMPTY_PATH ? emptyPathLoc(t, dirfd) : pathLoc(t, dirfd, pathAddr, !(flags & AT_SYMLINK_NOFOLLOW));
  }
  if (typeof loc === 'number') return loc;
  return t.kernel.vfs.utimesLoc(t, loc, atime, mtime, explicit);
}

/** utimes(2): struct timeval[2] or NULL. */
export function sys_utimes(t: Task, r: Regs): number {
  const pathAddr = r.get(A0), tvp = r.get(A1);
  const now = BigInt(Date.now()) * 1000000n;
  let atime = now, mtime = now, explicit = false;
  if (tvp !== 0) {
    const v: bigint[] = [];
    for (let i = 0; i < 2; i++) {
      const sec = t.mm.readI64(tvp + i * 16), usec = t.mm.readI64(tvp + i * 16 + 8);
      if (usec < 0 || usec > 999999) return -Errno.EINVAL;
      v.push(BigInt(sec) * 1000000000n + BigInt(usec) * 1000n);
    }
    [atime, mtime] = v as [bigint, bigint];
    explicit = true;
  }
  const loc = pathLoc(t, AT_FDCWD, pathAddr, true);
  return typeof loc === 'number' ? loc : t.kernel.vfs.utimesLoc(t, loc, atime, mtime, explicit);
}

/** truncate(2) */
export function sys_truncate(t: Task, r: Regs): number {
  const pathAddr = r.get(A0), len = r.getS(A1);
  if (len < 0) return -Errno.EINVAL;
  const loc = pathLoc(t, AT_FDCWD, pathAddr, true);
  return typeof loc === 'number' ? loc : t.kernel.vfs.truncateLoc(t, loc, len);
}

/** ftruncate(2): a regular file open for writing (EINVAL otherwise, as Linux). */
export function sys_ftruncate(t: Task, r: Regs): number {
  const fd = r.getI32(A0), len = r.getS(A1);
  if (len < 0) return -Errno.EINVAL;
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (f.flags & O_PATH) return -Errno.EBADF;
  const st = f.stat();
  if (typeof st === 'number' || (st.mode & S_IFMT) !== S_IFREG || !f.writable) return -Errno.EINVAL;
  return f.truncate(len);
}

/** fsync(2) */
export function sys_fsync(t: Task, r: Regs): number {
  const f = fileOf(t, r.getI32(A0));
  if (typeof f === 'number') return f;
  return f.fsync();
}

/** fdatasync(2) */
export function sys_fdatasync(t: Task, r: Regs): number {
  const f = fileOf(t, r.getI32(A0));
  if (typeof f === 'number') return f;
  return f instanceof HostFile ? f.fdatasync() : f.fsync();
}

const FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2, FALLOC_FL_COLLAPSE_RANGE = 8, FALLOC_FL_ZERO_RANGE = 0x10,
  FALLOC_FL_INSERT_RANGE = 0x20;
const FALLOC_VALID = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE;

/** fallocate(2): on host files the host does it (and reports EOPNOTSUPP itself); tmpfs grows the file. */
export function sys_fallocate(t: Task, r: Regs): number {
  const fd = r.getI32(A0), mode = r.getI32(A1), off = r.getS(A2), len = r.getS(A3);
  if (mode & ~FALLOC_VALID) return -Errno.EOPNOTSUPP;
  if (off < 0 || len <= 0) return -Errno.EINVAL;
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (f.flags & O_PATH || !f.writable) return -Errno.EBADF;
  if (mode & FALLOC_FL_PUNCH_HOLE && !(mode & FALLOC_FL_KEEP_SIZE)) return -Errno.EOPNOTSUPP;
  const st = f.stat();
  if (typeof st === 'number') return st;
  const type = st.mode & S_IFMT;
  if (type === 0o040000) return -Errno.EISDIR;
  if (type === 0o010000) return -Errno.ESPIPE;
  if (type !== S_IFREG) return -Errno.ENODEV;
  if (off + len > Number.MAX_SAFE_INTEGER) return -Errno.EFBIG;
  const a = f as File & { allocate?: (mode: number, off: number, len: number) => number };
  return a.allocate ? a.allocate(mode, off, len) : -Errno.EOPNOTSUPP;
}

/**
 * copy_file_range(2): host file to host file with both handles pinned for
 * the whole copy; otherwise a read/write loop (as Linux's generic fallback).
 */
export function sys_copy_file_range(t: Task, r: Regs): number {
  const fdIn = r.getI32(A0), offInP = r.get(A1), fdOut = r.getI32(A2), offOutP = r.get(A3);
  const len = Math.min(r.get(A4), MAX_RW_COUNT), flags = r.getU32(A5);
  if (flags !== 0) return -Errno.EINVAL;
  const fin = fileOf(t, fdIn);
  if (typeof fin === 'number') return fin;
  const fout = fileOf(t, fdOut);
  if (typeof fout === 'number') return fout;
  if (!fin.readable || !fout.writable || fin.flags & O_PATH || fout.flags & O_PATH) return -Errno.EBADF;
  if (fout.flags & O_APPEND) return -Errno.EBADF;
  const sin = fin.stat(), sout = fout.stat();
  if (typeof sin === 'number') return sin;
  if (typeof sout === 'number') return sout;
  if ((sin.mode & S_IFMT) === 0o040000 || (sout.mode & S_IFMT) === 0o040000) return -Errno.EISDIR;
  if ((sin.mode & S_IFMT) !== S_IFREG || (sout.mode & S_IFMT) !== S_IFREG) return -Errno.EINVAL;
  const readOff = (p: number): number | null => {
    if (p === 0) return null;
    const v = t.mm.readI64(p);
    return v;
  };
  const inOff = readOff(offInP), outOff = readOff(offOutP);
  if ((inOff !== null && inOff < 0) || (outOff !== null && outOff < 0)) return -Errno.EINVAL;
  const ip = inOff ?? fin.pos, op = outOff ?? fout.pos;
  if (fin === fout || (sin.dev === sout.dev && sin.ino === sout.ino)) {
    if (ip < op + len && op < ip + len) return -Errno.EINVAL; // overlapping ranges of one file
  }
  if (len === 0) return 0;
  let n: number;
  if (fin instanceof HostFile && fout instanceof HostFile) {
    n = fin.copyTo(fout, ip, op, len, scratch);
  } else {
    n = 0;
    while (n < len) {
      const want = Math.min(len - n, CHUNK);
      const k = fin.read(scratch.subarray(0, want), ip + n);
      if (k <= 0) {
        if (n === 0 && k < 0) return k;
        break;
      }
      const w = fout.write(scratch.subarray(0, k), op + n);
      if (w <= 0) {
        if (n === 0 && w < 0) return w;
        break;
      }
      n += w;
      if (w < k) break;
    }
  }
  if (n < 0) return n;
  if (inOff === null) fin.pos = ip + n;
  else t.mm.writeU64(offInP, ip + n);
  if (outOff === null) fout.pos = op + n;
  else t.mm.writeU64(offOutP, op + n);
  return n;
}

/** fadvise64(2): advice is validated and, as Linux may, not acted on. */
export function sys_fadvise64(t: Task, r: Regs): number {
  const f = fileOf(t, r.getI32(A0));
  if (typeof f === 'number') return f;
  const advice = r.getI32(A3);
  if (advice < 0 || advice > 5) return -Errno.EINVAL;
  const st = f.stat();
  if (typeof st !== 'number' && (st.mode & S_IFMT) === 0o010000) return -Errno.ESPIPE;
  return 0;
}

// ---- statfs ------------------------------------------------------------------------------

const PIPEFS_MAGIC = 0x50495045;

/** Copy a StatFs out as struct statfs (x86-64, 120 bytes). */
function writeStatfs(t: Task, addr: number, s: StatFs): void {
  const dv = statView;
  statBuf.fill(0, 0, 120);
  const f = [s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree];
  f.forEach((v, i) => put64(dv, i * 8, Math.max(0, v)));
  dv.setUint32(56, s.fsid >>> 0, true);
  dv.setUint32(60, Math.floor(s.fsid / 0x100000000) >>> 0, true);
  put64(dv, 64, s.namelen);
  put64(dv, 72, s.frsize);
  put64(dv, 80, s.flags);
  t.mm.write(addr, statBuf, 0, 120);
}

/** statfs(2) */
export function sys_statfs(t: Task, r: Regs): number {
  const path = pathArg(t, r.get(A0)), buf = r.get(A1);
  const s = t.kernel.vfs.statfs(t, null, path);
  if (typeof s === 'number') return s;
  writeStatfs(t, buf, s);
  return 0;
}

/** fstatfs(2) */
export function sys_fstatfs(t: Task, r: Regs): number {
  const fd = r.getI32(A0), buf = r.get(A1);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  const loc = t.kernel.vfs.locOf(f);
  const s: StatFs | number = loc
    ? t.kernel.vfs.statfsLoc(loc)
    : { type: PIPEFS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: 0, namelen: 255, frsize: 4096, flags: 0 };
  if (typeof s === 'number') return s;
  writeStatfs(t, buf, s);
  return 0;
}

// ---- extended attributes ----------------------------------------------------------------
// umlts filesystems keep no extended attributes: a get finds none (ENODATA),
// a list is empty, a set is not supported (EOPNOTSUPP) — what Linux says for
// a filesystem mounted without xattr support. The path must still resolve.

function xattrTarget(t: Task, pathAddr: number, follow: boolean): number {
  const loc = pathLoc(t, AT_FDCWD, pathAddr, follow);
  return typeof loc === 'number' ? loc : 0;
}

/** getxattr(2) */
export function sys_getxattr(t: Task, r: Regs): number {
  const e = xattrTarget(t, r.get(A0), true);
  return e < 0 ? e : -Errno.ENODATA;
}
/** lgetxattr(2) */
export function sys_lgetxattr(t: Task, r: Regs): number {
  const e = xattrTarget(t, r.get(A0), false);
  return e < 0 ? e : -Errno.ENODATA;
}
/** fgetxattr(2) */
export function sys_fgetxattr(t: Task, r: Regs): number {
  const f = fileOf(t, r.getI32(A0));
  return typeof f === 'number' ? f : -Errno.ENODATA;
}
/** listxattr(2) */
export function sys_listxattr(t: Task, r: Regs): number {
  return xattrTarget(t, r.get(A0), true);
}
/** llistxattr(2) */
export function sys_llistxattr(t: Task, r: Regs): number {
  return xattrTarget(t, r.get(A0), false);
}
/** flistxattr(2) */
export function sys_flistxattr(t: Task, r: Regs): number {
  const f = fileOf(t, r.getI32(A0));
  return typeof f === 'number' ? f : 0;
}
/** setxattr(2), lsetxattr(2) */
export function sys_setxattr(t: Task, r: Regs): number {
  const e = xattrTarget(t, r.get(A0), true);
  return e < 0 ? e : -Errno.EOPNOTSUPP;
}
export function sys_lsetxattr(t: Task, r: Regs): number {
  const e = xattrTarget(t, r.get(A0), false);
  return e < 0 ? e : -Errno.EOPNOTSUPP;
}
/** fsetxattr(2) */
export function sys_fsetxattr(t: Task, r: Regs): number {
  const f = fileOf(t, r.getI32(A0));
  return typeof f === 'number' ? f : -Errno.EOPNOTSUPP;
}
/** removexattr(2), lremovexattr(2) */
export function sys_removexattr(t: Task, r: Regs): number {
  const e = xattrTarget(t, r.get(A0), true);
  return e < 0 ? e : -Errno.ENODATA;
}
export function sys_lremovexattr(t: Task, r: Regs): number {
  const e = xattrTarget(t, r.get(A0), false);
  return e < 0 ? e : -Errno.ENODATA;
}
/** fremovexattr(2) */
export function sys_fremovexattr(t: Task, r: Regs): number {
  const f = fileOf(t, r.getI32(A0));
  return typeof f === 'number' ? f : -Errno.ENODATA;
}
