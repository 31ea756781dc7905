/**
 * The trap handlers (arch/um/kernel/trap.c, skas/syscall.c): one per kind
 * of platform Stop — a syscall, a fault, a trap, a host signal, a host
 * thread's death. The loop in kernel.ts only dispatches to these.
 *
 * Functions of the Kernel (kernel.ts), which calls them through its
 * methods; state is the kernel's, guarded by the JS thread.
 */
import { OutOfMemory } from '../mm/physmem.js';
import { Stop, STOP_SYSCALL, STOP_SECCOMP, STOP_FAULT, STOP_TRAP, STOP_KICK, STOP_SIGNAL, STOP_EXIT, STOP_PENDING } from '../platform/platform.js';
import { isStubAddress } from '../platform/stub_layout.js';
import { FAULT_SIGBUS } from '../mm/address_space.js';
import { RIP, ORIG_RAX, RAX, RCX, R11, EFLAGS } from '../platform/regs.js';
import { noteSyscallSite, isPatchedSyscall } from '../mm/syscall_patch.js';
import { Task } from './task.js';
import { dispatchSyscall, finishSyscall, BLOCKED, REGS_SET } from './syscall.js';
import { SigInfo, SIGKILL, SI_KERNEL, SIGSEGV, SIGTRAP, SIGILL, SIGBUS, BUS_ADRERR, SEGV_MAPERR, SEGV_ACCERR } from './signal.js';
import { Kernel, KernelPanic } from './kernel.js';
import { ptraceSyscallEntry, skipsSyscall } from './ptrace.js';

/** One stop of a guest thread: the trap loop only dispatches. */
export function onStop(k: Kernel, task: Task, stop: Stop): void {
  // a signal from outside for a thread the kernel holds: no stop of its, its vCPU is not involved
  if (stop.kind === STOP_PENDING) return k.signalProcess(task.tg, stop.sig, { signo: stop.sig, code: SI_KERNEL });
  k.enterStop(task);
  try {
    switch (stop.kind) {
      case STOP_SYSCALL: return k.onSyscall(task, false);
      case STOP_SECCOMP: return k.onSyscall(task, true);
      case STOP_FAULT: return k.onFault(task);
      case STOP_TRAP: return k.onTrap(task);
      case STOP_KICK: return k.onHostSignal(task, 0);
      case STOP_SIGNAL: return k.onHostSignal(task, stop.sig);
      case STOP_EXIT: return k.onHostDeath(task, stop.sig, stop.status);
      default: throw new KernelPanic(`unexpected stop ${stop.kind} of pid ${task.pid} (host tid ${task.thread.tid})`);
    }
  } finally {
    // kept its vCPU through the stop but was not started again: it gives it up now
    k.endStop(task);
  }
}

export function onSyscall(k: Kernel, task: Task, atSeccomp: boolean): void {
  task.sc.atSeccomp = atSeccomp;
  task.faultRepeats = 0;
  task.thread.getRegs(task.regs);
  if (isStubAddress(task.regs.get(RIP))) return k.onStubJump(task);
  const entry = k.platform.syscallPatchEntry, mm = task.mm;
  // (a patched call pays only in a thread that polls for its replies: Context.polls)
  if (entry !== 0 && task.thread.polls && mayRewriteSites(task)) {
    noteSyscallSite(mm, entry, task.regs.get(RIP), task.regs.getI32(ORIG_RAX));
  }
  mm.setSyncThread(task.thread);
  k.syscall(task);
}

/**
 * May the kernel rewrite syscall sites of task's address space now (patch
 * or put back, syscall_patch.ts), task being stopped? Only while no other
 * thread can be executing them: one task, untraced; or a vfork child,
 * whose parent waits for it, the only other user of its parent's memory.
 */
export function mayRewriteSites(task: Task): boolean {
  const mm = task.mm;
  return (mm.users === 1 || (mm.users === 2 && task.vforkParent?.mm === mm)) && task.ptrace === null;
}

/**
 * A SIGILL at the old syscall instruction of a patched site (a restart
 * rewound rip there, or other code jumps there): the syscall it was, with
 * the number in rax, returning after the site as the instruction would.
 */
function patchedSyscall(k: Kernel, task: Task): void {
  const r = task.regs;
  r.set(RIP, r.get(RIP) + 2);
  r.set(ORIG_RAX, r.get(RAX));
  r.set(RCX, r.get(RIP));
  r.set(R11, r.get(EFLAGS));
  task.sc.atSeccomp = false;
  task.faultRepeats = 0;
  task.mm.setSyncThread(task.thread);
  k.syscall(task);
}

/**
 * The guest executed a syscall instruction inside the stub's page (it
 * jumped there): under SYSEMU nothing ran on the host. The page is not
 * the guest's, so it gets what executing outside its address space gives.
 */
export function onStubJump(k: Kernel, task: Task): void {
  const r = task.regs;
  const at = r.get(RIP) - 2;
  // the signal frame points at the syscall instruction, as a fetch fault
  // would: a handler that returns retries it and faults again
  r.set(RIP, at);
  r.set(ORIG_RAX, -1);
  task.sc.returning = false;
  k.forceSignal(task, SIGSEGV, { signo: SIGSEGV, code: SEGV_MAPERR, addr: at, trapno: 14, err: 4 | 16 });
  k.resume(task);
}

/** Run (or re-run, after a wake) the task's current syscall and resume it unless it blocked. */
export function syscall(k: Kernel, task: Task): void {
  if (task.ptrace !== null) {
    // its tracer sees the entry first (a re-run after a wake is the same call: no second stop)
    if (task.ptrace.syscallTrace && !task.sc.hooked && !task.sc.ptraceExit) {
      ptraceSyscallEntry(k, task);
      return;
    }
    if (task.sc.ptraceExit && !task.sc.hooked && skipsSyscall(task)) {
      // the tracer made it -1: not run, rax is what the tracer left (and no restart: orig_rax is no call)
      task.sc.returning = false;
      k.resume(task);
      return;
    }
  }
  if (task.sc.seccompStop) {
    // back from PTRACE_EVENT_SECCOMP: skipped by its tracer (or about to die), else judged again by the filters
    task.sc.seccompStop = false;
    if (skipsSyscall(task) || k.fatalSignalPending(task)) {
      task.sc.returning = false;
      k.resume(task);
      return;
    }
    task.sc.seccompRecheck = true;
  }
  k.stats.syscalls++;
  const ret = dispatchSyscall(task, task.regs.getI32(ORIG_RAX));
  if (ret === BLOCKED) {
    task.sc.hold();
    k.stopBlocked(task);
    // mapping changes reach the host now, not when this task resumes: its
    // other threads run on meanwhile (the trapping thread is still stopped,
    // or parked if it exited; a process that died has nothing queued)
    if (task.mm.pendingFlush > 0) task.mm.flush();
    // a signal that arrived while this syscall's stop waited to be taken
    // (another thread's tgkill, say) must not be slept through, nor a stop
    if (task.state === 'blocked' && (k.hasDeliverable(task) || k.jobctlPending(task))) k.interrupt(task);
    return;
  }
  task.sc.done();
  if (ret === REGS_SET) {
    task.sc.returning = false;
  } else {
    finishSyscall(task, ret);
    task.sc.returning = true;
  }
  k.resume(task);
}

/**
 * A SIGSEGV stopped a guest thread, at its signal-delivery stop: the
 * registers (GETREGS) and the address and kind (GETSIGINFO) are the
 * host's, nothing is read from memory the guest can write, and resuming
 * discards the host signal. A page fault the page tables can satisfy is
 * mapped and retried; anything else is the guest's SIGSEGV.
 */
export function onFault(k: Kernel, task: Task): void {
  const th = task.thread, r = task.regs, si = k.siginfo;
  th.getRegs(r);
  r.dirty = true;
  th.getSiginfo(si);
  if (si.code <= 0) return k.onHostSignal(task, SIGSEGV); // sent by someone (kill, tgkill)
  task.sc.returning = false;
  task.sc.atSeccomp = false;
  task.mm.setSyncThread(th);
  let info: SigInfo;
  if (si.code === SEGV_MAPERR || si.code === SEGV_ACCERR) {
    const rip = r.get(RIP);
    const err = task.mm.hostFaultErr(si.addr, si.code === SEGV_ACCERR, si.addr >= rip && si.addr - rip < 16, si.err);
    // (the guest's signal says what the host's frame said, where the platform knows it)
    const sigErr = si.err >= 0 ? si.err : err;
    let code = si.code;
    if (k.faultProgress(task, si.addr)) {
      try {
        code = task.mm.handleFault(si.addr, err);
      } catch (e) {
        if (!(e instanceof OutOfMemory)) throw e;
        if (k.outOfMemory(task)) return;
        // another process went (or one is going): the fault is taken again
        // once its frames are back (the page table is as the failed
        // allocation left it: nothing half made)
        return k.waitForFrames(task, 'fault');
      }
      if (code === 0) return k.resume(task);
    }
    // (a file mapping's page past the end of its file: SIGBUS)
    info = code === FAULT_SIGBUS ? { signo: SIGBUS, code: BUS_ADRERR, addr: si.addr, trapno: 14, err: sigErr }
      : { signo: SIGSEGV, code, addr: si.addr, trapno: 14, err: sigErr };
  } else {
    // a general protection fault (si_code SI_KERNEL, no address), or a protection key's
    info = { signo: SIGSEGV, code: si.code, addr: si.addr, trapno: si.code === SI_KERNEL ? 13 : 14, err: 0 };
  }
  k.forceSignal(task, info.signo, info);
  k.resume(task);
}

/** False when the same fault keeps coming back after being mapped (the guest gets SIGSEGV, not a livelock). */
export function faultProgress(k: Kernel, task: Task, addr: number): boolean {
  const page = Math.floor(addr / 4096), evictions = task.mm.tlb.hostFull;
  // (a host out of room dropped every host mapping of the process since: a sibling's fault can do that
  // between this one's mapping and its retry, any number of times)
  if (page !== task.faultAddr || evictions !== task.faultEvictions) {
    task.faultAddr = page;
    task.faultEvictions = evictions;
    task.faultRepeats = 0;
    return true;
  }
  return ++task.faultRepeats < 4;
}

/** An int3 (or any SIGTRAP the guest raised itself) in guest code. Stub
 * traps never get here: the kernel waits for those where it starts them. */
export function onTrap(k: Kernel, task: Task): void {
  const r = task.regs;
  task.thread.getRegs(r);
  r.dirty = true;
  task.thread.getSiginfo(k.siginfo);
  if (k.siginfo.code <= 0) return k.onHostSignal(task, SIGTRAP);
  task.sc.returning = false;
  task.sc.atSeccomp = false;
  k.forceSignal(task, SIGTRAP, { signo: SIGTRAP, code: k.siginfo.code, addr: k.siginfo.addr });
  k.resume(task);
}

/**
 * A host signal stopped a guest host thread: the platform's kick (sig 0:
 * a guest signal is waiting, or preemption), the guest's own fault
 * (SIGFPE, SIGILL, SIGBUS), or a signal sent from outside umlts.
 */
export function onHostSignal(k: Kernel, task: Task, sig: number): void {
  const r = task.regs;
  task.thread.getRegs(r);
  // resume with SETREGS, not the POKEUSER fast path: that one is only
  // sound straight after a SYSEMU syscall stop (restarts and signal
  // delivery in the host may have moved more than rax since)
  r.dirty = true;
  task.sc.returning = false;
  task.sc.atSeccomp = false;
  if (sig !== 0) {
    const si = k.siginfo;
    task.thread.getSiginfo(si);
    const sync = si.code > 0 && si.code < SI_KERNEL;
    if (sync && sig === SIGILL && isPatchedSyscall(task.mm, r.get(RIP))) return patchedSyscall(k, task);
    if (sync) k.forceSignal(task, sig, { signo: sig, code: si.code, addr: si.addr });
    else k.signalProcess(task.tg, sig, { signo: sig, code: SI_KERNEL });
  }
  k.resume(task);
}

/** A guest host thread died under us (killed from outside, or by the host's
 * OOM killer): the guest dies the same way. sig 0: it exited (code). */
export function onHostDeath(k: Kernel, task: Task, sig: number, code: number): void {
  task.thread.owner = null;
  if (task.state === 'zombie' || task.state === 'dead') return;
  if (sig === 0) k.warn(`pid ${task.pid}: host process ${task.thread.tid} exited unexpectedly (${code})`);
  k.exitGroup(task, sig || SIGKILL);
}
