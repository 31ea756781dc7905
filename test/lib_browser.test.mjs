// The runner's page in headless Chromium (Debian's chromium, driven by
// playwright-core): type a program, press Run, see its output.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chromium } from 'playwright-core';
import { assertNoLeftovers, trackUmltsPid } from './lib.mjs';

const { createRunner } = await import('../examples/runner/server.mjs');

/** Debian's chromium (.ci/run installs it); CHROMIUM overrides. */
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

trackUmltsPid(process.pid);
let server, base, browser;
before(async () => {
  server = createRunner();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  server.close();
});
afterEach(() => assertNoLeftovers());

test('in headless Chromium, typing print(6*7) and pressing Run shows 42', async () => {
  const page = await browser.newPage();
  await page.goto(base);
  await page.selectOption('#language', 'python');
  await page.fill('#code', 'print(6*7)');
  await page.click('#run');
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('exit status'), null, { timeout: 60_000 });
  assert.equal(await page.textContent('#stdout'), '42\n');
  assert.match(await page.textContent('#status'), /^exit status 0 \(\d+ ms\)$/);
  await page.close();
});

test('in headless Chromium, a shell program\'s stderr and exit status show', async () => {
  const page = await browser.newPage();
  await page.goto(base);
  await page.selectOption('#language', 'sh');
  await page.fill('#code', 'echo out; echo err >&2; exit 5');
  await page.click('#run');
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('exit status'), null, { timeout: 60_000 });
  assert.equal(await page.textContent('#stdout'), 'out\n');
  assert.equal(await page.textContent('#stderr'), 'err\n');
  assert.match(await page.textContent('#status'), /^exit status 5 /);
  await page.close();
});
