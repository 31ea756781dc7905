/**
 * Clocks and sleeping: clock_gettime, gettimeofday, time, clock_getres,
 * nanosleep, clock_nanosleep, clock_settime, settimeofday. CLOCK_MONOTONIC
 * is the host's (the kernel's timers use the same clock); CLOCK_REALTIME is
 * the host's wall clock plus the guest's own offset (Kernel.realtimeOffsetNs:
 * what the guest's root set it to; file times stay the host's). The CPU
 * clocks (CLOCK_*_CPUTIME_ID and the ids clock_getcpuclockid(3) and
 * pthread_getcpuclockid(3) make) read the host threads' run time.
 */
import { Errno, ERESTART_RESTARTBLOCK } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { monotonicNs, Timer } from '../kernel/events.js';
import { Regs, RIP } from '../platform/regs.js';
import { fromHostVdso } from '../mm/vdso.js';
import { A0, A1, A2, A3 } from './types.js';
import {
  readTimespec, writeTimespec, writeTimeval, writeU64, clearUser, getTimespec, getTimeval, readStruct, copyIn, copyOut,
  NSEC_PER_SEC, USEC_PER_SEC, UserPtr,
} from './uaccess.js';

import {
  CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
  CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI,
  TIMER_ABSTIME, CPUCLOCK_SCHED, cpuclockPid, cpuclockPerthread, cpuclockWhich,
} from '../abi/time.js';
import { capable } from '../kernel/creds.js';
import { CAP_SYS_TIME } from '../abi/capability.js';
import { TIMEX_SIZE, TX_STATUS, TX_TIME, ADJ_OFFSET_SINGLESHOT, ADJ_OFFSET_READONLY, ADJ_ADJTIME, STA_NANO } from '../abi/timex.js';
export * from '../abi/time.js';

/**
 * A CPU-time clock (kernel/time/posix-cpu-timers.c): the thread or process
 * a negative clock id names, or null if there is none the caller may read
 * (lookup_task: a thread of another process is not found; a process clock
 * needs a process's pid, not a thread's).
 */
function cpuClockNs(t: Task, clk: number): bigint | null {
  if (cpuclockWhich(clk) >= 3) return null;
  const pid = cpuclockPid(clk);
  const k = t.kernel;
  if (cpuclockPerthread(clk)) {
    const th = pid === 0 ? t : k.tasks.get(pid);
    if (!th || th.tg !== t.tg) return null;
    return BigInt(th.cpuNs());
  }
  const tg = pid === 0 ? t.tg : k.tgs.get(pid);
  if (!tg || tg.zombie) return null;
  // user, user+system and run time are one figure here: the host reports run time only
  return BigInt(k.groupCpuNs(tg));
}

/** Read a clock, in ns; null for an unknown clock. */
export function readClock(t: Task, clk: number): bigint | null {
  const p = t.kernel.platform;
  if (clk < 0) return cpuClockNs(t, clk);
  switch (clk) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_REALTIME_ALARM:
      return t.kernel.realtimeNs();
    case CLOCK_TAI: {
      const tai = p.clockNs(CLOCK_TAI);
      return tai === null ? null : tai + t.kernel.realtimeOffsetNs;
    }
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
      return p.clockNs(CLOCK_MONOTONIC);
    case CLOCK_MONOTONIC_RAW:
      return p.clockNs(CLOCK_MONOTONIC_RAW);
    case CLOCK_PROCESS_CPUTIME_ID:
      return BigInt(t.kernel.groupCpuNs(t.tg));
    case CLOCK_THREAD_CPUTIME_ID:
      return BigInt(t.cpuNs());
    default:
      return null;
  }
}

/** clock_gettime(2) */
export function sys_clock_gettime(t: Task, r: Regs): number {
  const clk = r.getI32(A0), tp = r.get(A1);
  let now = readClock(t, clk);
  if (now === null) return -Errno.EINVAL;
  // the host's vDSO's fallback, for the guest's vDSO, which adds the guest's offset to what it gets
  if ((clk === CLOCK_REALTIME || clk === CLOCK_REALTIME_COARSE || clk === CLOCK_TAI) && fromHostVdso(r.get(RIP))) {
    now -= t.kernel.realtimeOffsetNs;
  }
  writeTimespec(t, tp, now);
  return 0;
}

/** clock_getres(2): the hrtimer resolution (1 ns); the coarse clocks tick; CPU clocks other than SCHED count in jiffies. */
export function sys_clock_getres(t: Task, r: Regs): number {
  const clk = r.getI32(A0), p = r.get(A1);
  if (readClock(t, clk) === null) return -Errno.EINVAL;
  if (p) {
    const coarse = clk === CLOCK_REALTIME_COARSE || clk === CLOCK_MONOTONIC_COARSE;
    const jiffy = clk < 0 && cpuclockWhich(clk) !== CPUCLOCK_SCHED;
    writeTimespec(t, p, coarse ? 4000000n : jiffy ? 4000000n : 1n);
  }
  return 0;
}

/** TIME_SETTOD_SEC_MAX: KTIME_SEC_MAX less 30 years of uptime (timespec64_valid_settod) */
const TIME_SETTOD_SEC_MAX = 9223372036n - 946080000n;

/**
 * do_sys_settimeofday64: a valid time (EINVAL), CAP_SYS_TIME (euid 0;
 * EPERM), a timezone within 15 hours (EINVAL; Linux only records it, and
 * so nothing is kept here). The guest's root moves the guest's wall clock
 * only; the host's stays.
 */
function doSettimeofday(t: Task, sec: bigint | null, nsec: bigint, tzMinutesWest: number | null): number {
  if (sec !== null && (sec < 0n || sec >= TIME_SETTOD_SEC_MAX || nsec < 0n || nsec >= NSEC_PER_SEC)) return -Errno.EINVAL;
  if (!capable(t.creds, CAP_SYS_TIME)) return -Errno.EPERM;
  if (tzMinutesWest !== null && (tzMinutesWest > 15 * 60 || tzMinutesWest < -15 * 60)) return -Errno.EINVAL;
  if (sec === null) return 0;
  const host = t.kernel.platform.clockNs(CLOCK_REALTIME) ?? BigInt(Date.now()) * 1000000n;
  t.kernel.setRealtimeOffset(sec * NSEC_PER_SEC + nsec - host);
  for (const w of t.kernel.clockWatchers) w.clockWasSet(); // clock_was_set → timerfd_clock_was_set
  return 0;
}

/**
 * clock_settime(2): only CLOCK_REALTIME is settable (EINVAL for the other
 * clocks, whose k_clocks have no clock_set, before the time is read); a
 * CPU clock says EPERM if it exists (posix_cpu_clock_set).
 */
export function sys_clock_settime(t: Task, r: Regs): number {
  const clk = r.getI32(A0), tp = r.get(A1);
  if (clk >= 0 && clk !== CLOCK_REALTIME) return -Errno.EINVAL;
  const ts = getTimespec(t, tp);
  if (clk < 0) return cpuClockNs(t, clk) === null ? -Errno.EINVAL : -Errno.EPERM;
  return doSettimeofday(t, ts.sec, ts.nsec, null);
}

/** settimeofday(2): struct timeval (tv_usec checked first) and struct timezone. */
export function sys_settimeofday(t: Task, r: Regs): number {
  const tv = r.get(A0), tz = r.get(A1);
  let sec: bigint | null = null, nsec = 0n;
  if (tv) {
    const v = getTimeval(t, tv);
    if (v.usec < 0n || v.usec >= USEC_PER_SEC) return -Errno.EINVAL;
    sec = v.sec;
    nsec = v.usec * 1000n;
  }
  const tzMinutesWest = tz ? readStruct(t, tz, 8).getInt32(0, true) : null;
  return doSettimeofday(t, sec, nsec, tzMinutesWest);
}

/** gettimeofday(2) */
export function sys_gettimeofday(t: Task, r: Regs): number {
  const tv = r.get(A0), tz = r.get(A1);
  if (tv) writeTimeval(t, tv, t.kernel.realtimeNs());
  if (tz) clearUser(t, tz, 8); // struct timezone: UTC, no DST
  return 0;
}

/** time(2) */
export function sys_time(t: Task, r: Regs): number {
  const tloc = r.get(A0);
  const now = Number(t.kernel.realtimeNs() / NSEC_PER_SEC);
  if (tloc) writeU64(t, tloc, now);
  return now;
}

interface SleepState {
  deadline: bigint;
  realtime: boolean;
}

/**
 * On interruption by a signal: cancel the timer; nanosleep reports the time
 * left in *rem. A relative sleep ends with ERESTART_RESTARTBLOCK (EINTR for
 * a handler; after a stop, restart_syscall sleeps on to the same deadline:
 * hrtimer_nanosleep_restart); an absolute one is restarted as it was asked
 * (the row's ERESTARTNOHAND).
 */
function onInterrupt(t: Task, timer: Timer, rem: UserPtr, st: SleepState, relative: boolean): () => number | undefined {
  return () => {
    t.kernel.events.cancelTimer(timer);
    if (rem) {
      const now = st.realtime ? t.kernel.realtimeNs() : monotonicNs();
      const left = st.deadline > now ? st.deadline - now : 0n;
      try {
        writeTimespec(t, rem, left);
      } catch {
        /* EFAULT on rem is not reported (the sleep was interrupted anyway) */
      }
    }
    if (!relative) return undefined;
    const deadline = st.deadline, realtime = st.realtime;
    // (a re-run after the wake finds its SleepState: sleepUntil takes the deadline from there)
    t.restartBlock = (rt) => sleepUntil(rt, deadline, realtime, rem, true);
    return -ERESTART_RESTARTBLOCK;
  };
}

/** The shared sleeping path: the first run records the deadline, arms a timer
 * and sleeps; the re-run after the wake (deadline null) returns 0 once it has passed. */
function sleepUntil(t: Task, deadline: bigint | null, realtime = false, rem: UserPtr = 0, relative = false): number {
  let st = t.sc.state as SleepState | null;
  if (!st) {
    st = { deadline: deadline ?? 0n, realtime };
    t.sc.state = st;
  }
  realtime = st.realtime;
  const now = realtime ? t.kernel.realtimeNs() : monotonicNs();
  if (now >= st.deadline) {
    t.sc.state = null;
    return 0;
  }
  // a realtime deadline becomes a monotonic one (clock jumps are not followed)
  const mono = realtime ? monotonicNs() + (st.deadline - now) : st.deadline;
  const timer = t.kernel.events.addTimer(mono, () => t.kernel.wake(t));
  t.sc.cleanup = onInterrupt(t, timer, rem, st, relative);
  return t.sleep();
}

/** nanosleep(2) */
export function sys_nanosleep(t: Task, r: Regs): number {
  if (!t.sc.state) {
    const ns = readTimespec(t, r.get(A0));
    return sleepUntil(t, monotonicNs() + ns, false, r.get(A1), true);
  }
  return sleepUntil(t, null, false, r.get(A1), true);
}

/** clock_nanosleep(2) */
export function sys_clock_nanosleep(t: Task, r: Regs): number {
  const clk = r.getI32(A0), flags = r.getI32(A1);
  // clocks that exist but cannot be slept on (no nsleep in their k_clock)
  if (clk === CLOCK_THREAD_CPUTIME_ID || clk === CLOCK_MONOTONIC_RAW || clk === CLOCK_REALTIME_COARSE || clk === CLOCK_MONOTONIC_COARSE) {
    return -Errno.EOPNOTSUPP;
  }
  if (clk !== CLOCK_REALTIME && clk !== CLOCK_MONOTONIC && clk !== CLOCK_BOOTTIME && clk !== CLOCK_TAI && clk !== CLOCK_PROCESS_CPUTIME_ID) {
    return clk === CLOCK_REALTIME_ALARM || clk === CLOCK_BOOTTIME_ALARM ? -Errno.EPERM : -Errno.EINVAL;
  }
  const rem = flags & TIMER_ABSTIME ? 0 : r.get(A3);
  if (t.sc.state) return sleepUntil(t, null, false, rem, !(flags & TIMER_ABSTIME));
  const ns = readTimespec(t, r.get(A2));
  const realtime = clk === CLOCK_REALTIME || clk === CLOCK_TAI;
  if (flags & TIMER_ABSTIME) return sleepUntil(t, ns, realtime);
  return sleepUntil(t, monotonicNs() + ns, false, rem, true);
}

// ---- the clock's discipline: adjtimex, clock_adjtime ------------------------------------------

/** the byte ranges of struct timex's fields do_adjtimex fills (the padding between is the caller's) */
const TIMEX_FILLED: ReadonlyArray<[number, number]> = [[8, 44], [48, 116], [120, 164]];
/** posix_clocks[]' ids that have no clock_adj (EOPNOTSUPP); any other id but the realtime clock is EINVAL */
const UNADJUSTABLE = new Set([CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
  CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI]);
/** CLOCKFD: a negative clock id naming a PTP-like clock's fd (none exist here) */
const CLOCKFD = 3, CLOCKFD_MASK = 7;

/**
 * do_adjtimex on the caller's struct timex (read already): a reading of the
 * host clock's discipline, with the guest's own wall clock as its time. Any
 * change is EPERM, whoever asks: the host's clock is not the guest's to
 * steer (as CAP_SYS_TIME outside the host's user namespace); the checks
 * before that (timekeeping_validate_timex) in Linux's order.
 */
function adjtimex(t: Task, addr: UserPtr, tx: Uint8Array): number {
  const dv = new DataView(tx.buffer, tx.byteOffset, TIMEX_SIZE);
  const modes = dv.getUint32(0, true);
  if (modes & ADJ_ADJTIME) {
    if (!(modes & ADJ_OFFSET_SINGLESHOT)) return -Errno.EINVAL;
    if (!(modes & ADJ_OFFSET_READONLY)) return -Errno.EPERM;
  } else if (modes !== 0) {
    return -Errno.EPERM;
  }
  const host = new Uint8Array(TIMEX_SIZE);
  const state = t.kernel.platform.clockDiscipline(host, modes !== 0);
  if (state < 0) return state;
  for (const [a, b] of TIMEX_FILLED) tx.set(host.subarray(a, b), a);
  const now = t.kernel.realtimeNs(), ns = now % NSEC_PER_SEC;
  dv.setBigInt64(TX_TIME, now / NSEC_PER_SEC, true);
  dv.setBigInt64(TX_TIME + 8, dv.getInt32(TX_STATUS, true) & STA_NANO ? ns : ns / 1000n, true);
  copyOut(t, addr, tx);
  return state;
}

/** adjtimex(2) */
export function sys_adjtimex(t: Task, r: Regs): number {
  const addr = r.get(A0);
  return adjtimex(t, addr, copyIn(t, addr, TIMEX_SIZE));
}

/** clock_adjtime(2): the realtime clock's adjtimex; a clock without an adjustment is EOPNOTSUPP, no clock EINVAL. */
export function sys_clock_adjtime(t: Task, r: Regs): number {
  const clk = r.getI32(A0), addr = r.get(A1);
  const tx = copyIn(t, addr, TIMEX_SIZE);
  if (clk === CLOCK_REALTIME) return adjtimex(t, addr, tx);
  if (clk < 0) return (clk & CLOCKFD_MASK) === CLOCKFD ? -Errno.EINVAL : -Errno.EOPNOTSUPP;
  return UNADJUSTABLE.has(clk) ? -Errno.EOPNOTSUPP : -Errno.EINVAL;
}
