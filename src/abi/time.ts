/** Clock ids and timer flags (include/uapi/linux/time.h), and struct timespec/timeval and their encoding. */
export const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3,
  CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7,
  CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9, CLOCK_TAI = 11;
export const TIMER_ABSTIME = 1;

/**
 * CPU-time clock ids (include/linux/posix-timers.h): a negative clockid_t
 * carries ~pid << 3, a per-thread bit and which clock (PROF: user+system,
 * VIRT: user, SCHED: run time). pid 0 means the caller. clock_getcpuclockid(3)
 * and pthread_getcpuclockid(3) make them.
 */
export const CPUCLOCK_PROF = 0, CPUCLOCK_VIRT = 1, CPUCLOCK_SCHED = 2, CPUCLOCK_PERTHREAD_MASK = 4, CPUCLOCK_WHICH_MASK = 3;
/** CPUCLOCK_PID */
export function cpuclockPid(clk: number): number {
  return ~(clk >> 3);
}
/** CPUCLOCK_PERTHREAD */
export function cpuclockPerthread(clk: number): boolean {
  return (clk & CPUCLOCK_PERTHREAD_MASK) !== 0;
}
/** CPUCLOCK_WHICH */
export function cpuclockWhich(clk: number): number {
  return clk & CPUCLOCK_WHICH_MASK;
}

export const NSEC_PER_SEC = 1000000000n;
export const NSEC_PER_USEC = 1000n;
export const USEC_PER_SEC = 1000000n;

/** struct __kernel_timespec, as the guest wrote it */
export interface Timespec {
  sec: bigint;
  nsec: bigint;
}
/** struct __kernel_old_timeval, as the guest wrote it */
export interface Timeval {
  sec: bigint;
  usec: bigint;
}

/** timespec64_valid */
export function timespecValid(ts: Timespec): boolean {
  return ts.sec >= 0n && ts.nsec >= 0n && ts.nsec < NSEC_PER_SEC;
}
/** timeval_valid */
export function timevalValid(tv: Timeval): boolean {
  return tv.sec >= 0n && tv.usec >= 0n && tv.usec < USEC_PER_SEC;
}

export function getTimespecAt(dv: DataView, off: number): Timespec {
  return { sec: dv.getBigInt64(off, true), nsec: dv.getBigInt64(off + 8, true) };
}
export function getTimevalAt(dv: DataView, off: number): Timeval {
  return { sec: dv.getBigInt64(off, true), usec: dv.getBigInt64(off + 8, true) };
}

/** ns as a timespec; a time before the epoch has a negative tv_sec and 0 <= tv_nsec < 1e9 (ns_to_timespec64). */
export function nsToTimespec(ns: bigint): Timespec {
  let sec = ns / NSEC_PER_SEC;
  let nsec = ns - sec * NSEC_PER_SEC;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += NSEC_PER_SEC;
  }
  return { sec, nsec };
}

/** Encode ns as a struct timespec at off. */
export function putTimespec(dv: DataView, off: number, ns: bigint): void {
  const ts = nsToTimespec(ns);
  dv.setBigInt64(off, ts.sec, true);
  dv.setBigInt64(off + 8, ts.nsec, true);
}

/** Encode ns as a struct timeval at off (the usecs truncated). */
export function putTimeval(dv: DataView, off: number, ns: bigint): void {
  const ts = nsToTimespec(ns);
  dv.setBigInt64(off, ts.sec, true);
  dv.setBigInt64(off + 8, ts.nsec / NSEC_PER_USEC, true);
}


/** timerfd (include/uapi/linux/timerfd.h): create flags are O_CLOEXEC/O_NONBLOCK; settime flags; the C/R ioctl. */
export const TFD_CLOEXEC = 0o2000000, TFD_NONBLOCK = 0o4000;
export const TFD_TIMER_ABSTIME = 1, TFD_TIMER_CANCEL_ON_SET = 2;
/** TFD_IOC_SET_TICKS: _IOW('T', 0, u64) */
export const TFD_IOC_SET_TICKS = 0x40085400;
