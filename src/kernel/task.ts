/**
 * struct task_struct: one guest thread. A Task runs on one Context (its own
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
import type { Context } from '../platform/platform.js';
import type { WaitQueue, Waiter } from '../fs/waitqueue.js';
import { Regs } from '../platform/regs.js';
import { Creds } from './creds.js';
import { BLOCKED } from './syscall.js';
import { SigPending } from './signal.js';
import { WaitQueue as WQ } from '../fs/waitqueue.js';

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
/** A process's interval and POSIX timers (syscalls/timer.ts makes them on first use). */
export interface ProcessTimerState {
  /** execve: the POSIX timers are deleted; alarm and the itimers stay */
  exec(): void;
  /** the process is gone: every timer stops */
  exit(): void;
}

export class ThreadGroup {
  /** guest pid; immutable */
  readonly tgid: number;
  /** its timers (signal_struct's itimers and posix_timers), made by the first timer call; owned by this process's tasks */
  timers: ProcessTimerState | null = null;
  /** the parent process (null for init); changed by the kernel when an orphan is reparented to init */
  parent: ThreadGroup | null = null;
  /** live and zombie children; guarded by the JS thread */
  readonly children = new Set<ThreadGroup>();
  /** wait4/waitid sleepers of this process (as a parent): woken on any child state change */
  readonly childWait = new WQ();
  /** process-directed pending signals */
  readonly sharedPending = new SigPending();
  /** the signal the parent gets when this process dies (clone's CSIGNAL; 0 for none) */
  exitSignal = 17;
  /** a zombie: dead, waiting to be reaped by its parent */
  zombie = false;
  /** job control: the signal that stopped the group, 0 while running */
  stopSig = 0;
  /** a stop / continue the parent has not yet collected with WUNTRACED / WCONTINUED */
  stopNotify = false;
  continueNotify = false;
  /** CPU time of the dead process's host threads, ns (for wait4's rusage and times()) */
  utimeNs = 0;
  /** children's CPU time, collected when reaped */
  cutimeNs = 0;
  /** when the process was created (monotonic ns), for /proc/<pid>/stat's starttime */
  readonly startNs = process.hrtime.bigint();
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
  constructor(tgid: number, parent: ThreadGroup | null) {
    this.tgid = tgid;
    this.parent = parent;
    this.pgid = parent ? parent.pgid : tgid;
    this.sid = parent ? parent.sid : tgid;
  }
  /** the parent's pid, as getppid(2) reports it (0 for init) */
  get ppid(): number {
    return this.parent?.tgid ?? 0;
  }
}

/**
 * runnable: woken, waiting to run its syscall again (or resume);
 * running: on a vCPU in guest code; blocked: asleep in a syscall;
 * stopped: job-control stop; zombie/dead: gone.
 */
/**
 * Where a task is in its current system call: how it entered, whether it
 * is returning a result, what a sleeping call keeps across re-runs and
 * undoes if a signal interrupts it, and the signal state a call changed
 * for its duration. Owned by its task; the kernel's trap, wake and signal
 * paths and the handlers of blocking calls read and write it.
 */
export class SyscallContext {
  /** entered through the seccomp filter (not a SYSEMU stop): resume must cancel the syscall */
  atSeccomp = false;
  /** returning from a syscall (rax holds its result): signal delivery applies restart rules */
  returning = false;
  /** when woken: re-run the blocked syscall, or just resume (its result is already set) */
  wakeMode: 'rerun' | 'resume' = 'rerun';
  /** what a restartable blocking syscall keeps across re-runs (e.g. nanosleep's deadline) */
  state: unknown = null;
  /** undo what a sleeping syscall armed (timers, registrations) when a signal
   * interrupts it; a number returned is the syscall's result (a write that
   * got part of its data through returns that count, not EINTR) */
  cleanup: (() => number | void) | null = null;
  /** rt_sigtimedwait: the set it waits for (wakes it even while blocked) */
  sigwaitLo = 0;
  sigwaitHi = 0;
  /** sigsuspend/ppoll/pselect: the mask to restore once a handler has been set up */
  savedMaskLo: number | null = null;
  savedMaskHi = 0;
  /** The call is over (returned, or ended by a signal): what it kept goes. */
  done(): void {
    this.state = null;
    this.cleanup = null;
    this.sigwaitLo = this.sigwaitHi = 0;
  }
}

export type TaskState = 'runnable' | 'running' | 'blocked' | 'stopped' | 'zombie' | 'dead';

export class Task {
  /** Registers as of the last trap; written back before the task resumes. Owned by this task. */
  readonly regs = new Regs();
  /** where it is in its current syscall; owned by this task */
  readonly sc = new SyscallContext();
  state: TaskState = 'runnable';
  /** page faults in a row at one address that the kernel answered by mapping
   * and that came straight back (reset by any syscall); past a few the guest
   * gets SIGSEGV instead of a livelock. Owned by this task. */
  faultRepeats = 0;
  faultAddr = -1;
  /** thread-directed pending signals */
  readonly pending = new SigPending();
  /** the vfork parent to wake when this child execs or exits */
  vforkParent: Task | null = null;
  /** a vfork child still using "our" memory: this task sleeps until it is done */
  vforkDone = true;
  /** blocked in a syscall: the wait queue and waiter to remove when woken */
  private waitq: WaitQueue | null = null;
  private waiter: Waiter | null = null;
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
  /** how long its stretches of guest code run (ns, moving average): the scheduler's placement hint */
  lastRunNs = 0;
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
    /** guest tid; changes only when a thread other than the leader execs (it takes the leader's) */
    public tid: number,
    /** immutable */
    readonly tg: ThreadGroup,
    public mm: AddressSpace,
    public thread: Context,
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
  /** Sleep with no queue: only a timer the handler armed, or a signal, wakes it. */
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
