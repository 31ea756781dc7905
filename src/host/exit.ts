/**
 * The command's own exit (src/cli.ts), once the run is over: _exit(2)
 * where nothing in this process waits for Node's exit, else
 * process.exit(). Node's exit joins its platform threads and tears its
 * heap and environment down, ~4 ms of a short run here (issue 14), for
 * nothing a finished run needs: the kernel has shut down, and the
 * command's own output went out with each write unless a full pipe queued
 * some (a stream's writableLength; process.exit() would drop those bytes
 * too). Kept for Node's exit: that case, 'exit' listeners, and Node
 * options (--cpu-prof, coverage: NODE_V8_COVERAGE) whose output Node
 * writes as it exits.
 */
import { loadKoffi } from './koffi.js';

/** Node made process.stdout or process.stderr (watchStdio); set on the main thread, read by exitNow */
let streams = false;

/**
 * Note whether Node makes its stdout or stderr stream (their getters make
 * them at first use): exitNow asks a stream for queued bytes only if it
 * exists, as making one costs as much as the exit saves. Call first.
 */
export function watchStdio(): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const d = Object.getOwnPropertyDescriptor(process, name);
    const get = d?.get;
    if (!d || !get || !d.configurable) {
      streams = true; // not Node's lazy getter: ask it at exit
      continue;
    }
    Object.defineProperty(process, name, { ...d, get: () => { streams = true; return get.call(process); } });
  }
}

export function exitNow(code: number): never {
  if (process.listenerCount('exit') === 0 && process.execArgv.length === 0 && !process.env.NODE_OPTIONS &&
    !process.env.NODE_V8_COVERAGE && (!streams || (process.stdout.writableLength === 0 && process.stderr.writableLength === 0))) {
    try {
      loadKoffi().load('libc.so.6').func('void _exit(int status)')(code);
    } catch {
      // Node's own exit below
    }
  }
  process.exit(code);
}
