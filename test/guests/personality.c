/* personality(2): the persona asked (0xffffffff) and set (the old one
 * returned), inherited by a child, READ_IMPLIES_EXEC making readable
 * mappings executable in mmap and mprotect, and cleared by an exec (a
 * 64-bit program never starts with it) while the other flags stay.
 * Output compared with the host kernel's. */
#include "common.h"
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <fcntl.h>

/* the permissions of the mapping at a, from /proc/self/maps */
static const char *perms(void *a) {
  static char buf[16384], out[5];
  int fd = open("/proc/self/maps", O_RDONLY);
  long n = 0, r;
  while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
  close(fd);
  buf[n] = 0;
  for (char *l = buf; *l;) {
    char *next = strchr(l, '\n');
    if (strtoul(l, NULL, 16) == (unsigned long)a) {
      memcpy(out, strchr(l, ' ') + 1, 4);
      return out;
    }
    if (!next) break;
    l = next + 1;
  }
  return "none";
}

int main(int argc, char **argv) {
  if (argc > 1) {
    say("after exec: persona %#x\n", personality(0xffffffff));
    return 0;
  }
  say("persona at start: %#x\n", personality(0xffffffff));
  int old = personality(ADDR_NO_RANDOMIZE);
  say("set ADDR_NO_RANDOMIZE: old %#x, now %#x\n", old, personality(0xffffffff));
  pid_t p = fork();
  if (p == 0) {
    say("a child's persona: %#x\n", personality(0xffffffff));
    _exit(0);
  }
  waitpid(p, NULL, 0);
  char *a = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  say("PROT_READ mapping without READ_IMPLIES_EXEC: %s\n", perms(a));
  personality(ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC);
  char *b = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  say("PROT_READ mapping with READ_IMPLIES_EXEC: %s\n", perms(b));
  char *c = mmap(NULL, 4096, PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  say("PROT_WRITE mapping with it: %s\n", perms(c));
  mprotect(a, 4096, PROT_READ | PROT_WRITE);
  say("mprotect PROT_READ|PROT_WRITE with it: %s\n", perms(a));
  fflush(stdout);
  execl("/proc/self/exe", argv[0], "again", (char *)NULL);
  say("exec: %s\n", errname(errno));
  return 1;
}
