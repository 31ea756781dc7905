// /proc additions: /proc/<pid>/stat (the 52 fields of proc(5)), status,
// /proc/uptime, /proc/loadavg, /proc/stat — through the VFS with a fake
// kernel side, then under umlts with busybox.
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { scratchDir, makeVfs, fakeProc, caller, readAll, O_RDONLY } from './fs_lib.mjs';
import { BUSYBOX, runUmlts, assertNoLeftovers, assertSameAsNative, buildGuest, makeScratch, rmScratch } from './lib.mjs';

const c = caller();
const sd = scratchDir('proc');
after(() => sd.cleanup());

/** A provider whose pid 42 has a full pidStat. */
function richProc() {
  const p = fakeProc();
  return {
    ...p,
    pidStat: (pid) => (pid === 42 ? {
      state: 'S', ppid: 1, pgrp: 42, session: 1, ttyNr: 34816 + 3, tpgid: 42,
      utimeNs: 1_230_000_000, stimeNs: 40_000_000, cutimeNs: 0, cstimeNs: 0, numThreads: 3,
      startNs: 5_000_000_000, vsize: 8 << 20, rss: 300,
      sigPnd: 0n, shdPnd: 1n << 9n, sigBlk: (1n << 1n) | (1n << 40n), sigIgn: 1n << 2n, sigCgt: (1n << 16n) | (1n << 1n),
      exitSignal: 17, processor: 1, uids: [1000, 1000, 1000, 1000], gids: [100, 100, 100, 100], groups: [100, 27],
      umask: 0o022, fdSize: 64, startBrk: 0x555000,
    } : pid === 1 ? {
      state: 'R', ppid: 0, pgrp: 1, session: 1, ttyNr: 0, tpgid: -1, utimeNs: 0, stimeNs: 0, numThreads: 1,
      startNs: 0, vsize: 0, rss: 0, sigPnd: 0n, shdPnd: 0n, sigBlk: 0n, sigIgn: 0n, sigCgt: 0n, exitSignal: 0,
      processor: 0, uids: [0, 0, 0, 0], gids: [0, 0, 0, 0], groups: [], umask: 0o022,
    } : null),
    uptime: () => ({ upNs: 12_345_000_000, idleNs: 20_000_000_000 }),
    loadavg: () => [0.5, 0.25, 0.125],
  };
}

const read = (vfs, path) => {
  const f = vfs.open(c, null, path, O_RDONLY, 0);
  assert.equal(typeof f, 'object', `open ${path}: ${f}`);
  return readAll(f);
};

test('/proc/<pid>/stat: 52 fields in proc(5) order', () => {
  const vfs = makeVfs(sd.dir, { proc: richProc() });
  const s = read(vfs, '/proc/42/stat');
  assert.ok(s.endsWith('\n'));
  const f = s.trim().split(' ');
  assert.equal(f.length, 52);
  assert.equal(f[0], '42');
  assert.equal(f[1], '(prog)');
  assert.deepEqual(f.slice(2, 8), ['S', '1', '42', '1', String(34816 + 3), '42']);
  assert.equal(f[13], '123'); // utime in clock ticks (USER_HZ 100)
  assert.equal(f[14], '4');
  assert.equal(f[19], '3'); // num_threads
  assert.equal(f[21], '500'); // starttime
  assert.equal(f[22], String(8 << 20)); // vsize, bytes
  assert.equal(f[23], '300'); // rss, pages
  assert.equal(f[30], String(1 << 9)); // signal (pending)
  assert.equal(f[31], '2'); // blocked (low 31 bits)
  assert.equal(f[32], '4');
  assert.equal(f[33], String((1 << 16) | 2));
  assert.equal(f[37], '17'); // exit_signal
  assert.equal(f[38], '1'); // processor
  assert.equal(f[46], String(0x555000)); // start_brk
});

test('/proc/<pid>/status: names, ids, memory and signal masks', () => {
  const vfs = makeVfs(sd.dir, { proc: richProc() });
  const s = read(vfs, '/proc/42/status');
  const kv = Object.fromEntries(s.trim().split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
  assert.equal(kv.Name, 'prog');
  assert.equal(kv.State, 'S (sleeping)');
  assert.equal(kv.Tgid, '42');
  assert.equal(kv.Pid, '42');
  assert.equal(kv.PPid, '1');
  assert.equal(kv.Uid, '1000\t1000\t1000\t1000');
  assert.equal(kv.Gid, '100\t100\t100\t100');
  assert.equal(kv.Groups, '100 27');
  assert.equal(kv.Threads, '3');
  assert.equal(kv.VmRSS, '1200 kB');
  assert.equal(kv.VmSize, '8192 kB');
  assert.equal(kv.SigBlk, '0000010000000002');
  assert.equal(kv.SigIgn, '0000000000000004');
  assert.equal(kv.SigCgt, '0000000000010002');
  assert.equal(kv.ShdPnd, '0000000000000200');
  assert.equal(kv.Umask, '0022');
  assert.match(s, /^Cpus_allowed_list:\t0-2$/m);
  assert.equal(read(vfs, '/proc/1/status').split('\n')[2], 'State:\tR (running)');
});

test('/proc/uptime, /proc/loadavg and /proc/stat', () => {
  const vfs = makeVfs(sd.dir, { proc: richProc() });
  assert.equal(read(vfs, '/proc/uptime'), '12.34 20.00\n');
  assert.equal(read(vfs, '/proc/loadavg'), '0.50 0.25 0.13 1/4 42\n');
  const st = read(vfs, '/proc/stat');
  assert.match(st, /^cpu  \d+ 0 \d+ 2000 0 0 0 0 0 0$/m);
  assert.match(st, /^cpu2 /m);
  assert.match(st, /^btime \d+$/m);
  assert.match(st, /^processes 2$/m);
  const names = vfs.open(c, null, '/proc', O_RDONLY | 0o200000, 0).readdir().map((e) => e.name);
  for (const n of ['uptime', 'loadavg', 'stat']) assert.ok(names.includes(n), n);
});

test('without the kernel\'s pidStat, stat and status still have every field', () => {
  const vfs = makeVfs(sd.dir);
  const f = read(vfs, '/proc/42/stat').trim().split(' ');
  assert.equal(f.length, 52);
  assert.equal(f[1], '(prog)');
  assert.match(read(vfs, '/proc/42/status'), /^Name:\tprog\nUmask:\t0022\nState:\t/);
  assert.match(read(vfs, '/proc/uptime'), /^\d+\.\d\d 0\.00\n$/);
  assert.match(read(vfs, '/proc/loadavg'), /^0\.00 0\.00 0\.00 1\/2 42\n$/);
  assert.equal(vfs.open(c, null, '/proc/7/stat', O_RDONLY, 0), -2);
});

// ---- under umlts --------------------------------------------------------------------------

afterEach(() => assertNoLeftovers());

test('busybox reads /proc/self/stat, status, uptime and loadavg', () => {
  const r = runUmlts([], [BUSYBOX, 'sh', '-c', 'cat /proc/self/stat; echo "pid $$"; cat /proc/$$/status; cat /proc/uptime /proc/loadavg']);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.split('\n');
  const f = out[0].split(' ');
  assert.equal(f.length, 52, out[0]);
  assert.equal(f[1], '(cat)');
  const pid = Number(out[1].split(' ')[1]);
  assert.ok(pid >= 1);
  assert.match(r.stdout, new RegExp(`^Name:\\t(busybox|sh)\\n[^]*^Pid:\\t${pid}$`, 'm'));
  assert.match(r.stdout, /^\d+\.\d\d \d+\.\d\d\n\d\.\d\d \d\.\d\d \d\.\d\d \d+\/\d+ \d+$/m);
});

test('/proc/<pid>/stat shows the process tree (ppid, pgrp, session, threads)', () => {
  const r = runUmlts([], [BUSYBOX, 'sh', '-c', 'echo $$; cat /proc/self/stat; true']);
  assert.equal(r.status, 0, r.stderr);
  const [sh, stat] = r.stdout.split('\n');
  const f = stat.split(' ');
  assert.equal(f[3], sh); // ppid: the shell
  assert.equal(f[4], sh); // a non-interactive shell runs cat in its own process group
  assert.equal(f[5], sh); // session
  assert.equal(f[2], 'R');
  assert.equal(f[19], '1');
  assert.ok(Number(f[22]) > 0, 'vsize');
  assert.ok(Number(f[23]) > 0, 'rss');
});

test("a reaped child's CPU time shows in its parent's cutime (/proc/<pid>/stat field 16)", () => {
  const r = runUmlts([], [BUSYBOX, 'sh', '-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done & wait; cut -d" " -f16 /proc/$$/stat']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Number(r.stdout.trim()) > 0, `cutime ${r.stdout}`);
});

test("/proc/sys/kernel's ostype, osrelease, version, hostname and domainname say what uname says", () => {
  const g = buildGuest('uts_sysctl');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^ostype reads: Linux\n/m);
  // the guest's own names, after it sets them (not natively: that would rename the host)
  const r = runUmlts([], [g, 'rename']);
  assert.equal(r.code, 0, r.describe());
  assert.match(r.stdout, /^sethostname OK, setdomainname OK\n(.*: as uname, and a newline\n){7}$/m, r.describe());
});

test('/proc/locks and fdinfo\'s lock lines: flock, POSIX and OFD locks with their owners, ranges and files, as they come and go', () => {
  const { native } = assertSameAsNative([buildGuest('proc_locks')]);
  assert.match(native.stdout, /^held: 4 lock\(s\)$/m);
  assert.match(native.stdout, /^fd B: lock: 2: POSIX ADVISORY READ self file B 200 EOF$/m);
  assert.match(native.stdout, /^with the child's: 5 lock\(s\)$/m);
  assert.match(native.stdout, /^ {2}POSIX ADVISORY WRITE other file B 110 119$/m);
  assert.match(native.stdout, /^all closed: 0 lock\(s\)$/m);
});

// statx answered the basic fields only (no mount id, attributes or birth time) and there was no
// /proc/PID/mountinfo: now both as Linux, the mount ids agreeing
test('statx: mount ids that match /proc/self/mountinfo, MOUNT_ROOT and the filesystems\' attributes, birth times when asked, by path and by O_PATH fd', () => {
  const g = buildGuest('statx_fields');
  const { native } = assertSameAsNative([g, g]);
  assert.doesNotMatch(native.stdout, /: no$/m, 'a mount id differs from mountinfo\'s natively');
  assert.match(native.stdout, /^\/dev\/shm \(asked 0x1fff\): mask 0x1fff attributes 0x2000 /m);
});

test('/proc/self/mountinfo: one line per mount in show_mountinfo\'s format, which findmnt reads', () => {
  const r = runUmlts([], [BUSYBOX, 'cat', '/proc/self/mountinfo']);
  assert.equal(r.code, 0, r.describe());
  const lines = r.stdout.trim().split('\n');
  const root = lines.map((l) => l.split(' ')).find((f) => f[4] === '/');
  assert.ok(root, r.stdout);
  for (const l of lines) assert.match(l, /^\d+ \d+ \d+:\d+ \/ \S+ (rw|ro)(,\S+)? - \S+ \S+ (rw|ro)(,\S+)?$/, l);
  const proc = lines.map((l) => l.split(' ')).find((f) => f[4] === '/proc');
  assert.ok(proc && proc[1] === root[0] && proc[7] === 'proc', r.stdout);
  const f = runUmlts([], ['/usr/bin/findmnt', '-n', '-o', 'TARGET,FSTYPE', '/proc']);
  assert.equal(f.stdout.trim().replace(/\s+/g, ' '), '/proc proc', f.describe());
});

// /proc/loadavg and sysinfo's loads were always 0: now Linux's calc_load every LOAD_FREQ over the runnable tasks
test('load averages: two tasks spinning 10.6 s raise the 1-minute figure; sysinfo says the same', () => {
  const r = runUmlts([], [buildGuest('loadavg')], { timeout: 60_000 });
  assert.equal(r.code, 0, r.describe());
  assert.doesNotMatch(r.stdout, /: no$/m, r.describe());
  // from 0, two samples of 2 runnable tasks: calc_load gives 0.31 exactly (rounded up while rising)
  assert.match(r.stdout, /^1-minute load 0\.3[01]: /m, r.describe());
});

// d_path: getcwd follows a tmpfs cwd's renamed parent and is ENOENT once it is removed; an open file unlinked
// since is " (deleted)" in /proc/self/fd (tmpfs and a host directory's)
test('getcwd after the cwd\'s parent is renamed or the cwd removed; /proc/self/fd of an unlinked file', () => {
  const g = buildGuest('cwd_renamed');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^getcwd after the parent's rename: \/dev\/shm\/cwd_d2\/sub\ngetcwd after chdir\("\.\."\): \/dev\/shm\/cwd_d2\n/m);
  assert.match(native.stdout, /^fd link: \/dev\/shm\/cwd_d2\/sub\/f \(deleted\)\n/m);
  assert.match(native.stdout, /^getcwd after rmdir: No such file or directory\n/m);
  const dir = makeScratch('cwd_renamed');
  try {
    const r = runUmlts(['--mount', `${dir}:/rw`], [g, '/rw/h']);
    assert.match(r.stdout, /^fd link: \/rw\/h \(deleted\)\n/m, r.describe());
  } finally {
    rmScratch(dir);
  }
});

// comm_write: glibc's pthread_setname_np of another thread writes /proc/self/task/TID/comm (it failed: the file
// took no writes)
test('/proc/PID/comm and task/TID/comm take the thread\'s own process\'s writes: pthread_setname_np of another thread', () => {
  const g = buildGuest('comm_write', ['-pthread']);
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^pthread_setname_np of another thread: 0, getname 0 "worker-1"\n/m);
  assert.match(native.stdout, /^the child writes its parent's comm: -1 Invalid argument\n/m);
});
