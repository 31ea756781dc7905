/**
 * A guest thread's host thread under systrap: untraced, with the guest
 * threads' seccomp filter (every guest syscall is SECCOMP_RET_TRAP) and the
 * stub's handler for every signal it takes (native/stub/stub.c). A trap
 * posts the thread's registers in its area's message page (sysmem, mapped
 * by the kernel too); the thread is "stopped" while it waits there for the
 * reply, and resumeGuest is writing the reply.
 *
 * Everything in the area is writable by guest code of the same host process:
 * what is read from it only ever describes that process's own guest state,
 * and every offset taken from it is bounds-checked to the area.
 *
 * A patched syscall (src/mm/syscall_patch.ts) posts through
 * stub_fast_entry instead, with no signal: its registers in MSG_FREGS, its
 * state in MSG_FSTATE (`fast`). The kernel answers it there when a plain
 * return will do; for anything that needs the whole frame (the FPU state,
 * another fs or gs base, the trap flag) it first has the handler take the
 * call over (upgrade: MSG_FCMD 2), and the thread is then stopped as if its
 * SIGSYS had come.
 *
 * Mapping batches and thread clones do not run here: they run in the
 * process's mapper (a host thread that never runs guest code), through
 * its loop (platform.ts, request).
 */
import * as host from '../../host/libc.js';
import { Regs, FS_BASE, GS_BASE, NREGS, RIP, EFLAGS, ORIG_RAX } from '../regs.js';
import { Context, StubPages, type HostSiginfo } from '../platform.js';
import { HostThread } from '../ptrace/thread.js';
import {
  STUB_AREA_SIZE, STUB_ALTSTACK, MSG_STATE, MSG_SIG, MSG_CODE, MSG_WAITING, MSG_ADDR, MSG_FPOFF, MSG_CMD, MSG_SETFS,
  MSG_FSBASE, MSG_GSBASE, MSG_REGS, MSG_REPLIED, MSG_RUNNING, MSG_SPIN, MSG_TID, MSG_FSTATE, MSG_FWAITING, MSG_FCMD,
  MSG_FSELF, MSG_FSTACK, MSG_FREGS, MSG_ERR, STUB_FSTACK, STUB_AREAS,
} from '../stub_layout.js';

/** One host process of the platform's (a guest address space): its mapper, its threads and their slots.
 * Owned by the SystrapPlatform; used on the JS thread only. */
export interface SysSpace {
  /** host pid (the mapper's tid); immutable */
  readonly pid: number;
  /** the thread that runs mapping batches, clones and forks (stub_mapper_loop), never guest code: traced if
   * spawned until its loop starts (then detached), untraced if a fork's copy; either dies with the kernel's
   * thread (PDEATHSIG); immutable */
  readonly mapper: HostThread;
  /** the mapper runs its loop (stub_mapper_loop: requests through the batch page, no ptrace stop); false
   * until the kernel starts it (a spawned stub stops at its ready trap first); guarded by the JS thread */
  looping: boolean;
  /** the kernel's address of its batch page's SEQ word (the futex its mapper waits on); immutable */
  readonly seqAddr: bigint;
  /** the batch page's request words (ARG0, ARG1, SEQ, CMD: layout.h), through the kernel's physmem mapping:
   * written by the kernel's JS thread (request) while the mapper waits, SEQ last (Atomics.store); immutable
   * reference */
  readonly request: Int32Array;
  /** its guest threads' host threads, live or parked; guarded by the JS thread */
  readonly threads: Set<SystrapThread>;
  /** tids of retired threads that did not end (a sibling rewrote the reply): never a new thread's; guarded by the
   * JS thread (retire, newThread) */
  readonly lingering: Set<number>;
  /** sysmem slots this process has mapped and no thread uses: reused only by this process
   * (a slot goes back to the platform once the process is reaped); guarded by the JS thread */
  readonly freeSlots: number[];
  /** every slot it has mapped; guarded by the JS thread */
  readonly slots: number[];
  /** pidfd watched for its death; -1 once closed */
  pidfd: number;
  /** killed by the kernel (its death is not reported per thread) */
  killed: boolean;
  /** reaped: the host process is gone */
  reaped: boolean;
}

/** What SystrapThread needs of its platform (platform.ts). */
export interface SystrapHost {
  newThread(space: SysSpace): SystrapThread | number;
  /** Run the batch page's requests in the process's mapper (Context.runBatch). */
  runBatch(space: SysSpace): { err: number; index: number; last: number };
  /** Take a new thread's first post (its handler's, from the ready site) or, failing that, kill its process. */
  finishStart(t: SystrapThread): void;
  /** Wait for t's next post by its handler (upgrade); false if it did not come (its process is killed). */
  awaitHandlerPost(t: SystrapThread): boolean;
  retire(t: SystrapThread): void;
  /** replies to a handler that polled for them, and those it had given up on (it slept: a cross-CPU wake-up),
   * bumped by the threads' reply, read and reset by the scheduler's polling check; and whether the last thread
   * sent back to guest code polls (it runs next to the kernel, whose next wait polls for its trap; one beside
   * the kernel needs the kernel's CPU: the kernel sleeps at once), set by answer(); guarded by the JS thread */
  readonly polls: { waits: number; missed: number; resumedPolling: boolean };
}

/** XSAVE's software bytes (fx_sw) and their magic */
const FX_SW = 464, FP_XSTATE_MAGIC1 = 0x46505853;
const SIGSYS = 31, SYS_SECCOMP = 1, EFLAGS_TF = 0x100;
/** the registers a patched call's post has (r15 .. rip, then eflags and rsp): the rest are the last handler post's */
const FREGS_HEAD = 2 * (RIP + 1), FREGS_FLAGS = 2 * EFLAGS;

export class SystrapThread implements Context {
  owner: unknown = null;
  /** Context.fastEntry */
  fastEntry = false;
  /** Context.polls */
  get polls(): boolean {
    return this.spin > 0;
  }
  /** never filled: host signals reach a systrap thread's handler as stops */
  readonly pendingHostSignals: number[] = [];
  /** the kernel took its post and has not replied: its registers are the message's; guarded by the JS thread */
  stopped = false;
  /** the post the kernel took is a patched call's (MSG_FSTATE), not its handler's: its registers are MSG_FREGS
   * and its FPU state is still in the host thread; guarded by the JS thread */
  fast = false;
  /** a new host thread whose first post (from the stub's ready site, its filter in) the kernel has not taken:
   * the first use of its message takes it (finishStart), so the kernel does other work (the new process's
   * first batch) while the thread sets itself up. stopped is true meanwhile (the platform's scans pass it
   * by); guarded by the JS thread */
  starting = false;
  /** its first post did not come from the ready site, or did not come: never replied to (its process is being
   * killed); guarded by the JS thread */
  startFailed = false;
  /** FPU state set while starting: written into its first frame once that is taken; guarded by the JS thread */
  private startXstate: Uint8Array | null = null;
  /** the message page and signal stack (a view of sysmem); immutable reference, bytes shared with the guest's process */
  readonly area: Uint8Array;
  /** 32-bit words of the area (state, flags) and the registers (user_regs_struct, 54 words); immutable references */
  readonly words: Int32Array;
  private readonly regs: Uint32Array;
  /** a patched call's registers (MSG_FREGS); immutable reference */
  private readonly fregs: Uint32Array;
  /** the guest's fs and gs base (lo, hi, lo, hi): the kernel's own record, never read from the area; owned by this
   * thread's holder */
  private readonly bases = new Uint32Array(4);
  /** the gs base the host thread has (lo, hi): the guest's, or the area's address while the guest's is 0 and its
   * code has patched sites (fastEntry: stub_fast_entry finds the area there; a host without FSGSBASE pays for a
   * nonzero gs base at every context switch into the thread, ~2 us on the PVM kind); owned by this thread's holder */
  private readonly hostGs = new Uint32Array(2);
  /** how long its handler polls for the reply before it sleeps (the message's MSG_SPIN at each resume): set by the
   * platform where it places the thread (0 beside the kernel); guarded by the JS thread */
  spin = 0;
  /** the one host CPU its affinity names (-1: not known): the platform's last pin, or, until then, its mapper's at
   * its clone (a clone inherits it); guarded by the JS thread */
  cpu = -1;
  /** what its handler polls for the wait in progress (MSG_SPIN at its post; 0 once its call blocked); guarded by the JS thread */
  private waitSpin = 0;
  /** when the platform first kicked it with no post since (performance.now() ms; 0: none): a kick it never
   * answers means its handler is stuck (platform.ts, kickUnanswered); guarded by the JS thread */
  kickedAt = 0;
  /** its host CPU time (ns) when an unanswered kick was last looked at, -1: not yet (platform.ts, stuck);
   * guarded by the JS thread */
  kickCpuNs = -1;

  constructor(
    /** host tid; set once, by the platform's newThread (once the mapper's clone returns it) */
    public tid: number,
    /** the process; immutable */
    readonly space: SysSpace,
    /** its sysmem slot; immutable */
    readonly slot: number,
    /** the slot's area in the kernel's mapping of sysmem (STUB_AREA_SIZE bytes) */
    area: ArrayBuffer,
    /** the kernel's address of the area's state word (futex); immutable */
    readonly stateAddr: bigint,
    private readonly platform: SystrapHost,
  ) {
    this.area = new Uint8Array(area, 0, STUB_AREA_SIZE);
    this.words = new Int32Array(area, 0, STUB_AREA_SIZE / 4);
    this.regs = new Uint32Array(area, MSG_REGS, NREGS * 2);
    this.fregs = new Uint32Array(area, MSG_FREGS, NREGS * 2);
  }
  /** the area's address in its process */
  get areaAddr(): number {
    return STUB_AREAS + this.slot * STUB_AREA_SIZE;
  }
  get tgid(): number {
    return this.space.pid;
  }
  get pages(): StubPages {
    return this.space.mapper.pages;
  }

  /** Take the first post of a starting thread (the kernel writes nothing into its message before). */
  finishStart(): void {
    this.starting = false;
    this.platform.finishStart(this);
    const x = this.startXstate;
    this.startXstate = null;
    if (x && this.stopped) this.setXstate(x);
  }

  getRegs(r: Regs): void {
    if (this.starting) this.finishStart();
    r.w.set(this.regs);
    if (this.fast) copyFastRegs(r.w, this.fregs);
    const b = this.bases;
    r.w[2 * FS_BASE] = b[0]!;
    r.w[2 * FS_BASE + 1] = b[1]!;
    r.w[2 * GS_BASE] = b[2]!;
    r.w[2 * GS_BASE + 1] = b[3]!;
    r.dirty = false;
  }

  /** Reply: the handler puts these registers in its frame and returns into guest code. */
  resumeGuest(r: Regs, _atSeccomp: boolean): number {
    if (this.starting) this.finishStart();
    // (a thread that failed its start: its process is being killed, and each thread's death reported)
    if (!this.stopped || this.startFailed) return -3;
    const w = this.words, b = this.bases, rw = r.w;
    if (this.fast) {
      // a plain return puts back the general registers, rip, rsp and eflags; anything more needs the frame
      if (rw[2 * FS_BASE] === b[0] && rw[2 * FS_BASE + 1] === b[1] && rw[2 * GS_BASE] === b[2] && rw[2 * GS_BASE + 1] === b[3] &&
        (rw[FREGS_FLAGS]! & EFLAGS_TF) === 0) {
        copyFastRegs(this.fregs, rw);
        return this.answer(MSG_FCMD, r);
      }
      if (!this.upgrade()) return -3;
    }
    this.stopped = false;
    this.regs.set(rw);
    let set = 0;
    if (rw[2 * FS_BASE] !== b[0] || rw[2 * FS_BASE + 1] !== b[1]) {
      b[0] = rw[2 * FS_BASE]!;
      b[1] = rw[2 * FS_BASE + 1]!;
      w[MSG_FSBASE / 4] = b[0]!;
      w[MSG_FSBASE / 4 + 1] = b[1]!;
      set |= 1;
    }
    b[2] = rw[2 * GS_BASE]!;
    b[3] = rw[2 * GS_BASE + 1]!;
    const toArea = b[2] === 0 && b[3] === 0 && this.fastEntry;
    const gsLo = toArea ? this.areaAddr % 0x100000000 : b[2]!, gsHi = toArea ? Math.floor(this.areaAddr / 0x100000000) : b[3]!;
    if (gsLo !== this.hostGs[0] || gsHi !== this.hostGs[1]) {
      this.hostGs[0] = w[MSG_GSBASE / 4] = gsLo;
      this.hostGs[1] = w[MSG_GSBASE / 4 + 1] = gsHi;
      set |= 2;
      if (toArea) {
        const dv = new DataView(this.area.buffer, this.area.byteOffset);
        dv.setBigUint64(MSG_FSELF, BigInt(this.areaAddr), true);
        dv.setBigUint64(MSG_FSTACK, BigInt(this.areaAddr + STUB_FSTACK), true);
      }
    }
    w[MSG_SETFS / 4] = set;
    return this.answer(MSG_CMD, r);
  }
  /** Reply "return to guest code" (0 in the command word `cmd`: MSG_CMD, or a patched call's MSG_FCMD), its
   * wait polling as the thread is placed. */
  private answer(cmd: number, r: Regs): number {
    this.stopped = false;
    this.words[cmd / 4] = 0;
    this.words[MSG_SPIN / 4] = this.spin;
    this.platform.polls.resumedPolling = this.spin > 0;
    r.dirty = false;
    this.reply();
    this.waitSpin = this.spin;
    return 0;
  }

  /** Its call blocks: the handler stops polling and sleeps (it reads MSG_SPIN at each poll). */
  blocked(): void {
    if (this.stopped) {
      Atomics.store(this.words, MSG_SPIN / 4, 0);
      this.waitSpin = 0;
    }
  }

  /** Hand the message back to the handler (state REPLIED), or a patched call's to stub_fast_entry, waking it if
   * it sleeps. */
  reply(): void {
    const fast = this.fast;
    this.fast = false;
    Atomics.store(this.words, (fast ? MSG_FSTATE : MSG_STATE) / 4, MSG_REPLIED);
    const slept = Atomics.load(this.words, (fast ? MSG_FWAITING : MSG_WAITING) / 4) !== 0;
    if (this.waitSpin > 0) {
      const p = this.platform.polls;
      p.waits++;
      if (slept) p.missed++;
    }
    if (slept) host.futexWake(fast ? this.stateAddr + BigInt(MSG_FSTATE - MSG_STATE) : this.stateAddr, 1);
  }

  /**
   * The kernel needs more of a patched call than its post has (the FPU
   * state, the fs base, the trap flag): stub_fast_entry's ud2 (MSG_FCMD 2)
   * has the handler take the guest's registers from MSG_FREGS into its
   * frame and post, and the thread is stopped as if its SIGSYS had come.
   * False if that post did not come (its process is killed).
   */
  private upgrade(): boolean {
    const w = this.words;
    const orig = [this.fregs[2 * ORIG_RAX]!, this.fregs[2 * ORIG_RAX + 1]!], rip = [this.fregs[2 * RIP]!, this.fregs[2 * RIP + 1]!];
    w[MSG_FCMD / 4] = 2;
    this.stopped = false;
    this.reply();
    if (!this.platform.awaitHandlerPost(this)) return false;
    w[MSG_SIG / 4] = SIGSYS;
    w[MSG_CODE / 4] = SYS_SECCOMP;
    w[MSG_ADDR / 4] = rip[0]!;
    w[MSG_ADDR / 4 + 1] = rip[1]!;
    this.regs[2 * ORIG_RAX] = orig[0]!;
    this.regs[2 * ORIG_RAX + 1] = orig[1]!;
    return true;
  }


  /** the host signal of its post */
  get postedSig(): number {
    return this.fast ? SIGSYS : this.words[MSG_SIG / 4]!;
  }

  getSiginfo(out: HostSiginfo): void {
    if (this.starting) this.finishStart();
    if (this.fast) {
      // as its SIGSYS would say: the address after the call
      out.code = SYS_SECCOMP;
      out.addr = (this.fregs[2 * RIP + 1]! >>> 0) * 0x100000000 + (this.fregs[2 * RIP]! >>> 0);
      out.err = -1;
      return;
    }
    out.code = this.words[MSG_CODE / 4]!;
    out.addr = (this.words[MSG_ADDR / 4 + 1]! >>> 0) * 0x100000000 + (this.words[MSG_ADDR / 4]! >>> 0);
    // (a guest can write its own message: only its own fault's handling is what it says, checked against the
    // page table like any access)
    out.err = this.words[MSG_ERR / 4]! & 0xffff;
  }

  /** Where the frame's XSAVE image lies in the area and how long it is (0: none the kernel can use). */
  private fpArea(): { off: number; size: number } {
    const w = this.words;
    const off = w[MSG_FPOFF / 4]! >>> 0;
    if (w[MSG_FPOFF / 4 + 1] !== 0 || off < STUB_ALTSTACK || off % 64 !== 0 || off + 512 > STUB_AREA_SIZE) return { off: 0, size: 0 };
    const dv = new DataView(this.area.buffer, this.area.byteOffset + off);
    let size = 512;
    if (dv.getUint32(FX_SW, true) === FP_XSTATE_MAGIC1) size = dv.getUint32(FX_SW + 16, true);
    if (size < 512 || off + size > STUB_AREA_SIZE) size = 512;
    return { off, size };
  }
  getXstate(): Uint8Array {
    if (this.starting) this.finishStart();
    if (this.fast && !this.upgrade()) return new Uint8Array(512);
    const { off, size } = this.fpArea();
    if (size === 0) return new Uint8Array(512);
    // the ptrace layout (NT_X86_XSTATE): XCR0 where the frame has its software bytes
    const x = this.area.slice(off, off + size);
    const xfeatures = x.slice(FX_SW + 8, FX_SW + 16);
    x.fill(0, FX_SW, 512);
    x.set(xfeatures, FX_SW);
    return x;
  }
  /** Into the frame, which rt_sigreturn restores; the frame's own software bytes (fx_sw) are kept. */
  setXstate(x: Uint8Array): boolean {
    if (this.starting) {
      this.startXstate = x.slice();
      return true;
    }
    if (this.fast && !this.upgrade()) return false;
    const { off, size } = this.fpArea();
    if (size === 0) return false;
    this.area.set(x.subarray(0, Math.min(FX_SW, x.length)), off);
    if (x.length > 512) this.area.set(x.subarray(512, Math.min(x.length, size)), off + 512);
    return true;
  }

  runBatch(): { err: number; index: number; last: number } {
    return this.platform.runBatch(this.space);
  }
  cloneThread(): Context | number {
    return this.platform.newThread(this.space);
  }
  retire(): void {
    this.platform.retire(this);
  }
  /** the message's word for the kernel's reply command (1: end the host thread) */
  setCmdExit(): void {
    if (this.starting) this.finishStart();
    this.words[(this.fast ? MSG_FCMD : MSG_CMD) / 4] = 1;
  }
}

/** The words a patched call's post and reply carry (FREGS_HEAD, eflags and rsp), from one register image to
 * another (no views made: the trap path). */
function copyFastRegs(to: Uint32Array, from: Uint32Array): void {
  for (let i = 0; i < FREGS_HEAD; i++) to[i] = from[i]!;
  for (let i = FREGS_FLAGS; i < FREGS_FLAGS + 4; i++) to[i] = from[i]!;
}

/** Prepare a slot's message (its 32-bit words) for a new thread's clone: nothing of a previous user's left, no tid
 * (the mapper's clone writes it). */
export function resetMessage(words: Int32Array, spin: number): void {
  words[MSG_SPIN / 4] = spin;
  words[MSG_STATE / 4] = MSG_RUNNING;
  words[MSG_CMD / 4] = 0;
  words[MSG_SETFS / 4] = 0;
  words[MSG_TID / 4] = 0;
  words[MSG_FSTATE / 4] = MSG_RUNNING;
  words[MSG_FCMD / 4] = 0;
}
