// Syscall hooks (a module loaded in the kernel's worker: deny, emulate, go
// on) and the 'syscall' event stream on the caller's side.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUSYBOX, LIB, assertNoLeftovers, buildGuest, makeScratch, rmScratch, trackUmltsPid } from './lib.mjs';

const { run, Sandbox } = await import(LIB);

trackUmltsPid(process.pid);
let dir;
before(() => { dir = makeScratch('lib-hooks'); });
after(() => rmScratch(dir));
afterEach(() => assertNoLeftovers());

/** A hook module in the scratch folder; returns its URL. */
function hookModule(name, source) {
  const f = path.join(dir, name);
  fs.writeFileSync(f, source);
  return pathToFileURL(f);
}

test('a hook denying openat of /etc/passwd makes cat print Permission denied', async () => {
  const hooks = hookModule('deny.mjs', `
    export function onSyscall(call) {
      if (call.name === 'openat' && call.path === '/etc/passwd') return { errno: 'EACCES' };
    }
  `);
  const r = await run(['cat', '/etc/passwd'], { hooks });
  assert.equal(r.stdout.toString(), '');
  assert.match(r.stderr.toString(), /^cat: \/etc\/passwd: Permission denied$/m);
  assert.equal(r.exitCode, 1);
  // everything else goes on
  const ok = await run(['cat', '/etc/hostname'], { hooks });
  assert.equal(ok.stdout.toString(), fs.readFileSync('/etc/hostname', 'utf8'));
});

test('the guest\'s own seccomp filter answers first: a call it refuses never reaches the hook', async () => {
  const g = buildGuest('seccomp', ['-lpthread']);
  const seen = path.join(dir, 'seen');
  const hooks = hookModule('seen.mjs', `
    import fs from 'node:fs';
    export function onSyscall(call) {
      if (call.name === 'getppid' || call.name === 'getuid') fs.appendFileSync(${JSON.stringify(seen)}, call.name + '\\n');
    }
  `);
  const r = await run([g, 'hook'], { hooks });
  assert.match(r.stdout.toString(), /^install ERRNO\(EPERM\) on getppid: 0\ngetppid: -1 EPERM\ngetuid: \d+\n$/);
  assert.equal(fs.readFileSync(seen, 'utf8'), 'getuid\n');
});

test('a hook emulating getuid makes id -u print 1234', async () => {
  const hooks = hookModule('uid.mjs', `
    export function onSyscall(call) {
      if (call.name === 'getuid' || call.name === 'geteuid') return { value: 1234 };
    }
  `);
  const r = await run(['id', '-u'], { hooks });
  assert.equal(r.stdout.toString(), '1234\n');
  assert.equal(r.exitCode, 0);
});

test('a hook sees who calls what: pid, tid, comm, nr, name, args, path', async () => {
  const hooks = hookModule('record.mjs', `
    import fs from 'node:fs';
    export function onSyscall(call) {
      if (call.name === 'openat' && call.path === '/etc/hostname') fs.writeFileSync(${JSON.stringify(path.join(dir, 'seen.json'))}, JSON.stringify(call));
      if (call.name === 'kill' && call.args[1] === 0) return { value: 0 }; // a no-op kill: emulated
    }
  `);
  const r = await run([BUSYBOX, 'sh', '-c', 'cat /etc/hostname >/dev/null; kill -0 999; echo $?'], { hooks });
  assert.equal(r.stdout.toString(), '0\n', r.stderr.toString());
  const seen = JSON.parse(fs.readFileSync(path.join(dir, 'seen.json'), 'utf8'));
  assert.equal(seen.name, 'openat');
  assert.equal(seen.nr, 257);
  assert.equal(seen.comm, 'cat');
  // the registers as the guest left them: an int argument's upper half is not the kernel's to sign-extend
  assert.equal(seen.args[0] | 0, -100, 'AT_FDCWD');
  assert.equal(seen.path, '/etc/hostname');
  assert.ok(seen.pid > 1 && seen.tid === seen.pid, JSON.stringify(seen));
});

test('a hook that throws or answers nonsense fails closed: the process gets SIGSYS, the reason is logged', async () => {
  const hooks = hookModule('broken.mjs', `
    export function onSyscall(call) {
      if (call.name === 'mkdir') throw new Error('policy bug');
      if (call.name === 'rmdir') return { errno: 'ENOTANERRNO' };
    }
  `);
  const sb = new Sandbox({ hooks });
  const log = [];
  sb.on('log', (l) => log.push(l));
  try {
    const r = await sb.run([BUSYBOX, 'mkdir', '/tmp/x']);
    assert.deepEqual([r.exitCode, r.signal], [null, 'SIGSYS']);
    const r2 = await sb.run([BUSYBOX, 'rmdir', '/tmp']);
    assert.equal(r2.signal, 'SIGSYS');
    assert.equal((await sb.run([BUSYBOX, 'true'])).exitCode, 0);
  } finally {
    await sb.close();
  }
  assert.match(log.join('\n'), /syscall hook failed on mkdir of pid \d+: policy bug/);
  assert.match(log.join('\n'), /syscall hook failed on rmdir of pid \d+: bad errno ENOTANERRNO/);
});

test('a hooks module without onSyscall is a bad option', async () => {
  const hooks = hookModule('empty.mjs', 'export const nothing = 1;\n');
  await assert.rejects(run([BUSYBOX, 'true'], { hooks }), { name: 'OptionError', message: /exports no onSyscall/ });
});

test('the syscall event stream: strace-like objects on the caller\'s thread', async () => {
  const sb = new Sandbox({ strace: true });
  const events = [];
  sb.on('syscall', (e) => events.push(e));
  try {
    const r = await sb.run([BUSYBOX, 'sh', '-c', 'echo hi; cat /nonexistent; echo end']);
    assert.equal(r.stdout.toString(), 'hi\nend\n');
  } finally {
    await sb.close();
  }
  const write = events.find((e) => e.name === 'write' && e.args[0] === 1);
  assert.ok(write, events.map((e) => e.line).join('\n'));
  assert.equal(write.ret, 3);
  assert.equal(write.line, 'write(1, "hi\\n", 3) = 3');
  assert.equal(write.nr, 1);
  const open = events.find((e) => e.name === 'openat' && e.path === '/nonexistent');
  assert.ok(open);
  assert.equal(open.ret, -2);
  assert.equal(open.errno, 'ENOENT');
  assert.match(open.line, /^(\[pid \d+\] )?openat\(AT_FDCWD, "\/nonexistent", O_RDONLY[^)]*\) = -1 ENOENT/);
  // every process of the sandbox is traced: the shell and the cat it forked
  assert.equal(open.comm, 'cat');
  assert.ok(events.some((e) => e.pid !== open.pid && e.name === 'wait4'), [...new Set(events.map((e) => `${e.pid} ${e.comm}`))].join(', '));
});

test('a syscall listener added to a running sandbox turns tracing on; removing it turns it off', async () => {
  const sb = new Sandbox();
  try {
    await sb.run([BUSYBOX, 'true']);
    const seen = [];
    const f = (e) => seen.push(e.name);
    sb.on('syscall', f);
    const r = await sb.run([BUSYBOX, 'sh', '-c', 'echo traced; /bin/true']);
    assert.equal(r.stdout.toString(), 'traced\n');
    assert.ok(seen.includes('write') && seen.includes('openat'), seen.join(' '));
    sb.off('syscall', f);
    const n = seen.length;
    await sb.run([BUSYBOX, 'true']);
    assert.equal(seen.length, n);
  } finally {
    await sb.close();
  }
});
