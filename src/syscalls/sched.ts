/**
 * Scheduling attributes (kernel/sched/syscalls.c, kernel/sys.c's
 * getpriority/setpriority): nice values, policies and real-time
 * priorities, sched_setattr/sched_getattr (with EEVDF's slice), CPU
 * affinity, sched_yield.
 *
 * Nice values, policies and priorities are per task, kept with Linux's
 * checks and errors and reported back (getpriority, sched_getscheduler,
 * sched_getparam, /proc/<pid>/stat); the vCPU scheduler does not weigh
 * them (kernel/sched.ts runs tasks in FIFO order). Affinity is obeyed: a
 * task runs only on the vCPUs its mask allows.
 *
 * CAP_SYS_NICE is euid 0, as for every capability in umlts.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3 } from './types.js';
import {
  PRIO_PROCESS, PRIO_PGRP, PRIO_USER, MIN_NICE, MAX_NICE, SCHED_NORMAL, SCHED_FIFO, SCHED_RR, SCHED_BATCH,
  SCHED_IDLE, SCHED_DEADLINE, SCHED_RESET_ON_FORK, MAX_RT_PRIO, RR_TIMESLICE_NS, RLIMIT_NICE, RLIMIT_RTPRIO,
  SCHED_ATTR_SIZE_VER0, SCHED_ATTR_SIZE_VER1, SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_KEEP_POLICY, SCHED_FLAG_KEEP_PARAMS,
  SCHED_FLAG_UTIL_CLAMP, SCHED_FLAG_ALL, SCHED_FLAG_SUGOV, SCHED_BASE_SLICE_NS, SCHED_SLICE_MIN_NS, SCHED_SLICE_MAX_NS,
} from '../abi/resource.js';
import { PAGE_SIZE } from '../mm/physmem.js';
import { getLimit } from './process.js';
import { copyIn, copyOut, copyStructFromUser, readStruct, writeStruct, writeTimespec, clearUser } from './uaccess.js';
import { capable } from '../kernel/creds.js';
import { CAP_SYS_NICE } from '../abi/capability.js';

/** CAP_SYS_NICE */
export function capNice(t: Task): boolean {
  return capable(t.creds, CAP_SYS_NICE);
}

/** check_same_owner: the caller's euid is the target's uid or euid. */
function sameOwner(t: Task, p: Task): boolean {
  return t.creds.euid === p.creds.euid || t.creds.euid === p.creds.uid;
}

/** find_process_by_pid: 0 is the caller; any thread id names that thread. */
function findTask(t: Task, pid: number): Task | null {
  if (pid === 0) return t;
  const p = t.kernel.tasks.get(pid);
  return p && p.state !== 'zombie' && p.state !== 'dead' ? p : null;
}

/** The live threads of every process the caller's kernel has. */
function* allTasks(t: Task): Generator<Task> {
  for (const p of t.kernel.tasks.values()) if (p.state !== 'zombie' && p.state !== 'dead') yield p;
}

// ---- nice: getpriority, setpriority ---------------------------------------------------------

/** The tasks getpriority/setpriority's (which, who) names (PRIO_PROCESS: one task, as Linux finds it by tid). */
export function prioTargets(t: Task, which: number, who: number): Task[] {
  const out: Task[] = [];
  switch (which) {
    case PRIO_PROCESS: {
      const p = findTask(t, who);
      if (p) out.push(p);
      break;
    }
    case PRIO_PGRP: {
      const pgid = who === 0 ? t.tg.pgid : who;
      for (const p of allTasks(t)) if (p.tg.pgid === pgid && !p.tg.zombie) out.push(p);
      break;
    }
    case PRIO_USER: {
      const uid = who === 0 ? t.creds.uid : who;
      for (const p of allTasks(t)) if (p.creds.uid === uid) out.push(p);
      break;
    }
  }
  return out;
}

/** can_nice: lowering the nice value to nice is within RLIMIT_NICE (20 - nice), or CAP_SYS_NICE. */
function canNice(t: Task, p: Task, nice: number): boolean {
  return 20 - nice <= getLimit(p, RLIMIT_NICE)[0] || capNice(t);
}

/** getpriority(2): 20 - the lowest nice value among the targets (1..40; glibc turns it back into a nice value). */
export function sys_getpriority(t: Task, r: Regs): number {
  const which = r.getI32(A0), who = r.getI32(A1);
  if (which < PRIO_PROCESS || which > PRIO_USER) return -Errno.EINVAL;
  const ps = prioTargets(t, which, who);
  if (ps.length === 0) return -Errno.ESRCH;
  let best = 0;
  for (const p of ps) best = Math.max(best, 20 - p.nice);
  return best;
}

/** setpriority(2): the value is clamped to [-20, 19]; each target needs the same owner (EPERM) and, to lower its nice value, RLIMIT_NICE (EACCES). */
export function sys_setpriority(t: Task, r: Regs): number {
  const which = r.getI32(A0), who = r.getI32(A1);
  let nice = r.getI32(A2);
  if (which < PRIO_PROCESS || which > PRIO_USER) return -Errno.EINVAL;
  nice = Math.min(MAX_NICE, Math.max(MIN_NICE, nice));
  let err = -Errno.ESRCH;
  for (const p of prioTargets(t, which, who)) {
    // set_one_prio: the first failure sticks; any success clears ESRCH
    if (!sameOwner(t, p) && !capNice(t)) {
      err = -Errno.EPERM;
      continue;
    }
    if (nice < p.nice && !canNice(t, p, nice)) {
      err = -Errno.EACCES;
      continue;
    }
    if (err === -Errno.ESRCH) err = 0;
    p.nice = nice;
  }
  return err;
}

// ---- policies and real-time priorities ------------------------------------------------------

const rtPolicy = (policy: number): boolean => policy === SCHED_FIFO || policy === SCHED_RR;
const validPolicy = (policy: number): boolean =>
  policy === SCHED_NORMAL || policy === SCHED_FIFO || policy === SCHED_RR || policy === SCHED_BATCH || policy === SCHED_IDLE;

/** sched_setscheduler's "keep the policy" (SETPARAM_POLICY) */
const SETPARAM_POLICY = -1;

/** What __sched_setscheduler is asked: sched_setscheduler's policy and priority, or all of a struct sched_attr. */
interface SchedAttr {
  /** SCHED_*, or SETPARAM_POLICY to keep the task's */
  policy: number;
  priority: number;
  /** SCHED_FLAG_* (sched_setscheduler: RESET_ON_FORK from the policy word) */
  flags: number;
  /** the fair policies' nice value and slice (0: the default), from sched_setattr only */
  nice: number | null;
  runtime: bigint;
  deadline: bigint;
  period: bigint;
}

const fairPolicy = (policy: number): boolean => policy === SCHED_NORMAL || policy === SCHED_BATCH;

/** __checkparam_dl: deadline, runtime (at least 2^DL_SCALE ns) <= deadline <= period, in [100 µs, 2^22 µs] */
function checkParamDl(a: SchedAttr): boolean {
  if (a.deadline === 0n || a.runtime < 1024n || a.deadline >> 63n || a.period >> 63n) return false;
  const period = a.period === 0n ? a.deadline : a.period;
  return period >= a.deadline && a.deadline >= a.runtime && period >= 100_000n && period <= (1n << 22n) * 1000n;
}

/**
 * __sched_setscheduler's checks and change (user = true): policy
 * SETPARAM_POLICY keeps the current one (sched_setparam, KEEP_POLICY);
 * KEEP_PARAMS checks everything and changes only SCHED_RESET_ON_FORK.
 * SCHED_DEADLINE passes the parameter checks and is then refused as
 * admission control refuses it (EBUSY; EPERM without CAP_SYS_NICE):
 * umlts's scheduler has no deadline class. The utilization clamps are
 * those of a kernel without CONFIG_UCLAMP_TASK (EOPNOTSUPP).
 */
function setScheduler(t: Task, p: Task, a: SchedAttr): number {
  let policy = a.policy, resetOnFork: boolean;
  if (policy === SETPARAM_POLICY) {
    policy = p.policy;
    resetOnFork = p.resetOnFork;
  } else {
    resetOnFork = (a.flags & SCHED_FLAG_RESET_ON_FORK) !== 0;
    if (!validPolicy(policy) && policy !== SCHED_DEADLINE) return -Errno.EINVAL;
  }
  if (a.flags & ~(SCHED_FLAG_ALL | SCHED_FLAG_SUGOV)) return -Errno.EINVAL;
  const prio = a.priority;
  if (prio < 0 || prio > MAX_RT_PRIO - 1) return -Errno.EINVAL;
  if ((policy === SCHED_DEADLINE && !checkParamDl(a)) || rtPolicy(policy) !== (prio !== 0)) return -Errno.EINVAL;
  if (!capNice(t)) {
    // user_check_sched_setscheduler
    if (fairPolicy(policy) && a.nice !== null && a.nice < p.nice && !canNice(t, p, a.nice)) return -Errno.EPERM;
    if (rtPolicy(policy)) {
      const rlim = getLimit(p, RLIMIT_RTPRIO)[0];
      if (policy !== p.policy && !rlim) return -Errno.EPERM;
      if (prio > p.rtPriority && prio > rlim) return -Errno.EPERM;
    }
    if (policy === SCHED_DEADLINE) return -Errno.EPERM;
    // leaving SCHED_IDLE is lowering the nice value's worth of weight
    if (p.policy === SCHED_IDLE && policy !== SCHED_IDLE && !canNice(t, p, p.nice)) return -Errno.EPERM;
    if (!sameOwner(t, p)) return -Errno.EPERM;
    if (p.resetOnFork && !resetOnFork) return -Errno.EPERM;
  }
  if (a.flags & SCHED_FLAG_SUGOV) return -Errno.EINVAL;
  if (a.flags & SCHED_FLAG_UTIL_CLAMP) return -Errno.EOPNOTSUPP;
  if (policy === SCHED_DEADLINE) return -Errno.EBUSY;
  p.resetOnFork = resetOnFork;
  if (a.flags & SCHED_FLAG_KEEP_PARAMS) return 0;
  p.policy = policy;
  if (fairPolicy(policy) && a.nice !== null) {
    p.nice = a.nice;
    p.slice = a.runtime === 0n ? 0 : Number(a.runtime < SCHED_SLICE_MIN_NS ? SCHED_SLICE_MIN_NS : a.runtime > SCHED_SLICE_MAX_NS ? SCHED_SLICE_MAX_NS : a.runtime);
  }
  // (a fair or idle task's priority is 0, checked above)
  p.rtPriority = prio;
  return 0;
}

/** A task's EEVDF slice, ns: its own (sched_setattr's runtime) or the default for this many vCPUs. */
function sliceOf(t: Task, p: Task): number {
  if (p.slice !== 0) return p.slice;
  return SCHED_BASE_SLICE_NS * (1 + Math.floor(Math.log2(Math.min(8, t.kernel.sched.ncpus))));
}

/** do_sched_setscheduler: pid >= 0 and a struct sched_param (EINVAL), the task (ESRCH). */
function doSetscheduler(t: Task, pid: number, policy: number, param: number): number {
  if (param === 0 || pid < 0) return -Errno.EINVAL;
  const prio = readStruct(t, param, 4).getInt32(0, true);
  const p = findTask(t, pid);
  if (!p) return -Errno.ESRCH;
  let flags = 0;
  if (policy !== SETPARAM_POLICY) {
    if (policy & SCHED_RESET_ON_FORK) flags = SCHED_FLAG_RESET_ON_FORK;
    policy &= ~SCHED_RESET_ON_FORK;
    // (sched_setscheduler has no SCHED_DEADLINE parameters: EINVAL, as on Linux)
    if (policy === SCHED_DEADLINE) return -Errno.EINVAL;
  }
  return setScheduler(t, p, { policy, priority: prio, flags, nice: null, runtime: 0n, deadline: 0n, period: 0n });
}

/** sched_setscheduler(2) */
export function sys_sched_setscheduler(t: Task, r: Regs): number {
  const pid = r.getI32(A0), policy = r.getI32(A1), param = r.get(A2);
  if (policy < 0) return -Errno.EINVAL;
  return doSetscheduler(t, pid, policy, param);
}

/** sched_setparam(2) */
export function sys_sched_setparam(t: Task, r: Regs): number {
  return doSetscheduler(t, r.getI32(A0), SETPARAM_POLICY, r.get(A1));
}

/** sched_getscheduler(2): the policy, with SCHED_RESET_ON_FORK if set. */
export function sys_sched_getscheduler(t: Task, r: Regs): number {
  const pid = r.getI32(A0);
  if (pid < 0) return -Errno.EINVAL;
  const p = findTask(t, pid);
  if (!p) return -Errno.ESRCH;
  return p.policy | (p.resetOnFork ? SCHED_RESET_ON_FORK : 0);
}

/** sched_getparam(2): the real-time priority (0 for the other policies). */
export function sys_sched_getparam(t: Task, r: Regs): number {
  const pid = r.getI32(A0), param = r.get(A1);
  if (param === 0 || pid < 0) return -Errno.EINVAL;
  const p = findTask(t, pid);
  if (!p) return -Errno.ESRCH;
  writeStruct(t, param, 4, (dv) => dv.setInt32(0, p.rtPriority, true));
  return 0;
}

/** struct sched_attr's offsets */
const SA_SIZE = 0, SA_POLICY = 4, SA_FLAGS = 8, SA_NICE = 16, SA_PRIORITY = 20, SA_RUNTIME = 24, SA_DEADLINE = 32,
  SA_PERIOD = 40;

/** get_params: what sched_getattr reports and SCHED_FLAG_KEEP_PARAMS keeps. */
function getParams(t: Task, p: Task, a: SchedAttr): void {
  if (rtPolicy(p.policy)) {
    a.priority = p.rtPriority;
  } else {
    a.nice = p.nice;
    a.runtime = BigInt(sliceOf(t, p));
  }
}

/**
 * sched_setattr(2): sched_copy_attr's size rules (0 is the first version's
 * 48 bytes; under 48 or over a page, or non-zero bytes past what Linux
 * knows: E2BIG, the size Linux knows written back), a nice value clamped to
 * [-20, 19], SCHED_FLAG_KEEP_POLICY and KEEP_PARAMS, then setScheduler.
 */
export function sys_sched_setattr(t: Task, r: Regs): number {
  const pid = r.getI32(A0), uattr = r.get(A1), flags = r.getU32(A2);
  if (uattr === 0 || pid < 0 || flags !== 0) return -Errno.EINVAL;
  let size = readStruct(t, uattr, 4).getUint32(0, true);
  if (size === 0) size = SCHED_ATTR_SIZE_VER0;
  const b = size < SCHED_ATTR_SIZE_VER0 || size > PAGE_SIZE ? -Errno.E2BIG : copyStructFromUser(t, uattr, size, SCHED_ATTR_SIZE_VER1);
  if (typeof b === 'number') {
    if (b === -Errno.E2BIG) writeStruct(t, uattr + SA_SIZE, 4, (dv) => dv.setUint32(0, SCHED_ATTR_SIZE_VER1, true));
    return b;
  }
  const dv = new DataView(b.buffer);
  const a: SchedAttr = {
    policy: dv.getUint32(SA_POLICY, true) | 0,
    // (a bit above the 32 Linux knows stands for itself as an unknown one: EINVAL)
    flags: Number(dv.getBigUint64(SA_FLAGS, true) & 0xffffffffn) | (dv.getUint32(SA_FLAGS + 4, true) !== 0 ? 0x40000000 : 0),
    nice: Math.min(MAX_NICE, Math.max(MIN_NICE, dv.getInt32(SA_NICE, true))),
    priority: dv.getUint32(SA_PRIORITY, true),
    runtime: dv.getBigUint64(SA_RUNTIME, true),
    deadline: dv.getBigUint64(SA_DEADLINE, true),
    period: dv.getBigUint64(SA_PERIOD, true),
  };
  if (a.flags & SCHED_FLAG_UTIL_CLAMP && size < SCHED_ATTR_SIZE_VER1) return -Errno.EINVAL;
  if (a.policy < 0) return -Errno.EINVAL;
  if (a.flags & SCHED_FLAG_KEEP_POLICY) a.policy = SETPARAM_POLICY;
  const p = findTask(t, pid);
  if (!p) return -Errno.ESRCH;
  if (a.flags & SCHED_FLAG_KEEP_PARAMS) getParams(t, p, a);
  return setScheduler(t, p, a);
}

/**
 * sched_getattr(2): the struct Linux knows (its size: the smaller of
 * theirs and ours), zeros in a larger caller's tail. No utilization clamps
 * (0, as without CONFIG_UCLAMP_TASK).
 */
export function sys_sched_getattr(t: Task, r: Regs): number {
  const pid = r.getI32(A0), uattr = r.get(A1), usize = r.getU32(A2), flags = r.getU32(A3);
  if (uattr === 0 || pid < 0 || usize > PAGE_SIZE || usize < SCHED_ATTR_SIZE_VER0 || flags !== 0) return -Errno.EINVAL;
  const p = findTask(t, pid);
  if (!p) return -Errno.ESRCH;
  const a: SchedAttr = { policy: p.policy, priority: 0, flags: p.resetOnFork ? SCHED_FLAG_RESET_ON_FORK : 0, nice: 0, runtime: 0n, deadline: 0n, period: 0n };
  getParams(t, p, a);
  const ksize = SCHED_ATTR_SIZE_VER1, n = Math.min(usize, ksize);
  const b = new Uint8Array(ksize), dv = new DataView(b.buffer);
  dv.setUint32(SA_SIZE, n, true);
  dv.setUint32(SA_POLICY, a.policy, true);
  dv.setBigUint64(SA_FLAGS, BigInt(a.flags), true);
  dv.setInt32(SA_NICE, a.nice ?? 0, true);
  dv.setUint32(SA_PRIORITY, a.priority, true);
  dv.setBigUint64(SA_RUNTIME, a.runtime, true);
  // copy_struct_to_user: the caller's bytes past ours are cleared
  if (usize > ksize) clearUser(t, uattr + ksize, usize - ksize);
  copyOut(t, uattr, b, 0, n);
  return 0;
}

/** sched_get_priority_max(2) */
export function sys_sched_get_priority_max(_t: Task, r: Regs): number {
  const policy = r.getI32(A0);
  if (rtPolicy(policy)) return MAX_RT_PRIO - 1;
  return validPolicy(policy) || policy === SCHED_DEADLINE ? 0 : -Errno.EINVAL;
}

/** sched_get_priority_min(2) */
export function sys_sched_get_priority_min(_t: Task, r: Regs): number {
  const policy = r.getI32(A0);
  if (rtPolicy(policy)) return 1;
  return validPolicy(policy) || policy === SCHED_DEADLINE ? 0 : -Errno.EINVAL;
}

/**
 * sched_rr_get_interval(2): SCHED_RR's time slice (100 ms); 0 for FIFO, and
 * for the fair policies, whose slice rounds to no jiffies (EEVDF's base
 * slice is shorter than a tick).
 */
export function sys_sched_rr_get_interval(t: Task, r: Regs): number {
  const pid = r.getI32(A0), tp = r.get(A1);
  if (pid < 0) return -Errno.EINVAL;
  const p = findTask(t, pid);
  if (!p) return -Errno.ESRCH;
  writeTimespec(t, tp, p.policy === SCHED_RR ? RR_TIMESLICE_NS : 0n);
  return 0;
}

// ---- CPU affinity -----------------------------------------------------------------------------

/**
 * sched_getaffinity(2): the task's vCPUs; returns the bytes written,
 * min(len, cpumask_size()): a mask of NR_CPUS bits (the host's, see
 * fs/sysfs.ts), as a kernel without CPUMASK_OFFSTACK answers.
 */
export function sys_sched_getaffinity(t: Task, r: Regs): number {
  const pid = r.getI32(A0), len = r.get(A1), mask = r.get(A2);
  const n = t.kernel.sched.ncpus;
  if (len * 8 < n || len % 8 !== 0) return -Errno.EINVAL;
  const size = Math.min(len, Math.ceil(t.kernel.vfs.sysCpu.nrCpus / 64) * 8);
  const p = findTask(t, pid);
  if (!p) return -Errno.ESRCH;
  const b = new Uint8Array(size);
  for (let i = 0; i < n; i++) if (p.affinity === null || p.affinity[i]) b[i >> 3]! |= 1 << (i & 7);
  copyOut(t, mask, b);
  return size;
}

/**
 * sched_setaffinity(2): the mask is cut to the vCPUs (bits past them are
 * ignored, as CPUs that are not online); nothing left is EINVAL. The
 * target needs the same owner or CAP_SYS_NICE.
 */
export function sys_sched_setaffinity(t: Task, r: Regs): number {
  const pid = r.getI32(A0), len = r.get(A1), mask = r.get(A2);
  const n = t.kernel.sched.ncpus;
  // get_user_cpu_mask: a short mask is zero-extended, a long one cut
  const b = copyIn(t, mask, Math.min(len, Math.ceil(n / 8)));
  const p = findTask(t, pid);
  if (!p) return -Errno.ESRCH;
  if (!sameOwner(t, p) && !capNice(t)) return -Errno.EPERM;
  const allowed: boolean[] = [];
  let any = false, all = true;
  for (let i = 0; i < n; i++) {
    allowed[i] = i >> 3 < b.length && (b[i >> 3]! & (1 << (i & 7))) !== 0;
    any ||= allowed[i]!;
    all &&= allowed[i]!;
  }
  if (!any) return -Errno.EINVAL;
  p.affinity = all ? null : allowed;
  // a task waiting for a vCPU may now have one free
  if (p !== t && t.kernel.sched.reconsider(p)) t.kernel.start(p);
  // the caller keeping a vCPU its mask now excludes: it takes an allowed one as it returns
  if (p === t && t.cpu >= 0 && !all && !allowed[t.cpu]) t.kernel.yieldCpu(t);
  return 0;
}

/** sched_yield(2): a task that keeps its vCPU through its syscalls (others wait) gives it up and queues behind them. */
export function sys_sched_yield(t: Task): number {
  t.kernel.yieldCpu(t);
  return 0;
}
