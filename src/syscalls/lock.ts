/**
 * File locks (fs/locks.c): flock(2) and fcntl(2)'s F_GETLK / F_SETLK /
 * F_SETLKW and the open-file-description F_OFD_GETLK / F_OFD_SETLK /
 * F_OFD_SETLKW. Decoding here; the table is fs/locks.ts (one per kernel,
 * so different guest processes' locks conflict).
 *
 * Blocking (F_SETLKW, flock without LOCK_NB): the handler sleeps the task on
 * the file's lock wait queue and is re-run from scratch when a lock of that
 * file goes; nothing changes before that decision, so the re-run is
 * exact. A holder that dies without a release hook reaching the table (an
 * exited process's POSIX locks are dropped lazily, at the next scan) is
 * noticed by a slow re-check timer armed with each sleep.
 */
import { fileOf } from './fd.js';
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import type { File } from '../fs/file.js';
import { Regs } from '../platform/regs.js';
import { A0, A1 } from './types.js';
import { O_PATH } from '../fs/types.js';
import { SEEK_CUR, SEEK_END, SEEK_SET } from '../fs/node.js';
import { F_RDLCK, F_UNLCK, F_WRLCK, LOCK_EOF, LOCK_EX, LOCK_MAND, LOCK_NB, LOCK_SH, LOCK_UN, LockRequest, lockKey } from '../fs/locks.js';
import { monotonicNs } from '../kernel/events.js';
import { readStruct, writeStruct, UserPtr } from './uaccess.js';

export const F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7, F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;
/** how long a blocked locker sleeps before looking again on its own (a holder may have died) */
const RECHECK_NS = 200_000_000n;

/** Sleep on the file's lock queue, with the re-check timer as a safety net. */
function sleepForLock(t: Task, key: string): number {
  t.kernel.events.addTimer(monotonicNs() + RECHECK_NS, () => t.kernel.wake(t));
  return t.sleepOn(t.kernel.vfs.locks.waitq(key));
}

/** flock(2) */
export function sys_flock(t: Task, r: Regs): number {
  const fd = r.getI32(A0), op = r.getU32(A1);
  // LOCK_MAND never worked and Linux 5.18+ ignores it (a warning, then 0), before it looks at the fd
  if (op & LOCK_MAND) return 0;
  const f = fileOf(t, fd);
  if (typeof f === 'number' || f.flags & O_PATH) return -Errno.EBADF;
  const kind = op & ~LOCK_NB;
  if (kind !== LOCK_SH && kind !== LOCK_EX && kind !== LOCK_UN) return -Errno.EINVAL;
  const key = lockKey(f);
  if (key === null) return -Errno.EINVAL;
  const e = t.kernel.vfs.locks.flock(key, f, kind, t.tg.tgid);
  if (e === -Errno.EAGAIN && !(op & LOCK_NB)) return sleepForLock(t, key);
  return e;
}

/** struct flock (x86-64, 32 bytes): l_type s16 @0, l_whence s16 @2, l_start s64 @8, l_len s64 @16, l_pid s32 @24. */
interface Flock {
  type: number;
  whence: number;
  start: bigint;
  len: bigint;
  pid: number;
}

const FLOCK_SIZE = 32;

function readFlock(t: Task, addr: UserPtr): Flock {
  const dv = readStruct(t, addr, FLOCK_SIZE);
  return {
    type: dv.getInt16(0, true), whence: dv.getInt16(2, true), start: dv.getBigInt64(8, true),
    len: dv.getBigInt64(16, true), pid: dv.getInt32(24, true),
  };
}

function writeFlock(t: Task, addr: UserPtr, l: Flock): void {
  writeStruct(t, addr, FLOCK_SIZE, (dv) => {
    dv.setInt16(0, l.type, true);
    dv.setInt16(2, l.whence, true);
    dv.setBigInt64(8, l.start, true);
    dv.setBigInt64(16, l.len, true);
    dv.setInt32(24, l.pid, true);
  });
}

/** flock_to_posix_lock: the inclusive byte range, or -EINVAL / -EOVERFLOW, in exact 64-bit arithmetic. */
function range(f: File, l: Flock): { start: bigint; end: bigint } | number {
  let base: bigint;
  switch (l.whence) {
    case SEEK_SET: base = 0n; break;
    case SEEK_CUR: base = BigInt(f.pos); break;
    case SEEK_END: {
      const st = f.stat();
      if (typeof st === 'number') return st;
      base = BigInt(st.size);
      break;
    }
    default: return -Errno.EINVAL;
  }
  if (l.start > LOCK_EOF - base) return -Errno.EOVERFLOW;
  let start = base + l.start;
  if (start < 0n) return -Errno.EINVAL;
  let end: bigint;
  if (l.len > 0n) {
    if (l.len - 1n > LOCK_EOF - start) return -Errno.EOVERFLOW;
    end = start + l.len - 1n;
  } else if (l.len === 0n) {
    end = LOCK_EOF;
  } else {
    // POSIX-2001: a negative length locks the bytes before start
    end = start - 1n;
    start += l.len;
    if (start < 0n) return -Errno.EINVAL;
  }
  return { start, end };
}

/** The lock commands of fcntl(2) (cmd is one of F_*LK*). */
export function fcntlLock(t: Task, f: File, cmd: number, arg: UserPtr): number {
  if (f.flags & O_PATH) return -Errno.EBADF;
  const ofd = cmd === F_OFD_GETLK || cmd === F_OFD_SETLK || cmd === F_OFD_SETLKW;
  const getlk = cmd === F_GETLK || cmd === F_OFD_GETLK;
  const l = readFlock(t, arg);
  // Linux's order: fcntl_getlk's type check (F_OFD_GETLK takes F_UNLCK too: it asks for the caller's own
  // lock), then flock_to_posix_lock (the range, then the type), then check_fmode_for_setlk, then l_pid
  if (getlk && !ofd && l.type !== F_RDLCK && l.type !== F_WRLCK) return -Errno.EINVAL;
  const rg = range(f, l);
  if (typeof rg === 'number') return rg;
  if (l.type !== F_RDLCK && l.type !== F_WRLCK && l.type !== F_UNLCK) return -Errno.EINVAL;
  if (!getlk && ((l.type === F_RDLCK && !f.readable) || (l.type === F_WRLCK && !f.writable))) return -Errno.EBADF;
  if (ofd && l.pid !== 0) return -Errno.EINVAL;
  const key = lockKey(f);
  if (key === null) return -Errno.EINVAL;
  const locks = t.kernel.vfs.locks;
  const tg = t.tg;
  const req: LockRequest = {
    owner: ofd ? f : tg, file: f, ofd, type: l.type, start: rg.start, end: rg.end, pid: ofd ? -1 : tg.tgid,
    alive: ofd ? () => true : () => tg.exitStatus === null,
  };
  if (getlk) {
    const c = locks.test(key, req);
    if (c === null) {
      writeFlock(t, arg, { ...l, type: F_UNLCK });
    } else {
      writeFlock(t, arg, {
        type: c.type, whence: SEEK_SET, start: c.start, len: c.end === LOCK_EOF ? 0n : c.end - c.start + 1n,
        pid: c.ofd ? -1 : c.pid,
      });
    }
    return 0;
  }
  const wait = cmd === F_SETLKW || cmd === F_OFD_SETLKW;
  const e = locks.set(key, req, wait);
  if (e === -Errno.EAGAIN && wait) return sleepForLock(t, key);
  if (e === -Errno.EAGAIN) return -Errno.EAGAIN; // Linux says EAGAIN (POSIX allows EACCES)
  return e;
}
