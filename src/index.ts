/**
 * The embedding API: run one guest program to completion.
 */
import { statSync, realpathSync, readFileSync } from 'node:fs';
import { relative, isAbsolute, join } from 'node:path';
import { allowedCpus, getrlimit, RLIMIT_NOFILE, isatty, getuid, getgid, write, gethostname } from './host/libc.js';
import { release as osRelease } from 'node:os';
import { RLIM_NLIMITS } from './abi/resource.js';
import { PtracePlatform } from './platform/ptrace/platform.js';
import { SYSCALL_TABLE } from './syscalls/table.js';
import { SYSCALL_NAMES } from './abi/syscall_nr.js';
import { straceLine } from './syscalls/strace.js';
import type { HostMountSpec } from './fs/vfs.js';
import { Kernel, KernelPanic } from './kernel/kernel.js';
import { SIGNAL_MESSAGES, SIGHUP, SIGCONT, SIGWINCH } from './abi/signal.js';
import { LoaderError } from './loader/elf.js';
import { Errno } from './abi/errno.js';
import { ttyJobs } from './kernel/tty_jobs.js';
import type { Terminal } from './fs/tty/console.js';
import type { NetMode } from './net/stack.js';
import { startPublishing, parsePublish, PublishSpec } from './net/publish.js';
export { parsePublish };
export type { PublishSpec, NetMode };

export interface RunOptions {
  program: string;
  args: string[];
  root: string;
  rw: boolean;
  memBytes: number;
  /** 0: as many as the host CPUs umlts may use */
  cpus: number;
  /** K=V strings */
  env: string[];
  inheritEnv: boolean;
  /** guest working directory; '' = the host's cwd when it lies inside the root, else / */
  cwd: string;
  strace: boolean;
  /** --mount HOST:GUEST[:ro], in order */
  mounts: HostMountSpec[];
  /** --max-host-fds; 0: derived from RLIMIT_NOFILE */
  maxHostFds: number;
  /** --stats: print the filehandle counters on exit */
  stats: boolean;
  /** --user UID[:GID] (numbers or names in the root's /etc/passwd, /etc/group); '' = umlts's own */
  user: string;
  /** --net: the guest's private loopback ('none') or the host's network ('host') */
  net: NetMode;
  /** --publish: host ports joined to guest ports (with --net none) */
  publish: PublishSpec[];
}

/** A guest identity from --user. */
export interface GuestUser {
  uid: number;
  gid: number;
  /** supplementary groups: the root's /etc/group memberships of a named user */
  groups: number[];
  /** the passwd entry's home directory, if the user has one */
  home?: string;
}

/** Lines of one of the root's colon-separated databases (/etc/passwd, /etc/group), split; [] if it has none. */
function etcFile(root: string, name: string): string[][] {
  try {
    return readFileSync(join(root, 'etc', name), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/**
 * --user UID[:GID]: numbers as they are, names looked up in the root's
 * /etc/passwd and /etc/group. Without GID: the user's passwd group, or the
 * UID itself (never root's group by default). Throws UsageError.
 */
export function resolveUser(root: string, spec: string): GuestUser {
  const [u, g] = spec.split(':') as [string, string | undefined];
  const passwd = etcFile(root, 'passwd'), group = etcFile(root, 'group');
  const num = (v: string): number | null => (/^\d+$/.test(v) && Number(v) <= 0xfffffffe ? Number(v) : null);
  let uid = num(u);
  const pw = passwd.find((f) => (uid === null ? f[0] === u : Number(f[2]) === uid));
  if (uid === null) {
    if (!pw) throw new UsageError(`bad --user '${spec}': no user '${u}' in ${join(root, 'etc/passwd')}`);
    uid = Number(pw[2]);
  }
  let gid: number | null;
  if (g === undefined) {
    gid = pw && /^\d+$/.test(pw[3] ?? '') ? Number(pw[3]) : uid;
  } else {
    gid = num(g);
    if (gid === null) {
      const gr = group.find((f) => f[0] === g);
      if (!gr) throw new UsageError(`bad --user '${spec}': no group '${g}' in ${join(root, 'etc/group')}`);
      gid = Number(gr[2]);
    }
  }
  const name = pw?.[0];
  const groups = name ? group.filter((f) => (f[3] ?? '').split(',').includes(name)).map((f) => Number(f[2])).filter((n) => n !== gid) : [];
  return { uid, gid, groups, home: pw?.[5] || undefined };
}

/**
 * The host fds hostfs may hold by default: the soft RLIMIT_NOFILE less a
 * reserve for umlts itself (Node, physmem, the stubs' pipes, epoll...). A
 * wrong guess costs little: an EMFILE makes hostfs reclaim and retry.
 */
export function defaultHostFdBudget(): number {
  let soft = 1024;
  try {
    const l = getrlimit(RLIMIT_NOFILE)[0];
    soft = l > 1048576n ? 1048576 : Number(l);
  } catch {
    // keep the common default
  }
  return Math.max(16, soft - Math.max(64, Math.floor(soft / 4)));
}

/**
 * umlts's own resource limits, for the guest's init to inherit as any child
 * of the invoking shell would (RLIM_INFINITY as Infinity). A limit the host
 * will not report is left to the kernel's default.
 */
export function hostRlimits(): Array<[number, number] | undefined> {
  const out: Array<[number, number] | undefined> = [];
  const num = (v: bigint): number => (v >= 0x7fffffffffffffffn ? Infinity : Number(v));
  for (let res = 0; res < RLIM_NLIMITS; res++) {
    try {
      const [soft, hard] = getrlimit(res);
      out[res] = [num(soft), num(hard)];
    } catch {
      out[res] = undefined;
    }
  }
  return out;
}

/** The host's cwd as a guest path, if it lies inside the root. */
function defaultCwd(root: string): string {
  try {
    const rel = relative(realpathSync(root), realpathSync(process.cwd()));
    if (rel === '') return '/';
    if (!rel.startsWith('..') && !isAbsolute(rel)) return '/' + rel;
  } catch {
    /* fall through */
  }
  return '/';
}

/** A bad command line: one line for the user. */
export class UsageError extends Error {}

/** "512M", "2G", "1048576", "64k" -> bytes. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)(i?[bB])?$/.exec(s);
  if (!m) throw new UsageError(`bad size '${s}': use a number with an optional K, M or G suffix`);
  const mult = { '': 1, k: 1024, m: 1 << 20, g: 1 << 30, t: 2 ** 40 }[m[2]!.toLowerCase()]!;
  const v = Math.floor(Number(m[1]) * mult);
  if (v < 16 << 20) throw new UsageError(`bad size '${s}': at least 16M`);
  if (v > 2 ** 40) throw new UsageError(`bad size '${s}': at most 1T`);
  return Math.floor(v / 4096) * 4096;
}

function guestEnv(o: RunOptions, user: GuestUser | null): string[] {
  const env = new Map<string, string>();
  if (o.inheritEnv) {
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env.set(k, v);
  } else {
    env.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    env.set('HOME', user?.home ?? '/root');
    env.set('TERM', process.env.TERM ?? 'dumb');
  }
  for (const kv of o.env) {
    const i = kv.indexOf('=');
    env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

/** Run the program; returns the exit status umlts should exit with. Never throws for bad input. */
export function run(o: RunOptions): number {
  try {
    if (!statSync(o.root).isDirectory()) throw new Error();
  } catch {
    process.stderr.write(`umlts: --root ${o.root}: not a directory\n`);
    return 2;
  }
  const cpus = o.cpus || Math.max(1, allowedCpus().length);
  let user: GuestUser | null = null;
  try {
    if (o.user) user = resolveUser(o.root, o.user);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`umlts: ${e.message}\n`);
    return 2;
  }
  for (const m of o.mounts) {
    try {
      if (!statSync(m.host).isDirectory()) throw new Error();
    } catch {
      process.stderr.write(`umlts: --mount ${m.host}:${m.guest}: ${m.host} is not a directory\n`);
      return 2;
    }
  }
  let kernel: Kernel;
  const platform = new PtracePlatform();
  try {
    kernel = new Kernel({
      root: o.root, rw: o.rw, memBytes: o.memBytes, cpus, strace: o.strace, stdio: [0, 1, 2],
      mounts: o.mounts, maxHostFds: o.maxHostFds || defaultHostFdBudget(), net: o.net,
      user: user ?? { uid: getuid(), gid: getgid(), groups: [] },
      rlimits: hostRlimits(),
      platform,
      syscalls: { rows: SYSCALL_TABLE, name: (nr) => SYSCALL_NAMES[nr], strace: straceLine },
      uname: { nodename: gethostname(), release: osRelease() },
      log: (line) => void write(2, Buffer.from(line + '\n')),
    });
  } catch (e) {
    platform.shutdown();
    if (!(e instanceof Error) || !/^(hostfs|--mount)/.test(e.message)) throw e;
    process.stderr.write(`umlts: ${e.message}\n`);
    return 2;
  }
  try {
    startPublishing(kernel.net, o.publish ?? []); // an embedder may leave --publish out
  } catch (e) {
    kernel.shutdown();
    if (!(e instanceof Error) || !e.message.startsWith('--publish')) throw e;
    process.stderr.write(`umlts: ${e.message}\n`);
    return 2;
  }
  // test hook (test/hostfs_rw.test.mjs): reclaim every other host fd before each hostfs operation
  if (process.env.UMLTS_TEST_RECLAIM_IN_OPS === '1') kernel.vfs.handles.test.reclaimInOps = true;
  const envp = guestEnv(o, user);
  // an explicit --cwd must exist in the guest; the default falls back to /
  const cwdRequired = o.cwd !== '';
  if (!o.cwd) o.cwd = defaultCwd(o.root);
  const term = kernel.vfs.terminal;
  try {
    startTerminal(kernel, term);
    let init;
    try {
      init = spawnByPath(kernel, o, envp, cwdRequired);
    } catch (e) {
      if (e instanceof LoaderError) {
        process.stderr.write(`umlts: ${e.message}\n`);
        return e.errno === Errno.ENOENT ? 127 : 126;
      }
      throw e;
    }
    const status = kernel.run(init);
    term.restore();
    if ((status & 0x7f) === 0) return (status >> 8) & 0xff;
    const sig = status & 0x7f;
    const msg = SIGNAL_MESSAGES[sig];
    if (msg) process.stderr.write(`${msg}\n`);
    return 128 + sig;
  } catch (e) {
    const what = e instanceof KernelPanic ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    process.stderr.write(`umlts: kernel error: ${what}\n`);
    if (process.env.UMLTS_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 70;
  } finally {
    term.restore();
    if (o.stats) {
      const s = kernel.vfs.handles.stats();
      const line = (what: string, o: object): string => `umlts: ${what}: ${Object.entries(o).map(([k, v]) => `${k}=${v}`).join(' ')}\n`;
      const c = kernel.physmem.cache;
      process.stderr.write(line('filehandles', s) + line('kernel', kernel.stats) +
        line('mm', { ...kernel.physmem.stats, cacheHits: c.hits, cacheMisses: c.misses, cachePages: c.size }));
    }
    kernel.shutdown();
  }
}

/** Host signals to umlts's process group that the terminal handles (they reach the kernel through the waker). */

/**
 * When umlts's stdin is a terminal the guest gets a real tty: the host
 * terminal goes raw and the kernel runs the guest's termios and job control
 * (fs/tty/console.ts Terminal). Its original settings come back in run()'s
 * finally, or — killed by a signal — not at all (`stty sane`, `reset`).
 */
function startTerminal(kernel: Kernel, term: Terminal): void {
  if (!isatty(0)) return;
  const watch = { watch: (fd: number, ev: number, cb: () => void) => kernel.events.watch(fd, ev, cb) };
  if (!term.start(0, watch, ttyJobs(kernel))) return;
  for (const sig of [SIGWINCH, SIGHUP, SIGCONT]) kernel.events.hostSignalHandlers.set(sig, () => term.hostSignal(sig));
  kernel.platform.forwardHostSignals([SIGWINCH, SIGHUP, SIGCONT]);
}

/** execvp: a name without a slash is looked up in the guest's PATH. */
function spawnByPath(k: Kernel, o: RunOptions, envp: string[], cwdRequired: boolean) {
  const argv = [o.program, ...o.args];
  if (o.program.includes('/')) return k.spawnInit(o.program, argv, envp, o.cwd, cwdRequired);
  const path = envp.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/bin:/bin';
  let denied: LoaderError | null = null;
  for (const dir of path.split(':')) {
    try {
      return k.spawnInit(`${dir || '.'}/${o.program}`, argv, envp, o.cwd, cwdRequired);
    } catch (e) {
      if (!(e instanceof LoaderError)) throw e;
      if (e.errno === Errno.ENOENT || e.errno === Errno.ENOTDIR) continue;
      if (e.errno === Errno.EACCES) {
        denied ??= e;
        continue;
      }
      throw e;
    }
  }
  throw denied ?? new LoaderError(Errno.ENOENT, `${o.program}: command not found`);
}
