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
 * The work is split along Linux's files, each a set of functions this class
 * calls through its methods: fault.ts (mm/memory.c), mmap.ts (mm/mmap.c,
 * mprotect.c, mremap.c), usercopy.ts (copy to and from the guest), tlb.ts
 * (the batch of host requests), vma.ts (struct vm_area_struct).
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
import { SyscallPatches, touchesTable, unpatchAll } from './syscall_patch.js';
import { Errno, ErrnoError } from '../abi/errno.js';
import { O_RDONLY, O_RDWR, O_CLOEXEC } from '../abi/fcntl.js';
import { Physmem, PAGE_SIZE } from './physmem.js';
import { Platform, Context, StubPages, BatchPageLost } from '../platform/platform.js';
import { Vma, VmFile, HostMappable, FileMapper, FileMappers, VM_DONTCOPY, VM_WIPEONFORK } from './vma.js';
export { Vma };
import * as fault_m from './fault.js';
import * as mmap_m from './mmap.js';
import * as mlock_m from './mlock.js';
import * as usercopy_m from './usercopy.js';
import { TlbBatch, Refusal, NR_close, NR_mmap, NR_mprotect, NR_munmap, NR_openat } from './tlb.js';
import {
  GUEST_TASK_SIZE, STUB_BATCH, STUB_BATCH_PATH, STUB_FD_PHYSMEM,
} from '../platform/stub_layout.js';

export { PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, PROT_SEM, PROT_GROWSDOWN, PROT_GROWSUP } from '../abi/mman.js';
import { PROT_READ, PROT_WRITE, PROT_EXEC } from '../abi/mman.js';
import { initRlimit, _STK_LIM } from '../abi/resource.js';
export { MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_TYPE, MAP_FIXED, MAP_ANONYMOUS, MAP_32BIT, MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_LOCKED, MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB, MAP_SYNC, MAP_FIXED_NOREPLACE, MAP_UNINITIALIZED } from '../abi/mman.js';
import { MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_POPULATE, MAP_LOCKED } from '../abi/mman.js';
export { MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP } from '../abi/mman.js';

/** Fault error-code bits (x86 #PF) */
export const PF_PROT = 1, PF_WRITE = 2, PF_USER = 4, PF_INSTR = 16;
/** handleFault's answer for a file mapping's page wholly past the end of its file: the guest gets SIGBUS */
export const FAULT_SIGBUS = -1;

/** host files a stub holds open for direct mappings before they are all closed and reopened as needed */
export const STUB_FDS_MAX = 128;
export const SYS_HOST_PROT_MASK = PROT_READ | PROT_WRITE | PROT_EXEC;
/** parked host threads an address space keeps for new guest threads */
export const PARKED_MAX = 2;
/** sysctl_max_map_count's default (include/linux/mm.h DEFAULT_MAX_MAP_COUNT) */
export const MAX_MAP_COUNT = 65530;

export type { HostMappable, VmFile } from './vma.js';

/** One 512-entry page-table page (2 MiB of address space). Owned by its
 * AddressSpace (fork copies the arrays); the frames it names are stub-shared. */
export interface PtPage {
  /** frame + 1; 0 = not present */
  frame: Int32Array;
  /** PTE_* bits */
  bits: Uint8Array;
  /** present entries, to drop empty pages */
  count: number;
}
/** the host process has this page mapped (with the VMA's protection) */
export const PTE_HOST = 1;
/** the guest wrote this page of a private mapping (a write fault mapped it): a hint only, for the pages a
 * fork copies ahead (AddressSpace.copyForChild); never relied on for what the host maps */
export const PTE_DIRTY = 2;

export const PT_SHIFT = 9;
export const PT_SIZE = 1 << PT_SHIFT;

/** mmap layout (arch/x86/mm/mmap.c, without randomization) */
/** (for the loader: no mapping of the guest's reaches it; the stub's pages lie above) */
export { GUEST_TASK_SIZE };
export const STACK_TOP = GUEST_TASK_SIZE - 0x1000000; // a gap under the stub
/** stack_guard_gap: kept between a stack and the mapping below it (256 pages) */
export const STACK_GUARD_GAP = 256 * PAGE_SIZE;
/** mmap_base's gap under the stack: at least 128 MiB, at most 5/6 of the address space (arch/x86/mm/mmap.c) */
const MMAP_GAP_MIN = 128 << 20, MMAP_GAP_MAX = Math.floor(GUEST_TASK_SIZE / 6) * 5;
/**
 * mmap_base (arch/x86/mm/mmap.c, without randomization) for a stack
 * limited to `rlimStack` bytes (RLIMIT_STACK's soft limit at exec;
 * Infinity when unlimited): that much room under the stack, with the guard
 * gap, within [128 MiB, 5/6 of the address space].
 */
export function mmapBase(rlimStack: number): number {
  const gap = Math.min(Math.max(rlimStack + STACK_GUARD_GAP, MMAP_GAP_MIN), MMAP_GAP_MAX);
  return Math.floor((STACK_TOP - gap) / PAGE_SIZE) * PAGE_SIZE;
}
export const MMAP_MIN_ADDR = 0x10000;

/** The resource limits of the process an address space belongs to ([soft, hard] bytes, Infinity: none), as
 * the kernel keeps them: what stack growth and may_expand_vm read (RLIMIT_STACK, RLIMIT_AS, RLIMIT_DATA). */
export interface MmLimits {
  limit(res: number): readonly [number, number];
}
/** the boot-time limits: an address space's until the kernel gives it to a process */
const INIT_LIMITS: MmLimits = { limit: initRlimit };

export const FAULT_AROUND_MIN = 16; // pages
/** pages on each side of a copy-on-write fault copied with it, once writes go page after page */
export const COW_AROUND = 8;
/** pages a fork copies ahead for the child besides the stack's (copyForChild): of those written while shared
 * with an earlier child (1 MiB), and of the others the parent has written (128 KiB) */
export const FORK_COPY_HINTED_MAX = 256;
export const FORK_COPY_DIRTY_MAX = 32;

/** how much of a file mapping exec/mmap map up front */
export const PREFAULT_MAX = 1 << 20;
/** how much of a writable private file mapping exec/mmap copy up front (a data segment: unshare) */
export const UNSHARE_MAX = 256 << 10;
/** the largest map-ahead window (2 MiB, a huge page's worth): reached only by faults page after page, whose
 * new anonymous pages the host prefaults (fault.ts) */
export const FAULT_AROUND_MAX = 512;

/** Host protection of a direct VMA's file pages: a private one is never
 * writable there (a write faults, and the page is copied), but stays readable. */
export function directProt(v: Vma): number {
  let p = v.prot;
  if (!(v.flags & MAP_SHARED) && p & PROT_WRITE) p = (p & ~PROT_WRITE) | PROT_READ;
  return p & SYS_HOST_PROT_MASK;
}

/** The key of a host file's stub descriptor (stubFds): one read-only and one read-write open per file. */
export function stubKey(hm: HostMappable, rw: boolean): string {
  return rw ? `${hm.id}:rw` : hm.id;
}

/** A shared mapping that may be written: its stub descriptor is opened read-write. */
export function writableShared(v: Vma): boolean {
  return (v.flags & MAP_SHARED) !== 0 && (v.mayProt & PROT_WRITE) !== 0;
}

export function pageUp(x: number): number {
  return Math.ceil(x / PAGE_SIZE) * PAGE_SIZE;
}
export function aligned(x: number): boolean {
  return x % PAGE_SIZE === 0;
}

/** Address-space ids only need to be unique within this Node process.
 * Module-level mutable state, shared by every kernel in the process (guarded by the JS thread). */
let lastMmId = 0;
export function nextMmId(): number {
  return ++lastMmId;
}

/** The batch page of stub slot `slot` (a physmem frame). */
function stubPages(physmem: Physmem, slot: number): StubPages {
  const chunk = physmem.chunkOf(slot);
  return {
    batchOff: slot * PAGE_SIZE,
    batch: new DataView(chunk.buffer, chunk.byteOffset + physmem.offsetIn(slot), PAGE_SIZE),
    batchAddr: physmem.hostAddr(slot),
  };
}

/** A host file mapping of an old image that exec keeps for its load (AddressSpace.keepForExec): the host maps
 * [start, end) of the file whose stub descriptor's key is `key`, from file offset pgoff, at host protection prot;
 * claimed: the ranges of it the new image took as they are. */
interface KeptMapping {
  start: number;
  end: number;
  key: string;
  pgoff: number;
  prot: number;
  claimed: Array<[number, number]>;
}

/** v's copies all show its file (a file change reaches them: fileChanged): the file's own pages (a shared
 * mapping), or ones the process cannot have written (a private mapping never writable: one that has been keeps
 * those it wrote, as Linux keeps a copy the process wrote: AddressSpace.showsFile). A frame shared with another
 * process's mapping is one neither wrote (fork and the page cache share clean ones). */
function copiesShowFile(v: Vma): boolean {
  return (v.flags & MAP_SHARED) !== 0 || !v.wasWritable;
}

/** The file offsets of the whole pages [start, end) covers: [ceil(start), floor(end)) in pages. */
function wholePages(start: number, end: number): [number, number] {
  return [Math.ceil(start / PAGE_SIZE) * PAGE_SIZE, end === Infinity ? Infinity : Math.floor(end / PAGE_SIZE) * PAGE_SIZE];
}

/** Something an address space holds while it lives and gives up at its end: exec's write denial on the program
 * it runs (mm->exe_file's; fs/writecount.ts ExeDenial). dup(): fork's copy's own hold (null: none to share). */
export interface MmHold {
  release(): void;
  dup(): MmHold | null;
}

export class AddressSpace implements FileMapper {
  /** sorted, non-overlapping; guarded by the JS thread */
  readonly vmas: Vma[] = [];
  /** page table: (vpn / 512) -> page-table page; guarded by the JS thread */
  readonly pt = new Map<number, PtPage>();
  /** where this process's stub has the host's clock_gettime (Platform.hostVdsoClock when the stub started; a
   * fork's copy has its parent's stub's): the guest's vDSO's first word; set once, by make */
  hostVdsoClock = 0;
  /** its patched syscall sites and their table (syscall_patch.ts); null until the first site traps; copied by
   * fork, dropped by exec (reset); guarded by the JS thread */
  patches: SyscallPatches | null = null;
  /** images exec has replaced in this address space (reset); guarded by the JS thread */
  images = 0;
  /** the old image's host file mappings an exec in place may keep for the new one (reset(true) to endExec);
   * null outside an exec's load; guarded by the JS thread */
  private kept: KeptMapping[] | null = null;
  /** what ends with the current image, at exec's reset or the address space's release (exit_aio: the AIO
   * contexts); guarded by the JS thread */
  readonly imageEnd = new Set<() => void>();
  private endImage(): void {
    const hooks = [...this.imageEnd];
    this.imageEnd.clear();
    for (const h of hooks) h();
    for (const r of this.fileMaps) r.remove(this);
    this.fileMaps.clear();
  }
  /** the files (their FileMappers) this image maps with a VMA, so that a truncation of one reaches it
   * (i_mmap); one unmapped since may stay until the next prune (mapsFile) or its next shrink; guarded by the
   * JS thread (insert, fork's copy, fileChanged, endImage) */
  private readonly fileMaps = new Set<FileMappers>();
  /** fileMaps' size at which mapsFile next drops the files no VMA maps any more; guarded by the JS thread */
  private filesPruneAt = 64;
  /** changes of files this address space maps (fileChanged) that came while every thread of it ran guest code
   * and the platform could not change its host then (ptrace): applied at its next stop (setSyncThread); null:
   * none; guarded by the JS thread */
  private deferredChanges: Array<[FileMappers, number, number, boolean]> | null = null;
  private mapsFile(r: FileMappers): void {
    if (this.fileMaps.has(r)) return;
    if (this.fileMaps.size >= this.filesPruneAt) {
      const live = new Set<FileMappers>();
      for (const v of this.vmas) if (v.file?.rmap) live.add(v.file.rmap);
      for (const o of this.fileMaps) {
        if (live.has(o)) continue;
        this.fileMaps.delete(o);
        o.remove(this);
      }
      this.filesPruneAt = Math.max(64, 2 * this.fileMaps.size);
    }
    this.fileMaps.add(r);
    r.add(this);
  }

  /**
   * A file this address space maps changed under it. A shrink to `start`
   * bytes (end Infinity; truncate_pagecache): the pages of it wholly past
   * the end go from every VMA of it, copies written since included
   * (unmap_mapping_range with even_cows), so the next access faults and
   * finds the end: SIGBUS. A hole punched or a range zeroed in [start, end)
   * (truncate_pagecache_range): its whole pages go where they show the
   * file (showsFile), not copies the process may have written, which Linux
   * keeps too (no even_cows). A page the change touches in part (the one
   * the end falls in, a hole's edges) keeps what the process may have
   * written (a copy's PTE_DIRTY is only a hint) but shows the zeros where
   * it shows the file. The page cache forgets its copies of every page the
   * change touches. Direct mappings of a host file get nothing more: the
   * host unmaps its own pages. Another process's host gets the change at
   * once, or at its next stop (physmem.onMmChange decides).
   */
  fileChanged(r: FileMappers, start: number, end: number, privateOnly = false): void {
    const work = this.changeWork(r, start, end, privateOnly);
    if (work === null) {
      // (no VMA of it left: it is forgotten here)
      if (!this.vmas.some((v) => v.file?.rmap === r)) {
        this.fileMaps.delete(r);
        r.remove(this);
      }
      return;
    }
    const change = this.physmem.onMmChange;
    if (work.length === 0 || change === null) return this.applyChange(r, start, end, work);
    change(this, () => this.applyChange(r, start, end, work), () => {
      (this.deferredChanges ??= []).push([r, start, end, privateOnly]);
    });
  }
  /** fileChanged's work: each VMA of the file with pages to drop ([lo, hi) of its addresses, maybe empty) or a
   * page to clear in part; empty if only the page cache has something to forget; null if nothing has */
  private changeWork(r: FileMappers, start: number, end: number, privateOnly: boolean): Array<[Vma, number, number]> | null {
    const whole = wholePages(start, end);
    const work: Array<[Vma, number, number]> = [];
    let cached = false;
    for (const v of this.vmas) {
      if (v.file?.rmap !== r || (privateOnly && v.flags & MAP_SHARED)) continue;
      if (v.file.cacheKey) cached = true;
      const lo = Math.max(v.start, v.start + whole[0] - v.pgoff), hi = Math.min(v.end, v.start + whole[1] - v.pgoff);
      const drops = lo < hi && (end === Infinity ? this.anyPresent(lo, hi) : this.dropShown(v, lo, hi, false));
      if (drops || this.clearPartial(v, start, end, false)) work.push([v, lo, hi]);
    }
    return cached || work.length > 0 ? work : null;
  }
  private applyChange(r: FileMappers, start: number, end: number, work: Array<[Vma, number, number]>): void {
    for (const [v, lo, hi] of work) {
      this.clearPartial(v, start, end, true);
      if (lo < hi && end === Infinity) this.dropPages(lo, hi);
      else if (lo < hi) this.dropShown(v, lo, hi, true);
    }
  }
  /**
   * The page cache forgets the pages a change of the file touched, once
   * every address space mapping it has done its part (fileChanged asks the
   * cache which pages are its own; FileMappers calls this after all). One
   * whose part waits for a stop finds none of the cache's then, and keeps
   * those pages as if written.
   */
  fileChangeDone(r: FileMappers, start: number, end: number): void {
    const first = Math.floor(start / PAGE_SIZE), last = end === Infinity ? Infinity : Math.ceil(end / PAGE_SIZE);
    for (const v of this.vmas) {
      if (v.file?.rmap === r && v.file.cacheKey) this.physmem.cache.truncate(v.file.cacheKey, first, last);
    }
  }
  /**
   * Does v's page at addr (its frame f + 1, 0: none of its own) show the
   * file, not what the process wrote? In a shared mapping or a private one
   * never writable, any (copiesShowFile); in one that has been writable, the
   * page cache's own frame of that page (shared copy-on-write: a write
   * would have taken a copy); umlts cannot tell another it only read.
   */
  private showsFile(v: Vma, addr: number, f: number): boolean {
    if (f === 0) return false;
    if (copiesShowFile(v)) return true;
    const key = v.file?.cacheKey;
    return key !== undefined && this.physmem.cache.frameOf(key, (v.pgoff + addr - v.start) / PAGE_SIZE) === f - 1;
  }
  /** The pages in [lo, hi) of v that show the file (showsFile): dropped (`drop`), or only whether there is one. */
  private dropShown(v: Vma, lo: number, hi: number, drop: boolean): boolean {
    if (copiesShowFile(v)) {
      // (every page there shows it: one walk)
      if (!drop) return this.anyPresent(lo, hi);
      this.dropPages(lo, hi);
      return true;
    }
    if (!v.file?.cacheKey) return false;
    // the present pages only (a huge sparse mapping is not walked page by page), then dropped
    const shown: number[] = [];
    this.eachPtPage(lo / PAGE_SIZE, hi / PAGE_SIZE, (p, base, i0, i1) => {
      for (let i = i0; i < i1; i++) {
        const f = p.frame[i]!;
        if (f && this.showsFile(v, (base + i) * PAGE_SIZE, f)) shown.push(base + i);
      }
    });
    if (drop) for (const vpn of shown) this.dropPages(vpn * PAGE_SIZE, (vpn + 1) * PAGE_SIZE);
    return shown.length > 0;
  }
  /**
   * The pages of v's file that [start, end) covers in part (the first and
   * the last): their bytes in the change read as zeros where v's page
   * shows the file (`clear`), or only whether there is such a page.
   */
  private clearPartial(v: Vma, start: number, end: number, clear: boolean): boolean {
    let any = false;
    const part = (pageOff: number, from: number, to: number): void => {
      const addr = v.start + pageOff - v.pgoff, f = this.copyAt(v, addr);
      if (!this.showsFile(v, addr, f)) return;
      any = true;
      if (clear) this.physmem.frame(f - 1).fill(0, from, to);
    };
    const sp = Math.floor(start / PAGE_SIZE) * PAGE_SIZE;
    if (start !== sp) part(sp, start - sp, Math.min(PAGE_SIZE, end - sp));
    if (end !== Infinity && end % PAGE_SIZE !== 0) {
      const ep = Math.floor(end / PAGE_SIZE) * PAGE_SIZE;
      if (ep !== sp || start === sp) part(ep, ep === sp ? start - sp : 0, end - ep);
    }
    return any;
  }
  /** Does [start, end) hold a page of the process's own? */
  private anyPresent(start: number, end: number): boolean {
    let any = false;
    this.walk(start, end, () => {
      any = true;
    }, () => {});
    return any;
  }
  /** The frame (+1) of the copy at addr in v, a copied VMA, or 0. */
  private copyAt(v: Vma, addr: number): number {
    if (v.direct || addr < v.start || addr >= v.end) return 0;
    const vpn = Math.floor(addr / PAGE_SIZE), p = this.ptPage(vpn, false);
    return p ? p.frame[vpn % PT_SIZE]! : 0;
  }
  /** whose limits this address space keeps to (the thread group it is the memory of); guarded by the JS thread
   * (set by the kernel when it gives the address space to a process: spawn, fork) */
  limits: MmLimits = INIT_LIMITS;
  /** mm->mmap_base: where top-down mmap starts, below the stack's room (mmapBase of RLIMIT_STACK at exec:
   * arch_pick_mmap_layout); guarded by the JS thread (exec's pickMmapLayout; fork copies it) */
  mmapBase = mmapBase(_STK_LIM);
  /** arch_pick_mmap_layout: the mmap area for a new image whose stack may grow to rlimStack bytes. */
  pickMmapLayout(rlimStack: number): void {
    this.mmapBase = mmapBase(rlimStack);
  }
  /** mm->def_flags' VM_LOCKED: new mappings come locked (mlockall's MCL_FUTURE); guarded by the JS thread
   * (mlockall, munlockall; exec's reset clears it, a fork's copy starts without it) */
  defLocked = false;
  /** the program's write denial (mm->exe_file); guarded by the JS thread (exec sets it, setExeHold; fork's copy
   * gets a dup; release gives it up) */
  private exeHold: MmHold | null = null;
  /** exec's new program: the old one's hold goes (a program no address space runs may be written again) */
  setExeHold(h: MmHold | null): void {
    this.exeHold?.release();
    this.exeHold = h;
  }
  /** brk area: [brkStart, brk); guarded by the JS thread (brk(2), the loader, exec's reset) */
  brkStart = 0;
  brk = 0;
  /** mm->membarrier_state: the membarrier(2) registrations of this address space (syscalls/membarrier.ts keeps
   * Linux's state bits); guarded by the JS thread (its tasks' membarrier; fork copies it, exec clears it) */
  membarrierState = 0;
  /** map-ahead state: where the last fault-around ended, and the next window; guarded by the JS thread */
  faultNext = -1;
  faultWindow = FAULT_AROUND_MIN;
  /** copy-on-write-around state: the pages [cowLo, cowHi) the last copy-on-write fault copied; guarded by the JS thread */
  cowLo = -1;
  cowHi = -1;
  /** counters for --stats and tests; guarded by the JS thread */
  faults = 0;
  /** host threads using this address space (for kill on teardown); guarded by the JS thread (newThread, the kernel's exit paths, release) */
  readonly threads = new Set<Context>();
  /** host threads of guest threads that exited, left stopped: the next new thread takes one (guarded by the JS thread) */
  readonly parked: Context[] = [];
  /** references: tasks using this mm (CLONE_VM shares it); guarded by the JS thread (clone, the kernel's exit paths) */
  users = 1;
  /** host CPU time of this process's threads that some thread group has already counted (threads that left while
   * others stayed: the kernel's detachTask); guarded by the JS thread */
  cpuCountedNs = 0;
  /** unique id (futex keys); immutable */
  readonly id = nextMmId();
  constructor(
    /** immutable */
    readonly physmem: Physmem,
    /** the stub's batch page; immutable reference, its bytes stub-shared (see StubPages) */
    readonly stubPages: StubPages,
    /** its physmem frame, returned once the host process is reaped; immutable */
    private readonly stubSlot: number,
    /** the stub's host pid (its threads' tgid); immutable */
    readonly hostPid: number,
    /** where the stub runs; immutable */
    readonly platform: Platform,
  ) {
    this.tlb = new TlbBatch(stubPages.batch, physmem, () => this.evictHost());
  }
  /** the host requests that mirror page-table changes (tlb.ts); immutable reference */
  readonly tlb: TlbBatch;

  /** A new, empty address space with its own stub host process. Returns it with its first host thread. */
  static create(physmem: Physmem, platform: Platform): { mm: AddressSpace; thread: Context } {
    return AddressSpace.make(physmem, platform, (pages) => platform.newAddressSpace(physmem.fd, pages));
  }
  /** An address space whose host process start() makes for its batch page. */
  private static make(physmem: Physmem, platform: Platform, start: (pages: StubPages) => Context, hostVdsoClock?: number): { mm: AddressSpace; thread: Context } {
    const slot = physmem.allocStubSlot();
    const pages = stubPages(physmem, slot);
    let thread: Context;
    try {
      thread = start(pages);
    } catch (e) {
      // (a page something may still watch is never handed on: one frame lost)
      if (!(e instanceof BatchPageLost)) physmem.freeStubSlot(slot);
      throw e;
    }
    const mm = new AddressSpace(physmem, pages, slot, thread.tgid, platform);
    // (the platform's, read once the stub started: a stub that could not keep the host's vDSO changes it)
    mm.hostVdsoClock = hostVdsoClock ?? platform.hostVdsoClock;
    // (the stub's start-up used the page as its stack: its words only now)
    mm.writeVdso();
    mm.threads.add(thread);
    return { mm, thread };
  }

  /**
   * A new, empty address space whose stub is a copy of this one's host
   * process (the platform's forkAddressSpace, by `from`, a stopped thread
   * of this one): for a stub no guest has mapped anything into (the
   * kernel's zygote, exec.ts), whose copy starts as empty as a spawned stub
   * for the cost of a host fork of a small process, where a spawn costs
   * about a millisecond of the kernel's thread here.
   */
  copyEmpty(from: Context): { mm: AddressSpace; thread: Context } {
    return AddressSpace.make(this.physmem, this.platform, (pages) => this.platform.forkAddressSpace!(from, pages, () => this.flush()),
      this.hostVdsoClock);
  }

  /** The guest's vDSO's words in this process's batch page again (the guest's wall clock was set). */
  writeVdso(): void {
    this.physmem.vdso.write(this.stubPages.batch, this.hostVdsoClock);
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
  /** A task leaves this address space (users): its host thread, stopped (alive), is parked, or, dead, forgotten. */
  leave(t: Context, alive: boolean): void {
    if (alive) this.park(t);
    else this.threads.delete(t);
    this.users--;
  }
  /** A guest thread ended: its host thread (stopped) waits for the next new thread. */
  park(t: Context): void {
    // a few are kept for the next new thread; more would let a guest pile up
    // host threads (and host pids) beyond its live threads. The process's
    // first thread is always kept (ptrace's guest threads include it): its
    // exit would not be reported while the process has other threads
    if (this.parked.length >= PARKED_MAX && t.tid !== this.hostPid) {
      this.threads.delete(t);
      t.retire();
      return;
    }
    this.parked.push(t);
  }

  /**
   * fork: a new address space with a copy of every VMA and every page
   * shared copy-on-write: frames get a reference more, and the host loses
   * write access to this side's private writable pages so the next write
   * on either side faults and copies (mm/memory.c: do_wp_page). Some pages
   * are copied now instead (copyForChild): the page at `sp` (the stack page
   * both sides write as soon as the call returns) and some that either
   * side has written; the child gets the copies, this side
   * keeps its frames writable. (A stack page shared before the fork
   * becomes this side's own copy instead; the child keeps the old frame.)
   *
   * Where the platform copies host processes (forkAddressSpace), this side
   * is flushed first and the child's host process is a copy of this one's:
   * it starts with every host mapping this side has (their host bits are
   * copied), and maps its own frames where they differ (the copies) before
   * it runs. Otherwise the child's stub starts empty, faults map what it
   * uses, and the caller flushes this side before its task resumes.
   */
  fork(sp: number): { mm: AddressSpace; thread: Context } {
    const pm = this.physmem;
    // (dup_mmap: the child's VMAs are not locked; a VM_DONTCOPY one is not there)
    const vmas = this.vmas.filter((v) => !(v.vmFlags & VM_DONTCOPY)).map((v) => {
      const c = v.clone();
      c.flags &= ~MAP_LOCKED;
      return c;
    });
    const pt = new Map<number, PtPage>();
    // the candidates for a copy ahead: pages written while shared with an earlier child (their frames'
    // cowHint), then pages this side wrote (PTE_DIRTY)
    const hinted: number[] = [], dirty: number[] = [];
    for (const [k, p] of this.pt) {
      const q: PtPage = { frame: new Int32Array(p.frame), bits: new Uint8Array(PT_SIZE), count: p.count };
      for (let i = 0; i < PT_SIZE; i++) {
        const f = p.frame[i]!;
        if (!f) continue;
        pm.get(f - 1);
        if (pm.cowHint[f - 1]) {
          if (hinted.length < FORK_COPY_HINTED_MAX) hinted.push(k * PT_SIZE + i);
        } else if (p.bits[i]! & PTE_DIRTY && dirty.length < FORK_COPY_DIRTY_MAX) {
          dirty.push(k * PT_SIZE + i);
        }
      }
      pt.set(k, q);
    }
    const unshared = this.withoutUncopied(pt);
    const spv = Math.floor(sp / PAGE_SIZE);
    // the page at sp (both sides write it as soon as the call returns) gets the child's copy, or failing that
    // (a frame shared before this fork) this side's own; the others not while other threads run: a page one
    // of them writes as it is copied could reach the child torn (Linux's child sees each page as it was at
    // one instant)
    // (and only pages of writable VMAs: one the guest cannot write was written by the kernel, a patched syscall
    // site or a tracer's poke, and is not written again; its copy would only cost the child a fault and a flush,
    // where the host copy of the process maps the shared frame)
    const ahead = this.users === 1 ? hinted.concat(dirty).filter((vpn) => vpn !== spv && this.writable(vpn)) : [];
    ahead.push(spv);
    const stackCopied = this.copyForChild(pt, ahead, spv);
    for (const v of this.vmas) {
      if (!(v.flags & MAP_SHARED) && v.prot & PROT_WRITE && !(v.vmFlags & (VM_DONTCOPY | VM_WIPEONFORK))) this.protectShared(v);
    }
    if (!stackCopied) this.unshare(sp, sp + PAGE_SIZE);
    const from = this.tlb.syncThread;
    const copyHost = this.platform.forkAddressSpace !== undefined && from !== null && !this.tlb.released;
    let made: { mm: AddressSpace; thread: Context };
    try {
      if (copyHost) {
        // what the child's host process inherits is what this side's host has after this flush (the platform runs it)
        made = AddressSpace.make(pm, this.platform, (pages) => this.platform.forkAddressSpace!(from, pages, () => this.flush()),
          this.hostVdsoClock);
      } else {
        made = AddressSpace.create(pm, this.platform);
      }
    } catch (e) {
      for (const q of pt.values()) {
        for (let i = 0; i < PT_SIZE; i++) if (q.frame[i]) pm.put(q.frame[i]! - 1);
      }
      throw e;
    }
    const child = made.mm;
    if (this.patches) child.patches = new SyscallPatches(this.patches.entry, this.patches);
    child.exeHold = this.exeHold?.dup() ?? null;
    child.brkStart = this.brkStart;
    child.brk = this.brk;
    child.mmapBase = this.mmapBase;
    // (every page-table entry copied; the copies ahead replaced frames, not entries)
    child.rssPages = this.rssPages - unshared;
    child.membarrierState = this.membarrierState;
    child.vmas.push(...vmas);
    for (const r of this.fileMaps) child.mapsFile(r);
    for (const [k, q] of pt) child.pt.set(k, q);
    try {
      if (copyHost) this.copyHostMappings(child, made.thread, pt);
    } catch (e) {
      // (its batch could not run in the copy: no process gets it; its host process, frames and holds go)
      child.release();
      throw e;
    }
    return made;
  }
  /** fork's page-table copy `pt` without the pages of VM_DONTCOPY and VM_WIPEONFORK VMAs (the child has none of
   * them: it reads zeros, or has no mapping there), their frames' references given back; how many went. */
  private withoutUncopied(pt: Map<number, PtPage>): number {
    let n = 0;
    for (const v of this.vmas) {
      if (!(v.vmFlags & (VM_DONTCOPY | VM_WIPEONFORK))) continue;
      // (this side's present page-table pages only: a huge reservation is not walked slot by slot)
      this.eachPtPage(v.start / PAGE_SIZE, v.end / PAGE_SIZE, (_p, base, i0, i1) => {
        const q = pt.get(base / PT_SIZE);
        if (!q) return;
        for (let i = i0; i < i1; i++) {
          const f = q.frame[i]!;
          if (!f) continue;
          this.physmem.put(f - 1);
          q.frame[i] = 0;
          q.bits[i] = 0;
          q.count--;
          n++;
        }
        if (q.count === 0) pt.delete(base / PT_SIZE);
      });
    }
    return n;
  }
  /** fork's copy of the host's mappings for the child (the parent's host process was copied, with this side's
   * frames where the child has its own copies now: those are mapped again, and what the child lacks unmapped). */
  private copyHostMappings(child: AddressSpace, thread: Context, pt: Map<number, PtPage>): void {
    // (the mappings of the copies may fill the batch page: a run goes in the child's stopped thread)
    child.setSyncThread(thread);
    // a VM_DONTCOPY VMA is not the child's: nothing of it stays in its host (a host file's direct mapping neither)
    for (const v of this.vmas) if (v.vmFlags & VM_DONTCOPY) child.tlb.queue(NR_munmap, v.start, v.end - v.start, 0, 0, 0, 0);
    for (const [id, fd] of this.stubFds) child.stubFds.set(id, fd);
    for (const id of this.noDirect) child.noDirect.add(id);
    for (const [k, p] of this.pt) {
      const q = pt.get(k);
      for (let i = 0; i < PT_SIZE; i++) {
        if (!(p.bits[i]! & PTE_HOST)) continue;
        if (q && q.frame[i] === p.frame[i]) {
          q.bits[i]! |= PTE_HOST;
          continue;
        }
        // the child's host maps this side's page there, not the child's: its own replaces it before it runs
        const vpn = k * PT_SIZE + i, v = child.find(vpn * PAGE_SIZE), f = q ? q.frame[i]! - 1 : -1;
        if (v && f >= 0 && !v.direct) {
          child.queueMap(vpn, 1, f, child.isCow(v, f) ? v.prot & ~PROT_WRITE : v.prot);
          q!.bits[i]! |= PTE_HOST;
        } else {
          child.tlb.queue(NR_munmap, vpn * PAGE_SIZE, PAGE_SIZE, 0, 0, 0, 0);
        }
      }
    }
  }

  /**
   * Fork's copy ahead (before the copy-on-write protection): of the pages
   * at `vpns`, those whose frame this side holds alone (refs 2 now: its
   * own and the child's page-table copy, pt) get the child's copies now,
   * in frames as contiguous as memory allows (one host mapping for a run),
   * and this side keeps its frames, writable, as they were. Not when
   * memory is short (a sixteenth of it stays free). A page copy costs a microsecond or two; the write
   * fault it saves while the other side lives costs a trap and a flush
   * (about 150 µs here). The pages given are the stack's, those either
   * side wrote while it shared them with an earlier child (their frames'
   * cowHint: glibc's fork writes the same few pages in every child, a
   * forked Python its objects' refcounts) and others this side has written
   * (PTE_DIRTY: it goes on writing its data, whether the child still
   * shares it or has exec'd). Returns whether the page at `sp` got a copy.
   */
  private copyForChild(pt: Map<number, PtPage>, vpns: number[], sp: number): boolean {
    const pm = this.physmem;
    const ok = vpns.filter((vpn) => {
      const k = Math.floor(vpn / PT_SIZE), i = vpn % PT_SIZE;
      const p = this.pt.get(k), q = pt.get(k);
      const f = p ? p.frame[i]! : 0;
      const v = f ? this.find(vpn * PAGE_SIZE) : null;
      // (q: none where the child has no page, a VM_WIPEONFORK or VM_DONTCOPY VMA's)
      return v !== null && !(v.flags & MAP_SHARED) && pm.refs[f - 1] === 2 && q !== undefined && q.frame[i] === f;
    }).sort((a, b) => a - b);
    let done = 0, stack = false;
    // a sixteenth of memory stays free: a copy ahead must not bring an out-of-memory kill a fork would not
    while (done < ok.length && pm.used < pm.limit - (pm.limit >> 4)) {
      const n0 = pm.alloc(Math.min(ok.length - done, pm.limit - (pm.limit >> 4) - pm.used)), m = pm.allocCount;
      for (let j = 0; j < m; j++) {
        const vpn = ok[done + j]!, k = Math.floor(vpn / PT_SIZE), i = vpn % PT_SIZE;
        const q = pt.get(k)!, f = q.frame[i]! - 1, n = n0 + j;
        pm.copyFrame(n, f);
        pm.put(f);
        q.frame[i] = n + 1;
        q.bits[i] = 0;
        if (vpn === sp) stack = true;
      }
      pm.stats.cowCopies += m;
      done += m;
    }
    return stack;
  }

  /** A fork's copy-on-write protection of a private writable VMA: what the host maps of its frames shared now goes read-only. */
  private protectShared(v: Vma): void {
    const refs = this.physmem.refs, prot = v.prot & ~PROT_WRITE & SYS_HOST_PROT_MASK;
    let r0 = -1, r1 = -1;
    const run = (): void => {
      if (r0 >= 0) this.tlb.queue(NR_mprotect, r0 * PAGE_SIZE, (r1 - r0) * PAGE_SIZE, prot, 0, 0, 0);
    };
    this.eachPresent(v.start, v.end, (p, i, vpn) => {
      if (!(p.bits[i]! & PTE_HOST) || refs[p.frame[i]! - 1]! < 2) return;
      if (vpn !== r1) {
        run();
        r0 = vpn;
      }
      r1 = vpn + 1;
    });
    run();
  }

  /** Visit the present page-table entries of [start, end) in order (fn gets the entry's page, index and vpn). */
  private eachPresent(start: number, end: number, fn: (p: PtPage, i: number, vpn: number) => void): void {
    this.eachPtPage(start / PAGE_SIZE, end / PAGE_SIZE, (p, base, lo, hi) => {
      for (let i = lo; i < hi; i++) {
        if (p.frame[i]) fn(p, i, base + i);
      }
    });
  }

  /**
   * execve: drop every mapping (the host loses them at the next flush) and
   * start over empty in the same stub process, which saves spawning one.
   */
  reset(keep = false): void {
    this.patches = null;
    this.endImage();
    this.images++;
    // (the old image's peak was taken by exec's caller)
    for (const v of [...this.vmas]) {
      if (keep && this.keepForExec(v)) continue;
      this.removeRange(v.start, v.end);
    }
    this.brkStart = this.brk = 0;
    this.membarrierState = 0; // membarrier_exec_mmap
    this.defLocked = false;
    this.faultNext = -1;
    this.faultWindow = FAULT_AROUND_MIN;
    this.cowLo = this.cowHi = -1;
    // (a new image's peak starts again: exec's caller kept the old one's, setmax_mm_hiwater_rss)
    this.hiwaterRss = 0;
  }

  /**
   * exec in place (reset(true)): a private direct VMA of the old image goes,
   * but the host's mapping of its file stays, for the new image to take if
   * it maps the same file at the same place (claimKept): exec of the same
   * program (a shell's fork + exec of itself: busybox's applets) then costs
   * no munmap and mmap of its text and no host fault for each text page the
   * old image had touched. What the old image had of its own there (its
   * copies, its patched syscall pages) goes now: the file is mapped over
   * it after an munmap (if the host refused that mmap, the hole faults and
   * directFault maps it). Such a host mapping is always the file's content:
   * a private direct VMA is never writable on the host (directProt), and
   * every write to it goes to a frame of the guest's own (copyDirectPage).
   * False (nothing done) for any other VMA, or when the stub has no
   * descriptor of the file any more.
   */
  private keepForExec(v: Vma): boolean {
    const hm = v.file?.hostMap;
    if (!v.direct || v.flags & MAP_SHARED || !hm) return false;
    const key = stubKey(hm, false), fd = this.stubFds.get(key);
    if (fd === undefined) return false;
    const k: KeptMapping = { start: v.start, end: v.end, key, pgoff: v.pgoff, prot: directProt(v), claimed: [] };
    (this.kept ??= []).push(k);
    this.vmas.splice(this.firstAfter(v.start), 1);
    v.drop();
    this.dropPages(k.start, k.end, (r0, r1) => {
      const at = r0 * PAGE_SIZE, len = (r1 - r0) * PAGE_SIZE;
      this.tlb.queue(NR_munmap, at, len, 0, 0, 0, 0);
      this.tlb.queueDirect(at, len, k.prot, MAP_PRIVATE | MAP_FIXED, fd, k.pgoff + (at - k.start), key);
    });
    return true;
  }

  /**
   * Does the host map [start, end) of the file (stub key `key`, from pgoff,
   * at host protection prot) as it is, kept from the old image (exec's
   * load only)? Then the range is the new image's, and needs no request.
   */
  private claimKept(start: number, end: number, key: string, pgoff: number, prot: number): boolean {
    for (const k of this.kept!) {
      if (k.key === key && k.prot === prot && k.start <= start && end <= k.end && k.pgoff + (start - k.start) === pgoff &&
        !k.claimed.some(([a, b]) => a < end && start < b)) {
        k.claimed.push([start, end]);
        this.physmem.stats.execKept++;
        return true;
      }
    }
    return false;
  }

  /**
   * exec's load is done: every part of a kept host mapping that the new
   * image did not take goes, before any guest code runs. A part where the
   * new image has a mapping of its own (queued before this munmap) gets
   * that mapping again after it.
   */
  endExec(): void {
    const kept = this.kept;
    this.kept = null;
    if (!kept) return;
    for (const k of kept) {
      k.claimed.sort((x, y) => x[0] - y[0]);
      let at = k.start;
      for (const [a, b] of [...k.claimed, [k.end, k.end] as [number, number]]) {
        if (a > at) this.unmapKept(at, a);
        at = Math.max(at, b);
      }
    }
  }
  /** [start, end) of a kept host mapping the new image did not take: unmapped, and what the new image has there
   * mapped again (its present pages: those exec mapped ahead, and any it had not yet, a mapping early). */
  private unmapKept(start: number, end: number): void {
    this.tlb.queue(NR_munmap, start, end - start, 0, 0, 0, 0);
    for (let i = this.firstAfter(start); i < this.vmas.length && this.vmas[i]!.start < end; i++) {
      const v = this.vmas[i]!, s = Math.max(start, v.start), e = Math.min(end, v.end);
      if (v.direct) this.remapDirect(v, s, e);
      else this.mapPresent(v, s, e);
    }
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
  firstAfter(addr: number): number {
    const v = this.vmas;
    let lo = 0, hi = v.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v[mid]!.end <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  overlaps(start: number, end: number): boolean {
    const i = this.firstAfter(start);
    return i < this.vmas.length && this.vmas[i]!.start < end;
  }
  /** Is [start, end) covered by VMAs with no hole? */
  covered(start: number, end: number): boolean {
    let at = start;
    for (let i = this.firstAfter(start); i < this.vmas.length && at < end; i++) {
      const m = this.vmas[i]!;
      if (m.start > at) return false;
      at = m.end;
    }
    return at >= end;
  }
  insert(vma: Vma): void {
    if (vma.file?.rmap) {
      this.mapsFile(vma.file.rmap);
      if (!(vma.flags & MAP_SHARED)) vma.file.rmap.privateMapped = true;
    }
    const i = this.firstAfter(vma.start);
    this.vmas.splice(i, 0, vma);
    this.mergeAround(i);
  }
  /** Merge VMA i with its neighbours when they are the same mapping continued. */
  mergeAround(i: number): void {
    const v = this.vmas;
    const can = (a: Vma, b: Vma): boolean =>
      a.end === b.start && a.prot === b.prot && a.flags === b.flags && a.file === b.file && a.name === b.name && a.mayProt === b.mayProt &&
      a.direct === b.direct && a.vmFlags === b.vmFlags &&
      (a.file === null || a.pgoff + (a.end - a.start) === b.pgoff);
    if (i + 1 < v.length && can(v[i]!, v[i + 1]!)) {
      v[i]!.end = v[i + 1]!.end;
      v[i]!.wasWritable ||= v[i + 1]!.wasWritable;
      v.splice(i + 1, 1)[0]!.drop();
    }
    if (i > 0 && can(v[i - 1]!, v[i]!)) {
      v[i - 1]!.end = v[i]!.end;
      v[i - 1]!.wasWritable ||= v[i]!.wasWritable;
      v.splice(i, 1)[0]!.drop();
    }
  }
  /** Each VMA of [start, end) changed by `change`, split at the edges first and merged with alike neighbours
   * after (mlock_fixup's and madvise_update_vma's vma_modify and vma_merge). */
  changeVmas(start: number, end: number, change: (v: Vma) => void): void {
    if (start >= end) return;
    this.splitAt(start);
    this.splitAt(end);
    const first = this.firstAfter(start);
    let i = first;
    for (; i < this.vmas.length && this.vmas[i]!.start < end; i++) change(this.vmas[i]!);
    for (let k = i - 1; k >= Math.max(first - 1, 0); k--) if (k < this.vmas.length) this.mergeAround(k);
  }
  /** Split so that no VMA straddles addr. */
  splitAt(addr: number): void {
    const m = this.find(addr);
    if (!m || m.start === addr) return;
    const tail = m.clone();
    tail.start = addr;
    if (tail.file) tail.pgoff += addr - m.start;
    m.end = addr;
    this.vmas.splice(this.vmas.indexOf(m) + 1, 0, tail);
  }
  /** Remove VMAs in [start, end) (splitting at the edges); frees pages, queues host munmap. */
  removeRange(start: number, end: number): void {
    if (this.patches && touchesTable(this.patches, start, end)) unpatchAll(this, this.patches);
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
  /** Find a free range of len bytes, top-down below mmapBase (or at hint if free). */
  getUnmappedArea(hint: number, len: number): number {
    if (hint && aligned(hint) && hint >= MMAP_MIN_ADDR && hint + len <= GUEST_TASK_SIZE && !this.overlaps(hint, hint + len)) return hint;
    const base = this.mmapBase;
    let top = base;
    for (let i = this.firstAfter(top) - 1; ; i--) {
      const below = i >= 0 ? this.vmas[i]!.end : MMAP_MIN_ADDR;
      const limit = Math.min(top, i + 1 < this.vmas.length ? this.vmas[i + 1]!.start : top);
      if (limit - below >= len && limit <= top) return limit - len;
      if (i < 0) break;
      top = Math.min(top, this.vmas[i]!.start);
    }
    // nothing below the base: try above it (under the stack)
    for (let i = this.firstAfter(base); i <= this.vmas.length; i++) {
      const lo = Math.max(base, i > 0 ? this.vmas[i - 1]!.end : base);
      const hi = i < this.vmas.length ? this.vmas[i]!.start : GUEST_TASK_SIZE;
      if (hi - lo >= len) return lo;
    }
    throw new ErrnoError(Errno.ENOMEM);
  }

  // ---- page table -----------------------------------------------------------

  ptPage(vpn: number, create: boolean): PtPage | undefined {
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
  /** mincore's answer for vpns [vpn, vpn + out.length): 1 where a page is present, else 0 (a page-table page at a time). */
  residentInto(vpn: number, out: Uint8Array): void {
    out.fill(0);
    this.eachPtPage(vpn, vpn + out.length, (p, base, lo, hi) => {
      for (let i = lo; i < hi; i++) out[base + i - vpn] = p.frame[i] ? 1 : 0;
    });
  }
  /** present pages: the page-table pages' counts summed (mm's rss counter); guarded by the JS thread (every
   * change of a PtPage's count changes it too) */
  rssPages = 0;
  /** Number of present pages (resident set), for /proc and tests. */
  get rss(): number {
    return this.rssPages;
  }
  /** the resident set's peak before its last drop (mm->hiwater_rss, pages: update_hiwater_rss before every
   * unmap, as Linux does); guarded by the JS thread (dropPages; reset starts a new image at 0) */
  private hiwaterRss = 0;
  /** The resident set's peak in this image, pages (get_mm_hiwater_rss: the last drop's peak or the set now). */
  get maxRss(): number {
    return Math.max(this.hiwaterRss, this.rss);
  }
  /**
   * Visit the present page-table entries of [start, end) in order, and report
   * the runs of pages the host had mapped (before the visit) to onRun as
   * [first vpn, end vpn): the host requests for a range are one per run,
   * not one per page. Empty page-table pages are dropped afterwards.
   */
  walk(start: number, end: number, visit: ((p: PtPage, i: number) => void) | null, onRun: (v0: number, v1: number) => void): void {
    let runStart = -1, runEnd = -1;
    this.eachPtPage(start / PAGE_SIZE, end / PAGE_SIZE, (p, base, lo, hi) => {
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
      if (p.count === 0) this.pt.delete(base / PT_SIZE);
    });
    if (runStart >= 0) onRun(runStart, runEnd);
  }

  /**
   * Visit the page-table pages that exist for vpns [v0, v1), in order: fn
   * gets the page, its first vpn and the range's indexes [lo, hi) in it. fn
   * may drop the page or add others (a long range's keys are taken first).
   */
  eachPtPage(v0: number, v1: number, fn: (p: PtPage, base: number, lo: number, hi: number) => void): void {
    if (v1 <= v0) return;
    const k0 = Math.floor(v0 / PT_SIZE), k1 = Math.floor((v1 - 1) / PT_SIZE), sparse = this.sparseKeys(k0, k1);
    for (let n = 0; sparse ? n < sparse.length : k0 + n <= k1; n++) {
      const k = sparse ? sparse[n]! : k0 + n;
      const p = this.pt.get(k);
      if (!p) continue;
      const base = k * PT_SIZE;
      fn(p, base, Math.max(v0, base) - base, Math.min(v1, base + PT_SIZE) - base);
    }
  }

  /**
   * For a walk of page-table pages k0..k1: null when the range is short
   * (visit every key), else the keys present in it, in order (a guest's
   * munmap, mprotect or mremap of a 64 TiB reservation visits the pages it
   * has, not 2^25 page-table pages: found by a fuzzer).
   */
  private sparseKeys(k0: number, k1: number): number[] | null {
    if (k1 - k0 < 64 || k1 - k0 < 4 * this.pt.size) return null;
    const keys: number[] = [];
    for (const k of this.pt.keys()) if (k >= k0 && k <= k1) keys.push(k);
    return keys.sort((a, b) => a - b);
  }

  /** the host's munmap of a run of pages [r0, r1) (walk's onRun); immutable */
  private readonly unmapRun = (r0: number, r1: number): void => this.tlb.queue(NR_munmap, r0 * PAGE_SIZE, (r1 - r0) * PAGE_SIZE, 0, 0, 0, 0);
  /** Drop the pages of [start, end): release their frames; the host unmaps what it had (untouched memory costs no
   * flush), or onRun does something else with each run of pages the host had mapped. */
  dropPages(start: number, end: number, onRun = this.unmapRun): void {
    if (this.rssPages > this.hiwaterRss) this.hiwaterRss = this.rssPages;
    this.walk(start, end, (p, i) => {
      if (p.bits[i]! & PTE_HOST) this.tlb.gather.push(p.frame[i]! - 1);
      else this.physmem.put(p.frame[i]! - 1);
      p.frame[i] = 0;
      p.bits[i] = 0;
      p.count--;
      this.rssPages--;
    }, onRun);
    if (this.tlb.count === 0 && !this.tlb.released) this.tlb.freeGathered();
    this.physmem.flushFreed();
  }



  /**
   * The host loses its mappings of [start, end); the pages stay in the page
   * table, and the next access faults and maps them again.
   */
  unmapHost(start: number, end: number): void {
    this.walk(start, end, (p, i) => {
      p.bits[i]! &= ~PTE_HOST;
    }, (r0, r1) => this.tlb.queue(NR_munmap, r0 * PAGE_SIZE, (r1 - r0) * PAGE_SIZE, 0, 0, 0, 0));
  }

  /** Lower the host protection of what the host has mapped in [start, end) to prot (copy-on-write after fork). */
  protectHost(start: number, end: number, prot: number): void {
    this.walk(start, end, null, (r0, r1) => this.tlb.queue(NR_mprotect, r0 * PAGE_SIZE, (r1 - r0) * PAGE_SIZE, prot & SYS_HOST_PROT_MASK, 0, 0, 0));
  }

  /** Is page vpn in a VMA the guest may write? */
  private writable(vpn: number): boolean {
    const v = this.find(vpn * PAGE_SIZE);
    return v !== null && (v.prot & PROT_WRITE) !== 0;
  }

  /** Is this page of vma copy-on-write (private, writable, frame shared)? */
  isCow(vma: Vma, frame: number): boolean {
    return !(vma.flags & MAP_SHARED) && (vma.prot & PROT_WRITE) !== 0 && this.physmem.refs[frame]! > 1;
  }

  /** Give the page (vpn, entry i of p) its own copy of a shared frame (do_wp_page). Returns the new frame. */
  breakCow(p: PtPage, i: number, vpn: number): number {
    const pm = this.physmem, old = p.frame[i]! - 1, f = pm.alloc(1);
    // whichever side wrote, the frame it keeps and the one the other keeps: a fork's copies ahead
    pm.cowHint[old] = 1;
    pm.cowHint[f] = 1;
    this.copyInto(p, i, f, vpn);
    return f;
  }

  /** The page (vpn, entry i of p) gets frame f (allocated by the caller), a copy of its shared frame; the host no
   * longer maps it. */
  private copyInto(p: PtPage, i: number, f: number, vpn: number): void {
    const old = p.frame[i]! - 1;
    const pm = this.physmem;
    pm.stats.cowCopies++;
    pm.copyFrame(f, old);
    // still mapped by the host until the flush that maps the copy: our
    // reference goes only then, or another process could get the frame
    // while a thread of this one still reaches it
    if (p.bits[i]! & PTE_HOST) this.tlb.gather.push(old);
    else pm.put(old);
    p.frame[i] = f + 1;
    p.bits[i]! &= ~PTE_HOST;
  }

  // ---- TLB: batched host mapping changes (tlb.ts) ----------------------------------

  /** The stopped host thread flushes run in; the kernel sets it before handling each trap. */
  setSyncThread(t: Context): void {
    this.tlb.syncThread = t;
    // (the file changes that waited for a stopped thread: the resume that ends this stop flushes them)
    if (this.deferredChanges !== null) {
      const d = this.deferredChanges;
      this.deferredChanges = null;
      for (const [r, start, end, privateOnly] of d) {
        const work = this.changeWork(r, start, end, privateOnly);
        if (work) this.applyChange(r, start, end, work);
      }
    }
  }
  get pendingFlush(): number {
    return this.tlb.count + this.tlb.refused.length;
  }
  /** Flush now if frames the host still maps (dropped, waiting for a flush to be freed) are needed: fewer than
   * minFree frames are free. */
  flushIfShort(minFree: number): void {
    if (this.tlb.gather.length > 0 && this.physmem.limit - this.physmem.used < minFree) this.flush();
  }
  /** Run the queued requests now (see TlbBatch.flush), and deal with the host's refusals. */
  flush(): void {
    this.tlb.flush();
    while (this.tlb.refused.length > 0) {
      for (const r of this.tlb.refused.splice(0)) this.hostRefused(r);
      this.tlb.flush();
    }
  }
  /**
   * Flush, and say whether the host refused to map a file into [start, end)
   * for a reason of the file's (its errno: ENODEV from sysfs, EIO from
   * procfs, EACCES from an append-only file...), as opposed to the host's
   * own shortage (ENOMEM, EAGAIN: those mappings are copied instead).
   * 0 if it did not.
   */
  flushRefusedIn(start: number, end: number): number {
    this.tlb.flush();
    let errno = 0;
    for (const r of this.tlb.refused) {
      if (r.start < end && start < r.end && r.errno !== Errno.ENOMEM && r.errno !== Errno.EAGAIN) errno ||= r.errno;
    }
    this.flush();
    return errno;
  }
  /**
   * The host would not map a file for a direct VMA: the direct VMAs of it
   * in the range are mapped by copying instead (as when the stub cannot
   * open the file). The file is not marked: a later mmap of it asks the
   * host again and gets the same answer, the errno a guest mmap returns.
   */
  private hostRefused(r: Refusal): void {
    for (let i = this.firstAfter(r.start); i < this.vmas.length && this.vmas[i]!.start < r.end; i++) {
      const v = this.vmas[i]!;
      if (v.direct && v.file?.hostMap && stubKey(v.file.hostMap, writableShared(v)) === r.key) this.undirect(v);
    }
  }
  /** flushes run so far (for --stats and tests) */
  get flushes(): number {
    return this.tlb.flushes;
  }

  /**
   * Queue the host mapping of pages [vpn, vpn+n) to frames [frame, frame+n).
   * prefault: the host fills in its page tables for them at once
   * (MAP_POPULATE), for pages the guest is about to touch one by one — a
   * host fault per page costs about twice a page of a populating mmap here.
   */
  queueMap(vpn: number, n: number, frame: number, prot: number, prefault = false): void {
    this.tlb.queue(NR_mmap, vpn * PAGE_SIZE, n * PAGE_SIZE, prot & SYS_HOST_PROT_MASK, MAP_SHARED | MAP_FIXED | (prefault ? MAP_POPULATE : 0), STUB_FD_PHYSMEM, frame * PAGE_SIZE);
  }

  // ---- direct mappings of host files ----------------------------------------------

  /** host file id -> the stub's fd for it; guarded by the JS thread */
  readonly stubFds = new Map<string, number>();
  /** host files the stub could not open (mapped by copying instead); guarded by the JS thread */
  readonly noDirect = new Set<string>();

  /**
   * The stub's descriptor of a host file, opened now if it has none: the
   * stub opens the kernel's own descriptor by its /proc name (written in the
   * batch page, which the guest cannot write). -1 if it can't be had.
   */
  stubFd(hm: HostMappable, rw: boolean): number {
    const id = stubKey(hm, rw);
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
  remapDirect(v: Vma, start = v.start, end = v.end): void {
    const hm = v.file!.hostMap!, rw = writableShared(v);
    const fd = this.stubFd(hm, rw);
    if (fd < 0) return this.undirect(v);
    const shared = (v.flags & MAP_SHARED) !== 0, key = stubKey(hm, rw), pgoff = v.pgoff + (start - v.start);
    // (exec's load: the old image's mapping of the file there may be kept as it is)
    if (!(this.kept !== null && !shared && this.claimKept(start, end, key, pgoff, directProt(v)))) {
      this.tlb.queueDirect(start, end - start, directProt(v), (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED, fd, pgoff, key);
    }
    this.mapPresent(v, start, end);
  }
  /** Map every page of VMA v present in [start, end) on the host (read-only where copy-on-write). */
  private mapPresent(v: Vma, start: number, end: number): void {
    this.eachPresent(start, end, (p, i, vpn) => {
      const f = p.frame[i]! - 1;
      this.queueMap(vpn, 1, f, this.isCow(v, f) ? v.prot & ~PROT_WRITE : v.prot);
      p.bits[i]! |= PTE_HOST;
    });
  }

  /**
   * The host has no room left for this process's mappings (TlbBatch's
   * onHostFull): it forgets every one of them, as a full TLB is flushed;
   * the page table stays, and faults map again what the guest uses.
   * Mapping requests queued before this point that did not run are moot:
   * their pages are no longer marked host-mapped either.
   */
  evictHost(): void {
    for (const v of this.vmas) this.tlb.queue(NR_munmap, v.start, v.end - v.start, 0, 0, 0, 0);
    // (an exec's load: what it kept of the old image goes too)
    for (const k of this.kept ?? []) this.tlb.queue(NR_munmap, k.start, k.end - k.start, 0, 0, 0, 0);
    if (this.kept) this.kept = [];
    for (const p of this.pt.values()) {
      for (let i = 0; i < PT_SIZE; i++) p.bits[i]! &= ~PTE_HOST;
    }
  }

  /** Direct VMA v is mapped by copying from now on: the host forgets its file mapping, faults bring the pages back. */
  undirect(v: Vma): void {
    v.direct = false;
    this.tlb.queue(NR_munmap, v.start, v.end - v.start, 0, 0, 0, 0);
    this.walk(v.start, v.end, (p, i) => {
      p.bits[i]! &= ~PTE_HOST;
    }, () => {});
  }

  /**
   * Insert a new VMA; a read-only private or a shared mapping of a host file
   * becomes direct (split where a page would reach past hostMapLimit: those
   * are copied) and is mapped from the file at once.
   */
  insertMapping(v: Vma): void {
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

  /** fault.ts */
  copyDirectPage(vma: Vma, vpn: number): number {
    return fault_m.copyDirectPage(this, vma, vpn);
  }

  /** fault.ts */
  directFault(vma: Vma, vpn: number, err: number): number {
    return fault_m.directFault(this, vma, vpn, err);
  }


  // ---- faults ---------------------------------------------------------------------

  /** fault.ts */
  hostFaultErr(addr: number, accErr: boolean, fetch: boolean, hwErr = -1): number {
    return fault_m.hostFaultErr(this, addr, accErr, fetch, hwErr);
  }

  /** fault.ts */
  handleFault(addr: number, err: number): number {
    return fault_m.handleFault(this, addr, err);
  }

  /** fault.ts */
  growStack(addr: number): boolean {
    return fault_m.growStack(this, addr);
  }

  /** fault.ts */
  populate(vma: Vma, lo: number, hi: number, prefault = false): void {
    fault_m.populate(this, vma, lo, hi, prefault);
  }

  /** fault.ts */
  populateCached(vma: Vma, key: string, p: PtPage, i: number, vpn: number, n: number, prot: number): number {
    return fault_m.populateCached(this, vma, key, p, i, vpn, n, prot);
  }

  /** fault.ts */
  prefault(start: number, end: number): void {
    fault_m.prefault(this, start, end);
  }
  /**
   * Give the present pages of [start, end) in a private writable mapping
   * their own frames now (do_wp_page ahead of the writes): an image's data
   * segment, which its start-up writes page after page, then costs one
   * flush instead of a fault per page. Only a head start: with memory
   * short it stops, and the writes fault as before.
   */
  unshare(start: number, end: number): void {
    const v = this.find(start);
    if (!v || v.flags & MAP_SHARED || !(v.prot & PROT_WRITE)) return;
    const pm = this.physmem, last = Math.min(end, v.end) / PAGE_SIZE;
    for (let vpn = start / PAGE_SIZE; vpn < last;) {
      const p = this.ptPage(vpn, false), i = vpn % PT_SIZE;
      // a run of copy-on-write pages (within one page-table page) gets a run of frames: one host mapping
      let n = 0;
      while (p && vpn + n < last && i + n < PT_SIZE && p.frame[i + n]! && this.isCow(v, p.frame[i + n]! - 1)) n++;
      if (n === 0) {
        vpn++;
        continue;
      }
      if (pm.used >= pm.limit) return;
      const f = pm.alloc(Math.min(n, pm.limit - pm.used)), m = pm.allocCount;
      for (let k = 0; k < m; k++) {
        this.copyInto(p!, i + k, f + k, vpn + k);
        p!.bits[i + k]! |= PTE_HOST;
      }
      this.queueMap(vpn, m, f, v.prot);
      vpn += m;
    }
  }

  // ---- user memory access (copy_from_user / copy_to_user) --------------------------------

  /** usercopy.ts */
  userFrame(addr: number, write: boolean): number {
    return usercopy_m.userFrame(this, addr, write);
  }

  /** usercopy.ts (ptrace's POKEDATA) */
  writeForce(addr: number, data: Uint8Array): void {
    usercopy_m.writeForce(this, addr, data);
  }

  /** userPage's result, reused; guarded by the JS thread, valid until the next call */
  readonly upage: { buf: Uint8Array<ArrayBufferLike>; off: number; file: boolean } = { buf: new Uint8Array(0), off: 0, file: false };
  /**
   * The bytes of the page at addr as the guest sees them: its frame through
   * the kernel's mapping, or (file: true) a direct page: the page cache's
   * frame of it (fault.ts directPageFrame), else read from the host file
   * into physmem's scratch frame; valid until the next call.
   */
  userPage(addr: number, write: boolean): { buf: Uint8Array<ArrayBufferLike>; off: number; file: boolean } {
    const pm = this.physmem, u = this.upage;
    let f = this.userFrame(addr, write);
    u.file = f < 0;
    if (f < 0) {
      const vma = this.find(addr)!;
      const page = addr - (addr % PAGE_SIZE);
      f = fault_m.directPageFrame(this, vma, page);
      if (f < 0) {
        f = pm.scratch;
        // past the end of the file the guest would get SIGBUS: the kernel, EFAULT
        const n = vma.file!.fillHost(vma.pgoff + (page - vma.start), pm.scratchAddr, PAGE_SIZE);
        if (n <= 0) throw new ErrnoError(Errno.EFAULT);
        if (n < PAGE_SIZE) pm.chunkOf(f).fill(0, pm.offsetIn(f) + n, pm.offsetIn(f) + PAGE_SIZE);
      }
    }
    u.buf = pm.chunkOf(f);
    u.off = pm.offsetIn(f);
    return u;
  }

  /** usercopy.ts */
  cmpxchgU32(addr: number, old: number, nu: number): number {
    return usercopy_m.cmpxchgU32(this, addr, old, nu);
  }
  /** usercopy.ts */
  readInto(addr: number, dst: Uint8Array, at = 0, len = dst.length - at): void {
    usercopy_m.readInto(this, addr, dst, at, len);
  }
  /** usercopy.ts */
  read(addr: number, len: number): Uint8Array {
    return usercopy_m.read(this, addr, len);
  }
  /** usercopy.ts */
  write(addr: number, data: Uint8Array, at = 0, len = data.length - at): void {
    usercopy_m.write(this, addr, data, at, len);
  }
  /** usercopy.ts */
  check(addr: number, len: number, write: boolean): void {
    usercopy_m.check(this, addr, len, write);
  }
  /** scratch for the readU32..writeU64 helpers; guarded by the JS thread, used synchronously only */
  readonly scratch8 = new Uint8Array(8);
  readonly scratchView = new DataView(this.scratch8.buffer);
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
  /** usercopy.ts */
  readCString(addr: number, max = 4096): string {
    return usercopy_m.readCString(this, addr, max);
  }
  /** usercopy.ts */
  readStringArray(addr: number, maxTotal: number): string[] {
    return usercopy_m.readStringArray(this, addr, maxTotal);
  }

  // ---- the mapping syscalls' work (mm/mmap.c, mm/mprotect.c, mm/mremap.c) ------------------

  /** mmap.ts */
  mmap(addr: number, len: number, prot: number, flags: number, file: VmFile | null, off: number, mayProt = PROT_READ | PROT_WRITE | PROT_EXEC): number {
    return mmap_m.mmap(this, addr, len, prot, flags, file, off, mayProt);
  }

  /** mmap.ts */
  checkMapCount(): void {
    mmap_m.checkMapCount(this);
  }

  /** mmap.ts */
  mapFixed(start: number, end: number, prot: number, flags: number, file: VmFile | null, off: number, name: string): void {
    mmap_m.mapFixed(this, start, end, prot, flags, file, off, name);
  }

  /** mmap.ts */
  munmap(addr: number, len: number): void {
    mmap_m.munmap(this, addr, len);
  }

  /** mmap.ts */
  mprotect(addr: number, len: number, prot: number, readImpliesExec = false): void {
    mmap_m.mprotect(this, addr, len, prot, readImpliesExec);
  }

  /** mmap.ts */
  remapDirectIn(start: number, end: number): void {
    mmap_m.remapDirectIn(this, start, end);
  }

  /** mmap.ts */
  dontneed(addr: number, len: number): void {
    mmap_m.dontneed(this, addr, len);
  }
  /** mmap.ts */
  isMapped(addr: number, len: number): boolean {
    return mmap_m.isMapped(this, addr, len);
  }

  /** mmap.ts */
  mremap(old: number, oldLen: number, newLen: number, flags: number, newAddr: number): number {
    return mmap_m.mremap(this, old, oldLen, newLen, flags, newAddr);
  }

  /** mmap.ts */
  moveRange(vma: Vma, old: number, oldLen: number, newLen: number, dest: number, keepOld: boolean): number {
    return mmap_m.moveRange(this, vma, old, oldLen, newLen, dest, keepOld);
  }

  /** mmap.ts */
  setBrk(want: number): number {
    return mmap_m.setBrk(this, want);
  }
  mayExpandVm(len: number, prot: number, flags: number, fixedAt: number): boolean {
    return mmap_m.mayExpandVm(this, len, prot, flags, fixedAt);
  }
  /** mm->total_vm: the bytes all its VMAs span */
  get totalVm(): number {
    let n = 0;
    for (const v of this.vmas) n += v.end - v.start;
    return n;
  }
  lockedBytes(start?: number, end?: number): number {
    return mlock_m.lockedBytes(this, start, end);
  }
  setLocked(start: number, end: number, lock: boolean, onFault: boolean): number {
    return mlock_m.setLocked(this, start, end, lock, onFault);
  }
  setLockedAll(current: boolean, future: boolean, onFault: boolean): number {
    return mlock_m.setLockedAll(this, current, future, onFault);
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
    this.setExeHold(null);
    this.endImage();
    this.tlb.release();
    for (const t of this.threads) this.platform.kill(t);
    this.threads.clear();
    for (const v of this.vmas) {
      this.dropPages(v.start, v.end);
      v.drop();
    }
    this.vmas.length = 0;
    this.physmem.flushFreed();
    this.awaiting = this.tlb.gather.length;
    this.physmem.awaitingReap += this.awaiting;
    // last: a host process reaped already calls back at once, and must find
    // every frame gathered above
    this.platform.whenReaped(this.hostPid, () => this.reaped());
  }
  /** frames this released address space gave back to awaitingReap's count; set by release() */
  private awaiting = 0;
  /** The host has reaped the stub process (every thread of it is gone). */
  reaped(): void {
    this.physmem.awaitingReap -= this.awaiting;
    this.awaiting = 0;
    this.tlb.freeGathered();
    this.physmem.freeStubSlot(this.stubSlot);
    this.physmem.flushFreed();
    this.physmem.onFramesBack?.();
  }
}
