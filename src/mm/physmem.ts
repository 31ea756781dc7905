/**
 * Physical memory: one memfd holding every guest page, mapped whole into the
 * kernel too, so copying to and from a guest is a page-table walk and a
 * typed-array copy (no process_vm_readv, no ptrace PEEK).
 *
 * Frames are 4 KiB. A frame is zero whenever it is handed out: never-used
 * frames are holes of the sparse memfd; freed frames go to a "dirty" pool and
 * are zeroed (a memset through the kernel mapping) when reused, which is far
 * cheaper than punching a hole and having the host allocate the page again.
 * Only when the dirty pool grows past DIRTY_MAX are frames punched back into
 * holes, returning their memory to the host.
 *
 * Ownership: one Physmem per kernel. Allocation and refcounts are touched only
 * by mm code on the JS thread, never across an await (there are none in mm).
 * The frames themselves are stub-shared: every guest host process maps the
 * memfd, and guest threads write their frames while they run.
 */
import { Vdso } from './vdso.js';
import { readVdsoImage } from '../host/vdso.js';
import { STUB_DIR } from '../platform/stub_layout.js';
import { SlotPool } from '../platform/slot_pool.js';
import * as host from '../host/libc.js';
import { PageCache } from './page_cache.js';

import { PAGE_SIZE, PAGE_SHIFT } from '../abi/mman.js';
export { PAGE_SIZE, PAGE_SHIFT };
/**
 * The kernel sees the mapping through typed-array views of 2 MiB each, made
 * when first used. V8 counts an external ArrayBuffer's whole length as
 * memory the heap is responsible for: one view of the whole 1 GiB mapping
 * told it a gigabyte had just been allocated, and a full mark-compact GC
 * followed at every start. Views of what is used grow that count only as
 * the guest's memory does.
 */
const CHUNK_SHIFT = 21;
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
  /** one Uint8Array per 2 MiB of the kernel mapping, null until first used (chunk()); the list is guarded
   * by the JS thread, the bytes stub-shared (guest memory: the kernel writes a frame while the task it acts
   * for is stopped, but sibling threads and other processes mapping a shared frame may write it at any time) */
  private readonly chunks: Array<Uint8Array | null>;
  /** reference count per frame (mappings + kernel uses); guarded by the JS thread */
  readonly refs: Uint32Array;
  /** per frame: a write while the page was shared made it (or left it) in a copy-on-write copy
   * (AddressSpace.breakCow), so a process forked with it is likely to write it again — a hint for fork's
   * copies ahead (copyForChild); cleared when the frame is allocated again; guarded by the JS thread */
  readonly cowHint: Uint8Array;
  /** next never-used frame; guarded by the JS thread */
  private bump = 0;
  /** freed frames not yet punched: reused first (zeroed on the way out), from the top; guarded by the JS thread */
  private readonly dirty: number[] = [];
  /** allocations of several frames the dirty pool's top gave fewer since it was last sorted, and how many
   * make it sort again; guarded by the JS thread */
  private shortRuns = 0;
  private sortAfter = SORT_AFTER_MIN;
  /** punched frames (holes again): zero already; guarded by the JS thread */
  private readonly clean: number[] = [];
  /** frames in use; the --mem limit applies to this; guarded by the JS thread */
  used = 0;
  /** frames the guest may use (--mem); immutable */
  readonly limit: number;
  /** file pages shared between processes; evicted when memory runs out; immutable reference */
  readonly cache = new PageCache(this);
  /** the guest's vDSO: its image and the words it reads (vdso.ts); kernel-wide */
  readonly vdso = new Vdso(readVdsoImage(STUB_DIR + 'vdso.so'));
  /** kernel-wide mm counters for --stats; guarded by the JS thread (bumped by every AddressSpace) */
  readonly stats = { faults: 0, flushes: 0, fileReads: 0, fileReadPages: 0, cowCopies: 0, hostFull: 0, prefaulted: 0, poolSorts: 0, execKept: 0 };
  /** frames of released address spaces that wait for their host process to be reaped
   * (AddressSpace.release/reaped): memory about to come back; guarded by the JS thread */
  awaitingReap = 0;
  /** called once a reaped process's frames are free again (AddressSpace.reaped): the kernel wakes the
   * tasks whose faults found no frame (exit.ts: waitForFrames). Set once by the kernel before anything
   * runs; called on the JS thread, possibly from inside the platform's wait (so it may only queue work). */
  onFramesBack: (() => void) | null = null;
  /** an address space's page table is to change for a call that may be another process's (a file it maps
   * shrank: AddressSpace.fileChanged): the kernel runs `apply` with a thread the host requests may run in and
   * has them reach the host before its threads run on, or, when every thread of it runs guest code and the
   * platform needs one stopped, stops one and calls `defer` (the change waits for that stop); a failure of
   * that process's host is its own. Set once by the kernel before anything runs; called on the JS thread. */
  onMmChange: ((mm: object, apply: () => void, defer: () => void) => void) | null = null;
  /** test hooks, set by the front end before the kernel runs (UMLTS_TEST_HOST_FULL): every
   * hostFullEvery-th batch run (evictions aside: runs counts them) is refused as a full host would (tlb.ts) */
  readonly test = { hostFullEvery: 0, runs: 0 };

  constructor(memBytes: number, reserveBytes = STUB_RESERVE_SLOTS * STUB_SLOT_FRAMES * PAGE_SIZE) {
    this.limit = Math.floor(memBytes / PAGE_SIZE);
    this.nframes = this.limit + Math.floor(reserveBytes / PAGE_SIZE);
    const size = this.nframes * PAGE_SIZE;
    this.fd = host.memfdCreate('umlts-physmem', host.MFD_CLOEXEC);
    host.ftruncate(this.fd, size);
    this.base = host.mmap(0n, size, host.PROT_READ | host.PROT_WRITE, host.MAP_SHARED | host.MAP_NORESERVE, this.fd, 0);
    this.chunks = new Array<Uint8Array | null>(Math.ceil(this.nframes / CHUNK_FRAMES)).fill(null);
    this.refs = new Uint32Array(this.nframes);
    this.cowHint = new Uint8Array(this.nframes);
    this.scratch = this.limit;
    this.scratchAddr = this.hostAddr(this.scratch);
    this.stubSlots = new SlotPool(this.scratch + 1, this.nframes);
  }

  /** the kernel's scratch frame (the first of the reserve) and its host
   * address: a file page read for a moment (mm's userPage). Both immutable;
   * the frame's bytes are guarded by the JS thread, used synchronously only,
   * and never mapped into a guest. */
  readonly scratch: number;
  readonly scratchAddr: bigint;

  /** free stub batch-page frames in the reserve above the guest's frames; guarded by the JS thread */
  private readonly stubSlots: SlotPool;

  /**
   * The frame of one stub's batch page: a zeroed frame from the reserve
   * (never from guest memory, so a guest at its --mem limit can still fork
   * and exec).
   */
  get stubSlotsFree(): number {
    return this.stubSlots.free;
  }
  allocStubSlot(): number {
    const f = this.stubSlots.take();
    if (f === undefined) throw new OutOfMemory();
    return f;
  }
  freeStubSlot(f: number): void {
    const c = this.chunkOf(f), o = this.offsetIn(f);
    c.fill(0, o, o + PAGE_SIZE);
    this.stubSlots.give(f);
  }

  /** Bytes of one frame, through the kernel mapping (a view, no copy). */
  frame(f: number): Uint8Array {
    const o = (f % CHUNK_FRAMES) * PAGE_SIZE;
    return this.chunkOf(f).subarray(o, o + PAGE_SIZE);
  }
  /** The chunk holding frame f and the byte offset of f in it (for hot-path copies without subarray). */
  chunkOf(f: number): Uint8Array {
    const i = Math.floor(f / CHUNK_FRAMES);
    return this.chunks[i] ?? this.viewChunk(i);
  }
  private viewChunk(i: number): Uint8Array {
    const off = i * (1 << CHUNK_SHIFT);
    const c = new Uint8Array(host.view(this.base + BigInt(off), Math.min(1 << CHUNK_SHIFT, this.nframes * PAGE_SIZE - off)));
    this.chunks[i] = c;
    return c;
  }
  offsetIn(f: number): number {
    return (f % CHUNK_FRAMES) * PAGE_SIZE;
  }
  /** Copy frame `from`'s bytes into frame `to` (a copy-on-write copy). */
  copyFrame(to: number, from: number): void {
    this.chunkOf(to).set(this.chunkOf(from).subarray(this.offsetIn(from), this.offsetIn(from) + PAGE_SIZE), this.offsetIn(to));
  }
  /** Host address of frame f in the kernel's mapping (to read files straight into it). */
  hostAddr(f: number): bigint {
    return this.base + BigInt(f) * 4096n;
  }

  /** how many frames the last alloc() returned; guarded by the JS thread, read right after the call */
  allocCount = 0;

  /**
   * Allocate up to `want` zeroed frames, contiguous, at least one. Returns the
   * first frame; `allocCount` says how many. Throws OutOfMemory past --mem.
   */
  alloc(want: number): number {
    let room = this.limit - this.used;
    if (room <= 0 && this.cache.evict(Math.max(want, 256)) > 0) room = this.limit - this.used;
    if (room <= 0) throw new OutOfMemory();
    want = Math.min(want, room);
    let f: number, n: number;
    if (this.dirty.length > 0) {
      if (want > 1 && this.shortRuns >= this.sortAfter) this.sortDirty();
      // the top of the pool, extended while the frames below it in the pool
      // continue the run downwards (put() pushes runs in ascending order)
      f = this.dirty.pop()!;
      n = 1;
      while (n < want && this.dirty.length > 0 && this.dirty[this.dirty.length - 1] === f - 1) {
        f = this.dirty.pop()!;
        n++;
      }
      if (n < want && this.dirty.length > 0) this.shortRuns++;
      const c = this.chunkOf(f), o = this.offsetIn(f);
      if (this.chunkOf(f + n - 1) === c) c.fill(0, o, o + n * PAGE_SIZE);
      else for (let i = 0; i < n; i++) this.frame(f + i).fill(0);
    } else if (this.bump < this.limit) {
      n = Math.min(want, this.limit - this.bump);
      f = this.bump;
      this.bump += n;
    } else if (this.clean.length > 0) {
      f = this.clean.pop()!;
      n = 1;
    } else {
      throw new OutOfMemory();
    }
    for (let i = 0; i < n; i++) {
      this.refs[f + i] = 1;
      this.cowHint[f + i] = 0;
    }
    this.used += n;
    this.allocCount = n;
    return f;
  }

  /**
   * Sort the dirty pool (ascending: the top is the highest frame, and runs
   * pop whole). Frees of many processes and threads interleave in the pool,
   * and a pool in pieces hands out a frame at a time: each its own host
   * mapping (a request of the batch, a host VMA: forks, exits and munmaps of
   * a process in thousands of pieces cost the host dearly; a 200-command
   * shell loop got a single frame 10 045 times where it asked for more).
   * Sorting costs k log k for k frames: it waits for k/16 short runs.
   */
  private sortDirty(): void {
    const d = this.dirty, a = Int32Array.from(d).sort();
    for (let i = 0; i < a.length; i++) d[i] = a[i]!;
    this.shortRuns = 0;
    this.sortAfter = Math.max(SORT_AFTER_MIN, d.length >> 4);
    this.stats.poolSorts++;
  }

  /** Take another reference to a frame (sharing it). A count that could
   * wrap would free a frame still in use: refuse long before (try_get_page). */
  get(f: number): void {
    if (this.refs[f]! >= REFS_MAX) throw new OutOfMemory();
    this.refs[f]++;
  }

  /** Drop a reference; the last one frees the frame into the dirty pool. */
  put(f: number): void {
    if (--this.refs[f] === 0) {
      this.used--;
      this.dirty.push(f);
    }
  }

  /**
   * Called once per unmapping operation: if the dirty pool has grown past
   * DIRTY_MAX, punch the excess back into holes (memory back to the host).
   * The pool is a stack that put() fills in the order pages are dropped, so
   * it usually holds ascending runs: punch run by run.
   */
  flushFreed(): void {
    const d = this.dirty;
    if (d.length <= DIRTY_MAX) return;
    const keep = DIRTY_MAX / 2;
    while (d.length > keep) {
      let f = d.pop()!, n = 1;
      while (d.length > keep && d[d.length - 1] === f - 1) {
        f = d.pop()!;
        n++;
      }
      while (d.length > keep && d[d.length - 1] === f + n) {
        d.pop();
        n++;
      }
      host.fallocate(this.fd, host.FALLOC_FL_PUNCH_HOLE | host.FALLOC_FL_KEEP_SIZE, f * PAGE_SIZE, n * PAGE_SIZE);
      for (let i = 0; i < n; i++) this.clean.push(f + i);
    }
  }
}

/** the most references a frame may have: far below Uint32's wrap (vm.max_map_count bounds a process's) */
const REFS_MAX = 0x40000000;
/** frames per stub: its batch page */
export const STUB_SLOT_FRAMES = 1;
/** stubs the reserve has room for (the kernel allows 4096 processes); sparse: only touched pages cost memory */
const STUB_RESERVE_SLOTS = 4160;

/** frames the dirty pool may hold before flushFreed() punches (256 MiB) */
const DIRTY_MAX = 65536;
/** short runs from the dirty pool before it is sorted, at least (sortDirty) */
const SORT_AFTER_MIN = 32;
