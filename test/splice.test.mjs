// sendfile, splice, tee, copy_file_range, preadv2/pwritev2, RLIMIT_FSIZE, 64-bit offsets and
// locks: what moves,
// what stays behind, offsets, limits and errors, compared with the host
// kernel on a host directory and on tmpfs.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertNoLeftovers, assertSameAsNative, makeScratch, rmScratch, runUmlts, runNative } from './lib.mjs';

afterEach(() => assertNoLeftovers());

/** Run guest g natively and under umlts, each with a scratch directory of its own, and compare. */
function differential(g, check) {
  const dn = makeScratch('spn'), du = makeScratch('spu');
  try {
    const native = runNative([g, dn], { timeout: 60_000 });
    assert.equal(native.code, 0, native.describe());
    check(native.stdout);
    const um = runUmlts(['--rw'], [g, du], { timeout: 60_000 });
    assert.equal(um.stdout, native.stdout, um.describe());
    assert.equal(um.code, 0, um.describe());
  } finally {
    rmScratch(dn);
    rmScratch(du);
  }
}

test('sendfile, splice, tee and copy_file_range between files, pipes and sockets', () => {
  differential(buildGuest('splice'), (out) => {
    assert.match(out, /from a pipe: EINVAL\n/);
    assert.match(out, /socket into one free page: some \(1\), nothing lost: 1\n/);
    assert.match(out, /a megabyte into a socket the child drains: 1000000, all arrived: 1\n/);
    assert.match(out, /negative in: EOVERFLOW\n/);
    assert.match(out, /across filesystems: EXDEV\n/);
    assert.match(out, /RWF_NOWAIT on an empty pipe: EAGAIN\n/);
  });
});

test('RLIMIT_FSIZE: short writes, EFBIG and SIGXFSZ for regular files only', () => {
  differential(buildGuest('fsize'), (out) => {
    assert.match(out, /write 1500: 1000\nwrite at the limit: EFBIG\n/);
    assert.match(out, /default action: signaled 1 by 25\n/);
  });
});

test('64-bit record locks, offsets past 4 GiB, F_NOTIFY', () => {
  differential(buildGuest('lock64'), (out) => {
    assert.match(out, /at OFFSET_MAX, 2 bytes: EOVERFLOW\n/);
    assert.match(out, /getlk 3221225522\+1: WR start 3221225472 len 100 pid parent\n/);
    assert.match(out, /after an unlink: 3\n/);
  });
});

test('record locks and flock at their edges: error order, OFD F_UNLCK, every close of the file drops POSIX locks', () => {
  differential(buildGuest('lock_edges'), (out) => {
    assert.match(out, /ofd getlk bad type, overflow: EOVERFLOW\n/);
    assert.match(out, /ofd getlk unlck: own: type 1 whence 0 start 0 len 5 pid -1\n/);
    assert.match(out, /after dup2 over a dup: (\. ){20}\| first 2 0 0\n/);
    assert.match(out, /flock LOCK_MAND, bad fd: OK\n/);
    assert.match(out, /after an exec closing a cloexec fd: (\. ){20}\| first 2 0 0\n/);
    assert.match(out, /after an exec closing nothing of it: (w ){5}(\. ){15}\| first 1 0 5\n/);
  });
});

test('vmsplice: pages into a pipe and out, what fits, waits that only SPLICE_F_NONBLOCK avoids, EPIPE with SIGPIPE, the checks in order', () => {
  const { native } = assertSameAsNative([buildGuest('vmsplice')], [], { timeout: 60_000 });
  assert.match(native.stdout, /^32 pages into a 16-page pipe: 65536$/m);
  assert.match(native.stdout, /^full, O_NONBLOCK pipe, no flag \(waits, then the alarm\): -1 EINTR$/m);
  assert.match(native.stdout, /^no reader: -1 EPIPE, SIGPIPE 1$/m);
});
