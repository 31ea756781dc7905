/**
 * OCI hooks (config.md "POSIX-platform Hooks"): run on the host, in the
 * runtime's namespaces, with the container's state JSON on stdin; path,
 * args (args[0] is argv[0]), env and a timeout in seconds. A failing
 * prestart/createRuntime hook fails `create`; poststart and poststop
 * failures are only logged (runc does the same).
 */
import { spawnSync } from 'node:child_process';
import type { Hook } from './config.js';
import { OciError } from './errors.js';

export function runHooks(kind: string, hooks: Hook[] | undefined, state: Record<string, unknown>): void {
  for (const h of hooks ?? []) {
    const args = h.args && h.args.length ? h.args : [h.path];
    const r = spawnSync(h.path, args.slice(1), {
      argv0: args[0],
      env: Object.fromEntries((h.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]).filter(([k]) => k)),
      input: JSON.stringify(state),
      stdio: ['pipe', 'inherit', 'inherit'],
      timeout: h.timeout && h.timeout > 0 ? h.timeout * 1000 : undefined,
    });
    if (r.error) throw new OciError(`${kind} hook ${h.path}: ${r.error.message}`);
    if (r.signal) throw new OciError(`${kind} hook ${h.path}: killed by ${r.signal}${h.timeout ? ' (timeout)' : ''}`);
    if (r.status !== 0) throw new OciError(`${kind} hook ${h.path}: exit status ${r.status}`);
  }
}
