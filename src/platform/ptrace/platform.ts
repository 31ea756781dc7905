/**
 * The ptrace platform (platform.ts's Platform): every guest host thread is
 * traced by the kernel's thread, guest code runs under PTRACE_SYSEMU
 * (thread.ts), and one waitpid reports every stop.
 *
 * Which processes are ours: the waker leads a host process group that every
 * stub joins, and wait() waits for that group only (waitpid(-group)), so an
 * embedding program's own children are never reaped here. Host signals the
 * terminal sends umlts's own group reach the waker through the relay.
 *
 * Ownership: one PtracePlatform per kernel, used on the kernel's JS thread
 * only (guarded by the JS thread). `live` changes only in adopt() (spawn and
 * the stub's thread clones), wait(), stopNow() and kill(); `dying` only in
 * kill(), wait() (onDying) and shutdown(). Lock order: none.
 *
 * A process stopped from outside (kill -STOP of a stub): wait() reports the
 * stop signal and the kernel stops the guest process, holding its threads
 * in their ptrace stops. A SIGCONT from outside then stays pending on the
 * host unreported (a tracee reports signals only when it runs; without
 * PTRACE_SEIZE there is no PTRACE_LISTEN), and the guest would stay
 * stopped for ever: until a SIGCONT shows in its pending sets, a timer
 * looks (frozen), and wait() hands it on (STOP_PENDING); the host reports
 * that SIGCONT again once a thread runs, and that report is dropped.
 */
import * as host from '../../host/libc.js';
import {
  Platform, Context, Stop, StubPages, STOP_SYSCALL, STOP_SECCOMP, STOP_FAULT, STOP_TRAP, STOP_KICK, STOP_SIGNAL,
  STOP_EXIT, STOP_EVENTS, STOP_PENDING, SavedTerminal, Timer, monotonicNs,
} from '../platform.js';
import { SIGCONT, isStopSignal } from '../../abi/signal.js';
import { HostFacts } from '../host_facts.js';
import { PtraceEvents } from './events.js';
import { Errno, ErrnoError } from '../../abi/errno.js';
import {
  HostThread, spawnStub, spawnWaker, spawnRelay, ST_SECCOMP, ST_SYSEMU, SIGSEGV, SIGTRAP, SIGKILL, SIGKICK,
  WIFSTOPPED, WSTOPSIG, WIFEXITED, WEXITSTATUS, WTERMSIG,
} from './thread.js';

/** how often a process stopped from outside is looked at for a SIGCONT from outside (ns) */
const FROZEN_POLL_NS = 50_000_000n;

export class PtracePlatform extends HostFacts implements Platform {
  /** immutable */
  readonly events = new PtraceEvents();
  readonly spinning = false;
  readonly canSpin = false;
  /** Platform.batchesWhileRunning: a batch runs in a stopped thread */
  readonly batchesWhileRunning = false;
  readonly pollWindowNs = 0;
  readonly spinForced = false;
  /** guest code runs under SYSEMU: a patched site would gain nothing */
  readonly syscallPatchEntry = 0;
  setSpinning(): void {}
  /** the waker helper process; immutable */
  private readonly waker: { tid: number; cont(): void };
  /** the host process group of the waker and every stub (a kill of it ends them all: the library's exit hook); immutable */
  readonly pgid: number;
  /** host tid -> guest thread whose stops wait() reports; guarded by the JS thread */
  private readonly live = new Map<number, HostThread>();
  /** host tids killed and not yet reaped: their stops are swallowed; guarded by the JS thread */
  private readonly dying = new Set<number>();
  /** stubs' first threads (their host pids) not yet reaped: only these are remembered once reaped; guarded by the JS thread */
  private readonly leaders = new Set<number>();
  /** stub pids waited for (whenReaped callbacks) / reaped before anyone asked; guarded by the JS thread */
  private readonly reapCallbacks = new Map<number, () => void>();
  private readonly reaped = new Set<number>();
  /** the relay helper's pid, -1 until forwardHostSignals; set once */
  private relay = -1;
  /** the kernel thread's CPU affinity before pin(null, ...): put back at shutdown; immutable */
  private readonly savedAffinity = host.getAffinity(0);
  /** out-parameters for waitpid and clock_gettime; guarded by the JS thread, used synchronously only */
  private readonly status = new Int32Array(1);
  /** host processes (tgid) a stop signal from outside stopped, and the thread that reported it, looked at every
   * FROZEN_POLL_NS for a pending SIGCONT; guarded by the JS thread (wait() adds, the timer and noteReaped remove) */
  private readonly frozen = new Map<number, HostThread>();
  /** the frozen processes' timer (null: none armed); guarded by the JS thread */
  private frozenTimer: Timer | null = null;
  /** threads with a SIGCONT found pending, for wait() to report (STOP_PENDING); guarded by the JS thread */
  private readonly contFound: HostThread[] = [];
  /** host processes (tgid) whose SIGCONT wait() reported while pending: the host's own report of it is dropped;
   * guarded by the JS thread */
  private readonly contTaken = new Set<number>();

  constructor() {
    super();
    this.waker = spawnWaker(this.events.epfd);
    this.pgid = this.waker.tid;
    this.waker.cont();
  }

  newAddressSpace(physmemFd: number, pages: StubPages): Context {
    let t: HostThread;
    try {
      t = spawnStub(physmemFd, pages, this.pgid);
    } catch {
      // the host refused a process (RLIMIT_NPROC, no pids): fork's EAGAIN
      throw new ErrnoError(Errno.EAGAIN);
    }
    this.leaders.add(t.tid);
    return this.adopt(t);
  }
  /**
   * A guest fork's address space: a copy of the parent's stub process, made
   * by the parent's stopped thread (HostThread.runSysFork), with the
   * parent's host mappings and none of its other threads. Its one thread
   * is the child's first guest thread (its registers are the task's at
   * its first resume). No stub is spawned (a posix_spawn costs about 1 ms
   * of the kernel's thread here).
   */
  forkAddressSpace(parent: Context, pages: StubPages, flushParent: () => void): Context {
    flushParent();
    const t = (parent as HostThread).runSysFork(pages);
    if (typeof t === 'number') throw new ErrnoError(Errno.EAGAIN);
    this.leaders.add(t.tid);
    return this.adopt(t);
  }
  /** A thread made by a stub (cloneThread) or spawned: its stops are wait()'s from now on. */
  adopt(t: HostThread): HostThread {
    t.platform = this;
    this.live.set(t.tid, t);
    return t;
  }
  /** A thread that ended under a synchronous wait (retire): nothing more to report. */
  forget(t: HostThread): void {
    this.live.delete(t.tid);
  }

  wait(out: Stop): void {
    const st = this.status;
    for (;;) {
      const found = this.contFound.pop();
      if (found && this.live.has(found.tid)) {
        out.kind = STOP_PENDING;
        out.ctx = found;
        out.sig = SIGCONT;
        out.status = 0;
        return;
      }
      if (found) continue;
      const tid = host.waitpid(-this.pgid, st, host.__WALL);
      if (tid < 0) {
        if (tid === -4) continue; // EINTR
        throw new Error(`waitpid(-${this.pgid}): errno ${-tid}`);
      }
      const s = st[0]!;
      if (tid === this.waker.tid) {
        if (!WIFSTOPPED(s)) throw new Error(`the waker died (status ${s.toString(16)})`);
        this.events.onWakerStop(WSTOPSIG(s));
        this.waker.cont();
        out.kind = STOP_EVENTS;
        out.ctx = null;
        return;
      }
      const t = this.live.get(tid);
      if (!t) {
        this.onDying(tid, s);
        continue;
      }
      out.ctx = t;
      out.status = 0;
      out.sig = 0;
      t.running = false;
      if (!WIFSTOPPED(s)) {
        this.live.delete(tid);
        this.noteReaped(tid);
        out.kind = STOP_EXIT;
        out.sig = WIFEXITED(s) ? 0 : WTERMSIG(s);
        out.status = WIFEXITED(s) ? WEXITSTATUS(s) : 0;
        return;
      }
      const hi = s >> 8;
      if (hi === ST_SYSEMU) out.kind = STOP_SYSCALL;
      else if (hi === ST_SECCOMP) out.kind = STOP_SECCOMP;
      else {
        const sig = WSTOPSIG(s);
        out.sig = sig;
        out.kind = sig === SIGSEGV ? STOP_FAULT : sig === SIGTRAP ? STOP_TRAP : sig === SIGKICK ? STOP_KICK : STOP_SIGNAL;
        if (out.kind === STOP_SIGNAL && !this.hostSignal(t, sig)) {
          // on with guest code, as the kernel left it
          t.running = host.ptraceTry(host.PTRACE_SYSEMU, tid, 0, 0) === 0;
          continue;
        }
      }
      return;
    }
  }

  /**
   * Host signal sig stopped t (running guest or stub code): false if the kernel has had it already (a SIGCONT
   * found pending, STOP_PENDING). A stop signal makes its process one to look at for a SIGCONT from outside
   * until one comes or it runs again.
   */
  hostSignal(t: HostThread, sig: number): boolean {
    if (sig === SIGCONT && this.contTaken.delete(t.tgid)) return false;
    if (!isStopSignal(sig)) return true;
    this.frozen.set(t.tgid, t);
    if (!this.frozenTimer?.armed) this.armFrozen();
    return true;
  }
  private armFrozen(): void {
    this.frozenTimer = this.events.addTimer(monotonicNs() + FROZEN_POLL_NS, () => this.lookAtFrozen());
  }
  private lookAtFrozen(): void {
    for (const [tgid, t] of this.frozen) {
      if (!this.live.has(t.tid)) {
        this.frozen.delete(tgid);
      } else if (host.signalPending(tgid, t.tid, SIGCONT)) {
        this.frozen.delete(tgid);
        this.contTaken.add(tgid);
        this.contFound.push(t);
      } else if (host.threadState(tgid, t.tid) !== 't') {
        // it runs: the guest was continued from inside, and what comes from outside is reported as it runs
        this.frozen.delete(tgid);
      }
    }
    if (this.frozen.size > 0) this.armFrozen();
  }

  /** A killed thread stopped or died: once a stub's first thread is reaped, the process is gone. */
  private onDying(tid: number, s: number): void {
    if (WIFSTOPPED(s)) return; // a killed thread's last stop: its death follows
    this.dying.delete(tid);
    this.noteReaped(tid);
  }
  private noteReaped(tid: number): void {
    if (!this.leaders.delete(tid)) return; // a thread, not a process (and its pid may come back)
    this.frozen.delete(tid);
    this.contTaken.delete(tid);
    const cb = this.reapCallbacks.get(tid);
    if (cb) {
      this.reapCallbacks.delete(tid);
      cb();
    } else {
      this.reaped.add(tid);
    }
  }

  whenReaped(hostPid: number, cb: () => void): void {
    if (this.reaped.delete(hostPid)) cb();
    else this.reapCallbacks.set(hostPid, cb);
  }

  kick(ctx: Context): void {
    host.tgkill(ctx.tgid, ctx.tid, SIGKICK);
  }

  /** (a thread in a ptrace stop is off its CPU already) */
  settle(_ctx: Context): void {}

  stopNow(ctx: Context): boolean {
    const t = ctx as HostThread;
    // (a stop taken already: stopped, and no other will come)
    if (!t.running) return true;
    if (host.tgkill(ctx.tgid, ctx.tid, SIGKICK) < 0) return false; // gone: no stop will come
    const st = new Int32Array(1);
    for (;;) {
      const r = host.waitpid(ctx.tid, st, host.__WALL);
      if (r === -4) continue;
      t.running = false;
      if (r > 0 && !WIFSTOPPED(st[0]!)) {
        this.live.delete(ctx.tid);
        this.noteReaped(ctx.tid);
      }
      return r > 0 && WIFSTOPPED(st[0]!);
    }
  }

  kill(ctx: Context): void {
    host.kill(ctx.tid, SIGKILL);
    if (this.live.delete(ctx.tid)) this.dying.add(ctx.tid);
  }

  forwardHostSignals(sigs: number[], tty?: SavedTerminal): void {
    if (this.relay < 0) this.relay = spawnRelay(this.waker.tid, sigs, tty);
  }

  pin(ctx: Context | null, cpu: number): void {
    host.pinToCpu(ctx ? ctx.tid : 0, cpu);
  }

  shutdown(): void {
    // the relay first: nothing it forwards may reach the waker's pid once that is gone
    if (this.relay > 0) {
      host.kill(this.relay, SIGKILL);
      while (host.waitpid(this.relay, this.status, 0) === -4);
    }
    for (const t of this.live.values()) this.kill(t);
    host.kill(this.waker.tid, SIGKILL);
    this.dying.add(this.waker.tid);
    // reap whatever dies, in any order: a stub's first thread is only
    // reported once its other (parked) threads are reaped
    const st = new Int32Array(1);
    while (this.dying.size > 0) {
      const r = host.waitpid(-this.pgid, st, host.__WALL);
      if (r === -4) continue;
      if (r < 0) break; // ECHILD: nothing left
      if (!WIFSTOPPED(st[0]!)) this.dying.delete(r);
    }
    this.dying.clear();
    this.events.close();
    host.setAffinity(0, this.savedAffinity);
  }
}
