/**
 * The console: the guest's fds 0/1/2 (and /dev/tty) as Files over umlts's
 * own host fds. Whatever those are — a terminal, a pipe, a regular file,
 * /dev/null — the guest sees them through here.
 *
 * The kernel must never block in a host read: a read first polls the host
 * fd with a zero timeout and, if nothing is there, returns -EAGAIN and asks
 * the HostWatch to wake this file's wait queue when the fd turns readable
 * (the syscall layer then sleeps the task on `waitq`). Writes go straight to
 * the host; on a non-blocking host fd that is full we poll until it drains
 * (the terminal or pipe reader is outside the guest, so it will).
 *
 * Terminal ioctls pass through to the host terminal, except the foreground
 * process group and session: those are guest pids, so they live in a
 * Terminal object (struct tty_struct's pgrp/session) shared by every File on
 * the same terminal. Job-control signals (SIGTTIN/SIGTTOU) are not sent.
 *
 * Ownership: ConsoleFile fields and Terminal are touched only on the JS
 * thread, by syscall handlers and by the HostWatch callback.
 */
import { Errno } from '../kernel/errno.js';
import * as host from '../host/libc.js';
import { File, UserMemory } from './file.js';
import { Stat, O_ACCMODE, O_APPEND, O_RDWR, S_IFMT, S_IFREG } from './types.js';
import { WaitQueue, POLLIN, POLLOUT, POLLERR, POLLHUP } from './waitqueue.js';
import { parseStat } from './hostfs.js';
import { SEEK_SET, SEEK_CUR, SEEK_END } from './node.js';

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

/**
 * struct tty_struct's job-control part, in guest pids. Guarded by the JS
 * thread. It starts as the guest's init (pid 1, its own process group and
 * session leader) left it: the foreground job of the terminal umlts was
 * started on. The kernel may set it otherwise (0: none, ENOTTY).
 */
export class Terminal {
  /** foreground process group (TIOCGPGRP/TIOCSPGRP) */
  fgPgrp = 1;
  /** session the terminal controls (TIOCGSID) */
  sid = 1;
}

export const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TIOCSCTTY = 0x540e,
  TIOCGPGRP = 0x540f, TIOCSPGRP = 0x5410, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541b,
  TIOCNOTTY = 0x5422, TIOCGSID = 0x5429;
/** kernel struct termios (not glibc's): 4 u32 flags, c_line, c_cc[19] */
const TERMIOS_SIZE = 36;
const WINSIZE_SIZE = 8;

export class ConsoleFile extends File {
  /** the host fd is a terminal; immutable */
  readonly isTty: boolean;
  /** the host fd is a regular file (seekable: `umlts run ... < file`); immutable */
  private readonly isReg: boolean;
  private readonly wq = new WaitQueue();
  /** events a HostWatch is armed for (0: none) */
  private armed = 0;
  private readonly stbuf = new Uint8Array(144);

  constructor(
    /** umlts's host fd; immutable */
    readonly hostFd: number,
    flags: number,
    path: string,
    private readonly watcher: HostWatch,
    /** the job-control state of the terminal, if this is one */
    readonly terminal: Terminal | null,
    /** close hostFd on release (a /dev/tty open); immutable */
    private readonly ownsFd: boolean,
  ) {
    super(flags, path);
    this.isTty = host.isatty(hostFd);
    this.isReg = host.fstat(hostFd, this.stbuf) === 0 && (parseStat(this.stbuf).mode & S_IFMT) === S_IFREG;
  }

  /** A File over one of umlts's own fds (0, 1, 2), access mode as the host fd's. */
  static forHostFd(hostFd: number, watcher: HostWatch, terminal: Terminal): ConsoleFile {
    const fl = host.fcntl(hostFd, host.F_GETFL, 0);
    const flags = fl < 0 ? O_RDWR : fl & (O_ACCMODE | O_APPEND);
    const b = new Uint8Array(4096);
    const n = host.readlinkat(host.AT_FDCWD, `/proc/self/fd/${hostFd}`, b);
    const path = n > 0 ? Buffer.from(b.buffer, 0, n).toString('utf8') : `console:${hostFd}`;
    const tty = host.isatty(hostFd);
    return new ConsoleFile(hostFd, flags, path, watcher, tty ? terminal : null, false);
  }

  /**
   * Open a host terminal device for the guest: /dev/tty (umlts's controlling
   * terminal; -ENXIO without one) or the /dev/pts/N umlts runs on.
   */
  static openHostTty(hostPath: string, flags: number, watcher: HostWatch, terminal: Terminal): File | number {
    const O_NOCTTY = 0o400, O_CLOEXEC = 0o2000000;
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
    return this.wq;
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
    let done = 0;
    while (done < buf.length) {
      const n = host.write(this.hostFd, done === 0 ? buf : buf.subarray(done));
      if (n === -Errno.EINTR) continue;
      if (n === -Errno.EAGAIN) {
        // a non-blocking host fd is full: its reader is outside the guest, wait for it
        host.poll1(this.hostFd, POLLOUT, -1);
        continue;
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
    return r < 0 ? -Errno.EIO : parseStat(this.stbuf);
  }

  override poll(): number {
    const r = host.poll1(this.hostFd, POLLIN | POLLOUT, 0);
    if (r < 0) return POLLERR;
    const want = (r & POLLIN ? 0 : POLLIN) | (r & (POLLOUT | POLLERR | POLLHUP) ? 0 : POLLOUT);
    if (want && !(r & (POLLERR | POLLHUP))) this.arm(want);
    return r & (POLLIN | POLLOUT | POLLERR | POLLHUP);
  }

  override ioctl(req: number, arg: number, mem: UserMemory): number {
    if (req === FIONREAD) {
      const b = new Uint8Array(4);
      const r = host.ioctl(this.hostFd, FIONREAD, b);
      if (r < 0) return r === -Errno.EINVAL ? -Errno.ENOTTY : r;
      mem.write(arg, b);
      return 0;
    }
    if (!this.isTty || !this.terminal) return -Errno.ENOTTY;
    const t = this.terminal;
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
      case TIOCGPGRP:
        if (t.fgPgrp === 0) return -Errno.ENOTTY;
        mem.write(arg, u32(t.fgPgrp));
        return 0;
      case TIOCSPGRP: {
        const pg = new DataView(mem.read(arg, 4).buffer).getInt32(0, true);
        if (pg < 0) return -Errno.EINVAL;
        t.fgPgrp = pg;
        return 0;
      }
      case TIOCGSID:
        if (t.sid === 0) return -Errno.ENOTTY;
        mem.write(arg, u32(t.sid));
        return 0;
      default:
        return -Errno.ENOTTY;
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
    if (this.ownsFd) host.close(this.hostFd);
  }
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}
