// The guest's own seccomp: strict mode and classic BPF filters, run by umlts's kernel as each syscall enters
// (the host's filter on the stub stays umlts's own). Differential: small guests, and Debian's libseccomp
// compiling filters of its own shape, natively and under umlts on both platforms.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers } from './lib.mjs';

afterEach(() => assertNoLeftovers());

for (const platform of ['systrap', 'ptrace']) {
  test(`seccomp: argument and program checks, every action, precedence, the BPF interpreter, strict mode, fork and exec, no_new_privs, TSYNC, the instruction limit (${platform})`, () => {
    const g = buildGuest('seccomp', ['-lpthread']);
    const { native } = assertSameAsNative([g], ['--platform', platform], { timeout: 120_000 });
    // (what the host said, so that a host without seccomp cannot make this pass by agreeing on nothing)
    assert.match(native.stdout, /^SIGSYS: sig 31 code 1 syscall 110 arch 0xc000003e errno 77, rax is the number: yes, call_addr is rip: yes$/m);
    assert.match(native.stdout, /^kill process: killed by signal 31$/m);
    assert.match(native.stdout, /^the main thread goes on after its thread was killed$/m);
    assert.match(native.stdout, /^strict kill: killed by signal 9$/m);
    assert.match(native.stdout, /^after exec: getuid: -1 EACCES$/m);
    assert.match(native.stdout, /^TSYNC over a thread with its own filter: its tid$/m);
    assert.match(native.stdout, /^JEQ K<0 0,0: filter 4 fails: ENOMEM$/m);
    assert.match(native.stdout, /^A\|0x80000000>>\(X&7\) on 0xffffffff, 0xffffffff: -1 errno 2047$/m);
  });

  test(`seccomp listeners: RECV, SEND, CONTINUE, ADDFD, ID_VALID, poll, a closed listener, interrupted and restarted waits, WAIT_KILLABLE_RECV, POLLHUP (${platform})`, () => {
    const g = buildGuest('seccomp_notify', ['-lpthread']);
    const { native } = assertSameAsNative([g], ['--platform', platform], { timeout: 120_000 });
    assert.match(native.stdout, /^getppid\(1\): 42$/m);
    assert.match(native.stdout, /^getppid\(4\): an fd, reads "hello", close-on-exec 1$/m);
    assert.match(native.stdout, /^getppid\(8\), restarted: 88$/m);
    assert.match(native.stdout, /^getppid\(9\), listener closed: -1 ENOSYS$/m);
    assert.match(native.stdout, /^getppid: 5, the handler had run 1 time\(s\) when it returned$/m);
    assert.match(native.stdout, /^poll after it is reaped: 0x10$/m);
  });

  test(`seccomp fuzzed: random valid and invalid classic programs, stacked and up to the per-path limit, random calls, odd sock_fprogs (${platform})`, () => {
    const g = buildGuest('seccomp_fuzz');
    // a few fixed seeds, 1000 cases each (test/guests/seccomp_fuzz.c SEED CASES ONLY runs one case alone, dumped)
    for (const seed of ['1', '2', '3']) {
      const { native } = assertSameAsNative([g, seed, '1000'], ['--platform', platform], { timeout: 120_000 });
      // (the host said this much, so that a host without seccomp cannot make it pass by agreeing on nothing)
      assert.match(native.stdout, /^  install \d+: 0$/m);
      assert.match(native.stdout, /^  install \d+: -12$/m); // ENOMEM: the per-path limit
      assert.match(native.stdout, /^  SIGSYS sig 31 code 1 syscall 110 arch 0xc000003e errno \d+ call_addr ok rax 0x10000006e$/m);
      assert.match(native.stdout, /^  call \d+ nr \d+: -516$/m);
      assert.match(native.stdout, /^  end: signal 31$/m);
    }
  });

  test(`seccomp through libseccomp: its probes, argument comparisons of every kind, a binary tree, each action (${platform})`, () => {
    const g = buildGuest('seccomp_lib', ['-lseccomp']);
    const { native } = assertSameAsNative([g], ['--platform', platform], { timeout: 120_000 });
    assert.match(native.stdout, /^api level 6$/m);
    assert.match(native.stdout, /^lseek 0x100000000: -1 EOVERFLOW$/m);
    assert.match(native.stdout, /^optimize 2: 0$/m);
    assert.equal(native.stdout.match(/^child: killed by signal 31$/gm)?.length, 2);
  });
}
