/**
 * Named pipes (fs/pipe.c fifo_open): a FIFO inode on tmpfs or a hostfs
 * directory gets one Pipe while it is open anywhere, found by the inode's
 * identity ("st_dev:st_ino", as net/unix.ts finds bound sockets); the Pipe
 * goes, with whatever it still held, when the last end is closed.
 *
 * Opening, as Linux:
 *   O_RDONLY   counts as a reader at once; without O_NONBLOCK it waits
 *              until a writer has opened (wait_for_partner);
 *   O_WRONLY   with O_NONBLOCK and no reader: ENXIO; without O_NONBLOCK
 *              it waits until a reader has opened;
 *   O_RDWR     never waits (it is its own partner).
 * The wait itself is the syscall layer's (an open that must wait returns a
 * FifoEnd whose mustWait() is true; syscalls/open.ts sleeps on
 * pipe.openWait and re-checks partnerCame()). A signal ends the wait and
 * the end is released, as fifo_open's -ERESTARTSYS path does.
 *
 * A FIFO made by a host program in a host directory is a different pipe
 * from the guest's: the host kernel's FIFO and this one never meet.
 *
 * Ownership: the table and every Pipe in it are guarded by the JS thread
 * (any task's open, close and I/O).
 */
import { Errno } from '../abi/errno.js';
import { Pipe, PipeEnd } from './pipe.js';
import type { Node } from './node.js';
import { Stat, O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from './types.js';

/** pipefs inode numbers of FIFOs' pipes; distinct from anonymous pipes' (which count up from 1 << 20). */
const FIFO_PIPE_INO_BASE = 1 << 30;

export class FifoTable {
  /** "dev:ino" -> the FIFO's pipe, while any end is open; guarded by the JS thread */
  private readonly pipes = new Map<string, Pipe>();
  /** pipe inode numbers handed out; guarded by the JS thread */
  private nextIno = FIFO_PIPE_INO_BASE;

  /** Pipes open now (for tests and /proc/umlts). */
  get size(): number {
    return this.pipes.size;
  }

  /**
   * fifo_open: an end of node's pipe for the open flags (unknown bits
   * already dropped, O_ACCMODE 3 refused by the VFS). -ENXIO for a
   * non-blocking writer with no reader.
   */
  open(node: Node, st: Stat, flags: number, path: string, attrs: FifoAttrs | null = null): FifoEnd | number {
    const key = `${st.dev}:${st.ino}`;
    let pipe = this.pipes.get(key);
    const acc = flags & O_ACCMODE;
    if (acc === O_WRONLY && flags & O_NONBLOCK && (pipe?.readers ?? 0) === 0) {
      attrs?.close();
      return -Errno.ENXIO;
    }
    if (!pipe) {
      pipe = new Pipe(this.nextIno++, st.uid, st.gid);
      this.pipes.set(key, pipe);
    }
    const end = new FifoEnd(pipe, flags, path, attrs ?? node, () => {
      attrs?.close();
      if (pipe.readers === 0 && pipe.writers === 0 && this.pipes.get(key) === pipe) this.pipes.delete(key);
    });
    // a reader that opens without waiting remembers the writers it has seen (POLLHUP only after one)
    if (acc === O_RDONLY) end.fVersion = flags & O_NONBLOCK ? pipe.wCounter : 0;
    // wake_up_partner: openers waiting for this side
    pipe.openWait.wake(0);
    if (acc === O_RDWR || flags & O_NONBLOCK) return end;
    if (acc === O_RDONLY && pipe.writers === 0) end.waitFrom = pipe.wCounter;
    if (acc === O_WRONLY && pipe.readers === 0) end.waitFrom = pipe.rCounter;
    return end;
  }
}

/**
 * Where an open FIFO's attributes come from: the tmpfs inode itself, or a
 * hostfs handle on it (HostAttrs: right after a rename or unlink). close():
 * the end is gone.
 */
export interface FifoAttrs {
  stat(): Stat | number;
  close(): void;
}

/** An open end of a FIFO: a PipeEnd whose attributes are the FIFO inode's. */
export class FifoEnd extends PipeEnd {
  /** the partner count (writers' for a reader, readers' for a writer) seen at open while the opener
   * must wait for a partner, else -1; owned by the opening task (its open(2) re-runs) */
  waitFrom = -1;

  constructor(
    pipe: Pipe,
    flags: number,
    path: string,
    /** the FIFO inode or a handle on it; immutable */
    private readonly node: Pick<Node, 'stat'>,
    /** drops the table's entry once the pipe has no end; immutable */
    private readonly onRelease: () => void,
  ) {
    super(pipe, flags, path);
  }

  /** The opener must sleep on pipe.openWait until partnerCame(). */
  mustWait(): boolean {
    return this.waitFrom >= 0;
  }
  /** wait_for_partner's condition: the partner's open count moved since this end was opened. */
  partnerCame(): boolean {
    const now = (this.flags & O_ACCMODE) === O_RDONLY ? this.pipe.wCounter : this.pipe.rCounter;
    return now !== this.waitFrom;
  }
  /** The wait is over: the end is an ordinary open file from now on. */
  opened(): void {
    this.waitFrom = -1;
  }

  override stat(): Stat | number {
    return this.node.stat();
  }

  protected override release(): void {
    super.release();
    this.onRelease();
  }
}
