// Sandbox.spawn with host fds for stdio (a number, as child_process takes
// one): the guest reads and writes the caller's own fds, which the caller
// keeps; and `tty`, which needs stdio[0] to be such an fd. (The OCI
// runtime's exec uses both: test/oci*.test.mjs drive them on terminals.)
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BUSYBOX, LIB, assertNoLeftovers, trackUmltsPid, makeScratch, rmScratch } from './lib.mjs';

const { Sandbox, OptionError } = await import(LIB);

trackUmltsPid(process.pid);
afterEach(() => assertNoLeftovers());

test('stdio as host fds: the guest writes the caller\'s file and reads its input; the caller\'s fds stay open', async () => {
  const dir = makeScratch('spawnfd');
  const sb = new Sandbox();
  try {
    await sb.ready;
    fs.writeFileSync(path.join(dir, 'in'), 'from a host fd\n');
    const inFd = fs.openSync(path.join(dir, 'in'), 'r');
    const outFd = fs.openSync(path.join(dir, 'out'), 'w');
    const p = sb.spawn([BUSYBOX, 'sh', '-c', 'read line; echo "got: $line"; echo err >&2; exit 3'], { stdio: [inFd, outFd, outFd] });
    const st = await p.exited;
    assert.deepEqual(st, { exitCode: 3, signal: null });
    assert.equal(p.stdout, null);
    assert.equal(fs.readFileSync(path.join(dir, 'out'), 'utf8'), 'got: from a host fd\nerr\n');
    fs.writeSync(outFd, 'still ours\n'); // the caller's fd was shared, not taken
    fs.closeSync(inFd);
    fs.closeSync(outFd);
    assert.match(fs.readFileSync(path.join(dir, 'out'), 'utf8'), /still ours\n$/);
  } finally {
    await sb.close();
    rmScratch(dir);
  }
});

test('bad stdio fds and tty without a host fd are OptionErrors', async () => {
  const sb = new Sandbox();
  try {
    assert.throws(() => sb.spawn([BUSYBOX, 'true'], { stdio: [-1, 1, 2] }), OptionError);
    assert.throws(() => sb.spawn([BUSYBOX, 'true'], { stdio: [0.5, 1, 2] }), OptionError);
    assert.throws(() => sb.spawn([BUSYBOX, 'true'], { tty: true }), OptionError);
    assert.throws(() => sb.spawn([BUSYBOX, 'true'], { tty: 'yes' }), OptionError);
  } finally {
    await sb.close();
  }
});
