// Differential file tests: reads, stats, directory listings, cwd and their
// errors on fixed host files, under the default root (/).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers, runUmlts } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('open/read/pread/lseek/fstat/stat/lstat/readlink/getdents64/access/cwd and their errors', () => {
  const g = buildGuest('files');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /first line: root:/);
  assert.match(native.stdout, /open symlink O_NOFOLLOW: ELOOP\n/);
});

test('the guest starts in --cwd and relative paths resolve from it', () => {
  const g = buildGuest('files');
  const { native, umlts } = assertSameAsNative([g], [], { cwd: '/usr' });
  assert.match(native.stdout, /^getcwd: \/usr$/m);
  assert.match(umlts.stdout, /^getcwd: \/usr$/m);
});

test('/proc/self/exe names the program', () => {
  const g = buildGuest('files');
  const r = runUmlts(['--cwd', '/'], [g]);
  assert.match(r.stdout, new RegExp(`^readlink /proc/self/exe: ${g}$`, 'm'), r.describe());
});

test('/proc/self/exe names the file after an exec through /proc/self/exe', () => {
  const g = buildGuest('exe_link');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, new RegExp(`^generation 3: exe ${g}$`, 'm'));
});

test('fchmod, fchown, futimens on a pipe and a socket change their inodes; anonymous inodes refuse with EOPNOTSUPP', () => {
  const g = buildGuest('anon_setattr');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^pipe write end \(the same inode\): mode 10640 uid 3 gid 4$/m);
  assert.match(native.stdout, /^eventfd: .*\n {2}fchmod 04751 EOPNOTSUPP, fchown 1:2 EOPNOTSUPP, chmod \/proc\/self\/fd 0640 EOPNOTSUPP/m);
  // and as their owner, or not
  assertSameAsNative([g, 'nobody']);
});

test('I/O of no bytes, lseek, pread and fsync on files that lack them (anonymous inodes, pipes, sockets, directories, devices)', () => {
  const g = buildGuest('fops_edges');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^eventfd: read0 -1 EINVAL write0 -1 EINVAL readv0 OK writev0 OK pread0 ESPIPE lseek5 0 OK /m);
  assert.match(native.stdout, /^pipe read end: read0 0 OK .* fsync EINVAL fdatasync EINVAL$/m);
  assert.match(native.stdout, /^directory: read0 -1 EISDIR /m);
});

// vfs_link's I_LINKABLE: only an O_TMPFILE file (without O_EXCL) gets a name back, once; sock_no_open
test('linkat names an O_TMPFILE file once and no other nameless file; a socket\'s /proc/self/fd link does not open', () => {
  const g = buildGuest('link_nameless');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^linkat of an unlinked file: -1 No such file or directory\nlinkat of its \/proc\/self\/fd link: -1 No such file or directory\nlinkat of an O_TMPFILE file: 0 \n/m);
  assert.match(native.stdout, /^linkat of it once its name is gone: -1 No such file or directory\n/m);
  assert.match(native.stdout, /^linkat of an O_TMPFILE\|O_EXCL file: -1 No such file or directory\nlinkat of another O_TMPFILE file through \/proc\/self\/fd: 0 \n/m);
  assert.match(native.stdout, /^open of a socket's \/proc\/self\/fd link: -1 No such device or address\nopen of a pipe's: 0 \n$/m);
});

// d_parent: `..` of a directory moved while open is its parent now, and a chroot's jail stops a directory moved
// into it (the walk followed the path it was opened by: the file beside its old place was reachable)
test('`..` of a directory moved while open: its new parent, and a chroot\'s root stops it', () => {
  const g = buildGuest('dotdot_moved');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^\.\. of c: MARK_B\n\.\.\/\.\. of c: MARK_X\n/m);
  assert.match(native.stdout, /^access \.\.\/SECRET: -1 No such file or directory\naccess \.\.\/\.\.\/SECRET: -1 No such file or directory\n/m);
  assert.match(native.stdout, /^2100 deep: getcwd ok, the syscall File name too long, \/proc\/self\/cwd File name too long, getcwd into 64 bytes Numerical result out of range\n/m);
});

test('fchmodat2: a symlink itself refuses a mode (EOPNOTSUPP), AT_EMPTY_PATH changes the fd\'s file', () => {
  const g = buildGuest('fchmodat2');
  const { native, umlts } = assertSameAsNative([g]);
  assert.match(native.stdout, /^fchmodat2 nofollow symlink: -1 Operation not supported\n/m);
  assert.doesNotMatch(umlts.stderr, /unimplemented/);
});

test('fcntl(F_DUPFD) reads an int, getdents64\'s count past INT_MAX is EINVAL, the fd table fills to RLIMIT_NOFILE', () => {
  const g = buildGuest('fd_args');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /^F_DUPFD 0x100000005: 5 \n/m);
  assert.match(native.stdout, /^getdents64 count 0x80000000: -1 Invalid argument\ngetdents64 count 0x80000000 at the end: 0 \n/m);
  assert.match(native.stdout, /^dup after closing 100 and 50: 50 \nand again: 100 \n/m);
});
