/**
 * The "TLB" of one address space (arch/um/kernel/tlb.c, mm/mmu_gather.c):
 * page-table changes become host requests (mmap of physmem frames or host
 * files, munmap, mprotect, and the stub's openat/close of host files),
 * queued in the stub's batch page, merged with the previous request when
 * they continue it, and run by the stub in one round trip in a stopped
 * thread of the process (runBatch) before it runs guest code again. Frames
 * the host may still map when their pages are dropped are gathered and
 * freed only after the flush that unmaps them (or once the host reaped the
 * process): no other process gets a frame a thread of this one can reach.
 *
 * Ownership: one per AddressSpace, guarded by the JS thread; the batch page
 * is stub-shared (written only while no stub code of its process runs:
 * every flush is synchronous).
 */
import { Physmem, PAGE_SIZE } from './physmem.js';
import { Context, StubFailed } from '../platform/platform.js';
import { STUB_BATCH_ENTRY, STUB_BATCH_MAX } from '../platform/stub_layout.js';

export const NR_close = 3, NR_mmap = 9, NR_mprotect = 10, NR_munmap = 11, NR_openat = 257;
/** the longest range one host request may cover (the stub's filter: len < 2^36) */
export const HOST_REQUEST_MAX = 2 ** 36 - PAGE_SIZE;

export class TlbBatch {
  /** queued requests in the batch page (zero again after every flush) */
  count = 0;
  /** the stopped host thread that runs flushes; set by the kernel for each trap and resume */
  syncThread: Context | null = null;
  /** frames dropped while the host still mapped them, freed after the next flush (or the reap) */
  readonly gather: number[] = [];
  /** set once, by release(): the host process is being killed, no more requests */
  released = false;
  /** flushes run (for --stats and tests) */
  flushes = 0;

  constructor(
    /** the stub's batch page through the kernel's physmem mapping; stub-shared, immutable reference */
    private readonly batch: DataView,
    /** where gathered frames go back; immutable */
    private readonly physmem: Physmem,
  ) {}

  /** The process is going: drop what is queued (nothing runs in it again). */
  release(): void {
    this.released = true;
    this.count = 0;
  }

  /** Queue one host request, merging with the previous one when it continues it.
   * (u64 fields written as two u32 halves: no BigInt on the fault path.) */
  queue(nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): void {
    if (this.released) return; // the host process is being killed: nothing to tell it
    // the stub's filter allows len < 2^36 (64 GiB): longer ranges go as several requests
    while (a1 > HOST_REQUEST_MAX && (nr === NR_mmap || nr === NR_munmap || nr === NR_mprotect)) {
      this.queue1(nr, a0, HOST_REQUEST_MAX, a2, a3, a4, a5);
      a0 += HOST_REQUEST_MAX;
      a1 -= HOST_REQUEST_MAX;
      if (nr === NR_mmap) a5 += HOST_REQUEST_MAX;
    }
    this.queue1(nr, a0, a1, a2, a3, a4, a5);
  }
  private queue1(nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): void {
    const b = this.batch;
    const rd = (o: number): number => b.getUint32(o + 4, true) * 0x100000000 + b.getUint32(o, true);
    const wr = (o: number, v: number): void => {
      b.setUint32(o, v >>> 0, true);
      b.setUint32(o + 4, Math.floor(v / 0x100000000) >>> 0, true);
    };
    if (this.count > 0) {
      const o = (this.count - 1) * STUB_BATCH_ENTRY;
      const pnr = b.getUint32(o, true);
      const pa = rd(o + 8), pl = rd(o + 16);
      if (pnr === nr && pa + pl === a0 && pl + a1 <= HOST_REQUEST_MAX) {
        if (nr === NR_munmap || (nr === NR_mprotect && rd(o + 24) === a2)) {
          wr(o + 16, pl + a1);
          return;
        }
        if (nr === NR_mmap && rd(o + 24) === a2 && rd(o + 48) + pl === a5 && rd(o + 32) === a3 && rd(o + 40) === a4) {
          wr(o + 16, pl + a1);
          return;
        }
      }
    }
    if (this.count >= STUB_BATCH_MAX) this.runQueue(); // (gathered frames wait for the end: some are still in the queue's next run)
    const o = this.count * STUB_BATCH_ENTRY;
    wr(o, nr);
    wr(o + 8, a0);
    wr(o + 16, a1);
    wr(o + 24, a2);
    wr(o + 32, a3);
    wr(o + 40, a4);
    wr(o + 48, a5);
    this.count++;
    wr(this.count * STUB_BATCH_ENTRY, 0);
  }

  /**
   * Run the queued requests now, synchronously, in the sync thread (left
   * stopped at the stub's batch trap: the caller restores its registers).
   * A failing request is a kernel bug or host exhaustion: thrown.
   */
  flush(): void {
    if (this.count === 0) return;
    this.runQueue();
    this.freeGathered();
  }

  /** The gathered frames go back to physmem: no host mapping reaches them any more. */
  freeGathered(): void {
    for (const f of this.gather) this.physmem.put(f);
    this.gather.length = 0;
  }
  /**
   * Flush a queue whose last request is an openat, and return its result
   * (the stub's fd, or -errno: that request may fail; any other is a bug).
   */
  flushOpen(): number {
    return this.runQueue(true);
  }
  /**
   * Run the queue in the sync thread and empty it. A request the host
   * refuses is StubFailed (that process is killed: its host mappings no
   * longer match its page table), except a last openat when `lastMayFail`:
   * its -errno is returned; else the last request's result.
   */
  private runQueue(lastMayFail = false): number {
    const t = this.syncThread;
    if (!t) throw new Error('mm flush with no stopped thread');
    const count = this.count;
    this.count = 0;
    this.flushes++;
    this.physmem.stats.flushes++;
    const { err, index, last } = t.runBatch();
    this.batch.setUint32(0, 0, true);
    this.batch.setUint32(4, 0, true);
    if (err === 0) return last;
    if (lastMayFail && index === count - 1) return err;
    throw new StubFailed(t.tid, `batch request ${index} failed: errno ${-err}`);
  }
}
