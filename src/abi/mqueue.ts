/**
 * POSIX message queues' uapi and limits (include/uapi/linux/mqueue.h,
 * include/linux/ipc_namespace.h, ipc/mqueue.c). Written once.
 */

/** struct mq_attr: mq_flags, mq_maxmsg, mq_msgsize, mq_curmsgs (longs), then __reserved[4] */
export const MQ_ATTR_SIZE = 64;
export const MQ_ATTR_FLAGS = 0, MQ_ATTR_MAXMSG = 8, MQ_ATTR_MSGSIZE = 16, MQ_ATTR_CURMSGS = 24;

/** priorities are below this (linux/mqueue.h's MQ_PRIO_MAX) */
export const MQ_PRIO_MAX = 32768;
/** /proc/sys/fs/mqueue defaults (ipc_namespace.h DFLT_*) */
export const DFLT_QUEUESMAX = 256, DFLT_MSG = 10, DFLT_MSGMAX = 10, DFLT_MSGSIZE = 8192, DFLT_MSGSIZEMAX = 8192;
/** what CAP_SYS_RESOURCE may ask for at most (HARD_MSGMAX, HARD_MSGSIZEMAX) */
export const HARD_MSGMAX = 65536, HARD_MSGSIZEMAX = 16 * 1024 * 1024;
/** what each queue charges to RLIMIT_MSGQUEUE beyond its messages: sizeof(struct msg_msg) per message and
 * sizeof(struct posix_msg_tree_node) per possible priority in use (x86-64) */
export const MSG_MSG_SIZE = 48, POSIX_MSG_TREE_NODE_SIZE = 48;
/** the inode's i_size and the most read(2) of the queue's file gives (FILENT_SIZE) */
export const FILENT_SIZE = 80;

/** SIGEV_THREAD's cookie (sigev_value.sival_ptr points to this many bytes); its last byte says why it came */
export const NOTIFY_COOKIE_LEN = 32;
export const NOTIFY_NONE = 0, NOTIFY_WOKENUP = 1, NOTIFY_REMOVED = 2;
