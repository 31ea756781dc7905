/* A battery of attempts at the stub and the trap path, each in its own
 * child process; prints how each child ended. Expected: every case ends in
 * a guest-level outcome (a signal or an exit), no file appears at
 * /tmp/umlts-redteam-marker on the host, and the kernel goes on (the last
 * line "all cases done" is printed). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STUB 0x7ff000000000UL
#define RUN_BATCH (STUB + 0x0)
#define BATCH_SYSCALL (STUB + 0x38)
#define BATCH_TRAP (STUB + 0x4d)
#define CLONE_THREAD_E (STUB + 0x50)
#define CLONE_SYSCALL (STUB + 0x64)
#define CLONE_TRAP (STUB + 0x6b)
#define THREAD_TRAP (STUB + 0x6e)
#define WAKER_LOOP (STUB + 0x80)
#define SEAL (STUB + 0xa0)
#define BATCH_PAGE (STUB + 0x1000)

static const char marker[] = "/tmp/umlts-redteam-marker";
static const char *shargv[] = {"/bin/sh", "-c", "echo pwned > /tmp/umlts-redteam-marker", NULL};

static void jump_with(unsigned long target, long rax, long rdi, long rsi, long rdx, long r10, long r8, long r9) {
  register long a __asm__("rax") = rax;
  register long d __asm__("rdi") = rdi;
  register long s __asm__("rsi") = rsi;
  register long dx __asm__("rdx") = rdx;
  register long x10 __asm__("r10") = r10;
  register long x8 __asm__("r8") = r8;
  register long x9 __asm__("r9") = r9;
  register long t __asm__("r11") = target;
  __asm__ volatile("mov $0x7ff000001000, %%r12\n jmp *%%r11" :: "r"(a), "r"(d), "r"(s), "r"(dx), "r"(x10), "r"(x8), "r"(x9), "r"(t) : "memory");
}

static void c_jump_run_batch(void) { jump_with(RUN_BATCH, 0, 0, 0, 0, 0, 0, 0); }
static void c_jump_batch_syscall_execve(void) { jump_with(BATCH_SYSCALL, 59, (long)shargv[0], (long)shargv, 0, 0, 0, 0); }
static void c_jump_batch_syscall_openat(void) { jump_with(BATCH_SYSCALL, 257, 0, BATCH_PAGE + 4096 - 128, O_RDWR | O_CREAT, 0644, 0, 0); }
static void c_jump_batch_syscall_mmap(void) { jump_with(BATCH_SYSCALL, 9, 0x100000000, 4096, 7, 0x11, 3, 0); }
static void c_jump_batch_trap(void) { jump_with(BATCH_TRAP, 0, 0, 0, 0, 0, 0, 0); }
static void c_jump_clone(void) { jump_with(CLONE_THREAD_E, 0, 0, 0, 0, 0, 0, 0); }
static void c_jump_clone_syscall(void) { jump_with(CLONE_SYSCALL, 56, 0x50f00, 0, 0, 0, 0, 0); }
static void c_jump_clone_trap(void) { jump_with(CLONE_TRAP, 1234, 0, 0, 0, 0, 0, 0); }
static void c_jump_thread_trap(void) { jump_with(THREAD_TRAP, 0, 0, 0, 0, 0, 0, 0); }
static void c_jump_waker(void) { jump_with(WAKER_LOOP, 0, 0, 0, 0, 0, 0, 0); }
static void c_jump_seal(void) { jump_with(SEAL, 0, 0, 0, 0, 0, 0, 0); }
static void c_exec_batch_page(void) { jump_with(BATCH_PAGE, 0, 0, 0, 0, 0, 0, 0); }
static void c_write_batch_page(void) { *(volatile long *)BATCH_PAGE = 59; }
static void c_write_code_page(void) { *(volatile char *)RUN_BATCH = 0xcc; }
static void c_read_pages(void) {
  volatile long x = *(volatile long *)RUN_BATCH + *(volatile long *)BATCH_PAGE;
  (void)x;
  _exit(7);
}
static void c_mprotect_stub(void) {
  long r1 = syscall(SYS_mprotect, BATCH_PAGE, 4096, PROT_READ | PROT_WRITE);
  long r2 = syscall(SYS_munmap, STUB, 8192);
  long r3 = (long)mmap((void *)BATCH_PAGE, 4096, 3, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  long r4 = (long)mremap((void *)0x10000, 0, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)BATCH_PAGE);
  printf("  mprotect %ld munmap %ld mmap %lx mremap %lx\n", r1, r2, r3, r4);
  fflush(stdout);
  _exit(7);
}
static void c_mmap_near_top(void) {
  void *p = mmap((void *)(0x7fe000000000UL - 4096), 8192, 3, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void *q = mmap((void *)(0x7fe000000000UL - 4096), 4096, 3, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (q != MAP_FAILED) { *(volatile char *)q = 1; }
  void *r = mremap(q, 4096, 1UL << 40, 0);
  printf("  mmap top+: %p, top-1p: %p, grow: %p\n", p, q, r);
  fflush(stdout);
  _exit(7);
}
/* wrpkru: deny key 0 data access, then make the kernel flush on this thread (a fault) */
static void c_pkru_deny(void) {
  char *p = mmap(NULL, 4096, 3, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  __asm__ volatile(
      "xor %%ecx, %%ecx\n xor %%edx, %%edx\n mov $0xfffffffc, %%eax\n .byte 0x0f,0x01,0xef\n" /* wrpkru: AD|WD for keys 1.. */
      "mov $1, %%eax\n xor %%ecx, %%ecx\n xor %%edx, %%edx\n .byte 0x0f,0x01,0xef\n"          /* AD for key 0 */
      "movb $1, (%0)\n"                                                                         /* a fault: not mapped yet */
      :: "r"(p) : "rax", "rcx", "rdx", "memory");
}
/* TF set, then a syscall that needs a flush (mmap+touch) */
static void c_tf_flush(void) {
  signal(SIGTRAP, SIG_IGN);
  __asm__ volatile("pushf\n orq $0x40100, (%%rsp)\n popf\n" ::: "memory"); /* TF|AC */
  char *p = mmap(NULL, 1 << 20, 3, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  p[0] = 1;
  _exit(7);
}
/* vsyscall: gettimeofday through the host's emulation (seccomp TRACE path) */
static void c_vsyscall(void) {
  long (*gtod)(void *, void *) = (void *)0xffffffffff600000UL;
  long (*vtime)(long *) = (void *)0xffffffffff600400UL;
  long (*vgetcpu)(unsigned *, unsigned *, void *) = (void *)0xffffffffff600800UL;
  char tv[16];
  long a = gtod(tv, NULL);
  long b = vtime(NULL);
  unsigned cpu = 99;
  long c = vgetcpu(&cpu, NULL, NULL);
  printf("  vsyscall: gtod %ld time %ld getcpu %ld cpu %u\n", a, b, c, cpu);
  fflush(stdout);
  /* the result pointer into the stub: the host writes it? */
  long d = gtod((void *)BATCH_PAGE, NULL);
  printf("  vsyscall gtod(batch page) %ld\n", d);
  fflush(stdout);
  _exit(7);
}
/* 32-bit code segment: far-return to 0x23, then int 0x80 getpid and a fault */
static void c_compat(void) {
  /* code at a 32-bit address */
  unsigned char *code = mmap((void *)0x10000000, 4096, 7, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unsigned char *data = mmap((void *)0x20000000, 4096 * 4, 3, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  (void)data;
  int i = 0;
  /* mov eax,20 (getpid); int 0x80 */
  code[i++] = 0xb8; *(unsigned *)(code + i) = 20; i += 4;
  code[i++] = 0xcd; code[i++] = 0x80;
  /* mov [0x20002000], eax : faults (not yet mapped in the host) -> flush on a compat thread */
  code[i++] = 0xa3; *(unsigned *)(code + i) = 0x20002000; i += 4;
  /* mov eax, 1 (exit); mov ebx, 9; int 0x80 */
  code[i++] = 0xb8; *(unsigned *)(code + i) = 60; i += 4;   /* 64-bit table: exit=60 (the kernel's view) */
  code[i++] = 0xbf; *(unsigned *)(code + i) = 9; i += 4;    /* edi = 9 */
  code[i++] = 0xcd; code[i++] = 0x80;
  code[i++] = 0xb8; *(unsigned *)(code + i) = 1; i += 4;    /* 32-bit exit */
  code[i++] = 0xbb; *(unsigned *)(code + i) = 9; i += 4;
  code[i++] = 0xcd; code[i++] = 0x80;
  code[i++] = 0xf4; /* hlt */
  __asm__ volatile("mov %0, %%rsp\n pushq $0x23\n pushq $0x10000000\n lretq" :: "r"(0x20000000UL + 4096 * 4 - 64) : "memory");
}
/* sysenter / syscall from 64-bit with odd numbers */
static void c_odd_syscalls(void) {
  long r1, r2, r3;
  __asm__ volatile("syscall" : "=a"(r1) : "a"(0x40000000L | 39) : "rcx", "r11", "memory");   /* x32 getpid */
  __asm__ volatile("syscall" : "=a"(r2) : "a"(0xffffffffL) : "rcx", "r11", "memory");
  __asm__ volatile("syscall" : "=a"(r3) : "a"(0x100000027L) : "rcx", "r11", "memory");      /* 39 + 2^32 */
  long r4;
  __asm__ volatile("int $0x80" : "=a"(r4) : "a"(20L) : "memory");
  printf("  x32 getpid %ld, nr -1 %ld, 2^32+39 %ld, int80 getpid %ld\n", r1, r2, r3, r4);
  fflush(stdout);
  _exit(7);
}
static void c_sysenter(void) {
  __asm__ volatile("mov $20, %%eax\n sysenter" ::: "rax", "memory");
  _exit(7);
}
static void c_ptrace_seccomp(void) {
  long a = syscall(SYS_ptrace, 0 /* TRACEME */, 0, 0, 0);
  long b = syscall(SYS_seccomp, 1, 0, NULL);
  long c = syscall(SYS_prctl, 22 /* PR_SET_SECCOMP */, 1, 0, 0, 0);
  long d = syscall(SYS_process_vm_writev, 1, 0, 0, 0, 0, 0);
  int fd = open("/proc/self/mem", O_RDWR);
  long e = -1;
  if (fd >= 0) e = pwrite(fd, "x", 1, BATCH_PAGE);
  int fd2 = open("/proc/1/mem", O_RDWR);
  printf("  ptrace %ld seccomp %ld prctl %ld pvw %ld /proc/self/mem fd %d write %ld /proc/1/mem %d\n", a, b, c, d, fd, e, fd2);
  fflush(stdout);
  _exit(7);
}
static void c_huge_file_map(void) {
  int fd = open("/stub_attacks", O_RDONLY);
  void *p = mmap(NULL, 1UL << 37, PROT_READ, MAP_PRIVATE, fd, 0);   /* 128 GiB of a small file */
  printf("  128 GiB file mapping: %p\n", p);
  fflush(stdout);
  if (p != MAP_FAILED) printf("  first byte %d\n", *(volatile char *)p);
  fflush(stdout);
  _exit(7);
}
static void c_many_mappings(void) {
  /* many small mappings so a flush fills the batch page */
  char *base = mmap(NULL, 4096 * 4096, 3, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 4096; i += 2) mprotect(base + i * 4096, 4096, i % 4 ? PROT_READ : PROT_READ | PROT_WRITE);
  for (int i = 0; i < 4096; i += 2) base[i * 4096] = base[i * 4096];
  /* one munmap over all of them: many requests in one flush */
  munmap(base, 4096 * 4096);
  pid_t c = fork();
  if (c == 0) _exit(0);
  waitpid(c, NULL, 0);
  _exit(7);
}

struct tc { const char *name; void (*fn)(void); };
static struct tc cases[] = {
  {"jump stub_run_batch", c_jump_run_batch},
  {"jump batch syscall execve", c_jump_batch_syscall_execve},
  {"jump batch syscall openat", c_jump_batch_syscall_openat},
  {"jump batch syscall mmap physmem", c_jump_batch_syscall_mmap},
  {"jump batch trap", c_jump_batch_trap},
  {"jump clone entry", c_jump_clone},
  {"jump clone syscall", c_jump_clone_syscall},
  {"jump clone trap", c_jump_clone_trap},
  {"jump thread trap", c_jump_thread_trap},
  {"jump waker loop", c_jump_waker},
  {"jump seal", c_jump_seal},
  {"exec batch page", c_exec_batch_page},
  {"write batch page", c_write_batch_page},
  {"write code page", c_write_code_page},
  {"read stub pages", c_read_pages},
  {"mprotect/munmap/mmap/mremap at stub", c_mprotect_stub},
  {"mmap near TASK_SIZE", c_mmap_near_top},
  {"PKRU deny + fault", c_pkru_deny},
  {"TF|AC + flush", c_tf_flush},
  {"vsyscall page", c_vsyscall},
  {"compat mode int80 + fault", c_compat},
  {"odd syscall numbers", c_odd_syscalls},
  {"sysenter", c_sysenter},
  {"ptrace/seccomp/proc mem", c_ptrace_seccomp},
  {"128 GiB file mapping", c_huge_file_map},
  {"many mappings, big flush", c_many_mappings},
};

int main(int argc, char **argv) {
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (argc > 1 && !strstr(cases[i].name, argv[1])) continue;
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
      cases[i].fn();
      _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    if (WIFSIGNALED(st)) printf("%-40s killed by signal %d\n", cases[i].name, WTERMSIG(st));
    else printf("%-40s exit %d\n", cases[i].name, WEXITSTATUS(st));
    fflush(stdout);
  }
  printf("marker on host: %s\n", access(marker, F_OK) == 0 ? "PRESENT (escape!)" : "absent");
  printf("all cases done\n");
  return 0;
}
