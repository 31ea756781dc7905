/**
 * Process identity and life: exit, execve, ids, limits, arch_prctl, prctl.
 */
import { Errno, ErrnoError } from '../kernel/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs, FS_BASE, GS_BASE } from '../platform/regs.js';
import { A0, A1, A2, A3, BLOCKED } from './types.js';
import { ARG_MAX } from '../loader/elf.js';

/** exit_group(2) */
export function sys_exit_group(t: Task, r: Regs): number {
  const code = r.getI32(A0);
  t.kernel.exitGroup(t, (code & 0xff) << 8);
  return BLOCKED; // the task is gone: nothing to resume
}

/** exit(2). With one thread per process so far, the same as exit_group. */
export function sys_exit(t: Task, r: Regs): number {
  return sys_exit_group(t, r);
}

/** execve(2) */
export function sys_execve(t: Task, r: Regs): number {
  const path = t.mm.readCString(r.get(A0), 4096);
  const argv = t.mm.readStringArray(r.get(A1), ARG_MAX);
  const envp = t.mm.readStringArray(r.get(A2), ARG_MAX);
  return t.kernel.execve(t, path, argv, envp);
}

/** execveat(2): only AT_FDCWD-relative or absolute paths for now. */
export function sys_execveat(t: Task, r: Regs): number {
  const dirfd = r.getI32(A0);
  const path = t.mm.readCString(r.get(A1), 4096);
  if (dirfd !== -100 && !path.startsWith('/')) return -Errno.ENOSYS;
  const argv = t.mm.readStringArray(r.get(A2), ARG_MAX);
  const envp = t.mm.readStringArray(r.get(A3), ARG_MAX);
  return t.kernel.execve(t, path, argv, envp);
}

/** getpid(2) */
export const sys_getpid = (t: Task): number => t.tg.tgid;
/** getppid(2) */
export const sys_getppid = (t: Task): number => t.tg.ppid;
/** gettid(2) */
export const sys_gettid = (t: Task): number => t.tid;
/** getuid(2) */
export const sys_getuid = (t: Task): number => t.creds.uid;
/** geteuid(2) */
export const sys_geteuid = (t: Task): number => t.creds.euid;
/** getgid(2) */
export const sys_getgid = (t: Task): number => t.creds.gid;
/** getegid(2) */
export const sys_getegid = (t: Task): number => t.creds.egid;
/** getpgrp(2) */
export const sys_getpgrp = (t: Task): number => t.tg.pgid;

/** getresuid(2) */
export function sys_getresuid(t: Task, r: Regs): number {
  t.mm.writeU32(r.get(A0), t.creds.uid);
  t.mm.writeU32(r.get(A1), t.creds.euid);
  t.mm.writeU32(r.get(A2), t.creds.suid);
  return 0;
}
/** getresgid(2) */
export function sys_getresgid(t: Task, r: Regs): number {
  t.mm.writeU32(r.get(A0), t.creds.gid);
  t.mm.writeU32(r.get(A1), t.creds.egid);
  t.mm.writeU32(r.get(A2), t.creds.sgid);
  return 0;
}
/** getgroups(2) */
export function sys_getgroups(t: Task, r: Regs): number {
  const size = r.getI32(A0);
  const g = t.creds.groups;
  if (size < 0) return -Errno.EINVAL;
  if (size === 0) return g.length;
  if (size < g.length) return -Errno.EINVAL;
  g.forEach((v, i) => t.mm.writeU32(r.get(A1) + i * 4, v));
  return g.length;
}

/** setuid(2)/setgid(2) family: an unprivileged guest may only set what it has; root may set anything. */
function setId(t: Task, v: number, kind: 'uid' | 'gid'): number {
  if (v === -1) return 0;
  const c = t.creds;
  if (c.euid !== 0) {
    const have = kind === 'uid' ? [c.uid, c.euid, c.suid] : [c.gid, c.egid, c.sgid];
    if (!have.includes(v)) return -Errno.EPERM;
    if (kind === 'uid') c.euid = c.fsuid = v;
    else c.egid = c.fsgid = v;
    return 0;
  }
  if (kind === 'uid') c.uid = c.euid = c.suid = c.fsuid = v;
  else c.gid = c.egid = c.sgid = c.fsgid = v;
  return 0;
}
/** setuid(2) */
export const sys_setuid = (t: Task, r: Regs): number => setId(t, r.getI32(A0), 'uid');
/** setgid(2) */
export const sys_setgid = (t: Task, r: Regs): number => setId(t, r.getI32(A0), 'gid');

/** set_tid_address(2) */
export function sys_set_tid_address(t: Task, r: Regs): number {
  t.clearChildTid = r.get(A0);
  return t.tid;
}

/** set_robust_list(2) */
export function sys_set_robust_list(t: Task, r: Regs): number {
  if (r.get(A1) !== 24) return -Errno.EINVAL; // sizeof(struct robust_list_head)
  t.robustList = r.get(A0);
  t.robustListLen = 24;
  return 0;
}

const ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004;
/** arch_prctl(2) */
export function sys_arch_prctl(t: Task, r: Regs): number {
  const code = r.getI32(A0), addr = r.get(A1);
  switch (code) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
      if (addr >= 0x800000000000) return -Errno.EPERM;
      r.set(code === ARCH_SET_FS ? FS_BASE : GS_BASE, addr);
      return 0;
    case ARCH_GET_FS:
    case ARCH_GET_GS:
      t.mm.writeU64(addr, r.get(code === ARCH_GET_FS ? FS_BASE : GS_BASE));
      return 0;
    default:
      return -Errno.EINVAL; // CET, CPUID faulting, XCOMP: not offered
  }
}

const PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4, PR_SET_NAME = 15,
  PR_GET_NAME = 16, PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39;
/** prctl(2): names, dumpable, no_new_privs, pdeathsig (recorded); others EINVAL. */
export function sys_prctl(t: Task, r: Regs): number {
  const op = r.getI32(A0);
  switch (op) {
    case PR_SET_NAME: {
      const b = t.mm.read(r.get(A1), 16);
      const z = b.indexOf(0);
      t.comm = Buffer.from(b.subarray(0, z < 0 ? 15 : Math.min(z, 15))).toString('utf8');
      return 0;
    }
    case PR_GET_NAME: {
      const b = new Uint8Array(16);
      b.set(Buffer.from(t.comm, 'utf8').subarray(0, 15));
      t.mm.write(r.get(A1), b);
      return 0;
    }
    case PR_SET_PDEATHSIG: {
      const s = r.getI32(A1);
      if (s < 0 || s > 64) return -Errno.EINVAL;
      t.pdeathSig = s;
      return 0;
    }
    case PR_GET_PDEATHSIG:
      t.mm.writeU32(r.get(A1), t.pdeathSig);
      return 0;
    case PR_GET_DUMPABLE:
      return 1;
    case PR_SET_DUMPABLE:
      return r.get(A1) <= 1 ? 0 : -Errno.EINVAL;
    case PR_SET_NO_NEW_PRIVS:
      if (r.get(A1) !== 1) return -Errno.EINVAL;
      t.noNewPrivs = true;
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      return t.noNewPrivs ? 1 : 0;
    default:
      return -Errno.EINVAL;
  }
}

// ---- resource limits --------------------------------------------------------------
export const RLIMIT_CPU = 0, RLIMIT_FSIZE = 1, RLIMIT_DATA = 2, RLIMIT_STACK = 3, RLIMIT_CORE = 4,
  RLIMIT_RSS = 5, RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7, RLIMIT_MEMLOCK = 8, RLIMIT_AS = 9, RLIM_NLIMITS = 16;
const RLIM_INFINITY = Infinity;

function defaultLimit(res: number): [number, number] {
  switch (res) {
    case RLIMIT_STACK:
      return [8 << 20, RLIM_INFINITY];
    case RLIMIT_CORE:
      return [0, RLIM_INFINITY];
    case RLIMIT_NOFILE:
      return [1024, 4096];
    case RLIMIT_NPROC:
      return [4096, 4096];
    case RLIMIT_MEMLOCK:
      return [8 << 20, 8 << 20];
    case 13: // RLIMIT_NICE
    case 14: // RLIMIT_RTPRIO
      return [0, 0];
    case 11: // RLIMIT_SIGPENDING
      return [4096, 4096];
    case 12: // RLIMIT_MSGQUEUE
      return [819200, 819200];
    default:
      return [RLIM_INFINITY, RLIM_INFINITY];
  }
}
export function getLimit(t: Task, res: number): [number, number] {
  return t.tg.rlimits.get(res) ?? defaultLimit(res);
}
function writeRlimit(t: Task, addr: number, l: [number, number]): void {
  const enc = (v: number): number => (v === Infinity ? -1 : v);
  t.mm.writeU64(addr, enc(l[0]) === -1 ? 0xffffffffffffffff : l[0]);
  t.mm.writeU64(addr + 8, enc(l[1]) === -1 ? 0xffffffffffffffff : l[1]);
}
function readRlimit(t: Task, addr: number): [number, number] {
  const b = t.mm.read(addr, 16);
  const dv = new DataView(b.buffer);
  const dec = (o: number): number => (dv.getBigUint64(o, true) >= 0x7fffffffffffffffn ? Infinity : Number(dv.getBigUint64(o, true)));
  return [dec(0), dec(8)];
}
function setLimit(t: Task, res: number, l: [number, number]): number {
  const cur = getLimit(t, res);
  if (l[0] > l[1]) return -Errno.EINVAL;
  if (l[1] > cur[1] && t.creds.euid !== 0) return -Errno.EPERM;
  if (res === RLIMIT_NOFILE) {
    if (l[0] > 1048576 || l[1] > 1048576) return -Errno.EPERM; // fs.nr_open
    t.files.limit = l[0];
  }
  t.tg.rlimits.set(res, l);
  return 0;
}

/** prlimit64(2): on the calling process (pid 0 or its own pid). */
export function sys_prlimit64(t: Task, r: Regs): number {
  const pid = r.getI32(A0), res = r.getU32(A1), newp = r.get(A2), oldp = r.get(A3);
  if (res >= RLIM_NLIMITS) return -Errno.EINVAL;
  if (pid !== 0 && pid !== t.tg.tgid) return t.kernel.taskByPid(pid) ? -Errno.EPERM : -Errno.ESRCH;
  const old = getLimit(t, res);
  if (newp) {
    const e = setLimit(t, res, readRlimit(t, newp));
    if (e < 0) return e;
  }
  if (oldp) writeRlimit(t, oldp, old);
  return 0;
}
/** getrlimit(2) */
export function sys_getrlimit(t: Task, r: Regs): number {
  const res = r.getU32(A0);
  if (res >= RLIM_NLIMITS) return -Errno.EINVAL;
  writeRlimit(t, r.get(A1), getLimit(t, res));
  return 0;
}
/** setrlimit(2) */
export function sys_setrlimit(t: Task, r: Regs): number {
  const res = r.getU32(A0);
  if (res >= RLIM_NLIMITS) return -Errno.EINVAL;
  return setLimit(t, res, readRlimit(t, r.get(A1)));
}

/** wait4(2): no child processes yet in a one-process guest. */
export function sys_wait4(_t: Task, r: Regs): number {
  if (r.getU32(A2) & ~(1 | 2 | 8 | 0x1000000 | 0x40000000 | 0x80000000 | 0x20000000)) return -Errno.EINVAL;
  return -Errno.ECHILD;
}

/** getpgid(2) */
export function sys_getpgid(t: Task, r: Regs): number {
  const pid = r.getI32(A0);
  if (pid !== 0 && pid !== t.tg.tgid) return -Errno.ESRCH;
  return t.tg.pgid;
}
/** getsid(2) */
export function sys_getsid(t: Task, r: Regs): number {
  const pid = r.getI32(A0);
  if (pid !== 0 && pid !== t.tg.tgid) return -Errno.ESRCH;
  return t.tg.sid;
}
/** setpgid(2) */
export function sys_setpgid(t: Task, r: Regs): number {
  const pid = r.getI32(A0), pgid = r.getI32(A1);
  if (pgid < 0) return -Errno.EINVAL;
  if (pid !== 0 && pid !== t.tg.tgid) return -Errno.ESRCH;
  if (t.tg.sid === t.tg.tgid) return -Errno.EPERM; // a session leader
  t.tg.pgid = pgid === 0 ? t.tg.tgid : pgid;
  return 0;
}
/** setsid(2) */
export function sys_setsid(t: Task): number {
  if (t.tg.pgid === t.tg.tgid) return -Errno.EPERM;
  t.tg.sid = t.tg.pgid = t.tg.tgid;
  return t.tg.sid;
}

void ErrnoError;
