// Interactive use through the streams: a guest that answers each line of
// its stdin on its stdout, driven one line at a time.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { LIB, assertNoLeftovers, trackUmltsPid } from './lib.mjs';

const { Sandbox } = await import(LIB);

trackUmltsPid(process.pid);
afterEach(() => assertNoLeftovers());

test('python3 reads lines from stdin and answers on stdout, one at a time', async () => {
  const sb = new Sandbox();
  try {
    const py = 'import sys\nfor line in sys.stdin:\n    n = int(line)\n    print(n * n, flush=True)\nprint("bye")\n';
    const p = sb.spawn(['python3', '-c', py]);
    const answers = createInterface({ input: p.stdout })[Symbol.asyncIterator]();
    for (const n of [3, 12, 1000]) {
      // each question waits for the answer to the one before: the guest is live, not batched
      p.stdin.write(`${n}\n`);
      const { value } = await answers.next();
      assert.equal(value, String(n * n));
    }
    p.stdin.end();
    assert.equal((await answers.next()).value, 'bye');
    assert.deepEqual(await p.exited, { exitCode: 0, signal: null });
  } finally {
    await sb.close();
  }
});

test('a guest that stops reading: the caller\'s writes wait, the kernel goes on', async () => {
  const sb = new Sandbox();
  try {
    const slow = sb.spawn(['python3', '-c', 'import sys, time\nsys.stdin.readline()\ntime.sleep(30)\n']);
    await once(slow, 'spawn');
    // far more than a pipe holds: the stream buffers it for a reader that never comes
    slow.stdin.write(Buffer.alloc(1 << 20, 'a'));
    slow.stdin.write('\n');
    const r = await sb.run(['python3', '-c', 'print("other processes run")']);
    assert.equal(r.stdout.toString(), 'other processes run\n');
    slow.kill('SIGKILL');
    assert.equal((await slow.exited).signal, 'SIGKILL');
  } finally {
    await sb.close();
  }
});
