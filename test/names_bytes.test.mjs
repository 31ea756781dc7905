// File names, symlink targets, the cwd, argv and the environment that are
// not valid UTF-8 round-trip byte for byte (PEP 383), on tmpfs and on a
// writable hostfs, differentially.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, runNative, runUmlts, assertNoLeftovers, makeScratch, rmScratch } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('names with bytes 0xff, 0xfe, lone continuations and surrogates: hostfs and tmpfs as the host', () => {
  const g = buildGuest('names_bytes');
  const dn = makeScratch('nbn'), du = makeScratch('nbu');
  try {
    const native = runNative([g, dn]);
    assert.equal(native.code, 0, native.describe());
    assert.match(native.stdout, /list after: 6380 64fe 6cff 78e282 c0af c328 c3a9 eda080 f09f9880 f4908080 fe\n/);
    assert.match(native.stdout, /argv: fffe 6f6bc3a9 eda080\nenv: 76ff80\n$/);
    const hostfs = runUmlts(['--mount', `${du}:/data`], [g, '/data']);
    assert.equal(hostfs.stdout, native.stdout, hostfs.describe());
    const tmpfs = runUmlts([], [g, '/tmp']);
    assert.equal(tmpfs.stdout, native.stdout, tmpfs.describe());
  } finally {
    rmScratch(dn);
    rmScratch(du);
  }
});
