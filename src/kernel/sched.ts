/**
 * vCPUs (the seed's userspace_pid array). vCPU i records the task whose host
 * thread it is running, so at most N guest tasks run guest code at once.
 *
 * Placement on host CPUs follows behaviour: a trap round trip between two
 * threads on one CPU costs ~10 µs here, across CPUs ~55 µs, so tasks that
 * trap often (short runs: shells, pipes, I/O) run on the kernel's own CPU
 * (its home) whatever their vCPU; a task that keeps running (2 ms without a
 * trap) moves to its vCPU's host CPU (i mod host CPUs), so CPU-bound tasks
 * on different vCPUs really run in parallel. balance() does the moving.
 * While the platform polls (Platform.spinning), a task that traps often
 * runs on the CPU next to the kernel's instead, its handler and the kernel
 * polling for each other, if polling pays for it: its runs and the kernel's
 * work on its stops (that do not block it) both shorter than the
 * platform's poll window. A task whose runs or stops outlast the window
 * (a compiler between its calls, a shell's forks and execs) would find the
 * other side asleep each time, a wake-up across CPUs: it stays beside the
 * kernel, as without polling.
 *
 * The home is the CPU the host started the kernel on, not always the
 * first: several kernels on one machine (a test run, a grading system) must
 * not all crowd one CPU while the others idle. It moves (rehome) when the
 * kernel has spent more than a third of a while waiting for it on the
 * host's run queue: other host work has it.
 *
 * A task holds its vCPU from resume until its next trap; while others
 * wait, through its traps too, until it blocks or has used up a slice
 * (keepAcrossTrap: a syscall does not give the CPU away on Linux either).
 * Tasks that find no free vCPU wait in FIFO order for the next release of
 * one their affinity (sched_setaffinity) allows. While any wait, a tick
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
/** how often a busy kernel checks whether it waits for its home CPU, ms (at first, and at most after moves) */
const REHOME_CHECK_MS = 100, REHOME_CHECK_MAX_MS = 3200;
/** how often a busy kernel looks at the host's load to turn the platform's polling on or off, ms */
const SPIN_CHECK_MS = 50;
/** the share of polled waits that may end in a sleep before polling goes off for SPIN_BACKOFF_MS */
const POLL_MISSES_MAX = Number(process.env.UMLTS_POLL_MISSES ?? 0.3);
const SPIN_BACKOFF_MS = 200, SPIN_BACKOFF_MAX_MS = 1600;
/** what polling saves a trap: a hand-off between sleeping threads against one between polling ones (getppid
 * about 5 µs against 1 µs on this machine kind), ns */
const POLL_GAIN_NS = 4000;

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
  /** when each vCPU's task got it, kept while it holds it through traps: its slice's start (performance.now() ms);
   * guarded by the JS thread */
  private readonly sliceStart: number[];
  /** vCPUs whose task keeps them through the trap being handled (keepAcrossTrap) until it resumes or gives them
   * up; guarded by the JS thread */
  private readonly held: boolean[];
  /** the allowed host CPUs; immutable */
  private readonly allowed: number[];
  /** the kernel's host CPU (its thread and, unless the platform spins, the tasks that trap often run there);
   * guarded by the JS thread (rehome) */
  private homeCpu: number;
  /** where the tasks that trap often run: the home, or the next allowed CPU when the platform spins (platform.ts);
   * guarded by the JS thread (rehome) */
  private trapCpu: number;
  /** the last rehome check: wall clock (performance.now() ms) and the kernel's run-queue wait then (ns);
   * the wait between checks that moves the home grows after each move; guarded by the JS thread */
  private checkedAt = 0;
  private delayAt = 0;
  private checkEvery = REHOME_CHECK_MS;
  /** the last polling check (performance.now() ms), and the average number of host threads runnable that are
   * not this kernel's (an exponential average of one sample per check); guarded by the JS thread */
  private spinCheckedAt = -Infinity;
  /** polling stays off until then (performance.now() ms): it mostly missed; guarded by the JS thread */
  private spinOffUntil = 0;
  /** the next pause (ms): doubles while polling keeps missing; guarded by the JS thread */
  private spinBackoff = SPIN_BACKOFF_MS;
  private othersAvg = 0;
  /** helpersCpuNs at the last polling check (-1: none yet), and resumes since; guarded by the JS thread */
  private helpersAt = -1;
  private resumes = 0;
  /** counters for --stats (polling checks, and those that left it on; resumes of a task that traps often next
   * to the kernel, polling, and beside it while the platform polls); guarded by the JS thread */
  readonly stats = { spinChecks: 0, spinOnChecks: 0, polledRuns: 0, besideRuns: 0 };

  /** ncpus and platform: immutable */
  constructor(readonly ncpus: number, private readonly platform: Platform) {
    const allowed = (this.allowed = platform.allowedCpus());
    this.cpu = new Array<Task | null>(ncpus).fill(null);
    const now = platform.currentCpu();
    const first = Math.max(0, allowed.indexOf(now));
    // vCPU i on the i-th CPU from the home on: one kernel's CPU-bound tasks spread from where it lives
    this.hostCpu = Array.from({ length: ncpus }, (_v, i) => allowed[(first + i) % allowed.length]!);
    this.since = new Array<number>(ncpus).fill(0);
    this.sliceStart = new Array<number>(ncpus).fill(0);
    this.held = new Array<boolean>(ncpus).fill(false);
    this.homeCpu = allowed[first] ?? 0;
    this.trapCpu = this.trapCpuFor(this.homeCpu);
    if (allowed.length > 0) platform.pin(null, this.homeCpu);
  }

  private trapCpuFor(home: number): number {
    return this.platform.spinning ? this.nextCpu(home) : home;
  }
  /** The allowed CPU after cpu (cpu itself if it is the only one). */
  private nextCpu(cpu: number): number {
    return this.allowed[(this.allowed.indexOf(cpu) + 1) % this.allowed.length]!;
  }

  /**
   * Move the home to the next allowed CPU if the kernel waited for its own
   * more than a third of the time since the last check (another kernel, or
   * other host work, has it). Called from acquire: only a busy kernel looks,
   * at most every checkEvery ms (it doubles after each move, so two CPUs
   * both loaded are not swapped back and forth).
   */
  private rehome(nowMs: number): void {
    const delay = this.platform.kernelRunDelayNs();
    const span = nowMs - this.checkedAt, waited = (delay - this.delayAt) / 1e6;
    this.checkedAt = nowMs;
    this.delayAt = delay;
    // unknown, or idle meanwhile (a new baseline only)
    if (delay < 0 || span > 4 * this.checkEvery) return;
    if (waited * 3 < span) {
      if (waited * 10 < span) this.checkEvery = Math.max(REHOME_CHECK_MS, this.checkEvery / 2);
      return;
    }
    const next = this.nextCpu(this.homeCpu);
    if (next === this.homeCpu) return;
    this.homeCpu = next;
    this.trapCpu = this.trapCpuFor(next);
    this.platform.pin(null, next);
    this.checkEvery = Math.min(REHOME_CHECK_MAX_MS, this.checkEvery * 2);
  }

  /**
   * Polling (Platform.spinning) costs a CPU beside the kernel's: worth it
   * only while the host would leave one idle. Runnable host threads that are
   * not ours — the host's count less the kernel's thread, the other tasks
   * on vCPUs and t's own thread (the trap at hand) if it is runnable — must
   * average below what two busy CPUs leave (half a thread on a two-CPU
   * host). t's thread is read, not assumed: polling, its handler may be
   * polling or asleep; not polling, it runs beside the kernel, whose
   * wake-up often preempts it on its way to sleep, so it waits for the CPU
   * the kernel holds (taken for other load, that kept polling off for good;
   * the host's count is taken after letting it get to sleep, and /proc
   * shows it asleep while it still sits on the run queue).
   * The average takes one sample per check; a sample after a quiet spell
   * starts afresh.
   *
   * The kernel's own process has other threads that want CPU time: V8
   * compiling the kernel's code and collecting its garbage (an embedding
   * program's too). For the first second of a run they take half a CPU or
   * more, and two polling threads starve them: gcc hello took 20% longer
   * polling, all of it theirs (with V8's helpers off, polling or not made
   * no difference). So polling must also save more than it takes from
   * them: POLL_GAIN_NS for each trap since the last check against the CPU
   * time they used meanwhile, and nothing before one whole interval is
   * measured. A compiler, a shell loop or a short run's start go without; a
   * loop of cheap calls polls.
   */
  private adaptSpin(t: Task, nowMs: number): void {
    // t's state on each side of the host's count: either read may race its handler falling asleep
    const tBefore = this.platform.threadRunnable(t.thread);
    const all = this.platform.hostRunnable();
    if (all < 0) return;
    let ours = tBefore || this.platform.threadRunnable(t.thread) ? 2 : 1;
    for (const u of this.cpu) if (u !== null && u !== t) ours++;
    const others = Math.max(0, all - ours);
    const quiet = nowMs - this.spinCheckedAt > 10 * SPIN_CHECK_MS;
    this.othersAvg = quiet ? others : this.othersAvg * 0.7 + others * 0.3;
    // the CPU time the kernel's process's other threads (V8 compiling the kernel's code, its collector) used
    // since the last check; at the first, unknown: a run's start is when they are busiest, so no polling
    // before one whole interval is measured
    const helpers = this.platform.helpersCpuNs();
    const used = helpers < 0 ? 0 : this.helpersAt < 0 ? Infinity : helpers - this.helpersAt;
    this.helpersAt = helpers;
    // what polling would save the traps since (POLL_GAIN_NS each), against the CPU time it would take from them
    const pays = this.resumes * POLL_GAIN_NS >= used;
    this.resumes = 0;
    this.spinCheckedAt = nowMs;
    // polling that mostly ends in a sleep anyway (calls that outlast the handler's polling: forks, execs,
    // file creation) only puts each hand-off across CPUs, where a wake-up costs most here: off for a while
    if (this.platform.spinning) {
      const missed = this.platform.pollMisses?.() ?? -1;
      if (missed > POLL_MISSES_MAX) {
        this.spinOffUntil = nowMs + this.spinBackoff;
        // missing again right after a pause: a longer pause (a start-up's execs miss, the loop after need not)
        this.spinBackoff = Math.min(this.spinBackoff * 2, SPIN_BACKOFF_MAX_MS);
      } else if (missed >= 0) {
        this.spinBackoff = SPIN_BACKOFF_MS;
      }
    }
    const on = this.othersAvg < this.allowed.length - 1.5 && pays && nowMs >= this.spinOffUntil;
    this.stats.spinChecks++;
    if (on) this.stats.spinOnChecks++;
    if (on === this.platform.spinning) return;
    this.platform.setSpinning(on);
    this.trapCpu = this.trapCpuFor(this.homeCpu);
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
    let i = t.cpu;
    const fresh = i < 0;
    if (!fresh) {
      // kept through a trap: its run starts again, its slice goes on
      if (!this.held[i]) return true;
      this.held[i] = false;
    } else {
      i = this.freeFor(t);
      if (i < 0) {
        this.waiting.push(t);
        return false;
      }
      this.cpu[i] = t;
      t.cpu = i;
      t.lastCpu = i;
    }
    const now = (this.since[i] = performance.now());
    this.resumes++;
    if (fresh) this.sliceStart[i] = now;
    if (now - this.checkedAt >= this.checkEvery) this.rehome(now);
    if (now - this.spinCheckedAt >= SPIN_CHECK_MS && this.platform.canSpin && !this.platform.spinForced) this.adaptSpin(t, now);
    // the kernel's work on the stop it comes back from (unless that stop slept)
    if (t.trapAt > 0) {
      t.lastStopNs = (t.lastStopNs * 3 + (now - t.trapAt) * 1e6) / 4;
      t.trapAt = 0;
    }
    // short runs between traps: stay beside the kernel (or, when polling pays, on the CPU next to its own);
    // long ones: the vCPU's own CPU
    let cpu: number;
    if (t.lastRunNs >= LONG_RUN_MS * 1e6) cpu = this.hostCpu[i]!;
    else if (!this.platform.spinning) cpu = this.homeCpu;
    else if (this.pollsPay(t)) {
      cpu = this.trapCpu;
      this.stats.polledRuns++;
    } else {
      cpu = this.homeCpu;
      this.stats.besideRuns++;
    }
    this.pin(t, cpu);
    return true;
  }

  /** Polling pays for t (see the top): its runs and the kernel's stops both fit the platform's poll window (or the
   * user forced polling: UMLTS_SPIN=1, every thread polls). */
  private pollsPay(t: Task): boolean {
    if (this.platform.spinForced) return true;
    const w = this.platform.pollWindowNs;
    return t.lastRunNs < w && t.lastStopNs < w;
  }

  /** The task's stop blocked it (it sleeps in the kernel): the time until it resumes is no work of the kernel's. */
  blocked(t: Task): void {
    t.trapAt = 0;
  }

  private pin(t: Task, cpu: number): void {
    if (this.pinned.get(t.thread.tid) !== cpu) {
      this.platform.pin(t.thread, cpu);
      this.pinned.set(t.thread.tid, cpu);
    }
  }

  /** Some task runs off its vCPU's own host CPU (beside the kernel, or polling next to it): balance() has work. */
  get unbalanced(): boolean {
    // at every resume: a plain loop, no closure
    const cpu = this.cpu, hostCpu = this.hostCpu;
    for (let i = 0; i < cpu.length; i++) {
      const t = cpu[i];
      if (t && this.pinned.get(t.thread.tid) !== hostCpu[i]) return true;
    }
    return false;
  }
  /** Move tasks that have run LONG_RUN_NS without a trap to their vCPU's host CPU (sched_setaffinity migrates a running thread). */
  balance(): void {
    const now = performance.now();
    this.cpu.forEach((t, i) => {
      if (t && now - this.since[i]! >= LONG_RUN_MS) this.pin(t, this.hostCpu[i]!);
    });
  }

  /**
   * The task trapped: true if it keeps its vCPU through the trap (the
   * caller resumes it, or releases it if the trap blocks it), false if it
   * must release it now. It keeps it while others wait and its slice is not
   * used up, as a syscall keeps the CPU on Linux: handing the vCPU to the
   * first waiter at every trap left a task that makes syscalls one syscall
   * per slice beside tasks that never trap. With none waiting it gives it
   * up, as before (nothing would take it).
   */
  keepAcrossTrap(t: Task): boolean {
    const i = t.cpu;
    if (i < 0 || this.waiting.length === 0) return false;
    const now = performance.now();
    if (now - this.sliceStart[i]! >= SLICE_MS) return false;
    this.endRun(t, now);
    this.held[i] = true;
    return true;
  }

  /** The task keeps its vCPU through the stop being handled and has not been started again (acquire ends that). */
  kept(t: Task): boolean {
    return t.cpu >= 0 && this.held[t.cpu]!;
  }

  /** A run of guest code ended: the placement hint (a moving average: one long run among short ones does not
   * move a task). */
  private endRun(t: Task, now: number): void {
    t.lastRunNs = (t.lastRunNs * 3 + (now - this.since[t.cpu]!) * 1e6) / 4;
    t.trapAt = now;
  }

  /**
   * The task trapped or left: its vCPU is free. If a task was waiting for
   * one, it gets this vCPU and is returned for the caller to start.
   */
  release(t: Task): Task | null {
    const w = this.waiting.indexOf(t);
    if (w >= 0) this.waiting.splice(w, 1);
    if (t.cpu < 0) return null;
    // (kept through a trap, its run ended there)
    if (this.held[t.cpu]) this.held[t.cpu] = false;
    else this.endRun(t, performance.now());
    const freed = t.cpu;
    this.cpu[freed] = null;
    t.cpu = -1;
    // the first waiter that may run on the freed vCPU (its affinity); a loop, not findIndex's closure: this runs at
    // every trap
    let k = -1;
    for (let j = 0; j < this.waiting.length; j++) {
      const a = this.waiting[j]!.affinity;
      if (a === null || a[freed]) {
        k = j;
        break;
      }
    }
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
      if (t && now - this.sliceStart[i]! >= SLICE_MS) out.push(t);
    });
    return out;
  }

  /** Tasks running guest code now, per vCPU (for /proc and tests). */
  running(): Array<Task | null> {
    return [...this.cpu];
  }
}
