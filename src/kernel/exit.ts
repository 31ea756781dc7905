/**
 * exit(2), exit_group(2), and wait4/waitid (kernel/exit.c): a task or a
 * whole process leaves, its parent is told, zombies are reaped.
 *
 * Functions of the Kernel (kernel.ts), which calls them through its
 * methods; state is the kernel's, guarded by the JS thread.
 */
import { Errno } from '../abi/errno.js';
import { OutOfMemory } from '../mm/physmem.js';
import { Task, ThreadGroup } from './task.js';
import type { AddressSpace } from '../mm/address_space.js';
import { NSIG } from '../abi/signal.js';
import { exitRobustList } from './futex.js';
import { releaseFilter } from './seccomp.js';
import { actionOf, SIG_IGN, SA_NOCLDWAIT, SIGCONT, SIGCHLD, CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED, CLD_TRAPPED } from './signal.js';
import { ptraceTaskExit, ptraceTracerExit, ptraceExitReaped } from './ptrace.js';

const __WALL = 0x40000000, __WCLONE = 0x80000000;
import { Kernel, WaitResult, WNOHANG, WEXITED, WSTOPPED, WCONTINUED, WNOWAIT, P_PID, P_PGID } from './kernel.js';

/**
 * exit(2) of one thread: the others go on; the last one out ends the
 * process. clear_child_tid is zeroed and one futex waiter woken on it
 * (pthread_join); the host thread is parked for the next new thread.
 */
export function exitThread(k: Kernel, task: Task, status: number): void {
  const tg = task.tg;
  if (!tg.tasks.some((t) => t !== task && t.state !== 'zombie' && t.state !== 'dead')) return k.exitGroup(task, status);
  // mm_release's order: the robust futexes it holds, then clear_child_tid
  exitRobustList(k.futexes, task);
  if (task.clearChildTid) {
    try {
      task.mm.writeU32(task.clearChildTid, 0);
      k.futexes.wake(task, k.futexes.keyOf(task, task.clearChildTid, true), 1, 0xffffffff);
    } catch (e) {
      // the word's page needs a frame (copied on write after a fork) and
      // none is free: the OOM killer's turn, then (unless it took this
      // process) the exit is taken again once memory is back — a joiner
      // waits for this word. An unmapped address: nothing to clear (as mm_release)
      if (e instanceof OutOfMemory) {
        if (!k.outOfMemory(task)) k.waitForFrames(task, 'rerun');
        return;
      }
    }
  }
  // exit_signals: what it could have taken goes to a sibling
  k.retargetShared(task, ~task.sigmaskLo, ~task.sigmaskHi);
  if (task.ptrace) task.ptrace.exitStatus = (status & 0xff) << 8;
  k.dropThread(task);
}

/** A thread leaves its process (exit, or killed by another's exec): its host thread, stopped, is parked (unless it died). */
export function dropThread(k: Kernel, t: Task, alive = true): void {
  k.detachTask(t, 'dead');
  const i = t.tg.tasks.indexOf(t);
  if (i >= 0) t.tg.tasks.splice(i, 1);
  t.mm.leave(t.thread, alive);
}

/** Does another process use the address space of tg's tasks (CLONE_VM)? mm.users counts every task of every
 * process using it. */
export function sharesMm(tg: ThreadGroup, mm: AddressSpace): boolean {
  let live = 0;
  for (const t of tg.tasks) if (t.state !== 'zombie' && t.state !== 'dead') live++;
  return live > 0 && mm.users > live;
}

/** What every way out of a task shares: off its wait queue, its CPU and the kernel's tables; its fds dropped with the last user. */
export function detachTask(k: Kernel, t: Task, state: 'zombie' | 'dead'): void {
  if (t.ptrace) ptraceTaskExit(k, t);
  t.unqueue();
  t.sc.cleanup?.();
  t.sc.done();
  k.leaveCpu(t);
  k.sched.forget(t);
  // its host thread is about to go: keep what it ran. The last task of a host process takes the process's
  // clock, less what its other threads took with them (their host threads' own clocks, read from /proc: that
  // costs the host's reap of the process more than the read itself, host/libc.ts threadSchedNs)
  const mm = t.mm;
  t.tg.maxrssKiB = Math.max(t.tg.maxrssKiB, mm.maxRss * 4);
  if (mm.users === 1) {
    t.tg.utimeNs += Math.max(0, k.platform.processCpuNs(t.thread) - mm.cpuCountedNs);
  } else {
    k.platform.settle(t.thread);
    const ns = t.cpuNs();
    t.tg.utimeNs += ns;
    mm.cpuCountedNs += ns;
  }
  t.state = state;
  k.vforkRelease(t);
  t.thread.owner = null;
  k.tasks.delete(t.tid);
  if (--t.files.users === 0) t.files.closeAll();
  exitSem(k, t);
  // seccomp_filter_release (at exit here, not at reap: a zombie keeps no listener from hanging up)
  releaseFilter(t.seccompFilter);
  t.seccompFilter = null;
}

/** exit_sem: the task leaves its undo list; the last to leave has the adjustments applied. */
export function exitSem(k: Kernel, t: Task): void {
  const u = t.sysvsem;
  t.sysvsem = null;
  if (u && --u.users === 0) k.ipc.exitSem(u, t.tg.tgid);
}

export function oomKill(k: Kernel, task: Task): void {
  k.warn(`out of memory: killed pid ${task.pid} (${task.comm}); --mem is ${Math.round(k.opts.memBytes / 1048576)} MiB`);
  k.exitGroup(task, 9);
}

/**
 * Guest memory ran out (mm/oom_kill.c out_of_memory): the process holding
 * the most memory goes (its resident pages: badness), never init while
 * another process could (oom_unkillable_task) — not whoever happened to
 * allocate. Returns true if that was the allocating task's own process (it
 * must not resume). Otherwise a faulting task takes its fault again, and a
 * syscall fails with ENOMEM: Linux would wait in the allocation while the
 * victim's memory comes back, which a syscall here cannot do half done.
 * While an earlier victim's frames wait for its host process to be
 * reaped, nobody more is killed.
 */
export function outOfMemory(k: Kernel, task: Task): boolean {
  if (k.physmem.awaitingReap > 0) return false;
  const victim = oomVictim(k, task);
  k.oomKill(victim);
  return victim.tg === task.tg;
}

/**
 * A page fault, a signal frame, a syscall, a sigreturn's frame or an
 * exiting thread's clear_child_tid store found no free frame and the OOM
 * killer took another process (or one killed earlier is still going): the
 * task sleeps until a reaped process's frames are back, then is resumed
 * ('resume': to take its fault again or deliver its signal, or with its
 * syscall's ENOMEM already set; 'fault': as 'resume', at once if a signal
 * waits) or its syscall runs again ('rerun': exit's clear_child_tid store,
 * sigreturn's frame): not resumed into the same fault over and over while
 * the victim's host process dies (Linux's allocator likewise waits in the
 * slow path for the victim's memory). If the frames came back already (a
 * host process reaped at once), it goes on after this dispatch.
 */
export function waitForFrames(k: Kernel, task: Task, then: 'fault' | 'resume' | 'rerun'): void {
  const mode = then === 'rerun' ? 'rerun' : 'resume';
  task.faultRepeats = 0;
  if (k.physmem.awaitingReap === 0 || (then === 'fault' && k.hasDeliverable(task))) {
    // not from here: signal delivery and the exit syscall call in the middle of their work
    task.state = 'runnable';
    task.sc.wakeMode = mode;
    k.woken.push(task);
    return;
  }
  task.awaitingFrames = mode;
  k.stats.oomWaits++;
  task.sleepOn(k.framesWait);
}

/**
 * A reaped process's frames are free (physmem.onFramesBack). This may run
 * inside the platform's wait, where woken tasks would not be run until
 * the next stop: the sleepers are woken from a timer due now, whose
 * firing ends the wait.
 */
export function framesBack(k: Kernel): void {
  if (k.framesWait.empty) return;
  k.events.addTimer(0n, () => k.framesWait.wake(0));
}

/** The process with the most resident pages, not init (unless it is the only one left). */
function oomVictim(k: Kernel, task: Task): Task {
  let victim: Task = task, most = -1;
  for (const tg of k.tgs.values()) {
    if (tg.zombie || tg === k.init) continue;
    const t = tg.tasks.find((x) => x.state !== 'zombie' && x.state !== 'dead');
    if (!t) continue;
    const rss = t.mm.rss;
    if (rss > most) {
      most = rss;
      victim = t;
    }
  }
  return victim;
}

/** exit_group: every thread of the process ends; it becomes a zombie for its parent. */
export function exitGroup(k: Kernel, task: Task, status: number): void {
  const tg = task.tg;
  if (tg.zombie) return;
  tg.exitStatus = status;
  tg.timers?.exit();
  tg.timers = null;
  // none of them may be started by a vCPU another of them frees
  for (const t of tg.tasks) k.sched.unwait(t);
  // (shared with another process, its stub lives on)
  const shared = sharesMm(tg, task.mm);
  for (const t of [...tg.tasks]) k.exitTask(t, shared);
  tg.zombie = true;
  if (tg.ptraced.size > 0 || tg.ptraceExits.length > 0) ptraceTracerExit(k, tg);
  tg.stopSig = 0;
  tg.exitWait.wake(0);
  // orphans go to the nearest living ancestor that is a child subreaper, else to init while it lives (a sandbox
  // may have none): find_new_reaper; a zombie among them is its new parent's to reap now
  const init = k.init;
  let reaper: ThreadGroup | null = init && init !== tg && !init.zombie ? init : null;
  for (let a = tg.parent; a !== null; a = a.parent) {
    if (a.childSubreaper && !a.zombie) {
      reaper = a;
      break;
    }
  }
  for (const c of tg.children) {
    c.parent = reaper;
    if (c.parent) {
      // reparent_leader: "We don't want people slaying init" — a clone exit signal goes back to SIGCHLD
      c.exitSignal = SIGCHLD;
      c.parent.children.add(c);
      if (c.zombie) k.notifyParent(c);
    }
    for (const ct of c.tasks) if (ct.pdeathSig) k.signalTask(ct, ct.pdeathSig);
  }
  tg.children.clear();
  if (tg.sid === tg.tgid) k.vfs.sessionLeaderExited(tg.sid);
  if (tg === k.init) k.initStatus = status;
  k.notifyParent(tg);
}

/** exit_notify: SIGCHLD (or the clone exit signal) to the parent, or autoreap. */
export function notifyParent(k: Kernel, tg: ThreadGroup): void {
  // traced by another process: told once its tracer has waited for it (ptraceExitReaped)
  if (tg.notifyHeld) return;
  const parent = tg.parent;
  if (!parent) {
    // nobody in the guest can wait for it: reaped now, and the front end told
    k.tgs.delete(tg.tgid);
    tg.reaped = true;
    k.opts.exited?.(tg.tgid, tg.exitStatus ?? 0);
    return;
  }
  const a = actionOf(parent, SIGCHLD);
  const status = tg.exitStatus ?? 0;
  // do_notify_parent: a parent that does not want zombies (SIGCHLD ignored, or SA_NOCLDWAIT) has this one reaped
  // now; it is still signalled unless SIGCHLD is ignored
  const autoreap = tg.exitSignal === SIGCHLD && (a.handler === SIG_IGN || (a.flags & SA_NOCLDWAIT) !== 0);
  if (autoreap) {
    parent.children.delete(tg);
    k.tgs.delete(tg.tgid);
    tg.reaped = true;
  }
  // the waiters first (do_wait scans its children before it looks for a signal: a wait4 the SIGCHLD finds
  // asleep returns this child, not EINTR)
  parent.childWait.wake(1);
  if (tg.exitSignal > 0 && tg.exitSignal <= NSIG && !(autoreap && a.handler === SIG_IGN)) {
    // legacy clone(2) takes any low byte as the exit signal; one that is no
    // signal is not sent (do_notify_parent: valid_signal(sig) && sig)
    const killed = (status & 0x7f) !== 0;
    k.signalProcess(parent, tg.exitSignal, {
      code: killed ? (status & 0x80 ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED,
      pid: tg.tgid,
      status: killed ? status & 0x7f : (status >> 8) & 0xff,
      uid: realUid(tg),
    });
  }
}

/**
 * One task leaves: its host thread is killed, its resources dropped. In
 * an address space another process shares (`shared`, CLONE_VM) the stub
 * lives on: the host thread is stopped where it is, and parked for that
 * address space's next thread (as exec's de_thread does).
 */
export function exitTask(k: Kernel, t: Task, shared = false): void {
  if (t.state === 'zombie' || t.state === 'dead') return;
  // (a robust mutex in memory other processes share is theirs to recover)
  exitRobustList(k.futexes, t);
  const mm = t.mm;
  if (shared) {
    const alive = k.platform.stopNow(t.thread);
    k.detachTask(t, 'zombie');
    mm.leave(t.thread, alive);
    return;
  }
  k.detachTask(t, 'zombie');
  k.platform.kill(t.thread);
  mm.threads.delete(t.thread);
  if (--mm.users === 0) mm.release();
}

/**
 * do_wait for wait4/waitid: the first child matching (idtype, id) with
 * something to report. Returns it, 0 (WNOHANG, nothing yet), -ECHILD, or
 * BLOCKED (the task sleeps on its child-wait queue).
 */
export function waitChild(k: Kernel, task: Task, idtype: number, id: number, options: number): WaitResult | number {
  const me = task.tg;
  let any = false;
  // tracees first (wait_consider_task with ptrace: their stops whatever WUNTRACED says; threads are "clone"
  // children for __WCLONE/__WALL)
  if (me.ptraced.size > 0 || me.ptraceExits.length > 0) {
    for (const t of me.ptraced) {
      if ((idtype === P_PID && t.tid !== id) || (idtype === P_PGID && t.tg.pgid !== id)) continue;
      if (!cloneSelected(options, t.tid !== t.tg.tgid || t.tg.exitSignal !== SIGCHLD)) continue;
      any = true;
      const p = t.ptrace!;
      if (t.state === 'traced' && !p.reported) {
        if (!(options & WNOWAIT)) p.reported = true;
        return { pid: t.tid, status: (p.code << 8) | 0x7f, uid: t.creds.uid, code: CLD_TRAPPED, siStatus: p.code, ...liveUsage(k, t.tg) };
      }
    }
    const ex = me.ptraceExits;
    for (let i = 0; i < ex.length; i++) {
      const e = ex[i]!;
      if ((idtype === P_PID && e.tid !== id) || (idtype === P_PGID && e.pgid !== id) || !cloneSelected(options, e.clone)) continue;
      any = true;
      if (!(options & WEXITED)) continue;
      if (!(options & WNOWAIT)) {
        ex.splice(i, 1);
        ptraceExitReaped(k, e);
      }
      const killed = (e.status & 0x7f) !== 0;
      return {
        pid: e.tid, status: e.status, uid: e.uid, code: killed ? (e.status & 0x80 ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED,
        siStatus: killed ? e.status & 0x7f : (e.status >> 8) & 0xff, cpuNs: 0, maxrssKiB: 0,
      };
    }
  }
  for (const c of me.children) {
    if (idtype === P_PID && c.tgid !== id) continue;
    if (idtype === P_PGID && c.pgid !== id) continue;
    // __WCLONE/__WALL select by exit signal
    if (!cloneSelected(options, c.exitSignal !== SIGCHLD)) continue;
    any = true;
    // (a zombie its tracer has not waited for yet: not to be seen, but waited for)
    if (c.zombie && options & WEXITED && !c.notifyHeld) {
      const st = c.exitStatus ?? 0;
      const killed = (st & 0x7f) !== 0;
      const res: WaitResult = {
        pid: c.tgid, status: st, uid: realUid(c),
        code: killed ? (st & 0x80 ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED,
        siStatus: killed ? st & 0x7f : (st >> 8) & 0xff,
        cpuNs: c.utimeNs + c.cutimeNs,
        maxrssKiB: Math.max(c.maxrssKiB, c.cmaxrssKiB),
      };
      if (!(options & WNOWAIT)) {
        me.children.delete(c);
        k.tgs.delete(c.tgid);
        c.reaped = true;
        me.cutimeNs += c.utimeNs + c.cutimeNs;
        // wait_task_zombie: the child's peak and its children's
        me.cmaxrssKiB = Math.max(me.cmaxrssKiB, res.maxrssKiB);
      }
      return res;
    }
    if (c.stopSig && c.stopNotify && options & WSTOPPED) {
      if (!(options & WNOWAIT)) c.stopNotify = false;
      return { pid: c.tgid, status: (c.stopSig << 8) | 0x7f, uid: realUid(c), code: CLD_STOPPED, siStatus: c.stopSig, ...liveUsage(k, c) };
    }
    if (c.continueNotify && options & WCONTINUED) {
      if (!(options & WNOWAIT)) c.continueNotify = false;
      return { pid: c.tgid, status: 0xffff, uid: realUid(c), code: CLD_CONTINUED, siStatus: SIGCONT, ...liveUsage(k, c) };
    }
  }
  if (!any) return -Errno.ECHILD;
  if (options & WNOHANG) return 0;
  return task.sleepOn(me.childWait);
}

/** eligible_child's __WALL/__WCLONE test: a clone child (exit signal not SIGCHLD) needs __WCLONE, others its absence; __WALL takes both. */
function cloneSelected(options: number, clone: boolean): boolean {
  return (options & __WALL) !== 0 || (clone ? (options & __WCLONE) !== 0 : (options & __WCLONE) === 0);
}

/** A live child's usage as wait_task_stopped and wait_task_continued report it (getrusage(p, RUSAGE_BOTH)): its
 * CPU time and its reaped children's, its peak and theirs. */
function liveUsage(k: Kernel, c: ThreadGroup): { cpuNs: number; maxrssKiB: number } {
  const lead = c.tasks[0];
  return {
    cpuNs: k.groupCpuNs(c) + c.cutimeNs,
    maxrssKiB: Math.max(c.maxrssKiB, c.cmaxrssKiB, lead ? lead.mm.maxRss * 4 : 0),
  };
}

/** A child's real uid, as its SIGCHLD and waitid's siginfo say (si_uid: from_kuid_munged of its real uid). */
function realUid(tg: ThreadGroup): number {
  return tg.tasks[0]?.creds.uid ?? 0;
}
