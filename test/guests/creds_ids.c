/* The set*id calls as Linux takes their arguments and what they change
 * beside the ids (run as root; each case in a child):
 *  - ids are 32-bit unsigned: 3000000000 is an id (getuid, setfsuid's
 *    answer and /proc/self/status say so), (uid_t)-1 is none: setuid(-1)
 *    and setgid(-1) are EINVAL, setgroups with -1 EINVAL, setfsuid(-1)
 *    changes nothing and answers the current one;
 *  - a change of the effective ids (commit_creds) takes the parent-death
 *    signal away and makes the process not dumpable. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void status_line(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[512];
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, strlen(key))) printf("  %s", line);
  if (f) fclose(f);
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  pid_t c = fork();
  if (c == 0) {
    long r = syscall(SYS_setuid, -1);
    printf("setuid(-1): %ld %s\n", r, r < 0 ? strerror(errno) : "");
    r = syscall(SYS_setgid, -1);
    printf("setgid(-1): %ld %s\n", r, r < 0 ? strerror(errno) : "");
    gid_t bad[2] = {5, (gid_t)-1};
    r = setgroups(2, bad);
    printf("setgroups with -1: %ld %s\n", r, r < 0 ? strerror(errno) : "");
    gid_t none[1];
    setgroups(0, none);
    status_line("Groups:");
    r = setresgid(3000000000u, 3000000000u, 3000000000u);
    printf("setresgid 3000000000: %ld, getgid %u\n", r, (unsigned)getgid());
    r = setresuid(3000000000u, 3000000000u, 3000000000u);
    printf("setresuid 3000000000: %ld, getuid %u\n", r, (unsigned)getuid());
    status_line("Uid:");
    status_line("Gid:");
    printf("setfsuid(-1) answers %u\n", (unsigned)syscall(SYS_setfsuid, -1));
    printf("setfsgid(-1) answers %u\n", (unsigned)syscall(SYS_setfsgid, -1));
    _exit(0);
  }
  waitpid(c, 0, 0);

  c = fork();
  if (c == 0) {
    prctl(PR_SET_PDEATHSIG, SIGUSR1);
    int sig = -1;
    prctl(PR_GET_PDEATHSIG, &sig);
    printf("pdeathsig %d, dumpable %d\n", sig, prctl(PR_GET_DUMPABLE));
    setresgid(0, 0, 0); /* nothing changes: both stay */
    prctl(PR_GET_PDEATHSIG, &sig);
    printf("after setresgid to the same ids: pdeathsig %d, dumpable %d\n", sig, prctl(PR_GET_DUMPABLE));
    setresuid(0, 1000, 0);
    prctl(PR_GET_PDEATHSIG, &sig);
    printf("after the euid changed: pdeathsig %d, dumpable %d\n", sig, prctl(PR_GET_DUMPABLE));
    _exit(0);
  }
  waitpid(c, 0, 0);
  return 0;
}
