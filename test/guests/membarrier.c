/* membarrier(2), differential: QUERY's mask, every command before and after
 * its registration (EPERM), the flags and cpu_id rules, GET_REGISTRATIONS
 * (with Linux's quirk: registering SYNC_CORE or RSEQ marks the process
 * PRIVATE_EXPEDITED in it without making PRIVATE_EXPEDITED usable), fork
 * keeping and exec dropping the registrations, and barriers while other
 * threads run guest code. Each call's result and errno on a line. */
#include "common.h"
#include <pthread.h>
#include <stdlib.h>
#include <linux/membarrier.h>
#ifndef MEMBARRIER_CMD_GET_REGISTRATIONS
#define MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9)
#endif

static long mb(int cmd, unsigned flags, int cpu) {
  return syscall(SYS_membarrier, cmd, flags, cpu);
}
static void show(const char *what, long r) {
  if (r < 0) say("%s: -1 %s\n", what, errname(errno));
  else say("%s: %ld\n", what, r);
}

static volatile int stop;
/* one counter per spinner: a shared counter++ from two threads can go
 * backwards (one thread stopped between its load and its store writes a
 * stale value later), which made "went on" fail with no stall at all */
static volatile long counter[2];
static void *spin(void *arg) {
  volatile long *c = arg;
  while (!stop) (*c)++;
  return 0;
}
static long progress(void) { return counter[0] + counter[1]; }

int main(int argc, char **argv) {
  if (argc > 1) {
    show("after exec: GET_REGISTRATIONS", mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0));
    show("after exec: PRIVATE_EXPEDITED", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
    return 0;
  }
  show("QUERY", mb(MEMBARRIER_CMD_QUERY, 0, 0));
  show("QUERY flags 1", mb(MEMBARRIER_CMD_QUERY, 1, 0));
  show("GLOBAL flags 1", mb(MEMBARRIER_CMD_GLOBAL, 1, 0));
  show("unknown 3", mb(3, 0, 0));
  show("unknown 1<<10", mb(1 << 10, 0, 0));
  show("unknown -1", mb(-1, 0, 0));
  show("unknown -1, flags 1", mb(-1, 1, 0));
  show("GET_REGISTRATIONS", mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0));
  show("GET_REGISTRATIONS flags 1", mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 1, 0));
  show("PRIVATE_EXPEDITED unregistered", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
  show("PRIVATE_EXPEDITED flags 1", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, MEMBARRIER_CMD_FLAG_CPU, 0));
  show("SYNC_CORE unregistered", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0));
  show("RSEQ unregistered", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0));
  show("RSEQ flags CPU unregistered", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_FLAG_CPU, 0));
  show("RSEQ flags 2", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 2, 0));
  show("RSEQ flags 3", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 3, 0));
  show("GLOBAL", mb(MEMBARRIER_CMD_GLOBAL, 0, 0));
  show("GLOBAL_EXPEDITED unregistered", mb(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0));

  show("REGISTER_PRIVATE_EXPEDITED_SYNC_CORE", mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0));
  show("GET_REGISTRATIONS", mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0));
  show("PRIVATE_EXPEDITED after SYNC_CORE's registration", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
  show("SYNC_CORE", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0));
  show("REGISTER_PRIVATE_EXPEDITED", mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
  show("REGISTER_PRIVATE_EXPEDITED again", mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
  show("PRIVATE_EXPEDITED", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
  show("REGISTER_PRIVATE_EXPEDITED flags 1", mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 1, 0));
  show("REGISTER_GLOBAL_EXPEDITED", mb(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0));
  show("GLOBAL_EXPEDITED", mb(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0));
  show("GET_REGISTRATIONS", mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0));
  show("REGISTER_PRIVATE_EXPEDITED_RSEQ", mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0));
  show("RSEQ", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0));
  show("RSEQ on cpu 0", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_FLAG_CPU, 0));
  show("RSEQ on cpu 100000", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_FLAG_CPU, 100000));
  show("RSEQ on cpu -5", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_FLAG_CPU, -5));
  show("RSEQ cpu ignored without the flag", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 100000));
  show("GET_REGISTRATIONS", mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0));

  /* barriers while two other threads run guest code */
  pthread_t th[2];
  for (int i = 0; i < 2; i++) pthread_create(&th[i], 0, spin, (void *)&counter[i]);
  while (progress() < 1000) usleep(1000);
  show("PRIVATE_EXPEDITED, threads running", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
  show("SYNC_CORE, threads running", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0));
  show("RSEQ, threads running", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0));
  show("GLOBAL, threads running", mb(MEMBARRIER_CMD_GLOBAL, 0, 0));
  show("GLOBAL_EXPEDITED, threads running", mb(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0));
  long before = progress();
  for (int i = 0; i < 200; i++) mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
  /* (they may not have had a CPU during the barriers on a busy host: given time, they must go on) */
  for (int i = 0; i < 2000 && progress() == before; i++) usleep(1000);
  say("threads went on: %s\n", progress() > before ? "yes" : "no");
  stop = 1;
  for (int i = 0; i < 2; i++) pthread_join(th[i], 0);

  /* fork keeps the registrations, exec drops them */
  pid_t c = fork();
  if (c == 0) {
    show("fork child: GET_REGISTRATIONS", mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0));
    show("fork child: PRIVATE_EXPEDITED", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
    execl(argv[0], argv[0], "exec", (char *)0);
    _exit(127);
  }
  int st;
  waitpid(c, &st, 0);
  say("child exit %d\n", WEXITSTATUS(st));
  return 0;
}
