/**
 * The kernel's side of the terminal's job control (fs/tty/console.ts TtyJobs):
 * who is calling, process-group signals, sessions of process groups, and
 * orphaned process groups (kernel/exit.c will_become_orphaned_pgrp), the
 * session leader (a pty's hangup) and each session's controlling terminal.
 *
 * Ownership: stateless; reads the kernel's process table on the JS thread
 * during a syscall or a host callback.
 */
import type { Kernel } from './kernel.js';
import type { Task } from './task.js';
import type { TtyJobs, TtyCaller } from '../fs/tty/tty.js';
import { actionOf, isBlocked, SIG_IGN, SI_KERNEL } from './signal.js';

export function ttyJobs(k: Kernel): TtyJobs {
  const pgrpSession = (pgid: number): number => {
    for (const tg of k.tgs.values()) if (tg.pgid === pgid && !tg.zombie) return tg.sid;
    return -3; // -ESRCH
  };
  return {
    caller(): TtyCaller {
      // the thread whose syscall runs (its mask); its process for the rest
      const t: Task | undefined = (k as unknown as { current?: Task }).current ?? k.taskByPid(k.currentPid);
      const tg = t?.tg;
      return {
        pid: tg?.tgid ?? k.currentPid,
        pgid: tg?.pgid ?? 0,
        sid: tg?.sid ?? 0,
        ignores: (sig) => !!t && (isBlocked(t, sig) || actionOf(t.tg, sig).handler === SIG_IGN),
        orphanedPgrp: () => {
          if (!tg) return true;
          for (const p of k.tgs.values()) {
            if (p.pgid !== tg.pgid || p.zombie) continue;
            const parent = p.parent;
            if (parent && !parent.zombie && parent.pgid !== tg.pgid && parent.sid === tg.sid) return false;
          }
          return true;
        },
      };
    },
    signalPgrp: (pgid, sig) => k.signalPgrp(pgid, sig, { code: SI_KERNEL }),
    pgrpSession,
    signalProcess: (pid, sig) => {
      const tg = k.tgs.get(pid);
      if (tg && !tg.zombie) k.signalProcess(tg, sig, { code: SI_KERNEL });
    },
    // (k.vfs is not there yet while the Vfs is being made: nothing has a terminal then)
    sessionTty: (sid) => k.vfs?.sessionTty(sid) ?? null,
  };
}
