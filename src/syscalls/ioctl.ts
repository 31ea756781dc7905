/**
 * ioctl(2) (fs/ioctl.c): the generic fd requests here (do_vfs_ioctl), the
 * rest to the File (the console's terminal ioctls, a pipe's FIONREAD).
 */
import { SeccompListener, seccompNotifyIoctl } from './seccomp.js';
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2 } from './types.js';
import { S_IFMT, S_IFREG, O_NONBLOCK, O_PATH, O_ASYNC } from '../fs/types.js';
import type { File } from '../fs/file.js';
import { readU32, writeU32 } from './uaccess.js';
import { PtyFile } from '../fs/tty/pty.js';
import { O_CLOEXEC } from '../fs/types.js';
import { fileFlags } from '../fs/vfs.js';
import { FIONREAD, FIONBIO, FIONCLEX, FIOCLEX, FIOASYNC } from '../abi/termios.js';
import { FIOSETOWN, SIOCSPGRP, FIOGETOWN, SIOCGPGRP } from '../abi/socket.js';
import { Socket } from '../net/socket.js';
import { fSetown, fGetown, setAsync } from './fcntl.js';
import { TIOCGPTPEER } from '../fs/tty/tty.js';
import { EpollFile } from '../fs/epoll.js';
import { epollIoctl } from './epoll.js';


/** ioctl(2): the generic fd requests here, the rest to the File. */
export function sys_ioctl(t: Task, r: Regs): number {
  const fd = r.getI32(A0), req = r.getU32(A1), arg = r.get(A2);
  const e = t.files.entry(fd);
  if (!e) return -Errno.EBADF;
  const f = e.file;
  if (f.flags & O_PATH) return -Errno.EBADF;
  switch (req) {
    case FIOCLEX:
      e.cloexec = true;
      return 0;
    case FIONCLEX:
      e.cloexec = false;
      return 0;
    case FIONBIO:
      if (readU32(t, arg) !== 0) f.flags |= O_NONBLOCK;
      else f.flags &= ~O_NONBLOCK;
      return 0;
    case FIONREAD: {
      // regular files answer i_size - f_pos (fs/ioctl.c file_ioctl)
      const st = f.stat();
      if (typeof st !== 'number' && (st.mode & S_IFMT) === S_IFREG) {
        writeU32(t, arg, Math.max(0, Math.min(st.size - f.pos, 0x7fffffff)));
        return 0;
      }
      return f instanceof EpollFile ? epollIoctl(t, f, req, arg) : f.ioctl(req, arg, t.mm);
    }
    case TIOCGPTPEER:
      return ptyPeer(t, f, Number(arg));
    case FIOASYNC: {
      // ioctl_fioasync: O_ASYNC as F_SETFL sets it, but a change a file with no fasync cannot make is ENOTTY
      const on = readU32(t, arg) !== 0;
      if (setAsync(f, fd, on)) return 0;
      return ((f.flags & O_ASYNC) !== 0) !== on ? -Errno.ENOTTY : 0;
    }
    case FIOSETOWN:
    case SIOCSPGRP:
      // (sock_ioctl's: F_SETOWN's and F_GETOWN's ioctl forms, for sockets only)
      if (!(f instanceof Socket)) return f.ioctl(req, arg, t.mm);
      return fSetown(t, f, readU32(t, arg) | 0);
    case FIOGETOWN:
    case SIOCGPGRP:
      if (!(f instanceof Socket)) return f.ioctl(req, arg, t.mm);
      writeU32(t, arg, fGetown(f) >>> 0);
      return 0;
    default:
      if (f instanceof SeccompListener) return seccompNotifyIoctl(t, f, req, arg);
      if (f instanceof EpollFile) return epollIoctl(t, f, req, arg);
      return f.ioctl(req, arg, t.mm);
  }
}

/** TIOCGPTPEER (tty_io.c ptm_open_peer): a new fd on the slave of a pty master; it needs the fd table, so it is here. */
function ptyPeer(t: Task, f: File, flags: number): number {
  if (!(f instanceof PtyFile)) return -Errno.ENOTTY;
  const s = t.kernel.vfs.devpts.openPeer(f, flags);
  if (typeof s === 'number') return s;
  s.flags = fileFlags(flags);
  return t.files.install(s, (flags & O_CLOEXEC) !== 0);
}
