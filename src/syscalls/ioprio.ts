/**
 * I/O priorities (block/ioprio.c): ioprio_set, ioprio_get. Kept per task
 * and inherited (copy_io), with Linux's checks; umlts's host I/O does not
 * weigh them. A task that never set one has none (class NONE), and
 * ioprio_get of a group or a user reports such a task's as the one its nice
 * value and policy imply (__get_task_ioprio), the best (lowest) of all.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2 } from './types.js';
import {
  IOPRIO_WHO_PROCESS, IOPRIO_WHO_USER, IOPRIO_CLASS_NONE, IOPRIO_CLASS_RT, IOPRIO_CLASS_BE,
  IOPRIO_CLASS_IDLE, IOPRIO_CLASS_SHIFT, IOPRIO_LEVEL_MASK, SCHED_IDLE, SCHED_FIFO, SCHED_RR,
} from '../abi/resource.js';
import { prioTargets, capNice } from './sched.js';

/** ioprio_check_cap: a class Linux has (EINVAL), RT only with CAP_SYS_NICE or CAP_SYS_ADMIN (EPERM), no level
 * without a class. The hint bits between are not checked. */
export function checkCap(t: Task, ioprio: number): number {
  const cls = (ioprio >> IOPRIO_CLASS_SHIFT) & 7, level = ioprio & IOPRIO_LEVEL_MASK;
  switch (cls) {
    case IOPRIO_CLASS_RT:
      if (!capNice(t)) return -Errno.EPERM;
      return 0;
    case IOPRIO_CLASS_BE:
    case IOPRIO_CLASS_IDLE:
      return 0;
    case IOPRIO_CLASS_NONE:
      return level !== 0 ? -Errno.EINVAL : 0;
    default:
      return -Errno.EINVAL;
  }
}

/** The (which, who) of ioprio_set/ioprio_get: getpriority's targets (IOPRIO_WHO_* are PRIO_* + 1). */
function targets(t: Task, which: number, who: number): Task[] | number {
  if (which < IOPRIO_WHO_PROCESS || which > IOPRIO_WHO_USER) return -Errno.EINVAL;
  return prioTargets(t, which - 1, who);
}

/** ioprio_set(2): set_task_ioprio on each target, the first failure ending it (the caller owns the task, or has
 * CAP_SYS_NICE); ESRCH when none. The value is kept as Linux keeps it, an unsigned short. */
export function sys_ioprio_set(t: Task, r: Regs): number {
  const which = r.getI32(A0), who = r.getI32(A1), ioprio = r.getI32(A2);
  const e = checkCap(t, ioprio);
  if (e < 0) return e;
  const ps = targets(t, which, who);
  if (typeof ps === 'number') return ps;
  if (ps.length === 0) return -Errno.ESRCH;
  for (const p of ps) {
    if (p.creds.uid !== t.creds.euid && p.creds.uid !== t.creds.uid && !capNice(t)) return -Errno.EPERM;
    p.ioprio = ioprio & 0xffff;
  }
  return 0;
}

/** __get_task_ioprio: a task with none has the one its nice value and policy imply. */
function effective(p: Task): number {
  if (p.ioprio >> IOPRIO_CLASS_SHIFT !== IOPRIO_CLASS_NONE) return p.ioprio;
  const cls = p.policy === SCHED_IDLE ? IOPRIO_CLASS_IDLE : p.policy === SCHED_FIFO || p.policy === SCHED_RR ? IOPRIO_CLASS_RT : IOPRIO_CLASS_BE;
  return (cls << IOPRIO_CLASS_SHIFT) | Math.floor((p.nice + 20) / 5);
}

/** ioprio_get(2): one task's as set (0: none), or the best of a group's or a user's tasks. */
export function sys_ioprio_get(t: Task, r: Regs): number {
  const which = r.getI32(A0), who = r.getI32(A1);
  const ps = targets(t, which, who);
  if (typeof ps === 'number') return ps;
  if (ps.length === 0) return -Errno.ESRCH;
  if (which === IOPRIO_WHO_PROCESS) return ps[0]!.ioprio;
  let best = Infinity;
  for (const p of ps) best = Math.min(best, effective(p));
  return best;
}
