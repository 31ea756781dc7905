/** kcmp(2)'s types and struct kcmp_epoll_slot (include/uapi/linux/kcmp.h). */
export const KCMP_FILE = 0, KCMP_VM = 1, KCMP_FILES = 2, KCMP_FS = 3, KCMP_SIGHAND = 4, KCMP_IO = 5, KCMP_SYSVSEM = 6,
  KCMP_EPOLL_TFD = 7;

/** struct kcmp_epoll_slot { __u32 efd; __u32 tfd; __u32 toff; } */
export const KCMP_EPOLL_SLOT_SIZE = 12, KES_EFD = 0, KES_TFD = 4, KES_TOFF = 8;
