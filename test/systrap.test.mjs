// The systrap platform (issue 14): what is particular to it. The whole
// suite runs on it with UMLTS_PLATFORM=systrap; hostile_systrap and
// redteam_systrap run the security tests on it in every run.
//  - a guest that scribbles on its host process's stub areas (its threads'
//    message pages and signal stacks) and on the shared doorbell harms
//    only itself: another guest process's syscalls keep their results, the
//    kernel goes on;
//  - a SIGKILL of umlts leaves no host process behind (no ptrace
//    EXITKILL for the guest threads: the stubs die with the kernel's thread
//    through PR_SET_PDEATHSIG and their traced mapper).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, CLEAN_ENV, BUSYBOX, buildGuest, runUmlts, trackUmltsPid, assertNoLeftovers, assertSameAsNative, stubProcesses } from './lib.mjs';

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
