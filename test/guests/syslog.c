/* syslog(2) (klogctl): its errors as Linux gives them (as root, and as
 * another user with dmesg_restrict = 1), then, last, whether the log holds
 * the notice of a syscall umlts does not implement (only umlts's does). */
#include "common.h"
#include <sys/klog.h>

#define SAY1(what, call) do { errno = 0; long r_ = (call); say("%s: %ld %s\n", what, r_ < 0 ? -1L : r_, res(r_)); } while (0)

static char buf[1 << 20];

int main(void) {
  SAY1("bad action", klogctl(99, buf, 10));
  SAY1("READ_ALL NULL", klogctl(3, NULL, 10));
  SAY1("READ_ALL negative length", klogctl(3, buf, -1));
  SAY1("READ_ALL length 0", klogctl(3, buf, 0));
  SAY1("READ NULL", klogctl(2, NULL, 10));
  SAY1("READ length 0", klogctl(2, buf, 0));
  SAY1("CONSOLE_LEVEL 0", klogctl(8, NULL, 0));
  SAY1("CONSOLE_LEVEL 9", klogctl(8, NULL, 9));
  SAY1("OPEN", klogctl(1, NULL, 0));
  SAY1("CLOSE", klogctl(0, NULL, 0));
  SAY1("SIZE_BUFFER positive", klogctl(10, NULL, 0) > 0 ? 1 : -1);
  SAY1("SIZE_UNREAD non-negative", klogctl(9, NULL, 0) >= 0 ? 1 : -1);
  int n = klogctl(3, buf, sizeof buf);
  say("READ_ALL: %s\n", n >= 0 && (n == 0 || buf[0] == '<') ? "records" : "bad");
  int c = fork();
  if (c == 0) {
    (void)!setuid(65534);
    SAY1("unprivileged READ_ALL", klogctl(3, buf, sizeof buf));
    SAY1("unprivileged SIZE_BUFFER", klogctl(10, NULL, 0));
    SAY1("unprivileged bad action", klogctl(99, NULL, 0));
    _exit(0);
  }
  waitpid(c, NULL, 0);
  /* not differential: umlts's notice of an unimplemented syscall is in its log */
  syscall(SYS_io_uring_setup, 0, NULL);
  n = klogctl(3, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  say("notice: %s\n", strstr(buf, "] umlts: unimplemented syscall io_uring_setup") ? "yes" : "no");
  return 0;
}
