/**
 * struct inode and struct super_block as umlts keeps them, plus the helpers
 * every filesystem shares (permission checks, regular-file seeking, the
 * getdents64 record format, generated files).
 *
 * A Node is what the path walk (vfs.ts) moves through. Filesystems differ in
 * how long a Node lives: tmpfs nodes are the inodes themselves; hostfs and
 * procfs nodes are cheap handles made by each lookup (a host path and the
 * attributes read by that lookup). So the walk never caches Nodes across
 * syscalls except where Linux keeps a reference too (cwd, open files).
 *
 * Errors are -errno numbers (`Node | number`, `Stat | number`): the walk
 * meets ENOENT constantly (PATH and library searches) and a return value is
 * far cheaper than a thrown ErrnoError.
 *
 * This module is imported by every filesystem and by vfs.ts; it imports no
 * filesystem (so the module graph has no cycles).
 */
import { Errno } from '../abi/errno.js';
import { CLOCK_REALTIME_COARSE } from '../abi/time.js';
import * as host from '../host/libc.js';
import { File } from './file.js';
import {
  DirEntry, Mappable, Stat, S_IFMT, S_IFDIR, S_IFLNK, S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_ISUID, S_ISGID, S_IXGRP,
  DT_DIR, DT_LNK, DT_REG, DT_CHR, DT_BLK, DT_FIFO, DT_SOCK, DT_UNKNOWN,
} from './types.js';
import { encodeName, hasEscapes } from '../abi/names.js';
import { capRaised, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FSETID } from '../abi/capability.js';

/** Who is asking, for permission checks: struct cred's fs identity. kernel/creds.ts's Creds fits. */
export interface FsCred {
  readonly fsuid: number;
  readonly fsgid: number;
  readonly groups: readonly number[];
  /** the effective capabilities (abi/capability.ts CapSet): CAP_DAC_OVERRIDE, CAP_FOWNER... */
  readonly capEffective: number;
}

/** capable_wrt_inode_uidgid: the caller holds cap (one user namespace: every inode is mapped in it). */
export const fsCapable = (cred: FsCred, cap: number): boolean => capRaised(cred.capEffective, cap);

/** struct kstatfs (statfs(2)). */
export interface StatFs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  fsid: number;
  namelen: number;
  frsize: number;
  flags: number;
}
export const ST_RDONLY = 1, ST_NOSUID = 2, ST_NODEV = 4, ST_NOEXEC = 8, ST_RELATIME = 0x1000;
export const TMPFS_MAGIC = 0x01021994, PROC_SUPER_MAGIC = 0x9fa0, EXT4_SUPER_MAGIC = 0xef53;
/** include/uapi/linux/magic.h: the host's pseudo filesystems, whose files' mmaps are the host kernel's or a
 * device's memory (a ring buffer, a PCI BAR), never mapped into a guest (HostFile.mappable) */
export const SYSFS_MAGIC = 0x62656572, DEBUGFS_MAGIC = 0x64626720, TRACEFS_MAGIC = 0x74726163, SECURITYFS_MAGIC = 0x73636673,
  BPF_FS_MAGIC = 0xcafe4a11, CGROUP_SUPER_MAGIC = 0x27e0eb, CGROUP2_SUPER_MAGIC = 0x63677270, CONFIGFS_MAGIC = 0x62656570,
  PSTOREFS_MAGIC = 0x6165676c, EFIVARFS_MAGIC = 0xde5e81e4, SELINUX_MAGIC = 0xf97cff8c, HUGETLBFS_MAGIC = 0x958458f6;

/** setattr (chmod, chown, truncate, utimensat). Absent fields are left alone. */
export interface SetAttr {
  mode?: number; // permission bits only (07777)
  uid?: number; // -1 = unchanged, as chown(2)
  gid?: number;
  size?: number;
  atimeNs?: bigint; // or TIME_NOW
  mtimeNs?: bigint;
}
/**
 * A SetAttr time that says "now" (utimensat's UTIME_NOW, or no times):
 * the filesystem's own current time, as Linux's current_time(inode) — the
 * host's for a host file (its clock and granularity, as the times it sets
 * itself on a write), the kernel's for the others (fileTime). Below any time
 * a struct timespec can give.
 */
export const TIME_NOW = -(1n << 126n);
/** A SetAttr time as a filesystem of the kernel's keeps it: TIME_NOW is nowNs(). */
export function fileTime(v: bigint): bigint {
  return v === TIME_NOW ? nowNs() : v;
}

/** renameat2(2) flags */
export const RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;

/** A Mappable that holds its file open while mapped (mm's VmFile get/put: get_file/fput). */
export interface MappableRef extends Mappable {
  get(): void;
  put(): void;
}

/** struct super_block: one mounted filesystem instance. */
export abstract class FileSystem {
  /** fstype as /proc/mounts shows it; immutable */
  abstract readonly type: string;
  /** st_dev of every node (a makedev value); immutable */
  abstract readonly dev: number;
  /** immutable */
  abstract readonly root: Node;
  abstract statfs(node: Node): StatFs | number;
  /** sync_filesystem (sync(2), syncfs(2)): what was written reaches the filesystem's storage. Memory-backed ones
   * have nothing to do. */
  sync(): void {}
}

/**
 * struct inode (+ its operations). Directory operations take a name in this
 * directory; the VFS has already checked the name, the permissions, the
 * mount's read-only flag and the sticky bit, so a filesystem only does the
 * operation and reports its own errors (EEXIST, ENOTEMPTY, ENOSPC...).
 * Defaults are the answers for a node that cannot do the operation.
 */
export abstract class Node {
  /** immutable */
  abstract readonly fs: FileSystem;
  /**
   * Attributes as of the lookup that produced this node: the walk uses them
   * for the file type and the search permission. Always fresh for tmpfs;
   * a snapshot for hostfs (stat() re-reads).
   */
  abstract peek(): Stat;
  /** Current attributes (stat(2)). */
  abstract stat(): Stat | number;
  /** statx(2)'s attributes (mask: what the caller asked for): stat's, unless the filesystem keeps more (a birth
   * time, attributes) */
  statx(_mask: number): Stat | number {
    return this.stat();
  }
  get mode(): number {
    return this.peek().mode;
  }
  get isDir(): boolean {
    return (this.peek().mode & S_IFMT) === S_IFDIR;
  }
  get isLink(): boolean {
    return (this.peek().mode & S_IFMT) === S_IFLNK;
  }
  /**
   * The child called name (never '.' or '..': the VFS handles those).
   * through: the walk goes on past it (not its last component), so its
   * attributes need only be right for the walk (type, mode, owner: a
   * filesystem may answer from a cache whose times are stale).
   */
  lookup(_name: string, _through?: boolean): Node | number {
    return -Errno.ENOTDIR;
  }
  /** Symlink target; -EINVAL for a non-symlink. */
  readlink(): string | number {
    return -Errno.EINVAL;
  }
  /**
   * A magic link (/proc/<pid>/fd/N, Linux's nd_jump_link): following it gives
   * this open file rather than a path. null for ordinary symlinks.
   */
  magic(): File | null | number {
    return null;
  }
  /** Whether it is a magic link (procfs's exe, cwd, root and fd/N), even one umlts follows by its path. */
  get isMagicLink(): boolean {
    return false;
  }
  /** Directory listing without '.' and '..' (the VFS adds them). */
  readdir(): DirEntry[] | number {
    return -Errno.ENOTDIR;
  }
  /** Open a non-directory (the VFS opens directories itself). flags are the O_* open flags; cred: the opener's. */
  open(_flags: number, _path: string, _cred?: FsCred): File | number {
    return -Errno.ENXIO;
  }
  /** O_CREAT of a name that does not exist: create a regular file and open it (atomic_open). */
  create(_name: string, _mode: number, _cred: FsCred, _flags: number, _path: string): File | number {
    return this.dirOp();
  }
  /** O_TMPFILE in this directory: an unnamed regular file, opened (EOPNOTSUPP where the filesystem cannot). */
  tmpfile(_mode: number, _cred: FsCred, _flags: number, _path: string): File | number {
    return this.isDir ? -Errno.EOPNOTSUPP : -Errno.ENOTDIR;
  }
  mkdir(_name: string, _mode: number, _cred: FsCred): number {
    return this.dirOp();
  }
  /** A FIFO, socket or device node (mode holds S_IFMT); the VFS has vetted the type and privilege. */
  mknod(_name: string, _mode: number, _rdev: number, _cred: FsCred): number {
    return -Errno.EPERM;
  }
  symlink(_name: string, _target: string, _cred: FsCred): number {
    return this.dirOp();
  }
  /** A new name for target (same filesystem; the VFS checked EXDEV and that target is not a directory). */
  link(_name: string, _target: Node): number {
    return this.dirOp();
  }
  /** Remove a non-directory entry (-EISDIR for a directory). */
  unlink(_name: string): number {
    return this.dirOp();
  }
  /** Remove an empty directory entry (-ENOTDIR / -ENOTEMPTY). */
  rmdir(_name: string): number {
    return this.dirOp();
  }
  /** rename(2)/renameat2(2) within this filesystem; newDir is a directory Node of the same fs. */
  rename(_oldName: string, _newDir: Node, _newName: string, _flags: number): number {
    return this.dirOp();
  }
  /**
   * Extended attributes (inode_operations' xattr handlers). The syscall
   * layer checks names, namespaces and permissions first. A filesystem
   * without them (procfs, pipes) says EOPNOTSUPP and lists none.
   */
  getxattr(_name: string): Uint8Array | number {
    return -Errno.EOPNOTSUPP;
  }
  setxattr(_name: string, _value: Uint8Array, _flags: number): number {
    return -Errno.EOPNOTSUPP;
  }
  listxattr(): string[] | number {
    return [];
  }
  removexattr(_name: string): number {
    return -Errno.EOPNOTSUPP;
  }
  setattr(_a: SetAttr): number {
    return -Errno.EPERM;
  }
  /** What setattr answers whoever asks, before the VFS checks the caller (an anonymous inode's EOPNOTSUPP:
   * File.setattrRefused); 0 if it may take one. */
  get setattrRefused(): number {
    return 0;
  }
  protected dirOp(): number {
    return this.isDir ? -Errno.EPERM : -Errno.ENOTDIR;
  }
}

// ---- attributes and permissions ----------------------------------------------------------

export { makedev, major, minor } from '../abi/stat.js';

/** DT_* for a mode, as getdents64 reports it. */
export function dtype(mode: number): number {
  switch (mode & S_IFMT) {
    case S_IFDIR: return DT_DIR;
    case S_IFREG: return DT_REG;
    case S_IFLNK: return DT_LNK;
    case S_IFCHR: return DT_CHR;
    case S_IFBLK: return DT_BLK;
    case S_IFIFO: return DT_FIFO;
    case S_IFSOCK: return DT_SOCK;
    default: return DT_UNKNOWN;
  }
}

export const MAY_EXEC = 1, MAY_WRITE = 2, MAY_READ = 4;

/**
 * generic_permission (fs/namei.c): the owner, group or other bits; then the
 * capabilities that override them: on a directory CAP_DAC_READ_SEARCH for
 * reading and searching and CAP_DAC_OVERRIDE for anything; elsewhere
 * CAP_DAC_READ_SEARCH for a read, CAP_DAC_OVERRIDE for reads and writes and
 * for an exec of a file with an x bit. Returns 0 or -EACCES.
 */
export function permission(st: Stat, cred: FsCred, mask: number): number {
  let bits: number;
  if (st.uid === cred.fsuid) bits = st.mode >> 6;
  else if (st.gid === cred.fsgid || cred.groups.includes(st.gid)) bits = st.mode >> 3;
  else bits = st.mode;
  if ((bits & mask & 7) === (mask & 7)) return 0;
  if ((st.mode & S_IFMT) === S_IFDIR) {
    if (!(mask & MAY_WRITE) && fsCapable(cred, CAP_DAC_READ_SEARCH)) return 0;
    return fsCapable(cred, CAP_DAC_OVERRIDE) ? 0 : -Errno.EACCES;
  }
  if ((mask & 7) === MAY_READ && fsCapable(cred, CAP_DAC_READ_SEARCH)) return 0;
  if ((!(mask & MAY_EXEC) || st.mode & 0o111) && fsCapable(cred, CAP_DAC_OVERRIDE)) return 0;
  return -Errno.EACCES;
}

/** in_group_or_capable: the caller is in group gid or holds CAP_FSETID (who may keep or set S_ISGID for it). */
export function inGroupOrCapable(cred: FsCred, gid: number): boolean {
  return cred.fsgid === gid || cred.groups.includes(gid) || fsCapable(cred, CAP_FSETID);
}

/** mode_strip_sgid: a file (not a directory) created setgid and group-executable in a setgid directory (so in the
 * directory's group) keeps S_ISGID only for a member of that group or a holder of CAP_FSETID. */
export function stripSgid(cred: FsCred, dir: Stat, mode: number): number {
  if ((mode & (S_ISGID | S_IXGRP)) !== (S_ISGID | S_IXGRP) || (mode & S_IFMT) === S_IFDIR || !(dir.mode & S_ISGID)) return mode;
  return inGroupOrCapable(cred, dir.gid) ? mode : mode & ~S_ISGID;
}

/** should_remove_suid: the bits a write or truncate by cred clears from a file of mode st (S_ISUID always,
 * S_ISGID if group-executable; none for a holder of CAP_FSETID, nor for other than a regular file); 0: none. */
export function privsToKill(cred: FsCred, mode: number): number {
  if ((mode & S_IFMT) !== S_IFREG) return 0;
  const kill = (mode & S_ISUID) | (mode & S_ISGID && mode & S_IXGRP ? S_ISGID : 0);
  return kill !== 0 && !fsCapable(cred, CAP_FSETID) ? kill : 0;
}

/** nowNs's reading; guarded by the JS thread (nowNs alone) */
const nowTs = new BigInt64Array(2);
/**
 * Wall-clock ns now, for file times: the host's CLOCK_REALTIME_COARSE, as
 * current_time(inode) reads the coarse clock (the times the host gives its
 * own files have its granularity too, so the two kinds compare as on Linux).
 * (Was Date.now()'s ms with hrtime's sub-ms digits added: it went back by up
 * to a ms whenever those two wrapped at different instants.)
 */
export function nowNs(): bigint {
  if (host.clockGettime(CLOCK_REALTIME_COARSE, nowTs) < 0) return BigInt(Date.now()) * 1000000n;
  return nowTs[0]! * 1000000000n + nowTs[1]!;
}

/**
 * The attributes of an inode of a pseudo filesystem with no place in the
 * namespace (pipefs: an unnamed pipe's; sockfs: a socket's), which fchmod,
 * fchown, futimens and chmod through /proc/<pid>/fd change as simple_setattr
 * does. Guarded by the JS thread (any holder's syscall).
 */
export class PseudoInodeAttrs {
  constructor(
    /** permission bits (07777) */
    public perm: number,
    public uid: number,
    public gid: number,
    public atimeNs: bigint,
    public mtimeNs: bigint,
    public ctimeNs: bigint,
  ) {}
  /** simple_setattr (the VFS has checked the caller); a size is no pipe's or socket's (EINVAL) */
  setattr(a: SetAttr): number {
    if (a.size !== undefined) return -Errno.EINVAL;
    if (a.mode !== undefined) this.perm = a.mode & 0o7777;
    setOwnerAndTimes(this, a);
    return 0;
  }
}

/** simple_setattr's owner and times (a -1 id, an undefined time: unchanged); ctime is now. */
export function setOwnerAndTimes(
  o: { uid: number; gid: number; atimeNs: bigint; mtimeNs: bigint; ctimeNs: bigint }, a: SetAttr,
): void {
  if (a.uid !== undefined && a.uid !== -1) o.uid = a.uid;
  if (a.gid !== undefined && a.gid !== -1) o.gid = a.gid;
  if (a.atimeNs !== undefined) o.atimeNs = fileTime(a.atimeNs);
  if (a.mtimeNs !== undefined) o.mtimeNs = fileTime(a.mtimeNs);
  o.ctimeNs = nowNs();
}

export function emptyStat(): Stat {
  return {
    dev: 0, ino: 0, mode: 0, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0,
    atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n,
  };
}

// ---- regular files --------------------------------------------------------------------------

export const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;
/** Largest file offset (MAX_LFS_FILESIZE), kept within exact doubles. */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

/** generic_file_llseek for a file of the given size (no holes: SEEK_DATA/SEEK_HOLE as if dense). */
export function seekIn(file: File, off: number, whence: number, size: number): number {
  let p: number;
  switch (whence) {
    case SEEK_SET: p = off; break;
    case SEEK_CUR: p = file.pos + off; break;
    case SEEK_END: p = size + off; break;
    case SEEK_DATA:
      if (off < 0 || off >= size) return -Errno.ENXIO;
      p = off;
      break;
    case SEEK_HOLE:
      if (off < 0 || off >= size) return -Errno.ENXIO;
      p = size;
      break;
    default:
      return -Errno.EINVAL;
  }
  if (p < 0 || p > MAX_OFFSET) return -Errno.EINVAL;
  file.pos = p;
  return p;
}

/**
 * A file whose content is produced whole at open (procfs's generated files,
 * seq_file in Linux): read and seek like a regular file, writes refused.
 */
export class BufferFile extends File {
  constructor(
    flags: number,
    path: string,
    /** the content; immutable */
    private readonly data: Uint8Array,
    /** attributes for fstat; immutable */
    private readonly st: Stat,
  ) {
    super(flags, path);
  }
  override read(buf: Uint8Array, pos: number | null): number {
    const p = pos ?? this.pos;
    if (p >= this.data.length) return 0;
    const n = Math.min(buf.length, this.data.length - p);
    buf.set(this.data.subarray(p, p + n));
    if (pos === null) this.pos = p + n;
    return n;
  }
  override write(_buf: Uint8Array, _pos: number | null): number {
    return -Errno.EIO;
  }
  override seek(off: number, whence: number): number {
    return seekIn(this, off, whence, this.data.length);
  }
  override stat(): Stat {
    return { ...this.st };
  }
}

// ---- getdents64, getdents -----------------------------------------------------------------

/** stateless encoder, shared; immutable */
const utf8 = new TextEncoder();

/**
 * Encode entries[start..] as struct linux_dirent64 records
 * {u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]} (8-byte
 * aligned) into buf; or, `old`, as getdents's struct linux_dirent
 * {unsigned long d_ino; unsigned long d_off; u16 d_reclen; char d_name[]},
 * whose d_type is the record's last byte. d_off is the index of the next
 * entry, which is what the directory's file position holds. Returns the
 * bytes used and the index of the first entry not written (bytes 0 if not
 * even one fits).
 */
export function encodeDirents(entries: readonly DirEntry[], start: number, buf: Uint8Array, old = false): { bytes: number; next: number } {
  // (the name starts after d_type, or after d_reclen; the old record adds d_type after the name's NUL)
  const nameAt = old ? 18 : 19, extra = old ? 2 : 1;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  let i = start;
  for (; i < entries.length; i++) {
    const e = entries[i]!;
    const escaped = hasEscapes(e.name);
    const nameLen = escaped ? encodeName(e.name).length : Buffer.byteLength(e.name, 'utf8');
    const reclen = (nameAt + nameLen + extra + 7) & ~7;
    if (off + reclen > buf.length) break;
    dv.setBigUint64(off, BigInt(e.ino), true);
    dv.setBigInt64(off + 8, BigInt(i + 1), true);
    dv.setUint16(off + 16, reclen, true);
    if (escaped) buf.set(encodeName(e.name), off + nameAt);
    else utf8.encodeInto(e.name, buf.subarray(off + nameAt, off + nameAt + nameLen));
    buf.fill(0, off + nameAt + nameLen, off + reclen);
    dv.setUint8(old ? off + reclen - 1 : off + 18, e.type);
    off += reclen;
  }
  return { bytes: off, next: i };
}

/** A node whose attributes the kernel made and keeps (procfs, sysfs, devfs, devpts): peek and stat show them. */
export abstract class FixedNode extends Node {
  protected abstract readonly st: Stat;
  peek(): Stat {
    return this.st;
  }
  stat(): Stat {
    return { ...this.st };
  }
}
