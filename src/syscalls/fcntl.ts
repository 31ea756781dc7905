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
import { readStruct, writeStruct } from './uaccess.js';
import { F_SETOWN, F_GETOWN, F_SETSIG, F_GETSIG, F_SETOWN_EX, F_GETOWN_EX, F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP } from '../abi/fcntl.js';
import { SI_KERNEL, POLL_IN, POLL_BANDS } from '../abi/signal.js';

const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030;
const FD_CLOEXEC = 1;
/** flags F_SETFL may change (SETFL_MASK) */
const SETFL_MASK = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

const F_NOTIFY = 1026, SIGIO = 29;

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

/**
 * f_setown_ex: the owner f's SIGURG (and SIGIO) go to, by type and id (0:
 * nobody); ESRCH when no task, process or group has the id. The setter's
 * credentials go with it (sigio_perm: a target it could not signal is
 * passed by).
 */
export function setOwner(t: Task, f: File, type: number, id: number): number {
  const k = t.kernel;
  // (nobody, but of that type: F_GETOWN_EX says it)
  if (id === 0) {
    f.owner = { type, id: 0, send: () => {} };
    return 0;
  }
  if (!k.taskByPid(id) && !pgrpExists(t, id)) return -Errno.ESRCH;
  const uid = t.creds.uid, euid = t.creds.euid;
  const may = (x: Task): boolean => euid === 0 || euid === x.creds.suid || euid === x.creds.uid || uid === x.creds.suid || uid === x.creds.uid;
  const send = (sig: number, poll?: { code: number; band: number; fd: number }): void => {
    const info = poll ? { signo: sig, code: poll.code, band: poll.band, fd: poll.fd } : { signo: sig, code: SI_KERNEL };
    if (type === F_OWNER_TID) {
      const x = k.taskByPid(id);
      if (x && x.state !== 'zombie' && x.state !== 'dead' && may(x)) k.signalTask(x, sig, info);
      return;
    }
    const to = (tg: Task['tg']): void => {
      const lead = tg.tasks[0];
      if (lead && !tg.zombie && may(lead)) k.signalProcess(tg, sig, info);
    };
    if (type === F_OWNER_PID) {
      const tg = k.tgs.get(id);
      if (tg) to(tg);
      return;
    }
    for (const tg of k.tgs.values()) if (tg.pgid === id) to(tg);
  };
  f.owner = { type, id, send };
  return 0;
}
/** f_setown: who (an int) is a process, or for a negative one a process group; INT_MIN has no positive (EINVAL). */
export function fSetown(t: Task, f: File, who: number): number {
  if (who === -0x80000000) return -Errno.EINVAL;
  return setOwner(t, f, who < 0 ? F_OWNER_PGRP : F_OWNER_PID, Math.abs(who));
}
/** f_getown: the owner's id, negative for a process group (0: none). */
export function fGetown(f: File): number {
  const o = f.owner;
  return !o ? 0 : o.type === F_OWNER_PGRP ? -o.id : o.id;
}
/**
 * Set or clear O_ASYNC (F_SETFL, FIOASYNC): a file with an fasync arms or
 * disarms it; false for one without (F_SETFL then drops the flag, FIOASYNC
 * says ENOTTY).
 */
export function setAsync(f: File, fd: number, on: boolean): boolean {
  if (!f.fasyncCapable) return false;
  if (((f.flags & O_ASYNC) !== 0) !== on) setFasync(f, fd, on);
  f.flags = on ? f.flags | O_ASYNC : f.flags & ~O_ASYNC;
  return true;
}
/** Is id some process's group (find_vpid finds a pgid's pid)? */
function pgrpExists(t: Task, id: number): boolean {
  for (const tg of t.kernel.tgs.values()) if (tg.pgid === id || tg.sid === id) return true;
  return false;
}
/** f_getown_ex's record: the owner's type and id (0 once it is gone); a file never given one says 0 0 (f_owner
 * not allocated) */
function ownerRecord(t: Task, f: File): [number, number] {
  const o = f.owner;
  if (!o) return [F_OWNER_TID, 0];
  if (o.id === 0) return [o.type, 0];
  const k = t.kernel;
  const alive = o.type === F_OWNER_TID ? k.taskByPid(o.id) !== undefined : o.type === F_OWNER_PID ? k.tgs.has(o.id) : pgrpExists(t, o.id);
  return [o.type, alive ? o.id : 0];
}

/**
 * O_ASYNC (the file's fasync, fasync_helper): while it is set, the file's
 * owner gets SIGIO (or F_SETSIG's signal, with si_code the reason, si_band
 * and si_fd: fd, the descriptor it was set through) at each wake-up the
 * file says is one (File.fasyncReason: kill_fasync's calls). Only files
 * with an fasync (pipes, sockets, terminals, inotify): for the others
 * F_SETFL drops the flag.
 */
function setFasync(f: File, fd: number, on: boolean): void {
  const q = f.waitq;
  if (!on || !q || !f.fasyncCapable) {
    if (f.fasync) q?.remove(f.fasync);
    f.fasync = null;
    return;
  }
  if (f.fasync) return;
  // (poll arms a host-backed file's wake-up: the console's)
  f.poll();
  const w = (events: number): void => {
    f.poll();
    const o = f.owner;
    const reason = f.fasyncReason(events);
    if (!o || o.id === 0 || !reason) return;
    if (f.ownerSig === 0) o.send(SIGIO);
    else o.send(f.ownerSig, { code: reason, band: POLL_BANDS[reason - POLL_IN]!, fd });
  };
  q.addLate(w);
  f.fasync = w;
}

/** fcntl(2): the fd and status-flag commands, record locks, memfd seals, owners; leases are not offered (EINVAL). */
export function sys_fcntl(t: Task, r: Regs): number {
  const fd = r.getI32(A0), cmd = r.getI32(A1), arg = r.get(A2);
  const e = t.files.entry(fd);
  if (!e) return -Errno.EBADF;
  const f = e.file;
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      const from = r.getU32(A2); // (do_fcntl's argi: the low 32 bits)
      if (from >= t.files.limit) return -Errno.EINVAL;
      return t.files.install(f.get(), cmd === F_DUPFD_CLOEXEC, from);
    }
    case F_GETFD:
      return e.cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
      e.cloexec = (arg & FD_CLOEXEC) !== 0;
      return 0;
    case F_GETFL:
      return f.flags;
    case F_SETFL:
      if (f.flags & O_PATH) return -Errno.EBADF;
      f.flags = (f.flags & ~(SETFL_MASK & ~O_ASYNC)) | (arg & SETFL_MASK & ~O_ASYNC);
      if (!setAsync(f, fd, (arg & O_ASYNC) !== 0)) f.flags &= ~O_ASYNC;
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
    case F_SETOWN:
      return fSetown(t, f, r.getI32(A2));
    case F_GETOWN:
      return fGetown(f);
    case F_SETOWN_EX: {
      const dv = readStruct(t, arg, 8);
      const type = dv.getInt32(0, true), pid = dv.getInt32(4, true);
      if (type !== F_OWNER_TID && type !== F_OWNER_PID && type !== F_OWNER_PGRP) return -Errno.EINVAL;
      if (pid < 0) return -Errno.EINVAL;
      return setOwner(t, f, type, pid);
    }
    case F_GETOWN_EX: {
      const [type, pid] = ownerRecord(t, f);
      writeStruct(t, arg, 8, (dv) => {
        dv.setInt32(0, type, true);
        dv.setInt32(4, pid, true);
      });
      return 0;
    }
    case F_SETSIG:
      // valid_signal
      if (arg < 0 || arg > 64) return -Errno.EINVAL;
      f.ownerSig = arg;
      return 0;
    case F_GETSIG:
      return f.ownerSig;
    default:
      return f.fcntl(cmd, r.getBig(A2), t.creds); // the file's own (F_SETPIPE_SZ...), else EINVAL
  }
}
