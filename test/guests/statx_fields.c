/* statx(2) beyond the basic fields (fs/stat.c vfs_statx, cp_statx): the
 * answer mask, stx_attributes and stx_attributes_mask (MOUNT_ROOT on a
 * mount's root; a filesystem's own), the birth time (a host file's when
 * asked, as its filesystem keeps it; tmpfs's and devtmpfs's always), and
 * stx_mnt_id, which must be the id /proc/self/mountinfo gives the mount.
 * By path and through an O_PATH descriptor (AT_EMPTY_PATH). argv[1]: a
 * host file whose birth time is printed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the id mountinfo gives the mount at `point` */
static long mount_id(const char *point) {
  FILE *f = fopen("/proc/self/mountinfo", "r");
  char line[4096];
  long id = -1;
  while (f && fgets(line, sizeof line, f)) {
    long i, parent;
    char dev[64], root[1024], mp[1024];
    if (sscanf(line, "%ld %ld %63s %1023s %1023s", &i, &parent, dev, root, mp) == 5 && !strcmp(mp, point)) id = i;
  }
  if (f) fclose(f);
  return id;
}

static void show(const char *path, const char *point, unsigned mask, int by_fd) {
  struct statx s;
  memset(&s, 0, sizeof s);
  int r;
  if (by_fd) {
    int fd = open(path, O_PATH);
    r = statx(fd, "", AT_EMPTY_PATH, mask, &s);
    close(fd);
  } else {
    r = statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, mask, &s);
  }
  if (r != 0) {
    printf("%s: statx failed\n", path);
    return;
  }
  printf("%s%s (asked %#x): mask %#x attributes %#llx attributes_mask %#llx btime %s mnt_id is mountinfo's %s: %s\n",
         path, by_fd ? " by fd" : "", mask, s.stx_mask, (unsigned long long)s.stx_attributes,
         (unsigned long long)s.stx_attributes_mask, s.stx_mask & STATX_BTIME ? (s.stx_btime.tv_sec > 0 ? "set" : "zero") : "none",
         point, (long)s.stx_mnt_id == mount_id(point) ? "yes" : "no");
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *paths[][2] = {
    {"/", "/"}, {"/usr", "/"}, {"/proc", "/proc"}, {"/proc/self/stat", "/proc"},
    {"/dev", "/dev"}, {"/dev/null", "/dev"}, {"/dev/shm", "/dev/shm"},
  };
  for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    show(paths[i][0], paths[i][1], STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID, 0);
    show(paths[i][0], paths[i][1], STATX_BASIC_STATS, 1);
  }
  show(argv[1], "/", STATX_BASIC_STATS, 0);
  show(argv[1], "/", STATX_BASIC_STATS | STATX_BTIME, 1);
  struct statx s;
  statx(AT_FDCWD, argv[1], 0, STATX_BTIME, &s);
  printf("the host file's birth time: %lld.%09u\n", (long long)s.stx_btime.tv_sec, s.stx_btime.tv_nsec);
  return 0;
}
