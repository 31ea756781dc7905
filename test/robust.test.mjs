// Robust by construction (issue 11): what a guest's call meets inside the
// kernel stays that guest's.
//  - An unexpected exception inside a syscall handler (a kernel bug,
//    injected with UMLTS_TEST_INJECT): that process is killed with one
//    line naming the call and the error; its sibling and parent go on.
//  - A KernelPanic: everything ends, one line, status 70, no host process
//    left.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, runUmlts, assertNoLeftovers, CLEAN_ENV, lines } from './lib.mjs';

afterEach(() => assertNoLeftovers());

const noKernelError = (r) => assert.doesNotMatch(r.stderr, /kernel error|internal error/, r.describe());

test('an internal error in a handler kills that process only, with one line', () => {
  const bin = buildGuest('contained', ['-pthread']);
  const r = runUmlts([], [bin], { env: { ...CLEAN_ENV, UMLTS_TEST_INJECT: 'internal:getppid' } });
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, 'victim: killed by signal 9\nbystander: exit 7\ndone\n', r.describe());
  const err = lines(r.stderr);
  assert.equal(err.length, 1, r.describe());
  assert.match(err[0], /^umlts: pid \d+ \(contained\): internal error in getppid: TypeError: injected fault in getppid; process killed$/);
  assert.doesNotMatch(r.stderr, /kernel error|^\s+at /m);
});

test('a KernelPanic ends everything: one line, status 70, no host process left', () => {
  const bin = buildGuest('contained', ['-pthread']);
  const r = runUmlts([], [bin], { env: { ...CLEAN_ENV, UMLTS_TEST_INJECT: 'panic:getppid' } });
  assert.equal(r.code, 70, r.describe());
  assert.equal(r.stderr, 'umlts: kernel error: injected panic in getppid\n', r.describe());
  assert.doesNotMatch(r.stdout, /victim|done/);
  assertNoLeftovers();
});

test('UMLTS_TEST_INJECT with a bad item: a usage error, no kernel started', () => {
  const r = runUmlts([], ['/bin/true'], { env: { ...CLEAN_ENV, UMLTS_TEST_INJECT: 'internal:nosuchcall' } });
  assert.equal(r.code, 2, r.describe());
  assert.equal(r.stderr, "umlts: bad UMLTS_TEST_INJECT item 'internal:nosuchcall'\n");
});
