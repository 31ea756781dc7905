/**
 * Where a tmpfs regular file keeps its bytes (mm/shmem.c's page cache, as
 * umlts keeps it): a growable buffer in the kernel's heap while the file is
 * small, dense and mapped by no one shared; a host memfd from the moment it
 * must be more than that:
 *   - a MAP_SHARED mapping: the stub maps the memfd itself, so every
 *     mapping and read(2)/write(2) see one copy of each page, as on Linux
 *     (memfd_create's files, /dev/shm, SysV shared memory);
 *   - a file larger than BUFFER_MAX;
 *   - a file with a hole: a page never written (grown by truncate, written
 *     past a page beyond its end, a hole punched, room fallocated past its
 *     end): the memfd keeps it sparse, so st_blocks, SEEK_DATA/SEEK_HOLE and
 *     the space used are Linux's (a write at 4 GiB costs a page, not 4 GiB).
 *     Past SPARSE_FILES_MAX such files, or should the host refuse a memfd,
 *     the buffer holds the hole as zeros.
 * A file never moves back. The memfd is a host fd of umlts's own; it is
 * closed when the file is freed (no name and no opener or mapping left).
 *
 * Space is counted in the filesystem's `used` either way (for the mount's
 * size limit, ENOSPC, statfs): the buffer's capacity, or the memfd's
 * allocated blocks.
 *
 * Ownership: each store is owned by its TmpReg and touched only on the JS
 * thread, synchronously.
 */
import { Errno } from '../abi/errno.js';
import * as host from '../host/libc.js';
import { parseStat } from '../abi/stat.js';
import type { HostMappable } from './types.js';
import { MAX_OFFSET, SEEK_DATA, SEEK_HOLE } from './node.js';
import { PAGE_SIZE } from '../abi/mman.js';

const pageUp = (n: number): number => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
const pageDown = (n: number): number => Math.floor(n / PAGE_SIZE) * PAGE_SIZE;

/** Files up to this size stay in the kernel's heap (unless shared-mapped). */
export const BUFFER_MAX = 16 << 20;

/** The space account the store charges (TmpFs): bytes in use and the limit; files in a memfd for their holes. */
export interface ShmemAccount {
  used: number;
  readonly maxBytes: number;
  sparseFiles: number;
}

/** At most this many files of one tmpfs go to a memfd only for their holes: each holds one of umlts's host fds
 * (the process may have as few as a few thousand), so a guest making many sparse files gets dense ones (the
 * buffer, charged to the mount's limit) past it. */
export const SPARSE_FILES_MAX = 256;

/** scratch for fstat; used synchronously only */
const stbuf = new Uint8Array(144);

export class ShmemStore {
  /** the bytes while in the heap: [0, len) of a buffer of some capacity; guarded by the JS thread */
  private data: Uint8Array = new Uint8Array(0);
  /** the file size; guarded by the JS thread */
  private len = 0;
  /** the host memfd once the file has moved there, else -1; guarded by the JS thread */
  private fd = -1;
  /** bytes charged to the account; guarded by the JS thread */
  private charged = 0;
  /** counted in the account's sparseFiles; guarded by the JS thread */
  private countedSparse = false;

  /** account: immutable reference; name: the memfd's name on the host (for its /proc) */
  constructor(private readonly account: ShmemAccount, private readonly name: string) {}

  get size(): number {
    return this.len;
  }
  /** 512-byte blocks in use (st_blocks) */
  get blocks(): number {
    return Math.ceil(this.charged / 4096) * 8;
  }
  /** The file's bytes live in a host memfd. */
  get onHost(): boolean {
    return this.fd >= 0;
  }

  /** Charge the account for `bytes` in use now; -ENOSPC past the limit (nothing changes then). */
  private charge(bytes: number): number {
    const delta = bytes - this.charged;
    if (delta > 0 && this.account.used + delta > this.account.maxBytes) return -Errno.ENOSPC;
    this.account.used += delta;
    this.charged = bytes;
    return 0;
  }
  /** What the memfd really holds, charged after the fact (a write that allocated past the limit stays: as tmpfs's shmem_charge, it was checked before). */
  private recharge(): void {
    if (host.fstat(this.fd, stbuf) < 0) return;
    const st = parseStat(stbuf);
    const bytes = st.blocks * 512;
    this.account.used += bytes - this.charged;
    this.charged = bytes;
  }

  /** Move the bytes to a host memfd. 0 or -errno (-ENFILE: the host would give umlts no more fds). */
  toHost(): number {
    if (this.fd >= 0) return 0;
    const fd = host.memfdCreateTry(`umlts-shmem:${this.name}`, host.MFD_CLOEXEC);
    if (fd < 0) return fd === -Errno.EMFILE || fd === -Errno.ENFILE ? -Errno.ENFILE : -Errno.ENOMEM;
    let r = host.ftruncateTry(fd, this.len);
    for (let done = 0; r === 0 && done < this.len;) {
      const n = host.pwrite(fd, this.data.subarray(done, this.len), done);
      if (n <= 0) r = n < 0 ? n : -Errno.EIO;
      else done += n;
    }
    if (r < 0) {
      host.close(fd);
      return r === -Errno.ENOSPC ? r : -Errno.ENOMEM;
    }
    this.fd = fd;
    this.data = new Uint8Array(0);
    this.recharge();
    return 0;
  }

  /** Make room in the buffer for n bytes; 0 or -ENOSPC/-EFBIG. */
  private reserve(n: number): number {
    const cap = this.data.length;
    if (n <= cap) return 0;
    // grow geometrically so appends are amortized O(1), but never past the fs limit
    let want = Math.max(n, Math.min(cap * 2, cap + (64 << 20)), 4096);
    if (this.account.used + (want - this.charged) > this.account.maxBytes) want = n;
    let d: Uint8Array;
    try {
      d = new Uint8Array(want);
    } catch {
      return -Errno.ENOSPC; // the JS heap said no (RangeError)
    }
    const e = this.charge(want);
    if (e < 0) return e;
    d.set(this.data.subarray(0, this.len));
    this.data = d;
    return 0;
  }

  /** The store a file of `end` bytes needs: the memfd past BUFFER_MAX. */
  private fit(end: number): number {
    if (end > MAX_OFFSET) return -Errno.EFBIG;
    return this.fd < 0 && end > BUFFER_MAX ? this.toHost() : 0;
  }

  resize(n: number): number {
    if (n < 0) return -Errno.EINVAL;
    // the pages a growth adds are holes (shmem_setattr allocates none)
    if (n > pageUp(this.len)) this.sparse();
    const e = this.fit(n);
    if (e < 0) return e;
    if (this.fd >= 0) {
      const r = host.ftruncateTry(this.fd, n);
      if (r < 0) return r === -Errno.EFBIG ? r : -Errno.ENOSPC;
      this.len = n;
      this.recharge();
      return 0;
    }
    if (n > this.len) {
      const r = this.reserve(n);
      if (r < 0) return r;
      this.data.fill(0, this.len, n);
    } else {
      this.data.fill(0, n, this.len); // the tail must read back as zeros if the file grows again
    }
    this.len = n;
    return 0;
  }

  read(buf: Uint8Array, p: number): number {
    if (p >= this.len) return 0;
    const n = Math.min(buf.length, this.len - p);
    if (this.fd >= 0) return host.pread(this.fd, buf.subarray(0, n), p);
    buf.set(this.data.subarray(p, p + n));
    return n;
  }

  write(buf: Uint8Array, p: number): number {
    const end = p + buf.length;
    // a whole page between the end and p stays a hole
    if (pageUp(this.len) + PAGE_SIZE <= p) this.sparse();
    const e = this.fit(end);
    if (e < 0) return e;
    if (this.fd >= 0) {
      // a full filesystem takes no growth (pages written within the file are
      // charged after the write: the memfd knows what it allocated)
      if (this.account.used >= this.account.maxBytes && end > this.len) return -Errno.ENOSPC;
      const n = host.pwrite(this.fd, buf, p);
      if (n < 0) return n === -Errno.EFBIG ? n : -Errno.ENOSPC;
      if (p + n > this.len) this.len = p + n;
      this.recharge();
      return n;
    }
    const r = this.reserve(end);
    if (r < 0) return r;
    if (p > this.len) this.data.fill(0, this.len, p);
    this.data.set(buf, p);
    if (end > this.len) this.len = end;
    return buf.length;
  }

  /** shmem_fallocate's FALLOC_FL_PUNCH_HOLE: [off, off+len) reads as zeros (the memfd frees its whole pages;
   * the buffer is zeroed), the size unchanged; 0 or -errno. */
  punch(off: number, len: number): number {
    if (off >= this.len) return 0;
    // a whole page of the file in the range is freed (shmem_undo_range), the rest zeroed
    if (pageUp(off) < Math.min(pageDown(off + len), pageUp(this.len))) this.sparse();
    if (this.fd >= 0) {
      const r = host.fallocateTry(this.fd, host.FALLOC_FL_PUNCH_HOLE | host.FALLOC_FL_KEEP_SIZE, off, len);
      if (r < 0) return r;
      this.recharge();
      return 0;
    }
    this.data.fill(0, off, Math.min(this.len, off + len));
    return 0;
  }

  /** shmem_fallocate's allocation (mode 0 or FALLOC_FL_KEEP_SIZE; the caller checked the limit and seals):
   * the memfd allocates the pages (st_blocks counts them, even past the end with KEEP_SIZE), the buffer holds
   * the range; 0 or -errno. */
  allocate(keepSize: boolean, off: number, len: number): number {
    const end = off + len;
    if (keepSize && end > pageUp(this.len)) this.sparse(); // room past the end only the memfd can hold
    if (this.fd < 0 && (keepSize || end <= this.len)) return 0; // within the buffer: every byte is there
    const e = this.fit(keepSize ? 0 : end);
    if (e < 0) return e;
    if (this.fd < 0) {
      // the buffer grows densely: the new room is allocated, not a hole
      const r = this.reserve(end);
      if (r < 0) return r;
      this.data.fill(0, this.len, end);
      this.len = end;
      return 0;
    }
    // the mount's limit before the host allocates anything (shmem_fallocate's ENOSPC, with nothing allocated)
    if (this.holeBytes(off, end) > this.account.maxBytes - this.account.used) return -Errno.ENOSPC;
    const r = host.fallocateTry(this.fd, keepSize ? host.FALLOC_FL_KEEP_SIZE : 0, off, len);
    if (r < 0) return r === -Errno.EFBIG ? r : -Errno.ENOSPC;
    if (!keepSize && end > this.len) this.len = end;
    this.recharge();
    return 0;
  }

  /** The memfd's unallocated bytes of whole pages in [off, end): what an allocation of the range would add (the
   * whole range when that fits the mount anyway, without asking the host). */
  private holeBytes(off: number, end: number): number {
    const lo = pageDown(off), hi = pageUp(end);
    if (hi - lo <= this.account.maxBytes - this.account.used) return hi - lo;
    let holes = 0;
    for (let p = lo; p < hi;) {
      const h = host.lseek(this.fd, p, SEEK_HOLE);
      // (past the size the host tells nothing (ENXIO): counted as holes, room fallocated there before or not)
      if (h < 0) {
        holes += hi - p;
        break;
      }
      if (h >= hi) break;
      const d = host.lseek(this.fd, h, SEEK_DATA);
      const stop = d < 0 || d > hi ? hi : d;
      holes += pageUp(stop) - pageDown(h);
      p = stop;
    }
    return holes;
  }

  /** lseek's SEEK_DATA/SEEK_HOLE from off: the memfd knows its holes, the buffer has none; the offset or -errno
   * (ENXIO at or past the end). */
  seekHole(off: number, whence: number): number {
    if (this.fd >= 0) return host.lseek(this.fd, off, whence);
    if (off < 0 || off >= this.len) return -Errno.ENXIO;
    return whence === SEEK_DATA ? off : this.len;
  }

  /** The file has (or is about to have) a hole: it moves to the memfd; if the host refuses one, it stays in the
   * buffer (the hole as zeros). */
  private sparse(): void {
    if (this.fd >= 0 || this.account.sparseFiles >= SPARSE_FILES_MAX || this.toHost() < 0) return;
    this.account.sparseFiles++;
    this.countedSparse = true;
  }

  /** Copy [off, off+len) into host memory at ptr (a private mapping's pages); bytes copied. */
  fillHost(off: number, ptr: bigint, len: number): number {
    const n = Math.min(len, this.len - off);
    if (n <= 0) return 0;
    if (this.fd >= 0) return Math.max(0, host.preadPtr(this.fd, ptr, n, off));
    new Uint8Array(host.view(ptr, n)).set(this.data.subarray(off, off + n));
    return n;
  }

  /** The memfd as a host file the stub maps itself (only once onHost, while the file lives); id: unique per file. */
  hostMappable(id: string): HostMappable {
    const self = this;
    return {
      id,
      withFd(fn: (fd: number) => void): void {
        fn(self.fd);
      },
      writeAt(off: number, data: Uint8Array): number {
        if (off >= self.len) return -Errno.EFAULT;
        const n = host.pwrite(self.fd, data.subarray(0, Math.min(data.length, self.len - off)), off);
        if (n > 0) self.recharge();
        return n;
      },
    };
  }

  /** The file is gone: its bytes are freed and the account credited. */
  free(): void {
    if (this.fd >= 0) host.close(this.fd);
    this.fd = -1;
    this.data = new Uint8Array(0);
    this.len = 0;
    this.account.used -= this.charged;
    this.charged = 0;
    if (this.countedSparse) this.account.sparseFiles--;
    this.countedSparse = false;
  }
}
