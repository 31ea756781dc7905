/**
 * struct vm_area_struct (include/linux/mm_types.h): one mapping of an
 * address space, and what a file mapping is filled from or mapped from
 * (fs's Mappable and HostMappable, structurally: mm does not import fs).
 */
import { PROT_READ, PROT_WRITE, PROT_EXEC } from '../abi/mman.js';

/** A host file the stub can open and map itself (fs's HostMappable, structurally). */
export interface HostMappable {
  /** the host file's identity (device and inode): one open per file in a stub */
  readonly id: string;
  /** Run fn with a kernel descriptor of the file held open. */
  withFd(fn: (fd: number) => void): void;
  /** Write into the file within its size (the kernel writing a shared mapping); bytes or -errno. */
  writeAt(off: number, data: Uint8Array): number;
}

/** An address space that maps a file (address_space->i_mmap's side of it): told when the file shrinks. */
export interface FileMapper {
  /** Bytes [start, end) of the file changed under its mappings: a shrink to `start` bytes (end Infinity), or a
   * hole punched (AddressSpace.fileChanged). */
  fileChanged(mappers: FileMappers, start: number, end: number, privateOnly?: boolean): void;
  /** After every mapper's fileChanged: the page cache forgets the pages the change touched. */
  fileChangeDone(mappers: FileMappers, start: number, end: number): void;
}
/** The address spaces that map one file (fs's FileMappers, structurally: one per file, shared by its
 * mappings' VmFiles). */
export interface FileMappers {
  add(m: FileMapper): void;
  remove(m: FileMapper): void;
  /** a private mapping of the file has been made (a write to it has pages to reach) */
  privateMapped: boolean;
}

/** What a private file mapping is filled from (fs's Mappable, structurally). */
export interface VmFile {
  fillHost(off: number, ptr: bigint, len: number): number;
  /** the file's size now (fs's Mappable.size): a fault on a page wholly past it is SIGBUS; absent: no end */
  readonly size?: () => number;
  /** the address spaces mapping the file, for a truncation to reach (absent: a device's memory, exec's
   * segments of a program no one may write while it runs) */
  readonly rmap?: FileMappers;
  /** the host file itself, for the stub to map directly (absent: pages are copied into frames) */
  readonly hostMap?: HostMappable;
  /** file bytes a direct mapping may show as they are: pages reaching past it are copied (an ELF segment's end) */
  readonly hostMapLimit?: number;
  /** msync's vfs_fsync_range: the file's data reaches its storage (absent: nothing to write back); 0 or -errno */
  sync?(): number;
  /** A VMA holds its file open (get_file/fput): taken per VMA, dropped when it goes. */
  get?(): void;
  put?(): void;
  /** the content's identity for the page cache (absent: pages are private copies) */
  readonly cacheKey?: string;
  /** a segment of a program exec loaded (the program, its interpreter): taken as unchanging while mapped, so the
   * kernel's own reads of its direct pages (a path in its rodata) may come from the page cache (fault.ts
   * directPageFrame). Any other file's direct pages are read afresh: the guest sees the file as it is now */
  readonly image?: boolean;
  readonly mapName: string;
  readonly mapDev: number;
  readonly mapIno: number;
}

/** vm_flags that madvise sets (mm.h): the VMA is not copied into a fork's child (MADV_DONTFORK), or is copied
 * empty (MADV_WIPEONFORK: a private anonymous mapping's pages read as zeros in the child) */
export const VM_DONTCOPY = 1, VM_WIPEONFORK = 2;

/** struct vm_area_struct. [start, end) page-aligned. Every field is owned by the
 * one AddressSpace whose vmas list holds it (fork clones each VMA, never shares
 * one), written only by that AddressSpace's own methods, on the JS thread. */
export class Vma {
  constructor(
    /** split, merge, mremap and stack growth move the bounds */
    public start: number,
    public end: number,
    /** mprotect changes it */
    public prot: number,
    /** MAP_SHARED or MAP_PRIVATE, plus MAP_GROWSDOWN for the stack */
    public flags: number,
    /** the VMA's reference on it (get at construction, put by drop()) */
    public file: VmFile | null,
    /** file offset of `start`, bytes */
    public pgoff: number,
    /** "[heap]", "[stack]" or "" */
    public name: string,
    /** VM_MAYREAD/MAYWRITE/MAYEXEC as PROT_* bits: what mprotect may grant */
    public mayProt = PROT_READ | PROT_WRITE | PROT_EXEC,
  ) {
    file?.get?.();
    this.wasWritable = (prot & PROT_WRITE) !== 0;
  }
  /** the host maps this range from the host file itself (see the file comment); set when inserted,
   * cleared if the stub cannot open the file */
  direct = false;
  /** it has been writable (made so, or mprotect gave it PROT_WRITE since): its private copies may hold what the
   * process wrote; set by the constructor, mprotect and a merge, copied by clone */
  wasWritable: boolean;
  /** VM_DONTCOPY and VM_WIPEONFORK (madvise); copied by clone, VMAs merge only alike */
  vmFlags = 0;
  /** Called when the VMA leaves the address space. */
  drop(): void {
    this.file?.put?.();
  }
  clone(): Vma {
    const v = new Vma(this.start, this.end, this.prot, this.flags, this.file, this.pgoff, this.name, this.mayProt);
    v.direct = this.direct;
    v.wasWritable = this.wasWritable;
    v.vmFlags = this.vmFlags;
    return v;
  }
}

