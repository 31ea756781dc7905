/* /proc/PID/comm and task/TID/comm take writes from the thread's own
 * process (comm_write): glibc's pthread_setname_np for another thread
 * writes there, and pthread_getname_np reads it; 15 bytes at most are kept,
 * a newline written is part of the name; another process's is EINVAL. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static void *idle(void *a) {
  pthread_mutex_lock(&mu);
  pthread_mutex_unlock(&mu);
  return a;
}

static void show(const char *path) {
  char b[64] = {0};
  int fd = open(path, O_RDONLY);
  int n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
  if (fd >= 0) close(fd);
  printf("  %s: %d \"%s\"\n", path, n, n > 0 ? b : strerror(errno));
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  pthread_mutex_lock(&mu);
  pthread_t th;
  pthread_create(&th, 0, idle, 0);
  int r = pthread_setname_np(th, "worker-1");
  char name[32] = {0};
  int g = pthread_getname_np(th, name, sizeof name);
  printf("pthread_setname_np of another thread: %d, getname %d \"%s\"\n", r, g, name);
  int fd = open("/proc/self/comm", O_WRONLY);
  long w = write(fd, "a-rather-long-process-name\n", 27);
  close(fd);
  printf("write of 27 bytes to /proc/self/comm: %ld\n", w);
  show("/proc/self/comm");
  fd = open("/proc/self/comm", O_WRONLY);
  w = write(fd, "short\n", 6);
  close(fd);
  printf("write \"short\\n\": %ld\n", w);
  show("/proc/self/comm");
  pthread_mutex_unlock(&mu);
  pthread_join(th, 0);

  pid_t parent = getpid();
  pid_t c = fork();
  if (c == 0) {
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/comm", (int)parent);
    int f = open(p, O_WRONLY);
    long x = f < 0 ? -1 : write(f, "child", 5);
    printf("the child writes its parent's comm: %ld %s\n", x, x < 0 ? strerror(errno) : "");
    _exit(0);
  }
  waitpid(c, 0, 0);
  return 0;
}
