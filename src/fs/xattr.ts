/**
 * In-memory extended attributes (fs/xattr.c: simple_xattrs), for tmpfs
 * inodes and for what hostfs cannot or must not put on the host file.
 * The syscall layer has checked the name, the namespace and the caller's
 * permission; this is only the store, with XATTR_CREATE/XATTR_REPLACE.
 *
 * Ownership: one per inode, touched on the JS thread by the syscalls of
 * whoever reaches the inode.
 */
import { Errno } from '../abi/errno.js';
import { XATTR_CREATE, XATTR_REPLACE } from '../abi/xattr.js';

/** bytes of names and values one inode may hold (tmpfs charges xattrs to its inode space: ENOSPC past it) */
const MAX_BYTES = 128 * 1024;

export class SimpleXattrs {
  /** name → value, in the order set (listxattr's order) */
  private readonly map = new Map<string, Uint8Array>();
  /** bytes of names and values held */
  private bytes = 0;

  get(name: string): Uint8Array | number {
    return this.map.get(name) ?? -Errno.ENODATA;
  }

  /** simple_xattr_set: EEXIST for XATTR_CREATE of an existing name, ENODATA for XATTR_REPLACE of a missing one. */
  set(name: string, value: Uint8Array, flags: number): number {
    const old = this.map.get(name);
    if (old && flags & XATTR_CREATE) return -Errno.EEXIST;
    if (!old && flags & XATTR_REPLACE) return -Errno.ENODATA;
    const grow = value.length - (old ? old.length : -name.length);
    if (this.bytes + grow > MAX_BYTES) return -Errno.ENOSPC;
    this.bytes += grow;
    this.map.set(name, value.slice());
    return 0;
  }

  remove(name: string): number {
    const old = this.map.get(name);
    if (!old) return -Errno.ENODATA;
    this.bytes -= name.length + old.length;
    this.map.delete(name);
    return 0;
  }

  list(): string[] {
    return [...this.map.keys()];
  }
}
