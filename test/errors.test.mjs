// Bad input: one line on stderr, a non-zero exit, never a stack trace, and no
// host process left behind.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BUSYBOX, runUmlts, runNative, assertOneLineError, assertNoLeftovers, makeScratch, rmScratch } from './lib.mjs';

let dir;
before(() => { dir = makeScratch('errors'); });
after(() => rmScratch(dir));
afterEach(() => assertNoLeftovers());

/** Write a file into the scratch folder with the given mode; returns its path. */
function put(name, content, mode = 0o755) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  fs.chmodSync(p, mode);
  return p;
}

const elf = () => fs.readFileSync(BUSYBOX);

test('missing program: 127', () => {
  assertOneLineError(runUmlts([], ['/nonexistent/program']), 127);
  assertOneLineError(runUmlts([], [path.join(dir, 'no-such-file')]), 127);
});

test('not executable: 126', () => {
  const p = put('not-executable', elf(), 0o644);
  assertOneLineError(runUmlts([], [p]), 126);
});

test('a directory as the program: 126', () => {
  assertOneLineError(runUmlts([], ['/usr']), 126);
});

test('a text file that is not an ELF', () => {
  const p = put('text', 'this is not an ELF file\njust text\n');
  assertOneLineError(runUmlts([], [p]));
});

test('an empty file', () => {
  assertOneLineError(runUmlts([], [put('empty', '')]));
});

test('a truncated ELF (its first 100 bytes)', () => {
  const p = put('truncated', elf().subarray(0, 100));
  assertOneLineError(runUmlts([], [p]));
});

test('a truncated ELF (header and program headers, no segments)', () => {
  const p = put('truncated-4k', elf().subarray(0, 4096));
  assertOneLineError(runUmlts([], [p]));
});

test('a corrupt ELF: garbage program headers', () => {
  const b = Buffer.from(elf().subarray(0, 64 * 1024));
  const phoff = Number(b.readBigUInt64LE(32));
  const phnum = b.readUInt16LE(56);
  let x = 0x12345678;
  for (let i = phoff; i < phoff + phnum * 56; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
  assertOneLineError(runUmlts([], [put('garbage-phdrs', b)]));
});

test('a corrupt ELF: program headers beyond the end of the file', () => {
  const b = Buffer.from(elf().subarray(0, 4096));
  b.writeBigUInt64LE(0xfffffffff000n, 32); // e_phoff
  assertOneLineError(runUmlts([], [put('phoff-beyond', b)]));
});

test('a corrupt ELF: e_phnum absurd', () => {
  const b = Buffer.from(elf().subarray(0, 4096));
  b.writeUInt16LE(0xffff, 56);
  assertOneLineError(runUmlts([], [put('phnum-absurd', b)]));
});

test('a corrupt ELF: PT_LOAD with p_filesz > p_memsz and an offset beyond the file', () => {
  const b = Buffer.from(elf());
  const phoff = Number(b.readBigUInt64LE(32));
  const phnum = b.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * 56;
    if (b.readUInt32LE(o) === 1) { // PT_LOAD
      b.writeBigUInt64LE(0x7fffffff0000n, o + 8); // p_offset
      b.writeBigUInt64LE(0x100000n, o + 32); // p_filesz
      b.writeBigUInt64LE(0x1000n, o + 40); // p_memsz
      break;
    }
  }
  assertOneLineError(runUmlts([], [put('bad-load', b)]));
});

// a writable PT_LOAD far larger than memory (its bss): the overcommit heuristic refuses it, as the guest's own mmap
// of that size; exec'd by a guest, the process dies past the point of no return (SIGSEGV), as on Linux
test('a corrupt ELF: a bss larger than all memory', () => {
  const b = Buffer.from(elf());
  const phoff = Number(b.readBigUInt64LE(32));
  const phnum = b.readUInt16LE(56);
  let last = -1;
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * 56) === 1 && b.readUInt32LE(phoff + i * 56 + 4) & 2) last = phoff + i * 56;
  assert.ok(last >= 0, 'a writable PT_LOAD in busybox');
  b.writeBigUInt64LE(1n << 44n, last + 40); // p_memsz: 16 TiB
  const p = put('huge-bss', b);
  assertOneLineError(runUmlts([], [p]));
  const script = `${p}; echo status $?`;
  const native = runNative([BUSYBOX, 'sh', '-c', script]);
  assert.equal(native.stdout, 'status 139\n', native.describe());
  const r = runUmlts(['--mount', `${dir}:${dir}`], [BUSYBOX, 'sh', '-c', script]);
  assert.equal(r.stdout, native.stdout, r.describe());
});

test('an aarch64 ELF', () => {
  const b = Buffer.from(elf().subarray(0, 64 * 1024));
  b.writeUInt16LE(183, 18); // e_machine = EM_AARCH64
  assertOneLineError(runUmlts([], [put('aarch64', b)]));
});

test('an i386 ELF (ELFCLASS32, EM_386)', () => {
  // A minimal 32-bit executable header: 52 bytes, one PT_LOAD.
  const b = Buffer.alloc(4096);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]).copy(b, 0);
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(3, 18); // EM_386
  b.writeUInt32LE(1, 20); // EV_CURRENT
  b.writeUInt32LE(0x08048054, 24); // e_entry
  b.writeUInt32LE(52, 28); // e_phoff
  b.writeUInt16LE(52, 40); // e_ehsize
  b.writeUInt16LE(32, 42); // e_phentsize
  b.writeUInt16LE(1, 44); // e_phnum
  b.writeUInt32LE(1, 52); // PT_LOAD
  b.writeUInt32LE(0x08048000, 60); // p_vaddr
  b.writeUInt32LE(4096, 68); // p_filesz
  b.writeUInt32LE(4096, 72); // p_memsz
  b.writeUInt32LE(5, 76); // PF_R|PF_X
  assertOneLineError(runUmlts([], [put('i386', b)]));
});

test('a big-endian ELF', () => {
  const b = Buffer.from(elf().subarray(0, 64 * 1024));
  b[5] = 2; // ELFDATA2MSB
  assertOneLineError(runUmlts([], [put('big-endian', b)]));
});

test('a relocatable object (ET_REL)', () => {
  const b = Buffer.from(elf());
  b.writeUInt16LE(1, 16); // ET_REL: not executable
  assertOneLineError(runUmlts([], [put('et-rel', b)]));
});

test('a script whose interpreter is missing', () => {
  assertOneLineError(runUmlts([], [put('script', '#!/nonexistent/interpreter\necho hi\n')]));
});

test('bad flag', () => {
  assertOneLineError(runUmlts(['--bogus'], [BUSYBOX, 'true']));
  assertOneLineError(runUmlts(['run', '--bogus', '--', BUSYBOX, 'true'], [], { raw: true }));
});

test('unknown command', () => {
  assertOneLineError(runUmlts(['frobnicate'], [], { raw: true }));
});

test('bad size', () => {
  assertOneLineError(runUmlts(['--mem', '12q'], [BUSYBOX, 'true']));
  assertOneLineError(runUmlts(['--mem', ''], [BUSYBOX, 'true']));
  assertOneLineError(runUmlts(['--mem', '-1G'], [BUSYBOX, 'true']));
});

test('bad --cpus', () => {
  assertOneLineError(runUmlts(['--cpus', 'zero'], [BUSYBOX, 'true']));
  assertOneLineError(runUmlts(['--cpus', '0'], [BUSYBOX, 'true']));
});

test('bad --env (no =)', () => {
  assertOneLineError(runUmlts(['--env', 'NOEQUALS'], [BUSYBOX, 'true']));
});

test('missing --root folder', () => {
  assertOneLineError(runUmlts(['--root', '/nonexistent-root-dir'], [BUSYBOX, 'true']));
});

test('missing --cwd folder', () => {
  assertOneLineError(runUmlts(['--cwd', '/nonexistent-dir'], [BUSYBOX, 'true']));
});

test('no program after --', () => {
  assertOneLineError(runUmlts(['run', '--'], [], { raw: true }));
});

test('good input still runs (the error tests are not passing by accident)', () => {
  const r = runUmlts(['--mem', '256M', '--cpus', '1'], [BUSYBOX, 'echo', 'ok']);
  assert.equal(r.stdout, 'ok\n', r.describe());
  assert.equal(r.code, 0, r.describe());
});
