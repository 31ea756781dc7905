// The systrap platform (issue 14): what is particular to it. The whole
// suite runs on it by default (and on ptrace with UMLTS_PLATFORM=ptrace);
// hostile and redteam run the security tests on it (the default) in every run, hostile_ptrace and
// redteam_ptrace on ptrace.
//  - with nothing named (the default, as UMLTS_PLATFORM=auto) it is systrap
//    here, quietly; on a host without it (a test hook says so), ptrace with
//    one line saying why; ptrace named is ptrace;
//  - a guest that scribbles on its host process's stub areas (its threads'
//    message pages and signal stacks) and on the shared doorbell harms
//    only itself: another guest process's syscalls keep their results, the
//    kernel goes on; a thread whose handler it stuck (it no longer answers
//    kicks) does not keep its vCPU from other guests, and one the host does
//    not run for a while (stopped from outside) is not taken for stuck;
//  - a guest fork's host process, copied from the parent's, keeps none of
//    the parent's thread areas;
//  - a new thread's tid, which the mapper writes in the thread's area (a
//    sibling can rewrite it there), is checked against the host;
//  - a SIGKILL of umlts leaves no host process behind (no ptrace
//    EXITKILL for the guest threads nor for a fork's copies: the stubs die
//    with the kernel's thread through PR_SET_PDEATHSIG).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, CLEAN_ENV, LIB, BUSYBOX, buildGuest, runUmlts, trackUmltsPid, assertNoLeftovers, assertSameAsNative, stubProcesses } from './lib.mjs';

afterEach(() => assertNoLeftovers());

const SYSTRAP = ['--platform', 'systrap'];

test('on systrap, guests print what they print natively: threads, faults from many threads, mmap; a NULL dereference is SIGSEGV', () => {
  // whatever UMLTS_PLATFORM says: these run on systrap in every test run
  for (const [name, flags] of [['thread_basic', ['-pthread']], ['thread_fault', ['-pthread']], ['mm_mmap', []]]) {
    assertSameAsNative([buildGuest(name, flags)], SYSTRAP, { timeout: 120_000 });
  }
  const r = runUmlts(SYSTRAP, [buildGuest('segv')]);
  assert.equal(r.status, 139, r.describe());
  assert.equal(r.stdout, 'before\n', r.describe());
});

// a kick unanswered for 2 s once meant a stuck handler: a guest the host did not run for that long (stopped from
// outside, an overloaded host, a page fault in a slow file) was killed; only one that ran or sleeps in its handler is
test('on systrap, guest processes stopped from outside for 3.5 s while the kernel preempts them (one vCPU) go on when continued', async () => {
  const bin = buildGuest('busy_pair');
  const child = spawn(process.execPath, [CLI, 'run', ...SYSTRAP, '--cpus', '1', '--', bin, '5'], { env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  trackUmltsPid(child.pid);
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const done = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  await sleep(1500);
  // the guests' host processes: the umlts process's children with no command line (a stub unmapped the memory
  // it was in; the waker has one)
  const guests = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'latin1');
      return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === child.pid && fs.readFileSync(`/proc/${d}/cmdline`, 'latin1') === '';
    } catch {
      return false;
    }
  }).map(Number);
  if (guests.length !== 2) child.kill('SIGKILL');
  assert.equal(guests.length, 2, `two guest processes: ${guests}`);
  for (const g of guests) process.kill(g, 'SIGSTOP');
  await sleep(3500);
  for (const g of guests) process.kill(g, 'SIGCONT');
  const { code } = await done;
  assert.equal(out, 'both spun: the child\'s status 0\n', err);
  assert.equal(code, 0, err);
});

test('a guest scribbling on its stub areas and the doorbell harms only itself', () => {
  const bin = buildGuest('systrap_scribble', ['-pthread']);
  for (const mode of [[], ['doorbell']]) {
    const r = runUmlts(SYSTRAP, [bin, ...mode]);
    assert.equal(r.status, 0, r.describe());
    assert.match(r.stdout, /^parent ok$/m, r.describe());
    assert.match(r.stdout, /^child ended: yes$/m, r.describe());
    assert.doesNotMatch(r.stderr, /kernel error|internal error/, r.describe());
  }
});

test("a fork's host process, a copy of the parent's, keeps none of the parent's thread areas", () => {
  const bin = buildGuest('systrap_fork_areas', ['-pthread']);
  const r = runUmlts(SYSTRAP, [bin]);
  assert.equal(r.status, 0, r.describe());
  assert.equal(r.stdout, "child reads the parent's areas: 0\nchild exited: 0\n", r.describe());
  // the probe sees areas where there are some: the parent's own (its four host threads')
  const m = /^parent areas: (\d+)$/m.exec(r.stderr);
  assert.ok(m && Number(m[1]) >= 4, r.describe());
});

test("a new thread's tid, rewritten in its area by a sibling, is checked: its process dies, the host thread named is not touched", () => {
  // (the hook writes what a sibling racing the clone could: another host process's pid, or the mapper's)
  const victim = spawn('sleep', ['60'], { stdio: 'ignore' });
  const allowed = () => /Cpus_allowed_list:\s*(\S+)/.exec(fs.readFileSync(`/proc/${victim.pid}/status`, 'utf8'))[1];
  try {
    const before = allowed();
    for (const forge of [String(victim.pid), 'mapper']) {
      const r = runUmlts(SYSTRAP, [buildGuest('thread_basic', ['-pthread'])], { env: { ...CLEAN_ENV, UMLTS_TEST_FORGE_TID: forge } });
      assert.equal(r.status, 137, r.describe());
      assert.doesNotMatch(r.stderr, /kernel error|internal error/, r.describe());
    }
    assert.equal(allowed(), before, "the victim's CPU affinity");
    assert.equal(victim.exitCode, null, 'the victim lives');
  } finally {
    victim.kill('SIGKILL');
  }
});

test("more forks than a fork's nonce holds in one byte: each child is the one forked, with its own status", () => {
  assertSameAsNative([buildGuest('fork_loop'), '1200'], SYSTRAP, { timeout: 120_000 });
});

test("forks given up (no copy's word in time) fail with EAGAIN, and umlts keeps no host process of theirs", async () => {
  // the hook gives each fork up once its copy exists; with no request after, only the kernel's own clean-up
  // (abandon) can have ended the copies
  const guest = buildGuest('fork_giveup');
  const hostProcesses = async (forks) => {
    const child = spawn(process.execPath, [CLI, 'run', ...SYSTRAP, '--', guest, String(forks)],
      { env: { ...CLEAN_ENV, UMLTS_TEST_FORK_GIVEUP: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    trackUmltsPid(child.pid);
    const done = new Promise((res) => child.on('exit', (code) => res(code)));
    let out = '', err = '';
    child.stderr.on('data', (d) => { err += d; });
    await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no line: ${out} ${err}`)), 60_000);
      child.stdout.on('data', (d) => {
        out += d;
        if (out.endsWith('\n')) { clearTimeout(t); res(); }
      });
    });
    const n = stubProcesses().filter((p) => p.ppid === child.pid).length;
    child.stdin.end('x');
    assert.equal(await done, 0, err);
    assert.doesNotMatch(err, /kernel error|internal error/);
    return { out, n };
  };
  const none = await hostProcesses(0), five = await hostProcesses(5);
  assert.equal(five.out, '5 forks, EAGAIN: 5\n');
  assert.equal(none.out, '0 forks, EAGAIN: 0\n');
  assert.equal(five.n, none.n, "umlts's host processes, with five forks given up and with none");
});

test('a guest thread whose handler sleeps through its reply cannot keep the vCPU from other guests', () => {
  // one vCPU: the child's thread, stuck in its handler, would hold it for good (the parent never ran again)
  const r = runUmlts([...SYSTRAP, '--cpus', '1'], [buildGuest('systrap_nowake', ['-pthread'])], { timeout: 60_000 });
  assert.equal(r.status, 0, r.describe());
  assert.equal(r.stdout, 'child ended: yes\nparent ok\n', r.describe());
  assert.doesNotMatch(r.stderr, /kernel error|internal error/, r.describe());
});

test('the platform option: systrap and ptrace run the same guest alike; a bad value is one line', () => {
  const argv = [BUSYBOX, 'sh', '-c', 'for i in 1 2 3; do echo $i; done | cat; echo done'];
  const a = runUmlts(SYSTRAP, argv), b = runUmlts(['--platform', 'ptrace'], argv);
  assert.equal(a.status, 0, a.describe());
  assert.equal(a.stdout, b.stdout);
  assert.equal(a.stdout, '1\n2\n3\ndone\n');
  const bad = runUmlts(['--platform', 'kvm'], ['/bin/true']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /^umlts: bad --platform 'kvm'/);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
});

test('SIGKILL of umlts on systrap leaves no host process behind', async () => {
  const script = `${BUSYBOX} sleep 60 & ${BUSYBOX} sh -c '${BUSYBOX} sleep 60' & echo started; wait`;
  const child = spawn(process.execPath, [CLI, 'run', ...SYSTRAP, '--', BUSYBOX, 'sh', '-c', script],
    { env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  trackUmltsPid(child.pid);
  const done = new Promise((res) => child.on('exit', (code, sig) => res({ code, sig })));
  let out = '';
  await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no "started" line: ${out}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('started\n')) { clearTimeout(t); res(); }
    });
  });
  const ours = stubProcesses().filter((p) => p.ppid === child.pid);
  assert.ok(ours.length >= 4, `umlts's host processes: ${ours.map((p) => p.pid)}`);
  child.kill('SIGKILL');
  await done;
  assertNoLeftovers(3000, new Set([child.pid]));
});

// the waker (the kernel's alarm clock: host fds, stub deaths) killed from outside: the kernel waited on a doorbell
// nobody rang, and a guest reading a pipe slept for ever
test('on systrap, a waker killed from outside: the kernel polls the host itself, and input still reaches the guest', async () => {
  const child = spawn(process.execPath, [CLI, 'run', ...SYSTRAP, '--', BUSYBOX, 'sh', '-c', 'echo ready; cat; echo done'],
    { env: CLEAN_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  trackUmltsPid(child.pid);
  const done = new Promise((res) => child.on('exit', (code, sig) => res({ code, sig })));
  let out = '', err = '';
  child.stderr.on('data', (d) => { err += d; });
  await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no "ready" line: ${out}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready\n')) { clearTimeout(t); res(); }
    });
  });
  const waker = stubProcesses().filter((p) => p.ppid === child.pid && p.argv[1] === 'syswaker');
  assert.equal(waker.length, 1, `the waker: ${JSON.stringify(stubProcesses().filter((p) => p.ppid === child.pid))}`);
  process.kill(waker[0].pid, 'SIGKILL');
  await sleep(300);
  child.stdin.end('after the waker\n');
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const r = await done;
  clearTimeout(killer);
  assert.deepEqual(r, { code: 0, sig: null }, `${out}\n${err}`);
  assert.equal(out, 'ready\nafter the waker\ndone\n', err);
  assertNoLeftovers(3000, new Set([child.pid]));
});

/** umlts with no platform named anywhere (no --platform, no UMLTS_PLATFORM), its start-up phases on stderr. */
function runDefault(extraEnv, opts = {}) {
  const r = spawnSync(process.execPath, [CLI, 'run', ...(opts.args ?? []), '--', BUSYBOX, 'sh', '-c', 'echo hi'], {
    env: { ...CLEAN_ENV, UMLTS_TIMING: '1', ...extraEnv }, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL', cwd: '/',
  });
  trackUmltsPid(r.pid);
  const noTiming = (r.stderr ?? '').split('\n').filter((l) => l && !l.startsWith('umlts-timing:'));
  return { ...r, other: noTiming, platform: /kernel: platform (\w+) up/.exec(r.stderr ?? '')?.[1] };
}

test('nothing named (or UMLTS_PLATFORM=auto) runs on systrap where the host allows it (this host does), quietly; ptrace named is ptrace', () => {
  for (const env of [{}, { UMLTS_PLATFORM: 'auto' }]) {
    const r = runDefault(env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.platform, 'systrap', r.stderr);
    assert.deepEqual(r.other, [], 'nothing but the timing lines on stderr');
  }
  // the variable and the option still choose, the option first
  assert.equal(runDefault({ UMLTS_PLATFORM: 'ptrace' }).platform, 'ptrace');
  assert.equal(runDefault({}, { args: ['--platform', 'ptrace'] }).platform, 'ptrace');
  assert.equal(runDefault({ UMLTS_PLATFORM: 'auto' }, { args: ['--platform', 'ptrace'] }).platform, 'ptrace');
  assert.equal(runDefault({ UMLTS_PLATFORM: 'ptrace' }, { args: ['--platform', 'systrap'] }).platform, 'systrap');
  // the library too: a Sandbox given no platform, and one given ptrace
  const lib = `const { run } = await import(${JSON.stringify(LIB)});
    for (const o of [{}, { platform: 'ptrace' }]) process.stdout.write((await run(['/bin/sh', '-c', 'echo hi'], o)).stdout);`;
  const l = spawnSync(process.execPath, ['--input-type=module', '-e', lib],
    { env: { ...CLEAN_ENV, UMLTS_TIMING: '1' }, encoding: 'utf8', timeout: 60_000 });
  trackUmltsPid(l.pid);
  assert.equal(l.status, 0, l.stderr);
  assert.equal(l.stdout, 'hi\nhi\n');
  assert.deepEqual([...l.stderr.matchAll(/kernel: platform (\w+) up/g)].map((m) => m[1]), ['systrap', 'ptrace'], l.stderr);
});

test('a host without systrap: auto is ptrace with one line saying why; naming systrap there is one error line', () => {
  const r = runDefault({ UMLTS_PLATFORM: 'auto', UMLTS_TEST_NO_SYSTRAP: 'no RET_TRAP' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'hi\n');
  assert.equal(r.platform, 'ptrace', r.stderr);
  assert.deepEqual(r.other, ['umlts: systrap unavailable (test hook: no RET_TRAP); using ptrace']);
  // the library makes the same choice
  const lib = `const { run } = await import(${JSON.stringify(LIB)}); const r = await run(['/bin/sh', '-c', 'echo hi']); process.stdout.write(r.stdout);`;
  const l = spawnSync(process.execPath, ['--input-type=module', '-e', lib],
    { env: { ...CLEAN_ENV, UMLTS_PLATFORM: 'auto', UMLTS_TEST_NO_SYSTRAP: 'no RET_TRAP' }, encoding: 'utf8', timeout: 60_000 });
  trackUmltsPid(l.pid);
  assert.equal(l.status, 0, l.stderr);
  assert.equal(l.stdout, 'hi\n');
  assert.equal(l.stderr, 'umlts: systrap unavailable (test hook: no RET_TRAP); using ptrace\n');
  const bad = runDefault({ UMLTS_TEST_NO_SYSTRAP: 'no RET_TRAP' }, { args: ['--platform', 'systrap'] });
  assert.equal(bad.status, 2, bad.stderr);
  assert.deepEqual(bad.other, ['umlts: platform systrap: unavailable on this host (test hook: no RET_TRAP)']);
});

// the two syscalls Linux's seccomp lets through unfiltered (seccomp_uprobe_exception): on systrap the host runs
// them for a guest thread, on ptrace the kernel answers as Linux does outside a uprobe trampoline; both as native
for (const platform of ['systrap', 'ptrace']) {
  test(`uretprobe and uprobe called by a guest: SIGILL and -1, ENXIO, as native (${platform})`, () => {
    const g = buildGuest('uprobe_calls');
    const { native } = assertSameAsNative([g], ['--platform', platform]);
    assert.match(native.stdout, /^uprobe: -1 No such device or address\nuretprobe: -1 Operation not permitted, signal 4\n$/);
  });
}
