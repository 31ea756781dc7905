/* umlts's vDSO: the image every guest process gets at AT_SYSINFO_EHDR, so
 * that the C library reads the clocks without a trap, as it does on Linux
 * (arch/x86/entry/vdso). Freestanding, position independent, no data and
 * no relocations (the C library does not relocate a vDSO).
 *
 * The clocks come from the host's own vDSO, which each stub process keeps
 * at STUB_HOST_VDSO (layout.h; the stub moves it there at start-up): its
 * __vdso_clock_gettime reads the host's clock pages and makes no syscall
 * unless the host's clock source needs one, and then that syscall traps
 * like any other guest syscall. The kernel writes what this code needs in
 * the process's batch page (STUB_BATCH_VDSO: read-only in every guest
 * process, written by the kernel only): that function's address (0: none,
 * every call here traps) and the guest's wall-clock offset from the host's
 * (settimeofday in the guest). BOOTTIME is the host's MONOTONIC, as the
 * kernel's clock_gettime makes it. Every other clock, getcpu (the vCPU is
 * the kernel's to say), clock_getres and a gettimeofday asking for the
 * time zone are the real syscall, trapped and emulated.
 *
 * Nothing here is trusted by the kernel: it is guest code in a guest page,
 * and a guest that rewrites its copy only changes what it reads itself. */
#include "../stub/layout.h"

typedef unsigned long u64;
typedef long i64;
struct timespec_ { i64 sec, nsec; };
struct timeval_ { i64 sec, usec; };

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_TAI 11

#define PARAMS ((volatile const i64 *)(STUB_BATCH + STUB_BATCH_VDSO))

static inline i64 sys2(i64 nr, i64 a, i64 b) {
  i64 r;
  __asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
  return r;
}
static inline i64 sys3(i64 nr, i64 a, i64 b, i64 c) {
  i64 r;
  __asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

typedef i64 (*host_cgt)(i64, struct timespec_ *);

/* the host's clock: 0, or -1 if this clock must be the syscall */
static i64 host_clock(i64 clk, struct timespec_ *ts) {
  host_cgt f = (host_cgt)PARAMS[0];
  if (!f) return -1;
  i64 hclk;
  switch (clk) {
  case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE:
  case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case CLOCK_TAI:
    hclk = clk;
    break;
  case CLOCK_BOOTTIME:
    hclk = CLOCK_MONOTONIC;
    break;
  default:
    return -1;
  }
  if (f(hclk, ts) != 0) return -1;
  if (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE || clk == CLOCK_TAI) {
    i64 off = PARAMS[1];
    if (off) {
      i64 ns = ts->nsec + off % 1000000000L;
      i64 sec = ts->sec + off / 1000000000L;
      if (ns >= 1000000000L) { ns -= 1000000000L; sec++; }
      if (ns < 0) { ns += 1000000000L; sec--; }
      ts->sec = sec;
      ts->nsec = ns;
    }
  }
  return 0;
}

i64 __vdso_clock_gettime(i64 clk, struct timespec_ *ts) {
  if (host_clock(clk, ts) == 0) return 0;
  return sys2(228, clk, (i64)ts);
}

i64 __vdso_gettimeofday(struct timeval_ *tv, void *tz) {
  struct timespec_ ts;
  if (tz || !tv || host_clock(CLOCK_REALTIME, &ts) != 0) return sys2(96, (i64)tv, (i64)tz);
  tv->sec = ts.sec;
  tv->usec = ts.nsec / 1000;
  return 0;
}

i64 __vdso_time(i64 *t) {
  struct timespec_ ts;
  if (host_clock(CLOCK_REALTIME, &ts) != 0) return sys2(201, (i64)t, 0);
  if (t) *t = ts.sec;
  return ts.sec;
}

i64 __vdso_clock_getres(i64 clk, struct timespec_ *res) {
  return sys2(229, clk, (i64)res);
}

i64 __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused) {
  return sys3(309, (i64)cpu, (i64)node, (i64)unused);
}

/* the unversioned names the C library also looks for */
i64 clock_gettime(i64, struct timespec_ *) __attribute__((weak, alias("__vdso_clock_gettime")));
i64 gettimeofday(struct timeval_ *, void *) __attribute__((weak, alias("__vdso_gettimeofday")));
i64 time(i64 *) __attribute__((weak, alias("__vdso_time")));
i64 clock_getres(i64, struct timespec_ *) __attribute__((weak, alias("__vdso_clock_getres")));
i64 getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
