/* Writes that a read-only root must refuse with EROFS. Only ever run under
 * umlts (natively, as root, they would succeed). Prints one line per try. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>

int main(int argc, char **argv) {
  const char *file = argc > 1 ? argv[1] : "/etc/umlts-test-file";
  int fd = open(file, O_CREAT | O_WRONLY, 0644);
  say("open O_CREAT: %s\n", fd < 0 ? errname(errno) : "OK");
  if (fd >= 0) {
    long n = write(fd, "written\n", 8);
    say("write: %s\n", n < 0 ? errname(errno) : "OK");
    close(fd);
  }
  /* an existing file: opening it for writing is refused too */
  fd = open("/etc/passwd", O_WRONLY | O_APPEND);
  say("open existing O_WRONLY: %s\n", fd < 0 ? errname(errno) : "OK");
  if (fd >= 0) close(fd);
  return 0;
}
