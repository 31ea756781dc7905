#!/usr/bin/env node
/**
 * umlts-oci: an OCI runtime whose containers run in a umlts kernel, for
 * podman (--runtime), containerd's runc shim (ctr --runc-binary, a
 * Kubernetes RuntimeClass) and anything else that drives runc. The
 * commands are in oci/commands.ts; the container process (what `create`
 * starts and the engines watch) in oci/init.ts.
 *
 * Bad input gets one line on stderr (and in --log) and a non-zero exit,
 * never a stack trace.
 */
import { main, logLine, execHelper, Globals } from './oci/commands.js';
import { containerInit } from './oci/init.js';
import { OciError } from './oci/errors.js';

const g: Globals = { root: '/run/umlts-oci', log: null, logFormat: 'text' };

async function entry(argv: string[]): Promise<number> {
  // the runtime's own helper processes, started by create and exec --detach
  if (argv[0] === '--internal-init' && argv.length === 2) return containerInit(argv[1]!);
  if (argv[0] === '--internal-exec' && argv.length === 3) return execHelper(argv[1]!, argv[2]!);
  return main(argv, g);
}

entry(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const msg = e instanceof OciError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    logLine(g, 'error', msg);
    process.stderr.write(`umlts-oci: ${msg}\n`);
    if (process.env.UMLTS_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exit(e instanceof OciError ? e.exitCode : 1);
  },
);
