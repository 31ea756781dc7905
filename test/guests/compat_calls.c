/* Syscalls older or rarer programs still make: sync, syncfs, sync_file_range,
 * readahead, utime, futimesat, getdents (the old struct linux_dirent),
 * ioprio_get/ioprio_set, sched_setattr/sched_getattr. Each call's result and
 * errno on its own line; argv[1] is a writable scratch directory. */
#include "common.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <utime.h>
#include <dirent.h>

#define SAY1(what, call) do { errno = 0; long r_ = (call); say("%s: %ld %s\n", what, r_ < 0 ? -1L : r_, res(r_)); } while (0)

struct old_dirent {
  unsigned long d_ino;
  unsigned long d_off;
  unsigned short d_reclen;
  char d_name[];
};

struct sattr {
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
  uint32_t util_min, util_max;
};

static char path[512];
static const char *at(const char *dir, const char *name) {
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}

/* the default slice (the first one read): the host's depends on its kernel and CPUs */
static unsigned long long default_runtime = ~0ULL;

static void show_attr(const char *what, int pid, unsigned size) {
  unsigned char buf[128];
  memset(buf, 0xa5, sizeof buf);
  errno = 0;
  long r = syscall(SYS_sched_getattr, pid, buf, size, 0);
  if (r < 0) {
    say("%s: -1 %s\n", what, errname(errno));
    return;
  }
  struct sattr a;
  memcpy(&a, buf, sizeof a);
  if (default_runtime == ~0ULL) default_runtime = a.runtime;
  char rt[32];
  if (a.runtime == default_runtime) snprintf(rt, sizeof rt, "default");
  else snprintf(rt, sizeof rt, "%llu", (unsigned long long)a.runtime);
  say("%s: size %u policy %u flags %#llx nice %d prio %u runtime %s", what, a.size, a.policy,
      (unsigned long long)a.flags, a.nice, a.priority, rt);
  if (size >= 56) say(" util %u..%u", a.util_min, a.util_max);
  /* what lies past the struct Linux knows: zeroed up to size, untouched beyond */
  int zero = 1, kept = 1;
  for (unsigned i = 56; i < size && i < sizeof buf; i++) zero &= buf[i] == 0;
  for (unsigned i = size; i < sizeof buf; i++) kept &= buf[i] == 0xa5;
  say(" tail zeroed %d beyond kept %d\n", zero, kept);
}

static void setattr(const char *what, int pid, struct sattr *a, unsigned flags) {
  errno = 0;
  uint32_t before = a->size;
  long r = syscall(SYS_sched_setattr, pid, a, flags);
  say("%s: %ld %s size %u->%u\n", what, r, r < 0 ? errname(errno) : "OK", before, a->size);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *dir = argv[1];
  int fd = open(at(dir, "f"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  (void)!write(fd, "hello, world\n", 13);
  int wo = open(at(dir, "f"), O_WRONLY);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  int pfd = open(dir, O_PATH);
  int p[2];
  (void)!pipe(p);

  /* ---- sync family ---- */
  sync();
  say("sync: done\n");
  SAY1("syncfs", syscall(SYS_syncfs, fd));
  SAY1("syncfs on a pipe", syscall(SYS_syncfs, p[0]));
  SAY1("syncfs bad fd", syscall(SYS_syncfs, 999));
  SAY1("syncfs O_PATH", syscall(SYS_syncfs, pfd));
  SAY1("sync_file_range", syscall(SYS_sync_file_range, fd, 0L, 0L, 7));
  SAY1("sync_file_range bad fd", syscall(SYS_sync_file_range, 999, 0L, 0L, 1));
  SAY1("sync_file_range bad flags", syscall(SYS_sync_file_range, fd, 0L, 0L, 8));
  SAY1("sync_file_range negative offset", syscall(SYS_sync_file_range, fd, -1L, 0L, 1));
  SAY1("sync_file_range wraps", syscall(SYS_sync_file_range, fd, 0x7fffffffffffffffL, 2L, 1));
  SAY1("sync_file_range negative length", syscall(SYS_sync_file_range, fd, 10L, -5L, 1));
  SAY1("sync_file_range on a pipe", syscall(SYS_sync_file_range, p[1], 0L, 0L, 1));
  SAY1("sync_file_range on a directory", syscall(SYS_sync_file_range, dfd, 0L, 0L, 1));
  SAY1("sync_file_range read-only fd", syscall(SYS_sync_file_range, dfd, 0L, 0L, 0));
  SAY1("sync_file_range O_PATH", syscall(SYS_sync_file_range, pfd, 0L, 0L, 1));

  SAY1("readahead", syscall(SYS_readahead, fd, 0L, 4096L));
  SAY1("readahead past the end", syscall(SYS_readahead, fd, 1L << 40, 4096L));
  SAY1("readahead huge count", syscall(SYS_readahead, fd, 0L, -1L));
  SAY1("readahead write-only fd", syscall(SYS_readahead, wo, 0L, 4096L));
  SAY1("readahead bad fd", syscall(SYS_readahead, 999, 0L, 4096L));
  SAY1("readahead on a pipe", syscall(SYS_readahead, p[0], 0L, 4096L));
  SAY1("readahead on a directory", syscall(SYS_readahead, dfd, 0L, 4096L));
  SAY1("readahead O_PATH", syscall(SYS_readahead, pfd, 0L, 4096L));
  int zfd = open("/dev/zero", O_RDONLY);
  SAY1("readahead on /dev/zero", syscall(SYS_readahead, zfd, 0L, 4096L));

  /* ---- utime, futimesat ---- */
  struct stat st;
  struct utimbuf ub = {.actime = 1000000000, .modtime = 1100000000};
  SAY1("utime", syscall(SYS_utime, at(dir, "f"), &ub));
  stat(at(dir, "f"), &st);
  say("after utime: atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  SAY1("utime NULL", syscall(SYS_utime, at(dir, "f"), NULL));
  stat(at(dir, "f"), &st);
  say("after utime NULL: mtime recent %d\n", st.st_mtim.tv_sec > 1700000000);
  SAY1("utime missing", syscall(SYS_utime, at(dir, "nope"), &ub));
  SAY1("utime bad times", syscall(SYS_utime, at(dir, "f"), (void *)8));
  SAY1("utime bad path", syscall(SYS_utime, (void *)8, &ub));
  struct timeval tv[2] = {{1200000000, 250000}, {1300000000, 500000}};
  SAY1("futimesat", syscall(SYS_futimesat, dfd, "f", tv));
  stat(at(dir, "f"), &st);
  say("after futimesat: atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  tv[1].tv_sec = 1400000000;
  SAY1("futimesat NULL path on the file's fd", syscall(SYS_futimesat, fd, NULL, tv));
  fstat(fd, &st);
  say("after futimesat on fd: mtime %ld.%09ld\n", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  SAY1("futimesat NULL path, AT_FDCWD", syscall(SYS_futimesat, AT_FDCWD, NULL, tv));
  tv[0].tv_usec = 1000000;
  SAY1("futimesat usec too big", syscall(SYS_futimesat, dfd, "f", tv));
  tv[0].tv_usec = -1;
  SAY1("futimesat usec negative", syscall(SYS_futimesat, dfd, "f", tv));
  tv[0].tv_usec = 0;
  SAY1("futimesat bad dirfd", syscall(SYS_futimesat, 999, "f", tv));
  SAY1("futimesat absolute path, bad dirfd", syscall(SYS_futimesat, 999, at(dir, "f"), NULL));
  SAY1("futimesat on a file as dirfd", syscall(SYS_futimesat, fd, "f", NULL));

  /* ---- getdents (struct linux_dirent) ---- */
  mkdir(at(dir, "d"), 0755);
  char sub[512];
  snprintf(sub, sizeof sub, "%s/d", dir);
  const char *names[] = {"alpha", "b", "a-much-longer-name-than-the-others-0123456789", "sub"};
  for (int i = 0; i < 3; i++) close(open(at(sub, names[i]), O_CREAT | O_WRONLY, 0644));
  mkdir(at(sub, "sub"), 0755);
  int gd = open(sub, O_RDONLY | O_DIRECTORY);
  char dbuf[4096];
  int seen = 0, types = 0, aligned = 1, nuls = 1;
  long n;
  while ((n = syscall(SYS_getdents, gd, dbuf, sizeof dbuf)) > 0) {
    for (long off = 0; off < n;) {
      struct old_dirent *e = (struct old_dirent *)(dbuf + off);
      unsigned char type = dbuf[off + e->d_reclen - 1];
      size_t len = strlen(e->d_name);
      aligned &= e->d_reclen % 8 == 0 && e->d_reclen >= 8 + 8 + 2 + len + 2;
      nuls &= e->d_name[len] == 0;
      for (int i = 0; i < 4; i++)
        if (!strcmp(e->d_name, names[i])) {
          seen |= 1 << i;
          if (type == (i == 3 ? DT_DIR : DT_REG)) types |= 1 << i;
        }
      if (!strcmp(e->d_name, ".") && type == DT_DIR) seen |= 16;
      if (!strcmp(e->d_name, "..") && type == DT_DIR) seen |= 32;
      off += e->d_reclen;
    }
  }
  say("getdents: end %ld seen %#x types %#x aligned %d nul-terminated %d\n", n, seen, types, aligned, nuls);
  lseek(gd, 0, SEEK_SET);
  SAY1("getdents buffer too small", syscall(SYS_getdents, gd, dbuf, 10L));
  SAY1("getdents on a file", syscall(SYS_getdents, fd, dbuf, sizeof dbuf));
  SAY1("getdents bad fd", syscall(SYS_getdents, 999, dbuf, sizeof dbuf));
  SAY1("getdents bad buffer", syscall(SYS_getdents, gd, (void *)8, sizeof dbuf));

  /* ---- ioprio ---- */
  SAY1("ioprio_get self", syscall(SYS_ioprio_get, 1, 0));
  SAY1("ioprio_set BE 3", syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 3));
  SAY1("ioprio_get self", syscall(SYS_ioprio_get, 1, 0));
  SAY1("ioprio_get own user (any)", syscall(SYS_ioprio_get, 3, getuid()) >= 0 ? 0 : -1);
  SAY1("ioprio_set IDLE", syscall(SYS_ioprio_set, 1, getpid(), 3 << 13));
  SAY1("ioprio_get by pid", syscall(SYS_ioprio_get, 1, getpid()));
  SAY1("ioprio_set NONE with a level", syscall(SYS_ioprio_set, 1, 0, 1));
  SAY1("ioprio_set class 4", syscall(SYS_ioprio_set, 1, 0, 4 << 13));
  SAY1("ioprio_set class 7", syscall(SYS_ioprio_set, 1, 0, 7 << 13));
  SAY1("ioprio_set too big", syscall(SYS_ioprio_set, 1, 0, 1 << 16));
  SAY1("ioprio_set bad which", syscall(SYS_ioprio_set, 4, 0, 2 << 13));
  SAY1("ioprio_get bad which", syscall(SYS_ioprio_get, 0, 0));
  SAY1("ioprio_get no such pid", syscall(SYS_ioprio_get, 1, 999999));
  SAY1("ioprio_set no such pid", syscall(SYS_ioprio_set, 1, 999999, 2 << 13));
  SAY1("ioprio_set 1<<16", syscall(SYS_ioprio_set, 1, 0, 1 << 16));
  SAY1("ioprio_get after it", syscall(SYS_ioprio_get, 1, 0));
  SAY1("ioprio_set BE with hints", syscall(SYS_ioprio_set, 1, 0, (2 << 13) | (768 << 3) | 2));
  SAY1("ioprio_get after it", syscall(SYS_ioprio_get, 1, 0));
  SAY1("ioprio_set NONE with a hint", syscall(SYS_ioprio_set, 1, 0, 8));
  SAY1("ioprio_get after it", syscall(SYS_ioprio_get, 1, 0));
  SAY1("ioprio_set -1", syscall(SYS_ioprio_set, 1, 0, -1));
  SAY1("ioprio_set 0x14000", syscall(SYS_ioprio_set, 1, 0, 0x14000));
  SAY1("ioprio_get after it", syscall(SYS_ioprio_get, 1, 0));
  SAY1("ioprio_set NONE", syscall(SYS_ioprio_set, 1, 0, 0));
  SAY1("ioprio_set BE 5", syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 5));
  int c = fork();
  if (c == 0) {
    SAY1("child: ioprio_get (inherited)", syscall(SYS_ioprio_get, 1, 0));
    /* a process group of its own: its members' best, a member with none counting by its nice value */
    setpgid(0, 0);
    SAY1("child: ioprio_get own pgrp", syscall(SYS_ioprio_get, 2, 0));
    int g = fork();
    if (g == 0) {
      syscall(SYS_ioprio_set, 1, 0, 0);
      setpriority(PRIO_PROCESS, 0, 7);
      SAY1("grandchild: ioprio_get pgrp", syscall(SYS_ioprio_get, 2, 0));
      syscall(SYS_ioprio_set, 1, getppid(), (3 << 13));
      SAY1("grandchild: ioprio_get pgrp, parent IDLE", syscall(SYS_ioprio_get, 2, 0));
      SAY1("grandchild: ioprio_set pgrp", syscall(SYS_ioprio_set, 2, 0, (2 << 13) | 1));
      SAY1("grandchild: ioprio_get parent", syscall(SYS_ioprio_get, 1, getppid()));
      _exit(0);
    }
    waitpid(g, NULL, 0);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  if (getuid() == 0) {
    c = fork();
    if (c == 0) {
      (void)!setuid(65534);
      SAY1("unprivileged: ioprio_set RT", syscall(SYS_ioprio_set, 1, 0, 1 << 13));
      SAY1("unprivileged: ioprio_set on init", syscall(SYS_ioprio_set, 1, 1, 2 << 13));
      SAY1("unprivileged: ioprio_get on init", syscall(SYS_ioprio_get, 1, 1) >= 0 ? 0 : -1);
      _exit(0);
    }
    waitpid(c, NULL, 0);
  }
  syscall(SYS_ioprio_set, 1, 0, 0);

  /* ---- sched_getattr, sched_setattr ---- */
  show_attr("getattr 48", 0, 48);
  show_attr("getattr 56", 0, 56);
  show_attr("getattr 100", 0, 100);
  show_attr("getattr 47", 0, 47);
  show_attr("getattr 4097", 0, 4097);
  show_attr("getattr bad pid", 999999, 56);
  show_attr("getattr negative pid", -1, 56);
  SAY1("getattr flags", syscall(SYS_sched_getattr, 0, dbuf, 56, 1));
  SAY1("getattr NULL", syscall(SYS_sched_getattr, 0, NULL, 56, 0));
  SAY1("getattr bad buffer", syscall(SYS_sched_getattr, 0, (void *)8, 56, 0));

  struct sattr a;
  memset(&a, 0, sizeof a);
  a.size = 48;
  a.nice = 3;
  setattr("setattr OTHER nice 3", 0, &a, 0);
  SAY1("getpriority after it", getpriority(PRIO_PROCESS, 0));
  show_attr("getattr", 0, 56);
  a.nice = 50;
  setattr("setattr nice 50 (clamped)", 0, &a, 0);
  SAY1("getpriority after it", getpriority(PRIO_PROCESS, 0));
  a.nice = 0;
  a.runtime = 2000000;
  setattr("setattr runtime 2 ms", 0, &a, 0);
  show_attr("getattr", 0, 48);
  c = fork();
  if (c == 0) {
    show_attr("child: getattr", 0, 48);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  a.runtime = 10;
  setattr("setattr runtime 10 ns (clamped)", 0, &a, 0);
  show_attr("getattr", 0, 48);
  a.runtime = 0;
  setattr("setattr runtime 0 (default)", 0, &a, 0);
  show_attr("getattr", 0, 48);
  a.policy = SCHED_BATCH;
  a.flags = 1; /* RESET_ON_FORK */
  setattr("setattr BATCH reset-on-fork", 0, &a, 0);
  show_attr("getattr", 0, 48);
  SAY1("sched_getscheduler", sched_getscheduler(0));
  a.flags = 0;
  a.policy = SCHED_OTHER;
  setattr("setattr OTHER", 0, &a, 0);
  a.policy = SCHED_FIFO;
  a.priority = 10;
  setattr("setattr FIFO 10", 0, &a, 0);
  show_attr("getattr", 0, 48);
  a.flags = 0x08; /* KEEP_POLICY */
  a.priority = 20;
  setattr("setattr KEEP_POLICY prio 20", 0, &a, 0);
  show_attr("getattr", 0, 48);
  a.flags = 0x10; /* KEEP_PARAMS */
  a.policy = SCHED_RR;
  a.priority = 0;
  setattr("setattr RR KEEP_PARAMS", 0, &a, 0);
  show_attr("getattr", 0, 48);
  a.flags = 0;
  a.policy = SCHED_OTHER;
  a.priority = 5;
  setattr("setattr OTHER prio 5", 0, &a, 0);
  a.priority = 0;
  setattr("setattr OTHER", 0, &a, 0);
  a.policy = 4;
  setattr("setattr policy 4", 0, &a, 0);
  a.policy = (uint32_t)-1;
  setattr("setattr policy -1", 0, &a, 0);
  a.policy = SCHED_OTHER;
  a.flags = 0x80;
  setattr("setattr unknown flag", 0, &a, 0);
  a.flags = 0x20; /* UTIL_CLAMP_MIN with a VER0 size */
  setattr("setattr util clamp, size 48", 0, &a, 0);
  a.flags = 1ULL << 40;
  setattr("setattr flag bit 40", 0, &a, 0);
  a.flags = 0x10000000; /* SUGOV */
  setattr("setattr SUGOV", 0, &a, 0);
  a.flags = 0;
  setattr("setattr flags arg", 0, &a, 1);
  setattr("setattr bad pid", 999999, &a, 0);
  setattr("setattr negative pid", -1, &a, 0);
  a.size = 40;
  setattr("setattr size 40", 0, &a, 0);
  a.size = 0;
  setattr("setattr size 0 (VER0)", 0, &a, 0);
  a.size = 8192;
  setattr("setattr size 8192", 0, &a, 0);
  unsigned char big[128];
  memset(big, 0, sizeof big);
  memcpy(big, &a, sizeof a);
  ((struct sattr *)big)->size = 100;
  errno = 0;
  long r = syscall(SYS_sched_setattr, 0, big, 0);
  say("setattr size 100, zero tail: %ld %s\n", r, r < 0 ? errname(errno) : "OK");
  big[80] = 1;
  ((struct sattr *)big)->size = 100;
  r = syscall(SYS_sched_setattr, 0, big, 0);
  say("setattr size 100, non-zero tail: %ld %s size now %u\n", r, r < 0 ? errname(errno) : "OK", ((struct sattr *)big)->size);
  SAY1("setattr NULL", syscall(SYS_sched_setattr, 0, NULL, 0));
  SAY1("setattr bad pointer", syscall(SYS_sched_setattr, 0, (void *)8, 0));
  a.size = 48;
  a.policy = SCHED_DEADLINE;
  a.runtime = 10;
  a.deadline = 5;
  setattr("setattr DEADLINE runtime > deadline", 0, &a, 0);
  a.policy = SCHED_OTHER;
  a.runtime = a.deadline = 0;
  setattr("setattr back to OTHER", 0, &a, 0);
  if (getuid() == 0) {
    c = fork();
    if (c == 0) {
      (void)!setuid(65534);
      struct sattr u;
      memset(&u, 0, sizeof u);
      u.size = 48;
      u.nice = 5;
      setattr("unprivileged: nice 5", 0, &u, 0);
      u.nice = 2;
      setattr("unprivileged: nice 2 (lower)", 0, &u, 0);
      u.nice = 5;
      u.policy = SCHED_FIFO;
      u.priority = 1;
      setattr("unprivileged: FIFO", 0, &u, 0);
      u.policy = SCHED_OTHER;
      u.priority = 0;
      setattr("unprivileged: on init", 1, &u, 0);
      SAY1("unprivileged: getattr on init", syscall(SYS_sched_getattr, 1, dbuf, 48, 0));
      _exit(0);
    }
    waitpid(c, NULL, 0);
  }
  return 0;
}
