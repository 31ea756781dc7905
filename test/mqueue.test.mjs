// POSIX message queues (mq_open, mq_unlink, mq_timedsend, mq_timedreceive, mq_notify, mq_getsetattr), compared with
// the host kernel on both platforms: names, attributes and limits, priority order, blocking hand-overs across
// processes, timeouts and signals, notification (SIGEV_SIGNAL, SIGEV_NONE, glibc's SIGEV_THREAD), permissions.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers } from './lib.mjs';

afterEach(() => assertNoLeftovers());

for (const platform of ['systrap', 'ptrace']) {
  test(`POSIX message queues (${platform})`, () => {
    const g = buildGuest('mqueue', ['-lrt', '-lpthread']);
    const { native } = assertSameAsNative([g], ['--platform', platform], { timeout: 60_000 });
    assert.match(native.stdout, /receive: 2 "bb" prio 5\nreceive: 2 "dd" prio 5\nreceive: 1 "a" prio 1\n/);
    assert.match(native.stdout, /signal 10 code -3 \(SI_MESGQ -3\) value 42 pid is the sender's 1 uid 0\n/);
    assert.match(native.stdout, /thread value 1234\n/);
    assert.match(native.stdout, /queues_max: at most 256 queues, then ENOSPC\n/);
    assert.match(native.stdout, /\ndone\n$/);
  });
}
