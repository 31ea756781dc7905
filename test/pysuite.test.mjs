// CPython's own regression tests (Debian's libpython3.11-testsuite), natively
// and under umlts: every test that passes natively must pass under umlts
// (scripts/pysuite.mjs compares the two verbose logs). The quick modules run
// here; `npm run pysuite -- MODULE...` runs any other.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { runSuite, compare, regrtestTimedOut, parseLog } from '../scripts/pysuite.mjs';
import { assertNoLeftovers, requireCli } from './lib.mjs';

afterEach(() => assertNoLeftovers());

/** module -> regrtest options for both sides (none need any here but test_socket's hang on a host with /dev/vsock) */
const MODULES = {
  // natively, on a VM with a vsock device, this class's server waits forever for a peer that never comes
  test_socket: ['--ignore', 'ThreadedVSOCKSocketStreamTest'],
  test_selectors: [],
  test_signal: [],
  // the whole package: 2304 tests, 83 s natively and 108 s under umlts on an idle 2-core VM
  test_asyncio: [],
  // issue 11's system-call modules that pass whole and are quick (test_subprocess, test_threading and
  // test_poll pass too, but take minutes under umlts: `npm run pysuite -- MODULE`)
  test_os: [],
  test_posix: [],
  test_fcntl: [],
  test_select: [],
  test_epoll: [],
  test_mmap: [],
  test_time: [],
  // quick modules of files, archives, terminals, signals and servers (session 40: all pass whole)
  test_shutil: [],
  test_tempfile: [],
  test_pathlib: [],
  test_fileio: [],
  test_tarfile: [],
  test_mailbox: [],
  test_pty: [],
  test_eintr: [],
  test_threadsignals: [],
  test_httpservers: [],
  // the whole module passes (338 tests) but takes ~5 minutes; its process tests hold test_many_processes,
  // whose 100 forked children once drove umlts's copy-on-write-around into the OOM killer
  test_multiprocessing_fork: ['-m', '*WithProcessesTestProcess*'],
};

/** the fewest tests that pass natively for the run to count (a module whose tests all skip proves nothing) */
const MIN_PASSED = {
  test_asyncio: 2000, test_fcntl: 5, test_select: 4, test_epoll: 8, test_multiprocessing_fork: 15, test_pty: 5,
  test_threadsignals: 5,
};

for (const [mod, pyArgs] of Object.entries(MODULES)) {
  test(`CPython ${mod}: everything that passes natively passes under umlts`, () => {
    requireCli();
    assert.ok(fs.existsSync('/usr/lib/python3.11/test/regrtest.py'), 'apt-get install libpython3.11-testsuite (.ci/run does)');
    const native = runSuite(mod, { umlts: false, timeoutS: 600, pyArgs });
    const under = runSuite(mod, { umlts: true, timeoutS: 900, pyArgs });
    const passed = [...native.results.values()].filter((r) => r === 'ok').length;
    assert.ok(passed >= (MIN_PASSED[mod] ?? 20), `${mod} natively: only ${passed} tests passed\n${native.log.slice(-2000)}`);
    const lost = compare(native, under);
    assert.deepEqual(lost, [], `${mod}: ${lost.length} tests pass natively but not under umlts:\n` +
      lost.map((l) => `  ${l.id}: ${l.umlts}`).join('\n') + (under.timedOut ? '\n(the umlts run timed out: slow or hung)' : '') +
      `\n--- umlts log tail ---\n${under.log.slice(-3000)}`);
  });
}

test('pysuite tells a run regrtest\'s timeout ended from one that finished', () => {
  // as test_multiprocessing_fork's log showed it under load: the timeout's line after a test's "... "
  const cut = 'test_copy (test.test_multiprocessing_fork.WithProcessesTestSharedCTypes.test_copy) ... Timeout (0:06:40)!\n' +
    'Thread 0x00007fdff64b2040 (most recent call first):\n  File "/usr/lib/python3.11/unittest/case.py", line 579 in _callTestMethod\n';
  assert.equal(regrtestTimedOut(cut), true);
  assert.equal(regrtestTimedOut('Timeout (0:07:30)!\nCurrent thread 0x00007f0 (most recent call first):\n'), true);
  // a test that merely prints the word passes
  assert.equal(regrtestTimedOut('test_timeout (test.test_x.T.test_timeout) ... ok\nRan 1 test in 0.1s\n\nOK\n'), false);
  assert.equal(regrtestTimedOut('ValueError: Timeout (0:00:01)! is not a number\n'), false);
});

test('pysuite reads a result that comes after the test\'s own output, and never the next test\'s', () => {
  // as test_ssl's log has them: the server thread's lines after the "... ", the result on a line of its own
  const log = 'test_bio_handshake (test.test_ssl.SimpleBackgroundTests.test_bio_handshake) ...  server:  new connection from (\'127.0.0.1\', 38628)\n' +
    'Needed 2 calls to complete do_handshake().\nERROR\n' +
    'test_ciphers (test.test_ssl.SimpleBackgroundTests.test_ciphers) ...  server:  new connection\nok\n' +
    // a test whose run died before its result: unknown, not the next one's "ok"
    'test_gone (test.test_ssl.T.test_gone) ... server: x\ntest_next (test.test_ssl.T.test_next) ... \nok\n';
  const r = parseLog(log);
  assert.equal(r.get('test.test_ssl.SimpleBackgroundTests.test_bio_handshake'), 'ERROR');
  assert.equal(r.get('test.test_ssl.SimpleBackgroundTests.test_ciphers'), 'ok');
  assert.equal(r.get('test.test_ssl.T.test_gone'), 'unknown');
  assert.equal(r.get('test.test_ssl.T.test_next'), 'ok');
});
