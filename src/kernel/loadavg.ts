/**
 * The load averages (kernel/sched/loadavg.c): every LOAD_FREQ the number of
 * tasks running or ready to run goes into three exponentially decaying
 * averages (1, 5 and 15 minutes), in Linux's fixed point and with its
 * rounding, for /proc/loadavg and sysinfo(2). umlts's tasks never wait
 * uninterruptibly on a disk, so only runnable ones count.
 *
 * Ownership: one per kernel; sample() runs from the kernel's timer on the
 * JS thread, readers read between.
 */

/** fixed-point bits of avenrun (FSHIFT) and one in it (FIXED_1) */
export const FSHIFT = 11, FIXED_1 = 1 << FSHIFT;
/** LOAD_FREQ: 5 s and a tick (5 * HZ + 1 at HZ=250), ns */
export const LOAD_FREQ_NS = 5_004_000_000n;
/** EXP_1, EXP_5, EXP_15: 1 / exp(5 s / 1, 5, 15 min) in fixed point */
const EXP = [1884, 2014, 2037] as const;

export class LoadAvg {
  /** avenrun[]: fixed point; guarded by the JS thread (sample) */
  readonly avenrun = [0, 0, 0];

  /** calc_global_load: `active` tasks now. */
  sample(active: number): void {
    const a = active * FIXED_1;
    for (let i = 0; i < 3; i++) {
      const load = this.avenrun[i]!, exp = EXP[i]!;
      // calc_load: rounds up while the load grows
      let n = load * exp + a * (FIXED_1 - exp);
      if (a >= load) n += FIXED_1 - 1;
      this.avenrun[i] = Math.floor(n / FIXED_1);
    }
  }

  /** /proc/loadavg's three figures (get_avenrun with FIXED_1/200: rounded to hundredths, LOAD_INT.LOAD_FRAC). */
  averages(): [number, number, number] {
    const f = (x: number): number => {
      const v = x + FIXED_1 / 200;
      return (v >> FSHIFT) + (((v & (FIXED_1 - 1)) * 100) >> FSHIFT) / 100;
    };
    return [f(this.avenrun[0]!), f(this.avenrun[1]!), f(this.avenrun[2]!)];
  }
}
