/**
 * syslog(2) (kernel/printk/printk.c do_syslog): the kernel's log
 * (kernel/printk.ts) for the guest's dmesg. As with kernel.dmesg_restrict
 * = 1 (Debian's default), every action needs CAP_SYSLOG (euid 0 here).
 * The console level is kept and reported nowhere: umlts's messages go to
 * its stderr whatever it says.
 */
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2 } from './types.js';
import { LOG_BUF_LEN } from '../kernel/printk.js';
import { copyOut } from './uaccess.js';
import { capable } from '../kernel/creds.js';
import { CAP_SYSLOG, CAP_SYS_ADMIN } from '../abi/capability.js';

const SYSLOG_ACTION_CLOSE = 0, SYSLOG_ACTION_OPEN = 1, SYSLOG_ACTION_READ = 2, SYSLOG_ACTION_READ_ALL = 3,
  SYSLOG_ACTION_READ_CLEAR = 4, SYSLOG_ACTION_CLEAR = 5, SYSLOG_ACTION_CONSOLE_OFF = 6, SYSLOG_ACTION_CONSOLE_ON = 7,
  SYSLOG_ACTION_CONSOLE_LEVEL = 8, SYSLOG_ACTION_SIZE_UNREAD = 9, SYSLOG_ACTION_SIZE_BUFFER = 10;

/** Copy a latin1 string to the guest. */
function put(t: Task, buf: number, text: string): number {
  if (text.length > 0) copyOut(t, buf, Buffer.from(text, 'latin1'));
  return text.length;
}

/** syslog(2), glibc's klogctl */
export function sys_syslog(t: Task, r: Regs): number {
  const type = r.getI32(A0), buf = r.get(A1), len = r.getI32(A2);
  const log = t.kernel.klog;
  // check_syslog_permissions: with dmesg_restrict, every action is CAP_SYSLOG's (even an unknown one)
  if (!capable(t.creds, CAP_SYSLOG) && !capable(t.creds, CAP_SYS_ADMIN)) return -Errno.EPERM;
  switch (type) {
    case SYSLOG_ACTION_CLOSE:
    case SYSLOG_ACTION_OPEN:
    case SYSLOG_ACTION_CONSOLE_OFF:
    case SYSLOG_ACTION_CONSOLE_ON:
      return 0;
    case SYSLOG_ACTION_READ: {
      if (buf === 0 || len < 0) return -Errno.EINVAL;
      if (len === 0) return 0;
      // waits for a record not read yet (syslog_print), as a read of a pipe
      if (log.syslogSeq >= log.endSeq) return t.sleepOn(log.waitq);
      const { text, next } = log.oldestFrom(log.syslogSeq, len);
      log.syslogSeq = next;
      return put(t, buf, text);
    }
    case SYSLOG_ACTION_READ_CLEAR:
    case SYSLOG_ACTION_READ_ALL: {
      if (buf === 0 || len < 0) return -Errno.EINVAL;
      if (len === 0) return 0;
      const n = put(t, buf, log.newestFrom(log.clearSeq, len));
      if (type === SYSLOG_ACTION_READ_CLEAR) log.clearSeq = log.endSeq;
      return n;
    }
    case SYSLOG_ACTION_CLEAR:
      log.clearSeq = log.endSeq;
      return 0;
    case SYSLOG_ACTION_CONSOLE_LEVEL:
      return len < 1 || len > 8 ? -Errno.EINVAL : 0;
    case SYSLOG_ACTION_SIZE_UNREAD:
      return log.bytesFrom(log.syslogSeq);
    case SYSLOG_ACTION_SIZE_BUFFER:
      return LOG_BUF_LEN;
    default:
      return -Errno.EINVAL;
  }
}
