/**
 * System V shared memory (ipc/shm.c). A segment is an unlinked file of the
 * kernel's internal shmem mount ("SYSV<key>", as Linux's shm_file), so
 * shmat is a MAP_SHARED mapping of it: its pages are a host memfd that
 * every attaching process's stub maps itself (fs/shmem.ts), the same path
 * any shared mapping of a tmpfs file takes.
 *
 * shm_nattch counts the VMAs that map a segment, as Linux's shm_open and
 * shm_close do (a VMA split by mprotect, or copied by fork, counts again).
 * IPC_RMID of an attached segment marks it SHM_DEST and gives its key
 * away; the last detach destroys it.
 *
 * Ownership: the namespace and its segments are guarded by the JS thread.
 */
import { Errno } from '../../abi/errno.js';
import type { TmpFs, TmpReg } from '../../fs/tmpfs.js';
import type { Mappable } from '../../fs/types.js';
import { File, MappedFile } from '../../fs/file.js';
import type { VmFile } from '../../mm/vma.js';
import { O_RDONLY, O_RDWR, O_LARGEFILE } from '../../abi/fcntl.js';
import { IpcIds, KernIpcPerm, IpcCred, ipcget, IPC_CREAT } from './util.js';

/** limits (include/uapi/linux/shm.h): SHMMAX and SHMALL are "unlimited", ULONG_MAX - 2^24 (exact as bigints, for IPC_INFO) */
export const SHMMAX_U64 = 0xffffffffffffffffn - (1n << 24n), SHMALL_U64 = SHMMAX_U64;
export const SHMMIN = 1, SHMMNI = 4096, SHMMAX = Number(SHMMAX_U64), SHMALL = Number(SHMALL_U64), SHMSEG = SHMMNI;
/** perm.mode bits */
export const SHM_DEST = 0o1000, SHM_LOCKED = 0o2000;
/** get flags: huge pages (refused: none here) */
export const SHM_HUGETLB = 0o4000;
/** shmat flags */
export const SHM_RDONLY = 0o10000, SHM_RND = 0o20000, SHM_REMAP = 0o40000, SHM_EXEC = 0o100000;

/** struct shmid_kernel. Guarded by the JS thread. */
export class ShmSegment {
  atime = 0;
  dtime = 0;
  ctime: number;
  lpid = 0;
  /** VMAs mapping it */
  nattch = 0;
  constructor(
    readonly perm: KernIpcPerm,
    /** shm_segsz; immutable */
    readonly segsz: number,
    /** shm_cprid; immutable */
    readonly cpid: number,
    /** its pages; immutable reference */
    readonly node: TmpReg,
    now: number,
  ) {
    this.ctime = now;
  }
  /** /proc/<pid>/maps and the file's path: "/SYSV<key> (deleted)" */
  get path(): string {
    return `/SYSV${(this.perm.key >>> 0).toString(16).padStart(8, '0')} (deleted)`;
  }
}

export class ShmNamespace {
  /** the segments; immutable reference */
  readonly ids = new IpcIds<ShmSegment>(SHMMNI);
  /** pages of every segment (shm_tot); guarded by the JS thread */
  totPages = 0;

  /** shmMnt and now (the guest's wall clock, seconds): immutable */
  constructor(private readonly shmMnt: TmpFs, private readonly now: () => number) {}

  /** shmget(2): an id or -errno. */
  get(key: number, size: number, flg: number, cred: IpcCred, pid: number): number {
    return ipcget(this.ids, key, flg, cred, () => this.create(key, size, flg, cred, pid), (s) => (s.segsz < size ? -Errno.EINVAL : 0));
  }

  /** newseg */
  private create(key: number, size: number, flg: number, cred: IpcCred, pid: number): number {
    if (size < SHMMIN || size > SHMMAX) return -Errno.EINVAL;
    const pages = Math.ceil(size / 4096);
    if (this.totPages + pages > SHMALL) return -Errno.ENOSPC;
    if (flg & SHM_HUGETLB) return -Errno.EINVAL; // no huge pages to give
    const slot = this.ids.nextSeq();
    if (!slot) return -Errno.ENOSPC;
    const perm = new KernIpcPerm(key, cred.euid, cred.egid, cred.euid, cred.egid, flg & 0o777, slot.seq);
    const name = `SYSV${(key >>> 0).toString(16).padStart(8, '0')}`;
    const node = this.shmMnt.shmFile(name, cred.euid, cred.egid, perm.mode);
    const r = node.resize(size);
    if (r < 0) {
      node.nlink = 0;
      node.maybeFree();
      return r === -Errno.ENOSPC ? -Errno.ENOMEM : r;
    }
    const seg = new ShmSegment(perm, size, pid, node, this.now());
    this.totPages += pages;
    return this.ids.add(seg, slot);
  }

  /** shm_destroy: the segment and its pages go. */
  destroy(s: ShmSegment): void {
    this.ids.remove(s);
    this.totPages -= Math.ceil(s.segsz / 4096);
    s.node.nlink = 0;
    s.node.maybeFree();
  }

  /** IPC_RMID: destroyed now, or when the last attachment goes (SHM_DEST; the key is given away). */
  rmid(s: ShmSegment): void {
    if (s.nattch === 0) {
      this.destroy(s);
      return;
    }
    s.perm.mode |= SHM_DEST;
    this.ids.forgetKey(s); // IPC_PRIVATE: a later shmget cannot find it
  }

  /**
   * What shmat maps: a MAP_SHARED view of the segment's file, opened
   * read-only or read-write; each VMA holding it counts as an attachment.
   */
  mapping(s: ShmSegment, rdonly: boolean, pid: () => number): ShmMapping {
    const f = s.node.open((rdonly ? O_RDONLY : O_RDWR) | O_LARGEFILE, s.path) as File;
    return new ShmMapping(this, s, f, f.mappable(true)!, pid);
  }

  /** A VMA began mapping s (shm_open). */
  attached(s: ShmSegment, pid: number): void {
    s.nattch++;
    s.atime = this.now();
    s.lpid = pid;
  }
  /** A VMA mapping s went (shm_close): the last one of a removed segment destroys it. */
  detached(s: ShmSegment, pid: number): void {
    s.nattch--;
    s.dtime = this.now();
    s.lpid = pid;
    if (s.nattch === 0 && s.perm.mode & SHM_DEST) this.destroy(s);
  }

  /** shm_info's shm_rss: pages of segments in memory (all of them here) */
  get rssPages(): number {
    return this.totPages;
  }
}

/** A VMA's view of a segment: holds its file open and counts as an attachment. Immutable. */
export class ShmMapping extends MappedFile implements VmFile {
  constructor(
    private readonly ns: ShmNamespace,
    readonly seg: ShmSegment,
    f: File,
    m: Mappable,
    /** the pid to record as the last to attach or detach (the task whose syscall or exit it is) */
    private readonly pid: () => number,
  ) {
    super(f, m);
  }
  override get mapName(): string {
    return this.seg.path;
  }
  override get(): void {
    super.get();
    this.ns.attached(this.seg, this.pid());
  }
  override put(): void {
    this.ns.detached(this.seg, this.pid());
    super.put();
  }
  /** Drop the open's reference, which the mapping holds until its VMAs hold theirs (or the attach failed). */
  done(): void {
    this.f.put();
  }
}

export { IPC_CREAT };
