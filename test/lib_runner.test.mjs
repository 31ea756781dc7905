// examples/runner: the HTTP code runner answers real requests with the
// program's output, and its limits stop a fork bomb and an endless loop
// while the service keeps answering.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { assertNoLeftovers, trackUmltsPid } from './lib.mjs';

const { createRunner } = await import('../examples/runner/server.mjs');

trackUmltsPid(process.pid);
let server, base;
before(async () => {
  server = createRunner();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());
afterEach(() => assertNoLeftovers());

async function post(job) {
  const res = await fetch(`${base}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(job) });
  return { status: res.status, body: await res.json() };
}

test('a Python program posted over HTTP: its output, exit status and time as JSON', async () => {
  const { status, body } = await post({ language: 'python', code: 'import sys\nprint(6*7)\nprint("oops", file=sys.stderr)\nsys.exit(3)\n' });
  assert.equal(status, 200);
  assert.equal(body.stdout, '42\n');
  assert.equal(body.stderr, 'oops\n');
  assert.equal(body.exitCode, 3);
  assert.equal(body.signal, null);
  assert.equal(body.timedOut, false);
  assert.ok(Number.isInteger(body.timeMs) && body.timeMs > 0, JSON.stringify(body));
});

test('a shell program with stdin; the sandbox has no network and a read-only root', async () => {
  const code = 'read name; echo "hello $name"; ls /w; touch /etc/x 2>&1 | grep -o "Read-only file system"; cat /proc/net/tcp | wc -l';
  const { body } = await post({ language: 'sh', code, stdin: 'umlts\n' });
  assert.equal(body.stdout, 'hello umlts\nmain.sh\nRead-only file system\n1\n', JSON.stringify(body));
  assert.equal(body.exitCode, 0);
});

test('a fork bomb and an endless loop are stopped by the limits; the service keeps answering', async () => {
  const bomb = post({ language: 'sh', code: 'b() { b | b & }; b; sleep 60' });
  const pybomb = post({ language: 'python', code: 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n' });
  const loop = post({ language: 'sh', code: 'while :; do :; done' });
  for (const { status, body } of await Promise.all([bomb, pybomb, loop])) {
    assert.equal(status, 200);
    // (the time limit, or the output limit: a shell's bomb prints "Cannot fork" for each fork refused, and a fast
    // enough run fills the 64 KiB before the 5 s are up — CI saw it once at 4976 ms)
    assert.ok(body.timedOut === true || body.truncated === true, JSON.stringify(body).slice(0, 300));
    assert.equal(body.signal, 'SIGKILL');
  }
  assert.equal((await loop).body.timedOut, true);
  assertNoLeftovers(0);
  const after = await post({ language: 'python', code: 'print("still here")' });
  assert.equal(after.body.stdout, 'still here\n');
  assert.equal(after.body.exitCode, 0);
});

test('bad requests get a 4xx and a reason; the page is served', async () => {
  assert.equal((await post({ language: 'cobol', code: '' })).status, 400);
  const bad = await fetch(`${base}/run`, { method: 'POST', body: '{not json' });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /expected JSON/);
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /text\/html/);
  assert.match(await page.text(), /<button id="run">Run<\/button>/);
});
