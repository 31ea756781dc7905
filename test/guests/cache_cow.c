/* The kernel's own writes into a private mapping's page never touched
 * before (read(2) into it, a futex word): the mapping gets its own copy,
 * and every other mapping of the file (this process's, a child's, one made
 * later) and read(2) still show the file. umlts shares a host file's pages
 * between mappings through its page cache, copy-on-write. The file:
 * argv[1], created here. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mapfile.h"

#define PG 4096


int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *path = argc > 1 ? argv[1] : "/tmp/cache_cow.dat";
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  char b[2 * PG];
  memset(b, 'o', sizeof b);
  if (fd < 0 || write(fd, b, sizeof b) != (ssize_t)sizeof b) {
    perror(path);
    return 1;
  }
  close(fd);
  /* opened read-only: a private writable mapping is still allowed */
  fd = open(path, O_RDONLY);
  char *early = map_file(fd, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  printf("a mapping made first reads '%c' '%c'\n", early[10], early[PG + 10]);
  char *p = map_file(fd, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  int pipefd[2];
  if (pipe(pipefd) < 0 || write(pipefd[1], "XXXXXXXX", 8) != 8) return 1;
  ssize_t n = read(pipefd[0], p, 8);
  printf("read(2) into a fresh private page: %zd, it holds '%c'\n", n, p[0]);
  /* the second page: FUTEX_WAKE_OP sets the word at uaddr2 (FUTEX_OP_SET, oparg 'Y') */
  long r = syscall(SYS_futex, (int *)(p + PG), 5 /* FUTEX_WAKE_OP */, 0, 0, (int *)(p + PG), 'Y' << 12);
  printf("FUTEX_WAKE_OP on a fresh private page: %ld, it holds '%c'\n", r, p[PG]);
  char *later = map_file(fd, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  char *ro = map_file(fd, 2 * PG, PROT_READ, MAP_PRIVATE);
  printf("the first mapping: '%c' '%c'; a later one: '%c' '%c'; a read-only one: '%c' '%c'\n", early[0], early[PG],
         later[0], later[PG], ro[0], ro[PG]);
  pid_t c = fork();
  if (c == 0) {
    int f2 = open(path, O_RDONLY);
    char *m = map_file(f2, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    printf("a child's new mapping: '%c' '%c'\n", m[0], m[PG]);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  char x[2];
  if (pread(fd, x, 1, 0) != 1 || pread(fd, x + 1, 1, PG) != 1) return 1;
  printf("read(2) of the file: '%c' '%c'\n", x[0], x[1]);
  unlink(path);
  return 0;
}
