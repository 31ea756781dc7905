// System V IPC: shared memory, semaphores and message queues, compared with
// the host kernel (facts only: ids, times and pids are not printed).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('shmget/shmat/shmdt/shmctl, semget/semop/semtimedop/semctl, msgget/msgsnd/msgrcv/msgctl', () => {
  const g = buildGuest('sysvipc');
  const { native } = assertSameAsNative([g], [], { timeout: 60_000 });
  assert.match(native.stdout, /after the child: from the child, nattch 2\n/);
  assert.match(native.stdout, /SEM_UNDO in a child that exits: status 0, values back 3 0\n/);
  assert.match(native.stdout, /a receiver waits for type 7: child status 0\n/);
  assert.match(native.stdout, /MSG_COPY into 1 byte: E2BIG\nMSG_COPY\|MSG_NOERROR into 1 byte: EINVAL\n/);
});
