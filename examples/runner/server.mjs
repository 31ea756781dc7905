#!/usr/bin/env node
// A code runner: POST a shell or Python program, get back what it printed.
//
//   node examples/runner/server.mjs [--port 8080]
//   curl -s localhost:8080/run -d '{"language":"python","code":"print(6*7)"}'
//   → {"stdout":"42\n","stderr":"","exitCode":0,"signal":null,"timedOut":false,"truncated":false,"timeMs":412}
//
// Each program runs in a fresh umlts sandbox: the host's / read-only, no
// network but a private loopback, its own tmpfs with the program in it,
// a memory limit, a process limit and a time limit. GET / serves a page to
// try it from a browser.
import http from 'node:http';
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { run, MaxBufferError, UmltsError } from 'umlts';

/** What each program gets; createRunner's options override them. */
export const DEFAULT_LIMITS = {
  /** wall-clock ms; then the whole sandbox is killed */
  timeout: 5000,
  memory: '256M',
  /** processes at once in one sandbox: a fork bomb hits this wall */
  maxProcesses: 32,
  /** bytes of stdout and of stderr kept */
  maxBuffer: 64 * 1024,
  /** programs running at once (more wait their turn) */
  concurrency: 4,
};

const LANGUAGES = {
  python: { file: '/w/main.py', argv: ['python3', '/w/main.py'] },
  sh: { file: '/w/main.sh', argv: ['/bin/sh', '/w/main.sh'] },
};
const MAX_BODY = 256 * 1024;
const PAGE = readFileSync(new URL('./index.html', import.meta.url));

/** Run one program in a fresh sandbox; never throws for the program's sake. */
export async function runProgram({ language, code, stdin = '' }, limits = DEFAULT_LIMITS) {
  const lang = LANGUAGES[language];
  const t0 = performance.now();
  try {
    const r = await run(lang.argv, {
      files: { [lang.file]: code },
      cwd: '/w',
      input: stdin,
      net: 'none',
      rw: false,
      memory: limits.memory,
      maxProcesses: limits.maxProcesses,
      timeout: limits.timeout,
      maxBuffer: limits.maxBuffer,
    });
    return {
      stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), exitCode: r.exitCode, signal: r.signal,
      timedOut: r.timedOut, truncated: false, timeMs: Math.round(performance.now() - t0),
    };
  } catch (e) {
    if (e instanceof MaxBufferError) {
      return {
        stdout: e.stdout.toString('utf8'), stderr: e.stderr.toString('utf8'), exitCode: null, signal: 'SIGKILL',
        timedOut: false, truncated: true, timeMs: Math.round(performance.now() - t0),
      };
    }
    throw e;
  }
}

/** A counting semaphore: at most n programs at once. */
function limiter(n) {
  let running = 0;
  const waiting = [];
  return async (fn) => {
    if (running >= n) await new Promise((res) => waiting.push(res));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

function send(res, status, body, type = 'application/json') {
  const data = type === 'application/json' ? JSON.stringify(body) + '\n' : body;
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(data);
}

/** The service as an http.Server (not yet listening). */
export function createRunner(options = {}) {
  const limits = { ...DEFAULT_LIMITS, ...options };
  const slot = limiter(limits.concurrency);
  return http.createServer(async (req, res) => {
    try {
      if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) return send(res, 200, PAGE, 'text/html; charset=utf-8');
      if (req.url !== '/run') return send(res, 404, { error: 'not found' });
      if (req.method !== 'POST') return send(res, 405, { error: 'POST a program to /run' });
      let body = '';
      for await (const chunk of req) {
        body += chunk;
        if (body.length > MAX_BODY) return send(res, 413, { error: `programs are at most ${MAX_BODY} bytes` });
      }
      let job;
      try {
        job = JSON.parse(body);
      } catch {
        return send(res, 400, { error: 'expected JSON: {"language": "python" or "sh", "code": "...", "stdin": "..."}' });
      }
      if (!job || !(job.language in LANGUAGES) || typeof job.code !== 'string' || (job.stdin !== undefined && typeof job.stdin !== 'string')) {
        return send(res, 400, { error: `language must be one of ${Object.keys(LANGUAGES).join(', ')}; code (and stdin) strings` });
      }
      send(res, 200, await slot(() => runProgram(job, limits)));
    } catch (e) {
      send(res, 500, { error: e instanceof UmltsError ? e.message : 'internal error' });
      if (!(e instanceof UmltsError)) console.error(e);
    }
  });
}

// started as a program (not imported by a test)
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const i = process.argv.indexOf('--port');
  const port = Number(i > 0 ? process.argv[i + 1] : process.env.PORT ?? 8080);
  const server = createRunner();
  server.listen(port, '127.0.0.1', () => console.log(`umlts runner on http://127.0.0.1:${server.address().port}/`));
}
