/* MAP_SHARED mappings of a regular file in the folder argv[1] (a host
 * folder under umlts: --rw; or the guest's tmpfs): the mapping and
 * read/write see each other's bytes at once, another process's own
 * mapping of the file sees them too, a forked child's writes through the
 * inherited mapping reach the parent and the file, what was written
 * through a mapping is in the file after munmap and close, a file grown
 * by ftruncate shows its new pages, and a page wholly past the end of the
 * file is SIGBUS (mm/filemap.c: filemap_fault). Prints what it saw. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf jb;
static void on_bus(int sig) { siglongjmp(jb, sig); }

static void show(const char *what, const char *p, int n) {
  printf("%s: ", what);
  for (int i = 0; i < n; i++) putchar(p[i] >= 32 && p[i] < 127 ? p[i] : '.');
  putchar('\n');
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  char path[4096];
  snprintf(path, sizeof path, "%s/mmap_shared_file.dat", argv[1]);
  unlink(path);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, 8192) != 0) { perror("open/ftruncate"); return 1; }
  char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) { perror("mmap"); return 1; }

  pwrite(fd, "hello", 5, 0);
  show("the mapping sees pwrite", m, 5);
  memcpy(m + 4096, "world", 5);
  char b[16] = {0};
  pread(fd, b, 5, 4096);
  show("pread sees the mapping's write", b, 5);
  printf("msync MS_SYNC: %d\n", msync(m, 8192, MS_SYNC));
  int fd2 = open(path, O_RDONLY);
  memset(b, 0, sizeof b);
  pread(fd2, b, 5, 4096);
  show("another open file sees it", b, 5);

  /* a child maps the file itself; the parent writes; the child reports what it sees, then writes */
  int go[2], back[2];
  if (pipe(go) || pipe(back)) return 1;
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    int cfd = open(path, O_RDWR);
    char *cm = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
    char x;
    read(go[0], &x, 1);
    show("child's own mapping sees the parent's write", cm + 200, 6);
    fflush(stdout);
    memcpy(cm + 300, "child2", 6);
    memcpy(m + 100, "child1", 6); /* through the inherited mapping */
    write(back[1], "y", 1);
    _exit(0);
  }
  memcpy(m + 200, "parent", 6);
  write(go[1], "x", 1);
  char y;
  read(back[0], &y, 1);
  waitpid(c, NULL, 0);
  show("parent sees the inherited mapping's write", m + 100, 6);
  show("parent sees the child's own mapping's write", m + 300, 6);

  /* grown by ftruncate: the new page reads zero, writes reach the file */
  char *m3 = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_bus;
  sigaction(SIGBUS, &sa, NULL);
  int sig = sigsetjmp(jb, 1);
  if (sig == 0) {
    volatile char v = m3[2 * 4096];
    printf("a page past the end read %d\n", v);
  } else {
    printf("a page past the end: signal %d\n", sig);
  }
  ftruncate(fd, 3 * 4096);
  printf("after ftruncate it reads %d\n", m3[2 * 4096 + 10]);
  memcpy(m3 + 2 * 4096 + 10, "grown", 5);
  munmap(m3, 3 * 4096);

  munmap(m, 8192);
  close(fd);
  struct stat st;
  fstat(fd2, &st);
  printf("size %lld\n", (long long)st.st_size);
  static char all[3 * 4096];
  ssize_t n = pread(fd2, all, sizeof all, 0);
  printf("read back %zd bytes\n", n);
  show("at 0", all, 5);
  show("at 100", all + 100, 6);
  show("at 200", all + 200, 6);
  show("at 300", all + 300, 6);
  show("at 4096", all + 4096, 5);
  show("at 8202", all + 8202, 5);
  close(fd2);
  unlink(path);
  return 0;
}
