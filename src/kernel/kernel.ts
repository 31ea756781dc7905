/**
 * The kernel: task table, the trap loop, exec and exit.
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
import * as host from '../host/libc.js';
import { Physmem, OutOfMemory } from '../mm/physmem.js';
import { AddressSpace, SEGV_MAPERR } from '../mm/address_space.js';
import {
  HostThread, HostThreadGone, FaultInfo, STOP_SECCOMP, STOP_SYSEMU, SIGSEGV, SIGTRAP,
  WIFSTOPPED, WSTOPSIG, WIFEXITED, WEXITSTATUS, WTERMSIG,
} from '../platform/ptrace.js';
import { RIP, ORIG_RAX, RAX, RSP, NREGS, Regs } from '../platform/regs.js';
import { Errno, ErrnoError, ERRNO_NAMES } from './errno.js';
import { Task, ThreadGroup } from './task.js';
import { Creds } from './creds.js';
import { HostEvents } from './events.js';
import { Scheduler } from './sched.js';
import { dispatchSyscall, finishSyscall } from './syscall.js';
import { Vfs, FsContext } from '../fs/vfs.js';
import { FdTable, File } from '../fs/file.js';
import { ElfImage, ExecFile, LoaderError, loadElf, parseElf, ARG_MAX, MAX_ARG_STRLEN } from '../loader/elf.js';
import { BLOCKED } from '../syscalls/types.js';
import { O_RDONLY, S_IFMT, S_IFREG, S_IFDIR } from '../fs/types.js';
import { randomFillSync } from 'node:crypto';
import { getSystemErrorMap } from 'node:util';
import { FutexTable } from '../syscalls/futex.js';

export interface KernelOptions {
  root: string;
  rw: boolean;
  memBytes: number;
  cpus: number;
  strace: boolean;
  /** host fds that become the guest's 0, 1, 2 */
  stdio: [number, number, number];
}

/** Signal names and the shell's words for them (for "Segmentation fault"). */
export const SIGNAL_MESSAGES: Record<number, string> = {
  1: 'Hangup', 2: '', 3: 'Quit', 4: 'Illegal instruction', 5: 'Trace/breakpoint trap', 6: 'Aborted',
  7: 'Bus error', 8: 'Floating point exception', 9: 'Killed', 10: 'User defined signal 1',
  11: 'Segmentation fault', 12: 'User defined signal 2', 13: '', 14: 'Alarm clock', 15: 'Terminated',
  24: 'CPU time limit exceeded', 25: 'File size limit exceeded', 31: 'Bad system call',
};

/** Signals whose default action dumps core (signal(7)): the status carries 0x80. */
const CORE_SIGNALS = new Set([3, 4, 5, 6, 7, 8, 11, 24, 25, 31]);
/** Signals whose default action is to ignore. */
export const IGNORE_SIGNALS = new Set([17, 18, 23, 28]);

/** strerror() for the user: "No such file or directory". */
export function errnoMessage(e: number): string {
  const m = getSystemErrorMap().get(-e);
  return m ? m[1].charAt(0).toUpperCase() + m[1].slice(1) : ERRNO_NAMES[e] ?? `errno ${e}`;
}

/** A bug in the kernel, or a host failure the guest cannot survive. */
export class KernelPanic extends Error {}

export class Kernel {
  readonly physmem: Physmem;
  readonly vfs: Vfs;
  readonly events = new HostEvents();
  readonly sched: Scheduler;
  readonly opts: KernelOptions;
  /** guest tid -> task; guarded by the JS thread */
  readonly tasks = new Map<number, Task>();
  /** host tid -> task, for the trap loop; guarded by the JS thread */
  private readonly byHostTid = new Map<number, Task>();
  /** next guest pid to hand out */
  private nextPid = 1;
  /** tasks woken during the current dispatch, re-run after it (softirq-style) */
  private readonly woken: Task[] = [];
  /** syscall numbers already reported as unimplemented */
  readonly reportedEnosys = new Set<number>();
  /** init's wait status once it is gone */
  private initStatus: number | null = null;
  private readonly status = new Int32Array(1);
  private readonly fault: FaultInfo = { addr: 0, err: 0, trapno: 0, signo: 0, code: 0, sp: 0 };
  /** host tids killed and not yet reaped */
  private readonly dying = new Set<number>();
  /** futex waiters */
  readonly futexes = new FutexTable();
  /** boot time for /proc/uptime, sysinfo (monotonic ns) */
  readonly bootNs = process.hrtime.bigint();

  constructor(opts: KernelOptions) {
    this.opts = opts;
    this.physmem = new Physmem(opts.memBytes);
    this.sched = new Scheduler(opts.cpus);
    this.vfs = new Vfs({
      rootDir: opts.root,
      rw: opts.rw,
      proc: this.procProvider(),
      hostWatch: { watch: (fd, ev, cb) => this.events.watch(fd, ev, cb) },
    });
  }

  // ---- process creation and exec ----------------------------------------------------

  /**
   * Start the guest's init (pid 1): resolve and load the program and set up
   * its stdio. Throws LoaderError (with a one-line reason) if it cannot run.
   */
  spawnInit(path: string, argv: string[], envp: string[], cwd: string, cwdRequired = true): Task {
    const fs: FsContext = { cwd: '/', umask: 0o022 };
    const creds = new Creds(host.getuid(), host.getgid());
    if (cwd !== '/') {
      const r = this.vfs.chdir({ fs, creds }, null, cwd);
      if (r < 0 && cwdRequired) throw new LoaderError(-r as Errno, `--cwd ${cwd}: ${errnoMessage(-r)}`);
    }
    const files = new FdTable();
    const [i, o, e] = this.opts.stdio;
    files.installAt(0, this.vfs.console(i, 0), false);
    files.installAt(1, this.vfs.console(o, 1), false);
    files.installAt(2, this.vfs.console(e, 2), false);
    const tg = new ThreadGroup(this.nextPid++, 0);
    const img = this.prepareExec(fs, path, argv, creds);
    const { mm, thread } = AddressSpace.create(this.physmem);
    const task = new Task(this, tg.tgid, tg, mm, thread, files, fs, creds);
    tg.tasks.push(task);
    this.tasks.set(task.tid, task);
    this.byHostTid.set(thread.tid, task);
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

  /** Load a prepared image into the task's (fresh) mm and set its registers. */
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
      if (i !== 17 && i !== 20 && i < 21) regs.set(i, 0); // keep cs (17) and ss (20), eflags reset below
    }
    regs.set(18, 0x202); // eflags: IF
    regs.set(21, 0); // fs_base
    regs.set(22, 0); // gs_base
    regs.set(RIP, r.entry);
    regs.set(RSP, r.sp);
    regs.set(ORIG_RAX, -1);
    task.atSeccomp = false;
    task.tg.exe = p.path.startsWith('/') ? p.path : this.vfs.absolute(task.fs, p.path);
    task.tg.cmdline = Buffer.from(p.argv.map((a) => a + '\0').join(''), 'utf8');
    task.comm = p.path.split('/').pop()!.slice(0, 15);
  }

  /**
   * execve(2) for a running task: everything that can fail is checked first;
   * then the old address space (and its stub) goes and a new one comes.
   */
  execve(task: Task, path: string, argv: string[], envp: string[]): number {
    let p: PreparedExec;
    try {
      p = this.prepareExec(task.fs, path, argv, task.creds);
    } catch (e) {
      if (e instanceof LoaderError) return -e.errno;
      throw e;
    }
    const { mm, thread } = AddressSpace.create(this.physmem);
    const oldMm = task.mm, oldThread = task.thread;
    task.mm = mm;
    task.thread = thread;
    this.byHostTid.delete(oldThread.tid);
    this.byHostTid.set(thread.tid, task);
    this.killHostThread(oldThread);
    if (--oldMm.users === 0) oldMm.release();
    try {
      this.loadInto(task, p, envp);
    } catch (e) {
      if (e instanceof LoaderError) {
        this.exitGroup(task, (128 + SIGSEGV) << 8 | SIGSEGV);
        return BLOCKED;
      }
      throw e;
    }
    task.files.closeOnExec();
    for (let s = 1; s < 65; s++) {
      const a = task.tg.sigactions[s];
      if (a && a.handler > 1) task.tg.sigactions[s] = { handler: 0, flags: 0, restorer: 0, maskLo: 0, maskHi: 0 };
    }
    this.resume(task);
    return BLOCKED;
  }

  // ---- the trap loop -------------------------------------------------------------------

  /** Run until init exits; returns its wait status (exit code << 8, or the signal). */
  run(init: Task): number {
    this.resume(init);
    const st = this.status;
    while (this.initStatus === null) {
      const tid = host.waitpid(-1, st, host.__WALL);
      if (tid < 0) {
        if (tid === -4) continue; // EINTR
        throw new KernelPanic(`waitpid: errno ${-tid}`);
      }
      if (tid === this.events.wakerTid) {
        this.onWaker(st[0]!);
      } else {
        const task = this.byHostTid.get(tid);
        if (task) this.onStop(task, st[0]!);
        else this.dying.delete(tid); // a host thread we killed, now reaped
      }
      this.runWoken();
    }
    return this.initStatus;
  }

  /** One stop of a guest host thread. */
  private onStop(task: Task, s: number): void {
    this.release(task);
    if (!WIFSTOPPED(s)) return this.onHostDeath(task, s);
    if (s >> 8 === STOP_SYSEMU) return this.onSyscall(task, false);
    if (s >> 8 === STOP_SECCOMP) return this.onSyscall(task, true);
    const sig = WSTOPSIG(s);
    if (sig === SIGSEGV) return this.onFault(task);
    if (sig === SIGTRAP) return this.onTrap(task);
    return this.onHostSignal(task, sig);
  }

  private onSyscall(task: Task, atSeccomp: boolean): void {
    task.atSeccomp = atSeccomp;
    task.thread.getRegs(task.regs);
    task.mm.setSyncThread(task.thread);
    this.syscall(task);
  }

  /** Run (or re-run, after a wake) the task's current syscall and resume it unless it blocked. */
  private syscall(task: Task): void {
    const ret = dispatchSyscall(task, task.regs.getI32(ORIG_RAX));
    if (ret === BLOCKED) return;
    finishSyscall(task, ret);
    this.resume(task);
  }

  private onFault(task: Task): void {
    const th = task.thread;
    const fi = this.fault;
    try {
      th.enterFaultHandler(fi);
    } catch (e) {
      if (e instanceof HostThreadGone) return this.onHostDeath(task, e.status);
      throw e;
    }
    if (fi.trapno !== 14) {
      // not a page fault (#GP, #SS...): the kernel sends SIGSEGV with SI_KERNEL
      return this.forceSignal(task, SIGSEGV);
    }
    task.mm.setSyncThread(th);
    let code: number;
    try {
      code = task.mm.handleFault(fi.addr, fi.err);
    } catch (e) {
      if (e instanceof OutOfMemory) return this.oomKill(task);
      throw e;
    }
    if (code !== 0) return this.forceSignal(task, SIGSEGV);
    const queued = task.mm.pendingFlush > 0;
    th.resumeFromFault(queued, fi.sp);
    task.mm.markFlushed();
    task.state = 'running';
    this.sched.acquire(task); // (a fault never waits for a vCPU: it was just on one)
  }

  private onTrap(task: Task): void {
    const r = task.regs;
    task.thread.getRegs(r);
    if (HostThread.isStubTrap(r.get(RIP))) {
      if (HostThread.isBatchTrap(r.get(RIP))) {
        throw new KernelPanic(`stub batch request failed in pid ${task.pid} (host tid ${task.thread.tid}): errno ${-r.getS(RAX)}`);
      }
      throw new KernelPanic(`unexpected stub trap at ${r.get(RIP).toString(16)} in pid ${task.pid}`);
    }
    this.forceSignal(task, SIGTRAP); // a guest int3 or single-step
  }

  /** A host signal arrived for a guest host thread: the guest's own fault (SIGFPE, SIGILL, SIGBUS) or one sent from outside. */
  private onHostSignal(task: Task, sig: number): void {
    this.forceSignal(task, sig);
  }

  private onHostDeath(task: Task, s: number): void {
    this.byHostTid.delete(task.thread.tid);
    if (task.state === 'zombie' || task.state === 'dead') return;
    // killed from outside (or by the host's OOM killer): the guest dies the same way
    const sig = WIFEXITED(s) ? 9 : WTERMSIG(s);
    if (WIFEXITED(s)) this.warn(`pid ${task.pid}: host process ${task.thread.tid} exited unexpectedly (${WEXITSTATUS(s)})`);
    this.exitGroup(task, sig);
  }

  private onWaker(s: number): void {
    if (!WIFSTOPPED(s)) throw new KernelPanic(`the waker died (status ${s.toString(16)})`);
    this.events.onWakerStop();
  }

  // ---- sleeping and waking --------------------------------------------------------------

  /** Make a blocked task runnable; its syscall is re-run after the current dispatch. */
  wake(task: Task): void {
    if (task.state !== 'blocked') return;
    task.unqueue();
    task.state = 'runnable';
    this.woken.push(task);
  }
  private runWoken(): void {
    while (this.woken.length > 0) {
      const t = this.woken.shift()!;
      if (t.state !== 'runnable') continue;
      t.mm.setSyncThread(t.thread);
      this.syscall(t);
    }
  }

  /** Let the task run guest code again, once it has a vCPU. */
  resume(task: Task): void {
    task.state = 'running';
    if (task.mm.pendingFlush > 0) task.mm.flush();
    // if it died under us, waitpid reports its death
    if (this.sched.acquire(task)) this.start(task);
  }
  private start(task: Task): void {
    task.thread.resumeGuest(task.regs, task.atSeccomp);
    task.atSeccomp = false;
  }

  /** The task left its vCPU; start whoever waited for one. */
  private release(task: Task): void {
    const next = this.sched.release(task);
    if (next) this.start(next);
  }

  // ---- signals (default actions; handlers come with the signals work) ------------------------

  /**
   * A signal the task caused (fault) or received from the host. Without a
   * guest handler the default action applies: terminate (with core for the
   * core signals) or ignore.
   */
  forceSignal(task: Task, sig: number): void {
    if (IGNORE_SIGNALS.has(sig)) {
      // resume where it stopped; the host signal is dropped
      task.state = 'running';
      if (this.sched.acquire(task)) task.thread.cont(0);
      return;
    }
    this.exitGroup(task, sig | (CORE_SIGNALS.has(sig) ? 0x80 : 0));
  }

  private oomKill(task: Task): void {
    this.warn(`out of memory: killed pid ${task.pid} (${task.comm}); --mem is ${Math.round(this.opts.memBytes / 1048576)} MiB`);
    this.exitGroup(task, 9);
  }

  // ---- exit ------------------------------------------------------------------------------------

  /** exit_group: every thread of the group ends with wait status `status`. */
  exitGroup(task: Task, status: number): void {
    const tg = task.tg;
    if (tg.exitStatus !== null) return;
    tg.exitStatus = status;
    for (const t of tg.tasks) this.exitTask(t);
    if (tg.tgid === 1) this.initStatus = status;
  }

  /** One task leaves: its host thread is killed, its resources dropped. */
  private exitTask(t: Task): void {
    if (t.state === 'zombie' || t.state === 'dead') return;
    t.unqueue();
    this.release(t);
    t.state = 'zombie';
    this.byHostTid.delete(t.thread.tid);
    this.killHostThread(t.thread);
    t.mm.threads.delete(t.thread);
    if (--t.mm.users === 0) t.mm.release();
    t.files.closeAll();
    this.tasks.delete(t.tid);
  }

  private killHostThread(th: HostThread): void {
    th.kill();
    this.dying.add(th.tid);
  }

  /** Kill every host process we own and reap them (on exit, panic or signal). */
  shutdown(): void {
    for (const t of this.tasks.values()) this.killHostThread(t.thread);
    const w = this.events.shutdown();
    if (w > 0) this.dying.add(w);
    const st = new Int32Array(1);
    for (const tid of this.dying) host.waitpid(tid, st, host.__WALL);
    this.dying.clear();
  }

  /** One line on the real stderr. */
  warn(msg: string): void {
    this.warnRaw(`umlts: ${msg}`);
  }
  warnRaw(line: string): void {
    host.write(this.diagFd, Buffer.from(line + '\n'));
  }
  /** where kernel messages and strace go: umlts's own stderr */
  diagFd = 2;

  // ---- what /proc shows ----------------------------------------------------------------------
  currentPid = 1;
  private procProvider(): ProcProviderImpl {
    return new ProcProviderImpl(this);
  }
  taskByPid(pid: number): Task | undefined {
    return this.tasks.get(pid);
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
    const s = new Set<number>();
    for (const t of this.k.tasks.values()) s.add(t.pid);
    return [...s].sort((a, b) => a - b);
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
  meminfo(): { totalKiB: number; freeKiB: number } {
    const pm = this.k.physmem;
    return { totalKiB: pm.limit * 4, freeKiB: (pm.limit - pm.used) * 4 };
  }
}

void Regs;
void SEGV_MAPERR;
void ErrnoError;
