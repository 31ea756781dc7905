/**
 * --strace: one line per syscall, like strace(1): name, decoded arguments,
 * result or errno name. Called only when --strace is on (never on the
 * normal trap path).
 */
import type { Task } from '../kernel/task.js';
import { ERRNO_NAMES } from '../kernel/errno.js';
import { ARG_REGS } from '../platform/regs.js';
import { SYSCALL_NAMES } from './nr.js';

/**
 * Argument kinds per syscall: d int, u unsigned, x hex, s string in, b buffer
 * in (length: next arg), o buffer out (length: result), a dirfd, f open flags,
 * m octal mode, p pointer, S signal number.
 */
const FORMATS: Record<string, string> = {
  read: 'dou', write: 'dbu', pread64: 'doud', pwrite64: 'dbud', open: 'sfm', openat: 'asfm', close: 'd',
  stat: 'sp', fstat: 'dp', lstat: 'sp', newfstatat: 'aspx', statx: 'asxxp', lseek: 'ddd', mmap: 'xuxxdx',
  mprotect: 'xux', munmap: 'xu', brk: 'x', rt_sigaction: 'Sppu', rt_sigprocmask: 'dppu', ioctl: 'dxx',
  readv: 'dpd', writev: 'dpd', access: 'so', faccessat: 'aso', faccessat2: 'asod', dup: 'd', dup2: 'dd', dup3: 'ddf',
  nanosleep: 'pp', getpid: '', getppid: '', exit: 'd', exit_group: 'd', execve: 'spp', uname: 'p', fcntl: 'ddx',
  getdents64: 'dpu', getcwd: 'pu', chdir: 's', readlink: 'spu', readlinkat: 'aspu', arch_prctl: 'xx',
  set_tid_address: 'p', set_robust_list: 'pu', prlimit64: 'ddpp', getrandom: 'pux', clock_gettime: 'dp',
  clock_nanosleep: 'ddpp', mremap: 'xuuxx', madvise: 'xud', kill: 'dS', tgkill: 'ddS', futex: 'pdupxu',
  unlink: 's', unlinkat: 'asx', mkdir: 'sm', mkdirat: 'asm', rename: 'ss', renameat2: 'asasx', umask: 'm',
  wait4: 'dpxp', chmod: 'sm', fchmod: 'dm', ftruncate: 'dd', truncate: 'sd', symlink: 'ss', link: 'ss',
};

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
        args.push(String(v));
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
        args.push(v === 0 ? 'NULL' : safe(() => JSON.stringify(t.mm.readCString(v, 4096)), '0x' + v.toString(16)));
        break;
      case 'b': {
        const len = Math.min(r.get(ARG_REGS[i + 1]!), 4096);
        args.push(safe(() => quote(t.mm.read(v, Math.min(len, 64))) + (len > 64 ? '...' : ''), '0x' + v.toString(16)));
        break;
      }
      case 'o':
        args.push(ret > 0 ? safe(() => quote(t.mm.read(v, Math.min(ret, 64))) + (ret > 64 ? '...' : ''), '0x' + v.toString(16)) : '0x' + v.toString(16));
        break;
      case 'f':
        args.push('0x' + v.toString(16));
        break;
      default:
        args.push(v === 0 ? (fmt[i] === 'p' ? 'NULL' : '0') : '0x' + v.toString(16));
    }
  }
  const res = ret < 0 && ret >= -4095 ? `-1 ${ERRNO_NAMES[-ret] ?? 'E' + -ret}` : ret > 0xffff ? '0x' + ret.toString(16) : String(ret);
  return `${t.tid === 1 ? "" : `[pid ${t.tid}] `}${name}(${args.join(", ")}) = ${res}`;
}
