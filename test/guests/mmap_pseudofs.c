/* A host pseudo filesystem's file is never mapped into a guest: mmap gives
 * ENODEV, as it does natively for a sysfs attribute, and for tracefs's ring
 * buffer, which the host would map (the host kernel's memory). Found by a
 * fuzzer: that ring buffer's mapping once went to the stub as a host file
 * mapping, and a partial munmap that the host refused (it will not split
 * it) killed the process. `trace`: the ring buffer only. */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "trace") == 0) {
    int fd = open("/sys/kernel/tracing/per_cpu/cpu0/trace_pipe_raw", O_RDONLY | O_NONBLOCK);
    say("open the ring buffer: %s\n", res(fd));
    char *m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 8192);
    say("mmap it: %s\n", m == MAP_FAILED ? errname(errno) : "OK");
    if (m != MAP_FAILED) say("munmap half of it: %s\n", res(munmap(m, 4096)));
    say("alive\n");
    return 0;
  }
  int fd = open("/sys/kernel/uevent_seqnum", O_RDONLY);
  say("open: %s\n", res(fd));
  if (fd < 0) return 1;
  void *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  say("mmap shared: %s\n", m == MAP_FAILED ? errname(errno) : "OK");
  m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  say("mmap private: %s\n", m == MAP_FAILED ? errname(errno) : "OK");
  char buf[32];
  say("read: %s\n", read(fd, buf, sizeof buf) > 0 ? "OK" : errname(errno));
  return 0;
}
