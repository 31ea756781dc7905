/**
 * struct file (an open file description) and the fd table (struct files_struct).
 *
 * A File is shared by every fd that dup()s it and by every process that
 * inherits it; its position and status flags are shared with it. Reference
 * counted: the last put() releases it. So a File's mutable state is guarded
 * by the JS thread (any holder's syscall may change it); subclasses say the
 * same of theirs unless noted.
 */
import { Errno } from '../abi/errno.js';
import { DirEntry, Mappable, Stat, O_ACCMODE, O_RDONLY, O_WRONLY, O_RDWR } from './types.js';
import type { SetAttr } from './node.js';
import { WaitQueue, Waiter, POLLIN, POLLRDNORM, POLLOUT, POLLPRI } from './waitqueue.js';
import { POLL_IN, POLL_OUT, POLL_PRI } from '../abi/signal.js';

/** Guest memory as fs code may touch it (for ioctl arguments and the like).
 * Implemented by mm's AddressSpace; throws ErrnoError(EFAULT) on a bad address. */
export interface UserMemory {
  read(addr: number, len: number): Uint8Array;
  write(addr: number, data: Uint8Array): void;
}

/**
 * struct fown_struct: who an open file's SIGURG (and SIGIO) goes to, as
 * fcntl F_SETOWN or F_SETOWN_EX set it. Immutable: F_SETOWN puts a new one.
 */
export interface FileOwner {
  /** F_OWNER_TID, F_OWNER_PID or F_OWNER_PGRP, and that thread's, process's or group's id */
  readonly type: number;
  readonly id: number;
  /** Send sig to the owner (each task of it the setter's credentials may signal: sigio_perm), from the kernel
   * (si_code SI_KERNEL), or with poll: si_code the POLL_* reason, si_band and si_fd (F_SETSIG's signal); made by
   * the syscall layer, which knows the tasks */
  readonly send: (sig: number, poll?: { code: number; band: number; fd: number }) => void;
}

export abstract class File {
  /** O_* access mode and status flags; guarded by the JS thread (fcntl F_SETFL changes them). */
  flags: number;
  /** f_owner (fcntl F_SETOWN, F_SETOWN_EX); null: nobody; guarded by the JS thread */
  owner: FileOwner | null = null;
  /** f_owner.signum (fcntl F_SETSIG): 0 for SIGIO; guarded by the JS thread */
  ownerSig = 0;
  /** O_ASYNC's watch on waitq (fasync_helper: fcntl F_SETFL adds it), gone with the flag or the file; guarded by
   * the JS thread */
  fasync: Waiter | null = null;
  /** S_NOSEC, per open file: the value of Vfs.modeGen when a write found no setuid/setgid bit to clear here (any
   * chmod or chown through the VFS since makes the next write look again); guarded by the JS thread (the write
   * path's Vfs.removePrivs) */
  noSecGen = -1;
  /** f_op->fasync: the file signals its owner when O_ASYNC is set (pipes, sockets, terminals, inotify) */
  get fasyncCapable(): boolean {
    return false;
  }
  /** its inode has no name left (d_unlinked: /proc/PID/fd's link says " (deleted)") */
  get unlinked(): boolean {
    return false;
  }
  /** d_path of the open file, as /proc/PID/fd shows it */
  get linkPath(): string {
    return this.unlinked && !this.path.endsWith(' (deleted)') ? `${this.path} (deleted)` : this.path;
  }
  /** The POLL_* reason kill_fasync gives for a wake-up of waitq with these events (0: none): data came
   * (POLL_IN), room (POLL_OUT), urgent data (POLL_PRI); a file whose wake-ups say more says so itself. */
  fasyncReason(events: number): number {
    if (events & (POLLIN | POLLRDNORM)) return POLL_IN;
    if (events & POLLOUT) return POLL_OUT;
    if (events & POLLPRI) return POLL_PRI;
    return 0;
  }
  /** file position; guarded by the JS thread */
  pos = 0;
  /** references: fds and in-flight syscalls; guarded by the JS thread */
  private refs = 1;
  /** fsnotify_close, for a file the VFS opened: called as the last reference goes, after release(); set once by
   * the VFS at open */
  closeNotify: ((f: File) => void) | null = null;

  constructor(flags: number, /** guest path, for /proc/<pid>/fd and strace; immutable */ readonly path: string) {
    this.flags = flags;
  }

  get readable(): boolean {
    const a = this.flags & O_ACCMODE;
    return a === O_RDONLY || a === O_RDWR;
  }
  get writable(): boolean {
    const a = this.flags & O_ACCMODE;
    return a === O_WRONLY || a === O_RDWR;
  }

  /** Read into buf at pos (null: at and advancing this.pos). Bytes read, 0 at EOF, or -errno (-EAGAIN: would block, see waitq). */
  read(_buf: Uint8Array, _pos: number | null): number {
    return -Errno.EINVAL;
  }
  /** Write buf at pos (null: at this.pos, or the end with O_APPEND). Bytes written or -errno. */
  write(_buf: Uint8Array, _pos: number | null): number {
    return -Errno.EINVAL;
  }
  /** lseek(2). New position or -errno. */
  seek(_off: number, _whence: number): number {
    return -Errno.ESPIPE;
  }
  /** FMODE_PREAD/FMODE_PWRITE: pread, pwrite (and splice's offsets) may name a position. A file that seeks
   * may, unless it only answers lseek without moving (noop_llseek's files say no). */
  get canPread(): boolean {
    const cur = this.pos;
    const r = this.seek(0, 1); // SEEK_CUR
    this.pos = cur;
    return r >= 0;
  }
  /**
   * What a read or write of no bytes returns. vfs_read and vfs_write hand even those to the file: most
   * answer 0 without looking; a directory's read says EISDIR, and files whose reads and writes are whole
   * records (eventfd's 8 bytes) or that have none say EINVAL. vectored (readv, writev and kin): vfs_readv
   * answers 0 itself, unless the file has no read (write) at all (FMODE_CAN_READ): EINVAL.
   */
  emptyIo(_write: boolean, _vectored: boolean): number {
    return 0;
  }
  stat(): Stat | number {
    return -Errno.EINVAL;
  }  /** statx(2)'s attributes (mask: what the caller asked for): stat's, unless the file's filesystem keeps more */
  statx(_mask: number): Stat | number {
    return this.stat();
  }

  /**
   * notify_change on the file's own inode, for a file with no place in the namespace (fchmod, fchown, futimens
   * of it, or chmod through /proc/<pid>/fd/N; the VFS has checked the caller): a pipe's and a socket's inodes
   * (pipefs, sockfs) take it. EPERM here: the console is the host's, not the guest's to change.
   */
  setattr(_a: SetAttr): number {
    return -Errno.EPERM;
  }
  /** What its inode's setattr answers whoever asks, before any permission check (anon_inode_setattr and
   * pidfs: EOPNOTSUPP); 0 if it may take one. */
  get setattrRefused(): number {
    return 0;
  }
  /** Whole directory listing (getdents64 pages through it with pos). -ENOTDIR for non-directories. */
  readdir(): DirEntry[] | number {
    return -Errno.ENOTDIR;
  }
  ioctl(_req: number, _arg: number, _mem: UserMemory): number {
    return -Errno.ENOTTY;
  }
  /**
   * Ready events now (POLLIN/POLLOUT...). Regular files are always ready.
   * poll/select/epoll call this and then sleep on waitq, so a file whose
   * readiness comes from outside the kernel (a host fd) must arm its wakeup
   * here for the events it reports not ready (ConsoleFile does).
   */
  poll(): number {
    return 0x1 | 0x4 | 0x40 | 0x100; // DEFAULT_POLLMASK: POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM
  }
  /** read(2) of 0 bytes reaches the file (inotify_read answers it); for others it is 0 at once. */
  get zeroLengthRead(): boolean {
    return false;
  }
  /** readv(2) reads each segment with a read of its own (a file with .read but no .read_iter:
   * do_loop_readv_writev), so a segment too small for a record fails as a read would. */
  get readsBySegment(): boolean {
    return false;
  }
  /** A blocking write waits for room until all of it is written (pipe_write, n_tty_write), not just some. */
  get writesAll(): boolean {
    return false;
  }
  /** Woken when poll() may have changed; null if it never changes. */
  get waitq(): WaitQueue | null {
    return null;
  }
  /** What mmap can fill private pages from (or map: hostMap); null if the file cannot be mapped (ENODEV).
   * shared: for a MAP_SHARED mapping (a tmpfs file then moves to a host memfd, shmem.ts). */
  mappable(_shared = false): Mappable | null {
    return null;
  }
  /** Its own filesystem forbids exec beyond what the guest's mount says (path_noexec: a pseudo filesystem's
   * SB_I_NOEXEC; a host file on a host noexec mount is not: its pages are copied, not mapped by the host). */
  get noExec(): boolean {
    return false;
  }
  /** A MAP_SHARED mapping of it is shared anonymous memory (mmap_zero: /dev/zero's). */
  get sharedMapsAnon(): boolean {
    return false;
  }
  /** mmap's answer when mappable() says no: ENODEV (no mmap in f_op) unless a file says otherwise. */
  get mmapErrno(): number {
    return -Errno.ENODEV;
  }
  /** truncate through this description */
  truncate(_len: number): number {
    return -Errno.EINVAL;
  }
  /** The file's own lines of /proc/<pid>/fdinfo/<fd>, after pos, flags, mnt_id and ino (f_op->show_fdinfo). */
  fdinfo(): string {
    return '';
  }
  /** fsync(2), fdatasync(2): -EINVAL unless the file has an fsync (f_op->fsync: regular files and the
   * directories of disk-like filesystems; not pipes, sockets, devices, procfs or anonymous inodes). */
  fsync(): number {
    return -Errno.EINVAL;
  }
  /** fdatasync(2): as fsync unless the file can leave its metadata out */
  fdatasync(): number {
    return this.fsync();
  }
  /**
   * fcntl(2) commands that belong to the file (pipe_fcntl's F_SETPIPE_SZ...),
   * asked by the syscall layer for any command it does not know. arg: the
   * raw 64-bit argument. caller: its effective capabilities
   * (CAP_SYS_RESOURCE).
   */
  fcntl(cmd: number, _arg: bigint, _caller: { readonly capEffective: number }): number {
    // F_SETPIPE_SZ / F_GETPIPE_SZ on anything but a pipe: EBADF (fs/pipe.c get_pipe_info)
    return cmd === 1031 || cmd === 1032 ? -Errno.EBADF : -Errno.EINVAL;
  }
  /** The last reference is gone (epoll drops its items on such files). */
  get released(): boolean {
    return this.refs === 0;
  }
  /** references held now (file_count: the unix garbage collector compares it with those in flight) */
  get refCount(): number {
    return this.refs;
  }
  /** Called once, when the last reference goes. */
  protected release(): void {}
  /** f_op->flush: process tgid closes one of its descriptors of this file (at every close, not only the last). */
  flush(_tgid: number): void {}

  get(): this {
    this.refs++;
    return this;
  }
  put(): void {
    if (--this.refs === 0) {
      // (__fput: fasync off)
      if (this.fasync) {
        this.waitq?.remove(this.fasync);
        this.fasync = null;
      }
      this.release();
      this.closeNotify?.(this);
    }
  }
}

/**
 * A VMA's view of an open file (mm's VmFile, structurally): it holds the File
 * open while mapped (get_file/fput per VMA) and shows the file's Mappable.
 * mmap's and shmat's views extend it with what they count. Immutable.
 */
export class MappedFile {
  readonly hostMap: Mappable['hostMap'];
  readonly size?: () => number;
  readonly rmap: Mappable['rmap'];
  constructor(protected readonly f: File, protected readonly m: Mappable) {
    this.hostMap = m.hostMap;
    this.rmap = m.rmap;
    if (m.size) this.size = () => m.size!();
  }
  fillHost(off: number, ptr: bigint, len: number): number {
    return this.m.fillHost(off, ptr, len);
  }
  /** the open file description mapped (a VMA's vm_file) */
  get openFile(): File {
    return this.f;
  }
  get mapName(): string {
    return this.m.mapName;
  }
  get mapDev(): number {
    return this.m.mapDev;
  }
  get mapIno(): number {
    return this.m.mapIno;
  }
  /** vfs_fsync_range with datasync: EINVAL for a file with no fsync (memfd_secret's, as on Linux) */
  sync(): number {
    return this.f.fdatasync();
  }
  get(): void {
    this.f.get();
  }
  put(): void {
    this.f.put();
  }
}

/** One fd: the table's reference on its File; owned by the FdTable that holds it. */
export interface FdEntry {
  file: File;
  /** FD_CLOEXEC (fcntl F_SETFD changes it) */
  cloexec: boolean;
}

/** struct files_struct. Owned by the tasks sharing it (CLONE_FILES): only their
 * syscalls, exec and exit write it; others (/proc/<pid>/fd) only read. */
export class FdTable {
  /** fd -> entry; owned by the tasks sharing the table */
  private readonly fds: Array<FdEntry | undefined> = [];
  /** tasks sharing this table (CLONE_FILES); the last to go closes every fd. Guarded by the JS thread. */
  users = 1;
  /** RLIMIT_NOFILE soft limit; owned by the tasks sharing the table (setrlimit/prlimit64 copies it here) */
  limit = 1024;
  /** files->next_fd: every fd below it is in use (where install's search for the lowest free one starts, so
   * that filling a table is not quadratic); owned as fds (install raises it, close lowers it) */
  private nextFd = 0;

  get(fd: number): File | null {
    return (fd >= 0 && this.fds[fd]?.file) || null;
  }
  entry(fd: number): FdEntry | undefined {
    return fd >= 0 ? this.fds[fd] : undefined;
  }
  /** Install at the lowest free fd >= min. Takes over the caller's reference. fd or -EMFILE. */
  install(file: File, cloexec: boolean, min = 0): number {
    for (let fd = Math.max(min, this.nextFd); fd < this.limit; fd++) {
      if (!this.fds[fd]) {
        this.fds[fd] = { file, cloexec };
        // (the fds from nextFd to here were in use: the search began at nextFd)
        if (min <= this.nextFd) this.nextFd = fd + 1;
        return fd;
      }
    }
    file.put();
    return -Errno.EMFILE;
  }
  /** Would install() find a free fd (>= min)? (clone's CLONE_PIDFD asks before it makes anything) */
  hasRoom(min = 0): boolean {
    for (let fd = Math.max(min, this.nextFd); fd < this.limit; fd++) if (!this.fds[fd]) return true;
    return false;
  }
  /** Install at exactly fd, closing what was there (dup2). Takes over the reference. */
  installAt(fd: number, file: File, cloexec: boolean): number {
    if (fd < 0 || fd >= this.limit) {
      file.put();
      return -Errno.EBADF;
    }
    const old = this.fds[fd];
    this.fds[fd] = { file, cloexec };
    old?.file.put();
    return fd;
  }
  close(fd: number): number {
    const e = fd >= 0 ? this.fds[fd] : undefined;
    if (!e) return -Errno.EBADF;
    this.fds[fd] = undefined;
    if (fd < this.nextFd) this.nextFd = fd;
    e.file.put();
    return 0;
  }
  /** Every open fd, ascending. */
  list(): number[] {
    const r: number[] = [];
    this.fds.forEach((e, i) => e && r.push(i));
    return r;
  }
  /** execve: close the close-on-exec ones, telling onClose of each (filp_close's lock release). */
  closeOnExec(onClose: (f: File) => void): void {
    this.fds.forEach((e, i) => {
      if (!e?.cloexec) return;
      onClose(e.file);
      this.close(i);
    });
  }
  /** fork without CLONE_FILES: a copy sharing the same Files. */
  clone(): FdTable {
    const t = new FdTable();
    t.limit = this.limit;
    t.nextFd = this.nextFd;
    this.fds.forEach((e, i) => {
      if (e) t.fds[i] = { file: e.file.get(), cloexec: e.cloexec };
    });
    return t;
  }
  closeAll(): void {
    this.fds.forEach((_e, i) => this.close(i));
  }
}
