/**
 * Resource limits and priorities (include/uapi/asm-generic/resource.h,
 * include/uapi/linux/resource.h, include/uapi/linux/sched.h).
 */

/** getrlimit(2) resources */
export const RLIMIT_CPU = 0, RLIMIT_FSIZE = 1, RLIMIT_DATA = 2, RLIMIT_STACK = 3, RLIMIT_CORE = 4,
  RLIMIT_RSS = 5, RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7, RLIMIT_MEMLOCK = 8, RLIMIT_AS = 9, RLIMIT_LOCKS = 10,
  RLIMIT_SIGPENDING = 11, RLIMIT_MSGQUEUE = 12, RLIMIT_NICE = 13, RLIMIT_RTPRIO = 14, RLIMIT_RTTIME = 15,
  RLIM_NLIMITS = 16;
/** RLIM_INFINITY as the u64 the guest sees */
export const RLIM_INFINITY = 0xffffffffffffffffn;
/** sysctl fs.nr_open's default: no fd table grows past it, whatever RLIMIT_NOFILE says */
export const NR_OPEN = 1048576;

/** _STK_LIM: the default RLIMIT_STACK */
export const _STK_LIM = 8 << 20;

/** Linux's boot-time limits (init_task's INIT_RLIMITS, include/asm-generic/resource.h) as [soft, hard]
 * (Infinity: RLIM_INFINITY); a process has them for every limit the front end did not pass */
export function initRlimit(res: number): [number, number] {
  switch (res) {
    case RLIMIT_STACK:
      return [_STK_LIM, Infinity];
    case RLIMIT_CORE:
      return [0, Infinity];
    case RLIMIT_NOFILE:
      return [1024, 4096];
    case RLIMIT_NPROC:
      return [4096, 4096];
    case RLIMIT_MEMLOCK:
      return [8 << 20, 8 << 20];
    case RLIMIT_NICE:
    case RLIMIT_RTPRIO:
      return [0, 0];
    case RLIMIT_SIGPENDING:
      return [4096, 4096];
    case RLIMIT_MSGQUEUE:
      return [819200, 819200];
    default:
      return [Infinity, Infinity];
  }
}

/** getrusage(2) who */
export const RUSAGE_SELF = 0, RUSAGE_CHILDREN = -1, RUSAGE_THREAD = 1;
/** struct rusage: its size and the offsets umlts fills (ru_utime and ru_stime are struct timeval; ru_maxrss KiB) */
export const RUSAGE_SIZE = 144, RU_UTIME = 0, RU_STIME = 16, RU_MAXRSS = 32;
/** struct tms (times(2)): four clock_t, in USER_HZ ticks */
export const TMS_SIZE = 32, TMS_UTIME = 0, TMS_CUTIME = 16, USER_HZ = 100;

/** getpriority(2)/setpriority(2) "which" */
export const PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;
/** nice values */
export const MIN_NICE = -20, MAX_NICE = 19;

/** scheduling policies (sched_setscheduler(2)); SCHED_RESET_ON_FORK is a flag on the policy */
export const SCHED_NORMAL = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5, SCHED_DEADLINE = 6,
  SCHED_RESET_ON_FORK = 0x40000000;
/** struct sched_attr (sched_setattr(2)): its sizes (VER0 without the utilization clamps) and sched_flags */
export const SCHED_ATTR_SIZE_VER0 = 48, SCHED_ATTR_SIZE_VER1 = 56;
export const SCHED_FLAG_RESET_ON_FORK = 0x01, SCHED_FLAG_RECLAIM = 0x02, SCHED_FLAG_DL_OVERRUN = 0x04,
  SCHED_FLAG_KEEP_POLICY = 0x08, SCHED_FLAG_KEEP_PARAMS = 0x10, SCHED_FLAG_UTIL_CLAMP_MIN = 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX = 0x40, SCHED_FLAG_SUGOV = 0x10000000;
export const SCHED_FLAG_UTIL_CLAMP = SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX;
export const SCHED_FLAG_ALL = 0x7f;
/** the utilization clamps' scale (SCHED_CAPACITY_SCALE) */
export const SCHED_CAPACITY_SCALE = 1024;
/** EEVDF's slice: the default (Linux 6.18's sysctl_sched_base_slice, 0.7 ms scaled by 1 + log2(CPUs), at most 8 CPUs) and a
 * sched_setattr runtime's bounds for the fair policies */
export const SCHED_BASE_SLICE_NS = 700_000, SCHED_SLICE_MIN_NS = 100_000, SCHED_SLICE_MAX_NS = 100_000_000;

/** I/O priorities (ioprio_set(2)): which, the class in bits 13-15, the level in bits 0-2 */
export const IOPRIO_WHO_PROCESS = 1, IOPRIO_WHO_PGRP = 2, IOPRIO_WHO_USER = 3;
export const IOPRIO_CLASS_NONE = 0, IOPRIO_CLASS_RT = 1, IOPRIO_CLASS_BE = 2, IOPRIO_CLASS_IDLE = 3,
  IOPRIO_CLASS_SHIFT = 13, IOPRIO_LEVEL_MASK = 7, IOPRIO_BITS = 16;

/** real-time priorities: 1..MAX_RT_PRIO-1 */
export const MAX_RT_PRIO = 100;
/** sched_rr_get_interval's SCHED_RR time slice (RR_TIMESLICE: 100 ms) */
export const RR_TIMESLICE_NS = 100_000_000n;
