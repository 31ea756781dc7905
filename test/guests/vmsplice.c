/* vmsplice(2): user pages into a pipe and back out, partial moves, the
 * waits (only SPLICE_F_NONBLOCK avoids them, not the pipe's O_NONBLOCK),
 * EPIPE with SIGPIPE, and the checks' order. Differential; buffers are
 * page-aligned and whole pages (Linux gives each segment its own pipe slot,
 * a page at most: unaligned or small segments fill a pipe sooner there). */
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <sys/mman.h>

/* the count, or -1 and the errno's name */
static const char *num(long r) {
  static char b[64];
  if (r < 0) snprintf(b, sizeof b, "-1 %s", errname(errno));
  else snprintf(b, sizeof b, "%ld", r);
  return b;
}
static volatile int got_pipe;
static void on_pipe(int s) { (void)s; got_pipe = 1; }
static void on_alarm(int s) { (void)s; }

int main(void) {
  const size_t PG = 4096;
  char *buf = aligned_alloc(PG, 32 * PG), *in = aligned_alloc(PG, 32 * PG);
  for (size_t i = 0; i < 32 * PG; i++) buf[i] = (char)(i * 7 + 1);
  int p[2];
  if (pipe(p)) return 1;
  struct iovec v[2] = { { buf, 2 * PG }, { buf + 4 * PG, PG } };
  say("to the pipe, two segments: %s\n", num(vmsplice(p[1], v, 2, 0)));
  struct iovec o = { in, 32 * PG };
  long n = vmsplice(p[0], &o, 1, 0);
  say("from the pipe: %s, same bytes %d\n", num(n), n == 3 * (long)PG && !memcmp(in, buf, 2 * PG) && !memcmp(in + 2 * PG, buf + 4 * PG, PG));
  say("from the empty pipe, SPLICE_F_NONBLOCK: %s\n", num(vmsplice(p[0], &o, 1, SPLICE_F_NONBLOCK)));
  /* a blocking read end that stays empty: interrupted (no SA_RESTART) */
  struct sigaction sa = { 0 };
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, 0);
  alarm(1);
  say("from the empty pipe, waiting: %s\n", num(vmsplice(p[0], &o, 1, 0)));
  /* the pipe's O_NONBLOCK does not make vmsplice not wait: fill it, then one more page would wait */
  fcntl(p[1], F_SETFL, O_NONBLOCK);
  struct iovec big = { buf, 32 * PG };
  say("32 pages into a 16-page pipe: %s\n", num(vmsplice(p[1], &big, 1, 0)));
  say("full, SPLICE_F_NONBLOCK: %s\n", num(vmsplice(p[1], &big, 1, SPLICE_F_NONBLOCK)));
  alarm(1);
  say("full, O_NONBLOCK pipe, no flag (waits, then the alarm): %s\n", num(vmsplice(p[1], &big, 1, 0)));
  say("a write(2) to it: %s\n", num(write(p[1], buf, 1)));
  say("drained: %s\n", num(read(p[0], in, 32 * PG)));
  /* checks */
  say("flags 0x10: %s\n", num(vmsplice(p[1], v, 1, 0x10)));
  say("bad fd: %s\n", num(vmsplice(99, v, 1, 0)));
  say("1025 segments: %s\n", num(vmsplice(p[1], v, 1025, 0)));
  say("no segments on a regular file: %s\n", ({ int f = open("/proc/self/status", O_RDONLY); long r = vmsplice(f, v, 0, 0); close(f); r; }) == 0 ? "0" : "nonzero");
  int f = open("/proc/self/status", O_RDONLY);
  say("a regular file: %s\n", num(vmsplice(f, v, 1, 0)));
  close(f);
  say("a bad iovec address: %s\n", num(vmsplice(p[1], (struct iovec *)8, 1, 0)));
  struct iovec bad = { (void *)8, PG };
  say("a bad buffer: %s\n", num(vmsplice(p[1], &bad, 1, 0)));
  /* no reader: EPIPE and SIGPIPE */
  signal(SIGPIPE, on_pipe);
  close(p[0]);
  long r = vmsplice(p[1], v, 1, 0);
  say("no reader: %s, SIGPIPE %d\n", num(r), got_pipe);
  return 0;
}
