// busybox tar and cp -a round-trip a tree of 2000 files under a --mount
// (issue 4); the host's diff -r must find the copies equal to the original.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runUmlts, assertNoLeftovers, makeScratch, rmScratch, BUSYBOX } from './lib.mjs';

let d;
/** A tree of n files in nested directories, with symlinks, modes and old mtimes. */
export function makeTree(dir, n) {
  for (let i = 0; i < n; i++) {
    const sub = path.join(dir, `d${i % 10}`, `e${i % 7}`);
    fs.mkdirSync(sub, { recursive: true });
    const p = path.join(sub, `file${i}.txt`);
    fs.writeFileSync(p, `file ${i}\n`.repeat(1 + (i % 50)));
    if (i % 5 === 0) fs.chmodSync(p, 0o600);
    if (i % 7 === 0) fs.utimesSync(p, 1_000_000 + i, 1_000_000 + i);
    if (i % 100 === 0) fs.symlinkSync(`file${i}.txt`, path.join(sub, `link${i}`));
  }
}
before(() => {
  d = makeScratch('tree');
  makeTree(path.join(d, 'src'), 2000);
});
after(() => rmScratch(d));
afterEach(() => assertNoLeftovers());

function diffR(a, b) {
  const r = spawnSync('diff', ['-r', '--no-dereference', a, b], { encoding: 'utf8' });
  assert.equal(r.status, 0, `diff -r ${a} ${b}:\n${r.stdout.slice(0, 2000)}${r.stderr}`);
}

test('busybox tar c + tar x of 2000 files under --mount: diff -r equal', () => {
  let r = runUmlts(['--mount', `${d}:/work`, '--cwd', '/work'], [BUSYBOX, 'tar', 'cf', '/work/t.tar', 'src'], { timeout: 120_000 });
  assert.equal(r.code, 0, r.describe());
  fs.mkdirSync(path.join(d, 'x'));
  r = runUmlts(['--mount', `${d}:/work`, '--cwd', '/work/x'], [BUSYBOX, 'tar', 'xf', '/work/t.tar'], { timeout: 120_000 });
  assert.equal(r.code, 0, r.describe());
  diffR(path.join(d, 'src'), path.join(d, 'x', 'src'));
  const st = fs.statSync(path.join(d, 'x', 'src', 'd0', 'e0', 'file0.txt'));
  assert.equal(st.mode & 0o777, 0o600, 'modes restored');
  assert.equal(Math.floor(st.mtimeMs / 1000), 1_000_000, 'mtimes restored');
});

test('busybox cp -a of 2000 files under --mount: diff -r equal, modes, mtimes and symlinks kept', () => {
  const r = runUmlts(['--mount', `${d}:/work`], [BUSYBOX, 'cp', '-a', '/work/src', '/work/cpy'], { timeout: 120_000 });
  assert.equal(r.code, 0, r.describe());
  diffR(path.join(d, 'src'), path.join(d, 'cpy'));
  const a = fs.statSync(path.join(d, 'src', 'd0', 'e0', 'file0.txt'));
  const b = fs.statSync(path.join(d, 'cpy', 'd0', 'e0', 'file0.txt'));
  assert.equal(b.mode, a.mode);
  assert.equal(b.mtimeMs, a.mtimeMs);
  assert.equal(fs.readlinkSync(path.join(d, 'cpy', 'd0', 'e0', 'link0')), 'file0.txt');
});
