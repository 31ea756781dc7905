/* Hostile guest: the stub's pages and the flushes that change the guest's
 * host mappings (see hostile.h for the output).
 *  1. stores into the code page, the batch page, the old design's data slots
 *     (every fault-record field), the gap above TASK_SIZE, from a thread
 *     while another thread takes page faults: each child must die by SIGSEGV;
 *  2. the kernel asked to write into the stub pages for us (read(), uname,
 *     clock_gettime ...): an errno (EFAULT);
 *  3. mprotect/munmap/mremap/madvise/mmap MAP_FIXED/brk/... towards and
 *     across the stub and TASK_SIZE: an errno; a hint is not honoured; the
 *     code page does not change;
 *  4. the fault record forged from a racing thread (the old design's leak of
 *     the filter secret through a failed stub sigreturn), then whatever
 *     candidate secrets any signal frame showed, used against the stub;
 *  5. a mapping flush raced: thread A churns a big range while thread B
 *     writes the batch page and forks children that jump into the stub
 *     (each with a churning thread of its own). */
#include "hostile.h"
#include <sys/utsname.h>
#include <sys/uio.h>
#include <sys/shm.h>
#include <ucontext.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

static void fault_forever(void) {
  for (;;) {
    char *m = mmap(0, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) continue;
    for (int i = 0; i < 64; i++) m[i * PG] = (char)i;
    munmap(m, 64 * PG);
  }
}

/* ---- 1. stores from a racing thread ---- */
struct wtarget { const char *name; unsigned long addr, len, step, span; };
static struct wtarget wt;
static void *writer(void *arg) {
  (void)arg;
  sched_yield();
  unsigned long n = 0;
  /* span: write the first `span` bytes of every `step` (fault-record fields) */
  for (unsigned long a = wt.addr; a < wt.addr + wt.len; a += wt.step)
    for (unsigned long o = 0; o < wt.span; o += 8, n++) *(volatile unsigned long *)(a + o) = 0x4141414141414141UL ^ n;
  note("all %lu stores went through", n);
  _exit(0);
}
static void store_attack(long arg) {
  (void)arg;
  pthread_t t;
  if (pthread_create(&t, 0, writer, 0) != 0) { note("pthread_create failed"); _exit(97); }
  fault_forever();
}

/* ---- 2, 3. system calls in a child: the outcome is the errno ---- */
static int cur_call;
static int pipefd[2];
static void syscall_attack(long arg) {
  (void)arg;
  long r = -1;
  errno = 0;
  switch (cur_call) {
  /* 2. the kernel writing into the stub pages */
  case 0: if (pipe(pipefd) == 0 && write(pipefd[1], "xxxxxxxx", 8) == 8) r = read(pipefd[0], (void *)(STUB_BATCH + 64), 8); break;
  case 1: if (pipe(pipefd) == 0 && write(pipefd[1], "xxxxxxxx", 8) == 8) r = read(pipefd[0], (void *)STUB_CODE, 8); break;
  case 2: if (pipe(pipefd) == 0 && write(pipefd[1], "xxxxxxxx", 8) == 8) r = read(pipefd[0], (void *)(OLD_DATA + 40), 8); break;
  case 3: r = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, STUB_BATCH); break;
  case 4: r = syscall(SYS_uname, STUB_CODE); break;
  case 5: r = syscall(SYS_sigaltstack, 0, STUB_BATCH); break;
  case 6: r = syscall(SYS_pipe2, STUB_BATCH, 0); break;
  case 7: r = syscall(SYS_getrandom, STUB_CODE, 16, 0); break;
  case 8: r = syscall(SYS_rt_sigaction, SIGUSR1, 0, OLD_DATA, 8); break;
  case 9: {
    int fd = open("/proc/self/mem", O_RDWR);
    if (fd < 0) { r = -1; break; }
    r = pwrite(fd, "\xcc\xcc\xcc\xcc", 4, (off_t)STUB_BATCH);
    if (r >= 0) r = pwrite(fd, "\xcc\xcc\xcc\xcc", 4, (off_t)STUB_CODE);
    break;
  }
  case 10: {
    char buf[8] = "xxxxxxx";
    struct iovec l = { buf, 8 }, rem = { (void *)STUB_BATCH, 8 };
    r = syscall(SYS_process_vm_writev, getpid(), &l, 1, &rem, 1, 0);
    break;
  }
  case 11: r = syscall(SYS_fstat, 1, OLD_DATA); break;
  /* 3. mapping calls towards the stub and TASK_SIZE */
  case 20: r = mprotect((void *)STUB_CODE, PG, PROT_READ | PROT_WRITE | PROT_EXEC); break;
  case 21: r = mprotect((void *)STUB_BATCH, PG, PROT_READ | PROT_WRITE); break;
  case 22: r = mprotect((void *)OLD_DATA, OLD_SLOT, PROT_READ | PROT_WRITE | PROT_EXEC); break;
  case 23: /* a page of our own just below TASK_SIZE, then across the boundary */
    mmap((void *)(TASK_SIZE - PG), PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    r = mprotect((void *)(TASK_SIZE - PG), 2 * PG, PROT_READ | PROT_WRITE);
    break;
  case 24:
    mmap((void *)(TASK_SIZE - PG), PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    r = mprotect((void *)(TASK_SIZE - PG), STUB_CODE + 2 * PG - (TASK_SIZE - PG), PROT_READ | PROT_WRITE | PROT_EXEC);
    break;
  case 25: r = munmap((void *)STUB_CODE, PG); break;
  case 26: r = munmap((void *)STUB_BATCH, PG); break;
  case 27: r = munmap((void *)STUB_CODE, OLD_DATA_END - STUB_CODE); break;
  case 28: r = munmap((void *)(TASK_SIZE - PG), 2 * PG); break;
  case 29: r = munmap((void *)TASK_SIZE, 0x7ffffffff000UL - TASK_SIZE); break;
  case 30: r = (long)mmap((void *)STUB_CODE, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0); break;
  case 31: r = (long)mmap((void *)STUB_BATCH, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0); break;
  case 32: r = (long)mmap((void *)OLD_DATA, OLD_SLOT, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0); break;
  case 33: r = (long)mmap((void *)(TASK_SIZE - PG), 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0); break;
  case 34: r = (long)mmap((void *)TASK_SIZE, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0); break;
  case 35: r = (long)mmap((void *)(TASK_SIZE - PG), STUB_CODE + 2 * PG - (TASK_SIZE - PG), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0); break;
  case 36: r = (long)mmap((void *)STUB_BATCH, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0); break;
  case 37: {
    int fd = open("/proc/self/exe", O_RDONLY);
    if (fd < 0) { r = -1; break; }
    r = (long)mmap((void *)STUB_CODE, PG, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd, 0);
    break;
  }
  case 38: { /* grow a mapping just below TASK_SIZE in place, across it */
    void *m = mmap((void *)(TASK_SIZE - PG), PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (m != (void *)(TASK_SIZE - PG)) { r = -1; errno = EEXIST; break; }
    r = (long)mremap(m, PG, 2 * PG, 0);
    break;
  }
  case 39: {
    void *m = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    r = (long)mremap(m, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)STUB_BATCH);
    break;
  }
  case 40: {
    void *m = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    r = (long)mremap(m, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(TASK_SIZE - PG));
    break;
  }
  case 41: r = (long)mremap((void *)STUB_CODE, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0x300000000000UL); break;
  case 42: r = (long)mremap((void *)STUB_BATCH, PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0); break;
  case 43: r = (long)mremap((void *)STUB_CODE, PG, 4 * PG, MREMAP_MAYMOVE); break;
  case 44: r = madvise((void *)STUB_BATCH, PG, MADV_DONTNEED); break;
  case 45: r = madvise((void *)STUB_CODE, PG, MADV_REMOVE); break;
  case 46: r = madvise((void *)OLD_DATA, OLD_SLOT, MADV_DONTNEED); break;
  case 47: r = madvise((void *)STUB_CODE, 2 * PG, MADV_DONTFORK); break;
  case 48: r = madvise((void *)(TASK_SIZE - PG), STUB_CODE + 2 * PG - (TASK_SIZE - PG), MADV_WIPEONFORK); break;
  case 49: r = mlock((void *)STUB_BATCH, PG); break;
  case 50: r = msync((void *)STUB_BATCH, PG, MS_SYNC | MS_INVALIDATE); break;
  case 51: { unsigned char v[2]; r = mincore((void *)STUB_CODE, 2 * PG, v); break; }
  case 52: r = syscall(SYS_pkey_mprotect, STUB_BATCH, PG, PROT_READ | PROT_WRITE, 0); break;
  case 53: r = brk((void *)STUB_CODE); break;
  case 54: r = brk((void *)(TASK_SIZE + PG)); break;
  case 55: {
    int id = shmget(IPC_PRIVATE, PG, IPC_CREAT | 0600);
    if (id < 0) { r = -1; break; }
    r = (long)shmat(id, (void *)STUB_BATCH, SHM_REMAP);
    break;
  }
  case 56: r = syscall(SYS_remap_file_pages, STUB_CODE, PG, 0, 1, 0); break;
  case 57: /* (NOREPLACE: the guest's stack may be up there) */
    r = (long)mmap((void *)(TASK_SIZE - 16 * PG), 16 * PG, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_GROWSDOWN, -1, 0);
    if (r != -1) r = (long)mremap((void *)r, 16 * PG, 64 * PG, 0);
    break;
  case 58: r = syscall(SYS_set_mempolicy_home_node, STUB_CODE, PG, 0, 0); break;
  }
  finish_result(r);
}
static void call(int k, const char *name) {
  cur_call = k;
  run_attack(name, syscall_attack, 0);
}

/* a hint at the batch page: where does the mapping go? */
static void hint_attack(long arg) {
  (void)arg;
  void *h = mmap((void *)(arg ? STUB_CODE : STUB_BATCH), PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (h == MAP_FAILED) finish_errno(errno);
  note((unsigned long)h + PG <= TASK_SIZE ? "placed below TASK_SIZE" : "placed at %p", h);
  _exit(0);
}

/* ---- 5. racing a flush ---- */
static volatile int race_done;
static long b_writes, b_segv;
static unsigned long cur_target;
static enum rs cur_rs;
static void race_jumper(long arg) {
  (void)arg;
  prefault();
  churn_pages = 256;
  start_churn();
  craft_rs(cur_rs, canary_word(77) & 0xffffffffUL);
  launch(cur_target, JMP, AFTER_FAULT);
}
static void *thread_b(void *arg) {
  (void)arg;
  char name[200];
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i <= nsyms; i++) {
      for (int k = 0; k < 3; k++) {
        /* the batch page, written while A's flushes go through it */
        for (int j = 0; j < 20; j++, b_writes++)
          if (try_write((volatile unsigned char *)STUB_BATCH + ((b_writes * 56) % PG), 0xcc) == SIGSEGV) b_segv++;
        static const enum rs sets[] = { RS_OPENAT, RS_MMAP, RS_EXECVE };
        cur_rs = sets[k];
        cur_target = i < nsyms ? syms[i].addr : runner_syscall();
        snprintf(name, sizeof name, "flush race (round %d): jmp %.64s [%s]", round, i < nsyms ? syms[i].name : "the runner's syscall",
                 rs_name[cur_rs]);
        run_attack(name, race_jumper, 0);
      }
    }
  }
  race_done = 1;
  return 0;
}

/* ---- 4. forging the fault record, harvesting secrets ---- */
static int forge_field;      /* byte offset in the record, or -1: the leak recipe */
static unsigned long forge_value;
static volatile int scribble_stop;
static unsigned long use_secret;
static int use_phase;
/* Use a leaked secret in the process that leaked it (a stub per process,
 * a secret per stub): openat(the marker) at the runner's syscall, then a
 * forged batch that maps physmem at SCAN_BASE; each time the old runner
 * sigreturns (r14 = 1) to hg_sigreturned, from where the next phase goes on. */
static void use_next(void) {
  if (use_phase++ == 0) {
    craft(SYS_openat, AT_FDCWD, (long)markers[0], O_CREAT | O_WRONLY | O_TRUNC, 0644, 0, 0, use_secret);
    hg_regs.r12 = (unsigned long)zeros; /* the runner's next request: none */
    forge_landing_frame(FRAME_UC);
    launch(runner_syscall(), JMP, AFTER_FAULT);
  }
  if (use_phase == 2) {
    craft(0, 0, 0, 0, 0, 0, 0, use_secret);
    set_entry(forged_batch, SYS_mmap, SCAN_BASE, SCAN_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 3, 0);
    set_entry(forged_batch + 7, 0, 0, 0, 0, 0, 0, 0);
    hg_regs.r12 = (unsigned long)forged_batch;
    forge_landing_frame(FRAME_UC);
    launch(sym("stub_run_batch") ? sym("stub_run_batch") : STUB_CODE, JMP, AFTER_FAULT);
  }
  /* phase 3: back from the mapping: hg_landing scans it for the canary */
  note("the leaked secret %#lx opened the marker and mapped physmem on the host", use_secret);
}
static void harvest(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  unsigned long a = (unsigned long)si->si_addr;
  static const int regs[] = { REG_R8, REG_R15, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_RAX };
  for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++) {
    unsigned long hi = (unsigned long)uc->uc_mcontext.gregs[regs[i]] >> 32;
    if (hi == 0 || (hi >= 0x7000 && hi <= 0x8000)) continue; /* zero, or a pointer's upper half */
    int seen = 0;
    for (int j = 0; j < sh->nleaked; j++) seen |= sh->leaked[j] == hi;
    if (!seen && sh->nleaked < 16) sh->leaked[sh->nleaked++] = hi;
  }
  if (a >= TASK_SIZE && a < 0x800000000000UL) {
    /* our own store into the stub range faulted: as it should; die of it */
    signal(sig, SIG_DFL);
    return;
  }
  note("a SIGSEGV not of our making reached the guest (r8 %#llx, r15 %#llx, rip %#llx)",
       (unsigned long long)uc->uc_mcontext.gregs[REG_R8], (unsigned long long)uc->uc_mcontext.gregs[REG_R15],
       (unsigned long long)uc->uc_mcontext.gregs[REG_RIP]);
  unsigned long r8hi = (unsigned long)uc->uc_mcontext.gregs[REG_R8] >> 32;
  if (r8hi != 0 && !(r8hi >= 0x7000 && r8hi <= 0x8000)) {
    /* what looks like the secret: stop forging, and use it at once */
    scribble_stop = 1;
    sleep_ms(20);
    use_secret = r8hi;
    landing_hook = use_next;
    prefault();
    use_next();
  }
  _exit(0);
}
static void *scribbler(void *arg) {
  (void)arg;
  while (!scribble_stop) {
    for (unsigned long s = 0; s < OLD_SLOTS; s++) {
      volatile unsigned long *rec = (volatile unsigned long *)(OLD_DATA + s * OLD_SLOT);
      if (forge_field < 0) {
        /* a fresh page-fault record: make the stub's sigreturn fail before
         * it restores anything (an unreadable frame), once */
        if (rec[2] == 14 && rec[5] != 0) rec[5] = 0;
      } else {
        rec[forge_field / 8] = forge_value;
      }
    }
  }
  return 0;
}
static void forge_attack(long arg) {
  (void)arg;
  /* the handler runs on a stack of its own: a frame delivered with the
   * stub's registers has the stub's rsp */
  static unsigned char altstack[1 << 16];
  stack_t ss = { altstack, 0, sizeof altstack };
  sigaltstack(&ss, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = harvest;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGBUS, &sa, 0);
  pthread_t t;
  if (pthread_create(&t, 0, scribbler, 0) != 0) { note("pthread_create failed"); _exit(97); }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    char *m = mmap(0, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED) {
      for (int i = 0; i < 64; i++) m[i * PG] = (char)i;
      munmap(m, 64 * PG);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 1000) break;
  }
  note("1 s of faults: the forged record had no visible effect");
  _exit(0);
}

static unsigned long cur_cand;
static int cur_use;
static void use_candidate(long arg) {
  (void)arg;
  prefault();
  unsigned long g = cur_cand;
  if (cur_use == 0) {
    /* openat(marker) at the runner's syscall; on success the old runner
     * goes on to the (empty) batch at r12 and, r14 = 1, sigreturns to us */
    craft(SYS_openat, AT_FDCWD, (long)markers[0], O_CREAT | O_WRONLY | O_TRUNC, 0644, 0, 0, g);
    hg_regs.r12 = (unsigned long)batch_end;
    forge_landing_frame(FRAME_UC);
    launch(runner_syscall(), JMP, AFTER_FAULT);
  }
  /* physmem mapped at SCAN_BASE by a forged batch; back to us to scan it */
  craft(0, 0, 0, 0, 0, 0, 0, g);
  set_entry(forged_batch, SYS_mmap, SCAN_BASE, SCAN_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 3, 0);
  set_entry(forged_batch + 7, 0, 0, 0, 0, 0, 0, 0);
  hg_regs.r12 = (unsigned long)forged_batch;
  forge_landing_frame(FRAME_UC);
  launch(sym("stub_run_batch") ? sym("stub_run_batch") : STUB_CODE, JMP, AFTER_FAULT);
}

int main(int argc, char **argv) {
  hostile_start(argc, argv);

  /* 1 */
  static const struct wtarget targets[] = {
    { "store to the code page", STUB_CODE, PG, 64, 8 },
    { "store to the batch page", STUB_BATCH, PG, 56, 8 },
    { "store to the old data slots' fault records", OLD_DATA, OLD_DATA_END - OLD_DATA, OLD_SLOT, 48 },
    { "store to every page of the old data slots", OLD_DATA, OLD_DATA_END - OLD_DATA, PG, 8 },
    { "store between the batch page and the old data slots", STUB_BATCH + PG, OLD_DATA - STUB_BATCH - PG, PG, 8 },
    { "store in the gap above TASK_SIZE", TASK_SIZE, STUB_CODE - TASK_SIZE, 0x100000000UL, 8 },
    { "store above the stub", OLD_DATA_END, 0x7ffffffff000UL - OLD_DATA_END, 0x10000000UL, 8 },
  };
  for (unsigned i = 0; i < sizeof targets / sizeof targets[0]; i++)
    for (int round = 0; round < 2; round++) {
      char name[160];
      wt = targets[i];
      snprintf(name, sizeof name, "%s, while another thread faults (round %d)", wt.name, round);
      run_attack(name, store_attack, 0);
    }

  /* 2 */
  call(0, "read() from a pipe into the batch page");
  call(1, "read() from a pipe into the code page");
  call(2, "read() from a pipe into the old fault record");
  call(3, "clock_gettime into the batch page");
  call(4, "uname into the code page");
  call(5, "sigaltstack old stack into the batch page");
  call(6, "pipe2 fds into the batch page");
  call(7, "getrandom into the code page");
  call(8, "rt_sigaction old action into the old data slot");
  call(9, "pwrite /proc/self/mem at the batch and code pages");
  call(10, "process_vm_writev into the batch page");
  call(11, "fstat into the old data slot");
  /* 3 */
  call(20, "mprotect the code page rwx");
  call(21, "mprotect the batch page rw");
  call(22, "mprotect an old data slot rwx");
  call(23, "mprotect across TASK_SIZE");
  call(24, "mprotect from below TASK_SIZE over the stub");
  call(25, "munmap the code page");
  call(26, "munmap the batch page");
  call(27, "munmap the whole stub");
  call(28, "munmap across TASK_SIZE");
  call(29, "munmap from TASK_SIZE to the top");
  call(30, "mmap MAP_FIXED over the code page");
  call(31, "mmap MAP_FIXED over the batch page");
  call(32, "mmap MAP_FIXED over an old data slot");
  call(33, "mmap MAP_FIXED across TASK_SIZE");
  call(34, "mmap MAP_FIXED at TASK_SIZE");
  call(35, "mmap MAP_FIXED from below TASK_SIZE over the stub");
  call(36, "mmap MAP_FIXED_NOREPLACE at the batch page");
  call(37, "mmap MAP_FIXED of our own binary over the code page");
  call(38, "mremap a mapping below TASK_SIZE to grow across it");
  call(39, "mremap MAP_FIXED onto the batch page");
  call(40, "mremap MAP_FIXED across TASK_SIZE");
  call(41, "mremap the code page elsewhere");
  call(42, "mremap DONTUNMAP the batch page");
  call(43, "mremap the code page bigger");
  call(44, "madvise DONTNEED the batch page");
  call(45, "madvise REMOVE the code page");
  call(46, "madvise DONTNEED an old data slot");
  call(47, "madvise DONTFORK the stub");
  call(48, "madvise WIPEONFORK from below TASK_SIZE over the stub");
  call(49, "mlock the batch page");
  call(50, "msync the batch page");
  call(51, "mincore of the code page");
  call(52, "pkey_mprotect the batch page rw");
  call(53, "brk up to the code page");
  call(54, "brk beyond TASK_SIZE");
  call(55, "shmat SHM_REMAP at the batch page");
  call(56, "remap_file_pages of the code page");
  call(57, "mremap a MAP_GROWSDOWN mapping below TASK_SIZE bigger");
  call(58, "set_mempolicy_home_node of the code page");
  run_attack("mmap hint at the batch page", hint_attack, 0);
  run_attack("mmap hint at the code page", hint_attack, 1);
  int same = code_readable && memcmp((const void *)STUB_CODE, code_copy, PG) == 0;
  say("# code page unchanged: %s\n", same ? "true" : code_readable ? "false" : "unreadable");

  /* 4 */
  static const struct { int field; unsigned long value; const char *what; } forge[] = {
    { -1, 0, "sp of a fresh page-fault record := 0 (the secret-leak recipe)" },
    { 40, 0, "sp := 0" },
    { 40, OLD_DATA + 0x100, "sp := into another slot" },
    { 40, 0xdead000000000000UL, "sp := non-canonical" },
    { 0, STUB_BATCH, "addr := the batch page" },
    { 0, 0, "addr := 0" },
    { 8, 7, "err := user write present" },
    { 16, 13, "trapno := #GP" },
    { 16, 3, "trapno := #BP" },
    { 24, 9, "signo := SIGKILL" },
    { 32, -1UL, "code := -1" },
  };
  for (unsigned i = 0; i < sizeof forge / sizeof forge[0]; i++) {
    int rounds = forge[i].field < 0 ? 3 : 1;
    for (int round = 0; round < rounds; round++) {
      char name[200];
      forge_field = forge[i].field, forge_value = forge[i].value;
      snprintf(name, sizeof name, "forge the fault record from a racing thread, %s (round %d)", forge[i].what, round);
      run_attack_t(name, forge_attack, 0, 5000);
    }
  }
  int n = sh->nleaked;
  say("# secret candidates seen in signal frames: %d\n", n);
  for (int i = 0; i < n && i < 8; i++) {
    char name[200];
    cur_cand = sh->leaked[i];
    cur_use = 0;
    snprintf(name, sizeof name, "openat marker at the runner's syscall with candidate secret %#lx", cur_cand);
    run_attack(name, use_candidate, 0);
    cur_use = 1;
    snprintf(name, sizeof name, "mmap physmem through a forged batch with candidate secret %#lx", cur_cand);
    run_attack_t(name, use_candidate, 0, 10000);
  }
  /* 5 */
  churn_pages = 4096; /* 16 MiB at a time */
  pthread_t ta, tb;
  if (pthread_create(&ta, 0, churn, 0) != 0 || pthread_create(&tb, 0, thread_b, 0) != 0) {
    say("pthread_create: %s\n", errname(errno));
    return 1;
  }
  pthread_join(tb, 0);
  long a_iters = churn_iters;
  churn_stop = 1;
  pthread_join(ta, 0);
  say("# flush race: thread A's iterations %ld\n", a_iters);
  say("attack flush race: batch page stores from B while A churns: %s (%ld of %ld faulted)\n",
      b_segv == b_writes ? "SIGSEGV" : "STORES WENT THROUGH", b_segv, b_writes);

  hostile_end();
  return 0;
}
