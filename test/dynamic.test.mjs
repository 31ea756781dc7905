// The host's dynamically linked programs (PT_INTERP, the host's ld.so loaded
// from the root) under umlts, compared with native runs.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { assertSameAsNative, assertNoLeftovers, runUmlts, hostHas, lines, CLEAN_ENV } from './lib.mjs';

afterEach(() => assertNoLeftovers());

function needs(t, file) {
  if (!hostHas(file)) { t.skip(`${file} is not installed on this host`); return false; }
  return true;
}

test('/bin/ls -la /usr', (t) => {
  if (!needs(t, '/bin/ls')) return;
  assertSameAsNative(['/bin/ls', '-la', '/usr']);
  assertSameAsNative(['/bin/ls', '-la', '--time-style=full-iso', '/usr/include/linux']);
});

test('/bin/cat of files and stdin', (t) => {
  if (!needs(t, '/bin/cat')) return;
  assertSameAsNative(['/bin/cat', '/etc/passwd', '/usr/include/stdio.h']);
  assertSameAsNative(['/bin/cat'], [], { input: 'from stdin\n'.repeat(10000) });
  assertSameAsNative(['/bin/cat', '/nonexistent']);
});

test('/usr/bin/sha256sum', (t) => {
  if (!needs(t, '/usr/bin/sha256sum')) return;
  assertSameAsNative(['/usr/bin/sha256sum', '/bin/busybox', '/etc/passwd']);
});

test('/usr/bin/env prints the clean environment plus --env', (t) => {
  if (!needs(t, '/usr/bin/env')) return;
  const r = runUmlts(['--env', 'UMLTS_FOO=bar baz'], ['/usr/bin/env'], { env: { ...CLEAN_ENV, UMLTS_NOT_INHERITED: '1' } });
  assert.equal(r.code, 0, r.describe());
  const env = lines(r.stdout);
  assert.ok(env.includes('UMLTS_FOO=bar baz'), r.describe());
  const keys = env.map((l) => l.split('=')[0]).sort();
  for (const k of keys) assert.ok(['PATH', 'HOME', 'TERM', 'UMLTS_FOO'].includes(k), `unexpected variable ${k} in a clean environment\n${r.stdout}`);
  assert.ok(keys.includes('PATH'), `no PATH in the guest environment\n${r.stdout}`);
});

test("dash -c 'echo $((6*7))'", (t) => {
  if (!needs(t, '/usr/bin/dash')) return;
  const { umlts } = assertSameAsNative(['/usr/bin/dash', '-c', 'echo $((6*7))']);
  assert.equal(umlts.stdout, '42\n');
  assertSameAsNative(['/usr/bin/dash', '-c', 'x=0; i=0; while [ $i -lt 1000 ]; do x=$((x+i*i)); i=$((i+1)); done; echo $x; exit 7']);
});
