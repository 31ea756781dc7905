/**
 * The fd argument of a syscall (fs/file.c: fdget): the open File, or EBADF.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import type { File } from '../fs/file.js';

/** The File open at fd in t's table, or -EBADF; in the re-run of a call that slept, the file the fd named when
 * the call first looked it up (the call holds it: SyscallContext.hold). */
export function fileOf(t: Task, fd: number): File | number {
  const sc = t.sc;
  if (sc.holding) {
    const f0 = sc.file0, f1 = sc.file1;
    if (sc.fd0 === fd && f0 !== null) return f0;
    if (sc.fd1 === fd && f1 !== null) return f1;
    return t.files.get(fd) ?? -Errno.EBADF;
  }
  const f = t.files.get(fd);
  if (f == null) return -Errno.EBADF;
  if (sc.file0 === null) {
    sc.fd0 = fd;
    sc.file0 = f;
  } else if (sc.file1 === null && sc.fd0 !== fd) {
    sc.fd1 = fd;
    sc.file1 = f;
  }
  return f;
}
