/**
 * The container process (`umlts-oci --internal-init STATEDIR`): the host
 * process whose pid is the container's. `create` starts it detached; it
 * joins the engine's namespaces, boots the container's umlts kernel (a
 * library Sandbox: the kernel in a worker thread of this process), tells
 * `create` it is ready on fd 3, and waits on exec.fifo for `start`. Then
 * it runs the program as the sandbox's init, forwards the signals it gets
 * (`kill`) to it, serves `exec` on ctl.sock, and exits with its status
 * (128+N for a signal N), as the engines' shims expect of runc's init.
 *
 * SIGKILL to this process ends the kernel's thread, and every guest host
 * process dies with its tracer (PTRACE_O_EXITKILL, PR_SET_PDEATHSIG).
 */
import { readFileSync, writeSync, closeSync, openSync, readlinkSync, unlinkSync, constants as fsc, lstatSync } from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { join, posix } from 'node:path';
import { constants as osConstants } from 'node:os';
import { Sandbox, UmltsError } from '../index.js';
import type { MountOption } from '../index.js';
import { spawnConfig } from '../lib/options.js';
import type { GuestProcess } from '../lib/sandbox.js';
import * as hoci from '../host/oci.js';
import * as host from '../host/libc.js';
import { SIGNAL_NAMES } from '../abi/signal.js';
import { O_PATH, O_DIRECTORY, O_CLOEXEC, O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } from '../abi/fcntl.js';
import type { Plan } from './config.js';

/** Signals this process passes on to the guest's init (SIGKILL and SIGSTOP cannot be caught). */
const FORWARD: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGPWR' as NodeJS.Signals];

function statusCode(s: { exitCode: number | null; signal: NodeJS.Signals | null }): number {
  if (s.signal === null) return s.exitCode ?? 0;
  const n = Number(Object.entries(SIGNAL_NAMES).find(([, name]) => name === s.signal)?.[0] ?? 9);
  return 128 + n;
}

/** The program, looked up as execvp would, on the host side of the rootfs: exists at all? (exec errors are clearer here than after start) */
function programExists(plan: Plan): boolean {
  const prog = plan.argv[0]!;
  const env = plan.options.env ?? {};
  const cands = prog.includes('/')
    ? [posix.resolve(plan.options.cwd ?? '/', prog)]
    : (env.PATH ?? '/usr/bin:/bin').split(':').map((d) => posix.join(d || '/', prog));
  for (const c of cands) {
    // a program under a bind mount is the mount's
    const m = (plan.options.mounts as MountOption[]).find((mm) => c === mm.guest || c.startsWith(mm.guest + '/'));
    const hostPath = m ? join(m.host, c.slice(m.guest.length)) : join(plan.rootfs, c);
    try {
      lstatSync(hostPath);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

/**
 * The engine's file bind mounts (/etc/hosts, /etc/resolv.conf,
 * /etc/hostname...): written into the writable rootfs, owned by root as a
 * bind mount's file would be. Resolved inside the rootfs (openat2
 * RESOLVE_IN_ROOT): an image's symlinks cannot point the write at the
 * host. A file whose directory the image lacks is left out.
 */
function copyFiles(plan: Plan): void {
  if (Object.keys(plan.files).length === 0) return;
  const root = host.openat(host.AT_FDCWD, plan.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (root < 0) throw new Error(`${plan.rootfs}: errno ${-root}`);
  try {
    for (const [path, b64] of Object.entries(plan.files)) {
      const fd = host.openat2(root, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644, host.RESOLVE_IN_ROOT | host.RESOLVE_NO_MAGICLINKS);
      if (fd < 0) continue;
      try {
        host.write(fd, Buffer.from(b64, 'base64'));
      } finally {
        host.close(fd);
      }
    }
  } finally {
    host.close(root);
  }
}

/**
 * process.cwd made if the writable root lacks it, as runc does: each
 * directory resolved inside the rootfs (RESOLVE_IN_ROOT), each missing one
 * made by name in its parent. A read-only root is left as it is.
 */
function makeCwd(plan: Plan): void {
  const cwd = plan.options.cwd;
  if (!cwd || !plan.options.rw || (plan.options.mounts as MountOption[]).some((m) => cwd === m.guest || cwd.startsWith(m.guest + '/'))) return;
  let parent = host.openat(host.AT_FDCWD, plan.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (parent < 0) return;
  try {
    let prefix = '';
    for (const name of cwd.split('/').filter((p) => p && p !== '.')) {
      if (name === '..') return;
      prefix += '/' + name;
      let fd = host.openat2(parent, name, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, host.RESOLVE_IN_ROOT);
      if (fd === -2 /* ENOENT */) {
        if (host.mkdirat(parent, name, 0o755) < 0) return;
        fd = host.openat2(parent, name, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, host.RESOLVE_IN_ROOT);
      }
      if (fd < 0) return;
      host.close(parent);
      parent = fd;
    }
  } finally {
    host.close(parent);
  }
}

export async function containerInit(dir: string): Promise<number> {
  const ready = (line: string): void => {
    try {
      writeSync(3, line + '\n');
      closeSync(3);
    } catch {
      // create is gone: nobody to tell
    }
  };
  let plan: Plan;
  let sb: Sandbox;
  try {
    plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan;
    for (const [res, soft, hard] of plan.rlimits) {
      try {
        hoci.setrlimit(res, soft, hard);
      } catch {
        // above what the host allows (RLIMIT_NOFILE past fs.nr_open): the host's own limit stands, as with a capped runc
      }
    }
    // namespaces are per thread: joined here, before the kernel's worker thread exists, which inherits them
    if (plan.netns) hoci.setnsPath(plan.netns, hoci.CLONE_NEWNET);
    if (plan.utsns) hoci.setnsPath(plan.utsns, hoci.CLONE_NEWUTS);
    else if (plan.hostname) {
      hoci.unshare(hoci.CLONE_NEWUTS);
      hoci.sethostname(plan.hostname);
    }
    if (!programExists(plan)) throw new Error(`exec: "${plan.argv[0]}": executable file not found in $PATH`);
    copyFiles(plan);
    makeCwd(plan);
    // the pty becomes this session's controlling terminal (create made us a session leader), as runc's
    // console: a resize's SIGWINCH and a hangup's SIGHUP reach the kernel's terminal (its relay is in our group)
    if (plan.terminal && host.isatty(0)) closeSync(openSync(readlinkSync('/proc/self/fd/0'), 'r+'));
    // the environment is the config's alone (plan.json cannot carry the undefined that removes umlts's PATH and TERM)
    // UMLTS_OCI_STRACE=1 in the runtime's environment: every guest syscall on the container's stderr (debugging)
    const seccomp = plan.seccomp ? { program: new Uint8Array(Buffer.from(plan.seccomp.program, 'base64')), flags: plan.seccomp.flags } : undefined;
    sb = new Sandbox({
      ...plan.options, seccomp, strace: process.env.UMLTS_OCI_STRACE === '1', env: { PATH: undefined, TERM: undefined, ...plan.options.env },
    });
    await sb.ready;
  } catch (e) {
    ready(`error ${e instanceof UmltsError || e instanceof Error ? e.message : String(e)}`);
    return 1;
  }

  // exec: a second process in the same kernel, with the caller's stdio fds (SCM_RIGHTS)
  const ctl = createServer({ pauseOnConnect: true }, (conn) => serveExec(sb, conn));
  // by a relative name from the state directory: a socket path has at most 107 bytes, a state path need not
  process.chdir(dir);
  const listening = await new Promise<string | null>((res) => {
    ctl.once('error', (e) => res(e.message));
    ctl.listen('ctl.sock', () => res(null));
  });
  ctl.on('error', () => {});
  if (listening !== null) {
    ready(`error control socket ${join(dir, 'ctl.sock')}: ${listening}`);
    await sb.close();
    return 1;
  }

  let init: GuestProcess | null = null;
  let early: number | null = null;
  for (const sig of FORWARD) {
    process.on(sig, () => {
      if (init) init.kill(sig);
      else early ??= 128 + (osConstants.signals[sig] ?? 15);
    });
  }
  ready('ok');

  // created: wait for start (runc's exec.fifo)
  const fifo = join(dir, 'exec.fifo');
  const fh = await openAsync(fifo, fsc.O_WRONLY);
  await fh.write('0');
  await fh.close();
  if (early !== null) {
    await sb.close();
    return early;
  }
  const p = sb.spawnConfig(spawnConfig(plan.argv, { stdio: 'inherit', cwd: plan.options.cwd }, true));
  init = p;
  let code: number;
  try {
    code = statusCode(await p.exited);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`umlts-oci: ${msg}\n`);
    code = 'errno' in (e as object) && (e as { errno?: number }).errno === 13 ? 126 : 127;
  }
  await sb.close();
  ctl.close();
  try {
    unlinkSync(join(dir, 'ctl.sock'));
  } catch {
    // gone
  }
  return code;
}

/**
 * One exec: the client's message is JSON {args, env, cwd, tty} with its three
 * stdio fds; answered with lines "pid N", then "exit STATUS". The client
 * may send "kill SIG" lines meanwhile.
 */
function serveExec(sb: Sandbox, conn: Socket): void {
  const fd = (conn as unknown as { _handle: { fd: number } })._handle.fd;
  let got: { data: Buffer; fds: number[] } | number = -11;
  for (let i = 0; i < 500 && got === -11; i++) {
    host.poll1(fd, 1, 10);
    got = hoci.recvFds(fd, 1 << 20, hoci.MSG_DONTWAIT);
  }
  if (typeof got === 'number') {
    conn.destroy();
    return;
  }
  const fds = got.fds;
  const closeFds = (): void => {
    for (const f of fds.splice(0)) hoci.closeFd(f);
  };
  let p: GuestProcess;
  try {
    const req = JSON.parse(got.data.toString()) as { args: string[]; env?: Record<string, string | undefined>; cwd?: string; tty?: boolean };
    const stdio = fds.length >= 3 ? ([fds[0]!, fds[1]!, fds[2]!] as [number, number, number]) : 'ignore';
    // a terminal: the process's own (a session whose controlling terminal it is), as runc gives an exec --tty
    p = sb.spawn(req.args, { env: req.env, cwd: req.cwd, stdio, tty: req.tty === true && stdio !== 'ignore' && host.isatty(fds[0]!) });
  } catch (e) {
    closeFds();
    conn.end(`error ${e instanceof Error ? e.message : String(e)}\n`);
    return;
  }
  p.once('spawn', () => {
    closeFds();
    conn.write(`pid ${p.pid}\n`);
  });
  conn.setEncoding('utf8');
  let buf = '';
  conn.on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const m = /^kill (\d+)$/.exec(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (m) p.kill(Number(m[1]));
    }
  });
  conn.on('error', () => {});
  conn.resume();
  p.exited.then(
    (s) => conn.end(`exit ${statusCode(s)}\n`),
    (e: unknown) => {
      closeFds();
      conn.end(`error ${e instanceof Error ? e.message : String(e)}\n`);
    },
  );
}
