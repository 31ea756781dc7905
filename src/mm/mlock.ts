/**
 * mlock(2)'s work (mm/mlock.c): VM_LOCKED on VMAs (kept in Vma.flags as
 * MAP_LOCKED), the address space's default for new mappings (mlockall's
 * MCL_FUTURE: mm->def_flags), and the locked size RLIMIT_MEMLOCK is
 * measured against. Guest memory is never swapped, so a lock changes no
 * page's fate here: it is kept for the accounting (RLIMIT_MEMLOCK, VmLck,
 * msync's EBUSY) and populates the range as Linux does.
 *
 * Functions of the AddressSpace (address_space.ts), which calls them
 * through its methods; the state is its, guarded by the JS thread.
 */
import { Errno } from '../abi/errno.js';
import { MAP_LOCKED } from '../abi/mman.js';
import { OutOfMemory } from './physmem.js';
import type { AddressSpace } from './address_space.js';

/** The bytes of locked VMAs in [start, end) (count_mm_mlocked_page_nr; the whole address space by default). */
export function lockedBytes(mm: AddressSpace, start = 0, end = Infinity): number {
  let n = 0;
  for (let i = mm.firstAfter(start); i < mm.vmas.length && mm.vmas[i]!.start < end; i++) {
    const v = mm.vmas[i]!;
    if (v.flags & MAP_LOCKED) n += Math.min(end, v.end) - Math.max(start, v.start);
  }
  return n;
}

/**
 * apply_vma_lock_flags: lock (or unlock) the VMAs of the page-aligned
 * [start, end), splitting at its edges; a hole stops it there with ENOMEM
 * (the VMAs before it keep the change, as on Linux). Then a lock populates
 * the range unless `onFault` (__mm_populate; memory running out there is
 * EAGAIN). 0 or -errno.
 */
export function setLocked(mm: AddressSpace, start: number, end: number, lock: boolean, onFault: boolean): number {
  if (end === start) return 0;
  // where the VMAs from start stop being contiguous (start itself: none there)
  let stop = start;
  for (let i = mm.firstAfter(start); i < mm.vmas.length && stop < end && mm.vmas[i]!.start <= stop; i++) stop = mm.vmas[i]!.end;
  changeRange(mm, start, Math.min(stop, end), lock);
  if (stop < end) return -Errno.ENOMEM;
  return lock && !onFault ? populate(mm, start, end) : 0;
}

/** The lock bit of every VMA in [start, end) set or cleared: split where it changes, merged where it ends. */
function changeRange(mm: AddressSpace, start: number, end: number, lock: boolean): void {
  mm.changeVmas(start, end, (v) => {
    v.flags = lock ? v.flags | MAP_LOCKED : v.flags & ~MAP_LOCKED;
  });
}

/** __mm_populate of [start, end): its pages present. 0, or -EAGAIN when memory ran out. */
function populate(mm: AddressSpace, start: number, end: number): number {
  try {
    mm.prefault(start, end);
  } catch (e) {
    if (e instanceof OutOfMemory) return -Errno.EAGAIN;
    throw e;
  }
  return 0;
}

/**
 * apply_mlockall_flags: `future` becomes the default for new mappings; with
 * `current` every VMA is locked (populated unless onFault), and without it
 * (but not future alone: that leaves them) every VMA is unlocked. 0 or
 * -errno (populating).
 */
export function setLockedAll(mm: AddressSpace, current: boolean, future: boolean, onFault: boolean): number {
  mm.defLocked = future;
  if (future && !current) return 0;
  const n = mm.vmas.length;
  if (n === 0) return 0;
  changeRange(mm, mm.vmas[0]!.start, mm.vmas[n - 1]!.end, current);
  return current && !onFault ? populate(mm, 0, mm.vmas[mm.vmas.length - 1]!.end) : 0;
}
