/**
 * Scheduling attributes (kernel/sched/syscalls.c, kernel/sys.c's
 * getpriority/setpriority): nice values, policies and real-time
 * priorities, CPU affinity, sched_yield.
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
import { A0, A1, A2 } from './types.js';
import {
  PRIO_PROCESS, PRIO_PGRP, PRIO_USER, MIN_NICE, MAX_NICE, SCHED_NORMAL, SCHED_FIFO, SCHED_RR, SCHED_BATCH,
  SCHED_IDLE, SCHED_DEADLINE, SCHED_RESET_ON_FORK, MAX_RT_PRIO, RR_TIMESLICE_NS, RLIMIT_NICE, RLIMIT_RTPRIO,
} from '../abi/resource.js';
import { getLimit } from './process.js';
import { copyIn, copyOut, readStruct, writeStruct, writeTimespec } from './uaccess.js';

/** CAP_SYS_NICE */
function capNice(t: Task): boolean {
  return t.creds.euid === 0;
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
function prioTargets(t: Task, which: number, who: number): Task[] {
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

/**
 * __sched_setscheduler's checks and change: policy -1 keeps the current one
 * (sched_setparam). SCHED_DEADLINE needs sched_setattr's parameters (EINVAL
 * here, as through sched_setscheduler on Linux).
 */
function setScheduler(t: Task, p: Task, policy: number, prio: number): number {
  let resetOnFork = p.resetOnFork;
  if (policy === SETPARAM_POLICY) {
    policy = p.policy;
  } else {
    resetOnFork = (policy & SCHED_RESET_ON_FORK) !== 0;
    policy &= ~SCHED_RESET_ON_FORK;
    if (!validPolicy(policy) && policy !== SCHED_DEADLINE) return -Errno.EINVAL;
  }
  if (prio < 0 || prio > MAX_RT_PRIO - 1) return -Errno.EINVAL;
  if (policy === SCHED_DEADLINE || rtPolicy(policy) !== (prio !== 0)) return -Errno.EINVAL;
  if (!capNice(t)) {
    if (rtPolicy(policy)) {
      const rlim = getLimit(p, RLIMIT_RTPRIO)[0];
      if (policy !== p.policy && !rlim) return -Errno.EPERM;
      if (prio > p.rtPriority && prio > rlim) return -Errno.EPERM;
    }
    // leaving SCHED_IDLE is lowering the nice value's worth of weight
    if (p.policy === SCHED_IDLE && policy !== SCHED_IDLE && !canNice(t, p, p.nice)) return -Errno.EPERM;
    if (!sameOwner(t, p)) return -Errno.EPERM;
    if (p.resetOnFork && !resetOnFork) return -Errno.EPERM;
  }
  p.policy = policy;
  p.rtPriority = prio;
  p.resetOnFork = resetOnFork;
  return 0;
}

/** do_sched_setscheduler: pid >= 0 and a struct sched_param (EINVAL), the task (ESRCH). */
function doSetscheduler(t: Task, pid: number, policy: number, param: number): number {
  if (param === 0 || pid < 0) return -Errno.EINVAL;
  const prio = readStruct(t, param, 4).getInt32(0, true);
  const p = findTask(t, pid);
  if (!p) return -Errno.ESRCH;
  return setScheduler(t, p, policy, prio);
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
