/**
 * The platform: how guest code runs on the host and comes back to the
 * kernel, in gVisor's manner (pkg/sentry/platform/platform.go). The kernel
 * sees only this file: address spaces and their threads (Context), one
 * wait() that reports the next stop of any guest thread as a typed Stop,
 * kicks, host events (timers, host fds, host signals), CPU placement and
 * CPU clocks. `ptrace/` implements it with PTRACE_SYSEMU and a stub per
 * address space; `systrap/` with seccomp traps taken by the stub's signal
 * handler and handed over through shared memory (one doorbell futex).
 *
 * Every platform keeps the security rule of DESIGN.md: no sequence of guest
 * instructions makes a host process run a system call the kernel did not
 * ask for, with arguments the guest chose (see native/stub/stub.c).
 *
 * Ownership: a Platform belongs to one kernel and is used from the kernel's
 * one JS thread only; a Context belongs to the task running on it (a parked
 * one, to its address space). Lock order: none; every call is synchronous.
 */
import type { Regs } from './regs.js';
import { Errno, ErrnoError } from '../abi/errno.js';

/** What stopped a guest thread (Stop.kind). */
export const STOP_SYSCALL = 0, STOP_SECCOMP = 1, STOP_FAULT = 2, STOP_TRAP = 3, STOP_KICK = 4, STOP_SIGNAL = 5,
  STOP_EXIT = 6, STOP_EVENTS = 7, STOP_PENDING = 8;
/** What a stop's handling is called in the kernel's messages, by kind. */
export const STOP_NAMES: readonly string[] = ['syscall', 'syscall', 'page fault', 'trap', 'kick', 'host signal', 'host thread exit', 'host events', 'host signal pending'];
export type StopKind = typeof STOP_SYSCALL | typeof STOP_SECCOMP | typeof STOP_FAULT | typeof STOP_TRAP |
  typeof STOP_KICK | typeof STOP_SIGNAL | typeof STOP_EXIT | typeof STOP_EVENTS | typeof STOP_PENDING;

/** What the host said of the signal a thread stopped for (Context.getSiginfo); the kernel's scratch. */
export interface HostSiginfo {
  code: number;
  addr: number;
  err: number;
}

/**
 * One stop, as wait() fills it in (one record reused: nothing is allocated
 * per trap). kind:
 *  STOP_SYSCALL  a syscall instruction, stopped at entry; it never ran on the host
 *  STOP_SECCOMP  the same, reported by the stub's seccomp filter (the
 *                number must be cancelled on resume: resumeGuest's atSeccomp)
 *  STOP_FAULT    a SIGSEGV (a page fault, or a protection fault)
 *  STOP_TRAP     a SIGTRAP the guest raised (int3, single-step)
 *  STOP_KICK     the platform's own kick (kick()): a guest signal waits
 *  STOP_SIGNAL   another host signal (sig): the guest's own SIGBUS/SIGFPE/
 *                SIGILL, or one sent from outside
 *  STOP_EXIT     the host thread is gone, killed from outside: sig is the
 *                signal that killed it (0: it exited, with code status);
 *                the platform forgets it
 *  STOP_EVENTS   no thread: host events were handled (timers fired, fds
 *                ready); the kernel runs what they woke
 *  STOP_PENDING  not a stop: host signal sig, sent from outside, is pending
 *                on ctx, a thread the kernel holds (not running guest code),
 *                and would not be reported before it runs: its process gets
 *                it; the thread stays as it is (ptrace: a SIGCONT to a
 *                process stopped from outside)
 * Owned by the trap loop: wait() writes it, the kernel reads it until the next wait().
 */
export interface Stop {
  kind: StopKind;
  ctx: Context | null;
  sig: number;
  status: number;
}

/** A host thread running one guest thread (gVisor's platform.Context). */
export interface Context {
  /** host tid; immutable */
  readonly tid: number;
  /** host pid of its process (tgkill needs it); immutable */
  readonly tgid: number;
  /** the owner's pointer back (the kernel's task); owned by the kernel: set when a task takes the thread
   * (spawn, clone), null when it leaves (exit, death) */
  owner: unknown;
  /** the guest code it runs may jump to Platform.syscallPatchEntry (its address space has patched syscall sites):
   * the platform keeps what that entry needs only while this is true (systrap: the host gs base at the thread's
   * area, which costs every host context switch into the thread on a host without FSGSBASE); owned by the
   * kernel: set before each resumeGuest */
  fastEntry: boolean;
  /** its handler polls for the kernel's replies (it runs on another CPU than the kernel's): a trap and its reply
   * cost no context switch, so a patched call's saving is not lost to them (the kernel patches a site only in a
   * thread that polls); read-only here */
  readonly polls: boolean;
  /** its stop is a call through Platform.syscallPatchEntry, not a trap: anything beyond its general registers
   * (getXstate, setXstate, other fs or gs bases) first costs a synchronous round trip to the host thread;
   * read-only here, valid while the kernel holds the stop */
  readonly fast: boolean;
  getRegs(r: Regs): void;
  /** FPU/SSE/AVX state in XSAVE layout (a view valid until the next call). */
  getXstate(): Uint8Array;
  /** Set the FPU state; false if the host refuses it (a corrupt XSAVE image from the guest). */
  setXstate(x: Uint8Array): boolean;
  /** si_code and si_addr of the signal this thread is stopped for (code 0: none), and for a fault the x86 error
   * code the host's frame had (err: -1 where the platform cannot say: ptrace's siginfo has none). */
  getSiginfo(out: HostSiginfo): void;
  /** Resume guest code with these registers; the next syscall stops (it never runs on the host). -ESRCH if gone. */
  resumeGuest(r: Regs, atSeccomp: boolean): number;
  /** Host signals that arrived while stub code ran, for the kernel to drain; guarded by the JS thread
   * (the platform pushes while it waits for stub code, the kernel shifts them off at resume) */
  readonly pendingHostSignals: number[];
  /**
   * For mm: run the address space's queued mapping requests (its batch page)
   * in this stopped thread, synchronously. 0 or the first failing request's
   * -errno (index), and the result of the last one that succeeded.
   * StubFailed if the stub did not finish.
   */
  runBatch(): { err: number; index: number; last: number };
  /** For mm: a new host thread in this one's address space (stopped), or -errno. */
  cloneThread(): Context | number;
  /** For mm: end this stopped thread (a parked one not needed any more); synchronous. */
  retire(): void;
  /** The kernel will not resume this stopped thread soon (its syscall blocks): it need not poll for the reply. */
  blocked(): void;
}

/** The pages of an address space's stub that the kernel writes (its batch page). */
export interface StubPages {
  /** offset of the batch page in physmem; immutable */
  batchOff: number;
  /** the batch page through the kernel's physmem mapping; immutable reference, its bytes stub-shared: read-only
   * in the host process, written by the kernel (mm's queue, the flush) only while no stub code of its process runs */
  batch: DataView;
  /** the batch page's address in the kernel's physmem mapping (systrap: the futex its mapper waits on); immutable */
  batchAddr: bigint;
}

/**
 * Stub code the kernel started did not end where it should: it faulted or
 * trapped elsewhere (the guest can make that happen to itself, e.g. by
 * setting PKRU to deny the batch page), or a mapping request failed. The
 * kernel kills that guest process and goes on.
 */
export class StubFailed extends Error {
  constructor(readonly tid: number, what: string) {
    super(`stub run in host thread ${tid} failed: ${what}`);
  }
}

/**
 * A platform could not make a host process for a batch page, and cannot
 * tell that nothing of that attempt still watches the page (systrap: a
 * fork's copy it could not find to kill): the page's frame must never go
 * to another process (mm's make keeps it out of the pool). The guest's
 * call fails with EAGAIN.
 */
export class BatchPageLost extends ErrnoError {
  constructor() {
    super(Errno.EAGAIN);
  }
}

/** A guest's host thread vanished under a synchronous request (killed from outside). */
export class ContextGone extends Error {
  /** status: its wait status (reaped), or -1 (gone, not yet reaped) */
  constructor(readonly tid: number, readonly status: number) {
    super(`host thread ${tid} is gone (status ${status.toString(16)})`);
  }
}

/** The host terminal umlts made raw: its fd in umlts and its termios from before (struct termios). */
export interface SavedTerminal {
  readonly fd: number;
  readonly termios: Uint8Array;
}

/** A timer on CLOCK_MONOTONIC; deadline and fire are immutable. */
export interface Timer {
  /** CLOCK_MONOTONIC deadline, ns */
  readonly deadline: bigint;
  readonly fire: () => void;
  /** false once cancelled or fired; guarded by the JS thread (the HostEvents that made it writes it) */
  armed: boolean;
}

/** Monotonic clock in ns: the same clock as the platform's timers and as the guest's CLOCK_MONOTONIC. */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

/** Host events: what wakes a kernel that waits for guest stops. */
export interface HostEvents {
  /** Run fire() at the monotonic deadline (ns). */
  addTimer(deadline: bigint, fire: () => void): Timer;
  cancelTimer(t: Timer): void;
  /** Call cb once when host fd is ready for events (EPOLLIN/EPOLLOUT). False if it cannot be polled. */
  watch(fd: number, events: number, cb: () => void): boolean;
  /** Forget fd's watch (before the fd is closed). */
  unwatch(fd: number): void;
  /** Fire every timer whose deadline has passed; how many fired. */
  runExpired(): number;
  /** Host signals sent to umlts (the terminal's SIGWINCH, SIGHUP, SIGCONT), by number; see forwardHostSignals.
   * Filled by the front end before the kernel runs, read on the JS thread after. */
  readonly hostSignalHandlers: Map<number, () => void>;
}

export interface Platform {
  /** immutable */
  readonly events: HostEvents;
  /**
   * The kernel and the guests' threads poll for each other for a while
   * before they sleep, across CPUs (a hand-off costs a cache line, not two
   * context switches): threads that trap often belong on another CPU than
   * the kernel's, not beside it. Polling pays only while a CPU would idle
   * otherwise, so the scheduler turns it on and off (setSpinning) as the
   * host's load goes, unless spinForced. Read-only here.
   */
  readonly spinning: boolean;
  /** the platform can poll (and the user did not forbid it): the scheduler may turn spinning on; immutable */
  readonly canSpin: boolean;
  /** a context's runBatch may run while threads of its process run guest code (a mapper thread of their own
   * runs it: systrap), not only in a stopped thread (ptrace); immutable */
  readonly batchesWhileRunning: boolean;
  /** about how long each side polls before it sleeps (the kernel after a reply, a handler for its reply), ns:
   * polling pays only for a thread whose runs and stops are shorter (0 where nothing polls); immutable */
  readonly pollWindowNs: number;
  /** the user asked for polling whatever the load (UMLTS_SPIN=1: benchmarks); immutable */
  readonly spinForced: boolean;
  /** Poll (from the next wait and the next resume of each thread on) or not. */
  setSpinning(on: boolean): void;
  /**
   * Of the replies since the last call to a handler that polled for them,
   * the share it had stopped polling for (it slept: the reply needed a
   * wake-up across CPUs, which polling was there to avoid). -1 while too
   * few to tell (the counts go on). Platforms that never poll: absent.
   */
  pollMisses?(): number;
  /** Threads runnable on the whole host now, the kernel's own included (-1: unknown). Lets a thread beside the
   * kernel on its way to sleep get there first (it yields the kernel's CPU once). */
  hostRunnable(): number;
  /** where the host's __vdso_clock_gettime lies in a stub process spawned now (STUB_HOST_VDSO), for the guest's vDSO;
   * 0 if stubs get no host vDSO (none, or a stub could not keep it: from then on), and the guest's vDSO makes the
   * syscall */
  readonly hostVdsoClock: number;
  /**
   * Where a patched syscall site's entry jumps (the kernel's syscall
   * patching, src/mm/syscall_patch.ts): an address in the stub that
   * takes the call with eax = its number and rcx = the address after the
   * site, every other register the guest's, and returns to rcx as the
   * syscall instruction would. 0: this platform takes no patched calls
   * (the kernel patches nothing). Immutable.
   */
  readonly syscallPatchEntry: number;
  /** Whether a guest host thread is runnable now (running or ready for a CPU; false if gone). */
  threadRunnable(ctx: Context): boolean;
  /** A new, empty guest address space (a stub sharing physmem): its first thread, stopped. */
  newAddressSpace(physmemFd: number, pages: StubPages): Context;
  /**
   * A guest fork's address space (optional; newAddressSpace otherwise): a
   * copy of the host process of parent (a stopped thread of the address
   * space being forked), with the batch page `pages` and the parent's host
   * mappings as they are once `flushParent` has run its queued requests
   * (which the platform calls first; its batch may go in the same hand-off
   * as the copy). Its first thread, stopped. ErrnoError(EAGAIN) if the host refuses.
   */
  forkAddressSpace?(parent: Context, pages: StubPages, flushParent: () => void): Context;
  /**
   * Block until the next stop of one of this platform's guest threads, or
   * host events; fill `out`. Never reports (or reaps) a process that is not
   * the platform's own.
   */
  wait(out: Stop): void;
  /** Stop a thread running guest code soon (STOP_KICK), to deliver a signal or preempt it. */
  kick(ctx: Context): void;
  /** Stop a thread running guest code now, synchronously (its stop is not reported). False if it died. */
  stopNow(ctx: Context): boolean;
  /** A stopped thread leaves the host's CPU (a handler polling for its reply sleeps instead), so that its CPU
   * clock, which the host brings up to date only as a thread leaves its CPU, is current: before the kernel
   * reads it for a task that leaves the thread. */
  settle(ctx: Context): void;
  /** Kill the host process of ctx (asynchronously: its stops and death are the platform's from now on). */
  kill(ctx: Context): void;
  /** Call cb once the host process whose first thread is hostPid has been reaped (at once if it has). */
  whenReaped(hostPid: number, cb: () => void): void;
  /** Have these host signals, when the terminal sends them to umlts, reach events.hostSignalHandlers; and
   * tty, the host terminal umlts took over, be put back if umlts dies without doing so (killed by a signal). */
  forwardHostSignals(sigs: number[], tty?: SavedTerminal): void;
  /** Whether memoryBarrier can be had on this host (its MEMBARRIER_CMD_GLOBAL). */
  memoryBarrierAvailable(): boolean;
  /** Every host thread of every guest executes a full memory barrier before this returns (for the guest's
   * membarrier(2)). Throws HostError if the host refuses (memoryBarrierAvailable said no). */
  memoryBarrier(): void;
  /** Host CPUs this process may use. */
  allowedCpus(): number[];
  /** The host CPU the kernel's thread runs on now. */
  currentCpu(): number;
  /** How long the kernel's thread has waited for a host CPU (ready, not running) so far, ns; -1 if unknown. */
  kernelRunDelayNs(): number;
  /** CPU time the other threads of the kernel's host process have used so far, ns (V8's compiler and garbage
   * collector, an embedding program's own threads); -1 if unknown. */
  helpersCpuNs(): number;
  /** Pin a guest thread (null: the kernel's own thread) to one host CPU. */
  pin(ctx: Context | null, cpu: number): void;
  /** A host clock now, ns: CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW or CLOCK_TAI; null if the host has none. */
  clockNs(clock: number): bigint | null;
  /** The host clock's discipline as adjtimex(2) reads it (modes 0, or ADJ_OFFSET_SS_READ's remaining adjtime
   * offset) into tx, a struct timex: its clock state (TIME_OK...) or -errno. Never changes the host's clock. */
  clockDiscipline(tx: Uint8Array, ssRead: boolean): number;
  /** CPU time a guest thread / its whole host process has used, ns (0 if gone). */
  threadCpuNs(ctx: Context): number;
  processCpuNs(ctx: Context): number;
  /** Kill and reap every host process of the platform's; put back what it changed in the caller (CPU affinity). */
  shutdown(): void;
}
