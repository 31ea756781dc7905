/* memfd_create and seals, and tmpfs files shared by mappings: a shared
 * mapping of a memfd or a /dev/shm file and its read/write see the same
 * bytes, in one process and across fork; F_ADD_SEALS/F_GET_SEALS with
 * their errors (EBUSY over a writable mapping, EPERM for sealed writes,
 * growth, shrinking and mappings); sparse tmpfs files far past 2 GiB.
 * Output is compared with the host kernel's. */
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x10
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 8
#define MFD_EXEC 0x10
#endif

static int mfd(const char *name, unsigned flags) {
  return syscall(SYS_memfd_create, name, flags);
}

static void show(const char *what, int fd) {
  struct stat st;
  fstat(fd, &st);
  char link[256] = {0}, p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  (void)!readlink(p, link, sizeof link - 1);
  say("%s: mode %o nlink %ld size %ld seals %d link %s cloexec %d\n", what, st.st_mode, (long)st.st_nlink, (long)st.st_size,
      fcntl(fd, F_GET_SEALS), link, fcntl(fd, F_GETFD));
}

int main(void) {
  signal(SIGSEGV, SIG_DFL);
  /* ---- creating ---- */
  int fd = mfd("test", MFD_CLOEXEC);
  say("memfd_create: %s\n", res(fd));
  show("plain", fd);
  say("add seals to a plain memfd: %s\n", res(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
  say("bad flags: %s\n", res(mfd("x", 0x100)));
  say("EXEC|NOEXEC_SEAL: %s\n", res(mfd("x", MFD_EXEC | MFD_NOEXEC_SEAL)));
  char name[300];
  memset(name, 'n', sizeof name);
  name[250] = 0;
  say("250-byte name: %s\n", res(mfd(name, 0)));
  name[249] = 0;
  int f249 = mfd(name, 0);
  say("249-byte name: %s\n", res(f249));
  close(f249);
  say("NULL name: %s\n", res(mfd(NULL, 0)));
  int ne = mfd("noexec", MFD_NOEXEC_SEAL);
  show("noexec", ne);
  say("chmod +x of it: %s\n", res(fchmod(ne, 0755)));
  close(ne);

  /* ---- one set of pages, through the fd and a shared mapping ---- */
  say("write: %ld\n", (long)write(fd, "hello", 5));
  say("ftruncate 8192: %s\n", res(ftruncate(fd, 8192)));
  char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  say("mmap shared: %s\n", m == MAP_FAILED ? errname(errno) : "OK");
  say("mapping sees: %.5s\n", m);
  memcpy(m + 100, "MAPPED", 6);
  char buf[64] = {0};
  (void)!pread(fd, buf, 6, 100);
  say("read sees the mapping's write: %.6s\n", buf);
  (void)!pwrite(fd, "FD", 2, 4096);
  say("mapping sees the fd's write on page 2: %.2s\n", m + 4096);
  pid_t c = fork();
  if (c == 0) {
    memcpy(m + 200, "CHILD", 5);
    char *m2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    memcpy(m2 + 300, "AGAIN", 5);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  say("the child's writes: %.5s %.5s\n", m + 200, m + 300);
  char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  memcpy(priv, "PRIVATE", 7);
  (void)!pread(fd, buf, 5, 0);
  say("a private mapping's write stays private: %.5s (mapping %.7s)\n", buf, priv);
  munmap(priv, 4096);
  struct stat st;
  fstat(fd, &st);
  say("size %ld\n", (long)st.st_size);

  /* ---- seals ---- */
  int s = mfd("sealed", MFD_ALLOW_SEALING);
  show("sealable", s);
  ftruncate(s, 4096);
  char *sm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
  say("F_SEAL_WRITE over a writable mapping: %s\n", res(fcntl(s, F_ADD_SEALS, F_SEAL_WRITE)));
  munmap(sm, 4096);
  say("F_SEAL_WRITE: %s\n", res(fcntl(s, F_ADD_SEALS, F_SEAL_WRITE)));
  say("seals: %#x\n", fcntl(s, F_GET_SEALS));
  say("write: %s\n", res(write(s, "x", 1)));
  say("pwrite: %s\n", res(pwrite(s, "x", 1, 10)));
  void *p1 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
  say("mmap shared writable: %s\n", p1 == MAP_FAILED ? errname(errno) : "OK");
  char *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, s, 0);
  say("mmap shared read-only: %s\n", ro == MAP_FAILED ? errname(errno) : "OK");
  say("mprotect it writable: %s\n", res(mprotect(ro, 4096, PROT_READ | PROT_WRITE)));
  char *pv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, s, 0);
  say("mmap private writable: %s\n", pv == MAP_FAILED ? errname(errno) : "OK");
  say("ftruncate larger (no GROW seal): %s\n", res(ftruncate(s, 8192)));
  say("F_SEAL_SHRINK|F_SEAL_GROW: %s\n", res(fcntl(s, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW)));
  say("ftruncate smaller: %s\n", res(ftruncate(s, 100)));
  say("ftruncate larger: %s\n", res(ftruncate(s, 20000)));
  say("ftruncate same: %s\n", res(ftruncate(s, 8192)));
  say("bad seal bits: %s\n", res(fcntl(s, F_ADD_SEALS, 0x40)));
  char p2[64];
  snprintf(p2, sizeof p2, "/proc/self/fd/%d", s);
  int rdonly = open(p2, O_RDONLY);
  say("reopen read-only: %s\n", res(rdonly));
  say("add seals through it: %s\n", res(fcntl(rdonly, F_ADD_SEALS, F_SEAL_SEAL)));
  say("F_SEAL_SEAL: %s\n", res(fcntl(s, F_ADD_SEALS, F_SEAL_SEAL)));
  say("then any seal: %s\n", res(fcntl(s, F_ADD_SEALS, F_SEAL_FUTURE_WRITE)));
  say("seals: %#x\n", fcntl(s, F_GET_SEALS));

  int g = mfd("grow", MFD_ALLOW_SEALING);
  ftruncate(g, 10);
  fcntl(g, F_ADD_SEALS, F_SEAL_GROW);
  say("GROW-sealed: write within: %ld", (long)pwrite(g, "abc", 3, 2));
  say(", write across the end: %s", res(pwrite(g, "abcdefghijklmnop", 16, 2)));
  say(", past it: %s\n", res(pwrite(g, "z", 1, 50)));
  int fw = mfd("future", MFD_ALLOW_SEALING);
  ftruncate(fw, 4096);
  char *fwm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fw, 0);
  say("F_SEAL_FUTURE_WRITE over a writable mapping: %s\n", res(fcntl(fw, F_ADD_SEALS, F_SEAL_FUTURE_WRITE)));
  fwm[0] = 'Q';
  (void)!pread(fw, buf, 1, 0);
  say("the old mapping still writes: %c\n", buf[0]);
  say("write: %s\n", res(write(fw, "x", 1)));
  void *p3 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fw, 0);
  say("new writable shared mapping: %s\n", p3 == MAP_FAILED ? errname(errno) : "OK");

  /* ---- files elsewhere ---- */
  int hf = open("/proc/self/exe", O_RDONLY);
  say("F_GET_SEALS of another file: %s\n", res(fcntl(hf, F_GET_SEALS)));
  say("F_ADD_SEALS of a read-only one: %s\n", res(fcntl(hf, F_ADD_SEALS, F_SEAL_WRITE)));
  int pp[2];
  (void)!pipe(pp);
  say("F_ADD_SEALS of a pipe's write end: %s\n", res(fcntl(pp[1], F_ADD_SEALS, F_SEAL_WRITE)));
  int shm = open("/dev/shm/umlts-memfd-test", O_RDWR | O_CREAT | O_TRUNC, 0600);
  unlink("/dev/shm/umlts-memfd-test");
  say("F_GET_SEALS of a /dev/shm file: %d\n", fcntl(shm, F_GET_SEALS));
  ftruncate(shm, 4096);
  char *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
  c = fork();
  if (c == 0) {
    char *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
    strcpy(b + 10, "shared through /dev/shm");
    _exit(0);
  }
  waitpid(c, NULL, 0);
  say("%s\n", a + 10);

  /* ---- sparse tmpfs files past 4 GiB ---- */
  long long big = 3LL << 30;
  say("pwrite at 3 GiB: %ld\n", (long)pwrite(shm, "x", 1, big));
  fstat(shm, &st);
  say("size %lld, blocks under 100: %d\n", (long long)st.st_size, st.st_blocks < 100);
  say("lseek SEEK_END: %lld\n", (long long)lseek(shm, 0, SEEK_END));
  buf[0] = 0;
  long n = pread(shm, buf, 10, big);
  say("pread at 3 GiB: %ld %c\n", n, buf[0]);
  n = pread(shm, buf, 1, 1LL << 31);
  say("pread a hole: %ld %d\n", n, buf[0]);
  say("ftruncate to 2 GiB + 5: %s\n", res(ftruncate(shm, (1LL << 31) + 5)));
  fstat(shm, &st);
  say("size %lld\n", (long long)st.st_size);
  say("lseek 5 GiB: %lld\n", (long long)lseek(shm, 5LL << 30, SEEK_SET));
  say("write there: %ld\n", (long)write(shm, "yz", 2));
  fstat(shm, &st);
  say("size %lld\n", (long long)st.st_size);
  return 0;
}
