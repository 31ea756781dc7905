// Syscall patching on systrap (issue 14, item 7; src/mm/syscall_patch.ts and
// stub.c's stub_fast_entry): a `mov $nr, %eax; syscall` site that keeps
// trapping becomes a jump into the stub's fast entry, which must behave as
// the syscall instruction does (registers, flags, red zone, threads, fork,
// restarts through the old instruction's place, a program that takes gs,
// signals whose kicks come while a call waits in the fast entry),
// and must be really taken (the site's bytes change under systrap, not
// under ptrace or UMLTS_PATCH=0).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { CLEAN_ENV, buildGuest, runUmlts, assertNoLeftovers, assertSameAsNative } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('patched syscall sites behave as the syscall instruction, natively and on both platforms', () => {
  const g = buildGuest('syscall_patch', ['-pthread']);
  for (const platform of ['systrap', 'ptrace']) assertSameAsNative([g], ['--platform', platform], { timeout: 60_000 });
  // sites are patched only in a thread that polls (UMLTS_SPIN=1: every thread does; UMLTS_SPIN=0: none, nothing is
  // patched); a call that blocks has the fast entry sleep in its futex, and a kick can come in the middle of it
  for (const env of [{ UMLTS_PATCH: '0' }, { UMLTS_SPIN: '0' }, { UMLTS_SPIN: '1' }]) {
    assertSameAsNative([g], ['--platform', 'systrap'], { timeout: 60_000, env: { ...CLEAN_ENV, ...env } });
  }
});

test('a site that keeps trapping is patched on systrap, and only there', () => {
  const g = buildGuest('syscall_patch', ['-pthread']);
  const site = (args, env = CLEAN_ENV) => {
    const r = runUmlts(args, [g, 'show'], { env });
    assert.equal(r.status, 0, r.describe());
    return r.stdout;
  };
  // patched only in a thread that polls for its replies (UMLTS_SPIN=1: every thread; beside the kernel each trap
  // and reply costs two context switches anyway, and a patched call's gs base more); a signal delivered at a
  // patched call's return puts its site back (its frame needs the FPU state the call's post lacks: a round trip
  // through the handler every time)
  const after = 'kill site after a signal there: syscall, handler ran 1, fpu kept 1\n';
  const spin = { ...CLEAN_ENV, UMLTS_SPIN: '1' };
  assert.equal(site(['--platform', 'systrap'], spin), `getppid stable: 1\nsite: patched\nsyscall(): patched\nkill site: patched\n${after}`);
  const unpatched = `getppid stable: 1\nsite: syscall\nsyscall(): syscall\nkill site: syscall\n${after}`;
  assert.equal(site(['--platform', 'ptrace'], spin), unpatched);
  assert.equal(site(['--platform', 'systrap'], { ...spin, UMLTS_PATCH: '0' }), unpatched);
  assert.equal(site(['--platform', 'systrap'], { ...CLEAN_ENV, UMLTS_SPIN: '0' }), unpatched);
});

test("a forked child shares its parent's patched code pages: no copy ahead, no fault for them", () => {
  // the kill site is put back while a child shares its page: a write by the kernel, not the guest, is no hint
  // for fork's copies ahead (a copy of a page in a file mapping the host has mapped costs the child a fault)
  const r = runUmlts(['--platform', 'systrap', '--stats'], [buildGuest('syscall_patch', ['-pthread']), 'forks'],
    { env: { ...CLEAN_ENV, UMLTS_SPIN: '1' } });
  assert.equal(r.status, 0, r.describe());
  assert.equal(r.stdout, 'getppid stable: 1\nchildren that saw their parent: 50 of 50\n');
  const faults = Number(/mm: faults=(\d+)/.exec(r.stderr)?.[1]);
  assert.ok(faults < 25, `50 children, ${faults} guest faults\n${r.stderr}`);
});
