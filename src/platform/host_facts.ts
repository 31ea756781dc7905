/**
 * What every platform reads from the host the same way: the CPUs the
 * kernel may use and where it runs, and the clocks (Platform.allowedCpus,
 * currentCpu, hostRunnable, threadRunnable, kernelRunDelayNs, clockNs, threadCpuNs, processCpuNs). Both
 * platforms extend it.
 *
 * Ownership: one per platform, used on the kernel's JS thread only; `ts` is
 * its out-parameter (two int64s), so nothing is allocated per call.
 */
import { ADJ_OFFSET_SS_READ } from '../abi/timex.js';
import { CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID } from '../abi/time.js';
import * as host from '../host/libc.js';
import { HostError } from '../host/errors.js';
import { MEMBARRIER_CMD_QUERY, MEMBARRIER_CMD_GLOBAL } from '../abi/membarrier.js';
import { hostVdso, type HostVdso } from '../host/vdso.js';
import type { Context } from './platform.js';
import { STUB_HOST_VDSO, STUB_HOST_VDSO_SIZE, STUB_EXIT_VDSO_LAYOUT, STUB_EXIT_VDSO_MOVE } from './stub_layout.js';

/** A spawned helper (a stub, the waker) that did not reach its ready trap. */
export class SpawnFailed extends Error {
  /** exitStatus: its exit status if it exited, else -1 */
  constructor(message: string, readonly exitStatus: number) {
    super(message);
  }
}

/** Test hook (test/time.test.mjs): UMLTS_TEST_VDSO_SPEC=SPEC is the layout stubs are given instead of the host's
 * (one the stub cannot move, as on a host that refuses the mremap); immutable */
const TEST_VDSO_SPEC = process.env.UMLTS_TEST_VDSO_SPEC ?? '';

/** a stub could not keep the host's vDSO (it exited STUB_EXIT_VDSO_*): every stub since starts without it; set
 * once, by the kernel's JS thread (spawnKeepingVdso) */
let vdsoRefused = false;

/** The host's vDSO if stubs can keep it (it fits STUB_HOST_VDSO's range, and no stub failed to move it). */
function usableHostVdso(): HostVdso | null {
  const v = vdsoRefused ? null : hostVdso();
  return v && v.span <= STUB_HOST_VDSO_SIZE ? v : null;
}

/**
 * Spawn a stub given the host vDSO's layout as its last arguments (`spawn`
 * spawns it and waits for its ready trap). A stub that cannot keep the
 * host's vDSO (a host that refuses the mremap of its data pages, a layout
 * that does not fit the stub's process) exits at start-up: then no stub
 * gets the layout again, the guest's vDSO makes its clock syscalls
 * (hostVdsoClock is 0), and this one is spawned again without it.
 */
export function spawnKeepingVdso<T>(spawn: (vdsoArgs: string[]) => T): T {
  const v = usableHostVdso();
  if (!v) return spawn([]);
  try {
    return spawn([TEST_VDSO_SPEC || v.spec]);
  } catch (e) {
    if (!(e instanceof SpawnFailed) || (e.exitStatus !== STUB_EXIT_VDSO_LAYOUT && e.exitStatus !== STUB_EXIT_VDSO_MOVE)) throw e;
    vdsoRefused = true;
    return spawn([]);
  }
}

export abstract class HostFacts {
  private readonly ts = new BigInt64Array(2);
  /** the host offers MEMBARRIER_CMD_GLOBAL (not with nohz_full CPUs); asked once, at the first memoryBarrier */
  private hostBarrier: boolean | null = null;

  /** Platform.memoryBarrierAvailable */
  memoryBarrierAvailable(): boolean {
    if (this.hostBarrier === null) {
      const q = host.membarrier(MEMBARRIER_CMD_QUERY, 0, 0);
      this.hostBarrier = q >= 0 && (q & MEMBARRIER_CMD_GLOBAL) !== 0;
    }
    return this.hostBarrier;
  }
  /**
   * Platform.memoryBarrier: the host's MEMBARRIER_CMD_GLOBAL (an RCU grace
   * period: every host thread, of every guest, has passed a full barrier
   * when it returns). Synchronous: the kernel's thread waits it out.
   */
  memoryBarrier(): void {
    const r = host.membarrier(MEMBARRIER_CMD_GLOBAL, 0, 0);
    if (r < 0) throw new HostError('membarrier', -r);
  }
  /** Platform.hostVdsoClock */
  get hostVdsoClock(): number {
    const v = usableHostVdso();
    return v ? STUB_HOST_VDSO + v.clockGettime : 0;
  }

  allowedCpus(): number[] {
    return host.allowedCpus();
  }
  currentCpu(): number {
    return host.currentCpu();
  }
  /** Threads runnable on the whole host now, the kernel's own included (-1: unknown). */
  hostRunnable(): number {
    // a guest thread beside the kernel that its wake-up preempted on the way to sleep sits on the run queue,
    // counted, while /proc already says it sleeps (threadRunnable cannot tell): it gets the CPU first and
    // falls asleep (one context switch), so the count is the host's load, not the kernel's own hand-off
    host.schedYield();
    return host.runnableTasks();
  }
  threadRunnable(ctx: Context): boolean {
    return host.threadRunnable(ctx.tgid, ctx.tid);
  }
  kernelRunDelayNs(): number {
    return host.runDelayNs();
  }
  /** Platform.helpersCpuNs: this process's CPU time less the calling (kernel's) thread's. */
  helpersCpuNs(): number {
    const all = this.clockNumNs(CLOCK_PROCESS_CPUTIME_ID), mine = this.clockNumNs(CLOCK_THREAD_CPUTIME_ID);
    return all < 0 || mine < 0 ? -1 : all - mine;
  }
  /** A clock now as a double, ns (no BigInt: CPU clocks read on the scheduler's path); -1 if the host has none. */
  private clockNumNs(clock: number): number {
    const ts = this.ts;
    return host.clockGettime(clock, ts) < 0 ? -1 : Number(ts[0]!) * 1e9 + Number(ts[1]!);
  }
  /** A host clock now, ns; null if the host has none. */
  clockNs(clock: number): bigint | null {
    const ts = this.ts;
    if (host.clockGettime(clock, ts) < 0) return null;
    return ts[0]! * 1000000000n + ts[1]!;
  }
  /** Platform.clockDiscipline */
  clockDiscipline(tx: Uint8Array, ssRead: boolean): number {
    return host.adjtimexRead(tx, ssRead ? ADJ_OFFSET_SS_READ : 0);
  }
  /** CPU time one guest host thread has used, ns (0 if gone). */
  threadCpuNs(ctx: Context): number {
    return Math.max(0, host.threadSchedNs(ctx.tgid, ctx.tid));
  }
  /** CPU time a guest's whole host process has used, ns (0 if gone). */
  processCpuNs(ctx: Context): number {
    return Math.max(0, this.clockNumNs(host.processCpuClock(ctx.tgid)));
  }
}
