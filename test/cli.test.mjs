// The umlts command line: help, version, environment, cwd, strace, argv and
// exit status propagation.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, BUSYBOX, CLEAN_ENV, buildGuest, runUmlts, assertSameAsNative, assertNoLeftovers, assertOneLineError, lines, assertSameText, makeScratch, rmScratch } from './lib.mjs';

afterEach(() => assertNoLeftovers());

const envOf = (out) => lines(out).filter((l) => l.startsWith('env ')).map((l) => l.slice(4));

test('--help prints usage and exits 0; its options are the README\'s flag table, each in both', () => {
  const r = runUmlts(['--help'], [], { raw: true });
  assert.equal(r.code, 0, r.describe());
  for (const want of ['run', '--root', '--rw', '--mem', '--cpus', '--env', '--cwd', '--inherit-env', '--strace']) {
    assert.ok(r.stdout.includes(want), `--help does not mention ${want}:\n${r.stdout}`);
  }
  const help = [...r.stdout.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]).sort();
  const readme = [...fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').matchAll(/^\| `(--[a-z-]+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(help, readme);
});

test('--version prints the package version and exits 0', () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const r = runUmlts(['--version'], [], { raw: true });
  assert.equal(r.code, 0, r.describe());
  assert.ok(r.stdout.includes(version), `want ${version} in ${JSON.stringify(r.stdout)}`);
  assert.equal(lines(r.stdout).length, 1);
});

test('argv reaches the guest unchanged', () => {
  const g = buildGuest('hello');
  const argvOnly = (s) => lines(s).filter((l) => l.startsWith('argv') || l.startsWith('argc')).join('\n');
  const args = ['one', 'two words', '', 'ünïcødé', '--strace', '-x', 'a=b', ' lead', 'x'.repeat(5000)];
  const { umlts } = assertSameAsNative([g, ...args], [], { filter: argvOnly });
  assert.match(umlts.stdout, /^argv\[2\]=two words$/m);
});

test('the guest gets a clean environment: PATH, HOME, TERM and --env', () => {
  const g = buildGuest('hello');
  const r = runUmlts(['--env', 'FOO=bar', '--env', 'EMPTY=', '--env', 'SPACES=a b  c', '--env', 'EQ=x=y'], [g],
    { env: { ...CLEAN_ENV, UMLTS_TEST_MARK: 'leaked' } });
  assert.equal(r.code, 3, r.describe());
  const env = envOf(r.stdout);
  for (const want of ['FOO=bar', 'EMPTY=', 'SPACES=a b  c', 'EQ=x=y']) assert.ok(env.includes(want), `missing ${want} in\n${r.stdout}`);
  const keys = env.map((e) => e.split('=')[0]);
  for (const k of keys) assert.ok(['PATH', 'HOME', 'TERM', 'FOO', 'EMPTY', 'SPACES', 'EQ'].includes(k), `unexpected ${k} in a clean environment`);
  assert.ok(keys.includes('PATH') && keys.includes('HOME') && keys.includes('TERM'), `PATH, HOME, TERM not all set:\n${r.stdout}`);
});

test('--env overrides the defaults', () => {
  const g = buildGuest('hello');
  const r = runUmlts(['--env', 'PATH=/only/here', '--env', 'HOME=/nowhere'], [g]);
  const env = envOf(r.stdout);
  assert.ok(env.includes('PATH=/only/here'), r.stdout);
  assert.ok(env.includes('HOME=/nowhere'), r.stdout);
  assert.equal(env.filter((e) => e.startsWith('PATH=')).length, 1, 'PATH twice');
});

test('--inherit-env passes umlts\'s own environment', () => {
  const g = buildGuest('hello');
  const r = runUmlts(['--inherit-env'], [g], { env: { ...CLEAN_ENV, UMLTS_TEST_MARK: 'marker-123' } });
  assert.equal(r.code, 3, r.describe());
  assert.ok(envOf(r.stdout).includes('UMLTS_TEST_MARK=marker-123'), r.stdout);
  const r2 = runUmlts(['--inherit-env', '--env', 'UMLTS_TEST_MARK=override'], [g], { env: { ...CLEAN_ENV, UMLTS_TEST_MARK: 'marker-123' } });
  assert.ok(envOf(r2.stdout).includes('UMLTS_TEST_MARK=override'), r2.stdout);
});

test('--cwd sets the guest\'s working directory', () => {
  const r = runUmlts(['--cwd', '/usr/include'], [BUSYBOX, 'pwd']);
  assert.equal(r.stdout, '/usr/include\n', r.describe());
  const r2 = runUmlts(['--cwd', '/usr/include'], [BUSYBOX, 'cat', 'stdio.h']);
  assertSameText(r2.stdout, fs.readFileSync('/usr/include/stdio.h', 'utf8'), r2.describe());
});

test('--strace prints each syscall like strace', () => {
  const r = runUmlts(['--strace'], [BUSYBOX, 'echo', 'hi']);
  assert.equal(r.stdout, 'hi\n', r.describe());
  assert.equal(r.code, 0, r.describe());
  assert.match(r.stderr, /^write\(1, "hi\\n", 3\) += 3$/m, r.describe());
  const r2 = runUmlts(['--strace'], [BUSYBOX, 'cat', '/nonexistent']);
  assert.match(r2.stderr, /^openat\(AT_FDCWD, "\/nonexistent", O_RDONLY[^)]*\) += -1 ENOENT\b/m, r2.describe());
});

test('without --strace nothing but the guest\'s own output reaches stderr', () => {
  const r = runUmlts([], [BUSYBOX, 'echo', 'hi']);
  assert.equal(r.stdout, 'hi\n', r.describe());
  assert.equal(r.stderr, '', r.describe());
});

test('exit status propagation', () => {
  const g = buildGuest('hello');
  for (const [argv, want] of [
    [[g], 3],
    [[g, 'exit=0'], 0],
    [[g, 'exit=255'], 255],
    [[g, 'exit=256'], 0],
    [[BUSYBOX, 'false'], 1],
    [[BUSYBOX, 'true'], 0],
    [[BUSYBOX, 'sh', '-c', 'exit 42'], 42],
  ]) {
    const r = runUmlts([], argv);
    assert.equal(r.code, want, `${argv.join(' ')}\n${r.describe()}`);
    assert.equal(r.signal, null, r.describe());
  }
});

test('a guest killed by a signal: 128+N', () => {
  const g = buildGuest('segv');
  const r = runUmlts([], [g]);
  assert.equal(r.status, 128 + 11, r.describe());
  const a = runUmlts([], [g, 'abort']);
  assert.equal(a.status, 128 + 6, a.describe());
});

test('the guest\'s stdout and stderr are separate', () => {
  const r = runUmlts([], [BUSYBOX, 'sh', '-c', 'echo out; echo err >&2']);
  assert.equal(r.stdout, 'out\n', r.describe());
  assert.equal(r.stderr, 'err\n', r.describe());
});

test('--tmpfs mounts an empty in-memory filesystem of the guest\'s own, with the mode given', () => {
  const r = runUmlts(['--tmpfs', '/nonexistent-dir:mode=1777', '--tmpfs', '/etc'], [BUSYBOX, 'sh', '-c',
    'stat -c "%a %F" /nonexistent-dir /etc; ls -A /etc | wc -l; echo x > /nonexistent-dir/f && cat /nonexistent-dir/f; grep -c "^tmpfs /etc tmpfs" /proc/mounts']);
  assert.equal(r.code, 0, r.describe());
  // /etc hides the root's /etc (the host file is untouched), and nothing was written to the host
  assert.equal(r.stdout, '1777 directory\n755 directory\n0\nx\n1\n');
  assert.ok(!fs.existsSync('/nonexistent-dir'));
  for (const [spec, why] of [['rel', 'must be absolute'], ['/x:mode=9', 'expected PATH'], ['/tmp', 'already a mount point']]) {
    const b = runUmlts(['--tmpfs', spec], [BUSYBOX, 'true']);
    assert.equal(b.code, 2, b.describe());
    assert.equal(lines(b.stderr).length, 1, b.stderr);
    assert.match(b.stderr, new RegExp(why));
  }
});

test('--no-new-privs starts the guest with no_new_privs, which its children keep (default: not set)', () => {
  const script = 'grep NoNewPrivs /proc/self/status; sh -c "grep NoNewPrivs /proc/self/status"';
  const r = runUmlts(['--no-new-privs'], [BUSYBOX, 'sh', '-c', script]);
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, 'NoNewPrivs:\t1\nNoNewPrivs:\t1\n', r.describe());
  const d = runUmlts([], [BUSYBOX, 'grep', 'NoNewPrivs', '/proc/self/status']);
  assert.equal(d.stdout, 'NoNewPrivs:\t0\n', d.describe());
});

test('--seccomp FILE: an OCI-style profile every guest process starts under; a bad file is one line, status 2', () => {
  const dir = makeScratch('seccomp');
  try {
    const file = path.join(dir, 'p.json');
    fs.writeFileSync(file, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 97 }, { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
    }));
    const r = runUmlts(['--seccomp', file], [BUSYBOX, 'sh', '-c', 'mkdir /tmp/x; echo mkdir $?; grep Seccomp: /proc/self/status; nc -l -p 1234 </dev/null; echo nc $?']);
    assert.equal(r.code, 0, r.describe());
    assert.equal(r.stdout, 'mkdir 1\nSeccomp:\t2\nnc 1\n', r.describe());
    assert.match(r.stderr, /Operation not permitted/);
    assert.match(r.stderr, /Address family not supported/);
    for (const [content, why] of [[null, 'no such file'], ['{', 'invalid JSON'], ['{"defaultAction":"SCMP_ACT_FLY"}', 'action "SCMP_ACT_FLY" is not supported'],
      ['{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":7,"op":"SCMP_CMP_EQ"}]}]}', 'index 7 is not 0 to 5']]) {
      const f = path.join(dir, 'bad.json');
      fs.rmSync(f, { force: true });
      if (content !== null) fs.writeFileSync(f, content);
      const b = runUmlts(['--seccomp', f], [BUSYBOX, 'true']);
      assertOneLineError(b, 2);
      assert.match(b.stderr, new RegExp(why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), b.describe());
    }
  } finally {
    rmScratch(dir);
  }
});

test('--cap-drop and --cap-add set the guest root\'s capabilities (docker\'s pair); a bad name is one line, status 2', () => {
  const r = runUmlts(['--cap-drop', 'ALL', '--cap-add', 'chown,CAP_NET_BIND_SERVICE'], [BUSYBOX, 'grep', 'Cap', '/proc/self/status']);
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, 'CapInh:\t0000000000000000\nCapPrm:\t0000000000000401\nCapEff:\t0000000000000401\n' +
    'CapBnd:\t0000000000000401\nCapAmb:\t0000000000000000\n');
  // what a dropped capability took away: root may no longer give a file away
  const c = runUmlts(['--cap-drop', 'CHOWN'], [BUSYBOX, 'sh', '-c', 'touch /tmp/f; chown 1 /tmp/f; echo $?']);
  assert.match(c.stdout, /^1$/m, c.describe());
  const bad = runUmlts(['--cap-drop', 'NET_RAW,FLY'], [BUSYBOX, 'true']);
  assertOneLineError(bad, 2);
  assert.match(bad.stderr, /--cap-drop: 'FLY' is not a capability/);
});
