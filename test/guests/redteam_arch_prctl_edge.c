/* Kernel crash: arch_prctl(ARCH_SET_FS/GS) with a base in
 * [TASK_SIZE_MAX, 2^47) = [0x7ffffffff000, 0x800000000000). sys_arch_prctl
 * refuses only >= 2^47; the host's PTRACE_SETREGS refuses >= TASK_SIZE_MAX
 * (EIO) and the HostError is not contained. Linux: EPERM. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int code = argc > 1 ? 0x1001 /* SET_GS */ : 0x1002 /* SET_FS */;
  long r;
  /* raw: after a successful SET_FS libc's TLS is gone, so no libc until it is put back */
  __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_arch_prctl), "D"(code), "S"(0x7ffffffff800UL) : "rcx", "r11", "memory");
  printf("arch_prctl: %ld (%s)\n", r, r < 0 ? strerror(-r) : "ok");
  return 0;
}
