/* /proc/sys/kernel's UTS names (kernel/utsname_sysctl.c) read as uname(2) says them: ostype, osrelease, version,
 * hostname and domainname each with a newline; with an argument (under umlts only: natively it would rename the
 * host), also after sethostname and setdomainname. */
#include "common.h"
#include <fcntl.h>
#include <sys/utsname.h>

static void cat(const char *name, const char *want) {
  char p[64], b[256];
  snprintf(p, sizeof p, "/proc/sys/kernel/%s", name);
  int fd = open(p, O_RDONLY);
  if (fd < 0) {
    say("%s: %s\n", name, errname(errno));
    return;
  }
  int n = read(fd, b, sizeof b - 1);
  close(fd);
  b[n < 0 ? 0 : n] = 0;
  size_t w = strlen(want);
  say("%s: %s\n", name, n == (int)w + 1 && !memcmp(b, want, w) && b[w] == '\n' ? "as uname, and a newline" : b);
}

static void all(void) {
  struct utsname u;
  uname(&u);
  cat("ostype", u.sysname);
  cat("osrelease", u.release);
  cat("version", u.version);
  cat("hostname", u.nodename);
  cat("domainname", u.domainname);
}

int main(int argc, char **argv) {
  (void)argv;
  all();
  int fd = open("/proc/sys/kernel/ostype", O_RDONLY);
  char b[16] = {0};
  say("ostype reads: %.*s", (int)read(fd, b, sizeof b), b);
  if (argc > 1) {
    say("sethostname %s, setdomainname %s\n", res(sethostname("guest-host", 10)), res(setdomainname("guest.dom", 9)));
    all();
    cat("hostname", "guest-host");
    cat("domainname", "guest.dom");
  }
  return 0;
}
