/**
 * timerfd_create(2), timerfd_settime(2), timerfd_gettime(2) (fs/timerfd.c).
 * The file is fs/timerfd.ts; here the arguments are checked and the clock
 * ids turned into monotonic deadlines. CLOCK_BOOTTIME is CLOCK_MONOTONIC
 * (a guest never sees a suspend); the _ALARM clocks need CAP_WAKE_ALARM
 * (the guest's root) and then behave as their plain clocks.
 */
import { Errno } from '../abi/errno.js';
import {
  CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM,
  TFD_CLOEXEC, TFD_NONBLOCK, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET,
} from '../abi/time.js';
import { O_RDWR, O_NONBLOCK } from '../abi/fcntl.js';
import type { Task } from '../kernel/task.js';
import { monotonicNs } from '../kernel/events.js';
import { TimerFd, TimerfdClock } from '../fs/timerfd.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3 } from './types.js';
import { fileOf } from './fd.js';
import { readItimerspec, writeItimerspec } from './uaccess.js';
import { capable } from '../kernel/creds.js';
import { CAP_WAKE_ALARM } from '../abi/capability.js';

/** timerfd_create(2) */
export function sys_timerfd_create(t: Task, r: Regs): number {
  const clockid = r.getI32(A0), flags = r.getI32(A1);
  if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK)) return -Errno.EINVAL;
  switch (clockid) {
    case CLOCK_REALTIME_ALARM:
    case CLOCK_BOOTTIME_ALARM:
      if (!capable(t.creds, CAP_WAKE_ALARM)) return -Errno.EPERM;
      break;
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
      break;
    default:
      return -Errno.EINVAL;
  }
  const k = t.kernel;
  const clock: TimerfdClock = {
    monotonic: monotonicNs,
    realtime: () => k.realtimeNs(),
    addTimer: (deadline, fire) => k.events.addTimer(deadline, fire),
    cancelTimer: (timer) => k.events.cancelTimer(timer as Parameters<typeof k.events.cancelTimer>[0]),
    clockWatchers: k.clockWatchers,
  };
  const realtime = clockid === CLOCK_REALTIME || clockid === CLOCK_REALTIME_ALARM;
  const f = new TimerFd(clockid, realtime, O_RDWR | (flags & O_NONBLOCK), clock);
  return t.files.install(f, (flags & TFD_CLOEXEC) !== 0);
}

/** timerfd_fget: EBADF for no file, EINVAL for a file that is not a timerfd. */
function timerfdOf(t: Task, fd: number): TimerFd | number {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  return f instanceof TimerFd ? f : -Errno.EINVAL;
}

/** timerfd_settime(2) */
export function sys_timerfd_settime(t: Task, r: Regs): number {
  const fd = r.getI32(A0), flags = r.getI32(A1), newp = r.get(A2), oldp = r.get(A3);
  const [interval, value] = readItimerspec(t, newp); // EFAULT, then EINVAL for a bad timespec (as do_timerfd_settime)
  if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) return -Errno.EINVAL;
  const f = timerfdOf(t, fd);
  if (typeof f === 'number') return f;
  const old = f.gettime();
  let expires: bigint | null = null;
  if (value !== 0n) {
    if (flags & TFD_TIMER_ABSTIME) {
      const now = f.clockid === CLOCK_REALTIME || f.clockid === CLOCK_REALTIME_ALARM ? t.kernel.realtimeNs() : monotonicNs();
      expires = monotonicNs() + (value - now); // may be past: a periodic timer then counts every period since
    } else {
      expires = monotonicNs() + value;
    }
  }
  // TFD_TIMER_CANCEL_ON_SET counts only with an absolute expiry (timerfd_setup_cancel)
  const cancelOnSet = (flags & (TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) === (TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET);
  f.settime(expires, interval, cancelOnSet);
  f.settimeFlags = flags;
  if (oldp) writeItimerspec(t, oldp, old[0], old[1]);
  return 0;
}

/** timerfd_gettime(2) */
export function sys_timerfd_gettime(t: Task, r: Regs): number {
  const f = timerfdOf(t, r.getI32(A0));
  if (typeof f === 'number') return f;
  const [interval, value] = f.gettime();
  writeItimerspec(t, r.get(A1), interval, value);
  return 0;
}
