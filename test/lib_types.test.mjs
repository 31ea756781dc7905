// The library's declarations (package.json "types"): a TypeScript program
// using every call compiles under strict settings, and a wrong option is a
// type error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, makeScratch, rmScratch } from './lib.mjs';

let dir;
before(() => { dir = makeScratch('types'); });
after(() => rmScratch(dir));

test('package.json names the declarations, and they type a program that uses every call', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.types, 'dist/index.d.ts');
  assert.equal(pkg.exports['.'].types, './dist/index.d.ts');
  assert.ok(fs.existsSync(path.join(ROOT, pkg.types)), 'the declarations are built');
  const lib = JSON.stringify(path.join(ROOT, 'dist', 'index.js'));
  const program = `
    import { run, Sandbox, GuestProcess, UmltsError, ExecError, OptionError, KernelError, MaxBufferError } from ${lib};
    import type { Result, ExitStatus, SandboxOptions, SyscallCall, SyscallEvent, SandboxStats } from ${lib};

    const opts: SandboxOptions = { root: '/', rw: false, mounts: ['/tmp:/t:ro', { host: '/srv', guest: '/srv', ro: true }], cpus: 2,
      memory: '256M', net: 'none', env: { A: 'b', DROP: undefined }, cwd: '/', files: { '/w/a.py': 'print(1)' }, maxProcesses: 8,
      strace: false, hooks: new URL('file:///policy.mjs'), log: 'events' };
    async function main(): Promise<void> {
      const r: Result = await run(['/bin/true'], { ...opts, input: 'x', timeout: 500, maxBuffer: 1024 });
      const code: number | null = r.exitCode;
      const sig: NodeJS.Signals | null = r.signal;
      const out: Buffer = r.stdout;
      const stats: SandboxStats = r.stats;
      const sb = new Sandbox(opts);
      await sb.ready;
      const p: GuestProcess = sb.spawn(['cat'], { cwd: '/', env: {}, stdio: ['pipe', 'pipe', 'inherit'] });
      p.stdin?.end('hi');
      p.stdout?.on('data', (d: Buffer) => d.length);
      p.kill('SIGTERM');
      const pid: number | undefined = p.pid;
      const st: ExitStatus = await p.exited;
      sb.on('syscall', (e: SyscallEvent) => e.line.length + e.ret + e.args[0]!);
      sb.on('log', (line: string) => line.length);
      const s2: SandboxStats = await sb.close();
      try { await run(['x']); } catch (e) {
        if (e instanceof ExecError || e instanceof OptionError || e instanceof KernelError) { const c: string = e.code; const x: number = e.exitCode; void c; void x; }
        if (e instanceof MaxBufferError) { const b: Buffer = e.stdout; void b; }
        if (e instanceof UmltsError) { const n: number | undefined = e.errno; void n; }
      }
      // @ts-expect-error: cpus is a number
      new Sandbox({ cpus: 'two' });
      // @ts-expect-error: no such stdio mode
      sb.spawn(['x'], { stdio: 'tty' });
      // @ts-expect-error: net is 'none' or 'host'
      void run(['x'], { net: 'bridge' });
      void [code, sig, out, stats, pid, st, s2];
    }
    export function onSyscall(call: SyscallCall): { errno: string } | { value: number } | void {
      if (call.path === '/etc/passwd') return { errno: 'EACCES' };
      if (call.name === 'getuid') return { value: 1234 };
    }
    void main;
  `;
  const f = path.join(dir, 'use.mts');
  fs.writeFileSync(f, program);
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--skipLibCheck', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), '--types', 'node', f], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
