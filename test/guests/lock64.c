/* 64-bit file offsets on a host directory (argv[1]) and on tmpfs: record
 * locks past 2 GiB and up to OFFSET_MAX with exact ranges and the
 * EOVERFLOW/EINVAL checks, conflicts seen from another process, OFD locks,
 * F_NOTIFY (its 64-bit DN_MULTISHOT argument), pwrite/lseek/ftruncate past
 * 4 GiB (sparse) and lseek past the filesystem's largest offset. Output is
 * compared with the host kernel's. */
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

static volatile int sigios;
static void on_sigio(int sig) {
  (void)sig;
  sigios++;
}

static const char *tp(short t) {
  return t == F_RDLCK ? "RD" : t == F_WRLCK ? "WR" : t == F_UNLCK ? "UN" : "?";
}

static int setlk(int fd, int cmd, short type, short whence, long long start, long long len) {
  struct flock fl = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len};
  return fcntl(fd, cmd, &fl);
}

static void getlk(int fd, int cmd, short type, long long start, long long len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  int r = fcntl(fd, cmd, &fl);
  if (r < 0) {
    say("  getlk %lld+%lld: %s\n", start, len, errname(errno));
    return;
  }
  say("  getlk %lld+%lld: %s start %lld len %lld pid %s\n", start, len, tp(fl.l_type), (long long)fl.l_start, (long long)fl.l_len,
      fl.l_type == F_UNLCK ? "-" : fl.l_pid == -1 ? "-1" : fl.l_pid == getppid() ? "parent" : "other");
}

static void run(const char *path) {
  say("-- %s\n", strncmp(path, "/dev/shm", 8) == 0 ? "tmpfs" : "host directory");
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  const long long G = 1LL << 30;
  say("lock at 3 GiB: %s\n", res(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 3 * G, 100)));
  say("lock at 2^62, to OFFSET_MAX: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 1LL << 62, 1LL << 62)));
  say("one byte more: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 1LL << 62, (1LL << 62) + 1)));
  say("at OFFSET_MAX, 1 byte: %s\n", res(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, INT64_MAX, 1)));
  say("at OFFSET_MAX, 2 bytes: %s\n", res(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, INT64_MAX, 2)));
  say("negative start: %s\n", res(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1)));
  say("negative length at 5: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 5, -5)));
  say("negative length past 0: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 5, -6)));
  lseek(fd, 1LL << 40, SEEK_SET);
  say("SEEK_CUR at 2^40 + OFFSET_MAX - 10: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, SEEK_CUR, INT64_MAX - 10, 1)));
  say("SEEK_CUR at 2^40 + 10: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, SEEK_CUR, 10, 10)));
  say("bad whence: %s\n", res(setlk(fd, F_SETLK, F_RDLCK, 7, 0, 1)));
  pid_t c = fork();
  if (c == 0) {
    int f2 = open(path, O_RDWR);
    getlk(f2, F_GETLK, F_WRLCK, 3 * G + 50, 1);
    getlk(f2, F_GETLK, F_RDLCK, 3 * G + 100, 1000);
    getlk(f2, F_GETLK, F_WRLCK, INT64_MAX - 5, 0);
    getlk(f2, F_GETLK, F_WRLCK, (1LL << 40) + 15, 1);
    getlk(f2, F_GETLK, F_RDLCK, 0, 0);
    say("  child: lock at 3 GiB + 99: %s\n", res(setlk(f2, F_SETLK, F_RDLCK, SEEK_SET, 3 * G + 99, 1)));
    say("  child: lock at 3 GiB + 100: %s\n", res(setlk(f2, F_SETLK, F_WRLCK, SEEK_SET, 3 * G + 100, 1)));
    say("  child: OFD lock at 2^62 + 7: %s\n", res(setlk(f2, F_OFD_SETLK, F_WRLCK, SEEK_SET, (1LL << 62) + 7, 1)));
    _exit(0);
  }
  waitpid(c, NULL, 0);
  say("unlock a middle piece: %s\n", res(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 3 * G + 10, 10)));
  int o = open(path, O_RDWR);
  say("OFD lock by another description, 3 GiB + 15: %s\n", res(setlk(o, F_OFD_SETLK, F_WRLCK, SEEK_SET, 3 * G + 15, 1)));
  say("OFD lock, 3 GiB + 5: %s\n", res(setlk(o, F_OFD_SETLK, F_WRLCK, SEEK_SET, 3 * G + 5, 1)));
  getlk(o, F_OFD_GETLK, F_WRLCK, 3 * G, 0);
  close(o);

  /* ---- big offsets ---- */
  say("pwrite at 5 GiB: %ld\n", (long)pwrite(fd, "big", 3, 5 * G));
  struct stat st;
  fstat(fd, &st);
  say("size %lld, sparse %d\n", (long long)st.st_size, st.st_blocks < 1000);
  say("lseek SEEK_END -1: %lld\n", (long long)lseek(fd, -1, SEEK_END));
  char b[4] = {0};
  long n = read(fd, b, 4);
  say("read: %ld %.1s, pos %lld\n", n, b, (long long)lseek(fd, 0, SEEK_CUR));
  say("ftruncate to 4 GiB + 1: %s\n", res(ftruncate(fd, 4 * G + 1)));
  fstat(fd, &st);
  say("size %lld\n", (long long)st.st_size);
  say("lseek to 2^40: %lld\n", (long long)lseek(fd, 1LL << 40, SEEK_SET));
  say("lseek to 2^52: %s\n", res(lseek(fd, 1LL << 52, SEEK_SET)));
  say("lseek to -1: %s\n", res(lseek(fd, -1, SEEK_SET)));
  say("lseek SEEK_CUR back 2^41: %s\n", res(lseek(fd, -(1LL << 41), SEEK_CUR)));
  close(fd);
  unlink(path);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  char path[4096];
  snprintf(path, sizeof path, "%s/lock64", argv[1]);
  run(path);
  run("/dev/shm/umlts-lock64-test");
  int d = open(argv[1], O_RDONLY | O_DIRECTORY);
  say("F_NOTIFY DN_MULTISHOT: %s\n", res(fcntl(d, F_NOTIFY, (long)DN_MULTISHOT)));
  int f = open("/proc/self/exe", O_RDONLY);
  say("F_NOTIFY of a file, no events: %s\n", res(fcntl(f, F_NOTIFY, (long)DN_MULTISHOT)));
  say("F_NOTIFY of a file, events: %s\n", res(fcntl(f, F_NOTIFY, (long)DN_CREATE)));
  signal(SIGIO, on_sigio);
  say("F_NOTIFY create/delete/rename: %s\n", res(fcntl(d, F_NOTIFY, (long)(DN_CREATE | DN_DELETE | DN_RENAME | DN_MULTISHOT))));
  char a[4096], b2[4096];
  snprintf(a, sizeof a, "%s/n1", argv[1]);
  snprintf(b2, sizeof b2, "%s/n2", argv[1]);
  close(open(a, O_CREAT | O_WRONLY, 0644));
  say("  after a create: %d\n", sigios);
  rename(a, b2);
  say("  after a rename: %d\n", sigios);
  unlink(b2);
  say("  after an unlink: %d\n", sigios);
  say("F_NOTIFY one shot, create: %s\n", res(fcntl(d, F_NOTIFY, (long)DN_CREATE)));
  mkdir(a, 0755);
  rmdir(a);
  mkdir(a, 0755);
  say("  after two mkdirs: %d\n", sigios);
  rmdir(a);
  return 0;
}
