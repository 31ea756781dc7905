/**
 * User access: every read and write of guest memory a syscall handler makes
 * goes through here (include/linux/uaccess.h, and the decoders Linux builds
 * on it: getname in fs/namei.c, import_iovec in lib/iov_iter.c,
 * get_timespec64 in kernel/time/time.c, set_user_sigmask in
 * kernel/signal.c). Handlers never touch t.mm's copy routines themselves, so
 * each layout and each check below is written once.
 *
 * Errors are Linux's, thrown as ErrnoError (the dispatcher returns -errno):
 * - EFAULT for memory the guest itself could not access (thrown by the mm,
 *   as copy_from_user/copy_to_user fail) and for a NULL path;
 * - ENAMETOOLONG for a path of PATH_MAX bytes or more (the NUL counts);
 * - EINVAL for a timespec/timeval out of range, a sigset size other than
 *   sizeof(sigset_t), an iovec count past UIO_MAXIOV or a segment length
 *   with the sign bit set.
 * A handler that must act before the error reaches the guest (give back
 * bytes it consumed, ignore a fault on a best-effort write-back) catches
 * ErrnoError itself.
 *
 * Layouts are x86-64's (include/uapi/linux/time_types.h, uio.h,
 * asm-generic/signal.h, asm-generic/siginfo.h).
 *
 * Scratch buffers below are filled and copied within one call, never across
 * a sleep or an await, so one per kernel thread (the JS thread) is enough.
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { SigInfo, encodeSiginfo } from '../abi/signal.js';
import { NSEC_PER_SEC, NSEC_PER_USEC, USEC_PER_SEC, timespecValid, timevalValid, getTimespecAt, getTimevalAt, nsToTimespec, putTimespec, putTimeval } from '../abi/time.js';
import type { Timespec, Timeval } from '../abi/time.js';
import { RUSAGE_SIZE, RU_UTIME, RU_MAXRSS } from '../abi/resource.js';
export { NSEC_PER_SEC, NSEC_PER_USEC, USEC_PER_SEC, timespecValid, timevalValid, getTimespecAt, getTimevalAt, nsToTimespec, putTimespec, putTimeval };
export type { Timespec, Timeval };
import { getSigset, putSigset, SIGSET_SIZE, SIGINFO_SIZE } from '../abi/signal.js';
import type { Sigset } from '../abi/signal.js';
export { getSigset, putSigset, SIGSET_SIZE, SIGINFO_SIZE };
export type { Sigset };

import { PATH_MAX } from '../fs/vfs.js';
import { TASK_SIZE_MAX } from '../abi/limits.js';
import { PAGE_SIZE } from '../abi/mman.js';

/** A guest virtual address as a syscall argument carries it (0 is NULL). */
export type UserPtr = number;

// ---- raw copies (copy_from_user, copy_to_user, clear_user) -----------------------------

/** copy_from_user into a new buffer. */
export function copyIn(t: Task, addr: UserPtr, len: number): Uint8Array {
  return t.mm.read(addr, len);
}

/** copy_from_user into dst[at .. at+len). */
export function copyInto(t: Task, addr: UserPtr, dst: Uint8Array, at = 0, len = dst.length - at): void {
  t.mm.readInto(addr, dst, at, len);
}

/** copy_to_user of src[at .. at+len). */
export function copyOut(t: Task, addr: UserPtr, src: Uint8Array, at = 0, len = src.length - at): void {
  t.mm.write(addr, src, at, len);
}

/**
 * copy_struct_from_user: a struct the caller says is usize bytes into a
 * zeroed ksize-byte buffer. A caller's larger struct must be zero past what
 * the kernel knows (E2BIG otherwise); a smaller one leaves the rest zero.
 */
export function copyStructFromUser(t: Task, addr: UserPtr, usize: number, ksize: number): Uint8Array | number {
  const out = new Uint8Array(ksize);
  if (usize > ksize) {
    const tail = t.mm.read(addr + ksize, usize - ksize);
    for (let i = 0; i < tail.length; i++) if (tail[i] !== 0) return -Errno.E2BIG;
  }
  t.mm.readInto(addr, out, 0, Math.min(usize, ksize));
  return out;
}

/** immutable: all zeros */
const zeros = new Uint8Array(256);

/** clear_user: len zero bytes at addr. */
export function clearUser(t: Task, addr: UserPtr, len: number): void {
  for (let done = 0; done < len;) {
    const n = Math.min(len - done, zeros.length);
    t.mm.write(addr + done, zeros, 0, n);
    done += n;
  }
}

// ---- scalars (get_user, put_user) ------------------------------------------------------

/** get_user of a u32. */
export function readU32(t: Task, addr: UserPtr): number {
  return t.mm.readU32(addr);
}
/** get_user of an s32. */
export function readI32(t: Task, addr: UserPtr): number {
  return t.mm.readI32(addr);
}
/** get_user of an s64 (exact to 2^53). */
export function readI64(t: Task, addr: UserPtr): number {
  return t.mm.readI64(addr);
}
/** get_user of a u64 (exact to 2^53). */
export function readU64(t: Task, addr: UserPtr): number {
  return t.mm.readU64(addr);
}
/** put_user of a u32. */
export function writeU32(t: Task, addr: UserPtr, v: number): void {
  t.mm.writeU32(addr, v);
}
/** put_user of a u64 (a non-negative number). */
export function writeU64(t: Task, addr: UserPtr, v: number): void {
  t.mm.writeU64(addr, v);
}

/** A u64 field of a struct being encoded, from a non-negative number (abi/stat.ts). */
export { putU64 } from '../abi/stat.js';

// ---- structs ------------------------------------------------------------------------------

/** Copy a struct of size bytes in, for decoding; the copy is the caller's. */
export function readStruct(t: Task, addr: UserPtr, size: number): DataView {
  const b = t.mm.read(addr, size);
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** writeStruct's encoding buffer (see the file comment) */
const structBuf = new Uint8Array(512);
const structView = new DataView(structBuf.buffer);

/**
 * Encode a struct of size bytes with fill (into a zeroed buffer) and copy it
 * out. fill only encodes: it must not touch guest memory itself.
 */
export function writeStruct(t: Task, addr: UserPtr, size: number, fill: (dv: DataView) => void): void {
  if (size > structBuf.length) {
    const b = new Uint8Array(size);
    fill(new DataView(b.buffer));
    t.mm.write(addr, b);
    return;
  }
  structBuf.fill(0, 0, size);
  fill(structView);
  t.mm.write(addr, structBuf, 0, size);
}

// ---- strings ------------------------------------------------------------------------------

/** strncpy_from_user: a NUL-terminated UTF-8 string of at most max bytes before the NUL (ENAMETOOLONG past it). */
export function readCString(t: Task, addr: UserPtr, max: number): string {
  return t.mm.readCString(addr, max);
}

/** getname: a path argument. EFAULT for NULL; ENAMETOOLONG at PATH_MAX bytes (the NUL counts). */
export function readPath(t: Task, addr: UserPtr): string {
  if (addr === 0) throw new ErrnoError(Errno.EFAULT);
  return t.mm.readCString(addr, PATH_MAX - 1);
}

/** A NULL-terminated array of string pointers (execve's argv, envp); E2BIG past maxTotal bytes in all. */
export function readStringArray(t: Task, addr: UserPtr, maxTotal: number): string[] {
  return t.mm.readStringArray(addr, maxTotal);
}

// ---- iovecs (struct iovec { void *iov_base; size_t iov_len; }) --------------------------------

/** MAX_RW_COUNT: Linux caps one transfer at INT_MAX rounded down to a page. */
export const MAX_RW_COUNT = 0x7ffff000;
/** UIO_MAXIOV: the most segments one call takes */
export const UIO_MAXIOV = 1024;
const IOVEC_SIZE = 16;

/** An iovec array, flat: [base, len, base, len...] (empty segments left out), and its total length. */
export interface Iovecs {
  iov: number[];
  total: number;
}

/** access_ok: the range lies below the end of user space (what it maps is the copy's business). */
function accessOk(addr: number, len: number): boolean {
  return addr + len <= TASK_SIZE_MAX;
}

/**
 * import_iovec (rw_copy_check_uvector): EINVAL for a count below 0 or past
 * UIO_MAXIOV, or any length that is negative as an ssize_t; then EFAULT
 * for any segment reaching past user space (access_ok), before anything
 * moves; the total is clamped to MAX_RW_COUNT (the last segments shortened).
 * checkAccess false: iovec_from_user alone, for segments of another address
 * space (process_vm's remote ones: their faults are found as they are copied).
 */
export function readIovecs(t: Task, addr: UserPtr, count: number, checkAccess = true): Iovecs {
  if (count < 0 || count > UIO_MAXIOV) throw new ErrnoError(Errno.EINVAL);
  if (count === 0) return { iov: [], total: 0 };
  const dv = readStruct(t, addr, count * IOVEC_SIZE);
  for (let i = 0; i < count; i++) if (dv.getUint32(i * IOVEC_SIZE + 12, true) & 0x80000000) throw new ErrnoError(Errno.EINVAL); // ssize_t overflow
  const iov: number[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const o = i * IOVEC_SIZE;
    const base = dv.getUint32(o + 4, true) * 0x100000000 + dv.getUint32(o, true);
    let len = dv.getUint32(o + 12, true) * 0x100000000 + dv.getUint32(o + 8, true);
    if (checkAccess && !accessOk(base, len)) throw new ErrnoError(Errno.EFAULT);
    if (len > MAX_RW_COUNT - total) len = MAX_RW_COUNT - total;
    if (len > 0) iov.push(base, len);
    total += len;
  }
  return { iov, total };
}

/** import_ubuf: one buffer as an iovec array (read, write, pread64, pwrite64): clamped to MAX_RW_COUNT, then
 * EFAULT past user space before anything moves. */
export function userBuf(addr: UserPtr, len: number): Iovecs {
  if (len > MAX_RW_COUNT) len = MAX_RW_COUNT;
  if (!accessOk(addr, len)) throw new ErrnoError(Errno.EFAULT);
  return { iov: [addr, len], total: len };
}

/** The bytes of [addr, addr+n) that copy between guest memory and buf, a page at a time, before the first page
 * that faults: how many. */
function copyPrefix(t: Task, addr: number, buf: Uint8Array, at: number, n: number, toUser: boolean): number {
  let done = 0;
  try {
    while (done < n) {
      const c = Math.min(n - done, PAGE_SIZE - ((addr + done) % PAGE_SIZE));
      if (toUser) t.mm.write(addr + done, buf, at + done, c);
      else t.mm.readInto(addr + done, buf, at + done, c);
      done += c;
    }
  } catch {
    // the faulting page: the copy ends before it
  }
  return done;
}

/** copy_to_user of buf at addr, as far as the guest's pages take it: the bytes copied (0: the first page
 * faulted). */
export function copyOutPartial(t: Task, addr: UserPtr, buf: Uint8Array): number {
  try {
    t.mm.write(addr, buf, 0, buf.length);
    return buf.length;
  } catch (e) {
    if (!(e instanceof ErrnoError && e.errno === Errno.EFAULT)) throw e;
    return copyPrefix(t, addr, buf, 0, buf.length, true);
  }
}

/**
 * A position in an iovec array (struct iov_iter); copies advance it. A copy
 * that faults part-way stops at the page that faults (the pages before it
 * move), returns that count and keeps what was thrown in fault, for the
 * caller to report the bytes that did move or the error (a read that
 * transferred something returns its count, as Linux's). Owned by the
 * syscall run that made it.
 */
export class IovIter {
  /** the current segment (an index into iov) and the offset in it */
  private seg = 0;
  private off = 0;
  /** what stopped the last copy short; null if it completed */
  fault: unknown = null;

  constructor(private readonly t: Task, private readonly iov: readonly number[]) {}

  /** The room left in the current segment, at most n. */
  private piece(n: number): number {
    return Math.min(this.iov[this.seg + 1]! - this.off, n);
  }
  private step(c: number): void {
    this.off += c;
    if (this.off === this.iov[this.seg + 1]) {
      this.seg += 2;
      this.off = 0;
    }
  }

  /** iov_iter_advance: skip n bytes. */
  advance(n: number): void {
    while (n > 0) {
      const c = this.piece(n);
      n -= c;
      this.step(c);
    }
  }

  /** copy_to_iter: src[at .. at+n) into the guest's segments; the bytes copied. */
  toUser(src: Uint8Array, at: number, n: number): number {
    return this.copy(src, at, n, true);
  }

  /** copy_from_iter: up to n bytes from the guest's segments into dst[at..]; the bytes copied. */
  fromUser(dst: Uint8Array, at: number, n: number): number {
    return this.copy(dst, at, n, false);
  }

  private copy(buf: Uint8Array, at: number, n: number, toUser: boolean): number {
    let k = 0;
    this.fault = null;
    while (k < n) {
      const c = this.piece(n - k), addr = this.iov[this.seg]! + this.off;
      try {
        if (toUser) this.t.mm.write(addr, buf, at + k, c);
        else this.t.mm.readInto(addr, buf, at + k, c);
      } catch (e) {
        this.fault = e;
        // (copy_to_user/copy_from_user stop at the page that faults: the piece's pages before it still move)
        const moved = e instanceof ErrnoError && e.errno === Errno.EFAULT ? copyPrefix(this.t, addr, buf, at + k, c, toUser) : 0;
        this.step(moved);
        return k + moved;
      }
      k += c;
      this.step(c);
    }
    return k;
  }
}

// ---- time (struct timespec, struct timeval, struct itimerspec, struct itimerval) ----------
// the structs and their encoding are abi/time.ts


/** get_timespec64: a struct timespec, unchecked (for callers with their own rules: utimensat's UTIME_NOW). */
export function getTimespec(t: Task, addr: UserPtr): Timespec {
  return getTimespecAt(readStruct(t, addr, 16), 0);
}

/** get_old_timeval: a struct timeval, unchecked (select carries excess usecs; utimes checks only tv_usec). */
export function getTimeval(t: Task, addr: UserPtr): Timeval {
  return getTimevalAt(readStruct(t, addr, 16), 0);
}

/** A struct timespec that must be valid (timespec64_valid), in ns; EINVAL otherwise. */
export function readTimespec(t: Task, addr: UserPtr): bigint {
  const ts = getTimespec(t, addr);
  if (!timespecValid(ts)) throw new ErrnoError(Errno.EINVAL);
  return ts.sec * NSEC_PER_SEC + ts.nsec;
}

/** struct itimerspec { it_interval, it_value }: both must be valid; [interval, value] in ns, EINVAL otherwise. */
export function readItimerspec(t: Task, addr: UserPtr): [interval: bigint, value: bigint] {
  const dv = readStruct(t, addr, 32);
  const i = getTimespecAt(dv, 0), v = getTimespecAt(dv, 16);
  if (!timespecValid(i) || !timespecValid(v)) throw new ErrnoError(Errno.EINVAL);
  return [i.sec * NSEC_PER_SEC + i.nsec, v.sec * NSEC_PER_SEC + v.nsec];
}

/** struct __kernel_old_itimerval { it_interval, it_value }: both timevals valid; [interval, value] in ns, EINVAL otherwise. */
export function readItimerval(t: Task, addr: UserPtr): [interval: bigint, value: bigint] {
  const dv = readStruct(t, addr, 32);
  const i = getTimevalAt(dv, 0), v = getTimevalAt(dv, 16);
  if (!timevalValid(i) || !timevalValid(v)) throw new ErrnoError(Errno.EINVAL);
  return [i.sec * NSEC_PER_SEC + i.usec * NSEC_PER_USEC, v.sec * NSEC_PER_SEC + v.usec * NSEC_PER_USEC];
}

/** put_timespec64 */
export function writeTimespec(t: Task, addr: UserPtr, ns: bigint): void {
  writeStruct(t, addr, 16, (dv) => putTimespec(dv, 0, ns));
}

/** put_old_timeval */
export function writeTimeval(t: Task, addr: UserPtr, ns: bigint): void {
  writeStruct(t, addr, 16, (dv) => putTimeval(dv, 0, ns));
}

/** A struct rusage with what umlts keeps: CPU time (all of it user time: the host thread's clock does not split
 * it) and ru_maxrss in KiB; the other fields zero. */
export function writeRusage(t: Task, addr: UserPtr, cpuNs: bigint, maxrssKiB: number): void {
  writeStruct(t, addr, RUSAGE_SIZE, (dv) => {
    putTimeval(dv, RU_UTIME, cpuNs);
    dv.setBigInt64(RU_MAXRSS, BigInt(maxrssKiB), true);
  });
}

/** struct itimerspec out: { it_interval, it_value } */
export function writeItimerspec(t: Task, addr: UserPtr, interval: bigint, value: bigint): void {
  writeStruct(t, addr, 32, (dv) => {
    putTimespec(dv, 0, interval);
    putTimespec(dv, 16, value);
  });
}

/** struct __kernel_old_itimerval out: { it_interval, it_value } */
export function writeItimerval(t: Task, addr: UserPtr, interval: bigint, value: bigint): void {
  writeStruct(t, addr, 32, (dv) => {
    putTimeval(dv, 0, interval);
    putTimeval(dv, 16, value);
  });
}

// ---- signal sets and siginfo (their encoding: abi/signal.ts) ----------------------------------


/** Copy a sigset_t in. */
export function readSigset(t: Task, addr: UserPtr): Sigset {
  return getSigset(readStruct(t, addr, SIGSET_SIZE), 0);
}

/** sigset_t writeSigset's buffer (see the file comment) */
const sigsetBuf = new Uint8Array(SIGSET_SIZE);
const sigsetView = new DataView(sigsetBuf.buffer);

/** Copy a sigset_t out; only its first size bytes when size is less (rt_sigpending's sigsetsize). */
export function writeSigset(t: Task, addr: UserPtr, lo: number, hi: number, size = SIGSET_SIZE): void {
  putSigset(sigsetView, 0, lo, hi);
  t.mm.write(addr, sigsetBuf, 0, Math.min(size, SIGSET_SIZE));
}

/**
 * The temporary mask of ppoll, pselect6 and epoll_pwait (set_user_sigmask's
 * copy): null for a NULL pointer (the mask stays), EINVAL unless sigsetsize
 * is sizeof(sigset_t).
 */
export function readSigmask(t: Task, addr: UserPtr, sigsetsize: number): Sigset | null {
  if (!addr) return null;
  if (sigsetsize !== SIGSET_SIZE) throw new ErrnoError(Errno.EINVAL);
  return readSigset(t, addr);
}

/** sizeof(siginfo_t) */

/** Copy out a siginfo_t (rt_sigtimedwait, waitid), in the one encoding of abi/signal.ts. */
export function writeSiginfo(t: Task, addr: UserPtr, info: SigInfo): void {
  writeStruct(t, addr, SIGINFO_SIZE, (dv) => encodeSiginfo(dv, 0, info));
}
