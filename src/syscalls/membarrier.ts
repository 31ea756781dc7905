/**
 * membarrier(2) (kernel/sched/membarrier.c): a memory barrier on other
 * threads — of every process (GLOBAL; GLOBAL_EXPEDITED: the registered
 * ones) or of the caller's (PRIVATE_EXPEDITED and its SYNC_CORE and RSEQ
 * forms, which need the process registered first: EPERM).
 *
 * The barrier. A guest thread umlts has stopped (in a syscall, a fault, a
 * sleep, waiting for a vCPU) entered the host kernel after its last guest
 * instruction, and the kernel saw that stop before this call's (one JS
 * thread): its earlier accesses are ordered before the caller's later ones,
 * and anything it does after it is resumed comes after this call, since
 * its resume passes through the kernel too. So only threads running guest
 * code at this moment (state 'running', the caller aside) need one; if
 * there is such a thread in the set the command names, the host's
 * MEMBARRIER_CMD_GLOBAL gives it (Platform.memoryBarrier), for every host
 * thread at once. A thread that is 'running' but has already trapped (its
 * stop not yet taken) only costs a barrier it did not need.
 *
 * SYNC_CORE asks besides that each thread serialize its core before it
 * runs guest code again (for code modified across threads): a stopped
 * thread returns to guest code through the host kernel's return path, a
 * running one gets the host's grace-period interrupt; on x86-64 both are
 * IRET (core serializing) or a PTI page-table switch, but that is how the
 * host returns, not a guarantee the host's membarrier documents.
 *
 * RSEQ: umlts offers no rseq(2) (ENOSYS), so no thread is ever in a
 * restartable sequence and the RSEQ commands are the plain barrier — what
 * Linux's are for a process with no critical section running; offered, so
 * that QUERY answers as a Linux with CONFIG_RSEQ does.
 *
 * A host without MEMBARRIER_CMD_GLOBAL (nohz_full CPUs) cannot give the
 * barrier: there the guest finds no membarrier (ENOSYS), as on a Linux
 * built without it.
 */
import { Errno } from '../abi/errno.js';
import {
  MEMBARRIER_CMD_QUERY, MEMBARRIER_CMD_GLOBAL, MEMBARRIER_CMD_GLOBAL_EXPEDITED, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
  MEMBARRIER_CMD_PRIVATE_EXPEDITED, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE,
  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_GET_REGISTRATIONS, MEMBARRIER_CMD_FLAG_CPU,
} from '../abi/membarrier.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2 } from './types.js';

/** MEMBARRIER_CMD_BITMASK with SYNC_CORE (x86-64 has it) and RSEQ (see the file comment): what QUERY answers */
const MEMBARRIER_CMD_BITMASK = MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |
  MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED |
  MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE |
  MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ | MEMBARRIER_CMD_GET_REGISTRATIONS;

/** mm->membarrier_state's bits (include/linux/sched/mm.h; kernel-internal): a registration sets the state bit,
 * then the READY bit the command checks. Kept as Linux's because GET_REGISTRATIONS reports the state bits. */
const STATE_PRIVATE_EXPEDITED_READY = 1 << 0, STATE_PRIVATE_EXPEDITED = 1 << 1, STATE_GLOBAL_EXPEDITED_READY = 1 << 2,
  STATE_GLOBAL_EXPEDITED = 1 << 3, STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY = 1 << 4,
  STATE_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 5, STATE_PRIVATE_EXPEDITED_RSEQ_READY = 1 << 6,
  STATE_PRIVATE_EXPEDITED_RSEQ = 1 << 7;

/** membarrier_get_registrations: each registration whose state bits are set (immutable) */
const REGISTRATIONS: readonly [number, number][] = [
  [STATE_GLOBAL_EXPEDITED | STATE_GLOBAL_EXPEDITED_READY, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED],
  [STATE_PRIVATE_EXPEDITED | STATE_PRIVATE_EXPEDITED_READY, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED],
  [STATE_PRIVATE_EXPEDITED_SYNC_CORE | STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE],
  [STATE_PRIVATE_EXPEDITED_RSEQ | STATE_PRIVATE_EXPEDITED_RSEQ_READY, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ],
];

/** The barrier on every task `which` picks that runs guest code now (see the file comment). */
function barrier(t: Task, which: (x: Task) => boolean): void {
  const k = t.kernel;
  for (const x of k.tasks.values()) {
    if (x !== t && x.state === 'running' && which(x)) {
      k.platform.memoryBarrier();
      return;
    }
  }
}

/** membarrier_register_*: the state bit, then the READY one (one step here: nothing runs between). */
function register(t: Task, state: number, ready: number): number {
  t.mm.membarrierState |= state | ready;
  return 0;
}

/**
 * membarrier_private_expedited: EPERM unless registered for this form;
 * cpuId >= 0 (RSEQ with MEMBARRIER_CMD_FLAG_CPU) narrows it to the
 * caller's process's thread on that vCPU, and a vCPU that does not exist
 * is nothing to do.
 */
function privateExpedited(t: Task, ready: number, cpuId: number): number {
  if (!(t.mm.membarrierState & ready)) return -Errno.EPERM;
  if (cpuId >= t.kernel.sched.ncpus) return 0;
  const mm = t.mm;
  barrier(t, (x) => x.mm === mm && (cpuId < 0 || x.cpu === cpuId));
  return 0;
}

/** membarrier(2): cmd, flags (MEMBARRIER_CMD_FLAG_CPU, for PRIVATE_EXPEDITED_RSEQ only), cpu_id. */
export function sys_membarrier(t: Task, r: Regs): number {
  const cmd = r.getI32(A0), flags = r.getU32(A1);
  if (!t.kernel.platform.memoryBarrierAvailable()) return -Errno.ENOSYS;
  if (cmd === MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ ? flags !== 0 && flags !== MEMBARRIER_CMD_FLAG_CPU : flags !== 0) {
    return -Errno.EINVAL;
  }
  const cpuId = flags & MEMBARRIER_CMD_FLAG_CPU ? r.getI32(A2) : -1;
  switch (cmd) {
    case MEMBARRIER_CMD_QUERY:
      return MEMBARRIER_CMD_BITMASK;
    case MEMBARRIER_CMD_GLOBAL:
      barrier(t, () => true);
      return 0;
    case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
      barrier(t, (x) => (x.mm.membarrierState & STATE_GLOBAL_EXPEDITED) !== 0);
      return 0;
    case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
      return register(t, STATE_GLOBAL_EXPEDITED, STATE_GLOBAL_EXPEDITED_READY);
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
      return privateExpedited(t, STATE_PRIVATE_EXPEDITED_READY, cpuId);
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
      return register(t, STATE_PRIVATE_EXPEDITED, STATE_PRIVATE_EXPEDITED_READY);
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
      return privateExpedited(t, STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY, cpuId);
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
      return register(t, STATE_PRIVATE_EXPEDITED | STATE_PRIVATE_EXPEDITED_SYNC_CORE, STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY);
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ:
      return privateExpedited(t, STATE_PRIVATE_EXPEDITED_RSEQ_READY, cpuId);
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ:
      return register(t, STATE_PRIVATE_EXPEDITED | STATE_PRIVATE_EXPEDITED_RSEQ, STATE_PRIVATE_EXPEDITED_RSEQ_READY);
    case MEMBARRIER_CMD_GET_REGISTRATIONS: {
      let mask = 0;
      for (const [bits, cmd] of REGISTRATIONS) if (t.mm.membarrierState & bits) mask |= cmd;
      return mask;
    }
    default:
      return -Errno.EINVAL;
  }
}
