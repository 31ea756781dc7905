/**
 * Reading directories (fs/readdir.c): getdents64, and getdents (the old
 * struct linux_dirent, which older static binaries still read). The entries
 * come from File.readdir(); fs/node.ts encodes them.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2 } from './types.js';
import { encodeDirents } from '../fs/node.js';
import { fileOf } from './fd.js';
import { scratch, CHUNK } from './read_write.js';
import { copyOut } from './uaccess.js';
import { IN_ACCESS } from '../abi/inotify.js';

/** getdents64(2): File.pos is the index of the next entry. */
export function sys_getdents64(t: Task, r: Regs): number {
  return getdents(t, r, false);
}

/** getdents(2) */
export function sys_getdents(t: Task, r: Regs): number {
  return getdents(t, r, true);
}

function getdents(t: Task, r: Regs, old: boolean): number {
  const fd = r.getI32(A0), dirp = r.get(A1), count = r.getU32(A2);
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  const entries = f.readdir();
  if (typeof entries === 'number') return entries;
  // iterate_dir's fsnotify_access, for every listing, even one at its end
  t.kernel.vfs.notifyFile(f, IN_ACCESS);
  if (f.pos >= entries.length) return 0;
  // (the callback's count is an int: past INT_MAX no entry fits, filldir's EINVAL)
  if (count > 0x7fffffff) return -Errno.EINVAL;
  const { bytes, next } = encodeDirents(entries, f.pos, scratch.subarray(0, Math.min(count, CHUNK)), old);
  if (bytes === 0) return -Errno.EINVAL;
  copyOut(t, dirp, scratch, 0, bytes);
  f.pos = next;
  return bytes;
}
