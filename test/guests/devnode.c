/* Device nodes outside /dev, in the directory argv[1] (made there by the
 * host beforehand): "null" (char 1:3) and "zero" (char 1:5) work as those
 * devices do; "none" (char 42:0) and "blk" (block 42:0) are devices no
 * driver has: ENXIO. fstat shows the node. Output is compared with the
 * host kernel's. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static char path[4096];
static const char *at(const char *dir, const char *name) {
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  char buf[8] = "abcdefg";
  int fd = open(at(argv[1], "null"), O_RDWR);
  say("null: %s\n", res(fd));
  say("  write %ld read %ld\n", (long)write(fd, "xyz", 3), (long)read(fd, buf, sizeof buf));
  struct stat st;
  fstat(fd, &st);
  say("  fstat: chr %d rdev %u:%u perm %o\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777);
  close(fd);
  fd = open(at(argv[1], "zero"), O_RDONLY);
  say("zero: %s\n", res(fd));
  long n = read(fd, buf, 4);
  say("  read %ld: %d %d %d %d\n", n, buf[0], buf[1], buf[2], buf[3]);
  close(fd);
  say("none: %s\n", res(open(at(argv[1], "none"), O_RDONLY)));
  say("blk: %s\n", res(open(at(argv[1], "blk"), O_RDONLY)));
  say("none O_PATH: %s\n", res(open(at(argv[1], "none"), O_PATH)));
  return 0;
}
