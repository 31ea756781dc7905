/**
 * Wait queues (include/linux/wait.h) and poll events. A blocked task (or a
 * poll/epoll waiter) adds an entry; whoever makes the condition true calls
 * wake(). Entries are callbacks: the kernel's entry re-runs the blocked
 * syscall. Guarded by the JS thread; wake() may run entries that remove
 * themselves.
 */
export { POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND, POLLRDHUP } from '../abi/poll.js';

export type Waiter = (events: number) => void;
/** A waiter added exclusively: true when it woke a sleeper (the wake goes no further). */
export type ExclusiveWaiter = (events: number) => boolean;

export class WaitQueue {
  /** guarded by the JS thread: sleepers add themselves, wakers and wakees remove */
  private readonly waiters = new Set<Waiter>();
  /** waiters woken after the others (O_ASYNC's: kill_fasync comes after the wake-up, so a signal it sends finds
   * a woken sleeper already on its way, not one it would interrupt); null until one comes; guarded by the JS thread */
  private late: Set<Waiter> | null = null;
  /** exclusive waiters (add_wait_queue_exclusive: EPOLLEXCLUSIVE's epoll items), woken after the others, in the
   * order they came, until one says it woke a sleeper; null until one comes; guarded by the JS thread */
  private exclusive: Set<ExclusiveWaiter> | null = null;
  add(w: Waiter): void {
    this.waiters.add(w);
  }
  /** An exclusive waiter: a wake stops at the first that returns true. */
  addExclusive(w: ExclusiveWaiter): void {
    (this.exclusive ??= new Set()).add(w);
  }
  /** A waiter woken after every other (O_ASYNC's). */
  addLate(w: Waiter): void {
    (this.late ??= new Set()).add(w);
  }
  remove(w: Waiter | ExclusiveWaiter): void {
    this.waiters.delete(w);
    this.late?.delete(w);
    this.exclusive?.delete(w as ExclusiveWaiter);
  }
  get empty(): boolean {
    return this.waiters.size === 0 && !this.late?.size && !this.exclusive?.size;
  }
  /** Wake every waiter (each decides whether its condition holds), then exclusive ones until one woke a sleeper
   * (__wake_up_common's nr_exclusive 1), the late ones last. */
  wake(events: number): void {
    if (this.waiters.size !== 0) for (const w of [...this.waiters]) w(events);
    if (this.exclusive?.size) {
      for (const w of [...this.exclusive]) if (w(events)) break;
    }
    if (this.late?.size) for (const w of [...this.late]) w(events);
  }
}
