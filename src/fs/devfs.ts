/**
 * devfs: the guest's /dev. A fixed directory of character devices (the
 * drivers/char/mem.c ones, random, the terminal) and the /proc/self/fd
 * symlinks; /dev/shm is a tmpfs mounted on it by the VFS.
 *
 * Ownership: the device table and every node are immutable after
 * construction (the pts entries come from the Vfs at each call); the Files
 * hold no state but their position (guarded by the JS thread, as any File's).
 *
 * /dev/pts is devpts (tty/devpts.ts), mounted by the VFS; /dev/ptmx opens
 * a pty master there. Device nodes made elsewhere open these devices by
 * number (openDevice).
 *
 * Missing: /dev/console.
 */
import { Errno } from '../abi/errno.js';
import * as host from '../host/libc.js';
import { File, UserMemory } from './file.js';
import { IOCTL_VM_SOCKETS_GET_LOCAL_CID, VSOCK_GUEST_CID } from '../abi/socket.js';
import { DirEntry, Stat, S_IFCHR, S_IFDIR, S_IFLNK } from './types.js';
import { FileSystem, Node, FsCred, MappableRef, StatFs, TMPFS_MAGIC, dtype, makedev, nowNs, FixedNode } from './node.js';
import { nameByteLength } from '../abi/names.js';
import { SHMEM_ATTRIBUTES_MASK } from '../abi/stat.js';

/** A character device: its number and how to open it. */
interface CharDev {
  readonly major: number;
  readonly minor: number;
  readonly perm: number;
  readonly gid: number;
  open(flags: number, path: string, st: Stat, cred?: FsCred): File | number;
}

/** The base of the mem.c devices: no seeking position (lseek answers 0, as null_lseek). */
abstract class MemDevFile extends File {
  constructor(flags: number, path: string, private readonly st: Stat) {
    super(flags, path);
  }
  override seek(): number {
    this.pos = 0;
    return 0;
  }
  override stat(): Stat {
    return { ...this.st };
  }
}

/**
 * /dev/null. The syscall layer recognizes it (instanceof) and completes a
 * write without copying the guest's buffer: Linux's write_null does not
 * touch the data either, and this is what makes /dev/null fast.
 */
export class NullFile extends MemDevFile {
  override read(): number {
    return 0;
  }
  override write(buf: Uint8Array): number {
    return buf.length;
  }
}

/** /dev/vsock: answers only IOCTL_VM_SOCKETS_GET_LOCAL_CID (the guest's CID; the sockets are net/vsock.ts's). */
class VsockDevFile extends MemDevFile {
  override ioctl(req: number, arg: number, mem: UserMemory): number {
    if (req !== IOCTL_VM_SOCKETS_GET_LOCAL_CID) return -Errno.ENOTTY;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, VSOCK_GUEST_CID, true);
    mem.write(arg, b);
    return 0;
  }
}

/** /dev/zero: reads zeros, swallows writes; a private mapping of it is anonymous memory. */
export class ZeroFile extends MemDevFile {
  override get sharedMapsAnon(): boolean {
    return true;
  }
  override read(buf: Uint8Array): number {
    buf.fill(0);
    return buf.length;
  }
  override write(buf: Uint8Array): number {
    return buf.length;
  }
  override mappable(): MappableRef {
    const self = this;
    return {
      fillHost(_off: number, ptr: bigint, len: number): number {
        new Uint8Array(host.view(ptr, len)).fill(0);
        return len;
      },
      get(): void {
        self.get();
      },
      put(): void {
        self.put();
      },
      mapName: '/dev/zero (deleted)',
      mapDev: 0,
      mapIno: 0,
    };
  }
}

/** /dev/full: reads zeros, every write fails with ENOSPC. */
class FullFile extends MemDevFile {
  override read(buf: Uint8Array): number {
    buf.fill(0);
    return buf.length;
  }
  override write(buf: Uint8Array): number {
    return buf.length === 0 ? 0 : -Errno.ENOSPC;
  }
}

/**
 * The host's CSPRNG (Linux's get_random_bytes): /dev/urandom, getrandom(2),
 * AT_RANDOM. Through the host's getrandom, not node:crypto, whose loading
 * was a twentieth of a start.
 */
export function getRandomBytes(buf: Uint8Array): void {
  host.getrandom(buf);
}

/** /dev/random, /dev/urandom: the host CSPRNG; writes are accepted (Linux mixes them into the pool). */
class RandomFile extends MemDevFile {
  override read(buf: Uint8Array): number {
    getRandomBytes(buf);
    return buf.length;
  }
  override write(buf: Uint8Array): number {
    return buf.length;
  }
}

export class DevFs extends FileSystem {
  /** type and root: immutable */
  readonly type = 'devtmpfs';
  readonly root: DevDir;
  /** the character devices by device number (makedev), for device nodes elsewhere (openDevice); immutable */
  private readonly chrdevs = new Map<number, CharDev>();
  /** mount time, the times of every node; immutable */
  readonly bootNs = nowNs();

  constructor(
    /** st_dev; immutable */
    readonly dev: number,
    /** opens /dev/tty (the controlling terminal, or -ENXIO without one); st: /dev/tty's attributes */
    openTty: (flags: number, st: Stat) => File | number,
    /** opens /dev/ptmx (a new pty master in devpts) */
    openPtmx: (flags: number, path: string, st: Stat, cred?: FsCred) => File | number,
  ) {
    super();
    const mem = (minor: number, F: new (flags: number, path: string, st: Stat) => File): CharDev => ({
      major: 1, minor, perm: 0o666, gid: 0, open: (flags, path, st) => new F(flags, path, st),
    });
    const devices: Array<[string, CharDev | string]> = [
      ['null', mem(3, NullFile)],
      ['zero', mem(5, ZeroFile)],
      ['full', mem(7, FullFile)],
      ['random', mem(8, RandomFile)],
      ['urandom', mem(9, RandomFile)],
      ['vsock', { major: 10, minor: 121, perm: 0o666, gid: 0, open: (flags, path, st) => new VsockDevFile(flags, path, st) }],
      ['tty', { major: 5, minor: 0, perm: 0o666, gid: 5, open: (flags, _path, st) => openTty(flags, st) }],
      ['ptmx', { major: 5, minor: 2, perm: 0o666, gid: 5, open: openPtmx }],
      ['stdin', '/proc/self/fd/0'],
      ['stdout', '/proc/self/fd/1'],
      ['stderr', '/proc/self/fd/2'],
      ['fd', '/proc/self/fd'],
    ];
    this.root = new DevDir(this, devices);
    for (const [, d] of devices) if (typeof d !== 'string') this.chrdevs.set(makedev(d.major, d.minor), d);
  }

  /**
   * Open a device node found outside /dev (a guest's mknod on tmpfs, a
   * host node in a hostfs directory) by its type and number: one of
   * umlts's character devices, or ENXIO as Linux's chrdev_open and
   * blkdev_open say for a device no driver has (umlts has no block
   * devices). st: the node's attributes, which fstat shows.
   */
  openDevice(blk: boolean, rdev: number, flags: number, path: string, st: Stat): File | number {
    const d = blk ? undefined : this.chrdevs.get(rdev);
    return d ? d.open(flags, path, st) : -Errno.ENXIO;
  }
  statfs(): StatFs {
    return {
      type: TMPFS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 1024, ffree: 1000, fsid: 0,
      namelen: 255, frsize: 4096, flags: 0,
    };
  }
  /** Attributes of a devfs node. */
  attrs(ino: number, mode: number, rdev: number, gid: number, size: number): Stat {
    return {
      dev: this.dev, ino, mode, nlink: 1, uid: 0, gid, rdev, size, blksize: 4096, blocks: 0,
      atimeNs: this.bootNs, mtimeNs: this.bootNs, ctimeNs: this.bootNs,
      // devtmpfs is shmem: statx's birth time and attributes as tmpfs's
      btimeNs: this.bootNs, attributesMask: SHMEM_ATTRIBUTES_MASK,
    };
  }
}

class DevDir extends FixedNode {
  private readonly entries = new Map<string, Node>();
  protected readonly st: Stat;
  constructor(readonly fs: DevFs, devices: Array<[string, CharDev | string]>) {
    super();
    this.st = fs.attrs(1, S_IFDIR | 0o755, 0, 0, 0);
    this.st.nlink = 2;
    let ino = 2;
    for (const [name, d] of devices) {
      this.entries.set(name, typeof d === 'string' ? new DevLink(fs, ino++, d) : new DevChar(fs, ino++, d));
    }
  }
  override lookup(name: string): Node | number {
    return this.entries.get(name) ?? -Errno.ENOENT;
  }
  override readdir(): DirEntry[] {
    const r: DirEntry[] = [];
    for (const [name, n] of this.entries) r.push({ ino: n.peek().ino, type: dtype(n.mode), name });
    return r;
  }
  // creating in /dev needs root and mknod, which umlts does not have
  protected override dirOp(): number {
    return -Errno.EACCES;
  }
}

class DevChar extends FixedNode {
  protected readonly st: Stat;
  constructor(readonly fs: DevFs, ino: number, private readonly dev: CharDev) {
    super();
    this.st = fs.attrs(ino, S_IFCHR | dev.perm, makedev(dev.major, dev.minor), dev.gid, 0);
  }
  override open(flags: number, path: string, cred?: FsCred): File | number {
    return this.dev.open(flags, path, this.st, cred);
  }
}

class DevLink extends FixedNode {
  protected readonly st: Stat;
  constructor(readonly fs: DevFs, ino: number, private readonly target: string) {
    super();
    this.st = fs.attrs(ino, S_IFLNK | 0o777, 0, 0, nameByteLength(target));
  }
  override readlink(): string {
    return this.target;
  }
}
