/**
 * seccomp(2), prctl's PR_SET_SECCOMP/PR_GET_SECCOMP, and the ioctls of a
 * filter's listener fd (kernel/seccomp.c do_seccomp, seccomp_notify_ioctl).
 * The filters themselves run in kernel/seccomp.ts; the waiting calls'
 * state is kernel/seccomp_notify.ts's.
 */
import { Errno } from '../abi/errno.js';
import {
  SECCOMP_MODE_DISABLED, SECCOMP_MODE_STRICT, SECCOMP_MODE_FILTER, SECCOMP_SET_MODE_STRICT, SECCOMP_SET_MODE_FILTER,
  SECCOMP_GET_ACTION_AVAIL, SECCOMP_GET_NOTIF_SIZES, SECCOMP_FILTER_FLAG_MASK, SECCOMP_FILTER_FLAG_TSYNC,
  SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP,
  SECCOMP_RET_ERRNO, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW,
  SOCK_FPROG_SIZE, FPROG_LEN, FPROG_FILTER, SOCK_FILTER_SIZE, BPF_MAXINSNS, MAX_INSNS_PER_PATH,
  SECCOMP_DATA_SIZE, SECCOMP_NOTIF_SIZE, NOTIF_ID, NOTIF_PID, NOTIF_DATA, SECCOMP_NOTIF_RESP_SIZE, RESP_ID, RESP_VAL,
  RESP_ERROR, RESP_FLAGS, SECCOMP_NOTIF_SIZES_SIZE, SECCOMP_NOTIFY_ADDFD_SIZE_VER0, ADDFD_ID, ADDFD_FLAGS,
  ADDFD_SRCFD, ADDFD_NEWFD, ADDFD_NEWFD_FLAGS, SECCOMP_USER_NOTIF_FLAG_CONTINUE, SECCOMP_ADDFD_FLAG_SETFD,
  SECCOMP_ADDFD_FLAG_SEND, SECCOMP_IOCTL_NOTIF_RECV, SECCOMP_IOCTL_NOTIF_SEND, SECCOMP_IOCTL_NOTIF_ID_VALID,
  SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR, SECCOMP_IOCTL_NOTIF_ADDFD, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
  SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP,
} from '../abi/seccomp.js';
import { O_CLOEXEC, O_PATH } from '../fs/types.js';
import { SeccompFilter, prepareProg, pathInsnsAfter, isAncestor, getFilter, releaseFilter } from '../kernel/seccomp.js';
import { SeccompListener, NOTIFY_SENT } from '../kernel/seccomp_notify.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2 } from './types.js';
import { copyIn, readStruct, readU32, writeStruct, copyStructFromUser, UserPtr } from './uaccess.js';
import { capable } from '../kernel/creds.js';
import { CAP_SYS_ADMIN } from '../abi/capability.js';

/** seccomp_set_mode_strict: only read, write, exit and rt_sigreturn from now on. */
function setModeStrict(t: Task): number {
  // seccomp_may_assign_mode: a mode once set changes only to itself
  if (t.seccompMode !== SECCOMP_MODE_DISABLED && t.seccompMode !== SECCOMP_MODE_STRICT) return -Errno.EINVAL;
  t.seccompMode = SECCOMP_MODE_STRICT;
  return 0;
}

/** The other live threads of t's process (TSYNC's for_each_thread). */
function otherThreads(t: Task): Task[] {
  return t.tg.tasks.filter((x) => x !== t && x.state !== 'zombie' && x.state !== 'dead');
}

/**
 * seccomp_set_mode_filter: check the program (seccomp_prepare_filter: EINVAL,
 * EACCES without no_new_privs or CAP_SYS_ADMIN, EFAULT), then attach it over
 * the task's chain, to every thread with TSYNC; with NEW_LISTENER the
 * result is the listener's fd (close-on-exec).
 */
function setModeFilter(t: Task, flags: number, uargs: UserPtr): number {
  if (flags & ~SECCOMP_FILTER_FLAG_MASK) return -Errno.EINVAL;
  // TSYNC's failure is a thread id, NEW_LISTENER's success an fd: together only if TSYNC fails with ESRCH
  if (flags & SECCOMP_FILTER_FLAG_TSYNC && flags & SECCOMP_FILTER_FLAG_NEW_LISTENER && !(flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH)) {
    return -Errno.EINVAL;
  }
  if (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) return -Errno.EINVAL;
  const fprog = readStruct(t, uargs, SOCK_FPROG_SIZE);
  const len = fprog.getUint16(FPROG_LEN, true), insns = Number(fprog.getBigUint64(FPROG_FILTER, true));
  if (len === 0 || len > BPF_MAXINSNS) return -Errno.EINVAL;
  if (!t.noNewPrivs && !capable(t.creds, CAP_SYS_ADMIN)) return -Errno.EACCES;
  if (insns === 0) return -Errno.EINVAL;
  const prog = prepareProg(copyIn(t, insns, len * SOCK_FILTER_SIZE), len);
  if (typeof prog === 'number') return prog;
  const listen = (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) !== 0;
  if (listen && !t.files.hasRoom()) return -Errno.EMFILE;
  if (t.seccompMode !== SECCOMP_MODE_DISABLED && t.seccompMode !== SECCOMP_MODE_FILTER) return -Errno.EINVAL;
  // has_duplicate_listener: one listener per chain
  if (listen) for (let f = t.seccompFilter; f; f = f.prev) if (f.listener) return -Errno.EBUSY;
  // seccomp_attach_filter
  if (pathInsnsAfter(t.seccompFilter, prog) > MAX_INSNS_PER_PATH) return -Errno.ENOMEM;
  const sync = (flags & SECCOMP_FILTER_FLAG_TSYNC) !== 0;
  const threads = sync ? otherThreads(t) : [];
  for (const x of threads) {
    // seccomp_can_sync_threads: each is unfiltered, or on an ancestor of our chain
    if (x.seccompMode === SECCOMP_MODE_DISABLED) continue;
    if (x.seccompMode === SECCOMP_MODE_FILTER && isAncestor(x.seccompFilter, t.seccompFilter)) continue;
    return flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH ? -Errno.ESRCH : x.tid;
  }
  // (our reference to the old head passes to the new filter's prev)
  const f = new SeccompFilter(prog, t.seccompFilter, (flags & SECCOMP_FILTER_FLAG_LOG) !== 0);
  t.seccompFilter = f;
  for (const x of threads) {
    // seccomp_sync_threads: the same chain, and no_new_privs with it
    getFilter(f);
    releaseFilter(x.seccompFilter);
    x.seccompFilter = f;
    if (t.noNewPrivs) x.noNewPrivs = true;
    x.seccompMode = SECCOMP_MODE_FILTER;
  }
  t.seccompMode = SECCOMP_MODE_FILTER;
  if (!listen) return 0;
  const l = new SeccompListener(f, (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) !== 0);
  f.listener = l;
  return t.files.install(l, true);
}

/** seccomp_get_action_avail */
function actionAvail(t: Task, uaction: UserPtr): number {
  switch (readU32(t, uaction)) {
    case SECCOMP_RET_KILL_PROCESS: case SECCOMP_RET_KILL_THREAD: case SECCOMP_RET_TRAP: case SECCOMP_RET_ERRNO:
    case SECCOMP_RET_USER_NOTIF: case SECCOMP_RET_TRACE: case SECCOMP_RET_LOG: case SECCOMP_RET_ALLOW:
      return 0;
    default:
      return -Errno.EOPNOTSUPP;
  }
}

/** do_seccomp: the common entry of seccomp(2) and prctl. */
function doSeccomp(t: Task, op: number, flags: number, uargs: UserPtr): number {
  switch (op) {
    case SECCOMP_SET_MODE_STRICT:
      if (flags !== 0 || uargs !== 0) return -Errno.EINVAL;
      return setModeStrict(t);
    case SECCOMP_SET_MODE_FILTER:
      return setModeFilter(t, flags, uargs);
    case SECCOMP_GET_ACTION_AVAIL:
      if (flags !== 0) return -Errno.EINVAL;
      return actionAvail(t, uargs);
    case SECCOMP_GET_NOTIF_SIZES:
      if (flags !== 0) return -Errno.EINVAL;
      writeStruct(t, uargs, SECCOMP_NOTIF_SIZES_SIZE, (dv) => {
        dv.setUint16(0, SECCOMP_NOTIF_SIZE, true);
        dv.setUint16(2, SECCOMP_NOTIF_RESP_SIZE, true);
        dv.setUint16(4, SECCOMP_DATA_SIZE, true);
      });
      return 0;
    default:
      return -Errno.EINVAL;
  }
}

/** seccomp(2): op, flags, args */
export function sys_seccomp(t: Task, r: Regs): number {
  return doSeccomp(t, r.getU32(A0), r.getU32(A1), r.get(A2));
}

/** prctl(PR_SET_SECCOMP, mode, filter): strict ignores its argument; no flags. */
export function prctlSetSeccomp(t: Task, mode: number, filter: UserPtr): number {
  if (mode === SECCOMP_MODE_STRICT) return doSeccomp(t, SECCOMP_SET_MODE_STRICT, 0, 0);
  if (mode === SECCOMP_MODE_FILTER) return doSeccomp(t, SECCOMP_SET_MODE_FILTER, 0, filter);
  return -Errno.EINVAL;
}

// ---- the listener's ioctls ----------------------------------------------------------------------

/** EA_IOCTL: an extensible-argument ioctl's number without its direction and size */
const eaIoctl = (req: number): number => req & ~((3 << 30) | (0x3fff << 16));

/** seccomp_notify_recv: the oldest call not yet received; waits for one. The struct must come zeroed. */
function notifyRecv(t: Task, l: SeccompListener, buf: UserPtr): number {
  const mine = copyIn(t, buf, SECCOMP_NOTIF_SIZE);
  if (mine.some((b) => b !== 0)) return -Errno.EINVAL;
  const n = l.firstUnreceived();
  if (!n) {
    // down_interruptible: a signal ends the wait with EINTR, never a restart
    t.sc.cleanup = () => -Errno.EINTR;
    return t.sleepOn(l.waitq);
  }
  l.setReceived(n, true);
  try {
    writeStruct(t, buf, SECCOMP_NOTIF_SIZE, (dv) => {
      dv.setBigUint64(NOTIF_ID, n.id, true);
      dv.setUint32(NOTIF_PID, n.task.tid, true);
      new Uint8Array(dv.buffer, dv.byteOffset + NOTIF_DATA, SECCOMP_DATA_SIZE).set(n.data);
    });
  } catch (e) {
    // the supervisor's buffer failed: the call waits to be received again
    if (l.find(n.id) === n) l.setReceived(n, false);
    throw e;
  }
  return 0;
}

/** seccomp_notify_send: the one answer to a received call. */
function notifySend(t: Task, l: SeccompListener, buf: UserPtr): number {
  const dv = readStruct(t, buf, SECCOMP_NOTIF_RESP_SIZE);
  const id = dv.getBigUint64(RESP_ID, true), val = dv.getBigInt64(RESP_VAL, true);
  const error = dv.getInt32(RESP_ERROR, true), flags = dv.getUint32(RESP_FLAGS, true);
  if (flags & ~SECCOMP_USER_NOTIF_FLAG_CONTINUE) return -Errno.EINVAL;
  if (flags & SECCOMP_USER_NOTIF_FLAG_CONTINUE && (error !== 0 || val !== 0n)) return -Errno.EINVAL;
  const n = l.find(id);
  if (!n) return -Errno.ENOENT;
  if (n.state !== NOTIFY_SENT) return -Errno.EINPROGRESS;
  l.reply(n, error, val, flags);
  return 0;
}

/** seccomp_notify_addfd: a file of the supervisor's into the waiting task's fd table (see seccomp_notify.ts). */
function notifyAddfd(t: Task, l: SeccompListener, buf: UserPtr, size: number): number {
  if (size < SECCOMP_NOTIFY_ADDFD_SIZE_VER0 || size >= 4096) return -Errno.EINVAL;
  const b = copyStructFromUser(t, buf, size, SECCOMP_NOTIFY_ADDFD_SIZE_VER0);
  if (typeof b === 'number') return b;
  const dv = new DataView(b.buffer);
  const id = dv.getBigUint64(ADDFD_ID, true), flags = dv.getUint32(ADDFD_FLAGS, true);
  const srcfd = dv.getUint32(ADDFD_SRCFD, true), newfd = dv.getUint32(ADDFD_NEWFD, true);
  const newfdFlags = dv.getUint32(ADDFD_NEWFD_FLAGS, true);
  if (newfdFlags & ~O_CLOEXEC) return -Errno.EINVAL;
  if (flags & ~(SECCOMP_ADDFD_FLAG_SETFD | SECCOMP_ADDFD_FLAG_SEND)) return -Errno.EINVAL;
  if (newfd !== 0 && !(flags & SECCOMP_ADDFD_FLAG_SETFD)) return -Errno.EINVAL;
  const file = t.files.get(srcfd | 0);
  if (!file || file.flags & O_PATH) return -Errno.EBADF;
  const n = l.find(id);
  if (!n) return -Errno.ENOENT;
  if (n.state !== NOTIFY_SENT) return -Errno.EINPROGRESS;
  const cloexec = (newfdFlags & O_CLOEXEC) !== 0, files = n.task.files;
  let fd: number;
  if (flags & SECCOMP_ADDFD_FLAG_SETFD) {
    // replace_fd: past RLIMIT_NOFILE is EBADF
    fd = newfd >= files.limit ? -Errno.EBADF : files.installAt(newfd, file.get(), cloexec);
  } else {
    fd = files.install(file.get(), cloexec);
  }
  // SEND: the fd is the call's answer too (a failed install leaves the call received, unanswered)
  if (flags & SECCOMP_ADDFD_FLAG_SEND && fd >= 0) l.reply(n, 0, BigInt(fd), 0);
  return fd;
}

/** seccomp_notify_ioctl */
export function seccompNotifyIoctl(t: Task, l: SeccompListener, req: number, arg: UserPtr): number {
  switch (req) {
    case SECCOMP_IOCTL_NOTIF_RECV:
      return notifyRecv(t, l, arg);
    case SECCOMP_IOCTL_NOTIF_SEND:
      return notifySend(t, l, arg);
    case SECCOMP_IOCTL_NOTIF_ID_VALID:
    case SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR: {
      const n = l.find(readStruct(t, arg, 8).getBigUint64(0, true));
      return n && n.state === NOTIFY_SENT ? 0 : -Errno.ENOENT;
    }
    case SECCOMP_IOCTL_NOTIF_SET_FLAGS:
      // the flags are the argument itself
      if (arg & ~SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP || arg > 0xffffffff) return -Errno.EINVAL;
      l.syncWakeUp = arg !== 0;
      return 0;
  }
  if (eaIoctl(req) === eaIoctl(SECCOMP_IOCTL_NOTIF_ADDFD)) return notifyAddfd(t, l, arg, (req >>> 16) & 0x3fff);
  return -Errno.EINVAL;
}

export { SeccompListener };
