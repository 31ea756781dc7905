/**
 * Mirror of native/stub/layout.h (the one place the layout is written).
 * test/stub_layout.test.mjs compiles layout_dump.c and checks every value here.
 * Entry points come from build/native/stub.syms, written by the stub's Makefile.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PKG_ROOT } from '../host/paths.js';

export const STUB_PAGE_SIZE = 0x1000;
export const GUEST_TASK_SIZE = 0x7fe000000000;
export const STUB_START = 0x7ff000000000;
export const STUB_CODE = STUB_START;
export const STUB_CODE_SIZE = 0x1000;
export const STUB_BATCH = STUB_CODE + STUB_CODE_SIZE;
export const STUB_BATCH_SIZE = 0x1000;
export const STUB_BATCH_ENTRY = 56;
export const STUB_BATCH_PATH_SIZE = 104;
export const STUB_BATCH_PATH = STUB_BATCH_SIZE - 128;
/** systrap: the mapper's request in the batch page (two arguments, the futex the kernel bumps, the command) */
export const STUB_BATCH_ARG0 = STUB_BATCH_SIZE - 24, STUB_BATCH_ARG1 = STUB_BATCH_SIZE - 16;
export const STUB_BATCH_SEQ = STUB_BATCH_SIZE - 8, STUB_BATCH_CMD = STUB_BATCH_SIZE - 4;
export const MAPPER_RUN = 0, MAPPER_CLONE = 1, MAPPER_FORK = 2, MAPPER_RUN_FORK = 3;
export const STUB_BATCH_MAX = STUB_BATCH_PATH / STUB_BATCH_ENTRY - 1 | 0;
/** what the guest's vDSO reads in the batch page: the host's clock_gettime (u64) and the wall-clock offset (i64) */
export const STUB_BATCH_VDSO = STUB_BATCH_PATH - 48;
export const STUB_END = STUB_BATCH + STUB_BATCH_SIZE;
export const STUB_HOST_TOP = 0x7ffffffff000;
/** the stub's start-up code, unmapped before any guest code runs */
export const STUB_SETUP = STUB_END;
export const STUB_SETUP_SIZE = 0x3000;
export const STUB_WAKER_STACK = STUB_END + 0x3000;
export const STUB_FD_PHYSMEM = 3;
/** the stub's fds the filter lets mmap name (physmem and the files it opened) */
export const STUB_FD_LIMIT = 256;
/** host clone flags of a guest thread's host thread: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */
export const STUB_CLONE_FLAGS = 0x50f00;
/** systrap: host clone flags of a guest fork's host process (stub_sys_fork): CLONE_PARENT|SIGCHLD */
export const STUB_FORK_FLAGS = 0x8011;

// systrap (native/stub/layout.h: the systrap block)
export const STUB_FILTER = STUB_END + 0x4000;
export const STUB_FILTER_INSNS = 64;
export const STUB_DOORBELL = STUB_END + 0x6000;
export const DB_SEQ = 0;
export const SYSMEM_WAKER = 0x1000, WK_EVENTS = 0, WK_HOSTSIGS = 4;
export const SYSMEM_KSTATE = 0x2000, STUB_KSTATE = STUB_END + 0x8000, KS_SLEEPING = 0;
export const STUB_AREAS = STUB_END + 0xe000;
export const STUB_AREA_SIZE = 0x4000;
export const STUB_AREAS_MAX = 4096;
export const STUB_AREAS_END = STUB_AREAS + STUB_AREAS_MAX * STUB_AREA_SIZE;
export const STUB_ALTSTACK = 0x1000;
/** the host's vDSO and its data pages, moved here by every stub (both platforms) */
export const STUB_HOST_VDSO = STUB_AREAS_END + 0x100000, STUB_HOST_VDSO_SIZE = 0x10000;
/** a stub's exit status when it cannot keep the host's vDSO (host_facts.ts spawnKeepingVdso) */
export const STUB_EXIT_VDSO_LAYOUT = 147, STUB_EXIT_VDSO_MOVE = 148;
export const MSG_STATE = 0, MSG_SIG = 4, MSG_CODE = 8, MSG_WAITING = 12, MSG_ADDR = 16, MSG_FPOFF = 24, MSG_CMD = 32,
  MSG_SETFS = 36, MSG_FSBASE = 40, MSG_GSBASE = 48, MSG_SPIN = 56, MSG_TID = 60, MSG_REGS = 64, MSG_ERR = 280, MSG_SS = 512;
export const MSG_SPIN_MAX = 0x10000;
export const MSG_RUNNING = 0, MSG_POSTED = 1, MSG_REPLIED = 2;
/** a patched syscall's words in the message (layout.h: stub_fast_entry's post, beside the handler's) */
export const MSG_FSTATE = 536, MSG_FWAITING = 540, MSG_FCMD = 544, MSG_FSELF = 552, MSG_FSTACK = 560, MSG_FREGS = 1024,
  STUB_FSTACK = 0x1000;
export const STUB_FD_SYSMEM = 4;
/** systrap: the mapper's end of the kernel's report socket */
export const STUB_FD_DONE = 5;
export const STUB_SIGKICK = 40;

/** Is this address in the stub's pages (above the guest's TASK_SIZE)? A guest stopped there jumped into the stub. */
export function isStubAddress(addr: number): boolean {
  return addr >= STUB_START && addr < STUB_END;
}

export const STUB_DIR = join(PKG_ROOT, 'build', 'native') + '/';
/** named so that a stub's comm (all ps can show once it has unmapped its argv) says what it is */
export const STUB_PATH = STUB_DIR + 'umlts-stub';

/** Entry points and trap sites in the stub's code page (immutable once loaded). */
export interface StubSymbols {
  stub_run_batch: number;
  stub_batch_syscall: number;
  stub_batch_trap: number;
  stub_clone_thread: number;
  stub_clone_syscall: number;
  stub_clone_trap: number;
  stub_thread_trap: number;
  stub_thread_exit: number;
  stub_waker_trap: number;
  stub_sys_ready_syscall: number;
  stub_sys_fork: number;
  stub_sys_fork_trap: number;
  stub_sys_forked_trap: number;
  stub_mapper_loop: number;
  /** where a patched syscall site's entry jumps (systrap) */
  stub_fast_entry: number;
}

export function loadStubSymbols(): StubSymbols {
  let text: string;
  try {
    text = readFileSync(STUB_DIR + 'stub.syms', 'utf8');
  } catch {
    throw new Error(`the stub is not built (${STUB_DIR}stub.syms missing): run npm install`);
  }
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, addr] = line.trim().split(/\s+/);
    if (addr && name) m.set(name, parseInt(addr, 16));
  }
  const get = (n: string): number => {
    const v = m.get(n);
    if (v === undefined || v < STUB_CODE || v >= STUB_CODE + STUB_CODE_SIZE) throw new Error(`stub symbol ${n} missing or outside the code page`);
    return v;
  };
  return {
    stub_run_batch: get('stub_run_batch'),
    stub_batch_syscall: get('stub_batch_syscall'),
    stub_batch_trap: get('stub_batch_trap'),
    stub_clone_thread: get('stub_clone_thread'),
    stub_clone_syscall: get('stub_clone_syscall'),
    stub_clone_trap: get('stub_clone_trap'),
    stub_thread_trap: get('stub_thread_trap'),
    stub_thread_exit: get('stub_thread_exit'),
    stub_waker_trap: get('stub_waker_trap'),
    stub_sys_ready_syscall: get('stub_sys_ready_syscall'),
    stub_sys_fork: get('stub_sys_fork'),
    stub_sys_fork_trap: get('stub_sys_fork_trap'),
    stub_sys_forked_trap: get('stub_sys_forked_trap'),
    stub_mapper_loop: get('stub_mapper_loop'),
    stub_fast_entry: get('stub_fast_entry'),
  };
}
