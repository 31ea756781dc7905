/**
 * System information: uname, sysinfo, getrandom, getcpu, getrusage.
 */
import { randomFillSync } from 'node:crypto';
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2 } from './types.js';
import { copyOut, writeStruct, writeU32, putTimeval, NSEC_PER_SEC } from './uaccess.js';
import { readClock, CLOCK_PROCESS_CPUTIME_ID } from './time.js';

/** uname(2) */
export function sys_uname(t: Task, r: Regs): number {
  const u = new Uint8Array(65 * 6);
  const { nodename, release } = t.kernel.opts.uname;
  const fields = ['Linux', nodename, release, '#1 SMP umlts', 'x86_64', '(none)'];
  fields.forEach((f, i) => u.set(Buffer.from(f, 'utf8').subarray(0, 64), i * 65));
  copyOut(t, r.get(A0), u);
  return 0;
}

/** sysinfo(2) */
export function sys_sysinfo(t: Task, r: Regs): number {
  const k = t.kernel, info = r.get(A0);
  const up = (process.hrtime.bigint() - k.bootNs) / NSEC_PER_SEC;
  const pm = k.physmem;
  // struct sysinfo
  writeStruct(t, info, 112, (dv) => {
    dv.setBigInt64(0, up, true); // uptime
    dv.setBigUint64(32, BigInt(pm.limit * 4096), true); // totalram
    dv.setBigUint64(40, BigInt((pm.limit - pm.used) * 4096), true); // freeram
    dv.setUint16(80, k.tasks.size, true); // procs
    dv.setUint32(104, 1, true); // mem_unit
  });
  return 0;
}

/** getrandom(2) */
export function sys_getrandom(t: Task, r: Regs): number {
  const buf = r.get(A0), len = Math.min(r.get(A1), 33554431), flags = r.getU32(A2);
  if (flags & ~7 || (flags & 2 && flags & 4)) return -Errno.EINVAL;
  const b = new Uint8Array(Math.min(len, 1 << 20));
  randomFillSync(b);
  copyOut(t, buf, b);
  return b.length;
}

/** getcpu(2) */
export function sys_getcpu(t: Task, r: Regs): number {
  if (r.get(A0)) writeU32(t, r.get(A0), t.kernel.sched.cpuOf(t));
  if (r.get(A1)) writeU32(t, r.get(A1), 0);
  return 0;
}

/** getrusage(2): CPU times from the host thread; other fields zero. */
export function sys_getrusage(t: Task, r: Regs): number {
  const who = r.getI32(A0);
  if (who !== 0 && who !== -1 && who !== 1) return -Errno.EINVAL;
  const usage = r.get(A1);
  const utime = who === -1 ? null : readClock(t, CLOCK_PROCESS_CPUTIME_ID);
  // struct rusage: ru_utime, ru_stime, ru_maxrss...
  writeStruct(t, usage, 144, (dv) => {
    if (who === -1) return;
    if (utime !== null) putTimeval(dv, 0, utime);
    dv.setBigInt64(32, BigInt(t.mm.rss * 4), true); // ru_maxrss (KiB), approximated by rss
  });
  return 0;
}
