/* For the OOM guests (oom_*.c): the memory hog, run in a forked child. */
#include <sys/mman.h>
#include <unistd.h>

/* Touch mib MiB of fresh anonymous memory, say so on ready_fd, and wait there for ever (the OOM killer's victim). */
__attribute__((noreturn, unused)) static void hog_memory(size_t mib, int ready_fd) {
  char *p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  for (size_t i = 0; i < mib << 20; i += 4096) p[i] = 1;
  if (write(ready_fd, "x", 1) != 1) _exit(1);
  for (;;) pause();
}
