/**
 * timerfd (fs/timerfd.c): a timer whose expiries are read as a u64 count.
 *
 * The timer is a deadline on CLOCK_MONOTONIC armed as a kernel timer (the
 * TimerfdClock the syscall layer hands in; fs does not see the kernel).
 * Expiries are counted lazily as well: read, poll and gettime first catch
 * up with the clock (timerfd_read's hrtimer_forward_now), so a read that
 * races the timer callback still sees the expiry. As Linux's
 * timerfd_tmrproc, an expiry does not re-arm a periodic timer: the next
 * read or gettime does, so a guest's 1 ns period never fires faster than
 * it reads. A timer on a realtime
 * clock keeps its wall-clock expiry: when the guest's wall clock is set,
 * clockWasSet() moves the monotonic deadline (hrtimers on CLOCK_REALTIME
 * follow clock jumps) and, for TFD_TIMER_CANCEL_ON_SET, makes the next read
 * fail with ECANCELED.
 *
 * Ownership: touched only on the JS thread, by the syscalls of the tasks
 * holding the file and by its kernel timer's callback.
 */
import { Errno } from '../abi/errno.js';
import { TFD_IOC_SET_TICKS } from '../abi/time.js';
import { UserMemory } from './file.js';
import { AnonInodeFile } from './eventfd.js';
import { WaitQueue, POLLIN } from './waitqueue.js';

/** What a timerfd needs of the kernel's time: its clocks and its timers. */
export interface TimerfdClock {
  /** CLOCK_MONOTONIC, ns (the timers' clock) */
  monotonic(): bigint;
  /** the guest's CLOCK_REALTIME, ns */
  realtime(): bigint;
  addTimer(deadline: bigint, fire: () => void): object;
  cancelTimer(t: object): void;
  /** files on a realtime clock, told when the guest's wall clock is set; owned by the kernel */
  readonly clockWatchers: Set<{ clockWasSet(): void }>;
}

export class TimerFd extends AnonInodeFile {
  /** next expiry, CLOCK_MONOTONIC ns; null while disarmed; guarded by the JS thread */
  private expires: bigint | null = null;
  /** period, ns (0: one-shot) */
  private interval = 0n;
  /** expiries not yet read (ctx->ticks) */
  private ticks = 0n;
  /** the kernel timer armed for `expires`, if any */
  private timer: object | null = null;
  /** for a realtime clock: wall clock minus monotonic when `expires` was computed */
  private realOffset = 0n;
  /** TFD_TIMER_CANCEL_ON_SET was given with an absolute realtime expiry (ctx->might_cancel) */
  private mightCancel = false;
  /** the wall clock was set since: the next read says ECANCELED */
  private canceled = false;
  /** the last timerfd_settime's flags (ctx->settime_flags), for fdinfo */
  settimeFlags = 0;
  /** immutable reference */
  private readonly wq = new WaitQueue();
  /** scratch for the 8-byte count; used synchronously only */
  private readonly buf8 = new Uint8Array(8);
  private readonly view = new DataView(this.buf8.buffer);

  constructor(
    /** the clock id; immutable */ readonly clockid: number,
    /** follows the wall clock (CLOCK_REALTIME, CLOCK_REALTIME_ALARM); immutable */ private readonly realtime: boolean,
    flags: number,
    private readonly clock: TimerfdClock,
  ) {
    super(flags, 'anon_inode:[timerfd]');
    if (realtime) clock.clockWatchers.add(this);
  }

  override get waitq(): WaitQueue {
    return this.wq;
  }
  /** a read, no write */
  protected override hasIo(write: boolean): boolean {
    return !write;
  }

  /**
   * timerfd_settime's work: arm at a monotonic expiry (null: disarm), then
   * every interval. The count of unread expiries starts again.
   */
  settime(expires: bigint | null, interval: bigint, cancelOnSet: boolean): void {
    this.disarm();
    this.ticks = 0n;
    this.canceled = false;
    this.mightCancel = cancelOnSet && this.realtime;
    this.interval = interval; // kept even when disarmed: gettime reports it (timerfd_setup)
    this.expires = expires;
    if (this.realtime) this.realOffset = this.clock.realtime() - this.clock.monotonic();
    this.arm();
  }

  /** timerfd_gettime: [interval, time to the next expiry] in ns, 0 when disarmed or expired. */
  gettime(): [bigint, bigint] {
    const now = this.clock.monotonic();
    this.catchUp(now, true);
    if (this.expires === null) return [this.interval, 0n];
    return [this.interval, this.expires > now ? this.expires - now : 0n];
  }

  /** timerfd_read: the count, at least 8 bytes; EAGAIN while none, ECANCELED once after a clock set. */
  override read(buf: Uint8Array, _pos: number | null): number {
    if (buf.length < 8) return -Errno.EINVAL;
    this.catchUp(this.clock.monotonic(), true);
    if (this.canceled) {
      this.canceled = false;
      this.ticks = 0n;
      return -Errno.ECANCELED;
    }
    if (this.ticks === 0n) return -Errno.EAGAIN;
    this.view.setBigUint64(0, this.ticks, true);
    this.ticks = 0n;
    buf.set(this.buf8);
    return 8;
  }

  /** timerfd_show: the clock, unread expiries, settime's flags and the time left, as (seconds, ns) */
  override fdinfo(): string {
    const [interval, value] = this.gettime();
    const ts = (ns: bigint): string => `(${ns / 1000000000n}, ${ns % 1000000000n})`;
    return `clockid: ${this.clockid}\nticks: ${this.ticks}\nsettime flags: 0${this.settimeFlags.toString(8)}\n` +
      `it_value: ${ts(value)}\nit_interval: ${ts(interval)}\n`;
  }

  /** timerfd_poll: readable with expiries unread or after a clock set. */
  override poll(): number {
    this.catchUp(this.clock.monotonic(), false);
    return this.ticks > 0n || this.canceled ? POLLIN : 0;
  }

  /** timerfd_ioctl: TFD_IOC_SET_TICKS (checkpoint/restore) sets the count. */
  override ioctl(req: number, arg: number, mem: UserMemory): number {
    if (req !== TFD_IOC_SET_TICKS) return -Errno.ENOTTY;
    const ticks = new DataView(mem.read(arg, 8).slice().buffer).getBigUint64(0, true);
    if (ticks === 0n) return -Errno.EINVAL;
    if (this.canceled) return -Errno.ECANCELED;
    this.ticks = ticks;
    this.wq.wake(POLLIN);
    return 0;
  }

  /** timerfd_clock_was_set: the guest's wall clock moved; follow it, and cancel if asked to. */
  clockWasSet(): void {
    if (this.expires === null) return;
    const offset = this.clock.realtime() - this.clock.monotonic();
    this.disarm();
    this.expires += this.realOffset - offset;
    this.realOffset = offset;
    this.arm();
    if (this.mightCancel) {
      this.canceled = true;
      this.wq.wake(POLLIN);
    }
  }

  /** Count the expiries passed by `now` (hrtimer_forward_now); restart: arm for the next one (read, gettime). */
  private catchUp(now: bigint, restart: boolean): void {
    if (this.expires !== null && this.expires <= now) {
      if (this.interval > 0n) {
        const n = (now - this.expires) / this.interval + 1n;
        this.ticks += n;
        this.expires += n * this.interval;
      } else {
        this.ticks += 1n;
        this.expires = null;
      }
      this.disarm();
    }
    if (restart) this.arm();
  }

  private fire(): void {
    this.timer = null;
    const before = this.ticks;
    this.catchUp(this.clock.monotonic(), false);
    if (this.ticks === before) this.arm(); // a callback a little early finds `expires` still ahead: wait again
    else this.wq.wake(POLLIN);
  }

  private arm(): void {
    if (this.expires !== null && this.timer === null && !this.released) {
      // a deadline in the past fires at once; the platform's timers want one after the clock's zero
      this.timer = this.clock.addTimer(this.expires > 0n ? this.expires : 1n, () => this.fire());
    }
  }

  private disarm(): void {
    if (this.timer) this.clock.cancelTimer(this.timer);
    this.timer = null;
  }

  protected override release(): void {
    this.disarm();
    this.expires = null;
    this.clock.clockWatchers.delete(this);
  }
}
