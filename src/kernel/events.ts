/**
 * The kernel's view of time and host events: the platform's timers and
 * monotonic clock (platform/platform.ts), named where kernel code and
 * syscalls look for them.
 */
export { monotonicNs } from '../platform/platform.js';
export type { Timer, HostEvents } from '../platform/platform.js';
