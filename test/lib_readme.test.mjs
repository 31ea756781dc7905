// The README's "Library" section: every example in it runs as it stands
// (against this build: `from 'umlts'` is pointed at dist/index.js).
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, LIB, CLEAN_ENV, assertNoLeftovers, makeScratch, rmScratch, trackUmltsPid, withPlatform } from './lib.mjs';

/** The ```js blocks of the Library section, each named by its first line (`// NAME.mjs`). */
function examples() {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Library\n');
  assert.ok(start >= 0, 'README has a Library section');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```js\n(\/\/ (\S+\.mjs)\n[\s\S]*?)```/g)].map((m) => ({ name: m[2], code: m[1] }));
}

let dir;
before(() => {
  dir = makeScratch('readme');
  for (const e of examples()) fs.writeFileSync(path.join(dir, e.name), e.code.replaceAll("from 'umlts'", `from ${JSON.stringify(LIB)}`));
});
after(() => rmScratch(dir));
afterEach(() => assertNoLeftovers());

test('the Library section has an example for each call', () => {
  const all = examples().map((e) => e.code).join('\n');
  for (const call of ['run(', 'new Sandbox(', '.spawn(', '.kill(', '.exited', '.close()', 'hooks', "on('syscall'", 'ExecError', 'OptionError', 'stdin', 'files:']) {
    assert.ok(all.includes(call), `no example uses ${call}`);
  }
});

for (const e of examples().filter((x) => !/export function onSyscall/.test(x.code))) {
  test(`README example ${e.name} runs`, () => {
    const r = spawnSync(process.execPath, [path.join(dir, e.name)], { encoding: 'utf8', env: withPlatform(CLEAN_ENV), timeout: 120_000, cwd: dir });
    trackUmltsPid(r.pid);
    assert.equal(r.stderr, '', r.stderr);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    // each printed what its comments say (the parts that do not vary)
    for (const m of e.code.matchAll(/\);\s*\/\/ ([^\n]+)$/gm)) {
      if (!m[1].includes('…') && !/^[a-z]+ /.test(m[1])) assert.ok(r.stdout.includes(m[1]), `${e.name}: no "${m[1]}" in:\n${r.stdout}`);
    }
  });
}
