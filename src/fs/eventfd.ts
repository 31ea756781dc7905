/**
 * eventfd (fs/eventfd.c): a 64-bit counter as a file. read takes the count
 * (or 1 with EFD_SEMAPHORE) and blocks at zero; write adds and blocks while
 * the sum would pass 0xfffffffffffffffe.
 *
 * Ownership: touched only on the JS thread, by the syscall handlers of the
 * tasks holding it.
 */
import { Errno } from '../abi/errno.js';
import { File } from './file.js';
import { Stat } from './types.js';
import { WaitQueue, POLLIN, POLLOUT, POLLERR } from './waitqueue.js';
import { nowNs } from './node.js';

export const EFD_SEMAPHORE = 1;
const ULLONG_MAX = 0xffffffffffffffffn;
/** the anon_inode filesystem's one inode, as every anon_inode file reports it */
export const ANON_INODE_DEV = 0xd, ANON_INODE_INO = 1;

/** A File on the anonymous inode (eventfd, epoll, timerfd...): fstat shows mode 0600 and no type. */
export abstract class AnonInodeFile extends File {
  /** immutable */
  private readonly ctimeNs = nowNs();
  override stat(): Stat {
    return {
      dev: ANON_INODE_DEV, ino: ANON_INODE_INO, mode: 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0,
      blksize: 4096, blocks: 0, atimeNs: this.ctimeNs, mtimeNs: this.ctimeNs, ctimeNs: this.ctimeNs,
    };
  }
  /** anon_inode_setattr (pidfs' too): no chmod, chown or utimes of the shared inode, even for root */
  override get setattrRefused(): number {
    return -Errno.EOPNOTSUPP;
  }
  /** noop_llseek (eventfd, epoll, timerfd, signalfd): lseek answers the position, always 0, and moves nothing */
  override seek(_off: number, _whence: number): number {
    return this.pos;
  }
  /** no positioned reads for all that */
  override get canPread(): boolean {
    return false;
  }
  /** Has its f_op a read (write)? Neither, here (epoll, pidfd). */
  protected hasIo(_write: boolean): boolean {
    return false;
  }
  /** reads and writes of whole records (eventfd, timerfd, signalfd) or none at all (epoll, pidfd) */
  override emptyIo(write: boolean, vectored: boolean): number {
    return vectored && this.hasIo(write) ? 0 : -Errno.EINVAL;
  }
}

export class EventFd extends AnonInodeFile {
  /** the counter; guarded by the JS thread */
  private count: bigint;
  /** immutable reference */
  private readonly wq = new WaitQueue();
  /** scratch for the 8-byte value; used synchronously only */
  private readonly buf8 = new Uint8Array(8);
  private readonly view = new DataView(this.buf8.buffer);

  constructor(
    initval: number,
    flags: number,
    /** EFD_SEMAPHORE; immutable */ readonly semaphore: boolean,
    /** ctx->id (eventfd_ida), for fdinfo; immutable */ private readonly id: number,
  ) {
    super(flags, 'anon_inode:[eventfd]');
    this.count = BigInt(initval);
  }

  override get waitq(): WaitQueue {
    return this.wq;
  }
  protected override hasIo(): boolean {
    return true;
  }

  /** eventfd_read */
  override read(buf: Uint8Array, _pos: number | null): number {
    if (buf.length < 8) return -Errno.EINVAL;
    if (this.count === 0n) return -Errno.EAGAIN;
    const v = this.semaphore ? 1n : this.count;
    this.count -= v;
    this.view.setBigUint64(0, v, true);
    buf.set(this.buf8);
    this.wq.wake(POLLOUT);
    return 8;
  }

  /** eventfd_write: exactly 8 bytes (a read may offer more) */
  override write(buf: Uint8Array, _pos: number | null): number {
    if (buf.length !== 8) return -Errno.EINVAL;
    this.buf8.set(buf.subarray(0, 8));
    const v = this.view.getBigUint64(0, true);
    if (v === ULLONG_MAX) return -Errno.EINVAL;
    if (ULLONG_MAX - this.count <= v) return -Errno.EAGAIN;
    this.count += v;
    this.wq.wake(POLLIN); // even for 0: edge-triggered epoll sees every write
    return 8;
  }

  /** eventfd_signal (an AIO completion's IOCB_FLAG_RESFD): the counter up by one, never past ULLONG_MAX */
  signal(): void {
    if (this.count < ULLONG_MAX) this.count += 1n;
    this.wq.wake(POLLIN);
  }

  /** eventfd_poll (no POLLRDNORM/POLLWRNORM, as Linux) */
  override poll(): number {
    let mask = 0;
    if (this.count > 0n) mask |= POLLIN;
    if (this.count === ULLONG_MAX) mask |= POLLERR;
    if (ULLONG_MAX - 1n > this.count) mask |= POLLOUT;
    return mask;
  }

  /** eventfd_show_fdinfo */
  override fdinfo(): string {
    return `eventfd-count: ${this.count.toString(16).padStart(16)}\neventfd-id: ${this.id}\neventfd-semaphore: ${this.semaphore ? 1 : 0}\n`;
  }
}
