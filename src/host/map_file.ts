/**
 * A file mapped read-only, for the loader of the kernel's bundle
 * (src/lib/load_kernel.ts), which runs before the kernel and its libc.ts.
 *
 * Why: reading the 0.8 MB bundle into a fresh buffer faulted in each of
 * its ~200 pages one at a time, and on a host where a page fault costs
 * ~10 µs (a PVM guest) that was 2-3 ms of every start. A private file
 * mapping faults in the page cache 16 pages at a time (fault-around), and
 * the bytes are copied once, into the string V8 compiles.
 */
import { openSync, fstatSync, closeSync } from 'node:fs';
import { PROT_READ, MAP_PRIVATE } from '../abi/mman.js';
import { loadKoffi } from './koffi.js';

/** A mapped file: its bytes (valid until unmap), its size and modification time. */
export interface MappedFile {
  readonly bytes: Buffer;
  readonly mtimeMs: number;
  /** Unmap it: nothing may touch `bytes` after. */
  unmap(): void;
}

/** mmap and munmap of libc, declared on first use (once per thread); null once they proved unavailable */
let calls: { mmap: (...a: unknown[]) => unknown; munmap: (...a: unknown[]) => unknown; view: (p: bigint, n: number) => ArrayBuffer } | null | undefined;

/** path mapped read-only, or null (no such file, an empty one, no mmap here): the caller reads it instead. */
export function mapFile(path: string): MappedFile | null {
  if (calls === undefined) {
    try {
      const koffi = loadKoffi();
      const libc = koffi.load('libc.so.6');
      calls = {
        mmap: libc.func('uintptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, int64_t off)'),
        munmap: libc.func('int munmap(uintptr_t addr, size_t len)'),
        view: (p, n) => koffi.view(p, n) as ArrayBuffer,
      };
    } catch {
      calls = null;
    }
  }
  const c = calls;
  if (c === null) return null;
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    const size = st.size;
    if (size === 0) return null;
    // koffi hands back a Number when the value fits and a BigInt otherwise
    const ptr = BigInt(c.mmap(0n, size, PROT_READ, MAP_PRIVATE, fd, 0) as number | bigint);
    if (ptr >= 0xfffffffffffff000n) return null;
    let mapped = true;
    return {
      bytes: Buffer.from(c.view(ptr, size)),
      mtimeMs: st.mtimeMs,
      unmap: () => {
        if (mapped) c.munmap(ptr, size);
        mapped = false;
      },
    };
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
