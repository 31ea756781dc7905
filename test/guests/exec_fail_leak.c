/* 20 execs that fail past their point of no return (an interpreter whose
 * segments lie 128 TiB apart: no room once the program is mapped) each end
 * the child with SIGSEGV, and hold no file open after (found by a fuzzer:
 * each kept its program and interpreter, until the disk filled with
 * unlinked files). umlts only: the kernel's open host files are
 * /proc/umlts/filehandles' "open" line; argv[1] is a host directory.
 * `script`: 20 execs of a #! script there that succeed (found in review:
 * each kept the script open). */
#define _GNU_SOURCE
#include "common.h"
#include <elf.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/wait.h>

static unsigned char img[4 << 20];

static long open_handles(void) {
  char b[512] = { 0 };
  int f = open("/proc/umlts/filehandles", O_RDONLY);
  if (f < 0 || read(f, b, sizeof b - 1) <= 0) return -1;
  close(f);
  char *p = strstr(b, "\nopen ");
  return p ? atol(p + 6) : -1;
}

static void put(const char *path, long n) {
  int o = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0755);
  if (o < 0 || write(o, img, n) != n) exit(2);
  close(o);
}

/* 20 fork + exec of path, each child's end counted against want (0: exit 0; else that signal); then
 * whether the kernel holds more host files than before */
static void run20(const char *path, const char *what, int want) {
  long before = open_handles();
  int ok = 0;
  for (int i = 0; i < 20; i++) {
    pid_t p = fork();
    if (p == 0) {
      char *av[] = { (char *)path, NULL };
      execve(av[0], av, NULL);
      _exit(99);
    }
    int st = 0;
    waitpid(p, &st, 0);
    ok += want ? WIFSIGNALED(st) && WTERMSIG(st) == want : WIFEXITED(st) && WEXITSTATUS(st) == 0;
  }
  long after = open_handles();
  say("%s: %d of 20\n", what, ok);
  say("host files held open after: %s\n", after >= 0 && after - before < 5 ? "no more than before" : "more");
}

int main(int argc, char **argv) {
  char ip[512], pp[512];
  snprintf(ip, sizeof ip, "%s/leak_interp", argv[1]);
  snprintf(pp, sizeof pp, "%s/leak_prog", argv[1]);
  if (argc > 2) {
    static const char text[] = "#!/bin/true\n";
    memcpy(img, text, sizeof text - 1);
    put(pp, sizeof text - 1);
    run20(pp, "scripts run", 0);
    return 0;
  }
  int f = open("/proc/self/exe", O_RDONLY);
  long n = read(f, img, sizeof img - 64);
  close(f);
  Elf64_Ehdr *e = (Elf64_Ehdr *)img;
  Elf64_Phdr *ph = (Elf64_Phdr *)(img + e->e_phoff);
  int last = -1, k = -1;
  for (int i = 0; i < e->e_phnum; i++) {
    if (ph[i].p_type == PT_LOAD) last = i;
    if (ph[i].p_type == PT_GNU_STACK || (k < 0 && ph[i].p_type == PT_NOTE)) k = i;
  }
  Elf64_Addr saved = ph[last].p_vaddr;
  ph[last].p_vaddr = ph[last].p_paddr = 0x7ff000000000UL + ph[last].p_offset % 4096;
  put(ip, n);
  ph[last].p_vaddr = ph[last].p_paddr = saved;
  long namelen = (long)strlen(ip) + 1;
  memcpy(img + n, ip, namelen);
  ph[k].p_type = PT_INTERP;
  ph[k].p_offset = n;
  ph[k].p_filesz = ph[k].p_memsz = namelen;
  put(pp, n + namelen);
  run20(pp, "children killed by SIGSEGV", SIGSEGV);
  return 0;
}
