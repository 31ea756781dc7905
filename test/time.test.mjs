// Differential time tests: clocks are monotonic, sleeps sleep, wall clocks
// agree, errors are Linux's.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers, runUmlts } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('clock_gettime, nanosleep, clock_nanosleep, gettimeofday, time, clock_getres', () => {
  const g = buildGuest('time');
  const { native } = assertSameAsNative([g]);
  assert.doesNotMatch(native.stdout, /FAIL/, 'the time guest fails natively');
});

test('umlts reports the same wall-clock time as the host', () => {
  const before = Math.floor(Date.now() / 1000);
  const r = runUmlts([], ['/bin/busybox', 'date', '+%s']);
  const after = Math.ceil(Date.now() / 1000);
  assert.equal(r.code, 0, r.describe());
  const t = Number(r.stdout.trim());
  assert.ok(t >= before - 1 && t <= after + 1, `guest time ${t} outside [${before}, ${after}]\n${r.describe()}`);
});
