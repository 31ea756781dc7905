// Differential memory tests: mmap/munmap/mprotect/mremap/madvise, brk, and a
// sparse 512 MB mapping; same output and status natively and under umlts.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers, runNative } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('mmap, munmap, mprotect, mremap, madvise edge cases and errno values', () => {
  const g = buildGuest('mm_mmap');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /\ndone\n$/, 'the guest ran to the end natively');
});

test('brk and sbrk: growth, shrink, data preserved, refused moves', () => {
  const g = buildGuest('mm_brk');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /grow 1 MB: delta 1048576\n/);
});

test('512 MB sparse anonymous mapping touched here and there', () => {
  const g = buildGuest('mm_sparse');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /values verified: 1\nuntouched bytes zero: 1\n/);
});

test('the mmap guest is deterministic natively (a flaky guest would make the differential test meaningless)', () => {
  const g = buildGuest('mm_mmap');
  assert.equal(runNative([g]).stdout, runNative([g]).stdout);
});
