// --user: the guest runs with other credentials, and hostfs checks every
// access against them (a guest that is not root cannot read /etc/shadow).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BUSYBOX, runUmlts, runNative, buildGuest, assertNoLeftovers, assertOneLineError, makeScratch, rmScratch } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('--user UID: id shows it, the group defaults to the passwd entry or the uid itself', () => {
  let r = runUmlts(['--user', '1000'], [BUSYBOX, 'id']);
  assert.equal(r.code, 0, r.describe());
  assert.match(r.stdout, /^uid=1000\b.* gid=1000\b/, r.describe());
  r = runUmlts(['--user', '1234:4321'], [BUSYBOX, 'sh', '-c', 'id -u; id -g; id -G']);
  assert.equal(r.stdout, '1234\n4321\n4321\n', r.describe());
  r = runUmlts(['--user', 'nobody'], [BUSYBOX, 'id', '-u']);
  assert.equal(r.stdout, '65534\n', r.describe());
});

test('--user 1000 cannot read /etc/shadow or write a root-owned directory; root can', () => {
  let r = runUmlts(['--user', '1000'], [BUSYBOX, 'cat', '/etc/shadow']);
  assert.equal(r.code, 1, r.describe());
  assert.match(r.stderr, /Permission denied/, r.describe());
  assert.equal(r.stdout, '');
  const dir = makeScratch('user');
  try {
    fs.chmodSync(dir, 0o755);
    r = runUmlts(['--user', '1000', '--mount', `${dir}:/w`], [BUSYBOX, 'sh', '-c', 'echo x > /w/f; echo $?']);
    assert.match(r.stderr, /Permission denied/, r.describe());
    assert.ok(!fs.existsSync(path.join(dir, 'f')), 'a file appeared in a root-owned directory');
    r = runUmlts([], [BUSYBOX, 'sh', '-c', 'head -c 5 /etc/shadow | wc -c']);
    assert.equal(r.stdout.trim(), '5', r.describe());
  } finally {
    rmScratch(dir);
  }
});

test('bad --user values get one line and status 2', () => {
  for (const bad of ['nosuchuser', '1000:nosuchgroup', ':5', '1:2:3', '']) {
    assertOneLineError(runUmlts(['--user', bad], [BUSYBOX, 'true']), 2);
  }
});

// setattr_prepare, mode_strip_sgid, file_remove_privs, may_linkat and vfs_rename's '..' check for a user that is not
// root, in tmpfs and in a host directory; an O_PATH fd refuses the attribute calls (fdget)
test('an unprivileged user loses setuid/setgid bits as Linux strips them, and may not chown, touch, link or move what it must not', () => {
  const g = buildGuest('fs_privs');
  const native = runNative([g]);
  assert.equal(native.code, 0, native.describe());
  assert.match(native.stdout, /^ {2}sg\/f: mode 755, group 555\nchmod 02755 of it: 0 \n {2}sg\/f: mode 755, group 555\n/m);
  assert.match(native.stdout, /^write own: 0 \n {2}own: mode 755, group 1000\n/m);
  assert.match(native.stdout, /^chown -1 -1 of root's setgid-executable file: -1 Operation not permitted\n/m);
  assert.match(native.stdout, /^ {2}sg\/sub: mode 2755, group 555\nmove d\/ro \(0555\) to another parent: -1 Permission denied\n/m);
  const tmp = runUmlts([], [g]);
  assert.equal(tmp.stdout, native.stdout, tmp.describe());
  const dir = makeScratch('privs');
  try {
    fs.chmodSync(dir, 0o777);
    const host = runUmlts(['--rw', '--env', `PRIVS_DIR=${dir}`], [g]);
    assert.equal(host.stdout, native.stdout, host.describe());
  } finally {
    rmScratch(dir);
  }
});
