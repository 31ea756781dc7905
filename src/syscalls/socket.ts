/**
 * The socket syscalls (net/socket.c, net/core/scm.c): socket, socketpair,
 * bind, listen, accept, accept4, connect, getsockname, getpeername,
 * sendto, recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg, shutdown,
 * setsockopt, getsockopt; and read/write/readv/writev on sockets, which
 * are sends and receives with no flags (sock_read_iter).
 *
 * This layer moves bytes between guest memory and the sockets of net/:
 * sockaddrs (move_addr_to_kernel / move_addr_to_user), iovecs, and control
 * messages (SCM_RIGHTS installs files in the receiver's table,
 * SCM_CREDENTIALS carries a ucred). Blocking follows read_write.ts: a
 * handler that cannot go on sleeps on the socket's queue and is re-run from
 * the start; what a stream send already queued is kept in t.sc.state so the
 * re-run goes on from there. SO_RCVTIMEO/SO_SNDTIMEO bound the sleep (then
 * EAGAIN, or the bytes moved), and a signal ends a timed sleep with EINTR
 * rather than a restart (sock_intr_errno).
 */
import { Errno, ErrnoError } from '../abi/errno.js';
import * as S from '../abi/socket.js';
import type { Task } from '../kernel/task.js';
import { monotonicNs } from '../kernel/events.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2, A3, A4, A5, BLOCKED } from './types.js';
import { File } from '../fs/file.js';
import { O_NONBLOCK } from '../fs/types.js';
import { Socket, Scm, Ucred, RecvInfo, newRecvInfo, scmRelease } from '../net/socket.js';
import { unixPair, unixDefaultCred } from '../net/unix.js';
import { StreamSocket } from '../net/stream.js';
import { fileOf } from './fd.js';
import { MultiWait } from './poll.js';
import { scratch, CHUNK } from './read_write.js';
import {
  copyIn, copyOut, readStruct, readI32, writeU32, writeU64, readIovecs, userBuf, Iovecs, IovIter, UIO_MAXIOV, UserPtr,
  readTimespec, writeTimespec,
} from './uaccess.js';
import { capable } from '../kernel/creds.js';
import { CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID } from '../abi/capability.js';

const SIGPIPE = 13;

/** The socket open at fd: -EBADF, or -ENOTSOCK for another kind of file. */
function sockOf(t: Task, fd: number): Socket | number {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  return f instanceof Socket ? f : -Errno.ENOTSOCK;
}

/** move_addr_to_kernel: a sockaddr of len bytes (EINVAL past sockaddr_storage or negative). */
function readSockaddr(t: Task, addr: UserPtr, len: number): Uint8Array {
  if (len < 0 || len > S.SOCKADDR_MAX) throw new ErrnoError(Errno.EINVAL);
  if (len === 0) return new Uint8Array(0);
  return copyIn(t, addr, len);
}

/** move_addr_to_user: as much of the sockaddr as *lenp allows; *lenp gets its whole length. */
function writeSockaddr(t: Task, addr: UserPtr, lenp: UserPtr, sa: Uint8Array): void {
  const len = readI32(t, lenp);
  if (len < 0) throw new ErrnoError(Errno.EINVAL);
  const n = Math.min(len, sa.length);
  if (n > 0) copyOut(t, addr, sa, 0, n);
  writeU32(t, lenp, sa.length);
}

function isNonblock(sock: Socket, flags: number): boolean {
  return (sock.flags & O_NONBLOCK) !== 0 || (flags & S.MSG_DONTWAIT) !== 0;
}

// ---- sleeping with a timeout ---------------------------------------------------------------

/** What a blocking socket call keeps across re-runs: its deadline, its wait, the bytes it moved. */
interface SockState {
  deadline: bigint | null;
  wait: MultiWait | null;
  done: number;
  /** connect: the TCP socket was in SYN_SENT already when the call began */
  already?: boolean;
}

/** This run's state: fresh on the first run; on a re-run, the last sleep's registrations are dropped. */
function sockState(t: Task, timeoNs: bigint): SockState {
  let st = t.sc.state as SockState | null;
  if (!st || !('deadline' in st)) {
    st = { deadline: timeoNs > 0n ? monotonicNs() + timeoNs : null, wait: null, done: 0 };
    t.sc.state = st;
  } else if (st.wait) {
    st.wait.done();
    st.wait = null;
  }
  return st;
}

/**
 * Sleep on the socket's queue until woken, the deadline or a signal.
 * Returns BLOCKED, or (the deadline passed) the bytes moved or -EAGAIN.
 */
function sockSleep(t: Task, sock: Socket, st: SockState): number {
  if (st.deadline === null) {
    // no timeout (the common case): a plain sleep on the queue; waking or a signal takes us off it
    const done = st.done;
    t.sc.cleanup = done > 0 ? () => done : null;
    return t.sleepOn(sock.wq);
  }
  if (monotonicNs() >= st.deadline) return st.done > 0 ? st.done : -Errno.EAGAIN;
  const w = new MultiWait(t, st.deadline);
  w.watch(sock.wq);
  st.wait = w;
  const r = w.sleep();
  t.sc.cleanup = () => {
    w.done();
    return st.done > 0 ? st.done : -Errno.EINTR;
  };
  return r;
}

function finish(t: Task, st: SockState, ret: number): number {
  if (st.wait) st.wait.done();
  t.sc.state = null;
  return ret;
}

// ---- sending ------------------------------------------------------------------------------------

/**
 * sock_sendmsg: send the guest bytes of v. Stream sockets take it in pieces
 * and a blocking send waits until all of it is queued; other types take
 * one message whole. scm goes with the first byte (released on failure).
 */
export function doSend(t: Task, sock: Socket, v: Iovecs, flags: number, to: Uint8Array | null, scm: Scm | null): number {
  const st = sockState(t, sock.sndTimeoNs);
  const nonblock = isNonblock(sock, flags);
  const it = new IovIter(t, v.iov);
  const fail = (e: number): number => {
    if (st.done > 0) return finish(t, st, st.done);
    scmRelease(scm);
    if (e === -Errno.EPIPE && sock.streaming && !(flags & S.MSG_NOSIGNAL)) t.kernel.signalTask(t, SIGPIPE);
    return finish(t, st, e);
  };
  if (!sock.streaming) {
    if (v.total > 16 << 20) return fail(-Errno.EMSGSIZE);
    const buf = v.total <= CHUNK ? scratch.subarray(0, v.total) : new Uint8Array(v.total);
    const k = it.fromUser(buf, 0, v.total);
    if (k < v.total) {
      scmRelease(scm);
      finish(t, st, 0);
      throw it.fault;
    }
    const n = sock.send(buf, flags, to, scm, t);
    if (n === -Errno.EAGAIN && !nonblock) {
      const r = sockSleep(t, sock, st);
      if (r !== BLOCKED) scmRelease(scm);
      return r === BLOCKED ? r : finish(t, st, r);
    }
    if (n < 0) return fail(n);
    return finish(t, st, n);
  }
  if (v.total === 0) {
    const n = sock.send(new Uint8Array(0), flags, to, scm, t);
    return n < 0 ? fail(n) : finish(t, st, n);
  }
  it.advance(st.done);
  if (sock instanceof StreamSocket) {
    // the kernel's own streams: guest memory is copied straight into the peer's queue
    while (st.done < v.total) {
      const want = Math.min(v.total - st.done, CHUNK);
      const n = sock.sendMsg(it, want, flags, to, st.done === 0 ? scm : null);
      if (n < 0) {
        if (n === -Errno.EAGAIN && !nonblock) {
          const r = sockSleep(t, sock, st);
          if (r === BLOCKED) return r;
          return fail(r);
        }
        return fail(n);
      }
      if (n === 0) {
        // a fault before the first byte of this piece
        if (st.done > 0) break;
        scmRelease(scm);
        finish(t, st, 0);
        throw it.fault;
      }
      st.done += n;
      if (it.fault) break;
      if (n < want) {
        // the rest waits for room; the re-run goes on from st.done
        if (nonblock) break;
        const r = sockSleep(t, sock, st);
        if (r === BLOCKED) return r;
        return fail(r);
      }
    }
    return finish(t, st, st.done);
  }
  while (st.done < v.total) {
    const want = Math.min(v.total - st.done, CHUNK);
    const k = it.fromUser(scratch, 0, want);
    const fault = it.fault;
    if (k === 0) {
      if (st.done > 0) break;
      scmRelease(scm);
      finish(t, st, 0);
      throw fault;
    }
    const n = sock.send(scratch.subarray(0, k), flags, to, st.done === 0 ? scm : null, t);
    if (n < 0) {
      if (n === -Errno.EAGAIN && !nonblock) {
        const r = sockSleep(t, sock, st);
        if (r === BLOCKED) return r;
        return fail(r);
      }
      return fail(n);
    }
    st.done += n;
    if (fault) break;
    if (n < k) {
      // the rest waits for room; the re-run reads it again from st.done
      if (nonblock) break;
      const r = sockSleep(t, sock, st);
      if (r === BLOCKED) return r;
      return fail(r);
    }
  }
  return finish(t, st, st.done);
}

/** __scm_send: the control messages of a sendmsg (SCM_RIGHTS, SCM_CREDENTIALS) for a unix socket. */
function readControl(t: Task, sock: Socket, addr: UserPtr, len: number): Scm | null {
  const unix = sock.family === S.AF_UNIX;
  const scm: Scm = { files: null, cred: null };
  const fail = (e: Errno): never => {
    scmRelease(scm);
    throw new ErrnoError(e);
  };
  if (len >= S.CMSGHDR_SIZE) {
    if (len > 0x7fffffff) throw new ErrnoError(Errno.ENOBUFS);
    const ctl = copyIn(t, addr, Math.min(len, 1 << 20));
    const dv = new DataView(ctl.buffer, ctl.byteOffset, ctl.length);
    let off = 0;
    while (off + S.CMSGHDR_SIZE <= ctl.length) {
      const clen = Number(dv.getBigUint64(off, true));
      if (clen < S.CMSGHDR_SIZE || clen > ctl.length - off) fail(Errno.EINVAL);
      const level = dv.getInt32(off + 8, true), type = dv.getInt32(off + 12, true);
      if (!unix && (level === S.SOL_IP || level === S.SOL_IPV6)) {
        // ip_cmsg_send / ip6_datagram_send_ctl: per-packet header fields
        const dlen = clen - S.CMSGHDR_SIZE, v = dlen >= 4 ? dv.getInt32(off + 16, true) : dlen === 1 ? ctl[off + 16]! : NaN;
        const ip = (scm.ipSend ??= {});
        if (level === S.SOL_IPV6 && (type === S.IPV6_HOPLIMIT || type === S.IPV6_TCLASS)) {
          if (dlen !== 4 || v < -1 || v > 255) fail(Errno.EINVAL);
          if (v >= 0) ip[type === S.IPV6_HOPLIMIT ? 'hoplimit' : 'tclass'] = v;
        } else if (level === S.SOL_IP && type === S.IP_TTL) {
          if (dlen !== 4 || v < 1 || v > 255) fail(Errno.EINVAL);
          ip.ttl = v;
        } else if (level === S.SOL_IP && type === S.IP_TOS) {
          if ((dlen !== 4 && dlen !== 1) || v < 0 || v > 255) fail(Errno.EINVAL);
          ip.tos = v;
        }
      } else if (level === S.SOL_SOCKET) {
        if (!unix && (type === S.SCM_RIGHTS || type === S.SCM_CREDENTIALS)) fail(Errno.EINVAL);
        if (type === S.SCM_RIGHTS) {
          const n = Math.floor((clen - S.CMSGHDR_SIZE) / 4);
          const files = scm.files ?? [];
          if (files.length + n > S.SCM_MAX_FD) fail(Errno.EINVAL);
          for (let i = 0; i < n; i++) {
            const f = t.files.get(dv.getInt32(off + S.CMSGHDR_SIZE + 4 * i, true));
            if (!f) fail(Errno.EBADF);
            files.push(f!.get());
            scm.files = files;
          }
          // (now and then the sockets only messages in flight hold, and nothing can reach, are collected)
          t.kernel.net.filesSent(n);
        } else if (type === S.SCM_CREDENTIALS) {
          if (clen !== S.CMSGHDR_SIZE + S.UCRED_SIZE) fail(Errno.EINVAL);
          const pid = dv.getInt32(off + 16, true), uid = dv.getUint32(off + 20, true), gid = dv.getUint32(off + 24, true);
          const c = t.creds;
          // scm_check_creds: one's own pid and ids unless privileged (CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID)
          if ((pid !== t.pid && !capable(c, CAP_SYS_ADMIN)) ||
            (uid !== c.uid && uid !== c.euid && uid !== c.suid && !capable(c, CAP_SETUID)) ||
            (gid !== c.gid && gid !== c.egid && gid !== c.sgid && !capable(c, CAP_SETGID))) fail(Errno.EPERM);
          // (find_get_pid: a pid that names nothing, not even a zombie, is ESRCH; then the ids must be valid)
          if (pid !== t.pid && !t.kernel.tasks.has(pid) && !t.kernel.tgs.has(pid)) fail(Errno.ESRCH);
          if (uid === 0xffffffff || gid === 0xffffffff) fail(Errno.EINVAL);
          scm.cred = { pid, uid, gid };
        } else if (type !== 36 /* SO_MARK */ && type !== 37 /* SO_TIMESTAMPING */ && type !== 61 /* SCM_TXTIME */) {
          fail(Errno.EINVAL);
        }
      }
      off += S.cmsgAlign(clen);
    }
  }
  if (!unix) return scm.ipSend ? scm : null;
  scm.cred ??= unixDefaultCred(t);
  return scm;
}

/** A parsed struct msghdr. */
interface MsgHdr {
  name: UserPtr;
  namelen: number;
  iov: Iovecs;
  control: UserPtr;
  controllen: number;
}

/** copy_msghdr_from_user (the iovecs read too). */
/** The msghdr at addr: read now, or, on a re-run after a sleep, the one the call read first (___sys_sendmsg and
 * ___sys_recvmsg copy it in once). */
function callMsghdr(t: Task, addr: UserPtr): MsgHdr {
  return (t.sc.state as { msg?: MsgHdr } | null)?.msg ?? readMsghdr(t, addr);
}
/** The call sleeps (its state is kept): its re-run takes m again (callMsghdr). */
function keepMsghdr(t: Task, m: MsgHdr): void {
  const st = t.sc.state as { msg?: MsgHdr } | null;
  if (st !== null && typeof st === 'object') st.msg = m;
}

function readMsghdr(t: Task, addr: UserPtr): MsgHdr {
  const dv = readStruct(t, addr, S.MSGHDR_SIZE);
  const u64 = (o: number): number => dv.getUint32(o + 4, true) * 0x100000000 + dv.getUint32(o, true);
  const namelen = dv.getInt32(S.MSG_NAMELEN, true);
  const iovlen = u64(S.MSG_IOVLEN);
  if (iovlen > UIO_MAXIOV) throw new ErrnoError(Errno.EMSGSIZE);
  const iov = readIovecs(t, u64(S.MSG_IOV), iovlen);
  return { name: u64(S.MSG_NAME), namelen, iov, control: u64(S.MSG_CONTROL), controllen: u64(S.MSG_CONTROLLEN) };
}

/** ____sys_sendmsg for one message. */
function sendOne(t: Task, sock: Socket, m: MsgHdr, flags: number): number {
  const to = m.name !== 0 && m.namelen !== 0 ? readSockaddr(t, m.name, m.namelen) : null;
  if (m.name !== 0 && m.namelen < 0) return -Errno.EINVAL;
  // a re-run after a sleep already holds the references of its first run's control data
  const st = t.sc.state as (SockState & { scm?: Scm | null }) | null;
  let scm: Scm | null;
  if (st && 'scm' in st) scm = st.scm ?? null;
  else {
    scm = readControl(t, sock, m.control, m.controllen);
    if (scm && sock.family === S.AF_UNIX) {
      const s = sockState(t, sock.sndTimeoNs) as SockState & { scm?: Scm | null };
      s.scm = scm;
    }
  }
  const r = doSend(t, sock, m.iov, flags, to, scm);
  if (r === BLOCKED) {
    const s = t.sc.state as SockState & { scm?: Scm | null };
    s.scm = scm;
    const prev = t.sc.cleanup;
    t.sc.cleanup = () => {
      const x = prev?.();
      if (s.done === 0) scmRelease(scm);
      return x;
    };
  }
  return r;
}

// ---- receiving ----------------------------------------------------------------------------------

/**
 * sock_recvmsg: receive into the guest segments of v. A stream socket with
 * MSG_WAITALL waits until all of v is filled (or EOF, an error, a signal).
 * info gets the sender's address and control data. The result is the bytes
 * received (or, with MSG_TRUNC on a datagram socket, its whole length).
 */
export function doRecv(t: Task, sock: Socket, v: Iovecs, flags: number, info: RecvInfo): number {
  if (flags & S.MSG_ERRQUEUE) return -Errno.EAGAIN; // nothing is ever queued on the error queue
  const st = sockState(t, sock.rcvTimeoNs);
  const nonblock = isNonblock(sock, flags);
  const it = new IovIter(t, v.iov);
  it.advance(st.done);
  const waitall = sock.streaming && (flags & S.MSG_WAITALL) !== 0 && !nonblock && !(flags & S.MSG_PEEK);
  const discard = sock.streaming && (flags & S.MSG_TRUNC) !== 0;
  if (sock.streaming && v.total === 0) return finish(t, st, 0);
  if (sock instanceof StreamSocket && sock.streaming) {
    // the kernel's own streams: the queue is copied straight to guest memory
    for (;;) {
      it.fault = null;
      const n = sock.recvMsg(it, v.total - st.done, flags, info);
      if (n < 0) {
        if (n === -Errno.EAGAIN && !nonblock && (st.done === 0 || waitall)) {
          const r = sockSleep(t, sock, st);
          if (r === BLOCKED) return r;
          return finish(t, st, r);
        }
        return finish(t, st, st.done > 0 ? st.done : n);
      }
      if (it.fault) {
        // what could not be copied stays queued; files that came with the bytes copied are closed
        scmRelease(info.scm);
        info.scm = null;
        if (st.done + n > 0) return finish(t, st, st.done + n);
        finish(t, st, 0);
        throw it.fault;
      }
      st.done += n;
      if (n === 0 || st.done >= v.total || !waitall || info.scm?.files) return finish(t, st, st.done);
    }
  }
  for (;;) {
    const want = Math.min(v.total - st.done, CHUNK);
    const n = sock.recv(scratch.subarray(0, want), flags, info);
    if (n < 0) {
      if (n === -Errno.EAGAIN && !nonblock && (st.done === 0 || waitall)) {
        const r = sockSleep(t, sock, st);
        if (r === BLOCKED) return r;
        return finish(t, st, r);
      }
      return finish(t, st, st.done > 0 ? st.done : n);
    }
    if (!discard) {
      const k = it.toUser(scratch, 0, n);
      if (k < n) {
        if (!(flags & S.MSG_PEEK)) sock.unrecv(scratch.subarray(k, n));
        scmRelease(info.scm);
        info.scm = null;
        if (st.done + k > 0) return finish(t, st, st.done + k);
        finish(t, st, 0);
        throw it.fault;
      }
    }
    if (!sock.streaming) {
      finish(t, st, 0);
      return flags & S.MSG_TRUNC ? info.fullLen : n;
    }
    st.done += n;
    if (n === 0 || st.done >= v.total || !waitall || info.scm?.files) return finish(t, st, st.done);
  }
}

/** writeControl's answer when there is nothing to write; immutable */
const NO_CONTROL: { readonly used: number; readonly ctrunc: boolean } = Object.freeze({ used: 0, ctrunc: false });

/** put_cmsg + scm_detach_fds: the control data of a receive, in the guest's control buffer. Returns the bytes used. */
function writeControl(t: Task, sock: Socket, info: RecvInfo, addr: UserPtr, len: number, flags: number): { used: number; ctrunc: boolean } {
  const scm = info.scm;
  if (!(sock.passCred && sock.family === S.AF_UNIX) && !info.cmsgs && !scm?.files?.length) return NO_CONTROL;
  let used = 0, ctrunc = false;
  const put = (level: number, type: number, data: Uint8Array): boolean => {
    const cmlen = S.CMSGHDR_SIZE + data.length;
    if (addr === 0 || len - used < S.CMSGHDR_SIZE) {
      ctrunc = true;
      return false;
    }
    const b = new Uint8Array(S.CMSGHDR_SIZE + data.length), dv = new DataView(b.buffer);
    const fits = Math.min(cmlen, len - used);
    if (fits < cmlen) ctrunc = true;
    dv.setBigUint64(0, BigInt(fits), true);
    dv.setInt32(8, level, true);
    dv.setInt32(12, type, true);
    b.set(data, S.CMSGHDR_SIZE);
    copyOut(t, addr + used, b, 0, fits);
    used = Math.min(len, used + S.cmsgSpace(data.length));
    return fits === cmlen;
  };
  if (sock.passCred && sock.family === S.AF_UNIX) {
    const c: Ucred = scm?.cred ?? { pid: 0, uid: 65534, gid: 65534 };
    const d = new Uint8Array(S.UCRED_SIZE), dv = new DataView(d.buffer);
    dv.setInt32(0, c.pid, true);
    dv.setUint32(4, c.uid, true);
    dv.setUint32(8, c.gid, true);
    put(S.SOL_SOCKET, S.SCM_CREDENTIALS, d);
  }
  for (const c of info.cmsgs ?? []) put(c.level, c.type, c.data);
  const files = scm?.files;
  if (files && files.length) {
    // scm_detach_fds: as many fds as fit; the rest are closed and MSG_CTRUNC set
    const room = addr === 0 || len - used < S.CMSGHDR_SIZE ? 0 : Math.floor((len - used - S.CMSGHDR_SIZE) / 4);
    const cloexec = (flags & S.MSG_CMSG_CLOEXEC) !== 0;
    const fds: number[] = [];
    let i = 0;
    for (; i < files.length && i < room; i++) {
      const fd = t.files.install(files[i]!, cloexec);
      if (fd < 0) {
        i++;
        ctrunc = true;
        break;
      }
      fds.push(fd);
    }
    for (; i < files.length; i++) files[i]!.put();
    if (i > fds.length || fds.length < files.length) ctrunc = true;
    if (fds.length) {
      const d = new Uint8Array(fds.length * 4), dv = new DataView(d.buffer);
      fds.forEach((fd, j) => dv.setInt32(j * 4, fd, true));
      put(S.SOL_SOCKET, S.SCM_RIGHTS, d);
    }
  }
  return { used, ctrunc };
}

/** ____sys_recvmsg for one message at msgAddr: the result, with msg_namelen, msg_controllen and msg_flags written back. */
function recvOne(t: Task, sock: Socket, msgAddr: UserPtr, flags: number): number {
  const m = callMsghdr(t, msgAddr);
  if (m.namelen < 0) return -Errno.EINVAL;
  const info = newRecvInfo();
  info.ctlRoom = m.control !== 0 ? m.controllen : 0;
  const n = doRecv(t, sock, m.iov, flags, info);
  keepMsghdr(t, m);
  if (n < 0) {
    scmRelease(info.scm);
    return n;
  }
  let namelen = 0;
  if (m.name !== 0 && info.from) {
    const k = Math.min(m.namelen, info.from.length);
    if (k > 0) copyOut(t, m.name, info.from, 0, k);
    namelen = info.from.length;
  }
  const ctl = writeControl(t, sock, info, m.control, m.controllen, flags);
  writeU32(t, msgAddr + S.MSG_NAMELEN, namelen);
  writeU64(t, msgAddr + S.MSG_CONTROLLEN, ctl.used);
  writeU32(t, msgAddr + S.MSG_FLAGS, info.flags | (ctl.ctrunc ? S.MSG_CTRUNC : 0));
  return n;
}

// ---- the syscalls -------------------------------------------------------------------------------

/** socket(2) */
export function sys_socket(t: Task, r: Regs): number {
  const family = r.getI32(A0), type = r.getI32(A1), protocol = r.getI32(A2);
  if (type & ~(S.SOCK_TYPE_MASK | S.SOCK_NONBLOCK | S.SOCK_CLOEXEC)) return -Errno.EINVAL;
  if (family < 0 || family >= S.AF_MAX) return -Errno.EAFNOSUPPORT;
  const base = type & S.SOCK_TYPE_MASK;
  if (base === 0 || base > S.SOCK_PACKET) return -Errno.EINVAL;
  const s = t.kernel.net.create(family, base, protocol, type & S.SOCK_NONBLOCK ? O_NONBLOCK : 0, { uid: t.creds.fsuid, gid: t.creds.fsgid });
  if (typeof s === 'number') return s;
  return t.files.install(s, (type & S.SOCK_CLOEXEC) !== 0);
}

/** socketpair(2) */
export function sys_socketpair(t: Task, r: Regs): number {
  const family = r.getI32(A0), type = r.getI32(A1), protocol = r.getI32(A2), sv = r.get(A3);
  if (type & ~(S.SOCK_TYPE_MASK | S.SOCK_NONBLOCK | S.SOCK_CLOEXEC)) return -Errno.EINVAL;
  if (family < 0 || family >= S.AF_MAX) return -Errno.EAFNOSUPPORT;
  const base = type & S.SOCK_TYPE_MASK;
  if (base === 0 || base > S.SOCK_PACKET) return -Errno.EINVAL;
  if (family !== S.AF_UNIX) {
    const probe = t.kernel.net.create(family, base, protocol, 0, { uid: 0, gid: 0 });
    if (typeof probe === 'number') return probe;
    probe.put();
    return -Errno.EOPNOTSUPP;
  }
  const p = unixPair(t.kernel.net, base, protocol, type & S.SOCK_NONBLOCK ? O_NONBLOCK : 0, t);
  if (typeof p === 'number') return p;
  for (const s of p) t.kernel.net.track(s);
  const cloexec = (type & S.SOCK_CLOEXEC) !== 0;
  const a = t.files.install(p[0], cloexec);
  if (a < 0) {
    p[1].put();
    return a;
  }
  const b = t.files.install(p[1], cloexec);
  if (b < 0) {
    t.files.close(a);
    return b;
  }
  try {
    copyOut(t, sv, new Uint8Array(new Int32Array([a, b]).buffer));
  } catch (e) {
    t.files.close(a);
    t.files.close(b);
    throw e;
  }
  return 0;
}

/** bind(2) */
export function sys_bind(t: Task, r: Regs): number {
  const s = sockOf(t, r.getI32(A0));
  if (typeof s === 'number') return s;
  return s.bind(readSockaddr(t, r.get(A1), r.getI32(A2)), t);
}

/** listen(2) */
export function sys_listen(t: Task, r: Regs): number {
  const s = sockOf(t, r.getI32(A0));
  if (typeof s === 'number') return s;
  return s.listen(r.getI32(A1), t);
}

/** connect(2): blocks only while a listener's queue is full. */
export function sys_connect(t: Task, r: Regs): number {
  const s = sockOf(t, r.getI32(A0));
  if (typeof s === 'number') return s;
  const addr = readSockaddr(t, r.get(A1), r.getI32(A2));
  const nonblock = (s.flags & O_NONBLOCK) !== 0;
  const rerun = t.sc.state !== null && typeof t.sc.state === 'object' && 'deadline' in t.sc.state;
  const tcp = s instanceof StreamSocket && s.tcp;
  // the TCP attempt this call slept on was disconnected meanwhile (shutdown, connect(AF_UNSPEC)): its error
  // (inet_wait_for_connect, then sock_error)
  if (rerun && tcp && s.state === 'unconnected' && s.synTo === null) {
    const e = s.soError || Errno.ECONNRESET;
    s.soError = 0;
    return finish(t, sockState(t, 0n), -e);
  }
  // (a TCP socket already in SYN_SENT as this call starts: its timeout is EALREADY, not EINPROGRESS)
  const already = !rerun && tcp && s.synTo !== null;
  const st = sockState(t, s.sndTimeoNs);
  if (already) st.already = true;
  const ret = s.connect(addr, t, nonblock);
  if (ret === -Errno.EAGAIN && !nonblock) {
    const w = sockSleep(t, s, st);
    if (w === BLOCKED) return w;
    // SO_SNDTIMEO passed: a TCP attempt goes on without the caller (__inet_stream_connect's EINPROGRESS)
    const tcpWaits = w === -Errno.EAGAIN && s instanceof StreamSocket && s.synTo !== null;
    return finish(t, st, tcpWaits ? (st.already ? -Errno.EALREADY : -Errno.EINPROGRESS) : w);
  }
  return finish(t, st, ret);
}

function doAccept(t: Task, fd: number, addr: UserPtr, lenp: UserPtr, flags: number): number {
  if (flags & ~(S.SOCK_CLOEXEC | S.SOCK_NONBLOCK)) return -Errno.EINVAL;
  const s = sockOf(t, fd);
  if (typeof s === 'number') return s;
  if (addr !== 0 && readI32(t, lenp) < 0) return -Errno.EINVAL;
  const st = sockState(t, s.rcvTimeoNs);
  const c = s.accept(flags & S.SOCK_NONBLOCK ? O_NONBLOCK : 0);
  if (c === -Errno.EAGAIN && !(s.flags & O_NONBLOCK)) {
    const w = sockSleep(t, s, st);
    return w === BLOCKED ? w : finish(t, st, w);
  }
  finish(t, st, 0);
  if (typeof c === 'number') return c;
  t.kernel.net.track(c);
  if (addr !== 0) {
    const sa = c.name(true);
    try {
      writeSockaddr(t, addr, lenp, typeof sa === 'number' ? new Uint8Array([s.family, 0]) : sa);
    } catch (e) {
      c.put();
      throw e;
    }
  }
  return t.files.install(c, (flags & S.SOCK_CLOEXEC) !== 0);
}

/** accept(2) */
export function sys_accept(t: Task, r: Regs): number {
  return doAccept(t, r.getI32(A0), r.get(A1), r.get(A2), 0);
}

/** accept4(2) */
export function sys_accept4(t: Task, r: Regs): number {
  return doAccept(t, r.getI32(A0), r.get(A1), r.get(A2), r.getI32(A3));
}

function doName(t: Task, r: Regs, peer: boolean): number {
  const s = sockOf(t, r.getI32(A0));
  if (typeof s === 'number') return s;
  const sa = s.name(peer);
  if (typeof sa === 'number') return sa;
  writeSockaddr(t, r.get(A1), r.get(A2), sa);
  return 0;
}

/** getsockname(2) */
export function sys_getsockname(t: Task, r: Regs): number {
  return doName(t, r, false);
}

/** getpeername(2) */
export function sys_getpeername(t: Task, r: Regs): number {
  return doName(t, r, true);
}

/** sendto(2) */
export function sys_sendto(t: Task, r: Regs): number {
  // (import_ubuf before the fd: a bad buffer is EFAULT whatever the fd)
  const iov = userBuf(r.get(A1), r.get(A2));
  const s = sockOf(t, r.getI32(A0));
  if (typeof s === 'number') return s;
  const flags = r.getI32(A3), addr = r.get(A4), alen = r.getI32(A5);
  const to = addr !== 0 && alen !== 0 ? readSockaddr(t, addr, alen) : null;
  if (addr !== 0 && alen < 0) return -Errno.EINVAL;
  const scm = s.family === S.AF_UNIX ? { files: null, cred: unixDefaultCred(t) } : null;
  return doSend(t, s, iov, flags, to, scm);
}

/** recvfrom(2) */
export function sys_recvfrom(t: Task, r: Regs): number {
  const iov = userBuf(r.get(A1), r.get(A2));
  const s = sockOf(t, r.getI32(A0));
  if (typeof s === 'number') return s;
  const flags = r.getI32(A3), addr = r.get(A4), lenp = r.get(A5);
  const info = newRecvInfo();
  const n = doRecv(t, s, iov, flags, info);
  // a receive delivers no files without recvmsg's control buffer: they are closed
  scmRelease(info.scm);
  if (n < 0) return n;
  if (addr !== 0) {
    if (info.from) writeSockaddr(t, addr, lenp, info.from);
    else writeU32(t, lenp, 0);
  }
  return n;
}

/** sendmsg(2) */
export function sys_sendmsg(t: Task, r: Regs): number {
  const s = sockOf(t, r.getI32(A0));
  if (typeof s === 'number') return s;
  const m = callMsghdr(t, r.get(A1));
  const n = sendOne(t, s, m, r.getI32(A2));
  keepMsghdr(t, m);
  return n;
}

/** recvmsg(2) */
export function sys_recvmsg(t: Task, r: Regs): number {
  const s = sockOf(t, r.getI32(A0));
  if (typeof s === 'number') return s;
  return recvOne(t, s, r.get(A1), r.getI32(A2));
}

/**
 * What sendmmsg/recvmmsg keep across a sleep in one of their messages: the
 * messages done, the sleeping message's own state (its SockState), and
 * recvmmsg's deadline.
 */
interface MmsgState {
  mmsgDone: number;
  inner: unknown;
  end: bigint | null;
}

/**
 * __sys_sendmmsg / __sys_recvmmsg: one message after another over a struct
 * mmsghdr array, each as sendmsg/recvmsg would move it (so each may block:
 * the sleep keeps the count done in MmsgState and the re-run goes on from
 * there); msg_len gets each count. sendmmsg stops after a message sent in
 * part; recvmmsg stops once MSG_WAITFORONE's first datagram is in (the rest
 * do not wait) or, after a datagram, once its timeout has passed (only
 * then: recvmmsg(2), BUGS), and writes back what is left of the timeout.
 * The count done is returned, or the first message's error: an error
 * after that ends the loop, and recvmmsg keeps it (but EAGAIN) in SO_ERROR
 * for the next call, as Linux does. A signal while message i sleeps ends
 * the call with i (or i+1 if that one moved some bytes), or restarts it
 * if i is 0.
 */
function mmsgLoop(t: Task, r: Regs, send: boolean): number {
  const vec = r.get(A1), vlen = Math.min(r.getU32(A2), UIO_MAXIOV), flags = r.getI32(A3), tp = send ? 0 : r.get(A4);
  let ms = t.sc.state as MmsgState | null;
  if (!ms || !('mmsgDone' in ms)) {
    // do_recvmmsg's order: the timeout is read (EFAULT) and checked (EINVAL) before the fd
    const ns = tp !== 0 ? readTimespec(t, tp) : null;
    ms = { mmsgDone: 0, inner: null, end: ns === null ? null : monotonicNs() + ns };
  }
  const s = sockOf(t, r.getI32(A0));
  if (typeof s === 'number') return s;
  t.sc.state = ms.inner;
  let err = 0;
  while (ms.mmsgDone < vlen) {
    const i = ms.mmsgDone, at = vec + i * S.MMSGHDR_SIZE;
    let n: number, part = false;
    try {
      if (send) {
        const m = callMsghdr(t, at);
        n = sendOne(t, s, m, flags);
        keepMsghdr(t, m);
        part = n >= 0 && n < m.iov.total;
      } else {
        n = recvOne(t, s, at, i > 0 && flags & S.MSG_WAITFORONE ? (flags & ~S.MSG_WAITFORONE) | S.MSG_DONTWAIT : flags & ~S.MSG_WAITFORONE);
      }
    } catch (e) {
      if (i === 0 || !(e instanceof ErrnoError)) throw e;
      n = -e.errno;
    }
    if (n === BLOCKED) {
      ms.inner = t.sc.state;
      t.sc.state = ms;
      const inner = t.sc.cleanup;
      t.sc.cleanup = () => {
        const x = inner?.();
        if (typeof x === 'number' && x > 0) {
          try {
            writeU32(t, at + S.MMSG_LEN, x);
          } catch {
            // the count stands; Linux's put_user would have failed the same way
          }
          return i + 1;
        }
        return i > 0 ? i : x;
      };
      return n;
    }
    ms.inner = t.sc.state = null;
    t.sc.cleanup = null;
    if (n < 0) {
      err = n;
      break;
    }
    try {
      writeU32(t, at + S.MMSG_LEN, n);
    } catch (e) {
      if (i === 0 || !(e instanceof ErrnoError)) throw e;
      err = -e.errno;
      break;
    }
    ms.mmsgDone++;
    if (part) break;
    if (ms.end !== null && monotonicNs() >= ms.end) break;
  }
  const done = ms.mmsgDone;
  t.sc.state = null;
  if (done === 0) return err;
  if (!send && err !== 0 && err !== -Errno.EAGAIN) s.soError = -err;
  if (ms.end !== null) writeTimespec(t, tp, ms.end > monotonicNs() ? ms.end - monotonicNs() : 0n);
  return done;
}

/** sendmmsg(2) */
export function sys_sendmmsg(t: Task, r: Regs): number {
  return mmsgLoop(t, r, true);
}

/** recvmmsg(2) */
export function sys_recvmmsg(t: Task, r: Regs): number {
  return mmsgLoop(t, r, false);
}

/** shutdown(2) */
export function sys_shutdown(t: Task, r: Regs): number {
  const s = sockOf(t, r.getI32(A0));
  if (typeof s === 'number') return s;
  return s.shutdown(r.getI32(A1));
}

/** setsockopt(2) */
export function sys_setsockopt(t: Task, r: Regs): number {
  const s = sockOf(t, r.getI32(A0));
  if (typeof s === 'number') return s;
  const level = r.getI32(A1), name = r.getI32(A2), val = r.get(A3), len = r.getI32(A4);
  if (len < 0) return -Errno.EINVAL;
  const v = len === 0 ? new Uint8Array(0) : copyIn(t, val, Math.min(len, 4096));
  return s.setsockopt(level, name, v, t);
}

/** getsockopt(2) */
export function sys_getsockopt(t: Task, r: Regs): number {
  const s = sockOf(t, r.getI32(A0));
  if (typeof s === 'number') return s;
  const level = r.getI32(A1), name = r.getI32(A2), val = r.get(A3), lenp = r.get(A4);
  const len = readI32(t, lenp);
  if (len < 0) return -Errno.EINVAL;
  const v = s.getsockopt(level, name);
  if (typeof v === 'number') return v;
  const n = Math.min(len, v.length);
  if (n > 0) copyOut(t, val, v, 0, n);
  writeU32(t, lenp, n);
  return 0;
}

/** read(2)/readv(2) on a socket: a receive with no flags. */
export function sockRead(t: Task, f: File, v: Iovecs): number {
  const info = newRecvInfo();
  const n = doRecv(t, f as Socket, v, 0, info);
  scmRelease(info.scm);
  return n;
}

/** write(2)/writev(2) on a socket: a send with no flags (SIGPIPE on EPIPE). */
export function sockWrite(t: Task, f: File, v: Iovecs): number {
  const s = f as Socket;
  return doSend(t, s, v, 0, null, s.family === S.AF_UNIX ? { files: null, cred: unixDefaultCred(t) } : null);
}

