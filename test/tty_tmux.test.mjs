// An interactive busybox sh under umlts in a real terminal, driven with tmux
// (send-keys, capture-pane): commands run, Ctrl-C interrupts a foreground
// job and not the shell, a resize reaches the guest, `exit N` ends umlts
// with status N, and the host terminal is given back as it was.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI, ROOT, BUSYBOX, runUmlts, assertNoLeftovers, requireCli } from './lib.mjs';

const SOCK = `umlts-test-${process.pid}`;
const tmux = (...args) => spawnSync('tmux', ['-L', SOCK, ...args], { encoding: 'utf8', timeout: 10_000 });
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Why these tests cannot run here (a missing host facility), or null. */
function whyNot() {
  if (spawnSync('tmux', ['-V']).status !== 0) return 'tmux is not installed (.ci/run installs it)';
  requireCli();
  return null;
}
const skip = whyNot() ?? false;

/** The pane's text (trailing blank lines dropped). */
const screen = () => tmux('capture-pane', '-p', '-t', 's').stdout.replace(/\n+$/, '');
/** Wait until the screen matches re (a RegExp or predicate); returns the screen. */
function waitFor(re, what, ms = 15_000) {
  const end = Date.now() + ms;
  let s = '';
  while (Date.now() < end) {
    s = screen();
    if (typeof re === 'function' ? re(s) : re.test(s)) return s;
    sleep(50);
  }
  assert.fail(`timed out waiting for ${what}; the screen:\n${s}`);
}
const keys = (...k) => tmux('send-keys', '-t', 's', ...k);
const PROMPT = 'umlts$ ';
/** prompt lines on the screen (capture-pane drops a line's trailing blanks) */
const prompts = (s) => s.split('\n').filter((l) => l.startsWith(PROMPT.trim())).length;

let umltsPid = 0;
before(() => {
  if (skip) return;
  const cmd = `stty -a > /dev/null; node ${CLI} run --env 'PS1=${PROMPT}' -- ${BUSYBOX} sh; ` +
    `echo "status=$?"; stty -a | tr -s ' ;\\n' ' ' | grep -o ' -icanon\\| icanon\\| -echo \\| echo ' | tr -d '\\n'; echo; sleep 30`;
  const r = tmux('new-session', '-d', '-s', 's', '-x', '120', '-y', '40', '-c', ROOT, cmd);
  assert.equal(r.status, 0, r.stderr);
  waitFor((s) => prompts(s) > 0, 'the first prompt');
  const pane = tmux('display', '-p', '-t', 's', '#{pane_pid}').stdout.trim();
  const c = spawnSync('pgrep', ['-P', pane, '-f', 'umlts.cjs'], { encoding: 'utf8' });
  umltsPid = Number(c.stdout.trim().split('\n')[0]) || 0;
});
after(() => {
  if (skip) return;
  tmux('kill-server');
  if (umltsPid) assertNoLeftovers(2000, new Set([umltsPid]));
});

test('a command runs and prints', { skip }, () => {
  keys('echo hi there', 'Enter');
  const s = waitFor(/^hi there$/m, 'the echo output');
  assert.match(s, /^umlts\$ echo hi there$/m); // echoed as typed
});

test('line editing: backspace and ^U before Enter', { skip }, () => {
  const n = prompts(screen());
  keys('echo abcx', 'BSpace', 'd', 'Enter');
  waitFor(/^abcd$/m, 'the edited line');
  keys('echo wrong', 'C-u', 'echo right', 'Enter');
  waitFor(/^right$/m, 'the line after ^U');
  waitFor((s) => prompts(s) >= n + 2, 'the prompt');
});

test('the guest sees a terminal: isatty, TIOCGWINSZ, and a resize (SIGWINCH)', { skip }, () => {
  keys('[ -t 0 ] && [ -t 1 ] && echo "tty yes"; stty size', 'Enter');
  waitFor(/^tty yes\n40 120$/m, 'isatty and the window size');
  tmux('resize-window', '-t', 's', '-x', '100', '-y', '30');
  sleep(300);
  keys('clear; stty size', 'Enter');
  waitFor(/^30 100$/m, 'the new window size');
});

test('Ctrl-C interrupts a foreground sleep quickly; the shell survives', { skip }, () => {
  keys('clear', 'Enter');
  waitFor((s) => s.trim() === PROMPT.trim(), 'a cleared screen');
  keys('sleep 100', 'Enter');
  waitFor(/^umlts\$ sleep 100$/m, 'the sleep command');
  sleep(500);
  const t0 = Date.now();
  keys('C-c');
  waitFor((s) => prompts(s) >= 2, 'the prompt after ^C', 5000);
  assert.ok(Date.now() - t0 < 3000, `the prompt took ${Date.now() - t0} ms`);
  assert.match(screen(), /\^C/);
  keys('echo alive', 'Enter');
  waitFor(/^alive$/m, 'the shell to answer');
});

test('job control: ^Z stops a job, fg resumes it; a background read stops with SIGTTIN', { skip }, () => {
  keys('clear', 'Enter');
  waitFor((s) => s.trim() === PROMPT.trim(), 'a cleared screen');
  keys('sleep 100', 'Enter');
  sleep(500);
  keys('C-z');
  waitFor(/Stopped\s+sleep 100/, 'the stopped job');
  keys('fg', 'Enter');
  waitFor(/^umlts\$ fg\nsleep 100$/m, 'fg');
  sleep(300);
  keys('C-c');
  waitFor((s) => prompts(s) >= 3, 'the prompt after ^C');
  keys('clear', 'Enter');
  waitFor((s) => s.trim() === PROMPT.trim(), 'a cleared screen');
  keys('cat &', 'Enter');
  sleep(500);
  keys('jobs', 'Enter');
  waitFor(/Stopped \(tty input\)\s+cat/, 'the background reader stopped by SIGTTIN');
  keys('kill -9 %1', 'Enter');
  keys('echo ok', 'Enter');
  waitFor(/^ok$/m, 'the shell');
});

test('exit 7 ends umlts with status 7 and gives the terminal back cooked', { skip }, () => {
  keys('exit 7', 'Enter');
  const s = waitFor(/^status=\d+\n.*$/m, 'umlts to end');
  assert.match(s, /^status=7$/m);
  assert.match(s, /^ icanon echo\s*$/m); // the host terminal's settings are back
});

// umlts killed while the guest has the terminal (raw): after a SIGKILL the relay helper puts the host terminal
// back once umlts is gone, and exits (the pane's shell is sh -c, which restores nothing itself); on SIGTERM (and
// SIGINT) node itself puts back the terminal state it started with before it dies. The relay learns of the
// SIGKILL as the pane's shell does, so the shell may look before the relay has put the terminal back: it looks
// again for up to 2 s (a terminal never put back still fails)
for (const sig of ['KILL', 'TERM']) {
  test(`umlts killed by SIG${sig} with the terminal raw: the terminal comes back cooked, nothing is left`, { skip }, () => {
    const s2 = `k${sig}`;
    const cmd = `node ${CLI} run --env 'PS1=${PROMPT}' -- ${BUSYBOX} sh; echo "status=$?"; ` +
      `i=0; while [ $i -lt 40 ] && ! stty -a | grep -q ' icanon'; do sleep 0.05; i=$((i+1)); done; ` +
      `stty -a | tr -s ' ;\\n' ' ' | grep -o ' -icanon\\| icanon\\| -echo \\| echo ' | tr -d '\\n'; echo; sleep 30`;
    assert.equal(tmux('new-session', '-d', '-s', s2, '-x', '100', '-y', '30', '-c', ROOT, cmd).status, 0);
    const shot = () => tmux('capture-pane', '-p', '-t', s2).stdout;
    const until = (re, what) => {
      const end = Date.now() + 15_000;
      while (!re.test(shot()) && Date.now() < end) sleep(50);
      assert.match(shot(), re, `waiting for ${what}`);
    };
    until(/umlts\$/, 'the prompt');
    const pane = tmux('display', '-p', '-t', s2, '#{pane_pid}').stdout.trim();
    const pid = Number(spawnSync('pgrep', ['-P', pane, '-f', 'umlts.cjs'], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
    assert.ok(pid > 0, 'umlts runs in the pane');
    process.kill(pid, `SIG${sig}`);
    until(/^status=\d+\n.*\S/m, 'umlts to end');
    const s = shot();
    assert.match(s, new RegExp(`^status=${sig === 'KILL' ? 137 : 143}$`, 'm'));
    assert.match(s, /^ icanon echo\s*$/m, s); // the host terminal's settings are back
    tmux('kill-session', '-t', s2);
    assertNoLeftovers(2000, new Set([pid]));
  });
}
