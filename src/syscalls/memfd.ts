/**
 * memfd_create(2) (mm/memfd.c), memfd_secret(2) (mm/secretmem.c) and the seal commands of fcntl(2)
 * (F_ADD_SEALS, F_GET_SEALS). A memfd is an unlinked file of the kernel's
 * internal shmem mount (Vfs.shmMnt), so it reads, writes, truncates and
 * maps as a tmpfs file does: a shared mapping of it and its read(2)/write(2)
 * see the same pages (fs/shmem.ts). Seals are the inode's (TmpReg.seals).
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import type { File } from '../fs/file.js';
import { Regs } from '../platform/regs.js';
import { A0, A1 } from './types.js';
import { O_RDWR, O_LARGEFILE, O_CLOEXEC } from '../fs/types.js';
import { TmpFile } from '../fs/tmpfs.js';
import { readCString } from './uaccess.js';

export const MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2, MFD_HUGETLB = 4, MFD_NOEXEC_SEAL = 8, MFD_EXEC = 0x10;
/** MFD_NAME_MAX_LEN: NAME_MAX less "memfd:" */
const MFD_NAME_MAX_LEN = 249;
export const F_ADD_SEALS = 1033, F_GET_SEALS = 1034;

/** memfd_create(2). MFD_HUGETLB is not offered (EINVAL): umlts has no huge pages. */
export function sys_memfd_create(t: Task, r: Regs): number {
  const uname = r.get(A0), flags = r.getU32(A1);
  if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC)) return -Errno.EINVAL;
  if (flags & MFD_EXEC && flags & MFD_NOEXEC_SEAL) return -Errno.EINVAL;
  let name: string;
  try {
    name = readCString(t, uname, MFD_NAME_MAX_LEN);
  } catch (e) {
    if (e instanceof ErrnoError && e.errno === Errno.ENAMETOOLONG) return -Errno.EINVAL;
    throw e;
  }
  const f = t.kernel.vfs.memfd(t, name, (flags & MFD_ALLOW_SEALING) !== 0, (flags & MFD_NOEXEC_SEAL) !== 0, O_RDWR | O_LARGEFILE);
  return t.files.install(f, (flags & MFD_CLOEXEC) !== 0);
}

/** memfd_secret(2): flags only O_CLOEXEC (SECRETMEM_FLAGS_MASK). */
export function sys_memfd_secret(t: Task, r: Regs): number {
  const flags = r.getU32(A0);
  if (flags & ~O_CLOEXEC) return -Errno.EINVAL;
  return t.files.install(t.kernel.vfs.secretmem(t), (flags & O_CLOEXEC) !== 0);
}

/**
 * memfd_fcntl: F_ADD_SEALS needs the file open for writing (EPERM), then a
 * shmem file (EINVAL for any other); F_GET_SEALS a shmem file.
 */
export function memfdFcntl(f: File, cmd: number, arg: number): number {
  if (cmd === F_ADD_SEALS) {
    if (!f.writable) return -Errno.EPERM;
    return f instanceof TmpFile ? f.addSeals(arg >>> 0) : -Errno.EINVAL;
  }
  return f instanceof TmpFile ? f.node.seals : -Errno.EINVAL;
}
