/**
 * What /proc/<pid>/stat and status show of a process (fs/procfs.ts
 * ProcPidStat), read from the kernel's process table: the kernel's
 * ProcProvider answers pidStat(pid) with procPidStat(kernel, pid).
 *
 * CPU time is the host's: each guest thread is a host thread, so its
 * thread CPU clock is the time the guest ran (counted as user time; the
 * kernel's work for its syscalls is umlts's own).
 *
 * Ownership: stateless; reads the process table on the JS thread.
 */
import type { Kernel } from './kernel.js';
import type { ProcPidStat } from '../fs/procfs.js';
import { SIG_IGN, SIG_DFL } from './signal.js';

const mask = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** The process's (or, with tid, one of its threads') state for /proc. */
export function procPidStat(k: Kernel, pid: number, tid?: number): ProcPidStat | null {
  const tg = k.tgs.get(pid);
  if (!tg) return null;
  let live = tg.tasks.filter((t) => t.state !== 'zombie' && t.state !== 'dead');
  let lead = tg.tasks[0];
  const numThreads = Math.max(1, live.length);
  if (tid !== undefined) {
    // one thread: its own state, signals and CPU time (do_task_stat with whole = 0)
    const t = k.tasks.get(tid);
    if (!t || t.tg !== tg) return null;
    lead = t;
    live = t.state !== 'zombie' && t.state !== 'dead' ? [t] : [];
  }
  let state: ProcPidStat['state'] = 'S';
  if (tg.zombie || !lead) state = 'Z';
  else if (tg.stopSig) state = 'T';
  else if (lead.state === 'traced') state = 't';
  else if (live.some((t) => t.state === 'running' || t.state === 'runnable')) state = 'R';
  let cpu = tid === undefined ? tg.utimeNs : 0;
  for (const t of live) cpu += t.cpuNs();
  let vsize = 0, rss = 0, hwm = 0, locked = 0;
  if (lead && !tg.zombie) {
    vsize = lead.mm.totalVm;
    rss = lead.mm.rss;
    hwm = lead.mm.maxRss;
    locked = lead.mm.lockedBytes();
  }
  let ign = 0n, cgt = 0n;
  for (let s = 1; s <= 64; s++) {
    const a = tg.sigactions[s];
    if (!a || a.handler === SIG_DFL) continue;
    if (a.handler === SIG_IGN) ign |= 1n << BigInt(s - 1);
    else cgt |= 1n << BigInt(s - 1);
  }
  const c = lead?.creds;
  const { ttyNr, tpgid } = k.vfs.cttyOf(tg.sid);
  const startNs = (tg as unknown as { startNs?: bigint }).startNs;
  return {
    state, ppid: tg.ppid, tracerPid: lead?.ptrace?.tracer.tgid ?? 0, pgrp: tg.pgid, session: tg.sid, ttyNr, tpgid,
    utimeNs: cpu, stimeNs: 0, cutimeNs: tg.cutimeNs, cstimeNs: 0,
    numThreads,
    startNs: startNs !== undefined ? Number(startNs - k.bootNs) : 0,
    vsize, rss, hwm, locked,
    sigPnd: lead ? mask(lead.pending.lo, lead.pending.hi) : 0n,
    shdPnd: mask(tg.sharedPending.lo, tg.sharedPending.hi),
    sigBlk: lead ? mask(lead.sigmaskLo, lead.sigmaskHi) : 0n,
    sigIgn: ign, sigCgt: cgt,
    exitSignal: tg.exitSignal, processor: lead ? k.sched.cpuOf(lead) : 0,
    uids: c ? [c.uid, c.euid, c.suid, c.fsuid] : [0, 0, 0, 0],
    gids: c ? [c.gid, c.egid, c.sgid, c.fsgid] : [0, 0, 0, 0],
    groups: c ? [...c.groups] : [],
    umask: lead?.fs.umask ?? 0o022,
    fdSize: lead ? Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(1, ...lead.files.list().map((f) => f + 1))))) : 64,
    startBrk: lead?.mm.brkStart ?? 0, brk: lead?.mm.brk ?? 0,
    exitCode: tg.exitStatus ?? 0,
    caps: c ? [c.capInheritable, c.capPermitted, c.capEffective, c.capBset, c.capAmbient] : [0, 0, 0, 0, 0],
    noNewPrivs: lead?.noNewPrivs ?? false, seccompMode: lead?.seccompMode ?? 0,
    seccompFilters: lead?.seccompFilter?.depth ?? 0,
    nice: lead?.nice ?? 0, policy: lead?.policy ?? 0, rtPriority: lead?.rtPriority ?? 0,
  };
}

/** /proc/uptime: since the kernel booted; idle is the CPUs' time not spent running guest threads (approximately). */
export function procUptime(k: Kernel): { upNs: number; idleNs: number } {
  const upNs = Number(process.hrtime.bigint() - k.bootNs);
  let busy = 0;
  for (const tg of k.tgs.values()) {
    busy += tg.utimeNs;
    for (const t of tg.tasks) if (t.state !== 'zombie' && t.state !== 'dead') busy += t.cpuNs();
  }
  return { upNs, idleNs: Math.max(0, upNs * k.sched.ncpus - busy) };
}
