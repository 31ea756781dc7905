// Pipes: differential tests of one-process semantics (capacity, PIPE_BUF
// atomicity, F_SETPIPE_SZ, EOF, EPIPE/SIGPIPE, packet mode) and of pipes
// between processes (shell pipelines, blocking both ways, SIGPIPE deaths).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers, runUmlts, BUSYBOX } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('pipe in one process: capacity, atomicity, F_SETPIPE_SZ, EOF, EPIPE, O_DIRECT', () => {
  const g = buildGuest('pipe_basic');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /1-byte writes: 65536\n/);
  assert.match(native.stdout, /after reading 100: write 4096 EAGAIN/);
});

test('pipes between processes: blocking, EOF, atomic PIPE_BUF writes from many writers, SIGPIPE', () => {
  const g = buildGuest('pipe_fork');
  const { native } = assertSameAsNative([g], [], { timeout: 60_000 });
  assert.doesNotMatch(native.stdout, /FAIL/);
});

test('blocking pipe writes larger than the pipe: written whole; a signal after part returns the part', () => {
  const g = buildGuest('pipe_block');
  const { native } = assertSameAsNative([g], [], { timeout: 60_000 });
  assert.match(native.stdout, /one write of 1 MiB to a slow reader: 1048576\n/);
  assert.match(native.stdout, /blocked write interrupted \(SA_RESTART 1\): 65536 \n/);
  assert.match(native.stdout, /write into a full pipe, interrupted: -1 EINTR\n/);
  assert.match(native.stdout, /read into a bad address: -1 EFAULT\nthen: 3 abc\n/);
});

test('yes | head -n 100000 | sort | uniq -c', () => {
  const r = runUmlts([], [BUSYBOX, 'sh', '-c', 'yes | head -n 100000 | sort | uniq -c'], { timeout: 60_000 });
  assert.equal(r.stdout.trim().replace(/\s+/g, ' '), '100000 y', r.describe());
  assert.equal(r.code, 0, r.describe());
});

test('shell pipelines match native', () => {
  const sh = (s) => [BUSYBOX, 'sh', '-c', s];
  assertSameAsNative(sh('seq 1 20000 | grep 7 | wc -l'));
  assertSameAsNative(sh('echo one two three | tr " " "\\n" | sort -r | cat -n'));
  assertSameAsNative(sh('seq 1 5 | while read x; do echo "line $x" | tr a-z A-Z; done'));
  assertSameAsNative(sh('x=$(seq 1 3000 | tail -n 1); echo "got $x"'));
  assertSameAsNative(sh('yes abc | head -c 200000 | md5sum'));
});

// import_iovec and import_ubuf check every buffer against the end of user space before anything moves (a read
// into a kernel address took the pipe's data, then failed); pipe_write keeps no part of a page whose copy faulted
test('buffers past user space are EFAULT before anything moves; a pipe keeps only the whole pages of a faulting write', () => {
  const g = buildGuest('iov_fault');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^the data is still there: 4 OK$/m);
  assert.match(native.stdout, /^writev a page and a fault, to a pipe: 4096 OK$/m);
});

// copies that fault part-way move the pages before the fault (a pipe buffer whole or not at all), and a call that
// sleeps keeps the buffers it started with (iov_iter, pipe_write's wait for room up to the fault)
test('partial buffers: reads and writes up to an unmapped page, a sleeping write whose buffer or iovec changes', () => {
  const g = buildGuest('partial_io', ['-pthread']);
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^pwrite across the end of the mapping: 100 \n/m);
  assert.match(native.stdout, /^pipe read across the end of the mapping: -1 Bad address\nwhat the pipe kept: 300 \n/m);
  assert.match(native.stdout, /^write, its second half unmapped while it waits: 131072 , the reader got 131072\n/m);
  assert.match(native.stdout, /^writev, its second length made 0 while it waits: 262144 /m);
  assert.match(native.stdout, /^readv, its iovec array unmapped while it waits: 2  "hi"\n/m);
});
