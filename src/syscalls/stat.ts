/**
 * File status (fs/stat.c, fs/statfs.c): stat, lstat, fstat, newfstatat,
 * statx, statfs, fstatfs. The VFS answers with a Stat or StatFs; here they
 * are encoded as x86-64's struct stat, struct statx and struct statfs.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4 } from './types.js';
import type { Stat } from '../fs/types.js';
import { STAT_SIZE, STATX_SIZE, STATX__RESERVED, AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC, encodeStat, encodeStatx } from '../abi/stat.js';
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH, StatxAnswer } from '../fs/vfs.js';
import { StatFs } from '../fs/node.js';
import { fileOf } from './fd.js';
import { File } from '../fs/file.js';
import { dirArg } from './namei.js';
import { readPath, writeStruct, putU64, UserPtr } from './uaccess.js';

// ---- stat ----------------------------------------------------------------------------------

/** Copy a Stat out as struct stat. */
function writeStat(t: Task, addr: UserPtr, st: Stat): void {
  writeStruct(t, addr, STAT_SIZE, (dv) => encodeStat(dv, st));
}

/** What fstatat and statx look at: an open file (AT_EMPTY_PATH, where a NULL path is accepted too), or a path
 * from a directory. */
function statTarget(t: Task, dirfd: number, pathAddr: UserPtr, flags: number): File | { at: File | null; path: string; follow: boolean } | number {
  const path = pathAddr === 0 && flags & AT_EMPTY_PATH ? '' : readPath(t, pathAddr);
  if (path === '' && flags & AT_EMPTY_PATH) {
    return dirfd === AT_FDCWD ? { at: null, path: '.', follow: true } : fileOf(t, dirfd);
  }
  const at = dirArg(t, dirfd, path);
  return typeof at === 'number' ? at : { at, path, follow: !(flags & AT_SYMLINK_NOFOLLOW) };
}

/** fstatat's core. */
function statAt(t: Task, dirfd: number, pathAddr: UserPtr, flags: number): Stat | number {
  const x = statTarget(t, dirfd, pathAddr, flags);
  if (typeof x === 'number') return x;
  return x instanceof File ? x.stat() : t.kernel.vfs.stat(t, x.at, x.path, x.follow);
}

/** Answer a stat call: the Stat found, or its error. */
function answerStat(t: Task, buf: UserPtr, st: Stat | number): number {
  if (typeof st === 'number') return st;
  writeStat(t, buf, st);
  return 0;
}

/** stat(2) */
export function sys_stat(t: Task, r: Regs): number {
  const pathAddr = r.get(A0), buf = r.get(A1);
  return answerStat(t, buf, statAt(t, AT_FDCWD, pathAddr, 0));
}

/** lstat(2) */
export function sys_lstat(t: Task, r: Regs): number {
  const pathAddr = r.get(A0), buf = r.get(A1);
  return answerStat(t, buf, statAt(t, AT_FDCWD, pathAddr, AT_SYMLINK_NOFOLLOW));
}

/** fstat(2) */
export function sys_fstat(t: Task, r: Regs): number {
  const fd = r.getI32(A0), buf = r.get(A1);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  return answerStat(t, buf, f.stat());
}

/** newfstatat(2) */
export function sys_newfstatat(t: Task, r: Regs): number {
  const dirfd = r.getI32(A0), pathAddr = r.get(A1), buf = r.get(A2), flags = r.getU32(A3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) return -Errno.EINVAL;
  return answerStat(t, buf, statAt(t, dirfd, pathAddr, flags));
}

/** statx(2): the basic fields, the birth time where the filesystem keeps one (a host file's when asked, as the
 * host's filesystem gives it; tmpfs's always), the mount's id and the attributes (a host file's as the host's;
 * MOUNT_ROOT by the guest's mounts). No STATX_DIOALIGN or STATX_MNT_ID_UNIQUE answers. */
export function sys_statx(t: Task, r: Regs): number {
  const dirfd = r.getI32(A0), pathAddr = r.get(A1), flags = r.getU32(A2), mask = r.getU32(A3), buf = r.get(A4);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC)) return -Errno.EINVAL;
  if ((flags & (AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC)) === (AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC)) return -Errno.EINVAL;
  if (mask & STATX__RESERVED) return -Errno.EINVAL;
  const x = statTarget(t, dirfd, pathAddr, flags);
  if (typeof x === 'number') return x;
  const a: StatxAnswer | number = x instanceof File ? t.kernel.vfs.statxFile(x, mask) : t.kernel.vfs.statx(t, x.at, x.path, x.follow, mask);
  if (typeof a === 'number') return a;
  const ans = a;
  writeStruct(t, buf, STATX_SIZE, (dv) => encodeStatx(dv, ans.st, mask, ans.mntId, ans.mountRoot));
  return 0;
}

// ---- statfs ------------------------------------------------------------------------------

const PIPEFS_MAGIC = 0x50495045;
/** sizeof(struct statfs) on x86-64 */
const STATFS_SIZE = 120;

/** Answer a statfs call: the StatFs copied out as struct statfs, or its error. */
function answerStatfs(t: Task, addr: UserPtr, s: StatFs | number): number {
  if (typeof s === 'number') return s;
  writeStruct(t, addr, STATFS_SIZE, (dv) => {
    const f = [s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree];
    f.forEach((v, i) => putU64(dv, i * 8, Math.max(0, v)));
    dv.setUint32(56, s.fsid >>> 0, true);
    dv.setUint32(60, Math.floor(s.fsid / 0x100000000) >>> 0, true);
    putU64(dv, 64, s.namelen);
    putU64(dv, 72, s.frsize);
    putU64(dv, 80, s.flags);
  });
  return 0;
}

/** statfs(2) */
export function sys_statfs(t: Task, r: Regs): number {
  const path = readPath(t, r.get(A0)), buf = r.get(A1);
  return answerStatfs(t, buf, t.kernel.vfs.statfs(t, null, path));
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
  return answerStatfs(t, buf, s);
}
