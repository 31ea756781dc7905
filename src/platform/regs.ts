/**
 * struct user_regs_struct (x86-64), as PTRACE_GETREGS/SETREGS move it: 27
 * 64-bit registers held as 54 32-bit words, so the trap path reads and writes
 * them as plain numbers (no BigInt). Values up to 2^53 are exact, which
 * covers every address and any count a guest can pass.
 */
export const R15 = 0, R14 = 1, R13 = 2, R12 = 3, RBP = 4, RBX = 5, R11 = 6, R10 = 7, R9 = 8, R8 = 9,
  RAX = 10, RCX = 11, RDX = 12, RSI = 13, RDI = 14, ORIG_RAX = 15, RIP = 16, CS = 17, EFLAGS = 18,
  RSP = 19, SS = 20, FS_BASE = 21, GS_BASE = 22, DS = 23, ES = 24, FS = 25, GS = 26;
export const NREGS = 27;
/** immutable (a table; never written) */
export const REG_NAMES = ['r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx',
  'rdx', 'rsi', 'rdi', 'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs'];

/** Syscall argument registers in order (rdi, rsi, rdx, r10, r8, r9). */
export const ARG_REGS = [RDI, RSI, RDX, R10, R8, R9] as const;

/** One register set. Ownership is its holder's: a Task's (see Task.regs), or
 * a HostThread's scratch for stub runs (owned by that thread). */
export class Regs {
  /** The ptrace buffer (GETREGS writes it, SETREGS reads it); owned by the holder. */
  readonly w = new Uint32Array(NREGS * 2);
  /** Changed since read from the host by more than the syscall result (set()
   * marks it; setResult() does not): resuming must write them all back.
   * Owned by the holder; cleared by getRegs and resumeGuest. */
  dirty = false;

  /** Unsigned 64-bit value (exact below 2^53). */
  get(r: number): number {
    return this.w[2 * r + 1]! * 0x100000000 + this.w[2 * r]!;
  }
  /** Signed 64-bit value (exact within ±2^53). */
  getS(r: number): number {
    return (this.w[2 * r + 1]! | 0) * 0x100000000 + this.w[2 * r]!;
  }
  /** Low 32 bits, signed: an `int` argument. */
  getI32(r: number): number {
    return this.w[2 * r]! | 0;
  }
  /** Low 32 bits, unsigned: an `unsigned int` argument or flag word. */
  getU32(r: number): number {
    return this.w[2 * r]!;
  }
  /** Set from a number in [-2^53, 2^53] (negative values are two's complement, like -errno). */
  set(r: number, v: number): void {
    this.w[2 * r] = v >>> 0;
    this.w[2 * r + 1] = Math.floor(v / 0x100000000) >>> 0;
    this.dirty = true;
  }
  /** rax only, as a syscall returns it (resuming may write just rax back). */
  setResult(v: number): void {
    this.w[2 * RAX] = v >>> 0;
    this.w[2 * RAX + 1] = Math.floor(v / 0x100000000) >>> 0;
  }
  /** Exact 64-bit value as a BigInt (for strace and the rare 64-bit-exact argument). */
  getBig(r: number): bigint {
    return (BigInt(this.w[2 * r + 1]!) << 32n) | BigInt(this.w[2 * r]!);
  }
  copyFrom(o: Regs): void {
    this.w.set(o.w);
    this.dirty = true;
  }
}
