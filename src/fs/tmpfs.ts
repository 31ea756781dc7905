/**
 * tmpfs (mm/shmem.c): a filesystem in kernel memory. Directories are maps,
 * regular files growable byte buffers, symlinks strings; the Node objects
 * are the inodes themselves, so an unlinked file stays readable through its
 * open Files and a removed directory stays a valid (empty, dead) cwd.
 *
 * Ownership: everything here is touched only on the JS thread, by syscall
 * handlers of whichever task uses the mount; no operation spans an await.
 *
 * Regular files keep their bytes in a ShmemStore (shmem.ts): the kernel's
 * heap, or a host memfd once shared-mapped or large; memfd seals are the
 * inode's (TmpReg.seals).
 *
 * Missing: atime updates on read (Linux: relatime).
 */
import { Errno } from '../abi/errno.js';
import { File } from './file.js';
import type { LockTable } from './locks.js';
import { DirEntry, Stat, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, O_APPEND, O_EXCL, O_TRUNC, FileMappers } from './types.js';
import {
  FileSystem, Node, FsCred, MappableRef, SetAttr, StatFs, TMPFS_MAGIC, RENAME_EXCHANGE, RENAME_NOREPLACE,
  dtype, nowNs, seekIn, setOwnerAndTimes, SEEK_DATA, SEEK_HOLE,
} from './node.js';
import { ShmemStore } from './shmem.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../abi/falloc.js';
import { SimpleXattrs } from './xattr.js';
import { nameByteLength } from '../abi/names.js';
import { SHMEM_ATTRIBUTES_MASK } from '../abi/stat.js';
import { CAP_FULL_SET } from '../abi/capability.js';

/** TmpFs serial numbers. Module-level mutable state, shared by every kernel in the process; guarded by the JS thread. */
let nextSerial = 1;

export class TmpFs extends FileSystem {
  /** type and root: immutable */
  readonly type = 'tmpfs';
  readonly root: TmpDir;
  /** next inode number; guarded by the JS thread */
  private nextIno = 1;
  /** bytes held by regular files' buffers; guarded by the JS thread */
  used = 0;
  /** files moved to a host memfd for their holes alone (ShmemStore.sparse); guarded by the JS thread */
  sparseFiles = 0;
  /** directories renamed so far (the paths below them changed: a cwd there follows, Vfs.cwdLoc); guarded by the
   * JS thread */
  dirRenames = 0;
  /** the kernel's lock table (flock/OFD locks go when a File is released); set once by the Vfs */
  locks: LockTable | null = null;
  /** tells this instance's inodes from another's of the same dev (the stub's host-file ids); immutable */
  readonly serial = nextSerial++;

  constructor(
    /** st_dev; immutable */
    readonly dev: number,
    /** size limit in bytes (ENOSPC past it); immutable */
    readonly maxBytes = 1 << 30,
    rootMode = 0o1777,
  ) {
    super();
    this.root = new TmpDir(this, rootMode, { fsuid: 0, fsgid: 0, groups: [], capEffective: CAP_FULL_SET }, null);
  }
  allocIno(): number {
    return this.nextIno++;
  }
  /**
   * shmem_kernel_file_setup for SysV shared memory: a regular file in no
   * directory, whose one link is the segment's id (its bytes outlive every
   * open file until the segment drops that link: nlink 0, maybeFree).
   */
  shmFile(name: string, uid: number, gid: number, mode: number): TmpReg {
    return new TmpReg(this, mode & 0o777, uid, gid, name);
  }
  /**
   * memfd_create(2) and shmem_file_setup: an unlinked regular file of this
   * (internal) mount, mode 0777 and not umask'd (0666 with
   * MFD_NOEXEC_SEAL, which also seals F_SEAL_EXEC), sealable if
   * allowSealing; opened read-write at path ("/memfd:NAME (deleted)").
   */
  memfd(name: string, cred: FsCred, allowSealing: boolean, noexec: boolean, path: string, flags: number): TmpFile {
    const f = new TmpReg(this, noexec ? 0o666 : 0o777, cred.fsuid, cred.fsgid, name);
    f.nlink = 0;
    if (allowSealing || noexec) f.seals = 0;
    if (noexec) f.seals |= F_SEAL_EXEC;
    return new TmpFile(f, flags, path);
  }
  statfs(): StatFs {
    const blocks = Math.floor(this.maxBytes / 4096);
    return {
      type: TMPFS_MAGIC, bsize: 4096, blocks, bfree: blocks - Math.ceil(this.used / 4096),
      bavail: blocks - Math.ceil(this.used / 4096), files: 1 << 20, ffree: (1 << 20) - this.nextIno,
      fsid: 0, namelen: 255, frsize: 4096, flags: 0,
    };
  }
}

/** struct inode of tmpfs. Fields guarded by the JS thread (any task's syscall on the mount). */
abstract class TmpNode extends Node {
  /** immutable */
  readonly ino: number;
  /** S_IFMT | permission bits */
  imode: number;
  uid: number;
  gid: number;
  nlink = 1;
  /** I_LINKABLE: an O_TMPFILE file opened without O_EXCL, not yet linked: linkat may give it its first name (no
   * other file of nlink 0 may be named again) */
  linkable = false;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** shmem's i_crtime (statx's birth time); immutable */
  readonly btimeNs: bigint;

  constructor(readonly fs: TmpFs, mode: number, uid: number, gid: number) {
    super();
    this.ino = fs.allocIno();
    this.imode = mode;
    this.uid = uid;
    this.gid = gid;
    this.atimeNs = this.mtimeNs = this.ctimeNs = this.btimeNs = nowNs();
  }
  abstract get size(): number;
  peek(): Stat {
    return this.stat();
  }
  stat(): Stat {
    const size = this.size;
    return {
      dev: this.fs.dev, ino: this.ino, mode: this.imode, nlink: this.nlink, uid: this.uid, gid: this.gid,
      // only file data takes blocks (a tmpfs directory or symlink shows 0, as Linux)
      rdev: 0, size, blksize: 4096, blocks: this instanceof TmpReg ? this.blocks : 0,
      atimeNs: this.atimeNs, mtimeNs: this.mtimeNs, ctimeNs: this.ctimeNs,
      // shmem_getattr: a birth time always, and the attributes it can tell (none set: no FS_IOC_SETFLAGS here)
      btimeNs: this.btimeNs, attributesMask: SHMEM_ATTRIBUTES_MASK,
    };
  }
  override get mode(): number {
    return this.imode;
  }
  /** the inode's extended attributes (shmem_xattr_handlers: user, trusted, security); made by the first set */
  private xattrs: SimpleXattrs | null = null;
  override getxattr(name: string): Uint8Array | number {
    return this.xattrs ? this.xattrs.get(name) : -Errno.ENODATA;
  }
  override setxattr(name: string, value: Uint8Array, flags: number): number {
    const r = (this.xattrs ??= new SimpleXattrs()).set(name, value, flags);
    if (r === 0) this.ctimeNs = nowNs();
    return r;
  }
  override listxattr(): string[] {
    return this.xattrs ? this.xattrs.list() : [];
  }
  override removexattr(name: string): number {
    const r = this.xattrs ? this.xattrs.remove(name) : -Errno.ENODATA;
    if (r === 0) this.ctimeNs = nowNs();
    return r;
  }
  override setattr(a: SetAttr): number {
    if (a.size !== undefined) {
      if (!(this instanceof TmpReg)) return (this.imode & S_IFMT) === S_IFDIR ? -Errno.EISDIR : -Errno.EINVAL;
      const r = this.resize(a.size);
      if (r < 0) return r;
      this.mtimeNs = nowNs();
    }
    if (a.mode !== undefined) this.imode = (this.imode & S_IFMT) | (a.mode & 0o7777);
    setOwnerAndTimes(this, a);
    return 0;
  }
}

export class TmpDir extends TmpNode {
  /** name -> child; guarded by the JS thread */
  readonly entries = new Map<string, TmpNode>();
  /** the directory holding this one (the root: null); changes on rename; guarded by the JS thread */
  parent: TmpDir | null;
  /** removed (rmdir): nothing may be created in it; guarded by the JS thread */
  dead = false;

  /** Where this directory is now below root (a directory above it on the same mount): "/a/b", "" for root
   * itself; null if it, or a directory between, was removed (d_path's unlinked check). Renames since it was
   * walked to are followed: each directory knows its parent, and its name is its entry there. */
  pathBelow(root: TmpDir): string | null {
    let path = '';
    for (let d: TmpDir = this; d !== root; d = d.parent!) {
      if (d.dead || d.parent === null) return null;
      let name: string | null = null;
      for (const [n, e] of d.parent.entries) {
        if (e === d) {
          name = n;
          break;
        }
      }
      if (name === null) return null;
      path = `/${name}${path}`;
    }
    return path;
  }

  constructor(fs: TmpFs, perm: number, cred: FsCred, parent: TmpDir | null) {
    // a new directory's group: the parent's if it is setgid (and it stays setgid), else the creator's
    const sgid = parent !== null && (parent.imode & 0o2000) !== 0;
    super(fs, S_IFDIR | (perm & 0o7777) | (sgid ? 0o2000 : 0), cred.fsuid, sgid ? parent!.gid : cred.fsgid);
    this.parent = parent;
    this.nlink = 2;
  }
  get size(): number {
    // Linux tmpfs reports (entries + 2) * BOGO_DIRENT_SIZE
    return (this.entries.size + 2) * 20;
  }
  override lookup(name: string): Node | number {
    return this.entries.get(name) ?? -Errno.ENOENT;
  }
  override readdir(): DirEntry[] {
    const r: DirEntry[] = [];
    for (const [name, n] of this.entries) r.push({ ino: n.ino, type: dtype(n.imode), name });
    return r;
  }
  private newGid(cred: FsCred): number {
    return this.imode & 0o2000 ? this.gid : cred.fsgid;
  }
  /** Common checks before adding name; 0 or -errno. */
  private canAdd(name: string): number {
    if (this.dead) return -Errno.ENOENT;
    if (this.entries.has(name)) return -Errno.EEXIST;
    return 0;
  }
  private added(): void {
    this.mtimeNs = this.ctimeNs = nowNs();
  }
  override create(name: string, mode: number, cred: FsCred, flags: number, path: string): File | number {
    const e = this.canAdd(name);
    if (e < 0) return e;
    const f = new TmpReg(this.fs, mode, cred.fsuid, this.newGid(cred));
    this.entries.set(name, f);
    this.added();
    return f.open(flags, path);
  }
  override tmpfile(mode: number, cred: FsCred, flags: number, path: string): File | number {
    if (this.dead) return -Errno.ENOENT;
    const f = new TmpReg(this.fs, mode, cred.fsuid, this.newGid(cred));
    f.nlink = 0;
    f.linkable = !(flags & O_EXCL);
    return f.open(flags, path);
  }
  override mkdir(name: string, mode: number, cred: FsCred): number {
    const e = this.canAdd(name);
    if (e < 0) return e;
    this.entries.set(name, new TmpDir(this.fs, mode & 0o1777, cred, this));
    this.nlink++;
    this.added();
    return 0;
  }
  override mknod(name: string, mode: number, rdev: number, cred: FsCred): number {
    const e = this.canAdd(name);
    if (e < 0) return e;
    this.entries.set(name, new TmpSpecial(this.fs, mode, rdev, cred.fsuid, this.newGid(cred)));
    this.added();
    return 0;
  }
  override symlink(name: string, target: string, cred: FsCred): number {
    const e = this.canAdd(name);
    if (e < 0) return e;
    this.entries.set(name, new TmpLink(this.fs, target, cred.fsuid, this.newGid(cred)));
    this.added();
    return 0;
  }
  override link(name: string, target: Node): number {
    if (!(target instanceof TmpNode) || target.fs !== this.fs) return -Errno.EXDEV;
    if (target instanceof TmpDir) return -Errno.EPERM;
    const e = this.canAdd(name);
    if (e < 0) return e;
    // vfs_link: a file whose names are all gone stays nameless, but for an O_TMPFILE one's first link
    if (target.nlink === 0 && !target.linkable) return -Errno.ENOENT;
    target.linkable = false;
    this.entries.set(name, target);
    target.nlink++;
    target.ctimeNs = nowNs();
    this.added();
    return 0;
  }
  override unlink(name: string): number {
    const n = this.entries.get(name);
    if (!n) return -Errno.ENOENT;
    if (n instanceof TmpDir) return -Errno.EISDIR;
    this.entries.delete(name);
    this.dropLink(n);
    this.added();
    return 0;
  }
  override rmdir(name: string): number {
    const n = this.entries.get(name);
    if (!n) return -Errno.ENOENT;
    if (!(n instanceof TmpDir)) return -Errno.ENOTDIR;
    if (n.entries.size > 0) return -Errno.ENOTEMPTY;
    this.entries.delete(name);
    this.killDir(n);
    this.added();
    return 0;
  }
  private dropLink(n: TmpNode): void {
    n.nlink--;
    n.ctimeNs = nowNs();
    if (n instanceof TmpReg) n.maybeFree();
  }
  private killDir(d: TmpDir): void {
    d.dead = true;
    d.nlink = 0;
    this.nlink--;
  }
  /** Is this directory d or below it? */
  private within(d: TmpDir): boolean {
    for (let p: TmpDir | null = this; p; p = p.parent) if (p === d) return true;
    return false;
  }
  override rename(oldName: string, newDirNode: Node, newName: string, flags: number): number {
    if (!(newDirNode instanceof TmpDir) || newDirNode.fs !== this.fs) return -Errno.EXDEV;
    const nd = newDirNode;
    const src = this.entries.get(oldName);
    if (!src) return -Errno.ENOENT;
    if (nd.dead) return -Errno.ENOENT;
    const dst = nd.entries.get(newName);
    const now = nowNs();
    if (flags & RENAME_EXCHANGE) {
      if (!dst) return -Errno.ENOENT;
      if (src instanceof TmpDir && nd.within(src)) return -Errno.EINVAL;
      if (dst instanceof TmpDir && this.within(dst)) return -Errno.EINVAL;
      this.entries.set(oldName, dst);
      nd.entries.set(newName, src);
      if (src instanceof TmpDir || dst instanceof TmpDir) this.fs.dirRenames++;
      if (this !== nd) {
        if (src instanceof TmpDir) { src.parent = nd; nd.nlink++; this.nlink--; }
        if (dst instanceof TmpDir) { dst.parent = this; this.nlink++; nd.nlink--; }
      }
      src.ctimeNs = dst.ctimeNs = this.mtimeNs = this.ctimeNs = nd.mtimeNs = nd.ctimeNs = now;
      return 0;
    }
    if (dst && flags & RENAME_NOREPLACE) return -Errno.EEXIST;
    if (src === dst) return 0; // two links to one inode: POSIX says do nothing
    if (src instanceof TmpDir) {
      if (nd.within(src)) return -Errno.EINVAL;
      if (dst && !(dst instanceof TmpDir)) return -Errno.ENOTDIR;
      if (dst instanceof TmpDir && dst.entries.size > 0) return -Errno.ENOTEMPTY;
    } else if (dst instanceof TmpDir) {
      return -Errno.EISDIR;
    }
    if (dst) {
      if (dst instanceof TmpDir) nd.killDir(dst);
      else nd.dropLink(dst);
    }
    this.entries.delete(oldName);
    nd.entries.set(newName, src);
    if (src instanceof TmpDir) this.fs.dirRenames++;
    if (src instanceof TmpDir && this !== nd) {
      src.parent = nd;
      this.nlink--;
      nd.nlink++;
    }
    src.ctimeNs = this.mtimeNs = this.ctimeNs = nd.mtimeNs = nd.ctimeNs = now;
    return 0;
  }
}

/** A FIFO, socket or device node: only attributes here (a bound socket is found by its ino; see net/). */
class TmpSpecial extends TmpNode {
  /** immutable */
  readonly rdev: number;
  constructor(fs: TmpFs, mode: number, rdev: number, uid: number, gid: number) {
    super(fs, mode, uid, gid);
    this.rdev = rdev;
  }
  get size(): number {
    return 0;
  }
  override stat(): Stat {
    const st = super.stat();
    st.rdev = this.rdev;
    return st;
  }
}

class TmpLink extends TmpNode {
  /** target: immutable */
  constructor(fs: TmpFs, readonly target: string, uid: number, gid: number) {
    super(fs, S_IFLNK | 0o777, uid, gid);
  }
  get size(): number {
    return nameByteLength(this.target);
  }
  override readlink(): string {
    return this.target;
  }
}

/** memfd seals (F_ADD_SEALS, include/uapi/linux/fcntl.h) */
export const F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8, F_SEAL_FUTURE_WRITE = 0x10,
  F_SEAL_EXEC = 0x20;
const F_ALL_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC;

/** A regular file's inode: its bytes live in a ShmemStore (shmem.ts). */
export class TmpReg extends TmpNode {
  /** the bytes; immutable reference (the store's state is guarded by the JS thread) */
  readonly store: ShmemStore;
  /** open Files (and mappings, through them): the data outlives the last link while > 0; guarded by the JS thread */
  opens = 0;
  /**
   * memfd seals (F_SEAL_*). Every shmem inode starts sealed with F_SEAL_SEAL
   * (so no seal can be added) except memfd_create's with MFD_ALLOW_SEALING.
   * Guarded by the JS thread (F_ADD_SEALS through any open file).
   */
  seals = F_SEAL_SEAL;
  /** shared mappings that may be written (VM_SHARED with VM_MAYWRITE: i_mmap_writable), which F_SEAL_WRITE
   * refuses to be added over (EBUSY); guarded by the JS thread (mmap, munmap, fork, exit) */
  writeMaps = 0;
  /** the bytes' generation for mm's page cache (cacheKey): every change the kernel makes (write, resize, a hole,
   * fallocate) starts a new one, so a mapping made after it never finds frames of the bytes before; guarded by
   * the JS thread */
  gen = 0;
  /** a shared mapping that may be written has been made: the guest writes its pages where the kernel does not
   * see it, so private mappings copy the pages they fault (no page cache) from then on; guarded by the JS thread */
  sharedWritten = false;
  /** the address spaces that map it (i_mmap), told when it shrinks; it guards its own set */
  readonly rmap = new FileMappers();

  constructor(fs: TmpFs, perm: number, uid: number, gid: number, name = 'tmpfs') {
    super(fs, S_IFREG | (perm & 0o7777), uid, gid);
    this.store = new ShmemStore(fs, `${name}:${this.ino}`);
  }
  get size(): number {
    return this.store.size;
  }
  get blocks(): number {
    return this.store.onHost ? this.store.blocks : Math.ceil(this.store.size / 4096) * 8;
  }
  /** shmem_setattr's seal checks and the resize; 0 or -errno. */
  resize(n: number): number {
    if (n < 0) return -Errno.EINVAL;
    const cur = this.store.size;
    if ((n < cur && this.seals & F_SEAL_SHRINK) || (n > cur && this.seals & F_SEAL_GROW)) return -Errno.EPERM;
    const r = this.store.resize(n);
    if (r < 0) return r;
    this.gen++;
    this.ctimeNs = nowNs();
    if (n < cur) this.rmap.shrunk(n);
    return 0;
  }
  /** A hole in [off, off+len) (the bytes read as zeros, the size kept): 0 or -errno. Every mapping shows it: the
   * host's of the memfd at once, the copies through the mappers. */
  punch(off: number, len: number): number {
    if (this.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) return -Errno.EPERM;
    const r = this.store.punch(off, len);
    if (r < 0) return r;
    this.gen++;
    this.mtimeNs = this.ctimeNs = nowNs();
    this.rmap.punched(off, off + len);
    return 0;
  }
  /** shmem_fallocate's allocation (mode 0, or FALLOC_FL_KEEP_SIZE: room past the end kept out of the size):
   * 0 or -errno. */
  allocate(keepSize: boolean, off: number, len: number): number {
    // (F_SEAL_GROW refuses room past the end even kept out of the size)
    if (this.seals & F_SEAL_GROW && off + len > this.size) return -Errno.EPERM;
    const grows = !keepSize && off + len > this.size;
    const r = this.store.allocate(keepSize, off, len);
    if (r < 0) return r;
    this.gen++;
    if (grows) this.mtimeNs = this.ctimeNs = nowNs();
    return 0;
  }
  readAt(buf: Uint8Array, p: number): number {
    return this.store.read(buf, p);
  }
  writeAt(buf: Uint8Array, p: number): number {
    if (this.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) return -Errno.EPERM;
    if (this.seals & F_SEAL_GROW && p + buf.length > this.store.size) {
      // shmem_write_begin refuses, page by page, a chunk that would grow the
      // file: what precedes the first such chunk is written
      const firstEnd = Math.min(p + buf.length, (Math.floor(p / 4096) + 1) * 4096);
      if (firstEnd > this.store.size) return -Errno.EPERM;
      buf = buf.subarray(0, Math.floor(this.store.size / 4096) * 4096 - p);
    }
    const n = this.store.write(buf, p);
    if (n > 0) {
      this.mtimeNs = this.ctimeNs = nowNs();
      this.gen++;
      // (private mappings' pages that show the file take the new bytes, as Linux's page cache)
      if (!this.rmap.idle) this.rmap.written(p, p + n);
    }
    return n;
  }
  /** memfd_add_seals (mm/memfd.c), for a file open for writing: 0 or -errno. */
  addSeals(seals: number): number {
    if (seals & ~F_ALL_SEALS) return -Errno.EINVAL;
    if (this.seals & F_SEAL_SEAL) return -Errno.EPERM;
    if (seals & F_SEAL_WRITE && !(this.seals & F_SEAL_WRITE) && this.writeMaps > 0) return -Errno.EBUSY;
    // F_SEAL_EXEC on an executable file seals writes too (W^X from the start)
    if (seals & F_SEAL_EXEC && this.imode & 0o111) seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
    this.seals |= seals;
    return 0;
  }
  override setattr(a: SetAttr): number {
    // F_SEAL_EXEC: the execute bits stay as they are
    if (a.mode !== undefined && this.seals & F_SEAL_EXEC && ((a.mode ^ this.imode) & 0o111) !== 0) return -Errno.EPERM;
    return super.setattr(a);
  }
  /** Free the bytes once nothing names or holds the file. */
  maybeFree(): void {
    if (this.nlink === 0 && this.opens === 0) this.store.free();
  }
  override open(flags: number, path: string): File | number {
    if (flags & O_TRUNC && this.size > 0) {
      const r = this.resize(0);
      if (r < 0) return r;
      this.mtimeNs = this.ctimeNs;
    }
    return new TmpFile(this, flags, path);
  }
}

/** An open tmpfs regular file. */
export class TmpFile extends File {
  constructor(/** immutable */ readonly node: TmpReg, flags: number, path: string) {
    super(flags, path);
    node.opens++;
  }
  override read(buf: Uint8Array, pos: number | null): number {
    const p = pos ?? this.pos;
    const n = this.node.readAt(buf, p);
    if (n > 0 && pos === null) this.pos = p + n;
    return n;
  }
  override write(buf: Uint8Array, pos: number | null): number {
    // O_APPEND writes at the end even through pwrite (Linux's documented pwrite bug)
    const p = this.flags & O_APPEND ? this.node.size : pos ?? this.pos;
    const n = this.node.writeAt(buf, p);
    if (n > 0 && pos === null) this.pos = p + n;
    return n;
  }
  override seek(off: number, whence: number): number {
    if (whence === SEEK_DATA || whence === SEEK_HOLE) {
      // shmem_file_llseek: the store knows the holes
      const p = this.node.store.seekHole(off, whence);
      if (p >= 0) this.pos = p;
      return p;
    }
    return seekIn(this, off, whence, this.node.size);
  }
  override stat(): Stat {
    return this.node.stat();
  }
  override get unlinked(): boolean {
    return this.node.nlink === 0;
  }
  /** noop_fsync: in memory already */
  override fsync(): number {
    return 0;
  }
  override truncate(len: number): number {
    return this.node.setattr({ size: len });
  }
  /**
   * What mmap fills from or maps. A shared mapping moves the file's bytes to
   * a host memfd that the stub maps itself (shmem.ts), so every mapping and
   * read/write see the same pages; a shared mapping of a file sealed against
   * writes may not be made writable (writeSealed: the caller gives EPERM for
   * PROT_WRITE and no VM_MAYWRITE otherwise, as seal_check_write).
   */
  override mappable(shared = false): MappableRef | null {
    const node = this.node;
    // (a memfd the host will not give: the mapping is filled by copying, as before sharing was possible)
    if (shared) node.store.toHost();
    const file = this;
    return {
      hostMap: node.store.onHost ? node.store.hostMappable(`tmpfs:${node.fs.dev}:${node.ino}:${node.fs.serial}`) : undefined,
      fillHost(off: number, ptr: bigint, len: number): number {
        return node.store.fillHost(off, ptr, len);
      },
      size(): number {
        return node.size;
      },
      get(): void {
        file.get();
      },
      put(): void {
        file.put();
      },
      writers(delta: number): void {
        node.writeMaps += delta;
        if (delta > 0) node.sharedWritten = true;
      },
      // private mappings share the page cache's frames of the file's pages until a write copies one (and see
      // the kernel's changes of the file there), unless a shared mapping may write the pages behind its back
      cacheKey: node.sharedWritten || shared ? undefined : `t${node.fs.dev}:${node.fs.serial}:${node.ino}:${node.gen}`,
      writeSealed: (node.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) !== 0,
      rmap: node.rmap,
      mapName: this.path,
      mapDev: node.fs.dev,
      mapIno: node.ino,
    };
  }
  /** F_ADD_SEALS through this file: it must be open for writing (EPERM). */
  addSeals(seals: number): number {
    if (!this.writable) return -Errno.EPERM;
    return this.node.addSeals(seals);
  }
  /** fallocate(2) (shmem_fallocate): mode 0 and FALLOC_FL_KEEP_SIZE allocate the range (and mode 0 may grow
   * the file); FALLOC_FL_PUNCH_HOLE (with KEEP_SIZE: the syscall checked) frees it; nothing else. */
  allocate(mode: number, off: number, len: number): number {
    if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) return -Errno.EOPNOTSUPP;
    if (mode & FALLOC_FL_PUNCH_HOLE) return this.node.punch(off, len);
    return this.node.allocate((mode & FALLOC_FL_KEEP_SIZE) !== 0, off, len);
  }
  protected override release(): void {
    this.node.fs.locks?.releaseFile(this);
    this.node.opens--;
    this.node.maybeFree();
  }
}
