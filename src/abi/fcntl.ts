/** open(2) flags, *at(2) flags and access modes, record and flock lock types (include/uapi/asm-generic/fcntl.h, linux/fcntl.h). */
export const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_ACCMODE = 3, O_CREAT = 0o100, O_EXCL = 0o200,
  O_NOCTTY = 0o400, O_TRUNC = 0o1000, O_APPEND = 0o2000, O_NONBLOCK = 0o4000, O_DSYNC = 0o10000,
  O_ASYNC = 0o20000, O_DIRECT = 0o40000, O_LARGEFILE = 0o100000, O_DIRECTORY = 0o200000,
  O_NOFOLLOW = 0o400000, O_NOATIME = 0o1000000, O_CLOEXEC = 0o2000000, O_SYNC = 0o4010000,
  O_PATH = 0o10000000, O_TMPFILE = 0o20200000;
export const AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EACCESS = 0x200,
  AT_SYMLINK_FOLLOW = 0x400, AT_NO_AUTOMOUNT = 0x800, AT_EMPTY_PATH = 0x1000;
export const F_OK = 0, X_OK = 1, W_OK = 2, R_OK = 4;
export const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
/** fcntl(2)'s owner commands, and struct f_owner_ex's types */
export const F_SETOWN = 8, F_GETOWN = 9, F_SETSIG = 10, F_GETSIG = 11, F_SETOWN_EX = 15, F_GETOWN_EX = 16;
export const F_OWNER_TID = 0, F_OWNER_PID = 1, F_OWNER_PGRP = 2;
export const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8, LOCK_MAND = 32;

/** openat2(2): struct open_how's first size, and its resolve flags */
export const OPEN_HOW_SIZE_VER0 = 24;
export const RESOLVE_NO_XDEV = 0x01, RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04, RESOLVE_BENEATH = 0x08,
  RESOLVE_IN_ROOT = 0x10, RESOLVE_CACHED = 0x20;
