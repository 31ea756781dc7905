/**
 * The socket ABI (include/linux/socket.h, uapi/linux/in.h, in6.h, tcp.h,
 * un.h, netlink.h): address families, socket types, levels, options,
 * message flags and the layouts of struct msghdr, cmsghdr, mmsghdr, ucred,
 * linger and the sockaddrs. Written once here; net/ and syscalls/ name them.
 */
import { FIONREAD } from './termios.js';

// ---- AF_VSOCK (uapi/linux/vm_sockets.h) ----
export const AF_VSOCK = 40;
/** IOCTL_VM_SOCKETS_GET_LOCAL_CID (_IO(7, 0xb9)) on /dev/vsock */
export const IOCTL_VM_SOCKETS_GET_LOCAL_CID = 0x7b9;
/** the CID umlts's guests have (loopback transport only; 1 is VMADDR_CID_LOCAL) */
export const VSOCK_GUEST_CID = 3;

// ---- families and types ----
export const AF_UNSPEC = 0, AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, AF_PACKET = 17;
/** AF_MAX: families at or past it are EAFNOSUPPORT without a lookup (include/linux/socket.h) */
export const AF_MAX = 46;
export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_RDM = 4, SOCK_SEQPACKET = 5, SOCK_PACKET = 10;
export const SOCK_TYPE_MASK = 0xf;
/** SOCK_NONBLOCK = O_NONBLOCK, SOCK_CLOEXEC = O_CLOEXEC */
export const SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;

// ---- protocols and option levels ----
export const IPPROTO_IP = 0, IPPROTO_ICMP = 1, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_IPV6 = 41, IPPROTO_ICMPV6 = 58, IPPROTO_RAW = 255;
export const SOL_SOCKET = 1, SOL_IP = 0, SOL_TCP = 6, SOL_UDP = 17, SOL_IPV6 = 41, SOL_NETLINK = 270;

// ---- SOL_SOCKET options (asm-generic/socket.h) ----
export const SO_DEBUG = 1, SO_REUSEADDR = 2, SO_TYPE = 3, SO_ERROR = 4, SO_DONTROUTE = 5, SO_BROADCAST = 6;
export const SO_SNDBUF = 7, SO_RCVBUF = 8, SO_KEEPALIVE = 9, SO_OOBINLINE = 10, SO_NO_CHECK = 11, SO_PRIORITY = 12;
export const SO_LINGER = 13, SO_BSDCOMPAT = 14, SO_REUSEPORT = 15, SO_PASSCRED = 16, SO_PEERCRED = 17;
export const SO_RCVLOWAT = 18, SO_SNDLOWAT = 19, SO_RCVTIMEO = 20, SO_SNDTIMEO = 21, SO_BINDTODEVICE = 25;
export const SO_TIMESTAMP = 29, SO_ACCEPTCONN = 30, SO_PEERSEC = 31, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
export const SO_PASSSEC = 34, SO_TIMESTAMPNS = 35, SO_MARK = 36, SO_PROTOCOL = 38, SO_DOMAIN = 39;
export const SO_RXQ_OVFL = 40, SO_PEEK_OFF = 42, SO_BUSY_POLL = 46, SO_INCOMING_CPU = 49, SO_COOKIE = 57;
export const SO_PEERGROUPS = 59, SO_ZEROCOPY = 60, SO_BINDTOIFINDEX = 62;
export const SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;
/** SCM_MAX_FD: the most fds one SCM_RIGHTS message carries */
export const SCM_MAX_FD = 253;

// ---- IPPROTO_TCP ----
export const TCP_NODELAY = 1, TCP_MAXSEG = 2, TCP_CORK = 3, TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6;
export const TCP_SYNCNT = 7, TCP_LINGER2 = 8, TCP_DEFER_ACCEPT = 9, TCP_WINDOW_CLAMP = 10, TCP_INFO = 11;
export const TCP_QUICKACK = 12, TCP_CONGESTION = 13, TCP_USER_TIMEOUT = 18, TCP_FASTOPEN = 23, TCP_NOTSENT_LOWAT = 25;
/** tcp_states.h: a TCP socket's state (TCP_INFO's tcpi_state, /proc/net/tcp's st; UDP's rows use two of them) */
export const TCP_ESTABLISHED = 1, TCP_SYN_SENT = 2, TCP_TIME_WAIT = 6, TCP_CLOSE = 7, TCP_LISTEN = 10;

// ---- IPPROTO_IP / IPPROTO_IPV6 ----
export const IP_TOS = 1, IP_TTL = 2, IP_HDRINCL = 3, IP_OPTIONS = 4, IP_RECVOPTS = 6, IP_PKTINFO = 8;
export const IP_MTU_DISCOVER = 10, IP_RECVERR = 11, IP_RECVTTL = 12, IP_RECVTOS = 13, IP_MTU = 14, IP_FREEBIND = 15;
export const IP_BIND_ADDRESS_NO_PORT = 24, IP_MULTICAST_IF = 32, IP_MULTICAST_TTL = 33, IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35, IP_DROP_MEMBERSHIP = 36;
export const IPV6_UNICAST_HOPS = 16, IPV6_MULTICAST_IF = 17, IPV6_MULTICAST_HOPS = 18, IPV6_MULTICAST_LOOP = 19;
export const IPV6_JOIN_GROUP = 20, IPV6_LEAVE_GROUP = 21, IPV6_RECVERR = 25, IPV6_V6ONLY = 26;
export const IPV6_RECVPKTINFO = 49, IPV6_PKTINFO = 50, IPV6_RECVHOPLIMIT = 51, IPV6_HOPLIMIT = 52;
export const IPV6_RECVTCLASS = 66, IPV6_TCLASS = 67;
/** UDP-Lite (RFC 3828): its protocol number, option level and checksum-coverage options */
export const IPPROTO_UDPLITE = 136, SOL_UDPLITE = 136, UDPLITE_SEND_CSCOV = 10, UDPLITE_RECV_CSCOV = 11;
/** struct in_pktinfo (ifindex, spec_dst, addr) and struct in6_pktinfo (addr, ifindex) */
export const IN_PKTINFO_SIZE = 12, IN6_PKTINFO_SIZE = 20;

// ---- message flags ----
export const MSG_OOB = 0x1, MSG_PEEK = 0x2, MSG_DONTROUTE = 0x4, MSG_CTRUNC = 0x8, MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40, MSG_EOR = 0x80, MSG_WAITALL = 0x100, MSG_CONFIRM = 0x800, MSG_ERRQUEUE = 0x2000;
export const MSG_NOSIGNAL = 0x4000, MSG_MORE = 0x8000, MSG_WAITFORONE = 0x10000, MSG_BATCH = 0x40000;
export const MSG_ZEROCOPY = 0x4000000, MSG_FASTOPEN = 0x20000000, MSG_CMSG_CLOEXEC = 0x40000000;

export const SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;
/** sk_shutdown bits */
export const RCV_SHUTDOWN = 1, SEND_SHUTDOWN = 2, SHUTDOWN_MASK = 3;

/** /proc/sys/net/core/somaxconn: listen()'s backlog is capped here */
export const SOMAXCONN = 4096;

// ---- struct layouts (x86-64) ----
/** struct msghdr: name, namelen, iov, iovlen, control, controllen, flags */
export const MSGHDR_SIZE = 56;
export const MSG_NAME = 0, MSG_NAMELEN = 8, MSG_IOV = 16, MSG_IOVLEN = 24, MSG_CONTROL = 32, MSG_CONTROLLEN = 40, MSG_FLAGS = 48;
/** struct mmsghdr: a msghdr and msg_len */
export const MMSGHDR_SIZE = 64, MMSG_LEN = 56;
/** struct cmsghdr: cmsg_len (size_t), cmsg_level, cmsg_type; data aligned to 8 */
export const CMSGHDR_SIZE = 16;
export const cmsgAlign = (n: number): number => (n + 7) & ~7;
export const cmsgSpace = (n: number): number => CMSGHDR_SIZE + cmsgAlign(n);
/** struct ucred { pid, uid, gid } */
export const UCRED_SIZE = 12;
/** struct linger { l_onoff, l_linger } */
export const LINGER_SIZE = 8;
/** sizeof(struct sockaddr_storage): the most a sockaddr argument may be (move_addr_to_kernel) */
export const SOCKADDR_MAX = 128;
/** struct sockaddr_un: sun_family and 108 bytes of sun_path */
export const SOCKADDR_UN_SIZE = 110, UNIX_PATH_MAX = 108;
/** struct sockaddr_in (16 bytes) and sockaddr_in6 (28; 24 was the RFC 2133 size, still accepted) */
export const SOCKADDR_IN_SIZE = 16, SOCKADDR_IN6_SIZE = 28, SIN6_LEN_RFC2133 = 24;
/** struct sockaddr_nl: family, pad, pid, groups */
export const SOCKADDR_NL_SIZE = 12;

// ---- socket ioctls (uapi/linux/sockios.h) ----
/** sockios.h: SIOCINQ is FIONREAD */
export const SIOCINQ = FIONREAD, SIOCOUTQ = 0x5411, SIOCATMARK = 0x8905, SIOCGSTAMP = 0x8906;
/** sockios.h: F_SETOWN's and F_GETOWN's ioctl forms (sockets only) */
export const FIOSETOWN = 0x8901, SIOCSPGRP = 0x8902, FIOGETOWN = 0x8903, SIOCGPGRP = 0x8904;
export const SIOCGIFNAME = 0x8910, SIOCGIFCONF = 0x8912, SIOCGIFFLAGS = 0x8913, SIOCGIFADDR = 0x8915;
export const SIOCGIFNETMASK = 0x891b, SIOCGIFMTU = 0x8921, SIOCGIFHWADDR = 0x8927, SIOCGIFINDEX = 0x8933;
export const SIOCGIFBRDADDR = 0x8919, SIOCGIFDSTADDR = 0x8917, SIOCGIFTXQLEN = 0x8942, SIOCETHTOOL = 0x8946;
/** struct ifreq: IFNAMSIZ name + a 24-byte union */
export const IFREQ_SIZE = 40, IFNAMSIZ = 16;
/** struct ifconf: ifc_len (int, padded) and the buffer pointer */
export const IFCONF_SIZE = 16;
export const IFF_UP = 0x1, IFF_BROADCAST = 0x2, IFF_LOOPBACK = 0x8, IFF_RUNNING = 0x40, IFF_MULTICAST = 0x1000;

// ---- netlink (uapi/linux/netlink.h, rtnetlink.h) ----
export const NETLINK_ROUTE = 0;
export const NLMSG_HDRLEN = 16;
export const NLM_F_REQUEST = 1, NLM_F_MULTI = 2, NLM_F_ACK = 4, NLM_F_ROOT = 0x100, NLM_F_MATCH = 0x200, NLM_F_DUMP = 0x300;
export const NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3;
export const RTM_NEWLINK = 16, RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_GETADDR = 22, RTM_NEWROUTE = 24, RTM_GETROUTE = 26;
export const nlmsgAlign = (n: number): number => (n + 3) & ~3;
