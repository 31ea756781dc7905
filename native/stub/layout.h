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
 * must not live anywhere the guest can write) */
#define STUB_BATCH_PATH_SIZE 128UL
#define STUB_BATCH_PATH     (STUB_BATCH_SIZE - STUB_BATCH_PATH_SIZE) /* offset in the page */
#define STUB_BATCH_MAX      ((STUB_BATCH_PATH / STUB_BATCH_ENTRY) - 1) /* last slot: terminator */
/* data: one slot per guest thread; a slot is that thread's SIGSEGV signal
 * stack with the fault record at its base. Writable by the guest (it must be,
 * for signal frames), so nothing in it is trusted. */
#define STUB_DATA           (STUB_START + STUB_SLOT_SIZE) /* slot-aligned, after code and batch */
#define STUB_SLOT_SIZE      0x4000UL  /* > AT_MINSIGSTKSZ (3376 with AVX-512) + frame */
#define STUB_SLOTS          64UL      /* guest threads per process (one slot each) */
#define STUB_DATA_SIZE      (STUB_SLOT_SIZE * STUB_SLOTS)
#define STUB_END            (STUB_DATA + STUB_DATA_SIZE)
#define STUB_HOST_TOP       0x7ffffffff000UL  /* end of host user space */

/* The slot must be aligned to its size: the handler finds its slot by masking rsp. */
#if (STUB_DATA % STUB_SLOT_SIZE) != 0
#error "stub data slots must be aligned to their size"
#endif

/* struct stub_faultinfo, at the base of each data slot */
#define FI_ADDR     0   /* cr2 */
#define FI_ERR      8   /* page-fault error code: bit0 present, bit1 write, bit4 fetch */
#define FI_TRAPNO   16  /* 14 = #PF, 13 = #GP ... */
#define FI_SIGNO    24
#define FI_CODE     32  /* si_code */
#define FI_SP       40  /* handler rsp: the signal frame, for rt_sigreturn */
#define FI_SIZE     48

/* host clone flags of a guest thread's host thread (the only clone the
 * filter lets the stub make): same address space, files and signal handlers */
#define STUB_CLONE_FLAGS    0x50f00UL /* CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */

/* Entry points inside STUB_CODE, as offsets (checked against the ELF's symbols) */
#define STUB_FD_PHYSMEM  3  /* the physmem memfd in every stub; the waker's epoll fd */

#endif
