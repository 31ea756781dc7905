// npm run bench: the shared microbenchmark (../shared/bench/microbench.c),
// natively, under umlts, and under the peers when they are installed (UML's
// linux.uml, gVisor's runsc), in one run, printed as ratios to native.
//
//   node bench/bench.mjs [ROW...] [startup] [--reps N] [--workloads] [--workload TEXT]... [--no-peers]
//
// --workload TEXT runs only the workloads whose name holds TEXT (and no
// rows unless some are named).
//
// The start-up section (issue 14) runs with the default rows or when
// `startup` is named: `node -e 0`, `umlts run -- /bin/true`, the library's
// run() in a fresh process, and a warm Sandbox's spawn, interleaved, medians.
//
// Rows and workloads are lists below: adding fork/exec/pipe (once umlts has
// fork) means flipping `default` on, adding a real workload means adding a
// line to WORKLOADS.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const CLI = path.join(ROOT, 'dist', 'umlts.cjs');
const SRC = fileURLToPath(new URL('../../shared/bench/microbench.c', import.meta.url));
// the guest must see the binary: not under /tmp (the guest's /tmp is its own tmpfs)
const BUILD = ROOT.startsWith('/tmp/') ? path.join('/var/tmp', 'umlts-bench') : path.join(ROOT, 'build');
const BIN = path.join(BUILD, 'microbench');
const MB_DIR = '/tmp';

/**
 * Microbenchmark rows. `arg` is microbench's argv[1]; it prints lines
 * "metric value unit". `lower`: whether a lower value is better (a time);
 * throughputs (MB/s) are higher-better. The ratio column is always a slowdown
 * (umlts/native for times, native/umlts for throughputs), so > 1 is slower.
 * `target` is checked against the umlts figure of this run.
 */
const ROWS = [
  { arg: 'syscall', metric: 'syscall_getppid', lower: true, default: true, target: { ratioMax: 70, text: 'getppid ≤ 70×' } },
  { arg: 'fault', metric: 'page_fault_touch', lower: true, default: true, target: { ratioMax: 3, text: 'new page ≤ 3×' } },
  { arg: 'devnull', metric: 'write_devnull', lower: false, default: true, target: { valueMin: 2000, text: '≥ 2 GB/s' } },
  { arg: 'files', metric: 'small_file_cycle', lower: true, default: true },
  // need fork/exec/pipe in umlts (later issues): run them by naming them
  { arg: 'fork', metric: 'fork_wait', lower: true, default: true, target: { peers: true, text: 'beat UML and gVisor' } },
  { arg: 'exec', metric: 'fork_exec_wait', lower: true, default: true, target: { peers: true, text: 'beat UML and gVisor' } },
  { arg: 'pipe', metric: 'pipe_pingpong', lower: true, default: true, target: { peers: true, text: 'beat UML and gVisor' } },
  // programs started as make, gcc and Python start them (bench/spawn.c): vfork and exec, posix_spawn
  { arg: 'vfork', build: 'spawn', metric: 'vfork_exec_wait', lower: true, default: true },
  { arg: 'spawn', build: 'spawn', metric: 'posix_spawn_wait', lower: true, default: true },
  { arg: 'parallel', metric: 'parallel_spin_2p', lower: true, default: true },
  // issue 10: sockets (umlts: the private loopback of --net none)
  { arg: 'unix', metric: 'unix_pingpong', lower: true, default: true, target: { ratioMax: 2, text: 'unix ping-pong ≤ 2× native' } },
  { arg: 'tcp', metric: 'tcp_pingpong', lower: true, default: true, target: { ratioMax: 2, text: 'tcp ping-pong ≤ 2× native' } },
  { arg: 'tcpbw', metric: 'tcp_stream', lower: false, default: true, target: { valueMin: 1000, text: 'tcp stream ≥ 1 GB/s' } },
  // the same stream over AF_UNIX (bench/sockbw.c), and tcpbw with umlts's inet sockets on the host's (--net host)
  { arg: 'unixbw', build: 'sockbw', metric: 'unix_stream', lower: false, default: true, target: { valueMin: 1000, text: 'unix stream ≥ 1 GB/s' } },
  { arg: 'tcpbw-host', mbArg: 'tcpbw', umltsFlags: ['--net', 'host'], umltsOnly: true, metric: 'tcp_stream', lower: false, default: true },
];

/** Real workloads, timed by wall clock for the whole run (startup included).
 * Run with --workloads. argv is run as is natively and under each runner. */
const WORKLOADS = [
  { name: 'busybox sha256sum /bin/busybox', argv: ['/bin/busybox', 'sha256sum', '/bin/busybox'] },
  { name: 'busybox grep -r SIGSEGV /usr/include', argv: ['/bin/busybox', 'grep', '-r', '-c', 'SIGSEGV', '/usr/include'] },
  { name: 'busybox awk loop', argv: ['/bin/busybox', 'awk', 'BEGIN{for(i=0;i<300000;i++)s+=i; print s}'] },
  // issue 3: a 200-iteration shell loop of pipelines, and gcc on a hello world
  { name: 'sh loop: 200 x echo $i | wc -c', argv: ['/bin/busybox', 'sh', '-c', 'i=0; while [ $i -lt 200 ]; do echo $i | wc -c >/dev/null; i=$((i+1)); done'] },
  {
    name: 'gcc hello.c',
    before: () => fs.writeFileSync(path.join(BUILD, 'hello_bench.c'), '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n'),
    argv: ['/usr/bin/gcc', '-o', path.join(BUILD, 'hello_bench'), path.join(BUILD, 'hello_bench.c')],
  },
  // threads of one process in parallel: 2 spinning threads; compare with 1
  { name: 'threads_spin 1 (one thread spinning)', build: 'threads_spin', argv: [path.join(BUILD, 'threads_spin'), '1'] },
  { name: 'threads_spin 2 (two threads, 2 CPUs)', build: 'threads_spin', argv: [path.join(BUILD, 'threads_spin'), '2'] },
  // issue 4: a 2000-file tree through tar and back, on a writable host directory
  // (umlts: --mount of BUILD; UML: hostfs rw; gVisor: its gofer). Two runs, timed together.
  {
    name: 'busybox tar c + tar x, 2000 files',
    // the second step reads what the first wrote: gVisor must write the host (no overlay)
    hostWrites: true,
    // (steps: each run's own extraction directory, made by before)
    before: () => tarTree(),
    steps: () => [
      ['/bin/busybox', 'tar', 'cf', path.join(BUILD, 'tartree', 't.tar'), '-C', path.join(BUILD, 'tartree'), 'src'],
      ['/bin/busybox', 'tar', 'xf', path.join(BUILD, 'tartree', 't.tar'), '-C', tarInto],
    ],
    after: () => fs.rmSync(path.join(BUILD, 'tartree', 'runs'), { recursive: true, force: true }),
  },
];

/**
 * The tar workload's tree (made once) and an empty extraction directory of
 * each run's own (tarInto), all deleted after the whole workload (after):
 * ext4 allocates inodes slowly for a minute or more after many were deleted
 * (ialloc.c's recently_deleted), so a tree deleted just before a run slowed
 * whichever runner came next, by up to 5x natively here.
 */
let tarInto = '';
let tarRuns = 0;
function tarTree() {
  const base = path.join(BUILD, 'tartree');
  const src = path.join(base, 'src');
  if (!fs.existsSync(path.join(src, '.done'))) {
    fs.rmSync(base, { recursive: true, force: true });
    for (let i = 0; i < 2000; i++) {
      const sub = path.join(src, `d${i % 10}`, `e${i % 7}`);
      fs.mkdirSync(sub, { recursive: true });
      fs.writeFileSync(path.join(sub, `file${i}.txt`), `file ${i}\n`.repeat(1 + (i % 50)));
    }
    fs.writeFileSync(path.join(src, '.done'), '');
  }
  fs.rmSync(path.join(base, 't.tar'), { force: true });
  tarInto = path.join(base, 'runs', `x${tarRuns++}`);
  fs.mkdirSync(tarInto, { recursive: true });
}

function which(cmd) {
  for (const d of (process.env.PATH || '/usr/bin:/bin').split(':')) {
    const p = path.join(d, cmd);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return null;
}

function parseArgs(argv) {
  const o = { rows: [], reps: 3, workloads: false, only: [], peers: true, startup: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--reps') o.reps = Math.max(1, Number(argv[++i]) || 1);
    else if (a === '--workloads') o.workloads = true;
    else if (a === '--workload') {
      // the workloads whose name holds this text, and (unless rows are named) nothing else
      o.workloads = true;
      o.only.push(argv[++i] ?? '');
    }
    else if (a === '--no-peers') o.peers = false;
    else if (a === '--all') o.rows = ROWS.map((r) => r.arg);
    else if (a === 'startup') o.startup = true;
    else if (ROWS.some((r) => r.arg === a)) o.rows.push(a);
    else { console.error(`bench: unknown argument ${a} (rows: ${ROWS.map((r) => r.arg).join(', ')})`); process.exit(2); }
  }
  if (o.rows.length === 0 && !o.startup && o.only.length === 0) {
    o.rows = ROWS.filter((r) => r.default).map((r) => r.arg);
    o.startup = true;
  }
  return o;
}

/** A workload's own C program (bench/NAME.c), built static into BUILD. */
function buildWorkload(name) {
  const src = path.join(ROOT, 'bench', `${name}.c`), bin = path.join(BUILD, name);
  try { if (fs.statSync(bin).mtimeMs >= fs.statSync(src).mtimeMs) return; } catch { /* build */ }
  fs.mkdirSync(BUILD, { recursive: true });
  const r = spawnSync('cc', ['-static', '-O2', '-pthread', '-o', bin, src], { encoding: 'utf8' });
  if (r.status !== 0) { console.error(`bench: cc ${name}.c failed:\n${r.stderr || r.error}`); process.exit(2); }
}

function buildMicrobench() {
  if (!fs.existsSync(SRC)) {
    console.error(`bench: ${SRC} is missing. The shared microbenchmark lives in ../shared/bench/ beside the project; ` +
      'check out the shared folder next to the project root to run the benchmark.');
    process.exit(2);
  }
  let fresh = false;
  try { fresh = fs.statSync(BIN).mtimeMs >= fs.statSync(SRC).mtimeMs; } catch { /* build */ }
  if (fresh) return;
  fs.mkdirSync(path.dirname(BIN), { recursive: true });
  const r = spawnSync('cc', ['-static', '-O2', '-o', BIN, SRC], { encoding: 'utf8' });
  if (r.status !== 0) { console.error(`bench: cc failed:\n${r.stderr || r.error}`); process.exit(2); }
}

/** Runners: each turns an argv into a command, or says why it cannot run. */
function runners(withPeers) {
  const list = [{ name: 'native', wrap: (argv) => ({ cmd: argv[0], args: argv.slice(1), env: { ...process.env, MB_DIR } }) }];
  if (fs.existsSync(CLI)) {
    // BUILD is mounted writable at its own path (the tar workload writes there)
    // both platforms, whatever UMLTS_PLATFORM says (each names its own)
    list.push({ name: 'umlts', wrap: (argv, w) => ({ cmd: process.execPath, args: [CLI, 'run', '--platform', 'ptrace', '--mount', `${BUILD}:${BUILD}`, '--env', `MB_DIR=${MB_DIR}`, ...(w?.umltsFlags ?? []), '--', ...argv] }) });
    // systrap as it runs by default (polling across CPUs while the host has one idle, syscall sites patched),
    // never polling, and patching no site
    const systrap = (name, env = {}) => ({
      name,
      wrap: (argv, w) => ({
        cmd: process.execPath,
        args: [CLI, 'run', '--platform', 'systrap', '--mount', `${BUILD}:${BUILD}`, '--env', `MB_DIR=${MB_DIR}`, ...(w?.umltsFlags ?? []), '--', ...argv],
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      }),
    });
    list.push(systrap('umlts-systrap'), systrap('umlts-systrap-nospin', { UMLTS_SPIN: '0' }), systrap('umlts-systrap-nopatch', { UMLTS_PATCH: '0' }));
  } else {
    list.push({ name: 'umlts', unavailable: `${CLI} missing: run npm run build` });
  }
  if (!withPeers) return list;
  const uml = which('linux.uml');
  if (uml) list.push({ name: 'UML', wrap: (argv) => umlCommand(uml, argv, buildUmlXstate()) });
  else list.push({ name: 'UML', unavailable: 'linux.uml not installed (apt-get install user-mode-linux)' });
  const runsc = which('runsc');
  if (runsc) {
    list.push({
      name: 'gVisor',
      wrap: (argv, w) => ({ cmd: runsc, args: ['--platform=ptrace', '--network=none', 'do', ...(w?.hostWrites ? ['-force-overlay=false'] : []), ...argv], env: { ...process.env, MB_DIR } }),
    });
  } else {
    list.push({ name: 'gVisor', unavailable: 'runsc not installed' });
  }
  return list;
}

/** bench/uml_xstate.c as a shared object for LD_PRELOAD (built once into
 * BUILD): UML 6.1 dies booting on a host whose XSAVE area is larger than its
 * own 832 bytes (AVX-512, AMX, PKU); the file says why and what it does. */
function buildUmlXstate() {
  const src = path.join(ROOT, 'bench', 'uml_xstate.c'), so = path.join(BUILD, 'uml_xstate.so');
  try { if (fs.statSync(so).mtimeMs >= fs.statSync(src).mtimeMs) return so; } catch { /* build */ }
  fs.mkdirSync(BUILD, { recursive: true });
  const r = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-o', so, src, '-ldl'], { encoding: 'utf8' });
  if (r.status !== 0) { console.error(`bench: cc uml_xstate.c failed:\n${r.stderr || r.error}`); process.exit(2); }
  return so;
}

/** UML boots with the host's / as hostfs root and an init script that runs the
 * command, stores its output on the host and powers off; `preload` is
 * buildUmlXstate's object (a no-op where UML's FPU buffer is the host's whole
 * area). */
function umlCommand(uml, argv, preload) {
  fs.mkdirSync(BUILD, { recursive: true });
  const dir = fs.mkdtempSync(path.join(BUILD, 'uml-'));
  const out = path.join(dir, 'out');
  const status = path.join(dir, 'status');
  const init = path.join(dir, 'init');
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  fs.writeFileSync(init, `#!/bin/busybox sh\n/bin/busybox mount -t proc proc /proc 2>/dev/null\n/bin/busybox mount -t tmpfs tmpfs /tmp 2>/dev/null\n` +
    `MB_DIR=${MB_DIR} ${argv.map(q).join(' ')} > ${q(out)} 2>&1\necho $? > ${q(status)}\n/bin/busybox sync\n/bin/busybox poweroff -f\n`);
  fs.chmodSync(init, 0o755);
  return {
    cmd: uml,
    args: ['mem=1024M', 'root=/dev/root', 'rootfstype=hostfs', 'rootflags=/', 'rw', `init=${init}`, 'con=null', 'quiet'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LD_PRELOAD: preload },
    output: out, status, cleanup: dir,
  };
}

function runOnce(runner, argv, w = null, timeoutMs = 300_000) {
  const c = runner.wrap(argv, w);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c.cmd, c.args, { encoding: 'utf8', env: c.env ?? { PATH: process.env.PATH, HOME: process.env.HOME }, timeout: timeoutMs, maxBuffer: 64 << 20 });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  let stdout = r.stdout ?? '';
  // UML: the guest's output and exit status come back in files its init wrote
  let status = r.status;
  if (c.output) { try { stdout = fs.readFileSync(c.output, 'utf8'); } catch { stdout = ''; } }
  // (no status file: UML died before its init ran, e.g. a UML 6.1 whose FPU state the host's ptrace refuses, without bench/uml_xstate.c)
  let booted = true;
  if (c.status) { try { status = Number(fs.readFileSync(c.status, 'utf8').trim()); } catch { status = null; booted = false; } }
  if (c.cleanup) fs.rmSync(c.cleanup, { recursive: true, force: true });
  const ok = !r.error && status === 0;
  // the most telling stderr line: an error message, not a stack frame or Node's banner
  const errLines = (r.stderr || '').split('\n').map((l) => l.trim()).filter((l) => l && !/^at /.test(l) && !/^Node\.js v/.test(l));
  const telling = errLines.find((l) => /error|fault|ENOSYS|not /i.test(l)) ?? errLines[0] ?? '';
  const why = r.error ? r.error.message : !booted ? `it died while booting (${r.signal ?? `exit ${r.status}`}), before running the program; linux.uml without 'quiet' says why`
    : `exit ${status ?? r.signal ?? 'unknown (no status from the guest)'}: ${telling || stdout.trim().split('\n').pop() || ''}`;
  return { ok, stdout, wallMs, why };
}

function parseMetrics(stdout) {
  const m = new Map();
  for (const line of stdout.split('\n')) {
    const [name, value, unit] = line.trim().split(/\s+/);
    if (name && value !== undefined && !Number.isNaN(Number(value))) m.set(name, { value: Number(value), unit });
  }
  return m;
}

/** Best of `reps` runs: the lowest time or the highest throughput. */
function measureRow(runner, row, reps) {
  if (runner.unavailable) return { note: 'n/a' };
  // a row of umlts's own flags: the peers have no such mode
  if (row.umltsOnly && runner.name !== 'native' && !runner.name.startsWith('umlts')) return { note: 'n/a' };
  if (row.build) buildWorkload(row.build);
  const argv = row.build ? [path.join(BUILD, row.build)] : [BIN, row.mbArg ?? row.arg];
  let best = null;
  for (let i = 0; i < reps; i++) {
    const r = runOnce(runner, argv, row);
    const v = parseMetrics(r.stdout).get(row.metric);
    if (!r.ok || !v) return { error: r.why || 'no output' };
    if (!best || (row.lower ? v.value < best.value : v.value > best.value)) best = v;
  }
  return best;
}

function measureWorkload(runner, w, reps) {
  if (runner.unavailable) return { note: 'n/a' };
  let best = null;
  for (let i = 0; i < reps; i++) {
    w.before?.();
    let total = 0;
    for (const argv of (typeof w.steps === 'function' ? w.steps() : w.steps) ?? [w.argv]) {
      const r = runOnce(runner, argv, w);
      if (!r.ok) return { error: r.why };
      total += r.wallMs;
    }
    if (best === null || total < best) best = total;
  }
  return { value: best, unit: 'ms' };
}

const fmt = (v) => (v === undefined || v === null ? '' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function cell(m) {
  if (!m) return '';
  if (m.note) return m.note;
  if (m.error) return 'error';
  return `${fmt(m.value)} ${m.unit}`;
}

function slowdown(native, other, lower) {
  if (!native || !other || native.value === undefined || other.value === undefined || native.value === 0 || other.value === 0) return null;
  return lower ? other.value / native.value : native.value / other.value;
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells) => cells.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/**
 * A floor: what the host itself costs for what a row measures, natively
 * (bench/NAME.c prints the floor's metric and a plain baseline's), printed
 * beside that row with each umlts column of `m` against the floor:
 * `text(floor, base)` describes it, `umltsValue` reads a column in the
 * floor's unit.
 */
function floor(name, floorKey, baseKey, m, rs, text, umltsValue = (v) => v.value) {
  buildWorkload(name);
  const r = spawnSync(path.join(BUILD, name), [], { encoding: 'utf8' });
  const f = parseMetrics(r.stdout || '');
  const fl = f.get(floorKey), base = f.get(baseKey);
  if (r.status !== 0 || !fl || !base || fl.value <= 0 || base.value <= 0) {
    console.log(`\n${name}: error (exit ${r.status})`);
    return;
  }
  const per = rs.filter((x) => x.name.startsWith('umlts') && m[x.name]?.value !== undefined)
    .map((x) => `${x.name} ${fmt(umltsValue(m[x.name]) / fl.value)}×`);
  console.log(`\n${text(fl, base)}; against that floor: ${per.join(', ') || 'n/a'}`);
}

/** The host's floor for a syscall taken by a signal (bench/sigsys_floor.c: seccomp RET_TRAP and an empty SIGSYS
 * handler), beside the syscall row: what any trap by signal costs here before a kernel does anything. */
function sigsysFloor(m, rs) {
  floor('sigsys_floor', 'sigsys_trap', 'syscall_getppid', m, rs, (trap, plain) =>
    `the host's floor for a syscall trapped by a signal (native; seccomp RET_TRAP, an empty SIGSYS handler): ` +
    `${fmt(trap.value)} µs, ${fmt(trap.value / plain.value)}× a plain getppid (${fmt(plain.value)} µs) in the same process`,
  (v) => (v.unit === 'ns' ? v.value / 1000 : v.value));
}

/** The host's floor for a new page of guest memory (bench/page_floor.c: a page of a shared memfd mapping populated
 * in 2 MiB runs, unmapped and punched out), beside the fault row: what memfd-backed guest memory pays here. */
function pageFloor(m, rs) {
  floor('page_floor', 'page_memfd', 'page_anon', m, rs, (shared, anon) =>
    `the host's floor for a new page through a shared memfd (native; MAP_POPULATE in 2 MiB runs, munmap, hole punched): ` +
    `${fmt(shared.value)} ns, ${fmt(shared.value / anon.value)}× an anonymous page (${fmt(anon.value)} ns) in the same process`);
}

/** The host's floor for a guest fork on systrap (bench/fork_floor.c: a process with a guest's mappings forks, the
 * copy clones a thread that installs its own filter and says so through a futex, the copy is killed and reaped),
 * beside the fork row: what a process per address space with a mapper pays here before a kernel does anything. */
function forkFloor(m, rs) {
  floor('fork_floor', 'fork_floor', 'fork_plain', m, rs, (fl, plain) =>
    `the host's floor for a guest fork on systrap (native; the copy of a process with 24 shared memfd mappings, ` +
    `a cloned thread, its own 45-instruction filter, killed and reaped): ${fmt(fl.value)} µs, ${fmt(fl.value / plain.value)}× ` +
    `a plain fork of that process (${fmt(plain.value)} µs)` +
    (m.native?.value ? `, ${fmt(fl.value / m.native.value)}× the native fork row` : ''));
}

/**
 * Start-up (issue 14: `umlts run -- /bin/true` within 50 ms of `node -e 0`).
 * Whole processes, interleaved round by round so that a busy host slows
 * them alike, medians of `rounds`: node -e 0; the command; a fresh process
 * that awaits the library's run(['/bin/true']) (and, inside it, the time
 * run() itself took). Each is timed by bash's `time`: wall, and the CPU
 * time (user + system) of the process and its children, guests included —
 * on a host others keep busy the CPU figure is the steadier one. Then, in
 * one process, new Sandbox() to ready, and a warm Sandbox's spawn of
 * /bin/true to its exit (medians of `rounds`).
 */
function startup(rounds) {
  const lib = pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href;
  const libRun = `const { run } = await import(${JSON.stringify(lib)}); const t = performance.now(); await run(['/bin/true']); ` +
    'process.stdout.write(String(performance.now() - t));';
  const procs = [
    { name: 'node -e 0', cmd: ['-e', '0'] },
    { name: 'umlts run -- /bin/true', cmd: [CLI, 'run', '--', '/bin/true'] },
    { name: "library: fresh process, await run(['/bin/true'])", cmd: ['--input-type=module', '-e', libRun], inner: "  of which run() itself" },
  ];
  const wall = procs.map(() => []), cpu = procs.map(() => []), inner = [];
  const errors = [];
  const q = (a) => `'${a.replace(/'/g, `'\\''`)}'`;
  for (let i = 0; i < rounds; i++) {
    procs.forEach((p, j) => {
      const script = `TIMEFORMAT='%3R %3U %3S'; time ${[process.execPath, ...p.cmd].map(q).join(' ')} 2>/dev/null`;
      const r = spawnSync('/bin/bash', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const t = /([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr || '');
      if (r.status !== 0 || !t) {
        errors.push(`${p.name}: exit ${r.status}`);
        return;
      }
      wall[j].push(Number(t[1]) * 1000);
      cpu[j].push((Number(t[2]) + Number(t[3])) * 1000);
      if (p.inner) inner.push(Number(r.stdout));
    });
  }
  const sandbox = `const { Sandbox } = await import(${JSON.stringify(lib)}); let t; const ready = []; ` +
    `for (let i = 0; i < ${rounds}; i++) { t = performance.now(); const s = new Sandbox(); await s.ready; ready.push(performance.now() - t); await s.close(); } ` +
    'const sb = new Sandbox(); await sb.ready; const spawns = []; ' +
    `for (let i = 0; i <= ${rounds}; i++) { t = performance.now(); await sb.spawn(['/bin/true'], { stdio: 'ignore' }).exited; if (i > 0) spawns.push(performance.now() - t); } ` +
    'await sb.close(); process.stdout.write(JSON.stringify({ ready, spawns }));';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', sandbox], { encoding: 'utf8' });
  let sb = null;
  try { sb = JSON.parse(r.stdout); } catch { errors.push(`Sandbox: exit ${r.status}: ${(r.stderr || '').trim().split('\n')[0]}`); }
  const med = (a) => { const b = [...a].sort((x, y) => x - y); return b[b.length >> 1]; };
  if (wall.some((w) => w.length === 0)) return errors;
  const base = med(wall[0]), baseCpu = med(cpu[0]);
  const rows = procs.map((p, j) => [p.name, `${med(wall[j]).toFixed(0)} ms`, j === 0 ? '' : `+${(med(wall[j]) - base).toFixed(0)} ms`,
    `${med(cpu[j]).toFixed(0)} ms`, j === 0 ? '' : `+${(med(cpu[j]) - baseCpu).toFixed(0)} ms`,
    j === 1 ? `wall within 50 ms of node -e 0 ${med(wall[j]) - base <= 50 ? 'MET' : 'MISSED'}` : '']);
  rows.push([procs[2].inner, `${med(inner).toFixed(0)} ms`, '', '', '', '']);
  if (sb) {
    rows.push(['new Sandbox() until ready (in a warm process)', `${med(sb.ready).toFixed(0)} ms`, '', '', '', '']);
    rows.push(["warm Sandbox: spawn(['/bin/true']) to its exit", `${med(sb.spawns).toFixed(1)} ms`, '', '', '', '']);
  }
  console.log(`start-up (median of ${rounds} interleaved rounds; cpu = user + system of the process and its children; differences from node -e 0 in the same run)\n`);
  table(['what', 'wall', 'vs node -e 0', 'cpu', 'vs node -e 0', 'target'], rows);
  return errors;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.rows.length > 0) buildMicrobench();
  const rs = runners(opts.peers);
  const errors = [];
  const notes = rs.filter((r) => r.unavailable).map((r) => `${r.name}: ${r.unavailable}`);
  console.log(`umlts microbench on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown cpu'}), best of ${opts.reps}`);
  console.log('ratio = slowdown vs native in the same run: umlts/native for times, native/umlts for MB/s (so > 1 is slower)\n');

  const peers = rs.filter((r) => r.name !== 'native' && r.name !== 'umlts');
  const header = ['row', 'native', 'umlts', 'ratio', 'target', ...peers.flatMap((p) => [p.name, `${p.name} ratio`])];
  const out = [];
  /** the syscall, fault and fork rows' figures, for the floors beside them */
  let syscallRow = null, faultRow = null, forkRow = null;
  for (const arg of opts.rows) {
    const row = ROWS.find((r) => r.arg === arg);
    const m = Object.fromEntries(rs.map((r) => [r.name, measureRow(r, row, opts.reps)]));
    for (const [name, v] of Object.entries(m)) if (v.error) errors.push(`${row.arg} under ${name}: ${v.error}`);
    const ratio = slowdown(m.native, m.umlts, row.lower);
    let target = '';
    if (row.target) {
      const t = row.target;
      let met;
      if (t.peers) {
        // faster than the better of the peers measured in this run (lower is better for these rows)
        const others = peers.map((p) => m[p.name]?.value).filter((v) => v !== undefined);
        met = others.length === 0 ? null : m.umlts?.value !== undefined && m.umlts.value < Math.min(...others);
      } else {
        met = t.ratioMax !== undefined ? ratio !== null && ratio <= t.ratioMax
          : m.umlts && m.umlts.value !== undefined && m.umlts.value >= t.valueMin;
      }
      target = `${t.text} ${m.umlts?.value === undefined ? '(no figure)' : met === null ? '(no peers)' : met ? 'MET' : 'MISSED'}`;
    }
    if (row.arg === 'syscall') syscallRow = m;
    if (row.arg === 'fault') faultRow = m;
    if (row.arg === 'fork') forkRow = m;
    out.push([`${row.arg} (${row.metric})`, cell(m.native), cell(m.umlts), ratio === null ? '' : `${fmt(ratio)}×`, target,
      ...peers.flatMap((p) => { const r = slowdown(m.native, m[p.name], row.lower); return [cell(m[p.name]), r === null ? '' : `${fmt(r)}×`]; })]);
  }
  if (out.length) table(header, out);
  if (syscallRow) sigsysFloor(syscallRow, rs);
  if (faultRow) pageFloor(faultRow, rs);
  if (forkRow) forkFloor(forkRow, rs);

  if (opts.startup) {
    console.log('');
    for (const e of startup(Math.max(9, opts.reps * 4 + 1))) errors.push(`start-up: ${e}`);
  }

  if (opts.workloads) {
    console.log('\nworkloads (wall time of the whole run, startup included; ratio = other/native)\n');
    const wout = [];
    const byName = new Map();
    for (const w of WORKLOADS) {
      if (opts.only.length > 0 && !opts.only.some((t) => w.name.includes(t))) continue;
      if (w.build) buildWorkload(w.build);
      const m = Object.fromEntries(rs.map((r) => [r.name, measureWorkload(r, w, opts.reps)]));
      w.after?.();
      byName.set(w.name, m);
      for (const [name, v] of Object.entries(m)) if (v.error) errors.push(`${w.name} under ${name}: ${v.error}`);
      wout.push([w.name, cell(m.native), cell(m.umlts), (() => { const r = slowdown(m.native, m.umlts, true); return r === null ? '' : `${fmt(r)}×`; })(),
        ...peers.flatMap((p) => { const r = slowdown(m.native, m[p.name], true); return [cell(m[p.name]), r === null ? '' : `${fmt(r)}×`]; })]);
    }
    table(['workload', 'native', 'umlts', 'ratio', ...peers.flatMap((p) => [p.name, `${p.name} ratio`])], wout);
    // threads of one process in parallel: two spinning threads against one (1.00x: fully parallel)
    const one = byName.get(WORKLOADS.find((w) => w.build === 'threads_spin' && w.argv[1] === '1')?.name);
    const two = byName.get(WORKLOADS.find((w) => w.build === 'threads_spin' && w.argv[1] === '2')?.name);
    if (one && two) {
      const r = (n) => (one[n]?.value && two[n]?.value ? `${fmt(two[n].value / one[n].value)}×` : 'n/a');
      console.log(`\n2 threads / 1 thread of one process (wall; 1.00× = fully parallel): ${rs.map((x) => `${x.name} ${r(x.name)}`).join(', ')}`);
    }
  }
  if (notes.length || errors.length) console.log('');
  for (const n of notes) console.log(`note: ${n}`);
  for (const e of errors) console.log(`error: ${e}`);
}

main();
