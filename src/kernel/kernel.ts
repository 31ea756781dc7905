/**
 * The kernel: the process tree, the trap loop, exec, exit and wait, and
 * signal delivery.
 *
 * The trap loop only dispatches (arch/um/os-Linux/skas/process.c:userspace):
 * waitpid on every guest host thread at once, then one case per stop reason,
 * each a named method; anything unexpected kills the guest tree with the
 * host tid and status.
 *
 * Lock order (outermost first): none are held across a trap. There is one JS
 * thread and no await in the kernel; "guarded by the JS thread" below means
 * touched only synchronously from the loop. Guest threads run in parallel on
 * the host; their shared state (an AddressSpace) changes only while the
 * trapping thread is stopped, and mapping changes reach the host in a flush
 * that completes before that thread resumes.
 */
import { Physmem, OutOfMemory } from '../mm/physmem.js';
import { AddressSpace } from '../mm/address_space.js';
import {
  Platform, Context, Stop, ContextGone, StubFailed, STOP_SYSCALL, STOP_SECCOMP, STOP_FAULT, STOP_TRAP, STOP_KICK,
  STOP_SIGNAL, STOP_EXIT, STOP_EVENTS,
} from '../platform/platform.js';
import { isStubAddress } from '../platform/stub_layout.js';
import { SEGV_MAPERR, SEGV_ACCERR } from '../mm/address_space.js';
import { RIP, ORIG_RAX, RAX, RSP, NREGS, FS_BASE, GS_BASE, CS, SS } from '../platform/regs.js';
import { Errno, ERRNO_NAMES } from '../abi/errno.js';
import { Task, ThreadGroup } from './task.js';
import { Creds } from './creds.js';
import { Scheduler, SLICE_NS, LONG_RUN_NS } from './sched.js';
import { dispatchSyscall, finishSyscall, restartMode, BLOCKED, REGS_SET, SyscallTable } from './syscall.js';
import {
  SigInfo, actionOf, isBlocked, isIgnored, isStopSignal, isCoreSignal, isIgnoredByDefault, setupFrame, initFpState,
  SIG_DFL, SIG_IGN, SA_NODEFER, SA_RESETHAND, SA_RESTART, SA_NOCLDSTOP, SA_NOCLDWAIT, SIGKILL, SIGCONT,
  SIGCHLD, SI_USER, SI_KERNEL, CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED, UNBLOCKABLE_LO,
  ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK, defaultAction,
} from './signal.js';
import { Vfs, FsContext, HostMountSpec } from '../fs/vfs.js';
import { FdTable, File } from '../fs/file.js';
import { ElfImage, ExecFile, LoaderError, loadElf, parseElf, ARG_MAX, MAX_ARG_STRLEN } from '../loader/elf.js';
import { O_RDONLY, S_IFMT, S_IFREG, S_IFDIR } from '../fs/types.js';
import { randomFillSync } from 'node:crypto';
import { getSystemErrorMap } from 'node:util';
import { FutexTable } from './futex.js';
import { procPidStat, procUptime } from './procstat.js';

export interface KernelOptions {
  root: string;
  rw: boolean;
  memBytes: number;
  cpus: number;
  strace: boolean;
  /** host fds that become the guest's 0, 1, 2 */
  stdio: [number, number, number];
  /** more host directories (--mount) and the host fd budget of hostfs (--max-host-fds) */
  mounts?: readonly HostMountSpec[];
  maxHostFds?: number;
  /** where guest code runs (the ptrace platform, or later systrap) */
  platform: Platform;
  /** where kernel messages and strace lines go (one line, no newline) */
  log: (line: string) => void;
  /** the syscall table (syscalls/table.ts) */
  syscalls: SyscallTable;
  /** init's credentials (--user, or the host user running umlts) */
  user: { uid: number; gid: number; groups: number[] };
}

/** Signal names and the shell's words for them (for "Segmentation fault"). */
export const SIGNAL_MESSAGES: Record<number, string> = {
  1: 'Hangup', 2: '', 3: 'Quit', 4: 'Illegal instruction', 5: 'Trace/breakpoint trap', 6: 'Aborted',
  7: 'Bus error', 8: 'Floating point exception', 9: 'Killed', 10: 'User defined signal 1',
  11: 'Segmentation fault', 12: 'User defined signal 2', 13: '', 14: 'Alarm clock', 15: 'Terminated',
  24: 'CPU time limit exceeded', 25: 'File size limit exceeded', 31: 'Bad system call',
};

export const SIGNAL_NAMES: Record<number, string> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL',
  10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM', 16: 'SIGSTKFLT', 17: 'SIGCHLD',
  18: 'SIGCONT', 19: 'SIGSTOP', 20: 'SIGTSTP', 21: 'SIGTTIN', 22: 'SIGTTOU', 23: 'SIGURG', 24: 'SIGXCPU', 25: 'SIGXFSZ',
  26: 'SIGVTALRM', 27: 'SIGPROF', 28: 'SIGWINCH', 29: 'SIGIO', 30: 'SIGPWR', 31: 'SIGSYS',
};

/** strerror() for the user: "No such file or directory". */
export function errnoMessage(e: number): string {
  const m = getSystemErrorMap().get(-e);
  return m ? m[1].charAt(0).toUpperCase() + m[1].slice(1) : ERRNO_NAMES[e] ?? `errno ${e}`;
}

/** A bug in the kernel, or a host failure the guest cannot survive. */
export class KernelPanic extends Error {}

const SIGSEGV = 11, SIGTRAP = 5;

export const CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800, CLONE_PIDFD = 0x1000,
  CLONE_PTRACE = 0x2000, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000, CLONE_THREAD = 0x10000, CLONE_NEWNS = 0x20000,
  CLONE_SYSVSEM = 0x40000, CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000,
  CLONE_DETACHED = 0x400000, CLONE_UNTRACED = 0x800000, CLONE_CHILD_SETTID = 0x1000000, CLONE_IO = 0x80000000;
const CLONE_NAMESPACES = 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | CLONE_NEWNS;

/** wait options */
export const WNOHANG = 1, WUNTRACED = 2, WSTOPPED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000;
export const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;

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
}

export class Kernel {
  readonly physmem: Physmem;
  readonly vfs: Vfs;
  readonly platform: Platform;
  readonly events: Platform['events'];
  readonly sched: Scheduler;
  readonly opts: KernelOptions;
  /** guest tid -> live task; guarded by the JS thread */
  readonly tasks = new Map<number, Task>();
  /** guest pid -> process, live or zombie (until reaped); guarded by the JS thread */
  readonly tgs = new Map<number, ThreadGroup>();
  /** next guest pid to hand out */
  private nextPid = 1;
  /** counters for --stats; bumped on the JS thread */
  readonly stats = { syscalls: 0, stubs: 0, execs: 0 };
  /** init (pid 1): orphans are reparented to it */
  private init: ThreadGroup | null = null;
  /** tasks woken during the current dispatch, run after it (softirq-style) */
  private readonly woken: Task[] = [];
  /** syscall numbers already reported as unimplemented */
  readonly reportedEnosys = new Set<number>();
  /** init's wait status once it is gone */
  private initStatus: number | null = null;
  /** the stop being handled; reused (nothing allocated per trap), guarded by the JS thread */
  private readonly stop: Stop = { kind: STOP_EVENTS, ctx: null, sig: 0, status: 0 };
  /** the siginfo of the stop being handled (onFault, onTrap); used synchronously only */
  private readonly siginfo = { code: 0, addr: 0 };
  /** futex waiters */
  readonly futexes = new FutexTable();
  /** boot time for /proc/uptime, sysinfo (monotonic ns) */
  readonly bootNs = process.hrtime.bigint();
  /** the task whose syscall is running, for /proc/self and the terminal's job control */
  currentPid = 1;
  current: Task | null = null;

  constructor(opts: KernelOptions) {
    this.opts = opts;
    this.platform = opts.platform;
    this.events = opts.platform.events;
    this.physmem = new Physmem(opts.memBytes);
    this.sched = new Scheduler(opts.cpus, opts.platform);
    this.vfs = new Vfs({
      rootDir: opts.root,
      rw: opts.rw,
      proc: new ProcProviderImpl(this),
      hostWatch: { watch: (fd, ev, cb) => this.events.watch(fd, ev, cb) },
      mounts: opts.mounts,
      hostFdBudget: opts.maxHostFds,
    });
  }

  // ---- process creation and exec ----------------------------------------------------

  private allocPid(): number {
    while (this.tgs.has(this.nextPid) || this.tasks.has(this.nextPid)) this.nextPid = this.nextPid >= 4194304 ? 2 : this.nextPid + 1;
    return this.nextPid++;
  }

  /**
   * Start the guest's init (pid 1): resolve and load the program and set up
   * its stdio. Throws LoaderError (with a one-line reason) if it cannot run.
   */
  spawnInit(path: string, argv: string[], envp: string[], cwd: string, cwdRequired = true): Task {
    const fs: FsContext = { cwd: '/', umask: 0o022 };
    const u = this.opts.user;
    const creds = new Creds(u.uid, u.gid, u.uid, u.gid, u.uid, u.gid, u.uid, u.gid, [...u.groups]);
    if (cwd !== '/') {
      const r = this.vfs.chdir({ fs, creds }, null, cwd);
      if (r < 0 && cwdRequired) throw new LoaderError(-r as Errno, `--cwd ${cwd}: ${errnoMessage(-r)}`);
    }
    const files = new FdTable();
    const [i, o, e] = this.opts.stdio;
    files.installAt(0, this.vfs.console(i, 0), false);
    files.installAt(1, this.vfs.console(o, 1), false);
    files.installAt(2, this.vfs.console(e, 2), false);
    const img = this.prepareExec(fs, path, argv, creds);
    const { mm, thread } = AddressSpace.create(this.physmem, this.platform);
    this.stats.stubs++;
    const tg = new ThreadGroup(this.allocPid(), null);
    this.init = tg;
    const task = new Task(this, tg.tgid, tg, mm, thread, files, fs, creds);
    tg.tasks.push(task);
    this.tgs.set(tg.tgid, tg);
    this.tasks.set(task.tid, task);
    thread.owner = task;
    this.loadInto(task, img, envp);
    return task;
  }

  /**
   * The checks of execve that can fail before anything changes: resolve the
   * path, permission, #! scripts, the ELF headers and its interpreter.
   */
  prepareExec(fs: FsContext, path: string, argv: string[], creds: Creds, depth = 0): PreparedExec {
    if (path === '') throw new LoaderError(Errno.ENOENT, `${path}: No such file or directory`);
    const file = this.openExec(fs, path, creds);
    try {
      const head = new Uint8Array(256);
      const n = file.read(head, 0);
      if (n >= 2 && head[0] === 0x23 && head[1] === 0x21) {
        // binfmt_script: "#!interp [arg]"
        if (depth >= 4) throw new LoaderError(Errno.ELOOP, `${path}: too many levels of #! interpreters`);
        let end = head.indexOf(10, 2);
        if (end < 0) end = n;
        const line = Buffer.from(head.subarray(2, end)).toString('utf8').trim();
        if (!line) throw new LoaderError(Errno.ENOEXEC, `${path}: empty #! line`);
        const sp = line.search(/[ \t]/);
        const interp = sp < 0 ? line : line.slice(0, sp);
        const arg = sp < 0 ? '' : line.slice(sp).trim();
        const nargv = [interp, ...(arg ? [arg] : []), path, ...argv.slice(1)];
        return this.prepareExec(fs, interp, nargv, creds, depth + 1);
      }
      const st = file.stat();
      const size = typeof st === 'number' ? 0 : st.size;
      const ef = this.execFile(file, size);
      const img = parseElf(ef, path);
      let interp: ElfImage | null = null;
      if (img.interp) {
        const ifile = this.openExec(fs, img.interp, creds, true);
        const ist = ifile.stat();
        interp = parseElf(this.execFile(ifile, typeof ist === 'number' ? 0 : ist.size), img.interp);
        if (interp.interp) throw new LoaderError(Errno.ELIBBAD, `${img.interp}: interpreter has an interpreter`);
      }
      let total = 0;
      for (const a of argv) {
        const l = Buffer.byteLength(a) + 1;
        if (l > MAX_ARG_STRLEN) throw new LoaderError(Errno.E2BIG, `${path}: argument list too long`);
        total += l + 8;
      }
      return { path, argv, img, interp, files: [file, ...(interp ? [(interp.file as ExecFileImpl).f] : [])], argTotal: total };
    } catch (e) {
      file.put();
      throw e;
    }
  }

  private openExec(fs: FsContext, path: string, creds: Creds, interp = false): File {
    const f = this.vfs.open({ fs, creds }, null, path, O_RDONLY, 0);
    if (typeof f === 'number') {
      const what = interp ? `interpreter ${path}` : path;
      throw new LoaderError(-f as Errno, `${what}: ${errnoMessage(-f)}`);
    }
    const st = f.stat();
    if (typeof st === 'number' || (st.mode & S_IFMT) !== S_IFREG) {
      f.put();
      const isDir = typeof st !== 'number' && (st.mode & S_IFMT) === S_IFDIR;
      throw new LoaderError(Errno.EACCES, `${path}: ${isDir ? 'Is a directory' : 'Permission denied (not a regular file)'}`);
    }
    // execute permission (root needs at least one x bit)
    const x = creds.euid === 0 ? (st.mode & 0o111) !== 0 : creds.euid === st.uid ? (st.mode & 0o100) !== 0 : creds.egid === st.gid ? (st.mode & 0o010) !== 0 : (st.mode & 0o001) !== 0;
    if (!x && !interp) {
      f.put();
      throw new LoaderError(Errno.EACCES, `${path}: Permission denied`);
    }
    return f;
  }

  private execFile(f: File, size: number): ExecFileImpl {
    const m = f.mappable();
    if (!m) throw new LoaderError(Errno.EACCES, `${f.path}: cannot be mapped`);
    return new ExecFileImpl(f, size, m);
  }

  /** Load a prepared image into the task's (empty) mm and set its registers. */
  private loadInto(task: Task, p: PreparedExec, envp: string[]): void {
    let total = p.argTotal;
    for (const e of envp) total += Buffer.byteLength(e) + 9;
    if (total > ARG_MAX) throw new LoaderError(Errno.E2BIG, `${p.path}: argument list too long`);
    const random = new Uint8Array(16);
    randomFillSync(random);
    task.mm.setSyncThread(task.thread);
    const r = loadElf(task.mm, p.img, p.interp, {
      argv: p.argv, envp, execfn: p.path, random,
      uid: task.creds.uid, gid: task.creds.gid, euid: task.creds.euid, egid: task.creds.egid,
    });
    for (const f of p.files) f.put(); // the VMAs hold their own references now
    const regs = task.regs;
    task.thread.getRegs(regs);
    for (let i = 0; i < NREGS; i++) {
      if (i !== CS && i !== SS && i < FS_BASE) regs.set(i, 0);
    }
    regs.set(18, 0x202); // eflags: IF
    regs.set(FS_BASE, 0);
    regs.set(GS_BASE, 0);
    regs.set(RIP, r.entry);
    regs.set(RSP, r.sp);
    regs.set(ORIG_RAX, -1);
    task.atSeccomp = false;
    task.inSyscall = false;
    task.tg.exe = p.path.startsWith('/') ? p.path : this.vfs.absolute(task.fs, p.path);
    task.tg.cmdline = Buffer.from(p.argv.map((a) => a + '\0').join(''), 'utf8');
    task.comm = p.path.split('/').pop()!.slice(0, 15);
  }

  /**
   * execve(2) for a running task: everything that can fail is checked first;
   * then the old image goes. A process's own stub is reused (its host
   * mappings are dropped with the old VMAs), which saves spawning one.
   */
  execve(task: Task, path: string, argv: string[], envp: string[]): number {
    this.stats.execs++;
    let p: PreparedExec;
    try {
      p = this.prepareExec(task.fs, path, argv, task.creds);
    } catch (e) {
      if (e instanceof LoaderError) return -e.errno;
      throw e;
    }
    // the point of no return
    if (task.tg.tasks.length > 1) this.deThread(task);
    const mm = task.mm;
    mm.setSyncThread(task.thread);
    mm.reset();
    mm.flush();
    task.thread.setXstate(initFpState(576));
    try {
      this.loadInto(task, p, envp);
    } catch (e) {
      if (e instanceof LoaderError || e instanceof OutOfMemory) {
        this.exitGroup(task, SIGSEGV);
        return BLOCKED;
      }
      throw e;
    }
    task.files.closeOnExec();
    // handled signals go back to their defaults; ignored ones stay ignored
    for (let s = 1; s <= 64; s++) {
      const a = task.tg.sigactions[s];
      if (a && a.handler !== SIG_IGN) task.tg.sigactions[s] = defaultAction();
    }
    task.altStackSp = task.altStackSize = 0;
    task.altStackFlags = 2;
    task.tg.timers?.exec(); // POSIX timers do not survive exec (alarm and itimers do)
    this.vforkRelease(task);
    return REGS_SET;
  }

  /**
   * clone(2)/fork(2)/vfork(2): a new process. Its address space is a
   * copy-on-write copy in a new stub host process (CLONE_VM without
   * CLONE_THREAD — vfork, posix_spawn — gets a copy too: POSIX allows it,
   * and the parent still waits for the child's exec or exit). A thread
   * (CLONE_THREAD) is a host thread in the same stub: cloneThread.
   */
  clone(parent: Task, flags: number, stack: number, ptid: number, ctid: number, tls: number): number {
    if (flags & CLONE_THREAD) return this.cloneThread(parent, flags, stack, ptid, ctid, tls);
    if (flags & CLONE_SIGHAND && !(flags & CLONE_VM)) return -Errno.EINVAL;
    if (flags & CLONE_NAMESPACES) return -Errno.EPERM;
    if (this.tgs.size >= 4096) return -Errno.EAGAIN;
    const { mm, thread } = parent.mm.fork();
    this.stats.stubs++;
    const ptg = parent.tg;
    const tg = new ThreadGroup(this.allocPid(), flags & CLONE_PARENT ? ptg.parent : ptg);
    tg.exitSignal = flags & 0xff;
    tg.exe = ptg.exe;
    tg.cmdline = ptg.cmdline;
    for (const [k, v] of ptg.rlimits) tg.rlimits.set(k, [v[0], v[1]]);
    for (let s = 1; s <= 64; s++) {
      const a = ptg.sigactions[s];
      if (a) tg.sigactions[s] = { ...a };
    }
    (tg.parent ?? ptg).children.add(tg);
    this.tgs.set(tg.tgid, tg);
    const child = this.childTask(parent, tg.tgid, tg, mm, thread, flags, stack, tls);
    child.altStackSp = parent.altStackSp;
    child.altStackSize = parent.altStackSize;
    child.altStackFlags = parent.altStackFlags;
    if (flags & CLONE_PARENT_SETTID) {
      parent.mm.writeU32(ptid, tg.tgid);
      mm.writeU32(ptid, tg.tgid);
    }
    if (flags & CLONE_CHILD_SETTID) mm.writeU32(ctid, tg.tgid);
    if (flags & CLONE_CHILD_CLEARTID) child.clearChildTid = ctid;
    if (flags & CLONE_VFORK) {
      child.vforkParent = parent;
      parent.vforkDone = false;
    }
    mm.setSyncThread(thread);
    this.resume(child);
    return tg.tgid;
  }

  /**
   * The task clone makes, process or thread: files and fs shared or copied
   * per the flags, the parent's name and mask, and its registers returning
   * 0 (on the new stack if one was given) with its FPU state.
   */
  private childTask(parent: Task, tid: number, tg: ThreadGroup, mm: AddressSpace, thread: Context, flags: number, stack: number, tls: number): Task {
    const files = flags & CLONE_FILES ? parent.files : parent.files.clone();
    if (files === parent.files) files.users++;
    const fs: FsContext = flags & CLONE_FS ? parent.fs : { ...parent.fs };
    const child = new Task(this, tid, tg, mm, thread, files, fs, parent.creds.clone());
    tg.tasks.push(child);
    this.tasks.set(tid, child);
    thread.owner = child;
    child.comm = parent.comm;
    child.sigmaskLo = parent.sigmaskLo;
    child.sigmaskHi = parent.sigmaskHi;
    const r = child.regs;
    r.copyFrom(parent.regs);
    r.set(RAX, 0);
    r.set(ORIG_RAX, -1);
    if (stack) r.set(RSP, stack);
    if (flags & CLONE_SETTLS) r.set(FS_BASE, tls);
    r.dirty = true; // a fresh or parked host thread: all of them are set
    thread.setXstate(parent.thread.getXstate());
    return child;
  }

  /**
   * clone(CLONE_THREAD): a new thread of parent's process. Its host thread
   * is a thread of the same stub process (mm.newThread: the parent's host
   * thread runs the stub's clone, or a parked one is reused), so the host
   * shares every mapping and threads of one process run in parallel.
   */
  private cloneThread(parent: Task, flags: number, stack: number, ptid: number, ctid: number, tls: number): number {
    if (!(flags & CLONE_SIGHAND) || !(flags & CLONE_VM)) return -Errno.EINVAL;
    if (flags & CLONE_NAMESPACES) return -Errno.EINVAL;
    if (this.tasks.size >= 16384) return -Errno.EAGAIN;
    const mm = parent.mm, tg = parent.tg;
    if (tg.zombie) return -Errno.EAGAIN;
    const thread = mm.newThread(parent.thread);
    if (typeof thread === 'number') return thread;
    mm.setSyncThread(parent.thread);
    mm.users++;
    // (a new thread has no alternate signal stack)
    const child = this.childTask(parent, this.allocPid(), tg, mm, thread, flags, stack, tls);
    if (flags & CLONE_PARENT_SETTID) mm.writeU32(ptid, child.tid);
    if (flags & CLONE_CHILD_SETTID) mm.writeU32(ctid, child.tid);
    if (flags & CLONE_CHILD_CLEARTID) child.clearChildTid = ctid;
    this.resume(child);
    return child.tid;
  }

  /**
   * exit(2) of one thread: the others go on; the last one out ends the
   * process. clear_child_tid is zeroed and one futex waiter woken on it
   * (pthread_join); the host thread is parked for the next new thread.
   */
  exitThread(task: Task, status: number): void {
    const tg = task.tg;
    if (!tg.tasks.some((t) => t !== task && t.state !== 'zombie' && t.state !== 'dead')) return this.exitGroup(task, status);
    if (task.clearChildTid) {
      try {
        task.mm.writeU32(task.clearChildTid, 0);
        this.futexes.wake(task, task.clearChildTid, 1, 0xffffffff);
      } catch {
        // an unmapped address: nothing to clear (as mm_release)
      }
    }
    this.dropThread(task);
  }

  /** A thread leaves its process (exit, or killed by another's exec): its host thread, stopped, is parked (unless it died). */
  private dropThread(t: Task, alive = true): void {
    this.detachTask(t, 'dead');
    const i = t.tg.tasks.indexOf(t);
    if (i >= 0) t.tg.tasks.splice(i, 1);
    if (alive) t.mm.park(t.thread);
    else t.mm.threads.delete(t.thread);
    t.mm.users--;
  }

  /** What every way out of a task shares: off its wait queue, its CPU and the kernel's tables; its fds dropped with the last user. */
  private detachTask(t: Task, state: 'zombie' | 'dead'): void {
    t.unqueue();
    t.syscallCleanup?.();
    t.syscallCleanup = null;
    this.leaveCpu(t);
    t.state = state;
    this.vforkRelease(t);
    t.thread.owner = null;
    this.tasks.delete(t.tid);
    if (--t.files.users === 0) t.files.closeAll();
  }

  /**
   * de_thread for execve: every other thread of the process ends (stopped
   * now if it is running guest code), and the exec'ing thread takes the
   * leader's tid.
   */
  private deThread(task: Task): void {
    const tg = task.tg;
    for (const t of [...tg.tasks]) {
      if (t === task || t.state === 'zombie' || t.state === 'dead') continue;
      const alive = t.state === 'running' ? this.platform.stopNow(t.thread) : true;
      this.dropThread(t, alive);
    }
    if (task.tid !== tg.tgid) {
      this.tasks.delete(task.tid);
      task.tid = tg.tgid;
      this.tasks.set(task.tid, task);
    }
  }

  /** The vfork parent of this task (if any) may go on: the child has exec'd or exited. */
  private vforkRelease(task: Task): void {
    const p = task.vforkParent;
    if (!p) return;
    task.vforkParent = null;
    p.vforkDone = true;
    this.wake(p);
  }

  // ---- the trap loop -------------------------------------------------------------------

  /** Run until init exits; returns its wait status (exit code << 8, or the signal). */
  run(init: Task): number {
    this.resume(init);
    const stop = this.stop;
    while (this.initStatus === null) {
      this.platform.wait(stop);
      const task = stop.ctx?.owner as Task | null | undefined;
      if (task) this.contain(() => this.onStop(task, stop));
      this.contain(() => this.runWoken());
    }
    return this.initStatus;
  }

  /**
   * Run a step of the trap loop; a guest process whose host process failed
   * under it (killed from outside, or stub code that did not finish — which
   * a guest can cause to itself) dies; the kernel and the others go on.
   */
  private contain(step: () => void): void {
    try {
      step();
    } catch (e) {
      if (!(e instanceof StubFailed || e instanceof ContextGone)) throw e;
      const task = this.taskOfHostTid(e.tid);
      if (!task) return;
      if (e instanceof ContextGone) return this.onHostDeath(task, SIGKILL, 0);
      this.warn(`pid ${task.pid}: ${e.message}; killed`);
      this.exitGroup(task, SIGKILL);
      this.runWoken();
    }
  }
  private taskOfHostTid(tid: number): Task | undefined {
    for (const t of this.tasks.values()) if (t.thread.tid === tid) return t;
    return undefined;
  }

  /** One stop of a guest thread: the trap loop only dispatches. */
  private onStop(task: Task, stop: Stop): void {
    this.leaveCpu(task);
    switch (stop.kind) {
      case STOP_SYSCALL: return this.onSyscall(task, false);
      case STOP_SECCOMP: return this.onSyscall(task, true);
      case STOP_FAULT: return this.onFault(task);
      case STOP_TRAP: return this.onTrap(task);
      case STOP_KICK: return this.onHostSignal(task, 0);
      case STOP_SIGNAL: return this.onHostSignal(task, stop.sig);
      case STOP_EXIT: return this.onHostDeath(task, stop.sig, stop.status);
      default: throw new KernelPanic(`unexpected stop ${stop.kind} of pid ${task.pid} (host tid ${task.thread.tid})`);
    }
  }

  private onSyscall(task: Task, atSeccomp: boolean): void {
    task.atSeccomp = atSeccomp;
    task.faultRepeats = 0;
    task.thread.getRegs(task.regs);
    if (isStubAddress(task.regs.get(RIP))) return this.onStubJump(task);
    task.mm.setSyncThread(task.thread);
    this.syscall(task);
  }

  /**
   * The guest executed a syscall instruction inside the stub's page (it
   * jumped there): under SYSEMU nothing ran on the host. The page is not
   * the guest's, so it gets what executing outside its address space gives.
   */
  private onStubJump(task: Task): void {
    const r = task.regs;
    const at = r.get(RIP) - 2;
    // the signal frame points at the syscall instruction, as a fetch fault
    // would: a handler that returns retries it and faults again
    r.set(RIP, at);
    r.set(ORIG_RAX, -1);
    task.inSyscall = false;
    this.forceSignal(task, SIGSEGV, { signo: SIGSEGV, code: SEGV_MAPERR, addr: at, trapno: 14, err: 4 | 16 });
    this.resume(task);
  }

  /** Run (or re-run, after a wake) the task's current syscall and resume it unless it blocked. */
  private syscall(task: Task): void {
    this.stats.syscalls++;
    const ret = dispatchSyscall(task, task.regs.getI32(ORIG_RAX));
    if (ret === BLOCKED) {
      // a signal that arrived while this syscall's stop waited to be taken
      // (another thread's tgkill, say) must not be slept through
      if (task.state === 'blocked' && this.hasDeliverable(task)) this.interrupt(task);
      return;
    }
    task.syscallState = null;
    task.syscallCleanup = null;
    task.sigwaitLo = task.sigwaitHi = 0;
    if (ret === REGS_SET) {
      task.inSyscall = false;
    } else {
      finishSyscall(task, ret);
      task.inSyscall = true;
    }
    this.resume(task);
  }

  /**
   * A SIGSEGV stopped a guest thread, at its signal-delivery stop: the
   * registers (GETREGS) and the address and kind (GETSIGINFO) are the
   * host's, nothing is read from memory the guest can write, and resuming
   * discards the host signal. A page fault the page tables can satisfy is
   * mapped and retried; anything else is the guest's SIGSEGV.
   */
  private onFault(task: Task): void {
    const th = task.thread, r = task.regs, si = this.siginfo;
    th.getRegs(r);
    r.dirty = true;
    th.getSiginfo(si);
    if (si.code <= 0) return this.onHostSignal(task, SIGSEGV); // sent by someone (kill, tgkill)
    task.inSyscall = false;
    task.atSeccomp = false;
    task.mm.setSyncThread(th);
    let info: SigInfo;
    if (si.code === SEGV_MAPERR || si.code === SEGV_ACCERR) {
      const rip = r.get(RIP);
      const err = task.mm.hostFaultErr(si.addr, si.code === SEGV_ACCERR, si.addr >= rip && si.addr - rip < 16);
      let code = si.code;
      if (this.faultProgress(task, si.addr)) {
        try {
          code = task.mm.handleFault(si.addr, err);
        } catch (e) {
          if (e instanceof OutOfMemory) return this.oomKill(task);
          throw e;
        }
        if (code === 0) return this.resume(task);
      }
      info = { signo: SIGSEGV, code, addr: si.addr, trapno: 14, err };
    } else {
      // a general protection fault (si_code SI_KERNEL, no address), or a protection key's
      info = { signo: SIGSEGV, code: si.code, addr: si.addr, trapno: si.code === SI_KERNEL ? 13 : 14, err: 0 };
    }
    this.forceSignal(task, SIGSEGV, info);
    this.resume(task);
  }

  /** False when the same fault keeps coming back after being mapped (the guest gets SIGSEGV, not a livelock). */
  private faultProgress(task: Task, addr: number): boolean {
    const page = Math.floor(addr / 4096);
    if (page !== task.faultAddr) {
      task.faultAddr = page;
      task.faultRepeats = 0;
      return true;
    }
    return ++task.faultRepeats < 4;
  }

  /** An int3 (or any SIGTRAP the guest raised itself) in guest code. Stub
   * traps never get here: the kernel waits for those where it starts them. */
  private onTrap(task: Task): void {
    const r = task.regs;
    task.thread.getRegs(r);
    r.dirty = true;
    task.thread.getSiginfo(this.siginfo);
    if (this.siginfo.code <= 0) return this.onHostSignal(task, SIGTRAP);
    task.inSyscall = false;
    task.atSeccomp = false;
    this.forceSignal(task, SIGTRAP, { signo: SIGTRAP, code: this.siginfo.code, addr: this.siginfo.addr });
    this.resume(task);
  }

  /**
   * A host signal stopped a guest host thread: the platform's kick (sig 0:
   * a guest signal is waiting, or preemption), the guest's own fault
   * (SIGFPE, SIGILL, SIGBUS), or a signal sent from outside umlts.
   */
  private onHostSignal(task: Task, sig: number): void {
    const r = task.regs;
    task.thread.getRegs(r);
    // resume with SETREGS, not the POKEUSER fast path: that one is only
    // sound straight after a SYSEMU syscall stop (restarts and signal
    // delivery in the host may have moved more than rax since)
    r.dirty = true;
    task.inSyscall = false;
    task.atSeccomp = false;
    if (sig !== 0) {
      const si = this.siginfo;
      task.thread.getSiginfo(si);
      const sync = si.code > 0 && si.code < SI_KERNEL;
      if (sync) this.forceSignal(task, sig, { signo: sig, code: si.code, addr: si.addr });
      else this.signalProcess(task.tg, sig, { signo: sig, code: SI_KERNEL });
    }
    this.resume(task);
  }

  /** A guest host thread died under us (killed from outside, or by the host's
   * OOM killer): the guest dies the same way. sig 0: it exited (code). */
  private onHostDeath(task: Task, sig: number, code: number): void {
    task.thread.owner = null;
    if (task.state === 'zombie' || task.state === 'dead') return;
    if (sig === 0) this.warn(`pid ${task.pid}: host process ${task.thread.tid} exited unexpectedly (${code})`);
    this.exitGroup(task, sig || SIGKILL);
  }

  // ---- sleeping and waking --------------------------------------------------------------

  /** Make a blocked task runnable; its syscall is re-run after the current dispatch. */
  wake(task: Task): void {
    if (task.state !== 'blocked') return;
    task.unqueue();
    task.state = 'runnable';
    task.wakeMode = 'rerun';
    this.woken.push(task);
  }

  /**
   * A signal arrived for a task asleep in a syscall: the syscall ends now
   * (not re-run) with the restart code its row asks for; delivery decides
   * between EINTR and restarting it.
   */
  private interrupt(task: Task): void {
    if (task.state !== 'blocked' || !task.vforkDone) return;
    task.unqueue();
    const partial = task.syscallCleanup?.();
    task.syscallCleanup = null;
    task.syscallState = null;
    task.sigwaitLo = task.sigwaitHi = 0;
    const mode = restartMode(task, task.regs.getI32(ORIG_RAX));
    if (typeof partial === 'number') finishSyscall(task, partial);
    else finishSyscall(task, mode === 'never' ? -Errno.EINTR : mode === 'nohand' ? -ERESTARTNOHAND : -ERESTARTSYS);
    task.inSyscall = true;
    task.state = 'runnable';
    task.wakeMode = 'resume';
    this.woken.push(task);
  }

  private runWoken(): void {
    while (this.woken.length > 0) {
      const t = this.woken.shift()!;
      if (t.state !== 'runnable') continue;
      t.mm.setSyncThread(t.thread);
      if (t.wakeMode === 'resume') this.resume(t);
      else this.syscall(t);
    }
  }

  /**
   * Host signals that reached the task's host thread while the kernel waited
   * for a stub trap (a kill from outside umlts): the process gets them now,
   * as onHostSignal would have given them. Our own kicks are dropped.
   */
  private takeHostSignals(task: Task): void {
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
    if (!this.deliverSignals(task)) return;
    task.state = 'running';
    task.mm.setSyncThread(task.thread);
    if (task.mm.pendingFlush > 0) task.mm.flush();
    // if it died under us, waitpid reports its death
    if (this.sched.acquire(task)) this.start(task);
    else this.armTick();
    if (this.sched.unbalanced) this.armBalance();
  }

  /** the placement timer, armed while a task runs beside the kernel on another vCPU */
  private balanceTimer: import('./events.js').Timer | null = null;
  private armBalance(): void {
    if (this.balanceTimer?.armed) return;
    this.balanceTimer = this.events.addTimer(process.hrtime.bigint() + LONG_RUN_NS, () => {
      this.sched.balance();
      if (this.sched.unbalanced) this.armBalance();
    });
  }

  /** the time-slice timer, armed while tasks wait for a vCPU */
  private tick: import('./events.js').Timer | null = null;
  private armTick(): void {
    if (this.tick?.armed) return;
    this.tick = this.events.addTimer(process.hrtime.bigint() + SLICE_NS, () => this.onTick());
  }
  /** Preempt: kick every task that has used up its slice while others wait (they requeue behind the waiters). */
  private onTick(): void {
    for (const t of this.sched.expired()) this.platform.kick(t.thread);
    if (this.sched.contended) this.armTick();
  }
  private start(task: Task): void {
    task.thread.resumeGuest(task.regs, task.atSeccomp);
    task.atSeccomp = false;
  }

  /** The task left its vCPU; start whoever waited for one. */
  private leaveCpu(task: Task): void {
    const next = this.sched.release(task);
    if (next) this.start(next);
  }

  // ---- signals -------------------------------------------------------------------------------

  /** Send a signal to one thread (tgkill, faults, SIGPIPE). */
  signalTask(task: Task, sig: number, info?: Partial<SigInfo>): void {
    if (sig === 0 || task.state === 'zombie' || task.state === 'dead') return;
    if (!this.prepareSignal(task.tg, sig)) return;
    if (isIgnored(task, sig)) return;
    task.pending.add({ signo: sig, code: SI_USER, ...info });
    this.signalWakeup(task, sig);
  }

  /** Send a signal to a process (kill): any thread not blocking it takes it. */
  signalProcess(tg: ThreadGroup, sig: number, info?: Partial<SigInfo>): void {
    if (sig === 0 || tg.zombie || tg.tasks.length === 0) return;
    if (!this.prepareSignal(tg, sig)) return;
    const t0 = tg.tasks[0]!;
    if (isIgnored(t0, sig)) return;
    tg.sharedPending.add({ signo: sig, code: SI_USER, ...info });
    const t = tg.tasks.find((x) => !isBlocked(x, sig) && x.state !== 'zombie') ?? t0;
    this.signalWakeup(t, sig);
  }

  /** Send a signal to every process of a process group; the count, or -ESRCH. */
  signalPgrp(pgid: number, sig: number, info?: Partial<SigInfo>): number {
    let n = 0;
    for (const tg of this.tgs.values()) {
      if (tg.pgid !== pgid || tg.zombie) continue;
      this.signalProcess(tg, sig, info);
      n++;
    }
    return n > 0 ? n : -Errno.ESRCH;
  }

  /**
   * prepare_signal: SIGKILL and SIGCONT continue a stopped process, stop
   * signals cancel a pending SIGCONT and vice versa. False: discard.
   */
  private prepareSignal(tg: ThreadGroup, sig: number): boolean {
    if (tg.zombie) return false;
    if (sig === SIGKILL) {
      this.exitGroup(tg.tasks[0]!, SIGKILL);
      return false;
    }
    if (isStopSignal(sig)) {
      tg.sharedPending.drop(SIGCONT);
      for (const t of tg.tasks) t.pending.drop(SIGCONT);
    } else if (sig === SIGCONT) {
      for (const s of [19, 20, 21, 22]) {
        tg.sharedPending.drop(s);
        for (const t of tg.tasks) t.pending.drop(s);
      }
      if (tg.stopSig) this.groupContinue(tg);
    }
    return true;
  }

  /** Make the task notice a new signal: interrupt its sleep, or stop it in guest code. */
  private signalWakeup(task: Task, sig: number): void {
    if (task.state === 'blocked' && (sig <= 32 ? task.sigwaitLo & (1 << (sig - 1)) : task.sigwaitHi & (1 << (sig - 33)))) {
      this.wake(task); // rt_sigtimedwait takes it
      return;
    }
    if (isBlocked(task, sig)) return;
    if (task.state === 'blocked') this.interrupt(task);
    else if (task.state === 'running') this.platform.kick(task.thread);
    // runnable / stopped in the kernel: delivery happens when it resumes
  }

  /**
   * force_sig_info: a synchronous signal (a fault) that cannot be ignored or
   * blocked — if it is, the handler goes back to SIG_DFL and it is unblocked.
   */
  forceSignal(task: Task, sig: number, info?: SigInfo): void {
    const a = actionOf(task.tg, sig);
    if (a.handler === SIG_IGN || isBlocked(task, sig)) {
      task.tg.sigactions[sig] = defaultAction();
      if (sig <= 32) task.sigmaskLo &= ~(1 << (sig - 1));
      else task.sigmaskHi &= ~(1 << (sig - 33));
    }
    task.pending.add(info ?? { signo: sig, code: SI_KERNEL });
  }

  /** Temporarily replace the mask (sigsuspend, ppoll, pselect6, epoll_pwait): restored after the next handler is set up, or by the syscall's end. */
  setTempSigmask(task: Task, lo: number, hi: number): void {
    if (task.savedMaskLo === null) {
      task.savedMaskLo = task.sigmaskLo;
      task.savedMaskHi = task.sigmaskHi;
    }
    task.sigmaskLo = lo & ~UNBLOCKABLE_LO;
    task.sigmaskHi = hi;
  }
  /** A syscall that set a temporary mask completes without a handler: put the old mask back. */
  restoreTempSigmask(task: Task): void {
    if (task.savedMaskLo === null) return;
    task.sigmaskLo = task.savedMaskLo;
    task.sigmaskHi = task.savedMaskHi;
    task.savedMaskLo = null;
  }

  /** Does the task have a signal it would act on now? (for sigsuspend-like waits) */
  hasDeliverable(task: Task): boolean {
    return task.pending.next(task.sigmaskLo, task.sigmaskHi) !== 0 || task.tg.sharedPending.next(task.sigmaskLo, task.sigmaskHi) !== 0;
  }

  /**
   * do_signal, just before the task returns to guest code: apply syscall
   * restart rules, act on every deliverable signal (ignore, default action,
   * or a handler frame). Returns false if the task must not resume (it died
   * or stopped).
   */
  private deliverSignals(task: Task): boolean {
    const r = task.regs;
    let handled = false;
    for (;;) {
      if (task.tg.stopSig && task.state !== 'zombie') {
        this.restartWithoutHandler(task);
        task.state = 'stopped';
        return false;
      }
      const fromTask = task.pending.next(task.sigmaskLo, task.sigmaskHi);
      const sig = fromTask || task.tg.sharedPending.next(task.sigmaskLo, task.sigmaskHi);
      if (!sig) break;
      const info = (fromTask ? task.pending : task.tg.sharedPending).take(sig)!;
      const act = actionOf(task.tg, sig);
      if (this.opts.strace) {
        const where = info.addr !== undefined ? `, si_addr=0x${info.addr.toString(16)}` : info.pid !== undefined ? `, si_pid=${info.pid}` : '';
        this.warnRaw(`${task.tid === 1 ? '' : `[pid ${task.tid}] `}--- ${SIGNAL_NAMES[sig] ?? `SIG${sig}`} {si_signo=${sig}, si_code=${info.code}${where}} ---`);
      }
      if (act.handler === SIG_IGN) continue;
      if (act.handler === SIG_DFL) {
        if (isIgnoredByDefault(sig)) continue;
        if (isStopSignal(sig)) {
          this.groupStop(task.tg, sig);
          continue; // the loop's top stops this task
        }
        this.exitGroup(task, sig | (isCoreSignal(sig) ? 0x80 : 0));
        return false;
      }
      // a handler: first decide the interrupted syscall's fate (handle_signal)
      if (task.inSyscall) {
        const rv = r.getS(RAX);
        if (rv === -ERESTARTNOHAND || rv === -ERESTART_RESTARTBLOCK || (rv === -ERESTARTSYS && !(act.flags & SA_RESTART))) r.set(RAX, -Errno.EINTR);
        else if (rv === -ERESTARTSYS || rv === -ERESTARTNOINTR) this.restartSyscall(task);
        task.inSyscall = false;
      }
      // the mask to save in the frame is the one before a temporary sigsuspend mask
      if (task.savedMaskLo !== null) {
        task.sigmaskLo = task.savedMaskLo;
        task.sigmaskHi = task.savedMaskHi;
        task.savedMaskLo = null;
      }
      const fp = task.thread.getXstate().slice();
      if (!setupFrame(task, info, act, fp)) {
        this.exitGroup(task, SIGSEGV | 0x80);
        return false;
      }
      task.thread.setXstate(initFpState(fp.length));
      if (!(act.flags & SA_NODEFER)) {
        if (sig <= 32) task.sigmaskLo |= 1 << (sig - 1);
        else task.sigmaskHi |= 1 << (sig - 33);
      }
      task.sigmaskLo = (task.sigmaskLo | act.maskLo) & ~UNBLOCKABLE_LO;
      task.sigmaskHi |= act.maskHi;
      if (act.flags & SA_RESETHAND) task.tg.sigactions[sig] = defaultAction();
      handled = true;
    }
    if (!handled) {
      this.restartWithoutHandler(task);
      this.restoreTempSigmask(task);
    }
    return true;
  }

  /** No handler ran: a syscall that asked to be restarted is (its registers rewound). */
  private restartWithoutHandler(task: Task): void {
    if (!task.inSyscall) return;
    const rv = task.regs.getS(RAX);
    if (rv === -ERESTARTSYS || rv === -ERESTARTNOINTR || rv === -ERESTARTNOHAND || rv === -ERESTART_RESTARTBLOCK) this.restartSyscall(task);
    task.inSyscall = false;
  }

  /** Make the guest execute the same syscall instruction again. */
  private restartSyscall(task: Task): void {
    const r = task.regs;
    r.set(RAX, r.getI32(ORIG_RAX));
    r.set(RIP, r.get(RIP) - 2);
    task.syscallState = null;
  }

  /** Job-control stop of a whole process (do_signal_stop). */
  private groupStop(tg: ThreadGroup, sig: number): void {
    if (tg.stopSig) return;
    tg.stopSig = sig;
    tg.stopNotify = true;
    tg.continueNotify = false;
    for (const t of tg.tasks) {
      if (t.state === 'running') this.platform.kick(t.thread);
      else if (t.state === 'blocked') this.interrupt(t);
    }
    const parent = tg.parent;
    if (parent && !(actionOf(parent, SIGCHLD).flags & SA_NOCLDSTOP)) {
      this.signalProcess(parent, SIGCHLD, { code: CLD_STOPPED, pid: tg.tgid, status: sig, uid: tg.tasks[0]?.creds.uid ?? 0 });
    }
    parent?.childWait.wake(1);
  }

  /** SIGCONT (or SIGKILL) of a stopped process. */
  private groupContinue(tg: ThreadGroup): void {
    tg.stopSig = 0;
    tg.stopNotify = false;
    tg.continueNotify = true;
    for (const t of tg.tasks) {
      if (t.state === 'stopped') {
        t.state = 'runnable';
        t.wakeMode = 'resume';
        this.woken.push(t);
      }
    }
    const parent = tg.parent;
    if (parent) {
      if (!(actionOf(parent, SIGCHLD).flags & SA_NOCLDSTOP)) {
        this.signalProcess(parent, SIGCHLD, { code: CLD_CONTINUED, pid: tg.tgid, status: SIGCONT, uid: tg.tasks[0]?.creds.uid ?? 0 });
      }
      parent.childWait.wake(1);
    }
  }

  private oomKill(task: Task): void {
    this.warn(`out of memory: killed pid ${task.pid} (${task.comm}); --mem is ${Math.round(this.opts.memBytes / 1048576)} MiB`);
    this.exitGroup(task, 9);
  }

  // ---- exit and wait ----------------------------------------------------------------------------

  /** exit_group: every thread of the process ends; it becomes a zombie for its parent. */
  exitGroup(task: Task, status: number): void {
    const tg = task.tg;
    if (tg.zombie) return;
    tg.exitStatus = status;
    tg.timers?.exit();
    tg.timers = null;
    for (const t of [...tg.tasks]) this.exitTask(t);
    tg.zombie = true;
    tg.stopSig = 0;
    // orphans go to init; a zombie among them is init's to reap now
    const init = this.init;
    for (const c of tg.children) {
      c.parent = init && init !== tg ? init : null;
      if (c.parent) {
        c.parent.children.add(c);
        if (c.zombie) this.notifyParent(c);
      }
      for (const ct of c.tasks) if (ct.pdeathSig) this.signalTask(ct, ct.pdeathSig);
    }
    tg.children.clear();
    if (tg.sid === tg.tgid) this.vfs.terminal.leaderExited(tg.sid);
    if (tg === this.init) {
      this.initStatus = status;
      return;
    }
    this.notifyParent(tg);
  }

  /** exit_notify: SIGCHLD (or the clone exit signal) to the parent, or autoreap. */
  private notifyParent(tg: ThreadGroup): void {
    const parent = tg.parent;
    if (!parent) {
      this.tgs.delete(tg.tgid);
      return;
    }
    const a = actionOf(parent, SIGCHLD);
    const status = tg.exitStatus ?? 0;
    if (tg.exitSignal === SIGCHLD && (a.handler === SIG_IGN || a.flags & SA_NOCLDWAIT)) {
      // the parent does not want zombies: reap now
      parent.children.delete(tg);
      this.tgs.delete(tg.tgid);
    } else if (tg.exitSignal) {
      const killed = (status & 0x7f) !== 0;
      this.signalProcess(parent, tg.exitSignal, {
        code: killed ? (status & 0x80 ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED,
        pid: tg.tgid,
        status: killed ? status & 0x7f : (status >> 8) & 0xff,
        uid: 0,
      });
    }
    parent.childWait.wake(1);
  }

  /** One task leaves: its host thread is killed, its resources dropped. */
  private exitTask(t: Task): void {
    if (t.state === 'zombie' || t.state === 'dead') return;
    this.detachTask(t, 'zombie');
    this.platform.kill(t.thread);
    t.mm.threads.delete(t.thread);
    if (--t.mm.users === 0) t.mm.release();
  }

  /**
   * do_wait for wait4/waitid: the first child matching (idtype, id) with
   * something to report. Returns it, 0 (WNOHANG, nothing yet), -ECHILD, or
   * BLOCKED (the task sleeps on its child-wait queue).
   */
  waitChild(task: Task, idtype: number, id: number, options: number): WaitResult | number {
    const me = task.tg;
    let any = false;
    for (const c of me.children) {
      if (idtype === P_PID && c.tgid !== id) continue;
      if (idtype === P_PGID && c.pgid !== id) continue;
      // __WCLONE/__WALL select by exit signal
      const clone = c.exitSignal !== SIGCHLD;
      if (!(options & 0x40000000) && (clone ? !(options & 0x80000000) : options & 0x80000000)) continue;
      any = true;
      if (c.zombie && options & WEXITED) {
        const st = c.exitStatus ?? 0;
        const killed = (st & 0x7f) !== 0;
        const res: WaitResult = {
          pid: c.tgid, status: st, uid: 0,
          code: killed ? (st & 0x80 ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED,
          siStatus: killed ? st & 0x7f : (st >> 8) & 0xff,
        };
        if (!(options & WNOWAIT)) {
          me.children.delete(c);
          this.tgs.delete(c.tgid);
          me.cutimeNs += c.utimeNs + c.cutimeNs;
        }
        return res;
      }
      if (c.stopSig && c.stopNotify && options & WSTOPPED) {
        if (!(options & WNOWAIT)) c.stopNotify = false;
        return { pid: c.tgid, status: (c.stopSig << 8) | 0x7f, uid: 0, code: CLD_STOPPED, siStatus: c.stopSig };
      }
      if (c.continueNotify && options & WCONTINUED) {
        if (!(options & WNOWAIT)) c.continueNotify = false;
        return { pid: c.tgid, status: 0xffff, uid: 0, code: CLD_CONTINUED, siStatus: SIGCONT };
      }
    }
    if (!any) return -Errno.ECHILD;
    if (options & WNOHANG) return 0;
    return task.sleepOn(me.childWait);
  }

  /** Kill every host process we own and reap them (on exit, panic or signal). */
  shutdown(): void {
    this.platform.shutdown();
  }

  /** One line on the real stderr. */
  warn(msg: string): void {
    this.warnRaw(`umlts: ${msg}`);
  }
  warnRaw(line: string): void {
    this.opts.log(line);
  }

  taskByPid(pid: number): Task | undefined {
    return this.tgs.get(pid)?.tasks[0] ?? this.tasks.get(pid);
  }
}

/** An exec image's file, with its own reference. */
class ExecFileImpl implements ExecFile {
  constructor(readonly f: File, readonly size: number, readonly vm: import('../mm/address_space.js').VmFile) {}
  pread(buf: Uint8Array, off: number): number {
    return this.f.read(buf, off);
  }
}

export interface PreparedExec {
  path: string;
  argv: string[];
  img: ElfImage;
  interp: ElfImage | null;
  /** references held until the image is mapped */
  files: File[];
  argTotal: number;
}

/** The kernel's side of procfs. */
class ProcProviderImpl {
  constructor(private readonly k: Kernel) {}
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
    return this.k.taskByPid(pid)?.fs.cwd ?? null;
  }
  fds(pid: number): Map<number, File> | null {
    const t = this.k.taskByPid(pid);
    if (!t) return null;
    const m = new Map<number, File>();
    for (const fd of t.files.list()) m.set(fd, t.files.get(fd)!);
    return m;
  }
  cmdline(pid: number): Uint8Array | null {
    return this.k.taskByPid(pid)?.tg.cmdline ?? null;
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
  threadComm(pid: number, tid: number): string | null {
    const t = this.k.tasks.get(tid);
    return t && t.tg.tgid === pid ? t.comm : null;
  }
  uptime(): { upNs: number; idleNs: number } {
    return procUptime(this.k);
  }
  meminfo(): { totalKiB: number; freeKiB: number } {
    const pm = this.k.physmem;
    return { totalKiB: pm.limit * 4, freeKiB: (pm.limit - pm.used) * 4 };
  }
}

