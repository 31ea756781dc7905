/**
 * The library's options: their public types, and their checking into a
 * BootConfig (plain data: it crosses to the kernel's worker by structured
 * clone). What can be checked without the host (types, ranges, syntax) is
 * checked here, on the caller's thread; what needs the host (the root, the
 * mounts, the user, the hooks module) is checked by the worker as it boots.
 *
 * Nothing here touches the kernel or koffi: the caller's thread loads only
 * this, errors.ts and sandbox.ts.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { resolve as resolvePath, relative, isAbsolute, join, posix } from 'node:path';
import { OptionError } from './errors.js';
import { CAP_NAMES, CAP_FULL_SET, capOr, capOf } from '../abi/capability.js';
import type { RuntimeCaps } from '../kernel/creds.js';
import { SOCK_FILTER_SIZE, BPF_MAXINSNS, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_MASK } from '../abi/seccomp.js';


/**
 * Where a guest's fd 0, 1 or 2 goes: a pipe to the caller (a Node stream),
 * the caller's own fd, /dev/null, or (a number) another host fd of the
 * caller's process, shared with the guest as child_process shares one.
 */
export type StdioMode = 'pipe' | 'inherit' | 'ignore' | number;

/** A host directory shown at a guest path (`--mount HOST:GUEST[:ro]`). */
export interface MountOption {
  host: string;
  guest: string;
  /** read-only (default: writable) */
  ro?: boolean;
}

/** A file placed in the guest's view before anything runs: its contents, or contents and mode. */
export type FileOption = string | Uint8Array | { data: string | Uint8Array; mode?: number };

/** One kernel (a Sandbox, or the one run() makes). Every field is optional. */
export interface SandboxOptions {
  /** the host directory that is the guest's / (default '/') */
  root?: string;
  /** make the root writable (default: read-only; writes get EROFS) */
  rw?: boolean;
  /** more host directories, as objects or 'HOST:GUEST[:ro]' strings */
  mounts?: ReadonlyArray<MountOption | string>;
  /** virtual CPUs (default: the host CPUs umlts may use) */
  cpus?: number;
  /** how guest code runs on the host: 'ptrace' (PTRACE_SYSEMU) or 'systrap' (seccomp traps handled in the
   * guest's host process); default: the UMLTS_PLATFORM environment variable (ptrace, systrap, or auto), else
   * auto: systrap where the host allows it, else ptrace with one line on stderr saying why */
  platform?: 'ptrace' | 'systrap';
  /** guest memory in bytes, or a size such as '512M' (default 1G); past it the OOM killer picks a process */
  memory?: number | string;
  /** 'none' (default): a private loopback nothing on the host can reach; 'host': TCP and UDP sockets are host sockets */
  net?: 'none' | 'host';
  /** with net 'none': host ports joined to guest ports, '[HOSTADDR:]HOSTPORT:GUESTPORT[/udp]' */
  publish?: readonly string[];
  /** the guest environment: merged over PATH, HOME and TERM (a key set to undefined is removed) */
  env?: Readonly<Record<string, string | undefined>>;
  /** the default working directory (default: the caller's, when the guest sees it; else /) */
  cwd?: string;
  /** the guest's user: 'UID[:GID]' (numbers, or names in the root's /etc/passwd and /etc/group) or a uid (default: the caller's) */
  user?: string | number;
  /**
   * the capabilities of the guest's processes, by name ('CAP_NET_RAW' or 'NET_RAW'): a list is the bounding set,
   * and the permitted and effective ones of a root user (others get none, as from Docker); an object gives each
   * set as OCI's process.capabilities does. Default: a root user holds every capability, others none.
   */
  capabilities?: readonly string[] | CapabilitySets;
  /** the guest's processes start with no_new_privs set (prctl(PR_SET_NO_NEW_PRIVS): no exec gains privileges; a
   * seccomp filter needs no CAP_SYS_ADMIN), as OCI's process.noNewPrivileges and setpriv --no-new-privs. Default false */
  noNewPrivileges?: boolean;
  /**
   * a seccomp filter every guest process starts under, as seccomp(2) takes it: `program` the classic BPF
   * instructions (struct sock_filter[], 8 bytes each), `flags` SECCOMP_SET_MODE_FILTER's (only
   * SECCOMP_FILTER_FLAG_LOG, 2, changes anything). The OCI runtime compiles config.json's linux.seccomp to it.
   */
  seccomp?: { program: Uint8Array; flags?: number };
  /** files placed in the guest's view before anything runs, by absolute guest path; in a directory the root lacks they live in a tmpfs */
  files?: Readonly<Record<string, FileOption>>;
  /** more in-memory filesystems, by absolute guest path ('PATH' or 'PATH:mode=1777', like docker's --tmpfs): empty
   * directories of the guest's own over whatever the root has there (it need not exist) */
  tmpfs?: readonly string[];
  /** most guest processes at once (zombies included); fork fails with EAGAIN past it (default 4096) */
  maxProcesses?: number;
  /** host fds the host filesystems may hold open at once (default: from RLIMIT_NOFILE) */
  maxHostFds?: number;
  /** trace every syscall: 'syscall' (and 'signal') events from the start; a 'syscall' listener also turns them on */
  strace?: boolean;
  /** a module loaded in the kernel's worker whose onSyscall(call) may deny or emulate each syscall */
  hooks?: URL | string;
  /** the guest owns the caller's terminal (stdin a tty, stdio 'inherit'): raw mode, job control, window size. The umlts command's choice */
  terminal?: boolean;
  /** where kernel messages (and, with strace, its lines) go: 'events' ('log' events; default) or 'stderr' (the caller's fd 2, in order with guest output) */
  log?: 'events' | 'stderr';
}

/** OCI's process.capabilities: each set by name (a set left out is empty). */
export interface CapabilitySets {
  bounding?: readonly string[];
  effective?: readonly string[];
  permitted?: readonly string[];
  inheritable?: readonly string[];
  ambient?: readonly string[];
}

/** The first process's capability sets, checked (kernel/creds.ts RuntimeCaps; rootOnly: a list was given, not the
 * five sets). */
export type CapConfig = RuntimeCaps;

/** Capability names ('CAP_X' or 'X', any case) to a set; 'ALL' is every one. */
export function capNames(names: unknown, what: string): number {
  if (!Array.isArray(names)) bad(what, 'expected an array of capability names');
  let set = 0;
  for (const n of names) {
    if (typeof n !== 'string') bad(what, 'expected an array of capability names');
    const up = n.toUpperCase();
    if (up === 'ALL') {
      set = CAP_FULL_SET;
      continue;
    }
    const cap = CAP_NAMES.indexOf(up.startsWith('CAP_') ? up : `CAP_${up}`);
    if (cap < 0) bad(what, `'${n}' is not a capability`);
    set = capOr(set, capOf([cap]));
  }
  return set;
}

/** The seccomp option: whole 8-byte instructions, 1 to BPF_MAXINSNS of them; the kernel checks the rest. */
function seccompConfig(v: SandboxOptions['seccomp']): BootConfig['seccomp'] {
  if (v === undefined) return null;
  if (v === null || typeof v !== 'object' || !(v.program instanceof Uint8Array)) bad('seccomp', 'expected {program: Uint8Array, flags?}');
  const n = v.program.length;
  if (n === 0 || n % SOCK_FILTER_SIZE !== 0 || n > BPF_MAXINSNS * SOCK_FILTER_SIZE) {
    bad('seccomp', `program: 1 to ${BPF_MAXINSNS} instructions of ${SOCK_FILTER_SIZE} bytes each`);
  }
  const flags = v.flags === undefined ? 0 : int(v.flags, 'seccomp.flags', 0, SECCOMP_FILTER_FLAG_MASK);
  return { program: new Uint8Array(v.program), log: (flags & SECCOMP_FILTER_FLAG_LOG) !== 0 };
}

function capConfig(v: SandboxOptions['capabilities']): CapConfig | null {
  if (v === undefined) return null;
  if (Array.isArray(v)) {
    const set = capNames(v, 'capabilities');
    return { bounding: set, permitted: set, effective: set, inheritable: 0, ambient: 0, rootOnly: true };
  }
  if (v === null || typeof v !== 'object') bad('capabilities', 'expected an array of names or {bounding, effective, permitted, inheritable, ambient}');
  checkKeys(v, new Set(['bounding', 'effective', 'permitted', 'inheritable', 'ambient']), 'capabilities');
  const sets = v as CapabilitySets;
  const of = (k: keyof CapabilitySets): number => (sets[k] === undefined ? 0 : capNames(sets[k], `capabilities.${k}`));
  return { bounding: of('bounding'), permitted: of('permitted'), effective: of('effective'), inheritable: of('inheritable'),
    ambient: of('ambient'), rootOnly: false };
}

/** One guest process in a sandbox. */
export interface SpawnOptions {
  /** its working directory (default: the sandbox's) */
  cwd?: string;
  /** merged over the sandbox's environment */
  env?: Readonly<Record<string, string | undefined>>;
  /** 'pipe' (default), 'inherit' or 'ignore', for all three or each of fd 0, 1, 2 */
  stdio?: StdioMode | readonly [StdioMode, StdioMode, StdioMode];
  /**
   * stdio[0] is a host fd of a terminal that becomes this process's own:
   * it leads a session of its own whose controlling terminal that is, with
   * the kernel's line discipline and job control (an OCI `exec --tty`)
   */
  tty?: boolean;
}

/** run(): a sandbox's options, a process's, and execFile's. */
export interface RunOptions extends SandboxOptions, SpawnOptions {
  /** the guest's stdin (default: empty) */
  input?: string | Uint8Array;
  /** ms from the program's start; then the whole sandbox gets SIGKILL (Sandbox.run: the process) and the result says timedOut (default: none) */
  timeout?: number;
  /** most bytes of stdout or of stderr; past it the sandbox is killed and run() rejects with MaxBufferError (default 1 MiB, as execFile) */
  maxBuffer?: number;
}

/** A bad command line or option value: one line for the user. */
export class UsageError extends OptionError {
  override name = 'UsageError';
}

/** "512M", "2G", "1048576", "64k" -> bytes (a multiple of the page size, 16M to 1T). Throws UsageError. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)(i?[bB])?$/.exec(s);
  if (!m) throw new UsageError(`bad size '${s}': use a number with an optional K, M or G suffix`);
  const mult = { '': 1, k: 1024, m: 1 << 20, g: 1 << 30, t: 2 ** 40 }[m[2]!.toLowerCase()]!;
  const v = Math.floor(Number(m[1]) * mult);
  return checkMemory(v, `'${s}'`);
}
function checkMemory(v: number, what: string): number {
  if (v < 16 << 20) throw new UsageError(`bad size ${what}: at least 16M`);
  if (v > 2 ** 40) throw new UsageError(`bad size ${what}: at most 1T`);
  return Math.floor(v / 4096) * 4096;
}

/** A tmpfs option, 'PATH[:mode=OCTAL]' (the --tmpfs flag's form): an absolute guest path, not /, and its root's mode. */
export function parseTmpfs(spec: string): [string, number] {
  const colon = spec.indexOf(':');
  const p = colon < 0 ? spec : spec.slice(0, colon);
  if (!p.startsWith('/')) throw new UsageError(`--tmpfs ${spec}: the guest path must be absolute`);
  const path = posix.normalize(p).replace(/(.)\/$/, '$1');
  if (path === '/') throw new UsageError(`--tmpfs ${spec}: not at /`);
  let mode = 0o755;
  if (colon >= 0) {
    const m = /^mode=([0-7]{1,4})$/.exec(spec.slice(colon + 1));
    if (!m) throw new UsageError(`--tmpfs ${spec}: expected PATH or PATH:mode=OCTAL`);
    mode = parseInt(m[1]!, 8);
  }
  return [path, mode];
}

/** 'HOST:GUEST[:ro]' (`--mount`). Throws UsageError. */
export function parseMount(v: string): MountOption {
  const parts = v.split(':');
  let ro = false;
  if (parts.length === 3 && (parts[2] === 'ro' || parts[2] === 'rw')) {
    ro = parts[2] === 'ro';
    parts.pop();
  }
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw new UsageError(`bad --mount '${v}': expected HOST:GUEST[:ro]`);
  return checkMount({ host: parts[0]!, guest: parts[1]!, ro }, `'${v}'`);
}
function checkMount(m: MountOption, what: string): MountOption {
  const guest = m.guest;
  if (!guest.startsWith('/')) throw new UsageError(`bad --mount ${what}: the guest path must be absolute`);
  if (guest.split('/').every((p) => p === '' || p === '.')) throw new UsageError(`bad --mount ${what}: cannot mount over / (use --root)`);
  if (guest.split('/').includes('..')) throw new UsageError(`bad --mount ${what}: no '..' in the guest path`);
  return { host: resolvePath(m.host), guest, ro: m.ro === true };
}

/** A guest identity from `user`. */
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
 * `user` 'UID[:GID]': numbers as they are, names looked up in the root's
 * /etc/passwd and /etc/group. Without GID: the user's passwd group, or the
 * UID itself (never root's group by default). Throws UsageError.
 */
export function resolveUser(root: string, spec: string): GuestUser {
  if (!/^[^:]+(:[^:]+)?$/.test(spec)) throw new UsageError(`bad --user '${spec}': expected UID[:GID]`);
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

/** The caller's cwd as a guest path, if it lies inside the root (else null). */
export function hostCwdInRoot(root: string): string | null {
  try {
    const rel = relative(realpathSync(root), realpathSync(process.cwd()));
    if (rel === '') return '/';
    if (!rel.startsWith('..') && !isAbsolute(rel)) return '/' + rel;
  } catch {
    /* fall through */
  }
  return null;
}

/** An environment option as pairs (null: remove the key). */
export type EnvPairs = Array<[string, string | null]>;

/** What the worker boots from: the options checked, as plain data. */
export interface BootConfig {
  root: string;
  rw: boolean;
  mounts: MountOption[];
  /** 0: the host CPUs umlts may use */
  cpus: number;
  /** auto (the default, or UMLTS_PLATFORM=auto): systrap where the host allows it, else ptrace (lib/worker.ts makePlatform) */
  platform: 'ptrace' | 'systrap' | 'auto';
  memBytes: number;
  net: 'none' | 'host';
  publish: string[];
  env: EnvPairs;
  /** the default cwd, required to exist; null: the caller's if the guest sees it, else / */
  cwd: string | null;
  /** the caller's cwd inside the root, as a guest path (the default cwd's first choice), or null */
  hostCwd: string | null;
  /** '' = the caller's own uid and gid */
  user: string;
  /** null: Linux's default for the user (root every capability, others none) */
  capabilities: CapConfig | null;
  noNewPrivileges: boolean;
  /** the program's bytes and whether it logs (SECCOMP_FILTER_FLAG_LOG), or null */
  seccomp: { program: Uint8Array; log: boolean } | null;
  /** guest path, contents, mode */
  files: Array<[string, Uint8Array, number]>;
  /** guest path, the root directory's mode */
  tmpfs: Array<[string, number]>;
  maxProcesses: number;
  /** 0: from RLIMIT_NOFILE */
  maxHostFds: number;
  strace: boolean;
  /** the hooks module's URL, or null */
  hooks: string | null;
  terminal: boolean;
  log: 'events' | 'stderr';
}

/** One spawn, checked: plain data for the worker. */
export interface SpawnConfig {
  argv: string[];
  cwd: string | null;
  env: EnvPairs;
  stdio: [StdioMode, StdioMode, StdioMode];
  /** it is the sandbox's init (run()): its exit ends the sandbox */
  init: boolean;
  /** stdio[0] is a host terminal the process gets as its own (SpawnOptions.tty) */
  tty: boolean;
}

const SANDBOX_KEYS = new Set(['root', 'rw', 'mounts', 'cpus', 'platform', 'memory', 'net', 'publish', 'env', 'cwd', 'user', 'capabilities', 'noNewPrivileges', 'seccomp', 'files', 'tmpfs', 'maxProcesses',
  'maxHostFds', 'strace', 'hooks', 'terminal', 'log']);
const SPAWN_KEYS = new Set(['cwd', 'env', 'stdio', 'tty']);
const RUN_KEYS = new Set([...SANDBOX_KEYS, 'cwd', 'env', 'stdio', 'input', 'timeout', 'maxBuffer']);

function bad(what: string, why: string): never {
  throw new OptionError(`bad option ${what}: ${why}`);
}
function checkKeys(o: object, allowed: Set<string>, what: string): void {
  if (o === null || typeof o !== 'object') bad(what, 'expected an object');
  for (const k of Object.keys(o)) if (!allowed.has(k)) bad(k, `not an option of ${what}`);
}
function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(what, `expected an integer from ${min} to ${max}`);
  return v;
}
function bool(v: unknown, what: string): boolean {
  if (v !== undefined && typeof v !== 'boolean') bad(what, 'expected true or false');
  return v === true;
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') bad(what, 'expected a string');
  return v;
}
function guestPath(v: unknown, what: string): string {
  const s = str(v, what);
  if (!s.startsWith('/') || s.includes('\0')) bad(what, `'${s}' is not an absolute guest path`);
  return s;
}
export function envPairs(env: unknown, what: string): EnvPairs {
  if (env === undefined) return [];
  if (env === null || typeof env !== 'object') bad(what, 'expected an object of strings');
  return Object.entries(env as Record<string, unknown>).map(([k, v]) => {
    if (k === '' || k.includes('=') || k.includes('\0')) bad(what, `bad variable name '${k}'`);
    if (v === undefined) return [k, null];
    if (typeof v !== 'string' || v.includes('\0')) bad(`${what}.${k}`, 'expected a string');
    return [k, v];
  });
}
function bytes(v: unknown, what: string): Uint8Array {
  if (typeof v === 'string') return new TextEncoder().encode(v);
  if (v instanceof Uint8Array) return new Uint8Array(v);
  bad(what, 'expected a string or a Uint8Array');
}

/** SandboxOptions -> BootConfig; throws OptionError. */
export function sandboxConfig(o: SandboxOptions): BootConfig {
  checkKeys(o, SANDBOX_KEYS, 'Sandbox');
  const root = resolvePath(o.root === undefined ? '/' : str(o.root, 'root'));
  const mounts = (o.mounts ?? []).map((m, i) => {
    if (typeof m === 'string') return parseMount(m);
    if (m === null || typeof m !== 'object') bad(`mounts[${i}]`, "expected {host, guest, ro} or 'HOST:GUEST[:ro]'");
    return checkMount({ host: str(m.host, `mounts[${i}].host`), guest: str(m.guest, `mounts[${i}].guest`), ro: bool(m.ro, `mounts[${i}].ro`) },
      `'${m.host}:${m.guest}'`);
  });
  let memBytes = 1 << 30;
  if (typeof o.memory === 'string') memBytes = parseSize(o.memory);
  else if (o.memory !== undefined) memBytes = checkMemory(int(o.memory, 'memory', 0, 2 ** 40), String(o.memory));
  const net = o.net ?? 'none';
  if (net !== 'none' && net !== 'host') bad('net', `'${String(net)}': expected 'none' or 'host'`);
  const publish = (o.publish ?? []).map((p, i) => str(p, `publish[${i}]`));
  if (net === 'host' && publish.length) throw new UsageError('--publish needs --net none (with --net host the guest listens on the host itself)');
  let user = '';
  if (typeof o.user === 'number') user = String(int(o.user, 'user', 0, 0xfffffffe));
  else if (o.user !== undefined) user = str(o.user, 'user');
  const files: BootConfig['files'] = Object.entries(o.files ?? {}).map(([p, f]) => {
    const path = posix.normalize(guestPath(p, 'files'));
    if (path === '/' || path.endsWith('/')) bad('files', `'${p}' is not a file path`);
    if (f !== null && typeof f === 'object' && !(f instanceof Uint8Array)) {
      return [path, bytes(f.data, `files['${p}'].data`), f.mode === undefined ? 0o644 : int(f.mode, `files['${p}'].mode`, 0, 0o7777)];
    }
    return [path, bytes(f, `files['${p}']`), 0o644];
  });
  const tmpfs: BootConfig['tmpfs'] = (o.tmpfs ?? []).map((t, i) => parseTmpfs(str(t, `tmpfs[${i}]`)));
  let hooks: string | null = null;
  if (o.hooks instanceof URL) hooks = o.hooks.href;
  else if (typeof o.hooks === 'string') hooks = /^[a-z][a-z0-9+.-]*:/i.test(o.hooks) ? o.hooks : new URL(`file://${resolvePath(o.hooks)}`).href;
  else if (o.hooks !== undefined) bad('hooks', 'expected a URL or a path of a module');
  const log = o.log ?? 'events';
  // none named: auto, systrap where the host allows it, else ptrace with one line saying why (issue 14;
  // the README's Platforms); the environment variable may also say auto, the option only names one
  const platform = (o.platform ?? (process.env.UMLTS_PLATFORM || 'auto')) as BootConfig['platform'];
  if (platform !== 'ptrace' && platform !== 'systrap' && (platform !== 'auto' || o.platform !== undefined)) {
    bad('platform', "expected 'ptrace' or 'systrap'");
  }
  if (log !== 'events' && log !== 'stderr') bad('log', "expected 'events' or 'stderr'");
  return {
    root, rw: bool(o.rw, 'rw'), mounts,
    cpus: o.cpus === undefined ? 0 : int(o.cpus, 'cpus', 1, 64),
    platform,
    memBytes, net, publish,
    env: envPairs(o.env, 'env'),
    cwd: o.cwd === undefined ? null : guestPath(o.cwd, 'cwd'),
    hostCwd: hostCwdInRoot(root),
    user, capabilities: capConfig(o.capabilities), noNewPrivileges: bool(o.noNewPrivileges, 'noNewPrivileges'),
    seccomp: seccompConfig(o.seccomp), files, tmpfs,
    maxProcesses: o.maxProcesses === undefined ? 4096 : int(o.maxProcesses, 'maxProcesses', 1, 4096),
    maxHostFds: o.maxHostFds === undefined ? 0 : int(o.maxHostFds, 'maxHostFds', 1, 1048576),
    strace: bool(o.strace, 'strace'),
    hooks,
    terminal: bool(o.terminal, 'terminal'),
    log,
  };
}

/** argv and SpawnOptions -> SpawnConfig; throws OptionError. */
export function spawnConfig(argv: readonly string[], o: SpawnOptions, init: boolean): SpawnConfig {
  if (!Array.isArray(argv) || argv.length === 0) bad('argv', 'expected a non-empty array of strings');
  argv.forEach((a, i) => {
    if (typeof a !== 'string' || a.includes('\0')) bad(`argv[${i}]`, 'expected a string without NUL');
  });
  if (argv[0] === '') bad('argv[0]', 'no program');
  checkKeys(o, SPAWN_KEYS, 'spawn');
  const modes = ['pipe', 'inherit', 'ignore'];
  const s = o.stdio ?? 'pipe';
  const stdio = (typeof s === 'string' ? [s, s, s] : s) as unknown[];
  const fdOk = (m: unknown): boolean => typeof m === 'number' && Number.isInteger(m) && m >= 0 && m < 2 ** 31;
  if (!Array.isArray(stdio) || stdio.length !== 3 || !stdio.every((m) => modes.includes(m as string) || fdOk(m))) {
    bad('stdio', "expected 'pipe', 'inherit', 'ignore' or a host fd, or an array of three");
  }
  if (o.tty === true && typeof stdio[0] !== 'number') bad('tty', 'needs stdio[0] to be a host fd (the terminal)');
  return {
    argv: [...argv],
    cwd: o.cwd === undefined ? null : guestPath(o.cwd, 'cwd'),
    env: envPairs(o.env, 'env'),
    stdio: stdio as [StdioMode, StdioMode, StdioMode],
    init,
    tty: bool(o.tty, 'tty'),
  };
}

/** run()'s own options (input, timeout, maxBuffer), checked; throws OptionError. */
export function runLimits(o: Pick<RunOptions, 'input' | 'timeout' | 'maxBuffer'>): { timeout: number; maxBuffer: number; input: Uint8Array | null } {
  return {
    timeout: o.timeout === undefined ? 0 : int(o.timeout, 'timeout', 1, 2 ** 31 - 1),
    maxBuffer: o.maxBuffer === undefined ? 1024 * 1024 : int(o.maxBuffer, 'maxBuffer', 0, 2 ** 32),
    input: o.input === undefined ? null : bytes(o.input, 'input'),
  };
}

/** run()'s options, split into the sandbox's (still to check: new Sandbox does), the process's and run's own; throws OptionError. */
export function runConfig(argv: readonly string[], o: RunOptions): { sandbox: SandboxOptions; spawn: SpawnConfig; timeout: number; maxBuffer: number; input: Uint8Array | null } {
  checkKeys(o, RUN_KEYS, 'run');
  const { input, timeout, maxBuffer, stdio, ...sandbox } = o;
  // the process takes the sandbox's env and cwd: given once, they are the sandbox's
  return { sandbox, spawn: spawnConfig(argv, { stdio }, true), ...runLimits({ input, timeout, maxBuffer }) };
}
