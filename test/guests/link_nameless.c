/* Naming a file that has no name (vfs_link's I_LINKABLE rule), and
 * reopening what /proc/self/fd shows:
 *  - linkat(fd, "", AT_EMPTY_PATH) of an unlinked file: ENOENT; of an
 *    O_TMPFILE file: its first name, once (unlinked again: ENOENT); of an
 *    O_TMPFILE|O_EXCL one: ENOENT; linkat of /proc/self/fd/N with
 *    AT_SYMLINK_FOLLOW: the same rules;
 *  - open of /proc/self/fd/N: a socket's is ENXIO, a pipe's opens. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(const char *what, int r) {
  printf("%s: %d %s\n", what, r < 0 ? r : 0, r < 0 ? strerror(errno) : "");
}

int main(void) {
  char p[64], q[80], fdp[64];
  snprintf(p, sizeof p, "/tmp/link_nameless.%d", (int)getpid());
  snprintf(q, sizeof q, "%s.name", p);

  int fd = open(p, O_RDWR | O_CREAT, 0600);
  unlink(p);
  say("linkat of an unlinked file", linkat(fd, "", AT_FDCWD, q, AT_EMPTY_PATH));
  snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", fd);
  say("linkat of its /proc/self/fd link", linkat(AT_FDCWD, fdp, AT_FDCWD, q, AT_SYMLINK_FOLLOW));

  int t = open("/tmp", O_TMPFILE | O_RDWR, 0600);
  write(t, "tmp", 3);
  say("linkat of an O_TMPFILE file", linkat(t, "", AT_FDCWD, q, AT_EMPTY_PATH));
  struct stat st;
  stat(q, &st);
  printf("  its name: size %lld, nlink %ld\n", (long long)st.st_size, (long)st.st_nlink);
  unlink(q);
  say("linkat of it once its name is gone", linkat(t, "", AT_FDCWD, q, AT_EMPTY_PATH));
  snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", t);
  say("  through /proc/self/fd", linkat(AT_FDCWD, fdp, AT_FDCWD, q, AT_SYMLINK_FOLLOW));

  int x = open("/tmp", O_TMPFILE | O_RDWR | O_EXCL, 0600);
  say("linkat of an O_TMPFILE|O_EXCL file", linkat(x, "", AT_FDCWD, q, AT_EMPTY_PATH));

  int t2 = open("/tmp", O_TMPFILE | O_WRONLY, 0600);
  snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", t2);
  say("linkat of another O_TMPFILE file through /proc/self/fd", linkat(AT_FDCWD, fdp, AT_FDCWD, q, AT_SYMLINK_FOLLOW));
  unlink(q);

  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", s);
  say("open of a socket's /proc/self/fd link", open(fdp, O_RDWR));
  int pf[2];
  pipe(pf);
  snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", pf[0]);
  say("open of a pipe's", open(fdp, O_RDONLY | O_NONBLOCK));
  return 0;
}
