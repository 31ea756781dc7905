/**
 * fcntl(2) (fs/fcntl.c): the fd flags, the status flags, dup, and the record
 * locks (decoded in lock.ts); a file's own commands (F_SETPIPE_SZ...) go to
 * the File.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2 } from './types.js';
import { O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME, O_PATH } from '../fs/types.js';
import { fcntlLock, F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW } from './lock.js';
import { memfdFcntl, F_ADD_SEALS, F_GET_SEALS } from './memfd.js';

const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030;
const FD_CLOEXEC = 1;
/** flags F_SETFL may change (SETFL_MASK) */
const SETFL_MASK = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

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
    default:
      return f.fcntl(cmd, r.getBig(A2), t.creds); // the file's own (F_SETPIPE_SZ...), else EINVAL
  }
}
