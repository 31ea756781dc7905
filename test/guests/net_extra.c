/* Sockets and processes, as CPython's test_socket, test_asyncio and
 * test_signal exercise them: a connected UDP socket's source address (glibc's
 * getaddrinfo sorts by it), UDP-Lite, IPv6 per-packet control messages
 * (RFC 3542), and pidfds. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
/* ---- anyconn ---- */
static void show_anyconn(int fd,const char*w){ struct sockaddr_in6 a={0}; socklen_t l=sizeof a; getsockname(fd,(void*)&a,&l); char b[64]; inet_ntop(AF_INET6,&a.sin6_addr,b,64);
  struct sockaddr_in6 p={0}; l=sizeof p; int r=getpeername(fd,(void*)&p,&l); char c[64]; inet_ntop(AF_INET6,&p.sin6_addr,c,64); printf("%s: local %s peer %s (%d)\n",w,b,r?"-":c,r);}
static void t_anyconn(void){
  int fd=socket(AF_INET6,SOCK_DGRAM,0); struct sockaddr_in6 s6={.sin6_family=AF_INET6,.sin6_port=htons(80)}; s6.sin6_addr=in6addr_any;
  int r=connect(fd,(void*)&s6,sizeof s6); printf("v6 connect(::) = %d %s\n",r,r?strerrorname_np(errno):""); show_anyconn(fd,"  after ::");
  struct sockaddr un={.sa_family=AF_UNSPEC}; connect(fd,&un,sizeof un);
  struct sockaddr_in s4={.sin_family=AF_INET,.sin_port=htons(80)}; s4.sin_addr.s_addr=0;
  r=connect(fd,(void*)&s4,sizeof s4); printf("v6 connect(AF_INET 0.0.0.0) = %d %s\n",r,r?strerrorname_np(errno):""); show_anyconn(fd,"  after 0.0.0.0");
}

/* ---- udpconn ---- */
static void t_udpconn(void){
  int fd=socket(AF_INET,SOCK_DGRAM,0);
  struct sockaddr_in s4={.sin_family=AF_INET,.sin_port=htons(80)}; s4.sin_addr.s_addr=htonl(0x7f000001);
  printf("v4 udp connect=%d\n",connect(fd,(void*)&s4,sizeof s4));
  struct sockaddr_in a; socklen_t l=sizeof a; getsockname(fd,(void*)&a,&l);
  printf("v4 getsockname: %s port!=0:%d\n",inet_ntoa(a.sin_addr),a.sin_port!=0);
  int f6=socket(AF_INET6,SOCK_DGRAM,0);
  struct sockaddr_in6 s6={.sin6_family=AF_INET6,.sin6_port=htons(80)}; s6.sin6_addr=in6addr_loopback;
  printf("v6 udp connect=%d\n",connect(f6,(void*)&s6,sizeof s6));
  struct sockaddr_in6 b; l=sizeof b; getsockname(f6,(void*)&b,&l); char t[64]; inet_ntop(AF_INET6,&b.sin6_addr,t,64);
  printf("v6 getsockname: %s port!=0:%d\n",t,b.sin6_port!=0);
  int t4=socket(AF_INET,SOCK_STREAM,0); int lfd=socket(AF_INET,SOCK_STREAM,0);
  struct sockaddr_in la={.sin_family=AF_INET}; la.sin_addr.s_addr=htonl(0x7f000001); bind(lfd,(void*)&la,sizeof la); listen(lfd,1);
  l=sizeof la; getsockname(lfd,(void*)&la,&l); connect(t4,(void*)&la,sizeof la);
  l=sizeof a; getsockname(t4,(void*)&a,&l); printf("tcp client getsockname: %s port!=0:%d\n",inet_ntoa(a.sin_addr),a.sin_port!=0);
}

/* ---- udplite ---- */
#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
static void t_udplite(void){
  for(int fam=AF_INET; fam<=AF_INET6; fam+=AF_INET6-AF_INET){
    int s=socket(fam,SOCK_DGRAM,IPPROTO_UDPLITE);
    printf("socket(%s, SOCK_DGRAM, IPPROTO_UDPLITE) ok: %d %s\n", fam==AF_INET?"AF_INET":"AF_INET6", s >= 0, s<0?strerrorname_np(errno):"");
    if(s<0) continue;
    int c=socket(fam,SOCK_DGRAM,IPPROTO_UDPLITE);
    struct sockaddr_storage a={0}; socklen_t l;
    if(fam==AF_INET){ struct sockaddr_in *i=(void*)&a; i->sin_family=AF_INET; i->sin_addr.s_addr=htonl(0x7f000001); l=sizeof *i; }
    else { struct sockaddr_in6 *i=(void*)&a; i->sin6_family=AF_INET6; i->sin6_addr=in6addr_loopback; l=sizeof *i; }
    bind(s,(void*)&a,l); getsockname(s,(void*)&a,&l);
    int cov=20; int r=setsockopt(c,IPPROTO_UDPLITE,10 /*UDPLITE_SEND_CSCOV*/,&cov,4); printf("  setsockopt(UDPLITE_SEND_CSCOV) = %d\n",r);
    int v; socklen_t vl=4; getsockopt(s,SOL_SOCKET,SO_PROTOCOL,&v,&vl); printf("  SO_PROTOCOL = %d\n",v);
    printf("  sendto = %zd\n", sendto(c,"hello",5,0,(void*)&a,l));
    char b[16]; printf("  recv = %zd\n", recv(s,b,sizeof b,0));
  }
}

/* ---- ip6anc ---- */
#define EX(x) ({long _r=(x); printf("%-60s = %ld %s\n", #x, _r, _r<0?strerrorname_np(errno):""); _r;})
static int snd6(int c, struct sockaddr_in6 *to, int tclass, int hop, int odd){
  char buf[256]; memset(buf,0,sizeof buf); struct msghdr m={0}; struct iovec v={"hello",5};
  m.msg_name=to; m.msg_namelen=sizeof *to; m.msg_iov=&v; m.msg_iovlen=1; m.msg_control=buf;
  size_t len=0; struct cmsghdr *h=(void*)buf;
  if(tclass>=0){ h->cmsg_level=IPPROTO_IPV6; h->cmsg_type=IPV6_TCLASS; h->cmsg_len=CMSG_LEN(4+odd); memcpy(CMSG_DATA(h),&tclass,4); len+=CMSG_SPACE(4+odd); h=(void*)(buf+len);}
  if(hop>=0){ h->cmsg_level=IPPROTO_IPV6; h->cmsg_type=IPV6_HOPLIMIT; h->cmsg_len=CMSG_LEN(4); memcpy(CMSG_DATA(h),&hop,4); len+=CMSG_SPACE(4);}
  m.msg_controllen=len; if(!len) m.msg_control=0;
  return sendmsg(c,&m,0);
}
static void rcv6(int s, int ctl){
  char d[64], cb[256]; struct msghdr m={0}; struct iovec v={d,sizeof d}; m.msg_iov=&v; m.msg_iovlen=1; m.msg_control=ctl?cb:0; m.msg_controllen=ctl;
  int n=recvmsg(s,&m,0); printf("  recvmsg(controllen=%d) = %d flags=%#x controllen=%zu:", ctl, n, m.msg_flags, m.msg_controllen);
  for(struct cmsghdr *h=ctl?CMSG_FIRSTHDR(&m):0;h;h=CMSG_NXTHDR(&m,h)){int x=0; if(h->cmsg_len>=CMSG_LEN(4)) memcpy(&x,CMSG_DATA(h),4); printf(" [lvl %d type %d len %zu val %d]",h->cmsg_level,h->cmsg_type,h->cmsg_len,x);}
  printf("\n");
}
static void t_ip6anc(void){
  int s=socket(AF_INET6,SOCK_DGRAM,0), c=socket(AF_INET6,SOCK_DGRAM,0);
  struct sockaddr_in6 a={.sin6_family=AF_INET6}; a.sin6_addr=in6addr_loopback; bind(s,(void*)&a,sizeof a); socklen_t l=sizeof a; getsockname(s,(void*)&a,&l);
  int one=1;
  EX(setsockopt(s,IPPROTO_IPV6,IPV6_RECVHOPLIMIT,&one,4));
  EX(setsockopt(s,IPPROTO_IPV6,IPV6_RECVTCLASS,&one,4));
  int v=0; l=4; EX(getsockopt(s,IPPROTO_IPV6,IPV6_RECVHOPLIMIT,&v,&l)); printf("  RECVHOPLIMIT=%d\n",v);
  l=4; EX(getsockopt(c,IPPROTO_IPV6,IPV6_TCLASS,&v,&l)); printf("  TCLASS=%d\n",v);
  EX(snd6(c,&a,-1,-1,0)); rcv6(s,256);
  EX(snd6(c,&a,-1,2,0)); rcv6(s,256);
  EX(snd6(c,&a,0x10,3,0)); rcv6(s,256);
  EX(snd6(c,&a,0x10,3,1)); 
  EX(snd6(c,&a,-1,-1,0)); rcv6(s,0);   /* no control buffer: MSG_CTRUNC */
  EX(snd6(c,&a,-1,-1,0)); rcv6(s,CMSG_LEN(0)); /* too short */
  int tc=0x20; EX(setsockopt(c,IPPROTO_IPV6,IPV6_TCLASS,&tc,4)); int hl=7; EX(setsockopt(c,IPPROTO_IPV6,IPV6_UNICAST_HOPS,&hl,4));
  EX(snd6(c,&a,-1,-1,0)); rcv6(s,256);
}

/* ---- pidfd ---- */
static volatile int got;
static void h_pidfd(int s){got=s;}
#define ER(r) ((r)<0?strerrorname_np(errno):"")
static void t_pidfd(void){
  signal(SIGUSR1,h_pidfd);
  /* test_signal.test_pidfd_send_signal */
  long r=syscall(SYS_pidfd_send_signal,0,SIGUSR1,NULL,0);
  printf("pidfd_send_signal(fd 0) = %ld %s (want EBADF)\n", r, ER(r));
  char p[64]; snprintf(p,sizeof p,"/proc/%d",getpid());
  int fd=open(p,O_DIRECTORY);
  r=syscall(SYS_pidfd_send_signal,fd,SIGUSR1,NULL,0);
  printf("pidfd_send_signal(open(\"/proc/self-pid\", O_DIRECTORY)) = %ld %s, handler got %d (want 0, 10)\n", r, ER(r), got);
  /* asyncio PidfdChildWatcher: pidfd_open(child), wait for POLLIN (epoll), then waitpid */
  int self=syscall(SYS_pidfd_open,getpid(),0);
  printf("pidfd_open(self) >= 0: %d %s\n", self >= 0, ER(self));
  pid_t c=fork(); if(!c){ usleep(200000); _exit(7); }
  int pfd=syscall(SYS_pidfd_open,c,0);
  printf("pidfd_open(child) >= 0: %d %s\n", pfd >= 0, ER(pfd));
  if(pfd>=0){
    struct pollfd q={pfd,POLLIN,0}; printf("poll before exit = %d\n", poll(&q,1,0));
    int ep=epoll_create1(0); struct epoll_event ev={.events=EPOLLIN}; epoll_ctl(ep,EPOLL_CTL_ADD,pfd,&ev);
    int n=epoll_wait(ep,&ev,1,2000); printf("epoll_wait = %d events=%#x (want 1, 0x1)\n", n, ev.events);
    r=syscall(SYS_pidfd_send_signal,pfd,0,NULL,0); printf("pidfd_send_signal(zombie child, 0) = %ld %s\n",r,ER(r));
  }
  int st; int w=waitpid(c,&st,0); printf("waitpid is the child: %d exit=%d\n", w == c, WEXITSTATUS(st));
}

int main(void){
  setvbuf(stdout, NULL, _IONBF, 0);
  t_anyconn(); t_udpconn(); t_udplite(); t_ip6anc(); t_pidfd();
  return 0;
}
