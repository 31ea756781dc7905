/**
 * memfd_secret(2)'s file (mm/secretmem.c): memory only its process's
 * mappings reach. Its pages are a shmem file's, as a memfd's; what differs
 * is what the file lets through: no read or write (EINVAL), no position
 * (pread, pwrite and lseek are ESPIPE), no fallocate, a size set once
 * (secretmem_setattr), shared mappings only (EINVAL for a private one),
 * no fsync (secretmem_fops has none: fsync, fdatasync and msync's MS_SYNC
 * are EINVAL).
 * Its mappings are locked (VM_LOCKED, within RLIMIT_MEMLOCK: the syscall
 * layer's mmap). Linux also takes the pages out of its own direct map;
 * umlts need not: the kernel's own view of guest memory is physmem, which
 * no guest reaches.
 */
import { Errno } from '../abi/errno.js';
import type { MappableRef } from './node.js';
import { Stat, S_IFREG } from './types.js';
import { TmpFile } from './tmpfs.js';

export class SecretMemFile extends TmpFile {
  override read(): number {
    return -Errno.EINVAL;
  }
  override write(): number {
    return -Errno.EINVAL;
  }
  override seek(): number {
    return -Errno.ESPIPE;
  }
  override get canPread(): boolean {
    return false;
  }
  /** secretmem's inode: S_IFREG, owner read-write only, one link */
  override stat(): Stat {
    const st = super.stat();
    return { ...st, mode: S_IFREG | 0o600, nlink: 1 };
  }
  /** secretmem_setattr: the size is set once */
  override truncate(len: number): number {
    return this.node.size !== 0 ? -Errno.EINVAL : super.truncate(len);
  }
  override fsync(): number {
    return -Errno.EINVAL;
  }
  override allocate(): number {
    return -Errno.EOPNOTSUPP;
  }
  /** secretmem_mmap: VM_SHARED only, and locked */
  override mappable(shared = false): MappableRef | null {
    const m = shared ? super.mappable(true) : null;
    return m && { ...m, locked: true };
  }
  override get mmapErrno(): number {
    return -Errno.EINVAL;
  }
}
