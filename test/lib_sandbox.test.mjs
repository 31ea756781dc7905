// The library's Sandbox: one kernel, several processes with Node streams,
// kill, files, env and cwd; close() kills what is left, and no host process
// outlives the caller — whether it closes, forgets to, or is killed.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { BUSYBOX, CLEAN_ENV, LIB, assertNoLeftovers, trackUmltsPid, stubProcesses, withPlatform } from './lib.mjs';

const { Sandbox, ExecError, ClosedError } = await import(LIB);

trackUmltsPid(process.pid);
afterEach(() => assertNoLeftovers());

/** All of a readable stream, as a string. */
async function text(stream) {
  let s = '';
  for await (const c of stream) s += c;
  return s;
}

test('Sandbox: several processes at once, guest pids, streams, exit statuses', async () => {
  const sb = new Sandbox();
  try {
    await sb.ready;
    const a = sb.spawn([BUSYBOX, 'sh', '-c', 'read x; echo "a got $x"; exit 4']);
    const b = sb.spawn([BUSYBOX, 'sh', '-c', 'echo b says hi; echo b err >&2']);
    const outA = text(a.stdout), outB = text(b.stdout), errB = text(b.stderr);
    await Promise.all([once(a, 'spawn'), once(b, 'spawn')]);
    assert.ok(Number.isInteger(a.pid) && Number.isInteger(b.pid) && a.pid !== b.pid, `${a.pid} ${b.pid}`);
    // both are alive at once: b is done while a still waits for its input
    assert.deepEqual(await b.exited, { exitCode: 0, signal: null });
    assert.equal(a.exitCode, null);
    a.stdin.end('hello\n');
    assert.deepEqual(await a.exited, { exitCode: 4, signal: null });
    assert.equal(await outA, 'a got hello\n');
    assert.equal(await outB, 'b says hi\n');
    assert.equal(await errB, 'b err\n');
    assert.equal(a.exitCode, 4);
  } finally {
    await sb.close();
  }
});

test('Sandbox: kill(signal) reaches the guest process; a handler sees it', async () => {
  const sb = new Sandbox();
  try {
    const p = sb.spawn([BUSYBOX, 'sleep', '30']);
    await once(p, 'spawn');
    assert.equal(p.kill(), true);
    assert.deepEqual(await p.exited, { exitCode: null, signal: 'SIGTERM' });
    assert.equal(p.kill(), false, 'gone already');
    const q = sb.spawn([BUSYBOX, 'sh', '-c', 'trap "echo got USR1; exit 5" USR1; echo ready; while :; do sleep 1; done']);
    const out = q.stdout.setEncoding('utf8');
    await once(out, 'data');
    q.kill('SIGUSR1');
    assert.deepEqual(await q.exited, { exitCode: 5, signal: null });
  } finally {
    await sb.close();
  }
});

test('Sandbox: files are placed before anything runs; env and cwd, for the sandbox and per process', async () => {
  const sb = new Sandbox({
    files: { '/w/main.sh': 'echo "main: $GREETING from $(pwd)"\n', '/w/sub/data.txt': 'data\n', '/tmp/t.txt': 'in tmp\n', '/w/x.sh': { data: 'echo x', mode: 0o755 } },
    env: { GREETING: 'hello' },
    cwd: '/w',
  });
  try {
    const r = await sb.run([BUSYBOX, 'sh', 'main.sh']);
    assert.equal(r.stdout.toString(), 'main: hello from /w\n');
    const r2 = await sb.run([BUSYBOX, 'sh', '-c', 'echo $GREETING $HOME $PATH; pwd; cat data.txt /tmp/t.txt; ls -l /w/x.sh'], {
      env: { GREETING: 'bye', HOME: '/w' }, cwd: '/w/sub',
    });
    const lines = r2.stdout.toString().split('\n');
    assert.equal(lines[0], 'bye /w /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    assert.equal(lines[1], '/w/sub');
    assert.equal(lines[2], 'data');
    assert.equal(lines[3], 'in tmp');
    assert.match(lines[4], /^-rwxr-xr-x /);
    // the root stays read-only, the files' own directory (a tmpfs) is writable
    const w = await sb.run([BUSYBOX, 'sh', '-c', 'echo new > /w/new && cat /w/new; touch /etc/umlts-should-not-exist']);
    assert.equal(w.stdout.toString(), 'new\n');
    assert.match(w.stderr.toString(), /Read-only file system/);
  } finally {
    await sb.close();
  }
});

test('Sandbox: a program that cannot start rejects its process\'s exited; the sandbox goes on', async () => {
  const sb = new Sandbox();
  try {
    const p = sb.spawn(['/no/such/program']);
    await assert.rejects(p.exited, (e) => e instanceof ExecError && e.code === 'ENOENT');
    assert.equal(p.pid, undefined);
    const r = await sb.run([BUSYBOX, 'echo', 'still fine']);
    assert.equal(r.stdout.toString(), 'still fine\n');
  } finally {
    await sb.close();
  }
  assert.throws(() => sb.spawn([BUSYBOX, 'true']), ClosedError);
});

test('Sandbox: close() kills what is left and resolves once no host process remains', async () => {
  const sb = new Sandbox();
  const procs = [0, 1, 2].map(() => sb.spawn([BUSYBOX, 'sh', '-c', 'sleep 30 & sleep 30 & echo started; wait']));
  await Promise.all(procs.map((p) => once(p.stdout, 'data')));
  assert.ok(stubProcesses().filter((s) => s.ppid === process.pid).length >= 3 + 6 + 1, 'three shells, six sleeps, the waker');
  const stats = await sb.close();
  assert.ok(stats.kernel.stubs >= 3, JSON.stringify(stats));
  for (const p of procs) assert.deepEqual(await p.exited, { exitCode: null, signal: 'SIGKILL' });
  assertNoLeftovers(0);
  assert.equal(await sb.close(), stats, 'close is idempotent');
});

test('stdio inherit: the guest writes to the caller\'s own fds', () => {
  const script = `
    const { Sandbox } = await import(${JSON.stringify(LIB)});
    const sb = new Sandbox();
    const p = sb.spawn([${JSON.stringify(BUSYBOX)}, 'sh', '-c', 'echo to-stdout; echo to-stderr >&2'], { stdio: 'inherit' });
    const q = sb.spawn([${JSON.stringify(BUSYBOX)}, 'echo', 'ignored'], { stdio: ['pipe', 'ignore', 'inherit'] });
    console.log(JSON.stringify(await p.exited), p.stdout, (await q.exited).exitCode, q.stdout);
    await sb.close();
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: withPlatform(CLEAN_ENV), timeout: 60_000 });
  assert.equal(r.stdout, 'to-stdout\n{"exitCode":0,"signal":null} null 0 null\n', r.stderr);
  assert.equal(r.stderr, 'to-stderr\n');
  assert.equal(r.status, 0);
});

/** Run a Node script that uses the library; resolves once it printed `marker`, with the child. */
async function startScript(script, marker) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: withPlatform(CLEAN_ENV), stdio: ['ignore', 'pipe', 'pipe'] });
  trackUmltsPid(child.pid);
  let out = '', err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((res) => child.on('exit', (code, sig) => res({ code, sig })));
  await new Promise((res, rej) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes(marker)) res();
    });
    child.on('exit', () => rej(new Error(`exited before "${marker}": ${out}\n${err}`)));
  });
  return { child, exited, output: () => ({ out, err }) };
}

test('a caller that forgets close(): an idle sandbox does not keep it alive, exit ends a busy one', async () => {
  const idle = spawnSync(process.execPath, ['--input-type=module', '-e', `
    const { Sandbox } = await import(${JSON.stringify(LIB)});
    const sb = new Sandbox();
    const r = await sb.run([${JSON.stringify(BUSYBOX)}, 'echo', 'done']);
    process.stdout.write(r.stdout);
  `], { encoding: 'utf8', env: withPlatform(CLEAN_ENV), timeout: 60_000 });
  assert.equal(idle.stdout, 'done\n', idle.stderr);
  assert.equal(idle.status, 0, idle.stderr);
  // busy: a guest sleeps; the caller exits without close
  const s = await startScript(`
    const { Sandbox } = await import(${JSON.stringify(LIB)});
    const sb = new Sandbox();
    const p = sb.spawn([${JSON.stringify(BUSYBOX)}, 'sh', '-c', 'sleep 60 & sleep 60']);
    p.on('spawn', () => { console.log('spawned'); setTimeout(() => process.exit(3), 200); });
  `, 'spawned');
  const { code } = await s.exited;
  assert.equal(code, 3, s.output().err);
  assertNoLeftovers();
});

test('a caller killed by SIGKILL leaves no host process', async () => {
  const s = await startScript(`
    const { Sandbox, run } = await import(${JSON.stringify(LIB)});
    const sb = new Sandbox();
    const p = sb.spawn([${JSON.stringify(BUSYBOX)}, 'sh', '-c', 'sleep 60 & sleep 60']);
    void run([${JSON.stringify(BUSYBOX)}, 'sleep', '60']);
    p.on('spawn', () => console.log('spawned'));
  `, 'spawned');
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(stubProcesses().some((p) => p.ppid === s.child.pid), 'its guests run');
  s.child.kill('SIGKILL');
  assert.equal((await s.exited).sig, 'SIGKILL');
  assertNoLeftovers(3000);
});
