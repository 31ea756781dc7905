// Linux native AIO (io_setup, io_submit, io_getevents, io_pgetevents, io_cancel, io_destroy), compared with the host
// kernel on both platforms: the ring libaio reads (magic, size, events taken in user space), reads and writes of a
// file, syncs, eventfd notification, poll requests done at once, later and cancelled, a signal ending a wait, a
// fork's child without the context, a waiting request's hold on its file until its process exits, and the errors in
// Linux's order.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers } from './lib.mjs';

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
