// Differential memory tests: mmap/munmap/mprotect/mremap/madvise, brk, and a
// sparse 512 MB mapping; same output and status natively and under umlts.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { CLEAN_ENV, buildGuest, assertSameAsNative, assertNoLeftovers, runNative, runUmlts, makeScratch, rmScratch, testPlatform } from './lib.mjs';

afterEach(() => assertNoLeftovers());

/**
 * Guest g on a file `f` of a host directory (then `args`) natively and under
 * umlts with the directory mounted, as it is and with every fifth batch
 * refused as a full host would (the host file's pages copied, not mapped):
 * the same output and status 0. The native run's result.
 */
function sameInHostDir(g, name, args = []) {
  const dir = makeScratch(name);
  try {
    const native = runNative([g, `${dir}/f`, ...args]);
    for (const env of [CLEAN_ENV, { ...CLEAN_ENV, UMLTS_TEST_HOST_FULL: '5' }]) {
      const r = runUmlts(['--mount', `${dir}:/rw`], [g, '/rw/f', ...args], { env });
      assert.equal(r.stdout, native.stdout, r.describe());
      assert.equal(r.code, 0, r.describe());
    }
    return native;
  } finally {
    rmScratch(dir);
  }
}

test('mmap, munmap, mprotect, mremap, madvise edge cases and errno values', () => {
  const g = buildGuest('mm_mmap');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /\ndone\n$/, 'the guest ran to the end natively');
  const r = runUmlts([], [g, 'low']);
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, 'mremap old_len 0 to 0x1000: EPERM\nmremap move to 0: EPERM\na touch below it: SIGSEGV\nalive: k\n', r.describe());
});

// process_vm_readv/writev were ENOSYS. The kernel copies through the target's page table: a copy-on-write page is
// copied for the write, and a child running guest code meanwhile sees it (the change is flushed through a stopped
// thread of it, or one is kicked)
for (const platform of ['systrap', 'ptrace']) {
  test(`process_vm_readv/writev: Linux's order of checks, partial transfers, copy-on-write pages of a stopped and a running child, EPERM, zombies (${platform})`, () => {
    const { native } = assertSameAsNative([buildGuest('process_vm', ['-pthread'])], ['--platform', platform]);
    assert.match(native.stdout, /^the running child saw the flag: y$/m);
  });
}

// found by a fuzzer: mincore over a huge range answered all of it in one allocation (an internal error for 2^46
// bytes); it answers a page of the vector at a time, EFAULT where the vector ends
test('mincore of a huge range into a one-page vector: EFAULT after the first page, as on Linux', () => {
  assertSameAsNative([buildGuest('mincore_range')], []);
});

// found comparing with the host kernel: mprotect over a hole changed nothing (Linux changes the VMAs before it),
// PROT_GROWSDOWN on any VMA was taken, an mremap shrink across VMAs was EFAULT, DONTUNMAP of the same size did not move
test('mprotect and mremap at the edges: partial changes before a hole, GROWSDOWN, shrinks across VMAs, DONTUNMAP, as on Linux', () => {
  assertSameAsNative([buildGuest('mm_edges')], []);
});

// found by a fuzzer after the above: a shrink past the top unmapped the stack, DONTUNMAP's hint went unchecked,
// a same-size FIXED move over VMAs was EFAULT, munmap and mprotect of whole VMAs failed at the map count limit
test('mprotect, mremap and mmap at the edges, part two: the top of the address space, DONTUNMAP hints, moves over VMAs, the map count limit, MAP_GROWSDOWN', () => {
  assertSameAsNative([buildGuest('mm_edges2')], [], { timeout: 60_000 });
});

// found by a fuzzer: a host pseudo filesystem's file is never mapped into a guest (ENODEV), even one the host
// would map (tracefs's ring buffer: mapped, a partial munmap the host refused killed the process)
test('mmap of a host sysfs or tracefs file: ENODEV, and the process goes on', () => {
  const g = buildGuest('mmap_pseudofs');
  assertSameAsNative([g], []);
  // the ring buffer is tracefs's, which not every boot mounts (these machines are root)
  if (!existsSync('/sys/kernel/tracing/per_cpu')) execFileSync('mount', ['-t', 'tracefs', 'tracefs', '/sys/kernel/tracing']);
  const r = runUmlts([], [g, 'trace']);
  assert.equal(r.code, 0, r.describe());
  assert.equal(r.stdout, 'open the ring buffer: OK\nmmap it: ENODEV\nalive\n', r.describe());
});

// found by a fuzzer: page-table walks over a huge reservation visited every page-table page of its range (a
// third of a second per call for 64 TiB); they visit the pages present. The default timeout is this test's bound.
test('200 rounds of mprotect, madvise, mremap and munmap of a 64 TiB reservation with three pages touched', () => {
  assertSameAsNative([buildGuest('mm_huge_reserve')], []);
});

test('brk and sbrk: growth, shrink, data preserved, refused moves', () => {
  const g = buildGuest('mm_brk');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /grow 1 MB: delta 1048576\n/);
});

test('512 MB sparse anonymous mapping touched here and there', () => {
  const g = buildGuest('mm_sparse');
  const { native } = assertSameAsNative([g]);
  assert.match(native.stdout, /values verified: 1\nuntouched bytes zero: 1\n/);
});

test('the mmap guest is deterministic natively (a flaky guest would make the differential test meaningless)', () => {
  const g = buildGuest('mm_mmap');
  assert.equal(runNative([g]).stdout, runNative([g]).stdout);
});

test('host file mappings: file writes show through, private copies, fork, dontneed, mremap, shared read-write, SIGBUS past the end', () => {
  const g = buildGuest('mm_filemap');
  const dir = makeScratch('filemap');
  try {
    const { native } = assertSameAsNative([g, dir], ['--mount', `${dir}:${dir}`]);
    assert.match(native.stdout, /after pwrite to the file: XYZ\n/, 'natively, an untouched private page shows the file');
    assert.match(native.stdout, /page past the end: SIGBUS, si_code 2, si_addr right: 1\n/);
    assert.match(native.stdout, /child's shared write: mapping C, file C\n/);
    assert.match(native.stdout, /open\(\) of a path across two pages of a file mapping: OK\n/);
    assert.match(native.stdout, /\ndone\n$/);
  } finally {
    rmScratch(dir);
  }
});

test('paths in file mappings: a program\'s rodata literal is read from the file once, a data file\'s as it is now', () => {
  const g = buildGuest('rodata_path');
  const dir = makeScratch('rodata');
  try {
    const { native, umlts } = assertSameAsNative([g, dir], ['--mount', `${dir}:${dir}`, '--stats']);
    assert.match(native.stdout, /opened: 50 of 50\n.*ENOENT 10 of 10\n.*mapping: null\n.*in place: zero\ndone\n$/s);
    // the 60 opens' literals lie in one or two pages of the program's image (mapped from the host file): the page
    // cache's frames, not a pread of the page at every call
    const hits = /cacheHits=(\d+)/.exec(umlts.stderr);
    assert.ok(hits, umlts.describe());
    assert.ok(Number(hits[1]) >= 55, `${hits[1]} page cache hits for 60 calls naming a rodata literal\n${umlts.stderr}`);
  } finally {
    rmScratch(dir);
  }
});

// exec in place keeps the old image's host mappings of the file where the new image maps it as it is (busybox's
// applets: no munmap and mmap of the text, no host fault per text page again): what the old image did there first
// (its copy of a rodata page, patched syscall sites, its own file mapped over its bss) never shows (UMLTS_SPIN=1:
// every thread polls, and a site is patched only in one that does)
test('exec of the same program keeps its text mapped: the new image sees its file, fresh data and a zeroed bss', () => {
  const { native, umlts } = assertSameAsNative([buildGuest('exec_keep')], ['--stats'], { env: { ...CLEAN_ENV, UMLTS_SPIN: '1' } });
  assert.match(native.stdout, /^plain: message "the file's own rodata", data "initialized data", bss sum 0$/m);
  assert.match(native.stdout, /^rodata-written: message "the file's own rodata", data "initialized data", bss sum 0$/m);
  assert.match(native.stdout, /^file-over-bss: message "the file's own rodata", data "initialized data", bss sum 0$/m);
  assert.match(native.stdout, /done\n$/);
  // each of the four execs took the old image's text and rodata mappings as they were
  const kept = /execKept=(\d+)/.exec(umlts.stderr);
  assert.ok(kept, umlts.describe());
  assert.ok(Number(kept[1]) >= 8, `${kept[1]} host mappings kept by 4 execs of the same program\n${umlts.stderr}`);
});

// the syscall table said MAP_SHARED file mappings were not written back (a note from before host files were mapped
// from the host and tmpfs pages shared): mapping, read/write and other processes' own mappings see one another
for (const where of ['host', 'tmpfs']) {
  test(`MAP_SHARED file mappings (${where}): read/write and the mapping see each other, another process's own mapping too, the bytes are in the file after munmap`, () => {
    const g = buildGuest('mmap_shared_file');
    const dir = makeScratch('mshared');
    try {
      // (tmpfs: umlts's /tmp is its own, the host's /tmp natively)
      const at = where === 'host' ? dir : '/tmp';
      const { native } = assertSameAsNative([g, at], where === 'host' ? ['--mount', `${dir}:${dir}`] : []);
      assert.match(native.stdout, /^child's own mapping sees the parent's write: parent$/m);
      assert.match(native.stdout, /^at 8202: grown$/m);
    } finally {
      rmScratch(dir);
    }
  });
}

// msync checked nothing but the range and wrote nothing back: a shared host file mapping's MS_SYNC now reaches the
// host's storage (vfs_fsync_range), a hole is what mm/msync.c makes of it, and a file with no fsync is EINVAL
test('msync: its checks, holes (MS_ASYNC stops at the first), MS_SYNC of a shared host file, memfd_secret EINVAL, as on Linux', () => {
  const dir = makeScratch('msync');
  try {
    const { native } = assertSameAsNative([buildGuest('msync'), dir], ['--mount', `${dir}:${dir}`]);
    assert.match(native.stdout, /^the file says: synced$/m);
    assert.match(native.stdout, /^a memfd_secret mapping, MS_SYNC +EINVAL$/m);
  } finally {
    rmScratch(dir);
  }
});

// RLIMIT_AS and RLIMIT_DATA were kept and reported but never enforced (ulimit -v did nothing)
test('RLIMIT_AS and RLIMIT_DATA: mmap, mremap and brk past them are ENOMEM, MAP_FIXED counts once, data is private writable only', () => {
  const { native } = assertSameAsNative([buildGuest('rlimit_as')], []);
  assert.match(native.stdout, /^AS 256 MiB: mmap 512 MiB: ENOMEM$/m);
  assert.match(native.stdout, /^DATA 64 MiB: private writable 128 MiB: ENOMEM$/m);
});

// RLIMIT_STACK was not looked at: every stack stopped at 32 MiB, the mmap area sat 136 MiB under the stack
// whatever the limit, and execve's budget was 2 MiB for arguments and environment each, checked together only
// after the point of no return (the process died)
test('RLIMIT_STACK: the stack grows to the limit and no further (RLIMIT_AS too), the limit at exec places mmap and sizes the argument budget', () => {
  const { native } = assertSameAsNative([buildGuest('rlimit_stack')], [], { timeout: 60_000 });
  assert.match(native.stdout, /^RLIMIT_STACK 100 MiB: overflow within the last MiB under the limit$/m);
  assert.match(native.stdout, /^ {2}new image: mmap in the lowest third of the address space: yes$/m);
  assert.match(native.stdout, /^ {2}exec with 1536 KiB of arguments and 1024 KiB of environment: Argument list too long$/m);
  assert.match(native.stdout, /^ {2}exec with 51 arguments: ran$/m);
  assert.match(native.stdout, /^ {2}exec with 3 arguments: ran\n {2}exec with one argument of 131072 bytes: Argument list too long\n {2}exec with one argument of 140000 bytes: Argument list too long$/m);
});

// mlock and its family said 0 to everything and kept nothing (VmLck 0, no RLIMIT_MEMLOCK, msync never EBUSY)
test('mlock, munlock, mlock2, mlockall, MAP_LOCKED: RLIMIT_MEMLOCK, CAP_IPC_LOCK, holes, flags, VmLck, fork, MS_INVALIDATE: as native', () => {
  const { native } = assertSameAsNative([buildGuest('mlock')], []);
  assert.match(native.stdout, /^mlock 64K \(48K of them locked: 64K\) +0$/m);
  assert.match(native.stdout, /^msync MS_INVALIDATE on locked pages +EBUSY$/m);
  assert.match(native.stdout, /^ {2}then mmap 128K +EAGAIN$/m);
});

test('program text and libraries are mapped from the host file, not read into memory', () => {
  // ls maps libc, libselinux, libpcre2 and its own text: about 500 pages.
  // Mapped directly, only the pages a write reaches (data segments, and the
  // last partial page of each text segment) are read.
  const r = runUmlts(['--stats'], ['/bin/ls', '/']);
  assert.equal(r.code, 0, r.describe());
  const m = /fileReadPages=(\d+)/.exec(r.stderr);
  assert.ok(m, `--stats prints fileReadPages\n${r.stderr}`);
  assert.ok(Number(m[1]) < 100, `ls read ${m[1]} file pages into memory (direct mappings would read a few dozen)`);
});

test('forked children writing scattered pages copy only those pages (no OOM under a small --mem)', () => {
  const g = buildGuest('cow_scatter');
  // 64 MiB inherited, 8 children writing every 8th page: 128 MiB in all as on Linux; copying the
  // neighbours of each written page too would need over 500 MiB
  const { native, umlts } = assertSameAsNative([g], ['--mem', '192M']);
  assert.match(native.stdout, /8 of 8; parent's pages unchanged: 1\n/);
  assert.doesNotMatch(umlts.stderr, /out of memory/);
});

test('a fork loop whose children and parent write the same pages: each side sees its own writes; copied ahead, no fault per fork', () => {
  const g = buildGuest('fork_copy_ahead');
  const { native, umlts } = assertSameAsNative([g], ['--stats']);
  assert.match(native.stdout, /^40 rounds, 0 bad\n$/);
  // 40 forks; the children write 8 bss pages and the parent 16 after each: a copy-on-write fault for each
  // would be hundreds. Copied ahead at the fork (the pages children wrote before, those the parent wrote),
  // only the first rounds fault.
  const m = /mm: faults=(\d+)/.exec(umlts.stderr);
  assert.ok(m, umlts.describe());
  assert.ok(Number(m[1]) < 80, `${m[1]} faults for 40 forks: the fork did not copy the written pages ahead\n${umlts.stderr}`);
});

test('a mapping written page after page: map-ahead grows to 2 MiB and the host prefaults it, a few dozen faults for 64 MiB', () => {
  const g = buildGuest('mm_stream');
  const { native, umlts } = assertSameAsNative([g], ['--stats']);
  assert.match(native.stdout, /^pages 16384 sum 2088960 nonzero 0\n$/);
  const faults = /mm: faults=(\d+)/.exec(umlts.stderr), pre = /prefaulted=(\d+)/.exec(umlts.stderr);
  assert.ok(faults && pre, umlts.describe());
  // windows of 16, 32, ... 512 pages: 16384 pages in about 40 faults (128 with a 512 KiB window, 1024 with none)
  assert.ok(Number(faults[1]) < 80, `${faults[1]} faults for 64 MiB written in order\n${umlts.stderr}`);
  assert.ok(Number(pre[1]) >= 16000, `only ${pre[1]} of 16384 pages prefaulted\n${umlts.stderr}`);
});

// physmem's dirty pool (src/mm/physmem.ts, sortDirty): frames freed by many processes interleave; a pool in
// pieces handed out a frame at a time, each its own host mapping (hostile_pages' flush race: 1.4 frames an
// allocation, 4x the flushes)
test('freed frames interleaved in the pool still come back in long runs (the pool sorts itself)', async () => {
  const { Physmem } = await import('../dist/mm/physmem.js');
  const pm = new Physmem(64 << 20, 0);
  // 64 runs of 16 frames, freed interleaved: frame i of every run, then frame i+1 of every run, ...
  const runs = [];
  for (let r = 0; r < 64; r++) {
    const f = pm.alloc(16);
    assert.equal(pm.allocCount, 16);
    runs.push(f);
  }
  for (let i = 0; i < 16; i++) for (const f of runs) pm.put(f + i);
  let frames = 0, calls = 0;
  while (frames < 64 * 16) {
    pm.alloc(16);
    frames += pm.allocCount;
    calls++;
  }
  // unsorted, every allocation is one frame (1024 calls); sorted after the first short ones, runs of 16
  assert.ok(calls < 128, `${calls} allocations for ${frames} frames`);
  assert.ok(pm.stats.poolSorts >= 1);
});

test('process_madvise and process_mrelease through pidfds: own ranges (DONTNEED drops), another process\'s (hints only, ptrace access), partial results, zombies, the checks in order', () => {
  const { native } = assertSameAsNative([buildGuest('process_madvise')]);
  assert.match(native.stdout, /^dropped: 1 1, kept: 1$/m);
  assert.match(native.stdout, /^second range over a hole: 4096$/m);
  assert.match(native.stdout, /^nobody, child, COLD: -1 EACCES$/m);
  assert.match(native.stdout, /^child exited 0; a zombie: madvise -1 ESRCH, mrelease -1 ESRCH$/m);
});

for (const platform of ['systrap', 'ptrace']) {
  test(`remap_file_pages: a shared file mapping's pages show other pages of the file (${platform})`, () => {
    const g = buildGuest('remap_file_pages');
    const { native } = assertSameAsNative([g], ['--platform', platform]);
    assert.match(native.stdout, /now: F B A B\nmaps: \[0,1\) rw-s off 5 \[1,2\) rw-s off 1 \[2,4\) rw-s off 0\n/);
    assert.match(native.stdout, /a write to the first page reached page 5 of the file: z\n/);
    assert.match(native.stdout, /shared mapping of a read-only fd: EINVAL\n/);
    assert.match(native.stdout, /\ndone\n$/);
  });
}

// filemap_fault's i_size check: a copied (not host-mapped) file mapping's page past the end of its file read as
// zeros (tmpfs files, a host file's pages after an eviction)
test('a file mapping\'s page wholly past the end of its file is SIGBUS (EFAULT for a syscall), on tmpfs, a host directory and after evictions', () => {
  const g = buildGuest('mmap_eof');
  const { native } = assertSameAsNative([g, '/tmp/mmap_eof.dat']);
  assert.match(native.stdout, /^ {2}page 1: SIGBUS, code BUS_ADRERR, at the address: yes$/m);
  assert.match(native.stdout, /^ {2}write\(2\) from page 1: EFAULT$/m);
  assert.match(native.stdout, /^MAP_PRIVATE\|MAP_POPULATE, a file of 5 bytes\n {2}page 0: read ok \(0\)\n {2}page 2: SIGBUS/m);
  assert.equal(sameInHostDir(g, 'mmap_eof').stdout, native.stdout);
});

// the access kind of a fault (the x86 error code): systrap's handler posts its host frame's (a write past a read-only
// file mapping's end is SIGSEGV, as on Linux); ptrace's siginfo has none, so there a write to a page the host has
// not mapped is taken as a read (README)
test('a fault\'s signal and its frame\'s error code say the access that raised it (ptrace: a write to a page the host has not mapped as a read)', () => {
  const g = buildGuest('fault_err');
  if (testPlatform() !== 'ptrace') {
    const { native } = assertSameAsNative([g]);
    assert.match(native.stdout, /^write, read-only page past the file's end: SIGSEGV code 2, write 1, fetch 0$/m);
    assert.match(native.stdout, /^jump, read-write page: SIGSEGV code 2, write 0, fetch 1$/m);
    return;
  }
  const native = runNative([g]);
  const expected = native.stdout
    .replace("past the file's end: SIGSEGV code 2, write 1", "past the file's end: SIGBUS code 2, write 0")
    .replace('write, PROT_NONE page: SIGSEGV code 2, write 1', 'write, PROT_NONE page: SIGSEGV code 2, write 0')
    .replace('write, nothing mapped: SIGSEGV code 1, write 1', 'write, nothing mapped: SIGSEGV code 1, write 0');
  assert.notEqual(expected, native.stdout);
  const r = runUmlts([], [g]);
  assert.equal(r.stdout, expected, r.describe());
});

// truncate_pagecache_range: a hole punched in a file (fallocate, MADV_REMOVE) reads as zeros through every mapping
// that shows the file, in every process, a page a private mapping wrote keeping what it wrote; memfd, tmpfs (on the
// heap and in a memfd), a host directory (its pages mapped by the host, or copied after evictions)
test('a hole punched under a file\'s mappings (fallocate PUNCH_HOLE, MADV_REMOVE): zeros in every mapping showing the file, on memfd, tmpfs and a host directory', () => {
  const g = buildGuest('mmap_punch');
  const mem = assertSameAsNative([g, 'memfd']).native;
  assert.match(mem.stdout, /^fallocate\(PUNCH_HOLE\|KEEP_SIZE, page 1 \+ 100, 2 pages - 50\): 0\n {2}shared: aa b0 00 0d d\n {2}private read-only: aa b0 00 0d d\n {2}private writable, page 2 \(written\): ww\n/m);
  assert.match(mem.stdout, /^ {2}child's private read-only, after: aa b0 00 0d d\n/m);
  assert.match(mem.stdout, /^madvise\(shared page 0, MADV_REMOVE\): 0\n {2}shared: 00 /m);
  assert.match(mem.stdout, /^fallocate\(PUNCH_HOLE\|KEEP_SIZE\), sealed: Operation not permitted$/m);
  assert.match(mem.stdout, /^ {2}mapping at 99, 100, 4195, 4196: p00p$/m);
  assert.match(mem.stdout, /MADV_REMOVE of page 1 \(status 0\): z 0$/m);
  assert.match(mem.stdout, /^madvise\(SysV shm page 1, MADV_REMOVE\): 0\n {2}v 0$/m);
  const { native: inTmp } = assertSameAsNative([g, '/tmp/mmap_punch.dat']);
  // a host file's: a writable private mapping's page only read shows the hole too (it is the page cache's); on
  // ptrace not after evictions (a fault at a page whose host mapping went is taken as a write there: README)
  const dir = makeScratch('mmap_punch');
  try {
    const native = runNative([g, `${dir}/f`, 'unwritten']);
    assert.match(native.stdout, /^ {2}private writable: aa b0 ww 0d d$/m);
    const r = runUmlts(['--mount', `${dir}:/rw`], [g, '/rw/f', 'unwritten']);
    assert.equal(r.stdout, native.stdout, r.describe());
    assert.equal(r.code, 0, r.describe());
    const ptrace = testPlatform() === 'ptrace';
    const full = runUmlts(['--mount', `${dir}:/rw`], [g, '/rw/f', ...(ptrace ? [] : ['unwritten'])], { env: { ...CLEAN_ENV, UMLTS_TEST_HOST_FULL: '5' } });
    assert.equal(full.stdout, ptrace ? inTmp.stdout : native.stdout, full.describe());
    assert.equal(full.code, 0, full.describe());
    // on a host noexec mount a private mapping's pages are copied (through the page cache), not the host's
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'noexec', 'tmpfs', dir]);
    try {
      assert.equal(runNative([g, `${dir}/f`, 'unwritten']).stdout, native.stdout);
      const r = runUmlts(['--mount', `${dir}:/nx`], [g, '/nx/f', 'unwritten']);
      assert.equal(r.stdout, native.stdout, r.describe());
      assert.equal(r.code, 0, r.describe());
    } finally {
      execFileSync('umount', [dir]);
    }
  } finally {
    rmScratch(dir);
  }
});

// found in review: the kernel's own write (read(2), a futex op) into a private page never touched went into the
// page cache's frame, which every mapping of the host file shares: the next mapping saw it
test('the kernel\'s writes into a fresh private page of a host file take a copy: other mappings of the file still show the file', () => {
  const g = buildGuest('cache_cow');
  const native = sameInHostDir(g, 'cache_cow');
  assert.match(native.stdout, /^read\(2\) into a fresh private page: 8, it holds 'X'$/m);
  assert.match(native.stdout, /^the first mapping: 'o' 'o'; a later one: 'o' 'o'; a read-only one: 'o' 'o'$/m);
});

// vfs_fallocate's checks (one mode at most, KEEP_SIZE as each allows, before the access mode), shmem_fallocate's
// (PUNCH_HOLE only, F_SEAL_GROW even with KEEP_SIZE) and the host's
test('fallocate\'s modes and their errors: tmpfs, memfd seals and a host directory as on Linux', () => {
  const g = buildGuest('fallocate_modes');
  const { native } = assertSameAsNative([g, '/dev/shm/fallocate_modes.dat']);
  assert.match(native.stdout, /^read-only, mode 0x40: Bad file descriptor$/m);
  assert.match(native.stdout, /^read-only, mode 0x81: Operation not supported$/m);
  assert.match(native.stdout, /^memfd sealed against growth, KEEP_SIZE past the end: Operation not permitted$/m);
  const dir = makeScratch('fallocate_modes');
  try {
    const host = runNative([g, `${dir}/f`]);
    const r = runUmlts(['--mount', `${dir}:/rw`], [g, '/rw/f']);
    assert.equal(r.stdout, host.stdout, r.describe());
  } finally {
    rmScratch(dir);
  }
});

// truncate_pagecache: a file shrunk under its mappings takes their pages past the new end with it, copies the
// guest wrote included, in every process that maps it (a copied mapping kept them readable)
test('a file shrunk under its mappings: pages past the new end are SIGBUS in every mapping, on tmpfs, a host directory and after evictions', () => {
  const g = buildGuest('mmap_shrink');
  // (on ptrace another process's thread running guest code sees the shrink at its next stop, not at once: the
  // guest makes a system call there first)
  const ways = testPlatform() === 'ptrace' ? ['stopped'] : [];
  const { native } = assertSameAsNative([g, '/tmp/mmap_shrink.dat', ...ways]);
  assert.match(native.stdout, /^MAP_PRIVATE, PROT_READ: .*\n(?:.*\n){7} {2}page 1, byte 200 \(past the end\): reads '0'\n {2}page 2: SIGBUS\n/m);
  assert.match(native.stdout, /^MAP_PRIVATE, PROT_READ\|PROT_WRITE: .*\n(?:.*\n){5} {2}page 1, byte 10: reads 'w'\n {2}page 1, byte 50: reads 'b'\n {2}page 1, byte 200 \(past the end\): reads 'b'\n {2}page 2: SIGBUS\n/m);
  assert.match(native.stdout, /^a child's MAP_PRIVATE mapping \(page 2 written\).*\n {2}child: page 0: reads 'a'\n {2}child: page 1: SIGBUS\n {2}child: page 2: SIGBUS\n {2}child exit status 0$/m);
  assert.match(native.stdout, /^a child's MAP_PRIVATE mapping, the file shrunk by its parent: open\(O_TRUNC\)\n {2}child: page 0: SIGBUS$/m);
  assert.equal(sameInHostDir(g, 'mmap_shrink', ways).stdout, native.stdout);
});

// madvise_vma_behavior and dup_mmap: MADV_WIPEONFORK's pages are zeros in a child (and its child: the flag stays
// with the VMA), MADV_DONTFORK's VMA is not in the child at all (anonymous, shared, a file's), KEEPONFORK and DOFORK
// undo them on part of a VMA; FREE, DONTNEED, DONTNEED_LOCKED, POPULATE_* and COLLAPSE refuse what Linux refuses
test('madvise: fork flags (WIPEONFORK, DONTFORK and their undoing), FREE/DONTNEED/POPULATE checks, as on Linux', () => {
  const g = buildGuest('madvise_modes');
  const { native } = assertSameAsNative([g, '/dev/shm/madvise_modes.dat']);
  assert.match(native.stdout, /^child: wipe: ""\n/m);
  assert.match(native.stdout, /^grandchild: wipe: ""\n/m);
  assert.match(native.stdout, /^child: dontFile: SIGSEGV\n/m);
  assert.match(native.stdout, /^child: split page 1 \(DONTFORK then DOFORK\): "page1"\n/m);
  assert.match(native.stdout, /^DONTNEED locked: Invalid argument\nlocked byte: 76\n/m);
  assert.match(native.stdout, /^POPULATE_READ past the end: Bad address\n/m);
  // a host file's pages are the host's own mappings in a fork's copy of the host process: gone with the VMA
  sameInHostDir(g, 'madvise_modes');
});

// write(2) and copy_file_range into a host or tmpfs file reach its private mappings' pages that show the file (the
// page cache's, which Linux maps until a write copies it: filemap_fault), read or mapped ahead alike; the process's
// own copies keep theirs
test('a private mapping of a host or tmpfs file shows later writes to the file where the process did not write', () => {
  const g = buildGuest('mmap_written');
  assertSameAsNative([g, '/dev/shm/mmap_written.dat']);
  const dir = makeScratch('mmap_written');
  try {
    const native = runNative([g, `${dir}/f`]);
    assert.match(native.stdout, /^writable: page 1 7, page 2 \(read\) 7, page 5 \(written\) 1, page 9 7$/m);
    assert.match(native.stdout, /^copy_file_range 4: page 12 9$/m);
    for (const full of ['0', '5']) {
      const r = runUmlts(['--mount', `${dir}:/rw`], [g, '/rw/f'], { env: { ...CLEAN_ENV, UMLTS_TEST_HOST_FULL: full } });
      // (on ptrace a page touched again after an eviction is taken as written, and keeps its bytes: README)
      const want = testPlatform() === 'ptrace' && full === '5'
        ? native.stdout.replace('across pages 2 and 3: 3 8 8', 'across pages 2 and 3: 3 3 8') : native.stdout;
      assert.equal(r.stdout, want, r.describe());
    }
  } finally {
    rmScratch(dir);
  }
});
