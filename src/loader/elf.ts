/**
 * The ELF loader (fs/binfmt_elf.c): static, static-PIE and dynamic (PT_INTERP)
 * x86-64 executables, and the initial stack with argv, envp and auxv.
 *
 * Loading is split in two so that a bad file fails before anything changes:
 * parseElf() reads and checks the headers; loadElf() builds the VMAs and the
 * stack in a fresh address space.
 */
import { _STK_LIM } from '../abi/resource.js';
import { readFileSync } from 'node:fs';
import { Errno } from '../abi/errno.js';
import {
  AddressSpace, VmFile, MAP_PRIVATE, MAP_GROWSDOWN, PROT_READ, PROT_WRITE, PROT_EXEC, STACK_TOP, UNSHARE_MAX, MMAP_MIN_ADDR,
  GUEST_TASK_SIZE,
} from '../mm/address_space.js';
import { PAGE_SIZE } from '../mm/physmem.js';
import { encodeName } from '../abi/names.js';

/** A file the loader reads headers from and maps segments of. */
export interface ExecFile {
  /** Read into buf at file offset off; bytes read or -errno. */
  pread(buf: Uint8Array, off: number): number;
  readonly size: number;
  readonly vm: VmFile;
}

/** An exec failure: the errno execve returns, and a line for the user. */
export class LoaderError extends Error {
  constructor(readonly errno: Errno, message: string) {
    super(message);
  }
}

const ET_EXEC = 2, ET_DYN = 3, EM_X86_64 = 62, PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6, PT_GNU_STACK = 0x6474e551;
const PF_X = 1, PF_W = 2, PF_R = 4;
const ELF_ET_DYN_BASE = 0x555555554000;

export interface Phdr {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface ElfImage {
  file: ExecFile;
  type: number;
  entry: number;
  phoff: number;
  phnum: number;
  phdrs: Phdr[];
  interp: string | null;
}

const EM_NAMES: Record<number, string> = { 3: 'i386', 40: 'ARM', 183: 'AArch64', 243: 'RISC-V', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC64', 22: 'S/390' };

/** Read and check an ELF's headers (binfmt_elf's checks, with a reason for the user). */
export function parseElf(file: ExecFile, name: string): ElfImage {
  const eh = new Uint8Array(64);
  const n = file.pread(eh, 0);
  if (n < 0) throw new LoaderError(-n as Errno, `${name}: cannot read: errno ${-n}`);
  if (n < 4 || eh[0] !== 0x7f || eh[1] !== 0x45 || eh[2] !== 0x4c || eh[3] !== 0x46) {
    throw new LoaderError(Errno.ENOEXEC, `${name}: not an ELF executable`);
  }
  if (n < 64) throw new LoaderError(Errno.ENOEXEC, `${name}: truncated ELF header`);
  const dv = new DataView(eh.buffer);
  const machine = dv.getUint16(18, true);
  if (eh[4] !== 2 || machine !== EM_X86_64) {
    const what = machine === EM_X86_64 ? '32-bit x86-64 (x32)' : (EM_NAMES[machine] ?? `machine ${machine}`) + (eh[4] === 1 ? ' (32-bit)' : '');
    throw new LoaderError(Errno.ENOEXEC, `${name}: wrong architecture: ${what} ELF, not x86-64`);
  }
  if (eh[5] !== 1) throw new LoaderError(Errno.ENOEXEC, `${name}: corrupt ELF: not little-endian`);
  const type = dv.getUint16(16, true);
  if (type !== ET_EXEC && type !== ET_DYN) throw new LoaderError(Errno.ENOEXEC, `${name}: not an executable ELF (type ${type})`);
  const entry = Number(dv.getBigUint64(24, true));
  const phoff = Number(dv.getBigUint64(32, true));
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (phentsize !== 56 || phnum < 1 || phnum > 65536 / 56) throw new LoaderError(Errno.ENOEXEC, `${name}: corrupt ELF: bad program header table`);
  if (phoff + phnum * 56 > file.size) throw new LoaderError(Errno.EIO, `${name}: truncated ELF: program headers past the end of the file`);
  const ph = new Uint8Array(phnum * 56);
  if (file.pread(ph, phoff) !== ph.length) throw new LoaderError(Errno.EIO, `${name}: truncated ELF: cannot read program headers`);
  const pv = new DataView(ph.buffer);
  const phdrs: Phdr[] = [];
  let interp: string | null = null;
  for (let i = 0; i < phnum; i++) {
    const o = i * 56;
    const p: Phdr = {
      type: pv.getUint32(o, true),
      flags: pv.getUint32(o + 4, true),
      offset: Number(pv.getBigUint64(o + 8, true)),
      vaddr: Number(pv.getBigUint64(o + 16, true)),
      filesz: Number(pv.getBigUint64(o + 32, true)),
      memsz: Number(pv.getBigUint64(o + 40, true)),
      align: Number(pv.getBigUint64(o + 48, true)),
    };
    phdrs.push(p);
    if (p.type === PT_LOAD) {
      if (p.filesz > p.memsz || p.offset % PAGE_SIZE !== p.vaddr % PAGE_SIZE || p.vaddr + p.memsz > 2 ** 47) {
        throw new LoaderError(Errno.EINVAL, `${name}: corrupt ELF: bad PT_LOAD segment ${i}`);
      }
      if (p.offset + p.filesz > file.size) throw new LoaderError(Errno.EIO, `${name}: truncated ELF: segment ${i} past the end of the file`);
    }
    if (p.type === PT_INTERP) {
      if (p.filesz < 2 || p.filesz > 4096 || p.offset + p.filesz > file.size) throw new LoaderError(Errno.ENOEXEC, `${name}: corrupt ELF: bad PT_INTERP`);
      const b = new Uint8Array(p.filesz);
      file.pread(b, p.offset);
      const z = b.indexOf(0);
      interp = Buffer.from(b.subarray(0, z < 0 ? b.length : z)).toString('utf8');
    }
  }
  if (!phdrs.some((p) => p.type === PT_LOAD)) throw new LoaderError(Errno.ENOEXEC, `${name}: corrupt ELF: no loadable segment`);
  return { file, type, entry, phoff, phnum, phdrs, interp };
}

/** A segment's view of the file: reads stop at the segment's file size, so
 * the rest of its last page (the start of .bss) reads as zero (padzero()). */
class SegmentFile implements VmFile {
  /** the segment's last page differs from the file (zeroed past fileEnd): part of the cache identity */
  readonly cacheKey: string | undefined;
  /** the host file, mapped directly; when .bss follows (bssFollows), only
   * the pages wholly before fileEnd (the last one must read zero past it) */
  readonly hostMap: VmFile['hostMap'];
  readonly hostMapLimit: number | undefined;
  readonly image = true;
  constructor(private readonly f: VmFile, private readonly fileEnd: number, bssFollows: boolean) {
    this.cacheKey = f.cacheKey ? `${f.cacheKey}@${fileEnd}` : undefined;
    this.hostMap = f.hostMap;
    this.hostMapLimit = bssFollows ? fileEnd : undefined;
  }
  fillHost(off: number, ptr: bigint, len: number): number {
    const n = Math.min(len, this.fileEnd - off);
    return n > 0 ? this.f.fillHost(off, ptr, n) : 0;
  }
  // the VMA's reference is the file's (without these, the File was released
  // after exec while its segments still faulted pages in from it)
  get(): void {
    this.f.get?.();
  }
  put(): void {
    this.f.put?.();
  }
  get mapName(): string {
    return this.f.mapName;
  }
  get mapDev(): number {
    return this.f.mapDev;
  }
  get mapIno(): number {
    return this.f.mapIno;
  }
}

function prot(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

/** Map an image's PT_LOAD segments at bias; returns the highest end. */
function mapSegments(mm: AddressSpace, img: ElfImage, bias: number): number {
  let top = 0;
  for (const p of img.phdrs) {
    if (p.type !== PT_LOAD || p.memsz === 0) continue;
    const start = Math.floor((bias + p.vaddr) / PAGE_SIZE) * PAGE_SIZE;
    const fileEnd = bias + p.vaddr + p.filesz;
    const mapEnd = Math.ceil(fileEnd / PAGE_SIZE) * PAGE_SIZE;
    const memEnd = Math.ceil((bias + p.vaddr + p.memsz) / PAGE_SIZE) * PAGE_SIZE;
    // where no mmap of the guest's could go (found by a fuzzer: a segment in the stub's range went to the stub,
    // whose filter killed the process): as Linux's exec past its point of no return, SIGSEGV
    if (start < MMAP_MIN_ADDR || memEnd > GUEST_TASK_SIZE) throw new LoaderError(Errno.ENOMEM, `segment at ${start.toString(16)} outside the address space`);
    const pr = prot(p.flags);
    // the overcommit heuristic, as for the guest's own mmap: a writable bss larger than all of memory is refused
    // (vm_brk_flags' __vm_enough_memory: the process dies, past exec's point of no return)
    if (pr & PROT_WRITE && memEnd - start > mm.physmem.limit * PAGE_SIZE) throw new LoaderError(Errno.ENOMEM, `segment at ${start.toString(16)} larger than memory`);
    const off = p.offset - (bias + p.vaddr - start);
    if (mapEnd > start) mm.mapFixed(start, mapEnd, pr, MAP_PRIVATE, new SegmentFile(img.file.vm, p.offset + p.filesz, p.memsz > p.filesz), off, '');
    if (memEnd > mapEnd) mm.mapFixed(mapEnd, memEnd, pr, MAP_PRIVATE, null, 0, '');
    // the image is used at once: map it now (from the page cache) instead of faulting region by region
    mm.prefault(start, Math.min(memEnd, start + (1 << 20)));
    // and its data, written at once: copied now rather than on a fault per page
    if (pr & PROT_WRITE && mapEnd > start) mm.unshare(start, Math.min(mapEnd, start + UNSHARE_MAX));
    top = Math.max(top, memEnd);
  }
  return top;
}

/** Span of an image's PT_LOADs, page-aligned: [lo, hi). */
function span(img: ElfImage): [number, number] {
  let lo = Infinity, hi = 0;
  for (const p of img.phdrs) {
    if (p.type !== PT_LOAD) continue;
    lo = Math.min(lo, Math.floor(p.vaddr / PAGE_SIZE) * PAGE_SIZE);
    hi = Math.max(hi, Math.ceil((p.vaddr + p.memsz) / PAGE_SIZE) * PAGE_SIZE);
  }
  return [lo, hi];
}

// auxv tags (include/uapi/linux/auxvec.h)
const AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7, AT_FLAGS = 8, AT_ENTRY = 9,
  AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17,
  AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31, AT_SYSINFO_EHDR = 33, AT_MINSIGSTKSZ = 51;

/** The host's own auxv values we pass through (CPU features); read once. */
let hostAux: Map<number, number> | null = null;
function hostAuxv(): Map<number, number> {
  if (hostAux) return hostAux;
  hostAux = new Map();
  try {
    const b = readFileSync('/proc/self/auxv');
    const dv = new DataView(b.buffer, b.byteOffset, b.length);
    for (let o = 0; o + 16 <= b.length; o += 16) {
      hostAux.set(Number(dv.getBigUint64(o, true)), Number(dv.getBigUint64(o + 8, true)));
    }
  } catch {
    /* no /proc: defaults below */
  }
  return hostAux;
}

export interface LoadResult {
  entry: number;
  sp: number;
  /** load bias of the main image (for AT_* and debugging) */
  bias: number;
  interpBase: number;
  /** the auxiliary vector as the stack holds it (pairs of u64, AT_NULL last): /proc/<pid>/auxv */
  auxv: Uint8Array;
}

export interface LoadOptions {
  argv: string[];
  envp: string[];
  execfn: string;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  random: Uint8Array;
}

/** MAX_ARG_STRLEN and the total budget of execve (fs/exec.c) */
export const MAX_ARG_STRLEN = 32 * PAGE_SIZE;
/** stack pages below the initial stack pointer's that exec maps at once */
const STACK_PREFAULT_PAGES = 3;
/** ARG_MAX (include/uapi/linux/limits.h): the argument budget however small the stack */
const ARG_MAX = 131072;
/**
 * bprm_stack_limits (fs/exec.c): the bytes execve's argument and
 * environment strings and their pointers may take, for a stack limited to
 * rlimStack (RLIMIT_STACK's soft limit): a quarter of it, at most 3/4 of
 * _STK_LIM, at least ARG_MAX.
 */
export function execArgMax(rlimStack: number): number {
  return Math.max(Math.min((_STK_LIM / 4) * 3, Math.floor(rlimStack / 4)), ARG_MAX);
}

/**
 * Map the image (and its interpreter) into the empty mm and build the initial
 * stack. Returns the entry point and stack pointer.
 */
export function loadElf(mm: AddressSpace, img: ElfImage, interp: ElfImage | null, o: LoadOptions): LoadResult {
  let bias = 0;
  if (img.type === ET_DYN) bias = ELF_ET_DYN_BASE - span(img)[0];
  const top = mapSegments(mm, img, bias);
  mm.brkStart = mm.brk = top;

  let interpBase = 0;
  let entry = bias + img.entry;
  if (interp) {
    const [lo, hi] = span(interp);
    interpBase = mm.findFree(hi - lo) - lo;
    mapSegments(mm, interp, interpBase);
    entry = interpBase + interp.entry;
  }

  // AT_PHDR: PT_PHDR's address, else where the headers sit in the first segment
  let phdrAddr = 0;
  const pphdr = img.phdrs.find((p) => p.type === PT_PHDR);
  if (pphdr) phdrAddr = bias + pphdr.vaddr;
  else {
    const first = img.phdrs.find((p) => p.type === PT_LOAD && p.offset <= img.phoff && img.phoff < p.offset + p.filesz);
    if (first) phdrAddr = bias + first.vaddr + (img.phoff - first.offset);
  }
  const execStack = img.phdrs.find((p) => p.type === PT_GNU_STACK);
  const stackProt = PROT_READ | PROT_WRITE | (execStack && execStack.flags & PF_X ? PROT_EXEC : 0);
  mm.mapFixed(STACK_TOP - 32 * PAGE_SIZE, STACK_TOP, stackProt, MAP_PRIVATE | MAP_GROWSDOWN, null, 0, '[stack]');

  // the vDSO (mm/vdso.ts), wherever there is room, as Linux's map_vdso
  const vdso = mm.physmem.vdso.image;
  let vdsoAddr = 0;
  if (vdso) {
    vdsoAddr = mm.findFree(vdso.size);
    mm.mapFixed(vdsoAddr, vdsoAddr + vdso.size, PROT_READ | PROT_EXEC, MAP_PRIVATE, vdso.file, 0, '');
    mm.prefault(vdsoAddr, vdsoAddr + vdso.size);
  }

  const aux = hostAuxv();
  const auxv: Array<[number, number]> = [
    [AT_HWCAP, aux.get(AT_HWCAP) ?? 0],
    [AT_PAGESZ, PAGE_SIZE],
    [AT_CLKTCK, 100],
    [AT_PHDR, phdrAddr],
    [AT_PHENT, 56],
    [AT_PHNUM, img.phnum],
    [AT_BASE, interp ? interpBase : 0],
    [AT_FLAGS, 0],
    [AT_ENTRY, bias + img.entry],
    [AT_UID, o.uid],
    [AT_EUID, o.euid],
    [AT_GID, o.gid],
    [AT_EGID, o.egid],
    [AT_SECURE, 0],
  ];
  if (vdsoAddr) auxv.push([AT_SYSINFO_EHDR, vdsoAddr]);
  if (aux.has(AT_HWCAP2)) auxv.push([AT_HWCAP2, aux.get(AT_HWCAP2)!]);
  if (aux.has(AT_MINSIGSTKSZ)) auxv.push([AT_MINSIGSTKSZ, aux.get(AT_MINSIGSTKSZ)!]);

  const sp = buildStack(mm, o, auxv);
  // the pages just below the arguments: start-up code (the C library's, a buffer on the stack) touches them at
  // once; mapped in exec's own batch instead of a mapper run or a fault each
  const spPage = Math.floor(sp / PAGE_SIZE) * PAGE_SIZE;
  mm.prefault(Math.max(STACK_TOP - 32 * PAGE_SIZE, spPage - STACK_PREFAULT_PAGES * PAGE_SIZE), spPage);
  const av = new DataView(new ArrayBuffer((auxv.length + 1) * 16));
  auxv.forEach(([k, v], i) => {
    av.setBigUint64(16 * i, BigInt(k), true);
    av.setBigUint64(16 * i + 8, BigInt(v), true);
  });
  return { entry, sp, bias, interpBase, auxv: new Uint8Array(av.buffer) };
}

/** create_elf_tables: strings at the top, then random bytes, auxv, envp, argv, argc. */
function buildStack(mm: AddressSpace, o: LoadOptions, auxv: Array<[number, number]>): number {
  const enc = (s: string): Uint8Array => encodeName(s + '\0');
  let p = STACK_TOP - 8;
  const put = (b: Uint8Array): number => {
    p -= b.length;
    mm.write(p, b);
    return p;
  };
  // Linux's order (copy_strings): argv strings ascending, then envp's, then the
  // file name at the top. Programs rely on it: libuv takes argv[0] .. the end
  // of the last string as one area to write the process title into.
  const block = (strs: readonly string[]): number[] => {
    const parts = strs.map(enc);
    const start = put(Buffer.concat(parts));
    let at = start;
    return parts.map((b) => ((at += b.length), at - b.length));
  };
  const execfn = put(enc(o.execfn));
  const envPtrs = block(o.envp);
  const argPtrs = block(o.argv);
  const platform = put(enc('x86_64'));
  p = Math.floor(p / 16) * 16; // (no bitwise ops: addresses exceed 32 bits)
  const random = put(o.random.subarray(0, 16));
  auxv.push([AT_RANDOM, random], [AT_PLATFORM, platform], [AT_EXECFN, execfn], [AT_NULL, 0]);
  const words = 1 + argPtrs.length + 1 + envPtrs.length + 1 + auxv.length * 2;
  p = Math.floor((p - words * 8) / 16) * 16;
  const sp = p;
  const tbl = new DataView(new ArrayBuffer(words * 8));
  let w = 0;
  const word = (v: number): void => {
    tbl.setBigUint64(w, BigInt(v), true);
    w += 8;
  };
  word(o.argv.length);
  for (const a of argPtrs) word(a);
  word(0);
  for (const e of envPtrs) word(e);
  word(0);
  for (const [k, v] of auxv) {
    word(k);
    word(v);
  }
  mm.write(sp, new Uint8Array(tbl.buffer));
  return sp;
}
