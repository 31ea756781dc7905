/**
 * A container's state directory, `<root>/<id>/`, which outlives every
 * umlts-oci command (runc's model):
 *
 *   state.json  what `state` reports, less the status (written once by
 *               `create`, atomically: a temporary file renamed over it)
 *   plan.json   the checked config.json, for the container process
 *   exec.fifo   exists while the container is created: the container
 *               process blocks opening it for writing until `start` opens
 *               it for reading (runc's exec.fifo)
 *   ctl.sock    the container process's control socket (exec)
 *
 * The status is not stored but derived, as runc does: the container
 * process alive (the same process: its start time matches) and exec.fifo
 * present is `created`, alive without it `running`, gone `stopped`.
 */
import { readFileSync, writeFileSync, renameSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { OciError } from './errors.js';

export interface Saved {
  ociVersion: string;
  id: string;
  /** the container process */
  pid: number;
  /** its start time (field 22 of /proc/PID/stat), so a reused pid is not taken for it */
  starttime: string;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations: Record<string, string>;
}

export type Status = 'created' | 'running' | 'stopped';

export const OCI_VERSION = '1.0.2';

export function validId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,1023}$/.test(id) && !id.includes('..');
}

export function stateDir(root: string, id: string): string {
  if (!validId(id)) throw new OciError(`invalid container id '${id}'`);
  return join(root, id);
}

/** Write a file atomically: readers see the old one or the new one, never half. */
export function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, path);
}

/** A process's start time, or null if it is gone (a zombie counts as gone: it runs nothing). */
export function procStart(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') return null;
    return f[19] ?? null;
  } catch {
    return null;
  }
}

export function load(root: string, id: string): { dir: string; saved: Saved } {
  const dir = stateDir(root, id);
  let text: string;
  try {
    text = readFileSync(join(dir, 'state.json'), 'utf8');
  } catch {
    throw new OciError(`container ${id} does not exist`);
  }
  try {
    return { dir, saved: JSON.parse(text) as Saved };
  } catch {
    throw new OciError(`container ${id}: ${join(dir, 'state.json')} is corrupt`);
  }
}

export function statusOf(dir: string, s: Saved): Status {
  if (s.pid <= 0 || procStart(s.pid) !== s.starttime) return 'stopped';
  return existsSync(join(dir, 'exec.fifo')) ? 'created' : 'running';
}

/** The runtime-spec state (runtime.md "State"). */
export function stateJson(s: Saved, status: Status): Record<string, unknown> {
  return {
    ociVersion: s.ociVersion, id: s.id, status, pid: status === 'stopped' ? 0 : s.pid, bundle: s.bundle,
    rootfs: s.rootfs, created: s.created, owner: s.owner, annotations: s.annotations,
  };
}

/** Every container id under root. */
export function ids(root: string): string[] {
  try {
    return readdirSync(root).filter((d) => validId(d) && existsSync(join(root, d, 'state.json'))).sort();
  } catch {
    return [];
  }
}
