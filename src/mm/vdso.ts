/**
 * The guest's vDSO (Linux's arch/x86/entry/vdso/vma.c): the image built
 * from native/vdso, which exec maps into every new program (the loader;
 * AT_SYSINFO_EHDR), and the words it reads in each process's batch page
 * (STUB_BATCH_VDSO, read-only to the guest): the address of the host's
 * clock_gettime in the stub (Platform.hostVdsoClock; 0: the guest's vDSO
 * makes the syscall) and the guest's wall-clock offset from the host's
 * (settimeofday in the guest), so that the C library reads the clocks
 * without a trap and sees what clock_gettime(2) says.
 *
 * Ownership: one per Physmem (kernel-wide), guarded by the JS thread; the
 * kernel sets realtimeOffsetNs at settimeofday, then rewrites every live
 * process's words (AddressSpace.writeVdso; the host clock's address is
 * each process's, AddressSpace.hostVdsoClock).
 */
import * as host from '../host/libc.js';
import { STUB_BATCH_VDSO, STUB_HOST_VDSO, STUB_HOST_VDSO_SIZE } from '../platform/stub_layout.js';
import type { VmFile } from './vma.js';

export class Vdso {
  /** the guest's CLOCK_REALTIME less the host's, ns */
  realtimeOffsetNs = 0n;
  /** the image, shared through the page cache; null if it could not be read (no vDSO: the C library traps) */
  readonly image: { file: VmFile; size: number } | null;

  /** bytes: the built image (host/vdso.ts readVdsoImage), null if it is missing */
  constructor(bytes: Uint8Array | null) {
    this.image = bytes ? { file: imageFile(bytes), size: Math.ceil(bytes.length / 4096) * 4096 } : null;
  }

  /** The words in one batch page (each an aligned 8-byte store: a guest thread reading them sees old or new);
   * hostClock: Platform.hostVdsoClock when the process's stub started. */
  write(batch: DataView, hostClock: number): void {
    const w = new BigInt64Array(batch.buffer, batch.byteOffset + STUB_BATCH_VDSO, 2);
    Atomics.store(w, 0, BigInt(hostClock));
    Atomics.store(w, 1, this.realtimeOffsetNs);
  }
}

/** The image as a file mappings copy from (its frames cached once, shared copy-on-write by every process). */
function imageFile(bytes: Uint8Array): VmFile {
  return {
    fillHost(off: number, ptr: bigint, len: number): number {
      const n = Math.min(len, bytes.length - off);
      if (n <= 0) return 0;
      new Uint8Array(host.view(ptr, n)).set(bytes.subarray(off, off + n));
      return n;
    },
    cacheKey: `[vdso]:${bytes.length}`,
    mapName: '[vdso]',
    mapDev: 0,
    mapIno: 0,
  };
}

/** A syscall from the stub's copy of the host's vDSO: its fallback when the host's clock source needs one. The
 * guest's vDSO called it and adds the guest's wall-clock offset itself: such a clock_gettime answers the host's
 * clock (which the host's vDSO would have read from its data pages anyway). */
export function fromHostVdso(rip: number): boolean {
  return rip >= STUB_HOST_VDSO && rip < STUB_HOST_VDSO + STUB_HOST_VDSO_SIZE;
}
