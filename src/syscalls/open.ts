/**
 * Opening and closing (fs/open.c, fs/file.c): open, openat, creat, close,
 * close_range, dup, dup2, dup3; and what fs/open.c also keeps, the size
 * calls truncate, ftruncate and fallocate.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3 } from './types.js';
import type { File } from '../fs/file.js';
import {
  S_IFMT, S_IFREG, O_ACCMODE, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_DSYNC, O_ASYNC,
  O_DIRECT, O_LARGEFILE, O_DIRECTORY, O_NOFOLLOW, O_NOATIME, O_CLOEXEC, O_SYNC, O_PATH, O_TMPFILE, O_WRONLY,
} from '../fs/types.js';
import { AT_FDCWD } from '../fs/vfs.js';
import { FifoEnd } from '../fs/fifo.js';
import { unshareFiles } from '../kernel/fork.js';
import { fileOf } from './fd.js';
import { dirArg, pathLoc } from './namei.js';
import { readPath, copyStructFromUser, UserPtr } from './uaccess.js';
import { PAGE_SIZE } from '../mm/physmem.js';
import {
  OPEN_HOW_SIZE_VER0, RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH, RESOLVE_IN_ROOT,
  RESOLVE_CACHED,
} from '../abi/fcntl.js';

/** __O_TMPFILE: O_TMPFILE without its O_DIRECTORY */
const O_TMPFILE_BIT = O_TMPFILE & ~O_DIRECTORY;
import { fsizeGrowOk } from './read_write.js';
import { IN_MODIFY } from '../abi/inotify.js';
import { TmpFile } from '../fs/tmpfs.js';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_ZERO_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_UNSHARE_RANGE,
  FALLOC_FL_WRITE_ZEROES, FALLOC_FL_MODE_MASK,
} from '../abi/falloc.js';

// ---- open and close -------------------------------------------------------------------

/**
 * The open flags Linux knows (VALID_OPEN_FLAGS). Other bits are dropped,
 * not rejected: open(2) has always ignored unknown flags and programs rely
 * on it (only openat2 is strict).
 */
const VALID_OPEN_FLAGS = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |
  O_ASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE;

/** An open(2) of a FIFO waiting for the other side (fifo.ts): the end, held across re-runs. */
interface FifoWait {
  fifo: FifoEnd;
}

/**
 * A FIFO opened without O_NONBLOCK waits for the other side: the end sleeps
 * on the pipe's open queue and the re-run installs it once a partner came.
 * A signal releases it (fifo_open's -ERESTARTSYS: restarted from scratch
 * after a SA_RESTART handler).
 */
function fifoWait(t: Task, f: FifoEnd, cloexec: boolean): number {
  if (!f.partnerCame()) {
    t.sc.state = { fifo: f } satisfies FifoWait;
    t.sc.cleanup = () => {
      f.put();
    };
    return t.sleepOn(f.pipe.openWait);
  }
  f.opened();
  return t.files.install(f, cloexec);
}

function doOpen(t: Task, dirfd: number, pathAddr: UserPtr, flags: number, mode: number, resolve = 0): number {
  const waiting = t.sc.state as FifoWait | null;
  if (waiting) return fifoWait(t, waiting.fifo, (flags & O_CLOEXEC) !== 0);
  const path = readPath(t, pathAddr);
  flags &= VALID_OPEN_FLAGS;
  mode = flags & O_CREAT || (flags & O_TMPFILE) === O_TMPFILE ? mode & 0o7777 : 0;
  // RESOLVE_IN_ROOT walks from its dirfd even for an absolute path (RESOLVE_BENEATH refuses one: EXDEV, whatever
  // the dirfd, from the walk)
  const at = resolve & RESOLVE_IN_ROOT || (resolve & RESOLVE_BENEATH && path.charCodeAt(0) !== 47)
    ? (dirfd === AT_FDCWD ? null : t.files.get(dirfd) ?? -Errno.EBADF) : dirArg(t, dirfd, path);
  if (typeof at === 'number') return at;
  const f = t.kernel.vfs.open(t, at, path, flags, mode, false, resolve);
  if (typeof f === 'number') return f;
  if (f instanceof FifoEnd && f.mustWait()) return fifoWait(t, f, (flags & O_CLOEXEC) !== 0);
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

/** the flags an O_PATH open may carry with it */
const O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
const VALID_RESOLVE_FLAGS = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH |
  RESOLVE_IN_ROOT | RESOLVE_CACHED;
/** struct open_how: flags, mode, resolve (u64 each) */
const OPEN_HOW_SIZE = 24;

/**
 * openat2(2): struct open_how, every argument checked (build_open_flags:
 * unknown flags and resolve bits, a mode without O_CREAT/O_TMPFILE,
 * O_DIRECTORY|O_CREAT, O_PATH with other flags: EINVAL), then openat with
 * the RESOLVE_* rules for the walk (vfs.ts). RESOLVE_CACHED: umlts's
 * lookups never wait for I/O the way Linux's dcache misses do, so only
 * what Linux never tries from the cache (creation, truncation) is EAGAIN.
 */
export function sys_openat2(t: Task, r: Regs): number {
  const dirfd = r.getI32(A0), pathAddr = r.get(A1), howAddr = r.get(A2), usize = r.get(A3);
  if (usize < OPEN_HOW_SIZE_VER0) return -Errno.EINVAL;
  if (usize > PAGE_SIZE) return -Errno.E2BIG;
  const b = copyStructFromUser(t, howAddr, usize, OPEN_HOW_SIZE);
  if (typeof b === 'number') return b;
  const dv = new DataView(b.buffer);
  const flagsHi = dv.getUint32(4, true), modeBig = dv.getBigUint64(8, true), resolveBig = dv.getBigUint64(16, true);
  const flags = dv.getUint32(0, true), rest = flags & ~O_CLOEXEC;
  if (flagsHi !== 0 || rest & ~VALID_OPEN_FLAGS) return -Errno.EINVAL;
  if (resolveBig & ~BigInt(VALID_RESOLVE_FLAGS)) return -Errno.EINVAL;
  const resolve = Number(resolveBig);
  if (resolve & RESOLVE_BENEATH && resolve & RESOLVE_IN_ROOT) return -Errno.EINVAL;
  const creates = (flags & O_CREAT) !== 0 || (flags & O_TMPFILE_BIT) !== 0;
  if (creates ? modeBig & ~0o7777n : modeBig !== 0n) return -Errno.EINVAL;
  if ((flags & (O_DIRECTORY | O_CREAT)) === (O_DIRECTORY | O_CREAT)) return -Errno.EINVAL;
  if (flags & O_TMPFILE_BIT && (!(flags & O_DIRECTORY) || (flags & O_ACCMODE) === 0)) return -Errno.EINVAL;
  if (flags & O_PATH && flags & ~O_PATH_FLAGS) return -Errno.EINVAL;
  if (resolve & RESOLVE_CACHED && flags & (O_TRUNC | O_CREAT | O_TMPFILE_BIT)) return -Errno.EAGAIN;
  // (force_o_largefile: a 64-bit process's opens are large-file ones, O_PATH's excepted)
  return doOpen(t, dirfd, pathAddr, flags & O_PATH ? flags : flags | O_LARGEFILE, Number(modeBig), resolve);
}

/** creat(2) */
export function sys_creat(t: Task, r: Regs): number {
  return doOpen(t, AT_FDCWD, r.get(A0), O_CREAT | O_WRONLY | O_TRUNC, r.getU32(A1));
}

/** close(2) (filp_close: the file's flush, and the process's POSIX locks on it go with any of its fds) */
export function sys_close(t: Task, r: Regs): number {
  const fd = r.getI32(A0);
  const f = t.files.get(fd);
  if (f) t.kernel.filpClose(t.tg, f);
  return t.files.close(fd);
}

const CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4;
/** close_range(2); CLOSE_RANGE_UNSHARE first gives the caller its own copy of a shared table (unshare_fd). */
export function sys_close_range(t: Task, r: Regs): number {
  const first = r.getU32(A0), last = r.getU32(A1), flags = r.getU32(A2);
  if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) return -Errno.EINVAL;
  if (first > last) return -Errno.EINVAL;
  if (flags & CLOSE_RANGE_UNSHARE) unshareFiles(t);
  for (const fd of t.files.list()) {
    if (fd < first || fd > last) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) t.files.entry(fd)!.cloexec = true;
    else {
      t.kernel.filpClose(t.tg, t.files.get(fd)!);
      t.files.close(fd);
    }
  }
  return 0;
}

// ---- dup ---------------------------------------------------------------------------------

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
  return dupOver(t, f, newfd, false);
}

/** dup3(2) */
export function sys_dup3(t: Task, r: Regs): number {
  const oldfd = r.getI32(A0), newfd = r.getI32(A1), flags = r.getU32(A2);
  if (flags & ~O_CLOEXEC) return -Errno.EINVAL;
  if (oldfd === newfd) return -Errno.EINVAL;
  const f = fileOf(t, oldfd);
  if (typeof f === 'number') return f;
  return dupOver(t, f, newfd, (flags & O_CLOEXEC) !== 0);
}

/** do_dup2: f at newfd; what was there is closed as close(2) closes it (filp_close drops POSIX locks). */
function dupOver(t: Task, f: File, newfd: number, cloexec: boolean): number {
  const old = t.files.get(newfd);
  if (old && newfd < t.files.limit) t.kernel.filpClose(t.tg, old); // while old is still open (its stat gives the key)
  return t.files.installAt(newfd, f.get(), cloexec);
}

// ---- size: truncate, ftruncate, fallocate ----------------------------------------------------

/** truncate(2) */
export function sys_truncate(t: Task, r: Regs): number {
  const pathAddr = r.get(A0), len = r.getS(A1);
  if (len < 0) return -Errno.EINVAL;
  const loc = pathLoc(t, AT_FDCWD, pathAddr, true);
  if (typeof loc === 'number') return loc;
  const st = loc.node.stat();
  if (typeof st !== 'number' && (st.mode & S_IFMT) === S_IFREG) {
    const e = fsizeGrowOk(t, st.size, len);
    if (e < 0) return e;
  }
  return t.kernel.vfs.truncateLoc(t, loc, len);
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
  const e = fsizeGrowOk(t, st.size, len);
  if (e < 0) return e;
  t.kernel.vfs.removePrivs(t, f); // do_truncate's ATTR_KILL_SUID/SGID
  const res = f.truncate(len);
  if (res === 0) t.kernel.vfs.notifyFile(f, IN_MODIFY); // do_truncate's notify_change (ATTR_SIZE)
  return res;
}

/** fallocate(2): on host files the host does it (and reports EOPNOTSUPP itself); tmpfs grows the file or
 * punches a hole. */
export function sys_fallocate(t: Task, r: Regs): number {
  const fd = r.getI32(A0), mode = r.getI32(A1), off = r.getS(A2), len = r.getS(A3);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (f.flags & O_PATH) return -Errno.EBADF;
  return vfsFallocate(t, f, mode, off, len);
}

/** vfs_fallocate: fallocate(2)'s checks and work on an open file (madvise's MADV_REMOVE too); 0 or -errno. */
export function vfsFallocate(t: Task, f: File, mode: number, off: number, len: number): number {
  if (off < 0 || len <= 0) return -Errno.EINVAL;
  if (mode & ~(FALLOC_FL_MODE_MASK | FALLOC_FL_KEEP_SIZE)) return -Errno.EOPNOTSUPP;
  // one mode at most, each with or without KEEP_SIZE as it allows
  switch (mode & FALLOC_FL_MODE_MASK) {
    case 0:
    case FALLOC_FL_UNSHARE_RANGE:
    case FALLOC_FL_ZERO_RANGE:
      break;
    case FALLOC_FL_PUNCH_HOLE:
      if (!(mode & FALLOC_FL_KEEP_SIZE)) return -Errno.EOPNOTSUPP;
      break;
    case FALLOC_FL_COLLAPSE_RANGE:
    case FALLOC_FL_INSERT_RANGE:
    case FALLOC_FL_WRITE_ZEROES:
      if (mode & FALLOC_FL_KEEP_SIZE) return -Errno.EOPNOTSUPP;
      break;
    default:
      return -Errno.EOPNOTSUPP;
  }
  if (!f.writable) return -Errno.EBADF;
  const st = f.stat();
  if (typeof st === 'number') return st;
  const type = st.mode & S_IFMT;
  if (type === 0o010000) return -Errno.ESPIPE;
  if (type === 0o040000) return -Errno.EISDIR;
  if (type !== S_IFREG) return -Errno.ENODEV;
  if (off + len > Number.MAX_SAFE_INTEGER) return -Errno.EFBIG;
  // tmpfs checks the limit even for FALLOC_FL_KEEP_SIZE, though not for a hole (shmem_fallocate); others only
  // when the size grows
  if (!(mode & FALLOC_FL_KEEP_SIZE) || (f instanceof TmpFile && !(mode & FALLOC_FL_PUNCH_HOLE))) {
    const e = fsizeGrowOk(t, st.size, off + len);
    if (e < 0) return e;
  }
  const a = f as File & { allocate?: (mode: number, off: number, len: number) => number };
  if (a.allocate) t.kernel.vfs.removePrivs(t, f); // file_modified
  const res = a.allocate ? a.allocate(mode, off, len) : -Errno.EOPNOTSUPP;
  if (res === 0) t.kernel.vfs.notifyFile(f, IN_MODIFY);
  return res;
}
