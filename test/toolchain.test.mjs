// Real toolchains under umlts (issue 3): gcc's whole pipeline (gcc -> cc1 ->
// as -> collect2 -> ld), make on a three-file project, perl, python3, bash.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runUmlts, assertNoLeftovers, makeScratch as scratchDir } from './lib.mjs';

after(() => assertNoLeftovers());

const have = (p) => fs.existsSync(p);

function project() {
  const dir = scratchDir('toolchain');
  fs.writeFileSync(path.join(dir, 'main.c'), '#include <stdio.h>\nint add(int, int);\nint mul(int, int);\nint main(void) { printf("sum=%d product=%d\\n", add(2, 3), mul(4, 5)); return 0; }\n');
  fs.writeFileSync(path.join(dir, 'add.c'), 'int add(int a, int b) { return a + b; }\n');
  fs.writeFileSync(path.join(dir, 'mul.c'), 'int mul(int a, int b) { return a * b; }\n');
  fs.writeFileSync(path.join(dir, 'Makefile'), 'prog: main.o add.o mul.o\n\tcc -o prog main.o add.o mul.o\n%.o: %.c\n\tcc -c $< -o $@\n');
  return dir;
}

test('gcc compiles and links a C program under umlts, and the result runs', { skip: !have('/usr/bin/gcc') && 'no gcc' }, () => {
  const dir = project();
  const r = runUmlts(['--mount', `${dir}:/work`, '--cwd', '/work'], ['/usr/bin/gcc', '-o', 'hello', 'main.c', 'add.c', 'mul.c'], { timeout: 120000 });
  assert.equal(r.code, 0, r.describe());
  const run = spawnSync(path.join(dir, 'hello'), { encoding: 'utf8' });
  assert.equal(run.stdout, 'sum=5 product=20\n');
  // and the compiled program runs under umlts too
  const r2 = runUmlts(['--mount', `${dir}:/work`], ['/work/hello']);
  assert.equal(r2.stdout, 'sum=5 product=20\n', r2.describe());
});

test('make builds a three-file project', { skip: !have('/usr/bin/make') && 'no make' }, () => {
  const dir = project();
  const r = runUmlts(['--mount', `${dir}:/work`, '--cwd', '/work'], ['/usr/bin/make'], { timeout: 120000 });
  assert.equal(r.code, 0, r.describe());
  assert.match(r.stdout, /cc -c main\.c -o main\.o/);
  assert.match(r.stdout, /cc -o prog main\.o add\.o mul\.o/);
  const run = spawnSync(path.join(dir, 'prog'), { encoding: 'utf8' });
  assert.equal(run.stdout, 'sum=5 product=20\n');
});

test('perl -e one-liner', { skip: !have('/usr/bin/perl') && 'no perl' }, () => {
  const r = runUmlts([], ['/usr/bin/perl', '-e', 'my %h = map { $_ => $_ * $_ } 1..5; print join(",", map { "$_=$h{$_}" } sort keys %h), "\\n"']);
  assert.equal(r.stdout, '1=1,2=4,3=9,4=16,5=25\n', r.describe());
});

test('python3 -c one-liner', () => {
  const py = ['/usr/bin/python3', '/usr/local/bin/python3'].find(have);
  if (!py) return;
  const r = runUmlts([], [py, '-c', 'import json, hashlib; print(json.dumps({"x": [1, 2, 3]}), hashlib.sha256(b"abc").hexdigest()[:16])'], { timeout: 60000 });
  assert.match(r.stdout, /^\{"x": \[1, 2, 3\]\} ba7816bf8f01cfea\n$/, r.describe());
});

test('bash: trap, here-document, command substitution, pipelines, background jobs and wait', { skip: !have('/bin/bash') && 'no bash' }, () => {
  const script = 'trap "echo trapped" EXIT; a=$(echo sub | tr a-z A-Z); echo $a; cat <<EOF\nhere $a\nEOF\nsleep 0.1 & wait; seq 1 5 | paste -sd+ | bc 2>/dev/null || echo 15; echo done';
  const r = runUmlts([], ['/bin/bash', '-c', script]);
  assert.equal(r.stdout, 'SUB\nhere SUB\n15\ndone\ntrapped\n', r.describe());
});

test('dash and busybox sh run the same pipeline script', () => {
  const script = 'for i in 1 2 3; do echo line$i; done | while read l; do echo "[$l]"; done; x=$( (echo a; echo b) | wc -l); echo count=$x';
  for (const sh of ['/bin/dash', '/bin/busybox']) {
    if (!have(sh)) continue;
    const argv = sh.endsWith('busybox') ? [sh, 'sh', '-c', script] : [sh, '-c', script];
    const r = runUmlts([], argv);
    assert.equal(r.stdout.replace(/count= +/, 'count='), '[line1]\n[line2]\n[line3]\ncount=2\n', `${sh}: ${r.describe()}`);
  }
});

test('sh -c "yes | head -n 100000 | sort | uniq -c" prints 100000 y', () => {
  const r = runUmlts([], ['/bin/busybox', 'sh', '-c', 'yes | head -n 100000 | sort | uniq -c'], { timeout: 60000 });
  assert.match(r.stdout, /^\s*100000 y\n$/, r.describe());
});
