/* What an unprivileged user may do to modes, owners and names (run as root:
 * a child drops to uid/gid 1000, not in group 555):
 *  - setgid: a file it makes setgid and group-executable in a setgid
 *    directory of group 555 loses S_ISGID (mode_strip_sgid), and so does a
 *    chmod 02755 of it (setattr_prepare);
 *  - setuid: a write, a truncate and an ftruncate of its own setuid file
 *    clear S_ISUID (file_remove_privs);
 *  - chown(-1, -1) of root's setgid-executable file is EPERM (the bits it
 *    would clear are the owner's to clear); utimensat of it with one time
 *    UTIME_NOW, the other UTIME_OMIT, is EPERM (an explicit update);
 *  - moving a directory it cannot write to another parent is EACCES (its
 *    '..' changes);
 *  - a hard link to root's setgid-executable file is EPERM
 *    (fs.protected_hardlinks), to its own file fine;
 *  - what it makes setuid is setuid; a directory it makes in the setgid
 *    directory is setgid, of group 555;
 *  - an O_PATH fd: fchmod, fchown, futimens and pread are EBADF.
 * In $PRIVS_DIR if set (a host directory under umlts), else /tmp. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *what, long r) {
  printf("%s: %ld %s\n", what, r < 0 ? r : 0, r < 0 ? strerror(errno) : "");
}
static void mode(const char *p) {
  struct stat st;
  if (stat(p, &st) == 0) printf("  %s: mode %o, group %d\n", p, (unsigned)st.st_mode & 07777, (int)st.st_gid);
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  char base[64];
  const char *dir = getenv("PRIVS_DIR");
  snprintf(base, sizeof base, "%s/fs_privs.%d", dir ? dir : "/tmp", (int)getpid());
  umask(0);
  mkdir(base, 0777);
  if (chdir(base) < 0) return 1;

  int fd = open("f", O_CREAT | O_RDWR, 0644);
  write(fd, "hello", 5);
  close(fd);
  int pf = open("f", O_PATH);
  say("O_PATH fchmod", fchmod(pf, 0600));
  say("O_PATH fchown", fchown(pf, 0, 0));
  say("O_PATH futimens", futimens(pf, NULL));
  char b[8];
  say("O_PATH pread", pread(pf, b, 1, 0));
  close(pf);

  mkdir("sg", 0777);
  chown("sg", 0, 555);
  chmod("sg", 02777);
  fd = open("own", O_CREAT | O_WRONLY, 0755);
  close(fd);
  chown("own", 1000, 1000);
  fd = open("sgidexec", O_CREAT | O_WRONLY, 0666);
  close(fd);
  chmod("sgidexec", 02777);
  mkdir("d", 0777);
  mkdir("d/ro", 0555);
  chown("d/ro", 1000, 1000);
  mkdir("d/dst", 0777);
  mkdir("mine", 0777);
  chown("mine", 1000, 1000);

  pid_t c = fork();
  if (c == 0) {
    if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) {
      printf("cannot drop to 1000: %s\n", strerror(errno));
      _exit(1);
    }
    fd = open("sg/f", O_CREAT | O_WRONLY, 02755);
    close(fd);
    printf("made setgid in a setgid directory of another group:\n");
    mode("sg/f");
    say("chmod 02755 of it", chmod("sg/f", 02755));
    mode("sg/f");
    say("chmod 04755 own", chmod("own", 04755));
    fd = open("own", O_WRONLY);
    say("write own", write(fd, "x", 1));
    mode("own");
    chmod("own", 04755);
    say("ftruncate own", ftruncate(fd, 0));
    mode("own");
    close(fd);
    chmod("own", 04755);
    say("truncate own", truncate("own", 0));
    mode("own");
    chmod("own", 04755);
    fd = open("own", O_WRONLY);
    say("write of nothing", write(fd, "", 0));
    mode("own");
    close(fd);
    say("chown -1 -1 of root's setgid-executable file", chown("sgidexec", -1, -1));
    struct timespec t[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    say("utimensat NOW OMIT of it", utimensat(AT_FDCWD, "sgidexec", t, 0));
    say("link to it", link("sgidexec", "mine/hl"));
    say("link to own file", link("own", "mine/hl2"));
    fd = open("mine/suid", O_CREAT | O_WRONLY, 04755);
    close(fd);
    mode("mine/suid");
    say("mkdir in the setgid directory", mkdir("sg/sub", 0755));
    mode("sg/sub");
    say("move d/ro (0555) to another parent", rename("d/ro", "d/dst/ro"));
    say("rename d/ro in place", rename("d/ro", "d/ro2"));
    _exit(0);
  }
  waitpid(c, 0, 0);
  if (chdir("/") == 0) {
    char cmd[100];
    snprintf(cmd, sizeof cmd, "rm -rf %s", base);
    system(cmd);
  }
  return 0;
}
