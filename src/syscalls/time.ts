/**
 * Clocks and sleeping: clock_gettime, gettimeofday, time, clock_getres,
 * nanosleep, clock_nanosleep. CLOCK_MONOTONIC is the host's (the kernel's
 * timers use the same clock); CLOCK_REALTIME is the host's wall clock.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { monotonicNs, Timer } from '../kernel/events.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3 } from './types.js';
import { readTimespec, writeTimespec, writeTimeval, writeU64, clearUser, NSEC_PER_SEC, UserPtr } from './uaccess.js';

import {
  CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
  CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI,
  TIMER_ABSTIME,
} from '../abi/time.js';
export * from '../abi/time.js';

/** Read a clock, in ns; null for an unknown clock. */
export function readClock(t: Task, clk: number): bigint | null {
  const p = t.kernel.platform;
  switch (clk) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_REALTIME_ALARM:
      return p.clockNs(CLOCK_REALTIME);
    case CLOCK_TAI:
      return p.clockNs(CLOCK_TAI);
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
      return p.clockNs(CLOCK_MONOTONIC);
    case CLOCK_MONOTONIC_RAW:
      return p.clockNs(CLOCK_MONOTONIC_RAW);
    case CLOCK_PROCESS_CPUTIME_ID:
      return BigInt(p.processCpuNs(t.thread));
    case CLOCK_THREAD_CPUTIME_ID:
      return BigInt(p.threadCpuNs(t.thread));
    default:
      return null;
  }
}

/** clock_gettime(2) */
export function sys_clock_gettime(t: Task, r: Regs): number {
  const clk = r.getI32(A0), tp = r.get(A1);
  const now = readClock(t, clk);
  if (now === null) return -Errno.EINVAL;
  writeTimespec(t, tp, now);
  return 0;
}

/** clock_getres(2) */
export function sys_clock_getres(t: Task, r: Regs): number {
  const clk = r.getI32(A0), p = r.get(A1);
  if (readClock(t, clk) === null) return -Errno.EINVAL;
  if (p) {
    const coarse = clk === CLOCK_REALTIME_COARSE || clk === CLOCK_MONOTONIC_COARSE;
    writeTimespec(t, p, coarse ? 4000000n : 1n);
  }
  return 0;
}

/** gettimeofday(2) */
export function sys_gettimeofday(t: Task, r: Regs): number {
  const tv = r.get(A0), tz = r.get(A1);
  if (tv) writeTimeval(t, tv, readClock(t, CLOCK_REALTIME) ?? 0n);
  if (tz) clearUser(t, tz, 8); // struct timezone: UTC, no DST
  return 0;
}

/** time(2) */
export function sys_time(t: Task, r: Regs): number {
  const tloc = r.get(A0);
  const now = Number((readClock(t, CLOCK_REALTIME) ?? 0n) / NSEC_PER_SEC);
  if (tloc) writeU64(t, tloc, now);
  return now;
}

interface SleepState {
  deadline: bigint;
  realtime: boolean;
}

/** On interruption by a signal: cancel the timer; nanosleep reports the time left in *rem. */
function onInterrupt(t: Task, timer: Timer, rem: UserPtr, st: SleepState): () => void {
  return () => {
    t.kernel.events.cancelTimer(timer);
    if (!rem) return;
    const now = st.realtime ? BigInt(Date.now()) * 1000000n : monotonicNs();
    const left = st.deadline > now ? st.deadline - now : 0n;
    try {
      writeTimespec(t, rem, left);
    } catch {
      /* EFAULT on rem is not reported (the sleep was interrupted anyway) */
    }
  };
}

/** The shared sleeping path: the first run records the deadline, arms a timer
 * and sleeps; the re-run after the wake (deadline null) returns 0 once it has passed. */
function sleepUntil(t: Task, deadline: bigint | null, realtime = false, rem: UserPtr = 0): number {
  let st = t.sc.state as SleepState | null;
  if (!st) {
    st = { deadline: deadline ?? 0n, realtime };
    t.sc.state = st;
  }
  realtime = st.realtime;
  const now = realtime ? BigInt(Date.now()) * 1000000n : monotonicNs();
  if (now >= st.deadline) {
    t.sc.state = null;
    return 0;
  }
  // a realtime deadline becomes a monotonic one (clock jumps are not followed)
  const mono = realtime ? monotonicNs() + (st.deadline - now) : st.deadline;
  const timer = t.kernel.events.addTimer(mono, () => t.kernel.wake(t));
  t.sc.cleanup = onInterrupt(t, timer, rem, st);
  return t.sleep();
}

/** nanosleep(2) */
export function sys_nanosleep(t: Task, r: Regs): number {
  if (!t.sc.state) {
    const ns = readTimespec(t, r.get(A0));
    return sleepUntil(t, monotonicNs() + ns, false, r.get(A1));
  }
  return sleepUntil(t, null, false, r.get(A1));
}

/** clock_nanosleep(2) */
export function sys_clock_nanosleep(t: Task, r: Regs): number {
  const clk = r.getI32(A0), flags = r.getI32(A1);
  if (clk === CLOCK_THREAD_CPUTIME_ID) return -Errno.EINVAL;
  if (clk !== CLOCK_REALTIME && clk !== CLOCK_MONOTONIC && clk !== CLOCK_BOOTTIME && clk !== CLOCK_TAI && clk !== CLOCK_PROCESS_CPUTIME_ID) {
    return clk === CLOCK_REALTIME_ALARM || clk === CLOCK_BOOTTIME_ALARM ? -Errno.EPERM : -Errno.EINVAL;
  }
  const rem = flags & TIMER_ABSTIME ? 0 : r.get(A3);
  if (t.sc.state) return sleepUntil(t, null, false, rem);
  const ns = readTimespec(t, r.get(A2));
  const realtime = clk === CLOCK_REALTIME || clk === CLOCK_TAI;
  if (flags & TIMER_ABSTIME) return sleepUntil(t, ns, realtime);
  return sleepUntil(t, monotonicNs() + ns, false, rem);
}
