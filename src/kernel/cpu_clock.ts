/**
 * CPU clocks (kernel/time/posix-cpu-timers.c): a process's or a thread's
 * CPU time, and what waits for it to reach a value — the CPU-time timers
 * (syscalls/timer.ts) and RLIMIT_CPU (cpuLimit here). A clock's waiters are
 * looked at together: one reading per look, when the soonest of them could
 * have come at the earliest (every vCPU running the clock's threads all
 * along), a tick at least apart, IDLE_TICKS apart while none of those
 * threads holds a vCPU (the clock stands still then), at once for one due
 * already. Linux looks at each tick of a CPU running the task
 * (run_posix_cpu_timers). CPU time is the host's run time of the guest
 * threads: user and system time are one figure, and the kernel's own work
 * for a syscall is not counted.
 *
 * Ownership: a process's clock hangs on its ThreadGroup, a thread's on its
 * Task (made at the first use); both touched on the JS thread only.
 */
import { SIGKILL, SIGXCPU, SI_KERNEL } from '../abi/signal.js';
import { RLIMIT_CPU } from '../abi/resource.js';
import { monotonicNs, Timer } from './events.js';
import type { Kernel } from './kernel.js';
import type { Task, ThreadGroup } from './task.js';

/** TICK_NSEC at HZ=250 (Debian's): the least time between two looks at a clock, and what set_cpu_itimer adds to
 * a CPU itimer */
export const TICK_NS = 4000000n;
/** how many ticks apart a clock none of whose threads holds a vCPU is looked at */
const IDLE_TICKS = 5n;
const NS_PER_S = 1_000_000_000n;

/** What waits for a CPU clock to reach `expires` (ns on that clock; null: nothing). */
export interface CpuWaiter {
  readonly expires: bigint | null;
  /** The clock read `now`, at or past expires. */
  expire(now: bigint): void;
}

export class CpuClock {
  /** its waiters; guarded by the JS thread */
  readonly armed = new Set<CpuWaiter>();
  private timer: Timer | null = null;
  constructor(
    private readonly k: Kernel,
    /** its reading, ns; null once its thread or process is gone */
    readonly read: () => bigint | null,
    /** a thread of it holds a vCPU */
    private readonly running: () => boolean,
  ) {}

  /** w waits (again) for its expiry. */
  arm(w: CpuWaiter): void {
    this.armed.add(w);
    this.schedule();
  }
  /** w waits no more (the clock's next look finds one fewer, and stops when none is left). */
  disarm(w: CpuWaiter): void {
    this.armed.delete(w);
  }

  /** When to look next (now: a reading just taken). A clock that is gone is not looked at again. */
  schedule(now: bigint | null = this.read()): void {
    if (this.timer) this.k.events.cancelTimer(this.timer);
    this.timer = null;
    if (now === null || this.armed.size === 0) return;
    let left = -1n;
    for (const w of this.armed) if (w.expires !== null && (left < 0n || w.expires - now < left)) left = w.expires - now;
    let wait = 0n;
    if (left > 0n) {
      wait = left / BigInt(Math.max(1, this.k.sched.ncpus));
      if (wait < TICK_NS) wait = TICK_NS;
      if (wait < IDLE_TICKS * TICK_NS && !this.running()) wait = IDLE_TICKS * TICK_NS;
    }
    this.timer = this.k.events.addTimer(monotonicNs() + wait, () => this.look());
  }

  private look(): void {
    this.timer = null;
    const now = this.read();
    if (now === null) return;
    for (const w of [...this.armed]) {
      if (w.expires === null) this.armed.delete(w);
      else if (w.expires <= now) w.expire(now);
    }
    this.schedule(now);
  }
}

/** A process's CPU clock (signal_struct's cputimer: its live threads' and its dead ones'). */
export function processCpuClock(k: Kernel, tg: ThreadGroup): CpuClock {
  return (tg.cpuClock ??= new CpuClock(k, () => (tg.zombie ? null : BigInt(k.groupCpuNs(tg))), () => tg.tasks.some((u) => u.cpu >= 0)));
}
/** A thread's CPU clock. */
export function threadCpuClock(k: Kernel, th: Task): CpuClock {
  return (th.cpuClock ??= new CpuClock(k, () => (th.state === 'zombie' || th.state === 'dead' ? null : BigInt(th.cpuNs())),
    () => th.cpu >= 0));
}

/**
 * RLIMIT_CPU (check_process_timers): at the soft limit of the process's CPU
 * time SIGXCPU, and again every second after (the soft limit goes up by a
 * second each time), at the hard limit SIGKILL. Armed, or disarmed, when the
 * limit is set (setrlimit, prlimit, the first process's, a fork's copy).
 */
export function cpuLimit(k: Kernel, tg: ThreadGroup): void {
  const l = tg.rlimits.get(RLIMIT_CPU);
  // (no limit and none armed before: nothing to make, as for nearly every fork)
  if ((!l || l[0] === Infinity) && !tg.cpuLimit) return;
  const clock = processCpuClock(k, tg);
  const w = (tg.cpuLimit ??= new CpuLimit(k, tg)) as CpuLimit;
  w.expires = null;
  clock.disarm(w);
  // (an infinite soft limit: no check at all, the hard one included, as Linux)
  if (!l || l[0] === Infinity) return;
  const soft = BigInt(l[0]) * NS_PER_S;
  w.expires = l[1] !== Infinity && BigInt(l[1]) * NS_PER_S < soft ? BigInt(l[1]) * NS_PER_S : soft;
  clock.arm(w);
}

class CpuLimit implements CpuWaiter {
  /** the next limit on the process's CPU clock, ns; guarded by the JS thread */
  expires: bigint | null = null;
  constructor(private readonly k: Kernel, private readonly tg: ThreadGroup) {}
  expire(now: bigint): void {
    const l = this.tg.rlimits.get(RLIMIT_CPU);
    if (!l || l[0] === Infinity || this.tg.zombie || this.tg.exitStatus !== null) {
      this.expires = null;
      return;
    }
    if (l[1] !== Infinity && now >= BigInt(l[1]) * NS_PER_S) {
      this.expires = null;
      this.k.signalProcess(this.tg, SIGKILL, { code: SI_KERNEL });
      return;
    }
    let soft = l[0];
    if (now >= BigInt(soft) * NS_PER_S) {
      this.k.signalProcess(this.tg, SIGXCPU, { code: SI_KERNEL });
      soft++;
      this.tg.rlimits.set(RLIMIT_CPU, [soft, l[1]]);
    }
    const next = BigInt(soft) * NS_PER_S, hard = l[1] === Infinity ? null : BigInt(l[1]) * NS_PER_S;
    // (the clock's look that called this schedules the next one)
    this.expires = hard !== null && hard < next ? hard : next;
  }
}
