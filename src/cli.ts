#!/usr/bin/env node
/**
 * The umlts command: `umlts run [options] -- PROGRAM [ARGS...]`.
 * Bad input gets one line on stderr and a non-zero exit, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PKG_ROOT } from './host/paths.js';
import { run, RunOptions, UsageError, parseSize, parsePublish } from './index.js';

const HELP = `usage: umlts run [options] -- PROGRAM [ARGS...]
       umlts --help | --version

Runs an unmodified x86-64 Linux program under the umlts kernel.

options:
  --root DIR        the guest's root directory (default /)
  --rw              make the root writable (default: read-only)
  --mem SIZE        guest memory, e.g. 512M, 2G (default 1G)
  --cpus N          virtual CPUs (default: the host CPUs umlts may use)
  --env K=V         set a guest environment variable (repeatable)
  --inherit-env     start from umlts's own environment instead of a clean one
  --cwd DIR         the guest's working directory (default: umlts's own, when it
                    lies inside the root; else /)
  --user UID[:GID]  run the guest as this user and group (numbers, or names
                    from the root's /etc/passwd and /etc/group; default: the
                    user running umlts, which is the guest's root when that
                    is root)
  --mount HOST:GUEST[:ro]
                    also show host directory HOST at guest path GUEST,
                    writable unless :ro (repeatable)
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

/** --mount HOST:GUEST[:ro] */
function parseMount(v: string): { host: string; guest: string; ro: boolean } {
  const parts = v.split(':');
  let ro = false;
  if (parts.length === 3 && (parts[2] === 'ro' || parts[2] === 'rw')) {
    ro = parts[2] === 'ro';
    parts.pop();
  }
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw new UsageError(`bad --mount '${v}': expected HOST:GUEST[:ro]`);
  const guest = parts[1]!;
  if (!guest.startsWith('/')) throw new UsageError(`bad --mount '${v}': the guest path must be absolute`);
  if (guest.split('/').every((p) => p === '' || p === '.')) throw new UsageError(`bad --mount '${v}': cannot mount over / (use --root)`);
  if (guest.split('/').includes('..')) throw new UsageError(`bad --mount '${v}': no '..' in the guest path`);
  return { host: parts[0]!, guest, ro };
}

function parse(argv: string[]): RunOptions | number {
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
  const o: RunOptions = { program: '', args: [], root: '/', rw: false, memBytes: 1 << 30, cpus: 0, env: [], inheritEnv: false, cwd: '', strace: false,
    mounts: [], maxHostFds: 0, stats: false, user: '', net: 'none', publish: [] };
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
      case '--mem': o.memBytes = parseSize(val()); break;
      case '--cpus': {
        const v = val();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 1 || n > 64) throw new UsageError(`bad --cpus '${v}': a number from 1 to 64`);
        o.cpus = n;
        break;
      }
      case '--env': {
        const v = val();
        if (!v.includes('=') || v.startsWith('=')) throw new UsageError(`bad --env '${v}': expected K=V`);
        o.env.push(v);
        break;
      }
      case '--inherit-env': o.inheritEnv = true; break;
      case '--cwd': o.cwd = val(); break;
      case '--user': {
        const v = val();
        if (!/^[^:]+(:[^:]+)?$/.test(v)) throw new UsageError(`bad --user '${v}': expected UID[:GID]`);
        o.user = v;
        break;
      }
      case '--strace': o.strace = true; break;
      case '--net': {
        const v = val();
        if (v !== 'none' && v !== 'host') throw new UsageError(`bad --net '${v}': expected none or host`);
        o.net = v;
        break;
      }
      case '--publish': {
        const p = parsePublish(val());
        if (typeof p === 'string') throw new UsageError(p);
        (o.publish ??= []).push(p);
        break;
      }
      case '--stats': o.stats = true; break;
      case '--mount': o.mounts.push(parseMount(val())); break;
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
  if (o.net === 'host' && o.publish?.length) throw new UsageError('--publish needs --net none (with --net host the guest listens on the host itself)');
  const rest = argv.slice(i);
  if (rest.length === 0) throw new UsageError('no program given: umlts run [options] -- PROGRAM [ARGS...]');
  o.program = rest[0]!;
  o.args = rest.slice(1);
  return o;
}

function main(): void {
  let opts: RunOptions | number;
  try {
    opts = parse(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`umlts: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (typeof opts === 'number') process.exit(opts);
  process.exit(run(opts));
}

main();
