/* seccomp(2), differential: the guest's own filters. Argument checks and
 * program validation (each errno), every action (ERRNO with its cap, TRAP's
 * siginfo and registers, KILL_PROCESS, KILL_THREAD of one thread among
 * several, TRACE without a tracer, LOG, USER_NOTIF without a listener),
 * which filter's action wins, the classic BPF interpreter's arithmetic,
 * strict mode, inheritance across fork and exec, /proc/self/status,
 * no_new_privs and EACCES, TSYNC and its failures, the instruction limit
 * per path, and mode changes. Each scenario runs in a child of its own
 * (filters cannot be removed); each result and the child's end on a line. */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <ucontext.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/audit.h>
#include <sys/prctl.h>

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static long sc(unsigned op, unsigned flags, void *args) { return syscall(SYS_seccomp, op, flags, args); }
static void show(const char *what, long r) {
  if (r < 0) say("%s: -1 %s\n", what, errname(errno));
  else say("%s: %ld\n", what, r);
}

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
/* nr == which: return action, else allow */
#define ONE(which, action) LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (which), 0, 1), RET(action), RET(SECCOMP_RET_ALLOW)

static long install(unsigned flags, struct sock_filter *f, unsigned short n) {
  struct sock_fprog p = { n, f };
  return sc(SECCOMP_SET_MODE_FILTER, flags, &p);
}
static long install_one(int nr, unsigned action) {
  struct sock_filter f[] = { ONE(nr, action) };
  return install(0, f, 4);
}

/* Run fn in a child; print how it ended. */
static void scenario(const char *name, void (*fn)(void)) {
  say("-- %s\n", name);
  pid_t c = fork();
  if (c == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    fn();
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  if (WIFEXITED(st)) say("%s: exit %d\n", name, WEXITSTATUS(st));
  else say("%s: killed by signal %d\n", name, WTERMSIG(st));
}

/* ---- argument and program checks ---- */
static void bad_prog(const char *what, struct sock_filter *f, unsigned short n) {
  show(what, install(0, f, n));
}
static void cat(const char *path) {
  char buf[256];
  int fd = open(path, O_RDONLY);
  int n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  buf[n > 0 ? n : 0] = 0;
  say("%s: %s", path, n > 0 ? buf : "(none)\n");
}
static void checks(void) {
  cat("/proc/sys/kernel/seccomp/actions_avail");
  cat("/proc/sys/kernel/seccomp/actions_logged");
  show("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
  unsigned actions[] = { SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO,
                         SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW,
                         0x7ffe0000, SECCOMP_RET_ERRNO | 1, 0x00010000 };
  for (unsigned i = 0; i < sizeof actions / sizeof *actions; i++) {
    char what[64];
    snprintf(what, sizeof what, "GET_ACTION_AVAIL %#x", actions[i]);
    show(what, sc(SECCOMP_GET_ACTION_AVAIL, 0, &actions[i]));
  }
  show("GET_ACTION_AVAIL flags 1", sc(SECCOMP_GET_ACTION_AVAIL, 1, &actions[0]));
  show("GET_ACTION_AVAIL bad pointer", sc(SECCOMP_GET_ACTION_AVAIL, 0, (void *)8));
  struct seccomp_notif_sizes sz = { 0 };
  show("GET_NOTIF_SIZES", sc(SECCOMP_GET_NOTIF_SIZES, 0, &sz));
  say("sizes %u %u %u\n", sz.seccomp_notif, sz.seccomp_notif_resp, sz.seccomp_data);
  show("GET_NOTIF_SIZES flags 1", sc(SECCOMP_GET_NOTIF_SIZES, 1, &sz));
  show("op 99", sc(99, 0, 0));
  show("STRICT with flags", sc(SECCOMP_SET_MODE_STRICT, 1, 0));
  show("STRICT with args", sc(SECCOMP_SET_MODE_STRICT, 0, &sz));
  struct sock_filter allow[] = { RET(SECCOMP_RET_ALLOW) };
  show("FILTER unknown flag", install(1 << 20, allow, 1));
  show("FILTER TSYNC|NEW_LISTENER", install(SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER, allow, 1));
  show("FILTER WAIT_KILLABLE_RECV alone", install(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, allow, 1));
  show("FILTER bad fprog pointer", sc(SECCOMP_SET_MODE_FILTER, 0, (void *)8));
  show("FILTER len 0", install(0, allow, 0));
  show("FILTER len 4097", install(0, allow, 4097));
  show("FILTER NULL program", install(0, 0, 1));
  show("FILTER bad program pointer", install(0, (struct sock_filter *)8, 1));
  show("PR_SET_SECCOMP mode 3", prctl(PR_SET_SECCOMP, 3, 0, 0, 0));
  struct sock_filter f1[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), RET(SECCOMP_RET_ALLOW) };
  bad_prog("LD B ABS", f1, 2);
  struct sock_filter f2[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), RET(SECCOMP_RET_ALLOW) };
  bad_prog("LD W ABS 64", f2, 2);
  struct sock_filter f3[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), RET(SECCOMP_RET_ALLOW) };
  bad_prog("LD W ABS 2", f3, 2);
  struct sock_filter f4[] = { LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2), RET(SECCOMP_RET_ALLOW) };
  bad_prog("jump past the end", f4, 3);
  struct sock_filter f5[] = { LD_NR };
  bad_prog("no RET at the end", f5, 1);
  struct sock_filter f6[] = { LD_NR, BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RET(SECCOMP_RET_ALLOW) };
  bad_prog("DIV K 0", f6, 3);
  struct sock_filter f7[] = { LD_NR, BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), RET(SECCOMP_RET_ALLOW) };
  bad_prog("LSH K 32", f7, 3);
  struct sock_filter f8[] = { BPF_STMT(BPF_LD | BPF_MEM, 3), RET(SECCOMP_RET_ALLOW) };
  bad_prog("LD MEM before ST", f8, 2);
  struct sock_filter f9[] = { LD_NR, BPF_STMT(BPF_ST, 16), RET(SECCOMP_RET_ALLOW) };
  bad_prog("ST 16", f9, 3);
  struct sock_filter f10[] = { LD_NR, BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), RET(SECCOMP_RET_ALLOW) };
  bad_prog("MOD", f10, 3);
  struct sock_filter f11[] = { BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), RET(SECCOMP_RET_ALLOW) };
  bad_prog("LD IND", f11, 2);
  struct sock_filter f12[] = { LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), BPF_STMT(BPF_ST, 0),
                               BPF_STMT(BPF_LD | BPF_MEM, 0), RET(SECCOMP_RET_ALLOW) };
  bad_prog("LD MEM stored on one path only", f12, 5);
  struct sock_filter f13[] = { LD_NR, BPF_STMT(BPF_JMP | BPF_JA, 1), RET(SECCOMP_RET_ALLOW) };
  bad_prog("JA past the end", f13, 3);
  struct sock_filter f14[] = { BPF_STMT(0xffff, 0), RET(SECCOMP_RET_ALLOW) };
  bad_prog("opcode 0xffff", f14, 2);
  show("PR_GET_SECCOMP still", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
}

/* ---- actions ---- */
static void act_errno(void) {
  show("install ERRNO(EPERM) on getppid", install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM));
  show("getppid", syscall(SYS_getppid));
  show("getpid goes on", syscall(SYS_getpid) > 0);
  show("install ERRNO(0) on getuid", install_one(SYS_getuid, SECCOMP_RET_ERRNO | 0));
  show("getuid", syscall(SYS_getuid));
  show("install ERRNO(0xffff) on getgid", install_one(SYS_getgid, SECCOMP_RET_ERRNO | 0xffff));
  long r = syscall(SYS_getgid);
  say("getgid: %ld errno %d\n", r, errno);
  show("install ERRNO(ENOSYS) on a number Linux lacks", install_one(1000, SECCOMP_RET_ERRNO | EBADF));
  show("syscall 1000", syscall(1000));
  show("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
}

static volatile int trapped;
static void on_sys(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  trapped++;
  say("SIGSYS: sig %d code %d syscall %d arch %#x errno %d, rax is the number: %s, call_addr is rip: %s\n", sig,
      si->si_code, si->si_syscall, si->si_arch, si->si_errno,
      uc->uc_mcontext.gregs[REG_RAX] == si->si_syscall ? "yes" : "no",
      (unsigned long)si->si_call_addr == (unsigned long)uc->uc_mcontext.gregs[REG_RIP] ? "yes" : "no");
}
static void act_trap(void) {
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_sys;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &sa, 0);
  show("install TRAP(77) on getppid", install_one(SYS_getppid, SECCOMP_RET_TRAP | 77));
  long r = syscall(SYS_getppid);
  say("getppid returned the number: %s, handler ran %d time(s)\n", r == SYS_getppid ? "yes" : "no", trapped);
  /* blocked: force_sig resets and unblocks it: the process dies */
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGSYS);
  sigprocmask(SIG_BLOCK, &s, 0);
  syscall(SYS_getppid);
  say("not reached\n");
}
static void act_trap_ignored(void) {
  signal(SIGSYS, SIG_IGN);
  show("install TRAP on getppid", install_one(SYS_getppid, SECCOMP_RET_TRAP));
  syscall(SYS_getppid);
  say("not reached\n");
}
static void act_kill_process(void) {
  show("install KILL_PROCESS on getppid", install_one(SYS_getppid, SECCOMP_RET_KILL_PROCESS));
  syscall(SYS_getppid);
  say("not reached\n");
}
static void act_unknown(void) {
  show("install an unknown action on getppid", install_one(SYS_getppid, 0x00010000));
  syscall(SYS_getppid);
  say("not reached\n");
}
static void act_kill_thread_alone(void) {
  show("install KILL_THREAD on getppid", install_one(SYS_getppid, SECCOMP_RET_KILL_THREAD));
  syscall(SYS_getppid);
  say("not reached\n");
}
static void *kill_me(void *arg) {
  (void)arg;
  syscall(SYS_getppid);
  say("not reached\n");
  return 0;
}
static void act_kill_thread(void) {
  show("install KILL_THREAD on getppid", install_one(SYS_getppid, SECCOMP_RET_KILL_THREAD));
  pthread_t th;
  pthread_create(&th, 0, kill_me, 0);
  pthread_join(th, 0);
  say("the main thread goes on after its thread was killed\n");
  _exit(5);
}
static void act_trace_log_notif(void) {
  show("install TRACE on getppid", install_one(SYS_getppid, SECCOMP_RET_TRACE | 5));
  show("getppid", syscall(SYS_getppid));
  show("install LOG on getuid", install_one(SYS_getuid, SECCOMP_RET_LOG));
  show("getuid runs", syscall(SYS_getuid) >= 0);
  show("install USER_NOTIF on getgid (no listener)", install_one(SYS_getgid, SECCOMP_RET_USER_NOTIF));
  show("getgid", syscall(SYS_getgid));
}
static void act_precedence(void) {
  show("install ERRNO(11) on getppid", install_one(SYS_getppid, SECCOMP_RET_ERRNO | 11));
  show("install ERRNO(22) on getppid", install_one(SYS_getppid, SECCOMP_RET_ERRNO | 22));
  long r = syscall(SYS_getppid);
  say("getppid: %ld errno %d (the newest of equal actions)\n", r, errno);
  show("install LOG on getppid", install_one(SYS_getppid, SECCOMP_RET_LOG));
  r = syscall(SYS_getppid);
  say("getppid: %ld errno %d (ERRNO beats LOG)\n", r, errno);
  show("install ALLOW for everything", install(0, (struct sock_filter[]){ RET(SECCOMP_RET_ALLOW) }, 1));
  r = syscall(SYS_getppid);
  say("getppid: %ld errno %d (every filter runs)\n", r, errno);
  show("install TRACE on getppid", install_one(SYS_getppid, SECCOMP_RET_TRACE));
  r = syscall(SYS_getppid);
  say("getppid: %ld errno %d (ERRNO beats TRACE)\n", r, errno);
  show("install KILL_PROCESS on getppid", install_one(SYS_getppid, SECCOMP_RET_KILL_PROCESS));
  syscall(SYS_getppid);
  say("not reached\n");
}

/* ---- the interpreter: one filter per operation (args[1] selects it), computing over args[0]'s words (low: A,
 * high: X); its answer in the errno, shaped by a comparison with X. Only the matching filter returns ERRNO. ---- */
#define A0LO offsetof(struct seccomp_data, args[0])
#define MAXBODY 6
static long install_calc(unsigned op, int odd, const struct sock_filter *body, int n) {
  struct sock_filter f[10 + MAXBODY + 14];
  int i = 0;
  f[i++] = (struct sock_filter)LD_NR;
  f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 1, 0);
  f[i++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]));
  f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, op, 1, 0);
  f[i++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, A0LO + 4);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_ST, 5);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_MEM, 5);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, A0LO);
  for (int b = 0; b < n; b++) f[i++] = body[b];
  f[i++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x3ff);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_ST, 9);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, A0LO);
  f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | (odd ? BPF_JGE : BPF_JGT) | BPF_X, 0, 0, 3);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_MEM, 9);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_OR | BPF_K, 0x400);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 1);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_MEM, 9);
  f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 4095);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TAX, 0);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TXA, 0);
  f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
  return install(0, f, i);
}
#define OPX(o) BPF_STMT(BPF_ALU | (o) | BPF_X, 0)
#define OPK(o, k) BPF_STMT(BPF_ALU | (o) | BPF_K, (k))
static const struct { const char *name; struct sock_filter body[MAXBODY]; int n; } calc[] = {
  { "A+X", { OPX(BPF_ADD) }, 1 }, { "A-X", { OPX(BPF_SUB) }, 1 }, { "A*X", { OPX(BPF_MUL) }, 1 },
  { "A/X", { OPX(BPF_DIV) }, 1 }, { "A&X", { OPX(BPF_AND) }, 1 }, { "A|X", { OPX(BPF_OR) }, 1 },
  { "A^X", { OPX(BPF_XOR) }, 1 }, { "A<<X", { OPX(BPF_LSH) }, 1 }, { "A>>X", { OPX(BPF_RSH) }, 1 },
  { "-A", { OPK(BPF_NEG, 0) }, 1 }, { "A+0x12345", { OPK(BPF_ADD, 0x12345) }, 1 }, { "A-7", { OPK(BPF_SUB, 7) }, 1 },
  { "A*0x10001", { OPK(BPF_MUL, 0x10001) }, 1 }, { "A/7", { OPK(BPF_DIV, 7) }, 1 }, { "A<<3", { OPK(BPF_LSH, 3) }, 1 },
  { "A>>5", { OPK(BPF_RSH, 5) }, 1 }, { "A^0xf0f0", { OPK(BPF_XOR, 0xf0f0) }, 1 },
  { "LEN+A", { BPF_STMT(BPF_ST, 10), BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_LDX | BPF_MEM, 10), OPX(BPF_ADD) }, 4 },
  { "X=LEN, A-X", { BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0), OPX(BPF_SUB), BPF_STMT(BPF_LDX | BPF_MEM, 5) }, 3 },
  { "A|0x80000000>>(X&7)", { BPF_STMT(BPF_ST, 11), BPF_STMT(BPF_MISC | BPF_TXA, 0), OPK(BPF_AND, 7), BPF_STMT(BPF_MISC | BPF_TAX, 0),
                               BPF_STMT(BPF_LD | BPF_MEM, 11), OPX(BPF_RSH) }, 6 },
};
#define NCALC (sizeof calc / sizeof *calc)
static void interp(void) {
  for (unsigned op = 0; op < NCALC; op++) {
    long r = install_calc(op, op & 1, calc[op].body, calc[op].n);
    if (r != 0) say("install %s: %ld %s\n", calc[op].name, r, errname(errno));
  }
  unsigned long vals[][2] = { { 7, 5 }, { 0xfffffff0, 0x20 }, { 123456, 789 }, { 1000, 7 }, { 0xabcdef, 0x1234 },
                              { 3, 9 }, { 0x80000000, 31 }, { 0xffff, 4 }, { 5, 5 }, { 0xffffffff, 0xffffffff } };
  for (unsigned v = 0; v < sizeof vals / sizeof *vals; v++) {
    for (unsigned op = 0; op < NCALC; op++) {
      unsigned long a0 = vals[v][0] | (vals[v][1] << 32);
      long r = syscall(SYS_getppid, a0, op);
      say("%s on %#lx, %#lx: %ld errno %d\n", calc[op].name, vals[v][0], vals[v][1], r, errno);
    }
  }
  show("an op no filter knows: allowed", syscall(SYS_getppid, 1UL, 99) > 0);
  /* A / X with X = 0: the program ends with 0, KILL_THREAD */
  syscall(SYS_getppid, 1000UL, 3);
  say("not reached\n");
}

/* ---- strict mode ---- */
static void strict_kill(void) {
  show("PR_SET_SECCOMP strict", prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0));
  say("write still works\n");
  syscall(SYS_getpid);
  say("not reached\n");
}
static void strict_exit(void) {
  show("seccomp strict", sc(SECCOMP_SET_MODE_STRICT, 0, 0));
  show("seccomp strict again (the call is not allowed)", 0);
  char b;
  show("read from a bad fd", syscall(SYS_read, 99, &b, 1));
  syscall(SYS_exit, 7);
}
static void strict_exit_group(void) {
  sc(SECCOMP_SET_MODE_STRICT, 0, 0);
  syscall(SYS_exit_group, 3);
  say("not reached\n");
}

/* ---- fork, exec, status ---- */
static char *self;
static void status_lines(void) {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY);
  int n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n > 0 ? n : 0] = 0;
  for (char *l = strtok(buf, "\n"); l; l = strtok(0, "\n")) {
    if (!strncmp(l, "NoNewPrivs", 10) || !strncmp(l, "Seccomp", 7)) say("%s\n", l);
  }
}
static void inherit(void) {
  status_lines();
  show("install ERRNO(EPERM) on getppid", install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM));
  show("install ERRNO(EACCES) on getuid", install_one(SYS_getuid, SECCOMP_RET_ERRNO | EACCES));
  status_lines();
  show("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  pid_t c = fork();
  if (c == 0) {
    show("fork child: getppid", syscall(SYS_getppid));
    show("fork child: PR_GET_SECCOMP", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    show("fork child: PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    execl(self, self, "exec", (char *)0);
    _exit(127);
  }
  int st;
  waitpid(c, &st, 0);
  say("exec child: exit %d\n", WEXITSTATUS(st));
}
static void after_exec(void) {
  show("after exec: getppid", syscall(SYS_getppid));
  show("after exec: getuid", syscall(SYS_getuid));
  show("after exec: PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  status_lines();
}

/* ---- no_new_privs ---- */
static void nnp(void) {
  /* (the scenario set no_new_privs: a fresh child of an unprivileged user without it) */
  pid_t c = fork();
  if (c == 0) {
    show("setuid(65534)", setuid(65534));
    struct sock_filter f[] = { RET(SECCOMP_RET_ALLOW) };
    show("without no_new_privs (inherited)", install(0, f, 1));
    _exit(0);
  }
  waitpid(c, 0, 0);
}
static void no_nnp_unprivileged(void) {
  show("setuid(65534)", setuid(65534));
  struct sock_filter f[] = { RET(SECCOMP_RET_ALLOW) };
  show("no no_new_privs, not root", install(0, f, 1));
  show("PR_SET_NO_NEW_PRIVS 2", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0));
  show("PR_SET_NO_NEW_PRIVS", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
  show("with no_new_privs", install(0, f, 1));
}

/* ---- TSYNC ---- */
static volatile int go_on;
static void *sleeper(void *arg) {
  (void)arg;
  while (!go_on) usleep(1000);
  show("thread: getppid", syscall(SYS_getppid));
  return 0;
}
static void tsync(void) {
  pthread_t th;
  pthread_create(&th, 0, sleeper, 0);
  show("TSYNC install ERRNO(EPERM) on getppid", install(SECCOMP_FILTER_FLAG_TSYNC,
       (struct sock_filter[]){ ONE(SYS_getppid, SECCOMP_RET_ERRNO | EPERM) }, 4));
  go_on = 1;
  pthread_join(th, 0);
}
static volatile pid_t other_tid;
static volatile int filtered;
static void *own_filter(void *arg) {
  (void)arg;
  other_tid = syscall(SYS_gettid);
  install_one(SYS_getuid, SECCOMP_RET_ERRNO | EPERM);
  filtered = 1;
  while (!go_on) usleep(1000);
  return 0;
}
static void tsync_fail(void) {
  pthread_t th;
  go_on = 0;
  pthread_create(&th, 0, own_filter, 0);
  while (!filtered) usleep(1000);
  long r = install(SECCOMP_FILTER_FLAG_TSYNC, (struct sock_filter[]){ RET(SECCOMP_RET_ALLOW) }, 1);
  say("TSYNC over a thread with its own filter: %s\n", r == other_tid ? "its tid" : r < 0 ? errname(errno) : "other");
  show("TSYNC|TSYNC_ESRCH", install(SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
       (struct sock_filter[]){ RET(SECCOMP_RET_ALLOW) }, 1));
  show("PR_GET_SECCOMP (nothing attached)", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
  go_on = 1;
  pthread_join(th, 0);
}

/* ---- limits and modes ---- */
static void insn_limit(void) {
  static struct sock_filter big[4096];
  for (int i = 0; i < 4096; i++) big[i] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
  for (int i = 1; i <= 9; i++) {
    long r = install(0, big, 4096);
    if (r < 0) {
      say("filter %d of 4096 instructions: -1 %s\n", i, errname(errno));
      break;
    }
  }
  show("a short one still fits", install(0, big, 20));
  show("and one more", install(0, big, 40));
}
/* the limit counts each program as converted to eBPF: jumps, negative constants and divisions by X weigh more */
static void insn_limit_shapes(void) {
  static struct sock_filter big[4096];
  const char *names[] = { "JEQ K<0 0,0", "JEQ K 0,1", "JGT K 1,0", "JSET K 0,1", "JSET X 1,1", "DIV X", "LD", "JA 0" };
  for (int shape = 0; shape < 8; shape++) {
    pid_t c = fork();
    if (c == 0) {
      for (int i = 0; i < 4095; i++) {
        switch (shape) {
        case 0: big[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 0); break;
        case 1: big[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5, 0, i < 4094 ? 1 : 0); break;
        case 2: big[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 5, i < 4094 ? 1 : 0, 0); break;
        case 3: big[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 5, 0, i < 4094 ? 1 : 0); break;
        case 4: big[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_X, 0, i < 4094 ? 1 : 0, i < 4094 ? 1 : 0); break;
        case 5: big[i] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0); break;
        case 6: big[i] = (struct sock_filter)LD_NR; break;
        case 7: big[i] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 0); break;
        }
      }
      /* (X = 1 first: a division by X = 0 would end the program with KILL_THREAD) */
      if (shape == 5) big[0] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_IMM, 1);
      big[4095] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
      for (int n = 1; n <= 40; n++) {
        if (install(0, big, 4096) < 0) {
          say("%s: filter %d fails: %s\n", names[shape], n, errname(errno));
          break;
        }
      }
      _exit(0);
    }
    waitpid(c, 0, 0);
  }
}
static void modes(void) {
  show("install a filter", install(0, (struct sock_filter[]){ RET(SECCOMP_RET_ALLOW) }, 1));
  show("then strict", sc(SECCOMP_SET_MODE_STRICT, 0, 0));
  show("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
}

int main(int argc, char **argv) {
  self = argv[0];
  if (argc > 1 && !strcmp(argv[1], "hook")) {
    /* (for the library's hook test: the guest's filter answers getppid before any hook sees it) */
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    show("install ERRNO(EPERM) on getppid", install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM));
    show("getppid", syscall(SYS_getppid));
    show("getuid", syscall(SYS_getuid));
    return 0;
  }
  if (argc > 1) {
    after_exec();
    return 0;
  }
  checks();
  scenario("errno", act_errno);
  scenario("trap", act_trap);
  scenario("trap ignored", act_trap_ignored);
  scenario("kill process", act_kill_process);
  scenario("unknown action", act_unknown);
  scenario("kill thread, alone", act_kill_thread_alone);
  scenario("kill thread", act_kill_thread);
  scenario("trace, log, notif", act_trace_log_notif);
  scenario("precedence", act_precedence);
  scenario("interpreter", interp);
  scenario("strict kill", strict_kill);
  scenario("strict exit", strict_exit);
  scenario("strict exit_group", strict_exit_group);
  scenario("inherit", inherit);
  scenario("nnp inherited", nnp);
  say("-- unprivileged\n");
  pid_t c = fork();
  if (c == 0) {
    no_nnp_unprivileged();
    _exit(0);
  }
  waitpid(c, 0, 0);
  scenario("tsync", tsync);
  scenario("tsync fail", tsync_fail);
  scenario("insn limit", insn_limit);
  scenario("insn limit shapes", insn_limit_shapes);
  scenario("modes", modes);
  return 0;
}
