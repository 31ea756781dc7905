/* xattr_probe FILE: sets user.guest and trusted.guest on FILE;
 * xattr_probe FILE read: prints what FILE has (run on the host, it shows
 * which of a guest's attributes reached the host file). */
#include "common.h"
#include <sys/xattr.h>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  if (argc == 2) {
    if (setxattr(argv[1], "user.guest", "from-guest", 10, 0) < 0) return 1;
    if (setxattr(argv[1], "trusted.guest", "secret", 6, 0) < 0) return 1;
    return 0;
  }
  char v[64];
  ssize_t n = getxattr(argv[1], "user.guest", v, sizeof v);
  if (n < 0) say("user.guest=%s ", errname(errno));
  else say("user.guest=%.*s ", (int)n, v);
  n = getxattr(argv[1], "trusted.guest", v, sizeof v);
  if (n < 0) say("trusted.guest=%s\n", errname(errno));
  else say("trusted.guest=%.*s\n", (int)n, v);
  return 0;
}
