/* /proc/self/task with threads: one directory per thread, each with its own
 * stat (first field: its tid) and comm (pthread_setname_np through prctl in
 * the thread itself), and "Threads:" in /proc/self/status. */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static int ready[2], release[2];
static pid_t tids[3];

static void *worker(void *arg) {
  long i = (long)arg;
  char name[16];
  snprintf(name, sizeof name, "worker-%ld", i);
  prctl(PR_SET_NAME, name);
  tids[i] = (pid_t)syscall(SYS_gettid);
  char c = 1;
  (void)!write(ready[1], &c, 1);
  (void)!read(release[0], &c, 1);
  return NULL;
}

static int read_file(const char *path, char *buf, size_t n) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  long r = read(fd, buf, n - 1);
  close(fd);
  if (r < 0) return -1;
  buf[r] = 0;
  return (int)r;
}

int main(void) {
  if (pipe(ready) || pipe(release)) return 1;
  pthread_t t[3];
  for (long i = 0; i < 3; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  char c;
  for (int i = 0; i < 3; i++) (void)!read(ready[0], &c, 1);

  DIR *d = opendir("/proc/self/task");
  if (!d) return say("opendir: %s\n", errname(errno)), 1;
  int n = 0, own = 0, names_ok = 0, stat_ok = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    n++;
    pid_t tid = atoi(e->d_name);
    if (tid == getpid()) own = 1;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    if (read_file(path, buf, sizeof buf) > 0 && atoi(buf) == tid) stat_ok++;
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", tid);
    if (read_file(path, buf, sizeof buf) > 0) {
      for (int i = 0; i < 3; i++) {
        char want[24];
        snprintf(want, sizeof want, "worker-%d\n", i);
        if (tid == tids[i] && strcmp(buf, want) == 0) names_ok++;
      }
    }
  }
  closedir(d);
  say("task entries: %d, the leader among them: %d\n", n, own);
  say("stat's first field is the tid: %d of %d\n", stat_ok, n);
  say("threads' own names: %d of 3\n", names_ok);
  char buf[4096];
  read_file("/proc/self/status", buf, sizeof buf);
  char *th = strstr(buf, "Threads:");
  say("status %.*s\n", th ? (int)strcspn(th, "\n") : 0, th ? th : "");
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/status", tids[1]);
  read_file(path, buf, sizeof buf);
  char *pid = strstr(buf, "\nPid:");
  say("a thread's status shows its own Pid: %d\n", pid && atoi(pid + 5) == tids[1]);
  snprintf(path, sizeof path, "/proc/self/task/%d", 999999);
  say("a tid that is not here: %s\n", res(open(path, O_RDONLY)));
  for (int i = 0; i < 3; i++) (void)!write(release[1], "x", 1);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  /* a joined thread may still be listed a moment (Linux wakes the joiner from the exiting thread's
   * clear_child_tid, before the thread is released): the count settles, for up to a second */
  for (int tries = 0; tries < 100; tries++) {
    d = opendir("/proc/self/task");
    n = 0;
    while ((e = readdir(d))) if (e->d_name[0] != '.') n++;
    closedir(d);
    if (n == 1) break;
    usleep(10000);
  }
  say("after join: %d\n", n);
  return 0;
}
