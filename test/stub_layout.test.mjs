// The stub layout is written once in C (native/stub/layout.h) and mirrored in
// src/platform/stub_layout.ts: compile layout_dump.c and check every value,
// and check the built stub's symbols sit in its one code page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as L from '../dist/platform/stub_layout.js';

const root = new URL('..', import.meta.url).pathname;

test('every layout.h constant equals its stub_layout.ts mirror', () => {
  const dir = mkdtempSync(join(tmpdir(), 'umlts-layout-'));
  const exe = join(dir, 'layout_dump');
  execFileSync('cc', ['-O0', '-o', exe, join(root, 'native/stub/layout_dump.c')]);
  const out = execFileSync(exe, { encoding: 'utf8' }).trim().split('\n');
  assert.ok(out.length >= 15, 'layout_dump printed the constants');
  for (const line of out) {
    const [name, value] = line.split(' ');
    assert.ok(name in L, `${name} is mirrored in stub_layout.ts`);
    assert.equal(L[name], Number(value), `${name}`);
  }
});

test('the stub entry points are inside the code page, and the guest range ends 64 GiB below it', () => {
  const syms = L.loadStubSymbols();
  for (const [name, addr] of Object.entries(syms)) {
    assert.ok(addr >= L.STUB_CODE && addr < L.STUB_CODE + L.STUB_CODE_SIZE, `${name} in the code page`);
  }
  assert.equal(L.STUB_START - L.GUEST_TASK_SIZE, 2 ** 36, 'the seccomp filter relies on this gap');
  assert.ok(L.STUB_WAKER_STACK >= L.STUB_END, "the waker's stack page lies beyond the stub's pages");
  // the runner and the clone entry each own exactly one syscall instruction (the filter allows by address)
  assert.ok(syms.stub_run_batch < syms.stub_batch_syscall && syms.stub_batch_syscall < syms.stub_batch_trap);
  assert.ok(syms.stub_clone_thread < syms.stub_clone_syscall && syms.stub_clone_syscall < syms.stub_clone_trap);
});

test('the stub has two read+exec segments (the entry points and the start-up code) and no writable data', () => {
  const out = execFileSync('readelf', ['-lW', join(root, 'build/native/umlts-stub')], { encoding: 'utf8' });
  const loads = out.split('\n').filter((l) => /^\s+LOAD/.test(l));
  assert.equal(loads.length, 2);
  for (const l of loads) assert.match(l, /R E/);
  const vaddr = (l) => parseInt(l.trim().split(/\s+/)[2], 16);
  assert.equal(vaddr(loads[0]), L.STUB_CODE, 'the entry points are the code page');
  assert.equal(vaddr(loads[1]), L.STUB_SETUP, 'the start-up code is where the stub unmaps it');
  const text = readFileSync(join(root, 'build/native/stub.syms'), 'utf8');
  assert.match(text, /stub_run_batch/);
});
