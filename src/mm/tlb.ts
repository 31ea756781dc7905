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
import { Errno } from '../abi/errno.js';

const ENOMEM = Errno.ENOMEM;

export const NR_close = 3, NR_mmap = 9, NR_mprotect = 10, NR_munmap = 11, NR_openat = 257;

/**
 * A direct mapping's host mmap: the one request the host may refuse on the
 * guest's behalf (the file's host filesystem has no mmap — sysfs, procfs —
 * or the file's attributes forbid this protection, or the host is short of
 * mappings). Its address space hears of it after the flush (refusals) and
 * maps that file by copying, or fails the guest's mmap with the errno.
 */
export interface DirectRequest {
  /** the guest range the request maps */
  readonly start: number;
  readonly end: number;
  /** the stub's descriptor it maps from, and its key in the address space's stubFds */
  readonly fd: number;
  readonly key: string;
}
/** A DirectRequest the host refused, with its errno (positive). */
export interface Refusal extends DirectRequest {
  readonly errno: number;
}
/** the longest range one host request may cover (the stub's filter: len < 2^36) */
export const HOST_REQUEST_MAX = 2 ** 36 - PAGE_SIZE;

/** A u64 field of a batch entry, written as two u32 halves (queue1). */
function rd64(b: DataView, o: number): number {
  return b.getUint32(o + 4, true) * 0x100000000 + b.getUint32(o, true);
}

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
  /** queued requests the host may refuse, by batch index (never merged with a neighbour) */
  private readonly direct = new Map<number, DirectRequest>();
  /** times the host was out of room for this process's mappings (onHostFull), for tests and --stats */
  hostFull = 0;
  /** an eviction's munmaps are queued and no run has gone through since */
  private evicting = false;
  /** refused direct requests, for the address space to handle after the flush (AddressSpace.flush) */
  readonly refused: Refusal[] = [];

  constructor(
    /** the stub's batch page through the kernel's physmem mapping; stub-shared, immutable reference */
    private readonly batch: DataView,
    /** where gathered frames go back; immutable */
    private readonly physmem: Physmem,
    /**
     * The host refused a mapping request for want of room (ENOMEM: its
     * vm.max_map_count, which scattered frames reach long before the guest
     * reaches its own): the requests after it are dropped, and the address
     * space drops every host mapping it has, as a full TLB is flushed —
     * faults bring back what is used. Immutable.
     */
    private readonly onHostFull: () => void = () => {},
  ) {}

  /** The process is going: drop what is queued (nothing runs in it again). */
  release(): void {
    this.released = true;
    this.count = 0;
    this.direct.clear();
    this.refused.length = 0;
  }

  /**
   * Queue the host mmap of a direct mapping: like queue(), but the host may
   * refuse it without that being a kernel bug (see DirectRequest).
   */
  queueDirect(start: number, len: number, prot: number, flags: number, fd: number, off: number, key: string): void {
    if (this.released) return;
    for (let at = 0; at < len; at += HOST_REQUEST_MAX) {
      const n = Math.min(HOST_REQUEST_MAX, len - at);
      if (this.count >= STUB_BATCH_MAX) this.runQueue();
      this.queue1(NR_mmap, start + at, n, prot, flags, fd, off + at, false);
      this.direct.set(this.count - 1, { start: start + at, end: start + at + n, fd, key });
    }
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
  private queue1(nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, merge = true): void {
    const b = this.batch;
    const wr = (o: number, v: number): void => {
      b.setUint32(o, v >>> 0, true);
      b.setUint32(o + 4, Math.floor(v / 0x100000000) >>> 0, true);
    };
    // a direct request stays on its own: its refusal must name its range alone
    if (merge && this.count > 0 && !(this.direct.size > 0 && this.direct.has(this.count - 1))) {
      const o = (this.count - 1) * STUB_BATCH_ENTRY;
      const pnr = b.getUint32(o, true);
      const pa = rd64(b, o + 8), pl = rd64(b, o + 16);
      if (pnr === nr && pa + pl === a0 && pl + a1 <= HOST_REQUEST_MAX) {
        if (nr === NR_munmap || (nr === NR_mprotect && rd64(b, o + 24) === a2)) {
          wr(o + 16, pl + a1);
          return;
        }
        if (nr === NR_mmap && rd64(b, o + 24) === a2 && rd64(b, o + 48) + pl === a5 && rd64(b, o + 32) === a3 && rd64(b, o + 40) === a4) {
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
   * A refused request: see runQueue.
   */
  flush(): void {
    if (this.count === 0) return;
    // (a run that met a full host queues the munmaps of the eviction: those
    // run too before any gathered frame is freed)
    while (this.count > 0) this.runQueue();
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
   * Run the queue in the sync thread and empty it. A direct request the
   * host refuses goes to `refused` and the requests after it run in a new
   * round trip; any other refused request is StubFailed (that process is
   * killed: its host mappings no longer match its page table), except a
   * last openat when `lastMayFail`: its -errno is returned; else the last
   * request's result.
   */
  private runQueue(lastMayFail = false): number {
    const t = this.syncThread;
    if (!t) throw new Error('mm flush with no stopped thread');
    let count = this.count, ret = 0;
    this.count = 0;
    for (;;) {
      this.flushes++;
      this.physmem.stats.flushes++;
      const every = this.physmem.test.hostFullEvery;
      const { err, index, last } = every > 0 && !this.evicting && ++this.physmem.test.runs % every === 0 && this.batch.getUint32(0, true) !== NR_close
        ? { err: -ENOMEM, index: 0, last: 0 } // (the test hook: the first request refused, nothing run)
        : t.runBatch();
      if (err === 0) {
        ret = last;
        this.evicting = false;
        break;
      }
      if (lastMayFail && index === count - 1) {
        this.direct.clear();
        this.batch.setUint32(0, 0, true);
        this.batch.setUint32(4, 0, true);
        return err;
      }
      const d = index >= 0 && index < count ? this.direct.get(index) : undefined;
      const failedNr = index >= 0 && index < count ? this.batch.getUint32(index * STUB_BATCH_ENTRY, true) : 0;
      if (!d && -err === ENOMEM && (failedNr === NR_mmap || failedNr === NR_mprotect || failedNr === NR_munmap) && !this.evicting) {
        // the descriptors the stub was to close still go; the mapping
        // requests after the refused one are moot: nothing stays mapped.
        // The eviction unmaps the VMAs only: a range the refused request
        // and those dropped after it were to change goes too (an munmap
        // of memory no VMA covers any more, a guest's munmap or an exec's
        // old image, would leave the host mapping frames freed meanwhile)
        const closes: number[] = [], ranges: number[] = [];
        for (let i = index; i < count; i++) {
          const o = i * STUB_BATCH_ENTRY, nr = this.batch.getUint32(o, true);
          if (nr === NR_close) closes.push(this.batch.getUint32(o + 8, true));
          else if (nr === NR_mmap || nr === NR_munmap || nr === NR_mprotect) ranges.push(rd64(this.batch, o + 8), rd64(this.batch, o + 16));
        }
        this.direct.clear();
        this.batch.setUint32(0, 0, true);
        this.batch.setUint32(4, 0, true);
        this.hostFull++;
        this.physmem.stats.hostFull++;
        // until a run goes through: a host that refuses even the eviction's
        // munmaps (splitting a mapping at the limit) leaves this process
        // nothing to run on — StubFailed below, not an endless loop
        this.evicting = true;
        this.onHostFull();
        for (let i = 0; i < ranges.length; i += 2) this.queue(NR_munmap, ranges[i]!, ranges[i + 1]!, 0, 0, 0, 0);
        for (const fd of closes) this.queue(NR_close, fd, 0, 0, 0, 0, 0);
        // now, before anything else looks at the page table: its host bits
        // are clear, so the host must hold nothing (a frame freed as
        // unmapped must be unreachable at once)
        while (this.count > 0) this.runQueue();
        // an openat that was dropped: the caller maps that file by copying
        return lastMayFail ? err : 0;
      }
      if (!d) {
        this.direct.clear();
        this.batch.setUint32(0, 0, true);
        this.batch.setUint32(4, 0, true);
        throw new StubFailed(t.tid, `batch request ${index} failed: errno ${-err}`);
      }
      this.refused.push({ ...d, errno: -err });
      // the stub stopped at the refused request: what follows it has not
      // run, and moves to the top of the page for the next round trip
      const rest = count - index - 1;
      const bytes = new Uint8Array(this.batch.buffer, this.batch.byteOffset, this.batch.byteLength);
      bytes.copyWithin(0, (index + 1) * STUB_BATCH_ENTRY, count * STUB_BATCH_ENTRY);
      const moved = new Map<number, DirectRequest>();
      for (const [i, r] of this.direct) if (i > index) moved.set(i - index - 1, r);
      this.direct.clear();
      for (const [i, r] of moved) this.direct.set(i, r);
      count = rest;
      this.batch.setUint32(count * STUB_BATCH_ENTRY, 0, true);
      this.batch.setUint32(count * STUB_BATCH_ENTRY + 4, 0, true);
      if (count === 0) break;
    }
    this.direct.clear();
    this.batch.setUint32(0, 0, true);
    this.batch.setUint32(4, 0, true);
    return ret;
  }
}
