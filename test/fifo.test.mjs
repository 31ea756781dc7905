// FIFOs and device nodes: mkfifo/mknod and the FIFO open rules on a host
// directory and on tmpfs, compared with the host kernel; device nodes outside
// /dev open umlts's devices by number, or ENXIO.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import { buildGuest, assertNoLeftovers, makeScratch, rmScratch, runUmlts, runNative, BUSYBOX } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('mkfifo, mknod and named pipes on hostfs and tmpfs: as native', () => {
  const g = buildGuest('fifo');
  const dn = makeScratch('fifon'), du = makeScratch('fifou');
  // searchable by the guest's unprivileged child, as the tmpfs run's /tmp/d is
  fs.chmodSync(dn, 0o755);
  fs.chmodSync(du, 0o755);
  try {
    const native = runNative([g, dn], { timeout: 60_000 });
    assert.equal(native.code, 0, native.describe());
    assert.match(native.stdout, /interrupted reader open: EINTR\nthen a non-blocking writer: ENXIO\n/);
    const um = runUmlts(['--rw'], [g, du], { timeout: 60_000 });
    assert.equal(um.stdout, native.stdout, um.describe());
    assert.equal(um.code, 0, um.describe());
    // tmpfs (/tmp) is mounted nodev, as on Linux distributions: a device node there opens with EACCES
    const tmp = runUmlts([], [BUSYBOX, 'sh', '-c', `mkdir /tmp/d && exec ${g} /tmp/d`], { timeout: 60_000 });
    assert.equal(tmp.stdout, native.stdout.replace('open whiteout: ENXIO', 'open whiteout: EACCES'), tmp.describe());
  } finally {
    rmScratch(dn);
    rmScratch(du);
  }
});

test('device nodes made by the host in a host directory: umlts devices by number, ENXIO for others', () => {
  const g = buildGuest('devnode');
  const d = makeScratch('dev');
  try {
    for (const [name, type, maj, min] of [['null', 'c', 1, 3], ['zero', 'c', 1, 5], ['none', 'c', 42, 0], ['blk', 'b', 42, 0]]) {
      const r = spawnSync('mknod', [path.join(d, name), type, String(maj), String(min)], { encoding: 'utf8' });
      assert.equal(r.status, 0, `mknod ${name}: ${r.stderr}`);
    }
    const native = runNative([g, d]);
    assert.match(native.stdout, /none: ENXIO\nblk: ENXIO\n/);
    const um = runUmlts([], [g, d]);
    assert.equal(um.stdout, native.stdout, um.describe());
  } finally {
    rmScratch(d);
  }
});

test('mknod of device nodes: root only, on tmpfs (nodev: opening gives EACCES); never in a host directory', () => {
  const d = makeScratch('devmk');
  try {
    const sh = [
      'mknod /tmp/null c 1 3 && echo tmpfs made',
      'stat -c "%F %t:%T %a" /tmp/null',
      'cat /tmp/null; echo "open: $?"',
      `mknod ${d}/null c 1 3; echo "hostfs: $?"`,
      `mkfifo ${d}/p && echo "hostfs fifo made"`,
      'su_out=$(setpriv --reuid 65534 mknod /tmp/n2 c 1 3 2>&1); echo "unprivileged: $?"',
    ].join('; ');
    const r = runUmlts(['--rw'], [BUSYBOX, 'sh', '-c', sh]);
    assert.match(r.stdout, /^tmpfs made\ncharacter special file 1:3 644\n/, r.describe());
    assert.match(r.stdout, /open: 1\nhostfs: 1\nhostfs fifo made\n/, r.describe());
    assert.match(r.stderr, /can't open '\/tmp\/null': Permission denied/, r.describe());
    assert.match(r.stderr, /mknod: .*\/null: Operation not permitted/, r.describe());
  } finally {
    rmScratch(d);
  }
});
