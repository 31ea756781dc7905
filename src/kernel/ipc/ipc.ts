/**
 * The kernel's System V IPC namespace (struct ipc_namespace): its shared
 * memory segments, semaphore sets and message queues (shm.ts, sem.ts,
 * msg.ts, on util.ts), and its POSIX message queues (mqueue.ts). The syscalls are
 * syscalls/ipc.ts and syscalls/mqueue.ts.
 *
 * Ownership: one per kernel, guarded by the JS thread.
 */
import type { TmpFs } from '../../fs/tmpfs.js';
import { ShmNamespace } from './shm.js';
import { SemNamespace, SemUndoList } from './sem.js';
import { MsgNamespace } from './msg.js';
import { MqueueNamespace } from './mqueue.js';

export class IpcNamespace {
  /** immutable references (their contents: see each) */
  readonly shm: ShmNamespace;
  readonly sem: SemNamespace;
  readonly msg: MsgNamespace;
  readonly mq = new MqueueNamespace();

  /** shmMnt: where segments keep their pages; now: the guest's wall clock in seconds */
  constructor(shmMnt: TmpFs, now: () => number) {
    this.shm = new ShmNamespace(shmMnt, now);
    this.sem = new SemNamespace(now);
    this.msg = new MsgNamespace(now);
  }

  /** exit_sem: the last task holding an undo list exited or unshared it (pid: its process's); the semaphore
   * adjustments are applied. (A process's shm attachments go with its VMAs.) */
  exitSem(list: SemUndoList, pid: number): void {
    this.sem.exit(list, pid);
  }
}
