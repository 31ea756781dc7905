/* Reads and writes whose buffers fault part-way, and buffers changed while a
 * call sleeps (lib/iov_iter.c, fs/pipe.c, fs/read_write.c):
 *  - pwrite, pread, getrandom and a pipe read into 200 bytes whose last 100
 *    are unmapped move the first 100 (a pipe keeps the rest);
 *  - a blocking pipe write whose buffer's second half is unmapped while it
 *    waits for room writes the first half, then stops;
 *  - writev and readv asleep on a pipe use the iovec array the call
 *    started with: another thread shrinking a length, or unmapping the
 *    array, changes nothing.
 * The other thread acts only once the caller sleeps (its /proc stat says S). */
#define _GNU_SOURCE
#include "asleep.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define P 4096
#define N (256 * 1024)

static void say(const char *what, long r) {
  printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static pid_t callerTid;
/* wait until the calling thread sleeps in its call, then a little longer */
static void waitAsleep(void) {
  wait_asleep(callerTid);
}

static int p[2];
static unsigned char *buf;
static struct iovec iv[2];
static struct iovec *mapped;
static long got;

/* drains the pipe after acting (mode: 1 unmaps buf's second half, 2 shrinks iv[1]) */
static void *drainer(void *arg) {
  long mode = (long)arg;
  waitAsleep();
  if (mode == 1) munmap(buf + N / 2, N / 2);
  if (mode == 2) iv[1].iov_len = 0;
  unsigned char b[P];
  long n;
  got = 0;
  while ((n = read(p[0], b, sizeof b)) > 0) got += n;
  return NULL;
}

/* unmaps the iovec array, then writes what the sleeping readv waits for */
static void *unmapThenWrite(void *arg) {
  (void)arg;
  waitAsleep();
  munmap(mapped, P);
  if (write(p[1], "hi", 2) != 2) printf("write: %s\n", strerror(errno));
  return NULL;
}

static void blockedWrite(long mode) {
  if (pipe(p) != 0) return;
  buf = mmap(NULL, N, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (long i = 0; i < N; i++) buf[i] = (unsigned char)(i * 7 / P);
  iv[0] = (struct iovec){ buf, N / 2 };
  iv[1] = (struct iovec){ buf + N / 2, N / 2 };
  callerTid = (pid_t)syscall(SYS_gettid);
  pthread_t th;
  pthread_create(&th, NULL, drainer, (void *)mode);
  long r = mode == 2 ? writev(p[1], iv, 2) : write(p[1], buf, N);
  int e = errno;
  close(p[1]);
  pthread_join(th, NULL);
  close(p[0]);
  errno = e;
  printf("%s: %ld %s, the reader got %ld\n", mode == 1 ? "write, its second half unmapped while it waits" :
         "writev, its second length made 0 while it waits", r, r < 0 ? strerror(e) : "", got);
  munmap(buf, N);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  char *a = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(a + P, P);
  char *edge = a + P - 100;
  int fd = memfd_create("partial", 0);
  static char zeros[2 * P];
  if (pwrite(fd, zeros, sizeof zeros, 0) != sizeof zeros) return 1;
  say("pwrite across the end of the mapping", pwrite(fd, edge, 200, 0));
  say("pread across the end of the mapping", pread(fd, edge, 200, 0));
  say("getrandom across the end of the mapping", getrandom(edge, 200, 0));
  say("pread wholly past it", pread(fd, a + P, 200, 0));
  if (pipe(p) != 0) return 1;
  static char msg[300];
  memset(msg, 'm', sizeof msg);
  if (write(p[1], msg, sizeof msg) != sizeof msg) return 1;
  say("pipe read across the end of the mapping", read(p[0], edge, 200));
  say("what the pipe kept", read(p[0], msg, sizeof msg));
  close(p[0]);
  close(p[1]);

  blockedWrite(1);
  blockedWrite(2);

  /* readv asleep on a pipe, its iovec array unmapped meanwhile */
  if (pipe(p) != 0) return 1;
  mapped = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  static char into[16];
  mapped[0] = (struct iovec){ into, sizeof into };
  callerTid = (pid_t)syscall(SYS_gettid);
  pthread_t th;
  pthread_create(&th, NULL, unmapThenWrite, NULL);
  long r = readv(p[0], mapped, 1);
  int e = errno;
  pthread_join(th, NULL);
  errno = e;
  printf("readv, its iovec array unmapped while it waits: %ld %s \"%.2s\"\n", r, r < 0 ? strerror(e) : "", into);
  return 0;
}
