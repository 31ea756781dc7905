/**
 * struct task_struct: one guest thread. A Task runs on one HostThread (its own
 * host thread: one host process per guest process, CLONE_VM propagated for
 * threads) and belongs to one ThreadGroup (the guest process).
 *
 * Ownership: a Task's fields are written only by the kernel while handling
 * that task's trap (the task is stopped), or by the code that wakes it.
 */
import type { Kernel } from './kernel.js';
import type { AddressSpace } from '../mm/address_space.js';
import type { FdTable } from '../fs/file.js';
import type { FsContext } from '../fs/vfs.js';
import type { HostThread } from '../platform/ptrace.js';
import type { WaitQueue, Waiter } from '../fs/waitqueue.js';
import { Regs } from '../platform/regs.js';
import { Creds } from './creds.js';
import { BLOCKED } from '../syscalls/types.js';

/** struct k_sigaction, as rt_sigaction(2) records it. */
export interface SigAction {
  handler: number;
  flags: number;
  restorer: number;
  /** 64-bit mask as [low, high] words */
  maskLo: number;
  maskHi: number;
}

/** A guest process (struct signal_struct + the pid bookkeeping). */
export class ThreadGroup {
  /** guest pid; immutable */
  readonly tgid: number;
  /** parent's guest pid (0 for the init of the guest); written by the kernel on reparenting */
  ppid: number;
  pgid: number;
  sid: number;
  /** threads, the leader first; guarded by the JS thread */
  readonly tasks: Task[] = [];
  /** exit_group status (wait status encoding) once exiting; null while alive */
  exitStatus: number | null = null;
  /** signal dispositions (shared by the threads); index = signal number */
  readonly sigactions: SigAction[] = [];
  /** executable's guest path, for /proc/<pid>/exe */
  exe = '';
  /** argv as one NUL-separated block, for /proc/<pid>/cmdline */
  cmdline = new Uint8Array(0);
  /** RLIMITs as [soft, hard] (numbers; Infinity for RLIM_INFINITY) */
  readonly rlimits = new Map<number, [number, number]>();
  constructor(tgid: number, ppid: number) {
    this.tgid = tgid;
    this.ppid = ppid;
    this.pgid = tgid;
    this.sid = tgid;
  }
}

export type TaskState = 'runnable' | 'running' | 'blocked' | 'zombie' | 'dead';

export class Task {
  /** Registers as of the last trap; written back before the task resumes. Owned by this task. */
  readonly regs = new Regs();
  state: TaskState = 'runnable';
  /** stopped in the seccomp filter (not at a SYSEMU stop): resume must cancel the syscall */
  atSeccomp = false;
  /** blocked in a syscall: the wait queue and waiter to remove when woken */
  private waitq: WaitQueue | null = null;
  private waiter: Waiter | null = null;
  /** deadline (CLOCK_MONOTONIC ns) of a blocked syscall's timeout, or 0 */
  wakeAt = 0n;
  /** state a restartable blocking syscall keeps across re-runs (e.g. nanosleep's deadline) */
  syscallState: unknown = null;
  /** rt_sigprocmask: blocked signals [low, high]; owned by this task */
  sigmaskLo = 0;
  sigmaskHi = 0;
  /** set_tid_address(2) */
  clearChildTid = 0;
  /** set_robust_list(2) */
  robustList = 0;
  robustListLen = 0;
  /** thread name (prctl PR_SET_NAME, /proc/<pid>/comm) */
  comm = '';
  /** vCPU this task runs on while running (-1 when not on a CPU) */
  cpu = -1;
  /** prctl(PR_SET_PDEATHSIG) */
  pdeathSig = 0;
  /** prctl(PR_SET_NO_NEW_PRIVS) */
  noNewPrivs = false;
  /** sigaltstack(2) as recorded */
  altStackSp = 0;
  altStackFlags = 2; // SS_DISABLE
  altStackSize = 0;

  constructor(
    readonly kernel: Kernel,
    /** guest tid; immutable */
    readonly tid: number,
    /** immutable */
    readonly tg: ThreadGroup,
    public mm: AddressSpace,
    public thread: HostThread,
    public files: FdTable,
    public fs: FsContext,
    public creds: Creds,
  ) {}

  /**
   * Put this task to sleep on wq until a wake() that the handler, re-run,
   * finds satisfying (the kernel re-runs the blocked syscall from scratch).
   * Returns BLOCKED for the handler to return.
   */
  sleepOn(wq: WaitQueue): number {
    this.state = 'blocked';
    this.waitq = wq;
    this.waiter = () => this.kernel.wake(this);
    wq.add(this.waiter);
    return BLOCKED;
  }
  /** Sleep with no queue: only a timeout (wakeAt) or a signal wakes it. */
  sleep(): number {
    this.state = 'blocked';
    return BLOCKED;
  }
  /** Called by the kernel as the task wakes: leave the wait queue. */
  unqueue(): void {
    if (this.waitq && this.waiter) this.waitq.remove(this.waiter);
    this.waitq = null;
    this.waiter = null;
  }
  get pid(): number {
    return this.tg.tgid;
  }
}
