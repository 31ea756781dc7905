/* vfork shares the parent's memory until the child execs or exits: what the
 * child writes there (a global, the parent's stack, the heap) the parent
 * sees, whether the child then exits, fails an exec or execs. glibc's
 * posix_spawn relies on it to report its child's exec error (ENOENT, EACCES)
 * as its own result. A parent thread that writes one part of a page while
 * the vfork child writes another keeps its bytes too. Output is compared
 * with the host kernel's. */
#include "common.h"
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char **environ;
static int global = 1;
/* pages the parent's other thread writes the first bytes of, and the vfork child the last: in page the
 * child writes first, in page2 the thread does */
static char page[4096] __attribute__((aligned(4096)));
static char page2[4096] __attribute__((aligned(4096)));
static int to_thread[2], to_child[2];

static void *writer(void *arg) {
  (void)arg;
  char c;
  if (read(to_thread[0], &c, 1) != 1) return NULL;
  memcpy(page, "thread", 6);
  (void)!write(to_child[1], "t", 1);
  if (read(to_thread[0], &c, 1) != 1) return NULL;
  memcpy(page2, "thread", 6);
  (void)!write(to_child[1], "t", 1);
  return NULL;
}

static int status_of(pid_t p) {
  int st = 0;
  if (waitpid(p, &st, 0) != p) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void) {
  int local = 10;
  char *heap = malloc(64);
  strcpy(heap, "parent");
  pid_t p = vfork();
  if (p == 0) {
    global = 2;
    local = 20;
    strcpy(heap, "child");
    _exit(0);
  }
  int st = status_of(p);
  say("vfork, _exit: status %d, global %d, local %d, heap %s\n", st, global, local, heap);

  p = vfork();
  if (p == 0) {
    global = 3;
    execl("/nonexistent/prog", "prog", (char *)0);
    global = errno == ENOENT ? 4 : 5;
    _exit(127);
  }
  st = status_of(p);
  say("vfork, failed exec: status %d, global %d\n", st, global);

  p = vfork();
  if (p == 0) {
    global = 6;
    execl("/bin/true", "true", (char *)0);
    _exit(127);
  }
  st = status_of(p);
  say("vfork, exec: status %d, global %d\n", st, global);

  char *argv[] = {"prog", NULL};
  int r = posix_spawn(&p, "/nonexistent/prog", NULL, NULL, argv, environ);
  say("posix_spawn of a missing program: %s\n", r ? errname(r) : "OK");
  if (r == 0) say("  (its child's status %d)\n", status_of(p));
  r = posix_spawnp(&p, "no-such-program-anywhere", NULL, NULL, argv, environ);
  say("posix_spawnp of a missing program: %s\n", r ? errname(r) : "OK");
  if (r == 0) say("  (its child's status %d)\n", status_of(p));
  char *targv[] = {"true", NULL};
  r = posix_spawn(&p, "/bin/true", NULL, NULL, targv, environ);
  say("posix_spawn of /bin/true: %s", r ? errname(r) : "OK");
  if (r == 0) say(", status %d", status_of(p));
  say("\n");

  /* the page's first bytes are the thread's, written while the child waits in its vfork */
  pthread_t t;
  if (pipe(to_thread) || pipe(to_child) || pthread_create(&t, NULL, writer, NULL)) return 1;
  memcpy(page, "before", 6);
  memcpy(page + 4000, "before", 6);
  memcpy(page2, "before", 6);
  memcpy(page2 + 4000, "before", 6);
  p = vfork();
  if (p == 0) {
    memcpy(page + 4000, "child!", 6);
    char c;
    (void)!write(to_thread[1], "c", 1);
    (void)!read(to_child[0], &c, 1);
    (void)!write(to_thread[1], "c", 1);
    (void)!read(to_child[0], &c, 1);
    memcpy(page2 + 4000, "child!", 6);
    _exit(0);
  }
  st = status_of(p);
  pthread_join(t, NULL);
  say("a page written by the vfork child, then a thread: status %d, \"%.6s\" \"%.6s\"\n", st, page, page + 4000);
  say("a page written by a thread, then the vfork child: \"%.6s\" \"%.6s\"\n", page2, page2 + 4000);
  return 0;
}
