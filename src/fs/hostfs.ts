/**
 * hostfs (UML's fs/hostfs): a host directory as a guest filesystem — the
 * root, and one instance per `--mount HOST:GUEST[:ro]`.
 *
 * Confinement. The guest never hands the host a path to resolve: the VFS
 * walks guest paths one component at a time, resolves symlinks (read with
 * readlinkat) in the guest namespace and handles `..` itself; a host path
 * built here (`rel`) is a chain of names below the mount's root. The host
 * access itself is confined too, so a host process swapping a directory
 * for a symlink between the walk and the access cannot redirect it:
 *   - a single-component rel is used with the root's O_PATH fd and a call
 *     that does not follow its last component (fstatat NOFOLLOW, unlinkat,
 *     openat O_NOFOLLOW...);
 *   - a deeper rel is opened with openat2(RESOLVE_IN_ROOT |
 *     RESOLVE_NO_MAGICLINKS) from the root fd (the file itself, with
 *     O_NOFOLLOW, or its parent directory as O_PATH for the *at calls), so
 *     `..` and symlinks met by the host's walk stay inside the mount;
 *   - without openat2 (ENOSYS, Linux < 5.6) the parent is reached by an
 *     openat(O_PATH | O_DIRECTORY | O_NOFOLLOW) per component instead.
 * chmod uses fchmodat2(AT_SYMLINK_NOFOLLOW) (or chmod through the O_PATH
 * fd's /proc/self/fd entry, as glibc does), never a following fchmodat.
 *
 * Filehandles (DESIGN.md §2.6, UML's os-Linux filehandle layer): open files
 * hold a HostHandle, not an fd; one HandleCache per kernel keeps every host
 * fd hostfs holds (handles, and transient fds for listings, parents and
 * attribute calls) under one budget. At the budget, or when the host says
 * EMFILE/ENFILE, the least recently used unpinned handles are closed and
 * reopened transparently when next used: by a file handle
 * (open_by_handle_at, which survives renames, where the host permits it)
 * or else by path, checking st_dev/st_ino (ESTALE if the path now names
 * another file). The guest's file position lives in the File, so a reopen
 * loses nothing. Every operation pins its handles (pin/unpin) for its whole
 * duration, so nothing can be reclaimed in the middle, including the
 * reopens of another handle in the same operation (copy_file_range). A
 * handle that cannot be reopened — unlinked or replaced by the guest, nlink
 * 0 on the host, O_TMPFILE — is sticky: never reclaimed.
 *
 * The filehandle layer itself is filehandle.ts.
 *
 * Ownership: the HandleCache and every HostFs are touched only on the JS
 * thread; no operation spans an await (a future one that does keeps its
 * pin across it: that is what pins are for).
 */
import { Errno } from '../abi/errno.js';
import * as host from '../host/libc.js';
import { FALLOC_FL_PUNCH_HOLE, FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_ZERO_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_WRITE_ZEROES } from '../abi/falloc.js';
import { PAGE_SIZE } from '../abi/mman.js';
import { File } from './file.js';
import { DirEntry, Stat, S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_ISUID, S_ISGID, O_ACCMODE, O_APPEND, O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW, O_CLOEXEC, O_DIRECTORY, O_PATH, O_RDONLY, O_SYNC, O_TMPFILE, HostMappable, FileMappers } from './types.js';
import {
  FileSystem, Node, FsCred, MappableRef, SetAttr, StatFs, ST_RDONLY, ST_NOEXEC, SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE, seekIn,
  PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC, SECURITYFS_MAGIC, BPF_FS_MAGIC, CGROUP_SUPER_MAGIC,
  CGROUP2_SUPER_MAGIC, CONFIGFS_MAGIC, PSTOREFS_MAGIC, EFIVARFS_MAGIC, SELINUX_MAGIC, HUGETLBFS_MAGIC, TIME_NOW,
} from './node.js';
import type { LockTable } from './locks.js';
import { HostHandle, HandleCache, FhStats, HOST_OPEN, FH_SIZE, guestErr } from './filehandle.js';
import { parseStat, parseStatx, STATX_SIZE, STATX_BASIC_STATS, STATX_BTIME } from '../abi/stat.js';

/** What to ask the host's statx for: the basic fields, and the birth time if the guest asked (a filesystem may
 * look it up only then, as ext4 does) */
function hostStatxMask(mask: number): number {
  return STATX_BASIC_STATS | (mask & STATX_BTIME);
}
import { XATTR_SIZE_MAX, XATTR_USER_PREFIX } from '../abi/xattr.js';
import { SimpleXattrs } from './xattr.js';
import { DirCache } from './dcache.js';
import { decodeName } from '../abi/names.js';
export { HostHandle, HandleCache, parseStat };
export type { FhStats };


const RESOLVE = host.RESOLVE_IN_ROOT | host.RESOLVE_NO_MAGICLINKS;
/** filesystems whose files the host never maps into a stub (HostFile.mappable); immutable */
/** sizeof(struct statfs) on x86-64 */
const STATFS_SIZE = 120;
/** A host struct statfs (x86-64: eleven 64-bit fields and spares). */
function parseStatFs(b: Uint8Array): StatFs {
  const dv = new DataView(b.buffer, b.byteOffset, STATFS_SIZE);
  const i64 = (o: number): number => Number(dv.getBigInt64(o, true));
  return {
    type: i64(0), bsize: i64(8), blocks: i64(16), bfree: i64(24), bavail: i64(32), files: i64(40),
    ffree: i64(48), fsid: i64(56), namelen: i64(64), frsize: i64(72), flags: i64(80),
  };
}
const PSEUDO_FS = new Set([PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC, SECURITYFS_MAGIC, BPF_FS_MAGIC,
  CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, CONFIGFS_MAGIC, PSTOREFS_MAGIC, EFIVARFS_MAGIC, SELINUX_MAGIC]);
export interface HostFsOptions {
  /** the host directory; must exist */
  rootDir: string;
  /** allow writes (else the VFS answers EROFS) */
  rw: boolean;
  /** max host fds when this HostFs makes its own HandleCache (default 512) */
  fdBudget?: number;
  /** the kernel's shared filehandle layer (else one of its own) */
  handles?: HandleCache;
  /** the kernel's lock table (flock/OFD locks go when a File is released) */
  locks?: LockTable;
  /** test: behave as on a host without openat2 */
  noOpenat2?: boolean;
}

/** One hostfs mount. Immutable after construction except byRel and fchmodat2Ok
 * (guarded by the JS thread) and the scratch buffers (used synchronously only). */
export class HostFs extends FileSystem {
  /** type, dev and root: immutable */
  readonly type = 'hostfs';
  readonly dev: number;
  readonly root: HostNode;
  /** O_PATH fd of the root directory; immutable */
  readonly rootFd: number;
  /** the kernel's filehandle layer (shared by every mount); immutable reference */
  readonly handles: HandleCache;
  /** the kernel's lock table, if any; immutable */
  readonly locks: LockTable | null;
  /** immutable */
  readonly readonly: boolean;
  /** the host directory, for /proc/mounts; immutable */
  readonly rootDir: string;
  /** the host process umask, which the host applies to our creates too; immutable */
  private readonly hostUmask: number;
  /** host euid 0: new files can be given the guest creator's ids; immutable */
  private readonly hostRoot: boolean;
  /** the directory cache (dcache.ts); immutable reference */
  readonly dcache: DirCache;
  /** openat2 works on this host; immutable */
  private readonly openat2Ok: boolean;
  /** fchmodat2 works on this host; guarded by the JS thread: written once, at the first chmod that finds out */
  private fchmodat2Ok = true;
  /** a readable fd of the root for open_by_handle_at, and the root's mount id; -1 if handles are unavailable; both immutable */
  private readonly mountFd: number;
  private readonly mountId: number;
  /** open handles by rel, to follow the guest's unlink and rename; guarded by the JS thread */
  private readonly byRel = new Map<string, Set<HostHandle>>();
  /** scratch for host struct stat / statfs / getdents / handles; used synchronously only */
  private readonly stbuf = new Uint8Array(144);
  /** statx scratch (lstatx, HostFile.statx); used synchronously only */
  readonly stxbuf = new Uint8Array(STATX_SIZE);
  private readonly dentbuf = new Uint8Array(32768);
  private readonly linkbuf = new Uint8Array(4096);
  private readonly fhbuf = new Uint8Array(FH_SIZE);
  private readonly midbuf = new Int32Array(1);

  constructor(opts: HostFsOptions) {
    super();
    const fd = host.openat(host.AT_FDCWD, opts.rootDir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) throw new Error(`hostfs: cannot open root ${opts.rootDir}: errno ${-fd}`);
    this.rootFd = fd;
    this.rootDir = opts.rootDir;
    this.readonly = !opts.rw;
    this.handles = opts.handles ?? new HandleCache(opts.fdBudget ?? 512);
    this.locks = opts.locks ?? null;
    const old = host.umask(0);
    host.umask(old);
    this.hostUmask = old;
    this.hostRoot = host.geteuid() === 0;
    const probe = opts.noOpenat2 ? -Errno.ENOSYS : host.openat2(fd, '.', O_PATH | O_CLOEXEC, 0, RESOLVE);
    if (probe >= 0) host.close(probe);
    this.openat2Ok = probe >= 0;
    this.dcache = new DirCache(fd, this.handles, (rel) => this.walkFromRoot(rel, O_PATH | O_DIRECTORY | HOST_OPEN, 0));
    const st = this.lstat('');
    if (typeof st === 'number') throw new Error(`hostfs: cannot stat root ${opts.rootDir}: errno ${-st}`);
    if ((st.mode & S_IFMT) !== S_IFDIR) throw new Error(`hostfs: root ${opts.rootDir} is not a directory`);
    this.dev = st.dev;
    this.root = new HostNode(this, '', st);
    // file handles: open_by_handle_at needs CAP_DAC_READ_SEARCH and a non-O_PATH fd on the mount
    let mfd = -1, mid = -1;
    const rfd = host.openat(host.AT_FDCWD, opts.rootDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (rfd >= 0) {
      const fh = this.handleAt(rfd);
      const probe = fh ? host.openByHandleAt(rfd, fh.fh, O_PATH | O_CLOEXEC) : -1;
      if (probe >= 0) {
        host.close(probe);
        mfd = rfd;
        mid = fh!.mountId;
      } else {
        host.close(rfd);
      }
    }
    this.mountFd = mfd;
    this.mountId = mid;
  }

  // ---- confined host access ------------------------------------------------------------

  /**
   * open rel below the root with flags (the caller includes O_NOFOLLOW for
   * files), the host's walk confined to the mount. Host fd or -errno
   * (host's); not counted against the budget (callers go through
   * handles.acquire).
   */
  openConfined(rel: string, flags: number, mode: number): number {
    if (rel === '') return host.openat(this.rootFd, '.', flags, mode);
    const i = rel.lastIndexOf('/');
    if (i < 0) return host.openat(this.rootFd, rel, flags, mode);
    if (!this.dcache.enabled) return this.walkFromRoot(rel, flags, mode);
    // one name from the parent the directory cache holds
    const pfd = this.dcache.acquire(rel.slice(0, i));
    if (pfd < 0) return pfd;
    try {
      return host.openat(pfd, rel.slice(i + 1), flags, mode);
    } finally {
      this.dcache.put(pfd);
    }
  }

  /** openConfined's walk from the root, for what the directory cache does not hold. */
  private walkFromRoot(rel: string, flags: number, mode: number): number {
    const path = rel === '' ? '.' : rel;
    // openat2 is strict: O_PATH takes only these (openat ignores the rest)
    if (flags & O_PATH) flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    if (this.openat2Ok) {
      for (let tries = 0; ; tries++) {
        const fd = host.openat2(this.rootFd, path, flags, flags & (O_CREAT | O_TMPFILE) ? mode : 0, RESOLVE);
        // EAGAIN: a rename raced with the walk's `..` check; the kernel asks for a retry
        if (fd === -Errno.EAGAIN && tries < 16) continue;
        return fd;
      }
    }
    // no openat2: a walk that follows nothing
    const parts = rel.split('/');
    let dir = this.rootFd;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = host.openat(dir, parts[i]!, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
      if (dir !== this.rootFd) host.close(dir);
      if (next < 0) return next === -Errno.ELOOP ? -Errno.ENOTDIR : next;
      dir = next;
    }
    const fd = host.openat(dir, parts[parts.length - 1]!, flags, mode);
    if (dir !== this.rootFd) host.close(dir);
    return fd;
  }

  /**
   * Run op on rel's parent directory (confined) and rel's last name. The
   * name is '' for the root itself (op must then use AT_EMPTY_PATH on the
   * dirfd). op's host calls must not follow the last name.
   */
  atParent<T>(rel: string, op: (dirfd: number, name: string) => T | number): T | number {
    const i = rel.lastIndexOf('/');
    if (i < 0) return op(this.rootFd, rel);
    const dfd = this.dcache.acquire(rel.slice(0, i));
    if (dfd < 0) return guestErr(dfd);
    try {
      return op(dfd, rel.slice(i + 1));
    } finally {
      this.dcache.put(dfd);
    }
  }
  /** A transient fd of rel itself (flags gain O_NOFOLLOW etc.); releaseTransient it. */
  private openTransient(rel: string, flags: number): number {
    return this.handles.acquire(() => this.openConfined(rel, flags | HOST_OPEN, 0), true);
  }

  // ---- extended attributes ----------------------------------------------------------------
  // user.* go to the host file (through /proc/self/fd of an fd on it, so the
  // host never walks a path again), or stay in memory when the host's
  // filesystem has none (EOPNOTSUPP). trusted.* and security.* always stay in
  // memory: a guest's root is not the host's, and must not mark host files.

  /** in-memory attributes of host inodes, by st_ino (an inode number the host reuses after the last
   * unlink may find old ones: a known gap); guarded by the JS thread */
  private readonly memXattrs = new Map<number, SimpleXattrs>();

  /** The file `key` ("dev:ino") names: its mappers (made now if `make`, forgotten when the last mapping lets go:
   * handles.rmaps). */
  rmapOf(key: string, make: boolean): FileMappers | undefined {
    let r = this.handles.rmaps.get(key);
    if (!r && make) {
      const made = new FileMappers(() => {
        if (this.handles.rmaps.get(key) === made) this.handles.rmaps.delete(key);
      });
      this.handles.rmaps.set(key, (r = made));
    }
    return r;
  }
  /** A file that asked for its mappers closes: they go if no mapping took them (an mmap that failed). */
  rmapUnused(key: string): void {
    if (this.handles.rmaps.get(key)?.idle) this.handles.rmaps.delete(key);
  }
  /** The mappers of the host inode dev:ino, if any guest maps it: a truncation of it then asks the size it had
   * first, and tells them when it shrank (FileMappers.shrunk). */
  mappersOf(dev: number, ino: number): FileMappers | undefined {
    return this.handles.rmaps.get(`${dev}:${ino}`);
  }
  /** Before a truncation by path of rel (last seen as st): its size and mappers, when a guest maps the file there
   * now (st may be stale: the host may have put another file there; only that one's mappers count), else null. */
  sizeIfMapped(rel: string, st: Stat): { size: number; m: FileMappers } | null {
    if (!this.mappersOf(st.dev, st.ino)) return null;
    const now = this.lstat(rel);
    if (typeof now === 'number') return null;
    const m = this.mappersOf(now.dev, now.ino);
    return m ? { size: now.size, m } : null;
  }
  /** getxattr/listxattr scratch (the largest value or list Linux allows); used synchronously only */
  private readonly xattrBuf = new Uint8Array(XATTR_SIZE_MAX);

  /** Run op on a /proc/self/fd path of rel itself (an O_PATH fd, not following rel). */
  withRelFd(rel: string, op: (path: string) => number): number {
    const fd = this.openTransient(rel, O_PATH | O_NOFOLLOW);
    if (fd < 0) return guestErr(fd);
    try {
      return op(`/proc/self/fd/${fd}`);
    } finally {
      this.handles.releaseTransient(fd);
    }
  }
  private mem(ino: number, make: boolean): SimpleXattrs | null {
    let m = this.memXattrs.get(ino) ?? null;
    if (!m && make) this.memXattrs.set(ino, (m = new SimpleXattrs()));
    return m;
  }
  getxattr(ino: number, at: (op: (path: string) => number) => number, name: string): Uint8Array | number {
    if (name.startsWith(XATTR_USER_PREFIX)) {
      const n = at((p) => host.getxattr(p, name, this.xattrBuf));
      if (n !== -Errno.EOPNOTSUPP) return n < 0 ? guestErr(n) : this.xattrBuf.slice(0, n);
    }
    return this.mem(ino, false)?.get(name) ?? -Errno.ENODATA;
  }
  setxattr(ino: number, at: (op: (path: string) => number) => number, name: string, value: Uint8Array, flags: number): number {
    if (name.startsWith(XATTR_USER_PREFIX)) {
      const r = at((p) => host.setxattr(p, name, value, flags));
      if (r !== -Errno.EOPNOTSUPP) return guestErr(r);
    }
    return this.mem(ino, true)!.set(name, value, flags);
  }
  removexattr(ino: number, at: (op: (path: string) => number) => number, name: string): number {
    if (name.startsWith(XATTR_USER_PREFIX)) {
      const r = at((p) => host.removexattr(p, name));
      if (r !== -Errno.EOPNOTSUPP) return guestErr(r);
    }
    return this.mem(ino, false)?.remove(name) ?? -Errno.ENODATA;
  }
  /** The host file's user.* names (the host's other namespaces are not the guest's), then the in-memory ones. */
  listxattr(ino: number, at: (op: (path: string) => number) => number, userOk: boolean): string[] | number {
    const out: string[] = [];
    if (userOk) {
      const n = at((p) => host.listxattr(p, this.xattrBuf));
      if (n < 0 && n !== -Errno.EOPNOTSUPP) return guestErr(n);
      if (n > 0) {
        for (const name of Buffer.from(this.xattrBuf.buffer, 0, n).toString('latin1').split('\0')) {
          if (name.startsWith(XATTR_USER_PREFIX)) out.push(Buffer.from(name, 'latin1').toString('utf8'));
        }
      }
    }
    const m = this.mem(ino, false);
    if (m) out.push(...m.list());
    return out;
  }

  /** statx(AT_SYMLINK_NOFOLLOW) below the root: the birth time (when asked and kept) and attributes too. */
  lstatx(rel: string, mask: number): Stat | number {
    const r = this.atParent(rel, (d, n) => {
      for (;;) {
        const e = host.statx(d, n, host.AT_SYMLINK_NOFOLLOW | (n === '' ? host.AT_EMPTY_PATH : 0), hostStatxMask(mask), this.stxbuf);
        if (e !== -Errno.EINTR) return e;
      }
    });
    return r < 0 ? guestErr(r) : parseStatx(this.stxbuf);
  }
  /** fstatat(AT_SYMLINK_NOFOLLOW) below the root. */
  lstat(rel: string): Stat | number {
    const r = this.atParent(rel, (d, n) => {
      for (;;) {
        const e = host.fstatat(d, n, this.stbuf, host.AT_SYMLINK_NOFOLLOW | (n === '' ? host.AT_EMPTY_PATH : 0));
        if (e !== -Errno.EINTR) return e;
      }
    });
    return r < 0 ? guestErr(r) : parseStat(this.stbuf);
  }
  readlink(rel: string): string | number {
    const n = this.atParent(rel, (d, name) => host.readlinkat(d, name, this.linkbuf));
    if (n < 0) return guestErr(n);
    return decodeName(this.linkbuf.subarray(0, n));
  }
  /** Directory listing via getdents64 on a transient fd, without '.' and '..'. */
  list(rel: string): DirEntry[] | number {
    const fd = this.openTransient(rel, O_RDONLY | O_DIRECTORY);
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
          const name = decodeName(b.subarray(off + 19, end));
          if (name !== '.' && name !== '..') {
            const ino = dv.getUint32(off + 4, true) * 0x100000000 + dv.getUint32(off, true);
            out.push({ ino, type, name });
          }
          off += reclen;
        }
      }
    } finally {
      this.handles.releaseTransient(fd);
    }
    return out;
  }
  /** The host's syncfs on the mount's filesystem (a read-only mount wrote nothing through umlts). */
  override sync(): void {
    if (this.readonly) return;
    const fd = this.openTransient('', O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    host.syncfs(fd);
    this.handles.releaseTransient(fd);
  }

  statfs(node: Node): StatFs | number {
    const rel = node instanceof HostNode ? node.rel : '';
    const fd = this.openTransient(rel, O_PATH);
    if (fd < 0) return guestErr(fd);
    const b = new Uint8Array(STATFS_SIZE);
    const r = host.fstatfs(fd, b);
    this.handles.releaseTransient(fd);
    if (r < 0) return guestErr(r);
    const st = parseStatFs(b);
    if (this.readonly) st.flags |= ST_RDONLY;
    return st;
  }
  /** chmod of (dirfd, name) that never follows name (name '' = dirfd itself). */
  chmodAt(d: number, name: string, mode: number): number {
    const flags = name === '' ? host.AT_EMPTY_PATH : host.AT_SYMLINK_NOFOLLOW;
    if (this.fchmodat2Ok) {
      const r = host.fchmodat2(d, name, mode, flags);
      if (r !== -Errno.ENOSYS) return r;
      this.fchmodat2Ok = false;
    }
    // glibc's fallback: chmod the O_PATH fd through /proc/self/fd (which is the file itself, not a path)
    const fd = name === '' ? d : host.openat(d, name, O_PATH | HOST_OPEN, 0);
    if (fd < 0) return fd;
    let r = host.fstat(fd, this.stbuf);
    if (r === 0) {
      r = (parseStat(this.stbuf).mode & S_IFMT) === S_IFLNK
        ? -Errno.EOPNOTSUPP
        : host.fchmodat(host.AT_FDCWD, `/proc/self/fd/${fd}`, mode, 0);
    }
    if (fd !== d) host.close(fd);
    return r;
  }
  /**
   * A new directory, node or symlink was made with mode on the guest's
   * behalf: give it the guest creator's ids when the host lets us (its
   * group stays the one the host gave it in a setgid parent, sgidParent:
   * inode_init_owner), then its mode, undoing the host umask (the guest's
   * is applied already) and what the chown cleared (setuid, setgid); a new
   * directory in a setgid parent keeps S_ISGID. Never follows name.
   */
  fixNewAt(d: number, name: string, mode: number, cred: FsCred, isLink: boolean, sgidParent = false, isDir = false): void {
    const chown = this.hostRoot && (cred.fsuid !== 0 || cred.fsgid !== 0);
    if (chown) host.fchownat(d, name, cred.fsuid, sgidParent ? -1 : cred.fsgid, host.AT_SYMLINK_NOFOLLOW);
    if (isDir && sgidParent) mode |= S_ISGID;
    if (!isLink && (mode & this.hostUmask || (chown && mode & (S_ISUID | S_ISGID)))) this.chmodAt(d, name, mode & 0o7777);
  }
  /** The same for a new regular file, through its open fd. */
  fixNewFd(fd: number, mode: number, cred: FsCred, sgidParent: boolean): void {
    const chown = this.hostRoot && (cred.fsuid !== 0 || cred.fsgid !== 0);
    if (chown) host.fchown(fd, cred.fsuid, sgidParent ? -1 : cred.fsgid);
    if (mode & this.hostUmask || (chown && mode & (S_ISUID | S_ISGID))) host.fchmod(fd, mode & 0o7777);
  }

  // ---- file handles (open_by_handle_at) -------------------------------------------------

  private handleAt(fd: number): { fh: Uint8Array; mountId: number } | null {
    new DataView(this.fhbuf.buffer).setUint32(0, 128, true);
    if (host.nameToHandleAt(fd, '', this.fhbuf, this.midbuf, host.AT_EMPTY_PATH) < 0) return null;
    const len = new DataView(this.fhbuf.buffer).getUint32(0, true);
    return { fh: this.fhbuf.slice(0, 8 + len), mountId: this.midbuf[0]! };
  }
  /** The host's file handle of an open fd, when it can be reopened by it here (same mount), else null. */
  fileHandle(fd: number): Uint8Array | null {
    if (this.mountFd < 0) return null;
    const r = this.handleAt(fd);
    return r && r.mountId === this.mountId ? r.fh : null;
  }
  openByHandle(fh: Uint8Array, flags: number): number {
    return host.openByHandleAt(this.mountFd, fh, flags);
  }

  // ---- following the guest's namespace changes ------------------------------------------

  track(h: HostHandle): void {
    let s = this.byRel.get(h.rel);
    if (!s) {
      s = new Set();
      this.byRel.set(h.rel, s);
    }
    s.add(h);
  }
  untrack(h: HostHandle): void {
    const s = this.byRel.get(h.rel);
    if (s && s.delete(h) && s.size === 0) this.byRel.delete(h.rel);
  }
  /**
   * rel is about to be unlinked (or replaced by a rename): the handles
   * naming it must hold their file open from now on — a reclaimed one is
   * reopened first, or the host would free the inode the guest still has
   * open — and become sticky. Returns 0 or -errno (the unlink must not
   * happen then).
   */
  unlinking(rel: string): number {
    const s = this.byRel.get(rel);
    if (!s) return 0;
    for (const h of s) {
      if (h.fd < 0) {
        const fd = this.handles.pin(h);
        if (fd < 0) return fd;
        this.handles.unpin(h);
      }
      this.handles.makeSticky(h);
    }
    return 0;
  }
  /** oldRel was renamed to newRel: follow it, and everything below it. */
  renamed(oldRel: string, newRel: string): void {
    this.dcache.invalidate(oldRel);
    this.dcache.invalidate(newRel);
    const pre = oldRel + '/';
    const moved: HostHandle[] = [];
    for (const [rel, s] of this.byRel) {
      if (rel === oldRel || rel.startsWith(pre)) for (const h of s) moved.push(h);
    }
    for (const h of moved) {
      this.untrack(h);
      h.rel = h.rel === oldRel ? newRel : newRel + h.rel.slice(oldRel.length);
    }
    for (const h of moved) this.track(h);
  }
  /** Counters for tests: handles open on this mount. */
  get openHandles(): number {
    let n = 0;
    for (const s of this.byRel.values()) n += s.size;
    return n;
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
    // the mount root lives as long as the mount: its attributes must follow a chmod or chown (the directory
    // cache's watch says when), where any other node's are those of the lookup that made it
    if (this.rel === '') return this.fs.dcache.rootAttrs() ?? this.st;
    return this.st;
  }
  /** a setgid directory: what is made in it takes its group (the host sees to that) */
  private sgid(): boolean {
    return (this.peek().mode & S_ISGID) !== 0;
  }
  // the type is the lookup's for good (the root's too: the mount holds that directory by fd), no fresh look
  override get isDir(): boolean {
    return (this.st.mode & S_IFMT) === S_IFDIR;
  }
  override get isLink(): boolean {
    return (this.st.mode & S_IFMT) === S_IFLNK;
  }
  stat(): Stat | number {
    return this.fs.lstat(this.rel);
  }
  override statx(mask: number): Stat | number {
    return this.fs.lstatx(this.rel, mask);
  }
  override lookup(name: string, through = false): Node | number {
    if (!this.isDir) return -Errno.ENOTDIR;
    const rel = child(this.rel, name);
    const st = (through && this.fs.dcache.attrs(rel)) || this.fs.lstat(rel);
    return typeof st === 'number' ? st : new HostNode(this.fs, rel, st);
  }
  override readlink(): string | number {
    return this.isLink ? this.fs.readlink(this.rel) : -Errno.EINVAL;
  }
  override readdir(): DirEntry[] | number {
    return this.isDir ? this.fs.list(this.rel) : -Errno.ENOTDIR;
  }
  override open(flags: number, path: string): File | number {
    // FIFOs and device nodes are opened by the VFS (fifo.ts, devfs.ts), never
    // on the host (a host FIFO could block the whole kernel); sockets: ENXIO
    if ((this.st.mode & S_IFMT) !== S_IFREG) return -Errno.ENXIO;
    // O_SYNC/O_DSYNC keep their meaning on the host; O_APPEND and O_NONBLOCK are
    // ours to implement (we write at explicit offsets and never block on a file)
    const was = flags & O_TRUNC ? this.fs.sizeIfMapped(this.rel, this.st) : null;
    const h = this.fs.handles.open(this.fs, this.rel, flags & (O_ACCMODE | O_TRUNC | O_SYNC), 0);
    if (typeof h === 'number') return h;
    if (was && was.size > 0) was.m.shrunk(0);
    return new HostFile(this.fs, h, flags, path);
  }
  override create(name: string, mode: number, cred: FsCred, flags: number, path: string): File | number {
    const rel = child(this.rel, name);
    const h = this.fs.handles.open(this.fs, rel, (flags & (O_ACCMODE | O_SYNC)) | O_CREAT | O_EXCL, mode & 0o7777);
    if (typeof h === 'number') return h;
    this.fs.fixNewFd(h.fd, mode & 0o7777, cred, this.sgid());
    return new HostFile(this.fs, h, flags, path);
  }
  override tmpfile(mode: number, cred: FsCred, flags: number, path: string): File | number {
    const h = this.fs.handles.open(this.fs, this.rel, (flags & (O_ACCMODE | O_SYNC)) | O_TMPFILE, mode & 0o7777);
    if (typeof h === 'number') return h === -Errno.EISDIR ? -Errno.EOPNOTSUPP : h;
    this.fs.fixNewFd(h.fd, mode & 0o7777, cred, this.sgid());
    return new HostFile(this.fs, h, flags, path);
  }
  /**
   * A handle on this inode for its attributes only (O_PATH: opening it
   * never blocks, even on a FIFO), which keeps telling the truth after a
   * rename or unlink, as fstat does on Linux. close() it when done.
   */
  openAttrs(): HostAttrs | number {
    const h = this.fs.handles.open(this.fs, this.rel, O_PATH, 0);
    if (typeof h === 'number') return h;
    return new HostAttrs(this.fs, h);
  }
  override mkdir(name: string, mode: number, cred: FsCred): number {
    return guestErr(this.fs.atParent(child(this.rel, name), (d, n) => {
      const r = host.mkdirat(d, n, mode & 0o7777);
      if (r === 0) this.fs.fixNewAt(d, n, mode & 0o7777, cred, false, this.sgid(), true);
      return r;
    }));
  }
  override mknod(name: string, mode: number, rdev: number, cred: FsCred): number {
    // no device nodes in host directories: a guest's root must not leave a
    // node of a host device where host users could open it (a whiteout,
    // character device 0:0, opens nothing and may be made)
    const type = mode & S_IFMT;
    if ((type === S_IFCHR || type === S_IFBLK) && !(type === S_IFCHR && rdev === 0)) return -Errno.EPERM;
    return guestErr(this.fs.atParent(child(this.rel, name), (d, n) => {
      const r = host.mknodat(d, n, mode, rdev);
      if (r === 0) this.fs.fixNewAt(d, n, mode & 0o7777, cred, false, this.sgid());
      return r;
    }));
  }
  override symlink(name: string, target: string, cred: FsCred): number {
    return guestErr(this.fs.atParent(child(this.rel, name), (d, n) => {
      const r = host.symlinkat(target, d, n);
      if (r === 0 && (cred.fsuid !== 0 || cred.fsgid !== 0)) this.fs.fixNewAt(d, n, 0, cred, true, this.sgid());
      return r;
    }));
  }
  override link(name: string, target: Node): number {
    if (target instanceof OpenHostNode && target.fs === this.fs) return target.linkInto(this, name);
    if (!(target instanceof HostNode) || target.fs !== this.fs) return -Errno.EXDEV;
    return guestErr(this.fs.atParent(target.rel, (d1, n1) =>
      this.fs.atParent(child(this.rel, name), (d2, n2) => host.linkat(d1, n1, d2, n2, 0))));
  }
  override unlink(name: string): number {
    const rel = child(this.rel, name);
    const e = this.fs.unlinking(rel);
    if (e < 0) return e;
    return guestErr(this.fs.atParent(rel, (d, n) => host.unlinkat(d, n, 0)));
  }
  override rmdir(name: string): number {
    const rel = child(this.rel, name);
    const r = this.fs.atParent(rel, (d, n) => host.unlinkat(d, n, host.AT_REMOVEDIR));
    if (r === 0) this.fs.dcache.invalidate(rel);
    return guestErr(r);
  }
  override rename(oldName: string, newDir: Node, newName: string, flags: number): number {
    if (!(newDir instanceof HostNode) || newDir.fs !== this.fs) return -Errno.EXDEV;
    const from = child(this.rel, oldName), to = child(newDir.rel, newName);
    if (!(flags & 2 /* RENAME_EXCHANGE */)) {
      const e = this.fs.unlinking(to); // whatever to names now may be replaced
      if (e < 0) return e;
    }
    const r = this.fs.atParent(from, (d1, n1) =>
      this.fs.atParent(to, (d2, n2) => host.renameat2(d1, n1, d2, n2, flags)));
    if (r < 0) return guestErr(r);
    if (flags & 2 /* RENAME_EXCHANGE */) {
      const tmp = '\0exchange'; // a name no path can contain
      this.fs.renamed(from, tmp);
      this.fs.renamed(to, from);
      this.fs.renamed(tmp, to);
    } else {
      this.fs.renamed(from, to);
    }
    return 0;
  }
  override getxattr(name: string): Uint8Array | number {
    return this.fs.getxattr(this.st.ino, (op) => this.fs.withRelFd(this.rel, op), name);
  }
  override setxattr(name: string, value: Uint8Array, flags: number): number {
    return this.fs.setxattr(this.st.ino, (op) => this.fs.withRelFd(this.rel, op), name, value, flags);
  }
  override removexattr(name: string): number {
    return this.fs.removexattr(this.st.ino, (op) => this.fs.withRelFd(this.rel, op), name);
  }
  override listxattr(): string[] | number {
    const type = this.st.mode & S_IFMT;
    return this.fs.listxattr(this.st.ino, (op) => this.fs.withRelFd(this.rel, op), type === S_IFREG || type === S_IFDIR);
  }
  override setattr(a: SetAttr): number {
    const fs = this.fs;
    if (a.size !== undefined) {
      if ((this.st.mode & S_IFMT) === S_IFDIR) return -Errno.EISDIR;
      if ((this.st.mode & S_IFMT) !== S_IFREG) return -Errno.EINVAL;
      // truncate(2) of the O_PATH fd's magic link, not an open for writing: the host's inotify watchers (a
      // guest's among them) see the change alone, as after a truncate(2) on the host, no IN_OPEN/IN_CLOSE_WRITE
      const size = a.size;
      const was = fs.sizeIfMapped(this.rel, this.st);
      const r = fs.withRelFd(this.rel, (path) => host.truncate(path, size));
      if (r < 0) return guestErr(r);
      if (was && size < was.size) was.m.shrunk(size);
    }
    return guestErr(fs.atParent(this.rel, (d, n) => setattrAt(fs, d, n, a)));
  }
}

/** An O_PATH handle's attributes (HostNode.openAttrs). Owned by whoever opened it; closed once. */
export class HostAttrs {
  /** fstat scratch; used synchronously only */
  private readonly stbuf = new Uint8Array(144);
  /** fs and h: immutable references */
  constructor(private readonly fs: HostFs, private readonly h: HostHandle) {}
  stat(): Stat | number {
    const fd = this.fs.handles.pin(this.h);
    if (fd < 0) return fd;
    try {
      const r = host.fstat(fd, this.stbuf);
      return r < 0 ? guestErr(r) : parseStat(this.stbuf);
    } finally {
      this.fs.handles.unpin(this.h);
    }
  }
  close(): void {
    this.fs.handles.close(this.h);
  }
}

/** The attribute part of setattr (all but size) on (dirfd, name), never following name. */
function setattrAt(fs: HostFs, d: number, n: string, a: SetAttr): number {
  const empty = n === '' ? host.AT_EMPTY_PATH : 0;
  if (a.mode !== undefined) {
    const r = fs.chmodAt(d, n, a.mode & 0o7777);
    if (r < 0) return r;
  }
  if ((a.uid !== undefined && a.uid !== -1) || (a.gid !== undefined && a.gid !== -1)) {
    const r = host.fchownat(d, n, a.uid ?? -1, a.gid ?? -1, host.AT_SYMLINK_NOFOLLOW | empty);
    if (r < 0) return r;
  }
  if (a.atimeNs !== undefined || a.mtimeNs !== undefined) {
    const r = host.utimensat(d, n, timespecs(a), host.AT_SYMLINK_NOFOLLOW | empty);
    if (r < 0) return r;
  }
  return 0;
}

function timespecs(a: SetAttr): BigInt64Array {
  const ts = new BigInt64Array(4);
  const put = (i: number, v: bigint | undefined): void => {
    if (v === undefined) ts[i + 1] = BigInt(host.UTIME_OMIT);
    else if (v === TIME_NOW) ts[i + 1] = BigInt(host.UTIME_NOW);
    else {
      ts[i] = v / 1000000000n;
      ts[i + 1] = v % 1000000000n;
      if (ts[i + 1]! < 0n) {
        ts[i]! -= 1n;
        ts[i + 1]! += 1000000000n;
      }
    }
  };
  put(0, a.atimeNs);
  put(2, a.mtimeNs);
  return ts;
}

/**
 * Where an open hostfs file is in the namespace when it has no name there
 * (O_TMPFILE, or reached through /proc/<pid>/fd): attributes through the
 * open file, and linkat(2) can give it a name.
 */
export class OpenHostNode extends Node {
  constructor(readonly fs: HostFs, private readonly file: HostFile) {
    super();
  }
  peek(): Stat {
    const s = this.file.stat();
    return typeof s === 'number' ? { ...this.fs.root.peek(), mode: S_IFREG } : s;
  }
  stat(): Stat | number {
    return this.file.stat();
  }
  override statx(mask: number): Stat | number {
    return this.file.statx(mask);
  }
  override open(): File {
    return this.file.get();
  }
  override setattr(a: SetAttr): number {
    return this.file.setattr(a);
  }
  /** Run op on the open file's /proc/self/fd path (still the file after an unlink). */
  private at = (op: (path: string) => number): number => {
    const fd = this.fs.handles.pin(this.file.h);
    if (fd < 0) return fd;
    try {
      return op(`/proc/self/fd/${fd}`);
    } finally {
      this.fs.handles.unpin(this.file.h);
    }
  };
  override getxattr(name: string): Uint8Array | number {
    return this.fs.getxattr(this.peek().ino, this.at, name);
  }
  override setxattr(name: string, value: Uint8Array, flags: number): number {
    return this.fs.setxattr(this.peek().ino, this.at, name, value, flags);
  }
  override removexattr(name: string): number {
    return this.fs.removexattr(this.peek().ino, this.at, name);
  }
  override listxattr(): string[] | number {
    return this.fs.listxattr(this.peek().ino, this.at, true);
  }
  /** linkat(fd, "", dir, name, AT_EMPTY_PATH): a name for the open file. */
  linkInto(dir: HostNode, name: string): number {
    return this.file.linkInto(dir, name);
  }
}

/** An open host regular file: reads and writes at explicit offsets (File.pos is ours, not the host fd's). */
export class HostFile extends File {
  /** fstat scratch; used synchronously only */
  private readonly stbuf = new Uint8Array(144);
  /** fs (its mount) and h (its handle): immutable references */
  constructor(private readonly fs: HostFs, readonly h: HostHandle, flags: number, path: string) {
    super(flags, path);
  }
  /** the host inode's key among its filesystem's mappers (HandleCache.rmaps), made at the first write; owned by
   * this file */
  private mappersKey = '';
  /** The address spaces mapping this host inode, if any (a write reaches their private pages of it). */
  private mappers(): FileMappers | undefined {
    return this.fs.handles.rmaps.get(this.mappersKey ||= `${this.h.dev}:${this.h.ino}`);
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
  /** What statfs says of the host file's own mount (neither if it cannot be asked): asked once, as an open file
   * stays on its mount; guarded by the JS thread, written once */
  private mount: { noexec: boolean; pseudo: boolean; hugetlb: boolean } | null = null;
  private hostMount(): { noexec: boolean; pseudo: boolean; hugetlb: boolean } {
    if (!this.mount) {
      const b = new Uint8Array(STATFS_SIZE);
      // a mount that cannot be asked is taken as the worst: not the host's to map
      const st = this.with((fd) => host.fstatfs(fd, b)) < 0 ? null : parseStatFs(b);
      this.mount = st === null ? { noexec: true, pseudo: true, hugetlb: false }
        : { noexec: (st.flags & ST_NOEXEC) !== 0, pseudo: PSEUDO_FS.has(st.type), hugetlb: st.type === HUGETLBFS_MAGIC };
    }
    return this.mount;
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
      if (n > 0) this.mappers()?.written(p, p + n);
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
      const p = whence === SEEK_SET ? off : whence === SEEK_CUR ? this.pos + off : whence === SEEK_END ? size + off : -1;
      // the host's filesystem knows its largest offset (s_maxbytes): let it judge a new position
      // (ftell's lseek(fd, 0, SEEK_CUR) moves nothing and needs no host call)
      if (p >= 0 && p !== this.pos && (whence === SEEK_SET || whence === SEEK_CUR || whence === SEEK_END)) {
        const r = host.lseek(fd, p, SEEK_SET);
        if (r < 0) return guestErr(r);
      }
      return seekIn(this, off, whence, size);
    });
  }
  override stat(): Stat | number {
    const r = this.with((fd) => guestErr(host.fstat(fd, this.stbuf)));
    return r < 0 ? r : parseStat(this.stbuf);
  }
  /** the host file has no name left (unlinked by a guest or on the host) */
  override get unlinked(): boolean {
    const st = this.stat();
    return typeof st !== 'number' && st.nlink === 0 && (st.mode & S_IFMT) !== S_IFDIR;
  }
  /** the host's statx of the open file: its birth time (when asked and kept) and attributes */
  override statx(mask: number): Stat | number {
    const r = this.with((fd) => guestErr(host.statx(fd, '', host.AT_EMPTY_PATH, hostStatxMask(mask), this.fs.stxbuf)));
    return r < 0 ? r : parseStatx(this.fs.stxbuf);
  }
  override truncate(len: number): number {
    return this.with((fd) => {
      const m = this.fs.mappersOf(this.h.dev, this.h.ino), was = m ? this.sizeOf(fd) : 0;
      const r = host.ftruncateTry(fd, len);
      if (r < 0) return guestErr(r);
      if (m && len < was) m.shrunk(len);
      return 0;
    });
  }
  override fsync(): number {
    return this.with((fd) => guestErr(host.fsync(fd)));
  }
  override fdatasync(): number {
    return this.with((fd) => guestErr(host.fdatasync(fd)));
  }
  /**
   * fallocate(2) on the host file. What it changes under the guest's
   * copies of the file's pages reaches them as Linux's filesystems have it
   * reach mappings: a hole or a zeroed range as truncate_pagecache_range, a
   * collapsed or inserted range (whole blocks) as truncate_pagecache from
   * the page it starts in (every page after it moves).
   */
  allocate(mode: number, off: number, len: number): number {
    return this.with((fd) => {
      const r = host.fallocateTry(fd, mode, off, len);
      if (r < 0) return guestErr(r);
      const m = this.fs.mappersOf(this.h.dev, this.h.ino);
      // (a block may be smaller than a page: the page a collapse or insert starts in moves too)
      if (m && mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) m.shrunk(Math.floor(off / PAGE_SIZE) * PAGE_SIZE);
      else if (m && mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_WRITE_ZEROES)) m.punched(off, off + len);
      return 0;
    });
  }
  /** fchmod/fchown/futimens/ftruncate through the open file (works after an unlink, as Linux). */
  override setattr(a: SetAttr): number {
    return this.with((fd) => {
      if (a.size !== undefined) {
        const m = this.fs.mappersOf(this.h.dev, this.h.ino), was = m ? this.sizeOf(fd) : 0;
        const r = host.ftruncateTry(fd, a.size);
        if (r < 0) return guestErr(r);
        if (m && a.size < was) m.shrunk(a.size);
      }
      return guestErr(setattrAt(this.fs, fd, '', a));
    });
  }
  /** Give this (possibly nameless) file the name dir/name: linkat(AT_EMPTY_PATH). */
  linkInto(dir: HostNode, name: string): number {
    const rel = child(dir.rel, name);
    return this.with((fd) => {
      const r = this.fs.atParent(rel, (d, n) => {
        const e = host.linkat(fd, '', d, n, host.AT_EMPTY_PATH);
        // without CAP_DAC_READ_SEARCH: the /proc/self/fd way (a magic link the host resolves itself)
        return e === -Errno.ENOENT || e === -Errno.EPERM ? host.linkat(host.AT_FDCWD, `/proc/self/fd/${fd}`, d, n, 0x400) : e;
      });
      return guestErr(r);
    });
  }
  /**
   * copy_file_range between two host files: both handles pinned for the
   * whole copy (pinning the second may reopen it, and that reopen must not
   * reclaim the first). Bytes copied or -errno.
   */
  copyTo(dst: HostFile, inPos: number, outPos: number, len: number, scratch: Uint8Array): number {
    const hc = this.fs.handles;
    const inFd = hc.pin(this.h);
    if (inFd < 0) return inFd;
    try {
      const outFd = dst.fs.handles.pin(dst.h);
      if (outFd < 0) return outFd;
      try {
        let done = 0, err = 0;
        while (done < len) {
          const want = Math.min(len - done, scratch.length);
          const n = host.pread(inFd, scratch.subarray(0, want), inPos + done);
          if (n <= 0) {
            err = n;
            break;
          }
          const w = host.pwrite(outFd, scratch.subarray(0, n), outPos + done);
          if (w < 0) {
            err = w;
            break;
          }
          done += w;
          if (w < n) break;
        }
        if (done > 0) dst.mappers()?.written(outPos, outPos + done);
        return done > 0 || err === 0 ? done : guestErr(err);
      } finally {
        dst.fs.handles.unpin(dst.h);
      }
    } finally {
      hc.unpin(this.h);
    }
  }
  override get noExec(): boolean {
    return this.hostMount().pseudo;
  }
  override mappable(shared = false): MappableRef | null {
    const self = this;
    const st = this.stat();
    // a pseudo filesystem's file maps the host kernel's memory or a device's
    // (a ring buffer, a PCI BAR) if anything: never into a guest (ENODEV, as
    // for the attributes that have no mmap)
    // (hugetlbfs: the host's huge pages, which it would not let a guest's munmap or mprotect split)
    const mount = this.hostMount();
    if (mount.pseudo || mount.hugetlb) return null;
    // the host maps the file itself; on a host noexec mount only a shared
    // mapping, which cannot be executable then (a stub's PROT_EXEC mapping
    // would fail there), while private ones are copied pages, which can
    // (programs run from such a mount) but can only be private
    let hostMap: HostMappable | undefined;
    if (typeof st !== 'number' && (!mount.noexec || shared)) {
      hostMap = {
        id: `${st.dev}:${st.ino}`,
        withFd(fn: (fd: number) => void): void {
          self.with((fd) => {
            fn(fd);
            return 0;
          });
        },
        writeAt(off: number, data: Uint8Array): number {
          return self.with((fd) => {
            const size = self.sizeOf(fd);
            if (size < 0) return size;
            if (off >= size) return -Errno.EFAULT;
            return guestErr(host.pwrite(fd, data.subarray(0, Math.min(data.length, size - off)), off));
          });
        },
      };
    }
    return {
      hostMap,
      noExec: mount.noexec && shared,
      fillHost(off: number, ptr: bigint, len: number): number {
        return self.with((fd) => guestErr(host.preadPtr(fd, ptr, len, off)));
      },
      // (-errno when the host cannot say: taken as no end)
      size(): number {
        return self.with((fd) => self.sizeOf(fd));
      },
      get(): void {
        self.get();
      },
      put(): void {
        self.put();
      },
      rmap: this.fs.rmapOf((this.rmapKey = `${this.h.dev}:${this.h.ino}`), true),
      mapName: this.path,
      mapDev: typeof st === 'number' ? 0 : st.dev,
      mapIno: typeof st === 'number' ? 0 : st.ino,
      // mm's page cache shares this file's pages between processes while the file is unchanged
      cacheKey: typeof st === 'number' ? undefined : `h${st.dev}:${st.ino}:${st.mtimeNs}:${st.ctimeNs}:${st.size}`,
    };
  }
  /** the inode's key for its mappers, once mappable() asked for them; guarded by the JS thread */
  private rmapKey = '';
  protected override release(): void {
    this.fs.locks?.releaseFile(this);
    this.fs.handles.close(this.h);
    if (this.rmapKey) this.fs.rmapUnused(this.rmapKey);
  }
}
