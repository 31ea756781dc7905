// The red teams' findings against the new stub wall (two passes, session 3),
// each a regression test: the guests are test/guests/redteam_*.c, run in a
// --root jail holding only them (named as they exec themselves) and busybox
// (at /busybox and /bin/busybox).
import { test, before, after, afterEach } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BUSYBOX, CLI, CLEAN_ENV, buildGuest, runUmlts, makeScratch, rmScratch, assertNoLeftovers, stubProcesses, trackUmltsPid, withPlatform, testPlatform } from './lib.mjs';

const NAMES = ['vfork_stale_write', 'cow_exit_leak', 'exec_spin_hang', 'spin_starve', 'sigreturn_bad_fpstate',
  'clone_bad_tls', 'arch_prctl_edge', 'stub_attacks', 'refcount_wrap', 'exec_queued_thread_hang', 'oom_syscall',
  'parked_threads', 'clone_settid_efault'];
let jail;
before(() => {
  jail = makeScratch('redteam');
  for (const n of NAMES) fs.copyFileSync(buildGuest(`redteam_${n}`, ['-pthread']), path.join(jail, n));
  fs.copyFileSync(BUSYBOX, path.join(jail, 'busybox'));
  fs.mkdirSync(path.join(jail, 'bin'));
  fs.copyFileSync(BUSYBOX, path.join(jail, 'bin', 'busybox'));
});
after(() => rmScratch(jail));
afterEach(() => assertNoLeftovers());

const run = (argv, timeout = 60_000) => runUmlts(['--root', jail], argv, { timeout });
const noKernelError = (r) => assert.doesNotMatch(r.stderr, /kernel error/, r.describe());

test('a vfork parent\'s other threads cannot write a frame after the fork (nor another process\'s, once reused)', () => {
  const r = runUmlts(['--root', jail, '--cpus', '4'], ['/vfork_stale_write'], { timeout: 60_000 }); // more vCPUs than threads: no preemption flushes
  noKernelError(r);
  assert.match(r.stdout, /^victim: memory intact$/m, r.describe());
  assert.doesNotMatch(r.stdout, /CORRUPT|LEAK/, r.describe());
});

test('a thread exit that breaks copy-on-write leaves no stale host mapping to read through', () => {
  const r = run(['/cow_exit_leak']);
  noKernelError(r);
  assert.match(r.stdout, /^no leak$/m, r.describe());
});

test('exec from a thread while a sibling spins: the sibling is stopped, the kernel goes on', () => {
  const r = run(['/busybox', 'sh', '-c', '/exec_spin_hang & i=0; while [ $i -lt 5 ]; do echo tick $i; /busybox sleep 0.1; i=$((i+1)); done; wait']);
  noKernelError(r);
  assert.equal(r.code, 0, r.describe());
  assert.match(r.stdout, /^exec'd$/m, r.describe());
  assert.match(r.stdout, /^tick 4$/m, r.describe());
});

test('threads spinning on every vCPU are preempted: the others still run', () => {
  let r = run(['/spin_starve', '2'], 30_000);
  assert.equal(r.stdout, 'ok\n', r.describe());
  r = run(['/busybox', 'sh', '-c', '/spin_starve forever 2 & i=0; while [ $i -lt 4 ]; do echo tick $i; /busybox sleep 0.1; i=$((i+1)); done; kill -9 $!'], 30_000);
  noKernelError(r);
  assert.match(r.stdout, /^tick 3$/m, r.describe());
});

test('guest state the host refuses is the guest\'s error: bad sigreturn FPU frames, tls and fs/gs bases', () => {
  for (const mode of ['mxcsr', 'xbv']) {
    const r = run(['/sigreturn_bad_fpstate', mode]);
    noKernelError(r);
    assert.equal(r.signal ?? r.code, 139, `${mode}: killed by SIGSEGV\n${r.describe()}`);
  }
  for (const mode of [[], ['thread']]) {
    const r = run(['/clone_bad_tls', ...mode]);
    noKernelError(r);
    assert.match(r.stdout + r.stderr, /Operation not permitted/, r.describe());
  }
  for (const mode of [[], ['gs']]) {
    const r = run(['/arch_prctl_edge', ...mode]);
    noKernelError(r);
    assert.match(r.stdout + r.stderr, /Operation not permitted/, r.describe());
  }
});

test('the red team\'s battery of stub attacks ends at guest level, with no marker on the host', () => {
  const r = run(['/stub_attacks'], 120_000);
  noKernelError(r);
  assert.match(r.stdout, /^marker on host: absent$/m, r.describe());
  assert.match(r.stdout, /^all cases done$/m, r.describe());
  assert.ok(!fs.existsSync('/tmp/umlts-redteam-marker'), 'the marker exists on the host');
});

// ---- the second pass ----

test('a frame\'s reference count cannot wrap: mappings stop at vm.max_map_count', () => {
  const r = run(['/refcount_wrap'], 120_000);
  noKernelError(r);
  assert.doesNotMatch(r.stdout, /CROSS-GUEST|VICTIM-SECRET|PWNED/, r.describe());
  assert.match(r.stdout, /^mmap 655\d\d: 0xffffffffffffffff$/m, `mmap fails (ENOMEM) near 65530 VMAs\n${r.describe()}`);
});

test('exec while siblings wait for a vCPU: they end, the kernel goes on (and so when the exec fails)', () => {
  const r = runUmlts(['--cpus', '1', '--root', jail], ['/exec_queued_thread_hang'], { timeout: 60_000 });
  noKernelError(r);
  assert.match(r.stdout, /exec done: the kernel survived/, r.describe());
});

test('guest memory running out inside a syscall OOM-kills that guest, not the kernel', () => {
  const r = runUmlts(['--mem', '32M', '--root', jail], ['/oom_syscall'], { timeout: 60_000 });
  noKernelError(r);
  assert.match(r.stderr, /out of memory: killed pid/, r.describe());
  assert.equal(r.code, 137, r.describe());
});

test('clone with CLONE_PARENT_SETTID at a bad address still makes a child that runs (Linux ignores the store)', () => {
  const r = run(['/clone_settid_efault']);
  noKernelError(r);
  // (the child's own line dies in its stdio buffer with _exit, natively too)
  assert.match(r.stdout, /^clone returned \d+ \(ok\)$/m, r.describe());
  assert.match(r.stdout, /^waitpid: \d+ status 700$/m, r.describe());
});

test('threads that exit leave at most a couple of parked host threads per process', async () => {
  const child = spawn(process.execPath, [CLI, 'run', '--root', jail, '--', '/parked_threads', '4', '50'], { env: withPlatform(CLEAN_ENV), stdio: ['ignore', 'pipe', 'pipe'] });
  trackUmltsPid(child.pid);
  let out = '';
  const done = new Promise((res) => child.on('exit', res));
  await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no count line: ${out}`)), 90_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('(host threads counted')) { clearTimeout(t); res(); }
    });
  });
  let threads = 0;
  for (const p of stubProcesses().filter((q) => q.ppid === child.pid)) {
    try { threads += fs.readdirSync(`/proc/${p.pid}/task`).length; } catch { /* gone */ }
  }
  child.kill('SIGKILL');
  await done;
  // 5 live guest tasks in 5 processes, 2 parked each at most, the waker (and on systrap each
  // process's mapper): 200 threads exited
  const extra = testPlatform() === 'systrap' ? 5 : 0;
  assert.ok(threads > 0 && threads <= 5 + 5 * 2 + extra + 1, `host threads of umlts's stubs: ${threads}\n${out}`);
});
