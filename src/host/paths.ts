/**
 * Where umlts's own files are: the package root is the nearest directory
 * above this code holding package.json. The same whether this runs as
 * tsc's modules (dist/platform/...) or as the bundle (dist/umlts.cjs).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return dirname(fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** the package root; immutable */
export const PKG_ROOT = findRoot();
