/* A guest fork's host process is a copy of the parent's on systrap
 * (stub_sys_fork): it must not keep the parent's thread areas (their
 * message pages and signal stacks, which a guest can write). The parent,
 * with three threads alive, finds the area slots it can read (its own:
 * on systrap, one per host thread; natively and on ptrace none) and says
 * how many on stderr; its child tries the same slots and says on stdout
 * how many it can read (none, everywhere: its own thread's area is
 * another slot). */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define STUB_AREAS 0x7ff000010000UL /* layout.h */
#define STUB_AREA_SIZE 0x4000UL
#define SLOTS 256

static sigjmp_buf jb;
static void on_segv(int sig) { (void)sig; siglongjmp(jb, 1); }

static int readable(unsigned long addr) {
  if (sigsetjmp(jb, 1)) return 0;
  (void)*(volatile char *)addr;
  return 1;
}
static char seen[SLOTS];
static int count_areas(int only_seen) {
  int n = 0;
  for (unsigned long i = 0; i < SLOTS; i++) {
    if (only_seen && !seen[i]) continue;
    int r = readable(STUB_AREAS + i * STUB_AREA_SIZE);
    if (!only_seen) seen[i] = (char)r;
    n += r;
  }
  return n;
}
static void *idle(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_segv;
  sigaction(SIGSEGV, &sa, NULL);
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, idle, NULL);
  usleep(10000);
  fprintf(stderr, "parent areas: %d\n", count_areas(0));
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    printf("child reads the parent's areas: %d\n", count_areas(1));
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  printf("child exited: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return 0;
}
