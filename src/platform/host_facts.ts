/**
 * What every platform reads from the host the same way: the CPUs the
 * kernel may use and where it runs, and the clocks (Platform.allowedCpus,
 * currentCpu, hostRunnable, threadRunnable, kernelRunDelayNs, clockNs, threadCpuNs, processCpuNs). Both
 * platforms extend it.
 *
 * Ownership: one per platform, used on the kernel's JS thread only; `ts` is
 * its out-parameter (two int64s), so nothing is allocated per call.
 */
import * as host from '../host/libc.js';
import { hostVdso } from '../host/vdso.js';
import type { Context } from './platform.js';
import { STUB_HOST_VDSO, STUB_HOST_VDSO_SIZE } from './stub_layout.js';

/** A stub's last argument: the host vDSO's layout, for the stub to move it to STUB_HOST_VDSO ([] if the host has
 * none that fits). */
export function hostVdsoArgs(): string[] {
  const v = hostVdso();
  return v && v.span <= STUB_HOST_VDSO_SIZE ? [v.spec] : [];
}

export abstract class HostFacts {
  private readonly ts = new BigInt64Array(2);
  /** Platform.hostVdsoClock; immutable */
  readonly hostVdsoClock: number = hostVdsoArgs().length ? STUB_HOST_VDSO + hostVdso()!.clockGettime : 0;

  allowedCpus(): number[] {
    return host.allowedCpus();
  }
  currentCpu(): number {
    return host.currentCpu();
  }
  /** Threads runnable on the whole host now, the kernel's own included (-1: unknown). */
  hostRunnable(): number {
    return host.runnableTasks();
  }
  threadRunnable(ctx: Context): boolean {
    return host.threadRunnable(ctx.tgid, ctx.tid);
  }
  kernelRunDelayNs(): number {
    return host.runDelayNs();
  }
  /** A host clock now, ns; null if the host has none. */
  clockNs(clock: number): bigint | null {
    const ts = this.ts;
    if (host.clockGettime(clock, ts) < 0) return null;
    return ts[0]! * 1000000000n + ts[1]!;
  }
  /** CPU time one guest host thread has used, ns (0 if gone). */
  threadCpuNs(ctx: Context): number {
    return Math.max(0, host.threadSchedNs(ctx.tgid, ctx.tid));
  }
  /** CPU time a guest's whole host process has used, ns (0 if gone). */
  processCpuNs(ctx: Context): number {
    const ts = this.ts;
    return host.clockGettime(host.processCpuClock(ctx.tgid), ts) < 0 ? 0 : Number(ts[0]!) * 1e9 + Number(ts[1]!);
  }
}
