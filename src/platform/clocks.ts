/**
 * The host clocks every platform reports the same way (Platform.clockNs,
 * threadCpuNs, processCpuNs). ts: the caller's own out-parameter (two
 * int64s), so nothing is allocated per call.
 */
import * as host from '../host/libc.js';
import type { Context } from './platform.js';

/** A host clock now, ns; null if the host has none. */
export function hostClockNs(ts: BigInt64Array, clock: number): bigint | null {
  if (host.clockGettime(clock, ts) < 0) return null;
  return ts[0]! * 1000000000n + ts[1]!;
}

/** CPU time one guest host thread has used, ns (0 if gone). */
export function hostThreadCpuNs(ctx: Context): number {
  return Math.max(0, host.threadSchedNs(ctx.tgid, ctx.tid));
}

/** CPU time a guest's whole host process has used, ns (0 if gone). */
export function hostProcessCpuNs(ts: BigInt64Array, ctx: Context): number {
  return host.clockGettime(host.processCpuClock(ctx.tgid), ts) < 0 ? 0 : Number(ts[0]!) * 1e9 + Number(ts[1]!);
}
