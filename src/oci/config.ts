/**
 * A bundle's config.json (the OCI runtime spec, config.md and
 * config-linux.md) turned into what the container process needs: the
 * library's SandboxOptions, the program, and what the runtime does on the
 * host (namespaces, hostname, rlimits, hooks). Plain data: it is written to
 * the state directory by `create` and read by the container process.
 *
 * What umlts gives every guest anyway (its own pids, mounts, IPC, users) is
 * what the namespaces entries ask. process.capabilities are the guest's
 * (its kernel keeps and checks them), and so is linux.seccomp (compiled to
 * a filter its processes start under: seccomp.ts). Fields with no meaning
 * here (apparmor, devices, cgroup paths) are ignored, as
 * runc ignores what it does not need. /proc, /sys, /dev, /dev/pts,
 * /dev/shm and /tmp are the kernel's own: those mounts are accepted as
 * they are.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, posix } from 'node:path';
import type { SandboxOptions, MountOption } from '../index.js';
import { OciError } from './errors.js';
import { CAP_NAMES } from '../abi/capability.js';
import { compileSeccomp } from './seccomp.js';

/** One OCI hook: run on the host with the state on stdin. */
export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

/** What `create` hands the container process (state dir's plan.json). */
export interface Plan {
  argv: string[];
  /** the library's options for the container's kernel (but its seccomp: below) */
  options: SandboxOptions & { mounts: MountOption[] };
  /** linux.seccomp compiled (seccomp.ts): the program in base64 (plan.json is JSON), SECCOMP_SET_MODE_FILTER's flags */
  seccomp: { program: string; flags: number } | null;
  /** files bind-mounted by the engine (/etc/hosts, /etc/resolv.conf...), copied into the guest's view: base64 by guest path */
  files: Record<string, string>;
  terminal: boolean;
  /** setns into this network namespace first (host sockets live there) */
  netns: string | null;
  /** setns into this UTS namespace, or make one with `hostname` */
  utsns: string | null;
  hostname: string | null;
  /** [resource number, soft, hard] set on the container process (the guest inherits them) */
  rlimits: Array<[number, number, number]>;
  hooks: Hooks;
  annotations: Record<string, string>;
  rootfs: string;
}

const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5, RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10, RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

/** Mount types the kernel provides itself (or that mean nothing to it): accepted, not mounted again. */
const KERNEL_FS = new Set(['proc', 'sysfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2', 'securityfs', 'debugfs', 'devtmpfs']);
/** Guest paths that are the kernel's own mounts. */
const KERNEL_PATHS = new Set(['/proc', '/sys', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/tmp', '/sys/fs/cgroup']);

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function strings(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new OciError(`config.json: ${what} must be an array of strings`);
  return v as string[];
}

function hooksOf(v: unknown): Hooks {
  if (!isObj(v)) return {};
  const out: Hooks = {};
  for (const kind of ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const) {
    const list = v[kind];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new OciError(`config.json: hooks.${kind} must be an array`);
    out[kind] = list.map((h, i) => {
      if (!isObj(h) || typeof h.path !== 'string' || !isAbsolute(h.path)) throw new OciError(`config.json: hooks.${kind}[${i}].path must be an absolute path`);
      return { path: h.path, args: strings(h.args, `hooks.${kind}[${i}].args`), env: strings(h.env, `hooks.${kind}[${i}].env`),
        timeout: typeof h.timeout === 'number' ? h.timeout : undefined };
    });
  }
  return out;
}

/** Read and check a bundle's config.json. Throws OciError (one line). */
export function loadPlan(bundle: string): Plan {
  const file = join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OciError(code === 'ENOENT' ? `${file}: no such file (is ${bundle} a bundle?)` : `${file}: ${code ?? String(e)}`);
  }
  let c: unknown;
  try {
    c = JSON.parse(text);
  } catch (e) {
    throw new OciError(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  if (!isObj(c)) throw new OciError(`${file}: not a JSON object`);
  const p = c.process;
  if (!isObj(p)) throw new OciError('config.json: no process');
  const argv = strings(p.args, 'process.args');
  if (argv.length === 0 || argv[0] === '') throw new OciError('config.json: process.args is empty');
  if (!isObj(c.root) || typeof c.root.path !== 'string') throw new OciError('config.json: no root.path');
  const rootfs = resolve(bundle, c.root.path);
  try {
    if (!statSync(rootfs).isDirectory()) throw new Error();
  } catch {
    throw new OciError(`root.path ${rootfs}: not a directory`);
  }

  // the environment is the config's, not umlts's defaults (HOME stays the user's when unset): init.ts removes PATH and TERM
  const env: Record<string, string | undefined> = {};
  for (const kv of strings(p.env, 'process.env')) {
    const i = kv.indexOf('=');
    if (i <= 0) continue;
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }

  let user: string | undefined;
  if (isObj(p.user)) {
    const uid = typeof p.user.uid === 'number' ? p.user.uid : 0;
    const gid = typeof p.user.gid === 'number' ? p.user.gid : 0;
    user = `${uid}:${gid}`;
  }

  const rlimits: Plan['rlimits'] = [];
  for (const r of Array.isArray(p.rlimits) ? p.rlimits : []) {
    if (!isObj(r) || typeof r.type !== 'string' || !(r.type in RLIMITS)) throw new OciError(`config.json: bad rlimit ${JSON.stringify(r)}`);
    rlimits.push([RLIMITS[r.type]!, Number(r.soft), Number(r.hard)]);
  }

  // mounts: host directories as hostfs mounts; files (podman's /etc/hosts...) copied in when the root is writable
  const mounts: MountOption[] = [];
  const files: Record<string, string> = {};
  const tmpfs: string[] = [];
  const readonly = c.root.readonly === true;
  for (const [i, m] of (Array.isArray(c.mounts) ? c.mounts : []).entries()) {
    if (!isObj(m) || typeof m.destination !== 'string') throw new OciError(`config.json: mounts[${i}] has no destination`);
    const dest = posix.normalize(m.destination.startsWith('/') ? m.destination : '/' + m.destination);
    const type = typeof m.type === 'string' ? m.type : '';
    const opts = strings(m.options, `mounts[${i}].options`);
    const isBind = type === 'bind' || type === 'rbind' || opts.includes('bind') || opts.includes('rbind');
    if (!isBind) {
      if (KERNEL_FS.has(type)) continue; // proc, sysfs, devpts, mqueue, cgroup: the kernel's own mounts stand for them
      // a tmpfs elsewhere (podman's --tmpfs, /run): one of the guest's own, with the mode its options give
      if (type === 'tmpfs' && !KERNEL_PATHS.has(dest) && dest !== '/') {
        const mode = opts.find((o) => /^mode=[0-7]{1,4}$/.test(o));
        tmpfs.push(mode ? `${dest}:${mode}` : dest);
      }
      continue;
    }
    if (typeof m.source !== 'string') throw new OciError(`config.json: mounts[${i}] (${dest}) has no source`);
    const src = resolve(bundle, m.source);
    let st;
    try {
      st = statSync(src);
    } catch {
      throw new OciError(`mount ${src} on ${dest}: no such file or directory`);
    }
    if (KERNEL_PATHS.has(dest) || dest === '/') continue;
    if (st.isDirectory()) {
      mounts.push({ host: src, guest: dest, ro: opts.includes('ro') });
    } else if (st.isFile() && !readonly) {
      files[dest] = readFileSync(src).toString('base64');
    }
  }

  let netns: string | null = null, utsns: string | null = null, net: 'none' | 'host' = 'host';
  const linux = isObj(c.linux) ? c.linux : {};
  for (const ns of Array.isArray(linux.namespaces) ? linux.namespaces : []) {
    if (!isObj(ns)) continue;
    const path = typeof ns.path === 'string' && ns.path !== '' ? ns.path : null;
    if (ns.type === 'network') {
      // a path: the engine's namespace, whose sockets the guest's are; none: a namespace of its own, the private loopback
      netns = path;
      net = path ? 'host' : 'none';
    }
    if (ns.type === 'uts') utsns = path;
  }

  const options: Plan['options'] = { root: rootfs, rw: !readonly, mounts, tmpfs, env, net, log: 'stderr', terminal: p.terminal === true };
  if (typeof p.cwd === 'string' && p.cwd !== '') options.cwd = p.cwd;
  if (user) options.user = user;
  if (p.noNewPrivileges === true) options.noNewPrivileges = true;
  const compiled = compileSeccomp(linux.seccomp);
  const seccomp = compiled && { program: Buffer.from(compiled.program).toString('base64'), flags: compiled.flags };
  if (isObj(p.capabilities)) {
    // each set as given; a name this kernel does not know is left out, as runc leaves out what its kernel lacks
    const sets: Record<string, string[]> = {};
    for (const k of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient']) {
      sets[k] = strings(p.capabilities[k] ?? [], `process.capabilities.${k}`).filter((n) => CAP_NAMES.includes(n.toUpperCase()));
    }
    options.capabilities = sets;
  }
  const res = isObj(linux.resources) ? linux.resources : {};
  if (isObj(res.memory) && typeof res.memory.limit === 'number' && res.memory.limit > 0) {
    options.memory = Math.min(Math.max(res.memory.limit, 64 << 20), 2 ** 40);
  }
  if (isObj(res.cpu)) {
    const quota = Number(res.cpu.quota), period = Number(res.cpu.period) || 100000;
    if (quota > 0) options.cpus = Math.min(64, Math.max(1, Math.ceil(quota / period)));
    else if (typeof res.cpu.cpus === 'string' && res.cpu.cpus !== '') options.cpus = Math.min(64, Math.max(1, cpusetCount(res.cpu.cpus)));
  }
  const annotations: Record<string, string> = {};
  if (isObj(c.annotations)) for (const [k, v] of Object.entries(c.annotations)) if (typeof v === 'string') annotations[k] = v;
  return {
    argv, options, files, terminal: p.terminal === true, netns, utsns,
    hostname: typeof c.hostname === 'string' && c.hostname !== '' ? c.hostname : null,
    rlimits, hooks: hooksOf(c.hooks), annotations, rootfs, seccomp,
  };
}

/** "0-3,5" -> 5 */
function cpusetCount(s: string): number {
  let n = 0;
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : Math.max(0, b - a! + 1);
  }
  return n || 1;
}

/** runc's `spec`: a config.json for a rootfs directory beside it, running `sh` on a terminal. */
export function defaultSpec(): Json {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      // runc spec's
      capabilities: {
        bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        ambient: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      },
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'umlts',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    },
  };
}
