// The syscall fuzzer (test/guests/fuzz.c, scripts/fuzz.mjs), bounded: fixed
// seeds, a few thousand calls each, a read-only root and one writable
// scratch directory. For every seed: no kernel error (nor a contained
// internal error, nor a stub run that failed), no hang, no guest host
// process left, nothing written outside the scratch directory. Long runs:
// `npm run fuzz -- --seeds N --calls M`.
//
// Then what the fuzzer found, each the simplest way, against Linux.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers, runUmlts } from './lib.mjs';
import { fuzzOne, buildFuzzer } from '../scripts/fuzz.mjs';

afterEach(() => assertNoLeftovers());

const SEEDS = [1, 2, 3, 4, 5, 6];
const CALLS = 2500;

for (const seed of SEEDS) {
  test(`fuzz seed ${seed}, ${CALLS} calls: no kernel error, no hang, nothing left, nothing written outside /scratch`, () => {
    const res = fuzzOne({ seed, calls: CALLS, bin: buildFuzzer() });
    assert.deepEqual(res.problems, [], `seed ${seed}: ${res.summary}\n${res.stdout}\n--- umlts stderr (first 3000 chars) ---\n${res.stderr.slice(0, 3000)}`);
    // the run did what it says: the fork server made its calls and reported
    assert.match(res.summary, new RegExp(`^fuzz: seed ${seed} calls \\d+`), res.stdout);
    assert.ok(Number(/calls (\d+)/.exec(res.summary)[1]) >= CALLS, res.summary);
  });
}

test('what the fuzzer found: timers at or before the clock\'s zero (futex, clock_nanosleep), as Linux', () => {
  const bin = buildGuest('fuzz_found');
  const { umlts } = assertSameAsNative([bin]);
  assert.doesNotMatch(umlts.stderr, /kernel error|internal error/, umlts.describe());
});

test('what the fuzzer found: an orphan\'s clone exit signal does not kill init (reset to SIGCHLD when reparented, as Linux)', () => {
  const r = runUmlts([], [buildGuest('reparent_exit_signal')]);
  assert.equal(r.stdout, 'worker reaped: 1, status 0\norphan reaped: 1, exited 1 with 7\ninit lives\n', r.describe());
  assert.equal(r.code, 0, r.describe());
});

test('what the fuzzer\'s logs needed: --strace prints 64-bit arguments exactly (-1, clone flags)', () => {
  const r = runUmlts(['--strace'], [buildGuest('reparent_exit_signal')]);
  assert.match(r.stderr, /^setsockopt\(0xffffffffffffffff, 0xffffffffffffffff, 0\) += -1 EBADF/m, r.describe());
  assert.match(r.stderr, /^\[pid \d+\] clone\(0xa, /m, r.describe());
});
