/* Linux native AIO (io_setup, io_submit, io_getevents, io_pgetevents,
 * io_cancel, io_destroy) through raw syscalls, compared with the host
 * kernel: the ring as libaio reads it, reads and writes (plain and vectored)
 * of a regular file, syncs, an eventfd told of completions, poll requests
 * (done at once, done later, cancelled), a signal ending a wait, a fork's
 * child without the context, and Linux's order of checks. No addresses,
 * pids or times are printed. Every read or write here is one Linux does
 * without waiting (a pipe with data in it): a blocking one would hold
 * Linux's io_submit. */
#include "common.h"
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>

struct ring {
  unsigned id, nr, head, tail, magic, compat_features, incompat_features, header_length;
  struct io_event events[];
};

static long io_setup(unsigned nr, aio_context_t *ctx) { return syscall(SYS_io_setup, nr, ctx); }
static long io_destroy(aio_context_t ctx) { return syscall(SYS_io_destroy, ctx); }
static long io_submit(aio_context_t ctx, long nr, struct iocb **v) { return syscall(SYS_io_submit, ctx, nr, v); }
static long io_cancel(aio_context_t ctx, struct iocb *cb, struct io_event *ev) { return syscall(SYS_io_cancel, ctx, cb, ev); }
static long io_getevents(aio_context_t ctx, long min, long nr, struct io_event *ev, struct timespec *ts) {
  return syscall(SYS_io_getevents, ctx, min, nr, ev, ts);
}

static const char *er(long r) {
  if (r >= 0) return "OK";
  if (errno == EINPROGRESS) return "EINPROGRESS";
  return errname(errno);
}
#define SHOW(label, call) do { long r_ = (long)(call); say("%s: %ld %s\n", label, r_ < 0 ? -1L : r_, er(r_)); } while (0)

static struct iocb cb(int op, int fd, void *buf, size_t n, long long off, uint64_t data) {
  struct iocb c;
  memset(&c, 0, sizeof c);
  c.aio_lio_opcode = op;
  c.aio_fildes = fd;
  c.aio_buf = (uint64_t)(uintptr_t)buf;
  c.aio_nbytes = n;
  c.aio_offset = off;
  c.aio_data = data;
  c.aio_key = 77; /* the kernel sets it to 0 */
  return c;
}

static void show_events(const char *label, struct io_event *ev, long n) {
  say("%s: %ld events\n", label, n);
  /* by aio_data: a stable order */
  for (long i = 1; i < n; i++)
    for (long j = i; j > 0 && ev[j - 1].data > ev[j].data; j--) {
      struct io_event x = ev[j];
      ev[j] = ev[j - 1];
      ev[j - 1] = x;
    }
  for (long i = 0; i < n; i++) say("  data %llu res %lld res2 %lld\n", (unsigned long long)ev[i].data, (long long)ev[i].res, (long long)ev[i].res2);
}

static int in_maps(aio_context_t ctx) {
  char buf[65536];
  int fd = open("/proc/self/maps", O_RDONLY);
  int n = 0, r;
  while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
  close(fd);
  buf[n] = 0;
  char want[64];
  snprintf(want, sizeof want, "%lx-", (unsigned long)ctx);
  char *l = strstr(buf, want);
  if (!l) return 0;
  unsigned long lo, hi;
  sscanf(l, "%lx-%lx", &lo, &hi);
  char *eol = strchr(l, '\n');
  if (eol) *eol = 0;
  say("ring mapping: %lu KiB, %s, named %s\n", (hi - lo) >> 10, strstr(l, " rw-s ") ? "rw-s" : "?", strstr(l, "/[aio] (deleted)") ? "/[aio] (deleted)" : l);
  return 1;
}

static volatile int alarms;
static void on_alarm(int s) { (void)s; alarms++; }

int main(void) {
  aio_context_t ctx = 0, bad = 123;
  struct io_event ev[16];
  struct timespec zero = {0, 0}, short_wait = {0, 20 * 1000 * 1000};

  SHOW("io_setup 0 events", io_setup(0, &ctx));
  SHOW("io_setup, ctx not 0", io_setup(8, &bad));
  SHOW("io_setup, bad pointer", io_setup(8, (aio_context_t *)8));
  SHOW("io_setup 1000", io_setup(1000, &ctx));
  struct ring *ring = (struct ring *)ctx;
  say("ring: magic %x nr %u head %u tail %u compat %u incompat %u header %u\n", ring->magic, ring->nr, ring->head, ring->tail,
      ring->compat_features, ring->incompat_features, ring->header_length);
  if (!in_maps(ctx)) say("ring mapping: not in maps\n");

  char path[] = "/tmp/umlts_aio_XXXXXX";
  int fd = mkstemp(path);
  unlink(path);
  char a[] = "hello aio", b[] = "second", rd1[16] = {0}, rd2[16] = {0};
  struct iocb w1 = cb(IOCB_CMD_PWRITE, fd, a, 9, 0, 1), w2 = cb(IOCB_CMD_PWRITE, fd, b, 6, 100, 2);
  w2.aio_data = 0xfedcba9876543210ULL;
  struct iocb *v[4] = {&w1, &w2};
  SHOW("submit two writes", io_submit(ctx, 2, v));
  say("aio_key after submit: %u\n", w1.aio_key);
  SHOW("getevents 2..8", io_getevents(ctx, 2, 8, ev, NULL));
  show_events("writes", ev, 2);
  struct iocb r1 = cb(IOCB_CMD_PREAD, fd, rd1, 9, 0, 3), r2 = cb(IOCB_CMD_PREAD, fd, rd2, 16, 100, 4);
  struct iocb s1 = cb(IOCB_CMD_FSYNC, fd, 0, 0, 0, 5), s2 = cb(IOCB_CMD_FDSYNC, fd, 0, 0, 0, 6);
  struct iocb *v2[4] = {&r1, &r2, &s1, &s2};
  SHOW("submit reads and syncs", io_submit(ctx, 4, v2));
  long n = io_getevents(ctx, 4, 16, ev, NULL);
  show_events("reads and syncs", ev, n);
  say("read back: \"%s\" \"%s\"\n", rd1, rd2);
  char x1[4], x2[8];
  struct iovec iov[2] = {{x1, 4}, {x2, 8}};
  struct iocb rv = cb(IOCB_CMD_PREADV, fd, iov, 2, 1, 7);
  struct iovec wiov[2] = {{"AB", 2}, {"CD", 2}};
  struct iocb wv = cb(IOCB_CMD_PWRITEV, fd, wiov, 2, 200, 8);
  struct iocb *v3[2] = {&rv, &wv};
  SHOW("submit preadv, pwritev", io_submit(ctx, 2, v3));
  n = io_getevents(ctx, 2, 2, ev, &zero);
  show_events("vectored", ev, n);
  say("preadv: \"%.4s\" \"%.8s\"\n", x1, x2);
  char back[4] = {0};
  pread(fd, back, 4, 200);
  say("pwritev wrote \"%.4s\"\n", back);

  /* RWF_APPEND: this write goes to the end whatever its offset; the file position stays */
  off_t before = lseek(fd, 0, SEEK_CUR), size0 = lseek(fd, 0, SEEK_END);
  lseek(fd, before, SEEK_SET);
  struct iocb ap = cb(IOCB_CMD_PWRITE, fd, "tail", 4, 0, 30);
  ap.aio_rw_flags = RWF_APPEND;
  struct iocb *va[1] = {&ap};
  SHOW("submit an RWF_APPEND write at offset 0", io_submit(ctx, 1, va));
  n = io_getevents(ctx, 1, 1, ev, NULL);
  show_events("append", ev, n);
  char tl[5] = {0};
  pread(fd, tl, 4, size0);
  off_t after = lseek(fd, 0, SEEK_CUR);
  say("appended at the old end: \"%s\", size +%lld, the file position kept %d\n", tl, (long long)(lseek(fd, 0, SEEK_END) - size0),
      after == before);
  lseek(fd, before, SEEK_SET);
  pread(fd, tl, 4, 0);
  say("offset 0 still reads \"%.4s\"\n", tl);

  /* the ring as libaio reads it: events taken in user space by moving head */
  struct iocb w3 = cb(IOCB_CMD_PWRITE, fd, a, 1, 300, 9);
  struct iocb *v4[1] = {&w3};
  SHOW("submit one more", io_submit(ctx, 1, v4));
  unsigned head = ring->head, tail = ring->tail;
  say("ring holds %u\n", (tail - head + ring->nr) % ring->nr);
  struct io_event *e = &ring->events[head];
  say("  from the ring: data %llu res %lld obj is the iocb %d\n", (unsigned long long)e->data, (long long)e->res, e->obj == (uint64_t)(uintptr_t)&w3);
  ring->head = (head + 1) % ring->nr;
  SHOW("getevents after user space took it (timeout 0)", io_getevents(ctx, 0, 4, ev, &zero));
  SHOW("getevents, nothing comes (20 ms)", io_getevents(ctx, 1, 4, ev, &short_wait));

  /* errors */
  SHOW("submit nr -1", io_submit(ctx, -1, v));
  SHOW("submit bad ctx", io_submit(123, 1, v));
  SHOW("submit bad iocb array", io_submit(ctx, 1, (struct iocb **)8));
  struct iocb badfd = cb(IOCB_CMD_PREAD, 999, rd1, 1, 0, 10);
  struct iocb *v5[2] = {&badfd, &w1};
  SHOW("submit bad fd first", io_submit(ctx, 2, v5));
  struct iocb *v6[2] = {&w1, &badfd};
  SHOW("submit bad fd second", io_submit(ctx, 2, v6));
  io_getevents(ctx, 1, 1, ev, NULL);
  struct iocb noop = cb(6 /* IOCB_CMD_NOOP */, fd, 0, 0, 0, 11);
  struct iocb *v7[1] = {&noop};
  SHOW("submit NOOP", io_submit(ctx, 1, v7));
  struct iocb resv = cb(IOCB_CMD_PREAD, fd, rd1, 1, 0, 12);
  resv.aio_reserved2 = 1;
  v7[0] = &resv;
  SHOW("submit reserved2 set", io_submit(ctx, 1, v7));
  struct iocb fsbad = cb(IOCB_CMD_FSYNC, fd, 0, 1, 0, 13);
  v7[0] = &fsbad;
  SHOW("submit FSYNC with nbytes", io_submit(ctx, 1, v7));
  struct iocb neg = cb(IOCB_CMD_PREAD, fd, rd1, 1, -5, 14);
  v7[0] = &neg;
  SHOW("submit negative offset", io_submit(ctx, 1, v7));
  struct iocb flg = cb(IOCB_CMD_PREAD, fd, rd1, 1, 0, 15);
  flg.aio_rw_flags = 0x4000;
  v7[0] = &flg;
  SHOW("submit unknown rw flag", io_submit(ctx, 1, v7));
  int wo = open("/proc/self/fd/1", O_WRONLY);
  (void)wo;
  int pw[2];
  pipe(pw);
  struct iocb rdwo = cb(IOCB_CMD_PREAD, pw[1], rd1, 1, 0, 16);
  v7[0] = &rdwo;
  SHOW("submit read of a write end", io_submit(ctx, 1, v7));
  struct iocb efault = cb(IOCB_CMD_PREAD, fd, (void *)8, 1, 0, 17);
  v7[0] = &efault;
  SHOW("submit read into a bad buffer", io_submit(ctx, 1, v7));
  n = io_getevents(ctx, 1, 4, ev, &zero);
  show_events("bad buffer", ev, n);
  SHOW("getevents min > nr", io_getevents(ctx, 2, 1, ev, &zero));
  SHOW("getevents min < 0", io_getevents(ctx, -1, 1, ev, &zero));
  SHOW("getevents bad ctx", io_getevents(123, 0, 1, ev, &zero));
  SHOW("getevents bad timeout", io_getevents(ctx, 0, 1, ev, (struct timespec *)8));
  SHOW("getevents nr 0", io_getevents(ctx, 0, 0, ev, NULL));

  /* a pipe with data: read at once (the offset means nothing there) */
  write(pw[1], "xy", 2);
  struct iocb pr = cb(IOCB_CMD_PREAD, pw[0], rd1, 8, 12345, 18);
  v7[0] = &pr;
  SHOW("submit read of a pipe with data", io_submit(ctx, 1, v7));
  n = io_getevents(ctx, 1, 4, ev, NULL);
  show_events("pipe read", ev, n);

  /* an eventfd told of each completion */
  int efd = eventfd(0, 0);
  struct iocb e1 = cb(IOCB_CMD_PWRITE, fd, a, 2, 400, 19), e2 = cb(IOCB_CMD_PWRITE, fd, a, 3, 410, 20);
  e1.aio_flags = e2.aio_flags = IOCB_FLAG_RESFD;
  e1.aio_resfd = e2.aio_resfd = efd;
  struct iocb *v8[2] = {&e1, &e2};
  SHOW("submit with IOCB_FLAG_RESFD", io_submit(ctx, 2, v8));
  uint64_t cnt = 0;
  read(efd, &cnt, 8);
  say("eventfd counted %llu\n", (unsigned long long)cnt);
  io_getevents(ctx, 2, 2, ev, NULL);
  struct iocb e3 = cb(IOCB_CMD_PWRITE, fd, a, 2, 400, 21);
  e3.aio_flags = IOCB_FLAG_RESFD;
  e3.aio_resfd = fd;
  v7[0] = &e3;
  SHOW("submit RESFD not an eventfd", io_submit(ctx, 1, v7));

  /* poll requests */
  int pp[2];
  pipe(pp);
  struct iocb p1 = cb(IOCB_CMD_POLL, pp[1], (void *)POLLOUT, 0, 0, 22);
  v7[0] = &p1;
  SHOW("submit POLLOUT on an empty pipe", io_submit(ctx, 1, v7));
  n = io_getevents(ctx, 1, 4, ev, &zero);
  show_events("ready at once", ev, n);
  struct iocb p2 = cb(IOCB_CMD_POLL, pp[0], (void *)POLLIN, 0, 0, 23);
  v7[0] = &p2;
  SHOW("submit POLLIN on an empty pipe", io_submit(ctx, 1, v7));
  SHOW("getevents before data (timeout 0)", io_getevents(ctx, 0, 4, ev, &zero));
  write(pp[1], "z", 1);
  n = io_getevents(ctx, 1, 4, ev, NULL);
  show_events("after a write", ev, n);
  read(pp[0], rd1, 1);
  struct iocb p3 = cb(IOCB_CMD_POLL, pp[0], (void *)POLLIN, 0, 0, 24);
  v7[0] = &p3;
  SHOW("submit POLLIN again", io_submit(ctx, 1, v7));
  SHOW("cancel it", io_cancel(ctx, &p3, ev));
  n = io_getevents(ctx, 1, 4, ev, NULL);
  show_events("cancelled", ev, n);
  SHOW("cancel a completed one", io_cancel(ctx, &p3, ev));
  struct iocb pbad = cb(IOCB_CMD_POLL, pp[0], (void *)0x10000, 0, 0, 25);
  v7[0] = &pbad;
  SHOW("submit POLL with a bad event", io_submit(ctx, 1, v7));
  struct iocb keyed = cb(IOCB_CMD_POLL, pp[0], (void *)POLLIN, 0, 0, 26);
  keyed.aio_key = 5;
  SHOW("cancel, key not 0", io_cancel(ctx, &keyed, ev));

  /* a signal ends a wait with nothing: EINTR */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  ualarm(30000, 0);
  SHOW("getevents, a signal comes", io_getevents(ctx, 1, 4, ev, NULL));
  say("alarms: %d\n", alarms);

  /* a read of an empty blocking pipe holds io_submit until a writer comes (read_iter waits) */
  int bp[2];
  pipe(bp);
  pid_t writer = fork();
  if (writer == 0) {
    usleep(100000);
    write(bp[1], "late", 4);
    _exit(0);
  }
  struct iocb pb = cb(IOCB_CMD_PREAD, bp[0], rd1, 8, 0, 40);
  v7[0] = &pb;
  SHOW("submit read of an empty blocking pipe, a writer comes", io_submit(ctx, 1, v7));
  waitpid(writer, NULL, 0);
  n = io_getevents(ctx, 1, 4, ev, NULL);
  show_events("the waited read", ev, n);
  say("it read: %.4s\n", rd1);
  /* RWF_NOWAIT: no wait, EAGAIN in the event */
  struct iocb pnw = cb(IOCB_CMD_PREAD, bp[0], rd1, 8, 0, 41);
  pnw.aio_rw_flags = RWF_NOWAIT;
  v7[0] = &pnw;
  SHOW("submit RWF_NOWAIT read of an empty pipe", io_submit(ctx, 1, v7));
  n = io_getevents(ctx, 1, 4, ev, NULL);
  show_events("RWF_NOWAIT", ev, n);
  /* a signal while it waits: that request completes with EINTR, io_submit counts it */
  struct iocb pi = cb(IOCB_CMD_PREAD, bp[0], rd1, 8, 0, 42);
  v7[0] = &pi;
  ualarm(50000, 0);
  SHOW("submit read of an empty pipe, a signal comes", io_submit(ctx, 1, v7));
  n = io_getevents(ctx, 1, 4, ev, NULL);
  show_events("interrupted read", ev, n);
  say("alarms: %d\n", alarms);
  struct { const sigset_t *mask; size_t size; } usig = { NULL, 7 };
  sigset_t none;
  sigemptyset(&none);
  usig.mask = &none;
  SHOW("pgetevents, sigset size 7", syscall(SYS_io_pgetevents, ctx, 0, 1, ev, &zero, &usig));
  usig.size = 8;
  SHOW("pgetevents, sigset size 8", syscall(SYS_io_pgetevents, ctx, 0, 1, ev, &zero, &usig));

  /* a fork's child has no context (its copy of the ring is only memory) */
  pid_t pid = fork();
  if (pid == 0) {
    v7[0] = &w1;
    SHOW("child: submit on the parent's context", io_submit(ctx, 1, v7));
    SHOW("child: the ring still reads", ring->magic == 0xa10a10a1);
    _exit(0);
  }
  waitpid(pid, NULL, 0);

  /* a waiting poll request holds its file open; the process's exit ends it (exit_aio) */
  int hp[2], sync1[2], sync2[2];
  pipe(hp);
  pipe(sync1);
  pipe(sync2);
  signal(SIGPIPE, SIG_IGN);
  pid = fork();
  if (pid == 0) {
    aio_context_t c3 = 0;
    io_setup(4, &c3);
    struct iocb pri = cb(IOCB_CMD_POLL, hp[0], (void *)POLLPRI, 0, 0, 27);
    struct iocb *vp[1] = {&pri};
    long r = io_submit(c3, 1, vp);
    close(hp[0]);
    close(hp[1]);
    write(sync1[1], r == 1 ? "y" : "n", 1);
    char go;
    read(sync2[0], &go, 1);
    _exit(0);
  }
  close(hp[0]);
  char ok = 0;
  read(sync1[0], &ok, 1);
  say("child's POLLPRI request on the read end: %c\n", ok);
  SHOW("write while the child's request holds the read end", write(hp[1], "a", 1));
  write(sync2[1], "g", 1);
  waitpid(pid, NULL, 0);
  SHOW("write once the child exited", write(hp[1], "a", 1));

  aio_context_t ctx2 = 0;
  SHOW("second io_setup 4", io_setup(4, &ctx2));
  say("second ring: id %u, a page: %d\n", ((struct ring *)ctx2)->id, ((struct ring *)ctx2)->nr * 32 + 32 <= 4096);
  SHOW("io_destroy", io_destroy(ctx));
  say("ring after io_destroy: %s\n", in_maps(ctx) ? "still mapped" : "unmapped");
  SHOW("io_destroy again", io_destroy(ctx));
  SHOW("submit after io_destroy", io_submit(ctx, 1, v));
  SHOW("io_destroy the second", io_destroy(ctx2));
  say("done\n");
  return 0;
}
