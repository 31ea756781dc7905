/* Pipes in one process: flags, capacity and PIPE_BUF atomicity (the ring of
 * page-sized buffers), F_GETPIPE_SZ/F_SETPIPE_SZ rounding and EBUSY, FIONREAD,
 * EOF, EPIPE with SIGPIPE ignored and caught, packet mode (O_DIRECT), fstat,
 * and the errors. Output is compared with the host kernel's. */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static char big[1 << 20];

static int nread(int fd) {
  int n = -1;
  ioctl(fd, FIONREAD, &n);
  return n;
}

static short revents(int fd, short ev) {
  struct pollfd p = {fd, ev, 0};
  poll(&p, 1, 0);
  return p.revents;
}

/* nonblocking writes of `chunk` bytes until EAGAIN: how many went in */
static long fill(int wfd, int chunk) {
  long total = 0;
  for (;;) {
    long n = write(wfd, big, chunk);
    if (n < 0) {
      if (errno != EAGAIN) say("fill: %s\n", errname(errno));
      return total;
    }
    total += n;
    if (n != chunk) say("fill: short write %ld of %d\n", n, chunk);
  }
}

static void drain(int rfd, long n) {
  while (n > 0) {
    long r = read(rfd, big, n > (long)sizeof big ? (long)sizeof big : n);
    if (r <= 0) {
      say("drain: %ld %s\n", r, res(r));
      return;
    }
    n -= r;
  }
}

static volatile sig_atomic_t got_sigpipe;
static void on_sigpipe(int sig) {
  (void)sig;
  got_sigpipe++;
}

int main(int argc, char **argv) {
  (void)argc;
  int p[2];
  memset(big, 'x', sizeof big);

  /* flags */
  say("pipe2 bad flags: %s\n", res(pipe2(p, O_APPEND)));
  say("pipe NULL: %s\n", res(syscall(SYS_pipe, (void *)8)));
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) return 1;
  say("fds %d %d\n", p[0], p[1]);
  say("rd flags %#x wr flags %#x\n", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));
  say("cloexec %d %d\n", fcntl(p[0], F_GETFD), fcntl(p[1], F_GETFD));
  say("size %d\n", fcntl(p[0], F_GETPIPE_SZ));
  struct stat st;
  fstat(p[0], &st);
  say("fifo %d perm %o size %ld nlink %ld\n", S_ISFIFO(st.st_mode), st.st_mode & 07777, (long)st.st_size, (long)st.st_nlink);
  char link[64] = {0};
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
  say("readlink: %s\n", readlink(path, link, sizeof link) > 0 && strncmp(link, "pipe:[", 6) == 0 ? "pipe:[...]" : link);
  say("lseek: %s\n", res(lseek(p[0], 0, SEEK_CUR)));
  say("pread: %s\n", res(pread(p[0], big, 1, 0)));
  say("read wrong end: %s\n", res(read(p[1], big, 1)));
  say("write wrong end: %s\n", res(write(p[0], big, 1)));

  /* empty: EAGAIN, revents */
  say("read empty: %s\n", res(read(p[0], big, 10)));
  say("revents rd %#x wr %#x\n", revents(p[0], POLLIN | POLLOUT), revents(p[1], POLLIN | POLLOUT));

  /* data, FIONREAD */
  say("write hello: %ld\n", (long)write(p[1], "hello", 5));
  say("fionread %d revents rd %#x\n", nread(p[0]), revents(p[0], POLLIN | POLLRDNORM));
  char buf[16] = {0};
  say("read %ld '%.*s'\n", (long)read(p[0], buf, 3), 3, buf);
  say("fionread %d\n", nread(p[0]));
  drain(p[0], 2);

  /* capacity: small writes merge into pages; 100-byte writes fit 40 a page */
  say("1-byte writes: %ld\n", fill(p[1], 1));
  say("full: fionread %d revents wr %#x\n", nread(p[0]), revents(p[1], POLLOUT));
  drain(p[0], 65536);
  say("100-byte writes: %ld\n", fill(p[1], 100));
  drain(p[0], 64000);
  say("4096-byte writes: %ld\n", fill(p[1], 4096));

  /* atomicity: with every slot in use, a PIPE_BUF write is all-or-nothing */
  drain(p[0], 100);
  long w1 = write(p[1], big, 4096);
  const char *e1 = res(w1);
  long w2 = write(p[1], big, 100);
  say("after reading 100: write 4096 %s, write 100 %s\n", e1, res(w2));
  drain(p[0], 4096 - 100);
  w1 = write(p[1], big, 4096);
  w2 = write(p[1], big, 1);
  say("a slot free: write 4096 = %ld, then write 1 %s\n", w1, res(w2));
  drain(p[0], 4096);
  say("a slot free: write 5000 = %ld (partial)\n", (long)write(p[1], big, 5000));
  drain(p[0], nread(p[0]));
  say("empty: fionread %d\n", nread(p[0]));

  /* mixed sizes: a 5000-byte write puts 904 in the last page when it fits */
  w1 = write(p[1], big, 10);
  w2 = write(p[1], big, 5000);
  long w3 = fill(p[1], 4096);
  say("write 10 = %ld, write 5000 = %ld, fill 4096 = %ld, fionread %d\n", w1, w2, w3, nread(p[0]));
  drain(p[0], nread(p[0]));

  /* F_SETPIPE_SZ rounding, EBUSY, limits */
  long sizes[] = {0, 1, 4096, 4097, 8192, 65537, 100000, 1048576, 0x80000001L, -1};
  for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    int r = fcntl(p[1], F_SETPIPE_SZ, sizes[i]);
    say("setpipe_sz %ld: %d %s -> %d\n", sizes[i], r, res(r), fcntl(p[0], F_GETPIPE_SZ));
  }
  fcntl(p[1], F_SETPIPE_SZ, 65536);
  w1 = write(p[1], big, 4096);
  w2 = write(p[1], big, 4096);
  w3 = write(p[1], big, 1);
  say("3 pages: %ld %ld %ld\n", w1, w2, w3);
  int r = fcntl(p[1], F_SETPIPE_SZ, 8192);
  say("shrink below content: %s, size %d\n", res(r), fcntl(p[1], F_GETPIPE_SZ));
  r = fcntl(p[1], F_SETPIPE_SZ, 12288);
  int sz = fcntl(p[1], F_GETPIPE_SZ);
  w1 = write(p[1], big, 4096);
  say("shrink to content: %d, size %d, then write 4096: %s\n", r, sz, res(w1));
  drain(p[0], nread(p[0]));
  int f = open(argv[0], O_RDONLY);
  say("getpipe_sz on a file: %s\n", res(fcntl(f, F_GETPIPE_SZ)));
  say("setpipe_sz on a file: %s\n", res(fcntl(f, F_SETPIPE_SZ, 4096)));
  say("unknown fcntl: %s\n", res(fcntl(f, 9999, 0)));
  close(f);

  /* EOF: data first, then 0; POLLHUP */
  write(p[1], "bye", 3);
  close(p[1]);
  say("writer gone: revents %#x\n", revents(p[0], POLLIN));
  w1 = read(p[0], buf, 2);
  w2 = read(p[0], buf, 10);
  w3 = read(p[0], buf, 10);
  say("read %ld then %ld then %ld\n", w1, w2, w3);
  say("revents at EOF %#x\n", revents(p[0], POLLIN));
  close(p[0]);

  /* EPIPE with SIGPIPE ignored; POLLERR on the write end */
  pipe(p);
  close(p[0]);
  signal(SIGPIPE, SIG_IGN);
  w1 = write(p[1], "x", 1);
  e1 = res(w1);
  say("reader gone: write %s, revents %#x\n", e1, revents(p[1], POLLOUT));
  /* and caught */
  signal(SIGPIPE, on_sigpipe);
  w1 = write(p[1], "x", 1);
  e1 = res(w1);
  say("caught: write %s, sigpipe %d\n", e1, (int)got_sigpipe);
  say("zero-length write: %s\n", res(write(p[1], "x", 0)));
  close(p[1]);

  /* packet mode */
  if (pipe2(p, O_DIRECT | O_NONBLOCK) == 0) {
    say("O_DIRECT flags %#x\n", fcntl(p[1], F_GETFL) & O_DIRECT);
    write(p[1], "abc", 3);
    write(p[1], "defg", 4);
    say("packet reads: %ld", (long)read(p[0], buf, sizeof buf));
    w1 = read(p[0], buf, 2);
    say(" %ld '%.2s'", w1, buf);
    say(" %s\n", res(read(p[0], buf, sizeof buf)));
    say("packets of 1 byte: %ld\n", fill(p[1], 1));
    close(p[0]);
    close(p[1]);
  }

  /* F_SETFL O_NONBLOCK toggling reaches the pipe */
  pipe(p);
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  say("after F_SETFL: %s\n", res(read(p[0], buf, 1)));
  int on = 0;
  ioctl(p[0], FIONBIO, &on);
  say("FIONBIO off: flags %#x\n", fcntl(p[0], F_GETFL));
  return 0;
}
