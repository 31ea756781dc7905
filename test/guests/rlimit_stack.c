/* RLIMIT_STACK as Linux keeps it: the stack grows to the soft limit and no
 * further (SIGSEGV), whatever it is (the old build stopped every stack at
 * 32 MiB, and let it pass 8 MiB under the default limit); RLIMIT_AS stops
 * its growth too (acct_stack_growth); the limit at exec places the mmap
 * area (arch_pick_mmap_layout: that much room under the stack, the most
 * when unlimited) and sizes exec's argument budget (bprm_stack_limits: a
 * quarter of it, at least 128 KiB, at most 6 MiB). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB (1024L * 1024)
static char *sp0;
static volatile long depth;

static void onsegv(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  long used = sp0 - (char *)si->si_addr;
  char b[64];
  int n = snprintf(b, sizeof b, "%ld\n", used);
  write(3, b, n);
  _exit(0);
}

static int recurse(int n) {
  volatile char buf[1000];
  buf[0] = (char)n;
  depth++;
  return recurse(n + 1) + buf[0];
}

/* In a child: set the limits (soft; -1 leaves one as it is), recurse until SIGSEGV; the bytes of stack used
 * below this frame when it came */
static long overflow_at(long stack, long as_extra) {
  int p[2];
  if (pipe(p)) return -1;
  pid_t c = fork();
  if (c == 0) {
    dup2(p[1], 3);
    static char alt[64 * 1024];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    sigaltstack(&ss, 0);
    struct sigaction sa = {.sa_sigaction = onsegv, .sa_flags = SA_ONSTACK | SA_SIGINFO};
    sigaction(SIGSEGV, &sa, 0);
    struct rlimit r;
    if (stack >= 0) {
      getrlimit(RLIMIT_STACK, &r);
      r.rlim_cur = stack;
      if (setrlimit(RLIMIT_STACK, &r)) _exit(2);
    }
    if (as_extra >= 0) {
      /* the address space now (VmSize) and as_extra more */
      FILE *f = fopen("/proc/self/status", "r");
      char line[256];
      long kb = -1;
      while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmSize:", 7)) kb = atol(line + 7);
      if (f) fclose(f);
      if (kb < 0) _exit(3);
      getrlimit(RLIMIT_AS, &r);
      r.rlim_cur = kb * 1024 + as_extra;
      if (setrlimit(RLIMIT_AS, &r)) _exit(4);
    }
    char here;
    sp0 = &here;
    recurse(0);
    _exit(1);
  }
  close(p[1]);
  char b[64] = {0};
  ssize_t n = read(p[0], b, sizeof b - 1);
  close(p[0]);
  int st;
  waitpid(c, &st, 0);
  if (n <= 0) return -(WIFEXITED(st) ? 100 + WEXITSTATUS(st) : 200 + WTERMSIG(st));
  return atol(b);
}

static void limit_case(const char *name, long lim) {
  long used = overflow_at(lim, -1);
  /* the stack's VMA holds the arguments and environment above this frame too: within a MiB under the limit */
  printf("RLIMIT_STACK %s: overflow %s\n", name,
         used < 0 ? "never seen" : used <= lim && used > lim - MiB ? "within the last MiB under the limit" : "elsewhere");
}

/* In a child: RLIMIT_STACK's soft limit set to lim, then this program exec'd with `what` (and extra bytes of
 * arguments and of environment); the exec's errno, or what the new image printed */
static void exec_env(long lim, const char *what, long argbytes, long envbytes) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    struct rlimit r;
    getrlimit(RLIMIT_STACK, &r);
    r.rlim_cur = lim < 0 ? RLIM_INFINITY : (rlim_t)lim;
    if (setrlimit(RLIMIT_STACK, &r)) {
      printf("setrlimit: %s\n", strerror(errno));
      _exit(0);
    }
    int n = 3 + argbytes / 65536;
    char **argv = calloc(n + 1, sizeof *argv);
    argv[0] = "/proc/self/exe";
    argv[1] = (char *)what;
    argv[2] = "-";
    for (int i = 3; i < n; i++) {
      argv[i] = malloc(65536);
      memset(argv[i], 'a', 65535);
      argv[i][65535] = 0;
    }
    int m = envbytes / 65536;
    char **envp = calloc(m + 1, sizeof *envp);
    for (int i = 0; i < m; i++) {
      envp[i] = malloc(65536);
      memset(envp[i], 'e', 65535);
      envp[i][0] = 'A' + i % 26;
      envp[i][1] = '=';
      envp[i][65535] = 0;
    }
    execve("/proc/self/exe", argv, envp);
    printf("  exec with %ld KiB of arguments and %ld KiB of environment: %s\n", argbytes / 1024, envbytes / 1024,
           strerror(errno));
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, 0, 0);
}

/* one argument of len bytes (MAX_ARG_STRLEN is 128 KiB with its NUL: past it E2BIG, never a long name) */
static void exec_long(long len) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    char *s = malloc(len + 1);
    memset(s, 'a', len);
    s[len] = 0;
    char *argv[] = {"/proc/self/exe", "args", s, 0};
    execv("/proc/self/exe", argv);
    printf("  exec with one argument of %ld bytes: %s\n", len, strerror(errno));
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, 0, 0);
}

static void exec_with(long lim, const char *what, long argbytes) {
  exec_env(lim, what, argbytes, 0);
}

int main(int argc, char **argv) {
  /* (Linux puts the mmap area a random distance lower still: only "at least" is the same everywhere) */
  if (argc > 2 && !strcmp(argv[1], "third")) {
    void *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("  new image: mmap in the lowest third of the address space: %s\n", (unsigned long)m < 0x2aaaaaaaa000UL ? "yes" : "no");
    return 0;
  }
  if (argc > 2 && !strcmp(argv[1], "gib")) {
    char here;
    void *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("  new image: mmap at least 1.5 GiB under the stack: %s\n", &here - (char *)m >= 1536 * MiB ? "yes" : "no");
    return 0;
  }
  if (argc > 2 && !strcmp(argv[1], "args")) {
    printf("  exec with %d arguments: ran\n", argc);
    return 0;
  }
  setvbuf(stdout, 0, _IONBF, 0);
  limit_case("2 MiB", 2 * MiB);
  limit_case("8 MiB", 8 * MiB);
  limit_case("20 MiB", 20 * MiB);
  limit_case("100 MiB", 100 * MiB);
  long used = overflow_at(64 * MiB, 4 * MiB);
  printf("RLIMIT_STACK 64 MiB, RLIMIT_AS 4 MiB over the address space: overflow %s\n",
         used < 0 ? "never seen" : used < 8 * MiB ? "under 8 MiB" : "past 8 MiB");
  printf("exec with RLIMIT_STACK 8 MiB:\n");
  exec_with(8 * MiB, "third", 0);
  exec_with(8 * MiB, "args", 3 * MiB);
  exec_with(8 * MiB, "args", 1 * MiB);
  /* (each alone fits, together they do not: E2BIG, and the caller goes on) */
  exec_env(8 * MiB, "args", 1536 * 1024, 1 * MiB);
  exec_env(8 * MiB, "args", 1 * MiB, 512 * 1024);
  exec_long(131071);
  exec_long(131072);
  exec_long(140000);
  printf("exec with RLIMIT_STACK 1.5 GiB:\n");
  exec_with(1536 * MiB, "gib", 0);
  exec_with(1536 * MiB, "third", 0);
  printf("exec with RLIMIT_STACK unlimited:\n");
  exec_with(-1, "third", 0);
  exec_with(-1, "args", 3 * MiB);
  printf("exec with RLIMIT_STACK 256 KiB:\n");
  exec_with(256 * 1024, "args", 192 * 1024);
  exec_with(256 * 1024, "args", 64 * 1024);
  return 0;
}
