/**
 * Advisory file locks (fs/locks.c): flock(2) locks and POSIX record locks
 * (fcntl F_SETLK/F_SETLKW/F_GETLK and the open-file-description F_OFD_*).
 *
 * One table per kernel (the Vfs holds it), keyed by file identity
 * ("st_dev:st_ino"), so locks that different guest processes take on one
 * file conflict whatever path or filesystem instance they came through.
 * They are umlts's own: host processes outside the guest do not see them
 * (as with UML's hostfs, and as with NFS without lockd).
 *
 * Owners, as Linux: a flock lock and an OFD lock belong to the open file
 * description (the File), a classic POSIX lock to the process (an opaque
 * owner object: the kernel passes the ThreadGroup). flock locks never
 * conflict with record locks; OFD and POSIX record locks are one kind with
 * different owners, so they do conflict.
 *
 * Release: a process's POSIX locks on a file go when it closes any fd of
 * that file (closeFile: close(2), close_range(2), dup2/dup3 over an open
 * fd, execve's close-on-exec — every filp_close) and when it exits (its locks
 * carry an alive() check, so an exited owner's locks vanish at the next
 * scan); flock and OFD locks go when their File is released (releaseFile,
 * called by the filesystems' File.release: hostfs and tmpfs).
 *
 * Blocking: a conflicting F_SETLKW / blocking flock sleeps on the inode's
 * waitq and re-runs from scratch when any lock of that inode goes away.
 *
 * Ownership: guarded by the JS thread; nothing spans an await.
 * Known gaps: flock and OFD locks on Files without a release
 * hook here (devices, pipes) are never dropped; mandatory locks and leases
 * are not offered.
 */
import { Errno } from '../abi/errno.js';
import type { File } from './file.js';
import { WaitQueue } from './waitqueue.js';

export { F_RDLCK, F_WRLCK, F_UNLCK } from '../abi/fcntl.js';
import { F_RDLCK, F_WRLCK, F_UNLCK } from '../abi/fcntl.js';
export { LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN, LOCK_MAND } from '../abi/fcntl.js';
import { LOCK_EX, LOCK_UN } from '../abi/fcntl.js';
/** Inclusive end of a lock "to EOF and beyond" (l_len 0): OFFSET_MAX. Ranges are bigints: struct flock's
 * offsets are 64-bit, and locks near 2^63 (a database's "lock the whole file" byte) must be exact. */
export const LOCK_EOF = 0x7fffffffffffffffn;

/** The lock table's key for a file: its identity. null if it has none (then it cannot be locked). */
export function lockKey(f: File): string | null {
  const st = f.stat();
  return typeof st === 'number' ? null : `${st.dev}:${st.ino}`;
}

/** One record lock: [start, end] inclusive. Made by the LockTable and never written after
 * (a changed range or type is a new record); owned by the LockTable. */
export interface RecordLock {
  readonly owner: object;
  /** the open file it was set through (fdinfo shows it there: fl_file) */
  readonly file: File;
  /** an OFD lock (owner is a File): F_GETLK reports l_pid -1 */
  readonly ofd: boolean;
  type: number;
  start: bigint;
  end: bigint;
  /** the owning process's pid, for F_GETLK */
  readonly pid: number;
  /** false once the owner is gone (an exited process) */
  readonly alive: () => boolean;
}

interface FlockLock {
  readonly owner: File;
  type: number; // F_RDLCK / F_WRLCK
  /** the locking process's pid (fl_pid) */
  readonly pid: number;
}

/** struct file_lock_context: every lock of one file. Owned by its LockTable (guarded by the JS thread). */
class InodeLocks {
  /** record locks, replaced whole when filtered */
  records: RecordLock[] = [];
  flocks: FlockLock[] = [];
  /** lockers blocked on this file; immutable reference */
  readonly waitq = new WaitQueue();
  get empty(): boolean {
    return this.records.length === 0 && this.flocks.length === 0;
  }
}

export interface LockRequest {
  owner: object;
  file: File;
  ofd: boolean;
  type: number;
  start: bigint;
  end: bigint;
  pid: number;
  alive: () => boolean;
}

export class LockTable {
  /** file key -> its locks; guarded by the JS thread */
  private readonly byKey = new Map<string, InodeLocks>();
  /** POSIX owner -> keys it holds record locks on (close(2) and exit cleanup); guarded by the JS thread */
  private readonly ownerKeys = new Map<object, Set<string>>();
  /** File -> keys of its flock / OFD locks (last-close cleanup); guarded by the JS thread */
  private readonly fileKeys = new Map<File, Set<string>>();
  /** POSIX owner blocked in F_SETLKW -> the owner it waits for (EDEADLK detection); guarded by the JS thread */
  private readonly waitsFor = new Map<object, object>();

  private inode(key: string): InodeLocks {
    let i = this.byKey.get(key);
    if (!i) {
      i = new InodeLocks();
      this.byKey.set(key, i);
    }
    return i;
  }
  private tidy(key: string, i: InodeLocks): void {
    if (i.empty && i.waitq.empty) this.byKey.delete(key);
  }
  /** The queue a blocked locker sleeps on. */
  waitq(key: string): WaitQueue {
    return this.inode(key).waitq;
  }
  /** Drop record locks whose owner has exited; wake waiters if any went. */
  private reap(i: InodeLocks): void {
    const before = i.records.length;
    i.records = i.records.filter((l) => l.alive());
    if (i.records.length !== before) i.waitq.wake(0);
  }

  /** F_GETLK: the first lock conflicting with req, or null. A request of F_UNLCK (F_OFD_GETLK's) asks for
   * req's owner's own first lock in the range instead (posix_test_locks_conflict). */
  test(key: string, req: LockRequest): RecordLock | null {
    const i = this.byKey.get(key);
    if (!i) return null;
    this.reap(i);
    for (const l of i.records) {
      if (req.type === F_UNLCK) {
        if (l.owner === req.owner && !(l.end < req.start || l.start > req.end)) return l;
        continue;
      }
      if (l.owner === req.owner) continue;
      if (l.end < req.start || l.start > req.end) continue;
      if (l.type === F_WRLCK || req.type === F_WRLCK) return l;
    }
    return null;
  }

  /**
   * F_SETLK: take, change or drop (F_UNLCK) owner's lock on [start, end]
   * (posix_lock_inode: merge with the owner's adjacent locks of the same
   * type, split the ones of another type). 0, or -EAGAIN on a conflict
   * (nothing changed then), or -EDEADLK when blocking would deadlock.
   */
  set(key: string, req: LockRequest, wouldBlock: boolean): number {
    const i = this.inode(key);
    this.reap(i);
    if (req.type !== F_UNLCK) {
      const c = this.test(key, req);
      if (c) {
        if (wouldBlock && !req.ofd && this.deadlocks(req.owner, c.owner)) return -Errno.EDEADLK;
        if (wouldBlock && !req.ofd) this.waitsFor.set(req.owner, c.owner);
        return -Errno.EAGAIN;
      }
    }
    this.waitsFor.delete(req.owner);
    let s = req.start, e = req.end;
    const keep: RecordLock[] = [];
    let changed = false;
    for (const l of i.records) {
      if (l.owner !== req.owner) {
        keep.push(l);
        continue;
      }
      const overlaps = !(l.end < s || l.start > e);
      const adjacent = l.end + 1n === s || (e !== LOCK_EOF && e + 1n === l.start);
      if (l.type === req.type && (overlaps || adjacent)) {
        if (l.start < s) s = l.start;
        if (l.end > e) e = l.end;
        continue; // absorbed into the new lock
      }
      if (!overlaps) {
        keep.push(l);
        continue;
      }
      changed = true;
      if (l.start < s) keep.push({ ...l, end: s - 1n });
      if (l.end > e) keep.push({ ...l, start: e + 1n });
    }
    if (req.type !== F_UNLCK) {
      keep.push({ owner: req.owner, file: req.file, ofd: req.ofd, type: req.type, start: s, end: e, pid: req.pid, alive: req.alive });
      if (req.ofd) this.note(this.fileKeys, req.owner as File, key);
      else this.note(this.ownerKeys, req.owner, key);
    } else if (i.records.some((l) => l.owner === req.owner)) {
      changed = true;
    }
    i.records = keep;
    if (changed) i.waitq.wake(0);
    this.tidy(key, i);
    return 0;
  }

  /** Would owner waiting for holder close a cycle of POSIX waiters? (posix_locks_deadlock) */
  private deadlocks(owner: object, holder: object): boolean {
    let h: object | undefined = holder;
    for (let n = 0; h !== undefined && n < 64; n++) {
      if (h === owner) return true;
      h = this.waitsFor.get(h);
    }
    return false;
  }
  /** A blocked POSIX locker gave up (signal, error): forget what it waited for. */
  stopWaiting(owner: object): void {
    this.waitsFor.delete(owner);
  }

  /** flock(2) for file (op: LOCK_SH / LOCK_EX / LOCK_UN) by process pid. 0 or -EAGAIN. */
  flock(key: string, file: File, op: number, pid: number): number {
    const i = this.inode(key);
    const mine = i.flocks.findIndex((l) => l.owner === file);
    if (op === LOCK_UN) {
      if (mine >= 0) {
        i.flocks.splice(mine, 1);
        i.waitq.wake(0);
      }
      this.tidy(key, i);
      return 0;
    }
    const type = op === LOCK_EX ? F_WRLCK : F_RDLCK;
    if (mine >= 0) {
      if (i.flocks[mine]!.type === type) return 0;
      // a conversion drops the old lock first (flock_lock_inode), and does not get it back on failure
      i.flocks.splice(mine, 1);
      i.waitq.wake(0);
    }
    if (i.flocks.some((l) => l.type === F_WRLCK || type === F_WRLCK)) {
      this.tidy(key, i);
      return -Errno.EAGAIN;
    }
    i.flocks.push({ owner: file, type, pid });
    this.note(this.fileKeys, file, key);
    return 0;
  }

  /** One of owner's fds for f is closed (filp_close): owner's POSIX locks on f's file go (locks_remove_posix). */
  closeFile(owner: object, f: File): void {
    const keys = this.ownerKeys.get(owner);
    if (!keys) return; // holds none: no stat
    const k = lockKey(f);
    if (k === null || !keys.has(k)) return;
    this.dropOwner(owner, k);
    keys.delete(k);
    if (keys.size === 0) this.ownerKeys.delete(owner);
  }
  /** A process exited: every POSIX lock it holds goes. */
  releaseOwner(owner: object): void {
    const keys = this.ownerKeys.get(owner);
    this.waitsFor.delete(owner);
    if (!keys) return;
    for (const k of keys) this.dropOwner(owner, k);
    this.ownerKeys.delete(owner);
  }
  /** The last reference to file went: its flock and OFD locks go (locks_remove_file). */
  releaseFile(file: File): void {
    const keys = this.fileKeys.get(file);
    if (!keys) return;
    this.fileKeys.delete(file);
    for (const k of keys) {
      const i = this.byKey.get(k);
      if (!i) continue;
      const n = i.flocks.length + i.records.length;
      i.flocks = i.flocks.filter((l) => l.owner !== file);
      i.records = i.records.filter((l) => l.owner !== file);
      if (i.flocks.length + i.records.length !== n) i.waitq.wake(0);
      this.tidy(k, i);
    }
  }
  private dropOwner(owner: object, key: string): void {
    const i = this.byKey.get(key);
    if (!i) return;
    const n = i.records.length;
    i.records = i.records.filter((l) => l.owner !== owner);
    if (i.records.length !== n) i.waitq.wake(0);
    this.tidy(key, i);
  }
  private note<K extends object>(m: Map<K, Set<string>>, k: K, key: string): void {
    let s = m.get(k);
    if (!s) {
      s = new Set();
      m.set(k, s);
    }
    s.add(key);
  }
  /**
   * /proc/locks: every lock held, one lock_get_status line each ("1: POSIX  ADVISORY  WRITE 42 00:1f:1234 0
   * EOF"); only is given, the locks fdinfo shows for that open file ("lock:\t" lines: its flock and OFD locks
   * and the POSIX locks set through it by owner).
   */
  status(only?: { file: File; owner: object }): string {
    let out = '', id = 0;
    for (const [key, i] of this.byKey) {
      this.reap(i);
      const colon = key.indexOf(':');
      const dev = BigInt(key.slice(0, colon)), ino = key.slice(colon + 1);
      // glibc's major()/minor() of a 64-bit dev_t
      const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
      const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
      const where = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${ino}`;
      const line = (kind: string, type: number, pid: number, range: string): void => {
        out += `${only ? 'lock:\t' : ''}${++id}: ${kind}ADVISORY  ${type === F_WRLCK ? 'WRITE ' : 'READ  '}${pid} ${where} ${range}\n`;
      };
      for (const l of i.records) {
        if (only && (l.file !== only.file || (l.owner !== only.owner && l.owner !== only.file))) continue;
        line(l.ofd ? 'OFDLCK ' : 'POSIX  ', l.type, l.pid, `${l.start} ${l.end === LOCK_EOF ? 'EOF' : l.end}`);
      }
      for (const l of i.flocks) if (!only || l.owner === only.file) line('FLOCK  ', l.type, l.pid, '0 EOF');
    }
    return out;
  }

  /** Locks held now (for tests and /proc/locks-like views). */
  count(): number {
    let n = 0;
    for (const i of this.byKey.values()) n += i.records.length + i.flocks.length;
    return n;
  }
}
