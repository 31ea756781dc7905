/**
 * inotify (fs/notify/inotify/inotify_user.c over fs/notify/fsnotify.c):
 * watches on inodes, whose events queue up in an inotify instance's file.
 *
 * Fsnotify is the kernel's table of watched inodes (one per Vfs). A watch
 * (Mark) belongs to one instance (InotifyFile) and one inode (Watched); an
 * inode is keyed by its identity, so hard links and different paths share
 * its marks: a host file by the host's st_dev:st_ino, any other by its
 * filesystem and inode number.
 *
 * Where events come from. The VFS and the syscall layer report what guests
 * do through them (namespace changes, attribute changes, open, close,
 * read, write) with the calls below, named for Linux's fsnotify hooks. A
 * file of a host directory (hostfs) changes under host programs too (an
 * editor on the host, a dev server in the guest: the main use), so a
 * watched host inode is watched on the host as well: one host inotify
 * instance for the whole kernel, read by the kernel's event loop
 * (HostWatch) and before any look at a guest queue (read, poll, FIONREAD),
 * so a guest's own change is seen by its next read as on Linux. The host
 * reports the guest's changes too (umlts makes them on the host), so an
 * inode watched on the host takes its events from there only and the VFS's
 * reports about it are dropped: nothing is doubled, and the host's order is
 * kept. An inode the host would not watch (no host instance to be had) falls
 * back to the VFS's reports.
 *
 * Known differences from Linux:
 *   - host files: what umlts does on the host is what the host reports. A
 *     guest's directory listing is one host open+read+close at its first
 *     getdents (not IN_OPEN at opendir and IN_CLOSE_NOWRITE at closedir);
 *     a host fd the filehandle layer reclaims and reopens shows an extra
 *     IN_OPEN/IN_CLOSE; the loader's reads of a program are IN_ACCESS; a
 *     new file given its creator's ids by a host root shows IN_ATTRIB;
 *     trusted.* and security.* xattrs (kept in memory) show nothing. The
 *     host's queue overflowing is IN_Q_OVERFLOW to every instance with
 *     host watches.
 *   - other files: a file's parent, for the events a directory watch gets
 *     about its children, is where the file was opened from; a file renamed
 *     since reports to nobody's directory watch (Linux follows the
 *     dentry). IN_DELETE_SELF of a directory comes at its rmdir even if
 *     it is open (Linux waits for the last reference); of a tmpfs file, at
 *     the last close as Linux.
 *   - limits: max_user_instances (128) per real uid, as Linux;
 *     max_user_watches is a fixed 65536 per real uid (Linux sizes it from
 *     memory); the queue holds 16384 events (max_queued_events), then
 *     IN_Q_OVERFLOW, as Linux. No IN_UNMOUNT (mounts are fixed).
 *
 * Ownership: everything here is guarded by the JS thread (any task's
 * syscall, and the host-fd callback); nothing spans an await.
 */
import { Errno } from '../abi/errno.js';
import * as host from '../host/libc.js';
import {
  IN_ALL_EVENTS, IN_ISDIR, IN_IGNORED, IN_Q_OVERFLOW, IN_UNMOUNT, IN_ONESHOT, IN_EXCL_UNLINK, IN_MASK_ADD, IN_MASK_CREATE,
  IN_DELETE_SELF, IN_MOVE_SELF, IN_NONBLOCK, INOTIFY_EVENT_SIZE, eachInotifyEvent, INOTIFY_MAX_QUEUED_EVENTS, INOTIFY_MAX_USER_INSTANCES,
} from '../abi/inotify.js';
import { FIONREAD } from '../abi/termios.js';
import { encodeName } from '../abi/names.js';
import { UserMemory } from './file.js';
import { AnonInodeFile } from './eventfd.js';
import { WaitQueue, POLLIN, POLLRDNORM } from './waitqueue.js';
import { FileSystem, Node } from './node.js';
import { HostFs, HostNode } from './hostfs.js';
import type { HostWatch } from './tty/tty.js';

/** max_user_watches, fixed here (Linux: 1% of low memory / the size of a mark) */
export const INOTIFY_MAX_USER_WATCHES = 65536;

/** One queued event (struct inotify_event before it is encoded); immutable. */
interface Event {
  readonly wd: number;
  readonly mask: number;
  readonly cookie: number;
  /** the name's bytes (no NUL), or null */
  readonly name: Uint8Array | null;
}

/** The bytes read(2) takes for ev. */
function eventSize(ev: Event): number {
  return INOTIFY_EVENT_SIZE + (ev.name ? (ev.name.length + 1 + INOTIFY_EVENT_SIZE - 1) & ~(INOTIFY_EVENT_SIZE - 1) : 0);
}

/** One watch: struct inotify_inode_mark. mask: events plus IN_ONESHOT / IN_EXCL_UNLINK; guarded by the JS thread. */
class Mark {
  constructor(readonly group: InotifyFile, readonly wd: number, public mask: number, readonly inode: Watched) {}
}

/** A watched inode: its marks, and its host watch if the host reports its events. Guarded by the JS thread. */
interface Watched {
  readonly key: string;
  readonly marks: Mark[];
  /** the host inotify's watch descriptor, or -1: the VFS reports its events */
  hostWd: number;
  /** the events the host watch asks for */
  hostMask: number;
}

/** The fsnotify side of the VFS: watched inodes, their marks, the host's inotify. */
export class Fsnotify {
  /** watched inodes by key; guarded by the JS thread */
  private readonly inodes = new Map<string, Watched>();
  /** the watched inodes the host reports, by host wd; guarded by the JS thread */
  private readonly byHostWd = new Map<number, Watched>();
  /** a number per non-host filesystem, for keys; guarded by the JS thread */
  private readonly fsIds = new WeakMap<FileSystem, number>();
  private nextFsId = 1;
  /** fsnotify_get_cookie's counter; guarded by the JS thread */
  private cookie = 0;
  /** instances and watches per real uid (the per-user limits); guarded by the JS thread */
  private readonly instances = new Map<number, number>();
  private readonly watches = new Map<number, number>();
  /** the host inotify fd (-1: not opened yet; -2: unavailable) and whether a HostWatch is armed on it;
   * guarded by the JS thread */
  private hostFd = -1;
  private armed = false;
  /** scratch for the host's events; used synchronously only */
  private readonly hostBuf = new Uint8Array(65536);

  constructor(/** the kernel's host-fd readiness; immutable */ private readonly hostWatch: HostWatch) {}

  // ---- instances and watches ---------------------------------------------------------------

  /** inotify_init1's new instance for real uid uid, or -EMFILE past max_user_instances. flags: IN_NONBLOCK, IN_CLOEXEC. */
  newInstance(uid: number, flags: number): InotifyFile | number {
    const n = this.instances.get(uid) ?? 0;
    if (n >= INOTIFY_MAX_USER_INSTANCES) return -Errno.EMFILE;
    this.instances.set(uid, n + 1);
    // O_RDONLY, and O_NONBLOCK (IN_NONBLOCK is O_NONBLOCK); IN_CLOEXEC is the fd's
    return new InotifyFile(this, uid, flags & IN_NONBLOCK);
  }

  /** The instance is gone (its last fd closed): its watches go, silently (inotify_release). */
  released(g: InotifyFile): void {
    for (const m of [...g.marks.values()]) this.detach(m);
    g.marks.clear();
    const n = (this.instances.get(g.uid) ?? 1) - 1;
    if (n > 0) this.instances.set(g.uid, n);
    else this.instances.delete(g.uid);
  }

  /**
   * inotify_update_watch for node (already resolved and permitted): the
   * instance's watch of it, new (the next wd) or updated (its mask replaced,
   * or added to with IN_MASK_ADD; EEXIST with IN_MASK_CREATE). The wd or -errno.
   */
  addWatch(g: InotifyFile, node: Node, arg: number): number {
    const key = this.keyOf(node);
    const mask = arg & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);
    let w = this.inodes.get(key);
    const old = w?.marks.find((m) => m.group === g);
    if (old) {
      if (arg & IN_MASK_CREATE) return -Errno.EEXIST;
      old.mask = arg & IN_MASK_ADD ? old.mask | mask : mask;
      this.watchOnHost(old.inode, node);
      return old.wd;
    }
    const n = this.watches.get(g.uid) ?? 0;
    if (n >= INOTIFY_MAX_USER_WATCHES) return -Errno.ENOSPC;
    if (!w) {
      w = { key, marks: [], hostWd: -1, hostMask: 0 };
      this.inodes.set(key, w);
    }
    const m = new Mark(g, ++g.lastWd, mask, w);
    w.marks.push(m);
    g.marks.set(m.wd, m);
    this.watches.set(g.uid, n + 1);
    this.watchOnHost(w, node);
    return m.wd;
  }

  /** inotify_rm_watch: IN_IGNORED is queued and the watch goes; -EINVAL for a wd the instance does not have. */
  rmWatch(g: InotifyFile, wd: number): number {
    const m = g.marks.get(wd);
    if (!m) return -Errno.EINVAL;
    this.destroy(m);
    return 0;
  }

  /** The key of node's inode: the host's identity for host files (two mounts of one host directory share it). */
  private keyOf(node: Node): string {
    const st = node.peek();
    if (node.fs instanceof HostFs) return `h${st.dev}:${st.ino}`;
    let id = this.fsIds.get(node.fs);
    if (id === undefined) {
      id = this.nextFsId++;
      this.fsIds.set(node.fs, id);
    }
    return `${id}:${st.ino}`;
  }

  /** A mark goes with IN_IGNORED (inotify_ignored_and_remove_idr). */
  private destroy(m: Mark): void {
    m.group.queue(m.wd, IN_IGNORED, 0, null);
    m.group.marks.delete(m.wd);
    this.detach(m);
  }

  /** Take m off its inode (and the inode off the table, and the host, when it was the last). */
  private detach(m: Mark): void {
    const w = m.inode;
    const i = w.marks.indexOf(m);
    if (i >= 0) w.marks.splice(i, 1);
    const n = (this.watches.get(m.group.uid) ?? 1) - 1;
    if (n > 0) this.watches.set(m.group.uid, n);
    else this.watches.delete(m.group.uid);
    if (w.marks.length > 0) return;
    this.inodes.delete(w.key);
    if (w.hostWd >= 0) {
      this.byHostWd.delete(w.hostWd);
      // its IN_IGNORED, when the host sends it, finds no inode and is dropped
      host.inotifyRmWatch(this.hostFd, w.hostWd);
    }
  }

  // ---- events: the VFS's and the syscall layer's reports (fsnotify.h) ------------------------

  /** Anything watched at all (the hooks' fast way out). */
  get active(): boolean {
    return this.inodes.size > 0;
  }

  /** fsnotify_get_cookie: the cookie pairing one rename's IN_MOVED_FROM and IN_MOVED_TO. */
  newCookie(): number {
    this.cookie = (this.cookie + 1) >>> 0 || 1;
    return this.cookie;
  }

  /** node's inode has watches that take the VFS's reports (the VFS asks before it looks for a file's directory). */
  watchesHere(node: Node): boolean {
    const w = this.inodes.get(this.keyOf(node));
    return w !== undefined && w.hostWd < 0;
  }

  /** The marks of node's inode that take the VFS's reports (not one the host reports), or null. */
  private vfsWatched(node: Node): Watched | null {
    const w = this.inodes.get(this.keyOf(node));
    if (!w || w.hostWd >= 0) return null;
    // the host's events so far go first, so one queue keeps the order things happened in
    if (this.byHostWd.size > 0) this.syncHost();
    return w;
  }

  /** fsnotify_inode: an event of node's own (IN_ATTRIB for a link count, IN_MOVE_SELF...), not its directory's. */
  inodeEvent(node: Node, mask: number): void {
    if (this.inodes.size === 0) return;
    const w = this.vfsWatched(node);
    if (w) this.deliver(w, mask | (node.isDir ? IN_ISDIR : 0), 0, null, false);
  }

  /**
   * fsnotify_parent + the inode: an event of node (open, access, modify,
   * attrib, close) to the watch of its directory dir (with name: null if
   * unknown) and then to its own. unlinked: node has no name any more
   * (watches with IN_EXCL_UNLINK do not hear about it from the directory).
   */
  childEvent(dir: Node | null, name: string, node: Node, mask: number, unlinked = false): void {
    if (this.inodes.size === 0) return;
    const isDir = node.isDir ? IN_ISDIR : 0;
    if (dir) {
      const p = this.vfsWatched(dir);
      if (p) this.deliver(p, mask | isDir, 0, encodeName(name), unlinked);
    }
    const w = this.vfsWatched(node);
    if (w) this.deliver(w, mask | isDir, 0, null, false);
  }

  /** fsnotify_name: a directory entry event (IN_CREATE, IN_DELETE, IN_MOVED_*; the caller adds IN_ISDIR) in dir. */
  nameEvent(dir: Node, name: string, mask: number, cookie = 0): void {
    if (this.inodes.size === 0) return;
    const w = this.vfsWatched(dir);
    if (w) this.deliver(w, mask, cookie, encodeName(name), false);
  }

  /** fsnotify_inoderemove: node's inode is gone (its last link, and its last open): IN_DELETE_SELF, then every watch of it goes. */
  inodeRemoved(node: Node): void {
    if (this.inodes.size === 0) return;
    const w = this.vfsWatched(node);
    if (!w) return;
    this.deliver(w, IN_DELETE_SELF, 0, null, false);
    for (const m of [...w.marks]) this.destroy(m);
  }

  /** send_to_group for each mark of w that wants the event; an IN_ONESHOT mark goes after it. */
  private deliver(w: Watched, mask: number, cookie: number, name: Uint8Array | null, unlinked: boolean): void {
    // inotify never reported IN_ISDIR with the _SELF events (inotify_handle_inode_event)
    if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) mask &= ~IN_ISDIR;
    for (const m of [...w.marks]) {
      if (!(m.mask & mask & IN_ALL_EVENTS) && !(mask & IN_UNMOUNT)) continue;
      if (unlinked && m.mask & IN_EXCL_UNLINK) continue;
      m.group.queue(m.wd, mask, cookie, name);
      if (m.mask & IN_ONESHOT) this.destroy(m);
    }
  }

  // ---- the host's inotify --------------------------------------------------------------------

  /** Watch node's host inode on the host for every event w's marks ask for (host files only). */
  private watchOnHost(w: Watched, node: Node): void {
    if (!(node instanceof HostNode)) return;
    let want = 0;
    for (const m of w.marks) want |= m.mask & IN_ALL_EVENTS;
    // a watch never asks the host for less (the extra events are filtered here): re-adding needs a path
    if (w.hostWd >= 0 && (w.hostMask | want) === w.hostMask) return;
    if (this.hostFd === -1) {
      const fd = host.inotifyInit1(host.IN_NONBLOCK | host.IN_CLOEXEC);
      this.hostFd = fd >= 0 ? fd : -2;
    }
    if (this.hostFd < 0) return;
    const mask = w.hostMask | want;
    // the O_PATH fd's magic link is the inode itself: the host resolves no guest path
    const wd = node.fs.withRelFd(node.rel, (path) => host.inotifyAddWatch(this.hostFd, path, mask));
    if (wd < 0) return;
    const other = this.byHostWd.get(wd);
    if (other && other !== w) return; // (one host inode is one key: cannot happen)
    w.hostWd = wd;
    w.hostMask = mask;
    this.byHostWd.set(wd, w);
    this.arm();
  }

  /** Have the event loop read the host's events when there are some. */
  private arm(): void {
    if (this.armed || this.hostFd < 0 || this.byHostWd.size === 0) return;
    this.armed = this.hostWatch.watch(this.hostFd, POLLIN, () => {
      this.armed = false;
      this.syncHost();
      this.arm();
    });
  }

  /** Read the host's queued events into the guests' queues (before any look at a queue). */
  syncHost(): void {
    if (this.hostFd < 0 || this.byHostWd.size === 0) return;
    const b = this.hostBuf;
    for (;;) {
      const n = host.read(this.hostFd, b);
      if (n === -Errno.EINTR) continue;
      if (n <= 0) return; // EAGAIN: no more
      eachInotifyEvent(b, n, (wd, mask, cookie, bytes) => {
        if (mask & IN_Q_OVERFLOW) {
          // the host lost events: so did every instance with host watches
          const groups = new Set<InotifyFile>();
          for (const w of this.byHostWd.values()) for (const m of w.marks) groups.add(m.group);
          for (const g of groups) g.queue(-1, IN_Q_OVERFLOW, 0, null);
          return;
        }
        const w = this.byHostWd.get(wd);
        if (!w) return;
        if (mask & IN_IGNORED) {
          // the host inode is gone (after its IN_DELETE_SELF) or unmounted: so are the guests' watches of it
          this.byHostWd.delete(wd);
          w.hostWd = -1;
          for (const m of [...w.marks]) this.destroy(m);
          return;
        }
        // (the name is kept in the queue: a copy, not a view of the read buffer)
        this.deliver(w, mask, cookie, bytes.length > 0 ? bytes.slice() : null, false);
      });
    }
  }
}

/**
 * An inotify instance (struct fsnotify_group as inotify_fops see it): its
 * watches by wd and its queue of events. Shared by every fd dup()ed or
 * inherited from it; the last one's close takes the watches away.
 */
export class InotifyFile extends AnonInodeFile {
  /** watches by wd; guarded by the JS thread (Fsnotify adds and removes) */
  readonly marks = new Map<number, Mark>();
  /** the last wd given (wds are never reused while the instance lives: idr_alloc_cyclic) */
  lastWd = 0;
  /** the queue, oldest first from head; guarded by the JS thread */
  private events: Event[] = [];
  private head = 0;
  /** an IN_Q_OVERFLOW is queued (only one at a time: group->overflow_event) */
  private overflowQueued = false;
  /** immutable reference */
  private readonly wq = new WaitQueue();

  constructor(
    /** immutable */ private readonly fsn: Fsnotify,
    /** the real uid that made it (the per-user limits); immutable */ readonly uid: number,
    flags: number,
  ) {
    super(flags, 'anon_inode:inotify');
  }

  /** (f_op->fasync: O_ASYNC signals the owner) */
  override get fasyncCapable(): boolean {
    return true;
  }
  override get waitq(): WaitQueue {
    return this.wq;
  }

  /** read(2) of 0 bytes reaches inotify_read (EINVAL with an event queued, else it waits) */
  override get zeroLengthRead(): boolean {
    return true;
  }

  /** readv reads each segment separately (inotify has .read only: do_loop_readv_writev) */
  override get readsBySegment(): boolean {
    return true;
  }

  private get length(): number {
    return this.events.length - this.head;
  }

  /** fsnotify_insert_event with inotify_merge: past max_queued_events one IN_Q_OVERFLOW; an event like the last one
   * queued (wd, mask, name; not IN_IGNORED's) is dropped. */
  queue(wd: number, mask: number, cookie: number, name: Uint8Array | null): void {
    if (this.released) return;
    if (this.length >= INOTIFY_MAX_QUEUED_EVENTS) {
      if (this.overflowQueued) return;
      this.overflowQueued = true;
      wd = -1;
      mask = IN_Q_OVERFLOW;
      cookie = 0;
      name = null;
    } else if (this.length > 0) {
      const last = this.events[this.events.length - 1]!;
      if (!(last.mask & IN_IGNORED) && last.mask === mask && last.wd === wd && sameName(last.name, name)) return;
    }
    this.events.push({ wd, mask: mask >>> 0, cookie, name });
    this.wq.wake(POLLIN);
  }

  /** inotify_read: whole events while they fit; EINVAL if the next does not fit at all; EAGAIN when none. */
  override read(buf: Uint8Array, _pos: number | null): number {
    this.fsn.syncHost();
    if (this.length === 0) return -Errno.EAGAIN;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let off = 0;
    while (this.length > 0) {
      const ev = this.events[this.head]!;
      const size = eventSize(ev);
      if (off + size > buf.length) {
        if (off === 0) return -Errno.EINVAL;
        break;
      }
      this.shift();
      dv.setInt32(off, ev.wd, true);
      dv.setUint32(off + 4, ev.mask, true);
      dv.setUint32(off + 8, ev.cookie, true);
      dv.setUint32(off + 12, size - INOTIFY_EVENT_SIZE, true);
      if (ev.name) {
        buf.set(ev.name, off + INOTIFY_EVENT_SIZE);
        buf.fill(0, off + INOTIFY_EVENT_SIZE + ev.name.length, off + size);
      }
      off += size;
    }
    return off;
  }

  private shift(): void {
    const ev = this.events[this.head++]!;
    if (ev.mask & IN_Q_OVERFLOW && ev.wd === -1) this.overflowQueued = false;
    if (this.head === this.events.length) {
      this.events = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  override write(): number {
    return -Errno.EINVAL;
  }

  /** no_llseek is not set: lseek answers the (unused) position */
  override seek(): number {
    return this.pos;
  }

  /** inotify_poll */
  override poll(): number {
    this.fsn.syncHost();
    return this.length > 0 ? POLLIN | POLLRDNORM : 0;
  }

  /** inotify_ioctl: FIONREAD, the bytes the queue would read as */
  override ioctl(req: number, arg: number, mem: UserMemory): number {
    if (req !== FIONREAD) return -Errno.ENOTTY;
    this.fsn.syncHost();
    let n = 0;
    for (let i = this.head; i < this.events.length; i++) n += eventSize(this.events[i]!);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n, true);
    mem.write(arg, b);
    return 0;
  }

  protected override release(): void {
    this.fsn.released(this);
    this.events = [];
    this.head = 0;
  }
}

function sameName(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
