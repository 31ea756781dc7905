/**
 * Interval timers: alarm(2), setitimer(2)/getitimer(2) and the POSIX timers
 * timer_create(2), timer_settime(2), timer_gettime(2), timer_getoverrun(2),
 * timer_delete(2) (kernel/time/itimer.c, kernel/time/posix-timers.c).
 *
 * Every timer is a deadline on CLOCK_MONOTONIC armed as a kernel timer
 * (kernel/events.ts), so a process waiting for SIGALRM costs no host CPU.
 * A CLOCK_REALTIME absolute expiry becomes a monotonic one when it is set
 * (later jumps of the wall clock are not followed). A periodic timer that
 * fires late is moved forward by whole intervals (hrtimer_forward) and the
 * skipped periods count as overruns; if its previous signal is still
 * pending, the pending siginfo's si_overrun grows instead of a second signal
 * being queued (as Linux's one preallocated sigqueue per timer behaves).
 *
 * CPU-time timers (ITIMER_VIRTUAL, ITIMER_PROF, POSIX timers on a process
 * or thread CPU clock) count the CPU time of their process or thread
 * (kernel/cpu_clock.ts: how it is read and how often it is looked at): a
 * process that sleeps uses no CPU time and is not signalled.
 * SIGEV_THREAD_ID targets a thread of the caller's process.
 *
 * Where the state lives: on the ThreadGroup (tg.timers; fork makes a new
 * ThreadGroup: nothing inherited, as Linux). The kernel's exec and exit
 * paths call its exec() (POSIX timers die at exec; itimers survive) and
 * exit(); a timer that fires for a dead process is dropped in any case.
 */
import { Errno } from '../abi/errno.js';
import { SIGALRM, SIGVTALRM, SIGPROF, NSIG, SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID } from '../abi/signal.js';
import type { Task, ThreadGroup, ProcessTimerState } from '../kernel/task.js';
import { monotonicNs, Timer } from '../kernel/events.js';
import { CpuClock, CpuWaiter, processCpuClock, threadCpuClock, TICK_NS } from '../kernel/cpu_clock.js';
import { SI_KERNEL, SI_TIMER, SigInfo } from '../kernel/signal.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3 } from './types.js';
import {
  CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
  CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI,
  TIMER_ABSTIME, readClock,
} from './time.js';
import { cpuclockPid, cpuclockPerthread, cpuclockWhich } from '../abi/time.js';
import { RLIMIT_SIGPENDING } from '../abi/resource.js';
import { getLimit } from './process.js';
import { readStruct, readItimerval, readItimerspec, writeItimerval, writeItimerspec, writeU32, NSEC_PER_SEC as NS } from './uaccess.js';

const SIGRTMAX = NSIG;
const ITIMER_REAL = 0, ITIMER_VIRTUAL = 1, ITIMER_PROF = 2;
/** DELAYTIMER_MAX: the overrun count saturates here */
const DELAYTIMER_MAX = 0x7fffffff;
/** the soonest a periodic timer fires again after it fired (IntervalTimer.fire) */
const TIMER_MIN_GAP_NS = 50_000n;

/**
 * One timer: an itimer or a k_itimer. Owned by its process; touched on the
 * JS thread by the process's syscalls and by the kernel timer's callback.
 */
class IntervalTimer implements CpuWaiter {
  /** next expiry on its clock (CLOCK_MONOTONIC, or its CPU clock), ns; null while disarmed */
  expires: bigint | null = null;
  /** period, ns (0: one-shot) */
  interval = 0n;
  private timer: Timer | null = null;
  /** the siginfo last queued (its si_overrun is timer_getoverrun's answer) */
  lastInfo: { overrun?: number } | null = null;

  constructor(
    private readonly tg: ThreadGroup,
    /** queue the expiry's signal; skipped counts the periods missed; null for SIGEV_NONE */
    private readonly notify: ((skipped: number) => void) | null,
    private readonly k: Task['kernel'],
    /** the CPU clock it counts; null: CLOCK_MONOTONIC */
    private readonly cpu: CpuClock | null = null,
  ) {}

  /** Its clock now, ns (a CPU clock whose thread or process is gone reads 0). */
  now(): bigint {
    return this.cpu ? this.cpu.read() ?? 0n : monotonicNs();
  }
  /** It counts CPU time. */
  get cpuTime(): boolean {
    return this.cpu !== null;
  }
  /** It counts a CPU clock whose thread or process is gone (cpu_timer_task_rcu finds none). */
  get clockGone(): boolean {
    return this.cpu !== null && this.cpu.read() === null;
  }

  /** Arm (value 0: disarm) at an expiry on its clock, then every interval. */
  set(expires: bigint | null, interval: bigint): void {
    this.cancel();
    this.interval = interval;
    this.expires = expires;
    if (expires === null || !this.notify) return;
    if (this.cpu) {
      this.cpu.arm(this);
    } else {
      this.timer = this.k.events.addTimer(expires, () => this.fire());
    }
  }

  cancel(): void {
    if (this.timer) this.k.events.cancelTimer(this.timer);
    this.timer = null;
    // (its clock's next look finds one timer fewer, and stops when none is left)
    this.cpu?.disarm(this);
    this.expires = null;
  }

  /** Its CPU clock read `now`, at or past its expiry (CpuClock.look). */
  expire(now: bigint): void {
    const skipped = this.advance(now);
    if (this.expires === null) this.cpu!.disarm(this);
    if (skipped >= 0) this.notify!(skipped);
  }

  /** Its CLOCK_MONOTONIC expiry came. */
  private fire(): void {
    this.timer = null;
    const skipped = this.advance(monotonicNs());
    if (this.expires !== null) {
      // a period shorter than the kernel can serve fires no sooner than TIMER_MIN_GAP_NS on (the expiries
      // between are the next signal's overruns): Linux re-arms such a timer only as its signal is taken
      const soonest = monotonicNs() + TIMER_MIN_GAP_NS;
      this.timer = this.k.events.addTimer(this.expires > soonest ? this.expires : soonest, () => this.fire());
    }
    if (skipped >= 0) this.notify!(skipped);
  }

  /** Past its expiry at `now` on its clock: the next period's (whole periods skipped, hrtimer_forward) or
   * disarmed. Returns the periods skipped, or -1 for a process that is gone (disarmed, nothing to signal). */
  private advance(now: bigint): number {
    if (this.tg.zombie || this.tg.exitStatus !== null || this.expires === null) {
      this.expires = null;
      return -1;
    }
    if (this.interval === 0n) {
      this.expires = null;
      return 0;
    }
    const late = now - this.expires;
    const n = late > 0n ? late / this.interval : 0n;
    this.expires += (n + 1n) * this.interval;
    return n > BigInt(DELAYTIMER_MAX) ? DELAYTIMER_MAX : Number(n);
  }

  /** Time to the next expiry, ns; 0 when disarmed or its CPU clock is gone (posix_cpu_timer_get). SIGEV_NONE
   * timers move forward on the fly (common_timer_get). */
  remaining(): bigint {
    if (this.expires === null) return 0n;
    // (one reading: a CPU clock whose thread or process is gone reads 0 remaining)
    const now = this.cpu ? this.cpu.read() : monotonicNs();
    if (now === null) return 0n;
    if (!this.notify && this.expires <= now) {
      if (this.interval === 0n) return 0n; // an expired one-shot SIGEV_NONE timer reads 0
      this.expires += ((now - this.expires) / this.interval + 1n) * this.interval;
    }
    const rem = this.expires - now;
    return rem > 0n ? rem : 1n; // expired, signal not yet taken: never 0 while armed
  }
}

/** A POSIX timer (struct k_itimer). */
class PosixTimer {
  constructor(readonly id: number, readonly clock: number, readonly it: IntervalTimer) {}
}

/** The timers of one process (the itimer part of signal_struct and its posix_timers list). */
class ProcessTimers implements ProcessTimerState {
  /** ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF */
  readonly itimers: IntervalTimer[];
  readonly posix = new Map<number, PosixTimer>();
  /** signal_struct.next_posix_timer_id */
  nextId = 0;
  constructor(tg: ThreadGroup, k: Task['kernel']) {
    // (ITIMER_VIRTUAL and ITIMER_PROF: the process's CPU time, user and system time being one figure here)
    const cpu = processCpuClock(k, tg);
    this.itimers = [SIGALRM, SIGVTALRM, SIGPROF].map(
      (sig) => new IntervalTimer(tg, () => k.signalProcess(tg, sig, { code: SI_KERNEL }), k, sig === SIGALRM ? null : cpu),
    );
  }
  exec(): void {
    for (const pt of this.posix.values()) pt.it.cancel();
    this.posix.clear();
  }
  exit(): void {
    for (const it of this.itimers) it.cancel();
    this.exec();
  }
}

/**
 * The CPU clock a timer on `clock` counts, bound at timer_create
 * (posix_cpu_timer_create's lookup_task: a thread clock of the caller's
 * process, a process clock of any process not yet reaped); null for the
 * other clocks; -EINVAL for a CPU clock that names nothing.
 */
function cpuClockOf(t: Task, clock: number): CpuClock | null | number {
  const k = t.kernel;
  if (clock === CLOCK_PROCESS_CPUTIME_ID) return processCpuClock(k, t.tg);
  if (clock === CLOCK_THREAD_CPUTIME_ID) return threadCpuClock(k, t);
  if (clock >= 0) return null;
  // a CLOCKFD clock (clock_posix_dynamic) has no timer_create; a CPU clock past CPUCLOCK_MAX is EINVAL
  if ((clock & 7) === 3) return -Errno.EOPNOTSUPP;
  if (cpuclockWhich(clock) >= 3) return -Errno.EINVAL;
  const pid = cpuclockPid(clock);
  if (cpuclockPerthread(clock)) {
    const th = pid === 0 ? t : k.tasks.get(pid);
    return th && th.tg === t.tg ? threadCpuClock(k, th) : -Errno.EINVAL;
  }
  // (an unreaped zombie's too: pid_has_task)
  const tg = pid === 0 ? t.tg : k.tgs.get(pid);
  return tg ? processCpuClock(k, tg) : -Errno.EINVAL;
}

function timersOf(t: Task): ProcessTimers {
  return (t.tg.timers ??= new ProcessTimers(t.tg, t.kernel)) as ProcessTimers;
}

// ---- alarm, setitimer, getitimer ------------------------------------------------------------

/** do_getitimer's view of an itimer: [interval, value] in ns. */
function itimerValue(it: IntervalTimer): [bigint, bigint] {
  const rem = it.remaining();
  // expired, its signal not yet sent: ITIMER_REAL reads 1 us (itimer_get_remtime), a CPU itimer a tick ("about
  // to fire", get_cpu_itimer)
  return [it.interval, rem === 1n ? (it.cpuTime ? TICK_NS : 1000n) : rem];
}

/**
 * do_setitimer: value 0 disarms. ITIMER_REAL then forgets the interval;
 * the CPU itimers keep it and round a value up by a tick (set_cpu_itimer).
 * Returns the old [interval, value].
 */
function setItimer(p: ProcessTimers, which: number, interval: bigint, value: bigint): [bigint, bigint] {
  const it = p.itimers[which]!;
  const old = itimerValue(it);
  if (which === ITIMER_REAL) it.set(value === 0n ? null : monotonicNs() + value, value === 0n ? 0n : interval);
  else it.set(value === 0n ? null : it.now() + value + TICK_NS, interval);
  return old;
}

/** alarm(2) */
export function sys_alarm(t: Task, r: Regs): number {
  const seconds = r.getU32(A0);
  const [, old] = setItimer(timersOf(t), ITIMER_REAL, 0n, BigInt(seconds) * NS);
  // alarm_setitimer: round to the nearest second, and never 0 for a pending alarm
  let sec = old / NS;
  const nsec = old % NS;
  if ((sec === 0n && nsec > 0n) || nsec >= NS / 2n) sec++;
  return Number(sec);
}

/** setitimer(2) */
export function sys_setitimer(t: Task, r: Regs): number {
  const which = r.getI32(A0), value = r.get(A1), ovalue = r.get(A2);
  // a NULL value disarms (a "misfeature" Linux still honours)
  const [interval, v] = value ? readItimerval(t, value) : [0n, 0n];
  if (which !== ITIMER_REAL && which !== ITIMER_VIRTUAL && which !== ITIMER_PROF) return -Errno.EINVAL;
  const [oi, ov] = setItimer(timersOf(t), which, interval, v);
  if (ovalue) writeItimerval(t, ovalue, oi, ov);
  return 0;
}

/** getitimer(2) */
export function sys_getitimer(t: Task, r: Regs): number {
  const which = r.getI32(A0), value = r.get(A1);
  if (which !== ITIMER_REAL && which !== ITIMER_VIRTUAL && which !== ITIMER_PROF) return -Errno.EINVAL;
  const [i, v] = itimerValue(timersOf(t).itimers[which]!);
  writeItimerval(t, value, i, v);
  return 0;
}

// ---- POSIX timers ------------------------------------------------------------------------

/** Which clocks timer_create takes: -errno for the others. */
function checkClock(clock: number): number {
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
    case CLOCK_TAI:
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
      return 0;
    case CLOCK_REALTIME_ALARM:
    case CLOCK_BOOTTIME_ALARM:
      // alarm timers wake a suspended machine through its real-time clock; the
      // guest's machine has none (Linux without an RTC device: EOPNOTSUPP,
      // checked before CAP_WAKE_ALARM)
      return -Errno.EOPNOTSUPP;
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC_COARSE:
      return -Errno.EOPNOTSUPP; // these k_clocks have no timer_create
    default:
      return -Errno.EINVAL;
  }
}

/** The clocks whose absolute times are wall-clock times. */
function isRealtime(clock: number): boolean {
  return clock === CLOCK_REALTIME || clock === CLOCK_REALTIME_ALARM || clock === CLOCK_TAI;
}

/** timer_create(2) */
export function sys_timer_create(t: Task, r: Regs): number {
  const clock = r.getI32(A0), sevp = r.get(A1), idp = r.get(A2);
  const e = clock < 0 ? 0 : checkClock(clock);
  if (e < 0) return e;
  const cpu = cpuClockOf(t, clock);
  if (typeof cpu === 'number') return cpu;
  // alloc_posix_timer's sigqueue counts against RLIMIT_SIGPENDING (Linux: the user's; umlts's guests together)
  let timers = 0;
  for (const g of t.kernel.tgs.values()) timers += (g.timers as ProcessTimers | null)?.posix.size ?? 0;
  if (timers >= getLimit(t, RLIMIT_SIGPENDING)[0]) return -Errno.EAGAIN;
  let notify = SIGEV_SIGNAL, signo = SIGALRM, value: bigint | null = null, target: Task | null = null;
  if (sevp) {
    const dv = readStruct(t, sevp, 64); // struct sigevent
    value = dv.getBigInt64(0, true);
    signo = dv.getInt32(8, true);
    notify = dv.getInt32(12, true);
    // good_sigevent
    if (notify === (SIGEV_SIGNAL | SIGEV_THREAD_ID)) {
      const tt = t.kernel.tasks.get(dv.getInt32(16, true));
      if (!tt || tt.tg !== t.tg) return -Errno.EINVAL;
      target = tt;
    } else if (notify !== SIGEV_SIGNAL && notify !== SIGEV_THREAD && notify !== SIGEV_NONE) {
      return -Errno.EINVAL;
    }
    if (notify !== SIGEV_NONE && (signo <= 0 || signo > SIGRTMAX)) return -Errno.EINVAL;
  }
  const p = timersOf(t);
  // next_posix_timer_id: sequential, skipping ids in use
  let id = p.nextId;
  while (p.posix.has(id)) id = (id + 1) & 0x7fffffff;
  p.nextId = (id + 1) & 0x7fffffff;
  const k = t.kernel, tg = t.tg;
  const sival = value ?? BigInt(id); // no sigevent: sival_int is the timer id
  let it: IntervalTimer;
  const send = (skipped: number): void => {
    // the timer's signal still pending: count the expiry as an overrun instead
    const q = target ? target.pending : tg.sharedPending;
    const ours = (i: SigInfo): boolean => i.code === SI_TIMER && i.timerid === id;
    const pending = q.find(signo, ours);
    if (pending) {
      pending.overrun = Math.min(DELAYTIMER_MAX, (pending.overrun ?? 0) + 1 + skipped);
      return;
    }
    const info = { code: SI_TIMER, timerid: id, overrun: skipped, value: sival };
    if (target) k.signalTask(target, signo, info);
    else k.signalProcess(tg, signo, info);
    it.lastInfo = q.find(signo, ours) ?? info;
  };
  it = new IntervalTimer(tg, notify === SIGEV_NONE ? null : send, k, cpu);
  p.posix.set(id, new PosixTimer(id, clock, it));
  try {
    writeU32(t, idp, id);
  } catch (err) {
    p.posix.delete(id);
    throw err;
  }
  return 0;
}

function timerOf(t: Task, id: number): PosixTimer | null {
  return (t.tg.timers as ProcessTimers | null)?.posix.get(id) ?? null;
}

/** timer_settime(2) */
export function sys_timer_settime(t: Task, r: Regs): number {
  const id = r.getI32(A0), flags = r.getI32(A1), newp = r.get(A2), oldp = r.get(A3);
  if (!newp) return -Errno.EINVAL;
  const [interval, value] = readItimerspec(t, newp);
  const pt = timerOf(t, id);
  if (!pt) return -Errno.EINVAL;
  // posix_cpu_timer_set: the thread or process whose CPU clock it counts is gone
  if (pt.it.clockGone) return -Errno.ESRCH;
  const old = [pt.it.interval, pt.it.remaining()] as const;
  let expires: bigint | null = null;
  if (value !== 0n) {
    // (a CPU clock's absolute time is its own reading: the expiry stays on that clock)
    const now = pt.it.now();
    if (flags & TIMER_ABSTIME) {
      const clockNow = isRealtime(pt.clock) ? readClock(t, pt.clock)! : now;
      expires = now + (value > clockNow ? value - clockNow : 0n);
    } else {
      expires = now + value;
    }
  }
  // common_timer_set: switched off by a zero value, it keeps no period either (timer_gettime reads both 0)
  pt.it.set(expires, expires === null ? 0n : interval);
  pt.it.lastInfo = null; // posix_timer_set_common: the overrun count starts again
  if (oldp) writeItimerspec(t, oldp, old[0], old[1]);
  return 0;
}

/** timer_gettime(2) */
export function sys_timer_gettime(t: Task, r: Regs): number {
  const id = r.getI32(A0), p = r.get(A1);
  const pt = timerOf(t, id);
  if (!pt) return -Errno.EINVAL;
  writeItimerspec(t, p, pt.it.interval, pt.it.remaining());
  return 0;
}

/** timer_getoverrun(2): the overrun count of the last signal queued. */
export function sys_timer_getoverrun(t: Task, r: Regs): number {
  const pt = timerOf(t, r.getI32(A0));
  if (!pt) return -Errno.EINVAL;
  return pt.it.lastInfo?.overrun ?? 0;
}

/** timer_delete(2) */
export function sys_timer_delete(t: Task, r: Regs): number {
  const id = r.getI32(A0);
  const p = t.tg.timers as ProcessTimers | null;
  const pt = p?.posix.get(id);
  if (!p || !pt) return -Errno.EINVAL;
  pt.it.cancel();
  p.posix.delete(id);
  return 0;
}
