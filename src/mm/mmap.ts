/**
 * The mapping syscalls' work (mm/mmap.c, mm/mprotect.c, mm/mremap.c,
 * mm/madvise.c): mmap, munmap, mprotect, mremap, brk and MADV_DONTNEED on
 * the VMAs and the page table; the host follows through the TLB batch.
 *
 * Functions of the AddressSpace (address_space.ts), which calls them
 * through its methods; the state is its, guarded by the JS thread.
 */
import { touchesTable, unpatchAll } from './syscall_patch.js';
import { Errno, ErrnoError } from '../abi/errno.js';
import { PAGE_SIZE } from './physmem.js';
import { Vma, VmFile } from './vma.js';
import { GUEST_TASK_SIZE } from '../platform/stub_layout.js';


import { PROT_READ, PROT_WRITE, PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_TYPE, MAP_FIXED, MAP_GROWSDOWN, MAP_POPULATE, MAP_LOCKED, MAP_FIXED_NOREPLACE, MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP } from '../abi/mman.js';

import { RLIMIT_AS, RLIMIT_DATA } from '../abi/resource.js';
import { AddressSpace, MAX_MAP_COUNT, MMAP_MIN_ADDR, PREFAULT_MAX, UNSHARE_MAX, PT_SIZE, aligned, pageUp } from './address_space.js';

/**
 * do_mmap: map len bytes at addr (a hint unless MAP_FIXED*). Arguments are
 * already validated by the syscall layer except the address space checks.
 * Returns the address or throws ErrnoError.
 */
export function mmap(mm: AddressSpace, addr: number, len: number, prot: number, flags: number, file: VmFile | null, off: number, mayProt = PROT_READ | PROT_WRITE | PROT_EXEC): number {
  len = pageUp(len);
  if (len === 0 || len > GUEST_TASK_SIZE) throw new ErrnoError(Errno.ENOMEM);
  mm.checkMapCount();
  let start: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (!aligned(addr)) throw new ErrnoError(Errno.EINVAL);
    if (addr + len > GUEST_TASK_SIZE || addr < 0) throw new ErrnoError(Errno.ENOMEM);
    // mmap_min_addr (security_mmap_addr): the guest holds no CAP_SYS_RAWIO
    if (addr < MMAP_MIN_ADDR) throw new ErrnoError(Errno.EPERM);
    if (flags & MAP_FIXED_NOREPLACE && !(flags & MAP_FIXED) && mm.overlaps(addr, addr + len)) throw new ErrnoError(Errno.EEXIST);
    start = addr;
    if (mm.overlaps(start, start + len)) mm.removeRange(start, start + len);
  } else {
    start = mm.getUnmappedArea(Math.floor(addr / PAGE_SIZE) * PAGE_SIZE, len);
  }
  const vflags = (flags & MAP_TYPE) === MAP_SHARED || (flags & MAP_TYPE) === MAP_SHARED_VALIDATE ? MAP_SHARED : MAP_PRIVATE;
  // VM_LOCKED from MAP_LOCKED or the address space's default (mlockall MCL_FUTURE; the caller checked the limit)
  const locked = flags & MAP_LOCKED || mm.defLocked ? MAP_LOCKED : 0;
  mm.insertMapping(new Vma(start, start + len, prot & (PROT_READ | PROT_WRITE | PROT_EXEC), vflags | (flags & MAP_GROWSDOWN) | locked, file, off, '', mayProt));
  if (mm.find(start)?.direct) {
    // the host maps this file itself, and may refuse it for the file's own
    // reasons (a sysfs or procfs file has no mmap: ENODEV, EIO): Linux's
    // answer for that file, so the guest's mmap fails with it (the flush
    // the guest's resume would run, run now; the old range, if MAP_FIXED
    // replaced one, is gone as in Linux's failed mmap_region)
    const errno = mm.flushRefusedIn(start, start + len);
    if (errno) {
      mm.removeRange(start, start + len);
      throw new ErrnoError(errno);
    }
  }
  // (a locked mapping is populated: mm_populate)
  if (flags & MAP_POPULATE || locked) {
    mm.prefault(start, start + len);
  } else if (file?.cacheKey && (prot & PROT_EXEC || flags & MAP_FIXED) && vflags === MAP_PRIVATE) {
    // a library's segments: map them now (from the page cache) rather than fault region by region,
    // and its data, which relocation writes at once, copied now (up to UNSHARE_MAX)
    mm.prefault(start, start + Math.min(len, PREFAULT_MAX));
    if (prot & PROT_WRITE) mm.unshare(start, start + Math.min(len, UNSHARE_MAX));
  }
  return start;
}

/**
 * sysctl vm.max_map_count (65530): a process may hold so many VMAs and no
 * more; a call that could make more fails with ENOMEM (do_mmap,
 * __split_vma). It also bounds the references one process can hold on a
 * frame through separate mappings.
 */
export function checkMapCount(mm: AddressSpace): void {
  if (mm.vmas.length >= MAX_MAP_COUNT - 2) throw new ErrnoError(Errno.ENOMEM);
}

/** A VMA made by the kernel itself (ELF segments, stack, heap). */
export function mapFixed(mm: AddressSpace, start: number, end: number, prot: number, flags: number, file: VmFile | null, off: number, name: string): void {
  // (callers place mappings in the guest's range: one beyond it would reach the stub's)
  if (start < 0 || end > GUEST_TASK_SIZE || start >= end) throw new ErrnoError(Errno.EINVAL);
  if (mm.overlaps(start, end)) mm.removeRange(start, end);
  mm.insertMapping(new Vma(start, end, prot, flags, file, off, name));
}

/** munmap(2)'s work. */
export function munmap(mm: AddressSpace, addr: number, len: number): void {
  if (!aligned(addr) || len === 0 || addr < 0) throw new ErrnoError(Errno.EINVAL);
  len = pageUp(len);
  if (addr + len > GUEST_TASK_SIZE) throw new ErrnoError(Errno.EINVAL);
  // only a hole inside one VMA makes one more (do_vmi_munmap): unmapping whole VMAs or their ends is how a
  // process at the map count limit gets back under it
  const v = mm.vmas[mm.firstAfter(addr)];
  if (v && v.start < addr && addr + len < v.end) mm.checkMapCount();
  if (mm.overlaps(addr, addr + len)) mm.removeRange(addr, addr + len);
}

/** mprotect(2)'s work: prot already validated (PROT_GROWSDOWN/UP kept in it).
 * The host mappings of the range are dropped; faults re-map with the new
 * protection. As mm/mprotect.c: the VMAs before a hole or a VMA that may
 * not take prot (EACCES) change, then the call fails (ENOMEM, EACCES). */
export function mprotect(mm: AddressSpace, addr: number, len: number, prot: number, readImpliesExec = false): void {
  if (!aligned(addr)) throw new ErrnoError(Errno.EINVAL);
  len = pageUp(len);
  if (len === 0) return;
  if (mm.patches && touchesTable(mm.patches, addr, addr + len)) unpatchAll(mm, mm.patches);
  let end = addr + len;
  const first = mm.vmas[mm.firstAfter(addr)];
  if (prot & PROT_GROWSDOWN) {
    // the range reaches down to the start of the stack VMA it ends in
    if (!first || first.start >= end) throw new ErrnoError(Errno.ENOMEM);
    if (!(first.flags & MAP_GROWSDOWN)) throw new ErrnoError(Errno.EINVAL);
    addr = first.start;
  } else {
    if (!first || first.start > addr) throw new ErrnoError(Errno.ENOMEM);
    // no VM_GROWSUP VMA on x86-64
    if (prot & PROT_GROWSUP) throw new ErrnoError(Errno.EINVAL);
  }
  prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
  // how far the change goes: to a hole or a VMA that refuses prot
  let err = 0, upTo = addr;
  for (let i = mm.firstAfter(addr); upTo < end; i++) {
    const v = mm.vmas[i];
    if (!v || v.start > upTo) {
      err = Errno.ENOMEM;
      break;
    }
    if (prot & ~v.mayProt) {
      err = Errno.EACCES;
      break;
    }
    upTo = v.end;
  }
  end = Math.min(end, upTo);
  if (end > addr) {
    // READ_IMPLIES_EXEC adds PROT_EXEC to each VMA that may take it: a range at a time of VMAs alike in that
    if (!readImpliesExec) protectRange(mm, addr, end, prot);
    else {
      for (let at = addr; at < end;) {
        const v = mm.vmas[mm.firstAfter(at)]!, e = Math.min(end, v.end);
        protectRange(mm, at, e, v.mayProt & PROT_EXEC ? prot | PROT_EXEC : prot);
        at = e;
      }
    }
  }
  if (err) throw new ErrnoError(err);
}

function protectRange(mm: AddressSpace, addr: number, end: number, prot: number): void {
  // a VMA split only where its protection changes (mprotect_fixup leaves a VMA that keeps it whole), and only
  // a split can exceed the map count
  const changes = (v: Vma | undefined, at: number): boolean => !!v && v.start < at && at < v.end && v.prot !== prot;
  const lo = mm.vmas[mm.firstAfter(addr)], hi = mm.vmas[mm.firstAfter(end - 1)];
  const cutLo = changes(lo, addr), cutHi = changes(hi, end);
  if (cutLo || cutHi) mm.checkMapCount();
  if (cutLo) mm.splitAt(addr);
  if (cutHi) mm.splitAt(end);
  for (let i = mm.firstAfter(addr); i < mm.vmas.length && mm.vmas[i]!.start < end; i++) {
    mm.vmas[i]!.prot = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
    if (prot & PROT_WRITE) mm.vmas[i]!.wasWritable = true;
  }
  // merge where it changed (mprotect_fixup's vma_merge): a pass over every
  // VMA would make each call cost the whole map (quadratic with many VMAs)
  const from = Math.max(0, mm.firstAfter(addr) - 1);
  for (let i = Math.min(mm.firstAfter(end), mm.vmas.length - 1); i >= from; i--) if (i < mm.vmas.length) mm.mergeAround(i);
  // what the host has mapped keeps its pages at the new protection less
  // write (a write faults, and maps writable what is not copy-on-write), so
  // a RELRO or W^X flip costs no fault per page read; a direct VMA is
  // mapped from its file again
  for (let i = mm.firstAfter(addr); i < mm.vmas.length && mm.vmas[i]!.start < end; i++) {
    const v = mm.vmas[i]!, s = Math.max(addr, v.start), e = Math.min(end, v.end);
    if (v.direct) {
      mm.unmapHost(s, e);
      mm.remapDirect(v, s, e);
    } else {
      mm.protectHost(s, e, v.flags & MAP_SHARED ? v.prot : v.prot & ~PROT_WRITE);
    }
  }
}

/** Map the direct VMAs' parts in [start, end) again (after their host mappings were dropped or changed). */
export function remapDirectIn(mm: AddressSpace, start: number, end: number): void {
  for (let i = mm.firstAfter(start); i < mm.vmas.length && mm.vmas[i]!.start < end; i++) {
    const v = mm.vmas[i]!;
    if (v.direct) mm.remapDirect(v, Math.max(start, v.start), Math.min(end, v.end));
  }
}

/** madvise(2)'s work for MADV_DONTNEED: private pages drop to zero (anon) or the file's content. */
export function dontneed(mm: AddressSpace, addr: number, len: number): void {
  if (!aligned(addr)) throw new ErrnoError(Errno.EINVAL);
  len = pageUp(len);
  if (len === 0) return;
  if (!mm.covered(addr, addr + len)) throw new ErrnoError(Errno.ENOMEM);
  mm.dropPages(addr, addr + len);
  mm.remapDirectIn(addr, addr + len); // the file shows through where copies were
}

/** Is [addr, addr+len) fully mapped? (madvise's ENOMEM check) */
export function isMapped(mm: AddressSpace, addr: number, len: number): boolean {
  return mm.covered(addr, addr + pageUp(len));
}

/** mremap(2)'s work. Returns the new address. The checks in Linux's order
 * (check_mremap_params before the VMA is looked up). */
export function mremap(mm: AddressSpace, old: number, oldLen: number, newLen: number, flags: number, newAddr: number): number {
  if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) throw new ErrnoError(Errno.EINVAL);
  if (!aligned(old)) throw new ErrnoError(Errno.EINVAL);
  oldLen = pageUp(oldLen);
  newLen = pageUp(newLen);
  if (newLen === 0 || newLen > GUEST_TASK_SIZE) throw new ErrnoError(Errno.EINVAL);
  // a new address (FIXED's, or DONTUNMAP's hint): page-aligned, with a move allowed, the same size for
  // DONTUNMAP, inside the address space and clear of the source
  if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
    if (!aligned(newAddr) || !(flags & MREMAP_MAYMOVE)) throw new ErrnoError(Errno.EINVAL);
    if (flags & MREMAP_DONTUNMAP && oldLen !== newLen) throw new ErrnoError(Errno.EINVAL);
    if (newAddr > GUEST_TASK_SIZE - newLen) throw new ErrnoError(Errno.EINVAL);
    if (old + oldLen > newAddr && newAddr + newLen > old) throw new ErrnoError(Errno.EINVAL);
  }
  const vma = mm.find(old);
  if (!vma) throw new ErrnoError(Errno.EFAULT);
  if (oldLen === 0) {
    // a second mapping of a shared mapping's pages (the old one stays); private ones cannot be
    if (!(vma.flags & MAP_SHARED) || flags & MREMAP_DONTUNMAP) throw new ErrnoError(Errno.EINVAL);
    if (!(flags & MREMAP_MAYMOVE)) throw new ErrnoError(Errno.ENOMEM);
    let dest: number;
    if (flags & MREMAP_FIXED) {
      if (newAddr < MMAP_MIN_ADDR) throw new ErrnoError(Errno.EPERM);
      dest = newAddr;
    } else {
      dest = mm.getUnmappedArea(0, newLen);
    }
    mm.checkMapCount();
    // (mremap_to unmaps the destination first: a source at the destination itself is gone then, EFAULT)
    if (mm.overlaps(dest, dest + newLen)) mm.removeRange(dest, dest + newLen);
    const src = mm.find(old);
    if (!src) throw new ErrnoError(Errno.EFAULT);
    const copy = new Vma(dest, dest + newLen, src.prot, src.flags, src.file, src.file ? src.pgoff + (old - src.start) : 0, src.name, src.mayProt);
    copy.vmFlags = src.vmFlags;
    mm.insertMapping(copy);
    return dest;
  }
  // vma_to_resize: the vDSO's special mapping is VM_DONTEXPAND: it may move or shrink, not grow
  if (newLen > oldLen && vma.file?.mapName === '[vdso]') throw new ErrnoError(Errno.EFAULT);
  if (flags & MREMAP_FIXED) {
    // (as mmap: nothing below mmap_min_addr, which the host would refuse the stub: found by a fuzzer)
    if (newAddr < MMAP_MIN_ADDR) throw new ErrnoError(Errno.EPERM);
    const keepOld = !!(flags & MREMAP_DONTUNMAP);
    // the same size: every VMA of the range moves (Linux 6.17's remap_move), holes and all
    if (oldLen === newLen && old + oldLen > vma.end) return moveEach(mm, old, oldLen, newAddr, keepOld);
    if (oldLen > newLen && old + oldLen > GUEST_TASK_SIZE) {
      // mremap_to unmaps the destination, then the shrink's tail: past the top, EINVAL (do_vmi_munmap)
      if (mm.overlaps(newAddr, newAddr + newLen)) mm.removeRange(newAddr, newAddr + newLen);
      throw new ErrnoError(Errno.EINVAL);
    }
    // (mremap_to unmaps the tail a shrink drops before it asks that the rest lie in one VMA)
    if (old + Math.min(oldLen, newLen) > vma.end) throw new ErrnoError(Errno.EFAULT);
    return mm.moveRange(vma, old, oldLen, newLen, newAddr, keepOld);
  }
  if (flags & MREMAP_DONTUNMAP) {
    // always a move (to the hint, if it is free), the old range left mapped and empty
    if (old + oldLen > vma.end) throw new ErrnoError(Errno.EFAULT);
    return mm.moveRange(vma, old, oldLen, newLen, mm.getUnmappedArea(newAddr, newLen), true);
  }
  if (newLen <= oldLen) {
    // a shrink only unmaps the tail, whatever VMAs and holes it spans (Linux asks only for a VMA at old);
    // a tail past the top is EINVAL (do_vmi_munmap)
    if (newLen < oldLen) {
      if (old + oldLen > GUEST_TASK_SIZE) throw new ErrnoError(Errno.EINVAL);
      mm.removeRange(old + newLen, old + oldLen);
    }
    return old;
  }
  if (old + oldLen > vma.end) throw new ErrnoError(Errno.EFAULT);
  // grow in place if the VMA ends here and the space after is free
  if (old + oldLen === vma.end && !mm.overlaps(vma.end, old + newLen) && old + newLen <= GUEST_TASK_SIZE) {
    const oldEnd = vma.end;
    vma.end = old + newLen;
    if (vma.direct) mm.remapDirect(vma, oldEnd, vma.end);
    mm.mergeAround(mm.vmas.indexOf(vma));
    return old;
  }
  if (!(flags & MREMAP_MAYMOVE)) throw new ErrnoError(Errno.ENOMEM);
  const dest = mm.getUnmappedArea(0, newLen);
  return mm.moveRange(vma, old, oldLen, newLen, dest, false);
}

/** A same-size MREMAP_FIXED move of a range over several VMAs (remap_move): each VMA's part moves to the same
 * offset from dest; the destination under the source's holes keeps what it had. Returns dest. */
function moveEach(mm: AddressSpace, old: number, len: number, dest: number, keepOld: boolean): number {
  const parts: [number, number][] = [];
  for (let i = mm.firstAfter(old); i < mm.vmas.length && mm.vmas[i]!.start < old + len; i++) {
    const v = mm.vmas[i]!;
    parts.push([Math.max(v.start, old), Math.min(v.end, old + len)]);
  }
  mm.checkMapCount();
  for (const [s, e] of parts) mm.moveRange(mm.find(s)!, s, e - s, e - s, dest + (s - old), keepOld);
  return dest;
}

/** Move [old, old+oldLen) of vma to dest with size newLen: frames move, data is not copied. */
export function moveRange(mm: AddressSpace, vma: Vma, old: number, oldLen: number, newLen: number, dest: number, keepOld: boolean): number {
  if (mm.overlaps(dest, dest + newLen)) mm.removeRange(dest, dest + newLen);
  const moved = new Vma(dest, dest + newLen, vma.prot, vma.flags, vma.file, vma.file ? vma.pgoff + (old - vma.start) : 0, vma.name, vma.mayProt);
  moved.direct = vma.direct;
  moved.wasWritable = vma.wasWritable;
  moved.vmFlags = vma.vmFlags;
  const n = Math.min(oldLen, newLen) / PAGE_SIZE;
  const ov = old / PAGE_SIZE, nv = dest / PAGE_SIZE;
  // the tail that does not move goes first, while the page table still
  // says which of its frames the host maps (those wait for the flush)
  if (!keepOld && oldLen > newLen) mm.removeRange(old + newLen, old + oldLen);
  mm.unmapHost(old, old + n * PAGE_SIZE);
  // the present pages only, a page-table page at a time (a huge reservation has few)
  mm.eachPtPage(ov, ov + n, (src, base, lo, hi) => {
    for (let si = lo; si < hi; si++) {
      const f = src.frame[si]!;
      if (!f) continue;
      src.frame[si] = 0;
      src.bits[si] = 0;
      src.count--;
      const to = nv + base + si - ov;
      const dst = mm.ptPage(to, true)!;
      dst.frame[to % PT_SIZE] = f;
      dst.bits[to % PT_SIZE] = 0;
      dst.count++;
    }
    if (src.count === 0) mm.pt.delete(base / PT_SIZE);
  });
  if (keepOld) {
    // the old range stays mapped, empty (anonymous pages read as zero
    // again; a direct file mapping shows the file where copies were)
    mm.remapDirectIn(old, old + oldLen);
  } else if (mm.overlaps(old, old + n * PAGE_SIZE)) {
    mm.removeRange(old, old + n * PAGE_SIZE);
  }
  mm.insert(moved);
  if (moved.direct) mm.remapDirect(mm.find(dest)!, dest, dest + newLen);
  return dest;
}

/**
 * may_expand_vm (mm/mmap.c): `len` more bytes of a mapping with this prot
 * and flags (at `fixedAt`, where it replaces what is there; -1: new space)
 * keep mm's process within RLIMIT_AS (every mapping) and RLIMIT_DATA
 * (private writable mappings that are not a stack: is_data_mapping; a soft
 * limit of 0 with room under the hard one passes, the Valgrind workaround).
 * Walks the VMAs, only while one of the limits is set.
 */
export function mayExpandVm(mm: AddressSpace, len: number, prot: number, flags: number, fixedAt: number): boolean {
  const as = mm.limits.limit(RLIMIT_AS)[0], [data, dataMax] = mm.limits.limit(RLIMIT_DATA);
  if (as === Infinity && data === Infinity) return true;
  const isData = (p: number, f: number): boolean => (p & PROT_WRITE) !== 0 && !(f & (MAP_SHARED | MAP_GROWSDOWN));
  let all = len, dataVm = isData(prot, flags) ? len : 0;
  for (const v of mm.vmas) {
    // (the part a MAP_FIXED mapping replaces goes)
    const cut = fixedAt < 0 ? 0 : Math.max(0, Math.min(v.end, fixedAt + len) - Math.max(v.start, fixedAt));
    all += v.end - v.start - cut;
    if (isData(v.prot, v.flags)) dataVm += v.end - v.start - cut;
  }
  if (all / PAGE_SIZE > Math.floor(as / PAGE_SIZE)) return false;
  if (isData(prot, flags) && dataVm / PAGE_SIZE > Math.floor(data / PAGE_SIZE)) {
    return data === 0 && dataVm / PAGE_SIZE <= Math.floor(dataMax / PAGE_SIZE);
  }
  return true;
}

/** brk(2)'s work: returns the new (or unchanged) break. */
export function setBrk(mm: AddressSpace, want: number): number {
  if (want < mm.brkStart) return mm.brk;
  const oldTop = pageUp(mm.brk), newTop = pageUp(want);
  if (newTop > oldTop) {
    // a page of gap below the next mapping, the stack guard gap below a stack (mm/mmap.c: brk)
    const next = mm.vmas[mm.firstAfter(oldTop)];
    if (next && newTop + PAGE_SIZE + (next.flags & MAP_GROWSDOWN ? 256 * PAGE_SIZE : 0) > next.start) return mm.brk;
    if (newTop > mm.mmapBase) return mm.brk;
    // overcommit heuristic: growth larger than all of RAM is refused
    if (newTop - oldTop > mm.physmem.limit * PAGE_SIZE) return mm.brk;
    mm.insert(new Vma(oldTop, newTop, PROT_READ | PROT_WRITE, MAP_PRIVATE | (mm.defLocked ? MAP_LOCKED : 0), null, 0, '[heap]'));
    // malloc writes the new space at once: map its first pages now
    mm.prefault(oldTop, Math.min(newTop, oldTop + 32 * PAGE_SIZE));
  } else if (newTop < oldTop) {
    mm.removeRange(newTop, oldTop);
  }
  mm.brk = want;
  return want;
}
