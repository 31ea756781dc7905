/**
 * Pipes (fs/pipe.c): a ring of page-sized buffers shared by a read end and a
 * write end.
 *
 * The ring is modelled as Linux keeps it, slot by slot, because what a
 * guest can observe depends on it: a pipe holds `capacity / PAGE_SIZE`
 * buffers; a write first merges its `len % PAGE_SIZE` tail into the last
 * buffer if that fits whole, then fills fresh buffers a page at a time. So a
 * write of at most PIPE_BUF (= PAGE_SIZE) bytes is all-or-nothing, small
 * writes pack together, and "full" means no free slot (pipe_full), whatever
 * bytes the last page could still take. O_DIRECT makes a packet pipe: no
 * merging, and a read takes at most one buffer (the rest of it is dropped).
 *
 * The counts of open read and write descriptions live on the Pipe and drop
 * in the ends' release(), so they stay right however the Files are shared
 * (dup, fork's FdTable.clone, SCM_RIGHTS later). Release wakes the other side:
 * readers see EOF once every writer is gone, writers EPIPE once every reader is.
 *
 * Ownership: a Pipe and its ends are touched only on the JS thread, by the
 * syscall handlers of the tasks holding the ends.
 */
import { Errno } from '../abi/errno.js';
import { FIONREAD } from '../abi/termios.js';
import { File, UserMemory } from './file.js';
import { Stat, S_IFIFO, O_ACCMODE, O_DIRECT, O_RDONLY, O_WRONLY } from './types.js';
import { POLL_IN, POLL_OUT } from '../abi/signal.js';
import { WaitQueue, POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDNORM, POLLWRNORM } from './waitqueue.js';
import { nowNs, PseudoInodeAttrs, SetAttr } from './node.js';
import { capRaised, CAP_SYS_RESOURCE } from '../abi/capability.js';

export const PAGE_SIZE = 4096;
/** PIPE_BUF: writes up to this size are atomic (pipe(7)). */
export const PIPE_BUF = 4096;
/** PIPE_DEF_BUFFERS pages */
export const PIPE_DEF_SIZE = 16 * PAGE_SIZE;
/** /proc/sys/fs/pipe-max-size: the most an unprivileged F_SETPIPE_SZ may ask */
export const PIPE_MAX_SIZE = 1048576;
export const F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;
/** pipefs's device number (an anonymous superblock, as Linux's "pipefs") */
const PIPEFS_DEV = 0xd;

/** struct pipe_buffer: one page of data, [off, off+len) in use. Owned by its Pipe. */
interface PipeBuffer {
  page: Uint8Array;
  off: number;
  len: number;
  /** PIPE_BUF_FLAG_CAN_MERGE: a later small write may append here */
  canMerge: boolean;
  /** PIPE_BUF_FLAG_PACKET (O_DIRECT) */
  packet: boolean;
}

/** round_pipe_size: a power-of-two number of pages, at least one; 0 if too large. */
export function roundPipeSize(size: number): number {
  if (size > 2 ** 31) return 0;
  if (size < PAGE_SIZE) return PAGE_SIZE;
  return 2 ** Math.ceil(Math.log2(size));
}

/** struct pipe_inode_info. Guarded by the JS thread: every field below not
 * marked immutable is written by the syscalls of any task holding an end. */
export class Pipe {
  /** the ring, oldest first (at most maxSlots entries) */
  private readonly bufs: PipeBuffer[] = [];
  /** capacity in slots (pipe->max_usage); F_SETPIPE_SZ changes it */
  private maxSlots = PIPE_DEF_SIZE / PAGE_SIZE;
  /** bytes in the ring */
  private bytes = 0;
  /** open read / write descriptions (the ends' constructor and release()) */
  readers = 0;
  writers = 0;
  /** pipe->r_counter / w_counter: read and write opens ever made (a FIFO opener waits for the partner's
   * counter to move, fifo.ts); bumped by the ends' constructor */
  rCounter = 0;
  wCounter = 0;
  /** FIFO openers waiting for a partner sleep here (wait_for_partner); immutable reference */
  readonly openWait = new WaitQueue();
  /** readers sleep here (data, or no writers left); pipe->rd_wait; immutable reference */
  readonly rdWait = new WaitQueue();
  /** writers sleep here (room, or no readers left); pipe->wr_wait; immutable reference */
  readonly wrWait = new WaitQueue();
  /** a read-write end (a FIFO opened O_RDWR) sleeps here: woken by both; immutable reference */
  readonly rwWait = new WaitQueue();
  /** spare pages, reused (pipe->tmp_page) */
  private spare: Uint8Array | null = null;
  /** immutable */
  readonly ino: number;
  /** the pipefs inode's mode, owner and times (the creator's, 0600, until fchmod, fchown or futimens); immutable
   * reference */
  readonly attrs: PseudoInodeAttrs;

  constructor(ino: number, uid: number, gid: number) {
    this.ino = ino;
    const now = nowNs();
    this.attrs = new PseudoInodeAttrs(0o600, uid, gid, now, now, now);
  }

  get capacity(): number {
    return this.maxSlots * PAGE_SIZE;
  }
  get size(): number {
    return this.bytes;
  }
  get full(): boolean {
    return this.bufs.length >= this.maxSlots;
  }
  get empty(): boolean {
    return this.bufs.length === 0;
  }

  /**
   * Put back the tail of what read() just took (the reader's buffer faulted
   * part-way): Linux copies to the reader before consuming, so those bytes
   * never left the pipe. They go back in front, as one buffer.
   */
  unread(data: Uint8Array): void {
    if (data.length === 0) return;
    const page = new Uint8Array(Math.max(PAGE_SIZE, data.length));
    page.set(data);
    this.bufs.unshift({ page, off: 0, len: data.length, canMerge: false, packet: false });
    this.bytes += data.length;
  }

  /** pipe_read: up to buf.length bytes; 0 at EOF; -EAGAIN when empty with writers left. */
  read(buf: Uint8Array): number {
    if (buf.length === 0) return 0;
    if (this.bufs.length === 0) return this.writers === 0 ? 0 : -Errno.EAGAIN;
    const wasFull = this.full;
    let done = 0;
    while (done < buf.length && this.bufs.length > 0) {
      const b = this.bufs[0]!;
      const n = Math.min(b.len, buf.length - done);
      buf.set(b.page.subarray(b.off, b.off + n), done);
      done += n;
      b.off += n;
      b.len -= n;
      this.bytes -= n;
      if (b.packet) {
        // a packet is read whole or its excess dropped
        this.bytes -= b.len;
        b.len = 0;
      }
      if (b.len === 0) {
        this.bufs.shift();
        this.spare = b.page;
      }
      if (b.packet) break;
    }
    if (wasFull || this.bufs.length < this.maxSlots) this.wakeWriters();
    return done;
  }

  /**
   * pipe_write: as much as fits; -EPIPE without readers (the syscall layer
   * sends SIGPIPE); -EAGAIN when not a byte fits. packet: O_DIRECT.
   */
  write(buf: Uint8Array, packet: boolean): number {
    if (this.readers === 0) return -Errno.EPIPE;
    const total = buf.length;
    if (total === 0) return 0;
    let done = 0;
    // merge the sub-page tail into the last buffer when it fits whole
    const chars = total & (PAGE_SIZE - 1);
    const last = this.bufs[this.bufs.length - 1];
    if (chars && last && last.canMerge && last.off + last.len + chars <= PAGE_SIZE) {
      last.page.set(buf.subarray(0, chars), last.off + last.len);
      last.len += chars;
      done = chars;
    }
    while (done < total && this.bufs.length < this.maxSlots) {
      const n = Math.min(PAGE_SIZE, total - done);
      const page = this.spare ?? new Uint8Array(PAGE_SIZE);
      this.spare = null;
      page.set(buf.subarray(done, done + n), 0);
      this.bufs.push({ page, off: 0, len: n, canMerge: !packet, packet });
      done += n;
    }
    if (done === 0) return -Errno.EAGAIN;
    this.bytes += done;
    // every write wakes the readers, even into a non-empty pipe: edge-triggered
    // epoll users count on one event per write (Linux 5.14's "pipe: make pipe
    // writes always wake up readers")
    this.rdWait.wake(POLLIN | POLLRDNORM);
    this.rwWait.wake(POLLIN | POLLRDNORM);
    return done;
  }

  /**
   * tee(2)'s link_pipe: copy up to len bytes of this pipe's buffers into
   * out without consuming them, buffer for buffer (the copies never merge
   * with a later write). Bytes copied; -EAGAIN if nothing could be (this
   * pipe empty, out full); -EPIPE if out has no reader.
   */
  linkTo(out: Pipe, len: number): number {
    if (out.readers === 0) return -Errno.EPIPE;
    let done = 0;
    for (const b of this.bufs) {
      if (done >= len || out.full) break;
      const n = Math.min(b.len, len - done);
      const page = new Uint8Array(Math.max(PAGE_SIZE, n));
      page.set(b.page.subarray(b.off, b.off + n));
      out.bufs.push({ page, off: 0, len: n, canMerge: false, packet: b.packet });
      out.bytes += n;
      done += n;
    }
    if (done === 0) return -Errno.EAGAIN;
    out.wakeReaders();
    return done;
  }

  /**
   * splice(2) between two pipes (splice_pipe_to_pipe): move up to len bytes
   * of buffers into out, whole buffers as they are, a part of the last one
   * split off (never merged with). Bytes moved; -EAGAIN if nothing could be;
   * -EPIPE if out has no reader.
   */
  moveTo(out: Pipe, len: number): number {
    if (out.readers === 0) return -Errno.EPIPE;
    const wasFull = this.full;
    let done = 0;
    while (done < len && this.bufs.length > 0 && !out.full) {
      const b = this.bufs[0]!;
      if (b.len <= len - done) {
        this.bufs.shift();
        out.bufs.push(b);
        done += b.len;
        this.bytes -= b.len;
        out.bytes += b.len;
      } else {
        const n = len - done;
        const page = new Uint8Array(PAGE_SIZE);
        page.set(b.page.subarray(b.off, b.off + n));
        out.bufs.push({ page, off: 0, len: n, canMerge: false, packet: b.packet });
        b.off += n;
        b.len -= n;
        this.bytes -= n;
        out.bytes += n;
        done += n;
      }
    }
    if (done === 0) return -Errno.EAGAIN;
    out.wakeReaders();
    if (wasFull || this.bufs.length < this.maxSlots) this.wakeWriters();
    return done;
  }

  /** Bytes of the first buffer, for a reader that moves whole buffers (sendfile/splice from a pipe). */
  get headLen(): number {
    return this.bufs[0]?.len ?? 0;
  }

  private wakeReaders(): void {
    this.rdWait.wake(POLLIN | POLLRDNORM);
    this.rwWait.wake(POLLIN | POLLRDNORM);
  }

  /** F_SETPIPE_SZ after rounding: -EBUSY if the content does not fit. */
  resize(bytes: number): number {
    const slots = bytes / PAGE_SIZE;
    if (slots < this.bufs.length) return -Errno.EBUSY;
    this.maxSlots = slots;
    this.wakeWriters();
    return bytes;
  }

  /** One end went away: wake both sides (EOF, EPIPE, POLLHUP, POLLERR). */
  endClosed(): void {
    this.rdWait.wake(0);
    this.wrWait.wake(0);
    this.rwWait.wake(0);
  }
  private wakeWriters(): void {
    this.wrWait.wake(POLLOUT | POLLWRNORM);
    this.rwWait.wake(POLLOUT | POLLWRNORM);
  }

  stat(): Stat {
    const a = this.attrs;
    return {
      dev: PIPEFS_DEV, ino: this.ino, mode: S_IFIFO | a.perm, nlink: 1, uid: a.uid, gid: a.gid, rdev: 0,
      size: 0, blksize: PAGE_SIZE, blocks: 0, atimeNs: a.atimeNs, mtimeNs: a.mtimeNs, ctimeNs: a.ctimeNs,
    };
  }
}

/** One end of a pipe (or a FIFO opened later): its access mode says which. */
export class PipeEnd extends File {
  /**
   * filp->f_version: a FIFO reader opened O_NONBLOCK before any writer
   * keeps the write-open count it saw, and reports no POLLHUP until a
   * writer has come (and gone). Set once, by fifo.ts, before the file is
   * shared; 0 otherwise (pipes are born with a writer: wCounter 1).
   */
  fVersion = 0;
  /** pipe: immutable; path: the FIFO's, or pipe:[ino] */
  constructor(readonly pipe: Pipe, flags: number, path = `pipe:[${pipe.ino}]`) {
    super(flags, path);
    if (this.readable) {
      pipe.readers++;
      pipe.rCounter++;
    }
    if (this.writable) {
      pipe.writers++;
      pipe.wCounter++;
    }
  }

  /** (f_op->fasync: O_ASYNC signals the owner) */
  override get fasyncCapable(): boolean {
    return true;
  }
  /** pipe_release's kill_fasync: an end going tells the readers POLL_IN, the writers POLL_OUT */
  override fasyncReason(events: number): number {
    return events === 0 ? (this.readable ? POLL_IN : POLL_OUT) : super.fasyncReason(events);
  }
  override get waitq(): WaitQueue {
    if (this.readable && this.writable) return this.pipe.rwWait;
    return this.readable ? this.pipe.rdWait : this.pipe.wrWait;
  }

  override read(buf: Uint8Array, pos: number | null): number {
    if (pos !== null) return -Errno.ESPIPE;
    return this.pipe.read(buf);
  }

  override write(buf: Uint8Array, pos: number | null): number {
    if (pos !== null) return -Errno.ESPIPE;
    return this.pipe.write(buf, (this.flags & O_DIRECT) !== 0);
  }

  /** Give back bytes a read took but could not deliver (see Pipe.unread). */
  unread(data: Uint8Array): void {
    this.pipe.unread(data);
  }

  /** pipe_poll */
  override poll(): number {
    const p = this.pipe;
    let mask = 0;
    if (this.readable) {
      if (!p.empty) mask |= POLLIN | POLLRDNORM;
      if (p.writers === 0 && this.fVersion !== p.wCounter) mask |= POLLHUP;
    }
    if (this.writable) {
      if (!p.full) mask |= POLLOUT | POLLWRNORM;
      if (p.readers === 0) mask |= POLLERR;
    }
    return mask;
  }

  override stat(): Stat | number {
    return this.pipe.stat();
  }
  /** an unnamed pipe's pipefs inode (a FIFO's ends have the FIFO's place: the VFS changes that) */
  override setattr(a: SetAttr): number {
    return this.pipe.attrs.setattr(a);
  }

  override ioctl(req: number, arg: number, mem: UserMemory): number {
    if (req !== FIONREAD) return -Errno.ENOTTY;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, this.pipe.size, true);
    mem.write(arg, b);
    return 0;
  }

  /** pipe_fcntl: F_GETPIPE_SZ / F_SETPIPE_SZ (past pipe-max-size only with CAP_SYS_RESOURCE: euid 0). */
  override fcntl(cmd: number, arg: bigint, caller: { readonly capEffective: number }): number {
    if (cmd === F_GETPIPE_SZ) return this.pipe.capacity;
    if (cmd === F_SETPIPE_SZ) {
      const size = roundPipeSize(Number(arg & 0xffffffffn)); // pipe_fcntl takes an unsigned int
      if (size === 0) return -Errno.EINVAL;
      if (size > this.pipe.capacity && size > PIPE_MAX_SIZE && !capRaised(caller.capEffective, CAP_SYS_RESOURCE)) return -Errno.EPERM;
      return this.pipe.resize(size);
    }
    return super.fcntl(cmd, arg, caller);
  }

  protected override release(): void {
    if (this.readable) this.pipe.readers--;
    if (this.writable) this.pipe.writers--;
    this.pipe.endClosed();
  }
}

/** pipefs inode numbers; one counter per kernel would be tidier, but they only need to be distinct.
 * Module-level mutable state, shared by every kernel in the process; guarded by the JS thread. */
let nextPipeIno = 1 << 20;

/** create_pipe_files: a new pipe's read end and write end. flags: O_NONBLOCK | O_DIRECT (status flags of both). */
export function createPipe(flags: number, uid: number, gid: number): [PipeEnd, PipeEnd] {
  const pipe = new Pipe(nextPipeIno++, uid, gid);
  const st = flags & ~O_ACCMODE;
  return [new PipeEnd(pipe, O_RDONLY | st), new PipeEnd(pipe, O_WRONLY | st)];
}
