// hostfs and the console, on real host files: struct stat parsing, the
// filehandle budget (LRU reclaim, transparent reopen, sticky unlinked files,
// ESTALE), getdents64 listings, mmap fill; the console over a FIFO.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  writeFileSync, readFileSync, mkdirSync, lstatSync, readdirSync, renameSync, openSync, closeSync, writeSync,
  readSync, symlinkSync, linkSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  E, S_IFMT, S_IFREG, S_IFIFO, O_RDONLY, O_RDWR, O_WRONLY, O_CREAT, O_DIRECTORY, scratchDir, makeVfs, caller,
  readAll, fakeWatch,
} from './fs_lib.mjs';
import { HostFs, parseStat } from '../dist/fs/hostfs.js';
import { ConsoleFile, Terminal } from '../dist/fs/tty/console.js';
import * as host from '../dist/host/libc.js';

let sd;
const c = caller();
before(() => {
  sd = scratchDir('hostfs');
  for (let i = 0; i < 20; i++) writeFileSync(join(sd.dir, `f${i}`), `content of file ${i}\n`);
  mkdirSync(join(sd.dir, 'sub'));
  symlinkSync('f1', join(sd.dir, 'link'));
});
after(() => sd.cleanup());

test('parseStat reads struct stat as Node sees it', () => {
  const p = join(sd.dir, 'f3');
  const b = new Uint8Array(144);
  assert.equal(host.fstatat(host.AT_FDCWD, p, b, 0), 0);
  const s = parseStat(b);
  const n = lstatSync(p, { bigint: true });
  assert.equal(s.ino, Number(n.ino));
  assert.equal(s.dev, Number(n.dev));
  assert.equal(s.mode, Number(n.mode));
  assert.equal(s.size, Number(n.size));
  assert.equal(s.nlink, Number(n.nlink));
  assert.equal(s.uid, Number(n.uid));
  assert.equal(s.blocks, Number(n.blocks));
  assert.equal(s.mtimeNs, n.mtimeNs);
  assert.equal(s.ctimeNs, n.ctimeNs);
});

test('lookups, listing and symlinks never ask the host to follow', () => {
  const fs = new HostFs({ rootDir: sd.dir, rw: false });
  const l = fs.root.lookup('link');
  assert.equal(l.isLink, true, 'lstat, not stat');
  assert.equal(l.readlink(), 'f1');
  assert.equal(l.open(O_RDONLY, '/link'), -E.ENXIO, 'a symlink node is never opened by the host');
  const names = fs.root.readdir().map((e) => e.name).sort();
  assert.deepEqual(names, readdirSync(sd.dir).sort());
  const sub = fs.root.readdir().find((e) => e.name === 'sub');
  assert.equal(sub.type, 4);
  assert.equal(sub.ino, lstatSync(join(sd.dir, 'sub')).ino);
  assert.equal(fs.root.lookup('nope'), -E.ENOENT);
  assert.equal(fs.root.lookup('f1').lookup('x'), -E.ENOTDIR);
});

test('the fd budget: LRU handles are closed and reopened transparently', () => {
  const vfs = makeVfs(sd.dir, { hostFdBudget: 4 });
  const hc = vfs.hostfs.handles;
  const files = [];
  for (let i = 0; i < 20; i++) files.push(vfs.open(c, null, `/f${i}`, O_RDONLY, 0));
  assert.ok(hc.liveCount <= 4, `live ${hc.liveCount}`);
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 20; i++) {
      const b = Buffer.alloc(64);
      const n = files[i].read(b, 0);
      assert.equal(b.subarray(0, n).toString(), `content of file ${i}\n`);
      assert.ok(hc.liveCount <= 4);
    }
  }
  assert.ok(hc.reopens >= 20, `reopens ${hc.reopens}`);
  assert.equal(files[7].stat().ino, lstatSync(join(sd.dir, 'f7')).ino);
  for (const f of files) f.put();
  assert.equal(hc.liveCount, 0, 'every host fd closed with its file');
});

test('a file unlinked or renamed while open is never lost to reclaim', () => {
  const sd2 = scratchDir('hostfs-rw');
  try {
    for (let i = 0; i < 8; i++) writeFileSync(join(sd2.dir, `g${i}`), `g${i}`);
    // a second name keeps g0's nlink above 0 after the guest unlinks g0: only
    // the handle layer's own record says the path no longer names it
    linkSync(join(sd2.dir, 'g0'), join(sd2.dir, 'g0.other'));
    const vfs = makeVfs(sd2.dir, { rw: true, hostFdBudget: 2 });
    const doomed = vfs.open(c, null, '/g0', O_RDONLY, 0);
    const moved = vfs.open(c, null, '/g1', O_RDONLY, 0);
    assert.equal(vfs.unlink(c, null, '/g0'), 0);
    assert.equal(vfs.rename(c, null, '/g1', null, '/renamed', 0), 0);
    // churn through other files so both would be reclaimed if they could be
    for (let k = 0; k < 3; k++) {
      for (let i = 2; i < 8; i++) {
        const f = vfs.open(c, null, `/g${i}`, O_RDONLY, 0);
        assert.equal(readAll(f), `g${i}`);
        f.put();
      }
      const b = Buffer.alloc(8);
      assert.equal(b.subarray(0, doomed.read(b, 0)).toString(), 'g0', 'unlinked: kept open');
      assert.equal(b.subarray(0, moved.read(b, 0)).toString(), 'g1', 'renamed: reopened by its new name');
    }
    doomed.put();
    moved.put();
  } finally {
    sd2.cleanup();
  }
});

test('a reopen that finds a different file fails with ESTALE', () => {
  const vfs = makeVfs(sd.dir, { hostFdBudget: 1 });
  const a = vfs.open(c, null, '/f10', O_RDONLY, 0);
  const b = vfs.open(c, null, '/f11', O_RDONLY, 0); // the budget of 1 reclaims a's fd
  assert.equal(vfs.hostfs.handles.liveCount, 1);
  const other = join(sd.dir, 'f10.new');
  writeFileSync(other, 'replaced');
  renameSync(other, join(sd.dir, 'f10')); // the host replaces f10 behind the guest's back
  assert.equal(a.read(Buffer.alloc(8), 0), -E.ESTALE);
  assert.equal(b.read(Buffer.alloc(8), 0), 8, 'b reopens fine');
  a.put();
  b.put();
});

test('writes through an --rw hostfs: pwrite, append, truncate, fstat, fsync', () => {
  const sd2 = scratchDir('hostfs-w');
  try {
    const vfs = makeVfs(sd2.dir, { rw: true });
    const f = vfs.open(c, null, '/w', O_RDWR | O_CREAT, 0o600);
    assert.equal(f.write(Buffer.from('0123456789'), null), 10);
    assert.equal(f.write(Buffer.from('AB'), 2), 2);
    assert.equal(f.pos, 10);
    assert.equal(readFileSync(join(sd2.dir, 'w'), 'utf8'), '01AB456789');
    assert.equal(f.seek(-3, 2), 7);
    assert.equal(f.truncate(4), 0);
    assert.equal(f.stat().size, 4);
    assert.equal(f.fsync(), 0);
    f.put();
    const a = vfs.open(c, null, '/w', O_WRONLY | 0o2000 /* O_APPEND */, 0);
    assert.equal(a.write(Buffer.from('xy'), 0), 2);
    a.put();
    assert.equal(readFileSync(join(sd2.dir, 'w'), 'utf8'), '01ABxy');
    const loc = vfs.resolve(c, null, '/w', true);
    assert.equal(vfs.truncateLoc(c, loc, 1), 0);
    assert.equal(vfs.chmodLoc(c, loc, 0o640), 0);
    assert.equal(lstatSync(join(sd2.dir, 'w')).mode & 0o777, 0o640);
    assert.equal(readFileSync(join(sd2.dir, 'w'), 'utf8'), '0');
  } finally {
    sd2.cleanup();
  }
});

test('mappable() preads into host memory', () => {
  const vfs = makeVfs(sd.dir);
  const f = vfs.open(c, null, '/f5', O_RDONLY, 0);
  const m = f.mappable();
  const p = host.mmap(0n, 4096, host.PROT_READ | host.PROT_WRITE, host.MAP_PRIVATE | host.MAP_ANONYMOUS, -1, 0);
  try {
    assert.equal(m.fillHost(8, p, 4096), 10);
    assert.equal(Buffer.from(host.view(p, 10)).toString(), 'of file 5\n');
    assert.equal(m.mapIno, lstatSync(join(sd.dir, 'f5')).ino);
  } finally {
    host.munmap(p, 4096);
    f.put();
  }
});

test('console over a FIFO: EAGAIN + watch when empty, data when there, writes, ENOTTY', () => {
  const fifo = join(sd.dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const fd = openSync(fifo, 'r+'); // O_RDWR on a FIFO does not block
  try {
    const w = fakeWatch();
    const con = ConsoleFile.forHostFd(fd, w, new Terminal());
    assert.equal(con.isTty, false);
    assert.equal(con.stat().mode & S_IFMT, S_IFIFO);
    const b = Buffer.alloc(16);
    assert.equal(con.read(b, null), -E.EAGAIN);
    assert.equal(w.calls.length, 1);
    assert.equal(w.calls[0].fd, fd);
    assert.equal(w.calls[0].events & 1, 1, 'POLLIN');
    let woke = 0;
    con.waitq.add(() => woke++);
    writeSync(fd, 'typed');
    w.calls[0].cb(); // the kernel's HostWatch fires
    assert.equal(woke, 1);
    assert.equal(con.read(b, null), 5);
    assert.equal(b.subarray(0, 5).toString(), 'typed');
    assert.equal(con.read(b, 0), -E.ESPIPE);
    assert.equal(con.seek(0, 0), -E.ESPIPE);
    assert.equal(con.write(Buffer.from('out'), null), 3);
    const r = Buffer.alloc(3);
    assert.equal(readSync(fd, r), 3);
    assert.equal(r.toString(), 'out');
    const mem = { read: () => new Uint8Array(36), write: () => {} };
    assert.equal(con.ioctl(0x5401 /* TCGETS */, 0, mem), -E.ENOTTY);
    assert.equal(con.poll() & 4, 4, 'writable');
    con.put();
  } finally {
    closeSync(fd);
  }
});

test('console over a regular file (stdin redirected from a file) reads and seeks it', () => {
  const p = join(sd.dir, 'input');
  writeFileSync(p, 'line one\nline two\n');
  const fd = openSync(p, 'r');
  try {
    const con = ConsoleFile.forHostFd(fd, fakeWatch(), new Terminal());
    assert.equal(con.flags & 3, O_RDONLY);
    assert.equal(con.stat().mode & S_IFMT, S_IFREG);
    assert.equal(readAll(con), 'line one\nline two\n');
    assert.equal(con.seek(5, 0), 5);
    assert.equal(readAll(con), 'one\nline two\n');
  } finally {
    closeSync(fd);
  }
});

test('stat of a long-lived location (the cwd) reads the host again', () => {
  const vfs = makeVfs(sd.dir);
  const cl = caller();
  assert.equal(vfs.chdir(cl, null, '/sub'), 0);
  const before = vfs.stat(cl, null, '.', true);
  writeFileSync(join(sd.dir, 'sub', 'new'), 'x'); // the host changes the directory
  const after = vfs.stat(cl, null, '.', true);
  assert.equal(after.mtimeNs, lstatSync(join(sd.dir, 'sub'), { bigint: true }).mtimeNs);
  assert.ok(after.mtimeNs >= before.mtimeNs);
  assert.equal(vfs.stat(cl, null, 'new', true).size, 1);
});

test('a directory listing needs no lasting host fd', () => {
  const vfs = makeVfs(sd.dir, { hostFdBudget: 4 });
  const d = vfs.open(c, null, '/sub', O_RDONLY | O_DIRECTORY, 0);
  assert.equal(vfs.hostfs.handles.liveCount, 0);
  assert.deepEqual(d.readdir().map((e) => e.name).sort(), readdirSync(join(sd.dir, 'sub')).concat(['.', '..']).sort());
  assert.equal(vfs.hostfs.handles.liveCount, 0);
  d.put();
});
