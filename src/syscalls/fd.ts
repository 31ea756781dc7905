/**
 * The fd argument of a syscall (fs/file.c: fdget): the open File, or EBADF.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import type { File } from '../fs/file.js';

/** The File open at fd in t's table, or -EBADF. */
export function fileOf(t: Task, fd: number): File | number {
  return t.files.get(fd) ?? -Errno.EBADF;
}
