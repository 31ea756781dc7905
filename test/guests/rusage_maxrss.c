/* ru_maxrss as getrusage(2), wait4(2) and waitid(2) report
 * them (kernel/sys.c getrusage, kernel/exit.c wait_task_zombie): the
 * peak stays after the memory is unmapped, a child's peak comes back
 * through wait4 and RUSAGE_CHILDREN, the peak of an image the child left
 * by exec counts (waitid's rusage), a fork's child's peak is its own,
 * and /proc's VmHWM
 * keeps the peak while VmRSS falls. The sizes differ from run to run and
 * from kernel to kernel (libc's and the loader's pages), so the guest
 * prints what holds on Linux, not the numbers. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB (1024L * 1024)

static void touch(long bytes) {
  char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (long o = 0; o < bytes; o += 4096) p[o] = 1;
  munmap(p, bytes);
}

static long maxrss(int who) {
  struct rusage ru;
  getrusage(who, &ru);
  return ru.ru_maxrss;
}

static long status_kib(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, strlen(key))) v = atol(line + strlen(key) + 1);
  if (f) fclose(f);
  return v;
}

static const char *yes(int c) { return c ? "yes" : "no"; }

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "idle")) return 0;
  printf("RUSAGE_CHILDREN before any child: %ld\n", maxrss(RUSAGE_CHILDREN));
  /* in a child: this process's own maxrss holds its spawner's peak (exec keeps the old image's: a posix_spawn
   * from a big program), a fork's child starts from its parent's image's */
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    long self0 = maxrss(RUSAGE_SELF);
    touch(40 * MiB);
    long self1 = maxrss(RUSAGE_SELF);
    printf("the peak covers 40 MiB touched and unmapped: %s\n", yes(self1 >= self0 + 38 * 1024));
    printf("RUSAGE_THREAD's peak is the process's: %s\n", yes(maxrss(RUSAGE_THREAD) == self1));
    printf("VmHWM keeps the peak, VmRSS fell: %s\n", yes(status_kib("VmHWM:") >= 38 * 1024 && status_kib("VmRSS:") < status_kib("VmHWM:") - 30 * 1024));
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  long self0 = maxrss(RUSAGE_SELF);

  c = fork();
  if (c == 0) {
    touch(60 * MiB);
    _exit(0);
  }
  struct rusage ru;
  int st;
  wait4(c, &st, 0, &ru);
  printf("wait4: the child's 60 MiB peak: %s, under 1 GiB: %s\n", yes(ru.ru_maxrss >= 58 * 1024), yes(ru.ru_maxrss < 1024 * 1024));
  printf("RUSAGE_CHILDREN has it: %s\n", yes(maxrss(RUSAGE_CHILDREN) >= 58 * 1024));
  printf("RUSAGE_SELF is still ours (under 58 MiB above the start): %s\n", yes(maxrss(RUSAGE_SELF) < self0 + 58 * 1024));

  /* a child that leaves a 30 MiB image by exec: the old image's peak is the process's */
  c = fork();
  if (c == 0) {
    char *p = mmap(NULL, 30 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (long o = 0; o < 30 * MiB; o += 4096) p[o] = 1;
    execl("/proc/self/exe", argv[0], "idle", (char *)NULL);
    _exit(127);
  }
  siginfo_t si;
  memset(&ru, 0, sizeof ru);
  syscall(SYS_waitid, P_PID, c, &si, WEXITED, &ru);
  printf("waitid's rusage: the exec'd-away image's 30 MiB peak: %s\n", yes(ru.ru_maxrss >= 28 * 1024));

  /* a fork's child's peak is its own resident set (dup_mm: hiwater_rss = get_mm_rss), not its parent's peak */
  touch(20 * MiB);
  fflush(stdout);
  c = fork();
  if (c == 0) {
    printf("a fork's child's peak is below its parent's 20 MiB: %s\n", yes(maxrss(RUSAGE_SELF) < 18 * 1024));
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);

  return 0;
}
