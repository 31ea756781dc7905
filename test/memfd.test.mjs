// memfd_create, seals, and tmpfs files shared by mappings (one copy of each
// page for mappings and read/write, across fork), and sparse tmpfs files
// past 4 GiB: compared with the host kernel.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { buildGuest, assertSameAsNative, assertNoLeftovers } from './lib.mjs';

afterEach(() => assertNoLeftovers());

test('memfd_create, F_ADD_SEALS/F_GET_SEALS, shared mappings of memfds and /dev/shm files, sparse tmpfs files', () => {
  const g = buildGuest('memfd');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /read sees the mapping's write: MAPPED\n/);
  assert.match(native.stdout, /the child's writes: CHILD AGAIN\n/);
  assert.match(native.stdout, /F_SEAL_WRITE over a writable mapping: EBUSY\n/);
  assert.match(native.stdout, /shared through \/dev\/shm\n/);
  assert.match(native.stdout, /size 3221225473, blocks under 100: 1\n/);
});

// shmem's holes: pages never written are not allocated (st_blocks), SEEK_DATA/SEEK_HOLE find them, they read as
// zeros; a file written in order has none (it stays in the kernel's heap, the rest moves to a sparse memfd)
test('holes in tmpfs files and memfds: truncate, writes past the end, punched pages, fallocate past the end', () => {
  const g = buildGuest('tmpfs_holes');
  // (the host's /tmp need not be tmpfs: /dev/shm is)
  const { native } = assertSameAsNative([g, '/dev/shm/tmpfs_holes.dat']);
  assert.match(native.stdout, /^truncated up to 1 MiB: size 1048576 blocks 0 .* hole\(0\)=0 /m);
  assert.match(native.stdout, /^10 bytes at 300000: size 1048576 blocks 8 .* data\(0\)=299008 hole\(0\)=0 /m);
  assert.match(native.stdout, /^8 KiB fallocated past the end, size kept: size 1048576 blocks 24 /m);
  assert.match(native.stdout, /^dense, 9999 bytes written in order: size 9999 blocks 24 .* hole\(0\)=9999 /m);
  assert.match(native.stdout, /^-- memfd\n/m);
});

for (const platform of ['systrap', 'ptrace']) {
  test(`memfd_secret: a file only shared mappings reach, its size set once (${platform})`, () => {
    const g = buildGuest('memfd_secret');
    const { native } = assertSameAsNative([g], ['--platform', platform]);
    assert.match(native.stdout, /fd link: \/secretmem \(deleted\)\n/);
    assert.match(native.stdout, /write: EINVAL\nread: EINVAL\npwrite: ESPIPE\n/);
    assert.match(native.stdout, /ftruncate again: EINVAL\n/);
    assert.match(native.stdout, /mmap private: EINVAL\n/);
    assert.match(native.stdout, /parent reads "changed"\n/);
  });
}

test('shared futexes meet across processes in shared memory mapped anywhere (pthread process-shared objects, sem_open)', () => {
  const g = buildGuest('futex_shared', ['-lpthread']);
  const { native } = assertSameAsNative([g], [], { timeout: 60_000 });
  assert.match(native.stdout, /a \/dev\/shm file mapped by each: woken 1, child saw the change\n/);
  assert.match(native.stdout, /process-shared mutex and condvar: ping-pong done, child status 0\n/);
});
