/* madvise(2)'s advice and what each checks (mm/madvise.c): MADV_WIPEONFORK
 * (a child, and its own child, read zeros), MADV_DONTFORK (the child has no
 * mapping there: anonymous, shared and a file's), KEEPONFORK and DOFORK
 * undoing them, part of a mapping advised (the VMA split); MADV_FREE only on
 * private anonymous memory, DONTNEED refused on a locked mapping but not
 * DONTNEED_LOCKED; MADV_POPULATE_READ/WRITE's permission, hole and
 * past-the-end errors; COLLAPSE on a mapping too small for a huge page; an
 * unknown advice. argv[1]: a file in a host directory or tmpfs to map. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define P 4096
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif

static void say(const char *what, int r) {
  printf("%s: %s\n", what, r ? strerror(errno) : "0");
}

static sigjmp_buf back;
static void onSegv(int sig) {
  (void)sig;
  siglongjmp(back, 1);
}
/* what a read of p shows: its first bytes, or that it faulted */
static void peek(const char *what, const char *p) {
  char b[9] = { 0 };
  if (sigsetjmp(back, 1) == 0) {
    memcpy(b, p, 8);
    printf("%s: \"%s\"\n", what, b);
  } else {
    printf("%s: SIGSEGV\n", what);
  }
}

/* fork, run fn in the child, wait */
static void inChild(void (*fn)(void)) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    fn();
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
}

static char *wipe, *keep, *dont, *dontShared, *dontFile, *split;

static void grandchild(void) {
  peek("grandchild: wipe", wipe);
}
static void child(void) {
  peek("child: wipe", wipe);
  peek("child: keep (KEEPONFORK after WIPEONFORK)", keep);
  peek("child: dont", dont);
  peek("child: dontShared", dontShared);
  peek("child: dontFile", dontFile);
  peek("child: split page 0 (DONTFORK)", split);
  peek("child: split page 1 (DONTFORK then DOFORK)", split + P);
  peek("child: split page 2 (WIPEONFORK)", split + 2 * P);
  unsigned char v;
  printf("child: mincore(dont): %s\n", mincore(dont, P, &v) ? strerror(errno) : "mapped");
  /* the child writes its wiped page: its own grandchild is wiped again (the flag goes with the VMA) */
  strcpy(wipe, "child's");
  inChild(grandchild);
}

static char *anon(int flags) {
  return mmap(NULL, 3 * P, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "/tmp/madvise_modes.dat";
  struct sigaction sa = { .sa_handler = onSegv };
  sigaction(SIGSEGV, &sa, NULL);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || pwrite(fd, "filedata", 8, 0) != 8 || ftruncate(fd, 2 * P) != 0) {
    perror(path);
    return 1;
  }
  wipe = anon(MAP_PRIVATE);
  keep = anon(MAP_PRIVATE);
  dont = anon(MAP_PRIVATE);
  dontShared = anon(MAP_SHARED);
  dontFile = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  split = anon(MAP_PRIVATE);
  strcpy(wipe, "secret");
  strcpy(keep, "kept");
  strcpy(dont, "parent");
  strcpy(dontShared, "shared");
  for (int i = 0; i < 3; i++) strcpy(split + i * P, i == 0 ? "page0" : i == 1 ? "page1" : "page2");
  say("WIPEONFORK", madvise(wipe, 3 * P, MADV_WIPEONFORK));
  say("WIPEONFORK, KEEPONFORK", madvise(keep, 3 * P, MADV_WIPEONFORK) ?: madvise(keep, 3 * P, MADV_KEEPONFORK));
  say("DONTFORK", madvise(dont, 3 * P, MADV_DONTFORK));
  say("DONTFORK shared anonymous", madvise(dontShared, 3 * P, MADV_DONTFORK));
  say("DONTFORK file", madvise(dontFile, 2 * P, MADV_DONTFORK));
  say("DONTFORK pages 0-1, DOFORK page 1", madvise(split, 2 * P, MADV_DONTFORK) ?: madvise(split + P, P, MADV_DOFORK));
  say("WIPEONFORK page 2", madvise(split + 2 * P, P, MADV_WIPEONFORK));
  say("WIPEONFORK shared anonymous", madvise(dontShared, P, MADV_WIPEONFORK));
  say("WIPEONFORK file", madvise(dontFile, P, MADV_WIPEONFORK));
  inChild(child);
  peek("parent: wipe", wipe);
  peek("parent: dont", dont);

  /* MADV_FREE: private anonymous memory only */
  char *pf = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  memcpy(pf, "COW!", 4);
  say("FREE private file", madvise(pf, P, MADV_FREE));
  peek("private file after FREE", pf);
  say("FREE shared anonymous", madvise(dontShared, P, MADV_FREE));
  say("FREE private anonymous", madvise(keep, P, MADV_FREE));
  /* a locked mapping: DONTNEED refused, DONTNEED_LOCKED drops */
  char *l = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
  l[0] = 'L';
  say("DONTNEED locked", madvise(l, P, MADV_DONTNEED));
  printf("locked byte: %d\n", l[0]);
  say("DONTNEED_LOCKED locked", madvise(l, P, MADV_DONTNEED_LOCKED));
  printf("locked byte: %d\n", l[0]);

  /* MADV_POPULATE_* */
  char *m = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  say("POPULATE_READ within the file", madvise(m, 2 * P, MADV_POPULATE_READ));
  say("POPULATE_WRITE within the file", madvise(m, 2 * P, MADV_POPULATE_WRITE));
  say("POPULATE_READ past the end", madvise(m, 4 * P, MADV_POPULATE_READ));
  char *none = mmap(NULL, P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  say("POPULATE_READ PROT_NONE", madvise(none, P, MADV_POPULATE_READ));
  char *ro = mmap(NULL, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  say("POPULATE_WRITE read-only", madvise(ro, P, MADV_POPULATE_WRITE));
  say("POPULATE_READ read-only", madvise(ro, P, MADV_POPULATE_READ));
  munmap(none, P);
  say("POPULATE_READ across a hole", madvise(ro - P, 2 * P, MADV_POPULATE_READ));
  say("DONTNEED across a hole", madvise(ro - P, 2 * P, MADV_DONTNEED));
  say("COLLAPSE 3 pages", madvise(keep, 3 * P, MADV_COLLAPSE));
  say("advice 7", madvise(keep, P, 7));
  say("advice 26", madvise(keep, P, 26));
  unlink(path);
  return 0;
}
