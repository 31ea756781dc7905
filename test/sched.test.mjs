// Scheduling attributes: nice values, policies, real-time priorities and
// CPU affinity, compared with the host kernel; the vCPU scheduler obeys
// affinity masks.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers, hostCpus } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('getpriority/setpriority, sched_setscheduler and friends, sched_setaffinity', () => {
  const g = buildGuest('sched', ['-lpthread']);
  const { native } = assertSameAsNative([g], ['--cpus', String(hostCpus())], { timeout: 60_000 });
  assert.match(native.stdout, /child: setpriority 5 \(lower\): EACCES/);
  assert.match(native.stdout, /getcpu outside the mask: 0 times/);
  assert.match(native.stdout, /child of reset-on-fork: policy 0/);
});
