#!/usr/bin/env node
/**
 * The umlts command: `umlts run [options] -- PROGRAM [ARGS...]`.
 * Bad input gets one line on stderr and a non-zero exit, never a stack trace.
 *
 * A thin client of the library: the flags become run()'s options, with
 * the guest on umlts's own stdio and terminal, kernel messages and
 * --strace lines on its stderr; the result becomes the exit status (128+N
 * for a signal N) and a failure one line. The kernel runs on this thread
 * (lib/run_here.ts): the command waits for its guest and does nothing
 * else, and a worker thread would cost as much to start as Node.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PKG_ROOT } from './host/paths.js';
import { UmltsError } from './lib/errors.js';
import { RunOptions, UsageError, parseSize, parseMount, parseTmpfs, capNames } from './lib/options.js';
import { runHere } from './lib/run_here.js';
import { SIGNAL_MESSAGES } from './abi/signal.js';
import { mark } from './lib/timing.js';
import { exitNow, watchStdio } from './host/exit.js';
import { CAP_NAMES, CAP_FULL_SET, capAnd, capOr, capNot, capRaised } from './abi/capability.js';
import { compileSeccomp } from './oci/seccomp.js';
import { OciError } from './oci/errors.js';

/** A parsed command line: the program and the library's options. */
interface Command {
  argv: string[];
  options: RunOptions & { mounts: NonNullable<RunOptions['mounts']>[number][]; publish: string[]; tmpfs: string[] };
  /** --stats: print the counters at exit */
  stats: boolean;
}

const HELP = `usage: umlts run [options] -- PROGRAM [ARGS...]
       umlts --help | --version

Runs an unmodified x86-64 Linux program under the umlts kernel.

options:
  --root DIR        the guest's root directory (default /)
  --rw              make the root writable (default: read-only)
  --mem SIZE        guest memory, e.g. 512M, 2G (default 1G)
  --cpus N          virtual CPUs (default: the host CPUs umlts may use)
  --platform ptrace|systrap
                    how guest code runs: with seccomp traps taken in the
                    guest's own host process (systrap), or under ptrace.
                    Default (also env UMLTS_PLATFORM=auto): systrap where
                    the host allows it, else ptrace with a one-line notice;
                    env UMLTS_PLATFORM=ptrace|systrap names one too
  --env K=V         set a guest environment variable (repeatable)
  --inherit-env     start from umlts's own environment instead of a clean one
  --cwd DIR         the guest's working directory (default: umlts's own, when it
                    lies inside the root; else /)
  --user UID[:GID]  run the guest as this user and group (numbers, or names
                    from the root's /etc/passwd and /etc/group; default: the
                    user running umlts, which is the guest's root when that
                    is root)
  --cap-drop CAPS   drop these capabilities (comma-separated, e.g. NET_RAW or
                    CAP_SYS_TIME, or ALL) from the guest's bounding set and a
                    root user's permitted and effective ones (repeatable;
                    default: root holds every capability, others none)
  --cap-add CAPS    give back capabilities dropped with --cap-drop, e.g.
                    --cap-drop ALL --cap-add CHOWN,NET_BIND_SERVICE
  --no-new-privs     start the guest with no_new_privs set (as setpriv
                    --no-new-privs: no exec gains privileges, and a seccomp
                    filter needs no CAP_SYS_ADMIN)
  --seccomp FILE    a seccomp profile every guest process starts under: a JSON
                    object as OCI's linux.seccomp (defaultAction, syscalls
                    with names, action, errnoRet and args); e.g.
                    {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names":
                    ["socket"], "action": "SCMP_ACT_ERRNO"}]}
  --mount HOST:GUEST[:ro]
                    also show host directory HOST at guest path GUEST,
                    writable unless :ro (repeatable)
  --tmpfs PATH[:mode=OCTAL]
                    an empty in-memory filesystem at guest path PATH, its
                    root directory mode 755 unless given (repeatable)
  --max-host-fds N  host file descriptors hostfs may hold at once (default:
                    derived from RLIMIT_NOFILE); more open guest files are
                    closed and reopened transparently
  --net none|host   the guest's network: 'none' (default) gives it a private
                    loopback of its own (lo, 127.0.0.0/8 and ::1) that nothing
                    on the host can reach; 'host' makes its TCP and UDP sockets
                    host sockets (outbound connections, DNS, listening on the
                    host). AF_UNIX sockets are always the guest's own.
  --publish [HOSTADDR:]HOSTPORT:GUESTPORT[/udp]
                    with --net none: listen on the host (127.0.0.1 unless
                    HOSTADDR; [v6] for IPv6) and join each connection to the
                    guest's listener on GUESTPORT (repeatable)
  --stats           print kernel, memory and filehandle counters on stderr at exit
  --strace          print every guest system call on stderr
  -h, --help        this text
  -V, --version     the version

The guest gets PATH, HOME and TERM (and the --env ones) unless --inherit-env.
umlts exits with the guest's status: its exit code, or 128+N if a signal N
killed it.`;

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(PKG_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** --seccomp FILE: the profile compiled (oci/seccomp.ts); a file that cannot be read or compiled is one line. */
function seccompFile(file: string): { program: Uint8Array; flags: number } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--seccomp ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--seccomp ${file}: invalid JSON: ${(e as Error).message}`);
  }
  try {
    const p = compileSeccomp(json, `--seccomp ${file}`);
    if (!p) throw new UsageError(`--seccomp ${file}: the profile is null`);
    return p;
  } catch (e) {
    if (e instanceof OciError) throw new UsageError(e.message);
    throw e;
  }
}

function parse(argv: string[]): Command | number {
  if (argv.length === 0) throw new UsageError('no command (try umlts --help)');
  const cmd = argv[0]!;
  if (cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (cmd === '-V' || cmd === '--version') {
    process.stdout.write(`umlts ${version()}\n`);
    return 0;
  }
  if (cmd !== 'run') throw new UsageError(`unknown command '${cmd}' (try umlts --help)`);
  const env: Record<string, string | undefined> = {};
  let inheritEnv = false, stats = false;
  const capDrop: string[] = [], capAdd: string[] = [];
  const o: Command['options'] = { mounts: [], publish: [], tmpfs: [], stdio: 'inherit', terminal: true, log: 'stderr' };
  let i = 1;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-')) break;
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const val = (): string => inline ?? value(flag);
    switch (flag) {
      case '--root': o.root = val(); break;
      case '--rw': o.rw = true; break;
      case '--mem': o.memory = parseSize(val()); break;
      case '--cpus': {
        const v = val();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 1 || n > 64) throw new UsageError(`bad --cpus '${v}': a number from 1 to 64`);
        o.cpus = n;
        break;
      }
      case '--platform': {
        const v = val();
        if (v !== 'ptrace' && v !== 'systrap') throw new UsageError(`bad --platform '${v}': ptrace or systrap`);
        o.platform = v;
        break;
      }
      case '--env': {
        const v = val();
        if (!v.includes('=') || v.startsWith('=')) throw new UsageError(`bad --env '${v}': expected K=V`);
        env[v.slice(0, v.indexOf('='))] = v.slice(v.indexOf('=') + 1);
        break;
      }
      case '--inherit-env': inheritEnv = true; break;
      case '--cwd': o.cwd = val(); break;
      case '--user': {
        const v = val();
        if (!/^[^:]+(:[^:]+)?$/.test(v)) throw new UsageError(`bad --user '${v}': expected UID[:GID]`);
        o.user = v;
        break;
      }
      case '--cap-drop': capDrop.push(...val().split(',')); break;
      case '--cap-add': capAdd.push(...val().split(',')); break;
      case '--no-new-privs': o.noNewPrivileges = true; break;
      case '--seccomp': o.seccomp = seccompFile(val()); break;
      case '--strace': o.strace = true; break;
      case '--net': {
        const v = val();
        if (v !== 'none' && v !== 'host') throw new UsageError(`bad --net '${v}': expected none or host`);
        o.net = v;
        break;
      }
      case '--publish': o.publish.push(val()); break;
      case '--stats': stats = true; break;
      case '--mount': o.mounts.push(parseMount(val())); break;
      case '--tmpfs': o.tmpfs.push(val()); parseTmpfs(o.tmpfs[o.tmpfs.length - 1]!); break;
      case '--max-host-fds': {
        const v = val();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 1 || n > 1048576) throw new UsageError(`bad --max-host-fds '${v}': a number from 1 to 1048576`);
        o.maxHostFds = n;
        break;
      }
      case '-h':
      case '--help':
        process.stdout.write(HELP + '\n');
        return 0;
      default:
        throw new UsageError(`unknown option '${a}' (try umlts --help)`);
    }
  }
  if (capDrop.length || capAdd.length) {
    // docker's order: what --cap-drop leaves, then what --cap-add gives back (one line for a bad name)
    const drop = capSetOf(capDrop, '--cap-drop'), add = capSetOf(capAdd, '--cap-add');
    const set = capOr(capAnd(CAP_FULL_SET, capNot(drop)), add);
    o.capabilities = CAP_NAMES.filter((_, cap) => capRaised(set, cap));
  }
  if (o.net === 'host' && o.publish.length) throw new UsageError('--publish needs --net none (with --net host the guest listens on the host itself)');
  // --inherit-env: umlts's own environment instead of the clean PATH, HOME and TERM
  o.env = inheritEnv ? { PATH: undefined, HOME: undefined, TERM: undefined, ...process.env, ...env } : env;
  const rest = argv.slice(i);
  if (rest.length === 0) throw new UsageError('no program given: umlts run [options] -- PROGRAM [ARGS...]');
  // the guest's output goes straight to umlts's own fds: nothing to buffer
  return { argv: rest, options: o, stats };
}

/** A --cap-drop/--cap-add list as a set; a bad name is one UsageError line. */
function capSetOf(names: string[], flag: string): number {
  try {
    return capNames(names.filter((n) => n !== ''), flag);
  } catch (e) {
    throw new UsageError(`bad ${flag}: ${e instanceof Error ? e.message.replace(/^bad option [^:]*: /, '') : String(e)}`);
  }
}

async function main(): Promise<number> {
  mark('cli: bundle loaded');
  let c: Command | number;
  try {
    c = parse(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`umlts: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (typeof c === 'number') return c;
  try {
    const r = await runHere(c.argv, c.options);
    if (c.stats) {
      const line = (what: string, o: object): string => `umlts: ${what}: ${Object.entries(o).map(([k, v]) => `${k}=${v}`).join(' ')}\n`;
      process.stderr.write(line('filehandles', r.stats.filehandles) + line('kernel', r.stats.kernel) + line('mm', r.stats.mm));
    }
    const sig = r.status & 0x7f;
    if (sig === 0) return (r.status >> 8) & 0xff;
    const msg = SIGNAL_MESSAGES[sig];
    if (msg) process.stderr.write(`${msg}\n`);
    return 128 + sig;
  } catch (e) {
    if (!(e instanceof UmltsError)) throw e;
    process.stderr.write(`umlts: ${e.message}\n`);
    if (process.env.UMLTS_DEBUG && e instanceof Error && 'detail' in e && e.detail) process.stderr.write(`${String(e.detail)}\n`);
    return e.exitCode;
  }
}

// (exitNow's _exit asks Node's stdio streams for queued bytes only if they were made)
watchStdio();
main().then((code) => {
  mark('cli: exit');
  exitNow(code);
}, (e: unknown) => {
  process.stderr.write(`umlts: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(70);
});
