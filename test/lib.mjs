import { createHash } from 'node:crypto';
// Shared helpers for the umlts test suite (node --test).
//
// Every test that runs a guest compares it with the host kernel (differential)
// or checks a precise expectation, and every file that runs guests checks in an
// after/afterEach hook that no guest host process (argv[0] `umlts-stub` or
// `umlts-waker`) outlived its umlts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The project root (the folder holding package.json). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
/** The umlts command; UMLTS_CLI overrides it (to check the harness itself
 * against a stand-in). */
export const CLI = process.env.UMLTS_CLI || path.join(ROOT, 'dist', 'umlts.cjs');
export const GUEST_SRC = path.join(ROOT, 'test', 'guests');
/** The library (package.json's export), as a URL for import(). */
export const LIB = pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href;
/** Where guest binaries and scratch files go: a host folder the guest sees
 * under the default root, which every user can reach (guests run as other
 * users, --user or setuid, and so do native runs that drop to nobody).
 * The project's build folder, unless the project lives under /tmp (the
 * guest's /tmp is umlts's own in-memory tmpfs; CI's clone might) or under
 * a folder others cannot search (a `mktemp -d` one is 0700): then a folder
 * of its own in /var/tmp, one per project checkout. */
export const TEST_DIR = testDir();
function testDir() {
  if (!ROOT.startsWith('/tmp/') && ROOT !== '/tmp' && searchableByAll(ROOT)) return path.join(ROOT, 'build');
  const h = createHash('sha256').update(ROOT).digest('hex').slice(0, 12);
  return path.join('/var/tmp', `umlts-test-${h}`);
}
/** Can every user reach dir (search permission for others on it and each folder above)? */
function searchableByAll(dir) {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      if (!(fs.statSync(d).mode & 0o001)) return false;
    } catch {
      return false;
    }
    if (d === '/') return true;
  }
}
export const GUEST_BIN = path.join(TEST_DIR, 'guests');
export const SCRATCH = path.join(TEST_DIR, 'tmp');
export const BUSYBOX = '/bin/busybox';

/** Names the stub's host processes carry as argv[0] (src/platform/ptrace.ts). */
export const STUB_NAMES = ['umlts-stub', 'umlts-waker'];

/** A small, fixed environment for native runs, matching the clean environment
 * umlts gives its guests (PATH, HOME, TERM); umlts itself gets the same one so
 * that whatever it copies from its own environment matches too. */
export const CLEAN_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: process.env.HOME || '/root',
  TERM: process.env.TERM || 'dumb',
};

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_BUFFER = 512 * 1024 * 1024;

/** Compile test/guests/NAME.c statically into build/guests/NAME (cached by
 * mtime) with cc (or another compiler: { cc: 'musl-gcc' }); returns the
 * absolute path of the binary. */
export function buildGuest(name, extraFlags = [], { cc = 'cc' } = {}) {
  const src = path.join(GUEST_SRC, `${name}.c`);
  // (another compiler's binary, musl-gcc's say, is kept under its own name)
  const out = path.join(GUEST_BIN, cc === 'cc' ? name : `${name}.${path.basename(cc)}`);
  // The guest and the shared headers it may include all count for freshness.
  const headers = fs.readdirSync(GUEST_SRC).filter((f) => f.endsWith('.h'));
  const newest = Math.max(fs.statSync(src).mtimeMs, ...headers.map((h) => fs.statSync(path.join(GUEST_SRC, h)).mtimeMs));
  let fresh = false;
  try { fresh = fs.statSync(out).mtimeMs >= newest; } catch { fresh = false; }
  if (fresh) return out;
  fs.mkdirSync(GUEST_BIN, { recursive: true });
  const tmp = `${out}.tmp.${process.pid}`;
  const r = spawnSync(cc, ['-static', '-O1', '-Wall', '-o', tmp, src, ...extraFlags], { encoding: 'utf8' });
  if (r.error) throw new Error(`buildGuest(${name}): cannot run ${cc}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`buildGuest(${name}): ${cc} failed (status ${r.status}):\n${r.stderr}`);
  fs.renameSync(tmp, out);
  return out;
}

/** A fresh scratch directory under build/tmp (visible to guests under the
 * default root); removed by the caller with rmScratch or left for inspection. */
export function makeScratch(prefix = 't') {
  fs.mkdirSync(SCRATCH, { recursive: true });
  return fs.mkdtempSync(path.join(SCRATCH, `${prefix}-`));
}

export function rmScratch(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

function normalize(r, what, timeoutMs) {
  const timedOut = r.error && r.error.code === 'ETIMEDOUT';
  if (r.error && !timedOut) throw new Error(`${what}: spawn failed: ${r.error.message}`);
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    pid: r.pid,
    timedOut,
    /** Exit status the way a shell reports it: 128+N for death by signal N. */
    code: r.status !== null ? r.status : 128 + (os.constants.signals[r.signal] ?? 0),
    describe() {
      const err = typeof this.stderr === 'string' ? this.stderr : this.stderr.toString('utf8');
      return `${what}: status=${this.status} signal=${this.signal}${timedOut ? ` TIMED OUT after ${timeoutMs} ms` : ''}\n` +
        `--- stderr (first 3000 chars) ---\n${err.slice(0, 3000)}`;
    },
  };
}

/** UMLTS_PLATFORM (ptrace, systrap or auto), when the test run sets it,
 * reaches every umlts the tests start: `UMLTS_PLATFORM=ptrace npm test` runs
 * the suite on ptrace (unset: the default, systrap where the host allows it). */
export function withPlatform(env) {
  const p = process.env.UMLTS_PLATFORM;
  return p && env.UMLTS_PLATFORM === undefined ? { ...env, UMLTS_PLATFORM: p } : env;
}

/** The platform the umlts that the tests start run on: what UMLTS_PLATFORM
 * names, else what the default (auto) takes on this host, asked of umlts
 * itself once (its start-up timing line names it). */
let platformSeen;
export function testPlatform() {
  const p = process.env.UMLTS_PLATFORM;
  if (p === 'ptrace' || p === 'systrap') return p;
  if (platformSeen) return platformSeen;
  requireCli();
  const r = spawnSync(process.execPath, [CLI, 'run', '--', '/bin/true'],
    { env: withPlatform({ ...CLEAN_ENV, UMLTS_TIMING: '1' }), encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL', cwd: '/' });
  trackUmltsPid(r.pid);
  const m = /kernel: platform (\w+) up/.exec(r.stderr ?? '');
  if (!m) throw new Error(`testPlatform: no platform line from umlts: status ${r.status}\n${r.stderr}`);
  return (platformSeen = m[1]);
}

/** Run argv on the host. opts: {env, cwd, input, timeout, encoding}. */
export function runNative(argv, opts = {}) {
  const timeout = opts.timeout ?? DEFAULT_TIMEOUT_MS;
  const r = spawnSync(argv[0], argv.slice(1), {
    env: opts.env ?? CLEAN_ENV,
    cwd: opts.cwd ?? '/',
    input: opts.input ?? '',
    timeout,
    killSignal: 'SIGKILL',
    encoding: opts.encoding ?? 'utf8',
    maxBuffer: MAX_BUFFER,
  });
  return normalize(r, `native ${JSON.stringify(argv)}`, timeout);
}

/** PIDs of every umlts process this test process started: leftovers are
 * matched against them (the stub's argv names its kernel's pid). */
const umltsPids = new Set();

/** Fails with a clear message (not a crash) when dist/umlts.cjs is missing. */
export function requireCli() {
  assert.ok(fs.existsSync(CLI), `umlts is not built: ${CLI} does not exist (run \`npm run build\`)`);
}

/** Run `node [opts.nodeArgs] dist/umlts.cjs run ...args -- ...argv`. opts as runNative, plus
 * `raw: true` to pass args verbatim (no `run`, no `--`, for CLI tests). */
export function runUmlts(args, argv, opts = {}) {
  requireCli();
  const timeout = opts.timeout ?? DEFAULT_TIMEOUT_MS;
  const full = [...(opts.nodeArgs ?? []), ...(opts.raw ? [CLI, ...args] : [CLI, 'run', ...args, '--', ...argv])];
  const r = spawnSync(process.execPath, full, {
    env: withPlatform(opts.env ?? CLEAN_ENV),
    cwd: opts.hostCwd ?? ROOT,
    input: opts.input ?? '',
    timeout,
    killSignal: 'SIGKILL',
    encoding: opts.encoding ?? 'utf8',
    maxBuffer: MAX_BUFFER,
  });
  if (r.pid) umltsPids.add(r.pid);
  return normalize(r, `umlts ${JSON.stringify(opts.raw ? args : [...args, '--', ...argv])}`, timeout);
}

/** Remember the pid of an umlts started some other way (e.g. child_process.spawn). */
export function trackUmltsPid(pid) {
  if (pid) umltsPids.add(pid);
}

/** Differential run: same stdout and same exit status as on the host.
 * The guest's cwd is pinned to `cwd` (default /) on both sides. */
export function assertSameAsNative(argv, umltsArgs = [], opts = {}) {
  const cwd = opts.cwd ?? '/';
  const native = runNative(argv, { ...opts, cwd });
  assert.ok(!native.timedOut, native.describe());
  const um = runUmlts(['--cwd', cwd, ...umltsArgs], argv, opts);
  const filter = opts.filter ?? ((s) => s);
  const nOut = filter(native.stdout);
  const uOut = filter(um.stdout);
  if (opts.encoding === 'buffer') {
    if (Buffer.compare(nOut, uOut) !== 0) {
      let i = 0;
      while (i < nOut.length && i < uOut.length && nOut[i] === uOut[i]) i++;
      assert.fail(`stdout differs from native at byte ${i} (umlts ${uOut.length} bytes, native ${nOut.length})\n${um.describe()}`);
    }
  } else if (uOut !== nOut) {
    assert.fail(`stdout differs from native\n${firstDifference(nOut, uOut)}\n${um.describe()}`);
  }
  assert.equal(um.code, native.code, `exit status differs from native\n${um.describe()}`);
  return { native, umlts: um };
}

/** A short report of where two outputs part: the first differing line with
 * a little context (whole-output diffs of 100 000 lines help no one). */
export function firstDifference(want, got, wantLabel = 'native', gotLabel = 'umlts') {
  const a = want.split('\n');
  const b = got.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const ctx = (ls) => ls.slice(Math.max(0, i - 2), i + 3).map((l, k) => `${Math.max(0, i - 2) + k + 1}: ${JSON.stringify(l)}`).join('\n');
  return `first difference at line ${i + 1} (${wantLabel} ${a.length} lines, ${gotLabel} ${b.length} lines)\n` +
    `--- ${wantLabel} ---\n${ctx(a)}\n--- ${gotLabel} ---\n${ctx(b)}`;
}

/** assert got === want for long texts, reporting only the first difference. */
export function assertSameText(got, want, what = '') {
  if (got !== want) assert.fail(`${firstDifference(want, got, 'expected', 'got')}\n${what}`);
}

function procInfo(pid) {
  let stat;
  try { stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return null; }
  const rest = stat.replace(/^.*\) /s, '').split(' ');
  let argv = [];
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`);
    if (cmd.length > 0) argv = cmd.toString('utf8').replace(/\0$/, '').split('\0');
  } catch { /* gone, or not readable */ }
  let exe = null;
  try { exe = fs.readlinkSync(`/proc/${pid}/exe`); } catch { /* kernel thread, gone, or not allowed */ }
  let comm = '';
  try { comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { /* gone */ }
  return { pid: Number(pid), state: rest[0], ppid: Number(rest[1]), argv, exe, comm };
}

/** Whether a process is one of umlts's guest host processes. argv[0] names it
 * (`umlts-stub`, `umlts-waker`) until the stub unmaps its own stack (then
 * /proc/PID/cmdline reads empty), so the executable (build/native/umlts-stub,
 * formerly build/native/stub) and its comm identify it too. */
function isStub(p) {
  if (STUB_NAMES.includes(p.argv[0]) || STUB_NAMES.includes(p.comm)) return true;
  if (p.exe !== null) return /\/native\/(umlts-)?stub( \(deleted\))?$/.test(p.exe);
  return p.comm === 'stub';
}

/** Every live guest host process: [{pid, ppid, argv, exe, comm, state}]. */
export function stubProcesses() {
  const found = [];
  for (const ent of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    const p = procInfo(ent);
    if (p === null || p.state === 'Z' || p.state === 'X') continue; // dead, waiting to be reaped
    if (isStub(p)) found.push(p);
  }
  return found;
}

/** Guest host processes that belong to umlts runs of this test process: an
 * ancestor is one of our umlts processes, or the stub's argv names one (its
 * kernel's pid), or it is an orphan (no Node ancestor: its umlts is gone, so
 * it is a leftover whoever started it). Another kernel's live stubs (the lead
 * running its own tests on this machine) are left alone. With CI=true or
 * UMLTS_STRICT_LEFTOVERS=1 every guest host process counts. */
export function ourStubProcesses(pids = umltsPids) {
  const strict = process.env.CI === 'true' || process.env.UMLTS_STRICT_LEFTOVERS === '1';
  return stubProcesses().filter((p) => {
    if (strict || p.argv.slice(1).some((a) => pids.has(Number(a)))) return true;
    for (let q = p, hops = 0; q !== null && hops < 64; hops++) {
      if (pids.has(q.pid)) return true;
      if (q.pid <= 1) return true; // reached init: an orphan
      if (q !== p && q.exe !== null && /\/node[^/]*$/.test(q.exe)) return false; // another live kernel
      q = procInfo(q.ppid);
    }
    return true;
  });
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Fail, listing them, if guest host processes are still alive. Waits up to
 * `graceMs` for SIGKILLs already sent (PTRACE_O_EXITKILL) to land. */
export function assertNoLeftovers(graceMs = 1000, pids = umltsPids) {
  const deadline = Date.now() + graceMs;
  let left = ourStubProcesses(pids);
  while (left.length > 0 && Date.now() < deadline) {
    sleepMs(50);
    left = ourStubProcesses(pids);
  }
  if (left.length > 0) {
    // Kill them so that one failure does not cascade into every later test.
    for (const p of left) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
  }
  assert.deepEqual(left.map((p) => `pid ${p.pid} ppid ${p.ppid} [${p.state}] ${p.exe ?? p.comm} ${p.argv.join(' ')}`), [],
    'guest host processes outlived umlts');
}

/** Lines of s that are not empty. */
export function lines(s) {
  return s.split('\n').filter((l) => l.length > 0);
}

/** Assert a failure report: non-zero exit, exactly one line on stderr, no JS
 * stack frames. */
export function assertOneLineError(r, wantStatus) {
  const err = r.stderr;
  assert.ok(!r.timedOut, r.describe());
  assert.ok(!/^\s+at /m.test(err), `stack trace on stderr:\n${err}`);
  assert.equal(lines(err).length, 1, `want exactly one line on stderr, got:\n${err}`);
  assert.ok(err.endsWith('\n'), `stderr line not newline-terminated: ${JSON.stringify(err)}`);
  if (wantStatus !== undefined) assert.equal(r.code, wantStatus, r.describe());
  else assert.notEqual(r.code, 0, `want a non-zero exit\n${r.describe()}`);
}

/** The CPUs this process may run on (umlts's default --cpus): a differential
 * test that shows CPU counts or masks runs umlts with as many vCPUs. */
export function hostCpus() {
  return os.availableParallelism();
}

/** Whether an executable exists on the host (for t.skip). */
export function hostHas(file) {
  try { fs.accessSync(file, fs.constants.X_OK); return true; } catch { return false; }
}
