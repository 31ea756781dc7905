/**
 * Moving data between files inside the kernel (fs/splice.c and
 * do_sendfile): sendfile, splice, tee, vmsplice.
 *
 * Linux moves pipe buffers; umlts copies through the scratch buffer of
 * read_write.ts, chunk by chunk, and gives back what the destination did
 * not take, so no byte is lost whatever the source: a file's position is
 * moved back, a pipe (Pipe.unread) and a stream socket (Socket.unrecv) get
 * the bytes back in front. Pipe to pipe moves and tee duplicate buffers
 * (Pipe.moveTo, Pipe.linkTo).
 *
 * Sources and sinks as Linux allows them: sendfile reads anything with a
 * splice_read (files, sockets, devices; a pipe: EINVAL), and a seekable
 * one unless it writes into a pipe (splice_file_to_pipe); splice needs a
 * pipe on one side at least; tee, pipes on both.
 *
 * Blocking, as Linux: a call waits only while it has moved nothing, except
 * that sendfile into a blocking non-pipe destination goes on until all of
 * it is written (do_splice_direct's actor blocks): that wait keeps what was
 * moved in the syscall's state, and a signal ends it with that count.
 */
import { Errno } from '../abi/errno.js';
import { IN_ACCESS, IN_MODIFY } from '../abi/inotify.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4, A5 } from './types.js';
import { File } from '../fs/file.js';
import { S_IFMT, S_IFREG, S_IFDIR, O_APPEND, O_NONBLOCK } from '../fs/types.js';
import { PipeEnd } from '../fs/pipe.js';
import { Socket } from '../net/socket.js';
import { fileOf } from './fd.js';
import { CHUNK, scratch, fsizeLimit, fileTransfer, SIGPIPE, SIGXFSZ } from './read_write.js';
import { readI64, writeU64, readIovecs, MAX_RW_COUNT, UIO_MAXIOV, UserPtr } from './uaccess.js';

export const SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2, SPLICE_F_MORE = 4, SPLICE_F_GIFT = 8;
const SPLICE_F_ALL = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;

/** The file is seekable (FMODE_PREAD: positioned reads and writes make sense). */
function seekable(f: File): boolean {
  return f.canPread;
}

/** A regular file (the only kind RLIMIT_FSIZE and s_maxbytes apply to). */
function regular(f: File): boolean {
  const st = f.stat();
  return typeof st !== 'number' && (st.mode & S_IFMT) === S_IFREG;
}

/** Give back the n bytes at the end of what was read from src that the sink did not take. */
function giveBack(src: File, pos: number | null, tail: Uint8Array): void {
  if (tail.length === 0) return;
  if (src instanceof PipeEnd) src.unread(tail);
  else if (src instanceof Socket) src.unrecv(tail);
  else if (pos === null) src.pos -= tail.length;
}

/** What a pump did: bytes moved, and why it stopped short (-EAGAIN: a side would block; other -errno). */
interface Pumped {
  done: number;
  err: number;
  /** the side that would block, when err is -EAGAIN */
  blocked: File | null;
}

/**
 * Copy up to count bytes from src (at srcPos, or its own position when
 * null) to dst (likewise), chunk by chunk; what dst did not take goes back
 * to src. Stops at EOF, a short read, a short write, or an error.
 */
function pump(t: Task, src: File, srcPos: number | null, dst: File, dstPos: number | null, count: number): Pumped {
  const p = pumpChunks(t, src, srcPos, dst, dstPos, count);
  if (p.done > 0) {
    // do_splice's (and do_splice_direct's) fsnotify_access of the source, fsnotify_modify of the destination
    t.kernel.vfs.notifyFile(src, IN_ACCESS);
    t.kernel.vfs.notifyFile(dst, IN_MODIFY);
  }
  return p;
}

function pumpChunks(t: Task, src: File, srcPos: number | null, dst: File, dstPos: number | null, count: number): Pumped {
  let done = 0;
  while (done < count) {
    const want = Math.min(count - done, CHUNK);
    const n = src.read(scratch.subarray(0, want), srcPos === null ? null : srcPos + done);
    if (n < 0) return { done, err: n, blocked: n === -Errno.EAGAIN ? src : null };
    if (n === 0) break;
    let w = 0, err = 0;
    while (w < n) {
      const k = dst.write(scratch.subarray(w, n), dstPos === null ? null : dstPos + done + w);
      if (k <= 0) {
        err = k;
        break;
      }
      w += k;
    }
    giveBack(src, srcPos, scratch.subarray(w, n));
    done += w;
    if (err < 0) {
      if (err === -Errno.EPIPE) t.kernel.signalTask(t, SIGPIPE);
      return { done, err, blocked: err === -Errno.EAGAIN ? dst : null };
    }
    if (w < n || n < want) break;
  }
  return { done, err: 0, blocked: null };
}

/** sendfile(2)'s progress while it waits for room in a blocking destination. */
interface SendfileState {
  done: number;
}

/** sendfile(2) */
export function sys_sendfile(t: Task, r: Regs): number {
  const outFd = r.getI32(A0), inFd = r.getI32(A1), offp = r.get(A2);
  let count = r.get(A3);
  // do_sendfile's order of checks
  const inF = fileOf(t, inFd);
  if (typeof inF === 'number') return inF;
  if (!inF.readable) return -Errno.EBADF;
  let pos: number | null = null;
  if (offp !== 0) {
    pos = readI64(t, offp); // loff_t
    if (!seekable(inF)) return -Errno.ESPIPE;
    if (pos < 0) return -Errno.EINVAL;
  }
  if (count > MAX_RW_COUNT) count = MAX_RW_COUNT;
  const outF = fileOf(t, outFd);
  if (typeof outF === 'number') return outF;
  if (!outF.writable) return -Errno.EBADF;
  // a pipe has no splice_read: it cannot be sendfile's source
  if (inF instanceof PipeEnd) return -Errno.EINVAL;
  const ist = inF.stat();
  if (typeof ist !== 'number' && (ist.mode & S_IFMT) === S_IFDIR) return -Errno.EINVAL;
  const toPipe = outF instanceof PipeEnd;
  // do_splice_direct needs a seekable source (a socket's bytes could be dropped); into a pipe anything splices
  if (!toPipe && !seekable(inF)) return -Errno.EINVAL;
  if (!toPipe && outF.flags & O_APPEND) return -Errno.EINVAL;
  let cut = false;
  if (!toPipe && regular(outF)) {
    const lim = fsizeLimit(t, outF, null, count);
    if (lim < 0) return lim;
    cut = lim < count;
    count = lim;
  }
  const st = t.sc.state as SendfileState | null;
  const before = st?.done ?? 0;
  const p = pump(t, inF, pos === null ? null : pos + before, outF, null, count - before);
  const done = before + p.done;
  // the splice actor writes on after the limit and meets it (SIGXFSZ), though it returns what it wrote
  if (cut && done === count && count > 0) t.kernel.signalProcess(t.tg, SIGXFSZ);
  const finish = (ret: number): number => {
    if (offp !== 0) writeU64(t, offp, pos! + done);
    return ret;
  };
  if (p.err === -Errno.EAGAIN && p.blocked) {
    const blocking = !(p.blocked.flags & O_NONBLOCK) && p.blocked.waitq !== null;
    // nothing moved yet: wait for either side; something moved: only a blocking
    // non-pipe destination is waited on (the actor finishes its write)
    if (blocking && (done === 0 || (p.blocked === outF && !toPipe))) {
      if (done > 0) {
        t.sc.state = { done } satisfies SendfileState;
        t.sc.cleanup = () => finish(done);
      }
      return t.sleepOn(p.blocked.waitq!);
    }
  }
  if (done > 0) return finish(done);
  return finish(p.err);
}

/** The checks of splice's positioned side: a seekable file and a valid offset (-ESPIPE, -EINVAL). */
function splicePos(t: Task, f: File, offp: UserPtr): number {
  const pos = readI64(t, offp);
  if (!seekable(f)) return -Errno.EINVAL;
  if (pos < 0) return -Errno.EINVAL;
  return pos;
}

/** splice(2): at least one side a pipe; the other's offset, if given, is read and written back. */
export function sys_splice(t: Task, r: Regs): number {
  const fdIn = r.getI32(A0), offInP = r.get(A1), fdOut = r.getI32(A2), offOutP = r.get(A3), flags = r.getU32(A5);
  let len = r.get(A4);
  if (flags & ~SPLICE_F_ALL) return -Errno.EINVAL;
  if (len === 0) return 0;
  if (len > MAX_RW_COUNT) len = MAX_RW_COUNT;
  const inF = fileOf(t, fdIn);
  if (typeof inF === 'number') return inF;
  const outF = fileOf(t, fdOut);
  if (typeof outF === 'number') return outF;
  const ipipe = inF instanceof PipeEnd ? inF : null, opipe = outF instanceof PipeEnd ? outF : null;
  if (ipipe && offInP) return -Errno.ESPIPE;
  if (opipe && offOutP) return -Errno.ESPIPE;
  if (!inF.readable || !outF.writable) return -Errno.EBADF;
  let nonblock = (flags & SPLICE_F_NONBLOCK) !== 0;

  if (ipipe && opipe) {
    if (ipipe.pipe === opipe.pipe) return -Errno.EINVAL;
    nonblock ||= (inF.flags & O_NONBLOCK) !== 0 || (outF.flags & O_NONBLOCK) !== 0;
    const n = ipipe.pipe.moveTo(opipe.pipe, len);
    if (n >= 0) return n;
    if (n === -Errno.EPIPE) {
      t.kernel.signalTask(t, SIGPIPE);
      return n;
    }
    // empty input: EOF without writers; full output: wait
    if (ipipe.pipe.empty) {
      if (ipipe.pipe.writers === 0) return 0;
      return nonblock ? -Errno.EAGAIN : t.sleepOn(ipipe.waitq);
    }
    return nonblock ? -Errno.EAGAIN : t.sleepOn(opipe.waitq);
  }

  if (ipipe) {
    // pipe to file or socket (do_splice_from)
    let pos: number | null = null;
    if (offOutP) {
      pos = splicePos(t, outF, offOutP);
      if (pos < 0) return pos;
    }
    if (outF.flags & O_APPEND) return -Errno.EINVAL;
    if (inF.flags & O_NONBLOCK) nonblock = true;
    let cut = false;
    if (regular(outF)) {
      const lim = fsizeLimit(t, outF, pos, len);
      if (lim < 0) return lim;
      cut = lim < Math.min(len, ipipe.pipe.size);
      len = lim;
    }
    if (ipipe.pipe.empty) {
      if (ipipe.pipe.writers === 0) return 0;
      return nonblock ? -Errno.EAGAIN : t.sleepOn(ipipe.waitq);
    }
    const want = Math.min(len, ipipe.pipe.size);
    const p = pump(t, inF, null, outF, pos, want);
    // iter_file_splice_write writes on after the limit and meets it (SIGXFSZ), though it returns what it wrote
    if (cut && p.done === want) t.kernel.signalProcess(t.tg, SIGXFSZ);
    if (p.done > 0) {
      if (offOutP) writeU64(t, offOutP, pos! + p.done);
      return p.done;
    }
    if (p.err === -Errno.EAGAIN && !nonblock && !(outF.flags & O_NONBLOCK) && outF.waitq) return t.sleepOn(outF.waitq);
    return p.err;
  }

  if (opipe) {
    // file or socket to pipe (splice_file_to_pipe): room first, then one read
    let pos: number | null = null;
    if (offInP) {
      pos = splicePos(t, inF, offInP);
      if (pos < 0) return pos;
    }
    if (outF.flags & O_NONBLOCK) nonblock = true;
    const pipe = opipe.pipe;
    if (pipe.readers === 0) {
      t.kernel.signalTask(t, SIGPIPE);
      return -Errno.EPIPE;
    }
    if (pipe.full) return nonblock ? -Errno.EAGAIN : t.sleepOn(opipe.waitq);
    const room = pipe.capacity - pipe.size;
    const p = pump(t, inF, pos, outF, null, Math.min(len, room));
    if (p.done > 0) {
      if (offInP) writeU64(t, offInP, pos! + p.done);
      return p.done;
    }
    if (p.err === -Errno.EAGAIN && p.blocked === inF && !nonblock && !(inF.flags & O_NONBLOCK) && inF.waitq) return t.sleepOn(inF.waitq);
    return p.err;
  }
  return -Errno.EINVAL;
}

/** tee(2): duplicate up to len bytes from one pipe into another, consuming none. */
export function sys_tee(t: Task, r: Regs): number {
  const fdIn = r.getI32(A0), fdOut = r.getI32(A1), flags = r.getU32(A3);
  let len = r.get(A2);
  if (flags & ~SPLICE_F_ALL) return -Errno.EINVAL;
  if (len === 0) return 0;
  if (len > MAX_RW_COUNT) len = MAX_RW_COUNT;
  const inF = fileOf(t, fdIn);
  if (typeof inF === 'number') return inF;
  const outF = fileOf(t, fdOut);
  if (typeof outF === 'number') return outF;
  if (!inF.readable || !outF.writable) return -Errno.EBADF;
  if (!(inF instanceof PipeEnd) || !(outF instanceof PipeEnd)) return -Errno.EINVAL;
  if (inF.pipe === outF.pipe) return -Errno.EINVAL;
  const nonblock = (flags & SPLICE_F_NONBLOCK) !== 0 || (inF.flags & O_NONBLOCK) !== 0 || (outF.flags & O_NONBLOCK) !== 0;
  const ip = inF.pipe, op = outF.pipe;
  // ipipe_prep: data, EOF, or wait
  if (ip.empty) {
    if (ip.writers === 0) return 0;
    return nonblock ? -Errno.EAGAIN : t.sleepOn(inF.waitq);
  }
  // opipe_prep: a reader and room, or wait
  if (op.readers === 0) {
    t.kernel.signalTask(t, SIGPIPE);
    return -Errno.EPIPE;
  }
  if (op.full) return nonblock ? -Errno.EAGAIN : t.sleepOn(outF.waitq);
  return ip.linkTo(op, len);
}

/**
 * vmsplice(2): the guest's buffers into a pipe it may write (vmsplice_to_pipe), or out of one it may read
 * (vmsplice_to_user), chosen by the fd's access mode. Copied, not mapped (SPLICE_F_GIFT is a hint). Either
 * way the call waits only while it can move nothing, and only the flag's SPLICE_F_NONBLOCK makes it not wait
 * (wait_for_space, splice_from_pipe_next: the pipe's own O_NONBLOCK does not count); then it moves what fits
 * or what is there.
 */
export function sys_vmsplice(t: Task, r: Regs): number {
  const fd = r.getI32(A0), iovp = r.get(A1), nr = r.get(A2), flags = r.getU32(A3);
  if (flags & ~SPLICE_F_ALL) return -Errno.EINVAL;
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  // vmsplice_type: a writable fd gets the data, else a readable one gives it
  const write = f.writable;
  if (!write && !f.readable) return -Errno.EBADF;
  if (nr > UIO_MAXIOV) return -Errno.EINVAL;
  const v = readIovecs(t, iovp, nr);
  if (v.total === 0) return 0;
  if (!(f instanceof PipeEnd)) return -Errno.EBADF;
  const saved = f.flags;
  f.flags |= O_NONBLOCK;
  let n: number;
  try {
    n = fileTransfer(t, f, write, v, null, true);
  } finally {
    f.flags = saved;
  }
  if (n === -Errno.EAGAIN && !(flags & SPLICE_F_NONBLOCK)) return t.sleepOn(f.waitq!);
  return n;
}
