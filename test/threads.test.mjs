// Guest threads (CLONE_THREAD): pthreads differentially against the host,
// page faults from many threads at once, attacks on the stub pages from a
// multi-threaded guest (umlts only), and real threaded programs (GNU sort
// --parallel, Python's threading).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  buildGuest, assertSameAsNative, assertNoLeftovers, runNative, runUmlts, makeScratch, rmScratch,
  hostHas, lines, assertSameText,
} from './lib.mjs';

afterEach(() => assertNoLeftovers());

const PTHREAD = ['-pthread'];

/** thread_basic's output, natively. */
const THREAD_BASIC = `main: tid == pid: true
join 0: returned 1000
join 1: returned 1001
join 2: returned 1004
join 3: returned 1009
join 4: returned 1016
join 5: returned 1025
join 6: returned 1036
join 7: returned 1049
mutex counter: 400000
atomic counter: 400000
condvar ping-pong: pings 1000 pongs 1000 strictly alternating true
tls thread 0: started with the initial values true, kept its own int true string true
tls thread 1: started with the initial values true, kept its own int true string true
tls thread 2: started with the initial values true, kept its own int true string true
tls thread 3: started with the initial values true, kept its own int true string true
tls addresses distinct: true
tls main kept its own: true
thread: gettid differs from getpid and main's tid: true
thread: getpid same as main's: true
thread: getppid same as main's: true
detached thread: pthread_detach OK, reached pthread_exit true
pthread_exit from deep inside: join value 77, cleanup handler ran true
created detached: ran true
nothing after pthread_exit: true
thread inherited the blocked mask: true
pthread_kill(thread, SIGUSR1): handled by that thread true, by main false, signal right true
main: SIGUSR1 pending afterwards: false
pthread_kill(self) while blocked: pending in main true, in the other thread false
after unblocking: handled by main true
kill(getpid(), SIGUSR2): handled by the thread that unblocked it true, by another false
SIGUSR2 still pending in main: false
blocked read woken by another thread: n=1 data=h
main: calling pthread_exit
joined the exited main thread: OK, value 42
survivor still in the process: true
exiting with 3
`;

test('pthreads: join values, mutex, condvar, TLS, ids, detach, per-thread signals, blocked read, main exits first', () => {
  const g = buildGuest('thread_basic', PTHREAD);
  const { native } = assertSameAsNative([g], [], { timeout: 120_000 });
  // the native run is exactly this, so a broken guest cannot pass
  assert.equal(native.code, 3, `the last thread exits the process with 3\n${native.describe()}`);
  assertSameText(native.stdout, THREAD_BASIC, 'thread_basic natively');
});

// a process's first thread left while two host threads were kept for reuse: on ptrace it is the stub's first
// thread, whose exit the host reports only once the process ends, and umlts waited for it for ever
for (const platform of ['systrap', 'ptrace']) {
  test(`the main thread leaves after two threads ended, one runs on (${platform})`, () => {
    const { umlts } = assertSameAsNative([buildGuest('thread_main_exit', PTHREAD)], ['--platform', platform], { timeout: 30_000 });
    assert.equal(umlts.stdout, 'the last thread runs on after the main thread left\n', umlts.describe());
  });
}

test('futex_waitv: a wake of any one ends the wait with its index, values compared first, absolute timeouts on both clocks, a signal, shared futexes, every check', () => {
  const { native } = assertSameAsNative([buildGuest('futex_waitv', PTHREAD)], [], { timeout: 60_000 });
  assert.match(native.stdout, /^woke futex 2: wake said 1, futex_waitv returned 2$/m);
  assert.match(native.stdout, /^shared, woken by a child: 1 \(child 0\)$/m);
  assert.match(native.stdout, /^unmapped, shared: -1 EFAULT$/m);
});

// FUTEX_LOCK_PI and kin were ENOSYS: a PTHREAD_PRIO_INHERIT mutex could not be locked
test('PI futexes: LOCK_PI, TRYLOCK_PI, UNLOCK_PI rules and hand-offs, a realtime deadline, glibc PI mutexes (robust too) as native', () => {
  const { native } = assertSameAsNative([buildGuest('pi_futex', PTHREAD)], [], { timeout: 60_000 });
  assert.match(native.stdout, /^the sleeper got it: 1, word is FUTEX_WAITERS \| its tid: 1$/m);
  assert.match(native.stdout, /^4 threads x 20000 under a PI mutex: 80000$/m);
  assert.match(native.stdout, /^a robust PI mutex whose owner died: EOWNERDEAD$/m);
});

test('futex REQUEUE, CMP_REQUEUE and WAKE_OP: counts, waiters moved, the atomic operation and its comparison, errors', () => {
  const { native } = assertSameAsNative([buildGuest('futex_requeue', PTHREAD)], [], { timeout: 60_000 });
  assert.match(native.stdout, /CMP_REQUEUE f2 -> f3, wake 1, move 1: 2\n/, native.describe());
});

// musl's pthread_cond_broadcast requeues its waiters onto the mutex: the waiters of an ENOSYS requeue slept for ever
test('condition variable broadcasts with glibc and with musl (Alpine\'s C library), 200 rounds of four waiters', () => {
  for (const cc of ['cc', 'musl-gcc']) {
    const { native } = assertSameAsNative([buildGuest('cond_broadcast', PTHREAD, { cc })], [], { timeout: 60_000 });
    assert.equal(native.stdout, 'woken 800 times in 200 rounds\n', `${cc}: ${native.describe()}`);
  }
});

// set_robust_list was recorded and never walked: the next locker of a robust mutex whose owner died slept for ever
test('robust mutexes: a lock whose owner thread or process exited, was killed or exec\'d goes to the next locker with EOWNERDEAD', () => {
  const { native } = assertSameAsNative([buildGuest('robust_mutex', PTHREAD)], [], { timeout: 60_000 });
  assert.equal((native.stdout.match(/lock EOWNERDEAD, consistent OK/g) ?? []).length, 4, native.describe());
});

// a hostile-guest fuzzer's findings against Linux 6.18: each line differed before (counts, ENOSYS, EFAULT, the order
// of errors, keys, restarts, the robust walk, get_robust_list's permission)
test('futex at its edges: wake counts, the realtime clock, bad addresses, error order, shared keys, signals and stops in timed waits, robust walks', () => {
  // (a host file for the private mapping's key: a writable directory mounted where it is)
  const dir = makeScratch('futex');
  const { native } = assertSameAsNative([buildGuest('futex_edges', PTHREAD), path.join(dir, 'f')], ['--mount', `${dir}:${dir}`],
    { timeout: 60_000 });
  rmScratch(dir);
  assert.match(native.stdout, /WAKE 0 of 3: 1, WAKE -1: 1/, native.describe());
  assert.match(native.stdout, /MAP_PRIVATE file page's waiter, woken through a MAP_SHARED mapping in a child: OK, child woke one/,
    native.describe());
  assert.match(native.stdout, /a timed wait, a SA_RESTART handler ran 1 time\(s\): EINTR\n/, native.describe());
  assert.match(native.stdout, /stopped and continued three times: timed out at its deadline/, native.describe());
});

test('the pthread guests are deterministic natively (a flaky guest would make the differential tests meaningless)', () => {
  for (const name of ['thread_basic', 'thread_fault']) {
    const g = buildGuest(name, PTHREAD);
    const first = runNative([g]);
    for (let i = 0; i < 3; i++) {
      const again = runNative([g]);
      assert.equal(again.stdout, first.stdout, `${name} printed something else on run ${i + 2}`);
      assert.equal(again.code, first.code);
    }
  }
});

test('/proc/self/task: a directory per thread with its own stat, comm and status', () => {
  const g = buildGuest('thread_proc', PTHREAD);
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^task entries: 4, the leader among them: 1\n/);
  assert.match(native.stdout, /threads' own names: 3 of 3\n/);
  assert.match(native.stdout, /status Threads:\t4\n/);
  assert.match(native.stdout, /after join: 1\n$/);
});

test('page faults from 8 threads at once, deliberate SIGSEGVs per thread, and a thread churning its mappings', () => {
  const g = buildGuest('thread_fault', PTHREAD);
  const { native } = assertSameAsNative([g], [], { timeout: 120_000 });
  const out = native.stdout;
  assert.equal(native.code, 0, native.describe());
  for (let t = 0; t < 8; t++) {
    assert.match(out, new RegExp(`^thread ${t}: own [0-9a-f]{16} bad 0, shared [0-9a-f]{16} bad 0, neighbour's [0-9a-f]{16} bad 0$`, 'm'));
    assert.match(out, new RegExp(`^thread ${t}: faults tried 10 handled 10, si_addr right 10, SEGV_ACCERR 5, SEGV_MAPERR 5, other 0$`, 'm'));
  }
  assert.match(out, /^churner: steps 300, own [0-9a-f]{16} bad 0, values kept bad 0, fresh pages not zero 0$/m);
  assert.match(out, /^churner: faults tried 200 handled 200, si_addr right 200, SEGV_ACCERR 200, SEGV_MAPERR 0, other 0$/m);
  assert.match(out, /^faults handled: 280 of 280$/m);
  assert.match(out, /^shared mapping as main sees it: bad 0, checksum [0-9a-f]{16}$/m);
  assert.match(out, /\ndone\n$/);
});

test('a second thread races the flushes and attacks the stub pages; children jumping to its syscall die, nothing runs on the host', () => {
  const g = buildGuest('thread_escape', PTHREAD);
  // Natively there is no stub (the guest says so and exits 0): nothing to compare.
  const native = runNative([g, '/nonexistent/marker']);
  assert.equal(native.code, 0, native.describe());

  const dir = makeScratch('escape');
  const marker = path.join(dir, 'marker');
  try {
    const r = runUmlts(['--mount', `${dir}:${dir}`], [g, marker], { timeout: 120_000 });
    const out = r.stdout;
    const ctx = `\n--- stdout ---\n${out}\n${r.describe()}`;
    assert.ok(!fs.existsSync(marker), `the marker exists: a guest ran a host program${ctx}`);
    assert.equal(r.code, 0, ctx);
    assert.doesNotMatch(out, /^no stub here$/m, `the guest did not find the stub's code page${ctx}`);
    assert.match(out, /^stub code page readable: true, syscall instructions found: true$/m, ctx);
    assert.match(out, /^mapping churn ran concurrently: true$/m, ctx);
    // (a) stores into the stub's read-only pages fault, every time
    assert.match(out, /^batch page write: SIGSEGV \(all \d+: true, si_addr right: true\)$/m, ctx);
    assert.match(out, /^code page write: SIGSEGV$/m, ctx);
    // (b) no system call reaches the stub pages
    for (const what of [
      'mprotect code page rwx', 'mprotect batch page rw', 'munmap code page', 'munmap whole stub',
      'mmap MAP_FIXED over code page', 'mmap MAP_FIXED over batch page', 'mmap MAP_FIXED across the stub start',
      'mmap MAP_FIXED_NOREPLACE at batch page', 'mremap onto batch page', 'madvise DONTNEED batch page',
      'read\\(\\) into batch page',
    ]) {
      const m = new RegExp(`^${what}: (.*)$`, 'm').exec(out);
      assert.ok(m, `no line for ${what}${ctx}`);
      assert.match(m[1], /^E[A-Z]+$/, `${what} must fail the same way every time, got "${m[1]}"${ctx}`);
    }
    assert.match(out, /^mmap hint at the batch page honoured: false/m, ctx);
    assert.match(out, /^code page unchanged: true$/m, ctx);
    assert.match(out, /^our bytes in the batch page: false$/m, ctx);
    // (c) every child that jumped into the stub died by a signal
    for (const what of [
      'execve via stub syscall sites', 'execve via the stub with a guessed secret',
      'mprotect/mmap/openat/munmap via the stub without the secret',
    ]) {
      const m = new RegExp(`^${what.replace(/[/()]/g, '\\$&')}: tried (\\d+), killed by a signal (\\d+) \\(.*\\), returned or exited (\\d+)$`, 'm').exec(out);
      assert.ok(m, `no line for ${what}${ctx}`);
      assert.ok(Number(m[1]) > 0, `${what}: nothing tried${ctx}`);
      assert.equal(Number(m[2]), Number(m[1]), `${what}: a child was not killed${ctx}`);
      assert.equal(Number(m[3]), 0, `${what}: a stub system call returned${ctx}`);
    }
    assert.match(out, /^data slot scribbler: (exited \d+|killed by \S+)$/m, ctx);
    assert.match(out, /^marker exists: false$/m, ctx);
    assert.match(out, /\ndone\n$/, ctx);
  } finally {
    rmScratch(dir);
  }
});

test('GNU sort --parallel=4 sorts 600000 lines with 4 threads; 200000 lines with -S 1M merge temporary files', (t) => {
  if (!hostHas('/usr/bin/sort') || !hostHas('/usr/bin/seq') || !hostHas('/usr/bin/cksum')) return t.skip('no GNU sort, seq or cksum on this host');
  // GNU sort only splits a buffer between threads when it holds >= 128K lines
  // (SUBTHREAD_LINES_HEURISTIC): 600000 lines in one 64 MB buffer take 4
  // threads (3 clone3 calls natively); with -S 1M it uses none, only
  // temporary files in /tmp, merged.
  const argv = ['/bin/sh', '-c',
    'seq 600000 | sort --parallel=4 -S 64M; echo "sort: $?"; ' +
    'seq 200000 | sort --parallel=4 -S 1M | cksum; echo "sort -S 1M: $?"'];
  const { native } = assertSameAsNative(argv, [], { timeout: 120_000 });
  const l = lines(native.stdout);
  assert.equal(l.length, 600003);
  assert.deepEqual(l.slice(0, 3), ['1', '10', '100']);
  assert.equal(l[600000], 'sort: 0');
  assert.match(l[600001], /^\d+ \d+$/);
  assert.equal(l[600002], 'sort -S 1M: 0');
});

test('python3 threading: 4 threads sum ranges, joined', (t) => {
  if (!hostHas('/usr/bin/python3')) return t.skip('no /usr/bin/python3 on this host');
  const script = [
    'import threading',
    'res = [0] * 4',
    'def work(i):',
    '    res[i] = sum(range(i * 250000, (i + 1) * 250000))',
    'ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]',
    'for th in ts: th.start()',
    'for th in ts: th.join()',
    'print(sum(res), sum(range(1000000)), threading.active_count())',
  ].join('\n');
  const r = runUmlts([], ['/usr/bin/python3', '-c', script], { timeout: 120_000 });
  assert.equal(r.stdout, '499999500000 499999500000 1\n', r.describe());
  assert.equal(r.code, 0, r.describe());
});

test('node (the host\'s own, with libuv and V8 threads) runs a worker thread under umlts', () => {
  const script = [
    "const { Worker } = require('worker_threads');",
    "const w = new Worker('const { parentPort } = require(\"worker_threads\"); let s = 0; for (let i = 0; i < 1e6; i++) s += i; parentPort.postMessage(s)', { eval: true });",
    "w.on('message', (m) => { console.log('worker says', m); w.terminate(); });",
    "w.on('exit', () => console.log('worker gone'));",
  ].join('\n');
  const r = runUmlts([], [process.execPath, '-e', script], { timeout: 120_000 });
  assert.equal(r.stdout, 'worker says 499999500000\nworker gone\n', r.describe());
  assert.equal(r.code, 0, r.describe());
  assert.doesNotMatch(r.stderr, /unimplemented syscall/, r.describe());
});

// fdget's reference: a sleeping call keeps its file whatever another thread closes or dup2s over its fd, and
// drops it as it returns or a signal ends it (the pipe's reader goes: EPIPE)
test('a call asleep on a file keeps it while another thread closes or dup2s over its fd', () => {
  const g = buildGuest('close_blocked', ['-pthread']);
  const { native } = assertSameAsNative([g], [], { timeout: 60_000 });
  assert.match(native.stdout, /^pipe read, its fd closed while it sleeps: 2 \n  the write that woke it: 2, it read "hi"\n  a write after it returned: -1 Broken pipe\n/m);
  assert.match(native.stdout, /^epoll_wait, its fd dup2'd over while it sleeps: 1 \n/m);
  assert.match(native.stdout, /^flock, its fd closed while it sleeps: 0 \n  the holder locks again: 0\n/m);
  assert.match(native.stdout, /^pipe read let go on by its seccomp listener, its fd closed while it sleeps: 2 , the write: 2\n/m);
  assert.match(native.stdout, /^pipe read, its fd closed, then a signal: -1 Interrupted system call\n  a write after it: -1 Broken pipe\n/m);
});
