/**
 * The guest's own seccomp (kernel/seccomp.c): strict mode, and classic BPF
 * filters run over struct seccomp_data as each syscall enters, before the
 * library's syscall hook and the handler. The guest's filters never reach
 * the host: the host's filter on the stub is umlts's own, and a guest
 * filter only decides what this kernel does with a call it already trapped.
 * vDSO calls never enter the kernel, here as on Linux, so no filter sees them.
 *
 * Filters form a tree through prev (fork shares the chain, each attach adds
 * a node), are immutable once attached, and every filter of a task's chain
 * runs; the lowest action wins (ACTION_ONLY as s32: KILL_PROCESS first,
 * ALLOW last). As Linux's seccomp_cache, each chain keeps the syscall
 * numbers it allows whatever the arguments, found at attach by running each
 * filter with only nr and arch known: those calls skip the programs.
 *
 * RET_TRACE stops a task whose tracer asked for PTRACE_O_TRACESECCOMP
 * (kernel/ptrace.ts) and is ENOSYS otherwise, as on Linux. RET_LOG and the kills are logged
 * to the kernel log (dmesg), as audit's printk fallback does.
 */
import { Errno, ERESTARTSYS, ERESTART_RESTARTBLOCK } from '../abi/errno.js';
import {
  SECCOMP_MODE_STRICT, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO, SECCOMP_RET_USER_NOTIF,
  SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_DATA, SYS_SECCOMP,
  AUDIT_ARCH_X86_64, SECCOMP_DATA_SIZE, SD_NR, SD_ARCH, BPF_MEMWORDS,
  BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC, BPF_W, BPF_IMM, BPF_ABS, BPF_MEM, BPF_LEN,
  BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_XOR,
  BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_K, BPF_X, BPF_A, BPF_TAX, BPF_TXA,
} from '../abi/seccomp.js';
import { SYS_read, SYS_write, SYS_exit, SYS_rt_sigreturn } from '../abi/syscall_nr.js';
import { SIGKILL, SIGSYS } from '../abi/signal.js';
import { RAX, ORIG_RAX, RIP, ARG_REGS } from '../platform/regs.js';
import { BLOCKED, REGS_SET, NO_VERDICT } from './syscall.js';
import type { Task } from './task.js';
import type { SeccompListener } from './seccomp_notify.js';
import { ptraceSeccompStop } from './ptrace.js';

/**
 * A checked program, decoded: op[] is one of the small numbers below (so the
 * interpreter's switch is a jump table), k[] the constant, jt/jf the jumps.
 * LD/LDX LEN become loads of SECCOMP_DATA_SIZE, as seccomp_check_filter makes them.
 */
const OP_LD_ABS = 0, OP_LD_IMM = 1, OP_LDX_IMM = 2, OP_LD_MEM = 3, OP_LDX_MEM = 4, OP_ST = 5, OP_STX = 6,
  OP_TAX = 7, OP_TXA = 8, OP_ADD_K = 9, OP_ADD_X = 10, OP_SUB_K = 11, OP_SUB_X = 12, OP_MUL_K = 13, OP_MUL_X = 14,
  OP_DIV_K = 15, OP_DIV_X = 16, OP_AND_K = 17, OP_AND_X = 18, OP_OR_K = 19, OP_OR_X = 20, OP_XOR_K = 21,
  OP_XOR_X = 22, OP_LSH_K = 23, OP_LSH_X = 24, OP_RSH_K = 25, OP_RSH_X = 26, OP_NEG = 27, OP_JA = 28,
  OP_JEQ_K = 29, OP_JEQ_X = 30, OP_JGT_K = 31, OP_JGT_X = 32, OP_JGE_K = 33, OP_JGE_X = 34, OP_JSET_K = 35,
  OP_JSET_X = 36, OP_RET_K = 37, OP_RET_A = 38;

/** The classic opcodes seccomp accepts (seccomp_check_filter's list), each with its decoded op; immutable */
const OPS = new Map<number, number>([
  [BPF_LD | BPF_W | BPF_ABS, OP_LD_ABS], [BPF_LD | BPF_W | BPF_LEN, OP_LD_IMM], [BPF_LDX | BPF_W | BPF_LEN, OP_LDX_IMM],
  [BPF_LD | BPF_IMM, OP_LD_IMM], [BPF_LDX | BPF_IMM, OP_LDX_IMM], [BPF_LD | BPF_MEM, OP_LD_MEM],
  [BPF_LDX | BPF_MEM, OP_LDX_MEM], [BPF_ST, OP_ST], [BPF_STX, OP_STX], [BPF_MISC | BPF_TAX, OP_TAX],
  [BPF_MISC | BPF_TXA, OP_TXA],
  [BPF_ALU | BPF_ADD | BPF_K, OP_ADD_K], [BPF_ALU | BPF_ADD | BPF_X, OP_ADD_X],
  [BPF_ALU | BPF_SUB | BPF_K, OP_SUB_K], [BPF_ALU | BPF_SUB | BPF_X, OP_SUB_X],
  [BPF_ALU | BPF_MUL | BPF_K, OP_MUL_K], [BPF_ALU | BPF_MUL | BPF_X, OP_MUL_X],
  [BPF_ALU | BPF_DIV | BPF_K, OP_DIV_K], [BPF_ALU | BPF_DIV | BPF_X, OP_DIV_X],
  [BPF_ALU | BPF_AND | BPF_K, OP_AND_K], [BPF_ALU | BPF_AND | BPF_X, OP_AND_X],
  [BPF_ALU | BPF_OR | BPF_K, OP_OR_K], [BPF_ALU | BPF_OR | BPF_X, OP_OR_X],
  [BPF_ALU | BPF_XOR | BPF_K, OP_XOR_K], [BPF_ALU | BPF_XOR | BPF_X, OP_XOR_X],
  [BPF_ALU | BPF_LSH | BPF_K, OP_LSH_K], [BPF_ALU | BPF_LSH | BPF_X, OP_LSH_X],
  [BPF_ALU | BPF_RSH | BPF_K, OP_RSH_K], [BPF_ALU | BPF_RSH | BPF_X, OP_RSH_X], [BPF_ALU | BPF_NEG, OP_NEG],
  [BPF_JMP | BPF_JA, OP_JA], [BPF_JMP | BPF_JEQ | BPF_K, OP_JEQ_K], [BPF_JMP | BPF_JEQ | BPF_X, OP_JEQ_X],
  [BPF_JMP | BPF_JGT | BPF_K, OP_JGT_K], [BPF_JMP | BPF_JGT | BPF_X, OP_JGT_X],
  [BPF_JMP | BPF_JGE | BPF_K, OP_JGE_K], [BPF_JMP | BPF_JGE | BPF_X, OP_JGE_X],
  [BPF_JMP | BPF_JSET | BPF_K, OP_JSET_K], [BPF_JMP | BPF_JSET | BPF_X, OP_JSET_X],
  [BPF_RET | BPF_K, OP_RET_K], [BPF_RET | BPF_A, OP_RET_A],
]);

/** Syscall numbers below this have a place in a chain's cache of calls allowed whatever the arguments. */
const NR_CACHED = 512;

/** A program as bpf_check_classic and seccomp_check_filter passed it; immutable. */
export interface SeccompProg {
  /** its length once converted to eBPF (bpf_convert_filter): what MAX_INSNS_PER_PATH counts */
  readonly ebpfLen: number;
  readonly op: Uint8Array;
  readonly jt: Uint8Array;
  readonly jf: Uint8Array;
  readonly k: Uint32Array;
  /** the instructions as the guest gave them (code, jt, jf, k), for the cache's emulation */
  readonly code: Uint16Array;
}

/**
 * Check a classic program the way bpf_check_classic and then
 * seccomp_check_filter do (any failure is EINVAL): only seccomp's opcodes,
 * loads of whole aligned words inside seccomp_data, no constant division
 * by zero or shift past 31, scratch cells below 16 and none read before a
 * store on every path to it, jumps that stay inside, a RET at the end.
 * raw: the sock_filter array's bytes.
 */
export function prepareProg(raw: Uint8Array, len: number): SeccompProg | number {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const prog = {
    ebpfLen: 3, // the prologue: A and X zeroed, the context saved
    op: new Uint8Array(len), jt: new Uint8Array(len), jf: new Uint8Array(len), k: new Uint32Array(len),
    code: new Uint16Array(len),
  };
  for (let pc = 0; pc < len; pc++) {
    const code = dv.getUint16(pc * 8, true), jt = dv.getUint8(pc * 8 + 2), jf = dv.getUint8(pc * 8 + 3);
    let k = dv.getUint32(pc * 8 + 4, true);
    const op = OPS.get(code);
    if (op === undefined) return -Errno.EINVAL;
    switch (op) {
      case OP_DIV_K:
        if (k === 0) return -Errno.EINVAL;
        break;
      case OP_LSH_K:
      case OP_RSH_K:
        if (k >= 32) return -Errno.EINVAL;
        break;
      case OP_LD_MEM:
      case OP_LDX_MEM:
      case OP_ST:
      case OP_STX:
        if (k >= BPF_MEMWORDS) return -Errno.EINVAL;
        break;
      case OP_JA:
        if (k >= len - pc - 1) return -Errno.EINVAL;
        break;
      case OP_JEQ_K: case OP_JEQ_X: case OP_JGT_K: case OP_JGT_X: case OP_JGE_K: case OP_JGE_X: case OP_JSET_K: case OP_JSET_X:
        if (pc + jt + 1 >= len || pc + jf + 1 >= len) return -Errno.EINVAL;
        break;
      case OP_LD_ABS:
        if (k >= SECCOMP_DATA_SIZE || k & 3) return -Errno.EINVAL;
        k >>>= 2; // the word's index
        break;
      case OP_LD_IMM:
      case OP_LDX_IMM:
        if (code & BPF_LEN) k = SECCOMP_DATA_SIZE;
        break;
    }
    prog.ebpfLen += ebpfInsns(op, k, jt, jf);
    prog.op[pc] = op;
    prog.jt[pc] = jt;
    prog.jf[pc] = jf;
    prog.k[pc] = k;
    prog.code[pc] = code;
  }
  const last = prog.op[len - 1];
  if (last !== OP_RET_K && last !== OP_RET_A) return -Errno.EINVAL;
  return checkLoadAndStores(prog, len);
}

/**
 * How many eBPF instructions bpf_convert_filter makes of one classic one:
 * RET K is a move and an exit; A / X guards X = 0 with four more; a
 * conditional jump whose false branch is not the next instruction takes a
 * second jump (unless it can be inverted: JEQ, JGT, JGE with jt 0), and a
 * constant that is negative as an int is moved to a register first.
 */
function ebpfInsns(op: number, k: number, jt: number, jf: number): number {
  switch (op) {
    case OP_RET_K:
      return 2;
    case OP_DIV_X:
      return 5;
    case OP_JEQ_K: case OP_JEQ_X: case OP_JGT_K: case OP_JGT_X: case OP_JGE_K: case OP_JGE_X: case OP_JSET_K: case OP_JSET_X: {
      const viaTmp = (op === OP_JEQ_K || op === OP_JGT_K || op === OP_JGE_K || op === OP_JSET_K) && (k | 0) < 0 ? 1 : 0;
      if (jf === 0) return 1 + viaTmp;
      if (jt === 0 && op !== OP_JSET_K && op !== OP_JSET_X) return 1 + viaTmp;
      return 2 + viaTmp;
    }
    default:
      return 1;
  }
}

/** check_load_and_stores: a scratch cell is read only where every path to the read stored it. */
function checkLoadAndStores(p: SeccompProg, len: number): SeccompProg | number {
  const masks = new Uint16Array(len).fill(0xffff);
  let valid = 0;
  for (let pc = 0; pc < len; pc++) {
    valid &= masks[pc]!;
    const op = p.op[pc]!, k = p.k[pc]!;
    switch (op) {
      case OP_ST:
      case OP_STX:
        valid |= 1 << k;
        break;
      case OP_LD_MEM:
      case OP_LDX_MEM:
        if (!(valid & (1 << k))) return -Errno.EINVAL;
        break;
      case OP_JA:
        masks[pc + 1 + k]! &= valid;
        valid = 0xffff;
        break;
      case OP_JEQ_K: case OP_JEQ_X: case OP_JGT_K: case OP_JGT_X: case OP_JGE_K: case OP_JGE_X: case OP_JSET_K: case OP_JSET_X:
        masks[pc + 1 + p.jt[pc]!]! &= valid;
        masks[pc + 1 + p.jf[pc]!]! &= valid;
        valid = 0xffff;
        break;
    }
  }
  return p;
}

/**
 * seccomp_is_const_allow: does the program allow syscall nr whatever the
 * arguments? Followed with nr and arch known; anything that looks further
 * (another field, X, arithmetic other than AND) says "don't know".
 */
function constAllow(p: SeccompProg, nr: number): boolean {
  let a = 0;
  for (let pc = 0; pc < p.op.length; pc++) {
    const k = p.k[pc]!;
    switch (p.code[pc]) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (k === SD_NR >>> 2) a = nr;
        else if (k === SD_ARCH >>> 2) a = AUDIT_ARCH_X86_64;
        else return false;
        break;
      case BPF_RET | BPF_K:
        return k === SECCOMP_RET_ALLOW;
      case BPF_JMP | BPF_JA:
        pc += k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += a === k ? p.jt[pc]! : p.jf[pc]!;
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += a >= k ? p.jt[pc]! : p.jf[pc]!;
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += a > k ? p.jt[pc]! : p.jf[pc]!;
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += a & k ? p.jt[pc]! : p.jf[pc]!;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        a = (a & k) >>> 0;
        break;
      default:
        return false;
    }
  }
  return false;
}

/**
 * struct seccomp_filter: one attached program, its place in the tree, and
 * its listener. Immutable once attached, but for users and the listener.
 */
export class SeccompFilter {
  /** the filters before it (run too); immutable */
  readonly prev: SeccompFilter | null;
  /** how many filters the chain ending here has (/proc/PID/status Seccomp_filters); immutable */
  readonly depth: number;
  /** instructions on the path, each filter counted with 4 more (MAX_INSNS_PER_PATH); immutable */
  readonly pathInsns: number;
  /** the chain's cache: 1 for a syscall number every filter of the chain allows whatever the arguments; immutable */
  readonly allow: Uint8Array;
  /** SECCOMP_FILTER_FLAG_LOG: log every action but ALLOW; immutable */
  readonly log: boolean;
  /** its listener (SECCOMP_FILTER_FLAG_NEW_LISTENER) while the listener's fd is open; guarded by the JS thread
   * (set at attach, cleared when the listener file is released) */
  listener: SeccompListener | null = null;
  /** filter->users: tasks whose chain holds it, directly or through a later filter; guarded by the JS thread
   * (attach, fork, TSYNC and task exit change it). At 0 the listener polls POLLHUP. */
  users = 1;

  constructor(readonly prog: SeccompProg, prev: SeccompFilter | null, log: boolean) {
    this.prev = prev;
    this.log = log;
    this.depth = (prev?.depth ?? 0) + 1;
    this.pathInsns = pathInsnsAfter(prev, prog);
    this.allow = new Uint8Array(NR_CACHED);
    for (let nr = 0; nr < NR_CACHED; nr++) {
      this.allow[nr] = (!prev || prev.allow[nr]) && constAllow(prog, nr) ? 1 : 0;
    }
  }
}

/** The instructions on the path once prog is attached over chain (seccomp_attach_filter's total_insns: each
 * filter's eBPF length, and 4 more for each earlier one). */
export function pathInsnsAfter(chain: SeccompFilter | null, prog: SeccompProg): number {
  return prog.ebpfLen + (chain ? chain.pathInsns + 4 : 0);
}

/** is_ancestor: is a (null: the root) on b's chain? */
export function isAncestor(a: SeccompFilter | null, b: SeccompFilter | null): boolean {
  if (a === null) return true;
  for (let f = b; f; f = f.prev) if (f === a) return true;
  return false;
}

/** A task takes a reference to chain f (get_seccomp_filter: fork, TSYNC). */
export function getFilter(f: SeccompFilter | null): void {
  if (f) f.users++;
}

/** __seccomp_filter_release: a task lets go of its chain (exit, TSYNC); a filter no task uses any more
 * hangs up its listener. */
export function releaseFilter(f: SeccompFilter | null): void {
  for (; f && --f.users === 0; f = f.prev) f.listener?.hangup();
}

/** struct seccomp_data of the call being filtered, as 16 words; the JS thread's scratch, filled per call */
const sd = new Uint32Array(SECCOMP_DATA_SIZE / 4);
/** the programs' scratch memory M[]; never read before written (checkLoadAndStores) */
const mem = new Uint32Array(BPF_MEMWORDS);

/** populate_seccomp_data: nr, arch, the address after the syscall instruction, the six arguments. */
function populate(t: Task): Uint32Array {
  const w = t.regs.w;
  sd[0] = w[2 * ORIG_RAX]!;
  sd[1] = AUDIT_ARCH_X86_64;
  sd[2] = w[2 * RIP]!;
  sd[3] = w[2 * RIP + 1]!;
  for (let i = 0; i < 6; i++) {
    const r = ARG_REGS[i]!;
    sd[4 + 2 * i] = w[2 * r]!;
    sd[5 + 2 * i] = w[2 * r + 1]!;
  }
  return sd;
}

/** Run one checked program over d (the classic interpreter; A and X as unsigned 32-bit). */
function runProg(p: SeccompProg, d: Uint32Array): number {
  const op = p.op, kk = p.k, jt = p.jt, jf = p.jf, m = mem;
  let a = 0, x = 0;
  for (let pc = 0; ; pc++) {
    const k = kk[pc]!;
    switch (op[pc]) {
      case OP_LD_ABS: a = d[k]!; break;
      case OP_LD_IMM: a = k; break;
      case OP_LDX_IMM: x = k; break;
      case OP_LD_MEM: a = m[k]!; break;
      case OP_LDX_MEM: x = m[k]!; break;
      case OP_ST: m[k] = a; break;
      case OP_STX: m[k] = x; break;
      case OP_TAX: x = a; break;
      case OP_TXA: a = x; break;
      case OP_ADD_K: a = (a + k) >>> 0; break;
      case OP_ADD_X: a = (a + x) >>> 0; break;
      case OP_SUB_K: a = (a - k) >>> 0; break;
      case OP_SUB_X: a = (a - x) >>> 0; break;
      case OP_MUL_K: a = Math.imul(a, k) >>> 0; break;
      case OP_MUL_X: a = Math.imul(a, x) >>> 0; break;
      case OP_DIV_K: a = (a / k) >>> 0; break;
      // a division by X = 0 ends the program with 0 (the converted program's guard): KILL_THREAD
      case OP_DIV_X: if (x === 0) return 0; a = (a / x) >>> 0; break;
      case OP_AND_K: a = (a & k) >>> 0; break;
      case OP_AND_X: a = (a & x) >>> 0; break;
      case OP_OR_K: a = (a | k) >>> 0; break;
      case OP_OR_X: a = (a | x) >>> 0; break;
      case OP_XOR_K: a = (a ^ k) >>> 0; break;
      case OP_XOR_X: a = (a ^ x) >>> 0; break;
      case OP_LSH_K: a = (a << k) >>> 0; break;
      case OP_LSH_X: a = (a << (x & 31)) >>> 0; break;
      case OP_RSH_K: a = a >>> k; break;
      case OP_RSH_X: a = a >>> (x & 31); break;
      case OP_NEG: a = (0 - a) >>> 0; break;
      case OP_JA: pc += k; break;
      case OP_JEQ_K: pc += a === k ? jt[pc]! : jf[pc]!; break;
      case OP_JEQ_X: pc += a === x ? jt[pc]! : jf[pc]!; break;
      case OP_JGT_K: pc += a > k ? jt[pc]! : jf[pc]!; break;
      case OP_JGT_X: pc += a > x ? jt[pc]! : jf[pc]!; break;
      case OP_JGE_K: pc += a >= k ? jt[pc]! : jf[pc]!; break;
      case OP_JGE_X: pc += a >= x ? jt[pc]! : jf[pc]!; break;
      case OP_JSET_K: pc += a & k ? jt[pc]! : jf[pc]!; break;
      case OP_JSET_X: pc += a & x ? jt[pc]! : jf[pc]!; break;
      case OP_RET_K: return k;
      default: return a; // OP_RET_A
    }
  }
}

/** ACTION_ONLY: the action as a signed 32-bit number (KILL_PROCESS's top bit makes it the lowest) */
const actionOnly = (ret: number): number => ret & SECCOMP_RET_ACTION_FULL;

/** The filter whose action won the last run (seccomp_run_filters' match); JS thread scratch */
let matched: SeccompFilter | null = null;

/** seccomp_run_filters: every filter of the chain; the lowest action wins (its data with it). */
function runFilters(chain: SeccompFilter, d: Uint32Array): number {
  let ret = SECCOMP_RET_ALLOW;
  matched = null;
  for (let f: SeccompFilter | null = chain; f; f = f.prev) {
    const cur = runProg(f.prog, d);
    if (actionOnly(cur) < actionOnly(ret)) {
      ret = cur;
      matched = f;
    }
  }
  return ret;
}

/**
 * A result a filter or a supervisor chose, as the call's final word: a
 * restart code among them (ERRNO(512)...) reaches the guest as that errno,
 * as on Linux when no signal is pending, rather than restarting the call
 * (which is what umlts's return path makes of one otherwise).
 */
export function finalResult(t: Task, v: number): number {
  if (v > -ERESTARTSYS || v < -ERESTART_RESTARTBLOCK) return v;
  t.regs.setResult(v);
  return REGS_SET;
}

/** The syscalls strict mode lets through (mode1_syscalls). */
const strictAllowed = (nr: number): boolean => nr === SYS_read || nr === SYS_write || nr === SYS_exit || nr === SYS_rt_sigreturn;

/** seccomp_log: to the kernel log, in audit's words (type=1326 is AUDIT_SECCOMP). */
function logAction(t: Task, nr: number, sig: number, ret: number): void {
  const ip = t.regs.get(RIP);
  t.kernel.klog.append(5, `audit: type=1326 pid=${t.tid} comm="${t.comm}" sig=${sig} arch=${AUDIT_ARCH_X86_64.toString(16)} ` +
    `syscall=${nr} compat=0 ip=0x${ip.toString(16)} code=0x${(ret >>> 0).toString(16)}`);
}

/**
 * __secure_computing, as syscall nr enters: NO_VERDICT to go on to the hook
 * and the handler, or what the call returns instead — a result, REGS_SET
 * (a trap: rax is the syscall number again, as syscall_rollback leaves it,
 * and SIGSYS is on its way), or BLOCKED (the task was killed, or waits for
 * its listener's answer). Only for a task whose mode is not DISABLED.
 */
export function secureComputing(t: Task, nr: number): number {
  if (t.seccompMode === SECCOMP_MODE_STRICT) {
    if (strictAllowed(nr)) return NO_VERDICT;
    logAction(t, nr, SIGKILL, SECCOMP_RET_KILL_THREAD);
    // __secure_computing_strict: do_exit(SIGKILL), of this thread only
    t.sc.hooked = false; // (asked again if the exit has to be re-run)
    t.kernel.exitThread(t, SIGKILL);
    return BLOCKED;
  }
  const notif = t.sc.notif;
  if (notif !== null) return notif.listener.waitAnswer(t, notif);
  const chain = t.seccompFilter!;
  if (nr >= 0 && nr < NR_CACHED && chain.allow[nr]) return NO_VERDICT;
  const ret = runFilters(chain, populate(t));
  const data = ret & SECCOMP_RET_DATA;
  switch (actionOnly(ret)) {
    case SECCOMP_RET_ALLOW:
      return NO_VERDICT;
    case SECCOMP_RET_LOG:
      logAction(t, nr, 0, ret);
      return NO_VERDICT;
    case SECCOMP_RET_ERRNO:
      if (matched!.log) logAction(t, nr, 0, ret);
      return finalResult(t, data === 0 ? 0 : -Math.min(data, 4095)); // MAX_ERRNO
    case SECCOMP_RET_TRACE:
      // the tracer saw this call at its stop and let it go on (recheck_after_trace)
      if (t.sc.seccompRecheck) return NO_VERDICT;
      if (ptraceSeccompStop(t.kernel, t, data)) return BLOCKED;
      if (matched!.log) logAction(t, nr, 0, ret);
      return -Errno.ENOSYS;
    case SECCOMP_RET_USER_NOTIF: {
      const l = matched!.listener;
      if (l === null) return -Errno.ENOSYS;
      return l.notify(t, nr, sd);
    }
    case SECCOMP_RET_TRAP: {
      if (matched!.log) logAction(t, nr, 0, ret);
      // syscall_rollback: the handler sees rax as the call had it; force_sig_seccomp
      const r = t.regs;
      r.w[2 * RAX] = r.w[2 * ORIG_RAX]!;
      r.w[2 * RAX + 1] = r.w[2 * ORIG_RAX + 1]!;
      r.dirty = true;
      t.kernel.forceSignal(t, SIGSYS, {
        signo: SIGSYS, code: SYS_SECCOMP, errno: data, addr: r.get(RIP), syscall: nr, arch: AUDIT_ARCH_X86_64,
      });
      return REGS_SET;
    }
    default: {
      // KILL_THREAD, KILL_PROCESS, and any action Linux does not know (killed as KILL_PROCESS)
      logAction(t, nr, SIGSYS, ret);
      t.sc.hooked = false; // (asked again if the exit has to be re-run)
      if (actionOnly(ret) === SECCOMP_RET_KILL_THREAD) t.kernel.exitThread(t, SIGSYS);
      else t.kernel.exitGroup(t, SIGSYS);
      return BLOCKED;
    }
  }
}
