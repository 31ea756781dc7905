/* Attacks on the stub pages from a multi-threaded guest (DESIGN.md section 2,
 * points 1 and 2). Not differential: it only means something under umlts,
 * where the guest's host process carries the stub at
 *   0x7ff000000000  code page (r-x): the stub's text, with `syscall` in it
 *   0x7ff000001000  batch page (r--): mapping requests the stub executes
 *   0x7ff000004000  data slot(s) (rw-): the stub's SIGSEGV stack
 * Natively nothing is there: the program prints "no stub here" and exits 0.
 *
 * Thread A loops mmap/mprotect/munmap (each a batch of host mapping requests,
 * flushed by the stub) while thread B, concurrently,
 *  (a) writes to the batch and code pages: each must be a SIGSEGV;
 *  (b) mprotects, munmaps, mmaps MAP_FIXED, mremaps, madvises over the stub
 *      pages and has the kernel write into them (read() from a pipe): all
 *      must fail, and the code page must not change.
 * Then (c) forked children jump to `syscall` instructions inside the code page
 * with execve("/bin/sh", {"/bin/sh", "-c", "touch MARKER"}) (and other
 * system calls with a guessed secret) in the registers: each must die by a
 * signal (SIGSYS from the stub's seccomp filter), and MARKER (argv[1]) must
 * never exist. A last child scribbles over the data slot while another of its
 * threads takes page faults: whatever happens to that child, nothing runs on
 * the host and the parent carries on.
 *
 * One line per check; the test (test/threads.test.mjs) matches them. */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define PG 4096UL
#define STUB_CODE 0x7ff000000000UL
#define STUB_BATCH 0x7ff000001000UL
#define STUB_DATA 0x7ff000004000UL
#define STUB_DATA_SIZE 0x4000UL /* one slot; there may be more after it */
#define ATTEMPTS 200

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static const char *marker = "/tmp/umlts-escape-marker";

static void die(const char *what, int e) {
  say("%s: %s\n", what, errname(e));
  exit(1);
}
static void pause_ms(int ms) {
  struct timespec ts = { 0, ms * 1000000L };
  nanosleep(&ts, 0);
}
static const char *signame(int s) {
  switch (s) {
  case SIGSYS: return "SIGSYS";
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGILL: return "SIGILL";
  case SIGKILL: return "SIGKILL";
  case SIGTRAP: return "SIGTRAP";
  case SIGABRT: return "SIGABRT";
  case SIGFPE: return "SIGFPE";
  }
  static char buf[16];
  snprintf(buf, sizeof buf, "signal %d", s);
  return buf;
}

/* ---- guarded memory access: a per-thread jump buffer ---- */
static __thread sigjmp_buf jb;
static __thread volatile int jb_armed;
static __thread void *volatile seg_addr;
static __thread volatile int seg_sig;
static void on_fault(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  if (!jb_armed) { signal(sig, SIG_DFL); return; } /* an unexpected fault: die of it */
  seg_addr = si->si_addr;
  seg_sig = sig;
  siglongjmp(jb, 1);
}
/* 0 if the access went through, else the signal it raised */
static int try_write(volatile unsigned char *p, unsigned char v) {
  seg_sig = 0;
  seg_addr = 0;
  if (sigsetjmp(jb, 1) == 0) {
    jb_armed = 1;
    *p = v;
    jb_armed = 0;
    return 0;
  }
  jb_armed = 0;
  return seg_sig;
}
static int try_read(volatile const unsigned char *p, unsigned char *out) {
  seg_sig = 0;
  if (sigsetjmp(jb, 1) == 0) {
    jb_armed = 1;
    *out = *p;
    jb_armed = 0;
    return 0;
  }
  jb_armed = 0;
  return seg_sig;
}

/* Whether /proc/self/maps lists a mapping that covers addr: natively the stub
 * address could, by chance, be inside an ordinary mapping; the stub itself is
 * no guest mapping, so umlts does not list it. */
static int maps_cover(unsigned long addr) {
  int fd = open("/proc/self/maps", O_RDONLY);
  if (fd < 0) return 0;
  static char buf[1 << 16];
  long n = 0, r;
  while (n < (long)sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
  close(fd);
  buf[n] = 0;
  for (char *l = buf; l && *l; ) {
    unsigned long lo, hi;
    if (sscanf(l, "%lx-%lx", &lo, &hi) == 2 && lo <= addr && addr < hi) return 1;
    l = strchr(l, '\n');
    if (l) l++;
  }
  return 0;
}

/* ---- thread A: mapping churn, one flush after another ---- */
static volatile int stop_a;
static volatile long a_iterations;
static void *churn(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&stop_a, __ATOMIC_SEQ_CST)) {
    char *m = mmap(0, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) die("churn mmap", errno);
    for (int i = 0; i < 16; i++) m[i * PG] = (char)i;
    if (mprotect(m + 4 * PG, 4 * PG, PROT_READ) < 0) die("churn mprotect", errno);
    /* replaced in place (never a hole: B's own mmap could land in one) */
    if (mmap(m + 8 * PG, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != m + 8 * PG)
      die("churn mmap fixed", errno);
    m[9 * PG] = 1;
    if (mprotect(m, 16 * PG, PROT_NONE) < 0) die("churn mprotect none", errno);
    if (munmap(m, 16 * PG) < 0) die("churn munmap all", errno);
    __atomic_fetch_add(&a_iterations, 1, __ATOMIC_SEQ_CST);
  }
  return 0;
}

/* ---- thread B: the attacks ---- */
static unsigned char code_snapshot[PG];
struct attempt { const char *what; int first_errno; int all_same; int succeeded; };
static struct attempt attempts[16];
static int nattempts;
static void record(int idx, const char *what, long r) {
  struct attempt *a = &attempts[idx];
  int e = r < 0 ? errno : 0;
  if (idx >= nattempts) { nattempts = idx + 1; a->what = what; a->first_errno = e; a->all_same = 1; }
  else if (a->first_errno != e) a->all_same = 0;
  if (r >= 0) a->succeeded++;
}
static int hint_honoured, hint_errno;
static int batch_segv, batch_addr_right, batch_other, code_segv, code_other;
static void *attacker(void *arg) {
  (void)arg;
  /* start once A is well under way */
  while (__atomic_load_n(&a_iterations, __ATOMIC_SEQ_CST) < 10) pause_ms(1);
  int p[2];
  /* non-blocking: whether a failed read() leaves the bytes in the pipe
   * (Linux does) is not what this checks, and must not hang it */
  if (pipe2(p, O_NONBLOCK) < 0) die("pipe", errno);
  char *g = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g == MAP_FAILED) die("mmap", errno);
  for (int i = 0; i < ATTEMPTS; i++) {
    /* (a) stores into the batch page and the code page */
    volatile unsigned char *b = (volatile unsigned char *)STUB_BATCH + (i * 8) % PG;
    int s = try_write(b, 0xcc);
    if (s == SIGSEGV) { batch_segv++; if (seg_addr == (void *)b) batch_addr_right++; }
    else batch_other++;
    s = try_write((volatile unsigned char *)STUB_CODE + (i * 16) % PG, 0xcc);
    if (s == SIGSEGV) code_segv++;
    else code_other++;

    /* (b) the stub's pages through system calls */
    int k = 0;
    record(k++, "mprotect code page rwx", mprotect((void *)STUB_CODE, PG, PROT_READ | PROT_WRITE | PROT_EXEC));
    record(k++, "mprotect batch page rw", mprotect((void *)STUB_BATCH, PG, PROT_READ | PROT_WRITE));
    record(k++, "munmap code page", munmap((void *)STUB_CODE, PG));
    record(k++, "munmap whole stub", munmap((void *)STUB_CODE, STUB_DATA + STUB_DATA_SIZE - STUB_CODE));
    long r = (long)mmap((void *)STUB_CODE, PG, PROT_READ | PROT_WRITE | PROT_EXEC,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    record(k++, "mmap MAP_FIXED over code page", r);
    r = (long)mmap((void *)STUB_BATCH, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    record(k++, "mmap MAP_FIXED over batch page", r);
    r = (long)mmap((void *)(STUB_CODE - PG), 2 * PG, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    record(k++, "mmap MAP_FIXED across the stub start", r);
    r = (long)mmap((void *)STUB_BATCH, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    record(k++, "mmap MAP_FIXED_NOREPLACE at batch page", r);
    r = (long)mremap(g, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)STUB_BATCH);
    record(k++, "mremap onto batch page", r);
    if (r >= 0) g = (char *)r; /* (would be a failure: keep track of it) */
    record(k++, "madvise DONTNEED batch page", madvise((void *)STUB_BATCH, PG, MADV_DONTNEED));
    /* the kernel writing into the batch page on the guest's behalf */
    static const char pattern[] = "umlts-escape-pattern";
    if (write(p[1], pattern, sizeof pattern) != (long)sizeof pattern) die("write pipe", errno);
    r = read(p[0], (void *)(STUB_BATCH + 64), sizeof pattern);
    record(k++, "read() into batch page", r);
    if (r < 0) { char junk[sizeof pattern]; (void)!read(p[0], junk, sizeof junk); } /* drain, if still there */
    /* a hint at the stub must not be honoured (the mapping goes elsewhere) */
    void *h = mmap((void *)STUB_BATCH, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h == (void *)STUB_BATCH) hint_honoured++;
    else if (h == MAP_FAILED) { if (!hint_errno) hint_errno = errno; }
    else munmap(h, PG);
  }
  munmap(g, PG);
  close(p[0]);
  close(p[1]);
  return 0;
}

/* ---- (c) children jumping into the stub's `syscall` instructions ---- */
/* Jumps to target with the system call registers set, on a stack of its own,
 * with a return address pushed: should the code there ever return, the child
 * exits with status 42 (a failure: the stub ran a system call for us). */
static unsigned char jstack[1 << 16] __attribute__((aligned(16)));
__attribute__((noreturn)) static void jump_syscall(unsigned long target, long nr, long a0, long a1, long a2,
                                                    long a3, long a4, long a5) {
  register long r10 __asm__("r10") = a3;
  register long r8 __asm__("r8") = a4;
  register long r9 __asm__("r9") = a5;
  __asm__ volatile("mov %[stk], %%rsp\n\t"
                   "lea 1f(%%rip), %%r11\n\t"
                   "push %%r11\n\t"
                   "jmp *%[t]\n"
                   "1:\n\t"
                   "mov $231, %%eax\n\t" /* exit_group(42) */
                   "mov $42, %%edi\n\t"
                   "syscall\n\t"
                   "ud2\n\t"
                   :
                   : [t] "r"(target), [stk] "r"(jstack + sizeof jstack - 64), "a"(nr), "D"(a0), "S"(a1), "d"(a2),
                     "r"(r10), "r"(r8), "r"(r9)
                   : "r11", "memory");
  __builtin_unreachable();
}

static unsigned long sites[16];
static int nsites;

struct outcome { int tried, sigsys, sigsegv, othersig, exited; };
static void tally(struct outcome *o, pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid) die("waitpid", errno);
  o->tried++;
  if (WIFSIGNALED(st)) {
    int s = WTERMSIG(st);
    if (s == SIGSYS) o->sigsys++;
    else if (s == SIGSEGV) o->sigsegv++;
    else { o->othersig++; say("  (a child died by %s)\n", signame(s)); }
  } else {
    o->exited++;
    say("  (a child exited with status %d)\n", WEXITSTATUS(st));
  }
}
static void report(const char *what, struct outcome *o) {
  say("%s: tried %d, killed by a signal %d (SIGSYS %d, SIGSEGV %d, other %d), returned or exited %d\n", what,
      o->tried, o->sigsys + o->sigsegv + o->othersig, o->sigsys, o->sigsegv, o->othersig, o->exited);
}

static char *sh_argv[4];
static char cmd[4200];
static const char sh_path[] = "/bin/sh";

__attribute__((noreturn)) static void child_execve(unsigned long site, long secret_guess) {
  jump_syscall(site, SYS_execve, (long)sh_path, (long)sh_argv, 0, 0, secret_guess, 0);
}

/* The data-slot scribbler's faulting thread. */
static void *toucher(void *arg) {
  (void)arg;
  for (int round = 0; round < 20; round++) {
    char *m = mmap(0, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) _exit(2);
    for (int i = 0; i < 64; i++) m[i * PG] = (char)i;
    munmap(m, 64 * PG);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1) marker = argv[1];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGBUS, &sa, 0);

  /* is the stub there? */
  unsigned char b0;
  if (try_read((volatile const unsigned char *)STUB_CODE, &b0) != 0 || maps_cover(STUB_CODE)) {
    say("no stub here\n");
    return 0;
  }
  memcpy(code_snapshot, (const void *)STUB_CODE, PG); /* a page is readable if its first byte is */
  for (unsigned long i = 0; i + 1 < PG && nsites < 16; i++)
    if (code_snapshot[i] == 0x0f && code_snapshot[i + 1] == 0x05) sites[nsites++] = STUB_CODE + i;
  unsigned char bb;
  say("stub code page readable: true, syscall instructions found: %s\n", nsites > 0 ? "true" : "false");
  say("batch page readable: %s\n", try_read((volatile const unsigned char *)STUB_BATCH, &bb) == 0 ? "true" : "false");

  /* A and B race */
  pthread_t ta, tb;
  int e;
  if ((e = pthread_create(&ta, 0, churn, 0))) die("pthread_create", e);
  if ((e = pthread_create(&tb, 0, attacker, 0))) die("pthread_create", e);
  if ((e = pthread_join(tb, 0))) die("pthread_join", e);
  __atomic_store_n(&stop_a, 1, __ATOMIC_SEQ_CST);
  if ((e = pthread_join(ta, 0))) die("pthread_join", e);
  say("mapping churn ran concurrently: %s\n", a_iterations >= 10 ? "true" : "false");
  say("batch page write: %s (all %d: %s, si_addr right: %s)\n",
      batch_segv > 0 && batch_other == 0 ? "SIGSEGV" : "NOT SIGSEGV", ATTEMPTS,
      batch_segv == ATTEMPTS ? "true" : "false", batch_addr_right == ATTEMPTS ? "true" : "false");
  say("code page write: %s\n", code_segv == ATTEMPTS ? "SIGSEGV" : "NOT SIGSEGV");
  for (int i = 0; i < nattempts; i++) {
    struct attempt *a = &attempts[i];
    say("%s: %s%s\n", a->what, a->succeeded ? "SUCCEEDED" : errname(a->first_errno),
        a->all_same ? "" : " (not always the same)");
  }
  say("mmap hint at the batch page honoured: %s%s%s\n", hint_honoured ? "true" : "false",
      hint_errno ? ", sometimes failed with " : "", hint_errno ? errname(hint_errno) : "");
  unsigned char c0;
  int same = try_read((volatile const unsigned char *)STUB_CODE, &c0) == 0 &&
             memcmp((const void *)STUB_CODE, code_snapshot, PG) == 0;
  say("code page unchanged: %s\n", same ? "true" : "false");
  int found = 0;
  static const char pattern[] = "umlts-escape-pattern";
  if (try_read((volatile const unsigned char *)STUB_BATCH, &c0) == 0)
    found = memmem((const void *)STUB_BATCH, PG, pattern, sizeof pattern - 1) != 0;
  say("our bytes in the batch page: %s\n", found ? "true" : "false");

  /* (c) */
  snprintf(cmd, sizeof cmd, "touch %s", marker);
  sh_argv[0] = (char *)sh_path;
  sh_argv[1] = "-c";
  sh_argv[2] = cmd;
  sh_argv[3] = 0;
  struct outcome ex = { 0 }, guess = { 0 }, other = { 0 };
  for (int i = 0; i < nsites; i++) {
    pid_t c = fork();
    if (c < 0) die("fork", errno);
    if (c == 0) child_execve(sites[i], 0);
    tally(&ex, c);
  }
  report("execve via stub syscall sites", &ex);
  if (nsites > 0) {
    /* execve with a guessed secret in the upper half of arg 4 */
    static const long guesses[] = { 0x1234567800000000L, (long)0xffffffff00000000UL, 0x0000000100000000L };
    for (unsigned i = 0; i < sizeof guesses / sizeof guesses[0]; i++) {
      pid_t c = fork();
      if (c < 0) die("fork", errno);
      if (c == 0) child_execve(sites[0], guesses[i]);
      tally(&guess, c);
    }
    report("execve via the stub with a guessed secret", &guess);
    /* allowed system calls, with a guessed secret or out-of-range arguments */
    for (int v = 0; v < 4; v++) {
      pid_t c = fork();
      if (c < 0) die("fork", errno);
      if (c == 0) {
        switch (v) {
        case 0: /* make the batch page writable, with a guessed secret */
          jump_syscall(sites[0], SYS_mprotect, STUB_BATCH, PG, PROT_READ | PROT_WRITE, 0, 0x4242424200000000L, 0);
        case 1: /* map something executable over the code page */
          jump_syscall(sites[0], SYS_mmap, STUB_CODE, PG, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        case 2: /* open a host file by name */
          jump_syscall(sites[0], SYS_openat, AT_FDCWD, (long)sh_path, O_RDONLY, 0, 0, 0);
        default: /* unmap the guest's own memory (below the stub, but no secret) */
          jump_syscall(sites[0], SYS_munmap, 0x10000, 1L << 30, 0, 0, 0, 0);
        }
      }
      tally(&other, c);
    }
    report("mprotect/mmap/openat/munmap via the stub without the secret", &other);
  }

  /* a child scribbling over the data slot while its other thread faults */
  pid_t c = fork();
  if (c < 0) die("fork", errno);
  if (c == 0) {
    pthread_t t;
    if (pthread_create(&t, 0, toucher, 0)) _exit(3);
    /* every writable page from STUB_DATA on (one slot per thread, or more) */
    unsigned long len = 0;
    while (len < (1UL << 20) && try_write((volatile unsigned char *)STUB_DATA + len, 0) == 0) len += PG;
    for (int round = 0; round < 50; round++)
      for (unsigned long off = 0; off < len; off += 8)
        *(volatile uint64_t *)(STUB_DATA + off) = 0x0101010101010101ULL * (unsigned)(round * 37) ^ off;
    pthread_join(t, 0);
    _exit(0);
  }
  int st;
  if (waitpid(c, &st, 0) != c) die("waitpid", errno);
  if (WIFSIGNALED(st)) say("data slot scribbler: killed by %s\n", signame(WTERMSIG(st)));
  else say("data slot scribbler: exited %d\n", WEXITSTATUS(st));

  say("marker exists: %s\n", access(marker, F_OK) == 0 ? "true" : "false");
  say("done\n");
  return 0;
}
