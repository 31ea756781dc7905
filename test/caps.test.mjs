// Capabilities: capget/capset, the bounding and ambient sets, keepcaps and securebits, set*id and exec
// transforming the sets, and what each capability grants (DAC override and read-search, chown, fowner, low
// ports, nice), compared with the host kernel. The guest first drops what the host's bounding set lacks, so both
// sides start alike (a root that runs the tests may hold fewer than every capability).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { buildGuest, assertSameAsNative, assertNoLeftovers } from './lib.mjs';

afterEach(() => assertNoLeftovers());

const hostBset = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1];

for (const platform of ['systrap', 'ptrace']) {
  test(`capabilities as Linux keeps and checks them (${platform})`, () => {
    const g = buildGuest('caps');
    const { native } = assertSameAsNative([g, hostBset], ['--platform', platform], { timeout: 60_000 });
    // (the host's answers, so that a test run without root cannot pass by agreeing on errors)
    assert.match(native.stdout, /^\.\.\. without DAC_OVERRIDE, writing: -1 EACCES$/m);
    assert.match(native.stdout, /^after: e 0 p 0 i 0$/m);
    assert.match(native.stdout, /^after exec: CapAmb:\t0000000000000400$/m);
    assert.match(native.stdout, /^bind port 80 as uid 1000: 0$/m);
  });
}

for (const platform of ['systrap', 'ptrace']) {
  test(`no_new_privs: an exec gains no capability its caller was not permitted (${platform})`, () => {
    const g = buildGuest('nnp_exec');
    const { native } = assertSameAsNative([g], ['--platform', platform]);
    assert.match(native.stdout, /^exec: CAP_SYS_TIME permitted 1 effective 1, NoNewPrivs 0$/m);
    assert.match(native.stdout, /^exec-with-nnp: CAP_SYS_TIME permitted 0 effective 0, NoNewPrivs 1$/m);
  });
}

// Real tools that set capabilities up before they exec a program (util-linux's setpriv, libcap's capsh), each
// dropping first what the host's bounding set may lack
test('setpriv and capsh set the bounding, inheritable and ambient sets and the ids as on Linux', () => {
  assertSameAsNative(['/usr/bin/setpriv', '--bounding-set=-sys_resource,-net_raw', '--inh-caps=+net_bind_service',
    '--ambient-caps=+net_bind_service', '--reuid=1000', '--regid=1000', '--clear-groups', '/usr/bin/setpriv', '--dump']);
  const { native } = assertSameAsNative(['/usr/sbin/capsh', '--drop=cap_net_raw,cap_sys_resource',
    '--caps=cap_chown,cap_setuid,cap_setgid,cap_setpcap+ep', '--print']);
  assert.match(native.stdout, /^Current: cap_chown,cap_setgid,cap_setuid,cap_setpcap=ep$/m);
});
