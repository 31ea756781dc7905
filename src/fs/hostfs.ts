/**
 * hostfs (UML's fs/hostfs): a host directory as the guest's filesystem.
 *
 * Confinement. The guest never hands the host a path to resolve: the VFS
 * walks guest paths one component at a time, and every component reaches
 * the host as an fstatat(AT_SYMLINK_NOFOLLOW) relative to an O_PATH fd of
 * the root directory; symlinks are read with readlinkat and resolved by the
 * VFS in the guest namespace. So a host path built here (`rel`) is always a
 * chain of real directories below the root, the final open carries
 * O_NOFOLLOW, and `..` never reaches the host at all.
 * Known gap: a *host* process racing us (swapping a checked directory for a
 * symlink between our lstat and the use) could redirect an access outside
 * the root. The fix is to resolve with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_SYMLINKS) relative to the root fd; that is a later issue.
 *
 * Filehandles (DESIGN.md §2.6, UML's os-Linux filehandle layer): open files
 * hold a HostHandle, not an fd. Host fds are kept under a budget; when the
 * budget is reached, or the host says EMFILE/ENFILE, the least recently used
 * unpinned handles are closed and reopened by path when next used. Every
 * operation pins its handle (pin/unpin) for its whole duration so it cannot
 * be reclaimed in the middle. A handle whose path no longer names its file
 * (unlinked, or renamed over, by the guest; nlink 0 on the host) is sticky:
 * never reclaimed. A reopen checks st_dev/st_ino and fails with ESTALE if
 * the path now names a different file.
 *
 * Ownership: one HostFs per mount, touched only on the JS thread; no
 * operation spans an await, so pins are held only within one call.
 */
import { Errno } from '../kernel/errno.js';
import * as host from '../host/libc.js';
import { File } from './file.js';
import {
  DirEntry, Stat, S_IFMT, S_IFREG, S_IFDIR, O_ACCMODE, O_APPEND, O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW,
  O_CLOEXEC, O_NOCTTY, O_DIRECTORY, O_PATH, O_RDONLY, O_WRONLY, O_SYNC,
} from './types.js';
import {
  FileSystem, Node, FsCred, MappableRef, SetAttr, StatFs, ST_RDONLY, SEEK_END, SEEK_DATA, SEEK_HOLE, seekIn,
} from './node.js';

/** Parse a host struct stat (x86-64, 144 bytes). */
export function parseStat(b: Uint8Array): Stat {
  const dv = new DataView(b.buffer, b.byteOffset, 144);
  const u64 = (o: number): number => dv.getUint32(o + 4, true) * 0x100000000 + dv.getUint32(o, true);
  const ns = (o: number): bigint => dv.getBigInt64(o, true) * 1000000000n + dv.getBigInt64(o + 8, true);
  return {
    dev: u64(0), ino: u64(8), nlink: u64(16), mode: dv.getUint32(24, true), uid: dv.getUint32(28, true),
    gid: dv.getUint32(32, true), rdev: u64(40), size: u64(48), blksize: u64(56), blocks: u64(64),
    atimeNs: ns(72), mtimeNs: ns(88), ctimeNs: ns(104),
  };
}

/** Host errno → guest errno. Identity except the host fd limits: those are umlts's, not the guest's. */
function guestErr(r: number): number {
  if (r === -Errno.EMFILE) return -Errno.ENFILE;
  return r;
}

/** A host file opened for the guest, reopenable by path. Fields guarded by the JS thread. */
export class HostHandle {
  /** the host fd, or -1 while reclaimed */
  fd: number;
  /** operations in progress; > 0 means not reclaimable */
  pins = 0;
  /** the path no longer names this file: never reclaim */
  sticky = false;
  constructor(
    /** path below the root, as the last open used */
    public rel: string,
    /** open flags for a reopen (no O_CREAT/O_EXCL/O_TRUNC); immutable */
    readonly oflags: number,
    fd: number,
    /** identity, checked on reopen; immutable */
    readonly dev: number,
    readonly ino: number,
  ) {
    this.fd = fd;
  }
}

/** The filehandle layer: host fds under a budget, LRU reclaim. */
export class HandleCache {
  /** handles holding a host fd, least recently used first (Set keeps insertion order) */
  private readonly live = new Set<HostHandle>();
  /** every open handle, for path updates on unlink/rename */
  private readonly all = new Set<HostHandle>();
  /** transient host fds open right now (directory listings) */
  private transient = 0;
  private readonly stbuf = new Uint8Array(144);
  /** reopens so far (for tests and stats) */
  reopens = 0;

  constructor(private readonly rootFd: number, /** max host fds; immutable */ readonly budget: number) {}

  get liveCount(): number {
    return this.live.size + this.transient;
  }

  /** Close the least recently used unpinned, non-sticky handle. False if none could go. */
  private reclaimOne(): boolean {
    for (const h of this.live) {
      if (h.pins > 0 || h.sticky) continue;
      // unlinked on the host behind our back: reopening by path is impossible, keep it
      if (host.fstat(h.fd, this.stbuf) === 0 && parseStat(this.stbuf).nlink === 0) {
        h.sticky = true;
        continue;
      }
      host.close(h.fd);
      h.fd = -1;
      this.live.delete(h);
      return true;
    }
    return false;
  }
  /** openat below the root, making room under the budget and retrying on EMFILE/ENFILE. */
  private openRaw(rel: string, flags: number, mode: number): number {
    while (this.liveCount >= this.budget && this.reclaimOne());
    for (;;) {
      const fd = host.openat(this.rootFd, rel, flags, mode);
      if ((fd === -Errno.EMFILE || fd === -Errno.ENFILE) && this.reclaimOne()) continue;
      if (fd === -Errno.EINTR) continue;
      return fd;
    }
  }
  /** Open a handle (flags may include O_CREAT/O_EXCL/O_TRUNC). */
  open(rel: string, flags: number, mode: number): HostHandle | number {
    const fd = this.openRaw(rel, flags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode);
    if (fd < 0) return guestErr(fd);
    if (host.fstat(fd, this.stbuf) < 0) {
      const e = -host.lastErrno();
      host.close(fd);
      return guestErr(e);
    }
    const st = parseStat(this.stbuf);
    const h = new HostHandle(rel, (flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, fd, st.dev, st.ino);
    this.live.add(h);
    this.all.add(h);
    return h;
  }
  /** Pin h for one operation: its fd (reopened if it was reclaimed) or -errno. unpin() after. */
  pin(h: HostHandle): number {
    if (h.fd < 0) {
      const fd = this.openRaw(h.rel, h.oflags, 0);
      if (fd < 0) return fd === -Errno.ENOENT ? -Errno.ESTALE : guestErr(fd);
      const same = host.fstat(fd, this.stbuf) === 0 && parseStat(this.stbuf).ino === h.ino && parseStat(this.stbuf).dev === h.dev;
      if (!same) {
        host.close(fd);
        return -Errno.ESTALE;
      }
      h.fd = fd;
      this.reopens++;
    } else {
      this.live.delete(h); // move to the most recently used end
    }
    this.live.add(h);
    h.pins++;
    return h.fd;
  }
  unpin(h: HostHandle): void {
    h.pins--;
  }
  close(h: HostHandle): void {
    if (h.fd >= 0) host.close(h.fd);
    h.fd = -1;
    this.live.delete(h);
    this.all.delete(h);
  }
  /** A short-lived fd (directory listing); closeTransient() it before returning. */
  openTransient(rel: string, flags: number): number {
    const fd = this.openRaw(rel, flags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0);
    if (fd >= 0) this.transient++;
    return fd;
  }
  closeTransient(fd: number): void {
    host.close(fd);
    this.transient--;
  }
  /** rel was unlinked (or replaced): handles naming it can no longer be reopened. */
  unlinked(rel: string): void {
    for (const h of this.all) if (h.rel === rel) h.sticky = true;
  }
  /** oldRel was renamed to newRel: follow it (and everything below it). */
  renamed(oldRel: string, newRel: string): void {
    const pre = oldRel + '/';
    for (const h of this.all) {
      if (h.rel === oldRel) h.rel = newRel;
      else if (h.rel.startsWith(pre)) h.rel = newRel + h.rel.slice(oldRel.length);
    }
  }
}

export interface HostFsOptions {
  /** the host directory; must exist */
  rootDir: string;
  /** allow writes (else the VFS answers EROFS) */
  rw: boolean;
  /** max host fds for open files (default 512) */
  fdBudget?: number;
}

export class HostFs extends FileSystem {
  readonly type = 'hostfs';
  readonly dev: number;
  readonly root: HostNode;
  /** O_PATH fd of the root directory; immutable */
  readonly rootFd: number;
  readonly handles: HandleCache;
  /** immutable */
  readonly readonly: boolean;
  /** the host process umask, which the host applies to our creates too; immutable */
  private readonly hostUmask: number;
  /** host euid 0: new files can be given the guest creator's ids; immutable */
  private readonly hostRoot: boolean;
  /** scratch for host struct stat / statfs / getdents; used synchronously only */
  private readonly stbuf = new Uint8Array(144);
  private readonly dentbuf = new Uint8Array(32768);
  private readonly linkbuf = new Uint8Array(4096);

  constructor(opts: HostFsOptions) {
    super();
    const fd = host.openat(host.AT_FDCWD, opts.rootDir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) throw new Error(`hostfs: cannot open root ${opts.rootDir}: errno ${-fd}`);
    this.rootFd = fd;
    this.readonly = !opts.rw;
    this.handles = new HandleCache(fd, opts.fdBudget ?? 512);
    const old = host.umask(0);
    host.umask(old);
    this.hostUmask = old;
    this.hostRoot = host.geteuid() === 0;
    const st = this.lstat('');
    if (typeof st === 'number') throw new Error(`hostfs: cannot stat root ${opts.rootDir}: errno ${-st}`);
    if ((st.mode & S_IFMT) !== S_IFDIR) throw new Error(`hostfs: root ${opts.rootDir} is not a directory`);
    this.dev = st.dev;
    this.root = new HostNode(this, '', st);
  }

  /** fstatat(AT_SYMLINK_NOFOLLOW) below the root. */
  lstat(rel: string): Stat | number {
    for (;;) {
      const r = host.fstatat(this.rootFd, rel === '' ? '.' : rel, this.stbuf, host.AT_SYMLINK_NOFOLLOW);
      if (r === -Errno.EINTR) continue;
      return r < 0 ? guestErr(r) : parseStat(this.stbuf);
    }
  }
  readlink(rel: string): string | number {
    const n = host.readlinkat(this.rootFd, rel, this.linkbuf);
    if (n < 0) return guestErr(n);
    return Buffer.from(this.linkbuf.buffer, this.linkbuf.byteOffset, n).toString('utf8');
  }
  /** Directory listing via getdents64 on a transient fd, without '.' and '..'. */
  list(rel: string): DirEntry[] | number {
    const fd = this.handles.openTransient(rel === '' ? '.' : rel, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return guestErr(fd);
    const out: DirEntry[] = [];
    const b = this.dentbuf;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    try {
      for (;;) {
        const n = host.getdents64(fd, b);
        if (n < 0) return guestErr(n);
        if (n === 0) break;
        for (let off = 0; off < n;) {
          const reclen = dv.getUint16(off + 16, true);
          const type = dv.getUint8(off + 18);
          let end = off + 19;
          while (end < off + reclen && b[end] !== 0) end++;
          const name = Buffer.from(b.buffer, b.byteOffset + off + 19, end - off - 19).toString('utf8');
          if (name !== '.' && name !== '..') {
            const ino = dv.getUint32(off + 4, true) * 0x100000000 + dv.getUint32(off, true);
            out.push({ ino, type, name });
          }
          off += reclen;
        }
      }
    } finally {
      this.handles.closeTransient(fd);
    }
    return out;
  }
  statfs(node: Node): StatFs | number {
    const rel = node instanceof HostNode ? node.rel : '';
    const fd = this.handles.openTransient(rel === '' ? '.' : rel, O_PATH);
    if (fd < 0) return guestErr(fd);
    const b = new Uint8Array(120);
    const r = host.fstatfs(fd, b);
    this.handles.closeTransient(fd);
    if (r < 0) return guestErr(r);
    const dv = new DataView(b.buffer);
    const i64 = (o: number): number => Number(dv.getBigInt64(o, true));
    return {
      type: i64(0), bsize: i64(8), blocks: i64(16), bfree: i64(24), bavail: i64(32), files: i64(40),
      ffree: i64(48), fsid: i64(56), namelen: i64(64), frsize: i64(72),
      flags: i64(80) | (this.readonly ? ST_RDONLY : 0),
    };
  }
  /**
   * A new file or directory was made with mode on the guest's behalf: undo
   * the host umask (the guest's umask is already applied) and give it the
   * guest creator's ids when the host lets us.
   */
  fixNew(rel: string, mode: number, cred: FsCred): void {
    if (mode & this.hostUmask) host.fchmodat(this.rootFd, rel, mode & 0o7777, 0);
    if (this.hostRoot && (cred.fsuid !== 0 || cred.fsgid !== 0)) {
      host.fchownat(this.rootFd, rel, cred.fsuid, cred.fsgid, host.AT_SYMLINK_NOFOLLOW);
    }
  }
}

function child(dir: string, name: string): string {
  return dir === '' ? name : dir + '/' + name;
}

/** A host path below the root, with the attributes its lookup read. Immutable. */
export class HostNode extends Node {
  constructor(readonly fs: HostFs, /** '' for the root */ readonly rel: string, private readonly st: Stat) {
    super();
  }
  peek(): Stat {
    return this.st;
  }
  stat(): Stat | number {
    return this.fs.lstat(this.rel);
  }
  override lookup(name: string): Node | number {
    if (!this.isDir) return -Errno.ENOTDIR;
    const rel = child(this.rel, name);
    const st = this.fs.lstat(rel);
    return typeof st === 'number' ? st : new HostNode(this.fs, rel, st);
  }
  override readlink(): string | number {
    return this.isLink ? this.fs.readlink(this.rel) : -Errno.EINVAL;
  }
  override readdir(): DirEntry[] | number {
    return this.isDir ? this.fs.list(this.rel) : -Errno.ENOTDIR;
  }
  override open(flags: number, path: string): File | number {
    // Host fifos, sockets and device nodes are not the guest's devices (those
    // live on /dev); opening a fifo could also block the whole kernel.
    if ((this.st.mode & S_IFMT) !== S_IFREG) return -Errno.ENXIO;
    // O_SYNC/O_DSYNC keep their meaning on the host; O_APPEND and O_NONBLOCK are
    // ours to implement (we write at explicit offsets and never block on a file)
    const h = this.fs.handles.open(this.rel, flags & (O_ACCMODE | O_TRUNC | O_SYNC), 0);
    if (typeof h === 'number') return h;
    return new HostFile(this.fs, h, flags, path);
  }
  override create(name: string, mode: number, cred: FsCred, flags: number, path: string): File | number {
    const rel = child(this.rel, name);
    const h = this.fs.handles.open(rel, (flags & (O_ACCMODE | O_SYNC)) | O_CREAT | O_EXCL, mode & 0o7777);
    if (typeof h === 'number') return h;
    this.fs.fixNew(rel, mode & 0o7777, cred);
    return new HostFile(this.fs, h, flags, path);
  }
  override mkdir(name: string, mode: number, cred: FsCred): number {
    const rel = child(this.rel, name);
    const r = host.mkdirat(this.fs.rootFd, rel, mode & 0o7777);
    if (r < 0) return guestErr(r);
    this.fs.fixNew(rel, mode & 0o7777, cred);
    return 0;
  }
  override symlink(name: string, target: string, cred: FsCred): number {
    const rel = child(this.rel, name);
    const r = host.symlinkat(target, this.fs.rootFd, rel);
    if (r < 0) return guestErr(r);
    if (cred.fsuid !== 0 || cred.fsgid !== 0) this.fs.fixNew(rel, 0, cred);
    return 0;
  }
  override link(name: string, target: Node): number {
    if (!(target instanceof HostNode) || target.fs !== this.fs) return -Errno.EXDEV;
    return guestErr(host.linkat(this.fs.rootFd, target.rel, this.fs.rootFd, child(this.rel, name), 0));
  }
  override unlink(name: string): number {
    const rel = child(this.rel, name);
    const r = host.unlinkat(this.fs.rootFd, rel, 0);
    if (r < 0) return guestErr(r);
    this.fs.handles.unlinked(rel);
    return 0;
  }
  override rmdir(name: string): number {
    return guestErr(host.unlinkat(this.fs.rootFd, child(this.rel, name), host.AT_REMOVEDIR));
  }
  override rename(oldName: string, newDir: Node, newName: string, flags: number): number {
    if (!(newDir instanceof HostNode) || newDir.fs !== this.fs) return -Errno.EXDEV;
    const from = child(this.rel, oldName), to = child(newDir.rel, newName);
    const r = host.renameat2(this.fs.rootFd, from, this.fs.rootFd, to, flags);
    if (r < 0) return guestErr(r);
    if (flags & 2 /* RENAME_EXCHANGE */) {
      const tmp = '\0exchange'; // a name no path can contain
      this.fs.handles.renamed(from, tmp);
      this.fs.handles.renamed(to, from);
      this.fs.handles.renamed(tmp, to);
    } else {
      this.fs.handles.unlinked(to);
      this.fs.handles.renamed(from, to);
    }
    return 0;
  }
  override setattr(a: SetAttr): number {
    const fs = this.fs, rel = this.rel === '' ? '.' : this.rel;
    if (a.size !== undefined) {
      if ((this.st.mode & S_IFMT) === S_IFDIR) return -Errno.EISDIR;
      if ((this.st.mode & S_IFMT) !== S_IFREG) return -Errno.EINVAL;
      const fd = fs.handles.openTransient(rel, O_WRONLY);
      if (fd < 0) return guestErr(fd);
      const r = host.ftruncateTry(fd, a.size);
      fs.handles.closeTransient(fd);
      if (r < 0) return guestErr(r);
    }
    if (a.mode !== undefined) {
      const r = host.fchmodat(fs.rootFd, rel, a.mode & 0o7777, 0);
      if (r < 0) return guestErr(r);
    }
    if ((a.uid !== undefined && a.uid !== -1) || (a.gid !== undefined && a.gid !== -1)) {
      const r = host.fchownat(fs.rootFd, rel, a.uid ?? -1, a.gid ?? -1, host.AT_SYMLINK_NOFOLLOW);
      if (r < 0) return guestErr(r);
    }
    if (a.atimeNs !== undefined || a.mtimeNs !== undefined) {
      const ts = new BigInt64Array(4);
      const put = (i: number, v: bigint | undefined): void => {
        if (v === undefined) ts[i + 1] = BigInt(host.UTIME_OMIT);
        else {
          ts[i] = v / 1000000000n;
          ts[i + 1] = v % 1000000000n;
        }
      };
      put(0, a.atimeNs);
      put(2, a.mtimeNs);
      const r = host.utimensat(fs.rootFd, rel, ts, host.AT_SYMLINK_NOFOLLOW);
      if (r < 0) return guestErr(r);
    }
    return 0;
  }
}

/** An open host regular file: reads and writes at explicit offsets (File.pos is ours, not the host fd's). */
export class HostFile extends File {
  private readonly stbuf = new Uint8Array(144);
  constructor(private readonly fs: HostFs, private readonly h: HostHandle, flags: number, path: string) {
    super(flags, path);
  }
  /** Run op with the handle pinned. */
  private with(op: (fd: number) => number): number {
    const fd = this.fs.handles.pin(this.h);
    if (fd < 0) return fd;
    try {
      return op(fd);
    } finally {
      this.fs.handles.unpin(this.h);
    }
  }
  private sizeOf(fd: number): number {
    const r = host.fstat(fd, this.stbuf);
    return r < 0 ? guestErr(r) : parseStat(this.stbuf).size;
  }
  override read(buf: Uint8Array, pos: number | null): number {
    const p = pos ?? this.pos;
    const n = this.with((fd) => guestErr(host.pread(fd, buf, p)));
    if (n > 0 && pos === null) this.pos = p + n;
    return n;
  }
  override write(buf: Uint8Array, pos: number | null): number {
    return this.with((fd) => {
      let p = pos ?? this.pos;
      if (this.flags & O_APPEND) {
        // O_APPEND writes at the end even through pwrite (Linux's documented pwrite bug)
        p = this.sizeOf(fd);
        if (p < 0) return p;
      }
      const n = guestErr(host.pwrite(fd, buf, p));
      if (n > 0 && pos === null) this.pos = p + n;
      return n;
    });
  }
  override seek(off: number, whence: number): number {
    return this.with((fd) => {
      if (whence === SEEK_DATA || whence === SEEK_HOLE) {
        // the host knows the holes; its fd offset is unused by us, so borrowing it is harmless
        const r = host.lseek(fd, off, whence);
        if (r < 0) return guestErr(r);
        this.pos = r;
        return r;
      }
      const size = whence === SEEK_END ? this.sizeOf(fd) : 0;
      if (size < 0) return size;
      return seekIn(this, off, whence, size);
    });
  }
  override stat(): Stat | number {
    const r = this.with((fd) => guestErr(host.fstat(fd, this.stbuf)));
    return r < 0 ? r : parseStat(this.stbuf);
  }
  override truncate(len: number): number {
    return this.with((fd) => guestErr(host.ftruncateTry(fd, len)));
  }
  override fsync(): number {
    return this.with((fd) => guestErr(host.fsync(fd)));
  }
  fdatasync(): number {
    return this.with((fd) => guestErr(host.fdatasync(fd)));
  }
  override mappable(): MappableRef {
    const self = this;
    const st = this.stat();
    return {
      fillHost(off: number, ptr: bigint, len: number): number {
        return self.with((fd) => guestErr(host.preadPtr(fd, ptr, len, off)));
      },
      get(): void {
        self.get();
      },
      put(): void {
        self.put();
      },
      mapName: this.path,
      mapDev: typeof st === 'number' ? 0 : st.dev,
      mapIno: typeof st === 'number' ? 0 : st.ino,
    };
  }
  protected override release(): void {
    this.fs.handles.close(this.h);
  }
}
