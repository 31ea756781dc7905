/**
 * kcmp(2) (kernel/kcmp.c): do two tasks share a kernel object — an open
 * file, the address space, the fd table, the fs context, the signal
 * handlers, the I/O context, the SysV semaphore undo list, or a file in an
 * epoll's interest list?
 *
 * umlts's objects and Linux's: a File is the open file description, a
 * Task's mm, files and fs are the shared AddressSpace, FdTable and
 * FsContext; the signal handlers are the ThreadGroup's (umlts shares them
 * only between threads: CLONE_SIGHAND without CLONE_THREAD copies them, as
 * CLONE_VM without CLONE_THREAD copies the memory); there is no io_context
 * (no block I/O: every task has none, as a Linux task that never did any).
 */
import { Errno } from '../abi/errno.js';
import { KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO, KCMP_SYSVSEM, KCMP_EPOLL_TFD, KCMP_EPOLL_SLOT_SIZE, KES_EFD, KES_TFD, KES_TOFF } from '../abi/kcmp.js';
import type { Task } from '../kernel/task.js';
import type { Kernel } from '../kernel/kernel.js';
import { ptraceMayAccess, PTRACE_MODE_READ_REALCREDS } from '../kernel/creds.js';
import { EpollFile } from '../fs/epoll.js';
import type { File } from '../fs/file.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4 } from './types.js';
import { readStruct } from './uaccess.js';

/** find_task_by_vpid: a live task by its id, or a zombie process's leader (there until reaped). */
function findTask(k: Kernel, pid: number): Task | null {
  const t = k.tasks.get(pid);
  if (t) return t;
  const tg = k.tgs.get(pid);
  return tg?.zombie ? (tg.tasks.find((x) => x.tid === pid) ?? null) : null;
}

/** Gone as far as its resources go (exit_mm, exit_files, exit_fs have run): a zombie or dead task. */
function exited(t: Task): boolean {
  return t.state === 'zombie' || t.state === 'dead';
}

/** get_file_raw_ptr: the file at fd idx (an unsigned int) of t, or null (none, or t has exited). */
function fileAt(t: Task, idx: number): File | null {
  return exited(t) ? null : t.files.get(idx);
}

/** kcmp_ptr: 0 equal, 1 less, 2 greater, in the kernel's fixed order of objects (null, Linux's NULL, first). */
function kcmpPtr(k: Kernel, a: object | null, b: object | null): number {
  const key = (o: object | null): number => {
    if (o === null) return 0;
    let n = k.kcmpOrder.get(o);
    if (n === undefined) k.kcmpOrder.set(o, (n = k.kcmpNext++));
    return n;
  };
  const x = key(a), y = key(b);
  return x === y ? 0 : x < y ? 1 : 2;
}

/**
 * kcmp_epoll_target: the slot (struct kcmp_epoll_slot at idx2) first
 * (EFAULT), then task1's file idx1 (EBADF), task2's epoll fd (EBADF), the
 * item in it (EINVAL if not an epoll, ENOENT if no such item).
 */
function kcmpEpollTarget(t: Task, task1: Task, task2: Task, idx1: number, slotAddr: number): number {
  const dv = readStruct(t, slotAddr, KCMP_EPOLL_SLOT_SIZE);
  const efd = dv.getUint32(KES_EFD, true), tfd = dv.getUint32(KES_TFD, true), toff = dv.getUint32(KES_TOFF, true);
  const filp = fileAt(task1, idx1);
  if (!filp) return -Errno.EBADF;
  const ep = fileAt(task2, efd);
  if (!ep) return -Errno.EBADF;
  if (!(ep instanceof EpollFile)) return -Errno.EINVAL;
  const target = ep.targetFile(tfd, toff);
  if (!target) return -Errno.ENOENT;
  return kcmpPtr(t.kernel, filp, target);
}

/**
 * kcmp(2), in Linux's order: both pids (ESRCH), then the ptrace read check
 * on each (EPERM), then the type (EINVAL for an unknown one) and its
 * objects (EBADF for an fd either task lacks).
 */
export function sys_kcmp(t: Task, r: Regs): number {
  const pid1 = r.getI32(A0), pid2 = r.getI32(A1), type = r.getI32(A2), idx1 = r.get(A3), idx2 = r.get(A4);
  const k = t.kernel;
  const task1 = findTask(k, pid1), task2 = findTask(k, pid2);
  if (!task1 || !task2) return -Errno.ESRCH;
  if (!ptraceMayAccess(t, task1, PTRACE_MODE_READ_REALCREDS) || !ptraceMayAccess(t, task2, PTRACE_MODE_READ_REALCREDS)) {
    return -Errno.EPERM;
  }
  // (what an exited task has no more of compares as Linux's NULL)
  const gone = (x: Task, o: object): object | null => (exited(x) ? null : o);
  switch (type) {
    case KCMP_FILE: {
      // get_file_raw_ptr takes the index as an unsigned int
      const f1 = fileAt(task1, idx1 % 2 ** 32), f2 = fileAt(task2, idx2 % 2 ** 32);
      return f1 && f2 ? kcmpPtr(k, f1, f2) : -Errno.EBADF;
    }
    case KCMP_VM:
      return kcmpPtr(k, gone(task1, task1.mm), gone(task2, task2.mm));
    case KCMP_FILES:
      return kcmpPtr(k, gone(task1, task1.files), gone(task2, task2.files));
    case KCMP_FS:
      return kcmpPtr(k, gone(task1, task1.fs), gone(task2, task2.fs));
    case KCMP_SIGHAND:
      // a zombie keeps its handlers until it is reaped (__exit_signal)
      return kcmpPtr(k, task1.tg, task2.tg);
    case KCMP_IO:
      return kcmpPtr(k, null, null);
    case KCMP_SYSVSEM:
      return kcmpPtr(k, task1.sysvsem, task2.sysvsem);
    case KCMP_EPOLL_TFD:
      return kcmpEpollTarget(t, task1, task2, idx1 % 2 ** 32, idx2);
    default:
      return -Errno.EINVAL;
  }
}
