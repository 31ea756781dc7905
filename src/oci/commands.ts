/**
 * umlts-oci's commands, with the command line runc has and that containerd's
 * shim (go-runc) and podman's conmon use: global --root, --log,
 * --log-format, --systemd-cgroup; create, start, state, kill, delete, run,
 * exec, ps, list, features, spec. Flags as urfave/cli takes them: one or
 * two dashes, `--flag value` or `--flag=value`.
 *
 * Every failure is one line on stderr (and, with --log, a log entry in
 * runc's format, where the shims look for the last error) and exit 1.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync, openSync, readSync, closeSync, unlinkSync, appendFileSync, readFileSync, constants as fsc } from 'node:fs';
import { join, resolve } from 'node:path';
import { constants as osConstants, userInfo } from 'node:os';
import { Socket } from 'node:net';
import { PKG_ROOT } from '../host/paths.js';
import * as host from '../host/libc.js';
import * as hoci from '../host/oci.js';
import { OciError } from './errors.js';
import { loadPlan, defaultSpec, Plan } from './config.js';
import { runHooks } from './hooks.js';
import { load, stateDir, statusOf, stateJson, writeAtomic, procStart, ids, Saved, OCI_VERSION, validId } from './state.js';
import { CAP_NAMES } from '../abi/capability.js';

/** The global options. */
export interface Globals {
  root: string;
  log: string | null;
  logFormat: 'text' | 'json';
}

/** This runtime's own entry (the bundle), which the container and exec helpers run again. */
const SELF = process.argv[1]!;

export function version(): string {
  try {
    return (JSON.parse(readFileSync(join(PKG_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** One line to the --log file, in runc's format (logrus text or JSON). */
export function logLine(g: Globals, level: 'error' | 'warning' | 'info', msg: string): void {
  if (!g.log) return;
  const time = new Date().toISOString();
  const line = g.logFormat === 'json' ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try {
    appendFileSync(g.log, line + '\n');
  } catch {
    // no log then
  }
}

// ---- command-line parsing -----------------------------------------------------------

interface FlagSpec {
  /** names without dashes; the first is the key */
  names: string[];
  value: boolean;
  repeat?: boolean;
}
type Parsed = { flags: Map<string, string[]>; rest: string[] };

/** urfave/cli-style flags up to the first positional (or `--`); later ones too when `interleave`. */
function parseFlags(cmd: string, argv: string[], specs: FlagSpec[], stopAtPositional: boolean): Parsed {
  const flags = new Map<string, string[]>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      rest.push(a);
      if (stopAtPositional) {
        rest.push(...argv.slice(i + 1));
        break;
      }
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = specs.find((s) => s.names.includes(name));
    if (!spec) throw new OciError(`${cmd}: unknown flag '${a}' (try umlts-oci --help)`, 2);
    let v = 'true';
    if (spec.value) {
      if (eq >= 0) v = body.slice(eq + 1);
      else if (i + 1 < argv.length) v = argv[++i]!;
      else throw new OciError(`${cmd}: flag ${a} needs a value`, 2);
    } else if (eq >= 0) v = body.slice(eq + 1);
    const key = spec.names[0]!;
    if (spec.repeat) flags.set(key, [...(flags.get(key) ?? []), v]);
    else flags.set(key, [v]);
  }
  return { flags, rest };
}
const one = (p: Parsed, k: string): string | undefined => p.flags.get(k)?.[0];
const on = (p: Parsed, k: string): boolean => {
  const v = one(p, k);
  return v !== undefined && v !== 'false';
};

function needId(cmd: string, p: Parsed, max = 1): string {
  if (p.rest.length === 0) throw new OciError(`${cmd}: no container id given`, 2);
  if (p.rest.length > max) throw new OciError(`${cmd}: unexpected argument '${p.rest[max]}'`, 2);
  const id = p.rest[0]!;
  if (!validId(id)) throw new OciError(`invalid container id '${id}'`);
  return id;
}

const CREATE_FLAGS: FlagSpec[] = [
  { names: ['bundle', 'b'], value: true },
  { names: ['pid-file'], value: true },
  { names: ['console-socket'], value: true },
  { names: ['no-pivot'], value: false },
  { names: ['no-new-keyring'], value: false },
  { names: ['preserve-fds'], value: true },
  { names: ['no-subreaper'], value: false },
];

// ---- signals ---------------------------------------------------------------------------

/** 'TERM', 'SIGTERM', '15' -> 15. */
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
    const n = (osConstants.signals as Record<string, number>)[name];
    if (n !== undefined) return n;
  }
  throw new OciError(`unknown signal '${s}'`);
}

// ---- create, start, run ------------------------------------------------------------------

/** Read a line from the container process's fd 3 ("ok" or "error MESSAGE"), or its early death. */
function readyLine(child: ChildProcess): Promise<string> {
  return new Promise((res) => {
    let buf = '';
    const pipe = child.stdio[3] as Socket;
    pipe.setEncoding('utf8');
    // a kernel that cannot boot in this long is stuck: create fails (and kills it) rather than hang the engine
    const timer = setTimeout(() => done('error the container process was not ready after 120 s'), 120_000);
    const done = (line: string): void => {
      clearTimeout(timer);
      pipe.removeAllListeners('data');
      child.removeListener('exit', onExit);
      pipe.destroy();
      res(line);
    };
    const onExit = (code: number | null, sig: string | null): void => done(`error the container process ended (${sig ?? `status ${code}`}) before it was ready`);
    pipe.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) done(buf.slice(0, i));
    });
    pipe.on('error', () => {});
    child.on('exit', onExit);
  });
}

/** Send a pty master to the engine's console socket (runc's protocol: one message, the fd as SCM_RIGHTS, the pty's name as data). */
function sendConsole(sockPath: string, master: number, name: string): void {
  let sock: number;
  try {
    sock = hoci.connectUnix(resolve(sockPath));
  } catch (e) {
    throw new OciError(`console socket ${sockPath}: ${(e as Error).message}`);
  }
  try {
    hoci.sendFds(sock, Buffer.from(name), [master]);
  } finally {
    hoci.closeFd(sock);
  }
}

/** A new pty: its master to the console socket, its slave returned (the guest's terminal). */
function consolePty(sockPath: string | undefined, what: string): number {
  if (!sockPath) throw new OciError(`${what}: process.terminal needs --console-socket (where the pty master goes)`);
  const pty = hoci.openpty();
  try {
    sendConsole(sockPath, pty.master, pty.name);
  } catch (e) {
    hoci.closeFd(pty.slave);
    throw e;
  } finally {
    hoci.closeFd(pty.master);
  }
  return pty.slave;
}

async function create(g: Globals, p: Parsed, id: string): Promise<{ child: ChildProcess; dir: string; saved: Saved; plan: Plan }> {
  const bundle = resolve(one(p, 'bundle') ?? '.');
  const plan = loadPlan(bundle);
  const dir = stateDir(g.root, id);
  mkdirSync(g.root, { recursive: true, mode: 0o711 });
  try {
    mkdirSync(dir, { mode: 0o711 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new OciError(`container with id ${id} already exists`);
    throw new OciError(`${dir}: ${(e as NodeJS.ErrnoException).code}`);
  }
  let child: ChildProcess | null = null;
  try {
    writeAtomic(join(dir, 'plan.json'), JSON.stringify(plan));
    const mk = host.mknodat(host.AT_FDCWD, join(dir, 'exec.fifo'), 0o010600, 0);
    if (mk < 0) throw new OciError(`mkfifo ${join(dir, 'exec.fifo')}: errno ${-mk}`);
    let stdio: Array<number | 'inherit' | 'pipe'> = ['inherit', 'inherit', 'inherit', 'pipe'];
    let slave = -1;
    if (plan.terminal) {
      slave = consolePty(one(p, 'console-socket'), 'create');
      stdio = [slave, slave, slave, 'pipe'];
    }
    child = spawn(process.execPath, [SELF, '--internal-init', dir], { detached: true, stdio, env: process.env });
    if (slave >= 0) hoci.closeFd(slave);
    const line = await readyLine(child);
    if (line !== 'ok') throw new OciError(line.replace(/^error /, ''));
    const pid = child.pid!;
    const saved: Saved = {
      ociVersion: OCI_VERSION, id, pid, starttime: procStart(pid) ?? '', bundle, rootfs: plan.rootfs,
      created: new Date().toISOString(), owner: userInfo().username, annotations: plan.annotations,
    };
    writeAtomic(join(dir, 'state.json'), JSON.stringify(saved));
    const st = stateJson(saved, 'created');
    runHooks('prestart', plan.hooks.prestart, st);
    runHooks('createRuntime', plan.hooks.createRuntime, st);
    runHooks('createContainer', plan.hooks.createContainer, st);
    const pidFile = one(p, 'pid-file');
    if (pidFile) writeAtomic(resolve(pidFile), String(pid));
    return { child, dir, saved, plan };
  } catch (e) {
    if (child?.pid) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone
      }
      // a failed create leaves nothing: its guest host processes die once the
      // container process has exited (PDEATHSIG, EXITKILL), which on a loaded
      // host can take seconds after the SIGKILL (the exit frees its memory)
      await exited(child, 30_000);
    }
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Resolves once child has exited and been reaped, or after ms. */
function exited(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const timer = setTimeout(res, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      res();
    });
  });
}

function start(g: Globals, id: string): void {
  const { dir, saved } = load(g.root, id);
  const status = statusOf(dir, saved);
  if (status !== 'created') throw new OciError(`cannot start a container that is ${status}`);
  const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan;
  runHooks('startContainer', plan.hooks.startContainer, stateJson(saved, 'created'));
  const fifo = join(dir, 'exec.fifo');
  // non-blocking: a container process that died meanwhile must not hang start
  const fd = openSync(fifo, fsc.O_RDONLY | fsc.O_NONBLOCK);
  try {
    const deadline = Date.now() + 10000;
    let n = 0;
    while (n === 0 && Date.now() < deadline) {
      host.poll1(fd, 1, 100);
      try {
        n = readSync(fd, Buffer.alloc(1));
      } catch {
        n = 0; // EAGAIN
      }
      if (n === 0 && procStart(saved.pid) !== saved.starttime) break;
    }
    if (n === 0) throw new OciError(`cannot start container ${id}: its process is gone`);
  } finally {
    closeSync(fd);
    unlinkSync(fifo);
  }
  try {
    runHooks('poststart', plan.hooks.poststart, stateJson(saved, 'running'));
  } catch (e) {
    logLine(g, 'warning', (e as Error).message);
  }
}

/** Wait up to ms for the container process to be gone. */
async function waitGone(saved: Saved, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (procStart(saved.pid) === saved.starttime) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

async function del(g: Globals, id: string, force: boolean): Promise<void> {
  let loaded;
  try {
    loaded = load(g.root, id);
  } catch (e) {
    // runc: delete --force of a container that does not exist succeeds
    if (force) return;
    throw e;
  }
  const { dir, saved } = loaded;
  const status = statusOf(dir, saved);
  if (status !== 'stopped') {
    // as runc: a created container (nothing started) is torn down; a running one only with --force
    if (!force && status === 'running') throw new OciError(`cannot delete container ${id} that is not stopped: ${status}`);
    try {
      process.kill(saved.pid, 'SIGKILL');
    } catch {
      // gone
    }
    if (!(await waitGone(saved, 10000))) throw new OciError(`container ${id}: its process ${saved.pid} did not end`);
  }
  try {
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan;
    runHooks('poststop', plan.hooks.poststop, stateJson(saved, 'stopped'));
  } catch (e) {
    logLine(g, 'warning', (e as Error).message);
  }
  rmSync(dir, { recursive: true, force: true });
}

function kill(g: Globals, id: string, sigArg: string | undefined): void {
  const { dir, saved } = load(g.root, id);
  const sig = parseSignal(sigArg ?? 'SIGTERM');
  const status = statusOf(dir, saved);
  if (status === 'stopped') throw new OciError(`container ${id} is not running`);
  // a created container has no program to signal yet: only SIGKILL (to tear it down) is taken
  if (status === 'created' && sig !== 9) throw new OciError(`container ${id} is created, not started: only SIGKILL can end it`);
  try {
    process.kill(saved.pid, sig);
  } catch (e) {
    throw new OciError(`kill ${id}: ${(e as NodeJS.ErrnoException).code}`);
  }
}

// ---- exec ----------------------------------------------------------------------------------

/** An exec'd process, as sent to the container process. */
interface ExecRequest {
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** the stdio fds are a new pty: the process's own terminal */
  tty?: boolean;
}

/**
 * The client side of exec: connect to ctl.sock, send the request with fds
 * 0-2, then relay: "pid N" (onStarted), "exit STATUS" (resolves), signals
 * this process gets are sent on as "kill SIG".
 */
export function execClient(dir: string, req: ExecRequest, fds: number[], onStarted: (pid: number) => void): Promise<number> {
  let sock: number;
  const path = join(dir, 'ctl.sock');
  try {
    if (Buffer.byteLength(path) < 108) sock = hoci.connectUnix(path);
    else {
      const cwd = process.cwd();
      process.chdir(dir); // a long state path: connect by a relative name
      try {
        sock = hoci.connectUnix('ctl.sock');
      } finally {
        process.chdir(cwd);
      }
    }
    hoci.sendFds(sock, Buffer.from(JSON.stringify(req)), fds);
  } catch (e) {
    throw new OciError(`exec: cannot reach the container: ${(e as Error).message}`);
  }
  return new Promise((res, rej) => {
    const s = new Socket({ fd: sock, readable: true, writable: true });
    s.setEncoding('utf8');
    let buf = '', started = false;
    const forward = (sig: NodeJS.Signals): void => void s.write(`kill ${osConstants.signals[sig]}\n`);
    const sigs: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
    for (const sig of sigs) process.on(sig, forward);
    const end = (f: () => void): void => {
      for (const sig of sigs) process.removeListener(sig, forward);
      s.destroy();
      f();
    };
    s.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('pid ')) {
          started = true;
          onStarted(Number(line.slice(4)));
        } else if (line.startsWith('exit ')) return end(() => res(Number(line.slice(5))));
        else if (line.startsWith('error ')) return end(() => rej(new OciError(`exec: ${line.slice(6)}`, started ? 1 : 127)));
      }
    });
    s.on('error', () => {});
    s.on('close', () => end(() => rej(new OciError('exec: the container ended'))));
  });
}

const EXEC_FLAGS: FlagSpec[] = [
  { names: ['process', 'p'], value: true },
  { names: ['tty', 't'], value: false },
  { names: ['console-socket'], value: true },
  { names: ['detach', 'd'], value: false },
  { names: ['pid-file'], value: true },
  { names: ['cwd'], value: true },
  { names: ['env', 'e'], value: true, repeat: true },
  { names: ['user', 'u'], value: true },
  { names: ['additional-gids', 'g'], value: true, repeat: true },
  { names: ['preserve-fds'], value: true },
  { names: ['process-label'], value: true },
  { names: ['apparmor'], value: true },
  { names: ['no-new-privs'], value: false },
  { names: ['cap', 'c'], value: true, repeat: true },
  { names: ['ignore-paused'], value: false },
  { names: ['cgroup'], value: true },
];

async function exec(g: Globals, argv: string[]): Promise<number> {
  const p = parseFlags('exec', argv, EXEC_FLAGS, true);
  if (p.rest.length === 0) throw new OciError('exec: no container id given', 2);
  const id = p.rest[0]!;
  const { dir, saved } = load(g.root, id);
  const status = statusOf(dir, saved);
  if (status !== 'running') throw new OciError(`cannot exec in a container that is ${status}`);

  let tty = on(p, 'tty');
  const envList = [...(p.flags.get('env') ?? [])];
  let cwd = one(p, 'cwd');
  const file = one(p, 'process');
  let args = p.rest.slice(1);
  if (file) {
    let spec: { args?: string[]; env?: string[]; cwd?: string; terminal?: boolean };
    try {
      spec = JSON.parse(readFileSync(file, 'utf8')) as typeof spec;
    } catch (e) {
      throw new OciError(`exec: --process ${file}: ${(e as Error).message}`);
    }
    args = spec.args ?? [];
    envList.unshift(...(spec.env ?? []));
    cwd ??= spec.cwd;
    tty ||= spec.terminal === true;
  }
  if (args.length === 0) throw new OciError('exec: no program given (ARGS or --process)', 2);
  const env: Record<string, string> = {};
  for (const kv of envList) if (kv.indexOf('=') > 0) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  const req: ExecRequest = { args, env, cwd: cwd || undefined, tty };
  let fds = [0, 1, 2];
  let slave = -1;
  if (tty) {
    slave = consolePty(one(p, 'console-socket'), 'exec');
    fds = [slave, slave, slave];
  }
  const pidFile = one(p, 'pid-file');
  if (on(p, 'detach')) {
    // a helper holds the connection: its pid is the exec'd process's for the engine, and it exits with its status
    const stdio: Array<number | 'inherit' | 'pipe'> = tty ? [slave, slave, slave, 'pipe'] : ['inherit', 'inherit', 'inherit', 'pipe'];
    const child = spawn(process.execPath, [SELF, '--internal-exec', dir, JSON.stringify(req)], { detached: true, stdio });
    if (slave >= 0) hoci.closeFd(slave);
    const line = await readyLine(child);
    if (line !== 'ok') throw new OciError(line.replace(/^error /, ''));
    if (pidFile) writeAtomic(resolve(pidFile), String(child.pid));
    child.unref();
    return 0;
  }
  if (pidFile) writeAtomic(resolve(pidFile), String(process.pid));
  try {
    return await execClient(dir, req, fds, () => {});
  } finally {
    if (slave >= 0) hoci.closeFd(slave);
  }
}

/** The detached exec helper (`--internal-exec DIR REQUEST`): fd 3 hears "ok" once the process runs. */
export async function execHelper(dir: string, reqJson: string): Promise<number> {
  const tell = (line: string): void => {
    try {
      host.write(3, Buffer.from(line + '\n'));
      host.close(3);
    } catch {
      // nobody listens
    }
  };
  try {
    return await execClient(dir, JSON.parse(reqJson) as ExecRequest, [0, 1, 2], () => tell('ok'));
  } catch (e) {
    tell(`error ${(e as Error).message}`);
    return 127;
  }
}

// ---- the rest --------------------------------------------------------------------------------

function features(): Record<string, unknown> {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: ['bind', 'rbind', 'ro', 'rw', 'nosuid', 'nodev', 'noexec', 'private', 'rprivate'],
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'],
      capabilities: [...CAP_NAMES],
      cgroup: { v1: false, v2: false, systemd: false, systemdUser: false },
      seccomp: { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: { 'org.umlts.runtime': 'umlts-oci' },
  };
}

const HELP = `usage: umlts-oci [global options] COMMAND [options] [ID] [args...]

An OCI runtime (runc's command line) whose containers run in a umlts kernel.

global options:
  --root DIR           state directory (default /run/umlts-oci)
  --log FILE           log errors to FILE
  --log-format FORMAT  text (default) or json
  --systemd-cgroup     accepted (umlts uses no cgroups)
  -v, --version        the version
  -h, --help           this text

commands:
  create --bundle DIR [--pid-file F] [--console-socket SOCK] ID
  start ID
  state ID
  kill [--all] ID [SIGNAL]
  delete [--force] ID
  run --bundle DIR [--pid-file F] [--console-socket SOCK] [--detach] ID
  exec [--process FILE | ARGS...] [--tty] [--console-socket SOCK] [--detach] [--pid-file F] [--cwd DIR] [--env K=V] ID
  ps [--format table|json] ID
  list [--format table|json] [--quiet]
  features
  spec [--bundle DIR]`;

const GLOBAL_FLAGS: FlagSpec[] = [
  { names: ['root'], value: true },
  { names: ['log'], value: true },
  { names: ['log-format'], value: true },
  { names: ['systemd-cgroup'], value: false },
  { names: ['debug'], value: false },
  { names: ['rootless'], value: true },
  { names: ['criu'], value: true },
  { names: ['version', 'v'], value: false },
  { names: ['help', 'h'], value: false },
];

/** Run one command line; resolves with the exit status. Throws OciError (one line). */
export async function main(argv: string[], g: Globals): Promise<number> {
  const gp = parseFlags('umlts-oci', argv, GLOBAL_FLAGS, true);
  if (one(gp, 'root')) g.root = resolve(one(gp, 'root')!);
  if (one(gp, 'log')) g.log = resolve(one(gp, 'log')!);
  const lf = one(gp, 'log-format');
  if (lf !== undefined) {
    if (lf !== 'text' && lf !== 'json') throw new OciError(`bad --log-format '${lf}': text or json`, 2);
    g.logFormat = lf;
  }
  if (on(gp, 'version')) {
    process.stdout.write(`umlts-oci version ${version()}\nspec: ${OCI_VERSION}\n`);
    return 0;
  }
  if (on(gp, 'help') || gp.rest.length === 0 || gp.rest[0] === 'help') {
    process.stdout.write(HELP + '\n');
    return gp.rest.length === 0 && !on(gp, 'help') ? 2 : 0;
  }
  const [cmd, ...args] = gp.rest as [string, ...string[]];
  switch (cmd) {
    case 'create': {
      const p = parseFlags('create', args, CREATE_FLAGS, false);
      const { child } = await create(g, p, needId('create', p));
      child.unref();
      return 0;
    }
    case 'run': {
      const p = parseFlags('run', args, [...CREATE_FLAGS, { names: ['detach', 'd'], value: false }, { names: ['keep'], value: false }], false);
      const id = needId('run', p);
      const { child, saved } = await create(g, p, id);
      const exited = new Promise<number>((res) => child.on('exit', (code, sig) => res(sig ? 128 + (osConstants.signals[sig] ?? 9) : (code ?? 0))));
      start(g, id);
      if (on(p, 'detach')) {
        child.unref();
        return 0;
      }
      const fwd = (sig: NodeJS.Signals): void => {
        try {
          process.kill(saved.pid, sig);
        } catch {
          // gone
        }
      };
      const sigs: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
      for (const s of sigs) process.on(s, fwd);
      const code = await exited;
      for (const s of sigs) process.removeListener(s, fwd);
      if (!on(p, 'keep')) await del(g, id, true);
      return code;
    }
    case 'start': {
      const p = parseFlags('start', args, [], false);
      start(g, needId('start', p));
      return 0;
    }
    case 'state': {
      const p = parseFlags('state', args, [], false);
      const { dir, saved } = load(g.root, needId('state', p));
      process.stdout.write(JSON.stringify(stateJson(saved, statusOf(dir, saved)), null, 2) + '\n');
      return 0;
    }
    case 'kill': {
      const p = parseFlags('kill', args, [{ names: ['all', 'a'], value: false }, { names: ['pid'], value: true }], false);
      const id = needId('kill', p, 2);
      kill(g, id, p.rest[1]);
      return 0;
    }
    case 'delete': {
      const p = parseFlags('delete', args, [{ names: ['force', 'f'], value: false }], false);
      await del(g, needId('delete', p), on(p, 'force'));
      return 0;
    }
    case 'exec':
      return exec(g, args);
    case 'ps': {
      const p = parseFlags('ps', args, [{ names: ['format', 'f'], value: true }], false);
      const { dir, saved } = load(g.root, needId('ps', p, 64));
      const pids = statusOf(dir, saved) === 'stopped' ? [] : [saved.pid];
      if (one(p, 'format') === 'json') process.stdout.write(JSON.stringify(pids) + '\n');
      else process.stdout.write(`PID\n${pids.map((x) => `${x}\n`).join('')}`);
      return 0;
    }
    case 'list': {
      const p = parseFlags('list', args, [{ names: ['format', 'f'], value: true }, { names: ['quiet', 'q'], value: false }], false);
      const all = ids(g.root).flatMap((id) => {
        try {
          const { dir, saved } = load(g.root, id);
          return [stateJson(saved, statusOf(dir, saved))];
        } catch {
          return [];
        }
      });
      if (on(p, 'quiet')) process.stdout.write(all.map((s) => `${s.id}\n`).join(''));
      else if (one(p, 'format') === 'json') process.stdout.write(JSON.stringify(all) + '\n');
      else {
        process.stdout.write('ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n');
        for (const s of all) process.stdout.write(`${s.id}\t${s.pid}\t${s.status}\t${s.bundle}\t${s.created}\t${s.owner}\n`);
      }
      return 0;
    }
    case 'features':
      parseFlags('features', args, [], false);
      process.stdout.write(JSON.stringify(features(), null, 2) + '\n');
      return 0;
    case 'spec': {
      const p = parseFlags('spec', args, [{ names: ['bundle', 'b'], value: true }, { names: ['rootless'], value: false }], false);
      const file = join(resolve(one(p, 'bundle') ?? '.'), 'config.json');
      if (existsSync(file)) throw new OciError(`${file} exists already; remove it first`);
      writeFileSync(file, JSON.stringify(defaultSpec(), null, 2) + '\n');
      return 0;
    }
    default:
      throw new OciError(`unknown command '${cmd}' (try umlts-oci --help)`, 2);
  }
}
