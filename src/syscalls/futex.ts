/**
 * futex(2): WAIT/WAKE (and their BITSET forms), keyed by address space and
 * address (private and shared alike for now: shared memory across processes
 * comes later). A waiter sleeps until a WAKE picks it or its timeout passes.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { monotonicNs } from '../kernel/events.js';
import { Regs } from '../platform/regs.js';
import type { FutexWait } from '../kernel/futex.js';
import { A0, A1, A2, A3, A5 } from './types.js';
import { readU32, readTimespec } from './uaccess.js';

const FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10;
const FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;

/** futex(2) */
export function sys_futex(t: Task, r: Regs): number {
  const uaddr = r.get(A0), op = r.getI32(A1), val = r.getU32(A2), timeout = r.get(A3), val3 = r.getU32(A5);
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  if (uaddr % 4 !== 0) return -Errno.EINVAL;
  const table = t.kernel.futexes;
  switch (cmd) {
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
      const bits = cmd === FUTEX_WAKE ? 0xffffffff : val3;
      if (bits === 0) return -Errno.EINVAL;
      return table.wake(t, table.keyOf(t, uaddr, !(op & FUTEX_PRIVATE_FLAG)), val, bits);
    }
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      const bits = cmd === FUTEX_WAIT ? 0xffffffff : val3;
      if (bits === 0) return -Errno.EINVAL;
      const st = t.sc.state as FutexWait | null;
      if (st) {
        // re-run after a wake or the timeout
        t.sc.state = null;
        if (st.woken) return 0;
        table.remove(st);
        return -Errno.ETIMEDOUT;
      }
      if (readU32(t, uaddr) !== val) return -Errno.EAGAIN;
      const w: FutexWait = { task: t, key: table.keyOf(t, uaddr, !(op & FUTEX_PRIVATE_FLAG)), bitset: bits, woken: false, timedOut: false, timer: null };
      if (timeout) {
        const ns = readTimespec(t, timeout);
        // FUTEX_WAIT takes a relative timeout; WAIT_BITSET an absolute one
        let deadline: bigint;
        if (cmd === FUTEX_WAIT) deadline = monotonicNs() + ns;
        else if (op & FUTEX_CLOCK_REALTIME) deadline = monotonicNs() + (ns - t.kernel.realtimeNs());
        else deadline = ns;
        w.timer = t.kernel.events.addTimer(deadline, () => {
          w.timedOut = true;
          t.kernel.wake(t);
        });
      }
      table.add(w);
      t.sc.state = w;
      // a signal (or the thread's end) takes it off the queue: a stale
      // waiter would swallow a wake meant for a live one
      t.sc.cleanup = () => {
        table.remove(w);
        if (w.timer) t.kernel.events.cancelTimer(w.timer);
      };
      return t.sleep();
    }
    default:
      return -Errno.ENOSYS; // requeue, PI and op futexes: with threads (issue 3)
  }
}
