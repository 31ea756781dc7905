/**
 * Moving data (fs/read_write.c, fs/sync.c, mm/fadvise.c, mm/readahead.c):
 * read, write, pread64, pwrite64, readv, writev, preadv, pwritev, lseek,
 * copy_file_range, fsync, fdatasync, sync, syncfs, sync_file_range,
 * fadvise64, readahead (sendfile, splice, tee: splice.ts). Writes to regular files obey RLIMIT_FSIZE (fsizeLimit).
 *
 * Blocking: when a File answers -EAGAIN, the file is not O_NONBLOCK and has
 * a wait queue, the handler sleeps the task on it; the kernel re-runs the
 * handler from the start when woken. So nothing irreversible happens before
 * that decision: a read or write blocks only if it has transferred nothing.
 *
 * Large transfers go through one reusable 1 MiB scratch buffer, chunk by
 * chunk; a transfer stops early on a short chunk (EOF, a pipe drained).
 * Guest buffers are reached through uaccess's IovIter.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4, A5 } from './types.js';
import { File } from '../fs/file.js';
import { S_IFMT, S_IFREG, S_IFDIR, S_IFBLK, S_IFLNK, O_APPEND, O_NONBLOCK, O_PATH } from '../fs/types.js';
import { SEEK_CUR, MAX_OFFSET } from '../fs/node.js';
import { PipeEnd } from '../fs/pipe.js';
import { NullFile } from '../fs/devfs.js';
import { HostFile } from '../fs/hostfs.js';
import { fileOf } from './fd.js';
import { Socket } from '../net/socket.js';
import { sockRead, sockWrite } from './socket.js';
import { readIovecs, userBuf, readI64, writeU64, Iovecs, IovIter, MAX_RW_COUNT } from './uaccess.js';
import { TmpFile } from '../fs/tmpfs.js';
import { getLimit } from './process.js';
import { RLIMIT_FSIZE } from '../abi/resource.js';
import { IN_ACCESS, IN_MODIFY } from '../abi/inotify.js';

/** The scratch buffer's size: the most one chunk of a transfer moves. */
export const CHUNK = 1 << 20;
/**
 * The transfer buffer of every read/write/getdents handler. Filled and
 * drained within one handler call (never across a block or an await), so
 * one per kernel thread (the JS thread) is enough.
 */
export const scratch = new Uint8Array(CHUNK);

function isBlocking(f: File): boolean {
  return !(f.flags & O_NONBLOCK) && f.waitq !== null;
}

export const SIGPIPE = 13, SIGXFSZ = 25;

/**
 * generic_write_check_limits for a write of count bytes at pos (null: the
 * file position, or its end with O_APPEND) to the regular file f: the
 * bytes RLIMIT_FSIZE allows, or -EFBIG (with SIGXFSZ to the process) when
 * pos is at or past the limit. Callers ask only for regular files.
 */
export function fsizeLimit(t: Task, f: File, pos: number | null, count: number): number {
  const limit = getLimit(t, RLIMIT_FSIZE)[0];
  if (limit === Infinity) return count;
  let p = pos ?? f.pos;
  if (f.flags & O_APPEND) {
    const st = f.stat();
    if (typeof st !== 'number') p = st.size;
  }
  if (p >= limit) {
    t.kernel.signalProcess(t.tg, SIGXFSZ);
    return -Errno.EFBIG;
  }
  return Math.min(count, limit - p);
}

/**
 * inode_newsize_ok's RLIMIT_FSIZE part: growing a file from size to
 * newSize past the limit is -EFBIG, with SIGXFSZ to the process
 * (truncate, ftruncate, fallocate). 0 when allowed.
 */
export function fsizeGrowOk(t: Task, size: number, newSize: number): number {
  const limit = getLimit(t, RLIMIT_FSIZE)[0];
  if (newSize <= size || limit === Infinity || newSize <= limit) return 0;
  t.kernel.signalProcess(t.tg, SIGXFSZ);
  return -Errno.EFBIG;
}

/** A regular file's File, known without a stat (the classes of tmpfs and hostfs files). */
function isRegularFile(f: File): boolean {
  return f instanceof HostFile || f instanceof TmpFile;
}

// ---- read and write ---------------------------------------------------------------------

/**
 * Read up to v.total bytes from f into the guest segments of v, at pos
 * (null: the file position). Blocks only if nothing was read.
 */
function doRead(t: Task, f: File, v: Iovecs, pos: number | null, vectored: boolean): number {
  if (!f.readable) return -Errno.EBADF;
  if (f.readsBySegment) return readSegments(t, f, v);
  if (v.total === 0) return f.emptyIo(false, vectored);
  const it = new IovIter(t, v.iov);
  let done = 0;
  while (done < v.total) {
    const want = Math.min(v.total - done, CHUNK);
    const n = f.read(scratch.subarray(0, want), pos === null ? null : pos + done);
    if (n < 0) {
      if (done > 0) break;
      if (n === -Errno.EAGAIN && isBlocking(f)) {
        t.sc.state = { done: 0, v } satisfies RwState;
        return t.sleepOn(f.waitq!);
      }
      return n;
    }
    let k = it.toUser(scratch, 0, n);
    // (pipe_read moves a pipe buffer whole or not at all: a fault part-way leaves it in the pipe)
    if (k < n && f instanceof PipeEnd) k = 0;
    if (k < n) {
      // a bad buffer part-way: give back what did not reach the guest, report what did
      if (pos === null) {
        if (f instanceof PipeEnd) f.unread(scratch.subarray(k, n));
        else f.seek(-(n - k), SEEK_CUR);
      }
      if (done + k > 0) return done + k;
      throw it.fault;
    }
    done += n;
    if (n < want) break;
  }
  return done;
}

/**
 * A file whose reads return whole records (inotify): each segment is one
 * read of its own (do_loop_readv_writev), a segment too small for the next
 * record fails as that read does, and a read(2) of 0 bytes reaches the file
 * (so does a readv of one empty segment, which Linux answers 0: a known gap).
 */
function readSegments(t: Task, f: File, v: Iovecs): number {
  if (v.total === 0 && !(f.zeroLengthRead && v.iov.length === 2)) return 0;
  let done = 0;
  for (let i = 0; i < v.iov.length; i += 2) {
    const base = v.iov[i]!, len = Math.min(v.iov[i + 1]!, CHUNK);
    const n = f.read(scratch.subarray(0, len), null);
    if (n < 0) {
      if (done > 0) break;
      if (n === -Errno.EAGAIN && isBlocking(f)) return t.sleepOn(f.waitq!);
      return n;
    }
    // (the records are gone from the file: a bad buffer loses them, as copy_event_to_user's EFAULT does)
    const it = new IovIter(t, [base, n]);
    if (it.toUser(scratch, 0, n) < n) {
      if (done > 0) break;
      throw it.fault;
    }
    done += n;
    if (n < len) break;
  }
  return done;
}

/** the page a pipe buffer holds */
const PIPE_PAGE = 4096;

/** Write up to v.total bytes from the guest segments of v to f at pos (null: the file position / O_APPEND end). */
function doWrite(t: Task, f: File, v: Iovecs, pos: number | null, vectored: boolean): number {
  if (!f.writable) return -Errno.EBADF;
  if (v.total === 0) return f.emptyIo(true, vectored);
  // write_null: the data is never looked at, so neither copy nor check it
  if (f instanceof NullFile) return v.total;
  let total = v.total;
  if (isRegularFile(f)) {
    const lim = fsizeLimit(t, f, pos, total);
    if (lim < 0) return lim;
    total = lim;
  }
  const it = new IovIter(t, v.iov);
  let done = 0;
  // a blocking pipe or tty write waits for room until all of it is written
  // (pipe_write, n_tty_write); a re-run after a wake goes on where the last run stopped
  const waits = (f instanceof PipeEnd || f.writesAll) && isBlocking(f);
  const st = waits ? (t.sc.state as RwState | null) : null;
  if (st) {
    done = st.done;
    it.advance(done);
  }
  while (done < total) {
    const want = Math.min(total - done, CHUNK);
    let k = it.fromUser(scratch, 0, want);
    const fault = it.fault;
    // pipe_write fills a page at a time and keeps none of a page whose copy faulted
    if (fault && f instanceof PipeEnd) k -= k % PIPE_PAGE;
    if (k === 0) {
      if (done > 0) break;
      throw fault;
    }
    const n = f.write(scratch.subarray(0, k), pos === null ? null : pos + done);
    if (n < 0) {
      if (n === -Errno.EPIPE) t.kernel.signalTask(t, SIGPIPE); // as pipe_write and sockets send it
      // (the bytes before a fault are written too: pipe_write waits for room for them, and stops at the fault)
      if (n === -Errno.EAGAIN && waits) return sleepWriting(t, f, v, done);
      if (done > 0) break;
      if (n === -Errno.EAGAIN && isBlocking(f)) {
        t.sc.state = { done: 0, v } satisfies RwState;
        return t.sleepOn(f.waitq!);
      }
      return n;
    }
    done += n;
    if (n < k) {
      if (waits) {
        // wait for room for the rest; the re-run skips what was written
        return sleepWriting(t, f, v, done);
      }
      break;
    }
    if (fault) break;
  }
  return done;
}

/** What a read or write that sleeps keeps for its re-run: the bytes a pipe or tty write has written, and the
 * buffers the call started with. */
interface RwState {
  done: number;
  v: Iovecs;
}

/** A blocking pipe or tty write that has written `done` bytes sleeps for room; a
 * signal ends it with that count (or restarts it if nothing was written). */
function sleepWriting(t: Task, f: File, v: Iovecs, done: number): number {
  t.sc.state = { done, v } satisfies RwState;
  t.sc.cleanup = done > 0 ? () => done : null;
  return t.sleepOn(f.waitq!);
}

/**
 * Every read and write handler's path, in Linux's order of checks: a
 * vectored call's negative position (do_preadv), the fd, a positioned
 * call's file that cannot take one (FMODE_PREAD: ESPIPE), its access mode,
 * then the guest's buffers (an iovec array is read only now, as do_readv
 * reads it), then a negative position (rw_verify_area). pos null: the file
 * position. vectored: readv, writev and kin (their empty transfers differ).
 */
function transfer(t: Task, fd: number, write: boolean, buffers: () => Iovecs, pos: number | null, vectored: boolean): number {
  if (vectored && pos !== null && pos < 0) return -Errno.EINVAL;
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (f.flags & O_PATH) return -Errno.EBADF; // fdget
  if (pos !== null && !f.canPread) return -Errno.ESPIPE;
  if (!(write ? f.writable : f.readable)) return -Errno.EBADF;
  // a re-run after a sleep moves the buffers the call started with (do_readv/do_writev copy the iovec array once),
  // on the file it slept on (fileOf gives the call's own reference back, whatever the fd names now)
  const v = (t.sc.state as RwState | null)?.v ?? buffers();
  if (pos !== null && pos < 0) return -Errno.EINVAL;
  if (f instanceof Socket) {
    // nothing to move: vfs_readv/vfs_writev answer 0, and so does sock_read_iter (a write(2) of nothing
    // still sends: EDESTADDRREQ unconnected; recv(2) of nothing may still wait)
    if (v.total === 0 && (vectored || !write)) return 0;
    const n = write ? sockWrite(t, f, v) : sockRead(t, f, v);
    // asleep: its re-run moves these buffers again (the socket's state keeps them beside its own)
    const st = t.sc.state as Partial<RwState> | null;
    if (st !== null && typeof st === 'object') st.v = v;
    return n;
  }
  return fileTransfer(t, f, write, v, pos, vectored);
}

/** A read or write of file f (not a socket) with the guest's buffers v, its checks done (transfer; vmsplice). */
export function fileTransfer(t: Task, f: File, write: boolean, v: Iovecs, pos: number | null, vectored: boolean): number {
  // (file_remove_privs: a write clears setuid and setgid)
  if (write && v.total > 0) t.kernel.vfs.removePrivs(t, f);
  const n = write ? doWrite(t, f, v, pos, vectored) : doRead(t, f, v, pos, vectored);
  // vfs_read's fsnotify_access, vfs_write's fsnotify_modify
  if (n > 0) t.kernel.vfs.notifyFile(f, write ? IN_MODIFY : IN_ACCESS);
  return n;
}

/** read(2) */
export function sys_read(t: Task, r: Regs): number {
  const fd = r.getI32(A0), buf = r.get(A1), count = Math.min(r.get(A2), MAX_RW_COUNT);
  return transfer(t, fd, false, () => userBuf(buf, count), null, false);
}

/** write(2) */
export function sys_write(t: Task, r: Regs): number {
  const fd = r.getI32(A0), buf = r.get(A1), count = Math.min(r.get(A2), MAX_RW_COUNT);
  return transfer(t, fd, true, () => userBuf(buf, count), null, false);
}

/** pread64(2) */
export function sys_pread64(t: Task, r: Regs): number {
  const fd = r.getI32(A0), buf = r.get(A1), count = Math.min(r.get(A2), MAX_RW_COUNT), pos = r.getS(A3);
  return transfer(t, fd, false, () => userBuf(buf, count), pos, false);
}

/** pwrite64(2) */
export function sys_pwrite64(t: Task, r: Regs): number {
  const fd = r.getI32(A0), buf = r.get(A1), count = Math.min(r.get(A2), MAX_RW_COUNT), pos = r.getS(A3);
  return transfer(t, fd, true, () => userBuf(buf, count), pos, false);
}

/** readv(2) */
export function sys_readv(t: Task, r: Regs): number {
  const fd = r.getI32(A0), iovp = r.get(A1), cnt = r.getI32(A2);
  return transfer(t, fd, false, () => readIovecs(t, iovp, cnt), null, true);
}

/** writev(2) */
export function sys_writev(t: Task, r: Regs): number {
  const fd = r.getI32(A0), iovp = r.get(A1), cnt = r.getI32(A2);
  return transfer(t, fd, true, () => readIovecs(t, iovp, cnt), null, true);
}

/** preadv(2) (x86-64: the whole offset is in pos_l) */
export function sys_preadv(t: Task, r: Regs): number {
  const fd = r.getI32(A0), iovp = r.get(A1), cnt = r.getI32(A2), pos = r.getS(A3);
  return transfer(t, fd, false, () => readIovecs(t, iovp, cnt), pos, true);
}

/** pwritev(2) */
export function sys_pwritev(t: Task, r: Regs): number {
  const fd = r.getI32(A0), iovp = r.get(A1), cnt = r.getI32(A2), pos = r.getS(A3);
  return transfer(t, fd, true, () => readIovecs(t, iovp, cnt), pos, true);
}

export const RWF_HIPRI = 1, RWF_DSYNC = 2, RWF_SYNC = 4, RWF_NOWAIT = 8, RWF_APPEND = 0x10, RWF_NOAPPEND = 0x20;
export const RWF_KNOWN = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND | RWF_NOAPPEND;

/**
 * preadv2/pwritev2: preadv/pwritev with a position of -1 meaning the file
 * position, and per-call flags (kiocb_set_rw_flags): RWF_HIPRI is a hint,
 * RWF_NOWAIT makes this call non-blocking, RWF_DSYNC/RWF_SYNC write
 * through, RWF_APPEND/RWF_NOAPPEND override O_APPEND for this write. Other
 * flags (RWF_ATOMIC, RWF_DONTCACHE, unknown bits): EOPNOTSUPP.
 */
function transfer2(t: Task, r: Regs, write: boolean): number {
  const fd = r.getI32(A0), iovp = r.get(A1), cnt = r.getI32(A2), pos = r.getS(A3), flags = r.getI32(A5);
  if (flags & ~RWF_KNOWN) return -Errno.EOPNOTSUPP;
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  const saved = f.flags;
  let p: number | null = pos === -1 ? null : pos;
  if (write && flags & RWF_APPEND) {
    f.flags |= O_APPEND;
    if (p !== null) p = null; // appended whatever the offset; the file position stays
  }
  if (write && flags & RWF_NOAPPEND && p !== null) f.flags &= ~O_APPEND;
  if (flags & RWF_NOWAIT) f.flags |= O_NONBLOCK;
  try {
    const keep = f.pos;
    const n = transfer(t, fd, write, () => readIovecs(t, iovp, cnt), p, true);
    if (write && flags & RWF_APPEND && pos !== -1) f.pos = keep;
    if (n > 0 && write && flags & (RWF_DSYNC | RWF_SYNC)) f.fsync();
    return n;
  } finally {
    // the call's own flags never outlive it (nothing above sleeps with them set: NOWAIT does not sleep)
    f.flags = (f.flags & ~(O_APPEND | O_NONBLOCK)) | (saved & (O_APPEND | O_NONBLOCK));
  }
}

/** preadv2(2) */
export function sys_preadv2(t: Task, r: Regs): number {
  return transfer2(t, r, false);
}

/** pwritev2(2) */
export function sys_pwritev2(t: Task, r: Regs): number {
  return transfer2(t, r, true);
}

/** lseek(2) */
export function sys_lseek(t: Task, r: Regs): number {
  const fd = r.getI32(A0), off = r.getS(A1), whence = r.getU32(A2);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (whence > 4) return -Errno.EINVAL;
  return f.seek(off, whence);
}

// ---- copies between files -----------------------------------------------------------------

/**
 * copy_file_range(2) (vfs_copy_file_range, generic_copy_file_checks): two
 * regular files of one filesystem (EXDEV otherwise, as for filesystems
 * without their own cross-device copy), the input shortened to its end;
 * host to host with both handles pinned throughout, else a read/write loop
 * (Linux's splice fallback).
 */
export function sys_copy_file_range(t: Task, r: Regs): number {
  const fdIn = r.getI32(A0), offInP = r.get(A1), fdOut = r.getI32(A2), offOutP = r.get(A3);
  const rawLen = r.getBig(A4), flags = r.getU32(A5);
  const fin = fileOf(t, fdIn);
  if (typeof fin === 'number') return fin;
  const fout = fileOf(t, fdOut);
  if (typeof fout === 'number') return fout;
  const ip = offInP === 0 ? fin.pos : readI64(t, offInP), op = offOutP === 0 ? fout.pos : readI64(t, offOutP);
  if (flags !== 0) return -Errno.EINVAL;
  const sin = fin.stat(), sout = fout.stat();
  if (typeof sin === 'number') return sin;
  if (typeof sout === 'number') return sout;
  if ((sin.mode & S_IFMT) === S_IFDIR || (sout.mode & S_IFMT) === S_IFDIR) return -Errno.EISDIR;
  if ((sin.mode & S_IFMT) !== S_IFREG || (sout.mode & S_IFMT) !== S_IFREG) return -Errno.EINVAL;
  if (!fin.readable || !fout.writable || fout.flags & O_APPEND) return -Errno.EBADF;
  if (sin.dev !== sout.dev) return -Errno.EXDEV;
  // offsets must not wrap as unsigned 64-bit numbers: a negative one does (EOVERFLOW)
  const u64 = (v: number): bigint => BigInt.asUintN(64, BigInt(v));
  if (u64(ip) + rawLen >= 1n << 64n || u64(op) + rawLen >= 1n << 64n) return -Errno.EOVERFLOW;
  // shorten to the input's end
  let len = ip >= sin.size ? 0 : Number(rawLen < BigInt(sin.size - ip) ? rawLen : BigInt(sin.size - ip));
  // generic_write_check_limits: RLIMIT_FSIZE, then the filesystem's largest offset
  const lim = fsizeLimit(t, fout, op, len);
  if (lim < 0) return lim;
  len = lim;
  if (op >= MAX_OFFSET) return -Errno.EFBIG;
  len = Math.min(len, MAX_OFFSET - op);
  if (sin.dev === sout.dev && sin.ino === sout.ino && op + len > ip && op < ip + len) return -Errno.EINVAL; // overlapping ranges of one file
  // rw_verify_area of both sides
  if (ip < 0 || op < 0) return -Errno.EINVAL;
  len = Math.min(len, MAX_RW_COUNT);
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
  if (n > 0) {
    // vfs_copy_file_range's fsnotify_access and fsnotify_modify
    t.kernel.vfs.notifyFile(fin, IN_ACCESS);
    t.kernel.vfs.notifyFile(fout, IN_MODIFY);
  }
  if (offInP === 0) fin.pos = ip + n;
  else writeU64(t, offInP, ip + n);
  if (offOutP === 0) fout.pos = op + n;
  else writeU64(t, offOutP, op + n);
  return n;
}

// ---- sync and advice ----------------------------------------------------------------------

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
  return f.fdatasync();
}

/** sync(2): every filesystem's writes reach its storage (hostfs: the host's syncfs); it cannot fail. */
export function sys_sync(t: Task): number {
  t.kernel.vfs.syncAll();
  return 0;
}

/** syncfs(2): the filesystem fd lies on (a pipe's or a socket's has nothing to write back). O_PATH: EBADF (fdget). */
export function sys_syncfs(t: Task, r: Regs): number {
  const f = fileOf(t, r.getI32(A0));
  if (typeof f === 'number') return f;
  if (f.flags & O_PATH) return -Errno.EBADF;
  t.kernel.vfs.locOf(f)?.mnt.fs.sync();
  return 0;
}

/** sync_file_range's flags (SYNC_FILE_RANGE_WAIT_BEFORE | WRITE | WAIT_AFTER) */
const SYNC_FILE_RANGE_VALID = 7;

/**
 * sync_file_range(2): Linux's checks (fd, flags, a range inside 0..2^63,
 * a file with a page cache: ESPIPE otherwise). The writeback it starts or
 * waits for is the host page cache's own business: a guest cannot tell it
 * from here, and it never promised durability.
 */
export function sys_sync_file_range(t: Task, r: Regs): number {
  const f = fileOf(t, r.getI32(A0));
  if (typeof f === 'number') return f;
  if (f.flags & O_PATH) return -Errno.EBADF;
  const offset = BigInt.asIntN(64, r.getBig(A1)), nbytes = BigInt.asIntN(64, r.getBig(A2)), flags = r.getU32(A3);
  if (flags & ~SYNC_FILE_RANGE_VALID) return -Errno.EINVAL;
  const end = BigInt.asIntN(64, offset + nbytes);
  if (offset < 0n || end < 0n || end < offset) return -Errno.EINVAL;
  const st = f.stat();
  if (typeof st === 'number') return st;
  const fmt = st.mode & S_IFMT;
  if (fmt !== S_IFREG && fmt !== S_IFBLK && fmt !== S_IFDIR && fmt !== S_IFLNK) return -Errno.ESPIPE;
  return 0;
}

/**
 * readahead(2): an fd open for reading (EBADF) on a file with a page cache
 * (EINVAL: pipes, directories, devices), a count that is a valid length
 * (vfs_fadvise's WILLNEED). The reading ahead itself is the host's.
 */
export function sys_readahead(t: Task, r: Regs): number {
  const f = fileOf(t, r.getI32(A0));
  if (typeof f === 'number') return f;
  if (f.flags & O_PATH || !f.readable) return -Errno.EBADF;
  const st = f.stat();
  if (typeof st === 'number') return st;
  const fmt = st.mode & S_IFMT;
  if (fmt !== S_IFREG && fmt !== S_IFBLK) return -Errno.EINVAL;
  // (a size_t: a length past 2^63 is negative as loff_t)
  if (r.getS(A2) < 0) return -Errno.EINVAL;
  return 0;
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
