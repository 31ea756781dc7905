#!/usr/bin/env node
// Run the syscall fuzzer (test/guests/fuzz.c) under umlts, seed after seed,
// and report what a guest must never be able to cause (issue 11):
//   - a kernel error (umlts ends with status 70), or an internal error (a
//     handler threw: contained, but a kernel bug), or a stub run that failed
//     (a host refusal that did not become the guest's errno);
//   - a hang: umlts not done within --timeout, or a guest process that
//     SIGKILL did not end (the fuzzer's own HANG report);
//   - a guest host process left behind;
//   - a file written outside the scratch directory: the root is read-only
//     and only SCRATCH is mounted writable (at /scratch), so a bait
//     directory beside it (which the fuzzer aims at) and the fuzzer's own
//     copy (bin/) must not change, and nothing may appear next to them.
// Stalls (a worker blocked for good, killed by the fuzzer) are listed with
// its threads' state and signal masks, not counted as problems: a guest may
// block itself.
//
//   npm run fuzz -- [--seeds N] [--first S] [--calls M] [--timeout SEC] [--strace] [--keep]
//
// A seed with a problem keeps its umlts stderr in build/fuzz-logs/seed-S.log
// (with --strace, every call). Exit status: 0 when every seed ran clean.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { buildGuest, runUmlts, makeScratch, rmScratch, ourStubProcesses, TEST_DIR, CLEAN_ENV } from '../test/lib.mjs';

/** The fuzzer's binary (static, threads), built if stale. */
export function buildFuzzer() {
  return buildGuest('fuzz', ['-pthread']);
}

/** Every file and directory under dir: name -> type, mode, size, mtime and a hash of the content. */
function snapshot(dir) {
  const out = {};
  const walk = (d, rel) => {
    for (const ent of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, ent.name), r = path.join(rel, ent.name);
      const st = fs.lstatSync(p);
      let hash = '';
      if (st.isFile()) hash = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex').slice(0, 16);
      out[r] = `${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${hash}`;
      if (st.isDirectory()) walk(p, r);
    }
  };
  walk(dir, '');
  return out;
}

function diffSnapshots(before, after) {
  const changes = [];
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[k] !== after[k]) changes.push(`${k}: ${before[k] ?? 'absent'} -> ${after[k] ?? 'absent'}`);
  }
  return changes;
}

/**
 * Run one seed: a fresh fuzz directory (scratch/ mounted writable at
 * /scratch, bait/ beside it), umlts with a read-only root. Returns
 * { seed, problems: [string], stalls: [string], summary, secs, stderr }.
 */
export function fuzzOne({ seed, calls, timeoutMs = 120_000, strace = false, keep = false, bin = buildFuzzer() }) {
  const root = makeScratch(`fuzz-${seed}`);
  const scratch = path.join(root, 'scratch'), bait = path.join(root, 'bait');
  fs.mkdirSync(scratch);
  fs.mkdirSync(path.join(bait, 'dir'), { recursive: true });
  fs.writeFileSync(path.join(bait, 'file'), 'bait: must not change\n');
  fs.writeFileSync(path.join(bait, 'dir', 'file'), 'bait too\n');
  fs.chmodSync(path.join(bait, 'file'), 0o666);
  // the fuzzer runs from the fuzz directory too (bin/: outside the scratch
  // directory, like the bait, and nobody else's to write)
  const binDir = path.join(root, 'bin');
  fs.mkdirSync(binDir);
  fs.copyFileSync(bin, path.join(binDir, 'fuzz'));
  fs.chmodSync(path.join(binDir, 'fuzz'), 0o755);
  const baitBefore = snapshot(bait);
  const binBefore = snapshot(binDir);
  const t0 = Date.now();
  // one to three vCPUs by seed: the scheduler's queueing and preemption are fuzzed too
  const args = ['--mem', '512M', '--cpus', String(1 + (seed % 3)), '--mount', `${scratch}:/scratch`];
  if (strace) args.push('--strace');
  const r = runUmlts(args, [path.join(binDir, 'fuzz'), '--seed', String(seed), '--calls', String(calls), '--bait', bait],
    { timeout: timeoutMs, env: CLEAN_ENV });
  const secs = (Date.now() - t0) / 1000;
  const problems = [];
  if (r.timedOut) problems.push(`hang: umlts did not finish within ${timeoutMs / 1000} s`);
  for (const line of r.stderr.split('\n')) {
    if (/kernel error|internal error|stub run .* failed/.test(line)) problems.push(line);
  }
  for (const line of r.stdout.split('\n')) if (/^fuzz: (HANG|refusing|chdir|20 workers)/.test(line)) problems.push(line);
  if (!r.timedOut && r.code !== 0 && !problems.length) problems.push(`exit status ${r.code}`);
  // (SIGKILLs already sent — PTRACE_O_EXITKILL — may take a moment to land, as assertNoLeftovers allows)
  let left = ourStubProcesses(new Set([r.pid]));
  for (const until = Date.now() + 2000; left.length && Date.now() < until; left = ourStubProcesses(new Set([r.pid]))) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  if (left.length) {
    problems.push(`host processes left: ${left.map((p) => p.pid).join(' ')}`);
    for (const p of left) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const c of diffSnapshots(baitBefore, snapshot(bait))) problems.push(`written outside the scratch directory: bait/${c}`);
  for (const c of diffSnapshots(binBefore, snapshot(binDir))) problems.push(`written outside the scratch directory: bin/${c}`);
  const beside = fs.readdirSync(root).filter((n) => n !== 'scratch' && n !== 'bait' && n !== 'bin');
  if (beside.length) problems.push(`written outside the scratch directory: ${beside.map((n) => path.join(root, n)).join(' ')}`);
  const stalls = r.stdout.split('\n').filter((l) => l.startsWith('fuzz: stall') || l.startsWith('fuzz:   '));
  const summary = r.stdout.split('\n').find((l) => l.startsWith('fuzz: seed')) ?? '(no summary)';
  if (!keep) rmScratch(root);
  return { seed, problems, stalls, summary, secs, stderr: r.stderr, stdout: r.stdout };
}

function parseArgs(argv) {
  const o = { seeds: 10, first: 1, calls: 5000, timeout: 300, strace: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = () => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${a} needs a number`);
      return n;
    };
    if (a === '--seeds') o.seeds = v();
    else if (a === '--first') o.first = v();
    else if (a === '--calls') o.calls = v();
    else if (a === '--timeout') o.timeout = v();
    else if (a === '--strace') o.strace = true;
    else if (a === '--keep') o.keep = true;
    else throw new Error(`unknown option ${a} (--seeds N --first S --calls M --timeout SEC --strace --keep)`);
  }
  return o;
}

function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`fuzz: ${e.message}\n`);
    process.exit(2);
  }
  const bin = buildFuzzer();
  const logs = path.join(TEST_DIR, 'fuzz-logs');
  let bad = 0, stalled = 0;
  const t0 = Date.now();
  for (let seed = o.first; seed < o.first + o.seeds; seed++) {
    const res = fuzzOne({ seed, calls: o.calls, timeoutMs: o.timeout * 1000, strace: o.strace, keep: o.keep, bin });
    const tail = `${res.summary.replace(/^fuzz: /, '')} (${res.secs.toFixed(1)} s)`;
    if (res.problems.length) {
      bad++;
      fs.mkdirSync(logs, { recursive: true });
      const log = path.join(logs, `seed-${seed}.log`);
      fs.writeFileSync(log, `${res.stdout}\n--- umlts stderr ---\n${res.stderr}`);
      console.log(`seed ${seed}: PROBLEM ${tail}; log ${log}`);
      for (const p of res.problems) console.log(`  ${p}`);
    } else {
      console.log(`seed ${seed}: ok ${tail}`);
    }
    stalled += res.stalls.length;
    for (const s of res.stalls) console.log(`  (${s.replace(/^fuzz: /, '')})`);
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  console.log(`fuzz: ${o.seeds} seeds x ${o.calls} calls in ${secs} s: ${o.seeds - bad} clean, ${bad} with problems, ${stalled} stalls`);
  process.exit(bad ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();

