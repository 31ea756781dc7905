/**
 * The syscall table: one literal keyed by SYS_* number. Each row names the
 * syscall, its handler and its support level. A number with no row returns
 * -ENOSYS and is named once on stderr (kernel/syscall.ts).
 */
import * as N from '../abi/syscall_nr.js';
import type { SyscallRow } from './types.js';
// ---- families (one file each) ----
// (imports are added per family below)
import * as P from './process.js';
import * as M from './mm.js';
import * as S from './signal.js';
import * as T from './time.js';
import * as I from './info.js';
import { sys_futex, sys_futex_waitv } from './futex.js';
import * as RW from './read_write.js';
import * as SPLICE from './splice.js';
import * as OPEN from './open.js';
import * as STAT from './stat.js';
import * as NAMEI from './namei.js';
import * as FCNTL from './fcntl.js';
import * as IOCTL from './ioctl.js';
import * as DIR from './readdir.js';
import * as XATTR from './xattr.js';
import * as L from './lock.js';
import * as PIPE from './pipe.js';
import * as POLL from './poll.js';
import * as EP from './epoll.js';
import * as TMR from './timer.js';
import * as NET from './socket.js';
import * as PIDFD from './pidfd.js';
import * as SCHED from './sched.js';
import * as MEMFD from './memfd.js';
import * as IPC from './ipc.js';
import * as MQ from './mqueue.js';
import * as AIO from './aio.js';
import * as TFD from './timerfd.js';
import * as INOTIFY from './inotify.js';
import * as IOPRIO from './ioprio.js';
import { sys_syslog } from './syslog.js';
import * as PVM from './process_vm.js';
import * as PTRACE from './ptrace.js';
import * as KCMP from './kcmp.js';
import * as MB from './membarrier.js';
import * as SECCOMP from './seccomp.js';
import * as UPROBE from './uprobe.js';
import { Errno } from '../abi/errno.js';

/** The xattr rows' note. */
const XATTRS = 'user, trusted and security namespaces (tmpfs in memory; hostfs user.* on the host file); no system.* (ACLs)';

/** The mknod rows' note. */
const MKNOD_NOTE = 'FIFOs and sockets on tmpfs and writable hostfs; device nodes (root only) on tmpfs, opening umlts\'s device of that number or ENXIO; hostfs refuses device nodes (EPERM)';

/** The nice/policy rows' note. */
const SCHED_NOTE = 'kept and reported with Linux\'s checks; the vCPU scheduler does not weigh them';

/** The privileged calls a container's default seccomp profile (Docker's, Podman's) refuses with EPERM: mounts,
 * modules, kexec, reboot, swap, raw I/O ports, keyrings, BPF, perf, userfaultfd, fanotify, namespaces' setns. */
const NO_PRIV = 'refused with EPERM, as a container runtime\'s default seccomp profile refuses it';

/** The x86-64 syscall numbers Linux 6.18 leaves to sys_ni_syscall. */
const NOT_IN_LINUX = 'ENOSYS, as on Linux (removed or never implemented there)';

/** The inotify_add_watch row's note. */
const INOTIFY_NOTE = 'events of guests\' changes through the VFS, and of host directories from a host inotify watch (so host programs\' changes too); on host files what umlts does on the host is what is reported (a directory listing is one open+read+close at its first getdents); max_user_watches a fixed 65536; no IN_UNMOUNT';

/** An honest "not offered": returns this errno, silently (glibc probes these and falls back). */
const fails = (e: Errno) => (): number => -e;

/** Rows for syscalls that all answer errno e, with one status and note: { name: SYS_* number }. */
function alike(e: Errno, status: SyscallRow['status'], note: string, calls: Record<string, number>): Record<number, SyscallRow> {
  const rows: Record<number, SyscallRow> = {};
  for (const [name, nr] of Object.entries(calls)) rows[nr] = { name, handler: fails(e), status, note };
  return rows;
}

export const SYSCALL_TABLE: Readonly<Record<number, SyscallRow>> = {
  // ---- file I/O and filesystem: syscalls/read_write.ts, open.ts, stat.ts, namei.ts, fcntl.ts, ioctl.ts, readdir.ts, xattr.ts ----
  [N.SYS_read]: { name: 'read', handler: RW.sys_read, status: 'supported' },
  [N.SYS_write]: { name: 'write', handler: RW.sys_write, status: 'supported' },
  [N.SYS_pread64]: { name: 'pread64', handler: RW.sys_pread64, status: 'supported' },
  [N.SYS_pwrite64]: { name: 'pwrite64', handler: RW.sys_pwrite64, status: 'supported' },
  [N.SYS_readv]: { name: 'readv', handler: RW.sys_readv, status: 'supported' },
  [N.SYS_writev]: { name: 'writev', handler: RW.sys_writev, status: 'supported' },
  [N.SYS_preadv]: { name: 'preadv', handler: RW.sys_preadv, status: 'supported' },
  [N.SYS_pwritev]: { name: 'pwritev', handler: RW.sys_pwritev, status: 'supported' },
  [N.SYS_preadv2]: { name: 'preadv2', handler: RW.sys_preadv2, status: 'partial', note: 'RWF_ATOMIC, RWF_DONTCACHE: EOPNOTSUPP' },
  [N.SYS_pwritev2]: { name: 'pwritev2', handler: RW.sys_pwritev2, status: 'partial', note: 'RWF_ATOMIC, RWF_DONTCACHE: EOPNOTSUPP' },
  [N.SYS_sendfile]: { name: 'sendfile', handler: SPLICE.sys_sendfile, status: 'supported', note: 'a copy loop; what the destination does not take goes back to the source' },
  [N.SYS_splice]: { name: 'splice', handler: SPLICE.sys_splice, status: 'supported', note: 'copies (buffers move only pipe to pipe)' },
  [N.SYS_tee]: { name: 'tee', handler: SPLICE.sys_tee, status: 'supported' },
  [N.SYS_vmsplice]: { name: 'vmsplice', handler: SPLICE.sys_vmsplice, status: 'supported', note: 'copies (SPLICE_F_GIFT is a hint): a pipe slot holds a page, not one segment' },
  [N.SYS_lseek]: { name: 'lseek', handler: RW.sys_lseek, status: 'supported' },
  [N.SYS_open]: { name: 'open', handler: OPEN.sys_open, status: 'supported', note: 'O_TMPFILE on hostfs (where the host supports it) and tmpfs' },
  [N.SYS_openat]: { name: 'openat', handler: OPEN.sys_openat, status: 'supported', note: 'O_TMPFILE on hostfs (where the host supports it) and tmpfs' },
  [N.SYS_openat2]: { name: 'openat2', handler: OPEN.sys_openat2, status: 'supported', note: 'every RESOLVE_* flag; RESOLVE_CACHED fails only creation and truncation (EAGAIN)' },
  [N.SYS_creat]: { name: 'creat', handler: OPEN.sys_creat, status: 'supported' },
  [N.SYS_close]: { name: 'close', handler: OPEN.sys_close, status: 'supported' },
  [N.SYS_close_range]: { name: 'close_range', handler: OPEN.sys_close_range, status: 'supported' },
  [N.SYS_stat]: { name: 'stat', handler: STAT.sys_stat, status: 'supported' },
  [N.SYS_fstat]: { name: 'fstat', handler: STAT.sys_fstat, status: 'supported' },
  [N.SYS_lstat]: { name: 'lstat', handler: STAT.sys_lstat, status: 'supported' },
  [N.SYS_newfstatat]: { name: 'newfstatat', handler: STAT.sys_newfstatat, status: 'supported' },
  [N.SYS_statx]: { name: 'statx', handler: STAT.sys_statx, status: 'partial', note: 'no STATX_DIOALIGN or STATX_MNT_ID_UNIQUE answers; tmpfs files have no attributes to set' },
  [N.SYS_getdents64]: { name: 'getdents64', handler: DIR.sys_getdents64, status: 'supported' },
  [N.SYS_getdents]: { name: 'getdents', handler: DIR.sys_getdents, status: 'supported' },
  [N.SYS_readlink]: { name: 'readlink', handler: NAMEI.sys_readlink, status: 'supported' },
  [N.SYS_readlinkat]: { name: 'readlinkat', handler: NAMEI.sys_readlinkat, status: 'supported' },
  [N.SYS_access]: { name: 'access', handler: NAMEI.sys_access, status: 'supported' },
  [N.SYS_faccessat]: { name: 'faccessat', handler: NAMEI.sys_faccessat, status: 'supported' },
  [N.SYS_faccessat2]: { name: 'faccessat2', handler: NAMEI.sys_faccessat2, status: 'supported' },
  [N.SYS_getcwd]: { name: 'getcwd', handler: NAMEI.sys_getcwd, status: 'supported' },
  [N.SYS_chdir]: { name: 'chdir', handler: NAMEI.sys_chdir, status: 'supported' },
  [N.SYS_fchdir]: { name: 'fchdir', handler: NAMEI.sys_fchdir, status: 'supported' },
  [N.SYS_chroot]: { name: 'chroot', handler: NAMEI.sys_chroot, status: 'supported', note: "/proc/PID/fd and exe links still show paths from umlts's root" },
  [N.SYS_fcntl]: { name: 'fcntl', handler: FCNTL.sys_fcntl, status: 'partial', note: 'F_DUPFD*, F_GETFD/SETFD, F_GETFL/SETFL, record locks F_GETLK/SETLK/SETLKW and F_OFD_* (kernel-wide table), F_ADD_SEALS/F_GET_SEALS, pipe sizes, F_NOTIFY (SIGIO for names created, deleted or renamed through umlts), owners (F_SETOWN, F_SETOWN_EX, F_SETSIG: SIGURG for TCP urgent data, SIGIO for O_ASYNC pipes, sockets, terminals and inotify); leases: EINVAL' },
  [N.SYS_flock]: { name: 'flock', handler: L.sys_flock, status: 'supported', note: 'umlts-wide lock table: guest processes see each other\'s locks, host processes do not' },
  [N.SYS_ioctl]: { name: 'ioctl', handler: IOCTL.sys_ioctl, status: 'partial', note: 'FIONBIO/FIOCLEX/FIONCLEX/FIONREAD, terminal ioctls on the console' },
  [N.SYS_dup]: { name: 'dup', handler: OPEN.sys_dup, status: 'supported' },
  [N.SYS_dup2]: { name: 'dup2', handler: OPEN.sys_dup2, status: 'supported' },
  [N.SYS_dup3]: { name: 'dup3', handler: OPEN.sys_dup3, status: 'supported' },
  [N.SYS_umask]: { name: 'umask', handler: NAMEI.sys_umask, status: 'supported' },
  [N.SYS_mkdir]: { name: 'mkdir', handler: NAMEI.sys_mkdir, status: 'supported' },
  [N.SYS_mkdirat]: { name: 'mkdirat', handler: NAMEI.sys_mkdirat, status: 'supported' },
  [N.SYS_mknod]: { name: 'mknod', handler: NAMEI.sys_mknod, status: 'supported', note: MKNOD_NOTE },
  [N.SYS_mknodat]: { name: 'mknodat', handler: NAMEI.sys_mknodat, status: 'supported', note: MKNOD_NOTE },
  [N.SYS_unlink]: { name: 'unlink', handler: NAMEI.sys_unlink, status: 'supported' },
  [N.SYS_unlinkat]: { name: 'unlinkat', handler: NAMEI.sys_unlinkat, status: 'supported' },
  [N.SYS_rmdir]: { name: 'rmdir', handler: NAMEI.sys_rmdir, status: 'supported' },
  [N.SYS_rename]: { name: 'rename', handler: NAMEI.sys_rename, status: 'supported' },
  [N.SYS_renameat]: { name: 'renameat', handler: NAMEI.sys_renameat, status: 'supported' },
  [N.SYS_renameat2]: { name: 'renameat2', handler: NAMEI.sys_renameat2, status: 'partial', note: 'no RENAME_WHITEOUT' },
  [N.SYS_symlink]: { name: 'symlink', handler: NAMEI.sys_symlink, status: 'supported' },
  [N.SYS_symlinkat]: { name: 'symlinkat', handler: NAMEI.sys_symlinkat, status: 'supported' },
  [N.SYS_link]: { name: 'link', handler: NAMEI.sys_link, status: 'supported' },
  [N.SYS_linkat]: { name: 'linkat', handler: NAMEI.sys_linkat, status: 'supported' },
  [N.SYS_chmod]: { name: 'chmod', handler: NAMEI.sys_chmod, status: 'supported' },
  [N.SYS_fchmod]: { name: 'fchmod', handler: NAMEI.sys_fchmod, status: 'partial', note: 'EPERM on pipes and the console' },
  [N.SYS_fchmodat]: { name: 'fchmodat', handler: NAMEI.sys_fchmodat, status: 'supported' },
  [N.SYS_fchmodat2]: { name: 'fchmodat2', handler: NAMEI.sys_fchmodat2, status: 'supported' },
  [N.SYS_chown]: { name: 'chown', handler: NAMEI.sys_chown, status: 'supported' },
  [N.SYS_lchown]: { name: 'lchown', handler: NAMEI.sys_lchown, status: 'supported' },
  [N.SYS_fchown]: { name: 'fchown', handler: NAMEI.sys_fchown, status: 'partial', note: 'EPERM on pipes and the console' },
  [N.SYS_fchownat]: { name: 'fchownat', handler: NAMEI.sys_fchownat, status: 'supported' },
  [N.SYS_utimensat]: { name: 'utimensat', handler: NAMEI.sys_utimensat, status: 'supported' },
  [N.SYS_utimes]: { name: 'utimes', handler: NAMEI.sys_utimes, status: 'supported' },
  [N.SYS_futimesat]: { name: 'futimesat', handler: NAMEI.sys_futimesat, status: 'supported' },
  [N.SYS_utime]: { name: 'utime', handler: NAMEI.sys_utime, status: 'supported' },
  [N.SYS_truncate]: { name: 'truncate', handler: OPEN.sys_truncate, status: 'supported' },
  [N.SYS_ftruncate]: { name: 'ftruncate', handler: OPEN.sys_ftruncate, status: 'supported' },
  [N.SYS_fsync]: { name: 'fsync', handler: RW.sys_fsync, status: 'supported' },
  [N.SYS_sync]: { name: 'sync', handler: RW.sys_sync, status: 'supported', note: "hostfs: the host's syncfs of each writable mount" },
  [N.SYS_syncfs]: { name: 'syncfs', handler: RW.sys_syncfs, status: 'supported' },
  [N.SYS_sync_file_range]: { name: 'sync_file_range', handler: RW.sys_sync_file_range, status: 'supported', note: "validated; the host's page cache writes back" },
  [N.SYS_fdatasync]: { name: 'fdatasync', handler: RW.sys_fdatasync, status: 'supported' },
  [N.SYS_fallocate]: { name: 'fallocate', handler: OPEN.sys_fallocate, status: 'supported', note: 'hostfs: the host does it; tmpfs: mode 0, KEEP_SIZE and PUNCH_HOLE (as Linux shmem)' },
  [N.SYS_copy_file_range]: { name: 'copy_file_range', handler: RW.sys_copy_file_range, status: 'supported', note: 'within one filesystem (EXDEV across); a pinned copy between host files, else a read/write loop' },
  [N.SYS_fadvise64]: { name: 'fadvise64', handler: RW.sys_fadvise64, status: 'supported', note: 'validated, not acted on (as Linux may)' },
  [N.SYS_readahead]: { name: 'readahead', handler: RW.sys_readahead, status: 'supported', note: "validated; the host's page cache reads ahead" },
  [N.SYS_statfs]: { name: 'statfs', handler: STAT.sys_statfs, status: 'supported' },
  [N.SYS_fstatfs]: { name: 'fstatfs', handler: STAT.sys_fstatfs, status: 'supported' },
  [N.SYS_getxattr]: { name: 'getxattr', handler: XATTR.sys_getxattr, status: 'partial', note: XATTRS },
  [N.SYS_lgetxattr]: { name: 'lgetxattr', handler: XATTR.sys_lgetxattr, status: 'partial', note: XATTRS },
  [N.SYS_fgetxattr]: { name: 'fgetxattr', handler: XATTR.sys_fgetxattr, status: 'partial', note: XATTRS },
  [N.SYS_listxattr]: { name: 'listxattr', handler: XATTR.sys_listxattr, status: 'partial', note: XATTRS },
  [N.SYS_llistxattr]: { name: 'llistxattr', handler: XATTR.sys_llistxattr, status: 'partial', note: XATTRS },
  [N.SYS_flistxattr]: { name: 'flistxattr', handler: XATTR.sys_flistxattr, status: 'partial', note: XATTRS },
  [N.SYS_setxattr]: { name: 'setxattr', handler: XATTR.sys_setxattr, status: 'partial', note: XATTRS },
  [N.SYS_lsetxattr]: { name: 'lsetxattr', handler: XATTR.sys_lsetxattr, status: 'partial', note: XATTRS },
  [N.SYS_fsetxattr]: { name: 'fsetxattr', handler: XATTR.sys_fsetxattr, status: 'partial', note: XATTRS },
  [N.SYS_removexattr]: { name: 'removexattr', handler: XATTR.sys_removexattr, status: 'partial', note: XATTRS },
  [N.SYS_lremovexattr]: { name: 'lremovexattr', handler: XATTR.sys_lremovexattr, status: 'partial', note: XATTRS },
  [N.SYS_fremovexattr]: { name: 'fremovexattr', handler: XATTR.sys_fremovexattr, status: 'partial', note: XATTRS },
  // ---- end file ----

  [N.SYS_memfd_create]: { name: 'memfd_create', handler: MEMFD.sys_memfd_create, status: 'partial', note: 'MFD_HUGETLB: EINVAL' },
  [N.SYS_memfd_secret]: { name: 'memfd_secret', handler: MEMFD.sys_memfd_secret, status: 'partial', note: 'the pages are not taken out of any direct map (the kernel sees guest memory through physmem, which no guest reaches)' },

  // ---- processes: syscalls/process.ts ----
  [N.SYS_exit]: { name: 'exit', handler: P.sys_exit, status: 'supported' },
  [N.SYS_getpgid]: { name: 'getpgid', handler: P.sys_getpgid, status: 'supported' },
  [N.SYS_setpgid]: { name: 'setpgid', handler: P.sys_setpgid, status: 'supported' },
  [N.SYS_getsid]: { name: 'getsid', handler: P.sys_getsid, status: 'supported' },
  [N.SYS_exit_group]: { name: 'exit_group', handler: P.sys_exit_group, status: 'supported' },
  [N.SYS_execve]: { name: 'execve', handler: P.sys_execve, status: 'supported' },
  [N.SYS_execveat]: { name: 'execveat', handler: P.sys_execveat, status: 'supported' },
  [N.SYS_getpid]: { name: 'getpid', handler: P.sys_getpid, status: 'supported' },
  [N.SYS_getppid]: { name: 'getppid', handler: P.sys_getppid, status: 'supported' },
  [N.SYS_gettid]: { name: 'gettid', handler: P.sys_gettid, status: 'supported' },
  [N.SYS_capget]: { name: 'capget', handler: P.sys_capget, status: 'supported' },
  [N.SYS_capset]: { name: 'capset', handler: P.sys_capset, status: 'partial', note: 'no file capabilities or set-id executables: exec transforms the sets as for a plain file' },
  [N.SYS_getuid]: { name: 'getuid', handler: P.sys_getuid, status: 'supported' },
  [N.SYS_geteuid]: { name: 'geteuid', handler: P.sys_geteuid, status: 'supported' },
  [N.SYS_getgid]: { name: 'getgid', handler: P.sys_getgid, status: 'supported' },
  [N.SYS_getegid]: { name: 'getegid', handler: P.sys_getegid, status: 'supported' },
  [N.SYS_getresuid]: { name: 'getresuid', handler: P.sys_getresuid, status: 'supported' },
  [N.SYS_getresgid]: { name: 'getresgid', handler: P.sys_getresgid, status: 'supported' },
  [N.SYS_getgroups]: { name: 'getgroups', handler: P.sys_getgroups, status: 'supported' },
  [N.SYS_setuid]: { name: 'setuid', handler: P.sys_setuid, status: 'supported' },
  [N.SYS_setgid]: { name: 'setgid', handler: P.sys_setgid, status: 'supported' },
  [N.SYS_setresuid]: { name: 'setresuid', handler: P.sys_setresuid, status: 'supported' },
  [N.SYS_setresgid]: { name: 'setresgid', handler: P.sys_setresgid, status: 'supported' },
  [N.SYS_setreuid]: { name: 'setreuid', handler: P.sys_setreuid, status: 'supported' },
  [N.SYS_setregid]: { name: 'setregid', handler: P.sys_setregid, status: 'supported' },
  [N.SYS_setgroups]: { name: 'setgroups', handler: P.sys_setgroups, status: 'supported' },
  [N.SYS_setfsuid]: { name: 'setfsuid', handler: P.sys_setfsuid, status: 'supported' },
  [N.SYS_setfsgid]: { name: 'setfsgid', handler: P.sys_setfsgid, status: 'supported' },
  [N.SYS_getpgrp]: { name: 'getpgrp', handler: P.sys_getpgrp, status: 'supported' },
  [N.SYS_setsid]: { name: 'setsid', handler: P.sys_setsid, status: 'supported' },
  [N.SYS_set_tid_address]: { name: 'set_tid_address', handler: P.sys_set_tid_address, status: 'supported' },
  [N.SYS_set_robust_list]: { name: 'set_robust_list', handler: P.sys_set_robust_list, status: 'supported' },
  [N.SYS_personality]: { name: 'personality', handler: P.sys_personality, status: 'partial', note: 'READ_IMPLIES_EXEC acts; the rest is kept' },
  [N.SYS_get_robust_list]: { name: 'get_robust_list', handler: P.sys_get_robust_list, status: 'supported' },
  [N.SYS_kcmp]: { name: 'kcmp', handler: KCMP.sys_kcmp, status: 'partial', note: 'not-equal objects are ordered by when kcmp first saw them; KCMP_VM and KCMP_SIGHAND differ for CLONE_VM / CLONE_SIGHAND processes (umlts copies those); no io_context: KCMP_IO is always equal' },
  [N.SYS_rseq]: { name: 'rseq', handler: fails(Errno.ENOSYS), status: 'stub', note: 'not offered: glibc falls back' },
  [N.SYS_uretprobe]: { name: 'uretprobe', handler: UPROBE.sys_uretprobe, status: 'supported', note: 'no uprobes here: every call is from outside a trampoline (SIGILL, as Linux)' },
  [N.SYS_uprobe]: { name: 'uprobe', handler: UPROBE.sys_uprobe, status: 'supported', note: 'no uprobes here: every call is from outside a trampoline (ENXIO, as Linux)' },
  [N.SYS_arch_prctl]: { name: 'arch_prctl', handler: P.sys_arch_prctl, status: 'partial', note: 'FS/GS base only' },
  [N.SYS_prctl]: { name: 'prctl', handler: P.sys_prctl, status: 'partial', note: 'names, pdeathsig, dumpable, no_new_privs, seccomp' },
  [N.SYS_seccomp]: { name: 'seccomp', handler: SECCOMP.sys_seccomp, status: 'supported', note: 'the guest\'s own strict mode and classic BPF filters, every action (TRACE is ENOSYS: no tracer), TSYNC, listeners with RECV, SEND, ID_VALID, ADDFD' },
  [N.SYS_prlimit64]: { name: 'prlimit64', handler: P.sys_prlimit64, status: 'partial', note: 'own process only' },
  [N.SYS_getrlimit]: { name: 'getrlimit', handler: P.sys_getrlimit, status: 'supported' },
  [N.SYS_setrlimit]: { name: 'setrlimit', handler: P.sys_setrlimit, status: 'supported' },
  [N.SYS_clone]: { name: 'clone', handler: P.sys_clone, status: 'partial', note: 'CLONE_VM without CLONE_THREAD copies the memory (with CLONE_VFORK the child\'s writes go back into the parent at its exec or exit)' },
  [N.SYS_clone3]: { name: 'clone3', handler: P.sys_clone3, status: 'partial', note: 'as clone; no set_tid' },
  [N.SYS_fork]: { name: 'fork', handler: P.sys_fork, status: 'supported' },
  [N.SYS_unshare]: { name: 'unshare', handler: P.sys_unshare, status: 'partial', note: 'CLONE_FILES, CLONE_FS, CLONE_SYSVSEM; CLONE_THREAD/SIGHAND/VM where there is nothing to unshare; no namespaces (a Linux built without them: CLONE_NEWUSER EINVAL, the others EPERM, or EINVAL for root)' },
  [N.SYS_vfork]: { name: 'vfork', handler: P.sys_vfork, status: 'partial', note: 'the child gets a copy of the memory, whose writes go back into the parent at its exec or exit; the parent waits for that' },
  [N.SYS_wait4]: { name: 'wait4', handler: P.sys_wait4, status: 'partial', note: 'rusage: CPU time (as user time) and ru_maxrss; the other fields zero' },
  [N.SYS_waitid]: { name: 'waitid', handler: P.sys_waitid, status: 'partial', note: 'the raw call\'s rusage as wait4\'s' },

  // ---- memory: syscalls/mm.ts ----
  [N.SYS_brk]: { name: 'brk', handler: M.sys_brk, status: 'supported' },
  [N.SYS_mmap]: { name: 'mmap', handler: M.sys_mmap, status: 'partial', note: 'MAP_HUGETLB: ENOMEM (no huge pages reserved)' },
  [N.SYS_munmap]: { name: 'munmap', handler: M.sys_munmap, status: 'supported' },
  [N.SYS_mprotect]: { name: 'mprotect', handler: M.sys_mprotect, status: 'supported' },
  [N.SYS_pkey_alloc]: { name: 'pkey_alloc', handler: fails(Errno.ENOSPC), status: 'stub', note: 'no protection keys, as on a CPU without PKU' },
  [N.SYS_pkey_free]: { name: 'pkey_free', handler: fails(Errno.EINVAL), status: 'stub', note: 'no protection keys' },
  // ---- refused as a container's default seccomp profile refuses them (EPERM): the guest's root has no such power ----
  ...alike(Errno.EPERM, 'stub', NO_PRIV, {
    acct: N.SYS_acct, reboot: N.SYS_reboot, swapon: N.SYS_swapon, swapoff: N.SYS_swapoff, iopl: N.SYS_iopl,
    ioperm: N.SYS_ioperm, init_module: N.SYS_init_module, finit_module: N.SYS_finit_module,
    delete_module: N.SYS_delete_module, kexec_load: N.SYS_kexec_load, kexec_file_load: N.SYS_kexec_file_load,
    mount: N.SYS_mount, umount2: N.SYS_umount2, pivot_root: N.SYS_pivot_root, quotactl: N.SYS_quotactl,
    quotactl_fd: N.SYS_quotactl_fd, open_tree: N.SYS_open_tree, move_mount: N.SYS_move_mount, fsopen: N.SYS_fsopen,
    fsconfig: N.SYS_fsconfig, fsmount: N.SYS_fsmount, fspick: N.SYS_fspick, mount_setattr: N.SYS_mount_setattr,
    setns: N.SYS_setns, add_key: N.SYS_add_key, request_key: N.SYS_request_key, keyctl: N.SYS_keyctl,
    bpf: N.SYS_bpf, perf_event_open: N.SYS_perf_event_open, userfaultfd: N.SYS_userfaultfd,
    fanotify_init: N.SYS_fanotify_init, vhangup: N.SYS_vhangup, open_by_handle_at: N.SYS_open_by_handle_at,
    sysfs: N.SYS_sysfs, ustat: N.SYS_ustat,
  }),
  [N.SYS_name_to_handle_at]: { name: 'name_to_handle_at', handler: fails(Errno.EOPNOTSUPP), status: 'stub', note: 'no file handles: as a filesystem without export operations' },

  // ---- not in Linux 6.18 on x86-64 either (sys_ni_syscall): ENOSYS, silently ----
  ...alike(Errno.ENOSYS, 'supported', NOT_IN_LINUX, {
    create_module: N.SYS_create_module, get_kernel_syms: N.SYS_get_kernel_syms, query_module: N.SYS_query_module,
    nfsservctl: N.SYS_nfsservctl, getpmsg: N.SYS_getpmsg, putpmsg: N.SYS_putpmsg, afs_syscall: N.SYS_afs_syscall,
    tuxcall: N.SYS_tuxcall, security: N.SYS_security, vserver: N.SYS_vserver, epoll_ctl_old: N.SYS_epoll_ctl_old,
    epoll_wait_old: N.SYS_epoll_wait_old, _sysctl: N.SYS__sysctl, lookup_dcookie: N.SYS_lookup_dcookie,
    uselib: N.SYS_uselib, set_thread_area: N.SYS_set_thread_area, get_thread_area: N.SYS_get_thread_area,
  }),
  [N.SYS_modify_ldt]: { name: 'modify_ldt', handler: fails(Errno.ENOSYS), status: 'stub', note: 'no LDT: as a kernel without CONFIG_MODIFY_LDT_SYSCALL' },
  ...alike(Errno.ENOSYS, 'stub', 'no NUMA, as a kernel without CONFIG_NUMA (procps and libnuma take ENOSYS so)', {
    get_mempolicy: N.SYS_get_mempolicy, set_mempolicy: N.SYS_set_mempolicy, mbind: N.SYS_mbind,
    migrate_pages: N.SYS_migrate_pages, move_pages: N.SYS_move_pages,
    set_mempolicy_home_node: N.SYS_set_mempolicy_home_node,
  }),
  [N.SYS_pkey_mprotect]: { name: 'pkey_mprotect', handler: M.sys_pkey_mprotect, status: 'partial', note: 'pkey -1 only (plain mprotect)' },
  [N.SYS_mremap]: { name: 'mremap', handler: M.sys_mremap, status: 'supported' },
  [N.SYS_remap_file_pages]: { name: 'remap_file_pages', handler: M.sys_remap_file_pages, status: 'supported', note: 'deprecated; emulated as Linux does, by a new mapping of the file over the range' },
  [N.SYS_madvise]: { name: 'madvise', handler: M.sys_madvise, status: 'supported' },
  [N.SYS_process_madvise]: { name: 'process_madvise', handler: M.sys_process_madvise, status: 'supported', note: "madvise's own effects; the hints change nothing" },
  [N.SYS_process_mrelease]: { name: 'process_mrelease', handler: M.sys_process_mrelease, status: 'supported', note: 'a killed process is gone at once: EINVAL or ESRCH' },
  [N.SYS_msync]: { name: 'msync', handler: M.sys_msync, status: 'supported' },
  [N.SYS_mlock]: { name: 'mlock', handler: M.sys_mlock, status: 'supported', note: 'locked pages are kept for RLIMIT_MEMLOCK and VmLck; guest memory is never swapped anyway' },
  [N.SYS_munlock]: { name: 'munlock', handler: M.sys_munlock, status: 'supported' },
  [N.SYS_mlock2]: { name: 'mlock2', handler: M.sys_mlock2, status: 'supported' },
  [N.SYS_mlockall]: { name: 'mlockall', handler: M.sys_mlockall, status: 'supported' },
  [N.SYS_munlockall]: { name: 'munlockall', handler: M.sys_munlockall, status: 'supported' },
  [N.SYS_mincore]: { name: 'mincore', handler: M.sys_mincore, status: 'supported' },
  [N.SYS_ptrace]: { name: 'ptrace', handler: PTRACE.sys_ptrace, status: 'partial', note: 'TRACEME, ATTACH and SEIZE (INTERRUPT, LISTEN, PTRACE_EVENT_STOP), syscall, signal-delivery, group, seccomp (SECCOMP_RET_TRACE), exec, exit and fork/vfork/vfork-done/clone stops, registers, FXSAVE state, memory (POKE through read-only private mappings), siginfo, GET_SYSCALL_INFO; an exit stop only for a thread that calls exit or exit_group itself; no hardware watchpoints; the tracer is a process (a tracer thread that exits keeps its tracees)' },
  [N.SYS_process_vm_readv]: { name: 'process_vm_readv', handler: PVM.sys_process_vm_readv, status: 'supported', note: 'ptrace access as Linux\'s without dumpability (every process is dumpable)' },
  [N.SYS_process_vm_writev]: { name: 'process_vm_writev', handler: PVM.sys_process_vm_writev, status: 'supported', note: 'as process_vm_readv; a target thread running guest code at that moment sees a copy-on-write page written only after its next stop (one is kicked)' },

  // ---- signals: syscalls/signal.ts ----
  [N.SYS_rt_sigaction]: { name: 'rt_sigaction', handler: S.sys_rt_sigaction, status: 'supported' },
  [N.SYS_rt_sigreturn]: { name: 'rt_sigreturn', handler: S.sys_rt_sigreturn, status: 'supported' },
  [N.SYS_restart_syscall]: { name: 'restart_syscall', handler: S.sys_restart_syscall, status: 'partial', note: 'timed futex waits, relative sleeps, poll' },
  [N.SYS_rt_sigsuspend]: { name: 'rt_sigsuspend', handler: S.sys_rt_sigsuspend, status: 'supported', restart: 'nohand' },
  [N.SYS_pause]: { name: 'pause', handler: S.sys_pause, status: 'supported', restart: 'nohand' },
  [N.SYS_signalfd]: { name: 'signalfd', handler: S.sys_signalfd, status: 'supported' },
  [N.SYS_signalfd4]: { name: 'signalfd4', handler: S.sys_signalfd4, status: 'supported', note: 'reads the reader\'s own pending signals, as Linux' },
  [N.SYS_rt_sigtimedwait]: { name: 'rt_sigtimedwait', handler: S.sys_rt_sigtimedwait, status: 'supported', restart: 'never' },
  [N.SYS_rt_sigqueueinfo]: { name: 'rt_sigqueueinfo', handler: S.sys_rt_sigqueueinfo, status: 'supported' },
  [N.SYS_rt_tgsigqueueinfo]: { name: 'rt_tgsigqueueinfo', handler: S.sys_rt_tgsigqueueinfo, status: 'supported' },
  [N.SYS_rt_sigprocmask]: { name: 'rt_sigprocmask', handler: S.sys_rt_sigprocmask, status: 'supported' },
  [N.SYS_sigaltstack]: { name: 'sigaltstack', handler: S.sys_sigaltstack, status: 'supported' },
  [N.SYS_rt_sigpending]: { name: 'rt_sigpending', handler: S.sys_rt_sigpending, status: 'supported' },
  [N.SYS_kill]: { name: 'kill', handler: S.sys_kill, status: 'supported' },
  [N.SYS_tgkill]: { name: 'tgkill', handler: S.sys_tgkill, status: 'supported' },
  [N.SYS_tkill]: { name: 'tkill', handler: S.sys_tkill, status: 'supported' },

  // ---- time: syscalls/time.ts ----
  [N.SYS_clock_gettime]: { name: 'clock_gettime', handler: T.sys_clock_gettime, status: 'supported', note: 'CPU clocks: run time (user and system are not told apart)' },
  [N.SYS_clock_getres]: { name: 'clock_getres', handler: T.sys_clock_getres, status: 'supported' },
  [N.SYS_clock_settime]: { name: 'clock_settime', handler: T.sys_clock_settime, status: 'supported', note: 'CLOCK_REALTIME by root: the guest\'s wall clock moves, the host\'s does not' },
  [N.SYS_adjtimex]: { name: 'adjtimex', handler: T.sys_adjtimex, status: 'partial', note: 'readings only (the host\'s discipline, the guest\'s wall clock): a change is EPERM even for root, as without CAP_SYS_TIME over the host\'s clock' },
  [N.SYS_clock_adjtime]: { name: 'clock_adjtime', handler: T.sys_clock_adjtime, status: 'partial', note: 'as adjtimex for CLOCK_REALTIME; no PTP clocks' },
  [N.SYS_settimeofday]: { name: 'settimeofday', handler: T.sys_settimeofday, status: 'supported', note: 'as clock_settime; the timezone is checked, not kept' },
  [N.SYS_gettimeofday]: { name: 'gettimeofday', handler: T.sys_gettimeofday, status: 'supported' },
  [N.SYS_time]: { name: 'time', handler: T.sys_time, status: 'supported' },
  [N.SYS_nanosleep]: { name: 'nanosleep', handler: T.sys_nanosleep, status: 'supported', restart: 'nohand' },
  [N.SYS_clock_nanosleep]: { name: 'clock_nanosleep', handler: T.sys_clock_nanosleep, status: 'partial', note: 'clock jumps are not followed', restart: 'nohand' },
  [N.SYS_futex]: { name: 'futex', handler: sys_futex, status: 'partial', note: 'PI locks hand the lock on but lend no priority (umlts schedules none); no FUTEX_WAIT_REQUEUE_PI / CMP_REQUEUE_PI (ENOSYS)' },
  [N.SYS_futex_waitv]: { name: 'futex_waitv', handler: sys_futex_waitv, status: 'supported', note: 'one NUMA node: FUTEX2_NUMA and FUTEX2_MPOL change nothing' },

  // ---- pipes, poll, epoll, timers: syscalls/pipe.ts, poll.ts, epoll.ts, timer.ts, timerfd.ts ----
  [N.SYS_pipe]: { name: 'pipe', handler: PIPE.sys_pipe, status: 'supported' },
  [N.SYS_pipe2]: { name: 'pipe2', handler: PIPE.sys_pipe2, status: 'partial', note: 'O_NOTIFICATION_PIPE: ENOPKG' },
  [N.SYS_eventfd]: { name: 'eventfd', handler: PIPE.sys_eventfd, status: 'supported' },
  [N.SYS_eventfd2]: { name: 'eventfd2', handler: PIPE.sys_eventfd2, status: 'supported' },
  [N.SYS_poll]: { name: 'poll', handler: POLL.sys_poll, status: 'supported', restart: 'nohand' },
  [N.SYS_ppoll]: { name: 'ppoll', handler: POLL.sys_ppoll, status: 'supported', restart: 'nohand' },
  [N.SYS_select]: { name: 'select', handler: POLL.sys_select, status: 'supported', restart: 'nohand' },
  [N.SYS_pselect6]: { name: 'pselect6', handler: POLL.sys_pselect6, status: 'supported', restart: 'nohand' },
  [N.SYS_epoll_create]: { name: 'epoll_create', handler: EP.sys_epoll_create, status: 'supported' },
  [N.SYS_epoll_create1]: { name: 'epoll_create1', handler: EP.sys_epoll_create1, status: 'supported' },
  [N.SYS_epoll_ctl]: { name: 'epoll_ctl', handler: EP.sys_epoll_ctl, status: 'partial', note: 'EPOLLEXCLUSIVE accepted, wakes every waiter; items of closed files go when next seen' },
  [N.SYS_epoll_wait]: { name: 'epoll_wait', handler: EP.sys_epoll_wait, status: 'supported', restart: 'never' },
  [N.SYS_epoll_pwait]: { name: 'epoll_pwait', handler: EP.sys_epoll_pwait, status: 'supported', restart: 'never' },
  [N.SYS_epoll_pwait2]: { name: 'epoll_pwait2', handler: EP.sys_epoll_pwait2, status: 'supported', restart: 'never' },
  [N.SYS_alarm]: { name: 'alarm', handler: TMR.sys_alarm, status: 'supported' },
  [N.SYS_setitimer]: { name: 'setitimer', handler: TMR.sys_setitimer, status: 'partial', note: 'ITIMER_VIRTUAL counts system time too (user and system time are one figure)' },
  [N.SYS_getitimer]: { name: 'getitimer', handler: TMR.sys_getitimer, status: 'partial', note: 'ITIMER_VIRTUAL counts system time too (user and system time are one figure)' },
  [N.SYS_timer_create]: { name: 'timer_create', handler: TMR.sys_timer_create, status: 'partial', note: 'CPU clocks count the host threads\' run time (not the kernel\'s work for their syscalls); realtime clock jumps are not followed' },
  [N.SYS_timer_settime]: { name: 'timer_settime', handler: TMR.sys_timer_settime, status: 'supported' },
  [N.SYS_timer_gettime]: { name: 'timer_gettime', handler: TMR.sys_timer_gettime, status: 'supported' },
  [N.SYS_timer_getoverrun]: { name: 'timer_getoverrun', handler: TMR.sys_timer_getoverrun, status: 'supported' },
  [N.SYS_timer_delete]: { name: 'timer_delete', handler: TMR.sys_timer_delete, status: 'supported' },
  [N.SYS_timerfd_create]: { name: 'timerfd_create', handler: TFD.sys_timerfd_create, status: 'partial', note: 'CLOCK_BOOTTIME is CLOCK_MONOTONIC; the _ALARM clocks do not wake a suspended host' },
  [N.SYS_timerfd_settime]: { name: 'timerfd_settime', handler: TFD.sys_timerfd_settime, status: 'supported' },
  [N.SYS_timerfd_gettime]: { name: 'timerfd_gettime', handler: TFD.sys_timerfd_gettime, status: 'supported' },
  [N.SYS_inotify_init]: { name: 'inotify_init', handler: INOTIFY.sys_inotify_init, status: 'supported' },
  [N.SYS_inotify_init1]: { name: 'inotify_init1', handler: INOTIFY.sys_inotify_init1, status: 'supported', note: 'max_user_instances 128 per real uid, as Linux' },
  [N.SYS_inotify_add_watch]: { name: 'inotify_add_watch', handler: INOTIFY.sys_inotify_add_watch, status: 'partial', note: INOTIFY_NOTE },
  [N.SYS_inotify_rm_watch]: { name: 'inotify_rm_watch', handler: INOTIFY.sys_inotify_rm_watch, status: 'supported' },
  // ---- end pipes, poll, epoll, timers ----

  // ---- networking: syscalls/socket.ts (net/ beside fs/) ----
  [N.SYS_socket]: { name: 'socket', handler: NET.sys_socket, status: 'partial', note: 'AF_UNIX, AF_INET/AF_INET6 TCP and UDP (private loopback or host), AF_NETLINK NETLINK_ROUTE; raw and packet sockets: EPERM' },
  [N.SYS_socketpair]: { name: 'socketpair', handler: NET.sys_socketpair, status: 'supported' },
  [N.SYS_bind]: { name: 'bind', handler: NET.sys_bind, status: 'supported' },
  [N.SYS_listen]: { name: 'listen', handler: NET.sys_listen, status: 'supported' },
  [N.SYS_accept]: { name: 'accept', handler: NET.sys_accept, status: 'supported' },
  [N.SYS_accept4]: { name: 'accept4', handler: NET.sys_accept4, status: 'supported' },
  [N.SYS_connect]: { name: 'connect', handler: NET.sys_connect, status: 'supported' },
  [N.SYS_getsockname]: { name: 'getsockname', handler: NET.sys_getsockname, status: 'supported' },
  [N.SYS_getpeername]: { name: 'getpeername', handler: NET.sys_getpeername, status: 'supported' },
  [N.SYS_sendto]: { name: 'sendto', handler: NET.sys_sendto, status: 'supported' },
  [N.SYS_recvfrom]: { name: 'recvfrom', handler: NET.sys_recvfrom, status: 'supported' },
  [N.SYS_sendmsg]: { name: 'sendmsg', handler: NET.sys_sendmsg, status: 'supported', note: 'SCM_RIGHTS and SCM_CREDENTIALS on AF_UNIX' },
  [N.SYS_recvmsg]: { name: 'recvmsg', handler: NET.sys_recvmsg, status: 'supported' },
  [N.SYS_sendmmsg]: { name: 'sendmmsg', handler: NET.sys_sendmmsg, status: 'supported' },
  [N.SYS_recvmmsg]: { name: 'recvmmsg', handler: NET.sys_recvmmsg, status: 'supported', note: 'the timeout is checked after each datagram, as Linux (recvmmsg(2), BUGS)' },
  [N.SYS_shutdown]: { name: 'shutdown', handler: NET.sys_shutdown, status: 'supported' },
  [N.SYS_setsockopt]: { name: 'setsockopt', handler: NET.sys_setsockopt, status: 'partial', note: 'options are kept and reported; TCP tuning, multicast and BPF filters have no effect' },
  [N.SYS_getsockopt]: { name: 'getsockopt', handler: NET.sys_getsockopt, status: 'supported' },

  // ---- scheduling: syscalls/sched.ts ----
  [N.SYS_getpriority]: { name: 'getpriority', handler: SCHED.sys_getpriority, status: 'partial', note: SCHED_NOTE },
  [N.SYS_setpriority]: { name: 'setpriority', handler: SCHED.sys_setpriority, status: 'partial', note: SCHED_NOTE },
  [N.SYS_sched_setscheduler]: { name: 'sched_setscheduler', handler: SCHED.sys_sched_setscheduler, status: 'partial', note: SCHED_NOTE + '; SCHED_DEADLINE: EINVAL' },
  [N.SYS_sched_getscheduler]: { name: 'sched_getscheduler', handler: SCHED.sys_sched_getscheduler, status: 'supported' },
  [N.SYS_sched_setattr]: { name: 'sched_setattr', handler: SCHED.sys_sched_setattr, status: 'partial', note: SCHED_NOTE + '; SCHED_DEADLINE refused as admission control does (EBUSY); no utilization clamps (EOPNOTSUPP, as without CONFIG_UCLAMP_TASK)' },
  [N.SYS_sched_getattr]: { name: 'sched_getattr', handler: SCHED.sys_sched_getattr, status: 'supported' },
  [N.SYS_ioprio_set]: { name: 'ioprio_set', handler: IOPRIO.sys_ioprio_set, status: 'partial', note: 'kept, inherited and reported with Linux\'s checks; host I/O does not weigh it' },
  [N.SYS_ioprio_get]: { name: 'ioprio_get', handler: IOPRIO.sys_ioprio_get, status: 'supported' },
  [N.SYS_sched_setparam]: { name: 'sched_setparam', handler: SCHED.sys_sched_setparam, status: 'partial', note: SCHED_NOTE },
  [N.SYS_sched_getparam]: { name: 'sched_getparam', handler: SCHED.sys_sched_getparam, status: 'supported' },
  [N.SYS_sched_get_priority_max]: { name: 'sched_get_priority_max', handler: SCHED.sys_sched_get_priority_max, status: 'supported' },
  [N.SYS_sched_get_priority_min]: { name: 'sched_get_priority_min', handler: SCHED.sys_sched_get_priority_min, status: 'supported' },
  [N.SYS_sched_rr_get_interval]: { name: 'sched_rr_get_interval', handler: SCHED.sys_sched_rr_get_interval, status: 'supported' },
  [N.SYS_sched_getaffinity]: { name: 'sched_getaffinity', handler: SCHED.sys_sched_getaffinity, status: 'supported' },
  [N.SYS_sched_setaffinity]: { name: 'sched_setaffinity', handler: SCHED.sys_sched_setaffinity, status: 'supported', note: 'the vCPU scheduler obeys the mask' },
  [N.SYS_sched_yield]: { name: 'sched_yield', handler: SCHED.sys_sched_yield, status: 'supported' },
  [N.SYS_membarrier]: { name: 'membarrier', handler: MB.sys_membarrier, status: 'partial', note: 'every command; the barrier is the host\'s MEMBARRIER_CMD_GLOBAL when a thread of the set runs guest code (ENOSYS on a host without it); SYNC_CORE\'s core serialization is the host\'s return to user mode; RSEQ commands are the plain barrier (umlts has no rseq)' },

  // ---- System V IPC: syscalls/ipc.ts ----
  [N.SYS_shmget]: { name: 'shmget', handler: IPC.sys_shmget, status: 'partial', note: 'SHM_HUGETLB: EINVAL' },
  [N.SYS_shmat]: { name: 'shmat', handler: IPC.sys_shmat, status: 'supported' },
  [N.SYS_shmdt]: { name: 'shmdt', handler: IPC.sys_shmdt, status: 'supported' },
  [N.SYS_shmctl]: { name: 'shmctl', handler: IPC.sys_shmctl, status: 'supported' },
  [N.SYS_semget]: { name: 'semget', handler: IPC.sys_semget, status: 'supported' },
  [N.SYS_semop]: { name: 'semop', handler: IPC.sys_semop, status: 'supported', restart: 'never' },
  [N.SYS_semtimedop]: { name: 'semtimedop', handler: IPC.sys_semtimedop, status: 'supported', restart: 'never' },
  [N.SYS_semctl]: { name: 'semctl', handler: IPC.sys_semctl, status: 'supported' },
  [N.SYS_msgget]: { name: 'msgget', handler: IPC.sys_msgget, status: 'supported' },
  [N.SYS_msgsnd]: { name: 'msgsnd', handler: IPC.sys_msgsnd, status: 'supported', restart: 'nohand' },
  [N.SYS_msgrcv]: { name: 'msgrcv', handler: IPC.sys_msgrcv, status: 'supported', restart: 'nohand' },
  [N.SYS_msgctl]: { name: 'msgctl', handler: IPC.sys_msgctl, status: 'supported' },
  // ---- POSIX message queues: syscalls/mqueue.ts ----
  [N.SYS_mq_open]: { name: 'mq_open', handler: MQ.sys_mq_open, status: 'partial', note: 'no /dev/mqueue mount and no /proc/sys/fs/mqueue files (the defaults are fixed: msg_max 10, msgsize_max 8192, queues_max 256)' },
  [N.SYS_mq_unlink]: { name: 'mq_unlink', handler: MQ.sys_mq_unlink, status: 'supported' },
  [N.SYS_mq_timedsend]: { name: 'mq_timedsend', handler: MQ.sys_mq_timedsend, status: 'partial', note: 'sleepers wait in arrival order, not by nice value; a clock step does not move an armed deadline' },
  [N.SYS_mq_timedreceive]: { name: 'mq_timedreceive', handler: MQ.sys_mq_timedreceive, status: 'partial', note: 'sleepers wait in arrival order, not by nice value; a clock step does not move an armed deadline' },
  [N.SYS_mq_notify]: { name: 'mq_notify', handler: MQ.sys_mq_notify, status: 'supported' },
  [N.SYS_mq_getsetattr]: { name: 'mq_getsetattr', handler: MQ.sys_mq_getsetattr, status: 'supported' },

  // ---- native AIO: syscalls/aio.ts ----
  [N.SYS_io_setup]: { name: 'io_setup', handler: AIO.sys_io_setup, status: 'supported' },
  [N.SYS_io_destroy]: { name: 'io_destroy', handler: AIO.sys_io_destroy, status: 'supported' },
  [N.SYS_io_submit]: { name: 'io_submit', handler: AIO.sys_io_submit, status: 'partial', note: 'reads, writes and syncs are done as they are submitted, one that has to wait holding io_submit as on Linux; a signal during that wait ends io_submit after that request (Linux goes on with the rest), and a blocking pipe write completes with what fitted' },
  [N.SYS_io_cancel]: { name: 'io_cancel', handler: AIO.sys_io_cancel, status: 'supported' },
  [N.SYS_io_getevents]: { name: 'io_getevents', handler: AIO.sys_io_getevents, status: 'supported', restart: 'never' },
  [N.SYS_io_pgetevents]: { name: 'io_pgetevents', handler: AIO.sys_io_pgetevents, status: 'supported', restart: 'nohand' },

  // ---- system information: syscalls/info.ts ----
  [N.SYS_uname]: { name: 'uname', handler: I.sys_uname, status: 'supported' },
  [N.SYS_sysinfo]: { name: 'sysinfo', handler: I.sys_sysinfo, status: 'partial', note: 'no swap or high memory' },
  [N.SYS_getrandom]: { name: 'getrandom', handler: I.sys_getrandom, status: 'supported' },
  [N.SYS_pidfd_open]: { name: 'pidfd_open', handler: PIDFD.sys_pidfd_open, status: 'supported' },
  [N.SYS_pidfd_getfd]: { name: 'pidfd_getfd', handler: PIDFD.sys_pidfd_getfd, status: 'supported' },
  [N.SYS_pidfd_send_signal]: { name: 'pidfd_send_signal', handler: PIDFD.sys_pidfd_send_signal, status: 'supported' },
  [N.SYS_sethostname]: { name: 'sethostname', handler: I.sys_sethostname, status: 'supported', note: "the guest's host name; the host's never changes" },
  [N.SYS_setdomainname]: { name: 'setdomainname', handler: I.sys_setdomainname, status: 'supported' },
  [N.SYS_getcpu]: { name: 'getcpu', handler: I.sys_getcpu, status: 'supported' },
  [N.SYS_syslog]: { name: 'syslog', handler: sys_syslog, status: 'supported', note: "umlts's own kernel messages (unimplemented syscalls, out-of-memory kills); dmesg_restrict as Debian sets it" },
  [N.SYS_getrusage]: { name: 'getrusage', handler: I.sys_getrusage, status: 'partial', note: 'CPU time (as user time) and maxrss only' },
  [N.SYS_times]: { name: 'times', handler: I.sys_times, status: 'partial', note: 'CPU time as user time' },
};
