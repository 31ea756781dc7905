/**
 * The kernel's thread: a worker_threads worker that boots one Kernel from
 * a BootConfig and runs its trap loop until the sandbox closes. The worker
 * is the ptrace tracer of every guest host process (ptrace is bound to the
 * thread that spawned them), so the caller's event loop stays free; when
 * this thread ends, for whatever reason, the host kills them all
 * (PTRACE_O_EXITKILL, and the stubs' PR_SET_PDEATHSIG). The umlts command
 * runs the same kernel on its own thread instead (runHere, below): no
 * port, no wake pipe, its one process spawned from `local`.
 *
 * The loop blocks in waitpid, so the caller reaches it through the
 * kernel's own events: it posts a message (protocol.ts) and writes a byte
 * to the wake pipe, whose read end the kernel watches; the waker's stop
 * ends the wait and the watch sets `woken`. Between two stops (the loop's
 * `between`) the messages are taken with receiveMessageOnPort: everything
 * the front end does to the kernel happens there, where no stop is being
 * handled.
 *
 * Its replies are postMessage()s: exits, trace events (one message per
 * loop turn), kernel messages, and at the end the stats.
 *
 * Ownership: one WorkerSandbox per worker, touched only on this thread.
 * Host fds: the wake pipe's read end and the kernel's ends of the stdio
 * pipes are this thread's (ownedFds: closed when their File is released,
 * or at close); the wake pipe's write end and the caller's ends of the
 * stdio pipes are the caller's once posted.
 */
import type { MessagePort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { release as osRelease } from 'node:os';
import * as host from '../host/libc.js';
import { PtracePlatform } from '../platform/ptrace/platform.js';
import { SystrapPlatform } from '../platform/systrap/platform.js';
import { systrapUnavailable } from '../platform/systrap/probe.js';
import { SYSCALL_TABLE } from '../syscalls/table.js';
import { SYSCALL_NAMES } from '../abi/syscall_nr.js';
import { straceLine, straceSignalLine } from '../syscalls/strace.js';
import { Kernel, KernelPanic, errnoMessage } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import type { SyscallTracer, SyscallEntry } from '../kernel/syscall.js';
import { ttyJobs } from '../kernel/tty_jobs.js';
import { LoaderError } from '../loader/elf.js';
import { Errno, ErrnoError } from '../abi/errno.js';
import { SIGHUP, SIGCONT, SIGWINCH, SIGSYS, SIGNAL_NAMES, SI_USER } from '../abi/signal.js';
import { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_CLOEXEC, S_IFMT, S_IFDIR } from '../fs/types.js';
import type { File } from '../fs/file.js';
import { Terminal } from '../fs/tty/console.js';
import type { FsCaller } from '../fs/vfs.js';
import { startPublishing, parsePublish, PublishSpec } from '../net/publish.js';
import { BootConfig, SpawnConfig, GuestUser, EnvPairs, resolveUser } from './options.js';
import { OptionError, UmltsError, ExecError, ErrorInfo } from './errors.js';
import type { FromWorker, ToWorker, SyscallEvent, SignalEvent, SandboxStats } from './protocol.js';
import { kernelHook, syscallEvent, HookModule } from './hooks.js';
import { RLIM_NLIMITS } from '../abi/resource.js';
import { mark } from './timing.js';
import { CAP_FULL_SET } from '../abi/capability.js';

mark('kernel: modules loaded');

/** node:worker_threads, loaded by a Sandbox's worker only: the umlts command's own thread never needs it, and
 * loading it was a fiftieth of a start. Module state, set once on first use. */
let wt: typeof import('node:worker_threads') | null = null;
function workerThreads(): typeof import('node:worker_threads') {
  return (wt ??= createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads'));
}

/**
 * umlts's own resource limits, for the guest's processes to inherit as any
 * child of the caller would (RLIM_INFINITY as Infinity). A limit the host
 * will not report is left to the kernel's default.
 */
/**
 * Test hook (test/errors.test.mjs): UMLTS_TEST_INJECT=KIND:SYSCALL[,...]
 * makes that syscall's handler throw, to check how the kernel contains
 * what it throws: `internal` a TypeError (a bug in one handler: that
 * process dies, the rest go on), `panic` a KernelPanic (everything ends),
 * `timer` a TypeError from a timer the call arms (logged, all go on).
 * Unset, the table is used as it is.
 */
function testInjectedFaults(rows: Readonly<Record<number, SyscallEntry>>): Readonly<Record<number, SyscallEntry>> {
  const spec = process.env.UMLTS_TEST_INJECT;
  if (!spec) return rows;
  const out: Record<number, SyscallEntry> = { ...rows };
  for (const item of spec.split(',')) {
    const [kind, name] = item.split(':');
    const nr = Object.keys(SYSCALL_NAMES).map(Number).find((n) => SYSCALL_NAMES[n] === name);
    const row = nr === undefined ? undefined : rows[nr];
    if (nr === undefined || !row || (kind !== 'internal' && kind !== 'panic' && kind !== 'timer')) throw new OptionError(`bad UMLTS_TEST_INJECT item '${item}'`);
    // timer: the call works, and arms a kernel timer whose callback throws
    if (kind === 'timer') {
      out[nr] = { ...row, handler: (t, r) => (t.kernel.events.addTimer(process.hrtime.bigint(), () => {
        throw new TypeError(`injected fault in a timer armed by ${name}`);
      }), row.handler(t, r)) };
      continue;
    }
    out[nr] = {
      ...row,
      handler: () => {
        if (kind === 'panic') throw new KernelPanic(`injected panic in ${name}`);
        throw new TypeError(`injected fault in ${name}`);
      },
    };
  }
  return out;
}

function hostRlimits(): Array<[number, number] | undefined> {
  const out: Array<[number, number] | undefined> = [];
  const num = (v: bigint): number => (v >= 0x7fffffffffffffffn ? Infinity : Number(v));
  for (let res = 0; res < RLIM_NLIMITS; res++) {
    try {
      const [soft, hard] = host.getrlimit(res);
      out[res] = [num(soft), num(hard)];
    } catch {
      out[res] = undefined;
    }
  }
  return out;
}

const EPOLLIN = 1;
const F_DUPFD_CLOEXEC = 1030;

/** Where a sandbox's replies go: the caller's thread (postMessage), or the CLI's callback when the kernel runs on its thread (runHere). */
type Post = (m: FromWorker) => void;
/**
 * import() of the hooks module, done by the module that loaded the kernel:
 * the kernel is compiled from V8's code cache as a vm.Script
 * (load_kernel.ts), and on Node 20 such a script loses its dynamic-import
 * callback ("A dynamic import callback was not specified").
 */
export type ImportModule = (url: string) => Promise<unknown>;

/** An error as it crosses to the caller. */
function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof OptionError) return { kind: 'option', message: e.message };
  if (e instanceof ExecError) return { kind: 'exec', message: e.message, errno: e.errno };
  if (e instanceof UmltsError) return { kind: 'kernel', message: e.message };
  const what = e instanceof KernelPanic ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { kind: 'kernel', message: `kernel error: ${what}`, detail: e instanceof Error ? e.stack : undefined };
}

/**
 * The host fds hostfs may hold by default: the soft RLIMIT_NOFILE less a
 * reserve for umlts itself (Node, physmem, the stubs' pipes, epoll...). A
 * wrong guess costs little: an EMFILE makes hostfs reclaim and retry.
 */
export function defaultHostFdBudget(): number {
  let soft = 1024;
  try {
    const l = host.getrlimit(host.RLIMIT_NOFILE)[0];
    soft = l > 1048576n ? 1048576 : Number(l);
  } catch {
    // keep the common default
  }
  return Math.max(16, soft - Math.max(64, Math.floor(soft / 4)));
}

/**
 * The platform the config names; 'auto' (none named): systrap where the
 * host allows it (platform/systrap/probe.ts, and its set-up works), else
 * ptrace with one line on stderr saying why. systrap named but unavailable
 * is an option error.
 */
function makePlatform(choice: BootConfig['platform']): PtracePlatform | SystrapPlatform {
  if (choice === 'ptrace') return new PtracePlatform();
  let why = systrapUnavailable();
  if (choice === 'systrap' && why) throw new OptionError(`platform systrap: unavailable on this host (${why})`);
  if (!why) {
    try {
      return new SystrapPlatform();
    } catch (e) {
      if (choice === 'systrap') throw e;
      why = e instanceof Error ? e.message : String(e);
    }
  }
  host.write(2, Buffer.from(`umlts: systrap unavailable (${why}); using ptrace\n`));
  return new PtracePlatform();
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

class WorkerSandbox {
  /** pids of the processes the caller spawned, until their exit is posted */
  private readonly apiPids = new Set<number>();
  /** host fds this thread must close: the kernel's ends of stdio pipes, /dev/null opens */
  private readonly ownedFds = new Set<number>();
  /** the wake pipe's read end; -1 on the caller's thread (runHere: no messages, no pipe) */
  private readonly wakeR: number;
  /** a wake byte arrived: messages to take */
  private woken = true;
  /** the caller asked to close (or the sandbox's init exited) */
  private closing = false;
  /** trace events of this loop turn, posted in one message */
  private syscalls: SyscallEvent[] = [];
  private signals: SignalEvent[] = [];
  /** the caller listens for trace events */
  private listening = false;
  /** tasks spawned this turn, started before the loop waits again */
  private readonly starts: Task[] = [];
  private readonly drainBuf = new Uint8Array(64);
  /** the terminals of processes spawned with `tty`, by pid, until they exit */
  private readonly ttys = new Map<number, Terminal>();
  /** messages from a caller on this thread (runHere), taken in between() as the port's are */
  readonly local: ToWorker[] = [];

  private constructor(
    private readonly k: Kernel,
    private readonly cfg: BootConfig,
    private readonly user: GuestUser,
    /** the caller's messages; null when the kernel runs on the caller's thread (runHere) */
    private readonly port: MessagePort | null,
    private readonly post: Post,
    wake: [number, number] | null,
  ) {
    this.wakeR = wake ? wake[0] : -1;
    if (wake) this.armWake();
    post({ type: 'ready', wakeFd: wake ? wake[1] : -1, pgid: (k.platform as PtracePlatform | SystrapPlatform).pgid });
  }

  /** Boot a kernel from the config; throws OptionError for what the host says is wrong with it. */
  static async boot(cfg: BootConfig, port: MessagePort | null, post: Post, importModule: ImportModule): Promise<WorkerSandbox> {
    if (!isDir(cfg.root)) throw new OptionError(`--root ${cfg.root}: not a directory`);
    let user: GuestUser = { uid: host.getuid(), gid: host.getgid(), groups: [] };
    if (cfg.user) user = resolveUser(cfg.root, cfg.user);
    for (const m of cfg.mounts) if (!isDir(m.host)) throw new OptionError(`--mount ${m.host}:${m.guest}: ${m.host} is not a directory`);
    const publish: PublishSpec[] = cfg.publish.map((p) => {
      const s = parsePublish(p);
      if (typeof s === 'string') throw new OptionError(s);
      return s;
    });
    let hooks: HookModule | null = null;
    if (cfg.hooks) {
      let mod: Partial<HookModule>;
      try {
        mod = (await importModule(cfg.hooks)) as Partial<HookModule>;
      } catch (e) {
        throw new OptionError(`hooks ${cfg.hooks}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (typeof mod.onSyscall !== 'function') throw new OptionError(`hooks ${cfg.hooks}: exports no onSyscall function`);
      hooks = mod as HookModule;
    }
    // from here on nothing awaits: the platform's host processes exist
    const platform = makePlatform(cfg.platform);
    mark(`kernel: platform ${platform instanceof SystrapPlatform ? 'systrap' : 'ptrace'} up (waker spawned)`);
    let k: Kernel;
    const log = cfg.log === 'stderr' ? (line: string) => void host.write(2, Buffer.from(line + '\n')) : (line: string) => post({ type: 'log', line });
    let sb: WorkerSandbox | null = null;
    try {
      k = new Kernel({
        root: cfg.root, rw: cfg.rw, memBytes: cfg.memBytes, cpus: cfg.cpus || Math.max(1, host.allowedCpus().length),
        mounts: cfg.mounts.map((m) => ({ host: m.host, guest: m.guest, ro: m.ro === true })),
        maxHostFds: cfg.maxHostFds || defaultHostFdBudget(), net: cfg.net, user, caps: cfg.capabilities, noNewPrivs: cfg.noNewPrivileges, seccomp: cfg.seccomp, platform, maxProcesses: cfg.maxProcesses,
        rlimits: hostRlimits(),
        syscalls: { rows: testInjectedFaults(SYSCALL_TABLE), name: (nr) => SYSCALL_NAMES[nr], strace: straceLine },
        debug: !!process.env.UMLTS_DEBUG,
        uname: { nodename: host.gethostname(), release: osRelease() },
        log,
        exited: (pid, status) => sb?.exited(pid, status),
      });
    } catch (e) {
      platform.shutdown();
      if (e instanceof Error && /^(hostfs|--mount)/.test(e.message)) throw new OptionError(e.message);
      throw e;
    }
    mark('kernel: kernel built');
    try {
      startPublishing(k.net, publish);
      // test hook (test/hostfs_rw.test.mjs): reclaim every other host fd before each hostfs operation
      if (process.env.UMLTS_TEST_RECLAIM_IN_OPS === '1') k.vfs.handles.test.reclaimInOps = true;
      // test hook (test/robust.test.mjs): every Nth mapping batch is refused as by a host out of map room
      if (process.env.UMLTS_TEST_HOST_FULL) k.physmem.test.hostFullEvery = Number(process.env.UMLTS_TEST_HOST_FULL) | 0;
      for (const [path, mode] of cfg.tmpfs) {
        try {
          k.vfs.addTmpfs(path, mode);
        } catch {
          throw new OptionError(`tmpfs: ${path} is already a mount point`);
        }
      }
      placeFiles(k, cfg.files, user);
      if (hooks) k.syscallHook = kernelHook(hooks, log, (t) => k.exitGroup(t, SIGSYS));
      if (cfg.terminal) startTerminal(k);
      sb = new WorkerSandbox(k, cfg, user, port, post, port ? host.pipe2(host.O_CLOEXEC | host.O_NONBLOCK) : null);
      sb.setTracer();
      mark('kernel: ready posted');
      return sb;
    } catch (e) {
      k.vfs.terminal.restore();
      k.shutdown();
      if (e instanceof Error && e.message.startsWith('--publish')) throw new OptionError(e.message);
      throw e;
    }
  }

  /** Run the trap loop until the sandbox closes; then end everything and post the stats. */
  serve(): void {
    let error: ErrorInfo | undefined;
    try {
      this.k.loop(() => this.between());
    } catch (e) {
      error = errorInfo(e);
    }
    mark('kernel: loop ended');
    this.flushTrace();
    const stats = this.stats();
    try {
      this.k.vfs.terminal.restore();
      this.k.shutdown();
    } catch (e) {
      error ??= errorInfo(e);
    }
    for (const fd of this.ownedFds) host.close(fd);
    this.ownedFds.clear();
    if (this.wakeR >= 0) host.close(this.wakeR);
    mark('kernel: shut down');
    this.post({ type: 'closed', stats, error });
  }

  /** The front end's turn between two stops: take the caller's messages, start what was spawned, post what was traced. True ends the loop. */
  private between(): boolean {
    if (this.woken && this.port) {
      this.woken = false;
      const { receiveMessageOnPort } = workerThreads();
      for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) this.handle(m.message as ToWorker);
    }
    while (this.local.length > 0) this.handle(this.local.shift()!);
    // as the loop's own steps: a guest whose host process failed under it dies alone
    while (this.starts.length > 0) {
      const t = this.starts.shift()!;
      this.k.contain(() => this.k.resume(t));
    }
    this.k.runWokenContained();
    this.flushTrace();
    return this.closing || this.k.initStatus !== null;
  }

  /** Wake-pipe readiness: drained now, messages taken in between(). */
  private armWake(): void {
    this.k.events.watch(this.wakeR, EPOLLIN, () => {
      while (host.read(this.wakeR, this.drainBuf) > 0);
      this.woken = true;
      this.armWake();
    });
  }

  private handle(m: ToWorker): void {
    switch (m.op) {
      case 'spawn': return this.spawn(m.id, m.spawn);
      case 'kill': {
        const tg = this.k.tgs.get(m.pid);
        if (tg && !tg.zombie && m.sig > 0) this.k.signalProcess(tg, m.sig, { signo: m.sig, code: SI_USER, pid: 0, uid: 0 });
        return;
      }
      case 'trace':
        this.listening = m.on;
        return this.setTracer();
      case 'close':
        this.closing = true;
        return;
    }
  }

  /** A process with no guest parent ended: the caller hears of its own. */
  exited(pid: number, status: number): void {
    const term = this.ttys.get(pid);
    if (term) {
      this.ttys.delete(pid);
      this.k.vfs.hostTerminals.delete(term);
      term.restore();
    }
    mark('kernel: process exited');
    if (this.apiPids.delete(pid)) this.post({ type: 'exit', pid, status });
  }

  private spawn(id: number, s: SpawnConfig): void {
    const stdio: File[] = [];
    const theirs: [number, number, number] = [-1, -1, -1];
    // tty: a terminal of the process's own, its session's controlling terminal once it exists
    let term: Terminal | null = null;
    if (s.tty && typeof s.stdio[0] === 'number') {
      term = new Terminal();
      const watch = { watch: (fd: number, ev: number, cb: () => void) => this.k.events.watch(fd, ev, cb) };
      if (!term.start(s.stdio[0], watch, ttyJobs(this.k))) term = null;
    }
    try {
      for (let fd = 0; fd < 3; fd++) {
        const mode = s.stdio[fd]!;
        if (mode === 'inherit') {
          stdio.push(this.k.vfs.console(fd, fd));
          continue;
        }
        let mine: number;
        if (typeof mode === 'number') {
          // the caller keeps its fd: the guest's File holds a duplicate of it
          mine = host.fcntl(mode, F_DUPFD_CLOEXEC, 3);
          if (mine < 0) throw new ErrnoError(-mine as Errno);
        } else if (mode === 'ignore') {
          mine = host.openat(host.AT_FDCWD, '/dev/null', O_RDWR | O_CLOEXEC, 0);
          if (mine < 0) throw new ErrnoError(-mine as Errno);
        } else {
          const [r, w] = host.pipe2(host.O_CLOEXEC | host.O_NONBLOCK);
          [mine, theirs[fd]] = fd === 0 ? [r, w] : [w, r];
        }
        this.ownedFds.add(mine);
        stdio.push(this.k.vfs.console(mine, fd, () => this.release(mine), term ?? undefined));
      }
      const task = this.spawnByPath(s, stdio as [File, File, File]);
      if (term) {
        // a spawned process leads a session of its own: the terminal is that session's, its group in the foreground
        term.sid = task.tg.sid;
        term.fgPgrp = task.tg.pgid;
        this.k.vfs.hostTerminals.add(term);
        this.ttys.set(task.pid, term);
        term = null;
      }
      mark('kernel: first process loaded');
      this.apiPids.add(task.pid);
      this.starts.push(task);
      this.post({ type: 'spawned', id, pid: task.pid, fds: theirs });
    } catch (e) {
      term?.restore();
      for (const f of stdio) f.put();
      for (const fd of theirs) if (fd >= 0) host.close(fd);
      let error: ErrorInfo;
      if (e instanceof LoaderError) error = { kind: 'exec', message: e.message, errno: e.errno };
      else if (e instanceof ErrnoError) error = { kind: 'exec', message: `${s.argv[0]}: ${errnoMessage(e.errno)}`, errno: e.errno };
      else throw e;
      this.post({ type: 'spawnError', id, error });
      // on the caller's thread (runHere) nobody is left to close the sandbox: its one process could not start
      if (!this.port) this.closing = true;
    }
  }

  private release(fd: number): void {
    if (this.ownedFds.delete(fd)) host.close(fd);
  }

  /** execvp: a name without a slash is looked up in the guest's PATH. */
  private spawnByPath(s: SpawnConfig, stdio: [File, File, File]): Task {
    const envp = this.env(s.env);
    const cwdRequired = (s.cwd ?? this.cfg.cwd) !== null;
    const cwd = s.cwd ?? this.cfg.cwd ?? this.cfg.hostCwd ?? '/';
    const spec = { cwd, cwdRequired, stdio, init: s.init };
    const program = s.argv[0]!;
    if (program.includes('/')) return this.k.spawnProcess(program, s.argv, envp, spec);
    const path = envp.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/bin:/bin';
    let denied: LoaderError | null = null;
    for (const dir of path.split(':')) {
      try {
        return this.k.spawnProcess(`${dir || '.'}/${program}`, s.argv, envp, spec);
      } catch (e) {
        if (!(e instanceof LoaderError)) throw e;
        if (e.errno === Errno.ENOENT || e.errno === Errno.ENOTDIR) continue;
        if (e.errno === Errno.EACCES) {
          denied ??= e;
          continue;
        }
        throw e;
      }
    }
    throw denied ?? new LoaderError(Errno.ENOENT, `${program}: command not found`);
  }

  /** The guest environment: PATH, HOME and TERM, then the sandbox's, then the process's. */
  private env(own: EnvPairs): string[] {
    const env = new Map<string, string>([
      ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ['HOME', this.user.home ?? '/root'],
      ['TERM', process.env.TERM ?? 'dumb'],
    ]);
    for (const [k, v] of [...this.cfg.env, ...own]) {
      if (v === null) env.delete(k);
      else env.set(k, v);
    }
    return [...env].map(([k, v]) => `${k}=${v}`);
  }

  // ---- tracing ----------------------------------------------------------------------

  /** strace lines on fd 2 (log 'stderr' with strace), events to the caller (strace, or a listener). */
  private setTracer(): void {
    const lines = this.cfg.strace && this.cfg.log === 'stderr';
    const events = (this.cfg.strace && this.cfg.log === 'events') || this.listening;
    if (!lines && !events) {
      this.k.tracer = null;
      return;
    }
    const table = this.k.opts.syscalls;
    const t: SyscallTracer = {
      syscall: (task, nr, ret) => {
        const line = table.strace(task, nr, ret);
        if (lines) host.write(2, Buffer.from(line + '\n'));
        if (events) this.syscalls.push(syscallEvent(task, nr, ret, line));
      },
      signal: (task, sig, info) => {
        const line = straceSignalLine(task, sig, info);
        if (lines) host.write(2, Buffer.from(line + '\n'));
        if (events) this.signals.push({ pid: task.pid, tid: task.tid, signal: SIGNAL_NAMES[sig] ?? `SIG${sig}`, code: info.code, line });
      },
    };
    this.k.tracer = t;
  }

  private flushTrace(): void {
    if (this.syscalls.length === 0 && this.signals.length === 0) return;
    this.post({ type: 'trace', syscalls: this.syscalls, signals: this.signals });
    this.syscalls = [];
    this.signals = [];
  }

  private stats(): SandboxStats {
    const k = this.k, c = k.physmem.cache;
    return {
      kernel: { ...k.stats, ...k.sched.stats },
      mm: { ...k.physmem.stats, cacheHits: c.hits, cacheMisses: c.misses, cachePages: c.size },
      filehandles: { ...k.vfs.handles.stats() },
    };
  }
}

/**
 * With `terminal`, when the caller's stdin is a terminal the guest gets a
 * real tty: the host terminal goes raw and the kernel runs the guest's
 * termios and job control (fs/tty/console.ts Terminal). Its original
 * settings come back at close, or — umlts killed by a signal, even SIGKILL —
 * from the relay helper, which outlives umlts for that (ptrace/thread.ts
 * spawnRelay).
 */
function startTerminal(k: Kernel): void {
  if (!host.isatty(0)) return;
  const term = k.vfs.terminal;
  const watch = { watch: (fd: number, ev: number, cb: () => void) => k.events.watch(fd, ev, cb) };
  if (!term.start(0, watch, ttyJobs(k))) return;
  for (const sig of [SIGWINCH, SIGHUP, SIGCONT]) k.events.hostSignalHandlers.set(sig, () => term.hostSignal(sig));
  k.platform.forwardHostSignals([SIGWINCH, SIGHUP, SIGCONT], term.saved() ?? undefined);
}

/**
 * `files`: each written through the VFS as the guest's user. The first
 * directory of its path that the guest's view lacks becomes a tmpfs of its
 * own (nothing is created on the host); directories below it are made.
 * Throws OptionError when one cannot be placed (a read-only directory...).
 */
function placeFiles(k: Kernel, files: BootConfig['files'], user: GuestUser): void {
  function fail(path: string, why: string): never {
    throw new OptionError(`files: ${path}: ${why}`);
  }
  const root: FsCaller = { fs: { cwd: '/', umask: 0 }, creds: { fsuid: 0, fsgid: 0, groups: [], capEffective: CAP_FULL_SET } };
  const me: FsCaller = {
    fs: { cwd: '/', umask: 0o022 },
    creds: { fsuid: user.uid, fsgid: user.gid, groups: user.groups, capEffective: user.uid === 0 ? CAP_FULL_SET : 0 },
  };
  for (const [path, data, mode] of files) {
    const parts = path.split('/').filter(Boolean);
    let made = false;
    for (let i = 1; i < parts.length; i++) {
      const dir = '/' + parts.slice(0, i).join('/');
      if (made) {
        const r = k.vfs.mkdir(me, null, dir, 0o755);
        if (r < 0 && r !== -Errno.EEXIST) fail(path, `${dir}: ${errnoMessage(-r)}`);
        continue;
      }
      const st = k.vfs.stat(root, null, dir, true);
      if (typeof st !== 'number') {
        if ((st.mode & S_IFMT) !== S_IFDIR) fail(path, `${dir} is not a directory`);
        continue;
      }
      if (st !== -Errno.ENOENT) fail(path, `${dir}: ${errnoMessage(-st)}`);
      k.vfs.addTmpfs(dir);
      const loc = k.vfs.resolve(root, null, dir, true);
      if (typeof loc !== 'number') k.vfs.chownLoc(root, loc, user.uid, user.gid);
      made = true;
    }
    const f = k.vfs.open(me, null, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (typeof f === 'number') fail(path, errnoMessage(-f));
    try {
      for (let off = 0; off < data.length;) {
        const n = f.write(data.subarray(off), null);
        if (n <= 0) fail(path, errnoMessage(n < 0 ? -n : Errno.ENOSPC));
        off += n;
      }
    } finally {
      f.put();
    }
    const loc = k.vfs.resolve(me, null, path, true);
    if (typeof loc !== 'number') k.vfs.chmodLoc(me, loc, mode); // exactly the mode asked (no umask)
  }
}

/**
 * The kernel on the calling thread, for the umlts command: boot, start one
 * process (the sandbox's init, `spawn`) and run until it ends, without a
 * worker (a thread costs as much to start as Node itself). The replies
 * reach `post` as they would reach a Sandbox: bootError; or ready,
 * spawned or spawnError, exit, and last closed. It blocks this thread (the
 * trap loop waits in waitpid) until everything is over and no host process
 * of the kernel remains, so it is only for a caller with nothing else to do.
 */
export async function runHere(config: BootConfig, spawn: SpawnConfig, post: (m: FromWorker) => void, importModule: ImportModule): Promise<void> {
  let sb: WorkerSandbox;
  try {
    sb = await WorkerSandbox.boot(config, null, post, importModule);
  } catch (e) {
    post({ type: 'bootError', error: errorInfo(e) });
    return;
  }
  sb.local.push({ op: 'spawn', id: 1, spawn });
  sb.serve();
}

/** A Sandbox's worker (kernel_worker.ts, once the kernel is loaded): boot from workerData, serve until closed. */
export async function workerMain(importModule: ImportModule): Promise<void> {
  const { workerData, parentPort } = workerThreads();
  const { config, port } = workerData as { config: BootConfig; port: MessagePort };
  const post = (m: FromWorker): void => parentPort!.postMessage(m);
  let sb: WorkerSandbox;
  try {
    sb = await WorkerSandbox.boot(config, port, post, importModule);
  } catch (e) {
    post({ type: 'bootError', error: errorInfo(e) });
    return;
  }
  sb.serve();
}

