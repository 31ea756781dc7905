/**
 * The shape of a syscall handler: `(task, regs) => result`. The handler's
 * first lines decode its arguments from the registers into typed locals
 * (A0..A5 are the argument registers in order); it returns a result >= 0 or
 * -errno, or BLOCKED after queueing the task on a wait (the kernel re-runs
 * the handler when the task is woken). Kernel code may also throw
 * ErrnoError; the dispatcher turns it into -errno.
 */
import type { Task } from '../kernel/task.js';
import { Regs, RDI, RSI, RDX, R10, R8, R9 } from '../platform/regs.js';

export const A0 = RDI, A1 = RSI, A2 = RDX, A3 = R10, A4 = R8, A5 = R9;

export { BLOCKED, REGS_SET } from '../kernel/syscall.js';

export type SyscallHandler = (t: Task, r: Regs) => number;

/** Support level, as gVisor's table records it. */
export type SyscallStatus = 'supported' | 'partial' | 'stub';

export interface SyscallRow {
  name: string;
  handler: SyscallHandler;
  status: SyscallStatus;
  /** what is missing, for 'partial' and 'stub' rows */
  note?: string;
  /**
   * What a signal does to this syscall while it sleeps (signal(7), "Interruption
   * of system calls"): 'sys' (default) restarts it after a SA_RESTART handler
   * and fails it with EINTR otherwise (-ERESTARTSYS); 'nohand' restarts it only
   * when no handler runs (-ERESTARTNOHAND: poll, select, nanosleep...); 'never'
   * always fails it with EINTR.
   */
  restart?: 'sys' | 'nohand' | 'never';
}
