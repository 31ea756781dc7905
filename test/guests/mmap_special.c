/* mmap of files that are not plain data: /proc and /sys files, /dev nodes,
 * an O_PATH fd, a directory, a pipe, an eventfd: the errno (or success)
 * Linux gives for each, private and shared. Output is compared with the
 * host kernel's. */
#include "common.h"
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

static void try(const char *what, int fd) {
  void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  say("%s private: %s", what, p == MAP_FAILED ? errname(errno) : "OK");
  if (p != MAP_FAILED) munmap(p, 4096);
  p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  say(", shared: %s\n", p == MAP_FAILED ? errname(errno) : "OK");
  if (p != MAP_FAILED) munmap(p, 4096);
}

static void path(const char *p, int flags) {
  int fd = open(p, flags);
  if (fd < 0) {
    say("%s: open %s\n", p, errname(errno));
    return;
  }
  try(p, fd);
  close(fd);
}

int main(void) {
  path("/proc/self/status", O_RDONLY);
  path("/proc/self/maps", O_RDONLY);
  path("/proc/cpuinfo", O_RDONLY);
  path("/proc/self/cmdline", O_RDONLY);
  path("/proc/meminfo", O_RDONLY);
  path("/proc/net/unix", O_RDONLY);
  path("/proc/uptime", O_RDONLY);
  path("/sys/devices/system/cpu/online", O_RDONLY);
  path("/dev/null", O_RDWR);
  path("/dev/zero", O_RDWR);
  path("/dev/full", O_RDWR);
  path("/dev/urandom", O_RDONLY);
  path("/dev/random", O_RDONLY);
  path("/proc", O_RDONLY | O_DIRECTORY);
  path("/", O_RDONLY | O_DIRECTORY);
  int fd = open("/proc/self/exe", O_PATH);
  try("O_PATH", fd);
  close(fd);
  int p[2];
  (void)!pipe(p);
  try("pipe", p[0]);
  try("eventfd", eventfd(0, 0));
  try("bad fd", 99);
  return 0;
}
