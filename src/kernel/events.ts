/**
 * The kernel's view of time and host events: the platform's timers and
 * monotonic clock (platform/platform.ts), named where kernel code and
 * syscalls look for them.
 */
export { monotonicNs } from '../platform/platform.js';
export type { Timer, HostEvents } from '../platform/platform.js';

import type { HostEvents } from '../platform/platform.js';

/**
 * The platform's events as the kernel uses them: a timer or host-fd
 * callback that throws (a bug in whatever armed it: no syscall is running
 * to blame) goes to onError instead of up through the platform's event
 * loop, which would end the kernel. The Map of host signal handlers is the
 * platform's own.
 */
export function containedEvents(ev: HostEvents, onError: (what: string, e: unknown) => void): HostEvents {
  return {
    addTimer: (deadline, fire) => ev.addTimer(deadline, () => {
      try {
        fire();
      } catch (e) {
        onError('a timer callback', e);
      }
    }),
    cancelTimer: (t) => ev.cancelTimer(t),
    watch: (fd, events, cb) => ev.watch(fd, events, () => {
      try {
        cb();
      } catch (e) {
        onError(`a callback for host fd ${fd}`, e);
      }
    }),
    unwatch: (fd) => ev.unwatch(fd),
    runExpired: () => ev.runExpired(),
    hostSignalHandlers: ev.hostSignalHandlers,
  };
}
