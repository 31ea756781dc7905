/**
 * The skas0 ptrace platform: one guest thread is one host thread, traced by
 * the kernel (the Node main thread: ptrace requests are bound to the tracer
 * thread). Guest code runs only under PTRACE_SYSEMU, so every syscall
 * instruction it executes stops at entry and never runs on the host; guest
 * faults stop it at the SIGSEGV's signal-delivery stop, where the registers
 * and siginfo say all the kernel needs. Stub code (mapping batches, thread
 * clones) runs only when started here, under PTRACE_CONT, and is waited for
 * synchronously. The argument that this is a wall is at the top of
 * native/stub/stub.c.
 *
 * Nothing here knows about tasks: the kernel keeps a HostThread per task.
 *
 * Lock order: none. Every request here is synchronous on the one JS thread;
 * a flush runs to completion before any other tracee is looked at, which is
 * what serializes flushes of one address space (the seed's fix_range_common
 * lock).
 */
import * as host from '../../host/libc.js';
import { HostError } from '../../host/errors.js';
import { Regs, RIP, RAX, R12, R13, ORIG_RAX, EFLAGS, CS, SS } from '../regs.js';
import { Context, ContextGone, StubFailed, StubPages, SavedTerminal, type HostSiginfo } from '../platform.js';
import { USER_CS, USER_SS } from '../../abi/sigcontext.js';
import { loadStubSymbols, StubSymbols, STUB_PATH, STUB_FD_PHYSMEM, STUB_BATCH, STUB_BATCH_ENTRY } from '../stub_layout.js';
import { SpawnFailed, spawnKeepingVdso } from '../host_facts.js';

import { SIGTRAP, SIGSEGV, SIGKILL, SIGSTOP, SIGILL, SIGBUS, SIGFPE } from '../../abi/signal.js';
export { SIGTRAP, SIGSEGV, SIGKILL, SIGSTOP };
/** The host signal that stops a guest host thread in guest code so the kernel
 * gets it back (platform.kick); never seen by the guest. */
export const SIGKICK = 40;

export { WIFEXITED, WEXITSTATUS, WIFSIGNALED, WTERMSIG, WIFSTOPPED, WSTOPSIG } from '../../abi/wait.js';
import { WIFSTOPPED, WSTOPSIG, WIFEXITED, WEXITSTATUS, WTERMSIG, WIFSIGNALED } from '../../abi/wait.js';
/** status >> 8 for a seccomp stop (a syscall after a fault's sigreturn, or before the first SYSEMU resume) */
export const ST_SECCOMP = SIGTRAP | (host.PTRACE_EVENT_SECCOMP << 8);
/** status >> 8 for a PTRACE_SYSEMU syscall-entry stop (TRACESYSGOOD sets 0x80) */
export const ST_SYSEMU = SIGTRAP | 0x80;
/** PTRACE_POKEUSER offsets in struct user (its regs are user_regs_struct, 8 bytes a register) */
const USER_RAX = RAX * 8;
/** eflags with only IF (and the always-one bit 1) set */
const EFLAGS_IF = 0x202;

/** host signals that report the stopped thread's own fault (not sent by anyone) */

// TRACECLONE: the host threads the stub makes for guest threads are traced from their first instruction;
// TRACEFORK: so is the copy of its process it makes for a guest fork (runSysFork), with these options
const PTRACE_OPTIONS = host.PTRACE_O_EXITKILL | host.PTRACE_O_TRACESECCOMP | host.PTRACE_O_TRACESYSGOOD | host.PTRACE_O_TRACECLONE |
  host.PTRACE_O_TRACEFORK;
/** status >> 8 of the PTRACE_EVENT_CLONE stop */
const STOP_CLONE = SIGTRAP | (host.PTRACE_EVENT_CLONE << 8);
/** status >> 8 of the PTRACE_EVENT_FORK stop (runSysFork) */
const STOP_FORK = SIGTRAP | (host.PTRACE_EVENT_FORK << 8);

/** the stub's entry points, read from build/native/stub.syms on first use. Module-level
 * mutable state: written once (the same for every kernel in the process), then immutable. */
let symbols: StubSymbols | null = null;
function syms(): StubSymbols {
  return (symbols ??= loadStubSymbols());
}

/** One host thread running guest code (a Context). Owned by the task that runs
 * on it (a parked one, by its AddressSpace); used on the JS thread only. */
export class HostThread implements Context {
  /** Context.fastEntry: unused (ptrace takes no patched calls) */
  fastEntry = false;
  /** Context.fast: never (no patched calls) */
  readonly fast = false;
  /** Context.polls: never (every stop is a ptrace stop) */
  readonly polls = false;
  /** the kernel's task on it; owned by the kernel (see Context.owner) */
  owner: unknown = null;
  /** the platform that reports this thread's stops; set by adopt() (a fork's copy: by runSysFork first, for its
   * signals during its first waits), then immutable */
  platform: { adopt(t: HostThread): HostThread; forget(t: HostThread): void; hostSignal(t: HostThread, sig: number): boolean } | null = null;
  /** Scratch registers for stub runs; owned by this thread, used only while it is stopped. */
  private readonly scratch = new Regs();
  /** scratch holds this thread's registers (read at its stop, nothing written or run since): the next stub
   * run needs no GETREGS (mappers run batch after batch); guarded by the JS thread */
  private scratchCurrent = false;
  /** waitpid's out-parameter; owned by this thread, used synchronously only */
  private readonly status = new Int32Array(1);
  /** resumed into guest code (resumeGuest, or the platform's wait letting it go on) with no stop of it taken
   * since (wait, stopNow): stopNow must not wait for a stop the platform has taken already; guarded by the JS
   * thread */
  running = false;
  /** Signals the host sent this thread while the kernel waited for a stub trap;
   * the kernel drains them (guest-visible meaning is the kernel's business).
   * Guarded by the JS thread: pushed here (atTrap, cloneThread), shifted off by the kernel. */
  readonly pendingHostSignals: number[] = [];
  /** Stub code ran in this thread since its guest registers were last written:
   * the next resume must write every register back (owned by this thread). */
  ranBatch = false;

  constructor(
    /** host tid; immutable */
    readonly tid: number,
    /** the stub's batch page; immutable, shared by all threads of the address space */
    readonly pages: StubPages,
    /** host pid of its stub process (tgkill needs it: a thread's tid is not its tgid); immutable */
    readonly tgid = tid,
  ) {}

  /**
   * A new host thread in this one's process (a guest thread's): this thread,
   * stopped, runs the stub's clone and traps again; the new one stops at the
   * stub's thread trap. Both are left stopped, with stub registers (set the
   * guest's before resuming). Returns the new thread, or -errno if the host
   * refused.
   */
  cloneThread(): HostThread | number {
    const { ret, child } = this.runWithEvent(syms().stub_clone_thread, STOP_CLONE, syms().stub_clone_trap);
    if (ret < 0) return ret;
    if (child !== ret) throw new StubFailed(this.tid, `clone event for ${child}, clone returned ${ret}`);
    // the new thread: its first stop (SIGSTOP, from TRACECLONE), then its trap
    const t = new HostThread(ret, this.pages, this.tgid);
    this.platform?.adopt(t);
    t.ranBatch = true;
    const first = t.waitStop();
    if (WSTOPSIG(first) !== SIGSTOP && WSTOPSIG(first) !== SIGKICK) t.keepHostSignal(WSTOPSIG(first));
    t.cont(0);
    for (;;) {
      if (t.atTrap(t.waitStop(), syms().stub_thread_trap)) return t;
    }
  }

  /**
   * Run stub code that makes a task (a clone or a fork) until its trap at
   * `site`, taking the ptrace event (`event`, status >> 8) the host reports
   * on the way: rax at the trap (the new id, or -errno if the host refused,
   * when no event comes) and the event's id (-1: none).
   */
  private runWithEvent(entry: number, event: number, site: number, r12 = -1): { ret: number; child: number } {
    this.startStub(entry, r12);
    let child = -1;
    for (;;) {
      const st = this.waitStop();
      if (st >> 8 === event) {
        const msg = new BigUint64Array(1);
        host.ptraceBuf(host.PTRACE_GETEVENTMSG, this.tid, 0, msg);
        child = Number(msg[0]);
        this.cont(0);
        continue;
      }
      if (this.atTrap(st, site)) break;
    }
    return { ret: this.scratch.getS(RAX), child };
  }

  getRegs(r: Regs): void {
    host.ptraceBuf(host.PTRACE_GETREGS, this.tid, 0, r.w);
    r.dirty = false;
    if (r === this.scratch) this.scratchCurrent = true;
  }
  /** SETREGS. The host refuses registers no thread may have (a non-canonical
   * segment base, say): that is the guest's doing, and StubFailed kills it. */
  setRegs(r: Regs): void {
    this.scratchCurrent = false;
    const e = host.ptraceBufTry(host.PTRACE_SETREGS, this.tid, 0, r.w);
    if (e === -3) throw new ContextGone(this.tid, -1);
    if (e < 0) throw new StubFailed(this.tid, `the host refused the guest's registers (errno ${-e})`);
  }
  /** Resume stub code (PTRACE_CONT), delivering sig (0 for none); -ESRCH if it died meanwhile.
   * Private: guest code is resumed only by resumeGuest, under SYSEMU. */
  private cont(sig = 0): number {
    this.scratchCurrent = false;
    return host.ptraceTry(host.PTRACE_CONT, this.tid, 0, sig);
  }
  kill(): void {
    host.kill(this.tid, SIGKILL);
  }
  /** Kill this process (a stub no address space took) and wait until the host has reaped it. */
  killAndReap(): void {
    host.kill(this.tid, SIGKILL);
    this.reap();
  }
  /** Wait until this killed process is gone (a traced thread's last stops pass by). */
  reap(): void {
    for (;;) {
      const r = host.waitpid(this.tid, this.status, host.__WALL | host.__WNOTHREAD);
      if (r === -4 || (r > 0 && WIFSTOPPED(this.status[0]!))) continue;
      return;
    }
  }
  /** The FPU/SSE/AVX state (XSAVE layout; a view valid until the next call). */
  getXstate(): Uint8Array {
    return host.getXstate(this.tid);
  }
  /** Set the FPU state; false if the host refuses it (a corrupt XSAVE image from the guest). */
  setXstate(x: Uint8Array): boolean {
    const r = host.setXstate(this.tid, x);
    if (r === -3) throw new ContextGone(this.tid, -1);
    return r >= 0;
  }
  /** GETSIGINFO's buffer; owned by this thread, used synchronously only */
  private readonly si = new Uint8Array(128);
  private readonly siView = new DataView(this.si.buffer);
  /** si_code and si_addr of the signal this thread is stopped for (PTRACE_GETSIGINFO); code 0 if there is none. */
  getSiginfo(out: HostSiginfo): void {
    // (the fault's error code is in the host's thread struct, which ptrace does not show)
    out.err = -1;
    if (host.ptraceBufTry(host.PTRACE_GETSIGINFO, this.tid, 0, this.si) < 0) {
      out.code = out.addr = 0;
      return;
    }
    out.code = this.siView.getInt32(8, true);
    out.addr = this.siView.getUint32(20, true) * 0x100000000 + this.siView.getUint32(16, true);
  }

  /**
   * Start stub code at `entry` in this stopped thread (under PTRACE_CONT).
   * Only rip, orig_rax, eflags, cs and ss are set: the entry points take no
   * input; cs/ss are the 64-bit user segments whatever mode the guest was in.
   * orig_rax -1 skips a syscall the thread is stopped at and keeps the host
   * from restarting one; eflags loses the guest's trap and alignment-check
   * flags, which would stop the stub after one instruction or on an
   * unaligned access. `detach`: resumed untraced instead (PTRACE_DETACH: it
   * never stops for the kernel again).
   */
  private startStub(entry: number, r12 = -1, r13 = -1, detach = false): void {
    this.ranBatch = true;
    // one GETREGS and one SETREGS (five POKEUSERs cost more); no GETREGS right after the last run's trap
    const s = this.scratch;
    if (!this.scratchCurrent && host.ptraceBufTry(host.PTRACE_GETREGS, this.tid, 0, s.w) < 0) throw new ContextGone(this.tid, -1);
    s.set(RIP, entry);
    s.set(ORIG_RAX, -1);
    s.set(EFLAGS, EFLAGS_IF);
    s.set(CS, USER_CS);
    s.set(SS, USER_SS);
    if (r12 >= 0) s.set(R12, r12);
    if (r13 >= 0) s.set(R13, r13);
    this.setRegs(s);
    const r = detach ? host.ptraceTry(host.PTRACE_DETACH, this.tid, 0, 0) : this.cont(0);
    if (r < 0) throw new ContextGone(this.tid, -1);
  }

  /** The next stop of this thread (its raw status); ContextGone if it died. */
  private waitStop(): number {
    for (;;) {
      const r = host.waitpid(this.tid, this.status, host.__WALL);
      if (r === -4 /* EINTR */) continue;
      if (r < 0) throw new HostError('waitpid', -r, `tid ${this.tid}`);
      const s = this.status[0]!;
      if (!WIFSTOPPED(s)) throw new ContextGone(this.tid, s);
      return s;
    }
  }

  /**
   * Is stop `st` of stub code this thread is running the trap at `site`?
   * A fault or a trap anywhere else is StubFailed; other host signals (a
   * kick, a kill from outside) are kept for the kernel and the stub goes on.
   * Precondition: the kernel started stub code in this thread.
   */
  private atTrap(st: number, site: number): boolean {
    const sig = WSTOPSIG(st);
    if (sig === SIGTRAP && st >> 8 === SIGTRAP) {
      this.getRegs(this.scratch);
      const rip = this.scratch.get(RIP);
      if (rip - 1 === site) return true;
      throw new StubFailed(this.tid, `trap at ${rip.toString(16)}, expected ${site.toString(16)}`);
    }
    if (sig === SIGSEGV || sig === SIGBUS || sig === SIGILL || sig === SIGFPE || sig === SIGTRAP) {
      throw new StubFailed(this.tid, `host signal ${sig}`);
    }
    if (sig !== SIGKICK) this.keepHostSignal(sig);
    this.cont(0);
    return false;
  }

  /** A host signal from outside stopped this thread in stub code: the kernel takes it at the next resume, unless
   * the platform has handed it on already. */
  private keepHostSignal(sig: number): void {
    if (this.platform?.hostSignal(this, sig) ?? true) this.pendingHostSignals.push(sig);
  }

  /** nothing polls under ptrace */
  blocked(): void {}
  /** End this stopped host thread (a parked one the address space has no use
   * for): it runs the stub's thread exit, and is waited for until it is gone. */
  retire(): void {
    this.startStub(syms().stub_thread_exit);
    for (;;) {
      const r = host.waitpid(this.tid, this.status, host.__WALL);
      if (r === -4) continue;
      if (r < 0 || !WIFSTOPPED(this.status[0]!)) break;
      this.cont(0); // a host signal on the way out: it exits all the same
    }
    this.platform?.forget(this);
  }

  /**
   * Make a copy of this thread's process for a guest fork (stub_sys_fork;
   * this thread is the forking guest thread, stopped, traced with
   * TRACEFORK): the child, traced from birth with the same options, maps
   * its own batch page (at batchOff, a register only the kernel sets),
   * then stops at its trap (systrap's mapper forks in its loop instead).
   * Returns the child's one thread, stopped there with stub registers, or
   * -errno if the host refused the copy. StubFailed if either side stops
   * anywhere else.
   */
  runSysFork(pages: StubPages): HostThread | number {
    const { ret, child } = this.runWithEvent(syms().stub_sys_fork, STOP_FORK, syms().stub_sys_fork_trap, pages.batchOff);
    if (ret < 0) return ret;
    const t = new HostThread(ret, pages);
    // (its signals from outside during the waits below are the platform's already)
    t.platform = this.platform;
    if (child !== ret) {
      t.killAndReap();
      throw new StubFailed(this.tid, `fork event for ${child}, clone returned ${ret}`);
    }
    try {
      // its first stop (the SIGSTOP of an auto-attached child), then its trap
      const first = t.waitStop();
      if (WSTOPSIG(first) !== SIGSTOP) t.keepHostSignal(WSTOPSIG(first));
      t.ranBatch = true;
      t.cont(0);
      while (!t.atTrap(t.waitStop(), syms().stub_sys_forked_trap));
    } catch (e) {
      t.killAndReap();
      throw e;
    }
    return t;
  }

  /**
   * systrap: this stopped thread is its process's mapper: run its loop
   * (stub_mapper_loop), which serves the kernel's requests through the batch
   * page (systrap/platform.ts, request) with no ptrace stop, for good. `seq`
   * is the batch page's SEQ word as the kernel last set it. Not waited for,
   * and detached: a stop (a host signal's) would hang the kernel, which no
   * longer waits for this thread; it dies with the kernel's thread by its
   * PDEATHSIG (stub.c S7), as a fork's copy does.
   */
  enterMapperLoop(seq: number): void {
    this.startStub(syms().stub_mapper_loop, -1, seq, true);
  }

  /**
   * Run the requests of the batch page (already written, with a zero
   * terminator) in this thread, synchronously. Returns 0 or the first failing
   * request's -errno, with `last` the result of the last request that
   * succeeded (an openat's fd). The thread is left stopped at the stub's
   * batch trap with stub registers (ranBatch: the next resume writes the
   * guest's back).
   */
  runBatch(): { err: number; index: number; last: number } {
    this.startStub(syms().stub_run_batch);
    while (!this.atTrap(this.waitStop(), syms().stub_batch_trap));
    const s = this.scratch;
    return { err: s.getS(RAX), index: (s.get(R12) - STUB_BATCH) / STUB_BATCH_ENTRY, last: s.getS(R13) };
  }

  /**
   * Resume guest code with the task's registers, under PTRACE_SYSEMU (the
   * only way guest code ever runs: see native/stub/stub.c): its next syscall
   * stops at entry and never runs on the host. When only the syscall result
   * changed since the registers were read, one POKEUSER of rax replaces
   * SETREGS (the trap path's common case).
   *
   * atSeccomp: the thread is stopped in the seccomp filter, where the syscall
   * number must become -1 or the filter's re-check lets it run on the host.
   */
  resumeGuest(r: Regs, atSeccomp: boolean): number {
    this.scratchCurrent = false;
    if (r.dirty || this.ranBatch || atSeccomp) {
      if (atSeccomp) r.set(ORIG_RAX, -1);
      this.setRegs(r);
      r.dirty = false;
      this.ranBatch = false;
    } else if (host.ptraceLong(host.PTRACE_POKEUSER, this.tid, USER_RAX, r.getS(RAX)) < 0) {
      return -3; // ESRCH: gone; waitpid reports how
    }
    const ret = host.ptraceTry(host.PTRACE_SYSEMU, this.tid, 0, 0);
    this.running = ret === 0;
    return ret;
  }

}

/** Wait for the first stop of a freshly spawned stub (its ready int3) and set
 * the ptrace options. Kills the child and throws if it does not get there. */
export function attachSpawned(pid: number, what: string, passSignals = false, options = PTRACE_OPTIONS): void {
  const st = new Int32Array(1);
  for (;;) {
    const r = host.waitpid(pid, st, host.__WALL);
    if (r === -4) continue;
    if (r < 0) throw new HostError('waitpid', -r, what);
    // a host signal (SIGWINCH to the process group) before the ready trap: drop it
    if (passSignals && WIFSTOPPED(st[0]!) && WSTOPSIG(st[0]!) !== SIGTRAP && WSTOPSIG(st[0]!) !== SIGSTOP) {
      host.ptraceTry(host.PTRACE_CONT, pid, 0, 0);
      continue;
    }
    break;
  }
  checkSpawned(pid, st[0]!, what, options);
}

/** A spawned helper's first wait status s (-1: none) must be its ready trap: then set its ptrace options; else kill it and throw. */
export function checkSpawned(pid: number, s: number, what: string, options = PTRACE_OPTIONS): void {
  if (s === -1 || !WIFSTOPPED(s) || WSTOPSIG(s) !== SIGTRAP) {
    host.kill(pid, SIGKILL);
    const why = s === -1 ? 'it could not be waited for' : WIFEXITED(s) ? `exited with ${WEXITSTATUS(s)}` : WIFSIGNALED(s) ? `killed by signal ${WTERMSIG(s)}` : `stopped by signal ${WSTOPSIG(s)}`;
    throw new SpawnFailed(`${what} failed to start: ${why}`, s !== -1 && WIFEXITED(s) ? WEXITSTATUS(s) : -1);
  }
  host.ptrace(host.PTRACE_SETOPTIONS, pid, 0, options);
}

/**
 * Start a stub: a new, empty guest address space. Returns its one thread,
 * stopped at the stub's ready trap.
 */
export function spawnStub(physmemFd: number, pages: StubPages, pgroup: number): HostThread {
  const pid = spawnKeepingVdso((vdso) => {
    const p = host.posixSpawn(STUB_PATH, ['umlts-stub', 'stub', String(pages.batchOff), String(host.getpid()), ...vdso],
      [], [[physmemFd, STUB_FD_PHYSMEM]], { pgroup });
    attachSpawned(p, 'stub');
    return p;
  });
  return new HostThread(pid, pages);
}

/**
 * The waker: a traced helper that polls the kernel's epoll instance and traps
 * whenever it is readable, so host events (timers, terminal input) reach a
 * kernel blocked in waitpid. It leads a new host process group, which every
 * stub joins: the kernel waits for that group only. Resume it with cont()
 * once the events are taken.
 */
export function spawnWaker(epollFd: number): { tid: number; cont(): void } {
  const pid = host.posixSpawn(STUB_PATH, ['umlts-waker', 'waker', String(host.getpid())], [], [[epollFd, 3]], { pgroup: 0 });
  attachSpawned(pid, 'waker', true);
  return { tid: pid, cont: () => void host.ptraceTry(host.PTRACE_CONT, pid, 0, 0) };
}

/**
 * The relay: an untraced helper in umlts's own process group, so that what
 * the terminal sends the group (SIGWINCH, SIGHUP, SIGCONT) reaches it; it
 * sends each on to the waker, whose stop the kernel sees. Dies with umlts
 * (PR_SET_PDEATHSIG: the spawning thread, the kernel's), or, given the host
 * terminal umlts made raw (tty: its fd and its termios from before), puts
 * that back at that death and then exits: the kernel kills it first at a
 * normal exit (shutdown).
 */
export function spawnRelay(wakerPid: number, sigs: number[], tty?: SavedTerminal): number {
  let mask = 0;
  for (const s of sigs) mask |= 1 << (s - 1);
  const argv = ['umlts-relay', 'relay', String(host.getpid()), String(wakerPid), String(mask >>> 0)];
  if (tty) argv.push(Buffer.from(tty.termios).toString('hex'));
  return host.posixSpawn(STUB_PATH, argv, [], tty ? [[tty.fd, 0]] : [], { pgroup: host.getpgrp() });
}
