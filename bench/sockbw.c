/* Bench row: one-way AF_UNIX stream throughput between two processes, 64 KiB
 * writes, the shape of microbench's tcpbw (usage: sockbw [MB]). Prints
 * "unix_stream VALUE MB/s" (-1 if the reader did not get every byte). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  int mb = argc > 1 ? atoi(argv[1]) : 512;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
    printf("unix_stream -1 error\n");
    return 1;
  }
  static char buf[65536];
  pid_t p = fork();
  if (p == 0) {
    close(sv[0]);
    long got = 0;
    ssize_t r;
    while ((r = read(sv[1], buf, sizeof buf)) > 0) got += r;
    _exit(got == (long)mb << 20 ? 0 : 1);
  }
  close(sv[1]);
  double a = now();
  for (int i = 0; i < mb * 16; i++) {
    size_t o = 0;
    while (o < sizeof buf) {
      ssize_t w = write(sv[0], buf + o, sizeof buf - o);
      if (w <= 0) break;
      o += w;
    }
  }
  close(sv[0]);
  int st;
  waitpid(p, &st, 0);
  double t = (now() - a) / 1e9;
  printf("unix_stream %.1f MB/s\n", WIFEXITED(st) && !WEXITSTATUS(st) ? mb / t : -1);
  return 0;
}
