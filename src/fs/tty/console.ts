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
 * runs here (n_tty.ts's line discipline, with the job control every
 * terminal shares: tty.ts's TtyStruct). Every console File on that
 * terminal then reads from the one line discipline. Without that (stdin
 * not a terminal), a console File on a terminal passes the termios ioctls
 * through to the host terminal, as before.
 *
 * Ownership: ConsoleFile fields and Terminal are touched only on the JS
 * thread, by syscall handlers and by HostWatch / host-signal callbacks.
 */
import { O_NOCTTY as ABI_O_NOCTTY, O_CLOEXEC as ABI_O_CLOEXEC } from '../../abi/fcntl.js';
import { Errno } from '../../abi/errno.js';
import * as host from '../../host/libc.js';
import { File, UserMemory } from '../file.js';
import { Stat, O_ACCMODE, O_APPEND, O_RDWR, O_NONBLOCK, S_IFMT, S_IFREG, S_IFSOCK, S_IFIFO } from '../types.js';
import { WaitQueue, POLLIN, POLLOUT, POLLERR, POLLHUP } from '../waitqueue.js';
import { parseStat } from '../hostfs.js';
import { SEEK_SET, SEEK_CUR, SEEK_END } from '../node.js';
import {
  LineDiscipline, Termios, TERMIOS_SIZE, TOSTOP, ICANON, ECHO, ISIG, IEXTEN, ECHONL,
  IGNBRK, BRKINT, PARMRK, ISTRIP, INLCR, IGNCR, ICRNL, IXON, CSIZE, PARENB, CS8, VMIN, VTIME,
  SIGHUP, SIGCONT, SIGTTOU, SIGWINCH,
} from './n_tty.js';
import {
  TtyStruct, HostWatch, TtyJobs, TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ, TCFLSH, WINSIZE_SIZE,
  TCIFLUSH, TCOFLUSH,
} from './tty.js';
import { FIONREAD } from '../../abi/termios.js';

export type { HostWatch, TtyCaller, TtyJobs } from './tty.js';
export {
  TCGETS, TCSETS, TCSETSW, TCSETSF, TCSBRK, TCXONC, TCFLSH, TIOCEXCL, TIOCNXCL, TIOCSCTTY, TIOCGPGRP, TIOCSPGRP,
  TIOCOUTQ, TIOCSTI, TIOCGWINSZ, TIOCSWINSZ, TIOCNOTTY, TIOCSETD, TIOCGETD, TCSBRKP, TIOCGSID,
  TCGETS2, TCSETS2, TCSETSW2, TCSETSF2,
} from './tty.js';

/**
 * The terminal umlts runs on (a struct tty_struct whose driver is the host
 * terminal): job control (foreground process group, session), the window
 * size, and — once start()ed — the line discipline fed from the host
 * terminal in raw mode. Until start() (stdin not a terminal) only the
 * job-control ioctls are answered here.
 */
export class Terminal extends TtyStruct {
  /** our own open of the host terminal (O_NONBLOCK, close-on-exec): input and echo; -1 before start(); set once */
  private fd = -1;
  /** st_rdev of the host terminal (which host fds are this terminal); set once, by start() */
  private rdev = -1;
  /** the host termios before start(), put back by restore() (which clears it); guarded by the JS thread */
  private original: Uint8Array | null = null;
  /** a host watch is armed on fd; guarded by the JS thread (pump, the watch callback) */
  private armed = false;
  /** a second descriptor of fd's open file, for the guest's output (its own watch: one per host fd); set once,
   * by start() */
  private outFd = -1;
  /** a POLLOUT watch is armed on outFd; guarded by the JS thread (write, the watch callback) */
  private outArmed = false;
  /** host read buffer; used synchronously only */
  private readonly rbuf = new Uint8Array(N_READ);

  constructor() {
    // the foreground group and session start as init (pid 1) leaves them
    super(1, 1);
  }

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
    this.outFd = host.fcntl(fd, 1030 /* F_DUPFD_CLOEXEC */, 3);
    this.original = orig;
    this.watcher = watcher;
    this.jobs = jobs;
    host.ioctl(fd, TIOCGWINSZ, this.winsize);
    const guest = Termios.decode(orig);
    this.ldisc = new LineDiscipline(guest, {
      echo: (b) => this.hostWrite(this.fd, b),
      signal: (sig) => this.isig(sig),
      flow: (stopped) => this.flowDriver(stopped),
    });
    this.setHost(guest);
    this.pump();
    return true;
  }

  /** The host terminal as start() found it, with the fd it is reached by (for a helper that puts it back if
   * umlts dies without restore()); null if not taken over. */
  saved(): { fd: number; termios: Uint8Array } | null {
    return this.original && this.fd >= 0 ? { fd: this.fd, termios: this.original } : null;
  }

  /** Put the host terminal back as start() found it (exit, kernel error). Idempotent. */
  restore(): void {
    if (!this.original || this.fd < 0) return;
    host.ioctl(this.fd, TCSETSW, this.original);
    this.original = null;
  }

  /** Is this the controlling terminal of session sid (for /dev/tty and TIOCSCTTY's "has one already")? */
  controls(sid: number): boolean {
    return this.ldisc !== null && sid !== 0 && sid === this.sid;
  }

  protected override ttyRdev(): number {
    return this.ldisc ? this.rdev : -1;
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

  // the driver's part of the shared ioctls: the host terminal does the guest's output processing
  protected override setTermiosDriver(_old: Termios, t: Termios): void {
    this.setHost(t);
  }
  protected override flushInputDriver(): void {
    hostFlush(this.fd, TCIFLUSH);
  }
  protected override flushOutputDriver(): void {
    hostFlush(this.fd, TCOFLUSH);
  }
  protected override fill(): void {
    this.pump();
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

  /** A signal character: the foreground group gets it (isig). */
  protected override isig(sig: number): void {
    if (this.jobs) return super.isig(sig);
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

  // ---- the File operations of a console File on this terminal ---------------------------

  read(buf: Uint8Array): number {
    return this.readLdisc(buf);
  }

  write(hostFd: number, buf: Uint8Array): number {
    const l = this.ldisc!;
    if (l.hungUp) return -Errno.EIO;
    if (l.termios.lflag & TOSTOP) {
      const jc = this.checkChange(SIGTTOU);
      if (jc) return jc;
    }
    if (l.stopped) return -Errno.EAGAIN; // VSTOP: writers wait on waitq for VSTART
    if (this.outFd < 0) {
      const n = this.hostWrite(hostFd, buf);
      if (n > 0) l.noteOutput(buf.subarray(0, n));
      return n;
    }
    // through our own non-blocking open of the terminal: while the host
    // terminal is full (a slow reader, ^S on it) the writer waits, not every guest
    let done = 0;
    while (done < buf.length) {
      const n = host.write(this.outFd, done === 0 ? buf : buf.subarray(done));
      if (n === -Errno.EINTR) continue;
      if (n === -Errno.EAGAIN) {
        // the writer sleeps until there is room (it may have written some: read_write's writesAll goes on)
        if (this.armOut()) {
          if (done > 0) break;
          return -Errno.EAGAIN;
        }
        host.poll1(this.outFd, POLLOUT, -1); // (cannot be watched: wait here, as before)
        continue;
      }
      if (n < 0) return done > 0 ? done : n;
      done += n;
    }
    if (done > 0) l.noteOutput(buf.subarray(0, done));
    return done;
  }

  /** Wake the writers (waitq, POLLOUT) once the host terminal has room; false if it cannot be watched. */
  private armOut(): boolean {
    if (this.outArmed) return true;
    if (!this.watcher) return false;
    this.outArmed = this.watcher.watch(this.outFd, POLLOUT, () => {
        this.outArmed = false;
      this.waitq.wake(POLLOUT);
    });
    return this.outArmed;
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

  /** (f_op->fasync: O_ASYNC signals the owner) */
  override get fasyncCapable(): boolean {
    return true;
  }
  override get waitq(): WaitQueue {
    return this.tty ? this.tty.waitq : this.wq;
  }
  override get writesAll(): boolean {
    return this.tty !== null; // n_tty_write: a blocking write waits until all of it is written
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
