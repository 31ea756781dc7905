// Guest death by signal, and umlts itself killed: no guest host process may
// outlive umlts on any path.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { buildGuest, runNative, runUmlts, assertSameAsNative, assertNoLeftovers, ourStubProcesses, requireCli, trackUmltsPid, CLI, CLEAN_ENV, BUSYBOX, withPlatform } from './lib.mjs';

afterEach(() => assertNoLeftovers());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('NULL dereference: SIGSEGV natively, exit 139 and "Segmentation fault" under umlts', () => {
  const g = buildGuest('segv');
  const n = runNative([g]);
  assert.equal(n.signal, 'SIGSEGV', n.describe());
  assert.equal(n.stdout, 'before\n');
  const r = runUmlts([], [g]);
  assert.equal(r.status, 139, r.describe());
  assert.equal(r.stdout, 'before\n', r.describe());
  assert.match(r.stderr, /Segmentation fault/, r.describe());
  assert.doesNotMatch(r.stderr, /^\s+at /m, `stack trace on stderr\n${r.stderr}`);
});

test('abort(): SIGABRT natively, exit 134 under umlts', () => {
  const g = buildGuest('segv');
  const n = runNative([g, 'abort']);
  assert.equal(n.signal, 'SIGABRT', n.describe());
  const r = runUmlts([], [g, 'abort']);
  assert.equal(r.status, 134, r.describe());
  assert.equal(r.stdout, 'before\n', r.describe());
});

/** Start umlts running `busybox sleep 30` and wait until its guest host
 * process exists; returns the child process. */
async function startSleeper() {
  requireCli();
  const child = spawn(process.execPath, [CLI, 'run', '--', BUSYBOX, 'sleep', '30'], { env: withPlatform(CLEAN_ENV), stdio: ['ignore', 'pipe', 'pipe'] });
  trackUmltsPid(child.pid);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const mine = new Set([child.pid]);
  const guests = () => ourStubProcesses(mine).filter((p) => p.argv[0] !== 'umlts-waker');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exited) break;
    // the guest is up once it has made its first syscalls; give it a moment past the stub's start
    if (guests().length > 0) { await sleep(300); break; }
    await sleep(50);
  }
  if (exited || guests().length === 0) {
    child.kill('SIGKILL');
    assert.fail(`umlts did not start a guest host process for busybox sleep 30 (exit ${JSON.stringify(exited)})\nstderr: ${stderr}`);
  }
  return { child, mine, exitedP: new Promise((res) => { if (exited) res(exited); else child.on('exit', (code, signal) => res({ code, signal })); }) };
}

async function noneWithin(mine, ms) {
  const deadline = Date.now() + ms;
  let left = ourStubProcesses(mine);
  while (left.length > 0 && Date.now() < deadline) { await sleep(50); left = ourStubProcesses(mine); }
  for (const p of left) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
  assert.deepEqual(left.map((p) => `pid ${p.pid} ppid ${p.ppid} ${p.exe ?? p.comm} ${p.argv.join(' ')}`), [],
    `guest host processes outlived umlts for ${ms} ms`);
}

for (const sig of ['SIGKILL', 'SIGTERM', 'SIGINT']) {
  test(`${sig} to the umlts process leaves no guest host process behind`, async () => {
    const { child, mine, exitedP } = await startSleeper();
    const stubs = ourStubProcesses(mine);
    assert.ok(stubs.length > 0);
    const t0 = Date.now();
    child.kill(sig);
    const timeout = sleep(10_000).then(() => 'timeout');
    const ex = await Promise.race([exitedP, timeout]);
    if (ex === 'timeout') { child.kill('SIGKILL'); assert.fail(`umlts did not exit within 10 s of ${sig}`); }
    if (sig === 'SIGKILL') assert.equal(ex.signal, 'SIGKILL');
    else assert.ok(ex.signal === sig || (ex.code !== 0 && ex.code !== null), `umlts exited 0 after ${sig}: ${JSON.stringify(ex)}`);
    assert.ok(Date.now() - t0 < 10_000);
    await noneWithin(mine, 2000);
  });
}

test('children killed by core signals: no core-dumped bit and CLD_KILLED, as Linux with RLIMIT_CORE 0', () => {
  const { native } = assertSameAsNative([buildGuest('wait_core')]);
  assert.match(native.stdout, /^fault: status 0xb signaled 1 sig 11 core 0$/m);
  assert.match(native.stdout, /^abort: waitid code CLD_KILLED status 6$/m);
});

// a hostile-guest fuzzer's findings against Linux 6.18; before, a timer firing every nanosecond starved every other
// guest on systrap, and SIGCHLD under SA_NOCLDWAIT with a handler never came
test('signals at their edges: rt_sigqueueinfo rules and siginfo, RLIMIT_SIGPENDING, SA_NOCLDWAIT, sa_flags, sigaltstack, signalfd, pidfd poll, a ns timer', () => {
  const { native } = assertSameAsNative([buildGuest('signal_edges', ['-lrt'])], [], { timeout: 60_000 });
  assert.match(native.stdout, /delivered: pid 12345 uid 777 errno 3 code -1 ptr 0x1122334455667788/, native.describe());
  assert.match(native.stdout, /SA_NOCLDWAIT with a handler: SIGCHLD sent/, native.describe());
  assert.match(native.stdout, /a timer every nanosecond for 0.2 s: the process went on/, native.describe());
});

// A process-directed signal is the thread's it was sent to: a sibling that came back from a short sleep first used
// to take it, and the main thread's read, woken for it, restarted with nothing to deliver (and blocked for ever).
for (const cpus of ['1', '2']) {
  test(`a process-directed signal interrupts the thread it woke, not a sibling passing by (${cpus} vCPU)`, () => {
    const g = buildGuest('signal_target', ['-lpthread']);
    const { native } = assertSameAsNative([g], ['--cpus', cpus], { timeout: 60_000 });
    assert.equal(native.stdout.match(/read -1 EINTR, the handler ran on the main thread$/gm)?.length, 10);
  });
}

// complete_signal passes over a thread with a signal pending that is not on a CPU; a thread that blocks a pending
// process-directed signal (a handler's sa_mask, sigprocmask) or exits hands it to a sibling, woken for it
// (retarget_shared_pending). Before, both went to the spinning main thread and SIGUSR2 waited for SIGUSR1's handler.
for (const cpus of ['1', '2']) {
  test(`process-directed signals spread over threads, and one blocked by a handler's mask goes to a sleeping sibling (${cpus} vCPU)`, () => {
    const g = buildGuest('signal_retarget', ['-lpthread']);
    const { native } = assertSameAsNative([g], ['--cpus', cpus], { timeout: 60_000 });
    assert.equal(native.stdout.match(/on different threads, SIGUSR2's handler ran before SIGUSR1's ended$/gm)?.length, 3);
  });
}

// a child's exit woke its parent's wait4 with SIGCHLD first: a handler without SA_RESTART made it EINTR, where
// Linux (do_wait looks at the children before it looks for a signal) returns the child
test('waitpid ended by the exit it waits for returns the child, not EINTR, with a SIGCHLD handler without SA_RESTART', () => {
  const { native } = assertSameAsNative([buildGuest('sigchld_wait')]);
  assert.match(native.stdout, /^waitpid for the child that exits: the child, status 3, handler ran 1$/m);
  assert.match(native.stdout, /^waitpid for another child: EINTR, handler ran 1$/m);
});

test('a syscall restarted after an SA_RESTART handler gets its whole number back in rax, high bits too', () => {
  const g = buildGuest('restart_rax');
  const { native } = assertSameAsNative([g]);
  assert.equal(native.stdout, 'handler: rax 0x100000000\nread: 1 x\n');
});

// O_ASYNC never signalled anybody (F_SETOWN was EINVAL): SIGIO-driven programs waited forever
test('O_ASYNC: SIGIO and F_SETSIG signals (si_code, si_band, si_fd) from pipes and sockets when Linux sends them; regular files drop the flag', () => {
  const { native } = assertSameAsNative([buildGuest('sigio')], []);
  assert.match(native.stdout, /^writer: a page read from the full pipe +\[code 2 band 0x304 fd 4\]$/m);
  assert.match(native.stdout, /^unix socket: the peer reads it all +\[code 2 band 0x304 fd 3\]$/m);
  assert.match(native.stdout, /^plain SIGIO: a write: 1 SIGIO$/m);
});

// rt_sigtimedwait's timeout and signalfd4's mask are read and checked first, as Linux
test('rt_sigtimedwait checks its timeout before taking a signal; signalfd4 reads its mask before its flags', () => {
  const g = buildGuest('sig_order');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^sigtimedwait, a bad timeout, SIGUSR1 pending: -1 Invalid argument\nSIGUSR1 still pending: 1\n/m);
  assert.match(native.stdout, /^signalfd4, a NULL mask and bad flags: -1 Bad address\n/m);
});
