/**
 * epoll (fs/eventpoll.c): an interest list of (file, fd) items and a ready
 * list, as a file.
 *
 * Each item hooks a Waiter onto its file's wait queue (ep_poll_callback):
 * a wake whose key matches the item's events puts it on the ready list and
 * wakes the epoll's own queue (epoll_wait sleepers, and pollers of the epoll
 * fd itself when epolls nest). epoll_wait takes items off the ready list and
 * polls each again (ep_send_events): nothing → dropped; ready → reported,
 * then level-triggered items go back on the list, edge-triggered ones wait
 * for the next wake, and EPOLLONESHOT ones are disabled until EPOLL_CTL_MOD.
 *
 * Like Linux, an epoll holds no reference on its files. An item whose file
 * is gone (its last reference dropped) is removed when next seen — on the
 * ready list (release wakes pipes' queues), by a scan, or when the epoll
 * closes — where Linux removes it at once (eventpoll_release); a watched
 * epoll's items go at once, so a closed one never counts in the nesting
 * depth (ep_loop_check walks up and down from a new link). An EPOLLEXCLUSIVE
 * item waits exclusively on its file's queue: a wake reaches such items in
 * turn until one finds sleepers in its epoll_wait (each still becomes ready).
 *
 * Ownership: an EpollFile and its items are touched only on the JS thread.
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import { File } from './file.js';
import { WaitQueue, POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDNORM } from './waitqueue.js';
import { AnonInodeFile } from './eventfd.js';

export { EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD } from '../abi/poll.js';
import { EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD } from '../abi/poll.js';
export { EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLONESHOT, EPOLLET } from '../abi/poll.js';
import { EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLONESHOT, EPOLLET } from '../abi/poll.js';
/** the bits that are modes, not events */
const EP_PRIVATE_BITS = (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE) >>> 0;
const EPOLLEXCLUSIVE_OK_BITS = (POLLIN | POLLOUT | POLLERR | POLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE) >>> 0;
/** EP_MAX_NESTS: how deep epolls may watch epolls */
const EP_MAX_NESTS = 4;

/** struct epitem. Owned by its EpollFile (guarded by the JS thread): epoll_ctl,
 * epoll_wait and the wake callbacks of the watched files write it. */
interface EpItem {
  readonly file: File;
  readonly fd: number;
  /** event mask with EPOLLERR|EPOLLHUP and the mode bits (u32) */
  events: number;
  /** epoll_data, as two u32 words */
  dataLo: number;
  dataHi: number;
  /** on the ready list */
  ready: boolean;
  /** removed from the interest list (a stale ready-list entry) */
  dead: boolean;
  readonly wq: WaitQueue | null;
  /** on wq (exclusively for EPOLLEXCLUSIVE): true when it woke a sleeper of this epoll */
  readonly waiter: (key: number) => boolean;
}

/** What epoll_wait hands the guest for one ready item (struct epoll_event). */
export type EpollEmit = (index: number, events: number, dataLo: number, dataHi: number) => void;

export class EpollFile extends AnonInodeFile {
  /** the interest list, by file then fd (ep_find's key); guarded by the JS thread */
  private readonly items = new Map<File, Map<number, EpItem>>();
  /** rdllist, in order; guarded by the JS thread (epoll_wait swaps it; wake callbacks add) */
  private rdlist = new Set<EpItem>();
  /** epoll_wait sleepers and pollers of this epoll; immutable reference */
  private readonly wq = new WaitQueue();
  /** the epolls whose interest lists hold this one (file->f_ep, walked upwards by ep_loop_check);
   * guarded by the JS thread (their epoll_ctl and release write it) */
  private readonly watchers = new Set<EpollFile>();

  /** busy polling's parameters (EPIOCSPARAMS; kept and shown, there being no NIC to busy-poll); guarded by the
   * JS thread */
  busyPoll = { usecs: 0, budget: 0, prefer: 0 };

  constructor(flags: number) {
    super(flags, 'anon_inode:[eventpoll]');
  }

  override get waitq(): WaitQueue {
    return this.wq;
  }

  /** The item for (file, fd), if registered. */
  private find(file: File, fd: number): EpItem | undefined {
    return this.items.get(file)?.get(fd);
  }

  /**
   * do_epoll_ctl after the fds are resolved: file is fd's File. events is
   * the guest's mask (u32). Returns 0 or -errno.
   */
  ctl(op: number, fd: number, file: File, events: number, dataLo: number, dataHi: number): number {
    if (op !== EPOLL_CTL_DEL) events = (events & ~EPOLLWAKEUP) >>> 0; // without CAP_BLOCK_SUSPEND: silently dropped
    if (file.waitq === null) return -Errno.EPERM; // !file_can_poll: regular files, directories
    if (file === this) return -Errno.EINVAL;
    if (op !== EPOLL_CTL_DEL && events & EPOLLEXCLUSIVE) {
      if (op === EPOLL_CTL_MOD) return -Errno.EINVAL;
      if (op === EPOLL_CTL_ADD && (file instanceof EpollFile || (events & ~EPOLLEXCLUSIVE_OK_BITS) >>> 0)) return -Errno.EINVAL;
    }
    if (op === EPOLL_CTL_ADD && file instanceof EpollFile) {
      // ep_loop_check: no cycle, and the chain through the new link (the epolls above this one, the link,
      // those below file) no longer than EP_MAX_NESTS
      if (file.reaches(this, 0) || this.upwardDepth(0) + 1 + file.depth() > EP_MAX_NESTS) return -Errno.ELOOP;
    }
    const it = this.find(file, fd);
    switch (op) {
      case EPOLL_CTL_ADD:
        if (it) return -Errno.EEXIST;
        this.insert(file, fd, (events | POLLERR | POLLHUP) >>> 0, dataLo, dataHi);
        return 0;
      case EPOLL_CTL_DEL:
        if (!it) return -Errno.ENOENT;
        this.remove(it);
        return 0;
      case EPOLL_CTL_MOD:
        if (!it) return -Errno.ENOENT;
        if (it.events & EPOLLEXCLUSIVE) return -Errno.EINVAL;
        it.events = (events | POLLERR | POLLHUP) >>> 0;
        it.dataLo = dataLo;
        it.dataHi = dataHi;
        if (this.pollItem(it)) this.makeReady(it);
        return 0;
      default:
        return -Errno.EINVAL;
    }
  }

  /**
   * get_epoll_tfile_raw_ptr (kcmp's KCMP_EPOLL_TFD): the file of the toff-th
   * item registered under fd number tfd (one number may name several files
   * over time), or null. Linux counts them in its tree's order, by file
   * pointer; here in the order they were added.
   */
  targetFile(tfd: number, toff: number): File | null {
    let n = 0;
    for (const byFd of this.items.values()) {
      const it = byFd.get(tfd);
      if (it && !it.dead && n++ === toff) return it.file;
    }
    return null;
  }

  /** ep_insert */
  private insert(file: File, fd: number, events: number, dataLo: number, dataHi: number): void {
    const wq = file.waitq;
    const it: EpItem = {
      file, fd, events, dataLo, dataHi, ready: false, dead: false, wq,
      waiter: (key: number) => this.callback(it, key),
    };
    let byFd = this.items.get(file);
    if (!byFd) this.items.set(file, (byFd = new Map()));
    byFd.set(fd, it);
    if (file instanceof EpollFile) file.watchers.add(this);
    if (events & EPOLLEXCLUSIVE) wq?.addExclusive(it.waiter);
    else wq?.add(it.waiter);
    if (this.pollItem(it)) this.makeReady(it);
  }

  /** ep_remove */
  private remove(it: EpItem): void {
    it.dead = true;
    it.wq?.remove(it.waiter);
    const byFd = this.items.get(it.file);
    byFd?.delete(it.fd);
    if (byFd && byFd.size === 0) {
      this.items.delete(it.file);
      if (it.file instanceof EpollFile) it.file.watchers.delete(this);
    }
    if (it.ready) {
      this.rdlist.delete(it);
      it.ready = false;
    }
  }

  /** ep_item_poll: the item's events that are ready now. */
  private pollItem(it: EpItem): number {
    return (it.file.poll() & it.events) >>> 0;
  }

  private makeReady(it: EpItem): void {
    if (!it.ready) {
      it.ready = true;
      this.rdlist.add(it);
    }
    this.wq.wake(POLLIN);
  }

  /** ep_poll_callback: the item's file woke its queue with key (0: any event). For an EPOLLEXCLUSIVE item, true
   * when it woke sleepers of this epoll for an event they want (the exclusive wake stops there). */
  private callback(it: EpItem, key: number): boolean {
    if (it.dead || !(it.events & ~EP_PRIVATE_BITS)) return false; // a disabled EPOLLONESHOT item
    if (key && !(key & it.events)) return false;
    const sleepers = !this.wq.empty;
    this.makeReady(it);
    if (!sleepers) return false;
    const io = key & (POLLIN | POLLOUT);
    return io === POLLIN ? (it.events & POLLIN) !== 0 : io === POLLOUT ? (it.events & POLLOUT) !== 0 : io === 0;
  }

  /**
   * ep_send_events: report up to max ready items through emit (which may
   * throw EFAULT: the item stays ready; the error is the result only if
   * nothing was reported). Returns how many were reported.
   */
  harvest(max: number, emit: EpollEmit): number {
    const tx = [...this.rdlist];
    this.rdlist = new Set();
    for (const it of tx) it.ready = false;
    const readd: EpItem[] = [];
    let res = 0, i = 0;
    try {
      for (; i < tx.length && res < max; i++) {
        const it = tx[i]!;
        if (it.dead) continue;
        if (it.file.released) {
          this.remove(it);
          continue;
        }
        const revents = this.pollItem(it);
        if (!revents) continue;
        emit(res, revents, it.dataLo, it.dataHi);
        res++;
        if (it.events & EPOLLONESHOT) it.events = (it.events & EP_PRIVATE_BITS) >>> 0;
        else if (!(it.events & EPOLLET)) readd.push(it);
      }
    } catch (e) {
      if (!(e instanceof ErrnoError) || res === 0) {
        this.doneScan(tx.slice(i), readd);
        throw e;
      }
    }
    this.doneScan(tx.slice(i), readd);
    return res;
  }

  /** ep_done_scan: the unprocessed items first, then those woken meanwhile, then the level-triggered ones reported. */
  private doneScan(left: EpItem[], readd: EpItem[]): void {
    const next = new Set<EpItem>();
    for (const it of left) if (!it.dead) next.add(it);
    for (const it of this.rdlist) next.add(it);
    for (const it of readd) if (!it.dead) next.add(it);
    for (const it of next) it.ready = true;
    this.rdlist = next;
  }

  /** Is anything ready (ep_events_available)? */
  get hasReady(): boolean {
    return this.rdlist.size > 0;
  }

  /** ep_eventpoll_poll: readable when an item on the ready list really is ready. */
  override poll(): number {
    for (const it of [...this.rdlist]) {
      if (!it.dead && !it.file.released && this.pollItem(it)) return POLLIN | POLLRDNORM;
      if (!it.dead && it.file.released) this.remove(it);
      this.rdlist.delete(it);
      it.ready = false;
    }
    return 0;
  }

  /** A watched epoll is gone (eventpoll_release): its items here go now, so it counts in no depth. */
  private dropWatched(file: EpollFile): void {
    for (const it of [...(this.items.get(file)?.values() ?? [])]) this.remove(it);
  }

  /** ep_show_fdinfo: one line per item (the target's fd, events, data, position, inode and device) */
  override fdinfo(): string {
    let s = '';
    for (const byFd of this.items.values()) {
      for (const it of byFd.values()) {
        const st = it.file.stat();
        const ino = typeof st === 'number' ? 0 : st.ino, dev = typeof st === 'number' ? 0 : st.dev;
        // s_dev as the kernel keeps it (MKDEV: major << 20 | minor), from stat's encoding
        const major = ((dev >>> 8) & 0xfff), minor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
        const data = (BigInt(it.dataHi >>> 0) << 32n) | BigInt(it.dataLo >>> 0);
        s += `tfd: ${String(it.fd).padStart(8)} events: ${it.events.toString(16).padStart(8)} data: ${data.toString(16).padStart(16)}` +
          `  pos:${it.file.pos} ino:${ino.toString(16)} sdev:${((major << 20) | minor).toString(16)}\n`;
      }
    }
    return s;
  }

  /** Does this epoll watch target, directly or through nested epolls? */
  private reaches(target: EpollFile, depth: number): boolean {
    if (this === target) return true;
    if (depth > EP_MAX_NESTS) return false;
    for (const f of this.items.keys()) if (f instanceof EpollFile && f.reaches(target, depth + 1)) return true;
    return false;
  }
  /** The longest chain of epolls above this one (ep_get_upwards_depth_proc). */
  private upwardDepth(depth: number): number {
    let d = 0;
    if (depth > EP_MAX_NESTS) return d;
    for (const w of this.watchers) d = Math.max(d, 1 + w.upwardDepth(depth + 1));
    return d;
  }
  /** The longest chain of epolls below this one. */
  private depth(): number {
    let d = 0;
    for (const f of this.items.keys()) if (f instanceof EpollFile) d = Math.max(d, 1 + f.depth());
    return d;
  }

  protected override release(): void {
    for (const w of [...this.watchers]) w.dropWatched(this);
    this.watchers.clear();
    for (const byFd of [...this.items.values()]) for (const it of [...byFd.values()]) this.remove(it);
    this.rdlist.clear();
  }
}
