/**
 * Clocks and sleeping: clock_gettime, gettimeofday, time, clock_getres,
 * nanosleep, clock_nanosleep. CLOCK_MONOTONIC is the host's (the kernel's
 * timers use the same clock); CLOCK_REALTIME is the host's wall clock.
 */
import * as host from '../host/libc.js';
import { Errno } from '../kernel/errno.js';
import type { Task } from '../kernel/task.js';
import { monotonicNs, Timer } from '../kernel/events.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3 } from './types.js';

const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3,
  CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7,
  CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9, CLOCK_TAI = 11;
const TIMER_ABSTIME = 1;

const ts = new BigInt64Array(2);
const tsBytes = new Uint8Array(ts.buffer);

/** Read a clock into ts (sec, nsec); -EINVAL for an unknown clock. */
function readClock(t: Task, clk: number): number {
  let hostClk: number;
  switch (clk) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_REALTIME_ALARM:
    case CLOCK_TAI:
      hostClk = clk === CLOCK_TAI ? CLOCK_TAI : CLOCK_REALTIME;
      break;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
      hostClk = clk === CLOCK_MONOTONIC_RAW ? CLOCK_MONOTONIC_RAW : CLOCK_MONOTONIC;
      break;
    case CLOCK_PROCESS_CPUTIME_ID:
      hostClk = host.processCpuClock(t.thread.tid);
      break;
    case CLOCK_THREAD_CPUTIME_ID:
      hostClk = host.threadCpuClock(t.thread.tid);
      break;
    default:
      return -Errno.EINVAL;
  }
  const e = host.clockGettime(hostClk, ts);
  return e < 0 ? -Errno.EINVAL : 0;
}

/** clock_gettime(2) */
export function sys_clock_gettime(t: Task, r: Regs): number {
  const e = readClock(t, r.getI32(A0));
  if (e < 0) return e;
  t.mm.write(r.get(A1), tsBytes);
  return 0;
}

/** clock_getres(2) */
export function sys_clock_getres(t: Task, r: Regs): number {
  const clk = r.getI32(A0), p = r.get(A1);
  const e = readClock(t, clk);
  if (e < 0) return e;
  if (p) {
    const coarse = clk === CLOCK_REALTIME_COARSE || clk === CLOCK_MONOTONIC_COARSE;
    const b = new BigInt64Array([0n, coarse ? 4000000n : 1n]);
    t.mm.write(p, new Uint8Array(b.buffer));
  }
  return 0;
}

/** gettimeofday(2) */
export function sys_gettimeofday(t: Task, r: Regs): number {
  const tv = r.get(A0), tz = r.get(A1);
  if (tv) {
    readClock(t, CLOCK_REALTIME);
    const b = new BigInt64Array([ts[0]!, ts[1]! / 1000n]);
    t.mm.write(tv, new Uint8Array(b.buffer));
  }
  if (tz) t.mm.write(tz, new Uint8Array(8)); // UTC, no DST
  return 0;
}

/** time(2) */
export function sys_time(t: Task, r: Regs): number {
  readClock(t, CLOCK_REALTIME);
  const now = Number(ts[0]!);
  if (r.get(A0)) t.mm.writeU64(r.get(A0), now);
  return now;
}

/** Read a struct timespec; EINVAL if out of range. */
function readTimespec(t: Task, addr: number): bigint {
  const b = t.mm.read(addr, 16);
  const dv = new DataView(b.buffer);
  const sec = dv.getBigInt64(0, true), nsec = dv.getBigInt64(8, true);
  if (sec < 0n || nsec < 0n || nsec >= 1000000000n) return -1n;
  return sec * 1000000000n + nsec;
}

interface SleepState {
  deadline: bigint;
  realtime: boolean;
}

/** On interruption by a signal: cancel the timer; nanosleep reports the time left in *rem. */
function onInterrupt(t: Task, timer: Timer, rem: number, st: SleepState): () => void {
  return () => {
    t.kernel.events.cancelTimer(timer);
    if (!rem) return;
    const now = st.realtime ? BigInt(Date.now()) * 1000000n : monotonicNs();
    const left = st.deadline > now ? st.deadline - now : 0n;
    try {
      t.mm.write(rem, new Uint8Array(new BigInt64Array([left / 1000000000n, left % 1000000000n]).buffer));
    } catch {
      /* EFAULT on rem is not reported (the sleep was interrupted anyway) */
    }
  };
}

/** The shared sleeping path: the first run records the deadline, arms a timer
 * and sleeps; the re-run after the wake (deadline null) returns 0 once it has passed. */
function sleepUntil(t: Task, deadline: bigint | null, realtime = false, rem = 0): number {
  let st = t.syscallState as SleepState | null;
  if (!st) {
    st = { deadline: deadline ?? 0n, realtime };
    t.syscallState = st;
  }
  realtime = st.realtime;
  const now = realtime ? BigInt(Date.now()) * 1000000n : monotonicNs();
  if (now >= st.deadline) {
    t.syscallState = null;
    return 0;
  }
  // a realtime deadline becomes a monotonic one (clock jumps are not followed)
  const mono = realtime ? monotonicNs() + (st.deadline - now) : st.deadline;
  const timer = t.kernel.events.addTimer(mono, () => t.kernel.wake(t));
  t.syscallCleanup = onInterrupt(t, timer, rem, st);
  return t.sleep();
}

/** nanosleep(2) */
export function sys_nanosleep(t: Task, r: Regs): number {
  if (!t.syscallState) {
    const ns = readTimespec(t, r.get(A0));
    if (ns < 0n) return -Errno.EINVAL;
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
  if (t.syscallState) return sleepUntil(t, null, false, rem);
  const ns = readTimespec(t, r.get(A2));
  if (ns < 0n) return -Errno.EINVAL;
  const realtime = clk === CLOCK_REALTIME || clk === CLOCK_TAI;
  if (flags & TIMER_ABSTIME) return sleepUntil(t, ns, realtime);
  return sleepUntil(t, monotonicNs() + ns, false, rem);
}
