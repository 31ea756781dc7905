/* mlock(2) and its family as Linux keeps them (the old build said 0 to
 * everything and kept nothing): RLIMIT_MEMLOCK with the pages locked
 * already counted once, CAP_IPC_LOCK passing it, EPERM with a limit of 0,
 * ENOMEM at a hole, mlock2's and mlockall's flags, MCL_FUTURE and
 * MAP_LOCKED against the limit (EAGAIN), VmLck, no locks across fork,
 * msync's MS_INVALIDATE on locked pages EBUSY. */
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define K 1024L
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
static const char *err(long r) {
  static char b[32];
  if (r == 0) return "0";
  if (r > 0) return "ok";
  switch (errno) {
    case EPERM: return "EPERM";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case EBUSY: return "EBUSY";
  }
  snprintf(b, sizeof b, "errno %d", errno);
  return b;
}
static long vmlck(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmLck:", 6)) kb = atol(line + 6);
  if (f) fclose(f);
  return kb;
}
static void memlock(long soft) {
  struct rlimit r = {soft, soft};
  if (setrlimit(RLIMIT_MEMLOCK, &r)) printf("setrlimit: %s\n", strerror(errno));
}
static long mm(long len, int flags) {
  void *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
  return p == MAP_FAILED ? -1 : (long)p;
}
#define SHOW(what, call) do { long r_ = (call); printf("%-52s %s\n", what, err(r_)); } while (0)

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  char *p = (char *)mm(512 * K, 0);
  memlock(64 * K);
  /* root holds CAP_IPC_LOCK: no limit (a user without it: ENOMEM) */
  SHOW("with CAP_IPC_LOCK if held: mlock 128K over a 64K limit", mlock(p, 128 * K));
  munlockall();
  /* drop CAP_IPC_LOCK (effective and permitted) */
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  syscall(SYS_capget, &h, d);
  d[0].effective &= ~(1u << CAP_IPC_LOCK);
  d[0].permitted &= ~(1u << CAP_IPC_LOCK);
  d[0].inheritable &= ~(1u << CAP_IPC_LOCK);
  if (syscall(SYS_capset, &h, d)) printf("capset: %s\n", strerror(errno));
  SHOW("mlock 128K over a 64K limit", mlock(p, 128 * K));
  SHOW("mlock 32K (not page aligned: 1 byte in)", mlock(p + 1, 32 * K - 1));
  printf("VmLck %ld kB\n", vmlck());
  SHOW("mlock the same 32K again", mlock(p, 32 * K));
  /* PAGE_ALIGN(len) wraps to 0 near 2^64: nothing to lock; a length just short of it spans the top: EINVAL */
  SHOW("mlock SIZE_MAX", mlock(p, SIZE_MAX));
  SHOW("munlock SIZE_MAX", munlock(p, SIZE_MAX));
  SHOW("mlock SIZE_MAX - 8K", mlock(p, SIZE_MAX - 8 * K));
  SHOW("mlock 32K from 16K in (16K of them locked)", mlock(p + 16 * K, 32 * K));
  printf("VmLck %ld kB\n", vmlck());
  SHOW("mlock 80K (48K of them locked: 68K)", mlock(p, 80 * K));
  SHOW("mlock 64K (48K of them locked: 64K)", mlock(p, 64 * K));
  printf("VmLck %ld kB\n", vmlck());
  SHOW("msync MS_INVALIDATE on locked pages", msync(p, 4 * K, MS_INVALIDATE));
  SHOW("msync MS_INVALIDATE on others", msync(p + 256 * K, 4 * K, MS_INVALIDATE));
  pid_t c = fork();
  if (c == 0) {
    printf("  the fork's child: VmLck %ld kB\n", vmlck());
    _exit(0);
  }
  waitpid(c, 0, 0);
  SHOW("munlock 16K in the middle", munlock(p + 16 * K, 16 * K));
  printf("VmLck %ld kB\n", vmlck());
  SHOW("munlock all 512K", munlock(p, 512 * K));
  printf("VmLck %ld kB\n", vmlck());
  munmap(p + 256 * K, 64 * K);
  SHOW("mlock 8K across a hole", mlock(p + 252 * K, 8 * K));
  printf("VmLck %ld kB (the part before the hole stays locked)\n", vmlck());
  SHOW("munlock across the hole", munlock(p + 252 * K, 72 * K));
  printf("VmLck %ld kB\n", vmlck());
  SHOW("mlock2 flags 2", syscall(SYS_mlock2, p, 4 * K, 2));
  SHOW("mlock2 MLOCK_ONFAULT", syscall(SYS_mlock2, p, 4 * K, MLOCK_ONFAULT));
  printf("VmLck %ld kB\n", vmlck());
  munlockall();
  SHOW("mlockall 0", mlockall(0));
  SHOW("mlockall MCL_ONFAULT", mlockall(MCL_ONFAULT));
  SHOW("mlockall 8", mlockall(8));
  SHOW("mlockall MCL_CURRENT (all of it past 64K)", mlockall(MCL_CURRENT));
  SHOW("mlockall MCL_FUTURE", mlockall(MCL_FUTURE));
  SHOW("  then mmap 128K", mm(128 * K, 0));
  SHOW("  then mmap 16K", mm(16 * K, 0));
  printf("VmLck %ld kB\n", vmlck());
  SHOW("munlockall", munlockall());
  printf("VmLck %ld kB\n", vmlck());
  SHOW("  then mmap 128K", mm(128 * K, 0));
  SHOW("mmap MAP_LOCKED 128K", mm(128 * K, MAP_LOCKED));
  SHOW("mmap MAP_LOCKED 16K", mm(16 * K, MAP_LOCKED));
  printf("VmLck %ld kB\n", vmlck());
  munlockall();
  /* memfd_secret's mappings are locked (secretmem_mmap) */
  int sfd = syscall(447 /* SYS_memfd_secret */, 0);
  if (sfd < 0 || ftruncate(sfd, 128 * K)) {
    printf("memfd_secret: %s\n", strerror(errno));
  } else {
    void *s1 = mmap(0, 128 * K, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
    SHOW("memfd_secret: mmap 128K", s1 == MAP_FAILED ? -1 : 1);
    void *s2 = mmap(0, 16 * K, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
    SHOW("memfd_secret: mmap 16K", s2 == MAP_FAILED ? -1 : 1);
    printf("VmLck %ld kB\n", vmlck());
    if (s2 != MAP_FAILED) munmap(s2, 16 * K);
    close(sfd);
  }
  memlock(0);
  SHOW("RLIMIT_MEMLOCK 0: mlock", mlock(p, 4 * K));
  SHOW("RLIMIT_MEMLOCK 0: mlock2", syscall(SYS_mlock2, p, 4 * K, 0));
  SHOW("RLIMIT_MEMLOCK 0: mlockall MCL_FUTURE", mlockall(MCL_FUTURE));
  SHOW("RLIMIT_MEMLOCK 0: mmap MAP_LOCKED", mm(4 * K, MAP_LOCKED));
  SHOW("RLIMIT_MEMLOCK 0: munlock", munlock(p, 4 * K));
  SHOW("RLIMIT_MEMLOCK 0: munlockall", munlockall());
  return 0;
}
