/**
 * struct task_struct: one guest thread. A Task runs on one Context (its own
 * host thread: one host process per guest process, CLONE_VM propagated for
 * threads) and belongs to one ThreadGroup (the guest process).
 *
 * Ownership: a Task's fields are written only by the kernel while the task
 * is stopped (off its vCPU): its own trap and syscall, or another task's
 * syscall, a timer or a waker acting on it (wake, signals, exit). Each field
 * says which: "owned by this task" when only the first, "guarded by the JS
 * thread" when both.
 */
import type { CpuClock, CpuWaiter } from './cpu_clock.js';
import type { Kernel } from './kernel.js';
import type { AddressSpace } from '../mm/address_space.js';
import type { FdTable, File } from '../fs/file.js';
import type { FsContext } from '../fs/vfs.js';
import type { Context } from '../platform/platform.js';
import type { SemUndoList } from './ipc/sem.js';
import type { SeccompFilter } from './seccomp.js';
import type { Knotif } from './seccomp_notify.js';
import type { PtraceState, TraceeExit } from './ptrace.js';
import type { WaitQueue, Waiter } from '../fs/waitqueue.js';
import { Regs } from '../platform/regs.js';
import { Creds } from './creds.js';
import { BLOCKED } from './syscall.js';
import { SigPending } from './signal.js';
import { WaitQueue as WQ } from '../fs/waitqueue.js';
import { initRlimit } from '../abi/resource.js';

/** struct k_sigaction, as rt_sigaction(2) records it. A value, never written in
 * place (rt_sigaction, exec, fork and delivery put a new one in ThreadGroup.sigactions). */
export interface SigAction {
  handler: number;
  flags: number;
  restorer: number;
  /** 64-bit mask as [low, high] words */
  maskLo: number;
  maskHi: number;
}

/** A process's interval and POSIX timers (syscalls/timer.ts makes them on first use). */
export interface ProcessTimerState {
  /** execve: the POSIX timers are deleted; alarm and the itimers stay */
  exec(): void;
  /** the process is gone: every timer stops */
  exit(): void;
}

/**
 * A guest process (struct signal_struct + the pid bookkeeping). clone(2)
 * fills a new one in before its first task runs; after that each field is
 * written as its note says.
 */
export class ThreadGroup {
  /** guest pid; immutable */
  readonly tgid: number;
  /** its timers (signal_struct's itimers and posix_timers): made by its tasks' first timer call, their state
   * changed by those calls and by their own timer callbacks; dropped by exitGroup. Guarded by the JS thread. */
  timers: ProcessTimerState | null = null;
  /** its CPU clock and the RLIMIT_CPU check on it (cpu_clock.ts), made at the first use; guarded by the JS thread */
  cpuClock: CpuClock | null = null;
  cpuLimit: CpuWaiter | null = null;
  /** the parent process (null for init); guarded by the JS thread (the parent's exitGroup reparents it to init) */
  parent: ThreadGroup | null = null;
  /** live and zombie children; guarded by the JS thread (fork, the children's exit, our wait, our exitGroup) */
  readonly children = new Set<ThreadGroup>();
  /** wait4/waitid sleepers of this process (as a parent): woken on any child state change; guarded by the JS thread */
  readonly childWait = new WQ();
  /** pollers of pidfds naming this process: woken once, when it becomes a zombie; immutable reference */
  readonly exitWait = new WQ();
  /** process-directed pending signals; guarded by the JS thread (any sender adds, our tasks take) */
  readonly sharedPending = new SigPending();
  /** the thread each process-directed signal was last sent to (complete_signal's choice, woken for it), by
   * signal number; while that thread can take the signal, no other one does (signal_deliver.ts sharedHeld).
   * Guarded by the JS thread (signalProcess sets it) */
  readonly sharedTarget: (Task | null)[] = [];
  /** where complete_signal's search for a thread that wants a signal starts (its last choice; null: the first
   * thread); guarded by the JS thread (signalProcess) */
  currTarget: Task | null = null;
  /** the signal the parent gets when this process dies (clone's CSIGNAL; 0 for none); immutable after clone */
  exitSignal = 17;
  /** prctl's PR_SET_DUMPABLE (mm->flags' MMF_DUMPABLE): 1 unless the process said 0; a fork's copy keeps it, exec
   * sets 1 again. Only prctl reads it (ptrace's access check counts every process as dumpable). Guarded by the JS
   * thread (the process's prctl and exec, fork) */
  dumpable = 1;
  /** prctl's PR_SET_CHILD_SUBREAPER (signal->is_child_subreaper): orphans of its descendants come to it rather
   * than to init; a fork's copy starts without it, exec keeps it. Guarded by the JS thread (its prctl; exit reads) */
  childSubreaper = false;
  /** prctl's PR_SET_THP_DISABLE (MMF_DISABLE_THP): recorded and reported; a fork's copy and exec keep it. Guarded
   * by the JS thread (its prctl, fork) */
  thpDisable = false;
  /** a zombie: dead, waiting to be reaped by its parent; guarded by the JS thread (set once, by exitGroup) */
  zombie = false;
  /** reaped: gone from the kernel's table (its pidfds poll hung up); guarded by the JS thread (set once, by exit.ts) */
  reaped = false;
  /** job control: the signal that stopped the group, 0 while running; guarded by the JS thread (signal senders, exit) */
  stopSig = 0;
  /** a zombie traced by a process other than its parent, which its tracer has not waited for: its parent's
   * wait does not see it and no SIGCHLD has gone, until the tracer waits or is gone (ptrace.ts); guarded by
   * the JS thread (set as it exits, cleared by ptraceExitReaped) */
  notifyHeld = false;
  /** a stop / continue the parent has not yet collected with WUNTRACED / WCONTINUED;
   * guarded by the JS thread (set by group stop/continue, cleared by the parent's wait) */
  stopNotify = false;
  continueNotify = false;
  /** CPU time of the dead process's host threads, ns (for wait4's rusage and times()); guarded by the JS
   * thread (added as each leaves: detachTask). */
  utimeNs = 0;
  /** children's CPU time, collected when reaped; owned by this process's tasks (their wait) */
  cutimeNs = 0;
  /** signal_struct's maxrss, KiB: the peak resident set of the images its tasks left (exec, exit);
   * guarded by the JS thread (exec, detachTask) */
  maxrssKiB = 0;
  /** cmaxrss, KiB: the largest of its reaped children's maxrss and cmaxrss; owned by this process's tasks (their wait) */
  cmaxrssKiB = 0;
  /** when the process was created (monotonic ns), for /proc/<pid>/stat's starttime; immutable */
  readonly startNs = process.hrtime.bigint();
  /** process group; guarded by the JS thread (our setsid/setpgid, and the parent's setpgid on us) */
  pgid: number;
  /** session; owned by this process's tasks (setsid) */
  sid: number;
  /** threads, the leader first; guarded by the JS thread */
  readonly tasks: Task[] = [];
  /** exit_group status (wait status encoding) once exiting; null while alive; guarded by the JS thread (set once, by exitGroup) */
  exitStatus: number | null = null;
  /** signal dispositions (shared by the threads, and by the processes clone(CLONE_SIGHAND) made without
   * CLONE_THREAD: the same array, until exec gives a process its own); index = signal number; the entries are
   * owned by the sharing processes' tasks (rt_sigaction, exec, SA_RESETHAND and forced signals as they are
   * delivered), the reference by this process (clone, exec) */
  sigactions: SigAction[] = [];
  /** executable's guest path, for /proc/<pid>/exe; owned by this process's tasks (execve) */
  exe = '';
  /** argv as one NUL-separated block, for /proc/<pid>/cmdline; owned by this process's tasks (execve replaces
   * it, never writes into it: fork shares the array with the child) */
  cmdline = new Uint8Array(0);
  /** the tasks its threads trace (ptrace), and those gone that it has not waited for (not its own child
   * processes: their zombies say it); guarded by the JS thread (ptrace attach/detach, the tracees' exits, our wait) */
  readonly ptraced = new Set<Task>();
  readonly ptraceExits: TraceeExit[] = [];
  /** the auxiliary vector its image started with, for /proc/<pid>/auxv; owned by this process's tasks (execve
   * replaces it, never writes into it: fork shares the array with the child) */
  auxv: Uint8Array = new Uint8Array(0);
  /** RLIMITs as [soft, hard] (numbers; Infinity for RLIM_INFINITY); owned by this process's tasks (prlimit64 on itself) */
  readonly rlimits = new Map<number, [number, number]>();
  constructor(tgid: number, parent: ThreadGroup | null) {
    this.tgid = tgid;
    this.parent = parent;
    this.pgid = parent ? parent.pgid : tgid;
    this.sid = parent ? parent.sid : tgid;
  }
  /** The process's limit of res as [soft, hard] (Infinity: RLIM_INFINITY): its own, or the boot-time one. */
  limit(res: number): readonly [number, number] {
    return this.rlimits.get(res) ?? initRlimit(res);
  }
  /** the parent's pid, as getppid(2) reports it (0 for init) */
  get ppid(): number {
    return this.parent?.tgid ?? 0;
  }
}

/**
 * Where a task is in its current system call: how it entered, whether it
 * is returning a result, what a sleeping call keeps across re-runs and
 * undoes if a signal interrupts it, and the signal state a call changed
 * for its duration. One per task, written by its own trap and syscall
 * paths and, while it sleeps, by whoever wakes, interrupts or kills it
 * (wake, interrupt, groupContinue, detachTask): see each field.
 */
export class SyscallContext {
  /** entered through the seccomp filter (not a SYSEMU stop): resume must cancel the syscall; owned by its task */
  atSeccomp = false;
  /** returning from a syscall (rax holds its result): signal delivery applies restart rules;
   * guarded by the JS thread (interrupt() sets it for a sleeper) */
  returning = false;
  /** when woken: re-run the blocked syscall, or just resume (its result is already set);
   * guarded by the JS thread (set by whoever wakes the task) */
  wakeMode: 'rerun' | 'resume' = 'rerun';
  /** what a restartable blocking syscall keeps across re-runs (e.g. nanosleep's deadline);
   * guarded by the JS thread (its handlers set it; interrupt() clears it) */
  state: unknown = null;
  /** undo what a sleeping syscall armed (timers, registrations) when a signal
   * interrupts it; a number returned is the syscall's result (a write that
   * got part of its data through returns that count, not EINTR). Guarded by
   * the JS thread: its handlers set it; interrupt() and detachTask run and clear it. */
  cleanup: (() => number | void) | null = null;
  /** rt_sigtimedwait: the set it waits for (wakes it even while blocked); owned by its task (cleared by done()) */
  sigwaitLo = 0;
  sigwaitHi = 0;
  /** sigsuspend/ppoll/pselect: the mask to restore once a handler has been set up; owned by its task */
  savedMaskLo: number | null = null;
  savedMaskHi = 0;
  /** the seccomp filters and the syscall hook have seen this call (a re-run after a wake does not ask again);
   * owned by its task (cleared by done()) */
  hooked = false;
  /** the call waits for its seccomp listener's answer (kernel/seccomp_notify.ts); owned by its task, the
   * Knotif's state by the listener's holders too (cleared by done()) */
  notif: Knotif | null = null;
  /** the sleep may be ended only by a fatal signal (TASK_KILLABLE: a received seccomp notification under
   * WAIT_KILLABLE_RECV); guarded by the JS thread (its sleep and the listener set it; done() clears it) */
  uninterruptible = false;
  /** its tracer saw its entry (ptrace): the exit stop is still to come as it returns; guarded by the JS
   * thread (the entry stop sets it, the return path and a detach clear it) */
  ptraceExit = false;
  /** stopped at PTRACE_EVENT_SECCOMP: the re-run skips the call or asks the filters again (trap.ts); then
   * seccompRecheck: they asked again, and RET_TRACE allows it. Guarded by the JS thread (the stop sets the
   * first, the re-run turns it into the second, done() clears that) */
  seccompStop = false;
  seccompRecheck = false;
  /** The files the call looked up by fd (fileOf: at most two, splice's and sendfile's pair) and, once it has slept
   * (holding), holds: fdget's reference for the call's duration, so that its re-runs find at those fds the files
   * they first named whatever another thread closed or dup2'd there meanwhile (a blocked read keeps its pipe's
   * reader; a closed epoll fd's epoll_wait goes on). Owned by its task: fileOf records, hold() takes the
   * references as the call first sleeps, done() drops them (dispatchSyscall forgets what a call that did not
   * sleep looked up) */
  fd0 = -1;
  file0: File | null = null;
  fd1 = -1;
  file1: File | null = null;
  holding = false;
  /** The call sleeps: the files it looked up stay its own until it is over (nothing to hold for a call that
   * waits before its handler looked any up: a seccomp listener's answer, memory). */
  hold(): void {
    if (this.holding || (this.file0 === null && this.file1 === null)) return;
    this.holding = true;
    this.file0?.get();
    this.file1?.get();
  }
  /** The files the call held go (it is over: done(), or a wake that resumes the task with its result set). */
  dropFiles(): void {
    if (this.holding) {
      this.holding = false;
      this.file0?.put();
      this.file1?.put();
    }
    this.file0 = this.file1 = null;
  }
  /** The call is over (returned, or ended by a signal): what it kept goes. */
  done(): void {
    this.dropFiles();
    this.hooked = false;
    this.seccompRecheck = false;
    this.notif = null;
    this.uninterruptible = false;
    this.state = null;
    this.cleanup = null;
    this.sigwaitLo = this.sigwaitHi = 0;
  }
}

/**
 * runnable: woken, waiting to run its syscall again (or resume);
 * running: on a vCPU in guest code; blocked: asleep in a syscall;
 * stopped: job-control stop; traced: stopped for its tracer (ptrace); zombie/dead: gone.
 */
export type TaskState = 'runnable' | 'running' | 'blocked' | 'stopped' | 'traced' | 'zombie' | 'dead';

export class Task {
  /** its CPU clock (cpu_clock.ts), made at the first use; guarded by the JS thread */
  cpuClock: CpuClock | null = null;
  /** what its host thread's CPU clock said when this task took it, less what the task had used before (a
   * parked thread's earlier tasks counted theirs; exec's takeMm carries the task's own over): cpuNs() is the
   * difference; owned by this task (set by clone and exec) */
  cpuBaseNs = 0;
  /** The CPU time this task has used (ns): its host thread's since it took it. */
  cpuNs(): number {
    return Math.max(0, this.kernel.platform.threadCpuNs(this.thread) - this.cpuBaseNs);
  }
  /** Registers as of the last trap; written back before the task resumes. Guarded by the JS thread, written
   * only while the task is stopped: by its own trap and syscall, and by interrupt() (the result of a sleep a
   * signal ends). The host's copy is the platform's (HostThread). */
  readonly regs = new Regs();
  /** where it is in its current syscall; immutable reference (see SyscallContext for its fields) */
  readonly sc = new SyscallContext();
  /** guarded by the JS thread: the task itself, and whoever wakes, stops, continues or kills it */
  state: TaskState = 'runnable';
  /** page faults in a row at one address that the kernel answered by mapping
   * and that came straight back (reset by any syscall, and by an eviction of
   * the process's host mappings meanwhile); past a few the guest gets SIGSEGV
   * instead of a livelock. Owned by this task (its trap path). */
  faultRepeats = 0;
  faultAddr = -1;
  /** its address space's evictions (TlbBatch.hostFull) at its last fault; owned by this task (its trap path) */
  faultEvictions = 0;
  /** asleep on the kernel's framesWait (exit.ts: waitForFrames): 'resume' in a page fault, a signal's
   * delivery or a syscall that returns ENOMEM (a wake or a signal resumes it, to take the fault or deliver
   * again), 'rerun' in exit(2) or rt_sigreturn (the call is re-run, a signal does not end it); null otherwise. Guarded by the
   * JS thread (set by those paths, cleared by whoever wakes it) */
  awaitingFrames: 'resume' | 'rerun' | null = null;
  /** traced (ptrace): its side of the link, null when untraced; guarded by the JS thread (its tracer's
   * requests, its own stops, detach and exits) */
  ptrace: PtraceState | null = null;
  /** JOBCTL_STOP_PENDING: its group is stopping and this task has not stopped for it yet (a tracee resumed
   * by its tracer runs on in a stopped group); guarded by the JS thread (group stop and SIGCONT set and clear
   * it, its own stop clears it) */
  jobStopPending = false;
  /** thread-directed pending signals; guarded by the JS thread (any sender adds, delivery takes) */
  readonly pending = new SigPending();
  /** the vfork parent to wake when this child execs or exits; guarded by the JS thread (set by the parent's
   * clone, cleared by vforkRelease as this task execs, exits or is killed) */
  vforkParent: Task | null = null;
  /** a vfork child still using "our" memory: this task sleeps until it is done; guarded by the JS thread
   * (cleared by our clone, set again by the child's vforkRelease) */
  vforkDone = true;
  /** blocked in a syscall: the wait queue and waiter to remove when woken; guarded by the JS thread
   * (sleepOn sets them, unqueue() by whoever wakes us clears them) */
  private waitq: WaitQueue | null = null;
  private waiter: Waiter | null = null;
  /** rt_sigprocmask: blocked signals [low, high]; owned by this task (its syscalls, sigreturn, delivery) */
  sigmaskLo = 0;
  sigmaskHi = 0;
  /** set_tid_address(2); owned by this task (set by clone for the child before it runs) */
  clearChildTid = 0;
  /** task->sysvsem.undo_list: its SEM_UNDO adjustments (kernel/ipc/sem.ts), null until its first SEM_UNDO
   * operation; shared with the tasks clone(CLONE_SYSVSEM) made. Owned by this task (set by clone before it runs,
   * by its semop, unshare(CLONE_SYSVSEM) and exit); the list's users count is guarded by the JS thread. */
  sysvsem: SemUndoList | null = null;
  /** set_robust_list(2); owned by this task */
  robustList = 0;
  robustListLen = 0;
  /** restart_syscall(2)'s work (struct restart_block): set by a sleep a signal ended with ERESTART_RESTARTBLOCK
   * (a timed futex wait: its deadline kept), run by restart_syscall; owned by its task */
  restartBlock: ((t: Task) => number) | null = null;
  /** personality(2)'s persona (PER_LINUX and its flags); inherited by clone and fork, READ_IMPLIES_EXEC cleared
   * by a 64-bit exec; owned by this task */
  personality = 0;
  /** thread name (prctl PR_SET_NAME, /proc/<pid>/comm); owned by this task (prctl, execve) */
  comm = '';
  /** vCPU this task runs on while running (-1 when not on a CPU); owned by the Scheduler */
  cpu = -1;
  /** the vCPU it ran on last (getcpu(2), /proc/<pid>/stat's processor); owned by the Scheduler */
  lastCpu = 0;
  /** how long its stretches of guest code run (ns, moving average): the scheduler's placement hint; owned by the Scheduler */
  lastRunNs = 0;
  /** how long the kernel takes over its stops that do not block it (ns, moving average; from its trap to its
   * resume): the other placement hint. A new task starts as one whose stops are long (1 ms: a new process mostly
   * execs first): it runs beside the kernel until a dozen short stops say that polling pays for it. Owned by the
   * Scheduler */
  lastStopNs = 1_000_000;
  /** when its last run of guest code ended (performance.now() ms), 0 once its stop blocked it (a sleep is not
   * the kernel's work); owned by the Scheduler */
  trapAt = 0;
  /** prctl(PR_SET_PDEATHSIG); owned by this task */
  pdeathSig = 0;
  /** prctl(PR_SET_TIMERSLACK): its timer slack, and what 0 sets it back to (both its parent's slack at clone);
   * recorded and reported only (umlts's timers take none). Owned by this task */
  timerSlackNs = 50_000;
  defaultTimerSlackNs = 50_000;
  /** prctl(PR_SET_NO_NEW_PRIVS); guarded by the JS thread (this task, and a sibling's seccomp TSYNC) */
  noNewPrivs = false;
  /** seccomp mode (SECCOMP_MODE_*) and filter chain (kernel/seccomp.ts; this task holds a reference on the
   * chain's head). Guarded by the JS thread: this task's seccomp/prctl, and a sibling's SECCOMP_FILTER_FLAG_TSYNC */
  seccompMode = 0;
  seccompFilter: SeccompFilter | null = null;
  /** nice value (setpriority(2)); guarded by the JS thread (any task's setpriority may change it) */
  nice = 0;
  /** scheduling policy (SCHED_*), its real-time priority and SCHED_RESET_ON_FORK (sched_setscheduler(2));
   * guarded by the JS thread (another task's sched_setscheduler may change them). Recorded and reported:
   * the vCPU scheduler does not weigh them. */
  policy = 0;
  rtPriority = 0;
  resetOnFork = false;
  /** its EEVDF slice (sched_setattr's runtime for the fair policies), ns; 0: the default. Guarded and reported as
   * policy. */
  slice = 0;
  /** I/O priority (ioprio_set(2): class << 13 | hint << 3 | level), 0 for none; guarded by the JS thread (another
   * task's ioprio_set may change it). Reported only: umlts does no block I/O of its own. */
  ioprio = 0;
  /** the vCPUs it may run on (sched_setaffinity(2)); null: every vCPU. Guarded by the JS thread (another
   * task's sched_setaffinity may change it; the Scheduler reads it). Never empty. */
  affinity: readonly boolean[] | null = null;
  /** sigaltstack(2) as recorded; owned by this task (sigaltstack, sigreturn, execve) */
  altStackSp = 0;
  altStackFlags = 2; // SS_DISABLE
  altStackSize = 0;

  constructor(
    /** immutable */
    readonly kernel: Kernel,
    /** guest tid; owned by this task: changes only when a thread other than the leader execs (it takes the leader's) */
    public tid: number,
    /** immutable */
    readonly tg: ThreadGroup,
    /** shared by CLONE_VM tasks, threads and processes; the reference is owned by this task: replaced only by its
     * exec of one another process shares (exec.ts takeMm: exec resets its own) */
    public mm: AddressSpace,
    /** the host thread it runs on; the reference is owned by this task, replaced with mm */
    public thread: Context,
    /** shared by CLONE_FILES tasks (see FdTable); the reference is owned by this task: replaced only by its own
     * unshare(CLONE_FILES), exec (a table another process shares) and close_range(CLOSE_RANGE_UNSHARE) */
    public files: FdTable,
    /** shared by CLONE_FS tasks (see FsContext); the reference is owned by this task: replaced only by its own
     * unshare(CLONE_FS) */
    public fs: FsContext,
    /** this task's own copy (clone copies it); immutable reference, fields owned by this task (see Creds) */
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
