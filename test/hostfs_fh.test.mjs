// The filehandle layer's guarantees, tested where they can fail: pinning
// (an operation that reopens a second handle at the budget must not lose its
// first), reclaim of everything at every operation, and the lock table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { E, O_RDONLY, O_RDWR, scratchDir, makeVfs, caller } from './fs_lib.mjs';
import { LockTable, F_RDLCK, F_WRLCK, F_UNLCK, LOCK_EOF, LOCK_SH, LOCK_EX, LOCK_UN } from '../dist/fs/locks.js';

let sd;
const c = caller();
before(() => {
  sd = scratchDir('fh');
});
after(() => sd.cleanup());

/** copy_file_range's core at a budget of 1: src and dst both need a host fd at once. */
function copyAtBudgetOne(pinning) {
  writeFileSync(join(sd.dir, 'src'), 'SOURCE-DATA');
  writeFileSync(join(sd.dir, 'dst'), 'destination');
  const vfs = makeVfs(sd.dir, { rw: true, hostFdBudget: 1 });
  vfs.handles.test.pinning = pinning;
  const src = vfs.open(c, null, '/src', O_RDONLY, 0);
  const dst = vfs.open(c, null, '/dst', O_RDWR, 0); // the budget of 1 reclaims src's fd
  const n = src.copyTo(dst, 0, 0, 11, new Uint8Array(64));
  src.put();
  dst.put();
  return { n, dst: readFileSync(join(sd.dir, 'dst'), 'utf8'), src: readFileSync(join(sd.dir, 'src'), 'utf8') };
}

test('pinning matters: without it, reopening the second handle reclaims the first mid-copy and the copy reads the wrong file', () => {
  const bad = copyAtBudgetOne(false);
  // the destination's reopen closed the source's fd and got its number back: the copy read the destination itself
  assert.notEqual(bad.dst, 'SOURCE-DATA', 'unpinned copy should have gone wrong');
  const good = copyAtBudgetOne(true);
  assert.equal(good.n, 11);
  assert.equal(good.dst, 'SOURCE-DATA', 'pinned copy is right');
  assert.equal(good.src, 'SOURCE-DATA');
});

test('reclaimInOps: every other handle reclaimed before each operation, data intact and in order', () => {
  const vfs = makeVfs(sd.dir, { rw: true, hostFdBudget: 4 });
  vfs.handles.test.reclaimInOps = true;
  const files = [];
  for (let i = 0; i < 12; i++) files.push(vfs.open(c, null, `/r${i}`, O_RDWR | 0o100, 0o644));
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 12; i++) assert.equal(files[i].write(Buffer.from(`${i}:${round};`), null), `${i}:${round};`.length);
  }
  for (let i = 0; i < 12; i++) {
    const b = Buffer.alloc(100);
    const n = files[i].read(b, 0);
    assert.equal(b.subarray(0, n).toString(), [0, 1, 2, 3, 4].map((r) => `${i}:${r};`).join(''));
    files[i].put();
  }
  const s = vfs.handles.stats();
  assert.ok(s.reopened >= 12 * 5, JSON.stringify(s));
  assert.equal(s.handles, 0);
  assert.equal(s.pinned, 0);
});

test('a handle reclaimed before the guest unlinks its file is reopened first and kept', () => {
  const vfs = makeVfs(sd.dir, { rw: true, hostFdBudget: 1 });
  const a = vfs.open(c, null, '/u1', O_RDWR | 0o100, 0o644);
  a.write(Buffer.from('keep me'), null);
  const b = vfs.open(c, null, '/u2', O_RDWR | 0o100, 0o644); // reclaims a
  assert.equal(vfs.unlink(c, null, '/u1'), 0);
  for (let i = 0; i < 3; i++) b.write(Buffer.from('x'), null);
  const buf = Buffer.alloc(16);
  assert.equal(buf.subarray(0, a.read(buf, 0)).toString(), 'keep me');
  assert.equal(a.stat().nlink, 0);
  a.put();
  b.put();
});

const owner = (pid) => ({ owner: { pid }, ofd: false, pid, alive: () => true });

test('record locks: conflicts between owners, merging, splitting, unlock wakes', () => {
  const t = new LockTable();
  const A = owner(1), B = owner(2);
  // a file's lock key is its "dev:ino" (lockKey)
  const K = '1:2', fileK = { stat: () => ({ dev: 1, ino: 2 }) };
  assert.equal(t.set(K, { ...A, type: F_WRLCK, start: 0n, end: 9n }, false), 0);
  assert.equal(t.set(K, { ...A, type: F_WRLCK, start: 10n, end: 19n }, false), 0); // merges
  assert.equal(t.count(), 1);
  assert.equal(t.set(K, { ...B, type: F_RDLCK, start: 5n, end: 5n }, false), -E.EAGAIN);
  assert.deepEqual(t.test(K, { ...B, type: F_RDLCK, start: 15n, end: 15n }) && [t.test(K, { ...B, type: F_RDLCK, start: 15n, end: 15n }).start, t.test(K, { ...B, type: F_RDLCK, start: 15n, end: 15n }).end], [0n, 19n]);
  assert.equal(t.set(K, { ...A, type: F_UNLCK, start: 5n, end: 14n }, false), 0); // splits into [0,4] [15,19]
  assert.equal(t.count(), 2);
  let woke = 0;
  t.waitq(K).add(() => woke++);
  assert.equal(t.set(K, { ...B, type: F_WRLCK, start: 5n, end: 14n }, false), 0);
  assert.equal(t.set(K, { ...A, type: F_RDLCK, start: 0n, end: LOCK_EOF }, false), -E.EAGAIN);
  t.closeFile(B.owner, fileK); // a close of any fd of the file drops the owner's locks on it
  assert.ok(woke > 0, 'a release wakes the waiters');
  assert.equal(t.set(K, { ...A, type: F_RDLCK, start: 0n, end: LOCK_EOF }, false), 0); // downgrade + merge
  assert.equal(t.count(), 1);
  assert.equal(t.set(K, { ...B, type: F_RDLCK, start: 3n, end: 3n }, false), 0, 'read locks share');
  // an exited owner's locks vanish
  let alive = true;
  const C = { owner: { pid: 3 }, ofd: false, pid: 3, alive: () => alive };
  t.releaseOwner(A.owner);
  t.releaseOwner(B.owner);
  assert.equal(t.set('j', { ...C, type: F_WRLCK, start: 0n, end: LOCK_EOF }, false), 0);
  assert.equal(t.set('j', { ...A, type: F_WRLCK, start: 0n, end: 0n }, false), -E.EAGAIN);
  alive = false;
  assert.equal(t.set('j', { ...A, type: F_WRLCK, start: 0n, end: 0n }, false), 0);
});

test('record locks: F_SETLKW deadlock between two owners is EDEADLK', () => {
  const t = new LockTable();
  const A = owner(1), B = owner(2);
  t.set('a', { ...A, type: F_WRLCK, start: 0n, end: 0n }, false);
  t.set('b', { ...B, type: F_WRLCK, start: 0n, end: 0n }, false);
  assert.equal(t.set('b', { ...A, type: F_WRLCK, start: 0n, end: 0n }, true), -E.EAGAIN); // A waits for B
  assert.equal(t.set('a', { ...B, type: F_WRLCK, start: 0n, end: 0n }, true), -35 /* EDEADLK */);
});

test('flock: shared and exclusive between files, conversion, release on last close', () => {
  const t = new LockTable();
  const f1 = {}, f2 = {};
  assert.equal(t.flock('k', f1, LOCK_SH), 0);
  assert.equal(t.flock('k', f2, LOCK_SH), 0);
  assert.equal(t.flock('k', f2, LOCK_EX), -E.EAGAIN);
  assert.equal(t.flock('k', f1, LOCK_UN), 0);
  assert.equal(t.flock('k', f2, LOCK_EX), 0);
  assert.equal(t.flock('k', f1, LOCK_SH), -E.EAGAIN);
  t.releaseFile(f2);
  assert.equal(t.flock('k', f1, LOCK_EX), 0);
});
