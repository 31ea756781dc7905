/* Paths the kernel reads out of file mappings (usage: rodata_path DIR, DIR
 * writable): a literal in the program's own read-only data, named by many
 * calls, and a path in a private mapping of a data file that is rewritten in
 * place between two opens (the second names the new path, as the mapping
 * shows it then). One line per check. */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>

/* which device a path named: /dev/null reads nothing, /dev/zero a zero */
static const char *device(int fd) {
  char c = 1;
  if (fd < 0) return errname(errno);
  long n = read(fd, &c, 1);
  close(fd);
  return n == 0 ? "null" : n == 1 && c == 0 ? "zero" : "other";
}

int main(int argc, char **argv) {
  if (argc < 2) return say("usage: rodata_path DIR\n"), 2;
  int ok = 0, missing = 0;
  for (int i = 0; i < 50; i++) {
    int fd = open("/dev/zero", O_RDONLY);
    if (fd >= 0 && !strcmp(device(fd), "zero")) ok++;
  }
  say("a literal path opened: %d of 50\n", ok);
  for (int i = 0; i < 10; i++)
    if (open("/nonexistent/rodata_path", O_RDONLY) < 0 && errno == ENOENT) missing++;
  say("a literal path that is not there: ENOENT %d of 10\n", missing);

  char path[512];
  snprintf(path, sizeof path, "%s/pathfile", argv[1]);
  /* a whole page of file: one the kernel could keep a copy of */
  static char page[4096];
  memcpy(page, "/dev/null", 10);
  int pf = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (pf < 0 || write(pf, page, sizeof page) != sizeof page) return say("pathfile: %s\n", errname(errno)), 1;
  char *pp = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, pf, 0);
  if (pp == MAP_FAILED) return say("mmap: %s\n", errname(errno)), 1;
  say("a path in a data file's mapping: %s\n", device(open(pp, O_RDONLY)));
  if (pwrite(pf, "/dev/zero", 10, 0) != 10) return say("pwrite: %s\n", errname(errno)), 1;
  say("the same, the file rewritten in place: %s\n", device(open(pp, O_RDONLY)));
  munmap(pp, 4096);
  close(pf);
  unlink(path);
  say("done\n");
  return 0;
}
