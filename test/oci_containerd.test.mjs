// containerd (its runc shim, io.containerd.runc.v2) with umlts-oci as the
// runc binary: `ctr run --runc-binary bin/umlts-oci`. The test starts a
// containerd of its own (config, root, state and sockets in a temporary
// folder) and stops it at the end; the image is the same small root
// directory, imported with `ctr images import` from a tar made here in the
// OCI image layout.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertNoLeftovers, trackUmltsPid } from './lib.mjs';
import { OCI, makeRootfs } from './oci_lib.mjs';

const IMAGE = 'localhost/umlts-oci-test:1';
const NS = `umlts-test-${process.pid}`;
let tmp, sock, daemon;
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function ctr(args, opts = {}) {
  const r = spawnSync('ctr', ['--address', sock, '--namespace', NS, ...args], { encoding: 'utf8', timeout: opts.timeout ?? 120_000, input: '' });
  return { ...r, describe: () => `ctr ${args.join(' ')}: status ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}` };
}

/** An OCI image layout tar (one layer: the root directory) for `ctr images import`. */
function ociImageTar(rootfs, out) {
  const dir = path.join(tmp, 'layout');
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const layerTar = path.join(tmp, 'layer.tar');
  const t = spawnSync('tar', ['-C', rootfs, '-cf', layerTar, '.']);
  assert.equal(t.status, 0, String(t.stderr));
  const blob = (data) => {
    const digest = createHash('sha256').update(data).digest('hex');
    fs.writeFileSync(path.join(blobs, digest), data);
    return { digest: `sha256:${digest}`, size: data.length };
  };
  const layer = blob(fs.readFileSync(layerTar));
  const config = blob(Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  })));
  const manifest = blob(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  })));
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'io.containerd.image.name': IMAGE, 'org.opencontainers.image.ref.name': '1' } }],
  }));
  const r = spawnSync('tar', ['-C', dir, '-cf', out, '.']);
  assert.equal(r.status, 0, String(r.stderr));
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'umlts-oci-containerd-'));
  sock = path.join(tmp, 'containerd.sock');
  fs.writeFileSync(path.join(tmp, 'config.toml'), [
    'version = 2',
    `root = "${tmp}/root"`,
    `state = "${tmp}/state"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]', `  address = "${sock}"`,
    '[ttrpc]', `  address = "${sock}.ttrpc"`,
    '[debug]', `  address = "${tmp}/debug.sock"`,
    '',
  ].join('\n'));
  const log = fs.openSync(path.join(tmp, 'containerd.log'), 'w');
  daemon = spawn('containerd', ['--config', path.join(tmp, 'config.toml')], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const end = Date.now() + 30_000;
  while (!fs.existsSync(sock) || ctr(['version'], { timeout: 5000 }).status !== 0) {
    assert.ok(Date.now() < end && daemon.exitCode === null, `containerd did not start:\n${fs.readFileSync(path.join(tmp, 'containerd.log'), 'utf8').slice(-3000)}`);
    sleep(100);
  }
  const rootfs = path.join(tmp, 'rootfs');
  makeRootfs(rootfs);
  const tar = path.join(tmp, 'image.tar');
  ociImageTar(rootfs, tar);
  const r = ctr(['images', 'import', tar]);
  assert.equal(r.status, 0, r.describe());
});
after(async () => {
  for (const id of ctr(['containers', 'ls', '-q']).stdout.split('\n').filter(Boolean)) {
    ctr(['task', 'kill', '-s', 'KILL', id]);
    ctr(['task', 'delete', '-f', id]);
    ctr(['containers', 'delete', id]);
  }
  if (daemon && daemon.exitCode === null) {
    const gone = new Promise((res) => daemon.once('exit', res));
    daemon.kill('SIGTERM');
    await gone;
  }
  spawnSync('umount', ['-R', path.join(tmp, 'root')], { stdio: 'ignore' });
  // the shim's --root for the runtime (/run/containerd/runc/NAMESPACE): empty once every container is deleted
  fs.rmSync(path.join('/run/containerd/runc', NS), { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => assertNoLeftovers(3000));

test('ctr run --runc-binary umlts-oci --rm IMAGE ID echo hi prints hi', () => {
  const r = ctr(['run', '--runc-binary', OCI, '--rm', IMAGE, 'hi1', 'echo', 'hi']);
  assert.equal(r.status, 0, r.describe());
  assert.equal(r.stdout, 'hi\n');
});

test('the exit status and a dynamically linked program come back through the shim', () => {
  const r = ctr(['run', '--runc-binary', OCI, '--rm', '--env', 'X=y', IMAGE, 'st1', 'sh', '-c', '/usr/bin/env | grep ^X=; exit 3']);
  assert.equal(r.status, 3, r.describe());
  assert.equal(r.stdout, 'X=y\n');
});

test('ctr task kill ends a running container (SIGTERM to its init), and nothing is left', () => {
  const d = ctr(['run', '--runc-binary', OCI, '-d', IMAGE, 'k1', 'sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.2; done']);
  assert.equal(d.status, 0, d.describe());
  const pid = Number(/\bk1\s+(\d+)\s+RUNNING/.exec(ctr(['task', 'ls']).stdout)?.[1]);
  assert.ok(pid > 0, ctr(['task', 'ls']).stdout);
  trackUmltsPid(pid);
  const k = ctr(['task', 'kill', 'k1']);
  assert.equal(k.status, 0, k.describe());
  const end = Date.now() + 30_000;
  let ls;
  do {
    ls = ctr(['task', 'ls']).stdout;
  } while (!/\bk1\s+\d+\s+STOPPED/.test(ls) && Date.now() < end && (sleep(100), true));
  assert.match(ls, /\bk1\s+\d+\s+STOPPED/);
  assert.equal(ctr(['task', 'delete', 'k1']).status, 0);
  assert.equal(ctr(['containers', 'delete', 'k1']).status, 0);
  assertNoLeftovers(3000, new Set([pid]));
});

test('ctr task kill -s KILL ends a container whose init ignores SIGTERM', () => {
  const d = ctr(['run', '--runc-binary', OCI, '-d', IMAGE, 'k2', 'sh', '-c', 'trap "" TERM; sleep 100 & sleep 100 & wait']);
  assert.equal(d.status, 0, d.describe());
  const pid = Number(/\bk2\s+(\d+)\s+RUNNING/.exec(ctr(['task', 'ls']).stdout)?.[1]);
  trackUmltsPid(pid);
  sleep(500);
  assert.equal(ctr(['task', 'kill', '-s', 'KILL', 'k2']).status, 0);
  const end = Date.now() + 30_000;
  let ls;
  do {
    ls = ctr(['task', 'ls']).stdout;
  } while (!/\bk2\s+\d+\s+STOPPED/.test(ls) && Date.now() < end && (sleep(100), true));
  assert.match(ls, /\bk2\s+\d+\s+STOPPED/);
  assert.equal(ctr(['task', 'delete', 'k2']).status, 0);
  assert.equal(ctr(['containers', 'delete', 'k2']).status, 0);
  assertNoLeftovers(3000, new Set([pid]));
});
