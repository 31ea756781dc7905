/**
 * pipe(2), pipe2(2), eventfd(2), eventfd2(2): the syscalls that make the
 * anonymous files of fs/pipe.ts and fs/eventfd.ts.
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1 } from './types.js';
import { O_CLOEXEC, O_DIRECT, O_EXCL, O_NONBLOCK, O_RDWR } from '../fs/types.js';
import { createPipe } from '../fs/pipe.js';
import { EventFd, EFD_SEMAPHORE } from '../fs/eventfd.js';
import { copyOut, UserPtr } from './uaccess.js';

/** O_NOTIFICATION_PIPE (watch_queue(7)) shares O_EXCL's bit */
const O_NOTIFICATION_PIPE = O_EXCL;

/** do_pipe2: both fds or neither; EMFILE before EFAULT, as Linux reserves the fds first. */
function doPipe2(t: Task, fds: UserPtr, flags: number): number {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE)) return -Errno.EINVAL;
  if (flags & O_NOTIFICATION_PIPE) return -Errno.ENOPKG; // no watch queues (as without CONFIG_WATCH_QUEUE)
  const [rd, wr] = createPipe(flags & (O_NONBLOCK | O_DIRECT), t.creds.fsuid, t.creds.fsgid);
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const rfd = t.files.install(rd, cloexec);
  if (rfd < 0) {
    wr.put();
    return rfd;
  }
  const wfd = t.files.install(wr, cloexec);
  if (wfd < 0) {
    t.files.close(rfd);
    return wfd;
  }
  const b = new Int32Array([rfd, wfd]);
  try {
    copyOut(t, fds, new Uint8Array(b.buffer));
  } catch (e) {
    t.files.close(rfd);
    t.files.close(wfd);
    if (e instanceof ErrnoError) return -e.errno;
    throw e;
  }
  return 0;
}

/** pipe(2) */
export function sys_pipe(t: Task, r: Regs): number {
  return doPipe2(t, r.get(A0), 0);
}

/** pipe2(2) */
export function sys_pipe2(t: Task, r: Regs): number {
  return doPipe2(t, r.get(A0), r.getI32(A1));
}

function doEventfd(t: Task, count: number, flags: number): number {
  if (flags & ~(EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK)) return -Errno.EINVAL;
  const f = new EventFd(count, O_RDWR | (flags & O_NONBLOCK), (flags & EFD_SEMAPHORE) !== 0, t.kernel.nextEventfdId++);
  return t.files.install(f, (flags & O_CLOEXEC) !== 0);
}

/** eventfd(2) (the old call: no flags) */
export function sys_eventfd(t: Task, r: Regs): number {
  return doEventfd(t, r.getU32(A0), 0);
}

/** eventfd2(2) */
export function sys_eventfd2(t: Task, r: Regs): number {
  return doEventfd(t, r.getU32(A0), r.getI32(A1));
}
