/* /proc/locks and /proc/PID/fdinfo's "lock:" lines (fs/locks.c
 * lock_get_status, fs/proc/fd.c show_fd_locks). Differential: the lines
 * of this test's two files, with pids, devices and inodes replaced by what
 * they are to this process (its own pid, its file's st_dev and st_ino). */
#include "common.h"
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <fcntl.h>

static dev_t dev_a, dev_b;
static ino_t ino_a, ino_b;

/* "[lock:\t]N: KIND  ADVISORY  TYPE PID MAJ:MIN:INO START END" -> the same with PID, the device and the
 * inode named; NULL if the line is not about our files */
static const char *normal(const char *line, int keep_id) {
  static char out[256];
  char kind[16], adv[16], type[16], end[32];
  unsigned maj, min;
  unsigned long ino;
  long long start;
  int id, pid;
  const char *p = strncmp(line, "lock:\t", 6) == 0 ? line + 6 : line;
  if (sscanf(p, "%d: %15s %15s %15s %d %x:%x:%lu %lld %31s", &id, kind, adv, type, &pid, &maj, &min, &ino, &start, end) != 10)
    return NULL;
  const char *file = ino == ino_a && makedev(maj, min) == dev_a ? "A" : ino == ino_b && makedev(maj, min) == dev_b ? "B" : NULL;
  if (!file) return NULL;
  const char *who = pid == getpid() ? "self" : pid == -1 ? "-1" : "other";
  if (keep_id) snprintf(out, sizeof out, "%d: %s %s %s %s file %s %lld %s", id, kind, adv, type, who, file, start, end);
  else snprintf(out, sizeof out, "%s %s %s %s file %s %lld %s", kind, adv, type, who, file, start, end);
  return out;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void proc_locks(const char *label) {
  FILE *f = fopen("/proc/locks", "r");
  if (!f) { say("%s: /proc/locks: %s\n", label, errname(errno)); return; }
  char line[256], *got[64];
  int n = 0;
  while (fgets(line, sizeof line, f) && n < 64) {
    const char *s = normal(line, 0);
    if (s) got[n++] = strdup(s);
  }
  fclose(f);
  qsort(got, n, sizeof *got, cmp);
  say("%s: %d lock(s)\n", label, n);
  for (int i = 0; i < n; i++) say("  %s\n", got[i]);
}

static void fdinfo(int fd, const char *label) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  FILE *f = fopen(path, "r");
  if (!f) { say("%s: %s\n", label, errname(errno)); return; }
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "lock:\t", 6)) continue;
    const char *s = normal(line, 1);
    say("%s: lock: %s\n", label, s ? s : "(another file's)");
    n++;
  }
  if (!n) say("%s: no lock lines\n", label);
  fclose(f);
}

static int setlk(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock l = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
  return fcntl(fd, cmd, &l);
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  char a[256], b[256];
  snprintf(a, sizeof a, "%s/proc_locks_a.%d", dir, getpid());
  snprintf(b, sizeof b, "%s/proc_locks_b.%d", dir, getpid());
  int fa = open(a, O_RDWR | O_CREAT | O_TRUNC, 0644), fb = open(b, O_RDWR | O_CREAT | O_TRUNC, 0644);
  int fb2 = open(b, O_RDWR);
  struct stat st;
  fstat(fa, &st); dev_a = st.st_dev; ino_a = st.st_ino;
  fstat(fb, &st); dev_b = st.st_dev; ino_b = st.st_ino;
  proc_locks("none yet");
  say("flock A: %d\n", flock(fa, LOCK_EX));
  say("POSIX write B [5, 104]: %d\n", setlk(fb, F_SETLK, F_WRLCK, 5, 100));
  say("POSIX read B [200, EOF): %d\n", setlk(fb, F_SETLK, F_RDLCK, 200, 0));
  say("OFD read B [150, 159] through another open: %d\n", setlk(fb2, F_OFD_SETLK, F_RDLCK, 150, 10));
  proc_locks("held");
  fdinfo(fa, "fd A");
  fdinfo(fb, "fd B");
  fdinfo(fb2, "fd B (second open)");
  /* a child's locks: another pid; its fdinfo shows none of the parent's POSIX locks on an inherited fd */
  int p[2];
  if (pipe(p)) return 1;
  pid_t c = fork();
  if (c == 0) {
    int fa2 = open(a, O_RDONLY);
    say("child: flock A, shared (A is locked exclusive): %d\n", flock(fa2, LOCK_SH | LOCK_NB));
    say("child: POSIX write B [110, 119]: %d\n", setlk(fb, F_SETLK, F_WRLCK, 110, 10));
    fdinfo(fb, "child's fd B");
    if (write(p[1], "x", 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  char ch;
  if (read(p[0], &ch, 1) != 1) return 1;
  proc_locks("with the child's");
  kill(c, SIGKILL);
  waitpid(c, 0, 0);
  proc_locks("the child gone");
  say("unlock B [0, 99]: %d\n", setlk(fb, F_SETLK, F_UNLCK, 0, 100));
  close(fb2);
  proc_locks("after an unlock and a close of B's second open (the process's POSIX locks on B go too)");
  close(fa);
  close(fb);
  proc_locks("all closed");
  unlink(a);
  unlink(b);
  return 0;
}
