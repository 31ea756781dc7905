#!/usr/bin/env node
// npm run pysuite -- [--timeout SECONDS] [--json] [--logs DIR] [--py-arg=ARG]... [--umlts-arg ARG]... MODULE...
//
// Runs CPython's regression tests (Debian's libpython3.11-testsuite) for each
// MODULE natively and under umlts, with `python3 -m test -v MODULE`, and lists
// every test that passes natively but not under umlts (failed, errored, or
// never reported because the run died or hung). --py-arg passes an option to
// regrtest on both sides (e.g. `--py-arg=--ignore --py-arg=NAME`). Exit
// status 0 when there is no such test, 1 otherwise, 2 on bad usage.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const CLI = path.join(ROOT, 'dist', 'umlts.cjs');
const PYTHON = '/usr/bin/python3';
const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', TERM: 'dumb', LANG: 'C.UTF-8' };

/** test id -> outcome, from a `-m test -v` log: "test_x (test.test_mod.Class.test_x) ... ok" */
export function parseLog(text) {
  const out = new Map();
  const re = /^(test\w*) \(([\w.]+)\)(?:\n[^\n]*?)?[^\n]*? \.\.\. (ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$/gm;
  for (const m of text.matchAll(re)) out.set(`${m[2]}.${m[1]}`.replace(/\.(test\w*)\.\1$/, '.$1'), m[3].startsWith('skipped') ? 'skipped' : m[3]);
  // results split across lines by output in between ("... " and the test's own output, then later "ok"): the
  // first result line before the next test starts
  const re2 = /^(test\w*) \(([\w.]+)\) \.\.\. .*$/gm;
  for (const m of text.matchAll(re2)) {
    const id = `${m[2]}.${m[1]}`.replace(/\.(test\w*)\.\1$/, '.$1');
    if (out.has(id)) continue;
    let rest = text.slice(m.index + m[0].length, m.index + m[0].length + 4000);
    const next = /^test\w* \([\w.]+\)/m.exec(rest);
    if (next) rest = rest.slice(0, next.index);
    const r = /^(ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$/m.exec(rest);
    out.set(id, r ? (r[1].startsWith('skipped') ? 'skipped' : r[1]) : 'unknown');
  }
  return out;
}

export function runSuite(mod, { umlts, timeoutS = 1800, extra = [], pyArgs = [] } = {}) {
  const cwd = fs.mkdtempSync('/var/tmp/pysuite-');
  // regrtest's own timeout (a traceback of where the test process is, then it exits) comes a minute
  // before ours (SIGKILL, no traceback); under load a module can take twice its quiet time, so it is
  // not cut at half the budget (a slow run that was cut there looked like a hang)
  const py = [PYTHON, '-m', 'test', '-v', '--timeout', String(Math.max(60, timeoutS - 60)), ...pyArgs, mod];
  // the guest gets the environment the native run has (umlts gives a clean one otherwise: no LANG)
  const env = Object.entries(ENV).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const argv = umlts ? [process.execPath, CLI, 'run', '--rw', '--cwd', cwd, ...env, ...extra, '--', ...py] : py;
  const t0 = Date.now();
  // umlts's own environment: the native run's, plus the platform a test run chose (UMLTS_PLATFORM; the guest never sees it)
  const platform = process.env.UMLTS_PLATFORM;
  const hostEnv = umlts && platform ? { ...ENV, UMLTS_PLATFORM: platform } : ENV;
  const r = spawnSync(argv[0], argv.slice(1), { cwd, env: hostEnv, encoding: 'utf8', timeout: timeoutS * 1000, killSignal: 'SIGKILL', maxBuffer: 1 << 30 });
  fs.rmSync(cwd, { recursive: true, force: true });
  const log = (r.stdout || '') + (r.stderr || '');
  const timedOut = r.error?.code === 'ETIMEDOUT' || regrtestTimedOut(log);
  return { log, status: r.status, signal: r.signal, timedOut, seconds: (Date.now() - t0) / 1000, results: parseLog(log) };
}

/**
 * regrtest's --timeout fired: faulthandler's dump_traceback_later printed
 * "Timeout (H:MM:SS)!" (often right after a test's "... ", the output
 * interleaved) and a traceback of where the test process was, and ended it.
 */
export function regrtestTimedOut(log) {
  return /Timeout \(\d+:\d\d:\d\d\)!\n(Thread 0x[0-9a-f]+|Current thread)/.test(log);
}

/** Tests that pass natively and not under umlts. */
export function compare(native, under) {
  const lost = [];
  for (const [id, res] of native.results) {
    if (res !== 'ok') continue;
    const u = under.results.get(id);
    if (u !== 'ok') lost.push({ id, umlts: u ?? 'not run' });
  }
  return lost;
}

async function main() {
  const args = process.argv.slice(2);
  let timeoutS = 1800, json = false, logs = '';
  const mods = [];
  const extra = [];
  const pyArgs = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--timeout') timeoutS = Number(args[++i]);
    else if (args[i] === '--json') json = true;
    else if (args[i] === '--logs') logs = args[++i];
    else if (args[i] === '--umlts-arg') extra.push(args[++i]);
    else if (args[i].startsWith('--py-arg=')) pyArgs.push(args[i].slice('--py-arg='.length));
    else mods.push(args[i]);
  }
  if (!mods.length || !Number.isFinite(timeoutS)) {
    process.stderr.write('usage: npm run pysuite -- [--timeout SECONDS] [--json] [--logs DIR] [--umlts-arg ARG]... MODULE...\n');
    process.exit(2);
  }
  if (!fs.existsSync('/usr/lib/python3.11/test/regrtest.py')) {
    process.stderr.write('pysuite: CPython\'s tests are missing: apt-get install libpython3.11-testsuite\n');
    process.exit(2);
  }
  let bad = 0;
  const report = [];
  for (const mod of mods) {
    const n = runSuite(mod, { umlts: false, timeoutS, pyArgs });
    const u = runSuite(mod, { umlts: true, timeoutS, extra, pyArgs });
    if (logs) {
      // both runs' logs, for finding out why a test was lost
      fs.mkdirSync(logs, { recursive: true });
      fs.writeFileSync(path.join(logs, `${mod}.native.log`), n.log);
      fs.writeFileSync(path.join(logs, `${mod}.umlts.log`), u.log);
    }
    const lost = compare(n, u);
    bad += lost.length;
    const passN = [...n.results.values()].filter((x) => x === 'ok').length;
    const passU = [...u.results.values()].filter((x) => x === 'ok').length;
    report.push({ mod, native: { pass: passN, seconds: n.seconds }, umlts: { pass: passU, seconds: u.seconds, status: u.status, timedOut: u.timedOut }, lost });
    if (!json) {
      process.stdout.write(`${mod}: native ${passN} ok (${n.seconds.toFixed(0)} s), umlts ${passU} ok (${u.seconds.toFixed(0)} s${u.timedOut ? ', TIMED OUT' : ''}), ${lost.length} lost\n`);
      for (const l of lost) process.stdout.write(`  ${l.id}: ${l.umlts}\n`);
    }
  }
  if (json) process.stdout.write(JSON.stringify(report, null, 1) + '\n');
  process.exit(bad ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
