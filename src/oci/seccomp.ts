/**
 * config.json's linux.seccomp (the OCI runtime spec, config-linux.md
 * "Seccomp"; what runc hands libseccomp) compiled to a classic BPF program
 * the guest's kernel runs over every syscall of the container's processes,
 * as a filter they start under (the library's `seccomp` option).
 *
 * The program: a syscall of another architecture, or an x32 one, takes the
 * default action (umlts runs x86-64 code only); then each rule's syscalls
 * in the order given, a rule whose argument conditions fail passing on to
 * the next (so a rule that allows clone without namespace flags and the
 * default's EPERM for the rest mean what they mean under runc); the
 * default action last. Syscall names this kernel's table lacks are left
 * out, as libseccomp leaves out names it does not know. Arguments are
 * compared as 64-bit values (each condition two 32-bit halves).
 */
import { OciError } from './errors.js';
import { SYSCALL_NAMES } from '../abi/syscall_nr.js';
import {
  SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO, SECCOMP_RET_TRACE,
  SECCOMP_RET_LOG, SECCOMP_RET_ALLOW, SECCOMP_FILTER_FLAG_LOG, AUDIT_ARCH_X86_64, SD_NR, SD_ARCH, SD_ARGS,
  SOCK_FILTER_SIZE, BPF_MAXINSNS, BPF_LD, BPF_W, BPF_ABS, BPF_JMP, BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_K, BPF_RET,
  BPF_ALU, BPF_AND,
} from '../abi/seccomp.js';
import { Errno } from '../abi/errno.js';

/** A compiled profile: the program (struct sock_filter[]) and SECCOMP_SET_MODE_FILTER's flags. */
export interface SeccompProfile {
  program: Uint8Array;
  flags: number;
}

/** the first syscall number of the x32 ABI (__X32_SYSCALL_BIT) */
const X32_SYSCALL_BIT = 0x40000000;

const NUMBERS = new Map<string, number>();
SYSCALL_NAMES.forEach((n, nr) => {
  if (n) NUMBERS.set(n, nr);
});

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An action's return value (SCMP_ACT_*), with its errno or trace data; errnoRet defaults to EPERM, as runc's. */
function action(name: unknown, errnoRet: unknown, where: string): number {
  const data = (v: number): number => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new OciError(`${where}: errnoRet ${v} is out of range`);
    return v;
  };
  switch (name) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET_KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET_KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET_TRAP;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET_ERRNO | data(errnoRet === undefined ? Errno.EPERM : Number(errnoRet))) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET_TRACE | data(errnoRet === undefined ? 0 : Number(errnoRet))) >>> 0;
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET_LOG;
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET_ALLOW;
    default:
      // SCMP_ACT_NOTIFY needs a listener on the host (listenerPath), which umlts does not offer
      throw new OciError(`${where}: action ${JSON.stringify(name)} is not supported`);
  }
}

/** A program under construction: instructions, and jumps to labels resolved at the end. */
class Prog {
  readonly code: number[] = [];
  readonly jt: (number | string)[] = [];
  readonly jf: (number | string)[] = [];
  readonly k: number[] = [];
  readonly labels = new Map<string, number>();
  emit(code: number, k: number, jt: number | string = 0, jf: number | string = 0): void {
    this.code.push(code);
    this.k.push(k >>> 0);
    this.jt.push(jt);
    this.jf.push(jf);
  }
  label(name: string): void {
    this.labels.set(name, this.code.length);
  }
  /** jump to label if the condition (code, k) holds; fall through otherwise (a far label takes a BPF_JA) */
  jumpIf(code: number, k: number, to: string): void {
    this.emit(code, k, 0, 1);
    this.emit(BPF_JMP | BPF_JA, 0, to);
  }
  /** jump to label unless the condition holds */
  jumpUnless(code: number, k: number, to: string): void {
    this.emit(code, k, 1, 0);
    this.emit(BPF_JMP | BPF_JA, 0, to);
  }
  /** The program's instructions; `what` names the profile in an error. */
  bytes(what: string): Uint8Array {
    const n = this.code.length;
    if (n > BPF_MAXINSNS) throw new OciError(`${what} compiles to ${n} instructions, more than ${BPF_MAXINSNS}`);
    const out = new Uint8Array(n * SOCK_FILTER_SIZE);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < n; i++) {
      const at = (t: number | string): number => (typeof t === 'number' ? t : this.labels.get(t)! - i - 1);
      dv.setUint16(i * 8, this.code[i]!, true);
      if (this.code[i] === (BPF_JMP | BPF_JA)) {
        dv.setUint32(i * 8 + 4, at(this.jt[i]!), true);
      } else {
        dv.setUint8(i * 8 + 2, at(this.jt[i]!));
        dv.setUint8(i * 8 + 3, at(this.jf[i]!));
        dv.setUint32(i * 8 + 4, this.k[i]!, true);
      }
    }
    return out;
  }
}

const LD_W = BPF_LD | BPF_W | BPF_ABS;
const JEQ = BPF_JMP | BPF_JEQ | BPF_K, JGT = BPF_JMP | BPF_JGT | BPF_K, JGE = BPF_JMP | BPF_JGE | BPF_K;

/** One argument condition: the code that falls through when it holds and jumps to `fail` when not. */
function argCondition(p: Prog, c: Obj, where: string, fail: string, uniq: string): void {
  const index = Number(c.index);
  if (!Number.isInteger(index) || index < 0 || index > 5) throw new OciError(`${where}: index ${String(c.index)} is not 0 to 5`);
  const big = (v: unknown, what: string): bigint => {
    try {
      const b = BigInt(v as number);
      if (b < 0n || b >= 1n << 64n) throw new Error();
      return b;
    } catch {
      throw new OciError(`${where}: ${what} ${String(v)} is not a 64-bit value`);
    }
  };
  const value = big(c.value ?? 0, 'value'), two = big(c.valueTwo ?? 0, 'valueTwo');
  const lo = (v: bigint): number => Number(v & 0xffffffffn), hi = (v: bigint): number => Number(v >> 32n);
  const ldLo = (): void => p.emit(LD_W, SD_ARGS + index * 8), ldHi = (): void => p.emit(LD_W, SD_ARGS + index * 8 + 4);
  const holds = `${uniq}.holds`;
  switch (c.op) {
    case 'SCMP_CMP_EQ':
      ldHi(); p.jumpUnless(JEQ, hi(value), fail);
      ldLo(); p.jumpUnless(JEQ, lo(value), fail);
      break;
    case 'SCMP_CMP_NE':
      ldHi(); p.jumpUnless(JEQ, hi(value), holds);
      ldLo(); p.jumpIf(JEQ, lo(value), fail);
      break;
    case 'SCMP_CMP_MASKED_EQ':
      ldHi(); p.emit(BPF_ALU | BPF_AND | BPF_K, hi(value)); p.jumpUnless(JEQ, hi(two), fail);
      ldLo(); p.emit(BPF_ALU | BPF_AND | BPF_K, lo(value)); p.jumpUnless(JEQ, lo(two), fail);
      break;
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      // unsigned 64-bit: the high halves decide unless equal, then the low halves
      const greater = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_GE';
      const orEqual = c.op === 'SCMP_CMP_GE' || c.op === 'SCMP_CMP_LE';
      ldHi();
      p.jumpIf(JGT, hi(value), greater ? holds : fail);
      p.jumpUnless(JEQ, hi(value), greater ? fail : holds);
      ldLo();
      if (greater) p.jumpUnless(orEqual ? JGE : JGT, lo(value), fail);
      else p.jumpIf(orEqual ? JGT : JGE, lo(value), fail);
      break;
    }
    default:
      throw new OciError(`${where}: op ${JSON.stringify(c.op)} is not one of SCMP_CMP_*`);
  }
  p.label(holds);
}

/**
 * Compile linux.seccomp (or, for the umlts command's --seccomp, a file holding such an object: `file` names it,
 * and messages name its fields from the top); null when there is none. Throws OciError (one line) for what runc
 * would refuse.
 */
export function compileSeccomp(s: unknown, file?: string): SeccompProfile | null {
  // what each message names: the file, then the field from the profile's top
  const base = file === undefined ? 'config.json: linux.seccomp' : `${file}: profile`;
  if (s === undefined || s === null) return null;
  if (!isObj(s)) throw new OciError(`${base} is not an object`);
  const dflt = action(s.defaultAction, s.defaultErrnoRet, `${base}.defaultAction`);
  let flags = 0;
  if (s.flags !== undefined) {
    if (!Array.isArray(s.flags)) throw new OciError(`${base}.flags is not an array`);
    for (const f of s.flags) {
      if (f === 'SECCOMP_FILTER_FLAG_LOG') flags |= SECCOMP_FILTER_FLAG_LOG;
      // SPEC_ALLOW (no speculation mitigation) and WAIT_KILLABLE_RECV (listeners) change nothing here
      else if (f !== 'SECCOMP_FILTER_FLAG_SPEC_ALLOW' && f !== 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV') {
        throw new OciError(`${base}.flags: ${JSON.stringify(f)} is not a seccomp flag`);
      }
    }
  }
  const p = new Prog();
  const rets = new Map<number, string>();
  const retLabel = (v: number): string => {
    let l = rets.get(v);
    if (!l) rets.set(v, (l = `ret${rets.size}`));
    return l;
  };
  p.emit(LD_W, SD_ARCH);
  p.jumpUnless(JEQ, AUDIT_ARCH_X86_64, retLabel(dflt));
  p.emit(LD_W, SD_NR);
  p.jumpIf(JGE, X32_SYSCALL_BIT, retLabel(dflt));
  const rules = s.syscalls ?? [];
  if (!Array.isArray(rules)) throw new OciError(`${base}.syscalls is not an array`);
  rules.forEach((r, i) => {
    const where = `${base}.syscalls[${i}]`;
    if (!isObj(r)) throw new OciError(`${where} is not an object`);
    const names = r.names ?? [];
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) throw new OciError(`${where}.names is not a list of names`);
    const ret = retLabel(action(r.action, r.errnoRet, where));
    const args = r.args ?? [];
    if (!Array.isArray(args) || args.some((a) => !isObj(a))) throw new OciError(`${where}.args is not a list of conditions`);
    (names as string[]).forEach((name, j) => {
      const nr = NUMBERS.get(name);
      if (nr === undefined) return;
      const uniq = `r${i}.${j}`, next = `${uniq}.next`;
      // (the syscall number is in A here: each rule's argument loads put it back before the next)
      if (args.length === 0) {
        p.jumpIf(JEQ, nr, ret);
        return;
      }
      p.jumpUnless(JEQ, nr, next);
      (args as Obj[]).forEach((a, m) => argCondition(p, a, `${where}.args[${m}]`, next, `${uniq}.${m}`));
      p.emit(BPF_JMP | BPF_JA, 0, ret);
      p.label(next);
      p.emit(LD_W, SD_NR);
    });
  });
  p.emit(BPF_RET | BPF_K, dflt);
  for (const [v, l] of rets) {
    p.label(l);
    p.emit(BPF_RET | BPF_K, v);
  }
  return { program: p.bytes(base), flags };
}
