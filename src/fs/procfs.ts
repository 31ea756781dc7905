/**
 * procfs: /proc, generated from the kernel's state through ProcProvider
 * (fs cannot import the kernel). Files are produced whole when opened and
 * then read like regular files (seq_file); their st_size is 0, as Linux's.
 * /proc/<pid>/fd/N are magic links: following one gives the open file
 * itself, not its path (Linux's proc_fd_link / nd_jump_link).
 *
 * Ownership: ProcFs is immutable after construction, and so is every node
 * (made at mount or per lookup, its attributes fixed then); everything it shows comes
 * from the provider at the moment of the call.
 *
 * Missing: /proc/<pid>/environ, most of /proc/sys (kernel/'s UTS names only). Files are owned by root,
 * not by the process's euid. /proc/<pid>/stat and status need the
 * provider's pidStat; without it they show what the other methods give.
 */
import { readFileSync } from 'node:fs';
import { Errno } from '../abi/errno.js';
import { File } from './file.js';
import { DirEntry, Stat, S_IFDIR, S_IFLNK, S_IFREG, DT_DIR, DT_LNK, DT_REG } from './types.js';
import { BufferFile, FileSystem, Node, StatFs, PROC_SUPER_MAGIC, nowNs, FixedNode, SEEK_SET, SEEK_CUR } from './node.js';
import { SECCOMP_ACTIONS_AVAIL, SECCOMP_ACTIONS_LOGGED } from '../abi/seccomp.js';
import { CAP_FULL_SET } from '../abi/capability.js';
import { nameByteLength, PATH_MAX } from '../abi/names.js';

/**
 * What /proc shows, implemented by the kernel. Each per-process method
 * returns null when there is no such process (→ ENOENT). Called on the JS
 * thread during a syscall, so currentPid() is the caller's.
 */
export interface ProcProvider {
  /** tgid of the task whose syscall is running (/proc/self) */
  currentPid(): number;
  /** every live (and zombie) tgid, ascending */
  pids(): number[];
  /** /proc/<pid>/exe target: the executable's guest path */
  exe(pid: number): string | null;
  /** /proc/<pid>/cwd target */
  cwd(pid: number): string | null;
  /** /proc/<pid>/root target (chroot's; default '/') */
  root?(pid: number): string | null;
  /** the fd table of the process's leader (the Files behind /proc/<pid>/fd) */
  fds(pid: number): Map<number, File> | null;
  /** the process's effective uid and gid (task_dump_owner of a dumpable process: its /proc/<pid>/fd's owner);
   * default root */
  owner?(pid: number): [number, number] | null;
  /** /proc/<pid>/fdinfo/<fd> text (null: no such fd); default: no fdinfo directory entries */
  fdinfo?(pid: number, fd: number): string | null;
  /** argv as NUL-terminated strings back to back */
  cmdline(pid: number): Uint8Array | null;
  /** the auxiliary vector the process's image started with (u64 pairs, AT_NULL last) */
  auxv?(pid: number): Uint8Array | null;
  /** /proc/<pid>/mem for the caller: access to the process's memory (mm_access: EACCES unless the caller may
   * ptrace it), -ENOENT when it has none */
  mem?(pid: number): ProcMem | number;
  /** the thread name (without newline) */
  comm(pid: number): string | null;
  /** comm_write: thread tid of process pid takes name (at most 15 bytes, up to a NUL) if the writer is of its
   * process; 0 or -errno */
  setComm?(pid: number, tid: number, name: Uint8Array): number;
  /** /proc/<pid>/maps text */
  maps(pid: number): string | null;
  /** CPUs the guest sees */
  ncpus(): number;
  meminfo(): { totalKiB: number; freeKiB: number };
  /** /proc/<pid>/stat and status: the process's state (null: no such process);
   * with tid, one thread's (/proc/<pid>/task/<tid>) */
  pidStat?(pid: number, tid?: number): ProcPidStat | null;
  /** the live threads of a process, ascending (/proc/<pid>/task); default: the process alone */
  tids?(pid: number): number[] | null;
  /** one thread's name (default: the process's) */
  threadComm?(pid: number, tid: number): string | null;
  /** /proc/uptime: ns since boot, and idle ns summed over the CPUs (default: since mount, idle 0) */
  uptime?(): { upNs: number; idleNs: number };
  /** /proc/net/<name> generators (tcp, udp, unix, dev...): the guest's own sockets (default: none) */
  netFiles?(): Readonly<Record<string, () => string>>;
  /** the UTS names (/proc/sys/kernel's ostype, osrelease, version, hostname, domainname; default: no /proc/sys) */
  uts?(): UtsName;
  /** /proc/loadavg: the 1, 5 and 15 minute load averages (default: 0) */
  loadavg?(): [number, number, number];
  /** /proc/locks: every file lock, a line each (default: no /proc/locks) */
  locks?(): string;
}

/** struct new_utsname (uname(2)) */
export interface UtsName {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}

/** One process as /proc/<pid>/stat and status show it (fs/proc/array.c do_task_stat). */
export interface ProcPidStat {
  /** R (running or runnable), S (sleeping), T (stopped), Z (zombie) */
  state: 'R' | 'S' | 'D' | 'T' | 't' | 'Z' | 'X';
  ppid: number;
  /** the tracing process (ptrace), 0 for none */
  tracerPid?: number;
  pgrp: number;
  session: number;
  /** controlling terminal: its device number as stat's tty_nr encodes it (0: none), its foreground group (-1: none) */
  ttyNr: number;
  tpgid: number;
  minflt?: number;
  majflt?: number;
  /** CPU time of the process's threads and of its reaped children, ns */
  utimeNs: number;
  stimeNs: number;
  cutimeNs?: number;
  cstimeNs?: number;
  numThreads: number;
  /** when the process started, ns after boot */
  startNs: number;
  /** mapped bytes, resident pages */
  vsize: number;
  rss: number;
  /** the resident set's peak in this image (VmHWM), pages */
  hwm: number;
  /** bytes of locked mappings (VmLck; optional: 0) */
  locked?: number;
  /** signal sets as 64-bit masks (bit sig-1): pending for the thread, pending for the process, blocked, ignored, caught */
  sigPnd: bigint;
  shdPnd: bigint;
  sigBlk: bigint;
  sigIgn: bigint;
  sigCgt: bigint;
  exitSignal: number;
  /** the CPU it last ran on */
  processor: number;
  /** real, effective, saved, filesystem */
  uids: [number, number, number, number];
  gids: [number, number, number, number];
  groups: number[];
  umask: number;
  /** capability sets: inheritable, permitted, effective, bounding, ambient (default: none, a full bounding set) */
  caps?: readonly [number, number, number, number, number];
  /** prctl(PR_SET_NO_NEW_PRIVS), the seccomp mode and how many filters its chain has */
  noNewPrivs?: boolean;
  seccompMode?: number;
  seccompFilters?: number;
  /** fds allocated (FDSize) */
  fdSize?: number;
  startBrk?: number;
  brk?: number;
  /** wait status of a zombie (exit_code) */
  exitCode?: number;
  /** scheduling: nice value, policy (SCHED_*), real-time priority */
  nice?: number;
  policy?: number;
  rtPriority?: number;
}

/** stateless encoder, shared; immutable */
const enc = new TextEncoder();

export class ProcFs extends FileSystem {
  /** type and root: immutable */
  readonly type = 'proc';
  readonly root: ProcRoot;
  /** mount time: the times of every node; immutable */
  readonly bootNs = nowNs();
  /** the host's first /proc/cpuinfo block, the template for each guest CPU: read at the first read of the
   * guest's (a VM's /proc/cpuinfo is slow to make, and most guests never ask); guarded by the JS thread */
  private cpuTemplateText: string | null = null;

  constructor(
    /** st_dev; immutable */
    readonly dev: number,
    /** the kernel's side; immutable */
    readonly provider: ProcProvider,
    /** /proc/mounts text; immutable */
    readonly mountsText: () => string,
    /** /proc/PID/mountinfo text; immutable */
    readonly mountinfoText: () => string,
    /** /proc/umlts/<name>: umlts's own counters (the filehandle layer's), generated per open; immutable */
    readonly umlts: Readonly<Record<string, () => string>> = {},
  ) {
    super();
    this.root = new ProcRoot(this);
  }
  private get cpuTemplate(): string {
    if (this.cpuTemplateText === null) {
      let tmpl = 'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: umlts virtual CPU\n';
      try {
        tmpl = readFileSync('/proc/cpuinfo', 'latin1').split('\n\n')[0]! + '\n';
      } catch {
        // no host /proc: the minimal template above
      }
      this.cpuTemplateText = tmpl;
    }
    return this.cpuTemplateText;
  }
  statfs(): StatFs {
    return {
      type: PROC_SUPER_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: 0,
      namelen: 255, frsize: 4096, flags: 0,
    };
  }
  attrs(ino: number, mode: number, nlink = 1): Stat {
    return {
      dev: this.dev, ino, mode, nlink, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 1024, blocks: 0,
      atimeNs: this.bootNs, mtimeNs: this.bootNs, ctimeNs: this.bootNs,
    };
  }
  cpuinfo(): string {
    const n = this.provider.ncpus();
    let out = '';
    for (let i = 0; i < n; i++) {
      out += this.cpuTemplate
        .replace(/^processor\s*:.*$/m, `processor\t: ${i}`)
        .replace(/^siblings\s*:.*$/m, `siblings\t: ${n}`)
        .replace(/^core id\s*:.*$/m, `core id\t\t: ${i}`)
        .replace(/^cpu cores\s*:.*$/m, `cpu cores\t: ${n}`)
        .replace(/^apicid\s*:.*$/m, `apicid\t\t: ${i}`)
        .replace(/^initial apicid\s*:.*$/m, `initial apicid\t: ${i}`);
      out += '\n';
    }
    return out;
  }
  meminfo(): string {
    const m = this.provider.meminfo();
    const line = (k: string, v: number): string => `${(k + ':').padEnd(16)}${String(v).padStart(8)} kB\n`;
    return line('MemTotal', m.totalKiB) + line('MemFree', m.freeKiB) + line('MemAvailable', m.freeKiB) +
      line('Buffers', 0) + line('Cached', 0) + line('SwapCached', 0) + line('SwapTotal', 0) + line('SwapFree', 0) +
      line('Shmem', 0);
  }

  /** /proc/uptime: "up idle" in seconds with two decimals. */
  uptime(): string {
    const u = this.provider.uptime?.() ?? { upNs: Number(nowNs() - this.bootNs), idleNs: 0 };
    const c = (ns: number): string => (Math.max(0, Math.floor(ns / 1e7)) / 100).toFixed(2);
    return `${c(u.upNs)} ${c(u.idleNs)}\n`;
  }

  /** /proc/loadavg: three averages, running/total tasks, the last pid. */
  loadavg(): string {
    const p = this.provider;
    const pids = p.pids();
    let running = 0, threads = 0;
    for (const pid of pids) {
      const st = p.pidStat?.(pid);
      threads += st?.numThreads ?? 1;
      if (st ? st.state === 'R' : pid === p.currentPid()) running++;
    }
    const [a, b, c] = p.loadavg?.() ?? [0, 0, 0];
    return `${a.toFixed(2)} ${b.toFixed(2)} ${c.toFixed(2)} ${Math.max(1, running)}/${threads} ${pids.length ? Math.max(...pids) : 0}\n`;
  }

  /** /proc/stat: CPU times (only the running total is known), boot time, process counts. */
  stat(): string {
    const p = this.provider, n = p.ncpus();
    const up = p.uptime?.() ?? { upNs: Number(nowNs() - this.bootNs), idleNs: 0 };
    let user = 0, sys = 0, running = 0;
    for (const pid of p.pids()) {
      const st = p.pidStat?.(pid);
      if (!st) continue;
      user += st.utimeNs;
      sys += st.stimeNs;
      if (st.state === 'R') running++;
    }
    const tick = (ns: number): number => Math.floor(ns / 1e7);
    const idle = tick(up.idleNs);
    const cpu = (name: string, u: number, s: number, i: number): string => `${name} ${u} 0 ${s} ${i} 0 0 0 0 0 0\n`;
    let out = cpu('cpu ', tick(user), tick(sys), idle);
    for (let i = 0; i < n; i++) out += cpu(`cpu${i}`, Math.floor(tick(user) / n), Math.floor(tick(sys) / n), Math.floor(idle / n));
    const btime = Math.floor(Date.now() / 1000 - up.upNs / 1e9);
    return out + `intr 0\nctxt 0\nbtime ${btime}\nprocesses ${p.pids().length}\nprocs_running ${Math.max(1, running)}\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n`;
  }

  /** The provider's pidStat, or what the other methods tell (the kernel has not added it yet). */
  private pidStat(pid: number, tid?: number): ProcPidStat | null {
    const p = this.provider;
    if (p.pidStat) return p.pidStat(pid, tid);
    if (p.comm(pid) === null) return null;
    return {
      state: pid === p.currentPid() ? 'R' : 'S', ppid: 0, pgrp: pid, session: pid, ttyNr: 0, tpgid: -1,
      utimeNs: 0, stimeNs: 0, numThreads: 1, startNs: 0, vsize: 0, rss: 0, hwm: 0,
      sigPnd: 0n, shdPnd: 0n, sigBlk: 0n, sigIgn: 0n, sigCgt: 0n, exitSignal: 17, processor: 0,
      uids: [0, 0, 0, 0], gids: [0, 0, 0, 0], groups: [], umask: 0o022,
    };
  }

  /** the name /proc/<pid>[/task/<tid>] shows */
  private commOf(pid: number, tid?: number): string | null {
    const p = this.provider;
    return tid !== undefined && p.threadComm ? p.threadComm(pid, tid) : p.comm(pid);
  }

  /** /proc/<pid>/stat (and task/<tid>/stat): the 52 fields of proc(5) (fs/proc/array.c do_task_stat). */
  pidStatText(pid: number, tid?: number): string | null {
    const st = this.pidStat(pid, tid);
    const comm = this.commOf(pid, tid);
    if (!st || comm === null) return null;
    const tick = (ns: number): number => Math.floor(ns / 1e7); // USER_HZ = 100
    const sig = (m: bigint): number => Number(m & 0x7fffffffn);
    const zombie = st.state === 'Z' || st.state === 'X';
    const f: Array<number | string> = [
      tid ?? pid, `(${comm})`, st.state, st.ppid, st.pgrp, st.session, st.ttyNr, st.tpgid,
      0x400000, // flags: PF_RANDOMIZE
      st.minflt ?? 0, 0, st.majflt ?? 0, 0,
      tick(st.utimeNs), tick(st.stimeNs), tick(st.cutimeNs ?? 0), tick(st.cstimeNs ?? 0),
      // priority (task_prio: -1 - rt_priority for real-time tasks, 20 + nice otherwise), nice
      st.rtPriority ? -1 - st.rtPriority : 20 + (st.nice ?? 0), st.nice ?? 0,
      st.numThreads, 0, tick(st.startNs),
      zombie ? 0 : st.vsize, zombie ? 0 : st.rss, '18446744073709551615',
      0, 0, 0, 0, 0, // startcode, endcode, startstack, kstkesp, kstkeip (hidden, as for an unprivileged reader)
      sig(st.sigPnd | st.shdPnd), sig(st.sigBlk), sig(st.sigIgn), sig(st.sigCgt),
      0, 0, 0, // wchan, nswap, cnswap
      st.exitSignal, st.processor, st.rtPriority ?? 0, st.policy ?? 0, 0, 0, 0, // rt_priority, policy, delayacct_blkio_ticks, guest_time, cguest_time
      0, 0, st.startBrk ?? 0, 0, 0, 0, 0, // start_data, end_data, start_brk, arg_start, arg_end, env_start, env_end
      st.exitCode ?? 0,
    ];
    return f.join(' ') + '\n';
  }

  /** /proc/<pid>/status (and task/<tid>/status) (fs/proc/array.c proc_pid_status). */
  pidStatusText(pid: number, tid?: number): string | null {
    const st = this.pidStat(pid, tid);
    const comm = this.commOf(pid, tid);
    if (!st || comm === null) return null;
    const states: Record<string, string> = {
      R: 'R (running)', S: 'S (sleeping)', D: 'D (disk sleep)', T: 'T (stopped)', t: 't (tracing stop)', Z: 'Z (zombie)', X: 'X (dead)',
    };
    const hex = (m: bigint): string => m.toString(16).padStart(16, '0');
    const kb = (name: string, v: number): string => `${name}:\t${String(v).padStart(8)} kB\n`;
    const n = this.provider.ncpus();
    const zombie = st.state === 'Z' || st.state === 'X';
    const vmKiB = zombie ? 0 : Math.floor(st.vsize / 1024), rssKiB = zombie ? 0 : st.rss * 4, hwmKiB = zombie ? 0 : st.hwm * 4;
    let s = `Name:\t${comm}\nUmask:\t${st.umask.toString(8).padStart(4, '0')}\nState:\t${states[st.state]}\n` +
      `Tgid:\t${pid}\nNgid:\t0\nPid:\t${tid ?? pid}\nPPid:\t${st.ppid}\nTracerPid:\t${st.tracerPid ?? 0}\n` +
      `Uid:\t${st.uids.join('\t')}\nGid:\t${st.gids.join('\t')}\nFDSize:\t${st.fdSize ?? 64}\n` +
      `Groups:\t${st.groups.join(' ')} \nNStgid:\t${pid}\nNSpid:\t${tid ?? pid}\nNSpgid:\t${st.pgrp}\nNSsid:\t${st.session}\n`;
    if (!zombie) {
      s += kb('VmPeak', vmKiB) + kb('VmSize', vmKiB) + kb('VmLck', Math.floor((st.locked ?? 0) / 1024)) + kb('VmPin', 0) + kb('VmHWM', hwmKiB) + kb('VmRSS', rssKiB) +
        kb('RssAnon', rssKiB) + kb('RssFile', 0) + kb('RssShmem', 0) + kb('VmData', 0) + kb('VmStk', 132) + kb('VmExe', 0) +
        kb('VmLib', 0) + kb('VmPTE', 0) + kb('VmSwap', 0) + kb('HugetlbPages', 0) + 'CoreDumping:\t0\nTHP_enabled:\t1\n';
    }
    const cap = (v: number): string => v.toString(16).padStart(16, '0');
    const caps = st.caps ?? [0, 0, 0, CAP_FULL_SET, 0];
    s += `Threads:\t${st.numThreads}\nSigQ:\t0/63304\nSigPnd:\t${hex(st.sigPnd)}\nShdPnd:\t${hex(st.shdPnd)}\n` +
      `SigBlk:\t${hex(st.sigBlk)}\nSigIgn:\t${hex(st.sigIgn)}\nSigCgt:\t${hex(st.sigCgt)}\n` +
      `CapInh:\t${cap(caps[0])}\nCapPrm:\t${cap(caps[1])}\nCapEff:\t${cap(caps[2])}\nCapBnd:\t${cap(caps[3])}\nCapAmb:\t${cap(caps[4])}\n` +
      `NoNewPrivs:\t${st.noNewPrivs ? 1 : 0}\nSeccomp:\t${st.seccompMode ?? 0}\nSeccomp_filters:\t${st.seccompFilters ?? 0}\n` +
      `Cpus_allowed:\t${(n >= 53 ? 'f'.repeat(Math.ceil(n / 4)) : ((2 ** n) - 1).toString(16))}\nCpus_allowed_list:\t${n > 1 ? `0-${n - 1}` : '0'}\n` +
      `Mems_allowed:\t1\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n`;
    return s;
  }
}

/** Inode numbers: fixed ones for the root's files, pid * 64 + k above them for per-process nodes. */
const INO_ROOT = 1, INO_SELF = 2, INO_CPUINFO = 3, INO_MEMINFO = 4, INO_MOUNTS = 5, INO_FILESYSTEMS = 6, INO_UPTIME = 7,
  INO_LOADAVG = 8, INO_STAT = 9, INO_LOCKS = 10, INO_SYS = 32, INO_SYS_KERNEL = 33, INO_UMLTS = 64, INO_NET = 96;
const pidIno = (pid: number, k: number): number => 4096 + pid * 64 + k;
const fdIno = (pid: number, fd: number): number => 0x40000000 + pid * 65536 + fd;
const fdinfoIno = (pid: number, fd: number): number => 0x80000000 + pid * 65536 + fd;

/**
 * A file of a proc_dir_entry (proc_create: /proc's own files, /proc/net):
 * proc_reg_mmap says EIO when the entry has no mmap. The per-process files
 * (pid_entry) have no mmap at all: ENODEV.
 */
class PdeFile extends BufferFile {
  override get mmapErrno(): number {
    return -Errno.EIO;
  }
  override seek(off: number, whence: number): number {
    return seqLseek(this, off, whence);
  }
}

/** A per-process generated file (a seq_file too). */
class ProcSeqFile extends BufferFile {
  override seek(off: number, whence: number): number {
    return seqLseek(this, off, whence);
  }
}

/** seq_lseek: only SEEK_SET and SEEK_CUR, to any offset not below 0 (SEEK_END, SEEK_DATA, SEEK_HOLE: EINVAL). */
function seqLseek(f: File, off: number, whence: number): number {
  const p = whence === SEEK_SET ? off : whence === SEEK_CUR ? f.pos + off : -1;
  if (p < 0) return -Errno.EINVAL;
  f.pos = p;
  return p;
}

/** /proc/<pid>/comm and task/<tid>/comm: the name to read, and a write from the thread's own process renames it
 * (comm_write: the count written is the answer, whatever of it fits). */
class CommNode extends FixedNode {
  protected readonly st: Stat;
  constructor(readonly fs: ProcFs, ino: number, private readonly pid: number, private readonly tid: number | undefined) {
    super();
    this.st = fs.attrs(ino, S_IFREG | 0o644);
  }
  override open(flags: number, path: string): File | number {
    const p = this.fs.provider, pid = this.pid, tid = this.tid;
    const c = tid !== undefined && p.threadComm ? p.threadComm(pid, tid) : p.comm(pid);
    if (c === null) return -Errno.ENOENT;
    return new CommFile(flags, path, enc.encode(c + '\n'), this.st, (name) => p.setComm?.(pid, tid ?? pid, name) ?? -Errno.EINVAL);
  }
}
class CommFile extends ProcSeqFile {
  constructor(flags: number, path: string, data: Uint8Array, st: Stat, private readonly rename: (name: Uint8Array) => number) {
    super(flags, path, data, st);
  }
  override write(buf: Uint8Array, _pos: number | null): number {
    const r = this.rename(buf.subarray(0, Math.min(buf.length, 15)));
    return r < 0 ? r : buf.length;
  }
}

/** A process's memory as /proc/<pid>/mem reaches it (mem_rw): bytes moved at addr, or -EIO if none could be. */
export interface ProcMem {
  read(addr: number, buf: Uint8Array): number;
  write(addr: number, buf: Uint8Array): number;
}

/** /proc/<pid>/mem: the file position is the address. */
class MemFile extends File {
  constructor(flags: number, path: string, private readonly mem: ProcMem, private readonly st: Stat) {
    super(flags, path);
  }
  override read(buf: Uint8Array, pos: number | null): number {
    const n = this.mem.read(pos ?? this.pos, buf);
    if (n > 0 && pos === null) this.pos += n;
    return n;
  }
  override write(buf: Uint8Array, pos: number | null): number {
    const n = this.mem.write(pos ?? this.pos, buf);
    if (n > 0 && pos === null) this.pos += n;
    return n;
  }
  // mem_lseek: SEEK_SET and SEEK_CUR to any address
  override seek(off: number, whence: number): number {
    return seqLseek(this, off, whence);
  }
  override stat(): Stat {
    return { ...this.st };
  }
}

class MemNode extends FixedNode {
  protected readonly st: Stat;
  constructor(readonly fs: ProcFs, ino: number, private readonly pid: number) {
    super();
    this.st = fs.attrs(ino, S_IFREG | 0o600);
  }
  override open(flags: number, path: string): File | number {
    const m = this.fs.provider.mem?.(this.pid) ?? -Errno.ENOENT;
    if (typeof m === 'number') return m;
    return new MemFile(flags, path, m, this.st);
  }
}

/** A generated file; pde: one of /proc's own entries rather than a per-process one. */
class GenNode extends FixedNode {
  protected readonly st: Stat;
  constructor(readonly fs: ProcFs, ino: number, private readonly gen: () => Uint8Array | string | null, private readonly pde = false) {
    super();
    this.st = fs.attrs(ino, S_IFREG | 0o444);
  }
  override open(flags: number, path: string): File | number {
    if ((flags & 3) !== 0) return -Errno.EACCES;
    const c = this.gen();
    if (c === null) return -Errno.ENOENT;
    return new (this.pde ? PdeFile : ProcSeqFile)(flags, path, typeof c === 'string' ? enc.encode(c) : c, this.st);
  }
}

class LinkNode extends FixedNode {
  protected readonly st: Stat;
  constructor(
    readonly fs: ProcFs,
    ino: number,
    private readonly target: () => string | null,
    private readonly file: (() => File | null) | null = null,
    perm = 0o777,
    /** exe, cwd, root: magic links Linux jumps through, which umlts follows by their path */
    private readonly jumps = false,
  ) {
    super();
    this.st = fs.attrs(ino, S_IFLNK | perm);
    if (file) this.st.size = 64; // what Linux shows for fd links
  }
  override readlink(): string | number {
    const t = this.target();
    if (t === null || t === undefined) return -Errno.ENOENT;
    // a magic link's path is d_path's, built in one PATH_MAX page: a longer one does not fit (do_proc_readlink)
    if (this.isMagicLink && t.length >= PATH_MAX / 4 && nameByteLength(t) >= PATH_MAX) return -Errno.ENAMETOOLONG;
    return t;
  }
  override magic(): File | null | number {
    if (!this.file) return null;
    return this.file() ?? -Errno.ENOENT;
  }
  override get isMagicLink(): boolean {
    return this.jumps || this.file !== null;
  }
}

/** A directory whose entries are computed per call. */
abstract class DirNode extends FixedNode {
  protected readonly st: Stat;
  constructor(readonly fs: ProcFs, ino: number, perm: number) {
    super();
    this.st = fs.attrs(ino, S_IFDIR | perm, 2);
  }
  protected override dirOp(): number {
    return -Errno.EACCES;
  }
}

class ProcRoot extends DirNode {
  private readonly fixed: Map<string, Node>;
  constructor(fs: ProcFs) {
    super(fs, INO_ROOT, 0o555);
    const p = fs.provider;
    this.fixed = new Map<string, Node>([
      ['self', new LinkNode(fs, INO_SELF, () => String(p.currentPid()))],
      ['cpuinfo', new GenNode(fs, INO_CPUINFO, () => fs.cpuinfo(), true)],
      ['meminfo', new GenNode(fs, INO_MEMINFO, () => fs.meminfo(), true)],
      ['mounts', new LinkNode(fs, INO_MOUNTS, () => 'self/mounts')],
      ['filesystems', new GenNode(fs, INO_FILESYSTEMS, () => 'nodev\ttmpfs\nnodev\tdevtmpfs\nnodev\tproc\nnodev\thostfs\n', true)],
      ['uptime', new GenNode(fs, INO_UPTIME, () => fs.uptime(), true)],
      ['loadavg', new GenNode(fs, INO_LOADAVG, () => fs.loadavg(), true)],
      ['stat', new GenNode(fs, INO_STAT, () => fs.stat(), true)],
      ['umlts', new UmltsDir(fs)],
      ['net', new NetDir(fs)],
    ]);
    if (p.uts) this.fixed.set('sys', new SysDir(fs, p.uts.bind(p)));
    if (p.locks) this.fixed.set('locks', new GenNode(fs, INO_LOCKS, p.locks.bind(p), true));
  }
  override lookup(name: string): Node | number {
    const f = this.fixed.get(name);
    if (f) return f;
    if (/^[1-9][0-9]{0,9}$/.test(name)) {
      const pid = Number(name);
      if (this.fs.provider.comm(pid) !== null) return new PidDir(this.fs, pid);
    }
    return -Errno.ENOENT;
  }
  override readdir(): DirEntry[] {
    const r: DirEntry[] = [];
    for (const [name, n] of this.fixed) r.push({ ino: n.peek().ino, type: n.isDir ? DT_DIR : n.isLink ? DT_LNK : DT_REG, name });
    for (const pid of this.fs.provider.pids()) r.push({ ino: pidIno(pid, 0), type: DT_DIR, name: String(pid) });
    return r;
  }
}

/** A directory of fixed entries. */
class FixedDir extends DirNode {
  constructor(fs: ProcFs, ino: number, private readonly entries: Map<string, Node>) {
    super(fs, ino, 0o555);
  }
  override lookup(name: string): Node | number {
    return this.entries.get(name) ?? -Errno.ENOENT;
  }
  override readdir(): DirEntry[] {
    return [...this.entries].map(([name, n]) => ({ ino: n.peek().ino, type: n.isDir ? DT_DIR : DT_REG, name }));
  }
}

/**
 * /proc/sys: of the sysctls, kernel/'s UTS names (kernel/utsname_sysctl.c), what uname(2) says. Read-only here:
 * hostname and domainname are sethostname's and setdomainname's to change (Linux lets root write them).
 */
class SysDir extends FixedDir {
  constructor(fs: ProcFs, uts: () => UtsName) {
    const names: [string, keyof UtsName][] = [
      ['ostype', 'sysname'], ['osrelease', 'release'], ['version', 'version'], ['hostname', 'nodename'], ['domainname', 'domainname'],
    ];
    // proc_sys_read: the value and a newline, a fresh read each open
    const kernel = new Map<string, Node>(names.map(([file, field], i) => [file, new GenNode(fs, INO_SYS_KERNEL + 1 + i, () => uts()[field] + '\n', true)]));
    // the guest's own seccomp (kernel/seccomp.ts): what libseccomp and container tools read
    kernel.set('seccomp', new FixedDir(fs, INO_SYS_KERNEL + 10, new Map<string, Node>([
      ['actions_avail', new GenNode(fs, INO_SYS_KERNEL + 11, () => SECCOMP_ACTIONS_AVAIL + '\n', true)],
      ['actions_logged', new GenNode(fs, INO_SYS_KERNEL + 12, () => SECCOMP_ACTIONS_LOGGED + '\n', true)],
    ])));
    super(fs, INO_SYS, new Map([['kernel', new FixedDir(fs, INO_SYS_KERNEL, kernel)]]));
  }
}

/** /proc/umlts: umlts's own state (not in Linux), e.g. /proc/umlts/filehandles. */
class UmltsDir extends DirNode {
  private readonly entries: Map<string, Node>;
  constructor(fs: ProcFs) {
    super(fs, INO_UMLTS, 0o555);
    this.entries = new Map(Object.entries(fs.umlts).map(([name, gen], i) => [name, new GenNode(fs, INO_UMLTS + 1 + i, gen, true)]));
  }
  override lookup(name: string): Node | number {
    return this.entries.get(name) ?? -Errno.ENOENT;
  }
  override readdir(): DirEntry[] {
    return [...this.entries].map(([name, n]) => ({ ino: n.peek().ino, type: DT_REG, name }));
  }
}

/** /proc/net (Linux: a link to self/net; one network namespace here, so a directory). */
class NetDir extends DirNode {
  constructor(fs: ProcFs) {
    super(fs, INO_NET, 0o555);
  }
  private files(): [string, () => string][] {
    return Object.entries(this.fs.provider.netFiles?.() ?? {});
  }
  override lookup(name: string): Node | number {
    const i = this.files().findIndex(([n]) => n === name);
    if (i < 0) return -Errno.ENOENT;
    return new GenNode(this.fs, INO_NET + 1 + i, this.files()[i]![1], true);
  }
  override readdir(): DirEntry[] {
    return this.files().map(([name], i) => ({ ino: INO_NET + 1 + i, type: DT_REG, name }));
  }
}

/** /proc/<pid>'s entries, in readdir's order */
const PID_ENTRIES = ['exe', 'cwd', 'root', 'fd', 'fdinfo', 'cmdline', 'auxv', 'mem', 'comm', 'maps', 'mounts', 'mountinfo',
  'stat', 'status', 'task'];

class PidDir extends DirNode {
  /** the entries made so far: each at its first lookup (a walk through /proc/<pid>, as every exec of
   * /proc/self/exe, names one of them; making all fifteen was most of the lookup); guarded by the JS thread */
  private readonly made = new Map<string, Node>();
  constructor(fs: ProcFs, readonly pid: number) {
    super(fs, pidIno(pid, 0), 0o555);
  }
  private make(name: string): Node | null {
    const fs = this.fs, pid = this.pid, p = fs.provider;
    switch (name) {
      case 'exe': return new LinkNode(fs, pidIno(pid, 1), () => p.exe(pid), null, 0o777, true);
      case 'cwd': return new LinkNode(fs, pidIno(pid, 2), () => p.cwd(pid), null, 0o777, true);
      case 'root': return new LinkNode(fs, pidIno(pid, 3), () => p.root?.(pid) ?? '/', null, 0o777, true);
      case 'fd': return new FdDir(fs, pid);
      case 'fdinfo': return new FdInfoDir(fs, pid);
      case 'cmdline': return new GenNode(fs, pidIno(pid, 5), () => p.cmdline(pid));
      case 'auxv': return new GenNode(fs, pidIno(pid, 16), () => p.auxv?.(pid) ?? null);
      case 'mem': return new MemNode(fs, pidIno(pid, 17), pid);
      case 'comm': return new CommNode(fs, pidIno(pid, 6), pid, undefined);
      case 'maps': return new GenNode(fs, pidIno(pid, 7), () => p.maps(pid));
      case 'mounts': return new GenNode(fs, pidIno(pid, 8), () => fs.mountsText());
      case 'mountinfo': return new GenNode(fs, pidIno(pid, 13), () => fs.mountinfoText());
      case 'stat': return new GenNode(fs, pidIno(pid, 9), () => fs.pidStatText(pid));
      case 'status': return new GenNode(fs, pidIno(pid, 10), () => fs.pidStatusText(pid));
      case 'task': return new TaskDir(fs, pid);
      default: return null;
    }
  }
  override lookup(name: string): Node | number {
    let n = this.made.get(name);
    if (n === undefined) {
      const m = this.make(name);
      if (m === null) return -Errno.ENOENT;
      this.made.set(name, (n = m));
    }
    return n;
  }
  override readdir(): DirEntry[] {
    const r: DirEntry[] = [];
    for (const name of PID_ENTRIES) {
      const n = this.lookup(name) as Node;
      r.push({ ino: n.peek().ino, type: n.isDir ? DT_DIR : n.isLink ? DT_LNK : DT_REG, name });
    }
    return r;
  }
}

/** /proc/<pid>/task: a directory per thread. */
class TaskDir extends DirNode {
  constructor(fs: ProcFs, readonly pid: number) {
    super(fs, pidIno(pid, 11), 0o555);
  }
  private tids(): number[] | null {
    const p = this.fs.provider;
    return p.tids ? p.tids(this.pid) : p.comm(this.pid) === null ? null : [this.pid];
  }
  override lookup(name: string): Node | number {
    if (!/^[1-9][0-9]{0,9}$/.test(name)) return -Errno.ENOENT;
    const tid = Number(name);
    return this.tids()?.includes(tid) ? new TidDir(this.fs, this.pid, tid) : -Errno.ENOENT;
  }
  override readdir(): DirEntry[] | number {
    const t = this.tids();
    if (!t) return -Errno.ENOENT;
    return t.map((tid) => ({ ino: pidIno(tid, 12), type: DT_DIR, name: String(tid) }));
  }
}

/** /proc/<pid>/task/<tid>: one thread's name and state. */
class TidDir extends DirNode {
  private readonly entries: Map<string, Node>;
  constructor(fs: ProcFs, readonly pid: number, readonly tid: number) {
    super(fs, pidIno(tid, 12), 0o555);
    const p = fs.provider;
    this.entries = new Map<string, Node>([
      ['comm', new CommNode(fs, pidIno(tid, 13), pid, tid)],
      ['stat', new GenNode(fs, pidIno(tid, 14), () => fs.pidStatText(pid, tid))],
      ['status', new GenNode(fs, pidIno(tid, 15), () => fs.pidStatusText(pid, tid))],
      // (the process's: its threads share it; gdb reads the thread's)
      ['maps', new GenNode(fs, pidIno(tid, 18), () => p.maps(pid))],
      ['mem', new MemNode(fs, pidIno(tid, 19), pid)],
    ]);
  }
  override lookup(name: string): Node | number {
    return this.entries.get(name) ?? -Errno.ENOENT;
  }
  override readdir(): DirEntry[] {
    return [...this.entries].map(([name, n]) => ({ ino: n.peek().ino, type: DT_REG, name }));
  }
}

/** /proc/<pid>/fdinfo: one generated file per open fd (proc_fdinfo_operations: mode 0444 on this kernel). */
class FdInfoDir extends DirNode {
  constructor(fs: ProcFs, readonly pid: number) {
    super(fs, pidIno(pid, 12), 0o555);
  }
  override lookup(name: string): Node | number {
    if (!/^(0|[1-9][0-9]{0,9})$/.test(name)) return -Errno.ENOENT;
    const fd = Number(name), pid = this.pid, p = this.fs.provider;
    if (!p.fdinfo || p.fdinfo(pid, fd) === null) return -Errno.ENOENT;
    return new GenNode(this.fs, fdinfoIno(pid, fd), () => p.fdinfo!(pid, fd));
  }
  override readdir(): DirEntry[] | number {
    const fds = this.fs.provider.fds(this.pid);
    if (!fds) return -Errno.ENOENT;
    if (!this.fs.provider.fdinfo) return [];
    return [...fds.keys()].sort((a, b) => a - b).map((fd) => ({ ino: fdinfoIno(this.pid, fd), type: DT_REG, name: String(fd) }));
  }
}

class FdDir extends DirNode {
  constructor(fs: ProcFs, readonly pid: number) {
    super(fs, pidIno(pid, 4), 0o500);
  }
  /** owned by the process's effective ids, as Linux's pid inodes of a dumpable process (every process is, here):
   * a process that left root for another user still lists its own fds (Linux's proc_fd_permission) */
  override peek(): Stat {
    const o = this.fs.provider.owner?.(this.pid);
    return o ? { ...this.st, uid: o[0], gid: o[1] } : this.st;
  }
  override lookup(name: string): Node | number {
    if (!/^(0|[1-9][0-9]{0,9})$/.test(name)) return -Errno.ENOENT;
    const fd = Number(name);
    const f = this.fs.provider.fds(this.pid)?.get(fd);
    if (!f) return -Errno.ENOENT;
    const pid = this.pid, p = this.fs.provider;
    const file = (): File | null => p.fds(pid)?.get(fd) ?? null;
    // the link's mode shows the access mode: lr-x, l-wx or lrwx (proc_fd_link's inode)
    const perm = (f.readable ? 0o500 : 0o100) | (f.writable ? 0o200 : 0);
    return new LinkNode(this.fs, fdIno(pid, fd), () => file()?.linkPath ?? null, file, perm);
  }
  override readdir(): DirEntry[] | number {
    const fds = this.fs.provider.fds(this.pid);
    if (!fds) return -Errno.ENOENT;
    return [...fds.keys()].sort((a, b) => a - b).map((fd) => ({ ino: fdIno(this.pid, fd), type: DT_LNK, name: String(fd) }));
  }
}
