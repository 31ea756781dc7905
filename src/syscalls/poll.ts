/**
 * poll(2), ppoll(2), select(2), pselect6(2) (fs/select.c), and MultiWait,
 * the sleep on many wait queues at once that epoll_wait shares.
 *
 * The first run decodes and copies the arguments into a call object kept in
 * t.sc.state; every run (the first, and each re-run after a wake) polls
 * every file, and either completes or registers on the wait queues of the
 * files that were not ready and sleeps. A wake re-runs the scan, so a
 * spurious one costs a scan and nothing else. The deadline is a kernel
 * timer; the kernel cancels it and the registrations through
 * t.sc.cleanup when a signal ends the sleep, which is also where
 * ppoll/select/pselect6 write the remaining time back (as Linux does on any
 * return, so a restarted call waits only what was left).
 *
 * Linux semantics kept: ready fds win over a pending signal; a pending
 * signal ends the call with ERESTARTNOHAND (EINTR after a handler, restarted
 * otherwise); POLLNVAL for a closed fd in poll, EBADF in select (checked
 * once, at the start); select truncates nfds to the fd table's size
 * (fdt->max_fds) and writes back whole longs; a zero timeout is never
 * written back.
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { monotonicNs, Timer } from '../kernel/events.js';
import { ERESTARTNOHAND, ERESTART_RESTARTBLOCK } from '../kernel/signal.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4, A5, BLOCKED } from './types.js';
import {
  copyIn, copyOut, readStruct, readTimespec, getTimeval, writeTimespec, writeTimeval, readSigmask, NSEC_PER_SEC, UserPtr,
} from './uaccess.js';
import type { File } from '../fs/file.js';
import {
  WaitQueue, Waiter, POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND,
} from '../fs/waitqueue.js';

/** Deadlines further than this are never reached: no timer is armed for them. */
const FOREVER_NS = 100n * 365n * 86400n * NSEC_PER_SEC;

/**
 * A sleep on several wait queues with an optional deadline (Linux's
 * poll_wqueues plus schedule_hrtimeout). Owned by the sleeping task's
 * syscall; lives in its syscallState between runs.
 */
export class MultiWait {
  private readonly queues = new Set<WaitQueue>();
  private readonly waiter: Waiter;
  private timer: Timer | null = null;
  private fired = false;

  constructor(
    readonly task: Task,
    /** CLOCK_MONOTONIC deadline in ns; null: none */
    readonly deadline: bigint | null,
  ) {
    this.waiter = () => task.kernel.wake(task);
  }

  /** The deadline has passed (a zero timeout has always passed). */
  get expired(): boolean {
    return this.deadline !== null && (this.fired || monotonicNs() >= this.deadline);
  }
  /** Time left, ns (0 once expired); null without a deadline. */
  remaining(): bigint | null {
    if (this.deadline === null) return null;
    const r = this.deadline - monotonicNs();
    return r > 0n ? r : 0n;
  }

  /** Be woken when wq is (null: a file that never changes). */
  watch(wq: WaitQueue | null): void {
    if (!wq || this.queues.has(wq)) return;
    this.queues.add(wq);
    wq.add(this.waiter);
  }
  unwatch(): void {
    for (const q of this.queues) q.remove(this.waiter);
    this.queues.clear();
  }

  /** Sleep until a watched queue wakes, the deadline or a signal. onInterrupt runs if a signal ends the sleep
   * (a number it returns is the call's result). */
  sleep(onInterrupt?: () => number | void): number {
    const t = this.task, k = t.kernel;
    if (this.deadline !== null && !this.timer && this.deadline - monotonicNs() < FOREVER_NS) {
      this.timer = k.events.addTimer(this.deadline, () => {
        this.timer = null;
        this.fired = true;
        k.wake(t);
      });
    }
    t.sc.cleanup = () => {
      this.done();
      return onInterrupt?.();
    };
    return t.sleep();
  }

  /** The call is over: drop the registrations and the timer. */
  done(): void {
    this.unwatch();
    if (this.timer) {
      this.task.kernel.events.cancelTimer(this.timer);
      this.timer = null;
    }
  }
}

/** Run one pass of a MultiWait-based call; on any final result (or a throw) release its wait. */
export function runPass(w: MultiWait, pass: () => number): number {
  let ret = BLOCKED;
  try {
    ret = pass();
  } finally {
    if (ret !== BLOCKED) w.done();
  }
  return ret;
}

// ---- timeouts and signal masks ------------------------------------------------------------

/**
 * A struct timespec timeout (poll_select_set_timeout): the monotonic
 * deadline (0n for a zero timeout); EINVAL out of range. A NULL pointer:
 * null (forever).
 */
export function timespecDeadline(t: Task, addr: UserPtr): bigint | null {
  if (!addr) return null;
  const ns = readTimespec(t, addr);
  return ns === 0n ? 0n : monotonicNs() + ns;
}

/** A struct timeval timeout (kern_select): usec past a second carries, negative values are EINVAL. */
function timevalDeadline(t: Task, addr: UserPtr): bigint | null {
  if (!addr) return null;
  const tv = getTimeval(t, addr);
  // C division truncates toward zero, like BigInt's
  const sec = tv.sec + tv.usec / 1000000n, nsec = (tv.usec % 1000000n) * 1000n;
  if (sec < 0n || nsec < 0n) throw new ErrnoError(Errno.EINVAL);
  return sec === 0n && nsec === 0n ? 0n : monotonicNs() + sec * NSEC_PER_SEC + nsec;
}

/** poll_select_finish: write the time left back (not for a zero or absent timeout); a fault is ignored. */
function writeRemaining(t: Task, w: MultiWait, addr: UserPtr, timeval: boolean): void {
  if (!addr || w.deadline === null || w.deadline === 0n) return;
  const rem = w.remaining()!;
  try {
    if (timeval) writeTimeval(t, addr, rem);
    else writeTimespec(t, addr, rem);
  } catch (e) {
    if (!(e instanceof ErrnoError)) throw e;
  }
}

/** Readiness of a file for poll and select. */
function pollFile(f: File): number {
  return f.poll();
}

// ---- poll / ppoll -------------------------------------------------------------------------

class PollCall {
  constructor(
    readonly wait: MultiWait,
    /** the guest's struct pollfd array and our copy of it */
    readonly ufds: number,
    readonly pfds: Uint8Array,
    /** ppoll's timespec, written back; 0 for poll */
    readonly tsp: number,
    /** poll(2): a signal ends it with ERESTART_RESTARTBLOCK (restartPoll) */
    readonly isPoll: boolean,
  ) {}
}

/**
 * poll(2) that a signal ended: EINTR after a handler; otherwise (a stop)
 * restart_syscall polls again until the same deadline (do_restart_poll),
 * not for the whole timeout once more.
 */
function restartPoll(t: Task, st: PollCall): number {
  const ufds = st.ufds, nfds = st.pfds.length / 8, deadline = st.wait.deadline;
  t.restartBlock = (rt) => {
    const again = rt.sc.state;
    return again instanceof PollCall ? runPoll(rt, again) : startPoll(rt, ufds, nfds, deadline, 0, true);
  };
  return -ERESTART_RESTARTBLOCK;
}

/** do_sys_poll after the timeout and mask are decoded: copy the pollfds, then the first pass. */
function startPoll(t: Task, ufds: number, nfds: number, deadline: bigint | null, tsp: number, isPoll: boolean): number {
  if (nfds > t.files.limit) return -Errno.EINVAL; // RLIMIT_NOFILE
  const pfds = copyIn(t, ufds, nfds * 8);
  const st = new PollCall(new MultiWait(t, deadline), ufds, pfds, tsp, isPoll);
  t.sc.state = st;
  return runPoll(t, st);
}

/** One pass of do_poll. */
function runPoll(t: Task, st: PollCall): number {
  const w = st.wait;
  return runPass(w, () => {
    w.unwatch();
    const n = st.pfds.length / 8;
    const dv = new DataView(st.pfds.buffer, st.pfds.byteOffset, st.pfds.byteLength);
    const timedOut = w.expired;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const fd = dv.getInt32(i * 8, true);
      let mask = 0;
      if (fd >= 0) {
        const f = t.files.get(fd);
        if (!f) mask = POLLNVAL;
        else {
          mask = pollFile(f) & (dv.getUint16(i * 8 + 4, true) | POLLERR | POLLHUP);
          if (!mask && !timedOut && count === 0) w.watch(f.waitq);
        }
      }
      dv.setUint16(i * 8 + 6, mask, true);
      if (mask) count++;
    }
    if (!count && !timedOut) {
      if (!t.kernel.hasDeliverable(t)) {
        return w.sleep(() => {
          finishPoll(t, st, true);
          return st.isPoll ? restartPoll(t, st) : undefined;
        });
      }
      count = st.isPoll ? restartPoll(t, st) : -ERESTARTNOHAND;
    }
    finishPoll(t, st, false);
    return count;
  });
}

/** Write the revents back (and ppoll's time left). At an interruption a fault is ignored: the result is already EINTR. */
function finishPoll(t: Task, st: PollCall, interrupted: boolean): void {
  try {
    if (st.pfds.length) copyOut(t, st.ufds, st.pfds);
  } catch (e) {
    if (!(e instanceof ErrnoError) || !interrupted) throw e;
  }
  writeRemaining(t, st.wait, st.tsp, false);
}

/** poll(2) */
export function sys_poll(t: Task, r: Regs): number {
  const st = t.sc.state;
  if (st instanceof PollCall) return runPoll(t, st);
  const ufds = r.get(A0), nfds = r.getU32(A1), ms = r.getI32(A2);
  const deadline = ms < 0 ? null : ms === 0 ? 0n : monotonicNs() + BigInt(ms) * 1000000n;
  return startPoll(t, ufds, nfds, deadline, 0, true);
}

/** ppoll(2) */
export function sys_ppoll(t: Task, r: Regs): number {
  const st = t.sc.state;
  if (st instanceof PollCall) return runPoll(t, st);
  const ufds = r.get(A0), nfds = r.getU32(A1), tsp = r.get(A2), sigmask = r.get(A3), sigsetsize = r.get(A4);
  const deadline = timespecDeadline(t, tsp);
  const mask = readSigmask(t, sigmask, sigsetsize);
  if (nfds > t.files.limit) return -Errno.EINVAL;
  if (mask) t.kernel.setTempSigmask(t, mask[0], mask[1]);
  return startPoll(t, ufds, nfds, deadline, tsp, false);
}

// ---- select / pselect6 ------------------------------------------------------------------

const POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const POLLEX_SET = POLLPRI;

class SelectCall {
  constructor(
    readonly wait: MultiWait,
    /** fds below n are looked at */
    readonly n: number,
    /** guest addresses of the three sets (0: NULL) and our copies */
    readonly inp: number,
    readonly outp: number,
    readonly exp: number,
    readonly fin: Uint8Array,
    readonly fout: Uint8Array,
    readonly fex: Uint8Array,
    /** the timeout to write back (0: none) and its kind */
    readonly tvp: number,
    readonly timeval: boolean,
  ) {}
}

/** fdt->max_fds: the size the fd table has grown to (64, then powers of two times 128). */
function fdTableSize(t: Task): number {
  const fds = t.files.list();
  const top = fds.length ? fds[fds.length - 1]! : 0;
  if (top < 64) return 64;
  return 2 ** Math.ceil(Math.log2(Math.floor(top / 128) + 1)) * 128;
}

/** core_sys_select after the timeout and mask are decoded. */
function startSelect(t: Task, nfds: number, inp: number, outp: number, exp: number, deadline: bigint | null, tvp: number, timeval: boolean): number {
  if (nfds < 0) return -Errno.EINVAL;
  const n = Math.min(nfds, fdTableSize(t));
  const bytes = Math.ceil(n / 64) * 8;
  const get = (p: UserPtr): Uint8Array => (p ? copyIn(t, p, bytes) : new Uint8Array(bytes));
  const fin = get(inp), fout = get(outp), fex = get(exp);
  // max_select_fd: every fd named must be open
  for (let fd = 0; fd < n; fd++) {
    const bit = 1 << (fd & 7), byte = fd >> 3;
    if (((fin[byte]! | fout[byte]! | fex[byte]!) & bit) && !t.files.get(fd)) return -Errno.EBADF;
  }
  const st = new SelectCall(new MultiWait(t, deadline), n, inp, outp, exp, fin, fout, fex, tvp, timeval);
  t.sc.state = st;
  return runSelect(t, st);
}

/** One pass of do_select. */
function runSelect(t: Task, st: SelectCall): number {
  const w = st.wait;
  return runPass(w, () => {
    w.unwatch();
    const len = st.fin.length;
    const rin = new Uint8Array(len), rout = new Uint8Array(len), rex = new Uint8Array(len);
    const timedOut = w.expired;
    let count = 0;
    for (let fd = 0; fd < st.n; fd++) {
      const bit = 1 << (fd & 7), byte = fd >> 3;
      const want = (st.fin[byte]! | st.fout[byte]! | st.fex[byte]!) & bit;
      if (!want) continue;
      const f = t.files.get(fd);
      if (!f) continue; // closed since the start: Linux skips it
      const mask = pollFile(f);
      let hit = false;
      if (mask & POLLIN_SET && st.fin[byte]! & bit) {
        rin[byte] = rin[byte]! | bit;
        count++;
        hit = true;
      }
      if (mask & POLLOUT_SET && st.fout[byte]! & bit) {
        rout[byte] = rout[byte]! | bit;
        count++;
        hit = true;
      }
      if (mask & POLLEX_SET && st.fex[byte]! & bit) {
        rex[byte] = rex[byte]! | bit;
        count++;
        hit = true;
      }
      if (!hit && !timedOut && count === 0) w.watch(f.waitq);
    }
    if (!count && !timedOut) {
      if (!t.kernel.hasDeliverable(t)) return w.sleep(() => writeRemaining(t, w, st.tvp, st.timeval));
      writeRemaining(t, w, st.tvp, st.timeval);
      return -ERESTARTNOHAND;
    }
    writeRemaining(t, w, st.tvp, st.timeval);
    if (st.inp) copyOut(t, st.inp, rin);
    if (st.outp) copyOut(t, st.outp, rout);
    if (st.exp) copyOut(t, st.exp, rex);
    return count;
  });
}

/** select(2) */
export function sys_select(t: Task, r: Regs): number {
  const st = t.sc.state;
  if (st instanceof SelectCall) return runSelect(t, st);
  const nfds = r.getI32(A0), inp = r.get(A1), outp = r.get(A2), exp = r.get(A3), tvp = r.get(A4);
  const deadline = timevalDeadline(t, tvp);
  return startSelect(t, nfds, inp, outp, exp, deadline, tvp, true);
}

/** pselect6(2): the sixth argument points at { const sigset_t *ss; size_t ss_len; }. */
export function sys_pselect6(t: Task, r: Regs): number {
  const st = t.sc.state;
  if (st instanceof SelectCall) return runSelect(t, st);
  const nfds = r.getI32(A0), inp = r.get(A1), outp = r.get(A2), exp = r.get(A3), tsp = r.get(A4), sig = r.get(A5);
  let ss = 0, ssLen = 0;
  if (sig) {
    const dv = readStruct(t, sig, 16);
    ss = Number(dv.getBigUint64(0, true));
    ssLen = Number(dv.getBigUint64(8, true));
  }
  const deadline = timespecDeadline(t, tsp);
  const mask = readSigmask(t, ss, ssLen);
  if (nfds < 0) return -Errno.EINVAL;
  if (mask) t.kernel.setTempSigmask(t, mask[0], mask[1]);
  return startSelect(t, nfds, inp, outp, exp, deadline, tsp, false);
}
