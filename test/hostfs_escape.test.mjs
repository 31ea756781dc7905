// No way out of a --rw root (issue 4): `..`, symlinks, and a host process
// swapping a directory for a symlink to the host's /etc while the guest
// opens, creates, chmods and stats through it. hostfs resolves every host
// path with openat2(RESOLVE_IN_ROOT) (or an O_NOFOLLOW walk without it).
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGuest, runUmlts, assertNoLeftovers } from './lib.mjs';
import { HostFs } from '../dist/fs/hostfs.js';

let root;
const passwdBefore = fs.readFileSync('/etc/passwd', 'utf8');
const modeBefore = fs.statSync('/etc/passwd').mode;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'umlts-escape-'));
  fs.mkdirSync(path.join(root, 'etc'));
  fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'inside the root\n');
  fs.mkdirSync(path.join(root, 'flip', 'sub', 'deeper'), { recursive: true });
  fs.writeFileSync(path.join(root, 'flip', 'passwd'), 'the directory\n');
  fs.symlinkSync('/etc', path.join(root, 'alt'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => assertNoLeftovers());

function hostUntouched() {
  assert.equal(fs.readFileSync('/etc/passwd', 'utf8'), passwdBefore, 'host /etc/passwd changed');
  assert.equal(fs.statSync('/etc/passwd').mode, modeBefore, 'host /etc/passwd mode changed');
  for (const n of ['umlts-race-created', 'umlts-race-dir']) assert.ok(!fs.existsSync(`/etc/${n}`), `/etc/${n} created on the host`);
}

test('a host process flipping a directory and a symlink to /etc: the guest never gets out', async () => {
  const g = buildGuest('fh_race');
  const flipper = buildGuest('fh_flipper');
  fs.copyFileSync(g, path.join(root, 'fh_race'));
  fs.chmodSync(path.join(root, 'fh_race'), 0o755);
  const child = spawn(flipper, [root, '6000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let flips = '';
  child.stdout.on('data', (d) => { flips += d; });
  const done = new Promise((res) => child.on('exit', res));
  try {
    // runUmlts is synchronous: the flipper runs meanwhile in its own process
    const r = runUmlts(['--root', root, '--rw', '--cwd', '/'], ['/fh_race', '3000'], { timeout: 60_000 });
    assert.equal(r.code, 0, r.describe());
    assert.match(r.stdout, /^escapes 0$/m);
  } finally {
    await done;
  }
  assert.match(flips, /^[1-9]\d* flips$/m, 'the flipper ran');
  hostUntouched();
});

test('hostfs itself: a symlink swapped into a checked path stays inside (openat2 and the O_NOFOLLOW walk)', () => {
  for (const noOpenat2 of [false, true]) {
    const hfs = new HostFs({ rootDir: root, rw: true, noOpenat2 });
    const flip = hfs.root.lookup('flip');
    assert.equal(flip.isDir, true);
    // the host swaps flip for the symlink to /etc after the guest's walk checked it
    fs.renameSync(path.join(root, 'flip'), path.join(root, 'flip.dir'));
    fs.symlinkSync('/etc', path.join(root, 'flip'));
    try {
      const f = flip.lookup('passwd');
      if (typeof f !== 'number') {
        const file = f.open(0, '/flip/passwd');
        const b = Buffer.alloc(64);
        const n = file.read(b, 0);
        assert.equal(b.subarray(0, n).toString(), 'inside the root\n', `noOpenat2=${noOpenat2}`);
        file.put();
      }
      assert.equal(typeof flip.lookup('shadow'), 'number', 'the host /etc/shadow is not visible');
      const made = flip.create('umlts-race-created', 0o644, { fsuid: 0, fsgid: 0, groups: [], capEffective: 2 ** 41 - 1 }, 1, '/flip/x');
      if (typeof made !== 'number') made.put();
      assert.equal(flip.mkdir('umlts-race-dir', 0o755, { fsuid: 0, fsgid: 0, groups: [], capEffective: 2 ** 41 - 1 }) <= 0, true);
      const pw = flip.lookup('passwd');
      if (typeof pw !== 'number') pw.setattr({ mode: 0o600 });
      hostUntouched();
    } finally {
      fs.rmSync(path.join(root, 'flip'));
      fs.renameSync(path.join(root, 'flip.dir'), path.join(root, 'flip'));
      for (const n of ['umlts-race-created', 'umlts-race-dir']) fs.rmSync(path.join(root, 'etc', n), { recursive: true, force: true });
      fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'inside the root\n');
    }
  }
});
