/**
 * The namespace and attribute syscalls (fs/namei.c, and the path calls of
 * fs/open.c, fs/utimes.c, fs/stat.c's readlink, fs/d_path.c's getcwd):
 * mkdir, mknod, unlink, rmdir, rename, symlink, link, readlink, access, getcwd,
 * chdir, chroot, chmod, chown, utimensat, utimes, futimesat, utime, umask.
 *
 * Also the lookups the other file syscalls share (user_path_at's part):
 * dirArg for an *at call's dirfd, emptyPathLoc for AT_EMPTY_PATH, pathLoc
 * and fdLoc for the object an attribute call works on. Paths are read once,
 * through uaccess.readPath; the walk is the VFS's (t.kernel.vfs).
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4 } from './types.js';
import type { File } from '../fs/file.js';
import {
  AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EACCESS, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH, FsCaller, Loc, PATH_MAX,
} from '../fs/vfs.js';
import { TIME_NOW } from '../fs/node.js';
import { O_PATH } from '../fs/types.js';
import { HostFile, OpenHostNode } from '../fs/hostfs.js';
import { makedev, major, minor } from '../abi/stat.js';
import { fileOf } from './fd.js';
import { readPath, copyOut, getTimespec, getTimeval, readI64, NSEC_PER_SEC, UserPtr } from './uaccess.js';
import { encodeName } from '../abi/names.js';
import { capable } from '../kernel/creds.js';
import { CAP_SYS_CHROOT, SECBIT_NO_SETUID_FIXUP } from '../abi/capability.js';

// ---- lookups -------------------------------------------------------------------------------

/** The dirfd of an *at call: null for AT_FDCWD (or when path is absolute: Linux ignores dirfd then). */
export function dirArg(t: Task, dirfd: number, path: string): File | null | number {
  if (dirfd === AT_FDCWD || path.charCodeAt(0) === 47) return null;
  return t.files.get(dirfd) ?? -Errno.EBADF;
}

/** Where an AT_EMPTY_PATH call operates: the dirfd's Loc or the cwd's. */
export function emptyPathLoc(t: Task, dirfd: number): Loc | number {
  const vfs = t.kernel.vfs;
  if (dirfd === AT_FDCWD) return vfs.resolve(t, null, '.', true);
  const f = t.files.get(dirfd);
  if (!f) return -Errno.EBADF;
  return vfs.locOf(f) ?? -Errno.EBADF;
}

/**
 * user_path_at: the Loc dirfd + the path at pathAddr lead to. With
 * emptyPath (AT_EMPTY_PATH given: the attribute calls fchownat and
 * utimensat), an empty path is the dirfd's own inode (a pipe's too).
 */
export function pathLoc(t: Task, dirfd: number, pathAddr: UserPtr, follow: boolean, emptyPath = false): Loc | number {
  const path = readPath(t, pathAddr);
  if (emptyPath && path === '') return dirfd === AT_FDCWD ? emptyPathLoc(t, dirfd) : fdInodeLoc(t, dirfd, true);
  const at = dirArg(t, dirfd, path);
  if (typeof at === 'number') return at;
  return t.kernel.vfs.resolve(t, at, path, follow);
}

/** The Loc an fd-based xattr call works on; EPERM for a file with no place in the namespace (a pipe, the console). */
export function fdLoc(t: Task, fd: number): Loc | number {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  const loc = t.kernel.vfs.locOf(f);
  return loc ? openLoc(f, loc) : -Errno.EPERM;
}

/** The Loc an fd-based attribute call works on (fchmod, fchown, futimens): a file with no place in the
 * namespace has its own inode (a pipe's, a socket's, an anonymous inode's: Vfs.inodeLoc). An O_PATH fd is
 * EBADF (fdget) but for an AT_EMPTY_PATH call (pathOk: the path walk takes it, fdget_raw). */
export function fdInodeLoc(t: Task, fd: number, pathOk = false): Loc | number {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (!pathOk && f.flags & O_PATH) return -Errno.EBADF;
  return openLoc(f, t.kernel.vfs.inodeLoc(f));
}

function openLoc(f: File, loc: Loc): Loc {
  // a host file changes through its open fd, which still works after an unlink (as Linux)
  if (f instanceof HostFile && !(loc.node instanceof OpenHostNode)) return { ...loc, node: new OpenHostNode(f.h.fs, f) };
  return loc;
}

// ---- namespace changes ------------------------------------------------------------------

/** umask(2) */
export function sys_umask(t: Task, r: Regs): number {
  const old = t.fs.umask;
  t.fs.umask = r.getU32(A0) & 0o777;
  return old;
}

function doMkdir(t: Task, dirfd: number, pathAddr: UserPtr, mode: number): number {
  const path = readPath(t, pathAddr);
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

function doMknod(t: Task, dirfd: number, pathAddr: UserPtr, mode: number, dev: number): number {
  const path = readPath(t, pathAddr);
  const at = dirArg(t, dirfd, path);
  if (typeof at === 'number') return at;
  // the u32 dev argument is new_encode_dev's: the low half of st_rdev's encoding
  const r = t.kernel.vfs.mknod(t, at, path, mode & 0xffff, makedev(major(dev), minor(dev)));
  return typeof r === 'number' ? r : 0;
}

/** mknod(2) */
export function sys_mknod(t: Task, r: Regs): number {
  return doMknod(t, AT_FDCWD, r.get(A0), r.getU32(A1), r.getU32(A2));
}

/** mknodat(2) */
export function sys_mknodat(t: Task, r: Regs): number {
  return doMknod(t, r.getI32(A0), r.get(A1), r.getU32(A2), r.getU32(A3));
}

function doUnlink(t: Task, dirfd: number, pathAddr: UserPtr, flags: number): number {
  if (flags & ~AT_REMOVEDIR) return -Errno.EINVAL;
  const path = readPath(t, pathAddr);
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

function doRename(t: Task, olddirfd: number, oldAddr: UserPtr, newdirfd: number, newAddr: UserPtr, flags: number): number {
  const oldPath = readPath(t, oldAddr), newPath = readPath(t, newAddr);
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

function doSymlink(t: Task, targetAddr: UserPtr, dirfd: number, pathAddr: UserPtr): number {
  const target = readPath(t, targetAddr), path = readPath(t, pathAddr);
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

function doLink(t: Task, olddirfd: number, oldAddr: UserPtr, newdirfd: number, newAddr: UserPtr, flags: number): number {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const oldPath = readPath(t, oldAddr), newPath = readPath(t, newAddr);
  const newAt = dirArg(t, newdirfd, newPath);
  if (oldPath === '' && flags & AT_EMPTY_PATH) {
    // linkat(fd, "", ..., AT_EMPTY_PATH): a name for an open file (an O_TMPFILE one, typically)
    const src = emptyPathLoc(t, olddirfd);
    if (typeof src === 'number') return src;
    if (typeof newAt === 'number') return newAt;
    return t.kernel.vfs.linkLoc(t, src, newAt, newPath);
  }
  const oldAt = dirArg(t, olddirfd, oldPath);
  if (typeof oldAt === 'number') return oldAt;
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

// ---- lookups that answer: readlink, access, getcwd, chdir ------------------------------------

function doReadlink(t: Task, dirfd: number, pathAddr: UserPtr, buf: UserPtr, size: number): number {
  if (size <= 0) return -Errno.EINVAL;
  const path = readPath(t, pathAddr);
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
  const b = encodeName(target);
  const n = Math.min(b.length, size);
  copyOut(t, buf, b, 0, n);
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

function doAccess(t: Task, dirfd: number, pathAddr: UserPtr, mode: number, flags: number): number {
  if (mode & ~7) return -Errno.EINVAL;
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const c = t.creds;
  // access(2) checks with the real ids unless AT_EACCESS, and then with the permitted capabilities if the real
  // uid is 0, none otherwise (do_faccessat's override creds)
  const realCaps = c.uid === 0 && !(c.securebits & SECBIT_NO_SETUID_FIXUP) ? c.capPermitted : c.securebits & SECBIT_NO_SETUID_FIXUP ? c.capEffective : 0;
  const who: FsCaller = {
    fs: t.fs,
    creds: flags & AT_EACCESS ? { fsuid: c.euid, fsgid: c.egid, groups: c.groups, capEffective: c.capEffective }
      : { fsuid: c.uid, fsgid: c.gid, groups: c.groups, capEffective: realCaps },
  };
  const vfs = t.kernel.vfs;
  const path = readPath(t, pathAddr);
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
  const cwd = t.kernel.vfs.cwdPath(t);
  if (typeof cwd === 'number') return cwd;
  const b = encodeName(t.kernel.vfs.pathFor(t, cwd) + '\0');
  // (d_path builds it in one page: a longer path does not fit)
  if (b.length > PATH_MAX) return -Errno.ENAMETOOLONG;
  if (size < b.length) return -Errno.ERANGE;
  copyOut(t, buf, b);
  return b.length;
}

/** chdir(2) */
export function sys_chdir(t: Task, r: Regs): number {
  const path = readPath(t, r.get(A0));
  return t.kernel.vfs.chdir(t, null, path);
}

/** chroot(2): CAP_SYS_CHROOT's */
export function sys_chroot(t: Task, r: Regs): number {
  const path = readPath(t, r.get(A0));
  return t.kernel.vfs.chroot(t, null, path, capable(t.creds, CAP_SYS_CHROOT));
}

/** fchdir(2) */
export function sys_fchdir(t: Task, r: Regs): number {
  const f = fileOf(t, r.getI32(A0));
  if (typeof f === 'number') return f;
  const loc = t.kernel.vfs.locOf(f);
  if (!loc) return -Errno.ENOTDIR;
  return t.kernel.vfs.chdirLoc(t, loc);
}

// ---- attributes: chmod, chown, utimes ---------------------------------------------------------

/** chmod(2) */
export function sys_chmod(t: Task, r: Regs): number {
  const loc = pathLoc(t, AT_FDCWD, r.get(A0), true);
  return typeof loc === 'number' ? loc : t.kernel.vfs.chmodLoc(t, loc, r.getU32(A1));
}

/** fchmod(2) */
export function sys_fchmod(t: Task, r: Regs): number {
  const loc = fdInodeLoc(t, r.getI32(A0));
  return typeof loc === 'number' ? loc : t.kernel.vfs.chmodLoc(t, loc, r.getU32(A1));
}

/** fchmodat2(2): fchmodat with flags; a symlink itself (AT_SYMLINK_NOFOLLOW) has no mode to change (EOPNOTSUPP). */
export function sys_fchmodat2(t: Task, r: Regs): number {
  const flags = r.getU32(A3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const loc = pathLoc(t, r.getI32(A0), r.get(A1), !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
  if (typeof loc === 'number') return loc;
  if (loc.node.isLink) return -Errno.EOPNOTSUPP;
  return t.kernel.vfs.chmodLoc(t, loc, r.getU32(A2));
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

/** The chown family's common end, once the target is found. */
function doChown(t: Task, loc: Loc | number, uid: number, gid: number): number {
  return typeof loc === 'number' ? loc : t.kernel.vfs.chownLoc(t, loc, uid, gid);
}

/** chown(2) */
export function sys_chown(t: Task, r: Regs): number {
  const pathAddr = r.get(A0), uid = idArg(r.getU32(A1)), gid = idArg(r.getU32(A2));
  return doChown(t, pathLoc(t, AT_FDCWD, pathAddr, true), uid, gid);
}

/** lchown(2) */
export function sys_lchown(t: Task, r: Regs): number {
  const pathAddr = r.get(A0), uid = idArg(r.getU32(A1)), gid = idArg(r.getU32(A2));
  return doChown(t, pathLoc(t, AT_FDCWD, pathAddr, false), uid, gid);
}

/** fchown(2) */
export function sys_fchown(t: Task, r: Regs): number {
  const fd = r.getI32(A0), uid = idArg(r.getU32(A1)), gid = idArg(r.getU32(A2));
  return doChown(t, fdInodeLoc(t, fd), uid, gid);
}

/** fchownat(2) */
export function sys_fchownat(t: Task, r: Regs): number {
  const dirfd = r.getI32(A0), pathAddr = r.get(A1), uid = idArg(r.getU32(A2)), gid = idArg(r.getU32(A3)), flags = r.getU32(A4);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  return doChown(t, pathLoc(t, dirfd, pathAddr, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0), uid, gid);
}

const UTIME_NOW = 0x3fffffffn, UTIME_OMIT = 0x3ffffffen;

/** utimensat(2); a NULL path means the dirfd itself (futimens). */
export function sys_utimensat(t: Task, r: Regs): number {
  const dirfd = r.getI32(A0), pathAddr = r.get(A1), timesp = r.get(A2), flags = r.getU32(A3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const now = TIME_NOW;
  let atime: bigint | undefined = now, mtime: bigint | undefined = now, explicit = false;
  if (timesp !== 0) {
    // struct timespec times[2]: each checked as it is read (utimes_common after get_timespec64)
    const ts: Array<bigint | undefined> = [];
    for (let i = 0; i < 2; i++) {
      const { sec, nsec } = getTimespec(t, timesp + i * 16);
      if (nsec === UTIME_NOW) ts.push(now);
      else if (nsec === UTIME_OMIT) ts.push(undefined);
      else if (nsec < 0n || nsec >= NSEC_PER_SEC) return -Errno.EINVAL;
      else ts.push(sec * NSEC_PER_SEC + nsec);
      // (vfs_utimes: times other than both UTIME_NOW are an explicit update, ATTR_TIMES_SET: the owner's)
      if (nsec !== UTIME_NOW) explicit = true;
    }
    [atime, mtime] = ts;
    if (atime === undefined && mtime === undefined) return 0; // both UTIME_OMIT: nothing to do, as Linux
  }
  let loc: Loc | number;
  if (pathAddr === 0) loc = dirfd === AT_FDCWD ? -Errno.EFAULT : fdInodeLoc(t, dirfd);
  else loc = pathLoc(t, dirfd, pathAddr, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
  if (typeof loc === 'number') return loc;
  return t.kernel.vfs.utimesLoc(t, loc, atime, mtime, explicit);
}

/**
 * do_utimes for the old calls: times (ns) or null for now; a null path
 * with a dirfd other than AT_FDCWD names that fd's own file (futimesat).
 */
function doUtimes(t: Task, dirfd: number, pathAddr: number, times: [bigint, bigint] | null): number {
  const [atime, mtime] = times ?? [TIME_NOW, TIME_NOW];
  const loc = pathAddr === 0 && dirfd !== AT_FDCWD ? fdInodeLoc(t, dirfd) : pathLoc(t, dirfd, pathAddr, true);
  return typeof loc === 'number' ? loc : t.kernel.vfs.utimesLoc(t, loc, atime, mtime, times !== null);
}

/** utimes(2) and futimesat(2)'s struct timeval[2]: ns, or an errno (only tv_usec is checked: do_futimesat). */
function readTimevals(t: Task, tvp: number): [bigint, bigint] | number {
  const v: bigint[] = [];
  for (let i = 0; i < 2; i++) {
    const { sec, usec } = getTimeval(t, tvp + i * 16);
    if (usec < 0n || usec > 999999n) return -Errno.EINVAL;
    v.push(sec * NSEC_PER_SEC + usec * 1000n);
  }
  return v as [bigint, bigint];
}

/** utimes(2): struct timeval[2] or NULL. */
export function sys_utimes(t: Task, r: Regs): number {
  const tvp = r.get(A1);
  const times = tvp === 0 ? null : readTimevals(t, tvp);
  return typeof times === 'number' ? times : doUtimes(t, AT_FDCWD, r.get(A0), times);
}

/** futimesat(2): utimes relative to a dirfd; a NULL path sets the dirfd's own file's times. */
export function sys_futimesat(t: Task, r: Regs): number {
  const tvp = r.get(A2);
  const times = tvp === 0 ? null : readTimevals(t, tvp);
  return typeof times === 'number' ? times : doUtimes(t, r.getI32(A0), r.get(A1), times);
}

/** utime(2): struct utimbuf { actime, modtime } in whole seconds, or NULL. */
export function sys_utime(t: Task, r: Regs): number {
  const tp = r.get(A1);
  let times: [bigint, bigint] | null = null;
  if (tp !== 0) times = [BigInt(readI64(t, tp)) * NSEC_PER_SEC, BigInt(readI64(t, tp + 8)) * NSEC_PER_SEC];
  return doUtimes(t, AT_FDCWD, r.get(A0), times);
}
