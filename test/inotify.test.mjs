// inotify(7): inotify_init1, inotify_add_watch, inotify_rm_watch and the
// events read from the instance, compared with the host kernel on tmpfs and
// on a --mount-ed host directory; a host process changing a mounted
// directory while the guest waits in read(2); and real watchers (GNU tail
// -f, node's fs.watch) run as guests.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import {
  buildGuest, runNative, runUmlts, assertNoLeftovers, assertSameText, makeScratch, rmScratch, requireCli, trackUmltsPid,
  withPlatform, CLI, CLEAN_ENV,
} from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('inotify on tmpfs answers as Linux: errors, wds, every event and its order, reads, blocking, overflow', () => {
  const g = buildGuest('inotify');
  const dn = makeScratch('inotify-n');
  try {
    fs.chmodSync(dn, 0o755); // searchable by the guest's "nobody", as /tmp is
    const native = runNative([g, dn, 'tmp']);
    assert.equal(native.code, 0, native.describe());
    const um = runUmlts([], [g, '/tmp', 'tmp']);
    assert.equal(um.code, 0, um.describe());
    assertSameText(um.stdout, native.stdout, 'inotify (tmpfs)');
    // the transcript is the real thing
    assert.match(native.stdout, /^unlink a:\n {2}wd=2 ATTRIB .*\n {2}wd=2 DELETE_SELF .*\n {2}wd=2 IGNORED .*\n {2}wd=1 DELETE cookie=0 len=16 name=a$/m);
    assert.match(native.stdout, /^events 16385 overflows 1 last wd -1 mask 0x4000$/m);
    assert.doesNotMatch(um.stderr, /unimplemented syscall/);
  } finally {
    rmScratch(dn);
  }
});

test('inotify on a --mount-ed host directory answers as Linux (the events come from the host\'s inotify)', () => {
  const g = buildGuest('inotify');
  const dn = makeScratch('inotify-n'), du = makeScratch('inotify-u');
  try {
    fs.chmodSync(dn, 0o755);
    fs.chmodSync(du, 0o755);
    const native = runNative([g, dn, 'host']);
    assert.equal(native.code, 0, native.describe());
    const um = runUmlts(['--mount', `${du}:/w`], [g, '/w', 'host']);
    assert.equal(um.code, 0, um.describe());
    assertSameText(um.stdout, native.stdout, 'inotify (hostfs)');
  } finally {
    rmScratch(dn);
    rmScratch(du);
  }
});

/** Start argv (a child process), resolve with its output once `ready` matches it; the result also has `exited`. */
function startWatcher(argv, env, ready) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
  trackUmltsPid(child.pid);
  const st = { out: '', err: '', child };
  child.stdout.on('data', (d) => { st.out += d; });
  child.stderr.on('data', (d) => { st.err += d; });
  st.exited = new Promise((res) => child.on('exit', (code, sig) => res({ code, sig })));
  st.until = async (re, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (!re.test(st.out)) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        assert.fail(`timed out waiting for ${re}; stdout:\n${st.out}\nstderr:\n${st.err.slice(0, 3000)}`);
      }
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  return st;
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/** What the test's own process does to dir while the guest waits on its inotify fd. */
async function hostChanges(dir) {
  await sleep(300); // the watcher is asleep in read(2) by now
  fs.writeFileSync(path.join(dir, 'a.txt'), 'hello\n');
  fs.renameSync(path.join(dir, 'a.txt'), path.join(dir, 'b.txt'));
  fs.chmodSync(path.join(dir, 'b.txt'), 0o600);
  fs.unlinkSync(path.join(dir, 'b.txt'));
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'done'), '');
}

test('a host process changing a --mount-ed directory wakes a guest blocked in read(2) on its inotify fd', async () => {
  requireCli();
  const g = buildGuest('inotify');
  const dn = makeScratch('inotify-wn'), du = makeScratch('inotify-wu');
  try {
    const n = startWatcher([g, dn, 'wait'], CLEAN_ENV, /^ready/m);
    await n.until(/^ready 1$/m);
    await hostChanges(dn);
    assert.equal((await n.exited).code, 0, n.out + n.err);
    const u = startWatcher([process.execPath, CLI, 'run', '--mount', `${du}:/w`, '--', g, '/w', 'wait'], withPlatform(CLEAN_ENV), /^ready/m);
    await u.until(/^ready 1$/m);
    await hostChanges(du);
    const st = await u.exited;
    assert.equal(st.code, 0, `exit ${st.code} ${st.sig}\n${u.out}\n${u.err.slice(0, 3000)}`);
    assertSameText(u.out, n.out, 'events of host changes');
    assert.match(n.out, /name=b\.txt/);
    assert.match(n.out, /CREATE\|ISDIR cookie=0 len=16 name=sub/);
  } finally {
    rmScratch(dn);
    rmScratch(du);
  }
});

test('GNU tail -f follows a file a host process appends to (inotify, not its one-in-1000-s polling)', async () => {
  requireCli();
  const tail = '/usr/bin/tail';
  if (!fs.existsSync(tail) || !/GNU coreutils/.test(runNative([tail, '--version']).stdout)) return;
  const dir = makeScratch('inotify-tail');
  try {
    const log = path.join(dir, 'log');
    fs.writeFileSync(log, 'one\n');
    // -s 1000: without inotify tail would look again only after 1000 s; timeout ends it either way
    const u = startWatcher([process.execPath, CLI, 'run', '--mount', `${dir}:/w`, '--', '/usr/bin/timeout', '20', tail, '-f', '-s', '1000', '/w/log'],
      withPlatform(CLEAN_ENV));
    await u.until(/^one$/m);
    await sleep(300);
    fs.appendFileSync(log, 'two\n');
    await u.until(/^two$/m, 10_000);
    fs.appendFileSync(log, 'three\n');
    await u.until(/^three$/m, 10_000);
    u.child.kill('SIGTERM');
    await u.exited;
    assert.doesNotMatch(u.err, /inotify cannot be used|unimplemented syscall inotify/, u.err);
  } finally {
    rmScratch(dir);
  }
});

test("node's fs.watch in a guest hears a host process create a file in a --mount-ed directory", async () => {
  requireCli();
  const dir = makeScratch('inotify-node');
  try {
    const js = "const fs = require('fs'); fs.watch('/w', (ev, name) => { console.log(ev, name); if (name === 'x.js') process.exit(0); }); console.log('ready');";
    const u = startWatcher([process.execPath, CLI, 'run', '--mount', `${dir}:/w`, '--', '/usr/bin/node', '-e', js], withPlatform(CLEAN_ENV));
    await u.until(/^ready$/m, 120_000);
    await sleep(300);
    fs.writeFileSync(path.join(dir, 'x.js'), '1;\n');
    const st = await Promise.race([u.exited, sleep(30_000).then(() => null)]);
    if (st === null) u.child.kill('SIGKILL');
    assert.ok(st && st.code === 0, `node did not see x.js: ${JSON.stringify(st)}\n${u.out}\n${u.err.slice(0, 3000)}`);
    assert.match(u.out, /^rename x\.js$/m);
  } finally {
    rmScratch(dir);
  }
});
