/* no_new_privs and exec's capabilities, compared with the host kernel (run
 * as root): a root process that dropped CAP_SYS_TIME from its permitted set
 * (it stays in the bounding set) gets it back from an exec, unless
 * no_new_privs is set, which cuts the exec's new permitted set down to the
 * old (LSM_UNSAFE_NO_NEW_PRIVS). */
#include "common.h"
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>

/* whether CAP_SYS_TIME is permitted and effective (the rest of the sets is the host's, which a container trims) */
static void show_caps(const char *who) {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY), n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n > 0 ? n : 0] = 0;
  unsigned long long prm = 0, eff = 0;
  int nnp = -1;
  for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
    sscanf(l, "CapPrm: %llx", &prm);
    sscanf(l, "CapEff: %llx", &eff);
    sscanf(l, "NoNewPrivs: %d", &nnp);
  }
  say("%s CAP_SYS_TIME permitted %d effective %d, NoNewPrivs %d\n", who, (int)(prm >> CAP_SYS_TIME & 1), (int)(eff >> CAP_SYS_TIME & 1), nnp);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    show_caps(argv[1]);
    return 0;
  }
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d)) { say("capget: %s\n", errname(errno)); return 1; }
  d[0].permitted &= ~(1u << CAP_SYS_TIME);
  d[0].effective &= ~(1u << CAP_SYS_TIME);
  if (syscall(SYS_capset, &h, d)) { say("capset: %s\n", errname(errno)); return 1; }
  show_caps("before:");
  for (int nnp = 0; nnp <= 1; nnp++) {
    pid_t p = fork();
    if (p == 0) {
      if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) _exit(2);
      execl("/proc/self/exe", argv[0], nnp ? "exec-with-nnp:" : "exec:", (char *)0);
      _exit(3);
    }
    int st;
    waitpid(p, &st, 0);
  }
  return 0;
}
