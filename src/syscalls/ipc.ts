/**
 * System V IPC (ipc/shm.c, ipc/sem.c, ipc/msg.c): shmget, shmat, shmdt,
 * shmctl, semget, semop, semtimedop, semctl, msgget, msgsnd, msgrcv,
 * msgctl. Arguments and structs are decoded here, in Linux's order of
 * checks; the objects are the kernel's IPC namespace (kernel/ipc/).
 *
 * Blocking: a semop that must wait, a msgsnd with no room and a msgrcv
 * with no message sleep on the object's wait queue and are re-run from
 * scratch when it changes; semtimedop arms a timer (EAGAIN when it fires).
 * A signal ends semop with EINTR (never restarted, as Linux), msgsnd and
 * msgrcv with -ERESTARTNOHAND (their rows say so).
 *
 * Struct layouts are x86-64's: struct ipc64_perm (48 bytes), shmid64_ds
 * (112), semid64_ds (104), msqid64_ds (120), shminfo64 (72), shm_info
 * (48), seminfo (40), msginfo (32), sembuf (6).
 *
 * Capabilities are euid 0, as everywhere in umlts.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4 } from './types.js';
import { monotonicNs, Timer } from '../kernel/events.js';
import {
  IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO, IPC_NOWAIT, IPC64_PERM_SIZE, ipcperms, ipcOwner, putPerm, KernIpcPerm,
} from '../kernel/ipc/util.js';
import {
  ShmMapping, ShmSegment, SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC, SHM_LOCKED, SHMMAX_U64, SHMMIN, SHMMNI, SHMSEG, SHMALL_U64,
} from '../kernel/ipc/shm.js';
import {
  SemArray, SemBuf, SEMOPM, SEMVMX, SEMMNI, SEMMSL, SEMMNS, SEMMNU, SEMMAP, SEMUME, SEMUSZ, SEMAEM, GETPID,
  GETVAL, GETALL, GETNCNT, GETZCNT, SETVAL, SETALL, SEM_STAT, SEM_INFO, SEM_STAT_ANY, SEM_UNDO, SemUndoList,
} from '../kernel/ipc/sem.js';
import {
  MsgQueue, MSG_NOERROR, MSG_EXCEPT, MSG_COPY, MSG_STAT, MSG_INFO, MSG_STAT_ANY, MSGMAX, MSGMNB, MSGMNI, MSGSSZ, MSGSEG,
  MSGPOOL, MSGMAP, MSGTQL,
} from '../kernel/ipc/msg.js';
import { PROT_READ, PROT_WRITE, PROT_EXEC, MAP_SHARED, MAP_FIXED } from '../abi/mman.js';
import { RLIMIT_MEMLOCK } from '../abi/resource.js';
import { getLimit } from './process.js';
import { copyIn, copyOut, readStruct, writeStruct, readTimespec, UserPtr } from './uaccess.js';
import { capable } from '../kernel/creds.js';
import { CAP_IPC_LOCK, CAP_SYS_RESOURCE } from '../abi/capability.js';

const PAGE = 4096;
/** the permission flags ipcperms takes (include/linux/stat.h) */
const S_IRUGO = 0o444, S_IWUGO = 0o222, S_IXUGO = 0o111;
/** SHM_STAT and SHM_INFO; SHM_LOCK, SHM_UNLOCK */
const SHM_STAT = 13, SHM_INFO = 14, SHM_STAT_ANY = 15, SHM_LOCK = 11, SHM_UNLOCK = 12;

/** ipc_update_perm's input: the uid, gid and mode of a *id64_ds's ipc64_perm. A uid or gid of -1 is no id (EINVAL). */
function setPerm(p: KernIpcPerm, dv: DataView, now: number): number {
  const uid = dv.getUint32(4, true), gid = dv.getUint32(8, true), mode = dv.getUint32(20, true);
  if (uid === 0xffffffff || gid === 0xffffffff) return -Errno.EINVAL;
  p.uid = uid;
  p.gid = gid;
  p.mode = (p.mode & ~0o777) | (mode & 0o777);
  return now;
}

function nowSecs(t: Task): number {
  return Number(t.kernel.realtimeNs() / 1000000000n);
}

/** The object a *_STAT command names by index (checked with S_IRUGO unless *_STAT_ANY), or IPC_STAT's by id. */
function statTarget<T extends { perm: KernIpcPerm }>(t: Task, ids: { obtain(id: number): T | number; byIndex(i: number): T | undefined },
  id: number, byIndex: boolean, any: boolean): T | number {
  const o = byIndex ? ids.byIndex(id) ?? -Errno.EINVAL : ids.obtain(id);
  if (typeof o === 'number') return o;
  if (!any && !ipcperms(t.creds, o.perm, S_IRUGO)) return -Errno.EACCES;
  if (o.perm.deleted) return -Errno.EIDRM;
  return o;
}

/**
 * IPC_SET and IPC_RMID (ipc/util.c: ipcctl_obtain_check, ipc_update_perm): only the owner, creator or root may
 * remove the object or set its uid, gid and mode from the user's *id64_ds (dsSize bytes, read before the lookup as
 * Linux copies it in first). check() vets a family's own fields first (a negative errno stops it); apply() sets them.
 */
function ctlDown<T extends { perm: KernIpcPerm; ctime: number }>(t: Task, ids: { obtain(id: number): T | number },
  rmid: (o: T) => void, id: number, cmd: number, buf: UserPtr, dsSize: number,
  check?: (o: T, dv: DataView) => number, apply?: (o: T, dv: DataView) => void): number {
  const dv = cmd === IPC_SET ? readStruct(t, buf, dsSize) : null;
  const o = ids.obtain(id);
  if (typeof o === 'number') return o;
  if (!ipcOwner(t.creds, o.perm)) return -Errno.EPERM;
  if (!dv) {
    rmid(o);
    return 0;
  }
  const err = check ? check(o, dv) : 0;
  if (err < 0) return err;
  const now = setPerm(o.perm, dv, nowSecs(t));
  if (now < 0) return now;
  apply?.(o, dv);
  o.ctime = now;
  return 0;
}

// ---- shared memory -------------------------------------------------------------------------

/** shmget(2) */
export function sys_shmget(t: Task, r: Regs): number {
  const key = r.getI32(A0), size = r.get(A1), flg = r.getI32(A2);
  return t.kernel.ipc.shm.get(key, size, flg, t.creds, t.pid);
}

/** shmat(2): the address of a MAP_SHARED mapping of the whole segment. */
export function sys_shmat(t: Task, r: Regs): number {
  const shmid = r.getI32(A0), flg = r.getI32(A2);
  let addr = r.get(A1);
  if (shmid < 0) return -Errno.EINVAL;
  let flags = MAP_SHARED;
  if (addr) {
    if (addr % PAGE) {
      if (!(flg & SHM_RND)) return -Errno.EINVAL;
      addr -= addr % PAGE; // SHMLBA is a page on x86
      if (addr === 0 && flg & SHM_REMAP) return -Errno.EINVAL;
    }
    flags |= MAP_FIXED;
  } else if (flg & SHM_REMAP) {
    return -Errno.EINVAL;
  }
  const rdonly = (flg & SHM_RDONLY) !== 0;
  let prot = rdonly ? PROT_READ : PROT_READ | PROT_WRITE;
  let acc = rdonly ? S_IRUGO : S_IRUGO | S_IWUGO;
  if (flg & SHM_EXEC) {
    prot |= PROT_EXEC;
    acc |= S_IXUGO;
  }
  const ns = t.kernel.ipc.shm;
  const s = ns.ids.obtain(shmid);
  if (typeof s === 'number') return s;
  if (!ipcperms(t.creds, s.perm, acc)) return -Errno.EACCES;
  if (s.perm.deleted) return -Errno.EIDRM;
  const size = s.segsz;
  if (addr && !(flg & SHM_REMAP) && (addr + size < addr || overlaps(t, addr, addr + size))) return -Errno.EINVAL;
  const k = t.kernel;
  const m = ns.mapping(s, rdonly, () => k.currentPid);
  try {
    return t.mm.mmap(addr, size, prot, flags, m, 0, rdonly ? PROT_READ | PROT_EXEC : PROT_READ | PROT_WRITE | PROT_EXEC);
  } finally {
    m.done();
  }
}

/** Does any VMA of t's address space meet [start, end)? */
function overlaps(t: Task, start: number, end: number): boolean {
  const end2 = Math.ceil(end / PAGE) * PAGE;
  return t.mm.vmas.some((v) => v.start < end2 && v.end > start);
}

/**
 * shmdt(2): unmap the segment attached at addr — the VMAs of one segment
 * that start where addr would put their offset, up to the segment's size
 * past addr (what mprotect and munmap may have split it into).
 */
export function sys_shmdt(t: Task, r: Regs): number {
  const addr = r.get(A0);
  if (addr % PAGE) return -Errno.EINVAL;
  const vmas = t.mm.vmas.filter((v) => v.end > addr);
  let seg: ShmSegment | null = null;
  const doomed: Array<[number, number]> = [];
  let i = 0;
  for (; i < vmas.length; i++) {
    const v = vmas[i]!;
    if (v.file instanceof ShmMapping && v.start - addr === v.pgoff) {
      seg = v.file.seg;
      doomed.push([v.start, v.end]);
      i++;
      break;
    }
  }
  if (!seg) return -Errno.EINVAL;
  const size = Math.ceil(seg.segsz / PAGE) * PAGE;
  for (; i < vmas.length && vmas[i]!.end - addr <= size; i++) {
    const v = vmas[i]!;
    if (v.file instanceof ShmMapping && v.file.seg === seg && v.start - addr === v.pgoff) doomed.push([v.start, v.end]);
  }
  for (const [a, b] of doomed) t.mm.munmap(a, b - a);
  return 0;
}

/** shmctl(2) */
export function sys_shmctl(t: Task, r: Regs): number {
  const shmid = r.getI32(A0), cmd = r.getI32(A1), buf = r.get(A2);
  if (cmd < 0 || shmid < 0) return -Errno.EINVAL;
  const ns = t.kernel.ipc.shm;
  switch (cmd) {
    case IPC_INFO: {
      // struct shminfo64: shmmax, shmmin, shmmni, shmseg, shmall, 4 unused
      writeStruct(t, buf, 72, (dv) => {
        dv.setBigUint64(0, SHMMAX_U64, true);
        dv.setBigUint64(8, BigInt(SHMMIN), true);
        dv.setBigUint64(16, BigInt(SHMMNI), true);
        dv.setBigUint64(24, BigInt(SHMSEG), true);
        dv.setBigUint64(32, SHMALL_U64, true);
      });
      return Math.max(0, ns.ids.maxIdx);
    }
    case SHM_INFO: {
      // struct shm_info: used_ids, shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes
      writeStruct(t, buf, 48, (dv) => {
        dv.setInt32(0, ns.ids.size, true);
        dv.setBigUint64(8, BigInt(ns.totPages), true);
        dv.setBigUint64(16, BigInt(ns.rssPages), true);
      });
      return Math.max(0, ns.ids.maxIdx);
    }
    case IPC_STAT:
    case SHM_STAT:
    case SHM_STAT_ANY: {
      const s = statTarget(t, ns.ids, shmid, cmd !== IPC_STAT, cmd === SHM_STAT_ANY);
      if (typeof s === 'number') return s;
      writeStruct(t, buf, 112, (dv) => {
        putPerm(dv, 0, s.perm);
        dv.setBigUint64(IPC64_PERM_SIZE, BigInt(s.segsz), true);
        dv.setBigInt64(56, BigInt(s.atime), true);
        dv.setBigInt64(64, BigInt(s.dtime), true);
        dv.setBigInt64(72, BigInt(s.ctime), true);
        dv.setInt32(80, s.cpid, true);
        dv.setInt32(84, s.lpid, true);
        dv.setBigUint64(88, BigInt(s.nattch), true);
      });
      return cmd === IPC_STAT ? 0 : s.perm.id;
    }
    case IPC_SET:
    case IPC_RMID:
      return ctlDown(t, ns.ids, (s) => ns.rmid(s), shmid, cmd, buf, 112);
    case SHM_LOCK:
    case SHM_UNLOCK: {
      const s = ns.ids.obtain(shmid);
      if (typeof s === 'number') return s;
      if (!capable(t.creds, CAP_IPC_LOCK)) {
        if (t.creds.euid !== s.perm.uid && t.creds.euid !== s.perm.cuid) return -Errno.EPERM;
        if (cmd === SHM_LOCK && !getLimit(t, RLIMIT_MEMLOCK)[0]) return -Errno.EPERM;
      }
      if (cmd === SHM_LOCK) s.perm.mode |= SHM_LOCKED;
      else s.perm.mode &= ~SHM_LOCKED;
      return 0;
    }
    default:
      return -Errno.EINVAL;
  }
}

// ---- semaphores ----------------------------------------------------------------------------

/** semget(2) */
export function sys_semget(t: Task, r: Regs): number {
  return t.kernel.ipc.sem.get(r.getI32(A0), r.getI32(A1), r.getI32(A2), t.creds);
}

/** A semop asleep: its set, the operation that blocked it (counted for GETNCNT/GETZCNT), its deadline and timer. */
interface SemWait {
  set: SemArray;
  blocked: { num: number; op: number };
  deadline: bigint | null;
  timer: Timer | null;
  timedOut: boolean;
}

/** semop(2) and semtimedop(2) (do_semtimedop). timeout: a struct timespec, or 0. */
function doSemop(t: Task, semid: number, sopsAddr: UserPtr, nsops: number, timeout: UserPtr): number {
  // a re-run after a wake: the sleep's traces go first (the attempt below may sleep again)
  const prev = t.sc.state as SemWait | null;
  if (prev) {
    prev.set.blocked.delete(prev.blocked);
    if (prev.timer) t.kernel.events.cancelTimer(prev.timer);
    t.sc.state = null;
    t.sc.cleanup = null;
  }
  if (nsops < 1 || semid < 0) return -Errno.EINVAL;
  if (nsops > SEMOPM) return -Errno.E2BIG;
  const raw = readStruct(t, sopsAddr, nsops * 6);
  const sops: SemBuf[] = [];
  let max = 0, alter = false;
  for (let i = 0; i < nsops; i++) {
    const o = { num: raw.getUint16(i * 6, true), op: raw.getInt16(i * 6 + 2, true), flg: raw.getInt16(i * 6 + 4, true) };
    sops.push(o);
    if (o.num > max) max = o.num;
    if (o.op !== 0) alter = true;
  }
  let deadline = prev?.deadline ?? null;
  if (!prev && timeout) deadline = monotonicNs() + readTimespec(t, timeout);
  // find_alloc_undo: the caller's undo list is made (get_undo_list) before the set is looked up
  const undo = sops.some((o) => o.flg & SEM_UNDO) ? (t.sysvsem ??= new SemUndoList()) : null;
  const ns = t.kernel.ipc.sem;
  const s = ns.ids.obtain(semid);
  if (prev && (prev.set.perm.deleted || s !== prev.set)) return -Errno.EIDRM;
  if (typeof s === 'number') return s;
  if (max >= s.nsems) return -Errno.EFBIG;
  if (!ipcperms(t.creds, s.perm, alter ? S_IWUGO : S_IRUGO)) return -Errno.EACCES;
  if (s.perm.deleted) return -Errno.EIDRM;
  const res = ns.semop(s, sops, undo, t.pid);
  if (typeof res === 'number') return res;
  if (prev?.timedOut || (deadline !== null && monotonicNs() >= deadline)) return -Errno.EAGAIN;
  // sleep until the set changes (or the timeout); the re-run tries again
  const w: SemWait = { set: s, blocked: res.block, deadline, timer: null, timedOut: false };
  s.blocked.add(w.blocked);
  if (deadline !== null) {
    w.timer = t.kernel.events.addTimer(deadline, () => {
      w.timedOut = true;
      t.kernel.wake(t);
    });
  }
  t.sc.state = w;
  t.sc.cleanup = () => {
    s.blocked.delete(w.blocked);
    if (w.timer) t.kernel.events.cancelTimer(w.timer);
  };
  return t.sleepOn(s.wq);
}

/** semop(2) */
export function sys_semop(t: Task, r: Regs): number {
  return doSemop(t, r.getI32(A0), r.get(A1), r.getU32(A2), 0);
}

/** semtimedop(2) */
export function sys_semtimedop(t: Task, r: Regs): number {
  return doSemop(t, r.getI32(A0), r.get(A1), r.getU32(A2), r.get(A3));
}

/** semctl(2); arg is union semun, passed by value (val in its low 32 bits, or a pointer). */
export function sys_semctl(t: Task, r: Regs): number {
  const semid = r.getI32(A0), semnum = r.getI32(A1), cmd = r.getI32(A2), arg = r.get(A3);
  if (semid < 0) return -Errno.EINVAL;
  const ns = t.kernel.ipc.sem;
  switch (cmd) {
    case IPC_INFO:
    case SEM_INFO: {
      // struct seminfo: semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem
      const vals = [SEMMAP, SEMMNI, SEMMNS, SEMMNU, SEMMSL, SEMOPM, SEMUME, SEMUSZ, SEMVMX, SEMAEM];
      if (cmd === SEM_INFO) {
        vals[7] = ns.ids.size;
        vals[9] = ns.usedSems;
      }
      writeStruct(t, arg, 40, (dv) => vals.forEach((v, i) => dv.setInt32(i * 4, v, true)));
      return Math.max(0, ns.ids.maxIdx);
    }
    case IPC_STAT:
    case SEM_STAT:
    case SEM_STAT_ANY: {
      const s = statTarget(t, ns.ids, semid, cmd !== IPC_STAT, cmd === SEM_STAT_ANY);
      if (typeof s === 'number') return s;
      writeStruct(t, arg, 104, (dv) => {
        putPerm(dv, 0, s.perm);
        dv.setBigInt64(48, BigInt(s.otime), true);
        dv.setBigInt64(64, BigInt(s.ctime), true);
        dv.setBigUint64(80, BigInt(s.nsems), true);
      });
      return cmd === IPC_STAT ? 0 : s.perm.id;
    }
    case GETALL:
    case SETALL:
    case GETVAL:
    case GETPID:
    case GETNCNT:
    case GETZCNT: {
      const s = ns.ids.obtain(semid);
      if (typeof s === 'number') return s;
      if (!ipcperms(t.creds, s.perm, cmd === SETALL ? S_IWUGO : S_IRUGO)) return -Errno.EACCES;
      if (cmd === GETALL) {
        const b = new Uint8Array(s.nsems * 2), dv = new DataView(b.buffer);
        s.vals.forEach((v, i) => dv.setUint16(i * 2, v, true));
        copyOut(t, arg, b);
        return 0;
      }
      if (cmd === SETALL) {
        const b = copyIn(t, arg, s.nsems * 2), dv = new DataView(b.buffer, b.byteOffset);
        const vals: number[] = [];
        for (let i = 0; i < s.nsems; i++) {
          const v = dv.getUint16(i * 2, true);
          if (v > SEMVMX) return -Errno.ERANGE;
          vals.push(v);
        }
        if (s.perm.deleted) return -Errno.EIDRM;
        ns.setValues(s, 0, vals, t.pid);
        return 0;
      }
      if (semnum < 0 || semnum >= s.nsems) return -Errno.EINVAL;
      if (s.perm.deleted) return -Errno.EIDRM;
      if (cmd === GETVAL) return s.vals[semnum]!;
      if (cmd === GETPID) return s.pids[semnum]!;
      return ns.count(s, semnum, cmd === GETZCNT);
    }
    case SETVAL: {
      const val = arg | 0; // the int of the union, in its low half on little-endian x86-64
      if (val > SEMVMX || val < 0) return -Errno.ERANGE;
      const s = ns.ids.obtain(semid);
      if (typeof s === 'number') return s;
      if (semnum < 0 || semnum >= s.nsems) return -Errno.EINVAL;
      if (!ipcperms(t.creds, s.perm, S_IWUGO)) return -Errno.EACCES;
      if (s.perm.deleted) return -Errno.EIDRM;
      ns.setValues(s, semnum, [val], t.pid);
      return 0;
    }
    case IPC_SET:
    case IPC_RMID:
      return ctlDown(t, ns.ids, (s) => ns.rmid(s), semid, cmd, arg, 104);
    default:
      return -Errno.EINVAL;
  }
}

// ---- message queues ------------------------------------------------------------------------

/** msgget(2) */
export function sys_msgget(t: Task, r: Regs): number {
  return t.kernel.ipc.msg.get(r.getI32(A0), r.getI32(A1), t.creds);
}

/** Sleep on q's queue wq until it changes: the re-run looks again; a removed queue says EIDRM then. */
function msgSleep(t: Task, q: MsgQueue, wq: MsgQueue['sendq']): number {
  t.sc.state = { q };
  return t.sleepOn(wq);
}

/** msgsnd(2): struct msgbuf { long mtype; char mtext[]; } */
export function sys_msgsnd(t: Task, r: Regs): number {
  const msqid = r.getI32(A0), msgp = r.get(A1), size = r.getS(A2), flg = r.getI32(A3);
  const prev = t.sc.state as { q: MsgQueue } | null;
  const mtype = readU64Signed(t, msgp);
  if (size > MSGMAX || size < 0 || msqid < 0) return -Errno.EINVAL;
  if (mtype < 1) return -Errno.EINVAL;
  const data = copyIn(t, msgp + 8, size);
  const ns = t.kernel.ipc.msg;
  const q = ns.ids.obtain(msqid);
  if (prev && (prev.q.perm.deleted || typeof q === 'number')) return -Errno.EIDRM;
  if (typeof q === 'number') return q;
  if (!ipcperms(t.creds, q.perm, S_IWUGO)) return -Errno.EACCES;
  if (q.perm.deleted) return -Errno.EIDRM;
  if (!q.fits(size)) {
    if (flg & IPC_NOWAIT) return -Errno.EAGAIN;
    return msgSleep(t, q, q.sendq);
  }
  ns.send(q, { type: mtype, data }, t.pid);
  return 0;
}

/** A long at addr (get_user of a long: exact within ±2^53). */
function readU64Signed(t: Task, addr: UserPtr): number {
  return Number(readStruct(t, addr, 8).getBigInt64(0, true));
}

/** msgrcv(2): the text's length; the message's type goes before it. */
export function sys_msgrcv(t: Task, r: Regs): number {
  const msqid = r.getI32(A0), msgp = r.get(A1), bufsz = r.getS(A2), msgtyp = r.getS(A3), flg = r.getI32(A4);
  if (msqid < 0 || bufsz < 0) return -Errno.EINVAL;
  if (flg & MSG_COPY && (flg & MSG_EXCEPT || !(flg & IPC_NOWAIT))) return -Errno.EINVAL;
  const prev = t.sc.state as { q: MsgQueue } | null;
  const ns = t.kernel.ipc.msg;
  const q = ns.ids.obtain(msqid);
  if (prev && (prev.q.perm.deleted || typeof q === 'number')) return -Errno.EIDRM;
  if (typeof q === 'number') return q;
  if (!ipcperms(t.creds, q.perm, S_IRUGO)) return -Errno.EACCES;
  if (q.perm.deleted) return -Errno.EIDRM;
  const i = ns.find(q, msgtyp, flg);
  if (i < 0) {
    if (flg & IPC_NOWAIT) return -Errno.ENOMSG;
    return msgSleep(t, q, q.recvq);
  }
  const m = q.msgs.at(i)!;
  const want = flg & MSG_COPY ? Math.min(bufsz, MSGMAX) : bufsz;
  if (want < m.data.length && !(flg & MSG_NOERROR)) return -Errno.E2BIG;
  // (copy_msg: MSG_COPY's copy is as large as the buffer, and a larger message does not fit it, MSG_NOERROR or not)
  if (flg & MSG_COPY && want < m.data.length) return -Errno.EINVAL;
  if (!(flg & MSG_COPY)) ns.take(q, i, t.pid);
  const n = Math.min(want, m.data.length);
  // do_msg_fill: a fault here loses the message, as on Linux
  writeStruct(t, msgp, 8, (dv) => dv.setBigInt64(0, BigInt(m.type), true));
  copyOut(t, msgp + 8, m.data, 0, n);
  return n;
}

/** msgctl(2) */
export function sys_msgctl(t: Task, r: Regs): number {
  const msqid = r.getI32(A0), cmd = r.getI32(A1), buf = r.get(A2);
  if (cmd < 0 || msqid < 0) return -Errno.EINVAL;
  const ns = t.kernel.ipc.msg;
  switch (cmd) {
    case IPC_INFO:
    case MSG_INFO: {
      // struct msginfo: msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql (ints), msgseg (ushort)
      let msgs = 0, bytes = 0;
      for (const q of ns.ids.values()) {
        msgs += q.qnum;
        bytes += q.cbytes;
      }
      const info = cmd === MSG_INFO;
      writeStruct(t, buf, 32, (dv) => {
        dv.setInt32(0, info ? ns.ids.size : MSGPOOL, true);
        dv.setInt32(4, info ? msgs : MSGMAP, true);
        dv.setInt32(8, MSGMAX, true);
        dv.setInt32(12, MSGMNB, true);
        dv.setInt32(16, MSGMNI, true);
        dv.setInt32(20, MSGSSZ, true);
        dv.setInt32(24, info ? bytes : MSGTQL, true);
        dv.setUint16(28, MSGSEG, true);
      });
      return Math.max(0, ns.ids.maxIdx);
    }
    case IPC_STAT:
    case MSG_STAT:
    case MSG_STAT_ANY: {
      const q = statTarget(t, ns.ids, msqid, cmd !== IPC_STAT, cmd === MSG_STAT_ANY);
      if (typeof q === 'number') return q;
      writeStruct(t, buf, 120, (dv) => {
        putPerm(dv, 0, q.perm);
        dv.setBigInt64(48, BigInt(q.stime), true);
        dv.setBigInt64(56, BigInt(q.rtime), true);
        dv.setBigInt64(64, BigInt(q.ctime), true);
        dv.setBigUint64(72, BigInt(q.cbytes), true);
        dv.setBigUint64(80, BigInt(q.qnum), true);
        dv.setBigUint64(88, BigInt(q.qbytes), true);
        dv.setInt32(96, q.lspid, true);
        dv.setInt32(100, q.lrpid, true);
      });
      return cmd === IPC_STAT ? 0 : q.perm.id;
    }
    case IPC_SET:
    case IPC_RMID:
      return ctlDown(t, ns.ids, (q) => ns.rmid(q), msqid, cmd, buf, 120,
        (_q, dv) => Number(dv.getBigUint64(88, true)) > MSGMNB && !capable(t.creds, CAP_SYS_RESOURCE) ? -Errno.EPERM : 0,
        (q, dv) => {
          q.qbytes = Number(dv.getBigUint64(88, true));
          q.sendq.wake(0); // more room, maybe
        });
    default:
      return -Errno.EINVAL;
  }
}

