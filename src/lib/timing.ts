/**
 * Start-up and exit timing, for profiling only: with UMLTS_TIMING set, each
 * mark writes one line to fd 2 — the milliseconds since the process started
 * (process.uptime() counts from the same instant in the worker and on the
 * caller's thread, so their lines interleave on one clock), the CPU time
 * umlts's own process has used so far (every thread, no guest), its
 * minor page faults so far (a new page costs 0.1 µs on one host and 11 µs
 * on a paravirtualized one, where faults are a third of a start) and the
 * phase: `cli:` and `sandbox:` on the caller's thread, `load:` and
 * `kernel:` where the kernel runs (the worker, or the command's own
 * thread). Unset, a mark is one test of a constant. On a loaded host the
 * CPU column is the steadier one.
 *
 * Ownership: `on` is immutable (read once per thread at load).
 */
import { writeSync } from 'node:fs';

const on = !!process.env.UMLTS_TIMING;

export function mark(phase: string): void {
  if (!on) return;
  const ru = process.resourceUsage();
  const ms = (n: number): string => n.toFixed(1).padStart(7);
  writeSync(2, `umlts-timing: ${ms(process.uptime() * 1000)} ms, cpu ${ms((ru.userCPUTime + ru.systemCPUTime) / 1000)} ms, faults ${String(ru.minorPageFault).padStart(5)}  ${phase}\n`);
}
