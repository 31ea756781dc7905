// Scheduling attributes: nice values, policies, real-time priorities and
// CPU affinity, compared with the host kernel; the vCPU scheduler obeys
// affinity masks.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  buildGuest, assertSameAsNative, assertNoLeftovers, hostCpus, requireCli, withPlatform, trackUmltsPid, CLI, CLEAN_ENV, BUSYBOX,
} from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('getpriority/setpriority, sched_setscheduler and friends, sched_setaffinity', () => {
  const g = buildGuest('sched', ['-lpthread']);
  const { native } = assertSameAsNative([g], ['--cpus', String(hostCpus())], { timeout: 60_000 });
  assert.match(native.stdout, /child: setpriority 5 \(lower\): EACCES/);
  assert.match(native.stdout, /getcpu outside the mask: 0 times/);
  assert.match(native.stdout, /child of reset-on-fork: policy 0/);
});

// membarrier was ENOSYS (liburcu, JITs and garbage collectors use it). Every command answers as Linux's; the
// barrier itself is the host's MEMBARRIER_CMD_GLOBAL, taken only when another thread of the set runs guest code
for (const platform of ['systrap', 'ptrace']) {
  test(`membarrier: QUERY, every command before and after registration, flags and cpu_id, fork and exec, barriers beside running threads (${platform})`, () => {
    const g = buildGuest('membarrier', ['-lpthread']);
    const { native } = assertSameAsNative([g], ['--platform', platform], { timeout: 60_000 });
    assert.match(native.stdout, /^threads went on: yes$/m);
  });
}

// A syscall keeps the vCPU while its slice lasts, as it keeps the CPU on Linux: handing the vCPU to the first
// waiter at every trap gave a task that makes syscalls one syscall per 10 ms slice beside a spinner (300 took 3 s).
test('on one vCPU, a process making syscalls beside one that never traps keeps its pace, and the spinner its share', () => {
  const g = buildGuest('sched_fair');
  const { umlts } = assertSameAsNative([g], ['--cpus', '1'], { timeout: 60_000 });
  assert.match(umlts.stdout, /300 getppid beside a spinner in under a second: yes/);
  assert.match(umlts.stdout, /the spinner ran while the caller made syscalls: yes/);
});

/** The host CPUs a process's threads are pinned to now, by tid (taskset's view: /proc/PID/task/TID/status). */
function threadCpus(pid) {
  const out = new Map();
  if (!fs.existsSync(`/proc/${pid}/task`)) return out;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const st = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1');
    out.set(Number(tid), /Cpus_allowed_list:\s*(\S+)/.exec(st)[1]);
  }
  return out;
}

test('a kernel whose CPU other host work takes moves to another (its home is not always the first CPU)', async () => {
  assert.ok(hostCpus() >= 2, 'this test needs a host with two CPUs or more');
  requireCli();
  // a guest that traps all the time, for long enough
  const child = spawn(process.execPath, [CLI, 'run', '--', BUSYBOX, 'sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); echo $i >/dev/null; done; echo done'],
    { env: withPlatform(CLEAN_ENV), stdio: ['ignore', 'pipe', 'pipe'] });
  trackUmltsPid(child.pid);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise((res) => child.on('exit', (code) => res(code)));
  const hogs = [];
  try {
    // the kernel's thread is the process's first; it pins itself once it is up
    let home;
    for (let i = 0; i < 100 && home === undefined; i++) {
      await sleep(50);
      const c = threadCpus(child.pid).get(child.pid);
      if (c !== undefined && /^\d+$/.test(c)) home = c;
    }
    assert.ok(home !== undefined, 'the kernel never pinned itself to one CPU');
    // two busy host processes on its CPU: the kernel gets a third of it at best
    for (let i = 0; i < 2; i++) hogs.push(spawn('taskset', ['-c', home, 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }));
    let moved = false;
    for (let i = 0; i < 60 && !moved; i++) {
      await sleep(100);
      const c = threadCpus(child.pid).get(child.pid);
      if (c !== undefined && c !== home) moved = true;
    }
    assert.ok(moved, `the kernel stayed on CPU ${home} behind two busy host processes`);
  } finally {
    for (const h of hogs) h.kill('SIGKILL');
  }
  assert.equal(await exited, 0);
  assert.equal(out, 'done\n');
});

/**
 * A Scheduler on a fake two-CPU platform that can poll (what `extra` adds:
 * its host load, its poll misses), and one task t: the returned trap()
 * waits out a check interval, makes one trap of t, and says whether the
 * platform was left polling.
 */
async function spinScheduler(extra) {
  const { Scheduler } = await import('../dist/kernel/sched.js');
  const platform = {
    canSpin: true, spinForced: false, spinning: false,
    setSpinning(on) { this.spinning = on; },
    allowedCpus: () => [0, 1], currentCpu: () => 0, kernelRunDelayNs: () => -1, pin() {},
    threadRunnable: () => false, helpersCpuNs: () => 0, pollWindowNs: 50_000,
    ...extra,
  };
  const s = new Scheduler(2, platform);
  const t = { cpu: -1, lastCpu: 0, affinity: null, lastRunNs: 0, lastStopNs: 1e6, trapAt: 0, thread: { tid: 1000 } };
  // `burst` more traps right after the check's (the traps since a check are what polling would save)
  const trap = async (burst = 0) => {
    await sleep(60);
    assert.equal(s.acquire(t), true);
    s.release(t);
    const on = platform.spinning;
    for (let i = 0; i < burst; i++) {
      s.acquire(t);
      s.release(t);
    }
    return on;
  };
  trap.stats = s.stats;
  // the first check measures what the kernel's helper threads used from then on (no polling before)
  assert.equal(s.acquire(t), true);
  s.release(t);
  assert.equal(platform.spinning, false, 'nothing measured yet: no polling');
  return trap;
}

// The kernel's process's other threads (V8 compiling the kernel's code, its
// collector) want a CPU for the first second or so of a run: polling, which
// takes both CPUs, must save more than it takes from them (gcc hello ran 20%
// longer with it, all of it their loss): a few traps do not poll beside them,
// a loop of many does, and with the helpers quiet polling comes back.
test('polling yields to the kernel\'s own helper threads unless the traps it would save outweigh them', async () => {
  let helpersNs = 0, helperRate = 0.5, last = performance.now();
  const trap = await spinScheduler({
    hostRunnable: () => 1,
    // a helper thread using `helperRate` of a CPU
    helpersCpuNs: () => {
      const now = performance.now();
      helpersNs += (now - last) * 1e6 * helperRate;
      last = now;
      return helpersNs;
    },
  });
  assert.equal(await trap(), false, 'half a CPU of helper work and one trap a check: no polling');
  assert.equal(await trap(20_000), false);
  assert.equal(await trap(), true, '20 000 traps since the last check save more than the helpers\' 30 ms: poll');
  assert.equal(await trap(), false, 'one trap again: off');
  helperRate = 0;
  assert.equal(await trap(), true, 'the helpers idle: poll');
});

// While the platform polls (by its load, not forced: UMLTS_SPIN=1 has every task poll), a task runs next to
// the kernel's CPU (both polling for each other) only if its runs and the kernel's work on its stops fit the
// poll window: a new task and one whose stops take long stay beside the kernel; a stop that blocks the task
// (a sleep) says nothing of the kernel's work.
test('polling placement: next to the kernel for short runs and stops, beside it for long stops', async () => {
  const { Scheduler } = await import('../dist/kernel/sched.js');
  let pinnedTo = -1;
  const platform = {
    canSpin: true, spinForced: false, spinning: true, setSpinning() {}, pollWindowNs: 50_000,
    allowedCpus: () => [0, 1], currentCpu: () => 0, kernelRunDelayNs: () => -1,
    pin(ctx, cpu) { if (ctx) pinnedTo = cpu; }, threadRunnable: () => false, hostRunnable: () => 1, helpersCpuNs: () => 0,
  };
  const s = new Scheduler(2, platform);
  const t = { cpu: -1, lastCpu: 0, affinity: null, lastRunNs: 0, lastStopNs: 1e6, trapAt: 0, thread: { tid: 1000 } };
  const busy = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
  assert.equal(s.acquire(t), true);
  assert.equal(pinnedTo, 0, 'a new task starts beside the kernel');
  for (let i = 0; i < 30; i++) {
    s.release(t);
    s.acquire(t);
  }
  assert.equal(pinnedTo, 1, 'quick stops and runs: next to the kernel, polling');
  s.release(t);
  s.blocked(t);
  await sleep(20);
  s.acquire(t);
  assert.equal(pinnedTo, 1, 'a stop that slept is not the kernel\'s work');
  s.release(t);
  busy(2);
  s.acquire(t);
  assert.equal(pinnedTo, 0, 'a stop that kept the kernel 2 ms: beside it');
  assert.ok(s.stats.polledRuns > 0 && s.stats.besideRuns > 0, JSON.stringify(s.stats));
});

// Polling that mostly misses (the handler slept before the reply came: forks,
// execs) pauses for 200 ms, longer while it keeps missing, and resumes when
// the host is idle and the pause is over; misses below the bar keep it on.
test('polling pauses while its replies mostly came after the handler slept, and comes back', async () => {
  let misses = 0.05;
  const trap = await spinScheduler({ hostRunnable: () => 1, pollMisses: () => misses });
  assert.equal(await trap(), true, 'an idle host: poll');
  assert.equal(await trap(), true, 'few misses: polling stays on');
  misses = 0.6;
  assert.equal(await trap(), false, 'most replies missed: polling pauses');
  misses = 0.05;
  assert.equal(await trap(), false, 'within the pause: still off');
  let on = false;
  for (let i = 0; i < 8 && !on; i++) on = await trap();
  assert.ok(on, 'after 200 ms it polls again');
  // missing again and again: each pause longer than the last
  misses = 0.6;
  assert.equal(await trap(), false);
  const t0 = performance.now();
  let back = false;
  while (!back && performance.now() - t0 < 3000) {
    back = await trap();
    if (back) assert.equal(await trap(), false, 'still missing: off again at the next check');
  }
  assert.ok(performance.now() - t0 >= 350, 'the second pause was longer than 200 ms');
});

// The scheduler turns the platform's polling on while the host would leave a
// CPU idle and off once other host threads want the CPUs (systrap's
// UMLTS_SPIN unset): a fake platform whose host load the test sets.
test('polling across CPUs is on while the host has a CPU to spare, off under other load', async () => {
  let runnable = 1, tRunnable = false;
  const trap = await spinScheduler({ hostRunnable: () => runnable, threadRunnable: () => tRunnable });
  assert.equal(await trap(), true, 'the kernel alone on the host: poll');
  // polling: the kernel and t's polling handler are the two runnable threads, both ours
  runnable = 2;
  tRunnable = true;
  assert.equal(await trap(), true, 'the handler of the trap at hand is ours, not other load');
  // two busy host threads besides
  runnable = 4;
  let off = false;
  for (let i = 0; i < 5 && !off; i++) off = !(await trap());
  assert.ok(off, 'two other runnable threads on a two-CPU host: polling stays on');
  // one goes: with the kernel, it keeps both CPUs busy (t's handler sleeps)
  runnable = 2;
  tRunnable = false;
  for (let i = 0; i < 4; i++) assert.equal(await trap(), false, 'the kernel and one other busy thread on two CPUs: no room to poll');
  // it goes too; not polling, t runs beside the kernel, and the kernel's wake-up preempts its handler on its way
  // to sleep: the host counts two runnable threads, both ours
  tRunnable = true;
  let on = false;
  for (let i = 0; i < 10 && !on; i++) on = await trap();
  assert.ok(on, 't waiting for the kernel\'s CPU is not other load: polling comes back');
  // an idle host while polling
  runnable = 1;
  tRunnable = false;
  for (let i = 0; i < 3; i++) assert.equal(await trap(), true, 'the host is idle: polling stays on');
  assert.ok(trap.stats.spinChecks >= 4 && trap.stats.spinOnChecks >= 2, JSON.stringify(trap.stats));
});
