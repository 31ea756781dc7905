/** File types and directory entry types (include/uapi/linux/stat.h, dirent.h), and struct stat. */
import { nsToTimespec } from './time.js';
export const S_IFMT = 0o170000, S_IFSOCK = 0o140000, S_IFLNK = 0o120000, S_IFREG = 0o100000,
  S_IFBLK = 0o060000, S_IFDIR = 0o040000, S_IFCHR = 0o020000, S_IFIFO = 0o010000;
/** set-user-ID, set-group-ID, the sticky bit; group execute (what makes S_ISGID a real setgid) */
export const S_ISUID = 0o4000, S_ISGID = 0o2000, S_ISVTX = 0o1000, S_IXGRP = 0o010;
export const DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10, DT_SOCK = 12;

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
  /** statx's: the birth time where the filesystem keeps one; STATX_ATTR_* the file has, and those the
   * filesystem can tell (the VFS adds its own to both: encodeStatx) */
  btimeNs?: bigint;
  attributes?: number;
  attributesMask?: number;
}

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

/** dev_t in glibc's encoding (gnu_dev_makedev), which is also what struct stat carries. */
export function makedev(major: number, minor: number): number {
  // major: bits 8..19 and 32..43; minor: bits 0..7 and 20..31 (kept below 2^53)
  return ((major & 0xfff) << 8) + (minor & 0xff) + ((minor & ~0xff) >>> 0) * 0x1000 + Math.floor(major / 0x1000) * 0x100000000000;
}
export function major(dev: number): number {
  return (((dev >>> 8) & 0xfff) | (Math.floor(dev / 0x100000000) & ~0xfff)) >>> 0;
}
export function minor(dev: number): number {
  // dev bits 20..43 are minor bits 8..31 (ToInt32 keeps exactly those after the division)
  return ((dev & 0xff) | (Math.floor(dev / 0x1000) & ~0xff)) >>> 0;
}

/** sizeof(struct stat) and sizeof(struct statx) on x86-64 */
export const STAT_SIZE = 144, STATX_SIZE = 256;
/** statx's request and answer bits, and attributes (include/uapi/linux/stat.h) */
export const STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800, STATX_MNT_ID = 0x1000, STATX__RESERVED = 0x80000000;
export const STATX_ATTR_AUTOMOUNT = 0x1000, STATX_ATTR_MOUNT_ROOT = 0x2000, STATX_ATTR_DAX = 0x200000;
/** the attributes shmem (tmpfs) can tell: APPEND, IMMUTABLE, NODUMP */
export const SHMEM_ATTRIBUTES_MASK = 0x70;
export const AT_STATX_FORCE_SYNC = 0x2000, AT_STATX_DONT_SYNC = 0x4000;

/** A u64 field below 2^53 as two u32 halves (no BigInt). */
export function putU64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, v >>> 0, true);
  dv.setUint32(off + 4, Math.floor(v / 0x100000000) >>> 0, true);
}
/** ns since the epoch as { tv_sec, tv_nsec } at off, tv_nsec as `width` bytes (8: timespec, 4: statx_timestamp) */
function putTime(dv: DataView, off: number, ns: bigint, width: 4 | 8): void {
  const ts = nsToTimespec(ns);
  dv.setBigInt64(off, ts.sec, true);
  if (width === 8) dv.setBigInt64(off + 8, ts.nsec, true);
  else dv.setUint32(off + 8, Number(ts.nsec), true);
}

/** struct stat (x86-64) at dv[0]. */
export function encodeStat(dv: DataView, st: Stat): void {
  putU64(dv, 0, st.dev);
  putU64(dv, 8, st.ino);
  putU64(dv, 16, st.nlink);
  dv.setUint32(24, st.mode, true);
  dv.setUint32(28, st.uid, true);
  dv.setUint32(32, st.gid, true);
  putU64(dv, 40, st.rdev);
  putU64(dv, 48, st.size);
  putU64(dv, 56, st.blksize);
  putU64(dv, 64, st.blocks);
  putTime(dv, 72, st.atimeNs, 8);
  putTime(dv, 88, st.mtimeNs, 8);
  putTime(dv, 104, st.ctimeNs, 8);
}

/** A host struct statx (x86-64, 256 bytes) as a Stat: the basic fields, the birth time if the host gave one,
 * and the attributes. */
export function parseStatx(b: Uint8Array): Stat {
  const dv = new DataView(b.buffer, b.byteOffset, STATX_SIZE);
  const u64 = (o: number): number => dv.getUint32(o + 4, true) * 0x100000000 + dv.getUint32(o, true);
  const ts = (o: number): bigint => dv.getBigInt64(o, true) * 1000000000n + BigInt(dv.getUint32(o + 8, true));
  const dev = (o: number): number => makedev(dv.getUint32(o, true), dv.getUint32(o + 4, true));
  const st: Stat = {
    dev: dev(136), ino: u64(32), mode: dv.getUint16(28, true), nlink: dv.getUint32(16, true), uid: dv.getUint32(20, true),
    gid: dv.getUint32(24, true), rdev: dev(128), size: u64(40), blksize: dv.getUint32(4, true), blocks: u64(48),
    atimeNs: ts(64), mtimeNs: ts(112), ctimeNs: ts(96), attributes: u64(8), attributesMask: u64(56),
  };
  if (dv.getUint32(0, true) & STATX_BTIME) st.btimeNs = ts(80);
  return st;
}

/**
 * struct statx at dv[0] (vfs_statx, cp_statx): the basic fields, the birth
 * time where the Stat has one and the caller asked for it (`asked`: ext4
 * and shmem look it up only then), the mount's id, and the attributes with the
 * VFS's own (MOUNT_ROOT by `mountRoot`, whatever the filesystem said of it;
 * AUTOMOUNT and DAX in the mask, as vfs_getattr_nosec adds them).
 */
export function encodeStatx(dv: DataView, st: Stat, asked: number, mntId: number, mountRoot: boolean): void {
  const btime = st.btimeNs !== undefined && (asked & STATX_BTIME) !== 0;
  dv.setUint32(0, STATX_BASIC_STATS | STATX_MNT_ID | (btime ? STATX_BTIME : 0), true);
  dv.setUint32(4, st.blksize, true);
  putU64(dv, 8, ((st.attributes ?? 0) & ~STATX_ATTR_MOUNT_ROOT) + (mountRoot ? STATX_ATTR_MOUNT_ROOT : 0));
  dv.setUint32(16, st.nlink, true);
  dv.setUint32(20, st.uid, true);
  dv.setUint32(24, st.gid, true);
  dv.setUint16(28, st.mode, true);
  putU64(dv, 32, st.ino);
  putU64(dv, 40, st.size);
  putU64(dv, 48, st.blocks);
  const mask = st.attributesMask ?? 0;
  putU64(dv, 56, mask + (STATX_ATTR_AUTOMOUNT | STATX_ATTR_MOUNT_ROOT | STATX_ATTR_DAX) - (mask & (STATX_ATTR_AUTOMOUNT | STATX_ATTR_MOUNT_ROOT | STATX_ATTR_DAX)));
  // struct statx_timestamp { __s64 tv_sec; __u32 tv_nsec; __s32 __reserved; }: atime, btime, ctime, mtime
  putTime(dv, 64, st.atimeNs, 4);
  if (btime) putTime(dv, 80, st.btimeNs!, 4);
  putTime(dv, 96, st.ctimeNs, 4);
  putTime(dv, 112, st.mtimeNs, 4);
  dv.setUint32(128, major(st.rdev), true);
  dv.setUint32(132, minor(st.rdev), true);
  dv.setUint32(136, major(st.dev), true);
  dv.setUint32(140, minor(st.dev), true);
  putU64(dv, 144, mntId);
}
