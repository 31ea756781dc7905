/**
 * The syscall dispatcher: table lookup, ErrnoError → -errno, the one ENOSYS
 * message per number, and the strace hook. The only logging on this path is
 * behind --strace.
 */
import { SYSCALL_TABLE } from '../syscalls/table.js';
import { SYSCALL_NAMES } from '../syscalls/nr.js';
import { BLOCKED, REGS_SET } from '../syscalls/types.js';
import { straceLine } from '../syscalls/strace.js';
import { Errno, ErrnoError } from './errno.js';
import type { Task } from './task.js';

/** Run the handler for syscall nr; returns its result, -errno, or BLOCKED. */
export function dispatchSyscall(task: Task, nr: number): number {
  const k = task.kernel;
  k.currentPid = task.pid;
  k.current = task;
  const row = SYSCALL_TABLE[nr];
  let ret: number;
  if (row === undefined) {
    if (!k.reportedEnosys.has(nr)) {
      k.reportedEnosys.add(nr);
      k.warn(`unimplemented syscall ${SYSCALL_NAMES[nr] ?? '?'} (${nr}) returns ENOSYS`);
    }
    ret = -Errno.ENOSYS;
  } else {
    try {
      ret = row.handler(task, task.regs);
    } catch (e) {
      if (!(e instanceof ErrnoError)) throw e;
      ret = -e.errno;
    }
  }
  if (k.opts.strace && ret !== BLOCKED && ret !== REGS_SET) k.warnRaw(straceLine(task, nr, ret));
  return ret;
}

/** Write the result into the task's registers (rax). */
export function finishSyscall(task: Task, ret: number): void {
  task.regs.setResult(ret);
}

/** How a signal ends this syscall while it sleeps (the row's restart field). */
export function restartMode(nr: number): 'sys' | 'nohand' | 'never' {
  return SYSCALL_TABLE[nr]?.restart ?? 'sys';
}
