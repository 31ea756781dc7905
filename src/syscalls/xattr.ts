/**
 * Extended attributes (fs/xattr.c). umlts filesystems keep none: a get
 * finds none (ENODATA), a list is empty, a set is not supported
 * (EOPNOTSUPP), a remove finds none (ENODATA) — what Linux says for a
 * filesystem mounted without xattr support. The path (or fd) must still
 * resolve, so its errors come first.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import type { SyscallHandler } from './types.js';
import { A0 } from './types.js';
import { AT_FDCWD } from '../fs/vfs.js';
import { fileOf } from './fd.js';
import { pathLoc } from './namei.js';

/** A path call (follow: the stat-like one, else the l* one) that answers `answer` once the path resolves. */
function onPath(follow: boolean, answer: number): SyscallHandler {
  return (t: Task, r: Regs): number => {
    const loc = pathLoc(t, AT_FDCWD, r.get(A0), follow);
    return typeof loc === 'number' ? loc : answer;
  };
}

/** An fd call that answers `answer` once the fd is open. */
function onFd(answer: number): SyscallHandler {
  return (t: Task, r: Regs): number => {
    const f = fileOf(t, r.getI32(A0));
    return typeof f === 'number' ? f : answer;
  };
}

/** getxattr(2) */
export const sys_getxattr = onPath(true, -Errno.ENODATA);
/** lgetxattr(2) */
export const sys_lgetxattr = onPath(false, -Errno.ENODATA);
/** fgetxattr(2) */
export const sys_fgetxattr = onFd(-Errno.ENODATA);
/** listxattr(2) */
export const sys_listxattr = onPath(true, 0);
/** llistxattr(2) */
export const sys_llistxattr = onPath(false, 0);
/** flistxattr(2) */
export const sys_flistxattr = onFd(0);
/** setxattr(2) */
export const sys_setxattr = onPath(true, -Errno.EOPNOTSUPP);
/** lsetxattr(2) */
export const sys_lsetxattr = onPath(false, -Errno.EOPNOTSUPP);
/** fsetxattr(2) */
export const sys_fsetxattr = onFd(-Errno.EOPNOTSUPP);
/** removexattr(2) */
export const sys_removexattr = onPath(true, -Errno.ENODATA);
/** lremovexattr(2) */
export const sys_lremovexattr = onPath(false, -Errno.ENODATA);
/** fremovexattr(2) */
export const sys_fremovexattr = onFd(-Errno.ENODATA);
