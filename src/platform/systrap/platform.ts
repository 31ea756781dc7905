/**
 * The systrap platform (platform.ts's Platform), after gVisor's
 * pkg/sentry/platform/systrap: guest threads run untraced; their syscalls
 * (SECCOMP_RET_TRAP) and faults reach the stub's signal handler, which posts
 * them in the thread's message page and waits; the kernel waits on one
 * doorbell futex that every post, host event (the waker) and stub death
 * (its pidfd, through the waker's epoll) rings. No ptrace stop and no
 * waitpid on the hot path. The argument that this keeps the security rule
 * is at the top of native/stub/stub.c.
 *
 * Each address space is one stub process: its first thread (the mapper)
 * never runs guest code. It serves the kernel's requests (mapping batches,
 * thread clones, forks) in its loop (stub_mapper_loop): the kernel writes
 * the request in the batch page, bumps a futex word there and reads the
 * mapper's report from the report socket (request, takeReport): no ptrace
 * stop. Completion and results come from nothing a guest can forge: a
 * report record's length and first byte are chosen by the mapper's
 * registers from the stub's read-only bytes, and its sender is named by
 * the host (SCM_CREDENTIALS; stub.c S9); the one value a guest could
 * rewrite (a new thread's tid) is checked against the host. Every guest
 * thread is a host thread the mapper cloned, with its own filter. ptrace
 * is left for the start of a spawned stub, which is detached once its
 * loop runs.
 *
 * sysmem: one memfd, mapped whole here (viewed from JS a page or an area at
 * a time, areaView): the doorbell page at offset 0, then
 * a 16 KiB area per host thread (slot i at (i + 1) * STUB_AREA_SIZE), mapped
 * in its own process only at STUB_AREAS + i * STUB_AREA_SIZE.
 *
 * Ownership: one SystrapPlatform per kernel, used on the kernel's JS thread
 * only (guarded by the JS thread). `live` and `spaces` change in
 * newAddressSpace/newThread, retire, kill and onDeath. Lock order: none.
 */
import * as host from '../../host/libc.js';
import {
  Platform, Context, Stop, StubPages, ContextGone, StubFailed, BatchPageLost, monotonicNs, STOP_SYSCALL, STOP_FAULT, STOP_TRAP, STOP_KICK,
  STOP_SIGNAL, STOP_EXIT, STOP_EVENTS, SavedTerminal,
} from '../platform.js';
import { HostFacts, spawnKeepingVdso } from '../host_facts.js';
import { PtraceEvents } from '../ptrace/events.js';
import { Errno, ErrnoError } from '../../abi/errno.js';
import { SIGBUS, SIGILL, SIGFPE } from '../../abi/signal.js';
import { SYS_openat } from '../../abi/syscall_nr.js';
import { AF_UNIX, SOCK_SEQPACKET, SOCK_CLOEXEC, SOL_SOCKET, SO_PASSCRED, SO_RCVTIMEO } from '../../abi/socket.js';
import { HostThread, attachSpawned, spawnRelay, SIGKILL, SIGSEGV, SIGTRAP, WIFEXITED, WEXITSTATUS, WTERMSIG, WIFSTOPPED } from '../ptrace/thread.js';
import { SystrapThread, SysSpace, resetMessage } from './thread.js';
import { Regs, RIP } from '../regs.js';
import { SlotPool } from '../slot_pool.js';
import {
  loadStubSymbols, STUB_PATH, STUB_FD_PHYSMEM, STUB_FD_SYSMEM, STUB_FD_DONE, STUB_AREAS, STUB_AREA_SIZE, STUB_AREAS_MAX, DB_SEQ,
  STUB_BATCH_SEQ, STUB_BATCH_CMD, STUB_BATCH_ARG0, STUB_BATCH_ARG1, STUB_BATCH_ENTRY, STUB_BATCH_MAX, MAPPER_RUN,
  MAPPER_CLONE, MAPPER_FORK, MAPPER_RUN_FORK, MSG_TID,
  SYSMEM_WAKER, WK_EVENTS, WK_HOSTSIGS, MSG_STATE, MSG_FSTATE, MSG_POSTED, STUB_SIGKICK, STUB_PAGE_SIZE, SYSMEM_KSTATE, KS_SLEEPING, MSG_SPIN_MAX,
} from '../stub_layout.js';

const SIGSYS = 31, SYS_SECCOMP = 1;
/** the request words' indexes in SysSpace.request (a view from STUB_BATCH_ARG0) */
const REQ_ARG0 = 0, REQ_ARG1 = (STUB_BATCH_ARG1 - STUB_BATCH_ARG0) / 4, REQ_SEQ = (STUB_BATCH_SEQ - STUB_BATCH_ARG0) / 4,
  REQ_CMD = (STUB_BATCH_CMD - STUB_BATCH_ARG0) / 4;
/** a spawned mapper's ptrace options until its loop starts (then it is detached): EXITKILL; no TRACECLONE (the guest
 * threads it clones run untraced), no TRACEFORK (the copies it makes for guest forks run untraced: stub.c S8) */
const MAPPER_OPTIONS = host.PTRACE_O_EXITKILL | host.PTRACE_O_TRACESECCOMP | host.PTRACE_O_TRACESYSGOOD;
/** how long the kernel sleeps on the doorbell at most: a guest that rewinds the shared doorbell
 * word can make the kernel miss a ring (a lost wake-up delays other guests' posts by this much) */
const DOORBELL_TIMEOUT_NS = 5_000_000;
/** how often the kernel, about to sleep, looks whether the waker still lives (wakerGone), and how long it sleeps
 * at most once it is gone (it polls the host's fds itself then) */
const WAKER_CHECK_MS = 50, WAKERLESS_POLL_NS = 1_000_000;
/** how soon a stub process the kernel killed, or whose pidfd polled readable, is tried for its reap, and again
 * (doubling up to REAP_RETRY_MAX_NS) while the host still tears it down (a small one takes ~0.3 ms here) */
const REAP_RETRY_NS = 200_000n, REAP_RETRY_MAX_NS = 5_000_000n;
/** how long a synchronous wait for a thread's post (stopNow, a new thread's first) may take */
const POST_DEADLINE_MS = 2000;
/** how long waitPost waits in all for a thread the host is slow to run (stuck()) before it kills its process */
const POST_GIVEUP_MS = 30_000;
/** host CPU time a thread that does not answer a kick may use between two looks before it counts as stuck */
const STUCK_CPU_NS = 200_000_000;
/** polls of its message before a handler off the kernel's CPU sleeps for the reply, when spinning (a poll is
 * one `pause`, tens of ns) */
const HANDLER_SPIN = Math.min(Number(process.env.UMLTS_HSPIN ?? 2500), MSG_SPIN_MAX);
/** how long the kernel polls the doorbell before it sleeps, when spinning: about what a sleep and a
 * cross-CPU wake-up cost here, so polling never costs more than twice what sleeping would */
const KERNEL_SPIN_MS = Number(process.env.UMLTS_KSPIN_US ?? 50) / 1000;
/** how often settle() looks whether a handler sleeps yet (yielding the CPU between looks) */
const SETTLE_TRIES = 20;
/** polled waits before pollMisses() answers */
const POLL_WAITS_MIN = 32;
const SYSMEM_SIZE = (STUB_AREAS_MAX + 1) * STUB_AREA_SIZE;
/** how long the kernel waits for a mapper's report before it looks whether the mapper died (a populating
 * mmap of much memory may take longer: the wait goes on while the process lives) */
const REPORT_CHECK_US = 50_000;
/** Test hook (test/systrap.test.mjs): UMLTS_TEST_FORGE_TID=PID (or `mapper`) rewrites the tid in a new thread's
 * area, as a sibling racing its clone could, for every thread but a process's first; immutable */
const TEST_FORGE_TID = process.env.UMLTS_TEST_FORGE_TID ?? '';
/** Test hook: UMLTS_TEST_FORK_GIVEUP=1 gives every fork up once its parent has reported, as if its copy had not
 * said it was born in time; immutable */
const TEST_FORK_GIVEUP = process.env.UMLTS_TEST_FORK_GIVEUP === '1';
/** UMLTS_PATCH=0: no syscall patching (the kernel leaves guest code as it is); immutable */
const PATCH = process.env.UMLTS_PATCH !== '0';

/** A guest fork under way (forkAddressSpace, awaitFork): its parent's process, the copy's area slot (taken) and
 * nonce, its request's arguments, what the records said so far (-1, 0: not yet) */
interface ForkWait {
  readonly space: SysSpace;
  readonly slot: number;
  readonly nonce: number;
  readonly batchOff: number;
  readonly arg1: number;
  /** asked with a run of the parent's once (MAPPER_RUN_FORK): only its first, whatever came of it */
  tried: boolean;
  /** asked with the parent's run, and that run did not fail */
  withRun: boolean;
  /** the parent's report: 0 (forked) or its errno; after awaitFork, EAGAIN for a copy given up */
  err: number;
  /** the copy's pid (its born record) */
  child: number;
  /** the copy's report of its first thread's clone */
  cloned: number;
}

export class SystrapPlatform extends HostFacts implements Platform {
  /** timers without the timerfd: wait() sleeps on the doorbell no longer than the first deadline */
  readonly events = new PtraceEvents(false);
  /** on a host with two CPUs or more, unless UMLTS_SPIN=0; immutable */
  readonly canSpin = process.env.UMLTS_SPIN !== '0' && host.allowedCpus().length > 1;
  /** Platform.batchesWhileRunning: the process's mapper runs its batches */
  readonly batchesWhileRunning = true;
  /** UMLTS_SPIN=1: poll whatever the load; immutable */
  readonly spinForced = this.canSpin && process.env.UMLTS_SPIN === '1';
  /** polling now (Platform.spinning); guarded by the JS thread (the scheduler's setSpinning) */
  spinning = this.spinForced;
  /** SystrapHost.polls */
  readonly polls = { waits: 0, missed: 0, resumedPolling: false };
  /** Platform.pollWindowNs: the kernel's (a handler's, HANDLER_SPIN pauses, is about as long on this CPU kind) */
  readonly pollWindowNs = KERNEL_SPIN_MS * 1e6;
  /** immutable */
  readonly sysmemFd: number;
  private readonly sysmemBase: bigint;
  /** each slot's area, viewed on first use (one view of the whole 64 MiB costs V8 tens of ms of GC at start-up);
   * guarded by the JS thread */
  private readonly areaViews: Array<ArrayBuffer | undefined> = [];
  /** the doorbell page's words; immutable reference, shared with every stub and the waker */
  private readonly db: Int32Array;
  /** the waker's page's words (the waker's and the kernel's only); immutable reference */
  private readonly wk: Int32Array;
  /** the kernel's page's words (read-only in every stub): written by the kernel's JS thread only; immutable reference */
  private readonly ks: Int32Array;
  /** the kernel's addresses of the doorbell word and the waker's events word (futexes); immutable */
  private readonly seqAddr: bigint;
  private readonly eventsAddr: bigint;
  /** the waker's pid: it leads the host process group of every stub; immutable */
  readonly pgid: number;
  private relay = -1;
  /** threads whose posts wait() takes, in scan order; guarded by the JS thread */
  private readonly live: SystrapThread[] = [];
  /** round-robin start of the next scan */
  private next = 0;
  /** stub processes by host pid; guarded by the JS thread */
  private readonly spaces = new Map<number, SysSpace>();
  /** sysmem slots no process has mapped; guarded by the JS thread */
  private readonly freeSlots = new SlotPool(0, STUB_AREAS_MAX);
  /** deaths to report (STOP_EXIT), one per wait(); guarded by the JS thread */
  private readonly exits: Array<{ t: SystrapThread; sig: number; status: number }> = [];
  private readonly reapCallbacks = new Map<number, () => void>();
  private readonly reaped = new Set<number>();
  private readonly savedAffinity = host.getAffinity(0);
  private readonly status = new Int32Array(1);
  private readonly scratch = new Regs();
  private readonly readySite: number;
  /** Platform.syscallPatchEntry: stub_fast_entry, or 0 (UMLTS_PATCH=0); immutable */
  readonly syscallPatchEntry: number;
  /** the report socket (SOCK_SEQPACKET, SO_PASSCRED): the kernel's end, and the end every stub gets as
   * STUB_FD_DONE (kept for the stubs spawned later); immutable */
  private readonly reportFd: number;
  private readonly reportPeer: number;
  /** recvReport's out-parameter: [first byte, sender pid]; used within one call */
  private readonly report = new Int32Array(2);
  /** the last fork's nonce (14 bits; forkAddressSpace); guarded by the JS thread */
  private forkNonce = 0;
  /** the fork whose request goes with its parent's next run (set by forkAddressSpace around its flush, read by
   * runBatch); guarded by the JS thread */
  private forkAhead: ForkWait | null = null;
  /** the kernel's host pid (a copy checks it is its parent's); immutable */
  private readonly kernelPid = host.getpid();

  constructor() {
    super();
    // a constructor that throws hands nothing to shutdown(): what it made so far is undone here
    // (makePlatform in lib/worker.ts falls back to ptrace and the kernel lives on)
    let fd = -1, base = 0n, rep: [number, number] | number = -1;
    try {
      rep = host.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
      if (typeof rep === 'number') throw new Error(`socketpair: errno ${-rep}`);
      const one = new Uint8Array(4), tv = new BigInt64Array([0n, BigInt(REPORT_CHECK_US)]);
      one[0] = 1;
      if (host.setsockopt(rep[0], SOL_SOCKET, SO_PASSCRED, one) < 0 ||
        host.setsockopt(rep[0], SOL_SOCKET, SO_RCVTIMEO, new Uint8Array(tv.buffer)) < 0) throw new Error('the report socket refused its options');
      fd = host.memfdCreate('umlts-sysmem', host.MFD_CLOEXEC);
      host.ftruncate(fd, SYSMEM_SIZE);
      base = host.mmap(0n, SYSMEM_SIZE, host.PROT_READ | host.PROT_WRITE, host.MAP_SHARED | host.MAP_NORESERVE, fd, 0);
      const syms = loadStubSymbols();
      this.readySite = syms.stub_sys_ready_syscall + 2;
      this.syscallPatchEntry = PATCH ? syms.stub_fast_entry : 0;
      this.pgid = host.posixSpawn(STUB_PATH, ['umlts-waker', 'syswaker', String(host.getpid())], [],
        [[this.events.epfd, 3], [fd, STUB_FD_SYSMEM]], { pgroup: 0 });
    } catch (e) {
      if (base !== 0n) host.munmap(base, SYSMEM_SIZE);
      if (fd >= 0) host.close(fd);
      if (typeof rep !== 'number') {
        host.close(rep[0]);
        host.close(rep[1]);
      }
      this.events.close();
      throw e;
    }
    this.reportFd = rep[0];
    this.reportPeer = rep[1];
    this.sysmemFd = fd;
    this.sysmemBase = base;
    // the doorbell's, the waker's and the kernel's pages (each area gets its own view, on first use)
    const low = host.view(this.sysmemBase, SYSMEM_KSTATE + STUB_PAGE_SIZE);
    this.db = new Int32Array(low, 0, 1024);
    this.wk = new Int32Array(low, SYSMEM_WAKER, 1024);
    this.ks = new Int32Array(low, SYSMEM_KSTATE, 1024);
    this.seqAddr = this.sysmemBase + BigInt(DB_SEQ);
    this.eventsAddr = this.sysmemBase + BigInt(SYSMEM_WAKER + WK_EVENTS);
  }

  /** A stub process for the batch page at batchOff (it starts, then stops at its ready trap); EAGAIN if the host refuses. */
  private spawnStub(physmemFd: number, batchOff: number, vdso: string[]): number {
    try {
      return host.posixSpawn(STUB_PATH, ['umlts-stub', 'systrap', String(batchOff), String(this.kernelPid), ...vdso], [],
        [[physmemFd, STUB_FD_PHYSMEM], [this.sysmemFd, STUB_FD_SYSMEM], [this.reportPeer, STUB_FD_DONE]], { pgroup: this.pgid });
    } catch {
      throw new ErrnoError(Errno.EAGAIN);
    }
  }

  newAddressSpace(physmemFd: number, pages: StubPages): Context {
    const pid = spawnKeepingVdso((vdso) => {
      const p = this.spawnStub(physmemFd, pages.batchOff, vdso);
      attachSpawned(p, 'stub', false, MAPPER_OPTIONS);
      return p;
    });
    return this.adoptStub(new HostThread(pid, pages));
  }

  /**
   * A guest fork's address space: a copy of the parent's host process,
   * made by the parent's mapper in its loop (MAPPER_FORK), with the
   * parent's host mappings, descriptors and filter and none of its threads
   * or areas. The copy costs a host fork of a small process, against an
   * exec of the stub (its posix_spawn alone took about 1 ms of the kernel's
   * thread here), and the child's first reads find their pages mapped.
   * The copy is untraced; its "born" record (from a pid the kernel does
   * not know, saying this fork's nonce) tells the kernel its pid.
   */
  forkAddressSpace(parent: Context, pages: StubPages, flushParent: () => void): Context {
    const space = (parent as SystrapThread).space;
    if (space.killed || space.reaped) throw new ContextGone(parent.tid, -1);
    // the copy's first thread is asked for ahead: the copy's loop (its SEQ starts at 0) finds this request in its
    // batch page as soon as it starts, and clones it without a round trip through the kernel
    const slot = this.takeSlot(null);
    if (slot < 0) throw new ErrnoError(Errno.EAGAIN);
    const w = new Int32Array(pages.batch.buffer, pages.batch.byteOffset + STUB_BATCH_ARG0, REQ_SEQ + 2);
    Atomics.store(w, REQ_SEQ, 0);
    this.post(w, MAPPER_CLONE, STUB_AREAS + slot * STUB_AREA_SIZE, (slot + 1) * STUB_AREA_SIZE);
    const nonce = this.forkNonce = (this.forkNonce + 1) & 0x3fff;
    const f: ForkWait = {
      space, slot, nonce, batchOff: pages.batchOff, arg1: this.kernelPid + nonce * 0x100000000,
      tried: false, withRun: false, err: -1, child: 0, cloned: -1,
    };
    // the parent's queued requests first: their run (runBatch) takes this fork along (MAPPER_RUN_FORK), one
    // hand-off to the mapper instead of two
    this.forkAhead = f;
    try {
      flushParent();
    } catch (e) {
      // (a fork that went with the run and failed gave its slot back itself)
      if (!f.withRun) this.freeSlots.give(slot);
      throw e;
    } finally {
      this.forkAhead = null;
    }
    // nothing was queued, or a run that went with it failed (no copy: the rest ran alone)
    if (!f.withRun) {
      this.request(space, MAPPER_FORK, f.batchOff, f.arg1);
      this.awaitFork(f);
    }
    if (f.err !== 0) throw new ErrnoError(Errno.EAGAIN);
    return this.adoptStub(new HostThread(f.child, pages), { slot, err: f.cloned });
  }

  /**
   * The records of fork f until its copy is ready (its parent's report, the
   * copy's "born" record, not from any pid the kernel knows but saying the
   * fork's nonce, then the copy's report of its first thread's clone).
   * Returns 0: f.err is 0 and the copy is ready, or not 0 (f's slot back:
   * the host refused, or the copy never said it was born or cloned in time);
   * or, for a MAPPER_RUN_FORK (f.withRun), the length of the parent's report
   * of a run that failed (2 or more bytes): no copy was made, f.withRun is
   * false again and its slot still taken.
   */
  private awaitFork(f: ForkWait): number {
    const space = f.space, nonce = f.nonce;
    let deadline = 0;
    while (f.err < 0 || (f.err === 0 && (f.child === 0 || f.cloned < 0))) {
      const n = host.recvReport(this.reportFd, this.report);
      if (n > 0) {
        const from = this.report[1]!;
        if (from === space.pid && f.err < 0 && f.withRun && n >= 2) {
          f.withRun = false;
          return n;
        }
        if (from === space.pid) f.err = this.report[0]!;
        else if (f.child !== 0 && from === f.child && f.cloned < 0) f.cloned = this.report[0]!;
        else if (f.child === 0 && n === 1 + (nonce >> 8) && this.report[0] === (nonce & 0xff) && this.stranger(from)) f.child = from;
        else this.dropRecord(from);
        if (f.err === 0 && TEST_FORK_GIVEUP) {
          f.child = 0;
          break;
        }
        continue;
      }
      if (n !== -Errno.EAGAIN && n !== -Errno.EINTR) throw new StubFailed(space.pid, `report socket: errno ${-n}`);
      if (f.err < 0 && this.mapperDied(space)) {
        // the parent died between its clone and its report (a guest can kill its own process at any time): a
        // copy, born or about to say so, must not outlive this fork, watching a batch frame about to be freed
        // (or an area: the slot goes back only once no copy can have it mapped)
        if (!this.abandon()) throw new BatchPageLost();
        this.freeSlots.give(f.slot);
        throw new ContextGone(space.pid, -1);
      }
      // the copy that never says it was born or cloned (it died, or the host has not run it for 2 s): the fork fails
      if (f.err === 0 && (deadline === 0 ? (deadline = Date.now() + POST_DEADLINE_MS, false) : Date.now() > deadline)) break;
    }
    if (f.err !== 0 || f.child === 0 || f.cloned < 0) {
      if (f.err === 0 && !this.abandon()) throw new BatchPageLost();
      this.freeSlots.give(f.slot);
      if (f.err <= 0) f.err = Errno.EAGAIN;
    }
    return 0;
  }

  /** A stub becomes an address space: its death watched, its first thread made. Its mapper is stopped at its
   * ready trap (spawned, with the mapper's options set), or runs its loop already (a fork's copy, whose first
   * thread's clone was asked for ahead: `cloned`, that thread's slot and its report's byte). */
  private adoptStub(mapper: HostThread, cloned?: { slot: number; err: number }): SystrapThread {
    const pid = mapper.tid, looping = cloned !== undefined;
    // (a fork's copy has its parent mapper's CPU already)
    if (this.kernelCpu >= 0 && !looping) host.pinToCpu(pid, this.kernelCpu);
    const pidfd = host.pidfdOpen(pid);
    const b = mapper.pages.batch;
    const space: SysSpace = {
      pid, mapper, looping, seqAddr: mapper.pages.batchAddr + BigInt(STUB_BATCH_SEQ),
      request: new Int32Array(b.buffer, b.byteOffset + STUB_BATCH_ARG0, (STUB_BATCH_SEQ + 8 - STUB_BATCH_ARG0) / 4),
      threads: new Set(), lingering: new Set(),
      freeSlots: [], slots: [], pidfd, killed: false, reaped: false,
    };
    this.spaces.set(pid, space);
    // (the first thread's area is the process's from now on: it goes back with the process)
    if (cloned) space.slots.push(cloned.slot);
    if (pidfd < 0 || !this.events.watch(pidfd, host.EPOLLIN, () => this.onDeath(space))) {
      this.kill1(space);
      throw new Error(`pidfd_open(${pid}): errno ${-pidfd}`);
    }
    let t: SystrapThread | number;
    try {
      t = this.newThread(space, cloned);
    } catch (e) {
      this.kill1(space);
      throw e;
    }
    if (typeof t === 'number') {
      this.kill1(space);
      throw new ErrnoError(Errno.EAGAIN);
    }
    return t;
  }

  /** A new host thread in space (cloned by its mapper), starting: its first post is taken at the first use
   * of its message (finishStart); or -errno. `cloned`: its clone was asked for already (forkAddressSpace),
   * in that slot, and reported that byte. */
  newThread(space: SysSpace, cloned?: { slot: number; err: number }): SystrapThread | number {
    let slot: number, err: number;
    if (cloned) {
      slot = cloned.slot;
      err = cloned.err;
    } else {
      slot = this.takeSlot(space);
      if (slot < 0) return -Errno.EAGAIN;
      this.request(space, MAPPER_CLONE, STUB_AREAS + slot * STUB_AREA_SIZE, (slot + 1) * STUB_AREA_SIZE);
      this.takeReport(space);
      err = this.report[0]!;
    }
    const t = new SystrapThread(0, space, slot, this.areaView(slot), this.sysmemBase + BigInt((slot + 1) * STUB_AREA_SIZE + MSG_STATE), this);
    if (err !== 0) {
      space.freeSlots.push(slot);
      return -err;
    }
    // the mapper wrote the new tid in the area, where a guest thread of the process can rewrite it: a thread of
    // this process that is neither the mapper nor one the kernel knows can only be the new one
    if (TEST_FORGE_TID && space.threads.size > 0) t.words[MSG_TID / 4] = TEST_FORGE_TID === 'mapper' ? space.pid : Number(TEST_FORGE_TID);
    const tid = t.words[MSG_TID / 4]!;
    let known = tid <= 0 || tid === space.pid || space.lingering.has(tid);
    for (const u of space.threads) if (u.tid === tid) known = true;
    if (known || host.tgkill(space.pid, tid, 0) < 0) {
      // killed as from outside: onDeath reports each thread's death (a process's first thread: adoptStub kills)
      if (!space.killed) host.kill(space.pid, SIGKILL);
      return -Errno.EAGAIN;
    }
    t.tid = tid;
    // (every mapper runs on the kernel's CPU, pin: a pin to it would cost a sched_setaffinity per fork)
    t.cpu = this.kernelCpu;
    space.threads.add(t);
    // (stopped: scans pass it by until its first post is taken)
    t.stopped = true;
    t.starting = true;
    this.live.push(t);
    return t;
  }

  /**
   * A slot for a new thread: one space's process had (its own area, mapped there already), else one of the pool
   * (space null: the pool's only), zeroed so nothing of its last process (its stack, its registers) reaches
   * this one, and recorded in space's slots. Its message is made ready for the clone, which writes the tid
   * (thread.ts resetMessage). -1: none left.
   */
  private takeSlot(space: SysSpace | null): number {
    let slot = space ? space.freeSlots.pop() : undefined;
    if (slot === undefined) {
      slot = this.freeSlots.take();
      if (slot === undefined) return -1;
      new Uint8Array(this.areaView(slot)).fill(0);
      if (space) space.slots.push(slot);
    }
    resetMessage(new Int32Array(this.areaView(slot), 0, STUB_AREA_SIZE / 4), 0);
    return slot;
  }

  /** Write a request (MAPPER_*, its two arguments) into request words `w` (SysSpace.request), SEQ last. */
  private post(w: Int32Array, cmd: number, arg0: number, arg1: number): void {
    const seq = (Atomics.load(w, REQ_SEQ) + 1) | 0;
    w[REQ_CMD] = cmd;
    w[REQ_ARG0] = arg0 | 0;
    w[REQ_ARG0 + 1] = Math.floor(arg0 / 0x100000000);
    w[REQ_ARG1] = arg1 | 0;
    w[REQ_ARG1 + 1] = Math.floor(arg1 / 0x100000000);
    // last, and ordered after the words above (the mapper reads them once it sees SEQ change)
    Atomics.store(w, REQ_SEQ, seq);
  }

  /**
   * Have space's mapper do `cmd` (MAPPER_*, with its two arguments): write
   * the request in the batch page, bump its SEQ word (the futex the mapper
   * waits on) and wake it. A spawned mapper still stopped at its ready trap
   * is started in its loop first (by ptrace, once). The caller takes the
   * report (takeReport).
   */
  private request(space: SysSpace, cmd: number, arg0: number, arg1: number): void {
    const w = space.request;
    if (!space.looping) {
      space.mapper.enterMapperLoop(Atomics.load(w, REQ_SEQ) >>> 0);
      space.looping = true;
    }
    this.post(w, cmd, arg0, arg1);
    // every waiter: only this process's mapper should wait on this frame (abandon), but a wake that went to
    // another would leave the mapper asleep
    host.futexWake(space.seqAddr, 0x7fffffff);
  }

  /**
   * Run the batch page's requests (written, with their terminator) in the
   * process's mapper (MAPPER_RUN). What the report says is read only from
   * its length and first byte (stub_mapper_report).
   */
  runBatch(space: SysSpace): { err: number; index: number; last: number } {
    const b = space.mapper.pages.batch;
    const f = this.forkAhead;
    let index: number;
    if (f !== null && f.space === space && !f.tried) {
      // a fork's parent's run, the fork along with it (forkAddressSpace): all done is the fork's records, not a report
      f.tried = f.withRun = true;
      this.request(space, MAPPER_RUN_FORK, f.batchOff, f.arg1);
      const n = this.awaitFork(f);
      if (n === 0) return { err: 0, index: -1, last: -1 };
      // a failed run's report is one byte longer than MAPPER_RUN's
      index = n - 2;
    } else {
      this.request(space, MAPPER_RUN, 0, 0);
      index = this.takeReport(space) - 1;
    }
    if (index > STUB_BATCH_MAX) throw new StubFailed(space.pid, `a report of ${index + 1} bytes`);
    const at = index * STUB_BATCH_ENTRY, byte = this.report[0]!;
    if (b.getUint32(at, true) === 0 && b.getUint32(at + 4, true) === 0) {
      // it stopped at the terminator: all done. The byte is the last result up to 255: an openat's fd of 255 or
      // more cannot be told (none should come: mm keeps a stub's descriptors under STUB_FDS_MAX)
      if (byte === 255 && index > 0 && b.getUint32(at - STUB_BATCH_ENTRY, true) === SYS_openat) return { err: -Errno.EMFILE, index: index - 1, last: -1 };
      return { err: 0, index, last: byte };
    }
    return { err: -(byte || 255), index, last: -1 };
  }

  /**
   * The report of space's mapper: its length (its first byte in report[0]).
   * A record of another process is dropped: every request is waited for,
   * so none should come but a fork's copy's (forkAddressSpace takes
   * those). A mapper that died meanwhile never reports: ContextGone, as a
   * stop would say.
   */
  private takeReport(space: SysSpace): number {
    for (;;) {
      const n = host.recvReport(this.reportFd, this.report);
      if (n > 0) {
        if (this.report[1] === space.pid) return n;
        this.dropRecord(this.report[1]!);
        continue;
      }
      if (n !== -Errno.EAGAIN && n !== -Errno.EINTR) throw new StubFailed(space.pid, `report socket: errno ${-n}`);
      if (this.mapperDied(space)) {
        this.abandon();
        throw new ContextGone(space.pid, -1);
      }
    }
  }
  /** Did a record come from a stub process the kernel has not adopted (a fork's copy)? */
  private stranger(pid: number): boolean {
    return pid > 0 && !this.spaces.has(pid) && pid !== this.pgid && pid !== this.relay;
  }
  /**
   * A record nobody waits for. From a fork's copy the kernel gave up on (it
   * said it was born too late): that copy is killed and reaped, if it is
   * still a child of the kernel's thread in the stubs' process group that
   * the thread has not reaped (else the pid, read from a record sent before
   * its sender was reaped, may be another process's now). Any other (none
   * should come) is dropped.
   */
  private dropRecord(pid: number): void {
    if (!this.stranger(pid) || host.getpgid(pid) !== this.pgid || !host.isUnreapedChild(pid)) return;
    if (host.kill(pid, SIGKILL) === 0) while (host.waitpid(pid, this.status, host.__WALL | host.__WNOTHREAD) === -4);
  }
  /**
   * A wait given up (a fork's copy that did not say it was born in time, a
   * mapper that died before its report). Every stranger among the kernel
   * thread's children in the stubs' process group (a copy is in its
   * parent's; anything else the thread spawned, an embedder's hook's
   * child, is not) is killed and reaped: between requests the only such
   * children not adopted are fork copies given up on, and none may go on
   * waiting on a batch frame that goes back to the pool (its next owner's
   * wake would reach it). Then every record left on the socket (theirs, a
   * dead mapper's) is read and dropped: their senders are gone, so none
   * comes later to be taken for the report of a process that reused a pid.
   * False if the host would not list the children: the caller must not
   * free the batch frame (BatchPageLost).
   */
  private abandon(): boolean {
    const children = host.childrenOfThread();
    if (children) for (const pid of children) this.dropRecord(pid);
    while (host.recvReport(this.reportFd, this.report, true) > 0);
    return children !== null;
  }
  /** Has space's process exited (its pidfd polls readable)? */
  private mapperDied(space: SysSpace): boolean {
    return space.pidfd < 0 || host.poll1(space.pidfd, host.EPOLLIN, 0) !== 0;
  }

  /**
   * A new thread's first post: it must come from the ready site (its
   * filter is in, stub.c S1) before the kernel writes anything into its
   * message. One that does not come, or comes from elsewhere (a sibling
   * scribbled on its area), is never replied to (startFailed; stopped, so
   * no scan takes a post of it) and dies with its process, killed as from
   * outside: onDeath reports each thread's death (the kernel may be in the
   * middle of the call that made it, which goes on).
   */
  finishStart(t: SystrapThread): void {
    t.stopped = false;
    if (this.waitPost(t, false)) {
      t.getRegs(this.scratch);
      if (t.postedSig === SIGSYS && this.scratch.get(RIP) === this.readySite) return;
    }
    t.startFailed = true;
    t.stopped = true;
    if (!t.space.killed && !t.space.reaped) host.kill(t.space.pid, SIGKILL);
  }

  /** Slot's area (message page and signal stack) in the kernel's mapping of sysmem. */
  private areaView(slot: number): ArrayBuffer {
    let v = this.areaViews[slot];
    if (!v) this.areaViews[slot] = v = host.view(this.sysmemBase + BigInt((slot + 1) * STUB_AREA_SIZE), STUB_AREA_SIZE);
    return v;
  }

  awaitHandlerPost(t: SystrapThread): boolean {
    return this.waitPost(t, true, false);
  }

  /**
   * Wait synchronously for t's next post (its stop is the caller's, not
   * wait()'s): its handler's, or a patched call's too if `fastToo`. False
   * if it is gone, or if it does not post within
   * POST_DEADLINE_MS: a thread that does not answer a kick (its guest
   * blocked the kick through its frame, stub.c S5) must not hang the
   * kernel; its process is killed (by kill1, unless `kernelKill` is false:
   * then as from outside, each thread's death reported).
   */
  private waitPost(t: SystrapThread, kernelKill = true, fastToo = false): boolean {
    const db = this.db;
    const start = Date.now();
    let deadline = start + POST_DEADLINE_MS;
    t.kickCpuNs = -1;
    let polled = !this.spinning;
    for (;;) {
      const seq = Atomics.load(db, DB_SEQ / 4);
      if (Atomics.load(t.words, MSG_STATE / 4) === MSG_POSTED) {
        t.stopped = true;
        t.kickedAt = 0;
        return true;
      }
      if (fastToo && Atomics.load(t.words, MSG_FSTATE / 4) === MSG_POSTED) {
        t.stopped = true;
        t.fast = true;
        t.kickedAt = 0;
        return true;
      }
      if (!polled) {
        polled = true;
        if (this.poll(seq)) continue;
      }
      if (host.tgkill(t.tgid, t.tid, 0) < 0) return false;
      if (Date.now() > deadline) {
        // (a thread the host is slow to run gets more time, up to POST_GIVEUP_MS in all)
        if (Date.now() < start + POST_GIVEUP_MS && !this.stuck(t)) {
          deadline = Date.now() + POST_DEADLINE_MS;
          continue;
        }
        if (kernelKill) this.kill1(t.space);
        return false;
      }
      this.sleep(seq, 2_000_000, () => Atomics.load(t.words, MSG_STATE / 4) === MSG_POSTED ||
        (fastToo && Atomics.load(t.words, MSG_FSTATE / 4) === MSG_POSTED));
    }
  }

  wait(out: Stop): void {
    const db = this.db;
    // one poll per wait: a kernel that slept once is idle, and polls again only after work; none after
    // resuming a thread beside it (it needs the kernel's CPU)
    let polled = !this.spinning || !this.polls.resumedPolling;
    for (;;) {
      const ex = this.exits.shift();
      if (ex) {
        out.kind = STOP_EXIT;
        out.ctx = ex.t;
        out.sig = ex.sig;
        out.status = ex.status;
        return;
      }
      const seq = Atomics.load(db, DB_SEQ / 4);
      if (Atomics.load(this.wk, WK_EVENTS / 4) !== 0 || Atomics.load(this.wk, WK_HOSTSIGS / 4) !== 0) {
        this.takeEvents();
        out.kind = STOP_EVENTS;
        out.ctx = null;
        return;
      }
      const due = this.events.dueMs;
      // timers that came due again by the next look (a guest's timer every few ns) must not keep the posted
      // threads from their turn: after a round of timers, the posts first
      if (this.timersLast && this.scan(out)) {
        this.timersLast = false;
        return;
      }
      if (due !== Infinity && due <= performance.now() && this.events.runExpired() > 0) {
        this.timersLast = true;
        out.kind = STOP_EVENTS;
        out.ctx = null;
        return;
      }
      this.timersLast = false;
      if (this.scan(out)) return;
      if (!polled) {
        polled = true;
        if (this.poll(seq)) continue;
      }
      // a waker killed from outside rings for nothing any more: the kernel looks at the host's fds itself,
      // and sleeps no longer than WAKERLESS_POLL_NS
      if (this.wakerGone() && this.events.pollNow() > 0) {
        out.kind = STOP_EVENTS;
        out.ctx = null;
        return;
      }
      // until the first timer's deadline at most (in whole 10 µs: futexWait keeps the last timespec)
      const most = this.wakerDead ? WAKERLESS_POLL_NS : DOORBELL_TIMEOUT_NS;
      const ns = due === Infinity ? most : Math.min(most, Math.ceil((due - performance.now()) * 100) * 10_000);
      if (ns > 0) this.sleep(seq, ns, this.anyPosted);
    }
  }

  /**
   * Has the waker died (killed from outside: nothing of the guest's can
   * reach it)? Looked at most every WAKER_CHECK_MS, when the kernel is
   * about to sleep. It is left unreaped until shutdown: its pid (the
   * stubs' process group, the relay's target) is nobody else's meanwhile.
   */
  private wakerGone(): boolean {
    if (this.wakerDead) return true;
    const now = performance.now();
    if (now < this.wakerCheckAt) return false;
    this.wakerCheckAt = now + WAKER_CHECK_MS;
    this.wakerDead = host.hasExited(this.pgid);
    return this.wakerDead;
  }
  /** the last wait() ended with timers that fired (wait's fairness); guarded by the JS thread */
  private timersLast = false;
  /** the waker is gone (wakerGone); guarded by the JS thread */
  private wakerDead = false;
  /** when wakerGone looks again (performance.now() ms); guarded by the JS thread */
  private wakerCheckAt = 0;

  /**
   * Sleep on the doorbell (seq: its value before the last look) unless
   * ready() says a post came meanwhile. The flag goes up first, then the
   * last look: a handler either posted before it (and ready() sees its
   * message) or sees the flag and wakes the futex (stub.c, S4).
   */
  private sleep(seq: number, timeoutNs: number, ready: () => boolean): void {
    Atomics.store(this.ks, KS_SLEEPING / 4, 1);
    if (Atomics.load(this.db, DB_SEQ / 4) === seq && !ready()) host.futexWait(this.seqAddr, seq, timeoutNs);
    Atomics.store(this.ks, KS_SLEEPING / 4, 0);
  }
  /** Poll the doorbell for up to KERNEL_SPIN_MS: true if it rang (seq: its value before the last look). */
  private poll(seq: number): boolean {
    const db = this.db, end = performance.now() + KERNEL_SPIN_MS;
    do {
      for (let i = 0; i < 64; i++) if (Atomics.load(db, DB_SEQ / 4) !== seq) return true;
    } while (performance.now() < end);
    return false;
  }
  /** some thread has posted and not been taken (or the waker rang) */
  private readonly anyPosted = (): boolean => {
    if (Atomics.load(this.wk, WK_EVENTS / 4) !== 0 || Atomics.load(this.wk, WK_HOSTSIGS / 4) !== 0) return true;
    for (const t of this.live) {
      if (!t.stopped && (Atomics.load(t.words, MSG_STATE / 4) === MSG_POSTED || Atomics.load(t.words, MSG_FSTATE / 4) === MSG_POSTED)) return true;
    }
    return false;
  };

  /** The waker rang: host signals it received, then the epoll's events (timers, fds, stub deaths). */
  private takeEvents(): void {
    const wk = this.wk;
    const sigs = Atomics.exchange(wk, WK_HOSTSIGS / 4, 0);
    for (let s = 1; s <= 32; s++) if (sigs & (1 << (s - 1))) this.events.onWakerStop(s);
    if (Atomics.load(wk, WK_EVENTS / 4) !== 0) {
      this.events.onWakerStop(5);
      Atomics.store(wk, WK_EVENTS / 4, 0);
      host.futexWake(this.eventsAddr, 1);
    }
  }

  /** The next posted thread, round robin: fill out. */
  private scan(out: Stop): boolean {
    const live = this.live, n = live.length;
    for (let i = 0; i < n; i++) {
      let j = this.next + i;
      if (j >= n) j -= n;
      const t = live[j]!;
      if (t.stopped) continue;
      // the handler's post first: one taken inside stub_fast_entry (a fault there) comes before its call's
      const handler = Atomics.load(t.words, MSG_STATE / 4) === MSG_POSTED;
      if (!handler && Atomics.load(t.words, MSG_FSTATE / 4) !== MSG_POSTED) continue;
      this.next = j + 1 >= n ? 0 : j + 1;
      t.stopped = true;
      t.kickedAt = 0;
      out.ctx = t;
      out.status = 0;
      if (!handler) {
        // a patched call (stub_fast_entry)
        t.fast = true;
        out.kind = STOP_SYSCALL;
        out.sig = SIGSYS;
        return true;
      }
      const sig = t.postedSig;
      out.sig = sig;
      const code = t.words[2]!; // MSG_CODE
      if (sig === SIGSYS && code === SYS_SECCOMP) out.kind = STOP_SYSCALL;
      else if (sig === SIGSEGV) out.kind = STOP_FAULT;
      else if (sig === SIGTRAP) out.kind = STOP_TRAP;
      else if (sig === STUB_SIGKICK) out.kind = STOP_KICK;
      // the handler takes only these; anything else is a sibling's scribble: a kick, which only resumes it
      else if (sig === SIGBUS || sig === SIGILL || sig === SIGFPE || sig === SIGSYS) out.kind = STOP_SIGNAL;
      else {
        out.kind = STOP_KICK;
        out.sig = 0;
      }
      return true;
    }
    return false;
  }

  /** A stub process is gone (its pidfd polled readable): reap it, report its threads the kernel did not kill. */
  private onDeath(space: SysSpace, retryNs = REAP_RETRY_NS): void {
    if (space.reaped) return;
    let s = 0;
    for (;;) {
      const r = host.waitpid(space.pid, this.status, host.__WALL | host.__WNOTHREAD | host.WNOHANG);
      if (r === -4) continue;
      if (r === space.pid && WIFSTOPPED(this.status[0]!)) continue; // the mapper's last stop
      if (r === 0) {
        // killed, or its pidfd said "exited", while the host still tears it
        // down: try again shortly rather than block every guest in waitpid meanwhile
        const next = retryNs * 2n > REAP_RETRY_MAX_NS ? REAP_RETRY_MAX_NS : retryNs * 2n;
        this.events.addTimer(monotonicNs() + retryNs, () => this.onDeath(space, next));
        return;
      }
      s = r === space.pid ? this.status[0]! : 0x9;
      break;
    }
    this.forgetSpace(space);
    if (!space.killed) {
      const sig = WIFEXITED(s) ? 0 : WTERMSIG(s), status = WIFEXITED(s) ? WEXITSTATUS(s) : 0;
      for (const t of space.threads) this.exits.push({ t, sig, status });
    }
    space.threads.clear();
    const cb = this.reapCallbacks.get(space.pid);
    if (cb) {
      this.reapCallbacks.delete(space.pid);
      cb();
    } else {
      this.reaped.add(space.pid);
    }
  }
  private forgetSpace(space: SysSpace): void {
    space.reaped = true;
    this.spaces.delete(space.pid);
    for (const t of space.threads) this.unlive(t);
    for (const slot of space.slots) this.freeSlots.give(slot);
    space.slots.length = 0;
    if (space.pidfd >= 0) {
      this.events.unwatch(space.pidfd);
      host.close(space.pidfd);
      space.pidfd = -1;
    }
  }
  private unlive(t: SystrapThread): void {
    const i = this.live.indexOf(t);
    if (i < 0) return;
    this.live.splice(i, 1);
    if (this.next > i) this.next--;
    if (this.next >= this.live.length) this.next = 0;
  }

  whenReaped(hostPid: number, cb: () => void): void {
    if (this.reaped.delete(hostPid)) cb();
    else this.reapCallbacks.set(hostPid, cb);
  }

  kick(ctx: Context): void {
    const t = ctx as SystrapThread;
    if (host.tgkill(t.tgid, t.tid, STUB_SIGKICK) === 0) {
      if (!t.stopped) this.kickUnanswered(t);
      return;
    }
    if (t.space.killed || t.space.reaped || !t.space.threads.has(t)) return;
    // the host thread is gone while its process lives: its guest jumped to
    // the stub's thread exit (stub.c, known issues); it died, as far as
    // the kernel is concerned, with SIGKILL
    this.unlive(t);
    t.space.threads.delete(t);
    this.exits.push({ t, sig: SIGKILL, status: 0 });
  }

  /**
   * A kick of a thread the kernel believes runs guest code: it must post
   * (its handler takes the kick) soon. One that has not answered for
   * POST_DEADLINE_MS is stuck in its handler with every host signal
   * blocked (a sibling rewrote its message: cleared MSG_WAITING, so the
   * reply did not wake it, or a state the handler waits on forever; or
   * blocked the kick through its frame, stub.c S5) and holds its vCPU for
   * good: the scheduler's tick kicks it again and again while other guests
   * wait, so the first kick's age is checked here. Its process is killed
   * (SIGKILL from outside: onDeath reports each thread), a guest-level
   * outcome; the other guests get the vCPU back.
   */
  private kickUnanswered(t: SystrapThread): void {
    const now = performance.now();
    if (t.kickedAt === 0) {
      t.kickedAt = now;
      t.kickCpuNs = -1;
    } else if (now - t.kickedAt > POST_DEADLINE_MS) {
      t.kickedAt = now;
      if (this.stuck(t) && !t.space.killed) host.kill(t.space.pid, SIGKILL);
    }
  }

  /**
   * A thread that has not answered a kick for POST_DEADLINE_MS: stuck, or
   * only not run by the host? Asleep (S) it is stuck in its handler: guest
   * code never sleeps on the host. Running (R) it is stuck only if it ran
   * STUCK_CPU_NS since it was last looked at (a thread that runs takes a
   * pending signal within a tick); else the host did not run it (an
   * overloaded host), as one in a host fault (D: a page of a slow file) or
   * stopped from outside (T) is not: looked at again after another
   * deadline, never killed for the host's slowness.
   */
  private stuck(t: SystrapThread): boolean {
    const state = host.threadState(t.tgid, t.tid);
    if (state === 'S') return true;
    if (state !== 'R') return false;
    const cpu = host.threadSchedNs(t.tgid, t.tid);
    const ran = t.kickCpuNs >= 0 && cpu >= 0 && cpu - t.kickCpuNs >= STUCK_CPU_NS;
    t.kickCpuNs = cpu;
    return ran;
  }

  settle(ctx: Context): void {
    const t = ctx as SystrapThread;
    if (!t.stopped || t.startFailed || t.space.killed || t.space.reaped) return;
    // it reads MSG_SPIN at each poll, and goes to sleep at once when it is 0 (a few tries: a host slow to run it
    // leaves the clock a little behind, no worse)
    t.blocked();
    for (let i = 0; i < SETTLE_TRIES && host.threadState(t.tgid, t.tid) === 'R'; i++) host.schedYield();
  }

  stopNow(ctx: Context): boolean {
    const t = ctx as SystrapThread;
    if (t.starting) t.finishStart();
    if (t.startFailed) return false;
    if (t.stopped) return true;
    if (host.tgkill(t.tgid, t.tid, STUB_SIGKICK) < 0) return false;
    return this.waitPost(t, true, true);
  }

  /** End a stopped thread (retire): the handler's reply says exit; wait until the host thread is gone,
   * so its slot's next thread cannot meet it. */
  retire(t: SystrapThread): void {
    if (t.starting) t.finishStart();
    if (!t.stopped || t.startFailed) return;
    t.stopped = false;
    t.setCmdExit();
    t.reply();
    this.unlive(t);
    t.space.threads.delete(t);
    for (let i = 0; i < 10000 && host.tgkill(t.tgid, t.tid, 0) === 0; i++) host.schedYield();
    // one that did not go (a sibling rewrote its reply) keeps its slot, and its tid is never taken for a new
    // thread's (newThread); its posts are never taken either (it is not live)
    if (host.tgkill(t.tgid, t.tid, 0) === 0) t.space.lingering.add(t.tid);
    else t.space.freeSlots.push(t.slot);
  }

  kill(ctx: Context): void {
    const t = ctx as SystrapThread;
    this.unlive(t);
    t.space.threads.delete(t);
    this.kill1(t.space);
  }
  private kill1(space: SysSpace): void {
    if (space.killed) return;
    space.killed = true;
    host.kill(space.pid, SIGKILL);
    // the kernel knows it goes: its reap needs no word from the waker (the pidfd's event is a round trip through
    // another process, ~80 µs of the kernel's thread per process here), a timer tries it (onDeath)
    if (space.pidfd >= 0) this.events.unwatch(space.pidfd);
    this.events.addTimer(monotonicNs() + REAP_RETRY_NS, () => this.onDeath(space));
  }

  forwardHostSignals(sigs: number[], tty?: SavedTerminal): void {
    if (this.relay < 0) this.relay = spawnRelay(this.pgid, sigs, tty);
  }

  pollMisses(): number {
    const p = this.polls, r = p.waits >= POLL_WAITS_MIN ? p.missed / p.waits : -1;
    if (r >= 0) p.waits = p.missed = 0;
    return r;
  }

  setSpinning(on: boolean): void {
    this.spinning = this.canSpin && on;
    // (on: each thread gets its poll count where the scheduler places it next, pin)
    if (!this.spinning) for (const t of this.live) t.spin = 0;
  }

  pin(ctx: Context | null, cpu: number): void {
    if (ctx) {
      const t = ctx as SystrapThread;
      if (t.cpu !== cpu) host.pinToCpu(t.tid, cpu);
      t.cpu = cpu;
      // a handler beside the kernel that polled would only keep the kernel from its CPU
      t.spin = this.spinning && cpu !== this.kernelCpu ? HANDLER_SPIN : 0;
      return;
    }
    host.pinToCpu(0, cpu);
    if (cpu === this.kernelCpu) return;
    this.kernelCpu = cpu;
    // the mappers follow the kernel, which waits for them synchronously
    for (const space of this.spaces.values()) host.pinToCpu(space.pid, cpu);
  }
  /** the CPU the kernel's thread is pinned to (-1: not pinned): each mapper runs there, as the kernel
   * waits for it synchronously (a cross-CPU wake-up costs tens of µs); guarded by the JS thread */
  private kernelCpu = -1;

  shutdown(): void {
    // the relay first: nothing it forwards may reach the waker's pid once that is gone
    if (this.relay > 0) {
      host.kill(this.relay, SIGKILL);
      while (host.waitpid(this.relay, this.status, 0) === -4);
    }
    for (const space of this.spaces.values()) host.kill(space.pid, SIGKILL);
    for (const space of [...this.spaces.values()]) {
      space.mapper.reap();
      this.forgetSpace(space);
    }
    host.kill(this.pgid, SIGKILL);
    while (host.waitpid(this.pgid, this.status, 0) === -4);
    this.events.close();
    host.close(this.reportFd);
    host.close(this.reportPeer);
    host.munmap(this.sysmemBase, SYSMEM_SIZE);
    host.close(this.sysmemFd);
    host.setAffinity(0, this.savedAffinity);
  }
}
