/* mmap of files and devices that cannot be mapped (test/robust.test.mjs,
 * issue 11): each path given is opened and mapped shared and private, and
 * the answer printed — Linux's errno (ENODEV for a sysfs attribute, a
 * device without mmap or a directory), or OK. Under umlts a hostfs file is
 * mapped by the host itself, which may refuse it: the guest must get the
 * same errno (ENODEV; EPERM for PROT_EXEC on a noexec filesystem), and go on. Then the process must still map a file that can
 * be mapped (its own executable), a forked child must meet the same
 * answers, and a MAP_FIXED refusal must leave no mapping of the file at
 * that address behind.
 *
 * argv: [+]PATH...  (its own binary is argv[0]; + also maps it PROT_EXEC)
 */
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

static void try_path(const char *path) {
  /* "+PATH": try PROT_EXEC too (umlts's own /proc and /dev do not model a
   * noexec mount's EPERM, which Linux checks before ENODEV) */
  int exec = path[0] == '+';
  path += exec;
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    say("%s: open %s\n", path, errname(errno));
    return;
  }
  /* PROT_EXEC: a filesystem the host mounts without exec (sysfs) refuses it, EPERM */
  static const struct { int prot, flags; const char *name; } kinds[] = {
    { PROT_READ, MAP_SHARED, "shared" }, { PROT_READ, MAP_PRIVATE, "private" },
    { PROT_READ | PROT_EXEC, MAP_PRIVATE, "exec" },
  };
  for (unsigned k = 0; k < sizeof kinds / sizeof kinds[0] - !exec; k++) {
    void *p = mmap(NULL, 2 * 4096, kinds[k].prot, kinds[k].flags, fd, 0);
    if (p == MAP_FAILED) {
      say("%s: %s %s\n", path, kinds[k].name, errname(errno));
    } else {
      say("%s: %s OK\n", path, kinds[k].name);
      munmap(p, 2 * 4096);
    }
  }
  close(fd);
}

static void all(int argc, char **argv) {
  for (int i = 1; i < argc; i++) try_path(argv[i]);
}

/* The process can still map a mappable file: its own ELF header. */
static void own_binary(const char *self) {
  int fd = open(self, O_RDONLY);
  char *p = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) {
    say("own binary: %s\n", errname(errno));
    return;
  }
  say("own binary: %s\n", memcmp(p, "\177ELF", 4) == 0 ? "ELF" : "not ELF");
  munmap(p, 4096);
  close(fd);
}

/* MAP_FIXED of a refused file over pages of our own: the call fails; the
 * address holds either the old page or nothing, never the file. */
static void fixed_over(const char *path) {
  int fd = open(path + (path[0] == '+'), O_RDONLY);
  if (fd < 0) return;
  char *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  a[0] = 'x';
  void *p = mmap(a, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
  /* what is left is Linux-version dependent (kept or unmapped): only the
   * call's answer is printed; the page is reused below either way */
  say("fixed over own page: %s\n", p == MAP_FAILED ? errname(errno) : "OK");
  char *b = mmap(a, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  b[0] = 'y';
  say("anonymous again: %c\n", b[0]);
  munmap(b, 4096);
  close(fd);
}

int main(int argc, char **argv) {
  all(argc, argv);
  own_binary(argv[0]);
  if (argc > 1) fixed_over(argv[1]);
  pid_t c = fork();
  if (c == 0) {
    say("child:\n");
    all(argc, argv);
    own_binary(argv[0]);
    _exit(0);
  }
  int st = 0;
  waitpid(c, &st, 0);
  say("child status %d\n", st);
  say("done\n");
  return 0;
}
