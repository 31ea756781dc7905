/**
 * The syscall dispatcher: the front end's syscall hook, table lookup,
 * ErrnoError → -errno, the one ENOSYS message per number, and the tracer
 * (--strace, the library's 'syscall' events). The only logging on this path
 * is behind the tracer; with neither hook nor tracer set each costs one test.
 *
 * The table itself lives in syscalls/ (which imports the kernel, never the
 * other way round): the front end hands it to the kernel (KernelOptions).
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import { OutOfMemory } from '../mm/physmem.js';
import { StubFailed, ContextGone } from '../platform/platform.js';
import type { Regs } from '../platform/regs.js';
import type { Task } from './task.js';
import type { SigInfo } from './signal.js';
import { KernelPanic } from './kernel.js';
import { secureComputing } from './seccomp.js';
import { SECCOMP_MODE_DISABLED } from '../abi/seccomp.js';

/** Returned by a handler whose task went to sleep (or is gone); never seen by the guest. */
export const BLOCKED = -0x10000;
/** Returned by a handler that set every register itself (rt_sigreturn, execve): no result to store. */
export const REGS_SET = -0x10001;

/**
 * A syscall hook (the library's `hooks`): asked once as each syscall enters,
 * after the guest's own seccomp filters and before its handler; returns
 * NO_VERDICT to let it run, or the result the guest gets instead (-errno to
 * deny, a value to emulate).
 */
export type SyscallHook = (task: Task, nr: number) => number;
/** A syscall hook's "go on". */
export const NO_VERDICT = -0x10002;

/** What --strace and the library's 'syscall' events see: each finished syscall, each signal delivered. */
export interface SyscallTracer {
  syscall(task: Task, nr: number, ret: number): void;
  signal(task: Task, sig: number, info: SigInfo): void;
}

/** What the kernel needs of one syscall table row. */
export interface SyscallEntry {
  handler(t: Task, r: Regs): number;
  /** how a signal ends it while it sleeps (see syscalls/types.ts SyscallRow) */
  restart?: 'sys' | 'nohand' | 'never';
}

/** The syscall table as the kernel sees it: rows by number, names, the strace formatter. Immutable. */
export interface SyscallTable {
  readonly rows: Readonly<Record<number, SyscallEntry | undefined>>;
  name(nr: number): string | undefined;
  /** the --strace line for a finished call */
  strace(task: Task, nr: number, ret: number): string;
}

/**
 * Run the handler for syscall nr; returns its result, -errno, or BLOCKED.
 *
 * What a handler may throw: ErrnoError (the guest's errno), OutOfMemory
 * (the OOM killer), StubFailed/ContextGone (the trap loop's contain()
 * kills that process), KernelPanic (an invariant of the whole kernel is
 * gone: everything ends). Anything else is a bug met while acting for
 * this task, and is contained as Linux contains an oops in process
 * context: the caller dies, the kernel and every other guest go on.
 */
export function dispatchSyscall(task: Task, nr: number): number {
  const k = task.kernel;
  k.currentPid = task.pid;
  k.current = task;
  const table = k.opts.syscalls;
  const row = table.rows[nr];
  let ret = NO_VERDICT;
  // what an earlier call looked up without sleeping (or a lookup outside any call) is not this call's
  if (!task.sc.holding) task.sc.file0 = task.sc.file1 = null;
  // the guest's own seccomp filters, then the library's hook: asked once per syscall, not again when a
  // sleeping call is re-run (but for a call that waits for its seccomp listener's answer)
  if (!task.sc.hooked || task.sc.notif !== null) {
    task.sc.hooked = true;
    if (task.seccompMode !== SECCOMP_MODE_DISABLED) ret = secureComputing(task, nr);
    if (ret === NO_VERDICT && k.syscallHook !== null) ret = k.syscallHook(task, nr);
  }
  if (ret !== NO_VERDICT) {
    // the hook denied or emulated it: the handler does not run
  } else if (row === undefined) {
    if (!k.reportedEnosys.has(nr)) {
      k.reportedEnosys.add(nr);
      k.warn(`unimplemented syscall ${table.name(nr) ?? '?'} (${nr}) returns ENOSYS`);
    }
    ret = -Errno.ENOSYS;
  } else {
    try {
      ret = row.handler(task, task.regs);
    } catch (e) {
      if (e instanceof OutOfMemory) {
        // guest memory ran out under the call (copying out to a fresh page,
        // say): the OOM killer's turn; the caller dies or, another process
        // killed instead, its call fails with ENOMEM (a handler cannot go
        // on from the middle), returned once the victim's frames are back:
        // a caller that tries again at once would find none yet
        if (k.outOfMemory(task)) return BLOCKED;
        task.sc.done();
        finishSyscall(task, -Errno.ENOMEM);
        task.sc.returning = true;
        k.waitForFrames(task, 'resume');
        return BLOCKED;
      }
      if (e instanceof KernelPanic || e instanceof StubFailed || e instanceof ContextGone) throw e;
      if (!(e instanceof ErrnoError)) {
        k.internalError(task, table.name(nr) ?? `syscall ${nr}`, e);
        return BLOCKED;
      }
      ret = -e.errno;
    }
  }
  if (k.tracer !== null && ret !== BLOCKED && ret !== REGS_SET) k.tracer.syscall(task, nr, ret);
  return ret;
}

/** Write the result into the task's registers (rax). */
export function finishSyscall(task: Task, ret: number): void {
  task.regs.setResult(ret);
}

/** How a signal ends this syscall while it sleeps (the row's restart field). */
export function restartMode(task: Task, nr: number): 'sys' | 'nohand' | 'never' {
  return task.kernel.opts.syscalls.rows[nr]?.restart ?? 'sys';
}
