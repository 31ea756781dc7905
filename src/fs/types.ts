/**
 * Types shared by the VFS, the filesystems and the syscall layer. Nothing here
 * knows about tasks or guest memory: file operations take and return JS
 * buffers, and report "would block" as -EAGAIN plus a wait queue to sleep on.
 */
import { WaitQueue } from './waitqueue.js';
import { PAGE_SIZE } from '../abi/mman.js';

export type { Stat } from '../abi/stat.js';

export { S_IFMT, S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO, S_ISUID, S_ISGID, S_IXGRP } from '../abi/stat.js';

export { O_RDONLY, O_WRONLY, O_RDWR, O_ACCMODE, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_DSYNC, O_ASYNC, O_DIRECT, O_LARGEFILE, O_DIRECTORY, O_NOFOLLOW, O_NOATIME, O_CLOEXEC, O_SYNC, O_PATH, O_TMPFILE } from '../abi/fcntl.js';

/** One directory entry, as getdents64 reports it. */
export interface DirEntry {
  ino: number;
  type: number; // DT_*
  name: string;
}
export { DT_UNKNOWN, DT_FIFO, DT_CHR, DT_DIR, DT_BLK, DT_REG, DT_LNK, DT_SOCK } from '../abi/stat.js';

/** What a file can fill a private mapping from (mm's VmFile, structurally). */
export interface Mappable {
  /** Read up to len bytes at off into host memory at ptr; returns bytes read or -errno. */
  fillHost(off: number, ptr: bigint, len: number): number;
  /** The file's size now: a private mapping's page wholly past it is SIGBUS (filemap_fault's i_size check);
   * absent: pages are filled whatever their offset (a device's memory) */
  size?(): number;
  /** For /proc/<pid>/maps. */
  readonly mapName: string;
  readonly mapDev: number;
  readonly mapIno: number;
  /** identity of the file's content (dev, ino, mtime, size...) for mm's page cache; absent: not cached */
  readonly cacheKey?: string;
  /** a host file the stub may map itself, straight from the host's page cache (absent: pages are copied) */
  readonly hostMap?: HostMappable;
  /** the pages cannot be mapped executable (a host noexec mount's file, shared): PROT_EXEC is EPERM */
  readonly noExec?: boolean;
  /** memfd write seals: a shared mapping of it may not be writable (seal_check_write) */
  readonly writeSealed?: boolean;
  /** its mappings are locked, within RLIMIT_MEMLOCK (memfd_secret's: secretmem_mmap sets VM_LOCKED) */
  readonly locked?: boolean;
  /** Count a shared mapping that may be written (+1 as a VMA takes the file, -1 as it lets go): what
   * F_SEAL_WRITE refuses to be added over (EBUSY). */
  writers?(delta: number): void;
  /** the address spaces that map the file, told when it shrinks (absent: a device's memory, a pseudo file) */
  readonly rmap?: FileMappers;
}

/** An address space mapping a file (mm's FileMapper, structurally). */
export interface FileMapper {
  fileChanged(mappers: FileMappers, start: number, end: number, privateOnly?: boolean): void;
  fileChangeDone(mappers: FileMappers, start: number, end: number): void;
}
/**
 * The address spaces that map one file (address_space->i_mmap): told when
 * it shrinks, so that their pages past the new end go (truncate_pagecache).
 * Owned by the file's node (tmpfs) or the kernel's registry of host inodes
 * (hostfs: HandleCache.rmaps); guarded by the JS thread (an address space
 * adds itself as it maps the file, and removes itself as its image ends).
 */
export class FileMappers {
  private readonly users = new Set<FileMapper>();
  /** a private mapping of the file has been made, by any address space (sticky: written() has work only then);
   * guarded by the JS thread (mm's insert sets it) */
  privateMapped = false;
  /** onEmpty: called when the last address space lets go (a filesystem that keeps one per host inode forgets it) */
  constructor(private readonly onEmpty: (() => void) | null = null) {}
  add(m: FileMapper): void {
    this.users.add(m);
  }
  remove(m: FileMapper): void {
    if (this.users.delete(m) && this.users.size === 0) this.onEmpty?.();
  }
  /** nothing maps the file (a mapping of it was never made, or all have gone) */
  get idle(): boolean {
    return this.users.size === 0;
  }
  /** The file's bytes from `size` on are gone (truncate_pagecache): it shrank to `size`, or a range from there
   * collapsed or was inserted (every page after it moved). */
  shrunk(size: number): void {
    this.changed(size, Infinity);
  }
  /** Bytes [start, end) of the file read as zeros now: a hole punched, a range zeroed (truncate_pagecache_range). */
  punched(start: number, end: number): void {
    this.changed(start, end);
  }
  /** Bytes [start, end) were written (write(2), copy_file_range): the pages of private mappings that show the
   * file there (its page cache's, which Linux maps until a process writes its own copy) show the new bytes: they go,
   * and the next access reads them again. Shared mappings of a host file are the host's own. */
  written(start: number, end: number): void {
    if (end > start && this.privateMapped && this.users.size > 0) this.changed(Math.floor(start / PAGE_SIZE) * PAGE_SIZE, Math.ceil(end / PAGE_SIZE) * PAGE_SIZE, true);
  }
  /** Every mapper's pages first, then the caches they share (a mapper tells its pages from the cache's). */
  private changed(start: number, end: number, privateOnly = false): void {
    const users = [...this.users];
    for (const m of users) m.fileChanged(this, start, end, privateOnly);
    for (const m of users) m.fileChangeDone(this, start, end);
  }
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
