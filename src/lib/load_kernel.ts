/**
 * Loading the kernel (dist/umlts-kernel.cjs, the bundle of worker.ts and
 * everything below it, made by npm run build): in a Sandbox's worker
 * (kernel_worker.ts), or on the umlts command's own thread (run_here.ts).
 * The kernel itself never calls import(): a script compiled from a code
 * cache cannot (worker.ts ImportModule).
 *
 * Why not import(): the bundle is 0.8 MB, and compiling it was the largest
 * single cost of a start (as an ES module it is also read and decoded by
 * the module loader, and every node: built-in it names becomes a module
 * record). So it is a CommonJS bundle compiled here as a vm.Script with
 * V8's code cache (dist/umlts-kernel.cache, written by
 * scripts/code_cache.mjs after the build runs one guest): the functions a
 * start needs arrive compiled. A cache V8 rejects (another Node, other
 * flags) or a missing one costs only the time it would save.
 *
 * Ownership: `loaded` is module state of the thread that loads it, set
 * once; the kernel module is then immutable.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { PKG_ROOT } from '../host/paths.js';
import { mapFile } from '../host/map_file.js';
import { mark } from './timing.js';

/** The kernel's bundle and its code cache; immutable */
export const KERNEL_BUNDLE = join(PKG_ROOT, 'dist', 'umlts-kernel.cjs');
export const KERNEL_CACHE = join(PKG_ROOT, 'dist', 'umlts-kernel.cache');

export type KernelModule = typeof import('./worker.js');

/**
 * The bundle's last line, `//# umlts-kernel <sha256 of the rest>`; the cache
 * file starts with the same 64 hex digits. V8 checks a cache only against
 * the source's length, and a cache used with other source runs the old
 * code: the stamp ties a cache to the build that made it, and a bundle
 * newer than its cache (edited by hand since) is not trusted either.
 * (Hashing the text at every start would cost a tenth of what the cache saves.)
 */
export const STAMP_PREFIX = '//# umlts-kernel ';
const STAMP_LEN = 64;

/** the module and the script it came from (for kernelCodeCache), once loaded on this thread */
let loaded: { module: KernelModule; script: vm.Script; cacheRejected: boolean | undefined } | null = null;

/** The kernel's module, loaded (and, in a Sandbox's worker, started) on first call. */
export function loadKernel(): KernelModule {
  if (loaded) return loaded.module;
  mark('load: reading the kernel');
  // the bundle mapped, not read (host/map_file.ts says why); it is ASCII (scripts/bundle.mjs), so latin1 is its
  // text, decoded without UTF-8's scan
  const bundle = mapFile(KERNEL_BUNDLE);
  const source = bundle ? bundle.bytes.toString('latin1') : readFileSync(KERNEL_BUNDLE, 'latin1');
  bundle?.unmap();
  let cachedData: Buffer | undefined;
  const at = source.lastIndexOf(STAMP_PREFIX);
  const stamp = at >= 0 ? source.slice(at + STAMP_PREFIX.length, at + STAMP_PREFIX.length + STAMP_LEN) : '';
  // the cache read, not mapped: a kernel compiled from a cache V8 consumed straight out of a mapping ran its first
  // half second of traps ~15% slower here (a getppid loop: 9.9 against 8.7 us; measured in session 32, not
  // explained), more than the mapping saves
  try {
    const file = readFileSync(KERNEL_CACHE);
    const fresh = statSync(KERNEL_CACHE).mtimeMs >= (bundle ? bundle.mtimeMs : statSync(KERNEL_BUNDLE).mtimeMs);
    if (fresh && stamp.length === STAMP_LEN && file.toString('latin1', 0, STAMP_LEN) === stamp) cachedData = file.subarray(STAMP_LEN);
  } catch {
    // none (a bundle built by hand): compiled from source
  }
  // the bundle is CommonJS's wrapper function (scripts/bundle.mjs), compiled as read; import.meta.url is the
  // bundle's (esbuild --define'd it to __kernel_url)
  const script = new vm.Script(source, {
    filename: KERNEL_BUNDLE,
    cachedData,
  });
  mark(`load: compiled (code cache ${!cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used'})`);
  const module = { exports: {} as KernelModule };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  loaded = { module: module.exports, script, cacheRejected: cachedData ? script.cachedDataRejected : undefined };
  wrapper(module.exports, createRequire(KERNEL_BUNDLE), module, KERNEL_BUNDLE, dirname(KERNEL_BUNDLE), pathToFileURL(KERNEL_BUNDLE).href);
  loaded.module = module.exports;
  return module.exports;
}

/** V8's code cache of the kernel as loaded and run so far on this thread (scripts/code_cache.mjs), and whether the old one was rejected. */
export function kernelCodeCache(): { data: Buffer; rejected: boolean | undefined } {
  if (!loaded) throw new Error('the kernel is not loaded');
  return { data: loaded.script.createCachedData(), rejected: loaded.cacheRejected };
}
