/**
 * Pseudo-terminals (drivers/tty/pty.c, the Unix98 kind): a pair of
 * terminals, master and slave, each a TtyStruct with its own line
 * discipline (n_tty.ts, the one the console uses). What one side writes
 * goes, after its output processing, into the other side's flip buffer
 * (tty_buffer.c: at most 8192 bytes, pty_common_install's limit) and from
 * there into that side's line discipline as it has room. So bytes written
 * to the master are the slave's keyboard (editing, echo, ^C), and what the
 * slave writes (and echoes) is what the master reads.
 *
 * The master is born with the slave locked (TIOCSPTLCK), raw termios and no
 * session; termios, window-size and job-control ioctls on the master act
 * on the slave (tty_pair_get_tty). Closing the master hangs the slave up
 * (tty_vhangup: its files read 0 — EIO for a reader already waiting —,
 * write EIO, its session leader gets SIGHUP and SIGCONT, the terminal
 * controls no session) and removes /dev/pts/N; closing every slave file
 * makes master reads fail with EIO once drained (TTY_OTHER_CLOSED) and
 * polls see POLLHUP. The index is free again when both sides are closed.
 *
 * Packet mode (TIOCPKT on the master): each read returns a status byte
 * first — TIOCPKT_DATA (0) then data, or the pending flush / flow-control
 * events alone (pktstatus, kept on the slave as Linux keeps it).
 *
 * Ownership: a PtyPair, its two ends and their Files are touched only on
 * the JS thread, by the syscalls of any task holding one of its Files and
 * by the VTIME timer callbacks; the Devpts (devpts.ts) owns the pair's
 * index and node.
 */
import { Errno } from '../../abi/errno.js';
import { SIGINT, SIGQUIT, SIGTSTP } from '../../abi/signal.js';
import { File, UserMemory } from '../file.js';
import { Stat, O_NONBLOCK } from '../types.js';
import { POLLIN, POLLOUT, POLLERR, POLLHUP, POLLPRI, POLLRDNORM, POLLWRNORM } from '../waitqueue.js';
import { makedev } from '../node.js';
import {
  LineDiscipline, Termios, B38400, CS8, CREAD, CSIZE, PARENB, TOSTOP, NOFLSH, IXON, VSTART, VSTOP, EXTPROC,
  SIGHUP, SIGCONT, SIGTTOU,
} from './n_tty.js';
import {
  TtyStruct, HostWatch, TtyJobs, TIOCSPTLCK, TIOCGPTLCK, TIOCPKT, TIOCGPKT, TIOCGPTN, TIOCSIG, TIOCSPGRP,
  TIOCOUTQ, TCFLSH, TCXONC, u32, i32At,
} from './tty.js';
import { FIONREAD } from '../../abi/termios.js';

export const UNIX98_PTY_SLAVE_MAJOR = 136;
/** tty_buffer_set_limit(port, 8192): what one side may have written that the other has not taken in */
export const PTY_BUFFER_LIMIT = 8192;
export const TIOCPKT_DATA = 0, TIOCPKT_FLUSHREAD = 1, TIOCPKT_FLUSHWRITE = 2, TIOCPKT_STOP = 4, TIOCPKT_START = 8,
  TIOCPKT_NOSTOP = 16, TIOCPKT_DOSTOP = 32, TIOCPKT_IOCTL = 64;

/** The Devpts side of a pair: its /dev/pts/N node's attributes, and what to do when the pair is gone. */
export interface PtyOwner {
  /** stat of /dev/pts/N */
  slaveStat(index: number): Stat;
  /** the master closed: /dev/pts/N disappears (devpts_pty_kill) */
  kill(index: number): void;
  /** both sides are closed: the index is free (devpts_kill_index) */
  release(index: number): void;
}

/** One side of a pty: a tty whose "hardware" is the other side. */
export class PtyEnd extends TtyStruct {
  /** the other side; set once, by PtyPair */
  link!: PtyEnd;
  /** bytes the other side wrote that our line discipline has not taken yet (struct tty_bufhead), oldest first */
  private flip: Uint8Array[] = [];
  private flipBytes = 0;
  /** the open Files on this side (tty->tty_files) */
  readonly files = new Set<PtyFile>();
  /** TTY_OTHER_CLOSED: the other side was opened and is now closed */
  otherClosed = false;
  /** the slave was hung up (its master closed): hung_up_tty_fops for every File */
  hungUp = false;
  /** master: TTY_PTY_LOCK (the slave cannot be opened); set at birth, TIOCSPTLCK clears it */
  locked = true;
  /** master: packet mode (ctrl.packet) */
  packet = false;
  /** slave: the packet-mode events the master has not read (ctrl.pktstatus) */
  pktstatus = 0;

  constructor(
    /** immutable */
    readonly pair: PtyPair,
    /** immutable */
    readonly isMaster: boolean,
    jobs: TtyJobs | null,
    watcher: HostWatch | null,
  ) {
    super(0, 0);
    this.jobs = jobs;
    this.watcher = watcher;
    // pty.c unix98_pty_init: both start from tty_std_termios; the master raw, neither with HUPCL
    const t = new Termios();
    t.cflag = B38400 | CS8 | CREAD;
    if (isMaster) {
      t.iflag = 0;
      t.oflag = 0;
      t.lflag = 0;
    } else {
      t.iflag &= ~0o40000; // IUTF8 is not in tty_std_termios
    }
    this.ldisc = new LineDiscipline(t, {
      echo: (b) => this.output(b, Infinity),
      signal: (sig) => this.isigPty(sig),
      flow: (stopped) => this.flowDriver(stopped),
      processesOutput: true,
    });
  }

  protected override get hupContinues(): boolean {
    return false;
  }

  protected override ttyRdev(): number {
    return this.isMaster ? -1 : makedev(UNIX98_PTY_SLAVE_MAJOR, this.pair.index);
  }

  // ---- moving bytes ----------------------------------------------------------------------

  /**
   * pty_write: output-process buf (our termios) into the other side's flip
   * buffer, as much as fits in room; returns the input bytes taken.
   */
  private output(buf: Uint8Array, room: number): number {
    const to = this.link;
    const { out, used } = this.ldisc!.processOutput(buf, room);
    if (out.length > 0) {
      to.flip.push(Uint8Array.from(out));
      to.flipBytes += out.length;
      to.fill();
    }
    return used;
  }

  /** flush_to_ldisc: the flip buffer into the line discipline while it has room. */
  protected override fill(): void {
    const l = this.ldisc!;
    let moved = false;
    while (this.flip.length > 0) {
      const room = l.room();
      if (room <= 0) break;
      const head = this.flip[0]!;
      const n = Math.min(room, head.length);
      if (n === head.length) this.flip.shift();
      else this.flip[0] = head.subarray(n);
      this.flipBytes -= n;
      moved = true;
      l.receive(head.subarray(0, n), process.hrtime.bigint());
    }
    if (moved) {
      this.waitq.wake(POLLIN);
      this.link.waitq.wake(POLLOUT); // the writer on the other side has room again
    }
  }

  /** tty_buffer_flush: drop what the other side wrote and we have not taken in. */
  private dropFlip(): void {
    if (this.flipBytes === 0) return;
    this.flip = [];
    this.flipBytes = 0;
    this.link.waitq.wake(POLLOUT);
  }

  /** pty_write_room: what a write from this side can put into the other side now. */
  private writeRoom(): number {
    return this.ldisc!.stopped ? 0 : PTY_BUFFER_LIMIT - this.link.flipBytes;
  }

  // ---- the driver's part of the shared tty code ----------------------------------------

  /** isig with the pty's flushes (n_tty.c isig: the output buffer, then packet mode's FLUSHREAD). */
  private isigPty(sig: number): void {
    this.isig(sig);
    if (!(this.ldisc!.termios.lflag & NOFLSH)) {
      this.flushOutputDriver();
      this.packetFlush();
    }
  }

  /** n_tty_packet_mode_flush: tell a packet-mode master that the slave's input was flushed. */
  private packetFlush(): void {
    if (this.isMaster || !this.link.packet) return;
    this.pktstatus |= TIOCPKT_FLUSHREAD;
    this.link.waitq.wake(POLLIN | POLLPRI);
  }

  protected override flushInputDriver(): void {
    this.dropFlip();
    this.packetFlush();
  }

  /** pty_flush_buffer: what this side wrote and the other has not taken in is dropped. */
  protected override flushOutputDriver(): void {
    this.link.dropFlip();
    if (!this.isMaster && this.link.packet) {
      this.pktstatus |= TIOCPKT_FLUSHWRITE;
      this.link.waitq.wake(POLLIN | POLLPRI);
    }
  }

  /** pty_stop / pty_start: a packet-mode master hears of it. */
  protected override flowDriver(stopped: boolean): void {
    if (!this.isMaster && this.link.packet) {
      this.pktstatus = (this.pktstatus & ~(stopped ? TIOCPKT_START : TIOCPKT_STOP)) | (stopped ? TIOCPKT_STOP : TIOCPKT_START);
      this.link.waitq.wake(POLLIN | POLLPRI);
    }
    if (!stopped) this.waitq.wake(POLLOUT);
  }

  /** pty_set_termios: the pty forces CS8 and CREAD; a packet-mode master hears of flow-control changes. */
  protected override setTermiosDriver(old: Termios, t: Termios): void {
    t.cflag = (t.cflag & ~(CSIZE | PARENB)) | CS8 | CREAD;
    if (this.isMaster || !this.link.packet) return;
    const flow = (x: Termios): boolean => (x.iflag & IXON) !== 0 && x.cc[VSTOP] === 0o23 && x.cc[VSTART] === 0o21;
    const was = flow(old), now = flow(t);
    const extproc = ((old.lflag | t.lflag) & EXTPROC) !== 0;
    if (was === now && !extproc) return;
    if (was !== now) this.pktstatus = (this.pktstatus & ~(TIOCPKT_DOSTOP | TIOCPKT_NOSTOP)) | (now ? TIOCPKT_DOSTOP : TIOCPKT_NOSTOP);
    if (extproc) this.pktstatus |= TIOCPKT_IOCTL;
    this.link.waitq.wake(POLLIN | POLLPRI);
  }

  // ---- File operations ------------------------------------------------------------------

  read(f: PtyFile, buf: Uint8Array): number {
    if (this.hungUp) {
      // a reader that was waiting when the hangup came sees n_tty_read's EIO; later reads hung_up_tty_read's 0
      if (f.hupWhileWaiting) {
        f.hupWhileWaiting = false;
        return -Errno.EIO;
      }
      return 0;
    }
    if (buf.length === 0) return 0;
    let n: number;
    if (this.isMaster && this.packet) {
      const st = this.link.pktstatus;
      if (st) {
        this.link.pktstatus = 0;
        buf[0] = st;
        return 1;
      }
      n = buf.length > 1 ? this.readLdisc(buf.subarray(1)) : this.ldisc!.readable() ? 0 : -Errno.EAGAIN;
      if (n >= 0) {
        buf[0] = TIOCPKT_DATA;
        n++;
      }
    } else {
      n = this.readLdisc(buf);
    }
    if (n === -Errno.EAGAIN && this.otherClosed) return -Errno.EIO;
    f.waiting = n === -Errno.EAGAIN && !(f.flags & O_NONBLOCK); // (a non-blocking read does not wait)
    return n;
  }

  write(buf: Uint8Array): number {
    if (this.hungUp) return -Errno.EIO;
    if (!this.isMaster && this.ldisc!.termios.lflag & TOSTOP) {
      const jc = this.checkChange(SIGTTOU);
      if (jc) return jc;
    }
    const room = this.writeRoom();
    if (room <= 0) return -Errno.EAGAIN;
    const n = this.output(buf, room);
    return n > 0 ? n : -Errno.EAGAIN;
  }

  poll(): number {
    if (this.hungUp) return POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM | POLLWRNORM;
    this.fill();
    let ev = 0;
    if (this.ldisc!.readable()) ev |= POLLIN | POLLRDNORM;
    if (this.isMaster && this.packet && this.link.pktstatus) ev |= POLLPRI | POLLIN | POLLRDNORM;
    if (this.otherClosed) ev |= POLLHUP;
    if (this.writeRoom() > 0) ev |= POLLOUT | POLLWRNORM;
    return ev;
  }

  fileIoctl(req: number, arg: number, mem: UserMemory): number {
    if (this.hungUp) return req === TIOCSPGRP ? -Errno.ENOTTY : -Errno.EIO; // hung_up_tty_ioctl
    if (!this.isMaster) return this.ioctl(req, arg, mem);
    switch (req) {
      case TIOCSPTLCK:
        this.locked = i32At(mem, arg) !== 0;
        return 0;
      case TIOCGPTLCK:
        mem.write(arg, u32(this.locked ? 1 : 0));
        return 0;
      case TIOCPKT:
        if (i32At(mem, arg) !== 0) {
          if (!this.packet) {
            this.link.pktstatus = 0;
            this.packet = true;
          }
        } else {
          this.packet = false;
        }
        return 0;
      case TIOCGPKT:
        mem.write(arg, u32(this.packet ? 1 : 0));
        return 0;
      case TIOCGPTN:
        mem.write(arg, u32(this.pair.index));
        return 0;
      case TIOCSIG:
        // pty_signal: a signal character's signal to the slave's foreground group, without one
        if (arg !== SIGINT && arg !== SIGQUIT && arg !== SIGTSTP) return -Errno.EINVAL;
        if (this.link.fgPgrp > 0) this.jobs?.signalPgrp(this.link.fgPgrp, arg);
        return 0;
      case FIONREAD:
      case TIOCOUTQ:
      case TCFLSH:
      case TCXONC:
        return this.ioctl(req, arg, mem); // the master's own queues
      default:
        return this.link.ioctl(req, arg, mem, true); // the rest act on the slave (tty_pair_get_tty)
    }
  }

  // ---- opening and closing ----------------------------------------------------------------

  /** pty_open for the slave: -EIO while locked or after the master closed. */
  openSlave(flags: number, path: string, noctty: boolean, stat: () => Stat): PtyFile | number {
    if (this.isMaster) return -Errno.EIO;
    if (this.hungUp || this.link.files.size === 0 || this.link.locked) return -Errno.EIO;
    const f = new PtyFile(flags, path, this, stat);
    this.link.otherClosed = false;
    if (!noctty && f.readable) this.openSetCtty();
    return f;
  }

  /** The last File on this side is gone (pty_close, and the tty's release). */
  closed(): void {
    const other = this.link;
    if (this.isMaster) {
      this.otherClosed = true;
      other.otherClosed = true;
      this.pair.owner.kill(this.pair.index);
      other.hangup();
    } else if (!this.hungUp) {
      other.otherClosed = true;
      other.waitq.wake(POLLIN | POLLHUP);
    }
    if (other.files.size === 0) this.pair.release();
  }

  /**
   * tty_vhangup of the slave (its master closed): every File is hung up,
   * input is dropped, the session leader gets SIGHUP and SIGCONT
   * (tty_signal_session_leader) and the terminal controls no session.
   */
  private hangup(): void {
    if (this.hungUp) return;
    this.hungUp = true;
    for (const f of this.files) if (f.waiting) f.hupWhileWaiting = true;
    this.ldisc!.flushInput();
    this.ldisc!.hungUp = true;
    this.flip = [];
    this.flipBytes = 0;
    if (this.sid > 0 && this.jobs?.signalProcess) {
      this.jobs.signalProcess(this.sid, SIGHUP);
      this.jobs.signalProcess(this.sid, SIGCONT);
    }
    this.sid = 0;
    this.fgPgrp = 0;
    this.waitq.wake(POLLIN | POLLOUT | POLLERR | POLLHUP);
  }

  /** Give back host resources (the VTIME timer); the pair is gone. */
  dispose(): void {
    this.releaseTimer();
  }
}

/** The pair: struct tty_struct ×2 and the devpts index. */
export class PtyPair {
  /** immutable */
  readonly master: PtyEnd;
  readonly slave: PtyEnd;
  /** both sides closed and the index given back; set once */
  private released = false;

  constructor(
    /** N of /dev/pts/N; immutable */
    readonly index: number,
    /** immutable */
    readonly owner: PtyOwner,
    jobs: TtyJobs | null,
    watcher: HostWatch | null,
  ) {
    this.master = new PtyEnd(this, true, jobs, watcher);
    this.slave = new PtyEnd(this, false, jobs, watcher);
    this.master.link = this.slave;
    this.slave.link = this.master;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.master.dispose();
    this.slave.dispose();
    this.owner.release(this.index);
  }
}

/** An open file on one side of a pty. */
export class PtyFile extends File {
  /** a read of this file is waiting for input (it answered -EAGAIN last); guarded by the JS thread */
  waiting = false;
  /** the hangup came while a read waited: that read fails with EIO; guarded by the JS thread */
  hupWhileWaiting = false;

  constructor(
    flags: number,
    path: string,
    /** immutable */
    readonly end: PtyEnd,
    /** the attributes fstat shows (/dev/ptmx's for a master, /dev/pts/N's or /dev/tty's for a slave); immutable */
    private readonly attrs: () => Stat,
  ) {
    super(flags, path);
    end.files.add(this);
  }

  get isMaster(): boolean {
    return this.end.isMaster;
  }

  override get writesAll(): boolean {
    return true; // n_tty_write: a blocking write waits until all of it is written
  }
  /** (f_op->fasync: O_ASYNC signals the owner) */
  override get fasyncCapable(): boolean {
    return true;
  }
  override get waitq() {
    return this.end.waitq;
  }
  override read(buf: Uint8Array, pos: number | null): number {
    if (pos !== null) return -Errno.ESPIPE;
    return this.end.read(this, buf);
  }
  override write(buf: Uint8Array, pos: number | null): number {
    if (pos !== null) return -Errno.ESPIPE;
    return this.end.write(buf);
  }
  override poll(): number {
    return this.end.poll();
  }
  override ioctl(req: number, arg: number, mem: UserMemory): number {
    return this.end.fileIoctl(req, arg, mem);
  }
  override stat(): Stat {
    return this.attrs();
  }
  protected override release(): void {
    this.end.files.delete(this);
    if (this.end.files.size === 0) this.end.closed();
  }
}
