/**
 * Types shared by the VFS, the filesystems and the syscall layer. Nothing here
 * knows about tasks or guest memory: file operations take and return JS
 * buffers, and report "would block" as -EAGAIN plus a wait queue to sleep on.
 */
import { WaitQueue } from './waitqueue.js';

/** struct stat as the kernel keeps it (times in ns since the epoch). */
export interface Stat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export const S_IFMT = 0o170000, S_IFSOCK = 0o140000, S_IFLNK = 0o120000, S_IFREG = 0o100000,
  S_IFBLK = 0o060000, S_IFDIR = 0o040000, S_IFCHR = 0o020000, S_IFIFO = 0o010000;

export const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_ACCMODE = 3, O_CREAT = 0o100, O_EXCL = 0o200,
  O_NOCTTY = 0o400, O_TRUNC = 0o1000, O_APPEND = 0o2000, O_NONBLOCK = 0o4000, O_DSYNC = 0o10000,
  O_ASYNC = 0o20000, O_DIRECT = 0o40000, O_LARGEFILE = 0o100000, O_DIRECTORY = 0o200000,
  O_NOFOLLOW = 0o400000, O_NOATIME = 0o1000000, O_CLOEXEC = 0o2000000, O_SYNC = 0o4010000,
  O_PATH = 0o10000000, O_TMPFILE = 0o20200000;

/** One directory entry, as getdents64 reports it. */
export interface DirEntry {
  ino: number;
  type: number; // DT_*
  name: string;
}
export const DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10, DT_SOCK = 12;

/** What a file can fill a private mapping from (mm's VmFile, structurally). */
export interface Mappable {
  /** Read up to len bytes at off into host memory at ptr; returns bytes read or -errno. */
  fillHost(off: number, ptr: bigint, len: number): number;
  /** For /proc/<pid>/maps. */
  readonly mapName: string;
  readonly mapDev: number;
  readonly mapIno: number;
  /** identity of the file's content (dev, ino, mtime, size...) for mm's page cache; absent: not cached */
  readonly cacheKey?: string;
  /** a host file the stub may map itself, straight from the host's page cache (absent: pages are copied) */
  readonly hostMap?: HostMappable;
}

/** A host file that a guest's host process can open and map (mm's HostMappable, structurally). */
export interface HostMappable {
  /** the host file's identity (device and inode): one open per file in a stub */
  readonly id: string;
  /** Run fn with a kernel descriptor of the file held open (the stub opens its /proc/<pid>/fd/<n>). */
  withFd(fn: (fd: number) => void): void;
  /** Write data at off within the file's current size (the kernel writing
   * into a shared mapping); bytes written, or -errno. Never extends the file. */
  writeAt(off: number, data: Uint8Array): number;
}

export { WaitQueue };
