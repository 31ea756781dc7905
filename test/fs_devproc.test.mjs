// devfs (/dev) and procfs (/proc) through the VFS, with a fake kernel side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, closeSync } from 'node:fs';
import {
  E, S_IFMT, S_IFCHR, S_IFLNK, S_IFDIR, O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_DIRECTORY, scratchDir, makeVfs,
  caller, readAll,
} from './fs_lib.mjs';
import { BufferFile } from '../dist/fs/node.js';
import { NullFile } from '../dist/fs/devfs.js';

let sd, vfs, fds, fake;
const c = caller();
before(() => {
  sd = scratchDir('devproc');
  // the process's fd 5 is some open file; fd 7 is a VFS file (a directory)
  fake = new BufferFile(O_RDONLY, 'pipe:[99]', Buffer.from('fake'), {
    dev: 0, ino: 99, mode: 0o010600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0,
    atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n,
  });
  fds = new Map([[5, fake]]);
  vfs = makeVfs(sd.dir, { fds });
  fds.set(7, vfs.open(c, null, '/dev', O_RDONLY | O_DIRECTORY, 0));
});
after(() => sd.cleanup());

const open = (p, fl = O_RDWR) => vfs.open(c, null, p, fl, 0);

test('char devices: modes and device numbers as Linux', () => {
  const want = { null: [1, 3], zero: [1, 5], full: [1, 7], random: [1, 8], urandom: [1, 9], tty: [5, 0] };
  for (const [name, [maj, min]] of Object.entries(want)) {
    const s = vfs.stat(c, null, `/dev/${name}`, true);
    assert.equal(s.mode, S_IFCHR | 0o666, name);
    assert.equal(s.rdev, (maj << 8) | min, name);
  }
  assert.equal(vfs.stat(c, null, '/dev/tty', true).gid, 5);
  assert.equal(vfs.stat(c, null, '/dev', true).mode & S_IFMT, S_IFDIR);
});

test('/dev/null, /dev/zero, /dev/full, /dev/urandom', () => {
  const n = open('/dev/null');
  assert.ok(n instanceof NullFile);
  assert.equal(n.read(Buffer.alloc(10), null), 0);
  assert.equal(n.write(Buffer.alloc(1 << 20), null), 1 << 20);
  assert.equal(n.seek(100, 0), 0);
  const z = open('/dev/zero');
  const b = Buffer.alloc(100, 7);
  assert.equal(z.read(b, null), 100);
  assert.ok(b.every((x) => x === 0));
  const f = open('/dev/full');
  assert.equal(f.write(Buffer.alloc(1), null), -E.ENOSPC);
  assert.equal(f.read(Buffer.alloc(4, 1), null), 4);
  const u = open('/dev/urandom', O_RDONLY);
  const r1 = Buffer.alloc(64), r2 = Buffer.alloc(64);
  u.read(r1, null);
  u.read(r2, null);
  assert.ok(!r1.equals(r2) && !r1.equals(Buffer.alloc(64)));
  assert.equal(vfs.open(c, null, '/dev/newfile', O_WRONLY | O_CREAT, 0o644), -E.EACCES);
});

test('/dev/tty is the controlling terminal, or ENXIO without one', () => {
  let hostHasTty = true;
  try {
    closeSync(openSync('/dev/tty', 'r+'));
  } catch {
    hostHasTty = false;
  }
  const t = open('/dev/tty');
  if (hostHasTty) assert.equal(typeof t, 'object');
  else assert.equal(t, -E.ENXIO);
});

test('/dev/std* and /dev/fd go through /proc/self/fd', () => {
  assert.equal(vfs.readlink(c, null, '/dev/stdin'), '/proc/self/fd/0');
  assert.equal(vfs.readlink(c, null, '/dev/stderr'), '/proc/self/fd/2');
  assert.equal(vfs.stat(c, null, '/dev/fd', false).mode & S_IFMT, S_IFLNK);
  assert.equal(vfs.resolve(c, null, '/dev/fd/', true).path, '/proc/42/fd');
});

test('/proc/self, /proc/<pid>/{exe,cwd,cmdline,comm,maps,mounts}', () => {
  assert.equal(vfs.readlink(c, null, '/proc/self'), '42');
  assert.equal(vfs.resolve(c, null, '/proc/self', true).path, '/proc/42');
  assert.equal(vfs.readlink(c, null, '/proc/self/exe'), '/bin/prog');
  assert.equal(vfs.readlink(c, null, '/proc/1/cwd'), '/');
  assert.equal(readAll(open('/proc/self/cmdline', O_RDONLY)), 'prog\0-x\0');
  assert.equal(readAll(open('/proc/42/comm', O_RDONLY)), 'prog\n');
  assert.match(readAll(open('/proc/self/maps', O_RDONLY)), /r-xp .* \/bin\/prog/);
  const mounts = readAll(open('/proc/mounts', O_RDONLY));
  assert.match(mounts, /^hostfs \/ hostfs ro,/m);
  assert.match(mounts, /^tmpfs \/tmp tmpfs rw,/m);
  assert.match(mounts, /^proc \/proc proc rw,/m);
  assert.equal(readAll(open('/proc/self/mounts', O_RDONLY)), mounts);
  assert.equal(vfs.stat(c, null, '/proc/99', true), -E.ENOENT);
  assert.equal(vfs.stat(c, null, '/proc/042', true), -E.ENOENT);
  // (a generated file refuses writers; comm takes its own process's: comm_write)
  assert.equal(open('/proc/self/cmdline', O_WRONLY), -E.EACCES);
  assert.equal(typeof open('/proc/self/comm', O_WRONLY), 'object');
  const root = open('/proc', O_RDONLY | O_DIRECTORY).readdir().map((e) => e.name);
  for (const n of ['self', '1', '42', 'cpuinfo', 'meminfo', 'mounts']) assert.ok(root.includes(n), n);
  assert.equal(vfs.stat(c, null, '/proc/self/cmdline', true).size, 0, 'generated files report size 0');
});

test('/proc/cpuinfo shows the guest CPUs, /proc/meminfo the guest memory', () => {
  const ci = readAll(open('/proc/cpuinfo', O_RDONLY));
  assert.deepEqual(ci.match(/^processor\s*: \d+$/gm).map((l) => l.split(':')[1].trim()), ['0', '1', '2']);
  const mi = readAll(open('/proc/meminfo', O_RDONLY));
  assert.match(mi, /^MemTotal:\s+65536 kB$/m);
  assert.match(mi, /^MemFree:\s+1024 kB$/m);
});

test('/proc/<pid>/fd: links named after the files, magic when followed', () => {
  const names = open('/proc/self/fd', O_RDONLY | O_DIRECTORY).readdir().map((e) => e.name);
  assert.deepEqual(names, ['.', '..', '5', '7']);
  assert.equal(vfs.readlink(c, null, '/proc/self/fd/5'), 'pipe:[99]');
  assert.equal(vfs.readlink(c, null, '/proc/self/fd/7'), '/dev');
  assert.equal(vfs.stat(c, null, '/proc/self/fd/5', false).mode, S_IFLNK | 0o500, 'lr-x: open read-only');
  // following fd/5 gives the open file itself, though its "path" names nothing
  const again = open('/dev/fd/5', O_RDONLY);
  assert.equal(again, fake);
  assert.equal(readAll(again), 'fake');
  assert.equal(vfs.stat(c, null, '/proc/self/fd/5', true).ino, 99);
  // following fd/7 jumps to where that directory was opened
  assert.equal(vfs.resolve(c, null, '/proc/self/fd/7/null', true).path, '/dev/null');
  assert.equal(vfs.stat(c, null, '/proc/self/fd/9', true), -E.ENOENT);
  assert.equal(vfs.stat(c, null, '/proc/self/fd/5/x', true), -E.ENOTDIR);
});

test('/dev/pts is devpts: ptmx, no pty before one is opened, no host terminal the console is not on', () => {
  const d = open('/dev/pts', O_RDONLY | O_DIRECTORY);
  assert.deepEqual(d.readdir().map((e) => e.name), ['.', '..', 'ptmx']);
  assert.equal(vfs.stat(c, null, '/dev/pts/0', true), -E.ENOENT, 'no host pty is reachable by name alone');
});
