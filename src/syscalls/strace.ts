/**
 * --strace: one line per syscall, like strace(1): name, decoded arguments,
 * result or errno name. Called only when --strace is on (never on the
 * normal trap path).
 */
import { getSystemErrorMap } from 'node:util';
import type { Task } from '../kernel/task.js';
import type { SigInfo } from '../kernel/signal.js';
import { SIGNAL_NAMES } from '../abi/signal.js';
import { ERRNO_NAMES } from '../abi/errno.js';
import { ARG_REGS } from '../platform/regs.js';
import { SYSCALL_NAMES } from '../abi/syscall_nr.js';
import { copyIn, readCString } from './uaccess.js';

/**
 * Argument kinds per syscall: d int, u unsigned, x hex, s string in, b buffer
 * in (length: next arg), o buffer out (length: result), a dirfd, f open flags,
 * m octal mode, p pointer, S signal number, P mmap prot, M mmap flags,
 * A AT_* flags.
 */
const FORMATS: Record<string, string> = {
  read: 'dou', write: 'dbu', pread64: 'doud', pwrite64: 'dbud', open: 'sfm', openat: 'asfm', close: 'd',
  stat: 'sp', fstat: 'dp', lstat: 'sp', newfstatat: 'aspA', statx: 'asAxp', lseek: 'ddd', mmap: 'xuPMdx',
  mprotect: 'xuP', munmap: 'xu', brk: 'x', rt_sigaction: 'Sppu', rt_sigprocmask: 'dppu', ioctl: 'dxx',
  readv: 'dpd', writev: 'dpd', access: 'so', faccessat: 'aso', faccessat2: 'asod', dup: 'd', dup2: 'dd', dup3: 'ddf',
  nanosleep: 'pp', getpid: '', getppid: '', exit: 'd', exit_group: 'd', execve: 'spp', uname: 'p', fcntl: 'ddx',
  getdents64: 'dpu', getcwd: 'pu', chdir: 's', readlink: 'spu', readlinkat: 'aspu', arch_prctl: 'xx',
  set_tid_address: 'p', set_robust_list: 'pu', prlimit64: 'ddpp', getrandom: 'pux', clock_gettime: 'dp',
  clock_nanosleep: 'ddpp', mremap: 'xuuxx', madvise: 'xud', kill: 'dS', tgkill: 'ddS', futex: 'pdupxu',
  unlink: 's', unlinkat: 'asx', mkdir: 'sm', mkdirat: 'asm', rename: 'ss', renameat2: 'asasx', umask: 'm',
  wait4: 'dpxp', chmod: 'sm', fchmod: 'dm', ftruncate: 'dd', truncate: 'sd', symlink: 'ss', link: 'ss',
  getuid: '', geteuid: '', getgid: '', getegid: '', gettid: '', getpgrp: '', setsid: '', sched_yield: '',
  pipe: 'p', pipe2: 'pf', rseq: 'pux', getpgid: 'd', setpgid: 'dd', prctl: 'dxxxx', sysinfo: 'p',
  sched_getaffinity: 'dup', getdents: 'dpu', lgetxattr: 'sspu', getxattr: 'sspu', socket: 'ddd',
};

function bits(v: number, names: Array<[number, string]>, rest: number): string {
  const out: string[] = [];
  for (const [b, n] of names) {
    if (v & b) {
      out.push(n);
      v &= ~b;
    }
  }
  if (v & ~rest) out.push('0x' + (v >>> 0).toString(16));
  return out.join('|');
}
const OPEN_FLAGS: Array<[number, string]> = [
  [0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [0o1000, 'O_TRUNC'], [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'], [0o10000, 'O_DSYNC'], [0o40000, 'O_DIRECT'], [0o200000, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'], [0o1000000, 'O_NOATIME'], [0o2000000, 'O_CLOEXEC'], [0o10000000, 'O_PATH'],
  [0o20000000, 'O_TMPFILE'], [0o100000, 'O_LARGEFILE'],
];
function openFlags(v: number): string {
  const acc = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'][v & 3]!;
  const more = bits(v & ~3, OPEN_FLAGS, 0);
  return more ? `${acc}|${more}` : acc;
}
const PROT: Array<[number, string]> = [[1, 'PROT_READ'], [2, 'PROT_WRITE'], [4, 'PROT_EXEC'], [0x01000000, 'PROT_GROWSDOWN']];
const MAPF: Array<[number, string]> = [
  [0x10, 'MAP_FIXED'], [0x20, 'MAP_ANONYMOUS'], [0x100, 'MAP_GROWSDOWN'], [0x800, 'MAP_DENYWRITE'], [0x4000, 'MAP_NORESERVE'],
  [0x8000, 'MAP_POPULATE'], [0x20000, 'MAP_STACK'], [0x100000, 'MAP_FIXED_NOREPLACE'],
];
const ATF: Array<[number, string]> = [[0x100, 'AT_SYMLINK_NOFOLLOW'], [0x200, 'AT_REMOVEDIR'], [0x400, 'AT_SYMLINK_FOLLOW'], [0x800, 'AT_NO_AUTOMOUNT'], [0x1000, 'AT_EMPTY_PATH']];

/** errno -> strace's "ENOENT (No such file or directory)" */
let errnoText: Map<number, string> | null = null;
function errText(e: number): string {
  if (!errnoText) {
    errnoText = new Map();
    for (const [neg, [name, msg]] of getSystemErrorMap()) errnoText.set(-neg, `${name} (${msg[0]!.toUpperCase()}${msg.slice(1)})`);
  }
  return errnoText.get(e) ?? ERRNO_NAMES[e] ?? `E${e}`;
}

function quote(b: Uint8Array, max = 32): string {
  let s = '"';
  for (let i = 0; i < Math.min(b.length, max); i++) {
    const c = b[i]!;
    if (c === 0x0a) s += '\\n';
    else if (c === 0x09) s += '\\t';
    else if (c === 0x0d) s += '\\r';
    else if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\' + c.toString(8);
  }
  s += '"';
  return b.length > max ? s + '...' : s;
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** The strace line for a syscall that returned ret (-errno for failures). */
export function straceLine(t: Task, nr: number, ret: number): string {
  const name = SYSCALL_NAMES[nr] ?? `syscall_${nr}`;
  const fmt = FORMATS[name] ?? 'xxx';
  const r = t.regs;
  const args: string[] = [];
  for (let i = 0; i < fmt.length; i++) {
    const reg = ARG_REGS[i]!;
    const v = r.get(reg);
    switch (fmt[i]) {
      case 'd':
        args.push(String(r.getI32(reg)));
        break;
      case 'u':
        args.push(String(r.getBig(reg)));
        break;
      case 'a':
        args.push(r.getI32(reg) === -100 ? 'AT_FDCWD' : String(r.getI32(reg)));
        break;
      case 'm':
        args.push('0' + (v & 0o7777).toString(8));
        break;
      case 'S':
        args.push(String(r.getI32(reg)));
        break;
      case 's':
        args.push(v === 0 ? 'NULL' : safe(() => JSON.stringify(readCString(t, v, 4096)), '0x' + v.toString(16)));
        break;
      case 'b': {
        const len = Math.min(r.get(ARG_REGS[i + 1]!), 4096);
        args.push(safe(() => quote(copyIn(t, v, Math.min(len, 64))) + (len > 64 ? '...' : ''), '0x' + v.toString(16)));
        break;
      }
      case 'o':
        args.push(ret > 0 ? safe(() => quote(copyIn(t, v, Math.min(ret, 64))) + (ret > 64 ? '...' : ''), '0x' + v.toString(16)) : '0x' + v.toString(16));
        break;
      case 'f':
        args.push(openFlags(r.getU32(reg)));
        break;
      case 'P':
        args.push(bits(r.getU32(reg), PROT, 0) || 'PROT_NONE');
        break;
      case 'M': {
        const f = r.getU32(reg);
        const type = ['0', 'MAP_SHARED', 'MAP_PRIVATE', 'MAP_SHARED_VALIDATE'][f & 3] ?? '0';
        const more = bits(f & ~0xf, MAPF, 0);
        args.push(more ? `${type}|${more}` : type);
        break;
      }
      case 'A':
        args.push(bits(r.getU32(reg), ATF, 0) || '0');
        break;
      default:
        // exact: a double rounds values past 2^53 (-1 printed as 0x10000000000000000, clone flags' low byte lost)
        args.push(v === 0 ? (fmt[i] === 'p' ? 'NULL' : '0') : '0x' + r.getBig(reg).toString(16));
    }
  }
  const res = ret < 0 && ret >= -4095 ? `-1 ${errText(-ret)}` : ret > 0xffff ? '0x' + ret.toString(16) : String(ret);
  return `${t.tid === 1 ? "" : `[pid ${t.tid}] `}${name}(${args.join(", ")}) = ${res}`;
}

/** The strace line for a signal being delivered: `--- SIGCHLD {si_signo=17, si_code=1, si_pid=3} ---`. */
export function straceSignalLine(t: Task, sig: number, info: SigInfo): string {
  const where = info.addr !== undefined ? `, si_addr=0x${info.addr.toString(16)}` : info.pid !== undefined ? `, si_pid=${info.pid}` : '';
  return `${t.tid === 1 ? '' : `[pid ${t.tid}] `}--- ${SIGNAL_NAMES[sig] ?? `SIG${sig}`} {si_signo=${sig}, si_code=${info.code}${where}} ---`;
}
