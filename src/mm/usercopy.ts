/**
 * The kernel's access to guest memory (copy_from_user/copy_to_user,
 * mm/maccess.c): page by page through the page table, faulting pages in as
 * the guest's own access would, EFAULT where the guest would get SIGSEGV.
 *
 * Functions of the AddressSpace (address_space.ts), which calls them
 * through its methods; the state is its, guarded by the JS thread.
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import { PAGE_SIZE } from './physmem.js';
import { GUEST_TASK_SIZE } from '../platform/stub_layout.js';


import { PROT_READ, PROT_WRITE, MAP_SHARED } from '../abi/mman.js';

import { AddressSpace, PTE_HOST, PT_SIZE } from './address_space.js';
import { fileEndVpn } from './fault.js';
import { decodeName, nameByteLength } from '../abi/names.js';

/**
 * Frame for the page at addr, faulting it in for the kernel as the guest's
 * own access would; -1 for a read of a direct page the guest has no copy of
 * (userPage reads it from the file). Throws EFAULT where the guest would
 * get SIGSEGV.
 */
export function userFrame(mm: AddressSpace, addr: number, write: boolean): number {
  const vpn = Math.floor(addr / PAGE_SIZE);
  const p = mm.pt.get(Math.floor(vpn / PT_SIZE));
  const f = p ? p.frame[vpn % PT_SIZE]! : 0;
  if (f) {
    if (write) {
      const vma = mm.find(addr);
      if (!vma || !(vma.prot & PROT_WRITE)) throw new ErrnoError(Errno.EFAULT);
      if (mm.isCow(vma, f - 1)) {
        const nf = mm.breakCow(p!, vpn % PT_SIZE, vpn);
        mm.queueMap(vpn, 1, nf, vma.prot);
        p!.bits[vpn % PT_SIZE]! |= PTE_HOST;
        return nf;
      }
    }
    return f - 1;
  }
  if (addr < 0 || addr >= GUEST_TASK_SIZE) throw new ErrnoError(Errno.EFAULT);
  let vma = mm.find(addr);
  if (!vma) {
    if (!mm.growStack(addr)) throw new ErrnoError(Errno.EFAULT);
    vma = mm.find(addr)!;
  }
  if (!(vma.prot & (write ? PROT_WRITE : PROT_READ))) throw new ErrnoError(Errno.EFAULT);
  if (vma.direct) {
    if (!write || vma.flags & MAP_SHARED) return -1; // userPage reads the file; write() writes it
    if (vpn >= fileEndVpn(vma, true)) throw new ErrnoError(Errno.EFAULT);
    return mm.copyDirectPage(vma, vpn);
  }
  // (a page past the end of its file: SIGBUS for the guest, EFAULT for the kernel)
  if (vpn >= fileEndVpn(vma)) throw new ErrnoError(Errno.EFAULT);
  mm.populate(vma, vpn, vpn + 1);
  // a private page populate shared (the page cache's, copy-on-write): a write takes its own copy first, as
  // above, or it would land in every mapping of the file
  if (write) {
    const q = mm.pt.get(Math.floor(vpn / PT_SIZE)), nf = q ? q.frame[vpn % PT_SIZE]! : 0;
    if (nf && mm.isCow(vma, nf - 1)) return userFrame(mm, addr, true);
  }
  return mm.frameAt(vpn);
}

/**
 * Frame for a write at addr that the mapping's protection does not stop
 * (FOLL_FORCE: a tracer's PTRACE_POKEDATA, a breakpoint into read-only
 * code). A private mapping's page gets a copy of its own first unless the
 * frame is this space's alone (never the file's, the page cache's or a
 * fork sibling's frame); a shared mapping's must be writable, as for the
 * guest's own write. EFAULT where nothing is mapped.
 */
export function forceFrame(mm: AddressSpace, addr: number): number {
  const vma = mm.find(addr);
  if (!vma || addr < 0 || addr >= GUEST_TASK_SIZE) throw new ErrnoError(Errno.EFAULT);
  if (vma.flags & MAP_SHARED) return userFrame(mm, addr, true);
  const vpn = Math.floor(addr / PAGE_SIZE), i = vpn % PT_SIZE;
  let p = mm.pt.get(Math.floor(vpn / PT_SIZE));
  if (!p || !p.frame[i]) {
    if (vpn >= fileEndVpn(vma, true)) throw new ErrnoError(Errno.EFAULT);
    if (vma.direct) return mm.copyDirectPage(vma, vpn);
    mm.populate(vma, vpn, vpn + 1);
    p = mm.pt.get(Math.floor(vpn / PT_SIZE));
    if (!p || !p.frame[i]) throw new ErrnoError(Errno.EFAULT);
  }
  // its copies may hold what was written now (a file change keeps them: address_space.ts copiesShowFile)
  vma.wasWritable = true;
  const f = p.frame[i]! - 1;
  if (mm.physmem.refs[f]! <= 1) return f;
  const nf = mm.breakCow(p, i, vpn);
  mm.queueMap(vpn, 1, nf, vma.prot);
  p.bits[i]! |= PTE_HOST;
  return nf;
}

/** Write data at addr whatever the mapping's protection (FOLL_FORCE: forceFrame's rules). */
export function writeForce(mm: AddressSpace, addr: number, data: Uint8Array): void {
  const pm = mm.physmem;
  for (let at = 0; at < data.length;) {
    const a = addr + at, n = Math.min(data.length - at, PAGE_SIZE - (a % PAGE_SIZE));
    const f = forceFrame(mm, a);
    if (f < 0) write(mm, a, data, at, n); // a shared mapping of a host file: the file
    else pm.chunkOf(f).set(data.subarray(at, at + n), pm.offsetIn(f) + (a % PAGE_SIZE));
    at += n;
  }
}

/**
 * cmpxchg of the u32 at addr (4-aligned) with the guest's threads running
 * meanwhile on other host CPUs (futex_atomic_cmpxchg_inatomic): a locked
 * compare-exchange on the kernel's mapping of the frame. Returns the value
 * found (old: it was swapped). Throws EFAULT where a write would fault. A
 * host file's page the stub maps straight from the file (a MAP_SHARED host
 * file) is read and written through the file: not atomic against the guest.
 */
export function cmpxchgU32(mm: AddressSpace, addr: number, old: number, nu: number): number {
  const f = userFrame(mm, addr, true);
  if (f < 0) {
    const v = mm.readU32(addr);
    if (v === old >>> 0) mm.writeU32(addr, nu);
    return v;
  }
  const pm = mm.physmem, chunk = pm.chunkOf(f);
  const word = new Int32Array(chunk.buffer, chunk.byteOffset + pm.offsetIn(f) + (addr % PAGE_SIZE), 1);
  return Atomics.compareExchange(word, 0, old | 0, nu | 0) >>> 0;
}

/**
 * Copy len bytes out of the guest at addr into dst[at..]. Pages whose
 * frames follow each other in one chunk of physical memory (as demand
 * paging hands them out) are copied as one run: one set() per run rather
 * than per page, which is most of the cost of a large copy besides the
 * bytes themselves.
 */
export function readInto(mm: AddressSpace, addr: number, dst: Uint8Array, at = 0, len = dst.length - at): void {
  if (len <= 0) return;
  // userPage answers in one reused object: take what is needed before asking again
  let u = mm.userPage(addr, false);
  for (;;) {
    const c = u.buf, base = u.off + (addr % PAGE_SIZE);
    let n = Math.min(len, PAGE_SIZE - (addr % PAGE_SIZE));
    if (u.file) {
      // a page read from the file into the scratch frame, which the next page reuses
      dst.set(c.subarray(base, base + n), at);
      addr += n;
      at += n;
      len -= n;
      if (len === 0) return;
      u = mm.userPage(addr, false);
      continue;
    }
    let more = false;
    while (n < len) {
      u = mm.userPage(addr + n, false);
      if (u.file || u.buf !== c || u.off !== base + n) {
        more = true;
        break;
      }
      n += Math.min(len - n, PAGE_SIZE);
    }
    dst.set(c.subarray(base, base + n), at);
    addr += n;
    at += n;
    len -= n;
    if (!more) return;
  }
}

export function read(mm: AddressSpace, addr: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  mm.readInto(addr, b);
  return b;
}

/** Copy data into the guest at addr (runs of adjacent frames at once, as readInto). */
export function write(mm: AddressSpace, addr: number, data: Uint8Array, at = 0, len = data.length - at): void {
  const pm = mm.physmem;
  while (len > 0) {
    const f = mm.userFrame(addr, true);
    let n = Math.min(len, PAGE_SIZE - (addr % PAGE_SIZE));
    if (f < 0) {
      // a shared direct mapping is the host file: write the file (past its end: EFAULT, where the guest gets SIGBUS)
      const v = mm.find(addr)!;
      if (v.file!.hostMap!.writeAt(v.pgoff + (addr - v.start), data.subarray(at, at + n)) !== n) throw new ErrnoError(Errno.EFAULT);
    } else {
      const c = pm.chunkOf(f), o = pm.offsetIn(f) + (addr % PAGE_SIZE);
      let next = f + 1;
      // the next pages while their frames follow in the same chunk (a fault there throws before this run is
      // written: a copy_to_user that faults is allowed to have written any part of what it was given)
      while (n < len && pm.chunkOf(next) === c) {
        if (mm.userFrame(addr + n, true) !== next) break;
        n += Math.min(len - n, PAGE_SIZE);
        next++;
      }
      c.set(data.subarray(at, at + n), o);
    }
    addr += n;
    at += n;
    len -= n;
  }
}

/** Check that [addr, addr+len) is accessible, faulting pages in (for writes the kernel will do piecewise). */
export function check(mm: AddressSpace, addr: number, len: number, write: boolean): void {
  if (len <= 0) return;
  const end = addr + len;
  for (let a = addr - (addr % PAGE_SIZE); a < end; a += PAGE_SIZE) mm.userFrame(a, write);
}

/** A NUL-terminated string (UTF-8) of at most max bytes before the NUL; ENAMETOOLONG past it. */
export function readCString(mm: AddressSpace, addr: number, max = 4096): string {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const u = mm.userPage(addr, false);
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
  return decodeName(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
}

/** A NULL-terminated array of string pointers (argv/envp), with the total-size limit of execve (E2BIG). */
export function readStringArray(mm: AddressSpace, addr: number, maxTotal: number): string[] {
  const out: string[] = [];
  if (addr === 0) return out;
  let total = 0;
  for (let i = 0; ; i++) {
    const p = mm.readU64(addr + i * 8);
    if (p === 0) break;
    let s: string;
    try {
      s = mm.readCString(p, 131072);
    } catch (e) {
      // one string past MAX_ARG_STRLEN is E2BIG (copy_strings' valid_arg_len), not a long name
      if (e instanceof ErrnoError && e.errno === Errno.ENAMETOOLONG) throw new ErrnoError(Errno.E2BIG);
      throw e;
    }
    total += nameByteLength(s) + 1 + 8;
    if (total > maxTotal) throw new ErrnoError(Errno.E2BIG);
    out.push(s);
  }
  return out;
}
