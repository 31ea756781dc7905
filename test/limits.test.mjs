// Limits like any process: the guest inherits umlts's resource limits (a
// program that opens 3000 files without raising RLIMIT_NOFILE works where
// it works natively), and /sys/devices/system/cpu follows the vCPUs.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { buildGuest, assertNoLeftovers, makeScratch, rmScratch, runUmlts, runNative, BUSYBOX } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('a program opening 3000 files without setrlimit: as native', () => {
  const g = buildGuest('many_files');
  const dn = makeScratch('mfn'), du = makeScratch('mfu');
  try {
    const native = runNative([g, dn]);
    assert.equal(native.code, 0, native.describe());
    assert.match(native.stdout, /^opened 3000\n/m, 'the host does not allow 3000 files: raise the shell\'s limit to run this test');
    const um = runUmlts(['--rw'], [g, du]);
    assert.equal(um.stdout, native.stdout, um.describe());
    assert.equal(um.code, 0, um.describe());
  } finally {
    rmScratch(dn);
    rmScratch(du);
  }
});

test('every resource limit is inherited from umlts', () => {
  // busybox's ulimit -a: the soft limits, by name
  const native = runNative([BUSYBOX, 'sh', '-c', 'ulimit -a; ulimit -H -a']);
  const um = runUmlts([], [BUSYBOX, 'sh', '-c', 'ulimit -a; ulimit -H -a']);
  assert.equal(um.code, 0, um.describe());
  assert.equal(um.stdout, native.stdout, um.describe());
});

test('/sys/devices/system/cpu follows --cpus', () => {
  for (const n of [1, 3]) {
    const r = runUmlts(['--cpus', String(n)], [BUSYBOX, 'sh', '-c',
      'cd /sys/devices/system/cpu && cat online possible present && ls -d cpu[0-9]* && cat cpu0/topology/core_siblings_list && nproc --all']);
    assert.equal(r.code, 0, r.describe());
    const all = n === 1 ? '0' : `0-${n - 1}`;
    const cpus = Array.from({ length: n }, (_v, i) => `cpu${i}`).join('\n');
    assert.equal(r.stdout, `${all}\n${all}\n${all}\n${cpus}\n${all}\n${n}\n`, r.describe());
  }
  // what the host shows of the rest of its sysfs is still there
  const host = fs.readdirSync('/sys/devices/system').sort();
  const r = runUmlts(['--cpus', '1'], [BUSYBOX, 'ls', '/sys/devices/system']);
  assert.deepEqual(r.stdout.trim().split(/\s+/).sort(), host, r.describe());
});
