// The host terminal as the guest's console (src/fs/tty/console.ts Terminal):
// umlts runs under a pty that python3 holds, as a user's terminal would be.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI, CLEAN_ENV, BUSYBOX, withPlatform, makeScratch, rmScratch, assertNoLeftovers, requireCli } from './lib.mjs';

afterEach(() => assertNoLeftovers());

// python3 runs umlts on a pty and does not read it for a while: the
// terminal fills up; then it reads all of it.
const HOLD = String.raw`
import os, pty, sys, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execve(sys.argv[1], sys.argv[1:], dict(os.environ))
ticks = sys.argv[-1]
time.sleep(3.0)
def count():
    try:
        return len(open(ticks).read().split())
    except FileNotFoundError:
        return 0
held = count()
got = 0
while True:
    r, _, _ = select.select([fd], [], [], 30)
    if not r:
        break
    try:
        b = os.read(fd, 65536)
    except OSError:
        break
    if not b:
        break
    got += b.count(b"q")
_, st = os.waitpid(pid, 0)
print(held, got, os.waitstatus_to_exitcode(st))
`;

test('a guest writing to a full host terminal waits alone: the kernel and the other guests go on', () => {
  requireCli();
  const dir = makeScratch('console');
  try {
    const ticks = path.join(dir, 'ticks');
    // one process floods the terminal (300 KB of "q"), full within milliseconds; another starts 0.3 s
    // later and ticks every 50 ms into a file, 30 times
    const script = `(sleep 0.3; i=0; while [ $i -lt 30 ]; do echo $i >> ${ticks}; sleep 0.05; i=$((i+1)); done) & ` +
      `head -c 300000 /dev/zero | tr '\\0' q; wait; echo ok`;
    const r = spawnSync('python3', ['-c', HOLD, process.execPath, CLI, 'run', '--mount', `${dir}:${dir}`, '--', BUSYBOX, 'sh', '-c', script, ticks],
      { env: withPlatform(CLEAN_ENV), encoding: 'utf8', timeout: 90_000 });
    assert.equal(r.status, 0, `python3: ${r.stderr}`);
    const [held, got, code] = r.stdout.trim().split(/\s+/).map(Number);
    assert.equal(code, 0, r.stdout);
    assert.equal(got, 300000, `every "q" reached the terminal (${r.stdout})`);
    // a kernel blocked on the full terminal runs nothing more until it drains: not one tick
    assert.ok(held >= 3, `while the terminal was full the other guest ticked ${held} times of 30`);
    assert.equal(fs.readFileSync(ticks, 'utf8').split('\n').filter(Boolean).length, 30);
  } finally {
    rmScratch(dir);
  }
});
