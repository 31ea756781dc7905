// tmpfs (/tmp) through the VFS: files, directories, links, rename rules,
// link counts, inode numbers, times, open-but-unlinked files, ENOSPC, mmap fill.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import {
  E, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND,
  O_DIRECTORY, scratchDir, makeVfs, caller, readAll, write,
} from './fs_lib.mjs';
import { TmpFs } from '../dist/fs/tmpfs.js';
import { SPARSE_FILES_MAX } from '../dist/fs/shmem.js';
import * as host from '../dist/host/libc.js';

let sd, vfs;
const c = caller();
before(() => {
  sd = scratchDir('tmpfs');
  chmodSync(sd.dir, 0o755); // other users must be able to search the root
  vfs = makeVfs(sd.dir);
});
after(() => sd.cleanup());

const st = (p, follow = true) => vfs.stat(c, null, p, follow);
function create(p, s = '', mode = 0o644) {
  const f = vfs.open(c, null, p, O_WRONLY | O_CREAT | O_TRUNC, mode);
  assert.equal(typeof f, 'object', `create ${p}: ${f}`);
  if (s) assert.equal(write(f, s), Buffer.byteLength(s));
  f.put();
}
function cat(p) {
  const f = vfs.open(c, null, p, O_RDONLY, 0);
  if (typeof f === 'number') return f;
  const s = readAll(f);
  f.put();
  return s;
}

test('create, write, read, seek, pread/pwrite, append, truncate', () => {
  const f = vfs.open(c, null, '/tmp/a', O_RDWR | O_CREAT | O_EXCL, 0o600);
  assert.equal(write(f, 'hello world'), 11);
  assert.equal(f.pos, 11);
  assert.equal(f.seek(0, 0), 0);
  assert.equal(readAll(f), 'hello world');
  const b = Buffer.alloc(5);
  assert.equal(f.read(b, 6), 5);
  assert.equal(b.toString(), 'world');
  assert.equal(f.pos, 11, 'pread leaves the position alone');
  assert.equal(f.write(Buffer.from('HELLO'), 0), 5);
  assert.equal(f.seek(4, 2), 15, 'SEEK_END past the end');
  assert.equal(write(f, '!'), 1);
  assert.equal(st('/tmp/a').size, 16);
  assert.equal(cat('/tmp/a'), 'HELLO world\0\0\0\0!', 'the gap reads as zeros');
  assert.equal(f.truncate(5), 0);
  assert.equal(cat('/tmp/a'), 'HELLO');
  assert.equal(f.truncate(8), 0);
  assert.equal(cat('/tmp/a'), 'HELLO\0\0\0', 'growing again gives zeros, not old bytes');
  assert.equal(f.seek(-1, 0), -E.EINVAL);
  f.put();
  const a = vfs.open(c, null, '/tmp/a', O_WRONLY | O_APPEND, 0);
  assert.equal(a.write(Buffer.from('+'), 0), 1, 'O_APPEND appends even through pwrite');
  a.put();
  assert.equal(cat('/tmp/a'), 'HELLO\0\0\0+');
  assert.equal(vfs.open(c, null, '/tmp/a', O_RDWR | O_CREAT | O_EXCL, 0o600), -E.EEXIST);
  create('/tmp/a', 'x');
  assert.equal(cat('/tmp/a'), 'x', 'O_TRUNC');
});

test('mode and umask, owner and group, inode numbers, blocks', () => {
  const user = caller({ fsuid: 1000, fsgid: 100, groups: [], capEffective: 0 });
  user.fs.umask = 0o027;
  const f = vfs.open(user, null, '/tmp/owned', O_WRONLY | O_CREAT, 0o777);
  write(f, 'x'.repeat(5000));
  f.put();
  const s = st('/tmp/owned');
  assert.equal(s.mode, S_IFREG | 0o750);
  assert.equal(s.uid, 1000);
  assert.equal(s.gid, 100);
  assert.equal(s.nlink, 1);
  assert.equal(s.blocks, 16);
  assert.equal(s.blksize, 4096);
  create('/tmp/other');
  assert.notEqual(st('/tmp/other').ino, s.ino);
  assert.equal(st('/tmp/owned').ino, s.ino, 'stable');
  assert.equal(vfs.chmodLoc(c, vfs.resolve(c, null, '/tmp/owned', true), 0o4711), 0);
  assert.equal(st('/tmp/owned').mode, S_IFREG | 0o4711);
  assert.equal(vfs.chownLoc(c, vfs.resolve(c, null, '/tmp/owned', true), 7, -1), 0);
  assert.equal(st('/tmp/owned').uid, 7);
  assert.equal(st('/tmp/owned').mode & 0o7777, 0o711, 'chown drops setuid');
});

// a file with a hole moves to a host memfd (its holes are the host's), but only so many per mount: each holds a
// host fd of umlts's, and a guest must not be able to spend them all by truncating files
test('sparse files: holes in a memfd up to SPARSE_FILES_MAX per mount, dense (still zeros) past it', () => {
  const n = SPARSE_FILES_MAX + 2;
  for (let i = 0; i < n; i++) {
    const f = vfs.open(c, null, `/tmp/sparse${i}`, O_RDWR | O_CREAT | O_TRUNC, 0o600);
    assert.equal(f.truncate(1 << 20), 0);
    assert.equal(f.write(Buffer.from('z'), 300000), 1);
    f.put();
    const s = st(`/tmp/sparse${i}`);
    assert.equal(s.size, 1 << 20);
    assert.equal(s.blocks, i < SPARSE_FILES_MAX ? 8 : 2048, `file ${i}`);
  }
  const f = vfs.open(c, null, `/tmp/sparse${n - 1}`, O_RDONLY, 0);
  const b = Buffer.alloc(8);
  assert.equal(f.read(b, 299996), 8);
  assert.deepEqual([...b], [0, 0, 0, 0, 'z'.charCodeAt(0), 0, 0, 0]);
  f.put();
  // a freed sparse file gives its place back
  assert.equal(vfs.unlink(c, null, '/tmp/sparse0'), 0);
  const g = vfs.open(c, null, '/tmp/sparseAgain', O_RDWR | O_CREAT | O_TRUNC, 0o600);
  assert.equal(g.truncate(1 << 20), 0);
  g.put();
  assert.equal(st('/tmp/sparseAgain').blocks, 0);
  for (let i = 1; i < n; i++) assert.equal(vfs.unlink(c, null, `/tmp/sparse${i}`), 0);
  assert.equal(vfs.unlink(c, null, '/tmp/sparseAgain'), 0);
});

test('directories: mkdir, nlink, rmdir, listing', () => {
  const before = st('/tmp').nlink;
  assert.equal(vfs.mkdir(c, null, '/tmp/d', 0o755), 0);
  assert.equal(vfs.mkdir(c, null, '/tmp/d', 0o755), -E.EEXIST);
  assert.equal(vfs.mkdir(c, null, '/tmp/d/e/', 0o700), 0, 'mkdir takes a trailing slash');
  assert.equal(st('/tmp').nlink, before + 1);
  const d = st('/tmp/d');
  assert.equal(d.mode, S_IFDIR | 0o755);
  assert.equal(d.nlink, 3);
  create('/tmp/d/f');
  const dir = vfs.open(c, null, '/tmp/d', O_RDONLY | O_DIRECTORY, 0);
  const l = dir.readdir();
  assert.deepEqual(l.map((e) => e.name).sort(), ['.', '..', 'e', 'f']);
  assert.equal(l.find((e) => e.name === '..').ino, st('/tmp').ino);
  assert.equal(l.find((e) => e.name === 'e').type, 4);
  assert.equal(l.find((e) => e.name === 'f').type, 8);
  dir.put();
  assert.equal(vfs.rmdir(c, null, '/tmp/d'), -E.ENOTEMPTY);
  assert.equal(vfs.rmdir(c, null, '/tmp/d/f'), -E.ENOTDIR);
  assert.equal(vfs.unlink(c, null, '/tmp/d/e'), -E.EISDIR);
  assert.equal(vfs.rmdir(c, null, '/tmp/d/e/.'), -E.EINVAL);
  assert.equal(vfs.rmdir(c, null, '/tmp/d/e'), 0);
  assert.equal(st('/tmp/d').nlink, 2);
  assert.equal(vfs.unlink(c, null, '/tmp/d/f/'), -E.ENOTDIR);
  assert.equal(vfs.unlink(c, null, '/tmp/d/f'), 0);
  assert.equal(vfs.rmdir(c, null, '/tmp/d'), 0);
  assert.equal(st('/tmp').nlink, before);
});

test('a removed cwd stays usable but empty, and refuses new entries', () => {
  const cl = caller();
  assert.equal(vfs.mkdir(c, null, '/tmp/gone', 0o755), 0);
  assert.equal(vfs.chdir(cl, null, '/tmp/gone'), 0);
  assert.equal(vfs.rmdir(c, null, '/tmp/gone'), 0);
  assert.equal(vfs.stat(cl, null, '.', true).nlink, 0);
  assert.equal(vfs.open(cl, null, 'new', O_WRONLY | O_CREAT, 0o644), -E.ENOENT);
});

test('hard links and symlinks', () => {
  create('/tmp/orig', 'data');
  assert.equal(vfs.link(c, null, '/tmp/orig', null, '/tmp/hard', false), 0);
  assert.equal(st('/tmp/orig').nlink, 2);
  assert.equal(st('/tmp/hard').ino, st('/tmp/orig').ino);
  assert.equal(vfs.link(c, null, '/tmp', null, '/tmp/dirlink', false), -E.EPERM);
  assert.equal(vfs.symlink(c, 'orig', null, '/tmp/sym'), 0);
  assert.equal(vfs.symlink(c, '', null, '/tmp/empty'), -E.ENOENT);
  assert.equal(st('/tmp/sym', false).mode, S_IFLNK | 0o777);
  assert.equal(st('/tmp/sym', false).size, 4);
  assert.equal(cat('/tmp/sym'), 'data');
  assert.equal(vfs.link(c, null, '/tmp/sym', null, '/tmp/hs', false), 0, 'linking a symlink itself');
  assert.equal(st('/tmp/hs', false).mode & S_IFMT, S_IFLNK);
  assert.equal(vfs.link(c, null, '/tmp/sym', null, '/tmp/hf', true), 0, 'AT_SYMLINK_FOLLOW links the target');
  assert.equal(st('/tmp/orig').nlink, 3);
  assert.equal(vfs.unlink(c, null, '/tmp/orig'), 0);
  assert.equal(st('/tmp/hard').nlink, 2);
  assert.equal(cat('/tmp/hard'), 'data');
  assert.equal(cat('/tmp/sym'), -E.ENOENT, 'now dangling');
});

test('an unlinked file lives on while open', () => {
  const f = vfs.open(c, null, '/tmp/ghost', O_RDWR | O_CREAT, 0o600);
  write(f, 'boo');
  assert.equal(vfs.unlink(c, null, '/tmp/ghost'), 0);
  assert.equal(vfs.stat(c, null, '/tmp/ghost', true), -E.ENOENT);
  assert.equal(f.stat().nlink, 0);
  assert.equal(f.read(Buffer.alloc(3), 0), 3);
  assert.equal(write(f, '!'), 1);
  assert.equal(f.stat().size, 4);
  f.put();
});

test('rename: replace, directories, NOREPLACE, EXCHANGE, into itself', () => {
  create('/tmp/r1', 'one');
  create('/tmp/r2', 'two');
  assert.equal(vfs.rename(c, null, '/tmp/r1', null, '/tmp/r2', 0), 0);
  assert.equal(cat('/tmp/r2'), 'one');
  assert.equal(cat('/tmp/r1'), -E.ENOENT);
  create('/tmp/r1', 'uno');
  assert.equal(vfs.rename(c, null, '/tmp/r1', null, '/tmp/r2', 1 /* NOREPLACE */), -E.EEXIST);
  assert.equal(vfs.rename(c, null, '/tmp/r1', null, '/tmp/r2', 2 /* EXCHANGE */), 0);
  assert.equal(cat('/tmp/r1'), 'one');
  assert.equal(cat('/tmp/r2'), 'uno');
  assert.equal(vfs.rename(c, null, '/tmp/r1', null, '/tmp/nope', 2), -E.ENOENT);
  assert.equal(vfs.rename(c, null, '/tmp/r1', null, '/tmp/r2', 3), -E.EINVAL);
  assert.equal(vfs.mkdir(c, null, '/tmp/D', 0o755), 0);
  assert.equal(vfs.mkdir(c, null, '/tmp/D/sub', 0o755), 0);
  assert.equal(vfs.rename(c, null, '/tmp/D', null, '/tmp/D/sub/x', 0), -E.EINVAL);
  assert.equal(vfs.rename(c, null, '/tmp/D', null, '/tmp/r1', 0), -E.ENOTDIR);
  assert.equal(vfs.rename(c, null, '/tmp/r1', null, '/tmp/D', 0), -E.EISDIR);
  assert.equal(vfs.mkdir(c, null, '/tmp/E', 0o755), 0);
  create('/tmp/E/f');
  assert.equal(vfs.rename(c, null, '/tmp/D', null, '/tmp/E', 0), -E.ENOTEMPTY);
  assert.equal(vfs.unlink(c, null, '/tmp/E/f'), 0);
  const tmpLinks = st('/tmp').nlink;
  assert.equal(vfs.rename(c, null, '/tmp/D', null, '/tmp/E', 0), 0, 'a directory replaces an empty one');
  assert.equal(st('/tmp').nlink, tmpLinks - 1);
  assert.equal(st('/tmp/E/sub').mode & S_IFMT, S_IFDIR);
  assert.equal(vfs.rename(c, null, '/tmp/E/sub', null, '/tmp/moved', 0), 0);
  assert.equal(st('/tmp/E').nlink, 2);
  assert.equal(st('/tmp').nlink, tmpLinks);
  assert.equal(vfs.rename(c, null, '/tmp/r2', null, '/tmp/r2', 0), 0, 'onto itself: nothing happens');
  assert.equal(cat('/tmp/r2'), 'uno');
  assert.equal(vfs.rename(c, null, '/tmp/.', null, '/tmp/x', 0), -E.EBUSY);
});

test('times: a write moves mtime and ctime, utimes sets them', async () => {
  create('/tmp/t', 'a');
  const s0 = st('/tmp/t');
  await new Promise((r) => setTimeout(r, 5));
  const f = vfs.open(c, null, '/tmp/t', O_WRONLY | O_APPEND, 0);
  write(f, 'b');
  f.put();
  const s1 = st('/tmp/t');
  assert.ok(s1.mtimeNs > s0.mtimeNs);
  assert.ok(s1.ctimeNs > s0.ctimeNs);
  assert.equal(vfs.utimesLoc(c, vfs.resolve(c, null, '/tmp/t', true), 1000000000n, 2000000005n, true), 0);
  assert.equal(st('/tmp/t').atimeNs, 1000000000n);
  assert.equal(st('/tmp/t').mtimeNs, 2000000005n);
});

test('the size limit gives ENOSPC, and freeing a file gives the space back', () => {
  const fs = new TmpFs(1, 64 * 1024);
  const f = fs.root.create('big', 0o644, { fsuid: 0, fsgid: 0, groups: [], capEffective: 2 ** 41 - 1 }, O_RDWR, '/big');
  assert.equal(f.write(Buffer.alloc(60000, 1), null), 60000);
  assert.equal(f.write(Buffer.alloc(10000, 1), null), -E.ENOSPC);
  assert.equal(fs.root.unlink('big'), 0);
  assert.ok(fs.used > 0, 'still open');
  f.put();
  assert.equal(fs.used, 0);
  const g = fs.root.create('again', 0o644, { fsuid: 0, fsgid: 0, groups: [], capEffective: 2 ** 41 - 1 }, O_RDWR, '/again');
  assert.equal(g.write(Buffer.alloc(60000, 1), null), 60000);
});

test('mappable() fills host memory from the file', () => {
  create('/tmp/m', 'ABCDEFGH');
  const f = vfs.open(c, null, '/tmp/m', O_RDONLY, 0);
  const m = f.mappable();
  const p = host.mmap(0n, 4096, host.PROT_READ | host.PROT_WRITE, host.MAP_PRIVATE | host.MAP_ANONYMOUS, -1, 0);
  try {
    assert.equal(m.fillHost(2, p, 4096), 6, 'up to EOF');
    assert.equal(Buffer.from(host.view(p, 8)).toString('latin1'), 'CDEFGH\0\0');
    assert.equal(m.mapIno, f.stat().ino);
  } finally {
    host.munmap(p, 4096);
    f.put();
  }
});
