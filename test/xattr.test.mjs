// Extended attributes, differentially: umlts's tmpfs against the host's
// tmpfs (/dev/shm), and a writable hostfs (--mount) against the host's own
// directory; trusted.* and security.* of a hostfs stay in memory.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { buildGuest, runNative, runUmlts, assertNoLeftovers, makeScratch, rmScratch } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('xattrs on tmpfs: the same as the host tmpfs', () => {
  const g = buildGuest('xattr');
  const dn = fs.mkdtempSync('/dev/shm/umlts-xattr-');
  fs.chmodSync(dn, 0o755); // the guest's unprivileged child must reach the file
  try {
    const native = runNative([g, dn]);
    assert.equal(native.code, 0, native.describe());
    assert.match(native.stdout, /list: 46 \[security.s trusted.t user.a user.b user.empty\]\n/);
    const um = runUmlts([], [g, '/dev/shm']);
    assert.equal(um.stdout, native.stdout, um.describe());
  } finally {
    rmScratch(dn);
  }
});

test('xattrs on a writable hostfs: the same as the host directory, user.* on the host file', () => {
  const g = buildGuest('xattr');
  const dn = makeScratch('xan'), du = makeScratch('xau');
  fs.chmodSync(dn, 0o755);
  fs.chmodSync(du, 0o755);
  try {
    const native = runNative([g, dn]);
    assert.match(native.stdout, /nobody set trusted: EPERM\n/);
    const um = runUmlts(['--mount', `${du}:/data`], [g, '/data']);
    assert.equal(um.stdout, native.stdout, um.describe());
    // user.* reached the host; trusted.* did not
    fs.writeFileSync(`${du}/probe`, '');
    const probe = buildGuest('xattr_probe');
    const r = runUmlts(['--mount', `${du}:/data`], [probe, '/data/probe']);
    assert.equal(r.code, 0, r.describe());
    const host = runNative([probe, `${du}/probe`, 'read']);
    assert.equal(host.stdout, 'user.guest=from-guest trusted.guest=errno61\n', host.describe());
  } finally {
    rmScratch(dn);
    rmScratch(du);
  }
});
