/* umlts stub: the only code of umlts that runs inside a guest's host process.
 *
 * Freestanding (no libc): raw syscalls only. Linked at STUB_CODE (stub.lds) so
 * that, once started, it can unmap everything else in its address space and
 * leave the guest [0, GUEST_TASK_SIZE) empty for the kernel to fill.
 *
 * Five modes, chosen by argv[1]:
 *   "stub" <batch_off> <ppid> [<host vDSO layout>]
 *       A guest address space. Moves the host's vDSO and its data pages to
 *       STUB_HOST_VDSO when the kernel gives their layout (the guest's own
 *       vDSO, native/vdso, calls the host's clock_gettime there). Maps the
 *       batch page from physmem (fd 3),
 *       unmaps the rest of the host address space, seals the batch page
 *       read-only, installs the seccomp filter, unmaps its own start-up code
 *       (STUB_SETUP) and traps (int3) to say it is ready. From then on it is
 *       only a code page of entry points and a read-only batch page. A
 *       guest fork's stub is not spawned but copied from the parent's
 *       (stub_sys_fork, S8).
 *   "waker" <ppid>
 *       The kernel's alarm clock: polls fd 3 (the kernel's epoll instance)
 *       and traps (int3) whenever it is readable. Its stops arrive through the
 *       kernel's one waitpid, so timers and host I/O wake a kernel that is
 *       blocked in waitpid. It leads the host process group of every stub,
 *       which is what the kernel waits for. No guest code ever runs in it.
 *   "relay" <ppid> <waker pid> <signal mask> [<termios, hex>]
 *       Untraced, in umlts's own process group: forwards the signals in the
 *       mask (what the terminal sends umlts's group: SIGWINCH, SIGHUP,
 *       SIGCONT) to the waker, whose stop reaches the kernel. With a
 *       termios (the host terminal's before umlts made it raw; the
 *       terminal is its fd 0), its death signal (the kernel's thread gone:
 *       umlts killed by any signal, even SIGKILL, or a library's worker
 *       dead) puts the terminal back before it ends, and it ignores every
 *       other signal it does not forward; at a normal exit the kernel
 *       restores the terminal and kills the relay first.
 *   "systrap" <batch_off> <ppid> [<host vDSO layout>]
 *       A guest address space of the systrap platform
 *       (src/platform/systrap/): as "stub", plus the doorbell page (fd 4,
 *       sysmem), the guest threads' own filter (STUB_FILTER, read-only) and
 *       the handler for every signal a guest thread takes, and the report
 *       socket (fd 5). Its first thread is the mapper: started once by the
 *       kernel (traced, at its ready trap), it serves the kernel's requests
 *       in its loop (stub_mapper_loop: batches, clones, forks) and never
 *       runs guest code; guest threads are the untraced threads it clones
 *       (stub_sys_clone). A guest fork's address space is not spawned but
 *       copied: the parent's mapper forks its process (stub_sys_fork), and
 *       the copy, whose one thread is the copy of the mapper, drops the
 *       thread areas it inherited, maps its own batch page and waits in its
 *       loop (S8).
 *   "syswaker" <ppid>
 *       systrap's waker: untraced; polls the epoll instance (fd 3) and a
 *       signalfd, and rings the doorbell (sysmem, fd 4).
 *
 * WHY THE GUEST CANNOT MAKE A HOST SYSTEM CALL
 *
 * Threat model (DESIGN.md, the security rule): the guest knows every byte of
 * this file, controls every register, can read the code and batch pages, and
 * runs any number of threads racing each other and the kernel.
 *
 * 1. Guest code only ever runs under PTRACE_SYSEMU. The kernel resumes a
 *    thread into guest code with PTRACE_SYSEMU and nothing else
 *    (HostThread.resumeGuest); with SYSEMU the host stops the thread at the
 *    entry of ANY syscall instruction it executes, before seccomp, and never
 *    executes it (kernel/entry/common.c: syscall_trace_enter returns -1 for
 *    SYSCALL_WORK_SYSCALL_EMU). That holds for a `syscall` the guest jumps to
 *    inside this page too: the kernel sees a syscall stop whose rip is in the
 *    stub and gives the guest SIGSEGV. So no instruction sequence of the
 *    guest's executes a host syscall, whatever the registers.
 * 2. Stub code runs on the host only when the kernel starts it: from a
 *    stopped thread, with rip set by the kernel to stub_run_batch,
 *    stub_clone_thread or stub_thread_exit (and eflags, cs and ss reset to
 *    64-bit user mode with no trap flag), under PTRACE_CONT, and the kernel
 *    waits synchronously for the trap (or exit) that ends it
 *    (HostThread.runBatch / cloneThread / retire). These entry points take
 *    no input from registers: the runner loads every request from the
 *    batch page at a fixed address, the others load constants. None touches
 *    the stack or any guest-writable memory.
 * 3. The batch page is read-only in this process and beyond the guest's
 *    reach: it lies above GUEST_TASK_SIZE, every guest mmap/mprotect/munmap/
 *    mremap is emulated by the kernel against its own VMAs (which never
 *    extend there), and the stub's own mprotect/mmap/munmap are bounded
 *    below GUEST_TASK_SIZE by the filter. Only the kernel writes it (through
 *    its own physmem mapping), and only while no stub code of this process
 *    runs (flushes are synchronous; the JS thread does one thing at a time).
 *    The openat path lives there too, so its bytes are the kernel's.
 * 4. After a stub run, the kernel writes back every register of the guest's
 *    from its own copy (SETREGS; HostThread.ranBatch), so nothing of the
 *    stub's (results, pointers) is ever seen by guest code.
 * 5. Faults do not run stub code at all: there is no SIGSEGV handler, no
 *    signal stack and no fault record. The kernel takes a fault at its
 *    signal-delivery stop (registers by PTRACE_GETREGS, address and si_code
 *    by PTRACE_GETSIGINFO), decides read/write/exec from its own page tables,
 *    and suppresses the host signal. Nothing is read back from memory the
 *    guest can write.
 * 6. The seccomp filter is the second wall, for a kernel bug that broke 1-2:
 *    a syscall from outside this page traps to the kernel (RET_TRACE, which
 *    emulates it); from this page only the runner's `syscall` instruction may
 *    make mmap (MAP_FIXED, below GUEST_TASK_SIZE, len < 2^36, fd 0..255;
 *    MAP_SHARED may add MAP_POPULATE, which only prefaults what it maps),
 *    munmap/mprotect (same bounds), openat (dirfd 0, the batch page's path
 *    slot exactly, O_RDONLY/O_RDWR|O_CLOEXEC) and close; only the clone
 *    entry's `syscall` may make clone, with exactly STUB_CLONE_FLAGS and no
 *    stack, tid pointers or tls; only stub_thread_exit's may make exit
 *    (one host thread ends: its own); and only stub_drop_setup's may munmap
 *    exactly the start-up code. Anything else from this page kills the
 *    process (SECCOMP_RET_KILL_PROCESS). There is no secret: nothing relies
 *    on the guest not knowing something.
 * 7. A guest that jumps, calls or returns into the code page runs its
 *    instructions as guest code (under SYSEMU): every entry point ends in a
 *    `syscall` (caught by 1: the guest gets SIGSEGV at it) or an `int3` (an
 *    ordinary guest SIGTRAP: the kernel tells stub traps from guest ones by
 *    its own record of what it started, never by rip); a fault there is an
 *    ordinary guest fault. The start-up code is gone (STUB_SETUP is
 *    unmapped before the first guest instruction), so there is no other
 *    code to reach: a jump there is a SIGSEGV. A stub run that faults or traps anywhere but its
 *    end (say, the guest set PKRU to deny the batch page) kills that guest
 *    process; the kernel goes on.
 *
 * SYSTRAP: GUEST THREADS RUN UNTRACED
 *
 * On the systrap platform 1 does not hold (a ptraced thread stops for every
 * signal, the seccomp SIGSYS included, which would defeat the purpose), so
 * the wall is seccomp itself:
 *
 * S1. Every guest thread runs under two stacked filters: the process's
 *     (build_filter, 6 with the systrap rules) and its own
 *     (build_guest_filter), which the thread installs itself in
 *     stub_sys_clone before its first guest instruction; the kernel accepts
 *     a new thread only once its first post comes from
 *     stub_sys_ready_syscall, i.e. after the filter went in. The strictest
 *     action wins. A syscall from outside the code page is RET_TRAP: SIGSYS,
 *     never run; the handler posts it and the kernel emulates it. From the
 *     code page the guest filter lets through only futex WAIT/WAKE (shared,
 *     no timeout) on [STUB_DOORBELL, STUB_AREAS_END) from the handler's
 *     instruction, rt_sigreturn from the restorer's, arch_prctl(ARCH_SET_FS
 *     or GS) from its one instruction, and exit from stub_exit_syscall;
 *     anything else traps, and the kernel sees a syscall in the stub (the
 *     guest jumped there: SIGSEGV, as in 1). So whatever a guest jumps to
 *     with whatever registers, its host calls are: a futex wait or wake on
 *     a page of its own process or the doorbell (a spurious wake, or a
 *     thread of its own asleep), an rt_sigreturn (its own registers, mask
 *     and signal stack: what it has anyway), its own fs/gs base (what the
 *     emulated arch_prctl sets anyway), the end of one of its own host
 *     threads. None names memory of another process, and none maps, opens,
 *     creates or signals anything.
 * S2. Mapping batches, clones and forks run in the mapper only, in its loop
 *     (stub_mapper_loop), which takes no input but the read-only batch
 *     page: the kernel writes a request there and bumps its SEQ word (a
 *     futex the mapper waits on, and nothing a guest can write); the
 *     mapper's registers are its own (no guest thread can reach them: no
 *     host ptrace or signal is the guest's to use). Completion and results
 *     come back on the report socket (S9), never through memory a guest can
 *     write. It never runs guest code. A guest thread that jumps into the
 *     loop, stub_run_batch, stub_sys_clone or stub_sys_fork runs those
 *     instructions as itself, and its filter traps each of their syscalls:
 *     no guest can re-run a stale request (a frame since given to another
 *     process), and no record exists for it to forge.
 * S3. A thread's area (message page and signal stack) is a sysmem slot
 *     mapped in its own process only (by the mapper, at the address and
 *     offset the kernel put in its registers); a slot goes to another
 *     process only after the first is reaped, and is zeroed first. Guest
 *     code can write its process's areas at any time: it can forge a post,
 *     registers, a siginfo, an XSAVE image. The kernel reads an area only
 *     as the guest state of that thread (the offset of the frame's XSAVE
 *     image is bounds-checked to the area, a signal number the handler
 *     never posts is read as a kick, fs and gs bases are the kernel's own
 *     record, never read back). The handler finds its area from rsp:
 *     whatever area that is, it is one of its own process's. So a thread
 *     scribbling on a sibling's message changes only its own process's
 *     guest registers (test/systrap.test.mjs). (A host process is one
 *     guest address space: its guest processes are one and those sharing
 *     its memory by CLONE_VM, vfork's children say, whose code and stacks
 *     that memory gives each of them already.) Likewise a sibling that
 *     rewrites a new thread's stack_t (in its message page) before that
 *     thread's sigaltstack only moves that thread's signal stack within
 *     its own process; if its first post then never arrives, the kernel
 *     kills the process after 2 s, and one from elsewhere at once (platform.ts,
 *     finishStart: nothing is written into a new thread's message before).
 * S4. The doorbell page is shared read+write by every stub: a guest can
 *     ring it (the kernel scans the messages) or rewind it (the kernel may
 *     sleep through another guest's ring until its timeout, 5 ms): a
 *     delay, never a wrong result. Whether the kernel sleeps (a handler
 *     wakes it only then) is in the kernel's page, read-only in every stub
 *     (mapped before the filter is in; the guest's mmap/mprotect never
 *     reach the host), so no guest can hide a post from a sleeping kernel.
 *     The waker's events and host signals live in a page only the waker
 *     and the kernel map.
 * S5. The handler runs with every host signal blocked, and before
 *     rt_sigreturn sets the frame's mask to empty and its signal stack to
 *     its own area. A sibling that rewrites the frame in that window can
 *     block SIGSYS or SIGSEGV for the thread (its next trap: the host kills
 *     the process, a guest-level death) or the kick (see below).
 * S6. A guest's own seccomp, sigaction, sigprocmask and sigaltstack are
 *     syscalls like any other (trapped, emulated): the host-level filters,
 *     handlers, masks and stacks stay the stub's.
 * S7. No stub outlives umlts: every spawned stub and the waker set
 *     PR_SET_PDEATHSIG(SIGKILL) on the kernel's thread, which spawned them
 *     and lives as long as the kernel (the library's worker thread), and
 *     check that it is still their parent after that; a spawned mapper is
 *     also traced with PTRACE_O_EXITKILL until the kernel starts its loop
 *     (on systrap it is detached then: it never stops for the kernel
 *     again, and PDEATHSIG alone holds it). A copied stub (S8) is the
 *     kernel's child too (CLONE_PARENT), untraced: its first act is
 *     the same PDEATHSIG and the check that its parent is still the
 *     kernel's process (its pid is in a register the kernel set), or it
 *     dies; only then does it say it was born, and the kernel's thread
 *     waits for that record without running anything else, so it cannot
 *     end before the copy's prctl. It is reaped like a spawned one.
 * S8. A guest fork copies the parent's stub process (stub_sys_fork, on
 *     both platforms): the mapper (on ptrace, the forking guest's host
 *     thread, stopped at its fork, started by the kernel as for a batch, 2;
 *     on systrap in its loop, S2) makes the one clone the filter allows
 *     there (exactly STUB_FORK_FLAGS, no stack, tids or tls; on systrap
 *     after the parent's pending batch when the kernel asks for both in one
 *     request, MAPPER_RUN_FORK: the fork's arguments are read from the
 *     batch page again once the run is done). Only the calling thread is copied: on systrap
 *     the copy has no guest thread until the kernel clones one (on ptrace
 *     its one thread runs guest code only under SYSEMU, 1, once the kernel
 *     has set the child's registers), and before that its one
 *     thread (the caller's copy, the registers the kernel set) unmaps every
 *     thread area it inherited (the one munmap of exactly
 *     [STUB_AREAS, STUB_AREAS_END) the filter allows, from one instruction)
 *     and maps its own batch page over the parent's (the one mmap of
 *     exactly STUB_BATCH, read-only, shared, physmem, from one
 *     instruction; the offset is r12, which only the kernel set), then
 *     traps (ptrace: the kernel checks the trap's address) or waits in its
 *     loop for its first request (systrap). So no area of the
 *     parent's threads and no request of the parent's reaches the copy's
 *     guest. Guest threads' own filters trap all three instructions (S1;
 *     on ptrace a guest never executes a syscall instruction, 1).
 *     What the copy inherits otherwise is what the kernel gives it anyway:
 *     the parent's host mappings (made read-only where copy-on-write
 *     before the copy; the kernel's page table for the child records them),
 *     the descriptors of files the parent's VMAs map (the kernel's record
 *     is copied too), the handlers and the filters. Where the child's page
 *     is not the parent's (the kernel copied it ahead, mm's copyForChild,
 *     and the parent keeps its frame writable), the child's first batch
 *     maps the child's own over it: the kernel runs it in the copy's
 *     mapper before any guest code of the child runs, and a batch that
 *     fails kills the child (S2).
 * S9. The report socket (systrap): SOCK_SEQPACKET, one end the kernel's
 *     (SO_PASSCRED), the other every systrap stub's fd 5. Only the mapper's
 *     report and "born" instructions may write to it (the filter pins the
 *     fd, a buffer inside stub_mapper_bytes in the read-only code page, and
 *     the length; guest threads' filters trap both), so a record's length
 *     and first byte are what the mapper's registers chose: 1 + the index of
 *     the request the runner stopped at, and the errno of what failed or the
 *     runner's last result (an openat's fd, up to 255). Its sender is named
 *     by the host (SCM_CREDENTIALS; a stub cannot sendmsg), so a record of
 *     one process is never taken for another's. The kernel waits for each
 *     report before it writes the batch page again or frees a frame the
 *     batch unmapped. The one result that travels through guest-writable
 *     memory is a new thread's tid (MSG_TID in its area): the kernel
 *     accepts it only if the host says it is a thread of that process that
 *     is neither the mapper nor one it knows, which only the new thread can
 *     be (a guest cannot make host threads); otherwise the process dies.
 *     A fork's copy is known by its "born" record: a sender the kernel has
 *     not adopted, saying the fork's nonce (its first byte and length); a
 *     record from any other stranger is a copy the kernel gave up on, which
 *     it kills if the host says it is still an unreaped child of its thread
 *     in the stubs' process group (a pid read after its process was reaped
 *     may be another's).
 * S10. Patched syscalls (src/mm/syscall_patch.ts): the kernel rewrites a
 *     guest's `mov $nr, %eax; syscall` into a jump, through a table in
 *     guest memory, to stub_fast_entry. All of it is guest memory and guest
 *     code: the bytes are the process's own private copy (never a shared
 *     mapping or the page cache's frame), written by the kernel as a
 *     tracer's POKETEXT would be. stub_fast_entry runs as guest code
 *     (untraced, under both filters) and its only syscalls are
 *     stub_sys_futex's, which S1 already allows any guest that jumps there;
 *     it reads and writes nothing but through %gs, which is the thread's own
 *     area while the guest's gs base is 0 and its code has patched sites
 *     (the kernel sets it through the handler's arch_prctl at a reply), 0
 *     while it has none (its first access faults: below the lowest address
 *     a guest may map) or the guest's own
 *     base, which the emulated arch_prctl keeps below the guest's TASK_SIZE
 *     (so never another area); a guest that takes gs gets its sites back
 *     first. So whatever a guest jumps to there, with whatever registers,
 *     gs base or forged area words, it writes its own memory or area, and
 *     its futex calls are S1's. The kernel reads a patched call's post
 *     (MSG_FSTATE, MSG_FREGS) as S3 reads the handler's: only for a thread
 *     it believes runs guest code, only as that thread's guest registers;
 *     and it answers there only a call it took there, with the registers a
 *     syscall return would set. Anything more (an FPU state, another fs or
 *     gs base, the trap flag, a signal frame) goes through the handler: the
 *     kernel's MSG_FCMD 2 makes stub_fast_entry execute ud2, and the
 *     handler, seeing its rip after the post with the reply in, takes the
 *     guest's registers from MSG_FREGS into its frame. A kick taken before
 *     the post, or while the call waits (its futex calls are inside that
 *     region), is dropped: the post is the stop it asks for; one taken after
 *     the reply takes the registers over in the same way, so no kick is
 *     lost and no signal frame is ever built on stub_fast_entry's own stack.
 *
 * Known remaining issues (see also test/hostile.test.mjs and
 * test/redteam.test.mjs, which try each of the above, on both platforms,
 * and test/systrap.test.mjs):
 *  - systrap: a guest thread whose kick signal a sibling blocked (S5), or
 *    whose handler sleeps through its reply (a sibling cleared MSG_WAITING)
 *    or waits forever (a sibling wrote MSG_STATE), no longer answers the
 *    kernel's kicks: it holds its vCPU while it runs without trapping.
 *    Where the kernel must have it stopped (stopNow: exec, the exit of a
 *    process sharing its memory) it waits 2 s, then kills the process; a preemption kick (other guests wait for the
 *    vCPU) unanswered for 2 s kills it too (platform.ts, kickUnanswered;
 *    test/systrap.test.mjs), if the thread sleeps (in its handler: guest
 *    code never sleeps on the host) or ran 0.2 s of host CPU since the last
 *    look; one the host did not run (stopped from outside, starved, in a
 *    slow page fault) is looked at again 2 s later (platform.ts, stuck).
 *  - systrap: a guest thread that jumps to stub_exit_syscall ends its host
 *    thread without a post; the kernel learns it at the next kick (its
 *    tgkill fails) and kills the process, as for a host thread killed from
 *    outside.
 *  - systrap: a guest can make its own handlers poll (a host CPU busy, no
 *    vCPU held) for up to MSG_SPIN_MAX pauses per trap, by rewriting
 *    MSG_SPIN in its messages.
 *  - systrap: a guest can delay other guests' traps by up to the doorbell
 *    timeout (S4).
 *  - systrap: the handler sets fs/gs bases with arch_prctl (this host has
 *    no FSGSBASE), one more syscall on the changes.
 *  - systrap: a guest thread that rewrites a new sibling's MSG_TID with the
 *    tid it already has gets nothing; with any other value it kills its own
 *    process (S9), a guest-level outcome.
 *  - systrap: a fork's copy that does not say it was born within 2 s of
 *    its parent's report (a host too loaded to run it) fails that guest
 *    fork (EAGAIN), as does a parent that dies between its clone and its
 *    report. The kernel then kills and reaps every child of its thread in
 *    the stubs' process group it has not adopted (/proc/thread-self/
 *    children: between requests those are only copies given up on) before the copy's batch frame goes back
 *    to the pool, and drops every record left on the socket (platform.ts,
 *    abandon; systrap needs that list: probe.ts). Only the kernel's
 *    thread reaps its children, so the list it reads is whole; if the
 *    host will not give it, the frame is never handed on (BatchPageLost).
 *    A stranger's record kills its sender only if that is still an
 *    unreaped child of the kernel's thread in the stubs' process group
 *    (waitid WNOWAIT, __WNOTHREAD: a reaped sender's pid may be another
 *    process's now).
 *  - systrap: a retired thread whose reply a sibling rewrote (MSG_CMD) does
 *    not end: it keeps its slot and waits in its handler for good (no
 *    scan takes its posts), and its tid is never accepted as a new
 *    thread's (S9); a host thread of that process is spent.
 *  - systrap: a guest thread that jumps into stub_fast_entry's wait
 *    without posting (or rewrites its MSG_FSTATE) waits there, dropping
 *    kicks: the kernel kills its process as for a stuck handler (an
 *    unanswered kick, 2 s). A sibling that forges a thread's MSG_FSTATE post
 *    makes the kernel take a call with the forged registers for that
 *    thread: its own process's guest state (as S3).
 *  - systrap: patched code is the guest's to see (its own bytes read back,
 *    the table's mapping in /proc/PID/maps), a `%gs:` read of a guest whose
 *    gs base is 0 reads its area instead of faulting, and a site put back
 *    (the guest took gs, or unmapped the table) is rewritten while other
 *    threads of the process may be running it (patching itself waits for a
 *    process of one thread, or a vfork child whose parent waits).
 *  - systrap: the host runs two syscalls no filter sees: Linux lets
 *    uretprobe (335) and uprobe (336) through seccomp unfiltered
 *    (kernel/seccomp.c, seccomp_uprobe_exception), so a guest thread's
 *    call to either runs on the host. Outside a uprobe trampoline (umlts
 *    places none) uretprobe forces SIGILL on the caller and returns -1, and
 *    uprobe returns ENXIO, with no other effect: what the guest would get
 *    on Linux, which the kernel gives ptrace's guests too (syscalls/
 *    uprobe.ts). The SIGILL reaches the kernel as a signal from the host
 *    kernel, not a fault, so a guest that blocked SIGILL finds it pending
 *    where Linux would kill it.
 *  - The filter is only as tight as BPF can be: it cannot check an mmap's
 *    offset into physmem, so the wall against a guest mapping another
 *    guest's frames is 1-2 (SYSEMU), with 6 as a bound on the damage of a
 *    kernel bug, not a proof.
 *  - Guest code can read the batch page (past requests: frame offsets and
 *    /proc/<kernel>/fd paths) and the code page. Neither is a secret.
 *  - A host that will not let a process move its vDSO's data pages
 *    (mremap) fails the first stub's start-up (STUB_EXIT_VDSO_MOVE); the
 *    kernel then spawns every stub without the layout (host_facts.ts,
 *    spawnKeepingVdso), and the guest's vDSO makes each syscall, as on a
 *    kernel with no vDSO (no layout to pass).
 *  - Guest code can run the host's vDSO at STUB_HOST_VDSO (the guest's own
 *    vDSO calls its clock_gettime) and read its data pages: the host's
 *    clocks, which the guest's clock_gettime tells it anyway. Its code makes
 *    a syscall only as a fallback, from outside the code page: SYSEMU stops
 *    it (1), the filters trap it (S1), and the kernel emulates it as any
 *    guest syscall (it is not a stub address: trap.ts).
 *  - The [vsyscall] page cannot be unmapped; its emulated gettimeofday/time/
 *    getcpu reach the filter as syscalls from outside the stub and are
 *    emulated by the kernel like any other.
 *  - SIGKILL of a host thread is asynchronous: a killed process's frames are
 *    handed to others only after the host has reaped it (the kernel's
 *    AddressSpace.reaped), and frames dropped by munmap only after the flush
 *    that removed them from the host (the TLB gather).
 */
#include "layout.h"

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define NR_write 1
#define NR_close 3
#define NR_mmap 9
#define NR_mprotect 10
#define NR_munmap 11
#define NR_clone 56
#define NR_exit 60
#define NR_getppid 110
#define NR_prctl 157
#define NR_ptrace 101
#define NR_exit_group 231
#define NR_futex 202
#define NR_openat 257
#define NR_close_range 436
#define NR_rt_sigaction 13
#define NR_pause 34
#define NR_kill 62

#define PR_SET_PDEATHSIG 1
#define PR_SET_DUMPABLE 4
#define SIGKILL 9
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_FIXED 0x10
#define MAP_POPULATE 0x8000
#define MAP_ANONYMOUS 0x20
#define O_RDWR 2
#define O_CLOEXEC 0x80000

/* The assembler needs these two as bare numbers (no UL): checked equal. */
#define STUB_BATCH_ASM 0x7ff000001000
#define STUB_CLONE_FLAGS_ASM 0x50f00
#define STUB_WAKER_STACK_ASM 0x7ff000005000
#define STUB_SETUP_ASM 0x7ff000002000
#define STUB_SETUP_SIZE_ASM 0x3000
#define STUB_AREA_SIZE_ASM 0x4000
#define STUB_ALTSTACK_ASM 0x1000
#define MSG_SS_ASM 512
#define STUB_FILTER_ASM 0x7ff000006000
#define STUB_FORK_FLAGS_ASM 0x8011
#define STUB_AREAS_ASM 0x7ff000010000
#define STUB_AREAS_LEN_ASM 0x4000000
#define STUB_BATCH_SEQ_ASM 0xff8
#define STUB_FD_DONE_ASM 5
#define MSG_TID_ASM 60
#if STUB_BATCH_SEQ_ASM != STUB_BATCH_SEQ || STUB_FD_DONE_ASM != STUB_FD_DONE || STUB_BATCH_CMD != STUB_BATCH_SEQ + 4 || \
    STUB_BATCH_ARG0 != STUB_BATCH_SEQ - 16 || STUB_BATCH_ARG1 != STUB_BATCH_SEQ - 8 || MAPPER_RUN != 0 || MAPPER_CLONE != 1 || \
    MAPPER_FORK != 2 || MSG_TID_ASM != MSG_TID
#error "stub.c's mapper assembler constants disagree with layout.h"
#endif
#if STUB_FORK_FLAGS_ASM != STUB_FORK_FLAGS || STUB_AREAS_ASM != STUB_AREAS || STUB_AREAS_LEN_ASM != STUB_AREAS_MAX * STUB_AREA_SIZE
#error "stub.c's fork assembler constants disagree with layout.h"
#endif
#if STUB_AREA_SIZE_ASM != STUB_AREA_SIZE || STUB_ALTSTACK_ASM != STUB_ALTSTACK || MSG_SS_ASM != MSG_SS || STUB_FILTER_ASM != STUB_FILTER
#error "stub.c's systrap assembler constants disagree with layout.h"
#endif
#if STUB_BATCH_ASM != STUB_BATCH || STUB_CLONE_FLAGS_ASM != STUB_CLONE_FLAGS || STUB_WAKER_STACK_ASM != STUB_WAKER_STACK || \
    STUB_SETUP_ASM != STUB_SETUP || STUB_SETUP_SIZE_ASM != STUB_SETUP_SIZE
#error "stub.c's assembler constants disagree with layout.h"
#endif
#define STUB_DOORBELL_ASM 0x7ff000008000
#define STUB_KSTATE_ASM 0x7ff00000a000
#define MSG_FSTATE_ASM 536
#define MSG_FWAITING_ASM 540
#define MSG_FCMD_ASM 544
#define MSG_FSELF_ASM 552
#define MSG_FSTACK_ASM 560
#define MSG_FREGS_ASM 1024
#define MSG_SPIN_ASM 56
#define MSG_SPIN_MAX_ASM 0x10000
#if STUB_DOORBELL_ASM != STUB_DOORBELL || STUB_KSTATE_ASM != STUB_KSTATE || MSG_FSTATE_ASM != MSG_FSTATE || \
    MSG_FWAITING_ASM != MSG_FWAITING || MSG_FCMD_ASM != MSG_FCMD || MSG_FSELF_ASM != MSG_FSELF || MSG_FSTACK_ASM != MSG_FSTACK || \
    MSG_FREGS_ASM != MSG_FREGS || MSG_SPIN_ASM != MSG_SPIN || MSG_SPIN_MAX_ASM != MSG_SPIN_MAX || DB_SEQ != 0 || KS_SLEEPING != 0 || \
    MSG_POSTED != 1 || MSG_REPLIED != 2
#error "stub.c's fast-entry assembler constants disagree with layout.h"
#endif
#define XSTR(x) STR(x)
#define STR(x) #x

static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

static __attribute__((noreturn)) void die(int code) {
  for (;;) sys1(NR_exit_group, code);
}

static u64 parse_u64(const char *s) {
  u64 v = 0;
  if (!s) die(120);
  for (; *s; s++) {
    if (*s < '0' || *s > '9') die(121);
    v = v * 10 + (u64)(*s - '0');
  }
  return v;
}

static int streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/* The entry points the kernel starts. Pure assembly: no stack, no input
 * register (see 2 above); each ends at an int3 the kernel waits for.
 *
 * stub_run_batch: runs the batch page's requests (nr + 6 args each, until a
 *   zero nr). Stops at stub_batch_trap with rax = 0 (all done) or the first
 *   -errno, r12 = the request that failed, r13 = the result of the last
 *   request that succeeded (an openat's fd).
 * stub_clone_thread: a new host thread in this process for a new guest
 *   thread. The caller stops at stub_clone_trap with rax = its tid or
 *   -errno; the new thread stops at stub_thread_trap.
 * stub_seal: the end of start-up (called once, before any guest code). */
__asm__(
  ".pushsection .text.entry,\"ax\",@progbits\n"
  ".globl stub_run_batch\n"
  "stub_run_batch:\n"
  "   xorl %r14d, %r14d\n"               /* ends at the trap (the mapper loop's runs: at its report) */
  "0: movabsq $" XSTR(STUB_BATCH_ASM) ", %r12\n"
  "   movq $-1, %r13\n"
  "1: movq (%r12), %rax\n"
  "   testq %rax, %rax\n"
  "   jz 2f\n"
  "   movq 8(%r12), %rdi\n"
  "   movq 16(%r12), %rsi\n"
  "   movq 24(%r12), %rdx\n"
  "   movq 32(%r12), %r10\n"
  "   movq 40(%r12), %r8\n"
  "   movq 48(%r12), %r9\n"
  ".globl stub_batch_syscall\n"
  "stub_batch_syscall:\n"
  "   syscall\n"
  "   cmpq $-4095, %rax\n"
  "   jae 3f\n"
  "   movq %rax, %r13\n"
  "   addq $56, %r12\n"
  "   jmp 1b\n"
  "2: xorl %eax, %eax\n"
  "3: cmpq $2, %r14\n"
  "   je 27f\n"
  "   testq %r14, %r14\n"
  "   jnz stub_mapper_report\n"
  ".globl stub_batch_trap\n"
  "stub_batch_trap:\n"
  "   int3\n"
  "   jmp stub_batch_trap\n"
  /* stub_mapper_loop (systrap's mapper; the kernel starts it once, with
   *   r13 = the batch page's SEQ word as the kernel last set it): wait
   *   until the kernel bumps SEQ (a futex on the read-only batch page), then
   *   do what CMD says (layout.h, MAPPER_*), with no ptrace stop, and
   *   report on STUB_FD_DONE. A report is one SOCK_SEQPACKET record whose
   *   every byte the kernel can trust (S9): its length is 1 + the index of
   *   the request the runner stopped at (the terminator's: all done; 1 for
   *   a clone or fork), its first byte the errno of what failed, or the
   *   runner's last result (an openat's fd) up to 255; both read from
   *   stub_mapper_bytes in this page, chosen by the mapper's registers. */
  ".balign 16\n"
  ".globl stub_mapper_loop\n"
  "stub_mapper_loop:\n"
  "   movl %r13d, %r15d\n"
  "20: movl $202, %eax\n"               /* futex(&SEQ, FUTEX_WAIT, r15, NULL) */
  "   movabsq $" XSTR(STUB_BATCH_ASM) "+" XSTR(STUB_BATCH_SEQ_ASM) ", %rdi\n"
  "   xorl %esi, %esi\n"
  "   movl %r15d, %edx\n"
  "   xorl %r10d, %r10d\n"
  ".globl stub_mapper_futex_syscall\n"
  "stub_mapper_futex_syscall:\n"
  "   syscall\n"
  "   movabsq $" XSTR(STUB_BATCH_ASM) "+" XSTR(STUB_BATCH_SEQ_ASM) ", %rdi\n"
  "   movl (%rdi), %eax\n"
  "   cmpl %eax, %r15d\n"
  "   je 20b\n"
  "   movl %eax, %r15d\n"
  "   movl 4(%rdi), %eax\n"              /* CMD */
  "   movq -16(%rdi), %r12\n"            /* ARG0 */
  "   movq -8(%rdi), %r13\n"             /* ARG1 */
  "   cmpl $1, %eax\n"
  "   je stub_sys_clone\n"
  "   cmpl $2, %eax\n"
  "   movl $1, %r14d\n"
  "   je .Lmapper_fork\n"
  "   cmpl $3, %eax\n"
  "   je 28f\n"
  "   testl %eax, %eax\n"
  "   jnz 25f\n"
  "   jmp 0b\n"
  /* MAPPER_RUN_FORK: the batch with r14 = 2, then (27, rax = 0: all done) the fork with ARG0 and ARG1 read
   * again; a failed run reports with r12 one request on (a report of 2 bytes or more: never the fork's 1) */
  "28: movl $2, %r14d\n"
  "   jmp 0b\n"
  "27: movl $1, %r14d\n"
  "   testq %rax, %rax\n"
  "   jz 29f\n"
  "   addq $56, %r12\n"
  "   jmp stub_mapper_report\n"
  "29: movabsq $" XSTR(STUB_BATCH_ASM) "+" XSTR(STUB_BATCH_SEQ_ASM) ", %rdi\n"
  "   movq -16(%rdi), %r12\n"            /* ARG0 */
  "   movq -8(%rdi), %r13\n"             /* ARG1 */
  "   jmp .Lmapper_fork\n"
  ".globl stub_mapper_report\n"
  "stub_mapper_report:\n"               /* rax: 0 or -errno; r12: the request it stopped at; r13: the last result */
  "   movq %rax, %rsi\n"
  "   negq %rsi\n"
  "   testq %rax, %rax\n"
  "   cmovzq %r13, %rsi\n"
  "   movl $255, %ecx\n"
  "   cmpq %rcx, %rsi\n"
  "   cmovaq %rcx, %rsi\n"
  "   movabsq $stub_mapper_bytes, %rcx\n"
  "   addq %rcx, %rsi\n"
  "   movq %r12, %rax\n"
  "   movabsq $" XSTR(STUB_BATCH_ASM) ", %rcx\n"
  "   subq %rcx, %rax\n"
  "   xorl %edx, %edx\n"
  "   movl $56, %ecx\n"
  "   divq %rcx\n"
  "   leaq 1(%rax), %rdx\n"
  "   movl $" XSTR(STUB_FD_DONE_ASM) ", %edi\n"
  "   movl $1, %eax\n"                   /* write(STUB_FD_DONE, stub_mapper_bytes + byte, 1 + index) */
  ".globl stub_mapper_report_syscall\n"
  "stub_mapper_report_syscall:\n"
  "   syscall\n"
  "   jmp 20b\n"
  /* a clone's or fork's report (rax: >= 0 done, or -errno): one byte, the errno or 0 */
  "26: movq %rax, %rcx\n"
  "   sarq $63, %rcx\n"
  "   andq %rcx, %rax\n"
  "   movabsq $" XSTR(STUB_BATCH_ASM) ", %r12\n"
  "   xorl %r13d, %r13d\n"
  "   jmp stub_mapper_report\n"
  "25: ud2\n"
  /* byte i is i mod 256 (the report's bytes; read only) */
  ".globl stub_mapper_bytes\n"
  "stub_mapper_bytes:\n"
  "   .rept 384\n"
  "   .byte (. - stub_mapper_bytes) & 0xff\n"
  "   .endr\n"
  ".balign 16\n"
  ".globl stub_clone_thread\n"
  "stub_clone_thread:\n"
  "   movl $" XSTR(STUB_CLONE_FLAGS_ASM) ", %edi\n"
  "   xorl %esi, %esi\n"                /* no new stack: neither side uses one */
  "   xorl %edx, %edx\n"
  "   xorl %r10d, %r10d\n"
  "   xorl %r8d, %r8d\n"
  "   movl $56, %eax\n"
  ".globl stub_clone_syscall\n"
  "stub_clone_syscall:\n"
  "   syscall\n"
  "   testq %rax, %rax\n"
  "   jz stub_thread_trap\n"
  ".globl stub_clone_trap\n"
  "stub_clone_trap:\n"
  "   int3\n"
  "   jmp stub_clone_trap\n"
  ".globl stub_thread_trap\n"
  "stub_thread_trap:\n"
  "   int3\n"
  "   jmp stub_thread_trap\n"
  /* stub_thread_exit: a host thread the kernel has no more use for ends (exit(0): this thread only) */
  ".globl stub_thread_exit\n"
  "stub_thread_exit:\n"
  "   movl $60, %eax\n"
  "   xorl %edi, %edi\n"
  ".globl stub_exit_syscall\n"
  "stub_exit_syscall:\n"
  "   syscall\n"
  "   ud2\n"
  ".balign 16\n"
  ".globl stub_waker_loop\n"
  "stub_waker_loop:\n"               /* rsp: a struct pollfd on the waker's stack page */
  "4: movl $7, %eax\n"               /* poll(&pfd, 1, -1) */
  "   movq %rsp, %rdi\n"
  "   movl $1, %esi\n"
  "   movl $-1, %edx\n"
  "   syscall\n"
  ".globl stub_waker_trap\n"
  "stub_waker_trap:\n"
  "   int3\n"
  "   jmp 4b\n"
  /* stub_drop_setup: the last step of start-up, in the code page: unmap
   * the start-up code (the filter allows exactly this munmap from exactly
   * this instruction), then trap: ready. */
  ".balign 16\n"
  ".globl stub_drop_setup\n"
  "stub_drop_setup:\n"
  "   movl $11, %eax\n"
  "   movabsq $" XSTR(STUB_SETUP_ASM) ", %rdi\n"
  "   movl $" XSTR(STUB_SETUP_SIZE_ASM) ", %esi\n"
  ".globl stub_drop_syscall\n"
  "stub_drop_syscall:\n"
  "   syscall\n"
  "   testq %rax, %rax\n"
  "   jz 7f\n"
  "   ud2\n"                             /* failed: the kernel sees SIGILL, not ready */
  "7: int3\n"
  "   jmp 7b\n"
  /* ---- systrap ----
   * stub_sys_clone (MAPPER_CLONE in the mapper loop, with r12 = the new
   *   thread's area, r13 = the area's offset in sysmem): map the area,
   *   clone, write the new tid in the area's MSG_TID (where a guest can
   *   rewrite it: the kernel checks it, platform.ts newThread) and report.
   *   The new thread (untraced) sets its signal stack to the area, installs
   *   the guest threads' filter and makes one more syscall, which that
   *   filter traps: its SIGSYS is its first post. */
  ".balign 16\n"
  ".globl stub_sys_clone\n"
  "stub_sys_clone:\n"
  "   movl $9, %eax\n"
  "   movq %r12, %rdi\n"
  "   movl $" XSTR(STUB_AREA_SIZE_ASM) ", %esi\n"
  "   movl $3, %edx\n"                 /* PROT_READ|PROT_WRITE */
  "   movl $0x11, %r10d\n"             /* MAP_SHARED|MAP_FIXED */
  "   movl $4, %r8d\n"                 /* STUB_FD_SYSMEM */
  "   movq %r13, %r9\n"
  ".globl stub_sys_mmap_syscall\n"
  "stub_sys_mmap_syscall:\n"
  "   syscall\n"
  "   cmpq $-4095, %rax\n"
  "   jae 26b\n"
  "   movl $" XSTR(STUB_CLONE_FLAGS_ASM) ", %edi\n"
  "   xorl %esi, %esi\n"
  "   xorl %edx, %edx\n"
  "   xorl %r10d, %r10d\n"
  "   xorl %r8d, %r8d\n"
  "   movl $56, %eax\n"
  ".globl stub_sys_clone_syscall\n"
  "stub_sys_clone_syscall:\n"
  "   syscall\n"
  "   testq %rax, %rax\n"
  "   jz 8f\n"
  "   js 26b\n"
  "   movl %eax, " XSTR(MSG_TID_ASM) "(%r12)\n"
  "   jmp 26b\n"
  "8: leaq " XSTR(STUB_ALTSTACK_ASM) "(%r12), %rax\n"   /* stack_t { sp, flags, size } in the message page */
  "   movq %rax, " XSTR(MSG_SS_ASM) "(%r12)\n"
  "   movq $0, " XSTR(MSG_SS_ASM) "+8(%r12)\n"
  "   movq $" XSTR(STUB_AREA_SIZE_ASM) "-" XSTR(STUB_ALTSTACK_ASM) ", " XSTR(MSG_SS_ASM) "+16(%r12)\n"
  "   movl $131, %eax\n"
  "   leaq " XSTR(MSG_SS_ASM) "(%r12), %rdi\n"
  "   xorl %esi, %esi\n"
  ".globl stub_sys_altstack_syscall\n"
  "stub_sys_altstack_syscall:\n"
  "   syscall\n"
  "   testq %rax, %rax\n"
  "   jnz 9f\n"
  "   movl $317, %eax\n"               /* seccomp(SECCOMP_SET_MODE_FILTER, 0, the guest filter) */
  "   movl $1, %edi\n"
  "   xorl %esi, %esi\n"
  "   movabsq $" XSTR(STUB_FILTER_ASM) ", %rdx\n"
  ".globl stub_sys_seccomp_syscall\n"
  "stub_sys_seccomp_syscall:\n"
  "   syscall\n"
  "   testq %rax, %rax\n"
  "   jnz 9f\n"
  "   movl $39, %eax\n"
  ".globl stub_sys_ready_syscall\n"
  "stub_sys_ready_syscall:\n"
  "   syscall\n"                       /* trapped by the guest filter: the first post */
  "9: ud2\n"
  /* stub_sys_fork (on ptrace: a stopped guest thread, traced with
   *   TRACEFORK, started by the kernel with r12 = the child's batch page
   *   offset in physmem; on systrap: MAPPER_FORK in the mapper loop, r14 =
   *   1, r12 as ptrace's, r13 = the kernel's pid and, above bit 32, the
   *   fork's nonce): a copy of this process
   *   (only this thread's), the kernel's child (CLONE_PARENT). On ptrace
   *   the copy is traced from its first instruction with the parent's
   *   options; the parent stops at stub_sys_fork_trap with rax = the
   *   child's pid or -errno, and the child maps its own batch page over the
   *   parent's and stops at stub_sys_forked_trap. On systrap the copy is
   *   untraced; the parent reports the clone's result; the child first dies
   *   with the kernel's thread (PDEATHSIG, then it checks the kernel is
   *   still its parent), says it was born (a record from a pid the kernel
   *   does not know yet: the kernel learns the copy's pid from its
   *   credentials; its first byte and its length say the fork's nonce),
   *   unmaps every thread area it inherited, maps its own batch page and
   *   waits in the loop for its first request (its SEQ starts at 0: the kernel
   *   set it so). Any failure is a ud2: the copy dies (on systrap the
   *   kernel sees it through its pidfd). */
  ".balign 16\n"
  ".globl stub_sys_fork\n"
  "stub_sys_fork:\n"
  "   xorl %r14d, %r14d\n"
  ".Lmapper_fork:\n"
  "   movl $" XSTR(STUB_FORK_FLAGS_ASM) ", %edi\n"
  "   xorl %esi, %esi\n"
  "   xorl %edx, %edx\n"
  "   xorl %r10d, %r10d\n"
  "   xorl %r8d, %r8d\n"
  "   movl $56, %eax\n"
  ".globl stub_sys_fork_syscall\n"
  "stub_sys_fork_syscall:\n"
  "   syscall\n"
  "   testq %rax, %rax\n"
  "   jz 10f\n"
  "   testq %r14, %r14\n"
  "   jnz 26b\n"
  ".globl stub_sys_fork_trap\n"
  "stub_sys_fork_trap:\n"
  "   int3\n"
  "   jmp stub_sys_fork_trap\n"
  "10: testq %r14, %r14\n"
  "   jz 12f\n"
  /* systrap's copy dies with the kernel's thread before anything else: the kernel waits for its "born"
   * record (below) without running anything else, so that thread cannot end before the prctl */
  "   movl $157, %eax\n"               /* prctl(PR_SET_PDEATHSIG, SIGKILL) */
  "   movl $1, %edi\n"
  "   movl $9, %esi\n"
  ".globl stub_mapper_pdeath_syscall\n"
  "stub_mapper_pdeath_syscall:\n"
  "   syscall\n"
  "   testq %rax, %rax\n"
  "   jnz 11f\n"
  "   movl $110, %eax\n"               /* getppid(): the kernel, unless it died before the line above */
  ".globl stub_mapper_getppid_syscall\n"
  "stub_mapper_getppid_syscall:\n"
  "   syscall\n"
  "   movl %r13d, %ecx\n"
  "   cmpq %rax, %rcx\n"
  "   jne 11f\n"
  "   movl $" XSTR(STUB_FD_DONE_ASM) ", %edi\n"
  "   movq %r13, %rsi\n"               /* the fork's nonce (r13's high half): bits 0-7 the byte, 8-13 the length */
  "   shrq $32, %rsi\n"
  "   movq %rsi, %rdx\n"
  "   movzbl %sil, %esi\n"
  "   movabsq $stub_mapper_bytes, %rcx\n"
  "   addq %rcx, %rsi\n"
  "   shrq $8, %rdx\n"
  "   andl $63, %edx\n"
  "   incl %edx\n"
  "   movl $1, %eax\n"                 /* write(STUB_FD_DONE, stub_mapper_bytes + byte, 1 + length bits) */
  ".globl stub_mapper_born_syscall\n"
  "stub_mapper_born_syscall:\n"
  "   syscall\n"
  "   cmpq %rdx, %rax\n"
  "   jne 11f\n"
  "12: movl $11, %eax\n"
  "   movabsq $" XSTR(STUB_AREAS_ASM) ", %rdi\n"
  "   movl $" XSTR(STUB_AREAS_LEN_ASM) ", %esi\n"
  ".globl stub_sys_unareas_syscall\n"
  "stub_sys_unareas_syscall:\n"
  "   syscall\n"
  "   testq %rax, %rax\n"
  "   jnz 11f\n"
  "   movl $9, %eax\n"
  "   movabsq $" XSTR(STUB_BATCH_ASM) ", %rdi\n"
  "   movl $4096, %esi\n"
  "   movl $1, %edx\n"                 /* PROT_READ */
  "   movl $0x11, %r10d\n"             /* MAP_SHARED|MAP_FIXED */
  "   movl $3, %r8d\n"                 /* STUB_FD_PHYSMEM */
  "   movq %r12, %r9\n"
  ".globl stub_sys_rebatch_syscall\n"
  "stub_sys_rebatch_syscall:\n"
  "   syscall\n"
  "   cmpq $-4095, %rax\n"
  "   jae 11f\n"
  "   testq %r14, %r14\n"
  "   jnz 13f\n"
  ".globl stub_sys_forked_trap\n"
  "stub_sys_forked_trap:\n"
  "   int3\n"
  "   jmp stub_sys_forked_trap\n"
  "13: xorl %r15d, %r15d\n"
  "   jmp 20b\n"
  "11: ud2\n"
  /* the handler's own system calls, each from one instruction the filters name */
  ".balign 16\n"
  ".globl stub_sys_restorer\n"
  "stub_sys_restorer:\n"
  "   movl $15, %eax\n"
  ".globl stub_sys_sigreturn_syscall\n"
  "stub_sys_sigreturn_syscall:\n"
  "   syscall\n"
  "   ud2\n"
  ".globl stub_sys_arch_prctl\n"
  "stub_sys_arch_prctl:\n"             /* arch_prctl(edi = ARCH_SET_FS/GS, rsi) */
  "   movl $158, %eax\n"
  ".globl stub_sys_arch_prctl_syscall\n"
  "stub_sys_arch_prctl_syscall:\n"
  "   syscall\n"
  "   ret\n"
  /* stub_fast_entry: a patched syscall site's way in (layout.h, MSG_FSTATE), with eax = the call's number and
   *   rcx = the address after the site; every other register is the guest's. It runs as guest code (untraced,
   *   under the guest filter) and makes only the handler's futex calls (stub_sys_futex): it saves the registers
   *   in the area's MSG_FREGS (rcx and r11 as the syscall instruction leaves them), posts (MSG_FSTATE), rings
   *   the doorbell and waits for the reply as the handler does; then puts back every register from MSG_FREGS
   *   and jumps to its rip. It never touches the guest's stack (the red zone below rsp stays) or its FPU state.
   *   It finds the area through %gs alone: a guest that points gs elsewhere (its own arch_prctl: the kernel
   *   then gives it its own gs base, and patches nothing more) or jumps here with a forged area only makes
   *   this code read and write its own memory, and a futex outside the areas traps (a syscall in the stub:
   *   SIGSEGV). The handler knows these three regions (before the post, after it, the tail) and keeps a
   *   kick taken here from losing anything (stub_sys_handler); the futex calls are made from inside the
   *   second. */
  ".balign 16\n"
  ".globl stub_fast_entry\n"
  "stub_fast_entry:\n"
  "   movq %rsp, %gs:" XSTR(MSG_FREGS_ASM) "+152\n"
  "   movq %gs:" XSTR(MSG_FSTACK_ASM) ", %rsp\n"
  "   pushfq\n"
  "   popq %r11\n"
  "   movq %r11, %gs:" XSTR(MSG_FREGS_ASM) "+144\n"
  "   movq %r11, %gs:" XSTR(MSG_FREGS_ASM) "+48\n"
  "   movq %rcx, %gs:" XSTR(MSG_FREGS_ASM) "+128\n"
  "   movq %rcx, %gs:" XSTR(MSG_FREGS_ASM) "+88\n"
  "   movq %rax, %gs:" XSTR(MSG_FREGS_ASM) "+120\n"
  "   movq %rax, %gs:" XSTR(MSG_FREGS_ASM) "+80\n"
  "   movq %r15, %gs:" XSTR(MSG_FREGS_ASM) "+0\n"
  "   movq %r14, %gs:" XSTR(MSG_FREGS_ASM) "+8\n"
  "   movq %r13, %gs:" XSTR(MSG_FREGS_ASM) "+16\n"
  "   movq %r12, %gs:" XSTR(MSG_FREGS_ASM) "+24\n"
  "   movq %rbp, %gs:" XSTR(MSG_FREGS_ASM) "+32\n"
  "   movq %rbx, %gs:" XSTR(MSG_FREGS_ASM) "+40\n"
  "   movq %r10, %gs:" XSTR(MSG_FREGS_ASM) "+56\n"
  "   movq %r9, %gs:" XSTR(MSG_FREGS_ASM) "+64\n"
  "   movq %r8, %gs:" XSTR(MSG_FREGS_ASM) "+72\n"
  "   movq %rdx, %gs:" XSTR(MSG_FREGS_ASM) "+96\n"
  "   movq %rsi, %gs:" XSTR(MSG_FREGS_ASM) "+104\n"
  "   movq %rdi, %gs:" XSTR(MSG_FREGS_ASM) "+112\n"
  "   movl $1, %eax\n"                 /* MSG_POSTED, sequentially consistent (xchg) */
  "   xchgl %eax, %gs:" XSTR(MSG_FSTATE_ASM) "\n"
  ".globl stub_fast_posted\n"
  "stub_fast_posted:\n"
  "   movabsq $" XSTR(STUB_DOORBELL_ASM) ", %rdi\n"
  "   lock incl (%rdi)\n"
  "   movabsq $" XSTR(STUB_KSTATE_ASM) ", %rax\n"
  "   cmpl $0, (%rax)\n"
  "   je 40f\n"
  "   movl $1, %esi\n"                 /* FUTEX_WAKE the sleeping kernel */
  "   movl $1, %edx\n"
  "   call stub_sys_futex\n"
  "40: xorl %ecx, %ecx\n"               /* poll while fewer than MSG_SPIN (read at each poll, as the handler
                                           does: the kernel zeroes it when its reply will be late) and MSG_SPIN_MAX */
  "42: cmpl $2, %gs:" XSTR(MSG_FSTATE_ASM) "\n"
  "   je 45f\n"
  "   cmpl %gs:" XSTR(MSG_SPIN_ASM) ", %ecx\n"
  "   jae 43f\n"
  "   cmpl $" XSTR(MSG_SPIN_MAX_ASM) ", %ecx\n"
  "   jae 43f\n"
  "   pause\n"
  "   incl %ecx\n"
  "   jmp 42b\n"
  "43: cmpl $2, %gs:" XSTR(MSG_FSTATE_ASM) "\n"
  "   je 45f\n"
  "   movl $1, %eax\n"
  "   xchgl %eax, %gs:" XSTR(MSG_FWAITING_ASM) "\n"
  "   cmpl $2, %gs:" XSTR(MSG_FSTATE_ASM) "\n"
  "   je 44f\n"
  "   movq %gs:" XSTR(MSG_FSELF_ASM) ", %rdi\n"
  "   addq $" XSTR(MSG_FSTATE_ASM) ", %rdi\n"
  "   xorl %esi, %esi\n"               /* FUTEX_WAIT while MSG_POSTED */
  "   movl $1, %edx\n"
  "   call stub_sys_futex\n"
  "44: movl $0, %gs:" XSTR(MSG_FWAITING_ASM) "\n"
  "   jmp 43b\n"
  "45: movl %gs:" XSTR(MSG_FCMD_ASM) ", %eax\n"
  "   testl %eax, %eax\n"
  "   jz 46f\n"
  "   cmpl $1, %eax\n"
  "   je stub_thread_exit\n"
  "   ud2\n"                           /* 2: the handler takes over from MSG_FREGS (stub_sys_handler) */
  /* the handler's futex calls, and this entry's: inside the entry's region after its post, so that a kick
   * taken in one of this entry's calls is seen as one taken while it waits (the handler's own calls run
   * with every signal blocked) */
  ".globl stub_sys_futex\n"
  "stub_sys_futex:\n"                  /* futex(rdi, esi = op, edx = val, NULL) */
  "   movl $202, %eax\n"
  "   xorl %r10d, %r10d\n"
  ".globl stub_sys_futex_syscall\n"
  "stub_sys_futex_syscall:\n"
  "   syscall\n"
  "   ret\n"
  "46: pushq %gs:" XSTR(MSG_FREGS_ASM) "+144\n"
  "   popfq\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+0, %r15\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+8, %r14\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+16, %r13\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+24, %r12\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+32, %rbp\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+40, %rbx\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+56, %r10\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+64, %r9\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+72, %r8\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+96, %rdx\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+104, %rsi\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+112, %rdi\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+80, %rax\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+88, %rcx\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+48, %r11\n"
  ".globl stub_fast_tail\n"
  "stub_fast_tail:\n"
  "   movl $0, %gs:" XSTR(MSG_FSTATE_ASM) "\n"
  "   movq %gs:" XSTR(MSG_FREGS_ASM) "+152, %rsp\n"
  "   jmpq *%gs:" XSTR(MSG_FREGS_ASM) "+128\n"
  ".globl stub_fast_end\n"
  "stub_fast_end:\n"
  "   ud2\n"
  ".popsection\n");

/* ---- systrap: the handler ----
 * Every signal a guest thread takes on the host (SIGSYS from its filter,
 * SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, the kernel's kick) runs this, on
 * the thread's signal stack in its area, with every signal blocked. It
 * posts the trap in the area's message (the registers in user_regs_struct
 * order, the signal, si_code, si_addr, the frame's err), rings the doorbell and waits for the
 * kernel's reply; then it puts the reply's registers into the frame, and
 * rt_sigreturn (stub_sys_restorer) resumes guest code with them. It finds
 * its area from rsp: whatever area that is, it is one of this process's
 * (no other process's is mapped here). No data, no calls but the three
 * syscall stubs above: it lives in the code page. */
extern long stub_sys_futex(volatile u32 *addr, long op, long val);
extern long stub_sys_arch_prctl(long code, u64 addr);
extern void stub_thread_exit(void) __attribute__((noreturn));
extern char stub_sys_restorer[], stub_sys_sigreturn_syscall[], stub_sys_futex_syscall[], stub_sys_arch_prctl_syscall[];
extern char stub_sys_mmap_syscall[], stub_sys_clone_syscall[], stub_sys_altstack_syscall[], stub_sys_seccomp_syscall[];
extern char stub_sys_ready_syscall[], stub_sys_fork_syscall[], stub_sys_unareas_syscall[], stub_sys_rebatch_syscall[];
extern char stub_mapper_futex_syscall[], stub_mapper_report_syscall[], stub_mapper_bytes[], stub_mapper_born_syscall[];
extern char stub_mapper_pdeath_syscall[], stub_mapper_getppid_syscall[];
#define ENTRY_CODE __attribute__((section(".text.entry"), used))
#define SIGSYS_ 31
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
/* struct ucontext (x86-64): uc_stack at 16, gregs at 40, fpregs at 224, uc_sigmask at 296 */
#define UC_STACK 16
#define UC_GREGS 40
#define UC_FPREGS 224
#define UC_SIGMASK 296
/* gregs: r8 r9 r10 r11 r12 r13 r14 r15 rdi rsi rbp rbx rdx rax rcx rsp rip eflags csgsfs */
/* a user_regs_struct's general registers, rip, eflags and rsp into a frame's gregs */
static inline __attribute__((always_inline)) void regs_to_frame(volatile u64 *g, volatile u64 *r) {
  g[7] = r[0]; g[6] = r[1]; g[5] = r[2]; g[4] = r[3]; g[10] = r[4]; g[11] = r[5]; g[3] = r[6]; g[2] = r[7];
  g[1] = r[8]; g[0] = r[9]; g[13] = r[10]; g[14] = r[11]; g[12] = r[12]; g[9] = r[13]; g[8] = r[14];
  g[16] = r[16]; g[17] = r[18]; g[15] = r[19];
}
extern char stub_fast_entry[], stub_fast_posted[], stub_fast_tail[], stub_fast_end[];
ENTRY_CODE void stub_sys_handler(int sig, u8 *si, u8 *uc) {
  u64 sp;
  __asm__ volatile("movq %%rsp, %0" : "=r"(sp));
  u8 *m = (u8 *)(sp & ~(STUB_AREA_SIZE - 1));
  volatile u64 *g = (volatile u64 *)(uc + UC_GREGS);
  volatile u64 *r = (volatile u64 *)(m + MSG_REGS);
  volatile u32 *state = (volatile u32 *)(m + MSG_STATE);
  /* a signal in stub_fast_entry (a patched call): after the kernel's reply (or in the tail, where every
   * register but rsp and rip is already the reply's) the guest's state is MSG_FREGS, so the frame takes it
   * and the post and rt_sigreturn go on from there (the kernel asks for this with MSG_FCMD 2 when it needs
   * the whole frame); before the post, or while the kernel holds the call, a kick is dropped: the fast
   * post is the stop it asks for. Any other signal there is posted as it is (the guest broke its own gs or
   * area: a guest-level outcome). */
  u64 rip = g[16];
  if (rip >= (u64)stub_fast_entry && rip < (u64)stub_fast_end) {
    volatile u32 *fstate = (volatile u32 *)(m + MSG_FSTATE);
    if (rip >= (u64)stub_fast_tail || (rip >= (u64)stub_fast_posted && __atomic_load_n(fstate, __ATOMIC_ACQUIRE) == MSG_REPLIED)) {
      if (*(volatile u32 *)(m + MSG_FCMD) == 1) stub_thread_exit();
      regs_to_frame(g, (volatile u64 *)(m + MSG_FREGS));
      __atomic_store_n(fstate, MSG_RUNNING, __ATOMIC_RELEASE);
    } else if (sig == STUB_SIGKICK) {
      goto out;
    }
  }
  r[0] = g[7]; r[1] = g[6]; r[2] = g[5]; r[3] = g[4]; r[4] = g[10]; r[5] = g[11]; r[6] = g[3]; r[7] = g[2];
  r[8] = g[1]; r[9] = g[0]; r[10] = g[13]; r[11] = g[14]; r[12] = g[12]; r[13] = g[9]; r[14] = g[8];
  /* orig_rax: the host's syscall_rollback left the whole number in rax (si_syscall has only its low half,
   * which a guest's SECCOMP_RET_TRAP would then roll back to) */
  r[15] = sig == SIGSYS_ ? g[13] : (u64)-1;
  r[16] = g[16];
  u64 csgsfs = g[18];
  r[17] = csgsfs & 0xffff; r[18] = g[17]; r[19] = g[15]; r[20] = (csgsfs >> 48) & 0xffff;
  *(volatile u32 *)(m + MSG_SIG) = (u32)sig;
  *(volatile int *)(m + MSG_CODE) = *(volatile int *)(si + 8);
  *(volatile u64 *)(m + MSG_ADDR) = *(volatile u64 *)(si + 16);
  *(volatile u64 *)(m + MSG_ERR) = g[19];
  *(volatile u64 *)(m + MSG_FPOFF) = *(volatile u64 *)(uc + UC_FPREGS) - (u64)m;
  volatile u32 *db = (volatile u32 *)STUB_DOORBELL;
  __atomic_store_n(state, MSG_POSTED, __ATOMIC_SEQ_CST);
  /* woken only if it sleeps (a futex wake costs a host syscall while the
   * kernel may be polling): the kernel says so in its own page, which no
   * guest can write; it sets the flag, then looks at the doorbell and the
   * messages once more before it sleeps, so a post either is seen there
   * or sees the flag (both sides sequentially consistent) */
  __atomic_fetch_add(db + DB_SEQ / 4, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n((volatile u32 *)(STUB_KSTATE + KS_SLEEPING), __ATOMIC_SEQ_CST)) stub_sys_futex(db + DB_SEQ / 4, FUTEX_WAKE, 1);
  /* the spin count is the kernel's, read at each poll: the kernel zeroes
   * it when the reply will be late (the call blocks). It is in the message,
   * so a guest can rewrite it: bounded by MSG_SPIN_MAX, so that a thread
   * blocked in a call cannot be made to burn a host CPU outside the vCPUs */
  volatile u32 *spin = (volatile u32 *)(m + MSG_SPIN);
  for (u32 i = 0; i < *spin && i < MSG_SPIN_MAX && __atomic_load_n(state, __ATOMIC_ACQUIRE) != MSG_REPLIED; i++) __asm__ volatile("pause");
  volatile u32 *waiting = (volatile u32 *)(m + MSG_WAITING);
  while (__atomic_load_n(state, __ATOMIC_ACQUIRE) != MSG_REPLIED) {
    __atomic_store_n(waiting, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(state, __ATOMIC_SEQ_CST) != MSG_REPLIED) stub_sys_futex(state, FUTEX_WAIT, MSG_POSTED);
    __atomic_store_n(waiting, 0, __ATOMIC_SEQ_CST);
  }
  if (*(volatile u32 *)(m + MSG_CMD) == 1) stub_thread_exit();
  regs_to_frame(g, r);
  u32 setfs = *(volatile u32 *)(m + MSG_SETFS);
  if (setfs) {
    *(volatile u32 *)(m + MSG_SETFS) = 0;
    if (setfs & 1) stub_sys_arch_prctl(ARCH_SET_FS, *(volatile u64 *)(m + MSG_FSBASE));
    if (setfs & 2) stub_sys_arch_prctl(ARCH_SET_GS, *(volatile u64 *)(m + MSG_GSBASE));
  }
  /* what rt_sigreturn restores besides the registers: no host signal
   * blocked, and this area's signal stack (whatever a sibling wrote) */
out:
  *(volatile u64 *)(uc + UC_SIGMASK) = 0;
  *(volatile u64 *)(uc + UC_STACK) = (u64)m + STUB_ALTSTACK;
  *(volatile u64 *)(uc + UC_STACK + 8) = 0;
  *(volatile u64 *)(uc + UC_STACK + 16) = STUB_AREA_SIZE - STUB_ALTSTACK;
  __atomic_store_n(state, MSG_RUNNING, __ATOMIC_RELEASE);
}

/* Start-up code that ends in the code page (in the start-up section, which
 * stub_drop_setup unmaps). */
__asm__(
  ".pushsection .text.setup_asm,\"ax\",@progbits\n"
  /* stub_seal(rdi = the filter's sock_fprog): the stack is the batch page,
   * so nothing may touch it once it is read-only. mprotect it read-only,
   * no_new_privs, the filter, then the code page's stub_drop_setup. Any
   * failure exits. */
  ".balign 16\n"
  ".globl stub_seal\n"
  "stub_seal:\n"
  "   movq %rdi, %rbx\n"
  "   movl $10, %eax\n"
  "   movabsq $" XSTR(STUB_BATCH_ASM) ", %rdi\n"
  "   movl $4096, %esi\n"
  "   movl $1, %edx\n"                  /* PROT_READ */
  "   syscall\n"
  "   testq %rax, %rax\n"
  "   jnz 5f\n"
  "   movl $157, %eax\n"                /* prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) */
  "   movl $38, %edi\n"
  "   movl $1, %esi\n"
  "   xorl %edx, %edx\n"
  "   xorl %r10d, %r10d\n"
  "   xorl %r8d, %r8d\n"
  "   syscall\n"
  "   testq %rax, %rax\n"
  "   jnz 5f\n"
  "   movl $317, %eax\n"                /* seccomp(SECCOMP_SET_MODE_FILTER, 0, prog) */
  "   movl $1, %edi\n"
  "   xorl %esi, %esi\n"
  "   movq %rbx, %rdx\n"
  "   syscall\n"
  "   testq %rax, %rax\n"
  "   jnz 5f\n"
  "   jmp stub_drop_setup\n"
  "5: movl $231, %eax\n"                /* exit_group(123) */
  "   movl $123, %edi\n"
  "   syscall\n"
  "   jmp 5b\n"
  /* the relay's handler: kill(the waker's pid, kept at STUB_WAKER_STACK, signo) */
  ".balign 16\n"
  "relay_handler:\n"
  "   movl %edi, %esi\n"
  "   movabsq $" XSTR(STUB_WAKER_STACK_ASM) ", %rax\n"
  "   movl (%rax), %edi\n"
  "   movl $62, %eax\n"
  "   syscall\n"
  "   ret\n"
  "relay_restorer:\n"
  "   movl $15, %eax\n"
  "   syscall\n"
  "   hlt\n"
  ".popsection\n");
extern char relay_handler[], relay_restorer[];

extern char stub_batch_syscall[], stub_clone_syscall[], stub_drop_syscall[], stub_exit_syscall[];
extern void stub_seal(void *prog) __attribute__((noreturn));

/* classic BPF, as in <linux/filter.h> */
struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; };
struct sock_fprog { u16 len; struct sock_filter *filter; };
#define BPF_LD_W_ABS 0x20
#define BPF_JEQ_K 0x15
#define BPF_JGE_K 0x35
#define BPF_JGT_K 0x25
#define BPF_RET_K 0x06
#define RET_KILL 0x80000000U   /* SECCOMP_RET_KILL_PROCESS */
#define RET_TRACE 0x7ff00000U
#define RET_TRAP 0x00030000U    /* SECCOMP_RET_TRAP: SIGSYS in the calling thread */
#define RET_ALLOW 0x7fff0000U
#define AUDIT_ARCH_X86_64 0xc000003eU
/* struct seccomp_data */
#define SD_NR 0
#define SD_ARCH 4
#define SD_IP_LO 8
#define SD_IP_HI 12
#define SD_ARG_LO(i) (16 + 8 * (i))
#define SD_ARG_HI(i) (20 + 8 * (i))

/* A filter builder with symbolic jump targets, so the rules below read as
 * a list of requirements (a failed one kills) instead of hand-counted
 * offsets. Targets: the next instruction, one of the three returns at the
 * end, or a label. */
enum { T_NEXT = 0, T_KILL, T_ALLOW, T_TRACE, T_TRAP, T_LABEL0 };
#define FMAX 400
#define LABELS 32
struct fb {
  struct sock_filter f[FMAX];   /* a jump's jt and jf hold symbolic targets until resolve() */
  int n;
  int label[LABELS];
  u8 fail;                 /* where a failed requirement goes: T_KILL, or T_TRAP in the guest filter */
};
static void emit(struct fb *b, u16 code, u32 k, u8 jt, u8 jf) {
  if (b->n >= FMAX) die(133);
  b->f[b->n] = (struct sock_filter){ code, jt, jf, k };
  b->n++;
}
static void ld(struct fb *b, u32 off) { emit(b, BPF_LD_W_ABS, off, 0, 0); }
/* the loaded word must be == k / < k / <= k, else kill */
static void req_eq(struct fb *b, u32 k) { emit(b, BPF_JEQ_K, k, T_NEXT, b->fail); }
static void req_lt(struct fb *b, u32 k) { emit(b, BPF_JGE_K, k, b->fail, T_NEXT); }
static void req_ge(struct fb *b, u32 k) { emit(b, BPF_JGE_K, k, T_NEXT, b->fail); }
static void req_le(struct fb *b, u32 k) { emit(b, BPF_JGT_K, k, b->fail, T_NEXT); }
static void req_arg(struct fb *b, int i, u64 v) {
  ld(b, SD_ARG_LO(i)); req_eq(b, (u32)v);
  ld(b, SD_ARG_HI(i)); req_eq(b, (u32)(v >> 32));
}
/* an address range below GUEST_TASK_SIZE: addr < it, len < 2^36 */
static void req_guest_range(struct fb *b) {
  ld(b, SD_ARG_HI(0)); req_lt(b, (u32)(GUEST_TASK_SIZE >> 32));
  ld(b, SD_ARG_HI(1)); req_lt(b, 16);
}
static void req_prot(struct fb *b, int i) {
  ld(b, SD_ARG_LO(i)); req_le(b, 7);    /* PROT_READ|WRITE|EXEC at most */
  ld(b, SD_ARG_HI(i)); req_eq(b, 0);
}
static void ret(struct fb *b, u32 k) { emit(b, BPF_RET_K, k, 0, 0); }
static void label(struct fb *b, int l) { b->label[l - T_LABEL0] = b->n; }

/* A return target is the next return of that action after i: a jump
 * offset is 8 bits, so returns are repeated along a long filter (island). */
static int target(struct fb *b, int i, u8 t) {
  int to = t == T_NEXT ? i + 1 : t >= T_LABEL0 ? b->label[t - T_LABEL0] : -1;
  if (to < 0) {
    const u32 k = t == T_KILL ? RET_KILL : t == T_ALLOW ? RET_ALLOW : t == T_TRACE ? RET_TRACE : RET_TRAP;
    for (int j = i + 1; j < b->n && to < 0; j++) if (b->f[j].code == BPF_RET_K && b->f[j].k == k) to = j;
  }
  int off = to - (i + 1);
  if (to < 0 || off < 0 || off > 255) die(134);
  return off;
}
/* the four returns, where only jumps reach (after an instruction that always jumps) */
static void island(struct fb *b) {
  ret(b, RET_KILL);
  ret(b, RET_ALLOW);
  ret(b, RET_TRACE);
  ret(b, RET_TRAP);
}

enum { L_BATCH = T_LABEL0, L_CLONE, L_EXIT, L_DROP, L_MMAP, L_MMAP_FD, L_MUNMAP, L_MPROTECT, L_OPENAT, L_SYS, L_SYS2,
  L_SYSTRAP, L_S0, L_S1, L_S2, L_S3, L_S4, L_S5, L_S6, L_S10, L_S11, L_S12, L_FORK, L_F0, L_F1 };

/* systrap: the handler's futex (wait or wake, on the doorbell or an area),
 * rt_sigreturn and arch_prctl(ARCH_SET_FS/GS), each from its own
 * instruction; anything else from the stub page fails (b->fail). Shared by
 * the mapper's filter and the guest threads'. rip is loaded. */
static void sys_handler_rules(struct fb *b) {
  const u64 futex_ip = (u64)stub_sys_futex_syscall + 2, sigret_ip = (u64)stub_sys_sigreturn_syscall + 2;
  const u64 arch_ip = (u64)stub_sys_arch_prctl_syscall + 2;
  emit(b, BPF_JEQ_K, (u32)futex_ip, T_NEXT, L_SYS);
  ld(b, SD_NR); req_eq(b, 202);
  ld(b, SD_ARG_HI(0)); req_eq(b, (u32)(STUB_DOORBELL >> 32));
  ld(b, SD_ARG_LO(0)); req_ge(b, (u32)STUB_DOORBELL); req_lt(b, (u32)STUB_AREAS_END);
  ld(b, SD_ARG_HI(1)); req_eq(b, 0);
  ld(b, SD_ARG_LO(1)); req_le(b, FUTEX_WAKE);   /* FUTEX_WAIT or FUTEX_WAKE, shared (not private) */
  ld(b, SD_ARG_HI(3)); req_eq(b, 0);            /* no timeout */
  ld(b, SD_ARG_LO(3)); req_eq(b, 0);
  ret(b, RET_ALLOW);
  label(b, L_SYS);
  emit(b, BPF_JEQ_K, (u32)sigret_ip, T_NEXT, L_SYS2);
  ld(b, SD_NR); req_eq(b, 15);
  ret(b, RET_ALLOW);
  label(b, L_SYS2);
  emit(b, BPF_JEQ_K, (u32)arch_ip, T_NEXT, b->fail);
  ld(b, SD_NR); req_eq(b, 158);
  ld(b, SD_ARG_HI(0)); req_eq(b, 0);
  ld(b, SD_ARG_LO(0)); req_ge(b, ARCH_SET_GS); req_le(b, ARCH_SET_FS);
  ret(b, RET_ALLOW);
}

/* a clone with exactly these flags and no stack, tid pointers or tls: a
 * new host thread in this process (STUB_CLONE_FLAGS), or a copy of it for
 * a guest fork (STUB_FORK_FLAGS) */
static void clone_rules(struct fb *b, u64 flags) {
  ld(b, SD_NR); req_eq(b, NR_clone);
  req_arg(b, 0, flags);
  req_arg(b, 1, 0);
  req_arg(b, 2, 0);
  req_arg(b, 3, 0);
  req_arg(b, 4, 0);
  ret(b, RET_ALLOW);
}

/* a fork's copy: the one munmap of every thread area it inherited */
static void unareas_rules(struct fb *b) {
  ld(b, SD_NR); req_eq(b, NR_munmap);
  req_arg(b, 0, STUB_AREAS);
  req_arg(b, 1, STUB_AREAS_MAX * STUB_AREA_SIZE);
  ret(b, RET_ALLOW);
}
/* a fork's copy: the one mmap of its own batch page (read-only, shared, from physmem, at STUB_BATCH) */
static void rebatch_rules(struct fb *b) {
  ld(b, SD_NR); req_eq(b, NR_mmap);
  req_arg(b, 0, STUB_BATCH);
  req_arg(b, 1, STUB_BATCH_SIZE);
  req_arg(b, 2, PROT_READ);
  req_arg(b, 3, MAP_SHARED | MAP_FIXED);
  req_arg(b, 4, STUB_FD_PHYSMEM);
  ret(b, RET_ALLOW);
}
/* systrap: a mapper's report record (stub_mapper_report): on the report socket, from stub_mapper_bytes, 1 to
 * `most` bytes */
static void report_rules(struct fb *b, u32 most) {
  ld(b, SD_NR); req_eq(b, NR_write);
  req_arg(b, 0, STUB_FD_DONE);
  ld(b, SD_ARG_HI(1)); req_eq(b, (u32)((u64)stub_mapper_bytes >> 32));
  ld(b, SD_ARG_LO(1)); req_ge(b, (u32)(u64)stub_mapper_bytes); req_lt(b, (u32)(u64)stub_mapper_bytes + 256);
  ld(b, SD_ARG_HI(2)); req_eq(b, 0);
  ld(b, SD_ARG_LO(2)); req_ge(b, 1); req_le(b, most);
  ret(b, RET_ALLOW);
}

static void resolve(struct fb *b) {
  const int end = b->n;
  island(b);
  for (int i = 0; i < end; i++) {
    if ((b->f[i].code & 0x07) != 0x05) continue; /* BPF_JMP class */
    b->f[i].jt = (u8)target(b, i, b->f[i].jt);
    b->f[i].jf = (u8)target(b, i, b->f[i].jf);
  }
}

/* systrap: the filter of every host thread that runs guest code, stacked on
 * the process's (build_filter), which it inherits. Every syscall of guest
 * code traps (SIGSYS: the handler posts it); from the stub page only the
 * handler's own three calls and a thread's exit go through; anything else
 * from there traps too, and the kernel sees a syscall in the stub (the
 * guest jumped there: SIGSEGV). */
static void build_guest_filter(struct fb *b) {
  const u64 exit_ip = (u64)stub_exit_syscall + 2;
  b->n = 0;
  b->fail = T_TRAP;
  ld(b, SD_ARCH);
  emit(b, BPF_JEQ_K, AUDIT_ARCH_X86_64, T_NEXT, T_TRAP);
  ld(b, SD_IP_HI);
  emit(b, BPF_JEQ_K, (u32)(STUB_CODE >> 32), T_NEXT, T_TRAP);
  ld(b, SD_IP_LO);
  emit(b, BPF_JGE_K, (u32)STUB_CODE, T_NEXT, T_TRAP);
  emit(b, BPF_JGE_K, (u32)(STUB_CODE + STUB_CODE_SIZE), T_TRAP, T_NEXT);
  emit(b, BPF_JEQ_K, (u32)exit_ip, T_NEXT, L_EXIT);
  ld(b, SD_NR);
  emit(b, BPF_JEQ_K, NR_exit, T_ALLOW, T_TRAP);
  label(b, L_EXIT);
  sys_handler_rules(b);
  resolve(b);
}

static void build_filter(struct fb *b, int systrap) {
  const u64 batch_ip = (u64)stub_batch_syscall + 2, clone_ip = (u64)stub_clone_syscall + 2;
  const u64 drop_ip = (u64)stub_drop_syscall + 2, exit_ip = (u64)stub_exit_syscall + 2;
  b->n = 0;
  b->fail = T_KILL;
  ld(b, SD_ARCH);
  emit(b, BPF_JEQ_K, AUDIT_ARCH_X86_64, T_NEXT, T_TRACE);   /* 32-bit entry: the kernel answers */
  /* not from the stub page: a guest syscall, emulated by the kernel */
  ld(b, SD_IP_HI);
  emit(b, BPF_JEQ_K, (u32)(STUB_CODE >> 32), T_NEXT, T_TRACE);
  ld(b, SD_IP_LO);
  emit(b, BPF_JGE_K, (u32)STUB_CODE, T_NEXT, T_TRACE);
  emit(b, BPF_JGE_K, (u32)(STUB_CODE + STUB_CODE_SIZE), T_TRACE, T_NEXT);
  /* from the stub page: only its three syscall instructions, each for its own calls */
  emit(b, BPF_JEQ_K, (u32)batch_ip, L_BATCH, T_NEXT);
  emit(b, BPF_JEQ_K, (u32)clone_ip, L_CLONE, T_NEXT);
  emit(b, BPF_JEQ_K, (u32)exit_ip, L_EXIT, T_NEXT);
  emit(b, BPF_JEQ_K, (u32)drop_ip, L_DROP, L_FORK);
  island(b);

  label(b, L_EXIT);  /* a host thread's own end (exit, not exit_group) */
  ld(b, SD_NR);
  emit(b, BPF_JEQ_K, NR_exit, T_ALLOW, T_KILL);

  label(b, L_DROP);  /* the one munmap of the start-up code */
  ld(b, SD_NR); req_eq(b, NR_munmap);
  req_arg(b, 0, STUB_SETUP);
  req_arg(b, 1, STUB_SETUP_SIZE);
  ret(b, RET_ALLOW);

  label(b, L_CLONE);
  clone_rules(b, STUB_CLONE_FLAGS);

  label(b, L_BATCH);
  ld(b, SD_NR);
  emit(b, BPF_JEQ_K, NR_mmap, L_MMAP, T_NEXT);
  emit(b, BPF_JEQ_K, NR_munmap, L_MUNMAP, T_NEXT);
  emit(b, BPF_JEQ_K, NR_mprotect, L_MPROTECT, T_NEXT);
  emit(b, BPF_JEQ_K, NR_openat, L_OPENAT, T_NEXT);
  emit(b, BPF_JEQ_K, NR_close, T_ALLOW, T_KILL);

  label(b, L_MMAP);  /* physmem or a file the stub opened, at a fixed guest address */
  req_guest_range(b);
  req_prot(b, 2);
  ld(b, SD_ARG_HI(3)); req_eq(b, 0);
  ld(b, SD_ARG_LO(3));
  emit(b, BPF_JEQ_K, MAP_SHARED | MAP_FIXED, L_MMAP_FD, T_NEXT);
  emit(b, BPF_JEQ_K, MAP_SHARED | MAP_FIXED | MAP_POPULATE, L_MMAP_FD, T_NEXT);
  emit(b, BPF_JEQ_K, MAP_PRIVATE | MAP_FIXED, T_NEXT, T_KILL);
  label(b, L_MMAP_FD);
  ld(b, SD_ARG_HI(4)); req_eq(b, 0);
  ld(b, SD_ARG_LO(4)); req_lt(b, STUB_FD_LIMIT);
  ret(b, RET_ALLOW);

  label(b, L_MUNMAP);
  req_guest_range(b);
  ret(b, RET_ALLOW);

  label(b, L_MPROTECT);
  req_guest_range(b);
  req_prot(b, 2);
  ret(b, RET_ALLOW);

  label(b, L_OPENAT);  /* the kernel's own open file, by the name it wrote in the batch page */
  req_arg(b, 0, 0);
  req_arg(b, 1, STUB_BATCH + STUB_BATCH_PATH);
  ld(b, SD_ARG_HI(2)); req_eq(b, 0);
  ld(b, SD_ARG_LO(2));
  emit(b, BPF_JEQ_K, O_CLOEXEC, T_ALLOW, T_NEXT);
  emit(b, BPF_JEQ_K, O_CLOEXEC | O_RDWR, T_ALLOW, T_KILL);
  island(b);

  label(b, L_FORK);
  /* a guest fork's host process (stub_sys_fork): the copy, with exactly
   * STUB_FORK_FLAGS and no stack, tid pointers or tls; then, in the copy,
   * the one munmap of every thread area and the one mmap of its batch page
   * (read-only, shared, from physmem, at STUB_BATCH; the offset is the
   * kernel's, in a register of the traced mapper) */
  emit(b, BPF_JEQ_K, (u32)((u64)stub_sys_fork_syscall + 2), T_NEXT, L_F0);
  clone_rules(b, STUB_FORK_FLAGS);
  label(b, L_F0);
  emit(b, BPF_JEQ_K, (u32)((u64)stub_sys_unareas_syscall + 2), T_NEXT, L_F1);
  unareas_rules(b);
  label(b, L_F1);
  emit(b, BPF_JEQ_K, (u32)((u64)stub_sys_rebatch_syscall + 2), T_NEXT, systrap ? L_SYSTRAP : T_KILL);
  rebatch_rules(b);

  if (systrap) {
    label(b, L_SYSTRAP);
    ld(b, SD_IP_LO);
    /* the new thread's set-up (stub_sys_clone), then the handler's calls */
    emit(b, BPF_JEQ_K, (u32)((u64)stub_sys_clone_syscall + 2), T_NEXT, L_S0);
    clone_rules(b, STUB_CLONE_FLAGS);
    label(b, L_S0);
    ld(b, SD_IP_LO);
    emit(b, BPF_JEQ_K, (u32)((u64)stub_sys_mmap_syscall + 2), T_NEXT, L_S1);
    /* the new thread's area: exactly one area, shared, from sysmem */
    ld(b, SD_NR); req_eq(b, NR_mmap);
    ld(b, SD_ARG_HI(0)); req_eq(b, (u32)(STUB_AREAS >> 32));
    ld(b, SD_ARG_LO(0)); req_ge(b, (u32)STUB_AREAS); req_lt(b, (u32)STUB_AREAS_END);
    req_arg(b, 1, STUB_AREA_SIZE);
    req_arg(b, 2, PROT_READ | PROT_WRITE);
    req_arg(b, 3, MAP_SHARED | MAP_FIXED);
    req_arg(b, 4, STUB_FD_SYSMEM);
    ret(b, RET_ALLOW);
    label(b, L_S1);
    ld(b, SD_IP_LO);
    emit(b, BPF_JEQ_K, (u32)((u64)stub_sys_altstack_syscall + 2), T_NEXT, L_S2);
    ld(b, SD_NR); req_eq(b, 131);
    req_arg(b, 1, 0);
    ret(b, RET_ALLOW);
    label(b, L_S2);
    emit(b, BPF_JEQ_K, (u32)((u64)stub_sys_seccomp_syscall + 2), T_NEXT, L_S3);
    ld(b, SD_NR); req_eq(b, 317);
    req_arg(b, 0, 1);
    req_arg(b, 1, 0);
    req_arg(b, 2, STUB_FILTER);
    ret(b, RET_ALLOW);
    label(b, L_S3);
    emit(b, BPF_JEQ_K, (u32)((u64)stub_sys_ready_syscall + 2), T_NEXT, L_S4);
    ld(b, SD_NR); req_eq(b, 39);   /* getpid: the guest filter traps it before it runs */
    ret(b, RET_ALLOW);
    label(b, L_S4);
    /* the mapper loop's wait for the kernel's next request: on its batch page's SEQ word only */
    ld(b, SD_IP_LO);
    emit(b, BPF_JEQ_K, (u32)((u64)stub_mapper_futex_syscall + 2), T_NEXT, L_S5);
    ld(b, SD_NR); req_eq(b, NR_futex);
    req_arg(b, 0, STUB_BATCH + STUB_BATCH_SEQ);
    req_arg(b, 1, FUTEX_WAIT);
    req_arg(b, 3, 0);
    ret(b, RET_ALLOW);
    label(b, L_S5);
    /* its report: on the report socket, from stub_mapper_bytes, at most a page's worth of requests */
    emit(b, BPF_JEQ_K, (u32)((u64)stub_mapper_report_syscall + 2), T_NEXT, L_S6);
    report_rules(b, STUB_BATCH_MAX + 1);
    island(b);
    label(b, L_S6);
    /* a fork's copy (MAPPER_FORK; the clone, the munmap of the areas and the mmap of the batch page are
     * stub_sys_fork's, above): PDEATHSIG, getppid, its one-byte "born" record */
    ld(b, SD_IP_LO);
    emit(b, BPF_JEQ_K, (u32)((u64)stub_mapper_born_syscall + 2), T_NEXT, L_S10);
    report_rules(b, 64);
    label(b, L_S10);
    ld(b, SD_IP_LO);
    emit(b, BPF_JEQ_K, (u32)((u64)stub_mapper_pdeath_syscall + 2), T_NEXT, L_S11);
    ld(b, SD_NR); req_eq(b, NR_prctl);
    req_arg(b, 0, PR_SET_PDEATHSIG);
    req_arg(b, 1, SIGKILL);
    ret(b, RET_ALLOW);
    label(b, L_S11);
    ld(b, SD_IP_LO);
    emit(b, BPF_JEQ_K, (u32)((u64)stub_mapper_getppid_syscall + 2), T_NEXT, L_S12);
    ld(b, SD_NR); req_eq(b, NR_getppid);
    ret(b, RET_ALLOW);
    label(b, L_S12);
    ld(b, SD_IP_LO);
    sys_handler_rules(b);
  }
  resolve(b);
}

/* Runs with the batch page as its stack, after the host stack is gone. */
#define GUEST_FB_OFF 512   /* the guest filter's builder in its page; its instructions go below, from STUB_FILTER_INSNS */
_Static_assert(GUEST_FB_OFF + sizeof(struct fb) <= STUB_PAGE_SIZE, "the guest filter's builder fits its page");
_Static_assert((STUB_BATCH_MAX + 1) * STUB_BATCH_ENTRY <= STUB_BATCH_VDSO && STUB_BATCH_VDSO + 16 <= STUB_BATCH_PATH,
               "the vDSO's words lie between the last request slot and the path");
struct k_sigaction { void *handler; u64 flags; void *restorer; u64 mask; };
#define SA_SIGINFO 4
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_RESTORER 0x04000000
#define NR_rt_sigprocmask 14
#define NR_poll 7
#define NR_read 0
#define NR_signalfd4 289
extern void stub_sys_handler(int, u8 *, u8 *);

/* systrap start-up, after the host's mappings are gone: the doorbell page,
 * the guest threads' filter (read-only from here on), and the handler for
 * every signal a guest thread's host thread takes. */
static __attribute__((noinline)) void systrap_setup(void) {
  if (sys6(NR_mmap, STUB_DOORBELL, STUB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, STUB_FD_SYSMEM, 0) < 0) die(140);
  if (sys6(NR_mmap, STUB_KSTATE, STUB_PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED, STUB_FD_SYSMEM, SYSMEM_KSTATE) < 0) die(145);
  if (sys6(NR_mmap, STUB_FILTER, STUB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) < 0) die(141);
  {
    /* built in the filter page itself (the stack, the batch page, holds one builder only) */
    struct fb *b = (struct fb *)(STUB_FILTER + GUEST_FB_OFF);
    build_guest_filter(b);
    if (STUB_FILTER_INSNS + b->n * sizeof(struct sock_filter) > GUEST_FB_OFF) die(146);
    struct sock_filter *out = (struct sock_filter *)(STUB_FILTER + STUB_FILTER_INSNS);
    for (int i = 0; i < b->n; i++) out[i] = b->f[i];   /* out lies below b->f: a forward copy is safe */
    struct sock_fprog *prog = (struct sock_fprog *)STUB_FILTER;
    prog->len = (u16)b->n;
    prog->filter = out;
  }
  if (sys3(NR_mprotect, STUB_FILTER, STUB_PAGE_SIZE, PROT_READ) < 0) die(142);
  struct k_sigaction sa = { (void *)stub_sys_handler, SA_SIGINFO | SA_ONSTACK | SA_RESTORER, stub_sys_restorer, ~0UL };
  static const int sigs[] = { 31, 11, 7, 4, 8, 5, STUB_SIGKICK };
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    if (sys4(NR_rt_sigaction, sigs[i], &sa, 0, 8) < 0) die(143);
  }
}

static __attribute__((noreturn, used)) void stub_finish(long systrap) {
  /* Everything of the host's below and above the stub: ELF-less now, the
   * host stack, and its vDSO where the host put it, but the vDSO moved to
   * STUB_HOST_VDSO. [vsyscall] cannot be unmapped and is above host user
   * space anyway. */
  if (sys2(NR_munmap, 0, STUB_START) < 0) die(124);
  if (sys2(NR_munmap, STUB_SETUP + STUB_SETUP_SIZE, STUB_HOST_VDSO - STUB_SETUP - STUB_SETUP_SIZE) < 0) die(125);
  if (sys2(NR_munmap, STUB_HOST_VDSO + STUB_HOST_VDSO_SIZE, STUB_HOST_TOP - STUB_HOST_VDSO - STUB_HOST_VDSO_SIZE) < 0) die(131);
  if (systrap) systrap_setup();
  struct fb b;
  build_filter(&b, (int)systrap);
  struct sock_fprog prog = { (u16)b.n, b.f };
  stub_seal(&prog);
}

static void common_start(u64 ppid, int traced, int keep) {
  /* Die with the kernel's thread: PDEATHSIG (checked against a parent that
   * died first); EXITKILL too while the kernel traces it. */
  sys2(NR_prctl, PR_SET_PDEATHSIG, SIGKILL);
  if ((u64)sys0(NR_getppid) != ppid) die(126);
  if (traced && sys4(NR_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0) < 0) die(127);
  /* Keep only fd 3. Closing 0-2 matters: a stub holding the terminal's or a
   * pipe's descriptor would keep it open behind the guest's back. */
  sys3(NR_close_range, 0, 2, 0);
  sys3(NR_close_range, (u32)keep + 1, ~0U, 0);
}

static __attribute__((noreturn, used)) void waker_finish(void) {
  /* struct pollfd { int fd; short events; short revents; } at rsp */
  __asm__ volatile(
    "movq %0, %%rsp\n"
    "subq $64, %%rsp\n"
    "movl $3, 0(%%rsp)\n"
    "movl $1, 4(%%rsp)\n"              /* POLLIN */
    "int3\n"                           /* ready */
    "jmp stub_waker_loop\n"
    :: "r"(STUB_WAKER_STACK + STUB_PAGE_SIZE) : "memory");
  __builtin_unreachable();
}

/* systrap's waker: untraced; polls the kernel's epoll instance (fd 3) and
 * a signalfd for the host signals the relay forwards, and rings the
 * doorbell. After an epoll ring it waits until the kernel has taken the
 * events (DB_EVENTS back to 0), so a ready fd rings once. */
static __attribute__((noreturn)) void sys_waker_main(void) {
  if (sys6(NR_mmap, STUB_DOORBELL, 2 * STUB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, STUB_FD_SYSMEM, 0) < 0) die(140);
  u64 all = ~0UL;
  sys4(NR_rt_sigprocmask, 0 /* SIG_BLOCK */, &all, 0, 8);
  long sfd = sys4(NR_signalfd4, -1, &all, 8, 0);
  if (sfd < 0) die(144);
  volatile u32 *db = (volatile u32 *)STUB_DOORBELL;
  volatile u32 *wk = (volatile u32 *)(STUB_DOORBELL + SYSMEM_WAKER);
  struct { int fd; short events, revents; } pfd[2] = { { 3, 1, 0 }, { (int)sfd, 1, 0 } };
  u8 si[128];
  for (;;) {
    if (sys3(NR_poll, pfd, 2, -1) < 0) continue;
    if (pfd[1].revents) {
      if (sys3(NR_read, sfd, si, sizeof si) == sizeof si) {
        u32 signo = *(u32 *)si;
        if (signo >= 1 && signo <= 32) __atomic_fetch_or(wk + WK_HOSTSIGS / 4, 1U << (signo - 1), __ATOMIC_SEQ_CST);
      }
    }
    if (pfd[0].revents) __atomic_store_n(wk + WK_EVENTS / 4, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(db + DB_SEQ / 4, 1, __ATOMIC_SEQ_CST);
    sys3(NR_futex, db + DB_SEQ / 4, FUTEX_WAKE, 1);
    while (pfd[0].revents && __atomic_load_n(wk + WK_EVENTS / 4, __ATOMIC_SEQ_CST) == 1) sys4(NR_futex, wk + WK_EVENTS / 4, FUTEX_WAIT, 1, 0);
  }
}

#define NR_ioctl 16
#define TCSETS 0x5402
#define TERMIOS_SIZE 36
#define SIGUSR2 12
#define SIGTTOU 22
/* the relay's copy of the terminal's termios, in its own page (after the waker's pid) */
#define RELAY_TERMIOS (STUB_WAKER_STACK + 64)

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The terminal back as it was, then the relay's end. TCSETS, not TCSETSW:
 * a terminal that never drains must not keep the relay alive; a hung-up
 * one answers an error, and the relay ends all the same. */
static __attribute__((noreturn)) void relay_restore(void) {
  sys3(NR_ioctl, 0, TCSETS, RELAY_TERMIOS);
  die(0);
}
/* its death signal (PR_SET_PDEATHSIG): the thread that spawned it, umlts's kernel, is gone */
static void relay_death(int sig) {
  (void)sig;
  relay_restore();
}

static __attribute__((noreturn)) void relay_main(u64 ppid, u64 waker, u64 sigs, const char *tio) {
  if (sys6(NR_mmap, STUB_WAKER_STACK, STUB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) < 0) die(128);
  *(volatile u32 *)STUB_WAKER_STACK = (u32)waker;
  struct k_sigaction sa = { relay_handler, SA_RESTORER | SA_RESTART, relay_restorer, 0 };
  for (int s = 1; s <= 32; s++) {
    if (sigs & (1UL << (s - 1)) && sys4(NR_rt_sigaction, s, &sa, 0, 8) < 0) die(132);
  }
  if (!tio) {
    sys2(NR_prctl, PR_SET_PDEATHSIG, SIGKILL);
    if ((u64)sys0(NR_getppid) != ppid) die(126);
    sys3(NR_close_range, 0, ~0U, 0);
    for (;;) sys0(NR_pause);
  }
  /* with a terminal to put back (its fd 0) */
  u8 *saved = (u8 *)RELAY_TERMIOS;
  for (int i = 0; i < TERMIOS_SIZE; i++) {
    int hi = hexval(tio[2 * i]), lo = hi < 0 ? -1 : hexval(tio[2 * i + 1]);
    if (lo < 0) die(121);
    saved[i] = (u8)(hi * 16 + lo);
  }
  if (tio[2 * TERMIOS_SIZE]) die(121);
  sys3(NR_close_range, 1, ~0U, 0);
  /* nothing but its death ends it: every other catchable signal it does not forward is ignored (a signal
   * to umlts's whole group, a stop), and a group no longer in the foreground may still set the terminal
   * (tcsetattr's SIGTTOU) */
  struct k_sigaction ign = { (void *)1 /* SIG_IGN */, SA_RESTORER, relay_restorer, 0 };
  for (int s = 1; s <= 31; s++) {
    if (s == SIGKILL || s == 19 /* SIGSTOP */ || s == SIGUSR2 || sigs & (1UL << (s - 1))) continue;
    sys4(NR_rt_sigaction, s, &ign, 0, 8);
  }
  struct k_sigaction death = { (void *)relay_death, SA_RESTORER, relay_restorer, ~0UL };
  if (sys4(NR_rt_sigaction, SIGUSR2, &death, 0, 8) < 0) die(132);
  /* armed before the check: umlts gone already (its kernel killed before this point) is the same death */
  sys2(NR_prctl, PR_SET_PDEATHSIG, SIGUSR2);
  if ((u64)sys0(NR_getppid) != ppid) relay_restore();
  for (;;) sys0(NR_pause);
}

#define NR_mremap 25
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define AT_SYSINFO_EHDR 33

/* The host's vDSO and its data pages to STUB_HOST_VDSO, in the layout the
 * kernel read in its own process (spec: the vDSO's offset from the first
 * data page, then offset,size of each of those mappings, decimal, comma
 * separated). The vDSO is where AT_SYSINFO_EHDR says (auxv: after envp). */
static void move_host_vdso(const char *spec, char **envp) {
  while (*envp) envp++;
  u64 *aux = (u64 *)(envp + 1), vdso = 0;
  for (; aux[0]; aux += 2) if (aux[0] == AT_SYSINFO_EHDR) vdso = aux[1];
  u64 v[17];
  int n = 0;
  for (const char *p = spec; n < 17;) {
    u64 x = 0;
    if (*p < '0' || *p > '9') die(STUB_EXIT_VDSO_LAYOUT);
    for (; *p >= '0' && *p <= '9'; p++) x = x * 10 + (u64)(*p - '0');
    v[n++] = x;
    if (!*p) break;
    if (*p++ != ',' || n == 17) die(STUB_EXIT_VDSO_LAYOUT);
  }
  if (!vdso || n < 3 || n % 2 == 0 || v[0] > vdso) die(STUB_EXIT_VDSO_LAYOUT);
  u64 first = vdso - v[0];
  /* moved one mapping at a time: a source overlapping the target could be unmapped by an earlier move */
  if (first < STUB_HOST_VDSO + STUB_HOST_VDSO_SIZE && first + STUB_HOST_VDSO_SIZE > STUB_HOST_VDSO) die(STUB_EXIT_VDSO_LAYOUT);
  for (int i = 1; i < n; i += 2) {
    u64 off = v[i], len = v[i + 1];
    if (off >= STUB_HOST_VDSO_SIZE || len > STUB_HOST_VDSO_SIZE - off) die(STUB_EXIT_VDSO_LAYOUT);
    if (sys6(NR_mremap, first + off, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, STUB_HOST_VDSO + off, 0) != (long)(STUB_HOST_VDSO + off)) die(STUB_EXIT_VDSO_MOVE);
  }
}

__attribute__((noreturn, used)) void stub_main(long argc, char **argv) {
  if (argc < 3) die(119);
  if (streq(argv[1], "relay")) {
    if (argc < 5) die(119);
    relay_main(parse_u64(argv[2]), parse_u64(argv[3]), parse_u64(argv[4]), argc > 5 ? argv[5] : 0);
  }
  if (streq(argv[1], "syswaker")) {
    common_start(parse_u64(argv[2]), 0, STUB_FD_SYSMEM);
    sys_waker_main();
  }
  if (streq(argv[1], "waker")) {
    common_start(parse_u64(argv[2]), 1, STUB_FD_PHYSMEM);
    /* a page of its own for a few words of stack (fd 3 is the epoll instance here) */
    if (sys6(NR_mmap, STUB_WAKER_STACK, STUB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) < 0) die(128);
    waker_finish();
  }
  long systrap = streq(argv[1], "systrap");
  if ((!systrap && !streq(argv[1], "stub")) || argc < 4) die(119);
  u64 batch_off = parse_u64(argv[2]);
  u64 ppid = parse_u64(argv[3]);
  common_start(ppid, 1, systrap ? STUB_FD_DONE : STUB_FD_PHYSMEM);
  if (argc >= 5) move_host_vdso(argv[4], argv + argc + 1);
  else if (sys2(NR_munmap, STUB_HOST_VDSO, STUB_HOST_VDSO_SIZE) < 0) die(130);  /* (stub_finish keeps that range) */
  /* writable until stub_seal: it is the stack of the last steps of start-up */
  if (sys6(NR_mmap, STUB_BATCH, STUB_BATCH_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, STUB_FD_PHYSMEM, batch_off) < 0) die(129);
  /* Not dumpable: no core of a stub, and /proc/<stub> stays root-only. */
  sys2(NR_prctl, PR_SET_DUMPABLE, 0);
  /* Move to the top of the batch page and drop the host stack. */
  __asm__ volatile("movq %0, %%rsp\n"
                   "movq %1, %%rdi\n"
                   "call stub_finish\n"
                   :: "r"(STUB_BATCH + STUB_BATCH_SIZE - 64), "r"(systrap) : "memory");
  __builtin_unreachable();
}

/* _start: rsp -> argc, argv... (the System V initial stack) */
__asm__(
  ".pushsection .text.start,\"ax\",@progbits\n"
  ".globl _start\n"
  "_start:\n"
  "   movq (%rsp), %rdi\n"
  "   leaq 8(%rsp), %rsi\n"
  "   andq $-16, %rsp\n"
  "   call stub_main\n"
  "   hlt\n"
  ".popsection\n");
