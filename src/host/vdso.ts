/**
 * The host's vDSO as this process sees it: where its data pages ([vvar],
 * [vvar_vclock]...) lie relative to it, and where __vdso_clock_gettime is
 * in it. Every process of this host kernel has the same layout, only
 * placed elsewhere; each stub moves its own to STUB_HOST_VDSO in this
 * layout (the spec below), and the guest's vDSO (native/vdso) calls that
 * function there.
 *
 * Ownership: read once (hostVdso memoizes), immutable after.
 */
import { readFileSync } from 'node:fs';
import { view } from './libc.js';

export interface HostVdso {
  /** the stub's argument: the vDSO's offset from the first data page, then offset,size of each mapping */
  readonly spec: string;
  /** the whole span's size, bytes */
  readonly span: number;
  /** __vdso_clock_gettime's offset in the span */
  readonly clockGettime: number;
}

/** The guest's vDSO image (native/vdso, built to path), or null if it is missing (programs then run without one). */
export function readVdsoImage(path: string): Uint8Array | null {
  try {
    const bytes = new Uint8Array(readFileSync(path));
    return bytes.length > 0 ? bytes : null;
  } catch {
    return null;
  }
}

/** memoized (undefined: not read yet); immutable once read */
let cached: HostVdso | null | undefined;

/** The host's vDSO layout, or null if this host has none the kernel can use. */
export function hostVdso(): HostVdso | null {
  if (cached === undefined) {
    try {
      cached = readHostVdso();
    } catch {
      cached = null;
    }
  }
  return cached;
}

function readHostVdso(): HostVdso | null {
  const maps = readFileSync('/proc/self/maps', 'latin1').split('\n');
  // the vDSO and the data pages just below it: one contiguous run of special mappings
  const i = maps.findIndex((l) => l.endsWith(' [vdso]'));
  if (i < 0) return null;
  const range = (l: string): [number, number] => {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(l);
    if (!m) throw new Error('maps');
    return [parseInt(m[1]!, 16), parseInt(m[2]!, 16)];
  };
  const regions = [range(maps[i]!)];
  for (let j = i - 1; j >= 0 && /\[vvar[^\]]*\]$/.test(maps[j]!); j--) {
    const r = range(maps[j]!);
    if (r[1] !== regions[0]![0]) break;
    regions.unshift(r);
  }
  const first = regions[0]![0], vdso = regions[regions.length - 1]![0], vdsoEnd = regions[regions.length - 1]![1];
  const off = symbolOffset(vdso, vdsoEnd - vdso, '__vdso_clock_gettime');
  if (off < 0) return null;
  const spec = [vdso - first, ...regions.flatMap(([lo, hi]) => [lo - first, hi - lo])].join(',');
  return { spec, span: vdsoEnd - first, clockGettime: vdso - first + off };
}

/** A dynamic symbol's offset in the ELF image mapped at base (DT_HASH's count; the vDSO has one), or -1. */
function symbolOffset(base: number, len: number, name: string): number {
  const dv = new DataView(view(BigInt(base), len));
  const u64 = (o: number) => Number(dv.getBigUint64(o, true));
  if (dv.getUint32(0, true) !== 0x464c457f) return -1;
  const phoff = u64(0x20), phnum = dv.getUint16(0x38, true);
  let dyn = -1, loadVaddr = -1;
  for (let k = 0; k < phnum; k++) {
    const p = phoff + k * 56, type = dv.getUint32(p, true);
    if (type === 2 /* PT_DYNAMIC */) dyn = u64(p + 8);
    if (type === 1 /* PT_LOAD */ && loadVaddr < 0) loadVaddr = u64(p + 16) - u64(p + 8);
  }
  if (dyn < 0 || loadVaddr < 0) return -1;
  // the image is mapped as it is: an address in it is its vaddr less the first PT_LOAD's vaddr - offset
  const at = (vaddr: number) => vaddr - loadVaddr;
  let symtab = -1, strtab = -1, hash = -1;
  for (let d = dyn; d + 16 <= len; d += 16) {
    const tag = u64(d), val = u64(d + 8);
    if (tag === 0) break;
    if (tag === 6) symtab = at(val);
    else if (tag === 5) strtab = at(val);
    else if (tag === 4) hash = at(val);
  }
  if (symtab < 0 || strtab < 0 || hash < 0) return -1;
  const nsyms = dv.getUint32(hash + 4, true);
  const want = Buffer.from(name + '\0', 'latin1');
  for (let k = 0; k < nsyms; k++) {
    const sym = symtab + k * 24, nameOff = strtab + dv.getUint32(sym, true);
    let same = true;
    for (let c = 0; c < want.length && same; c++) same = dv.getUint8(nameOff + c) === want[c];
    if (same) return at(u64(sym + 8));
  }
  return -1;
}
