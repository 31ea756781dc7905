/**
 * sysfs, as much as the guest must see of it from umlts rather than from
 * the host: /sys/devices/system/cpu (drivers/base/cpu.c,
 * drivers/base/topology.c), which follows the vCPUs (--cpus). glibc's
 * get_nprocs reads its `online`, get_nprocs_conf counts its cpuN
 * directories, and lscpu, nproc --all and Python's os.cpu_count believe
 * them. The rest of /sys is the host's, through the root hostfs.
 *
 * The tree is made once, at mount: the vCPUs never change while a kernel
 * runs, each one is online, and all of them are the cores of one socket
 * with one thread each.
 *
 * Ownership: immutable after construction (nodes and their contents); the
 * Files are BufferFiles with only their position to change.
 */
import { readFileSync } from 'node:fs';
import { Errno } from '../abi/errno.js';
import { File } from './file.js';
import { DirEntry, Stat, S_IFDIR, S_IFREG } from './types.js';
import { BufferFile, FileSystem, Node, StatFs, dtype, nowNs, FixedNode } from './node.js';

/** SYSFS_MAGIC (statfs f_type) */
export const SYSFS_MAGIC = 0x62656572;
/**
 * NR_CPUS of the kernel umlts plays: the host's (its kernel_max + 1), so
 * that sched_getaffinity's cpumask_size() and kernel_max read as on the
 * host (a kernel without CPUMASK_OFFSTACK); at least the vCPUs. A
 * distribution's 8192 when the host does not say.
 */
function nrCpus(ncpus: number): number {
  let n = 8192;
  try {
    const v = Number(readFileSync('/sys/devices/system/cpu/kernel_max', 'latin1').trim());
    if (Number.isInteger(v) && v >= 0) n = v + 1;
  } catch {
    // no host sysfs: the default
  }
  return Math.max(n, ncpus);
}

/** stateless encoder, shared; immutable */
const enc = new TextEncoder();

export class SysCpuFs extends FileSystem {
  /** type, dev, root and the mount time: immutable */
  readonly type = 'sysfs';
  readonly root: SysDir;
  readonly bootNs = nowNs();
  /** next inode number while the tree is built; written only by the constructor */
  private nextIno = 1;
  /** NR_CPUS (see nrCpus); immutable */
  readonly nrCpus: number;

  constructor(
    /** st_dev; immutable */
    readonly dev: number,
    /** the vCPUs; immutable */
    readonly ncpus: number,
  ) {
    super();
    this.nrCpus = nrCpus(ncpus);
    const n = ncpus;
    const all = cpuList(0, n - 1);
    this.root = this.dir(0o755, {
      online: this.file(0o444, all),
      possible: this.file(0o444, all),
      present: this.file(0o444, all),
      offline: this.file(0o444, '\n'),
      isolated: this.file(0o444, '\n'),
      kernel_max: this.file(0o444, `${this.nrCpus - 1}\n`),
      ...Object.fromEntries(Array.from({ length: n }, (_v, i) => [`cpu${i}`, this.cpuDir(i, n)])),
    });
  }

  /** cpu<i>: online (writable by root on Linux; here fixed; cpu0, which x86 cannot take offline, has none) and its topology. */
  private cpuDir(i: number, n: number): SysDir {
    const self = cpuList(i, i), pkg = cpuList(0, n - 1);
    return this.dir(0o755, {
      ...(i > 0 ? { online: this.file(0o644, '1\n') } : {}),
      topology: this.dir(0o755, {
        physical_package_id: this.file(0o444, '0\n'),
        die_id: this.file(0o444, '0\n'),
        cluster_id: this.file(0o444, `${i}\n`),
        core_id: this.file(0o444, `${i}\n`),
        core_cpus: this.file(0o444, cpuMask(i, i, n)),
        core_cpus_list: this.file(0o444, self),
        thread_siblings: this.file(0o444, cpuMask(i, i, n)),
        thread_siblings_list: this.file(0o444, self),
        cluster_cpus: this.file(0o444, cpuMask(i, i, n)),
        cluster_cpus_list: this.file(0o444, self),
        core_siblings: this.file(0o444, cpuMask(0, n - 1, n)),
        core_siblings_list: this.file(0o444, pkg),
        die_cpus: this.file(0o444, cpuMask(0, n - 1, n)),
        die_cpus_list: this.file(0o444, pkg),
        package_cpus: this.file(0o444, cpuMask(0, n - 1, n)),
        package_cpus_list: this.file(0o444, pkg),
      }),
    });
  }

  private dir(perm: number, entries: Record<string, Node>): SysDir {
    return new SysDir(this, this.nextIno++, perm, new Map(Object.entries(entries)));
  }
  private file(perm: number, text: string): SysFile {
    return new SysFile(this, this.nextIno++, perm, text);
  }

  statfs(): StatFs {
    return {
      type: SYSFS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: 0,
      namelen: 255, frsize: 4096, flags: 0,
    };
  }
  attrs(ino: number, mode: number, size: number): Stat {
    return {
      dev: this.dev, ino, mode, nlink: (mode & S_IFDIR) === S_IFDIR ? 2 : 1, uid: 0, gid: 0, rdev: 0, size,
      blksize: 4096, blocks: 0, atimeNs: this.bootNs, mtimeNs: this.bootNs, ctimeNs: this.bootNs,
    };
  }
}

/** cpulist format (lib/vsprintf.c %*pbl): "0-3\n", "2\n". */
function cpuList(lo: number, hi: number): string {
  return lo === hi ? `${lo}\n` : `${lo}-${hi}\n`;
}

/** cpumask format (%*pb): hex words of 32 bits, most significant first, comma-separated, for n CPUs. */
function cpuMask(lo: number, hi: number, n: number): string {
  const words: string[] = [];
  for (let w = Math.ceil(n / 32) - 1; w >= 0; w--) {
    let v = 0;
    for (let b = 0; b < 32; b++) {
      const c = w * 32 + b;
      if (c >= lo && c <= hi) v |= 1 << b;
    }
    const digits = w === Math.ceil(n / 32) - 1 ? Math.ceil((n - w * 32) / 4) : 8;
    words.push((v >>> 0).toString(16).padStart(digits, '0'));
  }
  return words.join(',') + '\n';
}

class SysDir extends FixedNode {
  protected readonly st: Stat;
  constructor(readonly fs: SysCpuFs, ino: number, perm: number, private readonly entries: ReadonlyMap<string, Node>) {
    super();
    this.st = fs.attrs(ino, S_IFDIR | perm, 0);
  }
  override lookup(name: string): Node | number {
    return this.entries.get(name) ?? -Errno.ENOENT;
  }
  override readdir(): DirEntry[] {
    return [...this.entries].map(([name, n]) => ({ ino: n.peek().ino, type: dtype(n.mode), name }));
  }
  // sysfs directories are the kernel's: nothing may be made in them
  protected override dirOp(): number {
    return -Errno.EPERM;
  }
}

/** A sysfs attribute: sysfs reports every attribute's size as 4096 (a page), whatever it holds. */
class SysFile extends FixedNode {
  protected readonly st: Stat;
  /** the text's bytes, encoded at the first open (a boot builds ~20 files per vCPU that most runs never read);
   * guarded by the JS thread */
  private data: Uint8Array | null = null;
  constructor(readonly fs: SysCpuFs, ino: number, perm: number, private readonly text: string) {
    super();
    this.st = fs.attrs(ino, S_IFREG | perm, 4096);
  }
  override open(flags: number, path: string): File | number {
    // the attributes that are writable on Linux (cpuN/online) take no writes here
    if ((flags & 3) !== 0) return -Errno.EACCES;
    this.data ??= enc.encode(this.text);
    return new KernfsFile(flags, path, this.data, this.st);
  }
}

/** An open sysfs attribute: kernfs_file_fops has noop_fsync, where procfs's files have no fsync. */
class KernfsFile extends BufferFile {
  override fsync(): number {
    return 0;
  }
}
