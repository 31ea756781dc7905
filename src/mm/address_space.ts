/**
 * struct mm_struct: one guest address space — its VMAs, its page table, and
 * the host process (stub) whose host mappings mirror that page table.
 *
 * A guest page is a physmem frame, or a page of a host file that the stub
 * maps itself. The page table maps virtual page numbers to frames; the host
 * process maps the same frames (MAP_SHARED from physmem) at the same
 * addresses. A "direct" VMA (a read-only private or shared mapping of a host
 * file: program text, libraries, read-only data) is mapped by the host
 * straight from the host file (its page cache), whole, with no copy and no
 * fault per page; the page table holds only the pages the guest has of its
 * own there (copies made by writes after an mprotect), mapped over the file. Changes to the page table reach the host
 * through the "TLB": requests queued in the stub's batch page, merged with
 * the previous one when contiguous, and executed by the stub in one round
 * trip before the guest runs again (arch/um/kernel/tlb.c).
 *
 * Lock order: none (mm code never awaits). All state below is guarded by the
 * JS thread and changed only while every thread of this address space that
 * could observe the change is stopped, or through a flush that completes
 * before the changing syscall returns (which is the TLB-shootdown guarantee).
 * Two things are stub-shared, mapped by the host process too: the batch page
 * (stubPages.batch: read-only there, written by the kernel only between
 * flushes, while no stub code of this process runs) and the physmem frames
 * the page table names (guest memory: running guest threads write them at
 * any time, so nothing read from them is trusted).
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import { O_RDONLY, O_RDWR, O_CLOEXEC } from '../abi/fcntl.js';
import { Physmem, PAGE_SIZE, OutOfMemory } from './physmem.js';
import { Platform, Context, StubPages } from '../platform/platform.js';
import { Vma, VmFile, HostMappable } from './vma.js';
export { Vma };
import { TlbBatch, NR_close, NR_mmap, NR_mprotect, NR_munmap, NR_openat } from './tlb.js';
import {
  GUEST_TASK_SIZE, STUB_BATCH, STUB_BATCH_PATH, STUB_FD_PHYSMEM,
} from '../platform/stub_layout.js';

export { PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, PROT_SEM, PROT_GROWSDOWN, PROT_GROWSUP } from '../abi/mman.js';
import { PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC } from '../abi/mman.js';
export { MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_TYPE, MAP_FIXED, MAP_ANONYMOUS, MAP_32BIT, MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_LOCKED, MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB, MAP_SYNC, MAP_FIXED_NOREPLACE, MAP_UNINITIALIZED } from '../abi/mman.js';
import { MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_TYPE, MAP_FIXED, MAP_GROWSDOWN, MAP_POPULATE, MAP_FIXED_NOREPLACE } from '../abi/mman.js';
export { MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP } from '../abi/mman.js';
import { MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP } from '../abi/mman.js';

/** Fault error-code bits (x86 #PF) */
export const PF_PROT = 1, PF_WRITE = 2, PF_USER = 4, PF_INSTR = 16;
/** si_code values for SIGSEGV */
export const SEGV_MAPERR = 1, SEGV_ACCERR = 2;

/** host files a stub holds open for direct mappings before they are all closed and reopened as needed */
const STUB_FDS_MAX = 128;
const SYS_HOST_PROT_MASK = PROT_READ | PROT_WRITE | PROT_EXEC;
/** parked host threads an address space keeps for new guest threads */
const PARKED_MAX = 2;
/** sysctl_max_map_count's default (include/linux/mm.h DEFAULT_MAX_MAP_COUNT) */
const MAX_MAP_COUNT = 65530;

export type { HostMappable, VmFile } from './vma.js';

/** One 512-entry page-table page (2 MiB of address space). Owned by its
 * AddressSpace (fork copies the arrays); the frames it names are stub-shared. */
interface PtPage {
  /** frame + 1; 0 = not present */
  frame: Int32Array;
  /** PTE_* bits */
  bits: Uint8Array;
  /** present entries, to drop empty pages */
  count: number;
}
/** the host process has this page mapped (with the VMA's protection) */
const PTE_HOST = 1;

const PT_SHIFT = 9;
const PT_SIZE = 1 << PT_SHIFT;

/** mmap layout (arch/x86/mm/mmap.c, without randomization) */
export const STACK_TOP = GUEST_TASK_SIZE - 0x1000000; // a gap under the stub
export const STACK_MAX = 8 << 20; // RLIMIT_STACK default
const MMAP_BASE = STACK_TOP - STACK_MAX - (128 << 20);
export const MMAP_MIN_ADDR = 0x10000;

const FAULT_AROUND_MIN = 16; // pages
/** pages on each side of a copy-on-write fault copied with it */
const COW_AROUND = 8;
/** how much of a file mapping exec/mmap map up front */
const PREFAULT_MAX = 1 << 20;
const FAULT_AROUND_MAX = 128;

/** Host protection of a direct VMA's file pages: a private one is never
 * writable there (a write faults, and the page is copied), but stays readable. */
function directProt(v: Vma): number {
  let p = v.prot;
  if (!(v.flags & MAP_SHARED) && p & PROT_WRITE) p = (p & ~PROT_WRITE) | PROT_READ;
  return p & SYS_HOST_PROT_MASK;
}

/** A shared mapping that may be written: its stub descriptor is opened read-write. */
function writableShared(v: Vma): boolean {
  return (v.flags & MAP_SHARED) !== 0 && (v.mayProt & PROT_WRITE) !== 0;
}

function pageUp(x: number): number {
  return Math.ceil(x / PAGE_SIZE) * PAGE_SIZE;
}
function aligned(x: number): boolean {
  return x % PAGE_SIZE === 0;
}

/** Address-space ids only need to be unique within this Node process.
 * Module-level mutable state, shared by every kernel in the process (guarded by the JS thread). */
let lastMmId = 0;
function nextMmId(): number {
  return ++lastMmId;
}

export class AddressSpace {
  /** sorted, non-overlapping; guarded by the JS thread */
  readonly vmas: Vma[] = [];
  /** page table: (vpn / 512) -> page-table page; guarded by the JS thread */
  private readonly pt = new Map<number, PtPage>();
  /** brk area: [brkStart, brk); guarded by the JS thread (brk(2), the loader, exec's reset) */
  brkStart = 0;
  brk = 0;
  /** map-ahead state: where the last fault-around ended, and the next window; guarded by the JS thread */
  private faultNext = -1;
  private faultWindow = FAULT_AROUND_MIN;
  /** counters for --stats and tests; guarded by the JS thread */
  faults = 0;
  /** host threads using this address space (for kill on teardown); guarded by the JS thread (newThread, the kernel's exit paths, release) */
  readonly threads = new Set<Context>();
  /** host threads of guest threads that exited, left stopped: the next new thread takes one (guarded by the JS thread) */
  private readonly parked: Context[] = [];
  /** references: tasks using this mm (CLONE_VM shares it); guarded by the JS thread (clone, the kernel's exit paths) */
  users = 1;
  /** unique id (futex keys); immutable */
  readonly id = nextMmId();
  private constructor(
    /** immutable */
    readonly physmem: Physmem,
    /** the stub's batch page; immutable reference, its bytes stub-shared (see StubPages) */
    readonly stubPages: StubPages,
    /** its physmem frame, returned once the host process is reaped; immutable */
    private readonly stubSlot: number,
    /** the stub's host pid (its first thread's tid); immutable */
    readonly hostPid: number,
    /** where the stub runs; immutable */
    readonly platform: Platform,
  ) {
    this.tlb = new TlbBatch(stubPages.batch, physmem);
  }
  /** the host requests that mirror page-table changes (tlb.ts); immutable reference */
  readonly tlb: TlbBatch;

  /** A new, empty address space with its own stub host process. Returns it with its first host thread. */
  static create(physmem: Physmem, platform: Platform): { mm: AddressSpace; thread: Context } {
    const slot = physmem.allocStubSlot();
    const chunk = physmem.chunkOf(slot);
    const pages: StubPages = {
      batchOff: slot * PAGE_SIZE,
      batch: new DataView(chunk.buffer, chunk.byteOffset + physmem.offsetIn(slot), PAGE_SIZE),
    };
    let thread: Context;
    try {
      thread = platform.newAddressSpace(physmem.fd, pages);
    } catch (e) {
      physmem.freeStubSlot(slot);
      throw e;
    }
    const mm = new AddressSpace(physmem, pages, slot, thread.tid, platform);
    mm.threads.add(thread);
    return { mm, thread };
  }

  /**
   * A host thread for a new guest thread: a parked one, or a new one cloned
   * by `from` (stopped; it runs the stub's clone). -EAGAIN when the host
   * refuses.
   */
  newThread(from: Context): Context | number {
    const p = this.parked.pop();
    if (p) return p;
    const t = from.cloneThread();
    if (typeof t === 'number') return -Errno.EAGAIN;
    this.threads.add(t);
    return t;
  }
  /** A guest thread ended: its host thread (stopped) waits for the next new thread. */
  park(t: Context): void {
    // a few are kept for the next new thread; more would let a guest pile up
    // host threads (and host pids) beyond its live threads
    if (this.parked.length >= PARKED_MAX) {
      this.threads.delete(t);
      t.retire();
      return;
    }
    this.parked.push(t);
  }

  /**
   * fork: a new address space (its own stub) with a copy of every VMA and
   * every page shared copy-on-write: frames get a reference more, and the
   * host loses write access to this side's private writable pages so the
   * next write on either side faults and copies (mm/memory.c: do_wp_page).
   * The caller flushes this mm before its task resumes.
   */
  fork(): { mm: AddressSpace; thread: Context } {
    const { mm: child, thread } = AddressSpace.create(this.physmem, this.platform);
    child.brkStart = this.brkStart;
    child.brk = this.brk;
    for (const v of this.vmas) child.vmas.push(v.clone());
    const pm = this.physmem;
    for (const [k, p] of this.pt) {
      const q: PtPage = { frame: new Int32Array(p.frame), bits: new Uint8Array(PT_SIZE), count: p.count };
      for (let i = 0; i < PT_SIZE; i++) {
        const f = p.frame[i]!;
        if (f) pm.get(f - 1);
      }
      child.pt.set(k, q);
    }
    for (const v of this.vmas) {
      if (!(v.flags & MAP_SHARED) && v.prot & PROT_WRITE) this.protectHost(v.start, v.end, v.prot & ~PROT_WRITE);
    }
    return { mm: child, thread };
  }

  /**
   * execve: drop every mapping (the host loses them at the next flush) and
   * start over empty in the same stub process, which saves spawning one.
   */
  reset(): void {
    for (const v of [...this.vmas]) this.removeRange(v.start, v.end);
    this.brkStart = this.brk = 0;
    this.faultNext = -1;
    this.faultWindow = FAULT_AROUND_MIN;
  }

  // ---- VMA bookkeeping ------------------------------------------------------

  /** The VMA containing addr, or null. */
  find(addr: number): Vma | null {
    const v = this.vmas;
    let lo = 0, hi = v.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = v[mid]!;
      if (addr < m.start) hi = mid - 1;
      else if (addr >= m.end) lo = mid + 1;
      else return m;
    }
    return null;
  }
  /** Index of the first VMA ending after addr. */
  private firstAfter(addr: number): number {
    const v = this.vmas;
    let lo = 0, hi = v.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v[mid]!.end <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  private overlaps(start: number, end: number): boolean {
    const i = this.firstAfter(start);
    return i < this.vmas.length && this.vmas[i]!.start < end;
  }
  /** Is [start, end) covered by VMAs with no hole? */
  private covered(start: number, end: number): boolean {
    let at = start;
    for (let i = this.firstAfter(start); i < this.vmas.length && at < end; i++) {
      const m = this.vmas[i]!;
      if (m.start > at) return false;
      at = m.end;
    }
    return at >= end;
  }
  private insert(vma: Vma): void {
    const i = this.firstAfter(vma.start);
    this.vmas.splice(i, 0, vma);
    this.mergeAround(i);
  }
  /** Merge VMA i with its neighbours when they are the same mapping continued. */
  private mergeAround(i: number): void {
    const v = this.vmas;
    const can = (a: Vma, b: Vma): boolean =>
      a.end === b.start && a.prot === b.prot && a.flags === b.flags && a.file === b.file && a.name === b.name && a.mayProt === b.mayProt &&
      a.direct === b.direct &&
      (a.file === null || a.pgoff + (a.end - a.start) === b.pgoff);
    if (i + 1 < v.length && can(v[i]!, v[i + 1]!)) {
      v[i]!.end = v[i + 1]!.end;
      v.splice(i + 1, 1)[0]!.drop();
    }
    if (i > 0 && can(v[i - 1]!, v[i]!)) {
      v[i - 1]!.end = v[i]!.end;
      v.splice(i, 1)[0]!.drop();
    }
  }
  /** Split so that no VMA straddles addr. */
  private splitAt(addr: number): void {
    const m = this.find(addr);
    if (!m || m.start === addr) return;
    const tail = m.clone();
    tail.start = addr;
    if (tail.file) tail.pgoff += addr - m.start;
    m.end = addr;
    this.vmas.splice(this.vmas.indexOf(m) + 1, 0, tail);
  }
  /** Remove VMAs in [start, end) (splitting at the edges); frees pages, queues host munmap. */
  private removeRange(start: number, end: number): void {
    this.splitAt(start);
    this.splitAt(end);
    let i = this.firstAfter(start);
    let n = 0;
    while (i + n < this.vmas.length && this.vmas[i + n]!.start < end) n++;
    if (n > 0) {
      for (const gone of this.vmas.splice(i, n)) {
        // the host's mapping of the file goes whole (its own pages go with dropPages)
        if (gone.direct) this.tlb.queue(NR_munmap, gone.start, gone.end - gone.start, 0, 0, 0, 0);
        gone.drop();
      }
    }
    this.dropPages(start, end);
  }

  /** A free range of len bytes where mmap would put it. */
  findFree(len: number): number {
    return this.getUnmappedArea(0, pageUp(len));
  }
  /** Find a free range of len bytes, top-down below MMAP_BASE (or at hint if free). */
  private getUnmappedArea(hint: number, len: number): number {
    if (hint && aligned(hint) && hint >= MMAP_MIN_ADDR && hint + len <= GUEST_TASK_SIZE && !this.overlaps(hint, hint + len)) return hint;
    let top = MMAP_BASE;
    for (let i = this.firstAfter(top) - 1; ; i--) {
      const below = i >= 0 ? this.vmas[i]!.end : MMAP_MIN_ADDR;
      const limit = Math.min(top, i + 1 < this.vmas.length ? this.vmas[i + 1]!.start : top);
      if (limit - below >= len && limit <= top) return limit - len;
      if (i < 0) break;
      top = Math.min(top, this.vmas[i]!.start);
    }
    // nothing below the base: try above it (under the stack)
    for (let i = this.firstAfter(MMAP_BASE); i <= this.vmas.length; i++) {
      const lo = Math.max(MMAP_BASE, i > 0 ? this.vmas[i - 1]!.end : MMAP_BASE);
      const hi = i < this.vmas.length ? this.vmas[i]!.start : GUEST_TASK_SIZE;
      if (hi - lo >= len) return lo;
    }
    throw new ErrnoError(Errno.ENOMEM);
  }

  // ---- page table -----------------------------------------------------------

  private ptPage(vpn: number, create: boolean): PtPage | undefined {
    const k = Math.floor(vpn / PT_SIZE);
    let p = this.pt.get(k);
    if (!p && create) {
      p = { frame: new Int32Array(PT_SIZE), bits: new Uint8Array(PT_SIZE), count: 0 };
      this.pt.set(k, p);
    }
    return p;
  }
  /** Frame mapped at vpn, or -1. */
  frameAt(vpn: number): number {
    const p = this.pt.get(Math.floor(vpn / PT_SIZE));
    return p ? p.frame[vpn % PT_SIZE]! - 1 : -1;
  }
  /** Number of present pages (resident set), for /proc and tests. */
  get rss(): number {
    let n = 0;
    for (const p of this.pt.values()) n += p.count;
    return n;
  }
  /**
   * Visit the present page-table entries of [start, end) in order, and report
   * the runs of pages the host had mapped (before the visit) to onRun as
   * [first vpn, end vpn): the host requests for a range are one per run,
   * not one per page. Empty page-table pages are dropped afterwards.
   */
  private walk(start: number, end: number, visit: ((p: PtPage, i: number) => void) | null, onRun: (v0: number, v1: number) => void): void {
    const v0 = start / PAGE_SIZE, v1 = end / PAGE_SIZE;
    let runStart = -1, runEnd = -1;
    for (let k = Math.floor(v0 / PT_SIZE); k <= Math.floor((v1 - 1) / PT_SIZE); k++) {
      const p = this.pt.get(k);
      if (!p) continue;
      const base = k * PT_SIZE;
      const lo = Math.max(v0, base) - base, hi = Math.min(v1, base + PT_SIZE) - base;
      for (let i = lo; i < hi; i++) {
        if (!p.frame[i]) continue;
        if (p.bits[i]! & PTE_HOST) {
          if (base + i !== runEnd) {
            if (runStart >= 0) onRun(runStart, runEnd);
            runStart = base + i;
          }
          runEnd = base + i + 1;
        }
        visit?.(p, i);
      }
      if (p.count === 0) this.pt.delete(k);
    }
    if (runStart >= 0) onRun(runStart, runEnd);
  }

  /** Drop the pages of [start, end): release their frames; the host unmaps what it had (untouched memory costs no flush). */
  private dropPages(start: number, end: number): void {
    this.walk(start, end, (p, i) => {
      if (p.bits[i]! & PTE_HOST) this.tlb.gather.push(p.frame[i]! - 1);
      else this.physmem.put(p.frame[i]! - 1);
      p.frame[i] = 0;
      p.bits[i] = 0;
      p.count--;
    }, (r0, r1) => this.tlb.queue(NR_munmap, r0 * PAGE_SIZE, (r1 - r0) * PAGE_SIZE, 0, 0, 0, 0));
    if (this.tlb.count === 0 && !this.tlb.released) this.tlb.freeGathered();
    this.physmem.flushFreed();
  }



  /**
   * The host loses its mappings of [start, end); the pages stay in the page
   * table, and the next access faults and maps them again.
   */
  private unmapHost(start: number, end: number): void {
    this.walk(start, end, (p, i) => {
      p.bits[i]! &= ~PTE_HOST;
    }, (r0, r1) => this.tlb.queue(NR_munmap, r0 * PAGE_SIZE, (r1 - r0) * PAGE_SIZE, 0, 0, 0, 0));
  }

  /** Lower the host protection of what the host has mapped in [start, end) to prot (copy-on-write after fork). */
  private protectHost(start: number, end: number, prot: number): void {
    this.walk(start, end, null, (r0, r1) => this.tlb.queue(NR_mprotect, r0 * PAGE_SIZE, (r1 - r0) * PAGE_SIZE, prot & SYS_HOST_PROT_MASK, 0, 0, 0));
  }

  /** Is this page of vma copy-on-write (private, writable, frame shared)? */
  private isCow(vma: Vma, frame: number): boolean {
    return !(vma.flags & MAP_SHARED) && (vma.prot & PROT_WRITE) !== 0 && this.physmem.refs[frame]! > 1;
  }

  /** Give the page its own copy of a shared frame (do_wp_page). Returns the new frame. */
  private breakCow(p: PtPage, i: number): number {
    const old = p.frame[i]! - 1;
    const pm = this.physmem;
    const f = pm.alloc(1);
    pm.stats.cowCopies++;
    pm.chunkOf(f).set(pm.chunkOf(old).subarray(pm.offsetIn(old), pm.offsetIn(old) + PAGE_SIZE), pm.offsetIn(f));
    // still mapped by the host until the flush that maps the copy: our
    // reference goes only then, or another process could get the frame
    // while a thread of this one still reaches it
    if (p.bits[i]! & PTE_HOST) this.tlb.gather.push(old);
    else pm.put(old);
    p.frame[i] = f + 1;
    p.bits[i]! &= ~PTE_HOST;
    return f;
  }

  // ---- TLB: batched host mapping changes (tlb.ts) ----------------------------------

  /** The stopped host thread flushes run in; the kernel sets it before handling each trap. */
  setSyncThread(t: Context): void {
    this.tlb.syncThread = t;
  }
  get pendingFlush(): number {
    return this.tlb.count;
  }
  /** Run the queued requests now (see TlbBatch.flush). */
  flush(): void {
    this.tlb.flush();
  }
  /** flushes run so far (for --stats and tests) */
  get flushes(): number {
    return this.tlb.flushes;
  }

  /** Queue the host mapping of pages [vpn, vpn+n) to frames [frame, frame+n). */
  private queueMap(vpn: number, n: number, frame: number, prot: number): void {
    this.tlb.queue(NR_mmap, vpn * PAGE_SIZE, n * PAGE_SIZE, prot & SYS_HOST_PROT_MASK, MAP_SHARED | MAP_FIXED, STUB_FD_PHYSMEM, frame * PAGE_SIZE);
  }

  // ---- direct mappings of host files ----------------------------------------------

  /** host file id -> the stub's fd for it; guarded by the JS thread */
  private readonly stubFds = new Map<string, number>();
  /** host files the stub could not open (mapped by copying instead); guarded by the JS thread */
  private readonly noDirect = new Set<string>();

  /**
   * The stub's descriptor of a host file, opened now if it has none: the
   * stub opens the kernel's own descriptor by its /proc name (written in the
   * batch page, which the guest cannot write). -1 if it can't be had.
   */
  private stubFd(hm: HostMappable, rw: boolean): number {
    const id = rw ? `${hm.id}:rw` : hm.id;
    const have = this.stubFds.get(id);
    if (have !== undefined) return have;
    if (this.tlb.released || !this.tlb.syncThread || this.noDirect.has(id)) return -1;
    if (this.stubFds.size >= STUB_FDS_MAX) {
      // closing costs nothing mapped: a host mapping holds its own reference to the file
      for (const fd of this.stubFds.values()) this.tlb.queue(NR_close, fd, 0, 0, 0, 0, 0);
      this.stubFds.clear();
    }
    let got = -1;
    hm.withFd((kfd) => {
      const b = this.stubPages.batch;
      const path = Buffer.from(`/proc/${process.pid}/fd/${kfd}\0`);
      for (let i = 0; i < path.length; i++) b.setUint8(STUB_BATCH_PATH + i, path[i]!);
      // dirfd 0: unused with an absolute path, and keeps arg0 under the filter's address bound
      this.tlb.queue(NR_openat, 0, STUB_BATCH + STUB_BATCH_PATH, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0, 0, 0);
      got = this.tlb.flushOpen();
    });
    if (got < 0) {
      this.noDirect.add(id);
      return -1;
    }
    this.stubFds.set(id, got);
    return got;
  }

  /**
   * Map [start, end) of direct VMA v from its host file, then the pages the
   * guest has of its own there over it. If the stub can't open the file the
   * VMA stops being direct: its pages are copied on fault like any other.
   */
  private remapDirect(v: Vma, start = v.start, end = v.end): void {
    const fd = this.stubFd(v.file!.hostMap!, writableShared(v));
    if (fd < 0) {
      v.direct = false;
      this.tlb.queue(NR_munmap, v.start, v.end - v.start, 0, 0, 0, 0);
      this.walk(v.start, v.end, (p, i) => {
        p.bits[i]! &= ~PTE_HOST;
      }, () => {});
      return;
    }
    const shared = (v.flags & MAP_SHARED) !== 0;
    this.tlb.queue(NR_mmap, start, end - start, directProt(v), (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED, fd, v.pgoff + (start - v.start));
    const v0 = start / PAGE_SIZE, v1 = end / PAGE_SIZE;
    for (let k = Math.floor(v0 / PT_SIZE); k <= Math.floor((v1 - 1) / PT_SIZE); k++) {
      const p = this.pt.get(k);
      if (!p) continue;
      const base = k * PT_SIZE;
      for (let i = Math.max(v0, base) - base, hi = Math.min(v1, base + PT_SIZE) - base; i < hi; i++) {
        const f = p.frame[i]!;
        if (!f) continue;
        this.queueMap(base + i, 1, f - 1, this.isCow(v, f - 1) ? v.prot & ~PROT_WRITE : v.prot);
        p.bits[i]! |= PTE_HOST;
      }
    }
  }

  /**
   * Insert a new VMA; a read-only private or a shared mapping of a host file
   * becomes direct (split where a page would reach past hostMapLimit: those
   * are copied) and is mapped from the file at once.
   */
  private insertMapping(v: Vma): void {
    const f = v.file;
    if (f?.hostMap && (v.flags & MAP_SHARED || !(v.prot & PROT_WRITE))) {
      let cut = v.end;
      if (f.hostMapLimit !== undefined) cut = Math.min(v.end, v.start + Math.max(0, Math.floor((f.hostMapLimit - v.pgoff) / PAGE_SIZE) * PAGE_SIZE));
      if (cut > v.start) {
        let tail: Vma | null = null;
        if (cut < v.end) {
          tail = v.clone();
          tail.start = cut;
          tail.pgoff += cut - v.start;
          v.end = cut;
        }
        v.direct = true;
        const start = v.start, end = v.end;
        this.insert(v);
        this.remapDirect(this.find(start)!, start, end);
        if (tail) this.insert(tail);
        return;
      }
    }
    this.insert(v);
  }

  /** A write to a page of a private direct VMA the guest has no copy of: its own frame, read from the file (do_cow_fault). */
  private copyDirectPage(vma: Vma, vpn: number): number {
    const pm = this.physmem;
    const f = pm.alloc(1);
    vma.file!.fillHost(vma.pgoff + (vpn * PAGE_SIZE - vma.start), pm.hostAddr(f), PAGE_SIZE);
    pm.stats.fileReads++;
    pm.stats.fileReadPages++;
    const p = this.ptPage(vpn, true)!, i = vpn % PT_SIZE;
    p.frame[i] = f + 1;
    p.bits[i] = PTE_HOST;
    p.count++;
    this.queueMap(vpn, 1, f, vma.prot);
    return f;
  }

  /** A fault in a direct VMA: a copy-on-write, or a page the host lost (mapped again, file and all). */
  private directFault(vma: Vma, vpn: number, err: number): number {
    const p = this.ptPage(vpn, false), i = vpn % PT_SIZE;
    const f = p ? p.frame[i]! : 0;
    if (f) {
      if (err & PF_WRITE && this.isCow(vma, f - 1)) this.breakCow(p!, i);
      const fr = p!.frame[i]! - 1;
      this.queueMap(vpn, 1, fr, this.isCow(vma, fr) ? vma.prot & ~PROT_WRITE : vma.prot);
      p!.bits[i]! |= PTE_HOST;
      return 0;
    }
    if (err & PF_WRITE && !(vma.flags & MAP_SHARED)) {
      this.copyDirectPage(vma, vpn);
      return 0;
    }
    this.remapDirect(vma);
    return 0;
  }


  // ---- faults ---------------------------------------------------------------------

  /**
   * The x86 error code of a fault the host reported, which says only
   * whether something was mapped there (accErr: SEGV_ACCERR) or not: the
   * kind of access comes from this page table. The host maps a page with
   * its VMA's protection less write for copy-on-write, so a denied access
   * to a mapped page is a write — or the fetch of a non-executable page
   * (fetch: the address is at the instruction pointer). A missing page is
   * taken as read, except in writable private anonymous memory (stack,
   * heap, bss), which is written soon: a fork's child copies such a page
   * in one fault, not a read fault and then a write fault (a copy costs
   * far less than a fault; gVisor's ptrace platform assumes any access).
   */
  hostFaultErr(addr: number, accErr: boolean, fetch: boolean): number {
    const v = this.find(addr);
    if (accErr) return fetch && !(v && v.prot & PROT_EXEC) ? PF_USER | PF_PROT | PF_INSTR : PF_USER | PF_PROT | PF_WRITE;
    if (fetch) return PF_USER | PF_INSTR;
    return v && !(v.flags & MAP_SHARED) && v.prot & PROT_WRITE ? PF_USER | PF_WRITE : PF_USER;
  }

  /**
   * Handle a guest page fault at addr with x86 error code err. Returns 0 when
   * the access may be retried (page tables updated, host requests queued),
   * or SEGV_MAPERR / SEGV_ACCERR for a guest SIGSEGV.
   */
  handleFault(addr: number, err: number): number {
    this.faults++;
    this.physmem.stats.faults++;
    const vma = this.find(addr);
    if (!vma) return this.growStack(addr) ? this.handleFault(addr, err) : SEGV_MAPERR;
    const need = err & PF_WRITE ? PROT_WRITE : err & PF_INSTR ? PROT_EXEC : PROT_READ;
    if (!(vma.prot & need) && !(need === PROT_READ && vma.prot & (PROT_WRITE | PROT_EXEC))) return SEGV_ACCERR;
    const vpn = Math.floor(addr / PAGE_SIZE);
    if (vma.direct) return this.directFault(vma, vpn, err);
    // a fault on a page we believe the host has mapped means the host lost
    // it (or never ran the request): map it again rather than loop
    const pte = this.ptPage(vpn, false);
    if (pte && pte.frame[vpn % PT_SIZE]) {
      const i = vpn % PT_SIZE;
      if (err & PF_WRITE && this.isCow(vma, pte.frame[i]! - 1)) {
        // copy-on-write around the fault too: a data segment or a forked
        // stack is written page after page, and a copy costs far less than a fault
        const lo = Math.max(vma.start / PAGE_SIZE, vpn - COW_AROUND + 1, vpn - i);
        const hi = Math.min(vma.end / PAGE_SIZE, vpn + COW_AROUND, vpn - i + PT_SIZE);
        for (let v = lo; v < hi; v++) {
          const j = v - vpn + i;
          const f = pte.frame[j]!;
          if (f && this.isCow(vma, f - 1)) {
            this.breakCow(pte, j);
            if (v !== vpn) this.queueMap(v, 1, pte.frame[j]! - 1, vma.prot);
            if (v !== vpn) pte.bits[j]! |= PTE_HOST;
          }
        }
      }
      pte.bits[i]! &= ~PTE_HOST;
    }
    // map-ahead: sequential faults double the window, others reset it
    if (vpn === this.faultNext) this.faultWindow = Math.min(this.faultWindow * 2, FAULT_AROUND_MAX);
    else this.faultWindow = FAULT_AROUND_MIN;
    const win = this.faultWindow;
    let lo: number, hi: number;
    if (vma.flags & MAP_GROWSDOWN) {
      lo = Math.max(vpn - win + 1, vma.start / PAGE_SIZE);
      hi = vpn + 1;
    } else {
      lo = vpn;
      hi = Math.min(vpn + win, vma.end / PAGE_SIZE);
    }
    this.populate(vma, lo, hi);
    this.faultNext = hi;
    return 0;
  }

  /** Linux grows a MAP_GROWSDOWN VMA down to a fault just below it (within RLIMIT_STACK). */
  private growStack(addr: number): boolean {
    const i = this.firstAfter(addr);
    const next = this.vmas[i];
    if (!next || !(next.flags & MAP_GROWSDOWN) || next.end - addr > STACK_MAX * 4) return false;
    const start = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
    const prev = i > 0 ? this.vmas[i - 1]! : null;
    if (prev && prev.end > start - PAGE_SIZE * 256) return false; // stack guard gap
    next.start = start;
    return true;
  }

  /**
   * Make pages [lo, hi) of vma present and queue their host mapping. Missing
   * pages get fresh frames (contiguous when possible, so one host mmap covers
   * a run), filled from the file for file mappings.
   */
  private populate(vma: Vma, lo: number, hi: number): void {
    const hostProt = vma.prot;
    let vpn = lo;
    while (vpn < hi) {
      const p = this.ptPage(vpn, true)!;
      const i = vpn % PT_SIZE;
      const f = p.frame[i]!;
      if (f) {
        // present: (re)map if the host lost it (read-only while copy-on-write);
        // runs of present pages merge in queue()
        if (!(p.bits[i]! & PTE_HOST)) {
          this.queueMap(vpn, 1, f - 1, this.isCow(vma, f - 1) ? hostProt & ~PROT_WRITE : hostProt);
          p.bits[i]! |= PTE_HOST;
        }
        vpn++;
        continue;
      }
      // a run of missing pages within this pt page
      let n = 1;
      const lim = Math.min(hi - vpn, PT_SIZE - i);
      while (n < lim && p.frame[i + n] === 0) n++;
      const key = vma.file?.cacheKey;
      if (key) {
        // file pages come from the page cache, shared; misses are read once and cached
        const got = this.populateCached(vma, key, p, i, vpn, n, hostProt);
        if (got === 0) return; // out of memory after the first page
        vpn += got;
        continue;
      }
      let frame: number;
      try {
        frame = this.physmem.alloc(n);
      } catch (e) {
        if (e instanceof OutOfMemory && vpn > lo) return; // keep what we have; the faulting page is in
        throw e;
      }
      n = this.physmem.allocCount;
      if (vma.file) {
        const off = vma.pgoff + (vpn * PAGE_SIZE - vma.start);
        vma.file.fillHost(off, this.physmem.hostAddr(frame), n * PAGE_SIZE);
        this.physmem.stats.fileReads++;
        this.physmem.stats.fileReadPages += n;
      }
      for (let k = 0; k < n; k++) {
        p.frame[i + k] = frame + k + 1;
        p.bits[i + k] = PTE_HOST;
      }
      p.count += n;
      this.queueMap(vpn, n, frame, hostProt);
      vpn += n;
    }
  }

  /**
   * Fill missing pages [vpn, vpn+n) of a file VMA from the page cache,
   * reading runs of misses from the file in one go. Returns pages done.
   */
  private populateCached(vma: Vma, key: string, p: PtPage, i: number, vpn: number, n: number, prot: number): number {
    const pm = this.physmem, cache = pm.cache;
    const firstIdx = (vma.pgoff + (vpn * PAGE_SIZE - vma.start)) / PAGE_SIZE;
    let k = 0;
    while (k < n) {
      const idx = firstIdx + k;
      let f = cache.take(key, idx);
      let m = 1;
      if (f < 0) {
        while (k + m < n && !cache.has(key, idx + m)) m++;
        try {
          f = pm.alloc(m);
        } catch (e) {
          if (e instanceof OutOfMemory && k > 0) return k;
          throw e;
        }
        m = pm.allocCount;
        vma.file!.fillHost(idx * PAGE_SIZE, pm.hostAddr(f), m * PAGE_SIZE);
        pm.stats.fileReads++;
        pm.stats.fileReadPages += m;
        for (let j = 0; j < m; j++) cache.insert(key, idx + j, f + j);
      }
      for (let j = 0; j < m; j++) {
        p.frame[i + k + j] = f + j + 1;
        p.bits[i + k + j] = PTE_HOST;
      }
      p.count += m;
      // shared with the cache: a private writable page is copy-on-write
      this.queueMap(vpn + k, m, f, this.isCow(vma, f) ? prot & ~PROT_WRITE : prot);
      k += m;
    }
    return n;
  }

  /** Populate [start, end) now (exec's segments, executable file maps): one flush instead of a fault per region. */
  prefault(start: number, end: number): void {
    for (let i = this.firstAfter(start); i < this.vmas.length && this.vmas[i]!.start < end; i++) {
      const v = this.vmas[i]!;
      if (v.prot === PROT_NONE || v.direct) continue; // direct: the host has it all already
      const lo = Math.max(start, v.start) / PAGE_SIZE, hi = Math.min(end, v.end) / PAGE_SIZE;
      this.populate(v, lo, hi);
    }
  }

  // ---- user memory access (copy_from_user / copy_to_user) --------------------------------

  /**
   * Frame for the page at addr, faulting it in for the kernel as the guest's
   * own access would; -1 for a read of a direct page the guest has no copy of
   * (userPage reads it from the file). Throws EFAULT where the guest would
   * get SIGSEGV.
   */
  private userFrame(addr: number, write: boolean): number {
    const vpn = Math.floor(addr / PAGE_SIZE);
    const p = this.pt.get(Math.floor(vpn / PT_SIZE));
    const f = p ? p.frame[vpn % PT_SIZE]! : 0;
    if (f) {
      if (write) {
        const vma = this.find(addr);
        if (!vma || !(vma.prot & PROT_WRITE)) throw new ErrnoError(Errno.EFAULT);
        if (this.isCow(vma, f - 1)) {
          const nf = this.breakCow(p!, vpn % PT_SIZE);
          this.queueMap(vpn, 1, nf, vma.prot);
          p!.bits[vpn % PT_SIZE]! |= PTE_HOST;
          return nf;
        }
      }
      return f - 1;
    }
    if (addr < 0 || addr >= GUEST_TASK_SIZE) throw new ErrnoError(Errno.EFAULT);
    let vma = this.find(addr);
    if (!vma) {
      if (!this.growStack(addr)) throw new ErrnoError(Errno.EFAULT);
      vma = this.find(addr)!;
    }
    if (!(vma.prot & (write ? PROT_WRITE : PROT_READ))) throw new ErrnoError(Errno.EFAULT);
    if (vma.direct) {
      if (!write || vma.flags & MAP_SHARED) return -1; // userPage reads the file; write() writes it
      return this.copyDirectPage(vma, vpn);
    }
    this.populate(vma, vpn, vpn + 1);
    return this.frameAt(vpn);
  }

  /** userPage's result, reused; guarded by the JS thread, valid until the next call */
  private readonly upage: { buf: Uint8Array<ArrayBufferLike>; off: number; file: boolean } = { buf: new Uint8Array(0), off: 0, file: false };
  /**
   * The bytes of the page at addr as the guest sees them: its frame through
   * the kernel's mapping, or (file: true) a direct page read from the host
   * file into physmem's scratch frame, valid until the next call.
   */
  private userPage(addr: number, write: boolean): { buf: Uint8Array<ArrayBufferLike>; off: number; file: boolean } {
    const pm = this.physmem, u = this.upage;
    let f = this.userFrame(addr, write);
    u.file = f < 0;
    if (f < 0) {
      const vma = this.find(addr)!;
      const page = addr - (addr % PAGE_SIZE);
      f = pm.scratch;
      // past the end of the file the guest would get SIGBUS: the kernel, EFAULT
      const n = vma.file!.fillHost(vma.pgoff + (page - vma.start), pm.scratchAddr, PAGE_SIZE);
      if (n <= 0) throw new ErrnoError(Errno.EFAULT);
      if (n < PAGE_SIZE) pm.chunkOf(f).fill(0, pm.offsetIn(f) + n, pm.offsetIn(f) + PAGE_SIZE);
    }
    u.buf = pm.chunkOf(f);
    u.off = pm.offsetIn(f);
    return u;
  }

  /** Copy len bytes out of the guest at addr into dst[at..]. */
  readInto(addr: number, dst: Uint8Array, at = 0, len = dst.length - at): void {
    while (len > 0) {
      const u = this.userPage(addr, false);
      const o = addr % PAGE_SIZE;
      const n = Math.min(len, PAGE_SIZE - o);
      const c = u.buf, base = u.off + o;
      dst.set(c.subarray(base, base + n), at);
      addr += n;
      at += n;
      len -= n;
    }
  }
  read(addr: number, len: number): Uint8Array {
    const b = new Uint8Array(len);
    this.readInto(addr, b);
    return b;
  }
  /** Copy data into the guest at addr. */
  write(addr: number, data: Uint8Array, at = 0, len = data.length - at): void {
    const pm = this.physmem;
    while (len > 0) {
      const f = this.userFrame(addr, true);
      const o = addr % PAGE_SIZE;
      const n = Math.min(len, PAGE_SIZE - o);
      if (f < 0) {
        // a shared direct mapping is the host file: write the file (past its end: EFAULT, where the guest gets SIGBUS)
        const v = this.find(addr)!;
        if (v.file!.hostMap!.writeAt(v.pgoff + (addr - v.start), data.subarray(at, at + n)) !== n) throw new ErrnoError(Errno.EFAULT);
      } else {
        pm.chunkOf(f).set(data.subarray(at, at + n), pm.offsetIn(f) + o);
      }
      addr += n;
      at += n;
      len -= n;
    }
  }
  /** Check that [addr, addr+len) is accessible, faulting pages in (for writes the kernel will do piecewise). */
  check(addr: number, len: number, write: boolean): void {
    if (len <= 0) return;
    const end = addr + len;
    for (let a = addr - (addr % PAGE_SIZE); a < end; a += PAGE_SIZE) this.userFrame(a, write);
  }
  /** scratch for the readU32..writeU64 helpers; guarded by the JS thread, used synchronously only */
  private readonly scratch8 = new Uint8Array(8);
  private readonly scratchView = new DataView(this.scratch8.buffer);
  readU32(addr: number): number {
    this.readInto(addr, this.scratch8, 0, 4);
    return this.scratchView.getUint32(0, true);
  }
  readI32(addr: number): number {
    this.readInto(addr, this.scratch8, 0, 4);
    return this.scratchView.getInt32(0, true);
  }
  readU64(addr: number): number {
    this.readInto(addr, this.scratch8, 0, 8);
    return this.scratchView.getUint32(4, true) * 0x100000000 + this.scratchView.getUint32(0, true);
  }
  readI64(addr: number): number {
    this.readInto(addr, this.scratch8, 0, 8);
    return this.scratchView.getInt32(4, true) * 0x100000000 + this.scratchView.getUint32(0, true);
  }
  writeU32(addr: number, v: number): void {
    this.scratchView.setUint32(0, v >>> 0, true);
    this.write(addr, this.scratch8, 0, 4);
  }
  writeU64(addr: number, v: number): void {
    this.scratchView.setUint32(0, v >>> 0, true);
    this.scratchView.setUint32(4, Math.floor(v / 0x100000000) >>> 0, true);
    this.write(addr, this.scratch8, 0, 8);
  }
  /** A NUL-terminated string (UTF-8) of at most max bytes before the NUL; ENAMETOOLONG past it. */
  readCString(addr: number, max = 4096): string {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const u = this.userPage(addr, false);
      const o = addr % PAGE_SIZE;
      const c = u.buf, base = u.off;
      const page = c.subarray(base + o, base + PAGE_SIZE);
      const z = page.indexOf(0);
      const piece = z >= 0 ? page.subarray(0, z) : page;
      total += piece.length;
      if (total > max) throw new ErrnoError(Errno.ENAMETOOLONG);
      parts.push(u.file ? piece.slice() : piece); // the scratch frame is reused by the next page
      if (z >= 0) break;
      addr += page.length;
    }
    return Buffer.concat(parts).toString('utf8');
  }
  /** A NULL-terminated array of string pointers (argv/envp), with the total-size limit of execve (E2BIG). */
  readStringArray(addr: number, maxTotal: number): string[] {
    const out: string[] = [];
    if (addr === 0) return out;
    let total = 0;
    for (let i = 0; ; i++) {
      const p = this.readU64(addr + i * 8);
      if (p === 0) break;
      const s = this.readCString(p, 131072);
      total += Buffer.byteLength(s) + 1 + 8;
      if (total > maxTotal) throw new ErrnoError(Errno.E2BIG);
      out.push(s);
    }
    return out;
  }

  // ---- the mapping syscalls' work (mm/mmap.c, mm/mprotect.c, mm/mremap.c) ------------------

  /**
   * do_mmap: map len bytes at addr (a hint unless MAP_FIXED*). Arguments are
   * already validated by the syscall layer except the address space checks.
   * Returns the address or throws ErrnoError.
   */
  mmap(addr: number, len: number, prot: number, flags: number, file: VmFile | null, off: number, mayProt = PROT_READ | PROT_WRITE | PROT_EXEC): number {
    len = pageUp(len);
    if (len === 0 || len > GUEST_TASK_SIZE) throw new ErrnoError(Errno.ENOMEM);
    this.checkMapCount();
    let start: number;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
      if (!aligned(addr)) throw new ErrnoError(Errno.EINVAL);
      if (addr + len > GUEST_TASK_SIZE || addr < 0) throw new ErrnoError(Errno.ENOMEM);
      // mmap_min_addr (security_mmap_addr): the guest holds no CAP_SYS_RAWIO
      if (addr < MMAP_MIN_ADDR) throw new ErrnoError(Errno.EPERM);
      if (flags & MAP_FIXED_NOREPLACE && !(flags & MAP_FIXED) && this.overlaps(addr, addr + len)) throw new ErrnoError(Errno.EEXIST);
      start = addr;
      if (this.overlaps(start, start + len)) this.removeRange(start, start + len);
    } else {
      start = this.getUnmappedArea(Math.floor(addr / PAGE_SIZE) * PAGE_SIZE, len);
    }
    const vflags = (flags & MAP_TYPE) === MAP_SHARED || (flags & MAP_TYPE) === MAP_SHARED_VALIDATE ? MAP_SHARED : MAP_PRIVATE;
    this.insertMapping(new Vma(start, start + len, prot & (PROT_READ | PROT_WRITE | PROT_EXEC), vflags | (flags & MAP_GROWSDOWN), file, off, '', mayProt));
    if (flags & MAP_POPULATE) {
      this.prefault(start, start + len);
    } else if (file?.cacheKey && (prot & PROT_EXEC || flags & MAP_FIXED) && vflags === MAP_PRIVATE) {
      // a library's segments: map them now (from the page cache) rather than fault region by region
      this.prefault(start, start + Math.min(len, PREFAULT_MAX));
    }
    return start;
  }

  /**
   * sysctl vm.max_map_count (65530): a process may hold so many VMAs and no
   * more; a call that could make more fails with ENOMEM (do_mmap,
   * __split_vma). It also bounds the references one process can hold on a
   * frame through separate mappings.
   */
  private checkMapCount(): void {
    if (this.vmas.length >= MAX_MAP_COUNT - 2) throw new ErrnoError(Errno.ENOMEM);
  }

  /** A VMA made by the kernel itself (ELF segments, stack, heap). */
  mapFixed(start: number, end: number, prot: number, flags: number, file: VmFile | null, off: number, name: string): void {
    if (this.overlaps(start, end)) this.removeRange(start, end);
    this.insertMapping(new Vma(start, end, prot, flags, file, off, name));
  }

  /** munmap(2)'s work. */
  munmap(addr: number, len: number): void {
    if (!aligned(addr) || len === 0 || addr < 0) throw new ErrnoError(Errno.EINVAL);
    len = pageUp(len);
    if (addr + len > GUEST_TASK_SIZE) throw new ErrnoError(Errno.EINVAL);
    this.checkMapCount(); // a hole splits a VMA in two
    if (this.overlaps(addr, addr + len)) this.removeRange(addr, addr + len);
  }

  /** mprotect(2)'s work: prot already validated. The host mappings of the range
   * are dropped; faults re-map with the new protection. */
  mprotect(addr: number, len: number, prot: number): void {
    if (!aligned(addr)) throw new ErrnoError(Errno.EINVAL);
    len = pageUp(len);
    if (len === 0) return;
    const end = addr + len;
    if (end > GUEST_TASK_SIZE || !this.covered(addr, end)) throw new ErrnoError(Errno.ENOMEM);
    this.checkMapCount();
    for (let i = this.firstAfter(addr); i < this.vmas.length && this.vmas[i]!.start < end; i++) {
      if (prot & ~this.vmas[i]!.mayProt) throw new ErrnoError(Errno.EACCES);
    }
    this.splitAt(addr);
    this.splitAt(end);
    for (let i = this.firstAfter(addr); i < this.vmas.length && this.vmas[i]!.start < end; i++) {
      this.vmas[i]!.prot = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
    }
    for (let i = this.vmas.length - 1; i >= 0; i--) if (i < this.vmas.length) this.mergeAround(i);
    this.unmapHost(addr, end);
    this.remapDirectIn(addr, end);
  }

  /** Map the direct VMAs' parts in [start, end) again (after their host mappings were dropped or changed). */
  private remapDirectIn(start: number, end: number): void {
    for (let i = this.firstAfter(start); i < this.vmas.length && this.vmas[i]!.start < end; i++) {
      const v = this.vmas[i]!;
      if (v.direct) this.remapDirect(v, Math.max(start, v.start), Math.min(end, v.end));
    }
  }

  /** madvise(2)'s work for MADV_DONTNEED: private pages drop to zero (anon) or the file's content. */
  dontneed(addr: number, len: number): void {
    if (!aligned(addr)) throw new ErrnoError(Errno.EINVAL);
    len = pageUp(len);
    if (len === 0) return;
    if (!this.covered(addr, addr + len)) throw new ErrnoError(Errno.ENOMEM);
    this.dropPages(addr, addr + len);
    this.remapDirectIn(addr, addr + len); // the file shows through where copies were
  }
  /** Is [addr, addr+len) fully mapped? (madvise's ENOMEM check) */
  isMapped(addr: number, len: number): boolean {
    return this.covered(addr, addr + pageUp(len));
  }

  /** mremap(2)'s work. Returns the new address. */
  mremap(old: number, oldLen: number, newLen: number, flags: number, newAddr: number): number {
    if (!aligned(old)) throw new ErrnoError(Errno.EINVAL);
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) throw new ErrnoError(Errno.EINVAL);
    if (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE)) throw new ErrnoError(Errno.EINVAL);
    if (flags & MREMAP_DONTUNMAP && (!(flags & MREMAP_MAYMOVE) || oldLen !== newLen)) throw new ErrnoError(Errno.EINVAL);
    oldLen = pageUp(oldLen);
    newLen = pageUp(newLen);
    if (newLen === 0) throw new ErrnoError(Errno.EINVAL);
    const vma = this.find(old);
    if (!vma) throw new ErrnoError(Errno.EFAULT);
    if (oldLen === 0) {
      // duplicating a shared mapping; private ones cannot be
      if (!(vma.flags & MAP_SHARED)) throw new ErrnoError(Errno.EINVAL);
      oldLen = newLen;
    }
    if (old + oldLen > vma.end) throw new ErrnoError(Errno.EFAULT);
    if (flags & MREMAP_FIXED) {
      if (!aligned(newAddr)) throw new ErrnoError(Errno.EINVAL);
      if (newAddr + newLen > GUEST_TASK_SIZE) throw new ErrnoError(Errno.EINVAL);
      if (newAddr < old + oldLen && old < newAddr + newLen) throw new ErrnoError(Errno.EINVAL);
      return this.moveRange(vma, old, oldLen, newLen, newAddr, !!(flags & MREMAP_DONTUNMAP));
    }
    if (newLen <= oldLen) {
      if (newLen < oldLen) this.removeRange(old + newLen, old + oldLen);
      return old;
    }
    // grow in place if the VMA ends here and the space after is free
    if (old + oldLen === vma.end && !this.overlaps(vma.end, old + newLen) && old + newLen <= GUEST_TASK_SIZE) {
      const oldEnd = vma.end;
      vma.end = old + newLen;
      if (vma.direct) this.remapDirect(vma, oldEnd, vma.end);
      this.mergeAround(this.vmas.indexOf(vma));
      return old;
    }
    if (!(flags & MREMAP_MAYMOVE)) throw new ErrnoError(Errno.ENOMEM);
    const dest = this.getUnmappedArea(0, newLen);
    return this.moveRange(vma, old, oldLen, newLen, dest, !!(flags & MREMAP_DONTUNMAP));
  }

  /** Move [old, old+oldLen) of vma to dest with size newLen: frames move, data is not copied. */
  private moveRange(vma: Vma, old: number, oldLen: number, newLen: number, dest: number, keepOld: boolean): number {
    if (this.overlaps(dest, dest + newLen)) this.removeRange(dest, dest + newLen);
    const moved = new Vma(dest, dest + newLen, vma.prot, vma.flags, vma.file, vma.file ? vma.pgoff + (old - vma.start) : 0, vma.name, vma.mayProt);
    moved.direct = vma.direct;
    const n = Math.min(oldLen, newLen) / PAGE_SIZE;
    const ov = old / PAGE_SIZE, nv = dest / PAGE_SIZE;
    // the tail that does not move goes first, while the page table still
    // says which of its frames the host maps (those wait for the flush)
    if (!keepOld && oldLen > newLen) this.removeRange(old + newLen, old + oldLen);
    this.unmapHost(old, old + n * PAGE_SIZE);
    for (let i = 0; i < n; i++) {
      const src = this.ptPage(ov + i, false);
      if (!src) continue;
      const si = (ov + i) % PT_SIZE;
      const f = src.frame[si]!;
      if (!f) continue;
      src.frame[si] = 0;
      src.bits[si] = 0;
      src.count--;
      if (src.count === 0) this.pt.delete(Math.floor((ov + i) / PT_SIZE));
      const dst = this.ptPage(nv + i, true)!;
      dst.frame[(nv + i) % PT_SIZE] = f;
      dst.bits[(nv + i) % PT_SIZE] = 0;
      dst.count++;
    }
    if (keepOld) {
      // the old range stays mapped, empty (anonymous pages read as zero
      // again; a direct file mapping shows the file where copies were)
      this.remapDirectIn(old, old + oldLen);
    } else if (this.overlaps(old, old + n * PAGE_SIZE)) {
      this.removeRange(old, old + n * PAGE_SIZE);
    }
    this.insert(moved);
    if (moved.direct) this.remapDirect(this.find(dest)!, dest, dest + newLen);
    return dest;
  }

  /** brk(2)'s work: returns the new (or unchanged) break. */
  setBrk(want: number): number {
    if (want < this.brkStart) return this.brk;
    const oldTop = pageUp(this.brk), newTop = pageUp(want);
    if (newTop > oldTop) {
      // a page of gap below the next mapping, the stack guard gap below a stack (mm/mmap.c: brk)
      const next = this.vmas[this.firstAfter(oldTop)];
      if (next && newTop + PAGE_SIZE + (next.flags & MAP_GROWSDOWN ? 256 * PAGE_SIZE : 0) > next.start) return this.brk;
      if (newTop > MMAP_BASE) return this.brk;
      // overcommit heuristic: growth larger than all of RAM is refused
      if (newTop - oldTop > this.physmem.limit * PAGE_SIZE) return this.brk;
      this.insert(new Vma(oldTop, newTop, PROT_READ | PROT_WRITE, MAP_PRIVATE, null, 0, '[heap]'));
      // malloc writes the new space at once: map its first pages now
      this.prefault(oldTop, Math.min(newTop, oldTop + 32 * PAGE_SIZE));
    } else if (newTop < oldTop) {
      this.removeRange(newTop, oldTop);
    }
    this.brk = want;
    return want;
  }

  /** /proc/<pid>/maps */
  mapsText(): string {
    const hex = (n: number, w = 8): string => n.toString(16).padStart(w, '0');
    let s = '';
    for (const v of this.vmas) {
      const perms = (v.prot & PROT_READ ? 'r' : '-') + (v.prot & PROT_WRITE ? 'w' : '-') + (v.prot & PROT_EXEC ? 'x' : '-') + (v.flags & MAP_SHARED ? 's' : 'p');
      const name = v.file ? v.file.mapName : v.name;
      const line = `${hex(v.start)}-${hex(v.end)} ${perms} ${hex(v.file ? v.pgoff : 0)} ${v.file ? '00:' + hex(v.file.mapDev & 0xff, 2) : '00:00'} ${v.file ? v.file.mapIno : 0}`;
      s += name ? `${line.padEnd(73)}${name}\n` : `${line}\n`;
    }
    return s;
  }

  /**
   * Tear down, the stub process killed by the caller: frames no host mapping
   * reaches go back to physmem now; those its threads may still reach (a
   * SIGKILL takes effect asynchronously) and the batch page wait for
   * reaped().
   */
  release(): void {
    this.tlb.release();
    for (const t of this.threads) this.platform.kill(t);
    this.threads.clear();
    this.platform.whenReaped(this.hostPid, () => this.reaped());
    for (const v of this.vmas) {
      this.dropPages(v.start, v.end);
      v.drop();
    }
    this.vmas.length = 0;
    this.physmem.flushFreed();
  }
  /** The host has reaped the stub process (every thread of it is gone). */
  private reaped(): void {
    this.tlb.freeGathered();
    this.physmem.freeStubSlot(this.stubSlot);
    this.physmem.flushFreed();
  }
}
