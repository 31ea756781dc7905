// umlts-oci on a bundle made by `umlts-oci spec`, driven as an engine drives
// runc: create / state / start / state / delete as the runtime spec says,
// exec into a running container, run, hooks, the console socket, the JSON
// log; and the failures (kill of a created container, delete of a running
// one without --force, a missing bundle, bad JSON, unknown flags), each one
// line and a non-zero exit. No host process may outlive a container.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeScratch, rmScratch, assertNoLeftovers, assertOneLineError, trackUmltsPid, lines } from './lib.mjs';
import { OCI, makeRootfs } from './oci_lib.mjs';

let dir, bundle, state;
before(() => {
  dir = makeScratch('oci');
  bundle = path.join(dir, 'bundle');
  state = path.join(dir, 'state');
  fs.mkdirSync(bundle);
  makeRootfs(path.join(bundle, 'rootfs'));
});
after(() => {
  spawnSync(OCI, ['--root', state, 'list', '-q'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)
    .forEach((id) => spawnSync(OCI, ['--root', state, 'delete', '--force', id]));
  rmScratch(dir);
});
afterEach(() => assertNoLeftovers(3000));

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Run umlts-oci with --root state. create leaves the container process
 * holding its stdout and stderr, so create never gets pipes (spawnSync would
 * wait for the container's end): its stdout goes to opts.out (or a scratch
 * file), its stderr to a file read back as soon as it exits.
 */
function oci(args, opts = {}) {
  const files = args[0] === 'create' || opts.out;
  const out = opts.out ?? path.join(dir, 'create.out');
  const errFile = path.join(dir, `stderr.${process.hrtime.bigint()}`);
  const outFd = files ? fs.openSync(out, 'a') : 'pipe';
  const errFd = files ? fs.openSync(errFile, 'w') : 'pipe';
  const r = spawnSync(OCI, ['--root', state, ...args], {
    encoding: 'utf8', timeout: 60_000, input: opts.input ?? '', cwd: opts.cwd ?? dir,
    stdio: ['pipe', outFd, errFd],
  });
  let stderr = r.stderr;
  if (files) {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    stderr = fs.readFileSync(errFile, 'utf8');
  }
  const code = r.status ?? 128;
  return { ...r, stderr, code, describe: () => `umlts-oci ${args.join(' ')}: status ${r.status} signal ${r.signal}\n${stderr ?? ''}` };
}

/** A bundle's config.json, made by `spec` and then changed by edit(config). */
function makeBundle(name, edit) {
  const b = path.join(dir, name);
  fs.mkdirSync(b, { recursive: true });
  if (!fs.existsSync(path.join(b, 'rootfs'))) fs.symlinkSync(path.join(bundle, 'rootfs'), path.join(b, 'rootfs'));
  const r = oci(['spec', '--bundle', b]);
  assert.equal(r.code, 0, r.describe());
  const c = JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8'));
  c.process.terminal = false;
  edit(c);
  fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(c));
  return b;
}

function stateOf(id) {
  const r = oci(['state', id]);
  assert.equal(r.code, 0, r.describe());
  return JSON.parse(r.stdout);
}

function waitStatus(id, want, ms = 20_000) {
  const end = Date.now() + ms;
  let s;
  while (Date.now() < end) {
    s = stateOf(id);
    if (s.status === want) return s;
    sleep(50);
  }
  assert.fail(`container ${id} never became ${want}: ${JSON.stringify(s)}`);
}

test('spec writes a runtime-spec config.json, and will not overwrite one', () => {
  const b = path.join(dir, 'spec-only');
  fs.mkdirSync(b);
  const r = oci(['spec'], { cwd: b });
  assert.equal(r.code, 0, r.describe());
  const c = JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8'));
  assert.equal(c.root.path, 'rootfs');
  assert.deepEqual(c.process.args, ['sh']);
  assertOneLineError(oci(['spec'], { cwd: b }));
});

test('create, state, start, state, delete behave as the runtime spec says', () => {
  const b = makeBundle('life', (c) => {
    c.process.args = ['sh', '-c', 'echo started as $(id -u) in $(pwd) on $(hostname); exec sleep 1000'];
    c.process.cwd = '/etc';
    c.hostname = 'lifehost';
    c.annotations = { 'org.example.note': 'kept' };
  });
  const out = path.join(dir, 'life.out');
  const pidFile = path.join(dir, 'life.pid');
  const r = oci(['create', '--bundle', b, '--pid-file', pidFile, 'life'], { out });
  assert.equal(r.code, 0, r.describe());
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  trackUmltsPid(pid);
  let s = stateOf('life');
  assert.equal(s.status, 'created');
  assert.equal(s.id, 'life');
  assert.equal(s.pid, pid);
  assert.equal(s.bundle, b);
  assert.ok(s.ociVersion);
  assert.deepEqual(s.annotations, { 'org.example.note': 'kept' });
  assert.ok(fs.existsSync(`/proc/${pid}`), 'the container process runs');
  assert.equal(fs.readFileSync(out, 'utf8'), '', 'nothing ran before start');
  // kill of a created container: one line, non-zero, and it stays created
  assertOneLineError(oci(['kill', 'life', 'TERM']));
  assert.equal(stateOf('life').status, 'created');

  const st = oci(['start', 'life']);
  assert.equal(st.code, 0, st.describe());
  s = waitStatus('life', 'running');
  assert.equal(s.pid, pid);
  // a second start fails
  assertOneLineError(oci(['start', 'life']));
  // delete of a running container without --force fails, and it keeps running
  assertOneLineError(oci(['delete', 'life']));
  assert.equal(stateOf('life').status, 'running');
  assert.equal(oci(['kill', 'life', 'KILL']).code, 0);
  waitStatus('life', 'stopped');
  assert.equal(fs.readFileSync(out, 'utf8'), 'started as 0 in /etc on lifehost\n');
  const d = oci(['delete', 'life']);
  assert.equal(d.code, 0, d.describe());
  assert.ok(!fs.existsSync(path.join(state, 'life')), 'delete removes the state');
  assertOneLineError(oci(['state', 'life']));
});

test('kill delivers the signal to the guest init, whose handler runs', () => {
  const b = makeBundle('killme', (c) => {
    c.process.args = ['sh', '-c', 'trap "echo got TERM; exit 9" TERM; echo ready; while :; do sleep 0.1; done'];
  });
  const out = path.join(dir, 'killme.out');
  assert.equal(oci(['create', '--bundle', b, 'killme'], { out }).code, 0);
  trackUmltsPid(stateOf('killme').pid);
  assert.equal(oci(['start', 'killme']).code, 0);
  const end = Date.now() + 20_000;
  while (!fs.readFileSync(out, 'utf8').includes('ready') && Date.now() < end) sleep(50);
  const k = oci(['kill', 'killme', 'SIGTERM']);
  assert.equal(k.code, 0, k.describe());
  waitStatus('killme', 'stopped');
  assert.match(fs.readFileSync(out, 'utf8'), /got TERM/);
  assertOneLineError(oci(['kill', 'killme', 'KILL'])); // stopped: nothing to signal
  assert.equal(oci(['delete', 'killme']).code, 0);
});

test('delete --force ends a running container and every host process of it', () => {
  const b = makeBundle('forced', (c) => {
    c.process.args = ['sh', '-c', 'sleep 100 & sleep 100 & wait'];
  });
  assert.equal(oci(['create', '--bundle', b, 'forced']).code, 0);
  const { pid } = stateOf('forced');
  trackUmltsPid(pid);
  assert.equal(oci(['start', 'forced']).code, 0);
  sleep(500);
  const d = oci(['delete', '--force', 'forced']);
  assert.equal(d.code, 0, d.describe());
  assert.ok(!fs.existsSync(path.join(state, 'forced')));
  assertNoLeftovers(3000, new Set([pid]));
});

test('run: the program on the caller\'s stdio, its exit status, and the state gone after', () => {
  const b = makeBundle('runb', (c) => {
    c.process.args = ['/usr/bin/env'];
    c.process.env = ['PATH=/bin', 'GREETING=hello'];
  });
  const r = oci(['run', '--bundle', b, 'runc1']);
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, 'PATH=/bin\nHOME=/root\nGREETING=hello\n');
  const b2 = makeBundle('runb2', (c) => {
    c.process.args = ['sh', '-c', 'echo out; echo err >&2; exit 7'];
  });
  const r2 = oci(['run', '--bundle', b2, 'runc2']);
  assert.equal(r2.code, 7, r2.describe());
  assert.equal(r2.stdout, 'out\n');
  assert.equal(r2.stderr, 'err\n');
  assert.ok(!fs.existsSync(path.join(state, 'runc2')));
  // a cwd the writable root lacks is made, as runc makes it
  const b3 = makeBundle('runb3', (c) => {
    c.process.args = ['pwd'];
    c.process.cwd = '/made/by/runtime';
    c.root.readonly = false;
  });
  const r3 = oci(['run', '--bundle', b3, 'runc3']);
  assert.equal(r3.stdout, '/made/by/runtime\n', r3.describe());
  assert.ok(fs.statSync(path.join(bundle, 'rootfs', 'made', 'by', 'runtime')).isDirectory());
});

test('process.capabilities are the guest\'s: each set as given, and the kernel checks them', () => {
  const b = makeBundle('capb', (c) => {
    c.process.args = ['sh', '-c', 'grep Cap /proc/self/status; chown 1:1 /tmp; echo chown $?; touch /tmp/f; chown 1:1 /tmp/f; echo chown-own $?'];
    c.process.capabilities = {
      bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_TIME', 'CAP_NOT_THERE'],
      effective: ['CAP_KILL'],
      permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      inheritable: ['CAP_NET_BIND_SERVICE'],
      ambient: ['CAP_NET_BIND_SERVICE'],
    };
  });
  const r = oci(['run', '--bundle', b, 'capc1']);
  assert.equal(r.code, 0, r.describe());
  // (CAP_KILL 5, CAP_NET_BIND_SERVICE 10, CAP_SYS_TIME 25; the unknown name is left out, as runc leaves it.) grep
  // is an exec by uid 0, whose permitted set would be the bounding and inheritable ones; but with runc spec's
  // noNewPrivileges the exec gains nothing it lacked (CAP_SYS_TIME was not permitted), as under runc
  assert.equal(r.stdout, 'CapInh:\t0000000000000400\nCapPrm:\t0000000000000420\nCapEff:\t0000000000000420\n' +
    'CapBnd:\t0000000002000420\nCapAmb:\t0000000000000400\nchown 1\nchown-own 1\n');
  // without no_new_privs the exec raises the bounding set, as on Linux
  const g = makeBundle('capg', (c) => {
    c.process.args = ['grep', 'CapPrm', '/proc/self/status'];
    c.process.capabilities = { bounding: ['CAP_KILL', 'CAP_SYS_TIME'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
    c.process.noNewPrivileges = false;
  });
  const rg = oci(['run', '--bundle', g, 'capc4']);
  assert.equal(rg.stdout, 'CapPrm:\t0000000002000020\n', rg.describe());
  // the container's init too: the runtime's execve of it gives a root its bounding set (runc's init the same), cut
  // down to what it was permitted with noNewPrivileges (the spec's default), whole without
  const runInit = (name, nnp) => {
    const i = makeBundle(name, (c) => {
      c.process.args = ['/bin/busybox', 'sh', '-c', 'read -r l < /proc/self/status; while read -r k v; do case $k in CapEff:) echo $k $v;; esac; done < /proc/self/status'];
      c.process.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
      c.process.noNewPrivileges = nnp;
    });
    return oci(['run', '--bundle', i, `${name}c`]);
  };
  const ri = runInit('capi', false);
  assert.equal(ri.stdout, 'CapEff: 0000000000000021\n', ri.describe());
  const rn = runInit('capn', true);
  assert.equal(rn.stdout, 'CapEff: 0000000000000020\n', rn.describe());
  // runc spec's defaults: AUDIT_WRITE, KILL and NET_BIND_SERVICE
  const d = makeBundle('capd', (c) => {
    c.process.args = ['grep', 'CapEff', '/proc/self/status'];
  });
  const rd = oci(['run', '--bundle', d, 'capc2']);
  assert.equal(rd.stdout, 'CapEff:\t0000000020000420\n', rd.describe());
});

test('process.noNewPrivileges sets no_new_privs for the container (runc spec\'s default sets it)', () => {
  const on = makeBundle('nnp1', (c) => {
    c.process.args = ['grep', 'NoNewPrivs', '/proc/self/status'];
  });
  const r = oci(['run', '--bundle', on, 'nnpc1']);
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, 'NoNewPrivs:\t1\n', r.describe());
  const off = makeBundle('nnp2', (c) => {
    c.process.args = ['grep', 'NoNewPrivs', '/proc/self/status'];
    c.process.noNewPrivileges = false;
  });
  const r2 = oci(['run', '--bundle', off, 'nnpc2']);
  assert.equal(r2.stdout, 'NoNewPrivs:\t0\n', r2.describe());
});

test('linux.seccomp: the profile filters the container\'s syscalls (names, EQ, MASKED_EQ and GT conditions, errnoRet)', () => {
  const b = makeBundle('scmp', (c) => {
    c.process.args = ['sh', '-c', [
      'mkdir /tmp/d; echo mkdir $?',
      'touch /tmp/f; chmod 755 /tmp/f; echo chmod-755 $?; chmod 4755 /tmp/f; echo chmod-4755 $?',
      'renice -n 2 -p $$ >/dev/null; echo renice-2 $?; renice -n 3 -p $$ >/dev/null; echo renice-5 $?',
      'grep Seccomp: /proc/self/status',
    ].join('; ')];
    c.process.noNewPrivileges = false;
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [
        { names: ['mkdir', 'mkdirat', 'no_such_call'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        // no set-id bits: fchmodat's mode & 06000 must be 0 (busybox chmod calls fchmodat(AT_FDCWD, path, mode))
        { names: ['fchmodat', 'chmod'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: 0o6000, valueTwo: 0o4000, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['chmod'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0o6000, valueTwo: 0o4000, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['setpriority'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 2, value: 3, op: 'SCMP_CMP_GT' }] },
      ],
    };
  });
  const r = oci(['run', '--bundle', b, 'scmpc']);
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, 'mkdir 1\nchmod-755 0\nchmod-4755 1\nrenice-2 0\nrenice-5 1\nSeccomp:\t2\n', r.describe());
  assert.match(r.stderr, /mkdir: can't create directory '\/tmp\/d': Permission denied/, r.describe());
  // an action umlts cannot take is refused at create, in one line
  const n = makeBundle('scmpn', (c) => {
    c.process.args = ['true'];
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/run/x.sock' };
  });
  const rn = oci(['run', '--bundle', n, 'scmpnc']);
  assert.notEqual(rn.code, 0, rn.describe());
  assert.match(rn.stderr, /linux\.seccomp\.defaultAction: action "SCMP_ACT_NOTIFY" is not supported/, rn.describe());
});

test('exec runs a second process in the same kernel: same files, same pids, its own stdio and status', () => {
  const b = makeBundle('execb', (c) => {
    c.process.args = ['sh', '-c', 'echo shared > /tmp/mark; exec sleep 100'];
  });
  assert.equal(oci(['create', '--bundle', b, 'ex']).code, 0);
  trackUmltsPid(stateOf('ex').pid);
  assert.equal(oci(['start', 'ex']).code, 0);
  let r;
  const end = Date.now() + 20_000;
  do {
    r = oci(['exec', 'ex', 'cat', '/tmp/mark']);
  } while (r.stdout !== 'shared\n' && Date.now() < end && (sleep(100), true));
  assert.equal(r.stdout, 'shared\n', r.describe());
  assert.equal(r.code, 0);
  // init writes the mark before it execs sleep: wait for the exec too
  let ps;
  do {
    ps = oci(['exec', 'ex', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; exit 4']);
  } while (ps.stdout !== 'sleep 100 \n' && Date.now() < end + 20_000 && (sleep(100), true));
  assert.equal(ps.code, 4, ps.describe());
  assert.equal(ps.stdout, 'sleep 100 \n');
  const inp = oci(['exec', '--env', 'X=y', 'ex', 'sh', '-c', 'read a; echo "$a $X"'], { input: 'typed\n' });
  assert.equal(inp.stdout, 'typed y\n', inp.describe());
  const proc = path.join(dir, 'proc.json');
  fs.writeFileSync(proc, JSON.stringify({ args: ['sh', '-c', 'pwd; echo $Z'], env: ['Z=from-process-file'], cwd: '/etc' }));
  const pf = oci(['exec', '--process', proc, 'ex']);
  assert.equal(pf.stdout, '/etc\nfrom-process-file\n', pf.describe());
  assertOneLineError(oci(['exec', 'ex', '/no/such/program']));
  assert.equal(oci(['delete', '--force', 'ex']).code, 0);
});

test('hooks run on the host with the state on stdin: prestart and createRuntime at create, poststart at start, poststop at delete', () => {
  const logf = path.join(dir, 'hooks.log');
  const hook = (name) => ({ path: '/bin/sh', args: ['sh', '-c', `read s; echo "${name} $s" >> ${logf}`] });
  const b = makeBundle('hooked', (c) => {
    c.process.args = ['true'];
    c.hooks = { prestart: [hook('prestart')], createRuntime: [hook('createRuntime')], poststart: [hook('poststart')], poststop: [hook('poststop')] };
  });
  assert.equal(oci(['create', '--bundle', b, 'hooked']).code, 0);
  trackUmltsPid(stateOf('hooked').pid);
  assert.deepEqual(lines(fs.readFileSync(logf, 'utf8')).map((l) => l.split(' ')[0]), ['prestart', 'createRuntime']);
  assert.equal(oci(['start', 'hooked']).code, 0);
  waitStatus('hooked', 'stopped');
  assert.equal(oci(['delete', 'hooked']).code, 0);
  const got = lines(fs.readFileSync(logf, 'utf8'));
  assert.deepEqual(got.map((l) => l.split(' ')[0]), ['prestart', 'createRuntime', 'poststart', 'poststop']);
  const st = JSON.parse(got[0].slice(got[0].indexOf(' ') + 1));
  assert.equal(st.id, 'hooked');
  assert.equal(st.status, 'created');
  assert.ok(st.pid > 0);
  // a failing prestart hook fails create, and leaves nothing
  const bad = makeBundle('badhook', (c) => {
    c.hooks = { prestart: [{ path: '/bin/false' }] };
  });
  assertOneLineError(oci(['create', '--bundle', bad, 'badhook']));
  assert.ok(!fs.existsSync(path.join(state, 'badhook')));
});

test('process.terminal: the pty master goes to the console socket (SCM_RIGHTS), the guest gets a tty', () => {
  const b = makeBundle('ttyb', (c) => {
    c.process.terminal = true;
    c.process.args = ['sh', '-c', '[ -t 0 ] && [ -t 1 ] && echo tty-yes; tty'];
  });
  const sock = path.join(dir, 'console.sock');
  // the engine's side of runc's console socket, in Python (socket.recv_fds): take the master, read until the guest ends
  const py = `
import socket, os, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)
print('listening', flush=True)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 4096, 1)
print('name', msg.decode(), flush=True)
out = b''
while True:
    try:
        d = os.read(fds[0], 4096)
    except OSError:
        break
    if not d:
        break
    out += d
print('output', out.decode().replace('\\r', ''), flush=True)
`;
  const server = spawn('python3', ['-c', py, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  server.stdout.on('data', (d) => { text += d; });
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (!text.includes('listening')) return;
      clearInterval(poll);
      try {
        const r = oci(['create', '--bundle', b, '--console-socket', sock, 'ttyc']);
        assert.equal(r.code, 0, r.describe());
        trackUmltsPid(stateOf('ttyc').pid);
        assert.equal(oci(['start', 'ttyc']).code, 0);
        waitStatus('ttyc', 'stopped');
      } catch (e) {
        server.kill();
        reject(e);
        return;
      }
      server.on('exit', () => {
        try {
          assert.match(text, /^name \/dev\/pts\/\d+$/m);
          assert.match(text, /tty-yes\n\/dev\/pts\/\d+/);
          assert.equal(oci(['delete', 'ttyc']).code, 0);
          resolve();
        } catch (e) {
          reject(e);
        }
      });
    }, 50);
  });
});

test('a terminal without --console-socket fails at create with one line', () => {
  const b = makeBundle('ttynosock', (c) => {
    c.process.terminal = true;
  });
  assertOneLineError(oci(['create', '--bundle', b, 'ttynosock']));
  assert.ok(!fs.existsSync(path.join(state, 'ttynosock')));
});

test('bad input: a missing bundle, bad JSON, no process, a missing program, unknown flags and commands: one line, non-zero', () => {
  assertOneLineError(oci(['create', '--bundle', path.join(dir, 'no-such-bundle'), 'x1']));
  const badJson = path.join(dir, 'badjson');
  fs.mkdirSync(badJson);
  fs.writeFileSync(path.join(badJson, 'config.json'), '{"process": ');
  assertOneLineError(oci(['create', '--bundle', badJson, 'x2']));
  const noProc = makeBundle('noproc', (c) => {
    delete c.process;
  });
  assertOneLineError(oci(['create', '--bundle', noProc, 'x3']));
  const noProg = makeBundle('noprog', (c) => {
    c.process.args = ['/bin/no-such-program'];
  });
  assertOneLineError(oci(['create', '--bundle', noProg, 'x4']));
  assertOneLineError(oci(['create', '--bogus', '--bundle', noProg, 'x5']));
  assertOneLineError(oci(['frobnicate']));
  assertOneLineError(oci(['state', 'no-such-container']));
  assertOneLineError(oci(['create', '--bundle', noProg, '../evil']));
  for (const id of ['x1', 'x2', 'x3', 'x4', 'x5']) assert.ok(!fs.existsSync(path.join(state, id)), `${id} left state behind`);
});

test('--log FILE --log-format json: errors as runc-style JSON lines', () => {
  const log = path.join(dir, 'log.json');
  const r = spawnSync(OCI, ['--root', state, '--log', log, '--log-format', 'json', 'start', 'no-such'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  const entry = JSON.parse(lines(fs.readFileSync(log, 'utf8')).at(-1));
  assert.equal(entry.level, 'error');
  assert.match(entry.msg, /no-such/);
  assert.ok(!Number.isNaN(Date.parse(entry.time)));
});

test('--version, features, list and ps', () => {
  const v = oci(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^umlts-oci version /);
  const f = JSON.parse(oci(['features']).stdout);
  assert.ok(f.hooks.includes('prestart'));
  const b = makeBundle('listed', (c) => {
    c.process.args = ['sleep', '100'];
  });
  assert.equal(oci(['create', '--bundle', b, 'listed']).code, 0);
  const { pid } = stateOf('listed');
  trackUmltsPid(pid);
  const l = JSON.parse(oci(['list', '--format', 'json']).stdout);
  assert.ok(l.some((s) => s.id === 'listed' && s.status === 'created'));
  assert.deepEqual(JSON.parse(oci(['ps', '--format', 'json', 'listed']).stdout), [pid]);
  assert.equal(oci(['delete', '--force', 'listed']).code, 0);
});
