/* What a fault says of the access that raised it: the signal, its si_code,
 * and the write and fetch bits of the x86 error code in the signal frame
 * (uc_mcontext's REG_ERR), for reads, writes and jumps to memory mapped
 * without that right, to nothing, and past a file's end (a write there to
 * a read-only mapping is SIGSEGV, not SIGBUS). Each access runs in a child,
 * whose handler prints and exits. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define PG 4096

static void on_fault(int sig, siginfo_t *si, void *uc) {
  long err = ((ucontext_t *)uc)->uc_mcontext.gregs[REG_ERR];
  printf("%s code %d, write %d, fetch %d\n", sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : "?", si->si_code,
         (err & 2) != 0, (err & 16) != 0);
  fflush(stdout);
  _exit(0);
}

static void run(const char *what, char *p, int how) {
  printf("%s: ", what);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGBUS, &sa, 0);
    if (how == 0) {
      printf("read '%c'\n", *(volatile char *)p);
    } else if (how == 1) {
      *(volatile char *)p = 'w';
      printf("wrote\n");
    } else {
      ((void (*)(void))p)();
      printf("returned\n");
    }
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *path = argc > 1 ? argv[1] : "/tmp/fault_err.dat";
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  char b[PG];
  memset(b, 'f', PG);
  if (fd < 0 || write(fd, b, PG) != PG) {
    perror(path);
    return 1;
  }
  /* two pages of a one-page file, read-only: the second lies past the end */
  char *f = mmap(0, 2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  char *ro = mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *none = mmap(0, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *data = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *hole = mmap(0, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(hole, PG);
  memset(data, 0xc3, PG); /* ret */
  run("read, read-only file page", f, 0);
  run("write, read-only file page", f + 10, 1);
  run("read, read-only page past the file's end", f + PG, 0);
  run("write, read-only page past the file's end", f + PG + 10, 1);
  run("write, read-only anonymous page never touched", ro, 1);
  run("read, PROT_NONE page", none, 0);
  run("write, PROT_NONE page", none, 1);
  run("jump, PROT_NONE page", none, 2);
  run("jump, read-write page", data, 2);
  run("read, nothing mapped", hole, 0);
  run("write, nothing mapped", hole, 1);
  run("jump, nothing mapped", hole, 2);
  unlink(path);
  return 0;
}
