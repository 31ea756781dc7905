// Start-up (issue 14): the kernel's bundle and its V8 code cache
// (src/lib/load_kernel.ts), the command's kernel on its own thread
// (src/lib/run_here.ts), and UMLTS_TIMING. How long a start takes is never
// asserted here: `npm run bench -- startup` measures it.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, CLEAN_ENV, runUmlts, assertNoLeftovers, lines, makeScratch, rmScratch, trackUmltsPid, withPlatform } from './lib.mjs';

afterEach(() => assertNoLeftovers());

const TIMING = /^umlts-timing: +([\d.]+) ms, cpu +([\d.]+) ms, faults +\d+ {2}(.+)$/;

/** UMLTS_TIMING's phases of one run: [{wall, cpu, phase}] in the order printed. */
function phases(stderr) {
  return lines(stderr).filter((l) => l.startsWith('umlts-timing:')).map((l) => {
    const m = TIMING.exec(l);
    assert.ok(m, `not a timing line: ${l}`);
    return { wall: Number(m[1]), cpu: Number(m[2]), phase: m[3] };
  });
}

test('UMLTS_TIMING prints each phase of a start and an exit, in order, on one clock; the build made a code cache the command uses', () => {
  const r = runUmlts([], ['/bin/sh', '-c', 'echo out; echo err >&2; exit 3'], { env: { ...CLEAN_ENV, UMLTS_TIMING: '1' } });
  assert.equal(r.code, 3, r.describe());
  assert.equal(r.stdout, 'out\n');
  assert.ok(lines(r.stderr).includes('err'), r.describe());
  const p = phases(r.stderr);
  const names = p.map((x) => x.phase);
  const want = ['cli: bundle loaded', 'load: reading the kernel', 'load: compiled (code cache used)', 'kernel: modules loaded',
    'kernel: kernel built', 'kernel: ready posted', 'kernel: first process loaded', 'kernel: process exited', 'kernel: shut down', 'cli: exit'];
  let at = -1;
  for (const w of want) {
    const i = names.indexOf(w, at + 1);
    assert.ok(i > at, `phase '${w}' missing or out of order in ${JSON.stringify(names)}`);
    at = i;
  }
  for (let i = 1; i < p.length; i++) {
    assert.ok(p[i].wall >= p[i - 1].wall && p[i].cpu >= p[i - 1].cpu, `the clock went back at '${p[i].phase}': ${JSON.stringify(p)}`);
  }
});

test('without UMLTS_TIMING nothing of it is printed (the command and the library)', () => {
  const r = runUmlts([], ['/bin/true']);
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stderr, '');
  const lib = path.join(ROOT, 'dist', 'index.js');
  const code = `const { run } = await import(${JSON.stringify(lib)}); const r = await run(['/bin/sh', '-c', 'echo hi']); process.stdout.write(r.stdout);`;
  const n = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: withPlatform(CLEAN_ENV), encoding: 'utf8', timeout: 120_000 });
  trackUmltsPid(n.pid);
  assert.equal(n.status, 0, n.stderr);
  assert.equal(n.stdout, 'hi\n');
  assert.equal(n.stderr, '');
});

/**
 * A copy of the built package (dist/, the stub, package.json; koffi from
 * this checkout), timestamps kept, so that a test can change its bundle.
 */
function copyPackage() {
  const dir = makeScratch('startup');
  for (const p of ['dist', path.join('build', 'native'), 'package.json']) {
    fs.cpSync(path.join(ROOT, p), path.join(dir, p), { recursive: true, preserveTimestamps: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function runCopy(dir, argv) {
  const r = spawnSync(process.execPath, [path.join(dir, 'dist', 'umlts.cjs'), 'run', '--', ...argv],
    { env: withPlatform({ ...CLEAN_ENV, UMLTS_TIMING: '1' }), encoding: 'utf8', timeout: 120_000, cwd: '/' });
  trackUmltsPid(r.pid);
  const p = phases(r.stderr).find((x) => x.phase.startsWith('load: compiled'));
  return { ...r, cache: p?.phase ?? 'no compile line', rest: lines(r.stderr).filter((l) => !l.startsWith('umlts-timing:')) };
}

test('a code cache is used only with the bundle it was made from: one edited since is compiled from its source, and its code runs', () => {
  const dir = copyPackage();
  try {
    let r = runCopy(dir, ['no-such-program']);
    assert.equal(r.status, 127, r.stderr);
    assert.equal(r.cache, 'load: compiled (code cache used)');
    assert.deepEqual(r.rest, ['umlts: no-such-program: command not found']);
    // the same length (V8's own check passes) and the same stamp line: only the text differs
    const bundle = path.join(dir, 'dist', 'umlts-kernel.cjs');
    const text = fs.readFileSync(bundle, 'utf8');
    assert.ok(text.includes(': command not found'));
    fs.writeFileSync(bundle, text.replace(': command not found', ': COMMAND NOT FOUND'));
    r = runCopy(dir, ['no-such-program']);
    assert.equal(r.status, 127, r.stderr);
    assert.equal(r.cache, 'load: compiled (code cache none)');
    assert.deepEqual(r.rest, ['umlts: no-such-program: COMMAND NOT FOUND']);
    // a cache of another build (its stamp differs) is not used either, even when newer
    fs.writeFileSync(bundle, text);
    const cache = path.join(dir, 'dist', 'umlts-kernel.cache');
    const data = fs.readFileSync(cache);
    data.write('0'.repeat(64), 0, 'latin1');
    fs.writeFileSync(cache, data);
    r = runCopy(dir, ['/bin/sh', '-c', 'exit 5']);
    assert.equal(r.status, 5, r.stderr);
    assert.equal(r.cache, 'load: compiled (code cache none)');
  } finally {
    rmScratch(dir);
  }
});
