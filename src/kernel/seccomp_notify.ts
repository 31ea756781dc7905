/**
 * SECCOMP_RET_USER_NOTIF (kernel/seccomp.c seccomp_do_user_notification and
 * the listener's file): a filtered call waits while a supervisor holding
 * the filter's listener fd receives it (NOTIF_RECV), answers it (NOTIF_SEND:
 * a value, an errno, or "continue": the call runs as it is) and may put
 * fds into the waiting task's table first (NOTIF_ADDFD).
 *
 * One difference in how, not what: Linux installs an ADDFD's file in the
 * waiting task's own context and the supervisor's ioctl waits for that;
 * here the waiting task is asleep in this same kernel, so the supervisor's
 * ioctl installs it in the task's fd table at once and answers with the fd.
 *
 * The listener's ioctls read and write guest memory, so they are the
 * syscall layer's (syscalls/seccomp.ts); this file keeps the state.
 */
import { Errno, ERESTARTSYS } from '../abi/errno.js';
import { SECCOMP_USER_NOTIF_FLAG_CONTINUE } from '../abi/seccomp.js';
import { AnonInodeFile } from '../fs/eventfd.js';
import { O_RDWR } from '../fs/types.js';
import { WaitQueue, POLLIN, POLLRDNORM, POLLOUT, POLLWRNORM, POLLHUP } from '../fs/waitqueue.js';
import { NO_VERDICT } from './syscall.js';
import { finalResult, type SeccompFilter } from './seccomp.js';
import type { Task } from './task.js';

/** seccomp_notify_state */
export const NOTIFY_INIT = 0, NOTIFY_SENT = 1, NOTIFY_REPLIED = 2;

/** struct seccomp_knotif: one waiting call. Guarded by the JS thread: its task (notify, waitAnswer) and the
 * listener's holders (recv, send, addfd, release) change it. */
export interface Knotif {
  /** immutable */
  readonly listener: SeccompListener;
  readonly task: Task;
  readonly id: bigint;
  /** the call's struct seccomp_data, as the filter saw it (64 bytes); immutable */
  readonly data: Uint8Array;
  state: number;
  /** the answer: an errno (negative) or 0 and a value, and SECCOMP_USER_NOTIF_FLAG_CONTINUE */
  error: number;
  val: bigint;
  flags: number;
}

export class SeccompListener extends AnonInodeFile {
  /** calls waiting, in order; guarded by the JS thread */
  private readonly notifications: Knotif[] = [];
  /** the next notification's id (random start, as Linux); guarded by the JS thread */
  private nextId: bigint;
  /** immutable reference */
  private readonly wq = new WaitQueue();
  /** SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (recorded: the wake-ups are the same here); guarded by the JS thread */
  syncWakeUp = false;

  constructor(
    /** the filter it listens to; immutable reference (null once released) */
    private filter: SeccompFilter | null,
    /** SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: once received, a call waits through any signal but a fatal one;
     * immutable */
    readonly waitKillable: boolean,
  ) {
    super(O_RDWR, 'anon_inode:seccomp notify');
    const r = crypto.getRandomValues(new Uint32Array(2));
    this.nextId = (BigInt(r[0]!) << 32n) | BigInt(r[1]!);
  }

  override get waitq(): WaitQueue {
    return this.wq;
  }
  /** seccomp_notify_ioctl's answer to what it does not know (its own requests are syscalls/seccomp.ts's) */
  override ioctl(): number {
    return -Errno.EINVAL;
  }

  /** A task's filter returned USER_NOTIF: queue the call, wake the supervisor, wait for the answer. */
  notify(t: Task, _nr: number, sd: Uint32Array): number {
    const n: Knotif = {
      listener: this, task: t, id: this.nextId, data: new Uint8Array(sd.slice().buffer), state: NOTIFY_INIT,
      error: 0, val: 0n, flags: 0,
    };
    this.nextId = (this.nextId + 1n) & 0xffffffffffffffffn;
    this.notifications.push(n);
    t.sc.notif = n;
    this.wq.wake(POLLIN | POLLRDNORM);
    return this.waitAnswer(t, n);
  }

  /** The waiting call, run (again) until it has its answer: the result, NO_VERDICT for "continue", or BLOCKED. */
  waitAnswer(t: Task, n: Knotif): number {
    if (n.state !== NOTIFY_REPLIED) {
      // a signal ends the wait (unless it may not: waitKillable, once received); the call is restarted
      // from its entry, where the filter runs again and a new notification goes out
      t.sc.cleanup = () => {
        this.drop(n);
        t.sc.notif = null;
        return -ERESTARTSYS;
      };
      t.sc.uninterruptible = this.waitKillable && n.state === NOTIFY_SENT;
      return t.sleep();
    }
    this.drop(n);
    t.sc.notif = null;
    t.sc.cleanup = null;
    t.sc.uninterruptible = false;
    if (n.flags & SECCOMP_USER_NOTIF_FLAG_CONTINUE) return NO_VERDICT;
    return finalResult(t, n.error !== 0 ? n.error : Number(BigInt.asIntN(64, n.val)));
  }

  private drop(n: Knotif): void {
    const i = this.notifications.indexOf(n);
    if (i >= 0) this.notifications.splice(i, 1);
    // (no wake-up: Linux's list_del here wakes no poller either)
  }

  /** The first call not yet received (NOTIF_RECV), or null. */
  firstUnreceived(): Knotif | null {
    return this.notifications.find((n) => n.state === NOTIFY_INIT) ?? null;
  }
  /** find_notification */
  find(id: bigint): Knotif | null {
    return this.notifications.find((n) => n.id === id) ?? null;
  }
  /** The call was handed to the supervisor (or, undone after a copy fault, is waiting to be again). */
  setReceived(n: Knotif, received: boolean): void {
    n.state = received ? NOTIFY_SENT : NOTIFY_INIT;
    if (received) {
      if (this.waitKillable) n.task.sc.uninterruptible = true;
      this.wq.wake(POLLOUT | POLLWRNORM);
    } else {
      // up(&request): a blocked NOTIF_RECV may take it
      this.wq.wake(POLLIN | POLLRDNORM);
    }
  }
  /** The answer: the waiting task runs again and takes it. */
  reply(n: Knotif, error: number, val: bigint, flags: number): void {
    n.state = NOTIFY_REPLIED;
    n.error = error;
    n.val = val;
    n.flags = flags;
    n.task.kernel.wake(n.task);
  }

  /** No task uses the filter any more (releaseFilter): a supervisor polling sees POLLHUP. */
  hangup(): void {
    this.wq.wake(POLLHUP);
  }

  /** seccomp_notify_poll */
  override poll(): number {
    let mask = 0;
    for (const n of this.notifications) {
      if (n.state === NOTIFY_INIT) mask |= POLLIN | POLLRDNORM;
      if (n.state === NOTIFY_SENT) mask |= POLLOUT | POLLWRNORM;
    }
    if (!this.filter || this.filter.users === 0) mask |= POLLHUP;
    return mask;
  }

  /** seccomp_notify_release → seccomp_notify_detach: every call still waiting gets ENOSYS; the filter has no
   * listener from now on (its later USER_NOTIF calls are ENOSYS at once). */
  protected override release(): void {
    for (const n of this.notifications) {
      if (n.state !== NOTIFY_REPLIED) this.reply(n, -Errno.ENOSYS, 0n, 0);
    }
    if (this.filter) this.filter.listener = null;
    this.filter = null;
  }
}
