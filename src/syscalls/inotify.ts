/**
 * inotify_init(2), inotify_init1(2), inotify_add_watch(2), inotify_rm_watch(2)
 * (fs/notify/inotify/inotify_user.c). The instance, its watches and where
 * events come from are fs/inotify.ts; here the arguments are checked in
 * Linux's order.
 */
import { Errno } from '../abi/errno.js';
import { ALL_INOTIFY_BITS, IN_CLOEXEC, IN_NONBLOCK, IN_DONT_FOLLOW, IN_ONLYDIR, IN_MASK_ADD, IN_MASK_CREATE } from '../abi/inotify.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2 } from './types.js';
import { InotifyFile } from '../fs/inotify.js';
import { permission, MAY_READ } from '../fs/node.js';
import { fileOf } from './fd.js';
import { readPath } from './uaccess.js';

/** do_inotify_init: an instance of the caller's (real) user, on a new fd. */
function init(t: Task, flags: number): number {
  if (flags & ~(IN_CLOEXEC | IN_NONBLOCK)) return -Errno.EINVAL;
  // (an fd first: EMFILE for a full table before the per-user count is touched)
  if (!t.files.hasRoom()) return -Errno.EMFILE;
  const f = t.kernel.vfs.fsnotify.newInstance(t.creds.uid, flags);
  if (typeof f === 'number') return f;
  return t.files.install(f, (flags & IN_CLOEXEC) !== 0);
}

/** inotify_init(2) */
export function sys_inotify_init(t: Task): number {
  return init(t, 0);
}

/** inotify_init1(2) */
export function sys_inotify_init1(t: Task, r: Regs): number {
  return init(t, r.getI32(A0));
}

/** The instance behind fd: EBADF for no file, EINVAL for a file that is not an inotify instance. */
function instanceOf(t: Task, fd: number): InotifyFile | number {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  return f instanceof InotifyFile ? f : -Errno.EINVAL;
}

/** inotify_add_watch(2) */
export function sys_inotify_add_watch(t: Task, r: Regs): number {
  const fd = r.getI32(A0), pathAddr = r.get(A1), mask = r.getU32(A2);
  // no bit outside ALL_INOTIFY_BITS, and at least one of them (flags alone make a watch of nothing, as Linux)
  if (mask & ~ALL_INOTIFY_BITS || !(mask & ALL_INOTIFY_BITS)) return -Errno.EINVAL;
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (mask & IN_MASK_ADD && mask & IN_MASK_CREATE) return -Errno.EINVAL;
  if (!(f instanceof InotifyFile)) return -Errno.EINVAL;
  // inotify_find_inode: the path (IN_DONT_FOLLOW: not its last symlink; IN_ONLYDIR: a directory), read permission
  const path = readPath(t, pathAddr);
  const vfs = t.kernel.vfs;
  const loc = vfs.resolve(t, null, path, !(mask & IN_DONT_FOLLOW));
  if (typeof loc === 'number') return loc;
  if (mask & IN_ONLYDIR && !loc.node.isDir) return -Errno.ENOTDIR;
  const pe = permission(loc.node.peek(), t.creds, MAY_READ);
  if (pe < 0) return pe;
  return vfs.fsnotify.addWatch(f, loc.node, mask);
}

/** inotify_rm_watch(2) */
export function sys_inotify_rm_watch(t: Task, r: Regs): number {
  const f = instanceOf(t, r.getI32(A0));
  if (typeof f === 'number') return f;
  return t.kernel.vfs.fsnotify.rmWatch(f, r.getI32(A1));
}
