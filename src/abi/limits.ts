/** Address-space limits of x86-64 Linux (arch/x86/include/asm/page_64_types.h). */

/** TASK_SIZE_MAX: one page below 2^47, the end of user space; do_arch_prctl_64 and clone's tls refuse bases at or above it */
export const TASK_SIZE_MAX = 0x7ffffffff000;
