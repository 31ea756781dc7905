// Differential time tests: clocks are monotonic, sleeps sleep, wall clocks
// agree, errors are Linux's.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { buildGuest, assertSameAsNative, assertNoLeftovers, runUmlts, hostCpus, CLEAN_ENV } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('clock_gettime, nanosleep, clock_nanosleep, gettimeofday, time, clock_getres', () => {
  const g = buildGuest('time');
  const { native } = assertSameAsNative([g]);
  assert.doesNotMatch(native.stdout, /FAIL/, 'the time guest fails natively');
});

// a relative sleep restarted with its whole length after each stop: 400 ms stopped three times woke late
test('relative sleeps and poll stopped and continued wake at their first deadline (restart_syscall); a handler gets EINTR and the time left', () => {
  const { native } = assertSameAsNative([buildGuest('sleep_restart')], [], { timeout: 60_000 });
  assert.equal((native.stdout.match(/stopped and continued three times: woke at its deadline/g) ?? []).length, 4, native.describe());
  assert.match(native.stdout, /EINTR, about 1.9 s left/, native.describe());
});

test('umlts reports the same wall-clock time as the host', () => {
  const before = Math.floor(Date.now() / 1000);
  const r = runUmlts([], ['/bin/busybox', 'date', '+%s']);
  const after = Math.ceil(Date.now() / 1000);
  assert.equal(r.code, 0, r.describe());
  const t = Number(r.stdout.trim());
  assert.ok(t >= before - 1 && t <= after + 1, `guest time ${t} outside [${before}, ${after}]\n${r.describe()}`);
});

test('CPU-time clocks of threads and processes; clock_settime and settimeofday errors', () => {
  const g = buildGuest('clocks', ['-lpthread']);
  const { native } = assertSameAsNative([g], ['--cpus', String(hostCpus())], { timeout: 60_000 });
  assert.match(native.stdout, /spinner >= 50 ms: yes, sleeper < 10 ms: yes/);
  assert.match(native.stdout, /unprivileged settime REALTIME: EPERM/);
});

test("a reaped child's CPU time: wait4's rusage, getrusage(RUSAGE_CHILDREN), times(2); a thread that left first counts once", () => {
  const g = buildGuest('rusage', ['-lpthread']);
  const { native } = assertSameAsNative([g], [], { timeout: 60_000 });
  assert.doesNotMatch(native.stdout, /out of range|no\n|-1\n|accepted/, 'the rusage guest fails natively');
});

// ru_maxrss was the resident set at the call (0 from wait4 and for children): now the peak, kept across munmap,
// exec and exit as Linux keeps hiwater_rss, maxrss and cmaxrss
test('ru_maxrss: the peak after munmap, a child\'s through wait4, waitid and RUSAGE_CHILDREN, an image left by exec; VmHWM', () => {
  const { native } = assertSameAsNative([buildGuest('rusage_maxrss')], [], { timeout: 60_000 });
  assert.doesNotMatch(native.stdout, /: no\b|, no\b/, 'the maxrss guest fails natively');
});

// CPU-time timers counted wall time (a sleeping process got SIGVTALRM); clock_getcpuclockid's clocks were EINVAL
// for timer_create
test('timers on CPU time: ITIMER_VIRTUAL/PROF and POSIX CPU-clock timers fire on CPU time, not while asleep or for another thread', () => {
  const { native } = assertSameAsNative([buildGuest('cpu_timers', ['-pthread'])], [], { timeout: 60_000 });
  assert.doesNotMatch(native.stdout, /no$/m, 'the CPU timer guest fails natively');
});

// RLIMIT_CPU was kept and reported but never enforced (a loop under `ulimit -t` ran for ever)
test('RLIMIT_CPU: SIGXCPU at the soft limit and every second after, SIGKILL at the hard one, not while asleep, a fork\'s own count', () => {
  const { native } = assertSameAsNative([buildGuest('rlimit_cpu')], [], { timeout: 90_000 });
  assert.doesNotMatch(native.stdout, /: no(,|$)/m, 'the RLIMIT_CPU guest fails natively');
});

test("the guest's root sets the guest's wall clock, not the host's", () => {
  const r = runUmlts([], ['/bin/busybox', 'sh', '-c', 'date -s @$(( $(date +%s) + 86400 )) >/dev/null && date +%s']);
  const host = Math.floor(Date.now() / 1000);
  assert.equal(r.code, 0, r.describe());
  const guest = Number(r.stdout.trim());
  assert.ok(Math.abs(guest - host - 86400) < 60, `guest clock ${guest}, host ${host}\n${r.describe()}`);
  const unpriv = runUmlts(['--user', '65534'], ['/bin/busybox', 'date', '-s', '@1000000000']);
  assert.match(unpriv.stderr, /can't set date: Operation not permitted/, unpriv.describe());
  assert.ok(Math.abs(Math.floor(Date.now() / 1000) - host) < 60, 'the host clock moved');
});

// The vDSO (mm/vdso.ts, native/vdso): the C library's clocks come from it, agree with the syscalls, and cost
// no trap (100000 clock_gettime calls and the rest of the guest: well under 2000 syscalls; each was one before).
test('the vDSO: present, its clocks agree with the syscalls, and reading them traps nothing', () => {
  const g = buildGuest('vdso');
  const { umlts } = assertSameAsNative([g], ['--stats']);
  assert.match(umlts.stdout, /AT_SYSINFO_EHDR: set/);
  const n = Number(/kernel: syscalls=(\d+)/.exec(umlts.stderr)?.[1]);
  assert.ok(n > 0 && n < 2000, `${n} syscalls for 100000 clock reads\n${umlts.describe()}`);
  // the guest's root moves the guest's wall clock: the vDSO's CLOCK_REALTIME moves with it
  const r = runUmlts([], [g, 'settime']);
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, 'settimeofday an hour ahead: OK\nvDSO realtime moved with it: yes\ngettimeofday too: yes\ntime too: yes\n', r.describe());
});

// A stub that cannot keep the host's vDSO (a host refusing the mremap of its data pages; the test hook gives the
// stubs a layout whose second mapping is not there: the stub exits STUB_EXIT_VDSO_MOVE): umlts spawns it again
// without, the guest's vDSO makes its clock syscalls, and the clocks still agree with the syscalls, on each platform.
for (const platform of ['systrap', 'ptrace']) {
  test(`the vDSO on a host that will not let a stub keep its own (${platform}): the clocks trap, and work`, () => {
    const g = buildGuest('vdso');
    const env = { ...CLEAN_ENV, UMLTS_PLATFORM: platform, UMLTS_TEST_VDSO_SPEC: '0,0,4096,61440,4096' };
    const { umlts } = assertSameAsNative([g], ['--stats'], { env });
    assert.match(umlts.stdout, /AT_SYSINFO_EHDR: set/);
    const n = Number(/kernel: syscalls=(\d+)/.exec(umlts.stderr)?.[1]);
    assert.ok(n > 100000, `${n} syscalls: each clock read should trap\n${umlts.describe()}`);
    // a fork's copy and an exec'd program keep going the same way
    const r = runUmlts([], ['/bin/sh', '-c', `${g} >/dev/null && ${g} settime`], { env });
    assert.equal(r.code, 0, r.describe());
    assert.match(r.stdout, /vDSO realtime moved with it: yes/, r.describe());
  });
}

// systrap's timers: no timerfd (no host call per arm, no round trip through the waker per expiry); the
// platform's wait sleeps until dueMs and calls runExpired (src/platform/ptrace/events.ts)
test('timers without the timerfd: dueMs follows the first deadline, runExpired fires what is due, the timerfd stays disarmed', async () => {
  const { PtraceEvents } = await import('../dist/platform/ptrace/events.js');
  const ev = new PtraceEvents(false);
  try {
    const timerfdValue = () => /it_value: \((\d+), (\d+)\)/.exec(fs.readFileSync(`/proc/self/fdinfo/${ev.timerfd}`, 'utf8')).slice(1).join(',');
    assert.equal(ev.dueMs, Infinity);
    const fired = [];
    const before = performance.now();
    const now = process.hrtime.bigint();
    const after = performance.now();
    const late = ev.addTimer(now + 50_000_000n, () => fired.push('late'));
    const soon = ev.addTimer(now + 1_000_000n, () => fired.push('soon'));
    // performance.now() and hrtime read the same clock: dueMs is the first deadline, rounded up (by up to 3 µs)
    const soonMs = performance.now() + 1;
    assert.ok(ev.dueMs >= before + 1 && ev.dueMs <= after + 1.01, `dueMs ${ev.dueMs}, expected ${before + 1} to ${after + 1}`);
    assert.equal(timerfdValue(), '0,0');
    // before the deadline nothing fires (a loaded host may already be past it: then the timer fires here)
    const due = ev.dueMs, tA = performance.now(), early = ev.runExpired(), tB = performance.now();
    if (tB < due) assert.equal(early, 0);
    else if (tA >= due) assert.equal(early, 1);
    else assert.ok(early === 0 || early === 1);
    while (performance.now() < due);
    // once performance.now() has passed dueMs, the deadline has passed
    assert.equal(early + ev.runExpired(), 1);
    assert.deepEqual(fired, ['soon']);
    assert.ok(ev.dueMs > soonMs + 40, `dueMs ${ev.dueMs} is the later timer's`);
    ev.cancelTimer(late);
    assert.equal(ev.dueMs, Infinity);
    assert.equal(soon.armed, false);
    assert.equal(timerfdValue(), '0,0');
    // the waker's mode arms the timerfd
    const ev2 = new PtraceEvents();
    try {
      ev2.addTimer(process.hrtime.bigint() + 10_000_000_000n, () => {});
      assert.notEqual(/it_value: \((\d+), (\d+)\)/.exec(fs.readFileSync(`/proc/self/fdinfo/${ev2.timerfd}`, 'utf8')).slice(1).join(','), '0,0');
      assert.equal(ev2.dueMs, Infinity);
    } finally {
      ev2.close();
    }
  } finally {
    ev.close();
  }
});

for (const platform of ['systrap', 'ptrace']) {
  test(`adjtimex and clock_adjtime: readings of the clock's discipline, changes refused, Linux's checks (${platform})`, () => {
    const g = buildGuest('adjtimex');
    const { native } = assertSameAsNative([g], ['--platform', platform]);
    assert.match(native.stdout, /its time is the realtime clock's \(within 2 s\): 1\n/);
    assert.match(native.stdout, /clock_adjtime MONOTONIC: EOPNOTSUPP\nclock_adjtime BOOTTIME: EOPNOTSUPP\nclock_adjtime 99: EINVAL\n/);
    assert.match(native.stdout, /nobody: set the frequency: EPERM\n/);
    assert.match(native.stdout, /nobody: ADJ_ADJTIME alone: EINVAL\n/);
    // a guest's root may not steer the host's clock either (natively this would change it: umlts only)
    const um = runUmlts(['--platform', platform], [g, 'as-root']);
    assert.equal(um.code, 0, um.describe());
    assert.equal(um.stdout, 'root: set the frequency: EPERM\nroot: ADJ_SETOFFSET: EPERM\n', um.describe());
  });
}
