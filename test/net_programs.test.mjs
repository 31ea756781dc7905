// Sockets with real programs (issue 10): python3 asyncio, node's
// child_process (socketpairs for child stdio) and http, python3's
// http.server; the network modes (--net none's private loopback, --net host,
// --publish); what programs ask about the network (getifaddrs, busybox ip,
// /proc/net). Host servers and clients here are started asynchronously so
// the test's own event loop serves while the guest runs.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, ROOT, CLEAN_ENV, BUSYBOX, runUmlts, assertNoLeftovers, trackUmltsPid, makeScratch, rmScratch, withPlatform } from './lib.mjs';

afterEach(() => assertNoLeftovers());

const PY = '/usr/bin/python3';
const NODE = process.execPath;
const T = 90_000;

/** Start umlts asynchronously; resolves with {code, stdout, stderr} when it exits. onLine sees stdout lines as they come. */
function startUmlts(args, argv, onLine = () => {}) {
  const child = spawn(process.execPath, [CLI, 'run', ...args, '--', ...argv], { env: withPlatform(CLEAN_ENV), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  trackUmltsPid(child.pid);
  let stdout = '', stderr = '', partial = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    partial += d;
    let i;
    while ((i = partial.indexOf('\n')) >= 0) {
      onLine(partial.slice(0, i));
      partial = partial.slice(i + 1);
    }
  });
  child.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), T);
  const done = new Promise((resolve) => child.on('exit', (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal, stdout, stderr });
  }));
  return { child, done };
}

/** A free host port on 127.0.0.1 (bound and released). */
async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** GET http://127.0.0.1:port/path from the host, retrying while the server starts. */
async function hostGet(port, p, tries = 100) {
  for (let i = 0; ; i++) {
    try {
      return await new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: p, timeout: 5000 }, (res) => {
          let b = '';
          res.on('data', (d) => { b += d; });
          res.on('end', () => resolve({ status: res.statusCode, body: b }));
        }).on('error', reject);
      });
    } catch (e) {
      if (i >= tries) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

test('python3 asyncio: a TCP echo server and client in one process', () => {
  const prog = `
import asyncio
async def main():
    async def handle(r, w):
        while data := await r.read(100):
            w.write(data.upper()); await w.drain()
        w.close()
    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    r, w = await asyncio.open_connection("127.0.0.1", port)
    for word in (b"ping", b"pong"):
        w.write(word); await w.drain(); print((await r.read(100)).decode())
    w.close(); await w.wait_closed(); srv.close(); await srv.wait_closed()
    await asyncio.sleep(0)
    print("done")
asyncio.run(main())
`;
  const r = runUmlts([], [PY, '-c', prog], { timeout: T });
  assert.equal(r.stdout, 'PING\nPONG\ndone\n', r.describe());
  assert.equal(r.code, 0, r.describe());
});

test("node: child_process.exec and spawn (socketpairs for the child's stdio)", () => {
  const prog = `
const cp = require('child_process');
cp.exec('echo hi; echo err >&2', (e, out, err) => {
  console.log('exec', e, JSON.stringify(out), JSON.stringify(err));
  const p = cp.spawn('/bin/sh', ['-c', 'read x; echo got $x; exit 3']);
  let o = '';
  p.stdout.on('data', (d) => { o += d; });
  p.on('close', (code) => console.log('spawn', JSON.stringify(o), code));
  p.stdin.end('line\\n');
});`;
  const r = runUmlts([], [NODE, '-e', prog], { timeout: T });
  assert.equal(r.stdout, 'exec null "hi\\n" "err\\n"\nspawn "got line\\n" 3\n', r.describe());
  assert.equal(r.code, 0, r.describe());
});

test('node: an http server and a client in one guest', () => {
  const prog = `
const http = require('http');
const s = http.createServer((q, r) => r.end('hello ' + q.url)).listen(0, '127.0.0.1', async () => {
  for (const p of ['/a', '/b']) {
    const body = await new Promise((res) => http.get('http://127.0.0.1:' + s.address().port + p, (r) => {
      let b = ''; r.on('data', (d) => { b += d; }); r.on('end', () => res(b));
    }));
    console.log(body);
  }
  s.close();
});`;
  const r = runUmlts([], [NODE, '-e', prog], { timeout: T });
  assert.equal(r.stdout, 'hello /a\nhello /b\n', r.describe());
  assert.equal(r.code, 0, r.describe());
});

test('python3 -m http.server in the background, fetched by a client in the same guest (localhost through /etc/hosts)', () => {
  const dir = makeScratch('httpd');
  try {
    fs.writeFileSync(path.join(dir, 'f.txt'), 'served from the guest\n');
    const client = 'import urllib.request as u, time\n' +
      'for i in range(100):\n' +
      '    try:\n' +
      '        print(u.urlopen("http://localhost:8123/f.txt").read().decode(), end=""); break\n' +
      '    except OSError: time.sleep(0.1)\n';
    const sh = `cd ${dir} && ${PY} -m http.server 8123 --bind 127.0.0.1 >/dev/null 2>&1 & ${PY} -c '${client}'; kill $!; wait`;
    const r = runUmlts([], [BUSYBOX, 'sh', '-c', sh], { timeout: T });
    assert.equal(r.stdout, 'served from the guest\n', r.describe());
  } finally {
    rmScratch(dir);
  }
});

test('--net none: a server on the host loopback is out of the guest\'s reach (its 127.0.0.1 is its own)', async () => {
  const srv = http.createServer((q, r) => r.end('host')).listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const { port } = srv.address();
  try {
    const prog = `import socket\ntry:\n    socket.create_connection(("127.0.0.1", ${port}), timeout=5); print("reached the host")\nexcept OSError as e: print("refused", e.errno)\n` +
      'try:\n    socket.create_connection(("10.0.0.1", 80), timeout=5); print("reached 10.0.0.1")\nexcept OSError as e: print("unreachable", e.errno)\n';
    const { done } = startUmlts([], [PY, '-c', prog]);
    const r = await done;
    assert.equal(r.stdout, 'refused 111\nunreachable 101\n', r.stderr);
  } finally {
    srv.close();
  }
});

test('--net host: a guest client fetches from a host server; a host client fetches from a guest server', async () => {
  const srv = http.createServer((q, r) => r.end('from the host ' + q.url)).listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  try {
    const get = `import urllib.request as u; print(u.urlopen("http://127.0.0.1:${srv.address().port}/x").read().decode())`;
    const a = await startUmlts(['--net', 'host'], [PY, '-c', get]).done;
    assert.equal(a.stdout, 'from the host /x\n', a.stderr);
    assert.equal(a.code, 0, a.stderr);
  } finally {
    srv.close();
  }
  const port = await freePort();
  const serve = `const http=require('http');let n=0;const s=http.createServer((q,r)=>{r.end('from the guest '+q.url);if(++n===2)s.close();}).listen(${port},'127.0.0.1',()=>console.log('listening'));`;
  const g = startUmlts(['--net', 'host'], [NODE, '-e', serve]);
  const got = [await hostGet(port, '/one'), await hostGet(port, '/two')];
  const r = await g.done;
  assert.deepEqual(got.map((x) => x.body), ['from the guest /one', 'from the guest /two']);
  assert.equal(r.code, 0, r.stderr);
});

test('--publish: the host fetches from a guest server on the private loopback (TCP), and a UDP port answers', async () => {
  const hport = await freePort();
  const serve = `const http=require('http');let n=0;const s=http.createServer((q,r)=>{r.end('published '+q.url);if(++n===3)s.close();}).listen(8080,'0.0.0.0');`;
  const g = startUmlts(['--publish', `${hport}:8080`], [NODE, '-e', serve]);
  const got = [];
  for (const p of ['/1', '/2', '/3']) got.push((await hostGet(hport, p)).body);
  const r = await g.done;
  assert.deepEqual(got, ['published /1', 'published /2', 'published /3']);
  assert.equal(r.code, 0, r.stderr);

  const uport = await freePort();
  const echo = 'import socket\ns=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5353))\nd,a=s.recvfrom(100); s.sendto(d.upper(), a)\n';
  const u = startUmlts(['--publish', `${uport}:5353/udp`], [PY, '-c', echo]);
  const dgram = await import('node:dgram');
  const c = dgram.createSocket('udp4');
  const reply = await new Promise((resolve) => {
    const tick = setInterval(() => c.send('ping', uport, '127.0.0.1'), 200);
    c.on('message', (m) => { clearInterval(tick); resolve(String(m)); });
  });
  c.close();
  assert.equal(reply, 'PING');
  assert.equal((await u.done).code, 0);
});

test('bad --net and --publish get one line and status 2', () => {
  for (const [args, re] of [
    [['--net', 'bridge'], /bad --net 'bridge'/],
    [['--publish', '80'], /bad --publish '80'/],
    [['--publish', '1:99999'], /ports are numbers from 1 to 65535/],
    [['--net', 'host', '--publish', '8080:80'], /--publish needs --net none/],
  ]) {
    const r = runUmlts(args, [BUSYBOX, 'true']);
    assert.equal(r.code, 2, r.describe());
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('what programs ask about the network: getifaddrs, if_nameindex, busybox ip and ifconfig, /proc/net', () => {
  const py = 'import socket\nprint(socket.if_nameindex())\n' +
    's=socket.socket(); s.bind(("127.0.0.1", 4242)); s.listen()\n' +
    'u=socket.socket(socket.AF_UNIX); u.bind("\\0umlts-test")\n' +
    'print([l.split()[1] + " " + l.split()[3] for l in open("/proc/net/tcp").read().splitlines()[1:]])\n' +
    'print(any(l.endswith("@umlts-test") for l in open("/proc/net/unix").read().splitlines()))\n' +
    'print(socket.getaddrinfo("localhost", 80, socket.AF_INET, socket.SOCK_STREAM)[0][4])\n';
  const r = runUmlts([], [PY, '-c', py], { timeout: T });
  assert.equal(r.stdout, "[(1, 'lo')]\n['0100007F:1092 0A']\nTrue\n('127.0.0.1', 80)\n", r.describe());
  const ip = runUmlts([], [BUSYBOX, 'ip', 'addr']);
  assert.match(ip.stdout, /^1: lo: <LOOPBACK,UP/m, ip.describe());
  assert.match(ip.stdout, /inet 127\.0\.0\.1\/8 scope host lo/, ip.describe());
  assert.match(ip.stdout, /inet6 ::1\/128/, ip.describe());
  const ifc = runUmlts([], [BUSYBOX, 'ifconfig']);
  assert.match(ifc.stdout, /^lo\s+Link encap:Local Loopback/m, ifc.describe());
  assert.match(ifc.stdout, /inet addr:127\.0\.0\.1\s+Mask:255\.0\.0\.0/, ifc.describe());
  // other families get Linux's answer, not a kernel error
  const c = 'import socket\nfor f, t, p in ((17, 3, 0), (16, 3, 9), (2, 3, 1), (99, 1, 0)):\n' +
    '    try: socket.socket(f, t, p); print("ok")\n    except OSError as e: print(e.errno)\n';
  const o = runUmlts([], [PY, '-c', c]);
  assert.equal(o.stdout, '1\n93\n1\n97\n', o.describe());
});

test("AF_UNIX: a host program's socket is out of reach, even in a directory the guest sees", async () => {
  const dir = makeScratch('hostsock');
  const sockPath = path.join(dir, 'host.sock');
  const srv = net.createServer((c) => c.end('host secret')).listen(sockPath);
  await new Promise((r) => srv.once('listening', r));
  try {
    const prog = 'import socket, stat, os\n' +
      `print(stat.S_ISSOCK(os.stat("${sockPath}").st_mode))\n` +
      `s = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect("${sockPath}"); print("connected", s.recv(100))\nexcept OSError as e: print("refused", e.errno)\n`;
    for (const args of [[], ['--mount', `${dir}:${dir}`]]) {
      const r = await startUmlts(args, [PY, '-c', prog]).done;
      assert.equal(r.stdout, 'True\nrefused 111\n', r.stderr);
    }
  } finally {
    srv.close();
    rmScratch(dir);
  }
});
