// npm run build, after tsc: the bundles in dist/ (esbuild).
//   umlts.cjs         the command (the package's bin)
//   umlts-oci.cjs     the OCI runtime (bin/umlts-oci runs it)
//   (both CommonJS: an ES-module entry makes node start its ES module loader
//   and build a facade for each built-in module imported, ~12 ms of each
//   start on a slow machine, issue 14)
//   index.js          the library's entry, tsc's output bundled in place (the
//                     caller's side only: one file loads in half the time of
//                     tsc's module graph); tsc's .d.ts files stay its types
//   umlts-worker.cjs  a Sandbox's worker entry (CommonJS: an ES-module entry
//                     makes a worker start the ES module loader too)
//   umlts-kernel.cjs  the kernel, loaded as a vm.Script with V8's code cache
//                     (src/lib/load_kernel.ts; scripts/code_cache.mjs makes the cache)
// In the CommonJS bundles import.meta.url is the bundle's own file URL.
import { rmSync, writeFileSync, renameSync } from 'node:fs';
import { buildSync } from 'esbuild';

const common = { bundle: true, platform: 'node', external: ['koffi'], logLevel: 'warning' };
const cjs = {
  ...common,
  format: 'cjs',
  define: { 'import.meta.url': '__kernel_url' },
};
// first, "use strict": a banner before esbuild's own directive would leave the bundle sloppy
const ownUrl = { js: "'use strict';\nconst __kernel_url = require('node:url').pathToFileURL(__filename).href;" };
// (the ES-module bundles of earlier builds, so that no checkout runs a stale one)
for (const old of ['dist/umlts.mjs', 'dist/umlts-oci.mjs']) rmSync(old, { force: true });
buildSync({ ...cjs, entryPoints: ['dist/cli.js'], outfile: 'dist/umlts.cjs', banner: ownUrl });
buildSync({ ...cjs, entryPoints: ['dist/oci.js'], outfile: 'dist/umlts-oci.cjs', banner: ownUrl });
buildSync({ ...common, format: 'esm', entryPoints: ['dist/index.js'], outfile: 'dist/index.js', allowOverwrite: true });
buildSync({ ...cjs, entryPoints: ['dist/lib/kernel_worker.js'], outfile: 'dist/umlts-worker.cjs', banner: ownUrl });
// load_kernel.ts compiles the kernel as it is on disk: CommonJS's wrapper is the bundle's own first line (so its
// line numbers are kept) and last, and it takes __kernel_url too. (A wrapper added at load time made V8 copy the
// whole text once more, 150 pages.) Without comments or layout, and in
// ASCII (a one-byte string for V8): reading and compiling it from its code cache takes a third less of a start
// (issue 14). Names survive, so a kernel error's stack still says where; UMLTS_READABLE_KERNEL=1 keeps the layout
// (ASCII always: load_kernel.ts decodes it as latin1).
const compact = process.env.UMLTS_READABLE_KERNEL ? { charset: 'ascii' } : { minifyWhitespace: true, legalComments: 'none', charset: 'ascii' };
const wrapper = {
  banner: { js: "(function (exports, require, module, __filename, __dirname, __kernel_url) {'use strict';" },
  footer: { js: '\n})' },
};
// written whole under another name and renamed: a start maps the bundle (host/map_file.ts), and a file rewritten
// in place under a mapping would fault it (SIGBUS) where it shrank
const kernel = buildSync({ ...cjs, entryPoints: ['dist/lib/worker.js'], outfile: 'dist/umlts-kernel.cjs', ...compact, ...wrapper, write: false });
for (const f of kernel.outputFiles) {
  writeFileSync(`${f.path}.new`, f.contents);
  renameSync(`${f.path}.new`, f.path);
}
