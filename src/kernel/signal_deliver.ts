/**
 * Sending and delivering signals (kernel/signal.c): to a thread, a
 * process or a process group; job-control stops and continues; forced
 * (fault) signals; and do_signal before a task returns to guest code,
 * with the syscall restart rules. Frames and dispositions: signal.ts.
 *
 * Functions of the Kernel (kernel.ts), which calls them through its
 * methods; state is the kernel's, guarded by the JS thread.
 */
import { RIP, ORIG_RAX, RAX } from '../platform/regs.js';
import { Errno } from '../abi/errno.js';
import { Task, ThreadGroup } from './task.js';
import { SYS_restart_syscall } from '../abi/syscall_nr.js';
import { SigInfo, inSigset, actionOf, isBlocked, isIgnored, isStopSignal, isIgnoredByDefault, setupFrame, initFpState, SIG_DFL, SIG_IGN, SA_NODEFER, SA_RESETHAND, SA_RESTART, SA_NOCLDSTOP, SIGKILL, SIGCONT, SIGCHLD, SI_USER, SI_KERNEL, CLD_STOPPED, CLD_CONTINUED, UNBLOCKABLE_LO, ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK, defaultAction, SIGSEGV } from './signal.js';
import { Kernel } from './kernel.js';
import { OutOfMemory } from '../mm/physmem.js';
import { POLLIN } from '../abi/poll.js';
import { mayRewriteSites } from './trap.js';
import { unpatchSite } from '../mm/syscall_patch.js';
import { ptraceSignal, ptraceJobctlTrap, ptraceTrapPending, ptraceTrapNotify } from './ptrace.js';

/** Send a signal to one thread (tgkill, faults, SIGPIPE). */
export function signalTask(k: Kernel, task: Task, sig: number, info?: Partial<SigInfo>): void {
  if (sig === 0 || task.state === 'zombie' || task.state === 'dead') return;
  if (!k.prepareSignal(task.tg, sig)) return;
  if (sigIgnored(task, sig)) return;
  task.pending.add({ code: SI_USER, ...info, signo: sig });
  k.signalfdWait.wake(POLLIN); // signalfd_notify
  k.signalWakeup(task, sig);
}

/** Send a signal to a process (kill): one thread that wants it is woken for it (complete_signal). */
export function signalProcess(k: Kernel, tg: ThreadGroup, sig: number, info?: Partial<SigInfo>): void {
  if (sig === 0 || tg.zombie || tg.tasks.length === 0) return;
  if (!k.prepareSignal(tg, sig)) return;
  const t0 = tg.tasks[0]!;
  if (sigIgnored(t0, sig)) return;
  // (chosen before it is queued: whether a thread has a signal pending already counts, not this one)
  const t = completeTarget(k, tg, sig);
  tg.sharedPending.add({ code: SI_USER, ...info, signo: sig });
  k.signalfdWait.wake(POLLIN); // signalfd_notify
  tg.sharedTarget[sig] = t;
  if (t) k.signalWakeup(t, sig);
  // no thread wants it, but it ends the process: every thread that takes it hears of it (complete_signal's
  // group exit; a killable sleep ends only for a fatal signal)
  else if (sigFatal(tg, sig)) for (const x of tg.tasks) if (takes(x, sig)) k.signalWakeup(x, sig);
}

/** sig_ignored: a signal t ignores is dropped as it is sent, unless t is traced (its tracer sees every signal). */
function sigIgnored(t: Task, sig: number): boolean {
  return t.ptrace === null && isIgnored(t, sig);
}

/** sig_fatal: the process's action for sig is to die (SIG_DFL of a terminating or core-dumping signal). */
function sigFatal(tg: ThreadGroup, sig: number): boolean {
  return sig === SIGKILL || (actionOf(tg, sig).handler === SIG_DFL && !isIgnoredByDefault(sig) && !isStopSignal(sig));
}

/** Does t take sig when it comes (not blocked, or blocked but waited for in rt_sigtimedwait, which unblocks what it
 * waits for while it waits)? */
function takes(t: Task, sig: number): boolean {
  return !isBlocked(t, sig) || sigwaitsFor(t, sig);
}

/** Is t asleep in rt_sigtimedwait for sig? */
function sigwaitsFor(t: Task, sig: number): boolean {
  return t.state === 'blocked' && inSigset(t.sc.sigwaitLo, t.sc.sigwaitHi, sig);
}

/** wants_signal: t takes sig, is not stopped or gone, and runs guest code now or has no signal pending yet. */
function wantsSignal(k: Kernel, t: Task, sig: number): boolean {
  if (t.state === 'zombie' || t.state === 'dead' || t.state === 'stopped' || t.state === 'traced' || !takes(t, sig)) return false;
  return t.state === 'running' || !hasDeliverable(k, t);
}

/**
 * complete_signal's choice of a thread for a process-directed signal: the
 * first thread if it wants it, else the next one that does from the last
 * choice on (spreading signals over threads that have none pending); null
 * if none does (it waits for whichever thread takes signals next).
 */
function completeTarget(k: Kernel, tg: ThreadGroup, sig: number): Task | null {
  const tasks = tg.tasks;
  if (wantsSignal(k, tasks[0]!, sig)) return tasks[0]!;
  if (tasks.length === 1) return null;
  const from = Math.max(0, tg.currTarget ? tasks.indexOf(tg.currTarget) : 0);
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[(from + i) % tasks.length]!;
    if (wantsSignal(k, t, sig)) return (tg.currTarget = t);
  }
  return null;
}

/**
 * retarget_shared_pending: task no longer takes the process-directed
 * signals in lo/hi (it blocks them now, or it is exiting): of those
 * pending, each goes to another thread that takes it, woken for it, as on
 * Linux; not left for whichever thread next returns to guest code, which
 * may be never (every other one asleep).
 */
export function retargetShared(k: Kernel, task: Task, lo: number, hi: number): void {
  const tg = task.tg, sp = tg.sharedPending;
  let rlo = sp.lo & lo, rhi = sp.hi & hi;
  if ((rlo | rhi) === 0) return;
  for (const t of tg.tasks) {
    if (t === task || t.state === 'zombie' || t.state === 'dead') continue;
    let first = 0;
    for (let sig = 1; sig <= 64; sig++) {
      if (!inSigset(rlo, rhi, sig) || !takes(t, sig)) continue;
      if (sig <= 32) rlo &= ~(1 << (sig - 1));
      else rhi &= ~(1 << (sig - 33));
      const held = tg.sharedTarget[sig];
      if (!held || held === task || held.state === 'zombie' || held.state === 'dead' || !takes(held, sig)) tg.sharedTarget[sig] = t;
      if (first === 0) first = sig;
    }
    if (first !== 0) k.signalWakeup(t, first);
    if ((rlo | rhi) === 0) return;
  }
}

/** set_current_blocked: task's mask becomes lo/hi (SIGKILL and SIGSTOP never blocked); the process-directed
 * signals pending that it blocks now go to another thread. */
export function setBlocked(k: Kernel, task: Task, lo: number, hi: number): void {
  lo &= ~UNBLOCKABLE_LO;
  const newLo = lo & ~task.sigmaskLo, newHi = hi & ~task.sigmaskHi;
  task.sigmaskLo = lo;
  task.sigmaskHi = hi;
  if ((newLo | newHi) !== 0) retargetShared(k, task, newLo, newHi);
}

/**
 * The process-directed signals pending for another of task's threads: one
 * sent to a thread (and woken there) that can still take it. Linux sets
 * TIF_SIGPENDING on that thread only, so a sibling that returns to user
 * space meanwhile (from a sleep of its own, say) does not take it: the
 * woken thread's blocking call ends with EINTR and its handler runs there.
 * A target that has gone, or blocks the signal now, holds nothing. As a
 * mask [lo, hi] (0, 0 when no shared signal is pending: the common case).
 */
const held: [number, number] = [0, 0];
function sharedHeld(task: Task): [number, number] {
  const tg = task.tg, sp = tg.sharedPending;
  held[0] = held[1] = 0;
  if ((sp.lo | sp.hi) === 0) return held;
  for (let sig = 1; sig <= 64; sig++) {
    if (!inSigset(sp.lo, sp.hi, sig)) continue;
    const t = tg.sharedTarget[sig];
    if (!t || t === task || t.state === 'zombie' || t.state === 'dead' || isBlocked(t, sig)) continue;
    if (sig <= 32) held[0] |= 1 << (sig - 1);
    else held[1] |= 1 << (sig - 33);
  }
  return held;
}

/** Send a signal to every process of a process group; the count, or -ESRCH. */
export function signalPgrp(k: Kernel, pgid: number, sig: number, info?: Partial<SigInfo>): number {
  let n = 0;
  for (const tg of k.tgs.values()) {
    if (tg.pgid !== pgid || tg.zombie) continue;
    k.signalProcess(tg, sig, info);
    n++;
  }
  return n > 0 ? n : -Errno.ESRCH;
}

/**
 * prepare_signal: SIGKILL and SIGCONT continue a stopped process, stop
 * signals cancel a pending SIGCONT and vice versa. False: discard.
 */
export function prepareSignal(k: Kernel, tg: ThreadGroup, sig: number): boolean {
  if (tg.zombie) return false;
  if (sig === SIGKILL) {
    k.exitGroup(tg.tasks[0]!, SIGKILL);
    return false;
  }
  if (isStopSignal(sig)) {
    tg.sharedPending.drop(SIGCONT);
    for (const t of tg.tasks) t.pending.drop(SIGCONT);
  } else if (sig === SIGCONT) {
    for (const s of [19, 20, 21, 22]) {
      tg.sharedPending.drop(s);
      for (const t of tg.tasks) t.pending.drop(s);
    }
    if (tg.stopSig) k.groupContinue(tg);
    // (every time, stopped or not: a seized tracee reports each SIGCONT with a PTRACE_EVENT_STOP)
    for (const t of tg.tasks) if (t.ptrace !== null) ptraceTrapNotify(k, t);
  }
  return true;
}

/** Make the task notice a new signal: interrupt its sleep, or stop it in guest code. */
export function signalWakeup(k: Kernel, task: Task, sig: number): void {
  if (sigwaitsFor(task, sig)) {
    k.wake(task); // rt_sigtimedwait takes it
    return;
  }
  if (isBlocked(task, sig)) return;
  if (task.state === 'blocked') k.interrupt(task);
  else if (task.state === 'running') k.platform.kick(task.thread);
  // runnable / stopped in the kernel: delivery happens when it resumes
}

/**
 * force_sig_info: a synchronous signal (a fault) that cannot be ignored or
 * blocked — if it is, the handler goes back to SIG_DFL and it is unblocked.
 */
export function forceSignal(k: Kernel, task: Task, sig: number, info?: SigInfo): void {
  const a = actionOf(task.tg, sig);
  if (a.handler === SIG_IGN || isBlocked(task, sig)) {
    task.tg.sigactions[sig] = defaultAction();
    if (sig <= 32) task.sigmaskLo &= ~(1 << (sig - 1));
    else task.sigmaskHi &= ~(1 << (sig - 33));
  }
  task.pending.add(info ?? { signo: sig, code: SI_KERNEL });
}

/** Temporarily replace the mask (sigsuspend, ppoll, pselect6, epoll_pwait): restored after the next handler is set up, or by the syscall's end. */
export function setTempSigmask(k: Kernel, task: Task, lo: number, hi: number): void {
  if (task.sc.savedMaskLo === null) {
    task.sc.savedMaskLo = task.sigmaskLo;
    task.sc.savedMaskHi = task.sigmaskHi;
  }
  setBlocked(k, task, lo, hi);
}

/** A syscall that set a temporary mask completes without a handler: put the old mask back. */
export function restoreTempSigmask(k: Kernel, task: Task): void {
  if (task.sc.savedMaskLo === null) return;
  const lo = task.sc.savedMaskLo, hi = task.sc.savedMaskHi;
  task.sc.savedMaskLo = null;
  setBlocked(k, task, lo, hi);
}

/** Does the task have a signal it would act on now? (for sigsuspend-like waits) */
export function hasDeliverable(k: Kernel, task: Task): boolean {
  if (task.pending.next(task.sigmaskLo, task.sigmaskHi) !== 0) return true;
  const h = sharedHeld(task);
  return task.tg.sharedPending.next(task.sigmaskLo | h[0], task.sigmaskHi | h[1]) !== 0;
}

/**
 * Job control has a stop for the task before it returns to guest code (its
 * part in a group stop, or a tracer's trap): as a pending signal does,
 * that ends an interruptible sleep (Linux sets TIF_SIGPENDING for both).
 */
export function jobctlPending(task: Task): boolean {
  return (task.tg.stopSig !== 0 && (task.ptrace === null || task.jobStopPending)) || ptraceTrapPending(task);
}

/**
 * fatal_signal_pending: a signal the task does not block whose action will
 * kill the process (SIGKILL, or the default action of a terminating or
 * core-dumping signal): what ends a TASK_KILLABLE sleep.
 */
export function fatalSignalPending(k: Kernel, task: Task): boolean {
  const lo = (task.pending.lo | task.tg.sharedPending.lo) & ~task.sigmaskLo;
  const hi = (task.pending.hi | task.tg.sharedPending.hi) & ~task.sigmaskHi;
  for (let sig = 1; sig <= 64; sig++) {
    if (inSigset(lo, hi, sig) && sigFatal(task.tg, sig)) return true;
  }
  return false;
}

/**
 * do_signal, just before the task returns to guest code: apply syscall
 * restart rules, act on every deliverable signal (ignore, default action,
 * or a handler frame). Returns false if the task must not resume (it died
 * or stopped).
 */
export function deliverSignals(k: Kernel, task: Task): boolean {
  const r = task.regs;
  let handled = false;
  // the mask in force as it came: what the handlers' masks block beyond it goes to other threads
  const entryLo = task.sigmaskLo, entryHi = task.sigmaskHi;
  for (;;) {
    if (task.tg.stopSig && task.state !== 'zombie') {
      if (task.ptrace === null) {
        task.jobStopPending = false;
        k.restartWithoutHandler(task);
        task.state = 'stopped';
        return false;
      }
      // traced: its part in the stop is a stop for its tracer (once: resumed by its tracer, it runs on)
      if (task.jobStopPending) {
        task.jobStopPending = false;
        k.restartWithoutHandler(task);
        ptraceJobctlTrap(k, task);
        return false;
      }
    }
    // INTERRUPT, an attach to a stopped process, a seized tracee's group stopping or continuing
    if (ptraceTrapPending(task) && task.state !== 'zombie') {
      k.restartWithoutHandler(task);
      ptraceJobctlTrap(k, task);
      return false;
    }
    const injected = task.ptrace?.deliver ?? null;
    let sig: number, info: SigInfo, fromTask = 0;
    if (injected !== null) {
      // the signal its tracer gave it at a signal-delivery-stop: taken now, or queued again if blocked
      task.ptrace!.deliver = null;
      sig = injected.signo;
      info = injected;
      if (isBlocked(task, sig)) {
        task.pending.add(info);
        continue;
      }
    } else {
      fromTask = task.pending.next(task.sigmaskLo, task.sigmaskHi);
      sig = fromTask;
      if (!sig) {
        const h = sharedHeld(task);
        sig = task.tg.sharedPending.next(task.sigmaskLo | h[0], task.sigmaskHi | h[1]);
      }
      if (!sig) break;
      info = (fromTask ? task.pending : task.tg.sharedPending).take(sig)!;
      // traced: its tracer decides (ptrace_signal); SIGKILL never stops
      if (task.ptrace !== null && sig !== SIGKILL) {
        ptraceSignal(k, task, info);
        return false;
      }
    }
    const act = actionOf(task.tg, sig);
    if (k.tracer !== null) k.tracer.signal(task, sig, info);
    if (act.handler === SIG_IGN) continue;
    if (act.handler === SIG_DFL) {
      if (isIgnoredByDefault(sig)) continue;
      if (isStopSignal(sig)) {
        k.groupStop(task.tg, sig);
        continue; // the loop's top stops this task
      }
      // a core signal's status says "core dumped" (0x80) only when do_coredump wrote one; umlts writes none
      k.exitGroup(task, sig);
      return false;
    }
    // a handler: first decide the interrupted syscall's fate (handle_signal);
    // what that changes is kept, to be put back if the frame finds no memory
    // (rax as its two words: a 64-bit value a double would round)
    const raxLo = r.w[2 * RAX]!, raxHi = r.w[2 * RAX + 1]!, rip = r.get(RIP), returning = task.sc.returning;
    const maskLo = task.sigmaskLo, maskHi = task.sigmaskHi, savedLo = task.sc.savedMaskLo;
    if (task.sc.returning) {
      const rv = r.getS(RAX);
      if (rv === -ERESTARTNOHAND || rv === -ERESTART_RESTARTBLOCK || (rv === -ERESTARTSYS && !(act.flags & SA_RESTART))) r.set(RAX, -Errno.EINTR);
      else if (rv === -ERESTARTSYS || rv === -ERESTARTNOINTR) k.restartSyscall(task);
      // (after a handler, restart_syscall has nothing to restart: do_no_restart_syscall)
      if (rv === -ERESTART_RESTARTBLOCK) task.restartBlock = null;
      task.sc.returning = false;
    }
    // the mask to save in the frame is the one before a temporary sigsuspend mask
    if (task.sc.savedMaskLo !== null) {
      task.sigmaskLo = task.sc.savedMaskLo;
      task.sigmaskHi = task.sc.savedMaskHi;
      task.sc.savedMaskLo = null;
    }
    // (a patched call's post has no FPU state: its site goes back to trapping first, syscall_patch.ts)
    if (task.thread.fast && mayRewriteSites(task)) unpatchSite(task.mm, rip);
    const fp = task.thread.getXstate().slice();
    let framed: boolean;
    try {
      framed = setupFrame(task, info, act, fp);
    } catch (e) {
      if (!(e instanceof OutOfMemory)) throw e;
      // guest memory ran out under the frame: everything as before this
      // signal was taken, and the OOM killer's turn; unless the task's own
      // process went, it delivers the signal again once memory is back
      r.set(RIP, rip);
      r.w[2 * RAX] = raxLo;
      r.w[2 * RAX + 1] = raxHi;
      task.sc.returning = returning;
      task.sigmaskLo = maskLo;
      task.sigmaskHi = maskHi;
      task.sc.savedMaskLo = savedLo;
      (fromTask || injected ? task.pending : task.tg.sharedPending).putBack(info);
      if (!k.outOfMemory(task)) k.waitForFrames(task, 'resume');
      return false;
    }
    if (!framed) {
      k.exitGroup(task, SIGSEGV);
      return false;
    }
    task.thread.setXstate(initFpState(fp.length));
    if (!(act.flags & SA_NODEFER)) {
      if (sig <= 32) task.sigmaskLo |= 1 << (sig - 1);
      else task.sigmaskHi |= 1 << (sig - 33);
    }
    task.sigmaskLo = (task.sigmaskLo | act.maskLo) & ~UNBLOCKABLE_LO;
    task.sigmaskHi |= act.maskHi;
    // SA_RESETHAND (SA_ONESHOT): the handler goes back to SIG_DFL, its flags and mask stay
    if (act.flags & SA_RESETHAND) task.tg.sigactions[sig] = { ...act, handler: SIG_DFL };
    handled = true;
  }
  if (!handled) {
    k.restartWithoutHandler(task);
    k.restoreTempSigmask(task);
  } else {
    const lo = task.sigmaskLo & ~entryLo, hi = task.sigmaskHi & ~entryHi;
    if ((lo | hi) !== 0) retargetShared(k, task, lo, hi);
  }
  return true;
}

/** No handler ran: a syscall that asked to be restarted is (its registers rewound). */
export function restartWithoutHandler(k: Kernel, task: Task): void {
  if (!task.sc.returning) return;
  const rv = task.regs.getS(RAX);
  if (rv === -ERESTARTSYS || rv === -ERESTARTNOINTR || rv === -ERESTARTNOHAND || rv === -ERESTART_RESTARTBLOCK) k.restartSyscall(task);
  task.sc.returning = false;
}

/** Make the guest execute the same syscall instruction again. */
export function restartSyscall(k: Kernel, task: Task): void {
  const r = task.regs;
  // ERESTART_RESTARTBLOCK: the rest of the call is restart_syscall's (its restart block), not the same call
  // again; otherwise rax is orig_rax again, all 64 bits of it (a number with high bits stays as it was)
  if (r.getS(RAX) === -ERESTART_RESTARTBLOCK) {
    r.set(RAX, SYS_restart_syscall);
  } else {
    r.w[2 * RAX] = r.w[2 * ORIG_RAX]!;
    r.w[2 * RAX + 1] = r.w[2 * ORIG_RAX + 1]!;
    r.dirty = true;
  }
  r.set(RIP, r.get(RIP) - 2);
  task.sc.state = null;
}

/** Job-control stop of a whole process (do_signal_stop). */
export function groupStop(k: Kernel, tg: ThreadGroup, sig: number): void {
  if (tg.stopSig) return;
  tg.stopSig = sig;
  tg.stopNotify = true;
  tg.continueNotify = false;
  for (const t of tg.tasks) {
    t.jobStopPending = true;
    // (a seized tracee stopped for its tracer reports the stop once resumed, at once if its tracer LISTENs)
    if (t.ptrace?.seized) ptraceTrapNotify(k, t);
    else if (t.state === 'running') k.platform.kick(t.thread);
    else if (t.state === 'blocked') k.interrupt(t);
  }
  const parent = tg.parent;
  // (waiters before the signal, as notifyParent)
  parent?.childWait.wake(1);
  if (parent && !(actionOf(parent, SIGCHLD).flags & SA_NOCLDSTOP)) {
    k.signalProcess(parent, SIGCHLD, { code: CLD_STOPPED, pid: tg.tgid, status: sig, uid: tg.tasks[0]?.creds.uid ?? 0 });
  }
}

/** A task stopped for job control goes on (to guest code, through its signals). */
export function wakeStopped(k: Kernel, t: Task): void {
  t.state = 'runnable';
  t.sc.wakeMode = 'resume';
  k.woken.push(t);
}

/** SIGCONT (or SIGKILL) of a stopped process. */
export function groupContinue(k: Kernel, tg: ThreadGroup): void {
  tg.stopSig = 0;
  tg.stopNotify = false;
  tg.continueNotify = true;
  for (const t of tg.tasks) {
    t.jobStopPending = false;
    if (t.state === 'stopped') wakeStopped(k, t);
  }
  const parent = tg.parent;
  if (parent) {
    parent.childWait.wake(1);
    if (!(actionOf(parent, SIGCHLD).flags & SA_NOCLDSTOP)) {
      k.signalProcess(parent, SIGCHLD, { code: CLD_CONTINUED, pid: tg.tgid, status: SIGCONT, uid: tg.tasks[0]?.creds.uid ?? 0 });
    }
  }
}
