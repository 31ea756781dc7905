/**
 * What the caller's thread and the kernel's worker say to each other.
 *
 * To the worker: a message on a MessagePort of its own (never listened to:
 * the worker sits in the kernel's trap loop and takes messages with
 * receiveMessageOnPort), then a byte written to a pipe the kernel watches
 * (the wake fd), whose readiness stops the waker and so ends the kernel's
 * waitpid. From the worker: parentPort.postMessage, delivered on the
 * caller's event loop while the kernel goes on.
 */
import type { ErrorInfo } from './errors.js';
import type { SpawnConfig } from './options.js';

/** Counters, as --stats prints them. */
export interface SandboxStats {
  /** syscalls, stub processes started, execs, page faults that slept for an OOM victim's memory, the
   * scheduler's checks of the host's load for polling (systrap) and how many of them left it on */
  kernel: Record<string, number>;
  /** guest memory: pages, faults, the file page cache */
  mm: Record<string, number>;
  /** the host filesystems' host fds: budget, open, peak, reclaimed... */
  filehandles: Record<string, number>;
}

/** A syscall as a hook sees it, as it enters. */
export interface SyscallCall {
  /** the guest's process id and thread id */
  pid: number;
  tid: number;
  /** the thread's name (/proc/PID/comm) */
  comm: string;
  /** the x86-64 syscall number and its Linux name */
  nr: number;
  name: string;
  /** the six argument registers as signed 64-bit numbers (exact within ±2^53) */
  args: number[];
  /** the path argument of a path-taking call (its first), as the guest passed it */
  path?: string;
}

/** A finished syscall: the 'syscall' event. */
export interface SyscallEvent extends SyscallCall {
  /** the result: a value, or -errno */
  ret: number;
  /** the errno's name when it failed */
  errno?: string;
  /** the --strace line */
  line: string;
}

/** A signal being delivered: the 'signal' event. */
export interface SignalEvent {
  pid: number;
  tid: number;
  signal: string;
  /** si_code */
  code: number;
  line: string;
}

export type ToWorker =
  | { op: 'spawn'; id: number; spawn: SpawnConfig }
  | { op: 'kill'; pid: number; sig: number }
  | { op: 'trace'; on: boolean }
  | { op: 'close' };

export type FromWorker =
  | { type: 'ready'; wakeFd: number; pgid: number }
  | { type: 'bootError'; error: ErrorInfo }
  /** fds: the caller's ends of the stdio pipes (-1: not a pipe) */
  | { type: 'spawned'; id: number; pid: number; fds: [number, number, number] }
  | { type: 'spawnError'; id: number; error: ErrorInfo }
  /** status: as wait(2) encodes it */
  | { type: 'exit'; pid: number; status: number }
  | { type: 'trace'; syscalls: SyscallEvent[]; signals: SignalEvent[] }
  | { type: 'log'; line: string }
  /** the kernel is gone (error: it failed) and every host process with it */
  | { type: 'closed'; stats: SandboxStats; error?: ErrorInfo };
