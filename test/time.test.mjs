// Differential time tests: clocks are monotonic, sleeps sleep, wall clocks
// agree, errors are Linux's.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers, runUmlts, hostCpus } from './lib.mjs';

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

test('CPU-time clocks of threads and processes; clock_settime and settimeofday errors', () => {
  const g = buildGuest('clocks', ['-lpthread']);
  const { native } = assertSameAsNative([g], ['--cpus', String(hostCpus())], { timeout: 60_000 });
  assert.match(native.stdout, /spinner >= 50 ms: yes, sleeper < 10 ms: yes/);
  assert.match(native.stdout, /unprivileged settime REALTIME: EPERM/);
});

test("the guest's root sets the guest's wall clock, not the host's", () => {
  const r = runUmlts([], ['/bin/busybox', 'sh', '-c', 'date -s @$(( $(date +%s) + 86400 )) >/dev/null && date +%s']);
  const host = Math.floor(Date.now() / 1000);
  assert.equal(r.code, 0, r.describe());
  const guest = Number(r.stdout.trim());
  assert.ok(Math.abs(guest - host - 86400) < 60, `guest clock ${guest}, host ${host}\n${r.describe()}`);
  const unpriv = runUmlts(['--user', '65534'], ['/bin/busybox', 'date', '-s', '@1000000000']);
  assert.match(unpriv.stderr, /can't set date: Operation not permitted/, unpriv.describe());
  assert.ok(Math.abs(Math.floor(Date.now() / 1000) - host) < 60, 'the host clock moved');
});
