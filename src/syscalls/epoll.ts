/**
 * epoll_create(2), epoll_create1(2), epoll_ctl(2), epoll_wait(2),
 * epoll_pwait(2), epoll_pwait2(2) (fs/eventpoll.c). The interest and ready
 * lists live in fs/epoll.ts; here the arguments are decoded and epoll_wait
 * sleeps on the epoll's queue (through MultiWait, with its deadline) until
 * an item is ready, the deadline passes or a signal arrives (EINTR: these
 * calls are never restarted).
 */
import { fileOf } from './fd.js';
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { monotonicNs } from '../kernel/events.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4, A5 } from './types.js';
import { O_CLOEXEC, O_RDWR, O_ASYNC } from '../fs/types.js';
import { EpollFile, EPOLL_CTL_DEL } from '../fs/epoll.js';
import { MultiWait, runPass, timespecDeadline } from './poll.js';
import { readStruct, writeStruct, readSigmask, readU32, Sigset, UserPtr } from './uaccess.js';
import { FIOASYNC } from '../abi/termios.js';
import { capable } from '../kernel/creds.js';
import { CAP_NET_ADMIN } from '../abi/capability.js';
import { EPIOCSPARAMS, EPIOCGPARAMS, EPOLL_PARAMS_SIZE } from '../abi/poll.js';

/** struct epoll_event is packed on x86-64: u32 events, u64 data */
const EPOLL_EVENT_SIZE = 12;
/** EP_MAX_EVENTS: INT_MAX / sizeof(struct epoll_event) */
const EP_MAX_EVENTS = Math.floor(0x7fffffff / EPOLL_EVENT_SIZE);
/** TASK_SIZE: access_ok's limit */
const TASK_SIZE = 0x7ffffffff000;

function createEpoll(t: Task, cloexec: boolean): number {
  return t.files.install(new EpollFile(O_RDWR), cloexec);
}

/** epoll_create(2) */
export function sys_epoll_create(t: Task, r: Regs): number {
  if (r.getI32(A0) <= 0) return -Errno.EINVAL;
  return createEpoll(t, false);
}

/** epoll_create1(2) */
export function sys_epoll_create1(t: Task, r: Regs): number {
  const flags = r.getI32(A0);
  if (flags & ~O_CLOEXEC) return -Errno.EINVAL;
  return createEpoll(t, (flags & O_CLOEXEC) !== 0);
}

/** epoll_ctl(2) */
export function sys_epoll_ctl(t: Task, r: Regs): number {
  const epfd = r.getI32(A0), op = r.getI32(A1), fd = r.getI32(A2), ev = r.get(A3);
  let events = 0, dataLo = 0, dataHi = 0;
  if (op !== EPOLL_CTL_DEL) {
    const dv = readStruct(t, ev, EPOLL_EVENT_SIZE);
    events = dv.getUint32(0, true);
    dataLo = dv.getUint32(4, true);
    dataHi = dv.getUint32(8, true);
  }
  const ef = t.files.get(epfd), tf = t.files.get(fd);
  if (!ef || !tf) return -Errno.EBADF;
  if (tf.waitq === null) return -Errno.EPERM; // !file_can_poll
  if (!(ef instanceof EpollFile) || ef === tf) return -Errno.EINVAL;
  return ef.ctl(op, fd, tf, events, dataLo, dataHi);
}

class EpollWaitCall {
  constructor(readonly wait: MultiWait, readonly ep: EpollFile, readonly events: UserPtr, readonly max: number) {}
}

/** do_epoll_wait: the checks, then ep_poll. deadline: monotonic ns, 0n for none-at-all, null forever. */
function startWait(t: Task, epfd: number, events: UserPtr, max: number, deadline: bigint | null, mask: Sigset | null): number {
  if (max <= 0 || max > EP_MAX_EVENTS) return -Errno.EINVAL;
  if (events + max * EPOLL_EVENT_SIZE > TASK_SIZE) return -Errno.EFAULT; // access_ok
  const ep = fileOf(t, epfd);
  if (typeof ep === 'number') return ep;
  if (!(ep instanceof EpollFile)) return -Errno.EINVAL;
  if (mask) t.kernel.setTempSigmask(t, mask[0], mask[1]);
  const st = new EpollWaitCall(new MultiWait(t, deadline), ep, events, max);
  t.sc.state = st;
  return runWait(t, st);
}

/** One pass of ep_poll. */
function runWait(t: Task, st: EpollWaitCall): number {
  const w = st.wait;
  return runPass(w, () => {
    w.unwatch();
    const n = st.ep.harvest(st.max, (i, events, lo, hi) => {
      writeStruct(t, st.events + i * EPOLL_EVENT_SIZE, EPOLL_EVENT_SIZE, (dv) => {
        dv.setUint32(0, events, true);
        dv.setUint32(4, lo, true);
        dv.setUint32(8, hi, true);
      });
    });
    if (n > 0 || w.expired) return n;
    if (t.kernel.hasDeliverable(t)) return -Errno.EINTR;
    w.watch(st.ep.waitq);
    return w.sleep();
  });
}

/** epoll_wait(2) */
export function sys_epoll_wait(t: Task, r: Regs): number {
  const st = t.sc.state;
  if (st instanceof EpollWaitCall) return runWait(t, st);
  const ms = r.getI32(A3);
  return startWait(t, r.getI32(A0), r.get(A1), r.getI32(A2), msDeadline(ms), null);
}

/** epoll_pwait(2) */
export function sys_epoll_pwait(t: Task, r: Regs): number {
  const st = t.sc.state;
  if (st instanceof EpollWaitCall) return runWait(t, st);
  const mask = readSigmask(t, r.get(A4), r.get(A5));
  return startWait(t, r.getI32(A0), r.get(A1), r.getI32(A2), msDeadline(r.getI32(A3)), mask);
}

/** epoll_pwait2(2): the timeout is a struct timespec (NULL: forever). */
export function sys_epoll_pwait2(t: Task, r: Regs): number {
  const st = t.sc.state;
  if (st instanceof EpollWaitCall) return runWait(t, st);
  const deadline = timespecDeadline(t, r.get(A3));
  const mask = readSigmask(t, r.get(A4), r.get(A5));
  return startWait(t, r.getI32(A0), r.get(A1), r.getI32(A2), deadline, mask);
}

/** ep_timeout_to_timespec: negative is forever, 0 returns at once. */
function msDeadline(ms: number): bigint | null {
  return ms < 0 ? null : ms === 0 ? 0n : monotonicNs() + BigInt(ms) * 1000000n;
}

/** NAPI_POLL_WEIGHT: a busy-poll budget above it needs CAP_NET_ADMIN */
const NAPI_POLL_WEIGHT = 64;

/** ep_eventpoll_ioctl (6.9+): busy polling's parameters; any other request is EINVAL (FIONREAD, TCGETS...),
 * but FIOASYNC, which do_vfs_ioctl answers first (ioctl_fioasync: no fasync, so ENOTTY for a change of O_ASYNC). */
export function epollIoctl(t: Task, ep: EpollFile, req: number, arg: UserPtr): number {
  switch (req) {
    case FIOASYNC:
      return (readU32(t, arg) !== 0) !== ((ep.flags & O_ASYNC) !== 0) ? -Errno.ENOTTY : 0;
    case EPIOCSPARAMS: {
      const dv = readStruct(t, arg, EPOLL_PARAMS_SIZE);
      const usecs = dv.getUint32(0, true), budget = dv.getUint16(4, true), prefer = dv.getUint8(6);
      if (dv.getUint8(7) !== 0 || usecs > 0x7fffffff || prefer > 1) return -Errno.EINVAL;
      if (budget > NAPI_POLL_WEIGHT && !capable(t.creds, CAP_NET_ADMIN)) return -Errno.EPERM;
      ep.busyPoll = { usecs, budget, prefer };
      return 0;
    }
    case EPIOCGPARAMS: {
      const p = ep.busyPoll;
      writeStruct(t, arg, EPOLL_PARAMS_SIZE, (dv) => {
        dv.setUint32(0, p.usecs, true);
        dv.setUint16(4, p.budget, true);
        dv.setUint8(6, p.prefer);
        dv.setUint8(7, 0);
      });
      return 0;
    }
    default:
      return -Errno.EINVAL;
  }
}
