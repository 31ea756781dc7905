// Syscalls older or rarer programs still make, compared with the host kernel:
// sync, syncfs, sync_file_range, readahead, utime, futimesat, the old
// getdents, ioprio_get/ioprio_set, sched_setattr/sched_getattr, syslog,
// openat2 with its RESOLVE_* flags, chroot.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { buildGuest, assertNoLeftovers, assertSameText, makeScratch, rmScratch, runUmlts, runNative, hostCpus, lines, BUSYBOX } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('sync family, readahead, utime/futimesat, getdents, ioprio and sched_setattr/getattr as Linux answers them', () => {
  const g = buildGuest('compat_calls');
  const dn = makeScratch('compat'), du = makeScratch('compat');
  try {
    const native = runNative([g, dn]);
    assert.equal(native.code, 0, native.describe());
    // the default EEVDF slice depends on the CPU count: as many vCPUs as the host has
    const um = runUmlts(['--rw', '--cpus', String(hostCpus())], [g, du]);
    assert.equal(um.code, 0, um.describe());
    assertSameText(um.stdout, native.stdout, 'compat_calls');
    assert.match(native.stdout, /^getdents: end 0 seen 0x3f types 0xf aligned 1 nul-terminated 1$/m);
    assert.match(native.stdout, /^after futimesat: atime 1200000000\.250000000 mtime 1300000000\.500000000$/m);
    assert.match(native.stdout, /^getattr: size 48 policy 1 flags 0 nice 0 prio 20 runtime 0 /m);
    assert.doesNotMatch(um.stderr, /unimplemented syscall/);
  } finally {
    rmScratch(dn);
    rmScratch(du);
  }
});

test("syslog(2) answers as Linux with dmesg_restrict, and holds umlts's own kernel messages (the guest's dmesg)", () => {
  const g = buildGuest('syslog');
  const native = runNative([g]);
  assert.equal(native.code, 0, native.describe());
  const um = runUmlts([], [g]);
  assert.equal(um.code, 0, um.describe());
  // every line but the last is Linux's answer; the last says whether the log has umlts's notice
  const n = lines(native.stdout), u = lines(um.stdout);
  assertSameText(u.slice(0, -1).join('\n'), n.slice(0, -1).join('\n'), 'syslog');
  assert.equal(u.at(-1), 'notice: yes', um.describe());
  assert.match(um.stderr, /unimplemented syscall io_uring_setup/);
});

/**
 * A guest given a scratch directory (argv[1]) prints the same natively and
 * under umlts, in a writable host directory and in the guest's tmpfs: one
 * test for each; the native output must also match each of `wants`.
 */
function sameInHostDirAndTmpfs(name, title, wants) {
  for (const where of ['a writable host directory', 'tmpfs']) {
    test(`${title}, in ${where}`, () => {
      const g = buildGuest(name);
      const dn = makeScratch(name), du = makeScratch(name);
      try {
        const native = runNative([g, dn]);
        assert.equal(native.code, 0, native.describe());
        const um = where === 'tmpfs'
          ? runUmlts([], ['/bin/sh', '-c', `mkdir /tmp/${name} && exec ${g} /tmp/${name}`])
          : runUmlts(['--mount', `${du}:${du}`], [g, du]);
        assert.equal(um.code, 0, um.describe());
        assertSameText(um.stdout, native.stdout, name);
        for (const w of wants) assert.match(native.stdout, w);
      } finally {
        rmScratch(dn);
        rmScratch(du);
      }
    });
  }
}

sameInHostDirAndTmpfs('openat2', "openat2: open_how's checks and every RESOLVE_* flag as Linux", [
  /^IN_ROOT link_up\/a: fd ok \[file a\.\]/m, /^BENEATH link_up\/a: -1 EXDEV$/m, /^NO_MAGICLINKS \/proc\/self\/exe: -1 ELOOP$/m,
]);

test('privileged calls are refused as a container refuses them (EPERM), and calls Linux lacks are ENOSYS, without a notice', () => {
  const g = buildGuest('privileged');
  const um = runUmlts([], [g]);
  assert.equal(um.code, 0, um.describe());
  const want = (name) => (['name_to_handle_at'].includes(name) ? 'EOPNOTSUPP' : ['_sysctl', 'uselib', 'create_module', 'modify_ldt'].includes(name) ? 'ENOSYS' : 'EPERM');
  const got = lines(um.stdout);
  assert.equal(got.length, 29, um.describe());
  for (const l of got) {
    const [name, rest] = l.split(': ');
    assert.equal(rest, `-1 ${want(name)}`, l);
  }
  assert.doesNotMatch(um.stderr, /unimplemented syscall/, um.describe());
});

sameInHostDirAndTmpfs('chroot', "chroot: '/', '..', symlinks and getcwd inside the new root, a cwd left outside, magic links held from before", [
  /^symlink climbing: ENOENT$/m, /^getcwd, outside the root: \(unreachable\)\.\.\.$/m,
]);

test('busybox chroot runs a program from inside the new root', () => {
  const du = makeScratch('jail');
  try {
    fs.mkdirSync(path.join(du, 'bin'));
    fs.copyFileSync(BUSYBOX, path.join(du, 'bin', 'busybox'));
    fs.chmodSync(path.join(du, 'bin', 'busybox'), 0o755);
    const um = runUmlts(['--mount', `${du}:${du}`], [BUSYBOX, 'chroot', du, '/bin/busybox', 'sh', '-c', 'pwd; /bin/busybox ls /; cd ../..; /bin/busybox ls']);
    assert.equal(um.code, 0, um.describe());
    assert.equal(um.stdout, '/\nbin\nbin\n');
  } finally {
    rmScratch(du);
  }
});
