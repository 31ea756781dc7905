/**
 * Physical memory: one memfd holding every guest page, mapped whole into the
 * kernel too, so copying to and from a guest is a page-table walk and a
 * typed-array copy (no process_vm_readv, no ptrace PEEK).
 *
 * Frames are 4 KiB. A frame is zero whenever it is handed out: never-used
 * frames are holes of the sparse memfd, and freed frames are punched back
 * into holes (which also returns their memory to the host).
 *
 * Ownership: one Physmem per kernel. Allocation and refcounts are touched only
 * by mm code on the JS thread, never across an await (there are none in mm).
 */
import * as host from '../host/libc.js';

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
const CHUNK_SHIFT = 30; // kernel views are 1 GiB each (a typed array's comfortable limit)
const CHUNK_FRAMES = 1 << (CHUNK_SHIFT - PAGE_SHIFT);

export class OutOfMemory extends Error {
  constructor() {
    super('out of guest memory');
  }
}

export class Physmem {
  /** host fd of the memfd; immutable */
  readonly fd: number;
  /** total frames (guest RAM plus the kernel's own stub pages); immutable */
  readonly nframes: number;
  /** kernel mapping base; immutable */
  readonly base: bigint;
  /** one Uint8Array per GiB of the kernel mapping; immutable */
  private readonly chunks: Uint8Array[] = [];
  /** reference count per frame (mappings + kernel uses); guarded by the JS thread */
  readonly refs: Uint16Array;
  /** next never-used frame */
  private bump = 0;
  /** freed frames, reused one at a time */
  private readonly free: number[] = [];
  /** frames in use; the --mem limit applies to this */
  used = 0;
  /** frames the guest may use (--mem) */
  readonly limit: number;

  constructor(memBytes: number, reserveBytes = 16 << 20) {
    this.limit = Math.floor(memBytes / PAGE_SIZE);
    this.nframes = this.limit + Math.floor(reserveBytes / PAGE_SIZE);
    const size = this.nframes * PAGE_SIZE;
    this.fd = host.memfdCreate('umlts-physmem', host.MFD_CLOEXEC);
    host.ftruncate(this.fd, size);
    this.base = host.mmap(0n, size, host.PROT_READ | host.PROT_WRITE, host.MAP_SHARED | host.MAP_NORESERVE, this.fd, 0);
    for (let off = 0; off < size; off += 1 << CHUNK_SHIFT) {
      const len = Math.min(1 << CHUNK_SHIFT, size - off);
      this.chunks.push(new Uint8Array(host.view(this.base + BigInt(off), len)));
    }
    this.refs = new Uint16Array(this.nframes);
  }

  /** Bytes of one frame, through the kernel mapping (a view, no copy). */
  frame(f: number): Uint8Array {
    const c = this.chunks[Math.floor(f / CHUNK_FRAMES)]!;
    const o = (f % CHUNK_FRAMES) * PAGE_SIZE;
    return c.subarray(o, o + PAGE_SIZE);
  }
  /** The chunk holding frame f and the byte offset of f in it (for hot-path copies without subarray). */
  chunkOf(f: number): Uint8Array {
    return this.chunks[Math.floor(f / CHUNK_FRAMES)]!;
  }
  offsetIn(f: number): number {
    return (f % CHUNK_FRAMES) * PAGE_SIZE;
  }
  /** Host address of frame f in the kernel's mapping (to read files straight into it). */
  hostAddr(f: number): bigint {
    return this.base + BigInt(f) * 4096n;
  }

  /**
   * Allocate up to `want` frames, contiguous, at least one. Returns the first
   * frame; `allocCount` says how many. Throws OutOfMemory past --mem unless
   * `kernel` (stub pages come from the reserve).
   */
  allocCount = 0;
  alloc(want: number, kernel = false): number {
    const room = (kernel ? this.nframes : this.limit) - this.used;
    if (room <= 0) throw new OutOfMemory();
    want = Math.min(want, room);
    let f: number;
    if (this.free.length > 0 && (want === 1 || this.bump >= this.limit)) {
      f = this.free.pop()!;
      want = 1;
    } else if (this.bump < this.nframes) {
      want = Math.min(want, this.nframes - this.bump);
      f = this.bump;
      this.bump += want;
    } else if (this.free.length > 0) {
      f = this.free.pop()!;
      want = 1;
    } else {
      throw new OutOfMemory();
    }
    for (let i = 0; i < want; i++) this.refs[f + i] = 1;
    this.used += want;
    this.allocCount = want;
    return f;
  }

  /** Take another reference to a frame (sharing it). */
  get(f: number): void {
    this.refs[f]++;
  }

  /**
   * Drop a reference; the last one frees the frame. Freed frames are punched
   * in runs by flushFreed(), which mm calls once per operation.
   */
  put(f: number): void {
    if (--this.refs[f] === 0) {
      this.used--;
      this.pendingFree.push(f);
    }
  }
  private readonly pendingFree: number[] = [];

  /** Punch freed frames back into holes (zero, and no host memory), merging runs. */
  flushFreed(): void {
    const p = this.pendingFree;
    if (p.length === 0) return;
    p.sort((a, b) => a - b);
    let start = p[0]!, prev = start;
    for (let i = 1; i <= p.length; i++) {
      const f = p[i];
      if (f === prev + 1) {
        prev = f;
        continue;
      }
      host.fallocate(this.fd, host.FALLOC_FL_PUNCH_HOLE | host.FALLOC_FL_KEEP_SIZE, start * PAGE_SIZE, (prev - start + 1) * PAGE_SIZE);
      for (let g = start; g <= prev; g++) this.free.push(g);
      if (f !== undefined) start = prev = f;
    }
    p.length = 0;
  }
}
