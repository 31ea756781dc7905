/**
 * System information: uname, sysinfo, getrandom, getcpu, getrusage, times.
 */
import { getRandomBytes } from '../fs/devfs.js';
import { Errno } from '../abi/errno.js';
import type { Task } from '../kernel/task.js';
import { Regs } from '../platform/regs.js';
import { A0, A1, A2 } from './types.js';
import { copyIn, copyOut, copyOutPartial, writeStruct, writeU32, writeRusage, NSEC_PER_SEC } from './uaccess.js';
import { RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD, TMS_SIZE, TMS_UTIME, TMS_CUTIME, USER_HZ } from '../abi/resource.js';
import { readClock, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID } from './time.js';
import { capable } from '../kernel/creds.js';
import { CAP_SYS_ADMIN } from '../abi/capability.js';
import { FSHIFT } from '../kernel/loadavg.js';

/** uname(2) */
export function sys_uname(t: Task, r: Regs): number {
  const u = new Uint8Array(65 * 6);
  const n = t.kernel.utsname();
  const fields = [n.sysname, n.nodename, n.release, n.version, n.machine, n.domainname];
  fields.forEach((f, i) => u.set(Buffer.from(f, 'latin1').subarray(0, 64), i * 65));
  copyOut(t, r.get(A0), u);
  return 0;
}

/** __NEW_UTS_LEN: the longest host or domain name */
const NEW_UTS_LEN = 64;

/** sethostname(2) / setdomainname(2): the guest's UTS names (never the host's); CAP_SYS_ADMIN's. */
function setUtsName(t: Task, r: Regs, field: 'nodename' | 'domainname'): number {
  if (!capable(t.creds, CAP_SYS_ADMIN)) return -Errno.EPERM;
  const len = r.getI32(A1);
  if (len < 0 || len > NEW_UTS_LEN) return -Errno.EINVAL;
  const name = copyIn(t, r.get(A0), len);
  // the bytes as given, up to a NUL (uname copies a C string)
  const z = name.indexOf(0);
  t.kernel.uts[field] = Buffer.from(z >= 0 ? name.subarray(0, z) : name).toString('latin1');
  return 0;
}

/** sethostname(2) */
export function sys_sethostname(t: Task, r: Regs): number {
  return setUtsName(t, r, 'nodename');
}

/** setdomainname(2) */
export function sys_setdomainname(t: Task, r: Regs): number {
  return setUtsName(t, r, 'domainname');
}

/** sysinfo(2): uptime, the load averages, the guest's memory, its tasks; no swap or high memory. */
export function sys_sysinfo(t: Task, r: Regs): number {
  const k = t.kernel, info = r.get(A0);
  const up = (process.hrtime.bigint() - k.bootNs) / NSEC_PER_SEC;
  const pm = k.physmem;
  // struct sysinfo
  writeStruct(t, info, 112, (dv) => {
    dv.setBigInt64(0, up, true); // uptime
    // loads[3]: avenrun in SI_LOAD_SHIFT (16) bits of fraction
    for (let i = 0; i < 3; i++) dv.setBigUint64(8 + i * 8, BigInt(k.load.avenrun[i]!) << BigInt(16 - FSHIFT), true);
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
  getRandomBytes(b);
  // (get_random_bytes_user: the bytes that reached the guest, EFAULT if none did)
  const n = copyOutPartial(t, buf, b);
  return n > 0 || b.length === 0 ? n : -Errno.EFAULT;
}

/** getcpu(2) */
export function sys_getcpu(t: Task, r: Regs): number {
  if (r.get(A0)) writeU32(t, r.get(A0), t.kernel.sched.cpuOf(t));
  if (r.get(A1)) writeU32(t, r.get(A1), 0);
  return 0;
}

/** getrusage(2): CPU time (the process's, the thread's, or that of the reaped children) and ru_maxrss. */
export function sys_getrusage(t: Task, r: Regs): number {
  const who = r.getI32(A0);
  if (who !== RUSAGE_SELF && who !== RUSAGE_CHILDREN && who !== RUSAGE_THREAD) return -Errno.EINVAL;
  const cpuNs = who === RUSAGE_CHILDREN ? BigInt(t.tg.cutimeNs)
    : readClock(t, who === RUSAGE_SELF ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_THREAD_CPUTIME_ID) ?? 0n;
  // ru_maxrss: the reaped children's peak, or the process's (its past images' and this one's so far)
  writeRusage(t, r.get(A1), cpuNs, who === RUSAGE_CHILDREN ? t.tg.cmaxrssKiB : Math.max(t.tg.maxrssKiB, t.mm.maxRss * 4));
  return 0;
}

/** times(2): the process's and its reaped children's CPU time in USER_HZ ticks (all of it user time, as
 * getrusage); returns the ticks since boot. */
export function sys_times(t: Task, r: Regs): number {
  const buf = r.get(A0);
  const tick = (ns: number | bigint): bigint => BigInt(ns) / (NSEC_PER_SEC / BigInt(USER_HZ));
  if (buf) {
    const self = tick(t.kernel.groupCpuNs(t.tg)), children = tick(t.tg.cutimeNs);
    writeStruct(t, buf, TMS_SIZE, (dv) => {
      dv.setBigInt64(TMS_UTIME, self, true);
      dv.setBigInt64(TMS_CUTIME, children, true);
    });
  }
  return Number(tick(process.hrtime.bigint() - t.kernel.bootNs));
}
