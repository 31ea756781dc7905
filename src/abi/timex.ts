/**
 * adjtimex(2)'s struct timex (include/uapi/linux/timex.h, x86-64): 208 bytes; the mode bits as the kernel
 * takes them (glibc's ADJ_OFFSET_SINGLESHOT is ADJ_ADJTIME | the kernel's ADJ_OFFSET_SINGLESHOT, and its
 * ADJ_OFFSET_SS_READ that | ADJ_OFFSET_READONLY); the status bit that makes time.tv_usec nanoseconds.
 */
export const TIMEX_SIZE = 208;
export const TX_MODES = 0, TX_STATUS = 40, TX_TIME = 72;
export const ADJ_OFFSET_SINGLESHOT = 0x0001, ADJ_OFFSET_READONLY = 0x2000, ADJ_ADJTIME = 0x8000;
/** the one reading that names a mode: the remaining adjtime(3) offset */
export const ADJ_OFFSET_SS_READ = ADJ_ADJTIME | ADJ_OFFSET_SINGLESHOT | ADJ_OFFSET_READONLY;
export const STA_NANO = 0x2000;
