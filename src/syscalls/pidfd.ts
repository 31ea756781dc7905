/**
 * pidfd_open(2), pidfd_getfd(2), pidfd_send_signal(2) (kernel/pid.c,
 * kernel/signal.c): file descriptors that name processes (kernel/pidfd.ts).
 */
import { Errno } from '../abi/errno.js';
import { O_NONBLOCK, O_RDWR } from '../fs/types.js';
import type { Task, ThreadGroup } from '../kernel/task.js';
import { PidFd, pidfdProcess } from '../kernel/pidfd.js';
import { ptraceMayAccess, PTRACE_MODE_ATTACH_REALCREDS } from '../kernel/creds.js';
import { SI_USER, NSIG, SigInfo } from '../abi/signal.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3 } from './types.js';
import { fileOf } from './fd.js';
import { mayKill, afterSelf, readUserInfo, forgesKernelInfo, sigpendingFull } from './signal.js';

/** PIDFD_NONBLOCK is O_NONBLOCK */
const PIDFD_NONBLOCK = O_NONBLOCK;

/** pidfd_open(2): a pidfd for process pid (a thread-group leader), close-on-exec. */
export function sys_pidfd_open(t: Task, r: Regs): number {
  const pid = r.getI32(A0), flags = r.getU32(A1);
  if (flags & ~PIDFD_NONBLOCK || pid <= 0) return -Errno.EINVAL;
  const tg = t.kernel.tgs.get(pid);
  if (!tg) return t.kernel.tasks.has(pid) ? -Errno.EINVAL : -Errno.ESRCH; // a thread's id is not a process
  return t.files.install(new PidFd(tg, O_RDWR | (flags & PIDFD_NONBLOCK)), true);
}

/** The process behind fd, for the pidfd calls: EBADF for anything else. */
export function processOf(t: Task, fd: number): ThreadGroup | number {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  return pidfdProcess(t.kernel, f) ?? -Errno.EBADF;
}

/** pidfd_getfd(2): a duplicate of another process's fd, as ptrace would allow (ptrace_may_access, PTRACE_MODE_ATTACH_REALCREDS). */
export function sys_pidfd_getfd(t: Task, r: Regs): number {
  const tg = processOf(t, r.getI32(A0));
  if (typeof tg === 'number') return tg;
  const targetfd = r.getI32(A1), flags = r.getU32(A2);
  if (flags !== 0) return -Errno.EINVAL;
  const leader = tg.tasks[0];
  if (tg.zombie || !leader) return -Errno.ESRCH;
  if (!ptraceMayAccess(t, leader, PTRACE_MODE_ATTACH_REALCREDS)) return -Errno.EPERM;
  const f = leader.files.get(targetfd);
  if (!f) return -Errno.EBADF;
  return t.files.install(f.get(), true);
}

/** pidfd_send_signal(2): kill(2) through a pidfd; info as rt_sigqueueinfo's (or NULL: SI_USER). */
export function sys_pidfd_send_signal(t: Task, r: Regs): number {
  const sig = r.getI32(A1), infop = r.get(A2), flags = r.getU32(A3);
  // the flags before the fd (PIDFD_SIGNAL_THREAD, _THREAD_GROUP, _PROCESS_GROUP are not offered)
  if (flags !== 0) return -Errno.EINVAL;
  const tg = processOf(t, r.getI32(A0));
  if (typeof tg === 'number') return tg;
  if (sig < 0 || sig > NSIG) return -Errno.EINVAL;
  const k = t.kernel;
  if (k.tgs.get(tg.tgid) !== tg) return -Errno.ESRCH; // reaped
  let info: SigInfo = { signo: sig, code: SI_USER, pid: t.tg.tgid, uid: t.creds.uid };
  if (infop !== 0) {
    info = readUserInfo(t, infop);
    // the siginfo must name the signal sent; only to itself may a caller queue what the kernel would make
    if (info.signo !== sig) return -Errno.EINVAL;
    if (forgesKernelInfo(info) && tg !== t.tg) return -Errno.EPERM;
  }
  if (!mayKill(t, tg, sig)) return -Errno.EPERM;
  if (tg.zombie) return 0; // a zombie exists, and ignores signals
  if (!sig) return 0;
  if (sigpendingFull(t, tg, sig, info)) return -Errno.EAGAIN;
  k.signalProcess(tg, sig, info);
  return afterSelf(t);
}
