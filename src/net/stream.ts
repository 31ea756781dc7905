/**
 * Connection-oriented sockets inside the kernel: AF_UNIX SOCK_STREAM and
 * SOCK_SEQPACKET (net/unix/af_unix.c) and TCP over the private loopback
 * (net/ipv4/tcp.c as a loopback pair sees it). A connection is two
 * StreamSockets that queue data straight onto each other's receive queue;
 * a listener keeps an accept queue of server-side sockets already connected
 * to their clients (the three-way handshake happens at once, so data a
 * client sends before accept() waits in the child).
 *
 * The families differ in details Linux's code makes observable, kept here
 * behind `tcp`: what poll reports for an unconnected socket, the errno of
 * sending or receiving unconnected, and close: a unix close shuts the peer
 * down both ways, a TCP close sends a FIN (the peer reads EOF and its next
 * send is answered by a reset) or a reset when data was left unread.
 *
 * Ownership: a connection's two sockets and a listener's queue are touched
 * only on the JS thread, by the syscalls of whoever holds either end.
 */
import { Errno } from '../abi/errno.js';
import * as S from '../abi/socket.js';
import { O_NONBLOCK } from '../fs/types.js';
import type { File } from '../fs/file.js';
import { POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND, POLLRDHUP } from '../fs/waitqueue.js';
import { SIGURG } from '../abi/signal.js';
import { Socket, Scm, RecvInfo, Ucred, SockCaller, MsgIter, BufIter, scmRelease, queuedScmFiles, dropQueuedScmFiles } from './socket.js';

function sameCred(a: Ucred | null, b: Ucred | null): boolean {
  return a === b || (a !== null && b !== null && a.pid === b.pid && a.uid === b.uid && a.gid === b.gid);
}

/** One sent piece of data in a receive queue (an skb): what it carried comes with it. */
interface Chunk {
  data: Uint8Array;
  /** bytes already read from the front */
  off: number;
  scm: Scm | null;
}

/** tp->urg_data's states: the urgent byte is there to read, or was read (recv MSG_OOB) */
const URG_VALID = 0x100, URG_READ = 0x400;

/** what a loopback TCP connection may have in flight once autotuning has grown it (tcp_rmem's max is 6 MiB) */
const TCP_AUTOTUNED_WINDOW = 4 << 20;

export type StreamState = 'unconnected' | 'listening' | 'connected' | 'closed';

export abstract class StreamSocket extends Socket {
  /** guarded by the JS thread (connect, listen, accept, the peer's close) */
  state: StreamState = 'unconnected';
  /** the other end; guarded by the JS thread (connect, accept, either end's release) */
  peer: StreamSocket | null = null;
  /** the receive queue, oldest first; the peer's sends push, our receives shift */
  private readonly rx: Chunk[] = [];
  private rxBytes = 0;
  /** listening: connections not yet accepted, and the most allowed */
  private readonly acceptq: StreamSocket[] = [];
  private backlog = 0;
  /** listening, TCP: connectors that found the accept queue full, oldest first (their SYNs were dropped: Linux's
   * retransmits get through once the queue has room; here they join it as accept() makes room); guarded by the JS
   * thread (connect, accept, either side's close) */
  private readonly synq: { s: StreamSocket; me: Ucred; joined?: () => void }[] = [];
  /** TCP: the listener whose full queue this socket waits for (SYN_SENT), or null; guarded as synq */
  synTo: StreamSocket | null = null;
  /** credentials of the peer at connect time (SO_PEERCRED); set by connect/socketpair */
  peerCreds: Ucred | null = null;
  /** TCP: the peer closed: the next send is answered by a reset (set by the peer's close) */
  peerClosed = false;
  /** TCP: the peer's FIN came (SOCK_DONE): reads end with 0 whatever error follows */
  finReceived = false;
  /** the listener whose accept queue holds us (until accepted); cleared by accept */
  private listener: StreamSocket | null = null;
  /** bytes ever queued on rx (rcv_nxt; copied_seq is rcvSeq - rxBytes); guarded by the JS thread */
  private rcvSeq = 0;
  /**
   * TCP urgent data (tp->urg_data): URG_VALID while the urgent byte the
   * peer's last MSG_OOB send ended with is unread, URG_READ once recv
   * MSG_OOB took it, 0 once reading passed its mark (or none came);
   * urgSeq is the byte's place in the stream, urgByte the byte. Guarded by
   * the JS thread (the peer's sends, our receives).
   */
  private urg = 0;
  private urgSeq = 0;
  private urgByte = 0;

  constructor(
    net: ConstructorParameters<typeof Socket>[0], family: number, type: number, protocol: number, flags: number,
    owner: { uid: number; gid: number }, bufs: { snd: number; rcv: number },
    /** TCP rather than AF_UNIX; immutable */
    readonly tcp: boolean,
  ) {
    super(net, family, type, protocol, flags, owner, bufs);
  }

  /** SOCK_SEQPACKET: records, not a byte stream */
  get seqpacket(): boolean {
    return this.type === S.SOCK_SEQPACKET;
  }
  override get streaming(): boolean {
    return !this.seqpacket;
  }
  protected override get listening(): boolean {
    return this.state === 'listening';
  }
  protected override peerCred(): Ucred | null {
    return this.peerCreds;
  }

  /** A new server-side socket for a connection to this listener (the family's sk_clone). */
  protected abstract newChild(): StreamSocket;

  // ---- connections ----

  /** Join a and b (socketpair, or a connect and the child it made); aCred, bCred: their owners'. */
  static pair(a: StreamSocket, b: StreamSocket, aCred: Ucred, bCred: Ucred): void {
    a.peer = b;
    b.peer = a;
    a.state = b.state = 'connected';
    a.peerCreds = bCred;
    b.peerCreds = aCred;
    a.finReceived = b.finReceived = false;
  }

  /** The checks of connect() before the address is looked at. */
  protected connectState(): number {
    if (this.state === 'connected') return -Errno.EISCONN;
    if (this.state === 'listening' || this.state === 'closed') return this.tcp ? -Errno.EISCONN : -Errno.EINVAL;
    return 0;
  }

  /**
   * Connect to a listener (found by the family): a child joins us and waits
   * in its accept queue, and joined() runs. -EAGAIN when the queue is full
   * (sk_acceptq_is_full): a unix connector tries again as accept makes room
   * (a blocking one sleeps); a TCP one waits in SYN_SENT on the listener's
   * synq, joined when accept makes room (or refused when it closes).
   */
  protected connectTo(l: StreamSocket, me: Ucred, joined?: () => void): number {
    if (l.state !== 'listening' || l.type !== this.type) return -Errno.ECONNREFUSED;
    if (l.acceptq.length > l.backlog) {
      if (this.tcp) {
        this.synTo = l;
        l.synq.push({ s: this, me, joined });
      }
      return -Errno.EAGAIN;
    }
    this.join(l, me);
    joined?.();
    return 0;
  }
  private join(l: StreamSocket, me: Ucred): void {
    const child = l.newChild();
    StreamSocket.pair(this, child, me, l.listenCreds ?? me);
    child.listener = l;
    l.acceptq.push(child);
    l.wq.wake(POLLIN | POLLRDNORM);
  }
  /** A TCP connector in SYN_SENT stops waiting (its close). */
  private leaveSynq(): void {
    const l = this.synTo;
    if (l === null) return;
    this.synTo = null;
    const i = l.synq.findIndex((w) => w.s === this);
    if (i >= 0) l.synq.splice(i, 1);
  }
  /** credentials of the listening process (SO_PEERCRED of its clients); set by listen */
  listenCreds: Ucred | null = null;

  override listen(backlog: number, c: SockCaller): number {
    if ((this.state !== 'unconnected' && this.state !== 'listening') || this.synTo !== null) return -Errno.EINVAL;
    const e = this.listenCheck(c);
    if (e < 0) return e;
    this.backlog = Math.min(backlog < 0 ? S.SOMAXCONN : backlog, S.SOMAXCONN);
    this.listenCreds = { pid: c.pid, uid: c.creds.euid, gid: (c.creds as { egid?: number }).egid ?? c.creds.gid };
    this.state = 'listening';
    // a larger backlog lets waiting TCP connectors in (their next SYN finds room)
    this.admitWaiting();
    return 0;
  }
  /** The family's precondition of listen (a unix socket must be bound; TCP autobinds). */
  protected abstract listenCheck(c: SockCaller): number;

  override accept(flags: number): Socket | number {
    if (this.state !== 'listening') return -Errno.EINVAL;
    const child = this.acceptq.shift();
    if (!child) return -Errno.EAGAIN;
    child.listener = null;
    child.flags = (child.flags & ~O_NONBLOCK) | (flags & O_NONBLOCK);
    // a unix connector blocked on a full queue may go on now; TCP's waiting connectors join while there is room
    this.wq.wake(POLLOUT | POLLWRNORM);
    this.admitWaiting();
    return child;
  }
  /** TCP's connectors waiting in SYN_SENT join the accept queue, oldest first, while it has room. */
  private admitWaiting(): void {
    while (this.synq.length > 0 && this.acceptq.length <= this.backlog) {
      const w = this.synq.shift()!;
      w.s.synTo = null;
      w.s.join(this, w.me);
      w.joined?.();
      w.s.wq.wake(POLLOUT | POLLWRNORM);
    }
  }
  /** tcp_disconnect of a connector in SYN_SENT (shutdown, connect(AF_UNSPEC)): it stops waiting, unconnected and
   * free to connect again, with ECONNRESET for SO_ERROR (and for a connect asleep on it: sys_connect). */
  protected abortSynSent(): void {
    this.leaveSynq();
    this.soError = Errno.ECONNRESET;
    this.state = 'unconnected';
    this.wq.wake(POLLOUT | POLLERR | POLLHUP);
  }

  /** Pending connections (for /proc/net and SO_ACCEPTCONN users). */
  get queued(): number {
    return this.acceptq.length;
  }

  // ---- data ----

  /** Room the peer's queue has for us (unix: our send buffer; TCP: both buffers, as a window would). */
  private room(p: StreamSocket): number {
    if (!this.tcp) return this.sndBuf - p.rxBytes;
    // TCP's buffers grow with the traffic (tcp_rmem's autotuning) unless the program sized them
    const win = this.bufsSet || p.bufsSet ? this.sndBuf + p.rcvBuf : TCP_AUTOTUNED_WINDOW;
    return win - p.rxBytes;
  }

  override send(data: Uint8Array, flags: number, to: Uint8Array | null, scm: Scm | null, _c: SockCaller | null): number {
    return this.sendMsg(new BufIter(data), data.length, flags, to, scm);
  }

  /**
   * send() with the bytes copied from it straight into the peer's queue
   * (unix_stream_sendmsg, tcp_sendmsg: checks first, then the copy). Bytes
   * taken; 0 when the copy faulted before its first byte (nothing queued,
   * scm still the caller's: it.fault says why); -errno as send().
   */
  sendMsg(it: MsgIter, len: number, flags: number, to: Uint8Array | null, scm: Scm | null): number {
    // (urgent data is TCP's; AF_UNIX's MSG_OOB is not offered)
    if (flags & S.MSG_OOB && !this.tcp) return -Errno.EOPNOTSUPP;
    if (to !== null && !this.tcp && !this.seqpacket) return this.state === 'connected' ? -Errno.EISCONN : -Errno.EOPNOTSUPP;
    if (this.tcp && this.soError) {
      const e = this.soError;
      this.soError = 0;
      return -e;
    }
    if (this.state !== 'connected') {
      if (this.synTo !== null) return -Errno.EAGAIN; // sk_stream_wait_connect in SYN_SENT: a blocking send waits
      if (this.tcp) return -Errno.EPIPE; // sk_stream_wait_connect on a closed socket
      return this.seqpacket && this.state === 'closed' ? -Errno.EPIPE : -Errno.ENOTCONN;
    }
    if (this.shut & S.SEND_SHUTDOWN) return -Errno.EPIPE;
    const p = this.peer;
    if (!p) return -Errno.EPIPE;
    if (this.tcp && this.peerClosed && len > 0) {
      // the peer is gone: what the send buffer takes is answered with a reset (nothing to send sends no segment)
      this.peerClosed = false;
      this.reset();
      const n = Math.min(len, Math.floor((this.sndBuf * 3) / 4));
      it.advance(n);
      return n;
    }
    if (!this.tcp && p.shut & S.RCV_SHUTDOWN) return -Errno.EPIPE;
    if (this.seqpacket) {
      if (len > this.sndBuf - 32) return -Errno.EMSGSIZE;
      if (this.room(p) < len && p.rxBytes > 0) return -Errno.EAGAIN;
      const rec = this.net.bufs.alloc(len);
      if (it.fromUser(rec, 0, len) < len) {
        this.net.bufs.free(rec);
        return 0;
      }
      p.enqueue(rec, scm);
      return len;
    }
    if (len === 0) {
      scmRelease(scm); // nothing to carry it: the files are dropped, as Linux's zero-length send does
      return 0;
    }
    const n = Math.min(len, this.room(p));
    if (n <= 0) {
      this.asyncNoSpace = true;
      return -Errno.EAGAIN;
    }
    const chunk = this.net.bufs.alloc(n);
    const k = it.fromUser(chunk, 0, n);
    if (k === 0) {
      this.net.bufs.free(chunk);
      return 0;
    }
    // tcp_mark_urg: the last byte sent is urgent; the peer learns of it as the data comes (tcp_urg)
    if (flags & S.MSG_OOB) p.urgent(p.rcvSeq + k - 1, chunk[k - 1]!);
    p.enqueue(k < n ? chunk.subarray(0, k) : chunk, scm);
    return k;
  }

  /**
   * tcp_check_urg and tcp_urg: the byte at seq is urgent (a newer mark
   * replaces an older one; a reader standing at an older mark not inline
   * has that byte dropped now: it is not data); the owner gets SIGURG,
   * pollers POLLPRI.
   */
  private urgent(seq: number, byte: number): void {
    if (this.urg && seq <= this.urgSeq) return;
    if (this.urg && !this.oobInline && this.urgSeq === this.rcvSeq - this.rxBytes && this.rxBytes > 0) this.dropFront(1);
    this.urg = URG_VALID;
    this.urgSeq = seq;
    this.urgByte = byte;
    this.owner?.send(SIGURG);
    this.wq.wake(POLLPRI | POLLRDBAND);
  }

  /** n bytes gone from the front of the stream's queue, read or skipped. */
  private dropFront(n: number): void {
    while (n > 0) {
      const c = this.rx[0]!, k = Math.min(n, c.data.length - c.off);
      c.off += k;
      this.rxBytes -= k;
      n -= k;
      if (c.off === c.data.length) {
        this.rx.shift();
        this.net.bufs.free(c.data);
      }
    }
  }

  private enqueue(data: Uint8Array, scm: Scm | null): void {
    this.rx.push({ data, off: 0, scm });
    this.rxBytes += data.length;
    this.rcvSeq += data.length;
    this.wakeIn();
  }

  /** Our send was answered by a reset (TCP, in CLOSE_WAIT: tcp_reset's EPIPE): the connection is over. */
  private reset(): void {
    this.soError = Errno.EPIPE;
    this.shut = S.SHUTDOWN_MASK;
    this.detachPeer();
    this.state = 'closed';
    this.wq.wake(0);
  }

  override recv(buf: Uint8Array, flags: number, info: RecvInfo): number {
    return this.recvMsg(new BufIter(buf), buf.length, flags, info);
  }

  /**
   * recv() with the bytes copied from the queue straight to it (at most len;
   * MSG_TRUNC on a stream discards them instead): only what was copied is
   * consumed, so a fault part-way leaves the rest queued (it.fault says why).
   */
  recvMsg(it: MsgIter, len: number, flags: number, info: RecvInfo): number {
    if (flags & S.MSG_OOB) {
      if (!this.tcp) return -Errno.EOPNOTSUPP;
      return this.state === 'listening' ? -Errno.ENOTCONN : this.recvUrgent(it, len, flags, info);
    }
    if (this.state === 'listening' || this.state === 'unconnected') {
      if (this.synTo !== null) return -Errno.EAGAIN; // SYN_SENT: nothing yet (tcp_recvmsg waits)
      if (this.tcp) return -Errno.ENOTCONN;
      return this.seqpacket ? -Errno.ENOTCONN : -Errno.EINVAL;
    }
    const peek = (flags & S.MSG_PEEK) !== 0;
    // (a TCP stream with an urgent mark in it is read around the mark)
    if (this.urg && this.rx.length) {
      const n = this.recvMarked(it, len, flags);
      if (n >= 0) return n;
    }
    if (this.rx.length === 0 || this.urg) {
      if (this.tcp && this.finReceived) return 0;
      if (this.soError) {
        const e = this.soError;
        this.soError = 0;
        return -e;
      }
      if (this.shut & S.RCV_SHUTDOWN || this.state === 'closed') return 0;
      return -Errno.EAGAIN;
    }
    if (this.seqpacket) {
      const c = this.rx[0]!;
      const n = it.toUser(c.data, 0, Math.min(len, c.data.length));
      info.fullLen = c.data.length;
      if (n < c.data.length) info.flags |= S.MSG_TRUNC;
      if (!peek) {
        this.rx.shift();
        this.rxBytes -= c.data.length;
        this.net.bufs.free(c.data);
        info.scm = c.scm;
        this.consumed();
      } else info.scm = c.scm ? { files: c.scm.files ? c.scm.files.map((f) => f.get()) : null, cred: c.scm.cred } : null;
      return n;
    }
    // unix_stream_read_generic: a read joins chunks until one that carried
    // files (taken with it), or (SO_PASSCRED) one from other credentials
    const discard = (flags & S.MSG_TRUNC) !== 0;
    let done = 0, i = 0;
    const cred = this.rx[0]!.scm?.cred ?? null;
    let files: File[] | null = null;
    while (done < len && i < this.rx.length) {
      const c = this.rx[i]!;
      if (done > 0 && this.passCred && !sameCred(c.scm?.cred ?? null, cred)) break;
      const n = Math.min(len - done, c.data.length - c.off);
      const k = discard ? n : it.toUser(c.data, c.off, n);
      if (k === 0) break; // a fault: nothing of this chunk was taken
      done += k;
      if (c.scm?.files) {
        if (peek) files = c.scm.files.map((f) => f.get());
        else {
          files = c.scm.files;
          c.scm = { files: null, cred: c.scm.cred };
        }
      }
      if (peek) {
        i++;
      } else {
        c.off += k;
        this.rxBytes -= k;
        if (c.off === c.data.length) {
          this.rx.shift();
          this.net.bufs.free(c.data);
        }
      }
      if (files || k < n) break;
    }
    if (files || cred) info.scm = { files, cred };
    if (!peek && done > 0) this.consumed();
    return done;
  }

  /**
   * tcp_recv_urg: recv MSG_OOB takes the urgent byte (MSG_PEEK leaves it);
   * EINVAL when there is none, it was taken, or it stays inline; a zero
   * length says MSG_TRUNC.
   */
  private recvUrgent(it: MsgIter, len: number, flags: number, info: RecvInfo): number {
    if (this.oobInline || this.urg !== URG_VALID) return -Errno.EINVAL;
    if (!(flags & S.MSG_PEEK)) this.urg = URG_READ;
    info.flags |= S.MSG_OOB;
    if (len === 0) {
      info.flags |= S.MSG_TRUNC;
      return 0;
    }
    if (!(flags & S.MSG_TRUNC) && it.toUser(Uint8Array.of(this.urgByte), 0, 1) < 1) return 0;
    return 1;
  }

  /**
   * tcp_recvmsg's reading around the urgent mark: a read stops just before
   * it (so SIOCATMARK can say the reader is there), and one starting at it
   * skips the urgent byte unless SO_OOBINLINE keeps it in the stream;
   * reading past it ends the urgent data. Bytes read (0: none, the caller
   * answers as for an empty queue).
   */
  private recvMarked(it: MsgIter, len: number, flags: number): number {
    const peek = (flags & S.MSG_PEEK) !== 0, discard = (flags & S.MSG_TRUNC) !== 0;
    const copied = this.rcvSeq - this.rxBytes, avail = this.rxBytes;
    let p = 0, done = 0;
    while (done < len && p < avail) {
      const seq = copied + p;
      if (seq === this.urgSeq) {
        if (done > 0) break;
        if (!this.oobInline) {
          p++;
          continue;
        }
      }
      // the chunk and offset p bytes in
      // (only the first chunk is part-read)
      let i = 0, off = this.rx[0]!.off + p;
      while (off >= this.rx[i]!.data.length) off -= this.rx[i++]!.data.length;
      const c = this.rx[i]!;
      let n = Math.min(len - done, c.data.length - off);
      if (this.urgSeq > seq) n = Math.min(n, this.urgSeq - seq);
      const k = discard ? n : it.toUser(c.data, off, n);
      if (k === 0) break;
      done += k;
      p += k;
      if (k < n) break;
    }
    if (!peek && p > 0) {
      this.dropFront(p);
      if (this.rcvSeq - this.rxBytes > this.urgSeq) this.urg = 0;
      this.consumed();
    }
    // (the urgent byte was all there was: nothing to read, as an empty queue)
    return done === 0 && p === avail ? -1 : done;
  }
  /** SIOCATMARK: the next byte to read is the urgent one */
  override atMark(): boolean {
    return this.urg !== 0 && this.urgSeq === this.rcvSeq - this.rxBytes;
  }

  override unrecv(data: Uint8Array): void {
    if (data.length === 0) return;
    this.rx.unshift({ data: data.slice(), off: 0, scm: null });
    this.rxBytes += data.length;
  }

  /** Data left our queue: a blocked sender on the other end may go on. */
  private consumed(): void {
    this.peer?.wq.wake(POLLOUT | POLLWRNORM | POLLWRBAND);
  }

  protected override inq(): number {
    if (this.state === 'listening') return -Errno.EINVAL;
    // (tcp_inq: an urgent byte not inline, not yet passed, ends what there is to read)
    return this.urgAhead() ? this.urgSeq - (this.rcvSeq - this.rxBytes) : this.rxBytes;
  }
  /** An urgent byte kept out of the stream lies ahead of the reader. */
  private urgAhead(): boolean {
    return this.urg !== 0 && !this.oobInline && this.urgSeq >= this.rcvSeq - this.rxBytes;
  }
  protected override outq(): number {
    return this.peer ? this.peer.rxBytes : 0;
  }

  override shutdown(how: number): number {
    if (how < 0 || how > 2) return -Errno.EINVAL;
    // (inet_shutdown: SYN_SENT disconnects, the bits stay clear)
    if (this.synTo !== null) {
      this.abortSynSent();
      return 0;
    }
    const mode = (how + 1) & S.SHUTDOWN_MASK;
    this.shut |= mode;
    if (this.tcp && this.state !== 'connected' && this.state !== 'listening') {
      this.wq.wake(0);
      return -Errno.ENOTCONN; // inet_shutdown: the bits are set all the same
    }
    const p = this.peer;
    if (p) {
      if (this.tcp) {
        if (mode & S.SEND_SHUTDOWN) {
          p.shut |= S.RCV_SHUTDOWN; // our FIN
          p.finReceived = true;
        }
      } else {
        // the peer stops sending what we stop receiving, and reads EOF once we stop sending
        if (mode & S.RCV_SHUTDOWN) p.shut |= S.SEND_SHUTDOWN;
        if (mode & S.SEND_SHUTDOWN) p.shut |= S.RCV_SHUTDOWN;
      }
      p.wq.wake(0);
    }
    if (this.state === 'listening' && this.tcp && mode & S.RCV_SHUTDOWN) this.closeListener();
    this.wq.wake(0);
    return 0;
  }

  /** unix_poll / tcp_poll */
  override poll(): number {
    let mask = 0;
    if (this.state === 'listening') return this.acceptq.length ? POLLIN | POLLRDNORM : 0;
    if (this.synTo !== null) return 0; // SYN_SENT: nothing yet
    if (this.soError) mask |= POLLERR;
    if (this.shut === S.SHUTDOWN_MASK || this.state === 'unconnected' || this.state === 'closed') mask |= POLLHUP;
    if (this.shut & S.RCV_SHUTDOWN) mask |= POLLRDHUP | POLLIN | POLLRDNORM;
    // (tcp_poll: an urgent byte not inline that is all there is to read makes nothing readable)
    if (this.rx.length && !(this.rxBytes === 1 && this.urgAhead())) mask |= POLLIN | POLLRDNORM;
    if (this.urg === URG_VALID) mask |= POLLPRI;
    const wr = this.tcp ? POLLOUT | POLLWRNORM : POLLOUT | POLLWRNORM | POLLWRBAND;
    if (this.tcp) {
      if (this.shut & S.SEND_SHUTDOWN || this.state !== 'connected' || !this.peer || this.room(this.peer) > 0) mask |= wr;
    } else if (!this.peer || this.room(this.peer) > 0 || this.shut & S.SEND_SHUTDOWN || this.peer.shut & S.RCV_SHUTDOWN) {
      mask |= wr;
    }
    return mask;
  }

  // ---- the end ----

  private detachPeer(): void {
    const p = this.peer;
    this.peer = null;
    if (p && p.peer === this) p.peer = null;
  }

  /** A listener closes: connections it never accepted are closed (their clients see a reset), and so are the
   * attempts still waiting for room (their SYNs now meet a closed port: refused). */
  private closeListener(): void {
    // each release sees its listener still set: its client gets a reset
    for (const c of this.acceptq.splice(0)) c.put();
    for (const w of this.synq.splice(0)) {
      w.s.synTo = null;
      w.s.soError = Errno.ECONNREFUSED;
      w.s.state = 'closed';
      w.s.shut = S.SHUTDOWN_MASK; // tcp_done
      w.s.wq.wake(POLLERR | POLLHUP);
    }
    this.state = 'closed';
  }

  /** InflightHolder: the files queued messages carry, a listener's not yet accepted connections' too (their queues
   * are reachable only through it: unix_gc's scan_children) */
  queuedFiles(): File[] {
    const r = queuedScmFiles(this.rx);
    for (const ch of this.acceptq) r.push(...ch.queuedFiles());
    return r;
  }
  /** InflightHolder: the queued messages' files go (their bytes stay), a listener's pending connections' too */
  dropQueuedFiles(): void {
    dropQueuedScmFiles(this.rx);
    for (const ch of this.acceptq) ch.dropQueuedFiles();
  }

  protected override release(): void {
    if (this.state === 'listening') this.closeListener();
    this.leaveSynq();
    const unread = this.rx.length > 0;
    for (const c of this.rx) {
      scmRelease(c.scm);
      this.net.bufs.free(c.data);
    }
    this.rx.length = 0;
    this.rxBytes = 0;
    const p = this.peer;
    if (p) {
      if (this.tcp) {
        const abort = unread || this.listener !== null || (this.lingerOn !== 0 && this.lingerSecs === 0);
        this.closing(p, abort);
        if (abort) {
          p.soError = Errno.ECONNRESET;
          p.shut = S.SHUTDOWN_MASK;
          p.state = 'closed';
          p.detachPeer();
        } else {
          p.shut |= S.RCV_SHUTDOWN;
          p.peerClosed = true;
          p.finReceived = true;
        }
      } else {
        p.shut = S.SHUTDOWN_MASK;
        if (unread || this.listener) p.soError = Errno.ECONNRESET;
      }
      p.wq.wake(0);
    }
    this.state = 'closed';
    this.unbind();
  }

  /** TCP: about to close towards p (abort: with a reset); the family may keep a TIME_WAIT. */
  protected closing(_p: StreamSocket, _abort: boolean): void {}

  /** Give up the bound name (the family's tables). */
  protected abstract unbind(): void;
}
