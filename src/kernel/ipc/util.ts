/**
 * What the three System V IPC families share (ipc/util.c): identifiers
 * (index and sequence number, as ipc_buildid makes them), keys,
 * struct kern_ipc_perm and its permission checks, the get-or-create rules
 * of shmget/semget/msgget, and struct ipc64_perm.
 *
 * One IPC namespace per kernel: every guest process sees the same
 * segments, sets and queues, and none of the host's.
 *
 * Ownership: guarded by the JS thread; nothing spans an await.
 */
import { Errno } from '../../abi/errno.js';
import { capRaised, CAP_IPC_OWNER, CAP_SYS_ADMIN } from '../../abi/capability.js';

export const IPC_PRIVATE = 0;
/** get flags (the low 9 bits are the mode) */
export const IPC_CREAT = 0o1000, IPC_EXCL = 0o2000, IPC_NOWAIT = 0o4000;
/** ctl commands every family has */
export const IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2, IPC_INFO = 3;
/** IPC_64: a flag of the command on architectures that parse versions; x86-64 does not, and it makes the command unknown */
export const IPC_64 = 0x100;
/** identifiers: index + sequence << IPCMNI_SHIFT (ipc_buildid) */
export const IPCMNI_SHIFT = 15, IPCMNI = 1 << IPCMNI_SHIFT;
/** struct ipc64_perm (x86-64: asm-generic/ipcbuf.h) */
export const IPC64_PERM_SIZE = 48;

/** Who is asking: struct cred's effective identity (kernel/creds.ts's Creds fits). */
export interface IpcCred {
  readonly euid: number;
  readonly egid: number;
  readonly groups: readonly number[];
  /** effective capabilities (abi/capability.ts) */
  readonly capEffective: number;
}

/** struct kern_ipc_perm. Written by the get that makes it and by IPC_SET, IPC_RMID; guarded by the JS thread. */
export class KernIpcPerm {
  /** the id the object has (set by IpcIds.add) */
  id = -1;
  /** the removed object (IPC_RMID): ipc_valid_object is false, waiters see EIDRM */
  deleted = false;
  constructor(
    public key: number,
    public uid: number,
    public gid: number,
    /** creator's ids; immutable */
    readonly cuid: number,
    readonly cgid: number,
    /** permission bits, and for shm SHM_DEST / SHM_LOCKED */
    public mode: number,
    /** sequence number of the slot when made; immutable */
    readonly seq: number,
  ) {}
}

/** ipcperms: may cred do flag's accesses (S_IRUGO 0444, S_IWUGO 0222, S_IXUGO 0111 as Linux passes them), or does
 * it hold CAP_IPC_OWNER? */
export function ipcperms(cred: IpcCred, p: KernIpcPerm, flag: number): boolean {
  const requested = (flag >> 6) | (flag >> 3) | flag;
  let granted = p.mode;
  if (cred.euid === p.cuid || cred.euid === p.uid) granted >>= 6;
  else if (inGroup(cred, p.cgid) || inGroup(cred, p.gid)) granted >>= 3;
  return !(requested & ~granted & 0o7) || capRaised(cred.capEffective, CAP_IPC_OWNER);
}

function inGroup(cred: IpcCred, gid: number): boolean {
  return cred.egid === gid || cred.groups.includes(gid);
}

/** ipcctl_obtain_check: IPC_SET and IPC_RMID need the owner, the creator, or CAP_SYS_ADMIN. */
export function ipcOwner(cred: IpcCred, p: KernIpcPerm): boolean {
  return cred.euid === p.cuid || cred.euid === p.uid || capRaised(cred.capEffective, CAP_SYS_ADMIN);
}

/** struct ipc64_perm at off: key, uid, gid, cuid, cgid, mode, seq. */
export function putPerm(dv: DataView, off: number, p: KernIpcPerm): void {
  dv.setInt32(off, p.key, true);
  dv.setUint32(off + 4, p.uid, true);
  dv.setUint32(off + 8, p.gid, true);
  dv.setUint32(off + 12, p.cuid, true);
  dv.setUint32(off + 16, p.cgid, true);
  dv.setUint32(off + 20, p.mode, true);
  dv.setUint16(off + 24, p.seq, true);
}

/** An object an IpcIds holds. */
export interface IpcObject {
  readonly perm: KernIpcPerm;
}

/** struct ipc_ids: one family's objects by index, and its sequence numbers. Guarded by the JS thread. */
export class IpcIds<T extends IpcObject> {
  /** index -> object */
  private readonly byIdx = new Map<number, T>();
  /** key -> object, for the objects with a key (ipcget's lookup: Linux's key hash table) */
  private readonly byKey = new Map<number, T>();
  /** ids->seq and ids->last_idx (idr_alloc_cyclic) */
  private seq = 0;
  private lastIdx = -1;

  /** max: the family's MNI (SHMMNI, SEMMNI, MSGMNI); immutable */
  constructor(readonly max: number) {}

  get size(): number {
    return this.byIdx.size;
  }
  /** The highest index in use, or -1 (ipc_get_maxidx: what the *_INFO commands return). */
  get maxIdx(): number {
    let m = -1;
    for (const i of this.byIdx.keys()) if (i > m) m = i;
    return m;
  }
  values(): IterableIterator<T> {
    return this.byIdx.values();
  }
  findKey(key: number): T | undefined {
    return this.byKey.get(key);
  }
  /** o's key goes (IPC_PRIVATE from now: shm's IPC_RMID of an attached segment); a later ipcget cannot find it */
  forgetKey(o: T): void {
    if (this.byKey.get(o.perm.key) === o) this.byKey.delete(o.perm.key);
    o.perm.key = IPC_PRIVATE;
  }
  /** The next slot's sequence number (the object's perm takes it before add). */
  nextSeq(): { idx: number; seq: number } | null {
    if (this.byIdx.size >= this.max) return null;
    let idx = this.lastIdx + 1;
    for (let n = 0; n < IPCMNI; n++, idx++) {
      if (idx >= this.max) idx = 0;
      if (!this.byIdx.has(idx)) break;
    }
    const seq = idx <= this.lastIdx ? (this.seq + 1) % 0x10000 : this.seq;
    return { idx, seq };
  }
  /** Give o the slot nextSeq() chose; returns its id. */
  add(o: T, slot: { idx: number; seq: number }): number {
    this.seq = slot.seq;
    this.lastIdx = slot.idx;
    this.byIdx.set(slot.idx, o);
    if (o.perm.key !== IPC_PRIVATE) this.byKey.set(o.perm.key, o);
    o.perm.id = slot.seq * IPCMNI + slot.idx;
    return o.perm.id;
  }
  /** ipc_obtain_object_check: the object with this id (EINVAL if none, or a stale sequence). */
  obtain(id: number): T | number {
    if (id < 0) return -Errno.EINVAL;
    const o = this.byIdx.get(id % IPCMNI);
    if (!o || o.perm.id !== id) return -Errno.EINVAL;
    return o;
  }
  /** ipc_obtain_object_idr: by index (the *_STAT commands). */
  byIndex(idx: number): T | undefined {
    return this.byIdx.get(idx);
  }
  /** ipc_rmid: the object leaves; its perm is marked deleted. */
  remove(o: T): void {
    const idx = o.perm.id % IPCMNI;
    if (this.byIdx.get(idx) === o) this.byIdx.delete(idx);
    if (this.byKey.get(o.perm.key) === o) this.byKey.delete(o.perm.key);
    o.perm.deleted = true;
  }
}

/**
 * ipcget: IPC_PRIVATE always makes a new object; a key finds its object
 * (EEXIST with IPC_CREAT|IPC_EXCL; the family's own checks; EACCES without
 * the permissions the flags' mode asks), or makes one with IPC_CREAT
 * (ENOENT without). create and check return an id or -errno.
 */
export function ipcget<T extends IpcObject>(ids: IpcIds<T>, key: number, flg: number, cred: IpcCred,
  create: () => number, check: (o: T) => number): number {
  if (key === IPC_PRIVATE) return create();
  const o = ids.findKey(key);
  if (!o) return flg & IPC_CREAT ? create() : -Errno.ENOENT;
  if (flg & IPC_CREAT && flg & IPC_EXCL) return -Errno.EEXIST;
  const e = check(o);
  if (e < 0) return e;
  if (!ipcperms(cred, o.perm, flg)) return -Errno.EACCES;
  return o.perm.id;
}
