/**
 * Linux native AIO (fs/aio.c): io_setup, io_destroy, io_submit, io_cancel,
 * io_getevents, io_pgetevents.
 *
 * A context is, as on Linux, a ring in the process's own memory (struct
 * aio_ring, then its io_event slots), mapped shared ("/[aio] (deleted)" in
 * its maps), whose address is the context's id: libaio reads completions
 * from the ring itself when its magic is AIO_RING_MAGIC, and moves its head.
 * The kernel's side of a context lives with the address space it was made
 * in (`contexts`): a fork's child has none (its copy of the ring is only
 * memory), and the image's end (exec, or the process's exit) ends them and
 * the poll requests they wait with (exit_aio).
 *
 * Reads, writes and syncs are done while io_submit runs, as Linux does them
 * for buffered files; one that has to wait (a pipe, a socket, a terminal
 * with nothing to give or no room, opened blocking, without RWF_NOWAIT)
 * holds io_submit until it can go on, as Linux's read_iter does there; a
 * signal meanwhile completes it with EINTR (aio_rw_done) and io_submit
 * returns what it submitted, that one included. IOCB_CMD_POLL
 * completes when its file is ready, from the file's wait queue, and is the
 * one request io_cancel finds (EINPROGRESS; its event then says 0).
 * io_getevents sleeps on the context until enough events are in the ring,
 * its timeout passes or a signal comes.
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import { O_NONBLOCK, O_APPEND } from '../abi/fcntl.js';
import type { Task } from '../kernel/task.js';
import type { AddressSpace } from '../mm/address_space.js';
import type { File } from '../fs/file.js';
import { EventFd } from '../fs/eventfd.js';
import { WaitQueue, Waiter, POLLIN, POLLERR, POLLHUP } from '../fs/waitqueue.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4, A5 } from './types.js';
import {
  readStruct, writeStruct, readU32, readU64, writeU32, writeU64, readIovecs, userBuf, readSigmask, copyIn, copyOut,
  Iovecs, UserPtr,
} from './uaccess.js';
import { fileTransfer, RWF_KNOWN, RWF_DSYNC, RWF_SYNC, RWF_APPEND, RWF_NOAPPEND, RWF_NOWAIT } from './read_write.js';
import { fileOf } from './fd.js';
import { mapSharedAnon } from './mm.js';
import { PROT_READ, PROT_WRITE, PROT_EXEC, MAP_SHARED } from '../abi/mman.js';
import { checkCap } from './ioprio.js';
import { MultiWait, runPass } from './poll.js';
import { monotonicNs } from '../kernel/events.js';

/** struct aio_ring: id, nr, head, tail, magic, compat_features, incompat_features, header_length; then io_events */
const RING_ID = 0, RING_NR = 4, RING_HEAD = 8, RING_TAIL = 12, RING_MAGIC = 16, RING_HEADER = 32;
const AIO_RING_MAGIC = 0xa10a10a1, AIO_RING_COMPAT_FEATURES = 1;
/** struct io_event: data, obj, res, res2 */
const IO_EVENT_SIZE = 32;
/** struct iocb */
const IOCB_SIZE = 64, IOCB_DATA = 0, IOCB_KEY = 8, IOCB_RW_FLAGS = 12, IOCB_OPCODE = 16, IOCB_REQPRIO = 18,
  IOCB_FILDES = 20, IOCB_BUF = 24, IOCB_NBYTES = 32, IOCB_OFFSET = 40, IOCB_RESERVED2 = 48, IOCB_FLAGS = 56,
  IOCB_RESFD = 60;
const IOCB_CMD_PREAD = 0, IOCB_CMD_PWRITE = 1, IOCB_CMD_FSYNC = 2, IOCB_CMD_FDSYNC = 3, IOCB_CMD_POLL = 5,
  IOCB_CMD_PREADV = 7, IOCB_CMD_PWRITEV = 8;
const IOCB_FLAG_RESFD = 1, IOCB_FLAG_IOPRIO = 2;
/** what every iocb's aio_key is set to (an iocb io_cancel is given must say it) */
const KIOCB_KEY = 0;
/** /proc/sys/fs/aio-max-nr's default: the events all contexts may ask for together */
const AIO_MAX_NR = 65536;
/** struct __aio_sigset: sigmask pointer, sigsetsize */
const AIO_SIGSET_SIZE = 16;

/** A poll request not yet complete: the file it waits on and its waiter there. */
interface PollReq {
  readonly obj: UserPtr;
  readonly data: bigint;
  readonly file: File;
  readonly events: number;
  readonly eventfd: EventFd | null;
  readonly waiter: Waiter;
}

/**
 * A context (struct kioctx). Guarded by the JS thread: its process's calls
 * and the wakes of the files its poll requests wait on touch it.
 */
class AioContext {
  /** completions and io_destroy wake io_getevents' sleepers; immutable reference */
  readonly wq = new WaitQueue();
  /** the kernel's own tail (the ring's copy is only shown) */
  tail = 0;
  /** poll requests waiting for their files (active_reqs) */
  readonly polls = new Set<PollReq>();
  dead = false;
  constructor(
    /** the ring's address: the id io_setup gave; immutable */
    readonly userId: number,
    /** its index in the address space's table (ring->id); immutable */
    readonly id: number,
    /** events the ring holds (ring->nr); immutable */
    readonly nr: number,
    /** the ring's length; immutable */
    readonly size: number,
    /** what io_setup asked for, counted against AIO_MAX_NR; immutable */
    readonly maxReqs: number,
    /** the address space the context belongs to (until its image ends: imageEnd); immutable */
    readonly mm: AddressSpace,
  ) {}
}

/** Each address space's contexts by ring address (mm->ioctx_table); guarded by the JS thread. */
const contexts = new WeakMap<AddressSpace, Map<number, AioContext>>();
/** aio_nr: the events the live contexts asked for together; guarded by the JS thread (io_setup, release). */
let aioNr = 0;

/** The table of t's address space; its contexts end with its image (exit_aio, at exec and at exit). */
function tableOf(t: Task): Map<number, AioContext> {
  const mm = t.mm;
  let m = contexts.get(mm);
  if (!m) {
    const table = (m = new Map());
    contexts.set(mm, table);
    mm.imageEnd.add(() => {
      for (const c of [...table.values()]) release(c);
      contexts.delete(mm);
    });
  }
  return m;
}

/** A context goes: its poll requests with it, its sleepers woken. */
function release(c: AioContext): void {
  if (c.dead) return;
  c.dead = true;
  aioNr -= c.maxReqs;
  contexts.get(c.mm)?.delete(c.userId);
  for (const p of [...c.polls]) dropPoll(c, p);
  c.wq.wake(POLLIN);
}

/** lookup_ioctx: the context whose ring is at id and still says its index there; null for EINVAL. */
function lookup(t: Task, id: number): AioContext | null {
  const c = tableOf(t).get(id);
  if (!c) return null;
  let ringId: number;
  try {
    ringId = ringRead(c, RING_ID);
  } catch (e) {
    if (e instanceof ErrnoError) return null;
    throw e;
  }
  return ringId === c.id ? c : null;
}

/** io_setup(2) */
export function sys_io_setup(t: Task, r: Regs): number {
  const nrEvents = r.getU32(A0), ctxp = r.get(A1);
  if (readU64(t, ctxp) !== 0 || nrEvents === 0) return -Errno.EINVAL;
  // ioctx_alloc: room for what percpu batching may hold back, doubled, and two more (aio_setup_ring)
  // (in 32 bits, as Linux's unsigned int: a doubling that wraps to 0 is EAGAIN)
  const asked = (Math.max(nrEvents, t.kernel.sched.ncpus * 4) * 2) >>> 0;
  if (asked > 0x10000000 / IO_EVENT_SIZE) return -Errno.EINVAL;
  if (asked === 0 || nrEvents > AIO_MAX_NR) return -Errno.EAGAIN;
  const size = Math.ceil((RING_HEADER + IO_EVENT_SIZE * (asked + 2)) / 4096) * 4096;
  const nr = (size - RING_HEADER) / IO_EVENT_SIZE;
  if (aioNr + nrEvents > AIO_MAX_NR) return -Errno.EAGAIN;
  const m = tableOf(t);
  let id = 0;
  const used = new Set([...m.values()].map((c) => c.id));
  while (used.has(id)) id++;
  let addr: number;
  try {
    addr = mapSharedAnon(t, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED, PROT_READ | PROT_WRITE | PROT_EXEC, '/[aio] (deleted)');
  } catch (e) {
    if (e instanceof ErrnoError) return -Errno.ENOMEM;
    throw e;
  }
  writeStruct(t, addr, RING_HEADER, (dv) => {
    dv.setUint32(RING_ID, id, true);
    dv.setUint32(RING_NR, nr, true);
    dv.setUint32(RING_MAGIC, AIO_RING_MAGIC, true);
    dv.setUint32(20, AIO_RING_COMPAT_FEATURES, true);
    dv.setUint32(28, RING_HEADER, true);
  });
  const c = new AioContext(addr, id, nr, size, nrEvents, t.mm);
  m.set(addr, c);
  aioNr += nrEvents;
  try {
    writeU64(t, ctxp, addr);
  } catch (e) {
    destroy(t, c);
    throw e;
  }
  return 0;
}

/** kill_ioctx: the context goes and its ring is unmapped. */
function destroy(t: Task, c: AioContext): void {
  release(c);
  t.mm.munmap(c.userId, c.size);
}

/** io_destroy(2) */
export function sys_io_destroy(t: Task, r: Regs): number {
  const c = lookup(t, r.get(A0));
  if (!c) return -Errno.EINVAL;
  destroy(t, c);
  return 0;
}

/** scratch for a ring word or event; used synchronously only */
const word = new DataView(new ArrayBuffer(4)), event = new DataView(new ArrayBuffer(IO_EVENT_SIZE));

/** A word of the ring, through the context's own address space (a completion may come while another process runs). */
function ringRead(c: AioContext, off: number): number {
  const b = c.mm.read(c.userId + off, 4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}
function ringWrite(c: AioContext, off: number, v: number): void {
  word.setUint32(0, v, true);
  c.mm.write(c.userId + off, new Uint8Array(word.buffer));
}

/** The ring's head as the process left it, taken modulo its size (Linux trusts no more of it). */
function ringHead(c: AioContext): number {
  return ringRead(c, RING_HEAD) % c.nr;
}

/**
 * aio_complete: the event into the ring at the tail, the eventfd told,
 * sleepers woken. A ring the process unmapped or made read-only loses the
 * event (Linux writes through its own mapping of the ring's pages).
 */
function complete(c: AioContext, obj: UserPtr, data: bigint, res: number, eventfd: EventFd | null): void {
  event.setBigUint64(0, data, true);
  event.setBigUint64(8, BigInt(obj), true);
  event.setBigInt64(16, BigInt(res), true);
  event.setBigInt64(24, 0n, true);
  try {
    c.mm.write(c.userId + RING_HEADER + c.tail * IO_EVENT_SIZE, new Uint8Array(event.buffer));
    c.tail = (c.tail + 1) % c.nr;
    ringWrite(c, RING_TAIL, c.tail);
  } catch (e) {
    if (!(e instanceof ErrnoError)) throw e;
  }
  eventfd?.signal();
  c.wq.wake(POLLIN);
}

/** The events in the ring not yet taken. */
function available(c: AioContext): number {
  return (c.tail - ringHead(c) + c.nr) % c.nr;
}

/** A read or write io_submit waits for (submitOne's WAITS): the file whose queue wakes it, and how it ends
 * when a signal comes first. */
interface Blocked {
  file: File | null;
  interrupted: () => void;
}
/** submitOne: the request has to wait (Blocked says for what) */
const WAITS = 1;

/** io_submit(2): how many were submitted, or the first one's error. A read or write that has to wait holds it
 * (its re-run goes on from that request: sc.state). */
export function sys_io_submit(t: Task, r: Regs): number {
  const ctxId = r.get(A0), iocbpp = r.get(A2);
  let nr = r.getS(A1);
  if (nr < 0) return -Errno.EINVAL;
  const c = lookup(t, ctxId);
  const resumed = t.sc.state as { done: number } | null;
  t.sc.state = null;
  t.sc.cleanup = null;
  if (!c) return resumed ? resumed.done : -Errno.EINVAL;
  if (nr > c.nr) nr = c.nr;
  let i = resumed?.done ?? 0, err = 0;
  const blocked: Blocked = { file: null, interrupted: () => {} };
  for (; i < nr; i++) {
    let iocb: number;
    try {
      iocb = readU64(t, iocbpp + i * 8);
    } catch (e) {
      if (!(e instanceof ErrnoError)) throw e;
      err = -e.errno;
      break;
    }
    err = submitOne(t, c, iocb, blocked);
    if (err === WAITS) {
      const done = i;
      t.sc.state = { done };
      t.sc.cleanup = () => {
        blocked.interrupted();
        return done + 1;
      };
      return t.sleepOn(blocked.file!.waitq!);
    }
    if (err !== 0) break;
  }
  return i > 0 ? i : err;
}

/** io_submit_one: 0 once the request is done or waits (its event carries its result), WAITS for a read or write
 * that has to wait (`blocked` says for what), else the error. */
function submitOne(t: Task, c: AioContext, user: UserPtr, blocked: Blocked): number {
  let dv: DataView;
  try {
    dv = readStruct(t, user, IOCB_SIZE);
  } catch (e) {
    if (e instanceof ErrnoError) return -e.errno;
    throw e;
  }
  const data = dv.getBigUint64(IOCB_DATA, true), rwFlags = dv.getInt32(IOCB_RW_FLAGS, true);
  const opcode = dv.getUint16(IOCB_OPCODE, true), reqprio = dv.getInt16(IOCB_REQPRIO, true);
  const fd = dv.getInt32(IOCB_FILDES, true), buf = Number(dv.getBigUint64(IOCB_BUF, true));
  const nbytes = dv.getBigUint64(IOCB_NBYTES, true), offset = dv.getBigInt64(IOCB_OFFSET, true);
  const flags = dv.getUint32(IOCB_FLAGS, true), resfd = dv.getInt32(IOCB_RESFD, true);
  if (dv.getBigUint64(IOCB_RESERVED2, true) !== 0n) return -Errno.EINVAL;
  if (nbytes >= 1n << 63n) return -Errno.EINVAL; // (ssize_t)aio_nbytes < 0
  // aio_get_req: a slot in the ring for the event (reqs_available)
  if (available(c) + c.polls.size >= c.nr - 1) return -Errno.EAGAIN;
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  let eventfd: EventFd | null = null;
  if (flags & IOCB_FLAG_RESFD) {
    const e = fileOf(t, resfd);
    if (typeof e === 'number') return e;
    if (!(e instanceof EventFd)) return -Errno.EINVAL;
    eventfd = e;
  }
  try {
    writeU32(t, user + IOCB_KEY, KIOCB_KEY);
  } catch (e) {
    if (e instanceof ErrnoError) return -e.errno;
    throw e;
  }
  try {
    switch (opcode) {
      case IOCB_CMD_PREAD:
      case IOCB_CMD_PWRITE:
      case IOCB_CMD_PREADV:
      case IOCB_CMD_PWRITEV: {
        const write = opcode === IOCB_CMD_PWRITE || opcode === IOCB_CMD_PWRITEV;
        const vectored = opcode === IOCB_CMD_PREADV || opcode === IOCB_CMD_PWRITEV;
        // aio_prep_rw: the request's priority, its flags; then the access mode, the buffers, the position
        if (flags & IOCB_FLAG_IOPRIO) {
          const e = checkCap(t, reqprio & 0xffff);
          if (e < 0) return e;
        }
        // kiocb_set_rw_flags (RWF_NOWAIT changes nothing: nothing here waits)
        if (rwFlags & ~RWF_KNOWN) return -Errno.EOPNOTSUPP;
        if (!(write ? f.writable : f.readable)) return -Errno.EBADF;
        const v: Iovecs = vectored ? readIovecs(t, buf, Number(nbytes)) : userBuf(buf, Number(nbytes));
        if (offset < 0n && f.canPread) return -Errno.EINVAL; // rw_verify_area
        const n = transferNow(t, f, write, v, f.canPread ? Number(offset) : null, vectored, rwFlags);
        // a blocking file's read_iter/write_iter waits (IOCB_NOWAIT: RWF_NOWAIT only)
        if (n === -Errno.EAGAIN && !(f.flags & O_NONBLOCK) && !(rwFlags & RWF_NOWAIT) && f.waitq !== null) {
          blocked.file = f;
          blocked.interrupted = () => complete(c, user, data, -Errno.EINTR, eventfd);
          return WAITS;
        }
        complete(c, user, data, n, eventfd);
        return 0;
      }
      case IOCB_CMD_FSYNC:
      case IOCB_CMD_FDSYNC:
        if (buf !== 0 || offset !== 0n || nbytes !== 0n || rwFlags !== 0) return -Errno.EINVAL;
        complete(c, user, data, f.fsync(), eventfd);
        return 0;
      case IOCB_CMD_POLL:
        if (buf > 0xffff) return -Errno.EINVAL; // an event outside the poll mask
        if (offset !== 0n || nbytes !== 0n || rwFlags !== 0) return -Errno.EINVAL;
        submitPoll(c, user, data, f, buf | POLLERR | POLLHUP, eventfd);
        return 0;
      default:
        return -Errno.EINVAL;
    }
  } catch (e) {
    if (e instanceof ErrnoError) return -e.errno;
    throw e;
  }
}

/**
 * A read or write done now (aio_read/aio_write's read_iter/write_iter): its
 * result for the event. It never sleeps: what would wait is EAGAIN (the
 * caller waits for a blocking file).
 * RWF_APPEND/RWF_NOAPPEND set or clear O_APPEND for this write only (an
 * appending write ignores the offset); RWF_DSYNC/RWF_SYNC write through.
 */
function transferNow(t: Task, f: File, write: boolean, v: Iovecs, pos: number | null, vectored: boolean, rwFlags: number): number {
  const saved = f.flags, keep = f.pos;
  f.flags |= O_NONBLOCK;
  if (write && rwFlags & RWF_APPEND) f.flags |= O_APPEND;
  if (write && rwFlags & RWF_NOAPPEND) f.flags &= ~O_APPEND;
  let n: number;
  try {
    n = fileTransfer(t, f, write, v, write && f.flags & O_APPEND ? null : pos, vectored);
  } catch (e) {
    if (e instanceof ErrnoError) return -e.errno;
    throw e;
  } finally {
    f.flags = (f.flags & ~(O_NONBLOCK | O_APPEND)) | (saved & (O_NONBLOCK | O_APPEND));
    // (an AIO request never moves the file position, an appending one included)
    if (pos !== null) f.pos = keep;
  }
  if (n > 0 && write && rwFlags & (RWF_DSYNC | RWF_SYNC)) f.fsync();
  return n;
}

/** aio_poll: the file's ready events now, or a wait on its queue that completes the request when they come. */
function submitPoll(c: AioContext, obj: UserPtr, data: bigint, f: File, events: number, eventfd: EventFd | null): void {
  const mask = f.poll() & events;
  const wq = f.waitq;
  if (mask !== 0 || wq === null) {
    complete(c, obj, data, mask !== 0 ? mask : f.poll() & events, eventfd);
    return;
  }
  const req: PollReq = {
    obj, data, file: f, events, eventfd,
    // aio_poll_wake: a wake that names events completes with them as named (not masked: a pipe's POLLIN comes
    // with POLLRDNORM), unless none is wanted; a plain wake asks the file
    // (a context that went, by io_destroy, exec or exit, took its requests off their queues: release)
    waiter: (key: number) => {
      if (key !== 0 && !(key & events)) return;
      const now = key !== 0 ? key : f.poll() & events;
      if (now === 0) return;
      dropPoll(c, req);
      complete(c, obj, data, now, eventfd);
    },
  };
  // (the request holds its file open, as its fget does, until it completes or is cancelled)
  f.get();
  c.polls.add(req);
  wq.add(req.waiter);
}

/** A poll request leaves its context: off its file's queue, its hold on the file let go. */
function dropPoll(c: AioContext, p: PollReq): void {
  if (!c.polls.delete(p)) return;
  p.file.waitq?.remove(p.waiter);
  p.file.put();
}

/** io_cancel(2): only a waiting poll request can be cancelled (EINPROGRESS: its event says 0); others EINVAL. */
export function sys_io_cancel(t: Task, r: Regs): number {
  const ctxId = r.get(A0), iocb = r.get(A1);
  if (readU32(t, iocb + IOCB_KEY) !== KIOCB_KEY) return -Errno.EINVAL;
  const c = lookup(t, ctxId);
  if (!c) return -Errno.EINVAL;
  for (const p of c.polls) {
    if (p.obj !== iocb) continue;
    dropPoll(c, p);
    complete(c, p.obj, p.data, 0, p.eventfd);
    return -Errno.EINPROGRESS;
  }
  return -Errno.EINVAL;
}

/** An io_getevents under way: its context, where the events go, how many it has and wants. */
class GetEventsCall {
  got = 0;
  constructor(readonly wait: MultiWait, readonly c: AioContext, readonly minNr: number, readonly nr: number,
    readonly events: UserPtr) {}
}

/** aio_read_events: move what the ring holds (up to what is still wanted) to the caller's array. */
function takeEvents(t: Task, st: GetEventsCall): void {
  const c = st.c;
  let head = ringHead(c);
  while (st.got < st.nr && head !== c.tail) {
    const chunk = Math.min(st.nr - st.got, (c.tail > head ? c.tail : c.nr) - head);
    copyOut(t, st.events + st.got * IO_EVENT_SIZE, copyIn(t, c.userId + RING_HEADER + head * IO_EVENT_SIZE, chunk * IO_EVENT_SIZE));
    st.got += chunk;
    head = (head + chunk) % c.nr;
    ringWrite(c, RING_HEAD, head);
  }
}

/** One pass of read_events: done once min_nr events are taken, the timeout passed, or a signal came. */
function runGetEvents(t: Task, st: GetEventsCall): number {
  const w = st.wait;
  return runPass(w, () => {
    w.unwatch();
    if (st.c.dead) return st.got > 0 ? st.got : -Errno.EINVAL;
    try {
      takeEvents(t, st);
    } catch (e) {
      if (!(e instanceof ErrnoError)) throw e;
      return st.got > 0 ? st.got : -e.errno;
    }
    if (st.got >= st.minNr || w.expired) return st.got;
    if (t.kernel.hasDeliverable(t)) return st.got > 0 ? st.got : -Errno.EINTR;
    w.watch(st.c.wq);
    // a signal ends the wait with what it has (read_events returns it; EINTR only for none)
    return w.sleep(() => (st.got > 0 ? st.got : undefined));
  });
}

/** do_io_getevents, after the timeout was read: deadline monotonic ns (0n: at once, null: none). */
function startGetEvents(t: Task, ctxId: number, minNr: number, nr: number, events: UserPtr, deadline: bigint | null): number {
  const c = lookup(t, ctxId);
  if (!c || minNr > nr || minNr < 0 || nr < 0) return -Errno.EINVAL;
  const st = new GetEventsCall(new MultiWait(t, deadline), c, minNr, nr, events);
  t.sc.state = st;
  return runGetEvents(t, st);
}

/** The timeout of io_getevents (a relative struct timespec, not checked: timespec64_to_ktime), as a deadline. */
function getEventsDeadline(t: Task, addr: UserPtr): bigint | null {
  if (!addr) return null;
  const dv = readStruct(t, addr, 16);
  const ns = dv.getBigInt64(0, true) * 1_000_000_000n + dv.getBigInt64(8, true);
  return ns <= 0n ? 0n : monotonicNs() + ns;
}

/** io_getevents(2) */
export function sys_io_getevents(t: Task, r: Regs): number {
  const st = t.sc.state;
  if (st instanceof GetEventsCall) return runGetEvents(t, st);
  const deadline = getEventsDeadline(t, r.get(A4));
  return startGetEvents(t, r.get(A0), r.getS(A1), r.getS(A2), r.get(A3), deadline);
}

/** io_pgetevents(2): io_getevents with a signal mask for its wait (struct __aio_sigset). */
export function sys_io_pgetevents(t: Task, r: Regs): number {
  const st = t.sc.state;
  if (st instanceof GetEventsCall) return runGetEvents(t, st);
  const deadline = getEventsDeadline(t, r.get(A4));
  const usig = r.get(A5);
  if (usig) {
    const dv = readStruct(t, usig, AIO_SIGSET_SIZE);
    const mask = readSigmask(t, Number(dv.getBigUint64(0, true)), Number(dv.getBigUint64(8, true)));
    if (mask) t.kernel.setTempSigmask(t, mask[0], mask[1]);
  }
  return startGetEvents(t, r.get(A0), r.getS(A1), r.getS(A2), r.get(A3), deadline);
}
