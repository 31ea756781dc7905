/**
 * signalfd (fs/signalfd.c): a file that reads the pending signals of a
 * mask as struct signalfd_siginfo, instead of having them delivered.
 * util-linux's script(1) and systemd-style event loops block their signals
 * and poll a signalfd beside their other fds.
 *
 * As in Linux, a read takes from the reader's own pending signals (the
 * thread's, then its process's) — whoever created the file — and poll
 * looks at the poller's. Every signal queued anywhere wakes the signalfd
 * waiters (Linux's per-sighand signalfd_wqh; here one queue on the Kernel,
 * whose waiters re-check), since a signal that is blocked wakes nothing
 * else.
 *
 * Ownership: the mask is guarded by the JS thread (signalfd4 on the fd
 * replaces it); everything else is immutable.
 */
import { Errno } from '../abi/errno.js';
import type { SigInfo } from '../abi/signal.js';
import { AnonInodeFile } from '../fs/eventfd.js';
import { POLLIN, WaitQueue } from '../fs/waitqueue.js';
import type { Kernel } from './kernel.js';
import type { Task } from './task.js';
import type { SigPending } from './signal.js';

/** sizeof(struct signalfd_siginfo) */
export const SIGNALFD_SIGINFO_SIZE = 128;

/** On the anonymous inode, as Linux's (fstat, lseek, flock see that one inode). */
export class SignalFdFile extends AnonInodeFile {
  /** the signals it reads, as [1-32, 33-64] bitmaps; SIGKILL and SIGSTOP never */
  maskLo: number;
  maskHi: number;

  constructor(
    /** immutable */
    private readonly k: Kernel,
    lo: number,
    hi: number,
    flags: number,
  ) {
    super(flags, 'anon_inode:[signalfd]');
    this.maskLo = lo;
    this.maskHi = hi;
  }

  /** The calling thread (reads and polls are on its behalf). */
  private caller(): Task | null {
    return this.k.current ?? this.k.taskByPid(this.k.currentPid) ?? null;
  }

  /** The next signal of the mask pending for t, and where it waits. */
  private pick(t: Task): { sig: number; src: SigPending } | null {
    for (const src of [t.pending, t.tg.sharedPending]) {
      const sig = src.next(~this.maskLo, ~this.maskHi);
      if (sig) return { sig, src };
    }
    return null;
  }

  override get waitq(): WaitQueue {
    return this.k.signalfdWait;
  }
  /** a read, no write */
  protected override hasIo(write: boolean): boolean {
    return !write;
  }

  override read(buf: Uint8Array, pos: number | null): number {
    if (pos !== null) return -Errno.ESPIPE;
    if (buf.length < SIGNALFD_SIGINFO_SIZE) return -Errno.EINVAL;
    const t = this.caller();
    if (!t) return -Errno.EAGAIN;
    let n = 0;
    while (n + SIGNALFD_SIGINFO_SIZE <= buf.length) {
      const got = this.pick(t);
      if (!got) break;
      const info = got.src.take(got.sig)!;
      encode(new DataView(buf.buffer, buf.byteOffset + n, SIGNALFD_SIGINFO_SIZE), info);
      n += SIGNALFD_SIGINFO_SIZE;
    }
    return n > 0 ? n : -Errno.EAGAIN;
  }

  /** signalfd_show_fdinfo: the mask, signal n as bit n-1 */
  override fdinfo(): string {
    const m = (BigInt(this.maskHi >>> 0) << 32n) | BigInt(this.maskLo >>> 0);
    return `sigmask:\t${m.toString(16).padStart(16, '0')}\n`;
  }

  override poll(): number {
    const t = this.caller();
    return t && this.pick(t) ? POLLIN : 0;
  }
}

/** struct signalfd_siginfo (include/uapi/linux/signalfd.h), from the kernel's siginfo. */
function encode(dv: DataView, i: SigInfo): void {
  for (let o = 0; o < SIGNALFD_SIGINFO_SIZE; o += 4) dv.setUint32(o, 0, true);
  dv.setUint32(0, i.signo, true); // ssi_signo
  dv.setInt32(4, i.errno ?? 0, true); // ssi_errno
  dv.setInt32(8, i.code, true); // ssi_code
  dv.setUint32(12, i.pid ?? 0, true); // ssi_pid
  dv.setUint32(16, i.uid ?? 0, true); // ssi_uid
  dv.setUint32(24, i.timerid ?? 0, true); // ssi_tid (a POSIX timer's id)
  dv.setUint32(32, i.overrun ?? 0, true); // ssi_overrun
  dv.setUint32(36, i.trapno ?? 0, true); // ssi_trapno
  dv.setInt32(40, i.status ?? 0, true); // ssi_status
  dv.setInt32(44, Number(BigInt.asIntN(32, i.value ?? 0n)), true); // ssi_int
  dv.setBigUint64(48, BigInt.asUintN(64, i.value ?? 0n), true); // ssi_ptr
  if (i.syscall !== undefined) {
    // SIL_SYS: a seccomp filter's SIGSYS
    dv.setInt32(84, i.syscall, true); // ssi_syscall
    dv.setBigUint64(88, BigInt(i.addr ?? 0), true); // ssi_call_addr
    dv.setUint32(96, i.arch ?? 0, true); // ssi_arch
    return;
  }
  dv.setBigUint64(72, BigInt(i.addr ?? 0) & 0xffffffffffffffffn, true); // ssi_addr
}

