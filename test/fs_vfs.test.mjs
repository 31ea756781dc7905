// VFS path walk and confinement, directly on dist/fs/vfs.js (no guest).
// A scratch root holds symlinks that try to leave it: absolute ones, ones
// that climb with .., loops; the host's real files next to the root must
// never be reached.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, symlinkSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  E, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR, O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC,
  O_DIRECTORY, O_NOFOLLOW, O_PATH, scratchDir, makeVfs, caller, readAll, write,
} from './fs_lib.mjs';
import { encodeDirents } from '../dist/fs/node.js';

let sd, root, vfs;
const c = caller();

before(() => {
  sd = scratchDir('vfs');
  root = join(sd.dir, 'root');
  // a secret next to the root, which no guest path may reach
  mkdirSync(join(sd.dir, 'secret'));
  writeFileSync(join(sd.dir, 'secret', 'key'), 'SECRET\n');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc', 'hostname'), 'inside\n');
  mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
  writeFileSync(join(root, 'usr', 'bin', 'tool'), 'tool\n');
  writeFileSync(join(root, 'f'), 'file\n');
  symlinkSync('/etc/hostname', join(root, 'abs')); // absolute: the guest's /etc/hostname
  symlinkSync('../../../../../../../../etc/hostname', join(root, 'climb')); // climbs past the root
  symlinkSync('../secret/key', join(root, 'esc')); // would name the secret on the host
  symlinkSync(join(sd.dir, 'secret'), join(root, 'hostabs')); // absolute host path of the secret dir
  symlinkSync('/..', join(root, 'dotdot'));
  symlinkSync('/etc/hostname', join(root, 'usr', 'bin', 'abs')); // absolute, from a subdirectory
  symlinkSync('../../../../etc/hostname', join(root, 'usr', 'bin', 'climb'));
  symlinkSync('usr/bin', join(root, 'bin'));
  symlinkSync('loop', join(root, 'loop'));
  symlinkSync('b', join(root, 'a'));
  symlinkSync('a', join(root, 'b'));
  symlinkSync('missing', join(root, 'dangling'));
  // l0 -> l1 -> ... -> l40 -> /etc/hostname: l1 needs 40 follows, l0 41
  for (let i = 0; i <= 40; i++) symlinkSync(i === 40 ? '/etc/hostname' : `l${i + 1}`, join(root, `l${i}`));
  vfs = makeVfs(root);
});
after(() => sd.cleanup());

function cat(path, cl = c) {
  const f = vfs.open(cl, null, path, O_RDONLY, 0);
  if (typeof f === 'number') return f;
  try {
    return readAll(f);
  } finally {
    f.put();
  }
}

test('plain lookups read the files inside the root', () => {
  assert.equal(cat('/etc/hostname'), 'inside\n');
  assert.equal(cat('etc/hostname'), 'inside\n');
  assert.equal(cat('/etc//./hostname'), 'inside\n');
  assert.equal(cat('/usr/bin/../../etc/hostname'), 'inside\n');
});

test('.. at the root stays at the root', () => {
  assert.equal(cat('/../../../etc/hostname'), 'inside\n');
  assert.equal(cat('../../etc/hostname'), 'inside\n');
  const loc = vfs.resolve(c, null, '/..', true);
  assert.equal(loc.path, '/');
});

test('absolute symlinks resolve from the guest root, not the host root', () => {
  assert.notEqual(readFileSync('/etc/hostname', 'utf8'), 'inside\n', 'host /etc/hostname must differ for this test');
  assert.equal(cat('/abs'), 'inside\n');
  assert.equal(cat('/usr/bin/abs'), 'inside\n');
  assert.equal(cat('/bin/abs'), 'inside\n');
  assert.equal(cat('/dotdot/etc/hostname'), 'inside\n');
});

test('symlinks that climb out with .. stay inside', () => {
  assert.equal(cat('/climb'), 'inside\n');
  assert.equal(cat('/usr/bin/climb'), 'inside\n');
  assert.equal(cat('/esc'), -E.ENOENT); // /secret/key does not exist inside the root
  assert.equal(cat('/hostabs/key'), -E.ENOENT); // a host absolute path means nothing in the guest
  assert.equal(vfs.resolve(c, null, '/esc', true), -E.ENOENT);
});

test('symlink resolution: relative targets, directories, loops, MAXSYMLINKS', () => {
  assert.equal(cat('/bin/tool'), 'tool\n');
  const loc = vfs.resolve(c, null, '/bin/tool', true);
  assert.equal(loc.path, '/usr/bin/tool', 'the canonical path is where the walk arrived');
  assert.equal(vfs.resolve(c, null, '/bin/..', true).path, '/usr', '.. after a symlink goes back from its target');
  assert.equal(cat('/loop'), -E.ELOOP);
  assert.equal(cat('/a'), -E.ELOOP);
  assert.equal(cat('/l1'), 'inside\n', '40 links are allowed');
  assert.equal(cat('/l0'), -E.ELOOP, 'the 41st is not');
  assert.equal(cat('/dangling'), -E.ENOENT);
});

test('lstat, O_NOFOLLOW, O_PATH, AT_SYMLINK_NOFOLLOW', () => {
  const l = vfs.stat(c, null, '/abs', false);
  assert.equal(l.mode & S_IFMT, S_IFLNK);
  assert.equal(l.size, '/etc/hostname'.length);
  const s = vfs.stat(c, null, '/abs', true);
  assert.equal(s.mode & S_IFMT, S_IFREG);
  assert.equal(s.size, 7);
  assert.equal(vfs.open(c, null, '/abs', O_RDONLY | O_NOFOLLOW, 0), -E.ELOOP);
  const p = vfs.open(c, null, '/abs', O_PATH | O_NOFOLLOW, 0);
  assert.equal(typeof p, 'object');
  assert.equal(p.stat().mode & S_IFMT, S_IFLNK);
  assert.equal(p.read(Buffer.alloc(4), null), -E.EBADF);
  assert.equal(vfs.readlink(c, null, '/abs'), '/etc/hostname');
  assert.equal(vfs.readlink(c, null, '/f'), -E.EINVAL);
});

test('ENOTDIR, EISDIR, trailing slashes, O_DIRECTORY', () => {
  assert.equal(cat('/f/'), -E.ENOTDIR);
  assert.equal(cat('/f/x'), -E.ENOTDIR);
  assert.equal(cat('/abs/'), -E.ENOTDIR, 'a trailing slash follows the link and needs a directory');
  assert.equal(vfs.resolve(c, null, '/bin/', false).path, '/usr/bin', 'a trailing slash follows even with nofollow');
  assert.equal(vfs.open(c, null, '/f', O_RDONLY | O_DIRECTORY, 0), -E.ENOTDIR);
  assert.equal(vfs.open(c, null, '/etc', O_WRONLY, 0), -E.EISDIR);
  assert.equal(vfs.open(c, null, '/tmp/new/', O_RDWR | O_CREAT, 0o644), -E.EISDIR);
  assert.equal(vfs.resolve(c, null, '', true), -E.ENOENT);
  assert.equal(vfs.resolve(c, null, '/nope/x', true), -E.ENOENT);
});

test('ENAMETOOLONG for a long component and a long path', () => {
  assert.equal(cat('/' + 'x'.repeat(256)), -E.ENAMETOOLONG);
  assert.equal(cat('/' + 'x'.repeat(255)), -E.ENOENT);
  assert.equal(cat('/' + 'a/'.repeat(2100)), -E.ENAMETOOLONG);
});

test('mount points need no directory below them, and are crossed both ways', () => {
  assert.ok(!existsSync(join(root, 'tmp')) && !existsSync(join(root, 'proc')));
  const d = vfs.open(c, null, '/', O_RDONLY | O_DIRECTORY, 0);
  const names = d.readdir().map((e) => e.name);
  for (const n of ['.', '..', 'etc', 'usr', 'tmp', 'dev', 'proc']) assert.ok(names.includes(n), `${n} in ${names}`);
  assert.equal(vfs.resolve(c, null, '/tmp/..', true).path, '/');
  assert.equal(cat('/tmp/../etc/hostname'), 'inside\n');
  assert.equal(cat('/dev/../etc/hostname'), 'inside\n');
  assert.equal(cat('/proc/../../etc/hostname'), 'inside\n');
  const null_ = vfs.stat(c, null, '/dev/null', true);
  assert.equal(null_.mode & S_IFMT, S_IFCHR);
  const tmp = vfs.stat(c, null, '/tmp', true);
  assert.equal(tmp.mode & S_IFMT, S_IFDIR);
  assert.equal(tmp.mode & 0o7777, 0o1777);
  assert.notEqual(tmp.dev, vfs.stat(c, null, '/', true).dev);
});

test('the read-only root refuses writes with EROFS; /tmp takes them', () => {
  assert.equal(vfs.open(c, null, '/newfile', O_WRONLY | O_CREAT, 0o644), -E.EROFS);
  assert.equal(vfs.open(c, null, '/etc/hostname', O_WRONLY, 0), -E.EROFS);
  assert.equal(vfs.open(c, null, '/etc/hostname', O_RDONLY | O_TRUNC, 0), -E.EROFS);
  assert.equal(vfs.mkdir(c, null, '/d', 0o755), -E.EROFS);
  assert.equal(vfs.mkdir(c, null, '/etc', 0o755), -E.EEXIST, 'EEXIST wins over EROFS');
  assert.equal(vfs.unlink(c, null, '/f'), -E.EROFS);
  assert.equal(vfs.symlink(c, 'x', null, '/s'), -E.EROFS);
  assert.equal(vfs.rename(c, null, '/f', null, '/g', 0), -E.EROFS);
  assert.equal(vfs.access(c, null, '/f', 2, true), -E.EROFS);
  assert.equal(vfs.access(c, null, '/f', 4, true), 0);
  const f = vfs.open(c, null, '/tmp/x', O_WRONLY | O_CREAT, 0o666);
  assert.equal(write(f, 'hello'), 5);
  f.put();
  assert.equal(cat('/tmp/x'), 'hello');
  assert.ok(!existsSync(join(root, 'tmp')), 'tmpfs writes never reach the host');
  assert.equal(vfs.stat(c, null, '/tmp/x', true).mode & 0o777, 0o644, 'umask 022 applied');
  assert.equal(vfs.rename(c, null, '/tmp/x', null, '/x', 0), -E.EXDEV);
  assert.equal(vfs.link(c, null, '/tmp/x', null, '/etc/x', false), -E.EROFS, 'filename_create fails before the EXDEV check');
  assert.equal(vfs.link(c, null, '/etc/hostname', null, '/tmp/y', false), -E.EXDEV);
  assert.equal(vfs.unlink(c, null, '/tmp'), -E.EBUSY, 'a mount point cannot be removed');
});

test('an --rw root writes through to the host directory, still confined', () => {
  const sd2 = scratchDir('vfsrw');
  try {
    const r = join(sd2.dir, 'root');
    mkdirSync(r);
    symlinkSync('../outside', join(r, 'out'));
    const v = makeVfs(r, { rw: true });
    const f = v.open(c, null, '/out', O_WRONLY | O_CREAT, 0o640); // creates the link's target: /outside in the guest
    assert.equal(typeof f, 'object');
    assert.equal(write(f, 'data'), 4);
    f.put();
    assert.ok(existsSync(join(r, 'outside')), 'created inside the root');
    assert.ok(!existsSync(join(sd2.dir, 'outside')), 'not next to it');
    assert.equal(statSync(join(r, 'outside')).mode & 0o777, 0o640);
    assert.equal(v.open(c, null, '/out', O_WRONLY | O_CREAT | O_EXCL, 0o640), -E.EEXIST);
    assert.equal(v.mkdir(c, null, '/d', 0o777), 0);
    assert.equal(statSync(join(r, 'd')).mode & 0o777, 0o755);
    assert.equal(v.symlink(c, '/etc/passwd', null, '/d/l'), 0);
    assert.equal(readFileSync(join(r, 'outside'), 'utf8'), 'data');
    assert.equal(v.rename(c, null, '/outside', null, '/d/moved', 0), 0);
    assert.equal(readFileSync(join(r, 'd', 'moved'), 'utf8'), 'data');
    assert.equal(v.rmdir(c, null, '/d'), -E.ENOTEMPTY);
    assert.equal(v.unlink(c, null, '/d/moved'), 0);
    assert.equal(v.unlink(c, null, '/d/l'), 0);
    assert.equal(v.rmdir(c, null, '/d'), 0);
    assert.ok(!existsSync(join(r, 'd')));
  } finally {
    sd2.cleanup();
  }
});

test('cwd, dirfds and chdir', () => {
  const cl = caller();
  assert.equal(vfs.chdir(cl, null, '/bin'), 0);
  assert.equal(cl.fs.cwd, '/usr/bin', 'the cwd is canonical');
  assert.equal(cat('tool', cl), 'tool\n');
  assert.equal(cat('../../etc/hostname', cl), 'inside\n');
  assert.equal(vfs.chdir(cl, null, '/f'), -E.ENOTDIR);
  const d = vfs.open(cl, null, '/etc', O_RDONLY | O_DIRECTORY, 0);
  const f = vfs.open(cl, d, 'hostname', O_RDONLY, 0);
  assert.equal(readAll(f), 'inside\n');
  const nd = vfs.open(cl, null, '/f', O_RDONLY, 0);
  assert.equal(vfs.open(cl, nd, 'x', O_RDONLY, 0), -E.ENOTDIR, 'a dirfd must be a directory');
  assert.equal(typeof vfs.open(cl, nd, '/etc/hostname', O_RDONLY, 0), 'object', 'absolute paths ignore the dirfd');
  assert.equal(vfs.locOf(f).path, '/etc/hostname');
});

test('search permission (EACCES) is checked on every directory walked', () => {
  const user = caller({ fsuid: 1000, fsgid: 1000, groups: [], capEffective: 0 });
  assert.equal(vfs.mkdir(c, null, '/tmp/priv', 0o700), 0);
  const f = vfs.open(c, null, '/tmp/priv/file', O_WRONLY | O_CREAT, 0o644);
  f.put();
  assert.equal(vfs.stat(user, null, '/tmp/priv/file', true), -E.EACCES);
  assert.equal(vfs.open(user, null, '/tmp/priv', O_RDONLY, 0), -E.EACCES);
  assert.equal(typeof vfs.stat(user, null, '/tmp/priv', true), 'object', 'the directory itself can be stat()ed');
  assert.equal(vfs.open(user, null, '/tmp/mine', O_WRONLY | O_CREAT, 0o600).constructor.name, 'TmpFile');
  // sticky /tmp: another user may not remove root's file
  const g = vfs.open(c, null, '/tmp/roots', O_WRONLY | O_CREAT, 0o666);
  g.put();
  assert.equal(vfs.unlink(user, null, '/tmp/roots'), -E.EPERM);
  assert.equal(vfs.unlink(user, null, '/tmp/mine'), 0);
  assert.equal(vfs.chmodLoc(user, vfs.resolve(c, null, '/tmp/roots', true), 0o777), -E.EPERM);
});

test('getdents64 records: layout, alignment, d_off, and a too-small buffer', () => {
  const entries = [
    { ino: 7, type: 4, name: '.' },
    { ino: 0x123456789, type: 8, name: 'a-longer-name' },
  ];
  const buf = new Uint8Array(128);
  const { bytes, next } = encodeDirents(entries, 0, buf);
  assert.equal(next, 2);
  const dv = new DataView(buf.buffer);
  assert.equal(dv.getBigUint64(0, true), 7n);
  assert.equal(dv.getBigInt64(8, true), 1n, 'd_off of entry 0 is the index of the next');
  const rec0 = dv.getUint16(16, true);
  assert.equal(rec0, 24, '19 + ".\\0" rounded up to 8');
  assert.equal(buf[18], 4);
  assert.equal(buf[19], 0x2e);
  assert.equal(buf[20], 0);
  assert.equal(dv.getBigUint64(rec0, true), 0x123456789n);
  const rec1 = dv.getUint16(rec0 + 16, true);
  assert.equal(rec1, 40);
  assert.equal(Buffer.from(buf.subarray(rec0 + 19, rec0 + 19 + 13)).toString(), 'a-longer-name');
  assert.equal(buf[rec0 + 19 + 13], 0);
  assert.equal(bytes, rec0 + rec1);
  assert.equal(encodeDirents(entries, 1, new Uint8Array(39)).bytes, 0, 'one record that does not fit: nothing');
  assert.deepEqual(encodeDirents(entries, 0, new Uint8Array(30)), { bytes: 24, next: 1 });
});

test('a directory listing pages through getdents positions and rewinds at 0', () => {
  const d = vfs.open(c, null, '/usr/bin', O_RDONLY | O_DIRECTORY, 0);
  const l = d.readdir();
  assert.deepEqual(l.slice(0, 2).map((e) => e.name), ['.', '..']);
  assert.deepEqual(l.slice(2).map((e) => e.name).sort(), ['abs', 'climb', 'tool']);
  assert.equal(l[1].ino, statSync(join(root, 'usr')).ino, '.. is the parent');
  assert.equal(l.find((e) => e.name === 'tool').ino, statSync(join(root, 'usr', 'bin', 'tool')).ino);
  assert.equal(l.find((e) => e.name === 'abs').type, 10, 'DT_LNK');
  d.pos = 3;
  assert.equal(d.seek(0, 0), 0);
  assert.equal(d.read(Buffer.alloc(1), null), -E.EISDIR);
});
