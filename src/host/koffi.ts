/**
 * Loading koffi, once per thread (Node's require cache keeps its native
 * module): for the kernel's host calls (libc.ts), and before the kernel is
 * loaded, for mapping the kernel's bundle (map_file.ts).
 */
import { createRequire } from 'node:module';
import type Koffi from 'koffi';

/**
 * koffi, the quick way when it can be: its prebuilt native module straight
 * from the package koffi itself would pick here (@koromix/koffi-linux-x64,
 * the glibc build: umlts loads libc.so.6, so the host is glibc). That skips
 * koffi's loader (package-exports resolution twice, reading Node's own ELF
 * header to tell glibc from musl, deprecation wrappers), which cost as much
 * as the dlopen itself and was a tenth of a start (issue 14). Anything else
 * (another layout, a module that will not load) takes koffi's own loader.
 */
export function loadKoffi(): typeof Koffi {
  const req = createRequire(import.meta.url);
  try {
    const native = req('@koromix/koffi-linux-x64/linux_x64/koffi.node') as typeof Koffi;
    if (typeof native.load === 'function' && typeof native.errno === 'function' && typeof native.view === 'function') return native;
  } catch {
    // koffi's own loader below
  }
  return req('koffi') as typeof Koffi;
}
