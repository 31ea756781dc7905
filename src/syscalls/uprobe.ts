/**
 * uretprobe(2) and uprobe(2) (arch/x86/kernel/uprobes.c): the entries of
 * uprobes' trampolines. umlts places no uprobes, so a call always comes
 * from elsewhere, and gets what Linux gives such a call: uretprobe forces
 * SIGILL on the caller and returns -1, uprobe is ENXIO. (On systrap the
 * host answers them itself: its seccomp lets both through unfiltered, see
 * the known issues at the top of native/stub/stub.c.)
 */
import { Errno } from '../abi/errno.js';
import { SIGILL, SI_KERNEL } from '../abi/signal.js';
import type { Task } from '../kernel/task.js';

/** uretprobe(2): not from a trampoline: force_sig(SIGILL), -1 */
export function sys_uretprobe(t: Task): number {
  t.kernel.forceSignal(t, SIGILL, { signo: SIGILL, code: SI_KERNEL });
  return -Errno.EPERM;
}

/** uprobe(2): not from a trampoline: ENXIO */
export function sys_uprobe(): number {
  return -Errno.ENXIO;
}
