/**
 * Syscall hooks and tracing, on the kernel's side (the worker): the
 * SyscallCall a hook sees, the verdict it returns made into the guest's
 * result, and the events the 'syscall' stream carries.
 *
 * A hook runs synchronously in the trap path, in the kernel's thread, once
 * per syscall as it enters (kernel/syscall.ts asks); whatever it costs, the
 * guest waits for. Without a hook the kernel pays one null test.
 */
import { ERRNO_NAMES } from '../abi/errno.js';
import { SYSCALL_NAMES } from '../abi/syscall_nr.js';
import { ARG_REGS } from '../platform/regs.js';
import { NO_VERDICT, BLOCKED, SyscallHook } from '../kernel/syscall.js';
import type { Task } from '../kernel/task.js';
import { readCString } from '../syscalls/uaccess.js';
import type { SyscallCall, SyscallEvent } from './protocol.js';

/** syscall name -> which argument is its path (the first one it takes) */
const PATH_ARG: Readonly<Record<string, number>> = {
  open: 0, creat: 0, openat: 1, openat2: 1, stat: 0, lstat: 0, newfstatat: 1, statx: 1, access: 0, faccessat: 1, faccessat2: 1,
  execve: 0, execveat: 1, chdir: 0, chroot: 0, readlink: 0, readlinkat: 1, unlink: 0, unlinkat: 1, mkdir: 0, mkdirat: 1, rmdir: 0,
  rename: 0, renameat: 1, renameat2: 1, link: 0, linkat: 1, symlink: 1, symlinkat: 2, chmod: 0, fchmodat: 1, fchmodat2: 1,
  chown: 0, lchown: 0, fchownat: 1, truncate: 0, utime: 0, utimes: 0, futimesat: 1, utimensat: 1, mknod: 0, mknodat: 1,
  statfs: 0, getxattr: 0, lgetxattr: 0, setxattr: 0, lsetxattr: 0, listxattr: 0, llistxattr: 0, removexattr: 0,
  lremovexattr: 0, name_to_handle_at: 1, uselib: 0, swapon: 0, swapoff: 0, acct: 0, pivot_root: 0, mount: 1, umount2: 0,
};

/** errno name -> number */
const ERRNO_BY_NAME = new Map(Object.entries(ERRNO_NAMES).map(([n, name]) => [name, Number(n)]));

/** The call a hook sees: who, which, the arguments (and the path, for path-taking calls). Allocates: only with a hook or tracer set. */
export function syscallCall(task: Task, nr: number): SyscallCall {
  const r = task.regs;
  const name = SYSCALL_NAMES[nr] ?? `syscall_${nr}`;
  const call: SyscallCall = { pid: task.pid, tid: task.tid, comm: task.comm, nr, name, args: ARG_REGS.map((reg) => r.getS(reg)) };
  const pi = PATH_ARG[name];
  if (pi !== undefined) {
    const addr = r.get(ARG_REGS[pi]!);
    if (addr !== 0) {
      try {
        call.path = readCString(task, addr, 4096);
      } catch {
        // a bad pointer: the handler will say EFAULT; the hook sees no path
      }
    }
  }
  return call;
}

/** A finished call as the 'syscall' event carries it. */
export function syscallEvent(task: Task, nr: number, ret: number, line: string): SyscallEvent {
  const e = syscallCall(task, nr) as SyscallEvent;
  e.ret = ret;
  if (ret < 0 && ret >= -4095) e.errno = ERRNO_NAMES[-ret] ?? `E${-ret}`;
  e.line = line;
  return e;
}

/** What a hook's onSyscall returned, as the guest's result (or NO_VERDICT); throws TypeError for anything else. */
export function verdictOf(v: unknown): number {
  if (v === undefined || v === null) return NO_VERDICT;
  if (typeof v === 'object') {
    const o = v as { errno?: unknown; value?: unknown };
    if ('errno' in o) {
      const e = typeof o.errno === 'string' ? ERRNO_BY_NAME.get(o.errno) : o.errno;
      if (typeof e !== 'number' || !Number.isInteger(e) || e < 1 || e > 4095) throw new TypeError(`bad errno ${String(o.errno)}`);
      return -e;
    }
    if ('value' in o) {
      const n = typeof o.value === 'bigint' ? Number(BigInt.asIntN(64, o.value)) : o.value;
      // a value the kernel keeps for itself (BLOCKED...) or past ±2^53 cannot be returned
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < -4095) throw new TypeError(`bad value ${String(o.value)}`);
      return n;
    }
  }
  throw new TypeError(`expected nothing, {errno} or {value}, got ${JSON.stringify(v)}`);
}

/** The module a `hooks` URL names, loaded in the kernel's worker. */
export interface HookModule {
  onSyscall(call: SyscallCall): unknown;
}

/**
 * The kernel's SyscallHook for a hook module. A hook that throws or returns
 * nonsense fails closed: the calling process gets SIGSYS (as seccomp's
 * SECCOMP_RET_KILL_PROCESS would) and the reason is logged.
 */
export function kernelHook(mod: HookModule, log: (line: string) => void, kill: (task: Task) => void): SyscallHook {
  return (task, nr) => {
    const call = syscallCall(task, nr);
    try {
      return verdictOf(mod.onSyscall(call));
    } catch (e) {
      log(`umlts: syscall hook failed on ${call.name} of pid ${call.pid}: ${e instanceof Error ? e.message : String(e)}; the process is killed (SIGSYS)`);
      kill(task);
      return BLOCKED; // the task is gone: nothing to return to
    }
  };
}
