/* Capabilities, differential (run as root): capget/capset and their checks,
 * the bounding set, the ambient set, keepcaps and securebits, what set*id
 * and exec do to the sets, and what dropping a capability takes away (DAC
 * override and read-search, chown, fowner, low ports, nice). argv[1]: the
 * capabilities to keep (hex), the host's bounding set, so both sides start
 * alike. Each scenario in a child; each result on a line. */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/capability.h>
#include <linux/securebits.h>

#ifndef SECBIT_EXEC_RESTRICT_FILE
#define SECBIT_EXEC_RESTRICT_FILE (1 << 8)
#endif

static char *self;
static unsigned long long keep;

static void show(const char *what, long r) {
  if (r < 0) say("%s: -1 %s\n", what, errname(errno));
  else say("%s: %ld\n", what, r);
}

static struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
typedef struct { unsigned long long e, p, i; } caps_t;
static caps_t get(void) {
  struct __user_cap_data_struct d[2] = { 0 };
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  if (syscall(SYS_capget, &hdr, d)) say("capget failed: %s\n", errname(errno));
  caps_t c = { d[0].effective | (unsigned long long)d[1].effective << 32, d[0].permitted | (unsigned long long)d[1].permitted << 32,
               d[0].inheritable | (unsigned long long)d[1].inheritable << 32 };
  return c;
}
static long set(caps_t c) {
  struct __user_cap_data_struct d[2] = {
    { (unsigned)c.e, (unsigned)c.p, (unsigned)c.i }, { (unsigned)(c.e >> 32), (unsigned)(c.p >> 32), (unsigned)(c.i >> 32) } };
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  return syscall(SYS_capset, &hdr, d);
}
static void print_caps(const char *when) {
  caps_t c = get();
  say("%s: e %llx p %llx i %llx\n", when, c.e, c.p, c.i);
}
static void status(const char *when) {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY);
  int n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n > 0 ? n : 0] = 0;
  for (char *l = strtok(buf, "\n"); l; l = strtok(0, "\n")) {
    if (!strncmp(l, "Cap", 3)) say("%s: %s\n", when, l);
  }
}
#define BIT(c) (1ULL << (c))
static long drop_eff(int cap) {
  caps_t c = get();
  c.e &= ~BIT(cap);
  return set(c);
}
static int bind_port(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = { htonl(INADDR_LOOPBACK) } };
  int r = bind(s, (struct sockaddr *)&a, sizeof a);
  int e = errno;
  close(s);
  errno = e;
  return r;
}

static void scenario(const char *name, void (*fn)(void)) {
  say("-- %s\n", name);
  pid_t c = fork();
  if (c == 0) {
    fn();
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st)) say("%s: status %#x\n", name, st);
}

static void basics(void) {
  print_caps("start");
  status("start");
  struct __user_cap_data_struct d[2];
  hdr.version = 0x12345678;
  show("capget bad version", syscall(SYS_capget, &hdr, d));
  say("version written back: %#x\n", hdr.version);
  hdr.version = 0x12345678;
  show("capget bad version, no data", syscall(SYS_capget, &hdr, 0));
  hdr.version = _LINUX_CAPABILITY_VERSION_1;
  memset(d, 0, sizeof d);
  show("capget v1", syscall(SYS_capget, &hdr, d));
  say("v1 words: e %x p %x, second word untouched %x\n", d[0].effective, d[0].permitted, d[1].effective);
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 1;
  show("capset of another process", syscall(SYS_capset, &hdr, d));
  hdr.pid = getpid();
  show("capset of oneself by pid", syscall(SYS_capset, &hdr, d) == 0 ? 0 : -1);
  hdr.pid = -1;
  show("capget pid -1", syscall(SYS_capget, &hdr, d));
  hdr.pid = 0x7fffffff;
  show("capget no such pid", syscall(SYS_capget, &hdr, d));
  caps_t c = get();
  caps_t bad = c;
  bad.e |= BIT(63 - 23); /* beyond CAP_LAST_CAP: masked */
  show("capset with bits past the last", set(bad));
  print_caps("after");
  bad = c;
  bad.e = c.p | BIT(CAP_SYS_RESOURCE);
  bad.p = c.p & ~BIT(CAP_SYS_RESOURCE);
  bad.e &= bad.p | BIT(CAP_SYS_RESOURCE);
  show("capset effective beyond permitted", set(bad));
  show("PR_CAPBSET_READ CAP_CHOWN", prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0));
  show("PR_CAPBSET_READ 99", prctl(PR_CAPBSET_READ, 99, 0, 0, 0));
  show("PR_CAPBSET_DROP CAP_SYS_TIME", prctl(PR_CAPBSET_DROP, CAP_SYS_TIME, 0, 0, 0));
  show("PR_CAPBSET_READ CAP_SYS_TIME", prctl(PR_CAPBSET_READ, CAP_SYS_TIME, 0, 0, 0));
  show("PR_CAPBSET_DROP 99", prctl(PR_CAPBSET_DROP, 99, 0, 0, 0));
  /* dropping from the bounding set leaves the permitted set alone; inheritable may not grow past it */
  print_caps("after a bounding drop");
  c = get();
  c.i = BIT(CAP_SYS_TIME);
  show("inheritable outside the bounding set", set(c));
  c.i = BIT(CAP_NET_BIND_SERVICE);
  show("inheritable inside", set(c));
  show("ambient IS_SET", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
  show("ambient RAISE (permitted and inheritable)", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
  show("ambient RAISE (not inheritable)", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0));
  show("ambient IS_SET", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
  show("ambient RAISE 99", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 99, 0, 0));
  show("ambient bad op", prctl(PR_CAP_AMBIENT, 9, CAP_CHOWN, 0, 0));
  show("ambient CLEAR_ALL with an argument", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0));
  status("with an ambient capability");
  c = get();
  c.i = 0;
  show("inheritable cleared", set(c));
  show("ambient IS_SET after (dropped with it)", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
  show("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
  show("PR_SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
  show("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
  show("PR_GET_SECUREBITS", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
  show("PR_SET_SECUREBITS unknown bit", prctl(PR_SET_SECUREBITS, 1 << 20, 0, 0, 0));
  show("PR_SET_SECUREBITS KEEP_CAPS|LOCKED", prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0));
  show("PR_SET_KEEPCAPS 0 (locked)", prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0));
  show("PR_SET_SECUREBITS unlocking", prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS, 0, 0, 0));
  show("PR_GET_SECUREBITS", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
}

static void without_setpcap(void) {
  drop_eff(CAP_SETPCAP);
  show("PR_CAPBSET_DROP without CAP_SETPCAP", prctl(PR_CAPBSET_DROP, CAP_SYS_TIME, 0, 0, 0));
  show("PR_SET_SECUREBITS without CAP_SETPCAP", prctl(PR_SET_SECUREBITS, SECBIT_NOROOT, 0, 0, 0));
  show("PR_SET_SECUREBITS unprivileged bit", prctl(PR_SET_SECUREBITS, SECBIT_EXEC_RESTRICT_FILE, 0, 0, 0));
  show("PR_SET_SECUREBITS no change", prctl(PR_SET_SECUREBITS, SECBIT_EXEC_RESTRICT_FILE, 0, 0, 0));
  caps_t c = get();
  c.i = BIT(CAP_CHOWN);
  /* inheritable from the permitted set needs CAP_SETPCAP only beyond it: CAP_CHOWN is permitted */
  show("inheritable within permitted", set(c));
  c.p &= ~BIT(CAP_KILL);
  c.e &= ~BIT(CAP_KILL);
  show("drop CAP_KILL from permitted", set(c));
  c.i |= BIT(CAP_KILL);
  show("inheritable CAP_KILL, no longer permitted", set(c));
  c.i &= ~BIT(CAP_KILL);
  c.p |= BIT(CAP_KILL);
  show("permitted CAP_KILL again", set(c));
}

static void effects(void) {
  int fd = open("/tmp/umlts-caps-file", O_CREAT | O_WRONLY | O_TRUNC, 0);
  (void)!write(fd, "x", 1);
  close(fd);
  chmod("/tmp/umlts-caps-file", 0);
  show("open a mode-0 file for reading", open("/tmp/umlts-caps-file", O_RDONLY) >= 0);
  drop_eff(CAP_DAC_OVERRIDE);
  show("... without DAC_OVERRIDE, reading", open("/tmp/umlts-caps-file", O_RDONLY) >= 0);
  show("... without DAC_OVERRIDE, writing", open("/tmp/umlts-caps-file", O_WRONLY));
  drop_eff(CAP_DAC_READ_SEARCH);
  show("... without DAC_READ_SEARCH either, reading", open("/tmp/umlts-caps-file", O_RDONLY));
  show("access(R_OK) uses the real uid's permitted set", access("/tmp/umlts-caps-file", R_OK));
  show("chown to 1:1", chown("/tmp/umlts-caps-file", 1, 1));
  drop_eff(CAP_CHOWN);
  show("... without CAP_CHOWN, chown to 2:2", chown("/tmp/umlts-caps-file", 2, 2));
  show("chmod of a file of uid 1", chmod("/tmp/umlts-caps-file", 0644));
  drop_eff(CAP_FOWNER);
  show("... without CAP_FOWNER", chmod("/tmp/umlts-caps-file", 0600));
  show("bind port 80", bind_port(80));
  drop_eff(CAP_NET_BIND_SERVICE);
  show("... without CAP_NET_BIND_SERVICE", bind_port(80));
  show("setpriority -5", setpriority(PRIO_PROCESS, 0, -5));
  drop_eff(CAP_SYS_NICE);
  show("... without CAP_SYS_NICE, -10", setpriority(PRIO_PROCESS, 0, -10));
  caps_t c = get();
  c.e = c.p;
  show("effective back from permitted", set(c));
  show("bind port 80 again", bind_port(80));
  unlink("/tmp/umlts-caps-file");
}

static void setuid_drops(void) {
  show("setresuid(1000) without keepcaps", setresuid(1000, 1000, 1000));
  print_caps("after");
  status("after");
  /* a process that left root still reaches its own fds (proc_fd_permission) */
  DIR *d = opendir("/proc/self/fd");
  say("opendir /proc/self/fd as uid 1000: %s\n", d ? "yes" : errname(errno));
  if (d) closedir(d);
  show("setuid(0) back", setuid(0));
}
static void setuid_keeps(void) {
  show("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
  show("setresuid(1000) with keepcaps", setresuid(1000, 1000, 1000));
  print_caps("after");
  caps_t c = get();
  c.e = BIT(CAP_NET_BIND_SERVICE);
  show("raise an effective capability again", set(c));
  show("bind port 80 as uid 1000", bind_port(80));
}
static void euid_only(void) {
  show("seteuid(1000)", seteuid(1000));
  print_caps("euid 1000");
  show("seteuid(0)", seteuid(0));
  print_caps("euid 0 again");
  show("setfsuid(1000) (was 0)", setfsuid(1000));
  print_caps("fsuid 1000");
  show("setfsuid(0) (was 1000)", setfsuid(0));
  print_caps("fsuid 0 again");
}
static void exec_ambient(void) {
  caps_t c = get();
  c.i = BIT(CAP_NET_BIND_SERVICE);
  set(c);
  show("ambient RAISE", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
  prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
  show("setresuid(1000)", setresuid(1000, 1000, 1000));
  show("ambient after setresuid (cleared)", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
  c = get();
  c.i = BIT(CAP_NET_BIND_SERVICE);
  show("inheritable kept", set(c));
  show("ambient RAISE as uid 1000", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
  execl(self, self, "after-exec", (char *)0);
  say("exec failed: %s\n", errname(errno));
}
static void exec_root(void) {
  prctl(PR_CAPBSET_DROP, CAP_SYS_TIME, 0, 0, 0);
  caps_t c = get();
  c.e &= ~BIT(CAP_CHOWN);
  c.p &= ~BIT(CAP_CHOWN);
  set(c);
  prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
  execl(self, self, "after-exec", (char *)0);
}
static void after_exec(void) {
  print_caps("after exec");
  status("after exec");
  show("PR_GET_KEEPCAPS after exec", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
  show("bind port 80 after exec", bind_port(80));
}

int main(int argc, char **argv) {
  self = argv[0];
  if (argc > 1 && !strcmp(argv[1], "after-exec")) {
    after_exec();
    return 0;
  }
  keep = argc > 1 ? strtoull(argv[1], 0, 16) : ~0ULL;
  /* start alike: what the host's bounding set lacks, dropped here too */
  for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
    if (!(keep & BIT(cap))) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  }
  caps_t c = get();
  c.e &= keep;
  c.p &= keep;
  set(c);
  scenario("basics", basics);
  scenario("without CAP_SETPCAP", without_setpcap);
  scenario("effects", effects);
  scenario("setuid drops", setuid_drops);
  scenario("setuid keeps", setuid_keeps);
  scenario("euid and fsuid", euid_only);
  scenario("exec with an ambient capability", exec_ambient);
  scenario("exec as root", exec_root);
  return 0;
}
