// ptrace(2) inside the sandbox: a tracer guest against native, and strace, a
// real tracer nobody here wrote, tracing shells and their children.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers, hostHas } from './lib.mjs';

afterEach(() => assertNoLeftovers());

// ptrace was ENOSYS: strace said "PTRACE_SETOPTIONS: Function not implemented", gdb could not start a program
test('ptrace: TRACEME, syscall stops, registers and memory changed, signal stops, exec/fork/exit events, ATTACH/DETACH, errors: as native', () => {
  const { native } = assertSameAsNative([buildGuest('ptrace_basic')], [], { timeout: 60_000 });
  // the native run says what each part saw, so a broken guest cannot pass
  assert.match(native.stdout, /^child: getuid 4242, SIGUSR1 handled after the first kill 0, after the second 1 \(SIGUSR1\)$/m);
  assert.match(native.stdout, /^child: secret 0x5566, constant 0x7788$/m);
  assert.match(native.stdout, /^exit event: status 7\nexited: status 7$/m);
  assert.match(native.stdout, /^grandchild's exit seen by the tracer: 1, status 5$/m);
  assert.match(native.stdout, /exec event, its message the pid 1$/m);
  assert.match(native.stdout, /^its tracee then: exited with 6$/m);
  assert.match(native.stdout, /^TracerPid is the tracer: 1$/m);
});

// SEIZE was EIO (strace fell back to ATTACH), INTERRUPT and LISTEN too, and a traced process's group stop was
// never reported to its tracer
test('ptrace: SEIZE, INTERRUPT (out of a blocking read, which goes on), LISTEN, group stops as PTRACE_EVENT_STOP, a seized fork child, ATTACH\'s group stop: as native', () => {
  const { native } = assertSameAsNative([buildGuest('ptrace_seize')], [], { timeout: 60_000 });
  assert.match(native.stdout, /^after INTERRUPT: stopped, Trace\/breakpoint trap, event 128$/m);
  assert.match(native.stdout, /^its read went on: a$/m);
  assert.match(native.stdout, /^in the group stop: siginfo Stopped \(signal\), code 19 \| event 128 << 8$/m);
  assert.match(native.stdout, /^while listening it answers: -\nGETEVENTMSG while listening: ESRCH$/m);
  assert.match(native.stdout, /^the new process: stopped, Trace\/breakpoint trap, event 128$/m);
  assert.match(native.stdout, /^in the group stop: GETSIGINFO EINVAL\nresumed in a group stop, it answers: a$/m);
  assert.match(native.stdout, /^after SEIZE: stopped, Stopped \(signal\), event 128$/m);
});

// SECCOMP_RET_TRACE was always ENOSYS, and a traced vfork parent stopped at PTRACE_EVENT_VFORK only once its
// child had exec'd, with no VFORK_DONE
test('ptrace: PTRACE_EVENT_SECCOMP (a call skipped, changed, let run; ENOSYS without the option), VFORK before the child runs and VFORK_DONE after its exec: as native', () => {
  const { native } = assertSameAsNative([buildGuest('ptrace_events')], [], { timeout: 60_000 });
  assert.match(native.stdout, /^stop: event SECCOMP, message 0x42, call getppid, rax -38\ntracee: getppid skipped by the tracer: 777$/m);
  assert.match(native.stdout, /^tracee: getppid made gettid by the tracer: its tid$/m);
  assert.match(native.stdout, /^untraced: getppid -1 ENOSYS$/m);
  assert.match(native.stdout, /^parent: stopped, Trace\/breakpoint trap, event VFORK, message the child\nchild: stopped, Stopped \(signal\), event none\n/m);
  assert.match(native.stdout, /^parent: stopped, Trace\/breakpoint trap, event VFORK_DONE, message the child$/m);
  assert.match(native.stdout, /^parent: exited 5\n$/m);
});

// a traced process that was not its tracer's child was reported to its parent at once (its wait, its SIGCHLD)
test('ptrace: a tracee\'s exit reaches its parent (another process) only once its tracer has waited for it: as native', () => {
  const { native } = assertSameAsNative([buildGuest('ptrace_reparented')], [], { timeout: 60_000 });
  assert.match(native.stdout, /^child said: WNOHANG after the grandchild exited: 0 \(not yet\)\ngrandchild: exited 3\nchild: stopped, Child exited, event 0\n/m);
  assert.match(native.stdout, /^child said: then waited: it, exit 3\nchild: exited 0\n$/m);
});

/** strace's lines with what is umlts's own made alike: pids (the -f columns, "Process N attached", kill's
 * argument, si_pid), addresses, and the padding before " = " that follows the length of those. */
const normal = (s) => s.replace(/^\d+ +/gm, '').replace(/^\[pid +\d+\] /gm, '[pid N] ').replace(/\b(Process |si_pid=|kill\()\d+/g, '$1N')
  .replace(/0x[0-9a-f]{6,}/g, '0xADDR').replace(/ +=/g, ' =');

/** Run strace with its trace on stdout: `-o /dev/stdout` cannot open the test runner's socket, so its stderr
 * is made stdout, and the traced program's own output goes to /dev/null. */
const strace = (args) => ['/bin/busybox', 'sh', '-c', `exec /usr/bin/strace ${args} 2>&1 >/dev/null`];

test('strace -f of a shell that runs a dynamically linked child: the same trace as native', () => {
  assert.ok(hostHas('/usr/bin/strace'), 'strace is not installed (.ci/run installs it)');
  const argv = strace("-f -e trace=write,exit_group,execve -e signal=none /bin/busybox sh -c 'echo one; /bin/true; echo two; exit 3'");
  const { native } = assertSameAsNative(argv, [], { filter: normal, timeout: 60_000 });
  assert.match(native.stdout, /^(\[pid +\d+\] )?execve\("\/bin\/true", \["\/bin\/true"\], .*\) = 0$/m);
  assert.match(native.stdout, /exit_group\(0\) += \?\n(\[pid +\d+\] )?\+\+\+ exited with 0 \+\+\+$/m);
  assert.match(native.stdout, /^write\(1, "two\\n", 4\) += 4$/m);
  assert.match(native.stdout, /exit_group\(3\) += \?\n\+\+\+ exited with 3 \+\+\+\n$/);
});

test('strace of a shell killed by a signal it sends itself, after one it handles: the same as native', () => {
  assert.ok(hostHas('/usr/bin/strace'), 'strace is not installed (.ci/run installs it)');
  const argv = strace(`-e trace=kill,rt_sigreturn /bin/busybox sh -c 'trap "echo got" USR1; kill -USR1 $$; kill -TERM $$'`);
  const { native } = assertSameAsNative(argv, [], { filter: normal, timeout: 60_000 });
  assert.match(native.stdout, /^--- SIGUSR1 \{si_signo=SIGUSR1, si_code=SI_USER, si_pid=\d+, si_uid=0\} ---$/m);
  assert.match(native.stdout, /^\+\+\+ killed by SIGTERM \+\+\+$/m);
});

test('gdb: a breakpoint (written into read-only code), a backtrace, arguments read, continue, delete: the same session as native', () => {
  assert.ok(hostHas('/usr/bin/gdb'), 'gdb is not installed (.ci/run installs it)');
  const g = buildGuest('gdb_target', ['-g', '-O0']);
  // (gdb mallocs in its vfork child: test/process.test.mjs's vfork_malloc is why that works. Stops print their
  // location, not the source line: the source is where the checkout is, which the guest may not see)
  const argv = ['/usr/bin/gdb', '-batch', '-nx', '-iex', 'set print frame-info location', '-ex', 'break sq', '-ex', 'run', '-ex', 'bt', '-ex', 'print x', '-ex', 'continue',
    '-ex', 'print x', '-ex', 'delete', '-ex', 'continue', g];
  const { native } = assertSameAsNative(argv, [], { filter: (s) => s.replace(/\(process \d+\)/g, '(process N)'), timeout: 120_000 });
  assert.match(native.stdout, /^Breakpoint 1, sq \(x=0\) at .*gdb_target\.c:5$/m);
  assert.match(native.stdout, /^#1 +0x[0-9a-f]+ in main \(\) at .*gdb_target\.c:9$/m);
  assert.match(native.stdout, /^\$2 = 1\n5\n\[Inferior 1 \(process \d+\) exited normally\]\n$/m);
});

