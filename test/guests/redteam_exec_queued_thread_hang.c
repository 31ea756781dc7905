/* Attack: execve from one thread while more sibling threads spin than
 * there are vCPUs. A thread waiting for a vCPU has state 'running' but its
 * host thread is ptrace-stopped (never resumed); de_thread calls
 * platform.stopNow() on it: a tgkill to a stopped tracee makes no new stop,
 * and the blocking waitpid(tid) waits forever: the whole kernel hangs.
 * Run with --cpus 1 (or with many threads on the default). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static void *spin(void *a) { for (;;) __asm__ volatile("" ::: "memory"); return a; }
int main(void) {
  pthread_t t;
  for (int i = 0; i < 6; i++) pthread_create(&t, 0, spin, 0);
  usleep(100000);
  printf("exec with 6 spinning threads\n"); fflush(stdout);
  char *argv[] = { "busybox", "echo", "exec done: the kernel survived", 0 };
  execv("/bin/busybox", argv);
  perror("execv");
  return 1;
}
