/**
 * process_vm_readv(2), process_vm_writev(2) (mm/process_vm_access.c): copy
 * between the caller's memory and another process's, without a round trip
 * through the target: the kernel reaches every guest address space through
 * its page table (mm/usercopy.ts), so the target's memory is read and
 * written as copy_from_user/copy_to_user would for the target itself
 * (pin_user_pages_remote: its protections count, a copy-on-write page is
 * copied for a write, no FOLL_FORCE).
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { ptraceMayAccess, PTRACE_MODE_ATTACH_REALCREDS } from '../kernel/creds.js';
import { PAGE_SIZE } from '../mm/physmem.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4, A5 } from './types.js';
import { readIovecs, copyInto, copyOut, UIO_MAXIOV } from './uaccess.js';

/** one page's bytes on their way between the two address spaces; filled and drained within one call */
const bounce = new Uint8Array(PAGE_SIZE);

/** An iovec count, an unsigned long: anything past UIO_MAXIOV is readIovecs's EINVAL. */
function iovcnt(r: Regs, reg: number): number {
  const n = r.get(reg);
  return n > UIO_MAXIOV ? UIO_MAXIOV + 1 : n;
}

/**
 * process_vm_rw, in Linux's order: flags (EINVAL); the local iovecs
 * (import_iovec: EINVAL, EFAULT) — nothing to move is 0 at once; the
 * remote iovecs (iovec_from_user) — nothing there is 0 too, before the pid
 * is looked up; the target, any thread id (ESRCH, also for a zombie,
 * which has no mm: mm_access); then mm_access's check, skipped when the
 * target shares the caller's mm (EPERM: EACCES mapped, as Linux maps it).
 * The copy goes a page at a time on each side, remote page first (pinned,
 * then copied): a fault on either side ends it, and the bytes already
 * moved are the result, EFAULT only if there were none.
 */
function processVmRw(t: Task, r: Regs, write: boolean): number {
  const pid = r.getI32(A0), lvec = r.get(A1), rvec = r.get(A3), flags = r.get(A5);
  if (flags !== 0) return -Errno.EINVAL;
  const local = readIovecs(t, lvec, iovcnt(r, A2));
  if (local.total === 0) return 0;
  const remote = readIovecs(t, rvec, iovcnt(r, A4), false);
  if (remote.total === 0) return 0;
  const target = t.kernel.tasks.get(pid);
  if (!target || target.state === 'zombie' || target.state === 'dead') return -Errno.ESRCH;
  if (target.mm !== t.mm && !ptraceMayAccess(t, target, PTRACE_MODE_ATTACH_REALCREDS)) return -Errno.EPERM;

  let done = 0, err = 0;
  // the local position: segment index (into the flat [base, len...] array) and offset in it
  let li = 0, loff = 0;
  const liov = local.iov, riov = remote.iov;
  copy: for (let ri = 0; ri < riov.length && li < liov.length; ri += 2) {
    let raddr = riov[ri]!, rlen = riov[ri + 1]!;
    while (rlen > 0 && li < liov.length) {
      const laddr = liov[li]! + loff;
      const n = Math.min(rlen, liov[li + 1]! - loff, PAGE_SIZE - (raddr % PAGE_SIZE), PAGE_SIZE - (laddr % PAGE_SIZE));
      try {
        if (write) {
          copyInto(t, laddr, bounce, 0, n);
          copyOut(target, raddr, bounce, 0, n);
        } else {
          copyInto(target, raddr, bounce, 0, n);
          copyOut(t, laddr, bounce, 0, n);
        }
      } catch (e) {
        if (!(e instanceof ErrnoError)) throw e;
        err = e.errno;
        break copy;
      }
      done += n;
      raddr += n;
      rlen -= n;
      loff += n;
      if (loff === liov[li + 1]) {
        li += 2;
        loff = 0;
      }
    }
  }
  if (write && target.mm !== t.mm) t.kernel.remoteMmChanged(target);
  return done > 0 ? done : -err;
}

/** process_vm_readv(2): from pid's memory (remote iovecs) into the caller's (local iovecs). */
export function sys_process_vm_readv(t: Task, r: Regs): number {
  return processVmRw(t, r, false);
}

/** process_vm_writev(2): from the caller's memory into pid's. */
export function sys_process_vm_writev(t: Task, r: Regs): number {
  return processVmRw(t, r, true);
}
