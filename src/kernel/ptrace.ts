/**
 * ptrace's stops (kernel/ptrace.c, kernel/signal.c's ptrace_stop): a
 * traced task stops at each syscall's entry and exit (PTRACE_SYSCALL), at
 * each signal it is about to take (signal-delivery-stop: the tracer decides
 * which signal, if any, it then takes), and at the events its tracer asked
 * for (exec, fork, vfork, clone); it stays stopped ('traced') until the
 * tracer resumes it. The tracer learns of each stop from wait4/waitid
 * (status (code << 8) | 0x7f, CLD_TRAPPED) and of each tracee's exit.
 * Job control reaches a tracee as a stop too (do_jobctl_trap): its part
 * in a group stop, an attach to a stopped process, and for a tracee
 * attached with PTRACE_SEIZE, its tracer's PTRACE_INTERRUPT and each
 * change of its group's stop (SIGCONT), as PTRACE_EVENT_STOP; a seized
 * tracee that its tracer LISTENs to stays stopped until the next such
 * change.
 *
 * The tracer is a process (Linux's is one thread of it: here a tracer
 * thread that exits keeps its tracees until its whole process does).
 * The tracee's registers are its Task.regs, as of its trap: what the
 * tracer reads and writes is what it resumes with.
 *
 * Functions of the Kernel's (kernel.ts, trap.ts, signal_deliver.ts, exit.ts
 * and fork.ts call them); state guarded by the JS thread.
 */
import { Errno } from '../abi/errno.js';
import { ORIG_RAX, RAX, EFLAGS } from '../platform/regs.js';
import {
  PTRACE_O_TRACESYSGOOD, PTRACE_O_TRACEEXEC, PTRACE_O_TRACEFORK, PTRACE_O_TRACEVFORK, PTRACE_O_TRACECLONE, PTRACE_O_EXITKILL, PTRACE_O_TRACEEXIT,
  PTRACE_EVENT_FORK, PTRACE_EVENT_VFORK, PTRACE_EVENT_CLONE, PTRACE_EVENT_EXEC, PTRACE_EVENT_EXIT,
  PTRACE_EVENTMSG_SYSCALL_ENTRY, PTRACE_EVENTMSG_SYSCALL_EXIT, X86_EFLAGS_TF, PTRACE_EVENT_STOP, PTRACE_EVENT_SECCOMP,
  PTRACE_EVENT_VFORK_DONE, PTRACE_O_TRACESECCOMP, PTRACE_O_TRACEVFORKDONE,
} from '../abi/ptrace.js';
import {
  SIGCHLD, SIGSTOP, SIGTRAP, SIGKILL, CLD_TRAPPED, CLD_STOPPED, CLD_EXITED, CLD_KILLED, CLD_DUMPED, SI_USER, type SigInfo,
} from '../abi/signal.js';
import { actionOf, SA_NOCLDSTOP } from './signal.js';
import type { Task, ThreadGroup } from './task.js';
import type { Kernel } from './kernel.js';

/** A syscall stop's kind, for PTRACE_GET_SYSCALL_INFO */
export const STOP_OTHER = 0, STOP_SYSCALL_ENTRY = 1, STOP_SYSCALL_EXIT = 2;

/** A traced task's side of the link (task->ptrace, ->parent, ->last_siginfo, ->ptrace_message). */
export class PtraceState {
  /** PTRACE_O_* (SETOPTIONS); guarded by the JS thread (the tracer's requests) */
  options = 0;
  /** resumed with PTRACE_SYSCALL: stop at the next syscall's entry and exit; guarded by the JS thread */
  syscallTrace = false;
  /** resumed with PTRACE_SINGLESTEP: the trap flag is the tracer's, cleared at the next stop; guarded by the JS thread */
  singlestep = false;
  /** the stop it is in: the code wait reports (WSTOPSIG, and the event in bits 8-15), 0 while it runs;
   * guarded by the JS thread (its stops set it, the tracer's resume clears it) */
  code = 0;
  /** wait has reported this stop (a stop is reported once); guarded by the JS thread */
  reported = false;
  /** how it goes on once resumed: 'rerun' runs the syscall it stopped at the entry of, 'resume' returns to
   * guest code; guarded by the JS thread (set with code) */
  after: 'resume' | 'rerun' = 'resume';
  /** the stop is at a syscall's entry or exit (GET_SYSCALL_INFO), or another; guarded by the JS thread */
  sysStop = STOP_OTHER;
  /** last_siginfo: the signal of a signal-delivery-stop (or the SIGTRAP of a syscall or event stop); the
   * tracer's GETSIGINFO reads and SETSIGINFO replaces it; guarded by the JS thread */
  siginfo: SigInfo | null = null;
  /** stopped for a signal it was about to take (the tracer's resume names the one it takes instead); guarded by the JS thread */
  signalStop = false;
  /** the signal the tracer gave it to take now (deliverSignals acts on it first); guarded by the JS thread */
  deliver: SigInfo | null = null;
  /** PTRACE_GETEVENTMSG; guarded by the JS thread */
  eventMsg = 0;
  /** an event stop to take as it next returns to guest code (exec, fork...), and its message; guarded by the JS thread */
  pendingEvent = 0;
  pendingMsg = 0;
  /** its exit event stop was taken (the exit call runs again after it); guarded by the JS thread */
  exitReported = false;
  /** exit(2) of this thread alone: its wait status for the tracer (a whole process's is its exitStatus);
   * guarded by the JS thread (set by exitThread) */
  exitStatus = 0;
  /** JOBCTL_TRAP_STOP: a PTRACE_EVENT_STOP (or, unseized, a group stop's) to take before it next returns to
   * guest code; any stop clears it. JOBCTL_TRAP_NOTIFY: its group's stop changed (seized only); a
   * PTRACE_EVENT_STOP clears it. Guarded by the JS thread (INTERRUPT, attach, job control; its stops) */
  trap = false;
  notify = false;
  /** JOBCTL_LISTENING: stopped, but past its tracer's PTRACE_LISTEN: neither wait nor ptrace sees it as
   * stopped until its next stop; guarded by the JS thread (LISTEN; its stops) */
  listening = false;

  constructor(
    /** the tracing process; immutable (detach drops the whole state) */
    readonly tracer: ThreadGroup,
    /** attached by PTRACE_SEIZE (PT_SEIZED): no SIGSTOP at attach, INTERRUPT and LISTEN, job control as
     * PTRACE_EVENT_STOP; immutable */
    readonly seized = false,
  ) {}
}

/** A tracee gone that the tracer learns of from wait (it is not the tracer's own child process). */
export interface TraceeExit {
  readonly tid: number;
  readonly pgid: number;
  readonly status: number;
  readonly uid: number;
  /** a thread, or a process whose exit signal is not SIGCHLD: a "clone" child for __WCLONE/__WALL */
  readonly clone: boolean;
  /** the exited process, whose parent hears of it only once the tracer has waited for it (or is gone): see
   * ThreadGroup.notifyHeld; null for a thread */
  readonly held: ThreadGroup | null;
}

/** ptrace_link: t is traced by tracer from now on; one in a group stop traps for it at once (ptrace_attach's
 * JOBCTL_TRAP_STOP: a stop in that stop, reported to the tracer). */
export function ptraceLink(k: Kernel, tracer: ThreadGroup, t: Task, options: number, seized = false): void {
  t.ptrace = new PtraceState(tracer, seized);
  t.ptrace.options = options;
  tracer.ptraced.add(t);
  if (t.state === 'stopped') {
    t.ptrace.trap = true;
    k.wakeStopped(t);
  }
}

/** __ptrace_unlink: t is no longer traced; a trap flag of the tracer's goes with it, and so does the exit stop
 * of a syscall whose entry it stopped at. */
export function ptraceUnlink(t: Task): void {
  const p = t.ptrace;
  if (!p) return;
  p.tracer.ptraced.delete(t);
  if (p.singlestep) clearStep(t);
  t.ptrace = null;
  t.sc.ptraceExit = false;
}

function clearStep(t: Task): void {
  const r = t.regs;
  if (r.get(EFLAGS) & X86_EFLAGS_TF) r.set(EFLAGS, r.get(EFLAGS) & ~X86_EFLAGS_TF);
  t.ptrace!.singlestep = false;
}

/**
 * ptrace_stop: t stops with code (WSTOPSIG and event) until its tracer
 * resumes it; the tracer's process hears of it (SIGCHLD with CLD_TRAPPED,
 * or `why`, unless SA_NOCLDSTOP, and its waiters). after: how t goes on.
 * info: its siginfo for GETSIGINFO (default: the signal it stopped for,
 * else a SIGTRAP saying code; null: none, EINVAL).
 */
export function ptraceStop(k: Kernel, t: Task, code: number, after: 'resume' | 'rerun', sysStop = STOP_OTHER,
  info?: SigInfo | null, why = CLD_TRAPPED): void {
  const p = t.ptrace!;
  p.code = code;
  p.reported = false;
  p.after = after;
  p.sysStop = sysStop;
  // any stop ends a pending INTERRUPT's (the stop it asked for, or another); a PTRACE_EVENT_STOP reports a change
  p.trap = false;
  if (code >> 8 === PTRACE_EVENT_STOP) p.notify = false;
  p.listening = false;
  if (p.singlestep) clearStep(t);
  if (info !== undefined) p.siginfo = info;
  else if (!p.signalStop) p.siginfo = { signo: SIGTRAP, code, pid: t.tid, uid: t.creds.uid };
  t.state = 'traced';
  k.stopBlocked(t);
  const tracer = p.tracer;
  // (waiters before the signal, as notifyParent)
  tracer.childWait.wake(1);
  if (!(actionOf(tracer, SIGCHLD).flags & SA_NOCLDSTOP)) {
    k.signalProcess(tracer, SIGCHLD, { code: why, pid: t.tid, status: code & 0xff, uid: t.creds.uid });
  }
}

/**
 * do_jobctl_trap: t stops for job control as it would return to guest
 * code: seized, with PTRACE_EVENT_STOP and its group's stop signal (or
 * SIGTRAP while its group is not stopped), siginfo saying so; attached,
 * with the stop signal and no siginfo (a group stop's, told from a
 * signal-delivery-stop only by GETSIGINFO's EINVAL).
 */
export function ptraceJobctlTrap(k: Kernel, t: Task): void {
  const p = t.ptrace!, stopSig = t.tg.stopSig;
  if (p.seized) {
    const signr = stopSig || SIGTRAP, code = signr | (PTRACE_EVENT_STOP << 8);
    ptraceStop(k, t, code, 'resume', STOP_OTHER, { signo: signr, code, pid: t.tid, uid: t.creds.uid }, CLD_STOPPED);
  } else {
    ptraceStop(k, t, stopSig || SIGSTOP, 'resume', STOP_OTHER, null, CLD_STOPPED);
  }
}

/** A job-control trap is due before t returns to guest code (INTERRUPT, an attach to a stopped process, a change of its group's stop). */
export function ptraceTrapPending(t: Task): boolean {
  const p = t.ptrace;
  return p !== null && (p.trap || p.notify);
}

/**
 * ptrace_signal_wake_up: make t take a job-control trap that became due:
 * now if its tracer LISTENs to it (a stop again, to report), else at its
 * way back to guest code (a running thread is kicked, a sleep ends and
 * its call restarts); a stopped one takes it once resumed.
 */
function trapWakeUp(k: Kernel, t: Task): void {
  const p = t.ptrace!;
  if (t.state === 'traced') {
    if (p.listening) ptraceJobctlTrap(k, t);
  } else if (t.state === 'running') {
    k.platform.kick(t.thread);
  } else if (t.state === 'blocked') {
    k.interrupt(t);
  }
}

/** PTRACE_INTERRUPT of seized t: a PTRACE_EVENT_STOP (or another stop) to come, without any signal. */
export function ptraceInterrupt(k: Kernel, t: Task): void {
  t.ptrace!.trap = true;
  trapWakeUp(k, t);
}

/** ptrace_trap_notify: t's group's stop changed (SIGCONT, a stop signal): a seized tracee stops to report it. */
export function ptraceTrapNotify(k: Kernel, t: Task): void {
  const p = t.ptrace;
  if (p === null || !p.seized || t.state === 'zombie' || t.state === 'dead') return;
  p.notify = true;
  trapWakeUp(k, t);
}

/**
 * PTRACE_LISTEN of seized t, stopped in a PTRACE_EVENT_STOP: it stays
 * stopped but is no longer its tracer's to act on until its next stop,
 * which a change of its group's stop (or INTERRUPT) brings. False (EIO)
 * for any other stop.
 */
export function ptraceListen(k: Kernel, t: Task): boolean {
  const p = t.ptrace!;
  if (p.siginfo === null || p.siginfo.code >> 8 !== PTRACE_EVENT_STOP) return false;
  p.listening = true;
  // a change since this stop began: the next stop now
  if (p.notify) ptraceJobctlTrap(k, t);
  return true;
}

/** A traced task enters a syscall (before seccomp: syscall_trace_enter). True if it stopped. */
export function ptraceSyscallEntry(k: Kernel, t: Task): boolean {
  const p = t.ptrace!;
  // the tracer sees -ENOSYS in rax at the entry stop, and a call it skips (orig_rax -1) returns what rax then holds
  t.regs.set(RAX, -Errno.ENOSYS);
  t.sc.ptraceExit = true;
  p.eventMsg = PTRACE_EVENTMSG_SYSCALL_ENTRY;
  ptraceStop(k, t, sysCode(p), 'rerun', STOP_SYSCALL_ENTRY);
  return true;
}

function sysCode(p: PtraceState): number {
  return p.options & PTRACE_O_TRACESYSGOOD ? SIGTRAP | 0x80 : SIGTRAP;
}

/**
 * A traced task is about to return to guest code (resume): a pending event
 * stop first, then the syscall-exit stop of a call whose entry it stopped
 * at. True if it stopped.
 */
export function ptraceReturn(k: Kernel, t: Task): boolean {
  const p = t.ptrace!;
  if (p.pendingEvent !== 0) {
    takeEvent(k, t, p, 'resume');
    return true;
  }
  if (t.sc.ptraceExit) {
    t.sc.ptraceExit = false;
    if (p.syscallTrace) {
      p.eventMsg = PTRACE_EVENTMSG_SYSCALL_EXIT;
      ptraceStop(k, t, sysCode(p), 'resume', STOP_SYSCALL_EXIT);
      return true;
    }
  }
  return false;
}

/** A traced task took sig to deliver it (get_signal's ptrace_signal): it stops for its tracer instead. */
export function ptraceSignal(k: Kernel, t: Task, info: SigInfo): void {
  const p = t.ptrace!;
  p.siginfo = info;
  p.signalStop = true;
  ptraceStop(k, t, info.signo, 'resume');
}

/**
 * ptrace_resume: the tracer lets t go on (CONT, SYSCALL, SINGLESTEP,
 * DETACH). sig: the signal it takes (from a signal-delivery-stop: instead
 * of the one it stopped for, 0 for none; from any other stop it is sent).
 */
export function ptraceResume(k: Kernel, t: Task, sig: number, syscallTrace: boolean, step: boolean): void {
  const p = t.ptrace!;
  p.syscallTrace = syscallTrace;
  p.singlestep = step;
  // (the trap flag is the tracer's only while it steps: ptraceStop takes it back; the guest's own stays)
  if (step) t.regs.set(EFLAGS, t.regs.get(EFLAGS) | X86_EFLAGS_TF);
  if (sig !== 0) {
    // a different signal than the one it stopped for comes from the tracer (ptrace_signal: SI_USER, the
    // tracer's pid and uid)
    const info = p.siginfo;
    const give: SigInfo = p.signalStop && info && info.signo === sig ? info
      : { signo: sig, code: SI_USER, pid: p.tracer.tgid, uid: p.tracer.tasks[0]?.creds.uid ?? 0 };
    if (p.signalStop) p.deliver = give;
    else k.signalTask(t, sig, give);
  }
  p.code = 0;
  p.signalStop = false;
  p.sysStop = STOP_OTHER;
  p.listening = false;
  t.state = 'runnable';
  t.sc.wakeMode = p.after;
  k.woken.push(t);
}

/** The tracer stops tracing t (PTRACE_DETACH, or its own exit): t runs on untraced. */
export function ptraceDetach(k: Kernel, t: Task, sig: number): void {
  const p = t.ptrace;
  if (t.state === 'traced') ptraceResume(k, t, sig, false, false);
  // the signal it is to take now goes with it, untraced (queued: delivered as it resumes)
  if (p?.deliver) t.pending.add(p.deliver);
  ptraceUnlink(t);
}

/**
 * exit_ptrace: the tracing process is gone; its tracees are detached
 * (PTRACE_O_EXITKILL: killed) and go on, a signal they were stopped for
 * dropped (as Linux 6's: an attached process does not take the attach's
 * SIGSTOP then).
 */
export function ptraceTracerExit(k: Kernel, tracer: ThreadGroup): void {
  for (const t of [...tracer.ptraced]) {
    const p = t.ptrace!;
    if (p.options & PTRACE_O_EXITKILL) {
      ptraceUnlink(t);
      k.signalProcess(t.tg, SIGKILL);
    } else {
      ptraceDetach(k, t, 0);
    }
  }
  // exits it never waited for: their parents hear of them now
  for (const e of tracer.ptraceExits.splice(0)) ptraceExitReaped(k, e);
}

/** The tracer has waited for (or let go of) exit e: a process's parent hears of it now (do_notify_parent). */
export function ptraceExitReaped(k: Kernel, e: TraceeExit): void {
  const tg = e.held;
  if (tg === null || !tg.notifyHeld) return;
  tg.notifyHeld = false;
  k.notifyParent(tg);
}

/**
 * A traced task is gone (detachTask). Its tracer learns of it from wait
 * unless it is the tracer's own child process, whose zombie wait reports.
 */
export function ptraceTaskExit(k: Kernel, t: Task): void {
  const p = t.ptrace!;
  const tracer = p.tracer;
  ptraceUnlink(t);
  const leader = t.tid === t.tg.tgid;
  if (leader && t.tg.parent === tracer) return;
  if (tracer.zombie) return;
  const status = t.tg.exitStatus ?? p.exitStatus;
  // (the whole process going: its parent waits for the tracer's wait, as wait_task_zombie has it)
  const held = leader && t.tg.exitStatus !== null ? t.tg : null;
  if (held) held.notifyHeld = true;
  tracer.ptraceExits.push({ tid: t.tid, pgid: t.tg.pgid, status, uid: t.creds.uid, clone: !leader || t.tg.exitSignal !== SIGCHLD, held });
  tracer.childWait.wake(1);
  const killed = (status & 0x7f) !== 0;
  k.signalProcess(tracer, SIGCHLD, {
    code: killed ? (status & 0x80 ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED, pid: t.tid,
    status: killed ? status & 0x7f : (status >> 8) & 0xff, uid: t.creds.uid,
  });
}

/**
 * A traced task made a new task (copy_process's ptrace part): with the
 * tracer's option for its kind the child is traced too (starting in a
 * stop: SIGSTOP, or PTRACE_EVENT_STOP when seized) and the parent stops at
 * the event as it returns.
 */
export function ptraceClone(k: Kernel, parent: Task, child: Task, vfork: boolean, thread: boolean): void {
  const p = parent.ptrace!;
  const ev = vfork ? PTRACE_EVENT_VFORK : thread || child.tg.exitSignal !== SIGCHLD ? PTRACE_EVENT_CLONE : PTRACE_EVENT_FORK;
  const opt = ev === PTRACE_EVENT_VFORK ? PTRACE_O_TRACEVFORK : ev === PTRACE_EVENT_CLONE ? PTRACE_O_TRACECLONE : PTRACE_O_TRACEFORK;
  if (!(p.options & opt)) return;
  ptraceLink(k, p.tracer, child, p.options, p.seized);
  if (p.seized) child.ptrace!.trap = true;
  else child.pending.add({ signo: SIGSTOP, code: SI_USER, pid: 0, uid: 0 });
  p.pendingEvent = ev;
  p.pendingMsg = child.tid;
}

/** A traced task's event stop due now, inside its call (a vfork parent's PTRACE_EVENT_VFORK, before it waits for
 * its child, as kernel_clone takes it): the call runs again once resumed. True if it stopped. */
export function ptraceEventNow(k: Kernel, t: Task): boolean {
  const p = t.ptrace;
  if (p === null || p.pendingEvent === 0) return false;
  takeEvent(k, t, p, 'rerun');
  return true;
}

/** t stops at its pending event (ptrace_event): SIGTRAP | event << 8, the event's message for GETEVENTMSG. */
function takeEvent(k: Kernel, t: Task, p: PtraceState, after: 'resume' | 'rerun'): void {
  const ev = p.pendingEvent;
  p.pendingEvent = 0;
  p.eventMsg = p.pendingMsg;
  ptraceStop(k, t, SIGTRAP | (ev << 8), after);
}

/** A traced vfork parent's child released it (exec or exit): PTRACE_EVENT_VFORK_DONE as its call returns, under
 * PTRACE_O_TRACEVFORKDONE. */
export function ptraceVforkDone(t: Task, child: number): void {
  const p = t.ptrace;
  if (p === null || !(p.options & PTRACE_O_TRACEVFORKDONE)) return;
  p.pendingEvent = PTRACE_EVENT_VFORK_DONE;
  p.pendingMsg = child;
}

/**
 * A filter of traced t returned SECCOMP_RET_TRACE: under
 * PTRACE_O_TRACESECCOMP it stops before the call (PTRACE_EVENT_SECCOMP,
 * the filter's data its message, rax -ENOSYS as at any syscall stop) and
 * true; resumed, the call is skipped if its tracer made orig_rax -1, else
 * the filters judge it again, RET_TRACE allowing it then (trap.ts,
 * seccomp.ts). False without the option: the call is ENOSYS.
 */
export function ptraceSeccompStop(k: Kernel, t: Task, data: number): boolean {
  const p = t.ptrace;
  if (p === null || !(p.options & PTRACE_O_TRACESECCOMP)) return false;
  p.eventMsg = data;
  t.regs.set(RAX, -Errno.ENOSYS);
  t.sc.seccompStop = true;
  // (the filters run again after the stop: the tracer may have changed the call)
  t.sc.hooked = false;
  ptraceStop(k, t, SIGTRAP | (PTRACE_EVENT_SECCOMP << 8), 'rerun');
  return true;
}

/** A traced task's execve succeeded: its event stop (PTRACE_O_TRACEEXEC), or the legacy SIGTRAP. */
export function ptraceExec(k: Kernel, t: Task, oldTid: number): void {
  const p = t.ptrace!;
  if (p.options & PTRACE_O_TRACEEXEC) {
    p.pendingEvent = PTRACE_EVENT_EXEC;
    p.pendingMsg = oldTid;
  } else {
    k.signalTask(t, SIGTRAP);
  }
}

/**
 * A traced task calls exit or exit_group (do_exit's ptrace_event): with
 * PTRACE_O_TRACEEXIT it stops first, its wait status the event's message;
 * the call runs again once it is resumed. True if it stopped. (Threads that
 * a sibling's exit_group ends go without this stop.)
 */
export function ptraceExitEvent(k: Kernel, t: Task, status: number): boolean {
  const p = t.ptrace!;
  if (!(p.options & PTRACE_O_TRACEEXIT) || p.exitReported) return false;
  p.exitReported = true;
  p.eventMsg = status;
  ptraceStop(k, t, SIGTRAP | (PTRACE_EVENT_EXIT << 8), 'rerun');
  return true;
}

/** orig_rax as the tracer left it at a syscall-entry stop: -1 skips the call. */
export function skipsSyscall(t: Task): boolean {
  return t.regs.getS(ORIG_RAX) === -1;
}
