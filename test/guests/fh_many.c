/* Thousands of files open at once (issue 4): under umlts with a small host
 * fd budget (--max-host-fds, or a low host RLIMIT_NOFILE) every file is
 * closed and reopened behind the guest's back many times. Writes a distinct
 * pattern to each file in interleaved order, seeks, reads everything back
 * and verifies; the output must match a native run.
 * usage: fh_many DIR NFILES ROUNDS */
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

static int fds[20000];

/* byte k of round r's chunk of file i */
static unsigned char pat(int i, int r, int k) { return (unsigned char)(i * 7 + r * 13 + k * 3 + (i >> 8)); }
static int chunk_len(int i, int r) { return 16 + (i * 5 + r * 11) % 48; }

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  const char *dir = argv[1];
  int n = atoi(argv[2]), rounds = atoi(argv[3]);
  struct rlimit rl = {8192, 8192};
  if (setrlimit(RLIMIT_NOFILE, &rl) < 0) say("setrlimit: %s\n", errname(errno));
  char path[4096];
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/f%05d", dir, i);
    fds[i] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fds[i] < 0) {
      say("open %d: %s\n", i, errname(errno));
      return 1;
    }
  }
  say("opened %d files\n", n);
  /* interleaved appends: round by round, files in a scattered order */
  unsigned char buf[256];
  long total = 0;
  for (int r = 0; r < rounds; r++) {
    for (int j = 0; j < n; j++) {
      int i = (int)(((long)j * 7919 + r * 31) % n);
      int len = chunk_len(i, r);
      for (int k = 0; k < len; k++) buf[k] = pat(i, r, k);
      if (write(fds[i], buf, len) != len) {
        say("write %d round %d: %s\n", i, r, errname(errno));
        return 1;
      }
      total += len;
    }
  }
  say("wrote %ld bytes in %d rounds\n", total, rounds);
  /* positions survive reopens: SEEK_CUR must equal the file's length */
  int badpos = 0;
  for (int i = 0; i < n; i++) {
    long want = 0;
    for (int r = 0; r < rounds; r++) want += chunk_len(i, r);
    if (lseek(fds[i], 0, SEEK_CUR) != want || lseek(fds[i], 0, SEEK_END) != want) badpos++;
  }
  say("bad positions: %d\n", badpos);
  /* overwrite the middle of every third file at an explicit offset */
  for (int i = 0; i < n; i += 3) {
    if (pwrite(fds[i], "XYZ", 3, 5) != 3) say("pwrite %d: %s\n", i, errname(errno));
  }
  /* rewind half with lseek, read the rest with pread, in another order */
  long bad = 0, checked = 0;
  for (int j = n - 1; j >= 0; j--) {
    int i = (int)(((long)j * 104729) % n);
    long off = 0;
    int use_pread = i & 1;
    if (!use_pread && lseek(fds[i], 0, SEEK_SET) != 0) bad++;
    for (int r = 0; r < rounds; r++) {
      int len = chunk_len(i, r);
      int got = use_pread ? pread(fds[i], buf, len, off) : read(fds[i], buf, len);
      if (got != len) {
        bad++;
        break;
      }
      for (int k = 0; k < len; k++) {
        unsigned char want = pat(i, r, k);
        long at = off + k;
        if (i % 3 == 0 && at >= 5 && at < 8) want = "XYZ"[at - 5];
        if (buf[k] != want) bad++;
      }
      off += len;
      checked += len;
    }
  }
  say("verified %ld bytes, %ld bad\n", checked, bad);
  struct stat st;
  long sizes = 0;
  for (int i = 0; i < n; i++) {
    if (fstat(fds[i], &st) == 0) sizes += st.st_size;
  }
  say("sum of sizes %ld\n", sizes);
  for (int i = 0; i < n; i++) close(fds[i]);
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/f%05d", dir, i);
    if (stat(path, &st) < 0 || st.st_size == 0) bad++;
    unlink(path);
  }
  say("done, %ld bad\n", bad);
  return bad != 0;
}
