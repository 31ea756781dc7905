/* Hostile guest: the stub's own `syscall` instructions (the batch runner's
 * and the clone's) executed by guest code, with every system call number
 * the old stub's filter allowed and more, each with hostile arguments:
 * openat/open of a host marker O_CREAT; mmap of fd 3 (physmem, in the
 * stub's host process) at several offsets, whose contents the child scans
 * for the canary sibling's page should control ever come back; clone with
 * thread-, fork- and vfork-like flags; close of physmem; rt_sigreturn with a
 * forged frame; sigaltstack at the stub; execve of a host shell; ptrace,
 * prctl, seccomp. Should a call ever succeed on the host, the old runner
 * would sigreturn (r14 = 1) to our landing, which looks for the canary in
 * whatever was mapped at SCAN_BASE. Each once after a page fault (the old design then ran the
 * guest under PTRACE_CONT), once after a syscall (PTRACE_SYSEMU), once at
 * the clone's syscall, once as the first request of a forged batch handed
 * to stub_run_batch. (See hostile.h for the output.) */
#include "hostile.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

struct call { char name[96]; long nr, a[6]; };
static struct call calls[96];
static int ncalls;
static void add(const char *name, long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  struct call *c = &calls[ncalls++];
  snprintf(c->name, sizeof c->name, "%s", name);
  c->nr = nr, c->a[0] = a0, c->a[1] = a1, c->a[2] = a2, c->a[3] = a3, c->a[4] = a4, c->a[5] = a5;
}

static struct sock_filter allow_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
static struct sock_fprog allow_prog = { 1, allow_all };
static unsigned long stk_batch[3], stk_data[3];

static void build_calls(void) {
  char n[96];
  const long RW = PROT_READ | PROT_WRITE, SF = MAP_SHARED | MAP_FIXED;
  static const long offs[] = { 0, 4096, 1L << 20, 64L << 20, 256L << 20, 1L << 30 };
  for (unsigned i = 0; i < sizeof offs / sizeof offs[0]; i++) {
    snprintf(n, sizeof n, "mmap fd 3 at offset %#lx", offs[i]);
    add(n, SYS_mmap, SCAN_BASE, SCAN_LEN, RW, SF, 3, offs[i]);
  }
  for (int fd = 4; fd <= 6; fd++) {
    snprintf(n, sizeof n, "mmap fd %d at offset 0", fd);
    add(n, SYS_mmap, SCAN_BASE, SCAN_LEN, RW, SF, fd, 0);
  }
  add("mmap fd 3 private at 0", SYS_mmap, SCAN_BASE, SCAN_LEN, RW, MAP_PRIVATE | MAP_FIXED, 3, 0);
  add("mmap anonymous rwx over the code page", SYS_mmap, STUB_CODE, PG, RW | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  add("mmap fd 3 over the batch page", SYS_mmap, STUB_BATCH, PG, RW, SF, 3, 0);
  add("munmap the code page", SYS_munmap, STUB_CODE, PG, 0, 0, 0, 0);
  add("munmap across TASK_SIZE", SYS_munmap, TASK_SIZE - PG, 2 * PG, 0, 0, 0, 0);
  add("munmap guest memory", SYS_munmap, 0x10000, 1L << 30, 0, 0, 0, 0);
  add("mprotect the batch page rw", SYS_mprotect, STUB_BATCH, PG, RW, 0, 0, 0);
  add("mprotect the code page rwx", SYS_mprotect, STUB_CODE, PG, RW | PROT_EXEC, 0, 0, 0);
  add("mprotect the old data slots rwx", SYS_mprotect, OLD_DATA, OLD_DATA_END - OLD_DATA, RW | PROT_EXEC, 0, 0, 0);
  for (int i = 0; i < nmarkers; i++) {
    snprintf(n, sizeof n, "openat marker %d O_CREAT|O_WRONLY", i);
    add(n, SYS_openat, AT_FDCWD, (long)markers[i], O_CREAT | O_WRONLY | O_TRUNC, 0644, 0, 0);
    snprintf(n, sizeof n, "open marker %d O_CREAT|O_WRONLY", i);
    add(n, SYS_open, (long)markers[i], O_CREAT | O_WRONLY | O_TRUNC, 0644, 0, 0, 0);
  }
  add("openat /etc/passwd", SYS_openat, AT_FDCWD, (long)"/etc/passwd", O_RDONLY, 0, 0, 0);
  add("close 3 (physmem)", SYS_close, 3, 0, 0, 0, 0, 0);
  add("close 0", SYS_close, 0, 0, 0, 0, 0, 0);
  add("clone a thread (the old stub's flags)", SYS_clone, OLD_CLONE_FLAGS, (long)&hstack[(1 << 13) - 512], 0, 0, 0, 0);
  add("clone fork-like", SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
  add("clone CLONE_VM without CLONE_THREAD", SYS_clone, CLONE_VM | SIGCHLD, (long)&hstack[(1 << 13) - 512], 0, 0, 0, 0);
  add("clone CLONE_VM|CLONE_FILES|CLONE_FS", SYS_clone, CLONE_VM | CLONE_FILES | CLONE_FS | SIGCHLD, (long)&hstack[(1 << 13) - 512], 0, 0, 0, 0);
  add("clone vfork-like", SYS_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, (long)&hstack[(1 << 13) - 512], 0, 0, 0, 0);
  add("clone CLONE_PARENT", SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0, 0);
  add("clone CLONE_PTRACE", SYS_clone, CLONE_PTRACE | SIGCHLD, 0, 0, 0, 0, 0);
  add("clone CLONE_NEWUSER", SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0, 0);
  add("clone CLONE_SETTLS at the stub", SYS_clone, CLONE_SETTLS | SIGCHLD, 0, 0, 0, STUB_BATCH, 0);
  add("rt_sigreturn with a forged frame", SYS_rt_sigreturn, 0, 0, 0, 0, 0, 0);
  stk_batch[0] = STUB_BATCH, stk_batch[1] = 0, stk_batch[2] = PG;
  stk_data[0] = OLD_DATA, stk_data[1] = 0, stk_data[2] = OLD_SLOT;
  add("sigaltstack on the batch page", SYS_sigaltstack, (long)stk_batch, 0, 0, 0, 0, 0);
  add("sigaltstack on the old data slot", SYS_sigaltstack, (long)stk_data, 0, 0, 0, 0, 0);
  add("execve a host shell", SYS_execve, (long)sh_path, (long)sh_argv, (long)empty_env, 0, 0, 0);
  add("ptrace TRACEME", SYS_ptrace, PTRACE_TRACEME, 0, 0, 0, 0, 0);
  /* SEIZE, not ATTACH: a SIGSTOP left behind by a dead tracer would hang the sibling */
  add("ptrace SEIZE the canary sibling", SYS_ptrace, PTRACE_SEIZE, canary_pid, 0, 0, 0, 0);
  add("prctl SET_DUMPABLE", SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0, 0);
  add("prctl SET_SECCOMP strict", SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0, 0);
  add("prctl SET_PTRACER any", SYS_prctl, PR_SET_PTRACER, -1, 0, 0, 0, 0);
  add("prctl SET_MM start_code", SYS_prctl, PR_SET_MM, PR_SET_MM_START_CODE, STUB_CODE, 0, 0, 0);
  add("seccomp SET_MODE_FILTER allow-all TSYNC", SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
      (long)&allow_prog, 0, 0, 0);
  add("seccomp SET_MODE_STRICT", SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, 0, 0, 0, 0);
}

static struct call *cur;
static unsigned long cur_site;
static enum mode cur_mode;
static int cur_batch;

static void sys_attack(long arg) {
  (void)arg;
  prefault();
  /* a guessed secret: a different random one each time */
  unsigned long g = canary_word(5000 + attacks_run) & 0xffffffffUL;
  craft(cur->nr, cur->a[0], cur->a[1], cur->a[2], cur->a[3], cur->a[4], cur->a[5], g);
  /* Should the call succeed on the host, the old runner goes on with the
   * request after r12 (none: zeros) and, r14 = 1, sigreturns through the
   * frame at rsp: to hg_sigreturned, which scans SCAN_BASE for the canary. */
  hg_regs.r12 = (unsigned long)zeros;
  if (cur_batch) {
    /* the call as the only request of a forged batch */
    set_entry(forged_batch, cur->nr, cur->a[0], cur->a[1], cur->a[2], cur->a[3], cur->a[4], cur->a[5]);
    set_entry(forged_batch + 7, 0, 0, 0, 0, 0, 0, 0);
    hg_regs.r12 = (unsigned long)forged_batch;
  }
  if (cur->nr != SYS_rt_sigreturn) {
    forge_landing_frame(FRAME_UC);
  } /* (rt_sigreturn itself: the chain frame craft() made, into the runner again) */
  launch(cur_site, JMP, cur_mode);
}

int main(int argc, char **argv) {
  hostile_start(argc, argv);
  unsigned long rs = runner_syscall(), cs = clone_syscall(), rb = sym("stub_run_batch");
  say("# runner syscall at code+%#lx, clone syscall at code+%#lx\n", rs - STUB_CODE, cs - STUB_CODE);
  build_calls();
  char name[256];
  for (int i = 0; i < ncalls; i++) {
    cur = &calls[i];
    cur_batch = 0;
    cur_site = rs, cur_mode = AFTER_FAULT;
    snprintf(name, sizeof name, "runner syscall, %.96s", cur->name);
    run_attack(name, sys_attack, 0);
    cur_mode = AFTER_SYSCALL;
    snprintf(name, sizeof name, "runner syscall after a syscall, %.96s", cur->name);
    run_attack(name, sys_attack, 0);
    cur_site = cs, cur_mode = AFTER_FAULT;
    snprintf(name, sizeof name, "clone syscall, %.96s", cur->name);
    run_attack(name, sys_attack, 0);
    if (rb) {
      cur_site = rb, cur_batch = 1;
      snprintf(name, sizeof name, "stub_run_batch, forged batch, %.96s", cur->name);
      run_attack(name, sys_attack, 0);
    }
  }
  hostile_end();
  return 0;
}
