/**
 * umlts as a library: sandboxes from TypeScript that never block the
 * caller. The kernel runs in a worker thread (lib/worker.ts); this thread
 * talks to it (lib/sandbox.ts). See the README's "Library" section.
 */
export { run, Sandbox, GuestProcess } from './lib/sandbox.js';
export type { ExitStatus, Result } from './lib/sandbox.js';
export { UmltsError, OptionError, ExecError, KernelError, ClosedError, MaxBufferError } from './lib/errors.js';
export { UsageError, parseSize, parseMount, resolveUser } from './lib/options.js';
export type { SandboxOptions, SpawnOptions, RunOptions, MountOption, FileOption, CapabilitySets, StdioMode, GuestUser } from './lib/options.js';
export type { SandboxStats, SyscallCall, SyscallEvent, SignalEvent } from './lib/protocol.js';
