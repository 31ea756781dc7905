/**
 * Datagram sockets inside the kernel: AF_UNIX SOCK_DGRAM
 * (net/unix/af_unix.c unix_dgram_*) and UDP over the private loopback
 * (net/ipv4/udp.c). A send finds the destination socket through the family
 * (a bound name, a port) and queues one message on it, stamped with the
 * sender's address; a receive takes one message whole or truncated.
 *
 * Unix and UDP differ where Linux does: a full unix receiver makes its
 * senders wait (max_dgram_qlen), a full UDP receiver drops; a unix socket
 * connected to another refuses strangers (EPERM), UDP drops them; a UDP send
 * to a port nobody holds is answered by "port unreachable", which a
 * connected socket reports as ECONNREFUSED.
 *
 * Ownership: touched only on the JS thread, by the syscalls of the tasks
 * holding the sockets (a sender queues on its destination).
 */
import { Errno } from '../abi/errno.js';
import * as S from '../abi/socket.js';
import { POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDNORM, POLLWRNORM, POLLWRBAND, POLLRDHUP } from '../fs/waitqueue.js';
import type { Waiter } from '../fs/waitqueue.js';
import { Socket, Scm, RecvInfo, SockCaller, scmRelease, queuedScmFiles, dropQueuedScmFiles } from './socket.js';
import type { File } from '../fs/file.js';
import { O_NONBLOCK } from '../fs/types.js';

/** /proc/sys/net/unix/max_dgram_qlen */
export const UNIX_MAX_DGRAM_QLEN = 10;
/** the largest UDP payload over IPv4 (65535 - 20 - 8); IPv6's is 65527 */
export const UDP_MAX_PAYLOAD = 65507;

/** One queued datagram; owned by the receive queue that holds it. */
interface Dgram {
  data: Uint8Array;
  from: Uint8Array | null;
  scm: Scm | null;
}

export abstract class DgramSocket extends Socket {
  /** the receive queue; senders push, our receives shift; guarded by the JS thread */
  private readonly rxq: Dgram[] = [];
  private rxBytes = 0;
  /** unix: waiting for room on a full receiver (a one-shot waiter on its queue) */
  private roomWait: { q: DgramSocket; w: Waiter } | null = null;

  /** UDP rather than AF_UNIX; immutable */
  abstract readonly udp: boolean;

  /**
   * Where a send goes: the socket at `to` (null: the connected peer), after
   * binding us if the family does that on first send. -ENOTCONN /
   * -EDESTADDRREQ without a destination; -ECONNREFUSED / -ENOENT... when
   * nobody is there (UDP: null with no error: the datagram is dropped).
   */
  protected abstract destination(to: Uint8Array | null, c: SockCaller | null): DgramSocket | null | number;
  /** Our address as receiver d sees it (msg_name, in d's family); null: unnamed. */
  protected abstract fromAddr(d: DgramSocket): Uint8Array | null;
  /** What the queued datagram carries (UDP adds its IP header's fields). */
  protected stamp(scm: Scm | null): Scm | null {
    return scm;
  }
  /** May `from` queue on us (connected sockets filter)? A number: the errno the sender gets. */
  protected abstract admits(from: DgramSocket): boolean | number;

  override send(data: Uint8Array, flags: number, to: Uint8Array | null, scm: Scm | null, c: SockCaller | null): number {
    if (flags & S.MSG_OOB) return -Errno.EOPNOTSUPP;
    if (this.udp && this.soError) {
      const e = this.soError;
      this.soError = 0;
      return -e;
    }
    if (this.shut & S.SEND_SHUTDOWN) return -Errno.EPIPE;
    if (this.udp ? data.length > UDP_MAX_PAYLOAD + (this.family === S.AF_INET6 ? 20 : 0) : data.length > this.sndBuf - 32) {
      return -Errno.EMSGSIZE;
    }
    const d = this.destination(to, c);
    if (typeof d === 'number') return d;
    if (d === null) {
      scmRelease(scm); // dropped on the floor: what it carried is gone with it
      return data.length;
    }
    const ok = d.admits(this);
    if (ok !== true) {
      if (ok === false) {
        scmRelease(scm);
        return data.length;
      }
      return ok;
    }
    if (d.shut & S.RCV_SHUTDOWN) {
      if (!this.udp) return -Errno.EPIPE;
      scmRelease(scm);
      return data.length;
    }
    if (this.udp) {
      if (d.rxBytes + data.length > d.rcvBuf) {
        scmRelease(scm);
        return data.length;
      }
    } else if (d.rxq.length >= UNIX_MAX_DGRAM_QLEN && d !== this) {
      this.waitForRoom(d);
      return -Errno.EAGAIN;
    }
    d.rxq.push({ data: data.slice(), from: this.fromAddr(d), scm: this.stamp(scm) });
    d.rxBytes += data.length;
    d.wakeIn();
    return data.length;
  }

  /** Be woken (our queue) when d's queue drains (unix_wait_for_peer). */
  private waitForRoom(d: DgramSocket): void {
    if (this.roomWait) return;
    const w: Waiter = () => {
      d.wq.remove(w);
      if (this.roomWait?.w === w) this.roomWait = null;
      this.wq.wake(POLLOUT | POLLWRNORM);
    };
    this.roomWait = { q: d, w };
    d.wq.add(w);
  }

  override recv(buf: Uint8Array, flags: number, info: RecvInfo): number {
    if (flags & S.MSG_OOB) return -Errno.EOPNOTSUPP;
    if (this.udp && this.soError) {
      const e = this.soError;
      this.soError = 0;
      return -e;
    }
    const m = this.rxq[0];
    if (!m) {
      if (this.soError) {
        const e = this.soError;
        this.soError = 0;
        return -e;
      }
      // shut for reading: a blocking receive ends with 0 (__skb_wait_for_more_packets), a non-blocking one still
      // finds nothing (EAGAIN; SEQPACKET's EOF is the stream code's)
      if (this.shut & S.RCV_SHUTDOWN) return flags & S.MSG_DONTWAIT || this.flags & O_NONBLOCK ? -Errno.EAGAIN : 0;
      return -Errno.EAGAIN;
    }
    const n = Math.min(buf.length, m.data.length);
    buf.set(m.data.subarray(0, n));
    info.fullLen = m.data.length;
    if (n < m.data.length) info.flags |= S.MSG_TRUNC;
    info.from = m.from;
    if (flags & S.MSG_PEEK) {
      info.scm = m.scm ? { files: m.scm.files ? m.scm.files.map((f) => f.get()) : null, cred: m.scm.cred } : null;
    } else {
      this.rxq.shift();
      this.rxBytes -= m.data.length;
      info.scm = m.scm;
      // senders waiting for room (on our queue) may go on
      this.wq.wake(POLLOUT | POLLWRNORM | POLLWRBAND);
    }
    return n;
  }

  protected override inq(): number {
    return this.rxq[0]?.data.length ?? 0;
  }

  /** The connected peer's receive queue is full (unix_dgram_poll's writability). */
  protected peerFull(): boolean {
    return false;
  }
  protected queueFull(): boolean {
    return this.rxq.length >= UNIX_MAX_DGRAM_QLEN;
  }

  override poll(): number {
    let mask = 0;
    if (this.soError) mask |= POLLERR;
    if (this.shut & S.RCV_SHUTDOWN) mask |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (this.shut === S.SHUTDOWN_MASK) mask |= POLLHUP;
    if (this.rxq.length) mask |= POLLIN | POLLRDNORM;
    if (this.udp || !this.peerFull()) mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
    return mask;
  }

  override shutdown(how: number): number {
    if (how < 0 || how > 2) return -Errno.EINVAL;
    this.shut |= (how + 1) & S.SHUTDOWN_MASK;
    this.wq.wake(0);
    return this.udp && !this.connected ? -Errno.ENOTCONN : 0;
  }
  /** has a default destination (connect) */
  protected abstract get connected(): boolean;

  /** InflightHolder: the files queued datagrams carry */
  queuedFiles(): File[] {
    return queuedScmFiles(this.rxq);
  }
  /** InflightHolder: the queued datagrams' files go */
  dropQueuedFiles(): void {
    dropQueuedScmFiles(this.rxq);
  }

  protected override release(): void {
    for (const m of this.rxq) scmRelease(m.scm);
    this.rxq.length = 0;
    this.rxBytes = 0;
    if (this.roomWait) {
      this.roomWait.q.wq.remove(this.roomWait.w);
      this.roomWait = null;
    }
    this.wq.wake(0);
    this.unbind();
  }
  protected abstract unbind(): void;
}
