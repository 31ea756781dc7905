// Helpers for the fs unit tests (test/fs_*.test.mjs): a VFS over a scratch
// root directory with a fake kernel side. Not a test file by itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Vfs } from '../dist/fs/vfs.js';

export const E = {
  EPERM: 1, ENOENT: 2, EBADF: 9, EAGAIN: 11, EACCES: 13, EEXIST: 17, EXDEV: 18, ENOTDIR: 20, EISDIR: 21,
  EINVAL: 22, ENOSPC: 28, ESPIPE: 29, EROFS: 30, ENAMETOOLONG: 36, ENOTEMPTY: 39, ELOOP: 40, ENXIO: 6,
  ENOTTY: 25, ESTALE: 116, EBUSY: 16,
};
export const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000, S_IFCHR = 0o020000,
  S_IFIFO = 0o010000;
export const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0o100, O_EXCL = 0o200, O_TRUNC = 0o1000,
  O_APPEND = 0o2000, O_DIRECTORY = 0o200000, O_NOFOLLOW = 0o400000, O_PATH = 0o10000000;

/** A scratch directory under the host's tmp, removed by the returned cleanup. */
export function scratchDir(tag) {
  const d = mkdtempSync(join(tmpdir(), `umlts-${tag}-`));
  return { dir: d, cleanup: () => rmSync(d, { recursive: true, force: true }) };
}

/** A fake ProcProvider: one process (pid 42) whose fd table is `fds`. */
export function fakeProc(fds = new Map()) {
  return {
    currentPid: () => 42,
    pids: () => [1, 42],
    exe: (pid) => (pid === 42 ? '/bin/prog' : pid === 1 ? '/sbin/init' : null),
    cwd: (pid) => (pid === 42 ? '/tmp' : pid === 1 ? '/' : null),
    fds: (pid) => (pid === 42 ? fds : pid === 1 ? new Map() : null),
    cmdline: (pid) => (pid === 42 ? Buffer.from('prog\0-x\0') : pid === 1 ? Buffer.from('init\0') : null),
    comm: (pid) => (pid === 42 ? 'prog' : pid === 1 ? 'init' : null),
    maps: (pid) => (pid === 42 ? '00400000-00401000 r-xp 00000000 00:00 0 /bin/prog\n' : null),
    ncpus: () => 3,
    meminfo: () => ({ totalKiB: 65536, freeKiB: 1024 }),
  };
}

/** A HostWatch that records its calls. */
export function fakeWatch() {
  const calls = [];
  return { calls, watch: (fd, events, cb) => { calls.push({ fd, events, cb }); return true; } };
}

export function makeVfs(rootDir, opts = {}) {
  return new Vfs({ rootDir, rw: false, proc: fakeProc(opts.fds), hostWatch: fakeWatch(), ...opts });
}

export const ROOT = { fsuid: 0, fsgid: 0, groups: [], capEffective: 2 ** 41 - 1 };
/** An FsCaller (what a Task is to the VFS). */
export function caller(creds = ROOT, cwd = '/') {
  return { fs: { cwd, umask: 0o022 }, creds };
}

/** Read a whole File as a string. */
export function readAll(f) {
  const chunks = [];
  const b = Buffer.alloc(65536);
  for (;;) {
    const n = f.read(b, null);
    if (n < 0) throw new Error(`read: -${-n}`);
    if (n === 0) break;
    chunks.push(Buffer.from(b.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}
export function write(f, s) {
  return f.write(Buffer.from(s), null);
}
