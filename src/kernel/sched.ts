/**
 * vCPUs (the seed's userspace_pid array). vCPU i records the task whose host
 * thread it is running, so at most N guest tasks run guest code at once.
 *
 * Placement on host CPUs follows behaviour: a trap round trip between two
 * threads on one CPU costs ~10 µs here, across CPUs ~55 µs, so tasks that
 * trap often (short runs: shells, pipes, I/O) run on the kernel's own CPU
 * whatever their vCPU; a task that keeps running (2 ms without a trap) moves
 * to its vCPU's host CPU (i mod host CPUs), so CPU-bound tasks on different
 * vCPUs really run in parallel. balance() does the moving.
 *
 * A task holds its vCPU from resume until its next trap. Tasks that find no
 * free vCPU wait in FIFO order for the next release of one their affinity
 * (sched_setaffinity) allows. While any wait, a tick
 * every SLICE_NS stops (kicks) each holder that has run a whole slice, so a
 * task that never traps cannot keep its vCPU (the kernel's preempt()).
 *
 * Ownership: one Scheduler per kernel, guarded by the JS thread. cpu[i] needs
 * no lock of its own: only the loop writes it (the seed's note: indexed by
 * CPU, so it needs no locking).
 */
import type { Task } from './task.js';
import type { Platform } from '../platform/platform.js';

/** a time slice: 10 ms (as ns for the kernel's timers, as ms for the scheduler's clock) */
export const SLICE_NS = 10000000n, SLICE_MS = 10;
/** a run this long without a trap makes a task CPU-bound (placed on its vCPU's own CPU) */
export const LONG_RUN_NS = 2000000n, LONG_RUN_MS = 2;

export class Scheduler {
  /** cpu[i]: the task running on vCPU i, or null; guarded by the JS thread (acquire/release) */
  private readonly cpu: Array<Task | null>;
  /** host CPU each vCPU is pinned to; immutable */
  private readonly hostCpu: number[];
  /** tasks ready to run with no free vCPU; guarded by the JS thread */
  private readonly waiting: Task[] = [];
  /** which host CPU each host tid is pinned to now (avoid repeated sched_setaffinity); guarded by the JS thread.
   * Entries of exited threads are never removed (a reused host tid is re-pinned only if it differs). */
  private readonly pinned = new Map<number, number>();
  /** when each vCPU's task got it (performance.now() ms: a double, no BigInt on the trap path); guarded by the JS thread */
  private readonly since: number[];
  /** the kernel's host CPU; immutable */
  private readonly homeCpu: number;

  /** ncpus and platform: immutable */
  constructor(readonly ncpus: number, private readonly platform: Platform) {
    const allowed = platform.allowedCpus();
    // the kernel's CPU, and the first vCPU's: taken by pid, not always the
    // first allowed CPU, or every umlts on the host would crowd that one
    // CPU (their kernels, and the guests beside them), leaving the others idle
    const first = allowed.length > 0 ? process.pid % allowed.length : 0;
    this.cpu = new Array<Task | null>(ncpus).fill(null);
    this.hostCpu = Array.from({ length: ncpus }, (_v, i) => allowed[(first + i) % allowed.length]!);
    this.since = new Array<number>(ncpus).fill(0);
    this.homeCpu = allowed[first] ?? 0;
    if (allowed.length > 0) platform.pin(null, this.homeCpu);
  }

  /** A free vCPU the task may run on (its affinity), the one it ran on last if it can, or -1. */
  private freeFor(t: Task): number {
    const a = t.affinity;
    const last = t.lastCpu;
    if (this.cpu[last] === null && (a === null || a[last])) return last;
    for (let i = 0; i < this.cpu.length; i++) if (this.cpu[i] === null && (a === null || a[i])) return i;
    return -1;
  }

  /** The vCPU getcpu(2) reports for a task in a syscall: the one it last ran on, if its affinity still allows it. */
  cpuOf(t: Task): number {
    if (t.cpu >= 0) return t.cpu;
    const a = t.affinity;
    return a === null || a[t.lastCpu] ? t.lastCpu : a.indexOf(true);
  }

  /** Give the task a vCPU (the caller resumes it). Returns false if it must wait. */
  acquire(t: Task): boolean {
    if (t.cpu >= 0) return true;
    const i = this.freeFor(t);
    if (i < 0) {
      this.waiting.push(t);
      return false;
    }
    this.cpu[i] = t;
    t.cpu = i;
    t.lastCpu = i;
    this.since[i] = performance.now();
    // short runs between traps: stay beside the kernel; long ones: the vCPU's own CPU
    this.pin(t, t.lastRunNs < LONG_RUN_MS * 1e6 ? this.homeCpu : this.hostCpu[i]!);
    return true;
  }

  private pin(t: Task, cpu: number): void {
    if (this.pinned.get(t.thread.tid) !== cpu) {
      this.platform.pin(t.thread, cpu);
      this.pinned.set(t.thread.tid, cpu);
    }
  }

  /** Some task runs beside the kernel on a vCPU whose own host CPU is elsewhere (balance() has work). */
  get unbalanced(): boolean {
    return this.cpu.some((t, i) => t !== null && this.hostCpu[i] !== this.homeCpu && this.pinned.get(t.thread.tid) !== this.hostCpu[i]);
  }
  /** Move tasks that have run LONG_RUN_NS without a trap to their vCPU's host CPU (sched_setaffinity migrates a running thread). */
  balance(): void {
    const now = performance.now();
    this.cpu.forEach((t, i) => {
      if (t && now - this.since[i]! >= LONG_RUN_MS) this.pin(t, this.hostCpu[i]!);
    });
  }

  /**
   * For a task whose host thread is already running again (resumed from the
   * kernel's fault path or inside the stub): take a free vCPU if there is
   * one, but never queue it — a queued task is started later, and starting
   * a thread that already runs would write stale registers into it.
   */
  acquireRunning(t: Task): void {
    if (!this.acquire(t)) {
      const w = this.waiting.indexOf(t);
      if (w >= 0) this.waiting.splice(w, 1);
    }
  }

  /**
   * The task trapped or left: its vCPU is free. If a task was waiting for
   * one, it gets this vCPU and is returned for the caller to start.
   */
  release(t: Task): Task | null {
    const w = this.waiting.indexOf(t);
    if (w >= 0) this.waiting.splice(w, 1);
    if (t.cpu < 0) return null;
    // a moving average: one long run among short ones does not move a task
    t.lastRunNs = (t.lastRunNs * 3 + (performance.now() - this.since[t.cpu]!) * 1e6) / 4;
    const freed = t.cpu;
    this.cpu[freed] = null;
    t.cpu = -1;
    // the first waiter that may run on the freed vCPU (its affinity)
    const k = this.waiting.findIndex((w) => w.affinity === null || w.affinity[freed]);
    if (k < 0) return null;
    const next = this.waiting.splice(k, 1)[0]!;
    this.acquire(next);
    return next;
  }

  /** A task is gone: forget where its host thread was pinned (a host tid can come back). */
  forget(t: Task): void {
    this.pinned.delete(t.thread.tid);
  }

  /** Take a task off the queue of those waiting for a vCPU (it is going away: a vCPU freed now must not start it). */
  unwait(t: Task): void {
    const w = this.waiting.indexOf(t);
    if (w >= 0) this.waiting.splice(w, 1);
  }

  /**
   * The task's affinity changed: if it waits for a vCPU and one it may now
   * run on is free, it takes it and true is returned (the caller starts it).
   */
  reconsider(t: Task): boolean {
    const w = this.waiting.indexOf(t);
    if (w < 0 || this.freeFor(t) < 0) return false;
    this.waiting.splice(w, 1);
    return this.acquire(t);
  }

  /** Tasks are waiting for a vCPU (the tick must run). */
  get contended(): boolean {
    return this.waiting.length > 0;
  }
  /** Tasks that have held their vCPU for a whole slice while others wait. */
  expired(): Task[] {
    const out: Task[] = [];
    if (this.waiting.length === 0) return out;
    const now = performance.now();
    this.cpu.forEach((t, i) => {
      if (t && now - this.since[i]! >= SLICE_MS) out.push(t);
    });
    return out;
  }

  /** Tasks running guest code now, per vCPU (for /proc and tests). */
  running(): Array<Task | null> {
    return [...this.cpu];
  }
}
