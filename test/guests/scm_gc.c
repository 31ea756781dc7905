/* The unix garbage collector (net/unix/garbage.c): sockets that only
 * messages in flight hold and nothing can reach (a pair each sent over
 * itself, then closed) are collected, many times over; a socket in flight
 * that a descriptor can still reach (queued on a socket the process keeps)
 * is not: received after all that, it still works. */
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int sendfds(int s, int *fds, int n) {
  char b = 1, cb[CMSG_SPACE(2 * sizeof(int))];
  struct iovec iov = { &b, 1 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(n * sizeof(int));
  memcpy(CMSG_DATA(c), fds, n * sizeof(int));
  return sendmsg(s, &m, 0) == 1 ? 0 : -1;
}

static int recvfd(int s) {
  char b, cb[CMSG_SPACE(sizeof(int))];
  struct iovec iov = { &b, 1 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof cb };
  if (recvmsg(s, &m, 0) != 1) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

int main(void) {
  int keep[2], inner[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, keep) || socketpair(AF_UNIX, SOCK_STREAM, 0, inner)) return 1;
  /* inner[0] in flight on keep's queue, its only reference */
  if (sendfds(keep[0], &inner[0], 1)) return 1;
  close(inner[0]);
  /* garbage: cycles of pairs sent over themselves (more files than a collection's trigger, several times) */
  int sent = 0;
  for (int i = 0; i < 30000; i++) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return 1;
    if (sendfds(sv[0], sv, 2) == 0 && sendfds(sv[1], sv, 2) == 0) sent += 4;
    close(sv[0]);
    close(sv[1]);
  }
  printf("files sent in cycles: %d\n", sent);
  /* what is left of the 60000 sockets made: /proc/net/unix lists every socket not yet freed */
  FILE *pf = fopen("/proc/net/unix", "r");
  int lines = 0, ch;
  while (pf && (ch = fgetc(pf)) != EOF) lines += ch == '\n';
  if (pf) fclose(pf);
  printf("sockets left of 60000: %s\n", lines < 20000 ? "fewer than 20000" : "20000 or more");
  /* a listener sent over a connection it has not accepted yet, then closed: only that connection's queue holds it,
   * and only the listener holds the connection (unix_gc's scan_children) */
  for (int i = 0; i < 20000; i++) {
    int l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "scm_gc_%d", i);
    socklen_t al = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a.sun_path + 1);
    if (bind(l, (struct sockaddr *)&a, al) || listen(l, 1) || connect(c, (struct sockaddr *)&a, al)) return 1;
    if (sendfds(c, &l, 1)) return 1;
    close(l);
    close(c);
  }
  pf = fopen("/proc/net/unix", "r");
  lines = 0;
  while (pf && (ch = fgetc(pf)) != EOF) lines += ch == '\n';
  if (pf) fclose(pf);
  printf("sockets left of 60000 more: %s\n", lines < 20000 ? "fewer than 20000" : "20000 or more");
  int got = recvfd(keep[1]);
  printf("the kept socket received: %s\n", got >= 0 ? "yes" : "no");
  char buf[8] = { 0 };
  if (write(inner[1], "alive", 5) != 5) return 1;
  printf("it reads: %zd \"%.5s\"\n", read(got, buf, sizeof buf), buf);
  return 0;
}
