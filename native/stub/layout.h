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
#define STUB_END            (STUB_BATCH + STUB_BATCH_SIZE)
#define STUB_HOST_TOP       0x7ffffffff000UL  /* end of host user space */
/* start-up code (argument parsing, the filter builder...): a page of its own
 * after the stub's, unmapped once the filter is in, so a guest can reach
 * none of it: only the entry points of the code page stay */
#define STUB_SETUP          STUB_END
#define STUB_SETUP_SIZE     0x2000UL
/* the waker's few words of stack (a private page; the waker is no guest's) */
#define STUB_WAKER_STACK    (STUB_END + 0x3000UL)

/* host clone flags of a guest thread's host thread (the only clone the
 * filter lets the stub make): same address space, files and signal handlers */
#define STUB_CLONE_FLAGS    0x50f00UL /* CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */

#define STUB_FD_PHYSMEM  3  /* the physmem memfd in every stub; the waker's epoll fd */
/* the stub's other fds are host files it opened for direct mappings (the
 * kernel keeps at most 128 open); the filter lets mmap name only these */
#define STUB_FD_LIMIT    256

#endif
