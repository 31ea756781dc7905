/* RLIMIT_AS and RLIMIT_DATA as may_expand_vm applies them (mm/mmap.c):
 * mmap, mremap and brk past the address-space limit are ENOMEM (brk
 * stays), a MAP_FIXED mapping over an old one counts once, RLIMIT_DATA
 * bounds private writable mappings only (read-only, shared and stack
 * mappings pass), and a soft RLIMIT_DATA of 0 with room under the hard
 * one passes (the Valgrind workaround). Each case in a child of its own. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB (1024L * 1024)

static void say_map(const char *what, void *p) {
  printf("%s: %s\n", what, p == MAP_FAILED ? strerrorname_np(errno) : "OK");
}

static void limit(int res, rlim_t soft, rlim_t hard) {
  struct rlimit rl = {soft, hard};
  if (setrlimit(res, &rl) != 0) perror("setrlimit");
}

static void as_cases(void) {
  limit(RLIMIT_AS, 256 * MiB, RLIM_INFINITY);
  say_map("AS 256 MiB: mmap 512 MiB", mmap(NULL, 512 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  printf("AS 256 MiB: malloc 512 MiB: %s\n", malloc(512 * MiB) ? "OK" : "NULL");
  void *a = mmap(NULL, 160 * MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  say_map("AS 256 MiB: mmap 160 MiB", a);
  say_map("AS 256 MiB: MAP_FIXED 160 MiB over it", mmap(a, 160 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  say_map("AS 256 MiB: 160 MiB more", mmap(NULL, 160 * MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  say_map("AS 256 MiB: mremap 160 to 320 MiB", mremap(a, 160 * MiB, 320 * MiB, MREMAP_MAYMOVE));
  say_map("AS 256 MiB: mremap 160 to 80 MiB", mremap(a, 160 * MiB, 80 * MiB, 0));
  void *b0 = sbrk(0);
  printf("AS 256 MiB: sbrk 256 MiB: %s, break unmoved: %s\n", sbrk(256 * MiB) == (void *)-1 ? strerrorname_np(errno) : "OK",
         sbrk(0) == b0 ? "yes" : "no");
  printf("AS 256 MiB: sbrk 1 MiB: %s\n", sbrk(MiB) == (void *)-1 ? "failed" : "OK");
}

static void data_cases(void) {
  limit(RLIMIT_DATA, 64 * MiB, RLIM_INFINITY);
  say_map("DATA 64 MiB: read-only 128 MiB", mmap(NULL, 128 * MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  say_map("DATA 64 MiB: shared writable 128 MiB", mmap(NULL, 128 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  say_map("DATA 64 MiB: private writable 128 MiB", mmap(NULL, 128 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  say_map("DATA 64 MiB: a 128 MiB stack (MAP_GROWSDOWN)",
          mmap(NULL, 128 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0));
  say_map("DATA 64 MiB: private writable 16 MiB", mmap(NULL, 16 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  printf("DATA 64 MiB: sbrk 128 MiB: %s\n", sbrk(128 * MiB) == (void *)-1 ? strerrorname_np(errno) : "OK");
}

static void valgrind_case(void) {
  limit(RLIMIT_DATA, 0, RLIM_INFINITY);
  say_map("DATA 0 (hard unlimited): private writable 1 MiB", mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
}

int main(void) {
  void (*cases[])(void) = {as_cases, data_cases, valgrind_case};
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
      cases[i]();
      fflush(stdout);
      _exit(0);
    }
    waitpid(c, NULL, 0);
  }
  return 0;
}
