/**
 * The kernel: its state (the process tree, the scheduler, futexes, host
 * events), the trap loop, and waking and resuming tasks. The work is split
 * along Linux's seams, each a file of functions the Kernel calls through
 * its methods (so callers see one object):
 *   trap.ts            a handler per platform Stop (syscall, fault, trap, signal, death)
 *   exec.ts            execve and binfmt_script (fs/exec.c)
 *   fork.ts            clone, fork, vfork, threads (kernel/fork.c)
 *   exit.ts            exit, exit_group, wait (kernel/exit.c)
 *   signal_deliver.ts  sending and delivering signals (kernel/signal.c)
 *   signal.ts          signal frames and dispositions (arch/x86/kernel/signal.c)
 *   syscall.ts         the dispatcher; sched.ts the vCPUs; futex.ts futex queues
 *
 * The trap loop only dispatches (arch/um/os-Linux/skas/process.c:userspace):
 * the platform's wait() reports one Stop, trap.ts handles it; a guest's
 * host failure (StubFailed, ContextGone) kills that guest only, and so
 * does an unexpected exception met while handling its stop (a kernel bug:
 * internalError). Only a KernelPanic ends everything.
 *
 * Lock order (outermost first): none are held across a trap. There is one JS
 * thread and no await in the kernel; "guarded by the JS thread" below means
 * touched only synchronously from the loop. Guest threads run in parallel on
 * the host; their shared state (an AddressSpace) changes only while the
 * trapping thread is stopped, and mapping changes reach the host in a flush
 * that completes before that thread resumes.
 *
 * Ownership notes at declarations (STYLE.md rule 4), here and in mm, fs and
 * platform, use four terms:
 *   immutable                  never written after construction;
 *   owned by X                 only code acting for X writes it (e.g. "owned by
 *                              this task": its own syscalls and traps, and the
 *                              signal delivery that runs as it resumes);
 *   guarded by the JS thread   several owners write it (another task's syscall,
 *                              a waker, a timer or host-fd callback), always
 *                              synchronously: the only lock there is;
 *   stub-shared                memory a guest's host process maps too (the
 *                              stub's batch page, physmem frames): the kernel
 *                              writes it only while the thread it acts for is
 *                              stopped, and trusts nothing it reads back from
 *                              the guest-writable part (the frames).
 */
import { O_CLOEXEC } from '../abi/fcntl.js';
import { Physmem, PAGE_SIZE } from '../mm/physmem.js';
import { AddressSpace } from '../mm/address_space.js';
import { Platform, Context, Stop, ContextGone, StubFailed, STOP_EVENTS, STOP_NAMES, type HostSiginfo } from '../platform/platform.js';
import { containedEvents } from './events.js';
import { ORIG_RAX } from '../platform/regs.js';
import { Errno, ErrnoError, ERRNO_NAMES } from '../abi/errno.js';
import { Task, ThreadGroup } from './task.js';
import { Creds, RuntimeCaps, runtimeCaps, ptraceMayAccess, PTRACE_MODE_ATTACH_FSCREDS } from './creds.js';
import { SeccompFilter, prepareProg, getFilter } from './seccomp.js';
import { SECCOMP_MODE_FILTER, SOCK_FILTER_SIZE } from '../abi/seccomp.js';
import { Scheduler, SLICE_NS, LONG_RUN_NS } from './sched.js';
import { finishSyscall, restartMode, SyscallTable, SyscallHook, SyscallTracer } from './syscall.js';
export { NO_VERDICT } from './syscall.js';
export type { SyscallHook, SyscallTracer } from './syscall.js';
import { SigInfo, SIGKILL, SI_KERNEL, ERESTARTSYS, ERESTARTNOHAND } from './signal.js';
import { Vfs, FsContext, HostMountSpec } from '../fs/vfs.js';
import { FdTable, File } from '../fs/file.js';
import { WaitQueue } from '../fs/waitqueue.js';
import { NetStack, NetMode } from '../net/stack.js';
import { procNetFiles } from '../net/procnet.js';
import { ElfImage, ExecFile, LoaderError } from '../loader/elf.js';
import { getSystemErrorMap } from 'node:util';
import { FutexTable } from './futex.js';
import { KernelLog, LOGLEVEL_WARNING } from './printk.js';
import { IpcNamespace } from './ipc/ipc.js';
import { RLIMIT_NOFILE, NR_OPEN, RLIMIT_CPU } from '../abi/resource.js';
import { cpuLimit } from './cpu_clock.js';
import { CLOCK_REALTIME } from '../abi/time.js';
import { procPidStat, procUptime } from './procstat.js';
import { LoadAvg, LOAD_FREQ_NS } from './loadavg.js';
import type { UtsName, ProcMem } from '../fs/procfs.js';
import type { ExeDenial } from '../fs/writecount.js';
import { ttyJobs } from './tty_jobs.js';
import * as exec_m from './exec.js';
import * as fork_m from './fork.js';
import * as exit_m from './exit.js';
import * as trap_m from './trap.js';
import * as signal_deliver_m from './signal_deliver.js';
import { ptraceReturn } from './ptrace.js';

/** How the kernel is set up (the front end fills it in); immutable once the Kernel is made. */
export interface KernelOptions {
  root: string;
  rw: boolean;
  memBytes: number;
  cpus: number;
  /** more host directories (--mount) and the host fd budget of hostfs (--max-host-fds) */
  mounts?: readonly HostMountSpec[];
  maxHostFds?: number;
  /** where guest code runs (the ptrace or the systrap platform) */
  platform: Platform;
  /** where kernel messages go (one line, no newline) */
  log: (line: string) => void;
  /** the syscall table (syscalls/table.ts) */
  syscalls: SyscallTable;
  /** what uname(2) reports of the machine: its host name and kernel release */
  uname: { nodename: string; release: string };
  /** --net: the private loopback ('none', the default) or host sockets */
  net?: NetMode;
  /** init's credentials (--user, or the host user running umlts) */
  user: { uid: number; gid: number; groups: number[] };
  /** the first processes' capability sets (CapSet numbers; the library's `capabilities`); rootOnly: permitted and
   * effective only for a root user. Absent: Linux's default (root every capability, others none) */
  caps?: RuntimeCaps | null;
  /** the first processes start with no_new_privs (the library's noNewPrivileges) */
  noNewPrivs?: boolean;
  /** a seccomp filter the first processes start under (the library's seccomp: classic BPF and its LOG flag) */
  seccomp?: { program: Uint8Array; log: boolean } | null;
  /** UMLTS_DEBUG: an internal error's message is followed by its JS stack */
  debug?: boolean;
  /** init's resource limits, indexed by RLIMIT_*: [soft, hard], Infinity for RLIM_INFINITY (the front end
   * passes the invoking process's own, as a shell's child inherits them); absent ones take Linux's defaults */
  rlimits?: ReadonlyArray<readonly [number, number] | undefined>;
  /** most guest processes (zombies included) at once: fork fails with EAGAIN past it (default 4096) */
  maxProcesses?: number;
  /**
   * A process with no guest parent (one the front end spawned) ended: its
   * wait(2) status. It is reaped already (nobody can wait for it).
   */
  exited?: (pid: number, status: number) => void;
}

/** How a process the front end starts is set up. */
export interface SpawnSpec {
  /** the guest's working directory; a missing one fails the spawn if cwdRequired, else / is used */
  cwd: string;
  cwdRequired: boolean;
  /** its fds 0, 1 and 2 (references the spawn takes over once it succeeds) */
  stdio: [File, File, File];
  /** it is init: orphans are reparented to it, and its exit ends run() */
  init: boolean;
}

/** strerror() for the user: "No such file or directory". */
export function errnoMessage(e: number): string {
  const m = getSystemErrorMap().get(-e);
  return m ? m[1].charAt(0).toUpperCase() + m[1].slice(1) : ERRNO_NAMES[e] ?? `errno ${e}`;
}

/**
 * An invariant of the whole kernel is broken (not of one process): the
 * kernel ends, every guest host process is killed. Anything else thrown
 * while acting for a task kills that task's process only (internalError).
 */
export class KernelPanic extends Error {}

export * from '../abi/sched.js';
export * from '../abi/wait.js';

/** What wait found. */
export interface WaitResult {
  pid: number;
  /** wait(2) status encoding */
  status: number;
  /** CLD_* for waitid */
  code: number;
  /** exit code or signal for waitid's si_status */
  siStatus: number;
  uid: number;
  /** the child's CPU time and its reaped children's (wait4's rusage: getrusage(p, RUSAGE_BOTH)), ns */
  cpuNs: number;
  /** the child's ru_maxrss (its maxrss and cmaxrss, and a live one's peak now), KiB */
  maxrssKiB: number;
}

export class Kernel {
  /** guest RAM, kernel-wide; immutable reference (its own notes say who touches what) */
  readonly physmem: Physmem;
  /** mounts, locks, the terminal; immutable reference */
  readonly vfs: Vfs;
  /** sockets: the unix name table, the private loopback's ports; immutable reference */
  readonly net: NetStack;
  /** System V shared memory, semaphores and message queues; immutable reference (contents: see kernel/ipc/) */
  readonly ipc: IpcNamespace;
  /** immutable */
  readonly platform: Platform;
  /** the platform's timers and host-fd watches; immutable reference */
  readonly events: Platform['events'];
  /** the vCPUs; immutable reference, guarded by the JS thread inside */
  readonly sched: Scheduler;
  /** immutable */
  readonly opts: KernelOptions;
  /** guest tid -> live task; guarded by the JS thread */
  readonly tasks = new Map<number, Task>();
  /** guest pid -> process, live or zombie (until reaped); guarded by the JS thread */
  readonly tgs = new Map<number, ThreadGroup>();
  /** next guest pid to hand out; guarded by the JS thread (allocPid) */
  nextPid = 1;
  /** counters for --stats; guarded by the JS thread (bumped by fork, exec, the trap path; oomWaits: faults,
   * signal frames and thread exits that slept for an OOM victim's frames, exit.ts waitForFrames) */
  readonly stats = { syscalls: 0, stubs: 0, execs: 0, oomWaits: 0 };
  /** the stub whose copies are the empty address spaces of execs that leave a shared one (exec.ts emptyMm): no
   * guest code ever runs in it; made by the first such exec, dropped if its host process dies; guarded by the
   * JS thread */
  zygote: { mm: AddressSpace; thread: Context } | null = null;
  /** init (pid 1 when there is one): orphans are reparented to it while it lives; set once, by spawnProcess */
  init: ThreadGroup | null = null;
  /** the filter processes with no guest parent start under (opts.seccomp), checked once; the kernel's own
   * reference never goes, each process takes one more; immutable after the first spawn (made then) */
  private spawnFilter: SeccompFilter | null = null;
  /** tasks woken during the current dispatch, run after it (softirq-style); guarded by the JS thread */
  readonly woken: Task[] = [];
  /** tasks whose page fault (or signal frame, or clear_child_tid store) found no free frame while a released process's frames wait for its host
   * process to be reaped (exit.ts: waitForFrames); woken when frames come back. Guarded by the JS thread */
  readonly framesWait = new WaitQueue();
  /** syscall numbers already reported as unimplemented; guarded by the JS thread */
  readonly reportedEnosys = new Set<number>();
  /** init's wait status once it is gone; set once, by init's exitGroup (ends run()) */
  initStatus: number | null = null;
  /** struct new_utsname's settable names (sethostname, setdomainname); guarded by the JS thread */
  readonly uts: { nodename: string; domainname: string };
  /** the stop being handled; reused (nothing allocated per trap), guarded by the JS thread */
  readonly stop: Stop = { kind: STOP_EVENTS, ctx: null, sig: 0, status: 0 };
  /** the siginfo of the stop being handled (onFault, onTrap); guarded by the JS thread, used synchronously only */
  readonly siginfo: HostSiginfo = { code: 0, addr: 0, err: -1 };
  /** futex waiters; immutable reference, guarded by the JS thread inside */
  readonly futexes = new FutexTable();
  /** boot time for /proc/uptime, sysinfo (monotonic ns); immutable */
  readonly bootNs = process.hrtime.bigint();
  /** the kernel's messages, for syslog(2) (warn() adds each) */
  readonly klog = new KernelLog(() => Number(process.hrtime.bigint() - this.bootNs));
  /** the syscall hook, or null (the dispatcher's only cost then: this test); set by the front end before guests run */
  syscallHook: SyscallHook | null = null;
  /** where finished syscalls and delivered signals are reported, or null; guarded by the JS thread (the front end turns it on and off) */
  tracer: SyscallTracer | null = null;
  /** the task whose syscall is running, for /proc/self and the terminal's job
   * control; guarded by the JS thread. Set by dispatchSyscall and never
   * cleared: outside a syscall they name the last caller (possibly gone). */
  currentPid = 1;
  current: Task | null = null;
  /** the next eventfd's id (eventfd_ida, shown in fdinfo; never reused here); guarded by the JS thread */
  nextEventfdId = 0;
  /** signalfd readers and pollers, woken by every queued signal (signalfd.ts); immutable reference, guarded by the JS thread */
  readonly signalfdWait = new WaitQueue();
  /** the guest's CLOCK_REALTIME minus the host's: clock_settime and settimeofday by the guest's root move
   * the guest's wall clock, never the host's (kept where the vDSO's words come from: mm/vdso.ts) */
  get realtimeOffsetNs(): bigint {
    return this.physmem.vdso.realtimeOffsetNs;
  }
  /** The guest's wall clock is set (realtimeOffsetNs): every process's vDSO reads the new offset. */
  setRealtimeOffset(ns: bigint): void {
    this.physmem.vdso.realtimeOffsetNs = ns;
    const seen = new Set<object>();
    for (const t of this.tasks.values()) {
      // (a process's mm goes when its last thread does: a zombie's page may be another's by now)
      if (seen.has(t.mm) || t.state === 'dead' || t.state === 'zombie' || t.mm.tlb.released) continue;
      seen.add(t.mm);
      t.mm.writeVdso();
    }
  }
  /** kcmp(2)'s order of kernel objects: Linux compares obfuscated pointers (a random order fixed at boot); here
   * each object gets a number the first time it is compared, so the order is fixed for this run too (CRIU sorts
   * by it). Guarded by the JS thread (kcmp adds). */
  readonly kcmpOrder = new WeakMap<object, number>();
  kcmpNext = 1;
  /** timerfds on a realtime clock (fs/timerfd.ts), told when the guest's wall clock is set; they add and
   * remove themselves; guarded by the JS thread */
  readonly clockWatchers = new Set<{ clockWasSet(): void }>();

  constructor(opts: KernelOptions) {
    this.opts = opts;
    this.platform = opts.platform;
    this.events = containedEvents(opts.platform.events, (what, e) => this.callbackError(what, e));
    this.physmem = new Physmem(opts.memBytes);
    this.physmem.onFramesBack = () => this.framesBack();
    // a file another process maps shrank under it
    this.physmem.onMmChange = (mm, apply, defer) => this.changeMm(mm as AddressSpace, apply, defer);
    this.sched = new Scheduler(opts.cpus, opts.platform);
    this.vfs = new Vfs({
      rootDir: opts.root,
      rw: opts.rw,
      proc: new ProcProviderImpl(this),
      hostWatch: { watch: (fd, ev, cb) => this.events.watch(fd, ev, cb) },
      mounts: opts.mounts,
      hostFdBudget: opts.maxHostFds,
      opClock: () => this.stats.syscalls,
      ttyJobs: ttyJobs(this),
    });
    this.uts = { nodename: opts.uname.nodename, domainname: '(none)' };
    this.net = new NetStack(this.vfs, this.events, opts.net ?? 'none');
    this.ipc = new IpcNamespace(this.vfs.shmMnt, () => Number(this.realtimeNs() / 1000000000n));
  }

  // ---- process creation and exec ----------------------------------------------------

  /** struct new_utsname as uname(2) and /proc/sys/kernel show it */
  utsname(): UtsName {
    const { release } = this.opts.uname;
    return { sysname: 'Linux', nodename: this.uts.nodename, release, version: UTS_VERSION, machine: 'x86_64', domainname: this.uts.domainname };
  }

  allocPid(): number {
    while (this.tgs.has(this.nextPid) || this.tasks.has(this.nextPid)) this.nextPid = this.nextPid >= 4194304 ? 2 : this.nextPid + 1;
    return this.nextPid++;
  }

  /**
   * Start a process with no guest parent: resolve and load the program and
   * set up its stdio (its own session and process group, like a process
   * init started). Throws LoaderError (with a one-line reason) if it cannot
   * run; the stdio references stay the caller's then.
   */
  spawnProcess(path: string, argv: string[], envp: string[], spec: SpawnSpec): Task {
    const filter = this.startFilter();
    const fs: FsContext = { cwd: '/', umask: 0o022 };
    const u = this.opts.user;
    const creds = new Creds(u.uid, u.gid, u.uid, u.gid, u.uid, u.gid, u.uid, u.gid, [...u.groups]);
    if (this.opts.caps) runtimeCaps(creds, this.opts.caps, this.opts.noNewPrivs === true);
    if (spec.cwd !== '/') {
      const r = this.vfs.chdir({ fs, creds }, null, spec.cwd);
      if (r < 0 && spec.cwdRequired) throw new LoaderError(-r as Errno, `--cwd ${spec.cwd}: ${errnoMessage(-r)}`);
    }
    const img = this.prepareExec(fs, path, argv, creds);
    let made: { mm: AddressSpace; thread: Context };
    try {
      made = AddressSpace.create(this.physmem, this.platform);
    } catch (e) {
      exec_m.dropPrepared(img);
      throw e;
    }
    const { mm, thread } = made;
    const files = new FdTable();
    const nofile = this.opts.rlimits?.[RLIMIT_NOFILE];
    // fs.nr_open bounds the table whatever the host allows
    if (nofile) files.limit = Math.min(nofile[0], NR_OPEN);
    spec.stdio.forEach((f, fd) => files.installAt(fd, f, false));
    this.stats.stubs++;
    const tg = new ThreadGroup(this.allocPid(), null);
    this.opts.rlimits?.forEach((l, res) => {
      if (l) tg.rlimits.set(res, [Math.min(l[0], res === RLIMIT_NOFILE ? NR_OPEN : Infinity), Math.min(l[1], res === RLIMIT_NOFILE ? NR_OPEN : Infinity)]);
    });
    if (tg.rlimits.has(RLIMIT_CPU)) cpuLimit(this, tg);
    mm.limits = tg;
    if (spec.init) this.init = tg;
    const task = new Task(this, tg.tgid, tg, mm, thread, files, fs, creds);
    if (this.opts.noNewPrivs) task.noNewPrivs = true;
    if (filter) {
      getFilter(filter);
      task.seccompFilter = filter;
      task.seccompMode = SECCOMP_MODE_FILTER;
    }
    tg.tasks.push(task);
    this.tgs.set(tg.tgid, tg);
    this.tasks.set(task.tid, task);
    thread.owner = task;
    this.loadInto(task, img, envp);
    return task;
  }

  /** The filter of opts.seccomp (checked as seccomp(2) checks a program: a bad one fails the spawn), or null. */
  private startFilter(): SeccompFilter | null {
    const s = this.opts.seccomp;
    if (!s) return null;
    if (!this.spawnFilter) {
      const prog = prepareProg(s.program, s.program.length / SOCK_FILTER_SIZE);
      if (typeof prog === 'number') throw new LoaderError(Errno.EINVAL, 'seccomp: the filter program is not one seccomp(2) takes');
      this.spawnFilter = new SeccompFilter(prog, null, s.log);
    }
    return this.spawnFilter;
  }

  /** exec.ts */
  prepareExec(fs: FsContext, path: string, argv: string[], creds: Creds, depth = 0, origin: ExecOrigin | null = null): PreparedExec {
    return exec_m.prepareExec(this, fs, path, argv, creds, depth, origin);
  }

  /** exec.ts */
  openExec(fs: FsContext, path: string, creds: Creds, interp = false, at: File | null = null, nofollow = false): File {
    return exec_m.openExec(this, fs, path, creds, interp, at, nofollow);
  }

  /** exec.ts */
  execFile(f: File, size: number): ExecFileImpl {
    return exec_m.execFile(this, f, size);
  }

  /** exec.ts */
  loadInto(task: Task, p: PreparedExec, envp: string[]): void {
    exec_m.loadInto(this, task, p, envp);
  }

  /** exec.ts */
  execve(task: Task, path: string, argv: string[], envp: string[], origin: ExecOrigin | null = null): number {
    return exec_m.execve(this, task, path, argv, envp, origin);
  }

  /** fork.ts */
  clone(parent: Task, flags: number, stack: number, ptid: number, ctid: number, tls: number, pidfdAddr = 0): number {
    return fork_m.clone(this, parent, flags, stack, ptid, ctid, tls, pidfdAddr);
  }

  /** fork.ts */
  childTask(parent: Task, tid: number, tg: ThreadGroup, mm: AddressSpace, thread: Context, flags: number, stack: number, tls: number): Task {
    return fork_m.childTask(this, parent, tid, tg, mm, thread, flags, stack, tls);
  }

  /** fork.ts */
  cloneThread(parent: Task, flags: number, stack: number, ptid: number, ctid: number, tls: number): number {
    return fork_m.cloneThread(this, parent, flags, stack, ptid, ctid, tls);
  }

  /** exit.ts */
  exitThread(task: Task, status: number): void {
    exit_m.exitThread(this, task, status);
  }

  /** exit.ts */
  dropThread(t: Task, alive = true): void {
    exit_m.dropThread(this, t, alive);
  }

  /** exit.ts */
  detachTask(t: Task, state: 'zombie' | 'dead'): void {
    exit_m.detachTask(this, t, state);
  }

  /** exec.ts */
  deThread(task: Task): void {
    exec_m.deThread(this, task);
  }

  /** fork.ts */
  vforkRelease(task: Task): void {
    fork_m.vforkRelease(this, task);
  }

  // ---- the trap loop -------------------------------------------------------------------

  /** Run until init exits; returns its wait status (exit code << 8, or the signal). */
  run(init: Task): number {
    this.resume(init);
    this.loop(() => this.initStatus !== null);
    return this.initStatus!;
  }

  /**
   * The trap loop: take the next stop, handle it, run what it woke, until
   * done() says so (asked after every stop, host events included: a front
   * end's own host fd wakes the loop through the platform's events).
   */
  loop(done: () => boolean): void {
    const stop = this.stop;
    if (!this.loadSampled) {
      this.loadSampled = true;
      this.armLoadSample();
    }
    while (!done()) {
      this.platform.wait(stop);
      const task = stop.ctx?.owner as Task | null | undefined;
      // (contain's steps written out: no closures per stop on the trap path)
      if (task) {
        try {
          this.onStop(task, stop);
        } catch (e) {
          this.stepFailed(e, task, STOP_NAMES[stop.kind]);
        }
      }
      this.runWokenContained();
    }
  }

  /** contain(() => this.runWoken()), without a closure per call (the trap loop's). */
  runWokenContained(): void {
    try {
      this.runWoken();
    } catch (e) {
      this.stepFailed(e);
    }
  }

  /**
   * Run a step of the trap loop; a guest process whose host process failed
   * under it (killed from outside, or stub code that did not finish — which
   * a guest can cause to itself) dies; the kernel and the others go on.
   * A step acting for `task` (handling its stop: `what`) that meets any
   * other exception but a KernelPanic kills that task's process too.
   */
  contain(step: () => void, task?: Task, what = 'trap'): void {
    try {
      step();
    } catch (e) {
      this.stepFailed(e, task, what);
    }
  }
  /** What contain() does with an exception of a step acting for task (if any) handling `what`. */
  private stepFailed(e: unknown, task?: Task, what = 'trap'): void {
    if (e instanceof StubFailed || e instanceof ContextGone) {
      const task = this.taskOfHostTid(e.tid);
      if (!task) return;
      if (e instanceof ContextGone) return this.onHostDeath(task, SIGKILL, 0);
      this.warn(`pid ${task.pid}: ${e.message}; killed`);
      this.exitGroup(task, SIGKILL);
    } else {
      if (e instanceof KernelPanic || !task) throw e;
      this.internalError(task, what, e);
    }
    this.runWoken();
  }

  /**
   * A bug met while acting for task (an exception no code expected): its
   * process is killed with one line on stderr naming the call and the
   * error, as Linux's oops kills the current task and goes on. What the
   * call left half done stays so (Linux's oops leaves its locks held); the
   * process's own state goes with it.
   */
  internalError(task: Task, what: string, e: unknown): void {
    const desc = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).replace(/\s+/g, ' ');
    this.warn(`pid ${task.pid} (${task.comm}): internal error in ${what}: ${desc}; process killed`);
    if (this.opts.debug && e instanceof Error && e.stack) this.warnRaw(e.stack);
    this.exitGroup(task, SIGKILL);
  }
  /**
   * An exception from a timer or host-fd callback (events.ts: containedEvents).
   * No task is acting, so none is blamed: one line, and the kernel goes on
   * (what the callback left undone stays so). A KernelPanic, or a host
   * process failure the trap loop's contain() knows how to pin on a task,
   * goes on up.
   */
  callbackError(what: string, e: unknown): void {
    if (e instanceof KernelPanic || e instanceof StubFailed || e instanceof ContextGone) throw e;
    const desc = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).replace(/\s+/g, ' ');
    this.warn(`internal error in ${what}: ${desc}; ignored`);
    if (this.opts.debug && e instanceof Error && e.stack) this.warnRaw(e.stack);
  }
  taskOfHostTid(tid: number): Task | undefined {
    for (const t of this.tasks.values()) if (t.thread.tid === tid) return t;
    return undefined;
  }

  /** trap.ts */
  onStop(task: Task, stop: Stop): void {
    trap_m.onStop(this, task, stop);
  }

  /** trap.ts */
  onSyscall(task: Task, atSeccomp: boolean): void {
    trap_m.onSyscall(this, task, atSeccomp);
  }

  /** signal_deliver.ts */
  fatalSignalPending(task: Task): boolean {
    return signal_deliver_m.fatalSignalPending(this, task);
  }

  /** trap.ts */
  onStubJump(task: Task): void {
    trap_m.onStubJump(this, task);
  }

  /** trap.ts */
  syscall(task: Task): void {
    trap_m.syscall(this, task);
  }

  /** trap.ts */
  onFault(task: Task): void {
    trap_m.onFault(this, task);
  }

  /** exit.ts */
  waitForFrames(task: Task, then: 'fault' | 'resume' | 'rerun'): void {
    exit_m.waitForFrames(this, task, then);
  }
  /** exit.ts */
  framesBack(): void {
    exit_m.framesBack(this);
  }

  /** trap.ts */
  faultProgress(task: Task, addr: number): boolean {
    return trap_m.faultProgress(this, task, addr);
  }

  /** trap.ts */
  onTrap(task: Task): void {
    trap_m.onTrap(this, task);
  }

  /** trap.ts */
  onHostSignal(task: Task, sig: number): void {
    trap_m.onHostSignal(this, task, sig);
  }

  /** trap.ts */
  onHostDeath(task: Task, sig: number, code: number): void {
    trap_m.onHostDeath(this, task, sig, code);
  }

  // ---- sleeping and waking --------------------------------------------------------------

  /** Make a blocked task runnable; its syscall is re-run after the current dispatch (a task asleep for
   * memory in a page fault or signal delivery just resumes: it takes the fault or delivers again). */
  wake(task: Task): void {
    if (task.state !== 'blocked') return;
    task.unqueue();
    task.state = 'runnable';
    task.sc.wakeMode = task.awaitingFrames ?? 'rerun';
    task.awaitingFrames = null;
    this.woken.push(task);
  }

  /**
   * A signal arrived for a task asleep in a syscall: the syscall ends now
   * (not re-run) with the restart code its row asks for; delivery decides
   * between EINTR and restarting it.
   */
  interrupt(task: Task): void {
    if (task.state !== 'blocked' || !task.vforkDone) return;
    // asleep for memory: in a page fault, the signal is delivered and the
    // faulting instruction runs again after it (no result to set); in
    // exit, a signal changes nothing (exit delivers none: re-run now, it
    // would find the memory still short and sleep again, again and again)
    if (task.awaitingFrames === 'rerun') return;
    if (task.awaitingFrames !== null) return this.wake(task);
    // TASK_KILLABLE: only a signal that will kill the process ends this sleep; others wait for its end
    if (task.sc.uninterruptible && !this.fatalSignalPending(task)) return;
    task.unqueue();
    const partial = task.sc.cleanup?.();
    task.sc.done();
    const mode = restartMode(task, task.regs.getI32(ORIG_RAX));
    if (typeof partial === 'number') finishSyscall(task, partial);
    else finishSyscall(task, mode === 'never' ? -Errno.EINTR : mode === 'nohand' ? -ERESTARTNOHAND : -ERESTARTSYS);
    task.sc.returning = true;
    task.state = 'runnable';
    task.sc.wakeMode = 'resume';
    this.woken.push(task);
  }

  runWoken(): void {
    while (this.woken.length > 0) {
      const t = this.woken.shift()!;
      if (t.state !== 'runnable') continue;
      // each woken task on its own: a failure resuming one is its process's alone
      this.contain(() => {
        t.mm.setSyncThread(t.thread);
        if (t.sc.wakeMode === 'resume') {
          // whatever call it slept in is over, its result set
          t.sc.dropFiles();
          this.resume(t);
        } else {
          this.syscall(t);
        }
      }, t, t.sc.wakeMode === 'resume' ? 'resume' : 'syscall restart');
    }
  }

  /**
   * Host signals that reached the task's host thread while the kernel waited
   * for a stub trap (a kill from outside umlts): the process gets them now,
   * as onHostSignal would have given them. Our own kicks are dropped.
   */
  takeHostSignals(task: Task): void {
    const q = task.thread.pendingHostSignals;
    while (q.length > 0) {
      const sig = q.shift()!;
      this.signalProcess(task.tg, sig, { signo: sig, code: SI_KERNEL });
    }
  }

  /** Let the task run guest code again, once signals are delivered and it has a vCPU. */
  resume(task: Task): void {
    if (task.state === 'zombie' || task.state === 'dead') return;
    this.takeHostSignals(task);
    // its tracer's event and syscall-exit stops come before its signals
    if (task.ptrace !== null && ptraceReturn(this, task)) return;
    if (!this.deliverSignals(task)) return;
    task.state = 'running';
    task.mm.setSyncThread(task.thread);
    if (task.mm.pendingFlush > 0) task.mm.flush();
    // if it died under us, waitpid reports its death
    if (this.sched.acquire(task)) this.start(task);
    else this.armTick();
    if (!this.balanceTimer?.armed && this.sched.unbalanced) this.armBalance();
  }

  /**
   * A syscall of another process changed target's page table
   * (process_vm_writev broke a copy-on-write page of it): the change
   * reaches its host as changeMm has it reach it.
   */
  remoteMmChanged(target: Task): void {
    if (target.mm.pendingFlush > 0) this.changeMm(target.mm, () => {}, () => {});
  }
  /** Another process's host failed while a call changed its page table: that process dies, not the caller. */
  private remoteFailed(e: unknown, owner: Task): void {
    if (e instanceof KernelPanic) throw e;
    if (!(e instanceof StubFailed || e instanceof ContextGone)) return this.internalError(owner, 'remote mm change', e);
    const victim = this.taskOfHostTid(e.tid) ?? owner;
    if (e instanceof ContextGone) return this.onHostDeath(victim, SIGKILL, 0);
    this.warn(`pid ${victim.pid}: ${e.message}; killed`);
    this.exitGroup(victim, SIGKILL);
  }
  /**
   * A call changes mm's page table (`apply`; Physmem.onMmChange: a file it
   * maps shrank; remoteMmChanged). The caller's own address space: now (its
   * resume flushes). Another's: with a thread its host requests can run in
   * (a full batch runs at once), flushed before the call returns, as a
   * thread of it running guest code would still reach the old frames
   * (kept allocated until that flush: tlb.ts's gather); or, when all its
   * threads run guest code and the platform runs batches only in a stopped
   * thread (ptrace), at the stop of one kicked for it (`defer`; its resume
   * flushes). A failure of that process's stub kills that process, not the
   * caller.
   */
  private changeMm(mm: AddressSpace, apply: () => void, defer: () => void): void {
    if (mm === this.current?.mm) return apply();
    let running: Task | null = null, stopped: Task | null = null;
    for (const t of this.tasks.values()) {
      if (t.mm !== mm || t.state === 'zombie' || t.state === 'dead') continue;
      // (one that waits for a vCPU is stopped on the host)
      if (t.state === 'running' && t.cpu >= 0) running ??= t;
      else stopped ??= t;
    }
    const owner = running ?? stopped;
    // (no live process has it any more: nothing runs in it again)
    if (owner === null) return;
    const sync = this.platform.batchesWhileRunning ? owner : stopped;
    if (sync === null) {
      this.platform.kick(running!.thread);
      return defer();
    }
    // (flushed now even while none of it runs: a task waiting for a vCPU starts without a resume's flush)
    try {
      mm.setSyncThread(sync.thread);
      apply();
      if (mm.pendingFlush > 0) mm.flush();
    } catch (e) {
      this.remoteFailed(e, owner);
    }
  }

  /** the placement timer, armed while a task runs beside the kernel on another vCPU; guarded by the JS thread */
  balanceTimer: import('./events.js').Timer | null = null;
  armBalance(): void {
    if (this.balanceTimer?.armed) return;
    this.balanceTimer = this.events.addTimer(process.hrtime.bigint() + LONG_RUN_NS, () => {
      this.sched.balance();
      if (this.sched.unbalanced) this.armBalance();
    });
  }

  /** the load averages (/proc/loadavg, sysinfo); sampled by its timer, armed by the first loop() */
  readonly load = new LoadAvg();
  private loadSampled = false;
  /** Every LOAD_FREQ: the tasks running or ready to run go into the load averages. */
  private armLoadSample(): void {
    this.events.addTimer(process.hrtime.bigint() + LOAD_FREQ_NS, () => {
      let active = 0;
      for (const t of this.tasks.values()) if (t.state === 'running' || t.state === 'runnable') active++;
      this.load.sample(active);
      this.armLoadSample();
    });
  }

  /** the time-slice timer, armed while tasks wait for a vCPU; guarded by the JS thread */
  tick: import('./events.js').Timer | null = null;
  armTick(): void {
    if (this.tick?.armed) return;
    this.tick = this.events.addTimer(process.hrtime.bigint() + SLICE_NS, () => this.onTick());
  }
  /** Preempt: kick every task that has used up its slice while others wait (they requeue behind the waiters). */
  onTick(): void {
    for (const t of this.sched.expired()) this.platform.kick(t.thread);
    if (this.sched.contended) this.armTick();
  }
  /** The stop being handled leaves the task asleep in the kernel: its handler stops polling, and the time until
   * it resumes is not the kernel's work on the stop (the scheduler's placement). */
  stopBlocked(task: Task): void {
    task.thread.blocked();
    this.sched.blocked(task);
  }
  start(task: Task): void {
    const p = task.mm.patches;
    task.thread.fastEntry = p !== null && p.sites.size !== 0;
    task.thread.resumeGuest(task.regs, task.sc.atSeccomp);
    task.sc.atSeccomp = false;
  }

  /**
   * A stop of the task is to be handled: it leaves its vCPU (whoever waited
   * for one starts), unless it keeps it through the stop
   * (Scheduler.keepAcrossTrap); then endStop() gives it up if the stop did
   * not start it again (it blocked, stopped or died).
   */
  enterStop(task: Task): void {
    if (!this.sched.keepAcrossTrap(task)) this.leaveCpu(task);
  }
  endStop(task: Task): void {
    if (this.sched.kept(task)) this.leaveCpu(task);
  }

  /** In a syscall, the task gives up the vCPU it kept through it (sched_yield): it queues for one as it returns. */
  yieldCpu(task: Task): void {
    this.endStop(task);
  }

  /** The task left its vCPU; start whoever waited for one. */
  leaveCpu(task: Task): void {
    const next = this.sched.release(task);
    if (next) this.start(next);
  }

  // ---- signals -------------------------------------------------------------------------------

  /** signal_deliver.ts */
  signalTask(task: Task, sig: number, info?: Partial<SigInfo>): void {
    signal_deliver_m.signalTask(this, task, sig, info);
  }

  /** signal_deliver.ts */
  signalProcess(tg: ThreadGroup, sig: number, info?: Partial<SigInfo>): void {
    signal_deliver_m.signalProcess(this, tg, sig, info);
  }

  /** signal_deliver.ts */
  signalPgrp(pgid: number, sig: number, info?: Partial<SigInfo>): number {
    return signal_deliver_m.signalPgrp(this, pgid, sig, info);
  }

  /** signal_deliver.ts */
  prepareSignal(tg: ThreadGroup, sig: number): boolean {
    return signal_deliver_m.prepareSignal(this, tg, sig);
  }

  /** signal_deliver.ts */
  signalWakeup(task: Task, sig: number): void {
    signal_deliver_m.signalWakeup(this, task, sig);
  }

  /** signal_deliver.ts */
  forceSignal(task: Task, sig: number, info?: SigInfo): void {
    signal_deliver_m.forceSignal(this, task, sig, info);
  }

  /** filp_close before the descriptor goes (close, close_range, dup2 over it, exec's close-on-exec): the file's
   * flush (mqueue's notification) and the process's POSIX locks on it (locks_remove_posix). */
  filpClose(tg: ThreadGroup, f: File): void {
    f.flush(tg.tgid);
    this.vfs.locks.closeFile(tg, f);
  }

  /** signal_deliver.ts */
  setBlocked(task: Task, lo: number, hi: number): void {
    signal_deliver_m.setBlocked(this, task, lo, hi);
  }
  /** signal_deliver.ts */
  retargetShared(task: Task, lo: number, hi: number): void {
    signal_deliver_m.retargetShared(this, task, lo, hi);
  }
  /** signal_deliver.ts */
  setTempSigmask(task: Task, lo: number, hi: number): void {
    signal_deliver_m.setTempSigmask(this, task, lo, hi);
  }
  /** signal_deliver.ts */
  restoreTempSigmask(task: Task): void {
    signal_deliver_m.restoreTempSigmask(this, task);
  }

  /** signal_deliver.ts */
  hasDeliverable(task: Task): boolean {
    return signal_deliver_m.hasDeliverable(this, task);
  }
  /** signal_deliver.ts */
  jobctlPending(task: Task): boolean {
    return signal_deliver_m.jobctlPending(task);
  }

  /** signal_deliver.ts */
  deliverSignals(task: Task): boolean {
    return signal_deliver_m.deliverSignals(this, task);
  }

  /** signal_deliver.ts */
  restartWithoutHandler(task: Task): void {
    signal_deliver_m.restartWithoutHandler(this, task);
  }

  /** signal_deliver.ts */
  restartSyscall(task: Task): void {
    signal_deliver_m.restartSyscall(this, task);
  }

  /** signal_deliver.ts */
  groupStop(tg: ThreadGroup, sig: number): void {
    signal_deliver_m.groupStop(this, tg, sig);
  }

  /** signal_deliver.ts */
  wakeStopped(task: Task): void {
    signal_deliver_m.wakeStopped(this, task);
  }

  /** signal_deliver.ts */
  groupContinue(tg: ThreadGroup): void {
    signal_deliver_m.groupContinue(this, tg);
  }

  /** exit.ts */
  oomKill(task: Task): void {
    exit_m.oomKill(this, task);
  }

  /** exit.ts */
  outOfMemory(task: Task): boolean {
    return exit_m.outOfMemory(this, task);
  }

  // ---- exit and wait ----------------------------------------------------------------------------

  /** exit.ts */
  exitGroup(task: Task, status: number): void {
    exit_m.exitGroup(this, task, status);
  }

  /** exit.ts */
  notifyParent(tg: ThreadGroup): void {
    exit_m.notifyParent(this, tg);
  }

  /** exit.ts */
  exitTask(t: Task, shared = false): void {
    exit_m.exitTask(this, t, shared);
  }

  /** exit.ts */
  waitChild(task: Task, idtype: number, id: number, options: number): WaitResult | number {
    return exit_m.waitChild(this, task, idtype, id, options);
  }

  /** Kill every host process we own and reap them (on exit, panic or signal). */
  shutdown(): void {
    this.platform.shutdown();
  }

  /** One line on the real stderr, kept in the kernel's log too (the guest's dmesg). */
  warn(msg: string): void {
    this.klog.append(LOGLEVEL_WARNING, `umlts: ${msg}`);
    this.warnRaw(`umlts: ${msg}`);
  }
  warnRaw(line: string): void {
    this.opts.log(line);
  }

  /** CLOCK_REALTIME as the guest sees it (ns since the epoch). */
  realtimeNs(): bigint {
    return (this.platform.clockNs(CLOCK_REALTIME) ?? BigInt(Date.now()) * 1000000n) + this.realtimeOffsetNs;
  }

  /** A guest process's CPU time (ns): its live threads' and that of the threads it has lost (platform's
   * processCpuNs is a host process's clock). */
  groupCpuNs(tg: ThreadGroup): number {
    let ns = tg.utimeNs;
    for (const t of tg.tasks) if (t.state !== 'zombie' && t.state !== 'dead') ns += t.cpuNs();
    return ns;
  }

  taskByPid(pid: number): Task | undefined {
    return this.tgs.get(pid)?.tasks[0] ?? this.tasks.get(pid);
  }
}

/** An exec image's file, with its own reference. Immutable; owned by the execve that made it. */
export class ExecFileImpl implements ExecFile {
  constructor(readonly f: File, readonly size: number, readonly vm: import('../mm/address_space.js').VmFile) {}
  pread(buf: Uint8Array, off: number): number {
    return this.f.read(buf, off);
  }
}

/** Where execveat(2) finds the program besides a path: its dirfd's file (relative paths), AT_SYMLINK_NOFOLLOW, the
 * name bprm->filename takes ("/dev/fd/N[/path]"), whether comm comes from the file itself (AT_EMPTY_PATH), and
 * whether the dirfd closes at exec (a script it names could not be opened by its interpreter). */
export interface ExecOrigin {
  at: File | null;
  nofollow: boolean;
  filename: string;
  commFromFile: boolean;
  cloexec: boolean;
}

export interface PreparedExec {
  path: string;
  /** bprm->filename: the name exec was asked to run (a script's, not its interpreter's; execveat's /dev/fd/N...):
   * AT_EXECFN, and comm unless commFromFile */
  filename: string;
  /** comm is the executable's own name (execveat AT_EMPTY_PATH: comm_from_dentry) */
  commFromFile: boolean;
  argv: string[];
  img: ElfImage;
  interp: ElfImage | null;
  /** references held until the image is mapped */
  files: File[];
  /** exec's write denials (deny_write_access) on the program and its interpreter, in that order: the
   * interpreter's goes once the image is loaded, the program's stays with the address space (setExeHold) */
  denials: ExeDenial[];
  argTotal: number;
  /** /proc/<pid>/exe: where the walk to the program arrived (symlinks followed: bprm->file's path) */
  exe: string;
}

/** UTS_VERSION: the build line uname -v shows (umlts's, not the host's) */
const UTS_VERSION = '#1 SMP umlts';

/** The kernel's side of procfs. Stateless: reads the kernel's tables on the JS thread. */

class ProcProviderImpl {
  constructor(private readonly k: Kernel) {}
  uts(): UtsName {
    return this.k.utsname();
  }
  netFiles(): Readonly<Record<string, () => string>> {
    return procNetFiles(this.k.net);
  }
  currentPid(): number {
    return this.k.currentPid;
  }
  pids(): number[] {
    return [...this.k.tgs.keys()].sort((a, b) => a - b);
  }
  exe(pid: number): string | null {
    return this.k.taskByPid(pid)?.tg.exe ?? null;
  }
  cwd(pid: number): string | null {
    const t = this.k.taskByPid(pid);
    if (!t) return null;
    // (getcwd's path: a tmpfs cwd renamed since shows where it is now)
    const p = this.k.vfs.cwdPath(t);
    return typeof p === 'number' ? t.fs.cwd : p;
  }
  root(pid: number): string | null {
    const t = this.k.taskByPid(pid);
    return t ? t.fs.root?.path ?? '/' : null;
  }
  fds(pid: number): Map<number, File> | null {
    const t = this.k.taskByPid(pid);
    if (!t) return null;
    const m = new Map<number, File>();
    for (const fd of t.files.list()) m.set(fd, t.files.get(fd)!);
    return m;
  }
  owner(pid: number): [number, number] | null {
    const c = this.k.taskByPid(pid)?.creds;
    return c ? [c.euid, c.egid] : null;
  }
  /** seq_show (fs/proc/fd.c): position, f_flags (O_CLOEXEC from the fd), mount id, inode, then the file's own */
  fdinfo(pid: number, fd: number): string | null {
    const task = this.k.taskByPid(pid), e = task?.files.entry(fd);
    if (!task || !e) return null;
    const f = e.file, st = f.stat();
    const flags = (f.flags | (e.cloexec ? O_CLOEXEC : 0)) >>> 0;
    // show_fd_locks: this open file's locks, before the file's own lines
    return `pos:\t${f.pos}\nflags:\t0${flags.toString(8)}\nmnt_id:\t${this.k.vfs.mountId(f)}\n` +
      `ino:\t${typeof st === 'number' ? 0 : st.ino}\n${this.k.vfs.locks.status({ file: f, owner: task.tg })}${f.fdinfo()}`;
  }
  locks(): string {
    return this.k.vfs.locks.status();
  }
  cmdline(pid: number): Uint8Array | null {
    return this.k.taskByPid(pid)?.tg.cmdline ?? null;
  }
  auxv(pid: number): Uint8Array | null {
    return this.k.taskByPid(pid)?.tg.auxv ?? null;
  }
  mem(pid: number): ProcMem | number {
    const k = this.k, t = k.taskByPid(pid), cur = k.current;
    if (!t || t.tg.zombie) return -Errno.ENOENT;
    if (cur && cur.mm !== t.mm && !ptraceMayAccess(cur, t, PTRACE_MODE_ATTACH_FSCREDS)) return -Errno.EACCES;
    const mm = t.mm, tg = t.tg;
    // mem_rw: a page at a time, FOLL_FORCE for writes (a breakpoint into read-only code); what moved, or EIO
    const rw = (addr: number, buf: Uint8Array, write: boolean): number => {
      if (tg.zombie) return 0;
      let done = 0;
      while (done < buf.length) {
        const a = addr + done, n = Math.min(buf.length - done, PAGE_SIZE - (a % PAGE_SIZE));
        try {
          if (write) mm.writeForce(a, buf.subarray(done, done + n));
          else mm.readInto(a, buf, done, n);
        } catch (e) {
          if (!(e instanceof ErrnoError)) throw e;
          break;
        }
        done += n;
      }
      if (write && done > 0) {
        const live = tg.tasks.find((x) => x.state !== 'zombie' && x.state !== 'dead');
        if (live && live.mm !== cur?.mm) k.remoteMmChanged(live);
      }
      return done > 0 ? done : -Errno.EIO;
    };
    return { read: (addr, buf) => rw(addr, buf, false), write: (addr, buf) => rw(addr, buf, true) };
  }
  comm(pid: number): string | null {
    return this.k.taskByPid(pid)?.comm ?? null;
  }
  maps(pid: number): string | null {
    return this.k.taskByPid(pid)?.mm.mapsText() ?? null;
  }
  ncpus(): number {
    return this.k.sched.ncpus;
  }
  pidStat(pid: number, tid?: number): ReturnType<typeof procPidStat> {
    return procPidStat(this.k, pid, tid);
  }
  tids(pid: number): number[] | null {
    const tg = this.k.tgs.get(pid);
    if (!tg) return null;
    return tg.tasks.filter((t) => t.state !== 'zombie' && t.state !== 'dead').map((t) => t.tid).sort((a, b) => a - b);
  }
  setComm(pid: number, tid: number, name: Uint8Array): number {
    const t = this.k.tasks.get(tid);
    if (!t || t.tg.tgid !== pid) return -Errno.ESRCH;
    // (another process's thread: EINVAL, as comm_write answers)
    if (this.k.current?.tg !== t.tg) return -Errno.EINVAL;
    const z = name.indexOf(0);
    t.comm = Buffer.from(z < 0 ? name : name.subarray(0, z)).toString('utf8');
    return 0;
  }
  threadComm(pid: number, tid: number): string | null {
    const t = this.k.tasks.get(tid);
    return t && t.tg.tgid === pid ? t.comm : null;
  }
  uptime(): { upNs: number; idleNs: number } {
    return procUptime(this.k);
  }
  loadavg(): [number, number, number] {
    return this.k.load.averages();
  }
  meminfo(): { totalKiB: number; freeKiB: number } {
    const pm = this.k.physmem;
    return { totalKiB: pm.limit * 4, freeKiB: (pm.limit - pm.used) * 4 };
  }
}

