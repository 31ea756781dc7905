/* Blocking pipe writes larger than the pipe: a writer blocks until all of it
 * is through (one write() call returns the whole count), and a signal that
 * interrupts it after part went through makes write() return that part, not
 * EINTR, with or without SA_RESTART; with nothing written, SA_RESTART
 * restarts it and no SA_RESTART gives EINTR. A read into a bad buffer
 * leaves the pipe's data where it was. */
#include "common.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define BIG (1 << 20)
static char buf[BIG];
static void on_alarm(int s) { (void)s; }

static void handler(int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGALRM, &sa, NULL);
}

/* A pipe whose reader, a child, reads `chunk` bytes at a time and reports
 * the total at EOF; p[1] is left open for the caller to write. */
static pid_t slow_reader(int p[2], size_t chunk) {
  static char rb[8192];
  if (pipe(p) < 0) _exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[1]);
    long total = 0, n;
    while ((n = read(p[0], rb, chunk)) > 0) total += n;
    say("reader got %ld\n", total);
    _exit(0);
  }
  close(p[0]);
  return pid;
}

int main(void) {
  int p[2];
  memset(buf, 'x', sizeof buf);

  /* a slow reader in a child: one write of 1 MiB still returns 1 MiB */
  pid_t pid = slow_reader(p, 7000);
  long w = write(p[1], buf, BIG);
  say("one write of 1 MiB to a slow reader: %ld\n", w);
  close(p[1]);
  waitpid(pid, NULL, 0);

  /* writev: the same, across segments */
  pid = slow_reader(p, 5000);
  struct iovec iov[3] = { { buf, 100000 }, { buf, 1 }, { buf, 300000 } };
  say("writev of 400001 bytes: %ld\n", (long)writev(p[1], iov, 3));
  close(p[1]);
  waitpid(pid, NULL, 0);

  /* nobody reads: the writer fills the pipe (64 KiB) and blocks; SIGALRM
   * ends the write with the part written, SA_RESTART or not */
  for (int restart = 0; restart <= 1; restart++) {
    if (pipe(p) < 0) return 1;
    handler(restart);
    alarm(1);
    errno = 0;
    w = write(p[1], buf, 256 * 1024);
    say("blocked write interrupted (SA_RESTART %d): %ld %s\n", restart, w, w < 0 ? errname(errno) : "");
    close(p[0]);
    close(p[1]);
  }

  /* a full pipe, then a write that can't start: EINTR without SA_RESTART */
  if (pipe(p) < 0) return 1;
  w = write(p[1], buf, 65536);
  say("filled: %ld\n", w);
  handler(0);
  alarm(1);
  errno = 0;
  w = write(p[1], buf, 100);
  say("write into a full pipe, interrupted: %ld %s\n", w, w < 0 ? errname(errno) : "");
  /* a read into a bad buffer fails with EFAULT and leaves the data in the pipe */
  if (pipe(p) < 0) return 1;
  (void)!write(p[1], "abc", 3);
  errno = 0;
  void *volatile bad = (void *)16;
  long r = read(p[0], bad, 3);
  say("read into a bad address: %ld %s\n", r, r < 0 ? errname(errno) : "");
  char got[4] = { 0 };
  r = read(p[0], got, 3);
  say("then: %ld %s\n", r, got);
  say("done\n");
  return 0;
}
