// Hostile guests (issue 8, DESIGN.md's security rule): guests that know every
// byte of the stub, control every register and race threads, run in a
// `--root` jail that holds nothing but their own static binaries, with no
// writable mount. Each attack runs in a forked child and the guest prints
//   attack NAME: OUTCOME
// for it (test/guests/hostile.h). For every guest run this file checks:
//  - every attack ended at guest level: a signal (SIGSEGV, SIGTRAP, SIGSYS,
//    SIGKILL ...) or an errno name — never "returned" into guest code, "OK"
//    for a call that must fail, or a report that a store or filter went
//    through;
//  - no marker file appeared on the host (paths outside the jail: one in
//    another scratch directory, one next to the jail) — a host system call
//    with a guest-chosen argument would have created it;
//  - the canary sibling's private page was neither found through physmem
//    nor changed;
//  - the kernel went on: no "kernel error", the guest's parent printed
//    "done" and umlts exits with its status 0;
//  - no guest host process outlived umlts.
// Under umlts only: natively there is no stub to attack.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, buildGuest, runUmlts, makeScratch, rmScratch, assertNoLeftovers } from './lib.mjs';

afterEach(() => assertNoLeftovers());

const PTHREAD = ['-pthread'];
/** a hostile guest run must stay well under this: the limit is for a hung run, not
 * speed. hostile_pages, the slowest, takes ~15 s on an idle 2-core machine of this
 * kind (its flush race: ~190 forks, each child and the parent churning 256-page
 * mappings); it took 45-70 s, and over 90 s on a busier CI machine, while
 * physmem's pool of freed frames handed them out one at a time (sortDirty) */
const RUN_TIMEOUT_MS = 120_000;

/** The stub's symbols as `name=hexaddr` arguments: whatever build/native/stub.syms lists. */
function stubSymbols() {
  const file = path.join(ROOT, 'build', 'native', 'stub.syms');
  const text = fs.readFileSync(file, 'utf8');
  const out = [];
  for (const line of text.split('\n')) {
    const [name, addr] = line.trim().split(/\s+/);
    if (name && addr && /^(0x)?[0-9a-f]+$/i.test(addr)) out.push(`${name}=${addr}`);
  }
  assert.ok(out.length > 0, `no symbols in ${file}`);
  return out;
}

/** Entry points and trap sites of the stub (the new design's names and the
 * old ones): reaching one of these must end in a signal. Other symbols are
 * helpers the stub runs at start-up (stub_main, parse_u64, die ...): jumping
 * into one may also end in the exit_group it calls. */
const STUB_ENTRIES = new Set([
  'stub_run_batch', 'stub_batch_syscall', 'stub_batch_trap', 'stub_clone_thread', 'stub_clone_syscall',
  'stub_clone_trap', 'stub_thread_trap', 'stub_waker_loop', 'stub_waker_trap',
  'stub_segv_handler', 'stub_segv_trap', 'stub_sigreturn', 'stub_restorer',
]);

/** A guest-level end: a signal, or an errno name the child reported. */
const GUEST_LEVEL = /^(SIG[A-Z0-9]+|E[A-Z0-9]+|errno\d+)(\s|$)/;
/** Also guest-level: stub code that the kernel emulated all the way to an
 * rt_sigreturn into one of our forged frames (the guest's mask changed as
 * the frame said, so the kernel, not the host, restored it). A return
 * through a HOST rt_sigreturn, or by a plain `ret`, is not. */
const KERNEL_SIGRETURN = /^exit 42 \(returned into guest code through the kernel's rt_sigreturn: .*canary found 0\)$/;

/**
 * Build guest `name`, put it alone in a fresh jail, run it under umlts with
 * markers outside the jail, and check everything that must hold for any
 * hostile run, then `check(out, attacks, problem)` for the guest's own
 * expectations. Every problem found is reported, not just the first.
 */
function runHostile(name, { acceptExtra = () => false, check = () => {} } = {}) {
  const bin = buildGuest(name, PTHREAD);
  const jail = makeScratch(`jail-${name}`);
  const other = makeScratch(`outside-${name}`);
  // host paths outside the jail: in another scratch directory, and next to the jail
  const markers = [path.join(other, 'marker'), `${jail}-marker`];
  try {
    fs.copyFileSync(bin, path.join(jail, name));
    fs.chmodSync(path.join(jail, name), 0o755);
    const t0 = Date.now();
    const r = runUmlts(['--root', jail], [`/${name}`, ...markers, 'SYMS', ...stubSymbols()], { timeout: RUN_TIMEOUT_MS });
    const secs = (Date.now() - t0) / 1000;
    const out = r.stdout;
    const attacks = [];
    for (const line of out.split('\n')) {
      const m = /^attack (.*?): (.*)$/.exec(line);
      if (m) attacks.push({ name: m[1], outcome: m[2] });
    }
    process.stderr.write(`# ${name}: ${attacks.length} attacks in ${secs.toFixed(1)} s\n`);
    const problems = [];
    const problem = (what) => problems.push(what);
    // the host: no marker, whatever else happened
    for (const m of markers) {
      if (fs.existsSync(m)) problem(`the marker ${m} exists on the host: a host system call ran with a guest-chosen argument`);
    }
    // the kernel went on
    const kerr = /^.*kernel error.*$/m.exec(r.stderr);
    if (kerr) problem(`the kernel died: ${kerr[0]}`);
    if (r.timedOut) problem(`umlts did not finish in ${RUN_TIMEOUT_MS} ms`);
    // each attack: a guest-level outcome
    for (const a of attacks) {
      if (!GUEST_LEVEL.test(a.outcome) && !KERNEL_SIGRETURN.test(a.outcome) && !acceptExtra(a)) {
        problem(`not a guest-level end: attack ${a.name}: ${a.outcome}`);
      }
    }
    // other guests' memory
    const c = /^canary: found (\d+), overwritten (\d+), sibling page unchanged (\w+)$/m.exec(out);
    if (!c) problem('no canary line: the run did not get to the canary sibling\'s check');
    else {
      if (Number(c[1]) !== 0) problem(`an attacker found the canary sibling's page through physmem (${c[1]} times)`);
      if (Number(c[2]) !== 0) problem(`an attacker overwrote the canary sibling's page (${c[2]} times)`);
      if (c[3] !== 'true') problem('the canary sibling\'s page changed');
    }
    // the guest's parent finished, and umlts exits with its status
    if (!/\ndone\n$/.test(out)) problem('the guest\'s parent did not finish (no "done")');
    if (r.code !== 0) problem(`umlts exited with ${r.code}, not the guest's status 0`);
    if (attacks.length === 0) problem('no attack ran');
    if (!/^# code page readable: [1-9]\d* syscall sites/m.test(out)) problem('the guest did not find the stub\'s syscall instructions');
    // the guest's own checks, when it got to the end (else they would only repeat that it did not)
    if (/\ndone\n$/.test(out)) check(out, attacks, problem);
    const ctx = `\n--- stdout (last 40 lines) ---\n${out.split('\n').slice(-40).join('\n')}\n${r.describe()}`;
    if (problems.length > 0) {
      const shown = problems.slice(0, 40).map((p) => `  - ${p}`).join('\n');
      assert.fail(`${name}: ${problems.length} problem(s):\n${shown}${problems.length > 40 ? `\n  ... and ${problems.length - 40} more` : ''}${ctx}`);
    }
    return { out, attacks };
  } finally {
    rmScratch(jail);
    rmScratch(other);
    for (const m of markers) fs.rmSync(m, { force: true });
  }
}

// The host's vDSO that every stub keeps (STUB_HOST_VDSO) is guest code's to run: each syscall instruction in it,
// jumped to with write(1, "X", 1) in the registers, writes for the guest (emulated); had the stub run it, nothing
// would be written (a stub has no fd 1).
test('jumps to every syscall instruction of the host vDSO the stub keeps: each is the guest\'s, emulated', async () => {
  const { STUB_HOST_VDSO } = await import('../dist/platform/stub_layout.js');
  const { hostVdso } = await import('../dist/host/vdso.js');
  // where the stub puts the host's vDSO code: its offset in the layout (this process's, the same host kernel's)
  const spec = hostVdso()?.spec.split(',').map(Number);
  assert.ok(spec, 'this host gives its processes no vDSO');
  const bin = buildGuest('hostile_vdso');
  const r = runUmlts([], [bin, String(STUB_HOST_VDSO + spec[0]), String(spec[spec.length - 1])], { timeout: RUN_TIMEOUT_MS });
  assert.equal(r.code, 0, r.describe());
  assert.doesNotMatch(r.stderr, /kernel error/, r.describe());
  assert.match(r.stdout, /^syscall sites in the host's vDSO: [1-9]\d*, each wrote for the guest: yes$/m, r.describe());
});

test('jump, call and ret into every stub symbol, every syscall and int3 byte, with crafted registers, racing flushes, and secret guesses', () => {
  const names = stubSymbols().map((x) => x.split('=')[0]);
  const helpers = new Set(names.filter((n) => !STUB_ENTRIES.has(n)));
  runHostile('hostile_jump', {
    // code of a stub helper (not an entry point or trap site) may end in the
    // helper's own exit_group, which the kernel emulates
    acceptExtra: (a) => {
      const m = /^(?:jmp|call|ret) (?:(?:syscall|int3 byte) at ([\w.]+)\+0x[0-9a-f]+ |([\w.]+) \[)/.exec(a.name);
      return m !== null && helpers.has(m[1] ?? m[2]) && /^exit \d+$/.test(a.outcome);
    },
    check: (out, attacks, problem) => {
      // every symbol was attacked by jmp, call and ret, and from a racing thread
      for (const n of names) {
        for (const how of ['jmp', 'call', 'ret']) {
          if (!attacks.some((a) => a.name.startsWith(`${how} ${n} [`))) problem(`no ${how} to ${n}`);
        }
        if (!attacks.some((a) => a.name.startsWith(`jmp ${n} [`) && a.name.endsWith('racing a flushing thread'))) {
          problem(`no jump to ${n} racing a flushing thread`);
        }
      }
      if (!attacks.some((a) => /^jmp syscall at /.test(a.name))) problem('no syscall site attacked');
      if (!attacks.some((a) => /^jmp int3 byte at /.test(a.name))) problem('no int3 site attacked');
      if (attacks.filter((a) => / guess 0x/.test(a.name)).length < 40) problem('too few secret guesses');
    },
  });
});

test('the stub\'s syscall instructions with every interesting system call number and hostile arguments', () => {
  runHostile('hostile_sysnr', {
    check: (out, attacks, problem) => {
      for (const what of ['mmap fd 3 at offset 0', 'mmap fd 3 at offset 0x4000000', 'openat marker 0 O_CREAT|O_WRONLY',
        'open marker 1 O_CREAT|O_WRONLY', 'close 3 (physmem)', 'clone a thread (the old stub\'s flags)', 'clone fork-like',
        'clone CLONE_VM without CLONE_THREAD', 'rt_sigreturn with a forged frame', 'sigaltstack on the batch page',
        'execve a host shell', 'ptrace TRACEME', 'prctl SET_SECCOMP strict', 'seccomp SET_MODE_FILTER allow-all TSYNC',
        'munmap the code page', 'mprotect the batch page rw']) {
        for (const where of ['runner syscall', 'runner syscall after a syscall', 'clone syscall']) {
          if (!attacks.some((a) => a.name === `${where}, ${what}`)) problem(`no attack "${where}, ${what}"`);
        }
      }
    },
  });
});

test('stores into the stub pages from racing threads, syscalls towards the stub and TASK_SIZE, forged fault records, a raced flush', () => {
  runHostile('hostile_pages', {
    // an mmap hint at the stub may succeed, elsewhere; the flush race's store count is checked below
    acceptExtra: (a) => (/^mmap hint at the (batch|code) page$/.test(a.name) && a.outcome === 'placed below TASK_SIZE') ||
      (a.name === 'flush race' && /^batch page stores from B while A churns: SIGSEGV \((\d+) of \1 faulted\)$/.test(a.outcome)),
    check: (out, attacks, problem) => {
      // the stores: each child died of its first one
      const stores = attacks.filter((a) => a.name.startsWith('store '));
      if (stores.length < 14) problem(`only ${stores.length} store attacks`);
      for (const a of stores) {
        // (other outcomes are reported above already)
        if (a.outcome !== 'SIGSEGV' && GUEST_LEVEL.test(a.outcome)) problem(`a store into the stub range must be a SIGSEGV: ${a.name}: ${a.outcome}`);
      }
      // the mapping calls: an errno each
      for (const a of attacks.filter((x) => /^(mprotect|munmap|mmap MAP_FIXED|mremap|madvise|mlock|msync|mincore|brk)/.test(x.name))) {
        if (!/^E[A-Z0-9]+$/.test(a.outcome)) problem(`must fail with an errno: ${a.name}: ${a.outcome}`);
      }
      if (!/^attack mmap hint at the batch page: placed below TASK_SIZE$/m.test(out)) problem('an mmap hint at the batch page was not placed below TASK_SIZE');
      if (!/^# code page unchanged: true$/m.test(out)) problem('the code page changed (or was not checked)');
      if (!/^attack flush race: batch page stores from B while A churns: SIGSEGV \((\d+) of \1 faulted\)$/m.test(out)) {
        problem('stores into the batch page during flushes did not all fault (or were not tried)');
      }
      if (!attacks.some((a) => a.name.startsWith('flush race ('))) problem('no flush-race jumps');
      if (attacks.filter((a) => a.name.startsWith('forge the fault record')).length < 10) problem('no fault-record forgeries');
    },
  });
});

test('sigreturn frames, blocked and ignored signals, sigaltstack, guest seccomp, ptrace, clone flags, i386/x32 entries, vsyscall', () => {
  runHostile('hostile_misc', {
    // time(NULL) through the vsyscall page is a time (Linux emulates the page), or a signal
    acceptExtra: (a) => a.name === 'vsyscall time(NULL)' && /^returned \d+$/.test(a.outcome),
    check: (out, attacks, problem) => {
      // the spinning child with every signal blocked was still ended by SIGKILL, and reaped
      const spin = attacks.find((a) => a.name.startsWith('block every signal and spin'));
      if (!spin || !/^SIGKILL/.test(spin.outcome)) problem(`the spinning child with every signal blocked was not SIGKILLed: ${spin?.outcome}`);
      for (const prefix of ['rt_sigreturn', 'sigaltstack', 'seccomp', 'ptrace', 'clone', 'int 0x80', 'compat mode', 'x32', 'vsyscall', 'exec an ELF']) {
        if (!attacks.some((a) => a.name.startsWith(prefix))) problem(`no ${prefix} attack`);
      }
      // an image outside the guest's range is the loader's to refuse (SIGSEGV), never the stub's filter's (SIGSYS)
      for (const a of attacks.filter((x) => x.name.startsWith('exec an ELF'))) {
        if (!/^SIGSEGV/.test(a.outcome)) problem(`${a.name}: ${a.outcome}, not SIGSEGV`);
      }
    },
  });
});
