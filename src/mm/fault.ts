/**
 * Page faults (mm/memory.c): what the host's fault report means, demand
 * paging with map-ahead, copy-on-write, the page cache for file pages, a
 * growing stack, and the faults of direct host-file mappings.
 *
 * Functions of the AddressSpace (address_space.ts), which calls them
 * through its methods; the state is its, guarded by the JS thread.
 */
import { PAGE_SIZE, OutOfMemory } from './physmem.js';
import { Vma } from './vma.js';


import { PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, MAP_SHARED, MAP_GROWSDOWN } from '../abi/mman.js';
import { RLIMIT_STACK } from '../abi/resource.js';

import { AddressSpace, FAULT_SIGBUS, COW_AROUND, FAULT_AROUND_MAX, FAULT_AROUND_MIN, PF_INSTR, PF_PROT, PF_USER, PF_WRITE, PTE_DIRTY, PTE_HOST, PT_SIZE, PtPage, STACK_GUARD_GAP, MMAP_MIN_ADDR } from './address_space.js';
import { SEGV_ACCERR, SEGV_MAPERR } from '../abi/signal.js';

/**
 * The x86 error code of a fault the host reported, for the page table to
 * answer. hwErr: the error code of the host's frame (systrap's handler
 * posts it), or -1 where the platform cannot say (ptrace's siginfo has
 * none). Without it only whether something was mapped there is known
 * (accErr: SEGV_ACCERR) and the kind of access comes from this page table:
 * the host maps a page with its VMA's protection less write for
 * copy-on-write, so a denied access to a mapped page is a write — or the
 * fetch of a non-executable page (fetch: the address is at the instruction
 * pointer); a missing page is taken as read. Either way a missing page in
 * writable private anonymous memory (stack, heap, bss) is taken as
 * written, as it is soon: a fork's child copies such a page in one fault,
 * not a read fault and then a write fault (a copy costs far less than a
 * fault; gVisor's ptrace platform assumes any access); without the host's
 * code, a writable private file mapping's too.
 */
export function hostFaultErr(mm: AddressSpace, addr: number, accErr: boolean, fetch: boolean, hwErr = -1): number {
  const v = mm.find(addr);
  const writtenSoon = v != null && !(v.flags & MAP_SHARED) && (v.prot & PROT_WRITE) !== 0;
  if (hwErr >= 0) {
    // (a file's page only read stays the file's: a change of the file reaches it)
    const e = PF_USER | (hwErr & (PF_PROT | PF_WRITE | PF_INSTR));
    return !(e & (PF_PROT | PF_INSTR)) && writtenSoon && !v.file ? e | PF_WRITE : e;
  }
  if (accErr) return fetch && !(v && v.prot & PROT_EXEC) ? PF_USER | PF_PROT | PF_INSTR : PF_USER | PF_PROT | PF_WRITE;
  if (fetch) return PF_USER | PF_INSTR;
  return writtenSoon ? PF_USER | PF_WRITE : PF_USER;
}

/**
 * Handle a guest page fault at addr with x86 error code err. Returns 0 when
 * the access may be retried (page tables updated, host requests queued),
 * or SEGV_MAPERR / SEGV_ACCERR for a guest SIGSEGV.
 */
export function handleFault(mm: AddressSpace, addr: number, err: number): number {
  mm.faults++;
  mm.physmem.stats.faults++;
  const vma = mm.find(addr);
  if (!vma) return mm.growStack(addr) ? mm.handleFault(addr, err) : SEGV_MAPERR;
  const need = err & PF_WRITE ? PROT_WRITE : err & PF_INSTR ? PROT_EXEC : PROT_READ;
  if (!(vma.prot & need) && !(need === PROT_READ && vma.prot & (PROT_WRITE | PROT_EXEC))) return SEGV_ACCERR;
  const vpn = Math.floor(addr / PAGE_SIZE);
  if (vma.direct) {
    const r = mm.directFault(vma, vpn, err);
    if (r === 0 && err & PF_WRITE) markDirty(mm, vma, vpn);
    return r;
  }
  // a fault on a page we believe the host has mapped means the host lost
  // it (or never ran the request): map it again rather than loop
  const pte = mm.ptPage(vpn, false);
  if (pte && pte.frame[vpn % PT_SIZE]) {
    const i = vpn % PT_SIZE;
    if (err & PF_WRITE && mm.isCow(vma, pte.frame[i]! - 1)) {
      // copy-on-write around the fault too when writes go page after page
      // (a data segment, a forked stack: a copy costs far less than a
      // fault); a write elsewhere copies its page only, as Linux does, or a
      // forked child whose writes are scattered (a Python's refcounts)
      // would hold several times the memory it holds natively
      const sequential = vpn === mm.cowHi || vpn === mm.cowLo - 1;
      const around = sequential ? COW_AROUND : 1;
      const lo = Math.max(vma.start / PAGE_SIZE, vpn - around + 1, vpn - i);
      const hi = Math.min(vma.end / PAGE_SIZE, vpn + around, vpn - i + PT_SIZE);
      mm.cowLo = lo;
      mm.cowHi = hi;
      for (let v = lo; v < hi; v++) {
        const j = v - vpn + i;
        const f = pte.frame[j]!;
        if (f && mm.isCow(vma, f - 1)) {
          mm.breakCow(pte, j, v);
          if (v !== vpn) mm.queueMap(v, 1, pte.frame[j]! - 1, vma.prot);
          if (v !== vpn) pte.bits[j]! |= PTE_HOST;
        }
      }
    } else if (err & PF_WRITE && !(vma.flags & MAP_SHARED)) {
      reuseAround(mm, pte, vpn);
    }
    pte.bits[i]! &= ~PTE_HOST;
  }
  // filemap_fault: a page of the file's that the file does not reach is SIGBUS, and map-ahead stops before it
  // (also around a page present already, which the host lost: the window must not bring in pages past the end)
  const eof = fileEndVpn(vma);
  if (vpn >= eof && !(pte && pte.frame[vpn % PT_SIZE])) return FAULT_SIGBUS;
  // map-ahead: sequential faults double the window, others reset it
  if (vpn === mm.faultNext) mm.faultWindow = Math.min(mm.faultWindow * 2, FAULT_AROUND_MAX);
  else mm.faultWindow = FAULT_AROUND_MIN;
  const win = mm.faultWindow;
  let lo: number, hi: number;
  if (vma.flags & MAP_GROWSDOWN) {
    lo = Math.max(vpn - win + 1, vma.start / PAGE_SIZE);
    hi = vpn + 1;
  } else {
    lo = vpn;
    hi = Math.min(vpn + win, vma.end / PAGE_SIZE, Math.max(eof, vpn + 1));
  }
  // a run of sequential faults (the window has grown) touches page after page: new anonymous pages come
  // prefaulted on the host
  mm.populate(vma, lo, hi, win > FAULT_AROUND_MIN);
  mm.faultNext = hi;
  if (err & PF_WRITE) markDirty(mm, vma, vpn);
  return 0;
}

/**
 * The first page of a copied (not direct) file VMA that its file does not
 * reach now (part of a page past the end reads as zeros; a page wholly
 * past it has nothing behind it); Infinity for anonymous memory, a direct
 * VMA (the host answers the guest's faults there itself; evenDirect: the
 * kernel's own copy of one of its pages) or a file with no size.
 */
export function fileEndVpn(vma: Vma, evenDirect = false): number {
  const size = vma.direct && !evenDirect ? undefined : vma.file?.size?.();
  if (size === undefined || size < 0) return Infinity;
  return vma.start / PAGE_SIZE + Math.ceil(size / PAGE_SIZE) - vma.pgoff / PAGE_SIZE;
}

/** A write fault on a private page: a hint for fork's copies ahead (PTE_DIRTY). */
function markDirty(mm: AddressSpace, vma: Vma, vpn: number): void {
  if (vma.flags & MAP_SHARED) return;
  const p = mm.ptPage(vpn, false), i = vpn % PT_SIZE;
  if (p && p.frame[i]) p.bits[i]! |= PTE_DIRTY;
}

/**
 * A write to a page that was copy-on-write and is this process's alone
 * again (the other side exited or exec'd: do_wp_page's reuse): the other
 * pages of private writable VMAs in its page-table page (2 MiB) that are
 * this process's alone and host-mapped go writable with it, in the same
 * flush. A fork's parent whose child has exec'd then takes one fault for
 * its data, bss and heap, not one per page (each costs a trap and a flush
 * here, against a minor fault natively).
 */
function reuseAround(mm: AddressSpace, pte: PtPage, vpn: number): void {
  const base = vpn - (vpn % PT_SIZE), refs = mm.physmem.refs;
  for (let k = mm.firstAfter(base * PAGE_SIZE); k < mm.vmas.length && mm.vmas[k]!.start < (base + PT_SIZE) * PAGE_SIZE; k++) {
    const v = mm.vmas[k]!;
    if (v.flags & MAP_SHARED || !(v.prot & PROT_WRITE)) continue;
    const lo = Math.max(v.start / PAGE_SIZE, base), hi = Math.min(v.end / PAGE_SIZE, base + PT_SIZE);
    for (let p = lo; p < hi; p++) {
      const j = p - base, f = pte.frame[j]!;
      // (runs of neighbours merge into one request in the queue)
      if (p !== vpn && f && pte.bits[j]! & PTE_HOST && refs[f - 1] === 1) mm.protectHost(p * PAGE_SIZE, (p + 1) * PAGE_SIZE, v.prot);
    }
  }
}

/**
 * Linux grows a MAP_GROWSDOWN VMA down to a fault just below it
 * (expand_downwards), keeping the guard gap from the mapping below, and
 * acct_stack_growth's limits: the VMA no larger than RLIMIT_STACK, the
 * address space within RLIMIT_AS.
 */
export function growStack(mm: AddressSpace, addr: number): boolean {
  const i = mm.firstAfter(addr);
  const next = mm.vmas[i];
  if (!next || !(next.flags & MAP_GROWSDOWN)) return false;
  const start = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
  // expand_downwards: never below mmap_min_addr (the host would refuse the stub; found in review)
  if (start < MMAP_MIN_ADDR) return false;
  const prev = i > 0 ? mm.vmas[i - 1]! : null;
  // the stack guard gap, kept from an accessible VMA that does not grow down itself (expand_downwards)
  if (prev && prev.end > start - STACK_GUARD_GAP && !(prev.flags & MAP_GROWSDOWN) && prev.prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) return false;
  if (next.end - start > mm.limits.limit(RLIMIT_STACK)[0]) return false;
  if (!mm.mayExpandVm(next.start - start, next.prot, next.flags, -1)) return false;
  next.start = start;
  return true;
}

/**
 * Make pages [lo, hi) of vma present and queue their host mapping. Missing
 * pages get fresh frames (contiguous when possible, so one host mmap covers
 * a run), filled from the file for file mappings.
 */
export function populate(mm: AddressSpace, vma: Vma, lo: number, hi: number, prefault = false): void {
  const hostProt = vma.prot;
  let vpn = lo;
  while (vpn < hi) {
    const p = mm.ptPage(vpn, true)!;
    const i = vpn % PT_SIZE;
    const f = p.frame[i]!;
    if (f) {
      // present: (re)map if the host lost it (read-only while copy-on-write);
      // runs of present pages merge in queue()
      if (!(p.bits[i]! & PTE_HOST)) {
        mm.queueMap(vpn, 1, f - 1, mm.isCow(vma, f - 1) ? hostProt & ~PROT_WRITE : hostProt);
        p.bits[i]! |= PTE_HOST;
      }
      vpn++;
      continue;
    }
    // a run of missing pages within mm pt page
    let n = 1;
    const lim = Math.min(hi - vpn, PT_SIZE - i);
    while (n < lim && p.frame[i + n] === 0) n++;
    const key = vma.file?.cacheKey;
    if (key) {
      // file pages come from the page cache, shared; misses are read once and cached
      const got = mm.populateCached(vma, key, p, i, vpn, n, hostProt);
      if (got === 0) return; // out of memory after the first page
      vpn += got;
      continue;
    }
    let frame: number;
    try {
      frame = mm.physmem.alloc(n);
    } catch (e) {
      if (e instanceof OutOfMemory && vpn > lo) return; // keep what we have; the faulting page is in
      throw e;
    }
    n = mm.physmem.allocCount;
    if (vma.file) {
      const off = vma.pgoff + (vpn * PAGE_SIZE - vma.start);
      vma.file.fillHost(off, mm.physmem.hostAddr(frame), n * PAGE_SIZE);
      mm.physmem.stats.fileReads++;
      mm.physmem.stats.fileReadPages += n;
    }
    for (let k = 0; k < n; k++) {
      p.frame[i + k] = frame + k + 1;
      p.bits[i + k] = PTE_HOST;
    }
    p.count += n;
    mm.rssPages += n;
    const pre = prefault && !vma.file;
    if (pre) mm.physmem.stats.prefaulted += n;
    mm.queueMap(vpn, n, frame, hostProt, pre);
    vpn += n;
  }
}

/**
 * Fill missing pages [vpn, vpn+n) of a file VMA from the page cache,
 * reading runs of misses from the file in one go. Returns pages done.
 */
export function populateCached(mm: AddressSpace, vma: Vma, key: string, p: PtPage, i: number, vpn: number, n: number, prot: number): number {
  const pm = mm.physmem, cache = pm.cache;
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
    mm.rssPages += m;
    // shared with the cache: a private writable page is copy-on-write
    mm.queueMap(vpn + k, m, f, mm.isCow(vma, f) ? prot & ~PROT_WRITE : prot);
    k += m;
  }
  return n;
}

/** Populate [start, end) now (exec's segments, executable file maps): one flush instead of a fault per region. */
export function prefault(mm: AddressSpace, start: number, end: number): void {
  for (let i = mm.firstAfter(start); i < mm.vmas.length && mm.vmas[i]!.start < end; i++) {
    const v = mm.vmas[i]!;
    if (v.prot === PROT_NONE || v.direct) continue; // direct: the host has it all already
    // (not past the end of a file: those pages stay absent, and SIGBUS when touched)
    const lo = Math.max(start, v.start) / PAGE_SIZE, hi = Math.min(end / PAGE_SIZE, v.end / PAGE_SIZE, fileEndVpn(v));
    if (lo < hi) mm.populate(v, lo, hi);
  }
}

/** A write to a page of a private direct VMA the guest has no copy of: its own frame, read from the file (do_cow_fault). */
export function copyDirectPage(mm: AddressSpace, vma: Vma, vpn: number): number {
  const pm = mm.physmem;
  const f = pm.alloc(1);
  vma.file!.fillHost(vma.pgoff + (vpn * PAGE_SIZE - vma.start), pm.hostAddr(f), PAGE_SIZE);
  pm.stats.fileReads++;
  pm.stats.fileReadPages++;
  const p = mm.ptPage(vpn, true)!, i = vpn % PT_SIZE;
  p.frame[i] = f + 1;
  p.bits[i] = PTE_HOST;
  p.count++;
  mm.rssPages++;
  mm.queueMap(vpn, 1, f, vma.prot);
  return f;
}

/**
 * The frame of the page cache holding the file page the guest sees at `page` of a direct VMA of a program's
 * image (the host maps the file itself there, so mm has no frame of its own), read from the file into a new one
 * on a miss; -1 for any other file (VmFile.image), one without a cache identity, or when memory is short: the
 * caller reads the page afresh. The cache keeps the only reference: the frame is valid until the next
 * allocation may evict it. For the kernel's own reads of guest memory: a path literal in a program's rodata
 * was a 4 KiB pread at every call that named it (busybox tar x: four per file).
 */
export function directPageFrame(mm: AddressSpace, vma: Vma, page: number): number {
  const file = vma.file!, key = file.cacheKey;
  if (!file.image || key === undefined) return -1;
  const pm = mm.physmem, cache = pm.cache, idx = (vma.pgoff + (page - vma.start)) / PAGE_SIZE;
  let f = cache.take(key, idx);
  if (f >= 0) {
    pm.put(f);
    return f;
  }
  try {
    f = pm.alloc(1);
  } catch (e) {
    if (e instanceof OutOfMemory) return -1;
    throw e;
  }
  // (a page the file does not fill whole: read as before, into scratch, zero past the end)
  if (file.fillHost(idx * PAGE_SIZE, pm.hostAddr(f), PAGE_SIZE) !== PAGE_SIZE) {
    pm.put(f);
    return -1;
  }
  pm.stats.fileReads++;
  pm.stats.fileReadPages++;
  cache.insert(key, idx, f);
  pm.put(f);
  return f;
}

/** A fault in a direct VMA: a copy-on-write, or a page the host lost (mapped again, file and all). */
export function directFault(mm: AddressSpace, vma: Vma, vpn: number, err: number): number {
  const p = mm.ptPage(vpn, false), i = vpn % PT_SIZE;
  const f = p ? p.frame[i]! : 0;
  if (f) {
    if (err & PF_WRITE && mm.isCow(vma, f - 1)) mm.breakCow(p!, i, vpn);
    const fr = p!.frame[i]! - 1;
    mm.queueMap(vpn, 1, fr, mm.isCow(vma, fr) ? vma.prot & ~PROT_WRITE : vma.prot);
    p!.bits[i]! |= PTE_HOST;
    return 0;
  }
  if (err & PF_WRITE && !(vma.flags & MAP_SHARED)) {
    mm.copyDirectPage(vma, vpn);
    return 0;
  }
  mm.remapDirect(vma);
  return 0;
}
