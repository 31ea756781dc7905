/* memfd_secret(2), compared with the host kernel: the flags it takes, a file
 * that is only ever mapped (read, write and private mappings refused, its
 * size set once), a shared mapping's bytes kept across mappings and a fork,
 * its name in /proc/self/maps and fd/. No addresses or inode numbers are
 * printed. */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

static const char *er(long r) { return r < 0 ? errname(errno) : "OK"; }
#define SHOW(label, call) do { long r_ = (long)(call); say("%s: %s\n", label, er(r_)); } while (0)

static void maps_line(void *p) {
  char buf[65536], want[32];
  int fd = open("/proc/self/maps", O_RDONLY), n = 0, r;
  while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
  close(fd);
  buf[n] = 0;
  snprintf(want, sizeof want, "%lx-", (unsigned long)p);
  char *l = strstr(buf, want);
  if (!l) { say("maps: none\n"); return; }
  char *e = strchr(l, '\n');
  if (e) *e = 0;
  char *perm = strchr(l, ' ');
  char *name = strrchr(l, ' ');
  say("maps: %.4s %s\n", perm + 1, name + 1);
}

int main(void) {
  SHOW("flags 1 (not O_CLOEXEC)", syscall(SYS_memfd_secret, 1));
  SHOW("flags O_NONBLOCK", syscall(SYS_memfd_secret, O_NONBLOCK));
  int fd = syscall(SYS_memfd_secret, O_CLOEXEC);
  say("memfd_secret(O_CLOEXEC): %s, cloexec %d\n", fd >= 0 ? "fd" : errname(errno), (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  struct stat st;
  fstat(fd, &st);
  say("fstat: mode %o size %lld nlink %lu\n", st.st_mode, (long long)st.st_size, (unsigned long)st.st_nlink);
  char link[256] = {0}, p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  readlink(p, link, sizeof link - 1);
  say("fd link: %s\n", link);
  say("fcntl F_GETFL: %o\n", fcntl(fd, F_GETFL) & ~0100000);
  char c = 'x';
  SHOW("write", write(fd, &c, 1));
  SHOW("read", read(fd, &c, 1));
  SHOW("pwrite", pwrite(fd, &c, 1, 0));
  SHOW("lseek", lseek(fd, 0, SEEK_SET));
  SHOW("fallocate", fallocate(fd, 0, 0, 4096));
  SHOW("fsync", fsync(fd));
  SHOW("fdatasync", fdatasync(fd));
  SHOW("mmap before a size", (long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == -1 ? -1 : 0);
  SHOW("ftruncate 3 pages", ftruncate(fd, 3 * 4096));
  SHOW("ftruncate again", ftruncate(fd, 4096));
  fstat(fd, &st);
  say("size now %lld\n", (long long)st.st_size);
  SHOW("mmap private", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == -1 ? -1 : 0);
  char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  say("mmap shared: %s\n", m == MAP_FAILED ? errname(errno) : "OK");
  maps_line(m);
  strcpy(m + 4096, "secret");
  char *m2 = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
  say("second mapping reads \"%s\"\n", m2 == MAP_FAILED ? errname(errno) : m2);
  pid_t pid = fork();
  if (pid == 0) {
    say("child reads \"%s\"\n", m + 4096);
    strcpy(m + 4096, "changed");
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  say("parent reads \"%s\"\n", m + 4096);
  SHOW("read after mapping", read(fd, &c, 1));
  munmap(m, 3 * 4096);
  munmap(m2, 4096);
  close(fd);
  say("done\n");
  return 0;
}
