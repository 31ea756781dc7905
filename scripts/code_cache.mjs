// The last step of npm run build: V8's code cache for the kernel's bundle
// (src/lib/load_kernel.ts says why). The bundle gets a stamp (the SHA-256 of
// its text) on its last line and the cache starts with the same stamp, so a
// cache is only ever used with the bundle it was made from (V8 itself checks
// only the text's length). The cache is taken after one guest (/bin/true)
// has run, so that it holds every function a start needs, compiled; if no
// guest can run here (no ptrace), it holds what loading compiled.
import { readFileSync, writeFileSync, rmSync, renameSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { KERNEL_BUNDLE, KERNEL_CACHE, STAMP_PREFIX, loadKernel, kernelCodeCache } from '../dist/lib/load_kernel.js';
import { runHere } from '../dist/lib/run_here.js';

rmSync(KERNEL_CACHE, { force: true });
let text = readFileSync(KERNEL_BUNDLE, 'utf8');
const at = text.lastIndexOf(STAMP_PREFIX);
if (at >= 0) text = text.slice(0, at);
const stamp = createHash('sha256').update(text).digest('hex');
// (under another name, then renamed: bundle.mjs says why)
writeFileSync(`${KERNEL_BUNDLE}.new`, `${text}${STAMP_PREFIX}${stamp}\n`);
renameSync(`${KERNEL_BUNDLE}.new`, KERNEL_BUNDLE);

const why = (e) => (e instanceof Error ? e.message : String(e));
try {
  loadKernel();
} catch (e) {
  // the kernel cannot even load here (koffi): no cache; it is compiled at each start
  process.stderr.write(`code cache: none made (${why(e)})\n`);
  process.exit(0);
}
try {
  await runHere(['/bin/true'], { stdio: 'ignore', terminal: false, log: 'events' });
} catch (e) {
  process.stderr.write(`code cache: made without running a guest (${why(e)})\n`);
}
const { data } = kernelCodeCache();
writeFileSync(KERNEL_CACHE, Buffer.concat([Buffer.from(stamp, 'latin1'), data]));
