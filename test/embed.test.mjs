// umlts inside another program: the kernel waits only for its own host
// processes (never the embedder's children), and one guest's host process
// killed from outside takes only that guest down.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, CLI, BUSYBOX, CLEAN_ENV, assertNoLeftovers, stubProcesses, trackUmltsPid, withPlatform } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test("a program's own child keeps its exit status while the library runs a guest", () => {
  const lib = pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href;
  // the child exits (status 7) while run() is busy with a guest that sleeps past it
  const script = `
    import { spawn } from 'node:child_process';
    const { run } = await import(${JSON.stringify(lib)});
    const child = spawn('/bin/sh', ['-c', 'sleep 0.3; exit 7']);
    const exited = new Promise((res) => child.on('exit', (code, sig) => res({ code, sig })));
    const r = await run([${JSON.stringify(BUSYBOX)}, 'sh', '-c', 'sleep 1; echo guest done'], { memory: 256 << 20, cwd: '/' });
    const c = await exited;
    process.stdout.write(r.stdout);
    console.log('guest status', r.exitCode, 'child', c.code, c.sig);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: withPlatform(CLEAN_ENV), timeout: 60_000 });
  assert.equal(r.stdout, 'guest done\nguest status 0 child 7 null\n', `${r.stdout}\n${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
});

test('SIGKILL of one guest host process from outside: its parent sees SIGKILL, the others finish', async () => {
  // a worker that computes without forking, then a victim that sleeps: the
  // victim's stub is the host process that maps the host's sleep(1) (not
  // found by its pid's age: pids say nothing of which guest a stub is)
  const SLEEP = fs.realpathSync('/bin/sleep');
  const script = [
    `${BUSYBOX} sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo worker done' & w=$!`,
    `${SLEEP} 30 & v=$!`,
    'sleep 0.2; echo started',
    'wait $v; echo victim $?',
    'wait $w; echo worker $?',
  ].join('\n');
  const child = spawn(process.execPath, [CLI, 'run', '--', BUSYBOX, 'sh', '-c', script], { env: withPlatform(CLEAN_ENV), stdio: ['ignore', 'pipe', 'pipe'] });
  trackUmltsPid(child.pid);
  let out = '', err = '';
  child.stderr.on('data', (d) => { err += d; });
  const done = new Promise((res) => child.on('exit', (code, sig) => res({ code, sig })));
  await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no "started" line: ${out}\n${err}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('started\n')) { clearTimeout(t); res(); }
    });
  });
  const ours = stubProcesses().filter((p) => p.ppid === child.pid).map((p) => p.pid);
  const maps = (pid) => { try { return fs.readFileSync(`/proc/${pid}/maps`, 'latin1'); } catch { return ''; } };
  const victim = ours.filter((pid) => maps(pid).includes(SLEEP));
  assert.equal(victim.length, 1, `umlts's host processes ${ours}: one maps ${SLEEP}`);
  process.kill(victim[0], 'SIGKILL');
  const { code, sig } = await done;
  assert.equal(sig, null, err);
  assert.equal(code, 0, `${out}\n${err}`);
  assert.match(out, /^victim 137$/m, `${out}\n${err}`);
  assert.match(out, /^worker done$/m, `${out}\n${err}`);
  assert.match(out, /^worker 0$/m, `${out}\n${err}`);
  assert.doesNotMatch(err, /kernel error/, err);
});
