// Pseudo-terminals (src/fs/tty/pty.ts, devpts.ts): differential C guests
// (one process; sessions, hangups and packet mode between processes), and
// the programs that use them — script(1), python's pty module, an
// interactive shell. None of this needs the tests to run on a terminal:
// every guest gets its terminal from /dev/ptmx.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { buildGuest, assertSameAsNative, assertNoLeftovers, runUmlts, runNative, makeScratch, rmScratch, CLEAN_ENV } from './lib.mjs';

afterEach(() => assertNoLeftovers());

const PYTHON = '/usr/bin/python3';
const SCRIPT = '/usr/bin/script';

test('openpty in one process: lock, names, attributes, termios, canonical and raw I/O both ways, winsize', () => {
  const g = buildGuest('pty_basic');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /open locked slave: EIO\n/);
  assert.match(native.stdout, /slave reads: 12 "hello there\\n"\n/);
  assert.match(native.stdout, /master reads slave output: 11 "out\\r\\nline\\r\\n"\n/);
  assert.match(native.stdout, /slave reads raw: 5 "a\\rb\\x03\\x7f"\n/);
  assert.match(native.stdout, /ttyname\(slave\) == ptsname: 1\n/);
  assert.match(native.stdout, /slave sees: 24 80 1 2\n/);
});

test('ptys between processes: controlling terminal, ^C, SIGWINCH, hangup on master close, EIO after slave close, packet mode', () => {
  const g = buildGuest('pty_session');
  const { native } = assertSameAsNative([g], [], { timeout: 60_000 });
  assert.match(native.stdout, /child: read interrupted: EINTR, SIGINT 1\n/);
  assert.match(native.stdout, /child: SIGWINCH 1, size 100x30\n/);
  assert.match(native.stdout, /child: read after hangup: 0 \n  child: write after hangup: EIO\n  child: SIGHUP pending 1\n/);
  assert.match(native.stdout, /master read after the slave closed: EIO\n/);
  assert.match(native.stdout, /TIOCSCTTY: OK\n/);
  assert.match(native.stdout, /TCIFLUSH: 1 "\\x01"\n/);
  assert.match(native.stdout, /\^C: 1 "\\x03"\nthen: 3 "\\x00\^C"\n/);
});

test("devpts as a distribution mounts it: /dev/pts/N is 136:N, the opener's, group tty, mode 0620", () => {
  const prog = [
    'import os',
    'm, s = os.openpty()',
    'st = os.fstat(s)',
    'n = os.ttyname(s)',
    'print(oct(st.st_mode), st.st_uid == os.geteuid(), st.st_gid, os.major(st.st_rdev), os.minor(st.st_rdev) == int(n[9:]))',
    'print(sorted(os.listdir("/dev/pts")) == sorted(["ptmx", n[9:]]))',
    'print([l.split()[2:4] for l in open("/proc/mounts") if l.split()[1] == "/dev/pts"])',
    'os.close(m)',
    'print(os.path.exists(n), os.isatty(s))',
  ].join('\n');
  const r = runUmlts([], [PYTHON, '-c', prog]);
  assert.equal(r.code, 0, r.describe());
  const tty = /^tty:[^:]*:(\d+):/m.exec(fs.readFileSync('/etc/group', 'utf8'));
  assert.ok(tty, 'the host root has a tty group');
  assert.equal(r.stdout, `0o20620 True ${tty[1]} 136 True\nTrue\n` +
    "[['devpts', 'rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000']]\nFalse False\n", r.describe());
  // another user's pty is that user's
  const u = runUmlts(['--user', '1234:1234'], [PYTHON, '-c', 'import os\nm, s = os.openpty()\nst = os.fstat(s)\nprint(st.st_uid, st.st_gid)']);
  assert.equal(u.code, 0, u.describe());
  assert.equal(u.stdout, `1234 ${tty[1]}\n`, u.describe());
});

test("script -qc 'tty' /dev/null prints a /dev/pts path", () => {
  const r = runUmlts([], [SCRIPT, '-qc', 'tty', '/dev/null']);
  assert.equal(r.code, 0, r.describe());
  assert.match(r.stdout, /^\/dev\/pts\/\d+\r\n$/, r.describe());
});

test('python3 pty: spawn of a shell that runs a command, openpty, fork (master reads EIO at the end)', () => {
  const dir = makeScratch('pty');
  try {
    const file = path.join(dir, 'pyspawn.py');
    fs.writeFileSync(file, [
      'import pty, os, sys',
      "st = pty.spawn(['/bin/sh', '-c', 'echo hello from $(tty | cut -c1-9)N; stty size; exit 7'])",
      "print('status', os.waitstatus_to_exitcode(st))",
      'm, s = pty.openpty()',
      "print('openpty', os.isatty(m), os.isatty(s), os.ttyname(s).startswith('/dev/pts/'))",
      'pid, fd = pty.fork()',
      'if pid == 0:',
      "    print('child tty', os.ttyname(0).startswith('/dev/pts/'), os.getsid(0) == os.getpid(), os.tcgetpgrp(0) == os.getpgrp())",
      '    sys.stdout.flush()',
      '    os._exit(5)',
      "out = b''",
      'while True:',
      '    try:',
      '        d = os.read(fd, 1024)',
      '    except OSError as e:',
      "        print('master read ends with', e.__class__.__name__, e.errno)",
      '        break',
      '    if not d: break',
      '    out += d',
      'print(out)',
      "print('child', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))",
      '',
    ].join('\n'));
    const { native } = assertSameAsNative([PYTHON, file]);
    assert.match(native.stdout, /^hello from \/dev\/pts\/N\r\n0 0\r\nstatus 7\n/);
    assert.match(native.stdout, /master read ends with OSError 5\n/);
  } finally {
    rmScratch(dir);
  }
});

test("an interactive shell on a pty: script -qc 'bash -i' fed commands", () => {
  const input = 'echo hi $((6*7))\ntty\nexit 3\n';
  const argv = [SCRIPT, '-qec', 'bash --norc --noprofile -i', '/dev/null'];
  const env = { ...CLEAN_ENV, PS1: 'prompt$ ' };
  const check = (r, what) => {
    assert.equal(r.code, 3, `${what}: script -e passes on the shell's status\n${r.describe()}`);
    // the order of echoes and prompts depends on when the shell reads, so look for the pieces
    // (readline may wrap each command in bracketed-paste escapes, depending on TERM)
    assert.match(r.stdout, /prompt\$ echo hi \$\(\(6\*7\)\)\r?\n(\x1b\[\?2004l)?\r?hi 42\r\n/, `${what}\n${r.stdout}`);
    assert.match(r.stdout, /prompt\$ tty\r?\n(\x1b\[\?2004l)?\r?\/dev\/pts\/\d+\r\n/, `${what}\n${r.stdout}`);
    assert.match(r.stdout, /exit\r\n$/, `${what}\n${r.stdout}`);
  };
  check(runNative(argv, { input, env }), 'native');
  check(runUmlts(['--env', 'PS1=prompt$ '], argv, { input }), 'umlts');
});

test('expect drives programs through a pty: a prompt and an answer, exit status, ^C', () => {
  const dir = makeScratch('pty');
  try {
    const file = path.join(dir, 't.exp');
    fs.writeFileSync(file, [
      'set timeout 60',
      'log_user 0',
      `spawn /bin/sh -c {printf 'name? '; read n; echo "hello, $n"; exit 4}`,
      'expect "name? "',
      'send "world\\r"',
      'expect -re {hello, (\\w+)\\r\\n}',
      'puts "got: $expect_out(1,string)"',
      'expect eof',
      'lassign [wait] pid spawnid os_error value',
      'puts "exit: $value"',
      'spawn /bin/cat',
      'send "abc\\r"',
      'expect "abc\\r\\nabc\\r\\n"',
      'puts "cat echoed and answered"',
      'send "\\003"',
      'expect eof',
      'lassign [wait] pid spawnid os_error value kind sig',
      'puts "cat: $kind $sig"',
      '',
    ].join('\n'));
    const { native } = assertSameAsNative(['/usr/bin/expect', file]);
    assert.equal(native.stdout, 'got: world\nexit: 4\ncat echoed and answered\ncat: CHILDKILLED SIGINT\n');
  } finally {
    rmScratch(dir);
  }
});
