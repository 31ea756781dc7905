/**
 * hostfs's directory cache (Linux's dcache, gVisor's gofer dentry tree;
 * directories only): an O_PATH fd on each recently walked directory of one
 * mount, by rel. A lookup in a cached directory is one fstatat(dirfd, name)
 * where it was an openat2 of the parent's whole path from the mount's root,
 * an fstatat and a close; a new directory is opened from its cached parent
 * with one openat of one name.
 *
 * Coherence with the host. Every cached directory's parent is cached too
 * (the root's fd is the mount's own), and every cached directory is
 * watched with inotify for directory entries going away (rmdir, rename
 * from, rename over). So a change on the host that takes a cached rel's
 * directory away from that name, at any depth, is an event in a watched
 * directory, and drops the entry and everything below it. The events are
 * read (one non-blocking read) before the cache's first use in each guest
 * operation (the epoch the kernel advances per syscall), so an operation
 * sees every host change that completed before it began, as a process on
 * the host would. The guest's own rmdir and rename drop entries at once.
 * Every mount's cache watches through one inotify instance (DirWatches),
 * so an operation that walks several mounts (the root mount's root on the
 * way to any other) still reads once.
 * Only filesystems whose changes all make inotify events are cached (local
 * disks, tmpfs, overlayfs); on others (NFS, FUSE, procfs...), and when
 * inotify is unavailable or a directory cannot be watched, walks go from
 * the root as before.
 *
 * Attributes. A walk through a cached directory needs its type and, for
 * the search permission, its mode and owner: kept in the entry (st) from
 * an fstat of its own fd, and forgotten on IN_ATTRIB from its own watch
 * (chmod, chown, xattrs, on the host or by the guest), so a walk through
 * it costs no host call. Its times, size and link count go stale; they are
 * never read from here (the VFS stats a walk's last component afresh).
 *
 * Confinement. An entry is the directory the guest's walk reached, held
 * by fd, so swapping a component for a symlink on the host cannot redirect
 * a later access (an fd is not re-resolved). A host process that moves a
 * cached directory out of the mount is seen at the next operation; one
 * racing a single guest operation may let that operation act in the moved
 * directory, as a process whose cwd is moved out of a bind mount does.
 *
 * Ownership: one DirCache per HostFs, touched only on the JS thread. An fd
 * from acquire() stays valid until its put(): the cache never closes an
 * entry while any is out (busy > 0).
 */
import { Errno } from '../abi/errno.js';
import * as host from '../host/libc.js';
import { O_PATH, O_DIRECTORY } from './types.js';
import { HOST_OPEN, type HandleCache } from './filehandle.js';
import { decodeName } from '../abi/names.js';
import { eachInotifyEvent, INOTIFY_EVENT_MAX } from '../abi/inotify.js';
import { parseStat, STAT_SIZE, type Stat } from '../abi/stat.js';

/** one cached directory; immutable but st (guarded by the JS thread: set by attrs(), cleared by sync()) */
interface DirEnt {
  readonly rel: string;
  readonly fd: number;
  readonly wd: number;
  /** its attributes for walks through it, or null until asked after its last IN_ATTRIB */
  st: Stat | null;
}

/** statfs f_type of filesystems where every change is made through this host kernel (so inotify sees it) */
const LOCAL_FS = new Set([
  0xef53 /* ext2/3/4 */, 0x58465342 /* xfs */, 0x9123683e /* btrfs */, 0x01021994 /* tmpfs */, 0x858458f6 /* ramfs */,
  0x794c7630 /* overlayfs */, 0xf2f52010 /* f2fs */, 0x2fc12fc1 /* zfs */, 0xca451a4e /* bcachefs */,
]);

/** what a watch reports: a directory entry going away or being replaced, and the directory's own attributes
 * changing (IN_ATTRIB also comes for its entries, with their names: ignored) */
const WATCH_MASK = host.IN_DELETE | host.IN_MOVED_FROM | host.IN_MOVED_TO | host.IN_ATTRIB | host.IN_ONLYDIR;

export interface DirCacheStats {
  entries: number;
  hits: number;
  misses: number;
  dropped: number;
  /** walks through a cached directory that took its attributes from the cache */
  attrHits: number;
}

export class DirCache {
  /** entries by rel, by watch descriptor and by fd; guarded by the JS thread */
  private readonly byRel = new Map<string, DirEnt>();
  private readonly byWd = new Map<number, DirEnt>();
  private readonly byFd = new Map<number, DirEnt>();
  /** fds of entries dropped while fds were out: closed when none is (busy back to 0); guarded by the JS thread */
  private readonly zombies = new Set<number>();
  /** directories on filesystems not cached (foreign), whose subtrees are walked from the root; guarded by the JS thread */
  private readonly foreign = new Set<string>();
  /** the kernel's one inotify instance for directory caches; immutable reference */
  private readonly watches: DirWatches;
  /** this mount caches nothing (its filesystem does not report every change, its root cannot be watched, or the
   * host has no inotify for us); guarded by the JS thread */
  private off = false;
  /** the root's watch (-1: not started); guarded by the JS thread */
  private rootWd = -1;
  /** fds handed out and not yet put back; guarded by the JS thread */
  private busy = 0;
  /** the root's attributes while its watch reports their changes, else as read in operation rootStEpoch
   * (rootAttrs); guarded by the JS thread */
  private rootSt: Stat | null = null;
  private rootStEpoch = -1;
  /** entries kept before the next quiet moment empties the cache; immutable */
  private readonly cap: number;
  /** scratch for statfs; used synchronously only */
  private readonly sfbuf = new Uint8Array(120);
  private readonly stbuf = new Uint8Array(STAT_SIZE);
  /** counters; guarded by the JS thread */
  private hits = 0;
  private misses = 0;
  private dropped = 0;
  private attrHits = 0;

  constructor(
    /** the mount's root (O_PATH); not ours to close; immutable */
    private readonly rootFd: number,
    /** the kernel's filehandle layer: every fd here counts against its budget, and its DirWatches is every
     * cache's inotify; immutable */
    private readonly handles: HandleCache,
    /** the confined walk from the root (openat2) for a directory this cache does not hold; immutable */
    private readonly openFromRoot: (rel: string) => number,
  ) {
    this.cap = Math.max(8, Math.min(256, handles.budget >> 2));
    handles.addDirCache(this);
    this.watches = handles.dirWatches ??= new DirWatches(handles);
    // a mount whose root is on a filesystem that does not report every change caches nothing
    if (!this.local(rootFd)) this.off = true;
  }

  /** Whether fd's filesystem reports every change to inotify. */
  private local(fd: number): boolean {
    return host.fstatfs(fd, this.sfbuf) === 0 && LOCAL_FS.has(new DataView(this.sfbuf.buffer).getUint32(0, true));
  }

  /** Whether this mount caches (false once inotify proved unavailable). */
  get enabled(): boolean {
    return !this.off;
  }

  stats(): DirCacheStats {
    return { entries: this.byRel.size, hits: this.hits, misses: this.misses, dropped: this.dropped, attrHits: this.attrHits };
  }

  /**
   * An O_PATH fd on directory rel ('' is the root), or -errno (host's).
   * Give it back with put(), always.
   */
  acquire(rel: string): number {
    if (rel === '') return this.rootFd;
    this.sync();
    const e = this.byRel.get(rel);
    if (e) {
      this.hits++;
      this.busy++;
      return e.fd;
    }
    this.misses++;
    // deeper than the cache holds whole chains (a chain is opened from its cached top, one name at a time: a
    // hostile depth must not make each lookup a thousand opens), or not to be cached: from the root
    if (this.off || this.deeper(rel) || this.underForeign(rel) || (this.rootWd < 0 && this.handles.coldWalk())) {
      // not started yet (COLD_WALKS, filehandle.ts)
      return this.handles.acquire(() => this.openFromRoot(rel), true);
    }
    if (this.busy === 0 && this.byRel.size >= this.cap) this.clear();
    // the parent first, cached (so watched: its watch is what reports rel going away)
    const i = rel.lastIndexOf('/');
    const pfd = this.acquire(i < 0 ? '' : rel.slice(0, i));
    if (pfd < 0) return pfd;
    // one name from a directory the walk holds, never following it
    let fd = this.handles.acquire(() => host.openat(pfd, rel.slice(i + 1), O_PATH | O_DIRECTORY | HOST_OPEN, 0), true);
    if (fd === -Errno.ELOOP) fd = -Errno.ENOTDIR; // a symlink where the walk had a directory
    const keep = fd >= 0 && (pfd === this.rootFd || this.byFd.has(pfd)) && this.byRel.size < 2 * this.cap && this.insert(rel, fd);
    this.put(pfd);
    if (keep) this.busy++;
    return fd;
  }

  /**
   * The attributes of directory rel for a walk through it (type, mode,
   * owner: see Attributes above), if the cache holds rel; else null (the
   * caller stats it by name).
   */
  attrs(rel: string): Stat | null {
    if (this.byRel.size === 0) return null;
    this.sync();
    const e = this.byRel.get(rel);
    if (!e) return null;
    if (e.st === null) {
      if (host.fstatat(e.fd, '', this.stbuf, host.AT_EMPTY_PATH) !== 0) return null;
      e.st = parseStat(this.stbuf);
    }
    this.attrHits++;
    return e.st;
  }

  /**
   * The mount root's attributes for a walk through it or an open of it:
   * kept while the root's watch would report a change (IN_ATTRIB), else
   * read afresh (one fstat). null if the host cannot say.
   */
  rootAttrs(): Stat | null {
    // a mount whose walks only pass through its root (the root mount, on the way to the others) caches nothing
    // else: its root's watch starts once the caches are warm, as an entry's would
    if (this.rootWd < 0 && !this.off && this.handles.warm) this.start();
    if (this.rootWd >= 0) {
      this.sync();
      if (this.rootSt !== null && this.rootWd >= 0) return this.rootSt;
    } else if (this.rootSt !== null && this.rootStEpoch === this.handles.epoch()) {
      // unwatched: read once per guest operation (a walk asks for them at each step through the root)
      return this.rootSt;
    }
    if (host.fstatat(this.rootFd, '', this.stbuf, host.AT_EMPTY_PATH) !== 0) return null;
    const st = parseStat(this.stbuf);
    this.rootSt = st;
    this.rootStEpoch = this.handles.epoch();
    return st;
  }

  /** Give back an fd from acquire(). */
  put(fd: number): void {
    if (fd === this.rootFd) return;
    if (this.byFd.has(fd) || this.zombies.has(fd)) {
      if (--this.busy === 0 && this.zombies.size > 0) {
        for (const z of this.zombies) this.handles.releaseTransient(z);
        this.zombies.clear();
      }
    } else {
      this.handles.releaseTransient(fd);
    }
  }

  /** rel (and everything below it) no longer names what it did: the guest's rmdir or rename. */
  invalidate(rel: string): void {
    if (this.byRel.size === 0) return;
    const e = this.byRel.get(rel);
    if (e) this.drop(e, true);
    const pre = rel + '/';
    for (const d of [...this.byRel.values()]) if (d.rel.startsWith(pre)) this.drop(d, true);
  }

  /** Close everything (the fd budget wants room). False if nothing could go (empty, or fds are out). */
  shrink(): boolean {
    if (this.busy > 0 || this.byRel.size === 0) return false;
    this.clear();
    return true;
  }

  /** rel has more components than a chain the cache keeps (min(32, cap)). */
  private deeper(rel: string): boolean {
    const max = Math.min(32, this.cap);
    for (let i = 0, n = 1; i < rel.length; i++) if (rel.charCodeAt(i) === 47 && ++n > max) return true;
    return false;
  }

  private underForeign(rel: string): boolean {
    if (this.foreign.size === 0) return false;
    for (let r = rel; ; ) {
      if (this.foreign.has(r)) return true;
      const i = r.lastIndexOf('/');
      if (i < 0) return false;
      r = r.slice(0, i);
    }
  }

  /** Watch and keep fd as rel's entry. False if it is not to be cached (the caller's put closes it). */
  private insert(rel: string, fd: number): boolean {
    if (!this.local(fd)) {
      if (this.foreign.size < 64) this.foreign.add(rel);
      return false;
    }
    if (!this.start()) return false;
    const wd = this.watches.add(fd, this);
    if (wd < 0) {
      // not watchable (no read permission): its subtree is walked from the root
      if (this.foreign.size < 64) this.foreign.add(rel);
      return false;
    }
    // the same directory under another rel (a bind mount on the host): one name only (the watch stays the
    // other's)
    if (wd === this.rootWd || this.byWd.has(wd)) return false;
    const e: DirEnt = { rel, fd, wd, st: null };
    this.byRel.set(rel, e);
    this.byWd.set(wd, e);
    this.byFd.set(fd, e);
    return true;
  }

  /** The root's watch, made once. False if this mount cannot cache (off from now on). */
  private start(): boolean {
    if (this.rootWd >= 0) return true;
    const wd = this.watches.add(this.rootFd, this);
    if (wd < 0) {
      // no inotify, or a root we may not watch (no read permission): this mount walks from the root
      this.off = true;
      return false;
    }
    this.rootWd = wd;
    this.rootSt = null; // read before the watch: nothing says it is still true
    return true;
  }

  /** Forget e; its fd closes now, or when no fd is out (an operation may be using it). */
  private drop(e: DirEnt, unwatch: boolean): void {
    this.byRel.delete(e.rel);
    this.byWd.delete(e.wd);
    this.byFd.delete(e.fd);
    this.watches.remove(e.wd, this, unwatch);
    if (this.busy > 0) this.zombies.add(e.fd);
    else this.handles.releaseTransient(e.fd);
    this.dropped++;
  }

  /** Forget everything, watches too. Only while busy === 0. */
  private clear(): void {
    const w = this.watches;
    for (const e of this.byRel.values()) {
      this.handles.releaseTransient(e.fd);
      w.remove(e.wd, this, true);
    }
    this.dropped += this.byRel.size;
    this.byRel.clear();
    this.byWd.clear();
    this.byFd.clear();
    this.foreign.clear();
    if (this.rootWd >= 0) w.remove(this.rootWd, this, true);
    this.rootWd = -1;
    this.rootSt = null;
  }

  /** Read the host's events once per operation (for every cache: DirWatches); drop what they take away. */
  private sync(): void {
    this.watches.sync();
  }

  /** Events were lost, or a filesystem went (DirWatches): trust no entry, nor the root's attributes. */
  lost(): void {
    for (const e of [...this.byRel.values()]) this.drop(e, true);
    this.rootSt = null;
  }

  /** One event of a watch of this cache's (DirWatches.sync). */
  onEvent(wd: number, mask: number, name: Uint8Array): void {
    if (mask & host.IN_IGNORED) {
      // the watched directory itself is gone: its watch went with it
      if (wd === this.rootWd) {
        // the mount's root is gone from the host (it is held by fd): nothing below it to cache, and its
        // attributes read afresh from now on
        this.rootWd = -1;
        this.rootSt = null;
        this.off = true;
        this.lost();
        return;
      }
      const e = this.byWd.get(wd);
      if (e) {
        this.drop(e, false);
        this.invalidate(e.rel);
      }
    } else if (mask & host.IN_ATTRIB) {
      // the directory's own (no name): forget them; an entry's: its own watch reports it if it is cached
      if (name.length === 0) {
        const e = this.byWd.get(wd);
        if (e) e.st = null;
        else if (wd === this.rootWd) this.rootSt = null;
      }
    } else if (mask & host.IN_ISDIR) {
      const dir = wd === this.rootWd ? '' : this.byWd.get(wd)?.rel;
      const n = decodeName(name);
      if (dir !== undefined) this.invalidate(dir === '' ? n : dir + '/' + n);
    }
  }
}

/**
 * The one host inotify instance of every directory cache of a kernel
 * (its filehandle layer's): one non-blocking read per guest operation
 * however many mounts it walks. The host gives one watch descriptor per
 * directory, and two caches may watch the same one (a mount's root reached
 * through another mount too): a descriptor is removed from the host when
 * its last cache lets it go, and its events go to each of them.
 * Ownership: the filehandle layer's; touched only on the JS thread.
 */
export class DirWatches {
  /** the inotify fd (-1: none yet; -2: the host gave none, nothing caches); guarded by the JS thread */
  private fd = -1;
  /** the caches holding each descriptor; guarded by the JS thread */
  private readonly owners = new Map<number, DirCache[]>();
  /** the epoch of the last read of the events; guarded by the JS thread */
  private seen = -1;
  /** scratch for events; used synchronously only */
  private readonly evbuf = new Uint8Array(4096);

  /** handles: the filehandle layer (the fd counts against its budget; its epoch); immutable */
  constructor(private readonly handles: HandleCache) {}

  /** Watch directory fd for cache: its descriptor, or -errno (no inotify, no read permission...). */
  add(fd: number, cache: DirCache): number {
    if (this.fd === -2) return -Errno.ENOSYS;
    if (this.fd === -1) {
      // room in the budget first, but not through acquire: EMFILE here is mostly the per-user limit of inotify
      // instances, which reclaiming open files would not help
      this.handles.makeRoom();
      const ifd = host.inotifyInit1(host.IN_NONBLOCK | host.IN_CLOEXEC);
      if (ifd < 0) {
        this.fd = -2;
        return ifd;
      }
      this.handles.adoptTransient();
      this.fd = ifd;
      this.seen = this.handles.epoch();
    }
    // the fd's magic link is the directory itself: no path is resolved again
    const wd = host.inotifyAddWatch(this.fd, `/proc/self/fd/${fd}`, WATCH_MASK);
    if (wd < 0) return wd;
    const o = this.owners.get(wd);
    if (!o) this.owners.set(wd, [cache]);
    else if (!o.includes(cache)) o.push(cache);
    return wd;
  }

  /** cache lets wd go; the host's watch goes with its last cache (if `unwatch`: false when the host ended it). */
  remove(wd: number, cache: DirCache, unwatch: boolean): void {
    const o = this.owners.get(wd);
    if (!o) return;
    const i = o.indexOf(cache);
    if (i < 0) return;
    o.splice(i, 1);
    if (o.length > 0) return;
    this.owners.delete(wd);
    if (unwatch && this.fd >= 0) host.inotifyRmWatch(this.fd, wd);
  }

  /** Read the host's events, once per guest operation, and hand each to the caches of its descriptor. */
  sync(): void {
    const now = this.handles.epoch();
    if (now === this.seen) return;
    this.seen = now;
    if (this.fd < 0) return;
    const b = this.evbuf;
    for (;;) {
      const n = host.read(this.fd, b);
      if (n === -Errno.EINTR) continue;
      if (n <= 0) return; // EAGAIN: nothing more
      eachInotifyEvent(b, n, (wd, mask, _cookie, name) => {
        if (mask & (host.IN_Q_OVERFLOW | host.IN_UNMOUNT)) {
          // events were lost, or a filesystem went: no cache trusts any entry
          for (const c of new Set([...this.owners.values()].flat())) c.lost();
          return false;
        }
        const o = this.owners.get(wd);
        if (!o) return true;
        // the host ended the watch: no cache holds it any more
        if (mask & host.IN_IGNORED) this.owners.delete(wd);
        for (const c of [...o]) c.onEvent(wd, mask, name);
        return true;
      });
      // room for the largest event left over: the read emptied the queue (no second read to hear EAGAIN; an
      // event queued since then is one after this operation began)
      if (b.length - n >= INOTIFY_EVENT_MAX) return;
    }
  }
}
