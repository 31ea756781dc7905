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
  add(w: Waiter): void {
    this.waiters.add(w);
  }
  remove(w: Waiter): void {
    this.waiters.delete(w);
  }
  get empty(): boolean {
    return this.waiters.size === 0;
  }
  /** Wake every waiter (each decides whether its condition holds). */
  wake(events: number): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) w(events);
  }
}
