/** File types and directory entry types (include/uapi/linux/stat.h, dirent.h), and struct stat. */
export const S_IFMT = 0o170000, S_IFSOCK = 0o140000, S_IFLNK = 0o120000, S_IFREG = 0o100000,
  S_IFBLK = 0o060000, S_IFDIR = 0o040000, S_IFCHR = 0o020000, S_IFIFO = 0o010000;
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

