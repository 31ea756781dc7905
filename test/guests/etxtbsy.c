/* ETXTBSY: a program being run is not opened for writing or truncated, and
 * a file open for writing is not executed (i_writecount: deny_write_access,
 * get_write_access). The checks run in DIR (argv[1], default /tmp): a copy
 * of this program is run from there while the parent tries to write it.
 * Modes it runs itself: "hold FD" (say so on FD, then pause), "fork-hold
 * FD" (a forked child says its pid on FD and pauses; the exec'd process
 * exits), "script-hold FD" (a #! script's interpreter: as hold). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e) {
  switch (e) {
    case 0: return "ok";
    case ETXTBSY: return "ETXTBSY";
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    default: return strerror(e);
  }
}

/* open's answer: "ok" (the fd closed) or its errno's name */
static const char *try_open(const char *p, int flags) {
  int fd = open(p, flags);
  if (fd < 0) return ename(errno);
  close(fd);
  return "ok";
}

static void copy_self(const char *to) {
  int in = open("/proc/self/exe", O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  if (in < 0 || out < 0) { perror("copy"); exit(1); }
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) {
    if (write(out, buf, n) != n) { perror("write"); exit(1); }
  }
  close(in);
  close(out);
}

static long size_of(const char *p) {
  struct stat st;
  return stat(p, &st) < 0 ? -1 : (long)st.st_size;
}

/* run path with argv { path, mode, FD } ({ path, FD } without a mode: a script) and a pipe at FD: returns the
 * child's pid once it said it holds its program */
static pid_t run_holding(const char *path, const char *mode) {
  int p[2];
  if (pipe(p) < 0) { perror("pipe"); exit(1); }
  char fdarg[16];
  snprintf(fdarg, sizeof fdarg, "%d", p[1]);
  char *argv[] = { (char *)path, mode ? (char *)mode : fdarg, mode ? fdarg : NULL, NULL };
  pid_t c = fork();
  if (c == 0) {
    close(p[0]);
    execv(path, argv);
    _exit(100 + errno);
  }
  close(p[1]);
  char b;
  if (read(p[0], &b, 1) != 1) { printf("the child never said it runs\n"); exit(1); }
  close(p[0]);
  return c;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "hold") == 0) {
    if (write(atoi(argv[2]), "x", 1) != 1) return 1;
    for (;;) pause();
  }
  if (argc >= 3 && strcmp(argv[1], "fork-hold") == 0) {
    /* the forked child says its pid, then pauses; this process exits */
    if (fork() == 0) {
      pid_t me = getpid();
      if (write(atoi(argv[2]), &me, sizeof me) != sizeof me) _exit(1);
      for (;;) pause();
    }
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "script-hold") == 0) {
    /* a script's interpreter: argv = { interpreter, "script-hold", script, FD } */
    if (write(atoi(argv[3]), "x", 1) != 1) return 1;
    for (;;) pause();
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  char d[256], prog[300], prog2[300], script[300];
  snprintf(d, sizeof d, "%s/etxtbsy.%d", dir, (int)getpid());
  if (mkdir(d, 0755) < 0) { perror("mkdir"); return 1; }
  snprintf(prog, sizeof prog, "%s/prog", d);
  snprintf(prog2, sizeof prog2, "%s/prog2", d);
  snprintf(script, sizeof script, "%s/script", d);
  copy_self(prog);

  /* a running program: no writer, no truncate; readers and a rename are fine */
  pid_t c = run_holding(prog, "hold");
  long before = size_of(prog);
  printf("while it runs: open O_WRONLY %s, O_RDWR %s, O_RDWR|O_TRUNC %s, O_RDONLY %s\n", try_open(prog, O_WRONLY),
         try_open(prog, O_RDWR), try_open(prog, O_RDWR | O_TRUNC), try_open(prog, O_RDONLY));
  printf("  O_WRONLY|O_CREAT (existing) %s; O_RDONLY|O_TRUNC %s; truncate %s; its size kept: %s\n",
         try_open(prog, O_WRONLY | O_CREAT), try_open(prog, O_RDONLY | O_TRUNC), truncate(prog, 0) < 0 ? ename(errno) : "ok",
         size_of(prog) == before ? "yes" : "no");
  /* a second exec of the same program shares the denial; a writer still cannot come */
  pid_t c2 = run_holding(prog, "hold");
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  printf("one of two runs gone: open O_WRONLY %s\n", try_open(prog, O_WRONLY));
  kill(c2, SIGKILL);
  waitpid(c2, NULL, 0);
  printf("both gone: open O_WRONLY %s, truncate to its size %s\n", try_open(prog, O_WRONLY),
         truncate(prog, before) < 0 ? ename(errno) : "ok");

  /* a fork's copy runs the program too */
  int p[2];
  if (pipe(p) < 0) return 1;
  char fdarg[16];
  snprintf(fdarg, sizeof fdarg, "%d", p[1]);
  char *fh[] = { prog, "fork-hold", fdarg, NULL };
  pid_t mid = fork();
  if (mid == 0) {
    close(p[0]);
    execv(prog, fh);
    _exit(127);
  }
  close(p[1]);
  int st;
  waitpid(mid, &st, 0);
  pid_t grand = -1;
  if (read(p[0], &grand, sizeof grand) == sizeof grand)
    printf("its exec'd parent gone, the forked child runs: open O_WRONLY %s\n", try_open(prog, O_WRONLY));
  close(p[0]);
  /* (not this process's child to wait for: the program is free once its exit let go of it) */
  kill(grand, SIGKILL);
  const char *r = "ETXTBSY";
  for (int i = 0; i < 2000 && strcmp(r = try_open(prog, O_WRONLY), "ETXTBSY") == 0; i++) {
    struct timespec ts = { 0, 1000000 };
    nanosleep(&ts, NULL);
  }
  printf("it killed: open O_WRONLY %s\n", r);

  /* a file open for writing is not executed; closed, it is */
  int fd = open(prog2, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  int in = open(prog, O_RDONLY);
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) if (write(fd, buf, n) != n) return 1;
  close(in);
  pid_t e = fork();
  if (e == 0) {
    char *a[] = { prog2, "hold", "1", NULL };
    execv(prog2, a);
    _exit(100 + errno == 100 + ETXTBSY ? 3 : 4);
  }
  waitpid(e, &st, 0);
  printf("exec of a file open for writing: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 3 ? "ETXTBSY" : "ran");
  /* closing the writer frees it */
  close(fd);
  pid_t c3 = run_holding(prog2, "hold");
  printf("closed, it runs: open O_WRONLY %s\n", try_open(prog2, O_WRONLY));
  kill(c3, SIGKILL);
  waitpid(c3, NULL, 0);

  /* a #! script: the interpreter is the image that runs; the script itself stays writable */
  FILE *f = fopen(script, "w");
  fprintf(f, "#!%s script-hold\n", prog2);
  fclose(f);
  chmod(script, 0755);
  pid_t c4 = run_holding(script, NULL);
  printf("a script runs: the script O_WRONLY %s, its interpreter O_WRONLY %s\n", try_open(script, O_WRONLY),
         try_open(prog2, O_WRONLY));
  kill(c4, SIGKILL);
  waitpid(c4, NULL, 0);
  unlink(script);
  unlink(prog2);
  unlink(prog);
  rmdir(d);
  return 0;
}
