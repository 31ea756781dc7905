// The library's run(): a program in a fresh sandbox, its output as Buffers,
// its end as an exit code or a signal; a timeout; errors as typed values.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BUSYBOX, CLEAN_ENV, LIB, assertNoLeftovers, makeScratch, rmScratch, trackUmltsPid, withPlatform } from './lib.mjs';

const { run, Sandbox, ExecError, OptionError, MaxBufferError, UmltsError } = await import(LIB);

// the stubs' host processes are this process's children
trackUmltsPid(process.pid);
let dir;
before(() => { dir = makeScratch('lib-run'); });
after(() => rmScratch(dir));
afterEach(() => assertNoLeftovers());

test('run(): stdout and stderr as Buffers, the exit code', async () => {
  const r = await run(['/bin/sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.ok(Buffer.isBuffer(r.stdout) && Buffer.isBuffer(r.stderr));
  assert.equal(r.stdout.toString(), 'out\n');
  assert.equal(r.stderr.toString(), 'err\n');
  assert.equal(r.exitCode, 3);
  assert.equal(r.signal, null);
  assert.equal(r.timedOut, false);
  assert.ok(r.stats.kernel.syscalls > 0, JSON.stringify(r.stats));
  assert.ok(r.stats.kernel.execs >= 0 && r.stats.mm.faults > 0, JSON.stringify(r.stats));
});

test('run(): a guest killed by a signal reports it', async () => {
  const r = await run([BUSYBOX, 'sh', '-c', 'echo before; kill -SEGV $$; echo after']);
  assert.equal(r.stdout.toString(), 'before\n');
  assert.equal(r.exitCode, null);
  assert.equal(r.signal, 'SIGSEGV');
  const k = await run([BUSYBOX, 'sh', '-c', 'kill -9 $$']);
  assert.deepEqual([k.exitCode, k.signal], [null, 'SIGKILL']);
});

test('run(): input reaches the guest\'s stdin', async () => {
  const r = await run(['/bin/cat'], { input: 'line one\nline two\n' });
  assert.equal(r.stdout.toString(), 'line one\nline two\n');
  const big = Buffer.alloc(300_000, 'x');
  const w = await run([BUSYBOX, 'wc', '-c'], { input: big, maxBuffer: 1 << 20 });
  assert.equal(w.stdout.toString().trim(), '300000');
  const none = await run([BUSYBOX, 'wc', '-c']);
  assert.equal(none.stdout.toString().trim(), '0', 'no input: stdin is empty, not the caller\'s');
});

test('run(): timeout 500 on sleep 30 ends in about half a second, timedOut, nothing left', async () => {
  const t0 = performance.now();
  const r = await run([BUSYBOX, 'sleep', '30'], { timeout: 500 });
  const ms = performance.now() - t0;
  assert.equal(r.timedOut, true);
  assert.equal(r.signal, 'SIGKILL');
  assert.equal(r.exitCode, null);
  // "about half a second": not before the timeout, and nowhere near the 30 s sleep (a loaded machine is slow to start one)
  assert.ok(ms >= 500 && ms < 5000, `took ${ms} ms`);
  assertNoLeftovers(0);
});

test('run(): the timeout kills the whole sandbox, background processes too', async () => {
  const r = await run([BUSYBOX, 'sh', '-c', 'sleep 30 & sleep 30 & echo started; wait'], { timeout: 2000 });
  assert.equal(r.timedOut, true);
  assert.equal(r.stdout.toString(), 'started\n');
  assertNoLeftovers(0);
});

test('run(): maxBuffer stops a flood with a MaxBufferError carrying what came', async () => {
  await assert.rejects(run([BUSYBOX, 'yes'], { maxBuffer: 10_000 }), (e) => {
    assert.ok(e instanceof MaxBufferError && e instanceof UmltsError, String(e));
    assert.equal(e.code, 'ENOBUFS');
    assert.equal(e.stdout.length, 10_000);
    assert.match(e.stdout.toString(), /^(y\n)+$/);
    return true;
  });
});

test('errors as values: a missing program rejects with ExecError ENOENT (exit code 127)', async () => {
  for (const argv of [['/nonexistent/program'], ['no-such-command-anywhere']]) {
    await assert.rejects(run(argv), (e) => {
      assert.ok(e instanceof ExecError, String(e));
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.errno, 2);
      assert.equal(e.exitCode, 127);
      assert.match(e.message, /nonexistent|not found/);
      return true;
    });
  }
});

test('errors as values: a bad ELF rejects with ExecError (126)', async () => {
  const bad = path.join(dir, 'bad-elf');
  const b = Buffer.from(fs.readFileSync(BUSYBOX).subarray(0, 64 * 1024));
  b[5] = 2; // ELFDATA2MSB: big-endian
  fs.writeFileSync(bad, b, { mode: 0o755 });
  await assert.rejects(run([bad]), (e) => e instanceof ExecError && e.exitCode === 126 && e.code === 'ENOEXEC');
  const notExec = path.join(dir, 'not-exec');
  fs.writeFileSync(notExec, '#!/bin/sh\necho hi\n', { mode: 0o644 });
  await assert.rejects(run([notExec]), (e) => e instanceof ExecError && e.code === 'EACCES' && e.exitCode === 126);
});

test('errors as values: bad options reject with OptionError', async () => {
  const cases = [
    { cpus: 0 }, { memory: '12q' }, { memory: 1024 }, { net: 'bridge' }, { mounts: ['nocolon'] }, { bogus: 1 },
    { root: path.join(dir, 'no-such-root') }, { user: 'nosuchuser' }, { mounts: [`${path.join(dir, 'nope')}:/x`] },
    { publish: ['80'] }, { cwd: '/no-such-dir' }, { files: { relative: 'x' } }, { hooks: path.join(dir, 'no-such-hooks.mjs') },
  ];
  for (const o of cases) {
    await assert.rejects(run([BUSYBOX, 'true'], o), (e) => {
      assert.ok(e instanceof UmltsError, `${JSON.stringify(o)}: ${e}`);
      // a missing cwd is the program's trouble (ENOENT), the rest are the options'
      if (o.cwd) assert.ok(e instanceof ExecError && e.code === 'ENOENT', `${JSON.stringify(o)}: ${e}`);
      else assert.ok(e instanceof OptionError && e.exitCode === 2, `${JSON.stringify(o)}: ${e}`);
      return true;
    }, JSON.stringify(o));
  }
  // a bad argument to the constructor and to spawn throws at once
  assert.throws(() => new Sandbox({ cpus: -1 }), OptionError);
  const sb = new Sandbox();
  try {
    assert.throws(() => sb.spawn([]), OptionError);
    assert.throws(() => sb.spawn(['x'], { stdio: 'tty' }), OptionError);
  } finally {
    await sb.close();
  }
});

test('errors as values: nothing reaches the caller\'s stdout or stderr, no exit status changes', () => {
  const script = `
    const { run } = await import(${JSON.stringify(LIB)});
    const out = [];
    for (const argv of [['/nonexistent'], [${JSON.stringify(BUSYBOX)}, 'sh', '-c', 'echo to-pipe; echo to-pipe-err >&2; exit 9']]) {
      try { const r = await run(argv); out.push('status ' + r.exitCode); } catch (e) { out.push(e.name + ' ' + e.code); }
    }
    try { await run(['/bin/true'], { cpus: 1000 }); } catch (e) { out.push(e.name); }
    try { await run([${JSON.stringify(BUSYBOX)}, 'true'], { root: '/no-such-root' }); } catch (e) { out.push(e.name); }
    (await import('node:fs')).writeFileSync(3, out.join(','));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8', env: withPlatform(CLEAN_ENV), timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  assert.equal(r.stdout, '', 'nothing on the caller\'s stdout');
  assert.equal(r.stderr, '', 'nothing on the caller\'s stderr');
  assert.equal(r.status, 0);
  assert.equal(r.output[3], 'ExecError ENOENT,status 9,OptionError,OptionError');
});

test('capabilities: a list is a root\'s bounding, permitted and effective sets (none for others); the five sets as OCI gives them; bad names reject', async () => {
  const caps = async (o) => (await run([BUSYBOX, 'grep', '-E', 'Cap(Prm|Eff|Bnd|Amb)', '/proc/self/status'], o)).stdout.toString();
  assert.equal(await caps({ capabilities: ['KILL', 'CAP_SETUID'] }),
    'CapPrm:\t00000000000000a0\nCapEff:\t00000000000000a0\nCapBnd:\t00000000000000a0\nCapAmb:\t0000000000000000\n');
  assert.equal(await caps({ capabilities: ['KILL'], user: 1000 }),
    'CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000020\nCapAmb:\t0000000000000000\n');
  // a non-root user with ambient capabilities keeps them across exec
  assert.equal(await caps({ user: 1000, capabilities: { bounding: ['NET_BIND_SERVICE'], permitted: ['NET_BIND_SERVICE'], inheritable: ['NET_BIND_SERVICE'], ambient: ['NET_BIND_SERVICE'] } }),
    'CapPrm:\t0000000000000400\nCapEff:\t0000000000000400\nCapBnd:\t0000000000000400\nCapAmb:\t0000000000000400\n');
  await assert.rejects(run([BUSYBOX, 'true'], { capabilities: ['CAP_FLY'] }), (e) => e instanceof OptionError && /'CAP_FLY' is not a capability/.test(e.message));
  await assert.rejects(run([BUSYBOX, 'true'], { capabilities: { bounds: [] } }), (e) => e instanceof OptionError);
});

test('seccomp: a classic BPF program every guest process starts under; a program seccomp(2) would refuse, or not whole instructions, reject', async () => {
  // struct sock_filter { u16 code; u8 jt, jf; u32 k } little-endian
  const insn = (code, jt, jf, k) => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(code, 0); b[2] = jt; b[3] = jf; b.writeUInt32LE(k >>> 0, 4);
    return b;
  };
  // mkdir (83) and mkdirat (258): EACCES; everything else allowed
  const program = new Uint8Array(Buffer.concat([
    insn(0x20, 0, 0, 0), // ld [nr]
    insn(0x15, 2, 0, 83), // jeq 83 -> deny
    insn(0x15, 1, 0, 258), // jeq 258 -> deny
    insn(0x06, 0, 0, 0x7fff0000), // ret ALLOW
    insn(0x06, 0, 0, 0x00050000 | 13), // ret ERRNO(EACCES)
  ]));
  const r = await run([BUSYBOX, 'sh', '-c', 'grep Seccomp: /proc/self/status; mkdir /tmp/x; echo $?'], { seccomp: { program } });
  assert.equal(r.stdout.toString(), 'Seccomp:\t2\n1\n');
  assert.match(r.stderr.toString(), /Permission denied/);
  // ld with an immediate (BPF_LD|BPF_IMM) is not a seccomp instruction: the spawn fails
  await assert.rejects(run([BUSYBOX, 'true'], { seccomp: { program: new Uint8Array(insn(0x00, 0, 0, 0)) } }), (e) => e instanceof UmltsError && /seccomp/.test(e.message));
  await assert.rejects(run([BUSYBOX, 'true'], { seccomp: { program: new Uint8Array(7) } }), (e) => e instanceof OptionError);
});
