/* O_ASYNC, as Linux: with fcntl F_SETFL O_ASYNC and an owner (F_SETOWN),
 * pipes and sockets signal it: SIGIO, or F_SETSIG's signal with si_code
 * (POLL_IN, POLL_OUT...), si_band and si_fd. When each end is told: a
 * pipe's reader as data comes and as the writer goes, its writer as room
 * comes back; a socket as data comes. A regular file keeps the flag and
 * says nothing; open(O_ASYNC) arms nothing; clearing the flag stops it.
 * (The old build never signalled, and said EINVAL to F_SETOWN.) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile int nlog, nsigio;
static int logc[64], logb[64], logf[64];
static void onrt(int s, siginfo_t *si, void *uc) {
  (void)s;
  (void)uc;
  if (nlog < 64) {
    logc[nlog] = si->si_code;
    logb[nlog] = (int)si->si_band;
    logf[nlog] = si->si_fd;
    nlog++;
  }
}
static void onio(int s) { (void)s; nsigio++; }

static void show(const char *what) {
  printf("%-40s", what);
  if (!nlog) printf(" -");
  for (int i = 0; i < nlog; i++) printf(" [code %d band %#x fd %d]", logc[i], logb[i], logf[i]);
  printf("\n");
  nlog = 0;
}
static void async(int fd, int sig) {
  fcntl(fd, F_SETOWN, getpid());
  fcntl(fd, F_SETSIG, sig);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC | O_NONBLOCK);
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  struct sigaction sa = {.sa_sigaction = onrt, .sa_flags = SA_SIGINFO | SA_RESTART};
  sigaction(SIGRTMIN, &sa, 0);
  signal(SIGIO, onio);
  char buf[70000];
  int f;
  memset(buf, 'x', sizeof buf);

  int p[2];
  pipe(p);
  printf("pipe %d %d\n", p[0], p[1]);
  async(p[0], SIGRTMIN);
  write(p[1], "a", 1);
  show("reader: a write");
  write(p[1], "bc", 2);
  show("reader: another write");
  read(p[0], buf, 1);
  show("reader: its own read");
  read(p[0], buf, sizeof buf);
  show("reader: read the rest");
  close(p[1]);
  show("reader: the writer closes");
  close(p[0]);

  pipe(p);
  printf("pipe %d %d\n", p[0], p[1]);
  async(p[1], SIGRTMIN);
  write(p[1], "a", 1);
  show("writer: its own write");
  read(p[0], buf, 1);
  show("writer: a read of a pipe not full");
  int n = 0, w;
  while ((w = write(p[1], buf, sizeof buf)) > 0) n += w;
  show("writer: filled");
  read(p[0], buf, 4096);
  show("writer: a page read from the full pipe");
  read(p[0], buf, 100);
  show("writer: another read");
  close(p[0]);
  show("writer: the reader closes");
  close(p[1]);

  int s[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, s);
  printf("socketpair %d %d\n", s[0], s[1]);
  async(s[0], SIGRTMIN);
  write(s[1], "x", 1);
  show("unix socket: data comes");
  write(s[1], "yz", 2);
  show("unix socket: more comes");
  read(s[0], buf, sizeof buf);
  show("unix socket: its own read");
  write(s[0], "a", 1);
  read(s[1], buf, 1);
  show("unix socket: the peer reads, never full");
  while (write(s[0], buf, sizeof buf) > 0) {}
  show("unix socket: filled");
  fcntl(s[1], F_SETFL, O_NONBLOCK);
  while (read(s[1], buf, sizeof buf) > 0) {}
  show("unix socket: the peer reads it all");
  shutdown(s[1], SHUT_WR);
  show("unix socket: the peer shuts down");
  close(s[1]);
  show("unix socket: the peer closes");
  close(s[0]);

  /* plain SIGIO */
  pipe(p);
  fcntl(p[0], F_SETOWN, getpid());
  fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK);
  write(p[1], "a", 1);
  printf("plain SIGIO: a write: %d SIGIO\n", nsigio);
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  write(p[1], "a", 1);
  printf("O_ASYNC cleared: a write: %d SIGIO\n", nsigio);
  close(p[0]);
  close(p[1]);

  /* the ioctl forms: FIOASYNC, and a socket's FIOSETOWN / FIOGETOWN */
  socketpair(AF_UNIX, SOCK_STREAM, 0, s);
  int pid = getpid(), got = 0, on = 1, off = 0;
  printf("FIOSETOWN on a socket: %d", ioctl(s[0], FIOSETOWN, &pid));
  ioctl(s[0], FIOGETOWN, &got);
  printf(", FIOGETOWN is me: %d", got == pid);
  int rc = ioctl(s[0], FIOASYNC, &on);
  printf(", FIOASYNC on: %d, F_GETFL has O_ASYNC: %d", rc, (fcntl(s[0], F_GETFL) & O_ASYNC) != 0);
  int before = nsigio;
  write(s[1], "x", 1);
  printf(", a write: %d SIGIO\n", nsigio - before);
  close(s[0]);
  close(s[1]);
  pipe(p);
  printf("FIOSETOWN on a pipe: %s\n", ioctl(p[0], FIOSETOWN, &pid) < 0 ? strerror(errno) : "0");
  close(p[0]);
  close(p[1]);
  f = open("/proc/self/exe", O_RDONLY);
  printf("FIOASYNC on a regular file: %s", ioctl(f, FIOASYNC, &on) < 0 ? strerror(errno) : "0");
  printf(", off: %s\n", ioctl(f, FIOASYNC, &off) < 0 ? strerror(errno) : "0");
  close(f);

  /* a regular file; open(O_ASYNC) */
  f = open("/proc/self/exe", O_RDONLY);
  fcntl(f, F_SETOWN, getpid());
  rc = fcntl(f, F_SETFL, O_ASYNC);
  printf("regular file F_SETFL O_ASYNC: %d, F_GETFL has it: %d\n", rc, (fcntl(f, F_GETFL) & O_ASYNC) != 0);
  close(f);
  if (mkfifo("/tmp/sigio_fifo", 0600) == 0 || errno == EEXIST) {
    int r = open("/tmp/sigio_fifo", O_RDONLY | O_NONBLOCK | O_ASYNC);
    int wfd = open("/tmp/sigio_fifo", O_WRONLY);
    fcntl(r, F_SETOWN, getpid());
    before = nsigio;
    write(wfd, "a", 1);
    printf("fifo opened O_ASYNC, F_GETFL has it: %d, a write: %d SIGIO\n", (fcntl(r, F_GETFL) & O_ASYNC) != 0, nsigio - before);
    close(r);
    close(wfd);
    unlink("/tmp/sigio_fifo");
  }
  return 0;
}
