/**
 * run() for the umlts command: the same options and outcome, with the
 * kernel on the calling thread (worker.ts runHere) instead of in a worker
 * of its own. The command has nothing else to do while its guest runs, and
 * a worker thread costs about as much to start as Node itself (a V8
 * isolate, Node's bootstrap again, its own copy of every built-in module):
 * most of what `umlts run` spent before its guest's first instruction.
 *
 * The kernel's bundle is loaded only here, when a program is to run, so
 * --help, --version and a bad flag stay as quick as the option parser.
 * The guest's stdio are the caller's own fds or /dev/null (stdio 'inherit'
 * or 'ignore'): nothing here could read a pipe while the kernel runs, so
 * 'pipe', `input`, `timeout` and `maxBuffer` are not offered.
 *
 * Ownership: nothing outlives a call; the replies are this thread's.
 */
import { runConfig, sandboxConfig, RunOptions } from './options.js';
import { fromInfo, OptionError, UmltsError } from './errors.js';
import { loadKernel } from './load_kernel.js';
import type { FromWorker, SandboxStats } from './protocol.js';
import { mark } from './timing.js';

/** How the program ended: its wait status (exit code << 8, or the signal number), and the counters. */
export interface HereResult {
  status: number;
  stats: SandboxStats;
}

/**
 * Run one program (the sandbox's init) to its end on this thread; blocks it
 * meanwhile. Rejects with OptionError, ExecError or KernelError, as run().
 */
export async function runHere(argv: readonly string[], options: Omit<RunOptions, 'input' | 'timeout' | 'maxBuffer'>): Promise<HereResult> {
  const c = runConfig(argv, options);
  if (c.spawn.stdio.includes('pipe')) throw new OptionError("stdio 'pipe': nothing reads a pipe while the kernel runs on this thread");
  const cfg = sandboxConfig(c.sandbox);
  const kernel = loadKernel();
  mark('cli: kernel loaded');
  const out: { status: number | null; stats: SandboxStats | null; failure: UmltsError | null } = { status: null, stats: null, failure: null };
  await kernel.runHere(cfg, c.spawn, (m: FromWorker) => {
    switch (m.type) {
      case 'bootError':
      case 'spawnError':
        out.failure = fromInfo(m.error);
        break;
      case 'exit':
        out.status = m.status;
        break;
      case 'closed':
        out.stats = m.stats;
        if (m.error) out.failure ??= fromInfo(m.error);
        break;
    }
  }, (url) => import(url));
  if (out.failure) throw out.failure;
  // the kernel ended before its init did (as a Sandbox's end gives it): SIGKILL
  return { status: out.status ?? 9, stats: out.stats ?? { kernel: {}, mm: {}, filehandles: {} } };
}
