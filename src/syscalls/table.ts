/**
 * The syscall table: one literal keyed by SYS_* number. Each row names the
 * syscall, its handler and its support level. A number with no row returns
 * -ENOSYS and is named once on stderr (kernel/syscall.ts).
 */
import * as N from './nr.js';
import type { SyscallRow } from './types.js';
// ---- families (one file each) ----
// (imports are added per family below)
import * as P from './process.js';
import * as M from './mm.js';
import * as S from './signal.js';
import * as T from './time.js';
import * as I from './info.js';
import { sys_futex } from './futex.js';
import { Errno } from '../kernel/errno.js';

/** An honest "not offered": returns this errno, silently (glibc probes these and falls back). */
const fails = (e: Errno) => (): number => -e;

export const SYSCALL_TABLE: Readonly<Record<number, SyscallRow>> = {
  // ---- file I/O and filesystem: syscalls/file.ts ----
  // ---- end file ----

  // ---- processes: syscalls/process.ts ----
  [N.SYS_exit]: { name: 'exit', handler: P.sys_exit, status: 'partial', note: 'ends the whole process (one thread per process so far)' },
  [N.SYS_exit_group]: { name: 'exit_group', handler: P.sys_exit_group, status: 'supported' },
  [N.SYS_execve]: { name: 'execve', handler: P.sys_execve, status: 'supported' },
  [N.SYS_execveat]: { name: 'execveat', handler: P.sys_execveat, status: 'partial', note: 'AT_FDCWD or absolute paths only' },
  [N.SYS_getpid]: { name: 'getpid', handler: P.sys_getpid, status: 'supported' },
  [N.SYS_getppid]: { name: 'getppid', handler: P.sys_getppid, status: 'supported' },
  [N.SYS_gettid]: { name: 'gettid', handler: P.sys_gettid, status: 'supported' },
  [N.SYS_getuid]: { name: 'getuid', handler: P.sys_getuid, status: 'supported' },
  [N.SYS_geteuid]: { name: 'geteuid', handler: P.sys_geteuid, status: 'supported' },
  [N.SYS_getgid]: { name: 'getgid', handler: P.sys_getgid, status: 'supported' },
  [N.SYS_getegid]: { name: 'getegid', handler: P.sys_getegid, status: 'supported' },
  [N.SYS_getresuid]: { name: 'getresuid', handler: P.sys_getresuid, status: 'supported' },
  [N.SYS_getresgid]: { name: 'getresgid', handler: P.sys_getresgid, status: 'supported' },
  [N.SYS_getgroups]: { name: 'getgroups', handler: P.sys_getgroups, status: 'supported' },
  [N.SYS_setuid]: { name: 'setuid', handler: P.sys_setuid, status: 'supported' },
  [N.SYS_setgid]: { name: 'setgid', handler: P.sys_setgid, status: 'supported' },
  [N.SYS_getpgrp]: { name: 'getpgrp', handler: P.sys_getpgrp, status: 'supported' },
  [N.SYS_getpgid]: { name: 'getpgid', handler: P.sys_getpgid, status: 'partial', note: 'own process only' },
  [N.SYS_setpgid]: { name: 'setpgid', handler: P.sys_setpgid, status: 'partial', note: 'own process only' },
  [N.SYS_getsid]: { name: 'getsid', handler: P.sys_getsid, status: 'partial', note: 'own process only' },
  [N.SYS_setsid]: { name: 'setsid', handler: P.sys_setsid, status: 'supported' },
  [N.SYS_set_tid_address]: { name: 'set_tid_address', handler: P.sys_set_tid_address, status: 'supported' },
  [N.SYS_set_robust_list]: { name: 'set_robust_list', handler: P.sys_set_robust_list, status: 'supported' },
  [N.SYS_rseq]: { name: 'rseq', handler: fails(Errno.ENOSYS), status: 'stub', note: 'not offered: glibc falls back' },
  [N.SYS_arch_prctl]: { name: 'arch_prctl', handler: P.sys_arch_prctl, status: 'partial', note: 'FS/GS base only' },
  [N.SYS_prctl]: { name: 'prctl', handler: P.sys_prctl, status: 'partial', note: 'names, pdeathsig, dumpable, no_new_privs' },
  [N.SYS_prlimit64]: { name: 'prlimit64', handler: P.sys_prlimit64, status: 'partial', note: 'own process only' },
  [N.SYS_getrlimit]: { name: 'getrlimit', handler: P.sys_getrlimit, status: 'supported' },
  [N.SYS_setrlimit]: { name: 'setrlimit', handler: P.sys_setrlimit, status: 'supported' },
  [N.SYS_wait4]: { name: 'wait4', handler: P.sys_wait4, status: 'partial', note: 'no child processes yet: ECHILD' },

  // ---- memory: syscalls/mm.ts ----
  [N.SYS_brk]: { name: 'brk', handler: M.sys_brk, status: 'supported' },
  [N.SYS_mmap]: { name: 'mmap', handler: M.sys_mmap, status: 'partial', note: 'MAP_SHARED file mappings are not written back' },
  [N.SYS_munmap]: { name: 'munmap', handler: M.sys_munmap, status: 'supported' },
  [N.SYS_mprotect]: { name: 'mprotect', handler: M.sys_mprotect, status: 'supported' },
  [N.SYS_mremap]: { name: 'mremap', handler: M.sys_mremap, status: 'supported' },
  [N.SYS_madvise]: { name: 'madvise', handler: M.sys_madvise, status: 'supported' },
  [N.SYS_msync]: { name: 'msync', handler: M.sys_msync, status: 'partial', note: 'nothing to write back' },
  [N.SYS_mlock]: { name: 'mlock', handler: M.sys_mlock, status: 'supported' },
  [N.SYS_munlock]: { name: 'munlock', handler: M.sys_mlock, status: 'supported' },
  [N.SYS_mlock2]: { name: 'mlock2', handler: M.sys_mlock, status: 'supported' },
  [N.SYS_mlockall]: { name: 'mlockall', handler: M.sys_mlockall, status: 'supported' },
  [N.SYS_munlockall]: { name: 'munlockall', handler: M.sys_munlockall, status: 'supported' },
  [N.SYS_mincore]: { name: 'mincore', handler: M.sys_mincore, status: 'supported' },

  // ---- signals: syscalls/signal.ts ----
  [N.SYS_rt_sigaction]: { name: 'rt_sigaction', handler: S.sys_rt_sigaction, status: 'partial', note: 'recorded; handlers are not run yet' },
  [N.SYS_rt_sigprocmask]: { name: 'rt_sigprocmask', handler: S.sys_rt_sigprocmask, status: 'supported' },
  [N.SYS_sigaltstack]: { name: 'sigaltstack', handler: S.sys_sigaltstack, status: 'partial', note: 'recorded' },
  [N.SYS_rt_sigpending]: { name: 'rt_sigpending', handler: S.sys_rt_sigpending, status: 'partial' },
  [N.SYS_kill]: { name: 'kill', handler: S.sys_kill, status: 'partial', note: 'to itself; default actions only' },
  [N.SYS_tgkill]: { name: 'tgkill', handler: S.sys_tgkill, status: 'partial', note: 'to itself; default actions only' },
  [N.SYS_tkill]: { name: 'tkill', handler: S.sys_tkill, status: 'partial', note: 'to itself; default actions only' },

  // ---- time: syscalls/time.ts ----
  [N.SYS_clock_gettime]: { name: 'clock_gettime', handler: T.sys_clock_gettime, status: 'supported' },
  [N.SYS_clock_getres]: { name: 'clock_getres', handler: T.sys_clock_getres, status: 'supported' },
  [N.SYS_gettimeofday]: { name: 'gettimeofday', handler: T.sys_gettimeofday, status: 'supported' },
  [N.SYS_time]: { name: 'time', handler: T.sys_time, status: 'supported' },
  [N.SYS_nanosleep]: { name: 'nanosleep', handler: T.sys_nanosleep, status: 'partial', note: 'not interrupted by signals yet' },
  [N.SYS_clock_nanosleep]: { name: 'clock_nanosleep', handler: T.sys_clock_nanosleep, status: 'partial', note: 'not interrupted by signals yet' },
  [N.SYS_futex]: { name: 'futex', handler: sys_futex, status: 'partial', note: 'WAIT/WAKE(_BITSET) only' },

  // ---- system information: syscalls/info.ts ----
  [N.SYS_uname]: { name: 'uname', handler: I.sys_uname, status: 'supported' },
  [N.SYS_sysinfo]: { name: 'sysinfo', handler: I.sys_sysinfo, status: 'partial', note: 'no load average or swap' },
  [N.SYS_getrandom]: { name: 'getrandom', handler: I.sys_getrandom, status: 'supported' },
  [N.SYS_sched_getaffinity]: { name: 'sched_getaffinity', handler: I.sys_sched_getaffinity, status: 'supported' },
  [N.SYS_sched_setaffinity]: { name: 'sched_setaffinity', handler: I.sys_sched_setaffinity, status: 'partial', note: 'accepted, not enforced' },
  [N.SYS_sched_yield]: { name: 'sched_yield', handler: I.sys_sched_yield, status: 'supported' },
  [N.SYS_getcpu]: { name: 'getcpu', handler: I.sys_getcpu, status: 'supported' },
  [N.SYS_getrusage]: { name: 'getrusage', handler: I.sys_getrusage, status: 'partial', note: 'CPU time and maxrss only' },
};
