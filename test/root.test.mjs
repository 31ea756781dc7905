// The root folder: read-only by default (EROFS), --rw, and no escape from a
// --root folder through .., absolute symlinks or symlinks pointing outside.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGuest, runUmlts, assertNoLeftovers, lines } from './lib.mjs';

const HOST_FILE = '/etc/umlts-test-file';
let root;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'umlts-root-'));
});
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(HOST_FILE, { force: true });
});
afterEach(() => assertNoLeftovers());

test('a write under the default read-only root fails with EROFS', () => {
  const g = buildGuest('rofs');
  fs.rmSync(HOST_FILE, { force: true });
  try {
    const r = runUmlts([], [g, HOST_FILE]);
    assert.equal(r.code, 0, r.describe());
    assert.equal(r.stdout, 'open O_CREAT: EROFS\nopen existing O_WRONLY: EROFS\n', r.describe());
    assert.ok(!fs.existsSync(HOST_FILE), `${HOST_FILE} was created on the host`);
  } finally {
    fs.rmSync(HOST_FILE, { force: true });
  }
});

test('read-only root: busybox touch, mkdir, rm fail', () => {
  for (const argv of [['touch', HOST_FILE], ['mkdir', '/etc/umlts-test-dir'], ['rm', '-f', '/etc/hostname']]) {
    const r = runUmlts([], ['/bin/busybox', ...argv]);
    assert.notEqual(r.code, 0, `${argv.join(' ')} succeeded\n${r.describe()}`);
    assert.match(r.stderr, /Read-only file system/, r.describe());
  }
  assert.ok(!fs.existsSync(HOST_FILE) && !fs.existsSync('/etc/umlts-test-dir'));
  assert.ok(fs.existsSync('/etc/hostname'));
});

test('/tmp is writable under the read-only root (tmpfs) and not the host\'s /tmp', () => {
  const name = `umlts-tmpfs-probe-${process.pid}`;
  const r = runUmlts([], ['/bin/busybox', 'sh', '-c', `echo data > /tmp/${name} && cat /tmp/${name}`]);
  assert.equal(r.stdout, 'data\n', r.describe());
  assert.ok(!fs.existsSync(`/tmp/${name}`), 'the guest wrote into the host\'s /tmp');
});

test('--rw lets the guest write into its --root', () => {
  const g = buildGuest('rofs');
  const rwroot = fs.mkdtempSync(path.join(os.tmpdir(), 'umlts-rw-'));
  try {
    fs.mkdirSync(path.join(rwroot, 'etc'));
    fs.writeFileSync(path.join(rwroot, 'etc', 'passwd'), 'root:x:0:0::/:/bin/sh\n');
    fs.copyFileSync(g, path.join(rwroot, 'rofs'));
    fs.chmodSync(path.join(rwroot, 'rofs'), 0o755);
    const r = runUmlts(['--root', rwroot, '--rw'], ['/rofs', '/created']);
    assert.equal(r.stdout, 'open O_CREAT: OK\nwrite: OK\nopen existing O_WRONLY: OK\n', r.describe());
    assert.equal(fs.readFileSync(path.join(rwroot, 'created'), 'utf8'), 'written\n');
    const ro = runUmlts(['--root', rwroot], ['/rofs', '/created2']);
    assert.match(ro.stdout, /^open O_CREAT: EROFS$/m, ro.describe());
  } finally {
    fs.rmSync(rwroot, { recursive: true, force: true });
  }
});

test('.., absolute symlinks and symlinks pointing outside stay inside --root', () => {
  const g = buildGuest('escape');
  fs.copyFileSync(g, path.join(root, 'escape'));
  fs.chmodSync(path.join(root, 'escape'), 0o755);
  fs.mkdirSync(path.join(root, 'etc'));
  fs.mkdirSync(path.join(root, 'sub', 'deeper'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc', 'hostname'), 'inside-the-root\n');
  const ln = (target, name) => fs.symlinkSync(target, path.join(root, name));
  ln('/etc/hostname', 'abs_hostname');
  ln('../../../../etc/hostname', 'up_hostname');
  ln('/../../../../etc/shadow', 'abs_shadow');
  ln('../../../../../../etc/passwd', 'sub/deeper/up_passwd');
  ln('../../..', 'sub/deeper/up_dir');
  ln('/etc', 'etc_dir');
  ln('/', 'root_dir');
  ln('/..', 'root_parent');
  ln(os.tmpdir(), 'host_tmp');
  const cases = {
    '/etc/hostname': 'inside-the-root',
    '/../../../../etc/hostname': 'inside-the-root',
    '../../../../etc/hostname': 'inside-the-root',
    '/abs_hostname': 'inside-the-root',
    '/up_hostname': 'inside-the-root',
    '/sub/deeper/../../../etc/hostname': 'inside-the-root',
    '/sub/deeper/up_dir/etc/hostname': 'inside-the-root',
    '/etc_dir/hostname': 'inside-the-root',
    '/root_dir/../etc/hostname': 'inside-the-root',
    '/root_parent/etc/hostname': 'inside-the-root',
    '/abs_shadow': 'ENOENT',
    '/etc/shadow': 'ENOENT',
    '/../../../../etc/shadow': 'ENOENT',
    '../../../../etc/passwd': 'ENOENT',
    '/sub/deeper/up_passwd': 'ENOENT',
    '/etc_dir/passwd': 'ENOENT',
    '/root_parent/etc/passwd': 'ENOENT',
    [`/host_tmp/${path.basename(root)}/etc/hostname`]: 'ENOENT',
  };
  const r = runUmlts(['--root', root, '--cwd', '/'], ['/escape', ...Object.keys(cases)]);
  assert.equal(r.code, 0, r.describe());
  const host = ['root:', fs.readFileSync('/etc/hostname', 'utf8').trim()];
  const got = Object.fromEntries(lines(r.stdout).map((l) => { const i = l.indexOf(': '); return [l.slice(0, i), l.slice(i + 2)]; }));
  for (const [p, want] of Object.entries(cases)) {
    assert.ok(p in got, `no answer for ${p}\n${r.describe()}`);
    for (const h of host) assert.ok(!got[p].startsWith(h) || want.startsWith(h), `${p} reached the host: ${got[p]}`);
    assert.equal(got[p], want, `${p}\n${r.stdout}`);
  }
});

test('/proc/self links do not lead out of --root', () => {
  const g = buildGuest('escape');
  fs.copyFileSync(g, path.join(root, 'escape'));
  fs.chmodSync(path.join(root, 'escape'), 0o755);
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc', 'hostname'), 'inside-the-root\n');
  const paths = ['/proc/self/root/etc/hostname', '/proc/self/cwd/../../etc/hostname', '/proc/self/root/../../etc/passwd', '/proc/1/root/etc/passwd'];
  const r = runUmlts(['--root', root, '--cwd', '/'], ['/escape', ...paths]);
  assert.equal(r.code, 0, r.describe());
  for (const l of lines(r.stdout)) {
    const v = l.slice(l.indexOf(': ') + 2);
    assert.ok(v === 'inside-the-root' || /^E[A-Z]+$/.test(v), `escaped: ${l}`);
  }
  assert.equal(lines(r.stdout).length, paths.length, r.describe());
});
