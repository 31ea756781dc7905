/* Socket calls interrupted by signals (signal(7)): a blocked recv, accept,
 * connect-free send and recvmsg restart after an SA_RESTART handler and
 * fail with EINTR without one; with SO_RCVTIMEO set they fail with EINTR
 * even after SA_RESTART (sock_intr_errno). */
#define _GNU_SOURCE
#include "net.h"
#include <sys/time.h>
#include <netinet/in.h>

static volatile int alarms;
static void on_alarm(int s) { (void)s; alarms++; }

static void handler(int restart) {
  struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = restart ? SA_RESTART : 0 };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
}

/* arm a 50 ms alarm; a forked child writes after 200 ms so a restarted call completes */
static void tick(void) {
  struct itimerval it = { .it_value = { 0, 50000 } };
  setitimer(ITIMER_REAL, &it, NULL);
}

static void late_writer(int fd) {
  if (fork() == 0) {
    usleep(200000);
    if (write(fd, "x", 1) != 1) _exit(1);
    _exit(0);
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  for (int restart = 0; restart < 2; restart++) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    handler(restart);
    alarms = 0;
    late_writer(sv[1]);
    tick();
    char c;
    ssize_t r = recv(sv[0], &c, 1, 0);
    printf("recv, SA_RESTART %d: %s (alarms %d)\n", restart, r == 1 ? "1 byte" : errname(errno), alarms);
    wait(NULL);
    if (r != 1) recv(sv[0], &c, 1, 0); /* the late byte */

    /* with a receive timeout: EINTR whatever SA_RESTART says */
    struct timeval tv = { 5, 0 };
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    alarms = 0;
    late_writer(sv[1]);
    tick();
    r = recv(sv[0], &c, 1, 0);
    printf("recv with SO_RCVTIMEO, SA_RESTART %d: %s (alarms %d)\n", restart, r == 1 ? "1 byte" : errname(errno), alarms);
    wait(NULL);
    if (r != 1) recv(sv[0], &c, 1, 0);

    /* accept on a listener nobody connects to until later */
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    bind(l, (void *)&a, sizeof a);
    listen(l, 1);
    getsockname(l, (void *)&a, &al);
    if (fork() == 0) {
      usleep(200000);
      int s = socket(AF_INET, SOCK_STREAM, 0);
      _exit(connect(s, (void *)&a, sizeof a) ? 1 : 0);
    }
    alarms = 0;
    tick();
    int s = accept(l, NULL, NULL);
    printf("accept, SA_RESTART %d: %s (alarms %d)\n", restart, s >= 0 ? "a connection" : errname(errno), alarms);
    wait(NULL);
    if (s >= 0) close(s);
    close(l);
    close(sv[0]);
    close(sv[1]);
  }
  printf("done\n");
  return 0;
}
