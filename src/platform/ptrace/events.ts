/**
 * Host events for a kernel that sleeps in waitpid: timers and host file
 * descriptors (the terminal, later sockets).
 *
 * One epoll instance holds a timerfd and every watched host fd (oneshot). The
 * waker (platform.ts) — a traced helper process spawned from the stub binary,
 * sharing the epoll instance through fd inheritance — polls it and traps
 * when it is readable, so its stop arrives through the same waitpid the
 * guests' traps do. The platform then takes the events here (epoll_wait
 * with no timeout), runs the expired timers and the fd callbacks, and lets
 * the waker poll again.
 *
 * A platform whose own wait can time out (systrap sleeps on a futex) keeps
 * the timers out of the epoll instance (`timerfd` false): it sleeps no
 * longer than dueMs says and calls runExpired itself. A timer then costs no
 * host call to arm or cancel, and its expiry no round trip through the
 * waker (the balance timer alone fired hundreds of times a second).
 *
 * Ownership: one PtraceEvents per platform, touched only on the JS thread.
 */
import * as host from '../../host/libc.js';
import { HostEvents, Timer, monotonicNs } from '../platform.js';

const TIMERFD_TAG = 0xffffffff;

/** the latest deadline the timerfd can be armed for (int64 ns) */
const TIMERFD_MAX_NS = (1n << 63n) - 1n;

/** monotonicNs() at performance.now()'s zero (both read CLOCK_MONOTONIC): deadlines as performance.now() values.
 * Read between two performance.now() (the first call of all loads its module, ~1 ms), the closest pair of a few:
 * the estimate is off by up to half their gap, and a pair a preemption split moves every deadline that much
 * (dueMs 3 µs early, past dueMs's 2 µs of margin, once in a test run: test/time.test.mjs). */
const PERF_ORIGIN_NS = ((): bigint => {
  performance.now();
  let gap = Infinity, origin = 0n;
  for (let i = 0; i < 8; i++) {
    const before = performance.now(), ns = process.hrtime.bigint(), after = performance.now();
    if (after - before >= gap) continue;
    gap = after - before;
    origin = ns - BigInt(Math.round(((before + after) / 2) * 1e6));
  }
  return origin;
})();

export class PtraceEvents implements HostEvents {
  /** the epoll instance the waker polls; immutable */
  readonly epfd: number;
  /** immutable */
  private readonly timerfd: number;
  /** pending timers, sorted by deadline (small counts: a sorted array is enough); guarded by the JS thread */
  private timers: Timer[] = [];
  /** the deadline the timerfd is armed for (0n: disarmed); guarded by the JS thread */
  private armedFor = 0n;
  /** host fd -> callback, for oneshot watches; guarded by the JS thread */
  private readonly watches = new Map<number, () => void>();
  /** epoll_wait / timerfd read buffers; guarded by the JS thread, used synchronously only */
  private readonly evbuf = new Uint8Array(12 * 64);
  private readonly drain = new Uint8Array(8);
  /** the first timer's deadline as a performance.now() value (Infinity: none), for an owner that watches
   * deadlines itself (timerfd false; rounded up: the timer has expired once performance.now() reaches it);
   * guarded by the JS thread */
  dueMs = Infinity;

  /** timerfd: arm a timerfd in the epoll instance (the waker wakes the owner when a timer expires); false:
   * the owner's wait looks at dueMs. Immutable. */
  constructor(private readonly useTimerfd = true) {
    this.epfd = host.epollCreate1(host.EPOLL_CLOEXEC);
    this.timerfd = host.timerfdCreate(host.CLOCK_MONOTONIC, host.TFD_CLOEXEC | host.TFD_NONBLOCK);
    if (host.epollCtl(this.epfd, host.EPOLL_CTL_ADD, this.timerfd, host.EPOLLIN, TIMERFD_TAG) < 0) {
      throw new Error('epoll_ctl(timerfd) failed');
    }
  }

  /** Run fire() at the monotonic deadline (ns). */
  addTimer(deadline: bigint, fire: () => void): Timer {
    const t: Timer = { deadline, fire, armed: true };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.deadline > deadline) i--;
    this.timers.splice(i, 0, t);
    this.rearm();
    return t;
  }
  cancelTimer(t: Timer): void {
    if (!t.armed) return;
    t.armed = false;
    const i = this.timers.indexOf(t);
    if (i >= 0) this.timers.splice(i, 1);
    this.rearm();
  }
  private rearm(): void {
    // the host takes what a timespec holds: a deadline at or before the
    // clock's zero (an absolute time long past, converted from another
    // clock) fires at once — 1 ns, as 0 would disarm the timerfd — and one
    // beyond 2^63 ns never comes anyway
    const first = this.timers[0]?.deadline;
    if (!this.useTimerfd) {
      // whole µs, plus 2: past dueMs the deadline has passed on monotonicNs() too, whatever the conversion lost
      this.dueMs = first === undefined ? Infinity : (Math.ceil(Number(first - PERF_ORIGIN_NS) / 1e3) + 2) / 1e3;
      return;
    }
    const next = first === undefined ? 0n : first < 1n ? 1n : first > TIMERFD_MAX_NS ? TIMERFD_MAX_NS : first;
    if (next === this.armedFor) return;
    this.armedFor = next;
    host.timerfdSetAbs(this.timerfd, next);
  }

  /** Call cb once when host fd becomes ready for events (EPOLLIN/EPOLLOUT). Returns false if fd cannot be polled (a regular file: always ready). */
  watch(fd: number, events: number, cb: () => void): boolean {
    const had = this.watches.has(fd);
    this.watches.set(fd, cb);
    const op = had ? host.EPOLL_CTL_MOD : host.EPOLL_CTL_ADD;
    let r = host.epollCtl(this.epfd, op, fd, events | host.EPOLLONESHOT, fd);
    if (r === -17 /* EEXIST */ || r === -2 /* ENOENT */) {
      r = host.epollCtl(this.epfd, r === -17 ? host.EPOLL_CTL_MOD : host.EPOLL_CTL_ADD, fd, events | host.EPOLLONESHOT, fd);
    }
    if (r < 0) {
      this.watches.delete(fd);
      return false;
    }
    return true;
  }

  unwatch(fd: number): void {
    if (!this.watches.delete(fd)) return;
    host.epollCtl(this.epfd, host.EPOLL_CTL_DEL, fd, 0, fd);
  }

  /** Host signals that reach the waker (through the relay): subscribers by signal number.
   * Filled by the front end before the kernel runs, read on the JS thread after. */
  readonly hostSignalHandlers = new Map<number, () => void>();

  /** The waker stopped: with SIGTRAP it trapped after poll (events ready);
   * with another signal, the relay sent it one (suppressed, then handled).
   * The caller resumes the waker. */
  onWakerStop(sig = 5): void {
    if (sig !== 5) {
      this.hostSignalHandlers.get(sig)?.();
      return;
    }
    this.pollNow();
    this.runExpired();
  }

  /** Run the callbacks of the watched fds that are ready now (epoll_wait without waiting); how many. */
  pollNow(): number {
    const n = host.epollWait(this.epfd, this.evbuf, 0);
    const dv = new DataView(this.evbuf.buffer);
    for (let i = 0; i < n; i++) {
      const tag = dv.getUint32(i * 12 + 4, true);
      if (tag === TIMERFD_TAG) {
        host.read(this.timerfd, this.drain);
        continue;
      }
      const cb = this.watches.get(tag);
      this.watches.delete(tag);
      cb?.();
    }
    return n > 0 ? n : 0;
  }

  /** Fire every timer whose deadline has passed; how many fired. */
  runExpired(): number {
    const now = monotonicNs();
    let n = 0;
    while (this.timers.length > 0 && this.timers[0]!.deadline <= now) {
      const t = this.timers.shift()!;
      t.armed = false;
      n++;
      t.fire();
    }
    this.rearm();
    return n;
  }

  close(): void {
    host.close(this.timerfd);
    host.close(this.epfd);
  }
}
