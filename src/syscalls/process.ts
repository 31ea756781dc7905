/**
 * Process identity and life: exit, execve, ids, limits, arch_prctl, prctl.
 */
import { fileOf } from './fd.js';
import { unpatchAll } from '../mm/syscall_patch.js';
import { prctlSetSeccomp } from './seccomp.js';
import {
  CAP_SETUID, CAP_SETGID, CAP_SETPCAP, LINUX_CAPABILITY_VERSION_1, LINUX_CAPABILITY_VERSION_2,
  LINUX_CAPABILITY_VERSION_3, capWords, capFromWords, capSubset, capOr, capAnd, capValid, capRaised, capRaise, capDrop,
  SECBIT_KEEP_CAPS, SECBIT_KEEP_CAPS_LOCKED, SECBIT_NO_CAP_AMBIENT_RAISE, SECURE_ALL_BITS, SECURE_ALL_LOCKS,
  SECURE_ALL_UNPRIVILEGED, PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_CAPBSET_READ, PR_CAPBSET_DROP, PR_GET_SECUREBITS,
  PR_SET_SECUREBITS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, PR_CAP_AMBIENT_RAISE, PR_CAP_AMBIENT_LOWER,
  PR_CAP_AMBIENT_CLEAR_ALL,
} from '../abi/capability.js';
import { capable, fixSetuid, oldIds } from '../kernel/creds.js';
import { TASK_SIZE_MAX } from '../abi/limits.js';
import { O_NONBLOCK } from '../fs/types.js';
import { Errno } from '../abi/errno.js';
import { ptraceExitEvent, ptraceEventNow, ptraceVforkDone } from '../kernel/ptrace.js';
import type { Task } from '../kernel/task.js';
import { Regs, FS_BASE, GS_BASE, R8 } from '../platform/regs.js';
import { A0, A1, A2, A3, A4, BLOCKED } from './types.js';
import { execArgMax } from '../loader/elf.js';
import { AT_FDCWD, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW } from '../abi/fcntl.js';
import { pidfdProcess } from '../kernel/pidfd.js';
import { unshare } from '../kernel/fork.js';
import { ptraceMayAccess, PTRACE_MODE_READ_REALCREDS } from '../kernel/creds.js';
import { PER_QUERY } from '../abi/personality.js';
import { CLONE_PARENT, CLONE_THREAD, CLONE_PIDFD, CLONE_PARENT_SETTID } from '../abi/sched.js';
import {
  readPath, readStringArray, readStruct, writeStruct, copyIn, copyOut, clearUser, writeRusage, readU32, readI32, writeU32, writeU64, writeSiginfo,
  SIGINFO_SIZE, UserPtr,
} from './uaccess.js';

/** exit_group(2) */
export function sys_exit_group(t: Task, r: Regs): number {
  const code = r.getI32(A0);
  if (t.ptrace && ptraceExitEvent(t.kernel, t, (code & 0xff) << 8)) return BLOCKED;
  t.kernel.exitGroup(t, (code & 0xff) << 8);
  return BLOCKED; // the task is gone: nothing to resume
}

/** exit(2): this thread ends; the last thread's exit ends the process. */
export function sys_exit(t: Task, r: Regs): number {
  if (t.ptrace && ptraceExitEvent(t.kernel, t, (r.getI32(A0) & 0xff) << 8)) return BLOCKED;
  t.kernel.exitThread(t, (r.getI32(A0) & 0xff) << 8);
  return BLOCKED; // the task is gone: nothing to resume
}

const CSIGNAL = 0xff;
/** clone(2): x86-64 argument order (flags, stack, parent_tid, child_tid, tls). */
export function sys_clone(t: Task, r: Regs): number {
  const flags = r.getU32(A0), stack = r.get(A1), ptid = r.get(A2), ctid = r.get(A3), tls = r.get(R8);
  // the pidfd's number goes where parent_tid points: both cannot
  if (flags & CLONE_PIDFD && flags & CLONE_PARENT_SETTID) return -Errno.EINVAL;
  return forkCommon(t, flags, stack, ptid, ctid, tls, ptid);
}
/** fork(2) */
export function sys_fork(t: Task): number {
  return forkCommon(t, 17, 0, 0, 0, 0);
}
/** vfork(2) */
export function sys_vfork(t: Task): number {
  return forkCommon(t, 0x4000 | 0x100 | 17, 0, 0, 0, 0);
}
/** clone3(2): struct clone_args (flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid...). */
export function sys_clone3(t: Task, r: Regs): number {
  const size = r.get(A1);
  // copy_clone_args_from_user: at most a page (E2BIG), at least version 0's 64 bytes; a larger struct than this
  // kernel knows (88 bytes) must be zeros past it (copy_struct_from_user: E2BIG)
  if (size > 4096) return -Errno.E2BIG;
  if (size < 64) return -Errno.EINVAL;
  const dv = readStruct(t, r.get(A0), Math.min(size, 88));
  if (size > 88 && copyIn(t, r.get(A0) + 88, size - 88).some((b) => b !== 0)) return -Errno.E2BIG;
  const u = (o: number): number => Number(dv.getBigUint64(o, true));
  const flags = u(0), exitSignal = u(32), stack = u(40), stackSize = u(48);
  const setTid = size >= 72 ? u(64) : 0, setTidSize = size >= 80 ? u(72) : 0;
  // set_tid and its size agree (MAX_PID_NS_LEVEL 32)
  if (setTidSize > 32 || (setTid === 0) !== (setTidSize === 0)) return -Errno.EINVAL;
  if (exitSignal > 64 || flags > 0xffffffff) return -Errno.EINVAL;
  // clone3_stack_valid: a stack and its size come together
  if ((stack === 0) !== (stackSize === 0)) return -Errno.EINVAL;
  // clone3_args_valid: a thread or a sibling reports to no one of its own, so names no exit signal
  if (flags & (CLONE_THREAD | CLONE_PARENT) && exitSignal !== 0) return -Errno.EINVAL;
  // both numbers at one address
  if (flags & CLONE_PIDFD && flags & CLONE_PARENT_SETTID && u(8) === u(24)) return -Errno.EINVAL;
  if (setTid !== 0) return -Errno.EPERM; // set_tid needs CAP_SYS_ADMIN in the pid namespace
  const top = stack ? stack + stackSize : 0;
  return forkCommon(t, (flags & ~CSIGNAL) | exitSignal, top, u(24), u(16), u(56), u(8));
}

/** unshare(2): the work and the reasons are kernel/fork.ts's. */
export function sys_unshare(t: Task, r: Regs): number {
  const flags = r.get(A0);
  if (flags > 0xffffffff) return -Errno.EINVAL; // an unsigned long: bits past 31 are unknown flags
  return unshare(t, flags);
}

/** The clone family's common path: vfork parents sleep until the child execs or exits. */
function forkCommon(t: Task, flags: number, stack: number, ptid: number, ctid: number, tls: number, pidfdAddr = 0): number {
  const st = t.sc.state as { child: number } | null;
  if (st) {
    // re-run after the vfork child released us (or after the parent's PTRACE_EVENT_VFORK stop)
    if (!t.vforkDone) return t.sleep();
    ptraceVforkDone(t, st.child);
    return st.child;
  }
  const pid = t.kernel.clone(t, flags, stack, ptid, ctid, tls, pidfdAddr);
  if (pid < 0 || !(flags & 0x4000) || t.vforkDone) return pid;
  t.sc.state = { child: pid };
  // a traced parent's PTRACE_EVENT_VFORK comes before it waits for its child
  if (ptraceEventNow(t.kernel, t)) return BLOCKED;
  return t.sleep();
}

const WNOHANG = 1, WUNTRACED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000, __WNOTHREAD = 0x20000000,
  __WALL = 0x40000000, __WCLONE = 0x80000000;
const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;

/** wait4(2) */
export function sys_wait4(t: Task, r: Regs): number {
  const pid = r.getI32(A0), wstatus = r.get(A1), options = r.getU32(A2), rusage = r.get(A3);
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE)) return -Errno.EINVAL;
  if (pid === -2147483648) return -Errno.ESRCH;
  let idtype = P_ALL, id = 0;
  if (pid > 0) {
    idtype = P_PID;
    id = pid;
  } else if (pid === 0) {
    idtype = P_PGID;
    id = t.tg.pgid;
  } else if (pid < -1) {
    idtype = P_PGID;
    id = -pid;
  }
  const res = t.kernel.waitChild(t, idtype, id, options | WEXITED);
  if (typeof res === 'number') return res;
  if (wstatus) writeU32(t, wstatus, res.status);
  if (rusage) writeRusage(t, rusage, BigInt(res.cpuNs), res.maxrssKiB);
  return res.pid;
}

/** waitid(2) */
export function sys_waitid(t: Task, r: Regs): number {
  const idtype = r.getI32(A0), id = r.getI32(A1), infop = r.get(A2), options = r.getU32(A3);
  if (options & ~(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE)) return -Errno.EINVAL;
  if (!(options & (WEXITED | WUNTRACED | WCONTINUED))) return -Errno.EINVAL;
  let it = idtype, ident = id, opts = options, nonblockPidfd = false;
  // kernel_waitid: P_PID 0 and a negative pidfd are EINVAL (P_PGID 0 is the caller's group)
  if ((idtype === P_PID && id <= 0) || (idtype === P_PIDFD && id < 0)) return -Errno.EINVAL;
  if (idtype === P_PGID && id === 0) ident = t.tg.pgid;
  else if (idtype === P_PIDFD) {
    // the process the pidfd names, as P_PID would name it
    const f = fileOf(t, id);
    if (typeof f === 'number') return f;
    const tg = pidfdProcess(t.kernel, f);
    if (!tg) return -Errno.EBADF;
    it = P_PID;
    ident = tg.tgid;
    // pidfd_get_pid: a PIDFD_NONBLOCK pidfd waits as WNOHANG, and nothing to report then is EAGAIN
    if (f.flags & O_NONBLOCK) {
      nonblockPidfd = !(options & WNOHANG);
      opts |= WNOHANG;
    }
  } else if (idtype !== P_ALL && idtype !== P_PID && idtype !== P_PGID) return -Errno.EINVAL;
  if ((idtype === P_PID || idtype === P_PGID) && id < 0) return -Errno.EINVAL;
  if (it === P_ALL) ident = 0;
  if (idtype === P_PIDFD) it = P_PID;
  const res = t.kernel.waitChild(t, it, ident, opts);
  if (typeof res === 'number') {
    if (res === 0 && nonblockPidfd) return -Errno.EAGAIN;
    if (res === 0 && infop) clearUser(t, infop, SIGINFO_SIZE); // WNOHANG: si_pid 0
    return res;
  }
  if (infop) writeSiginfo(t, infop, { signo: 17 /* SIGCHLD */, code: res.code, pid: res.pid, uid: res.uid, status: res.siStatus });
  // the raw syscall's fifth argument (glibc passes NULL)
  if (r.get(A4)) writeRusage(t, r.get(A4), BigInt(res.cpuNs), res.maxrssKiB);
  it = 0;
  return 0;
}


/** execve(2): the strings read within the budget RLIMIT_STACK gives them (both together: kernel/exec.ts) */
export function sys_execve(t: Task, r: Regs): number {
  const path = readPath(t, r.get(A0));
  const max = execArgMax(getLimit(t, RLIMIT_STACK)[0]);
  const argv = readStringArray(t, r.get(A1), max);
  const envp = readStringArray(t, r.get(A2), max);
  return t.kernel.execve(t, path, argv, envp);
}

/**
 * execveat(2): a path relative to dirfd (its file need not be open for
 * reading: O_PATH does), or with AT_EMPTY_PATH and "" the file dirfd
 * names (fexecve: a memfd, say); AT_SYMLINK_NOFOLLOW refuses a symlink at
 * the end (ELOOP). The program's name becomes /dev/fd/N[/path] (bprm's
 * fdpath: AT_EXECFN, what a script's interpreter opens), comm the file's own
 * name for AT_EMPTY_PATH.
 */
export function sys_execveat(t: Task, r: Regs): number {
  const dirfd = r.getI32(A0), flags = r.getI32(A4);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const path = readPath(t, r.get(A1));
  const max = execArgMax(getLimit(t, RLIMIT_STACK)[0]);
  const argv = readStringArray(t, r.get(A2), max);
  const envp = readStringArray(t, r.get(A3), max);
  const nofollow = (flags & AT_SYMLINK_NOFOLLOW) !== 0;
  if (dirfd === AT_FDCWD || path.startsWith('/')) {
    if (path === '' && flags & AT_EMPTY_PATH) return t.kernel.execve(t, '.', argv, envp);
    return t.kernel.execve(t, path, argv, envp, nofollow ? { at: null, nofollow, filename: path, commFromFile: false, cloexec: false } : null);
  }
  const e = t.files.entry(dirfd);
  if (!e) return -Errno.EBADF;
  if (path === '') {
    if (!(flags & AT_EMPTY_PATH)) return -Errno.ENOENT;
    // the descriptor's own file, reached as its /proc/self/fd link reaches it (an O_PATH one too)
    return t.kernel.execve(t, `/proc/self/fd/${dirfd}`, argv, envp,
      { at: null, nofollow: false, filename: `/dev/fd/${dirfd}`, commFromFile: true, cloexec: e.cloexec });
  }
  return t.kernel.execve(t, path, argv, envp, { at: e.file, nofollow, filename: `/dev/fd/${dirfd}/${path}`, commFromFile: false, cloexec: e.cloexec });
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
  writeU32(t, r.get(A0), t.creds.uid);
  writeU32(t, r.get(A1), t.creds.euid);
  writeU32(t, r.get(A2), t.creds.suid);
  return 0;
}
/** getresgid(2) */
export function sys_getresgid(t: Task, r: Regs): number {
  writeU32(t, r.get(A0), t.creds.gid);
  writeU32(t, r.get(A1), t.creds.egid);
  writeU32(t, r.get(A2), t.creds.sgid);
  return 0;
}
/** getgroups(2) */
export function sys_getgroups(t: Task, r: Regs): number {
  const size = r.getI32(A0);
  const g = t.creds.groups;
  if (size < 0) return -Errno.EINVAL;
  if (size === 0) return g.length;
  if (size < g.length) return -Errno.EINVAL;
  g.forEach((v, i) => writeU32(t, r.get(A1) + i * 4, v));
  return g.length;
}

/**
 * setuid(2)/setgid(2): with CAP_SETUID (CAP_SETGID) every id; without, the
 * effective (and fs) id may become the real or saved one. Capabilities
 * follow the uid change (fixSetuid).
 */
/** (uid_t)-1: "unchanged" for the set*id calls that take several, never a valid id (uid_valid) */
const NO_ID = 0xffffffff;

/**
 * commit_creds: a change of the effective or filesystem ids takes the parent-death signal away and makes the
 * process not dumpable (fs.suid_dumpable 0). before: [euid, egid, fsuid, fsgid] as the call began.
 */
function credsCommitted(t: Task, before: readonly number[]): void {
  const c = t.creds;
  if (before[0] !== c.euid || before[1] !== c.egid || before[2] !== c.fsuid || before[3] !== c.fsgid) {
    t.pdeathSig = 0;
    t.tg.dumpable = 0;
  }
}
const idsOf = (t: Task): number[] => [t.creds.euid, t.creds.egid, t.creds.fsuid, t.creds.fsgid];

function setId(t: Task, v: number, kind: 'uid' | 'gid'): number {
  if (v === NO_ID) return -Errno.EINVAL;
  const c = t.creds, old = oldIds(c), before = idsOf(t);
  if (kind === 'uid') {
    if (capable(c, CAP_SETUID)) c.uid = c.euid = c.suid = c.fsuid = v;
    else if (v === c.uid || v === c.suid) c.euid = c.fsuid = v;
    else return -Errno.EPERM;
    fixSetuid(c, old, false);
  } else {
    if (capable(c, CAP_SETGID)) c.gid = c.egid = c.sgid = c.fsgid = v;
    else if (v === c.gid || v === c.sgid) c.egid = c.fsgid = v;
    else return -Errno.EPERM;
  }
  credsCommitted(t, before);
  return 0;
}
/** setuid(2) */
export const sys_setuid = (t: Task, r: Regs): number => setId(t, r.getU32(A0), 'uid');
/** setgid(2) */
export const sys_setgid = (t: Task, r: Regs): number => setId(t, r.getU32(A0), 'gid');

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

/** personality(2): the old persona; 0xffffffff only asks. Of its flags, READ_IMPLIES_EXEC acts (syscalls/mm.ts);
 * ADDR_NO_RANDOMIZE is how umlts lays out memory anyway; the others are kept and reported. */
export function sys_personality(t: Task, r: Regs): number {
  const old = t.personality, p = r.getU32(A0);
  if (p !== PER_QUERY) t.personality = p;
  return old;
}

/** get_robust_list(2): pid 0 is the caller; the head and its size (24), or 0 and 24 when none is set. */
export function sys_get_robust_list(t: Task, r: Regs): number {
  const pid = r.getI32(A0);
  const who = pid === 0 ? t : t.kernel.tasks.get(pid);
  if (!who || pid < 0) return -Errno.ESRCH;
  if (!ptraceMayAccess(t, who, PTRACE_MODE_READ_REALCREDS)) return -Errno.EPERM;
  writeU64(t, r.get(A1), who.robustList);
  writeU64(t, r.get(A2), 24);
  return 0;
}

const ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004;
/** arch_prctl(2) */
export function sys_arch_prctl(t: Task, r: Regs): number {
  const code = r.getI32(A0), addr = r.get(A1);
  switch (code) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
      if (addr >= TASK_SIZE_MAX) return -Errno.EPERM;
      // a guest gs base takes the host's from the fast syscall entry, which finds its area there: the
      // patched sites go back to syscall instructions (mm/syscall_patch.ts)
      if (code === ARCH_SET_GS && addr !== 0 && t.mm.patches) unpatchAll(t.mm, t.mm.patches);
      r.set(code === ARCH_SET_FS ? FS_BASE : GS_BASE, addr);
      return 0;
    case ARCH_GET_FS:
    case ARCH_GET_GS:
      writeU64(t, addr, r.get(code === ARCH_GET_FS ? FS_BASE : GS_BASE));
      return 0;
    default:
      return -Errno.EINVAL; // CET, CPUID faulting, XCOMP: not offered
  }
}

const PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4, PR_SET_NAME = 15,
  PR_GET_NAME = 16, PR_GET_SECCOMP = 21, PR_SET_SECCOMP = 22, PR_GET_TSC = 25, PR_SET_TSC = 26, PR_SET_TIMERSLACK = 29,
  PR_GET_TIMERSLACK = 30, PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37, PR_SET_NO_NEW_PRIVS = 38,
  PR_GET_NO_NEW_PRIVS = 39, PR_SET_THP_DISABLE = 41, PR_GET_THP_DISABLE = 42, PR_GET_AUXV = 0x41555856;
const PR_TSC_ENABLE = 1;
/** sizeof(mm->saved_auxv): AT_VECTOR_SIZE words (PR_GET_AUXV's answer, whatever the vector's own length) */
const SAVED_AUXV_SIZE = 448;
/** prctl(2): names, dumpable, no_new_privs, pdeathsig, child subreaper, seccomp, capabilities, the auxv; timer
 * slack and THP_DISABLE (recorded); TSC (enabled only); others EINVAL. */
export function sys_prctl(t: Task, r: Regs): number {
  const op = r.getI32(A0);
  switch (op) {
    case PR_SET_CHILD_SUBREAPER:
      t.tg.childSubreaper = r.get(A1) !== 0;
      return 0;
    case PR_GET_CHILD_SUBREAPER:
      writeU32(t, r.get(A1), t.tg.childSubreaper ? 1 : 0);
      return 0;
    case PR_SET_TIMERSLACK: {
      // (an unsigned long; 0: back to the default, the slack the task had at its clone)
      const ns = r.get(A1);
      t.timerSlackNs = ns === 0 ? t.defaultTimerSlackNs : ns;
      return 0;
    }
    case PR_GET_TIMERSLACK:
      return t.timerSlackNs;
    case PR_SET_THP_DISABLE:
      if (r.get(A2) || r.get(A3) || r.get(A4)) return -Errno.EINVAL;
      t.tg.thpDisable = r.get(A1) !== 0;
      return 0;
    case PR_GET_THP_DISABLE:
      if (r.get(A1) || r.get(A2) || r.get(A3) || r.get(A4)) return -Errno.EINVAL;
      return t.tg.thpDisable ? 1 : 0;
    case PR_GET_TSC:
      writeU32(t, r.get(A1), PR_TSC_ENABLE);
      return 0;
    case PR_SET_TSC:
      // (making rdtsc fault, PR_TSC_SIGSEGV, is the host's CR4.TSD: not offered)
      return r.get(A1) === PR_TSC_ENABLE ? 0 : -Errno.EINVAL;
    case PR_GET_AUXV: {
      if (r.get(A3) || r.get(A4)) return -Errno.EINVAL;
      const size = Math.min(SAVED_AUXV_SIZE, r.get(A2));
      if (size > 0) {
        const b = new Uint8Array(SAVED_AUXV_SIZE);
        if (t.tg.auxv) b.set(t.tg.auxv.subarray(0, SAVED_AUXV_SIZE));
        copyOut(t, r.get(A1), b, 0, size);
      }
      return SAVED_AUXV_SIZE;
    }
    case PR_SET_NAME: {
      const b = copyIn(t, r.get(A1), 16);
      const z = b.indexOf(0);
      t.comm = Buffer.from(b.subarray(0, z < 0 ? 15 : Math.min(z, 15))).toString('utf8');
      return 0;
    }
    case PR_GET_NAME: {
      const b = new Uint8Array(16);
      b.set(Buffer.from(t.comm, 'utf8').subarray(0, 15));
      copyOut(t, r.get(A1), b);
      return 0;
    }
    case PR_SET_PDEATHSIG: {
      // valid_signal takes arg2 as the unsigned long it is: 0x100000001 is no SIGHUP
      const s = r.get(A1);
      if (s > 64) return -Errno.EINVAL;
      t.pdeathSig = s;
      return 0;
    }
    case PR_GET_PDEATHSIG:
      writeU32(t, r.get(A1), t.pdeathSig);
      return 0;
    case PR_GET_DUMPABLE:
      return t.tg.dumpable;
    case PR_SET_DUMPABLE:
      if (r.get(A1) > 1) return -Errno.EINVAL;
      t.tg.dumpable = r.get(A1);
      return 0;
    case PR_SET_NO_NEW_PRIVS:
      // kernel/sys.c: the unused arguments must be 0
      if (r.get(A1) !== 1 || r.get(A2) || r.get(A3) || r.get(A4)) return -Errno.EINVAL;
      t.noNewPrivs = true;
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      if (r.get(A1) || r.get(A2) || r.get(A3) || r.get(A4)) return -Errno.EINVAL;
      return t.noNewPrivs ? 1 : 0;
    case PR_GET_SECCOMP:
      return t.seccompMode;
    case PR_CAPBSET_READ: case PR_CAPBSET_DROP: case PR_GET_KEEPCAPS: case PR_SET_KEEPCAPS: case PR_GET_SECUREBITS:
    case PR_SET_SECUREBITS: case PR_CAP_AMBIENT:
      return capPrctl(t, op, r.get(A1), r.get(A2), r.get(A3), r.get(A4));
    case PR_SET_SECCOMP:
      // the mode is an unsigned long: 0x100000001 is no SECCOMP_MODE_STRICT (seccomp_fuzz found it)
      return prctlSetSeccomp(t, r.get(A1), r.get(A2));
    default:
      return -Errno.EINVAL;
  }
}

// ---- resource limits --------------------------------------------------------------
export {
  RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_RSS, RLIMIT_NPROC, RLIMIT_NOFILE,
  RLIMIT_MEMLOCK, RLIMIT_AS, RLIM_NLIMITS,
} from '../abi/resource.js';
import {
  RLIMIT_CPU, RLIMIT_NOFILE, RLIMIT_STACK, RLIM_NLIMITS, RLIM_INFINITY, NR_OPEN,
} from '../abi/resource.js';
import { cpuLimit } from '../kernel/cpu_clock.js';
import { CAP_SYS_RESOURCE } from '../abi/capability.js';

/** The process's limit of res as [soft, hard] (Infinity: RLIM_INFINITY). */
export function getLimit(t: Task, res: number): readonly [number, number] {
  return t.tg.limit(res);
}
/** struct rlimit64 out: RLIM_INFINITY is all ones (a u64 the double cannot hold). */
function writeRlimit(t: Task, addr: UserPtr, l: readonly [number, number]): void {
  writeStruct(t, addr, 16, (dv) => {
    dv.setBigUint64(0, l[0] === Infinity ? RLIM_INFINITY : BigInt(l[0]), true);
    dv.setBigUint64(8, l[1] === Infinity ? RLIM_INFINITY : BigInt(l[1]), true);
  });
}
/** struct rlimit64 in: values past 2^63 are RLIM_INFINITY (Linux treats every value >= RLIM64_INFINITY as it). */
function readRlimit(t: Task, addr: UserPtr): [number, number] {
  const dv = readStruct(t, addr, 16);
  const dec = (o: number): number => {
    const v = dv.getBigUint64(o, true);
    return v >= 0x7fffffffffffffffn ? Infinity : Number(v);
  };
  return [dec(0), dec(8)];
}
/** do_prlimit: raising the hard limit needs CAP_SYS_RESOURCE (euid 0); RLIMIT_NOFILE is bounded by fs.nr_open. */
function setLimit(t: Task, res: number, l: [number, number]): number {
  const cur = getLimit(t, res);
  if (l[0] > l[1]) return -Errno.EINVAL;
  if (l[1] > cur[1] && !capable(t.creds, CAP_SYS_RESOURCE)) return -Errno.EPERM;
  if (res === RLIMIT_NOFILE) {
    if (l[0] > NR_OPEN || l[1] > NR_OPEN) return -Errno.EPERM;
    t.files.limit = l[0];
  }
  t.tg.rlimits.set(res, l);
  // update_rlimit_cpu: the check moves to the new limit
  if (res === RLIMIT_CPU) cpuLimit(t.kernel, t.tg);
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


/** getpgid(2) */
export function sys_getpgid(t: Task, r: Regs): number {
  const pid = r.getI32(A0);
  const tg = pid === 0 ? t.tg : t.kernel.tgs.get(pid);
  return tg ? tg.pgid : -Errno.ESRCH;
}
/** getsid(2) */
export function sys_getsid(t: Task, r: Regs): number {
  const pid = r.getI32(A0);
  const tg = pid === 0 ? t.tg : t.kernel.tgs.get(pid);
  return tg ? tg.sid : -Errno.ESRCH;
}
/** setpgid(2): the caller or one of its children (not after it exec'd — not tracked), within its session. */
export function sys_setpgid(t: Task, r: Regs): number {
  const pid = r.getI32(A0), pgid = r.getI32(A1);
  if (pgid < 0) return -Errno.EINVAL;
  const target = pid === 0 ? t.tg : t.kernel.tgs.get(pid);
  if (!target || target.zombie) return -Errno.ESRCH;
  if (target !== t.tg && target.parent !== t.tg) return -Errno.ESRCH;
  if (target.sid !== t.tg.sid) return -Errno.EPERM;
  if (target.sid === target.tgid) return -Errno.EPERM; // a session leader
  const want = pgid === 0 ? target.tgid : pgid;
  if (want !== target.tgid && ![...t.kernel.tgs.values()].some((g) => g.pgid === want && g.sid === t.tg.sid)) return -Errno.EPERM;
  target.pgid = want;
  return 0;
}
/** setsid(2) */
export function sys_setsid(t: Task): number {
  if ([...t.kernel.tgs.values()].some((g) => g.pgid === t.tg.tgid)) return -Errno.EPERM; // already a group leader
  t.tg.sid = t.tg.pgid = t.tg.tgid;
  return t.tg.sid;
}


/** setreuid(2)/setresuid(2) family: with CAP_SETUID (CAP_SETGID) any ids; without, each only among the current
 * ones (-1: unchanged). Capabilities follow the uid change (fixSetuid). */
function setIds(t: Task, kind: 'uid' | 'gid', r: number, e: number, s: number): number {
  const c = t.creds, old = oldIds(c), before = idsOf(t);
  const cur = kind === 'uid' ? [c.uid, c.euid, c.suid] : [c.gid, c.egid, c.sgid];
  if (!capable(c, kind === 'uid' ? CAP_SETUID : CAP_SETGID)) {
    for (const v of [r, e, s]) if (v !== NO_ID && !cur.includes(v)) return -Errno.EPERM;
  }
  const [nr, ne, ns] = [r === NO_ID ? cur[0]! : r, e === NO_ID ? cur[1]! : e, s === NO_ID ? cur[2]! : s];
  if (kind === 'uid') {
    c.uid = nr;
    c.euid = c.fsuid = ne;
    c.suid = ns;
    fixSetuid(c, old, false);
  } else {
    c.gid = nr;
    c.egid = c.fsgid = ne;
    c.sgid = ns;
  }
  credsCommitted(t, before);
  return 0;
}
/** setresuid(2) */
export const sys_setresuid = (t: Task, r: Regs): number => setIds(t, 'uid', r.getU32(A0), r.getU32(A1), r.getU32(A2));
/** setresgid(2) */
export const sys_setresgid = (t: Task, r: Regs): number => setIds(t, 'gid', r.getU32(A0), r.getU32(A1), r.getU32(A2));
/** setreuid(2): a real uid change also sets the saved uid (as Linux) */
export function sys_setreuid(t: Task, r: Regs): number {
  const ru = r.getU32(A0), eu = r.getU32(A1);
  return setIds(t, 'uid', ru, eu, ru !== NO_ID || (eu !== NO_ID && eu !== t.creds.uid) ? (eu === NO_ID ? t.creds.euid : eu) : NO_ID);
}
/** setregid(2) */
export function sys_setregid(t: Task, r: Regs): number {
  const rg = r.getU32(A0), eg = r.getU32(A1);
  return setIds(t, 'gid', rg, eg, rg !== NO_ID || (eg !== NO_ID && eg !== t.creds.gid) ? (eg === NO_ID ? t.creds.egid : eg) : NO_ID);
}
/** setgroups(2): CAP_SETGID's */
export function sys_setgroups(t: Task, r: Regs): number {
  const n = r.getI32(A0);
  if (n < 0 || n > 65536) return -Errno.EINVAL;
  if (!capable(t.creds, CAP_SETGID)) return -Errno.EPERM;
  const g: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = readU32(t, r.get(A1) + i * 4);
    if (id === NO_ID) return -Errno.EINVAL; // (gid_valid)
    g.push(id);
  }
  t.creds.groups = g;
  return 0;
}
/** setfsuid(2): the previous value; changed to one of the task's uids, or any with CAP_SETUID (setfsgid likewise) */
export function sys_setfsuid(t: Task, r: Regs): number {
  const c = t.creds, old = oldIds(c), v = r.getU32(A0), before = idsOf(t);
  if (v !== NO_ID && (capable(c, CAP_SETUID) || [c.uid, c.euid, c.suid, c.fsuid].includes(v)) && v !== c.fsuid) {
    c.fsuid = v;
    fixSetuid(c, old, true);
    credsCommitted(t, before);
  }
  return old.fsuid;
}
/** setfsgid(2) */
export function sys_setfsgid(t: Task, r: Regs): number {
  const c = t.creds, old = c.fsgid, v = r.getU32(A0), before = idsOf(t);
  if (v !== NO_ID && (capable(c, CAP_SETGID) || [c.gid, c.egid, c.sgid, c.fsgid].includes(v))) {
    c.fsgid = v;
    credsCommitted(t, before);
  }
  return old;
}

/**
 * capget/capset's header { version, pid }: a version it does not speak is
 * EINVAL, with _LINUX_CAPABILITY_VERSION_3 written back (cap_validate_magic).
 * The number of __user_cap_data_struct words, or -errno.
 */
function capWordsOf(t: Task, hdr: UserPtr): number {
  const version = readU32(t, hdr);
  if (version === LINUX_CAPABILITY_VERSION_1) return 1;
  if (version === LINUX_CAPABILITY_VERSION_2 || version === LINUX_CAPABILITY_VERSION_3) return 2;
  writeU32(t, hdr, LINUX_CAPABILITY_VERSION_3);
  return -Errno.EINVAL;
}

/** capget(2): a task's effective, permitted and inheritable sets, as 32-bit words. */
export function sys_capget(t: Task, r: Regs): number {
  const hdr = r.get(A0), data = r.get(A1);
  const words = capWordsOf(t, hdr);
  // no data: only the version is asked (a wrong one was written back)
  if (data === 0) return 0;
  if (words < 0) return words;
  const pid = readI32(t, hdr + 4);
  if (pid < 0) return -Errno.EINVAL;
  const target = pid === 0 ? t : t.kernel.tasks.get(pid);
  if (!target) return -Errno.ESRCH;
  const c = target.creds;
  const e = capWords(c.capEffective), p = capWords(c.capPermitted), i = capWords(c.capInheritable);
  writeStruct(t, data, words * 12, (dv) => {
    // struct __user_cap_data_struct { effective, permitted, inheritable } per 32 capabilities
    for (let w = 0; w < words; w++) {
      dv.setUint32(w * 12, e[w]!, true);
      dv.setUint32(w * 12 + 4, p[w]!, true);
      dv.setUint32(w * 12 + 8, i[w]!, true);
    }
  });
  return 0;
}

/**
 * capset(2), of the caller only: the new inheritable set within the old
 * inheritable and permitted ones (unless CAP_SETPCAP) and the bounding set,
 * permitted only shrinks, effective within the new permitted; the ambient
 * set keeps what is still both permitted and inheritable (cap_capset).
 */
export function sys_capset(t: Task, r: Regs): number {
  const hdr = r.get(A0), data = r.get(A1);
  const words = capWordsOf(t, hdr);
  if (words < 0) return words;
  const pid = readI32(t, hdr + 4);
  if (pid !== 0 && pid !== t.tid) return -Errno.EPERM;
  const dv = readStruct(t, data, words * 12);
  const word = (w: number, o: number): number => (w < words ? dv.getUint32(w * 12 + o, true) : 0);
  const effective = capFromWords(word(0, 0), word(1, 0)), permitted = capFromWords(word(0, 4), word(1, 4));
  const inheritable = capFromWords(word(0, 8), word(1, 8));
  const c = t.creds;
  if (!capable(c, CAP_SETPCAP) && !capSubset(inheritable, capOr(c.capInheritable, c.capPermitted))) return -Errno.EPERM;
  if (!capSubset(inheritable, capOr(c.capInheritable, c.capBset))) return -Errno.EPERM;
  if (!capSubset(permitted, c.capPermitted)) return -Errno.EPERM;
  if (!capSubset(effective, permitted)) return -Errno.EPERM;
  c.capEffective = effective;
  c.capPermitted = permitted;
  c.capInheritable = inheritable;
  c.capAmbient = capAnd(c.capAmbient, capAnd(permitted, inheritable));
  return 0;
}

/** prctl's capability options (cap_task_prctl): the bounding set, the ambient set, keepcaps, securebits. */
function capPrctl(t: Task, op: number, a2: number, a3: number, a4: number, a5: number): number {
  const c = t.creds;
  switch (op) {
    case PR_CAPBSET_READ:
      return capValid(a2) ? (capRaised(c.capBset, a2) ? 1 : 0) : -Errno.EINVAL;
    case PR_CAPBSET_DROP:
      if (!capable(c, CAP_SETPCAP)) return -Errno.EPERM;
      if (!capValid(a2)) return -Errno.EINVAL;
      c.capBset = capDrop(c.capBset, a2);
      return 0;
    case PR_GET_KEEPCAPS:
      return c.securebits & SECBIT_KEEP_CAPS ? 1 : 0;
    case PR_SET_KEEPCAPS:
      if (a2 > 1) return -Errno.EINVAL;
      if (c.securebits & SECBIT_KEEP_CAPS_LOCKED) return -Errno.EPERM;
      c.securebits = a2 ? c.securebits | SECBIT_KEEP_CAPS : c.securebits & ~SECBIT_KEEP_CAPS;
      return 0;
    case PR_GET_SECUREBITS:
      return c.securebits;
    case PR_SET_SECUREBITS: {
      const old = c.securebits, changed = old ^ a2;
      // no change of a locked bit, no unlocking, no unknown bit
      if ((((old & SECURE_ALL_LOCKS) >>> 1) & changed) || (old & SECURE_ALL_LOCKS & ~a2) ||
        a2 > 0xffffffff || a2 & ~(SECURE_ALL_LOCKS | SECURE_ALL_BITS)) return -Errno.EPERM;
      // the rest is CAP_SETPCAP's, but for the unprivileged bits (and, for old times' sake, not "no change")
      if (!capable(c, CAP_SETPCAP) && (!changed || changed & ~(SECURE_ALL_UNPRIVILEGED | (SECURE_ALL_UNPRIVILEGED << 1)))) {
        return -Errno.EPERM;
      }
      c.securebits = a2;
      return 0;
    }
    case PR_CAP_AMBIENT:
      if (a2 === PR_CAP_AMBIENT_CLEAR_ALL) {
        if (a3 || a4 || a5) return -Errno.EINVAL;
        c.capAmbient = 0;
        return 0;
      }
      if (!capValid(a3) || a4 || a5) return -Errno.EINVAL;
      if (a2 === PR_CAP_AMBIENT_IS_SET) return capRaised(c.capAmbient, a3) ? 1 : 0;
      if (a2 === PR_CAP_AMBIENT_LOWER) {
        c.capAmbient = capDrop(c.capAmbient, a3);
        return 0;
      }
      if (a2 !== PR_CAP_AMBIENT_RAISE) return -Errno.EINVAL;
      if (!capRaised(c.capPermitted, a3) || !capRaised(c.capInheritable, a3) || c.securebits & SECBIT_NO_CAP_AMBIENT_RAISE) {
        return -Errno.EPERM;
      }
      c.capAmbient = capRaise(c.capAmbient, a3);
      return 0;
  }
  return -Errno.EINVAL;
}
