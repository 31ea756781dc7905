/**
 * The filehandle layer (DESIGN.md §2.6; UML's os-Linux filehandle.c): every
 * host fd hostfs holds, under one budget, with LRU reclaim and transparent
 * reopen (by file handle, else by path with an identity check). Operations
 * pin what they use (pin/unpin) for their whole duration. See hostfs.ts's
 * header for how hostfs uses it.
 *
 * Ownership: one HandleCache per kernel, shared by all hostfs mounts,
 * touched only on the JS thread.
 */
import { Errno } from '../abi/errno.js';
import * as host from '../host/libc.js';
import { parseStat } from '../abi/stat.js';
import type { HostFs } from './hostfs.js';
import type { DirCache, DirWatches } from './dcache.js';
import type { FileMappers } from './types.js';
import { O_CLOEXEC, O_NOFOLLOW, O_NOCTTY, O_CREAT, O_EXCL, O_TRUNC, O_TMPFILE } from '../abi/fcntl.js';

/** Host errno → guest errno. Identity except the host fd limits: those are umlts's, not the guest's. */
export function guestErr(r: number): number {
  if (r === -Errno.EMFILE) return -Errno.ENFILE;
  return r;
}

/** flags every host open carries: never a controlling tty, never inherited, never a followed last symlink */
export const HOST_OPEN = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;

/**
 * Directories the mounts walk from their roots before their directory
 * caches (dcache.ts) start, all mounts together. A host process that has
 * had an inotify watch takes a grace period longer to exit (the host frees
 * its marks after an SRCU grace period: 7 ms here for a C program with one
 * watch), which a short run's few walks (a few µs each from the root) would
 * never win back.
 */
export const COLD_WALKS = 256;

/** struct file_handle with room for MAX_HANDLE_SZ (128) bytes */
export const FH_SIZE = 8 + 128;

/** A host file opened for the guest, reopenable. Fields guarded by the JS thread;
 * the mutable ones are the HandleCache's to write, except rel (the HostFs's). */
export class HostHandle {
  /** the host fd, or -1 while reclaimed; owned by the HandleCache (reclaim, reopen, close) */
  fd: number;
  /** operations in progress; > 0 means not reclaimable; owned by the HandleCache (pin/unpin) */
  pins = 0;
  /** cannot be reopened (unlinked, replaced, O_TMPFILE): never reclaim; owned by the HandleCache (makeSticky), set once */
  sticky = false;
  /** the host's struct file_handle for open_by_handle_at, taken at the first reclaim; null if unavailable;
   * owned by the HandleCache (asked again at each reclaim while null) */
  fh: Uint8Array | null = null;
  /** its File was released: no more operations; owned by the HandleCache (close), set once */
  closed = false;
  constructor(
    /** the filesystem (mount) it belongs to; immutable */
    readonly fs: HostFs,
    /** path below the mount's root, kept current across the guest's renames; owned by its HostFs (rename) */
    public rel: string,
    /** open flags for a reopen (no O_CREAT/O_EXCL/O_TRUNC); immutable */
    readonly oflags: number,
    fd: number,
    /** identity, checked on a reopen by path; both immutable */
    readonly dev: number,
    readonly ino: number,
  ) {
    this.fd = fd;
  }
}

/** Counters of the filehandle layer (/proc/umlts/filehandles, --stats). */
export interface FhStats {
  budget: number;
  /** host fds held by handles now */
  open: number;
  /** short-lived host fds open now (listings, parents) */
  transient: number;
  /** open handles (guest open files on hostfs), with or without an fd */
  handles: number;
  /** handle pins held now */
  pinned: number;
  /** handles that can never be reclaimed */
  sticky: number;
  /** host fds opened for handles, in all */
  opened: number;
  reclaimed: number;
  reopened: number;
  /** of which through open_by_handle_at */
  reopenedByHandle: number;
  /** host EMFILE/ENFILE answers survived by reclaiming */
  emfile: number;
  /** most host fds held at once (handles + transient) */
  peak: number;
  /** directories the mounts' directory caches hold now (their fds are among the transient), and lookups of
   * a directory they answered or had to open */
  dirs: number;
  dirHits: number;
  dirMisses: number;
  /** walks through a cached directory answered with its cached attributes (no host call) */
  dirAttrHits: number;
}

/**
 * The filehandle layer: every host fd hostfs holds, under one budget, with
 * LRU reclaim. One per kernel, shared by all hostfs mounts; every field is
 * guarded by the JS thread (any task's hostfs operation).
 */
export class HandleCache {
  /** the guests' mappings of each host inode ("dev:ino"), for every hostfs mount of the kernel (the same file
   * may be seen through two): kept by HostFs (rmapOf, rmapUnused, mappersOf); guarded by the JS thread */
  readonly rmaps = new Map<string, FileMappers>();
  /** handles holding a host fd, least recently used first (Set keeps insertion order); guarded by the JS thread */
  private readonly live = new Set<HostHandle>();
  /** transient host fds open right now; guarded by the JS thread */
  private transient = 0;
  /** fstat scratch; used synchronously only */
  private readonly stbuf = new Uint8Array(144);
  /** counters for FhStats; guarded by the JS thread */
  private handles = 0;
  private sticky = 0;
  private pinned = 0;
  private opened = 0;
  private reclaimed = 0;
  /** reopens so far (tests read it); guarded by the JS thread */
  reopens = 0;
  private reopensByHandle = 0;
  private emfile = 0;
  private peak = 0;
  /**
   * Test hooks; never set outside tests (written by the test before the
   * operations it checks, read by pin()). pinning=false makes pin() not pin
   * (to show what pinning prevents); reclaimInOps makes every pin() first
   * reclaim every other reclaimable handle (the worst interleaving).
   */
  readonly test = { pinning: true, reclaimInOps: false };

  /** every mount's directory cache, asked for room when the budget is short; guarded by the JS thread */
  private readonly dirCaches: DirCache[] = [];
  /** the caches' one inotify instance (dcache.ts), made by the first cache; guarded by the JS thread */
  dirWatches: DirWatches | null = null;
  /** calls of epoch() when no clock was given; guarded by the JS thread */
  private calls = 0;

  constructor(
    /** max host fds; immutable */
    readonly budget: number,
    /**
     * The operation clock: a number that changes between any two guest
     * operations (the kernel's syscall count). Directory caches read the
     * host's events once per value. Without one every call is a new
     * operation. Immutable.
     */
    private readonly opClock: (() => number) | null = null,
    /** walks left before the directory caches start (COLD_WALKS); guarded by the JS thread */
    private coldWalksLeft = COLD_WALKS,
  ) {}

  /** A directory cache wants to start: false (walk from the root this time) while cold walks are left. */
  coldWalk(): boolean {
    if (this.coldWalksLeft <= 0) return false;
    this.coldWalksLeft--;
    return true;
  }

  /** The cold walks are over (the directory caches may start). */
  get warm(): boolean {
    return this.coldWalksLeft <= 0;
  }

  /** The current operation's number (see opClock). */
  epoch(): number {
    return this.opClock ? this.opClock() : ++this.calls;
  }
  addDirCache(d: DirCache): void {
    this.dirCaches.push(d);
  }

  get liveCount(): number {
    return this.live.size + this.transient;
  }
  stats(): FhStats {
    const s: FhStats = {
      budget: this.budget, open: this.live.size, transient: this.transient, handles: this.handles,
      pinned: this.pinned, sticky: this.sticky, opened: this.opened, reclaimed: this.reclaimed,
      reopened: this.reopens, reopenedByHandle: this.reopensByHandle, emfile: this.emfile, peak: this.peak,
      dirs: 0, dirHits: 0, dirMisses: 0, dirAttrHits: 0,
    };
    for (const d of this.dirCaches) {
      const ds = d.stats();
      s.dirs += ds.entries;
      s.dirHits += ds.hits;
      s.dirMisses += ds.misses;
      s.dirAttrHits += ds.attrHits;
    }
    return s;
  }

  /** Close the least recently used unpinned, non-sticky handle. False if none could go. */
  private reclaimOne(): boolean {
    for (const h of this.live) {
      if (h.pins > 0 || h.sticky) continue;
      if (!this.reclaimable(h)) continue;
      host.close(h.fd);
      h.fd = -1;
      this.live.delete(h);
      this.reclaimed++;
      return true;
    }
    // then the directory caches, whole (a cache with fds out keeps them)
    for (const d of this.dirCaches) if (d.shrink()) return true;
    return false;
  }
  /** Check (and remember) whether h can be reopened once closed. */
  private reclaimable(h: HostHandle): boolean {
    // unlinked on the host behind our back: nothing could reopen it
    if (host.fstat(h.fd, this.stbuf) === 0 && parseStat(this.stbuf).nlink === 0) {
      this.makeSticky(h);
      return false;
    }
    if (h.fh === null) h.fh = h.fs.fileHandle(h.fd);
    return true;
  }
  makeSticky(h: HostHandle): void {
    if (h.sticky) return;
    h.sticky = true;
    this.sticky++;
  }
  /** Reclaim every handle that can go (test hook and memory pressure). Returns how many went. */
  reclaimAll(except: HostHandle | null = null): number {
    let n = 0;
    for (const h of [...this.live]) {
      if (h === except || h.pins > 0 || h.sticky || !this.reclaimable(h)) continue;
      host.close(h.fd);
      h.fd = -1;
      this.live.delete(h);
      this.reclaimed++;
      n++;
    }
    return n;
  }
  /**
   * Run a host call that makes an fd, within the budget: make room first,
   * and on EMFILE/ENFILE reclaim and retry. The fd (or -errno, host's).
   * A transient fd must be given back with releaseTransient.
   */
  acquire(open: () => number, transient: boolean): number {
    this.makeRoom();
    for (;;) {
      const fd = open();
      if (fd === -Errno.EMFILE || fd === -Errno.ENFILE) {
        if (this.reclaimOne()) {
          this.emfile++;
          continue;
        }
        return fd;
      }
      if (fd === -Errno.EINTR) continue;
      // the open may itself have kept fds (a directory cache that took in the parent): room again for this one
      if (fd >= 0) this.makeRoom();
      if (fd >= 0 && transient) {
        this.transient++;
        if (this.liveCount > this.peak) this.peak = this.liveCount;
      }
      return fd;
    }
  }
  /** Close handles (LRU) until one more fd fits the budget: before an fd made outside acquire() (adoptTransient). */
  makeRoom(): void {
    while (this.liveCount >= this.budget && this.reclaimOne());
  }
  /** Count a transient fd opened without acquire (give it back with releaseTransient). */
  adoptTransient(): void {
    this.transient++;
    if (this.liveCount > this.peak) this.peak = this.liveCount;
  }
  releaseTransient(fd: number): void {
    host.close(fd);
    this.transient--;
  }
  /** Open a handle on fs's rel (flags may include O_CREAT/O_EXCL/O_TRUNC/O_TMPFILE). */
  open(fs: HostFs, rel: string, flags: number, mode: number): HostHandle | number {
    const f = flags | HOST_OPEN;
    const fd = this.acquire(() => fs.openConfined(rel, f, mode), false);
    if (fd < 0) return guestErr(fd);
    if (host.fstat(fd, this.stbuf) < 0) {
      const e = -host.lastErrno();
      host.close(fd);
      return guestErr(e);
    }
    const st = parseStat(this.stbuf);
    const h = new HostHandle(fs, rel, f & ~(O_CREAT | O_EXCL | O_TRUNC), fd, st.dev, st.ino);
    if ((flags & O_TMPFILE) === O_TMPFILE) this.makeSticky(h);
    this.live.add(h);
    this.handles++;
    this.opened++;
    if (this.liveCount > this.peak) this.peak = this.liveCount;
    fs.track(h);
    return h;
  }
  /** Pin h for one operation: its fd (reopened if it was reclaimed) or -errno. unpin() after, always. */
  pin(h: HostHandle): number {
    if (h.closed) throw new Error('hostfs: an operation on a released file (a missing get/put)');
    if (this.test.reclaimInOps) this.reclaimAll(h);
    if (h.fd < 0) {
      const fd = this.acquire(() => this.reopenFd(h), false);
      if (fd < 0) return fd === -Errno.ENOENT ? -Errno.ESTALE : guestErr(fd);
      h.fd = fd;
      this.reopens++;
      if (this.live.size + 1 + this.transient > this.peak) this.peak = this.live.size + 1 + this.transient;
    } else {
      this.live.delete(h); // move to the most recently used end
    }
    this.live.add(h);
    if (this.test.pinning) {
      h.pins++;
      this.pinned++;
    }
    return h.fd;
  }
  unpin(h: HostHandle): void {
    if (!this.test.pinning) return;
    h.pins--;
    this.pinned--;
  }
  /** The host fd for a reclaimed handle: by file handle if we have one, else by path and identity. */
  private reopenFd(h: HostHandle): number {
    if (h.fh !== null) {
      const fd = h.fs.openByHandle(h.fh, h.oflags);
      if (fd >= 0) {
        this.reopensByHandle++;
        return fd;
      }
      if (fd === -Errno.EMFILE || fd === -Errno.ENFILE || fd === -Errno.ESTALE) return fd;
      // EPERM and friends: the path way below
    }
    const fd = h.fs.openConfined(h.rel, h.oflags, 0);
    if (fd < 0) return fd;
    const same = host.fstat(fd, this.stbuf) === 0 && parseStat(this.stbuf).ino === h.ino && parseStat(this.stbuf).dev === h.dev;
    if (!same) {
      host.close(fd);
      return -Errno.ESTALE;
    }
    return fd;
  }
  close(h: HostHandle): void {
    h.closed = true;
    if (h.fd >= 0) host.close(h.fd);
    h.fd = -1;
    this.live.delete(h);
    h.fs.untrack(h);
    if (h.sticky) this.sticky--;
    this.handles--;
  }
}

