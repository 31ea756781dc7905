/**
 * pidfds (kernel/pid.c pidfd_create, kernel/fork.c pidfd_poll): a file that
 * names a process. It polls readable once the process has exited, so an
 * event loop can wait for a child among its other fds (asyncio's
 * PidfdChildWatcher), and pidfd_send_signal / waitid(P_PIDFD) act on the
 * process it names, never on a later one that reuses the pid.
 *
 * A directory fd of /proc/<pid> names its process too (pidfd_send_signal
 * accepts one, as Linux does).
 */
import { Errno } from '../abi/errno.js';
import { AnonInodeFile } from '../fs/eventfd.js';
import type { File } from '../fs/file.js';
import type { Stat } from '../abi/stat.js';
import { WaitQueue, POLLIN, POLLRDNORM, POLLHUP } from '../fs/waitqueue.js';
import type { ThreadGroup } from './task.js';
import type { Kernel } from './kernel.js';

export class PidFd extends AnonInodeFile {
  constructor(
    /** the process; immutable reference (the ThreadGroup outlives its reaping while we hold it) */
    readonly tg: ThreadGroup,
    flags: number,
  ) {
    super(flags, 'anon_inode:[pidfd]');
  }
  override get waitq(): WaitQueue {
    return this.tg.exitWait;
  }
  /** a pidfs file (Linux 6.9+), not an anonymous inode's: no llseek, yet FMODE_PREAD (pread: EINVAL, no read) */
  override seek(): number {
    return -Errno.ESPIPE;
  }
  override get canPread(): boolean {
    return true;
  }
  /** pidfs_init_inode: S_IRWXU, still no file type (and its setattr refuses all, as anon_inode's) */
  override stat(): Stat {
    return { ...super.stat(), mode: 0o700 };
  }
  /** pidfd_show_fdinfo: the pid, -1 once reaped */
  override fdinfo(): string {
    const pid = this.tg.reaped ? -1 : this.tg.tgid;
    return `Pid:\t${pid}\nNSpid:\t${pid}\n`;
  }
  /** pidfd_poll: readable once every thread has exited */
  override poll(): number {
    // pidfd_poll: readable once the process exited; hung up too once it is reaped
    if (!this.tg.zombie) return 0;
    return this.tg.reaped ? POLLIN | POLLRDNORM | POLLHUP : POLLIN | POLLRDNORM;
  }
}

/** The process a pidfd (or a /proc/<pid> directory fd) names; null if f names none. */
export function pidfdProcess(k: Kernel, f: File): ThreadGroup | null {
  if (f instanceof PidFd) return f.tg;
  const loc = k.vfs.locOf(f);
  const m = loc && loc.mnt.fs.type === 'proc' ? /^\/proc\/([1-9][0-9]*)$/.exec(loc.path) : null;
  return m ? k.tgs.get(Number(m[1])) ?? null : null;
}
