/**
 * i_writecount (include/linux/fs.h: get_write_access, deny_write_access):
 * for each regular file's inode, how many open files may write it (> 0),
 * or how many address spaces run it as their program (< 0: exec's
 * deny_write_access, held as long as mm->exe_file names it). The two
 * exclude each other: opening a running program for writing, or
 * truncating it by path, is ETXTBSY, and so is executing a file that is
 * open for writing.
 *
 * Inodes are told apart by (st_dev, st_ino) as the guest sees them, and by
 * whether the host holds them (hostfs: the host's device numbers, which
 * may equal those umlts gives its own filesystems): a host directory's
 * file is the same inode through every path and mount.
 * Only what this kernel's guests do counts: a host process writing a file
 * a guest runs does not meet ETXTBSY (nor the guest's exec, a host writer).
 *
 * Ownership: one per Vfs; guarded by the JS thread (open, close,
 * truncate, exec, fork and an address space's end).
 */
import { Errno } from '../abi/errno.js';
import type { Stat } from '../abi/stat.js';

/** The key of st's inode; host: a hostfs inode. */
export function inodeKey(st: Stat, host: boolean): string {
  return `${host ? 'h' : 'k'}${st.dev}:${st.ino}`;
}

/** What an exec's hold keeps open: its program's File (mm->exe_file pins the inode, whose number no other file
 * may take while it runs) */
export interface Pinned {
  get(): void;
  put(): void;
}

export class WriteCounts {
  /** the count of each inode not at 0 (absent: 0); guarded by the JS thread */
  private readonly counts = new Map<string, number>();

  /** get_write_access: one more writer, or -ETXTBSY while the inode runs as a program. */
  get(key: string): number {
    const n = this.counts.get(key) ?? 0;
    if (n < 0) return -Errno.ETXTBSY;
    this.counts.set(key, n + 1);
    return 0;
  }
  /** put_write_access */
  put(key: string): void {
    this.add(key, -1);
  }
  /** Would get() fail (a program runs from this inode)? */
  busy(key: string): boolean {
    return (this.counts.get(key) ?? 0) < 0;
  }
  /** deny_write_access: the inode runs as a program, held (its File too, pinned) until the denial's release;
   * -ETXTBSY while a file open for writing holds it. */
  deny(key: string, pinned: Pinned): ExeDenial | number {
    const n = this.counts.get(key) ?? 0;
    if (n > 0) return -Errno.ETXTBSY;
    this.counts.set(key, n - 1);
    pinned.get();
    return new ExeDenial(this, key, pinned);
  }
  /** allow_write_access (ExeDenial.release) */
  allow(key: string): void {
    this.add(key, 1);
  }
  private add(key: string, d: number): void {
    const n = (this.counts.get(key) ?? 0) + d;
    if (n === 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }
}

/**
 * One address space's (or one exec under way's) hold on its program's
 * inode: while it lasts, nothing opens that inode for writing. Released
 * once (a second release does nothing); dup() is fork's hold for the
 * child's copy (dup_mm_exe_file).
 */
export class ExeDenial {
  /** guarded by the JS thread */
  private released = false;
  constructor(private readonly counts: WriteCounts, readonly key: string, private readonly pinned: Pinned) {}
  release(): void {
    if (this.released) return;
    this.released = true;
    this.counts.allow(this.key);
    this.pinned.put();
  }
  /** (null for a hold already released: nothing to share) */
  dup(): ExeDenial | null {
    if (this.released) return null;
    // (the inode is denied already: no writer can hold it)
    const d = this.counts.deny(this.key, this.pinned);
    return typeof d === 'number' ? null : d;
  }
}
