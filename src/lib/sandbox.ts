/**
 * The library, on the caller's thread: Sandbox (one kernel in a worker,
 * until close()), GuestProcess (one guest process, with Node streams for
 * its stdio), run() (execFile for a guest: a fresh sandbox, one program,
 * its output). Modelled on node:child_process.
 *
 * Nothing here blocks and nothing here loads the kernel: the kernel runs in
 * its worker (worker.ts) and is reached by messages (protocol.ts). A
 * sandbox's worker keeps the caller's process alive only while it has work
 * (booting, a process running, closing); one the caller forgets is ended by
 * an exit hook, and if the caller is killed the host ends the guests with
 * it (they die with their tracer thread).
 *
 * Ownership: everything here is the caller's thread's. `live` (the exit
 * hook's list) is module state of that thread; each Sandbox owns its
 * worker, its wake fd and the caller's ends of its stdio pipes.
 */
import { Worker, MessageChannel, MessagePort } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { Socket } from 'node:net';
import { writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { PKG_ROOT } from '../host/paths.js';
import { SIGNAL_NAMES } from '../abi/signal.js';
import { UmltsError, ClosedError, KernelError, MaxBufferError, fromInfo } from './errors.js';
import { SandboxOptions, SpawnOptions, RunOptions, SpawnConfig, StdioMode, sandboxConfig, spawnConfig, runConfig, runLimits } from './options.js';
import type { FromWorker, ToWorker, SandboxStats, SyscallEvent, SignalEvent } from './protocol.js';
import { mark } from './timing.js';

/**
 * The kernel's worker: the bundled one (npm run build makes it beside the
 * CLI's bundle; it loads the kernel, load_kernel.ts). CommonJS: a worker
 * whose entry is an ES module starts the ES module loader too, a sixth of
 * the worker's own start.
 */
const WORKER = join(PKG_ROOT, 'dist', 'umlts-worker.cjs');

/** How a process ended: an exit code, or the signal that killed it (its name). */
export interface ExitStatus {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** What run() resolves with. */
export interface Result extends ExitStatus {
  stdout: Buffer;
  stderr: Buffer;
  /** the timeout ended it (the whole sandbox got SIGKILL) */
  timedOut: boolean;
  stats: SandboxStats;
}

const SIGNAL_NUMBERS = new Map(Object.entries(SIGNAL_NAMES).map(([n, name]) => [name, Number(n)]));
const EMPTY_STATS: SandboxStats = { kernel: {}, mm: {}, filehandles: {} };
const WAKE = new Uint8Array([1]);

function statusOf(status: number): ExitStatus {
  const sig = status & 0x7f;
  if (sig === 0) return { exitCode: (status >> 8) & 0xff, signal: null };
  return { exitCode: null, signal: (SIGNAL_NAMES[sig] ?? `SIG${sig}`) as NodeJS.Signals };
}

/** A signal as a number (names as 'SIGTERM' or 'TERM'); throws OptionError-like TypeError for unknown ones. */
function signalNumber(sig: NodeJS.Signals | number): number {
  if (typeof sig === 'number' && Number.isInteger(sig) && sig >= 0 && sig <= 64) return sig;
  const n = typeof sig === 'string' ? SIGNAL_NUMBERS.get(sig.startsWith('SIG') ? sig : `SIG${sig}`) : undefined;
  if (n === undefined) throw new UmltsError(`unknown signal ${String(sig)}`, 'EINVAL', 2, 22);
  return n;
}

/** Sandboxes whose worker may still run: the exit hook's list (the caller's thread). */
const live = new Set<Sandbox>();
let exitHookSet = false;
/**
 * At process exit Node waits for every worker thread, and a kernel's thread
 * may sit in waitpid: killing the sandbox's host process group (the waker
 * and every stub) ends that wait, and the thread then ends with the
 * process (its guests with it).
 */
function exitHook(): void {
  for (const sb of live) sb.killNow();
}

/** A guest process (sandbox.spawn). Events: 'spawn' (pid known), 'exit' (exitCode, signal). */
export class GuestProcess extends EventEmitter {
  /** the guest pid, once spawned */
  pid: number | undefined = undefined;
  /** set once it exited */
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  /** its stdin, stdout and stderr, for stdio 'pipe' (else null) */
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /**
   * Its end: resolves once it exited and its stdout and stderr pipes closed
   * (child_process's 'close'); rejects with ExecError if it could not start,
   * KernelError if the kernel failed.
   */
  readonly exited: Promise<ExitStatus>;

  private settle!: { resolve(s: ExitStatus): void; reject(e: UmltsError): void };
  private status: ExitStatus | null = null;
  /** output pipes not yet closed */
  private open = 0;
  private readonly sockets: Array<Socket | null> = [null, null, null];
  /** stdin writes made before the pipe existed */
  private readonly queued: Array<() => void> = [];
  private pendingKill: number | null = null;
  private done = false;

  /** @internal made by Sandbox.spawn */
  constructor(private readonly sandbox: Sandbox, stdio: readonly StdioMode[]) {
    super();
    this.exited = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.stdin = stdio[0] === 'pipe' ? this.makeStdin() : null;
    this.stdout = stdio[1] === 'pipe' ? this.makeOutput(1) : null;
    this.stderr = stdio[2] === 'pipe' ? this.makeOutput(2) : null;
  }

  /** Send it a signal (default SIGTERM); false if it is gone already. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const sig = signalNumber(signal);
    if (this.done || this.status) return false;
    if (this.pid === undefined) this.pendingKill = sig;
    else this.sandbox.post({ op: 'kill', pid: this.pid, sig });
    return true;
  }

  private makeStdin(): Writable {
    const w = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        const go = (): void => {
          const s = this.sockets[0];
          if (!s || s.destroyed) return cb();
          // a guest that closed its stdin: the data goes nowhere, as into a closed pipe (no EPIPE for the caller to catch)
          s.write(chunk, () => cb());
        };
        if (this.sockets[0] || this.done) go();
        else this.queued.push(go);
      },
      final: (cb) => {
        const go = (): void => {
          const s = this.sockets[0];
          if (!s || s.destroyed) return cb();
          s.end(() => cb());
        };
        if (this.sockets[0] || this.done) go();
        else this.queued.push(go);
      },
      destroy: (err, cb) => {
        this.sockets[0]?.destroy();
        cb(err);
      },
    });
    return w;
  }

  private makeOutput(fd: 1 | 2): Readable {
    this.open++;
    return new Readable({
      read: () => void this.sockets[fd]?.resume(),
      destroy: (err, cb) => {
        this.sockets[fd]?.destroy();
        cb(err);
      },
    });
  }

  /** @internal the worker started it: its pid and the caller's ends of its pipes */
  spawned(pid: number, fds: readonly number[]): void {
    this.pid = pid;
    if (fds[0]! >= 0) {
      const s = new Socket({ fd: fds[0], readable: false, writable: true });
      s.on('error', () => {}); // EPIPE: the guest closed its stdin
      this.sockets[0] = s;
    }
    for (const fd of [1, 2] as const) {
      if (fds[fd]! < 0) continue;
      const r = fd === 1 ? this.stdout! : this.stderr!;
      const s = new Socket({ fd: fds[fd], readable: true, writable: false });
      this.sockets[fd] = s;
      s.on('data', (c: Buffer) => {
        if (!r.push(c)) s.pause();
      });
      s.on('end', () => r.push(null));
      s.on('error', (e) => r.destroy(e));
      s.on('close', () => {
        this.open--;
        this.maybeDone();
      });
      if (r.destroyed) s.destroy();
    }
    while (this.queued.length > 0) this.queued.shift()!();
    this.emit('spawn');
    if (this.pendingKill !== null) this.kill(this.pendingKill);
  }

  /** @internal it could not be started */
  failed(e: UmltsError): void {
    this.done = true;
    for (const q of this.queued.splice(0)) q();
    this.stdin?.destroy();
    this.stdout?.push(null);
    this.stderr?.push(null);
    this.settle.reject(e);
  }

  /** @internal it exited (wait status) */
  exit(status: number): void {
    if (this.status) return;
    this.status = statusOf(status);
    this.exitCode = this.status.exitCode;
    this.signalCode = this.status.signal;
    this.emit('exit', this.exitCode, this.signalCode);
    this.maybeDone();
  }

  /** @internal the sandbox is gone: killed with it (error: the kernel failed) */
  gone(error: UmltsError | null): void {
    if (this.done) return;
    if (this.pid === undefined) return this.failed(error ?? new ClosedError('the sandbox closed before the process started'));
    if (error) {
      this.done = true;
      this.settle.reject(error);
      return;
    }
    this.exit(9); // SIGKILL, as the sandbox's end gives it
  }

  private maybeDone(): void {
    if (this.done || !this.status || this.open > 0) return;
    this.done = true;
    this.sockets[0]?.destroy();
    this.settle.resolve(this.status);
  }
}

export interface Sandbox {
  on(event: 'syscall', listener: (e: SyscallEvent) => void): this;
  on(event: 'signal', listener: (e: SignalEvent) => void): this;
  on(event: 'log', listener: (line: string) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'syscall', listener: (e: SyscallEvent) => void): this;
  once(event: 'signal', listener: (e: SignalEvent) => void): this;
  once(event: 'log', listener: (line: string) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * One kernel in a worker thread, until close(). Events: 'syscall'
 * (SyscallEvent: each finished syscall, with `strace` or while someone
 * listens), 'signal' (SignalEvent), 'log' (a kernel message line).
 */
export class Sandbox extends EventEmitter {
  /** resolves once the kernel is up; rejects with the error that kept it from booting (OptionError...) */
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  /** our end of the worker's message port */
  private readonly port: MessagePort;
  /** the wake pipe's write end (the caller's once posted); -1 before ready and after the end */
  private wakeFd = -1;
  /** the kernel's host process group (waker and stubs); -1 until ready */
  private pgid = -1;
  private state: 'booting' | 'ready' | 'closing' | 'closed' = 'booting';
  private nextId = 1;
  /** spawns the worker has not answered, by request id */
  private readonly pending = new Map<number, GuestProcess>();
  /** spawned processes not yet exited, by guest pid */
  private readonly procs = new Map<number, GuestProcess>();
  /** why the sandbox ended, when it failed */
  private failure: UmltsError | null = null;
  private readonly closed: Promise<SandboxStats>;
  private settleReady!: { resolve(): void; reject(e: UmltsError): void };
  private settleClosed!: (s: SandboxStats) => void;
  private stats: SandboxStats | null = null;
  private tracing = false;

  /** Throws OptionError for a bad option; what the host finds wrong (a missing root...) rejects `ready` and every spawn. */
  constructor(options: SandboxOptions = {}) {
    super();
    const cfg = sandboxConfig(options);
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    this.ready.catch(() => {}); // seen through spawn()'s processes too: not an unhandled rejection
    this.closed = new Promise((resolve) => {
      this.settleClosed = resolve;
    });
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    mark('sandbox: starting the worker');
    this.worker = new Worker(WORKER, { workerData: { config: cfg, port: port2 }, transferList: [port2], execArgv: [], stdout: false, stderr: false });
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    let crash: Error | null = null;
    this.worker.on('error', (e) => {
      crash = e;
    });
    this.worker.on('exit', () => this.onWorkerExit(crash));
    live.add(this);
    if (!exitHookSet) {
      exitHookSet = true;
      process.on('exit', exitHook);
    }
    // a 'syscall' or 'signal' listener turns the kernel's trace events on
    this.on('newListener', (ev: string) => {
      if (ev === 'syscall' || ev === 'signal') queueMicrotask(() => this.retrace());
    });
    this.on('removeListener', (ev: string) => {
      if (ev === 'syscall' || ev === 'signal') this.retrace();
    });
    this.updateRef();
  }

  /**
   * Start a guest process (argv[0] without a slash is looked up in the
   * guest's PATH). Throws OptionError for bad arguments and ClosedError once
   * closing; a program that cannot run rejects the process's `exited`.
   */
  spawn(argv: readonly string[], options: SpawnOptions = {}): GuestProcess {
    return this.spawnConfig(spawnConfig(argv, options, false));
  }

  /** @internal */
  spawnConfig(s: SpawnConfig): GuestProcess {
    if (this.state === 'closing' || this.state === 'closed') throw new ClosedError();
    const p = new GuestProcess(this, s.stdio);
    const id = this.nextId++;
    this.pending.set(id, p);
    this.post({ op: 'spawn', id, spawn: s });
    this.updateRef();
    return p;
  }

  /** run() in this sandbox: one process to its end, its output collected. */
  run(argv: readonly string[], options: SpawnOptions & Pick<RunOptions, 'input' | 'timeout' | 'maxBuffer'> = {}): Promise<Result> {
    try {
      const { input, timeout, maxBuffer, ...spawn } = options;
      const c = runLimits({ input, timeout, maxBuffer });
      return collect(this, this.spawnConfig(spawnConfig(argv, spawn, false)), c.input, c.timeout, c.maxBuffer, false);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Kill every guest process and end the kernel; resolves with its counters
   * once no host process of it remains. Idempotent.
   */
  close(): Promise<SandboxStats> {
    if (this.state === 'booting' || this.state === 'ready') {
      this.state = 'closing';
      this.post({ op: 'close' });
      this.updateRef();
    }
    return this.closed;
  }

  /** @internal */
  post(m: ToWorker): void {
    if (this.state === 'closed') return;
    this.port.postMessage(m);
    this.wake();
  }

  private wake(): void {
    if (this.wakeFd < 0) return;
    try {
      writeSync(this.wakeFd, WAKE);
    } catch {
      // EAGAIN: the pipe is full of wakes already
    }
  }

  /** The kernel keeps the caller's process alive only while it has work. */
  private updateRef(): void {
    if (this.state === 'closed') return;
    const busy = this.state !== 'ready' || this.pending.size > 0 || this.procs.size > 0;
    if (busy) this.worker.ref();
    else this.worker.unref();
  }

  private retrace(): void {
    const on = this.listenerCount('syscall') + this.listenerCount('signal') > 0;
    if (on === this.tracing) return;
    this.tracing = on;
    this.post({ op: 'trace', on });
  }

  private onMessage(m: FromWorker): void {
    mark(`sandbox: ${m.type}`);
    switch (m.type) {
      case 'ready':
        this.wakeFd = m.wakeFd;
        this.pgid = m.pgid;
        if (this.state === 'booting') this.state = 'ready';
        this.wake(); // for what was posted before the wake fd was known
        this.settleReady.resolve();
        break;
      case 'bootError':
        this.failure = fromInfo(m.error);
        this.settleReady.reject(this.failure);
        break;
      case 'spawned': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (!p) break;
        this.procs.set(m.pid, p);
        p.spawned(m.pid, m.fds);
        break;
      }
      case 'spawnError': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.failed(fromInfo(m.error));
        break;
      }
      case 'exit': {
        const p = this.procs.get(m.pid);
        this.procs.delete(m.pid);
        p?.exit(m.status);
        break;
      }
      case 'trace':
        for (const e of m.syscalls) this.emit('syscall', e);
        for (const e of m.signals) this.emit('signal', e);
        break;
      case 'log':
        this.emit('log', m.line);
        break;
      case 'closed':
        this.stats = m.stats;
        if (m.error) this.failure = fromInfo(m.error);
        this.end();
        break;
    }
    this.updateRef();
  }

  /** The worker ended: normally after 'closed' or 'bootError'; else it crashed (its guests died with its thread). */
  private onWorkerExit(crash: Error | null): void {
    if (this.state === 'closed') return;
    if (!this.stats && !this.failure) {
      this.failure = new KernelError(`kernel error: the kernel's worker ended${crash ? `: ${crash.message}` : ''}`, crash?.stack);
    }
    // its thread is gone, so are its guests (PR_SET_PDEATHSIG, and ptrace's EXITKILL); the waker too, but make
    // sure (a fork's copy that had not yet set its PDEATHSIG when the thread went is in the stubs' group too)
    if (!this.stats) this.killNow();
    this.end();
  }

  /** Everything is over: every process learns it, the wake fd goes, close() resolves. */
  private end(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    live.delete(this);
    for (const p of this.pending.values()) p.gone(this.failure ?? new ClosedError());
    for (const p of this.procs.values()) p.gone(this.failure);
    this.pending.clear();
    this.procs.clear();
    if (this.wakeFd >= 0) closeSync(this.wakeFd);
    this.wakeFd = -1;
    this.settleReady.reject(this.failure ?? new ClosedError());
    this.port.close();
    this.settleClosed(this.stats ?? EMPTY_STATS);
  }

  /** @internal (the exit hook) SIGKILL to the kernel's host process group: its waitpid returns, its guests are gone. */
  killNow(): void {
    if (this.pgid <= 0) return;
    try {
      process.kill(-this.pgid, 'SIGKILL');
    } catch {
      // gone already
    }
  }

  /** @internal why it failed (run() rejects with it) */
  get error(): UmltsError | null {
    return this.failure;
  }
}

/** Collect a process's output (up to maxBuffer) and its end; with init, the sandbox is run()'s own and closes with it. */
async function collect(sb: Sandbox, p: GuestProcess, input: Uint8Array | null, timeout: number, maxBuffer: number, own: boolean): Promise<Result> {
  const out: Buffer[] = [], err: Buffer[] = [];
  let outLen = 0, errLen = 0, over: 'stdout' | 'stderr' | null = null;
  const take = (which: 'stdout' | 'stderr', c: Buffer): void => {
    const len = (which === 'stdout' ? outLen : errLen) + c.length;
    if (len > maxBuffer) {
      if (!over) {
        over = which;
        void (own ? sb.close() : p.kill('SIGKILL'));
      }
      c = c.subarray(0, Math.max(0, maxBuffer - (which === 'stdout' ? outLen : errLen)));
    }
    if (which === 'stdout') {
      out.push(c);
      outLen += c.length;
    } else {
      err.push(c);
      errLen += c.length;
    }
  };
  p.stdout?.on('data', (c: Buffer) => take('stdout', c));
  p.stderr?.on('data', (c: Buffer) => take('stderr', c));
  if (p.stdin) p.stdin.end(input ?? undefined);
  // the program's time counts from its start (execFile's too), not the kernel's boot
  let timedOut = false;
  let timer: NodeJS.Timeout | null = null;
  if (timeout > 0) {
    p.once('spawn', () => {
      timer = setTimeout(() => {
        timedOut = true;
        void (own ? sb.close() : p.kill('SIGKILL'));
      }, timeout);
    });
  }
  let status: ExitStatus;
  try {
    status = await p.exited;
  } catch (e) {
    if (own) await sb.close();
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
  }
  const stats = own ? await sb.close() : EMPTY_STATS;
  if (own && sb.error) throw sb.error;
  if (over) throw new MaxBufferError(`${over} went past maxBuffer (${maxBuffer} bytes); the sandbox was killed`, Buffer.concat(out), Buffer.concat(err));
  return { ...status, stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut, stats };
}

/**
 * Run one program in a fresh sandbox and collect what it printed (like
 * child_process.execFile). It is the sandbox's init: when it exits the
 * sandbox ends, and whatever it left running is killed. Rejects with
 * OptionError, ExecError (cannot start), KernelError or MaxBufferError.
 */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<Result> {
  const c = runConfig(argv, options);
  const sb = new Sandbox(c.sandbox);
  const p = sb.spawnConfig(c.spawn);
  return collect(sb, p, c.input, c.timeout, c.maxBuffer, true);
}
