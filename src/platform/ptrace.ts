/**
 * The skas0 ptrace platform: one guest thread is one host thread, traced by
 * the kernel (the Node main thread: ptrace requests are bound to the tracer
 * thread). Guest system calls stop it with PTRACE_EVENT_SECCOMP (the stub's
 * filter traps every syscall made outside the stub page); guest faults stop
 * it with SIGSEGV, after which the stub's handler reports the fault record.
 *
 * Nothing here knows about tasks: the kernel keeps a HostThread per task.
 *
 * Lock order: none. Every request here is synchronous on the one JS thread;
 * a flush runs to completion before any other tracee is looked at, which is
 * what serializes flushes of one address space (the seed's fix_range_common
 * lock).
 */
import * as host from '../host/libc.js';
import { HostError } from '../host/errors.js';
import { Regs, RIP, RSP, RDI, RSI, RDX, R8, R10, R12, R13, R14, R15, RAX, ORIG_RAX } from './regs.js';
import {
  loadStubSymbols, StubSymbols, STUB_PATH, STUB_BATCH, STUB_FD_PHYSMEM, STUB_CODE, STUB_CODE_SIZE,
  STUB_DATA, STUB_SLOT_SIZE, STUB_CLONE_FLAGS, FI_ADDR, FI_ERR, FI_TRAPNO, FI_SIGNO, FI_CODE, FI_SP,
} from './stub_layout.js';

export const SIGTRAP = 5, SIGSEGV = 11, SIGKILL = 9, SIGSTOP = 19;

/** Stop decoding for waitpid statuses. */
export const WIFEXITED = (s: number): boolean => (s & 0x7f) === 0;
export const WEXITSTATUS = (s: number): number => (s >> 8) & 0xff;
export const WIFSIGNALED = (s: number): boolean => ((s & 0x7f) + 1) >> 1 > 0 && (s & 0x7f) !== 0x7f;
export const WTERMSIG = (s: number): number => s & 0x7f;
export const WIFSTOPPED = (s: number): boolean => (s & 0xff) === 0x7f;
export const WSTOPSIG = (s: number): number => (s >> 8) & 0xff;
/** status >> 8 for a seccomp stop (a syscall after a fault's sigreturn, or before the first SYSEMU resume) */
export const STOP_SECCOMP = SIGTRAP | (host.PTRACE_EVENT_SECCOMP << 8);
/** status >> 8 for a PTRACE_SYSEMU syscall-entry stop (TRACESYSGOOD sets 0x80) */
export const STOP_SYSEMU = SIGTRAP | 0x80;
/** PTRACE_POKEUSER offset of rax in struct user */
const USER_RAX = 10 * 8;

/** A tracee vanished (killed from outside, or died on a host signal). */
export class HostThreadGone extends Error {
  constructor(readonly tid: number, readonly status: number) {
    super(`host thread ${tid} is gone (status ${status.toString(16)})`);
  }
}

/** What the stub's SIGSEGV handler recorded (untrusted: the guest can write the slot). */
export interface FaultInfo {
  addr: number;
  err: number;
  trapno: number;
  signo: number;
  code: number;
  sp: number;
}

/** The pages one stub maps from physmem, as the kernel sees them. */
export interface StubPages {
  /** offset of the batch page in physmem; immutable */
  batchOff: number;
  /** offset of the data slot in physmem; immutable */
  dataOff: number;
  /** the batch page through the kernel's physmem mapping */
  batch: DataView;
  /** the data slot through the kernel's physmem mapping */
  data: DataView;
}

// TRACECLONE: the host threads the stub makes for guest threads are traced from their first instruction
const PTRACE_OPTIONS = host.PTRACE_O_EXITKILL | host.PTRACE_O_TRACESECCOMP | host.PTRACE_O_TRACESYSGOOD | host.PTRACE_O_TRACECLONE;
/** status >> 8 of the PTRACE_EVENT_CLONE stop */
const STOP_CLONE = SIGTRAP | (host.PTRACE_EVENT_CLONE << 8);

let symbols: StubSymbols | null = null;
function syms(): StubSymbols {
  return (symbols ??= loadStubSymbols());
}

/** One host thread running guest code. Owned by the task that runs on it. */
export class HostThread {
  /** Scratch registers for stub calls; owned by this thread, used only while it is stopped. */
  private readonly scratch = new Regs();
  private readonly status = new Int32Array(1);
  /** Signals the host sent this thread while the kernel waited for a stub trap;
   * the kernel drains them (guest-visible meaning is the kernel's business). */
  readonly pendingHostSignals: number[] = [];

  /** byte offset of this thread's slot in the data area (its SIGSEGV stack and fault record); immutable */
  readonly slotOff: number;
  constructor(
    /** host tid; immutable */
    readonly tid: number,
    /** the stub's pages; immutable, shared by all threads of the address space */
    readonly pages: StubPages,
    /** filter secret; immutable, never written where the guest can read it */
    private readonly secret: number,
    /** its data slot; immutable */
    readonly slot = 0,
  ) {
    this.slotOff = slot * STUB_SLOT_SIZE;
  }

  /**
   * A new host thread in this one's process (a guest thread's), on data slot
   * `slot`: this thread, stopped, runs the stub's clone and traps again; the
   * new one sets its signal stack and stops at the stub's thread trap. Both
   * are left stopped; this one's registers are the stub's (set them before
   * resuming). Returns the new thread, or -errno if the host refused.
   */
  cloneThread(slot: number): HostThread | number {
    const s = this.scratch;
    this.getRegs(s);
    this.ranBatch = true;
    const base = STUB_DATA + slot * STUB_SLOT_SIZE;
    s.set(RIP, syms().stub_clone_thread);
    s.set(RDI, STUB_CLONE_FLAGS);
    s.set(RSI, base + STUB_SLOT_SIZE);
    s.set(RDX, 0);
    s.set(R10, 0);
    s.set(R8, this.secret * 0x100000000);
    s.set(R12, base);
    s.set(R13, STUB_SLOT_SIZE);
    s.set(ORIG_RAX, -1);
    this.setRegs(s);
    let r = this.cont(0);
    if (r < 0) throw new HostError('ptrace', -r, `cont tid ${this.tid}`);
    // the clone event (or, if the host refused, straight to the trap)
    let child = -1;
    for (;;) {
      r = host.waitpid(this.tid, this.status, host.__WALL);
      if (r === -4) continue;
      if (r < 0) throw new HostError('waitpid', -r, `tid ${this.tid}`);
      const st = this.status[0]!;
      if (!WIFSTOPPED(st)) throw new HostThreadGone(this.tid, st);
      if (st >> 8 === STOP_CLONE) {
        const msg = new BigUint64Array(1);
        host.ptraceBuf(host.PTRACE_GETEVENTMSG, this.tid, 0, msg);
        child = Number(msg[0]);
        this.cont(0);
        continue;
      }
      if (WSTOPSIG(st) === SIGTRAP && st >> 8 === SIGTRAP) {
        this.getRegs(s);
        if (s.get(RIP) - 1 !== syms().stub_clone_trap) throw new Error(`stub trap at ${s.get(RIP).toString(16)}, expected the clone trap (tid ${this.tid})`);
        break;
      }
      this.pendingHostSignals.push(WSTOPSIG(st));
      this.cont(0);
    }
    const ret = s.getS(RAX);
    if (ret < 0) return ret;
    if (child !== ret) throw new Error(`clone event for ${child}, clone returned ${ret}`);
    // the new thread: its first stop (SIGSTOP, from TRACECLONE), then its sigaltstack and trap
    const t = new HostThread(ret, this.pages, this.secret, slot);
    for (;;) {
      r = host.waitpid(ret, t.status, host.__WALL);
      if (r === -4) continue;
      if (r < 0) throw new HostError('waitpid', -r, `tid ${ret}`);
      break;
    }
    if (!WIFSTOPPED(t.status[0]!)) throw new HostThreadGone(ret, t.status[0]!);
    t.cont(0);
    t.waitStubTrap(syms().stub_thread_trap);
    if (t.scratch.getS(R12) < 0) throw new Error(`a new stub thread's sigaltstack failed: errno ${-t.scratch.getS(R12)}`);
    t.ranBatch = true;
    return t;
  }

  getRegs(r: Regs): void {
    host.ptraceBuf(host.PTRACE_GETREGS, this.tid, 0, r.w);
    r.dirty = false;
  }
  setRegs(r: Regs): void {
    host.ptraceBuf(host.PTRACE_SETREGS, this.tid, 0, r.w);
  }
  /** Resume (PTRACE_CONT), delivering sig (0 for none). Returns -ESRCH if it died meanwhile. */
  cont(sig = 0): number {
    return host.ptraceTry(host.PTRACE_CONT, this.tid, 0, sig);
  }
  getFpRegs(buf: Uint8Array): void {
    host.ptraceBuf(host.PTRACE_GETFPREGS, this.tid, 0, buf);
  }
  setFpRegs(buf: Uint8Array): void {
    host.ptraceBuf(host.PTRACE_SETFPREGS, this.tid, 0, buf);
  }
  kill(): void {
    host.kill(this.tid, SIGKILL);
  }
  /** The FPU/SSE/AVX state (XSAVE layout; a view valid until the next call). */
  getXstate(): Uint8Array {
    return host.getXstate(this.tid);
  }
  setXstate(x: Uint8Array): void {
    const r = host.setXstate(this.tid, x);
    if (r < 0 && r !== -3) throw new HostError('ptrace', -r, `SETREGSET xstate tid ${this.tid}`);
  }
  private readonly si = new Uint8Array(128);
  /** si_code and si_addr of the signal this thread is stopped for (PTRACE_GETSIGINFO). */
  getSiginfo(): { code: number; addr: number } {
    if (host.ptraceBufTry(host.PTRACE_GETSIGINFO, this.tid, 0, this.si) < 0) return { code: 0, addr: 0 };
    const dv = new DataView(this.si.buffer);
    return { code: dv.getInt32(8, true), addr: Number(dv.getBigUint64(16, true)) };
  }

  /**
   * Wait for this thread's next stop at one of the stub's int3 sites, passing
   * over stray host signals (recorded in pendingHostSignals).
   * Precondition: the thread was just resumed into stub code.
   */
  private waitStubTrap(site: number): void {
    for (;;) {
      const r = host.waitpid(this.tid, this.status, host.__WALL);
      if (r === -4 /* EINTR */) continue;
      if (r < 0) throw new HostError('waitpid', -r, `tid ${this.tid}`);
      const s = this.status[0]!;
      if (!WIFSTOPPED(s)) throw new HostThreadGone(this.tid, s);
      const sig = WSTOPSIG(s);
      if (sig === SIGTRAP && s >> 8 === SIGTRAP) {
        this.getRegs(this.scratch);
        if (this.scratch.get(RIP) - 1 === site) return;
        throw new Error(`stub trap at ${this.scratch.get(RIP).toString(16)}, expected ${site.toString(16)} (tid ${this.tid})`);
      }
      this.pendingHostSignals.push(sig);
      this.cont(0);
    }
  }

  /**
   * Run the requests of the batch page (already written, with a zero
   * terminator) in this thread, synchronously. Returns 0 or the first failing
   * request's -errno, with `last` the result of the last request that
   * succeeded (an openat's fd). The thread is left stopped at the stub's
   * batch trap with its registers changed; the caller sets the registers it
   * wants next.
   */
  runBatch(): { err: number; index: number; last: number } {
    const s = this.scratch;
    this.getRegs(s);
    this.ranBatch = true;
    s.set(RIP, syms().stub_run_batch);
    s.set(R12, STUB_BATCH);
    s.set(R13, -1);
    s.set(R14, 0);
    s.set(R15, this.secret * 0x100000000);
    s.set(ORIG_RAX, -1); // if stopped at a syscall entry: skip it, and return into the stub
    this.setRegs(s);
    const r = this.cont(0);
    if (r < 0) throw new HostError('ptrace', -r, `cont tid ${this.tid}`);
    this.waitStubTrap(syms().stub_batch_trap);
    const err = s.getS(RAX);
    return { err, index: (s.get(R12) - STUB_BATCH) / 56, last: s.getS(R13) };
  }

  /**
   * At a SIGSEGV signal-delivery-stop: let the stub's handler run and record
   * the fault; returns the record. The thread is left stopped inside the
   * handler; finish with resumeFromFault().
   */
  enterFaultHandler(fi: FaultInfo): void {
    const r = this.cont(SIGSEGV);
    if (r < 0) throw new HostError('ptrace', -r, `cont tid ${this.tid}`);
    this.waitStubTrap(syms().stub_segv_trap);
    const d = this.pages.data, o = this.slotOff;
    fi.addr = Number(d.getBigUint64(o + FI_ADDR, true));
    fi.err = Number(d.getBigUint64(o + FI_ERR, true));
    fi.trapno = Number(d.getBigUint64(o + FI_TRAPNO, true));
    fi.signo = Number(d.getBigUint64(o + FI_SIGNO, true));
    fi.code = Number(d.getBigInt64(o + FI_CODE, true));
    fi.sp = Number(d.getBigUint64(o + FI_SP, true));
  }

  /** A flush ran in this thread since it last trapped (its registers are the runner's). */
  ranBatch = false;

  /**
   * Resume guest code with the task's registers, under PTRACE_SYSEMU: its
   * next syscall stops at entry and never runs on the host. When only the
   * syscall result changed since the registers were read, one POKEUSER of rax
   * replaces SETREGS (the trap path's common case).
   *
   * atSeccomp: the thread is stopped in the seccomp filter, where the syscall
   * number must become -1 or the filter's re-check lets it run on the host.
   */
  resumeGuest(r: Regs, atSeccomp: boolean): number {
    if (r.dirty || this.ranBatch || atSeccomp) {
      if (atSeccomp) r.set(ORIG_RAX, -1);
      this.setRegs(r);
      r.dirty = false;
      this.ranBatch = false;
    } else if (host.ptraceLong(host.PTRACE_POKEUSER, this.tid, USER_RAX, r.getS(RAX)) < 0) {
      return -3; // ESRCH: gone; waitpid reports how
    }
    return host.ptraceTry(host.PTRACE_SYSEMU, this.tid, 0, 0);
  }

  /**
   * Leave the fault handler back into the guest (rt_sigreturn restores every
   * register, FPU state included), first running the batch page if it holds
   * requests. Does not wait: a failing request stops the thread at the batch
   * trap, which the kernel's loop reports as a stub failure.
   */
  resumeFromFault(withBatch: boolean, handlerSp: number): void {
    if (withBatch || this.ranBatch) {
      const s = this.scratch;
      this.getRegs(s);
      if (withBatch) {
        s.set(RIP, syms().stub_run_batch);
        s.set(R12, STUB_BATCH);
        s.set(R14, 1);
        s.set(R15, this.secret * 0x100000000);
        s.set(RSP, handlerSp + 8); // as stub_sigreturn would: past the frame's return address
      } else {
        s.set(RIP, syms().stub_sigreturn);
        s.set(RSP, handlerSp);
        s.set(R15, 0);
      }
      this.setRegs(s);
      this.ranBatch = false;
    }
    const r = this.cont(0);
    if (r < 0) throw new HostError('ptrace', -r, `cont tid ${this.tid}`);
  }

  /** Is this SIGTRAP stop one of the stub's own trap sites (not a guest int3)? */
  static isStubTrap(rip: number): boolean {
    const s = syms();
    const at = rip - 1;
    return at === s.stub_batch_trap || at === s.stub_segv_trap || at === s.stub_waker_trap ||
      at === s.stub_clone_trap || at === s.stub_thread_trap;
  }
  /** Is this address in the stub's code page (the thread is running the stub, not the guest)? */
  static inStub(rip: number): boolean {
    return rip >= STUB_CODE && rip < STUB_CODE + STUB_CODE_SIZE;
  }
  static isBatchTrap(rip: number): boolean {
    return rip - 1 === syms().stub_batch_trap;
  }
}

/** Wait for the first stop of a freshly spawned stub (its ready int3) and set
 * the ptrace options. Kills the child and throws if it does not get there. */
function attachSpawned(pid: number, what: string, passSignals = false): void {
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
  const s = st[0]!;
  if (!WIFSTOPPED(s) || WSTOPSIG(s) !== SIGTRAP) {
    host.kill(pid, SIGKILL);
    const why = WIFEXITED(s) ? `exited with ${WEXITSTATUS(s)}` : WIFSIGNALED(s) ? `killed by signal ${WTERMSIG(s)}` : `stopped by signal ${WSTOPSIG(s)}`;
    throw new Error(`${what} failed to start: ${why}`);
  }
  host.ptrace(host.PTRACE_SETOPTIONS, pid, 0, PTRACE_OPTIONS);
}

/**
 * Start a stub: a new, empty guest address space. Returns its one thread,
 * stopped at the stub's ready trap.
 */
export function spawnStub(physmemFd: number, pages: StubPages): HostThread {
  const secret = (Math.random() * 0x100000000) >>> 0 || 1;
  const pid = host.posixSpawn(STUB_PATH,
    ['umlts-stub', 'stub', String(pages.batchOff), String(pages.dataOff), String(host.getpid()), String(secret)],
    [], [[physmemFd, STUB_FD_PHYSMEM]]);
  attachSpawned(pid, 'stub');
  return new HostThread(pid, pages, secret);
}

/**
 * The waker: a traced helper that polls the kernel's epoll instance and traps
 * whenever it is readable, so host events (timers, terminal input) reach a
 * kernel blocked in waitpid. Resume it with cont() once the events are taken.
 * opts.pgroup: the host process group to join (umlts's own, so that the
 * signals the terminal sends umlts's group — SIGWINCH — stop the waker and
 * so reach the kernel's waitpid); default: a group of its own.
 */
export function spawnWaker(epollFd: number, opts: { pgroup?: number } = {}): { tid: number; cont(): void } {
  const pid = host.posixSpawn(STUB_PATH, ['umlts-waker', 'waker', String(host.getpid())], [], [[epollFd, 3]], opts);
  attachSpawned(pid, 'waker', true);
  return { tid: pid, cont: () => void host.ptraceTry(host.PTRACE_CONT, pid, 0, 0) };
}
