/* A file mapping's pages past the end of its file (filemap_fault's i_size
 * check): a page the file reaches reads its bytes and zeros after them; a
 * page wholly past the end is SIGBUS (BUS_ADRERR at the address) for the
 * guest and EFAULT for a syscall given it; growing the file brings its
 * pages in. Private and shared mappings, in the file argv[1] names. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "touch.h"

static void probe(const char *what, volatile char *p, int write) {
  char c = 0;
  int sig = touch(p, write, &c);
  if (sig == 0) printf("  %s: %s ok (%d)\n", what, write ? "write" : "read", c);
  else
    printf("  %s: %s, code %s, at the address: %s\n", what, sig == SIGBUS ? "SIGBUS" : sig == SIGSEGV ? "SIGSEGV" : "?",
           touch_code == BUS_ADRERR ? "BUS_ADRERR" : "other", touch_addr == (void *)p ? "yes" : "no");
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  touch_catch();
  const char *path = argc > 1 ? argv[1] : "/tmp/mmap_eof.dat";
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "hello", 5) != 5) { perror(path); return 1; }
  int pfd[2];
  if (pipe(pfd) < 0) return 1;
  for (int shared = 0; shared < 2; shared++) {
    char *m = mmap(0, 4 * 4096, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) { perror("mmap"); return 1; }
    printf("%s, a file of 5 bytes\n", shared ? "MAP_SHARED" : "MAP_PRIVATE");
    printf("  page 0: \"%.5s\", then byte 100 is %d\n", m, m[100]);
    probe("page 1", m + 4096, 0);
    probe("page 3 (write)", m + 3 * 4096 + 5, 1);
    ssize_t w = write(pfd[1], m + 4096, 10);
    printf("  write(2) from page 1: %s\n", w < 0 ? (errno == EFAULT ? "EFAULT" : strerror(errno)) : "ok");
    if (ftruncate(fd, 2 * 4096)) return 1;
    probe("grown to 2 pages: page 1", m + 4096, 0);
    probe("page 2", m + 2 * 4096, 0);
    if (ftruncate(fd, 5)) return 1;
    munmap(m, 4 * 4096);
  }
  /* MAP_POPULATE brings in what the file has, no more */
  char *pm = mmap(0, 4 * 4096, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  printf("MAP_PRIVATE|MAP_POPULATE, a file of 5 bytes\n");
  probe("page 0", pm + 6, 0);
  probe("page 2", pm + 2 * 4096, 0);
  munmap(pm, 4 * 4096);
  /* a mapping that starts in the file and goes past it at an offset */
  if (ftruncate(fd, 3 * 4096)) return 1;
  char *m = mmap(0, 3 * 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
  printf("MAP_PRIVATE at offset 4096 of a 3-page file\n");
  probe("its page 1", m + 4096, 0);
  probe("its page 2", m + 2 * 4096, 0);
  munmap(m, 3 * 4096);
  close(fd);
  unlink(path);
  return 0;
}
