/**
 * Syscall-instruction patching (gVisor's systrap on x86-64): a guest's
 * syscall instruction that keeps trapping, with the 5-byte instruction
 * before it one of two (`mov $nr, %eax`, as in glibc's wrappers, or
 * `mov 8(%rsp), %r9`, as in its generic syscall()), is rewritten with that
 * instruction, in the process's own copy of its code page, into
 * `jmp *abs32` (ff 24 25 abs32, 7 bytes) through an entry of a table the
 * kernel maps into the process at a fixed low address. The entry does the
 * replaced instruction, loads rcx = the address after the site and jumps
 * to the platform's entry (Platform.syscallPatchEntry: systrap's stub_fast_entry),
 * which hands the call to the kernel with no host signal and returns
 * where the syscall instruction would have. Nothing about the wall
 * changes: the rewritten code is guest code, the table is guest memory,
 * and the stub entry is one a guest can jump to anyway (stub.c).
 *
 * When: a site is patched once it has trapped PATCH_AFTER times in a
 * thread that polls for its replies (Context.polls: one beside the kernel
 * pays two context switches per call anyway, and the gs base below at
 * each), only in a private file mapping that may execute, only while the
 * address space has one task, or two of which one is a vfork child's waiting parent,
 * and no tracer (the caller checks those), and a `mov $nr, %eax` site only for a call that returns
 * through the general registers alone (UNPATCHED: those that rewrite the
 * whole frame go on trapping; a generic site may make any call, and the
 * platform takes those over through the handler, which is slower). One
 * task (or a vfork child and its parent, which waits in the kernel) means
 * no other thread can be executing the 7 bytes while they change: the one
 * that trapped is stopped. A site where a signal is delivered at a
 * patched call's return goes back to trapping (unpatchSite). While an
 * address space has patched sites its threads' host gs base is their area
 * (Context.fastEntry: stub_fast_entry finds it there), and only then: on a
 * host without FSGSBASE a nonzero gs base costs every context switch into
 * the thread (measured: a native pipe round trip 13.5 -> 18.2 us here).
 *
 * The table's address has 0x06, 0x07, 0x16 or 0x17 in its byte 2 and 0 in
 * byte 3, so the old syscall instruction's place (site + 5, where a
 * restart rewinds rip and where other code may jump) now holds an opcode
 * x86-64 does not have (push/pop es, ss): #UD, SIGILL, which the kernel
 * takes as the syscall it replaced (isPatchedSyscall). A guest that unmaps
 * or mprotects the table gets its sites back first (unpatchAll), and no
 * more patching.
 *
 * Ownership: an AddressSpace's (its `patches`), guarded by the JS thread.
 */
import type { AddressSpace } from './address_space.js';
import { PAGE_SIZE } from './physmem.js';
import { PROT_READ, PROT_EXEC, MAP_PRIVATE, MAP_SHARED } from '../abi/mman.js';
import {
  SYS_rt_sigreturn, SYS_clone, SYS_fork, SYS_vfork, SYS_execve, SYS_arch_prctl, SYS_execveat, SYS_clone3,
} from '../abi/syscall_nr.js';

const TABLE_BASES = [0x60000, 0x70000, 0x160000, 0x170000];
const TABLE_SIZE = 0x10000, ENTRY_SIZE = 32, ENTRIES = TABLE_SIZE / ENTRY_SIZE;
/** an instruction of 5 bytes and a syscall, and what replaces them */
const SITE_LEN = 7;
const MOV_EAX = 0xb8;
/** `mov 0x8(%rsp), %r9` (glibc's syscall(): the sixth argument) */
const MOV_R9_STACK = [0x4c, 0x8b, 0x4c, 0x24, 0x08];
/** traps at a site before it is patched: a copy of its page and an entry cost more than a trap or two, and most
 * sites of a short-lived process trap once */
const PATCH_AFTER = 3;
/** calls that return through more than the general registers: a new frame (rt_sigreturn, execve), a new
 * thread or process (clone, fork), the fs or gs base (arch_prctl) */
const UNPATCHED = new Set([SYS_rt_sigreturn, SYS_clone, SYS_fork, SYS_vfork, SYS_execve, SYS_arch_prctl, SYS_execveat, SYS_clone3]);

/** One address space's patching (AddressSpace.patches); every field guarded by the JS thread, changed only by
 * this file's functions while every task of the address space is stopped (or by unpatchAll). */
export class SyscallPatches {
  /** the table's address; 0 until the first patch */
  base = 0;
  /** entries taken (entry 0 is the pointer to the platform's entry) */
  used = 1;
  /** patched sites: address -> the instruction the syscall's came after (5 bytes) */
  readonly sites: Map<number, Uint8Array>;
  /** traps counted at sites not patched yet; -1: never (not a site that can be) */
  readonly seen: Map<number, number>;
  /** no more patching here: the table is full or was unmapped, or there is no room for it */
  off = false;

  constructor(
    /** Platform.syscallPatchEntry; immutable */
    readonly entry: number,
    from?: SyscallPatches,
  ) {
    this.sites = new Map(from?.sites);
    this.seen = new Map(from?.seen);
    if (from) {
      this.base = from.base;
      this.used = from.used;
      this.off = from.off;
    }
  }
}

/**
 * A syscall `nr` trapped at rip (the address after its instruction) in mm,
 * whose tasks allow patching (see above): count it, and patch its site
 * once it has trapped PATCH_AFTER times.
 */
export function noteSyscallSite(mm: AddressSpace, entry: number, rip: number, nr: number): void {
  const p = (mm.patches ??= new SyscallPatches(entry));
  if (p.off) return;
  const site = rip - SITE_LEN;
  if (p.sites.has(site)) return;
  const n = p.seen.get(site) ?? 0;
  if (n < 0) return;
  if (n + 1 < PATCH_AFTER) {
    p.seen.set(site, n + 1);
    return;
  }
  if (patch(mm, p, site, nr)) p.seen.delete(site);
  else p.seen.set(site, -1);
}

function patch(mm: AddressSpace, p: SyscallPatches, site: number, nr: number): boolean {
  if (site < 0) return false;
  if (Math.floor(site / PAGE_SIZE) !== Math.floor((site + SITE_LEN - 1) / PAGE_SIZE)) return false;
  const vma = mm.find(site);
  if (!vma || vma.flags & MAP_SHARED || !(vma.prot & PROT_EXEC) || vma.file === null) return false;
  const b = readSite(mm, site);
  if (!b || b[5] !== 0x0f || b[6] !== 0x05) return false;
  if (b[0] === MOV_EAX ? u32(b, 1) !== nr || UNPATCHED.has(nr) : MOV_R9_STACK.some((x, i) => b[i] !== x)) return false;
  if (p.base === 0) {
    const base = TABLE_BASES.find((a) => !mm.overlaps(a, a + TABLE_SIZE));
    if (base === undefined) {
      p.off = true;
      return false;
    }
    mm.mapFixed(base, base + TABLE_SIZE, PROT_READ | PROT_EXEC, MAP_PRIVATE, null, 0, '');
    const ptr = new Uint8Array(8);
    new DataView(ptr.buffer).setBigUint64(0, BigInt(p.entry), true);
    mm.writeForce(base, ptr);
    p.base = base;
  }
  if (p.used >= ENTRIES) {
    p.off = true;
    return false;
  }
  const e = p.base + p.used++ * ENTRY_SIZE;
  // the entry: its code's address (what the site's jump reads), then the
  // replaced instruction; movabs $site+7, %rcx; jmp *base (the platform's entry)
  const code = new Uint8Array(ENTRY_SIZE), dv = new DataView(code.buffer);
  dv.setBigUint64(0, BigInt(e + 8), true);
  code.set(b.subarray(0, 5), 8);
  code[13] = 0x48;
  code[14] = 0xb9;
  dv.setBigUint64(15, BigInt(site + SITE_LEN), true);
  code.set([0xff, 0x24, 0x25], 23);
  dv.setUint32(26, p.base, true);
  mm.writeForce(e, code);
  mm.writeForce(site, jumpTo(e));
  p.sites.set(site, b.slice(0, 5));
  return true;
}

function jumpTo(e: number): Uint8Array {
  const j = new Uint8Array(SITE_LEN);
  j.set([0xff, 0x24, 0x25]);
  new DataView(j.buffer).setUint32(3, e, true);
  return j;
}

function readSite(mm: AddressSpace, at: number): Uint8Array | null {
  try {
    return mm.read(at, SITE_LEN);
  } catch {
    return null;
  }
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/**
 * rip is a SIGILL's: is it the old syscall instruction's place in a
 * patched site (a restart, or a jump there)? Then the guest asked for that
 * syscall, with the number in its rax.
 */
export function isPatchedSyscall(mm: AddressSpace, rip: number): boolean {
  const p = mm.patches;
  return p !== null && p.base !== 0 && jumpsToEntry(p, readSite(mm, rip - 5));
}

/** Are these a site's bytes as patch() leaves them (a jump through one of p's entries)? */
function jumpsToEntry(p: SyscallPatches, b: Uint8Array | null): boolean {
  if (!b || b[0] !== 0xff || b[1] !== 0x24 || b[2] !== 0x25) return false;
  const e = u32(b, 3);
  return e >= p.base + ENTRY_SIZE && e < p.base + TABLE_SIZE;
}

/** Does [start, end) meet the table? (munmap, mremap, MAP_FIXED and mprotect over it undo the patching first) */
export function touchesTable(p: SyscallPatches, start: number, end: number): boolean {
  return p.base !== 0 && start < p.base + TABLE_SIZE && end > p.base;
}

/**
 * A signal was delivered at the patched call that returns to rip: the
 * kernel needed the whole frame there (the FPU state for the signal's
 * frame), which a patched call's post lacks and costs a synchronous
 * round trip through the stub's handler to get (systrap's upgrade: tens to
 * hundreds of us, where a trap costs a few more than a patched call). Such
 * a site (a shell's wait4 as SIGCHLD comes) is put back as it was and
 * never patched again: its calls trap, and their signals find the frame.
 * Only while the address space's tasks allow patching (the caller checks,
 * as for noteSyscallSite).
 */
export function unpatchSite(mm: AddressSpace, rip: number): void {
  const p = mm.patches, site = rip - SITE_LEN;
  if (p === null) return;
  const insn = p.sites.get(site);
  if (insn === undefined) return;
  p.sites.delete(site);
  p.seen.set(site, -1);
  restoreSite(mm, p, site, insn);
}

/** Put a patched site back (its 5-byte instruction, then the syscall) if it still holds its jump. */
function restoreSite(mm: AddressSpace, p: SyscallPatches, site: number, insn: Uint8Array): void {
  if (!jumpsToEntry(p, readSite(mm, site))) return;
  const orig = new Uint8Array(SITE_LEN);
  orig.set(insn);
  orig[5] = 0x0f;
  orig[6] = 0x05;
  mm.writeForce(site, orig);
}

/** Put every patched site that still holds its jump back as it was, and patch nothing more in mm. */
export function unpatchAll(mm: AddressSpace, p: SyscallPatches): void {
  p.off = true;
  for (const [site, insn] of p.sites) restoreSite(mm, p, site, insn);
  p.sites.clear();
}
