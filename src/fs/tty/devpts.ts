/**
 * devpts (fs/devpts/inode.c), mounted at /dev/pts, and /dev/ptmx.
 *
 * Opening /dev/ptmx (or /dev/pts/ptmx) makes a pty pair (pty.ts) with the
 * lowest free index N and a node /dev/pts/N: a character device 136:N
 * owned by the opener's fsuid and the tty group, mode 0620 — the
 * `gid=5,mode=620` a distribution mounts devpts with (the group is the
 * guest's "tty" group as /etc/group names it; without one, the opener's
 * fsgid). The node goes when the master closes; the index is reused once
 * both sides are closed.
 *
 * The directory also lists the host pseudo-terminals umlts's console is on
 * (so that ttyname(3) of the console finds /dev/pts/N, with the host's
 * attributes); guest indices skip those names.
 *
 * Ownership: the table of pairs and every node are guarded by the JS
 * thread (ptmx opens, the pairs' last closes, lookups).
 */
import { Errno } from '../../abi/errno.js';
import type { File } from '../file.js';
import { DirEntry, Stat, S_IFCHR, S_IFDIR } from '../types.js';
import { FileSystem, Node, FsCred, SetAttr, StatFs, dtype, makedev, nowNs, fileTime, FixedNode } from '../node.js';
import { PtyPair, PtyFile, PtyOwner, UNIX98_PTY_SLAVE_MAJOR } from './pty.js';
import type { HostWatch, TtyJobs, TtyStruct } from './tty.js';

export const DEVPTS_SUPER_MAGIC = 0x1cd1;
/** /dev/ptmx: TTYAUX_MAJOR, 2 */
export const PTMX_MAJOR = 5, PTMX_MINOR = 2;
/** the mount's mode= option (DEVPTS_DEFAULT_MODE is 0600; distributions mount with 620) */
const PTS_MODE = 0o620;
/** NR_UNIX98_PTY_DEFAULT: /proc/sys/kernel/pty/max */
const PTY_MAX = 4096;
const O_NOCTTY = 0o400;

/**
 * The host pseudo-terminals the console uses, shown in /dev/pts
 * (implemented by the VFS).
 */
export interface PtsProvider {
  /** the N of each /dev/pts/N the console uses */
  names(): string[];
  /** the host's attributes of /dev/pts/N */
  stat(name: string): Stat | number;
  open(name: string, flags: number): File | number;
}

/** What devpts needs from the VFS and the kernel. */
export interface DevptsDeps {
  pts: PtsProvider;
  /** job control for the ptys (null: none) */
  jobs: TtyJobs | null;
  /** host readiness for the VTIME timers */
  watcher: HostWatch | null;
  /** the guest's tty group id (from its /etc/group), or null if it has none; asked at each new pty */
  ttyGid(): number | null;
}

/** Attributes of /dev/pts/N: set when the pty is made, changed by chmod/chown. Owned by its pair's entry. */
interface PtsEntry {
  readonly pair: PtyPair;
  readonly st: Stat;
}

export class DevPtsFs extends FileSystem implements PtyOwner {
  readonly type = 'devpts';
  readonly root: PtsRoot;
  /** index -> live pair (its node may be gone: the master closed, a slave is still open) */
  private readonly pairs = new Map<number, PtsEntry>();
  /** index -> /dev/pts/N for the pairs whose master is open */
  private readonly visible = new Set<number>();
  /** ptmx's node in /dev/pts (mode 0: ptmxmode=000); immutable */
  readonly ptmx: PtmxNode;
  /** mount time; immutable */
  readonly bootNs = nowNs();

  constructor(
    /** st_dev; immutable */
    readonly dev: number,
    /** immutable */
    private readonly deps: DevptsDeps,
  ) {
    super();
    this.root = new PtsRoot(this, deps.pts);
    this.ptmx = new PtmxNode(this, this.attrs(2, S_IFCHR | 0, makedev(PTMX_MAJOR, PTMX_MINOR), 0, 0));
  }

  statfs(): StatFs {
    return {
      type: DEVPTS_SUPER_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: 0,
      namelen: 255, frsize: 4096, flags: 0x1000 | 8 | 2, // ST_RELATIME | ST_NOEXEC | ST_NOSUID
    };
  }

  attrs(ino: number, mode: number, rdev: number, uid: number, gid: number): Stat {
    const t = ino <= 2 ? this.bootNs : nowNs();
    return { dev: this.dev, ino, mode, nlink: 1, uid, gid, rdev, size: 0, blksize: 1024, blocks: 0, atimeNs: t, mtimeNs: t, ctimeNs: t };
  }

  /**
   * ptmx_open: a new pair with the lowest free index, its slave locked, and
   * /dev/pts/N. st: the attributes the master's fstat shows (the ptmx node opened).
   */
  openPtmx(flags: number, path: string, cred: FsCred | undefined, st: Stat): File | number {
    const taken = new Set(this.deps.pts.names());
    let index = 0;
    while (this.pairs.has(index) || taken.has(String(index))) index++;
    if (index >= PTY_MAX) return -Errno.ENOSPC;
    const pair = new PtyPair(index, this, this.deps.jobs, this.deps.watcher);
    const gid = this.deps.ttyGid() ?? cred?.fsgid ?? 0;
    const node = this.attrs(index + 3, S_IFCHR | PTS_MODE, makedev(UNIX98_PTY_SLAVE_MAJOR, index), cred?.fsuid ?? 0, gid);
    this.pairs.set(index, { pair, st: node });
    this.visible.add(index);
    const snapshot = { ...st };
    return new PtyFile(flags, path, pair.master, () => ({ ...snapshot }));
  }

  /** TIOCGPTPEER (ptm_open_peer): the slave of master's pair, opened with flags, as if by its path. */
  openPeer(master: PtyFile, flags: number): File | number {
    if (!master.isMaster) return -Errno.EIO;
    const e = this.pairs.get(master.end.pair.index);
    if (!e || e.pair !== master.end.pair) return -Errno.EIO;
    return this.openSlave(e, flags, `/dev/pts/${e.pair.index}`);
  }

  openSlave(e: PtsEntry, flags: number, path: string): File | number {
    return e.pair.slave.openSlave(flags, path, (flags & O_NOCTTY) !== 0, () => ({ ...e.st }));
  }

  /** /dev/tty in a session whose controlling terminal is one of ours: the slave again, /dev/tty's attributes. */
  openCtty(tty: TtyStruct, flags: number, path: string, st: Stat): File | number | null {
    for (const e of this.pairs.values()) {
      if (e.pair.slave !== tty) continue;
      const snapshot = { ...st };
      return e.pair.slave.openSlave(flags, path, true, () => ({ ...snapshot }));
    }
    return null;
  }

  /** The controlling terminal of session sid among the ptys, or null. */
  sessionTty(sid: number): TtyStruct | null {
    if (sid === 0) return null;
    for (const e of this.pairs.values()) if (e.pair.slave.sid === sid) return e.pair.slave;
    return null;
  }

  /** Every live slave (for the kernel's session-leader exit). */
  slaves(): TtyStruct[] {
    return [...this.pairs.values()].map((e) => e.pair.slave);
  }

  /** /dev/pts/N if its master is open. */
  entry(index: number): PtsEntry | null {
    return this.visible.has(index) ? this.pairs.get(index) ?? null : null;
  }
  indices(): number[] {
    return [...this.visible].sort((a, b) => a - b);
  }

  // PtyOwner
  slaveStat(index: number): Stat {
    return { ...this.pairs.get(index)!.st };
  }
  kill(index: number): void {
    this.visible.delete(index);
  }
  release(index: number): void {
    this.visible.delete(index);
    this.pairs.delete(index);
  }
}

/** The root of devpts: ptmx, the guests' ptys and the console's host ptys. */
class PtsRoot extends FixedNode {
  protected readonly st: Stat;
  constructor(readonly fs: DevPtsFs, private readonly pts: PtsProvider) {
    super();
    this.st = fs.attrs(1, S_IFDIR | 0o755, 0, 0, 0);
    this.st.nlink = 2;
  }
  override lookup(name: string): Node | number {
    if (name === 'ptmx') return this.fs.ptmx;
    if (/^(0|[1-9][0-9]*)$/.test(name)) {
      const e = this.fs.entry(Number(name));
      if (e) return new PtsNode(this.fs, e);
    }
    if (!this.pts.names().includes(name)) return -Errno.ENOENT;
    const st = this.pts.stat(name);
    return typeof st === 'number' ? st : new HostPtsNode(this.fs, name, st, this.pts);
  }
  override readdir(): DirEntry[] {
    const r: DirEntry[] = [{ ino: 2, type: dtype(S_IFCHR), name: 'ptmx' }];
    for (const i of this.fs.indices()) r.push({ ino: i + 3, type: dtype(S_IFCHR), name: String(i) });
    for (const name of this.pts.names()) {
      const st = this.pts.stat(name);
      if (typeof st !== 'number') r.push({ ino: st.ino, type: dtype(st.mode), name });
    }
    return r;
  }
  protected override dirOp(): number {
    return -Errno.EACCES;
  }
}

/** /dev/pts/ptmx (and, through devfs, /dev/ptmx). */
class PtmxNode extends FixedNode {
  constructor(readonly fs: DevPtsFs, protected readonly st: Stat) {
    super();
  }
  override open(flags: number, path: string, cred?: FsCred): File | number {
    return this.fs.openPtmx(flags, path, cred, this.st);
  }
}

/** /dev/pts/N of a guest pty. */
class PtsNode extends Node {
  constructor(readonly fs: DevPtsFs, private readonly e: PtsEntry) {
    super();
  }
  peek(): Stat {
    return this.e.st;
  }
  stat(): Stat {
    return { ...this.e.st };
  }
  override open(flags: number, path: string): File | number {
    return this.fs.openSlave(this.e, flags, path);
  }
  /** chmod/chown (mesg(1), old grantpt): the VFS checked who may */
  override setattr(a: SetAttr): number {
    const st = this.e.st;
    if (a.size !== undefined) return -Errno.EINVAL;
    if (a.mode !== undefined) st.mode = (st.mode & ~0o7777) | (a.mode & 0o7777);
    if (a.uid !== undefined && a.uid !== -1) st.uid = a.uid;
    if (a.gid !== undefined && a.gid !== -1) st.gid = a.gid;
    if (a.atimeNs !== undefined) st.atimeNs = fileTime(a.atimeNs);
    if (a.mtimeNs !== undefined) st.mtimeNs = fileTime(a.mtimeNs);
    st.ctimeNs = nowNs();
    return 0;
  }
}

/** /dev/pts/N of a host pty the console is on, with its host attributes. */
class HostPtsNode extends Node {
  constructor(readonly fs: DevPtsFs, private readonly name: string, private readonly st: Stat, private readonly pts: PtsProvider) {
    super();
  }
  peek(): Stat {
    return this.st;
  }
  stat(): Stat | number {
    return this.pts.stat(this.name);
  }
  override open(flags: number): File | number {
    return this.pts.open(this.name, flags);
  }
}
