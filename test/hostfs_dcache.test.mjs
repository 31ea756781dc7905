// hostfs's directory cache (src/fs/dcache.ts): lookups in a directory
// walked before need no walk from the mount's root, and what the host
// changes between two guest operations — a directory renamed away, removed
// and made again, renamed over, swapped for a symlink — is what the next
// operation sees, as a process on the host would.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, BUSYBOX, CLEAN_ENV, ROOT, makeScratch, rmScratch, withPlatform, trackUmltsPid, assertNoLeftovers, requireCli } from './lib.mjs';
import { makeVfs, caller, readAll, O_RDONLY, E } from './fs_lib.mjs';

afterEach(() => assertNoLeftovers());

/** The contents of path p read through vfs as caller c, or the open's -errno. */
function catAs(vfs, c, p) {
  const f = vfs.open(c, null, p, O_RDONLY, 0);
  if (typeof f === 'number') return f;
  const s = readAll(f);
  f.put();
  return s;
}

/** What the host does between the guest's commands; each step: a host change, then a guest command. */
function steps(dir) {
  const p = (...a) => path.join(dir, ...a);
  return [
    { host: () => { fs.mkdirSync(p('a', 'b'), { recursive: true }); fs.writeFileSync(p('a', 'b', 'f'), 'one\n'); }, cmd: 'cat a/b/f; cat a/b/x' },
    // renamed away, and a new directory of that name
    { host: () => { fs.renameSync(p('a', 'b'), p('a', 'old')); fs.mkdirSync(p('a', 'b')); fs.writeFileSync(p('a', 'b', 'f'), 'two\n'); }, cmd: 'cat a/b/f; cat a/old/f' },
    // the whole tree removed and made again, deeper
    { host: () => { fs.rmSync(p('a'), { recursive: true }); fs.mkdirSync(p('a', 'b', 'c'), { recursive: true }); fs.writeFileSync(p('a', 'b', 'c', 'f'), 'three\n'); }, cmd: 'cat a/b/c/f; cat a/b/c/x; ls a/b' },
    // renamed over an empty directory the guest has walked
    { host: () => { fs.rmSync(p('a', 'b', 'c'), { recursive: true }); fs.mkdirSync(p('n', 'b'), { recursive: true }); fs.writeFileSync(p('n', 'b', 'f'), 'four\n'); }, cmd: 'cat a/b/x; ls a/b' },
    { host: () => fs.renameSync(p('n', 'b'), p('a', 'b')), cmd: 'cat a/b/f; ls a/b' },
    // swapped for a symlink: the guest follows it in its own namespace
    { host: () => { fs.rmSync(p('a', 'b'), { recursive: true }); fs.mkdirSync(p('s')); fs.writeFileSync(p('s', 'f'), 'five\n'); fs.symlinkSync('../s', p('a', 'b')); }, cmd: 'cat a/b/f' },
    // and back to a directory
    { host: () => { fs.unlinkSync(p('a', 'b')); fs.mkdirSync(p('a', 'b')); fs.writeFileSync(p('a', 'b', 'f'), 'six\n'); }, cmd: 'cat a/b/f; ls a' },
    // the guest's own rename and rmdir, then the host reuses the names
    { host: () => {}, cmd: 'mv a/b a/z; cat a/z/f; cat a/b/f; mkdir a/b; rmdir a/b; cat a/b/f' },
    { host: () => { fs.mkdirSync(p('a', 'b')); fs.writeFileSync(p('a', 'b', 'f'), 'seven\n'); }, cmd: 'cat a/b/f; cat a/z/f' },
  ];
}

/**
 * Run the steps against a busybox shell reading commands from stdin (argv),
 * whose paths start at `at`: each host change, then the command, then wait
 * for the command's end marker. The transcript, with `at` spelled <D>.
 */
async function drive(argv, dir, at, env) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env });
  trackUmltsPid(child.pid);
  let out = '';
  let wake = () => {};
  const take = (d) => { out += d; wake(); };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const exited = new Promise((res) => child.on('exit', (code, sig) => { wake(); res({ code, sig }); }));
  const transcript = [];
  try {
    let i = 0;
    for (const s of steps(dir)) {
      s.host();
      const mark = `--end ${i++}--`;
      child.stdin.write(`cd ${at} && { ${s.cmd}; } 2>&1 | sed 's|${at}|<D>|g'; echo '${mark}'\n`);
      const deadline = Date.now() + 30_000;
      while (!out.includes(mark)) {
        assert.ok(Date.now() < deadline, `no answer to step ${i - 1}; so far:\n${out}`);
        await new Promise((res) => { wake = res; setTimeout(res, 200); });
      }
      const end = out.indexOf(mark);
      transcript.push(`$ ${s.cmd}\n${out.slice(0, end)}`);
      out = out.slice(end + mark.length + 1);
    }
  } finally {
    child.stdin.end();
  }
  const st = await exited;
  assert.equal(st.code, 0, `exit ${st.code} ${st.sig}\n${out}`);
  return transcript.join('');
}

test('host changes between guest operations are seen at once, as natively (a --mount with a directory cache)', async () => {
  requireCli();
  const sh = [BUSYBOX, 'sh', '-c', 'while read -r line; do eval "$line"; done'];
  const nd = makeScratch('dcache-n'), ud = makeScratch('dcache-u');
  try {
    const native = await drive(sh, nd, nd, CLEAN_ENV);
    const um = await drive([process.execPath, CLI, 'run', '--mount', `${ud}:/m`, '--', ...sh], ud, '/m', withPlatform(CLEAN_ENV));
    assert.equal(um, native);
    // the transcript is the real thing: every step's file was read
    for (const w of ['one', 'two', 'three', 'four', 'five', 'six', 'seven']) assert.match(native, new RegExp(`^${w}$`, 'm'));
  } finally {
    rmScratch(nd);
    rmScratch(ud);
  }
});

test('the cache is used within an operation and its entries are dropped by host events only at the next one', () => {
  const dir = makeScratch('dcache-v');
  try {
    fs.mkdirSync(path.join(dir, 'a', 'b', 'c'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a', 'b', 'c', 'f'), 'first\n');
    let op = 0;
    const vfs = makeVfs(dir, { rw: true, opClock: () => op, dcacheColdWalks: 0 });
    const c = caller();
    const cat = (p) => catAs(vfs, c, p);
    assert.equal(cat('/a/b/c/f'), 'first\n');
    const dc = vfs.hostfs.dcache;
    const s1 = dc.stats();
    assert.ok(s1.entries >= 3, `a, a/b and a/b/c cached: ${JSON.stringify(s1)}`);
    for (let i = 0; i < 5; i++) assert.equal(cat('/a/b/c/f'), 'first\n');
    assert.ok(dc.stats().hits >= s1.hits + 5, 'later walks hit the cache');
    assert.equal(dc.stats().misses, s1.misses, 'and miss nothing');
    // the host renames a/b away and makes a new one
    fs.renameSync(path.join(dir, 'a', 'b'), path.join(dir, 'a', 'gone'));
    fs.mkdirSync(path.join(dir, 'a', 'b', 'c'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a', 'b', 'c', 'f'), 'second\n');
    op++;
    assert.equal(cat('/a/b/c/f'), 'second\n');
    assert.ok(dc.stats().dropped >= 2, 'a/b and a/b/c dropped');
    // the guest's own rename within one operation
    assert.equal(vfs.rename(c, null, '/a/b', null, '/a/y', 0), 0);
    assert.equal(cat('/a/b/c/f'), -E.ENOENT);
    assert.equal(cat('/a/y/c/f'), 'second\n');
    // the host removes the tree and makes it again: the old directories' watches go (IN_IGNORED), and their names
    const dropped = dc.stats().dropped;
    fs.rmSync(path.join(dir, 'a'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'a', 'y', 'c'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a', 'y', 'c', 'f'), 'third\n');
    op++;
    assert.equal(cat('/a/y/c/f'), 'third\n');
    assert.ok(dc.stats().dropped >= dropped + 3, 'a, a/y and a/y/c dropped');
  } finally {
    rmScratch(dir);
  }
});

test('more host events than one read takes: every one is seen at the next operation', () => {
  const dir = makeScratch('dcache-many');
  try {
    fs.mkdirSync(path.join(dir, 'a', 'c'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a', 'c', 'f'), 'first\n');
    for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(dir, 'a', `file${String(i).padStart(3, '0')}`), '');
    let op = 0;
    const vfs = makeVfs(dir, { rw: true, opClock: () => op, dcacheColdWalks: 0 });
    const c = caller();
    assert.equal(catAs(vfs, c, '/a/c/f'), 'first\n');
    // 300 deletions (32 bytes of event each: over twice what the kernel reads at once), then a/c replaced: the
    // last events are the ones that matter
    for (let i = 0; i < 300; i++) fs.rmSync(path.join(dir, 'a', `file${String(i).padStart(3, '0')}`));
    fs.renameSync(path.join(dir, 'a', 'c'), path.join(dir, 'a', 'gone'));
    fs.mkdirSync(path.join(dir, 'a', 'c'));
    fs.writeFileSync(path.join(dir, 'a', 'c', 'f'), 'second\n');
    op++;
    assert.equal(catAs(vfs, c, '/a/c/f'), 'second\n');
  } finally {
    rmScratch(dir);
  }
});

test('a path deeper than the cache keeps whole: walked from the root below, cached above, and still coherent', () => {
  const dir = makeScratch('dcache-d');
  try {
    const parts = Array.from({ length: 60 }, (_v, i) => `d${i}`);
    fs.mkdirSync(path.join(dir, ...parts), { recursive: true });
    fs.writeFileSync(path.join(dir, ...parts, 'f'), 'deep\n');
    let op = 0;
    const vfs = makeVfs(dir, { opClock: () => op, dcacheColdWalks: 0 });
    const c = caller();
    const file = '/' + parts.join('/') + '/f';
    const cat = () => catAs(vfs, c, file);
    for (let i = 0; i < 3; i++) assert.equal(cat(), 'deep\n');
    const st = vfs.hostfs.dcache.stats();
    assert.ok(st.entries >= 20 && st.entries <= 32, `the top of the chain cached: ${JSON.stringify(st)}`);
    // about one miss per level below the cached part per walk, not one per level per lookup
    assert.ok(st.misses < 3 * 60 * 2, `${st.misses} misses for three walks of 61 components`);
    // a host rename in the cached part and one below it
    fs.renameSync(path.join(dir, 'd0', 'd1'), path.join(dir, 'd0', 'x1'));
    op++;
    assert.equal(cat(), -E.ENOENT);
    fs.renameSync(path.join(dir, 'd0', 'x1'), path.join(dir, 'd0', 'd1'));
    fs.renameSync(path.join(dir, ...parts.slice(0, 50)), path.join(dir, ...parts.slice(0, 49), 'moved'));
    op++;
    assert.equal(cat(), -E.ENOENT);
    fs.renameSync(path.join(dir, ...parts.slice(0, 49), 'moved'), path.join(dir, ...parts.slice(0, 50)));
    op++;
    assert.equal(cat(), 'deep\n');
  } finally {
    rmScratch(dir);
  }
});

test("a walk through a cached directory takes its attributes from the cache until the host changes them (IN_ATTRIB); a stat of it is fresh", () => {
  const dir = makeScratch('dcache-attr');
  try {
    fs.mkdirSync(path.join(dir, 'a', 'b', 'c'), { recursive: true });
    for (const d of [dir, path.join(dir, 'a'), path.join(dir, 'a', 'b')]) fs.chmodSync(d, 0o755);
    fs.writeFileSync(path.join(dir, 'a', 'b', 'f'), 'data\n');
    let op = 0;
    const vfs = makeVfs(dir, { rw: true, opClock: () => op, dcacheColdWalks: 0 });
    const user = caller({ fsuid: 1000, fsgid: 1000, groups: [], capEffective: 0 });
    const cat = (p) => catAs(vfs, user, p);
    const dc = vfs.hostfs.dcache;
    assert.equal(cat('/a/b/f'), 'data\n');
    op++;
    assert.equal(cat('/a/b/f'), 'data\n');
    const hits = dc.stats().attrHits;
    op++;
    assert.equal(cat('/a/b/f'), 'data\n');
    assert.ok(dc.stats().attrHits >= hits + 2, `a and a/b walked through from the cache: ${JSON.stringify(dc.stats())}`);
    // the host takes the search permission away from others: the next operation is refused, as natively
    fs.chmodSync(path.join(dir, 'a'), 0o700);
    op++;
    assert.equal(cat('/a/b/f'), -E.EACCES);
    fs.chmodSync(path.join(dir, 'a', 'b'), 0o700);
    fs.chmodSync(path.join(dir, 'a'), 0o755);
    op++;
    assert.equal(cat('/a/b/f'), -E.EACCES, 'a/b refuses now');
    // the guest's own chmod (root), seen by its next operation
    const ab = vfs.resolve(caller(), null, '/a/b', true);
    assert.equal(vfs.chmodLoc(caller(), ab, 0o755), 0);
    op++;
    assert.equal(cat('/a/b/f'), 'data\n');
    // the directory's own times go stale in the cache, never in a stat of it (through '.' and '..' too)
    // (a new entry changes a/b's times with no IN_ATTRIB: the cache keeps what it read at the walk above)
    const until = Date.now() + 30;
    while (Date.now() < until);
    fs.writeFileSync(path.join(dir, 'a', 'b', 'g'), 'new\n');
    const want = fs.statSync(path.join(dir, 'a', 'b'));
    op++;
    for (const p of ['/a/b', '/a/b/.', '/a/b/c/..', '/a/b/']) {
      const st = vfs.stat(user, null, p, true);
      assert.equal(typeof st, 'object', `${p}: ${st}`);
      assert.equal(Number(st.mtimeNs / 1000000n), Math.floor(want.mtimeMs), `${p}: mtime`);
      assert.equal(st.nlink, want.nlink, `${p}: nlink`);
    }
  } finally {
    rmScratch(dir);
  }
});

test('the cache starts only after COLD_WALKS walks from the root (an inotify watch makes the host process slower to exit)', () => {
  const dir = makeScratch('dcache-cold');
  try {
    fs.mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a', 'b', 'f'), 'x\n');
    let op = 0;
    const vfs = makeVfs(dir, { opClock: () => op, dcacheColdWalks: 3 });
    const c = caller();
    const cat = () => {
      op++;
      const s = catAs(vfs, c, '/a/b/f');
      assert.equal(typeof s, 'string', `open: ${s}`);
      return s;
    };
    const dc = vfs.hostfs.dcache;
    // an open walks a and a/b from the root (its lookups and the open itself): three cold walks
    assert.equal(cat(), 'x\n');
    assert.equal(dc.stats().entries, 0, `nothing cached while cold: ${JSON.stringify(dc.stats())}`);
    assert.equal(cat(), 'x\n');
    assert.ok(dc.stats().entries >= 2, `a and a/b cached once warm: ${JSON.stringify(dc.stats())}`);
    assert.equal(cat(), 'x\n');
    assert.ok(dc.stats().hits >= 1);
  } finally {
    rmScratch(dir);
  }
});

// The mount's root is the one node that lives as long as the mount: its attributes went stale (a guest chmod of it
// left another user locked out, or let in, until umlts restarted).
test("a chmod of the mount's root, by the guest or by the host, is what the next permission check sees", async () => {
  const d = makeScratch('rootattr');
  const as = (cmd, what) => `su -s /bin/sh nobody -c 'ls ${d} >/dev/null 2>&1 && echo ${what}: yes || echo ${what}: no'`;
  const script = [
    as('ls', 'before'),
    `chmod 755 ${d}`,
    as('ls', 'after guest chmod 755'),
    `chmod 700 ${d}`,
    as('ls', 'after guest chmod 700'),
    // the host makes it searchable again while the guest runs (the test answers the flag file the guest makes)
    `touch ${d}/.go; while [ -e ${d}/.go ]; do sleep 0.05; done`,
    as('ls', 'after host chmod 755'),
  ].join('; ');
  let timer;
  try {
    fs.chmodSync(d, 0o700);
    const child = spawn(process.execPath, [CLI, 'run', '--mount', `${d}:${d}`, '--', BUSYBOX, 'sh', '-c', script],
      { env: withPlatform(CLEAN_ENV), stdio: ['ignore', 'pipe', 'pipe'] });
    trackUmltsPid(child.pid);
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    timer = setInterval(() => {
      if (fs.existsSync(path.join(d, '.go'))) {
        fs.chmodSync(d, 0o755);
        fs.unlinkSync(path.join(d, '.go'));
      }
    }, 20);
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, out);
    assert.equal(out, 'before: no\nafter guest chmod 755: yes\nafter guest chmod 700: no\nafter host chmod 755: yes\n');
  } finally {
    clearInterval(timer);
    rmScratch(d);
  }
});

/** How many inotify instances this process holds. */
function inotifyFds() {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:inotify') n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

// Every mount's cache watches through one host inotify instance (DirWatches): an operation that walks the
// root mount's root on its way to another mount reads the host's events once, not once per mount. A directory
// both watch (here host m: the root mount's /m, and the root of the mount at /x) keeps its watch for the one
// while the other lets it go, and a host change there reaches both.
test('one inotify instance for every mount; a directory two mounts watch stays watched for each', () => {
  const dir = makeScratch('dcache-shared');
  try {
    fs.mkdirSync(path.join(dir, 'm', 'sub'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'x'));
    fs.writeFileSync(path.join(dir, 'm', 'sub', 'f'), 'one\n');
    const before = inotifyFds();
    let op = 0;
    const vfs = makeVfs(dir, { opClock: () => op, dcacheColdWalks: 0, mounts: [{ host: path.join(dir, 'm'), guest: '/x', ro: false }] });
    const c = caller();
    const cat = (p) => {
      op++;
      return catAs(vfs, c, p);
    };
    for (let i = 0; i < 3; i++) {
      assert.equal(cat('/m/sub/f'), 'one\n');
      assert.equal(cat('/x/sub/f'), 'one\n');
    }
    const rootCache = vfs.hostfs.dcache, xCache = vfs.hostMounts.find((m) => m !== vfs.hostfs).dcache;
    assert.ok(rootCache.stats().entries >= 2 && xCache.stats().entries >= 1, `both cache: ${JSON.stringify([rootCache.stats(), xCache.stats()])}`);
    assert.equal(inotifyFds() - before, 1, 'one inotify instance for both mounts');
    // the host renames sub away and makes another: both see it
    fs.renameSync(path.join(dir, 'm', 'sub'), path.join(dir, 'm', 'old'));
    fs.mkdirSync(path.join(dir, 'm', 'sub'));
    fs.writeFileSync(path.join(dir, 'm', 'sub', 'f'), 'two\n');
    assert.equal(cat('/x/sub/f'), 'two\n');
    assert.equal(cat('/m/sub/f'), 'two\n');
    // the root mount lets m go (its watch on host m too); the mount at /x, whose root that is, still watches it
    rootCache.invalidate('m');
    fs.renameSync(path.join(dir, 'm', 'sub'), path.join(dir, 'm', 'old2'));
    fs.mkdirSync(path.join(dir, 'm', 'sub'));
    fs.writeFileSync(path.join(dir, 'm', 'sub', 'f'), 'three\n');
    assert.equal(cat('/x/sub/f'), 'three\n');
    assert.equal(cat('/m/sub/f'), 'three\n');
  } finally {
    rmScratch(dir);
  }
});
