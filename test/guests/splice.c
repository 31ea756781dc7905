/* sendfile, splice, tee and copy_file_range between files, pipes and
 * sockets: what moves, what stays behind (no byte lost when the
 * destination takes less than was read), offsets read and written back,
 * and the errors. Files go in the directory argv[1] (one filesystem) and
 * /dev/shm (another). Output is compared with the host kernel's. */
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

static char big[1 << 17];
static char dir[3000];

static char *at(const char *name) {
  static char buf[4][4096];
  static int k;
  char *b = buf[k++ & 3];
  snprintf(b, 4096, "%s/%s", dir, name);
  return b;
}

static int mkfile(const char *path, const char *content, long size) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (content) (void)!write(fd, content, strlen(content));
  else
    for (long done = 0; done < size;) done += write(fd, big, size - done > (long)sizeof big ? (long)sizeof big : size - done);
  lseek(fd, 0, SEEK_SET);
  return fd;
}

static long avail(int fd) {
  long n = 0;
  char b[4096];
  for (;;) {
    long k = read(fd, b, sizeof b);
    if (k <= 0) break;
    n += k;
  }
  return n;
}

static long cfr(int in, long long *offin, int out, long long *offout, size_t len, unsigned flags) {
  return syscall(SYS_copy_file_range, in, offin, out, offout, len, flags);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  snprintf(dir, sizeof dir, "%s", argv[1]);
  signal(SIGPIPE, SIG_IGN);
  for (unsigned i = 0; i < sizeof big; i++) big[i] = 'a' + i % 26;
  char buf[256];

  /* ---- sendfile ---- */
  int src = mkfile(at("src"), "0123456789abcdefghij", 0);
  int dst = mkfile(at("dst"), "", 0);
  long n = sendfile(dst, src, NULL, 8);
  say("sendfile file->file: %ld, src pos %ld, dst pos %ld\n", n, (long)lseek(src, 0, SEEK_CUR), (long)lseek(dst, 0, SEEK_CUR));
  off_t off = 15;
  n = sendfile(dst, src, &off, 100);
  say("with an offset, past the end: %ld, off %ld, src pos %ld\n", n, (long)off, (long)lseek(src, 0, SEEK_CUR));
  memset(buf, 0, sizeof buf);
  (void)!pread(dst, buf, sizeof buf, 0);
  say("dst: %s\n", buf);
  off = -1;
  say("negative offset: %s\n", res(sendfile(dst, src, &off, 1)));
  say("count 0: %ld\n", (long)sendfile(dst, src, NULL, 0));
  int ap = open(at("dst"), O_WRONLY | O_APPEND);
  say("to O_APPEND: %s\n", res(sendfile(ap, src, NULL, 1)));
  int ro = open(at("dst"), O_RDONLY);
  say("to a read-only file: %s\n", res(sendfile(ro, src, NULL, 1)));
  int wo = open(at("src"), O_WRONLY);
  say("from a write-only file: %s\n", res(sendfile(dst, wo, NULL, 1)));
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  say("from a directory: %s\n", res(sendfile(dst, dfd, NULL, 1)));
  say("bad fds: %s %s\n", res(sendfile(99, src, NULL, 1)), res(sendfile(dst, 99, NULL, 1)));

  int p[2];
  (void)!pipe(p);
  (void)!write(p[1], "pipe!", 5);
  say("from a pipe: %s\n", res(sendfile(dst, p[0], NULL, 5)));
  lseek(src, 0, SEEK_SET);
  n = sendfile(p[1], src, NULL, 20);
  say("to a pipe: %ld\n", n);
  n = read(p[0], buf, sizeof buf);
  say("  the pipe holds %ld: %.*s\n", n, (int)n, buf);
  /* a nearly full non-blocking pipe takes one page; the rest stays in the source */
  int q[2];
  (void)!pipe2(q, O_NONBLOCK);
  for (int i = 0; i < 15; i++) (void)!write(q[1], big, 4096);
  int bigf = mkfile(at("big"), NULL, 100000);
  n = sendfile(q[1], bigf, NULL, 100000);
  say("into one free page: %ld, src pos %ld\n", n, (long)lseek(bigf, 0, SEEK_CUR));
  say("into a full pipe: %s\n", res(sendfile(q[1], bigf, NULL, 100000)));
  close(q[0]);
  say("into a pipe with no reader: %s\n", res(sendfile(q[1], bigf, NULL, 10)));
  close(q[1]);

  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  lseek(src, 0, SEEK_SET);
  n = sendfile(sv[0], src, NULL, 20);
  say("to a socket: %ld\n", n);
  n = read(sv[1], buf, sizeof buf);
  say("  the peer reads %ld: %.*s\n", n, (int)n, buf);
  (void)!write(sv[1], "from the socket", 15);
  int sfile = mkfile(at("fromsock"), "", 0);
  say("from a socket to a file: %s\n", res(sendfile(sfile, sv[0], NULL, 100)));
  int zero = open("/dev/zero", O_RDONLY);
  say("from /dev/zero to a file: %s\n", res(sendfile(sfile, zero, NULL, 100)));
  (void)!pipe(p);
  n = sendfile(p[1], sv[0], NULL, 100);
  say("from a socket to a pipe: %ld\n", n);
  n = read(p[0], buf, sizeof buf);
  say("  the pipe: %.*s\n", (int)n, buf);
  n = sendfile(p[1], zero, NULL, 100);
  say("from /dev/zero to a pipe: %ld\n", n);
  close(p[0]);
  close(p[1]);
  /* a socket's bytes that a pipe had no room for stay in the socket */
  (void)!pipe2(q, O_NONBLOCK);
  for (int i = 0; i < 15; i++) (void)!write(q[1], big, 4096);
  (void)!write(sv[1], big, 6000);
  n = sendfile(q[1], sv[0], NULL, 10000);
  fcntl(sv[0], F_SETFL, O_NONBLOCK);
  long left = avail(sv[0]);
  say("socket into one free page: some (%d), nothing lost: %d\n", n > 0 && n <= 4096, n + left == 6000);
  fcntl(sv[0], F_SETFL, 0);
  close(q[0]);
  close(q[1]);
  /* a blocking socket destination takes all of it */
  pid_t c = fork();
  if (c == 0) {
    close(sv[0]);
    long got = 0;
    for (;;) {
      long k = read(sv[1], big, sizeof big);
      if (k <= 0) break;
      got += k;
    }
    _exit(got == 1000000 ? 0 : 1);
  }
  close(sv[1]);
  int mb = mkfile(at("mb"), NULL, 1000000);
  n = sendfile(sv[0], mb, NULL, 2000000);
  close(sv[0]);
  int cst;
  waitpid(c, &cst, 0);
  say("a megabyte into a socket the child drains: %ld, all arrived: %d\n", n, WEXITSTATUS(cst) == 0);

  /* ---- splice ---- */
  (void)!pipe(p);
  lseek(src, 0, SEEK_SET);
  loff_t lo = 4;
  n = splice(src, &lo, p[1], NULL, 6, 0);
  say("splice file->pipe at 4: %ld, off %lld, src pos %ld\n", n, (long long)lo, (long)lseek(src, 0, SEEK_CUR));
  int out = mkfile(at("out"), "", 0);
  lo = 2;
  n = splice(p[0], NULL, out, &lo, 100, 0);
  say("splice pipe->file at 2: %ld, off %lld, out pos %ld\n", n, (long long)lo, (long)lseek(out, 0, SEEK_CUR));
  memset(buf, 0, sizeof buf);
  n = pread(out, buf, sizeof buf, 0);
  say("  out: %ld [%d %d] %s\n", n, buf[0], buf[1], buf + 2);
  int p2[2];
  (void)!pipe(p2);
  (void)!write(p[1], "pipe to pipe", 12);
  say("splice pipe->pipe: %ld\n", (long)splice(p[0], NULL, p2[1], NULL, 4, 0));
  n = read(p2[0], buf, sizeof buf);
  say("  moved %.*s; left %ld\n", (int)n, buf, (long)read(p[0], buf, sizeof buf));
  say("same pipe: %s\n", res(splice(p[0], NULL, p[1], NULL, 4, 0)));
  say("no pipe: %s\n", res(splice(src, NULL, out, NULL, 4, 0)));
  lo = 0;
  say("offset on the pipe side: %s %s\n", res(splice(p[0], &lo, out, NULL, 4, 0)), res(splice(src, NULL, p[1], &lo, 4, 0)));
  say("bad flags: %s\n", res(splice(p[0], NULL, out, NULL, 4, 0x10)));
  say("len 0: %ld\n", (long)splice(p[0], NULL, out, NULL, 0, 0));
  say("empty pipe, SPLICE_F_NONBLOCK: %s\n", res(splice(p[0], NULL, out, NULL, 4, SPLICE_F_NONBLOCK)));
  say("to O_APPEND: %s\n", res(splice(p[0], NULL, ap, NULL, 4, SPLICE_F_NONBLOCK)));
  say("write end as input: %s\n", res(splice(p[1], NULL, out, NULL, 4, 0)));
  close(p[1]);
  say("empty pipe, no writer: %ld\n", (long)splice(p[0], NULL, out, NULL, 4, 0));
  close(p[0]);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  (void)!pipe(p);
  (void)!write(sv[1], "sock->pipe", 10);
  n = splice(sv[0], NULL, p[1], NULL, 100, 0);
  say("splice socket->pipe: %ld\n", n);
  n = splice(p[0], NULL, sv[0], NULL, 100, 0);
  say("splice pipe->socket: %ld\n", n);
  n = read(sv[1], buf, sizeof buf);
  say("  the peer reads: %.*s\n", (int)n, buf);

  /* ---- tee ---- */
  (void)!write(p[1], "tee data", 8);
  (void)!pipe(p2);
  n = tee(p[0], p2[1], 100, 0);
  say("tee: %ld\n", n);
  n = read(p2[0], buf, sizeof buf);
  say("  copy: %.*s", (int)n, buf);
  n = read(p[0], buf, sizeof buf);
  say(", original still there: %.*s\n", (int)n, buf);
  say("tee of an empty pipe, nonblocking: %s\n", res(tee(p[0], p2[1], 100, SPLICE_F_NONBLOCK)));
  say("tee to itself: %s\n", res(tee(p[0], p[1], 100, 0)));
  say("tee with a file: %s\n", res(tee(src, p2[1], 100, 0)));
  close(p[1]);
  say("tee of an empty pipe, no writer: %ld\n", (long)tee(p[0], p2[1], 100, 0));

  /* ---- copy_file_range ---- */
  int a = mkfile(at("cfa"), "0123456789", 0);
  int b = mkfile(at("cfb"), "", 0);
  long long oi = 2, oo = 0;
  n = cfr(a, &oi, b, &oo, 5, 0);
  say("copy_file_range: %ld, offsets %lld %lld, positions %ld %ld\n", n, oi, oo, (long)lseek(a, 0, SEEK_CUR), (long)lseek(b, 0, SEEK_CUR));
  n = cfr(a, NULL, b, NULL, 100, 0);
  say("without offsets, to the end: %ld, positions %ld %ld\n", n, (long)lseek(a, 0, SEEK_CUR), (long)lseek(b, 0, SEEK_CUR));
  memset(buf, 0, sizeof buf);
  (void)!pread(b, buf, sizeof buf, 0);
  say("  b: %s\n", buf);
  oi = -1;
  say("negative in: %s\n", res(cfr(a, &oi, b, NULL, 5, 0)));
  say("negative in, len 0: %s\n", res(cfr(a, &oi, b, NULL, 0, 0)));
  oi = 0;
  oo = -5;
  say("negative out: %s\n", res(cfr(a, &oi, b, &oo, 5, 0)));
  oo = 0;
  say("huge len: %ld\n", cfr(a, &oi, b, &oo, SIZE_MAX, 0));
  oi = INT64_MAX - 3;
  say("in near the limit: %ld\n", cfr(a, &oi, b, NULL, 5, 0));
  oi = 100;
  say("past the end: %ld\n", cfr(a, &oi, b, NULL, 5, 0));
  say("flags: %s\n", res(cfr(a, NULL, b, NULL, 5, 1)));
  oi = 0;
  oo = 2;
  say("overlap in one file: %s\n", res(cfr(a, &oi, a, &oo, 5, 0)));
  oo = 5;
  say("no overlap in one file: %ld\n", cfr(a, &oi, a, &oo, 5, 0));
  say("a directory: %s\n", res(cfr(dfd, NULL, b, NULL, 5, 0)));
  (void)!pipe(p);
  say("pipes: %s %s\n", res(cfr(p[0], NULL, b, NULL, 5, 0)), res(cfr(a, NULL, p[1], NULL, 5, 0)));
  say("to O_APPEND: %s\n", res(cfr(a, NULL, ap, NULL, 5, 0)));
  say("to read-only: %s\n", res(cfr(a, NULL, ro, NULL, 5, 0)));
  int shm = open("/dev/shm/umlts-splice-test", O_RDWR | O_CREAT | O_TRUNC, 0600);
  unlink("/dev/shm/umlts-splice-test");
  oi = 0;
  say("across filesystems: %s\n", res(cfr(a, &oi, shm, NULL, 5, 0)));
  say("across filesystems, len 0: %s\n", res(cfr(a, &oi, shm, NULL, 0, 0)));
  oi = -1;
  say("across filesystems, negative in: %s\n", res(cfr(a, &oi, shm, NULL, 5, 0)));
  say("across filesystems, to a directory: %s\n", res(cfr(a, NULL, dfd, NULL, 5, 0)));
  say("across filesystems, flags: %s\n", res(cfr(a, NULL, shm, NULL, 5, 1)));
  say("across filesystems, to read-only: %s\n", res(cfr(shm, NULL, ro, NULL, 5, 0)));
  (void)!write(shm, "shm data", 8);
  int shm2 = open("/dev/shm/umlts-splice-test2", O_RDWR | O_CREAT | O_TRUNC, 0600);
  unlink("/dev/shm/umlts-splice-test2");
  oi = 0;
  say("within tmpfs: %ld\n", cfr(shm, &oi, shm2, NULL, 8, 0));
  oo = 3LL << 30;
  oi = 0;
  say("to 3 GiB: %ld\n", cfr(a, &oi, b, &oo, 5, 0));
  struct stat st;
  fstat(b, &st);
  say("  size %lld\n", (long long)st.st_size);
  /* ---- preadv2 / pwritev2 ---- */
  int v2 = mkfile(at("v2"), "0123456789", 0);
  char b1[4] = {0}, b2[4] = {0};
  struct iovec iv[2] = {{b1, 3}, {b2, 3}};
  lseek(v2, 2, SEEK_SET);
  n = preadv2(v2, iv, 2, -1, RWF_HIPRI);
  say("preadv2 at -1, RWF_HIPRI: %ld %s %s, pos %ld\n", n, b1, b2, (long)lseek(v2, 0, SEEK_CUR));
  lseek(v2, 8, SEEK_SET);
  n = preadv2(v2, iv, 1, 7, 0);
  say("preadv2 at 7: %ld %.3s, pos %ld\n", n, b1, (long)lseek(v2, 0, SEEK_CUR));
  struct iovec wv[1] = {{"AB", 2}};
  n = pwritev2(v2, wv, 1, 0, RWF_APPEND);
  long cur = lseek(v2, 0, SEEK_CUR);
  say("pwritev2 RWF_APPEND at 0: %ld, pos %ld, size %ld\n", n, cur, (long)lseek(v2, 0, SEEK_END));
  lseek(v2, 0, SEEK_SET);
  n = pwritev2(v2, wv, 1, -1, RWF_DSYNC);
  say("pwritev2 at -1, RWF_DSYNC: %ld, pos %ld\n", n, (long)lseek(v2, 0, SEEK_CUR));
  int v2a = open(at("v2"), O_WRONLY | O_APPEND);
  n = pwritev2(v2a, wv, 1, 1, RWF_NOAPPEND);
  memset(buf, 0, sizeof buf);
  (void)!pread(v2, buf, sizeof buf, 0);
  say("pwritev2 RWF_NOAPPEND at 1 on O_APPEND: %ld, file %s\n", n, buf);
  say("unknown flag: %s\n", res(preadv2(v2, iv, 1, 0, 0x10000)));
  (void)!pipe(p);
  say("RWF_NOWAIT on an empty pipe: %s\n", res(preadv2(p[0], iv, 1, -1, RWF_NOWAIT)));
  say("  the pipe still blocks: %d\n", (fcntl(p[0], F_GETFL) & O_NONBLOCK) == 0);
  say("preadv2 at 0 of a pipe: %s\n", res(preadv2(p[0], iv, 1, 0, 0)));
  close(p[0]);
  close(p[1]);
  unlink(at("v2"));
  const char *names[] = {"src", "dst", "big", "fromsock", "mb", "out", "cfa", "cfb"};
  for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) unlink(at(names[i]));
  return 0;
}
