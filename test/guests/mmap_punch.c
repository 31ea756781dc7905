/* A hole punched in a file under its mappings (fallocate's
 * FALLOC_FL_PUNCH_HOLE, madvise's MADV_REMOVE: truncate_pagecache_range):
 * the bytes in the hole read as zeros through every mapping that shows the
 * file (a shared one, a private one never writable: its copies are the
 * file's), in this process and in a child, and through read(2); a page a
 * private mapping wrote keeps what it wrote (Linux keeps such copies); the
 * size stays. Then MADV_REMOVE's and fallocate's refusals, a shared
 * anonymous mapping's hole seen by the other process, and a SysV shared
 * memory segment's. The file: argv[1], or a memfd for "memfd" (whose
 * F_SEAL_WRITE refuses a hole). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mapfile.h"

#define PG 4096
#define NP 4

static void show(const char *what, const char *m) {
  printf("  %s:", what);
  /* bytes 10 and 200 of each page, and 60 of the last */
  for (int i = 0; i < NP; i++) printf(" %c%c", m[i * PG + 10] ? m[i * PG + 10] : '0', m[i * PG + 200] ? m[i * PG + 200] : '0');
  printf(" %c\n", m[(NP - 1) * PG + 60] ? m[(NP - 1) * PG + 60] : '0');
}

static void file_bytes(int fd) {
  char b[NP * PG];
  if (pread(fd, b, sizeof b, 0) != (ssize_t)sizeof b) {
    perror("pread");
    _exit(1);
  }
  show("read(2)", b);
}


static void say(const char *what, int r) {
  printf("%s: %s\n", what, r == 0 ? "0" : strerror(errno));
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *path = argc > 1 ? argv[1] : "/tmp/mmap_punch.dat";
  int memfd = !strcmp(path, "memfd");
  int fd = memfd ? memfd_create("punch", MFD_ALLOW_SEALING) : open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    perror(path);
    return 1;
  }
  char b[PG];
  for (int i = 0; i < NP; i++) {
    memset(b, 'a' + i, PG);
    if (write(fd, b, PG) != PG) return 1;
  }
  char *s = map_file(fd, NP * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
  char *r = map_file(fd, NP * PG, PROT_READ, MAP_PRIVATE);
  char *w = map_file(fd, NP * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  show("shared", s);
  show("private read-only", r);
  /* the writable private mapping: page 2 written (its own copy); page 1 only read, and only with argv[2]
   * "unwritten" (a host file's: umlts copies a tmpfs or memfd page such a mapping only read, and its
   * neighbours ahead, where Linux shares the file's: README) */
  int unwritten = argc > 2 && !strcmp(argv[2], "unwritten");
  w[2 * PG + 10] = 'w';
  w[2 * PG + 200] = 'w';
  if (unwritten) printf("  private writable, page 1 (only read): %c\n", w[PG + 200]);

  int ready[2], go[2];
  if (pipe(ready) < 0 || pipe(go) < 0) return 1;
  pid_t c = fork();
  if (c == 0) {
    char *cm = map_file(fd, NP * PG, PROT_READ, MAP_PRIVATE);
    show("child's private read-only, before", cm);
    if (write(ready[1], "r", 1) != 1 || read(go[0], b, 1) != 1) _exit(1);
    show("child's private read-only, after", cm);
    _exit(0);
  }
  if (read(ready[0], b, 1) != 1) return 1;

  /* page 1 from byte 100, page 2, page 3 up to byte 50 */
  say("fallocate(PUNCH_HOLE|KEEP_SIZE, page 1 + 100, 2 pages - 50)", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PG + 100, 2 * PG - 50));
  show("shared", s);
  show("private read-only", r);
  printf("  private writable, page 2 (written): %c%c\n", w[2 * PG + 10], w[2 * PG + 200]);
  if (unwritten) show("private writable", w);
  file_bytes(fd);
  struct stat st;
  fstat(fd, &st);
  printf("  size %lld\n", (long long)st.st_size);
  if (write(go[1], "g", 1) != 1) return 1;
  int status = 0;
  waitpid(c, &status, 0);
  printf("  child exit status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));

  say("madvise(shared page 0, MADV_REMOVE)", madvise(s, PG, MADV_REMOVE));
  show("shared", s);
  show("private read-only", r);
  if (unwritten) show("private writable", w);
  file_bytes(fd);
  say("madvise(private read-only, MADV_REMOVE)", madvise(r, PG, MADV_REMOVE));
  say("madvise(private writable, MADV_REMOVE)", madvise(w, PG, MADV_REMOVE));
  char *a = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  say("madvise(private anonymous, MADV_REMOVE)", madvise(a, PG, MADV_REMOVE));
  say("fallocate(PUNCH_HOLE) without KEEP_SIZE", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, PG));
  say("fallocate(PUNCH_HOLE|KEEP_SIZE) past the end", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 64 * PG, PG));
  int ro = memfd ? -1 : open(path, O_RDONLY);
  if (ro >= 0) {
    char *o = map_file(ro, NP * PG, PROT_READ, MAP_SHARED);
    say("madvise(shared, file open read-only, MADV_REMOVE)", madvise(o, PG, MADV_REMOVE));
    say("fallocate(PUNCH_HOLE|KEEP_SIZE), file open read-only", fallocate(ro, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PG));
  }
  if (memfd) {
    munmap(s, NP * PG);
    say("F_ADD_SEALS(F_SEAL_WRITE)", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    say("fallocate(PUNCH_HOLE|KEEP_SIZE), sealed", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PG));
  }

  /* a file no one maps shared (tmpfs keeps it in the kernel's memory, not a memfd): a hole through read(2) and
   * a private read-only mapping */
  char path2[256];
  snprintf(path2, sizeof path2, "%s.2", path);
  int fd2 = memfd ? memfd_create("punch2", 0) : open(path2, O_RDWR | O_CREAT | O_TRUNC, 0644);
  memset(b, 'p', PG);
  if (fd2 < 0 || write(fd2, b, PG) != PG || write(fd2, b, PG) != PG) return 1;
  char *r2 = mmap(0, 2 * PG, PROT_READ, MAP_PRIVATE, fd2, 0);
  printf("a file mapped only privately: %c%c\n", r2[10], r2[PG + 10]);
  say("fallocate(PUNCH_HOLE|KEEP_SIZE, 100, 1 page)", fallocate(fd2, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, PG));
  if (pread(fd2, b, 2, 99) != 2 || pread(fd2, b + 2, 2, PG + 99) != 2) return 1;
  printf("  read(2) at 99, 100, 4195, 4196: %c%c%c%c\n", b[0] ? b[0] : '0', b[1] ? b[1] : '0', b[2] ? b[2] : '0', b[3] ? b[3] : '0');
  printf("  mapping at 99, 100, 4195, 4196: %c%c%c%c\n", r2[99] ? r2[99] : '0', r2[100] ? r2[100] : '0', r2[PG + 99] ? r2[PG + 99] : '0',
         r2[PG + 100] ? r2[PG + 100] : '0');
  if (!memfd) unlink(path2);

  /* shared anonymous memory: the child removes a page, the parent sees zeros */
  char *z = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(z, 'z', 2 * PG);
  c = fork();
  if (c == 0) _exit(madvise(z + PG, PG, MADV_REMOVE) == 0 ? 0 : 1);
  waitpid(c, &status, 0);
  printf("shared anonymous, the child's MADV_REMOVE of page 1 (status %d): %c %c\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
         z[10] ? z[10] : '0', z[PG + 10] ? z[PG + 10] : '0');
  /* SysV shared memory: a hole in its segment */
  int id = shmget(IPC_PRIVATE, 2 * PG, IPC_CREAT | 0600);
  char *v = id < 0 ? (char *)-1 : shmat(id, 0, 0);
  if (v == (char *)-1) return 1;
  memset(v, 'v', 2 * PG);
  say("madvise(SysV shm page 1, MADV_REMOVE)", madvise(v + PG, PG, MADV_REMOVE));
  printf("  %c %c\n", v[10] ? v[10] : '0', v[PG + 10] ? v[PG + 10] : '0');
  shmdt(v);
  shmctl(id, IPC_RMID, 0);
  if (!memfd) unlink(path);
  return 0;
}
