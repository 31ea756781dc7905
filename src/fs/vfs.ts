/**
 * The VFS: the mount table, path walking (fs/namei.c) and the path-based
 * operations the file syscalls need.
 *
 * Mounts (fixed at construction):
 *   /          hostfs of rootDir (read-only unless rw: writes give EROFS)
 *   /dev       devfs            /dev/shm  tmpfs     /dev/pts  devpts
 *   /proc      procfs           /tmp      tmpfs
 *   /sys/devices/system/cpu   sysfs of the vCPUs (sysfs.ts)
 *   each `--mount HOST:GUEST[:ro]`: a hostfs of its own (rw unless :ro)
 * Every hostfs shares one filehandle layer (HandleCache: one host fd
 * budget) and the kernel's lock table.
 *
 * A position in the namespace is a Loc (struct path): the canonical guest
 * path, the Node, the mount, and the Loc it was reached from (so `..` goes
 * back the way the walk came, which is right across mounts and after
 * symlinks). Mount points are recognized by canonical path before the
 * underlying filesystem is asked, so a mount point needs no directory in
 * the layer below.
 *
 * Confinement: every path, and every symlink target, is resolved here in
 * the guest namespace; `..` at / stays at /; absolute targets restart at
 * the guest root. Filesystems only ever see one name in a directory they
 * already hold (see hostfs.ts for the host side of this).
 *
 * Errors are returned as -errno (`X | number`). Callers pass the Task (any
 * FsCaller: its FsContext and credentials) and a start directory for *at
 * calls: an open File (the dirfd) or null for the cwd.
 *
 * Lock order: none; nothing here spans an await, and everything is touched
 * only on the kernel's JS thread.
 *
 * Ownership: the mount table is immutable once guests run (addTmpfs comes before). FsContext is
 * owned by the tasks sharing it (CLONE_FS) and written only by their
 * syscalls (chdir, umask, and the walk's cwdLoc cache). The shared state
 * below (the lock table, the filehandle layer, the terminal, tmpfs
 * contents, fpath, ptys, the devpts pairs) is guarded by the JS thread:
 * any task's syscall may change it.
 *
 * Known gaps: canonical paths are strings, so the cwd and open directories
 * of a hostfs/tmpfs directory renamed afterwards keep their old path
 * (getcwd, /proc/<pid>/fd) — a dentry cache would fix it; chroot is absent;
 * reopening /proc/<pid>/fd/N of a non-VFS file (pipe, console) shares the
 * open file description instead of making a new one.
 */
import { Errno } from '../abi/errno.js';
import { File } from './file.js';
import {
  DirEntry, Stat, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_ISUID, S_ISGID, S_IXGRP, O_ACCMODE, O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL,
  O_NOCTTY, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_PATH, O_TMPFILE, O_LARGEFILE, DT_DIR,
} from './types.js';
import {
  FileSystem, Node, FsCred, SetAttr, StatFs, MAY_EXEC, MAY_READ, MAY_WRITE, permission, fsCapable, inGroupOrCapable, stripSgid, privsToKill, emptyStat, makedev, major, minor,
  SEEK_SET, SEEK_CUR, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT,
} from './node.js';
import { HostFs, HandleCache, OpenHostNode, HostFile, HostNode } from './hostfs.js';
import { LockTable } from './locks.js';
import { TmpFs, TmpFile, TmpReg, TmpDir } from './tmpfs.js';
import { SecretMemFile } from './secretmem.js';
import { DevFs } from './devfs.js';
import { ProcFs, ProcProvider } from './procfs.js';
import { SysCpuFs } from './sysfs.js';
import { FifoTable } from './fifo.js';
import { WriteCounts, ExeDenial, inodeKey } from './writecount.js';
import { DnotifyTable, DN_CREATE, DN_DELETE, DN_RENAME } from './dnotify.js';
import { Fsnotify } from './inotify.js';
import {
  IN_ACCESS, IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE, IN_OPEN, IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE,
  IN_MOVE_SELF, IN_ISDIR,
} from '../abi/inotify.js';
import { ConsoleFile, HostWatch, Terminal } from './tty/console.js';
import { DevPtsFs } from './tty/devpts.js';
import type { TtyJobs, TtyStruct } from './tty/tty.js';

export type { ProcProvider } from './procfs.js';
export type { HostWatch } from './tty/console.js';
export type { FsCred } from './node.js';
export { Terminal } from './tty/console.js';

/** struct fs_struct: cwd and umask, shared by tasks cloned with CLONE_FS.
 * Every field is owned by those tasks (their chdir/fchdir, umask, and path walks). */
export interface FsContext {
  /** canonical guest absolute path (from the VFS's root, whatever chroot says) */
  cwd: string;
  umask: number;
  /** the process's root (chroot(2)); absent: the VFS's */
  root?: Loc;
  /** the VFS's cache of where cwd is (valid while cwdLoc.path === cwd); the kernel may leave it unset */
  cwdLoc?: Loc;
  /** a tmpfs cwd's filesystem's dirRenames when cwdLoc's path was last found true (Vfs.cwdLoc) */
  cwdRenames?: number;
}

/** What the VFS needs from its caller (a Task fits structurally). */
export interface FsCaller {
  readonly fs: FsContext;
  readonly creds: FsCred;
}

/** fdinfo's mount ids: the root's, and the one of the files on no guest mount (pipefs, sockfs, anon_inodefs) */
const ROOT_MNT_ID = 21, ANON_MNT_ID = 15;

/** struct vfsmount. Immutable. */
export interface Mount {
  /** canonical mount point */
  readonly path: string;
  readonly fs: FileSystem;
  readonly root: Node;
  readonly readonly: boolean;
  /** for /proc/mounts */
  readonly source: string;
  readonly options: string;
}

/** What statx(2) reports beside the attributes. Immutable. */
export interface StatxAnswer {
  readonly st: Stat;
  readonly mntId: number;
  readonly mountRoot: boolean;
}

/** struct path, plus the way back (`..`). Immutable. */
export interface Loc {
  readonly path: string;
  readonly node: Node;
  readonly mnt: Mount;
  readonly parent: Loc | null;
}

export interface VfsOptions {
  /** host directory that is the guest's / */
  rootDir: string;
  /** writes to / allowed (else EROFS) */
  rw: boolean;
  proc: ProcProvider;
  hostWatch: HostWatch;
  /** size limit of /tmp and /dev/shm each (default 1 GiB) */
  tmpBytes?: number;
  /** host fds hostfs may hold open (default 512) */
  hostFdBudget?: number;
  /** a number that changes between any two guest operations (HandleCache's opClock) */
  opClock?: () => number;
  /** directory walks before the directory caches start (default COLD_WALKS, dcache.ts) */
  dcacheColdWalks?: number;
  /** more host directories: --mount HOST:GUEST[:ro] */
  mounts?: readonly HostMountSpec[];
  /** the kernel's job control for the terminals (the ptys, /dev/tty); none: every caller in the foreground */
  ttyJobs?: TtyJobs;
  /** test: hostfs behaves as on a host without openat2 */
  noOpenat2?: boolean;
}

/** One --mount: a host directory at a guest path. */
export interface HostMountSpec {
  host: string;
  /** absolute guest path, not "/" */
  guest: string;
  ro: boolean;
}

export { AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EACCESS, AT_SYMLINK_FOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH } from '../abi/fcntl.js';
export { F_OK, X_OK, W_OK, R_OK } from '../abi/fcntl.js';
import { F_OK, W_OK, RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH, RESOLVE_IN_ROOT } from '../abi/fcntl.js';
import { nameByteLength, PATH_MAX, NAME_MAX } from '../abi/names.js';
import { CAP_FULL_SET, CAP_FOWNER, CAP_CHOWN, CAP_MKNOD } from '../abi/capability.js';
export { PATH_MAX, NAME_MAX } from '../abi/names.js';
export const MAXSYMLINKS = 40;

/** struct nameidata's lookup-wide state. */
interface Nd {
  /** symlinks followed so far (ELOOP past MAXSYMLINKS) */
  links: number;
  readonly cred: FsCred;
  /** the Loc most recently made by a filesystem lookup in this walk (its attributes are fresh) */
  made?: Loc;
  /** openat2's RESOLVE_* flags (0 for every other walk) */
  readonly resolve: number;
  /** RESOLVE_BENEATH and RESOLVE_IN_ROOT: where the walk started, which it may not leave (LOOKUP_IS_SCOPED);
   * null otherwise */
  readonly scope: Loc | null;
  /** the caller's root (chroot): where '/' leads and '..' stops (follow swaps it for a magic link's jump) */
  root: Loc;
}

/** A walk's nameidata with no openat2 flags (one shape for every walk: the walk's code stays monomorphic). */
const ndFor = (cred: FsCred, root: Loc): Nd => ({ links: 0, cred, made: undefined, resolve: 0, scope: null, root });

/** The same place: path and mount (Locs are made per walk, so not compared by identity). */
const sameLoc = (a: Loc, b: Loc): boolean => a.path === b.path && a.mnt === b.mnt;

/** The result of walking all but the last component. */
interface Parent {
  dir: Loc;
  /** the last component: '' for "/", else a name, '.' or '..' */
  last: string;
  /** the path ended in '/' */
  slash: boolean;
}

export class Vfs {
  /** immutable */
  readonly rootLoc: Loc;
  /** canonical path -> mount; fixed before guests run (construction, addTmpfs) */
  private readonly mounts = new Map<string, Mount>();
  /** the longest mount point path: a longer path is no mount point (a walk deep down a tree does not hash its
   * whole path at each step); guarded by the JS thread (addMount) */
  private mountPathMax = 0;
  /** canonical dir path -> names of mount points in it (merged into listings); fixed with the mounts */
  private readonly mountNames = new Map<string, string[]>();
  /** struct file's f_path: where each VFS-opened File was opened (dirfds, fchdir, /proc/<pid>/fd);
   * guarded by the JS thread (set by every open; entries go with their File) */
  private readonly fpath = new WeakMap<File, Loc>();
  /** the root's hostfs; immutable */
  readonly hostfs: HostFs;
  /** the --mount hostfs instances, in order; immutable */
  readonly hostMounts: HostFs[] = [];
  /** the filehandle layer of every hostfs; immutable reference */
  readonly handles: HandleCache;
  /** flock and record locks, shared by every guest process; immutable reference, guarded by the JS thread inside */
  readonly locks = new LockTable();
  /** the pipes of open FIFOs (tmpfs and hostfs), by inode; immutable reference, guarded by the JS thread inside */
  readonly fifos = new FifoTable();
  /** F_NOTIFY registrations, told of the namespace changes made here; immutable reference, guarded by the JS thread inside */
  readonly dnotify = new DnotifyTable();
  /** inotify's watched inodes, told of every change made here (inotify.ts); immutable reference, guarded by the JS
   * thread inside */
  readonly fsnotify: Fsnotify;
  /** fsnotify_close for every File opened here (File.closeNotify); immutable */
  private readonly closed = (f: File): void => this.fileClosed(f);
  /** i_writecount of every regular file's inode (writecount.ts); immutable reference, guarded by the JS thread inside */
  readonly writeCounts = new WriteCounts();
  /** the inode key of each File opened here for writing (it holds get_write_access until its last close);
   * guarded by the JS thread (set by open, taken by fileClosed) */
  private readonly writeHeld = new WeakMap<File, string>();
  /** bumped by every chmod and chown through the VFS: an open file's S_NOSEC cache (File.noSecGen) holds while
   * it is unchanged; guarded by the JS thread (chmodLoc, chownLoc) */
  private modeGen = 0;
  /** an O_TMPFILE file's close: its write access only (it has no name for fsnotify to tell); immutable */
  private readonly tmpfileClosed = (f: File): void => this.dropWriteAccess(f);
  /** the mounted filesystems; immutable references (their contents: see each) */
  readonly tmpfs: TmpFs;
  /** the kernel's internal shmem mount (Linux's shm_mnt, mounted nowhere): memfd_create's files and SysV
   * shared memory segments; immutable reference (contents: see tmpfs.ts) */
  readonly shmMnt: TmpFs;
  /** shmMnt as a mount (not in the table: nothing reaches it by path); immutable */
  private readonly shmMount: Mount;
  readonly devfs: DevFs;
  readonly procfs: ProcFs;
  readonly sysCpu: SysCpuFs;
  /** the job-control state of the terminal umlts runs on; immutable reference, guarded by the JS thread inside */
  readonly terminal = new Terminal();
  /**
   * more host terminals, each the controlling terminal of one spawned
   * process's session (the library's spawn `tty`: an OCI exec --tty);
   * added and removed by the front end between stops, guarded by the JS thread
   */
  readonly hostTerminals = new Set<Terminal>();
  /** the guests' pseudo-terminals (/dev/pts, /dev/ptmx); immutable reference, guarded by the JS thread inside */
  readonly devpts: DevPtsFs;
  /** the kernel's job control, for the ptys and /dev/tty; immutable */
  private readonly ttyJobs: TtyJobs | null;
  /** the guest's tty group (from its /etc/group; null: none), read at the first pty; guarded by the JS thread */
  private ttyGroup: number | null | undefined = undefined;
  /** N of the host /dev/pts/N the console Files are on (shown in the guest's /dev/pts); guarded by the JS thread */
  private readonly ptys = new Set<string>();
  /** immutable */
  private readonly hostWatch: HostWatch;

  constructor(opts: VfsOptions) {
    this.hostWatch = opts.hostWatch;
    this.fsnotify = new Fsnotify(opts.hostWatch);
    this.handles = new HandleCache(opts.hostFdBudget ?? 512, opts.opClock ?? null, opts.dcacheColdWalks);
    const hostOpts = { handles: this.handles, locks: this.locks, noOpenat2: opts.noOpenat2 };
    this.hostfs = new HostFs({ rootDir: opts.rootDir, rw: opts.rw, ...hostOpts });
    this.tmpfs = new TmpFs(makedev(0, 32), opts.tmpBytes);
    this.shmMnt = new TmpFs(makedev(0, 1), opts.tmpBytes);
    this.shmMnt.locks = this.locks;
    this.shmMount = { path: '/', fs: this.shmMnt, root: this.shmMnt.root, readonly: false, source: 'shm', options: 'nosuid,nodev' };
    const shm = new TmpFs(makedev(0, 24), opts.tmpBytes);
    this.tmpfs.locks = this.locks;
    shm.locks = this.locks;
    const ptsPath = (n: string): string => '/dev/pts/' + n;
    this.ttyJobs = opts.ttyJobs ?? null;
    this.devpts = new DevPtsFs(makedev(0, 25), {
      pts: {
        names: () => [...this.ptys],
        stat: (n) => ConsoleFile.hostStat(ptsPath(n)),
        open: (n, flags) => ConsoleFile.openHostTty(ptsPath(n), flags, this.hostWatch, this.terminal),
      },
      jobs: this.ttyJobs,
      watcher: this.hostWatch,
      ttyGid: () => this.ttyGid(),
    });
    this.devfs = new DevFs(
      makedev(0, 5),
      (flags, st) => this.openTty(flags, st),
      (flags, path, _st, cred) => this.devpts.ptmx.open(flags, path, cred),
    );
    this.procfs = new ProcFs(makedev(0, 22), opts.proc, () => this.mountsText(), () => this.mountinfoText(), {
      filehandles: () => Object.entries(this.handles.stats()).map(([k, v]) => `${k} ${v}\n`).join(''),
    });
    const root = this.addMount('/', this.hostfs, !opts.rw, 'hostfs', 'relatime');
    this.addMount('/dev', this.devfs, false, 'devtmpfs', 'nosuid,relatime');
    this.addMount('/dev/shm', shm, false, 'tmpfs', 'nosuid,nodev');
    this.addMount('/dev/pts', this.devpts, false, 'devpts', 'nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000');
    this.addMount('/proc', this.procfs, false, 'proc', 'nosuid,nodev,noexec,relatime');
    this.addMount('/tmp', this.tmpfs, false, 'tmpfs', 'nosuid,nodev');
    // the guest's CPUs are the vCPUs, not the host's (the rest of /sys is the host's)
    this.sysCpu = new SysCpuFs(makedev(0, 21), Math.max(1, opts.proc.ncpus()));
    this.addMount('/sys/devices/system/cpu', this.sysCpu, true, 'sysfs', 'nosuid,nodev,noexec,relatime');
    for (const m of opts.mounts ?? []) {
      const guest = this.absolute({ cwd: '/', umask: 0 }, m.guest);
      if (guest === '/' || this.mounts.has(guest)) throw new Error(`--mount ${m.host}:${m.guest}: ${guest} is already a mount point`);
      const fs = new HostFs({ rootDir: m.host, rw: !m.ro, ...hostOpts });
      this.hostMounts.push(fs);
      this.addMount(guest, fs, m.ro, m.host, 'relatime');
    }
    this.rootLoc = { path: '/', node: root.root, mnt: root, parent: null };
  }

  /**
   * One more tmpfs, at a canonical path that is no mount point yet (the
   * library's `tmpfs`, and its `files` in a directory the root does not
   * have: nothing is written to the host); the path need not exist in the
   * filesystem below. Only before any guest runs: the mount table is fixed after.
   */
  addTmpfs(path: string, mode = 0o755): void {
    if (path === '/' || this.mounts.has(path)) throw new Error(`tmpfs at ${path}: already a mount point`);
    const fs = new TmpFs(makedev(0, 40 + this.mounts.size), undefined, mode);
    fs.locks = this.locks;
    this.addMount(path, fs, false, 'tmpfs', 'nosuid,nodev');
  }

  private addMount(path: string, fs: FileSystem, ro: boolean, source: string, options: string): Mount {
    const m: Mount = { path, fs, root: fs.root, readonly: ro, source, options };
    this.mounts.set(path, m);
    this.mountPathMax = Math.max(this.mountPathMax, path.length);
    if (path !== '/') {
      const i = path.lastIndexOf('/');
      const dir = i === 0 ? '/' : path.slice(0, i);
      const names = this.mountNames.get(dir) ?? [];
      names.push(path.slice(i + 1));
      this.mountNames.set(dir, names);
    }
    return m;
  }

  /** /proc/mounts */
  mountsText(): string {
    let s = '';
    for (const m of this.mounts.values()) s += `${m.source} ${m.path} ${m.fs.type} ${m.readonly ? 'ro' : 'rw'},${m.options} 0 0\n`;
    return s;
  }

  /**
   * /proc/PID/mountinfo (show_mountinfo): mount id, parent's id (the
   * root's is one outside the table, as a container's is), the
   * filesystem's device, its root, the mount point, the per-mount flags,
   * then after " - " the type, source and the filesystem's own options.
   * Paths as seq_path escapes them (space, tab, newline, backslash).
   */
  mountinfoText(): string {
    const esc = (p: string): string => p.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
    const perMount = /^(nosuid|nodev|noexec|noatime|nodiratime|relatime|strictatime|nosymfollow)$/;
    let s = '';
    for (const m of this.mounts.values()) {
      let parent: Mount | undefined;
      for (const p of this.mounts.values()) {
        if (p !== m && (p.path === '/' || m.path.startsWith(p.path + '/')) && (!parent || p.path.length > parent.path.length)) parent = p;
      }
      const rw = m.readonly ? 'ro' : 'rw', opts = m.options.split(',').filter((o) => o !== '');
      const dev = m.root.peek().dev;
      s += `${this.mntIdOf(m)} ${parent ? this.mntIdOf(parent) : ROOT_MNT_ID - 1} ${major(dev)}:${minor(dev)} / ${esc(m.path)} ` +
        `${[rw, ...opts.filter((o) => perMount.test(o))].join(',')} - ${m.fs.type} ${esc(m.source)} ` +
        `${[rw, ...opts.filter((o) => !perMount.test(o))].join(',')}\n`;
    }
    return s;
  }

  /**
   * A console File over one of umlts's host fds, for the guest's fd 0, 1 or
   * 2 (guestFd is informational). Each call makes a new open file. With
   * onRelease, the fd is the front end's to close when the File goes.
   */
  console(hostFd: number, _guestFd?: number, onRelease: (() => void) | null = null, terminal: Terminal = this.terminal): File {
    const f = ConsoleFile.forHostFd(hostFd, this.hostWatch, terminal, onRelease);
    const m = /^\/dev\/pts\/(\d+)$/.exec(f.path);
    if (m && f.isTty) this.ptys.add(m[1]!);
    return f;
  }

  // ---- terminals ----------------------------------------------------------------------------

  /** The controlling terminal of session sid (a pty's slave, or the console), or null. */
  sessionTty(sid: number): TtyStruct | null {
    const tty = this.devpts.sessionTty(sid) ?? (this.terminal.controls(sid) ? this.terminal : null);
    if (tty || this.hostTerminals.size === 0) return tty;
    for (const t of this.hostTerminals) if (t.controls(sid)) return t;
    return null;
  }

  /** /proc/<pid>/stat's tty_nr and tpgid for a process of session sid. */
  cttyOf(sid: number): { ttyNr: number; tpgid: number } {
    return this.sessionTty(sid)?.ctty(sid) ?? this.terminal.ctty(sid);
  }

  /** The leader of session sid exits: its controlling terminal, if any, is freed (disassociate_ctty). */
  sessionLeaderExited(sid: number): void {
    for (const t of this.devpts.slaves()) t.leaderExited(sid);
    this.terminal.leaderExited(sid);
    for (const t of this.hostTerminals) t.leaderExited(sid);
  }

  /**
   * /dev/tty (tty_open_current_tty): the caller's controlling terminal if
   * it is a pty; for the console's session, umlts's own controlling
   * terminal; -ENXIO for any other session (one made by setsid has none
   * until it takes one).
   */
  private openTty(flags: number, st: Stat): File | number {
    const c = this.ttyJobs?.caller();
    const tty = c ? this.devpts.sessionTty(c.sid) : null;
    if (tty) {
      const f = this.devpts.openCtty(tty, flags, '/dev/tty', st);
      if (f !== null) return f;
    }
    if (c && c.sid !== this.terminal.sid) return -Errno.ENXIO;
    return ConsoleFile.openHostTty('/dev/tty', flags, this.hostWatch, this.terminal);
  }

  /** The gid of the group "tty" in the guest's /etc/group, or null (read once). */
  private ttyGid(): number | null {
    if (this.ttyGroup !== undefined) return this.ttyGroup;
    this.ttyGroup = null;
    const f = this.open({ fs: { cwd: '/', umask: 0 }, creds: ROOT_CRED }, null, '/etc/group', O_RDONLY, 0);
    if (typeof f === 'number') return null;
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    for (let total = 0; total < 1 << 20; ) {
      const n = f.read(buf, null);
      if (n <= 0) break;
      chunks.push(buf.slice(0, n));
      total += n;
    }
    f.put();
    const m = /^tty:[^:]*:(\d+):/m.exec(Buffer.concat(chunks).toString('latin1'));
    if (m) this.ttyGroup = Number(m[1]);
    return this.ttyGroup;
  }

  /**
   * A guest path made absolute against the cwd, lexically (no lookup):
   * '.', '..' and repeated slashes folded. For an opened file prefer
   * locOf(file).path, which is where the walk actually arrived.
   */
  absolute(fs: FsContext, path: string): string {
    const parts: string[] = [];
    for (const p of (path.startsWith('/') ? path : fs.cwd + '/' + path).split('/')) {
      if (p === '' || p === '.') continue;
      if (p === '..') parts.pop();
      else parts.push(p);
    }
    return '/' + parts.join('/');
  }

  /**
   * memfd_create(2)'s file: an unlinked file of the internal shmem mount,
   * with a place (its f_path) so /proc/<pid>/fd/N reopens it as a new open
   * file and fchmod/fchown reach it, as on Linux.
   */
  memfd(c: FsCaller, name: string, allowSealing: boolean, noexec: boolean, flags: number): File {
    const path = `/memfd:${name} (deleted)`;
    const f = this.shmMnt.memfd(name, c.creds, allowSealing, noexec, path, fileFlags(flags));
    this.fpath.set(f, { path, node: f.node, mnt: this.shmMount, parent: null });
    return f;
  }

  /**
   * shmem_zero_setup: what a shared anonymous mapping (or a shared mapping
   * of /dev/zero) maps, an unlinked len-byte file of the internal shmem
   * mount, so a page first touched after fork is still one page for parent
   * and child. Linux's /proc/PID/maps names it "/dev/zero (deleted)".
   */
  /** memfd_secret(2): an unlinked file of the internal shmem mount that only shared mappings reach (secretmem.ts). */
  secretmem(c: FsCaller): File {
    const f = this.shmMnt.memfd('secretmem', c.creds, false, false, '/secretmem (deleted)', fileFlags(O_RDWR | O_LARGEFILE));
    const s = new SecretMemFile(f.node, f.flags, f.path);
    f.put();
    return s;
  }

  sharedAnon(c: FsCaller, len: number, mapName: string): File {
    const f = this.shmMnt.memfd('dev/zero', c.creds, false, false, mapName, fileFlags(O_RDWR | O_LARGEFILE));
    f.truncate(len);
    return f;
  }

  /** path_noexec: the guest's mount of the file says noexec, or its own filesystem forbids exec (File.noExec). */
  noExec(f: File): boolean {
    const mnt = this.fpath.get(f)?.mnt;
    return (mnt !== undefined && /(^|,)noexec(,|$)/.test(mnt.options)) || f.noExec;
  }

  /** sync(2): every mounted filesystem, each once (ksys_sync's iterate_supers). */
  syncAll(): void {
    const done = new Set<FileSystem>();
    for (const m of this.mounts.values()) {
      if (done.has(m.fs)) continue;
      done.add(m.fs);
      m.fs.sync();
    }
  }

  /** fdinfo's mnt_id for a file: its mount's place among the mounts (the root's is ROOT_MNT_ID), or
   * ANON_MNT_ID for files of no guest mount (pipes, sockets, anonymous inodes: Linux's internal mounts). */
  mountId(f: File): number {
    return this.mntIdOf(this.fpath.get(f)?.mnt);
  }
  /** A mount's id, as /proc/PID/mountinfo and statx's stx_mnt_id show it (no mount: ANON_MNT_ID). */
  private mntIdOf(mnt: Mount | undefined): number {
    if (!mnt) return ANON_MNT_ID;
    if (mnt === this.rootLoc.mnt) return ROOT_MNT_ID;
    let i = ROOT_MNT_ID + 1;
    for (const m of this.mounts.values()) {
      if (m === mnt) return i;
      i++;
    }
    return ANON_MNT_ID;
  }

  /**
   * The inode fchmod, fchown and futimens of f change: where it was opened, or for a file with no place in
   * the namespace (a pipe, a socket, an anonymous inode) the file's own inode, on an internal mount (as
   * Linux's pipefs, sockfs and anon_inodefs are: never read-only, in no mount table).
   */
  inodeLoc(f: File): Loc {
    return this.fpath.get(f) ?? { path: f.path, node: new OpenFileNode(f, this.shmMnt), mnt: this.shmMount, parent: null };
  }

  /** Where a File was opened (null: not opened through the VFS, e.g. a pipe). */
  locOf(f: File): Loc | null {
    return this.fpath.get(f) ?? null;
  }

  // ---- path walking -----------------------------------------------------------------------

  /**
   * getcwd(2)'s path: the cwd's canonical path, or, for a tmpfs
   * directory, where it is now (renamed since, or one above it: its
   * parents say; removed: ENOENT, as d_path's unlinked check).
   */
  cwdPath(c: FsCaller): string | number {
    const loc = this.cwdLoc(c);
    if (typeof loc === 'number') return loc;
    if (loc.node instanceof TmpDir && loc.node.dead) return -Errno.ENOENT;
    return c.fs.cwd;
  }

  /** The cwd as a Loc (cached in the FsContext). A tmpfs cwd's path follows the renames of it and the
   * directories above it (each knows its parent): getcwd, and the paths of files opened relative to it. */
  private cwdLoc(c: FsCaller): Loc | number {
    const fs = c.fs;
    if (fs.cwdLoc && fs.cwdLoc.path === fs.cwd) {
      const l = fs.cwdLoc, node = l.node, root = l.mnt.root;
      // (not under chroot: the root's own path would go stale beside it)
      if (node instanceof TmpDir && root instanceof TmpDir && !fs.root && fs.cwdRenames !== node.fs.dirRenames) {
        fs.cwdRenames = node.fs.dirRenames;
        const below = node.pathBelow(root);
        const path = below === null ? l.path : (l.mnt.path === '/' ? '' : l.mnt.path) + below || '/';
        // (no way back: `..` walks the new path's parent, not the one the walk came by)
        if (path !== l.path) fs.cwd = (fs.cwdLoc = { ...l, path, parent: null }).path;
      }
      return fs.cwdLoc;
    }
    const r = this.walk(ndFor(ROOT_CRED, this.rootLoc), this.rootLoc, fs.cwd, true);
    if (typeof r === 'number') return r;
    fs.cwdLoc = r;
    fs.cwdRenames = undefined;
    return r;
  }

  /** The starting point of a lookup: / for absolute paths (unless scoped: openat2's RESOLVE_BENEATH, IN_ROOT),
   * else the dirfd's directory or the cwd. */
  private start(c: FsCaller, at: File | null, path: string, scoped = false): Loc | number {
    if (path.charCodeAt(0) === 47 /* '/' */ && !scoped) return c.fs.root ?? this.rootLoc;
    if (at === null) return this.cwdLoc(c);
    const loc = this.fpath.get(at);
    if (!loc || !loc.node.isDir) return -Errno.ENOTDIR;
    return loc;
  }

  /** `..` of a Loc: the way the walk came, or (for a Loc with no history) its canonical parent. A tmpfs directory
   * knows its parent: when the way it was reached is stale (it was moved since the walk, or the open, that made
   * this Loc), `..` is where it is now (d_parent), as it is for a chroot's check of its root. */
  private parentOf(nd: Nd, loc: Loc): Loc | number {
    const node = loc.node, mroot = loc.mnt.root;
    if (node instanceof TmpDir && mroot instanceof TmpDir && node !== mroot && node.parent !== null && loc.parent?.node !== node.parent) {
      const below = node.parent.pathBelow(mroot);
      if (below !== null) return { path: (loc.mnt.path === '/' ? '' : loc.mnt.path) + below || '/', node: node.parent, mnt: loc.mnt, parent: null };
    }
    if (loc.parent) return loc.parent;
    if (loc.path === '/') return loc;
    const i = loc.path.lastIndexOf('/');
    // (its path is from umlts's root, whatever the walker's chroot says)
    const root = nd.root;
    nd.root = this.rootLoc;
    try {
      return this.walk(nd, this.rootLoc, i <= 0 ? '/' : loc.path.slice(0, i), true);
    } finally {
      nd.root = root;
    }
  }

  /**
   * One component from dir: search permission, '.', '..', mount points,
   * lookup, and symlinks if follow. through: not the walk's last component
   * (Node.lookup): its Loc is not nd.made, whose attributes must be fresh.
   */
  private step(nd: Nd, dir: Loc, name: string, follow: boolean, through = false): Loc | number {
    if (!dir.node.isDir) return -Errno.ENOTDIR;
    const pe = permission(dir.node.peek(), nd.cred, MAY_EXEC);
    if (pe < 0) return pe;
    if (name === '.') return dir;
    if (name === '..') {
      // follow_dotdot: at the scope's root, RESOLVE_IN_ROOT stays and RESOLVE_BENEATH fails
      if (nd.scope !== null && sameLoc(dir, nd.scope)) return nd.resolve & RESOLVE_BENEATH ? -Errno.EXDEV : dir;
      // (and at the caller's root, chroot's: '..' of the root is the root)
      if (nd.root !== this.rootLoc && sameLoc(dir, nd.root)) return dir;
      const up = this.parentOf(nd, dir);
      if (typeof up !== 'number' && nd.resolve & RESOLVE_NO_XDEV && up.mnt !== dir.mnt) return -Errno.EXDEV;
      return up;
    }
    if (name.length > NAME_MAX / 3 && nameByteLength(name) > NAME_MAX) return -Errno.ENAMETOOLONG;
    const path = dir.path === '/' ? '/' + name : dir.path + '/' + name;
    const m = path.length <= this.mountPathMax ? this.mounts.get(path) : undefined;
    let loc: Loc;
    if (m) {
      if (nd.resolve & RESOLVE_NO_XDEV) return -Errno.EXDEV;
      loc = { path, node: m.root, mnt: m, parent: dir };
    } else {
      const n = dir.node.lookup(name, through);
      if (typeof n === 'number') return n;
      loc = { path, node: n, mnt: dir.mnt, parent: dir };
      if (!through) nd.made = loc;
    }
    return follow && loc.node.isLink ? this.follow(nd, loc) : loc;
  }

  /** Follow the symlink at link (its parent is where a relative target starts). */
  private follow(nd: Nd, link: Loc): Loc | number {
    if (nd.resolve & RESOLVE_NO_SYMLINKS) return -Errno.ELOOP;
    if (++nd.links > MAXSYMLINKS) return -Errno.ELOOP;
    // nd_jump_link: no magic links when told so, nor in a scoped walk (not safe there)
    if (nd.resolve !== 0 && link.node.isMagicLink) {
      if (nd.resolve & RESOLVE_NO_MAGICLINKS) return -Errno.ELOOP;
      if (nd.scope !== null) return -Errno.EXDEV;
    }
    const f = link.node.magic();
    if (typeof f === 'number') return f;
    if (f !== null) {
      // a magic link: jump to the open file itself
      const at = this.fpath.get(f);
      if (at && nd.resolve & RESOLVE_NO_XDEV && at.mnt !== link.mnt) return -Errno.EXDEV;
      if (at) return at;
      return { path: f.path, node: new OpenFileNode(f, link.mnt.fs), mnt: link.mnt, parent: null };
    }
    const target = link.node.readlink();
    if (typeof target === 'number') return target;
    if (target === '') return -Errno.ENOENT;
    if (nd.root !== this.rootLoc && link.node.isMagicLink) {
      // a magic link umlts follows by its path (exe, cwd, root) jumps to the object itself, whatever the walker's
      // chroot: its path is from umlts's root
      const root = nd.root;
      nd.root = this.rootLoc;
      try {
        return this.walk(nd, this.rootLoc, target, true, link.mnt);
      } finally {
        nd.root = root;
      }
    }
    return this.walk(nd, link.parent ?? this.rootLoc, target, true, link.mnt);
  }

  /**
   * Walk every component but the last (following symlinks), which is
   * returned unresolved. from: the mount of the symlink whose target path
   * is (undefined for the caller's own path).
   */
  private walkParent(nd: Nd, start: Loc, path: string, from?: Mount): Parent | number {
    if (path.length >= PATH_MAX) return -Errno.ENAMETOOLONG;
    let cur = start;
    if (path.charCodeAt(0) === 47) {
      // nd_jump_root: RESOLVE_BENEATH refuses, RESOLVE_IN_ROOT starts at its scope, RESOLVE_NO_XDEV lets only the
      // caller's own path change mounts this way (an absolute symlink must stay on its mount)
      if (nd.resolve & RESOLVE_BENEATH) return -Errno.EXDEV;
      if (nd.resolve & RESOLVE_NO_XDEV && from !== undefined && from !== nd.root.mnt) return -Errno.EXDEV;
      cur = nd.scope ?? nd.root;
    }
    const parts = path.split('/');
    let end = parts.length;
    while (end > 0 && parts[end - 1] === '') end--;
    if (end === 0) return { dir: cur, last: '', slash: false };
    for (let i = 0; i < end - 1; i++) {
      const name = parts[i]!;
      if (name === '') continue;
      const r = this.step(nd, cur, name, true, true);
      if (typeof r === 'number') return r;
      if (!r.node.isDir) return -Errno.ENOTDIR;
      cur = r;
    }
    return { dir: cur, last: parts[end - 1]!, slash: end < parts.length };
  }

  /** Resolve path from start; follow: follow a symlink in the last component (a trailing '/' always does).
   * from: as walkParent's. */
  private walk(nd: Nd, start: Loc, path: string, follow: boolean, from?: Mount): Loc | number {
    const p = this.walkParent(nd, start, path, from);
    if (typeof p === 'number') return p;
    if (p.last === '') return p.dir;
    const r = this.step(nd, p.dir, p.last, follow || p.slash);
    if (typeof r === 'number') return r;
    if (p.slash && !r.node.isDir) return -Errno.ENOTDIR;
    return r;
  }

  /** Resolve a guest path (the `path_lookupat` of every path syscall). Empty path: ENOENT. */
  resolve(c: FsCaller, at: File | null, path: string, follow: boolean): Loc | number {
    if (path === '') return -Errno.ENOENT;
    const s = this.start(c, at, path);
    if (typeof s === 'number') return s;
    return this.walk(ndFor(c.creds, c.fs.root ?? this.rootLoc), s, path, follow);
  }

  // ---- open ---------------------------------------------------------------------------------

  /**
   * open/openat/creat (fs/namei.c do_filp_open). flags are the guest's O_*
   * (unknown bits already dropped, as build_open_flags does); mode is
   * applied with the umask when a file is created.
   */
  open(c: FsCaller, at: File | null, path: string, flags: number, mode: number, exec = false, resolve = 0): File | number {
    if (path === '') return -Errno.ENOENT;
    const scoped = (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) !== 0;
    const s = this.start(c, at, path, scoped);
    if (typeof s === 'number') return s;
    const nd: Nd = { links: 0, cred: c.creds, made: undefined, resolve, scope: scoped ? s : null, root: c.fs.root ?? this.rootLoc };
    if ((flags & O_TMPFILE) === O_TMPFILE) return this.openTmpfile(c, nd, s, path, flags, mode);
    if (flags & O_PATH) {
      const loc = this.walk(nd, s, path, !(flags & O_NOFOLLOW));
      if (typeof loc === 'number') return loc;
      if (flags & O_DIRECTORY && !loc.node.isDir) return -Errno.ENOTDIR;
      const f = new PathFile(loc.node, flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW), loc.path);
      this.fpath.set(f, loc);
      return f;
    }
    if ((flags & O_ACCMODE) === O_ACCMODE) return -Errno.EINVAL;
    let loc: Loc | number;
    if (flags & O_CREAT) {
      const r = this.openCreate(c, nd, s, path, flags, mode);
      if (r instanceof File) return r;
      loc = r;
    } else {
      loc = this.walk(nd, s, path, !(flags & O_NOFOLLOW));
    }
    if (typeof loc === 'number') return loc;
    return this.openLoc(c, loc, flags, exec);
  }

  /** O_CREAT: the new File, or the existing Loc to open, or -errno. */
  private openCreate(c: FsCaller, nd: Nd, start: Loc, path: string, flags: number, mode: number): File | Loc | number {
    let p = this.walkParent(nd, start, path);
    for (;;) {
      if (typeof p === 'number') return p;
      if (p.last === '' || p.last === '.' || p.last === '..' || p.slash) return -Errno.EISDIR;
      const r = this.step(nd, p.dir, p.last, false);
      if (r === -Errno.ENOENT) {
        const e = this.mayCreate(nd, p.dir);
        if (e < 0) return e;
        const name = p.last;
        const fpath = p.dir.path === '/' ? '/' + name : p.dir.path + '/' + name;
        const f = p.dir.node.create(name, stripSgid(c.creds, p.dir.node.peek(), mode & ~c.fs.umask & 0o7777), c.creds, flags, fpath);
        if (typeof f === 'number') return f;
        this.changed(p.dir, DN_CREATE, 0);
        this.fsnotify.nameEvent(p.dir.node, name, IN_CREATE);
        f.flags = fileFlags(flags);
        f.closeNotify = this.closed;
        const created = p.dir.node.lookup(name);
        if (typeof created !== 'number') {
          this.holdWriteAccess(f, created.peek(), created.fs instanceof HostFs);
          const loc: Loc = { path: fpath, node: created, mnt: p.dir.mnt, parent: p.dir };
          this.fpath.set(f, loc);
          this.notifyLoc(loc, IN_OPEN);
        }
        return f;
      }
      if (typeof r === 'number') return r;
      if (flags & O_EXCL) return -Errno.EEXIST;
      if (!r.node.isLink) return r;
      // O_CREAT through a symlink creates its target (unless O_NOFOLLOW)
      if (flags & O_NOFOLLOW) return -Errno.ELOOP;
      if (r.node.magic() !== null) return this.follow(nd, r);
      if (nd.resolve & RESOLVE_NO_SYMLINKS) return -Errno.ELOOP;
      if (++nd.links > MAXSYMLINKS) return -Errno.ELOOP;
      const target = r.node.readlink();
      if (typeof target === 'number') return target;
      if (target === '') return -Errno.ENOENT;
      p = this.walkParent(nd, p.dir, target, r.mnt);
    }
  }

  /** O_TMPFILE (do_tmpfile): an unnamed file in the directory path names; O_WRONLY or O_RDWR only. */
  private openTmpfile(c: FsCaller, nd: Nd, s: Loc, path: string, flags: number, mode: number): File | number {
    const acc = flags & O_ACCMODE;
    if (acc !== O_WRONLY && acc !== O_RDWR) return -Errno.EINVAL;
    const dir = this.walk(nd, s, path, true);
    if (typeof dir === 'number') return dir;
    if (!dir.node.isDir) return -Errno.ENOTDIR;
    const e = this.mayCreate(nd, dir);
    if (e < 0) return e;
    const f = dir.node.tmpfile(stripSgid(c.creds, dir.node.peek(), mode & ~c.fs.umask & 0o7777), c.creds, flags & ~O_TMPFILE, dir.path === '/' ? '/#tmpfile' : dir.path + '/#tmpfile');
    if (typeof f === 'number') return f;
    f.flags = fileFlags(flags);
    f.closeNotify = this.tmpfileClosed;
    this.holdWriteAccess(f, f.stat(), f instanceof HostFile);
    const node = f instanceof HostFile ? new OpenHostNode(f.h.fs, f) : f instanceof TmpFile ? f.node : null;
    if (node) this.fpath.set(f, { path: f.path, node, mnt: dir.mnt, parent: dir });
    return f;
  }

  /**
   * Open an existing Loc (may_open + the filesystem's open). exec: execve's
   * open (FMODE_EXEC), which FIFOs and sockets refuse before they could block.
   * FIFOs get their pipe from the FIFO table; device nodes outside devfs open
   * umlts's device of that number (EACCES on a nodev mount).
   */
  private openLoc(c: FsCaller, loc: Loc, flags: number, exec = false): File | number {
    const node = loc.node;
    const st = node.peek();
    const type = st.mode & S_IFMT;
    const acc = flags & O_ACCMODE;
    if (type === S_IFLNK) return -Errno.ELOOP; // O_NOFOLLOW met a symlink
    if (exec && (type === S_IFIFO || type === S_IFSOCK)) return -Errno.EACCES;
    if (type === S_IFDIR) {
      if (acc !== O_RDONLY || flags & O_CREAT) return -Errno.EISDIR;
    } else if (flags & O_DIRECTORY) {
      return -Errno.ENOTDIR;
    }
    let mask = acc === O_RDONLY ? MAY_READ : acc === O_WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE;
    if (flags & O_TRUNC) mask |= MAY_WRITE;
    const pe = permission(st, c.creds, mask);
    if (pe < 0) return pe;
    if (mask & MAY_WRITE && loc.mnt.readonly && (type === S_IFREG || type === S_IFDIR)) return -Errno.EROFS;
    // devices of umlts's own filesystems open themselves; a node elsewhere opens the device its number names
    const special = !(node instanceof OpenFileNode) && node.fs !== this.devfs && node.fs !== this.devpts;
    if (special && (type === S_IFCHR || type === S_IFBLK) && /(^|,)nodev(,|$)/.test(loc.mnt.options)) return -Errno.EACCES;
    // do_dentry_open's get_write_access, before the file's open (and O_TRUNC's truncation, handle_truncate's
    // even for O_RDONLY): a running program is not opened for writing nor truncated (a file outside the VFS
    // reopened through /proc/<pid>/fd, OpenFileNode, is that open file itself, which has its access already)
    const reg = type === S_IFREG && !(node instanceof OpenFileNode), writes = reg && acc !== O_RDONLY;
    if ((writes || (reg && flags & O_TRUNC)) && this.writeCounts.busy(inodeKey(st, node.fs instanceof HostFs))) return -Errno.ETXTBSY;
    let f: File | number;
    if (type === S_IFDIR) {
      f = new DirFile(this, loc, fileFlags(flags));
    } else if (special && type === S_IFIFO) {
      // a host FIFO's attributes come through a handle on it (fstat after an unlink or rename)
      const attrs = node instanceof HostNode ? node.openAttrs() : null;
      if (typeof attrs === 'number') return attrs;
      f = this.fifos.open(node, st, fileFlags(flags), loc.path, attrs);
      if (typeof f === 'number') return f;
    } else if (special && (type === S_IFCHR || type === S_IFBLK)) {
      f = this.devfs.openDevice(type === S_IFBLK, st.rdev, flags, loc.path, { ...st });
      if (typeof f === 'number') return f;
      f.flags = fileFlags(flags);
    } else {
      f = node.open(flags, loc.path, c.creds);
      if (typeof f === 'number') return f;
      if (node instanceof OpenFileNode) return f; // the same open file, flags and all
      f.flags = fileFlags(flags);
    }
    this.fpath.set(f, loc);
    f.closeNotify = this.closed;
    if (writes) this.holdWriteAccess(f, st, node.fs instanceof HostFs);
    if (this.fsnotify.active) {
      // vfs_open's fsnotify_open, then handle_truncate's notify_change (ATTR_SIZE: IN_MODIFY)
      this.notifyLoc(loc, IN_OPEN);
      if (flags & O_TRUNC && type === S_IFREG) this.notifyLoc(loc, IN_MODIFY);
    }
    return f;
  }

  // ---- attributes ---------------------------------------------------------------------------

  stat(c: FsCaller, at: File | null, path: string, follow: boolean): Stat | number {
    if (path === '') return -Errno.ENOENT;
    const s = this.start(c, at, path);
    if (typeof s === 'number') return s;
    const nd = ndFor(c.creds, c.fs.root ?? this.rootLoc);
    const loc = this.walk(nd, s, path, follow);
    if (typeof loc === 'number') return loc;
    // a lookup of this walk just read the attributes: one host fstatat saved per stat(2)
    return loc === nd.made ? { ...loc.node.peek() } : loc.node.stat();
  }

  /**
   * statx(2) (vfs_statx): the attributes as the filesystem keeps them for
   * statx (mask: what the caller asked), the id of the mount the path ends
   * on, and whether it ends on that mount's root (STATX_ATTR_MOUNT_ROOT).
   * f: an open file instead of a path (AT_EMPTY_PATH).
   */
  statx(c: FsCaller, at: File | null, path: string, follow: boolean, mask: number): StatxAnswer | number {
    if (path === '') return -Errno.ENOENT;
    const s = this.start(c, at, path);
    if (typeof s === 'number') return s;
    const loc = this.walk(ndFor(c.creds, c.fs.root ?? this.rootLoc), s, path, follow);
    if (typeof loc === 'number') return loc;
    const st = loc.node.statx(mask);
    return typeof st === 'number' ? st : { st, mntId: this.mntIdOf(loc.mnt), mountRoot: loc.node === loc.mnt.root };
  }
  statxFile(f: File, mask: number): StatxAnswer | number {
    const st = f.statx(mask), loc = this.fpath.get(f);
    return typeof st === 'number' ? st : { st, mntId: this.mntIdOf(loc?.mnt), mountRoot: loc !== undefined && loc.node === loc.mnt.root };
  }

  readlink(c: FsCaller, at: File | null, path: string): string | number {
    const loc = this.resolve(c, at, path, false);
    if (typeof loc === 'number') return loc;
    return loc.node.readlink();
  }

  /**
   * access/faccessat (do_faccessat). The caller passes the credentials to
   * check with: the real ids for access(2), the effective ones with AT_EACCESS.
   */
  access(c: FsCaller, at: File | null, path: string, mode: number, follow: boolean): number {
    const loc = this.resolve(c, at, path, follow);
    if (typeof loc === 'number') return loc;
    return this.accessLoc(c, loc, mode);
  }
  accessLoc(c: FsCaller, loc: Loc, mode: number): number {
    if (mode === F_OK) return 0;
    const st = loc.node.peek();
    const type = st.mode & S_IFMT;
    if (mode & W_OK && loc.mnt.readonly && (type === S_IFREG || type === S_IFDIR || type === S_IFLNK)) return -Errno.EROFS;
    return permission(st, c.creds, mode & 7);
  }

  /** statfs(2) */
  statfs(c: FsCaller, at: File | null, path: string): StatFs | number {
    const loc = this.resolve(c, at, path, true);
    if (typeof loc === 'number') return loc;
    return this.statfsLoc(loc);
  }
  statfsLoc(loc: Loc): StatFs | number {
    const r = loc.mnt.fs.statfs(loc.node);
    if (typeof r !== 'number' && loc.mnt.readonly) r.flags |= 1; // ST_RDONLY
    return r;
  }

  /** chmod/fchmodat: the owner or CAP_FOWNER only (inode_owner_or_capable). */
  chmodLoc(c: FsCaller, loc: Loc, mode: number): number {
    if (loc.node.setattrRefused) return loc.node.setattrRefused;
    const st = loc.node.peek();
    if (c.creds.fsuid !== st.uid && !fsCapable(c.creds, CAP_FOWNER)) return -Errno.EPERM;
    if (loc.mnt.readonly) return -Errno.EROFS;
    // setattr_prepare: S_ISGID only for a member of the file's group (or CAP_FSETID), silently
    if (!inGroupOrCapable(c.creds, st.gid)) mode &= ~S_ISGID;
    this.modeGen++;
    return this.notified(loc, IN_ATTRIB, loc.node.setattr({ mode: mode & 0o7777 }));
  }
  /** chown/fchownat (chown_ok, chgrp_ok): CAP_CHOWN, or the owner giving the file to one of its groups. */
  chownLoc(c: FsCaller, loc: Loc, uid: number, gid: number): number {
    if (loc.node.setattrRefused) return loc.node.setattrRefused;
    const st = loc.node.peek();
    const cr = c.creds;
    if (!fsCapable(cr, CAP_CHOWN)) {
      if (uid !== -1 && uid !== st.uid) return -Errno.EPERM;
      if (gid !== -1 && gid !== st.gid) {
        if (cr.fsuid !== st.uid) return -Errno.EPERM;
        if (gid !== cr.fsgid && !cr.groups.includes(gid)) return -Errno.EPERM;
      }
    }
    if (loc.mnt.readonly) return -Errno.EROFS;
    const a: SetAttr = { uid, gid };
    // chown clears setuid, and setgid of a group-executable file or of one whose group the caller is not in
    // (notify_change's ATTR_KILL_SUID/SGID: setattr_should_drop_sgid); that mode change is the owner's to make
    if ((st.mode & S_IFMT) !== S_IFDIR && st.mode & (S_ISUID | S_ISGID)) {
      const sgid = st.mode & S_IXGRP || !inGroupOrCapable(cr, st.gid) ? S_ISGID : 0;
      if (st.mode & (S_ISUID | sgid)) {
        if (cr.fsuid !== st.uid && !fsCapable(cr, CAP_FOWNER)) return -Errno.EPERM;
        a.mode = st.mode & 0o7777 & ~(S_ISUID | sgid);
      }
    }
    this.modeGen++;
    return this.notified(loc, IN_ATTRIB, loc.node.setattr(a));
  }
  /** truncate(2) by path: write permission, a regular file. */
  truncateLoc(c: FsCaller, loc: Loc, len: number): number {
    if (len < 0) return -Errno.EINVAL;
    const st = loc.node.peek();
    const type = st.mode & S_IFMT;
    if (type === S_IFDIR) return -Errno.EISDIR;
    if (type !== S_IFREG) return -Errno.EINVAL;
    const pe = permission(st, c.creds, MAY_WRITE);
    if (pe < 0) return pe;
    if (loc.mnt.readonly) return -Errno.EROFS;
    // vfs_truncate's get_write_access
    if (this.writeCounts.busy(inodeKey(st, loc.node.fs instanceof HostFs))) return -Errno.ETXTBSY;
    // do_truncate: the setuid and setgid bits go with the change (dentry_needs_remove_privs)
    const kill = privsToKill(c.creds, st.mode);
    return this.notified(loc, IN_MODIFY, loc.node.setattr(kill ? { size: len, mode: st.mode & 0o7777 & ~kill } : { size: len }));
  }
  /**
   * utimensat: explicit times need the owner (or root); "now" (null) needs
   * the owner or write permission. undefined leaves a time alone.
   */
  utimesLoc(c: FsCaller, loc: Loc, atimeNs: bigint | undefined, mtimeNs: bigint | undefined, explicit: boolean): number {
    const st = loc.node.peek();
    const owner = c.creds.fsuid === st.uid || fsCapable(c.creds, CAP_FOWNER);
    // "now" is checked by notify_change itself (ATTR_TOUCH), explicit times by setattr_prepare: after an
    // anonymous inode's refusal
    if (!explicit && !owner && permission(st, c.creds, MAY_WRITE) < 0) return -Errno.EACCES;
    if (loc.node.setattrRefused) return loc.node.setattrRefused;
    if (explicit && !owner) return -Errno.EPERM;
    if (loc.mnt.readonly) return -Errno.EROFS;
    // fsnotify_change: both times are IN_ATTRIB (a utimes), one alone is IN_ACCESS or IN_MODIFY
    const mask = atimeNs !== undefined && mtimeNs !== undefined ? IN_ATTRIB : atimeNs !== undefined ? IN_ACCESS : mtimeNs !== undefined ? IN_MODIFY : 0;
    return this.notified(loc, mask, loc.node.setattr({ atimeNs, mtimeNs }));
  }

  /** chdir: sets c.fs.cwd. */
  chdir(c: FsCaller, at: File | null, path: string): number {
    const loc = this.resolve(c, at, path, true);
    if (typeof loc === 'number') return loc;
    // (a walk from the cwd or the root found a path true now: no refresh due; from a dirfd, maybe stale)
    return this.chdirLoc(c, loc, at === null);
  }
  /**
   * chroot(2) (ksys_chroot): a directory (ENOTDIR from the walk), its
   * search permission (EACCES), CAP_SYS_CHROOT (EPERM); the cwd stays where
   * it is, as on Linux (outside the new root if it was).
   */
  chroot(c: FsCaller, at: File | null, path: string, mayChroot: boolean): number {
    const loc = this.resolve(c, at, path, true);
    if (typeof loc === 'number') return loc;
    if (!loc.node.isDir) return -Errno.ENOTDIR;
    const pe = permission(loc.node.peek(), c.creds, MAY_EXEC);
    if (pe < 0) return pe;
    if (!mayChroot) return -Errno.EPERM;
    // the root as a Loc with no way back: '..' stops there, and nothing above it is reached by a walk from it
    c.fs.root = sameLoc(loc, this.rootLoc) ? undefined : { path: loc.path, node: loc.node, mnt: loc.mnt, parent: null };
    return 0;
  }

  /** A guest path as the caller sees it (d_path against its root): a path under its root, or Linux's
   * "(unreachable)" prefix for one outside it. */
  pathFor(c: FsCaller, path: string): string {
    const root = c.fs.root;
    if (!root) return path;
    if (path === root.path) return '/';
    if (path.startsWith(root.path + '/')) return path.slice(root.path.length);
    return '(unreachable)' + path;
  }

  chdirLoc(c: FsCaller, loc: Loc, fresh = false): number {
    if (!loc.node.isDir) return -Errno.ENOTDIR;
    const pe = permission(loc.node.peek(), c.creds, MAY_EXEC);
    if (pe < 0) return pe;
    c.fs.cwd = loc.path;
    c.fs.cwdLoc = loc;
    // fresh: its path is where it is now (cwdLoc need not recompute it: that costs the depth of the tree)
    c.fs.cwdRenames = fresh && loc.node instanceof TmpDir ? loc.node.fs.dirRenames : undefined;
    return 0;
  }

  // ---- namespace changes ------------------------------------------------------------------

  /** A change in directory dir (DN_* events) for whoever registered with F_NOTIFY; passes r through. */
  private changed<T>(dir: Loc, events: number, r: T): T {
    if (typeof r !== 'number' || r >= 0) this.dnotify.event(dir.node.peek(), events);
    return r;
  }

  // ---- inotify: fsnotify.h's hooks --------------------------------------------------------

  /**
   * An event of the file at loc (fsnotify_parent, then the inode's own
   * watches): its directory hears it with its name if loc is still that
   * directory's entry for the file, or the file has no name any more
   * (IN_EXCL_UNLINK watches then do not hear it). A mount's root has no
   * directory here (Linux's walk up stops at IS_ROOT).
   */
  notifyLoc(loc: Loc, mask: number): void {
    const fsn = this.fsnotify;
    if (!fsn.active) return;
    const name = loc.path.slice(loc.path.lastIndexOf('/') + 1);
    let dir: Node | null = null;
    let unlinked = false;
    if (loc.parent && loc.node !== loc.mnt.root && fsn.watchesHere(loc.parent.node)) {
      const st = loc.node.peek();
      if (st.nlink === 0) {
        dir = loc.parent.node;
        unlinked = true;
      } else {
        const n = loc.parent.node.lookup(name);
        if (typeof n !== 'number' && n.peek().ino === st.ino) dir = loc.parent.node;
      }
    }
    fsn.childEvent(dir, name, loc.node, mask, unlinked);
  }

  /** An event of an open File (read, write, ftruncate, getdents), at the place it was opened. */
  /** file_remove_privs: a write, truncate or fallocate through f by c clears S_ISUID and a real S_ISGID
   * (should_remove_suid). Looked at once per open file until a chmod or chown (modeGen: the S_NOSEC cache). */
  removePrivs(c: FsCaller, f: File): void {
    if (f.noSecGen === this.modeGen) return;
    const st = f.stat();
    if (typeof st === 'number') return;
    const kill = privsToKill(c.creds, st.mode);
    if (kill === 0) {
      if (!(st.mode & (S_ISUID | S_ISGID))) f.noSecGen = this.modeGen;
      return;
    }
    // (its inode: a host file's through its open fd, whatever its name is now)
    const node = f instanceof HostFile ? new OpenHostNode(f.h.fs, f) : this.fpath.get(f)?.node;
    if (node?.setattr({ mode: st.mode & 0o7777 & ~kill }) === 0) this.notifyFile(f, IN_ATTRIB);
  }

  notifyFile(f: File, mask: number): void {
    if (!this.fsnotify.active) return;
    const loc = this.fpath.get(f);
    if (loc) this.notifyLoc(loc, mask);
  }

  /** notify_change's fsnotify_change after a successful setattr; passes r through. */
  private notified(loc: Loc, mask: number, r: number): number {
    if (r === 0 && mask) this.notifyLoc(loc, mask);
    return r;
  }

  /** fsnotify_create/fsnotify_mkdir: name is new in dir (isDir: IN_ISDIR); passes r through. */
  private created(dir: Loc, name: string, isDir: number, r: number): number {
    if (r === 0) this.fsnotify.nameEvent(dir.node, name, IN_CREATE | isDir);
    return r;
  }

  /** A file just opened for writing holds its inode's write access (st: its attributes; host: a hostfs inode;
   * a new inode's cannot be denied: no program runs from it). */
  private holdWriteAccess(f: File, st: Stat | number, host: boolean): void {
    if (!f.writable) return;
    if (typeof st === 'number' || (st.mode & S_IFMT) !== S_IFREG) return;
    const key = inodeKey(st, host);
    if (this.writeCounts.get(key) === 0) this.writeHeld.set(f, key);
  }
  /** __fput's put_file_access: a file opened for writing gives its write access back. */
  private dropWriteAccess(f: File): void {
    const key = this.writeHeld.get(f);
    if (key === undefined) return;
    this.writeHeld.delete(f);
    this.writeCounts.put(key);
  }
  /**
   * Exec's deny_write_access (do_open_execat) on a program or interpreter
   * it opened: held until its release, or -ETXTBSY while a file open for
   * writing holds the inode.
   */
  denyWriteAccess(f: File): ExeDenial | number {
    const st = f.stat();
    if (typeof st === 'number') return st;
    return this.writeCounts.deny(inodeKey(st, f instanceof HostFile), f);
  }

  /** __fput's fsnotify_close; then a tmpfs file unlinked while open is gone with its last close. */
  private fileClosed(f: File): void {
    this.dropWriteAccess(f);
    if (!this.fsnotify.active) return;
    const loc = this.fpath.get(f);
    if (!loc) return;
    this.notifyLoc(loc, f.writable ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
    if (loc.node instanceof TmpReg && this.gone(loc.node)) this.fsnotify.inodeRemoved(loc.node);
  }

  /** node's last link went and no open file holds it: its inode goes (fsnotify_inoderemove). */
  private gone(node: Node): boolean {
    return node.peek().nlink === 0 && !(node instanceof TmpReg && node.opens > 0);
  }

  /** fsnotify_move for a rename done (twice for RENAME_EXCHANGE), then the replaced inode's removal. */
  private renamed(op: Parent, np: Parent, src: Loc, dst: Loc | null, flags: number): void {
    const fsn = this.fsnotify;
    const move = (from: Parent, to: Parent, moved: Loc, target: Loc | null): void => {
      const cookie = fsn.newCookie();
      const isDir = moved.node.isDir ? IN_ISDIR : 0;
      fsn.nameEvent(from.dir.node, from.last, IN_MOVED_FROM | isDir, cookie);
      fsn.nameEvent(to.dir.node, to.last, IN_MOVED_TO | isDir, cookie);
      if (target) fsn.inodeEvent(target.node, IN_ATTRIB);
      fsn.inodeEvent(moved.node, IN_MOVE_SELF);
    };
    if (flags & RENAME_EXCHANGE && dst) {
      move(op, np, src, null);
      move(np, op, dst, null);
      return;
    }
    move(op, np, src, dst);
    if (dst && this.gone(dst.node)) fsn.inodeRemoved(dst.node);
  }

  /** may_create: write and search permission in dir, a writable mount. */
  private mayCreate(nd: Nd, dir: Loc): number {
    if (dir.mnt.readonly) return -Errno.EROFS;
    return permission(dir.node.peek(), nd.cred, MAY_WRITE | MAY_EXEC);
  }

  /** filename_create: the directory and name for a new entry (EEXIST if it exists). */
  private createTarget(c: FsCaller, at: File | null, path: string, allowSlash: boolean): { nd: Nd; dir: Loc; name: string } | number {
    if (path === '') return -Errno.ENOENT;
    const s = this.start(c, at, path);
    if (typeof s === 'number') return s;
    const nd = ndFor(c.creds, c.fs.root ?? this.rootLoc);
    const p = this.walkParent(nd, s, path);
    if (typeof p === 'number') return p;
    if (p.last === '' || p.last === '.' || p.last === '..') return -Errno.EEXIST;
    const r = this.step(nd, p.dir, p.last, false);
    if (typeof r !== 'number') return -Errno.EEXIST;
    if (r !== -Errno.ENOENT) return r;
    if (p.slash && !allowSlash) return -Errno.ENOENT;
    const e = this.mayCreate(nd, p.dir);
    if (e < 0) return e;
    return { nd, dir: p.dir, name: p.last };
  }

  /** may_delete: permissions, the sticky bit, mount points. */
  private mayDelete(nd: Nd, dir: Loc, victim: Loc): number {
    if (victim.mnt !== dir.mnt) return -Errno.EBUSY; // a mount point
    if (dir.mnt.readonly) return -Errno.EROFS;
    const dst = dir.node.peek();
    const pe = permission(dst, nd.cred, MAY_WRITE | MAY_EXEC);
    if (pe < 0) return pe;
    const uid = nd.cred.fsuid;
    if (dst.mode & 0o1000 && uid !== 0 && uid !== dst.uid && uid !== victim.node.peek().uid) return -Errno.EPERM;
    return 0;
  }

  mkdir(c: FsCaller, at: File | null, path: string, mode: number): number {
    const t = this.createTarget(c, at, path, true);
    if (typeof t === 'number') return t;
    return this.created(t.dir, t.name, IN_ISDIR, this.changed(t.dir, DN_CREATE, t.dir.node.mkdir(t.name, mode & ~c.fs.umask & 0o1777, c.creds)));
  }

  /**
   * mknod/mknodat and a unix socket's bind (fs/namei.c do_mknodat): mode
   * holds the type (S_IFIFO, S_IFSOCK, S_IFREG or 0, a device) and the
   * permission bits, the umask still to apply. A device node needs
   * CAP_MKNOD, checked after the name (EEXIST first), except a
   * whiteout (character device 0:0). Returns the new node's Loc (bind keys
   * its socket by the node's identity).
   */
  mknod(c: FsCaller, at: File | null, path: string, mode: number, rdev: number): Loc | number {
    const type = mode & S_IFMT;
    // may_mknod
    if (type === S_IFDIR) return -Errno.EPERM;
    if (type !== S_IFREG && type !== 0 && type !== S_IFCHR && type !== S_IFBLK && type !== S_IFIFO && type !== S_IFSOCK) return -Errno.EINVAL;
    const t = this.createTarget(c, at, path, false);
    if (typeof t === 'number') return t;
    const device = type === S_IFCHR || type === S_IFBLK;
    const whiteout = type === S_IFCHR && rdev === 0;
    if (device && !whiteout && !fsCapable(c.creds, CAP_MKNOD)) return -Errno.EPERM;
    const perm = stripSgid(c.creds, t.dir.node.peek(), mode & ~c.fs.umask & 0o7777);
    if (type === S_IFREG || type === 0) {
      const f = t.dir.node.create(t.name, perm, c.creds, 0, path);
      if (typeof f === 'number') return f;
      f.put();
    } else {
      const r = t.dir.node.mknod(t.name, type | perm, device ? rdev : 0, c.creds);
      if (r < 0) return r;
    }
    this.changed(t.dir, DN_CREATE, 0);
    this.created(t.dir, t.name, 0, 0);
    const n = t.dir.node.lookup(t.name);
    if (typeof n === 'number') return n;
    return { path: t.dir.path === '/' ? '/' + t.name : t.dir.path + '/' + t.name, node: n, mnt: t.dir.mnt, parent: t.dir };
  }

  symlink(c: FsCaller, target: string, at: File | null, path: string): number {
    if (target === '') return -Errno.ENOENT;
    const t = this.createTarget(c, at, path, false);
    if (typeof t === 'number') return t;
    return this.created(t.dir, t.name, 0, this.changed(t.dir, DN_CREATE, t.dir.node.symlink(t.name, target, c.creds)));
  }

  link(c: FsCaller, oldAt: File | null, oldPath: string, newAt: File | null, newPath: string, follow: boolean): number {
    const src = this.resolve(c, oldAt, oldPath, follow);
    if (typeof src === 'number') return src;
    return this.linkLoc(c, src, newAt, newPath);
  }
  /** linkat with the source already resolved (AT_EMPTY_PATH: an open file, maybe an O_TMPFILE one). */
  linkLoc(c: FsCaller, src: Loc, newAt: File | null, newPath: string): number {
    const t = this.createTarget(c, newAt, newPath, false);
    if (typeof t === 'number') return t;
    if (src.mnt !== t.dir.mnt) return -Errno.EXDEV;
    // may_linkat under fs.protected_hardlinks = 1 (Debian's and most distributions' setting): another's file only
    // if it is a safe source (regular, neither setuid nor setgid-executable, readable and writable by the caller)
    const sst = src.node.peek();
    if (c.creds.fsuid !== sst.uid && !fsCapable(c.creds, CAP_FOWNER)) {
      const safe = (sst.mode & S_IFMT) === S_IFREG && !(sst.mode & S_ISUID) && (sst.mode & (S_ISGID | S_IXGRP)) !== (S_ISGID | S_IXGRP) &&
        permission(sst, c.creds, MAY_READ | MAY_WRITE) === 0;
      if (!safe) return -Errno.EPERM;
    }
    if (src.node.isDir) return -Errno.EPERM;
    if (src.node instanceof OpenFileNode) return -Errno.EXDEV;
    const r = this.changed(t.dir, DN_CREATE, t.dir.node.link(t.name, src.node));
    // fsnotify_link: the link count, then the new name
    if (r === 0) this.fsnotify.inodeEvent(src.node, IN_ATTRIB);
    return this.created(t.dir, t.name, 0, r);
  }

  /** unlink/unlinkat (without AT_REMOVEDIR). */
  unlink(c: FsCaller, at: File | null, path: string): number {
    if (path === '') return -Errno.ENOENT;
    const s = this.start(c, at, path);
    if (typeof s === 'number') return s;
    const nd = ndFor(c.creds, c.fs.root ?? this.rootLoc);
    const p = this.walkParent(nd, s, path);
    if (typeof p === 'number') return p;
    if (p.last === '' || p.last === '.' || p.last === '..') return -Errno.EISDIR;
    const v = this.step(nd, p.dir, p.last, false);
    if (typeof v === 'number') return v;
    if (p.slash) return v.node.isDir ? -Errno.EISDIR : -Errno.ENOTDIR;
    const e = this.mayDelete(nd, p.dir, v);
    if (e < 0) return e;
    if (v.node.isDir) return -Errno.EISDIR;
    const r = this.changed(p.dir, DN_DELETE, p.dir.node.unlink(p.last));
    if (r === 0 && this.fsnotify.active) {
      // vfs_unlink: fsnotify_link_count, then d_delete_notify (the inode's removal if nothing holds it, then the name)
      this.fsnotify.inodeEvent(v.node, IN_ATTRIB);
      if (this.gone(v.node)) this.fsnotify.inodeRemoved(v.node);
      this.fsnotify.nameEvent(p.dir.node, p.last, IN_DELETE);
    }
    return r;
  }

  rmdir(c: FsCaller, at: File | null, path: string): number {
    if (path === '') return -Errno.ENOENT;
    const s = this.start(c, at, path);
    if (typeof s === 'number') return s;
    const nd = ndFor(c.creds, c.fs.root ?? this.rootLoc);
    const p = this.walkParent(nd, s, path);
    if (typeof p === 'number') return p;
    if (p.last === '.') return -Errno.EINVAL;
    if (p.last === '..') return -Errno.ENOTEMPTY;
    if (p.last === '') return -Errno.EBUSY;
    const v = this.step(nd, p.dir, p.last, false);
    if (typeof v === 'number') return v;
    if (!v.node.isDir) return -Errno.ENOTDIR;
    const e = this.mayDelete(nd, p.dir, v);
    if (e < 0) return e;
    const r = this.changed(p.dir, DN_DELETE, p.dir.node.rmdir(p.last));
    if (r === 0 && this.fsnotify.active) {
      if (this.gone(v.node)) this.fsnotify.inodeRemoved(v.node);
      this.fsnotify.nameEvent(p.dir.node, p.last, IN_DELETE | IN_ISDIR);
    }
    return r;
  }

  /** rename/renameat/renameat2. */
  rename(c: FsCaller, oldAt: File | null, oldPath: string, newAt: File | null, newPath: string, flags: number): number {
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return -Errno.EINVAL;
    if (flags & RENAME_EXCHANGE && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) return -Errno.EINVAL;
    if (flags & RENAME_WHITEOUT) return -Errno.EINVAL; // overlayfs only
    if (oldPath === '' || newPath === '') return -Errno.ENOENT;
    const nd = ndFor(c.creds, c.fs.root ?? this.rootLoc);
    const os = this.start(c, oldAt, oldPath);
    if (typeof os === 'number') return os;
    const op = this.walkParent(nd, os, oldPath);
    if (typeof op === 'number') return op;
    const ns = this.start(c, newAt, newPath);
    if (typeof ns === 'number') return ns;
    const np = this.walkParent(nd, ns, newPath);
    if (typeof np === 'number') return np;
    const special = (n: string): boolean => n === '' || n === '.' || n === '..';
    if (special(op.last) || special(np.last)) return -Errno.EBUSY;
    if (op.dir.mnt !== np.dir.mnt) return -Errno.EXDEV;
    const src = this.step(nd, op.dir, op.last, false);
    if (typeof src === 'number') return src;
    const dst = this.step(nd, np.dir, np.last, false);
    if (typeof dst === 'number' && (dst !== -Errno.ENOENT || flags & RENAME_EXCHANGE)) return dst;
    if (typeof dst !== 'number' && flags & RENAME_NOREPLACE) return -Errno.EEXIST;
    const srcDir = src.node.isDir;
    if (!srcDir && (op.slash || (np.slash && !(flags & RENAME_EXCHANGE)))) return -Errno.ENOTDIR;
    if (typeof dst !== 'number' && dst.node.isDir && !srcDir && !(flags & RENAME_EXCHANGE)) return -Errno.EISDIR;
    if (typeof dst !== 'number' && srcDir && !dst.node.isDir && !(flags & RENAME_EXCHANGE)) return -Errno.ENOTDIR;
    // a directory cannot move below itself
    const newFull = np.dir.path === '/' ? '/' + np.last : np.dir.path + '/' + np.last;
    if (srcDir && (newFull + '/').startsWith(src.path + '/') && newFull !== src.path) return -Errno.EINVAL;
    if (typeof dst !== 'number' && dst.node.isDir && flags & RENAME_EXCHANGE) {
      const oldFull = src.path;
      if ((oldFull + '/').startsWith(dst.path + '/') && oldFull !== dst.path) return -Errno.EINVAL;
    }
    let e = this.mayDelete(nd, op.dir, src);
    if (e < 0) return e;
    if (typeof dst !== 'number') e = this.mayDelete(nd, np.dir, dst);
    else e = this.mayCreate(nd, np.dir);
    if (e < 0) return e;
    // a directory moving to another parent has its '..' rewritten: write permission on it (on both, exchanged)
    if (np.dir.path !== op.dir.path) {
      if (srcDir && (e = permission(src.node.peek(), c.creds, MAY_WRITE)) < 0) return e;
      if (flags & RENAME_EXCHANGE && typeof dst !== 'number' && dst.node.isDir && (e = permission(dst.node.peek(), c.creds, MAY_WRITE)) < 0) return e;
    }
    // renaming a name onto another of the same inode does nothing (vfs_rename: source == target)
    const same = typeof dst !== 'number' && src.node.fs === dst.node.fs && src.node.peek().ino === dst.node.peek().ino;
    const r = op.dir.node.rename(op.last, np.dir.node, np.last, flags);
    if (r === 0 && np.dir.path !== op.dir.path) this.changed(np.dir, DN_RENAME, 0);
    if (r === 0 && !same && this.fsnotify.active) this.renamed(op, np, src, typeof dst === 'number' ? null : dst, flags);
    return this.changed(op.dir, DN_RENAME, r);
  }

  /** Directory listing of a Loc, with '.', '..' and the mount points in it. */
  listing(loc: Loc): DirEntry[] | number {
    const own = loc.node.readdir();
    if (typeof own === 'number') return own;
    const st = loc.node.peek();
    let pino = st.ino;
    const par = this.parentOf(ndFor(ROOT_CRED, this.rootLoc), loc);
    if (typeof par !== 'number') pino = par.node.peek().ino;
    const out: DirEntry[] = [{ ino: st.ino, type: DT_DIR, name: '.' }, { ino: pino, type: DT_DIR, name: '..' }];
    const mnames = this.mountNames.get(loc.path);
    if (mnames) {
      const have = new Set(own.map((e) => e.name));
      for (const n of mnames) {
        if (!have.has(n)) out.push({ ino: this.mounts.get(loc.path === '/' ? '/' + n : loc.path + '/' + n)!.root.peek().ino, type: DT_DIR, name: n });
      }
    }
    for (const e of own) out.push(e);
    return out;
  }
}

/** Credentials that pass every check (for the VFS's own canonical re-walks). Immutable
 * (a module-level object that nothing writes; not frozen). */
const ROOT_CRED: FsCred = { fsuid: 0, fsgid: 0, groups: [], capEffective: CAP_FULL_SET };

/** f_flags as Linux keeps them (do_dentry_open): no creation-time flags, O_LARGEFILE forced on 64-bit. */
export function fileFlags(flags: number): number {
  return (flags | O_LARGEFILE) & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
}

/** An open directory: getdents64 pages through listing() by index (File.pos). */
export class DirFile extends File {
  /** the listing, taken when reading starts at position 0; guarded by the JS thread (shared like pos) */
  private entries: DirEntry[] | null = null;
  /** vfs and loc: immutable */
  constructor(private readonly vfs: Vfs, readonly loc: Loc, flags: number) {
    super(flags, loc.path);
  }
  override read(): number {
    return -Errno.EISDIR;
  }
  override write(): number {
    return -Errno.EBADF;
  }
  override readdir(): DirEntry[] | number {
    if (this.entries === null || this.pos === 0) {
      const l = this.vfs.listing(this.loc);
      if (typeof l === 'number') return l;
      this.entries = l;
    }
    return this.entries;
  }
  override seek(off: number, whence: number): number {
    // dcache_dir_lseek: positions are entry indices; SEEK_END is not meaningful
    let p: number;
    if (whence === SEEK_SET) p = off;
    else if (whence === SEEK_CUR) p = this.pos + off;
    else return -Errno.EINVAL;
    if (p < 0) return -Errno.EINVAL;
    this.pos = p;
    return p;
  }
  override stat(): Stat | number {
    return this.loc.node.stat();
  }
  override emptyIo(_write: boolean, vectored: boolean): number {
    return vectored ? 0 : -Errno.EISDIR; // generic_read_dir
  }
  override fsync(): number {
    // noop_fsync or the disk's; procfs and sysfs (kernfs) directories have none
    const type = this.loc.mnt.fs.type;
    return type === 'proc' || type === 'sysfs' ? -Errno.EINVAL : 0;
  }
}

/** O_PATH: a location, usable as a dirfd, for fstat and fchdir; no I/O (EBADF). */
export class PathFile extends File {
  constructor(private readonly node: Node, flags: number, path: string) {
    super(flags, path);
  }
  override get readable(): boolean {
    return false;
  }
  override get writable(): boolean {
    return false;
  }
  override read(): number {
    return -Errno.EBADF;
  }
  override write(): number {
    return -Errno.EBADF;
  }
  override seek(): number {
    return -Errno.EBADF;
  }
  override readdir(): number {
    return -Errno.EBADF;
  }
  override ioctl(): number {
    return -Errno.EBADF;
  }
  override truncate(): number {
    return -Errno.EBADF;
  }
  override fsync(): number {
    return -Errno.EBADF;
  }
  override stat(): Stat | number {
    return this.node.stat();
  }
  override statx(mask: number): Stat | number {
    return this.node.statx(mask);
  }
}

/** The target of a magic link that is not a VFS file (a pipe, the console): opening it gives the file back. */
class OpenFileNode extends Node {
  constructor(private readonly f: File, readonly fs: FileSystem) {
    super();
  }
  peek(): Stat {
    const s = this.f.stat();
    if (typeof s !== 'number') return s;
    const e = emptyStat();
    e.mode = S_IFREG | 0o600;
    return e;
  }
  stat(): Stat | number {
    return this.f.stat();
  }
  override open(): File | number {
    // a socket's inode cannot be opened (sock_no_open)
    const st = this.f.stat();
    if (typeof st !== 'number' && (st.mode & S_IFMT) === S_IFSOCK) return -Errno.ENXIO;
    return this.f.get();
  }
  override setattr(a: SetAttr): number {
    return this.f.setattr(a);
  }
  override get setattrRefused(): number {
    return this.f.setattrRefused;
  }
}
