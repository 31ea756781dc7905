/* exec in place of the same program: what the new image sees is its file, its initialized data and a zeroed
 * bss, whatever the old image did to its mappings first (umlts keeps the old image's host mappings of the file
 * where the new image maps it as it is: mm's keepForExec; each case here would show the old image's bytes if
 * those were kept too). Run with no argument; each case execs this program again in a child. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char message[64] = "the file's own rodata";
static char data[64] = "initialized data";
static char bss[1 << 21];

#define PAGE 4096UL

/* exec this program with argument `name` by raw syscalls only (after case 3's mmap nothing of the data segment is used) */
static void reexec(const char *name) {
  char path[] = "/proc/self/exe";
  char *av[] = { path, (char *)name, NULL }, *ev[] = { NULL };
  syscall(SYS_execve, path, av, ev);
  syscall(SYS_exit, 127);
}

static void run(const char *name, void (*before)(void)) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    before();
    reexec(name);
  }
  int st;
  waitpid(p, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("%s: status %#x\n", name, st);
}

/* 1: nothing changed (syscall sites patched by then under umlts: the new image must have its file's code) */
static void plain(void) {
  for (int i = 0; i < 8; i++) getppid();
}

/* 2: the old image wrote over its own rodata (a private copy of that page) */
static void rodata_written(void) {
  uintptr_t page = (uintptr_t)message & ~(PAGE - 1);
  if (mprotect((void *)page, PAGE, PROT_READ | PROT_WRITE) != 0) syscall(SYS_exit, 2);
  memcpy((char *)message, "OLD IMAGE WROTE THIS", 21);
}

/* 3: the old image mapped its own file, read-only, over the far end of its bss (past what exec maps ahead of the
 * first touch): the new image's bss lies where the old image had a mapping of the same file */
static void file_over_bss(void) {
  uintptr_t lo = ((uintptr_t)bss + (3UL << 19) + PAGE - 1) & ~(PAGE - 1), len = 1UL << 19;
  char path[] = "/proc/self/exe";
  long fd = syscall(SYS_open, path, O_RDONLY);
  if (fd < 0 || syscall(SYS_mmap, lo, len, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) != (long)lo) syscall(SYS_exit, 3);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    unsigned long sum = 0;
    for (size_t i = 0; i < sizeof bss; i++) sum += (unsigned char)bss[i];
    printf("%s: message \"%s\", data \"%s\", bss sum %lu\n", argv[1], message, data, sum);
    return 0;
  }
  run("plain", plain);
  run("rodata-written", rodata_written);
  run("file-over-bss", file_over_bss);
  run("plain-again", plain);
  printf("done\n");
  return 0;
}
