/* Stub-page layout: the one place it is written. src/platform/stub_layout.ts
 * mirrors every value here; test/stub_layout.test.mjs compiles layout_dump.c
 * against this header and checks each one.
 *
 * The guest owns [0, GUEST_TASK_SIZE). The stub owns [STUB_START, STUB_END).
 * The 64 GiB gap between them is what lets the seccomp filter bound
 * addr + len without arithmetic: addr < GUEST_TASK_SIZE and len < 2^36 means
 * the range ends below STUB_START. */
#ifndef UMLTS_STUB_LAYOUT_H
#define UMLTS_STUB_LAYOUT_H

#define STUB_PAGE_SIZE      0x1000UL
#define GUEST_TASK_SIZE     0x7fe000000000UL
#define STUB_START          0x7ff000000000UL
/* code: the stub's text (from its ELF), read+exec */
#define STUB_CODE           STUB_START
#define STUB_CODE_SIZE      0x1000UL
/* batch: mapping requests written by the kernel through physmem; read-only in
 * the guest's host process, so no guest thread can rewrite a request. */
#define STUB_BATCH          (STUB_CODE + STUB_CODE_SIZE)
#define STUB_BATCH_SIZE     0x1000UL
#define STUB_BATCH_ENTRY    56UL   /* nr + 6 args, 8 bytes each */
/* the page's last bytes: a path for the stub's openat of a host file (which
 * must not live anywhere the guest can write), then (systrap) the mapper's
 * request: the kernel sets CMD and its two arguments, then bumps SEQ (a
 * futex the mapper waits on) */
#define STUB_BATCH_PATH_SIZE 104UL
#define STUB_BATCH_PATH     (STUB_BATCH_SIZE - 128UL) /* offset in the page */
#define STUB_BATCH_ARG0     (STUB_BATCH_SIZE - 24UL)  /* u64, offset in the page */
#define STUB_BATCH_ARG1     (STUB_BATCH_SIZE - 16UL)  /* u64 */
#define STUB_BATCH_SEQ      (STUB_BATCH_SIZE - 8UL)   /* u32 */
#define STUB_BATCH_CMD      (STUB_BATCH_SIZE - 4UL)   /* u32: MAPPER_* */
#define MAPPER_RUN          0  /* run the batch's requests */
#define MAPPER_CLONE        1  /* a new guest thread: ARG0 its area's address, ARG1 the area's offset in sysmem */
#define MAPPER_FORK         2  /* a copy of the process: ARG0 the copy's batch page in physmem, ARG1 the kernel's pid
                                  * (bits 0-31) and the fork's nonce (32-45), which the copy's "born" record says */
#define MAPPER_RUN_FORK     3  /* MAPPER_RUN, then (all done) MAPPER_FORK with its arguments, in one hand-off: no
                                  * report of a run that went through; one that failed reports as MAPPER_RUN's, one
                                  * byte longer (never 1 byte, which is the fork's report) */
#define STUB_BATCH_MAX      ((STUB_BATCH_PATH / STUB_BATCH_ENTRY) - 1) /* last slot: terminator */
/* between the last slot and the path: what the guest's vDSO (native/vdso) reads, written by the kernel only:
 * the address of the host's __vdso_clock_gettime at STUB_HOST_VDSO (u64; 0: none) and the guest's wall clock's
 * offset from the host's, ns (i64) */
#define STUB_BATCH_VDSO     (STUB_BATCH_PATH - 48UL)
#define STUB_END            (STUB_BATCH + STUB_BATCH_SIZE)
#define STUB_HOST_TOP       0x7ffffffff000UL  /* end of host user space */
/* start-up code (argument parsing, the filter builder...): a page of its own
 * after the stub's, unmapped once the filter is in, so a guest can reach
 * none of it: only the entry points of the code page stay */
#define STUB_SETUP          STUB_END
#define STUB_SETUP_SIZE     0x3000UL
/* the waker's few words of stack (a private page; the waker is no guest's) */
#define STUB_WAKER_STACK    (STUB_END + 0x3000UL)

/* host clone flags of a guest thread's host thread (the only clone the
 * filter lets the stub make): same address space, files and signal handlers */
#define STUB_CLONE_FLAGS    0x50f00UL /* CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */
/* systrap: host clone flags of a guest fork's host process, made by the
 * parent's mapper (stub_sys_fork): a copy of its process whose parent is
 * the kernel's (CLONE_PARENT), exit signal SIGCHLD */
#define STUB_FORK_FLAGS     0x8011UL  /* CLONE_PARENT|SIGCHLD */

/* ---- systrap (src/platform/systrap/): guest threads run untraced; their
 * syscalls and faults reach a signal handler in the code page that posts
 * them in a per-thread message area and waits for the kernel's reply. */
/* the guest threads' own seccomp filter (built at start-up, then read-only):
 * a struct sock_fprog at the page's start, its instructions after it */
#define STUB_FILTER         (STUB_END + 0x4000UL)
#define STUB_FILTER_INSNS   64UL   /* offset of the instructions in the page */
/* the doorbell page (sysmem offset 0): shared by the kernel, the waker and
 * every stub, read+write: a guest can ring it (a spurious scan) or rewind
 * it (a lost ring, bounded by the kernel's timeout; see stub.c) */
#define STUB_DOORBELL       (STUB_END + 0x6000UL)
#define DB_SEQ        0   /* u32: bumped by every post (the futex the kernel waits on) */
/* the waker's page (sysmem offset 0x1000): mapped by the kernel and the
 * waker only, at STUB_DOORBELL + STUB_PAGE_SIZE in the waker; no guest
 * can write what it says */
#define SYSMEM_WAKER  0x1000UL
#define WK_EVENTS     0   /* u32: 1 from the waker's ring until the kernel has taken the events */
#define WK_HOSTSIGS   4   /* u32: host signals the waker received (bit sig-1) */
/* the kernel's page (sysmem offset 0x2000): written by the kernel only,
 * read-only in every stub (at STUB_KSTATE): what it says a guest can read
 * but not change */
#define SYSMEM_KSTATE 0x2000UL
#define STUB_KSTATE         (STUB_END + 0x8000UL)
#define KS_SLEEPING   0   /* u32: 1 while the kernel sleeps (or is about to) on the doorbell: a post must wake it */
/* per-thread areas: thread slot i of sysmem at STUB_AREAS + i * STUB_AREA_SIZE,
 * the message page then the thread's signal stack; only its own process's
 * slots are mapped in a host process */
#define STUB_AREAS          (STUB_END + 0xe000UL)   /* 16 KiB-aligned: the handler finds its area from rsp */
#define STUB_AREA_SIZE      0x4000UL
#define STUB_AREAS_MAX      4096UL
#define STUB_AREAS_END      (STUB_AREAS + STUB_AREAS_MAX * STUB_AREA_SIZE)
#define STUB_ALTSTACK       0x1000UL  /* offset of the signal stack in an area */
/* the host's own vDSO and its data pages ([vvar], ...; both platforms): moved here by the stub at start-up from
 * where the host put them (the guest's range), in the layout the kernel read in its own process (the host's
 * vDSO code finds its data at fixed offsets); read+exec, as the host made them. At most STUB_HOST_VDSO_SIZE. */
#define STUB_HOST_VDSO      (STUB_AREAS_END + 0x100000UL)
#define STUB_HOST_VDSO_SIZE 0x10000UL
/* a stub's exit status when it cannot keep the host's vDSO (a layout that does not fit its own process, or a
 * host that refuses the mremap): the kernel spawns stubs without the layout from then on */
#define STUB_EXIT_VDSO_LAYOUT 147
#define STUB_EXIT_VDSO_MOVE   148
/* the message: offsets in the area's first page */
#define MSG_STATE     0    /* u32: MSG_RUNNING, MSG_POSTED (by the handler), MSG_REPLIED (by the kernel) */
#define MSG_SIG       4    /* u32: the host signal the handler took */
#define MSG_CODE      8    /* i32: its si_code */
#define MSG_WAITING   12   /* u32: 1 while the handler sleeps on MSG_STATE */
#define MSG_ADDR      16   /* u64: si_addr (SIGSYS: si_call_addr) */
#define MSG_FPOFF     24   /* u64: offset of the frame's XSAVE area in the area */
#define MSG_CMD       32   /* u32: the reply: 0 return to guest code, 1 end the host thread */
#define MSG_SETFS     36   /* u32: the reply: bit 0 set fs base, bit 1 set gs base */
#define MSG_FSBASE    40   /* u64 */
#define MSG_GSBASE    48   /* u64 */
#define MSG_SPIN      56   /* u32: polls of MSG_STATE before the handler sleeps (set by the kernel; read at each poll:
                              the kernel zeroes it when its reply will be late) */
#define MSG_TID       60   /* u32: a new thread's tid, written by the mapper that cloned it (checked, platform.ts) */
#define MSG_SPIN_MAX  0x10000UL /* the handler polls at most this often, whatever MSG_SPIN says (a guest can write it) */
#define MSG_REGS      64   /* struct user_regs_struct (27 u64) */
#define MSG_ERR       280  /* u64: the frame's err (uc_mcontext): a fault's x86 error code (bit 1 write, bit 4 fetch) */
#define MSG_SS        512  /* a stack_t for the new thread's sigaltstack */
#define MSG_RUNNING   0
#define MSG_POSTED    1
#define MSG_REPLIED   2
/* a patched syscall (src/mm/syscall_patch.ts): the guest's `mov $nr, %eax; syscall` (or `mov 8(%rsp), %r9;
 * syscall`) rewritten into a jump to a per-site entry in guest memory that repeats the replaced instruction and
 * loads rcx = the address after the site (what the syscall instruction leaves in rcx), then jumps to
 * stub_fast_entry. That entry finds the area through %gs (the host
 * thread's gs base is its area while the guest's own is 0) and posts the call beside the handler's message,
 * in words of its own, so that a signal taken in the middle (the handler's post) overwrites nothing of it */
#define MSG_FSTATE    536  /* u32: MSG_RUNNING, MSG_POSTED (by stub_fast_entry), MSG_REPLIED (by the kernel) */
#define MSG_FWAITING  540  /* u32: 1 while stub_fast_entry sleeps on MSG_FSTATE */
#define MSG_FCMD      544  /* u32: the reply: 0 return to guest code, 1 end the host thread, 2 let the handler take
                              the call over (the kernel needs the whole frame: FPU state, fs base, trap flag) */
#define MSG_FSELF     552  /* u64: the area's address in its process (the futex stub_fast_entry sleeps on) */
#define MSG_FSTACK    560  /* u64: top of stub_fast_entry's stack (a few words below the signal stack) */
#define MSG_FREGS     1024 /* struct user_regs_struct of the patched call */
#define STUB_FSTACK   0x1000UL /* offset of that stack's top in the area */
#define STUB_FD_SYSMEM   4  /* systrap: the sysmem memfd (doorbell and thread areas) */
/* systrap: the mapper's end of the kernel's report socket (SOCK_SEQPACKET; the
 * kernel learns the sender's pid from SCM_CREDENTIALS) */
#define STUB_FD_DONE     5
/* the host signal that makes a thread running guest code post (a kick) */
#define STUB_SIGKICK     40

#define STUB_FD_PHYSMEM  3  /* the physmem memfd in every stub; the waker's epoll fd */
/* the stub's other fds are host files it opened for direct mappings (the
 * kernel keeps at most 128 open); the filter lets mmap name only these */
#define STUB_FD_LIMIT    256

#endif
