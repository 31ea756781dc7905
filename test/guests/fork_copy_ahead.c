/* A fork loop whose children and parent write the same pages every time
 * (as glibc's fork does in each child, and a parent goes on writing its
 * data): each side must see only its own writes, whichever way the kernel
 * shares or copies the pages. The child checks that it sees the parent's
 * state at the fork and none of the parent's writes after it; the parent
 * checks that none of the child's writes reach it. Output is compared
 * with the host kernel's; the test also counts the faults. */
#include "common.h"
#include <sys/wait.h>

#define PAGES 8
#define ROUNDS 40

static volatile unsigned long data[PAGES][512]; /* bss: PAGES pages, private and writable */
static volatile unsigned long other[PAGES][512];

static void fill(volatile unsigned long (*a)[512], unsigned long v) {
  for (int p = 0; p < PAGES; p++) a[p][p * 7] = v + p;
}
static int check(volatile unsigned long (*a)[512], unsigned long v) {
  for (int p = 0; p < PAGES; p++)
    if (a[p][p * 7] != v + p) return p + 1;
  return 0;
}

int main(void) {
  int bad = 0;
  for (int r = 1; r <= ROUNDS; r++) {
    fill(data, r * 1000UL);
    fill(other, r * 1000UL + 500);
    int go[2], done[2];
    if (pipe(go) || pipe(done)) return 1;
    pid_t c = fork();
    if (c < 0) return 2;
    if (c == 0) {
      char b;
      int e = check(data, r * 1000UL) ? 10 : 0; /* the parent's state at the fork */
      fill(data, r * 1000UL + 100);            /* the child's own writes, to the same pages */
      (void)!write(done[1], "x", 1);
      (void)!read(go[0], &b, 1);                /* the parent has written since */
      if (check(data, r * 1000UL + 100)) e |= 20;
      if (check(other, r * 1000UL + 500)) e |= 40;
      _exit(e);
    }
    char b;
    (void)!read(done[0], &b, 1);
    fill(data, r * 1000UL + 200); /* the parent's writes after the fork */
    fill(other, r * 1000UL + 300);
    (void)!write(go[1], "x", 1);
    int st;
    waitpid(c, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      say("round %d: child status %#x\n", r, st);
      bad++;
    }
    if (check(data, r * 1000UL + 200) || check(other, r * 1000UL + 300)) {
      say("round %d: the child's writes reached the parent\n", r);
      bad++;
    }
    close(go[0]);
    close(go[1]);
    close(done[0]);
    close(done[1]);
  }
  say("%d rounds, %d bad\n", ROUNDS, bad);
  return bad != 0;
}
