/* A system call fuzzer that runs as a guest (issue 11; scripts/fuzz.mjs,
 * test/fuzz.test.mjs), in the manner of trinity: random and
 * structure-aware calls — random numbers and arguments, and also valid
 * fds, paths in a scratch directory, pointers into its own memory
 * (writable, read-only, PROT_NONE, unmapped, straddling, the stub's
 * addresses above TASK_SIZE), threads racing, forks, clones — to find
 * what makes the kernel fail instead of answering with an errno or a
 * signal. Deterministic per seed: every thread's calls come from its own
 * generator seeded from (seed, worker, thread); only their interleaving
 * is the scheduler's.
 *
 *   fuzz --seed S --calls N [--bait DIR] [--scratch DIR] [--sandboxed]
 *
 * Only under umlts (or another sandbox: --sandboxed): it calls kill(-1),
 * setuid, chroot, ptrace, iopl... at random. It refuses to run unless it
 * is pid 1 (umlts's init), so it cannot be started on a host by mistake.
 * The run this is meant for has a read-only root and one writable host
 * directory, mounted at /scratch; the fuzzer works there (chdir) and also
 * aims at --bait DIR, a host directory outside it that must stay
 * unchanged.
 *
 * Structure: the first process (pid 1) is a fork server that fuzzes
 * nothing itself. It forks one worker at a time; a worker runs 1-3 fuzz
 * threads and a ticker thread (which interrupts a fuzz thread that made no
 * call for a few ms with SIGALRM, so blocking calls end with EINTR), and exits when
 * they have made their calls. A worker that kills itself (munmap of its
 * own text, a seccomp filter, a garbage TLS...) just ends: the next one
 * goes on with the rest of the calls. A worker that makes no progress for
 * STALL_MS is killed (reported as a stall: blocked for good, not
 * necessarily a bug). A process that SIGKILL does not end within
 * KILL_GRACE_MS is a hang: the fork server reports it and exits 3.
 * Output (fd 1 of the fork server):
 *   fuzz: seed S calls N workers W deaths D stalls T forks F
 *   fuzz: stall: worker W pid P: thread T in NAME(args) ...
 *   fuzz: HANG: ...
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#define STALL_MS 3000
#define KILL_GRACE_MS 20000
#define TICK_NS 5000000L
#define MAX_THREADS 3
#define NR_MAX 470
#define BUF_SIZE (64 * 1024)
#define ARENA_SIZE (4 << 20)
#define STRUCT_AREA 4096

/* ---- output without malloc ---------------------------------------------- */

static int out_fd = 1;
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...) {
  char b[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof b - 1) n = sizeof b - 1;
  (void)!write(out_fd, b, n);
}

/* ---- the generator: splitmix64 ------------------------------------------- */

typedef struct { uint64_t s; } rng_t;
static uint64_t rnd(rng_t *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static uint64_t below(rng_t *r, uint64_t n) { return n ? rnd(r) % n : 0; }
static int chance(rng_t *r, int pct) { return (int)below(r, 100) < pct; }
static rng_t seeded(uint64_t a, uint64_t b, uint64_t c) {
  rng_t r = { a * 0x100000001b3ULL ^ (b << 20) ^ (c << 40) ^ 0x5eed };
  for (int i = 0; i < 4; i++) rnd(&r);
  return r;
}

/* ---- the syscall table: x86-64 numbers and argument kinds ------------------
 * kinds, one letter per argument:
 *   f fd        b writable buffer  p any pointer   s path       l length
 *   o offset    F flags            i small int     m mode       u uid/gid
 *   P pid       S signal           w which/how     c ioctl/fcntl command
 *   a arena address (mm calls)     A mmap hint     M prot       N mmap flags
 *   k sigset pointer  z sigset size  t timespec pointer  v iovec array
 *   n small count     q pollfd array  y sockaddr   g msghdr     h sigaction
 *   e argv/envp array Q socket fd      K pselect6's sigset and size
 *   D socket domain   T socket type  x anything
 * flags: SKIP never called (it would end the fuzzing thread for nothing),
 * CHILD only in forked children, CLONE made by raw_clone (the child exits at
 * once), SIG changes the signal setup (restored after the call). */
enum { SKIP = 1, CHILD = 2, CLONE = 4, SIG = 8 };
struct sc { const char *name; const char *kinds; int flags; };
static const struct sc table[NR_MAX] = {
  [0] = {"read", "fbl"}, [1] = {"write", "fbl"}, [2] = {"open", "sFm"}, [3] = {"close", "f"},
  [4] = {"stat", "sb"}, [5] = {"fstat", "fb"}, [6] = {"lstat", "sb"}, [7] = {"poll", "qni"},
  [8] = {"lseek", "fow"}, [9] = {"mmap", "AlMNfo"}, [10] = {"mprotect", "alM"}, [11] = {"munmap", "al"},
  [12] = {"brk", "x"}, [13] = {"rt_sigaction", "Shpz", SIG}, [14] = {"rt_sigprocmask", "wkpz", SIG},
  [15] = {"rt_sigreturn", "", SKIP}, [16] = {"ioctl", "fcx"}, [17] = {"pread64", "fblo"},
  [18] = {"pwrite64", "fblo"}, [19] = {"readv", "fvn"}, [20] = {"writev", "fvn"}, [21] = {"access", "si"},
  [22] = {"pipe", "b"}, [23] = {"select", "nbbbt"}, [24] = {"sched_yield", ""}, [25] = {"mremap", "allFA"},
  [26] = {"msync", "alF"}, [27] = {"mincore", "alb"}, [28] = {"madvise", "ali"}, [29] = {"shmget", "xlF"},
  [30] = {"shmat", "iAF"}, [31] = {"shmctl", "iip"}, [32] = {"dup", "f"}, [33] = {"dup2", "ff"},
  [34] = {"pause", ""}, [35] = {"nanosleep", "tp"}, [36] = {"getitimer", "wb"}, [37] = {"alarm", "i", SIG},
  [38] = {"setitimer", "wpb", SIG}, [39] = {"getpid", ""}, [40] = {"sendfile", "ffpl"}, [41] = {"socket", "DTi"},
  [42] = {"connect", "Qyl"}, [43] = {"accept", "Qpp"}, [44] = {"sendto", "QblFyl"}, [45] = {"recvfrom", "QblFpp"},
  [46] = {"sendmsg", "QgF"}, [47] = {"recvmsg", "QgF"}, [48] = {"shutdown", "Qi"}, [49] = {"bind", "Qyl"},
  [50] = {"listen", "Qi"}, [51] = {"getsockname", "Qpp"}, [52] = {"getpeername", "Qpp"},
  [53] = {"socketpair", "DTib"}, [54] = {"setsockopt", "Qiipl"}, [55] = {"getsockopt", "Qiipp"},
  [56] = {"clone", "", CLONE}, [57] = {"fork", "", CLONE}, [58] = {"vfork", "", CLONE},
  [59] = {"execve", "see", CHILD}, [60] = {"exit", "", SKIP}, [61] = {"wait4", "PpFp"}, [62] = {"kill", "PS"},
  [63] = {"uname", "b"}, [64] = {"semget", "xiF"}, [65] = {"semop", "ipn"}, [66] = {"semctl", "iiix"},
  [67] = {"shmdt", "A"}, [68] = {"msgget", "xF"}, [69] = {"msgsnd", "iplF"}, [70] = {"msgrcv", "iplxF"},
  [71] = {"msgctl", "iip"}, [72] = {"fcntl", "fcx"}, [73] = {"flock", "fF"}, [74] = {"fsync", "f"},
  [75] = {"fdatasync", "f"}, [76] = {"truncate", "so"}, [77] = {"ftruncate", "fo"}, [78] = {"getdents", "fbl"},
  [79] = {"getcwd", "bl"}, [80] = {"chdir", "s"}, [81] = {"fchdir", "f"}, [82] = {"rename", "ss"},
  [83] = {"mkdir", "sm"}, [84] = {"rmdir", "s"}, [85] = {"creat", "sm"}, [86] = {"link", "ss"},
  [87] = {"unlink", "s"}, [88] = {"symlink", "ss"}, [89] = {"readlink", "sbl"}, [90] = {"chmod", "sm"},
  [91] = {"fchmod", "fm"}, [92] = {"chown", "suu"}, [93] = {"fchown", "fuu"}, [94] = {"lchown", "suu"},
  [95] = {"umask", "m"}, [96] = {"gettimeofday", "bb"}, [97] = {"getrlimit", "ib"}, [98] = {"getrusage", "ib"},
  [99] = {"sysinfo", "b"}, [100] = {"times", "b"}, [101] = {"ptrace", "iPpp"}, [102] = {"getuid", ""},
  [103] = {"syslog", "ibl"}, [104] = {"getgid", ""}, [105] = {"setuid", "u"}, [106] = {"setgid", "u"},
  [107] = {"geteuid", ""}, [108] = {"getegid", ""}, [109] = {"setpgid", "PP"}, [110] = {"getppid", ""},
  [111] = {"getpgrp", ""}, [112] = {"setsid", ""}, [113] = {"setreuid", "uu"}, [114] = {"setregid", "uu"},
  [115] = {"getgroups", "ib"}, [116] = {"setgroups", "np"}, [117] = {"setresuid", "uuu"}, [118] = {"getresuid", "bbb"},
  [119] = {"setresgid", "uuu"}, [120] = {"getresgid", "bbb"}, [121] = {"getpgid", "P"}, [122] = {"setfsuid", "u"},
  [123] = {"setfsgid", "u"}, [124] = {"getsid", "P"}, [125] = {"capget", "pp"}, [126] = {"capset", "pp"},
  [127] = {"rt_sigpending", "bz"}, [128] = {"rt_sigtimedwait", "kptz"}, [129] = {"rt_sigqueueinfo", "PSp"},
  [130] = {"rt_sigsuspend", "kz"}, [131] = {"sigaltstack", "pp"}, [132] = {"utime", "sp"}, [133] = {"mknod", "smx"},
  [134] = {"uselib", "s"}, [135] = {"personality", "x"}, [136] = {"ustat", "xp"}, [137] = {"statfs", "sb"},
  [138] = {"fstatfs", "fb"}, [139] = {"sysfs", "ixx"}, [140] = {"getpriority", "wP"}, [141] = {"setpriority", "wPi"},
  [142] = {"sched_setparam", "Pp"}, [143] = {"sched_getparam", "Pb"}, [144] = {"sched_setscheduler", "Pip"},
  [145] = {"sched_getscheduler", "P"}, [146] = {"sched_get_priority_max", "i"}, [147] = {"sched_get_priority_min", "i"},
  [148] = {"sched_rr_get_interval", "Pb"}, [149] = {"mlock", "al"}, [150] = {"munlock", "al"}, [151] = {"mlockall", "F"},
  [152] = {"munlockall", ""}, [153] = {"vhangup", ""}, [154] = {"modify_ldt", "ipl"}, [155] = {"pivot_root", "ss"},
  [156] = {"_sysctl", "p"}, [157] = {"prctl", "ixxxx"}, [158] = {"arch_prctl", "ix"}, [159] = {"adjtimex", "b"},
  [160] = {"setrlimit", "ip"}, [161] = {"chroot", "s"}, [162] = {"sync", ""}, [163] = {"acct", "s"},
  [164] = {"settimeofday", "pp"}, [165] = {"mount", "sssFp"}, [166] = {"umount2", "sF"}, [167] = {"swapon", "sF"},
  [168] = {"swapoff", "s"}, [169] = {"reboot", "xxxp"}, [170] = {"sethostname", "pl"}, [171] = {"setdomainname", "pl"},
  [172] = {"iopl", "i"}, [173] = {"ioperm", "xxi"}, [174] = {"create_module", "x"}, [175] = {"init_module", "pls"},
  [176] = {"delete_module", "sF"}, [177] = {"get_kernel_syms", "x"}, [178] = {"query_module", "x"},
  [179] = {"quotactl", "xsup"}, [180] = {"nfsservctl", "x"}, [181] = {"getpmsg", "x"}, [182] = {"putpmsg", "x"},
  [183] = {"afs_syscall", "x"}, [184] = {"tuxcall", "x"}, [185] = {"security", "x"}, [186] = {"gettid", ""},
  [187] = {"readahead", "fol"}, [188] = {"setxattr", "ssblF"}, [189] = {"lsetxattr", "ssblF"},
  [190] = {"fsetxattr", "fsblF"}, [191] = {"getxattr", "ssbl"}, [192] = {"lgetxattr", "ssbl"},
  [193] = {"fgetxattr", "fsbl"}, [194] = {"listxattr", "sbl"}, [195] = {"llistxattr", "sbl"},
  [196] = {"flistxattr", "fbl"}, [197] = {"removexattr", "ss"}, [198] = {"lremovexattr", "ss"},
  [199] = {"fremovexattr", "fs"}, [200] = {"tkill", "PS"}, [201] = {"time", "b"}, [202] = {"futex", "picppi"},
  [203] = {"sched_setaffinity", "Plp"}, [204] = {"sched_getaffinity", "Plb"}, [205] = {"set_thread_area", "p"},
  [206] = {"io_setup", "nb"}, [207] = {"io_destroy", "x"}, [208] = {"io_getevents", "xnnpt"}, [209] = {"io_submit", "xnp"},
  [210] = {"io_cancel", "xpp"}, [211] = {"get_thread_area", "p"}, [212] = {"lookup_dcookie", "xbl"},
  [213] = {"epoll_create", "i"}, [214] = {"epoll_ctl_old", "x"}, [215] = {"epoll_wait_old", "x"},
  [216] = {"remap_file_pages", "alMoF"}, [217] = {"getdents64", "fbl"}, [218] = {"set_tid_address", "p"},
  [219] = {"restart_syscall", ""}, [220] = {"semtimedop", "ipnt"}, [221] = {"fadvise64", "foli"},
  [222] = {"timer_create", "ipb"}, [223] = {"timer_settime", "iFpp"}, [224] = {"timer_gettime", "ib"},
  [225] = {"timer_getoverrun", "i"}, [226] = {"timer_delete", "i"}, [227] = {"clock_settime", "ip"},
  [228] = {"clock_gettime", "ib"}, [229] = {"clock_getres", "ib"}, [230] = {"clock_nanosleep", "iFtp"},
  [231] = {"exit_group", "", SKIP}, [232] = {"epoll_wait", "fbni"}, [233] = {"epoll_ctl", "fifp"},
  [234] = {"tgkill", "PPS"}, [235] = {"utimes", "sp"}, [236] = {"vserver", "x"}, [237] = {"mbind", "alipxF"},
  [238] = {"set_mempolicy", "ipl"}, [239] = {"get_mempolicy", "pplaF"}, [240] = {"mq_open", "sFmp"},
  [241] = {"mq_unlink", "s"}, [242] = {"mq_timedsend", "fblit"}, [243] = {"mq_timedreceive", "fblpt"},
  [244] = {"mq_notify", "fp"}, [245] = {"mq_getsetattr", "fpp"}, [246] = {"kexec_load", "xnpF"},
  [247] = {"waitid", "iPpFp"}, [248] = {"add_key", "ssbli"}, [249] = {"request_key", "sssi"},
  [250] = {"keyctl", "ixxxx"}, [251] = {"ioprio_set", "iPi"}, [252] = {"ioprio_get", "iP"},
  [253] = {"inotify_init", ""}, [254] = {"inotify_add_watch", "fsF"}, [255] = {"inotify_rm_watch", "fi"},
  [256] = {"migrate_pages", "Plpp"}, [257] = {"openat", "fsFm"}, [258] = {"mkdirat", "fsm"},
  [259] = {"mknodat", "fsmx"}, [260] = {"fchownat", "fsuuF"}, [261] = {"futimesat", "fsp"},
  [262] = {"newfstatat", "fsbF"}, [263] = {"unlinkat", "fsF"}, [264] = {"renameat", "fsfs"},
  [265] = {"linkat", "fsfsF"}, [266] = {"symlinkat", "sfs"}, [267] = {"readlinkat", "fsbl"},
  [268] = {"fchmodat", "fsm"}, [269] = {"faccessat", "fsi"}, [270] = {"pselect6", "nbbbtK"},
  [271] = {"ppoll", "qntkz"}, [272] = {"unshare", "F"}, [273] = {"set_robust_list", "pl"},
  [274] = {"get_robust_list", "Ppp"}, [275] = {"splice", "fpfplF"}, [276] = {"tee", "fflF"},
  [277] = {"sync_file_range", "folF"}, [278] = {"vmsplice", "fvnF"}, [279] = {"move_pages", "PnpppF"},
  [280] = {"utimensat", "fspF"}, [281] = {"epoll_pwait", "fbnikz"}, [282] = {"signalfd", "fkz"},
  [283] = {"timerfd_create", "iF"}, [284] = {"eventfd", "i"}, [285] = {"fallocate", "fiol"},
  [286] = {"timerfd_settime", "fFpp"}, [287] = {"timerfd_gettime", "fb"}, [288] = {"accept4", "QppF"},
  [289] = {"signalfd4", "fkzF"}, [290] = {"eventfd2", "iF"}, [291] = {"epoll_create1", "F"},
  [292] = {"dup3", "ffF"}, [293] = {"pipe2", "bF"}, [294] = {"inotify_init1", "F"}, [295] = {"preadv", "fvno"},
  [296] = {"pwritev", "fvno"}, [297] = {"rt_tgsigqueueinfo", "PPSp"}, [298] = {"perf_event_open", "pPifF"},
  [299] = {"recvmmsg", "QpnFt"}, [300] = {"fanotify_init", "FF"}, [301] = {"fanotify_mark", "fFxfs"},
  [302] = {"prlimit64", "Pipb"}, [303] = {"name_to_handle_at", "fsppF"}, [304] = {"open_by_handle_at", "fpF"},
  [305] = {"clock_adjtime", "ib"}, [306] = {"syncfs", "f"}, [307] = {"sendmmsg", "QpnF"}, [308] = {"setns", "fi"},
  [309] = {"getcpu", "bbp"}, [310] = {"process_vm_readv", "PvnvnF"}, [311] = {"process_vm_writev", "PvnvnF"},
  [312] = {"kcmp", "PPixx"}, [313] = {"finit_module", "fsF"}, [314] = {"sched_setattr", "PpF"},
  [315] = {"sched_getattr", "PblF"}, [316] = {"renameat2", "fsfsF"}, [317] = {"seccomp", "iFp"},
  [318] = {"getrandom", "blF"}, [319] = {"memfd_create", "sF"}, [320] = {"kexec_file_load", "fflsF"},
  [321] = {"bpf", "ipl"}, [322] = {"execveat", "fseeF", CHILD}, [323] = {"userfaultfd", "F"},
  [324] = {"membarrier", "iFi"}, [325] = {"mlock2", "alF"}, [326] = {"copy_file_range", "fpfplF"},
  [327] = {"preadv2", "fvnoF"}, [328] = {"pwritev2", "fvnoF"}, [329] = {"pkey_mprotect", "alMi"},
  [330] = {"pkey_alloc", "FF"}, [331] = {"pkey_free", "i"}, [332] = {"statx", "fsFFb"},
  [333] = {"io_pgetevents", "xnnptp"}, [334] = {"rseq", "plFi"},
  [424] = {"pidfd_send_signal", "fSpF"}, [425] = {"io_uring_setup", "np"}, [426] = {"io_uring_enter", "fnnFpl"},
  [427] = {"io_uring_register", "fipn"}, [428] = {"open_tree", "fsF"}, [429] = {"move_mount", "fsfsF"},
  [430] = {"fsopen", "sF"}, [431] = {"fsconfig", "fispi"}, [432] = {"fsmount", "fFF"}, [433] = {"fspick", "fsF"},
  [434] = {"pidfd_open", "PF"}, [435] = {"clone3", "", CLONE}, [436] = {"close_range", "ffF"},
  [437] = {"openat2", "fspl"}, [438] = {"pidfd_getfd", "ffF"}, [439] = {"faccessat2", "fsiF"},
  [440] = {"process_madvise", "fvniF"}, [441] = {"epoll_pwait2", "fbntkz"}, [442] = {"mount_setattr", "fsFpl"},
  [443] = {"quotactl_fd", "fiup"}, [444] = {"landlock_create_ruleset", "plF"}, [445] = {"landlock_add_rule", "fipF"},
  [446] = {"landlock_restrict_self", "fF"}, [447] = {"memfd_secret", "F"}, [448] = {"process_mrelease", "fF"},
  [449] = {"futex_waitv", "pnFti"}, [450] = {"set_mempolicy_home_node", "aliF"}, [451] = {"cachestat", "fppF"},
  [452] = {"fchmodat2", "fsmF"}, [453] = {"map_shadow_stack", "alF"}, [454] = {"futex_wake", "pxnF"},
  [455] = {"futex_wait", "pxxFti"}, [456] = {"futex_requeue", "pFnn"}, [457] = {"statmount", "pplF"},
  [458] = {"listmount", "pplF"}, [459] = {"lsm_get_self_attr", "ippF"}, [460] = {"lsm_set_self_attr", "iplF"},
  [461] = {"lsm_list_modules", "ppF"}, [462] = {"mseal", "alF"},
};

/* The calls umlts implements (src/syscalls/table.ts when this was written;
 * the uniform draw covers the rest and whatever comes later): most calls
 * are drawn from these, where the kernel has code to break. */
static const long hot[] = {
  SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev, SYS_preadv, SYS_pwritev,
  SYS_sendfile, SYS_lseek, SYS_open, SYS_openat, SYS_creat, SYS_close, SYS_close_range, SYS_stat, SYS_fstat,
  SYS_lstat, SYS_newfstatat, SYS_statx, SYS_getdents64, SYS_readlink, SYS_readlinkat, SYS_access,
  SYS_faccessat, SYS_faccessat2, SYS_getcwd, SYS_chdir, SYS_fchdir, SYS_fcntl, SYS_flock, SYS_ioctl, SYS_dup,
  SYS_dup2, SYS_dup3, SYS_umask, SYS_mkdir, SYS_mkdirat, SYS_unlink, SYS_unlinkat, SYS_rmdir, SYS_rename,
  SYS_renameat, SYS_renameat2, SYS_symlink, SYS_symlinkat, SYS_link, SYS_linkat, SYS_chmod, SYS_fchmod,
  SYS_fchmodat, SYS_chown, SYS_lchown, SYS_fchown, SYS_fchownat, SYS_utimensat, SYS_utimes, SYS_truncate,
  SYS_ftruncate, SYS_fsync, SYS_fdatasync, SYS_fallocate, SYS_copy_file_range, SYS_fadvise64, SYS_statfs,
  SYS_fstatfs, SYS_getxattr, SYS_lgetxattr, SYS_fgetxattr, SYS_listxattr, SYS_llistxattr, SYS_flistxattr,
  SYS_setxattr, SYS_lsetxattr, SYS_fsetxattr, SYS_removexattr, SYS_lremovexattr, SYS_fremovexattr,
  SYS_getpgid, SYS_setpgid, SYS_getsid, SYS_execve, SYS_execveat, SYS_getpid, SYS_getppid, SYS_gettid,
  SYS_capget, SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid, SYS_getresuid, SYS_getresgid, SYS_getgroups,
  SYS_setuid, SYS_setgid, SYS_setresuid, SYS_setresgid, SYS_setreuid, SYS_setregid, SYS_setgroups,
  SYS_setfsuid, SYS_setfsgid, SYS_getpgrp, SYS_setsid, SYS_set_tid_address, SYS_set_robust_list, SYS_rseq,
  SYS_arch_prctl, SYS_prctl, SYS_prlimit64, SYS_getrlimit, SYS_setrlimit, SYS_clone, SYS_clone3, SYS_fork,
  SYS_vfork, SYS_wait4, SYS_waitid, SYS_brk, SYS_mmap, SYS_munmap, SYS_mprotect, SYS_pkey_alloc,
  SYS_pkey_free, SYS_pkey_mprotect, SYS_mremap, SYS_madvise, SYS_msync, SYS_mlock, SYS_munlock, SYS_mlock2,
  SYS_mlockall, SYS_munlockall, SYS_mincore, SYS_rt_sigaction, SYS_rt_sigsuspend, SYS_pause,
  SYS_rt_sigtimedwait, SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo, SYS_rt_sigprocmask, SYS_sigaltstack,
  SYS_rt_sigpending, SYS_kill, SYS_tgkill, SYS_tkill, SYS_clock_gettime, SYS_clock_getres, SYS_gettimeofday,
  SYS_time, SYS_nanosleep, SYS_clock_nanosleep, SYS_futex, SYS_pipe, SYS_pipe2, SYS_eventfd, SYS_eventfd2,
  SYS_poll, SYS_ppoll, SYS_select, SYS_pselect6, SYS_epoll_create, SYS_epoll_create1, SYS_epoll_ctl,
  SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2, SYS_alarm, SYS_setitimer, SYS_getitimer,
  SYS_timer_create, SYS_timer_settime, SYS_timer_gettime, SYS_timer_getoverrun, SYS_timer_delete, SYS_socket,
  SYS_socketpair, SYS_bind, SYS_listen, SYS_accept, SYS_accept4, SYS_connect, SYS_getsockname,
  SYS_getpeername, SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg, SYS_sendmmsg, SYS_recvmmsg,
  SYS_shutdown, SYS_setsockopt, SYS_getsockopt, SYS_uname, SYS_sysinfo, SYS_getrandom, SYS_sched_getaffinity,
  SYS_sched_setaffinity, SYS_sched_yield, SYS_getcpu, SYS_getrusage,
};
#define NHOT (sizeof hot / sizeof hot[0])

/* ---- what every fuzz thread of a worker shares -------------------------- */

/* the fork server's page shared with its workers (MAP_SHARED): progress and
 * what each thread is calling, for the stall report */
struct shared {
  volatile uint64_t calls;       /* calls made by workers' fuzz threads */
  volatile uint64_t child_calls; /* calls made by forked children */
  volatile uint64_t forks;
  struct { volatile long nr; volatile uint64_t a[6]; } last[MAX_THREADS];
};
static struct shared *shared;

static uint64_t seed;
static const char *bait = "/nonexistent-bait";
static char *buf;      /* BUF_SIZE rw, then a PROT_NONE guard page */
static char *ro_page;  /* a read-only page right after a rw one (buf_rw_ro) */
static char *rw_ro;    /* a rw page followed by ro_page */
static char *none_page;
static char *gone_page; /* mapped, then unmapped */
static char *arena;    /* ARENA_SIZE reserved for the mm calls */
static pid_t self_pid;
static int fds[40];
static int nfds;
static volatile int children[64];
static volatile unsigned nchildren;

static const char *const paths_fixed[] = {
  "f0", "f1", "f2", "d0", "d0/f", "d0/d1", "link0", "dangling", "loop", "fifo0", "sock0", "script.sh",
  ".", "..", "/", "", "/scratch", "/scratch/f0", "/scratch/../scratch/f1", "f0/", "d0/", "./././f0", "d0/../f0",
  "//scratch//f0", "nonexistent/x", "nonexistent", "/proc/self/fd/0", "/proc/self/exe", "/proc/self/maps",
  "/proc/self", "/proc/self/status", "/proc/self/cwd", "/proc/self/root", "/proc/1/status", "/proc/mounts",
  "/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/urandom", "/dev/shm/fz", "/dev/shm", "/tmp/fz",
  "/tmp", "/etc/passwd", "/etc", "/bin/true", "/bin/sh", "/usr/bin", "/sys/devices/system/cpu/online",
  "/sys/kernel/mm/transparent_hugepage/enabled", "f0\x01", "\xff\xfe", "/proc/self/fd/3", "/proc/self/fd/5",
};
#define NPATHS_FIXED (sizeof paths_fixed / sizeof paths_fixed[0])
static char bait_paths[6][512];
static char long_path[5000];
static char long_name[300];

/* ---- per-thread state ----------------------------------------------------- */

struct fz {
  rng_t r;
  /* the last mappings this thread made: the mm calls aim at them */
  struct { uint64_t addr, len; } maps[8];
  unsigned nmaps;
  int slot;        /* index in shared->last, -1 in a forked child */
  char *area;      /* this thread's STRUCT_AREA of buf for built structures */
  unsigned used;   /* bytes of area handed out this call */
  int child;       /* a forked child: may execve */
  volatile unsigned *progress; /* calls made, for the ticker (a worker's threads) */
};
static __thread sigjmp_buf *fault_jmp;
static __thread int faults_in_row;

/* ---- argument generators -------------------------------------------------- */

/* Space for a structure built for this call: in the thread's area of buf. */
static char *area_alloc(struct fz *z, unsigned n) {
  n = (n + 15) & ~15u;
  if (z->used + n > STRUCT_AREA) z->used = 0;
  char *p = z->area + z->used;
  z->used += n;
  return p;
}

static uint64_t gen(struct fz *z, char kind);

static uint64_t small_int(struct fz *z) {
  static const int64_t v[] = { 0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, -1, -2 };
  return chance(&z->r, 70) ? (uint64_t)v[below(&z->r, sizeof v / sizeof v[0])] : below(&z->r, 1024);
}

static uint64_t a_pointer(struct fz *z) {
  switch (below(&z->r, 22)) {
  case 0: return 0;
  case 1: return 1;
  case 2: return ~0ULL;
  case 3: return 0xffff800000000000ULL;      /* kernel half */
  case 4: return 0x800000000000ULL;          /* just above TASK_SIZE */
  case 5: return 0x7ff000000000ULL;          /* the stub's code page */
  case 6: return 0x7ff000001000ULL + below(&z->r, 4096); /* the stub's batch page */
  case 7: return 0x7fffff000000ULL + below(&z->r, 0x1000000);
  case 8: return (uint64_t)ro_page + below(&z->r, 4096);
  case 9: return (uint64_t)rw_ro + 4096 - 1 - below(&z->r, 64); /* straddles rw -> ro */
  case 10: return (uint64_t)none_page + below(&z->r, 4096);
  case 11: return (uint64_t)gone_page + below(&z->r, 4096);
  case 12: return (uint64_t)buf + BUF_SIZE - 1 - below(&z->r, 64); /* straddles into the guard page */
  case 13: return (uint64_t)&z;                  /* the stack */
  case 14: return (uint64_t)a_pointer;            /* our own text */
  case 15: return (uint64_t)paths_fixed[below(&z->r, NPATHS_FIXED)];
  case 16: return (uint64_t)arena + below(&z->r, ARENA_SIZE);
  case 17: return rnd(&z->r);
  default: return (uint64_t)buf + below(&z->r, BUF_SIZE);
  }
}

static uint64_t a_length(struct fz *z) {
  switch (below(&z->r, 16)) {
  case 0: return 0;
  case 1: return 1;
  case 2: return 4096;
  case 3: return 4096 * (1 + below(&z->r, 16));
  case 4: return 1ULL << below(&z->r, 64);
  case 5: return (1ULL << below(&z->r, 64)) - 1;
  case 6: return ~0ULL - below(&z->r, 4);
  case 7: return 0x7ffff000;
  case 8: return BUF_SIZE;
  default: return below(&z->r, 8192);
  }
}

/* the sockets among fds: the socket calls aim at them */
static int sock_fds[16];
static int nsock;

static uint64_t an_fd(struct fz *z);
static uint64_t a_socket_fd(struct fz *z) {
  return nsock && chance(&z->r, 85) ? (uint64_t)(int64_t)sock_fds[below(&z->r, nsock)] : an_fd(z);
}

static uint64_t an_fd(struct fz *z) {
  if (chance(&z->r, 85) && nfds > 0) return (uint64_t)(int64_t)fds[below(&z->r, nfds)];
  static const int64_t v[] = { -1, -100 /* AT_FDCWD */, 0, 1, 2, 1023, 1024, 65535, 1 << 20, 0x7fffffff, -2 };
  return (uint64_t)v[below(&z->r, sizeof v / sizeof v[0])];
}

static const char *a_path_str(struct fz *z) {
  unsigned n = below(&z->r, 100);
  if (n < 70) return paths_fixed[below(&z->r, NPATHS_FIXED)];
  if (n < 82) return bait_paths[below(&z->r, 6)];
  if (n < 85) return long_path;
  if (n < 88) return long_name;
  /* a mutated copy in buf: a byte changed or the string cut */
  const char *src = paths_fixed[below(&z->r, NPATHS_FIXED)];
  size_t len = strlen(src);
  char *p = area_alloc(z, len + 2);
  memcpy(p, src, len + 1);
  if (len > 0 && chance(&z->r, 50)) p[below(&z->r, len)] = (char)rnd(&z->r);
  else if (len > 0) p[below(&z->r, len)] = 0;
  return p;
}

static uint64_t a_pid(struct fz *z) {
  switch (below(&z->r, 10)) {
  case 0: return 0;
  case 1: return (uint64_t)-1;
  case 2: return (uint64_t)(int64_t)-self_pid;
  case 3: return syscall(SYS_gettid);
  case 4: if (nchildren) return children[below(&z->r, nchildren < 64 ? nchildren : 64)];
    /* fall through */
  case 5: return 2 + below(&z->r, 100);
  case 6: return rnd(&z->r);
  case 7: return 0x80000000ULL;
  default: return self_pid;
  }
}

static uint64_t a_signal(struct fz *z) {
  if (chance(&z->r, 5)) return rnd(&z->r);
  static const int v[] = { 0, SIGALRM, SIGUSR1, SIGUSR2, SIGHUP, SIGINT, SIGPIPE, SIGCHLD, SIGCONT, SIGWINCH,
                           SIGURG, SIGTERM, SIGSEGV, SIGBUS, SIGSYS, SIGTRAP, 34, 37, 64, 65 };
  return (uint64_t)v[below(&z->r, sizeof v / sizeof v[0])];
}

/* A sigset that never blocks SIGALRM (the ticker must get through). */
static uint64_t a_sigset(struct fz *z) {
  if (chance(&z->r, 15)) {
    /* not any pointer: one into our memory could hold a mask with SIGALRM */
    const uint64_t bad[] = { 0, (uint64_t)gone_page, (uint64_t)none_page, (uint64_t)ro_page, 0xffff800000000000ULL, 0x7ff000001000ULL };
    return bad[below(&z->r, 6)];
  }
  uint64_t *s = (uint64_t *)area_alloc(z, 16);
  s[0] = rnd(&z->r) & ~(1ULL << (SIGALRM - 1));
  s[1] = rnd(&z->r);
  return (uint64_t)s;
}

static uint64_t a_timespec(struct fz *z) {
  if (chance(&z->r, 15)) return a_pointer(z);
  struct timespec *t = (struct timespec *)area_alloc(z, sizeof *t * 2);
  t[0].tv_sec = chance(&z->r, 90) ? 0 : (long)below(&z->r, 3) - 1;
  t[0].tv_nsec = chance(&z->r, 90) ? (long)below(&z->r, 3000000) : (long)rnd(&z->r);
  t[1] = t[0];
  return (uint64_t)t;
}

static uint64_t an_iovec(struct fz *z) {
  if (chance(&z->r, 10)) return a_pointer(z);
  unsigned n = 1 + below(&z->r, 8);
  struct iovec *v = (struct iovec *)area_alloc(z, sizeof *v * n);
  for (unsigned i = 0; i < n; i++) {
    v[i].iov_base = chance(&z->r, 80) ? buf + STRUCT_AREA * (MAX_THREADS + 1) + below(&z->r, BUF_SIZE / 2) : (void *)a_pointer(z);
    v[i].iov_len = chance(&z->r, 85) ? below(&z->r, 2048) : a_length(z);
  }
  return (uint64_t)v;
}

static uint64_t a_pollfds(struct fz *z) {
  if (chance(&z->r, 10)) return a_pointer(z);
  unsigned n = 1 + below(&z->r, 8);
  struct pollfd *p = (struct pollfd *)area_alloc(z, sizeof *p * n);
  for (unsigned i = 0; i < n; i++) {
    p[i].fd = (int)an_fd(z);
    p[i].events = (short)(chance(&z->r, 70) ? (POLLIN | POLLOUT) & rnd(&z->r) : rnd(&z->r));
    p[i].revents = 0;
  }
  return (uint64_t)p;
}

static uint64_t a_sockaddr(struct fz *z) {
  if (chance(&z->r, 10)) return a_pointer(z);
  char *p = area_alloc(z, 128);
  switch (below(&z->r, 5)) {
  case 0: {
    struct sockaddr_un *u = (struct sockaddr_un *)p;
    u->sun_family = AF_UNIX;
    const char *names[] = { "sock0", "/scratch/sock1", "d0/sock", "/tmp/fzsock" };
    if (chance(&z->r, 30)) {
      u->sun_path[0] = 0;
      snprintf(u->sun_path + 1, sizeof u->sun_path - 1, "fz%u", (unsigned)below(&z->r, 4));
    } else {
      snprintf(u->sun_path, sizeof u->sun_path, "%s", names[below(&z->r, 4)]);
    }
    break;
  }
  case 1: case 2: {
    struct sockaddr_in *in = (struct sockaddr_in *)p;
    in->sin_family = AF_INET;
    in->sin_port = htons(chance(&z->r, 80) ? 7000 + below(&z->r, 4) : (uint16_t)rnd(&z->r));
    in->sin_addr.s_addr = chance(&z->r, 80) ? htonl(0x7f000001) : (uint32_t)rnd(&z->r);
    break;
  }
  case 3: {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)p;
    memset(in6, 0, sizeof *in6);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(7000 + below(&z->r, 4));
    in6->sin6_addr.s6_addr[15] = chance(&z->r, 80);
    break;
  }
  default:
    for (int i = 0; i < 128; i++) p[i] = (char)rnd(&z->r);
    ((uint16_t *)p)[0] = (uint16_t)below(&z->r, 48);
  }
  return (uint64_t)p;
}

static uint64_t a_msghdr(struct fz *z) {
  if (chance(&z->r, 10)) return a_pointer(z);
  struct msghdr *m = (struct msghdr *)area_alloc(z, sizeof *m);
  memset(m, 0, sizeof *m);
  if (chance(&z->r, 30)) {
    m->msg_name = (void *)a_sockaddr(z);
    m->msg_namelen = chance(&z->r, 80) ? 110 : (socklen_t)a_length(z);
  }
  m->msg_iov = (struct iovec *)an_iovec(z);
  m->msg_iovlen = below(&z->r, 9);
  if (chance(&z->r, 40)) {
    /* SCM_RIGHTS of our fds, or SCM_CREDENTIALS, or junk */
    char *c = area_alloc(z, 256);
    struct cmsghdr *h = (struct cmsghdr *)c;
    unsigned n = 1 + below(&z->r, 4);
    h->cmsg_level = chance(&z->r, 90) ? SOL_SOCKET : (int)rnd(&z->r);
    h->cmsg_type = chance(&z->r, 60) ? SCM_RIGHTS : chance(&z->r, 50) ? SCM_CREDENTIALS : (int)below(&z->r, 8);
    h->cmsg_len = chance(&z->r, 85) ? CMSG_LEN(n * sizeof(int)) : below(&z->r, 300);
    for (unsigned i = 0; i < n; i++) ((int *)CMSG_DATA(h))[i] = (int)an_fd(z);
    m->msg_control = c;
    m->msg_controllen = chance(&z->r, 85) ? CMSG_SPACE(n * sizeof(int)) : below(&z->r, 300);
  }
  m->msg_flags = (int)rnd(&z->r);
  return (uint64_t)m;
}

/* libc's signal-return trampoline, as its sigaction gives it to the kernel (read back at start) */
static uint64_t restorer;

static void on_alarm(int sig) { (void)sig; }
static void on_other(int sig) { (void)sig; }

static uint64_t a_sigaction(struct fz *z) {
  if (chance(&z->r, 15)) return chance(&z->r, 50) ? 0 : a_pointer(z);
  struct kact { uint64_t handler, flags, restorer, mask; } *a = (struct kact *)area_alloc(z, sizeof *a);
  static const uint64_t h[] = { 0 /* SIG_DFL */, 1 /* SIG_IGN */ };
  unsigned k = below(&z->r, 4);
  a->handler = k < 2 ? h[k] : k == 2 ? (uint64_t)on_other : rnd(&z->r);
  a->flags = chance(&z->r, 70) ? (0x04000000 /* SA_RESTORER */ | (rnd(&z->r) & 0x58000004)) : rnd(&z->r);
  a->restorer = chance(&z->r, 80) ? restorer : a_pointer(z);
  a->mask = rnd(&z->r);
  return (uint64_t)a;
}

static uint64_t a_flags(struct fz *z) {
  switch (below(&z->r, 10)) {
  case 0: case 1: case 2: case 3: return 0;
  case 4: return rnd(&z->r);
  case 5: return rnd(&z->r) & 0xffffffff;
  case 6: case 7: return 1ULL << below(&z->r, chance(&z->r, 70) ? 12 : 32);
  default: return rnd(&z->r) & rnd(&z->r) & 0x1fffff; /* a few low bits */
  }
}

static uint64_t a_cmd(struct fz *z) {
  static const uint64_t v[] = {
    /* fcntl */ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 36, 37, 38, 1024, 1025, 1026, 1029, 1030,
    1031, 1032, 1033, 1034,
    /* tty and file ioctls */ 0x5401, 0x5402, 0x5403, 0x5404, 0x540b, 0x540e, 0x540f, 0x5410, 0x5412, 0x5413,
    0x5414, 0x541b, 0x5421, 0x5422, 0x5429, 0x5450, 0x5451, 0x5452, 0x80045430, 0x40045431, 0x80086601,
    0x40086602, 0x8912, 0x8913, 0x8915, 0x8933, 0x894c, 0x541c, 0x5423, 0x5424, 0x5437, 0x4b3a,
  };
  return chance(&z->r, 85) ? v[below(&z->r, sizeof v / sizeof v[0])] : rnd(&z->r) & 0xffffffff;
}

static uint64_t a_mmap_flags(struct fz *z) {
  static const uint64_t type[] = { MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, 0, 0xf };
  uint64_t f = type[below(&z->r, 5)];
  if (chance(&z->r, 50)) f |= MAP_ANONYMOUS;
  if (chance(&z->r, 25)) f |= MAP_FIXED;
  if (chance(&z->r, 10)) f |= MAP_FIXED_NOREPLACE;
  if (chance(&z->r, 10)) f |= MAP_POPULATE;
  if (chance(&z->r, 10)) f |= MAP_NORESERVE | MAP_STACK | MAP_GROWSDOWN;
  if (chance(&z->r, 5)) f |= rnd(&z->r) & 0xfffff;
  return f;
}

static uint64_t gen(struct fz *z, char kind) {
  switch (kind) {
  case 'f': return an_fd(z);
  case 'Q': return a_socket_fd(z);
  case 'b': return chance(&z->r, 85) ? (uint64_t)buf + STRUCT_AREA * (MAX_THREADS + 1) + below(&z->r, BUF_SIZE / 2) : a_pointer(z);
  case 'p': return a_pointer(z);
  case 's': return chance(&z->r, 92) ? (uint64_t)a_path_str(z) : a_pointer(z);
  case 'l': return a_length(z);
  case 'o': return chance(&z->r, 60) ? below(&z->r, 16384) : chance(&z->r, 50) ? 4096 * below(&z->r, 64) : rnd(&z->r);
  case 'F': return a_flags(z);
  case 'i': return small_int(z);
  case 'n': return below(&z->r, 17);
  case 'm': return chance(&z->r, 80) ? below(&z->r, 010000) : rnd(&z->r);
  case 'u': { static const int64_t v[] = { 0, 1, 65534, -1, 1000 }; return chance(&z->r, 90) ? (uint64_t)v[below(&z->r, 5)] : rnd(&z->r); }
  case 'P': return a_pid(z);
  case 'S': return a_signal(z);
  case 'w': return chance(&z->r, 90) ? below(&z->r, 4) : rnd(&z->r);
  case 'c': return a_cmd(z);
  case 'a': return chance(&z->r, 95) ? (uint64_t)arena + 4096 * below(&z->r, ARENA_SIZE / 4096) + (chance(&z->r, 5) ? below(&z->r, 4096) : 0) : a_pointer(z);
  case 'A': return chance(&z->r, 30) ? 0 : gen(z, 'a');
  case 'M': return chance(&z->r, 90) ? below(&z->r, 8) : rnd(&z->r);
  case 'N': return a_mmap_flags(z);
  case 'k': return a_sigset(z);
  case 'z': return chance(&z->r, 90) ? 8 : below(&z->r, 256);
  case 'K': { /* pselect6's { const sigset_t *ss; size_t ss_len; } */
    uint64_t *k = (uint64_t *)area_alloc(z, 16);
    k[0] = a_sigset(z);
    k[1] = chance(&z->r, 90) ? 8 : below(&z->r, 256);
    return chance(&z->r, 90) ? (uint64_t)k : 0;
  }
  case 't': return a_timespec(z);
  case 'v': return an_iovec(z);
  case 'q': return a_pollfds(z);
  case 'y': return a_sockaddr(z);
  case 'g': return a_msghdr(z);
  case 'h': return a_sigaction(z);
  case 'e': {
    if (chance(&z->r, 20)) return chance(&z->r, 50) ? 0 : a_pointer(z);
    uint64_t *v = (uint64_t *)area_alloc(z, 4 * 8);
    v[0] = (uint64_t)a_path_str(z);
    v[1] = chance(&z->r, 80) ? (uint64_t)"x" : a_pointer(z);
    v[2] = 0;
    return (uint64_t)v;
  }
  case 'D': { static const int v[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, 0, 45 }; return chance(&z->r, 95) ? (uint64_t)v[below(&z->r, 7)] : rnd(&z->r); }
  case 'T': { static const int v[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW, SOCK_STREAM | SOCK_NONBLOCK, SOCK_DGRAM | SOCK_CLOEXEC }; return chance(&z->r, 95) ? (uint64_t)v[below(&z->r, 6)] : rnd(&z->r); }
  default: /* 'x': anything */
    switch (below(&z->r, 6)) {
    case 0: return small_int(z);
    case 1: return an_fd(z);
    case 2: return a_pointer(z);
    case 3: return a_length(z);
    case 4: return a_flags(z);
    default: return rnd(&z->r);
    }
  }
}

/* ---- structure: well-formed arguments for the calls with the most code ---- */

static uint64_t a_map_addr(struct fz *z) {
  if (z->nmaps && chance(&z->r, 70)) {
    unsigned i = below(&z->r, z->nmaps < 8 ? z->nmaps : 8);
    return z->maps[i].addr + 4096 * below(&z->r, z->maps[i].len / 4096 + 1);
  }
  return (uint64_t)arena + 4096 * below(&z->r, ARENA_SIZE / 4096);
}
static uint64_t a_map_len(struct fz *z) {
  return chance(&z->r, 85) ? 4096 * (1 + below(&z->r, chance(&z->r, 80) ? 8 : 256)) : a_length(z);
}

/* Override some calls' arguments with well-formed ones, most of the time:
 * random bits get EINVAL at the first check, and the code behind it never runs. */
static void structure(struct fz *z, long nr, uint64_t a[6]) {
  if (!chance(&z->r, 75)) return;
  static const uint64_t open_flags[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDWR | O_CREAT, O_WRONLY | O_CREAT | O_TRUNC,
    O_RDWR | O_APPEND, O_RDONLY | O_DIRECTORY, O_RDWR | O_CREAT | O_EXCL, O_PATH, O_RDONLY | O_NOFOLLOW,
    O_WRONLY | O_NONBLOCK, O_RDWR | O_TMPFILE, O_RDONLY | O_CLOEXEC, O_RDWR | O_SYNC, O_RDONLY | O_NOATIME };
  switch (nr) {
  case SYS_mmap: {
    unsigned kind = below(&z->r, 5);
    a[0] = chance(&z->r, 50) ? 0 : a_map_addr(z);
    a[1] = a_map_len(z);
    a[2] = chance(&z->r, 90) ? below(&z->r, 8) : a[2];
    a[3] = kind == 0 ? MAP_PRIVATE | MAP_ANONYMOUS : kind == 1 ? MAP_SHARED | MAP_ANONYMOUS : kind == 2 ? MAP_PRIVATE : kind == 3 ? MAP_SHARED : a_mmap_flags(z);
    if (a[0] && chance(&z->r, 60)) a[3] |= chance(&z->r, 80) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
    if (chance(&z->r, 10)) a[3] |= MAP_POPULATE;
    a[5] = chance(&z->r, 80) ? 4096 * below(&z->r, 4) : a[5];
    break;
  }
  case SYS_munmap: case SYS_mprotect: case SYS_madvise: case SYS_msync: case SYS_mlock: case SYS_munlock:
  case SYS_mincore: case SYS_mlock2: case SYS_pkey_mprotect:
    a[0] = a_map_addr(z);
    a[1] = a_map_len(z);
    if (nr == SYS_mprotect || nr == SYS_pkey_mprotect) a[2] = below(&z->r, 8);
    if (nr == SYS_madvise) { static const int adv[] = { 0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24, 25, 100, 101 }; a[2] = adv[below(&z->r, sizeof adv / sizeof adv[0])]; }
    if (nr == SYS_msync) a[2] = 1 << below(&z->r, 3);
    if (nr == SYS_pkey_mprotect) a[3] = chance(&z->r, 80) ? (uint64_t)-1 : below(&z->r, 16);
    break;
  case SYS_mremap:
    a[0] = a_map_addr(z);
    a[1] = chance(&z->r, 10) ? 0 : a_map_len(z);
    a[2] = a_map_len(z);
    a[3] = below(&z->r, 8); /* MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP */
    a[4] = a_map_addr(z);
    break;
  case SYS_brk:
    a[0] = chance(&z->r, 50) ? 0 : (uint64_t)sbrk(0) + (below(&z->r, 64) - 16) * 4096;
    break;
  case SYS_open: case SYS_creat:
    a[1] = open_flags[below(&z->r, sizeof open_flags / sizeof open_flags[0])];
    break;
  case SYS_openat:
    a[2] = open_flags[below(&z->r, sizeof open_flags / sizeof open_flags[0])];
    if (chance(&z->r, 50)) a[0] = (uint64_t)-100; /* AT_FDCWD */
    break;
  case SYS_futex: {
    static const int ops[] = { 0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
    uint32_t *w = (uint32_t *)buf + below(&z->r, 8); /* a few words all threads use */
    a[0] = chance(&z->r, 90) ? (uint64_t)w : a[0];
    a[1] = ops[below(&z->r, sizeof ops / sizeof ops[0])] | (chance(&z->r, 50) ? 128 : 0) | (chance(&z->r, 10) ? 256 : 0);
    a[2] = chance(&z->r, 60) ? *w : below(&z->r, 4);
    a[3] = chance(&z->r, 70) ? a_timespec(z) : below(&z->r, 4);
    a[4] = (uint64_t)((uint32_t *)buf + below(&z->r, 8));
    a[5] = chance(&z->r, 50) ? 0xffffffff : below(&z->r, 4);
    if (chance(&z->r, 30)) *w = (uint32_t)below(&z->r, 4);
    break;
  }
  case SYS_fcntl: {
    static const int cmds[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 36, 37, 38, 1024, 1025, 1026, 1030, 1031, 1032, 1033, 1034 };
    a[1] = cmds[below(&z->r, sizeof cmds / sizeof cmds[0])];
    if (a[1] == 5 || a[1] == 6 || a[1] == 7 || a[1] == 36 || a[1] == 37 || a[1] == 38) {
      /* struct flock: type, whence, start, len, pid */
      struct flock *l = (struct flock *)area_alloc(z, sizeof *l);
      l->l_type = (short)below(&z->r, 4);
      l->l_whence = (short)below(&z->r, 3);
      l->l_start = chance(&z->r, 80) ? (off_t)below(&z->r, 256) : (off_t)rnd(&z->r);
      l->l_len = chance(&z->r, 80) ? (off_t)below(&z->r, 256) : (off_t)rnd(&z->r);
      l->l_pid = 0;
      a[2] = chance(&z->r, 90) ? (uint64_t)l : a_pointer(z);
    } else if (a[1] == 0 || a[1] == 1030) {
      a[2] = below(&z->r, 64);
    } else if (a[1] == 4) {
      a[2] = (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME) & rnd(&z->r);
    }
    break;
  }
  case SYS_lseek:
    a[2] = below(&z->r, 5);
    break;
  case SYS_flock:
    a[1] = (1 << below(&z->r, 4)) | (chance(&z->r, 50) ? 4 /* LOCK_NB */ : 0);
    break;
  case SYS_socket: case SYS_socketpair:
    a[2] = chance(&z->r, 80) ? 0 : a[2];
    break;
  case SYS_setsockopt: case SYS_getsockopt: {
    static const int lv[] = { SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP, IPPROTO_IPV6, 0, 270 /* SOL_NETLINK */ };
    a[1] = lv[below(&z->r, 6)];
    a[2] = below(&z->r, 70);
    if (nr == SYS_setsockopt) {
      int *v = (int *)area_alloc(z, 64);
      for (int i = 0; i < 16; i++) v[i] = (int)small_int(z);
      a[3] = chance(&z->r, 90) ? (uint64_t)v : a[3];
      a[4] = chance(&z->r, 80) ? (uint64_t)(4 << below(&z->r, 3)) : a[4];
    } else {
      int *l = (int *)area_alloc(z, 8);
      *l = (int)(chance(&z->r, 80) ? 4 << below(&z->r, 4) : rnd(&z->r));
      a[4] = chance(&z->r, 90) ? (uint64_t)l : a[4];
    }
    break;
  }
  case SYS_epoll_ctl: {
    uint32_t *ev = (uint32_t *)area_alloc(z, 16);
    ev[0] = (uint32_t)(chance(&z->r, 80) ? rnd(&z->r) & 0x801f : rnd(&z->r)); /* EPOLLIN.. EPOLLET */
    ev[1] = (uint32_t)rnd(&z->r);
    a[1] = 1 + below(&z->r, 3);
    a[3] = chance(&z->r, 90) ? (uint64_t)ev : a[3];
    break;
  }
  case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64: case SYS_getdents64: case SYS_getdents:
    if (chance(&z->r, 70)) a[2] = below(&z->r, 4096);
    break;
  }
}

/* ---- the hazards: what would end the fuzzing, or reach the fork server ---- */

static int pid_is_server(uint64_t v) { return (int)v == 1; }

static void sanitize(struct fz *z, long nr, uint64_t a[6]) {
  /* nothing is aimed at pid 1, the fork server (kill(-1) spares init) */
  switch (nr) {
  case SYS_kill: case SYS_tkill: case SYS_rt_sigqueueinfo: case SYS_setpgid: case SYS_sched_setparam:
  case SYS_sched_setscheduler: case SYS_sched_setaffinity: case SYS_sched_setattr: case SYS_prlimit64:
  case SYS_process_vm_writev: case SYS_process_vm_readv: case SYS_pidfd_open: case SYS_migrate_pages:
  case SYS_move_pages: case SYS_tgkill: case SYS_rt_tgsigqueueinfo:
    if (pid_is_server(a[0])) a[0] = self_pid;
    break;
  case SYS_ptrace: case SYS_setpriority: case SYS_ioprio_set:
    if (pid_is_server(a[1])) a[1] = self_pid;
    break;
  }
  /* no SIGSTOP (a stopped worker is a stall); SIGKILL only for other processes */
  int si = nr == SYS_kill || nr == SYS_tkill || nr == SYS_rt_sigqueueinfo || nr == SYS_pidfd_send_signal ? 1 :
           nr == SYS_tgkill || nr == SYS_rt_tgsigqueueinfo ? 2 : -1;
  if (si >= 0) {
    int s = (int)a[si];
    if (s == SIGSTOP || s == SIGTSTP || s == SIGTTIN || s == SIGTTOU) a[si] = SIGCONT;
    if (s == SIGKILL && (nr != SYS_kill || (int)a[0] <= 1 || (int)a[0] == self_pid)) a[si] = SIGCONT;
  }
  /* the mm calls stay in the arena, mostly: beyond it are this worker's
   * own stacks, buffers and the fork server's page */
  if (a[0] >= (uint64_t)arena && a[0] < (uint64_t)arena + ARENA_SIZE && chance(&z->r, 90)) {
    uint64_t room = (uint64_t)arena + ARENA_SIZE - a[0];
    switch (nr) {
    case SYS_munmap: case SYS_mprotect: case SYS_madvise: case SYS_mremap: case SYS_mlock: case SYS_munlock:
    case SYS_msync: case SYS_mincore: case SYS_mlock2: case SYS_pkey_mprotect: case SYS_mmap: case SYS_remap_file_pages:
    case SYS_mbind: case 462 /* mseal */:
      if (a[1] > room) a[1] = room;
      if (nr == SYS_mremap && a[2] > room) a[2] = room;
      break;
    }
  }
  switch (nr) {
  case SYS_fallocate: /* the scratch directory is on the host's disk */
    a[3] &= (4 << 20) - 1;
    break;
  case SYS_arch_prctl: /* a garbage fs base ends the thread at its next errno: now and then only */
    if ((a[0] == 0x1002 /* ARCH_SET_FS */ || a[0] == 0x1001 /* ARCH_SET_GS */) && !chance(&z->r, 5)) a[0] = 0x1003;
    break;
  case SYS_setrlimit: case SYS_prlimit64:
    /* RLIMIT_CPU would end the worker in a second: tolerated, not often */
    break;
  case SYS_execve: case SYS_execveat:
    break;
  }
}

/* ---- the signal setup of a fuzzing process -------------------------------- */

static void on_fault(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  /* a fault of our own (memory the calls changed under us): back to the loop;
   * the same signal sent by someone (si_code <= 0) is just counted */
  if (si->si_code > 0 && fault_jmp) {
    /* the fault may have come in a handler that never returned (a garbage
     * sa_restorer): its sa_mask, random, would stay; SIGALRM must get through */
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    siglongjmp(*fault_jmp, 1);
  }
  /* a fault with nowhere to go back to (our own bookkeeping's memory is
   * gone): returning would fault again for ever; this process dies of it */
  if (si->si_code > 0) signal(sig, SIG_DFL);
}

static void set_handler(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP) {
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  } else if (sig == SIGALRM) {
    sa.sa_handler = on_alarm; /* no SA_RESTART: blocking calls end with EINTR */
  } else if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU || sig == SIGPIPE || sig == SIGXFSZ) {
    sa.sa_handler = SIG_IGN;
  } else if (sig == SIGCHLD || sig == SIGKILL || sig == SIGSTOP || sig == SIGCONT || sig == SIGWINCH || sig == SIGURG) {
    return; /* default: ignored, or cannot be changed */
  } else {
    sa.sa_handler = on_other;
  }
  sigaction(sig, &sa, NULL);
}

static void signal_setup(void) {
  for (int s = 1; s < NSIG; s++) if (s != 32 && s != 33) set_handler(s);
  uint64_t k[4];
  if (syscall(SYS_rt_sigaction, SIGALRM, NULL, k, 8) == 0) restorer = k[2];
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, NULL);
}

/* After a call that changed the signal setup: put back what the fuzzing needs. */
static void restore_signals(long nr, uint64_t a0) {
  if (nr == SYS_rt_sigaction) {
    if ((int)a0 > 0 && (int)a0 < NSIG && (int)a0 != 32 && (int)a0 != 33) set_handler((int)a0);
  } else if (nr == SYS_rt_sigprocmask) {
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
  }
}

/* ---- clone without a child that runs our code ------------------------------
 * The child of any clone flags runs on whatever stack it was given, maybe
 * ours (CLONE_VM), so it must not touch memory: it exits (SYS_exit, so a
 * CLONE_THREAD child ends alone) straight from the syscall's return. */
static long raw_clone(long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4) {
  long ret;
  register uint64_t r10 __asm__("r10") = a3;
  register uint64_t r8 __asm__("r8") = a4;
  __asm__ volatile(
    "syscall\n\t"
    "test %%rax, %%rax\n\t"
    "jnz 1f\n\t"
    "mov $60, %%eax\n\t"
    "xor %%edi, %%edi\n\t"
    "syscall\n\t"
    "ud2\n"
    "1:\n"
    : "=a"(ret)
    : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8)
    : "rcx", "r11", "memory");
  return ret;
}

static long do_clone(struct fz *z, long nr) {
  uint64_t flags;
  switch (nr) {
  case SYS_fork: return raw_clone(SYS_fork, 0, 0, 0, 0, 0);
  case SYS_vfork: return raw_clone(SYS_vfork, 0, 0, 0, 0, 0);
  case SYS_clone:
    flags = chance(&z->r, 50) ? SIGCHLD : 0;
    flags |= rnd(&z->r) & rnd(&z->r) & ~0xffULL;
    if (chance(&z->r, 5)) flags = rnd(&z->r);
    return raw_clone(SYS_clone, flags, chance(&z->r, 50) ? 0 : gen(z, 'p'), gen(z, 'b'), gen(z, 'b'), chance(&z->r, 80) ? 0 : rnd(&z->r));
  default: { /* clone3 */
    uint64_t *args = (uint64_t *)area_alloc(z, 11 * 8);
    args[0] = rnd(&z->r) & rnd(&z->r) & ~0xffULL;         /* flags */
    args[1] = gen(z, 'b');                              /* pidfd */
    args[2] = gen(z, 'b');                              /* child_tid */
    args[3] = gen(z, 'b');                              /* parent_tid */
    args[4] = chance(&z->r, 70) ? SIGCHLD : below(&z->r, 70); /* exit_signal */
    args[5] = chance(&z->r, 50) ? 0 : gen(z, 'p');      /* stack */
    args[6] = chance(&z->r, 50) ? 0 : a_length(z);      /* stack_size */
    args[7] = chance(&z->r, 80) ? 0 : rnd(&z->r);       /* tls */
    args[8] = chance(&z->r, 80) ? 0 : gen(z, 'p');      /* set_tid */
    args[9] = below(&z->r, 4);                          /* set_tid_size */
    args[10] = chance(&z->r, 90) ? 0 : an_fd(z);        /* cgroup */
    return raw_clone(SYS_clone3, (uint64_t)args, chance(&z->r, 90) ? 88 : a_length(z), 0, 0, 0);
  }
  }
}

/* ---- one call ------------------------------------------------------------- */

static const char *name_of(long nr) {
  return nr >= 0 && nr < NR_MAX && table[nr].name ? table[nr].name : "?";
}

/* After a successful mmap or mremap: touch some of its pages (faults on every
 * kind of mapping), recovering from SIGSEGV/SIGBUS. */
static void touch(struct fz *z, uint64_t addr, uint64_t len) {
  if (len == 0 || len > (1ULL << 32)) return;
  unsigned n = 1 + below(&z->r, 4);
  for (unsigned i = 0; i < n; i++) {
    volatile char *p = (volatile char *)(addr + (below(&z->r, len) & ~4095ULL));
    sigjmp_buf jb;
    fault_jmp = &jb;
    if (sigsetjmp(jb, 0) == 0) {
      if (chance(&z->r, 50)) (void)*p;
      else *p = (char)rnd(&z->r);
    }
    fault_jmp = NULL;
  }
}

static void one_call(struct fz *z) {
  long nr;
  uint64_t a[6];
  z->used = 0;
  unsigned pick = below(&z->r, 100);
  static const long heavy[] = { SYS_mmap, SYS_mmap, SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_madvise,
    SYS_brk, SYS_futex, SYS_clone, SYS_clone3, SYS_fork, SYS_openat, SYS_close, SYS_dup2, SYS_ioctl, SYS_fcntl,
    SYS_read, SYS_write, SYS_sendmsg, SYS_recvmsg, SYS_execve, SYS_kill, SYS_tgkill, SYS_rt_sigaction };
  if (pick >= 75) {
    nr = heavy[below(&z->r, sizeof heavy / sizeof heavy[0])];
  } else if (pick >= 30) {
    nr = hot[below(&z->r, NHOT)];
  } else if (pick < 3) {
    nr = (long)rnd(&z->r);          /* any number at all */
    if (chance(&z->r, 50)) nr &= 0xffffffff;
    if (chance(&z->r, 50)) nr = (nr & 0x3ff) | 0x40000000; /* the x32 range */
  } else if (pick < 8) {
    nr = NR_MAX + (long)below(&z->r, 200);
  } else {
    nr = (long)below(&z->r, NR_MAX);
  }
  /* the kernel reads the number's low 32 bits (arch/x86/entry/common.c):
   * 0xffffffff0000003c is exit */
  long eff = (int)nr;
  const struct sc *e = eff >= 0 && eff < NR_MAX ? &table[eff] : NULL;
  if (e && (e->flags & SKIP)) return;
  /* exec in a worker replaces it, threads and all (de_thread while they
   * race): now and then only, as it ends that worker's fuzzing */
  if (e && (e->flags & CHILD) && !z->child && !chance(&z->r, 3)) return;
  /* the numbers as the x32 ABI and out of the table: no argument kinds */
  int typed = e && e->name && chance(&z->r, 92);
  for (int i = 0; i < 6; i++) {
    char k = typed && e->kinds[i] ? e->kinds[i] : 0;
    /* sigsets and signals keep their kinds even untyped (see a_sigset) */
    if (!typed && e && e->name && e->kinds[i] && strchr("kKzSP", e->kinds[i])) k = e->kinds[i];
    a[i] = k ? gen(z, k) : gen(z, 'x');
  }
  if (typed) structure(z, eff, a);
  sanitize(z, eff, a);
  if (z->slot >= 0) {
    shared->last[z->slot].nr = nr;
    for (int i = 0; i < 6; i++) shared->last[z->slot].a[i] = a[i];
  }
  long ret;
  if (e && (e->flags & CLONE)) {
    ret = do_clone(z, eff);
    if (ret > 0) {
      unsigned c = __atomic_fetch_add(&nchildren, 1, __ATOMIC_RELAXED);
      children[c % 64] = (int)ret;
    }
  } else {
    ret = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  }
  if (e && (e->flags & SIG)) restore_signals(eff, a[0]);
  nr = eff;
  if (ret >= 0 && (nr == SYS_mmap || nr == SYS_mremap)) {
    uint64_t len = nr == SYS_mmap ? a[1] : a[2];
    z->maps[z->nmaps++ % 8].addr = (uint64_t)ret;
    z->maps[(z->nmaps - 1) % 8].len = len < (1ULL << 30) ? (len + 4095) & ~4095ULL : 4096;
    touch(z, (uint64_t)ret, len);
  }
  if (ret >= 0 && ret < 4096 && nfds < (int)(sizeof fds / sizeof fds[0]) &&
      (nr == SYS_open || nr == SYS_openat || nr == SYS_socket || nr == SYS_dup || nr == SYS_epoll_create1 ||
       nr == SYS_eventfd2 || nr == SYS_accept4 || nr == SYS_accept || nr == SYS_memfd_create || nr == SYS_pidfd_open)) {
    fds[nfds++] = (int)ret; /* racy between threads: a lost slot is harmless */
  }
}

/* ---- a worker's set-up: its files, fds and memory -------------------------- */

static void open_fds(void) {
  int p[2], s[2];
  nfds = 0;
#define ADD(x) do { int fd_ = (x); if (fd_ >= 0 && nfds < (int)(sizeof fds / sizeof fds[0])) fds[nfds++] = fd_; } while (0)
  nsock = 0;
  ADD(open("f0", O_RDWR | O_CREAT, 0644));
  ADD(open("f1", O_RDONLY));
  ADD(open(".", O_RDONLY | O_DIRECTORY));
  ADD(open("/dev/null", O_RDWR));
  ADD(open("/dev/zero", O_RDWR));
  if (pipe2(p, O_NONBLOCK) == 0) { ADD(p[0]); ADD(p[1]); }
  if (pipe(p) == 0) { ADD(p[0]); ADD(p[1]); }
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0) { ADD(s[0]); ADD(s[1]); }
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, s) == 0) { ADD(s[0]); ADD(s[1]); }
  ADD(socket(AF_INET, SOCK_STREAM, 0));
  ADD(socket(AF_INET, SOCK_DGRAM, 0));
  ADD(socket(AF_INET6, SOCK_STREAM, 0));
  ADD(socket(AF_NETLINK, SOCK_RAW, 0));
  ADD(socket(AF_UNIX, SOCK_SEQPACKET, 0));
  ADD(socket(AF_UNIX, SOCK_STREAM, 0));
  ADD(socket(AF_INET6, SOCK_DGRAM, 0));
  ADD(syscall(SYS_eventfd2, 0, 0));
  ADD(syscall(SYS_epoll_create1, 0));
  ADD(open("/proc/self/maps", O_RDONLY));
  ADD(open("/etc/passwd", O_RDONLY));
  ADD(open("/sys/devices/system/cpu/online", O_RDONLY));
  ADD(open("/tmp/fz", O_RDWR | O_CREAT, 0600));
  ADD(open("/dev/urandom", O_RDONLY));
  ADD(open("fifo0", O_RDWR | O_NONBLOCK));
  ADD(open(bait_paths[0], O_RDONLY));
  ADD(open("d0", O_RDONLY | O_DIRECTORY | O_PATH));
  ADD(syscall(SYS_pidfd_open, self_pid, 0));
  ADD(syscall(SYS_memfd_create, "fz", 0));
  ADD(syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0));
  /* a listening inet socket and a unix one, for connect and accept */
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(7000), .sin_addr.s_addr = htonl(0x7f000001) };
  if (l >= 0 && bind(l, (struct sockaddr *)&in, sizeof in) == 0 && listen(l, 8) == 0) ADD(l);
#undef ADD
  for (int i = 0; i < nfds; i++) {
    int type;
    socklen_t len = sizeof type;
    if (nsock < 16 && getsockopt(fds[i], SOL_SOCKET, SO_TYPE, &type, &len) == 0) sock_fds[nsock++] = fds[i];
  }
}

static void map_memory(void) {
  buf = mmap(NULL, BUF_SIZE + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(buf + BUF_SIZE, 4096, PROT_NONE);
  rw_ro = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ro_page = rw_ro + 4096;
  mprotect(ro_page, 4096, PROT_READ);
  none_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  gone_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(gone_page, 4096);
  arena = mmap(NULL, ARENA_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  /* structured junk: small numbers, our fds and pointers into buf */
  rng_t r = seeded(seed, 0xb0f, 0);
  for (size_t i = 0; i < BUF_SIZE / 8; i++) {
    uint64_t v;
    switch (below(&r, 4)) {
    case 0: v = below(&r, 64); break;
    case 1: v = (uint64_t)buf + below(&r, BUF_SIZE); break;
    case 2: v = nfds ? (uint64_t)fds[below(&r, nfds)] : 0; break;
    default: v = rnd(&r);
    }
    ((uint64_t *)buf)[i] = v;
  }
}

/* The files of the scratch directory the calls aim at (made by the fork server). */
static void make_scratch_files(void) {
  int fd = open("f0", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    for (int i = 0; i < 16; i++) (void)!write(fd, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64);
    close(fd);
  }
  fd = open("f1", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    (void)!write(fd, "one\n", 4);
    close(fd);
  }
  mkdir("d0", 0755);
  mkdir("d0/d1", 0755);
  close(open("d0/f", O_RDWR | O_CREAT, 0644));
  symlink("f0", "link0");
  symlink("nowhere", "dangling");
  symlink("loop", "loop");
  mkfifo("fifo0", 0644);
  fd = open("script.sh", O_RDWR | O_CREAT | O_TRUNC, 0755);
  if (fd >= 0) {
    (void)!write(fd, "#!/bin/true\n", 12);
    close(fd);
  }
}

/* ---- workers --------------------------------------------------------------- */

struct thread_arg { int slot; uint64_t worker; unsigned calls; volatile int done; pid_t tid; volatile unsigned progress; unsigned seen; };
static struct thread_arg targs[MAX_THREADS];
static int nthreads;

static void fuzz_loop(struct fz *z, unsigned calls, int in_worker);

static struct fz helper_fz;
static void *child_helper(void *arg) {
  (void)arg;
  fuzz_loop(&helper_fz, 1000000, 0);
  return NULL;
}

/* A forked child fuzzes a little on its own (ticked by ITIMER_REAL), now
 * and then with a second thread fuzzing beside it, and ends by exiting or
 * by an exec (while that thread is in the middle of a call). */
static void fork_child(struct fz *parent) {
  struct fz z = { .r = seeded(rnd(&parent->r), 0xc41d, 0), .slot = -1, .area = parent->area, .child = 1 };
  pid_t c = fork();
  if (c != 0) {
    if (c > 0) {
      unsigned i = __atomic_fetch_add(&nchildren, 1, __ATOMIC_RELAXED);
      children[i % 64] = c;
      __atomic_fetch_add(&shared->forks, 1, __ATOMIC_RELAXED);
    }
    return;
  }
  self_pid = getpid();
  struct itimerval it = { { 0, TICK_NS / 1000 }, { 0, TICK_NS / 1000 } };
  setitimer(ITIMER_REAL, &it, NULL);
  if (chance(&z.r, 30)) {
    helper_fz = (struct fz){ .r = seeded(rnd(&z.r), 0x4e1f, 0), .slot = -1, .area = buf + STRUCT_AREA * MAX_THREADS, .child = 1 };
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 256 << 10);
    pthread_create(&th, &at, child_helper, NULL);
  }
  fuzz_loop(&z, 5 + below(&z.r, 30), 0);
  if (chance(&z.r, 30)) {
    static const char *const progs[] = { "/bin/true", "script.sh", "/proc/self/exe", "f0", "/etc/passwd" };
    const char *p = progs[below(&z.r, 5)];
    char *argv[] = { (char *)p, "--help", NULL };
    execve(p, argv, argv + 2);
  }
  _exit(0);
}

static void fuzz_loop(struct fz *z, unsigned calls, int in_worker) {
  sigjmp_buf jb;
  for (unsigned i = 0; i < calls; i++) {
    fault_jmp = &jb;
    if (sigsetjmp(jb, 0) != 0) {
      /* a fault in our own code (our memory changed under us): go on, unless it keeps coming */
      if (++faults_in_row > 20) return;
      continue;
    }
    if (in_worker && chance(&z->r, 1) && nchildren < 40) fork_child(z);
    else if (chance(&z->r, 2)) while (waitpid(-1, NULL, WNOHANG | __WALL) > 0) {}
    else one_call(z);
    faults_in_row = 0;
    fault_jmp = NULL;
    if (z->progress) (*z->progress)++;
    if (in_worker) __atomic_fetch_add(&shared->calls, 1, __ATOMIC_RELAXED);
    else __atomic_fetch_add(&shared->child_calls, 1, __ATOMIC_RELAXED);
  }
  fault_jmp = NULL;
}

static void *fuzz_thread(void *p) {
  struct thread_arg *t = p;
  t->tid = (pid_t)syscall(SYS_gettid);
  struct fz z = { .r = seeded(seed, t->worker, (uint64_t)t->slot + 1), .slot = t->slot,
                  .area = buf + STRUCT_AREA * t->slot, .child = 0, .progress = &t->progress };
  fuzz_loop(&z, t->calls, 1);
  __atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
  /* park: the worker ends with exit_group once every thread is done */
  for (;;) pause();
  return NULL;
}

static void worker(uint64_t w, unsigned calls) {
  setpgid(0, 0);
  self_pid = getpid();
  out_fd = -1;
  int nul = open("/dev/null", O_RDWR);
  dup2(nul, 0);
  dup2(nul, 1);
  dup2(nul, 2);
  if (nul > 2) close(nul);
  signal_setup();
  open_fds();
  map_memory();
  rng_t r = seeded(seed, w, 0);
  nthreads = 1 + (int)below(&r, MAX_THREADS);
  for (int i = 0; i < nthreads; i++) {
    targs[i] = (struct thread_arg){ .slot = i, .worker = w, .calls = calls / nthreads + 1 };
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 256 << 10);
    if (pthread_create(&th, &at, fuzz_thread, &targs[i]) != 0) targs[i].done = 1;
  }
  /* the ticker: no fuzzing here; a thread that made no call for a tick
   * gets SIGALRM, so that a blocking call ends (EINTR) — only then: a
   * signal every tick whatever the thread does could keep a slow kernel
   * busy delivering them, and the thread in its handler for ever */
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  struct timespec tick = { 0, TICK_NS };
  for (;;) {
    nanosleep(&tick, NULL);
    int left = 0;
    for (int i = 0; i < nthreads; i++) {
      if (__atomic_load_n(&targs[i].done, __ATOMIC_ACQUIRE)) continue;
      left++;
      unsigned now = targs[i].progress;
      if (now == targs[i].seen && targs[i].tid) syscall(SYS_tgkill, self_pid, targs[i].tid, SIGALRM);
      targs[i].seen = now;
    }
    if (!left) break;
  }
  _exit(0);
}

/* ---- the fork server ------------------------------------------------------- */

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static const char *signame(int s) {
  static char b[16];
  const char *n = sigabbrev_np(s);
  if (n) { snprintf(b, sizeof b, "SIG%s", n); return b; }
  snprintf(b, sizeof b, "signal %d", s);
  return b;
}

/* A stalled worker's threads as /proc shows them: state and signal masks,
 * to tell a thread blocked for good from a wake-up the kernel lost. */
static void show_threads(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR *d = opendir(path);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char f[400], text[2048];
    snprintf(f, sizeof f, "%s/%s/status", path, e->d_name);
    int fd = open(f, O_RDONLY);
    if (fd < 0) continue;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) continue;
    text[n] = 0;
    say("fuzz:   tid %s:", e->d_name);
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
      if (!strncmp(l, "State:", 6) || !strncmp(l, "SigPnd:", 7) || !strncmp(l, "ShdPnd:", 7) ||
          !strncmp(l, "SigBlk:", 7) || !strncmp(l, "SigIgn:", 7) || !strncmp(l, "SigCgt:", 7)) say(" %s", l);
    }
    say("\n");
  }
  closedir(d);
  /* the mapping the fork server's page should be: a worker can map over
   * its own copy (then its progress goes nowhere: a stall of its making) */
  snprintf(path, sizeof path, "/proc/%d/maps", pid);
  FILE *m = fopen(path, "r");
  char line[256];
  while (m && fgets(line, sizeof line, m)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= (unsigned long)shared && (unsigned long)shared < hi) say("fuzz:   its page: %s", line);
  }
  if (m) fclose(m);
}

/* Reap whatever is done; returns 1 if `pid` was among them. */
static int reap(pid_t pid, int *status) {
  int found = 0, st;
  pid_t p;
  while ((p = waitpid(-1, &st, WNOHANG | __WALL)) > 0) {
    if (p == pid) {
      found = 1;
      *status = st;
    }
  }
  return found;
}

/* SIGKILL pid (or everyone: -1) and wait for it to be reaped; 0 if it was. */
static int kill_and_reap(pid_t pid) {
  kill(pid, SIGKILL);
  uint64_t until = now_ms() + KILL_GRACE_MS;
  struct timespec ms = { 0, 1000000 };
  for (;;) {
    int st;
    if (pid > 0) {
      if (reap(pid, &st)) return 0;
    } else {
      pid_t p = waitpid(-1, &st, WNOHANG | __WALL);
      if (p < 0 && errno == ECHILD) return 0;
      if (p > 0) continue;
    }
    if (now_ms() > until) return -1;
    nanosleep(&ms, NULL);
  }
}

int main(int argc, char **argv) {
  uint64_t calls = 1000;
  int sandboxed = 0;
  const char *scratch = "/scratch";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
    else if (!strcmp(argv[i], "--calls") && i + 1 < argc) calls = strtoull(argv[++i], NULL, 0);
    else if (!strcmp(argv[i], "--bait") && i + 1 < argc) bait = argv[++i];
    else if (!strcmp(argv[i], "--scratch") && i + 1 < argc) scratch = argv[++i];
    else if (!strcmp(argv[i], "--sandboxed")) sandboxed = 1;
    else {
      say("usage: fuzz --seed S --calls N [--bait DIR] [--scratch DIR] [--sandboxed]\n");
      return 2;
    }
  }
  if (getpid() != 1 && !sandboxed) {
    say("fuzz: refusing to run: not pid 1 (run it under umlts, or pass --sandboxed inside another sandbox)\n");
    return 2;
  }
  if (chdir(scratch) != 0) {
    say("fuzz: chdir %s: %s\n", scratch, strerror(errno));
    return 2;
  }
  snprintf(bait_paths[0], sizeof bait_paths[0], "%s/file", bait);
  snprintf(bait_paths[1], sizeof bait_paths[1], "%s/dir", bait);
  snprintf(bait_paths[2], sizeof bait_paths[2], "%s/dir/file", bait);
  snprintf(bait_paths[3], sizeof bait_paths[3], "%s/new", bait);
  snprintf(bait_paths[4], sizeof bait_paths[4], "%s", bait);
  snprintf(bait_paths[5], sizeof bait_paths[5], "%s/../fz-new", bait);
  memset(long_path, 'a', sizeof long_path - 1);
  for (size_t i = 64; i < sizeof long_path - 1; i += 64) long_path[i] = '/';
  memset(long_name, 'n', sizeof long_name - 1);
  make_scratch_files();

  shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return 2;
  /* the fork server takes no signal (it is init: only SIGKILL could end it, and nothing here sends that) */
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);

  uint64_t workers = 0, deaths = 0, stalls = 0, idle = 0;
  unsigned by_signal[NSIG] = { 0 };
  rng_t r = seeded(seed, 0x5e7, 0);
  int hang = 0;
  while (shared->calls < calls && !hang) {
    uint64_t before = shared->calls;
    unsigned budget = 100 + (unsigned)below(&r, 400);
    if (budget > calls - before) budget = (unsigned)(calls - before);
    uint64_t w = workers++;
    for (int i = 0; i < MAX_THREADS; i++) shared->last[i].nr = -1;
    pid_t pid = fork();
    if (pid < 0) {
      say("fuzz: fork: %s\n", strerror(errno));
      struct timespec ms = { 0, 10000000 };
      nanosleep(&ms, NULL);
      reap(-2, &(int){0});
      continue;
    }
    if (pid == 0) {
      sigprocmask(SIG_UNBLOCK, &all, NULL);
      worker(w, budget);
    }
    uint64_t seen = before, last_progress = now_ms();
    struct timespec poll_ms = { 0, 5000000 };
    for (;;) {
      int st;
      if (reap(pid, &st)) {
        if (WIFSIGNALED(st)) {
          deaths++;
          if (WTERMSIG(st) < NSIG) by_signal[WTERMSIG(st)]++;
        }
        break;
      }
      if (shared->calls != seen) {
        seen = shared->calls;
        last_progress = now_ms();
      } else if (now_ms() - last_progress > STALL_MS) {
        stalls++;
        say("fuzz: stall: worker %llu pid %d made no call for %d ms; in:", (unsigned long long)w, pid, STALL_MS);
        for (int i = 0; i < MAX_THREADS; i++) {
          long nr = shared->last[i].nr;
          if (nr < 0) continue;
          say(" [%d] %s(%ld)(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx)", i, name_of(nr), nr,
              (unsigned long long)shared->last[i].a[0], (unsigned long long)shared->last[i].a[1],
              (unsigned long long)shared->last[i].a[2], (unsigned long long)shared->last[i].a[3],
              (unsigned long long)shared->last[i].a[4], (unsigned long long)shared->last[i].a[5]);
        }
        say("\n");
        show_threads(pid);
        if (kill_and_reap(pid) != 0) {
          say("fuzz: HANG: worker %llu pid %d still there %d ms after SIGKILL\n", (unsigned long long)w, pid, KILL_GRACE_MS);
          hang = 1;
        }
        break;
      }
      nanosleep(&poll_ms, NULL);
    }
    idle = shared->calls == before ? idle + 1 : 0;
    if (idle >= 20) {
      say("fuzz: 20 workers in a row made no call; giving up\n");
      break;
    }
  }
  /* every process left (forked children, their orphans) goes */
  if (!hang && kill_and_reap(-1) != 0) {
    say("fuzz: HANG: processes still there %d ms after kill(-1, SIGKILL)\n", KILL_GRACE_MS);
    hang = 1;
  }
  say("fuzz: seed %llu calls %llu child-calls %llu workers %llu deaths %llu stalls %llu forks %llu\n",
      (unsigned long long)seed, (unsigned long long)shared->calls, (unsigned long long)shared->child_calls,
      (unsigned long long)workers, (unsigned long long)deaths, (unsigned long long)stalls,
      (unsigned long long)shared->forks);
  say("fuzz: worker deaths by signal:");
  for (int i = 1; i < NSIG; i++) if (by_signal[i]) say(" %s %u", signame(i), by_signal[i]);
  say("\n");
  return hang ? 3 : idle >= 20 ? 4 : 0;
}
