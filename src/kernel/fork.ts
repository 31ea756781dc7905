/**
 * clone(2), fork(2), vfork(2) (kernel/fork.c): a new process in a new stub
 * (its address space a copy-on-write copy), or a new thread or CLONE_VM
 * process in the same stub (a host thread the stub clones).
 *
 * Functions of the Kernel (kernel.ts), which calls them through its
 * methods; state is the kernel's, guarded by the JS thread.
 */
import { AddressSpace } from '../mm/address_space.js';
import { PAGE_SIZE } from '../mm/physmem.js';
import { Context, StubFailed, ContextGone } from '../platform/platform.js';
import { ORIG_RAX, RAX, RSP, FS_BASE } from '../platform/regs.js';
import { Errno, ErrnoError } from '../abi/errno.js';
import { Task, ThreadGroup } from './task.js';
import { getFilter } from './seccomp.js';
import { capable } from './creds.js';
import { CAP_SYS_ADMIN, CAP_SYS_RESOURCE } from '../abi/capability.js';
import { FsContext } from '../fs/vfs.js';
import { TASK_SIZE_MAX } from '../abi/limits.js';
import { SCHED_NORMAL, SCHED_FIFO, SCHED_RR, RLIMIT_CPU, RLIMIT_NPROC } from '../abi/resource.js';
import { cpuLimit } from './cpu_clock.js';
import { ptraceClone } from './ptrace.js';
import { Kernel, CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_THREAD, CLONE_PARENT, CLONE_VFORK, CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID, CLONE_NAMESPACES, CLONE_PIDFD, CLONE_DETACHED, CLONE_SYSVSEM, CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWTIME } from './kernel.js';
// (read at load, so from abi itself: kernel.js, which imports this file, may not have run yet)
import * as SCHED from '../abi/sched.js';
import { exitSem } from './exit.js';
import { SemUndoList } from './ipc/sem.js';
import { PidFd } from './pidfd.js';
import { O_RDWR } from '../fs/types.js';

/**
 * clone(2)/fork(2)/vfork(2): a new process. Its address space is a
 * copy-on-write copy in a new stub host process, or with CLONE_VM the
 * parent's own: the child's host thread is a thread of the parent's stub,
 * as a thread's is (vfork and posix_spawn: CLONE_VM|CLONE_VFORK, the parent
 * waiting for the child's exec or exit). A thread (CLONE_THREAD) is a host
 * thread in the same stub too: cloneThread.
 */
export function clone(k: Kernel, parent: Task, flags: number, stack: number, ptid: number, ctid: number, tls: number,
  pidfdAddr = 0): number {
  // set_new_tls → do_arch_prctl_64: a base no user thread may have
  if (flags & CLONE_SETTLS && (tls < 0 || tls >= TASK_SIZE_MAX)) return -Errno.EPERM;
  // a pidfd names a process, so not a thread (nor the ancient CLONE_DETACHED)
  if (flags & CLONE_PIDFD && flags & (CLONE_THREAD | CLONE_DETACHED)) return -Errno.EINVAL;
  // copy_process: init (SIGNAL_UNKILLABLE) may not make siblings, which nobody would reap (threads included)
  if (flags & CLONE_PARENT && parent.tg.parent === null) return -Errno.EINVAL;
  if (flags & CLONE_THREAD) return k.cloneThread(parent, flags, stack, ptid, ctid, tls);
  if (flags & CLONE_SIGHAND && !(flags & CLONE_VM)) return -Errno.EINVAL;
  if (flags & CLONE_NAMESPACES) return -Errno.EPERM;
  if (k.tgs.size >= (k.opts.maxProcesses ?? 4096)) return -Errno.EAGAIN;
  if (nprocExceeded(k, parent)) return -Errno.EAGAIN;
  // CLONE_PIDFD: the number goes to pidfdAddr (clone: parent_tid) before the child runs; an address the parent
  // cannot write, or a full fd table, fails the clone (copy_process): tried here, before anything is made
  if (flags & CLONE_PIDFD) {
    try {
      parent.mm.check(pidfdAddr, 4, true);
    } catch (e) {
      if (!(e instanceof ErrnoError)) throw e;
      return -Errno.EFAULT;
    }
    if (!parent.files.hasRoom()) return -Errno.EMFILE;
  }
  let mm: AddressSpace, thread: Context, cpuBaseNs = 0;
  if (flags & CLONE_VM) {
    // the parent's memory, shared (copy_mm's CLONE_VM): a host thread of its stub, as cloneThread's
    mm = parent.mm;
    const t = threadFor(k, mm, parent.thread);
    if (typeof t === 'number') return t;
    ({ thread, cpuBaseNs } = t);
    mm.setSyncThread(parent.thread);
    mm.users++;
  } else {
    // both write the stack as soon as the call returns: the child gets its own copy of that page now
    // (AddressSpace.fork's copies ahead), mapped writable before it first runs: a fault less on each side
    const sp = Math.floor(parent.regs.get(RSP) / PAGE_SIZE) * PAGE_SIZE;
    // (vfork without CLONE_VM is a fork whose parent waits)
    // (the copy's own host failing: the fork fails, ENOMEM; the parent's: the parent's failure)
    const childFailed = (e: unknown): boolean =>
      (e instanceof StubFailed || e instanceof ContextGone) && e.tid !== parent.mm.hostPid && k.taskOfHostTid(e.tid) === undefined;
    try {
      ({ mm, thread } = parent.mm.fork(sp));
    } catch (e) {
      if (childFailed(e)) return -Errno.ENOMEM;
      throw e;
    }
    try {
      // the parent's write-protection reaches the host before the child runs
      parent.mm.flush();
      mm.prefault(sp, sp + PAGE_SIZE);
    } catch (e) {
      // (no process gets the copy: its host process and its hold on files go now)
      mm.release();
      if (childFailed(e)) return -Errno.ENOMEM;
      throw e;
    }
    k.stats.stubs++;
  }
  const ptg = parent.tg;
  const tg = new ThreadGroup(k.allocPid(), flags & CLONE_PARENT ? ptg.parent : ptg);
  // a sibling's exit signal is its creator's (copy_process: the parent it reports to is not its creator's)
  tg.exitSignal = flags & CLONE_PARENT ? ptg.exitSignal : flags & 0xff;
  tg.dumpable = ptg.dumpable;
  tg.thpDisable = ptg.thpDisable;
  tg.exe = ptg.exe;
  tg.cmdline = ptg.cmdline;
  tg.auxv = ptg.auxv;
  for (const [k, v] of ptg.rlimits) tg.rlimits.set(k, [v[0], v[1]]);
  // (its CPU time starts at 0 against the same RLIMIT_CPU)
  if (tg.rlimits.has(RLIMIT_CPU)) cpuLimit(k, tg);
  // copy_sighand: the table itself with CLONE_SIGHAND (clone demands CLONE_VM with it), else a copy
  if (flags & CLONE_SIGHAND) {
    tg.sigactions = ptg.sigactions;
  } else {
    for (let s = 1; s <= 64; s++) {
      const a = ptg.sigactions[s];
      if (a) tg.sigactions[s] = { ...a };
    }
  }
  // (a shared address space keeps to its first process's limits)
  if (!(flags & CLONE_VM)) mm.limits = tg;
  tg.parent!.children.add(tg);
  k.tgs.set(tg.tgid, tg);
  const child = k.childTask(parent, tg.tgid, tg, mm, thread, flags, stack, tls);
  child.cpuBaseNs = cpuBaseNs;
  child.altStackSp = parent.altStackSp;
  child.altStackSize = parent.altStackSize;
  child.altStackFlags = parent.altStackFlags;
  // the tid stores may fault: Linux ignores that (kernel_clone's put_user,
  // schedule_tail's), and the child runs all the same
  if (flags & CLONE_PARENT_SETTID) {
    putTid(parent.mm, ptid, tg.tgid);
    if (mm !== parent.mm) putTid(mm, ptid, tg.tgid);
  }
  if (flags & CLONE_CHILD_SETTID) putTid(mm, ctid, tg.tgid);
  if (flags & CLONE_CHILD_CLEARTID) child.clearChildTid = ctid;
  // (the child's own table, unless shared, was copied before: it has no such fd)
  if (flags & CLONE_PIDFD) {
    const fd = parent.files.install(new PidFd(tg, O_RDWR), true);
    putTid(parent.mm, pidfdAddr, fd);
  }
  if (flags & CLONE_VFORK) {
    child.vforkParent = parent;
    parent.vforkDone = false;
  }
  if (parent.ptrace && !(flags & CLONE_UNTRACED)) ptraceClone(k, parent, child, (flags & CLONE_VFORK) !== 0, false);
  mm.setSyncThread(thread);
  k.resume(child);
  return tg.tgid;
}

/** CLONE_UNTRACED: a tracer's TRACEFORK/TRACECLONE does not follow this child */
const CLONE_UNTRACED = 0x00800000;

/**
 * The task clone makes, process or thread: files and fs shared or copied
 * per the flags, the parent's name and mask, and its registers returning
 * 0 (on the new stack if one was given) with its FPU state.
 */
export function childTask(k: Kernel, parent: Task, tid: number, tg: ThreadGroup, mm: AddressSpace, thread: Context, flags: number, stack: number, tls: number): Task {
  const files = flags & CLONE_FILES ? parent.files : parent.files.clone();
  if (files === parent.files) files.users++;
  const fs: FsContext = flags & CLONE_FS ? parent.fs : { ...parent.fs };
  const child = new Task(k, tid, tg, mm, thread, files, fs, parent.creds.clone());
  // copy_semundo: CLONE_SYSVSEM shares the parent's undo list (made now if it had none), else the child has none
  if (flags & CLONE_SYSVSEM) {
    child.sysvsem = parent.sysvsem ??= new SemUndoList();
    child.sysvsem.users++;
  }
  tg.tasks.push(child);
  k.tasks.set(tid, child);
  thread.owner = child;
  child.comm = parent.comm;
  child.timerSlackNs = child.defaultTimerSlackNs = parent.timerSlackNs;
  child.personality = parent.personality;
  // copy_seccomp: the filters and no_new_privs go with every child, thread or process
  child.noNewPrivs = parent.noNewPrivs;
  child.seccompMode = parent.seccompMode;
  child.seccompFilter = parent.seccompFilter;
  getFilter(child.seccompFilter);
  // sched_fork: the scheduling attributes are inherited, unless SCHED_RESET_ON_FORK resets them
  child.affinity = parent.affinity;
  if (parent.resetOnFork) {
    child.policy = parent.policy === SCHED_FIFO || parent.policy === SCHED_RR ? SCHED_NORMAL : parent.policy;
    child.rtPriority = 0;
    child.nice = Math.max(0, parent.nice);
  } else {
    child.policy = parent.policy;
    child.rtPriority = parent.rtPriority;
    child.nice = parent.nice;
  }
  child.slice = parent.slice;
  // copy_io: the I/O priority goes with the child
  child.ioprio = parent.ioprio;
  child.sigmaskLo = parent.sigmaskLo;
  child.sigmaskHi = parent.sigmaskHi;
  const r = child.regs;
  r.copyFrom(parent.regs);
  r.set(RAX, 0);
  r.set(ORIG_RAX, -1);
  if (stack) r.set(RSP, stack);
  if (flags & CLONE_SETTLS) r.set(FS_BASE, tls);
  r.dirty = true; // a fresh or parked host thread: all of them are set
  thread.setXstate(parent.thread.getXstate());
  return child;
}

/**
 * copy_process's RLIMIT_NPROC: the caller's real user has as many tasks
 * (threads count) as its limit allows; root, CAP_SYS_RESOURCE and
 * CAP_SYS_ADMIN pass; the walk only for a user with a finite limit.
 */
function nprocExceeded(k: Kernel, parent: Task): boolean {
  const [soft] = parent.tg.limit(RLIMIT_NPROC);
  const uid = parent.creds.uid;
  if (soft === Infinity || uid === 0 || capable(parent.creds, CAP_SYS_RESOURCE) || capable(parent.creds, CAP_SYS_ADMIN)) return false;
  let n = 0;
  for (const t of k.tasks.values()) if (t.creds.uid === uid && ++n >= soft) return true;
  return false;
}

/**
 * clone(CLONE_THREAD): a new thread of parent's process. Its host thread
 * is a thread of the same stub process (mm.newThread: the parent's host
 * thread runs the stub's clone, or a parked one is reused), so the host
 * shares every mapping and threads of one process run in parallel.
 */
export function cloneThread(k: Kernel, parent: Task, flags: number, stack: number, ptid: number, ctid: number, tls: number): number {
  if (!(flags & CLONE_SIGHAND) || !(flags & CLONE_VM)) return -Errno.EINVAL;
  if (flags & CLONE_NAMESPACES) return -Errno.EINVAL;
  if (k.tasks.size >= 16384) return -Errno.EAGAIN;
  if (nprocExceeded(k, parent)) return -Errno.EAGAIN;
  const mm = parent.mm, tg = parent.tg;
  if (tg.zombie) return -Errno.EAGAIN;
  const t = threadFor(k, mm, parent.thread);
  if (typeof t === 'number') return t;
  mm.setSyncThread(parent.thread);
  mm.users++;
  // (a new thread has no alternate signal stack)
  const child = k.childTask(parent, k.allocPid(), tg, mm, t.thread, flags, stack, tls);
  child.cpuBaseNs = t.cpuBaseNs;
  if (flags & CLONE_PARENT_SETTID) putTid(mm, ptid, child.tid);
  if (flags & CLONE_CHILD_SETTID) putTid(mm, ctid, child.tid);
  if (flags & CLONE_CHILD_CLEARTID) child.clearChildTid = ctid;
  if (parent.ptrace && !(flags & CLONE_UNTRACED)) ptraceClone(k, parent, child, false, true);
  k.resume(child);
  return child.tid;
}

/**
 * A host thread of mm for a new task (AddressSpace.newThread), and what its
 * CPU clock says already: a parked one's earlier tasks counted that
 * (Task.cpuBaseNs).
 */
function threadFor(k: Kernel, mm: AddressSpace, from: Context): { thread: Context; cpuBaseNs: number } | number {
  const reused = mm.parked.length > 0;
  const thread = mm.newThread(from);
  if (typeof thread === 'number') return thread;
  return { thread, cpuBaseNs: reused ? k.platform.threadCpuNs(thread) : 0 };
}

/** The vfork parent of this task (if any) may go on: the child has exec'd or exited. */
export function vforkRelease(k: Kernel, task: Task): void {
  const p = task.vforkParent;
  if (!p) return;
  task.vforkParent = null;
  p.vforkDone = true;
  k.wake(p);
}

/** A tid store of clone's: a fault there is ignored, as Linux ignores it. */
function putTid(mm: AddressSpace, addr: number, tid: number): void {
  try {
    mm.writeU32(addr, tid);
  } catch (e) {
    if (!(e instanceof ErrnoError)) throw e;
  }
}

/** unshare_fd (kernel/fork.c): a task sharing its fd table with another (CLONE_FILES) gets its own copy. */
export function unshareFiles(task: Task): void {
  const old = task.files;
  if (old.users === 1) return;
  task.files = old.clone();
  old.users--;
}

/** the flags unshare(2) knows (check_unshare_flags) */
const UNSHARE_KNOWN = SCHED.CLONE_THREAD | SCHED.CLONE_FS | SCHED.CLONE_SIGHAND | SCHED.CLONE_VM | SCHED.CLONE_FILES |
  SCHED.CLONE_SYSVSEM | SCHED.CLONE_NAMESPACES | SCHED.CLONE_NEWTIME;

/**
 * unshare(2) (kernel/fork.c: ksys_unshare), in its order: the implied
 * flags (NEWUSER takes THREAD and FS, VM takes SIGHAND, SIGHAND takes
 * THREAD, NEWNS takes FS); check_unshare_flags (EINVAL for an unknown bit;
 * THREAD, SIGHAND and VM only "work" when there is nothing to unshare: a
 * process with one thread, whose handlers and memory no other task shares);
 * the namespaces; then the fs context
 * and the fd table are copied if shared, and CLONE_SYSVSEM leaves the undo
 * list as exit does (exit_sem: the last to leave applies it).
 *
 * Namespaces: umlts has none, so it answers as a Linux built without them
 * (no CONFIG_USER_NS, CONFIG_UTS_NS...): CLONE_NEWUSER is EINVAL
 * (create_user_ns), and the others are EPERM without CAP_SYS_ADMIN (the
 * capability check comes first) and EINVAL with it (create_*_ns). EPERM for
 * root would tell it it lacks a capability it has; EINVAL says the kernel
 * does not offer the namespace, which callers (unshare(1), bwrap, sandboxes)
 * take as that. CLONE_NEWNS, which Linux cannot be built without, gets the
 * same answer: umlts has one mount table.
 */
export function unshare(task: Task, flags: number): number {
  if (flags & CLONE_NEWUSER) flags |= CLONE_THREAD | CLONE_FS;
  if (flags & CLONE_VM) flags |= CLONE_SIGHAND;
  if (flags & CLONE_SIGHAND) flags |= CLONE_THREAD;
  if (flags & CLONE_NEWNS) flags |= CLONE_FS;
  if (flags & ~UNSHARE_KNOWN) return -Errno.EINVAL;
  // thread_group_empty; the handlers (sighand) shared with a CLONE_SIGHAND process; the memory
  // (current_is_single_threaded) shared with a CLONE_VM process
  if (flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)) {
    if (task.tg.tasks.some((x) => x !== task && x.state !== 'zombie' && x.state !== 'dead')) return -Errno.EINVAL;
  }
  if (flags & (CLONE_SIGHAND | CLONE_VM)) {
    for (const tg of task.kernel.tgs.values()) if (tg !== task.tg && !tg.zombie && tg.sigactions === task.tg.sigactions) return -Errno.EINVAL;
  }
  if (flags & CLONE_VM && task.mm.users > 1) return -Errno.EINVAL;
  if (flags & CLONE_NEWUSER) return -Errno.EINVAL;
  if (flags & (CLONE_NAMESPACES | CLONE_NEWTIME)) return capable(task.creds, CAP_SYS_ADMIN) ? -Errno.EINVAL : -Errno.EPERM;
  // (CLONE_NEWIPC would leave the undo list too; it failed above)
  if (flags & CLONE_SYSVSEM) exitSem(task.kernel, task);
  // unshare_fs: a task alone with its fs context may keep it, and a copy nobody shares is the same to everyone
  if (flags & CLONE_FS) task.fs = { ...task.fs };
  if (flags & CLONE_FILES) unshareFiles(task);
  return 0;
}
