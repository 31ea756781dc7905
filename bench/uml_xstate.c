/* Preloaded into UML by the bench (LD_PRELOAD); it changes nothing on a host
 * whose XSAVE area is no larger than UML 6.1's buffer.
 *
 * Why: UML 6.1 gets and sets each of its threads' FPU state with
 * PTRACE_GETREGSET/SETREGSET NT_X86_XSTATE and an iovec of
 * sizeof(struct _xstate) (832 bytes: x87, SSE, AVX). Linux accepts a short get
 * but refuses a short set (arch/x86/kernel/fpu/regset.c, xstateregs_set:
 * count != fpu_user_cfg.max_size -> EFAULT), so on a host with AVX-512, AMX or
 * PKU UML's init dies at its first switch to user mode ("ptrace set fp regs
 * failed, errno = 14", then SIGABRT). Later UML sizes the buffer from the host;
 * this does the same for 6.1, so the bench can put UML beside umlts here.
 *
 * How: a short get fetches the whole area, keeps it (keyed by UML's buffer:
 * one per UML thread, stable for the thread's life) and gives UML its first
 * bytes; a short set writes the kept area with UML's bytes over its start, or,
 * for a buffer never fetched (a new thread's copy of its parent's), UML's bytes
 * with every component past them in its init state. Every other ptrace call
 * goes to libc's unchanged. UML calls ptrace from one thread. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef long (*ptrace_fn)(enum __ptrace_request, ...);

static ptrace_fn real;
static size_t whole; /* the host's XSAVE area for ptrace (0: not probed yet) */

#define SLOTS 8192 /* open addressing; more UML threads than this are never kept */
static struct kept { void *key; unsigned char *area; } kept[SLOTS];
static unsigned char *scratch;

static unsigned char *keptArea(void *key, int make) {
  size_t h = (size_t)(((uintptr_t)key >> 4) * 0x9E3779B97F4A7C15ull >> 51);
  for (size_t i = 0; i < SLOTS; i++) {
    struct kept *k = &kept[(h + i) & (SLOTS - 1)];
    if (k->key == key) return k->area;
    if (k->key == NULL) {
      if (!make || (k->area = malloc(whole)) == NULL) return NULL;
      k->key = key;
      return k->area;
    }
  }
  return NULL;
}

static void probe(pid_t pid) {
  unsigned char *buf = malloc(1 << 16);
  struct iovec iov = { buf, 1 << 16 };
  if (buf && real(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) == 0) {
    scratch = malloc(iov.iov_len);
    if (scratch) whole = iov.iov_len;
  }
  free(buf);
}

/* XSAVE header's XSTATE_BV (offset 512): components lying wholly past `len`
 * bytes of the standard format (CPUID 0xD: offset and size of each) go to
 * their init state */
static void initPast(unsigned char *area, size_t len) {
  uint64_t bv;
  memcpy(&bv, area + 512, 8);
  for (unsigned i = 2; i < 64; i++) {
    unsigned a, b, c, d;
    if (!(bv & (1ull << i)) || !__get_cpuid_count(0xd, i, &a, &b, &c, &d)) continue;
    if ((size_t)b + a > len) bv &= ~(1ull << i);
  }
  memcpy(area + 512, &bv, 8);
}

long ptrace(enum __ptrace_request req, ...) {
  va_list ap;
  va_start(ap, req);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  if (!real) real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
  if ((req == PTRACE_GETREGSET || req == PTRACE_SETREGSET) && (uintptr_t)addr == NT_X86_XSTATE && data) {
    struct iovec *iov = data;
    if (!whole) probe(pid);
    if (whole && iov->iov_len >= 576 && iov->iov_len < whole) {
      size_t len = iov->iov_len;
      unsigned char *area = keptArea(iov->iov_base, req == PTRACE_GETREGSET);
      struct iovec w = { area ? area : scratch, whole };
      if (req == PTRACE_GETREGSET) {
        long r = real(req, pid, addr, &w);
        if (r == 0) memcpy(iov->iov_base, w.iov_base, len);
        return r;
      }
      if (!area) {
        memset(scratch, 0, whole);
        memcpy(scratch, iov->iov_base, len);
        initPast(scratch, len);
      } else {
        memcpy(area, iov->iov_base, len);
      }
      return real(req, pid, addr, &w);
    }
  }
  return real(req, pid, addr, data);
}
