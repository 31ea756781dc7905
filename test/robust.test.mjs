// Robust by construction (issue 11): what a guest's call meets inside the
// kernel stays that guest's.
//  - A file or device the host cannot map: the guest's mmap gets Linux's
//    errno (the same as natively), and the kernel goes on.
//  - An unexpected exception inside a syscall handler (a kernel bug,
//    injected with UMLTS_TEST_INJECT): that process is killed with one
//    line naming the call and the error; its sibling and parent go on.
//  - A timer callback that throws (no task to blame): one line, and
//    everything goes on.
//  - A KernelPanic: everything ends, one line, status 70, no host process
//    left.
//  - A host out of room for a process's mappings (vm.max_map_count, which
//    scattered frames reach before the guest reaches its own limit): the
//    kernel drops that process's host mappings and goes on; memory stays
//    right (made to happen every few batches with UMLTS_TEST_HOST_FULL).
//  - Guests' host processes stopped and continued from outside (kill -STOP,
//    kill -CONT of stubs), over and over: the guests go on (ptrace once
//    kept a process stopped for ever: the host's SIGCONT to a held tracee
//    stays pending, unreported).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  buildGuest, runUmlts, runNative, assertSameAsNative, assertNoLeftovers, assertSameText, CLEAN_ENV, CLI, lines, withPlatform,
  trackUmltsPid, stubProcesses,
} from './lib.mjs';

afterEach(() => assertNoLeftovers());

const noKernelError = (r) => assert.doesNotMatch(r.stderr, /kernel error|internal error/, r.describe());

// Host files that cannot be mapped, as the guest sees them under the
// default root: sysfs attributes (hostfs over the host's /sys: the host
// refuses the mapping, ENODEV), the guest's own devices and /proc files
// (refused by the kernel before the host), a directory; and files that
// can. Only those present on this host are used.
const CANDIDATES = [
  '/sys/devices/system/cpu/online',
  '/sys/kernel/mm/transparent_hugepage/enabled',
  '/sys/fs/cgroup/cgroup.controllers',
  '/dev/null',
  '/dev/urandom',
  '/proc/self/maps',
  '/proc/self/status',
  '/etc',
  '/etc/passwd',
];

test('mmap of files and devices the host cannot map: the errno Linux gives, and the kernel goes on', () => {
  const bin = buildGuest('mmap_refused');
  // sysfs and the host's files also PROT_EXEC (sysfs is noexec on the host: EPERM)
  const paths = CANDIDATES.filter((p) => fs.existsSync(p)).map((p) => (/^\/(sys|etc)\//.test(p) ? `+${p}` : p));
  assert.ok(paths.some((p) => p.startsWith('+/sys/')), 'no sysfs file on this host to map');
  const { umlts } = assertSameAsNative([bin, ...paths]);
  noKernelError(umlts);
  // the sysfs answers are the host's refusals, not a guess of the kernel's
  assert.match(umlts.stdout, /^\/sys\/.*: shared ENODEV$/m, umlts.stdout);
  assert.match(umlts.stdout, /^\/sys\/.*: exec EPERM$/m, umlts.stdout);
  assert.match(umlts.stdout, /^own binary: ELF$/m);
  assert.match(umlts.stdout, /^done$/m);
});

test('mmap of a sysfs file through --mount: ENODEV from the host', () => {
  const bin = buildGuest('mmap_refused');
  const dir = '/sys/devices/system/cpu';
  assert.ok(fs.existsSync(`${dir}/online`), `no ${dir}/online on this host`);
  const native = assertSameAsNative([bin, `${dir}/online`]).native;
  const r = runUmlts(['--mount', `${dir}:/hostcpu:ro`], [bin, '/hostcpu/online']);
  noKernelError(r);
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, native.stdout.replaceAll(`${dir}/online`, '/hostcpu/online'));
});

// found in review: a host directory on a noexec mount (a hardened /tmp) is not the guest's noexec: its pages are
// copied, not mapped by the host, so programs there exec and map PROT_EXEC (a dynamic one's libraries too)
test('exec and PROT_EXEC maps from a host directory whose host mount is noexec; its shared mappings are shared', () => {
  const bin = buildGuest('mmap_refused');
  const dir = fs.mkdtempSync('/var/tmp/umlts-noexec-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'noexec', 'tmpfs', dir]);
  try {
    fs.copyFileSync(bin, `${dir}/prog`);
    fs.copyFileSync('/bin/true', `${dir}/dyn`);
    fs.chmodSync(`${dir}/prog`, 0o755);
    fs.chmodSync(`${dir}/dyn`, 0o755);
    const r = runUmlts(['--mount', `${dir}:/nx`], ['/nx/prog', '+/nx/prog']);
    noKernelError(r);
    assert.equal(r.code, 0, r.describe());
    assert.match(r.stdout, /^\/nx\/prog: exec OK$/m, r.describe());
    assert.match(r.stdout, /^own binary: ELF$/m, r.describe());
    const d = runUmlts(['--mount', `${dir}:/nx`], ['/nx/dyn']);
    assert.equal(d.code, 0, d.describe());
    // a shared mapping there is the file's (the host maps it, so not executable); found by a fuzzer: copied pages
    const sh = runUmlts(['--mount', `${dir}:/nx`], [buildGuest('mmap_shared_host'), '/nx/shared', 'exec']);
    assert.equal(sh.code, 0, sh.describe());
    assert.equal(sh.stdout, 'pread after a store: abc\nthe mapping after a pwrite: xyz\nmmap shared PROT_EXEC: EPERM\n', sh.describe());
  } finally {
    execFileSync('umount', [dir]);
    fs.rmdirSync(dir);
  }
});

test('mmap of /proc and /dev files, an O_PATH fd, pipes and eventfds: the errno Linux gives (EIO for /proc\'s own files, EBADF for O_PATH)', () => {
  const { native, umlts } = assertSameAsNative([buildGuest('mmap_special')]);
  noKernelError(umlts);
  assert.match(native.stdout, /^\/proc\/cpuinfo private: EIO, shared: EIO$/m);
  assert.match(native.stdout, /^\/proc\/self\/status private: ENODEV, shared: ENODEV$/m);
  assert.match(native.stdout, /^O_PATH private: EBADF, shared: EBADF$/m);
});

test('an internal error in a handler kills that process only, with one line', () => {
  const bin = buildGuest('contained', ['-pthread']);
  const r = runUmlts([], [bin], { env: { ...CLEAN_ENV, UMLTS_TEST_INJECT: 'internal:getppid' } });
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, 'victim: killed by signal 9\nbystander: exit 7\ndone\n', r.describe());
  const err = lines(r.stderr);
  assert.equal(err.length, 1, r.describe());
  assert.match(err[0], /^umlts: pid \d+ \(contained\): internal error in getppid: TypeError: injected fault in getppid; process killed$/);
  assert.doesNotMatch(r.stderr, /kernel error|^\s+at /m);
});

test('a timer callback that throws is logged in one line; the kernel and every guest go on', () => {
  const bin = buildGuest('contained', ['-pthread']);
  const r = runUmlts([], [bin], { env: { ...CLEAN_ENV, UMLTS_TEST_INJECT: 'timer:getppid' } });
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, 'victim: getppid returned\nvictim: exit 0\nbystander: exit 7\ndone\n', r.describe());
  assert.equal(r.stderr, 'umlts: internal error in a timer callback: TypeError: injected fault in a timer armed by getppid; ignored\n', r.describe());
});

test('the kernel under a CPU profiler (a SIGPROF every 10 µs): every host call a signal interrupts is asked again, the guests never notice', () => {
  // a profiler's signals land in whatever host call the kernel is in: a poll that waited for nothing, interrupted,
  // was once taken for a stub's death (systrap: "host thread N is gone", a run in three)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'umlts-prof-'));
  try {
    for (let run = 0; run < 3; run++) {
      const r = runUmlts([], ['/bin/busybox', 'sh', '-c', 'i=0; while [ $i -lt 40 ]; do /bin/true; i=$((i+1)); done; echo done $i'],
        { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '10'] });
      assert.equal(r.stdout, 'done 40\n', r.describe());
      assert.equal(r.code, 0, r.describe());
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a KernelPanic ends everything: one line, status 70, no host process left', () => {
  const bin = buildGuest('contained', ['-pthread']);
  const r = runUmlts([], [bin], { env: { ...CLEAN_ENV, UMLTS_TEST_INJECT: 'panic:getppid' } });
  assert.equal(r.code, 70, r.describe());
  assert.equal(r.stderr, 'umlts: kernel error: injected panic in getppid\n', r.describe());
  assert.doesNotMatch(r.stdout, /victim|done/);
  assertNoLeftovers();
});

test('UMLTS_TEST_INJECT with a bad item: a usage error, no kernel started', () => {
  const r = runUmlts([], ['/bin/true'], { env: { ...CLEAN_ENV, UMLTS_TEST_INJECT: 'internal:nosuchcall' } });
  assert.equal(r.code, 2, r.describe());
  assert.equal(r.stderr, "umlts: bad UMLTS_TEST_INJECT item 'internal:nosuchcall'\n");
});

test('a host out of room for the mappings: the process goes on, its memory right', () => {
  const bin = buildGuest('mm_evict', ['-pthread']);
  const native = runNative([bin]);
  assert.equal(native.code, 0, native.describe());
  for (const every of [5, 7]) {
    const r = runUmlts(['--stats'], [bin], { env: { ...CLEAN_ENV, UMLTS_TEST_HOST_FULL: String(every) } });
    assert.equal(r.code, 0, r.describe());
    assertSameText(r.stdout, native.stdout, r.describe());
    // the refusals did happen (each one an eviction)
    const full = Number(/hostFull=(\d+)/.exec(r.stderr)?.[1]);
    assert.ok(full > 10, `hostFull=${full}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /kernel error|internal error|stub run/, r.describe());
  }
});

test('out of memory: the process with the most memory goes, not init that faulted beside it', () => {
  const bin = buildGuest('oom_init');
  const { umlts } = assertSameAsNative([bin, '60'], ['--mem', '64M']);
  assert.match(umlts.stderr, /^umlts: out of memory: killed pid 2 \(oom_init\)/m, umlts.describe());
  assert.doesNotMatch(umlts.stderr, /killed pid 1 |kernel error|internal error/, umlts.describe());
});

test('out of memory with threads faulting and a timer signalling: they wait for the hog\'s memory, none loses a page', () => {
  const bin = buildGuest('oom_wait', ['-pthread']);
  for (let i = 0; i < 3; i++) {
    const { umlts } = assertSameAsNative([bin, '60'], ['--mem', '64M', '--stats']);
    assert.match(umlts.stderr, /^umlts: out of memory: killed pid 2 \(oom_wait\)/m, umlts.describe());
    assert.doesNotMatch(umlts.stderr, /killed pid 1 |kernel error|internal error/, umlts.describe());
  }
});

test('out of memory in a signal frame: the hog goes and the signal is delivered, not a SIGSEGV for a bad stack', () => {
  const bin = buildGuest('oom_sigframe');
  const { umlts } = assertSameAsNative([bin, '56', '4000'], ['--mem', '64M']);
  assert.match(umlts.stderr, /^umlts: out of memory: killed pid 2 \(oom_sigframe\)/m, umlts.describe());
  assert.doesNotMatch(umlts.stderr, /killed pid 1 |kernel error|internal error/, umlts.describe());
});

test('out of memory in an exiting thread\'s clear_child_tid store: the hog goes and the joiner is woken', () => {
  const bin = buildGuest('oom_cleartid');
  // with a timer signalling too: a signal pending for the exiting thread once re-ran its exit without end
  for (const extra of [[], ['alarm'], ['alarm']]) {
    const { umlts } = assertSameAsNative([bin, '36', '4000', ...extra], ['--mem', '64M'], { timeout: 120_000 });
    assert.match(umlts.stderr, /^umlts: out of memory: killed pid 3 \(oom_cleartid\)/m, umlts.describe());
    assert.doesNotMatch(umlts.stderr, /killed pid 1 |kernel error|internal error/, umlts.describe());
  }
});

test('out of memory inside init\'s syscall (the kernel filling its pages): the hog goes, not init', () => {
  const bin = buildGuest('oom_init');
  const { umlts } = assertSameAsNative([bin, '56', 'syscall'], ['--mem', '64M']);
  assert.match(umlts.stderr, /^umlts: out of memory: killed pid 2 \(oom_init\)/m, umlts.describe());
  assert.doesNotMatch(umlts.stderr, /killed pid 1 |kernel error|internal error/, umlts.describe());
});

test('guests whose host processes are stopped and continued from outside, round after round, go on to the end', async () => {
  // a loop of fork+exec: new host processes all the time, stopped in every state (running guest code, held in a
  // syscall, in a mapping batch, a fork's copy being made)
  const script = 'i=0; while [ $i -lt 120 ]; do /bin/true; i=$((i+1)); done; echo done';
  const child = spawn(process.execPath, [CLI, 'run', '--', '/bin/sh', '-c', script], { env: withPlatform(CLEAN_ENV), stdio: ['ignore', 'pipe', 'pipe'] });
  trackUmltsPid(child.pid);
  let out = '', err = '', exit = null;
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const done = new Promise((resolve) => child.on('exit', (code, sig) => resolve(exit = { code, sig })));
  // this run's guest host processes: stubs below the umlts process
  const ours = () => {
    const stubs = stubProcesses(), parent = new Map();
    for (const d of fs.readdirSync('/proc')) {
      try {
        const st = fs.readFileSync(`/proc/${d}/stat`, 'latin1');
        parent.set(Number(d), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
      } catch { /* gone */ }
    }
    return stubs.filter((p) => {
      for (let q = p.pid, hops = 0; q > 1 && hops < 64; hops++, q = parent.get(q) ?? 0) if (q === child.pid) return true;
      return false;
    }).map((p) => p.pid);
  };
  let rounds = 0, stopped = 0;
  const deadline = Date.now() + 60_000;
  while (exit === null && Date.now() < deadline) {
    await sleep(25);
    const pids = ours();
    for (const p of pids) try { process.kill(p, 'SIGSTOP'); stopped++; } catch { /* gone */ }
    await sleep(10);
    for (const p of pids) try { process.kill(p, 'SIGCONT'); } catch { /* gone */ }
    rounds++;
  }
  if (exit === null) child.kill('SIGKILL');
  const r = await done;
  assert.ok(rounds >= 5 && stopped >= 5, `stopped ${stopped} processes in ${rounds} rounds`);
  assert.deepEqual(r, { code: 0, sig: null }, `after ${rounds} rounds (${stopped} stops); stderr: ${err}`);
  assert.equal(out, 'done\n', err);
  assert.doesNotMatch(err, /kernel error|internal error/);
});
