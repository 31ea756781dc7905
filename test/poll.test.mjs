// poll, ppoll, select, pselect6, epoll, eventfd, timerfd and the interval timers,
// differentially; and that a guest asleep in them costs the host no CPU.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { buildGuest, assertSameAsNative, assertNoLeftovers, runNative, runUmlts, requireCli, trackUmltsPid, CLI, CLEAN_ENV, ROOT, BUSYBOX, withPlatform } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('poll, ppoll, select, pselect6 and eventfd', () => {
  const g = buildGuest('poll_basic');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /poll empty: 2 revents 0 0x4 0 0x20\n/);
  assert.match(native.stdout, /select data: 4 /);
});

test('epoll: errors, level/edge-triggered, oneshot, round robin, nesting, timeouts', () => {
  const g = buildGuest('poll_epoll');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /ET again: 0\n/);
  assert.match(native.stdout, /max 2 \(2\): 2 33\/0x1 31\/0x1\n/);
});

// the thundering herd EPOLLEXCLUSIVE exists to avoid: every waiter used to wake
test('EPOLLEXCLUSIVE: one write wakes one of four epoll_waits on their own epolls, all four without it', () => {
  const g = buildGuest('epoll_exclusive', ['-pthread']);
  const { native } = assertSameAsNative([g], [], { timeout: 60_000 });
  assert.equal(native.stdout, 'EPOLLEXCLUSIVE: 1 of 4 epoll_waits saw the event\nwithout EPOLLEXCLUSIVE: 4 of 4 epoll_waits saw the event\n');
});

test('alarm, setitimer, getitimer and POSIX timers', () => {
  const g = buildGuest('timer_basic');
  const { native } = assertSameAsNative([g], [], { timeout: 60_000 });
  assert.match(native.stdout, /alarm: 0 0 10 5 0\n/);
  assert.match(native.stdout, /periodic: alarms 4\n/);
});

test('timer_create on the _ALARM clocks: EOPNOTSUPP, as Linux on a machine without a wake-up RTC', () => {
  // not differential: a host with an RTC device gives root a timer here (the guest's machine never has one)
  const g = buildGuest('timer_basic');
  for (const user of [[], ['--user', '1000']]) {
    const r = runUmlts(user, [g, 'alarmclocks']);
    assert.equal(r.code, 0, r.describe());
    assert.equal(r.stdout, 'create REALTIME_ALARM: EOPNOTSUPP\ncreate BOOTTIME_ALARM: EOPNOTSUPP\n', r.describe());
  }
});

test('SIGALRM from alarm() and from a timer_create default sigevent kills like natively', () => {
  const g = buildGuest('timer_basic');
  for (const mode of ['alarm', 'timer']) {
    const n = runNative([g, mode]);
    assert.equal(n.signal, 'SIGALRM', n.describe());
    const r = runUmlts([], [g, mode]);
    assert.equal(r.code, 128 + 14, r.describe());
    assert.equal(r.stdout, n.stdout, r.describe());
  }
});

test('timerfd: errors, one-shot and periodic counts, TFD_TIMER_ABSTIME, poll and epoll, the alarm clocks, TFD_IOC_SET_TICKS', () => {
  const g = buildGuest('timerfd');
  const { native } = assertSameAsNative([g], [], { timeout: 60_000 });
  assert.match(native.stdout, /periodic: count in \[9,12\]: 1\n/);
  assert.match(native.stdout, /alarm clocks as nobody: EPERM EPERM\n/);
  assert.match(native.stdout, /past periodic: count in \[10,12\]: 1\n/);
});

test('timerfd: TFD_TIMER_CANCEL_ON_SET reads ECANCELED once the guest sets its wall clock', () => {
  // not differential: natively this would set the host's clock
  const r = runUmlts([], [buildGuest('timerfd'), 'cancel']);
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, [
    'set cancel: OK', 'before: EAGAIN', 'poll before: 0', 'clock_settime: OK', 'poll after: 1 0x1',
    'after: ECANCELED', 'again: EAGAIN', 'still armed: 1', 'relative: EAGAIN', '',
  ].join('\n'));
});

test('/proc/self/fdinfo: pos, flags with O_CLOEXEC, and the lines of eventfd, timerfd, signalfd, epoll and pidfd', () => {
  const g = buildGuest('fdinfo');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /\[eventfd-count:       1234567895\]\n/);
  assert.match(native.stdout, /\[settime flags: 03\]\n/);
  assert.match(native.stdout, /\[sigmask:\t0000001000004200\]\n/);
  assert.match(native.stdout, /\[tfd: {8}\d+ events: 80000019 data: {7}abcdef0123  pos:0\]\n/);
});

test("ioctl on an epoll fd: busy polling's parameters (EPIOCSPARAMS, EPIOCGPARAMS), EINVAL for FIONREAD and the rest", () => {
  const { native } = assertSameAsNative([buildGuest('epoll_ioctl')]);
  assert.match(native.stdout, /^FIONREAD EINVAL$/m);
  assert.match(native.stdout, /^EPIOCGPARAMS OK 10 8 1$/m);
});

/** Host CPU seconds (user + sys) umlts and its guests used for argv. */
function cpuOf(argv, timeout = 60_000) {
  requireCli();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %e', process.execPath, CLI, 'run', '--', ...argv], {
    env: withPlatform(CLEAN_ENV), cwd: ROOT, encoding: 'utf8', timeout, killSignal: 'SIGKILL',
  });
  if (r.pid) trackUmltsPid(r.pid);
  const m = /(\d+\.\d+) (\d+\.\d+) (\d+\.\d+)\s*$/.exec(r.stderr);
  assert.ok(m, `no time output: ${r.stderr}`);
  return { cpu: Number(m[1]) + Number(m[2]), wall: Number(m[3]), r };
}

test('a guest asleep in poll, select, epoll_wait, read or pause costs no host CPU', () => {
  const g = buildGuest('poll_sleep');
  const base = cpuOf([g, '100']);
  const { cpu, wall, r } = cpuOf([g, '1500']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(wall >= 1.4, `slept ${wall} s`);
  // every sleep above lasts 1.5 s in total; a spinning kernel would burn about that much
  assert.ok(cpu - base.cpu < 0.3, `sleeping cost ${(cpu - base.cpu).toFixed(2)} s of CPU (baseline ${base.cpu} s)`);
});

test('a hundred sleeping guests do not make the kernel spin', () => {
  const loop = (s) => [BUSYBOX, 'sh', '-c', `i=0; while [ $i -lt 100 ]; do sleep ${s} & i=$((i+1)); done; wait; echo done`];
  const base = cpuOf(loop(0), 120_000);
  const { cpu, wall, r } = cpuOf(loop(2), 120_000);
  assert.equal(r.stdout, 'done\n', r.stderr);
  assert.ok(wall >= 2, `the sleeps took ${wall} s`);
  // a kernel that spun while they sleep would burn a CPU for the 2 s (and polling for each would cost more);
  // a hundred live processes cost some 0.4 s more than a hundred short ones even on an idle host (the
  // kernel's scans and the hosts' exits), and up to twice that under load
  assert.ok(cpu - base.cpu < 1.0, `100 sleeping guests cost ${(cpu - base.cpu).toFixed(2)} s of CPU more than 100 exiting at once (${base.cpu} s)`);
});
