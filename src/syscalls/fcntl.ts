/**
 * fcntl(2) (fs/fcntl.c): the fd flags, the status flags, dup, and the record
 * locks (decoded in lock.ts); a file's own commands (F_SETPIPE_SZ...) go to
 * the File.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2 } from './types.js';
import { O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME, O_PATH, S_IFMT, S_IFDIR } from '../fs/types.js';
import type { File } from '../fs/file.js';
import { DN_MULTISHOT } from '../fs/dnotify.js';
import { fcntlLock, F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW } from './lock.js';
import { memfdFcntl, F_ADD_SEALS, F_GET_SEALS } from './memfd.js';

const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030;
const FD_CLOEXEC = 1;
/** flags F_SETFL may change (SETFL_MASK) */
const SETFL_MASK = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

const F_NOTIFY = 1026, SIGIO = 29, SI_KERNEL = 0x80;

/**
 * F_NOTIFY (fcntl_dirnotify): no events (DN_MULTISHOT alone) removes this
 * process's registration on the file; events need a directory (ENOTDIR).
 * The process gets SIGIO when one happens (fs/dnotify.ts says which are
 * reported).
 */
function dirNotify(t: Task, f: File, arg: number): number {
  const st = f.stat();
  const mask = arg >>> 0;
  const tg = t.tg, k = t.kernel;
  if (!(mask & ~DN_MULTISHOT)) {
    if (typeof st !== 'number') k.vfs.dnotify.set(st, f, tg, 0, () => {});
    return 0;
  }
  if (typeof st === 'number' || (st.mode & S_IFMT) !== S_IFDIR) return -Errno.ENOTDIR;
  k.vfs.dnotify.set(st, f, tg, mask, () => {
    if (tg.exitStatus === null) k.signalProcess(tg, SIGIO, { signo: SIGIO, code: SI_KERNEL });
  });
  return 0;
}

/** fcntl(2): the fd and status-flag commands, record locks, memfd seals; owners and leases are not offered (EINVAL). */
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
    case F_ADD_SEALS:
    case F_GET_SEALS:
      return memfdFcntl(f, cmd, arg);
    case F_NOTIFY:
      return dirNotify(t, f, arg);
    default:
      return f.fcntl(cmd, r.getBig(A2), t.creds); // the file's own (F_SETPIPE_SZ...), else EINVAL
  }
}
