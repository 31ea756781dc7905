/* System V IPC: shared memory (one segment seen by every attachment and
 * process, nattch, shmdt, IPC_RMID while attached, SHM_RDONLY, SHM_RND,
 * SHM_REMAP, permissions), semaphores (atomic semop, IPC_NOWAIT, blocking
 * with GETNCNT/GETZCNT, semtimedop, SEM_UNDO at exit, EIDRM and EINTR for
 * sleepers, SETVAL/SETALL/GETALL), message queues (types, MSG_EXCEPT,
 * MSG_COPY, MSG_NOERROR, full queues, blocking receivers, EIDRM), keys and
 * their get rules, IPC_STAT/IPC_SET/IPC_INFO, and the errors. Prints no
 * ids, times or pids (the host's IPC namespace is shared with everything
 * else on it). Output is compared with the host kernel's. */
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif
#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif

union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
};

/* keys of our own; removed at the end (and at the start, from a run that died) */
#define KEY1 0x756d6c01
#define KEY2 0x756d6c02
#define KEY3 0x756d6c03

static int child_status(pid_t c) {
  int st;
  waitpid(c, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void drop_user(void) {
  if (setgid(65534) < 0 || setuid(65534) < 0) _exit(99);
}

static void on_alarm(int sig) {
  (void)sig;
}

static void cleanup_keys(void) {
  int keys[] = {KEY1, KEY2, KEY3};
  for (int i = 0; i < 3; i++) {
    int id = shmget(keys[i], 0, 0);
    if (id >= 0) shmctl(id, IPC_RMID, NULL);
    id = semget(keys[i], 0, 0);
    if (id >= 0) semctl(id, 0, IPC_RMID);
    id = msgget(keys[i], 0);
    if (id >= 0) msgctl(id, IPC_RMID, NULL);
  }
}

static long nattch(int id) {
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) < 0) return -errno;
  return (long)ds.shm_nattch;
}

static void shm_tests(void) {
  say("== shm\n");
  int id = shmget(IPC_PRIVATE, 10000, 0600);
  say("shmget private: %s\n", res(id));
  struct shmid_ds ds;
  say("IPC_STAT: %s", res(shmctl(id, IPC_STAT, &ds)));
  say(" segsz %zu mode %o nattch %lu cpid is me %d uid %u key %d\n", ds.shm_segsz, ds.shm_perm.mode, (unsigned long)ds.shm_nattch,
      ds.shm_cpid == getpid(), ds.shm_perm.uid, ds.shm_perm.__key);
  char *a = shmat(id, NULL, 0);
  say("shmat: %s, page aligned %d\n", a == (void *)-1 ? errname(errno) : "OK", ((long)a & 4095) == 0);
  strcpy(a, "hello");
  strcpy(a + 9990, "end");
  char *b = shmat(id, NULL, SHM_RDONLY);
  say("second attach, read-only: %s, sees %s %s, nattch %ld\n", b == (void *)-1 ? errname(errno) : "OK", b, b + 9990, nattch(id));
  say("mprotect the read-only one writable: %s\n", res(mprotect(b, 4096, PROT_READ | PROT_WRITE)));
  pid_t c = fork();
  if (c == 0) {
    say("  child: nattch %ld\n", nattch(id));
    strcpy(a, "from the child");
    _exit(0);
  }
  child_status(c);
  say("after the child: %s, nattch %ld\n", b, nattch(id));
  c = fork();
  if (c == 0) {
    b[0] = 'x';
    _exit(0);
  }
  say("a write through the read-only attach: status %d\n", child_status(c));
  char maps[1 << 16];
  int mf = open("/proc/self/maps", 0);
  long n = read(mf, maps, sizeof maps - 1);
  close(mf);
  maps[n > 0 ? n : 0] = 0;
  say("/proc/self/maps names /SYSV00000000 (deleted): %d\n", strstr(maps, "/SYSV00000000 (deleted)") != NULL);
  say("shmdt: %s", res(shmdt(b)));
  say(", nattch %ld\n", nattch(id));
  say("shmdt again: %s\n", res(shmdt(b)));
  say("shmdt unaligned: %s\n", res(shmdt(a + 1)));
  say("shmdt of no segment: %s\n", res(shmdt((void *)0x10000000)));
  /* fixed addresses */
  char *hole = mmap(NULL, 5 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(hole, 5 * 4096);
  say("shmat unaligned: %s\n", shmat(id, hole + 100, 0) == (void *)-1 ? errname(errno) : "OK");
  char *r = shmat(id, hole + 100, SHM_RND);
  say("shmat SHM_RND: %s at the page: %d, sees %.5s\n", r == (void *)-1 ? errname(errno) : "OK", r == hole, r);
  say("shmat over it: %s\n", shmat(id, hole, 0) == (void *)-1 ? errname(errno) : "OK");
  char *r2 = shmat(id, hole, SHM_REMAP);
  say("shmat over it with SHM_REMAP: %s, nattch %ld\n", r2 == (void *)-1 ? errname(errno) : "OK", nattch(id));
  say("SHM_REMAP without an address: %s\n", shmat(id, NULL, SHM_REMAP) == (void *)-1 ? errname(errno) : "OK");
  say("shmat of a bad id: %s %s\n", shmat(-1, NULL, 0) == (void *)-1 ? errname(errno) : "OK",
      shmat(id + 1, NULL, 0) == (void *)-1 ? errname(errno) : "OK");
  shmdt(r2);
  /* removal while attached */
  say("IPC_RMID while attached: %s\n", res(shmctl(id, IPC_RMID, NULL)));
  shmctl(id, IPC_STAT, &ds);
  say("  mode has SHM_DEST: %d, nattch %lu\n", (ds.shm_perm.mode & SHM_DEST) != 0, (unsigned long)ds.shm_nattch);
  say("  still readable: %s\n", a);
  say("  shmdt the last: %s\n", res(shmdt(a)));
  say("  then IPC_STAT: %s\n", res(shmctl(id, IPC_STAT, &ds)));

  /* keys */
  int k = shmget(KEY1, 8192, IPC_CREAT | 0644);
  say("shmget key, create: %s\n", res(k));
  say("  again: same %d\n", shmget(KEY1, 8192, 0) == k);
  say("  smaller size: same %d\n", shmget(KEY1, 100, 0) == k);
  say("  larger size: %s\n", res(shmget(KEY1, 9000, 0)));
  say("  IPC_CREAT|IPC_EXCL: %s\n", res(shmget(KEY1, 8192, IPC_CREAT | IPC_EXCL | 0644)));
  say("  another key without IPC_CREAT: %s\n", res(shmget(KEY2, 8192, 0)));
  say("  size 0 with IPC_CREAT: %s\n", res(shmget(KEY2, 0, IPC_CREAT | 0600)));
  say("  SHMMAX + 1: %s\n", res(shmget(IPC_PRIVATE, (size_t)-1, 0600)));
  char *ka = shmat(k, NULL, 0);
  strcpy(ka, "by key");
  c = fork();
  if (c == 0) {
    drop_user();
    say("  unprivileged: shmget with no mode: same %d\n", shmget(KEY1, 0, 0) == k);
    say("  unprivileged: shmget asking rw: %s\n", res(shmget(KEY1, 0, 0600)));
    char *x = shmat(k, NULL, 0);
    say("  unprivileged: shmat rw: %s\n", x == (void *)-1 ? errname(errno) : "OK");
    x = shmat(k, NULL, SHM_RDONLY);
    say("  unprivileged: shmat read-only: %s, sees %s\n", x == (void *)-1 ? errname(errno) : "OK", x == (void *)-1 ? "" : x);
    struct shmid_ds d2;
    say("  unprivileged: IPC_STAT: %s\n", res(shmctl(k, IPC_STAT, &d2)));
    say("  unprivileged: IPC_RMID: %s\n", res(shmctl(k, IPC_RMID, NULL)));
    d2.shm_perm.mode = 0666;
    say("  unprivileged: IPC_SET: %s\n", res(shmctl(k, IPC_SET, &d2)));
    _exit(0);
  }
  child_status(c);
  shmctl(k, IPC_STAT, &ds);
  ds.shm_perm.mode = 0640;
  say("IPC_SET mode 0640: %s\n", res(shmctl(k, IPC_SET, &ds)));
  shmctl(k, IPC_STAT, &ds);
  say("  mode %o\n", ds.shm_perm.mode);
  say("SHM_LOCK: %s\n", res(shmctl(k, SHM_LOCK, NULL)));
  shmctl(k, IPC_STAT, &ds);
  say("  mode %o\n", ds.shm_perm.mode);
  shmctl(k, SHM_UNLOCK, NULL);
  struct shminfo si;
  say("IPC_INFO: %s", res(shmctl(0, IPC_INFO, (struct shmid_ds *)&si)));
  say(" shmmax %lu shmmin %lu shmmni %lu shmseg %lu shmall %lu\n", si.shmmax, si.shmmin, si.shmmni, si.shmseg, si.shmall);
  struct shm_info sinfo;
  say("SHM_INFO: %s\n", res(shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo)));
  say("bad command: %s\n", res(shmctl(k, 99, &ds)));
  say("IPC_STAT of a bad id: %s\n", res(shmctl(k + 1, IPC_STAT, &ds)));
  say("IPC_STAT to a bad buffer: %s\n", res(shmctl(k, IPC_STAT, (struct shmid_ds *)8)));
  shmdt(ka);
  say("IPC_RMID: %s\n", res(shmctl(k, IPC_RMID, NULL)));
  say("  the key is free: %s\n", res(shmget(KEY1, 0, 0)));
}

static int semval(int id, int n) {
  return semctl(id, n, GETVAL);
}

static void sem_tests(void) {
  say("== sem\n");
  int id = semget(IPC_PRIVATE, 3, 0600);
  say("semget: %s\n", res(id));
  struct semid_ds ds;
  union semun u = {.buf = &ds};
  say("IPC_STAT: %s", res(semctl(id, 0, IPC_STAT, u)));
  say(" nsems %lu mode %o\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode);
  say("GETVAL: %d\n", semval(id, 0));
  u.val = 5;
  say("SETVAL 5: %s\n", res(semctl(id, 0, SETVAL, u)));
  u.val = -1;
  say("SETVAL -1: %s\n", res(semctl(id, 0, SETVAL, u)));
  u.val = 32768;
  say("SETVAL 32768: %s\n", res(semctl(id, 0, SETVAL, u)));
  u.val = 1;
  say("SETVAL of semaphore 3: %s\n", res(semctl(id, 3, SETVAL, u)));
  unsigned short vals[3] = {1, 2, 3};
  u.array = vals;
  say("SETALL: %s\n", res(semctl(id, 0, SETALL, u)));
  unsigned short got[3] = {0};
  u.array = got;
  say("GETALL: %s", res(semctl(id, 0, GETALL, u)));
  say(" %d %d %d\n", got[0], got[1], got[2]);
  say("GETPID is me: %d\n", semctl(id, 0, GETPID) == getpid());
  struct sembuf ops[2] = {{0, -1, 0}, {1, 2, 0}};
  say("semop -1 +2: %s", res(semop(id, ops, 2)));
  say(", now %d %d\n", semval(id, 0), semval(id, 1));
  struct sembuf take2[1] = {{0, -2, IPC_NOWAIT}};
  say("take 2 of 0, IPC_NOWAIT: %s\n", res(semop(id, take2, 1)));
  struct sembuf zero[1] = {{1, 0, IPC_NOWAIT}};
  say("wait for zero on 4, IPC_NOWAIT: %s\n", res(semop(id, zero, 1)));
  struct sembuf atomic[2] = {{1, -1, IPC_NOWAIT}, {0, -5, IPC_NOWAIT}};
  say("all or nothing: %s", res(semop(id, atomic, 2)));
  say(", values %d %d\n", semval(id, 0), semval(id, 1));
  struct sembuf big[1] = {{2, 32767, 0}};
  say("past SEMVMX: %s\n", res(semop(id, big, 1)));
  struct sembuf bad[1] = {{3, 1, 0}};
  say("semaphore 3: %s\n", res(semop(id, bad, 1)));
  say("no operations: %s\n", res(semop(id, ops, 0)));
  struct sembuf many[501];
  memset(many, 0, sizeof many);
  say("501 operations: %s\n", res(semop(id, many, 501)));
  say("bad id: %s\n", res(semop(id + 1, ops, 1)));
  struct timespec ts = {0, 10000000};
  struct sembuf wait3[1] = {{2, -100, 0}};
  say("semtimedop that times out: %s\n", res(semtimedop(id, wait3, 1, &ts)));
  ts.tv_nsec = 1000000000;
  say("semtimedop with a bad timeout: %s\n", res(semtimedop(id, wait3, 1, &ts)));

  /* sleepers */
  u.val = 0;
  semctl(id, 2, SETVAL, u);
  pid_t c = fork();
  if (c == 0) {
    struct sembuf w[1] = {{2, -1, 0}};
    _exit(semop(id, w, 1) == 0 ? 0 : errno);
  }
  while (semctl(id, 2, GETNCNT) != 1) usleep(1000);
  say("a child waits: GETNCNT %d GETZCNT %d\n", semctl(id, 2, GETNCNT), semctl(id, 2, GETZCNT));
  u.val = 1;
  semctl(id, 2, SETVAL, u);
  say("  after SETVAL 1: child status %d", child_status(c));
  say(", value %d, GETPID is the child %d\n", semval(id, 2), semctl(id, 2, GETPID) == c);
  u.val = 1;
  semctl(id, 1, SETVAL, u);
  c = fork();
  if (c == 0) {
    struct sembuf w[1] = {{1, 0, 0}};
    _exit(semop(id, w, 1) == 0 ? 0 : errno);
  }
  while (semctl(id, 1, GETZCNT) != 1) usleep(1000);
  say("a child waits for zero: GETZCNT %d\n", semctl(id, 1, GETZCNT));
  struct sembuf dec[1] = {{1, -1, 0}};
  semop(id, dec, 1);
  say("  after the decrement: child status %d\n", child_status(c));

  /* SEM_UNDO */
  u.val = 3;
  semctl(id, 0, SETVAL, u);
  c = fork();
  if (c == 0) {
    struct sembuf o[2] = {{0, -2, SEM_UNDO}, {1, 4, SEM_UNDO}};
    _exit(semop(id, o, 2) == 0 ? 0 : errno);
  }
  say("SEM_UNDO in a child that exits: status %d", child_status(c));
  say(", values back %d %d\n", semval(id, 0), semval(id, 1));
  int pfd[2], qfd[2];
  (void)!pipe(pfd);
  (void)!pipe(qfd);
  c = fork();
  if (c == 0) {
    struct sembuf o[1] = {{0, 1, SEM_UNDO}};
    semop(id, o, 1);
    (void)!write(pfd[1], "x", 1);
    char x;
    (void)!read(qfd[0], &x, 1);
    _exit(0);
  }
  char x;
  (void)!read(pfd[0], &x, 1);
  say("  child added 1: %d\n", semval(id, 0));
  u.val = 0;
  semctl(id, 0, SETVAL, u);
  (void)!write(qfd[1], "x", 1);
  child_status(c);
  say("  SETVAL cleared its undo: %d\n", semval(id, 0));

  /* EINTR and EIDRM */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  ualarm(20000, 0);
  struct sembuf w[1] = {{2, -1, 0}};
  say("a signal ends a waiting semop, even with SA_RESTART: %s\n", res(semop(id, w, 1)));
  c = fork();
  if (c == 0) _exit(semop(id, w, 1) == 0 ? 0 : errno);
  while (semctl(id, 2, GETNCNT) != 1) usleep(1000);
  say("IPC_RMID with a sleeper: %s\n", res(semctl(id, 0, IPC_RMID)));
  say("  the sleeper: %s\n", errname(child_status(c)));
  say("  GETVAL after: %s\n", res(semctl(id, 0, GETVAL)));

  /* keys and info */
  int k = semget(KEY1, 2, IPC_CREAT | 0600);
  say("semget key: %s\n", res(k));
  say("  fewer: same %d, more: %s, 0: same %d\n", semget(KEY1, 1, 0) == k, res(semget(KEY1, 3, 0)), semget(KEY1, 0, 0) == k);
  say("  nsems -1: %s, 32001: %s, new with 0: %s\n", res(semget(KEY2, -1, IPC_CREAT | 0600)), res(semget(KEY2, 32001, IPC_CREAT | 0600)),
      res(semget(KEY2, 0, IPC_CREAT | 0600)));
  c = fork();
  if (c == 0) {
    drop_user();
    struct sembuf o[1] = {{0, 0, IPC_NOWAIT}};
    say("  unprivileged: semop %s", res(semop(k, o, 1)));
    say(", GETVAL %s", res(semctl(k, 0, GETVAL)));
    say(", IPC_RMID %s\n", res(semctl(k, 0, IPC_RMID)));
    _exit(0);
  }
  child_status(c);
  struct seminfo si;
  u.buf = (struct semid_ds *)&si;
  say("IPC_INFO: %s", res(semctl(0, 0, IPC_INFO, u)));
  say(" semmsl %d semopm %d semvmx %d semmni %d\n", si.semmsl, si.semopm, si.semvmx, si.semmni);
  say("bad command: %s\n", res(semctl(k, 0, 99)));
  semctl(k, 0, IPC_RMID);
}

struct msg {
  long type;
  char text[8192];
};

static void msg_tests(void) {
  say("== msg\n");
  int q = msgget(IPC_PRIVATE, 0600);
  say("msgget: %s\n", res(q));
  struct msg m;
  const char *texts[] = {"one", "two", "three", "uno"};
  long types[] = {1, 2, 3, 1};
  for (int i = 0; i < 4; i++) {
    m.type = types[i];
    strcpy(m.text, texts[i]);
    say("send %s: %s\n", texts[i], res(msgsnd(q, &m, strlen(texts[i]) + 1, 0)));
  }
  struct msqid_ds ds;
  msgctl(q, IPC_STAT, &ds);
  say("IPC_STAT: qnum %lu cbytes %lu qbytes %lu lspid is me %d\n", (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
      (unsigned long)ds.msg_qbytes, ds.msg_lspid == getpid());
  long n = msgrcv(q, &m, sizeof m.text, 0, MSG_COPY | IPC_NOWAIT);
  say("MSG_COPY 0: %ld %s type %ld\n", n, m.text, m.type);
  n = msgrcv(q, &m, sizeof m.text, 3, MSG_COPY | IPC_NOWAIT);
  say("MSG_COPY 3: %ld %s\n", n, m.text);
  say("MSG_COPY 4: %s\n", res(msgrcv(q, &m, sizeof m.text, 4, MSG_COPY | IPC_NOWAIT)));
  say("MSG_COPY without IPC_NOWAIT: %s\n", res(msgrcv(q, &m, sizeof m.text, 0, MSG_COPY)));
  say("MSG_COPY into 1 byte: %s\n", res(msgrcv(q, &m, 1, 0, MSG_COPY | IPC_NOWAIT)));
  say("MSG_COPY|MSG_NOERROR into 1 byte: %s\n", res(msgrcv(q, &m, 1, 0, MSG_COPY | MSG_NOERROR | IPC_NOWAIT)));
  n = msgrcv(q, &m, sizeof m.text, 2, 0);
  say("type 2: %ld %s\n", n, m.text);
  n = msgrcv(q, &m, sizeof m.text, 1, MSG_EXCEPT);
  say("not type 1: %ld %s\n", n, m.text);
  n = msgrcv(q, &m, sizeof m.text, -5, 0);
  say("lowest type up to 5: %ld %s type %ld\n", n, m.text, m.type);
  say("too small a buffer: %s\n", res(msgrcv(q, &m, 2, 0, 0)));
  n = msgrcv(q, &m, 2, 0, MSG_NOERROR);
  say("MSG_NOERROR: %ld %.2s\n", n, m.text);
  say("empty, IPC_NOWAIT: %s\n", res(msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT)));
  m.type = 0;
  say("send type 0: %s\n", res(msgsnd(q, &m, 1, 0)));
  m.type = 1;
  say("send 8193 bytes: %s\n", res(msgsnd(q, &m, 8193, 0)));
  say("send -1 bytes: %s\n", res(msgsnd(q, &m, (size_t)-1, 0)));
  memset(m.text, 'x', sizeof m.text);
  int sent = 0;
  while (msgsnd(q, &m, 8192, IPC_NOWAIT) == 0) sent++;
  say("8 KiB messages until full: %d, then %s\n", sent, errname(errno));
  pid_t c = fork();
  if (c == 0) {
    struct msg m2 = {2, "late"};
    _exit(msgsnd(q, &m2, 5, 0) == 0 ? 0 : errno);
  }
  usleep(20000);
  n = msgrcv(q, &m, sizeof m.text, 1, 0);
  say("a sender waits for room; a receive makes it: %ld, child status %d\n", n, child_status(c));
  n = msgrcv(q, &m, sizeof m.text, 2, 0);
  say("  its message: %ld %s\n", n, m.text);
  msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT);
  c = fork();
  if (c == 0) {
    struct msg m2;
    long k = msgrcv(q, &m2, sizeof m2.text, 7, 0);
    _exit(k == 6 && strcmp(m2.text, "seven") == 0 ? 0 : 1);
  }
  usleep(20000);
  m.type = 7;
  strcpy(m.text, "seven");
  msgsnd(q, &m, 6, 0);
  say("a receiver waits for type 7: child status %d\n", child_status(c));
  c = fork();
  if (c == 0) {
    struct msg m2;
    _exit(msgrcv(q, &m2, sizeof m2.text, 0, 0) >= 0 ? 0 : errno);
  }
  usleep(20000);
  msgctl(q, IPC_STAT, &ds);
  ds.msg_qbytes = 8000;
  say("IPC_SET qbytes 8000: %s", res(msgctl(q, IPC_SET, &ds)));
  msgctl(q, IPC_STAT, &ds);
  say(", now %lu\n", (unsigned long)ds.msg_qbytes);
  say("IPC_RMID with a receiver waiting: %s", res(msgctl(q, IPC_RMID, NULL)));
  say(", its status %s\n", errname(child_status(c)));
  say("then msgsnd: %s\n", res(msgsnd(q, &m, 1, 0)));

  int k = msgget(KEY3, IPC_CREAT | 0640);
  say("msgget key: %s, again same %d, EXCL %s\n", res(k), msgget(KEY3, 0) == k, res(msgget(KEY3, IPC_CREAT | IPC_EXCL)));
  c = fork();
  if (c == 0) {
    drop_user();
    struct msqid_ds d2;
    msgctl(k, IPC_STAT, &d2);
    say("  unprivileged: send %s", res(msgsnd(k, &m, 1, IPC_NOWAIT)));
    say(", IPC_STAT %s", res(msgctl(k, IPC_STAT, &d2)));
    d2.msg_qbytes = 100000;
    say(", IPC_SET %s\n", res(msgctl(k, IPC_SET, &d2)));
    _exit(0);
  }
  child_status(c);
  struct msginfo mi;
  say("IPC_INFO: %s", res(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi)));
  say(" msgmax %d msgmnb %d msgmni %d\n", mi.msgmax, mi.msgmnb, mi.msgmni);
  say("bad command: %s\n", res(msgctl(k, 99, &ds)));
  msgctl(k, IPC_RMID, NULL);
}

int main(void) {
  cleanup_keys();
  shm_tests();
  sem_tests();
  msg_tests();
  cleanup_keys();
  return 0;
}
