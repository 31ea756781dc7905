/**
 * procfs: /proc, generated from the kernel's state through ProcProvider
 * (fs cannot import the kernel). Files are produced whole when opened and
 * then read like regular files (seq_file); their st_size is 0, as Linux's.
 * /proc/<pid>/fd/N are magic links: following one gives the open file
 * itself, not its path (Linux's proc_fd_link / nd_jump_link).
 *
 * Ownership: ProcFs is immutable after construction; everything it shows
 * comes from the provider at the moment of the call.
 *
 * Missing: /proc/<pid>/stat, status, environ, task/, /proc/stat, uptime,
 * loadavg, /proc/sys. Files are owned by root, not by the process's euid.
 */
import { readFileSync } from 'node:fs';
import { Errno } from '../kernel/errno.js';
import { File } from './file.js';
import { DirEntry, Stat, S_IFDIR, S_IFLNK, S_IFREG, DT_DIR, DT_LNK, DT_REG } from './types.js';
import { BufferFile, FileSystem, Node, StatFs, PROC_SUPER_MAGIC, nowNs } from './node.js';

/**
 * What /proc shows, implemented by the kernel. Each per-process method
 * returns null when there is no such process (→ ENOENT). Called on the JS
 * thread during a syscall, so currentPid() is the caller's.
 */
export interface ProcProvider {
  /** tgid of the task whose syscall is running (/proc/self) */
  currentPid(): number;
  /** every live (and zombie) tgid, ascending */
  pids(): number[];
  /** /proc/<pid>/exe target: the executable's guest path */
  exe(pid: number): string | null;
  /** /proc/<pid>/cwd target */
  cwd(pid: number): string | null;
  /** the fd table of the process's leader (the Files behind /proc/<pid>/fd) */
  fds(pid: number): Map<number, File> | null;
  /** argv as NUL-terminated strings back to back */
  cmdline(pid: number): Uint8Array | null;
  /** the thread name (without newline) */
  comm(pid: number): string | null;
  /** /proc/<pid>/maps text */
  maps(pid: number): string | null;
  /** CPUs the guest sees */
  ncpus(): number;
  meminfo(): { totalKiB: number; freeKiB: number };
}

const enc = new TextEncoder();

export class ProcFs extends FileSystem {
  readonly type = 'proc';
  readonly root: ProcRoot;
  /** mount time: the times of every node; immutable */
  readonly bootNs = nowNs();
  /** the host's first /proc/cpuinfo block, the template for each guest CPU; immutable */
  private readonly cpuTemplate: string;

  constructor(
    /** st_dev; immutable */
    readonly dev: number,
    readonly provider: ProcProvider,
    /** /proc/mounts text */
    readonly mountsText: () => string,
  ) {
    super();
    let tmpl = 'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: umlts virtual CPU\n';
    try {
      tmpl = readFileSync('/proc/cpuinfo', 'latin1').split('\n\n')[0]! + '\n';
    } catch {
      // no host /proc: the minimal template above
    }
    this.cpuTemplate = tmpl;
    this.root = new ProcRoot(this);
  }
  statfs(): StatFs {
    return {
      type: PROC_SUPER_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: 0,
      namelen: 255, frsize: 4096, flags: 0,
    };
  }
  attrs(ino: number, mode: number, nlink = 1): Stat {
    return {
      dev: this.dev, ino, mode, nlink, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 1024, blocks: 0,
      atimeNs: this.bootNs, mtimeNs: this.bootNs, ctimeNs: this.bootNs,
    };
  }
  cpuinfo(): string {
    const n = this.provider.ncpus();
    let out = '';
    for (let i = 0; i < n; i++) {
      out += this.cpuTemplate
        .replace(/^processor\s*:.*$/m, `processor\t: ${i}`)
        .replace(/^siblings\s*:.*$/m, `siblings\t: ${n}`)
        .replace(/^core id\s*:.*$/m, `core id\t\t: ${i}`)
        .replace(/^cpu cores\s*:.*$/m, `cpu cores\t: ${n}`)
        .replace(/^apicid\s*:.*$/m, `apicid\t\t: ${i}`)
        .replace(/^initial apicid\s*:.*$/m, `initial apicid\t: ${i}`);
      out += '\n';
    }
    return out;
  }
  meminfo(): string {
    const m = this.provider.meminfo();
    const line = (k: string, v: number): string => `${(k + ':').padEnd(16)}${String(v).padStart(8)} kB\n`;
    return line('MemTotal', m.totalKiB) + line('MemFree', m.freeKiB) + line('MemAvailable', m.freeKiB) +
      line('Buffers', 0) + line('Cached', 0) + line('SwapCached', 0) + line('SwapTotal', 0) + line('SwapFree', 0) +
      line('Shmem', 0);
  }
}

/** Inode numbers: fixed ones for the root's files, pid * 64 + k above them for per-process nodes. */
const INO_ROOT = 1, INO_SELF = 2, INO_CPUINFO = 3, INO_MEMINFO = 4, INO_MOUNTS = 5, INO_FILESYSTEMS = 6;
const pidIno = (pid: number, k: number): number => 4096 + pid * 64 + k;
const fdIno = (pid: number, fd: number): number => 0x40000000 + pid * 65536 + fd;

/** A generated file. */
class GenNode extends Node {
  private readonly st: Stat;
  constructor(readonly fs: ProcFs, ino: number, private readonly gen: () => Uint8Array | string | null) {
    super();
    this.st = fs.attrs(ino, S_IFREG | 0o444);
  }
  peek(): Stat {
    return this.st;
  }
  stat(): Stat {
    return { ...this.st };
  }
  override open(flags: number, path: string): File | number {
    if ((flags & 3) !== 0) return -Errno.EACCES;
    const c = this.gen();
    if (c === null) return -Errno.ENOENT;
    return new BufferFile(flags, path, typeof c === 'string' ? enc.encode(c) : c, this.st);
  }
}

class LinkNode extends Node {
  private readonly st: Stat;
  constructor(
    readonly fs: ProcFs,
    ino: number,
    private readonly target: () => string | null,
    private readonly file: (() => File | null) | null = null,
    perm = 0o777,
  ) {
    super();
    this.st = fs.attrs(ino, S_IFLNK | perm);
    if (file) this.st.size = 64; // what Linux shows for fd links
  }
  peek(): Stat {
    return this.st;
  }
  stat(): Stat {
    return { ...this.st };
  }
  override readlink(): string | number {
    return this.target() ?? -Errno.ENOENT;
  }
  override magic(): File | null | number {
    if (!this.file) return null;
    return this.file() ?? -Errno.ENOENT;
  }
}

/** A directory whose entries are computed per call. */
abstract class DirNode extends Node {
  protected readonly st: Stat;
  constructor(readonly fs: ProcFs, ino: number, perm: number) {
    super();
    this.st = fs.attrs(ino, S_IFDIR | perm, 2);
  }
  peek(): Stat {
    return this.st;
  }
  stat(): Stat {
    return { ...this.st };
  }
  protected override dirOp(): number {
    return -Errno.EACCES;
  }
}

class ProcRoot extends DirNode {
  private readonly fixed: Map<string, Node>;
  constructor(fs: ProcFs) {
    super(fs, INO_ROOT, 0o555);
    const p = fs.provider;
    this.fixed = new Map<string, Node>([
      ['self', new LinkNode(fs, INO_SELF, () => String(p.currentPid()))],
      ['cpuinfo', new GenNode(fs, INO_CPUINFO, () => fs.cpuinfo())],
      ['meminfo', new GenNode(fs, INO_MEMINFO, () => fs.meminfo())],
      ['mounts', new LinkNode(fs, INO_MOUNTS, () => 'self/mounts')],
      ['filesystems', new GenNode(fs, INO_FILESYSTEMS, () => 'nodev\ttmpfs\nnodev\tdevtmpfs\nnodev\tproc\nnodev\thostfs\n')],
    ]);
  }
  override lookup(name: string): Node | number {
    const f = this.fixed.get(name);
    if (f) return f;
    if (/^[1-9][0-9]{0,9}$/.test(name)) {
      const pid = Number(name);
      if (this.fs.provider.comm(pid) !== null) return new PidDir(this.fs, pid);
    }
    return -Errno.ENOENT;
  }
  override readdir(): DirEntry[] {
    const r: DirEntry[] = [];
    for (const [name, n] of this.fixed) r.push({ ino: n.peek().ino, type: n.isLink ? DT_LNK : DT_REG, name });
    for (const pid of this.fs.provider.pids()) r.push({ ino: pidIno(pid, 0), type: DT_DIR, name: String(pid) });
    return r;
  }
}

class PidDir extends DirNode {
  private readonly entries: Map<string, Node>;
  constructor(fs: ProcFs, readonly pid: number) {
    super(fs, pidIno(pid, 0), 0o555);
    const p = fs.provider;
    this.entries = new Map<string, Node>([
      ['exe', new LinkNode(fs, pidIno(pid, 1), () => p.exe(pid))],
      ['cwd', new LinkNode(fs, pidIno(pid, 2), () => p.cwd(pid))],
      ['root', new LinkNode(fs, pidIno(pid, 3), () => '/')],
      ['fd', new FdDir(fs, pid)],
      ['cmdline', new GenNode(fs, pidIno(pid, 5), () => p.cmdline(pid))],
      ['comm', new GenNode(fs, pidIno(pid, 6), () => {
        const c = p.comm(pid);
        return c === null ? null : c + '\n';
      })],
      ['maps', new GenNode(fs, pidIno(pid, 7), () => p.maps(pid))],
      ['mounts', new GenNode(fs, pidIno(pid, 8), () => fs.mountsText())],
    ]);
  }
  override lookup(name: string): Node | number {
    return this.entries.get(name) ?? -Errno.ENOENT;
  }
  override readdir(): DirEntry[] {
    const r: DirEntry[] = [];
    for (const [name, n] of this.entries) r.push({ ino: n.peek().ino, type: n.isDir ? DT_DIR : n.isLink ? DT_LNK : DT_REG, name });
    return r;
  }
}

class FdDir extends DirNode {
  constructor(fs: ProcFs, readonly pid: number) {
    super(fs, pidIno(pid, 4), 0o500);
  }
  override lookup(name: string): Node | number {
    if (!/^(0|[1-9][0-9]{0,9})$/.test(name)) return -Errno.ENOENT;
    const fd = Number(name);
    const f = this.fs.provider.fds(this.pid)?.get(fd);
    if (!f) return -Errno.ENOENT;
    const pid = this.pid, p = this.fs.provider;
    const file = (): File | null => p.fds(pid)?.get(fd) ?? null;
    // the link's mode shows the access mode: lr-x, l-wx or lrwx (proc_fd_link's inode)
    const perm = (f.readable ? 0o500 : 0o100) | (f.writable ? 0o200 : 0);
    return new LinkNode(this.fs, fdIno(pid, fd), () => file()?.path ?? null, file, perm);
  }
  override readdir(): DirEntry[] | number {
    const fds = this.fs.provider.fds(this.pid);
    if (!fds) return -Errno.ENOENT;
    return [...fds.keys()].sort((a, b) => a - b).map((fd) => ({ ino: fdIno(this.pid, fd), type: DT_LNK, name: String(fd) }));
  }
}
