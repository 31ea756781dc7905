/**
 * Wait queues (include/linux/wait.h) and poll events. A blocked task (or a
 * poll/epoll waiter) adds an entry; whoever makes the condition true calls
 * wake(). Entries are callbacks: the kernel's entry re-runs the blocked
 * syscall. Guarded by the JS thread; wake() may run entries that remove
 * themselves.
 */
export { POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND, POLLRDHUP } from '../abi/poll.js';

export type Waiter = (events: number) => void;

export class WaitQueue {
  /** guarded by the JS thread: sleepers add themselves, wakers and wakees remove */
  private readonly waiters = new Set<Waiter>();
  /** waiters woken after the others (O_ASYNC's: kill_fasync comes after the wake-up, so a signal it sends finds
   * a woken sleeper already on its way, not one it would interrupt); null until one comes; guarded by the JS thread */
  private late: Set<Waiter> | null = null;
  add(w: Waiter): void {
    this.waiters.add(w);
  }
  /** A waiter woken after every other (O_ASYNC's). */
  addLate(w: Waiter): void {
    (this.late ??= new Set()).add(w);
  }
  remove(w: Waiter): void {
    this.waiters.delete(w);
    this.late?.delete(w);
  }
  get empty(): boolean {
    return this.waiters.size === 0 && !this.late?.size;
  }
  /** Wake every waiter (each decides whether its condition holds), the late ones last. */
  wake(events: number): void {
    if (this.waiters.size !== 0) for (const w of [...this.waiters]) w(events);
    if (this.late?.size) for (const w of [...this.late]) w(events);
  }
}
