/* fchmodat2(2) (Linux 6.6): flags AT_SYMLINK_NOFOLLOW (a symlink has no mode: EOPNOTSUPP) and AT_EMPTY_PATH;
 * glibc's fchmodat with AT_SYMLINK_NOFOLLOW uses it. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
int main(){ char p[64]; sprintf(p,"/tmp/fc2.%d",getpid()); close(open(p,O_CREAT|O_WRONLY,0644)); char l[80]; sprintf(l,"%s.l",p); symlink(p,l);
 long r=syscall(452,AT_FDCWD,p,0600,0); struct stat st; stat(p,&st); printf("fchmodat2: %ld %s mode %o\n",r,r<0?strerror(errno):"",st.st_mode&0777);
 r=syscall(452,AT_FDCWD,l,0600,AT_SYMLINK_NOFOLLOW); printf("fchmodat2 nofollow symlink: %ld %s\n",r,r<0?strerror(errno):"");
 r=syscall(452,AT_FDCWD,l,0640,0); stat(p,&st); printf("fchmodat2 follow: %ld mode %o\n",r,st.st_mode&0777);
 r=syscall(452,AT_FDCWD,p,0600,0x8000); printf("bad flag: %ld %s\n",r,r<0?strerror(errno):"");
 int fd=open(p,O_RDONLY); r=syscall(452,fd,"",0604,AT_EMPTY_PATH); stat(p,&st); printf("empty path: %ld mode %o\n",r,st.st_mode&0777);
 r=fchmodat(AT_FDCWD,l,0600,AT_SYMLINK_NOFOLLOW); printf("glibc fchmodat nofollow: %ld %s\n",r,r<0?strerror(errno):"");
 unlink(l); unlink(p); return 0;}
