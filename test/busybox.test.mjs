// busybox-static (installed by .ci/run) under umlts, compared with the same
// busybox run natively.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BUSYBOX, assertSameAsNative, assertNoLeftovers, runUmlts, runNative, makeScratch, rmScratch, lines, assertSameText } from './lib.mjs';

const bb = (...args) => [BUSYBOX, ...args];
let dir;

before(() => {
  assert.ok(fs.existsSync(BUSYBOX), `${BUSYBOX} is missing: install busybox-static (.ci/run does)`);
  dir = makeScratch('busybox');
});
after(() => rmScratch(dir));
afterEach(() => assertNoLeftovers());

test('echo', () => {
  assertSameAsNative(bb('echo', 'hello', 'world'));
  assertSameAsNative(bb('echo', '-n', 'no newline'));
  assertSameAsNative(bb('echo', '-e', 'a\\tb\\nc'));
});

test('cat of host files (text and a 2 MB binary)', () => {
  assertSameAsNative(bb('cat', '/etc/passwd'));
  assertSameAsNative(bb('cat', '/usr/include/stdio.h', '/etc/passwd'));
  assertSameAsNative(bb('cat', BUSYBOX), [], { encoding: 'buffer' });
  const r = assertSameAsNative(bb('cat', '/nonexistent'));
  assert.notEqual(r.umlts.code, 0);
});

test('cat of stdin', () => {
  const input = 'line one\nline two\n'.repeat(1000);
  const r = runUmlts([], bb('cat'), { input });
  assertSameText(r.stdout, input, r.describe());
  assert.equal(r.code, 0, r.describe());
});

test('ls -l /', () => {
  // Mount points (umlts mounts its own /dev, /proc, /sys, /tmp) and folders
  // other processes write into while the tests run are compared by name only;
  // every other line must be identical, and the sets of names equal.
  const volatile = new Set(['dev', 'proc', 'sys', 'tmp', 'run', 'work', 'root', 'var']);
  const name = (l) => l.split(/\s+/)[8];
  const split = (out) => {
    const ls = lines(out).filter((l) => !l.startsWith('total '));
    return {
      names: ls.map(name),
      stable: ls.filter((l) => !volatile.has(name(l))).join('\n'),
    };
  };
  const native = runNative(bb('ls', '-l', '/'));
  const um = runUmlts(['--cwd', '/'], bb('ls', '-l', '/'));
  assert.equal(um.code, 0, um.describe());
  const n = split(native.stdout);
  const u = split(um.stdout);
  assert.ok(n.names.length > 5, 'native ls -l / lists something');
  assert.deepEqual(u.names, n.names, `names differ\n${um.describe()}`);
  assert.equal(u.stable, n.stable, `ls -l lines differ\n${um.describe()}`);
});

test('ls -la of a folder and ls -R', () => {
  assertSameAsNative(bb('ls', '-la', '/usr/include/linux'));
  assertSameAsNative(bb('ls', '-R', '/usr/include/x86_64-linux-gnu'));
});

test('wc of a file and of stdin', () => {
  assertSameAsNative(bb('wc', '/etc/passwd', '/usr/include/stdio.h'));
  const input = 'alpha beta\ngamma\n\ndelta epsilon zeta\n'.repeat(500);
  assertSameAsNative(bb('wc'), [], { input });
  assertSameAsNative(bb('wc', '-l'), [], { input });
});

test('uname -a', () => {
  const r = runUmlts([], bb('uname', '-a'));
  assert.equal(r.code, 0, r.describe());
  assert.match(r.stdout, /^Linux \S+ \S+ .*x86_64.*\n$/, r.describe());
  assertSameAsNative(bb('uname', '-s', '-m'));
});

test('date', () => {
  const r = runUmlts([], bb('date'));
  assert.equal(r.code, 0, r.describe());
  assert.equal(lines(r.stdout).length, 1, r.describe());
  assert.match(r.stdout, / 20\d\d\n$/, `date does not end with a year\n${r.describe()}`);
  assertSameAsNative(bb('date', '-u', '-d', '@0'));
  assertSameAsNative(bb('date', '-u', '-d', '@1700000000', '+%Y-%m-%d %H:%M:%S %A'));
  const y = runUmlts([], bb('date', '-u', '+%Y'));
  assert.equal(y.stdout.trim(), String(new Date().getUTCFullYear()), y.describe());
});

test('sort of 100 000 lines', () => {
  // deterministic pseudo-random words
  let x = 12345;
  const rnd = () => { x = (x * 1103515245 + 12345) & 0x7fffffff; return x; };
  const words = [];
  for (let i = 0; i < 100_000; i++) words.push(`${(rnd() % 100000).toString(36)} ${rnd() % 1000} line${i}`);
  const file = path.join(dir, 'sort-input.txt');
  fs.writeFileSync(file, words.join('\n') + '\n');
  const { umlts } = assertSameAsNative(bb('sort', file));
  assert.equal(lines(umlts.stdout).length, 100_000);
  assertSameAsNative(bb('sort', '-n', '-k', '2', file));
  assertSameAsNative(bb('sort', '-r', '-u', file));
});

test('sha256sum of a 50 MB file equals the host\'s', () => {
  const file = path.join(dir, 'big.bin');
  // deterministic content: a counter hashed into each 4 KB block
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(1 << 20);
  for (let mb = 0; mb < 50; mb++) {
    for (let off = 0; off < block.length; off += 32) crypto.createHash('sha256').update(`${mb}:${off}`).digest().copy(block, off);
    fs.writeSync(fd, block);
  }
  fs.closeSync(fd);
  const want = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  const r = runUmlts([], bb('sha256sum', file));
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, `${want}  ${file}\n`, r.describe());
  const host = runNative(['sha256sum', file]);
  if (host.code === 0) assert.equal(r.stdout, host.stdout);
});

test('awk one-liners', () => {
  assertSameAsNative(bb('awk', 'BEGIN { s = 0; for (i = 1; i <= 1000; i++) s += i * i; printf "%d %.3f\\n", s, sqrt(s) }'));
  assertSameAsNative(bb('awk', '-F:', '$3 < 100 { print NR, $1, $3 }', '/etc/passwd'));
  assertSameAsNative(bb('awk', '{ n[$1]++ } END { for (k in n) c++; print c }'), [], { input: 'a\nb\na\nc\n' });
});

test('sed one-liners', () => {
  assertSameAsNative(bb('sed', '-n', 's/^\\([^:]*\\):.*:\\([^:]*\\)$/\\1 uses \\2/p', '/etc/passwd'));
  assertSameAsNative(bb('sed', '-e', 's/a/A/g', '-e', '2d', '-e', '$a\\', '-e', 'the end'), [], { input: 'banana\nsecond\napple\n' });
  assertSameAsNative(bb('sed', '-n', '/define/{=;p}', '/usr/include/stdio.h'));
});

test('grep -r over /usr/include', () => {
  // Directory order may legitimately differ; compare sorted lines.
  const sorted = (s) => lines(s).sort().join('\n');
  const { native } = assertSameAsNative(bb('grep', '-r', '-n', 'SIGSEGV', '/usr/include'), [], { filter: sorted });
  assert.ok(lines(native.stdout).length > 0, 'native grep found something');
  assertSameAsNative(bb('grep', '-r', '-l', '__BEGIN_DECLS', '/usr/include'), [], { filter: sorted });
  assertSameAsNative(bb('grep', '-r', '-c', 'nonexistent-string-xyzzy', '/usr/include/linux'), [], { filter: sorted });
});
