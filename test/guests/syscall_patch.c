// Syscall sites of the `mov $nr, %eax; syscall` kind, called often enough to
// be patched under umlts (mm/syscall_patch.ts), must behave as the syscall
// instruction does: the result in rax, rcx the address after it, r11 the
// flags, the flags and every other register kept, the red zone below rsp
// untouched; from threads (each its own), after fork, around a signal that
// interrupts a blocking call (restarted with SA_RESTART, EINTR without),
// and after the program takes the gs base for itself. Prints the same
// natively and under umlts; so must glibc's generic syscall(), whose one
// site makes every call, fork, execve and arch_prctl too. With the argument
// "show" it prints whether its getppid site's and syscall()'s bytes are
// still a syscall, and a kill site's before and after a signal is delivered
// at its return (the kernel puts such a site back: a patched call has no FPU
// state for the signal's frame); with "forks", forks children that call the
// patched getppid site (not differential checks).
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

long my_getppid(void);
long my_gettid(void);
long my_read(long fd, void *buf, long n);
long my_arch_prctl(long code, long addr);
long my_kill(long pid, long sig);
void probe(long out[5]);
__asm__(".text\n"
        ".globl my_getppid\nmy_getppid:\n  movl $110, %eax\n  syscall\n  ret\n"
        ".globl my_gettid\nmy_gettid:\n  movl $186, %eax\n  syscall\n  ret\n"
        ".globl my_read\nmy_read:\n  movl $0, %eax\n  syscall\n  ret\n"
        ".globl my_arch_prctl\nmy_arch_prctl:\n  movl $158, %eax\n  syscall\n  ret\n"
        ".globl my_kill\nmy_kill:\n  movl $62, %eax\n  syscall\n  ret\n"
        ".globl probe\nprobe:\n"
        "  movabsq $0x1122334455667788, %rax\n"
        "  movq %rax, -8(%rsp)\n"          // the red zone
        "  movabsq $0x0102030405060708, %r8\n"
        "  stc\n"
        "  movl $110, %eax\n"
        "  syscall\n"
        "1:\n"
        "  setc %dl\n"
        "  movzbq %dl, %rdx\n"
        "  movq %rdx, 0(%rdi)\n"
        "  movq -8(%rsp), %rax\n"
        "  movq %rax, 8(%rdi)\n"
        "  leaq 1b(%rip), %rax\n"
        "  xorl %edx, %edx\n"
        "  cmpq %rax, %rcx\n"
        "  sete %dl\n"
        "  movq %rdx, 16(%rdi)\n"
        "  movq %r8, 24(%rdi)\n"
        "  andq $0x201, %r11\n"
        "  movq %r11, 32(%rdi)\n"
        "  ret\n");

static void *thread_main(void *arg) {
  long tid = syscall(SYS_gettid), bad = 0;
  for (int i = 0; i < 20000; i++)
    if (my_gettid() != tid) bad++;
  *(long *)arg = bad;
  return NULL;
}

static volatile int children;
static void on_child(int sig) {
  (void)sig;
  children++;
}

static volatile int alarms;
static void on_alarm(int sig) {
  (void)sig;
  alarms++;
}

// a blocking read on a pipe a child fills after a while, with a timer's signal in between
static void blocking_read(int restart) {
  int p[2];
  char c[8];
  if (pipe(p) != 0) return;
  for (int i = 0; i < 5; i++) {  // the site gets patched while data is there
    long w = write(p[1], "x", 1), r = my_read(p[0], c, 1);
    if (w != 1 || r != 1) printf("read %ld\n", r);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGALRM, &sa, NULL);
  pid_t child = fork();
  if (child == 0) {
    usleep(300000);
    long w = write(p[1], "hello", 5);
    _exit(w == 5 ? 0 : 1);
  }
  alarms = 0;
  struct itimerval it = {{0, 30000}, {0, 30000}};
  setitimer(ITIMER_REAL, &it, NULL);
  long r = my_read(p[0], c, sizeof c);
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  int st;
  waitpid(child, &st, 0);
  printf("%s: read %ld, interrupted %s\n", restart ? "SA_RESTART" : "no SA_RESTART", r, alarms > 0 ? "yes" : "no");
  close(p[0]);
  close(p[1]);
}

static volatile int usr1;
static void on_usr1(int sig) {
  volatile double z = sig;
  usr1 = z * 0.5 + 1.5 > 0;  // the handler's own FPU work
}

int main(int argc, char **argv) {
  long first = my_getppid(), same = 1;
  for (int i = 0; i < 1000; i++)
    if (my_getppid() != first) same = 0;
  if (argc > 1 && strcmp(argv[1], "execd") == 0) return 7;
  printf("getppid stable: %ld\n", same);
  if (argc > 1 && strcmp(argv[1], "show") == 0) {
    // glibc's syscall() too: its site is the syscall instruction and the 5 bytes before it
    for (int i = 0; i < 5; i++) syscall(SYS_getppid);
    const unsigned char *g = (const unsigned char *)syscall;
    int k = 0;
    while (k < 64 && !(g[k] == 0x0f && g[k + 1] == 0x05) && !(g[k] == 0xff && g[k + 1] == 0x24 && g[k + 2] == 0x25)) k++;
    printf("site: %s\nsyscall(): %s\n", *(volatile unsigned char *)my_getppid == 0xb8 ? "syscall" : "patched",
           k < 64 && g[k] == 0xff ? "patched" : "syscall");
    for (int i = 0; i < 5; i++) my_kill(getpid(), 0);
    printf("kill site: %s\n", *(volatile unsigned char *)my_kill == 0xb8 ? "syscall" : "patched");
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    volatile double x = 1.25;
    double y = x * 3;  // live in an xmm register across the call, which the handler clobbers
    my_kill(getpid(), SIGUSR1);
    printf("kill site after a signal there: %s, handler ran %d, fpu kept %d\n",
           *(volatile unsigned char *)my_kill == 0xb8 ? "syscall" : "patched", usr1, y == 3.75);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "forks") == 0) {
    // the kill site is put back while a child shares its page (the parent's write makes its own copy)
    for (int i = 0; i < 5; i++) my_kill(getpid(), 0);
    pid_t sharer = fork();
    if (sharer == 0) {
      pause();
      _exit(0);
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    my_kill(getpid(), SIGUSR1);
    kill(sharer, SIGKILL);
    waitpid(sharer, NULL, 0);
    long bad = 0;
    for (int i = 0; i < 50; i++) {
      pid_t p = fork();
      if (p == 0) _exit(my_getppid() == getppid() ? 0 : 1);
      int st;
      waitpid(p, &st, 0);
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bad++;
    }
    printf("children that saw their parent: %ld of 50\n", 50 - bad);
    return 0;
  }

  long out[5], prev[5];
  int differ = 0;
  for (int i = 0; i < 10; i++) {
    probe(out);
    if (i > 0 && memcmp(out, prev, sizeof out) != 0) differ = 1;
    memcpy(prev, out, sizeof out);
  }
  printf("probe: cf %ld, red zone %s, rcx %s, r8 %s, r11 0x%lx, the same each time: %s\n", out[0],
         out[1] == 0x1122334455667788L ? "kept" : "lost", out[2] ? "= return address" : "wrong",
         out[3] == 0x0102030405060708L ? "kept" : "lost", out[4], differ ? "no" : "yes");

  for (int i = 0; i < 5; i++) my_gettid();
  pthread_t th[4];
  long bad[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, thread_main, &bad[i]);
  long allbad = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    allbad += bad[i];
  }
  printf("threads: %ld wrong tids\n", allbad);

  pid_t me = getpid(), child = fork();
  if (child == 0) _exit(my_getppid() == me ? 0 : 1);
  int st;
  waitpid(child, &st, 0);
  printf("fork: child's getppid %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "right" : "wrong");

  // glibc's syscall(): one site for every call made through it, those that need the whole frame too
  for (int i = 0; i < 5; i++) syscall(SYS_getppid);
  unsigned long fsv = 0;
  long got = syscall(SYS_arch_prctl, ARCH_GET_FS, &fsv), set = syscall(SYS_arch_prctl, ARCH_SET_FS, fsv);
  printf("syscall(): fs base %s the thread pointer (%ld, %ld)\n", fsv == (unsigned long)pthread_self() ? "is" : "is not", got, set);
  child = syscall(SYS_fork);
  if (child == 0) syscall(SYS_exit_group, 3);
  waitpid(child, &st, 0);
  printf("syscall(): fork's child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  fflush(stdout);
  child = fork();
  if (child == 0) {
    char *av[] = {argv[0], "execd", NULL};
    syscall(SYS_execve, "/proc/self/exe", av, environ);
    _exit(127);
  }
  waitpid(child, &st, 0);
  printf("syscall(): execve's child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

  // children exiting while the parent keeps making patched calls: each SIGCHLD's kick may come while a call
  // waits for its reply, or just after the reply, in the fast entry's own futex calls
  struct sigaction sc;
  memset(&sc, 0, sizeof sc);
  sc.sa_handler = on_child;
  sigaction(SIGCHLD, &sc, NULL);
  long calls_ok = 1;
  for (int i = 0; i < 100; i++) {
    pid_t c = fork();
    if (c == 0) _exit(0);
    for (int j = 0; j < 200; j++)
      if (my_getppid() != first) calls_ok = 0;
    while (waitpid(c, &st, WNOHANG) == 0)
      if (my_getppid() != first) calls_ok = 0;
  }
  printf("SIGCHLD while calling: handler ran %s, calls right %ld\n", children > 0 ? "yes" : "no", calls_ok);

  blocking_read(1);
  blocking_read(0);

  static long gsword = 0x5eed;
  long rc = my_arch_prctl(ARCH_SET_GS, (long)&gsword), v;
  same = 1;
  for (int i = 0; i < 100; i++)
    if (my_getppid() != first) same = 0;
  __asm__ volatile("movq %%gs:0, %0" : "=r"(v));
  printf("own gs: arch_prctl %ld, %%gs:0 0x%lx, getppid stable %ld\n", rc, v, same);
  return 0;
}
