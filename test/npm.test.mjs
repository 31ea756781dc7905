// Large programs (issue 11): node running npm (--version, pack, an offline
// install of a local package into a mounted project) and python3's pip.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runUmlts, runNative, assertNoLeftovers, makeScratch, rmScratch } from './lib.mjs';

afterEach(() => assertNoLeftovers());

const T = 180_000;

test('npm --version, npm pack and an offline npm install of a local package into a --mount-ed project', () => {
  const v = runUmlts([], ['/usr/bin/npm', '--version'], { timeout: T });
  assert.equal(v.stdout, runNative(['/usr/bin/npm', '--version']).stdout, v.describe());
  const dir = makeScratch('npm');
  try {
    fs.mkdirSync(path.join(dir, 'pkg'));
    fs.mkdirSync(path.join(dir, 'proj'));
    fs.writeFileSync(path.join(dir, 'pkg', 'package.json'), '{ "name": "localpkg", "version": "1.2.3", "main": "index.js" }\n');
    fs.writeFileSync(path.join(dir, 'pkg', 'index.js'), 'module.exports = () => "hello from localpkg";\n');
    fs.writeFileSync(path.join(dir, 'proj', 'package.json'), '{ "name": "proj", "version": "1.0.0" }\n');
    const common = ['--mount', `${dir}:/w`, '--env', 'HOME=/w'];
    const pack = runUmlts([...common, '--cwd', '/w/pkg'], ['/usr/bin/npm', 'pack', '--offline'], { timeout: T });
    assert.equal(pack.code, 0, pack.describe());
    assert.ok(fs.existsSync(path.join(dir, 'pkg', 'localpkg-1.2.3.tgz')), pack.describe());
    const inst = runUmlts([...common, '--cwd', '/w/proj'], ['/usr/bin/npm', 'install', '--offline', '../pkg/localpkg-1.2.3.tgz'], { timeout: T });
    assert.equal(inst.code, 0, inst.describe());
    assert.match(inst.stdout, /added 1 package/, inst.describe());
    const use = runUmlts([...common, '--cwd', '/w/proj'], ['/usr/bin/node', '-e', 'console.log(require("localpkg")())'], { timeout: T });
    assert.equal(use.stdout, 'hello from localpkg\n', use.describe());
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'proj', 'package.json'), 'utf8')).dependencies.localpkg.startsWith('file:'), true);
  } finally {
    rmScratch(dir);
  }
});

test('pip --version and pip list match native', () => {
  for (const args of [['--version'], ['list']]) {
    const argv = ['/usr/bin/python3', '-m', 'pip', ...args];
    const r = runUmlts([], argv, { timeout: T });
    assert.equal(r.stdout, runNative(argv, { timeout: T }).stdout, r.describe());
    assert.equal(r.code, 0, r.describe());
  }
});
