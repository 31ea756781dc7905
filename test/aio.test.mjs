// Linux native AIO (io_setup, io_submit, io_getevents, io_pgetevents, io_cancel, io_destroy), compared with the host
// kernel on both platforms: the ring libaio reads (magic, size, events taken in user space), reads and writes of a
// file, syncs, eventfd notification, poll requests done at once, later and cancelled, a signal ending a wait, a
// fork's child without the context, a waiting request's hold on its file until its process exits, and the errors in
// Linux's order.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers, makeScratch, rmScratch, runUmlts } from './lib.mjs';

afterEach(() => assertNoLeftovers());

for (const platform of ['systrap', 'ptrace']) {
  test(`native AIO (${platform})`, () => {
    const g = buildGuest('aio');
    const { native } = assertSameAsNative([g], ['--platform', platform], { timeout: 60_000 });
    assert.match(native.stdout, /ring: magic a10a10a1 nr 2047 head 0 tail 0 compat 1 incompat 0 header 32\n/);
    assert.match(native.stdout, /ring mapping: 64 KiB, rw-s, named \/\[aio\] \(deleted\)\n/);
    assert.match(native.stdout, /read back: "hello aio" "second"\n/);
    assert.match(native.stdout, /after a write: 1 events\n {2}data 23 res 65 res2 0\n/);
    assert.match(native.stdout, /cancel it: -1 EINPROGRESS\n/);
    assert.match(native.stdout, /child: submit on the parent's context: -1 EINVAL\n/);
    assert.match(native.stdout, /write once the child exited: -1 EPIPE\n/);
    assert.match(native.stdout, /\ndone\n$/);
  });
}

// A real program nobody here wrote: fio's libaio engine (libaio's io_getevents reads the ring in user space) writes a
// file with 16 requests in flight and reads it back, checking every block's checksum. Its terse line's fields 4-5 are
// the error count and its errno (0 and 0); field 6 the KiB read.
test('fio with libaio: random reads and writes at queue depth 16, verified', () => {
  const dir = makeScratch('fio');
  try {
    const fio = ['fio', '--name=t', '--ioengine=libaio', '--filename=f1', '--size=4M', '--bs=4k', '--rw=randrw', '--iodepth=16',
      '--verify=crc32c', '--do_verify=1', '--minimal'].join(' ');
    const um = runUmlts(['--mount', `${dir}:${dir}`], ['/bin/sh', '-c', `cd ${dir} && exec ${fio}`], { timeout: 120_000 });
    assert.equal(um.code, 0, um.describe());
    const f = um.stdout.trim().split('\n').at(-1).split(';');
    assert.deepEqual(f.slice(0, 6), ['3', f[1], 't', '0', '0', '4096'], um.describe());
    assert.match(f[1], /^fio-/);
    assert.doesNotMatch(um.stderr, /unimplemented syscall/, um.describe());
  } finally {
    rmScratch(dir);
  }
});
