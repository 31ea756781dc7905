// The tty line discipline (src/fs/tty.ts) in isolation: bytes in, what
// reads return, what is echoed, which signals the foreground group gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LineDiscipline, Termios, ICANON, ECHO, ECHOE, ECHOK, ECHOKE, ECHOCTL, ECHONL, ISIG, NOFLSH, ICRNL, INLCR, IGNCR,
  IXON, IXANY, IEXTEN, ISTRIP, IUTF8, VMIN, VTIME, VEOL, VINTR, TERMIOS_SIZE, TERMIOS2_SIZE,
} from '../dist/fs/tty/n_tty.js';

const EAGAIN = 11;
const MS = 1_000_000n;

/** A line discipline with recorded echoes and signals; termios tweaked by fn. */
function mk(fn = () => {}) {
  const t = new Termios();
  fn(t);
  const out = { echo: [], sigs: [], flow: [] };
  const l = new LineDiscipline(t, {
    echo: (b) => out.echo.push(...b),
    signal: (s) => out.sigs.push(s),
    flow: (s) => out.flow.push(s),
  });
  const feed = (s, now = 0n) => l.receive(typeof s === 'string' ? Buffer.from(s, 'latin1') : Uint8Array.from(s), now);
  const read = (n = 4096, now = 0n, start = 0n) => {
    const b = new Uint8Array(n);
    const r = l.read(b, now, start);
    return r < 0 ? r : Buffer.from(b.subarray(0, r)).toString('latin1');
  };
  const echoed = () => {
    const s = Buffer.from(out.echo).toString('latin1');
    out.echo.length = 0;
    return s;
  };
  return { l, t, out, feed, read, echoed };
}
const raw = (t) => {
  t.lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
  t.iflag &= ~(ICRNL | IXON);
};

test('termios encodes as the kernel struct (36 bytes) and termios2 (44), and round-trips', () => {
  const t = new Termios();
  const b = t.encode();
  assert.equal(b.length, TERMIOS_SIZE);
  const dv = new DataView(b.buffer);
  assert.equal(dv.getUint32(0, true), t.iflag);
  assert.equal(dv.getUint32(12, true), t.lflag);
  assert.equal(b[17 + VINTR], 3);
  assert.equal(b[17 + VMIN], 1);
  const t2 = Termios.decode(t.encode(TERMIOS2_SIZE));
  assert.deepEqual(t2.encode(TERMIOS2_SIZE), t.encode(TERMIOS2_SIZE));
  assert.equal(t2.ospeed, 38400);
});

test('canonical: nothing until a newline, then one line per read; echo as typed', () => {
  const { feed, read, echoed } = mk();
  feed('hel');
  assert.equal(read(), -EAGAIN);
  assert.equal(echoed(), 'hel');
  feed('lo\rworld\r');
  assert.equal(echoed(), 'lo\nworld\n'); // ICRNL: \r arrives as \n
  assert.equal(read(), 'hello\n');
  assert.equal(read(3), 'wor'); // a short read leaves the rest of the line
  assert.equal(read(), 'ld\n');
  assert.equal(read(), -EAGAIN);
});

test('canonical: ERASE with ECHOE backs over the character; without ECHOE echoes the erase char', () => {
  let m = mk();
  m.feed('abc\x7f\x7fd\n');
  assert.equal(m.read(), 'ad\n');
  assert.equal(m.echoed(), 'abc\b \b\b \bd\n');
  m.feed('\x7f'); // nothing to erase on an empty line
  assert.equal(m.echoed(), '');
  m = mk((t) => (t.lflag &= ~ECHOE));
  m.feed('ab\x7f\n');
  assert.equal(m.read(), 'a\n');
  assert.equal(m.echoed(), 'ab^?\n');
});

test('canonical: WERASE erases the last word and the blanks after it', () => {
  const { feed, read, echoed } = mk();
  feed('foo bar_1  \x17baz\n');
  assert.equal(read(), 'foo baz\n');
  assert.equal(echoed(), 'foo bar_1  ' + '\b \b'.repeat(7) + 'baz\n');
});

test('canonical: KILL erases the line (ECHOKE), or echoes the kill char and a newline (ECHOK without ECHOKE)', () => {
  let m = mk();
  m.feed('abc\x15x\n');
  assert.equal(m.read(), 'x\n');
  assert.equal(m.echoed(), 'abc' + '\b \b'.repeat(3) + 'x\n');
  m = mk((t) => (t.lflag &= ~ECHOKE));
  m.feed('abc\x15x\n');
  assert.equal(m.read(), 'x\n');
  assert.equal(m.echoed(), 'abc^U\nx\n');
});

test('canonical: control characters echo as ^X with ECHOCTL and erase as two columns', () => {
  let m = mk();
  m.feed('a\x01\x7f\n');
  assert.equal(m.read(), 'a\n');
  assert.equal(m.echoed(), 'a^A\b \b\b \b\n');
  m = mk((t) => (t.lflag &= ~ECHOCTL));
  m.feed('\x01\n');
  assert.equal(m.echoed(), '\x01\n');
});

test('canonical: erasing a tab backs up to the tab stop', () => {
  const m = mk();
  m.feed('ab\t\x7f');
  assert.equal(m.echoed(), 'ab\t' + '\b'.repeat(6));
  m.feed('\x7f\x7f\t\x7f');
  assert.equal(m.echoed(), '\b \b\b \b\t' + '\b'.repeat(8));
});

test('canonical: a multi-byte UTF-8 character erases as one (IUTF8)', () => {
  const m = mk();
  m.feed(Buffer.from('aé'));
  m.feed('\x7f\n');
  assert.equal(m.read(), 'a\n');
  assert.equal(m.echoed(), Buffer.from('aé').toString('latin1') + '\b \b\n');
  const n = mk((t) => (t.iflag &= ~IUTF8));
  n.feed(Buffer.from('aé'));
  n.feed('\x7f\n');
  assert.equal(n.read().length, 3); // only the last byte went
});

test('canonical: EOF pushes a partial line, and at the start of a line reads 0', () => {
  const { feed, read, echoed } = mk();
  feed('abc\x04');
  assert.equal(read(), 'abc');
  feed('\x04');
  assert.equal(read(), '');
  assert.equal(read(), -EAGAIN);
  assert.equal(echoed(), 'abc'); // ^D is not echoed
});

test('canonical: EOL and EOL2 end a line and are kept; LNEXT quotes the next character', () => {
  const { feed, read, echoed } = mk((t) => (t.cc[VEOL] = 0x3b)); // ';'
  feed('a;b');
  assert.equal(read(), 'a;');
  feed('\x16\x7f\x16\x15\n');
  assert.equal(read(), 'b\x7f\x15\n');
  assert.equal(echoed(), 'a;b^\b^?^\b^U\n');
});

test('canonical: REPRINT retypes the line', () => {
  const { feed, echoed } = mk();
  feed('ab\x12');
  assert.equal(echoed(), 'ab^R\nab');
});

test('ECHONL echoes newlines without ECHO; no ECHO echoes nothing', () => {
  let m = mk((t) => (t.lflag = (t.lflag & ~ECHO) | ECHONL));
  m.feed('secret\n');
  assert.equal(m.echoed(), '\n');
  assert.equal(m.read(), 'secret\n');
  m = mk((t) => (t.lflag &= ~ECHO));
  m.feed('secret\n');
  assert.equal(m.echoed(), '');
});

test('input mapping: IGNCR drops CR, INLCR maps NL to CR, ISTRIP clears bit 7', () => {
  let m = mk((t) => { raw(t); t.iflag |= IGNCR; });
  m.feed('a\rb');
  assert.equal(m.read(), 'ab');
  m = mk((t) => { raw(t); t.iflag |= INLCR; });
  m.feed('a\n');
  assert.equal(m.read(), 'a\r');
  m = mk((t) => { raw(t); t.iflag |= ISTRIP; });
  m.feed([0xe1]);
  assert.equal(m.read(), 'a');
});

test('ISIG: ^C, ^\\ and ^Z signal the foreground group, echo ^C, and flush the input unless NOFLSH', () => {
  let m = mk();
  m.feed('abc');
  assert.equal(m.echoed(), 'abc');
  m.feed('\x03');
  assert.deepEqual(m.out.sigs, [2]);
  assert.equal(m.echoed(), '^C');
  m.feed('\n');
  assert.equal(m.read(), '\n'); // "abc" was flushed
  assert.equal(m.echoed(), '\n');
  m.feed('xyz\x03'); // in one receive: the echo of "xyz" is not shown yet, and isig's flush drops it
  assert.equal(m.echoed(), '^C');
  m.feed('\n');
  assert.equal(m.read(), '\n'); // "xyz" was flushed
  m.feed('\x1c\x1a');
  assert.deepEqual(m.out.sigs, [2, 2, 3, 20]);
  m = mk((t) => (t.lflag |= NOFLSH));
  m.feed('abc\x03\n');
  assert.equal(m.read(), 'abc\n');
  m = mk((t) => (t.lflag &= ~ISIG));
  m.feed('\x03\n');
  assert.deepEqual(m.out.sigs, []);
  assert.equal(m.read(), '\x03\n');
  m = mk((t) => (t.cc[VINTR] = 0)); // _POSIX_VDISABLE
  m.feed([0, 10]);
  assert.deepEqual(m.out.sigs, []);
});

test('raw mode: bytes pass through unchanged and are readable at once', () => {
  const { feed, read, echoed, out } = mk(raw);
  feed('\x03\r\x7f\x1b[A');
  assert.equal(read(), '\x03\r\x7f\x1b[A');
  assert.equal(echoed(), '');
  assert.deepEqual(out.sigs, []);
});

test('non-canonical with ECHO echoes control characters as ^X (ECHOCTL), NL raw', () => {
  const { feed, echoed } = mk((t) => { t.lflag &= ~ICANON; t.iflag &= ~ICRNL; });
  feed('a\r\n\x01');
  assert.equal(echoed(), 'a^M\n^A');
});

test('VMIN/VTIME: MIN=0 TIME=0 polls; MIN=N waits for N; MIN=0 TIME>0 times out from the start of the read', () => {
  let m = mk((t) => { raw(t); t.cc[VMIN] = 0; t.cc[VTIME] = 0; });
  assert.equal(m.read(), '');
  m = mk((t) => { raw(t); t.cc[VMIN] = 3; t.cc[VTIME] = 0; });
  m.feed('ab');
  assert.equal(m.read(), -EAGAIN);
  assert.equal(m.l.wakeAt, 0n);
  assert.equal(m.l.readable(), false); // poll wants VMIN bytes when VTIME is 0
  assert.equal(m.read(1), 'a'); // a read smaller than VMIN needs only what it asks
  m.feed('cd');
  assert.equal(m.read(), 'bcd');
  m = mk((t) => { raw(t); t.cc[VMIN] = 0; t.cc[VTIME] = 5; });
  assert.equal(m.read(4096, 100n * MS, 100n * MS), -EAGAIN);
  assert.equal(m.l.wakeAt, 600n * MS);
  assert.equal(m.read(4096, 600n * MS, 100n * MS), ''); // timed out
  m.feed('x');
  assert.equal(m.read(4096, 601n * MS, 601n * MS), 'x');
});

test('VMIN/VTIME: MIN>0 TIME>0 is an inter-byte timer started by the first byte', () => {
  const m = mk((t) => { raw(t); t.cc[VMIN] = 4; t.cc[VTIME] = 1; });
  assert.equal(m.read(4096, 0n, 0n), -EAGAIN);
  assert.equal(m.l.wakeAt, 0n); // no byte yet: no timer
  m.feed('ab', 10n * MS);
  assert.equal(m.read(4096, 20n * MS, 0n), -EAGAIN);
  assert.equal(m.l.wakeAt, 110n * MS);
  assert.equal(m.read(4096, 110n * MS, 0n), 'ab');
  m.feed('wxyz', 200n * MS);
  assert.equal(m.read(4096, 200n * MS, 150n * MS), 'wxyz'); // MIN reached
});

test('switching ICANON: off makes the edited line readable, on makes buffered bytes a line', () => {
  const m = mk();
  m.feed('abc');
  const t = m.t.clone();
  t.lflag &= ~ICANON;
  m.l.setTermios(t);
  assert.equal(m.read(), 'abc');
  m.feed('xy');
  const c = t.clone();
  c.lflag |= ICANON;
  m.l.setTermios(c);
  assert.equal(m.read(), 'xy');
  assert.equal(m.read(), -EAGAIN);
});

test('FIONREAD counts complete lines in canonical mode; poll sees a line, or any byte when raw', () => {
  const m = mk();
  m.feed('ab\ncd');
  assert.equal(m.l.inq(), 3);
  assert.equal(m.l.readable(), true);
  m.read();
  assert.equal(m.l.inq(), 0);
  assert.equal(m.l.readable(), false);
  const r = mk(raw);
  r.feed('q');
  assert.equal(r.l.readable(), true);
  assert.equal(r.l.inq(), 1);
});

test('IXON: ^S stops and ^Q starts output (not input); IXANY restarts on any character', () => {
  let m = mk();
  m.feed('\x13');
  assert.equal(m.l.stopped, true);
  m.feed('a\x11\n');
  assert.equal(m.l.stopped, false);
  assert.deepEqual(m.out.flow, [true, false]);
  assert.equal(m.read(), 'a\n');
  m = mk((t) => (t.iflag |= IXANY));
  m.feed('\x13x');
  assert.equal(m.l.stopped, false);
  m = mk((t) => (t.iflag &= ~IXON));
  m.feed('\x13\n');
  assert.equal(m.read(), '\x13\n');
});

test('the input buffer holds 4095 bytes; a full canonical line still takes its newline', () => {
  const m = mk((t) => (t.lflag &= ~ECHO));
  m.feed('x'.repeat(5000));
  assert.ok(m.l.room() > 0);
  m.feed('\n');
  const line = m.read(8192);
  assert.equal(line.length, 4096);
  assert.ok(line.endsWith('x\n'));
  const r = mk(raw);
  r.feed('y'.repeat(5000));
  assert.equal(r.l.room(), 0);
  assert.equal(r.read(8192).length, 4095);
});

test('after a hangup reads return 0 once the buffer is empty', () => {
  const m = mk();
  m.feed('ab\n');
  m.l.hungUp = true;
  assert.equal(m.read(), 'ab\n');
  assert.equal(m.read(), '');
  assert.equal(m.l.readable(), true);
});
