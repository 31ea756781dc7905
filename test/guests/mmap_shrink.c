/* A file shrunk under its mappings (truncate_pagecache): every mapping's
 * pages wholly past the new end go, copies the guest wrote included, so the
 * next access is SIGBUS; the page the end falls in shows zeros past it
 * where the guest had not written it; a page it wrote before the end keeps
 * what it wrote. In this process and in another that maps the file (a
 * child, told by a pipe), and with the file grown again afterwards. The
 * file argv[1] names. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mapfile.h"
#include "touch.h"

#define PG 4096
/* read (or write) one byte and say what happened */
static void probe(const char *what, volatile char *p, int write) {
  char c = 0;
  int sig = touch(p, write, &c);
  if (sig == 0) printf("  %s: %s '%c'\n", what, write ? "wrote" : "reads", c ? c : '0');
  else printf("  %s: %s\n", what, sig == SIGBUS ? "SIGBUS" : sig == SIGSEGV ? "SIGSEGV" : "?");
}

/* a file of three pages: page i filled with 'a' + i */
static int fill(const char *path) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  char b[PG];
  for (int i = 0; i < 3; i++) {
    memset(b, 'a' + i, PG);
    if (write(fd, b, PG) != PG) return -1;
  }
  return fd;
}


int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  touch_catch();
  const char *path = argc > 1 ? argv[1] : "/tmp/mmap_shrink.dat";

  for (int kind = 0; kind < 3; kind++) {
    static const char *names[] = { "MAP_PRIVATE, PROT_READ", "MAP_PRIVATE, PROT_READ|PROT_WRITE", "MAP_SHARED" };
    int fd = fill(path);
    if (fd < 0) { perror(path); return 1; }
    char *m = map_file(fd, 3 * PG, kind == 0 ? PROT_READ : PROT_READ | PROT_WRITE, kind == 2 ? MAP_SHARED : MAP_PRIVATE);
    printf("%s: three pages, shrunk to one page and 100 bytes\n", names[kind]);
    if (kind == 0) {
      for (int i = 0; i < 3; i++) probe("before: page", m + i * PG + 10, 0);
    } else {
      /* written: page 0 before the new end, page 1 (where the end falls: a private copy keeps what it holds past
       * the end), page 2 past it (a private copy, or the file's own page) */
      probe("before: page 0", m + 10, 1);
      probe("before: page 1", m + PG + 10, 1);
      probe("before: page 2", m + 2 * PG + 10, 1);
    }
    if (ftruncate(fd, PG + 100) != 0) { perror("ftruncate"); return 1; }
    probe("page 0, byte 10", m + 10, 0);
    probe("page 0, byte 200", m + 200, 0);
    probe("page 1, byte 10", m + PG + 10, 0);
    probe("page 1, byte 50", m + PG + 50, 0);
    probe("page 1, byte 200 (past the end)", m + PG + 200, 0);
    probe("page 2", m + 2 * PG + 10, 0);
    /* (not in the read-only mapping: a write there is SIGSEGV on Linux, and on ptrace umlts cannot tell a write
     * from a read at a page its host has not mapped: fault_err.c, README) */
    if (kind != 0) probe("page 2 (write)", m + 2 * PG + 20, 1);
    if (ftruncate(fd, 3 * PG) != 0) { perror("ftruncate"); return 1; }
    printf("  grown again to three pages\n");
    probe("page 1, byte 200", m + PG + 200, 0);
    probe("page 2", m + 2 * PG + 10, 0);
    munmap(m, 3 * PG);
    close(fd);
  }

  /* another process's mapping: the child maps and reads the file, the parent shrinks it (ftruncate, truncate by
   * path, an open with O_TRUNC: to nothing; the last time while the child runs, spinning on a shared word), the
   * child reads again */
  volatile int *flag = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  /* (argv[2] "stopped": the running child makes a system call before its access, as the shrink reaches a
   * thread running guest code at once only on systrap, README) */
  int stops = argc > 2 && !strcmp(argv[2], "stopped");
  for (int how = 0; how < 5; how++) {
    static const char *hows[] = { "ftruncate to one page", "ftruncate to one page", "truncate(2) to one page", "open(O_TRUNC)",
                                  "ftruncate to one page, the child running" };
    *flag = 0;
    int wrote = how == 1;
    int fd = fill(path);
    int ready[2], go[2];
    if (fd < 0 || pipe(ready) < 0 || pipe(go) < 0) return 1;
    printf("a child's MAP_PRIVATE mapping%s, the file shrunk by its parent: %s\n", wrote ? " (page 2 written)" : "", hows[how]);
    pid_t c = fork();
    if (c == 0) {
      char *m = map_file(fd, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
      volatile char x = m[10] + m[PG + 10];
      (void)x;
      if (wrote) m[2 * PG + 10] = 'w';
      else x = m[2 * PG + 10];
      char b = 0;
      if (write(ready[1], "r", 1) != 1) _exit(1);
      if (how == 4) {
        /* no system call between the parent's shrink and this access (a trap would let umlts catch up) */
        touch_sig = 0;
        if (!sigsetjmp(touch_jb, 1)) {
          while (*flag == 0) {}
          if (stops) getppid();
          b = m[2 * PG + 10];
        }
        printf("  child: page 2, read as soon as the parent's ftruncate returned: %s\n", touch_sig == SIGBUS ? "SIGBUS" : "read");
      } else if (read(go[0], &b, 1) != 1) {
        _exit(1);
      }
      probe("child: page 0", m + 10, 0);
      probe("child: page 1", m + PG + 10, 0);
      probe("child: page 2", m + 2 * PG + 10, 0);
      _exit(0);
    }
    char b = 0;
    if (read(ready[0], &b, 1) != 1) return 1;
    if ((how <= 1 || how == 4) && ftruncate(fd, PG) != 0) { perror("ftruncate"); return 1; }
    *flag = 1;
    if (how == 2 && truncate(path, PG) != 0) { perror("truncate"); return 1; }
    if (how == 3) {
      int t = open(path, O_WRONLY | O_TRUNC);
      if (t < 0) { perror("open"); return 1; }
      close(t);
    }
    if (write(go[1], "g", 1) != 1) return 1;
    int st = 0;
    waitpid(c, &st, 0);
    printf("  child exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    close(fd);
    close(ready[0]); close(ready[1]); close(go[0]); close(go[1]);
  }
  unlink(path);
  return 0;
}
