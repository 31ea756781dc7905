/* File names that are not valid UTF-8 (PEP 383): in the directory argv[1],
 * create, list (getdents64), stat, open, readlink, rename, chdir/getcwd and
 * unlink names with bytes 0xff, 0xfe, a lone continuation byte, an encoded
 * surrogate, an overlong form and valid UTF-8 beside them; and argv and the
 * environment through execve, and a unix socket bound to such a name.
 * Names are printed in hex, sorted. Output is
 * compared with the host kernel's. */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static void hex(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) say("%02x", *p);
}

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *what, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    say("%s: %s\n", what, errname(errno));
    return;
  }
  static char names[32][256];
  char *sorted[32];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 32) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(names[n], sizeof names[n], "%s", e->d_name);
    sorted[n] = names[n];
    n++;
  }
  closedir(d);
  qsort(sorted, n, sizeof sorted[0], cmp);
  say("%s:", what);
  for (int i = 0; i < n; i++) {
    say(" ");
    hex(sorted[i]);
  }
  say("\n");
}

static const char *names[] = {
  "a\xff" "b", "\xfe", "c\x80", "\xed\xa0\x80", "\xc0\xaf", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xf4\x90\x80\x80", "x\xe2\x82",
};
#define N (int)(sizeof names / sizeof names[0])

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "--args") == 0) {
    say("argv:");
    for (int i = 2; i < argc; i++) {
      say(" ");
      hex(argv[i]);
    }
    const char *v = getenv("BYTES");
    say("\nenv: ");
    if (v) hex(v);
    say("\n");
    return 0;
  }
  if (argc < 2) return 2;
  if (chdir(argv[1]) < 0) return 3;
  for (int i = 0; i < N; i++) {
    int fd = open(names[i], O_CREAT | O_WRONLY | O_EXCL, 0644);
    say("create ");
    hex(names[i]);
    say(": %s\n", res(fd));
    if (fd >= 0) {
      (void)!write(fd, names[i], strlen(names[i]));
      close(fd);
    }
  }
  list("list", ".");
  for (int i = 0; i < N; i++) {
    struct stat st;
    char buf[64] = {0};
    int fd = openat(AT_FDCWD, names[i], O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    say("open ");
    hex(names[i]);
    say(": %s %s size %lld\n", res(fd), n >= 0 && strcmp(buf, names[i]) == 0 ? "same" : "differs",
        stat(names[i], &st) == 0 ? (long long)st.st_size : -1LL);
    if (fd >= 0) close(fd);
  }
  say("symlink: %s\n", res(symlink("t\xff\x80/\xfe", "l\xff")));
  char target[64] = {0};
  ssize_t n = readlink("l\xff", target, sizeof target - 1);
  say("readlink: %zd ", n);
  hex(target);
  say("\n");
  say("rename: %s\n", res(rename("a\xff" "b", "\xc3\x28")));
  say("stat old: %s\n", res(access("a\xff" "b", F_OK)));
  say("mkdir: %s\n", res(mkdir("d\xfe", 0755)));
  say("chdir: %s\n", res(chdir("d\xfe")));
  char cwd[512];
  const char *c = getcwd(cwd, sizeof cwd);
  const char *base = c ? strrchr(c, '/') + 1 : "";
  say("getcwd basename: ");
  hex(base);
  say("\n");
  say("chdir ..: %s\n", res(chdir("..")));
  list("list after", ".");
  for (int i = 1; i < N; i++) unlink(names[i]);
  unlink("\xc3\x28");
  unlink("l\xff");
  rmdir("d\xfe");
  list("list at the end", ".");
  /* a unix socket's path is bytes too: bound, found by stat and connect under the same name */
  int ls = socket(AF_UNIX, SOCK_STREAM, 0), cs = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX}, got;
  strcpy(sa.sun_path, "s\xff\x80");
  say("bind: %s\n", res(bind(ls, (struct sockaddr *)&sa, sizeof sa)));
  say("listen: %s\n", res(listen(ls, 1)));
  struct stat sst;
  int sr = stat("s\xff\x80", &sst);
  say("stat socket: %s %s\n", res(sr), sr == 0 && S_ISSOCK(sst.st_mode) ? "socket" : "no socket");
  say("connect: %s\n", res(connect(cs, (struct sockaddr *)&sa, sizeof sa)));
  socklen_t gl = sizeof got;
  memset(&got, 0, sizeof got);
  say("getsockname: %s ", res(getsockname(ls, (struct sockaddr *)&got, &gl)));
  hex(got.sun_path);
  say("\n");
  list("list with the socket", ".");
  close(cs);
  close(ls);
  unlink("s\xff\x80");
  char *args[] = {argv[0], "--args", "\xff\xfe", "ok\xc3\xa9", "\xed\xa0\x80", NULL};
  char *env[] = {"BYTES=v\xff\x80", NULL};
  execve("/proc/self/exe", args, env);
  say("execve: %s\n", errname(errno));
  return 1;
}
