/**
 * The console: the guest's fds 0/1/2 (and /dev/tty) as Files over umlts's
 * own host fds. Whatever those are — a terminal, a pipe, a regular file,
 * /dev/null — the guest sees them through here.
 *
 * The kernel must never block in a host read: a read first polls the host
 * fd with a zero timeout and, if nothing is there, returns -EAGAIN and asks
 * the HostWatch to wake this file's wait queue when the fd turns readable
 * (the syscall layer then sleeps the task on `waitq`). Writes go straight to
 * the host; a non-blocking host fd that is full makes the writer sleep the
 * same way until it drains (its reader is outside the guest — a terminal, a
 * pipe the library reads — and the kernel must not stop for it), after
 * returning what got through.
 *
 * When umlts's stdin is a terminal, the front end hands it to the Terminal
 * (start()): the host terminal goes raw for input and the guest's termios
 * runs here (tty.ts's line discipline, with job control: struct
 * tty_struct). Every console File on that terminal then reads from the one
 * line discipline. Without that (stdin not a terminal), a console File on a
 * terminal passes the termios ioctls through to the host terminal, as
 * before.
 *
 * Ownership: ConsoleFile fields and Terminal are touched only on the JS
 * thread, by syscall handlers and by HostWatch / host-signal callbacks.
 */
import { O_NOCTTY as ABI_O_NOCTTY, O_CLOEXEC as ABI_O_CLOEXEC } from '../../abi/fcntl.js';
import { Errno, ERESTARTSYS } from '../../abi/errno.js';
import * as host from '../../host/libc.js';
import { File, UserMemory } from '../file.js';
import { Stat, O_ACCMODE, O_APPEND, O_RDWR, O_NONBLOCK, S_IFMT, S_IFREG, S_IFSOCK, S_IFIFO } from '../types.js';
import { WaitQueue, POLLIN, POLLOUT, POLLERR, POLLHUP } from '../waitqueue.js';
import { parseStat } from '../hostfs.js';
import { SEEK_SET, SEEK_CUR, SEEK_END, major, minor } from '../node.js';
import {
  LineDiscipline, Termios, TERMIOS_SIZE, TERMIOS2_SIZE, TOSTOP, ICANON, ECHO, ISIG, IEXTEN, ECHONL,
  IGNBRK, BRKINT, PARMRK, ISTRIP, INLCR, IGNCR, ICRNL, IXON, CSIZE, PARENB, CS8, VMIN, VTIME,
  SIGHUP, SIGCONT, SIGTTIN, SIGTTOU, SIGWINCH,
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
}

export const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TCSBRK = 0x5409, TCXONC = 0x540a,
  TCFLSH = 0x540b, TIOCEXCL = 0x540c, TIOCNXCL = 0x540d, TIOCSCTTY = 0x540e, TIOCGPGRP = 0x540f, TIOCSPGRP = 0x5410,
  TIOCOUTQ = 0x5411, TIOCSTI = 0x5412, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541b,
  TIOCNOTTY = 0x5422, TIOCSETD = 0x5423, TIOCGETD = 0x5424, TCSBRKP = 0x5425, TIOCGSID = 0x5429,
  TCGETS2 = 0x802c542a, TCSETS2 = 0x402c542b, TCSETSW2 = 0x402c542c, TCSETSF2 = 0x402c542d;
const WINSIZE_SIZE = 8;
const TCIFLUSH = 0, TCOFLUSH = 1, TCIOFLUSH = 2, TCOOFF = 0, TCOON = 1, TCIOFF = 2, TCION = 3;

/**
 * struct tty_struct for the terminal umlts runs on: job control (foreground
 * process group, session), the window size, and — once start()ed — the
 * line discipline fed from the host terminal in raw mode.
 */
export class Terminal {
  /** foreground process group (TIOCGPGRP/TIOCSPGRP), 0: none. Starts as init (pid 1) leaves it.
   * Guarded by the JS thread (any session member's ioctl, the session leader's exit). */
  fgPgrp = 1;
  /** session the terminal controls (TIOCGSID), 0: none; guarded by the JS thread (TIOCSCTTY, the leader's exit) */
  sid = 1;
  /** the line discipline; null until start() (then console Files on this terminal use it); set once, by start() */
  ldisc: LineDiscipline | null = null;
  /** the kernel's job control; null: none (see TtyJobs); set once, by start() */
  jobs: TtyJobs | null = null;
  /** readers, pollers and writers stopped by VSTOP; immutable reference */
  readonly waitq = new WaitQueue();
  /** struct winsize as the guest sees it; guarded by the JS thread (TIOCSWINSZ, SIGWINCH from the host) */
  private readonly winsize = new Uint8Array(WINSIZE_SIZE);
  /** our own open of the host terminal (O_NONBLOCK, close-on-exec): input and echo; -1 before start(); set once */
  private fd = -1;
  /** st_rdev of the host terminal (which host fds are this terminal); set once, by start() */
  private rdev = -1;
  /** the host termios before start(), put back by restore() (which clears it); guarded by the JS thread */
  private original: Uint8Array | null = null;
  /** set once, by start() */
  private watcher: HostWatch | null = null;
  /** a host watch is armed on fd; guarded by the JS thread (pump, the watch callback) */
  private armed = false;
  /** VTIME: a timerfd and the deadline it is armed for; guarded by the JS thread */
  private timerFd = -1;
  private timerAt = 0n;
  /** when the pending (blocked) read began, for VMIN = 0 VTIME > 0; 0n: none; guarded by the JS thread */
  private readStart = 0n;
  /** host read buffer; used synchronously only */
  private readonly rbuf = new Uint8Array(N_READ);

  /**
   * Take over the host terminal on hostFd (the front end calls this when
   * umlts's stdin is a terminal, before the guest's console Files are made):
   * remember its termios, make its input raw, and run the guest's termios
   * (initially the host's) here. False if hostFd is not a terminal.
   */
  start(hostFd: number, watcher: HostWatch, jobs: TtyJobs | null): boolean {
    if (this.ldisc || !host.isatty(hostFd)) return false;
    const orig = new Uint8Array(TERMIOS_SIZE);
    if (host.ioctl(hostFd, TCGETS, orig) < 0) return false;
    const O_NOCTTY = ABI_O_NOCTTY, O_CLOEXEC = ABI_O_CLOEXEC;
    let fd = host.openat(host.AT_FDCWD, `/proc/self/fd/${hostFd}`, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK, 0);
    if (fd < 0) fd = host.fcntl(hostFd, 1030 /* F_DUPFD_CLOEXEC */, 3); // (then reads must not block: we poll first)
    if (fd < 0) return false;
    const st = new Uint8Array(144);
    this.rdev = host.fstat(fd, st) === 0 ? parseStat(st).rdev : -1;
    this.fd = fd;
    this.original = orig;
    this.watcher = watcher;
    this.jobs = jobs;
    host.ioctl(fd, TIOCGWINSZ, this.winsize);
    const guest = Termios.decode(orig);
    this.ldisc = new LineDiscipline(guest, {
      echo: (b) => this.hostWrite(this.fd, b),
      signal: (sig) => this.isig(sig),
      flow: (stopped) => {
        if (!stopped) this.waitq.wake(POLLOUT);
      },
    });
    this.setHost(guest);
    this.pump();
    return true;
  }

  /** Put the host terminal back as start() found it (exit, kernel error). Idempotent. */
  restore(): void {
    if (!this.original || this.fd < 0) return;
    host.ioctl(this.fd, TCSETSW, this.original);
    this.original = null;
  }

  /**
   * /proc/<pid>/stat's tty_nr and tpgid for a process of session sid: the
   * terminal's device number (new_encode_dev) and foreground group if the
   * session controls it, else 0 and -1.
   */
  ctty(sid: number): { ttyNr: number; tpgid: number } {
    if (!this.ldisc || this.rdev < 0 || sid === 0 || sid !== this.sid) return { ttyNr: 0, tpgid: -1 };
    const ma = major(this.rdev), mi = minor(this.rdev);
    return { ttyNr: ((mi & 0xff) | (ma << 8) | ((mi & ~0xff) << 12)) >>> 0, tpgid: this.fgPgrp || -1 };
  }

  /** Is this host fd the terminal start() took over? */
  covers(hostFd: number): boolean {
    if (!this.ldisc || this.rdev < 0 || !host.isatty(hostFd)) return false;
    const st = new Uint8Array(144);
    return host.fstat(hostFd, st) === 0 && parseStat(st).rdev === this.rdev;
  }

  /** The host side: raw input (cfmakeraw), the guest's output processing (c_oflag). */
  private setHost(g: Termios): void {
    if (!this.original) return;
    const h = Termios.decode(this.original);
    h.iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    h.oflag = g.oflag;
    h.lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    h.cflag = (h.cflag & ~(CSIZE | PARENB)) | CS8;
    h.cc[VMIN] = 1;
    h.cc[VTIME] = 0;
    host.ioctl(this.fd, TCSETS, h.encode());
  }

  // ---- host events --------------------------------------------------------------------

  /**
   * A host signal reached umlts's process group (the kernel's waker sees it,
   * events.ts hostSignalHandlers): SIGWINCH (the window changed), SIGHUP
   * (the terminal hung up) or SIGCONT (umlts continued after a stop).
   */
  hostSignal(sig: number): void {
    if (!this.ldisc) return;
    if (sig === SIGWINCH) {
      const ws = new Uint8Array(WINSIZE_SIZE);
      if (host.ioctl(this.fd, TIOCGWINSZ, ws) === 0) this.resize(ws);
    } else if (sig === SIGHUP) {
      this.hangup();
    } else if (sig === SIGCONT) {
      // umlts was stopped and is continued: the shell that ran it may have reset the terminal
      this.setHost(this.ldisc.termios);
    }
  }

  /** tty_do_resize: a new size signals the foreground process group. */
  private resize(ws: Uint8Array): void {
    if (ws.every((b, i) => b === this.winsize[i])) return;
    this.winsize.set(ws);
    if (this.fgPgrp > 0) this.jobs?.signalPgrp(this.fgPgrp, SIGWINCH);
  }

  /** The host terminal is gone: readers see EOF, the session SIGHUP and SIGCONT (tty_vhangup). */
  private hangup(): void {
    const l = this.ldisc;
    if (!l || l.hungUp) return;
    l.hungUp = true;
    this.waitq.wake(POLLIN | POLLOUT | POLLHUP);
    if (this.jobs) {
      if (this.sid > 0) {
        this.jobs.signalPgrp(this.sid, SIGHUP);
        this.jobs.signalPgrp(this.sid, SIGCONT);
      }
      if (this.fgPgrp > 0 && this.fgPgrp !== this.sid) this.jobs.signalPgrp(this.fgPgrp, SIGHUP);
    }
  }

  /**
   * The session leader of sid exits (disassociate_ctty): if it controls
   * this terminal, the foreground group gets SIGHUP and SIGCONT and the
   * terminal is free. For the kernel's exit path.
   */
  leaderExited(sid: number): void {
    if (sid !== this.sid || sid === 0) return;
    if (this.fgPgrp > 0 && this.jobs) {
      this.jobs.signalPgrp(this.fgPgrp, SIGHUP);
      this.jobs.signalPgrp(this.fgPgrp, SIGCONT);
    }
    this.sid = 0;
    this.fgPgrp = 0;
  }

  /** A signal character: the foreground group gets it (isig). */
  private isig(sig: number): void {
    if (this.jobs) {
      if (this.fgPgrp > 0) this.jobs.signalPgrp(this.fgPgrp, sig);
      return;
    }
    // no job control: as the host terminal would have done to umlts itself
    if (sig === 2 || sig === 3) {
      this.restore();
      host.kill(host.getpid(), sig);
    }
  }

  /** Move what the host terminal has into the line discipline; keep a watch armed while there is room. */
  private pump(): void {
    const l = this.ldisc;
    if (!l || l.hungUp) return;
    let got = false;
    for (;;) {
      const room = Math.min(l.room(), this.rbuf.length);
      if (room <= 0) break;
      if (host.poll1(this.fd, POLLIN, 0) <= 0) break;
      const n = host.read(this.fd, this.rbuf.subarray(0, room));
      if (n === -Errno.EINTR) continue;
      if (n === -Errno.EAGAIN) break;
      if (n <= 0) {
        this.hangup();
        return;
      }
      l.receive(this.rbuf.subarray(0, n), process.hrtime.bigint());
      got = true;
    }
    if (got) this.waitq.wake(POLLIN);
    if (!this.armed && l.room() > 0 && this.watcher) {
      this.armed = this.watcher.watch(this.fd, POLLIN, () => {
        this.armed = false;
        this.pump();
      });
    }
  }

  /** Wake readers at a VTIME deadline. */
  private armTimer(at: bigint): void {
    if (at === 0n || (this.timerAt !== 0n && this.timerAt <= at && this.timerAt > process.hrtime.bigint())) return;
    if (this.timerFd < 0) this.timerFd = host.timerfdCreate(host.CLOCK_MONOTONIC, host.TFD_CLOEXEC | host.TFD_NONBLOCK);
    this.timerAt = at;
    host.timerfdSetAbs(this.timerFd, at);
    this.watcher?.watch(this.timerFd, POLLIN, () => {
      host.read(this.timerFd, new Uint8Array(8));
      this.timerAt = 0n;
      this.waitq.wake(POLLIN);
    });
  }

  // ---- the File operations of a console File on this terminal ---------------------------

  /**
   * tty_check_change / job_control: a process of the terminal's session
   * outside the foreground group gets sig (SIGTTIN, SIGTTOU) and its syscall
   * restarts once it is continued (-ERESTARTSYS); -EIO when the signal is
   * ignored or blocked (SIGTTIN; SIGTTOU then lets the operation proceed) or
   * the group is orphaned.
   */
  private checkChange(sig: number): number {
    if (!this.jobs) return 0;
    const c = this.jobs.caller();
    if (c.sid !== this.sid || this.fgPgrp === 0 || c.pgid === this.fgPgrp) return 0;
    if (c.ignores(sig)) return sig === SIGTTIN ? -Errno.EIO : 0;
    if (c.orphanedPgrp()) return -Errno.EIO;
    this.jobs.signalPgrp(c.pgid, sig);
    return -ERESTARTSYS;
  }

  read(buf: Uint8Array): number {
    const l = this.ldisc!;
    const jc = this.checkChange(SIGTTIN);
    if (jc) return jc;
    this.pump();
    const now = process.hrtime.bigint();
    if (this.readStart === 0n) this.readStart = now;
    const n = l.read(buf, now, this.readStart);
    if (n === -Errno.EAGAIN) {
      this.armTimer(l.wakeAt);
      return n;
    }
    this.readStart = 0n;
    if (n > 0) this.pump(); // room again: take more from the host
    return n;
  }

  write(hostFd: number, buf: Uint8Array): number {
    const l = this.ldisc!;
    if (l.hungUp) return -Errno.EIO;
    if (l.termios.lflag & TOSTOP) {
      const jc = this.checkChange(SIGTTOU);
      if (jc) return jc;
    }
    if (l.stopped) return -Errno.EAGAIN; // VSTOP: writers wait on waitq for VSTART
    const n = this.hostWrite(hostFd, buf);
    if (n > 0) l.noteOutput(buf.subarray(0, n));
    return n;
  }

  /** Write all of buf to a host fd, waiting out a full non-blocking one. */
  hostWrite(fd: number, buf: Uint8Array): number {
    let done = 0;
    while (done < buf.length) {
      const n = host.write(fd, done === 0 ? buf : buf.subarray(done));
      if (n === -Errno.EINTR) continue;
      if (n === -Errno.EAGAIN) {
        host.poll1(fd, POLLOUT, -1);
        continue;
      }
      if (n < 0) return done > 0 ? done : n;
      done += n;
    }
    return done;
  }

  poll(): number {
    const l = this.ldisc!;
    this.pump();
    let ev = l.stopped ? 0 : POLLOUT;
    if (l.readable()) ev |= POLLIN;
    if (l.hungUp) ev |= POLLHUP;
    return ev;
  }

  ioctl(req: number, arg: number, mem: UserMemory): number {
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
        if (req === TCSETSF || req === TCSETSF2) {
          l.flushInput();
          hostFlush(this.fd, TCIFLUSH);
        }
        l.setTermios(t);
        this.readStart = 0n; // (a read interrupted earlier must not shorten the next VTIME wait)
        this.setHost(t); // the host terminal does the guest's output processing
        this.pump();
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
        this.pump();
        mem.write(arg, u32(l.inq()));
        return 0;
      case TIOCOUTQ:
        mem.write(arg, u32(0));
        return 0;
      case TCFLSH: {
        const jc = this.checkChange(SIGTTOU);
        if (jc) return jc;
        if (arg !== TCIFLUSH && arg !== TCOFLUSH && arg !== TCIOFLUSH) return -Errno.EINVAL;
        if (arg !== TCOFLUSH) {
          l.flushInput();
          hostFlush(this.fd, TCIFLUSH);
        }
        if (arg !== TCIFLUSH) hostFlush(this.fd, TCOFLUSH);
        this.pump();
        return 0;
      }
      case TCXONC: {
        const jc = this.checkChange(SIGTTOU);
        if (jc) return jc;
        if (arg === TCOOFF || arg === TCOON) {
          l.stopped = arg === TCOOFF;
          if (!l.stopped) this.waitq.wake(POLLOUT);
          return 0;
        }
        return arg === TCIOFF || arg === TCION ? 0 : -Errno.EINVAL;
      }
      case TCSBRK:
      case TCSBRKP:
        return l.hungUp ? -Errno.EIO : 0; // tcdrain: host writes are complete when they return
      case TIOCSTI:
        l.receive(mem.read(arg, 1), process.hrtime.bigint());
        if (l.readable()) this.waitq.wake(POLLIN);
        return 0;
      case TIOCGETD:
        mem.write(arg, u32(0)); // N_TTY
        return 0;
      case TIOCSETD:
        return new DataView(mem.read(arg, 4).buffer).getInt32(0, true) === 0 ? 0 : -Errno.EINVAL;
      case TIOCEXCL:
      case TIOCNXCL:
        return 0;
      default:
        return this.jobIoctl(req, arg, mem);
    }
  }

  /** The job-control ioctls (tty_jobctrl.c), also answered for a terminal not start()ed. */
  jobIoctl(req: number, arg: number, mem: UserMemory): number {
    const c = this.jobs?.caller() ?? null;
    // "is this our controlling terminal": the caller is in the terminal's session
    const ctty = !c || (this.sid !== 0 && c.sid === this.sid);
    switch (req) {
      case TIOCGPGRP:
        if (!ctty) return -Errno.ENOTTY;
        mem.write(arg, u32(this.fgPgrp));
        return 0;
      case TIOCSPGRP: {
        if (!ctty) return -Errno.ENOTTY;
        const jc = this.checkChange(SIGTTOU);
        if (jc) return jc;
        const pg = new DataView(mem.read(arg, 4).buffer).getInt32(0, true);
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
        if (!ctty || this.sid === 0) return -Errno.ENOTTY;
        mem.write(arg, u32(this.sid));
        return 0;
      case TIOCSCTTY:
        if (!c) return 0;
        if (c.sid === this.sid) return 0; // already ours
        if (c.pid !== c.sid) return -Errno.EPERM; // only a session leader
        if (this.sid !== 0 && arg !== 1) return -Errno.EPERM; // stealing needs arg 1 (and privilege)
        this.sid = c.sid;
        this.fgPgrp = c.pgid;
        return 0;
      case TIOCNOTTY:
        if (!ctty) return -Errno.ENOTTY;
        if (c && c.pid === c.sid) this.leaderExited(c.sid); // a session leader gives up its terminal
        return 0;
      default:
        return -Errno.ENOTTY;
    }
  }
}

/** read size from the host terminal per call */
const N_READ = 4096;

/** TCFLSH on the host terminal (its argument is by value). */
function hostFlush(fd: number, how: number): void {
  host.ioctlInt(fd, TCFLSH, how);
}

export class ConsoleFile extends File {
  /** the host fd is a terminal; immutable */
  readonly isTty: boolean;
  /** the host fd is a regular file (seekable: `umlts run ... < file`); immutable */
  private readonly isReg: boolean;
  /** immutable reference */
  private readonly wq = new WaitQueue();
  /** events a HostWatch is armed for (0: none); guarded by the JS thread (poll/read arm it, the watch callback clears it) */
  private armed = 0;
  /** fstat scratch; used synchronously only */
  private readonly stbuf = new Uint8Array(144);
  /** the started Terminal this File is on (reads go through its line discipline), or null; immutable */
  private readonly tty: Terminal | null;

  constructor(
    /** umlts's host fd; immutable */
    readonly hostFd: number,
    flags: number,
    path: string,
    /** immutable */
    private readonly watcher: HostWatch,
    /** the job-control state of the terminal, if this is one; immutable reference */
    readonly terminal: Terminal | null,
    /** close hostFd on release (a /dev/tty open); immutable */
    private readonly ownsFd: boolean,
    /** called on release instead (the front end's own pipe: it closes the fd and forgets it); immutable */
    private readonly onRelease: (() => void) | null = null,
  ) {
    super(flags, path);
    this.isTty = host.isatty(hostFd);
    this.isReg = host.fstat(hostFd, this.stbuf) === 0 && (parseStat(this.stbuf).mode & S_IFMT) === S_IFREG;
    this.tty = this.isTty && terminal?.covers(hostFd) ? terminal : null;
  }

  /** A File over one of umlts's own fds (0, 1, 2, or a pipe the front end made: onRelease), access mode as the host fd's. */
  static forHostFd(hostFd: number, watcher: HostWatch, terminal: Terminal, onRelease: (() => void) | null = null): ConsoleFile {
    const fl = host.fcntl(hostFd, host.F_GETFL, 0);
    const flags = fl < 0 ? O_RDWR : fl & (O_ACCMODE | O_APPEND);
    const b = new Uint8Array(4096);
    const n = host.readlinkat(host.AT_FDCWD, `/proc/self/fd/${hostFd}`, b);
    const path = n > 0 ? Buffer.from(b.buffer, 0, n).toString('utf8') : `console:${hostFd}`;
    const tty = host.isatty(hostFd);
    return new ConsoleFile(hostFd, flags, path, watcher, tty ? terminal : null, false, onRelease);
  }

  /**
   * Open a host terminal device for the guest: /dev/tty (umlts's controlling
   * terminal; -ENXIO without one) or the /dev/pts/N umlts runs on.
   */
  static openHostTty(hostPath: string, flags: number, watcher: HostWatch, terminal: Terminal): File | number {
    const O_NOCTTY = ABI_O_NOCTTY, O_CLOEXEC = ABI_O_CLOEXEC;
    const fd = host.openat(host.AT_FDCWD, hostPath, O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
    if (fd < 0) return -Errno.ENXIO;
    return new ConsoleFile(fd, flags, hostPath, watcher, terminal, true);
  }

  /** The host's attributes of a terminal device (for /dev/pts/N, which ttyname(3) compares with fstat). */
  static hostStat(hostPath: string): Stat | number {
    const b = new Uint8Array(144);
    const r = host.fstatat(host.AT_FDCWD, hostPath, b, host.AT_SYMLINK_NOFOLLOW);
    return r < 0 ? -Errno.ENOENT : parseStat(b);
  }

  override get waitq(): WaitQueue {
    return this.tty ? this.tty.waitq : this.wq;
  }

  /** Ask the HostWatch to wake waitq once hostFd is ready for events. */
  private arm(events: number): void {
    if ((this.armed & events) === events) return;
    this.armed |= events;
    const ok = this.watcher.watch(this.hostFd, this.armed, () => {
      const ev = this.armed;
      this.armed = 0;
      this.wq.wake(ev);
    });
    if (!ok) {
      // cannot be watched: it is always ready, so waiting would never end
      this.armed = 0;
      this.wq.wake(events);
    }
  }

  override read(buf: Uint8Array, pos: number | null): number {
    if (pos !== null) return this.isReg ? host.pread(this.hostFd, buf, pos) : -Errno.ESPIPE;
    if (buf.length === 0) return 0;
    if (this.tty) return this.tty.read(buf);
    for (;;) {
      const ready = host.poll1(this.hostFd, POLLIN, 0);
      if (ready < 0) {
        if (ready === -Errno.EINTR) continue;
        return -Errno.EIO;
      }
      if (ready === 0) {
        this.arm(POLLIN);
        return -Errno.EAGAIN;
      }
      const n = host.read(this.hostFd, buf);
      if (n === -Errno.EINTR) continue;
      if (n === -Errno.EAGAIN) {
        this.arm(POLLIN); // readiness was spurious (another reader took it)
        return -Errno.EAGAIN;
      }
      return n;
    }
  }

  override write(buf: Uint8Array, pos: number | null): number {
    if (pos !== null) return this.isReg ? host.pwrite(this.hostFd, buf, pos) : -Errno.ESPIPE;
    if (this.tty) return this.tty.write(this.hostFd, buf);
    let done = 0;
    while (done < buf.length) {
      const n = host.write(this.hostFd, done === 0 ? buf : buf.subarray(done));
      if (n === -Errno.EINTR) continue;
      if (n === -Errno.EAGAIN) {
        // a non-blocking host fd is full: what got through, or sleep until its reader drains it
        if (done > 0) return done;
        this.arm(POLLOUT);
        return -Errno.EAGAIN;
      }
      if (n < 0) return done > 0 ? done : n;
      done += n;
    }
    return done;
  }

  override seek(off: number, whence: number): number {
    if (!this.isReg) return -Errno.ESPIPE;
    if (whence !== SEEK_SET && whence !== SEEK_CUR && whence !== SEEK_END) return -Errno.EINVAL;
    const r = host.lseek(this.hostFd, off, whence);
    if (r >= 0) this.pos = r;
    return r;
  }

  override stat(): Stat | number {
    const r = host.fstat(this.hostFd, this.stbuf);
    if (r < 0) return -Errno.EIO;
    const st = parseStat(this.stbuf);
    // a host socket (Node's child_process gives its children socketpairs
    // for stdio) is a pipe to the guest: it has no sockets, and a program
    // that sees S_IFSOCK treats the fd as one (libuv asks getsockname)
    if ((st.mode & S_IFMT) === S_IFSOCK) st.mode = (st.mode & ~S_IFMT) | S_IFIFO;
    return st;
  }

  override poll(): number {
    if (this.tty) return this.tty.poll();
    const r = host.poll1(this.hostFd, POLLIN | POLLOUT, 0);
    if (r < 0) return POLLERR;
    const want = (r & POLLIN ? 0 : POLLIN) | (r & (POLLOUT | POLLERR | POLLHUP) ? 0 : POLLOUT);
    if (want && !(r & (POLLERR | POLLHUP))) this.arm(want);
    return r & (POLLIN | POLLOUT | POLLERR | POLLHUP);
  }

  override ioctl(req: number, arg: number, mem: UserMemory): number {
    if (this.tty) return this.tty.ioctl(req, arg, mem);
    if (req === FIONREAD) {
      const b = new Uint8Array(4);
      const r = host.ioctl(this.hostFd, FIONREAD, b);
      if (r < 0) return r === -Errno.EINVAL ? -Errno.ENOTTY : r;
      mem.write(arg, b);
      return 0;
    }
    if (!this.isTty || !this.terminal) return -Errno.ENOTTY;
    // a terminal umlts did not take over (stdin is not a terminal): the host's termios
    switch (req) {
      case TCGETS:
        return this.hostOut(req, TERMIOS_SIZE, arg, mem);
      case TCSETS:
      case TCSETSW:
      case TCSETSF:
        return this.hostIn(req, TERMIOS_SIZE, arg, mem);
      case TIOCGWINSZ:
        return this.hostOut(req, WINSIZE_SIZE, arg, mem);
      case TIOCSWINSZ:
        return this.hostIn(req, WINSIZE_SIZE, arg, mem);
      default:
        return this.terminal.jobIoctl(req, arg, mem);
    }
  }
  /** An ioctl that fills a struct: host into a buffer, then out to the guest. */
  private hostOut(req: number, size: number, arg: number, mem: UserMemory): number {
    const b = new Uint8Array(size);
    const r = host.ioctl(this.hostFd, req, b);
    if (r < 0) return r;
    mem.write(arg, b);
    return 0;
  }
  /** An ioctl that reads a struct from the guest. */
  private hostIn(req: number, size: number, arg: number, mem: UserMemory): number {
    const b = mem.read(arg, size);
    return host.ioctl(this.hostFd, req, b);
  }

  protected override release(): void {
    if (this.onRelease) this.onRelease();
    else if (this.ownsFd) host.close(this.hostFd);
  }
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}
