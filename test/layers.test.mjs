// The layers of ../shared/DESIGN.md, checked on the source: who may import
// whom (so nothing below the kernel knows tasks and only src/host touches
// the host), koffi only in src/host, and no import cycle between folders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib.mjs';

const SRC = path.join(ROOT, 'src');
/** folder -> the folders it may import (DESIGN.md section 1); '.' is the front (index.ts, cli.ts) and lib/ the library's */
const MAY = {
  abi: [],
  host: ['abi'],
  platform: ['abi', 'host'],
  mm: ['abi', 'platform', 'host'],
  fs: ['abi', 'host'],
  net: ['abi', 'fs', 'host'],
  loader: ['abi', 'mm', 'fs'],
  kernel: ['abi', 'platform', 'mm', 'fs', 'net', 'loader'],
  syscalls: ['abi', 'kernel', 'mm', 'fs', 'net', 'loader', 'platform'],
  // the library (front): everything below, never the command or index.ts above it
  lib: ['abi', 'host', 'platform', 'mm', 'fs', 'net', 'loader', 'kernel', 'syscalls'],
};

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}
/** [file's folder, imported folder or module] for every import and export-from in src */
function edges() {
  const out = [];
  for (const f of files(SRC)) {
    const rel = path.relative(SRC, f);
    const from = rel.includes(path.sep) ? rel.split(path.sep)[0] : '.';
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\('([^']+)'\)/g)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) {
        out.push({ file: rel, from, to: spec });
        continue;
      }
      const target = path.relative(SRC, path.resolve(path.dirname(f), spec));
      out.push({ file: rel, from, to: target.includes(path.sep) ? target.split(path.sep)[0] : '.' });
    }
  }
  return out;
}

test('each layer imports only the layers below it', () => {
  const bad = edges().filter((e) => MAY[e.from] && e.to !== e.from && (e.to in MAY || e.to === '.') && !MAY[e.from].includes(e.to));
  assert.deepEqual(bad.map((e) => `${e.file} imports ${e.to}`), []);
});

test('koffi is imported only in src/host', () => {
  const bad = edges().filter((e) => e.to === 'koffi' && e.from !== 'host');
  assert.deepEqual(bad.map((e) => e.file), []);
});

test('no import cycle between folders', () => {
  const g = new Map();
  for (const e of edges()) {
    if (e.to === e.from || !(e.to in MAY || e.to === '.')) continue;
    if (!g.has(e.from)) g.set(e.from, new Set());
    g.get(e.from).add(e.to);
  }
  const cycles = [];
  const visit = (n, stack) => {
    if (stack.includes(n)) {
      cycles.push([...stack.slice(stack.indexOf(n)), n].join(' -> '));
      return;
    }
    for (const m of g.get(n) ?? []) visit(m, [...stack, n]);
  };
  for (const n of g.keys()) visit(n, []);
  assert.deepEqual([...new Set(cycles)], []);
});

test("the library's caller-side modules load neither the kernel nor koffi (the kernel lives in its worker)", () => {
  // what src/index.ts reaches, transitively, without the worker
  const seen = new Set();
  const visit = (rel) => {
    if (seen.has(rel)) return;
    seen.add(rel);
    const text = fs.readFileSync(path.join(SRC, rel), 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s(?!type\s)[^;]*?from\s+'([^']+)'/g)) {
      if (!m[1].startsWith('.')) {
        seen.add(m[1]);
        continue;
      }
      visit(path.relative(SRC, path.resolve(path.dirname(path.join(SRC, rel)), m[1])).replace(/\.js$/, '.ts'));
    }
  };
  visit('index.ts');
  const heavy = [...seen].filter((f) => f === 'koffi' || /^(kernel|platform|mm|fs|net|loader|syscalls)\//.test(f) || f === 'host/libc.ts' || f === 'lib/worker.ts');
  assert.deepEqual(heavy, []);
});
