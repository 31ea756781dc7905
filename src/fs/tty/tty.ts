/**
 * struct tty_struct: what every terminal shares, whatever drives it — the
 * console (tty/console.ts, a host terminal) or a pseudo-terminal
 * (tty/pty.ts). Job control (drivers/tty/tty_jobctrl.c: the session and
 * foreground process group, SIGTTIN/SIGTTOU, TIOCSCTTY...), the termios and
 * window-size ioctls (tty_ioctl.c, tty_io.c tiocswinsz) and reads through
 * the line discipline (n_tty.ts) live here; a driver supplies where input
 * comes from (fill) and what its hardware does on a new termios, a flush or
 * a flow change.
 *
 * Controlling terminals: Linux records the tty in each process
 * (signal->tty); here the tty records the session it controls (sid), and a
 * session's terminal is the one whose sid is its id (TtyJobs.sessionTty
 * asks every terminal). A session has at most one and a terminal controls
 * at most one session, so the two views agree; a new session (setsid) has
 * none, and the leader's exit frees it (leaderExited).
 *
 * Ownership: every field is guarded by the JS thread: syscall handlers of
 * any task holding the terminal, host-event callbacks (console input,
 * VTIME timers) and the kernel's exit path.
 */
import { Errno, ERESTARTSYS } from '../../abi/errno.js';
import * as host from '../../host/libc.js';
import type { UserMemory } from '../file.js';
import { WaitQueue, POLLIN, POLLOUT } from '../waitqueue.js';
import { major, minor } from '../node.js';
import { FIONREAD } from '../../abi/termios.js';
import {
  LineDiscipline, Termios, TERMIOS_SIZE, TERMIOS2_SIZE, SIGHUP, SIGCONT, SIGTTIN, SIGTTOU, SIGWINCH,
} from './n_tty.js';

/**
 * Host fd readiness notification, implemented by the kernel (kernel/events.ts
 * HostEvents: an epoll instance and a waker process). One-shot: cb runs once,
 * on the JS thread, after hostFd becomes ready for any of events (POLLIN /
 * POLLOUT; errors and hangups count as ready). A later watch() of the same fd
 * replaces the earlier one. Returns false if the fd cannot be watched (a
 * regular file, which is always ready).
 */
export interface HostWatch {
  watch(hostFd: number, events: number, cb: () => void): boolean;
}

/** The process whose syscall is on the terminal, as job control needs it. */
export interface TtyCaller {
  readonly pid: number;
  readonly pgid: number;
  readonly sid: number;
  /** sig is blocked by the calling thread or ignored (SIG_IGN) by its process (tty_io.c is_ignored) */
  ignores(sig: number): boolean;
  /** its process group is orphaned (no member has a parent in another group of the same session) */
  orphanedPgrp(): boolean;
}

/**
 * What the terminal needs from the kernel for job control (fs cannot import
 * the kernel). Without it the terminal has no job control: every caller is
 * in the foreground, and a signal character ends umlts as it would have
 * without umlts (the host terminal's own behaviour).
 */
export interface TtyJobs {
  /** the calling process (valid during a syscall) */
  caller(): TtyCaller;
  /** kill_pgrp: count or -ESRCH */
  signalPgrp(pgid: number, sig: number): number;
  /** the session of process group pgid, or -ESRCH if there is none */
  pgrpSession(pgid: number): number;
  /** send sig to process pid if it is alive (the session leader, on a hangup) */
  signalProcess?(pid: number, sig: number): void;
  /** the controlling terminal of session sid, or null (signal->tty) */
  sessionTty?(sid: number): TtyStruct | null;
}

export const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TCSBRK = 0x5409, TCXONC = 0x540a,
  TCFLSH = 0x540b, TIOCEXCL = 0x540c, TIOCNXCL = 0x540d, TIOCSCTTY = 0x540e, TIOCGPGRP = 0x540f, TIOCSPGRP = 0x5410,
  TIOCOUTQ = 0x5411, TIOCSTI = 0x5412, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414,
  TIOCPKT = 0x5420, TIOCNOTTY = 0x5422, TIOCSETD = 0x5423, TIOCGETD = 0x5424, TCSBRKP = 0x5425, TIOCGSID = 0x5429,
  TCGETS2 = 0x802c542a, TCSETS2 = 0x402c542b, TCSETSW2 = 0x402c542c, TCSETSF2 = 0x402c542d,
  TIOCGPTN = 0x80045430, TIOCSPTLCK = 0x40045431, TIOCSIG = 0x40045436, TIOCVHANGUP = 0x5437, TIOCGPKT = 0x80045438,
  TIOCGPTLCK = 0x80045439, TIOCGEXCL = 0x80045440, TIOCGPTPEER = 0x5441;
export const WINSIZE_SIZE = 8;
export const TCIFLUSH = 0, TCOFLUSH = 1, TCIOFLUSH = 2, TCOOFF = 0, TCOON = 1, TCIOFF = 2, TCION = 3;

export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}
export function i32At(mem: UserMemory, addr: number): number {
  return new DataView(mem.read(addr, 4).buffer).getInt32(0, true);
}

export abstract class TtyStruct {
  /** foreground process group (TIOCGPGRP/TIOCSPGRP), 0: none */
  fgPgrp: number;
  /** session the terminal controls (TIOCGSID), 0: none */
  sid: number;
  /** the line discipline; null until the driver has one (the console before start()) */
  ldisc: LineDiscipline | null = null;
  /** the kernel's job control; null: none (see TtyJobs) */
  jobs: TtyJobs | null = null;
  /** readers, writers and pollers of this side; immutable reference */
  readonly waitq = new WaitQueue();
  /** struct winsize as the guest sees it */
  protected readonly winsize = new Uint8Array(WINSIZE_SIZE);
  /** for the VTIME timer; set by the driver */
  protected watcher: HostWatch | null = null;
  /** VTIME: a timerfd and the deadline it is armed for */
  private timerFd = -1;
  private timerAt = 0n;
  /** when the pending (blocked) read began, for VMIN = 0 VTIME > 0; 0n: none */
  protected readStart = 0n;
  /** TIOCEXCL: further opens need privilege (only recorded) */
  protected exclusive = false;

  constructor(fgPgrp: number, sid: number) {
    this.fgPgrp = fgPgrp;
    this.sid = sid;
  }

  // ---- what a driver provides -----------------------------------------------------------

  /** Move input the driver holds into the line discipline (the console's host terminal, a pty's flip buffer). */
  protected abstract fill(): void;
  /** The device number /proc/<pid>/stat shows for this terminal, -1 if it is not one a process can have. */
  protected abstract ttyRdev(): number;
  /** A new termios is in force (the driver's set_termios). */
  protected setTermiosDriver(_old: Termios, _t: Termios): void {}
  /** Input was flushed (TCIFLUSH, TCSETSF, a signal character): the driver's part. */
  protected flushInputDriver(): void {}
  /** TCOFLUSH: the driver drops output not yet sent (tty_driver_flush_buffer). */
  protected flushOutputDriver(): void {}
  /** Output was stopped (VSTOP, TCOOFF) or started again: the driver's stop()/start(). */
  protected flowDriver(stopped: boolean): void {
    if (!stopped) this.waitq.wake(POLLOUT);
  }
  /** The session leader of this terminal's session exits; pty and console differ in SIGCONT (disassociate_ctty). */
  protected get hupContinues(): boolean {
    return true;
  }

  // ---- job control (tty_jobctrl.c) ------------------------------------------------------------

  /**
   * /proc/<pid>/stat's tty_nr and tpgid for a process of session sid: the
   * terminal's device number (new_encode_dev) and foreground group if the
   * session controls it, else 0 and -1.
   */
  ctty(sid: number): { ttyNr: number; tpgid: number } {
    const rdev = this.ttyRdev();
    if (rdev < 0 || sid === 0 || sid !== this.sid) return { ttyNr: 0, tpgid: -1 };
    const ma = major(rdev), mi = minor(rdev);
    return { ttyNr: ((mi & 0xff) | (ma << 8) | ((mi & ~0xff) << 12)) >>> 0, tpgid: this.fgPgrp || -1 };
  }

  /**
   * tty_check_change / job_control: a process of the terminal's session
   * outside the foreground group gets sig (SIGTTIN, SIGTTOU) and its syscall
   * restarts once it is continued (-ERESTARTSYS); -EIO when the signal is
   * ignored or blocked (SIGTTIN; SIGTTOU then lets the operation proceed) or
   * the group is orphaned.
   */
  protected checkChange(sig: number): number {
    if (!this.jobs) return 0;
    const c = this.jobs.caller();
    if (c.sid !== this.sid || this.fgPgrp === 0 || c.pgid === this.fgPgrp) return 0;
    if (c.ignores(sig)) return sig === SIGTTIN ? -Errno.EIO : 0;
    if (c.orphanedPgrp()) return -Errno.EIO;
    this.jobs.signalPgrp(c.pgid, sig);
    return -ERESTARTSYS;
  }

  /** tty_do_resize: a new size signals the foreground process group. */
  protected resize(ws: Uint8Array): void {
    if (ws.every((b, i) => b === this.winsize[i])) return;
    this.winsize.set(ws);
    if (this.fgPgrp > 0) this.jobs?.signalPgrp(this.fgPgrp, SIGWINCH);
  }

  /** A signal character: the foreground group gets it (isig). */
  protected isig(sig: number): void {
    if (this.jobs && this.fgPgrp > 0) this.jobs.signalPgrp(this.fgPgrp, sig);
  }

  /**
   * The session leader of sid exits or gives up the terminal
   * (disassociate_ctty): if it controls this terminal, the foreground group
   * gets SIGHUP (and SIGCONT, but not for a pty on exit) and the terminal
   * is free. For the kernel's exit path and TIOCNOTTY.
   */
  leaderExited(sid: number, onExit = true): void {
    if (sid !== this.sid || sid === 0) return;
    if (this.fgPgrp > 0 && this.jobs) {
      this.jobs.signalPgrp(this.fgPgrp, SIGHUP);
      if (!onExit || this.hupContinues) this.jobs.signalPgrp(this.fgPgrp, SIGCONT);
    }
    this.sid = 0;
    this.fgPgrp = 0;
  }

  /**
   * Make this the controlling terminal of the caller's session if the
   * caller is a session leader without one and the terminal is free
   * (tty_open_proc_set_tty, for an open without O_NOCTTY).
   */
  openSetCtty(): void {
    const c = this.jobs?.caller();
    if (!c || c.pid !== c.sid || this.sid !== 0) return;
    if (this.jobs?.sessionTty?.(c.sid)) return;
    this.sid = c.sid;
    this.fgPgrp = c.pgid;
  }

  // ---- reads and polls through the line discipline ------------------------------------------

  /** n_tty_read with job control (the caller checks hangups first). */
  protected readLdisc(buf: Uint8Array): number {
    const l = this.ldisc!;
    const jc = this.checkChange(SIGTTIN);
    if (jc) return jc;
    this.fill();
    const now = process.hrtime.bigint();
    if (this.readStart === 0n) this.readStart = now;
    const n = l.read(buf, now, this.readStart);
    if (n === -Errno.EAGAIN) {
      this.armTimer(l.wakeAt);
      return n;
    }
    this.readStart = 0n;
    if (n > 0) this.fill(); // room again: take more input
    return n;
  }

  /** Wake readers at a VTIME deadline. */
  private armTimer(at: bigint): void {
    if (at === 0n || !this.watcher || (this.timerAt !== 0n && this.timerAt <= at && this.timerAt > process.hrtime.bigint())) return;
    if (this.timerFd < 0) this.timerFd = host.timerfdCreate(host.CLOCK_MONOTONIC, host.TFD_CLOEXEC | host.TFD_NONBLOCK);
    this.timerAt = at;
    host.timerfdSetAbs(this.timerFd, at);
    this.watcher.watch(this.timerFd, POLLIN, () => {
      host.read(this.timerFd, new Uint8Array(8));
      this.timerAt = 0n;
      this.waitq.wake(POLLIN);
    });
  }

  /** Give back the VTIME timer's host fd (the terminal is gone). */
  protected releaseTimer(): void {
    if (this.timerFd >= 0) host.close(this.timerFd);
    this.timerFd = -1;
    this.timerAt = 0n;
  }

  /** Input flush: the line discipline's and the driver's (tty_perform_flush's TCIFLUSH). */
  protected flushInput(): void {
    this.ldisc!.flushInput();
    this.flushInputDriver();
  }

  // ---- ioctls (tty_io.c tty_ioctl, tty_ioctl.c tty_mode_ioctl, n_tty_ioctl) --------------------

  /**
   * The terminal ioctls every tty answers. viaMaster: a pty master asked
   * on its slave's behalf (tty_pair_get_tty): the "is this our controlling
   * terminal" checks of TIOCGPGRP and TIOCGSID do not apply.
   */
  ioctl(req: number, arg: number, mem: UserMemory, viaMaster = false): number {
    const l = this.ldisc!;
    switch (req) {
      case TCGETS:
      case TCGETS2:
        mem.write(arg, l.termios.encode(req === TCGETS ? TERMIOS_SIZE : TERMIOS2_SIZE));
        return 0;
      case TCSETS:
      case TCSETSW:
      case TCSETSF:
      case TCSETS2:
      case TCSETSW2:
      case TCSETSF2: {
        const jc = this.checkChange(SIGTTOU);
        if (jc) return jc;
        const t = Termios.decode(mem.read(arg, req <= TCSETSF ? TERMIOS_SIZE : TERMIOS2_SIZE));
        if (req <= TCSETSF) {
          t.ispeed = l.termios.ispeed;
          t.ospeed = l.termios.ospeed;
        }
        if (req === TCSETSF || req === TCSETSF2) this.flushInput();
        const old = l.termios;
        l.setTermios(t);
        this.readStart = 0n; // (a read interrupted earlier must not shorten the next VTIME wait)
        this.setTermiosDriver(old, t);
        this.fill();
        if (l.readable()) this.waitq.wake(POLLIN);
        return 0;
      }
      case TIOCGWINSZ:
        mem.write(arg, this.winsize);
        return 0;
      case TIOCSWINSZ:
        this.resize(mem.read(arg, WINSIZE_SIZE));
        return 0;
      case FIONREAD:
        this.fill();
        mem.write(arg, u32(l.inq()));
        return 0;
      case TIOCOUTQ:
        mem.write(arg, u32(0));
        return 0;
      case TCFLSH: {
        const jc = this.checkChange(SIGTTOU);
        if (jc) return jc;
        if (arg !== TCIFLUSH && arg !== TCOFLUSH && arg !== TCIOFLUSH) return -Errno.EINVAL;
        if (arg !== TCOFLUSH) this.flushInput();
        if (arg !== TCIFLUSH) this.flushOutputDriver();
        this.fill();
        return 0;
      }
      case TCXONC: {
        const jc = this.checkChange(SIGTTOU);
        if (jc) return jc;
        if (arg === TCOOFF || arg === TCOON) {
          const stopped = arg === TCOOFF;
          if (l.stopped !== stopped) {
            l.stopped = stopped;
            this.flowDriver(stopped);
          }
          return 0;
        }
        return arg === TCIOFF || arg === TCION ? 0 : -Errno.EINVAL;
      }
      case TCSBRK:
      case TCSBRKP:
        return l.hungUp ? -Errno.EIO : 0; // tcdrain: output is complete when a write returns
      case TIOCSTI:
        l.receive(mem.read(arg, 1), process.hrtime.bigint());
        if (l.readable()) this.waitq.wake(POLLIN);
        return 0;
      case TIOCGETD:
        mem.write(arg, u32(0)); // N_TTY
        return 0;
      case TIOCSETD:
        return i32At(mem, arg) === 0 ? 0 : -Errno.EINVAL;
      case TIOCEXCL:
      case TIOCNXCL:
        this.exclusive = req === TIOCEXCL;
        return 0;
      case TIOCGEXCL:
        mem.write(arg, u32(this.exclusive ? 1 : 0));
        return 0;
      default:
        return this.jobIoctl(req, arg, mem, viaMaster);
    }
  }

  /** The job-control ioctls (tty_jobctrl.c), also answered for a console terminal not start()ed. */
  jobIoctl(req: number, arg: number, mem: UserMemory, viaMaster = false): number {
    const c = this.jobs?.caller() ?? null;
    // "is this our controlling terminal": the caller is in the terminal's session
    const ctty = !c || (this.sid !== 0 && c.sid === this.sid);
    switch (req) {
      case TIOCGPGRP:
        if (!ctty && !viaMaster) return -Errno.ENOTTY;
        mem.write(arg, u32(this.fgPgrp));
        return 0;
      case TIOCSPGRP: {
        if (!ctty) return -Errno.ENOTTY;
        const jc = this.checkChange(SIGTTOU);
        if (jc) return jc;
        const pg = i32At(mem, arg);
        if (pg < 0) return -Errno.EINVAL;
        if (this.jobs) {
          const s = this.jobs.pgrpSession(pg);
          if (s < 0) return -Errno.ESRCH;
          if (s !== this.sid) return -Errno.EPERM;
        }
        this.fgPgrp = pg;
        return 0;
      }
      case TIOCGSID:
        if ((!ctty && !viaMaster) || this.sid === 0) return -Errno.ENOTTY;
        mem.write(arg, u32(this.sid));
        return 0;
      case TIOCSCTTY: {
        if (!c) return 0;
        if (c.pid !== c.sid) return -Errno.EPERM; // only a session leader (even of the terminal's session)
        if (c.sid === this.sid) return 0; // already ours
        const cur = this.jobs?.sessionTty?.(c.sid);
        if (cur && cur !== this) return -Errno.EPERM; // it has a controlling terminal already
        if (this.sid !== 0 && arg !== 1) return -Errno.EPERM; // stealing needs arg 1 (and privilege)
        this.sid = c.sid;
        this.fgPgrp = c.pgid;
        return 0;
      }
      case TIOCNOTTY:
        if (!ctty || viaMaster) return -Errno.ENOTTY;
        if (c && c.pid === c.sid) this.leaderExited(c.sid, false); // a session leader gives up its terminal
        return 0;
      default:
        return -Errno.ENOTTY;
    }
  }
}
