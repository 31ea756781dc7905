// The read-write hostfs and its filehandle layer, differentially (issue 4):
// 5000 files open at once under a host fd budget of 32 (and under a host
// RLIMIT_NOFILE of 128), unlink/rename while open under fd pressure, the
// rest of the read-write operations, /proc/umlts/filehandles and --stats.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  buildGuest, assertSameAsNative, assertNoLeftovers, makeScratch, rmScratch, runUmlts, runNative, CLI, CLEAN_ENV,
  ROOT, hostHas, trackUmltsPid, BUSYBOX, withPlatform,
} from './lib.mjs';

afterEach(() => assertNoLeftovers());

/** --stats line -> {budget, open, reclaimed, ...} */
function stats(stderr) {
  const m = /umlts: filehandles: (.*)$/m.exec(stderr);
  assert.ok(m, `no --stats line in:\n${stderr}`);
  return Object.fromEntries(m[1].split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
}

test('5000 files open at once with --max-host-fds 32: same output as native, every file reclaimed and reopened', () => {
  const g = buildGuest('fh_many');
  const dn = makeScratch('fhn'), du = makeScratch('fhu');
  try {
    const native = runNative([g, dn, '5000', '4']);
    assert.equal(native.code, 0, native.describe());
    assert.match(native.stdout, /^verified 790000 bytes, 0 bad$/m);
    const um = runUmlts(['--rw', '--max-host-fds', '32', '--stats'], [g, du, '5000', '4']);
    assert.equal(um.stdout, native.stdout, um.describe());
    assert.equal(um.code, 0, um.describe());
    const s = stats(um.stderr);
    assert.equal(s.budget, 32);
    assert.ok(s.peak <= 32, `peak ${s.peak} over the budget`);
    assert.ok(s.reclaimed >= 5000 && s.reopened >= 5000, JSON.stringify(s));
    assert.equal(s.handles, 0, 'every handle closed');
  } finally {
    rmScratch(dn);
    rmScratch(du);
  }
});

test('5000 files open at once under a host RLIMIT_NOFILE of 128 (prlimit), no flag: same output as native', (t) => {
  if (!hostHas('/usr/bin/prlimit')) return t.skip('no prlimit on the host');
  const g = buildGuest('fh_many');
  const dn = makeScratch('fhn'), du = makeScratch('fhu');
  try {
    const native = runNative([g, dn, '5000', '3']);
    assert.equal(native.code, 0, native.describe());
    const r = spawnSync('/usr/bin/prlimit', ['--nofile=128:128', process.execPath, CLI, 'run', '--rw', '--stats', '--cwd', '/', '--', g, du, '5000', '3'], {
      env: withPlatform(CLEAN_ENV), cwd: ROOT, encoding: 'utf8', timeout: 180_000, killSignal: 'SIGKILL', maxBuffer: 64 << 20,
    });
    trackUmltsPid(r.pid);
    assert.equal(r.stdout, native.stdout, r.stderr);
    assert.equal(r.status, 0, r.stderr);
    const s = stats(r.stderr);
    assert.ok(s.budget < 128, `budget ${s.budget} from RLIMIT_NOFILE 128`);
    assert.ok(s.reclaimed > 0 && s.reopened > 0, JSON.stringify(s));
  } finally {
    rmScratch(dn);
    rmScratch(du);
  }
});

test('unlink, rename and rename-over while open under fd pressure, renameat2, O_EXCL, O_APPEND, O_TMPFILE, fallocate, locks: as native', () => {
  const g = buildGuest('fh_ops');
  const dn = makeScratch('opn'), du = makeScratch('opu');
  try {
    const native = runNative([g, dn]);
    assert.equal(native.code, 0, native.describe());
    assert.match(native.stdout, /^read unlinked a: 10 'alpha-data'$/m);
    assert.match(native.stdout, /^read renamed b: 10 'bravo-more'$/m);
    const um = runUmlts(['--rw', '--max-host-fds', '16', '--stats'], [g, du]);
    assert.equal(um.stdout, native.stdout, um.describe());
    const s = stats(um.stderr);
    assert.ok(s.reclaimed > 0, 'the churn made reclaims happen');
  } finally {
    rmScratch(dn);
    rmScratch(du);
  }
});

test('the same under --mount (a hostfs of its own) with a forced reclaim before every operation', () => {
  const g = buildGuest('fh_ops');
  const dn = makeScratch('opn'), du = makeScratch('opu');
  try {
    const native = runNative([g, dn]);
    const um = runUmlts(['--mount', `${du}:/data`, '--max-host-fds', '8', '--stats'], [g, '/data'], {
      env: { ...CLEAN_ENV, UMLTS_TEST_RECLAIM_IN_OPS: '1' },
    });
    assert.equal(um.stdout, native.stdout, um.describe());
    const s = stats(um.stderr);
    assert.ok(s.reopened >= 100, `operations on open files reopened them: ${JSON.stringify(s)}`);
  } finally {
    rmScratch(dn);
    rmScratch(du);
  }
});

test('/proc/umlts/filehandles shows the counters; --mount :ro is read-only; the root stays ro', () => {
  const d = makeScratch('mnt');
  try {
    fs.writeFileSync(path.join(d, 'hello'), 'hello from the host\n');
    const r = runUmlts(['--mount', `${d}:/mnt/a`, '--mount', `${d}:/mnt/b:ro`, '--max-host-fds', '40'],
      [BUSYBOX, 'sh', '-c', 'cat /mnt/a/hello; echo x > /mnt/a/new; cat /mnt/a/new; echo y > /mnt/b/new2; echo y > /etc/umlts-nope; cat /proc/umlts/filehandles; grep /mnt /proc/mounts']);
    assert.match(r.stdout, /^hello from the host$/m, r.describe());
    assert.equal(fs.readFileSync(path.join(d, 'new'), 'utf8'), 'x\n');
    assert.ok(!fs.existsSync(path.join(d, 'new2')), 'wrote through a :ro mount');
    assert.ok(!fs.existsSync('/etc/umlts-nope'), 'wrote into the ro root');
    assert.match(r.stderr, /Read-only file system/);
    assert.match(r.stdout, /^budget 40$/m);
    assert.match(r.stdout, /^reclaimed \d+$/m);
    assert.match(r.stdout, /^pinned \d+$/m);
    assert.match(r.stdout, new RegExp(`^${d} /mnt/a hostfs rw`, 'm'));
    assert.match(r.stdout, new RegExp(`^${d} /mnt/b hostfs ro`, 'm'));
  } finally {
    rmScratch(d);
  }
});

test('bad --mount and --max-host-fds get one line and status 2', () => {
  for (const args of [['--mount', 'nocolon'], ['--mount', '/nonexistent-umlts:/x'], ['--mount', '/:relative'], ['--max-host-fds', '0']]) {
    const r = runUmlts(args, ['/bin/true']);
    assert.equal(r.code, 2, r.describe());
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.describe());
  }
});

test('four guest processes with 1000 files each at once, in separate directories, under one budget of 32', () => {
  const g = buildGuest('fh_many');
  const base = makeScratch('fh4');
  try {
    const native = runNative([g, base, '1000', '3']);
    const script = [1, 2, 3, 4].map((i) => `mkdir ${base}/p${i}; ${g} ${base}/p${i} 1000 3 > ${base}/p${i}.out &`).join(' ') + ' wait';
    const r = runUmlts(['--rw', '--max-host-fds', '32', '--stats'], [BUSYBOX, 'sh', '-c', script], { timeout: 240_000 });
    assert.equal(r.code, 0, r.describe());
    for (let i = 1; i <= 4; i++) assert.equal(fs.readFileSync(path.join(base, `p${i}.out`), 'utf8'), native.stdout, `process ${i}`);
    assert.ok(stats(r.stderr).peak <= 32);
  } finally {
    rmScratch(base);
  }
});

test('flock and record locks conflict between guest processes', () => {
  const d = makeScratch('lk');
  try {
    // busybox flock: the second holder waits for the first
    const script = `cd ${d}; (flock -x lockf sh -c 'echo first-in; sleep 0.3; echo first-out') & sleep 0.1; flock -x lockf echo second; wait`;
    const r = runUmlts(['--rw'], [BUSYBOX, 'sh', '-c', script], { timeout: 30_000 });
    assert.equal(r.stdout, 'first-in\nfirst-out\nsecond\n', r.describe());
  } finally {
    rmScratch(d);
  }
});

// "now" was Date.now()'s milliseconds: a touch right after a host file was made or written gave it an earlier mtime
// than the host had given it (CPython's test_pathlib test_touch_common), and tmpfs's clock went back by up to a ms
test('a touch (utimensat NULL, UTIME_NOW, utimes NULL) never moves a file\'s mtime back: host files and tmpfs, as native', () => {
  const g = buildGuest('touch_now');
  const dir = makeScratch('touch');
  try {
    const { native } = assertSameAsNative([g, dir], ['--mount', `${dir}:${dir}`]);
    assert.match(native.stdout, /^utimensat NULL after create went back: 0 times$/m);
    assertSameAsNative([g, '/dev/shm']);
  } finally {
    rmScratch(dir);
  }
});
