// The kernel in a worker thread: the caller's event loop stays free while
// guests run, several sandboxes run at once in one process, and the
// caller's own child processes keep their exit statuses.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { BUSYBOX, LIB, assertNoLeftovers, makeScratch, rmScratch, trackUmltsPid } from './lib.mjs';

const { run, Sandbox } = await import(LIB);

trackUmltsPid(process.pid);
let dir;
before(() => { dir = makeScratch('lib-conc'); });
after(() => rmScratch(dir));
afterEach(() => assertNoLeftovers());

test('the event loop stays free: a 1 ms interval keeps firing while a guest computes for a second', async () => {
  // a syscall-heavy second: the kernel's thread is busy the whole time
  const py = 'import os, time\nt = time.monotonic()\nn = 0\nwhile time.monotonic() - t < 1:\n    os.getppid(); n += 1\nprint("calls", n)\n';
  let ticks = 0, during = -1;
  const timer = setInterval(() => { ticks++; }, 1);
  const sb = new Sandbox();
  try {
    await sb.ready;
    const p = sb.spawn(['python3', '-c', py]);
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    await new Promise((res) => p.once('spawn', res));
    const start = ticks;
    await p.exited;
    during = ticks - start;
    assert.match(out, /^calls [1-9]\d*\n$/);
  } finally {
    clearInterval(timer);
    await sb.close();
  }
  // blocked, the loop would have ticked at most once; free, about once a millisecond (fewer on a loaded host)
  assert.ok(during >= 50, `the interval fired ${during} times during the guest's second`);
});

test('eight sandboxes at once, each hashing a different file', async () => {
  const files = [];
  for (let i = 0; i < 8; i++) {
    const f = path.join(dir, `data-${i}`);
    const data = crypto.randomBytes(256 * 1024 + i * 4099);
    fs.writeFileSync(f, data);
    files.push({ f, want: crypto.createHash('sha256').update(data).digest('hex') });
  }
  const sandboxes = files.map(() => new Sandbox({ cpus: 1, memory: '128M' }));
  try {
    // all eight kernels are up before any program runs: they really run side by side
    await Promise.all(sandboxes.map((sb) => sb.ready));
    const results = await Promise.all(sandboxes.map((sb, i) => sb.run([BUSYBOX, 'sha256sum', files[i].f])));
    results.forEach((r, i) => {
      assert.equal(r.exitCode, 0, r.stderr.toString());
      assert.equal(r.stdout.toString(), `${files[i].want}  ${files[i].f}\n`);
    });
  } finally {
    await Promise.all(sandboxes.map((sb) => sb.close()));
  }
});

test('the caller\'s own child processes keep their exit statuses while sandboxes run', async () => {
  // guests that fork and reap many processes of their own, in two sandboxes, while the caller's children come and go
  const guests = [0, 1].map(() => run([BUSYBOX, 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; (exit 3); done; echo done']));
  const kids = [];
  for (const [i, sig] of [[0, null], [7, null], [42, null], [0, 'SIGTERM']]) {
    const c = spawn('/bin/sh', ['-c', sig ? 'sleep 30' : `sleep 0.${i % 5 + 1}; exit ${i}`]);
    kids.push({ want: { code: sig ? null : i, sig }, done: new Promise((res) => c.on('exit', (code, s) => res({ code, sig: s }))) });
    if (sig) setTimeout(() => c.kill(sig), 300);
  }
  const statuses = await Promise.all(kids.map((k) => k.done));
  assert.deepEqual(statuses, kids.map((k) => k.want));
  for (const r of await Promise.all(guests)) {
    assert.equal(r.stdout.toString(), 'done\n');
    assert.equal(r.exitCode, 0);
  }
});
