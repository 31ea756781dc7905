/* Run with stdout a pipe: a regular file there would meet the limit too.
 * RLIMIT_FSIZE: writes to regular files stop at the limit (short, then
 * EFBIG with SIGXFSZ), and so do truncate, ftruncate, fallocate,
 * copy_file_range, sendfile and splice past it; pipes and devices are not
 * limited; SIGXFSZ's default action kills (with a core). Files go in the
 * directory argv[1] and /dev/shm. Output is compared with the host kernel's. */
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

static volatile int xfsz;
static void on_xfsz(int sig) {
  (void)sig;
  xfsz++;
}

static char big[8192];

static void run(const char *path) {
  say("-- %s\n", strncmp(path, "/dev/shm", 8) == 0 ? "tmpfs" : "host directory");
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  int before = xfsz;
  say("write 1500: %ld\n", (long)write(fd, big, 1500));
  say("write at the limit: %s\n", res(write(fd, big, 10)));
  say("pwrite past it: %s\n", res(pwrite(fd, big, 10, 5000)));
  say("pwrite across it: %ld\n", (long)pwrite(fd, big, 100, 950));
  struct iovec iov[2] = {{big, 10}, {big, 10}};
  say("pwritev past it: %s\n", res(pwritev(fd, iov, 2, 2000)));
  say("ftruncate to 5000: %s\n", res(ftruncate(fd, 5000)));
  say("ftruncate to 1000: %s\n", res(ftruncate(fd, 1000)));
  say("ftruncate to 500: %s\n", res(ftruncate(fd, 500)));
  say("truncate to 1001: %s\n", res(truncate(path, 1001)));
  say("fallocate to 3000: %s\n", res(fallocate(fd, 0, 0, 3000)));
  say("fallocate KEEP_SIZE to 3000: %s\n", res(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 3000)));
  int ap = open(path, O_WRONLY | O_APPEND);
  say("O_APPEND write from 500: %ld\n", (long)write(ap, big, 1000));
  say("O_APPEND write at the limit: %s\n", res(write(ap, big, 1)));
  int src = open("/proc/self/exe", O_RDONLY);
  loff_t out = 990;
  lseek(fd, 950, SEEK_SET);
  say("sendfile across the limit: %ld\n", (long)sendfile(fd, src, NULL, 100));
  lseek(fd, 2000, SEEK_SET);
  say("sendfile past it: %s\n", res(sendfile(fd, src, NULL, 100)));
  int p[2];
  (void)!pipe(p);
  (void)!write(p[1], big, 100);
  say("splice past it: %s\n", res(splice(p[0], NULL, fd, &out, 100, 0)));
  out = 1500;
  say("splice from 1500: %s\n", res(splice(p[0], NULL, fd, &out, 100, 0)));
  int other = open(path, O_RDONLY);
  struct stat st;
  fstat(fd, &st);
  say("size %ld, SIGXFSZ caught %d times\n", (long)st.st_size, xfsz - before);
  close(other);
  close(src);
  close(ap);
  close(fd);
  unlink(path);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  struct rlimit rl = {1000, RLIM_INFINITY};
  setrlimit(RLIMIT_FSIZE, &rl);
  getrlimit(RLIMIT_FSIZE, &rl);
  say("limit %ld\n", (long)rl.rlim_cur);
  memset(big, 'x', sizeof big);
  signal(SIGXFSZ, on_xfsz);
  char path[4096];
  snprintf(path, sizeof path, "%s/fsize", argv[1]);
  run(path);
  run("/dev/shm/umlts-fsize-test");
  int p[2];
  (void)!pipe(p);
  say("a pipe: %ld\n", (long)write(p[1], big, 5000));
  int null = open("/dev/null", O_WRONLY);
  say("/dev/null: %ld\n", (long)write(null, big, 5000));
  signal(SIGXFSZ, SIG_IGN);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  say("ignored: write past: %ld\n", (long)write(fd, big, 2000));
  say("ignored: %s\n", res(write(fd, big, 1)));
  pid_t c = fork();
  if (c == 0) {
    signal(SIGXFSZ, SIG_DFL);
    (void)!write(fd, big, 1);
    _exit(0);
  }
  int status;
  waitpid(c, &status, 0);
  say("default action: signaled %d by %d\n", WIFSIGNALED(status), WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  unlink(path);
  return 0;
}
