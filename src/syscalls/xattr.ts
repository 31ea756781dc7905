/**
 * Extended attributes (fs/xattr.c): getxattr(2), setxattr(2), listxattr(2),
 * removexattr(2) and their l* (not following a last symlink) and f*
 * variants. Arguments are checked here in Linux's order (flags, name,
 * size, then the path or fd), then xattr_permission and the security
 * module's capability checks; the filesystem keeps the attributes (tmpfs in
 * memory, hostfs user.* on the host file; see fs/hostfs.ts).
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import { O_PATH } from '../abi/fcntl.js';
import {
  XATTR_CREATE, XATTR_REPLACE, XATTR_NAME_MAX, XATTR_SIZE_MAX, XATTR_LIST_MAX,
  XATTR_USER_PREFIX, XATTR_TRUSTED_PREFIX, XATTR_SECURITY_PREFIX, XATTR_SYSTEM_PREFIX,
} from '../abi/xattr.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import type { SyscallHandler } from './types.js';
import { A0, A1, A2, A3, A4 } from './types.js';
import { AT_FDCWD, Loc } from '../fs/vfs.js';
import { IN_ATTRIB } from '../abi/inotify.js';
import { Node, permission, MAY_READ, MAY_WRITE } from '../fs/node.js';
import { Stat, S_IFMT, S_IFREG, S_IFDIR } from '../fs/types.js';
import { S_ISVTX } from '../abi/stat.js';
import { fileOf } from './fd.js';
import { pathLoc, fdLoc } from './namei.js';
import { readCString, copyIn, copyOut } from './uaccess.js';
import { capable as hasCap } from '../kernel/creds.js';
import { CAP_SYS_ADMIN } from '../abi/capability.js';

/** The inode an xattr call works on: its node (null: a file in no filesystem with xattrs, a pipe or the console). */
interface Target {
  node: Node | null;
  st: Stat;
  readonly: boolean;
  /** where it is (for inotify's IN_ATTRIB), if it has a place */
  loc?: Loc;
}

/** import_xattr_name: 1..XATTR_NAME_MAX bytes, ERANGE otherwise. */
function xattrName(t: Task, addr: number): string {
  let name: string;
  try {
    name = readCString(t, addr, XATTR_NAME_MAX);
  } catch (e) {
    if (e instanceof ErrnoError && e.errno === Errno.ENAMETOOLONG) throw new ErrnoError(Errno.ERANGE);
    throw e;
  }
  if (name === '') throw new ErrnoError(Errno.ERANGE);
  return name;
}

/** The path (follow: getxattr-like; else the l* call) or fd (fd >= 0 with path 0) a call names. */
function target(t: Task, r: Regs, follow: boolean | 'fd'): Target | number {
  if (follow === 'fd') {
    const f = fileOf(t, r.getI32(A0));
    if (typeof f === 'number') return f;
    if (f.flags & O_PATH) return -Errno.EBADF; // fdget refuses O_PATH files
    const loc = fdLoc(t, r.getI32(A0));
    if (typeof loc === 'number') {
      const st = f.stat();
      return typeof st === 'number' ? st : { node: null, st, readonly: false };
    }
    const st = loc.node.stat();
    return typeof st === 'number' ? st : { node: loc.node, st, readonly: loc.mnt.readonly, loc };
  }
  const loc = pathLoc(t, AT_FDCWD, r.get(A0), follow);
  if (typeof loc === 'number') return loc;
  const st = loc.node.stat();
  return typeof st === 'number' ? st : { node: loc.node, st, readonly: loc.mnt.readonly, loc };
}

/** fsnotify_xattr after a change of tg's attributes: IN_ATTRIB; passes r through. */
function attribChanged(t: Task, tg: Target, r: number): number {
  if (r === 0 && tg.loc) t.kernel.vfs.notifyLoc(tg.loc, IN_ATTRIB);
  return r;
}

/** CAP_SYS_ADMIN (trusted.* attributes) */
function capable(t: Task): boolean {
  return hasCap(t.creds, CAP_SYS_ADMIN);
}

/** xattr_permission, then the capability module's checks for a write (cap_inode_setxattr/removexattr). */
function xattrPermission(t: Task, tg: Target, name: string, mask: number): number {
  if (name.startsWith(XATTR_SECURITY_PREFIX)) {
    // writing security.* takes CAP_SYS_ADMIN (security.capability: CAP_SETFCAP); reading is free
    return mask & MAY_WRITE && !capable(t) ? -Errno.EPERM : 0;
  }
  if (name.startsWith(XATTR_SYSTEM_PREFIX)) return 0;
  if (name.startsWith(XATTR_TRUSTED_PREFIX)) {
    if (!capable(t)) return mask & MAY_WRITE ? -Errno.EPERM : -Errno.ENODATA;
    return 0;
  }
  if (name.startsWith(XATTR_USER_PREFIX)) {
    const type = tg.st.mode & S_IFMT;
    if (type !== S_IFREG && type !== S_IFDIR) return mask & MAY_WRITE ? -Errno.EPERM : -Errno.ENODATA;
    if (type === S_IFDIR && tg.st.mode & S_ISVTX && mask & MAY_WRITE && t.creds.fsuid !== tg.st.uid && !capable(t)) {
      return -Errno.EPERM;
    }
  }
  return permission(tg.st, t.creds, mask);
}

/** The namespaces umlts filesystems keep (the handlers' prefixes); others say EOPNOTSUPP. */
function knownNamespace(name: string): boolean {
  return name.startsWith(XATTR_USER_PREFIX) || name.startsWith(XATTR_TRUSTED_PREFIX) || name.startsWith(XATTR_SECURITY_PREFIX);
}

function getxattr(follow: boolean | 'fd'): SyscallHandler {
  return (t: Task, r: Regs): number => {
    const name = xattrName(t, r.get(A1));
    const value = r.get(A2);
    const size = Math.min(r.get(A3), XATTR_SIZE_MAX);
    const tg = target(t, r, follow);
    if (typeof tg === 'number') return tg;
    const pe = xattrPermission(t, tg, name, MAY_READ);
    if (pe < 0) return pe;
    if (!tg.node || !knownNamespace(name)) return -Errno.EOPNOTSUPP;
    const v = tg.node.getxattr(name);
    if (typeof v === 'number') return v;
    if (size === 0) return v.length;
    if (v.length > size) return -Errno.ERANGE;
    copyOut(t, value, v);
    return v.length;
  };
}

function setxattr(follow: boolean | 'fd'): SyscallHandler {
  return (t: Task, r: Regs): number => {
    const flags = r.getI32(A4);
    if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) return -Errno.EINVAL;
    const name = xattrName(t, r.get(A1));
    const size = r.get(A3);
    if (size > XATTR_SIZE_MAX) return -Errno.E2BIG;
    const value = size > 0 ? copyIn(t, r.get(A2), size) : new Uint8Array(0);
    const tg = target(t, r, follow);
    if (typeof tg === 'number') return tg;
    if (tg.readonly) return -Errno.EROFS;
    const pe = xattrPermission(t, tg, name, MAY_WRITE);
    if (pe < 0) return pe;
    if (!tg.node || !knownNamespace(name)) return -Errno.EOPNOTSUPP;
    return attribChanged(t, tg, tg.node.setxattr(name, value, flags));
  };
}

function listxattr(follow: boolean | 'fd'): SyscallHandler {
  return (t: Task, r: Regs): number => {
    const list = r.get(A1);
    const size = Math.min(r.get(A2), XATTR_LIST_MAX);
    const tg = target(t, r, follow);
    if (typeof tg === 'number') return tg;
    const names = tg.node ? tg.node.listxattr() : [];
    if (typeof names === 'number') return names;
    // the trusted namespace is listed to CAP_SYS_ADMIN only (simple_xattr_list)
    const shown = capable(t) ? names : names.filter((n) => !n.startsWith(XATTR_TRUSTED_PREFIX));
    const bytes = Buffer.from(shown.map((n) => `${n}\0`).join(''), 'utf8');
    if (size === 0) return bytes.length;
    if (bytes.length > size) return size >= XATTR_LIST_MAX ? -Errno.E2BIG : -Errno.ERANGE;
    copyOut(t, list, bytes);
    return bytes.length;
  };
}

function removexattr(follow: boolean | 'fd'): SyscallHandler {
  return (t: Task, r: Regs): number => {
    const name = xattrName(t, r.get(A1));
    const tg = target(t, r, follow);
    if (typeof tg === 'number') return tg;
    if (tg.readonly) return -Errno.EROFS;
    const pe = xattrPermission(t, tg, name, MAY_WRITE);
    if (pe < 0) return pe;
    if (!tg.node || !knownNamespace(name)) return -Errno.EOPNOTSUPP;
    return attribChanged(t, tg, tg.node.removexattr(name));
  };
}

/** getxattr(2) */
export const sys_getxattr = getxattr(true);
/** lgetxattr(2) */
export const sys_lgetxattr = getxattr(false);
/** fgetxattr(2) */
export const sys_fgetxattr = getxattr('fd');
/** listxattr(2) */
export const sys_listxattr = listxattr(true);
/** llistxattr(2) */
export const sys_llistxattr = listxattr(false);
/** flistxattr(2) */
export const sys_flistxattr = listxattr('fd');
/** setxattr(2) */
export const sys_setxattr = setxattr(true);
/** lsetxattr(2) */
export const sys_lsetxattr = setxattr(false);
/** fsetxattr(2) */
export const sys_fsetxattr = setxattr('fd');
/** removexattr(2) */
export const sys_removexattr = removexattr(true);
/** lremovexattr(2) */
export const sys_lremovexattr = removexattr(false);
/** fremovexattr(2) */
export const sys_fremovexattr = removexattr('fd');
