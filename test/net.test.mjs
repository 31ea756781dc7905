// Sockets (issue 10), differentially: AF_UNIX socketpairs, filesystem and
// abstract names, datagrams, SCM_RIGHTS/SCM_CREDENTIALS/SO_PEERCRED, and TCP
// and UDP over 127.0.0.1 and ::1. Each guest prints facts (errno names, 0/1
// answers, never ports, pids or fds), so its output must match the host
// kernel's line for line.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildGuest, assertSameAsNative, assertNoLeftovers, runNative, runUmlts, makeScratch, rmScratch, firstDifference,
} from './lib.mjs';

afterEach(() => assertNoLeftovers());

const TIMEOUT = 60_000;

/** Run an AF_UNIX guest that takes a directory for its socket names as
 * argv[1]: natively and under umlts in a host scratch directory (mounted
 * writable at the same path: the default root is read-only), then under umlts
 * again in the guest's own /tmp (umlts's tmpfs). The guest prints paths
 * relative to the directory, so all three outputs must be the same. */
function unixDifferential(name) {
  const g = buildGuest(name);
  const dir = makeScratch(name);
  try {
    const { native } = assertSameAsNative([g, dir], ['--mount', `${dir}:${dir}`], { timeout: TIMEOUT });
    const um = runUmlts(['--cwd', '/'], [g, '/tmp'], { timeout: TIMEOUT });
    if (um.stdout !== native.stdout) {
      assert.fail(`with argv[1]=/tmp (the guest's tmpfs): stdout differs from native (run in ${dir})\n` +
        `${firstDifference(native.stdout, um.stdout)}\n${um.describe()}`);
    }
    assert.equal(um.code, native.code, `with argv[1]=/tmp: exit status differs from native\n${um.describe()}`);
    return native;
  } finally {
    rmScratch(dir);
  }
}

test('AF_UNIX: socketpairs, shutdown, SIGPIPE, message boundaries, path and abstract names, autobind, datagrams, errors', () => {
  const native = unixDifferential('net_unix');
  assert.match(native.stdout, /\ndone\n$/, 'the guest ran to the end natively');
  assert.match(native.stdout, /^stream write after peer close: -1 EPIPE\n {2}SIGPIPEs 1\n/m);
  assert.match(native.stdout, /^recv MSG_WAITALL 6 \(child writes 3\+3\): 6\n/m);
  assert.match(native.stdout, /^getsockname bound: DIR\/s1 len-ok 1 family 1\n/m);
  assert.match(native.stdout, /^autobind name: len 8 first byte 0 five hex digits 1\n/m);
  assert.match(native.stdout, /^d3 sendto d1 \(connected elsewhere\): -1 EPERM\n/m);
  assert.match(native.stdout, /^connect to the name of a closed listener: -1 ECONNREFUSED\n/m);
  assert.match(native.stdout, /^ {2}recv MSG_DONTWAIT: -1 EAGAIN\n {2}recv: 0\n/m);
});

test('AF_UNIX ancillary data: SCM_RIGHTS across fork and exec, MSG_CTRUNC, passing sockets, SCM_CREDENTIALS, SO_PEERCRED', () => {
  const native = unixDifferential('net_scm');
  assert.match(native.stdout, /\ndone\n$/, 'the guest ran to the end natively');
  assert.match(native.stdout, /^exec child: got 345\n/m);
  assert.match(native.stdout, /^parent reads the pipe: 12 through exec\n/m);
  assert.match(native.stdout, /^parent's file offset after the child read: 6\n/m);
  assert.match(native.stdout, /^ {2}pipes at EOF \(the 2 that did not fit were closed\): 0 0 1 1\n/m);
  assert.match(native.stdout, /^ {2}SCM_CREDENTIALS 1 pid is the child's 1 uid 1 gid 1\n/m);
  assert.match(native.stdout, /^sendmsg with SCM_CREDENTIALS of a pid that names nothing: -1 ESRCH\nsendmsg with SCM_CREDENTIALS of uid -1: -1 EINVAL\n/m);
});

test('TCP and UDP over 127.0.0.1 and ::1: connect/accept, refused, address in use, options, dual stack, 50 clients, epoll, EPIPE, 8 MiB', () => {
  const g = buildGuest('net_inet');
  const { native } = assertSameAsNative([g], [], { timeout: TIMEOUT });
  assert.match(native.stdout, /\ndone\n$/, 'the guest ran to the end natively');
  assert.match(native.stdout, /^accepted 50, values 50, sent 50, sum 1225\n/m);
  assert.match(native.stdout, /^received 8388608 bytes, 0 bad, checksum \d+, last read 0\n/m);
  assert.match(native.stdout, /^v4 client accepted by a v6 listener: OK peer ::ffff:127\.0\.0\.1 family AF_INET6 1\n/m);
  assert.match(native.stdout, /^v4 connect to a v6-only listener: -1 ECONNREFUSED\n/m);
  assert.match(native.stdout, /^connect to a port with no listener: -1 ECONNREFUSED\n/m);
  assert.match(native.stdout, /^set TCP_MAXSEG 1: -1 EINVAL\n/m);
  assert.match(native.stdout, /^set TCP_CONGESTION bogus: -1 ENOENT\nset TCP_CONGESTION reno: 0\n {2}now reno\n/m);
});

test('the socket guests are deterministic natively (a flaky guest would make the differential tests meaningless)', () => {
  for (const name of ['net_unix', 'net_scm', 'net_inet']) {
    const g = buildGuest(name);
    const outs = [];
    for (let i = 0; i < 2; i++) {
      const dir = makeScratch(name);
      try {
        const r = runNative([g, dir], { timeout: TIMEOUT });
        assert.equal(r.code, 0, r.describe());
        outs.push(r.stdout);
      } finally {
        rmScratch(dir);
      }
    }
    if (outs[0] !== outs[1]) assert.fail(`${name} differs between two native runs\n${firstDifference(outs[0], outs[1], 'run 1', 'run 2')}`);
  }
});

test('socket calls and signals: restart after SA_RESTART, EINTR without, EINTR with SO_RCVTIMEO either way', () => {
  const g = buildGuest('net_intr');
  const { native } = assertSameAsNative([g], [], { timeout: TIMEOUT });
  assert.match(native.stdout, /^recv, SA_RESTART 1: 1 byte \(alarms 1\)\nrecv with SO_RCVTIMEO, SA_RESTART 1: EINTR/m);
});

// MSG_OOB on TCP was EOPNOTSUPP (CPython's test_ftplib test_abort), and every fcntl owner command EINVAL
test('TCP urgent data (MSG_OOB, SIOCATMARK, SO_OOBINLINE, POLLPRI, SIGURG to the owner) and fcntl F_SETOWN and kin, as on Linux', () => {
  const g = buildGuest('tcp_oob');
  const { native } = assertSameAsNative([g], [], { timeout: TIMEOUT });
  assert.match(native.stdout, /^after reading up to the mark: +atmark 1, inq 0, poll PRI, SIGURG so far 1$/m);
  assert.match(native.stdout, /^recv MSG_OOB +1 "c"$/m);
  assert.match(native.stdout, /^F_SETOWN -pgrp: 0, F_GETOWN is -pgrp: 1, F_GETOWN_EX type 2, is pgrp 1$/m);
});

test("what CPython's suites ask: a connected UDP socket's source address, UDP-Lite, IPv6 control messages, pidfds", () => {
  const g = buildGuest('net_extra');
  const { native } = assertSameAsNative([g], [], { timeout: TIMEOUT });
  assert.match(native.stdout, /after 0\.0\.0\.0: local ::ffff:127\.0\.0\.1/);
  assert.match(native.stdout, /\[lvl 41 type 52 len 20 val 3\] \[lvl 41 type 67 len 20 val 16\]/);
  assert.match(native.stdout, /epoll_wait = 1 events=0x1/);
});

test('sendmmsg and recvmmsg block on each message; recvmmsg checks its timeout after each datagram and writes back the rest', () => {
  const g = buildGuest('net_more');
  const { native } = assertSameAsNative([g, 'mmsg'], [], { timeout: TIMEOUT });
  assert.match(native.stdout, /^sendmmsg blocking stream: 3, lens 65536 65536 65536\n/m);
  assert.match(native.stdout, /^recvmmsg 3 with 50 ms timeout, third 300 ms late: 3 \(one two three\), waited >= 200 ms 1, timeout left 0\.000000000\n/m);
  assert.match(native.stdout, /^recvmmsg 3 with 100 ms timeout, datagrams 400 ms apart: 2 \(four five\)/m);
  assert.match(native.stdout, /^recvmmsg 2 of 2 waiting, 10 s timeout: 2, left between 9 and 10 s 1\n/m);
});

test('sendfile and splice to a socket whose peer is gone: EPIPE and SIGPIPE (unix stream, TCP reset, TCP shut down)', () => {
  const g = buildGuest('net_more');
  const dir = makeScratch('net_more');
  try {
    const { native } = assertSameAsNative([g, 'sigpipe', dir], ['--mount', `${dir}:${dir}`], { timeout: TIMEOUT });
    assert.equal(native.stdout.match(/-1 EPIPE, SIGPIPEs 1\n/g)?.length, 6, native.stdout);
  } finally {
    rmScratch(dir);
  }
});

test('--net host: recvmsg passes the host socket\'s control messages (IP_PKTINFO, IP_TTL, SO_TIMESTAMP, MSG_CTRUNC)', () => {
  const g = buildGuest('net_more');
  const { native } = assertSameAsNative([g, 'cmsg'], ['--net', 'host'], { timeout: TIMEOUT });
  assert.match(native.stdout, /^ {2}IP_PKTINFO len 28 ifindex-set 1 spec_dst 127\.0\.0\.1 addr 127\.0\.0\.1\n/m);
  assert.match(native.stdout, /^ {2}SO_TIMESTAMP len 32 within 10 s of the call 1\n/m);
  assert.match(native.stdout, /^recvmsg, room for one: 5, MSG_CTRUNC 1/m);
});

test('/proc/net/udplite and udplite6 exist, with the udp files\' header', () => {
  const g = buildGuest('net_more');
  const { native } = assertSameAsNative([g, 'udplite'], [], { timeout: TIMEOUT });
  assert.match(native.stdout, /^\/proc\/net\/udplite6: sl local_address remote_address\n/m);
});

test('a blocking TCP writer far ahead of its reader, on the private loopback and on host sockets (--net host)', () => {
  const g = buildGuest('net_more');
  for (const flags of [[], ['--net', 'host']]) {
    const { native } = assertSameAsNative([g, 'bulk'], flags, { timeout: TIMEOUT });
    assert.match(native.stdout, /^writer sent 16777216 bytes\nreader got 16777216 bytes, last read 0\n/m);
  }
});

// unix_gc: cycles of sockets only messages in flight hold are collected (the kernel's memory stays bounded: a guest
// could make them without end); a socket in flight that the process can still reach survives every collection
test('SCM_RIGHTS: unreachable sockets in flight are collected, a reachable one survives', () => {
  const g = buildGuest('scm_gc');
  const { native } = assertSameAsNative([g], [], { timeout: 120_000 });
  assert.match(native.stdout, /^files sent in cycles: 120000\nsockets left of 60000: fewer than 20000\nsockets left of 60000 more: fewer than 20000\nthe kept socket received: yes\nit reads: 5 "alive"\n$/);
});

// a full accept queue drops a TCP SYN: the connect waits in SYN_SENT (Linux retransmits; umlts joins the queue as
// accept or a larger listen backlog makes room) rather than being refused; shutdown or connect(AF_UNSPEC) disconnects
// it; closing the listener refuses whoever still waits
test('TCP connect to a full accept queue waits in SYN_SENT until accept makes room', () => {
  const g = buildGuest('tcp_backlog', ['-pthread']);
  const { native } = assertSameAsNative([g], [], { timeout: 60_000 });
  assert.match(native.stdout, /^c after 300 ms: revents 0, state 2 \(SYN_SENT is 2\), a second connect: -1 Operation already in progress\n/m);
  assert.match(native.stdout, /^c once there is room: connected 1, a connect now: 0, and then: -1 Transport endpoint is already connected\n/m);
  assert.match(native.stdout, /^d still waits \(the queue is full again\): 1\naccepted another: 1\nd: connect 0 \n/m);
  assert.match(native.stdout, /^g \(blocking, the queue full\): shutdown while it waits: 0, state 7\n {2}its connect: -1 Connection reset by peer\n/m);
  assert.match(native.stdout, /^h: connect\(AF_UNSPEC\) 0, state 7, SO_ERROR Connection reset by peer\n/m);
  assert.match(native.stdout, /^i then: connected 1\n/m);
  assert.match(native.stdout, /^e after the listener closed: revents 0x201d, SO_ERROR Connection refused\n/m);
});
