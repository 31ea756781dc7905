/* Attack: run the kernel out of guest memory inside a syscall (the kernel
 * faulting a page in for copy_to_user), not in a page fault: OutOfMemory is
 * not an ErrnoError, so dispatchSyscall rethrows it, and contain() only
 * catches StubFailed/ContextGone. Run with --mem 32M.
 * Step 1 fills guest memory (a read of /dev/zero stops short at the limit);
 * step 2 makes single-copy syscalls write to untouched pages. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
  long len = 64L << 20;
  char *buf = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  char *more = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED || more == MAP_FAILED) { perror("mmap"); return 1; }
  int fd = open("/dev/zero", O_RDONLY);
  if (fd < 0) { perror("open /dev/zero"); return 1; }
  long n = read(fd, buf, len);
  printf("filled: read returned %ld\n", n); fflush(stdout);
  long r = syscall(SYS_clock_gettime, CLOCK_REALTIME, (struct timespec *)(more + 8192));
  printf("clock_gettime into an untouched page: %ld (the kernel survived)\n", r);
  r = syscall(SYS_uname, more + 4 * 4096);
  printf("uname into an untouched page: %ld\n", r);
  return 0;
}
