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
 * Each address space is one stub process: its first thread (the mapper) is
 * traced and stays stopped between the mapping batches and thread clones
 * the kernel runs in it (as on the ptrace platform: completion and results
 * come from waitpid and GETREGS, nothing a guest can forge); every guest
 * thread is a host thread the mapper cloned, with its own filter.
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
  Platform, Context, Stop, StubPages, ContextGone, monotonicNs, STOP_SYSCALL, STOP_FAULT, STOP_TRAP, STOP_KICK,
  STOP_SIGNAL, STOP_EXIT, STOP_EVENTS,
} from '../platform.js';
import { HostFacts } from '../host_facts.js';
import { PtraceEvents } from '../ptrace/events.js';
import { Errno, ErrnoError } from '../../abi/errno.js';
import { SIGBUS, SIGILL, SIGFPE } from '../../abi/signal.js';
import { HostThread, attachSpawned, spawnRelay, SIGKILL, SIGSEGV, SIGTRAP, WIFEXITED, WEXITSTATUS, WTERMSIG, WIFSTOPPED } from '../ptrace/thread.js';
import { SystrapThread, SysSpace } from './thread.js';
import { Regs, RIP } from '../regs.js';
import {
  loadStubSymbols, STUB_PATH, STUB_FD_PHYSMEM, STUB_FD_SYSMEM, STUB_AREAS, STUB_AREA_SIZE, STUB_AREAS_MAX, DB_SEQ,
  SYSMEM_WAKER, WK_EVENTS, WK_HOSTSIGS, MSG_STATE, MSG_POSTED, STUB_SIGKICK, STUB_PAGE_SIZE, SYSMEM_KSTATE, KS_SLEEPING, MSG_SPIN_MAX,
} from '../stub_layout.js';

const SIGSYS = 31, SYS_SECCOMP = 1;
/** the mapper's ptrace options: no TRACECLONE (the guest threads it clones run untraced); TRACEFORK: the copy of
 * its process it makes for a guest fork (forkAddressSpace) is traced from its first instruction, with these options
 * (EXITKILL among them: it dies with the kernel's thread from its birth on) */
const MAPPER_OPTIONS = host.PTRACE_O_EXITKILL | host.PTRACE_O_TRACESECCOMP | host.PTRACE_O_TRACESYSGOOD | host.PTRACE_O_TRACEFORK;
/** how long the kernel sleeps on the doorbell at most: a guest that rewinds the shared doorbell
 * word can make the kernel miss a ring (a lost wake-up delays other guests' posts by this much) */
const DOORBELL_TIMEOUT_NS = 5_000_000;
/** how soon a stub process whose pidfd polled readable but that cannot be reaped yet is tried again */
const REAP_RETRY_NS = 200_000n;
/** how long a synchronous wait for a thread's post (stopNow, a new thread's first) may take */
const POST_DEADLINE_MS = 2000;
/** polls of its message before a handler off the kernel's CPU sleeps for the reply, when spinning (a poll is
 * one `pause`, tens of ns) */
const HANDLER_SPIN = Math.min(Number(process.env.UMLTS_HSPIN ?? 2500), MSG_SPIN_MAX);
/** how long the kernel polls the doorbell before it sleeps, when spinning: about what a sleep and a
 * cross-CPU wake-up cost here, so polling never costs more than twice what sleeping would */
const KERNEL_SPIN_MS = Number(process.env.UMLTS_KSPIN_US ?? 50) / 1000;
/** polled waits before pollMisses() answers */
const POLL_WAITS_MIN = 32;
const SYSMEM_SIZE = (STUB_AREAS_MAX + 1) * STUB_AREA_SIZE;

export class SystrapPlatform extends HostFacts implements Platform {
  /** timers without the timerfd: wait() sleeps on the doorbell no longer than the first deadline */
  readonly events = new PtraceEvents(false);
  /** on a host with two CPUs or more, unless UMLTS_SPIN=0; immutable */
  readonly canSpin = process.env.UMLTS_SPIN !== '0' && host.allowedCpus().length > 1;
  /** UMLTS_SPIN=1: poll whatever the load; immutable */
  readonly spinForced = this.canSpin && process.env.UMLTS_SPIN === '1';
  /** polling now (Platform.spinning); guarded by the JS thread (the scheduler's setSpinning) */
  spinning = this.spinForced;
  /** SystrapHost.polls */
  readonly polls = { waits: 0, missed: 0 };
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
  private readonly freeSlots: number[] = [];
  /** deaths to report (STOP_EXIT), one per wait(); guarded by the JS thread */
  private readonly exits: Array<{ t: SystrapThread; sig: number; status: number }> = [];
  private readonly reapCallbacks = new Map<number, () => void>();
  private readonly reaped = new Set<number>();
  private readonly savedAffinity = host.getAffinity(0);
  private readonly status = new Int32Array(1);
  private readonly scratch = new Regs();
  private readonly readySite: number;

  constructor() {
    super();
    // a constructor that throws hands nothing to shutdown(): what it made so far is undone here
    // (makePlatform in lib/worker.ts falls back to ptrace and the kernel lives on)
    let fd = -1, base = 0n;
    try {
      fd = host.memfdCreate('umlts-sysmem', host.MFD_CLOEXEC);
      host.ftruncate(fd, SYSMEM_SIZE);
      base = host.mmap(0n, SYSMEM_SIZE, host.PROT_READ | host.PROT_WRITE, host.MAP_SHARED | host.MAP_NORESERVE, fd, 0);
      this.readySite = loadStubSymbols().stub_sys_ready_syscall + 2;
      this.pgid = host.posixSpawn(STUB_PATH, ['umlts-waker', 'syswaker', String(host.getpid())], [],
        [[this.events.epfd, 3], [fd, STUB_FD_SYSMEM]], { pgroup: 0 });
    } catch (e) {
      if (base !== 0n) host.munmap(base, SYSMEM_SIZE);
      if (fd >= 0) host.close(fd);
      this.events.close();
      throw e;
    }
    this.sysmemFd = fd;
    this.sysmemBase = base;
    // the doorbell's, the waker's and the kernel's pages (each area gets its own view, on first use)
    const low = host.view(this.sysmemBase, SYSMEM_KSTATE + STUB_PAGE_SIZE);
    this.db = new Int32Array(low, 0, 1024);
    this.wk = new Int32Array(low, SYSMEM_WAKER, 1024);
    this.ks = new Int32Array(low, SYSMEM_KSTATE, 1024);
    this.seqAddr = this.sysmemBase + BigInt(DB_SEQ);
    this.eventsAddr = this.sysmemBase + BigInt(SYSMEM_WAKER + WK_EVENTS);
    for (let i = STUB_AREAS_MAX - 1; i >= 0; i--) this.freeSlots.push(i);
  }

  /** A stub process for the batch page at batchOff (it starts, then stops at its ready trap); EAGAIN if the host refuses. */
  private spawnStub(physmemFd: number, batchOff: number): number {
    try {
      return host.posixSpawn(STUB_PATH, ['umlts-stub', 'systrap', String(batchOff), String(host.getpid())], [],
        [[physmemFd, STUB_FD_PHYSMEM], [this.sysmemFd, STUB_FD_SYSMEM]], { pgroup: this.pgid });
    } catch {
      throw new ErrnoError(Errno.EAGAIN);
    }
  }

  newAddressSpace(physmemFd: number, pages: StubPages): Context {
    const pid = this.spawnStub(physmemFd, pages.batchOff);
    attachSpawned(pid, 'stub', false, MAPPER_OPTIONS);
    return this.adoptStub(new HostThread(pid, pages));
  }

  /**
   * A guest fork's address space: a copy of the parent's host process,
   * made by the parent's mapper (HostThread.runSysFork), with the parent's
   * host mappings, descriptors and filter and none of its threads or
   * areas. The copy costs a host fork of a small process, against an exec
   * of the stub (its posix_spawn alone took about 1 ms of the kernel's
   * thread here), and the child's first reads find their pages mapped.
   */
  forkAddressSpace(parent: Context, pages: StubPages): Context {
    const t = parent as SystrapThread;
    if (t.space.killed || t.space.reaped) throw new ContextGone(t.tid, -1);
    const mapper = t.space.mapper.runSysFork(pages);
    if (typeof mapper === 'number') throw new ErrnoError(Errno.EAGAIN);
    return this.adoptStub(mapper);
  }

  /** A stub stopped at its ready trap (its mapper, with the mapper's options set) becomes an address space:
   * its death watched, its first thread made. */
  private adoptStub(mapper: HostThread): SystrapThread {
    const pid = mapper.tid;
    if (this.kernelCpu >= 0) host.pinToCpu(pid, this.kernelCpu);
    const pidfd = host.pidfdOpen(pid);
    const space: SysSpace = {
      pid, mapper, threads: new Set(), freeSlots: [], slots: [], pidfd, killed: false, reaped: false,
    };
    this.spaces.set(pid, space);
    if (pidfd < 0 || !this.events.watch(pidfd, host.EPOLLIN, () => this.onDeath(space))) {
      this.kill1(space);
      throw new Error(`pidfd_open(${pid}): errno ${-pidfd}`);
    }
    let t: SystrapThread | number;
    try {
      t = this.newThread(space);
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
   * of its message (finishStart); or -errno. */
  newThread(space: SysSpace): SystrapThread | number {
    let slot = space.freeSlots.pop();
    let fresh = false;
    if (slot === undefined) {
      slot = this.freeSlots.pop();
      if (slot === undefined) return -Errno.EAGAIN;
      fresh = true;
      // nothing of the slot's last process (its stack, its registers) reaches this one
      new Uint8Array(this.areaView(slot)).fill(0);
    }
    const t = new SystrapThread(0, space, slot, this.areaView(slot), this.sysmemBase + BigInt((slot + 1) * STUB_AREA_SIZE + MSG_STATE), this);
    t.resetMessage(0);
    const tid = space.mapper.runSysClone(STUB_AREAS + slot * STUB_AREA_SIZE, (slot + 1) * STUB_AREA_SIZE);
    if (fresh) space.slots.push(slot);
    if (tid < 0) {
      space.freeSlots.push(slot);
      return tid;
    }
    t.tid = tid;
    space.threads.add(t);
    // (stopped: scans pass it by until its first post is taken)
    t.stopped = true;
    t.starting = true;
    this.live.push(t);
    return t;
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

  /**
   * Wait synchronously for t's next post (its stop is the caller's, not
   * wait()'s). False if it is gone, or if it does not post within
   * POST_DEADLINE_MS: a thread that does not answer a kick (its guest
   * blocked the kick through its frame, stub.c S5) must not hang the
   * kernel; its process is killed (by kill1, unless `kernelKill` is false:
   * then as from outside, each thread's death reported).
   */
  private waitPost(t: SystrapThread, kernelKill = true): boolean {
    const db = this.db;
    const deadline = Date.now() + POST_DEADLINE_MS;
    let polled = !this.spinning;
    for (;;) {
      const seq = Atomics.load(db, DB_SEQ / 4);
      if (Atomics.load(t.words, MSG_STATE / 4) === MSG_POSTED) {
        t.stopped = true;
        t.kickedAt = 0;
        return true;
      }
      if (!polled) {
        polled = true;
        if (this.poll(seq)) continue;
      }
      if (host.tgkill(t.tgid, t.tid, 0) < 0) return false;
      if (Date.now() > deadline) {
        if (kernelKill) this.kill1(t.space);
        return false;
      }
      this.sleep(seq, 2_000_000, () => Atomics.load(t.words, MSG_STATE / 4) === MSG_POSTED);
    }
  }

  wait(out: Stop): void {
    const db = this.db;
    // one poll per wait: a kernel that slept once is idle, and polls again only after work
    let polled = !this.spinning;
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
      if (due !== Infinity && due <= performance.now() && this.events.runExpired() > 0) {
        out.kind = STOP_EVENTS;
        out.ctx = null;
        return;
      }
      if (this.scan(out)) return;
      if (!polled) {
        polled = true;
        if (this.poll(seq)) continue;
      }
      // until the first timer's deadline at most (in whole 10 µs: futexWait keeps the last timespec)
      const ns = due === Infinity ? DOORBELL_TIMEOUT_NS : Math.min(DOORBELL_TIMEOUT_NS, Math.ceil((due - performance.now()) * 100) * 10_000);
      if (ns > 0) this.sleep(seq, ns, this.anyPosted);
    }
  }

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
    for (const t of this.live) if (!t.stopped && Atomics.load(t.words, MSG_STATE / 4) === MSG_POSTED) return true;
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
      if (t.stopped || Atomics.load(t.words, MSG_STATE / 4) !== MSG_POSTED) continue;
      this.next = j + 1 >= n ? 0 : j + 1;
      t.stopped = true;
      t.kickedAt = 0;
      const sig = t.postedSig;
      out.ctx = t;
      out.sig = sig;
      out.status = 0;
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
  private onDeath(space: SysSpace): void {
    if (space.reaped) return;
    let s = 0;
    for (;;) {
      const r = host.waitpid(space.pid, this.status, host.__WALL | host.WNOHANG);
      if (r === -4) continue;
      if (r === space.pid && WIFSTOPPED(this.status[0]!)) continue; // the mapper's last stop
      if (r === 0) {
        // its pidfd said "exited" while the host still tears it down: try
        // again shortly rather than block every guest in waitpid meanwhile
        this.events.addTimer(monotonicNs() + REAP_RETRY_NS, () => this.onDeath(space));
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
    for (const slot of space.slots) this.freeSlots.push(slot);
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
    if (t.kickedAt === 0) t.kickedAt = now;
    else if (now - t.kickedAt > POST_DEADLINE_MS) {
      t.kickedAt = now;
      if (!t.space.killed) host.kill(t.space.pid, SIGKILL);
    }
  }

  stopNow(ctx: Context): boolean {
    const t = ctx as SystrapThread;
    if (t.starting) t.finishStart();
    if (t.startFailed) return false;
    if (t.stopped) return true;
    if (host.tgkill(t.tgid, t.tid, STUB_SIGKICK) < 0) return false;
    return this.waitPost(t);
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
    t.space.freeSlots.push(t.slot);
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
  }

  forwardHostSignals(sigs: number[]): void {
    if (this.relay < 0) this.relay = spawnRelay(this.pgid, sigs);
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
    host.pinToCpu(ctx ? ctx.tid : 0, cpu);
    if (ctx) {
      // a handler beside the kernel that polled would only keep the kernel from its CPU
      (ctx as SystrapThread).spin = this.spinning && cpu !== this.kernelCpu ? HANDLER_SPIN : 0;
      return;
    }
    if (cpu === this.kernelCpu) return;
    this.kernelCpu = cpu;
    // the mappers follow the kernel, which waits for them synchronously
    for (const space of this.spaces.values()) host.pinToCpu(space.pid, cpu);
  }
  /** the CPU the kernel's thread is pinned to (-1: not pinned): each mapper runs there, as the kernel
   * waits for it synchronously (a cross-CPU wake-up costs tens of µs); guarded by the JS thread */
  private kernelCpu = -1;

  shutdown(): void {
    for (const space of this.spaces.values()) host.kill(space.pid, SIGKILL);
    for (const space of [...this.spaces.values()]) {
      space.mapper.reap();
      this.forgetSpace(space);
    }
    host.kill(this.pgid, SIGKILL);
    while (host.waitpid(this.pgid, this.status, 0) === -4);
    if (this.relay > 0) {
      host.kill(this.relay, SIGKILL);
      while (host.waitpid(this.relay, this.status, 0) === -4);
    }
    this.events.close();
    host.munmap(this.sysmemBase, SYSMEM_SIZE);
    host.close(this.sysmemFd);
    host.setAffinity(0, this.savedAffinity);
  }
}
