/**
 * Whether this host can run the systrap platform, asked before a kernel
 * that was given no platform picks one (lib/worker.ts). systrap needs, over
 * what the ptrace platform needs (ptrace, seccomp filters, memfd):
 *  - SECCOMP_RET_TRAP among the host's seccomp actions: every guest
 *    syscall becomes a SIGSYS in its own thread (Linux 3.5; the list
 *    /proc/sys/kernel/seccomp/actions_avail is Linux 4.14's);
 *  - pidfd_open(2) (Linux 5.3): how the kernel learns of a stub's death
 *    without waitpid. Container engines' older seccomp profiles refuse it
 *    with EPERM or ENOSYS;
 *  - /proc/thread-self/children (CONFIG_PROC_CHILDREN, with
 *    CHECKPOINT_RESTORE): how a fork given up finds its host copy to kill.
 * Everything else it uses (futexes on shared memory, signalfd, sigaltstack,
 * per-thread filters) is older than both. The answer cannot change while
 * the process runs: it is asked once per thread and kept.
 */
import * as host from '../../host/libc.js';

const ACTIONS_AVAIL = '/proc/sys/kernel/seccomp/actions_avail';

/** the answer, once asked; immutable after the first call (per JS thread: a module of its own in each worker) */
let answer: string | null | undefined;

/** Why systrap cannot run here (one short phrase for the notice), or null if it can. */
export function systrapUnavailable(): string | null {
  if (answer === undefined) answer = probe();
  return answer;
}

function probe(): string | null {
  // test hook (test/systrap.test.mjs): a host without systrap, to see the fallback
  if (process.env.UMLTS_TEST_NO_SYSTRAP) return `test hook: ${process.env.UMLTS_TEST_NO_SYSTRAP}`;
  const fd = host.openat(host.AT_FDCWD, ACTIONS_AVAIL, host.O_CLOEXEC /* O_RDONLY is 0 */, 0);
  if (fd < 0) return `no ${ACTIONS_AVAIL}: errno ${-fd}`;
  const buf = new Uint8Array(256);
  const n = host.read(fd, buf);
  host.close(fd);
  if (n < 0) return `reading ${ACTIONS_AVAIL}: errno ${-n}`;
  const actions = Buffer.from(buf.subarray(0, n)).toString('latin1').trim().split(/\s+/);
  if (!actions.includes('trap')) return 'the host seccomp has no RET_TRAP';
  const pidfd = host.pidfdOpen(host.getpid());
  if (pidfd < 0) return `pidfd_open: errno ${-pidfd}`;
  host.close(pidfd);
  // a fork given up finds its host copy there (platform.ts, abandon)
  if (host.childrenOfThread() === null) return 'no /proc/thread-self/children';
  return null;
}
