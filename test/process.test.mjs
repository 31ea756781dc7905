// Processes and signals (issue 3): differential C guests, and real shells.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, runUmlts, runNative, assertNoLeftovers, makeScratch, rmScratch, BUSYBOX } from './lib.mjs';

after(() => assertNoLeftovers());

// personality(2) was ENOSYS: util-linux's setarch (-R: no address randomization) failed to run anything
test('personality: asked, set, inherited, READ_IMPLIES_EXEC in mmap and mprotect and cleared by exec; setarch -R runs a program', () => {
  assertSameAsNative([buildGuest('personality')], []);
  const r = runUmlts([], ['setarch', 'x86_64', '-R', '/bin/sh', '-c', 'echo ran']);
  assert.equal(r.stdout, 'ran\n', r.describe());
  assert.equal(r.code, 0, r.describe());
});

test('fork: copy-on-write independence, wait statuses, stop/continue, waitid, exec, vfork, orphans', () => {
  const g = buildGuest('proc_fork');
  assertSameAsNative([g], []);
});

// vfork's child runs in its parent's memory (a host thread of the parent's stub): the parent sees what it
// wrote, posix_spawn reports its child's exec error, and the parent's other threads keep what they wrote to
// the same pages meanwhile.
for (const platform of ['systrap', 'ptrace']) {
  test(`vfork shares memory until exec or exit: posix_spawn's errors, a thread writing the same page (${platform})`, () => {
    const g = buildGuest('vfork_shared');
    const { umlts } = assertSameAsNative([g], ['--platform', platform]);
    assert.match(umlts.stdout, /posix_spawn of a missing program: ENOENT\n/);
  });
}

// CLONE_VM without CLONE_THREAD gave the child a copy of its parent's memory (the child's writes were lost,
// a private futex between the two never woke), and CLONE_SIGHAND a copy of the handlers: now the memory and
// the table themselves, whatever either process does next
for (const platform of ['systrap', 'ptrace']) {
  test(`clone(CLONE_VM): a process in its parent's memory (and handlers), killed, orphaned, exec'ing, vfork'd 200 times (${platform})`, () => {
    const { umlts } = assertSameAsNative([buildGuest('clone_vm')], ['--platform', platform]);
    assert.match(umlts.stdout, /^CLONE_VM child's write, in the parent: 42 \(status 7\); its unshare\(CLONE_VM\): EINVAL\n/);
  });
}

// ...and processes sharing one address space leave it in every order (the parent first, killed, or last; a
// child exec'ing, killed while it runs, exiting): on ptrace a parent's exit waited for ever to end its first
// host thread, which the host reports only once the whole process ends
for (const platform of ['systrap', 'ptrace']) {
  test(`clone(CLONE_VM): 30 rounds of a parent and five children sharing its memory ending in every order (${platform})`, () => {
    const { umlts } = assertSameAsNative([buildGuest('clone_vm_exits', ['-pthread'])], ['--platform', platform], { timeout: 60_000 });
    assert.equal(umlts.stdout, '30 rounds as expected\n', umlts.describe());
  });
}

// ...its break too: a vfork child that mallocs (gdb's inferior start-up does) grows the heap its parent shares;
// the break stayed the child's, and so did the pages the parent's heap had never touched: the parent died in malloc
test('vfork: a child that mallocs moves its parent\'s break, and its blocks are the parent\'s', () => {
  const { native } = assertSameAsNative([buildGuest('vfork_malloc')], []);
  assert.match(native.stdout, /^the child moved the break: yes\nits blocks, in the parent: as it wrote them\n/);
});

// kcmp was ENOSYS (CRIU, and programs asking whether two fds are one file, need it). SysV undo lists are now
// per task as Linux's: none until a SEM_UNDO, shared by CLONE_SYSVSEM (pthread_create), which kcmp shows
test('kcmp: every type between fork and clone children, a thread and a zombie; undo lists; KCMP_EPOLL_TFD; the order of its errors', () => {
  assertSameAsNative([buildGuest('kcmp', ['-pthread'])], []);
});

// unshare was ENOSYS: CLONE_FILES, CLONE_FS and CLONE_SYSVSEM as Linux; exec and close_range(CLOSE_RANGE_UNSHARE)
// now unshare a shared fd table too (exec closed a CLONE_FILES sibling's close-on-exec fds; the flag was EINVAL)
test('unshare: flag rules, CLONE_FILES/FS/SYSVSEM from a thread and alone, namespaces EPERM unprivileged; exec and close_range unshare fd tables', () => {
  const g = buildGuest('unshare', ['-pthread']);
  assertSameAsNative([g], []);
  // umlts has no namespaces: as a Linux built without them, root gets EINVAL (natively root would make them)
  const r = runUmlts([], [g, 'ns']);
  assert.equal(r.stdout, 'root: CLONE_NEWUTS: -1 EINVAL\nroot: CLONE_NEWNS: -1 EINVAL\nroot: CLONE_NEWUSER: -1 EINVAL\nroot: CLONE_NEWTIME: -1 EINVAL\n', r.describe());
});

// found by a fuzzer: a CLONE_PARENT sibling's exit signal is its creator's, not clone's (it once killed the
// grandparent with signal 58)
test('clone(CLONE_PARENT) with an exit signal: the sibling reports SIGCHLD to the grandparent', () => {
  assertSameAsNative([buildGuest('clone_parent_exitsig')], []);
});

// found by a fuzzer: CLONE_PIDFD was ignored (no pidfd, no error)
test('CLONE_PIDFD: clone3 and clone give the parent a pidfd that waitid(P_PIDFD) reaps; EINVAL and EFAULT as Linux', () => {
  const { native } = assertSameAsNative([buildGuest('clone_pidfd')], []);
  assert.match(native.stdout, /^clone3: pidfd 3, cloexec yes, waitid\(P_PIDFD\) OK, status 5$/m);
});

// found by a fuzzer: an exec that failed past its point of no return kept its program and interpreter open
test('execs that fail past their point of no return end in SIGSEGV and keep no file open, nor #! scripts', () => {
  const dir = makeScratch('leak');
  try {
    const r = runUmlts(['--mount', `${dir}:/h`], [buildGuest('exec_fail_leak'), '/h']);
    assert.equal(r.code, 0, r.describe());
    assert.equal(r.stdout, 'children killed by SIGSEGV: 20 of 20\nhost files held open after: no more than before\n', r.describe());
    // and 20 #! scripts from there, which run (found in review: each exec kept its script open)
    const s = runUmlts(['--mount', `${dir}:/h`], [buildGuest('exec_fail_leak'), '/h', 'script']);
    assert.equal(s.code, 0, s.describe());
    assert.equal(s.stdout, 'scripts run: 20 of 20\nhost files held open after: no more than before\n', s.describe());
  } finally {
    rmScratch(dir);
  }
});

// found in review: a guest's first process (its init, with no parent) made siblings nobody reaped
test('clone(CLONE_PARENT) by the first process is EINVAL, as by init in a pid namespace', () => {
  const g = buildGuest('clone_parent_exitsig');
  const native = runNative(['unshare', '--pid', '--fork', g, 'init']);
  assert.equal(native.stdout, 'clone(CLONE_PARENT) by init: EINVAL\nclone(CLONE_PARENT|CLONE_THREAD) by init: EINVAL\n', native.describe());
  const r = runUmlts([], [g, 'init']);
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, native.stdout, r.describe());
});

test('signals: SA_SIGINFO, SSE preserved, sigaltstack, SIGSEGV info, masks, nesting, sigsuspend, sigtimedwait, EINTR vs SA_RESTART', () => {
  const g = buildGuest('proc_signals');
  assertSameAsNative([g], []);
});

test('busybox sh: subshells, background jobs, wait, exit status', () => {
  const r = runUmlts([], [BUSYBOX, 'sh', '-c', 'echo one; (echo sub); /bin/busybox echo exec; sleep 0.1 & wait $!; echo waited $?; false; echo st=$?; exit 3']);
  assert.equal(r.stdout, 'one\nsub\nexec\nwaited 0\nst=1\n', r.describe());
  assert.equal(r.code, 3, r.describe());
});

test('a CPU-bound guest on one vCPU is preempted, and a signal stops it', () => {
  const r = runUmlts(['--cpus', '1'], [BUSYBOX, 'sh', '-c', 'while :; do :; done & sleep 0.3; echo slept; kill $!; wait $!; echo status $?'], { timeout: 20000 });
  assert.match(r.stdout, /^slept\nstatus 143\n$/, r.describe());
});

test('SIGKILL of umlts while its guest forks and execs in a loop leaves no host process behind', async () => {
  const { spawn } = await import('node:child_process');
  const { CLI, trackUmltsPid, ourStubProcesses } = await import('./lib.mjs');
  const child = spawn(process.execPath, [CLI, 'run', '--', BUSYBOX, 'sh', '-c', 'while :; do (/bin/busybox true; sleep 0.01) & sleep 0.001; done'], { stdio: 'ignore' });
  trackUmltsPid(child.pid);
  const mine = new Set([child.pid]);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  // let it get busy: several guest processes alive at once
  const deadline = Date.now() + 20000;
  let most = 0;
  while (Date.now() < deadline && most < 4) {
    most = Math.max(most, ourStubProcesses(mine).length);
    await sleep(20);
  }
  assert.ok(most >= 4, `the guest forked (at most ${most} guest host processes seen)`);
  await sleep(300);
  child.kill('SIGKILL');
  const gone = Date.now() + 3000;
  while (Date.now() < gone && ourStubProcesses(mine).length > 0) await sleep(50);
  assert.deepEqual(ourStubProcesses(mine).map((p) => p.pid), [], 'every guest host process died with umlts');
});

test('timeout 1 sleep 5 exits 124 in about one second', () => {
  const t0 = Date.now();
  const r = runUmlts([], ['/usr/bin/timeout', '1', 'sleep', '5'], { timeout: 20000 });
  const ms = Date.now() - t0;
  assert.equal(r.code, 124, r.describe());
  assert.ok(ms >= 900 && ms < 3500, `took ${ms} ms`);
});

// execveat said ENOSYS to every descriptor-relative call, and a script's comm was its interpreter's
test('execveat: relative to a descriptor (O_PATH too), AT_EMPTY_PATH (fexecve of a file and a memfd), AT_SYMLINK_NOFOLLOW, errors, AT_EXECFN and comm, as native', () => {
  const g = buildGuest('execveat');
  const dir = makeScratch('execveat');
  try {
    const { native } = assertSameAsNative([g, g, dir], ['--mount', `${dir}:${dir}`]);
    assert.match(native.stdout, /^ {4}ran: comm "memfd:inmem", AT_EXECFN "\/dev\/fd\/8"\n {2}memfd, "", AT_EMPTY_PATH +ran$/m);
    assert.match(native.stdout, /^ {4}ran: comm "script.sh", AT_EXECFN "\/dev\/fd\/3\/script.sh"$/m);
  } finally {
    rmScratch(dir);
  }
});

test('exec: the stack strings in Linux order (argv ascending, then the environment, then AT_EXECFN), so npm runs', () => {
  const g = buildGuest('exec_layout');
  const { native } = assertSameAsNative([g, 'one', 'two three', ''], ['--env', 'A=1', '--env', 'B=two']);
  assert.match(native.stdout, /contiguous ascending: 1\n.*follows the last argv string: 1\n/s);
  const r = runUmlts([], ['/usr/bin/npm', '--version'], { timeout: 60_000 });
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/, r.describe());
  assert.equal(r.code, 0, r.describe());
});

// RLIMIT_NPROC was kept and reported but never enforced (a fork bomb of a non-root guest user ran to the kernel's
// own cap)
test('RLIMIT_NPROC: a user at its limit gets EAGAIN from fork and pthread_create; root is not held to it', () => {
  const { native } = assertSameAsNative([buildGuest('rlimit_nproc', ['-pthread'])], []);
  assert.match(native.stdout, /^user 54321, RLIMIT_NPROC 4: 3 forks, then EAGAIN$/m);
});

// i_writecount (found missing in session 35's leads): a running program could be opened for writing and truncated
// under umlts, and a file open for writing executed
test('ETXTBSY: a running program (a fork\'s copy too) is not written or truncated, a file open for writing is not run; a #! script stays writable', () => {
  const g = buildGuest('etxtbsy');
  const { native } = assertSameAsNative([g, '/tmp']);
  assert.match(native.stdout, /^while it runs: open O_WRONLY ETXTBSY, O_RDWR ETXTBSY, O_RDWR\|O_TRUNC ETXTBSY, O_RDONLY ok$/m);
  assert.match(native.stdout, /^exec of a file open for writing: ETXTBSY$/m);
  assert.match(native.stdout, /O_RDONLY\|O_TRUNC ETXTBSY; truncate ETXTBSY; its size kept: yes$/m);
  assert.match(native.stdout, /^a script runs: the script O_WRONLY ok, its interpreter O_WRONLY ETXTBSY$/m);
  // the same on a writable host directory (hostfs): its inodes are told apart by the host's device and number
  const dir = makeScratch('etxtbsy');
  try {
    const host = runNative([g, dir]);
    const r = runUmlts(['--mount', `${dir}:/rw`], [g, '/rw']);
    assert.equal(r.stdout, host.stdout, r.describe());
    assert.equal(r.code, 0, r.describe());
  } finally {
    rmScratch(dir);
  }
});

// find_new_reaper: an orphan goes to the nearest child subreaper (tini, dumb-init and container inits set it);
// PR_GET_AUXV, timer slack, THP_DISABLE and PR_GET_TSC were EINVAL
test('prctl: a child subreaper gets and reaps its orphaned grandchild; PR_GET_AUXV, TIMERSLACK, THP_DISABLE, GET_TSC', () => {
  const g = buildGuest('prctl_more');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^the child's flag after fork: 0\ngrandchild's parent is the subreaper: yes\nthe subreaper reaps the grandchild: yes, status 7\n/m);
  assert.match(native.stdout, /^PR_GET_AUXV: 448, 56 words written, \/proc\/self\/auxv's first: 1, zeros after: 1\n/m);
  assert.match(native.stdout, /^timer slack 50000, set 1000: 1000, set 0: 50000\n/m);
});

// ids are u32 ((uid_t)-1 is none, 3000000000 an id: they were read as i32); commit_creds drops pdeathsig and
// dumpable as the effective ids change
test('set*id: 32-bit unsigned ids, -1 refused or unchanged; an euid change takes pdeathsig and dumpable away', () => {
  const g = buildGuest('creds_ids');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^setuid\(-1\): -1 Invalid argument\nsetgid\(-1\): -1 Invalid argument\nsetgroups with -1: -1 Invalid argument\n {2}Groups:\t \n/m);
  assert.match(native.stdout, /^ {2}Uid:\t3000000000\t3000000000\t3000000000\t3000000000\n/m);
  assert.match(native.stdout, /^after the euid changed: pdeathsig 0, dumpable 0\n/m);
});
