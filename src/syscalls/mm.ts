/**
 * Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync,
 * mlock family. Arguments are checked here (mm/mmap.c's ksys_mmap_pgoff
 * checks, with their errno values); the work is AddressSpace's.
 */
import { Errno } from '../abi/errno.js';
import { O_PATH } from '../abi/fcntl.js';
import type { Task } from '../kernel/task.js';
import { File, MappedFile } from '../fs/file.js';
import type { Mappable } from '../fs/types.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4, A5 } from './types.js';
import {
  VmFile, PROT_READ, PROT_WRITE, PROT_EXEC, PROT_SEM, PROT_GROWSDOWN, PROT_GROWSUP, MAP_SHARED, MAP_PRIVATE,
  MAP_SHARED_VALIDATE, MAP_TYPE, MAP_FIXED, MAP_ANONYMOUS, MAP_32BIT, MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE,
  MAP_LOCKED, MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB, MAP_SYNC, MAP_FIXED_NOREPLACE,
  MAP_UNINITIALIZED,
} from '../mm/address_space.js';
import { GUEST_TASK_SIZE } from '../platform/stub_layout.js';
import {
  MS_ASYNC, MS_INVALIDATE, MS_SYNC, MREMAP_DONTUNMAP, MADV_NORMAL, MADV_DONTNEED, MADV_FREE, MADV_REMOVE,
  MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT, MADV_WILLNEED,
  MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_DONTNEED_LOCKED, MADV_COLLAPSE,
} from '../abi/mman.js';
import { READ_IMPLIES_EXEC } from '../abi/personality.js';
import { copyOut, readIovecs, UIO_MAXIOV } from './uaccess.js';
import { processOf } from './pidfd.js';
import { capable, ptraceMayAccess, PTRACE_MODE_READ_FSCREDS } from '../kernel/creds.js';
import { CAP_SYS_NICE, CAP_IPC_LOCK } from '../abi/capability.js';
import { RLIMIT_MEMLOCK } from '../abi/resource.js';
import { getLimit } from './process.js';
import { vfsFallocate } from './open.js';
import { type Vma, VM_DONTCOPY, VM_WIPEONFORK } from '../mm/vma.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../abi/falloc.js';
import { OutOfMemory } from '../mm/physmem.js';
import { touchesTable, unpatchAll } from '../mm/syscall_patch.js';

const PAGE = 4096;
const PROT_ALL = PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP;
/** flags MAP_SHARED_VALIDATE accepts (LEGACY_MAP_MASK + the validated ones) */
const MAP_KNOWN = MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_32BIT | MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE |
  MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_FIXED_NOREPLACE | MAP_UNINITIALIZED;

/** mmap's view of an open file: also counts itself as a writer of a shared mapping that may be written. */
class FileMapping extends MappedFile implements VmFile {
  /** the page cache's key: pages shared with every other mapping of the
   * unchanged file. Not for a shared mapping that may be written: its writes
   * would land in frames other processes' private mappings still share. */
  readonly cacheKey: string | undefined;
  constructor(f: File, m: Mappable, private readonly writableShared: boolean) {
    super(f, m);
    this.cacheKey = writableShared ? undefined : m.cacheKey;
  }
  override get(): void {
    super.get();
    if (this.writableShared) this.m.writers?.(1);
  }
  override put(): void {
    if (this.writableShared) this.m.writers?.(-1);
    super.put();
  }
}

/** Do two VMAs map the same open file (vm_file ==)? */
function sameFile(a: VmFile | null, b: VmFile | null): boolean {
  return a === b || (a instanceof FileMapping && b instanceof FileMapping && a.openFile === b.openFile);
}

/** mmap(2) */
export function sys_mmap(t: Task, r: Regs): number {
  const addr = r.get(A0), len = r.get(A1), flags = r.getU32(A3), fd = r.getI32(A4), off = r.get(A5);
  let prot = r.getU32(A2);
  if (off % PAGE !== 0) return -Errno.EINVAL;
  if (len === 0) return -Errno.EINVAL;
  if (prot & ~PROT_ALL) return -Errno.EINVAL;
  const type = flags & MAP_TYPE;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) return -Errno.EINVAL;
  if (type === MAP_SHARED_VALIDATE && !(flags & MAP_ANONYMOUS) && flags & ~(MAP_KNOWN | MAP_SYNC)) return -Errno.EOPNOTSUPP;
  if (flags & MAP_SYNC && type !== MAP_SHARED_VALIDATE) {
    // MAP_SYNC is ignored without MAP_SHARED_VALIDATE (LEGACY_MAP_MASK)
  }
  // anonymous mappings know only MAP_SHARED and MAP_PRIVATE (do_mmap)
  if (flags & MAP_ANONYMOUS && type === MAP_SHARED_VALIDATE) return -Errno.EINVAL;
  // only private anonymous memory grows down (do_mmap: a shared or file mapping with VM_GROWSDOWN is EINVAL)
  if (flags & MAP_ANONYMOUS && type !== MAP_PRIVATE && flags & MAP_GROWSDOWN) return -Errno.EINVAL;
  if (flags & MAP_HUGETLB) return -Errno.ENOMEM; // no huge pages reserved
  // overcommit heuristic (OVERCOMMIT_GUESS): one private writable request
  // larger than all of RAM is refused up front
  if (type === MAP_PRIVATE && prot & PROT_WRITE && !(flags & MAP_NORESERVE) && len > t.kernel.physmem.limit * PAGE) return -Errno.ENOMEM;
  if (len > GUEST_TASK_SIZE) return -Errno.ENOMEM;
  let vmf: FileMapping | null = null, lockedFile = false;
  let mayProt = PROT_READ | PROT_WRITE | PROT_EXEC;
  // personality READ_IMPLIES_EXEC: readable is executable too, but in a file of a noexec mount (below)
  const rie = prot & PROT_READ && t.personality & READ_IMPLIES_EXEC;
  if (rie && flags & MAP_ANONYMOUS) prot |= PROT_EXEC;
  if (!(flags & MAP_ANONYMOUS)) {
    const f = t.files.get(fd);
    if (!f || f.flags & O_PATH) return -Errno.EBADF; // fget refuses O_PATH files
    const shared = type === MAP_SHARED || type === MAP_SHARED_VALIDATE;
    if (!f.readable) return -Errno.EACCES;
    if (shared && prot & PROT_WRITE && !f.writable) return -Errno.EACCES;
    // do_mmap: path_noexec refuses PROT_EXEC before the file is asked whether it maps at all
    const noexec = t.kernel.vfs.noExec(f);
    if (rie && !noexec) prot |= PROT_EXEC;
    if (noexec && prot & PROT_EXEC) return -Errno.EPERM;
    const m = f.mappable(shared);
    if (!m) return f.mmapErrno;
    if (rie && m.noExec) prot &= ~PROT_EXEC;
    lockedFile = m.locked === true;
    if (flags & MAP_GROWSDOWN) return -Errno.EINVAL;
    if (m.noExec) {
      if (prot & PROT_EXEC) return -Errno.EPERM;
      mayProt &= ~PROT_EXEC;
    }
    if (off + len > 2 ** 53) return -Errno.EOVERFLOW;
    // a shared mapping of a read-only description, or of a write-sealed memfd, may never become writable
    let mayWrite = !shared || f.writable;
    if (shared && m.writeSealed) {
      if (prot & PROT_WRITE) return -Errno.EPERM;
      mayWrite = false;
    }
    vmf = new FileMapping(f, m, shared && mayWrite);
    if (!mayWrite) mayProt &= ~PROT_WRITE;
    if (noexec) mayProt &= ~PROT_EXEC; // VM_MAYEXEC is cleared: mprotect cannot add it later
  }
  // do_mmap: a locked mapping needs can_do_mlock, and room under RLIMIT_MEMLOCK (MAP_LOCKED, or mlockall's MCL_FUTURE)
  if (flags & MAP_LOCKED && !canDoMlock(t)) return -Errno.EPERM;
  if ((flags & MAP_LOCKED || t.mm.defLocked || lockedFile) && !mlockFutureOk(t, Math.ceil(len / PAGE) * PAGE)) return -Errno.EAGAIN;
  const eff = (flags & MAP_FIXED_NOREPLACE ? flags & ~MAP_FIXED : flags) | (lockedFile ? MAP_LOCKED : 0);
  // mmap_region's may_expand_vm: what a MAP_FIXED mapping replaces does not count twice
  if (!t.mm.mayExpandVm(Math.ceil(len / PAGE) * PAGE, prot, type === MAP_PRIVATE ? flags : MAP_SHARED, eff & MAP_FIXED ? addr : -1)) return -Errno.ENOMEM;
  // shared anonymous memory, and a shared mapping of /dev/zero (mmap_zero), are a shmem file's pages
  if (type !== MAP_PRIVATE && (flags & MAP_ANONYMOUS || t.files.get(fd)!.sharedMapsAnon)) {
    return mapSharedAnon(t, addr, len, prot, eff & ~MAP_ANONYMOUS, mayProt, '/dev/zero (deleted)');
  }
  return t.mm.mmap(addr, len, prot, eff, vmf, vmf ? off : 0, mayProt);
}

/**
 * Shared anonymous memory mapped in t's process: a fresh shmem file's pages (shared anonymous mmap, a
 * shared mapping of /dev/zero, an AIO context's ring), named `mapName` in /proc/PID/maps. Its address, or
 * ErrnoError as mmap's.
 */
export function mapSharedAnon(t: Task, addr: number, len: number, prot: number, flags: number, mayProt: number, mapName: string): number {
  const z = t.kernel.vfs.sharedAnon(t, Math.ceil(len / PAGE) * PAGE, mapName);
  try {
    return t.mm.mmap(addr, len, prot, flags, new FileMapping(z, z.mappable(true)!, true), 0, mayProt);
  } finally {
    z.put();
  }
}

/**
 * remap_file_pages(2), deprecated and emulated as Linux has done since 3.16:
 * the range of a shared file mapping (VM_SHARED: opened for writing) maps
 * the file from page pgoff on, by a new MAP_SHARED|MAP_FIXED mapping of the
 * same file with the same protection. The range may span several VMAs of
 * that mapping with no hole. prot must be 0; anything else is EINVAL.
 */
export function sys_remap_file_pages(t: Task, r: Regs): number {
  const prot = r.get(A2), pgoff = r.get(A3);
  let start = r.get(A0), size = r.get(A1);
  if (prot !== 0) return -Errno.EINVAL;
  start -= start % PAGE;
  size -= size % PAGE;
  if (size === 0 || start + size >= 2 ** 64) return -Errno.EINVAL;
  if (pgoff + size / PAGE >= 2 ** 64) return -Errno.EINVAL;
  const mm = t.mm;
  const vma = mm.find(start);
  if (!vma || !(vma.flags & MAP_SHARED) || !(vma.mayProt & PROT_WRITE) || !vma.file) return -Errno.EINVAL;
  // the VMAs after it up to the end: no hole, the same file and flags (vm_flags ==)
  let prev = vma;
  for (let i = mm.firstAfter(start) + 1; start + size > prev.end; i++) {
    const next = mm.vmas[i];
    if (!next || next.start !== prev.end || !sameFile(next.file, vma.file) || next.flags !== vma.flags ||
      next.prot !== vma.prot || next.mayProt !== vma.mayProt) return -Errno.EINVAL;
    prev = next;
  }
  if (pgoff * PAGE + size > 2 ** 53) return -Errno.EINVAL;
  // (the file held across the call, as its get_file: the old VMAs' references go before the new one's is taken)
  const file = vma.file;
  file.get?.();
  try {
    mm.mmap(start, size, vma.prot, MAP_SHARED | MAP_FIXED, file, pgoff * PAGE, vma.mayProt);
  } finally {
    file.put?.();
  }
  return 0;
}

/** munmap(2) */
export function sys_munmap(t: Task, r: Regs): number {
  t.mm.munmap(r.get(A0), r.get(A1));
  return 0;
}

/** pkey_mprotect(2): with no protection keys, only pkey -1 (mprotect) is valid. */
export function sys_pkey_mprotect(t: Task, r: Regs): number {
  if (r.getI32(A3) !== -1) return -Errno.EINVAL;
  return sys_mprotect(t, r);
}

/** mprotect(2) */
export function sys_mprotect(t: Task, r: Regs): number {
  const addr = r.get(A0), len = r.get(A1), prot = r.getU32(A2);
  // do_mprotect_pkey's order: a bad prot with len 0 is no error
  if ((prot & PROT_GROWSDOWN && prot & PROT_GROWSUP) || addr % PAGE !== 0) return -Errno.EINVAL;
  if (len === 0) return 0;
  // only an end past 2^64 fails before the prot is checked; one past the top is a hole like any other
  if (addr + len >= 2 ** 64) return -Errno.ENOMEM;
  if (prot & ~PROT_ALL) return -Errno.EINVAL;
  t.mm.mprotect(addr, len, prot & ~PROT_SEM, !!(prot & PROT_READ && t.personality & READ_IMPLIES_EXEC));
  return 0;
}

/** mremap(2) */
export function sys_mremap(t: Task, r: Regs): number {
  const old = r.get(A0), oldLen = Math.ceil(r.get(A1) / PAGE) * PAGE, newLen = Math.ceil(r.get(A2) / PAGE) * PAGE, flags = r.getU32(A3);
  // vma_to_resize's may_expand_vm: the growth, or all of it for MREMAP_DONTUNMAP (the old range stays)
  const v = t.mm.find(old), grow = flags & MREMAP_DONTUNMAP ? newLen : newLen - oldLen;
  if (v && grow > 0 && !t.mm.mayExpandVm(grow, v.prot, v.flags, -1)) return -Errno.ENOMEM;
  // (a locked mapping grows within RLIMIT_MEMLOCK)
  if (v && grow > 0 && v.flags & MAP_LOCKED && !mlockFutureOk(t, grow)) return -Errno.EAGAIN;
  return t.mm.mremap(old, r.get(A1), r.get(A2), flags, r.get(A4));
}

/** brk(2): returns the new break, or the old one when it cannot move (do_brk_flags' may_expand_vm too). */
export function sys_brk(t: Task, r: Regs): number {
  const want = r.get(A0), mm = t.mm, grow = Math.ceil(want / PAGE) * PAGE - Math.ceil(mm.brk / PAGE) * PAGE;
  if (want >= mm.brkStart && grow > 0 && !t.mm.mayExpandVm(grow, PROT_READ | PROT_WRITE, MAP_PRIVATE, -1)) return mm.brk;
  if (want >= mm.brkStart && grow > 0 && mm.defLocked && !mlockFutureOk(t, grow)) return mm.brk;
  return mm.setBrk(want);
}

/** madvise(2): hints we may ignore, the fork flags, pages dropped or a hole punched, pages populated. */
export function sys_madvise(t: Task, r: Regs): number {
  return madvise(t, t.mm, r.get(A0), r.get(A1), r.getI32(A2));
}

/** madvise_behavior_valid: the advice this kernel knows (no CONFIG_MEMORY_FAILURE: not HWPOISON nor
 * SOFT_OFFLINE; the guard regions of Linux 6.13 are not offered either) */
function adviceValid(advice: number): boolean {
  return advice >= MADV_NORMAL && advice <= MADV_COLLAPSE && !(advice >= 5 && advice <= 7);
}

/** do_madvise on mm, for t: 0 or -errno. */
function madvise(t: Task, mm: Task['mm'], addr: number, len: number, advice: number): number {
  // madvise_behavior_valid, then the alignment
  if (!adviceValid(advice)) return -Errno.EINVAL;
  if (addr % PAGE !== 0) return -Errno.EINVAL;
  if (len === 0) return 0;
  const end = addr + Math.ceil(len / PAGE) * PAGE;
  if (end >= 2 ** 64) return -Errno.EINVAL; // PAGE_ALIGN wrapped, or past the end of the address space
  if (advice === MADV_POPULATE_READ || advice === MADV_POPULATE_WRITE) return madvisePopulate(mm, addr, end, advice === MADV_POPULATE_WRITE);
  // madvise_walk_vmas: the advice acts on each VMA's part of the range in turn, the first error ending it (the
  // parts before keep theirs); a hole in the range (or nothing mapped from addr on) makes the answer ENOMEM,
  // after the mapped parts were advised
  let at = addr, hole = false;
  while (at < end) {
    const v = mm.vmas[mm.firstAfter(at)];
    if (v === undefined || v.start >= end) {
      hole = true;
      break;
    }
    if (v.start > at) {
      hole = true;
      at = v.start;
    }
    const stop = Math.min(end, v.end);
    const e = madviseVma(t, mm, v, at, stop, advice);
    if (e < 0) return e;
    at = stop;
  }
  return hole ? -Errno.ENOMEM : 0;
}

/** madvise_vma_behavior: advice on [start, end) of v (the range lies within it); 0 or -errno. */
function madviseVma(t: Task, mm: Task['mm'], v: Vma, start: number, end: number, advice: number): number {
  // (vma_is_anonymous: a private mapping of no file; a shared anonymous one is shmem's)
  const anonymous = v.file === null && !(v.flags & MAP_SHARED);
  // the syscall-patch table lies in guest memory: advice that empties it here, or in a fork's child, first puts
  // the patched sites back (as munmap and mprotect of it do)
  const empties = advice === MADV_DONTNEED || advice === MADV_FREE || advice === MADV_DONTNEED_LOCKED ||
    advice === MADV_WIPEONFORK || advice === MADV_DONTFORK;
  if (empties && mm.patches && touchesTable(mm.patches, start, end)) unpatchAll(mm, mm.patches);
  switch (advice) {
    case MADV_DONTNEED:
    case MADV_FREE:
    case MADV_DONTNEED_LOCKED:
      // madvise_dontneed_free_valid_vma: not a locked VMA (but for DONTNEED_LOCKED); madvise_free_single_vma:
      // anonymous memory only
      if (advice !== MADV_DONTNEED_LOCKED && v.flags & MAP_LOCKED) return -Errno.EINVAL;
      if (advice === MADV_FREE && !anonymous) return -Errno.EINVAL;
      mm.dontneed(start, end - start);
      return 0;
    case MADV_REMOVE:
      return madviseRemove(t, v, start, end);
    case MADV_DONTFORK:
    case MADV_DOFORK:
      mm.changeVmas(start, end, (w) => {
        w.vmFlags = advice === MADV_DONTFORK ? w.vmFlags | VM_DONTCOPY : w.vmFlags & ~VM_DONTCOPY;
      });
      return 0;
    case MADV_WIPEONFORK:
    case MADV_KEEPONFORK:
      // only anonymous memory is wiped (a file's or a shared mapping's pages are not the child's own)
      if (advice === MADV_WIPEONFORK && (v.file !== null || v.flags & MAP_SHARED)) return -Errno.EINVAL;
      mm.changeVmas(start, end, (w) => {
        w.vmFlags = advice === MADV_WIPEONFORK ? w.vmFlags | VM_WIPEONFORK : w.vmFlags & ~VM_WIPEONFORK;
      });
      return 0;
    case MADV_COLLAPSE: {
      // madvise_collapse: a VMA that cannot hold an aligned huge page (2 MiB) of anonymous memory is EINVAL;
      // one that can is left as it is (no huge pages here)
      const huge = 2 << 20, lo = Math.ceil(v.start / huge) * huge;
      return anonymous && lo + huge <= v.end ? 0 : -Errno.EINVAL;
    }
    default:
      // NORMAL, RANDOM, SEQUENTIAL, WILLNEED, MERGEABLE, UNMERGEABLE, HUGEPAGE, NOHUGEPAGE, DONTDUMP, DODUMP,
      // COLD, PAGEOUT: hints
      return 0;
  }
}

/**
 * madvise_populate (MADV_POPULATE_READ/WRITE): the pages of [start, end)
 * faulted in as a read or a write would (faultin_page_range): a VMA that
 * does not allow the access is EINVAL, a page of a file mapping wholly
 * past the file's end (SIGBUS) EFAULT, an address no VMA covers or memory
 * running out ENOMEM, after the pages before it were populated.
 */
function madvisePopulate(mm: Task['mm'], start: number, end: number, write: boolean): number {
  let at = start;
  while (at < end) {
    const v = mm.vmas[mm.firstAfter(at)];
    if (v === undefined || v.start > at) return -Errno.ENOMEM;
    if (!(v.prot & (write ? PROT_WRITE : PROT_READ))) return -Errno.EINVAL;
    let stop = Math.min(end, v.end);
    // (a file's end: the first page wholly past it; a size the host would not tell: none)
    const size = v.file?.size?.();
    const fileEnd = size === undefined || size < 0 ? Infinity : v.start + Math.ceil(size / PAGE) * PAGE - v.pgoff;
    const past = fileEnd < stop;
    if (past) stop = Math.max(at, fileEnd);
    try {
      // a write to a private page takes its own copy (breaks copy-on-write), as the write fault would
      if (write && !(v.flags & MAP_SHARED)) for (let a = at; a < stop; a += PAGE) mm.userFrame(a, true);
      else mm.prefault(at, stop);
    } catch (e) {
      if (e instanceof OutOfMemory) return -Errno.ENOMEM;
      throw e;
    }
    if (past) return -Errno.EFAULT;
    at = stop;
  }
  return 0;
}

/**
 * madvise_remove: a hole punched (vfs_fallocate) in the file behind [start,
 * end) of v, a shared mapping that may be written (VM_SHARED with
 * VM_MAYWRITE: the file is open for writing); every mapping of the file
 * shows it, this one's pages too (the file's mappers). 0 or -errno.
 */
function madviseRemove(t: Task, v: Vma, start: number, end: number): number {
  if (v.flags & MAP_LOCKED || !v.file) return -Errno.EINVAL;
  if (!(v.flags & MAP_SHARED) || !(v.mayProt & PROT_WRITE)) return -Errno.EACCES;
  // (a shared mapping is of an open file: mmap's, or SysV shm's segment)
  if (!(v.file instanceof MappedFile)) return -Errno.EINVAL;
  return vfsFallocate(t, v.file.openFile, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, v.pgoff + (start - v.start), end - start);
}

/**
 * process_madvise(2): madvise for each of the iovec's ranges in the process of a pidfd: any advice in the
 * caller's own memory, only the hints (COLD, PAGEOUT, WILLNEED, COLLAPSE) in another's, and that with
 * CAP_SYS_NICE and PTRACE_MODE_READ_FSCREDS (mm_access: EACCES). The bytes advised before the first range that
 * fails, or its error.
 */
export function sys_process_madvise(t: Task, r: Regs): number {
  const pidfd = r.getI32(A0), vec = r.get(A1), vlen = r.get(A2), advice = r.getI32(A3), flags = r.getU32(A4);
  if (flags !== 0) return -Errno.EINVAL;
  if (vlen > UIO_MAXIOV) return -Errno.EINVAL;
  const v = readIovecs(t, vec, vlen);
  const tg = processOf(t, pidfd);
  if (typeof tg === 'number') return tg;
  const target = threadWithMm(tg);
  if (!target) return -Errno.ESRCH;
  const mm = target.mm;
  if (mm !== t.mm && !ptraceMayAccess(t, target, PTRACE_MODE_READ_FSCREDS)) return -Errno.EACCES;
  if (mm !== t.mm) {
    if (advice !== MADV_COLD && advice !== MADV_PAGEOUT && advice !== MADV_WILLNEED && advice !== MADV_COLLAPSE) return -Errno.EINVAL;
    if (!capable(t.creds, CAP_SYS_NICE)) return -Errno.EPERM;
  }
  let done = 0;
  for (let i = 0; i < v.iov.length; i += 2) {
    const e = madvise(t, mm, v.iov[i]!, v.iov[i + 1]!, advice);
    if (e < 0) return done > 0 ? done : e;
    done += v.iov[i + 1]!;
  }
  return done;
}

/**
 * process_mrelease(2): reap the memory of a process that is being killed. A kill here ends a process before
 * any other call runs, so a pidfd's process is either alive (EINVAL: not dying) or gone (ESRCH).
 */
export function sys_process_mrelease(t: Task, r: Regs): number {
  const pidfd = r.getI32(A0), flags = r.getU32(A1);
  if (flags !== 0) return -Errno.EINVAL;
  const tg = processOf(t, pidfd);
  if (typeof tg === 'number') return tg;
  return threadWithMm(tg) ? -Errno.EINVAL : -Errno.ESRCH;
}

/** find_lock_task_mm: a thread of tg that still has its memory (none once the process is a zombie). */
function threadWithMm(tg: Task['tg']): Task | undefined {
  return tg.zombie ? undefined : tg.tasks.find((x) => x.state !== 'zombie' && x.state !== 'dead');
}

/**
 * msync(2) (mm/msync.c): MS_SYNC writes back the file of each shared file
 * mapping in the range (vfs_fsync_range: a host file's data reaches the
 * host's storage); private and anonymous memory has nothing to write back,
 * and a shared mapping's bytes are the file's already (the host maps host
 * files itself; tmpfs pages are the file's). A hole ends MS_ASYNC at once
 * with ENOMEM; otherwise the rest is done and ENOMEM returned after.
 * MS_INVALIDATE on a locked mapping is EBUSY.
 */
export function sys_msync(t: Task, r: Regs): number {
  const flags = r.getI32(A2);
  if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) || r.getU32(A0) % PAGE !== 0 || (flags & MS_ASYNC && flags & MS_SYNC)) return -Errno.EINVAL;
  // (the length rounded up in 64 bits: one within a page of 2^64 wraps to 0, which is success)
  const len = (r.getBig(A1) + BigInt(PAGE - 1)) & ~BigInt(PAGE - 1) & 0xffffffffffffffffn;
  let start = r.get(A0);
  if (len === 0n) return 0;
  if (BigInt(start) + len > 0xffffffffffffffffn) return -Errno.ENOMEM;
  const end = start + Number(len);
  const vmas = t.mm.vmas, synced = new Set<object>();
  let unmapped = 0;
  for (let i = t.mm.firstAfter(start); ; i++) {
    const v = vmas[i];
    if (!v) return -Errno.ENOMEM;
    if (start < v.start) {
      if (flags === MS_ASYNC) return -Errno.ENOMEM;
      start = v.start;
      if (start >= end) return -Errno.ENOMEM;
      unmapped = -Errno.ENOMEM;
    }
    // (a locked mapping's pages may not be dropped)
    if (flags & MS_INVALIDATE && v.flags & MAP_LOCKED) return -Errno.EBUSY;
    start = v.end;
    // VM_SHARED: a shared mapping of a file opened for writing (do_mmap clears it for a read-only one); each
    // file written back once per call, however many VMAs of it the range holds
    if (flags & MS_SYNC && v.flags & MAP_SHARED && v.mayProt & PROT_WRITE && v.file?.sync && !synced.has(v.file)) {
      synced.add(v.file);
      const err = v.file.sync();
      if (err < 0) return err;
    }
    if (start >= end) return unmapped;
  }
}

// ---- mlock (mm/mlock.c) ----------------------------------------------------------------------------

const MLOCK_ONFAULT = 1, MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4;

/** can_do_mlock: a RLIMIT_MEMLOCK above 0, or CAP_IPC_LOCK. */
function canDoMlock(t: Task): boolean {
  return getLimit(t, RLIMIT_MEMLOCK)[0] !== 0 || capable(t.creds, CAP_IPC_LOCK);
}
/** mlock_future_ok: `len` more locked bytes keep the process within RLIMIT_MEMLOCK (CAP_IPC_LOCK: always). */
export function mlockFutureOk(t: Task, len: number): boolean {
  if (capable(t.creds, CAP_IPC_LOCK)) return true;
  const limit = getLimit(t, RLIMIT_MEMLOCK)[0];
  return limit === Infinity || (len + t.mm.lockedBytes()) / PAGE <= Math.floor(limit / PAGE);
}
/** The page-aligned [start, end) of an mlock-family range (addr down, the length up with it), and whether it
 * wraps past 2^64 (apply_vma_lock_flags' EINVAL, for the caller to give in its turn). */
function lockRange(r: Regs): [number, number, boolean] {
  const addr = r.getBig(A0), off = addr % BigInt(PAGE);
  // (PAGE_ALIGN(len + offset) in 64 bits: a length near 2^64 wraps to nothing, which locks nothing)
  const len = (r.getBig(A1) + off + BigInt(PAGE - 1)) & ~BigInt(PAGE - 1) & 0xffffffffffffffffn;
  const start = addr - off, end = start + len;
  return [Number(start), Number(end), end > 0xffffffffffffffffn];
}
/**
 * do_mlock: EPERM without can_do_mlock; ENOMEM when the pages locked with
 * these (those of the range locked already counted once) pass
 * RLIMIT_MEMLOCK (CAP_IPC_LOCK passes); then the range's VMAs are locked
 * (ENOMEM at a hole) and populated.
 */
function doMlock(t: Task, r: Regs, onFault: boolean): number {
  if (!canDoMlock(t)) return -Errno.EPERM;
  const [start, end, wraps] = lockRange(r), mm = t.mm;
  // (the limit first, then the range: do_mlock)
  if (!mlockFutureOk(t, end - start - mm.lockedBytes(start, end))) return -Errno.ENOMEM;
  if (wraps) return -Errno.EINVAL;
  return mm.setLocked(start, end, true, onFault);
}
/** mlock(2) */
export function sys_mlock(t: Task, r: Regs): number {
  return doMlock(t, r, false);
}
/** mlock2(2): MLOCK_ONFAULT locks without populating. */
export function sys_mlock2(t: Task, r: Regs): number {
  const flags = r.getU32(A2);
  if (flags & ~MLOCK_ONFAULT) return -Errno.EINVAL;
  return doMlock(t, r, (flags & MLOCK_ONFAULT) !== 0);
}
/** munlock(2): the range's VMAs unlocked (ENOMEM at a hole). */
export function sys_munlock(t: Task, r: Regs): number {
  const [start, end, wraps] = lockRange(r);
  return wraps ? -Errno.EINVAL : t.mm.setLocked(start, end, false, false);
}
/**
 * mlockall(2): MCL_CURRENT locks every mapping (ENOMEM if they pass
 * RLIMIT_MEMLOCK all together, CAP_IPC_LOCK aside), MCL_FUTURE every one
 * made from now on; MCL_ONFAULT alone, or no flag, is EINVAL.
 */
export function sys_mlockall(t: Task, r: Regs): number {
  const f = r.getI32(A0);
  if (f === 0 || f & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) || f === MCL_ONFAULT) return -Errno.EINVAL;
  if (!canDoMlock(t)) return -Errno.EPERM;
  const limit = getLimit(t, RLIMIT_MEMLOCK)[0];
  if (f & MCL_CURRENT && !capable(t.creds, CAP_IPC_LOCK) && limit !== Infinity && t.mm.totalVm / PAGE > Math.floor(limit / PAGE)) {
    return -Errno.ENOMEM;
  }
  return t.mm.setLockedAll((f & MCL_CURRENT) !== 0, (f & MCL_FUTURE) !== 0, (f & MCL_ONFAULT) !== 0);
}
/** munlockall(2) */
export function sys_munlockall(t: Task): number {
  return t.mm.setLockedAll(false, false, false);
}

/** mincore(2): resident = present in the page table. */
export function sys_mincore(t: Task, r: Regs): number {
  const addr = r.get(A0), len = r.get(A1), vec = r.get(A2);
  if (addr % PAGE !== 0) return -Errno.EINVAL;
  const n = Math.ceil(len / PAGE);
  if (!t.mm.isMapped(addr, len)) return -Errno.ENOMEM;
  // a page of answers at a time, each copied out before the next (mm/mincore.c): a vec too short for a huge
  // range is EFAULT after its first page, not an allocation of the whole range's answers
  const out = new Uint8Array(Math.min(n, PAGE));
  for (let done = 0; done < n; done += out.length) {
    const m = Math.min(out.length, n - done);
    const chunk = m === out.length ? out : out.subarray(0, m);
    t.mm.residentInto(addr / PAGE + done, chunk);
    copyOut(t, vec + done, chunk);
  }
  return 0;
}
