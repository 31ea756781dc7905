/**
 * /proc/net: the guest's own sockets as Linux lists them (net/ipv4/tcp_ipv4.c
 * tcp4_seq_show, udp4_format_sock, net/unix/af_unix.c unix_seq_show,
 * net/core/net-procfs.c dev_seq_show). Generated whole at open; procfs
 * asks through its provider.
 */
import * as S from '../abi/socket.js';
import type { NetStack } from './stack.js';
import { TcpSocket, UdpSocket, InetAddr, isV4, PortEntry } from './inet.js';
import { UnixStream, UnixDgram } from './unix.js';

const hex = (n: number, w: number): string => n.toString(16).toUpperCase().padStart(w, '0');

/** An address as /proc/net shows it: each 32-bit word in host (little-endian) order, then the port. */
function addr(a: InetAddr | null, v6: boolean): string {
  const ip = a?.ip ?? new Uint8Array(16), port = a?.port ?? 0;
  const word = (o: number): string => hex(((ip[o + 3]! << 24) | (ip[o + 2]! << 16) | (ip[o + 1]! << 8) | ip[o]!) >>> 0, 8);
  const h = v6 ? word(0) + word(4) + word(8) + word(12) : word(12);
  return `${h}:${hex(port, 4)}`;
}

const { TCP_ESTABLISHED, TCP_TIME_WAIT, TCP_CLOSE } = S;

/**
 * tcp4_seq_show / udp4_seq_show pad each line of the IPv4 files to a fixed
 * width (seq_setwidth, seq_pad); the IPv6 files are not padded.
 */
const TCP4_WIDTH = 149, UDP4_WIDTH = 127;
const V6_ADDRS = '  sl  local_address                         remote_address                        st';

function inetLines(net: NetStack, proto: 'tcp' | 'udp' | 'udplite', v6: boolean): string {
  const tail = ' tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode' + (proto === 'tcp' ? '' : ' ref pointer drops');
  const width = v6 ? 0 : proto === 'tcp' ? TCP4_WIDTH : UDP4_WIDTH;
  const head = (v6 ? V6_ADDRS : proto === 'tcp' ? '  sl  local_address rem_address   st' : '   sl  local_address rem_address   st') + tail;
  const wantFamily = v6 ? S.AF_INET6 : S.AF_INET;
  const rows: string[] = [];
  const seen = new Set<unknown>();
  const emit = (local: InetAddr | null, remote: InetAddr | null, st: number, uid: number, ino: number): void => {
    const i = rows.length;
    const body = `${addr(local, v6)} ${addr(remote, v6)} ${hex(st, 2)} 00000000:00000000 00:00000000 00000000 ${String(uid).padStart(5)}        0 ${ino}`;
    rows.push((proto === 'tcp' ? `${String(i).padStart(4)}: ${body} 1 0000000000000000 100 0 0 10 0` : `${String(i).padStart(5)}: ${body} 2 0000000000000000 0`).padEnd(width));
  };
  // a v6 socket is listed in tcp6; an IPv4 socket in tcp (as Linux, by the socket's family)
  for (const s of net.live()) {
    if (s.family !== wantFamily) continue;
    if (proto === 'tcp' && s instanceof TcpSocket) {
      seen.add(s);
      if (!s.local && s.state !== 'listening') continue;
      emit(s.local, s.state === 'connected' || s.synTo !== null ? s.remote : null, s.tcpState, s.uid, s.ino);
    } else if (proto !== 'tcp' && s instanceof UdpSocket && s.proto === proto && s.local) {
      emit(s.local, s.remote, s.remote ? TCP_ESTABLISHED : TCP_CLOSE, s.uid, s.ino);
    }
  }
  if (proto === 'tcp') {
    for (const e of net.bound('tcp') as PortEntry[]) {
      if (seen.has(e) || e instanceof TcpSocket || !e.local || isV4(e.local.ip) === v6) continue;
      emit(e.local, null, TCP_TIME_WAIT, e.uid, 0);
    }
  }
  return [head.padEnd(width), ...rows].join('\n') + '\n';
}

function unixLines(net: NetStack): string {
  const rows = ['Num       RefCount Protocol Flags    Type St Inode Path'];
  for (const s of net.live()) {
    if (!(s instanceof UnixStream) && !(s instanceof UnixDgram)) continue;
    const listening = s instanceof UnixStream && s.state === 'listening';
    const connected = s instanceof UnixStream ? s.state === 'connected' : s.peerSock !== null;
    let path = '';
    if (s.addr) {
      const name = s.addr.subarray(2);
      path = name[0] === 0
        ? ' @' + Buffer.from(name.subarray(1)).toString('latin1').replace(/\0/g, '@')
        : ' ' + Buffer.from(name.subarray(0, name.indexOf(0) < 0 ? name.length : name.indexOf(0))).toString('utf8');
    }
    rows.push(`0000000000000000: 00000002 00000000 ${listening ? '00010000' : '00000000'} ${hex(s.type, 4)} ${connected ? '03' : '01'} ${s.ino}${path}`);
  }
  return rows.join('\n') + '\n';
}

function devLines(net: NetStack): string {
  const rows = [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
  ];
  for (const i of net.interfaces) {
    rows.push(`${i.name.padStart(6)}:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0`);
  }
  return rows.join('\n') + '\n';
}

/** The files of /proc/net, by name. */
export function procNetFiles(net: NetStack): Record<string, () => string> {
  return {
    tcp: () => inetLines(net, 'tcp', false),
    tcp6: () => inetLines(net, 'tcp', true),
    udp: () => inetLines(net, 'udp', false),
    udp6: () => inetLines(net, 'udp', true),
    udplite: () => inetLines(net, 'udplite', false),
    udplite6: () => inetLines(net, 'udplite', true),
    unix: () => unixLines(net),
    dev: () => devLines(net),
  };
}
