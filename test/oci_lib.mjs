// Shared by the umlts-oci tests: the runtime's path, a small root directory
// (static busybox with its applet links, plus one dynamically linked program
// with the libraries ldd names), and the container processes' pids for the
// leftover check.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, BUSYBOX } from './lib.mjs';

/** The runtime as the engines run it: the checkout's bin/umlts-oci. */
export const OCI = path.join(ROOT, 'bin', 'umlts-oci');

/** Make a root directory at dir: /bin/busybox and its applets, /usr/bin/env (dynamic) and its libraries, /etc/passwd and group. */
export function makeRootfs(dir) {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'usr', 'bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  fs.copyFileSync(BUSYBOX, path.join(dir, 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  const applets = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const a of applets) {
    const p = path.join(dir, 'bin', a);
    if (!fs.existsSync(p)) fs.symlinkSync('busybox', p);
  }
  // a dynamically linked program and its libraries, where ldd says they are
  fs.copyFileSync('/usr/bin/env', path.join(dir, 'usr', 'bin', 'env'));
  fs.chmodSync(path.join(dir, 'usr', 'bin', 'env'), 0o755);
  const ldd = spawnSync('ldd', ['/usr/bin/env'], { encoding: 'utf8' }).stdout;
  for (const lib of ldd.match(/\/\S+/g) ?? []) {
    fs.mkdirSync(path.join(dir, path.dirname(lib)), { recursive: true });
    fs.copyFileSync(fs.realpathSync(lib), path.join(dir, lib));
  }
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n');
  fs.writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\nuser:x:1000:\n');
}
